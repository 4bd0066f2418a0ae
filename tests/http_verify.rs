//! `GET /verify/{serial}` through HTTP: JSON and escaped HTML, masked names,
//! validity by hims-pdf, the state after cancel, and 404 for anything unknown.
//! `POST /verify`: a copy as `application/pdf` or a browser form, compared with
//! our revisions; a tampered copy; every refusal (413, 415, 422), never a 500.

#[path = "support/ceremony.rs"]
mod ceremony;
mod support;

use ceremony::{FIRST, SECOND};
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

async fn upload(
    h: &Harness,
    path: &str,
    content_type: &str,
    accept: &str,
    body: Vec<u8>,
) -> support::Reply {
    let headers = [("content-type", content_type), ("accept", accept)];
    h.call(Method::POST, path, &headers, body).await
}

const BOUNDARY: &str = "hims-test-boundary";

/// A browser's form: the PDF as `file` (when given) and the serial.
fn form(pdf: Option<&[u8]>, serial: &str) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"serial\"\r\n\r\n{serial}\r\n"
    )
    .into_bytes();
    if let Some(pdf) = pdf {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"espa.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(pdf);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn form_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// Two parties signed: the copy the portal holds.
async fn signed_copy(h: &Harness) -> Vec<u8> {
    let c = ceremony::start(h).await;
    for party in [FIRST, SECOND] {
        ceremony::certificate(h, &c, party).await;
        ceremony::sign_as(h, &c, party).await;
    }
    ceremony::current_pdf(h, &c).await
}

#[tokio::test]
async fn an_uploaded_copy_is_checked_and_matched_with_our_revisions() {
    let h = Harness::new();
    let pdf = signed_copy(&h).await;
    let path = format!("/verify?serial={SERIAL}");

    let reply = upload(
        &h,
        &path,
        "application/pdf",
        "application/json",
        pdf.clone(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let r = &reply.json;
    assert_eq!(r["all_valid"], true, "{r:#}");
    assert_eq!(r["size"], pdf.len());
    let sigs = r["signatures"].as_array().expect("signatures");
    assert_eq!(sigs.len(), 2);
    for (s, modification) in sigs.iter().zip(["form_filling", "none"]) {
        assert_eq!(s["valid"], true, "{s:#}");
        assert_eq!(s["modification"], modification);
        assert_eq!(s["role"], "Pembeli");
        assert!(!s["signer"].as_str().unwrap_or_default().contains("Aisyah"));
    }
    assert_eq!(sigs[1]["covers_whole_file"], true);
    assert_eq!(r["agreement"]["serial"], SERIAL);
    assert_eq!(r["agreement"]["copy_matches"], "current");

    // The copy sent after the first signature is our earlier revision.
    let ends = hims_pdf::revision_ends(&pdf);
    let earlier = pdf[..ends[ends.len() - 2]].to_vec();
    let reply = upload(&h, &path, "application/pdf", "*/*", earlier).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json["agreement"]["copy_matches"], "earlier");
    assert_eq!(reply.json["all_valid"], true);

    // A browser form gets the bilingual page.
    let page = upload(
        &h,
        "/verify",
        &form_type(),
        "text/html",
        form(Some(&pdf), SERIAL),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(
        html.contains("Semakan salinan eSPA") && html.contains("Sah / Valid"),
        "{html}"
    );
    assert!(html.contains("Identical to our current revision") && html.contains(SERIAL));
    assert!(!html.contains("Aisyah"));

    // Without a serial, or with one we never published: the signatures alone.
    for path in ["/verify", "/verify?serial=HIMS-0-0-X-000000"] {
        let reply = upload(&h, path, "application/pdf", "application/json", pdf.clone()).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert_eq!(reply.json["all_valid"], true);
        assert!(reply.json["agreement"].is_null());
        assert_eq!(reply.json["signatures"][0]["role"], "");
    }
}

#[tokio::test]
async fn a_tampered_copy_is_reported_modified() {
    let h = Harness::new();
    let pdf = signed_copy(&h).await;
    // Incremental saving attack: a new body for object 1 after the last signature, found by a
    // startxref that still names the signed revision's cross-reference section.
    let last_startxref = pdf
        .windows(9)
        .rposition(|w| w == b"startxref")
        .expect("startxref");
    let mut tampered = pdf.clone();
    tampered.extend_from_slice(b"1 0 obj\n(Harga jualan: RM 1.00)\nendobj\n");
    tampered.extend_from_slice(&pdf[last_startxref..]);
    let path = format!("/verify?serial={SERIAL}");
    let reply = upload(&h, &path, "application/pdf", "application/json", tampered).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let r = &reply.json;
    assert_eq!(r["all_valid"], false);
    for s in r["signatures"].as_array().expect("signatures") {
        assert_eq!(
            (&s["intact"], &s["modification"], &s["valid"]),
            (&true.into(), &"other".into(), &false.into()),
            "{s:#}"
        );
    }
    assert_eq!(r["agreement"]["copy_matches"], "extended");

    // One byte changed in the binary comment of the header line: every signature broken, and
    // the copy none of our revisions.
    let mut changed = pdf.clone();
    let comment = pdf.iter().position(|&b| b == b'\n').expect("header line") + 2;
    changed[comment] ^= 0x01;
    let page = upload(&h, &path, "application/pdf", "text/html", changed).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("Matches none of our revisions"), "{html}");
    assert!(
        html.contains("Rosak / Altered") && !html.contains("Sah / Valid"),
        "{html}"
    );
}

#[tokio::test]
async fn refusals_have_their_own_status_and_code() {
    let h = Harness::new();
    let json = "application/json";
    for content_type in ["text/plain", "application/json", ""] {
        let reply = upload(&h, "/verify", content_type, json, b"%PDF-1.7".to_vec()).await;
        reply.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "verify_media_type");
    }
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(hims_esign::app::verify::UPLOAD_MAX_BYTES + 1, b' ');
    let reply = upload(&h, "/verify", "application/pdf", json, big.clone()).await;
    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "verify_pdf_too_large");
    let reply = upload(&h, "/verify", &form_type(), json, form(Some(&big), "")).await;
    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "verify_pdf_too_large");
    big.resize(big.len() + 128 * 1024, b' ');
    let reply = upload(&h, "/verify", "application/pdf", json, big).await;
    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");

    let reply = upload(&h, "/verify", "application/pdf", json, b"hello".to_vec()).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "pdf_not_a_pdf");
    for broken in [
        &b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"[..],
        b"%PDF-",
        b"",
    ] {
        let reply = upload(&h, "/verify", "application/pdf", json, broken.to_vec()).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.text()
        );
        assert!(
            ["pdf_corrupt", "pdf_not_a_pdf"].contains(&reply.code()),
            "{}",
            reply.text()
        );
    }
    let reply = upload(&h, "/verify", &form_type(), json, form(None, SERIAL)).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "pdf_missing");
    let reply = upload(&h, "/verify", &form_type(), json, b"not a form".to_vec()).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "body_unreadable");
}
