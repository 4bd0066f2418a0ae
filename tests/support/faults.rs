//! Fault scenarios: a data folder snapshotted once and copied for every
//! scenario, a clean run that counts one request's port calls, then that
//! request again with each call failing (before its write, and after it for
//! writes), the client's recovery, the sweep and the outbox, and the
//! invariants every outcome must keep, compared with the clean run's.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, Duration, Utc};

use hims_esign::adapters::faulty::{At, Fault, FaultPlan, Mode, is_write};
use hims_esign::app::outbox::{self, Envelope, Message, Status};
use hims_esign::app::{audit, completion, document, layout, queries, repo, sweep};
use hims_esign::config::{Secret, Settings};
use hims_esign::domain::{Action, AgreementId, PartyState};

use crate::ceremony;
use crate::support::Harness;

pub const PORTAL_HOOK: &str = "https://portal.test/hims-events";

/// Portal webhooks on, so that they are on the faulted path too.
pub fn with_portal_hook(settings: &mut Settings) {
    settings.portal_webhook_url = Some(PORTAL_HOOK.to_owned());
    settings.portal_webhook_secret = Secret::new("portal-hook-secret");
}

/// A fresh harness for building a snapshot: ports counted (never failed), stub portal.
pub fn base_harness() -> Harness {
    let dir = tempfile::tempdir().expect("temp dir");
    let at = DateTime::parse_from_rfc3339(crate::support::START)
        .expect("start")
        .with_timezone(&Utc);
    Harness::open_in(dir, at, 7, Some(FaultPlan::new()), with_portal_hook)
}

/// A closed data folder and its clock's time; every opening is a private copy.
pub struct Snapshot {
    dir: tempfile::TempDir,
    at: DateTime<Utc>,
}

impl Snapshot {
    pub fn take(h: Harness) -> Self {
        let (dir, at) = h.close();
        Self { dir, at }
    }

    /// A copy on its own ports behind a new plan (seeded apart from the base,
    /// so new ids never collide with the snapshot's).
    pub fn open(&self) -> Harness {
        let copy = tempfile::tempdir().expect("temp dir");
        copy_dir(self.dir.path(), copy.path());
        Harness::open_in(copy, self.at, 99, Some(FaultPlan::new()), with_portal_hook)
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

fn plan(h: &Harness) -> &FaultPlan {
    h.faults.as_deref().expect("a harness with a fault plan")
}

/// Runs the sweep and the outbox until nothing is due, moving the clock past
/// leases and backoffs. Returns how many rounds it took.
pub async fn settle(h: &Harness) -> usize {
    let app = &h.runtime.app;
    for round in 1..=8 {
        sweep::run(app, h.now()).await.expect("sweep");
        // Only a fault can fail a round; none is armed while settling.
        outbox::deliver_due(&app.ports, &app.settings, app.webhooks.as_ref(), h.now())
            .await
            .expect("deliver");
        let later = h.now() + Duration::days(1);
        let store = app.ports.store.as_ref();
        if queries::due_items(store, layout::OUTBOX_PARTITION, later)
            .await
            .expect("due outbox")
            .is_empty()
        {
            return round;
        }
        h.advance(Duration::minutes(2));
    }
    panic!("the outbox never emptied");
}

/// What a scenario ends with; equal to the clean run's when nothing was lost or doubled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub agreement_state: String,
    pub party_states: Vec<String>,
    /// Every email in the outbox folder, as (to, subject), sorted.
    pub emails: Vec<(String, String)>,
    /// Every webhook event handed to the portal, as (type, party), one per event id, sorted.
    pub webhooks: Vec<(String, Option<String>)>,
    pub signatures: Vec<String>,
    pub completion: bool,
}

/// Checks every invariant of the agreement and returns what it observed;
/// `duplicates` is how many ids the mailer or portal was handed more than once.
pub async fn observe(h: &Harness, agreement: &str) -> (Observed, usize) {
    let app = &h.runtime.app;
    let store = app.ports.store.as_ref();
    let blobs = app.ports.blobs.as_ref();
    let id = AgreementId(agreement.to_owned());
    let loaded = repo::load(store, &id).await.expect("agreement");
    let record = &loaded.record;

    // Revisions 1..n, each stored as recorded: an orphan blob is never current.
    for (n, revision) in record.revisions.iter().enumerate() {
        assert_eq!(revision.number as usize, n + 1, "revision numbers");
        let bytes = blobs.get(&revision.blob_key).await.expect("revision blob");
        assert_eq!(
            document::sha256_hex(&bytes),
            revision.sha256,
            "revision hash"
        );
    }
    let current = record.current_revision().expect("a revision");
    let pdf = blobs.get(&current.blob_key).await.expect("current PDF");
    let trust = ceremony::trust(h).await;
    let report = hims_pdf::verify(&pdf, &trust).expect("verify");
    let signatures: Vec<String> = report
        .signatures
        .iter()
        .map(|s| s.field_name.clone())
        .collect();
    assert!(signatures.is_empty() || report.all_valid(), "{report:#?}");

    // Each signer's field signed exactly once iff the agreement says so, and audited once.
    let entries = repo::audit_entries(store, &id).await.expect("audit");
    assert!(audit::verify(&entries, &record.audit).valid, "audit chain");
    for party in &record.agreement.parties {
        let field = document::field_name(party);
        let in_pdf = signatures.iter().filter(|f| **f == field).count();
        let audited = entries
            .iter()
            .filter(|e| e.event["type"] == "signed" && e.event["party"] == party.id.0.as_str())
            .count();
        let signed = usize::from(party.state == PartyState::Signed);
        assert_eq!((in_pdf, audited), (signed, signed), "{}", party.id.0);
        if party.action == Action::Review {
            assert_eq!(in_pdf, 0);
        }
    }

    // The certificate of completion, once the agreement is complete.
    let completion = completion::load(app, &id).await.expect("completion");
    if let Some(done) = &completion {
        let bytes = blobs.get(&done.blob_key).await.expect("completion blob");
        let report = hims_pdf::verify(&bytes, &trust).expect("verify completion");
        assert!(report.all_valid(), "{report:#?}");
    }

    // The outbox: nothing pending, everything handed over was marked sent,
    // every email in the folder once.
    let later = h.now() + Duration::days(1);
    let pending = queries::due_items(store, layout::OUTBOX_PARTITION, later)
        .await
        .expect("due outbox");
    assert!(
        pending.is_empty(),
        "{} messages still pending",
        pending.len()
    );
    let mut handed: BTreeMap<String, usize> = BTreeMap::new();
    let handed_over = h.faults.as_ref().map(|p| p.handed_over());
    for id in handed_over.unwrap_or_default() {
        *handed.entry(id).or_default() += 1;
    }
    let mut webhooks = Vec::new();
    for message_id in handed.keys() {
        let item = store
            .get(&layout::outbox(message_id))
            .await
            .expect("get")
            .expect("an outbox record for every message handed over");
        let envelope: Envelope = serde_json::from_value(item.data).expect("envelope");
        assert_eq!(envelope.status, Status::Sent, "{message_id}");
        if let Message::Webhook { event } = envelope.message {
            webhooks.push((event.kind, event.party_id));
        }
    }
    webhooks.sort();
    let folder = h.runtime.mailer.list().await.expect("outbox folder");
    let ids: BTreeSet<&str> = folder.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), folder.len(), "an email id twice in the folder");
    let mut emails: Vec<(String, String)> = folder
        .iter()
        .map(|e| (e.to.clone(), e.subject.clone()))
        .collect();
    emails.sort();

    let observed = Observed {
        agreement_state: format!("{:?}", record.agreement.state),
        party_states: record
            .agreement
            .parties
            .iter()
            .map(|p| format!("{:?}", p.state))
            .collect(),
        emails,
        webhooks,
        signatures,
        completion: completion.is_some(),
    };
    (observed, handed.values().filter(|n| **n > 1).count())
}

/// What enumerating one request's faults found.
#[derive(Debug, Default)]
pub struct Figures {
    /// Port calls of the request in the clean run, in order.
    pub calls: Vec<&'static str>,
    pub scenarios: usize,
    /// Scenarios in which the provider was handed some email or event twice
    /// (the local outbox mailer kept one; SES would have sent two).
    pub handed_twice: usize,
}

/// Enumerates every port call of `request` on copies of `base`: first a clean
/// run (the reference), then for each call k a run failing at k before the
/// call, and, for writes, after it. After the request, `recover` does what the
/// client would (retry on 503, carry on); then the sweep and outbox run, and
/// the outcome must equal the reference with every invariant kept.
pub async fn enumerate<R>(
    base: &Snapshot,
    agreement: &str,
    request: impl AsyncFn(&Harness) -> R,
    recover: impl AsyncFn(&Harness, R),
) -> Figures {
    let clean = base.open();
    plan(&clean).arm(None);
    let reply = request(&clean).await;
    plan(&clean).disarm();
    let calls = plan(&clean).calls();
    recover(&clean, reply).await;
    settle(&clean).await;
    let (reference, _) = observe(&clean, agreement).await;
    drop(clean);

    let mut figures = Figures {
        calls: calls.clone(),
        ..Figures::default()
    };
    for (k, op) in calls.iter().enumerate() {
        let modes: &[Mode] = if is_write(op) {
            &[Mode::Before, Mode::After]
        } else {
            &[Mode::Before]
        };
        for &mode in modes {
            let h = base.open();
            let fault = Fault {
                at: At::Call(k as u64 + 1),
                mode,
            };
            plan(&h).arm(Some(fault));
            let reply = request(&h).await;
            plan(&h).disarm();
            let fired = plan(&h).fired().expect("the fault fired");
            assert_eq!(fired.op, *op, "call {k} is not what the clean run made");
            recover(&h, reply).await;
            settle(&h).await;
            let (observed, twice) = observe(&h, agreement).await;
            assert_eq!(
                observed,
                reference,
                "fault {mode:?} at call {} ({op})",
                k + 1
            );
            figures.scenarios += 1;
            figures.handed_twice += usize::from(twice > 0);
        }
    }
    figures
}
