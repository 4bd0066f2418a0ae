//! The `sign-document` function's routes (signer): the document to sign, the
//! signature, the reviewer's decision and the final PDF; and the portal's
//! certificate of completion (served by the `agreements` function).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::ApiState;
use super::auth::{Portal, SignerToken};
use super::extract::Path;
use super::json::Json;
use super::messages;
use crate::app::repo::Revision;
use crate::app::{completion, review, signing};
use crate::domain::{AgreementId, AgreementState, ReviewDecision};
use crate::error::{AppError, AppResult};

/// The sign call carries the signature image in base64: room for the largest
/// PNG accepted (`hims_pdf::MAX_PNG_BYTES`) and the JSON around it.
pub const SIGN_BODY_MAX: usize = hims_pdf::MAX_PNG_BYTES.div_ceil(3) * 4 + super::JSON_BODY_MAX;

pub fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(signer_document))
        .routes(routes!(final_document))
        .routes(routes!(review_agreement))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(sign))
                .layer(axum::extract::DefaultBodyLimit::max(SIGN_BODY_MAX)),
        )
}

/// Routes of the `agreements` function.
pub fn portal_router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(completion_certificate))
}

fn pdf_response(sha256: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::HeaderName::from_static("x-document-sha256"),
                sha256.to_owned(),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

fn revision_response((revision, bytes): (Revision, Vec<u8>)) -> Response {
    pdf_response(&revision.sha256, bytes)
}

/// F4.1: the revision to sign (or review), with its hash in `X-Document-SHA256`; only in the party's turn.
#[utoipa::path(get, path = "/v1/signer/document", tag = "signer",
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 409, description = "not_your_turn, certificate_required, ekyc_not_approved, already_done, agreement_closed, changes_requested"),
        (status = 410, description = "deadline_passed")),
    security(("signer_link" = [])))]
async fn signer_document(
    State(state): State<ApiState>,
    SignerToken(token): SignerToken,
) -> AppResult<Response> {
    signing::document_to_sign(&state.app, &token)
        .await
        .map(revision_response)
}

/// The fully signed eSPA, for any party once the agreement is completed.
#[utoipa::path(get, path = "/v1/signer/final", tag = "signer",
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 401), (status = 409, description = "agreement_not_completed")),
    security(("signer_link" = [])))]
async fn final_document(
    State(state): State<ApiState>,
    SignerToken(token): SignerToken,
) -> AppResult<Response> {
    signing::final_document(&state.app, &token)
        .await
        .map(revision_response)
}

#[derive(Deserialize, ToSchema, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
pub struct SignBody {
    /// From `POST /v1/signer/authorize`; single use.
    pub activation: String,
    /// The `X-Document-SHA256` of the revision shown.
    #[zeroize(skip)]
    pub document_sha256: String,
    /// F4.2: must be true.
    #[zeroize(skip)]
    pub consent: bool,
    /// The drawn signature: PNG, at most 200 KB.
    #[zeroize(skip)]
    pub signature_png_base64: String,
}

#[derive(Serialize, ToSchema)]
pub struct SignedView {
    /// The new revision's number and hash.
    pub revision: u32,
    pub document_sha256: String,
    /// The full serial (fixed by the first signature).
    pub serial: String,
    #[schema(value_type = String)]
    pub agreement_state: AgreementState,
    /// F4.6: "eSPA verification & signature successful".
    pub message: &'static str,
    pub message_ms: &'static str,
}

/// F4.2–F4.6: sign the revision shown. A retry with the same activation returns the same result.
#[utoipa::path(post, path = "/v1/signer/sign", tag = "signer", request_body = SignBody,
    responses((status = 200, body = SignedView),
        (status = 401), (status = 403, description = "activation_invalid"),
        (status = 409, description = "document_changed, activation_wrong_document, already_done, not_your_turn"),
        (status = 410, description = "activation_expired, deadline_passed"),
        (status = 422, description = "consent_required, signature_image_invalid")),
    security(("signer_link" = [])))]
async fn sign(
    State(state): State<ApiState>,
    SignerToken(token): SignerToken,
    Json(mut body): Json<SignBody>,
) -> AppResult<axum::Json<SignedView>> {
    let signature_png = B64
        .decode(body.signature_png_base64.trim())
        .map_err(|_| AppError::unprocessable("signature_image_invalid"))?;
    let request = signing::SignRequest {
        activation: Zeroizing::new(std::mem::take(&mut body.activation)),
        document_sha256: std::mem::take(&mut body.document_sha256),
        consent: body.consent,
        signature_png,
    };
    let signed = signing::sign(&state.app, &token, request).await?;
    let (message_ms, message) = messages::for_code("signed");
    Ok(axum::Json(SignedView {
        revision: signed.revision,
        document_sha256: signed.document_sha256,
        serial: signed.serial,
        agreement_state: signed.agreement_state,
        message,
        message_ms,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    Confirm,
    RequestChanges,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    pub action: ReviewAction,
    /// Required with `request_changes`, at most 2,000 characters.
    pub comment: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReviewedView {
    #[schema(value_type = String)]
    pub agreement_state: AgreementState,
    pub message: &'static str,
    pub message_ms: &'static str,
}

/// F3.2: confirm the eSPA, or send change requests to the developer.
#[utoipa::path(post, path = "/v1/signer/review", tag = "signer", request_body = ReviewBody,
    responses((status = 200, body = ReviewedView), (status = 401),
        (status = 409, description = "wrong_action, not_your_turn, already_done, comment_required, comment_too_long"),
        (status = 410, description = "deadline_passed")),
    security(("signer_link" = [])))]
async fn review_agreement(
    State(state): State<ApiState>,
    SignerToken(token): SignerToken,
    Json(body): Json<ReviewBody>,
) -> AppResult<axum::Json<ReviewedView>> {
    let (decision, code) = match body.action {
        ReviewAction::Confirm => (ReviewDecision::Confirm, "review_confirmed"),
        ReviewAction::RequestChanges => (
            ReviewDecision::RequestChanges {
                comment: body.comment.unwrap_or_default(),
            },
            "review_changes_requested",
        ),
    };
    let agreement_state = review::review(&state.app, &token, decision).await?;
    let (message_ms, message) = messages::for_code(code);
    Ok(axum::Json(ReviewedView {
        agreement_state,
        message,
        message_ms,
    }))
}

/// The certificate of completion (PDF signed by "HIMS eSPA Sistem"), once the agreement is completed.
#[utoipa::path(get, path = "/v1/agreements/{id}/completion-certificate", tag = "agreements", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 401), (status = 404),
        (status = 409, description = "agreement_not_completed")),
    security(("portal" = [])))]
async fn completion_certificate(
    State(state): State<ApiState>,
    _: Portal,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (record, bytes) = completion::certificate(&state.app, &AgreementId(id)).await?;
    Ok(pdf_response(&record.sha256, bytes))
}
