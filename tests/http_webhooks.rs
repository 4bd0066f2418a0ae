//! Portal webhooks end to end: a real receiver on 127.0.0.1 gets every event
//! once, signed, even when its first answers are 500s. Retries are driven by
//! moving the clock and delivering the outbox, never by sleeping.

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use chrono::Duration;
use http::{HeaderMap, StatusCode};
use serde_json::Value;

use hims_esign::app::hmac_sig;
use hims_esign::config::Secret;
use support::{Harness, party_ids};

const HOOK_SECRET: &str = "portal-hook-secret";

/// What the receiver saw: every request, and how many more it will refuse.
#[derive(Default)]
struct Receiver {
    requests: Vec<(HeaderMap, Bytes, StatusCode)>,
    refuse_next: usize,
}

async fn receive(
    State(receiver): State<Arc<Mutex<Receiver>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut r = receiver.lock().unwrap();
    let status = if r.refuse_next > 0 {
        r.refuse_next -= 1;
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    };
    r.requests.push((headers, body, status));
    status
}

async fn start_receiver(refuse_first: usize) -> (String, Arc<Mutex<Receiver>>) {
    let receiver = Arc::new(Mutex::new(Receiver {
        refuse_next: refuse_first,
        ..Receiver::default()
    }));
    let app = axum::Router::new()
        .route("/hooks", post(receive))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, receiver)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_arrives_once_signed_despite_failures() {
    // Three events below; the fourth refusal hits a retry.
    let (url, receiver) = start_receiver(4).await;
    let h = Harness::with_settings(|s| {
        s.portal_webhook_url = Some(url);
        s.portal_webhook_secret = Secret::new(HOOK_SECRET);
    });
    let view = h.create_example().await;
    let id = view["id"].as_str().unwrap();
    let parties = party_ids(&view);
    for party in &parties[..2] {
        let reply = h.ekyc(id, party, "approved").await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    }

    let first = h.deliver().await;
    assert_eq!(first.retried, 3, "{first:?}");
    // Not due yet: nothing is sent again before the backoff.
    assert_eq!(h.deliver().await.sent, 0);
    for _ in 0..4 {
        h.advance(Duration::minutes(2));
        h.deliver().await;
    }

    let receiver = receiver.lock().unwrap();
    let mut accepted: BTreeMap<String, Value> = BTreeMap::new();
    let mut seen = std::collections::BTreeSet::new();
    for (headers, body, status) in &receiver.requests {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let timestamp: i64 = header(hmac_sig::TIMESTAMP_HEADER).unwrap().parse().unwrap();
        assert_eq!(
            hmac_sig::verify(
                HOOK_SECRET.as_bytes(),
                header(hmac_sig::SIGNATURE_HEADER),
                header(hmac_sig::TIMESTAMP_HEADER),
                body,
                timestamp,
                0,
            ),
            Ok(timestamp),
            "bad signature"
        );
        let event: Value = serde_json::from_slice(body).unwrap();
        let event_id = event["id"].as_str().unwrap().to_owned();
        assert_eq!(header("x-event-id"), Some(event_id.as_str()));
        assert_eq!(event["agreement_id"], id);
        for key in ["type", "party_id", "from", "to", "at"] {
            assert!(event.get(key).is_some(), "{key} missing in {event}");
        }
        support::assert_no_ic_number(body, "webhook");
        seen.insert(event_id.clone());
        if *status == StatusCode::OK {
            assert!(
                accepted.insert(event_id, event).is_none(),
                "an accepted event came again"
            );
        }
    }
    assert_eq!(receiver.requests.len(), accepted.len() + 4);
    assert_eq!(accepted.len(), 3);
    assert_eq!(
        seen.len(),
        accepted.len(),
        "a refused event was never delivered"
    );
    let events: Vec<&Value> = accepted.values().collect();
    assert!(events.iter().any(|e| e["type"] == "agreement.created"));
    assert!(
        events.iter().any(|e| e["type"] == "party.state_changed"
            && e["party_id"] == parties[0].as_str()
            && e["to"] == "ekyc_verified"),
        "{events:?}"
    );
}

#[tokio::test]
async fn without_a_webhook_url_nothing_is_posted_and_emails_still_go() {
    let (_url, receiver) = start_receiver(0).await;
    let h = Harness::new();
    h.create_example().await;
    let report = h.deliver().await;
    assert_eq!((report.sent, report.retried), (4, 0));
    assert!(receiver.lock().unwrap().requests.is_empty());
}
