//! The signer's drawn signature (`signature_png` of `POST /v1/signer/sign`):
//! decoded and checked as the app does on receipt, then embedded by signing.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(image) = hims_pdf::SignatureImage::from_png(data) else {
        return;
    };
    let (width, height) = (image.width(), image.height());
    assert!((20..=2000).contains(&width) && (10..=1000).contains(&height));
    // An image the check accepts must sign: signing embeds its deflated planes.
    let pki = hims_fuzz::pki();
    let field = &hims_fuzz::slots()[0].field_name;
    let signed = pki
        .sign(hims_fuzz::first_revision(), field, image)
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
