//! `POST /v1/signer/authorize` (F4.4, F5) through HTTP: PIN then TOTP or
//! email code → a single-use activation for the document shown; the PIN
//! lockout under concurrency; TOTP replay; the second-factor limit.

mod ceremony_auth;
mod support;

use std::sync::Arc;

use chrono::Duration;
use http::StatusCode;
use serde_json::json;

use ceremony_auth::{PIN, Signer, assert_refused};
use hims_esign::app::activation;
use hims_esign::app::certificates::{PIN_FAILURES_COUNTER, load_secrets};
use hims_esign::domain::{AgreementId, PartyId};

const WRONG_PIN: &str = "Salah#2025";

async fn pin_failures(s: &Signer) -> i64 {
    let store = s.h.runtime.app.ports.store.as_ref();
    let (_, item) = load_secrets(
        store,
        &AgreementId(s.agreement.clone()),
        &PartyId(s.party.clone()),
    )
    .await
    .expect("load")
    .expect("secrets");
    item.counter(PIN_FAILURES_COUNTER)
}

#[tokio::test]
async fn pin_and_totp_give_an_activation_bound_to_party_and_document() {
    let s = Signer::new().await;
    let reply = s.authorize_totp(PIN).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json["factor"], "totp");
    let value = reply.json["activation"].as_str().expect("activation");
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(reply.json["expires_at"].clone()).expect("expires_at");
    assert_eq!(expires, s.h.now() + activation::VALID_FOR);

    let app = &s.h.runtime.app;
    let sha = s.document_sha256().await;
    let (agreement, party) = (AgreementId(s.agreement.clone()), PartyId(s.party.clone()));
    let stored = activation::load(app, value, &agreement, &party, &sha)
        .await
        .expect("activation loads for this party and document");
    assert_eq!(stored.activation.factor, activation::Factor::Totp);
    assert!(stored.activation.used.is_none());
    let other_doc = activation::load(app, value, &agreement, &party, &"0".repeat(64)).await;
    assert_eq!(
        other_doc.err().map(|e| e.code),
        Some("activation_wrong_document")
    );

    let audit = s.audit().await;
    let note = audit
        .iter()
        .find(|e| e["event"]["type"] == "signer_authorized")
        .expect("authorisation audited");
    assert_eq!(note["event"]["factor"], "totp");
    assert_eq!(note["event"]["party"], s.party.as_str());
}

#[tokio::test]
async fn the_right_pin_clears_earlier_wrong_ones() {
    let s = Signer::new().await;
    let wrong = s.authorize_totp(WRONG_PIN).await;
    assert_refused(&wrong, StatusCode::FORBIDDEN, "pin_incorrect");
    assert_eq!(wrong.json["error"]["attempts_left"], 2);
    let wrong = s.authorize_totp(WRONG_PIN).await;
    assert_eq!(wrong.json["error"]["attempts_left"], 1);
    assert_eq!(pin_failures(&s).await, 2);

    let ok = s.authorize_totp(PIN).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert_eq!(pin_failures(&s).await, 0);
    let wrong = s.authorize_totp(WRONG_PIN).await;
    assert_eq!(wrong.json["error"]["attempts_left"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_wrong_pins_count_three_then_the_right_pin_is_refused_until_reset() {
    let s = Arc::new(Signer::new().await);
    let sha = s.document_sha256().await;
    let body = json!({"document_sha256": sha, "pin": WRONG_PIN, "totp": s.totp_at(0)});
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (s, body) = (s.clone(), body.clone());
        tasks.spawn(async move { s.post("/v1/signer/authorize", &body).await });
    }
    let replies = tasks.join_all().await;
    let incorrect = replies
        .iter()
        .filter(|r| r.code() == "pin_incorrect")
        .count();
    let blocked = replies.iter().filter(|r| r.code() == "pin_blocked").count();
    // Tries are reserved before Argon2 runs, so the three counted ones may all
    // see the count at three already: each answer is one of the two.
    assert_eq!(incorrect + blocked, 50);
    assert!(blocked >= 48, "{incorrect} incorrect, {blocked} blocked");
    for r in replies.iter().filter(|r| r.code() == "pin_blocked") {
        assert_refused(r, StatusCode::LOCKED, "pin_blocked");
    }
    assert_eq!(pin_failures(&s).await, 3, "exactly three counted");

    s.h.advance(Duration::minutes(1));
    let right = s.authorize_totp(PIN).await;
    assert_refused(&right, StatusCode::LOCKED, "pin_blocked");
    assert!(
        s.audit()
            .await
            .iter()
            .any(|e| e["event"]["type"] == "pin_blocked"),
        "the block is audited"
    );

    let code = s.code("pin_reset").await;
    let reset = s
        .reset_pin(ceremony_auth::EMAIL, ceremony_auth::IC_NUMBER, &code)
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.text());
    assert_eq!(pin_failures(&s).await, 0);
    let old = s.authorize_totp(PIN).await;
    assert_refused(&old, StatusCode::FORBIDDEN, "pin_incorrect");
    s.h.advance(Duration::seconds(30));
    let new = s.authorize_totp(ceremony_auth::NEW_PIN).await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.text());
}

#[tokio::test]
async fn a_totp_code_is_accepted_once() {
    let s = Signer::new().await;
    let code = s.totp_at(0);
    let first = s.authorize(PIN, ("totp", &code)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let again = s.authorize(PIN, ("totp", &code)).await;
    assert_refused(&again, StatusCode::FORBIDDEN, "totp_reused");
    // The previous and next steps are accepted too (clock skew), each once.
    let next = s.authorize(PIN, ("totp", &s.totp_at(1))).await;
    assert_eq!(next.status, StatusCode::OK, "{}", next.text());
    let far = s.authorize(PIN, ("totp", &s.totp_at(3))).await;
    assert_refused(&far, StatusCode::FORBIDDEN, "totp_incorrect");
}

#[tokio::test]
async fn five_wrong_second_factors_lock_the_factor_for_the_window() {
    let s = Signer::new().await;
    let wrong = if s.totp_at(0) == "000000" {
        "111111"
    } else {
        "000000"
    };
    for left in (0..5).rev() {
        let reply = s.authorize(PIN, ("totp", wrong)).await;
        assert_refused(&reply, StatusCode::FORBIDDEN, "totp_incorrect");
        assert_eq!(reply.json["error"]["attempts_left"], left);
    }
    let locked = s.authorize_totp(PIN).await;
    assert_refused(&locked, StatusCode::TOO_MANY_REQUESTS, "factor_locked");
    let retry: i64 = support::header(&locked.headers, http::header::RETRY_AFTER)
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    assert_eq!(locked.json["error"]["retry_after_secs"], retry);

    s.h.advance(Duration::seconds(retry));
    let ok = s.authorize_totp(PIN).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
}

#[tokio::test]
async fn an_email_code_is_the_fallback_factor() {
    let s = Signer::new().await;
    let code = s.code("sign").await;
    let reply = s.authorize(PIN, ("email_code", &code)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json["factor"], "email_code");
    let again = s.authorize(PIN, ("email_code", &code)).await;
    assert_refused(&again, StatusCode::FORBIDDEN, "email_code_used");
}

#[tokio::test]
async fn bad_requests_each_have_their_code() {
    let s = Signer::new().await;
    let sha = s.document_sha256().await;
    let totp = s.totp_at(0);
    let cases = [
        (
            json!({"document_sha256": sha, "pin": PIN}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "factor_required",
        ),
        (
            json!({"document_sha256": sha, "pin": PIN, "totp": totp, "email_code": "123456"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "factor_required",
        ),
        (
            json!({"document_sha256": sha, "pin": PIN, "totp": "12a456"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "totp_format",
        ),
        (
            json!({"document_sha256": sha, "pin": PIN, "email_code": "1234"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "email_code_format",
        ),
        (
            json!({"document_sha256": sha, "pin": PIN, "email_code": "123456"}),
            StatusCode::FORBIDDEN,
            "email_code_not_requested",
        ),
        (
            json!({"document_sha256": "ab".repeat(32), "pin": PIN, "totp": totp}),
            StatusCode::CONFLICT,
            "document_changed",
        ),
        (
            json!({"document_sha256": sha, "totp": totp}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_field",
        ),
        (
            json!({"document_sha256": sha, "pin": PIN, "totp": totp, "x": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "wrong_type",
        ),
    ];
    for (body, status, code) in cases {
        let reply = s.post("/v1/signer/authorize", &body).await;
        assert_refused(&reply, status, code);
        assert!(
            !reply.text().contains(PIN),
            "{code}: the PIN is never echoed"
        );
    }
    let anonymous =
        s.h.call(
            http::Method::POST,
            "/v1/signer/authorize",
            &[("content-type", "application/json")],
            "{}",
        )
        .await;
    anonymous.assert_error(StatusCode::UNAUTHORIZED, "token_missing");
}

#[tokio::test]
async fn only_the_party_whose_turn_it_is_with_a_certificate_may_authorize() {
    let s = Signer::new().await;
    // The second purchaser: approved, but the first has not signed yet.
    let second = ceremony_auth::token_for(&s, 1).await;
    let approved = s.h.ekyc(&s.agreement, &second.1, "approved").await;
    assert_eq!(approved.status, StatusCode::OK);
    let body = json!({"document_sha256": s.document_sha256().await, "pin": PIN, "totp": "123456"});
    let reply = ceremony_auth::post_as(&s, &second.0, "/v1/signer/authorize", &body).await;
    assert_refused(&reply, StatusCode::CONFLICT, "not_your_turn");
}

/// `POST /v1/signer/totp/check` (F2.4): a right code passes and can still
/// sign; wrong codes count in the same window as authorize's, so the check
/// cannot be used to guess codes faster.
#[tokio::test]
async fn the_enrolment_check_spends_nothing_authorize_needs_but_counts_wrong_codes() {
    let s = Signer::new().await;
    let code = s.totp_at(0);
    for _ in 0..3 {
        let ok = s
            .post("/v1/signer/totp/check", &json!({"totp": code}))
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
        assert!(
            ok.json["message_ms"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let signed = s.authorize(PIN, ("totp", &code)).await;
    assert_eq!(
        signed.status,
        StatusCode::OK,
        "the checked code still authorises: {}",
        signed.text()
    );

    let bad = s
        .post("/v1/signer/totp/check", &json!({"totp": "12a456"}))
        .await;
    assert_refused(&bad, StatusCode::UNPROCESSABLE_ENTITY, "totp_format");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in [3, 2, 1, 0] {
        let reply = s
            .post("/v1/signer/totp/check", &json!({"totp": wrong}))
            .await;
        assert_refused(&reply, StatusCode::FORBIDDEN, "totp_incorrect");
        assert_eq!(reply.json["error"]["attempts_left"], left);
    }
    let locked = s
        .post("/v1/signer/totp/check", &json!({"totp": s.totp_at(0)}))
        .await;
    assert_refused(&locked, StatusCode::TOO_MANY_REQUESTS, "factor_locked");
    let authorize = s.authorize_totp(PIN).await;
    assert_refused(&authorize, StatusCode::TOO_MANY_REQUESTS, "factor_locked");
}
