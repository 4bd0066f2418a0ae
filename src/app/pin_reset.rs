//! F6: a forgotten or blocked certificate PIN. The signer's link session,
//! the email and IC / passport number on record *and* a fresh `pin_reset`
//! email code together set a new PIN and unblock it — any one alone is not
//! enough. Wrong identity details count against the second-factor limit.
//! The reset is in the agreement's audit trail and the signer is emailed.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::authorize::FactorAttempt;
use super::certificates::{self, PIN_FAILURES_COUNTER};
use super::mail::Template;
use super::otp::{self, Purpose};
use super::repo::{self, Change};
use super::session::SignerContext;
use super::{App, notices, pin_hash, retry_on_conflict, session};
use crate::domain::{IdType, Party, identity};
use crate::error::{AppError, AppResult, ErrorKind};
use crate::ports::{Condition, Item, Write};

/// `POST /v1/signer/pin-reset`. Holds secrets: no Debug.
pub struct PinResetRequest {
    pub email: String,
    pub id_number: Zeroizing<String>,
    pub email_code: Zeroizing<String>,
    pub new_pin: Zeroizing<String>,
    pub new_pin_confirm: Zeroizing<String>,
}

/// F6.1 "Semak": whether `email` is the one on record for this link's party.
pub async fn check_email(app: &App, token: &str, email: &str) -> AppResult<()> {
    let ctx = with_certificate(app, token).await?;
    let (agreement, party) = (&ctx.loaded.record.agreement.id, &ctx.party.id);
    let attempt = FactorAttempt::reserve(app, agreement, party).await?;
    if same_email(&ctx.party, email) {
        attempt.release(app).await
    } else {
        Err(attempt.explain(identity_mismatch()))
    }
}

/// F6.2: sets a new PIN and unblocks it.
pub async fn reset(app: &App, token: &str, request: PinResetRequest) -> AppResult<()> {
    let ctx = with_certificate(app, token).await?;
    let agreement_id = ctx.loaded.record.agreement.id.clone();
    let party_id = ctx.party.id.clone();
    certificates::check_pin(&request.new_pin, &request.new_pin_confirm)?;

    let attempt = FactorAttempt::reserve(app, &agreement_id, &party_id).await?;
    // Both compared before either decides, so the answer's timing does not say which was wrong.
    let email_ok = same_email(&ctx.party, &request.email);
    let id_ok = same_id_number(&ctx.party, &request.id_number);
    if !(email_ok & id_ok) {
        return Err(attempt.explain(identity_mismatch()));
    }
    otp::consume(
        app,
        &agreement_id,
        &party_id,
        Purpose::PinReset,
        &request.email_code,
    )
    .await
    .map_err(|e| attempt.explain(e))?;
    attempt.clear(app).await?;

    let new_hash = pin_hash::hash_blocking(request.new_pin, app.ports.rng.bytes()).await?;
    retry_on_conflict(|| async {
        let loaded = repo::load(app.ports.store.as_ref(), &agreement_id).await?;
        let (mut secrets, item) =
            certificates::load_secrets(app.ports.store.as_ref(), &agreement_id, &party_id)
                .await?
                .ok_or_else(|| AppError::conflict("certificate_required"))?;
        let party = loaded
            .record
            .agreement
            .party(&party_id)
            .cloned()
            .ok_or_else(|| AppError::unauthorized("link_invalid"))?;
        secrets.pin_hash = new_hash.clone();
        let mut updated = Item {
            data: serde_json::to_value(&secrets).unwrap_or_default(),
            ..item.clone()
        };
        updated.counters.clear();
        updated.counters.insert(PIN_FAILURES_COUNTER.to_owned(), 0);
        let email = notices::email_with(
            app,
            &party.email,
            &notices::context(
                &loaded.record.agreement,
                notices::salutation(party.role),
                String::new(),
                party.deadline,
            ),
            Template::PinChanged,
        )?;
        let change = Change {
            notes: vec![serde_json::json!({"type": "pin_reset", "party": party_id.0})],
            messages: vec![notices::with_id(email)],
            writes: vec![Write::Put {
                item: updated,
                condition: Condition::Version(item.version),
            }],
            ..Change::default()
        };
        repo::commit(
            &app.ports,
            Some(loaded.version),
            loaded.record,
            change,
            app.now(),
        )
        .await
    })
    .await?;
    app.outbox_signal.notify_one();
    tracing::info!(agreement = %agreement_id.0, party = %party_id.0, "certificate PIN reset");
    Ok(())
}

/// A party that has a certificate and still has to act: after cancel,
/// completion or its own signature a link resets nothing (409, 410 past the deadline).
async fn with_certificate(app: &App, token: &str) -> AppResult<SignerContext> {
    let ctx = session::resolve(app, token).await?;
    ctx.loaded
        .record
        .agreement
        .still_to_act(&ctx.party.id, app.now())?;
    let store = app.ports.store.as_ref();
    certificates::load_secrets(store, &ctx.loaded.record.agreement.id, &ctx.party.id)
        .await?
        .ok_or_else(|| AppError::conflict("certificate_required"))?;
    Ok(ctx)
}

fn identity_mismatch() -> AppError {
    AppError::new(ErrorKind::Forbidden, "identity_mismatch")
}

fn same_email(party: &Party, given: &str) -> bool {
    let given = identity::normalize_email(given).to_lowercase();
    let on_record = party.email.to_lowercase();
    bool::from(given.as_bytes().ct_eq(on_record.as_bytes()))
}

/// Normalized like the domain stores it (MyKad `YYMMDD-PB-####`, passport upper case).
fn same_id_number(party: &Party, given: &str) -> bool {
    let normalized = match party.id_type {
        IdType::Mykad => identity::normalize_mykad(given),
        IdType::Passport => identity::normalize_passport(given),
    };
    let Ok(given) = normalized.map(Zeroizing::new) else {
        return false;
    };
    bool::from(given.as_bytes().ct_eq(party.id_number.as_bytes()))
}
