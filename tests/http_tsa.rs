//! `POST /tsa`: openssl's own queries answered and verified against our CA,
//! every bad request answered with a `rejection` (never an HTTP error), and
//! the RFC 3161 client's timeout and retries against servers on 127.0.0.1.

mod support;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use hims_esign::adapters::tsa_client::{HttpTimestamper, HttpTimestamperOptions};
use hims_esign::ports::{TimestampError, Timestamper};
use hims_esign::testing::SeededRng;
use hims_tsp::{FailureInfo, TspError};
use http::{Method, StatusCode};

use support::{Harness, PORTAL_TOKEN};

const QUERY: &str = "application/timestamp-query";

async fn post_tsa(h: &Harness, content_type: &str, body: Vec<u8>) -> support::Reply {
    let auth = format!("Bearer {PORTAL_TOKEN}");
    h.call(
        Method::POST,
        "/tsa",
        &[("authorization", &auth), ("content-type", content_type)],
        Body::from(body),
    )
    .await
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

#[tokio::test]
async fn openssl_accepts_our_answer_to_its_query() {
    let h = Harness::new();
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    std::fs::write(path("data"), b"a signature value").unwrap();
    let (ok, out) = openssl(&[
        "ts",
        "-query",
        "-data",
        &path("data"),
        "-sha256",
        "-cert",
        "-out",
        &path("q.tsq"),
    ]);
    assert!(ok, "{out}");
    let reply = post_tsa(&h, QUERY, std::fs::read(path("q.tsq")).unwrap()).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["content-type"], "application/timestamp-reply");
    std::fs::write(path("r.tsr"), &reply.bytes).unwrap();
    let (ok, text) = openssl(&["ts", "-reply", "-in", &path("r.tsr"), "-text"]);
    assert!(ok && text.contains("Status: Granted."), "{text}");
    assert!(text.contains("Policy OID: 0.4.0.2023.1.1"), "{text}");

    let ca = h.call(Method::GET, "/ca.pem", &[], Body::empty()).await;
    std::fs::write(path("ca.pem"), &ca.bytes).unwrap();
    let token = hims_tsp::response_token(&reply.bytes).unwrap();
    let digest: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(b"a signature value").into();
    let verified = hims_tsp::verify_token(&token, &digest, None).unwrap();
    assert_eq!(verified.gen_time, h.now());
    let tsa = hims_pki::certificate_from_der(&verified.tsa_certificate_der).unwrap();
    std::fs::write(path("tsa.pem"), hims_pki::certificate_to_pem(&tsa).unwrap()).unwrap();
    let attime = h.now().timestamp().to_string();
    let (ok, out) = openssl(&[
        "ts",
        "-verify",
        "-queryfile",
        &path("q.tsq"),
        "-in",
        &path("r.tsr"),
        "-CAfile",
        &path("ca.pem"),
        "-untrusted",
        &path("tsa.pem"),
        "-attime",
        &attime,
    ]);
    assert!(ok && out.contains("Verification: OK"), "{out}");
    // The TSA certificate is not the CA: trusting only itself proves nothing.
    let (ok, out) = openssl(&[
        "ts",
        "-verify",
        "-queryfile",
        &path("q.tsq"),
        "-in",
        &path("r.tsr"),
        "-CAfile",
        &path("tsa.pem"),
        "-attime",
        &attime,
    ]);
    assert!(!ok, "{out}");
}

fn refusal(bytes: &[u8]) -> Option<FailureInfo> {
    match hims_tsp::response_token(bytes) {
        Err(TspError::Refused {
            status: 2,
            fail_info,
            ..
        }) => fail_info,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_requests_are_rejections_never_http_errors() {
    let h = Harness::new();
    let good =
        hims_tsp::timestamp_request(&[4u8; 32], hims_tsp::nonce_from_random([1; 8])).unwrap();
    let mut sha1 = good.clone();
    sha1.message_imprint.hash_algorithm.oid = "1.3.14.3.2.26".parse().unwrap();
    let mut policy = good.clone();
    policy.req_policy = Some("1.2.3.4".parse().unwrap());
    let der = |r: &hims_tsp::TimeStampReq| der::Encode::to_der(r).unwrap();
    for (content_type, body, expected) in [
        (QUERY, b"garbage".to_vec(), FailureInfo::BadDataFormat),
        (QUERY, Vec::new(), FailureInfo::BadDataFormat),
        (QUERY, vec![0x30; 20_000], FailureInfo::BadDataFormat),
        (QUERY, der(&sha1), FailureInfo::BadAlg),
        (QUERY, der(&policy), FailureInfo::UnacceptedPolicy),
    ] {
        let reply = post_tsa(&h, content_type, body).await;
        assert_eq!(reply.status, StatusCode::OK, "{content_type}");
        assert_eq!(refusal(&reply.bytes), Some(expected));
    }
    // What does not even claim to be a timestamp query is refused over HTTP.
    post_tsa(&h, "application/json", der(&good))
        .await
        .assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "tsa_media_type");
    assert!(hims_tsp::response_token(&post_tsa(&h, QUERY, der(&good)).await.bytes).is_ok());
}

#[tokio::test]
async fn the_route_needs_the_portal_token() {
    let h = Harness::new();
    let reply = h
        .call(
            Method::POST,
            "/tsa",
            &[("content-type", QUERY)],
            Body::from(b"x".to_vec()),
        )
        .await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "token_missing");
    let reply = h
        .call(
            Method::POST,
            "/tsa",
            &[("content-type", QUERY), ("authorization", "Bearer wrong")],
            Body::from(b"x".to_vec()),
        )
        .await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "token_invalid");
}

/// A server on 127.0.0.1 that counts requests and answers each with `status`,
/// or never answers when `status` is None.
async fn stub(status: Option<StatusCode>) -> (String, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let handler = move || {
        let seen = seen.clone();
        async move {
            seen.fetch_add(1, Ordering::SeqCst);
            match status {
                Some(status) => status,
                None => std::future::pending().await,
            }
        }
    };
    let router = axum::Router::new().route("/tsa", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/tsa", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, count)
}

fn client(url: &str, attempts: u32, timeout: Duration) -> HttpTimestamper {
    let mut options = HttpTimestamperOptions::new(url);
    options.attempts = attempts;
    options.timeout = timeout;
    options.backoff = Duration::ZERO;
    HttpTimestamper::new(options, Arc::new(SeededRng::new(3)))
}

#[tokio::test]
async fn the_client_retries_server_errors_then_gives_up_retryably() {
    let (url, count) = stub(Some(StatusCode::SERVICE_UNAVAILABLE)).await;
    let result = client(&url, 3, Duration::from_secs(5))
        .timestamp(&[1u8; 32])
        .await;
    assert!(
        matches!(result, Err(TimestampError::Unavailable(_))),
        "{result:?}"
    );
    assert_eq!(count.load(Ordering::SeqCst), 3);

    // A client error is not retried.
    let (url, count) = stub(Some(StatusCode::FORBIDDEN)).await;
    let result = client(&url, 3, Duration::from_secs(5))
        .timestamp(&[1u8; 32])
        .await;
    assert!(matches!(result, Err(TimestampError::Unavailable(_))));
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_client_times_out_a_silent_tsa() {
    let (url, count) = stub(None).await;
    let result = client(&url, 2, Duration::from_millis(100))
        .timestamp(&[1u8; 32])
        .await;
    assert!(
        matches!(result, Err(TimestampError::Unavailable(_))),
        "{result:?}"
    );
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_client_refuses_a_token_for_another_digest() {
    // Our own TSA answers; the client asked for one digest, the stub swaps it.
    let h = Harness::new();
    let other =
        hims_tsp::timestamp_request_der(&[9u8; 32], hims_tsp::nonce_from_random([2; 8])).unwrap();
    let answer = post_tsa(&h, QUERY, other).await.bytes;
    let router = axum::Router::new().route(
        "/tsa",
        axum::routing::post(move || {
            let answer = answer.clone();
            async move { answer }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/tsa", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let result = client(&url, 1, Duration::from_secs(5))
        .timestamp(&[1u8; 32])
        .await;
    assert!(
        matches!(result, Err(TimestampError::BadToken(_))),
        "{result:?}"
    );
}
