//! PAdES B-T, B-LT and B-LTA: signatures with their timestamp and DSS, document timestamps,
//! and each bad case the verifier must report.

mod common;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use common::{Pki, blank_pdf, make_pki};
use hims_pdf::{
    ModificationLevel, PadesLevel, PdfError, Trust, ValidationData, VerifyOptions,
    prepare_document_timestamp, prepare_signature, sign, verify, verify_with,
};
use lopdf::{Document, Object};

const NAMES: [&str; 2] = ["Nur Aisyah binti Abdullah", "Tan Wei Ming"];
const FIELDS: [&str; 2] = ["purchaser1", "vendor"];

fn now() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(TimeDelta::seconds(1))
        .expect("truncate")
}

fn trust(pki: &Pki) -> Trust {
    Trust {
        ca_der: pki.ca_der.clone(),
        crl_der: None,
    }
}

/// Both fields signed at B-LT with `crl` in each revision's DSS.
fn signed_lt(pki: &Pki, crl: &[u8]) -> Vec<u8> {
    let mut pdf = blank_pdf(1, &FIELDS, false);
    for (i, field) in FIELDS.iter().enumerate() {
        pdf = pki.sign_lt(&pdf, i, field, now(), now(), crl);
    }
    pdf
}

fn dss_counts(pdf: &[u8]) -> (usize, usize) {
    let doc = Document::load_mem(pdf).expect("load");
    let catalog = doc.catalog().expect("catalog");
    let dss_id = catalog
        .get(b"DSS")
        .and_then(Object::as_reference)
        .expect("DSS");
    let dss = doc
        .get_object(dss_id)
        .and_then(Object::as_dict)
        .expect("dict");
    let len = |key: &[u8]| dss.get(key).and_then(Object::as_array).map_or(0, Vec::len);
    (len(b"Certs"), len(b"CRLs"))
}

#[test]
fn b_lt_signatures_then_a_document_timestamp_reach_b_lta() {
    let pki = make_pki(&NAMES);
    let crl = pki.crl(&[]);
    let pdf = signed_lt(&pki, &crl);
    // Signer 0, CA, TSA, then signer 1: merged, never duplicated; one CRL.
    assert_eq!(dss_counts(&pdf), (4, 1));
    let report = verify(&pdf, &trust(&pki)).expect("verify");
    assert!(report.all_valid(), "{report:#?}");
    assert!(report.document_timestamps.is_empty());
    for (i, s) in report.signatures.iter().enumerate() {
        assert_eq!(s.long_term.level, PadesLevel::BLT, "{s:#?}");
        let ts = s.long_term.timestamp.as_ref().expect("timestamp");
        assert!(ts.valid(), "{ts:#?}");
        assert_eq!(ts.tsa_name.as_deref(), Some("HIMS Test TSA"));
        assert!(s.long_term.validates_offline, "{s:#?}");
        // The later revision added a signature and changed the DSS: form filling only.
        let expected = if i == 0 {
            ModificationLevel::FormFilling
        } else {
            ModificationLevel::None
        };
        assert_eq!(s.modification, expected);
    }

    let archived = pki.archive(&pdf, &crl, now());
    assert!(archived.starts_with(&pdf));
    let report = verify(&archived, &trust(&pki)).expect("verify");
    assert!(report.all_valid(), "{report:#?}");
    assert_eq!(report.document_timestamps.len(), 1);
    let dts = &report.document_timestamps[0];
    assert!(dts.valid() && dts.covers_whole_file, "{dts:#?}");
    assert_eq!(dts.field_name, "DocTimeStamp1");
    for s in &report.signatures {
        assert_eq!(s.long_term.level, PadesLevel::BLTA, "{s:#?}");
        assert_eq!(s.modification, ModificationLevel::FormFilling);
    }

    // Re-timestamping (the archive step) adds a second document timestamp after a new DSS.
    let again = pki.archive(&archived, &pki.crl(&[]), now());
    let report = verify(&again, &trust(&pki)).expect("verify");
    assert!(report.all_valid(), "{report:#?}");
    assert_eq!(report.document_timestamps.len(), 2);
    assert_eq!(
        report.document_timestamps[0].modification,
        ModificationLevel::FormFilling
    );
}

#[test]
fn plain_sign_stays_b_b_and_a_token_over_other_data_is_refused() {
    let pki = make_pki(&NAMES[..1]);
    let base = blank_pdf(1, &FIELDS[..1], false);
    let pdf = sign(&base, &pki.request(0, FIELDS[0], now())).expect("sign");
    let report = verify(&pdf, &trust(&pki)).expect("verify");
    assert!(report.all_valid(), "{report:#?}");
    assert_eq!(report.signatures[0].long_term.level, PadesLevel::BB);
    assert!(report.signatures[0].long_term.timestamp.is_none());

    let pending =
        prepare_signature(&base, &pki.request(0, FIELDS[0], now()), None).expect("prepare");
    let wrong = pki.token(&[9; 32], now());
    assert!(matches!(
        pending.finish(&wrong),
        Err(PdfError::Timestamp(_))
    ));
    let pending = prepare_document_timestamp(&pdf).expect("prepare");
    assert!(matches!(
        pending.finish(&wrong),
        Err(PdfError::Timestamp(_))
    ));
}

#[test]
fn a_tampered_timestamp_token_is_reported() {
    let pki = make_pki(&NAMES[..1]);
    let crl = pki.crl(&[]);
    let base = blank_pdf(1, &FIELDS[..1], false);
    let pending = prepare_signature(
        &base,
        &pki.request(0, FIELDS[0], now()),
        Some(&pki.validation_data(0, &crl)),
    )
    .expect("prepare");
    let mut token = pki.token(&pending.timestamp_imprint(), now());
    // The last bytes are the TSA's ECDSA signature: the token still parses, it no longer verifies.
    let last = token.len() - 3;
    token[last] ^= 0x01;
    let pdf = pending.finish(&token).expect("finish");
    let report = verify(&pdf, &trust(&pki)).expect("verify");
    let s = &report.signatures[0];
    assert!(s.intact, "the CMS signature itself is untouched");
    let ts = s.long_term.timestamp.as_ref().expect("timestamp");
    assert!(!ts.intact, "{ts:#?}");
    assert!(!s.long_term.validates_offline);
    assert!(!report.all_valid());
}

#[test]
fn a_tsa_not_chained_to_our_ca_is_reported() {
    let pki = make_pki(&NAMES[..1]);
    let other = make_pki(&["Someone Else"]);
    let crl = pki.crl(&[]);
    let base = blank_pdf(1, &FIELDS[..1], false);
    let pending = prepare_signature(
        &base,
        &pki.request(0, FIELDS[0], now()),
        Some(&pki.validation_data(0, &crl)),
    )
    .expect("prepare");
    let token = other.token(&pending.timestamp_imprint(), now());
    let pdf = pending.finish(&token).expect("finish");
    let report = verify(&pdf, &trust(&pki)).expect("verify");
    let ts = report.signatures[0]
        .long_term
        .timestamp
        .as_ref()
        .expect("timestamp");
    assert!(ts.intact && !ts.trusted, "{ts:#?}");
    assert!(!report.all_valid());
}

#[test]
fn a_timestamp_well_before_the_claimed_signing_time_is_reported() {
    let pki = make_pki(&NAMES[..1]);
    let crl = pki.crl(&[]);
    let base = blank_pdf(1, &FIELDS[..1], false);
    // Certificates are issued "now": sign a little later so every time is within them.
    let at = now() + TimeDelta::minutes(15);
    let early = pki.sign_lt(&base, 0, FIELDS[0], at, at - TimeDelta::minutes(10), &crl);
    let report = verify(&early, &trust(&pki)).expect("verify");
    assert!(report.signatures[0].long_term.timestamp_before_signing_time);
    assert!(!report.all_valid());
    // Within the tolerance: clocks differ a little.
    let close = pki.sign_lt(&base, 0, FIELDS[0], at, at - TimeDelta::minutes(2), &crl);
    let report = verify(&close, &trust(&pki)).expect("verify");
    assert!(!report.signatures[0].long_term.timestamp_before_signing_time);
    assert!(report.all_valid(), "{report:#?}");
}

#[test]
fn a_dss_crl_listing_the_signer_is_reported() {
    let pki = make_pki(&NAMES[..1]);
    let revoked = pki.crl(&[0]);
    let base = blank_pdf(1, &FIELDS[..1], false);
    let pdf = pki.sign_lt(&base, 0, FIELDS[0], now(), now(), &revoked);
    let report = verify(&pdf, &trust(&pki)).expect("verify");
    let lt = &report.signatures[0].long_term;
    assert!(lt.revoked_in_dss && !lt.validates_offline, "{lt:#?}");
    assert!(!report.all_valid());
}

#[test]
fn validity_as_of_a_later_date_rests_on_the_timestamps() {
    let pki = make_pki(&NAMES[..1]);
    let crl = pki.crl(&[]);
    let base = blank_pdf(1, &FIELDS[..1], false);
    let lta = pki.archive(
        &pki.sign_lt(&base, 0, FIELDS[0], now(), now(), &crl),
        &crl,
        now(),
    );
    let b_b = sign(&base, &pki.request(0, FIELDS[0], now())).expect("sign");
    // The signer's certificate (1 year) has expired; the TSA's (10 years) has not.
    let in_two_years = VerifyOptions {
        as_of: Some(now() + TimeDelta::days(2 * 365)),
    };
    let report = verify_with(&lta, &trust(&pki), &in_two_years).expect("verify");
    assert_eq!(
        report.signatures[0].long_term.valid_as_of,
        Some(true),
        "{report:#?}"
    );
    let report = verify_with(&b_b, &trust(&pki), &in_two_years).expect("verify");
    assert_eq!(report.signatures[0].long_term.valid_as_of, Some(false));
    // Past the TSA certificate with no later document timestamp: no longer provable.
    let in_eleven_years = VerifyOptions {
        as_of: Some(now() + TimeDelta::days(11 * 365)),
    };
    let report = verify_with(&lta, &trust(&pki), &in_eleven_years).expect("verify");
    assert_eq!(report.signatures[0].long_term.valid_as_of, Some(false));
    assert!(!report.all_valid());
}

#[test]
fn validation_data_is_optional_and_empty_data_adds_no_dss() {
    let pki = make_pki(&NAMES[..1]);
    let base = blank_pdf(1, &FIELDS[..1], true);
    let pending = prepare_signature(
        &base,
        &pki.request(0, FIELDS[0], now()),
        Some(&ValidationData::default()),
    )
    .expect("prepare");
    let token = pki.token(&pending.timestamp_imprint(), now());
    let pdf = pending.finish(&token).expect("finish");
    let doc = Document::load_mem(&pdf).expect("load");
    assert!(doc.catalog().expect("catalog").get(b"DSS").is_err());
    let report = verify(&pdf, &trust(&pki)).expect("verify");
    assert_eq!(report.signatures[0].long_term.level, PadesLevel::BT);
    assert!(!report.signatures[0].long_term.validates_offline);
    assert!(report.all_valid(), "{report:#?}");
}
