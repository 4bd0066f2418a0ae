//! Issue 13 (4): each route has its own body limit, and a body over it is a
//! 413 as soon as the limit is passed — the eKYC webhook is not read to the
//! end before its signature is checked, a JSON call cannot make the server
//! buffer megabytes, and only the routes that take documents take big bodies.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::{Body, Bytes};
use http::{Method, StatusCode};

use hims_esign::http::JSON_BODY_MAX;
use hims_esign::http::signing::SIGN_BODY_MAX;
use support::{Harness, MAX_BODY, PORTAL_TOKEN};

const CHUNK: usize = 16 * 1024;

/// A route, the headers of a request to it, and its body limit.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, usize);
/// What a client could send: far more than any limit.
const ENDLESS: usize = 64 * 1024 * 1024;

/// A chunked body of `total` bytes (no Content-Length) that counts what the server pulled.
fn counted_body(total: usize) -> (Body, Arc<AtomicUsize>) {
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = pulled.clone();
    let stream = futures_util::stream::unfold(0usize, move |sent| {
        let counter = counter.clone();
        async move {
            (sent < total).then(|| {
                let n = CHUNK.min(total - sent);
                counter.fetch_add(n, Ordering::SeqCst);
                (
                    Ok::<_, std::io::Error>(Bytes::from(vec![b' '; n])),
                    sent + n,
                )
            })
        }
    });
    (Body::from_stream(stream), pulled)
}

async fn post_counted(
    h: &Harness,
    path: &str,
    headers: &[(&str, &str)],
    total: usize,
) -> (StatusCode, String, usize) {
    let (body, pulled) = counted_body(total);
    let reply = h.call(Method::POST, path, headers, body).await;
    let code = reply.json["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (reply.status, code, pulled.load(Ordering::SeqCst))
}

/// `Authorization` of the example's first party (a valid link).
async fn signer_auth(h: &Harness) -> String {
    let view = h.create_example().await;
    let tokens = support::link_tokens(h, &view).await;
    format!("Bearer {}", tokens[0])
}

#[tokio::test]
async fn an_endless_body_is_cut_at_its_routes_limit() {
    let h = Harness::new();
    let json = ("content-type", "application/json");
    let portal = format!("Bearer {PORTAL_TOKEN}");
    let signer = signer_auth(&h).await;
    // The verify form has room for its multipart envelope.
    let upload = hims_esign::app::verify::UPLOAD_MAX_BYTES + 64 * 1024;
    let forged = [json, ("x-signature", "sha256=00"), ("x-timestamp", "1")];
    let cases: [Case; 5] = [
        // Refused for size before the (forged) signature is even looked at.
        ("/v1/ekyc/callback", forged.to_vec(), JSON_BODY_MAX),
        (
            "/v1/signer/otp",
            vec![json, ("authorization", signer.as_str())],
            JSON_BODY_MAX,
        ),
        (
            "/v1/signer/sign",
            vec![json, ("authorization", signer.as_str())],
            SIGN_BODY_MAX,
        ),
        (
            "/v1/agreements",
            vec![json, ("authorization", portal.as_str())],
            MAX_BODY,
        ),
        ("/verify", vec![("content-type", "application/pdf")], upload),
    ];
    for (path, headers, limit) in cases {
        let (status, code, pulled) = post_counted(&h, path, &headers, ENDLESS).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            "{path}"
        );
        assert!(
            pulled <= limit + 2 * CHUNK,
            "{path} read {pulled} bytes for a limit of {limit}"
        );
    }
    const { assert!(JSON_BODY_MAX <= 64 * 1024 && SIGN_BODY_MAX < 512 * 1024) };
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_unread() {
    let h = Harness::new();
    let portal = format!("Bearer {PORTAL_TOKEN}");
    let length = (MAX_BODY + 1).to_string();
    let headers = [
        ("content-type", "application/json"),
        ("authorization", portal.as_str()),
        ("content-length", length.as_str()),
    ];
    let (status, code, pulled) = post_counted(&h, "/v1/agreements", &headers, MAX_BODY + 1).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
    );
    assert_eq!(pulled, 0);
}

#[tokio::test]
async fn a_body_between_the_json_and_the_sign_limits_reaches_only_the_sign_route() {
    let h = Harness::new();
    let signer = signer_auth(&h).await;
    let headers = [
        ("content-type", "application/json"),
        ("authorization", signer.as_str()),
    ];
    let size = JSON_BODY_MAX + 4 * CHUNK;
    let (status, code, _) = post_counted(&h, "/v1/signer/sign", &headers, size).await;
    assert_ne!(status, StatusCode::PAYLOAD_TOO_LARGE, "{code}");
    let (status, _, _) = post_counted(&h, "/v1/signer/certificate", &headers, size).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}
