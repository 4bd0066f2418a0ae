//! Revision 1: signature fields, serial streams, /HIMSLayout, for both bases.

mod common;

use common::*;
use hims_espa::{
    Base, Block, EspaDocument, EspaError, LANGUAGE, SERIAL_CHARSET, SignatureSlot, espa_blocks,
    first_revision, first_revision_with_text,
};
use lopdf::{Document, Object};

const SERIAL: &str = "HIMS-20165-9-B-10-02-______";

fn rendered() -> (Vec<u8>, Vec<SignatureSlot>) {
    let doc = EspaDocument::example();
    let slots = doc.signature_slots();
    (
        first_revision(Base::Rendered(doc), &slots, SERIAL).expect("first revision"),
        slots,
    )
}

fn portal_slots() -> Vec<SignatureSlot> {
    EspaDocument::example().signature_slots()
}

/// Checks everything CONTRACT.md promises about a first revision of `page_total` pages
/// with `slots`, whose signature boxes are on the last page.
fn check_contract(pdf: &[u8], slots: &[SignatureSlot], page_total: usize) {
    assert!(pdf.starts_with(b"%PDF-1.7"));
    assert!(contains(pdf, b"\nxref\n"), "classic xref table");
    assert!(!contains(pdf, b"/ObjStm") && !contains(pdf, b"/XRef"));
    let doc = Document::load_mem(pdf).expect("lopdf parses revision 1");
    assert!(doc.trailer.get(b"Encrypt").is_err());
    let id = doc
        .trailer
        .get(b"ID")
        .and_then(Object::as_array)
        .expect("/ID");
    assert_eq!(id.len(), 2);
    let pages: Vec<_> = doc.get_pages().into_values().collect();
    assert_eq!(pages.len(), page_total);
    assert_eq!(page_count(pdf), page_total);

    // fields: one per slot, in order, widgets inside the last page's boxes
    let fields = signature_fields(&doc);
    let names: Vec<_> = fields.iter().map(|(n, _)| n.as_str()).collect();
    let expected: Vec<_> = slots.iter().map(|s| s.field_name.as_str()).collect();
    assert_eq!(names, expected);
    let last_page = *pages.last().unwrap();
    let annots = doc.get_page_annotations(last_page).expect("annotations");
    assert_eq!(annots.len(), slots.len());
    for (_, field) in &fields {
        assert_eq!(
            field.get(b"Subtype").and_then(Object::as_name).unwrap(),
            b"Widget"
        );
        assert_eq!(field.get(b"F").and_then(Object::as_i64).unwrap(), 4);
        assert_eq!(
            field.get(b"P").and_then(Object::as_reference).unwrap(),
            last_page
        );
        assert!(!field.has(b"V") && !field.has(b"AP"));
        let r = floats(field.get(b"Rect").unwrap());
        assert!(
            r[0] > 0.0 && r[1] > 0.0 && r[2] > r[0] + 100.0 && r[3] > r[1] + 50.0 && r[3] < 842.0,
            "{r:?}"
        );
    }
    let form_id = doc
        .catalog()
        .unwrap()
        .get(b"AcroForm")
        .and_then(Object::as_reference)
        .unwrap();
    assert!(!doc.get_dictionary(form_id).unwrap().has(b"SigFlags"));

    // serial streams: last element of every page's /Contents, drawing the serial
    let layout = catalog_layout(&doc);
    let streams = refs(layout.get(b"SerialStreams").unwrap());
    assert_eq!(streams.len(), page_total);
    let codes = layout
        .get(b"SerialCodes")
        .and_then(Object::as_str)
        .unwrap()
        .to_vec();
    assert_eq!(
        layout
            .get(b"SerialCharset")
            .and_then(Object::as_str)
            .unwrap(),
        SERIAL_CHARSET.as_bytes()
    );
    assert_eq!(codes.len(), 2 * SERIAL_CHARSET.len());
    let expected_hex: String = SERIAL
        .chars()
        .flat_map(|c| {
            let i = SERIAL_CHARSET.find(c).unwrap();
            codes[2 * i..2 * i + 2].to_vec()
        })
        .map(|b| format!("{b:02X}"))
        .collect();
    let origins = layout
        .get(b"SerialOrigins")
        .and_then(Object::as_array)
        .unwrap();
    assert_eq!(origins.len(), page_total);
    assert_eq!(
        layout.get(b"SerialFont").and_then(Object::as_name).unwrap(),
        b"HIMSSerial"
    );
    for (page, stream_id) in pages.iter().zip(&streams) {
        let contents = doc
            .get_dictionary(*page)
            .unwrap()
            .get(b"Contents")
            .and_then(Object::as_array)
            .unwrap();
        assert_eq!(
            contents.last().and_then(|o| o.as_reference().ok()),
            Some(*stream_id)
        );
        let stream = doc
            .get_object(*stream_id)
            .and_then(Object::as_stream)
            .unwrap();
        let text = String::from_utf8(
            stream
                .decompressed_content()
                .unwrap_or_else(|_| stream.content.clone()),
        )
        .unwrap();
        assert!(text.contains(&format!("<{expected_hex}> Tj")), "{text}");
        assert!(text.contains("/HIMSSerial 8 Tf"), "{text}");
        let fonts = doc.get_page_fonts(*page).unwrap();
        assert!(fonts.contains_key(b"HIMSSerial".as_slice()));
    }

    // the QR square: an empty stream on /QrPage, second to last
    let qr_page = layout
        .get(b"QrPage")
        .and_then(Object::as_reference)
        .unwrap();
    let qr_stream = layout
        .get(b"QrStream")
        .and_then(Object::as_reference)
        .unwrap();
    let contents = doc
        .get_dictionary(qr_page)
        .unwrap()
        .get(b"Contents")
        .and_then(Object::as_array)
        .unwrap();
    assert_eq!(
        contents[contents.len() - 2].as_reference().unwrap(),
        qr_stream
    );
    let qr = floats(layout.get(b"QrRect").unwrap());
    assert!(
        (qr[2] - qr[0] - 79.37).abs() < 0.1 && (qr[3] - qr[1] - 79.37).abs() < 0.1,
        "{qr:?}"
    );

    let text = poppler("pdftotext", &[], pdf);
    assert_eq!(
        text.matches(SERIAL).count(),
        page_total,
        "serial on every page"
    );
    for slot in slots {
        assert!(
            text.contains(&slot.name),
            "{} on the signature page",
            slot.name
        );
    }
}

#[test]
fn rendered_first_revision_meets_the_contract() {
    let (pdf, slots) = rendered();
    let pages = page_count(&pdf);
    check_contract(&pdf, &slots, pages);
    let doc = Document::load_mem(&pdf).unwrap();
    let first_page = *doc.get_pages().get(&1).unwrap();
    let qr_page = catalog_layout(&doc)
        .get(b"QrPage")
        .and_then(Object::as_reference)
        .unwrap();
    assert_eq!(qr_page, first_page, "rendered eSPA: QR square on the cover");
    std::fs::write(std::env::temp_dir().join("espa-test-rendered.pdf"), &pdf).unwrap();
}

#[test]
fn revision_one_names_its_language_and_shows_its_title() {
    let (own, _) = rendered();
    let info = poppler("pdfinfo", &[], &own);
    let portal =
        first_revision(Base::Portal(portal_pdf(1, false)), &portal_slots(), SERIAL).unwrap();
    for pdf in [own, portal] {
        let doc = Document::load_mem(&pdf).unwrap();
        let catalog = doc.catalog().unwrap();
        let lang = catalog.get(b"Lang").and_then(Object::as_str).unwrap();
        assert_eq!(lang, LANGUAGE.as_bytes());
        let prefs = catalog
            .get(b"ViewerPreferences")
            .and_then(Object::as_dict)
            .unwrap();
        assert!(matches!(
            prefs.get(b"DisplayDocTitle"),
            Ok(Object::Boolean(true))
        ));
    }
    let title = info.lines().find(|l| l.starts_with("Title:"));
    assert_eq!(
        title.map(|l| l["Title:".len()..].trim()),
        Some("Perjanjian Jual Beli 20165-9 B-10-02"),
        "{info}"
    );
}

/// The text view's blocks are what the pages say: every heading, field,
/// clause title and the start of every paragraph is on the rendered pages.
#[test]
fn every_block_of_the_text_view_is_on_the_pages() {
    let doc = EspaDocument::example();
    let slots = doc.signature_slots();
    let revision = first_revision_with_text(Base::Rendered(doc.clone()), &slots, SERIAL).unwrap();
    assert_eq!(revision.pdf, rendered().0);
    let blocks = revision.text.expect("a rendered eSPA has a text view");
    assert_eq!(blocks, espa_blocks(&doc).unwrap());
    let portal = first_revision_with_text(Base::Portal(portal_pdf(1, false)), &slots, SERIAL);
    assert!(
        portal.unwrap().text.is_none(),
        "a portal PDF has no text view"
    );
    let text = poppler("pdftotext", &[], &revision.pdf);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut needles: Vec<String> = Vec::new();
    for block in blocks {
        match block {
            Block::Title(t) | Block::Subtitle(t) | Block::Caption(t) | Block::Heading(t) => {
                needles.push(t)
            }
            Block::Paragraph(t) | Block::Note(t) => {
                needles.push(t.split_whitespace().take(6).collect::<Vec<_>>().join(" "))
            }
            Block::Fields(rows) => needles.extend(rows.into_iter().flat_map(|(l, v)| [l, v])),
            Block::Clause {
                title, paragraphs, ..
            } => {
                needles.push(title);
                needles.extend(
                    paragraphs
                        .iter()
                        .map(|p| p.split_whitespace().take(4).collect::<Vec<_>>().join(" ")),
                );
            }
            Block::Table(table) => {
                needles.extend(table.columns.into_iter().map(|c| c.header));
                needles.extend(table.rows.into_iter().flat_map(|r| r.into_iter().take(1)));
            }
            Block::Gap(_) | Block::PageBreak => {}
        }
    }
    assert!(needles.len() > 60, "{} needles", needles.len());
    for needle in needles.iter().filter(|n| !n.is_empty()) {
        assert!(flat.contains(needle.as_str()), "the pages lack {needle:?}");
    }
}

#[test]
fn portal_pdf_with_classic_xref_keeps_its_pages() {
    let portal = portal_pdf(3, false);
    assert!(contains(&portal, b"\nxref\n"));
    let pdf =
        first_revision(Base::Portal(portal), &portal_slots(), SERIAL).expect("first revision");
    check_contract(&pdf, &portal_slots(), 4);
    let text = poppler("pdftotext", &[], &pdf);
    for n in 1..=3 {
        assert!(text.contains(&format!("PORTAL PAGE {n}")));
    }
    assert!(text.contains("HALAMAN TANDATANGAN") && text.contains("Muka surat 4 / 4"));
}

#[test]
fn portal_pdf_with_object_and_xref_streams_keeps_its_pages() {
    let portal = portal_pdf(2, true);
    assert!(
        contains(&portal, b"/ObjStm") && contains(&portal, b"/XRef"),
        "test input uses object streams"
    );
    let pdf =
        first_revision(Base::Portal(portal), &portal_slots(), SERIAL).expect("first revision");
    check_contract(&pdf, &portal_slots(), 3);
    let text = poppler("pdftotext", &[], &pdf);
    assert!(text.contains("PORTAL PAGE 1") && text.contains("PORTAL PAGE 2"));
    std::fs::write(std::env::temp_dir().join("espa-test-portal.pdf"), &pdf).unwrap();
}

#[test]
fn portal_first_revision_is_deterministic() {
    let portal = portal_pdf(2, true);
    let a = first_revision(Base::Portal(portal.clone()), &portal_slots(), SERIAL).unwrap();
    let b = first_revision(Base::Portal(portal), &portal_slots(), SERIAL).unwrap();
    assert_eq!(a, b);
}

#[test]
fn slots_must_match_the_rendered_signers() {
    let doc = EspaDocument::example();
    let mut slots = doc.signature_slots();
    slots.pop();
    assert_eq!(
        first_revision(Base::Rendered(doc), &slots, SERIAL),
        Err(EspaError::SlotsMismatch)
    );
}

#[test]
fn bad_slots_and_serials_are_refused() {
    let portal = portal_pdf(1, false);
    let mut slots = portal_slots();
    slots[1].field_name = slots[0].field_name.clone();
    assert!(matches!(
        first_revision(Base::Portal(portal.clone()), &slots, SERIAL),
        Err(EspaError::BadSlot(_))
    ));
    let mut slots = portal_slots();
    slots[0].field_name = "a.b".into();
    assert!(matches!(
        first_revision(Base::Portal(portal.clone()), &slots, SERIAL),
        Err(EspaError::BadSlot(_))
    ));
    assert!(matches!(
        first_revision(Base::Portal(portal.clone()), &[], SERIAL),
        Err(EspaError::BadSlot(_))
    ));
    assert_eq!(
        first_revision(Base::Portal(portal), &portal_slots(), "hims-1"),
        Err(EspaError::BadSerial)
    );
}

#[test]
fn a_portal_pdf_that_is_not_a_pdf_is_refused() {
    assert_eq!(
        first_revision(Base::Portal(b"hello".to_vec()), &portal_slots(), SERIAL),
        Err(EspaError::NotPdf)
    );
}
