//! The port contract suites on the embedded adapters, plus what only they
//! promise: files and their modes, safe blob keys, an idempotent outbox, and
//! nothing lost across a restart.

mod contract;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use chrono::Duration;
use contract::Fixture;
use contract::mail::{Delivered, MailFixture};
use hims_esign::adapters::local::{
    FileBlobs, OutboxEmail, OutboxMailer, SoftwareKeys, SqliteStore,
};
use hims_esign::ports::{
    Blobs, Condition, Email, EncryptionContext, Item, Key, KeyError, Keys, Mailer, Rng, Store,
    Write,
};
use hims_esign::testing::{FixedClock, SeededRng};
use serde_json::json;
use tempfile::TempDir;

fn temp_dir() -> TempDir {
    tempfile::tempdir().expect("temp dir")
}

async fn sqlite_store() -> Fixture<dyn Store> {
    Fixture::new(Arc::new(SqliteStore::open_in_memory().expect("open store")))
}

async fn sqlite_file_store() -> Fixture<dyn Store> {
    let dir = temp_dir();
    let store = SqliteStore::open_in_dir(dir.path()).expect("open store");
    Fixture::with_guard(Arc::new(store), dir)
}

async fn file_blobs() -> Fixture<dyn Blobs> {
    let dir = temp_dir();
    let blobs = FileBlobs::open_in_dir(dir.path()).expect("open blobs");
    Fixture::with_guard(Arc::new(blobs), dir)
}

fn rng(seed: u64) -> Arc<dyn Rng> {
    Arc::new(SeededRng::new(seed))
}

async fn software_keys() -> Fixture<dyn Keys> {
    let dir = temp_dir();
    let keys = SoftwareKeys::open_in_dir(dir.path(), rng(7)).expect("open keys");
    Fixture::with_guard(Arc::new(keys), dir)
}

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::at_rfc3339("2026-03-01T09:00:00Z"))
}

fn outbox(dir: &Path, clock: Arc<FixedClock>) -> Arc<OutboxMailer> {
    Arc::new(OutboxMailer::open_in_dir(dir, clock).expect("open outbox"))
}

async fn outbox_mailer() -> MailFixture {
    let dir = temp_dir();
    let outbox_dir = dir.path().join("outbox");
    // The message id names the outbox file.
    let read = move |message_id: String| -> contract::mail::ReadFuture {
        let file = outbox_dir.join(format!("{message_id}.json"));
        Box::pin(async move {
            let sent: OutboxEmail = serde_json::from_slice(&std::fs::read(file).ok()?).ok()?;
            Some(Delivered {
                to: sent.to,
                subject: sent.subject,
                text: Some(sent.text),
                html: Some(sent.html),
            })
        })
    };
    let mailer = outbox(dir.path(), clock());
    MailFixture::new(Fixture::with_guard(mailer, dir), read)
}

mod in_memory {
    crate::store_contract_tests!(crate::sqlite_store);
}

mod on_disk {
    crate::store_contract_tests!(crate::sqlite_file_store);
    crate::blobs_contract_tests!(crate::file_blobs);
    crate::keys_contract_tests!(crate::software_keys);
    crate::mail_contract_tests!(crate::outbox_mailer);
}

// ------------------------------------------------------------------ store

#[tokio::test]
async fn store_keeps_everything_across_a_restart() {
    let root = temp_dir();
    let dir = root.path().join("data");
    let key = Key::new("AGR#1", "META");
    {
        let store = SqliteStore::open_in_dir(&dir).expect("open");
        let mut item = Item::new(key.clone(), json!({ "status": "signing" }));
        item.counters.insert("pin_failures".into(), 2);
        let put = Write::Put {
            item,
            condition: Condition::NotExists,
        };
        store.transact(vec![put]).await.expect("put");
    }
    assert!(dir.join("hims.sqlite3").is_file());
    assert_eq!(mode(&dir), 0o700, "the data folder is private");
    let store = SqliteStore::open_in_dir(&dir).expect("reopen");
    let item = store.get(&key).await.expect("get").expect("item survived");
    assert_eq!((item.version, item.counter("pin_failures")), (1, 2));
    assert_eq!(item.data, json!({ "status": "signing" }));
}

#[tokio::test]
async fn store_refuses_a_cursor_it_did_not_make() {
    let store = SqliteStore::open_in_memory().expect("open");
    let query = hims_esign::ports::Query {
        cursor: Some("not a cursor".into()),
        ..hims_esign::ports::Query::prefix("AGR#1", "")
    };
    assert!(store.query(&query).await.is_err());
}

// ------------------------------------------------------------------ blobs

#[tokio::test]
async fn blobs_are_files_that_stay_inside_the_blob_folder() {
    let dir = temp_dir();
    let blobs = FileBlobs::open_in_dir(dir.path()).expect("open");
    blobs
        .put("agreements/a1/rev-1.pdf", b"%PDF", "application/pdf")
        .await
        .expect("put");
    let file = dir.path().join("blobs/agreements/a1/rev-1.pdf");
    assert_eq!(std::fs::read(&file).expect("blob file"), b"%PDF");
    assert_eq!(mode(&file), 0o600);
    assert_eq!(
        blobs
            .download_url("agreements/a1/rev-1.pdf", 60)
            .await
            .expect("url"),
        None
    );

    for bad in ["../escape", "/etc/passwd", "a/../../escape", "", "a//b"] {
        assert!(
            blobs.put(bad, b"x", "text/plain").await.is_err(),
            "{bad:?} accepted"
        );
        assert!(blobs.get(bad).await.is_err(), "{bad:?} read");
    }
    assert!(!dir.path().join("escape").exists());
}

// ------------------------------------------------------------------ keys

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn key_files_are_private_and_persist_across_reopen() {
    let dir = temp_dir();
    let context: EncryptionContext = [("party".to_string(), "P-1".to_string())].into();
    let first = SoftwareKeys::open_in_dir(dir.path(), rng(1)).expect("create keys");
    let sealed = first
        .encrypt(b"signer key", &context)
        .await
        .expect("encrypt");
    let tag = first.mac(b"token").await.expect("mac");
    let public = first.ca_public_key().await.expect("public key");

    let keys_dir = dir.path().join("keys");
    assert_eq!(mode(&keys_dir), 0o700);
    for file in ["ca.p256.pk8", "enc.key", "mac.key"] {
        assert_eq!(mode(&keys_dir.join(file)), 0o600, "{file}");
    }
    assert_eq!(
        std::fs::read(keys_dir.join("enc.key"))
            .expect("enc.key")
            .len(),
        32
    );

    // Reopened with another random source: the keys come from the files.
    let second = SoftwareKeys::open_in_dir(dir.path(), rng(2)).expect("reopen keys");
    assert_eq!(second.ca_public_key().await.expect("public key"), public);
    let opened = second.decrypt(&sealed, &context).await.expect("decrypt");
    assert_eq!(opened.as_slice(), b"signer key");
    assert!(second.verify_mac(b"token", &tag).await.expect("verify"));

    let other = temp_dir();
    let fresh = SoftwareKeys::open_in_dir(other.path(), rng(2)).expect("other keys");
    assert_ne!(fresh.ca_public_key().await.expect("public key"), public);
    assert!(matches!(
        fresh.decrypt(&sealed, &context).await,
        Err(KeyError::DecryptFailed)
    ));
}

#[tokio::test]
async fn key_files_readable_by_others_are_refused() {
    let dir = temp_dir();
    SoftwareKeys::open_in_dir(dir.path(), rng(1)).expect("create keys");
    let mac_file = dir.path().join("keys/mac.key");
    std::fs::set_permissions(&mac_file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let Err(KeyError::Unavailable(message)) = SoftwareKeys::open_in_dir(dir.path(), rng(1)) else {
        panic!("a world-readable key file was accepted");
    };
    assert!(message.contains("mac.key"), "{message}");
}

// ------------------------------------------------------------------ outbox

fn email(id: &str, subject: &str) -> Email {
    Email {
        id: id.into(),
        to: "buyer@example.com".into(),
        subject: subject.into(),
        text: "Kod anda: 123456".into(),
        html: "<p>Kod anda: <b>123456</b></p>".into(),
    }
}

#[tokio::test]
async fn outbox_is_idempotent_on_id_and_lists_newest_first() {
    let dir = temp_dir();
    let clock = clock();
    let mailer = outbox(dir.path(), Arc::clone(&clock));
    let first = mailer.send(&email("ob-1", "first")).await.expect("send");
    clock.advance(Duration::seconds(5));
    let again = mailer
        .send(&email("ob-1", "first, retried"))
        .await
        .expect("send again");
    assert_eq!(again, first, "a retried id returns the first message id");
    mailer.send(&email("ob-2", "second")).await.expect("send");
    clock.advance(Duration::milliseconds(1));
    mailer.send(&email("ob/3", "third")).await.expect("send");

    let listed = mailer.list().await.expect("list");
    let subjects: Vec<&str> = listed.iter().map(|e| e.subject.as_str()).collect();
    assert_eq!(subjects, ["third", "second", "first"]);
    assert_eq!(listed[2].sent_at.to_rfc3339(), "2026-03-01T09:00:00+00:00");
    assert_eq!(listed[0].id, "ob/3");

    let files = std::fs::read_dir(dir.path().join("outbox"))
        .expect("outbox dir")
        .count();
    assert_eq!(files, 3, "one file per id");
    let file = dir.path().join("outbox").join(format!("{first}.json"));
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(file).expect("outbox file")).expect("JSON");
    assert_eq!(stored["subject"], json!("first"));
    assert_eq!(stored["sent_at"], json!("2026-03-01T09:00:00Z"));
    for field in ["id", "to", "text", "html"] {
        assert!(stored[field].is_string(), "{field}");
    }
}

#[tokio::test]
async fn outbox_page_shows_every_email_escaped() {
    let dir = temp_dir();
    let mailer = outbox(dir.path(), clock());
    mailer
        .send(&email("ob-1", "Tandatangan <segera>"))
        .await
        .expect("send");
    let page = hims_esign::adapters::local::render_outbox_html(&mailer.list().await.expect("list"));
    assert!(page.contains("Tandatangan &lt;segera&gt;"));
    assert!(page.contains("Kod anda: 123456"));
    assert!(
        !page.contains("<b>123456</b>"),
        "email HTML is escaped into the frame"
    );
}

// ------------------------------------------------------------------ timestamps

/// A local runtime's own TSA (soft TSA key, SQLite) on a fixed clock.
fn tsa_runtime(dir: &Path) -> hims_esign::local::LocalRuntime {
    let settings = hims_esign::config::Settings::local("https://hims.test", "portal", "ekyc");
    hims_esign::local::LocalRuntime::open(dir, settings, clock(), rng(11)).expect("open runtime")
}

async fn own_tsa() -> Fixture<dyn hims_esign::ports::Timestamper> {
    let dir = temp_dir();
    let runtime = tsa_runtime(dir.path());
    Fixture::with_guard(Arc::new(runtime.app.own_tsa()), (dir, runtime.app))
}

/// The RFC 3161 client against our own `POST /tsa`, served on 127.0.0.1.
async fn http_tsa() -> Fixture<dyn hims_esign::ports::Timestamper> {
    use hims_esign::adapters::tsa_client::{HttpTimestamper, HttpTimestamperOptions};
    let dir = temp_dir();
    let runtime = tsa_runtime(dir.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = runtime.router(hims_esign::local::OutboxAccess::PortalToken);
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let mut options = HttpTimestamperOptions::new(&format!("http://{address}/tsa"));
    options.bearer_token = Some("portal".to_owned());
    let client = HttpTimestamper::new(options, rng(12));
    Fixture::with_guard(Arc::new(client), (dir, runtime.app, AbortOnDrop(server)))
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

mod timestamps {
    crate::timestamper_contract_tests!(crate::own_tsa);
    mod over_http {
        crate::timestamper_contract_tests!(crate::http_tsa);
    }
}
