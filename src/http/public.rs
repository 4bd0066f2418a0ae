//! The `verify` function's public routes: health, the API description, the
//! signer's session.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ApiState;
use super::auth::SignerToken;
use crate::app::session::{self, SessionView};
use crate::error::AppResult;

pub fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(openapi_json))
        .routes(routes!(signer_session))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
}

/// Liveness.
#[utoipa::path(get, path = "/healthz", tag = "public", responses((status = 200, body = Health)))]
async fn healthz() -> axum::Json<Health> {
    axum::Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// This API, as OpenAPI 3.1.
#[utoipa::path(get, path = "/openapi.json", tag = "public", responses((status = 200, description = "OpenAPI document")))]
async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(super::openapi())
}

/// The signer's session: agreement summary, Section A details, next step and deadline.
#[utoipa::path(get, path = "/v1/signer/session", tag = "signer",
    responses((status = 200, body = SessionView), (status = 401), (status = 410)), security(("signer_link" = [])))]
async fn signer_session(
    State(state): State<ApiState>,
    SignerToken(token): SignerToken,
) -> AppResult<impl IntoResponse> {
    let view = session::view(&state.app, &token).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(view)))
}
