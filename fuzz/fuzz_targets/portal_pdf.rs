//! The portal's own PDF (`document: {pdf}` of `POST /v1/agreements`): intake,
//! then revision 1 with one empty signature field per signer, as the app builds it.
#![no_main]

use hims_esign::app::document::pdf_error;
use hims_esign::error::ErrorKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = hims_espa::intake(data) else {
        return;
    };
    assert!(
        !doc.get_pages().is_empty(),
        "intake accepted a page-less PDF"
    );
    let slots = hims_fuzz::slots();
    match hims_espa::first_revision(
        hims_espa::Base::Portal(data.to_vec()),
        &slots,
        hims_fuzz::SERIAL,
    ) {
        Ok(pdf) => {
            // What we store must load again, pass our own intake and carry every field.
            lopdf::Document::load_mem(&pdf).expect("revision 1 loads with lopdf");
            hims_espa::intake(&pdf).expect("revision 1 passes intake");
            let fields = hims_pdf::signature_fields(&pdf).expect("revision 1 fields");
            for slot in &slots {
                assert!(
                    fields
                        .iter()
                        .any(|f| f.name == slot.field_name && !f.signed),
                    "revision 1 lacks the empty field {}",
                    slot.field_name
                );
            }
        }
        // The app answers these with its own mapping: a portal's bad PDF is a 422, never a 500.
        Err(e) => {
            let shown = e.to_string();
            assert_ne!(
                pdf_error(e).kind,
                ErrorKind::Internal,
                "500 for a portal PDF: {shown}"
            );
        }
    }
});
