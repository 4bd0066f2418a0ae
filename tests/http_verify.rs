//! `GET /verify/{serial}` through HTTP: JSON and escaped HTML, masked names,
//! validity by hims-pdf, the state after cancel, and 404 for anything unknown.

#[path = "support/ceremony.rs"]
mod ceremony;
mod support;

use ceremony::FIRST;
use http::{Method, StatusCode};

use support::Harness;

const SERIAL: &str = "HIMS-20165-9-B-10-02-000001";

async fn get(h: &Harness, path: &str, json: bool) -> support::Reply {
    let headers: &[(&str, &str)] = if json {
        &[("accept", "application/json")]
    } else {
        &[("accept", "text/html")]
    };
    h.call(Method::GET, path, headers, axum::body::Body::empty())
        .await
}

#[tokio::test]
async fn a_signed_serial_reports_each_signature() {
    let h = Harness::new();
    let c = ceremony::start(&h).await;
    ceremony::certificate(&h, &c, FIRST).await;
    let signed = ceremony::sign_as(&h, &c, FIRST).await;

    let reply = get(&h, &format!("/verify/{SERIAL}"), true).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let r = &reply.json;
    assert_eq!(r["serial"], SERIAL);
    assert_eq!(r["unit"], "B-10-02");
    assert_eq!(r["document_sha256"], signed.json["document_sha256"]);
    let sigs = r["signatures"].as_array().expect("signatures");
    assert_eq!(sigs.len(), 1);
    assert_eq!(sigs[0]["valid"], true);
    assert_eq!(sigs[0]["role"], "Pembeli");
    let signer = sigs[0]["signer"].as_str().expect("signer");
    assert!(
        !signer.contains("Aisyah") && signer.starts_with('N'),
        "{signer}"
    );
    assert_eq!(r["all_valid"], true);

    let page = get(&h, &format!("/verify/{SERIAL}"), false).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("Semakan eSPA") && html.contains("eSPA verification"));
    assert!(html.contains(SERIAL) && html.contains("Sah / Valid"));
    assert!(html.contains("PARKLAND AVENUE SDN. BHD."));
    assert!(!html.contains("Aisyah"));

    // A cancelled agreement says so; a signature made before stays what it was.
    let cancel = h
        .portal(
            Method::POST,
            &format!("/v1/agreements/{}/cancel", c.agreement),
            None,
        )
        .await;
    assert_eq!(cancel.status, StatusCode::OK, "{}", cancel.text());
    let after = get(&h, &format!("/verify/{SERIAL}"), true).await;
    assert_eq!(after.json["state"], "cancelled");
    assert_eq!(after.json["signatures"][0]["intact"], true);
}

#[tokio::test]
async fn unknown_serials_are_not_found() {
    let h = Harness::new();
    let c = ceremony::start(&h).await;
    // Provisional serials are not published before the first signature.
    let provisional = "HIMS-20165-9-B-10-02-______";
    for serial in [SERIAL, provisional, "<script>", &"A".repeat(100)] {
        let path = format!("/verify/{}", serial.replace('<', "%3C").replace('>', "%3E"));
        for json in [true, false] {
            let reply = get(&h, &path, json).await;
            reply.assert_error(StatusCode::NOT_FOUND, "serial_not_found");
            assert!(!reply.text().contains(&c.agreement), "nothing else");
        }
    }
}
