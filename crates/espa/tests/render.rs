//! The rendered eSPA as a reader sees it (poppler) and as hims-pdf sees it (lopdf).

mod common;

use common::*;
use hims_espa::{Base, EspaDocument, EspaError, first_revision, render};

#[test]
fn rendered_example_shows_title_names_and_serial() {
    let doc = EspaDocument::example();
    let pdf = render(&doc).expect("render");
    let text = poppler("pdftotext", &["-layout"], &pdf);
    for needle in [
        "PERJANJIAN JUAL BELI",
        "Sale and Purchase Agreement",
        "PARKLAND AVENUE SDN. BHD.",
        "20165-9",
        "B-10-02",
        "Nur Aisyah binti Abdullah",
        "José Ñúñez",
        "Siti Nur'ain binti Kamal",
        "Rajesh a/l Muthu",
        "HALAMAN TANDATANGAN",
        "RM 650,000.00",
        "RM 113,750.00", // 17.5 % stage
        "HIMS-20165-9-B-10-02-______",
    ] {
        assert!(text.contains(needle), "pdftotext output lacks {needle:?}");
    }
    let pages = page_count(&pdf);
    assert!((8..=10).contains(&pages), "{pages} pages");
    assert!(text.contains(&format!("Muka surat {pages} / {pages}")));
    // the serial appears once per page header
    assert_eq!(text.matches("HIMS-20165-9-B-10-02-______").count(), pages);
    // the scratch charset is not visible text
    assert!(!text.contains("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
}

#[test]
fn font_is_embedded_as_a_subset() {
    let pdf = render(&EspaDocument::example()).expect("render");
    let fonts = poppler("pdffonts", &[], &pdf);
    assert!(fonts.contains("ESPARG+DejaVuSans"), "{fonts}");
    // the whole face is 760 KB; a subset keeps the file small
    assert!(pdf.len() < 200_000, "{} bytes", pdf.len());
}

#[test]
fn rendering_is_deterministic() {
    let doc = EspaDocument::example();
    assert_eq!(render(&doc).unwrap(), render(&doc).unwrap());
    let slots = doc.signature_slots();
    let a = first_revision(
        Base::Rendered(doc.clone()),
        &slots,
        "HIMS-20165-9-B-10-02-______",
    )
    .unwrap();
    let b = first_revision(Base::Rendered(doc), &slots, "HIMS-20165-9-B-10-02-______").unwrap();
    assert_eq!(a, b);
}

#[test]
fn a_different_document_gives_a_different_id() {
    let doc = EspaDocument::example();
    let mut other = doc.clone();
    other.unit = "B-10-03".into();
    let id = |pdf: &[u8]| {
        lopdf::Document::load_mem(pdf)
            .unwrap()
            .trailer
            .get(b"ID")
            .unwrap()
            .clone()
    };
    assert_ne!(id(&render(&doc).unwrap()), id(&render(&other).unwrap()));
}

#[test]
fn invalid_documents_are_refused() {
    let mut doc = EspaDocument::example();
    doc.schedule[0].basis_points += 1;
    assert!(matches!(render(&doc), Err(EspaError::InvalidDocument(_))));
    let mut doc = EspaDocument::example();
    doc.provisional_serial = "HIMS 20165".into();
    assert_eq!(render(&doc), Err(EspaError::BadSerial));
}

#[test]
fn many_signers_spill_onto_more_signature_pages() {
    let mut doc = EspaDocument::example();
    let template = doc.parties[1].clone();
    for n in 3..=8 {
        let mut p = template.clone();
        p.name = format!("Pembeli Tambahan {n}");
        p.field_name = format!("sig_pembeli_{n}");
        doc.parties.insert(n - 1, p);
    }
    let pdf = render(&doc).expect("render");
    let text = poppler("pdftotext", &[], &pdf);
    assert!(text.contains("Pembeli Tambahan 8"));
    assert!(page_count(&pdf) > page_count(&render(&EspaDocument::example()).unwrap()));
}
