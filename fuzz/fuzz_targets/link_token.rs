//! Signer link tokens: `link::verify` as the signer routes' extractor runs it,
//! and `GET /v1/signer/session` with the token as bearer. The first byte picks
//! the mode: a raw token, or any payload MACed with the system key, so the
//! fuzzer also reaches the claims parser behind the MAC.
#![no_main]

use axum::body::Body;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hims_esign::app::link;
use http::{Request, StatusCode, header};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let service = hims_fuzz::service();
    let app = &service.runtime.app;
    let keys = app.ports.keys.as_ref();
    let now = app.now();
    let (token, raw) = if mode % 2 == 0 {
        (String::from_utf8_lossy(rest).into_owned(), true)
    } else {
        let tag = service
            .block_on(keys.mac(&link::signed_message(rest)))
            .expect("MAC");
        (format!("{}.{}", B64.encode(rest), B64.encode(tag)), false)
    };
    let verified = service.block_on(link::verify(keys, &token, now));
    if let Ok(claims) = &verified {
        assert!(
            claims.expires >= now.timestamp(),
            "an expired link verified"
        );
        let issued = service.block_on(link::issue(keys, claims)).expect("issue");
        // Only we can MAC a token, so a raw token that verifies is one we issued:
        // nothing else (other base64, padding, spacing) may pass for it.
        if raw {
            assert_eq!(
                issued, token,
                "a second spelling of an issued token verified"
            );
        }
        let again = service
            .block_on(link::verify(keys, &issued, now))
            .expect("re-issued token");
        assert_eq!(&again, claims);
    }
    let Ok(value) = http::HeaderValue::from_bytes(format!("Bearer {token}").as_bytes()) else {
        return;
    };
    let request = Request::get("/v1/signer/session")
        .header(header::AUTHORIZATION, value)
        .body(Body::empty())
        .expect("request");
    let reply = service.call(request);
    // No agreement exists: no token opens a session.
    assert!(!reply.status.is_success(), "{}", reply.json);
    if let Err(e) = verified
        && e.code == "link_invalid"
        && token.trim() == token
    {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.json);
    }
});
