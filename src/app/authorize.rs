//! The `verify-pin` function's authorisation (F4.4, F5): the certificate PIN
//! and a second factor (TOTP or an email code) buy one signature activation
//! over the exact document revision the signer saw.
//!
//! Both factors are rate limited by attempts *reserved before* checking:
//! a PIN try increments `pin_failures` (only while it is below 3) before
//! Argon2 runs, so fifty concurrent guesses get three verifications, not
//! fifty; the right PIN then clears the counter. Second-factor tries do the
//! same on a per-party counter of the current 15-minute window.

use chrono::{DateTime, Utc};
use totp_rs::{Algorithm, Builder};
use zeroize::Zeroizing;

use super::activation::{self, Factor};
use super::certificates::{self, PIN_FAILURES_COUNTER, PartySecrets};
use super::otp::{self, Purpose};
use super::repo::{self, Change};
use super::{App, layout, pin_hash, retry_on_conflict, session, totp_enrolment};
use crate::domain::{AgreementId, PartyId, PartyState};
use crate::error::{AppError, AppResult, ErrorKind};
use crate::ports::{Condition, Item, Key, StoreError, Write};

/// Wrong PINs in a row that block the PIN until it is reset (F5.2).
pub const MAX_PIN_FAILURES: i64 = 3;
/// Wrong second factors (or identity checks) allowed per window (F5.3).
pub const MAX_FACTOR_FAILURES: i64 = 5;
pub const FACTOR_WINDOW_SECS: i64 = 15 * 60;
const FACTOR_COUNTER: &str = "attempts";

/// The second factor as typed by the signer.
pub enum SecondFactor {
    Totp(Zeroizing<String>),
    EmailCode(Zeroizing<String>),
}

/// `POST /v1/signer/authorize`. Holds secrets: no Debug.
pub struct AuthorizeRequest {
    pub document_sha256: String,
    pub pin: Zeroizing<String>,
    pub factor: SecondFactor,
}

#[derive(Debug, Clone)]
pub struct Authorized {
    pub activation: String,
    pub expires_at: DateTime<Utc>,
    pub factor: Factor,
}

/// Checks PIN then second factor for the party of `token` and issues an activation.
pub async fn authorize(app: &App, token: &str, request: AuthorizeRequest) -> AppResult<Authorized> {
    let ctx = session::resolve(app, token).await?;
    let record = &ctx.loaded.record;
    let agreement_id = record.agreement.id.clone();
    let party_id = ctx.party.id.clone();
    record.agreement.can_act(&party_id, app.now())?;
    if ctx.party.state != PartyState::CertificateIssued {
        return Err(AppError::conflict("certificate_required"));
    }
    let current = record
        .current_revision()
        .ok_or_else(|| AppError::not_found("document_not_found"))?;
    if current.sha256 != request.document_sha256.trim().to_ascii_lowercase() {
        return Err(AppError::conflict("document_changed"));
    }
    let document_sha256 = current.sha256.clone();
    let (secrets, item) =
        certificates::load_secrets(app.ports.store.as_ref(), &agreement_id, &party_id)
            .await?
            .ok_or_else(|| AppError::conflict("certificate_required"))?;

    check_pin(app, &agreement_id, &party_id, &secrets, &item, request.pin).await?;

    let attempt = FactorAttempt::reserve(app, &agreement_id, &party_id).await?;
    let factor = match &request.factor {
        SecondFactor::Totp(code) => check_totp(app, &agreement_id, &party_id, &secrets, code).await,
        SecondFactor::EmailCode(code) => {
            otp::consume(app, &agreement_id, &party_id, Purpose::Sign, code)
                .await
                .map(|()| Factor::EmailCode)
        }
    }
    .map_err(|e| attempt.explain(e))?;
    attempt.clear(app).await?;

    let (activation, expires_at) =
        activation::issue(app, &agreement_id, &party_id, &document_sha256, factor).await?;
    audit(
        app,
        &agreement_id,
        serde_json::json!({
            "type": "signer_authorized",
            "party": party_id.0,
            "factor": factor,
            "document_sha256": document_sha256,
        }),
    )
    .await?;
    tracing::info!(agreement = %agreement_id.0, party = %party_id.0, ?factor, "activation issued");
    Ok(Authorized {
        activation,
        expires_at,
        factor,
    })
}

/// F5.1/F5.2: reserves a try (refused once three are spent), verifies, and
/// on success clears the count. A wrong PIN keeps its reservation.
async fn check_pin(
    app: &App,
    agreement: &AgreementId,
    party: &PartyId,
    secrets: &PartySecrets,
    item: &Item,
    pin: Zeroizing<String>,
) -> AppResult<()> {
    let store = app.ports.store.as_ref();
    let key = item.key.clone();
    let reserved = store
        .transact(vec![Write::Increment {
            key: key.clone(),
            counter: PIN_FAILURES_COUNTER.to_owned(),
            by: 1,
            below: Some(MAX_PIN_FAILURES),
        }])
        .await;
    match reserved {
        Ok(()) => {}
        Err(StoreError::ConditionFailed { .. }) => return Err(pin_blocked()),
        Err(other) => return Err(other.into()),
    }
    if pin_hash::verify_blocking(pin, secrets.pin_hash.clone()).await? {
        clear_pin_failures(app, &key).await?;
        return Ok(());
    }
    let failures = store
        .get(&key)
        .await?
        .map_or(MAX_PIN_FAILURES, |i| i.counter(PIN_FAILURES_COUNTER));
    if failures >= MAX_PIN_FAILURES {
        audit(
            app,
            agreement,
            serde_json::json!({"type": "pin_blocked", "party": party.0}),
        )
        .await?;
        return Err(pin_blocked());
    }
    Err(AppError::new(ErrorKind::Forbidden, "pin_incorrect")
        .with("attempts_left", MAX_PIN_FAILURES - failures))
}

fn pin_blocked() -> AppError {
    AppError::new(ErrorKind::Locked, "pin_blocked")
}

/// Back to zero (the right PIN ends a run of wrong ones), rewriting the item
/// as it is now so that a concurrent change is never overwritten.
async fn clear_pin_failures(app: &App, key: &Key) -> AppResult<()> {
    retry_on_conflict(|| async {
        let Some(mut item) = app.ports.store.get(key).await? else {
            return Ok(());
        };
        let version = item.version;
        item.counters.clear();
        item.counters.insert(PIN_FAILURES_COUNTER.to_owned(), 0);
        let put = Write::Put {
            item,
            condition: Condition::Version(version),
        };
        app.ports
            .store
            .transact(vec![put])
            .await
            .map_err(AppError::from)
    })
    .await
}

/// RFC 6238 (SHA-1, 6 digits, 30 s, ±1 step); each step is accepted once per party.
async fn check_totp(
    app: &App,
    agreement: &AgreementId,
    party: &PartyId,
    secrets: &PartySecrets,
    code: &str,
) -> AppResult<Factor> {
    let step = totp_step(app, agreement, party, secrets, code).await?;
    let mut marker = Item::new(
        layout::totp_used(agreement, party, step),
        serde_json::json!({ "used_at": app.now() }),
    );
    // Past the ±1 step window the marker has no use; the store's TTL removes it.
    marker.expires_at = Some(app.now().timestamp() + 3600);
    let used = app
        .ports
        .store
        .transact(vec![Write::Put {
            item: marker,
            condition: Condition::NotExists,
        }])
        .await;
    match used {
        Ok(()) => Ok(Factor::Totp),
        Err(StoreError::ConditionFailed { .. }) => {
            Err(AppError::new(ErrorKind::Forbidden, "totp_reused"))
        }
        Err(other) => Err(other.into()),
    }
}

/// The time step `code` belongs to, if it is right (nothing recorded).
async fn totp_step(
    app: &App,
    agreement: &AgreementId,
    party: &PartyId,
    secrets: &PartySecrets,
    code: &str,
) -> AppResult<u64> {
    if code.len() != totp_enrolment::DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::unprocessable("totp_format"));
    }
    let secret = app
        .ports
        .keys
        .decrypt(
            &secrets.totp_secret_ciphertext()?,
            &certificates::totp_context(agreement, party),
        )
        .await?;
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(totp_enrolment::DIGITS as u8)
        .with_skew(1)
        .with_step_duration(totp_enrolment::PERIOD_SECS)
        .with_secret(secret.to_vec())
        .build()
        .map_err(|_| AppError::internal("totp_unusable"))?;
    let now = u64::try_from(app.now().timestamp()).unwrap_or_default();
    totp.check(code, now)
        .ok_or_else(|| AppError::new(ErrorKind::Forbidden, "totp_incorrect"))
}

/// `POST /v1/signer/totp/check`: right after enrolment, the page asks for one
/// code so a failed enrolment shows at once. Read-only for signing: the code's
/// step is not marked used (authorize may still take it), but the try is
/// reserved in the same per-party window as authorize's second factor (F5.3),
/// so this cannot be used to guess codes faster; a right code gives it back.
pub async fn check_enrolment_totp(
    app: &App,
    token: &str,
    code: Zeroizing<String>,
) -> AppResult<()> {
    let ctx = session::resolve(app, token).await?;
    let agreement_id = ctx.loaded.record.agreement.id.clone();
    let party_id = ctx.party.id.clone();
    ctx.loaded.record.agreement.can_act(&party_id, app.now())?;
    if ctx.party.state != PartyState::CertificateIssued {
        return Err(AppError::conflict("certificate_required"));
    }
    let (secrets, _) =
        certificates::load_secrets(app.ports.store.as_ref(), &agreement_id, &party_id)
            .await?
            .ok_or_else(|| AppError::conflict("certificate_required"))?;
    let attempt = FactorAttempt::reserve(app, &agreement_id, &party_id).await?;
    match totp_step(app, &agreement_id, &party_id, &secrets, &code).await {
        Ok(_) => attempt.release(app).await,
        Err(e) => Err(attempt.explain(e)),
    }
}

/// One reserved second-factor try in the party's current window.
pub struct FactorAttempt {
    key: Key,
    count: i64,
}

impl FactorAttempt {
    /// Reserves a try, or refuses (429 `factor_locked`, `retry_after_secs`)
    /// when the window's tries are spent.
    pub async fn reserve(app: &App, agreement: &AgreementId, party: &PartyId) -> AppResult<Self> {
        let now = app.now().timestamp();
        let window = now.div_euclid(FACTOR_WINDOW_SECS);
        let window_end = (window + 1) * FACTOR_WINDOW_SECS;
        let key = layout::factor_attempts(agreement, party, window);
        let locked = || {
            AppError::new(ErrorKind::TooManyRequests, "factor_locked")
                .with("retry_after_secs", (window_end - now).max(1))
        };
        let store = app.ports.store.as_ref();
        let increment = || {
            vec![Write::Increment {
                key: key.clone(),
                counter: FACTOR_COUNTER.to_owned(),
                by: 1,
                below: Some(MAX_FACTOR_FAILURES),
            }]
        };
        // The increment fails when the window's item is missing or full; a
        // missing one is created with this try counted (or by a rival, then we increment again).
        let reserved = match store.transact(increment()).await {
            Ok(()) => true,
            Err(StoreError::ConditionFailed { .. }) => {
                let mut item = Item::new(key.clone(), serde_json::json!({}));
                item.counters.insert(FACTOR_COUNTER.to_owned(), 1);
                item.expires_at = Some(window_end + FACTOR_WINDOW_SECS);
                let create = Write::Put {
                    item,
                    condition: Condition::NotExists,
                };
                match store.transact(vec![create]).await {
                    Ok(()) => true,
                    Err(StoreError::ConditionFailed { .. }) => {
                        match store.transact(increment()).await {
                            Ok(()) => true,
                            Err(StoreError::ConditionFailed { .. }) => false,
                            Err(other) => return Err(other.into()),
                        }
                    }
                    Err(other) => return Err(other.into()),
                }
            }
            Err(other) => return Err(other.into()),
        };
        if !reserved {
            return Err(locked());
        }
        let count = store
            .get(&key)
            .await?
            .map_or(MAX_FACTOR_FAILURES, |i| i.counter(FACTOR_COUNTER));
        Ok(Self { key, count })
    }

    /// Adds `attempts_left` to a refusal of the factor itself.
    pub fn explain(&self, error: AppError) -> AppError {
        if error.kind == ErrorKind::Forbidden {
            error.with("attempts_left", (MAX_FACTOR_FAILURES - self.count).max(0))
        } else {
            error
        }
    }

    /// A success: the window's count starts again.
    pub async fn clear(self, app: &App) -> AppResult<()> {
        app.ports
            .store
            .transact(vec![Write::Delete {
                key: self.key,
                condition: Condition::None,
            }])
            .await?;
        Ok(())
    }

    /// Gives the try back (a check that passed and is not a success on its own).
    pub async fn release(self, app: &App) -> AppResult<()> {
        app.ports
            .store
            .transact(vec![Write::Increment {
                key: self.key,
                counter: FACTOR_COUNTER.to_owned(),
                by: -1,
                below: None,
            }])
            .await?;
        Ok(())
    }
}

/// An audit-only entry in the agreement's trail (its state unchanged).
pub(crate) async fn audit(
    app: &App,
    agreement: &AgreementId,
    note: serde_json::Value,
) -> AppResult<()> {
    retry_on_conflict(|| async {
        let loaded = repo::load(app.ports.store.as_ref(), agreement).await?;
        let change = Change {
            notes: vec![note.clone()],
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
        .map(|_| ())
    })
    .await
}
