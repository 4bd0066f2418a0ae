//! `POST /v1/signer/certificate` (F2), `/ca.pem` and `/crl` through HTTP on
//! the embedded runtime: PIN policy, preconditions, the certificate profile
//! and chain (checked by openssl), the encrypted key's binding, TOTP
//! enrolment, one certificate under concurrency, and revocation on cancel.

mod support;

use std::path::Path;
use std::process::Command;

use chrono::Duration;
use http::{Method, StatusCode};
use serde_json::{Value, json};

use hims_esign::app::certificates::{
    self, PartySecrets, load_secrets, signer_key_context, totp_context,
};
use hims_esign::domain::{AgreementId, PartyId};
use hims_pki::{Certificate, CertificateInfo};
use support::{Harness, Reply};
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, CrlDistributionPoints, KeyUsage, SubjectKeyIdentifier,
};

const GOOD_PIN: &str = "Rahsia#2025";

/// The example agreement, its party ids and deadlines, and a link token per party.
struct Example {
    agreement: String,
    parties: Vec<String>,
    tokens: Vec<String>,
    view: Value,
}

async fn example(h: &Harness) -> Example {
    let view = h.create_example().await;
    let agreement = view["id"].as_str().expect("id").to_owned();
    let parties = support::party_ids(&view);
    let tokens = support::link_tokens(h, &view).await;
    Example {
        agreement,
        parties,
        tokens,
        view,
    }
}

async fn approve(h: &Harness, ex: &Example, index: usize) {
    let reply = h.ekyc(&ex.agreement, &ex.parties[index], "approved").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
}

fn form(pin: &str, confirm: &str) -> Value {
    json!({
        "address": "No. 12, Jalan Parkland 3, Taman Parkland",
        "postcode": "43000",
        "nationality": "MY",
        "pin": pin,
        "pin_confirm": confirm,
    })
}

async fn post_certificate(h: &Harness, token: &str, body: &Value) -> Reply {
    let auth = format!("Bearer {token}");
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    h.call(
        Method::POST,
        "/v1/signer/certificate",
        &headers,
        body.to_string(),
    )
    .await
}

async fn issue_ok(h: &Harness, token: &str) -> Value {
    let reply = post_certificate(h, token, &form(GOOD_PIN, GOOD_PIN)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    // Issue 13 (8): the answer holds the TOTP secret.
    assert_eq!(
        support::header(&reply.headers, http::header::CACHE_CONTROL),
        Some("no-store")
    );
    let session = h.signer(Method::GET, "/v1/signer/session", token).await;
    assert_eq!(session.status, StatusCode::OK, "{}", session.text());
    assert_eq!(
        support::header(&session.headers, http::header::CACHE_CONTROL),
        Some("no-store")
    );
    reply.json
}

async fn secrets(h: &Harness, ex: &Example, index: usize) -> Option<PartySecrets> {
    let store = h.runtime.app.ports.store.as_ref();
    let agreement = AgreementId(ex.agreement.clone());
    let party = PartyId(ex.parties[index].clone());
    load_secrets(store, &agreement, &party)
        .await
        .expect("load secrets")
        .map(|(secrets, _)| secrets)
}

async fn get(h: &Harness, path: &str) -> Reply {
    let reply = h
        .call(Method::GET, path, &[], axum::body::Body::empty())
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text());
    reply
}

fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "openssl {args:?}: {text}");
    text
}

#[tokio::test]
async fn every_pin_rule_and_section_a_problem_has_its_own_code() {
    let h = Harness::new();
    let ex = example(&h).await;
    approve(&h, &ex, 0).await;
    let token = &ex.tokens[0];

    let pin_cases: &[(&str, &str, &str, &[&str])] = &[
        ("Ab#1efg", "Ab#1efg", "pin_policy", &["pin_too_short"]),
        (
            "Abcdefgh#12345678",
            "Abcdefgh#12345678",
            "pin_policy",
            &["pin_too_long"],
        ),
        (
            "rahsia#2025",
            "rahsia#2025",
            "pin_policy",
            &["pin_no_uppercase"],
        ),
        (
            "RAHSIA#2025",
            "RAHSIA#2025",
            "pin_policy",
            &["pin_no_lowercase"],
        ),
        ("Rahsia2025", "Rahsia2025", "pin_policy", &["pin_no_symbol"]),
        (
            "abc",
            "abc",
            "pin_policy",
            &["pin_too_short", "pin_no_uppercase", "pin_no_symbol"],
        ),
        (
            "",
            "",
            "pin_policy",
            &[
                "pin_too_short",
                "pin_no_uppercase",
                "pin_no_lowercase",
                "pin_no_symbol",
            ],
        ),
        (GOOD_PIN, "Rahsia#2026", "pin_mismatch", &[]),
        (GOOD_PIN, "", "pin_mismatch", &[]),
    ];
    for (pin, confirm, code, rules) in pin_cases {
        let reply = post_certificate(&h, token, &form(pin, confirm)).await;
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, code);
        let got: Vec<&str> = reply.json["error"]["rules"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert_eq!(&got, rules, "pin case {pin:?}");
        let explained = reply.json["error"]["rule_messages"].as_array();
        assert_eq!(explained.map_or(0, Vec::len), rules.len());
        for m in explained.into_iter().flatten() {
            let (ms, en) = (m["message_ms"].as_str(), m["message"].as_str());
            assert!(ms.is_some() && en.is_some() && ms != en, "{m}");
        }
        assert!(
            !reply.text().contains(pin) || pin.len() < 4,
            "the PIN is echoed"
        );
    }

    /// (field, bad value, expected `(field, code)` errors)
    type FieldCase<'a> = (&'a str, Value, &'a [(&'a str, &'a str)]);
    let field_cases: &[FieldCase] = &[
        ("address", json!("  "), &[("address", "address_required")]),
        (
            "address",
            json!("x".repeat(201)),
            &[("address", "address_too_long")],
        ),
        (
            "postcode",
            json!("4300"),
            &[("postcode", "postcode_invalid")],
        ),
        (
            "postcode",
            json!("43OOO"),
            &[("postcode", "postcode_invalid")],
        ),
        (
            "nationality",
            json!("XX"),
            &[("nationality", "nationality_invalid")],
        ),
        (
            "nationality",
            json!("Malaysia"),
            &[("nationality", "nationality_invalid")],
        ),
    ];
    for (field, value, expected) in field_cases {
        let mut body = form(GOOD_PIN, GOOD_PIN);
        body[*field] = value.clone();
        let reply = post_certificate(&h, token, &body).await;
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let got: Vec<(&str, &str)> = reply.json["error"]["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|f| {
                (
                    f["field"].as_str().unwrap_or(""),
                    f["code"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(&got, expected);
    }
    assert!(
        secrets(&h, &ex, 0).await.is_none(),
        "a refused request stored secrets"
    );

    // A 200-character address and a lower-case country code are fine.
    let mut body = form(GOOD_PIN, GOOD_PIN);
    body["address"] = json!("a".repeat(200));
    body["nationality"] = json!("my");
    let reply = post_certificate(&h, token, &body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let stored = secrets(&h, &ex, 0).await.expect("secrets");
    assert_eq!(stored.section_a.nationality, "MY");
    assert!(
        stored
            .pin_hash
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
    );
    assert!(!stored.pin_hash.contains(GOOD_PIN));
}

#[tokio::test]
async fn no_certificate_before_ekyc_approval_or_before_the_turn() {
    let h = Harness::new();
    let ex = example(&h).await;
    let good = form(GOOD_PIN, GOOD_PIN);

    post_certificate(&h, &ex.tokens[0], &good)
        .await
        .assert_error(StatusCode::CONFLICT, "ekyc_not_approved");
    let rejected = h.ekyc(&ex.agreement, &ex.parties[0], "rejected").await;
    assert_eq!(rejected.status, StatusCode::OK);
    post_certificate(&h, &ex.tokens[0], &good)
        .await
        .assert_error(StatusCode::CONFLICT, "ekyc_not_approved");

    // The second purchaser is approved but waits for the first to sign.
    approve(&h, &ex, 1).await;
    post_certificate(&h, &ex.tokens[1], &good)
        .await
        .assert_error(StatusCode::CONFLICT, "not_your_turn");
    // Preconditions come before the form: a bad PIN still says whose turn it is.
    post_certificate(&h, &ex.tokens[1], &form("x", "y"))
        .await
        .assert_error(StatusCode::CONFLICT, "not_your_turn");
    // The witness reviews; it never gets a certificate.
    approve(&h, &ex, 3).await;
    post_certificate(&h, &ex.tokens[3], &good)
        .await
        .assert_error(StatusCode::CONFLICT, "wrong_action");
    for i in [0, 1, 3] {
        assert!(secrets(&h, &ex, i).await.is_none());
    }

    // Without a valid link nothing happens.
    post_certificate(&h, "garbage.token", &good)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "link_invalid");
}

#[tokio::test]
async fn the_certificate_chains_to_the_ca_with_the_signer_profile() {
    let h = Harness::new();
    let ex = example(&h).await;
    approve(&h, &ex, 0).await;
    let issued = issue_ok(&h, &ex.tokens[0]).await;
    assert_eq!(issued["message"], "Digital certificate generated");
    assert_eq!(issued["message_ms"], "Sijil digital berjaya dijana");

    let ca_pem = get(&h, "/ca.pem").await;
    assert_eq!(
        support::header(&ca_pem.headers, http::header::CONTENT_TYPE),
        Some("application/x-pem-file")
    );
    let leaf_pem = issued["certificate"]["pem"].as_str().expect("pem");
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("ca.pem"), &ca_pem.bytes).expect("write");
    std::fs::write(dir.path().join("leaf.pem"), leaf_pem).expect("write");
    // At the injected clock's time: the test's "now" is in the past.
    let at = h.now().timestamp().to_string();
    let verified = openssl(
        dir.path(),
        &["verify", "-attime", &at, "-CAfile", "ca.pem", "leaf.pem"],
    );
    assert!(verified.contains("leaf.pem: OK"), "{verified}");

    let ca = hims_pki::certificate_from_pem(&ca_pem.text()).expect("ca");
    let leaf = hims_pki::certificate_from_pem(leaf_pem).expect("leaf");
    hims_pki::verify_issued_by(&leaf, &ca).expect("issued by the CA");
    let ca_info = CertificateInfo::of(&ca).expect("ca info");
    assert!(ca_info.is_ca);
    assert_eq!(ca_info.common_name.as_deref(), Some("HIMS eSPA Signing CA"));

    let info = CertificateInfo::of(&leaf).expect("info");
    let party = &ex.view["parties"][0];
    assert!(!info.is_ca);
    assert_eq!(
        info.common_name.as_deref(),
        Some("Nur Aisyah binti Abdullah")
    );
    let pseudonym = info.subject_serial.clone().expect("subject serialNumber");
    assert!(
        pseudonym.len() == 21
            && pseudonym.starts_with("HIMS-")
            && pseudonym[5..]
                .bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)),
        "a keyed pseudonym: {pseudonym}"
    );
    assert_eq!(info.email.as_deref(), Some("aisyah@example.my"));
    assert_eq!(issued["certificate"]["serial"], info.serial_hex);
    assert!(info.serial_hex.len() >= 30, "a 128-bit serial");
    let deadline: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(party["deadline"].clone()).expect("deadline");
    assert_eq!(
        info.not_after,
        deadline + certificates::VALIDITY_AFTER_DEADLINE
    );
    assert!(info.is_valid_at(h.now()));

    let tbs = leaf.tbs_certificate();
    let (critical, usage) = tbs
        .get_extension::<KeyUsage>()
        .expect("ext")
        .expect("keyUsage");
    assert!(critical && usage.digital_signature() && usage.non_repudiation());
    assert!(!usage.key_cert_sign());
    let (_, aki) = tbs
        .get_extension::<AuthorityKeyIdentifier>()
        .expect("ext")
        .expect("AKI");
    let (_, ca_ski) = ca
        .tbs_certificate()
        .get_extension::<SubjectKeyIdentifier>()
        .expect("ext")
        .expect("CA SKI");
    assert_eq!(aki.key_identifier, Some(ca_ski.0));
    assert!(
        tbs.get_extension::<SubjectKeyIdentifier>()
            .expect("ext")
            .is_some()
    );
    assert_eq!(
        crl_urls(&leaf),
        vec![format!("{}/crl", support::PUBLIC_URL)]
    );

    // The party moved on and the portal sees the serial.
    let agreement = h
        .portal(
            Method::GET,
            &format!("/v1/agreements/{}", ex.agreement),
            None,
        )
        .await;
    assert_eq!(agreement.json["parties"][0]["state"], "certificate_issued");
    assert_eq!(
        agreement.json["parties"][0]["certificate_serial"],
        info.serial_hex
    );

    // Once only.
    post_certificate(&h, &ex.tokens[0], &form(GOOD_PIN, GOOD_PIN))
        .await
        .assert_error(StatusCode::CONFLICT, "certificate_exists");
}

fn crl_urls(certificate: &Certificate) -> Vec<String> {
    let (_, points) = certificate
        .tbs_certificate()
        .get_extension::<CrlDistributionPoints>()
        .expect("ext")
        .expect("CRL distribution points");
    points
        .0
        .iter()
        .filter_map(|p| match &p.distribution_point {
            Some(DistributionPointName::FullName(names)) => Some(names),
            _ => None,
        })
        .flatten()
        .filter_map(|n| match n {
            GeneralName::UniformResourceIdentifier(uri) => Some(uri.to_string()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn totp_is_enrolled_once_and_the_key_opens_only_under_its_context() {
    let h = Harness::new();
    let ex = example(&h).await;
    approve(&h, &ex, 0).await;
    let issued = issue_ok(&h, &ex.tokens[0]).await;
    let serial = issued["certificate"]["serial"].as_str().expect("serial");

    let uri = issued["totp"]["uri"].as_str().expect("uri");
    let prefix = "otpauth://totp/HIMS%20eSPA:aisyah@example.my?secret=";
    let suffix = "&issuer=HIMS%20eSPA&algorithm=SHA1&digits=6&period=30";
    assert!(uri.starts_with(prefix) && uri.ends_with(suffix), "{uri}");
    let secret_b32 = &uri[prefix.len()..uri.len() - suffix.len()];
    assert_eq!(secret_b32.len(), 32, "160 bits in base32");
    let svg = issued["totp"]["qr_svg"].as_str().expect("svg");
    assert!(svg.starts_with("<?xml") && svg.contains("<svg"));

    let session = h
        .signer(Method::GET, "/v1/signer/session", &ex.tokens[0])
        .await;
    assert_eq!(session.status, StatusCode::OK);
    assert_eq!(session.json["next"], "sign");
    assert!(
        !session.text().contains(secret_b32),
        "the TOTP secret is shown again"
    );

    let keys = h.runtime.app.ports.keys.as_ref();
    let stored = secrets(&h, &ex, 0).await.expect("secrets");
    assert_eq!(stored.certificate_serial, serial);
    let agreement = AgreementId(ex.agreement.clone());
    let party = PartyId(ex.parties[0].clone());
    let other_party = PartyId(ex.parties[1].clone());
    let other_agreement = AgreementId("agr_other".to_owned());

    let key = certificates::decrypt_signer_key(keys, &agreement, &party, &stored)
        .await
        .expect("the right context opens the key");
    let leaf =
        hims_pki::certificate_from_der(&stored.certificate_der().expect("der")).expect("leaf");
    let info = CertificateInfo::of(&leaf).expect("info");
    assert_eq!(key.public_key_der().expect("spki"), info.public_key_der);

    let key_ct = stored.signer_key_ciphertext().expect("ct");
    let wrong_contexts = [
        signer_key_context(&agreement, &other_party, serial),
        signer_key_context(&other_agreement, &party, serial),
        signer_key_context(&agreement, &party, "01"),
        totp_context(&agreement, &party),
        Default::default(),
    ];
    for context in &wrong_contexts {
        assert!(keys.decrypt(&key_ct, context).await.is_err(), "{context:?}");
    }

    let totp_ct = stored.totp_secret_ciphertext().expect("ct");
    let totp = keys
        .decrypt(&totp_ct, &totp_context(&agreement, &party))
        .await
        .expect("totp secret");
    assert_eq!(data_encoding::BASE32_NOPAD.encode(&totp), secret_b32);
    let key_context = signer_key_context(&agreement, &party, serial);
    assert!(keys.decrypt(&totp_ct, &key_context).await.is_err());
    assert!(
        keys.decrypt(&totp_ct, &totp_context(&agreement, &other_party))
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_requests_give_one_certificate() {
    let h = Harness::new();
    let ex = example(&h).await;
    approve(&h, &ex, 0).await;
    let body = form(GOOD_PIN, GOOD_PIN);
    let (a, b) = tokio::join!(
        post_certificate(&h, &ex.tokens[0], &body),
        post_certificate(&h, &ex.tokens[0], &body)
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::CREATED, StatusCode::CONFLICT],
        "{} / {}",
        a.text(),
        b.text()
    );
    let (winner, loser) = if a.status == StatusCode::CREATED {
        (a, b)
    } else {
        (b, a)
    };
    loser.assert_error(StatusCode::CONFLICT, "certificate_exists");
    let stored = secrets(&h, &ex, 0).await.expect("secrets");
    assert_eq!(
        stored.certificate_serial,
        winner.json["certificate"]["serial"]
            .as_str()
            .expect("serial")
    );
    let agreement = h
        .portal(
            Method::GET,
            &format!("/v1/agreements/{}", ex.agreement),
            None,
        )
        .await;
    assert_eq!(
        agreement.json["parties"][0]["certificate_serial"],
        stored.certificate_serial
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_uses_agree_on_one_ca() {
    let h = Harness::new();
    let (a, b) = tokio::join!(get(&h, "/ca.pem"), get(&h, "/ca.pem"));
    assert_eq!(a.bytes, b.bytes);
    assert_eq!(get(&h, "/ca.pem").await.bytes, a.bytes);
}

fn crl_number(crl: &hims_pki::CertificateList) -> u64 {
    use x509_cert::der::Decode;
    use x509_cert::der::oid::AssociatedOid;
    use x509_cert::ext::pkix::CrlNumber;
    let ext = crl
        .tbs_cert_list
        .crl_extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == <CrlNumber as AssociatedOid>::OID)
        .expect("CRL number");
    let number = CrlNumber::from_der(ext.extn_value.as_bytes()).expect("CRL number DER");
    let bytes = number.0.as_bytes();
    bytes.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b))
}

#[tokio::test]
async fn the_crl_is_signed_by_the_ca_and_lists_a_certificate_after_cancel() {
    let h = Harness::new();
    let ex = example(&h).await;
    approve(&h, &ex, 0).await;
    let issued = issue_ok(&h, &ex.tokens[0]).await;
    let serial = issued["certificate"]["serial"]
        .as_str()
        .expect("serial")
        .to_owned();
    let ca_pem = get(&h, "/ca.pem").await;
    let ca = hims_pki::certificate_from_pem(&ca_pem.text()).expect("ca");

    let first = get(&h, "/crl").await;
    assert_eq!(
        support::header(&first.headers, http::header::CONTENT_TYPE),
        Some("application/pkix-crl")
    );
    let crl = hims_pki::crl_from_der(&first.bytes).expect("CRL parses");
    hims_pki::verify_crl(&crl, &ca).expect("signed by the CA");
    assert!(hims_pki::revoked_serials(&crl).is_empty());
    let n1 = crl_number(&crl);
    // Unchanged and fresh: the same CRL again.
    assert_eq!(get(&h, "/crl").await.bytes, first.bytes);

    let cancel = h
        .portal(
            Method::POST,
            &format!("/v1/agreements/{}/cancel", ex.agreement),
            None,
        )
        .await;
    assert_eq!(cancel.status, StatusCode::OK, "{}", cancel.text());

    let second = get(&h, "/crl").await;
    let crl = hims_pki::crl_from_der(&second.bytes).expect("CRL parses");
    hims_pki::verify_crl(&crl, &ca).expect("signed by the CA");
    assert_eq!(hims_pki::revoked_serials(&crl), vec![serial.clone()]);
    let n2 = crl_number(&crl);
    assert!(n2 > n1, "CRL numbers grow: {n1} then {n2}");

    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("ca.pem"), &ca_pem.bytes).expect("write");
    std::fs::write(dir.path().join("crl.der"), &second.bytes).expect("write");
    std::fs::write(
        dir.path().join("leaf.pem"),
        issued["certificate"]["pem"].as_str().expect("pem"),
    )
    .expect("write");
    let checked = openssl(
        dir.path(),
        &[
            "crl", "-in", "crl.der", "-inform", "DER", "-CAfile", "ca.pem", "-noout",
        ],
    );
    assert!(checked.contains("verify OK"), "{checked}");
    openssl(
        dir.path(),
        &["crl", "-in", "crl.der", "-inform", "DER", "-out", "crl.pem"],
    );
    let at = h.now().timestamp().to_string();
    let revoked = Command::new("openssl")
        .args([
            "verify",
            "-attime",
            &at,
            "-crl_check",
            "-CAfile",
            "ca.pem",
            "-CRLfile",
            "crl.pem",
            "leaf.pem",
        ])
        .current_dir(dir.path())
        .output()
        .expect("openssl");
    let text = String::from_utf8_lossy(&revoked.stdout).to_string()
        + &String::from_utf8_lossy(&revoked.stderr);
    assert!(
        !revoked.status.success() && text.contains("certificate revoked"),
        "{text}"
    );
    assert!(!text.contains("expired"), "{text}");

    // Stale after half its lifetime: re-signed with a higher number, same list.
    h.advance(Duration::hours(13));
    let third = hims_pki::crl_from_der(&get(&h, "/crl").await.bytes).expect("CRL");
    assert!(crl_number(&third) > n2);
    assert_eq!(hims_pki::revoked_serials(&third), vec![serial]);
    let (this_update, _) = hims_pki::crl_validity(&third).expect("validity");
    assert_eq!(this_update.timestamp(), h.now().timestamp());
}

#[tokio::test]
async fn openapi_lists_the_certificate_routes() {
    let h = Harness::new();
    let doc = get(&h, "/openapi.json").await;
    for path in ["/v1/signer/certificate", "/v1/countries", "/ca.pem", "/crl"] {
        assert!(doc.json["paths"][path].is_object(), "{path} missing");
    }
    let countries = get(&h, "/v1/countries").await;
    assert_eq!(countries.json[0]["code"], "MY");
    assert!(countries.json.as_array().is_some_and(|c| c.len() > 200));
}

/// Issue 13 (2): the certificates travel in every revision of the PDF, so no
/// certificate, CRL or `/ca.pem` may show an ID number, with or without dashes.
#[tokio::test]
async fn no_certificate_crl_or_ca_shows_an_id_number() {
    let h = Harness::new();
    let ex = example(&h).await;
    approve(&h, &ex, 0).await;
    let issued = issue_ok(&h, &ex.tokens[0]).await;
    h.portal(
        Method::POST,
        &format!("/v1/agreements/{}/cancel", ex.agreement),
        None,
    )
    .await;
    let leaf_pem = issued["certificate"]["pem"].as_str().expect("pem");
    let leaf = hims_pki::certificate_from_pem(leaf_pem).expect("leaf");
    let crl = get(&h, "/crl").await;
    assert_eq!(
        hims_pki::crl_from_der(&crl.bytes)
            .map(|c| hims_pki::revoked_serials(&c).len())
            .ok(),
        Some(1),
        "the CRL lists the cancelled party's certificate"
    );
    let ca_pem = get(&h, "/ca.pem").await;
    let stored = secrets(&h, &ex, 0).await.expect("secrets");

    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("leaf.pem"), leaf_pem).expect("write");
    std::fs::write(dir.path().join("crl.der"), &crl.bytes).expect("write");
    let leaf_text = openssl(dir.path(), &["x509", "-in", "leaf.pem", "-noout", "-text"]);
    let crl_text = openssl(
        dir.path(),
        &["crl", "-inform", "DER", "-in", "crl.der", "-noout", "-text"],
    );
    assert!(leaf_text.contains("serialNumber = HIMS-"), "{leaf_text}");
    for (what, bytes) in [
        (
            "the leaf (DER)",
            hims_pki::certificate_to_der(&leaf).expect("der"),
        ),
        ("the leaf (PEM)", leaf_pem.as_bytes().to_vec()),
        ("the leaf (text)", leaf_text.into_bytes()),
        ("the stored leaf", stored.certificate_der().expect("der")),
        ("the CRL", crl.bytes.to_vec()),
        ("the CRL (text)", crl_text.into_bytes()),
        ("/ca.pem", ca_pem.bytes.to_vec()),
    ] {
        support::assert_no_ic_number(&bytes, what);
    }

    // Keyed, stable per person, different between people.
    let keys = h.runtime.app.ports.keys.as_ref();
    let loaded = hims_esign::app::repo::load(
        h.runtime.app.ports.store.as_ref(),
        &AgreementId(ex.agreement.clone()),
    )
    .await
    .expect("agreement");
    let parties = &loaded.record.agreement.parties;
    let mut seen = std::collections::BTreeSet::new();
    for party in parties {
        let pseudonym = certificates::subject_pseudonym(keys, party)
            .await
            .expect("mac");
        assert_eq!(
            pseudonym,
            certificates::subject_pseudonym(keys, party)
                .await
                .expect("mac")
        );
        support::assert_no_ic_number(pseudonym.as_bytes(), "a pseudonym");
        seen.insert(pseudonym);
    }
    assert_eq!(seen.len(), parties.len());
    let first = parties
        .iter()
        .find(|p| p.id.0 == ex.parties[0])
        .expect("party");
    assert_eq!(
        CertificateInfo::of(&leaf).expect("info").subject_serial,
        Some(
            certificates::subject_pseudonym(keys, first)
                .await
                .expect("mac")
        )
    );
}
