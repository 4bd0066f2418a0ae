//! Faults between every pair of writes on the sign path, through the ports
//! (`hims_esign::adapters::faulty`): authorize, the first signature (serial
//! revision, signed revision, one commit), the last party's action (the
//! certificate of completion) and outbox delivery (emails and portal
//! webhooks). Every port call of each request fails in turn, before its
//! write and after it; once the client retried and the sweep and outbox ran,
//! the agreement must end exactly as in a run without faults: states, each
//! signature once in the PDF and the audit, every email and event once.

#[path = "support/ceremony.rs"]
mod ceremony;
#[path = "support/faults.rs"]
mod faults;
mod support;

use chrono::Duration;
use http::StatusCode;
use serde_json::json;

use ceremony::{DEVELOPER, FIRST, SECOND, WITNESS};
use faults::{Figures, Snapshot};
use hims_esign::app::certificates::{self, PIN_FAILURES_COUNTER};
use hims_esign::app::outbox;
use hims_esign::domain::{AgreementId, PartyId};
use support::{Harness, Reply};

/// The example with every eKYC approved and its emails delivered.
async fn started() -> (Harness, ceremony::Ceremony) {
    let h = faults::base_harness();
    let c = ceremony::start(&h).await;
    faults::settle(&h).await;
    (h, c)
}

fn report(step: &str, figures: &Figures) {
    println!(
        "{step}: {} port calls, {} fault scenarios consistent; {} handed an email or event over twice\n  calls: {}",
        figures.calls.len(),
        figures.scenarios,
        figures.handed_twice,
        figures.calls.join(" ")
    );
}

/// What the signer's page does on a 503: wait a little and send the same request again.
async fn again_on_503(h: &Harness, reply: Reply, send: impl AsyncFn() -> Reply) -> Reply {
    if reply.status != StatusCode::SERVICE_UNAVAILABLE {
        return reply;
    }
    h.advance(Duration::seconds(10));
    send().await
}

#[tokio::test]
async fn the_first_signature_survives_a_fault_at_every_port_call() {
    let (h, c) = started().await;
    ceremony::certificate(&h, &c, FIRST).await;
    let (_, sha) = ceremony::document(&h, &c.tokens[FIRST]).await;
    let activation = ceremony::activation(&h, &c, FIRST, &sha).await;
    faults::settle(&h).await;
    let body = ceremony::sign_body(&activation, &sha);
    let token = c.tokens[FIRST].clone();
    let base = Snapshot::take(h);

    let sign = async |h: &Harness| ceremony::sign(h, &token, &body).await;
    let figures = faults::enumerate(&base, &c.agreement, sign, async |h, reply| {
        let reply = again_on_503(h, reply, async || sign(h).await).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert_eq!(reply.json["revision"], 3, "r2 serial, r3 signature");
    })
    .await;
    report("sign (first signature)", &figures);
}

#[tokio::test]
async fn authorizing_survives_a_fault_at_every_port_call() {
    let (h, c) = started().await;
    let certificate = ceremony::certificate(&h, &c, FIRST).await;
    let uri = certificate["totp"]["uri"].as_str().expect("uri").to_owned();
    let (_, sha) = ceremony::document(&h, &c.tokens[FIRST]).await;
    faults::settle(&h).await;
    let token = c.tokens[FIRST].clone();
    let base = Snapshot::take(h);

    let authorize = async |h: &Harness| {
        let body = json!({
            "document_sha256": sha,
            "pin": ceremony::PIN,
            "totp": ceremony::totp_code(&uri, h.now()),
        });
        ceremony::post_json(h, "/v1/signer/authorize", &token, &body).await
    };
    let figures = faults::enumerate(&base, &c.agreement, authorize, async |h, reply| {
        // The code of the failed try may be spent: the next one is 30 s away.
        let mut reply = reply;
        if reply.status == StatusCode::SERVICE_UNAVAILABLE {
            h.advance(Duration::seconds(30));
            reply = authorize(h).await;
        }
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        let (secrets, item) = certificates::load_secrets(
            h.runtime.app.ports.store.as_ref(),
            &AgreementId(c.agreement.clone()),
            &PartyId(c.parties[FIRST].clone()),
        )
        .await
        .expect("secrets")
        .expect("a certificate");
        drop(secrets);
        assert_eq!(
            item.counter(PIN_FAILURES_COUNTER),
            0,
            "the right PIN clears"
        );
        let activation = reply.json["activation"].as_str().expect("activation");
        let signed = ceremony::sign(h, &token, &ceremony::sign_body(activation, &sha)).await;
        assert_eq!(signed.status, StatusCode::OK, "{}", signed.text());
    })
    .await;
    report("authorize", &figures);
}

#[tokio::test]
async fn the_last_partys_action_and_the_certificate_of_completion_survive_every_fault() {
    let (h, c) = started().await;
    for party in [FIRST, SECOND, DEVELOPER] {
        ceremony::certificate(&h, &c, party).await;
        ceremony::sign_as(&h, &c, party).await;
    }
    faults::settle(&h).await;
    let token = c.tokens[WITNESS].clone();
    let base = Snapshot::take(h);

    let confirm = json!({"action": "confirm"});
    let review =
        async |h: &Harness| ceremony::post_json(h, "/v1/signer/review", &token, &confirm).await;
    let figures = faults::enumerate(&base, &c.agreement, review, async |h, reply| {
        let reply = again_on_503(h, reply, async || review(h).await).await;
        // The first try's commit may have landed before its failure: the
        // agreement is then complete, and the retry is told it is closed.
        let done = reply.status == StatusCode::OK
            || (reply.status == StatusCode::CONFLICT && reply.code() == "agreement_closed");
        assert!(done, "{}", reply.text());
    })
    .await;
    report("review (completes; certificate of completion)", &figures);
}

#[tokio::test]
async fn delivering_the_outbox_survives_a_fault_at_every_port_call() {
    let (h, c) = started().await;
    ceremony::certificate(&h, &c, FIRST).await;
    faults::settle(&h).await;
    // The signature's emails and portal events, still to deliver.
    ceremony::sign_as(&h, &c, FIRST).await;
    let base = Snapshot::take(h);

    let deliver = async |h: &Harness| {
        let app = &h.runtime.app;
        outbox::deliver_due(&app.ports, &app.settings, app.webhooks.as_ref(), h.now()).await
    };
    let figures = faults::enumerate(&base, &c.agreement, deliver, async |_, _| {}).await;
    assert!(
        figures.handed_twice > 0,
        "a send that failed after handing over is retried"
    );
    report("outbox delivery", &figures);
}
