//! Accepting the portal's own PDF: size, header, encryption and structure checks.

use hims_pdf::{Budget, PdfError};
use lopdf::Document;

use crate::EspaError;
use crate::error::MAX_PORTAL_PDF_BYTES;

/// Parses a portal PDF, keeping every page. Classic xref tables, xref streams and
/// object streams are accepted; encrypted, corrupt, empty, page-less, non-PDF and
/// over-20-MiB input is refused with a typed error, and so is one whose streams
/// decode to more than hims-pdf's default budget (decompression bombs).
pub fn intake(pdf: &[u8]) -> Result<Document, EspaError> {
    intake_with_budget(pdf, &mut Budget::default())
}

/// [`intake`] charging every stream decoded to `budget`.
pub fn intake_with_budget(pdf: &[u8], budget: &mut Budget) -> Result<Document, EspaError> {
    if pdf.is_empty() {
        return Err(EspaError::Empty);
    }
    if pdf.len() > MAX_PORTAL_PDF_BYTES {
        return Err(EspaError::TooLarge {
            len: pdf.len(),
            max: MAX_PORTAL_PDF_BYTES,
        });
    }
    let head = &pdf[..pdf.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(EspaError::NotPdf);
    }
    let doc = hims_pdf::load_budgeted(pdf, budget).map_err(|e| match e {
        PdfError::Encrypted => EspaError::Encrypted,
        PdfError::TooComplex => EspaError::TooComplex,
        other => EspaError::Corrupt(other.to_string()),
    })?;
    if doc.was_encrypted() || doc.is_encrypted() || doc.trailer.get(b"Encrypt").is_ok() {
        return Err(EspaError::Encrypted);
    }
    doc.catalog()
        .map_err(|_| EspaError::Corrupt("no document catalog".into()))?;
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(EspaError::NoPages);
    }
    for id in pages.values() {
        let page = doc
            .get_dictionary(*id)
            .map_err(|_| EspaError::Corrupt("a page is not a dictionary".into()))?;
        if page.get(b"Type").and_then(lopdf::Object::as_name).ok() != Some(b"Page".as_slice()) {
            return Err(EspaError::Corrupt("a page tree leaf is not a /Page".into()));
        }
    }
    Ok(doc)
}
