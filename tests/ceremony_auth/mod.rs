//! Shared by the authorize, email-code and PIN-reset tests: the example
//! agreement with its first purchaser's certificate issued, and the
//! signer's requests (PIN, TOTP computed from the enrolment secret, codes
//! read from the outbox email).

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use data_encoding::BASE32_NOPAD;
use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{self, Harness, Reply};
use hims_esign::app::link::{self, LinkClaims};
use hims_esign::app::repo;
use hims_esign::domain::{AgreementId, PartyId};

pub const PIN: &str = "Rahsia#2025";
pub const NEW_PIN: &str = "Baharu!2025x";
pub const EMAIL: &str = "aisyah@example.my";
pub const IC_NUMBER: &str = support::IC_NUMBERS[0];

/// The first purchaser, certificate issued, at the signing step.
pub struct Signer {
    pub h: Harness,
    pub agreement: String,
    pub party: String,
    pub token: String,
    totp_secret: Vec<u8>,
}

impl Signer {
    pub async fn new() -> Self {
        let h = Harness::new();
        let view = h.create_example().await;
        let agreement = view["id"].as_str().expect("id").to_owned();
        let party = support::party_ids(&view)[0].clone();
        let deadline: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(view["parties"][0]["deadline"].clone()).expect("deadline");
        let claims = LinkClaims {
            agreement: AgreementId(agreement.clone()),
            party: PartyId(party.clone()),
            expires: deadline.timestamp(),
        };
        let token = link::issue(h.runtime.app.ports.keys.as_ref(), &claims)
            .await
            .expect("token");
        let approved = h.ekyc(&agreement, &party, "approved").await;
        assert_eq!(approved.status, StatusCode::OK, "{}", approved.text());
        let mut signer = Self {
            h,
            agreement,
            party,
            token,
            totp_secret: Vec::new(),
        };
        let form = json!({
            "address": "No. 12, Jalan Parkland 3, Taman Parkland",
            "postcode": "43000", "nationality": "MY", "pin": PIN, "pin_confirm": PIN,
        });
        let issued = signer.post("/v1/signer/certificate", &form).await;
        assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text());
        let uri = issued.json["totp"]["uri"].as_str().expect("uri");
        let secret = uri
            .split("secret=")
            .nth(1)
            .and_then(|s| s.split('&').next())
            .expect("secret in uri");
        signer.totp_secret = BASE32_NOPAD.decode(secret.as_bytes()).expect("base32");
        signer
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        let auth = format!("Bearer {}", self.token);
        let headers = [
            ("authorization", auth.as_str()),
            ("content-type", "application/json"),
        ];
        self.h
            .call(Method::POST, path, &headers, body.to_string())
            .await
    }

    /// The SHA-256 of the revision the signer is shown.
    pub async fn document_sha256(&self) -> String {
        let store = self.h.runtime.app.ports.store.as_ref();
        let loaded = repo::load(store, &AgreementId(self.agreement.clone()))
            .await
            .expect("agreement");
        loaded
            .record
            .current_revision()
            .expect("revision")
            .sha256
            .clone()
    }

    /// The authenticator app's code `steps_ahead` steps from the clock's now.
    pub fn totp_at(&self, steps_ahead: i64) -> String {
        let totp = totp_rs::Builder::new()
            .with_secret(self.totp_secret.clone())
            .build()
            .expect("totp");
        let at = self.h.now().timestamp() + steps_ahead * 30;
        totp.generate(u64::try_from(at).expect("after 1970"))
            .to_string()
    }

    pub async fn authorize(&self, pin: &str, factor: (&str, &str)) -> Reply {
        let mut body = json!({ "document_sha256": self.document_sha256().await, "pin": pin });
        body[factor.0] = json!(factor.1);
        self.post("/v1/signer/authorize", &body).await
    }

    pub async fn authorize_totp(&self, pin: &str) -> Reply {
        self.authorize(pin, ("totp", &self.totp_at(0))).await
    }

    pub async fn request_code(&self, purpose: &str) -> Reply {
        self.post("/v1/signer/otp", &json!({ "purpose": purpose }))
            .await
    }

    /// Requests a code and reads it from the email.
    pub async fn code(&self, purpose: &str) -> String {
        let reply = self.request_code(purpose).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
        self.last_code().await
    }

    /// The digits of the newest code email, unspaced.
    pub async fn last_code(&self) -> String {
        let emails = self.h.emails().await;
        let email = emails
            .iter()
            .rev()
            .find(|e| e.subject == "Kod Verifikasi eSPA")
            .expect("a code email");
        code_in(&email.text)
    }

    pub async fn reset_pin(&self, email: &str, id_number: &str, code: &str) -> Reply {
        let body = json!({
            "email": email, "id_number": id_number, "email_code": code,
            "new_pin": NEW_PIN, "new_pin_confirm": NEW_PIN,
        });
        self.post("/v1/signer/pin-reset", &body).await
    }

    /// The agreement's audit trail entries, as JSON.
    pub async fn audit(&self) -> Vec<Value> {
        let store = self.h.runtime.app.ports.store.as_ref();
        repo::audit_entries(store, &AgreementId(self.agreement.clone()))
            .await
            .expect("audit")
            .into_iter()
            .map(|e| serde_json::to_value(e).expect("entry"))
            .collect()
    }
}

/// "Kod Verifikasi:\n8 7 6 6 4 4" → "876644".
pub fn code_in(text: &str) -> String {
    let after = text
        .split("Kod Verifikasi:\n")
        .nth(1)
        .expect("code heading");
    let line = after.lines().next().expect("code line");
    line.split(' ').collect()
}

/// Asserts the error shape and that the message is the code's own (not the fallback).
#[track_caller]
pub fn assert_refused(reply: &Reply, status: StatusCode, code: &str) {
    reply.assert_error(status, code);
    let (fallback_ms, _) = hims_esign::http::messages::for_code("no-such-code");
    assert_ne!(
        reply.json["error"]["message_ms"].as_str(),
        Some(fallback_ms),
        "{code} has its own Malay text"
    );
}

/// Everything logged while it is alive (this thread), for "no secret in logs" checks.
#[derive(Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl CapturedLogs {
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        let sink = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("logs")).into_owned()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("logs").write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The link token and party id of the example's party `index`.
pub async fn token_for(s: &Signer, index: usize) -> (String, String) {
    let store = s.h.runtime.app.ports.store.as_ref();
    let loaded = repo::load(store, &AgreementId(s.agreement.clone()))
        .await
        .expect("agreement");
    let party = &loaded.record.agreement.parties[index];
    let claims = LinkClaims {
        agreement: AgreementId(s.agreement.clone()),
        party: party.id.clone(),
        expires: party.deadline.timestamp(),
    };
    let token = link::issue(s.h.runtime.app.ports.keys.as_ref(), &claims)
        .await
        .expect("token");
    (token, party.id.0.clone())
}

/// A signer request with another party's token.
pub async fn post_as(s: &Signer, token: &str, path: &str, body: &Value) -> Reply {
    let auth = format!("Bearer {token}");
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    s.h.call(Method::POST, path, &headers, body.to_string())
        .await
}
