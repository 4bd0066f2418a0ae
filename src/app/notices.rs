//! What each change tells the world: emails to parties (rendered now, sent by
//! the outbox) and webhook events to the portal.

use chrono::{DateTime, Utc};

use super::link::{self, LinkClaims};
use super::mail::{self, MailContext, Template};
use super::outbox::{Message, WebhookEvent};
use super::{App, new_id};
use crate::domain::{
    Agreement, Event, EventKind, Party, PartyId, PartyState, Role, Step, malaysia_time,
};
use crate::error::AppResult;
use crate::ports::Email;

pub fn salutation(role: Role) -> &'static str {
    match role {
        Role::Purchaser => "Pembeli",
        Role::DeveloperSignatory => "Pemaju",
        Role::Landowner => "Tuan Tanah",
        Role::LandownerWitness => "Saksi Tuan Tanah",
        Role::Other => "Tuan/Puan",
    }
}

/// The signer's page link for one party; the token expires with its deadline.
pub async fn signer_link(app: &App, agreement: &Agreement, party: &Party) -> AppResult<String> {
    let claims = LinkClaims {
        agreement: agreement.id.clone(),
        party: party.id.clone(),
        expires: party.deadline.timestamp(),
    };
    let token = link::issue(app.ports.keys.as_ref(), &claims).await?;
    Ok(format!("{}/s/{token}", app.settings.public_url))
}

pub async fn party_email(
    app: &App,
    agreement: &Agreement,
    party: &Party,
    template: Template,
) -> AppResult<Message> {
    let link = signer_link(app, agreement, party).await?;
    email(
        app,
        agreement,
        &party.email,
        salutation(party.role),
        link,
        party.deadline,
        template,
    )
}

/// An email about `agreement` to anyone (`link` may be empty where the template has none).
pub fn email(
    app: &App,
    agreement: &Agreement,
    to: &str,
    salutation: &str,
    link: String,
    deadline: DateTime<Utc>,
    template: Template,
) -> AppResult<Message> {
    let ctx = context(agreement, salutation, link, deadline);
    email_with(app, to, &ctx, template)
}

/// The template context for an email about `agreement` (optional fields unset).
pub fn context(
    agreement: &Agreement,
    salutation: &str,
    link: String,
    deadline: DateTime<Utc>,
) -> MailContext {
    MailContext {
        salutation: salutation.to_owned(),
        project_code: agreement.project_code.clone(),
        project_name: agreement.project_name.clone(),
        developer_name: agreement.developer_name.clone(),
        unit: agreement.unit.clone(),
        link,
        deadline: malaysia_time(deadline),
        comment: None,
        verify_url: None,
        code: None,
        bounced_parties: Vec::new(),
    }
}

/// Renders `template` with `ctx` into an email to `to`.
pub fn email_with(
    app: &App,
    to: &str,
    ctx: &MailContext,
    template: Template,
) -> AppResult<Message> {
    let rendered = mail::render(template, ctx)?;
    Ok(Message::Email(Email {
        id: new_id(app, "msg"),
        to: to.to_owned(),
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
    }))
}

/// The messages `events` cause, each with its outbox id.
pub async fn for_events(
    app: &App,
    agreement: &Agreement,
    events: &[Event],
) -> AppResult<Vec<(String, Message)>> {
    let mut out = Vec::new();
    for event in events {
        if let Some(template) = email_for(event, events) {
            let party = event_party(event).and_then(|p| agreement.party(p));
            if let Some(party) = party {
                let message = party_email(app, agreement, party, template).await?;
                out.push(with_id(message));
            }
        }
        if app.settings.portal_webhook_url.is_some()
            && let Some(webhook) = webhook_for(app, agreement, event)
        {
            out.push(with_id(webhook));
        }
    }
    Ok(out)
}

/// The message with its outbox id (the email's or the event's own id).
pub fn with_id(message: Message) -> (String, Message) {
    let id = match &message {
        Message::Email(e) => e.id.clone(),
        Message::Webhook { event } => event.id.clone(),
    };
    (id, message)
}

fn event_party(event: &Event) -> Option<&PartyId> {
    match &event.kind {
        EventKind::StepOpened { party, .. } | EventKind::PartyStateChanged { party, .. } => {
            Some(party)
        }
        _ => None,
    }
}

fn email_for(event: &Event, all: &[Event]) -> Option<Template> {
    match &event.kind {
        EventKind::StepOpened { step, .. } => Some(match step {
            Step::Ekyc => Template::EkycRequest,
            Step::Certificate => Template::CertificateStep,
            Step::Sign => Template::YourTurn,
            Step::Review => Template::ReviewRequest,
        }),
        // eKYC approved before the turn: F1.2 now, the certificate email later.
        EventKind::PartyStateChanged {
            party,
            to: PartyState::EkycVerified,
            ..
        } => {
            let opened_now = all
                .iter()
                .any(|e| matches!(&e.kind, EventKind::StepOpened { party: p, .. } if p == party));
            (!opened_now).then_some(Template::EkycDone)
        }
        _ => None,
    }
}

fn webhook_for(app: &App, agreement: &Agreement, event: &Event) -> Option<Message> {
    let (kind, party, from, to) = match &event.kind {
        EventKind::AgreementCreated => (
            "agreement.created",
            None,
            None,
            Some("in_progress".to_owned()),
        ),
        EventKind::AgreementStateChanged { from, to } => (
            "agreement.state_changed",
            None,
            Some(state_name(from)),
            Some(state_name(to)),
        ),
        EventKind::PartyStateChanged { party, from, to } => (
            "party.state_changed",
            Some(party.0.clone()),
            Some(state_name(from)),
            Some(state_name(to)),
        ),
        _ => return None,
    };
    Some(Message::Webhook {
        event: webhook_event(app, agreement, kind, party, from, to, event.at),
    })
}

fn webhook_event(
    app: &App,
    agreement: &Agreement,
    kind: &str,
    party_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    at: DateTime<Utc>,
) -> WebhookEvent {
    WebhookEvent {
        id: new_id(app, "evt"),
        kind: kind.to_owned(),
        agreement_id: agreement.id.0.clone(),
        party_id,
        from,
        to,
        at,
    }
}

fn state_name(state: &impl serde::Serialize) -> String {
    serde_json::to_value(state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
