//! IC numbers never leave in the clear: every answer passing through the
//! harness is scanned (see `support::Harness::call`); this tour makes sure
//! every read route and the likely leaks (errors quoting bad values, emails,
//! the outbox view) are visited, and that the masked form shows where intended.

mod support;

use axum::body::Body;
use http::{Method, StatusCode};
use serde_json::json;

use support::{Harness, IC_NUMBERS, assert_no_ic_number, example_request, link_token, party_ids};

#[tokio::test]
async fn no_answer_or_email_shows_an_ic_number() {
    let h = Harness::new();
    let view = h.create_example().await;
    let id = view["id"].as_str().unwrap();
    let parties = party_ids(&view);
    for party in &parties[..2] {
        h.ekyc(id, party, "approved").await;
    }

    let masked: Vec<_> = view["parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id_number_masked"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        masked,
        [
            "******-**-5678",
            "******-**-1234",
            "******-**-4321",
            "******-**-2468"
        ]
    );

    let pdf = h
        .portal(Method::GET, &format!("/v1/agreements/{id}/document"), None)
        .await;
    let (inflated, text) = inflated_pdf(&pdf.bytes);
    assert_no_ic_number(&inflated, "the PDF's inflated streams");
    assert_no_ic_number(text.as_bytes(), "the PDF's text");
    assert!(
        text.contains("******-**-5678"),
        "the masked number is in the PDF: {text}"
    );

    for path in [
        format!("/v1/agreements/{id}"),
        format!("/v1/agreements/{id}/audit"),
        "/v1/agreements".to_owned(),
    ] {
        let reply = h.portal(Method::GET, &path, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
    }
    for accept in ["application/json", "text/html"] {
        h.call(
            Method::GET,
            "/dev/outbox",
            &[("accept", accept), support::PORTAL_AUTH],
            Body::empty(),
        )
        .await;
    }
    for email in h.emails().await {
        let session = h
            .signer(Method::GET, "/v1/signer/session", &link_token(&email))
            .await;
        assert_eq!(session.status, StatusCode::OK);
        let ic_tail = &session.json["id_number_masked"].as_str().unwrap()[10..];
        assert!(IC_NUMBERS.iter().any(|ic| ic.ends_with(ic_tail)));
    }

    // Bad input that carries an IC number: the error names the field only.
    let mut as_number = example_request(h.now());
    as_number["parties"][0]["id_number"] = json!(900101145678u64);
    let reply = h.create(&as_number, None).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "wrong_type");
    assert_eq!(reply.json["error"]["field"], "parties[0].id_number");

    let mut as_passport = example_request(h.now());
    as_passport["parties"][1]["id_type"] = json!("passport");
    as_passport["parties"][1]["id_number"] = json!(IC_NUMBERS[1]);
    as_passport["parties"][2]["id_number"] = json!(IC_NUMBERS[0]);
    let reply = h.create(&as_passport, None).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

/// The PDF with every stream decompressed, and the text of its pages.
fn inflated_pdf(bytes: &[u8]) -> (Vec<u8>, String) {
    let mut doc = lopdf::Document::load_mem(bytes).expect("a PDF");
    doc.decompress();
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = doc.extract_text(&pages).expect("page text");
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save");
    (out, text)
}

#[test]
#[should_panic(expected = "IC number")]
fn the_scanner_catches_a_bare_ic_number() {
    assert_no_ic_number(b"{\"x\":\"ic 900101145678\"}", "sample");
}

#[test]
#[should_panic(expected = "IC number")]
fn the_scanner_catches_a_dashed_ic_number() {
    assert_no_ic_number(b"<p>880505-10-1234</p>", "sample");
}
