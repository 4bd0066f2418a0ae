//! `GET /v1/signer/document` and `POST /v1/signer/sign` (F4) through HTTP:
//! the turn, every refusal with its code, the first signature's serial and
//! QR, retries, 20 concurrent signs with one activation (and, forced, the twin interleaving
//! they only sometimes hit), and the whole example signed in order, checked by hims-pdf,
//! pyHanko and pdftotext.

#[path = "support/ceremony.rs"]
mod ceremony;
mod pyhanko;
mod support;

use std::process::Command;
use std::sync::{Arc, Mutex};

use base64::Engine;
use ceremony::{FIRST, SECOND, WITNESS};
use chrono::Duration;
use http::{Method, StatusCode};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use hims_esign::ports::{Index, Item, Key, Page, Query, Store, StoreError, Write};

use support::Harness;

#[tokio::test]
async fn the_document_is_served_only_in_the_partys_turn() {
    let h = Harness::new();
    let c = ceremony::start(&h).await;
    let document = |party: usize| h.signer(Method::GET, "/v1/signer/document", &c.tokens[party]);
    document(FIRST)
        .await
        .assert_error(StatusCode::CONFLICT, "certificate_required");
    document(SECOND)
        .await
        .assert_error(StatusCode::CONFLICT, "not_your_turn");
    document(WITNESS)
        .await
        .assert_error(StatusCode::CONFLICT, "not_your_turn");
    h.signer(Method::GET, "/v1/signer/document", "forged")
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "link_invalid");

    ceremony::certificate(&h, &c, FIRST).await;
    let (bytes, sha) = ceremony::document(&h, &c.tokens[FIRST]).await;
    assert!(bytes.starts_with(b"%PDF-"));
    assert_eq!(sha, hex::encode(Sha256::digest(&bytes)));
    h.signer(Method::GET, "/v1/signer/final", &c.tokens[FIRST])
        .await
        .assert_error(StatusCode::CONFLICT, "agreement_not_completed");

    ceremony::sign_as(&h, &c, FIRST).await;
    document(FIRST)
        .await
        .assert_error(StatusCode::CONFLICT, "already_done");
    h.advance(Duration::days(15));
    document(SECOND)
        .await
        .assert_error(StatusCode::GONE, "link_expired");
}

#[tokio::test]
async fn every_refusal_has_its_code() {
    let h = Harness::new();
    let c = ceremony::start(&h).await;
    ceremony::certificate(&h, &c, FIRST).await;
    let token = &c.tokens[FIRST];
    let (_, sha) = ceremony::document(&h, token).await;
    let activation = ceremony::activation(&h, &c, FIRST, &sha).await;
    let good = ceremony::sign_body(&activation, &sha);

    let mut body = good.clone();
    body["consent"] = json!(false);
    ceremony::sign(&h, token, &body)
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "consent_required");
    let b64 = base64::engine::general_purpose::STANDARD;
    for image in [
        "not base64!".to_owned(),
        b64.encode(b"GIF89a not a png"),
        // Over the image limit but inside the route's body limit.
        b64.encode(vec![0u8; hims_pdf::MAX_PNG_BYTES + 1]),
    ] {
        let mut body = good.clone();
        body["signature_png_base64"] = json!(image);
        ceremony::sign(&h, token, &body)
            .await
            .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "signature_image_invalid");
    }
    let mut body = good.clone();
    body["activation"] = json!("bm90LWEtcmVhbC1hY3RpdmF0aW9u");
    ceremony::sign(&h, token, &body)
        .await
        .assert_error(StatusCode::FORBIDDEN, "activation_invalid");
    // Another party's activation is no use here.
    let theirs = ceremony::activation(&h, &c, SECOND, &sha).await;
    ceremony::sign(&h, token, &ceremony::sign_body(&theirs, &sha))
        .await
        .assert_error(StatusCode::FORBIDDEN, "activation_invalid");
    // An activation for another document hash.
    let other = "0".repeat(64);
    let wrong = ceremony::activation(&h, &c, FIRST, &other).await;
    ceremony::sign(&h, token, &ceremony::sign_body(&wrong, &sha))
        .await
        .assert_error(StatusCode::CONFLICT, "activation_wrong_document");
    ceremony::sign(&h, token, &json!({"consent": true}))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "missing_field");
    // Expired.
    h.advance(Duration::minutes(6));
    ceremony::sign(&h, token, &good)
        .await
        .assert_error(StatusCode::GONE, "activation_expired");
    // Nothing was signed by any of that.
    let trust = ceremony::trust(&h).await;
    let report = hims_pdf::verify(&ceremony::current_pdf(&h, &c).await, &trust).expect("verify");
    assert!(report.signatures.is_empty());
}

#[tokio::test]
async fn a_stale_document_hash_is_refused() {
    let h = Harness::new();
    let c = ceremony::start(&h).await;
    ceremony::certificate(&h, &c, FIRST).await;
    let (_, first_sha) = ceremony::document(&h, &c.tokens[FIRST]).await;
    // The second signer authorised over revision 1, before the first signature.
    let stale = ceremony::activation(&h, &c, SECOND, &first_sha).await;
    ceremony::sign_as(&h, &c, FIRST).await;
    ceremony::certificate(&h, &c, SECOND).await;
    ceremony::sign(
        &h,
        &c.tokens[SECOND],
        &ceremony::sign_body(&stale, &first_sha),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "document_changed");
}

#[tokio::test]
async fn the_first_signature_fixes_the_serial_and_a_retry_returns_the_same_revision() {
    let h = Harness::new();
    let c = ceremony::start(&h).await;
    ceremony::certificate(&h, &c, FIRST).await;
    let token = &c.tokens[FIRST];
    let (_, sha) = ceremony::document(&h, token).await;
    let activation = ceremony::activation(&h, &c, FIRST, &sha).await;
    let body = ceremony::sign_body(&activation, &sha);
    let first = ceremony::sign(&h, token, &body).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    assert_eq!(first.json["serial"], "HIMS-20165-9-B-10-02-000001");
    assert_eq!(first.json["revision"], 3, "r2 serial, r3 signature");
    assert_eq!(
        first.json["message_ms"],
        "Pengesahan & tandatangan eSPA berjaya"
    );

    let again = ceremony::sign(&h, token, &body).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text());
    assert_eq!(again.json["revision"], first.json["revision"]);
    assert_eq!(again.json["document_sha256"], first.json["document_sha256"]);
    let view = h
        .portal(
            Method::GET,
            &format!("/v1/agreements/{}", c.agreement),
            None,
        )
        .await;
    let reasons: Vec<&str> = view.json["revisions"]
        .as_array()
        .expect("revisions")
        .iter()
        .filter_map(|r| r["reason"].as_str())
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert_eq!(reasons[1], "serial");

    let pdf = ceremony::current_pdf(&h, &c).await;
    assert_eq!(
        hex::encode(Sha256::digest(&pdf)),
        first.json["document_sha256"]
    );
    let report = hims_pdf::verify(&pdf, &ceremony::trust(&h).await).expect("verify");
    assert_eq!(report.signatures.len(), 1);
    assert!(report.all_valid(), "{report:#?}");
    assert!(pdftotext(&pdf).contains("HIMS-20165-9-B-10-02-000001"));

    // A second agreement of the same project takes the next number.
    let d = ceremony::start(&h).await;
    ceremony::certificate(&h, &d, FIRST).await;
    let second = ceremony::sign_as(&h, &d, FIRST).await;
    assert_eq!(second.json["serial"], "HIMS-20165-9-B-10-02-000002");
}

/// An agreement whose first signer holds a certificate and an activation: its link token
/// and the body of its sign request.
async fn first_signer_ready(h: &Harness) -> (ceremony::Ceremony, String, serde_json::Value) {
    let c = ceremony::start(h).await;
    ceremony::certificate(h, &c, FIRST).await;
    let token = c.tokens[FIRST].clone();
    let (_, sha) = ceremony::document(h, &token).await;
    let activation = ceremony::activation(h, &c, FIRST, &sha).await;
    let body = ceremony::sign_body(&activation, &sha);
    (c, token, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_signs_with_one_activation_sign_once() {
    let h = Arc::new(Harness::new());
    let (c, token, body) = first_signer_ready(&h).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (h, token, body) = (h.clone(), token.clone(), body.clone());
        tasks.spawn(async move { ceremony::sign(&h, &token, &body).await });
    }
    let replies = tasks.join_all().await;
    let ok: Vec<_> = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .collect();
    assert_eq!(
        ok.len(),
        20,
        "{:?}",
        replies.iter().map(|r| r.text()).collect::<Vec<_>>()
    );
    assert!(
        ok.iter()
            .all(|r| r.json["revision"] == ok[0].json["revision"])
    );

    let pdf = ceremony::current_pdf(&h, &c).await;
    let report = hims_pdf::verify(&pdf, &ceremony::trust(&h).await).expect("verify");
    assert_eq!(report.signatures.len(), 1, "{report:#?}");
    assert!(report.all_valid());
}

/// A store that stops once, right after its first read of an activation, until the test
/// lets it go on: the moment a twin request can commit in between.
struct PauseAfterActivationRead {
    inner: Arc<dyn Store>,
    pause: Mutex<Option<(oneshot::Sender<()>, oneshot::Receiver<()>)>>,
}

#[async_trait::async_trait]
impl Store for PauseAfterActivationRead {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let item = self.inner.get(key).await;
        if key.pk.starts_with("ACT#") {
            let pause = self.pause.lock().expect("pause").take();
            if let Some((reached, go)) = pause {
                reached.send(()).expect("the test waits");
                go.await.expect("the test lets it go on");
            }
        }
        item
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.inner.query(query).await
    }
    async fn query_index(&self, index: Index, query: &Query) -> Result<Page, StoreError> {
        self.inner.query_index(index, query).await
    }
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.inner.transact(writes).await
    }
    fn items_read(&self) -> u64 {
        self.inner.items_read()
    }
}

/// The interleaving the twenty concurrent signs above only sometimes hit: a twin request
/// with the same activation commits just after this one read the activation. Both must get
/// the one signature. (When the activation was read before the agreement, this one then
/// saw a moved-on agreement and answered `document_changed`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_twin_committing_between_the_reads_gets_the_same_answer() {
    let mut h = Harness::new();
    let (c, token, body) = first_signer_ready(&h).await;
    let (reached_tx, reached) = oneshot::channel();
    let (go, go_rx) = oneshot::channel();
    h.wrap_store(|inner| {
        Arc::new(PauseAfterActivationRead {
            inner,
            pause: Mutex::new(Some((reached_tx, go_rx))),
        })
    });
    let h = Arc::new(h);

    let mut first = tokio::spawn({
        let (h, token, body) = (h.clone(), token.clone(), body.clone());
        async move { ceremony::sign(&h, &token, &body).await }
    });
    tokio::select! {
        reached = reached => reached.expect("the pause"),
        ended = &mut first => panic!(
            "the first request ended without reading an activation: {:?}",
            ended.map(|reply| reply.text())
        ),
    }
    let twin = ceremony::sign(&h, &token, &body).await;
    assert_eq!(twin.status, StatusCode::OK, "{}", twin.text());
    go.send(()).expect("the first request waits");
    let first = first.await.expect("first request");
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    for key in ["revision", "document_sha256", "serial"] {
        assert_eq!(first.json[key], twin.json[key], "{key}");
    }
    let pdf = ceremony::current_pdf(&h, &c).await;
    let report = hims_pdf::verify(&pdf, &ceremony::trust(&h).await).expect("verify");
    assert_eq!(report.signatures.len(), 1, "{report:#?}");
    assert!(report.all_valid());
}

fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).expect("write");
    let out = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn the_whole_example_ends_signed_by_everyone_and_pyhanko_agrees() {
    let h = Harness::new();
    let c = ceremony::start(&h).await;
    ceremony::complete(&h, &c).await;

    let view = h
        .portal(
            Method::GET,
            &format!("/v1/agreements/{}", c.agreement),
            None,
        )
        .await;
    assert_eq!(view.json["state"], "completed");
    let pdf = ceremony::current_pdf(&h, &c).await;
    let trust = ceremony::trust(&h).await;
    let report = hims_pdf::verify(&pdf, &trust).expect("verify");
    assert_eq!(report.signatures.len(), 3, "one per signing party");
    for s in &report.signatures {
        assert!(s.intact && s.trusted && !s.revoked, "{s:#?}");
    }
    assert!(report.all_valid());

    // Every party may download the final PDF with its link.
    let fin = h
        .signer(Method::GET, "/v1/signer/final", &c.tokens[SECOND])
        .await;
    assert_eq!(fin.status, StatusCode::OK);
    assert_eq!(fin.bytes, pdf);

    // Everyone hears it is complete.
    let emails = h.emails().await;
    let done: Vec<_> = emails
        .iter()
        .filter(|e| e.subject == "eSPA Telah Lengkap Ditandatangani")
        .collect();
    let subjects: Vec<_> = emails.iter().map(|e| &e.subject).collect();
    assert_eq!(done.len(), 4, "each party once: {subjects:?}");
    // The keyed link (issue 13): the details are for those who hold it.
    let keys = h.runtime.app.ports.keys.as_ref();
    let k = hims_esign::app::verify::link_key(keys, "HIMS-20165-9-B-10-02-000001")
        .await
        .expect("key");
    let link = format!("/verify/HIMS-20165-9-B-10-02-000001?k={k}");
    assert!(done.iter().all(|e| e.text.contains(&link)));

    // The certificate of completion is signed by the system and trusted.
    let cert = h
        .portal(
            Method::GET,
            &format!("/v1/agreements/{}/completion-certificate", c.agreement),
            None,
        )
        .await;
    assert_eq!(cert.status, StatusCode::OK, "{}", cert.text());
    let cert_report = hims_pdf::verify(&cert.bytes, &trust).expect("verify");
    assert_eq!(cert_report.signatures.len(), 1);
    assert_eq!(
        cert_report.signatures[0].signer_cn.as_deref(),
        Some("HIMS eSPA Sistem")
    );
    assert!(cert_report.all_valid(), "{cert_report:#?}");
    let text = pdftotext(&cert.bytes);
    assert!(text.contains("SIJIL PENYEMPURNAAN"), "{text}");
    let final_sha = hex::encode(Sha256::digest(&pdf));
    assert!(text.contains(&final_sha), "final hash listed");
    // …and linked from the agreement.
    let view = h
        .portal(
            Method::GET,
            &format!("/v1/agreements/{}", c.agreement),
            None,
        )
        .await;
    let linked = &view.json["completion_certificate"];
    assert_eq!(
        linked["sha256"].as_str(),
        Some(hex::encode(Sha256::digest(&cert.bytes)).as_str()),
        "{linked}"
    );
    assert_eq!(
        linked["url"].as_str(),
        Some(format!("/v1/agreements/{}/completion-certificate", c.agreement).as_str())
    );
    assert!(text.contains("TOTP"));

    // pyHanko, trusting only our CA, accepts every signature.
    assert_eq!(pyhanko_valid(&h, &pdf).await, 3);
}

/// B-LTA, checked by pyHanko offline from the embedded data alone and 15 years
/// ahead, for the agreement and its certificate of completion. pyHanko judges
/// at the machine's time, so this harness's fixed clock starts there.
#[tokio::test]
async fn the_example_ends_b_lta_and_pyhanko_validates_it_offline() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::open_in(dir, chrono::Utc::now(), 7, None, |_| {});
    let c = ceremony::start_with(&h, &hims_esign::example::create_request(h.now())).await;
    ceremony::complete(&h, &c).await;
    let pdf = ceremony::current_pdf(&h, &c).await;
    let cert = h
        .portal(
            Method::GET,
            &format!("/v1/agreements/{}/completion-certificate", c.agreement),
            None,
        )
        .await;
    let ca = ca_pem(&h).await;
    assert_eq!(pyhanko::offline_lta(&ca, &pdf), (3, 1));
    assert_eq!(pyhanko::offline_lta(&ca, &cert.bytes), (1, 1));
    let report = hims_pdf::verify(&pdf, &ceremony::trust(&h).await).unwrap();
    assert!(
        report
            .signatures
            .iter()
            .all(|s| s.long_term.level == hims_pdf::PadesLevel::BLTA),
        "{report:#?}"
    );
}

/// The same offline B-LTA check for an agreement on the portal's own PDF.
#[tokio::test]
async fn a_portal_pdf_ends_b_lta_and_pyhanko_validates_it_offline() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::open_in(dir, chrono::Utc::now(), 7, None, |_| {});
    let mut request = hims_esign::example::create_request(h.now());
    request["document"] = serde_json::json!({
        "pdf_base64": base64::engine::general_purpose::STANDARD.encode(portal_pdf_with_object_streams())
    });
    let c = ceremony::start_with(&h, &request).await;
    ceremony::complete(&h, &c).await;
    let pdf = ceremony::current_pdf(&h, &c).await;
    assert_eq!(pyhanko::offline_lta(&ca_pem(&h).await, &pdf), (3, 1));
}

/// The CA certificate this service publishes (PEM), the only thing the validators trust.
async fn ca_pem(h: &Harness) -> Vec<u8> {
    h.call(Method::GET, "/ca.pem", &[], axum::body::Body::empty())
        .await
        .bytes
}

/// How many signatures pyHanko judges VALID, trusting only the CA this service publishes.
async fn pyhanko_valid(h: &Harness, pdf: &[u8]) -> usize {
    pyhanko::valid_signatures(&ca_pem(h).await, pdf)
}

/// A portal PDF saved with object streams and an xref stream, 3 pages.
fn portal_pdf_with_object_streams() -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(
        dictionary! {"Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica"},
    );
    let kids: Vec<Object> = (1..=3)
        .map(|n| {
            let text = format!("BT /F1 14 Tf 72 760 Td (Perjanjian portal, muka surat {n}) Tj ET");
            let content = doc.add_object(Stream::new(dictionary! {}, text.into_bytes()));
            doc.add_object(dictionary! {
                "Type" => "Page", "Parent" => pages_id, "Contents" => content,
                "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
                "Resources" => dictionary! {"Font" => dictionary! {"F1" => font}},
            })
            .into()
        })
        .collect();
    doc.objects.insert(
        pages_id,
        dictionary! {"Type" => "Pages", "Count" => 3, "Kids" => kids}.into(),
    );
    let catalog = doc.add_object(dictionary! {"Type" => "Catalog", "Pages" => pages_id});
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_modern(&mut out).expect("save with object streams");
    assert!(
        String::from_utf8_lossy(&out).contains("/ObjStm"),
        "uses object streams"
    );
    out
}

#[tokio::test]
async fn a_portal_pdf_with_object_streams_ends_signed_and_pyhanko_agrees() {
    let h = Harness::new();
    let mut request = support::example_request(h.now());
    request["document"] = serde_json::json!({
        "pdf_base64": base64::engine::general_purpose::STANDARD.encode(portal_pdf_with_object_streams())
    });
    let c = ceremony::start_with(&h, &request).await;
    ceremony::complete(&h, &c).await;
    let pdf = ceremony::current_pdf(&h, &c).await;
    let report = hims_pdf::verify(&pdf, &ceremony::trust(&h).await).expect("verify");
    assert_eq!(report.signatures.len(), 3);
    assert!(report.all_valid(), "{report:#?}");
    let text = pdftotext(&pdf);
    assert!(
        text.contains("Perjanjian portal, muka surat 3"),
        "the portal's pages are kept"
    );
    assert!(
        text.contains("HIMS-20165-9-B-10-02-000001"),
        "the full serial"
    );
    assert_eq!(pyhanko_valid(&h, &pdf).await, 3);
}

/// The text view comes with revision 1 from the blocks its pages were drawn
/// from; it is served in the turn only. A typed signature is recorded as such.
#[tokio::test]
async fn the_text_view_is_served_in_the_turn_and_a_typed_signature_is_audited() {
    let h = Harness::new();
    let c = ceremony::start(&h).await;
    let text = |party: usize| h.signer(Method::GET, "/v1/signer/document/text", &c.tokens[party]);
    text(FIRST)
        .await
        .assert_error(StatusCode::CONFLICT, "certificate_required");
    ceremony::certificate(&h, &c, FIRST).await;
    let view = text(FIRST).await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.text());
    assert_eq!(view.json["lang"], "ms-MY");
    let blocks = view.json["blocks"].as_array().expect("blocks");
    assert_eq!(blocks[0]["type"], "title");
    assert!(blocks.iter().any(|b| b["type"] == "clause"));
    let words: String = blocks.iter().map(|b| b.to_string()).collect();
    let (pdf, sha) = ceremony::document(&h, &c.tokens[FIRST]).await;
    let pages = pdftotext(&pdf);
    for needle in [
        "Nur Aisyah binti Abdullah",
        "RM 650,000.00",
        "PARKLAND AVENUE SDN. BHD.",
    ] {
        assert!(words.contains(needle) && pages.contains(needle), "{needle}");
    }

    let activation = ceremony::activation(&h, &c, FIRST, &sha).await;
    let mut body = ceremony::sign_body(&activation, &sha);
    body["signature_kind"] = json!("typed");
    let signed = ceremony::sign(&h, &c.tokens[FIRST], &body).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.text());
    let trail = h
        .portal(
            Method::GET,
            &format!("/v1/agreements/{}/audit", c.agreement),
            None,
        )
        .await;
    assert!(
        trail.text().contains(r#""signature_kind":"typed""#),
        "{}",
        trail.text()
    );
    text(FIRST)
        .await
        .assert_error(StatusCode::CONFLICT, "already_done");
    let mut unknown = ceremony::sign_body("x", &sha);
    unknown["signature_kind"] = json!("stamped");
    let refused = ceremony::sign(&h, &c.tokens[SECOND], &unknown).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text()
    );
}

/// No signature without its timestamp: when the TSA key fails, the request is
/// a retryable 503 `timestamp_unavailable`, nothing is stored, and the same
/// request then succeeds with a B-T signature.
#[tokio::test]
async fn without_a_timestamp_nothing_is_signed_and_a_retry_succeeds() {
    use hims_esign::adapters::faulty::{Fault, FaultPlan};
    let plan = FaultPlan::new();
    let dir = tempfile::tempdir().unwrap();
    let at = chrono::DateTime::parse_from_rfc3339(support::START)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let h = Harness::open_in(dir, at, 7, Some(plan.clone()), |_| {});
    let c = ceremony::start(&h).await;
    ceremony::certificate(&h, &c, FIRST).await;
    let (_, sha) = ceremony::document(&h, &c.tokens[FIRST]).await;
    let activation = ceremony::activation(&h, &c, FIRST, &sha).await;
    let body = ceremony::sign_body(&activation, &sha);

    plan.arm(Some(
        "fail-before:keys.tsa_sign:1".parse::<Fault>().unwrap(),
    ));
    let refused = ceremony::sign(&h, &c.tokens[FIRST], &body).await;
    plan.disarm();
    refused.assert_error(StatusCode::SERVICE_UNAVAILABLE, "timestamp_unavailable");
    let (_, still) = ceremony::document(&h, &c.tokens[FIRST]).await;
    assert_eq!(still, sha, "no revision was stored");

    let signed = ceremony::sign(&h, &c.tokens[FIRST], &body).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.text());
    let pdf = ceremony::current_pdf(&h, &c).await;
    let report = hims_pdf::verify(&pdf, &ceremony::trust(&h).await).unwrap();
    let signature = report.signatures.last().unwrap();
    assert!(signature.intact && signature.trusted, "{signature:?}");
    assert_eq!(signature.long_term.level, hims_pdf::PadesLevel::BLT);
    assert!(signature.long_term.validates_offline, "{signature:?}");
}
