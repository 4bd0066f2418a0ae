//! Independent validators: pyHanko (Python API via scripts/validate_pyhanko.py) and poppler's pdfsig
//! with the CA trusted in an NSS database. Missing tools fail the test with the setup command.

mod common;

use std::path::Path;
use std::process::Command;

use chrono::{DurationRound, TimeDelta, Utc};
use common::{
    Pki, blank_pdf, make_pki, pyhanko_ltv_reports, pyhanko_reports, run, tool, write_temp,
};
use hims_pdf::sign;

const NAMES: [&str; 4] = [
    "Nur Aisyah binti Abdullah",
    "José Ñúñez",
    "Tan Wei Ming",
    "Rajesh Kumar",
];
const FIELDS: [&str; 4] = ["purchaser1", "purchaser2", "vendor", "witness"];

fn signed_by_all(pki: &Pki, modern: bool) -> Vec<u8> {
    let now = Utc::now()
        .duration_trunc(TimeDelta::seconds(1))
        .expect("truncate");
    let mut pdf = blank_pdf(2, &FIELDS, modern);
    for (i, field) in FIELDS.iter().enumerate() {
        pdf = sign(&pdf, &pki.request(i, field, now)).expect("sign");
    }
    pdf
}

#[test]
fn pyhanko_accepts_every_signature() {
    let pki = make_pki(&NAMES);
    for modern in [false, true] {
        let pdf = write_temp(pki.dir.path(), "signed.pdf", &signed_by_all(&pki, modern));
        let reports = pyhanko_reports(&pki.ca_pem, &pdf).expect("pyHanko reads the file");
        assert_eq!(reports.len(), 4, "{reports:#?}");
        for r in &reports {
            assert_eq!(r["intact"], true, "{r:#?}");
            assert_eq!(r["valid"], true, "{r:#?}");
            assert_eq!(r["trusted"], true, "{r:#?}");
            let level = r["modification"].as_str().unwrap_or_default();
            assert!(
                ["NONE", "LTA_UPDATES", "FORM_FILLING"].contains(&level),
                "{r:#?}"
            );
        }
    }
}

#[test]
fn pyhanko_sees_a_flipped_byte() {
    let pki = make_pki(&NAMES);
    let mut bytes = signed_by_all(&pki, false);
    let at = bytes.len() / 100;
    bytes[at] ^= 0x01;
    let pdf = write_temp(pki.dir.path(), "tampered.pdf", &bytes);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/validate_pyhanko.py");
    let out = Command::new(tool("python3"))
        .arg(script)
        .arg(&pki.ca_pem)
        .arg(&pdf)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    // Either pyHanko refuses the file or reports signatures that are not intact.
    let all_intact = out.status.success()
        && text
            .lines()
            .filter(|l| l.contains("\"intact\": true"))
            .count()
            == 4;
    assert!(!all_intact, "{text}");
}

/// An NSS database (for pdfsig) trusting only the test CA; its `sql:` address.
fn nss_trusting(pki: &Pki) -> String {
    let nss = pki.dir.path().join("nss");
    std::fs::create_dir_all(&nss).expect("nss dir");
    let db = format!("sql:{}", nss.display());
    run(Command::new(tool("certutil")).args(["-N", "--empty-password", "-d", &db]));
    run(Command::new(tool("certutil"))
        .args(["-A", "-n", "hims-test-ca", "-t", "CT,C,C", "-i"])
        .arg(&pki.ca_pem)
        .args(["-d", &db]));
    db
}

#[test]
fn pdfsig_trusts_every_signature() {
    let pki = make_pki(&NAMES);
    let db = nss_trusting(&pki);
    for modern in [false, true] {
        let pdf = write_temp(pki.dir.path(), "signed.pdf", &signed_by_all(&pki, modern));
        let out = Command::new(tool("pdfsig"))
            .args(["-nssdir", &db])
            .arg(&pdf)
            .output()
            .expect("pdfsig");
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(text.matches("Signature is Valid.").count(), 4, "{text}");
        assert_eq!(text.matches("Certificate is Trusted.").count(), 4, "{text}");
    }
}

/// Four B-LT signatures, then a DSS revision and a document timestamp (B-LTA).
fn b_lta_by_all(pki: &Pki, modern: bool) -> Vec<u8> {
    let now = Utc::now()
        .duration_trunc(TimeDelta::seconds(1))
        .expect("truncate");
    let crl = pki.crl(&[]);
    let mut pdf = blank_pdf(2, &FIELDS, modern);
    for (i, field) in FIELDS.iter().enumerate() {
        pdf = pki.sign_lt(&pdf, i, field, now, now, &crl);
    }
    pki.archive(&pdf, &crl, now)
}

/// Offline (no fetching, revocation required, only the CA trusted): every signature intact,
/// trusted and valid with a trusted timestamp, the document timestamp accepted, and pyHanko's
/// simulated LTA validation 15 years ahead passing.
#[test]
fn pyhanko_validates_b_lta_offline() {
    let pki = make_pki(&NAMES);
    for modern in [false, true] {
        let pdf = write_temp(pki.dir.path(), "lta.pdf", &b_lta_by_all(&pki, modern));
        let reports = pyhanko_ltv_reports(&pki.ca_pem, &pdf, 15);
        assert_eq!(reports.len(), 5, "{reports:#?}");
        for r in &reports {
            assert_eq!(r["intact"], true, "{r:#?}");
            assert_eq!(r["valid"], true, "{r:#?}");
            assert_eq!(r["trusted"], true, "{r:#?}");
            assert_eq!(r["timestamp_trusted"], true, "{r:#?}");
            let level = r["modification"].as_str().unwrap_or_default();
            assert!(
                ["NONE", "LTA_UPDATES", "FORM_FILLING"].contains(&level),
                "{r:#?}"
            );
        }
        let signatures: Vec<_> = reports
            .iter()
            .filter(|r| r["kind"] == "signature")
            .collect();
        assert_eq!(signatures.len(), 4);
        for r in signatures {
            assert_eq!(r["future_lta"], "OK", "{r:#?}");
        }
        assert_eq!(reports[4]["kind"], "doc_timestamp");
    }
    // The same check fails without the DSS: a timestamped signature alone is not enough offline.
    let base = blank_pdf(1, &FIELDS[..1], false);
    let pending = hims_pdf::prepare_signature(&base, &pki.request(0, FIELDS[0], Utc::now()), None)
        .expect("prepare");
    let token = pki.token(&pending.timestamp_imprint(), Utc::now());
    let bt = write_temp(
        pki.dir.path(),
        "bt.pdf",
        &pending.finish(&token).expect("finish"),
    );
    let reports = pyhanko_ltv_reports(&pki.ca_pem, &bt, 15);
    assert_eq!(reports.len(), 1, "{reports:#?}");
    assert_eq!(reports[0]["trusted"], false, "{reports:#?}");
    assert_ne!(reports[0]["future_lta"], "OK", "{reports:#?}");
}

#[test]
fn pdfsig_accepts_b_lta() {
    let pki = make_pki(&NAMES);
    let db = nss_trusting(&pki);
    let pdf = write_temp(pki.dir.path(), "lta.pdf", &b_lta_by_all(&pki, false));
    let out = Command::new(tool("pdfsig"))
        .args(["-nssdir", &db])
        .arg(&pdf)
        .output()
        .expect("pdfsig");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.matches("Signature is Valid.").count() >= 4, "{text}");
    assert!(!text.contains("Signature is Invalid"), "{text}");
    assert_eq!(text.matches("Certificate is Trusted.").count(), 4, "{text}");
}
