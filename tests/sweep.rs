//! The expiry sweep: reminders before deadlines, expiry after, idempotent,
//! and reading only what is due.

#[path = "support/ceremony.rs"]
mod ceremony;
mod support;

use chrono::Duration;
use hims_esign::app::{archive, repo, sweep};
use hims_esign::domain::AgreementId;
use support::{Harness, party_ids};

#[tokio::test]
async fn reminds_once_then_expires_once_and_tells_the_developer() {
    let h = Harness::new();
    // The library's example: the first purchaser's deadline is in 7 days, the developer's address is given.
    let created = h
        .create(&hims_esign::example::create_request(h.now()), None)
        .await
        .json;
    let id = created["id"].as_str().unwrap().to_owned();
    let parties = party_ids(&created);
    h.ekyc(&id, &parties[0], "approved").await;
    h.deliver().await;
    let before = h.emails().await.len();

    // 23 hours before the first purchaser's 7-day deadline: the 24 h reminder is due.
    h.advance(Duration::days(7) - Duration::hours(23));
    let report = sweep::run(&h.runtime.app, h.now()).await.unwrap();
    assert_eq!(
        (report.reminders, report.parties_expired),
        (1, 0),
        "{report:?}"
    );
    h.deliver().await;
    let emails = h.emails().await;
    assert_eq!(emails.len(), before + 1);
    let newest = emails.last().unwrap();
    assert_eq!(newest.to, "aisyah@example.my");
    assert!(newest.subject.contains("Peringatan"), "{}", newest.subject);

    let again = sweep::run(&h.runtime.app, h.now()).await.unwrap();
    assert_eq!(
        (again.reminders, again.parties_expired),
        (0, 0),
        "a second run sends nothing"
    );

    // Past the deadline: the party and the agreement expire; parties and developer hear of it.
    h.advance(Duration::hours(24));
    let report = sweep::run(&h.runtime.app, h.now()).await.unwrap();
    assert_eq!(
        (report.parties_expired, report.agreements_expired),
        (1, 1),
        "{report:?}"
    );
    h.deliver().await;
    let emails = h.emails().await;
    let expiry: Vec<_> = emails
        .iter()
        .filter(|e| e.subject.contains("Tamat"))
        .map(|e| e.to.as_str())
        .collect();
    assert!(
        expiry.contains(&"aisyah@example.my") && expiry.contains(&"legal@parkland.example"),
        "{expiry:?}"
    );
    let view = h
        .portal(
            axum::http::Method::GET,
            &format!("/v1/agreements/{id}"),
            None,
        )
        .await;
    assert_eq!(view.json["state"], "expired");

    let sent = emails.len();
    let again = sweep::run(&h.runtime.app, h.now() + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(
        again,
        sweep::SweepReport {
            crl_current: true,
            tsa_certificate_current: true,
            ..Default::default()
        },
        "nothing is due any more"
    );
    h.deliver().await;
    assert_eq!(h.emails().await.len(), sent, "no email twice");
}

/// Writes `total` agreements straight into the store, `due` of them with a
/// deadline that has passed by `now + 30 days`; returns that time.
async fn fill(h: &Harness, total: usize, due: usize) -> chrono::DateTime<chrono::Utc> {
    hims_esign::testing::fill_agreements(h.runtime.app.ports.store.as_ref(), h.now(), total, due)
        .await
        .unwrap()
}

#[tokio::test]
async fn reads_grow_with_what_is_due_not_with_the_table() {
    let mut reads = vec![];
    for total in [1_000, 10_000] {
        let h = Harness::new();
        let at = fill(&h, total, 10).await;
        let store = &h.runtime.app.ports.store;
        let before = store.items_read();
        let report = sweep::run(&h.runtime.app, at).await.unwrap();
        assert_eq!(
            (report.due, report.agreements_expired),
            (10, 10),
            "{report:?}"
        );
        reads.push(store.items_read() - before);
    }
    assert!(
        reads[1] <= 30,
        "10 due agreements among 10,000 cost {} item reads",
        reads[1]
    );
    assert_eq!(
        reads[0], reads[1],
        "reads with 1,000 vs 10,000 agreements: {reads:?}"
    );
}

/// The sweep keeps the CRL current without anyone fetching it: after it runs,
/// the stored CRL is at most `CRL_RESIGN_AFTER` old, its nextUpdate at most
/// 7 days on, and the TSA certificate is there for the functions that stamp.
#[tokio::test]
async fn the_sweep_reissues_the_crl_and_keeps_the_tsa_certificate() {
    let h = Harness::new();
    let app = &h.runtime.app;
    let stored_crl = || async {
        let crl = hims_esign::app::ca::current_crl_if_stored(app)
            .await
            .unwrap()
            .expect("a stored CRL");
        let crl = hims_pki::crl_from_der(&crl).unwrap();
        hims_pki::crl_validity(&crl).unwrap()
    };
    let report = sweep::run(app, h.now()).await.unwrap();
    assert!(
        report.crl_current && report.tsa_certificate_current,
        "{report:?}"
    );
    let (this_update, next_update) = stored_crl().await;
    assert_eq!(this_update, h.now());
    assert!(next_update.unwrap() - this_update <= Duration::days(7));

    // Within the re-sign period the same CRL stays; past it the sweep re-signs.
    h.advance(Duration::hours(1));
    sweep::run(app, h.now()).await.unwrap();
    assert_eq!(stored_crl().await.0, this_update);
    h.advance(hims_esign::app::ca::CRL_RESIGN_AFTER);
    sweep::run(app, h.now()).await.unwrap();
    assert_eq!(stored_crl().await.0, h.now());

    // The TSA certificate is renewed once less than a year of it is left.
    let tsa = || async {
        let certificate = hims_esign::app::tsa::tsa_certificate(&app.ports, "https://hims.test")
            .await
            .unwrap();
        hims_pki::CertificateInfo::of(&certificate).unwrap()
    };
    let first = tsa().await;
    h.advance(
        hims_esign::app::tsa::TSA_CERT_VALIDITY - hims_esign::app::tsa::TSA_CERT_RENEW_BEFORE,
    );
    sweep::run(app, h.now()).await.unwrap();
    let renewed = tsa().await;
    assert_ne!(renewed.serial_hex, first.serial_hex);
    assert_eq!(renewed.public_key_der, first.public_key_der);
    assert!(renewed.not_after > first.not_after);
}

/// The archive step: before the newest document timestamp's TSA certificate
/// ends, the sweep appends a DSS and a new document timestamp from a renewed
/// TSA certificate, so the agreement stays provable after the first one ends;
/// once, and not before it is due.
#[tokio::test]
async fn the_archive_step_stamps_a_completed_agreement_again_before_its_tsa_certificate_ends() {
    let h = Harness::new();
    let app = &h.runtime.app;
    let c = ceremony::start(&h).await;
    ceremony::complete(&h, &c).await;
    let id = AgreementId(c.agreement.clone());
    let record = || async {
        repo::load(app.ports.store.as_ref(), &id)
            .await
            .unwrap()
            .record
    };
    let sealed = record().await;
    let due = sealed.archive_due.expect("sealed at completion");
    let first_tsa_end = due + archive::ARCHIVE_MARGIN;
    assert!(due - h.now() > Duration::days(365), "{due}");
    let before = ceremony::current_pdf(&h, &c).await;

    let early = sweep::run(app, h.now()).await.unwrap();
    assert_eq!(early.archive_timestamps, 0, "{early:?}");
    assert_eq!(record().await.revisions.len(), sealed.revisions.len());

    h.advance(due - h.now());
    let report = sweep::run(app, h.now()).await.unwrap();
    assert_eq!(report.archive_timestamps, 1, "{report:?}");
    let archived = record().await;
    assert_eq!(archived.revisions.len(), sealed.revisions.len() + 1);
    assert_eq!(
        archived.current_revision().unwrap().reason,
        "archive_timestamp"
    );
    assert!(
        archived.archive_due.unwrap() > first_tsa_end,
        "{archived:?}"
    );
    let again = sweep::run(app, h.now()).await.unwrap();
    assert_eq!(again.archive_timestamps, 0, "{again:?}");

    // A month after the first TSA certificate ended only the archived copy is provable.
    let trust = ceremony::trust(&h).await;
    let later = hims_pdf::VerifyOptions {
        as_of: Some(first_tsa_end + Duration::days(30)),
    };
    let after = ceremony::current_pdf(&h, &c).await;
    let report = hims_pdf::verify_with(&after, &trust, &later).unwrap();
    assert_eq!(report.document_timestamps.len(), 2, "{report:#?}");
    assert!(report.all_valid(), "{report:#?}");
    assert!(
        report
            .signatures
            .iter()
            .all(|s| s.long_term.valid_as_of == Some(true)),
        "{report:#?}"
    );
    let old = hims_pdf::verify_with(&before, &trust, &later).unwrap();
    assert!(
        old.signatures
            .iter()
            .all(|s| s.long_term.valid_as_of == Some(false)),
        "{old:#?}"
    );
}
