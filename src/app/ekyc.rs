//! The `ekyc-callback` function: the eKYC provider reports a party's result
//! through an HMAC-signed, timestamped webhook; replays are refused.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::hmac_sig::{self, SignatureProblem};
use super::repo::{self, Change, Loaded};
use super::{App, layout, notices, retry_on_conflict};
use crate::domain::{AgreementId, EkycOutcome, PartyId};
use crate::error::{AppError, AppResult};
use crate::ports::{Condition, Item, Write};

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EkycCallback {
    pub agreement_id: String,
    pub party_id: String,
    pub result: EkycResult,
    /// The provider's reference for the verification (kept for the audit).
    pub reference: String,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EkycResult {
    Pending,
    Approved,
    Rejected,
}

/// Checks the signature headers against the raw body; returns the parsed callback.
pub fn authenticate(
    app: &App,
    signature: Option<&str>,
    timestamp: Option<&str>,
    body: &[u8],
) -> AppResult<EkycCallback> {
    let now = app.now().timestamp();
    let tolerance = app.settings.webhook_tolerance.as_secs() as i64;
    hmac_sig::verify(
        app.settings.ekyc_secret.expose().as_bytes(),
        signature,
        timestamp,
        body,
        now,
        tolerance,
    )
    .map_err(|p| match p {
        SignatureProblem::Missing => AppError::unauthorized("signature_missing"),
        SignatureProblem::Invalid => AppError::unauthorized("signature_invalid"),
        SignatureProblem::Stale => AppError::unauthorized("timestamp_invalid"),
    })?;
    serde_json::from_slice(body).map_err(|_| AppError::unprocessable("validation_failed"))
}

/// Records the result. `signature` (already verified) is remembered until it
/// could no longer pass the timestamp check, so the same request twice is refused.
pub async fn record(app: &App, callback: &EkycCallback, signature: &str) -> AppResult<Loaded> {
    let agreement_id = AgreementId(callback.agreement_id.clone());
    let party_id = PartyId(callback.party_id.clone());
    let outcome = match callback.result {
        EkycResult::Pending => EkycOutcome::Pending,
        EkycResult::Approved => EkycOutcome::Approved,
        EkycResult::Rejected => EkycOutcome::Rejected,
    };
    if callback.reference.trim().is_empty() || callback.reference.len() > 200 {
        return Err(AppError::invalid_fields(&[crate::domain::FieldError::new(
            "reference",
            "reference_invalid",
        )]));
    }
    let guard_digest = hex::encode(Sha256::digest(signature.as_bytes()));
    // A replay usually finds the party already moved on; say "replayed", not
    // "invalid transition". (The guard write below still settles races.)
    if app
        .ports
        .store
        .get(&layout::replay_guard(&guard_digest))
        .await?
        .is_some()
    {
        return Err(AppError::conflict("replayed"));
    }
    retry_on_conflict(|| async {
        let Loaded {
            mut record,
            version,
        } = repo::load(app.ports.store.as_ref(), &agreement_id).await?;
        let now = app.now();
        let transition =
            record
                .agreement
                .record_ekyc(&party_id, outcome, callback.reference.clone(), now)?;
        let messages = notices::for_events(app, &transition.agreement, &transition.events).await?;
        record.agreement = transition.agreement;
        let mut guard = Item::new(
            layout::replay_guard(&guard_digest),
            serde_json::json!({"at": now}),
        );
        guard.expires_at =
            Some(now.timestamp() + 2 * app.settings.webhook_tolerance.as_secs() as i64);
        let change = Change {
            events: transition.events,
            messages,
            writes: vec![Write::Put {
                item: guard,
                condition: Condition::NotExists,
            }],
            ..Change::default()
        };
        match repo::commit(&app.ports, Some(version), record.clone(), change, now).await {
            Ok(version) => {
                app.outbox_signal.notify_one();
                Ok(Loaded { record, version })
            }
            Err(e) => {
                if app
                    .ports
                    .store
                    .get(&layout::replay_guard(&guard_digest))
                    .await?
                    .is_some()
                {
                    return Err(AppError::conflict("replayed"));
                }
                Err(e)
            }
        }
    })
    .await
}
