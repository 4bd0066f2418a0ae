//! PAdES signing for hims-esign: one incremental update per signature (CMS, ECDSA P-256) with
//! its signature timestamp and DSS (B-LT), document timestamps (B-LTA), the serial/QR
//! revision, and verification of every signature and timestamp in a PDF.

mod appearance;
pub mod bombs;
mod budget;
mod cms_build;
mod cms_check;
mod doc_timestamp;
mod doc_timestamp_check;
mod dss;
mod error;
mod fields;
mod incremental;
mod ltv;
mod modifications;
mod placeholder;
mod serial;
mod sign;
mod signature_png;
mod sparse;
mod structure;
mod timestamp;
mod verify;

pub use appearance::{Appearance, STATEMENT, malaysia_time};
pub use budget::{Budget, REQUEST_LIMIT, STREAM_LIMIT, load as load_budgeted};
pub use doc_timestamp::{
    DOC_TIMESTAMP_RESERVED_BYTES, PendingDocumentTimestamp, add_validation_data,
    prepare_document_timestamp,
};
pub use dss::ValidationData;
pub use error::PdfError;
pub use fields::{FieldInfo, signature_fields};
pub use ltv::{
    DocumentTimestampReport, LongTermReport, PadesLevel, TIMESTAMP_BEFORE_SIGNING_TOLERANCE_SECONDS,
};
pub use modifications::ModificationLevel;
pub use serial::apply_serial;
pub use sign::{
    CONTENTS_RESERVED_BYTES, PendingSignature, SignRequest, SignedPdf, prepare_signature, sign,
};
pub use signature_png::{MAX_PNG_BYTES, SignatureImage};
pub use structure::revision_ends;
pub use timestamp::TimestampReport;
pub use verify::{
    Report, SignatureReport, Trust, VerifyOptions, pdf_date_unix, verify, verify_with,
    verify_with_budget,
};
