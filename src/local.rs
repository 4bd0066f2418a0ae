//! The embedded runtime behind `hims serve` and `hims demo`: every port on
//! local adapters in one data folder, the outbox delivered by a background
//! task, and the developer-only `/dev/outbox` view.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::adapters::local::{
    FileBlobs, OutboxMailer, SoftwareKeys, SqliteStore, render_outbox_html,
};
use crate::adapters::webhook::ReqwestWebhooks;
use crate::app::{App, outbox, sweep};
use crate::config::Settings;
use crate::error::{AppError, ErrorKind};
use crate::ports::{Clock, Ports, Rng};

pub struct LocalRuntime {
    pub app: App,
    pub mailer: Arc<OutboxMailer>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot open the data folder: {0}")]
pub struct OpenError(String);

impl LocalRuntime {
    pub fn open(
        data_dir: &Path,
        settings: Settings,
        clock: Arc<dyn Clock>,
        rng: Arc<dyn Rng>,
    ) -> Result<Self, OpenError> {
        std::fs::create_dir_all(data_dir).map_err(|e| OpenError(e.to_string()))?;
        let err = |e: &dyn std::fmt::Display| OpenError(e.to_string());
        let mailer =
            Arc::new(OutboxMailer::open_in_dir(data_dir, clock.clone()).map_err(|e| err(&e))?);
        let ports = Ports {
            store: Arc::new(SqliteStore::open_in_dir(data_dir).map_err(|e| err(&e))?),
            blobs: Arc::new(FileBlobs::open_in_dir(data_dir).map_err(|e| err(&e))?),
            mailer: mailer.clone(),
            keys: Arc::new(SoftwareKeys::open_in_dir(data_dir, rng.clone()).map_err(|e| err(&e))?),
            clock,
            rng,
        };
        let external = crate::adapters::tsa_client::from_settings(&settings, ports.rng.clone());
        let mut app = App::new(ports, settings, Arc::new(ReqwestWebhooks::new()));
        app.external_timestamper = external;
        Ok(Self { app, mailer })
    }

    /// Puts every port behind `plan` (fault tests; `hims serve` with
    /// `HIMS_DEV_FAULT`). Call before [`LocalRuntime::router`].
    pub fn inject_faults(&mut self, plan: &Arc<crate::adapters::faulty::FaultPlan>) {
        crate::adapters::faulty::inject(&mut self.app, plan);
    }

    /// Every function's routes plus `/dev/outbox`.
    pub fn router(&self, outbox: OutboxAccess) -> Router {
        let state = OutboxState {
            api: crate::http::ApiState {
                app: self.app.clone(),
            },
            mailer: self.mailer.clone(),
            access: outbox,
        };
        crate::http::router_all(self.app.clone(), dev_router(state))
    }

    /// Delivers the outbox whenever a commit queued something, and at least
    /// every `every` (retries with backoff come due that way). Each round
    /// first makes any certificate of completion a crash left unmade.
    pub fn spawn_deliverer(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let app = self.app.clone();
        tokio::spawn(async move {
            loop {
                let now = app.now();
                if let Err(e) = sweep::finish_completions(&app, now).await {
                    tracing::warn!(error = %e, "finishing completions failed");
                }
                if let Err(e) =
                    outbox::deliver_due(&app.ports, &app.settings, app.webhooks.as_ref(), now).await
                {
                    tracing::warn!(error = %e, "outbox delivery round failed");
                }
                let _ = tokio::time::timeout(every, app.outbox_signal.notified()).await;
            }
        })
    }
}

/// The system clock shifted by an offset a developer can move (`hims serve
/// --dev-clock`, for trying deadlines by hand and for the browser tests).
/// Never used in Lambda.
#[derive(Default)]
pub struct DevClock {
    offset_secs: std::sync::atomic::AtomicI64,
}

impl DevClock {
    pub fn advance(&self, secs: i64) {
        self.offset_secs
            .fetch_add(secs, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for DevClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
            + chrono::Duration::seconds(self.offset_secs.load(std::sync::atomic::Ordering::SeqCst))
    }
}

#[derive(serde::Deserialize)]
struct Advance {
    advance_secs: i64,
}

/// `POST /dev/clock {"advance_secs": n}` moves the dev clock (n may be negative).
pub fn dev_clock_router(clock: Arc<DevClock>) -> Router {
    Router::new()
        .route(
            "/dev/clock",
            axum::routing::post(|State(clock): State<Arc<DevClock>>, axum::Json(a): axum::Json<Advance>| async move {
                clock.advance(a.advance_secs);
                axum::Json(serde_json::json!({ "now": clock.now() }))
            }),
        )
        .with_state(clock)
}

/// Who may read `/dev/outbox`. Its emails hold every signer's link (a bearer
/// credential), so only the portal may, unless a developer started the
/// server for themselves (`hims serve --dev`, `hims demo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxAccess {
    PortalToken,
    Open,
}

#[derive(Clone)]
struct OutboxState {
    api: crate::http::ApiState,
    mailer: Arc<OutboxMailer>,
    access: OutboxAccess,
}

/// `GET /dev/outbox`: the emails "sent", newest first, as JSON or (for a browser) HTML.
fn dev_router(state: OutboxState) -> Router {
    Router::new()
        .route("/dev/outbox", get(outbox_view))
        .with_state(state)
}

async fn outbox_view(
    State(state): State<OutboxState>,
    request: axum::extract::Request,
) -> Response {
    let (mut parts, _) = request.into_parts();
    if state.access == OutboxAccess::PortalToken {
        use axum::extract::FromRequestParts;
        if let Err(e) = crate::http::auth::Portal::from_request_parts(&mut parts, &state.api).await
        {
            return e.into_response();
        }
    }
    let headers = parts.headers;
    let emails = match state.mailer.list().await {
        Ok(emails) => emails,
        Err(_) => {
            return AppError::new(ErrorKind::Unavailable, "service_unavailable").into_response();
        }
    };
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if wants_html {
        Html(render_outbox_html(&emails)).into_response()
    } else {
        axum::Json(emails).into_response()
    }
}
