//! `infra/template.yaml` against the routers: every route a function serves
//! has its HTTP API route on that function, and every template route reaches a
//! handler in the function it names (never `route_not_found`).

use std::sync::Arc;

use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use hims_esign::config::Settings;
use hims_esign::http::{Function, openapi, router};
use hims_esign::local::LocalRuntime;
use hims_esign::testing::{FixedClock, SeededRng};

mod sam;

/// Served by a plain route with no OpenAPI form (`page.rs`).
const UNDOCUMENTED: [(&str, &str); 1] = [("GET", "/assets/{*path}")];

/// In the template (DESIGN.md) but not built yet. Remove an entry when its
/// route lands: the test fails once it is served.
const NOT_BUILT: [&str; 0] = [];

/// `(METHOD, path)` of every route the routers serve.
fn served() -> Vec<(String, String)> {
    let doc = serde_json::to_value(openapi()).expect("openapi as JSON");
    let mut routes: Vec<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            let methods = item.as_object().cloned().unwrap_or_default();
            methods
                .into_iter()
                .filter(|(method, _)| {
                    matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete")
                })
                .map(|(method, _)| (method.to_uppercase(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    routes.extend(
        UNDOCUMENTED
            .iter()
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned())),
    );
    routes
}

#[test]
fn every_served_route_is_in_the_template() {
    let template = sam::http_routes(&sam::template_text());
    assert!(template.len() > 10, "parsed {template:?}");
    let missing: Vec<String> = served()
        .into_iter()
        .filter(|(method, path)| {
            !template
                .iter()
                .any(|r| &r.method == method && sam::shape(&r.path) == sam::shape(path))
        })
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes with no HttpApi event in infra/template.yaml: {missing:?}"
    );
}

/// A concrete request path for a template path (`{id}` → `x`, `{proxy+}` → an asset).
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment {
            "{proxy+}" => "app.css",
            s if s.starts_with('{') => "x",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_template_route_reaches_a_handler_of_its_function() {
    let dir = tempfile::tempdir().expect("temp dir");
    let runtime = LocalRuntime::open(
        dir.path(),
        Settings::local("https://hims.test", "portal", "ekyc"),
        Arc::new(FixedClock::at_rfc3339("2025-05-01T02:00:00Z")),
        Arc::new(SeededRng::new(3)),
    )
    .expect("local runtime");
    let template = sam::http_routes(&sam::template_text());
    let mut not_built = Vec::new();
    for route in &template {
        let function: Function = route.function().unwrap_or_else(|| {
            panic!(
                "{} is on {}, not an HTTP function",
                route.key(),
                route.resource
            )
        });
        let request = Request::builder()
            .method(route.method.as_str())
            .uri(concrete(&route.path))
            .body(axum::body::Body::empty())
            .expect("request");
        let response = router(function, runtime.app.clone())
            .oneshot(request)
            .await
            .expect("infallible router");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let code = serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null)["error"]["code"]
            .as_str()
            .map(str::to_owned);
        if code.as_deref() == Some("route_not_found") || status == StatusCode::METHOD_NOT_ALLOWED {
            not_built.push(route.key());
        }
    }
    assert_eq!(
        not_built, NOT_BUILT,
        "template routes no handler of their function answers"
    );
}

#[test]
fn route_selection_prefers_literal_paths_and_takes_greedy_tails() {
    let template = sam::http_routes(&sam::template_text());
    let pick =
        |method: &str, path: &str| sam::route_for(&template, method, path).map(sam::Route::key);
    assert_eq!(
        pick("GET", "/v1/agreements/agr_1/document").as_deref(),
        Some("GET /v1/agreements/{id}/document")
    );
    assert_eq!(
        pick("GET", "/v1/agreements").as_deref(),
        Some("GET /v1/agreements")
    );
    assert_eq!(
        pick("GET", "/assets/vendor/pdf.min.mjs").as_deref(),
        Some("GET /assets/{proxy+}")
    );
    assert_eq!(pick("DELETE", "/v1/agreements"), None);
    assert_eq!(pick("GET", "/v1/agreements/agr_1/nothing"), None);
}

/// Issue 13 (3): in AWS the public verify routes are throttled tighter than
/// the API's default, by route settings that name routes the template has.
#[test]
fn the_public_verify_routes_are_throttled_in_aws() {
    let template = sam::template_text();
    let routes = sam::http_routes(&template);
    let settings = template
        .split_once("      RouteSettings:\n")
        .expect("HttpApi RouteSettings")
        .1;
    let default_rate = 100;
    for route in ["GET /verify/{serial}", "POST /verify"] {
        let (method, path) = route.split_once(' ').expect("route");
        assert!(
            sam::route_for(&routes, method, path).is_some(),
            "{route} is a template route"
        );
        let block = settings
            .split_once(&format!("\"{route}\":\n"))
            .unwrap_or_else(|| panic!("{route} has route settings"))
            .1;
        let rate: u32 = block
            .lines()
            .take(2)
            .find_map(|l| l.trim().strip_prefix("ThrottlingRateLimit: "))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{route} has a rate limit"));
        assert!(rate < default_rate, "{route}: {rate}");
    }
}
