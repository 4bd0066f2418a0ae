//! The signer's session: who the link belongs to and what they can do now.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::App;
use super::link;
use super::repo::{self, Loaded};
use crate::domain::{Action, AgreementState, IdType, Party, PartyState, Role, Step, identity};
use crate::error::{AppError, AppResult};

/// What the signer's page shows next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NextStep {
    /// F1: waiting for the eKYC result.
    Ekyc,
    /// eKYC rejected: redo it in iDsaya.
    EkycRejected,
    /// Waiting for earlier parties.
    WaitingTurn,
    Certificate,
    Sign,
    Review,
    /// Already signed or reviewed: the link is used.
    Done,
    Expired,
    /// Cancelled, changes requested or completed by others.
    Closed,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub agreement_id: String,
    pub party_id: String,
    pub project_code: String,
    pub project_name: String,
    pub developer_name: String,
    pub unit: String,
    pub serial: String,
    #[schema(value_type = String)]
    pub agreement_state: AgreementState,
    /// Section A (F2.2).
    pub name: String,
    #[schema(value_type = String)]
    pub role: Role,
    #[schema(value_type = String)]
    pub id_type: IdType,
    /// Last four characters only.
    pub id_number_masked: String,
    pub email: String,
    #[schema(value_type = String)]
    pub action: Action,
    #[schema(value_type = String)]
    pub party_state: PartyState,
    pub next: NextStep,
    pub deadline: DateTime<Utc>,
    /// dd/mm/yyyy HH:MM, Malaysia time.
    pub deadline_local: String,
    /// SES reported the party's address as undeliverable (hard bounce): the
    /// page says so, since the emails the flow relies on will not arrive.
    pub email_bounced: bool,
}

pub struct SignerContext {
    pub loaded: Loaded,
    pub party: Party,
}

/// Resolves a link token to its agreement and party.
pub async fn resolve(app: &App, token: &str) -> AppResult<SignerContext> {
    let claims = link::verify(app.ports.keys.as_ref(), token, app.now()).await?;
    let loaded = repo::load(app.ports.store.as_ref(), &claims.agreement)
        .await
        .map_err(|e| {
            if e.code == "agreement_not_found" {
                AppError::unauthorized("link_invalid")
            } else {
                e
            }
        })?;
    let party = loaded
        .record
        .agreement
        .party(&claims.party)
        .cloned()
        .ok_or_else(|| AppError::unauthorized("link_invalid"))?;
    Ok(SignerContext { loaded, party })
}

pub fn next_step(ctx: &SignerContext, now: DateTime<Utc>) -> NextStep {
    let agreement = &ctx.loaded.record.agreement;
    let party = &ctx.party;
    if party.state.is_done() {
        return NextStep::Done;
    }
    if party.state == PartyState::Expired
        || agreement.state == AgreementState::Expired
        || party.deadline <= now
    {
        return NextStep::Expired;
    }
    if agreement.state != AgreementState::InProgress {
        return NextStep::Closed;
    }
    match party.state {
        PartyState::Invited | PartyState::EkycPending => return NextStep::Ekyc,
        PartyState::EkycRejected => return NextStep::EkycRejected,
        _ => {}
    }
    match agreement.current_step(&party.id) {
        Some(Step::Certificate) => NextStep::Certificate,
        Some(Step::Sign) => NextStep::Sign,
        Some(Step::Review) => NextStep::Review,
        Some(Step::Ekyc) => NextStep::Ekyc,
        None => NextStep::WaitingTurn,
    }
}

pub async fn view(app: &App, token: &str) -> AppResult<SessionView> {
    let ctx = resolve(app, token).await?;
    let now = app.now();
    let next = next_step(&ctx, now);
    let a = &ctx.loaded.record.agreement;
    let p = &ctx.party;
    Ok(SessionView {
        agreement_id: a.id.0.clone(),
        party_id: p.id.0.clone(),
        project_code: a.project_code.clone(),
        project_name: a.project_name.clone(),
        developer_name: a.developer_name.clone(),
        unit: a.unit.clone(),
        serial: a.serial_display(),
        agreement_state: a.state,
        name: p.name.clone(),
        role: p.role,
        id_type: p.id_type,
        id_number_masked: identity::mask_id(&p.id_number),
        email: p.email.clone(),
        action: p.action,
        party_state: p.state,
        next,
        deadline: p.deadline,
        deadline_local: crate::domain::malaysia_time(p.deadline),
        email_bounced: ctx
            .loaded
            .record
            .email_status
            .get(&p.id.0)
            .is_some_and(|s| s.undeliverable),
    })
}
