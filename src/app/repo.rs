//! Agreements in the store: load one, and commit a change — the new state,
//! its audit entries, the outbox messages it causes and any extra writes —
//! in one all-or-nothing transaction guarded by the version we read.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::audit::{AuditEntry, AuditHead};
use super::email_status::EmailStatus;
use super::layout;
use super::outbox::{self, Message};
use super::queries;
use crate::domain::{Agreement, AgreementId, Event};
use crate::error::{AppError, AppResult};
use crate::ports::{Condition, Item, Ports, Query, Store, Write};

/// What `layout::serial(serial)` holds: the way from a serial to its agreement.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SerialEntry {
    pub agreement_id: AgreementId,
}

/// One stored PDF revision of the agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    pub number: u32,
    pub blob_key: String,
    pub sha256: String,
    pub size: u64,
    pub created_at: DateTime<Utc>,
    /// e.g. "initial", "serial", "signature:<party>".
    pub reason: String,
}

/// What is stored for an agreement besides the domain state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgreementRecord {
    pub agreement: Agreement,
    /// Who hears about change requests and expiry; defaults to the developer signatory.
    pub developer_email: Option<String>,
    pub audit: AuditHead,
    pub revisions: Vec<Revision>,
    /// How long before each deadline a reminder goes out (fixed at creation).
    #[serde(default)]
    pub reminder_offsets_secs: Vec<i64>,
    /// Reminders already dealt with, as `<party id>:<offset secs>`.
    #[serde(default)]
    pub reminders_done: BTreeSet<String>,
    /// What SES last said about each party's address, by party id.
    #[serde(default)]
    pub email_status: BTreeMap<String, EmailStatus>,
    /// When the newest document timestamp must be renewed by the archive step
    /// (`app::archive`); set once the completed agreement is sealed.
    #[serde(default)]
    pub archive_due: Option<DateTime<Utc>>,
}

impl AgreementRecord {
    pub fn current_revision(&self) -> Option<&Revision> {
        self.revisions.last()
    }

    /// Who hears about the agreement for the developer: the portal's address, else its signatory.
    pub fn developer_address(&self) -> Option<String> {
        self.developer_email.clone().or_else(|| {
            let signatory = self
                .agreement
                .parties
                .iter()
                .find(|p| p.role == crate::domain::Role::DeveloperSignatory);
            signatory.map(|p| p.email.clone())
        })
    }

    pub fn reminder_key(party: &crate::domain::PartyId, offset_secs: i64) -> String {
        format!("{}:{offset_secs}", party.0)
    }

    /// When the sweep next has something to do: the earliest pending reminder
    /// or deadline of a party still to act; for a completed agreement, its
    /// completion until it is sealed (the sweep makes the certificate of
    /// completion if the last party's request could not), then its archive
    /// step. `None` once nothing can fall due.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        let agreement = &self.agreement;
        if agreement.state == crate::domain::AgreementState::Completed {
            return Some(
                self.archive_due
                    .unwrap_or(agreement.completed_at.unwrap_or(agreement.updated_at)),
            );
        }
        agreement.next_deadline()?;
        agreement
            .parties
            .iter()
            .filter(|p| p.state.still_to_act())
            .flat_map(|p| {
                let reminders = self.reminder_offsets_secs.iter().filter_map(move |offset| {
                    let due = p.deadline - chrono::Duration::seconds(*offset);
                    (!self
                        .reminders_done
                        .contains(&Self::reminder_key(&p.id, *offset)))
                    .then_some(due)
                });
                reminders.chain(std::iter::once(p.deadline))
            })
            .min()
    }
}

#[derive(Debug, Clone)]
pub struct Loaded {
    pub record: AgreementRecord,
    pub version: u64,
}

pub async fn load(store: &dyn Store, id: &AgreementId) -> AppResult<Loaded> {
    let item = store
        .get(&layout::agreement(id))
        .await?
        .ok_or_else(|| AppError::not_found("agreement_not_found"))?;
    let record = serde_json::from_value(item.data).map_err(|e| {
        tracing::error!(agreement = %id.0, error = %e, "stored agreement unreadable");
        AppError::internal("stored_record_unreadable")
    })?;
    Ok(Loaded {
        record,
        version: item.version,
    })
}

/// Everything a use case wants written with the new state.
#[derive(Default)]
pub struct Change {
    pub events: Vec<Event>,
    /// App-level audit records that are not domain events (PIN reset, revision stored, …).
    pub notes: Vec<serde_json::Value>,
    pub messages: Vec<(String, Message)>,
    pub writes: Vec<Write>,
}

/// Writes `record` (new, or replacing `expected_version`) with its change.
/// Fails with `concurrent_update` (409) if someone else committed first.
pub async fn commit(
    ports: &Ports,
    expected_version: Option<u64>,
    mut record: AgreementRecord,
    change: Change,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let mut writes = Vec::new();
    let audited = change
        .events
        .iter()
        .map(|e| (e.at, serde_json::to_value(&e.kind).unwrap_or_default()))
        .chain(change.notes.into_iter().map(|n| (now, n)));
    for (at, event) in audited {
        let (entry, head) = record.audit.append(at, event);
        writes.push(put_new(
            layout::audit_entry(&record.agreement.id, entry.seq),
            &entry,
        ));
        record.audit = head;
    }
    for (id, message) in change.messages {
        let about = outbox::About::email(&record.agreement, &message);
        writes.push(outbox::enqueue_about(id, message, about, now));
    }
    writes.extend(change.writes);

    let item = agreement_item(&record);
    let condition = expected_version.map_or(Condition::NotExists, Condition::Version);
    writes.insert(0, Write::Put { item, condition });

    ports.store.transact(writes).await.map_err(|e| match e {
        crate::ports::StoreError::ConditionFailed { index: Some(0) }
        | crate::ports::StoreError::Conflict => AppError::conflict("concurrent_update"),
        other => AppError::from(other),
    })?;
    Ok(expected_version.map_or(1, |v| v + 1))
}

/// The stored form of a record, with its listing and due index entries.
pub fn agreement_item(record: &AgreementRecord) -> Item {
    let agreement = &record.agreement;
    let mut item = Item::new(
        layout::agreement(&agreement.id),
        serde_json::to_value(record).unwrap_or_default(),
    );
    item.lookup = Some(layout::list_entry(&agreement.id, agreement.updated_at));
    item.due = record
        .next_due()
        .map(|t| layout::deadline_due(&agreement.id, t));
    item
}

fn put_new(key: crate::ports::Key, value: &impl Serialize) -> Write {
    Write::Put {
        item: Item::new(key, serde_json::to_value(value).unwrap_or_default()),
        condition: Condition::NotExists,
    }
}

/// The whole audit trail of an agreement, in order.
pub async fn audit_entries(store: &dyn Store, id: &AgreementId) -> AppResult<Vec<AuditEntry>> {
    let (pk, prefix) = layout::audit_prefix(id);
    queries::all_pages(store, None, Query::prefix(pk, prefix))
        .await?
        .into_iter()
        .map(|item| {
            serde_json::from_value(item.data)
                .map_err(|_| AppError::internal("stored_record_unreadable"))
        })
        .collect()
}
