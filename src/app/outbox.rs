//! The transactional outbox. A state change and the messages it causes are
//! written in one transaction (see `repo::commit`); delivery happens after,
//! here: locally from a background task, in AWS from the `notify` function on
//! the table's stream. Each message is claimed with a compare-and-set before
//! it is sent, and its id is the idempotency key (the mailer's message id, the
//! webhook's event id), so a crash or a redelivery never sends it twice and a
//! failure is retried with backoff, never lost.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{hmac_sig, layout, queries};
use crate::config::Settings;
use crate::domain::Agreement;
use crate::error::AppResult;
use crate::ports::{Condition, Email, Item, Ports, WebhookClient, Write};

/// After this many failed attempts a message is parked as `failed` (and
/// logged at error level, which alarms) instead of retried.
pub const MAX_ATTEMPTS: u32 = 12;
/// How long a delivered or failed message's record is kept.
const RETAIN_DELIVERED: Duration = Duration::days(30);
/// How long a claim lasts; a deliverer that dies mid-send frees it after this.
const LEASE: Duration = Duration::seconds(60);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    Email(Email),
    Webhook { event: WebhookEvent },
}

/// What the portal receives: `{id, type, agreement_id, party_id, from, to, at}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub agreement_id: String,
    pub party_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Sent,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub id: String,
    pub message: Message,
    pub status: Status,
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
    pub last_error: Option<String>,
    /// Which agreement (and parties) an email was for, so that SES's
    /// delivery and bounce notices can be traced back (`ses_events`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<About>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct About {
    pub agreement_id: String,
    /// The party whose address the email went to (addresses are unique per
    /// agreement); `None` for the developer's own address.
    pub party_id: Option<String>,
}

impl About {
    /// What an email about `agreement` is about: the agreement, and the
    /// party it was addressed to. `None` for webhooks.
    pub fn email(agreement: &Agreement, message: &Message) -> Option<Self> {
        let Message::Email(email) = message else {
            return None;
        };
        let party = agreement
            .parties
            .iter()
            .find(|p| p.email.trim().eq_ignore_ascii_case(email.to.trim()));
        Some(Self {
            agreement_id: agreement.id.0.clone(),
            party_id: party.map(|p| p.id.0.clone()),
        })
    }
}

/// The write that queues `message` (part of the caller's transaction).
pub fn enqueue(id: String, message: Message, now: DateTime<Utc>) -> Write {
    enqueue_about(id, message, None, now)
}

/// [`enqueue`], noting what the message is about.
pub fn enqueue_about(
    id: String,
    message: Message,
    about: Option<About>,
    now: DateTime<Utc>,
) -> Write {
    let envelope = Envelope {
        id: id.clone(),
        message,
        status: Status::Pending,
        attempts: 0,
        created_at: now,
        last_error: None,
        about,
    };
    let mut item = Item::new(
        layout::outbox(&id),
        serde_json::to_value(&envelope).unwrap_or_default(),
    );
    item.due = Some(layout::outbox_due(&id, now));
    Write::Put {
        item,
        condition: Condition::NotExists,
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    pub sent: u32,
    pub retried: u32,
    pub failed: u32,
    /// Claimed by someone else meanwhile.
    pub skipped: u32,
}

fn backoff(attempts: u32) -> Duration {
    // 30 s, 1 min, 2 min, … capped at one hour.
    Duration::seconds(30 * 2i64.pow(attempts.saturating_sub(1).min(7))).min(Duration::hours(1))
}

/// Delivers every message due at `now`.
pub async fn deliver_due(
    ports: &Ports,
    settings: &Settings,
    webhooks: &dyn WebhookClient,
    now: DateTime<Utc>,
) -> AppResult<DeliveryReport> {
    let mut report = DeliveryReport::default();
    for item in queries::due_items(ports.store.as_ref(), layout::OUTBOX_PARTITION, now).await? {
        deliver_one(ports, settings, webhooks, item, now, &mut report).await?;
    }
    Ok(report)
}

/// Delivers one message by id if it is due (the `notify` function's entry:
/// a stream record names the item).
pub async fn deliver_by_id(
    ports: &Ports,
    settings: &Settings,
    webhooks: &dyn WebhookClient,
    id: &str,
    now: DateTime<Utc>,
) -> AppResult<DeliveryReport> {
    let mut report = DeliveryReport::default();
    if let Some(item) = ports.store.get(&layout::outbox(id)).await? {
        let due = item
            .due
            .as_ref()
            .is_some_and(|d| d.sk <= layout::due_until(now));
        if due {
            deliver_one(ports, settings, webhooks, item, now, &mut report).await?;
        }
    }
    Ok(report)
}

async fn deliver_one(
    ports: &Ports,
    settings: &Settings,
    webhooks: &dyn WebhookClient,
    item: Item,
    now: DateTime<Utc>,
    report: &mut DeliveryReport,
) -> AppResult<()> {
    let Ok(mut envelope) = serde_json::from_value::<Envelope>(item.data.clone()) else {
        tracing::error!(key = ?item.key, "unreadable outbox item parked");
        return park(ports, item, report).await;
    };
    if envelope.status != Status::Pending {
        return Ok(());
    }
    // Claim: bump attempts and push the due time past the lease, only if
    // nobody else did since we read it.
    envelope.attempts += 1;
    let mut claimed = item.clone();
    claimed.data = serde_json::to_value(&envelope).unwrap_or_default();
    claimed.due = Some(layout::outbox_due(&envelope.id, now + LEASE));
    let claim = Write::Put {
        item: claimed.clone(),
        condition: Condition::Version(item.version),
    };
    if ports.store.transact(vec![claim]).await.is_err() {
        report.skipped += 1;
        return Ok(());
    }
    claimed.version = item.version + 1;

    let outcome = send(ports, settings, webhooks, &envelope.message, now).await;
    match outcome {
        Ok(()) => {
            envelope.status = Status::Sent;
            envelope.last_error = None;
            claimed.due = None;
            report.sent += 1;
        }
        Err(error) if envelope.attempts >= MAX_ATTEMPTS => {
            tracing::error!(id = %envelope.id, attempts = envelope.attempts, %error, "outbox message failed for good");
            envelope.status = Status::Failed;
            envelope.last_error = Some(error);
            claimed.due = None;
            report.failed += 1;
        }
        Err(error) => {
            tracing::warn!(id = %envelope.id, attempts = envelope.attempts, %error, "outbox delivery failed, will retry");
            envelope.last_error = Some(error);
            claimed.due = Some(layout::outbox_due(
                &envelope.id,
                now + backoff(envelope.attempts),
            ));
            report.retried += 1;
        }
    }
    if envelope.status != Status::Pending {
        // Done with it: keep who and what for the record, drop the body (it
        // may hold a verification code), and let the store expire the item.
        if let Message::Email(email) = &mut envelope.message {
            email.text.clear();
            email.html.clear();
        }
        claimed.expires_at = Some((now + RETAIN_DELIVERED).timestamp());
    }
    claimed.data = serde_json::to_value(&envelope).unwrap_or_default();
    let version = claimed.version;
    ports
        .store
        .transact(vec![Write::Put {
            item: claimed,
            condition: Condition::Version(version),
        }])
        .await?;
    Ok(())
}

async fn park(ports: &Ports, mut item: Item, report: &mut DeliveryReport) -> AppResult<()> {
    let version = item.version;
    item.due = None;
    ports
        .store
        .transact(vec![Write::Put {
            item,
            condition: Condition::Version(version),
        }])
        .await?;
    report.failed += 1;
    Ok(())
}

async fn send(
    ports: &Ports,
    settings: &Settings,
    webhooks: &dyn WebhookClient,
    message: &Message,
    now: DateTime<Utc>,
) -> Result<(), String> {
    match message {
        Message::Email(email) => ports
            .mailer
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Message::Webhook { event } => {
            let Some(url) = settings.portal_webhook_url.as_deref() else {
                return Ok(()); // the portal polls instead; nothing to deliver
            };
            let body = serde_json::to_vec(event).map_err(|e| e.to_string())?;
            let timestamp = now.timestamp();
            let signature = hmac_sig::sign(
                settings.portal_webhook_secret.expose().as_bytes(),
                timestamp,
                &body,
            );
            let headers = [
                (hmac_sig::SIGNATURE_HEADER, signature),
                (hmac_sig::TIMESTAMP_HEADER, timestamp.to_string()),
                ("x-event-id", event.id.clone()),
            ];
            match webhooks.post(url, &headers, &body).await? {
                status if (200..300).contains(&status) => Ok(()),
                status => Err(format!("portal answered {status}")),
            }
        }
    }
}
