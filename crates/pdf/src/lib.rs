//! PAdES signing for hims-esign: one incremental update per signature (CMS, ECDSA P-256),
//! the serial/QR revision, and verification of every signature in a PDF.

mod appearance;
pub mod bombs;
mod budget;
mod cms_build;
mod cms_check;
mod error;
mod fields;
mod incremental;
mod modifications;
mod serial;
mod sign;
mod signature_png;
mod structure;
mod verify;

pub use appearance::{Appearance, STATEMENT, malaysia_time};
pub use budget::{Budget, REQUEST_LIMIT, STREAM_LIMIT, load as load_budgeted};
pub use error::PdfError;
pub use fields::{FieldInfo, signature_fields};
pub use modifications::ModificationLevel;
pub use serial::apply_serial;
pub use sign::{CONTENTS_RESERVED_BYTES, SignRequest, sign};
pub use signature_png::{MAX_PNG_BYTES, validate_signature_png};
pub use structure::revision_ends;
pub use verify::{Report, SignatureReport, Trust, pdf_date_unix, verify, verify_with_budget};
