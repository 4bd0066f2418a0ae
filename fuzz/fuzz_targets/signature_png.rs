//! The signer's drawn signature (`signature_png` of `POST /v1/signer/sign`):
//! the app's check, then the image as signing decodes and embeds it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((width, height)) = hims_pdf::validate_signature_png(data) else {
        return;
    };
    assert!((20..=2000).contains(&width) && (10..=1000).contains(&height));
    // An image the check accepts must sign: signing decodes it again and embeds it.
    let pki = hims_fuzz::pki();
    let field = &hims_fuzz::slots()[0].field_name;
    let signed = pki
        .sign(hims_fuzz::first_revision(), field, data)
        .expect("an accepted signature image signs");
    let report = hims_pdf::verify(&signed, &pki.trust()).expect("verify the signed PDF");
    assert!(
        report
            .signatures
            .iter()
            .any(|s| &s.field_name == field && s.intact && s.trusted),
        "the signature over an accepted image does not verify"
    );
});
