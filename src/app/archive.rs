//! The archive step that keeps a completed agreement provable (PAdES B-LTA):
//! a document timestamp proves the file only while its TSA certificate is
//! valid, so before that ends the expiry sweep appends a DSS with current
//! validation data and a new document timestamp, made with a TSA certificate
//! that has years left (the TSA certificate is renewed a year before its end,
//! the archive step runs [`ARCHIVE_MARGIN`] before). Each new timestamp covers
//! the ones before it, so the chain of proofs never breaks.

use chrono::{DateTime, TimeDelta, Utc};

use super::repo::{self, Change};
use super::{App, document, retry_on_conflict, tsa};
use crate::domain::{AgreementId, AgreementState};
use crate::error::{AppError, AppResult};

/// How long before the newest document timestamp's TSA certificate ends the
/// agreement is stamped again: less than the TSA certificate's renewal
/// window, so the new stamp comes from a renewed certificate.
pub const ARCHIVE_MARGIN: TimeDelta = TimeDelta::days(180);

/// When a document timestamp whose TSA certificate ends at `tsa_not_after`
/// must be renewed.
pub fn due_before(tsa_not_after: DateTime<Utc>) -> DateTime<Utc> {
    tsa_not_after - ARCHIVE_MARGIN
}

/// Stamps the completed agreement `id` again if its archive step is due at
/// `now`; `false` when nothing was due. Call it once the certificate of
/// completion exists (which sealed the agreement the first time). The new revision and the next due
/// time commit together; a concurrent change retries from the stored state.
pub async fn renew_if_due(app: &App, id: &AgreementId, now: DateTime<Utc>) -> AppResult<bool> {
    let store = app.ports.store.as_ref();
    retry_on_conflict(|| async {
        let loaded = repo::load(store, id).await?;
        let record = &loaded.record;
        // Sealed before the archive step existed: stamp it now.
        let due = record.archive_due.is_none_or(|due| due <= now);
        if record.agreement.state != AgreementState::Completed || !due {
            return Ok(false);
        }
        let current = record
            .current_revision()
            .cloned()
            .ok_or_else(|| AppError::internal("stored_record_unreadable"))?;
        let pdf = app.ports.blobs.get(&current.blob_key).await?;
        let sealed = tsa::seal_with_document_timestamp(app, pdf).await?;
        let revision = document::store_revision(
            app.ports.blobs.as_ref(),
            &record.agreement,
            current.number + 1,
            &sealed.pdf,
            "archive_timestamp",
            now,
        )
        .await?;
        let mut record = loaded.record;
        let number = revision.number;
        record.revisions.push(revision);
        record.archive_due = Some(due_before(sealed.tsa_not_after));
        let change = Change {
            notes: vec![serde_json::json!({
                "type": "archive_timestamp",
                "revision": number,
                "tsa_not_after": sealed.tsa_not_after,
            })],
            ..Change::default()
        };
        repo::commit(&app.ports, Some(loaded.version), record, change, now).await?;
        tracing::info!(agreement = %id.0, revision = number, "archive timestamp added");
        Ok(true)
    })
    .await
}
