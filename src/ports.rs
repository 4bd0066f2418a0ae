//! The traits the core needs from the outside world. Adapters live in
//! `adapters::local` (SQLite, files, outbox, software keys) and `adapters::aws`
//! (DynamoDB, S3, SESv2, KMS). Both pass the same contract suites in `tests/`.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------- Store

/// An item's primary key. One table, DynamoDB style: `pk` groups the items of
/// one aggregate (e.g. `AGR#<id>`), `sk` orders them inside it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// The two secondary indexes. Each is a (partition, sort) pair of strings
/// written with the item; items without an entry are not in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Index {
    /// Due time: partition `DUE#<shard>`, sort `<rfc3339 due time>#<key>`.
    /// Read by the expiry sweep, never scanned.
    Due,
    /// Lookup by an alternative unique name (agreement serial, idempotency key, …).
    Lookup,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexKey {
    pub pk: String,
    pub sk: String,
}

/// One stored item. `data` is the JSON document; `version` is bumped by every
/// put and is what conditional writes compare; `counters` are integers that
/// can be incremented atomically without rewriting `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub key: Key,
    pub version: u64,
    pub data: serde_json::Value,
    pub counters: BTreeMap<String, i64>,
    pub due: Option<IndexKey>,
    pub lookup: Option<IndexKey>,
    /// Unix seconds after which the item may be deleted by the store (DynamoDB
    /// TTL). Deletion is late and optional: readers check expiry themselves.
    pub expires_at: Option<i64>,
}

impl Item {
    pub fn new(key: Key, data: serde_json::Value) -> Self {
        Self {
            key,
            version: 0,
            data,
            counters: BTreeMap::new(),
            due: None,
            lookup: None,
            expires_at: None,
        }
    }

    pub fn counter(&self, name: &str) -> i64 {
        self.counters.get(name).copied().unwrap_or(0)
    }
}

/// The condition a write needs to hold for the whole transaction to commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// Always holds.
    None,
    /// The item must not exist.
    NotExists,
    /// The item must exist.
    Exists,
    /// The item must exist with exactly this version (compare-and-set).
    Version(u64),
}

/// One write of a transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// Put the whole item (data, index entries, expiry). The stored version
    /// becomes `old version + 1` (1 for a new item); counters already stored
    /// are kept, counters given in `item.counters` are set.
    Put { item: Item, condition: Condition },
    /// Delete the item.
    Delete { key: Key, condition: Condition },
    /// Only check a condition, write nothing.
    Check { key: Key, condition: Condition },
    /// Atomically add `by` to a counter of an existing item, only if the
    /// counter's value before the write is below `below` (when given). Does
    /// not change `version` or `data`.
    Increment {
        key: Key,
        counter: String,
        by: i64,
        below: Option<i64>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A condition failed; `index` is the write (in transaction order) whose
    /// condition did not hold, when the store can tell.
    #[error("condition failed")]
    ConditionFailed { index: Option<usize> },
    /// Two transactions touched the same item at once; safe to retry.
    #[error("transaction conflict")]
    Conflict,
    /// The request cannot be served as asked, now or later: a cursor the store
    /// did not issue, a transaction over the limits, a key written twice.
    #[error("invalid store request: {0}")]
    Invalid(String),
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

/// A page of a query; `next` is the opaque cursor for the following page.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub items: Vec<Item>,
    pub next: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortRange {
    /// Every sort key starting with the prefix ("" for all).
    Prefix(String),
    /// Sort keys `>= from` and `< to`.
    Between { from: String, to: String },
}

#[derive(Debug, Clone)]
pub struct Query {
    pub pk: String,
    pub range: SortRange,
    pub limit: usize,
    /// Newest (largest sort key) first.
    pub descending: bool,
    pub cursor: Option<String>,
}

impl Query {
    pub fn prefix(pk: impl Into<String>, prefix: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            range: SortRange::Prefix(prefix.into()),
            limit: 1000,
            descending: false,
            cursor: None,
        }
    }
}

/// A key-value store with DynamoDB's semantics: strongly consistent reads,
/// conditional writes, all-or-nothing transactions of up to 100 writes (no
/// two on the same key), and reads that tell how many items they touched.
#[async_trait]
pub trait Store: Send + Sync {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;
    /// Items of one partition (`pk`) in sort-key order.
    async fn query(&self, query: &Query) -> Result<Page, StoreError>;
    /// Items whose index entry has partition `query.pk`, in index sort order.
    async fn query_index(&self, index: Index, query: &Query) -> Result<Page, StoreError>;
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError>;
    /// Items read since the store was built (gets and query results). Lets
    /// tests prove a sweep reads what is due, not the table.
    fn items_read(&self) -> u64;
}

// ---------------------------------------------------------------- Blobs

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob already exists")]
    AlreadyExists,
    #[error("blob not found")]
    NotFound,
    #[error("blob store unavailable: {0}")]
    Unavailable(String),
}

/// Immutable documents (every PDF revision). A key is written once, never
/// overwritten: a second put of the same key fails with `AlreadyExists`
/// unless the bytes are identical (so a retried write is harmless).
#[async_trait]
pub trait Blobs: Send + Sync {
    async fn put(&self, key: &str, bytes: &[u8], content_type: &str) -> Result<(), BlobError>;
    async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError>;
    /// A time-limited download URL, where the backend has one (S3). `None`
    /// means "serve the bytes yourself".
    async fn download_url(
        &self,
        key: &str,
        valid_for_secs: u64,
    ) -> Result<Option<String>, BlobError>;
}

// ---------------------------------------------------------------- Mailer

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    /// Unique per message: the outbox id. A mailer that sees an id twice
    /// does not send twice where it can tell.
    pub id: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("address rejected")]
    Rejected,
    #[error("mailer unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one email; returns the provider's message id.
    async fn send(&self, email: &Email) -> Result<String, MailError>;
}

// ---------------------------------------------------------------- Keys

/// Names what a ciphertext belongs to (KMS encryption context). Decryption
/// under any other context fails.
pub type EncryptionContext = BTreeMap<String, String>;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("decryption failed")]
    DecryptFailed,
    #[error("key service unavailable: {0}")]
    Unavailable(String),
}

/// The system's keys. In AWS they live in KMS and never enter memory; locally
/// they are files in the data folder.
#[async_trait]
pub trait Keys: Send + Sync {
    /// ECDSA P-256 / SHA-256 signature (DER) over `message` with the CA key.
    async fn ca_sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError>;
    /// The CA public key as SubjectPublicKeyInfo DER.
    async fn ca_public_key(&self) -> Result<Vec<u8>, KeyError>;
    /// ECDSA P-256 / SHA-256 signature (DER) over `message` with the
    /// timestamp authority's key, a key separate from the CA's.
    async fn tsa_sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError>;
    /// The TSA public key as SubjectPublicKeyInfo DER.
    async fn tsa_public_key(&self) -> Result<Vec<u8>, KeyError>;
    /// Authenticated encryption bound to `context`.
    async fn encrypt(
        &self,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, KeyError>;
    async fn decrypt(
        &self,
        ciphertext: &[u8],
        context: &EncryptionContext,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, KeyError>;
    /// HMAC-SHA256 with the system MAC key (link tokens, code digests).
    async fn mac(&self, message: &[u8]) -> Result<Vec<u8>, KeyError>;
    /// Constant-time check of a tag made by `mac`.
    async fn verify_mac(&self, message: &[u8], tag: &[u8]) -> Result<bool, KeyError>;
}

// ---------------------------------------------------------------- Clock, Rng

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// A cryptographically secure random source. Tests inject a seeded one.
pub trait Rng: Send + Sync {
    fn fill(&self, dest: &mut [u8]);
}

impl dyn Rng {
    pub fn bytes<const N: usize>(&self) -> [u8; N] {
        let mut b = [0u8; N];
        self.fill(&mut b);
        b
    }
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

pub struct OsRng;

impl Rng for OsRng {
    fn fill(&self, dest: &mut [u8]) {
        getrandom::fill(dest).expect("the operating system has no random source");
    }
}

/// Everything a use case may touch, built once at start.
#[derive(Clone)]
pub struct Ports {
    pub store: Arc<dyn Store>,
    pub blobs: Arc<dyn Blobs>,
    pub mailer: Arc<dyn Mailer>,
    pub keys: Arc<dyn Keys>,
    pub clock: Arc<dyn Clock>,
    pub rng: Arc<dyn Rng>,
}

// ---------------------------------------------------------------- Timestamps

#[derive(Debug, thiserror::Error)]
pub enum TimestampError {
    /// No token could be had now (TSA down, timeout, refused); retry later.
    #[error("timestamp authority unavailable: {0}")]
    Unavailable(String),
    /// The TSA answered with a token that does not check out.
    #[error("timestamp authority answered with a bad token: {0}")]
    BadToken(String),
}

/// Gets RFC 3161 timestamp tokens. Adapters: our own TSA (`app::tsa::OwnTsa`,
/// the default) and an RFC 3161 HTTP client for an outside TSA
/// (`adapters::tsa_client::HttpTimestamper`).
#[async_trait]
pub trait Timestamper: Send + Sync {
    /// A TimeStampToken (CMS ContentInfo DER) over `sha256_digest`, already
    /// checked: imprint, signature, nonce and the TSA certificate's purpose.
    async fn timestamp(&self, sha256_digest: &[u8; 32]) -> Result<Vec<u8>, TimestampError>;
}

// ---------------------------------------------------------------- Webhooks

/// Outgoing HTTP POSTs to the portal. Returns the response status.
#[async_trait]
pub trait WebhookClient: Send + Sync {
    async fn post(&self, url: &str, headers: &[(&str, String)], body: &[u8])
    -> Result<u16, String>;
}
