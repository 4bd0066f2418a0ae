//! The `ekyc-callback` function's route.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ApiState;
use crate::app::ekyc::{self, EkycCallback};
use crate::app::hmac_sig::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::error::AppResult;

pub fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(ekyc_callback))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EkycAccepted {
    pub agreement_id: String,
    pub party_id: String,
    pub party_state: String,
}

/// eKYC provider webhook: `X-Signature: sha256=<hex HMAC-SHA256(secret, "<X-Timestamp>.<raw body>")>`,
/// `X-Timestamp` within 5 minutes; a request is accepted once.
#[utoipa::path(post, path = "/v1/ekyc/callback", tag = "ekyc", request_body = EkycCallback,
    params(("X-Signature" = String, Header), ("X-Timestamp" = String, Header)),
    responses((status = 200, body = EkycAccepted),
        (status = 401, description = "signature_missing, signature_invalid, timestamp_invalid"),
        (status = 404, description = "agreement_not_found, unknown_party"),
        (status = 409, description = "replayed, or the party's state does not allow the result"),
        (status = 422, description = "validation_failed")))]
async fn ekyc_callback(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> AppResult<axum::Json<EkycAccepted>> {
    let body = super::raw_body(body)?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let signature = header(SIGNATURE_HEADER);
    let callback = ekyc::authenticate(&state.app, signature, header(TIMESTAMP_HEADER), &body)?;
    let loaded = ekyc::record(&state.app, &callback, signature.unwrap_or_default()).await?;
    let party_state = loaded
        .record
        .agreement
        .party(&crate::domain::PartyId(callback.party_id.clone()))
        .map(|p| {
            serde_json::to_value(p.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        })
        .unwrap_or_default();
    Ok(axum::Json(EkycAccepted {
        agreement_id: callback.agreement_id,
        party_id: callback.party_id,
        party_state,
    }))
}
