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

/// The QR code's target for `serial`: with its link key.
async fn qr_path(h: &Harness, serial: &str) -> String {
    let keys = h.runtime.app.ports.keys.as_ref();
    let k = hims_esign::app::verify::link_key(keys, serial)
        .await
        .expect("key");
    format!("/verify/{serial}?k={k}")
}

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

    let qr = qr_path(&h, SERIAL).await;
    let reply = get(&h, &qr, true).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let r = &reply.json;
    assert_eq!(r["serial"], SERIAL);
    assert_eq!(r["unit"], "B-10-02");
    assert_eq!(r["document_sha256"], signed.json["document_sha256"]);
    let sigs = r["signatures"].as_array().expect("signatures");
    assert_eq!(sigs.len(), 1);
    assert_eq!(sigs[0]["valid"], true);
    assert_eq!(sigs[0]["role"], "Pembeli");
    // One signature of four, so no document timestamp yet: B-LT, from our own TSA.
    let long_term = &sigs[0]["long_term"];
    assert_eq!(long_term["level"], "B-LT", "{long_term:#}");
    assert_eq!(long_term["timestamp_valid"], true);
    assert_eq!(long_term["validates_offline"], true);
    assert!(!long_term["tsa"].as_str().unwrap_or_default().is_empty());
    assert!(
        !long_term["timestamped_at"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
    );
    let signer = sigs[0]["signer"].as_str().expect("signer");
    assert!(
        !signer.contains("Aisyah") && signer.starts_with('N'),
        "{signer}"
    );
    assert_eq!(r["all_valid"], true);

    let page = get(&h, &qr, false).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("Semakan eSPA") && html.contains("eSPA verification"));
    assert!(html.contains(SERIAL) && html.contains("Sah / Valid"));
    assert!(html.contains("B-LT") && html.contains("Validates offline"));
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
    let after = get(&h, &qr, true).await;
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
        assert_eq!(s["long_term"]["level"], "B-LT", "{s:#}");
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

/// Issue 13 (8): the public verify answers, pages and errors, carry a strict
/// CSP whose only inline allowance is the page's own style (by hash), no
/// framing, no MIME sniffing and no Referer.
#[tokio::test]
async fn verify_answers_carry_strict_headers() {
    use base64::Engine;
    use sha2::Digest;
    let h = Harness::new();
    let view = h.create_example().await;
    let id = view["id"].as_str().expect("id");
    let pdf = h
        .portal(Method::GET, &format!("/v1/agreements/{id}/document"), None)
        .await;
    let page = upload(
        &h,
        "/verify",
        "application/pdf",
        "text/html",
        pdf.bytes.clone(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let missing = get(&h, "/verify/HIMS-NOTHING-HERE-000001", false).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let html = page.text();
    let style = html
        .split_once("<style>")
        .and_then(|(_, rest)| rest.split_once("</style>"))
        .expect("inline style")
        .0;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(style));
    for reply in [&page, &missing] {
        let csp =
            support::header(&reply.headers, http::header::CONTENT_SECURITY_POLICY).expect("CSP");
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("script-src"),
            "{csp}"
        );
        assert_eq!(
            support::header(&reply.headers, http::header::X_CONTENT_TYPE_OPTIONS),
            Some("nosniff")
        );
        assert_eq!(
            support::header(&reply.headers, http::header::REFERRER_POLICY),
            Some("no-referrer")
        );
    }
}

/// Issue 13 (3): serials are guessable, the QR link's key is not. Without it
/// (or with a wrong one) the answer says only that the serial exists and its
/// state, and no PDF is verified; with it, the verification is cached per
/// revision and revocation list.
#[tokio::test]
async fn without_the_link_key_only_existence_and_state_are_shown() {
    let h = Harness::new();
    let c = ceremony::start(&h).await;
    ceremony::certificate(&h, &c, FIRST).await;
    ceremony::sign_as(&h, &c, FIRST).await;
    let cache = h.runtime.app.verify_cache.clone();
    let qr = qr_path(&h, SERIAL).await;
    let k = qr.split("?k=").nth(1).expect("k").to_owned();
    assert_eq!(k.len(), 16);

    let wrong_k = format!("/verify/{SERIAL}?k={}", "A".repeat(16));
    for path in [
        format!("/verify/{SERIAL}"),
        wrong_k,
        format!("/verify/{SERIAL}?k="),
    ] {
        let reply = get(&h, &path, true).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        let keys: Vec<&String> = reply.json.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["details", "serial", "state"], "{path}");
        assert_eq!(reply.json["details"], false);
        assert_eq!(reply.json["state"], "in_progress");
        let page = get(&h, &path, false).await.text();
        assert!(
            page.contains(SERIAL) && page.contains("in_progress"),
            "{page}"
        );
        // (The serial itself names the development code and unit: the asker typed it.)
        for hidden in ["PARKLAND", "Pembeli", "/2025", "SHA-256", "Tandatangan"] {
            assert!(!page.contains(hidden), "{path} shows {hidden}");
        }
    }
    assert_eq!(
        cache.verifications(),
        0,
        "no PDF was checked without the key"
    );

    // With the key: verified once, then from the cache.
    for _ in 0..3 {
        let reply = get(&h, &qr, true).await;
        assert_eq!(reply.json["details"], true);
        assert_eq!(reply.json["unit"], "B-10-02");
    }
    assert_eq!(cache.verifications(), 1);

    // A new revision is verified anew; so is a CRL whose list changed.
    ceremony::certificate(&h, &c, SECOND).await;
    ceremony::sign_as(&h, &c, SECOND).await;
    assert_eq!(
        get(&h, &qr, true).await.json["signatures"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(cache.verifications(), 2);
    get(&h, &qr, true).await;
    assert_eq!(cache.verifications(), 2);
    // Cancelling revokes the certificate of a party who has not signed yet.
    ceremony::certificate(&h, &c, ceremony::DEVELOPER).await;
    h.portal(
        Method::POST,
        &format!("/v1/agreements/{}/cancel", c.agreement),
        None,
    )
    .await;
    assert_eq!(get(&h, &qr, true).await.json["state"], "cancelled");
    assert_eq!(cache.verifications(), 3);
}

/// Issue 13 (3): a client that keeps asking is told to wait (429 with
/// Retry-After); another client is not. (Only `hims serve` knows the address.)
#[tokio::test]
async fn the_public_verify_routes_limit_each_client() {
    use axum::extract::ConnectInfo;
    use tower::ServiceExt;
    let h = Harness::new();
    let router = h
        .runtime
        .router(hims_esign::local::OutboxAccess::PortalToken);
    let ask = |ip: [u8; 4]| {
        let router = router.clone();
        async move {
            let mut request = http::Request::get(format!("/verify/{SERIAL}"))
                .header("accept", "application/json")
                .body(axum::body::Body::empty())
                .expect("request");
            let addr = std::net::SocketAddr::from((ip, 40000));
            request.extensions_mut().insert(ConnectInfo(addr));
            router.oneshot(request).await.expect("infallible")
        }
    };
    let started = std::time::Instant::now();
    let burst = hims_esign::http::verify::CLIENT_QUOTA.burst_size().get();
    let mut answered = 0;
    let refused = loop {
        let response = ask([10, 0, 0, 1]).await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            break response;
        }
        assert_eq!(
            response.status(),
            StatusCode::NOT_FOUND,
            "unknown serial, not limited"
        );
        answered += 1;
        assert!(answered <= burst + 60, "never limited");
    };
    // The burst, plus what the quota refilled meanwhile.
    let refilled = started.elapsed().as_secs() as u32 / 2 + 1;
    assert!(
        (burst..=burst + refilled).contains(&answered),
        "{answered} before the first 429"
    );
    assert!(refused.headers().contains_key(http::header::RETRY_AFTER));
    let body = http_body_util::BodyExt::collect(refused.into_body())
        .await
        .expect("body")
        .to_bytes();
    let json: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(json["error"]["code"], "verify_rate_limited");
    assert_eq!(ask([10, 0, 0, 2]).await.status(), StatusCode::NOT_FOUND);
}

/// Issue 13 (1): a copy built to inflate past the budget is a 422
/// `pdf_too_complex` (Malay and English), never a hang or a 500; a content
/// stream bomb is not even inflated and verifies as a copy without signatures.
#[tokio::test]
async fn decompression_bombs_are_too_complex() {
    let h = Harness::new();
    let mib = 1024 * 1024;
    let json = "application/json";
    for pdf in [
        hims_pdf::bombs::object_stream_bomb(1024 * mib),
        hims_pdf::bombs::xref_stream_bomb(1024 * mib, 1),
        hims_pdf::bombs::signature_revisions_bomb(7 * mib, 12, 1),
    ] {
        let reply = upload(&h, "/verify", "application/pdf", json, pdf).await;
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "pdf_too_complex");
        assert!(
            reply.json["error"]["message_ms"]
                .as_str()
                .is_some_and(|m| m.contains("PDF"))
        );
    }
    let quiet = hims_pdf::bombs::content_stream_bomb(1024 * mib);
    let reply = upload(&h, "/verify", "application/pdf", json, quiet).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json["signatures"], serde_json::json!([]));
}
