use thiserror::Error;

/// Everything that can go wrong while signing, stamping or verifying a PDF.
/// Messages never carry key material, PINs or identity numbers.
#[derive(Debug, Error)]
pub enum PdfError {
    #[error("the PDF could not be parsed: {0}")]
    Malformed(String),
    #[error("encrypted PDFs are not supported")]
    Encrypted,
    #[error("no signature field named {0:?}")]
    FieldNotFound(String),
    #[error("signature field {0:?} is already signed")]
    FieldAlreadySigned(String),
    #[error("the signature image is not acceptable: {0}")]
    SignatureImage(&'static str),
    #[error("certificate could not be read: {0}")]
    Certificate(String),
    #[error("the private key could not be read or does not match the certificate")]
    PrivateKey,
    #[error("the CMS signature does not fit the reserved space ({needed} > {reserved} bytes)")]
    SignatureTooLarge { needed: usize, reserved: usize },
    #[error("the certificate revocation list could not be used: {0}")]
    Crl(String),
    #[error("the layout entry /HIMSLayout is missing or invalid: {0}")]
    Layout(String),
    #[error("the serial number has a character the document font cannot show")]
    BadSerial,
    #[error("the QR code could not be built: {0}")]
    Qr(String),
    #[error("the timestamp token cannot be used: {0}")]
    Timestamp(String),
    #[error("ASN.1 encoding failed: {0}")]
    Der(#[from] der::Error),
}

impl From<lopdf::Error> for PdfError {
    fn from(e: lopdf::Error) -> Self {
        PdfError::Malformed(e.to_string())
    }
}

impl From<std::io::Error> for PdfError {
    fn from(e: std::io::Error) -> Self {
        PdfError::Malformed(e.to_string())
    }
}
