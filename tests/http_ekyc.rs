//! The eKYC callback and the signer's session over HTTP: signed callbacks move
//! parties on, the right emails reach the outbox (F1.1, F1.2, F2.1), their
//! links open the session, and every forged, stale or replayed request fails.

mod support;

use chrono::Duration;
use http::{Method, StatusCode};
use serde_json::{Value, json};

use hims_esign::adapters::local::OutboxEmail;
use hims_esign::app::hmac_sig;
use support::{EKYC_SECRET, Harness, ekyc_body, link_token, party_ids};

const HELPDESK: [&str; 3] = [
    "03-8991 4797",
    "hims.aduan@kpkt.gov.my",
    "Kementerian Perumahan dan Kerajaan Tempatan",
];
const EKYC_REQUEST: &str = "Pengesahan eKYC bagi Perjanjian Jual Beli elektronik (eSPA)";
const EKYC_DONE: &str = "Selesai Verifikasi eKYC";
const CERTIFICATE_STEP: &str = "Jana Sijil Tandatangan Digital eSPA";

/// (recipient, subject) of each email, in sending order.
fn sent(emails: &[OutboxEmail]) -> Vec<(&str, &str)> {
    emails
        .iter()
        .map(|e| (e.to.as_str(), e.subject.as_str()))
        .collect()
}

#[track_caller]
fn assert_email_shape(email: &OutboxEmail, salutation: &str) {
    for body in [&email.text, &email.html] {
        for line in HELPDESK {
            assert!(body.contains(line), "{:?} lacks {line:?}", email.subject);
        }
        assert!(body.contains("20165-9") && body.contains("PARKLAND AVENUE"));
        assert!(body.contains("B-10-02"));
    }
    // The HTML escapes "/" as "&#x2f;", which browsers read back.
    let link = format!("{}/s/", support::PUBLIC_URL);
    assert!(email.text.contains(&link));
    assert!(email.html.replace("&#x2f;", "/").contains(&link));
    assert!(
        email.text.starts_with(&format!("Kepada {salutation},")),
        "{}",
        email.text
    );
}

async fn session(h: &Harness, token: &str) -> support::Reply {
    h.signer(Method::GET, "/v1/signer/session", token).await
}

#[tokio::test]
async fn approvals_send_the_right_emails_and_open_the_right_steps() {
    let h = Harness::new();
    let view = h.create_example().await;
    let id = view["id"].as_str().unwrap();
    let parties = party_ids(&view);

    // F1.1: everyone is asked for eKYC at creation.
    let emails = h.emails().await;
    let mut recipients: Vec<_> = sent(&emails);
    recipients.sort();
    assert_eq!(
        recipients,
        [
            ("ahmad@parkland.example.my", EKYC_REQUEST),
            ("aisyah@example.my", EKYC_REQUEST),
            ("saksi@example.my", EKYC_REQUEST),
            ("weiming@example.my", EKYC_REQUEST),
        ]
    );
    for email in &emails {
        let salutation = if email.to == "saksi@example.my" {
            "Saksi Tuan Tanah"
        } else if email.to.contains("parkland") {
            "Pemaju"
        } else {
            "Pembeli"
        };
        assert_email_shape(email, salutation);
    }
    let witness_token = link_token(emails.iter().find(|e| e.to == "saksi@example.my").unwrap());
    let developer_token = link_token(emails.iter().find(|e| e.to.contains("parkland")).unwrap());

    // F2.1: the first purchaser's turn has come, so approval opens the certificate step.
    let reply = h.ekyc(id, &parties[0], "approved").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.json,
        json!({"agreement_id": id, "party_id": parties[0], "party_state": "ekyc_verified"})
    );
    // F1.2: the second purchaser's turn has not come: "eKYC done" only.
    let reply = h.ekyc(id, &parties[1], "approved").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());

    h.advance(Duration::minutes(1));
    let emails: Vec<_> = h
        .emails()
        .await
        .into_iter()
        .filter(|e| e.sent_at == h.now())
        .collect();
    let mut recipients = sent(&emails);
    recipients.sort();
    assert_eq!(
        recipients,
        [
            ("aisyah@example.my", CERTIFICATE_STEP),
            ("weiming@example.my", EKYC_DONE)
        ]
    );
    let by = |to: &str| emails.iter().find(|e| e.to == to).unwrap();
    assert_email_shape(by("aisyah@example.my"), "Pembeli");
    assert_email_shape(by("weiming@example.my"), "Pembeli");

    let first = session(&h, &link_token(by("aisyah@example.my"))).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    assert_eq!(first.json["party_id"], parties[0].as_str());
    assert_eq!(first.json["next"], "certificate");
    assert_eq!(first.json["party_state"], "ekyc_verified");
    assert_eq!(first.json["id_number_masked"], "******-**-5678");
    assert_eq!(first.json["name"], "Nur Aisyah binti Abdullah");
    assert_eq!(first.json["project_code"], "20165-9");
    assert_eq!(first.json["unit"], "B-10-02");

    let second = session(&h, &link_token(by("weiming@example.my"))).await;
    assert_eq!(second.json["next"], "waiting_turn");
    assert_eq!(session(&h, &developer_token).await.json["next"], "ekyc");

    // The witness's session states its deadline as the manual does (F3.2).
    let witness = session(&h, &witness_token).await;
    assert_eq!(witness.json["action"], "review");
    assert_eq!(witness.json["deadline_local"], "31/05/2025 10:17");

    // A rejected eKYC asks the party to redo it.
    let reply = h.ekyc(id, &parties[2], "rejected").await;
    assert_eq!(reply.json["party_state"], "ekyc_rejected");
    assert_eq!(
        session(&h, &developer_token).await.json["next"],
        "ekyc_rejected"
    );
    assert_eq!(h.emails().await.len(), 6, "a rejection sends no email");
}

#[tokio::test]
async fn links_expire_with_the_deadline_and_refuse_tampering() {
    let h = Harness::new();
    let view = h.create_example().await;
    let emails = h.emails().await;
    let email = emails.iter().find(|e| e.to == "aisyah@example.my").unwrap();
    let token = link_token(email);
    assert_eq!(session(&h, &token).await.status, StatusCode::OK);

    // Flip one character of the payload, then of the tag.
    let (payload, tag) = token.split_once('.').unwrap();
    let flip = |s: &str| {
        let mut chars: Vec<char> = s.chars().collect();
        chars[3] = if chars[3] == 'A' { 'B' } else { 'A' };
        chars.into_iter().collect::<String>()
    };
    for forged in [
        format!("{}.{tag}", flip(payload)),
        format!("{payload}.{}", flip(tag)),
        format!("{payload}."),
        "not-a-token".to_owned(),
        "x".repeat(600),
    ] {
        session(&h, &forged)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "link_invalid");
    }
    h.call(
        Method::GET,
        "/v1/signer/session",
        &[],
        axum::body::Body::empty(),
    )
    .await
    .assert_error(StatusCode::UNAUTHORIZED, "token_missing");

    // Past the first purchaser's deadline (10 days) the link is gone.
    let deadline = view["parties"][0]["deadline"].as_str().unwrap();
    let deadline = chrono::DateTime::parse_from_rfc3339(deadline).unwrap();
    h.clock.set(deadline.to_utc() + Duration::seconds(1));
    session(&h, &token)
        .await
        .assert_error(StatusCode::GONE, "link_expired");
}

#[tokio::test]
async fn a_link_for_an_agreement_this_system_does_not_hold_is_invalid() {
    // Same seed, same keys: the token's MAC checks, its agreement is unknown here.
    let issuer = Harness::new();
    issuer.create_example().await;
    let token = link_token(&issuer.emails().await[0]);
    let other = Harness::new();
    session(&other, &token)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "link_invalid");
}

/// Posts `body` with explicit signature headers.
async fn post_callback(h: &Harness, body: &str, headers: &[(&str, &str)]) -> support::Reply {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    h.call(Method::POST, "/v1/ekyc/callback", &all, body.to_owned())
        .await
}

#[tokio::test]
async fn forged_stale_and_unsigned_callbacks_are_401() {
    let h = Harness::new();
    let view = h.create_example().await;
    let body = ekyc_body(
        view["id"].as_str().unwrap(),
        &party_ids(&view)[0],
        "approved",
    );
    let now = h.now().timestamp();

    h.ekyc_raw(&body, "not-the-secret", now)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "signature_invalid");
    h.ekyc_raw(&body, EKYC_SECRET, now - 301)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "timestamp_invalid");
    h.ekyc_raw(&body, EKYC_SECRET, now + 301)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "timestamp_invalid");

    // A valid signature for another body, or with another timestamp.
    let signature = hmac_sig::sign(EKYC_SECRET.as_bytes(), now, body.as_bytes());
    let edited = body.replace("approved", "rejected");
    let ts = now.to_string();
    let later = (now + 1).to_string();
    for (body, ts) in [
        (edited.as_str(), ts.as_str()),
        (body.as_str(), later.as_str()),
    ] {
        post_callback(
            &h,
            body,
            &[("x-signature", &signature), ("x-timestamp", ts)],
        )
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "signature_invalid");
    }
    for headers in [
        vec![],
        vec![("x-signature", signature.as_str())],
        vec![("x-timestamp", ts.as_str())],
    ] {
        post_callback(&h, &body, &headers)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "signature_missing");
    }
    post_callback(
        &h,
        &body,
        &[("x-signature", "sha256=zz"), ("x-timestamp", &ts)],
    )
    .await
    .assert_error(StatusCode::UNAUTHORIZED, "signature_invalid");

    // Nothing above changed the party.
    let got = h
        .portal(
            Method::GET,
            &format!("/v1/agreements/{}", view["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(got.json["parties"][0]["state"], "invited");
}

#[tokio::test]
async fn a_replayed_callback_is_409_and_changes_nothing() {
    let h = Harness::new();
    let view = h.create_example().await;
    let id = view["id"].as_str().unwrap();
    let body = ekyc_body(id, &party_ids(&view)[0], "approved");
    let now = h.now().timestamp();
    let first = h.ekyc_raw(&body, EKYC_SECRET, now).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let emails = h.emails().await.len();
    let audit = h
        .portal(Method::GET, &format!("/v1/agreements/{id}/audit"), None)
        .await;

    h.advance(Duration::seconds(30));
    h.ekyc_raw(&body, EKYC_SECRET, now)
        .await
        .assert_error(StatusCode::CONFLICT, "replayed");

    assert_eq!(h.emails().await.len(), emails);
    let after = h
        .portal(Method::GET, &format!("/v1/agreements/{id}/audit"), None)
        .await;
    assert_eq!(after.json["entries"], audit.json["entries"]);
}

#[tokio::test]
async fn callbacks_for_unknown_agreements_or_parties_are_404() {
    let h = Harness::new();
    let view = h.create_example().await;
    let id = view["id"].as_str().unwrap();
    h.ekyc("agr_nope", &party_ids(&view)[0], "approved")
        .await
        .assert_error(StatusCode::NOT_FOUND, "agreement_not_found");
    h.ekyc(id, "pty_nope", "approved")
        .await
        .assert_error(StatusCode::NOT_FOUND, "unknown_party");
}

#[tokio::test]
async fn signed_but_malformed_callbacks_are_422() {
    let h = Harness::new();
    let view = h.create_example().await;
    let id = view["id"].as_str().unwrap();
    let party = &party_ids(&view)[0];
    let now = h.now().timestamp();
    let cases: [Value; 4] = [
        json!({"agreement_id": id, "party_id": party, "result": "maybe", "reference": "r"}),
        json!({"agreement_id": id, "party_id": party, "result": "approved"}),
        json!({"agreement_id": id, "party_id": party, "result": "approved", "reference": "r", "ic": "x"}),
        json!([1, 2, 3]),
    ];
    for body in cases {
        h.ekyc_raw(&body.to_string(), EKYC_SECRET, now)
            .await
            .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    }
    h.ekyc_raw("{not json", EKYC_SECRET, now)
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let blank =
        json!({"agreement_id": id, "party_id": party, "result": "approved", "reference": " "});
    h.ekyc_raw(&blank.to_string(), EKYC_SECRET, now)
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

#[tokio::test]
async fn an_oversized_callback_is_413() {
    let h = Harness::new();
    let body = format!("{{\"pad\":\"{}\"}}", "x".repeat(support::MAX_BODY));
    h.ekyc_raw(&body, EKYC_SECRET, h.now().timestamp())
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
}
