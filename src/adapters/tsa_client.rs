//! `Timestamper` over HTTP: an RFC 3161 client for an outside TSA (e.g. a
//! licensed Malaysian CA's), with a per-attempt timeout and a few retries.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use hims_tsp as tsp;

use crate::ports::{Rng, TimestampError, Timestamper};

/// How the client talks to the outside TSA.
#[derive(Debug, Clone)]
pub struct HttpTimestamperOptions {
    pub url: String,
    /// Sent as `Authorization: Bearer …` when the TSA needs it.
    pub bearer_token: Option<String>,
    /// Per attempt, connection and answer together.
    pub timeout: Duration,
    /// Attempts in all (1 = no retry).
    pub attempts: u32,
    /// Wait before the second attempt; doubled before each later one.
    pub backoff: Duration,
}

impl HttpTimestamperOptions {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            bearer_token: None,
            timeout: Duration::from_secs(5),
            attempts: 3,
            backoff: Duration::from_millis(200),
        }
    }
}

/// The outside TSA of `settings`, if one is configured (else our own serves).
pub fn from_settings(
    settings: &crate::config::Settings,
    rng: Arc<dyn Rng>,
) -> Option<Arc<dyn Timestamper>> {
    let url = settings.tsa_url.as_deref()?;
    let mut options = HttpTimestamperOptions::new(url);
    options.bearer_token = settings.tsa_token.as_ref().map(|t| t.expose().to_owned());
    Some(Arc::new(HttpTimestamper::new(options, rng)))
}

pub struct HttpTimestamper {
    client: reqwest::Client,
    options: HttpTimestamperOptions,
    rng: Arc<dyn Rng>,
}

impl HttpTimestamper {
    pub fn new(options: HttpTimestamperOptions, rng: Arc<dyn Rng>) -> Self {
        let client = reqwest::Client::builder()
            .timeout(options.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            client,
            options,
            rng,
        }
    }

    /// One POST; `Err(retryable, reason)` when it failed.
    async fn post(&self, body: &[u8]) -> Result<Vec<u8>, (bool, String)> {
        let mut request = self
            .client
            .post(&self.options.url)
            .header("content-type", "application/timestamp-query")
            .body(body.to_vec());
        if let Some(token) = &self.options.bearer_token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| (true, e.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            let retryable = status.is_server_error() || status.as_u16() == 429;
            return Err((retryable, format!("HTTP {status}")));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| (true, e.without_url().to_string()))?;
        Ok(bytes.to_vec())
    }
}

#[async_trait]
impl Timestamper for HttpTimestamper {
    async fn timestamp(&self, sha256_digest: &[u8; 32]) -> Result<Vec<u8>, TimestampError> {
        let mut random = [0u8; tsp::NONCE_BYTES];
        self.rng.fill(&mut random);
        let nonce = tsp::nonce_from_random(random);
        let body = tsp::timestamp_request_der(sha256_digest, nonce.clone())
            .map_err(|e| TimestampError::BadToken(e.to_string()))?;
        let mut wait = self.options.backoff;
        let mut last = String::from("no attempt made");
        for attempt in 1..=self.options.attempts.max(1) {
            if attempt > 1 {
                tokio::time::sleep(wait).await;
                wait = wait.saturating_mul(2);
            }
            match self.post(&body).await {
                Ok(answer) => {
                    return match tsp::verify_response(&answer, sha256_digest, &nonce) {
                        Ok((token, _)) => Ok(token),
                        Err(e @ tsp::TspError::Refused { .. }) => {
                            Err(TimestampError::Unavailable(e.to_string()))
                        }
                        Err(e) => Err(TimestampError::BadToken(e.to_string())),
                    };
                }
                Err((retryable, reason)) => {
                    tracing::warn!(attempt, %reason, "timestamp request failed");
                    last = reason;
                    if !retryable {
                        break;
                    }
                }
            }
        }
        Err(TimestampError::Unavailable(last))
    }
}
