//! The real `hims serve` binary, killed and restarted on the same data folder:
//! between every step of the ceremony (SIGKILL, no shutdown), and crashed by
//! `HIMS_DEV_FAULT` (`std::process::abort()`) in the middle of a signature
//! (both revisions stored, nothing committed), right after the last party's
//! commit (before the certificate of completion), and after an email was
//! handed to the mailer but before it was marked sent. The ceremony carries
//! on after each restart; at the end the agreement, its PDF, its audit
//! trail and its emails are what a run without crashes gives.

#[path = "support/ceremony.rs"]
mod ceremony;
#[path = "support/faults.rs"]
mod faults;
mod support;

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use chrono::Utc;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use ceremony::{DEVELOPER, FIRST, SECOND, WITNESS};
use hims_esign::adapters::local::{OutboxEmail, SqliteStore};
use hims_esign::app::{hmac_sig, layout, repo};
use support::{EKYC_SECRET, Harness, PORTAL_TOKEN, PUBLIC_URL};

/// One `hims serve` child on a free port of 127.0.0.1.
struct Server {
    child: Child,
    url: String,
    http: Client,
}

impl Server {
    /// Starts the server on `data` and waits for `/healthz`. Tries another
    /// port if the child exits first (someone took the free port meanwhile).
    async fn start(data: &Path, fault: Option<&str>) -> Self {
        for _ in 0..3 {
            let mut server = Self::spawn(data, fault);
            for _ in 0..600 {
                if server.child.try_wait().expect("child status").is_some() {
                    break;
                }
                let health = server.http.get(format!("{}/healthz", server.url));
                if health.send().await.is_ok() {
                    return server;
                }
                tokio::time::sleep(POLL).await;
            }
            let _ = server.child.kill();
            let _ = server.child.wait();
        }
        panic!("hims serve did not start; see serve.log in the data folder");
    }

    /// Starts the server on `data` with `fault` as `HIMS_DEV_FAULT`, without waiting.
    fn spawn(data: &Path, fault: Option<&str>) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let log = std::fs::File::options()
            .create(true)
            .append(true)
            .open(data.join("serve.log"))
            .expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_hims"))
            .args([
                "serve",
                "--dev-clock",
                "--addr",
                &format!("127.0.0.1:{port}"),
            ])
            .arg("--data-dir")
            .arg(data)
            .env("HIMS_PORTAL_TOKEN", PORTAL_TOKEN)
            .env("HIMS_EKYC_SECRET", EKYC_SECRET)
            .env("HIMS_PUBLIC_URL", PUBLIC_URL)
            .env("HIMS_DEV_FAULT", fault.unwrap_or_default())
            .env_remove("HIMS_PORTAL_WEBHOOK_URL")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start hims serve");
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            http: Client::new(),
        }
    }

    /// Polls `ready` with a short pause between tries, for at most ~15 s.
    async fn poll(&mut self, what: &str, ready: impl AsyncFn(&Self) -> bool) {
        for _ in 0..600 {
            if let Some(status) = self.child.try_wait().expect("child status") {
                panic!("hims serve exited ({status}) before {what}");
            }
            if ready(self).await {
                return;
            }
            tokio::time::sleep(POLL).await;
        }
        panic!("timed out waiting until {what}");
    }

    /// A crash, not a shutdown.
    fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reap");
    }

    /// The process must end by `abort()` (SIGABRT), within ~15 s.
    async fn expect_abort(mut self) {
        for _ in 0..600 {
            if let Some(status) = self.child.try_wait().expect("child status") {
                assert_eq!(status.signal(), Some(SIGABRT), "{status}");
                return;
            }
            tokio::time::sleep(POLL).await;
        }
        self.kill();
        panic!("the injected fault never fired");
    }

    async fn send(&self, method: Method, path: &str, bearer: &str, body: Option<&Value>) -> Reply {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(bearer);
        if let Some(body) = body {
            request = request.json(body);
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status();
                let sha = response
                    .headers()
                    .get("x-document-sha256")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let json = response.json().await.unwrap_or(Value::Null);
                Reply::Answered { status, json, sha }
            }
            Err(_) => Reply::Dropped,
        }
    }

    async fn ok(&self, method: Method, path: &str, bearer: &str, body: Option<&Value>) -> Value {
        match self.send(method, path, bearer, body).await {
            Reply::Answered { status, json, .. } if status.is_success() => json,
            other => panic!("{path}: {other:?}"),
        }
    }

    async fn ekyc(&self, agreement: &str, party: &str) {
        let body = support::ekyc_body(agreement, party, "approved");
        let now = Utc::now().timestamp();
        let response = self
            .http
            .post(format!("{}/v1/ekyc/callback", self.url))
            .header("content-type", "application/json")
            .header(
                hmac_sig::SIGNATURE_HEADER,
                hmac_sig::sign(EKYC_SECRET.as_bytes(), now, body.as_bytes()),
            )
            .header(hmac_sig::TIMESTAMP_HEADER, now.to_string())
            .body(body)
            .send()
            .await
            .expect("eKYC callback");
        assert_eq!(response.status(), StatusCode::OK);
    }

    async fn emails(&self) -> Vec<OutboxEmail> {
        // Not started with --dev: the outbox wants the portal token.
        let response = self
            .http
            .get(format!("{}/dev/outbox", self.url))
            .bearer_auth(PORTAL_TOKEN)
            .send();
        match response.await {
            Ok(r) => r.json().await.unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    }

    /// Waits until the outbox holds `count` emails with `subject`.
    async fn await_emails(&mut self, subject: &str, count: usize) -> Vec<OutboxEmail> {
        let what = format!("{count} emails \"{subject}\" are sent");
        self.poll(&what, async |s| {
            let found = s.emails().await;
            found.iter().filter(|e| e.subject == subject).count() >= count
        })
        .await;
        self.emails().await
    }
}

const POLL: std::time::Duration = std::time::Duration::from_millis(25);

/// What `std::process::abort()` ends a process with.
const SIGABRT: i32 = 6;

#[derive(Debug)]
enum Reply {
    Answered {
        status: StatusCode,
        json: Value,
        sha: Option<String>,
    },
    /// The connection ended without an answer (the server crashed).
    Dropped,
}

/// One signer through HTTP: certificate, document, PIN + TOTP; returns the
/// sign request's body (an activation over the document shown).
async fn authorize(s: &Server, token: &str) -> Value {
    let form = json!({
        "address": "No. 12, Jalan Parkland 3, Taman Parkland",
        "postcode": "43000", "nationality": "MY",
        "pin": ceremony::PIN, "pin_confirm": ceremony::PIN,
    });
    let certificate = s
        .ok(Method::POST, "/v1/signer/certificate", token, Some(&form))
        .await;
    let uri = certificate["totp"]["uri"].as_str().expect("uri");
    let Reply::Answered { sha: Some(sha), .. } = s
        .send(Method::GET, "/v1/signer/document", token, None)
        .await
    else {
        panic!("no document");
    };
    let body = json!({
        "document_sha256": sha, "pin": ceremony::PIN,
        "totp": ceremony::totp_code(uri, Utc::now()),
    });
    let authorized = s
        .ok(Method::POST, "/v1/signer/authorize", token, Some(&body))
        .await;
    let activation = authorized["activation"].as_str().expect("activation");
    ceremony::sign_body(activation, &sha)
}

const INVITED: &str = "Pengesahan eKYC bagi Perjanjian Jual Beli elektronik (eSPA)";
const COMPLETED: &str = "eSPA Telah Lengkap Ditandatangani";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashes_mid_request_and_restarts_lose_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().to_owned();
    let portal = PORTAL_TOKEN;

    let mut s = Server::start(&data, None).await;
    let mut request = support::example_request(Utc::now());
    // The example's witness deadline is a fixed date; today's runs need a later one.
    request["parties"][WITNESS]["deadline"] = json!(Utc::now() + chrono::Duration::days(30));
    let created = s
        .ok(Method::POST, "/v1/agreements", portal, Some(&request))
        .await;
    let agreement = created["id"].as_str().expect("id").to_owned();
    let parties = support::party_ids(&created);
    for party in &parties {
        s.ekyc(&agreement, party).await;
    }
    let emails = s.await_emails(INVITED, parties.len()).await;
    let tokens: Vec<String> = request["parties"]
        .as_array()
        .expect("parties")
        .iter()
        .map(|p| {
            let to = p["email"].as_str().expect("email");
            let email = emails.iter().find(|e| e.to == to && e.text.contains("/s/"));
            support::link_token(email.expect("a link email"))
        })
        .collect();
    s.kill();

    // The first purchaser authorises; the server dies between steps.
    let s = Server::start(&data, None).await;
    let sign_first = authorize(&s, &tokens[FIRST]).await;
    s.kill();

    // Crash after both new revisions are stored, before the commit.
    let s = Server::start(&data, Some("abort-after:blobs.put:2")).await;
    let reply = s
        .send(
            Method::POST,
            "/v1/signer/sign",
            &tokens[FIRST],
            Some(&sign_first),
        )
        .await;
    assert!(matches!(reply, Reply::Dropped), "{reply:?}");
    s.expect_abort().await;

    // The signer's retry with the same activation signs, once.
    let s = Server::start(&data, None).await;
    let signed = s
        .ok(
            Method::POST,
            "/v1/signer/sign",
            &tokens[FIRST],
            Some(&sign_first),
        )
        .await;
    assert_eq!(signed["revision"], 3, "r2 serial, r3 signature: {signed}");
    s.kill();

    for party in [SECOND, DEVELOPER] {
        let s = Server::start(&data, None).await;
        let body = authorize(&s, &tokens[party]).await;
        s.kill();
        let s = Server::start(&data, None).await;
        s.ok(Method::POST, "/v1/signer/sign", &tokens[party], Some(&body))
            .await;
        s.kill();
    }

    // Crash right after the witness's commit completes the agreement, before
    // the certificate of completion is made.
    let s = Server::start(&data, Some("abort-before:blobs.put:1")).await;
    let confirm = json!({"action": "confirm"});
    let reply = s
        .send(
            Method::POST,
            "/v1/signer/review",
            &tokens[WITNESS],
            Some(&confirm),
        )
        .await;
    assert!(matches!(reply, Reply::Dropped), "{reply:?}");
    s.expect_abort().await;

    // The restarted server makes the certificate and queues its emails; it
    // crashes again once it has handed the first queued email to the mailer.
    Server::spawn(&data, Some("abort-after:mailer.send:1"))
        .expect_abort()
        .await;

    // That email's claim lapses after a minute (the dev clock moves on): it
    // goes out again, and the outbox folder keeps it once.
    let mut s = Server::start(&data, None).await;
    s.ok(
        Method::POST,
        "/dev/clock",
        portal,
        Some(&json!({"advance_secs": 120})),
    )
    .await;
    s.await_emails(COMPLETED, parties.len()).await;
    let store = SqliteStore::open_in_dir(&data).expect("the server's store");
    s.poll("every queued message is sent", async |_| {
        let until = Utc::now() + chrono::Duration::days(1);
        repo::due_items(&store, layout::OUTBOX_PARTITION, until)
            .await
            .is_ok_and(|pending| pending.is_empty())
    })
    .await;
    let view = s
        .ok(
            Method::GET,
            &format!("/v1/agreements/{agreement}"),
            portal,
            None,
        )
        .await;
    assert!(!view["completion_certificate"].is_null(), "{view}");
    s.kill();
    drop(store);

    // Every invariant on the data folder, and the same outcome as a run without crashes.
    let at = Utc::now();
    let h = Harness::open_in(dir, at, 3, None, |_| {});
    let (observed, _) = faults::observe(&h, &agreement).await;
    let reference = reference().await;
    assert_eq!(
        (
            &observed.agreement_state,
            &observed.party_states,
            &observed.emails,
            observed.completion
        ),
        (
            &reference.agreement_state,
            &reference.party_states,
            &reference.emails,
            reference.completion
        )
    );
    assert_eq!(observed.signatures.len(), 3);
}

/// The same ceremony in-process, without faults or restarts.
async fn reference() -> faults::Observed {
    let h = Harness::new();
    let c = ceremony::start(&h).await;
    ceremony::complete(&h, &c).await;
    faults::settle(&h).await;
    faults::observe(&h, &c.agreement).await.0
}
