//! `POST /tsa`: our timestamp authority for any RFC 3161 client. It needs the
//! portal token (see README "Timestamp authority"): every token costs a KMS
//! Sign on the key that the signatures' own timestamps need.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use hims_tsp::{FailureInfo, Rejection};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ApiState;
use super::auth::Portal;
use crate::app::tsa;
use crate::error::{AppError, AppResult, ErrorKind};

/// A TimeStampReq is a few hundred bytes; anything far larger is not one.
const MAX_REQUEST_BYTES: usize = 16 * 1024;
const QUERY: &str = "application/timestamp-query";
const REPLY: &str = "application/timestamp-reply";

pub fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(timestamp))
}

fn is_query(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case(QUERY))
}

/// RFC 3161 over HTTP (RFC 3161 3.4): a DER TimeStampReq in, a DER
/// TimeStampResp out. A bad request is answered with status `rejection` and
/// its failure info (badAlg, badRequest, badDataFormat, unacceptedPolicy,
/// unacceptedExtension), never an HTTP error; only a body that does not even
/// claim to be a timestamp query gets the HTTP 415 `tsa_media_type`.
#[utoipa::path(post, path = "/tsa", tag = "public",
    request_body(content = Vec<u8>, content_type = "application/timestamp-query"),
    responses((status = 200, description = "TimeStampResp (granted or rejection)", content_type = "application/timestamp-reply", body = Vec<u8>),
        (status = 401, description = "token_missing, token_invalid"),
        (status = 415, description = "tsa_media_type")),
    security(("portal" = [])))]
async fn timestamp(
    _portal: Portal,
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> AppResult<Response> {
    if !is_query(&headers) {
        return Err(AppError::new(
            ErrorKind::UnsupportedMediaType,
            "tsa_media_type",
        ));
    }
    let refuse = |fail_info, reason| Rejection::new(fail_info, reason);
    let answer = match body {
        Ok(bytes) if bytes.len() <= MAX_REQUEST_BYTES => {
            tsa::respond(&state.app.own_tsa(), &bytes).await?
        }
        _ => tsa::rejection(&refuse(
            FailureInfo::BadDataFormat,
            "the request is too large to be a TimeStampReq",
        ))?,
    };
    Ok(([(header::CONTENT_TYPE, REPLY)], answer).into_response())
}
