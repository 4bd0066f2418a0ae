//! The Lambda bootstrap shared by the ten `functions/<name>` binaries, so that
//! each `main.rs` is one line of wiring.
//!
//! At cold start: JSON logs (level from `RUST_LOG`), settings and AWS adapters
//! read from the environment once, outside the handler. Then either an HTTP
//! function's axum Router under `lambda_http::run`, or an event handler under
//! `lambda_runtime::run`. The per-event logic (`notify_batch`, `expiry_sweep`,
//! `ses_events`) is plain functions, tested without the runtime in
//! `tests/lambda_events.rs`.

use std::future::Future;
use std::sync::Arc;

use aws_lambda_events::dynamodb::{self, EventRecord};
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sns::SnsEvent;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{LambdaEvent, service_fn};
use serde::Deserialize;

use crate::adapters::aws::{self, AwsConfig, build_ports, load_sdk_config};
use crate::adapters::webhook::ReqwestWebhooks;
use crate::app::{App, outbox};
use crate::config::{self, Settings};
use crate::error::AppResult;
use crate::http::{self, Function};

pub use lambda_runtime::Error;

/// Why a function could not start. Names the missing variable, never a value.
#[derive(Debug, thiserror::Error)]
pub enum BootError {
    #[error(transparent)]
    Settings(#[from] config::ConfigError),
    #[error(transparent)]
    Aws(#[from] aws::ConfigError),
}

/// JSON lines for CloudWatch (no ANSI colours), filtered by `RUST_LOG`
/// (default `info`). A second call is a no-op.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_ansi(false)
        .with_current_span(false)
        .with_target(false)
        .with_env_filter(filter)
        .try_init();
}

/// The core on AWS adapters, from the environment (see `infra/template.yaml`).
pub async fn app_from_env() -> Result<App, BootError> {
    let settings = Settings::from_env()?;
    let aws = AwsConfig::from_env()?;
    let sdk = load_sdk_config().await;
    Ok(App::new(
        build_ports(&sdk, &aws),
        settings,
        Arc::new(ReqwestWebhooks::new()),
    ))
}

/// Serves one HTTP function (API Gateway HTTP API, payload v2).
pub async fn serve_http(function: Function) -> Result<(), Error> {
    init_tracing();
    let app = app_from_env().await?;
    lambda_http::run(http::router(function, app)).await
}

/// `notify`: the table's stream, outbox items delivered one by one.
pub async fn serve_notify() -> Result<(), Error> {
    init_tracing();
    let app = app_from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<dynamodb::Event>| {
        let app = app.clone();
        async move { Ok::<_, Error>(notify(&app, &event.payload).await) }
    }))
    .await
}

/// `expiry-sweep`: the EventBridge schedule.
pub async fn serve_expiry_sweep() -> Result<(), Error> {
    init_tracing();
    let app = app_from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<EventBridgeEvent>| {
        let app = app.clone();
        async move {
            let report = expiry_sweep(&app, &event.payload).await?;
            Ok::<_, Error>(report)
        }
    }))
    .await
}

/// `ses-events`: SES notifications through SNS. Needs no adapters (yet), so it
/// reads no settings and holds no secrets.
pub async fn serve_ses_events() -> Result<(), Error> {
    init_tracing();
    lambda_runtime::run(service_fn(|event: LambdaEvent<SnsEvent>| async move {
        Ok::<_, Error>(ses_events(&event.payload))
    }))
    .await
}

/// The outbox id a stream record is about: an `INSERT` or `MODIFY` of an
/// `OUTBOX#<id>` item. Anything else (other items, `REMOVE` by TTL) is `None`.
pub fn outbox_id(record: &EventRecord) -> Option<String> {
    if !matches!(record.event_name.as_str(), "INSERT" | "MODIFY") {
        return None;
    }
    // The keys as DynamoDB JSON: {"pk": {"S": "OUTBOX#…"}, "sk": {"S": "MSG"}}.
    let keys = serde_json::to_value(&record.change.keys).ok()?;
    let pk = keys.pointer("/pk/S")?.as_str()?;
    pk.strip_prefix("OUTBOX#")
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

/// Runs `deliver` for each outbox record of `event` and reports the records
/// that failed (by sequence number), so Lambda retries from the first of them
/// and not the whole batch. Delivery is idempotent (each message is claimed
/// before it is sent), so a retried record never sends twice.
pub async fn notify_batch<F, Fut>(event: &dynamodb::Event, mut deliver: F) -> DynamoDbEventResponse
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = AppResult<outbox::DeliveryReport>>,
{
    let mut response = DynamoDbEventResponse::default();
    for record in &event.records {
        let Some(id) = outbox_id(record) else {
            continue;
        };
        match deliver(id.clone()).await {
            Ok(report) => tracing::info!(
                outbox_id = %id,
                sent = report.sent,
                retried = report.retried,
                failed = report.failed,
                skipped = report.skipped,
                "outbox record handled"
            ),
            Err(error) => {
                tracing::warn!(outbox_id = %id, %error, "outbox record failed, Lambda retries it");
                // Lambda names stream records by sequence number; without one
                // the identifier is invalid and Lambda retries the whole batch,
                // which is the safe side.
                let identifier = record
                    .change
                    .sequence_number
                    .clone()
                    .unwrap_or_else(|| record.event_id.clone());
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = Some(identifier);
                response.batch_item_failures.push(failure);
            }
        }
    }
    response
}

/// `notify` on the core: each outbox record through `outbox::deliver_by_id`.
pub async fn notify(app: &App, event: &dynamodb::Event) -> DynamoDbEventResponse {
    notify_batch(event, |id| async move {
        outbox::deliver_by_id(
            &app.ports,
            &app.settings,
            app.webhooks.as_ref(),
            &id,
            app.now(),
        )
        .await
    })
    .await
}

/// What one scheduled run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ScheduledRun {
    pub sweep: crate::app::sweep::SweepReport,
    pub delivery: outbox::DeliveryReport,
}

/// `expiry-sweep`: reminders and expiry from the due index, then whatever the
/// outbox has due — which is also how retries with backoff get sent (the
/// stream fires only on writes).
pub async fn expiry_sweep(app: &App, event: &EventBridgeEvent) -> AppResult<ScheduledRun> {
    let now = app.now();
    let sweep = crate::app::sweep::run(app, now).await?;
    let delivery =
        outbox::deliver_due(&app.ports, &app.settings, app.webhooks.as_ref(), now).await?;
    tracing::info!(
        event_id = event.id.as_deref().unwrap_or(""),
        due = sweep.due,
        reminders = sweep.reminders,
        parties_expired = sweep.parties_expired,
        agreements_expired = sweep.agreements_expired,
        sent = delivery.sent,
        retried = delivery.retried,
        failed = delivery.failed,
        "expiry sweep done"
    );
    Ok(ScheduledRun { sweep, delivery })
}

/// One SES event (configuration-set event destination, or an identity
/// notification), without any address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SesNotice {
    pub kind: SesNoticeKind,
    /// SES's message id.
    pub message_id: String,
    /// Our outbox id, from the `outbox_id` tag the mailer sets.
    pub outbox_id: Option<String>,
    /// How many recipients the event concerns (never who).
    pub recipients: usize,
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

#[derive(Debug, thiserror::Error)]
#[error("unreadable SES notification at {0}")]
pub struct SesParseError(String);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSes {
    #[serde(alias = "notificationType")]
    event_type: String,
    mail: RawMail,
    bounce: Option<RawBounce>,
    complaint: Option<RawComplaint>,
    delivery: Option<RawDelivery>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMail {
    message_id: String,
    #[serde(default)]
    tags: std::collections::HashMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBounce {
    bounce_type: String,
    bounce_sub_type: String,
    #[serde(default)]
    bounced_recipients: Vec<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawComplaint {
    complaint_feedback_type: Option<String>,
    #[serde(default)]
    complained_recipients: Vec<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct RawDelivery {
    #[serde(default)]
    recipients: Vec<serde::de::IgnoredAny>,
}

/// Parses the SES JSON carried in an SNS message. Errors name the path of the
/// bad field, never its content.
pub fn parse_ses_notice(message: &str) -> Result<SesNotice, SesParseError> {
    let mut de = serde_json::Deserializer::from_str(message);
    let raw: RawSes = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| SesParseError(e.path().to_string()))?;
    let missing = |what: &str| SesParseError(what.to_owned());
    let (kind, recipients) = match raw.event_type.as_str() {
        "Delivery" => {
            let delivery = raw.delivery.ok_or_else(|| missing("delivery"))?;
            (SesNoticeKind::Delivery, delivery.recipients.len())
        }
        "Bounce" => {
            let bounce = raw.bounce.ok_or_else(|| missing("bounce"))?;
            let recipients = bounce.bounced_recipients.len();
            let kind = SesNoticeKind::Bounce {
                bounce_type: bounce.bounce_type,
                bounce_sub_type: bounce.bounce_sub_type,
            };
            (kind, recipients)
        }
        "Complaint" => {
            let complaint = raw.complaint.ok_or_else(|| missing("complaint"))?;
            let recipients = complaint.complained_recipients.len();
            let kind = SesNoticeKind::Complaint {
                feedback_type: complaint.complaint_feedback_type,
            };
            (kind, recipients)
        }
        other => (SesNoticeKind::Other(other.to_owned()), 0),
    };
    let outbox_id = raw
        .mail
        .tags
        .get(OUTBOX_TAG)
        .and_then(|values| values.first().cloned());
    Ok(SesNotice {
        kind,
        message_id: raw.mail.message_id,
        outbox_id,
        recipients,
    })
}

/// What one `ses-events` invocation saw.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SesEventsReport {
    pub delivered: u32,
    pub bounced: u32,
    pub complained: u32,
    pub other: u32,
    pub unreadable: u32,
}

/// `ses-events`: logs each notification structurally (type, SES message id,
/// outbox id, bounce type, recipient count; never an address). Updating the
/// party's email status comes with a later issue. An unreadable message is
/// logged and counted, not retried: a retry would not make it readable.
pub fn ses_events(event: &SnsEvent) -> SesEventsReport {
    let mut report = SesEventsReport::default();
    for record in &event.records {
        let sns_id = record.sns.message_id.as_str();
        let notice = match parse_ses_notice(&record.sns.message) {
            Ok(notice) => notice,
            Err(error) => {
                tracing::error!(sns_message_id = sns_id, %error, "SES notification skipped");
                report.unreadable += 1;
                continue;
            }
        };
        let message_id = notice.message_id.as_str();
        let outbox_id = notice.outbox_id.as_deref().unwrap_or("");
        let recipients = notice.recipients;
        match &notice.kind {
            SesNoticeKind::Delivery => {
                report.delivered += 1;
                tracing::info!(
                    event = "delivery",
                    message_id,
                    outbox_id,
                    recipients,
                    "SES delivery"
                );
            }
            SesNoticeKind::Bounce {
                bounce_type,
                bounce_sub_type,
            } => {
                report.bounced += 1;
                tracing::warn!(
                    event = "bounce",
                    message_id,
                    outbox_id,
                    recipients,
                    bounce_type = bounce_type.as_str(),
                    bounce_sub_type = bounce_sub_type.as_str(),
                    "SES bounce"
                );
            }
            SesNoticeKind::Complaint { feedback_type } => {
                report.complained += 1;
                tracing::warn!(
                    event = "complaint",
                    message_id,
                    outbox_id,
                    recipients,
                    feedback_type = feedback_type.as_deref().unwrap_or(""),
                    "SES complaint"
                );
            }
            SesNoticeKind::Other(kind) => {
                report.other += 1;
                tracing::info!(
                    event = kind.as_str(),
                    message_id,
                    outbox_id,
                    "SES event ignored"
                );
            }
        }
    }
    report
}
