//! The one error type of the crate. Messages name the problem, never personal data.

/// Largest portal PDF accepted by [`crate::intake`].
pub const MAX_PORTAL_PDF_BYTES: usize = 20 * 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EspaError {
    #[error("the PDF is {len} bytes, more than the {max} allowed")]
    TooLarge { len: usize, max: usize },
    #[error("the PDF is empty")]
    Empty,
    #[error("the input is not a PDF")]
    NotPdf,
    #[error("the PDF is encrypted; an unencrypted PDF is required")]
    Encrypted,
    #[error("the PDF is corrupt: {0}")]
    Corrupt(String),
    #[error("the PDF has no pages")]
    NoPages,
    #[error("the PDF's streams decode to more than the allowed budget")]
    TooComplex,
    #[error("the PDF already carries a signature; it cannot be rewritten")]
    AlreadySigned,
    #[error("invalid signature slot: {0}")]
    BadSlot(String),
    #[error("the signature slots do not match the signing parties of the document")]
    SlotsMismatch,
    #[error("the serial number may only use the characters 0-9, A-Z, '-', '/' and '_'")]
    BadSerial,
    #[error("invalid eSPA document: {0}")]
    InvalidDocument(String),
    #[error("rendering failed: {0}")]
    Render(String),
    #[error("internal error: {0}")]
    Internal(String),
}
