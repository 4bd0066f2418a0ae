//! [`OutboxMailer`]: the `Mailer` port as a folder of JSON files, viewable at
//! `GET /dev/outbox` through [`OutboxMailer::list`] and [`render_outbox_html`].

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::files;
use crate::ports::{Clock, Email, MailError, Mailer};

/// One email as written to the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEmail {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub sent_at: DateTime<Utc>,
}

/// "Sends" email by writing `<data_dir>/outbox/<sent time>-<id>.json`. Sending
/// an id already in the outbox writes nothing and returns the first message id.
pub struct OutboxMailer {
    dir: PathBuf,
    clock: Arc<dyn Clock>,
    /// Makes "is this id already here?" and the write one step. Holds the file name of every
    /// id sent, read from the folder once: listing the folder on every send made each email
    /// cost more than the one before.
    sent: Arc<Mutex<Option<HashMap<String, String>>>>,
}

impl OutboxMailer {
    pub fn open_in_dir(data_dir: &Path, clock: Arc<dyn Clock>) -> Result<Self, MailError> {
        let dir = data_dir.join("outbox");
        files::create_dir(&dir, 0o700).map_err(unavailable)?;
        Ok(Self {
            dir,
            clock,
            sent: Arc::new(Mutex::new(None)),
        })
    }

    /// Every email in the outbox, newest first.
    pub async fn list(&self) -> Result<Vec<OutboxEmail>, MailError> {
        let dir = self.dir.clone();
        blocking(move || {
            let mut names = outbox_files(&dir)?;
            names.sort_unstable_by(|a, b| b.cmp(a));
            names
                .iter()
                .map(|name| {
                    let json = std::fs::read(dir.join(name)).map_err(unavailable)?;
                    serde_json::from_slice(&json)
                        .map_err(|_| MailError::Unavailable("unreadable outbox file".into()))
                })
                .collect()
        })
        .await
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, email: &Email) -> Result<String, MailError> {
        let entry = OutboxEmail {
            id: email.id.clone(),
            to: email.to.clone(),
            subject: email.subject.clone(),
            text: email.text.clone(),
            html: email.html.clone(),
            sent_at: self.clock.now(),
        };
        let (dir, sent) = (self.dir.clone(), Arc::clone(&self.sent));
        blocking(move || {
            let mut sent = sent.lock().unwrap_or_else(PoisonError::into_inner);
            let sent = match &mut *sent {
                Some(sent) => sent,
                empty => empty.insert(sent_ids(&dir)?),
            };
            let id_part = file_id(&entry.id);
            if let Some(name) = sent.get(&id_part) {
                return Ok(message_id(name));
            }
            let name = format!(
                "{}-{id_part}.json",
                entry.sent_at.format("%Y%m%dT%H%M%S%.6fZ")
            );
            let json = serde_json::to_vec_pretty(&entry)
                .map_err(|e| MailError::Unavailable(e.to_string()))?;
            files::write_new(&dir.join(&name), &json, 0o600).map_err(unavailable)?;
            let id = message_id(&name);
            sent.insert(id_part, name);
            Ok(id)
        })
        .await
    }
}

fn unavailable(e: io::Error) -> MailError {
    MailError::Unavailable(e.to_string())
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, MailError> + Send + 'static,
) -> Result<T, MailError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| MailError::Unavailable("outbox task failed".into()))?
}

fn outbox_files(dir: &Path) -> Result<Vec<String>, MailError> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unavailable)? {
        let name = entry
            .map_err(unavailable)?
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".json") && !files::is_temp(&name) {
            names.push(name);
        }
    }
    Ok(names)
}

/// The outbox's files by the id part of their names (`<sent time>-<id>.json`); the first
/// written wins.
fn sent_ids(dir: &Path) -> Result<HashMap<String, String>, MailError> {
    let mut names = outbox_files(dir)?;
    names.sort_unstable();
    let mut sent = HashMap::new();
    for name in names {
        if let Some((_, rest)) = name.split_once('-')
            && let Some(id_part) = rest.strip_suffix(".json")
        {
            sent.entry(id_part.to_owned()).or_insert(name);
        }
    }
    Ok(sent)
}

fn message_id(file_name: &str) -> String {
    file_name.trim_end_matches(".json").to_string()
}

/// `id` as a file name part: safe characters kept, others percent-encoded
/// (so distinct ids stay distinct); a very long id becomes its SHA-256.
fn file_id(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    if out.len() > 150 {
        format!("sha256%{}", hex::encode(Sha256::digest(id)))
    } else {
        out
    }
}

/// Escapes text for HTML element content and quoted attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A small page showing the emails, newest first as given. Every value is
/// escaped; each email's HTML body is shown in a sandboxed frame, where its
/// scripts do not run.
pub fn render_outbox_html(emails: &[OutboxEmail]) -> String {
    let mut page = String::from(concat!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>HIMS outbox</title>\n",
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}",
        "article{border:1px solid #ccc;border-radius:6px;padding:1rem;margin:1rem 0}",
        "dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{color:#555}",
        "pre{white-space:pre-wrap;background:#f6f6f6;padding:.5rem}iframe{width:100%;height:24rem;border:1px solid #ddd}",
        "</style></head><body>\n<h1>Outbox</h1>\n",
    ));
    let _ = writeln!(page, "<p>{} email(s), newest first.</p>", emails.len());
    for email in emails {
        let _ = write!(
            page,
            "<article>\n<h2>{subject}</h2>\n<dl><dt>To</dt><dd>{to}</dd><dt>Sent</dt><dd>{sent}</dd><dt>Id</dt><dd>{id}</dd></dl>\n\
             <pre>{text}</pre>\n<details><summary>HTML</summary>\
             <iframe sandbox=\"allow-popups allow-popups-to-escape-sandbox\" srcdoc=\"{html}\"></iframe></details>\n</article>\n",
            subject = escape(&email.subject),
            to = escape(&email.to),
            sent = escape(&email.sent_at.to_rfc3339()),
            id = escape(&email.id),
            text = escape(&email.text),
            html = escape(&email.html),
        );
    }
    page.push_str("</body></html>\n");
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_ids_are_safe_and_distinct() {
        assert_eq!(file_id("ob_01HX-9.a"), "ob_01HX-9.a");
        assert_eq!(file_id("a/b"), "a%2Fb");
        assert_ne!(file_id("a/b"), file_id("a%2Fb"));
        assert_eq!(file_id("../x"), "..%2Fx");
        let long = file_id(&"x".repeat(300));
        assert!(long.starts_with("sha256%") && long.len() < 80);
    }

    #[test]
    fn page_escapes_every_value() {
        let email = OutboxEmail {
            id: "<id>".into(),
            to: "a&b@example.my".into(),
            subject: "<script>alert(1)</script>".into(),
            text: "Kod: 'x' \"y\"".into(),
            html: "<p onclick=\"x()\">Hi</p>".into(),
            sent_at: DateTime::UNIX_EPOCH,
        };
        let page = render_outbox_html(&[email]);
        assert!(
            !page.contains("<script>") && !page.contains("<id>") && !page.contains("<p onclick")
        );
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("a&amp;b@example.my"));
        assert!(page.contains("Kod: &#39;x&#39; &quot;y&quot;"));
        assert!(page.contains("srcdoc=\"&lt;p onclick=&quot;x()&quot;&gt;Hi&lt;/p&gt;\""));
    }
}
