//! printpdf pages → a lopdf document with the DejaVu subsets embedded under fixed
//! resource names, and the 2-byte codes of the serial characters in that subset.

use chrono::{DateTime, Utc};
use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId, StringFormat};
use printpdf::{PdfDocument, PdfFont, PdfPage, PdfSaveOptions};

use crate::fonts::{Face, REGULAR_RESOURCE, fonts};
use crate::layout::Canvas;
use crate::objects::page_font_ref;
use crate::{EspaError, SERIAL_CHARSET};

pub(crate) struct Assembled {
    pub doc: Document,
    /// The page objects in order.
    pub pages: Vec<ObjectId>,
    /// The regular face's font dictionary (the serial font).
    pub serial_font: ObjectId,
    /// Two bytes per character of [`SERIAL_CHARSET`].
    pub serial_codes: Vec<u8>,
}

fn internal(e: impl std::fmt::Display) -> EspaError {
    EspaError::Internal(e.to_string())
}

pub(crate) fn assemble(
    pages: Vec<PdfPage>,
    title: &str,
    created_at: Option<DateTime<Utc>>,
) -> Result<Assembled, EspaError> {
    let fonts = fonts()?;
    let mut pdf = PdfDocument::new(title);
    for (face, parsed) in [(Face::Regular, &fonts.regular), (Face::Bold, &fonts.bold)] {
        pdf.resources
            .fonts
            .map
            .insert(face.font_id(), PdfFont::new(parsed.clone()));
    }
    // A scratch page puts every serial character into the subset; it is dropped below.
    let mut scratch = Canvas::default();
    scratch.text(Face::Regular, 8.0, 10.0, 10.0, SERIAL_CHARSET);
    let mut all = pages;
    all.push(scratch.into_page());
    pdf.with_pages(all);
    let options = PdfSaveOptions {
        subset_fonts: true,
        optimize: false,
        ..Default::default()
    };
    let mut doc = pdf.to_lopdf_document(&options, &mut Vec::new());

    let mut page_ids: Vec<ObjectId> = doc.get_pages().into_values().collect();
    let scratch_id = page_ids
        .pop()
        .ok_or_else(|| internal("printpdf produced no pages"))?;
    let serial_codes = shown_bytes(&doc, scratch_id)?;
    if serial_codes.len() != 2 * SERIAL_CHARSET.len() {
        return Err(internal("unexpected encoding of the serial characters"));
    }
    let serial_font = page_font_ref(&doc, scratch_id, REGULAR_RESOURCE)
        .ok_or_else(|| internal("the serial font is not in the page resources"))?;
    drop_last_page(&mut doc, scratch_id)?;

    let catalog = doc.catalog_mut().map_err(internal)?;
    catalog.remove(b"Metadata");
    let mut info = Dictionary::new();
    info.set(
        "Title",
        Object::String(title.as_bytes().to_vec(), StringFormat::Literal),
    );
    info.set("Producer", Object::string_literal("hims-espa"));
    if let Some(at) = created_at {
        let date = at.format("D:%Y%m%d%H%M%SZ").to_string();
        info.set("CreationDate", Object::string_literal(date));
    }
    let info_id = doc.add_object(info);
    doc.trailer.set("Info", Object::Reference(info_id));
    doc.trailer.remove(b"ID");
    doc.prune_objects();
    Ok(Assembled {
        doc,
        pages: page_ids,
        serial_font,
        serial_codes,
    })
}

/// The bytes of the first text-showing operator on a page.
fn shown_bytes(doc: &Document, page: ObjectId) -> Result<Vec<u8>, EspaError> {
    let content = Content::decode(&doc.get_page_content(page)).map_err(internal)?;
    for op in content.operations {
        let operand = op.operands.first();
        match (op.operator.as_str(), operand) {
            ("Tj", Some(Object::String(bytes, _))) => return Ok(bytes.clone()),
            ("TJ", Some(Object::Array(items))) => {
                return Ok(items
                    .iter()
                    .filter_map(|o| match o {
                        Object::String(b, _) => Some(b.clone()),
                        _ => None,
                    })
                    .flatten()
                    .collect());
            }
            _ => {}
        }
    }
    Err(internal("no text on the scratch page"))
}

fn drop_last_page(doc: &mut Document, page: ObjectId) -> Result<(), EspaError> {
    let pages_id = doc
        .catalog()
        .and_then(|c| c.get(b"Pages"))
        .and_then(Object::as_reference)
        .map_err(internal)?;
    let pages = doc.get_dictionary_mut(pages_id).map_err(internal)?;
    let kids = pages
        .get_mut(b"Kids")
        .and_then(Object::as_array_mut)
        .map_err(internal)?;
    kids.retain(|k| k.as_reference().ok() != Some(page));
    let count = kids.len() as i64;
    pages.set("Count", count);
    doc.objects.remove(&page);
    Ok(())
}
