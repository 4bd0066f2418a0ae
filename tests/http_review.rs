//! `POST /v1/signer/review` (F3.2) through HTTP: confirm, request changes
//! (the developer is emailed the comment; later turns wait), and refusals.

#[path = "support/ceremony.rs"]
mod ceremony;
mod support;

use ceremony::{DEVELOPER, FIRST, SECOND, WITNESS};
use http::{Method, StatusCode};
use serde_json::json;

use support::Harness;

async fn up_to_the_witness(h: &Harness) -> ceremony::Ceremony {
    let c = ceremony::start(h).await;
    for party in [FIRST, SECOND, DEVELOPER] {
        ceremony::certificate(h, &c, party).await;
        ceremony::sign_as(h, &c, party).await;
    }
    c
}

#[tokio::test]
async fn a_reviewer_acts_only_in_turn_and_with_its_own_action() {
    let h = Harness::new();
    let c = ceremony::start(&h).await;
    let confirm = json!({"action": "confirm"});
    ceremony::review(&h, &c, WITNESS, &confirm)
        .await
        .assert_error(StatusCode::CONFLICT, "not_your_turn");
    ceremony::review(&h, &c, FIRST, &confirm)
        .await
        .assert_error(StatusCode::CONFLICT, "wrong_action");
    ceremony::review(&h, &c, FIRST, &json!({"action": "approve"}))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "wrong_type");
    ceremony::post_json(&h, "/v1/signer/review", "forged", &confirm)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "link_invalid");
}

#[tokio::test]
async fn confirming_completes_the_agreement() {
    let h = Harness::new();
    let c = up_to_the_witness(&h).await;
    // The witness may read what it confirms.
    ceremony::document(&h, &c.tokens[WITNESS]).await;
    let reply = ceremony::review(&h, &c, WITNESS, &json!({"action": "confirm"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json["agreement_state"], "completed");
    assert!(
        !reply.json["message_ms"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
    );
    ceremony::review(&h, &c, WITNESS, &json!({"action": "confirm"}))
        .await
        .assert_error(StatusCode::CONFLICT, "agreement_closed");
}

#[tokio::test]
async fn requesting_changes_needs_a_comment_and_tells_the_developer() {
    let h = Harness::new();
    let c = up_to_the_witness(&h).await;
    for body in [
        json!({"action": "request_changes"}),
        json!({"action": "request_changes", "comment": "   "}),
    ] {
        ceremony::review(&h, &c, WITNESS, &body)
            .await
            .assert_error(StatusCode::CONFLICT, "comment_required");
    }
    ceremony::review(
        &h,
        &c,
        WITNESS,
        &json!({"action": "request_changes", "comment": "x".repeat(5000)}),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "comment_too_long");

    let comment = "Alamat tuan tanah <salah> pada Jadual A";
    let reply = ceremony::review(
        &h,
        &c,
        WITNESS,
        &json!({"action": "request_changes", "comment": comment}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json["agreement_state"], "changes_requested");
    let emails = h.emails().await;
    let notice = emails
        .iter()
        .find(|e| e.subject == "Permohonan Pembetulan eSPA")
        .expect("developer emailed");
    assert_eq!(notice.to, "ahmad@parkland.example.my");
    assert!(notice.text.contains(comment));
    assert!(notice.html.contains("&lt;salah&gt;") && !notice.html.contains("<salah>"));
    // Nothing moves on while the agreement waits for changes.
    ceremony::review(&h, &c, WITNESS, &json!({"action": "confirm"}))
        .await
        .assert_error(StatusCode::CONFLICT, "changes_requested");
    h.signer(Method::GET, "/v1/signer/document", &c.tokens[WITNESS])
        .await
        .assert_error(StatusCode::CONFLICT, "changes_requested");
}
