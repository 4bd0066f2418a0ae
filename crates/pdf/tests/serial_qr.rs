//! The serial/QR revision on a real first revision from hims-espa, then three signatures:
//! text, QR code, and that a content change after a signature is caught.

mod common;

use std::process::Command;

use chrono::{DurationRound, TimeDelta, Utc};
use common::{espa_first_revision as first, make_pki, run, tool, write_temp};
use hims_pdf::{ModificationLevel, PdfError, Trust, apply_serial, sign, verify};

const SERIAL: &str = "HIMS-20165-9-B-10-02-000123";
const URL: &str = "https://hims.example.gov.my/verify/HIMS-20165-9-B-10-02-000123";

fn now() -> chrono::DateTime<Utc> {
    Utc::now()
        .duration_trunc(TimeDelta::seconds(1))
        .expect("truncate")
}

#[test]
fn serial_qr_and_signers_are_visible_and_valid() {
    let (base, slots) = first();
    let names: Vec<&str> = slots.iter().map(|(_, n)| n.as_str()).collect();
    let pki = make_pki(&names);
    let mut pdf = apply_serial(&base, SERIAL, URL).expect("serial");
    assert!(pdf.starts_with(&base));
    for (i, (field, _)) in slots.iter().enumerate() {
        pdf = sign(&pdf, &pki.request(i, field, now())).expect("sign");
    }
    let report = verify(
        &pdf,
        &Trust {
            ca_der: pki.ca_der.clone(),
            crl_der: None,
        },
    )
    .expect("verify");
    assert_eq!(report.signatures.len(), slots.len());
    assert!(report.all_valid(), "{report:#?}");

    let dir = pki.dir.path();
    let path = write_temp(dir, "espa.pdf", &pdf);
    if let Some(keep) = std::env::var_os("HIMS_PDF_KEEP") {
        std::fs::write(keep, &pdf).expect("keep a copy for inspection");
    }
    let text = run(Command::new(tool("pdftotext")).arg(&path).arg("-"));
    assert!(text.contains(SERIAL), "serial missing from:\n{text}");
    assert!(!text.contains("______"), "provisional serial still shown");
    for name in &names {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
    run(Command::new(tool("pdftoppm"))
        .args(["-r", "150", "-png", "-f", "1", "-l", "1"])
        .arg(&path)
        .arg(dir.join("page")));
    let page = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("page"))
        })
        .expect("rendered page");
    let scanned = run(Command::new(tool("zbarimg"))
        .args(["-q", "--raw"])
        .arg(&page));
    assert_eq!(scanned.trim(), URL);
}

#[test]
fn content_change_after_a_signature_is_other() {
    let (base, slots) = first();
    let pki = make_pki(&[slots[0].1.as_str()]);
    let signed = sign(&base, &pki.request(0, &slots[0].0, now())).expect("sign");
    // Rewriting the page content streams after the signature is not form filling.
    let changed = apply_serial(&signed, SERIAL, URL).expect("serial");
    let trust = Trust {
        ca_der: pki.ca_der.clone(),
        crl_der: None,
    };
    let before = verify(&signed, &trust).expect("verify");
    assert_eq!(before.signatures[0].modification, ModificationLevel::None);
    let after = verify(&changed, &trust).expect("verify");
    assert!(after.signatures[0].intact);
    assert_eq!(after.signatures[0].modification, ModificationLevel::Other);
    assert!(!after.all_valid());
}

#[test]
fn serial_outside_the_font_is_refused() {
    let (base, _) = first();
    assert!(matches!(
        apply_serial(&base, "hims-lowercase", URL),
        Err(PdfError::BadSerial)
    ));
    assert!(matches!(
        apply_serial(b"%PDF-1.7 junk", SERIAL, URL),
        Err(PdfError::Malformed(_))
    ));
}
