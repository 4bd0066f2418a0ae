//! What the extractors refuse before a handler runs (a path that does not
//! decode, a bad query, a body that is not JSON) answers in the error shape
//! with its own status, as `/openapi.json` declares for every route.

mod support;

use axum::body::Body;
use http::{Method, StatusCode};

use support::{Harness, PORTAL_TOKEN, link_tokens};

#[tokio::test]
async fn a_path_segment_that_is_not_utf8_is_400_path_invalid() {
    let h = Harness::new();
    h.portal(Method::GET, "/v1/agreements/%FF%FE", None)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "path_invalid");
    for path in ["/s/%C3%28", "/verify/%FF"] {
        h.call(Method::GET, path, &[], Body::empty())
            .await
            .assert_error(StatusCode::BAD_REQUEST, "path_invalid");
    }
}

#[tokio::test]
async fn a_query_that_does_not_fit_is_400_query_invalid() {
    let h = Harness::new();
    for query in [
        "limit=many",
        "updated_since=yesterday",
        "limit=-1",
        "stauts=completed",
        "=0",
    ] {
        h.portal(Method::GET, &format!("/v1/agreements?{query}"), None)
            .await
            .assert_error(StatusCode::BAD_REQUEST, "query_invalid");
    }
}

#[tokio::test]
async fn a_signer_body_that_is_not_json_is_415() {
    let h = Harness::new();
    let view = h.create_example().await;
    let token = link_tokens(&h, &view).await.remove(0);
    let auth = format!("Bearer {token}");
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut headers = vec![("authorization", auth.as_str())];
        headers.extend(content_type.map(|c| ("content-type", c)));
        h.call(
            Method::POST,
            "/v1/signer/otp",
            &headers,
            r#"{"purpose":"sign"}"#,
        )
        .await
        .assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    }
    let portal = format!("Bearer {PORTAL_TOKEN}");
    h.call(
        Method::POST,
        "/v1/agreements",
        &[("authorization", &portal)],
        "{}",
    )
    .await
    .assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
}

#[tokio::test]
async fn a_cursor_we_did_not_issue_is_400_cursor_invalid() {
    let h = Harness::new();
    // "~~" (base64url "fn4") would sort past the listing's end; "%%" is not base64.
    for cursor in ["fn4", "%25%25", ""] {
        h.portal(
            Method::GET,
            &format!("/v1/agreements?cursor={cursor}"),
            None,
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, "cursor_invalid");
    }
}
