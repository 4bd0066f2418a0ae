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

use crate::adapters::aws::{self, AwsConfig, build_ports, load_sdk_config};
use crate::adapters::webhook::ReqwestWebhooks;
pub use crate::app::ses_events::{SesNotice, SesNoticeKind, SesParseError, parse_ses_notice};
use crate::app::{App, outbox, ses_events};
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
    let ports = build_ports(&sdk, &aws);
    let external = crate::adapters::tsa_client::from_settings(&settings, ports.rng.clone());
    let mut app = App::new(ports, settings, Arc::new(ReqwestWebhooks::new()));
    app.external_timestamper = external;
    Ok(app)
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

/// `ses-events`: SES notifications through SNS.
pub async fn serve_ses_events() -> Result<(), Error> {
    init_tracing();
    let app = app_from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<SnsEvent>| {
        let app = app.clone();
        async move {
            let report = ses_events(&app, &event.payload).await?;
            Ok::<_, Error>(report)
        }
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

/// What one `ses-events` invocation saw and did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SesEventsReport {
    pub delivered: u32,
    pub bounced: u32,
    pub complained: u32,
    pub other: u32,
    pub unreadable: u32,
    /// Notices that updated a party's email status.
    pub recorded: u32,
    /// Notices applied before (SNS delivers at least once).
    pub duplicates: u32,
    /// Notices about no known party (unknown or expired outbox id, …).
    pub ignored: u32,
    /// Emails queued to the developer about a hard bounce.
    pub developer_told: u32,
}

/// `ses-events`: each notification recorded against the party its email was
/// for (`app::ses_events`), and logged structurally (type, SES message id,
/// outbox id, bounce type, recipient count, outcome; never an address). An
/// unreadable or unknown notice is logged and counted, not retried: a retry
/// would not change it. A store failure is an error, so Lambda retries the
/// batch; applying a notice twice records it once.
pub async fn ses_events(app: &App, event: &SnsEvent) -> AppResult<SesEventsReport> {
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
        count_kind(&mut report, &notice.kind);
        let outcome = ses_events::record(app, &notice).await?;
        let outcome_word = match outcome {
            ses_events::Outcome::Recorded { developer_told, .. } => {
                report.recorded += 1;
                report.developer_told += u32::from(developer_told);
                "recorded"
            }
            ses_events::Outcome::Duplicate => {
                report.duplicates += 1;
                "duplicate"
            }
            ses_events::Outcome::Ignored(reason) => {
                report.ignored += 1;
                reason
            }
        };
        log_notice(&notice, outcome_word);
    }
    Ok(report)
}

fn count_kind(report: &mut SesEventsReport, kind: &SesNoticeKind) {
    let counter = match kind {
        SesNoticeKind::Delivery => &mut report.delivered,
        SesNoticeKind::Bounce { .. } => &mut report.bounced,
        SesNoticeKind::Complaint { .. } => &mut report.complained,
        SesNoticeKind::Other(_) => &mut report.other,
    };
    *counter += 1;
}

fn log_notice(notice: &SesNotice, outcome: &str) {
    let message_id = notice.message_id.as_str();
    let outbox_id = notice.outbox_id.as_deref().unwrap_or("");
    let recipients = notice.recipients;
    match &notice.kind {
        SesNoticeKind::Delivery => tracing::info!(
            event = "delivery",
            message_id,
            outbox_id,
            recipients,
            outcome,
            "SES delivery"
        ),
        SesNoticeKind::Bounce {
            bounce_type,
            bounce_sub_type,
        } => tracing::warn!(
            event = "bounce",
            message_id,
            outbox_id,
            recipients,
            bounce_type = bounce_type.as_str(),
            bounce_sub_type = bounce_sub_type.as_str(),
            outcome,
            "SES bounce"
        ),
        SesNoticeKind::Complaint { feedback_type } => tracing::warn!(
            event = "complaint",
            message_id,
            outbox_id,
            recipients,
            feedback_type = feedback_type.as_deref().unwrap_or(""),
            outcome,
            "SES complaint"
        ),
        SesNoticeKind::Other(kind) => tracing::info!(
            event = kind.as_str(),
            message_id,
            outbox_id,
            outcome,
            "SES event ignored"
        ),
    }
}
