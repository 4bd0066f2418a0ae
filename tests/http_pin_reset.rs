//! `POST /v1/signer/pin-reset` and `/pin-reset/check` (F6) through HTTP: the
//! link session, email, IC number and a fresh `pin_reset` code together set
//! a new PIN and unblock it; audited and emailed; identity guesses count
//! against the second-factor limit.

mod ceremony_auth;
mod support;

use http::StatusCode;
use serde_json::json;

use ceremony_auth::{CapturedLogs, EMAIL, IC_NUMBER, NEW_PIN, PIN, Signer, assert_refused};

#[tokio::test]
async fn a_reset_sets_the_new_pin_audits_and_emails() {
    let s = Signer::new().await;
    let logs = CapturedLogs::default();
    let guard = logs.install();
    let code = s.code("pin_reset").await;
    // The IC number may be typed without dashes and the email's domain in capitals.
    let bare_ic = IC_NUMBER.replace('-', "");
    let reply = s.reset_pin("aisyah@EXAMPLE.my", &bare_ic, &code).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(
        reply.json["message"]
            .as_str()
            .is_some_and(|m| m.contains("PIN Reset Successful"))
    );
    drop(guard);
    let logged = logs.text();
    assert!(!logged.contains(&code) && !logged.contains(NEW_PIN) && !logged.contains(&bare_ic));

    let old = s.authorize_totp(PIN).await;
    assert_refused(&old, StatusCode::FORBIDDEN, "pin_incorrect");
    s.h.advance(chrono::Duration::seconds(30));
    let new = s.authorize_totp(NEW_PIN).await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.text());

    let audit = s.audit().await;
    assert!(
        audit
            .iter()
            .any(|e| e["event"]["type"] == "pin_reset" && e["event"]["party"] == s.party.as_str())
    );
    let emails = s.h.emails().await;
    let changed = emails
        .iter()
        .find(|e| e.subject == "PIN Sijil Digital Telah Ditetapkan Semula")
        .expect("PIN-changed email");
    assert_eq!(changed.to, EMAIL);
    assert!(!changed.text.contains(NEW_PIN));

    let again = s.reset_pin(EMAIL, IC_NUMBER, &code).await;
    assert_refused(&again, StatusCode::FORBIDDEN, "email_code_used");
}

#[tokio::test]
async fn email_and_ic_alone_are_not_enough() {
    let s = Signer::new().await;
    let none = s.reset_pin(EMAIL, IC_NUMBER, "123456").await;
    assert_refused(&none, StatusCode::FORBIDDEN, "email_code_not_requested");
    let sign_code = s.code("sign").await;
    let wrong_purpose = s.reset_pin(EMAIL, IC_NUMBER, &sign_code).await;
    assert_refused(
        &wrong_purpose,
        StatusCode::FORBIDDEN,
        "email_code_wrong_purpose",
    );
    s.h.advance(chrono::Duration::seconds(61));
    let code = s.code("pin_reset").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let incorrect = s.reset_pin(EMAIL, IC_NUMBER, wrong).await;
    assert_refused(&incorrect, StatusCode::FORBIDDEN, "email_code_incorrect");
    assert_eq!(incorrect.json["error"]["attempts_left"], 2);
}

#[tokio::test]
async fn wrong_identity_details_are_refused_and_counted() {
    let s = Signer::new().await;
    let code = s.code("pin_reset").await;
    let cases = [
        ("weiming@example.my", IC_NUMBER),
        (EMAIL, support::IC_NUMBERS[1]),
        (EMAIL, "not an id"),
        ("", ""),
    ];
    for (left, (email, ic)) in (1..5).rev().zip(cases) {
        let reply = s.reset_pin(email, ic, &code).await;
        assert_refused(&reply, StatusCode::FORBIDDEN, "identity_mismatch");
        assert_eq!(reply.json["error"]["attempts_left"], left);
    }
    let check = s
        .post(
            "/v1/signer/pin-reset/check",
            &json!({"email": "someone@example.my"}),
        )
        .await;
    assert_refused(&check, StatusCode::FORBIDDEN, "identity_mismatch");
    assert_eq!(check.json["error"]["attempts_left"], 0);
    // Now even the right details wait for the window.
    let locked = s.reset_pin(EMAIL, IC_NUMBER, &code).await;
    assert_refused(&locked, StatusCode::TOO_MANY_REQUESTS, "factor_locked");
    assert!(support::header(&locked.headers, http::header::RETRY_AFTER).is_some());
}

#[tokio::test]
async fn the_check_step_and_the_pin_policy() {
    let s = Signer::new().await;
    let ok = s
        .post("/v1/signer/pin-reset/check", &json!({"email": EMAIL}))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert_eq!(ok.json["message_ms"], "Semakan berjaya.");

    let code = s.code("pin_reset").await;
    let weak = json!({"email": EMAIL, "id_number": IC_NUMBER, "email_code": code,
        "new_pin": "short", "new_pin_confirm": "short"});
    let reply = s.post("/v1/signer/pin-reset", &weak).await;
    assert_refused(&reply, StatusCode::UNPROCESSABLE_ENTITY, "pin_policy");
    let mismatch = json!({"email": EMAIL, "id_number": IC_NUMBER, "email_code": code,
        "new_pin": NEW_PIN, "new_pin_confirm": "Lain!2025xx"});
    let reply = s.post("/v1/signer/pin-reset", &mismatch).await;
    assert_refused(&reply, StatusCode::UNPROCESSABLE_ENTITY, "pin_mismatch");
    // Neither used the code up.
    let done = s.reset_pin(EMAIL, IC_NUMBER, &code).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
}

/// Issue 13 (5): after cancel a link can neither ask for a `pin_reset` code,
/// nor check, nor reset — even with a code sent while the agreement was open.
#[tokio::test]
async fn a_closed_agreement_refuses_every_pin_reset_step() {
    let s = Signer::new().await;
    let code = s.code("pin_reset").await;
    let cancel =
        s.h.portal(
            http::Method::POST,
            &format!("/v1/agreements/{}/cancel", s.agreement),
            None,
        )
        .await;
    assert_eq!(cancel.status, StatusCode::OK, "{}", cancel.text());

    let ask = s.request_code("pin_reset").await;
    assert_refused(&ask, StatusCode::CONFLICT, "agreement_closed");
    let check = s
        .post("/v1/signer/pin-reset/check", &json!({"email": EMAIL}))
        .await;
    assert_refused(&check, StatusCode::CONFLICT, "agreement_closed");
    let reset = s.reset_pin(EMAIL, IC_NUMBER, &code).await;
    assert_refused(&reset, StatusCode::CONFLICT, "agreement_closed");
    let old = s.authorize_totp(PIN).await;
    assert!(old.status.is_client_error(), "{}", old.text());
    assert!(
        !s.audit()
            .await
            .iter()
            .any(|e| e["event"]["type"] == "pin_reset"),
        "nothing was reset"
    );
}
