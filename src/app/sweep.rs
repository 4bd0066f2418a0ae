//! The `expiry-sweep` function: every few minutes, remind parties before
//! their deadline and expire what passed it (parties, agreement, unsigned
//! certificates), telling the parties and the developer. It reads only what
//! the due index says is due — never the whole table — and is idempotent:
//! reminders done are recorded with the state, so a second run sends nothing.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::mail::Template;
use super::outbox::Message;
use super::repo::{self, AgreementRecord, Change, Loaded};
use super::{App, archive, ca, completion, layout, notices, queries, retry_on_conflict};
use crate::domain::{Agreement, AgreementId, AgreementState, Party, PartyState};
use crate::error::AppResult;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Agreements the due index returned.
    pub due: u32,
    pub reminders: u32,
    pub parties_expired: u32,
    pub agreements_expired: u32,
    /// Certificates of completion the last party's request did not get to
    /// make (a crash or an outage right after its commit), made here.
    pub completions: u32,
    /// Completed agreements stamped again before their newest document
    /// timestamp's TSA certificate ends (`app::archive`).
    pub archive_timestamps: u32,
    /// The CRL served after this run is current (re-signed when it was due).
    pub crl_current: bool,
    /// The TSA certificate is current (renewed when it was near its end).
    pub tsa_certificate_current: bool,
}

pub async fn run(app: &App, now: DateTime<Utc>) -> AppResult<SweepReport> {
    sweep(app, now, false).await
}

/// Only the completed agreements of the due index: the part of the sweep that
/// finishes what a crash left undone, without expiring anything. The local
/// runtime's deliverer runs it (locally nothing runs the full sweep on a schedule).
pub async fn finish_completions(app: &App, now: DateTime<Utc>) -> AppResult<SweepReport> {
    sweep(app, now, true).await
}

async fn sweep(app: &App, now: DateTime<Utc>, completions_only: bool) -> AppResult<SweepReport> {
    let mut report = SweepReport::default();
    for shard in 0..layout::DUE_SHARDS {
        for item in
            queries::due_items(app.ports.store.as_ref(), &format!("DUE#{shard}"), now).await?
        {
            let Ok(record) = serde_json::from_value::<AgreementRecord>(item.data) else {
                tracing::error!(key = ?item.key, "due item is not an agreement");
                continue;
            };
            let completed = record.agreement.state == AgreementState::Completed;
            if completions_only && !completed {
                continue;
            }
            report.due += 1;
            let outcome = if completed {
                finish_completion(app, &record.agreement.id, now, &mut report).await
            } else {
                let first = Loaded {
                    record,
                    version: item.version,
                };
                sweep_one(app, first, now, &mut report).await
            };
            if let Err(e) = outcome {
                // One bad agreement must not stop the others; it stays due and is retried.
                tracing::error!(code = e.code, "sweeping an agreement failed");
            }
        }
    }
    if !completions_only {
        keep_trust_current(app, &mut report).await;
    }
    if report.reminders + report.parties_expired + report.completions > 0 {
        app.outbox_signal.notify_one();
    }
    Ok(report)
}

/// Re-signs the CRL when it is due (so it is never older than
/// `ca::CRL_RESIGN_AFTER` and lists every revocation, fetched or not) and
/// renews the TSA certificate before its end: the functions that only read
/// them may not use the CA key. A failure is logged; the next run retries.
async fn keep_trust_current(app: &App, report: &mut SweepReport) {
    match ca::current_crl(app).await {
        Ok(_) => report.crl_current = true,
        Err(e) => tracing::error!(code = e.code, "re-signing the CRL failed"),
    }
    match super::tsa::tsa_certificate(&app.ports, &app.settings.public_url).await {
        Ok(_) => report.tsa_certificate_current = true,
        Err(e) => tracing::error!(code = e.code, "renewing the TSA certificate failed"),
    }
}

/// A completed agreement is due until its certificate of completion exists
/// (which seals it), then when its archive step is.
async fn finish_completion(
    app: &App,
    id: &AgreementId,
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> AppResult<()> {
    let missing = completion::load(app, id).await?.is_none();
    completion::ensure(app, id).await?;
    if missing {
        tracing::warn!(agreement = %id.0, "certificate of completion made by the sweep");
        report.completions += 1;
    }
    if archive::renew_if_due(app, id, now).await? {
        report.archive_timestamps += 1;
    }
    Ok(())
}

async fn sweep_one(
    app: &App,
    first: Loaded,
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> AppResult<()> {
    let id: AgreementId = first.record.agreement.id.clone();
    let mut first = Some(first);
    let outcome = retry_on_conflict(|| {
        let preloaded = first.take();
        let id = id.clone();
        async move {
            let Loaded {
                mut record,
                version,
            } = match preloaded {
                Some(loaded) => loaded,
                None => repo::load(app.ports.store.as_ref(), &id).await?,
            };
            let before = record.agreement.clone();
            let mut change = Change::default();
            let mut counts = SweepReport::default();

            if let Ok(transition) = before.expire_due(now)
                && !transition.events.is_empty()
            {
                counts.parties_expired = transition
                    .events
                    .iter()
                    .filter(|e| {
                        matches!(
                            &e.kind,
                            crate::domain::EventKind::PartyStateChanged {
                                to: PartyState::Expired,
                                ..
                            }
                        )
                    })
                    .count() as u32;
                counts.agreements_expired = u32::from(!transition.agreement.is_open());
                change
                    .writes
                    .extend(ca::revocation_writes(&before, &transition.agreement, now));
                change.messages.extend(
                    notices::for_events(app, &transition.agreement, &transition.events).await?,
                );
                if !transition.agreement.is_open() {
                    change.messages.extend(
                        expiry_emails(app, &transition.agreement, record.developer_address())
                            .await?,
                    );
                }
                record.agreement = transition.agreement;
                change.events = transition.events;
            }
            counts.reminders = reminders(app, &mut record, &mut change, now).await?;

            let unchanged = change.events.is_empty() && change.messages.is_empty();
            if unchanged && record.next_due().is_some_and(|due| due > now) {
                // A stale index entry: rewrite the item so it leaves the due range.
            } else if unchanged {
                return Ok(SweepReport::default());
            }
            repo::commit(&app.ports, Some(version), record, change, now).await?;
            Ok(counts)
        }
    })
    .await?;
    report.reminders += outcome.reminders;
    report.parties_expired += outcome.parties_expired;
    report.agreements_expired += outcome.agreements_expired;
    Ok(())
}

/// Parties whose reminder time has come: those who can act now get an email;
/// those still waiting for their turn are only marked (nothing to do yet).
async fn reminders(
    app: &App,
    record: &mut AgreementRecord,
    change: &mut Change,
    now: DateTime<Utc>,
) -> AppResult<u32> {
    let agreement = record.agreement.clone();
    if !agreement.is_open() {
        return Ok(0);
    }
    let mut sent = 0;
    for party in agreement
        .parties
        .iter()
        .filter(|p| p.state.still_to_act() && p.deadline > now)
    {
        for offset in record.reminder_offsets_secs.clone() {
            let key = AgreementRecord::reminder_key(&party.id, offset);
            if record.reminders_done.contains(&key)
                || party.deadline - chrono::Duration::seconds(offset) > now
            {
                continue;
            }
            if can_act_now(&agreement, party) {
                let email =
                    notices::party_email(app, &agreement, party, Template::Reminder).await?;
                change.messages.push(notices::with_id(email));
                change.notes.push(serde_json::json!({"type": "reminder_sent", "party": party.id, "offset_secs": offset}));
                sent += 1;
            }
            record.reminders_done.insert(key);
        }
    }
    Ok(sent)
}

fn can_act_now(agreement: &Agreement, party: &Party) -> bool {
    matches!(
        party.state,
        PartyState::Invited | PartyState::EkycPending | PartyState::EkycRejected
    ) || agreement.current_step(&party.id).is_some()
}

/// The agreement expired: every party that had still to act and the developer hear of it.
async fn expiry_emails(
    app: &App,
    agreement: &Agreement,
    developer: Option<String>,
) -> AppResult<Vec<(String, Message)>> {
    let mut out = Vec::new();
    let mut told = std::collections::BTreeSet::new();
    let expired: Vec<&Party> = agreement
        .parties
        .iter()
        .filter(|p| p.state == PartyState::Expired)
        .collect();
    for party in &expired {
        if told.insert(party.email.clone()) {
            out.push(notices::with_id(
                notices::party_email(app, agreement, party, Template::Expired).await?,
            ));
        }
    }
    if let (Some(to), Some(first)) = (developer, expired.first())
        && !told.contains(&to)
    {
        let email = notices::email(
            app,
            agreement,
            &to,
            "Pemaju",
            String::new(),
            first.deadline,
            Template::Expired,
        )?;
        out.push(notices::with_id(email));
    }
    Ok(out)
}
