//! The `verify-pin` function's routes (authorize, PIN reset) and the
//! `send-otp` function's route (email codes). All take the signer's link token.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::ApiState;
use super::auth::SignerToken;
use super::json::Json;
use super::messages;
use crate::app::activation::Factor;
use crate::app::authorize::{self, AuthorizeRequest, SecondFactor};
use crate::app::otp::{self, Purpose, Sent};
use crate::app::pin_reset::{self, PinResetRequest};
use crate::error::{AppError, AppResult};

/// `verify-pin`: `/v1/signer/authorize`, `/v1/signer/totp/check`, `/v1/signer/pin-reset`,
/// `/v1/signer/pin-reset/check`.
pub fn verify_pin_router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(authorize_signature))
        .routes(routes!(check_totp))
        .routes(routes!(reset_pin))
        .routes(routes!(check_reset_email))
}

/// `send-otp`: `/v1/signer/otp`.
pub fn send_otp_router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(send_code))
}

/// F4.4: PIN and exactly one second factor.
#[derive(Deserialize, ToSchema, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeBody {
    /// Lower-case hex SHA-256 of the revision shown (`GET /v1/signer/document`).
    #[zeroize(skip)]
    pub document_sha256: String,
    pub pin: String,
    /// Six digits from the authenticator app.
    #[serde(default)]
    pub totp: Option<String>,
    /// Six digits from the email (`POST /v1/signer/otp`, purpose `sign`).
    #[serde(default)]
    pub email_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ActivationView {
    /// Single use: pass it to `POST /v1/signer/sign`.
    pub activation: String,
    pub expires_at: DateTime<Utc>,
    #[schema(value_type = String, example = "totp")]
    pub factor: Factor,
}

/// F4.4–F5: checks the PIN, then the TOTP or email code, and returns a
/// five-minute activation for one signature over `document_sha256`.
#[utoipa::path(post, path = "/v1/signer/authorize", tag = "signer", request_body = AuthorizeBody,
    responses((status = 200, body = ActivationView),
        (status = 403, description = "pin_incorrect (attempts_left), totp_incorrect, totp_reused, email_code_incorrect (attempts_left), email_code_used, email_code_wrong_purpose, email_code_not_requested, email_code_attempts_exhausted"),
        (status = 409, description = "document_changed, certificate_required, not_your_turn"),
        (status = 410, description = "email_code_expired, deadline_passed"),
        (status = 422, description = "factor_required, totp_format, email_code_format"),
        (status = 423, description = "pin_blocked: reset the PIN (F6)"),
        (status = 429, description = "factor_locked (Retry-After)")),
    security(("signer_link" = [])))]
async fn authorize_signature(
    State(state): State<ApiState>,
    SignerToken(token): SignerToken,
    Json(mut body): Json<AuthorizeBody>,
) -> AppResult<axum::Json<ActivationView>> {
    let factor = match (body.totp.take(), body.email_code.take()) {
        (Some(totp), None) => SecondFactor::Totp(Zeroizing::new(totp)),
        (None, Some(code)) => SecondFactor::EmailCode(Zeroizing::new(code)),
        (totp, code) => {
            drop((totp.map(Zeroizing::new), code.map(Zeroizing::new)));
            return Err(AppError::unprocessable("factor_required"));
        }
    };
    let request = AuthorizeRequest {
        document_sha256: std::mem::take(&mut body.document_sha256),
        pin: Zeroizing::new(std::mem::take(&mut body.pin)),
        factor,
    };
    let authorized = authorize::authorize(&state.app, &token, request).await?;
    Ok(axum::Json(ActivationView {
        activation: authorized.activation,
        expires_at: authorized.expires_at,
        factor: authorized.factor,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OtpBody {
    pub purpose: Purpose,
}

/// F4.5: emails a 6-digit code (10 minutes, single use) for `sign` or `pin_reset`.
/// A new code replaces the previous one. One per minute, five per hour.
#[utoipa::path(post, path = "/v1/signer/otp", tag = "signer", request_body = OtpBody,
    responses((status = 202, body = Sent),
        (status = 409, description = "certificate_required, not_your_turn"),
        (status = 429, description = "otp_rate_limited (Retry-After)")),
    security(("signer_link" = [])))]
async fn send_code(
    State(state): State<ApiState>,
    SignerToken(token): SignerToken,
    Json(body): Json<OtpBody>,
) -> AppResult<(StatusCode, axum::Json<Sent>)> {
    let sent = otp::send(&state.app, &token, body.purpose).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(sent)))
}

/// F6.2.
#[derive(Deserialize, ToSchema, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
pub struct PinResetBody {
    #[zeroize(skip)]
    pub email: String,
    /// MyKad (with or without dashes) or passport number, as on record.
    pub id_number: String,
    /// From `POST /v1/signer/otp` with purpose `pin_reset`.
    pub email_code: String,
    pub new_pin: String,
    pub new_pin_confirm: String,
}

#[derive(Serialize, ToSchema)]
pub struct Done {
    pub message: &'static str,
    pub message_ms: &'static str,
}

fn done(code: &str) -> axum::Json<Done> {
    let (message_ms, message) = messages::for_code(code);
    axum::Json(Done {
        message,
        message_ms,
    })
}

/// F6: sets a new certificate PIN and unblocks it.
#[utoipa::path(post, path = "/v1/signer/pin-reset", tag = "signer", request_body = PinResetBody,
    responses((status = 200, body = Done),
        (status = 403, description = "identity_mismatch (attempts_left), email_code_incorrect, email_code_used, email_code_wrong_purpose, email_code_not_requested"),
        (status = 409, description = "certificate_required"),
        (status = 410, description = "email_code_expired"),
        (status = 422, description = "pin_policy (details.rules), pin_mismatch, email_code_format"),
        (status = 429, description = "factor_locked (Retry-After)")),
    security(("signer_link" = [])))]
async fn reset_pin(
    State(state): State<ApiState>,
    SignerToken(token): SignerToken,
    Json(mut body): Json<PinResetBody>,
) -> AppResult<axum::Json<Done>> {
    let request = PinResetRequest {
        email: std::mem::take(&mut body.email),
        id_number: Zeroizing::new(std::mem::take(&mut body.id_number)),
        email_code: Zeroizing::new(std::mem::take(&mut body.email_code)),
        new_pin: Zeroizing::new(std::mem::take(&mut body.new_pin)),
        new_pin_confirm: Zeroizing::new(std::mem::take(&mut body.new_pin_confirm)),
    };
    pin_reset::reset(&state.app, &token, request).await?;
    Ok(done("pin_reset_done"))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetEmailCheck {
    pub email: String,
}

/// F6.1 "Semak": whether the email is the one on record for this link.
#[utoipa::path(post, path = "/v1/signer/pin-reset/check", tag = "signer", request_body = ResetEmailCheck,
    responses((status = 200, body = Done),
        (status = 403, description = "identity_mismatch (attempts_left)"),
        (status = 409, description = "certificate_required"),
        (status = 429, description = "factor_locked (Retry-After)")),
    security(("signer_link" = [])))]
async fn check_reset_email(
    State(state): State<ApiState>,
    SignerToken(token): SignerToken,
    Json(body): Json<ResetEmailCheck>,
) -> AppResult<axum::Json<Done>> {
    pin_reset::check_email(&state.app, &token, &body.email).await?;
    Ok(done("email_confirmed"))
}

#[derive(Deserialize, ToSchema, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
pub struct TotpCheckBody {
    /// Six digits from the authenticator app just enrolled.
    pub totp: String,
}

/// F2.4: checks one TOTP code right after enrolment, so a failed enrolment
/// shows before signing. Records nothing authorize needs (the same code can
/// still sign), but each try counts in the second-factor window (F5.3) like
/// an authorize try; a right code gives its try back.
#[utoipa::path(post, path = "/v1/signer/totp/check", tag = "signer", request_body = TotpCheckBody,
    responses((status = 200, body = Done),
        (status = 403, description = "totp_incorrect (attempts_left)"),
        (status = 409, description = "certificate_required, not_your_turn"),
        (status = 410, description = "deadline_passed"),
        (status = 422, description = "totp_format"),
        (status = 429, description = "factor_locked (Retry-After)")),
    security(("signer_link" = [])))]
async fn check_totp(
    State(state): State<ApiState>,
    SignerToken(token): SignerToken,
    Json(mut body): Json<TotpCheckBody>,
) -> AppResult<axum::Json<Done>> {
    let code = Zeroizing::new(std::mem::take(&mut body.totp));
    authorize::check_enrolment_totp(&state.app, &token, code).await?;
    Ok(done("totp_confirmed"))
}
