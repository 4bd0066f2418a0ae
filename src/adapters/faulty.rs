//! Fault injection through the ports: wrappers around `Store`, `Blobs`,
//! `Mailer`, `Keys` and `WebhookClient` that number every call and make one
//! chosen call fail — before its write happens, or after the write landed
//! (the caller sees an error for something that was done: the nasty case).
//!
//! Tests arm a [`FaultPlan`] directly. `hims serve` (the local dev runtime
//! only; never a Lambda function) arms one from `HIMS_DEV_FAULT`, where the
//! `abort-*` modes end the process with `std::process::abort()` to test a
//! crash mid-request: e.g. `HIMS_DEV_FAULT=abort-after:blobs.put:2`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use zeroize::Zeroizing;

use crate::app::App;
use crate::ports::{
    BlobError, Blobs, Email, EncryptionContext, Index, Item, Key, KeyError, Keys, MailError,
    Mailer, Page, Ports, Query, Store, StoreError, WebhookClient, Write,
};

/// The environment variable `hims serve` reads its fault from.
pub const DEV_FAULT_ENV: &str = "HIMS_DEV_FAULT";

/// What happens at the chosen call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Fail without calling the adapter: nothing is written.
    Before,
    /// Call the adapter, then report failure: the write landed.
    After,
    /// Abort the process before calling the adapter.
    AbortBefore,
    /// Call the adapter, then abort the process.
    AbortAfter,
}

/// Which call fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum At {
    /// The k-th port call (1-based) since the plan was armed, whatever its kind.
    Call(u64),
    /// The n-th call (1-based) of one operation, e.g. `blobs.put`.
    Op(String, u64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub at: At,
    pub mode: Mode,
}

#[derive(Debug, thiserror::Error)]
#[error(
    "HIMS_DEV_FAULT must be <fail|abort>-<before|after>:<port>.<call>:<n>, e.g. abort-after:blobs.put:1"
)]
pub struct FaultSpecError;

impl std::str::FromStr for Fault {
    type Err = FaultSpecError;

    /// `<fail|abort>-<before|after>:<op>:<n>`, `<op>` one of [`OPERATIONS`].
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let mut parts = spec.trim().split(':');
        let (Some(mode), Some(op), Some(n), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(FaultSpecError);
        };
        let mode = match mode {
            "fail-before" => Mode::Before,
            "fail-after" => Mode::After,
            "abort-before" => Mode::AbortBefore,
            "abort-after" => Mode::AbortAfter,
            _ => return Err(FaultSpecError),
        };
        let n: u64 = n.parse().map_err(|_| FaultSpecError)?;
        if n == 0 || !OPERATIONS.contains(&op) {
            return Err(FaultSpecError);
        }
        Ok(Self {
            at: At::Op(op.to_owned(), n),
            mode,
        })
    }
}

/// Every call the wrappers count, by name.
pub const OPERATIONS: [&str; 17] = [
    "store.get",
    "store.query",
    "store.query_index",
    "store.transact",
    "blobs.put",
    "blobs.get",
    "blobs.download_url",
    "mailer.send",
    "keys.ca_sign",
    "keys.ca_public_key",
    "keys.tsa_sign",
    "keys.tsa_public_key",
    "keys.encrypt",
    "keys.decrypt",
    "keys.mac",
    "keys.verify_mac",
    "webhooks.post",
];

/// Calls that change something outside the process (where `After` differs from `Before`).
pub fn is_write(op: &str) -> bool {
    matches!(
        op,
        "store.transact" | "blobs.put" | "mailer.send" | "webhooks.post"
    )
}

/// One fired fault: which call, its name, how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired {
    pub call: u64,
    pub op: &'static str,
    pub mode: Mode,
}

#[derive(Default)]
struct State {
    counting: bool,
    count: u64,
    /// Names of the calls, kept only by a run that counts without a fault.
    calls: Vec<&'static str>,
    per_op: BTreeMap<&'static str, u64>,
    armed: Option<Fault>,
    fired: Option<Fired>,
    /// Ids the real mailer / webhook endpoint was handed, in order (an email
    /// id, or a webhook's `x-event-id`), whether or not the caller heard so.
    handed_over: Vec<String>,
}

/// Counts port calls and fires at most one fault per arming.
#[derive(Default)]
pub struct FaultPlan(Mutex<State>);

impl FaultPlan {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Starts counting from zero with `fault` (or none: only count).
    pub fn arm(&self, fault: Option<Fault>) {
        let mut state = self.lock();
        state.counting = true;
        state.count = 0;
        state.calls.clear();
        state.per_op.clear();
        state.armed = fault;
        state.fired = None;
    }

    /// Stops counting and drops a fault that has not fired; what fired stays known.
    pub fn disarm(&self) {
        let mut state = self.lock();
        state.counting = false;
        state.armed = None;
    }

    /// The calls from the last [`FaultPlan::arm`] with no fault to
    /// [`FaultPlan::disarm`], in order (a run with a fault only counts them).
    pub fn calls(&self) -> Vec<&'static str> {
        self.lock().calls.clone()
    }

    pub fn fired(&self) -> Option<Fired> {
        self.lock().fired.clone()
    }

    /// Every id handed to the mailer or the portal's endpoint since the plan was made.
    pub fn handed_over(&self) -> Vec<String> {
        self.lock().handed_over.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a call of `op`; the mode to apply if it is the armed one.
    fn decide(&self, op: &'static str) -> Option<Mode> {
        let mut state = self.lock();
        if !state.counting {
            return None;
        }
        state.count += 1;
        let call = state.count;
        let nth = {
            let n = state.per_op.entry(op).or_default();
            *n += 1;
            *n
        };
        let Some(fault) = state.armed.clone() else {
            state.calls.push(op);
            return None;
        };
        let hit = match &fault.at {
            At::Call(k) => *k == call,
            At::Op(name, n) => name == op && *n == nth,
        };
        if !hit {
            return None;
        }
        // One fault per arming: nothing more to count.
        state.armed = None;
        state.counting = false;
        state.fired = Some(Fired {
            call,
            op,
            mode: fault.mode,
        });
        if matches!(fault.mode, Mode::AbortBefore | Mode::AbortAfter) {
            tracing::error!(op, mode = ?fault.mode, "injected fault: aborting the process");
        }
        Some(fault.mode)
    }

    fn handed(&self, id: &str) {
        self.lock().handed_over.push(id.to_owned());
    }

    async fn around<T, E>(
        &self,
        op: &'static str,
        fail: impl FnOnce() -> E,
        call: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        match self.decide(op) {
            None => call.await,
            Some(Mode::Before) => Err(fail()),
            Some(Mode::AbortBefore) => std::process::abort(),
            Some(Mode::After) => {
                call.await?;
                Err(fail())
            }
            Some(Mode::AbortAfter) => {
                let _ = call.await;
                std::process::abort()
            }
        }
    }
}

const INJECTED: &str = "injected fault";

/// `ports` (and `webhooks`) with every call going through `plan`.
pub fn wrap(
    ports: &Ports,
    webhooks: Arc<dyn WebhookClient>,
    plan: &Arc<FaultPlan>,
) -> (Ports, Arc<dyn WebhookClient>) {
    let wrapped = Ports {
        store: Arc::new(Faulty::new(ports.store.clone(), plan)),
        blobs: Arc::new(Faulty::new(ports.blobs.clone(), plan)),
        mailer: Arc::new(Faulty::new(ports.mailer.clone(), plan)),
        keys: Arc::new(Faulty::new(ports.keys.clone(), plan)),
        clock: ports.clock.clone(),
        rng: ports.rng.clone(),
    };
    (wrapped, Arc::new(Faulty::new(webhooks, plan)))
}

/// Puts every port of `app` behind `plan`.
pub fn inject(app: &mut App, plan: &Arc<FaultPlan>) {
    let (ports, webhooks) = wrap(&app.ports, app.webhooks.clone(), plan);
    app.ports = ports;
    app.webhooks = webhooks;
}

/// The plan `HIMS_DEV_FAULT` asks for, armed; `None` when unset.
pub fn from_env() -> Result<Option<Arc<FaultPlan>>, FaultSpecError> {
    match std::env::var(DEV_FAULT_ENV) {
        Ok(spec) if !spec.trim().is_empty() => {
            let plan = FaultPlan::new();
            plan.arm(Some(spec.parse()?));
            Ok(Some(plan))
        }
        _ => Ok(None),
    }
}

/// One port (`P` is `dyn Store`, `dyn Blobs`, …) behind a plan.
struct Faulty<P: ?Sized> {
    inner: Arc<P>,
    plan: Arc<FaultPlan>,
}

impl<P: ?Sized> Faulty<P> {
    fn new(inner: Arc<P>, plan: &Arc<FaultPlan>) -> Self {
        Self {
            inner,
            plan: plan.clone(),
        }
    }
}

fn store_fault() -> StoreError {
    StoreError::Unavailable(INJECTED.into())
}
fn blob_fault() -> BlobError {
    BlobError::Unavailable(INJECTED.into())
}
fn mail_fault() -> MailError {
    MailError::Unavailable(INJECTED.into())
}
fn key_fault() -> KeyError {
    KeyError::Unavailable(INJECTED.into())
}

#[async_trait]
impl Store for Faulty<dyn Store> {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let call = self.inner.get(key);
        self.plan.around("store.get", store_fault, call).await
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let call = self.inner.query(query);
        self.plan.around("store.query", store_fault, call).await
    }
    async fn query_index(&self, index: Index, query: &Query) -> Result<Page, StoreError> {
        let call = self.inner.query_index(index, query);
        self.plan
            .around("store.query_index", store_fault, call)
            .await
    }
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let call = self.inner.transact(writes);
        self.plan.around("store.transact", store_fault, call).await
    }
    fn items_read(&self) -> u64 {
        self.inner.items_read()
    }
}

#[async_trait]
impl Blobs for Faulty<dyn Blobs> {
    async fn put(&self, key: &str, bytes: &[u8], content_type: &str) -> Result<(), BlobError> {
        let call = self.inner.put(key, bytes, content_type);
        self.plan.around("blobs.put", blob_fault, call).await
    }
    async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        let call = self.inner.get(key);
        self.plan.around("blobs.get", blob_fault, call).await
    }
    async fn download_url(&self, key: &str, secs: u64) -> Result<Option<String>, BlobError> {
        let call = self.inner.download_url(key, secs);
        self.plan
            .around("blobs.download_url", blob_fault, call)
            .await
    }
}

#[async_trait]
impl Mailer for Faulty<dyn Mailer> {
    async fn send(&self, email: &Email) -> Result<String, MailError> {
        let call = async {
            self.plan.handed(&email.id);
            self.inner.send(email).await
        };
        self.plan.around("mailer.send", mail_fault, call).await
    }
}

#[async_trait]
impl Keys for Faulty<dyn Keys> {
    async fn ca_sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let call = self.inner.ca_sign(message);
        self.plan.around("keys.ca_sign", key_fault, call).await
    }
    async fn ca_public_key(&self) -> Result<Vec<u8>, KeyError> {
        let call = self.inner.ca_public_key();
        self.plan
            .around("keys.ca_public_key", key_fault, call)
            .await
    }
    async fn tsa_sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let call = self.inner.tsa_sign(message);
        self.plan.around("keys.tsa_sign", key_fault, call).await
    }
    async fn tsa_public_key(&self) -> Result<Vec<u8>, KeyError> {
        let call = self.inner.tsa_public_key();
        self.plan
            .around("keys.tsa_public_key", key_fault, call)
            .await
    }
    async fn encrypt(&self, plain: &[u8], ctx: &EncryptionContext) -> Result<Vec<u8>, KeyError> {
        let call = self.inner.encrypt(plain, ctx);
        self.plan.around("keys.encrypt", key_fault, call).await
    }
    async fn decrypt(
        &self,
        ciphertext: &[u8],
        ctx: &EncryptionContext,
    ) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let call = self.inner.decrypt(ciphertext, ctx);
        self.plan.around("keys.decrypt", key_fault, call).await
    }
    async fn mac(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let call = self.inner.mac(message);
        self.plan.around("keys.mac", key_fault, call).await
    }
    async fn verify_mac(&self, message: &[u8], tag: &[u8]) -> Result<bool, KeyError> {
        let call = self.inner.verify_mac(message, tag);
        self.plan.around("keys.verify_mac", key_fault, call).await
    }
}

#[async_trait]
impl WebhookClient for Faulty<dyn WebhookClient> {
    async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<u16, String> {
        let event_id = headers
            .iter()
            .find(|(name, _)| *name == "x-event-id")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let call = async {
            self.plan.handed(&event_id);
            self.inner.post(url, headers, body).await
        };
        self.plan
            .around("webhooks.post", || INJECTED.to_owned(), call)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_bad_ones_are_refused() {
        let fault: Fault = "abort-after:blobs.put:2".parse().expect("valid");
        assert_eq!(fault.at, At::Op("blobs.put".into(), 2));
        assert_eq!(fault.mode, Mode::AbortAfter);
        for bad in [
            "",
            "abort-after:blobs.put",
            "abort-after:blobs.put:0",
            "abort-after:blobs.putt:1",
            "explode:blobs.put:1",
            "fail-before:store.get:1:2",
        ] {
            assert!(bad.parse::<Fault>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn the_armed_call_fires_once() {
        let plan = FaultPlan::new();
        plan.arm(Some(Fault {
            at: At::Op("store.get".into(), 2),
            mode: Mode::Before,
        }));
        let modes: Vec<_> = ["store.get", "blobs.put", "store.get", "store.get"]
            .into_iter()
            .map(|op| plan.decide(op))
            .collect();
        assert_eq!(modes, [None, None, Some(Mode::Before), None]);
        assert_eq!(plan.fired().map(|f| f.call), Some(3));

        plan.arm(None);
        plan.decide("blobs.put");
        plan.decide("store.get");
        plan.disarm();
        plan.decide("mailer.send");
        assert_eq!(plan.calls(), ["blobs.put", "store.get"]);
        assert_eq!(plan.fired(), None);
    }
}
