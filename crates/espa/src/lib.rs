//! The eSPA document for hims-esign: rendering the agreement with printpdf, accepting the
//! portal's own PDF, and writing revision 1 with empty signature fields, the provisional
//! serial in separately replaceable streams and the `/HIMSLayout` map that `hims-pdf`
//! reads (see CONTRACT.md).

mod assemble;
mod clauses;
mod completion;
mod content;
mod document;
mod error;
mod fonts;
mod intake;
mod layout;
mod objects;
mod revision;

pub use completion::{CompletionDocument, CompletionParty, CompletionRevision, render_completion};
pub use document::{
    EspaDocument, PartyLine, PaymentStage, SignatureSlot, format_percent, format_ringgit,
    schedule_h,
};
pub use error::{EspaError, MAX_PORTAL_PDF_BYTES};
pub use intake::{intake, intake_with_budget};
pub use revision::{Base, SERIAL_FONT_RESOURCE, first_revision, render};

/// The characters a serial number may use, all in the embedded font subset:
/// the domain's rule, so every project code and unit it accepts can be drawn.
pub use hims_domain::serial::{MAX_SERIAL_LEN, SERIAL_CHARSET};
