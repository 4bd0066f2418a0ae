//! The reviewer's decision (F3.2): confirm, or request changes with a comment,
//! which puts the agreement on hold and tells the developer.

use super::mail::Template;
use super::outbox::Message;
use super::repo::{self, AgreementRecord, Change};
use super::{App, completion, notices, retry_on_conflict, session};
use crate::domain::{AgreementState, ReviewDecision};
use crate::error::AppResult;

/// Records `decision` for the party `token` names; returns the agreement's new state.
pub async fn review(app: &App, token: &str, decision: ReviewDecision) -> AppResult<AgreementState> {
    let ctx = session::resolve(app, token).await?;
    let agreement_id = ctx.loaded.record.agreement.id.clone();
    let party_id = ctx.party.id.clone();
    let state = retry_on_conflict(|| async {
        let loaded = repo::load(app.ports.store.as_ref(), &agreement_id).await?;
        let mut record = loaded.record;
        let now = app.now();
        let transition = record.agreement.review(&party_id, decision.clone(), now)?;
        let mut messages =
            notices::for_events(app, &transition.agreement, &transition.events).await?;
        if let ReviewDecision::RequestChanges { comment } = &decision {
            record.agreement = transition.agreement.clone();
            if let Some(message) = developer_notice(app, &record, comment.trim())? {
                messages.push(notices::with_id(message));
            }
        }
        let state = transition.agreement.state;
        record.agreement = transition.agreement;
        let change = Change {
            events: transition.events,
            messages,
            ..Change::default()
        };
        repo::commit(&app.ports, Some(loaded.version), record, change, now).await?;
        app.outbox_signal.notify_one();
        Ok(state)
    })
    .await?;
    if state == AgreementState::Completed {
        completion::after_last_party(app, &agreement_id).await;
    }
    Ok(state)
}

fn developer_notice(
    app: &App,
    record: &AgreementRecord,
    comment: &str,
) -> AppResult<Option<Message>> {
    let Some(to) = record.developer_address() else {
        return Ok(None);
    };
    let agreement = &record.agreement;
    let mut ctx = notices::context(agreement, "Pemaju", String::new(), agreement.updated_at);
    ctx.comment = Some(comment.to_owned());
    notices::email_with(app, &to, &ctx, Template::ChangesRequested).map(Some)
}
