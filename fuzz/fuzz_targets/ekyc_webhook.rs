//! `POST /v1/ekyc/callback` through the router: signature and timestamp
//! headers, then the body. The first byte picks how the request is signed, the
//! rest is the body, so the fuzzer reaches the parser behind the HMAC check.
#![no_main]

use axum::body::Body;
use hims_esign::app::ekyc::EkycCallback;
use hims_esign::app::hmac_sig::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use http::{Method, Request, StatusCode};
use libfuzzer_sys::fuzz_target;

fn post(signature: &[u8], timestamp: &[u8], body: &[u8]) -> Option<Request<Body>> {
    Request::builder()
        .method(Method::POST)
        .uri("/v1/ekyc/callback")
        .header("content-type", "application/json")
        .header(
            SIGNATURE_HEADER,
            http::HeaderValue::from_bytes(signature).ok()?,
        )
        .header(
            TIMESTAMP_HEADER,
            http::HeaderValue::from_bytes(timestamp).ok()?,
        )
        .body(Body::from(body.to_vec()))
        .ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let service = hims_fuzz::service();
    let now = service.runtime.app.now().timestamp();
    let secret = hims_fuzz::EKYC_SECRET.as_bytes();
    let signed = |secret: &[u8], at: i64| {
        post(
            hmac_sig::sign(secret, at, body).as_bytes(),
            at.to_string().as_bytes(),
            body,
        )
    };
    let (request, expect) = match mode % 4 {
        0 => (signed(secret, now), None),
        1 => (signed(secret, now - 301), Some("timestamp_invalid")),
        2 => (signed(b"not-the-secret", now), Some("signature_invalid")),
        // Raw headers: "<signature>\n<timestamp>\n<body>".
        _ => {
            let mut parts = body.splitn(3, |&b| b == b'\n');
            let (Some(sig), Some(ts), Some(rest)) = (parts.next(), parts.next(), parts.next())
            else {
                return;
            };
            (post(sig, ts, rest), None)
        }
    };
    let Some(request) = request else {
        return;
    };
    let reply = service.call(request);
    match (mode % 4, expect) {
        (_, Some(code)) => {
            assert_eq!(
                (reply.status, reply.code()),
                (StatusCode::UNAUTHORIZED, code)
            );
        }
        // Signed: refused as unparsable exactly when the body is not a callback.
        // No agreement exists, so a callback never succeeds.
        (0, None) => {
            let parses = serde_json::from_slice::<EkycCallback>(body).is_ok();
            assert_ne!(reply.status, StatusCode::UNAUTHORIZED);
            assert_eq!(
                reply.code() == "validation_failed",
                !parses,
                "{}",
                reply.json
            );
            assert!(!reply.status.is_success());
        }
        // Nobody but the provider can sign: forged headers are always a 401.
        _ => assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.json),
    }
});
