//! The portal's agreement endpoints over HTTP: create, read, list, document,
//! audit, cancel, and every kind of bad input with its documented error.

mod support;

use http::{Method, StatusCode};
use serde_json::{Value, json};

use hims_esign::app::layout;
use hims_esign::domain::AgreementId;
use hims_esign::ports::{Condition, Item, Write};
use support::{Harness, MAX_BODY, example_request, header};

#[tokio::test]
async fn create_answers_201_with_the_agreement_and_masked_ids() {
    let h = Harness::new();
    let reply = h.create(&example_request(h.now()), None).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let view = &reply.json;
    let id = view["id"].as_str().expect("id");
    assert_eq!(
        header(&reply.headers, http::header::LOCATION),
        Some(format!("/v1/agreements/{id}").as_str())
    );
    assert_eq!(view["state"], "in_progress");
    assert_eq!(view["project_code"], "20165-9");
    assert_eq!(view["unit"], "B-10-02");
    assert_eq!(view["serial_final"], false);
    let parties = view["parties"].as_array().expect("parties");
    assert_eq!(parties.len(), 4);
    assert_eq!(parties[0]["id_number_masked"], "******-**-5678");
    assert_eq!(parties[3]["role"], "landowner_witness");
    assert_eq!(parties[3]["action"], "review");
    assert_eq!(view["revisions"][0]["number"], 1);

    let got = h
        .portal(Method::GET, &format!("/v1/agreements/{id}"), None)
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json["parties"], view["parties"]);
}

#[tokio::test]
async fn document_is_the_current_pdf_with_its_hash() {
    let h = Harness::new();
    let view = h.create_example().await;
    let id = view["id"].as_str().expect("id");
    let reply = h
        .portal(Method::GET, &format!("/v1/agreements/{id}/document"), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        header(&reply.headers, http::header::CONTENT_TYPE),
        Some("application/pdf")
    );
    assert!(reply.bytes.starts_with(b"%PDF-"));
    let sha = hims_esign::app::document::sha256_hex(&reply.bytes);
    assert_eq!(
        header(&reply.headers, "x-document-sha256".try_into().unwrap()),
        Some(sha.as_str())
    );
    assert_eq!(view["revisions"][0]["sha256"], sha.as_str());
}

#[tokio::test]
async fn cancel_closes_the_agreement_once() {
    let h = Harness::new();
    let view = h.create_example().await;
    let path = format!("/v1/agreements/{}/cancel", view["id"].as_str().unwrap());
    let reply = h.portal(Method::POST, &path, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json["state"], "cancelled");
    h.portal(Method::POST, &path, None)
        .await
        .assert_error(StatusCode::CONFLICT, "agreement_closed");
}

#[tokio::test]
async fn unknown_ids_are_404_on_every_agreement_route() {
    let h = Harness::new();
    for (method, path) in [
        (Method::GET, "/v1/agreements/agr_nope"),
        (Method::GET, "/v1/agreements/agr_nope/document"),
        (Method::GET, "/v1/agreements/agr_nope/audit"),
        (Method::POST, "/v1/agreements/agr_nope/cancel"),
    ] {
        h.portal(method, path, None)
            .await
            .assert_error(StatusCode::NOT_FOUND, "agreement_not_found");
    }
}

#[tokio::test]
async fn portal_routes_need_the_portal_token() {
    let h = Harness::new();
    let body = example_request(h.now()).to_string();
    for (method, path) in [
        (Method::POST, "/v1/agreements"),
        (Method::GET, "/v1/agreements"),
        (Method::GET, "/v1/agreements/agr_x"),
        (Method::GET, "/v1/agreements/agr_x/document"),
        (Method::GET, "/v1/agreements/agr_x/audit"),
        (Method::POST, "/v1/agreements/agr_x/cancel"),
    ] {
        let json = [("content-type", "application/json")];
        h.call(method.clone(), path, &json, body.clone())
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "token_missing");
        let wrong = [
            ("content-type", "application/json"),
            ("authorization", "Bearer portal-test-tokeX"),
        ];
        h.call(method, path, &wrong, body.clone())
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "token_invalid");
    }
}

/// `details.fields` of a validation error as (field, code) pairs.
fn field_errors(reply: &support::Reply) -> Vec<(String, String)> {
    reply.json["error"]["fields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .map(|f| {
                    (
                        f["field"].as_str().unwrap_or_default().to_owned(),
                        f["code"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn missing_and_wrong_typed_fields_name_the_field_not_the_value() {
    let h = Harness::new();
    let mut missing = example_request(h.now());
    missing.as_object_mut().unwrap().remove("unit");
    let reply = h.create(&missing, None).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "missing_field");
    assert_eq!(reply.json["error"]["field"], "unit");

    let mut missing_in_party = example_request(h.now());
    missing_in_party["parties"][1]
        .as_object_mut()
        .unwrap()
        .remove("email");
    let reply = h.create(&missing_in_party, None).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "missing_field");
    assert_eq!(reply.json["error"]["field"], "parties[1].email");

    // The IC number where a number is expected: the answer names the field
    // and never echoes the value (the harness scans every answer for it).
    let mut wrong = example_request(h.now());
    wrong["parties"][0]["order"] = json!(support::IC_NUMBERS[0]);
    let reply = h.create(&wrong, None).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "wrong_type");
    assert_eq!(reply.json["error"]["field"], "parties[0].order");

    let mut wrong_enum = example_request(h.now());
    wrong_enum["parties"][0]["role"] = json!("buyer");
    h.create(&wrong_enum, None)
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "wrong_type");

    let mut unknown_field = example_request(h.now());
    unknown_field["ic"] = json!(support::IC_NUMBERS[0]);
    h.create(&unknown_field, None)
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "wrong_type");
}

#[tokio::test]
async fn malformed_json_and_other_media_types_are_400() {
    let h = Harness::new();
    let auth = format!("Bearer {}", support::PORTAL_TOKEN);
    let json = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    h.call(Method::POST, "/v1/agreements", &json, "{\"unit\": ")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_json");
    let text = [
        ("authorization", auth.as_str()),
        ("content-type", "text/plain"),
    ];
    let body = example_request(h.now()).to_string();
    h.call(Method::POST, "/v1/agreements", &text, body)
        .await
        .assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
}

#[tokio::test]
async fn a_party_list_must_start_with_a_purchaser_who_signs_first() {
    let h = Harness::new();
    let mut request = example_request(h.now());
    request["parties"].as_array_mut().unwrap().swap(0, 2);
    let reply = h.create(&request, None).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let fields = field_errors(&reply);
    assert!(
        fields.contains(&("parties[0].role".into(), "first_party_not_purchaser".into())),
        "{fields:?}"
    );

    let mut empty = example_request(h.now());
    empty["parties"] = json!([]);
    let reply = h.create(&empty, None).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(
        field_errors(&reply),
        vec![("parties".to_owned(), "required".to_owned())]
    );
}

#[tokio::test]
async fn every_validation_problem_is_reported_at_once() {
    let h = Harness::new();
    let mut request = example_request(h.now());
    request["parties"][1]["email"] = json!("AISYAH@example.my");
    request["parties"][2]["id_number"] = json!("901399-14-5678");
    request["parties"][2]["deadline"] = json!(h.now());
    request["unit"] = json!("B-10-02<script>");
    let reply = h.create(&request, None).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let fields = field_errors(&reply);
    for expected in [
        ("parties[1].email", "email_duplicate"),
        ("parties[2].id_number", "mykad_date"),
        ("parties[2].deadline", "deadline_not_in_future"),
        ("unit", "invalid_characters"),
    ] {
        assert!(
            fields.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} not in {fields:?}"
        );
    }
    // Nothing was created.
    let list = h.portal(Method::GET, "/v1/agreements", None).await;
    assert_eq!(list.json["agreements"], json!([]));
}

#[tokio::test]
async fn bad_documents_are_422() {
    let h = Harness::new();
    let cases = [
        (
            json!({"template": "other", "fields": example_request(h.now())["document"]["fields"]}),
            "template_unknown",
        ),
        (json!({"pdf_base64": "not base64!"}), "base64_invalid"),
        (json!({}), "document_invalid"),
    ];
    for (document, code) in cases {
        let mut request = example_request(h.now());
        request["document"] = document;
        let reply = h.create(&request, None).await;
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert!(
            field_errors(&reply).iter().any(|(_, c)| c == code),
            "{code}: {}",
            reply.text()
        );
    }
    let mut not_pdf = example_request(h.now());
    not_pdf["document"] = json!({"pdf_base64": "aGVsbG8gd29ybGQ="});
    h.create(&not_pdf, None)
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "pdf_not_a_pdf");
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let h = Harness::new();
    let mut request = example_request(h.now());
    request["document"] = json!({"pdf_base64": "A".repeat(MAX_BODY + 1)});
    h.create(&request, None)
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
}

#[tokio::test]
async fn a_bad_idempotency_key_is_400() {
    let h = Harness::new();
    let long = "k".repeat(129);
    for key in ["", long.as_str(), "has space"] {
        h.create(&example_request(h.now()), Some(key))
            .await
            .assert_error(StatusCode::BAD_REQUEST, "idempotency_key_invalid");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_creates_with_one_key_make_one_agreement() {
    let h = std::sync::Arc::new(Harness::new());
    let request = example_request(h.now());
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (h, request) = (h.clone(), request.clone());
            tokio::spawn(async move { h.create(&request, Some("portal-req-42")).await })
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    let mut created = 0;
    for task in tasks {
        let reply = task.await.expect("task");
        match reply.status {
            StatusCode::CREATED => created += 1,
            StatusCode::OK => {}
            other => panic!("{other}: {}", reply.text()),
        }
        ids.insert(reply.json["id"].as_str().expect("id").to_owned());
    }
    assert_eq!((created, ids.len()), (1, 1));
    let list = h.portal(Method::GET, "/v1/agreements", None).await;
    assert_eq!(list.json["agreements"].as_array().map(Vec::len), Some(1));
    // One agreement's emails: one eKYC request per party.
    assert_eq!(h.emails().await.len(), 4);

    let mut other = request.clone();
    other["unit"] = json!("B-10-03");
    h.create(&other, Some("portal-req-42"))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused");
}

#[tokio::test]
async fn list_filters_by_status_project_and_update_time_and_pages() {
    let h = Harness::new();
    let mut ids = vec![];
    for (i, code) in ["20165-9", "30001-2", "20165-9"].iter().enumerate() {
        let mut request = example_request(h.now());
        request["project_code"] = json!(code);
        request["unit"] = json!(format!("B-10-0{i}"));
        ids.push(
            h.create(&request, None).await.json["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        h.advance(chrono::Duration::minutes(5));
    }
    let after_creates = h.now();
    h.portal(
        Method::POST,
        &format!("/v1/agreements/{}/cancel", ids[0]),
        None,
    )
    .await;

    let get = |query: String| list_ids(&h, query);
    // Oldest update first: the cancelled one moved to the end.
    assert_eq!(get(String::new()).await, pick(&ids, &[1, 2, 0]));
    assert_eq!(get("?status=cancelled".into()).await, pick(&ids, &[0]));
    assert_eq!(get("?status=in_progress".into()).await, pick(&ids, &[1, 2]));
    assert_eq!(get("?project_code=30001-2".into()).await, pick(&ids, &[1]));
    let since = after_creates.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(
        get(format!("?updated_since={since}")).await,
        pick(&ids, &[0])
    );

    let mut paged = vec![];
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let query = match &cursor {
            Some(c) => format!("/v1/agreements?limit=1&cursor={}", urlencode(c)),
            None => "/v1/agreements?limit=1".to_owned(),
        };
        let reply = h.portal(Method::GET, &query, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert!(reply.json["agreements"].as_array().unwrap().len() <= 1);
        paged.extend(ids_in(&reply.json));
        cursor = reply.json["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(paged, pick(&ids, &[1, 2, 0]));

    for bad in [
        "?status=done",
        "?updated_since=yesterday",
        "?limit=many",
        "?cursor=%00garbage",
    ] {
        let reply = h
            .portal(Method::GET, &format!("/v1/agreements{bad}"), None)
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            reply.text()
        );
    }
}

async fn list_ids(h: &Harness, query: String) -> Vec<String> {
    let reply = h
        .portal(Method::GET, &format!("/v1/agreements{query}"), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.text());
    ids_in(&reply.json)
}

fn ids_in(list: &Value) -> Vec<String> {
    list["agreements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

fn pick(ids: &[String], which: &[usize]) -> Vec<String> {
    which.iter().map(|&i| ids[i].clone()).collect()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn audit_verifies_until_a_stored_entry_is_edited() {
    let h = Harness::new();
    let view = h.create_example().await;
    let id = view["id"].as_str().unwrap();
    let parties = support::party_ids(&view);
    h.ekyc(id, &parties[0], "approved").await;
    let path = format!("/v1/agreements/{id}/audit");

    let reply = h.portal(Method::GET, &path, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let entries = reply.json["entries"].as_array().unwrap().clone();
    assert!(entries.len() >= 3, "{entries:?}");
    assert_eq!(reply.json["verification"]["valid"], true);
    assert_eq!(reply.json["verification"]["broken_at"], Value::Null);

    // Rewrite history: entry 2 now claims something else happened.
    let store = &h.runtime.app.ports.store;
    let key = layout::audit_entry(&AgreementId(id.to_owned()), 2);
    let mut item: Item = store.get(&key).await.unwrap().expect("entry 2");
    item.data["event"] = json!({"type": "agreement_cancelled"});
    store
        .transact(vec![Write::Put {
            item,
            condition: Condition::None,
        }])
        .await
        .unwrap();

    let reply = h.portal(Method::GET, &path, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["verification"]["valid"], false);
    assert_eq!(reply.json["verification"]["broken_at"], 2);
}

/// Issue 13 (1): the portal's PDF intake has the same decoding budget.
#[tokio::test]
async fn a_portal_pdf_bomb_is_a_422() {
    use base64::Engine;
    let h = Harness::new();
    let mut request = example_request(h.now());
    let bomb = hims_pdf::bombs::object_stream_bomb(100 * 1024 * 1024);
    let pdf_base64 = base64::engine::general_purpose::STANDARD.encode(bomb);
    request["document"] = json!({ "pdf_base64": pdf_base64 });
    h.create(&request, None)
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "pdf_too_complex");
}
