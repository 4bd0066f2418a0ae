//! HTTP: one axum Router per function of DESIGN.md, the same in Lambda and in
//! `hims serve` (which mounts them all). Errors map to JSON in `error`.

pub mod agreements;
pub mod auth;
pub mod authorize;
pub mod certificates;
pub mod ekyc;
pub mod error;
pub mod extract;
pub mod json;
pub mod messages;
pub mod openapi;
pub mod page;
pub mod public;
pub mod signing;
pub mod tsa;
pub mod verify;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, header};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

use crate::app::App;
use crate::error::{AppError, AppResult};

/// The body limit of every route that takes no document: JSON calls of the
/// portal and the signer, and the eKYC webhook (read before its signature is
/// checked, so it must stay small). Routes that take a PDF or a signature
/// image set their own; a body over its route's limit is a 413 as soon as
/// the limit is passed, nothing more is read.
pub const JSON_BODY_MAX: usize = 64 * 1024;

/// What every handler gets.
#[derive(Clone)]
pub struct ApiState {
    pub app: App,
}

/// The functions that answer HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Agreements,
    EkycCallback,
    IssueCertificate,
    VerifyPin,
    SendOtp,
    SignDocument,
    Verify,
}

impl Function {
    pub const ALL: [Function; 7] = [
        Self::Agreements,
        Self::EkycCallback,
        Self::IssueCertificate,
        Self::VerifyPin,
        Self::SendOtp,
        Self::SignDocument,
        Self::Verify,
    ];

    fn routes(self) -> OpenApiRouter<ApiState> {
        match self {
            Self::Agreements => agreements::router().merge(signing::portal_router()),
            Self::EkycCallback => ekyc::router(),
            Self::Verify => public::router()
                .merge(page::router())
                .merge(certificates::ca_router())
                .merge(verify::router()),
            Self::IssueCertificate => certificates::router(),
            Self::SignDocument => signing::router().merge(tsa::router()),
            Self::VerifyPin => authorize::verify_pin_router(),
            Self::SendOtp => authorize::send_otp_router(),
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "hims-esign", description = "Digital signing of HIMS eSPA: portal, signer and public endpoints."),
    components(schemas(openapi::ErrorResponse)),
    modifiers(&SecurityAddon)
)]
struct ApiDoc;

struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer =
            || SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build());
        components.add_security_scheme("portal", bearer());
        components.add_security_scheme("signer_link", bearer());
    }
}

/// The OpenAPI document of every function together.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut all = OpenApiRouter::with_openapi(ApiDoc::openapi());
    for f in Function::ALL {
        all = all.merge(f.routes());
    }
    let mut doc = all.split_for_parts().1;
    openapi::declare_errors(&mut doc);
    doc
}

fn finish(router: OpenApiRouter<ApiState>, app: App) -> Router {
    let (router, _) = router.split_for_parts();
    router
        .fallback(|| async { AppError::not_found("route_not_found") })
        .method_not_allowed_fallback(|| async {
            AppError::new(
                crate::error::ErrorKind::MethodNotAllowed,
                "method_not_allowed",
            )
        })
        .layer(DefaultBodyLimit::max(JSON_BODY_MAX))
        .with_state(ApiState { app })
}

/// One function's Router (what its Lambda serves).
pub fn router(function: Function, app: App) -> Router {
    finish(function.routes(), app)
}

/// Every function on one Router (what `hims serve` serves), plus `extra`.
pub fn router_all(app: App, extra: Router) -> Router {
    let mut all = OpenApiRouter::new();
    for f in Function::ALL {
        all = all.merge(f.routes());
    }
    finish(all, app).merge(extra)
}

/// A raw body, with axum's size-limit and read failures in our error shape.
pub(crate) fn raw_body(
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> AppResult<axum::body::Bytes> {
    body.map_err(error::from_bytes_rejection)
}

/// Reads a body of at most `limit` bytes, for a route whose limit is a
/// setting: 413 `body_too_large` once the body passes it, or at once when its
/// Content-Length does.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: axum::body::Body,
    limit: usize,
) -> AppResult<axum::body::Bytes> {
    let too_large = || AppError::new(crate::error::ErrorKind::PayloadTooLarge, "body_too_large");
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        if e.into_inner().is::<http_body_util::LengthLimitError>() {
            too_large()
        } else {
            AppError::bad_request("body_unreadable")
        }
    })
}

pub(crate) fn require_json(headers: &HeaderMap) -> AppResult<()> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    is_json
        .then_some(())
        .ok_or_else(error::unsupported_media_type)
}

/// Parses a JSON body, reporting the path of a bad field (never its value).
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> AppResult<T> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let text = inner.to_string();
                let code = if text.starts_with("missing field") {
                    "missing_field"
                } else {
                    "wrong_type"
                };
                let field = match (code, text.split('`').nth(1)) {
                    ("missing_field", Some(name)) if path == "." => name.to_owned(),
                    ("missing_field", Some(name)) => format!("{path}.{name}"),
                    _ => path,
                };
                AppError::unprocessable(code).with("field", field)
            }
            _ => AppError::bad_request("invalid_json"),
        }
    })
}
