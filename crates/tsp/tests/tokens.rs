//! Tokens made by this crate, checked by this crate and by `openssl ts`.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use hims_pki::{
    Certificate, LeafRequest, LeafSubject, TsaRequest, certificate_to_der, certificate_to_pem,
    prepare_ca_certificate, prepare_leaf_certificate, prepare_tsa_certificate,
};
use hims_tsp::{
    Accuracy, FailureInfo, PkiStatus, TimeStampResp, TokenParams, TspError, granted_response,
    nonce_from_random, oid, parse_request, prepare_token, rejection_response, response_token,
    timestamp_request, timestamp_request_der, token_tst_info, verify_response, verify_token,
};
use p256::ecdsa::{DerSignature, SigningKey};
use sha2::{Digest, Sha256};
use signature::Signer;
use spki::EncodePublicKey;

const CRL_URL: &str = "https://esign.example.my/crl";

fn seeded<const N: usize>(label: &str) -> [u8; N] {
    let block = Sha256::digest(label.as_bytes());
    let mut out = [0u8; N];
    out.copy_from_slice(&block[..N]);
    out
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap()
}

fn sign(key: &SigningKey, message: &[u8]) -> Vec<u8> {
    let signature: DerSignature = key.sign(message);
    signature.to_bytes().into_vec()
}

/// A CA and a TSA with soft keys standing in for KMS.
struct Pki {
    ca: Certificate,
    tsa_key: SigningKey,
    tsa: Certificate,
    ca_key: SigningKey,
}

impl Pki {
    fn new() -> Self {
        let ca_key = SigningKey::from_slice(&seeded::<32>("ca")).unwrap();
        let spki = ca_key.verifying_key().to_public_key_der().unwrap();
        let pending = prepare_ca_certificate(spki.as_bytes(), seeded("ca/serial"), now()).unwrap();
        let signature = sign(&ca_key, pending.tbs());
        let ca = pending.finish(&signature).unwrap();
        let tsa_key = SigningKey::from_slice(&seeded::<32>("tsa")).unwrap();
        let tsa_spki = tsa_key.verifying_key().to_public_key_der().unwrap();
        let pending = prepare_tsa_certificate(
            &ca,
            &TsaRequest {
                public_key_der: tsa_spki.as_bytes(),
                serial_random: seeded("tsa/serial"),
                crl_url: CRL_URL,
                now: now(),
                not_after: now() + TimeDelta::days(3 * 365),
            },
        )
        .unwrap();
        let signature = sign(&ca_key, pending.tbs());
        let tsa = pending.finish(&signature).unwrap();
        Self {
            ca,
            tsa_key,
            tsa,
            ca_key,
        }
    }

    fn params(&self, serial: &str) -> TokenParams<'_> {
        TokenParams {
            tsa_certificate: &self.tsa,
            policy: oid::DEFAULT_POLICY,
            serial_random: seeded(serial),
            gen_time: now() + TimeDelta::minutes(1),
            accuracy: Accuracy {
                seconds: Some(1),
                millis: None,
                micros: None,
            },
        }
    }

    /// The whole TSA path for a request body: a response, granted or rejected.
    fn respond(&self, body: &[u8], serial: &str) -> Vec<u8> {
        match parse_request(body, oid::DEFAULT_POLICY) {
            Err(rejection) => rejection_response(&rejection).unwrap(),
            Ok(request) => {
                let pending = prepare_token(&request, &self.params(serial)).unwrap();
                let signature = sign(&self.tsa_key, pending.signed_attributes());
                granted_response(&pending.finish(&signature).unwrap()).unwrap()
            }
        }
    }
}

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Self {
        Self(tempfile::tempdir().unwrap())
    }
    fn write(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.0.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path_str(&path)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
}

fn path_str(path: &Path) -> String {
    path.to_str().unwrap().to_owned()
}

fn openssl(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl").args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn openssl_reads_and_verifies_a_reply_to_its_own_query() {
    let pki = Pki::new();
    let dir = Dir::new();
    let data = dir.write("data.bin", b"the signature value being stamped");
    let query = path_str(&dir.path("req.tsq"));
    let (ok, out) = openssl(&[
        "ts", "-query", "-data", &data, "-sha256", "-cert", "-out", &query,
    ]);
    assert!(ok, "{out}");
    let response = pki.respond(&std::fs::read(&query).unwrap(), "serial-1");
    let reply = dir.write("resp.tsr", &response);
    let (ok, text) = openssl(&["ts", "-reply", "-in", &reply, "-text"]);
    assert!(ok, "{text}");
    for expected in [
        "Status: Granted.",
        "Policy OID: 0.4.0.2023.1.1",
        "Hash Algorithm: sha256",
        "Time stamp: Mar  2 09:31:00 2026 GMT",
        "Accuracy: 0x01 seconds",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(!text.contains("Nonce: unspecified"), "{text}");

    let ca = dir.write("ca.pem", certificate_to_pem(&pki.ca).unwrap().as_bytes());
    let tsa = dir.write("tsa.pem", certificate_to_pem(&pki.tsa).unwrap().as_bytes());
    let attime = (now() + TimeDelta::minutes(2)).timestamp().to_string();
    let verify = |reply: &str| {
        openssl(&[
            "ts",
            "-verify",
            "-queryfile",
            &query,
            "-in",
            reply,
            "-CAfile",
            &ca,
            "-untrusted",
            &tsa,
            "-attime",
            &attime,
        ])
    };
    let (ok, out) = verify(&reply);
    assert!(ok && out.contains("Verification: OK"), "{out}");

    // One byte of the signed TSTInfo changed: openssl must refuse it.
    let mut tampered = response.clone();
    let at = find(&tampered, b"20260302093100Z").expect("genTime in the reply");
    tampered[at + 13] = b'1';
    let (ok, out) = verify(&dir.write("tampered.tsr", &tampered));
    assert!(!ok, "{out}");

    // Another query (another nonce) does not match this reply.
    let other = path_str(&dir.path("other.tsq"));
    openssl(&[
        "ts", "-query", "-data", &data, "-sha256", "-cert", "-out", &other,
    ]);
    let (ok, out) = openssl(&[
        "ts",
        "-verify",
        "-queryfile",
        &other,
        "-in",
        &reply,
        "-CAfile",
        &ca,
        "-untrusted",
        &tsa,
        "-attime",
        &attime,
    ]);
    assert!(!ok, "{out}");
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn client_request_round_trips_and_the_token_says_what_was_stamped() {
    let pki = Pki::new();
    let digest: [u8; 32] = Sha256::digest(b"signature value").into();
    let nonce = nonce_from_random(seeded("nonce"));
    let body = timestamp_request_der(&digest, nonce.clone()).unwrap();
    let response = pki.respond(&body, "serial-2");
    let (token, verified) = verify_response(&response, &digest, &nonce).unwrap();
    assert_eq!(verified.gen_time, now() + TimeDelta::minutes(1));
    assert_eq!(verified.policy, oid::DEFAULT_POLICY);
    assert_eq!(verified.serial_hex, hex::encode(seeded::<16>("serial-2")));
    assert_eq!(
        verified.tsa_certificate_der,
        certificate_to_der(&pki.tsa).unwrap()
    );
    assert_eq!(token_tst_info(&token).unwrap().nonce, Some(nonce.clone()));

    // Another digest, another nonce, a flipped signature byte: each refused.
    let other: [u8; 32] = Sha256::digest(b"something else").into();
    assert!(matches!(
        verify_token(&token, &other, None),
        Err(TspError::Invalid(_))
    ));
    let other_nonce = nonce_from_random(seeded("other nonce"));
    assert!(verify_response(&response, &digest, &other_nonce).is_err());
    let mut tampered = token.clone();
    let last = tampered.len() - 3;
    tampered[last] ^= 1;
    assert!(verify_token(&tampered, &digest, None).is_err());
}

#[test]
fn serials_differ_per_token() {
    let pki = Pki::new();
    let digest = [7u8; 32];
    let request = timestamp_request(&digest, nonce_from_random(seeded("n"))).unwrap();
    let serial = |label: &str| {
        let pending = prepare_token(&request, &pki.params(label)).unwrap();
        let signature = sign(&pki.tsa_key, pending.signed_attributes());
        let token = pending.finish(&signature).unwrap();
        verify_token(&token, &digest, None).unwrap().serial_hex
    };
    assert_ne!(serial("a"), serial("b"));
}

#[test]
fn finish_refuses_a_signature_by_another_key() {
    let pki = Pki::new();
    let request = timestamp_request(&[1u8; 32], nonce_from_random(seeded("n"))).unwrap();
    let pending = prepare_token(&request, &pki.params("s")).unwrap();
    let wrong = sign(&pki.ca_key, pending.signed_attributes());
    assert!(matches!(
        pending.finish(&wrong),
        Err(TspError::BadSignature)
    ));
}

#[test]
fn without_cert_req_the_certificate_is_left_out_and_must_be_supplied() {
    let pki = Pki::new();
    let digest = [9u8; 32];
    let mut request = timestamp_request(&digest, nonce_from_random(seeded("n"))).unwrap();
    request.cert_req = false;
    let pending = prepare_token(&request, &pki.params("s")).unwrap();
    let signature = sign(&pki.tsa_key, pending.signed_attributes());
    let token = pending.finish(&signature).unwrap();
    assert!(verify_token(&token, &digest, None).is_err());
    let tsa_der = certificate_to_der(&pki.tsa).unwrap();
    verify_token(&token, &digest, Some(&tsa_der)).unwrap();
}

#[test]
fn a_certificate_without_the_timestamping_purpose_cannot_make_tokens_that_verify() {
    let pki = Pki::new();
    let key = SigningKey::from_slice(&seeded::<32>("leaf")).unwrap();
    let spki = key.verifying_key().to_public_key_der().unwrap();
    let pending = prepare_leaf_certificate(
        &pki.ca,
        &LeafRequest {
            subject: LeafSubject::System { email: None },
            public_key_der: spki.as_bytes(),
            serial_random: seeded("leaf/serial"),
            crl_url: CRL_URL,
            now: now(),
            not_after: now() + TimeDelta::days(30),
        },
    )
    .unwrap();
    let signature = sign(&pki.ca_key, pending.tbs());
    let leaf = pending.finish(&signature).unwrap();
    let digest = [3u8; 32];
    let request = timestamp_request(&digest, nonce_from_random(seeded("n"))).unwrap();
    let pending = prepare_token(
        &request,
        &TokenParams {
            tsa_certificate: &leaf,
            ..pki.params("s")
        },
    )
    .unwrap();
    let signature = sign(&key, pending.signed_attributes());
    let token = pending.finish(&signature).unwrap();
    assert!(matches!(
        verify_token(&token, &digest, None),
        Err(TspError::Invalid(_))
    ));
}

fn rejection_of(pki: &Pki, body: &[u8]) -> (PkiStatus, Option<FailureInfo>) {
    let response = pki.respond(body, "s");
    let decoded = TimeStampResp::from_der(&response).unwrap();
    let fail = match response_token(&response) {
        Err(TspError::Refused { fail_info, .. }) => fail_info,
        other => panic!("expected a refusal, got {other:?}"),
    };
    (decoded.status.status, fail)
}

#[test]
fn bad_requests_get_a_rejection_with_the_right_failure_info() {
    let pki = Pki::new();
    let good = timestamp_request(&[5u8; 32], nonce_from_random(seeded("n"))).unwrap();
    let rejected = |fail| (PkiStatus::Rejection, Some(fail));

    assert_eq!(
        rejection_of(&pki, b"not DER"),
        rejected(FailureInfo::BadDataFormat)
    );
    assert_eq!(
        rejection_of(&pki, &[]),
        rejected(FailureInfo::BadDataFormat)
    );

    let mut sha1 = good.clone();
    sha1.message_imprint.hash_algorithm.oid = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
    assert_eq!(
        rejection_of(&pki, &sha1.to_der().unwrap()),
        rejected(FailureInfo::BadAlg)
    );

    let mut short = good.clone();
    short.message_imprint.hashed_message = der::asn1::OctetString::new(vec![1u8; 20]).unwrap();
    assert_eq!(
        rejection_of(&pki, &short.to_der().unwrap()),
        rejected(FailureInfo::BadDataFormat)
    );

    let mut policy = good.clone();
    policy.req_policy = Some(ObjectIdentifier::new_unwrap("1.2.3.4"));
    assert_eq!(
        rejection_of(&pki, &policy.to_der().unwrap()),
        rejected(FailureInfo::UnacceptedPolicy)
    );
    let mut own_policy = good.clone();
    own_policy.req_policy = Some(oid::DEFAULT_POLICY);
    assert!(response_token(&pki.respond(&own_policy.to_der().unwrap(), "s")).is_ok());

    // Version 2: the version INTEGER is the SEQUENCE's first element (02 01 01).
    let mut v2 = good.to_der().unwrap();
    let at = find(&v2, &[0x02, 0x01, 0x01]).unwrap();
    v2[at + 2] = 2;
    assert_eq!(rejection_of(&pki, &v2), rejected(FailureInfo::BadRequest));

    // openssl reads our rejection and names the failure.
    let dir = Dir::new();
    let reply = dir.write("rejected.tsr", &pki.respond(&sha1.to_der().unwrap(), "s"));
    let (ok, text) = openssl(&["ts", "-reply", "-in", &reply, "-text"]);
    assert!(ok, "{text}");
    assert!(text.contains("Status: Rejected"), "{text}");
    assert!(
        text.contains("unrecognized or unsupported algorithm"),
        "{text}"
    );
}
