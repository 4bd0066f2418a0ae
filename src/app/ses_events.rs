//! What SES says happened to each email (delivery, bounce, complaint; through
//! SNS to the `ses-events` function): the party's email status in the
//! agreement record, with an audit note. A hard bounce marks the address
//! undeliverable and tells the developer which party (name and role, never the
//! address); a complaint flags the party too; soft bounces and deliveries only
//! update the status. Each SES event is applied once per party, so SNS
//! redelivering a notice changes nothing.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::email_status::{EmailDelivery, EmailStatus};
use super::mail::Template;
use super::outbox::{About, Envelope, Message};
use super::repo::{self, Change};
use super::{App, layout, notices, retry_on_conflict};
use crate::domain::{AgreementId, Party, PartyId, Role};
use crate::error::AppResult;

/// One SES event (configuration-set event destination, or an identity
/// notification), without any address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SesNotice {
    pub kind: SesNoticeKind,
    /// SES's message id (one per email; several events share it).
    pub message_id: String,
    /// Our outbox id, from the `outbox_id` tag the mailer sets.
    pub outbox_id: Option<String>,
    /// How many recipients the event concerns (never who).
    pub recipients: usize,
    /// When SES saw it happen, when the notice says.
    pub at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SesNoticeKind {
    Delivery,
    Bounce {
        bounce_type: String,
        bounce_sub_type: String,
    },
    Complaint {
        feedback_type: Option<String>,
    },
    /// Send, Open, Click, … : not acted on.
    Other(String),
}

/// The message tag `SesMailer` puts on every email (`adapters/aws/ses.rs`).
const OUTBOX_TAG: &str = "outbox_id";
/// SES's `bounceType` of a bounce that will not go away.
const PERMANENT: &str = "Permanent";

#[derive(Debug, thiserror::Error)]
#[error("unreadable SES notification at {0}")]
pub struct SesParseError(String);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSes {
    #[serde(alias = "notificationType")]
    event_type: String,
    mail: RawMail,
    bounce: Option<RawEvent>,
    complaint: Option<RawEvent>,
    delivery: Option<RawEvent>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMail {
    message_id: String,
    #[serde(default)]
    tags: std::collections::HashMap<String, Vec<String>>,
}

/// The parts of `bounce`, `complaint` and `delivery` we read; recipients are
/// only counted, never kept.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEvent {
    timestamp: Option<String>,
    bounce_type: Option<String>,
    bounce_sub_type: Option<String>,
    complaint_feedback_type: Option<String>,
    #[serde(default, alias = "bouncedRecipients", alias = "complainedRecipients")]
    recipients: Vec<serde::de::IgnoredAny>,
}

/// Parses the SES JSON carried in an SNS message. Errors name the path of the
/// bad field, never its content.
pub fn parse_ses_notice(message: &str) -> Result<SesNotice, SesParseError> {
    let mut de = serde_json::Deserializer::from_str(message);
    let raw: RawSes = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| SesParseError(e.path().to_string()))?;
    let missing = |what: &str| SesParseError(what.to_owned());
    let (kind, event) = match raw.event_type.as_str() {
        "Delivery" => (
            SesNoticeKind::Delivery,
            raw.delivery.ok_or_else(|| missing("delivery"))?,
        ),
        "Bounce" => {
            let mut bounce = raw.bounce.ok_or_else(|| missing("bounce"))?;
            let kind = SesNoticeKind::Bounce {
                bounce_type: bounce
                    .bounce_type
                    .take()
                    .ok_or_else(|| missing("bounce.bounceType"))?,
                bounce_sub_type: bounce.bounce_sub_type.take().unwrap_or_default(),
            };
            (kind, bounce)
        }
        "Complaint" => {
            let mut complaint = raw.complaint.ok_or_else(|| missing("complaint"))?;
            let kind = SesNoticeKind::Complaint {
                feedback_type: complaint.complaint_feedback_type.take(),
            };
            (kind, complaint)
        }
        other => {
            return Ok(SesNotice {
                kind: SesNoticeKind::Other(other.to_owned()),
                outbox_id: outbox_tag(&raw.mail),
                message_id: raw.mail.message_id,
                recipients: 0,
                at: None,
            });
        }
    };
    Ok(SesNotice {
        kind,
        outbox_id: outbox_tag(&raw.mail),
        message_id: raw.mail.message_id,
        recipients: event.recipients.len(),
        at: event.timestamp.and_then(|t| t.parse().ok()),
    })
}

fn outbox_tag(mail: &RawMail) -> Option<String> {
    mail.tags
        .get(OUTBOX_TAG)
        .and_then(|values| values.first().cloned())
}

/// What one notice did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The party's status was recorded; `developer_told` when a new hard
    /// bounce queued the email to the developer.
    Recorded { developer_told: bool },
    /// The party had this event already.
    Duplicate,
    /// Nothing to record (the reason is a log word, e.g. `unknown_outbox_id`).
    Ignored(&'static str),
}

/// One event, as applied to the party it concerns.
struct Observed<'a> {
    key: String,
    status: EmailDelivery,
    at: DateTime<Utc>,
    bounce_type: Option<&'a str>,
}

/// Records `notice` against the party its email went to. Unknown or
/// untracked emails are ignored, never an error, so SNS does not retry them
/// forever; store failures are errors (a retry is harmless).
pub async fn record(app: &App, notice: &SesNotice) -> AppResult<Outcome> {
    let (status, bounce_type) = match &notice.kind {
        SesNoticeKind::Delivery => (EmailDelivery::Delivered, None),
        SesNoticeKind::Bounce { bounce_type, .. } => {
            (EmailDelivery::Bounced, Some(bounce_type.as_str()))
        }
        SesNoticeKind::Complaint { .. } => (EmailDelivery::Complained, None),
        SesNoticeKind::Other(_) => return Ok(Outcome::Ignored("event_not_tracked")),
    };
    let Some(outbox_id) = notice.outbox_id.as_deref() else {
        return Ok(Outcome::Ignored("no_outbox_id"));
    };
    let Some(about) = about(app, outbox_id).await? else {
        return Ok(Outcome::Ignored("unknown_outbox_id"));
    };
    let Some(party_id) = about.party_id else {
        return Ok(Outcome::Ignored("not_to_a_party"));
    };
    let observed = Observed {
        key: format!("{}:{}", notice.message_id, status.as_str()),
        status,
        at: notice.at.unwrap_or_else(|| app.now()),
        bounce_type,
    };
    let agreement_id = AgreementId(about.agreement_id);
    let party_id = PartyId(party_id);
    retry_on_conflict(|| apply(app, &agreement_id, &party_id, &observed, notice)).await
}

/// What the outbox noted about the email `outbox_id`; `None` when the item is
/// gone (expired), unreadable, or from before emails noted it.
async fn about(app: &App, outbox_id: &str) -> AppResult<Option<About>> {
    let Some(item) = app.ports.store.get(&layout::outbox(outbox_id)).await? else {
        return Ok(None);
    };
    Ok(serde_json::from_value::<Envelope>(item.data)
        .ok()
        .and_then(|envelope| envelope.about))
}

async fn apply(
    app: &App,
    agreement_id: &AgreementId,
    party_id: &PartyId,
    observed: &Observed<'_>,
    notice: &SesNotice,
) -> AppResult<Outcome> {
    let loaded = match repo::load(app.ports.store.as_ref(), agreement_id).await {
        Err(e) if e.code == "agreement_not_found" => {
            return Ok(Outcome::Ignored("unknown_agreement"));
        }
        other => other?,
    };
    let mut record = loaded.record;
    let Some(party) = record.agreement.party(party_id).cloned() else {
        return Ok(Outcome::Ignored("unknown_party"));
    };
    let previous = record.email_status.get(&party_id.0);
    let Some(next) = updated(previous, observed) else {
        return Ok(Outcome::Duplicate);
    };
    let newly_undeliverable = next.undeliverable && !previous.is_some_and(|p| p.undeliverable);
    let newly_flagged = next.flagged() && !previous.is_some_and(EmailStatus::flagged);
    record.email_status.insert(party_id.0.clone(), next);

    let now = app.now();
    if newly_flagged {
        // The portal polls by last update: a flagged address is news to it.
        record.agreement.updated_at = now;
    }
    let mut change = Change::default();
    change.notes.push(serde_json::json!({
        "type": "email_status",
        "party": party_id.0,
        "status": observed.status,
        "bounce_type": observed.bounce_type,
        "ses_message_id": notice.message_id,
        "outbox_id": notice.outbox_id,
    }));
    if newly_undeliverable && let Some(message) = developer_email(app, &record, &party)? {
        change.messages.push(notices::with_id(message));
    }
    let developer_told = !change.messages.is_empty();
    repo::commit(&app.ports, Some(loaded.version), record, change, now).await?;
    Ok(Outcome::Recorded { developer_told })
}

/// The status after `observed`, or `None` when it was applied already.
/// The latest event (by SES's time) sets the status; the flags stay.
fn updated(previous: Option<&EmailStatus>, observed: &Observed<'_>) -> Option<EmailStatus> {
    let mut next = match previous {
        Some(p) if p.applied.contains(&observed.key) => return None,
        Some(p) => p.clone(),
        None => EmailStatus {
            status: observed.status,
            at: observed.at,
            bounce_type: None,
            undeliverable: false,
            complained: false,
            applied: BTreeSet::new(),
        },
    };
    if previous.is_none_or(|p| observed.at >= p.at) {
        next.status = observed.status;
        next.at = observed.at;
        if let Some(bounce_type) = observed.bounce_type {
            next.bounce_type = Some(bounce_type.to_owned());
        }
    }
    next.undeliverable |= observed.bounce_type == Some(PERMANENT);
    next.complained |= observed.status == EmailDelivery::Complained;
    next.applied.insert(observed.key.clone());
    Some(next)
}

/// The email telling the developer which party's address bounced for good;
/// `None` when the developer's own address is the one that bounced.
fn developer_email(
    app: &App,
    record: &repo::AgreementRecord,
    party: &Party,
) -> AppResult<Option<Message>> {
    let agreement = &record.agreement;
    let Some(to) = record.developer_address() else {
        return Ok(None);
    };
    if party.email.trim().eq_ignore_ascii_case(to.trim()) {
        tracing::warn!(agreement = %agreement.id.0, party = %party.id.0, "the developer's own address bounced; not told by email");
        return Ok(None);
    }
    let mut ctx = notices::context(agreement, "Pemaju", String::new(), party.deadline);
    ctx.bounced_parties = vec![format!("{} ({})", party.name, role_name(party.role))];
    notices::email_with(app, &to, &ctx, Template::EmailBounced).map(Some)
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Other => "Pihak Lain",
        role => notices::salutation(role),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        rfc3339.parse().unwrap()
    }

    fn observed<'a>(
        message: &str,
        status: EmailDelivery,
        when: &str,
        bounce_type: Option<&'a str>,
    ) -> Observed<'a> {
        Observed {
            key: format!("{message}:{}", status.as_str()),
            status,
            at: at(when),
            bounce_type,
        }
    }

    #[test]
    fn the_latest_event_sets_the_status_and_flags_stay() {
        let bounce = observed(
            "m2",
            EmailDelivery::Bounced,
            "2025-05-02T00:00:00Z",
            Some(PERMANENT),
        );
        let bounced = updated(None, &bounce).unwrap();
        assert!(bounced.undeliverable && bounced.flagged());

        // An older email's delivery notice arriving late changes nothing but its key.
        let late = observed("m1", EmailDelivery::Delivered, "2025-05-01T00:00:00Z", None);
        let after_late = updated(Some(&bounced), &late).unwrap();
        assert_eq!(after_late.status, EmailDelivery::Bounced);
        assert_eq!(after_late.at, at("2025-05-02T00:00:00Z"));
        assert_eq!(after_late.bounce_type.as_deref(), Some(PERMANENT));

        // A newer one sets the status; the hard bounce stays recorded.
        let newer = observed("m3", EmailDelivery::Delivered, "2025-05-03T00:00:00Z", None);
        let after_newer = updated(Some(&after_late), &newer).unwrap();
        assert_eq!(after_newer.status, EmailDelivery::Delivered);
        assert!(after_newer.undeliverable);

        // Each event once.
        assert!(updated(Some(&after_newer), &bounce).is_none());
        assert!(updated(Some(&after_newer), &late).is_none());
    }

    #[test]
    fn soft_bounces_and_complaints_flag_as_they_should() {
        let soft = observed(
            "m1",
            EmailDelivery::Bounced,
            "2025-05-01T00:00:00Z",
            Some("Transient"),
        );
        let status = updated(None, &soft).unwrap();
        assert!(!status.flagged());
        let complaint = observed(
            "m1",
            EmailDelivery::Complained,
            "2025-05-01T00:01:00Z",
            None,
        );
        let status = updated(Some(&status), &complaint).unwrap();
        assert!(status.complained && status.flagged() && !status.undeliverable);
        assert_eq!(status.applied.len(), 2, "same email, two events");
    }

    #[test]
    fn notices_parse_without_keeping_addresses() {
        let message = serde_json::json!({
            "eventType": "Bounce",
            "mail": {"messageId": "m", "destination": ["x@example.my"],
                     "tags": {"outbox_id": ["msg_1"]}},
            "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
                       "timestamp": "2025-05-01T02:00:01.000Z",
                       "bouncedRecipients": [{"emailAddress": "x@example.my"}]},
        });
        let notice = parse_ses_notice(&message.to_string()).unwrap();
        assert_eq!(notice.outbox_id.as_deref(), Some("msg_1"));
        assert_eq!(notice.recipients, 1);
        assert_eq!(notice.at, Some(at("2025-05-01T02:00:01Z")));
        assert!(!format!("{notice:?}").contains("example.my"));

        let broken = r#"{"eventType":"Bounce","mail":{"messageId":"m"},"bounce":{}}"#;
        let error = parse_ses_notice(broken).unwrap_err().to_string();
        assert!(error.contains("bounce.bounceType"), "{error}");
    }
}
