//! Portal PDF intake: good files parse, bad ones give their typed error, none panics.

mod common;

use common::*;
use hims_espa::{Base, EspaDocument, EspaError, MAX_PORTAL_PDF_BYTES, first_revision, intake};

#[test]
fn classic_and_modern_portal_pdfs_parse_with_all_pages() {
    for modern in [false, true] {
        let doc = intake(&portal_pdf(4, modern)).expect("intake");
        assert_eq!(doc.get_pages().len(), 4);
    }
}

#[test]
fn empty_non_pdf_and_oversized_inputs_are_refused() {
    assert_eq!(intake(b"").unwrap_err(), EspaError::Empty);
    assert_eq!(
        intake(b"PK\x03\x04 this is a zip").unwrap_err(),
        EspaError::NotPdf
    );
    let mut huge = portal_pdf(1, false);
    huge.resize(MAX_PORTAL_PDF_BYTES + 1, b' ');
    assert_eq!(
        intake(&huge).unwrap_err(),
        EspaError::TooLarge {
            len: MAX_PORTAL_PDF_BYTES + 1,
            max: MAX_PORTAL_PDF_BYTES
        }
    );
}

#[test]
fn a_header_without_a_body_is_corrupt() {
    assert!(matches!(
        intake(b"%PDF-1.7\n%%EOF\n"),
        Err(EspaError::Corrupt(_))
    ));
}

#[test]
fn a_pdf_without_pages_is_refused() {
    let mut doc = lopdf::Document::with_version("1.7");
    let pages = doc.add_object(lopdf::dictionary! { "Type" => "Pages", "Kids" => Vec::<lopdf::Object>::new(), "Count" => 0 });
    let catalog = doc.add_object(lopdf::dictionary! { "Type" => "Catalog", "Pages" => pages });
    doc.trailer.set("Root", catalog);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    assert_eq!(intake(&bytes).unwrap_err(), EspaError::NoPages);
}

#[test]
fn an_encrypted_pdf_is_refused() {
    let mut doc = lopdf::Document::load_mem(&portal_pdf(1, false)).unwrap();
    let id = lopdf::Object::string_literal("0123456789abcdef");
    doc.trailer.set("ID", vec![id.clone(), id]);
    let state = lopdf::EncryptionState::try_from(lopdf::EncryptionVersion::V2 {
        document: &doc,
        owner_password: "owner",
        user_password: "user",
        key_length: 128,
        permissions: lopdf::Permissions::all(),
    })
    .unwrap();
    doc.encrypt(&state).unwrap();
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    assert!(contains(&bytes, b"/Encrypt"));
    assert_eq!(intake(&bytes).unwrap_err(), EspaError::Encrypted);
}

/// Truncations and byte garbling of valid files: every outcome is Ok or a typed error.
#[test]
fn truncated_and_garbled_pdfs_never_panic() {
    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    let slots = EspaDocument::example().signature_slots();
    let mut accepted = Vec::new();
    for modern in [false, true] {
        let good = portal_pdf(3, modern);
        let mut variants: Vec<Vec<u8>> = Vec::new();
        for cut in (0..good.len()).step_by(good.len() / 60 + 1) {
            variants.push(good[..cut].to_vec());
        }
        // deterministic garbling: overwrite a byte at positions spread over the file
        let mut state: u32 = 0x1234_5678;
        for _ in 0..200 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let mut bad = good.clone();
            let at = state as usize % bad.len();
            bad[at] = (state >> 8) as u8;
            variants.push(bad);
        }
        for v in variants {
            let result = std::panic::catch_unwind(|| intake(&v).map(|d| d.get_pages().len()));
            let key = match result {
                Err(_) => panic!("intake panicked on a variant of {} bytes", v.len()),
                Ok(Ok(_)) => {
                    accepted.push(v.clone());
                    "ok".to_string()
                }
                Ok(Err(e)) => format!("{e:?}")
                    .split(['(', ' '])
                    .next()
                    .unwrap_or("")
                    .to_string(),
            };
            *outcomes.entry(key).or_default() += 1;
        }
    }
    // Accepted damaged files also go through the whole first revision (a sample: each
    // one renders a signature page).
    for v in accepted.iter().step_by(accepted.len() / 12 + 1) {
        let result = std::panic::catch_unwind(|| {
            first_revision(Base::Portal(v.clone()), &slots, "HIMS-1").map(|pdf| pdf.len())
        });
        assert!(result.is_ok(), "first_revision panicked on a damaged PDF");
    }
    assert!(
        outcomes.get("Corrupt").copied().unwrap_or(0) > 0,
        "{outcomes:?}"
    );
    assert!(outcomes.get("ok").copied().unwrap_or(0) > 0, "{outcomes:?}");
}

#[test]
fn a_portal_pdf_that_is_already_signed_is_refused() {
    use lopdf::{Object, dictionary};
    let mut doc = lopdf::Document::load_mem(&portal_pdf(1, false)).unwrap();
    let sig_value = doc.add_object(dictionary! { "Type" => "Sig", "Filter" => "Adobe.PPKLite" });
    let field = doc.add_object(
        dictionary! { "FT" => "Sig", "T" => Object::string_literal("old"), "V" => sig_value },
    );
    let form =
        doc.add_object(dictionary! { "Fields" => vec![Object::Reference(field)], "SigFlags" => 3 });
    doc.catalog_mut().unwrap().set("AcroForm", form);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    let slots = EspaDocument::example().signature_slots();
    assert_eq!(
        first_revision(Base::Portal(bytes), &slots, "HIMS-1"),
        Err(EspaError::AlreadySigned)
    );
}

#[test]
fn a_portal_form_keeps_its_fields_and_refuses_a_clashing_name() {
    use lopdf::{Object, dictionary};
    let mut doc = lopdf::Document::load_mem(&portal_pdf(1, false)).unwrap();
    let field =
        doc.add_object(dictionary! { "FT" => "Tx", "T" => Object::string_literal("sig_pemaju") });
    let form = doc.add_object(dictionary! { "Fields" => vec![Object::Reference(field)] });
    doc.catalog_mut().unwrap().set("AcroForm", form);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    let mut slots = EspaDocument::example().signature_slots();
    assert!(matches!(
        first_revision(Base::Portal(bytes.clone()), &slots, "HIMS-1"),
        Err(EspaError::BadSlot(_))
    ));
    slots[2].field_name = "sig_pemaju_2".into();
    let pdf = first_revision(Base::Portal(bytes), &slots, "HIMS-1").expect("first revision");
    let out = lopdf::Document::load_mem(&pdf).unwrap();
    let form_id = out
        .catalog()
        .unwrap()
        .get(b"AcroForm")
        .and_then(Object::as_reference)
        .unwrap();
    let fields = out
        .get_dictionary(form_id)
        .unwrap()
        .get(b"Fields")
        .and_then(Object::as_array)
        .unwrap();
    assert_eq!(
        fields.len(),
        4,
        "the portal's text field and three signature fields"
    );
}

/// Issue 13 (1): the portal's PDF intake has the same decoding budget as `POST /verify`.
#[test]
fn a_decompression_bomb_is_too_complex() {
    let gib = 1024 * 1024 * 1024;
    for pdf in [
        hims_pdf::bombs::object_stream_bomb(gib),
        hims_pdf::bombs::xref_stream_bomb(gib, 1),
        hims_pdf::bombs::xref_stream_bomb(8 * 1024 * 1024, 40),
    ] {
        let mut budget = hims_pdf::Budget::default();
        let refused = hims_espa::intake_with_budget(&pdf, &mut budget).unwrap_err();
        assert_eq!(refused, EspaError::TooComplex);
        assert!(budget.decoded() <= hims_pdf::REQUEST_LIMIT);
    }
}
