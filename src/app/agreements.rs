//! The `agreements` function: the portal creates, reads, lists and cancels
//! agreements, and fetches their PDF and audit trail.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::document::{self, DocumentSource};
use super::repo::{self, AgreementRecord, Change, Loaded};
use super::{App, audit, layout, new_id, notices, retry_on_conflict};
use crate::domain::{Agreement, AgreementId, AgreementState, NewAgreement, PartyId};
use crate::error::{AppError, AppResult};
use crate::ports::{Condition, Index, Item, Query, SortRange, Write};

pub struct CreateAgreement {
    pub new: NewAgreement,
    pub developer_email: Option<String>,
    pub document: DocumentSource,
    /// The `Idempotency-Key` header and a digest of the request it came with.
    pub idempotency: Option<(String, [u8; 32])>,
}

#[derive(Debug, Serialize, Deserialize)]
struct IdempotencyRecord {
    agreement_id: AgreementId,
    request_sha256: String,
}

/// Creates an agreement; with an idempotency key, a repeat of the same
/// request returns the first agreement (`false`: not newly created).
pub async fn create(app: &App, cmd: CreateAgreement) -> AppResult<(Loaded, bool)> {
    if let Some((key, digest)) = &cmd.idempotency
        && let Some(existing) = replay(app, key, digest).await?
    {
        return Ok((existing, false));
    }
    let now = app.now();
    let id = AgreementId(new_id(app, "agr"));
    let party_ids = cmd
        .new
        .parties
        .iter()
        .map(|_| PartyId(new_id(app, "pty")))
        .collect();
    let transition = Agreement::create(id, party_ids, cmd.new, now)?;
    let agreement = transition.agreement;

    if let Some(email) = &cmd.developer_email
        && !crate::domain::identity::valid_email(email)
    {
        return Err(AppError::invalid_fields(&[crate::domain::FieldError::new(
            "developer_email",
            "email_invalid",
        )]));
    }
    let for_pdf = agreement.clone();
    let source = cmd.document;
    let first = tokio::task::spawn_blocking(move || document::first_revision(&for_pdf, source))
        .await
        .map_err(|_| AppError::internal("pdf_render_failed"))??;
    if let Some(text) = &first.text_json {
        app.ports
            .blobs
            .put(
                &document::text_blob_key(&agreement.id),
                text,
                "application/json",
            )
            .await?;
    }
    let revision = document::store_revision(
        app.ports.blobs.as_ref(),
        &agreement,
        1,
        &first.pdf,
        "initial",
        now,
    )
    .await?;

    let mut change = Change {
        messages: notices::for_events(app, &agreement, &transition.events).await?,
        ..Change::default()
    };
    change.notes.push(
        serde_json::json!({"type": "document_revision", "number": 1, "sha256": revision.sha256}),
    );
    change.events = transition.events;
    if let Some((key, digest)) = &cmd.idempotency {
        let record = IdempotencyRecord {
            agreement_id: agreement.id.clone(),
            request_sha256: hex::encode(digest),
        };
        let mut item = Item::new(
            layout::idempotency(key),
            serde_json::to_value(record).unwrap_or_default(),
        );
        item.expires_at = Some((now + chrono::Duration::days(7)).timestamp());
        change.writes.push(Write::Put {
            item,
            condition: Condition::NotExists,
        });
    }
    let record = AgreementRecord {
        agreement,
        developer_email: cmd.developer_email,
        audit: Default::default(),
        revisions: vec![revision],
        reminder_offsets_secs: app
            .settings
            .reminder_before
            .iter()
            .map(|d| d.num_seconds())
            .collect(),
        reminders_done: Default::default(),
        email_status: Default::default(),
        archive_due: None,
    };
    match repo::commit(&app.ports, None, record.clone(), change, now).await {
        Ok(version) => {
            app.outbox_signal.notify_one();
            let record = repo::load(app.ports.store.as_ref(), &record.agreement.id)
                .await
                .map(|l| l.record)
                .unwrap_or(record);
            Ok((Loaded { record, version }, true))
        }
        // Lost a race with the same idempotency key: answer with the winner.
        Err(e) => match &cmd.idempotency {
            Some((key, digest)) => replay(app, key, digest).await?.map(|l| (l, false)).ok_or(e),
            None => Err(e),
        },
    }
}

async fn replay(app: &App, key: &str, digest: &[u8; 32]) -> AppResult<Option<Loaded>> {
    let Some(item) = app.ports.store.get(&layout::idempotency(key)).await? else {
        return Ok(None);
    };
    let record: IdempotencyRecord = serde_json::from_value(item.data)
        .map_err(|_| AppError::internal("stored_record_unreadable"))?;
    if record.request_sha256 != hex::encode(digest) {
        return Err(AppError::unprocessable("idempotency_key_reused"));
    }
    repo::load(app.ports.store.as_ref(), &record.agreement_id)
        .await
        .map(Some)
}

pub fn request_digest(body: &[u8]) -> [u8; 32] {
    Sha256::digest(body).into()
}

pub async fn get(app: &App, id: &AgreementId) -> AppResult<Loaded> {
    repo::load(app.ports.store.as_ref(), id).await
}

pub async fn cancel(app: &App, id: &AgreementId) -> AppResult<Loaded> {
    retry_on_conflict(|| async {
        let Loaded {
            mut record,
            version,
        } = repo::load(app.ports.store.as_ref(), id).await?;
        let now = app.now();
        let transition = record.agreement.cancel(now)?;
        let messages = notices::for_events(app, &transition.agreement, &transition.events).await?;
        // Unsigned parties' certificates are revoked with the cancel, atomically.
        let writes = super::ca::revocation_writes(&record.agreement, &transition.agreement, now);
        record.agreement = transition.agreement;
        let change = Change {
            events: transition.events,
            messages,
            writes,
            ..Change::default()
        };
        let version = repo::commit(&app.ports, Some(version), record.clone(), change, now).await?;
        app.outbox_signal.notify_one();
        Ok(Loaded { record, version })
    })
    .await
}

/// The current revision's bytes (or a download URL when they are too big to
/// return inline, as from Lambda).
pub enum DocumentBody {
    Bytes(Vec<u8>),
    Url(String),
}

/// Lambda answers at most 6 MB; base64 makes 4.5 MB the safe inline limit.
const INLINE_LIMIT: u64 = 4_500_000;

pub async fn document(app: &App, id: &AgreementId) -> AppResult<(repo::Revision, DocumentBody)> {
    let loaded = repo::load(app.ports.store.as_ref(), id).await?;
    let revision = loaded
        .record
        .current_revision()
        .cloned()
        .ok_or_else(|| AppError::not_found("document_not_found"))?;
    if revision.size > INLINE_LIMIT
        && let Some(url) = app
            .ports
            .blobs
            .download_url(&revision.blob_key, 300)
            .await?
    {
        return Ok((revision, DocumentBody::Url(url)));
    }
    let bytes = app.ports.blobs.get(&revision.blob_key).await?;
    Ok((revision, DocumentBody::Bytes(bytes)))
}

pub async fn audit_trail(
    app: &App,
    id: &AgreementId,
) -> AppResult<(Vec<audit::AuditEntry>, audit::ChainCheck)> {
    let loaded = repo::load(app.ports.store.as_ref(), id).await?;
    let entries = repo::audit_entries(app.ports.store.as_ref(), id).await?;
    let check = audit::verify(&entries, &loaded.record.audit);
    Ok((entries, check))
}

#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub status: Option<AgreementState>,
    pub project_code: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
    pub limit: usize,
    pub cursor: Option<String>,
}

/// Agreements by last update, oldest first (so a poller keeps `updated_since`).
///
/// The cursor is the listing sort key of the last item returned (base64url):
/// the next page starts just after it. Keeping it ours, not the store's,
/// means a garbled cursor is the caller's 400, never a store failure.
pub async fn list(
    app: &App,
    filter: &ListFilter,
) -> AppResult<(Vec<AgreementRecord>, Option<String>)> {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

    let since = filter
        .updated_since
        .map(layout::sortable)
        .unwrap_or_default();
    let after = match &filter.cursor {
        None => None,
        Some(cursor) => Some(
            B64.decode(cursor)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                // Listing keys sort below "~", the range's end: no range upside down.
                .filter(|sk| !sk.is_empty() && sk.len() <= 200 && sk.as_str() < "~")
                .ok_or_else(|| AppError::bad_request("cursor_invalid"))?,
        ),
    };
    // "\0" sorts right after the last key and before anything longer.
    let from = match after {
        Some(after) => format!("{after}\0").max(since),
        None => since,
    };
    let query = Query {
        pk: layout::LIST_PARTITION.to_owned(),
        range: SortRange::Between {
            from,
            to: "~".to_owned(),
        },
        limit: filter.limit.clamp(1, 100),
        descending: false,
        cursor: None,
    };
    let page = app.ports.store.query_index(Index::Lookup, &query).await?;
    let next = page
        .next
        .and_then(|_| page.items.last())
        .and_then(|item| item.lookup.as_ref())
        .map(|key| B64.encode(&key.sk));
    let records = page
        .items
        .into_iter()
        .filter_map(|item| serde_json::from_value::<AgreementRecord>(item.data).ok())
        .filter(|r| filter.status.is_none_or(|s| r.agreement.state == s))
        .filter(|r| {
            filter
                .project_code
                .as_ref()
                .is_none_or(|c| &r.agreement.project_code == c)
        })
        .collect();
    Ok((records, next))
}
