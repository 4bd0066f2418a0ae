//! Use cases: one module per function of DESIGN.md, over the ports.

pub mod activation;
pub mod agreements;
pub mod archive;
pub mod audit;
pub mod authorize;
pub mod ca;
pub mod certificates;
pub mod completion;
pub mod document;
pub mod ekyc;
pub mod email_status;
pub mod hmac_sig;
pub mod layout;
pub mod link;
pub mod mail;
pub mod notices;
pub mod otp;
pub mod outbox;
pub mod pin_hash;
pub mod pin_reset;
pub mod queries;
pub mod repo;
pub mod review;
pub mod ses_events;
pub mod session;
pub mod signing;
pub mod stroke;
pub mod sweep;
pub mod totp_enrolment;
pub mod tsa;
pub mod verify;

use std::future::Future;
use std::sync::Arc;

use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::ports::{Ports, Timestamper, WebhookClient};

/// The core, built once at start and shared by every request.
#[derive(Clone)]
pub struct App {
    pub ports: Ports,
    pub settings: Arc<Settings>,
    pub webhooks: Arc<dyn WebhookClient>,
    /// Pinged after each commit that queued messages, so a local deliverer
    /// can send at once (in AWS the table stream does this).
    pub outbox_signal: Arc<tokio::sync::Notify>,
    /// Verifications of stored revisions (`GET /verify/{serial}`).
    pub verify_cache: Arc<verify::VerifyCache>,
    /// An outside TSA to use instead of our own (`HIMS_TSA_URL`).
    pub external_timestamper: Option<Arc<dyn Timestamper>>,
}

impl App {
    pub fn new(ports: Ports, settings: Settings, webhooks: Arc<dyn WebhookClient>) -> Self {
        Self {
            ports,
            settings: Arc::new(settings),
            webhooks,
            outbox_signal: Arc::new(tokio::sync::Notify::new()),
            verify_cache: Arc::default(),
            external_timestamper: None,
        }
    }

    /// Where signature and document timestamps come from: the outside TSA
    /// when one is configured, else our own over the current ports.
    pub fn timestamper(&self) -> Arc<dyn Timestamper> {
        match &self.external_timestamper {
            Some(external) => external.clone(),
            None => Arc::new(tsa::OwnTsa::new(
                self.ports.clone(),
                &self.settings.public_url,
            )),
        }
    }

    /// Our own TSA, which `POST /tsa` serves whatever signing uses.
    pub fn own_tsa(&self) -> tsa::OwnTsa {
        tsa::OwnTsa::new(self.ports.clone(), &self.settings.public_url)
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.ports.clock.now()
    }
}

/// A fresh random id, e.g. `agr_3f2a…` (128 bits, hex).
pub fn new_id(app: &App, prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    app.ports.rng.fill(&mut bytes);
    format!("{prefix}_{}", hex::encode(bytes))
}

/// Runs a read-modify-write again when another request committed first.
pub async fn retry_on_conflict<T, F, Fut>(mut attempt: F) -> AppResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = AppResult<T>>,
{
    const ATTEMPTS: usize = 8;
    let mut last = AppError::conflict("concurrent_update");
    for _ in 0..ATTEMPTS {
        match attempt().await {
            Err(e) if e.code == "concurrent_update" => last = e,
            other => return other,
        }
    }
    Err(last)
}
