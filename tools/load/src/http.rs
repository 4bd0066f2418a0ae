//! A timed HTTP client (every request recorded under its endpoint's label)
//! and the dev outbox as a mailbox: one poller at a time reads
//! `/dev/outbox`, every waiter looks in what it found.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Method, RequestBuilder, StatusCode, header::HeaderMap};
use serde_json::Value;

use crate::LoadError;
use crate::stats::Sample;

pub struct Reply {
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }
}

#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    base: String,
    epoch: Instant,
    samples: Arc<Mutex<Vec<Sample>>>,
}

impl Http {
    pub fn new(base: &str, in_flight: usize) -> Result<Self, LoadError> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(in_flight)
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| LoadError::Http("client", e))?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
            epoch: Instant::now(),
            samples: Arc::default(),
        })
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    /// Sends and records; any status but `expect` is an error.
    pub async fn send(
        &self,
        label: &'static str,
        request: RequestBuilder,
        expect: StatusCode,
    ) -> Result<Reply, LoadError> {
        let start = Instant::now();
        let response = request
            .send()
            .await
            .map_err(|e| LoadError::Http(label, e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| LoadError::Http(label, e))?
            .to_vec();
        let end = Instant::now();
        self.samples
            .lock()
            .map_err(|_| LoadError::Setup("samples lock poisoned".into()))?
            .push(Sample {
                label,
                start: start - self.epoch,
                end: end - self.epoch,
            });
        if status != expect {
            return Err(LoadError::Status {
                label,
                status,
                body: String::from_utf8_lossy(&bytes).chars().take(400).collect(),
            });
        }
        Ok(Reply { headers, bytes })
    }

    pub fn samples(&self) -> Vec<Sample> {
        self.samples.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// The emails of `hims serve`'s outbox, by recipient, oldest first.
pub struct Mailbox {
    http: Http,
    inbox: tokio::sync::Mutex<Inbox>,
}

#[derive(Default)]
struct Inbox {
    seen: HashSet<String>,
    texts: HashMap<String, Vec<String>>,
    fetched: Option<Instant>,
}

const POLL: Duration = Duration::from_millis(200);
const PATIENCE: Duration = Duration::from_secs(120);

impl Mailbox {
    pub fn new(http: Http) -> Self {
        Self {
            http,
            inbox: tokio::sync::Mutex::default(),
        }
    }

    /// The first value `pick` finds in the texts sent to `to`, waiting for
    /// the outbox to be delivered.
    pub async fn wait<T>(
        &self,
        to: &str,
        what: &str,
        pick: impl Fn(&[String]) -> Option<T>,
    ) -> Result<T, LoadError> {
        let give_up = Instant::now() + PATIENCE;
        loop {
            {
                let mut inbox = self.inbox.lock().await;
                if let Some(found) = inbox.texts.get(to).and_then(|t| pick(t)) {
                    return Ok(found);
                }
                // Whoever holds the lock polls for everyone, at most every POLL.
                if inbox.fetched.is_none_or(|at| at.elapsed() >= POLL) {
                    self.fetch(&mut inbox).await?;
                    if let Some(found) = inbox.texts.get(to).and_then(|t| pick(t)) {
                        return Ok(found);
                    }
                }
            }
            if Instant::now() > give_up {
                return Err(LoadError::Timeout(format!("{what} for {to}")));
            }
            tokio::time::sleep(POLL / 2).await;
        }
    }

    async fn fetch(&self, inbox: &mut Inbox) -> Result<(), LoadError> {
        let request = self
            .http
            .request(Method::GET, "/dev/outbox")
            .header("accept", "application/json");
        let reply = self
            .http
            .send("GET /dev/outbox", request, StatusCode::OK)
            .await?;
        inbox.fetched = Some(Instant::now());
        let emails = reply.json();
        // Newest first: walk backwards so each recipient's list stays oldest first.
        for email in emails.as_array().into_iter().flatten().rev() {
            let (Some(id), Some(to), Some(text)) = (
                email["id"].as_str(),
                email["to"].as_str(),
                email["text"].as_str(),
            ) else {
                continue;
            };
            if inbox.seen.insert(id.to_owned()) {
                let texts = inbox.texts.entry(to.to_owned()).or_default();
                texts.push(text.to_owned());
            }
        }
        Ok(())
    }
}

/// The `/s/<token>` signer link token in the newest email that has one.
pub fn link_token(texts: &[String]) -> Option<String> {
    texts.iter().rev().find_map(|text| {
        let start = text.find("/s/")? + 3;
        let token: String = text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        (!token.is_empty()).then_some(token)
    })
}

/// The six digits of the newest verification-code email ("Kod Verifikasi:
/// 8 7 6 6 4 4").
pub fn email_code(texts: &[String]) -> Option<String> {
    texts.iter().rev().find_map(|text| {
        let start = text.find("Kod Verifikasi:")? + "Kod Verifikasi:".len();
        let digits: String = text[start..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || c.is_whitespace())
            .filter(char::is_ascii_digit)
            .collect();
        (digits.len() == 6).then_some(digits)
    })
}
