//! `GET /verify/{serial}` (the QR code's target): an HTML page in Malay and English, or JSON
//! with `Accept: application/json`. `POST /verify`: the same check on an uploaded copy, JSON
//! unless `Accept: text/html`.

mod pages;

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use governor::Quota;
use governor::clock::{Clock, DefaultClock};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ApiState;
use super::extract::{Path, Query};
use crate::app::verify::{self, UPLOAD_MAX_BYTES, UploadReport, VerifyReport};
use crate::error::{AppError, AppResult, ErrorKind};

/// Room for the multipart envelope around the largest PDF.
const FORM_OVERHEAD: usize = 64 * 1024;

pub fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(verify_serial))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(verify_upload))
                .layer(DefaultBodyLimit::max(UPLOAD_MAX_BYTES + FORM_OVERHEAD)),
        )
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(ClientLimiter::keyed(CLIENT_QUOTA)),
            per_client_limit,
        ))
        .layer(axum::middleware::map_response(public_page_headers))
}

type ClientLimiter = governor::DefaultKeyedRateLimiter<IpAddr>;

/// Per client address on the public verify routes: a burst of 20, then one
/// every 2 s. (In AWS the HTTP API throttles these routes, see infra/template.yaml.)
pub const CLIENT_QUOTA: Quota = Quota::per_minute(nonzero(30)).allow_burst(nonzero(20));

const fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).expect("a quota is not zero")
}
/// Forget idle clients once this many are remembered.
const CLIENT_MEMORY: usize = 10_000;

async fn per_client_limit(
    State(limiter): State<Arc<ClientLimiter>>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    // Only `hims serve` knows the client's address; behind API Gateway it is throttled there.
    let Some(ConnectInfo(client)) = request.extensions().get::<ConnectInfo<SocketAddr>>() else {
        return next.run(request).await;
    };
    if limiter.len() > CLIENT_MEMORY {
        limiter.retain_recent();
    }
    match limiter.check_key(&client.ip()) {
        Ok(()) => next.run(request).await,
        Err(not_until) => {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AppError::new(ErrorKind::TooManyRequests, "verify_rate_limited")
                .with("retry_after_secs", wait.as_secs().max(1))
                .into_response()
        }
    }
}

/// Every answer of the public verify routes, pages and errors alike: a strict
/// CSP (no script, no framing), no MIME sniffing, no Referer (a QR link
/// carries its key in the query).
async fn public_page_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&pages::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

fn accepts(headers: &HeaderMap, media: &str) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(media))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct LinkQuery {
    /// The QR link's key: without it only the serial's existence and state are shown.
    k: Option<String>,
}

/// The agreement of `serial` and each signature's validity (names masked), for the QR
/// link (with its key `k`); without `k`, only whether the serial exists and its state.
#[utoipa::path(get, path = "/verify/{serial}", tag = "public", params(("serial" = String, Path), LinkQuery),
    responses((status = 200, body = VerifyReport, description = "JSON with Accept: application/json, else HTML"),
        (status = 404, description = "serial_not_found"),
        (status = 429, description = "verify_rate_limited")))]
async fn verify_serial(
    State(state): State<ApiState>,
    Path(serial): Path<String>,
    Query(query): Query<LinkQuery>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let report = verify::report(&state.app, &serial, query.k.as_deref()).await?;
    if accepts(&headers, "application/json") {
        return Ok(axum::Json(report).into_response());
    }
    Ok(Html(pages::serial_page(&report)?).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct UploadQuery {
    /// The eSPA serial printed on the copy: the answer then compares the copy with our revisions.
    serial: Option<String>,
}

/// The form a browser posts.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct UploadForm {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The eSPA serial printed on the copy (optional).
    serial: Option<String>,
}

fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn form_error(e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::new(ErrorKind::PayloadTooLarge, "body_too_large")
    } else {
        AppError::bad_request("body_unreadable")
    }
}

/// The PDF and the serial of a raw `application/pdf` body or a `multipart/form-data` form.
async fn read_copy(headers: &HeaderMap, request: Request) -> AppResult<(Vec<u8>, Option<String>)> {
    match media_type(headers).as_str() {
        "application/pdf" => {
            let body = axum::body::Bytes::from_request(request, &()).await;
            // Into a Vec without a copy: four 4 MiB uploads at once must stay small.
            Ok((Vec::from(super::raw_body(body)?), None))
        }
        "multipart/form-data" => {
            let mut form = Multipart::from_request(request, &())
                .await
                .map_err(|_| AppError::bad_request("body_unreadable"))?;
            let (mut file, mut serial) = (None, None);
            while let Some(field) = form.next_field().await.map_err(form_error)? {
                match field.name() {
                    Some("file") => {
                        file = Some(Vec::from(field.bytes().await.map_err(form_error)?))
                    }
                    Some("serial") => serial = Some(field.text().await.map_err(form_error)?),
                    _ => {}
                }
            }
            let file = file.ok_or_else(|| AppError::unprocessable("pdf_missing"))?;
            Ok((file, serial))
        }
        _ => Err(AppError::new(
            ErrorKind::UnsupportedMediaType,
            "verify_media_type",
        )),
    }
}

/// Checks a copy: each signature against our CA and current CRL, modifications after each,
/// and, given the serial, how the copy relates to our stored revisions. At most 4 MiB
/// (API Gateway's 6 MB Lambda payload, base64-encoded).
#[utoipa::path(post, path = "/verify", tag = "public", params(UploadQuery),
    request_body(description = "The PDF itself, or a browser form: `file` and an optional `serial`",
        content((Vec<u8> = "application/pdf"), (UploadForm = "multipart/form-data"))),
    responses((status = 200, body = UploadReport, description = "JSON, or HTML with Accept: text/html"),
        (status = 413, description = "verify_pdf_too_large, body_too_large"),
        (status = 415, description = "verify_media_type"),
        (status = 422, description = "pdf_not_a_pdf, pdf_corrupt, pdf_missing, pdf_too_complex"),
        (status = 429, description = "verify_rate_limited")))]
async fn verify_upload(
    State(state): State<ApiState>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    request: Request,
) -> AppResult<Response> {
    let (pdf, form_serial) = read_copy(&headers, request).await?;
    let serial = form_serial.or(query.serial);
    let report: UploadReport = verify::check_copy(&state.app, pdf, serial.as_deref()).await?;
    if accepts(&headers, "text/html") {
        return Ok(Html(pages::upload_page(&report)?).into_response());
    }
    Ok(axum::Json(report).into_response())
}
