//! The `agreements` function's routes (portal, bearer token).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::Object;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::Portal;
use super::extract::{Path, Query};
use super::openapi::wire_names;
use super::{ApiState, parse_json};
use crate::app::agreements::{self, CreateAgreement, DocumentBody, ListFilter};
use crate::app::audit::{AuditEntry, ChainCheck};
use crate::app::document::{DocumentSource, EspaFields};
use crate::app::repo::{AgreementRecord, Loaded};
use crate::app::ses_events::EmailDelivery;
use crate::domain::{
    Action, AgreementId, AgreementState, IdType, NewAgreement, NewParty, PartyState, Role, identity,
};
use crate::error::{AppError, AppResult};

pub fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(create_agreement, list_agreements))
        .routes(routes!(get_agreement))
        .routes(routes!(get_document))
        .routes(routes!(get_audit))
        .routes(routes!(cancel_agreement))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgreementRequest {
    pub project_code: String,
    pub project_name: String,
    pub developer_name: String,
    /// Who is emailed about change requests and expiry (default: the developer signatory).
    pub developer_email: Option<String>,
    pub unit: String,
    pub document: DocumentRequest,
    pub parties: Vec<PartyRequest>,
}

/// Either `{"template":"espa","fields":{…}}` or `{"pdf_base64":"…"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentRequest {
    pub template: Option<String>,
    pub fields: Option<EspaFields>,
    pub pdf_base64: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyRequest {
    #[schema(schema_with = role_names)]
    pub role: Role,
    pub name: String,
    #[schema(schema_with = id_type_names)]
    pub id_type: IdType,
    pub id_number: String,
    pub email: String,
    pub order: u32,
    #[schema(schema_with = action_names)]
    pub action: Action,
    pub deadline: DateTime<Utc>,
}

fn role_names() -> Object {
    use Role::*;
    wire_names(&[
        Purchaser,
        DeveloperSignatory,
        Landowner,
        LandownerWitness,
        Other,
    ])
}

fn id_type_names() -> Object {
    wire_names(&[IdType::Mykad, IdType::Passport])
}

fn action_names() -> Object {
    wire_names(&[Action::Sign, Action::Review])
}

fn state_names() -> Object {
    use AgreementState::*;
    wire_names(&[InProgress, ChangesRequested, Completed, Expired, Cancelled])
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementView {
    pub id: String,
    /// Full, or provisional (`…-______`) until the first signature.
    pub serial: String,
    pub serial_final: bool,
    #[schema(value_type = String)]
    pub state: AgreementState,
    pub project_code: String,
    pub project_name: String,
    pub developer_name: String,
    pub unit: String,
    pub parties: Vec<PartyView>,
    pub revisions: Vec<RevisionView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Bumps with every change (for caching and debugging).
    pub version: u64,
    /// Once completed: the signed certificate of completion.
    pub completion_certificate: Option<CompletionView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompletionView {
    /// `GET` it with the portal token.
    pub url: String,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    pub audit_head: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PartyView {
    pub id: String,
    #[schema(value_type = String)]
    pub role: Role,
    pub name: String,
    #[schema(value_type = String)]
    pub id_type: IdType,
    pub id_number_masked: String,
    pub email: String,
    pub order: u32,
    #[schema(value_type = String)]
    pub action: Action,
    pub deadline: DateTime<Utc>,
    #[schema(value_type = String)]
    pub state: PartyState,
    pub acted_at: Option<DateTime<Utc>>,
    pub certificate_serial: Option<String>,
    pub comment: Option<String>,
    /// What SES last said about the party's address; absent until it says something.
    pub email_status: Option<EmailStatusView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EmailStatusView {
    pub status: EmailDelivery,
    pub at: DateTime<Utc>,
    /// SES's bounce type of the last bounce: Permanent, Transient or Undetermined.
    pub bounce_type: Option<String>,
    /// A hard bounce or a complaint: the address needs looking at.
    pub flagged: bool,
    /// A hard bounce: nothing sent to the address arrives.
    pub undeliverable: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionView {
    pub number: u32,
    pub sha256: String,
    pub size: u64,
    pub created_at: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementList {
    pub agreements: Vec<AgreementView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<AuditEntry>,
    #[schema(value_type = Object)]
    pub verification: ChainCheck,
}

pub fn view(record: &AgreementRecord, version: u64) -> AgreementView {
    let a = &record.agreement;
    AgreementView {
        id: a.id.0.clone(),
        serial: a.serial_display(),
        serial_final: a.serial.is_some(),
        state: a.state,
        project_code: a.project_code.clone(),
        project_name: a.project_name.clone(),
        developer_name: a.developer_name.clone(),
        unit: a.unit.clone(),
        parties: a
            .parties
            .iter()
            .map(|p| PartyView {
                id: p.id.0.clone(),
                role: p.role,
                name: p.name.clone(),
                id_type: p.id_type,
                id_number_masked: identity::mask_id(&p.id_number),
                email: p.email.clone(),
                order: p.order,
                action: p.action,
                deadline: p.deadline,
                state: p.state,
                acted_at: p.acted_at,
                certificate_serial: p.certificate_serial.clone(),
                comment: p.comment.clone(),
                email_status: record.email_status.get(&p.id.0).map(|s| EmailStatusView {
                    status: s.status,
                    at: s.at,
                    bounce_type: s.bounce_type.clone(),
                    flagged: s.flagged(),
                    undeliverable: s.undeliverable,
                }),
            })
            .collect(),
        revisions: record
            .revisions
            .iter()
            .map(|r| RevisionView {
                number: r.number,
                sha256: r.sha256.clone(),
                size: r.size,
                created_at: r.created_at,
                reason: r.reason.clone(),
            })
            .collect(),
        created_at: a.created_at,
        updated_at: a.updated_at,
        completed_at: a.completed_at,
        version,
        completion_certificate: None,
    }
}

fn document_source(doc: DocumentRequest) -> AppResult<DocumentSource> {
    let invalid =
        |code| AppError::invalid_fields(&[crate::domain::FieldError::new("document", code)]);
    match doc {
        DocumentRequest {
            template: Some(t),
            fields: Some(fields),
            pdf_base64: None,
        } if t == "espa" => Ok(DocumentSource::Template(fields)),
        DocumentRequest {
            template: None,
            fields: None,
            pdf_base64: Some(b64),
        } => base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map(DocumentSource::Pdf)
            .map_err(|_| {
                AppError::invalid_fields(&[crate::domain::FieldError::new(
                    "document.pdf_base64",
                    "base64_invalid",
                )])
            }),
        DocumentRequest {
            template: Some(_),
            fields: Some(_),
            pdf_base64: None,
        } => Err(invalid("template_unknown")),
        _ => Err(invalid("document_invalid")),
    }
}

fn idempotency_key(headers: &HeaderMap) -> AppResult<Option<String>> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .map_err(|_| AppError::bad_request("idempotency_key_invalid"))?;
    let ok = (1..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| Some(key.to_owned()))
        .ok_or_else(|| AppError::bad_request("idempotency_key_invalid"))
}

/// Create an agreement (honours `Idempotency-Key`).
#[utoipa::path(post, path = "/v1/agreements", tag = "agreements",
    request_body = CreateAgreementRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe creation")),
    responses((status = 201, body = AgreementView), (status = 200, description = "Replay of an earlier request", body = AgreementView),
              (status = 400), (status = 401), (status = 413), (status = 422)),
    security(("portal" = [])))]
async fn create_agreement(
    State(state): State<ApiState>,
    _: Portal,
    headers: HeaderMap,
    body: axum::body::Body,
) -> AppResult<Response> {
    // The only JSON route with a document inside: its own limit (a setting).
    let body = super::read_body(&headers, body, state.app.settings.max_body_bytes).await?;
    super::require_json(&headers)?;
    let idempotency = idempotency_key(&headers)?.map(|k| (k, agreements::request_digest(&body)));
    let req: CreateAgreementRequest = parse_json(&body)?;
    let new = NewAgreement {
        project_code: req.project_code,
        project_name: req.project_name,
        developer_name: req.developer_name,
        unit: req.unit,
        parties: req
            .parties
            .into_iter()
            .map(|p| NewParty {
                role: p.role,
                name: p.name,
                id_type: p.id_type,
                id_number: p.id_number,
                email: p.email,
                order: p.order,
                action: p.action,
                deadline: p.deadline,
            })
            .collect(),
    };
    // Validate the agreement before looking at the (possibly large) document.
    if let Err(fields) = crate::domain::validate_new_agreement(&new, state.app.now()) {
        return Err(AppError::invalid_fields(&fields));
    }
    let document = document_source(req.document)?;
    let cmd = CreateAgreement {
        new,
        developer_email: req.developer_email,
        document,
        idempotency,
    };
    let (Loaded { record, version }, created) = agreements::create(&state.app, cmd).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let location = format!("/v1/agreements/{}", record.agreement.id.0);
    Ok((
        status,
        [(header::LOCATION, location)],
        axum::Json(view(&record, version)),
    )
        .into_response())
}

/// Unknown parameters are refused: a misspelt filter must not list everything.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    #[param(schema_with = state_names)]
    status: Option<String>,
    project_code: Option<String>,
    /// RFC 3339; only agreements updated at or after it.
    updated_since: Option<DateTime<Utc>>,
    /// 1..=100, default 50.
    limit: Option<usize>,
    cursor: Option<String>,
}

/// List agreements by last update, oldest first, with filters and cursor paging.
#[utoipa::path(get, path = "/v1/agreements", tag = "agreements", params(ListParams),
    responses((status = 200, body = AgreementList), (status = 400), (status = 401)), security(("portal" = [])))]
async fn list_agreements(
    State(state): State<ApiState>,
    _: Portal,
    Query(params): Query<ListParams>,
) -> AppResult<axum::Json<AgreementList>> {
    let status = params
        .status
        .map(|s| serde_json::from_value::<AgreementState>(serde_json::Value::String(s)))
        .transpose()
        .map_err(|_| AppError::bad_request("status_invalid"))?;
    let filter = ListFilter {
        status,
        project_code: params.project_code,
        updated_since: params.updated_since,
        limit: params.limit.unwrap_or(50),
        cursor: params.cursor,
    };
    let (records, next_cursor) = agreements::list(&state.app, &filter).await?;
    let agreements = records.iter().map(|r| view(r, 0)).collect();
    Ok(axum::Json(AgreementList {
        agreements,
        next_cursor,
    }))
}

/// One agreement with its parties and revisions.
#[utoipa::path(get, path = "/v1/agreements/{id}", tag = "agreements", params(("id" = String, Path)),
    responses((status = 200, body = AgreementView), (status = 401), (status = 404)), security(("portal" = [])))]
async fn get_agreement(
    State(state): State<ApiState>,
    _: Portal,
    Path(id): Path<String>,
) -> AppResult<axum::Json<AgreementView>> {
    let id = AgreementId(id);
    let Loaded { record, version } = agreements::get(&state.app, &id).await?;
    let mut view = view(&record, version);
    view.completion_certificate = crate::app::completion::load(&state.app, &id)
        .await?
        .map(|c| CompletionView {
            url: format!("/v1/agreements/{}/completion-certificate", id.0),
            sha256: c.sha256,
            created_at: c.created_at,
            audit_head: c.audit_head,
        });
    Ok(axum::Json(view))
}

/// The current revision of the PDF (`X-Document-SHA256`), or a redirect to a download URL when it is large.
#[utoipa::path(get, path = "/v1/agreements/{id}/document", tag = "agreements", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 303), (status = 401), (status = 404)), security(("portal" = [])))]
async fn get_document(
    State(state): State<ApiState>,
    _: Portal,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (revision, body) = agreements::document(&state.app, &AgreementId(id)).await?;
    Ok(document_response(&revision, body))
}

/// The hash-chained audit trail and whether it verifies.
#[utoipa::path(get, path = "/v1/agreements/{id}/audit", tag = "agreements", params(("id" = String, Path)),
    responses((status = 200, body = AuditView), (status = 401), (status = 404)), security(("portal" = [])))]
async fn get_audit(
    State(state): State<ApiState>,
    _: Portal,
    Path(id): Path<String>,
) -> AppResult<axum::Json<AuditView>> {
    let (entries, verification) = agreements::audit_trail(&state.app, &AgreementId(id)).await?;
    Ok(axum::Json(AuditView {
        entries,
        verification,
    }))
}

/// Cancel an agreement (in progress or waiting after a change request).
#[utoipa::path(post, path = "/v1/agreements/{id}/cancel", tag = "agreements", params(("id" = String, Path)),
    responses((status = 200, body = AgreementView), (status = 401), (status = 404), (status = 409)), security(("portal" = [])))]
async fn cancel_agreement(
    State(state): State<ApiState>,
    _: Portal,
    Path(id): Path<String>,
) -> AppResult<axum::Json<AgreementView>> {
    let Loaded { record, version } = agreements::cancel(&state.app, &AgreementId(id)).await?;
    Ok(axum::Json(view(&record, version)))
}

pub(super) fn document_response(
    revision: &crate::app::repo::Revision,
    body: DocumentBody,
) -> Response {
    match body {
        DocumentBody::Url(url) => Redirect::to(&url).into_response(),
        DocumentBody::Bytes(bytes) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (
                    header::HeaderName::from_static("x-document-sha256"),
                    revision.sha256.clone(),
                ),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            bytes,
        )
            .into_response(),
    }
}
