//! SES notices (the samples in `events/`, pointed at a real outbox id) through
//! `app::ses_events` on the local runtime: the party's email status in the
//! agreement, the developer told once about a hard bounce (who, not the
//! address), the portal view and the signer's session showing it.

mod support;

use std::path::PathBuf;

use http::Method;
use serde_json::Value;

use hims_esign::adapters::local::OutboxEmail;
use hims_esign::app::mail::Template;
use hims_esign::app::outbox::Envelope;
use hims_esign::app::ses_events::{self, Outcome, SesNotice, parse_ses_notice};
use hims_esign::app::{layout, notices, repo};
use hims_esign::domain::AgreementId;
use hims_esign::ports::{Condition, Write};
use support::{Harness, example_request, link_token, party_ids};

const SAMPLE_OUTBOX_ID: &str = "out_0123456789abcdef0123456789abcdef";
const BOUNCE_SUBJECT: &str = "E-mel eSPA Tidak Dapat Dihantar";

/// The SES notice inside an SNS sample, about `outbox_id`, with `edit`
/// applied to the SES JSON.
fn notice(sample: &str, outbox_id: &str, edit: impl FnOnce(&mut Value)) -> SesNotice {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("events")
        .join(sample);
    let sns: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("sample")).expect("JSON");
    let message = sns["Records"][0]["Sns"]["Message"]
        .as_str()
        .expect("SNS message");
    let mut ses: Value =
        serde_json::from_str(&message.replace(SAMPLE_OUTBOX_ID, outbox_id)).expect("SES JSON");
    edit(&mut ses);
    parse_ses_notice(&ses.to_string()).expect("notice parses")
}

fn hard_bounce(outbox_id: &str) -> SesNotice {
    notice("ses-events-bounce.json", outbox_id, |_| {})
}

struct Example {
    h: Harness,
    id: String,
    parties: Vec<String>,
}

impl Example {
    async fn new(request: Value) -> Self {
        let h = Harness::new();
        let reply = h.create(&request, None).await;
        assert_eq!(reply.status, http::StatusCode::CREATED, "{}", reply.text());
        let id = reply.json["id"].as_str().expect("id").to_owned();
        let parties = party_ids(&reply.json);
        Self { h, id, parties }
    }

    async fn flow() -> Self {
        let h = Harness::new();
        Self::new(example_request(h.now())).await
    }

    /// The first email sent to `to` (its id is the outbox id).
    async fn email_to(&self, to: &str) -> OutboxEmail {
        self.h
            .emails()
            .await
            .into_iter()
            .find(|e| e.to == to)
            .unwrap_or_else(|| panic!("no email to {to}"))
    }

    async fn record(&self, notice: &SesNotice) -> Outcome {
        ses_events::record(&self.h.runtime.app, notice)
            .await
            .expect("recorded")
    }

    async fn view(&self) -> Value {
        let reply = self
            .h
            .portal(Method::GET, &format!("/v1/agreements/{}", self.id), None)
            .await;
        assert!(reply.status.is_success(), "{}", reply.text());
        reply.json
    }

    async fn bounce_emails(&self) -> Vec<OutboxEmail> {
        self.h
            .emails()
            .await
            .into_iter()
            .filter(|e| e.subject == BOUNCE_SUBJECT)
            .collect()
    }

    async fn email_bounced(&self, email: &OutboxEmail) -> bool {
        let token = link_token(email);
        let reply = self
            .h
            .signer(Method::GET, "/v1/signer/session", &token)
            .await;
        assert!(reply.status.is_success(), "{}", reply.text());
        reply.json["email_bounced"]
            .as_bool()
            .expect("email_bounced in the session")
    }
}

#[tokio::test]
async fn a_hard_bounce_flags_the_party_and_tells_the_developer_once() {
    let ex = Example::flow().await;
    let aisyah = ex.email_to("aisyah@example.my").await;
    let tan = ex.email_to("weiming@example.my").await;
    assert!(!ex.email_bounced(&aisyah).await);

    let bounce = hard_bounce(&aisyah.id);
    assert_eq!(
        ex.record(&bounce).await,
        Outcome::Recorded {
            developer_told: true
        }
    );

    let view = ex.view().await;
    let status = &view["parties"][0]["email_status"];
    assert_eq!(status["status"], "bounced", "{view}");
    assert_eq!(status["bounce_type"], "Permanent");
    assert_eq!(status["undeliverable"], true);
    assert_eq!(status["flagged"], true);
    assert_eq!(status["at"], "2025-05-01T02:00:01Z");
    assert!(view["parties"][1]["email_status"].is_null());
    assert!(ex.email_bounced(&aisyah).await);
    assert!(!ex.email_bounced(&tan).await);

    let told = ex.bounce_emails().await;
    assert_eq!(told.len(), 1);
    let email = &told[0];
    assert_eq!(
        email.to, "ahmad@parkland.example.my",
        "the developer signatory"
    );
    assert!(email.text.starts_with("Kepada Pemaju,"));
    assert!(email.text.contains("- Nur Aisyah binti Abdullah (Pembeli)"));
    assert!(email.html.contains("Nur Aisyah binti Abdullah (Pembeli)"));
    assert!(email.text.contains("03-8991 4797") && email.text.contains("B-10-02"));
    for body in [&email.text, &email.html, &email.subject] {
        assert!(!body.contains("aisyah@example.my"), "no bounced address");
    }

    // SNS delivers at least once: the same notice again changes nothing.
    let version = view["version"].as_u64();
    assert_eq!(ex.record(&bounce).await, Outcome::Duplicate);
    assert_eq!(ex.bounce_emails().await.len(), 1);
    assert_eq!(ex.view().await["version"].as_u64(), version);

    // The audit trail notes it, without the address.
    let audit =
        ex.h.portal(
            Method::GET,
            &format!("/v1/agreements/{}/audit", ex.id),
            None,
        )
        .await;
    let notes: Vec<&Value> = audit.json["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| &e["event"])
        .filter(|e| e["type"] == "email_status")
        .collect();
    assert_eq!(notes.len(), 1, "{}", audit.text());
    assert_eq!(notes[0]["party"], ex.parties[0].as_str());
    assert_eq!(notes[0]["ses_message_id"], "0100018f2b6c7e11-sample-000000");
    assert!(!notes[0].to_string().contains("example.my"));
    assert_eq!(audit.json["verification"]["valid"], true);
}

#[tokio::test]
async fn a_delivery_records_delivered_and_tells_no_one() {
    let ex = Example::flow().await;
    let tan = ex.email_to("weiming@example.my").await;
    let outcome = ex
        .record(&notice("ses-events-delivery.json", &tan.id, |_| {}))
        .await;
    assert_eq!(
        outcome,
        Outcome::Recorded {
            developer_told: false
        }
    );
    let view = ex.view().await;
    let status = &view["parties"][1]["email_status"];
    assert_eq!(status["status"], "delivered", "{view}");
    assert_eq!(status["flagged"], false);
    assert!(status["bounce_type"].is_null());
    assert!(!ex.email_bounced(&tan).await);
    assert!(ex.bounce_emails().await.is_empty());
}

#[tokio::test]
async fn a_soft_bounce_updates_the_status_only() {
    let ex = Example::flow().await;
    let tan = ex.email_to("weiming@example.my").await;
    let soft = notice("ses-events-bounce.json", &tan.id, |ses| {
        ses["bounce"]["bounceType"] = "Transient".into();
        ses["bounce"]["bounceSubType"] = "MailboxFull".into();
    });
    let outcome = ex.record(&soft).await;
    assert_eq!(
        outcome,
        Outcome::Recorded {
            developer_told: false
        }
    );
    let status = &ex.view().await["parties"][1]["email_status"];
    assert_eq!(
        (
            &status["status"],
            &status["bounce_type"],
            &status["flagged"]
        ),
        (&"bounced".into(), &"Transient".into(), &false.into())
    );
    assert!(!ex.email_bounced(&tan).await);
    assert!(ex.bounce_emails().await.is_empty());

    // A later delivery to the same address clears the soft bounce.
    let delivered = notice("ses-events-delivery.json", &tan.id, |ses| {
        ses["mail"]["messageId"] = "0100018f2b6c7e11-sample-000001".into();
        ses["delivery"]["timestamp"] = "2025-05-01T03:00:00.000Z".into();
    });
    ex.record(&delivered).await;
    assert_eq!(
        ex.view().await["parties"][1]["email_status"]["status"],
        "delivered"
    );
}

#[tokio::test]
async fn a_complaint_flags_the_party_without_a_bounce_notice() {
    let ex = Example::flow().await;
    let aisyah = ex.email_to("aisyah@example.my").await;
    let outcome = ex
        .record(&notice("ses-events-complaint.json", &aisyah.id, |_| {}))
        .await;
    assert!(matches!(outcome, Outcome::Recorded { .. }), "{outcome:?}");
    let status = &ex.view().await["parties"][0]["email_status"];
    assert_eq!(status["status"], "complained");
    assert_eq!(status["flagged"], true);
    assert_eq!(status["undeliverable"], false);
    assert!(!ex.email_bounced(&aisyah).await, "the mail did arrive");
    assert!(ex.bounce_emails().await.is_empty());
}

#[tokio::test]
async fn unknown_or_untagged_emails_are_ignored() {
    let ex = Example::flow().await;
    let before = ex.view().await;
    assert_eq!(
        ex.record(&hard_bounce("out_not_ours")).await,
        Outcome::Ignored("unknown_outbox_id")
    );
    let mut untagged = hard_bounce("x");
    untagged.outbox_id = None;
    assert_eq!(ex.record(&untagged).await, Outcome::Ignored("no_outbox_id"));
    assert_eq!(ex.view().await, before);
    assert!(ex.bounce_emails().await.is_empty());
}

#[tokio::test]
async fn outbox_items_from_before_this_change_still_parse_and_are_ignored() {
    let ex = Example::flow().await;
    let aisyah = ex.email_to("aisyah@example.my").await;
    let store = &ex.h.runtime.app.ports.store;
    let mut item = store
        .get(&layout::outbox(&aisyah.id))
        .await
        .expect("store")
        .expect("outbox item");
    let envelope: Envelope = serde_json::from_value(item.data.clone()).expect("envelope");
    let about = envelope.about.expect("a party email says whom it was for");
    assert_eq!(about.agreement_id, ex.id);
    assert_eq!(about.party_id.as_ref(), Some(&ex.parties[0]));

    item.data.as_object_mut().expect("object").remove("about");
    let old: Envelope = serde_json::from_value(item.data.clone()).expect("old envelope");
    assert!(old.about.is_none());
    let version = item.version;
    store
        .transact(vec![Write::Put {
            item,
            condition: Condition::Version(version),
        }])
        .await
        .expect("rewrite as before");
    assert_eq!(
        ex.record(&hard_bounce(&aisyah.id)).await,
        Outcome::Ignored("unknown_outbox_id")
    );
}

#[tokio::test]
async fn the_developer_is_not_emailed_at_an_address_that_bounced() {
    let ex = Example::flow().await;
    // The developer signatory's own address (the developer's too, as the
    // example names no other) gets a reminder, which bounces.
    let app = &ex.h.runtime.app;
    let loaded = repo::load(app.ports.store.as_ref(), &AgreementId(ex.id.clone()))
        .await
        .expect("load");
    let signatory = loaded.record.agreement.parties[2].clone();
    let reminder = notices::party_email(
        app,
        &loaded.record.agreement,
        &signatory,
        Template::Reminder,
    )
    .await
    .expect("email");
    let (outbox_id, message) = notices::with_id(reminder);
    let change = repo::Change {
        messages: vec![(outbox_id.clone(), message)],
        ..Default::default()
    };
    repo::commit(
        &app.ports,
        Some(loaded.version),
        loaded.record,
        change,
        ex.h.now(),
    )
    .await
    .expect("commit");

    assert_eq!(
        ex.record(&hard_bounce(&outbox_id)).await,
        Outcome::Recorded {
            developer_told: false
        }
    );
    assert_eq!(
        ex.view().await["parties"][2]["email_status"]["undeliverable"],
        true
    );
    assert!(ex.bounce_emails().await.is_empty());
}
