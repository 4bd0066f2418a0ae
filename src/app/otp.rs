//! The `send-otp` function (F4.5): six-digit email verification codes, the
//! fallback second factor and the proof of mailbox for a PIN reset.
//!
//! A code is drawn uniformly from the Rng port, stored only as an HMAC (the
//! system MAC key) over a message naming agreement, party and purpose, and
//! expires after ten minutes. It is single use and dies after five tries;
//! both limits are counters moved by conditional increments, so concurrent
//! requests cannot use a code twice or try it more often. A new code replaces
//! the old one. Sending is rate limited per party (a cooldown and an hourly
//! cap), checked and recorded with one version-conditioned write.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::mail::Template;
use super::outbox::Message;
use super::{App, certificates, layout, notices, retry_on_conflict, session};
use crate::domain::{AgreementId, Party, PartyId};
use crate::error::{AppError, AppResult, ErrorKind};
use crate::ports::{Condition, Item, StoreError, Write};

pub const VALID_FOR: Duration = Duration::minutes(10);
pub const DIGITS: usize = 6;
/// Tries per code, the right one included; then the code is dead.
pub const MAX_TRIES: i64 = 5;
pub const RESEND_COOLDOWN: Duration = Duration::seconds(60);
pub const MAX_PER_HOUR: usize = 5;

const TRIES: &str = "tries";
const USES: &str = "uses";
/// 10^6 · 4294: the largest multiple of 10^6 that fits a u32; draws at or
/// above it are rejected so that every code is equally likely.
const UNBIASED_LIMIT: u32 = 4_294_000_000;

/// What a code is for; a code for one purpose is refused for the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Sign,
    PinReset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sign => "sign",
            Self::PinReset => "pin_reset",
        }
    }

    fn other(self) -> Self {
        match self {
            Self::Sign => Self::PinReset,
            Self::PinReset => Self::Sign,
        }
    }
}

/// The stored form of a code: its MAC, never the digits.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredCode {
    /// Hex HMAC-SHA256 of [`mac_message`].
    tag: String,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

/// Send times of a party's codes in the last hour.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Sends {
    sent: Vec<DateTime<Utc>>,
}

/// What the signer is told after a send (never the code).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Sent {
    pub purpose: Purpose,
    pub expires_at: DateTime<Utc>,
    /// The earliest time another code may be requested.
    pub resend_after: DateTime<Utc>,
}

fn mac_message(
    agreement: &AgreementId,
    party: &PartyId,
    purpose: Purpose,
    code: &str,
) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(
        format!(
            "otp-v1|{}|{}|{}|{code}",
            agreement.0,
            party.0,
            purpose.as_str()
        )
        .into_bytes(),
    )
}

/// Six decimal digits, uniform (rejection sampling, no modulo bias).
fn draw_code(app: &App) -> AppResult<Zeroizing<String>> {
    // A rejection happens with probability < 2e-4; 64 in a row means a broken Rng.
    for _ in 0..64 {
        let value = u32::from_be_bytes(app.ports.rng.bytes());
        if value < UNBIASED_LIMIT {
            return Ok(Zeroizing::new(format!("{:06}", value % 1_000_000)));
        }
    }
    Err(AppError::internal("rng_failed"))
}

/// "876644" → "8 7 6 6 4 4", as the manual shows it.
fn spaced(code: &str) -> Zeroizing<String> {
    let chars: Vec<String> = code.chars().map(String::from).collect();
    Zeroizing::new(chars.join(" "))
}

fn rate_limited(secs: i64) -> AppError {
    AppError::new(ErrorKind::TooManyRequests, "otp_rate_limited")
        .with("retry_after_secs", secs.max(1))
}

/// Seconds from `now` until `at`, rounded up.
pub(crate) fn secs_until(now: DateTime<Utc>, at: DateTime<Utc>) -> i64 {
    let millis = (at - now).num_milliseconds();
    (millis + 999).div_euclid(1000)
}

/// `POST /v1/signer/otp`: emails a fresh code for `purpose` to the party of `token`.
pub async fn send(app: &App, token: &str, purpose: Purpose) -> AppResult<Sent> {
    let ctx = session::resolve(app, token).await?;
    let agreement = &ctx.loaded.record.agreement;
    let party = &ctx.party;
    match purpose {
        Purpose::Sign => agreement.can_act(&party.id, app.now())?,
        Purpose::PinReset => agreement.still_to_act(&party.id, app.now())?,
    }
    certificates::load_secrets(app.ports.store.as_ref(), &agreement.id, &party.id)
        .await?
        .ok_or_else(|| AppError::conflict("certificate_required"))?;

    let sent = retry_on_conflict(|| send_once(app, agreement, party, purpose)).await?;
    app.outbox_signal.notify_one();
    tracing::info!(agreement = %agreement.id.0, party = %party.id.0, purpose = purpose.as_str(), "email code sent");
    Ok(sent)
}

async fn send_once(
    app: &App,
    agreement: &crate::domain::Agreement,
    party: &Party,
    purpose: Purpose,
) -> AppResult<Sent> {
    let now = app.now();
    let store = app.ports.store.as_ref();
    let sends_key = layout::email_code_sends(&agreement.id, &party.id);
    let stored = store.get(&sends_key).await?;
    let condition = stored.as_ref().map_or(Condition::NotExists, |item| {
        Condition::Version(item.version)
    });
    let mut sends: Sends = match &stored {
        Some(item) => serde_json::from_value(item.data.clone())
            .map_err(|_| AppError::internal("stored_record_unreadable"))?,
        None => Sends::default(),
    };
    sends.sent.retain(|t| *t > now - Duration::hours(1));
    sends.sent.sort();
    if let Some(last) = sends.sent.last()
        && now < *last + RESEND_COOLDOWN
    {
        return Err(rate_limited(secs_until(now, *last + RESEND_COOLDOWN)));
    }
    if sends.sent.len() >= MAX_PER_HOUR
        && let Some(oldest) = sends.sent.first()
    {
        return Err(rate_limited(secs_until(now, *oldest + Duration::hours(1))));
    }
    sends.sent.push(now);

    let code = draw_code(app)?;
    let tag = app
        .ports
        .keys
        .mac(&mac_message(&agreement.id, &party.id, purpose, &code))
        .await?;
    let expires_at = now + VALID_FOR;
    let mut code_item = Item::new(
        layout::email_code(&agreement.id, &party.id, purpose.as_str()),
        serde_json::to_value(StoredCode {
            tag: hex::encode(tag),
            issued_at: now,
            expires_at,
        })
        .unwrap_or_default(),
    );
    code_item.counters.insert(TRIES.to_owned(), 0);
    code_item.counters.insert(USES.to_owned(), 0);
    code_item.expires_at = Some((expires_at + Duration::days(1)).timestamp());
    let mut sends_item = Item::new(sends_key, serde_json::to_value(&sends).unwrap_or_default());
    sends_item.expires_at = Some((now + Duration::hours(2)).timestamp());

    let email = code_email(app, agreement, party, &code)?;
    let (id, message) = notices::with_id(email);
    let about = super::outbox::About::email(agreement, &message);
    let writes = vec![
        Write::Put {
            item: sends_item,
            condition,
        },
        Write::Put {
            item: code_item,
            condition: Condition::None,
        },
        super::outbox::enqueue_about(id, message, about, now),
    ];
    app.ports
        .store
        .transact(writes)
        .await
        .map_err(|e| match e {
            // Another send won the race: the next attempt sees its cooldown.
            StoreError::ConditionFailed { .. } | StoreError::Conflict => {
                AppError::conflict("concurrent_update")
            }
            other => AppError::from(other),
        })?;
    Ok(Sent {
        purpose,
        expires_at,
        resend_after: now + RESEND_COOLDOWN,
    })
}

fn code_email(
    app: &App,
    agreement: &crate::domain::Agreement,
    party: &Party,
    code: &str,
) -> AppResult<Message> {
    let mut ctx = notices::context(
        agreement,
        notices::salutation(party.role),
        String::new(),
        party.deadline,
    );
    ctx.code = Some(spaced(code).to_string());
    notices::email_with(app, &party.email, &ctx, Template::OtpCode)
}

fn refused(code: &'static str) -> AppError {
    AppError::new(ErrorKind::Forbidden, code)
}

/// Checks `code` against the party's current code for `purpose` and uses it
/// up. Each call spends one of the code's tries; exactly one call can succeed.
pub async fn consume(
    app: &App,
    agreement: &AgreementId,
    party: &PartyId,
    purpose: Purpose,
    code: &str,
) -> AppResult<()> {
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::unprocessable("email_code_format"));
    }
    let store = app.ports.store.as_ref();
    let key = layout::email_code(agreement, party, purpose.as_str());
    let Some(item) = store.get(&key).await? else {
        return Err(
            if matches_other_purpose(app, agreement, party, purpose, code).await? {
                refused("email_code_wrong_purpose")
            } else {
                refused("email_code_not_requested")
            },
        );
    };
    let stored: StoredCode = serde_json::from_value(item.data.clone())
        .map_err(|_| AppError::internal("stored_record_unreadable"))?;
    if item.counter(USES) >= 1 {
        return Err(refused("email_code_used"));
    }
    if stored.expires_at <= app.now() {
        return Err(AppError::new(ErrorKind::Gone, "email_code_expired"));
    }
    if !spend_try(app, &key).await? {
        return Err(refused("email_code_attempts_exhausted"));
    }
    let tag =
        hex::decode(&stored.tag).map_err(|_| AppError::internal("stored_record_unreadable"))?;
    let message = mac_message(agreement, party, purpose, code);
    if !app.ports.keys.verify_mac(&message, &tag).await? {
        let tries_left = (MAX_TRIES - item.counter(TRIES) - 1).max(0);
        return Err(refused("email_code_incorrect").with("code_attempts_left", tries_left));
    }
    let used = store
        .transact(vec![Write::Increment {
            key,
            counter: USES.to_owned(),
            by: 1,
            below: Some(1),
        }])
        .await;
    match used {
        Ok(()) => Ok(()),
        Err(StoreError::ConditionFailed { .. }) => Err(refused("email_code_used")),
        Err(other) => Err(other.into()),
    }
}

/// Spends one try of a code; false when none are left (or the code is gone).
async fn spend_try(app: &App, key: &crate::ports::Key) -> AppResult<bool> {
    let spent = app
        .ports
        .store
        .transact(vec![Write::Increment {
            key: key.clone(),
            counter: TRIES.to_owned(),
            by: 1,
            below: Some(MAX_TRIES),
        }])
        .await;
    match spent {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed { .. }) => Ok(false),
        Err(other) => Err(other.into()),
    }
}

/// Whether `code` is the party's live code for the other purpose (spending
/// one of that code's tries, so this is no free oracle).
async fn matches_other_purpose(
    app: &App,
    agreement: &AgreementId,
    party: &PartyId,
    purpose: Purpose,
    code: &str,
) -> AppResult<bool> {
    let other = purpose.other();
    let key = layout::email_code(agreement, party, other.as_str());
    let Some(item) = app.ports.store.get(&key).await? else {
        return Ok(false);
    };
    let Ok(stored) = serde_json::from_value::<StoredCode>(item.data) else {
        return Ok(false);
    };
    if stored.expires_at <= app.now() || !spend_try(app, &key).await? {
        return Ok(false);
    }
    let Ok(tag) = hex::decode(&stored.tag) else {
        return Ok(false);
    };
    let message = mac_message(agreement, party, other, code);
    Ok(app.ports.keys.verify_mac(&message, &tag).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_spaced_as_in_the_manual() {
        assert_eq!(spaced("876644").as_str(), "8 7 6 6 4 4");
    }

    #[test]
    fn the_rejection_limit_is_a_multiple_of_a_million() {
        assert_eq!(UNBIASED_LIMIT % 1_000_000, 0);
        assert!(u64::from(UNBIASED_LIMIT) + 1_000_000 > u64::from(u32::MAX));
    }

    #[test]
    fn waiting_times_round_up() {
        let t = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(secs_until(t, t + Duration::milliseconds(1)), 1);
        assert_eq!(secs_until(t, t + Duration::seconds(60)), 60);
    }
}
