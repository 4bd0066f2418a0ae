//! The `issue-certificate` function's routes (signer) and the CA's public
//! routes of the `verify` function (`/ca.pem`, `/crl`).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::ApiState;
use super::auth::SignerToken;
use super::json::Json;
use super::messages;
use crate::app::{ca, certificates};
use crate::domain::countries;
use crate::error::{AppError, AppResult};

/// The signer's certificate routes.
pub fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(issue_certificate))
        .routes(routes!(list_countries))
}

/// `/ca.pem` and `/crl`.
pub fn ca_router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(ca_pem))
        .routes(routes!(crl))
}

/// Section A completion and Section B (PIN) of F2.
#[derive(Deserialize, ToSchema, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
pub struct CertificateRequest {
    /// Required, at most 200 characters.
    #[zeroize(skip)]
    pub address: String,
    /// 5 digits.
    #[zeroize(skip)]
    pub postcode: String,
    /// ISO 3166-1 alpha-2 (see `GET /v1/countries`).
    #[zeroize(skip)]
    #[schema(example = "MY")]
    pub nationality: String,
    /// 8–16 characters with an upper-case letter, a lower-case letter and a symbol.
    pub pin: String,
    pub pin_confirm: String,
}

#[derive(Serialize, ToSchema)]
pub struct CertificateView {
    pub pem: String,
    /// Lower-case hex.
    pub serial: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

/// Shown once, at issuance; no other response ever contains it.
#[derive(Serialize, ToSchema)]
pub struct TotpEnrolment {
    /// `otpauth://totp/HIMS%20eSPA:<email>?secret=…&issuer=HIMS%20eSPA&algorithm=SHA1&digits=6&period=30`
    pub uri: String,
    /// The URI as an SVG QR code.
    pub qr_svg: String,
}

#[derive(Serialize, ToSchema)]
pub struct CertificateIssued {
    pub certificate: CertificateView,
    pub totp: TotpEnrolment,
    /// F2.4: "Digital certificate generated".
    pub message: &'static str,
    /// F2.4: "Sijil digital berjaya dijana".
    pub message_ms: &'static str,
}

/// F2: issue the signer's certificate, set its PIN and enrol TOTP. Allowed once,
/// after eKYC approval and when the party's turn has come.
#[utoipa::path(post, path = "/v1/signer/certificate", tag = "signer", request_body = CertificateRequest,
    responses((status = 201, body = CertificateIssued),
        (status = 409, description = "ekyc_not_approved, not_your_turn, certificate_exists"),
        (status = 410, description = "deadline_passed, link_expired"),
        (status = 422, description = "validation_failed (details.fields), pin_policy (details.rules), pin_mismatch")),
    security(("signer_link" = [])))]
async fn issue_certificate(
    State(state): State<ApiState>,
    SignerToken(token): SignerToken,
    Json(mut body): Json<CertificateRequest>,
) -> Result<
    (
        StatusCode,
        [(header::HeaderName, &'static str); 1],
        axum::Json<CertificateIssued>,
    ),
    AppError,
> {
    let request = certificates::IssueRequest {
        address: std::mem::take(&mut body.address),
        postcode: std::mem::take(&mut body.postcode),
        nationality: std::mem::take(&mut body.nationality),
        pin: Zeroizing::new(std::mem::take(&mut body.pin)),
        pin_confirm: Zeroizing::new(std::mem::take(&mut body.pin_confirm)),
    };
    let issued = certificates::issue(&state.app, &token, request)
        .await
        .map_err(explain_pin_rules)?;
    let (message_ms, message) = messages::for_code("certificate_issued");
    // The answer holds the TOTP secret: no cache may keep it.
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(CertificateIssued {
            certificate: CertificateView {
                pem: issued.certificate_pem,
                serial: issued.serial_hex,
                not_before: issued.not_before,
                not_after: issued.not_after,
            },
            totp: TotpEnrolment {
                uri: issued.totp_uri.to_string(),
                qr_svg: issued.totp_qr_svg.to_string(),
            },
            message,
            message_ms,
        }),
    ))
}

/// Each broken PIN rule's text in both languages, beside its code.
fn explain_pin_rules(mut e: AppError) -> AppError {
    let explained: Option<Vec<serde_json::Value>> = e
        .details
        .get("rules")
        .and_then(|r| r.as_array())
        .map(|rules| {
            rules
                .iter()
                .filter_map(|r| r.as_str())
                .map(|code| {
                    let (ms, en) = messages::for_code(code);
                    serde_json::json!({"code": code, "message": en, "message_ms": ms})
                })
                .collect()
        });
    if let Some(explained) = explained {
        e.details
            .insert("rule_messages".to_owned(), explained.into());
    }
    e
}

#[derive(Serialize, ToSchema)]
pub struct Country {
    /// ISO 3166-1 alpha-2.
    pub code: &'static str,
    pub name: &'static str,
}

/// Nationalities for Section A, Malaysia first.
#[utoipa::path(get, path = "/v1/countries", tag = "signer", responses((status = 200, body = [Country])))]
async fn list_countries() -> axum::Json<Vec<Country>> {
    axum::Json(
        countries::all()
            .iter()
            .map(|(code, name)| Country { code, name })
            .collect(),
    )
}

/// The CA certificate ("HIMS eSPA Signing CA"), PEM.
#[utoipa::path(get, path = "/ca.pem", tag = "public",
    responses((status = 200, description = "CA certificate", content_type = "application/x-pem-file", body = String)))]
async fn ca_pem(State(state): State<ApiState>) -> AppResult<Response> {
    let pem = ca::ca_pem(&state.app).await?;
    Ok(([(header::CONTENT_TYPE, "application/x-pem-file")], pem).into_response())
}

/// The current certificate revocation list, DER, signed by the CA.
#[utoipa::path(get, path = "/crl", tag = "public",
    responses((status = 200, description = "CRL", content_type = "application/pkix-crl", body = Vec<u8>)))]
async fn crl(State(state): State<ApiState>) -> AppResult<Response> {
    let der = ca::current_crl(&state.app).await?;
    Ok(([(header::CONTENT_TYPE, "application/pkix-crl")], der).into_response())
}
