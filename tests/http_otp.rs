//! `POST /v1/signer/otp` (F4.5) through HTTP: the manual's email with the
//! digits spaced, the code only in the email (never in a response, the
//! store or the logs), purpose binding, expiry, single use under
//! concurrency, tries per code, resend cooldown and hourly cap.

mod ceremony_auth;
mod support;

use std::sync::Arc;

use chrono::Duration;
use http::StatusCode;
use serde_json::json;
use sha2::{Digest, Sha256};

use ceremony_auth::{CapturedLogs, PIN, Signer, assert_refused};
use hims_esign::app::layout;
use hims_esign::app::otp::{self, Purpose};
use hims_esign::domain::{AgreementId, PartyId};

fn ids(s: &Signer) -> (AgreementId, PartyId) {
    (AgreementId(s.agreement.clone()), PartyId(s.party.clone()))
}

#[tokio::test]
async fn the_email_follows_the_manual_and_the_code_is_nowhere_else() {
    let s = Signer::new().await;
    // Emails sent at one instant list in id order: tell the new one by its id.
    let earlier: Vec<String> = s.h.emails().await.into_iter().map(|e| e.id).collect();
    let logs = CapturedLogs::default();
    let guard = logs.install();
    let reply = s.request_code("sign").await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
    assert_eq!(reply.json["purpose"], "sign");
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(reply.json["expires_at"].clone()).expect("expires_at");
    assert_eq!(expires, s.h.now() + Duration::minutes(10));

    let emails = s.h.emails().await;
    let new: Vec<_> = emails.iter().filter(|e| !earlier.contains(&e.id)).collect();
    assert_eq!(new.len(), 1, "{new:?}");
    let email = new[0];
    assert_eq!(email.to, ceremony_auth::EMAIL);
    assert_eq!(email.subject, "Kod Verifikasi eSPA");
    let code = ceremony_auth::code_in(&email.text);
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );
    let spaced: Vec<String> = code.chars().map(String::from).collect();
    let manual = format!(
        "Berikut kod verifikasi untuk pengesahan Perjanjian Jual Beli (eSPA). Kod verifikasi ini akan tamat tempoh dalam masa 10 minit.\n\nKod Verifikasi:\n{}\n",
        spaced.join(" ")
    );
    assert!(email.text.contains(&manual), "{}", email.text);
    assert!(email.html.contains(&spaced.join(" ")));

    let used = s.authorize(PIN, ("email_code", &code)).await;
    assert_eq!(used.status, StatusCode::OK, "{}", used.text());
    drop(guard);
    assert!(!reply.text().contains(&code) && !used.text().contains(&code));
    let logged = logs.text();
    assert!(
        logged.contains("email code sent"),
        "logs were captured: {logged}"
    );
    assert!(!logged.contains(&code), "the code is not logged");
    assert!(!logged.contains(PIN), "the PIN is not logged");

    // At rest: an HMAC over the domain-separated message, not the digits or their bare hash.
    let (agreement, party) = ids(&s);
    let store = s.h.runtime.app.ports.store.as_ref();
    let item = store
        .get(&layout::email_code(&agreement, &party, "sign"))
        .await
        .expect("get")
        .expect("code item");
    let tag = item.data["tag"].as_str().expect("tag");
    let message = format!("otp-v1|{}|{}|sign|{code}", agreement.0, party.0);
    let mac =
        s.h.runtime
            .app
            .ports
            .keys
            .mac(message.as_bytes())
            .await
            .expect("mac");
    assert_eq!(tag, hex::encode(mac));
    assert_ne!(tag, hex::encode(Sha256::digest(code.as_bytes())));
    assert!(!item.data.to_string().contains(&format!("\"{code}\"")));
}

#[tokio::test]
async fn codes_are_bound_to_their_purpose_and_expire_after_ten_minutes() {
    let s = Signer::new().await;
    let reset_code = s.code("pin_reset").await;
    let wrong_purpose = s.authorize(PIN, ("email_code", &reset_code)).await;
    assert_refused(
        &wrong_purpose,
        StatusCode::FORBIDDEN,
        "email_code_wrong_purpose",
    );

    s.h.advance(Duration::seconds(61));
    let sign_code = s.code("sign").await;
    s.h.advance(Duration::minutes(11));
    let expired = s.authorize(PIN, ("email_code", &sign_code)).await;
    assert_refused(&expired, StatusCode::GONE, "email_code_expired");

    // A new code replaces the old one.
    let first = s.code("sign").await;
    s.h.advance(Duration::seconds(61));
    let second = s.code("sign").await;
    if first != second {
        let old = s.authorize(PIN, ("email_code", &first)).await;
        assert_refused(&old, StatusCode::FORBIDDEN, "email_code_incorrect");
    }
    let ok = s.authorize(PIN, ("email_code", &second)).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_uses_of_one_code_succeed_once() {
    let s = Arc::new(Signer::new().await);
    let code = s.code("pin_reset").await;
    let (agreement, party) = ids(&s);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (s, code, agreement, party) =
            (s.clone(), code.clone(), agreement.clone(), party.clone());
        tasks.spawn(async move {
            otp::consume(
                &s.h.runtime.app,
                &agreement,
                &party,
                Purpose::PinReset,
                &code,
            )
            .await
        });
    }
    let results = tasks.join_all().await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(
        ok,
        1,
        "{:?}",
        results
            .iter()
            .map(|r| r.as_ref().err().map(|e| e.code))
            .collect::<Vec<_>>()
    );
    for e in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(e.code, "email_code_used" | "email_code_attempts_exhausted"),
            "{}",
            e.code
        );
    }

    // And through HTTP: twenty authorisations with one fresh code, one activation.
    s.h.advance(Duration::seconds(61));
    let code = s.code("sign").await;
    let body =
        json!({"document_sha256": s.document_sha256().await, "pin": PIN, "email_code": code});
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (s, body) = (s.clone(), body.clone());
        tasks.spawn(async move { s.post("/v1/signer/authorize", &body).await });
    }
    let replies = tasks.join_all().await;
    let ok = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(
        ok,
        1,
        "{:?}",
        replies
            .iter()
            .map(|r| r.code().to_owned())
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_code_dies_after_five_tries() {
    let s = Signer::new().await;
    let code = s.code("sign").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (agreement, party) = ids(&s);
    let app = &s.h.runtime.app;
    for left in (0..5).rev() {
        let e = otp::consume(app, &agreement, &party, Purpose::Sign, wrong)
            .await
            .expect_err("wrong code");
        assert_eq!(e.code, "email_code_incorrect");
        assert_eq!(e.details["code_attempts_left"], left);
    }
    let dead = otp::consume(app, &agreement, &party, Purpose::Sign, &code).await;
    assert_eq!(
        dead.err().map(|e| e.code),
        Some("email_code_attempts_exhausted")
    );
}

#[tokio::test]
async fn resend_cooldown_and_hourly_cap_answer_429_with_retry_after() {
    let s = Signer::new().await;
    assert_eq!(s.request_code("sign").await.status, StatusCode::ACCEPTED);
    s.h.advance(Duration::seconds(20));
    let soon = s.request_code("pin_reset").await;
    assert_refused(&soon, StatusCode::TOO_MANY_REQUESTS, "otp_rate_limited");
    assert_eq!(
        support::header(&soon.headers, http::header::RETRY_AFTER),
        Some("40")
    );
    assert_eq!(soon.json["error"]["retry_after_secs"], 40);

    for _ in 0..4 {
        s.h.advance(Duration::seconds(60));
        let reply = s.request_code("sign").await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
    }
    // Five sent at 0, 80, 140, 200 and 260 s: the sixth waits for the first to age an hour.
    s.h.advance(Duration::seconds(60));
    let capped = s.request_code("sign").await;
    assert_refused(&capped, StatusCode::TOO_MANY_REQUESTS, "otp_rate_limited");
    assert_eq!(
        support::header(&capped.headers, http::header::RETRY_AFTER),
        Some("3280")
    );
    s.h.advance(Duration::seconds(3280));
    assert_eq!(s.request_code("sign").await.status, StatusCode::ACCEPTED);
    let sent =
        s.h.emails()
            .await
            .iter()
            .filter(|e| e.subject == "Kod Verifikasi eSPA")
            .count();
    assert_eq!(sent, 6);
}

#[tokio::test]
async fn codes_only_for_a_party_with_a_certificate_and_a_known_purpose() {
    let s = Signer::new().await;
    let bad = s.post("/v1/signer/otp", &json!({"purpose": "login"})).await;
    assert_refused(&bad, StatusCode::UNPROCESSABLE_ENTITY, "wrong_type");

    let (token, party) = ceremony_auth::token_for(&s, 1).await;
    let approved = s.h.ekyc(&s.agreement, &party, "approved").await;
    assert_eq!(approved.status, StatusCode::OK);
    let body = json!({"purpose": "sign"});
    let not_turn = ceremony_auth::post_as(&s, &token, "/v1/signer/otp", &body).await;
    assert_refused(&not_turn, StatusCode::CONFLICT, "not_your_turn");
    let body = json!({"purpose": "pin_reset"});
    let no_cert = ceremony_auth::post_as(&s, &token, "/v1/signer/otp", &body).await;
    assert_refused(&no_cert, StatusCode::CONFLICT, "certificate_required");
}
