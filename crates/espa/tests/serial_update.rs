//! What hims-pdf does with revision 1, done here with lopdf alone: an incremental update
//! that replaces every serial stream with the full serial (using only /HIMSLayout) and
//! draws into the QR stream. The page dictionaries are left untouched.

mod common;

use common::*;
use hims_espa::{Base, EspaDocument, first_revision};
use lopdf::{Dictionary, IncrementalDocument, Object, Stream};

const PROVISIONAL: &str = "HIMS-20165-9-B-10-02-______";
const FULL: &str = "HIMS-20165-9-B-10-02-000123/2025";

fn update_serials(rev1: &[u8], full: &str) -> Vec<u8> {
    let mut inc: IncrementalDocument = rev1.try_into().expect("load revision 1");
    let prev = inc.get_prev_documents();
    let layout = catalog_layout(prev).clone();
    let charset = layout
        .get(b"SerialCharset")
        .and_then(Object::as_str)
        .unwrap()
        .to_vec();
    let codes = layout
        .get(b"SerialCodes")
        .and_then(Object::as_str)
        .unwrap()
        .to_vec();
    let font = String::from_utf8(
        layout
            .get(b"SerialFont")
            .and_then(Object::as_name)
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    let size = layout
        .get(b"SerialFontSize")
        .and_then(Object::as_float)
        .unwrap();
    let hex: String = full
        .bytes()
        .flat_map(|c| {
            let i = charset
                .iter()
                .position(|&x| x == c)
                .expect("serial char in charset");
            codes[2 * i..2 * i + 2].to_vec()
        })
        .map(|b| format!("{b:02X}"))
        .collect();
    let streams = refs(layout.get(b"SerialStreams").unwrap());
    let origins = layout
        .get(b"SerialOrigins")
        .and_then(Object::as_array)
        .unwrap()
        .clone();
    for (id, origin) in streams.iter().zip(origins) {
        let xy = floats(&origin);
        let content = format!(
            "q 0 g BT /{font} {size} Tf {} {} Td <{hex}> Tj ET Q",
            xy[0], xy[1]
        );
        inc.new_document
            .set_object(*id, Stream::new(Dictionary::new(), content.into_bytes()));
    }
    let qr_stream = layout
        .get(b"QrStream")
        .and_then(Object::as_reference)
        .unwrap();
    let r = floats(layout.get(b"QrRect").unwrap());
    let square = format!("q 0 g {} {} 10 10 re f Q", r[0], r[1]);
    inc.new_document.set_object(
        qr_stream,
        Stream::new(Dictionary::new(), square.into_bytes()),
    );
    let mut out = Vec::new();
    inc.save_to(&mut out).expect("incremental save");
    assert!(out.starts_with(rev1), "an incremental update appends only");
    out
}

#[test]
fn the_full_serial_replaces_the_provisional_one_on_every_page() {
    for base in [
        Base::Rendered(EspaDocument::example()),
        Base::Portal(portal_pdf(2, true)),
    ] {
        let slots = EspaDocument::example().signature_slots();
        let rev1 = first_revision(base, &slots, PROVISIONAL).expect("revision 1");
        let rev2 = update_serials(&rev1, FULL);
        let pages = page_count(&rev2);
        let text = poppler("pdftotext", &[], &rev2);
        assert_eq!(text.matches(FULL).count(), pages, "{text}");
        assert!(!text.contains(PROVISIONAL));
        assert_eq!(
            signature_fields(&lopdf::Document::load_mem(&rev2).unwrap()).len(),
            slots.len()
        );
    }
}
