//! Signing and verifying in Rust alone.

mod common;

use chrono::{DurationRound, TimeDelta, Utc};
use common::{blank_pdf, make_pki, signature_png};
use hims_pdf::{
    ModificationLevel, PdfError, SignatureImage, Trust, sign, signature_fields, verify,
};

const NAMES: [&str; 4] = [
    "Nur Aisyah binti Abdullah",
    "José Ñúñez",
    "Tan Wei Ming",
    "Rajesh Kumar",
];
const FIELDS: [&str; 4] = ["purchaser1", "purchaser2", "vendor", "witness"];

fn now() -> chrono::DateTime<Utc> {
    Utc::now()
        .duration_trunc(TimeDelta::seconds(1))
        .expect("truncate")
}

fn signed_by_all(pki: &common::Pki, modern: bool) -> Vec<u8> {
    let mut pdf = blank_pdf(2, &FIELDS, modern);
    for (i, field) in FIELDS.iter().enumerate() {
        pdf = sign(&pdf, &pki.request(i, field, now())).expect("sign");
    }
    pdf
}

#[test]
fn four_signatures_all_verify() {
    let pki = make_pki(&NAMES);
    for modern in [false, true] {
        let pdf = signed_by_all(&pki, modern);
        let trust = Trust {
            ca_der: pki.ca_der.clone(),
            crl_der: Some(pki.crl(&[])),
        };
        let report = verify(&pdf, &trust).expect("verify");
        assert_eq!(report.signatures.len(), 4, "{report:?}");
        assert!(report.all_valid(), "{report:#?}");
        for (i, sig) in report.signatures.iter().enumerate() {
            assert_eq!(sig.field_name, FIELDS[i]);
            assert_eq!(sig.signer_cn.as_deref(), Some(NAMES[i]));
            assert_eq!(sig.covers_whole_file, i == 3);
            let expected = if i == 3 {
                ModificationLevel::None
            } else {
                ModificationLevel::FormFilling
            };
            assert_eq!(sig.modification, expected);
        }
        let fields = signature_fields(&pdf).expect("fields");
        assert!(fields.iter().all(|f| f.signed));
    }
}

#[test]
fn each_update_appends_to_the_exact_previous_bytes() {
    let pki = make_pki(&NAMES[..2]);
    let base = blank_pdf(1, &FIELDS[..2], false);
    let once = sign(&base, &pki.request(0, FIELDS[0], now())).expect("sign");
    assert!(once.starts_with(&base));
    let twice = sign(&once, &pki.request(1, FIELDS[1], now())).expect("sign");
    assert!(twice.starts_with(&once));
}

/// The same request gives the same bytes except the signature value: ECDSA's nonce is random.
#[test]
fn signing_is_reproducible_but_for_the_signature_value() {
    let pki = make_pki(&NAMES[..1]);
    let base = blank_pdf(1, &FIELDS[..1], false);
    let a = sign(&base, &pki.request(0, FIELDS[0], common::fixed_time(5))).expect("sign");
    let b = sign(&base, &pki.request(0, FIELDS[0], common::fixed_time(5))).expect("sign");
    let c = sign(&base, &pki.request(0, FIELDS[0], common::fixed_time(6))).expect("sign");
    assert_eq!(a.len(), b.len());
    let contents = contents_range(&a);
    assert_eq!(contents, contents_range(&b));
    let differing: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    assert!(
        !differing.is_empty(),
        "a random nonce gives another signature value"
    );
    assert!(
        differing.iter().all(|i| contents.contains(i)),
        "only /Contents differs"
    );
    assert_ne!(a[..contents.start], c[..contents.start]);
}

/// The hex string of the last signature's /Contents, from its /ByteRange.
fn contents_range(pdf: &[u8]) -> std::ops::Range<usize> {
    let text = String::from_utf8_lossy(pdf);
    let at = text.rfind("/ByteRange[").expect("byte range") + "/ByteRange[".len();
    let numbers: Vec<usize> = text[at..]
        .split(']')
        .next()
        .expect("numbers")
        .split_whitespace()
        .map(|n| n.parse().expect("number"))
        .collect();
    numbers[1]..numbers[2]
}

#[test]
fn refuses_unknown_or_signed_fields_and_wrong_keys() {
    let pki = make_pki(&NAMES[..2]);
    let base = blank_pdf(1, &FIELDS[..1], false);
    assert!(matches!(
        sign(&base, &pki.request(0, "nope", now())),
        Err(PdfError::FieldNotFound(_))
    ));
    let signed = sign(&base, &pki.request(0, FIELDS[0], now())).expect("sign");
    assert!(matches!(
        sign(&signed, &pki.request(0, FIELDS[0], now())),
        Err(PdfError::FieldAlreadySigned(_))
    ));
    let mut mismatched = pki.request(0, FIELDS[0], now());
    mismatched.pkcs8_key = zeroize::Zeroizing::new(pki.signers[1].key_pkcs8.clone());
    assert!(matches!(
        sign(&base, &mismatched),
        Err(PdfError::PrivateKey)
    ));
    assert!(matches!(
        sign(b"not a pdf", &pki.request(0, FIELDS[0], now())),
        Err(PdfError::Malformed(_))
    ));
}

#[test]
fn flipped_byte_in_any_revision_is_detected() {
    let pki = make_pki(&NAMES);
    let pdf = signed_by_all(&pki, false);
    let trust = Trust {
        ca_der: pki.ca_der.clone(),
        crl_der: None,
    };
    // Just after the start of each revision (the first object of each update), and inside
    // each signature's CMS. Flips in the zero padding after the CMS are harmless by design.
    let mut positions = vec![pdf.len() / 100];
    let mut from = 0;
    while let Some(p) = pdf[from..].windows(5).position(|w| w == b"%%EOF") {
        from += p + 5;
        if from + 30 < pdf.len() {
            positions.push(from + 30);
        }
    }
    from = 0;
    while let Some(p) = pdf[from..].windows(10).position(|w| w == b"/Contents<") {
        positions.push(from + p + 200);
        from += p + 10;
    }
    assert_eq!(positions.len(), 9);
    for at in positions {
        let mut bad = pdf.clone();
        bad[at] ^= 0x01;
        match verify(&bad, &trust) {
            Ok(report) => assert!(
                !report.all_valid(),
                "flip at {at} not detected: {report:#?}"
            ),
            Err(PdfError::Malformed(_)) => {}
            Err(e) => panic!("unexpected error {e}"),
        }
    }
}

#[test]
fn revoked_signer_is_reported() {
    let pki = make_pki(&NAMES[..2]);
    let mut pdf = blank_pdf(1, &FIELDS[..2], false);
    for (i, field) in FIELDS[..2].iter().enumerate() {
        pdf = sign(&pdf, &pki.request(i, field, now())).expect("sign");
    }
    let trust = Trust {
        ca_der: pki.ca_der.clone(),
        crl_der: Some(pki.crl(&[1])),
    };
    let report = verify(&pdf, &trust).expect("verify");
    assert!(!report.signatures[0].revoked);
    assert!(report.signatures[1].revoked);
    assert!(report.signatures.iter().all(|s| s.intact && s.trusted));
}

#[test]
fn another_ca_is_not_trusted() {
    let pki = make_pki(&NAMES[..1]);
    let other = make_pki(&[]);
    let pdf = sign(
        &blank_pdf(1, &FIELDS[..1], false),
        &pki.request(0, FIELDS[0], now()),
    )
    .expect("sign");
    let report = verify(
        &pdf,
        &Trust {
            ca_der: other.ca_der.clone(),
            crl_der: None,
        },
    )
    .expect("verify");
    assert!(report.signatures[0].intact);
    assert!(!report.signatures[0].trusted);
}

#[test]
fn png_checks() {
    let valid = SignatureImage::from_png(&signature_png(300, 100)).expect("valid");
    assert_eq!((valid.width(), valid.height()), (300, 100));
    assert!(SignatureImage::from_png(b"\x89PNG\r\n\x1a\n garbage").is_err());
    assert!(SignatureImage::from_png(&signature_png(5, 100)).is_err());
    assert!(SignatureImage::from_png(&signature_png(300, 2000)).is_err());
    assert!(SignatureImage::from_png(&vec![0u8; 300 * 1024]).is_err());
}

/// The file's SHA-256 reported with a finished signature is that of its bytes (it reuses the
/// hashing of everything before /Contents).
#[test]
fn a_finished_signature_reports_its_files_sha256() {
    use sha2::{Digest, Sha256};
    let pki = make_pki(&NAMES[..1]);
    let base = blank_pdf(2, &FIELDS[..2], true);
    let request = pki.request(0, FIELDS[0], now());
    let pending = hims_pdf::prepare_signature(&base, &request, None).expect("prepare");
    let token = pki.token(&pending.timestamp_imprint(), now());
    let signed = pending.finish_hashed(&token).expect("finish");
    assert_eq!(
        signed.sha256,
        <[u8; 32]>::from(Sha256::digest(&signed.bytes))
    );
    assert!(signed.bytes.starts_with(&base));
}
