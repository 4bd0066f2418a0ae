//! The signing ceremony through HTTP for tests: the example agreement with
//! every eKYC approved, link tokens, certificates, activations (issued
//! directly, as `/v1/signer/authorize` would) and signatures.

#![allow(dead_code)]

use base64::Engine;
use http::{Method, StatusCode};
use serde_json::{Value, json};

use hims_esign::app::activation::{self, Factor};
use hims_esign::app::stroke::stroke_png;
use hims_esign::domain::{AgreementId, PartyId};

use crate::support::{self, Harness, Reply};

pub const PIN: &str = "Rahsia#2025";
pub const FIRST: usize = 0;
pub const SECOND: usize = 1;
pub const DEVELOPER: usize = 2;
pub const WITNESS: usize = 3;

pub struct Ceremony {
    pub agreement: String,
    pub parties: Vec<String>,
    pub tokens: Vec<String>,
}

/// The example agreement, every party's eKYC approved.
pub async fn start(h: &Harness) -> Ceremony {
    start_with(h, &support::example_request(h.now())).await
}

/// The agreement `request` creates, every party's eKYC approved.
pub async fn start_with(h: &Harness, request: &Value) -> Ceremony {
    let reply = h.create(request, None).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let view = reply.json;
    let agreement = view["id"].as_str().expect("id").to_owned();
    let parties = support::party_ids(&view);
    let tokens = support::link_tokens(h, &view).await;
    for party in &parties {
        let reply = h.ekyc(&agreement, party, "approved").await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    }
    Ceremony {
        agreement,
        parties,
        tokens,
    }
}

pub async fn post_json(h: &Harness, path: &str, token: &str, body: &Value) -> Reply {
    let auth = format!("Bearer {token}");
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    h.call(Method::POST, path, &headers, body.to_string()).await
}

/// F2: the party's certificate (and PIN).
pub async fn certificate(h: &Harness, c: &Ceremony, party: usize) -> Value {
    let body = json!({
        "address": "No. 12, Jalan Parkland 3, Taman Parkland",
        "postcode": "43000",
        "nationality": "MY",
        "pin": PIN,
        "pin_confirm": PIN,
    });
    let reply = post_json(h, "/v1/signer/certificate", &c.tokens[party], &body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json
}

/// `GET /v1/signer/document`: the bytes and their `X-Document-SHA256`.
pub async fn document(h: &Harness, token: &str) -> (Vec<u8>, String) {
    let reply = h.signer(Method::GET, "/v1/signer/document", token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let sha = support::header(
        &reply.headers,
        http::HeaderName::from_static("x-document-sha256"),
    )
    .expect("hash header")
    .to_owned();
    (reply.bytes, sha)
}

pub async fn activation(h: &Harness, c: &Ceremony, party: usize, sha: &str) -> String {
    activation::issue(
        &h.runtime.app,
        &AgreementId(c.agreement.clone()),
        &PartyId(c.parties[party].clone()),
        sha,
        Factor::Totp,
    )
    .await
    .expect("activation")
    .0
}

/// A small drawn signature.
pub fn signature_png() -> Vec<u8> {
    let stroke: &[(f32, f32)] = &[(10.0, 40.0), (40.0, 10.0), (70.0, 45.0), (110.0, 15.0)];
    stroke_png(140, 60, &[stroke]).expect("png")
}

pub fn sign_body(activation: &str, sha: &str) -> Value {
    json!({
        "activation": activation,
        "document_sha256": sha,
        "consent": true,
        "signature_png_base64": base64::engine::general_purpose::STANDARD.encode(signature_png()),
    })
}

pub async fn sign(h: &Harness, token: &str, body: &Value) -> Reply {
    post_json(h, "/v1/signer/sign", token, body).await
}

/// Document, activation and signature for one party with a certificate; returns the sign reply.
pub async fn sign_as(h: &Harness, c: &Ceremony, party: usize) -> Reply {
    let (_, sha) = document(h, &c.tokens[party]).await;
    let activation = activation(h, c, party, &sha).await;
    let reply = sign(h, &c.tokens[party], &sign_body(&activation, &sha)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply
}

pub async fn review(h: &Harness, c: &Ceremony, party: usize, body: &Value) -> Reply {
    post_json(h, "/v1/signer/review", &c.tokens[party], body).await
}

/// The three signers in turn, then the witness confirms.
pub async fn complete(h: &Harness, c: &Ceremony) {
    for party in [FIRST, SECOND, DEVELOPER] {
        certificate(h, c, party).await;
        sign_as(h, c, party).await;
    }
    let reply = review(h, c, WITNESS, &json!({"action": "confirm"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
}

/// The CA certificate and current CRL, as a verifier gets them.
pub async fn trust(h: &Harness) -> hims_pdf::Trust {
    let ca = h
        .call(Method::GET, "/ca.pem", &[], axum::body::Body::empty())
        .await;
    let crl = h
        .call(Method::GET, "/crl", &[], axum::body::Body::empty())
        .await;
    let pem = ca.text();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    hims_pdf::Trust {
        ca_der: base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("ca pem"),
        crl_der: Some(crl.bytes),
    }
}

/// The agreement's current PDF as the portal sees it.
pub async fn current_pdf(h: &Harness, c: &Ceremony) -> Vec<u8> {
    let reply = h
        .portal(
            Method::GET,
            &format!("/v1/agreements/{}/document", c.agreement),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.bytes
}

/// The authenticator app's code at `at` for the enrolment `otpauth://` URI.
pub fn totp_code(uri: &str, at: chrono::DateTime<chrono::Utc>) -> String {
    let secret = uri
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("secret="))
        .expect("secret in the URI");
    let totp = totp_rs::Builder::new()
        .with_secret(
            data_encoding::BASE32_NOPAD
                .decode(secret.as_bytes())
                .expect("base32"),
        )
        .build()
        .expect("totp");
    totp.generate(u64::try_from(at.timestamp()).expect("after 1970"))
        .to_string()
}
