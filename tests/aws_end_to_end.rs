//! The FLOW.md example, end to end, the way it runs on AWS: the core on the
//! AWS adapters against a moto server, every request an API Gateway v2 event
//! through `lambda_http` (as `lambda_http::run` does it, response encoding
//! included) into the Router of the function `infra/template.yaml` routes it
//! to, the outbox delivered by `lambda::notify` from DynamoDB stream records
//! built for the table's OUTBOX# items, and the emails read back from moto.
//! It ends with the signed eSPA from S3, checked by hims-pdf and pyHanko.
//!
//! Needs `scripts/moto.sh start` and `HIMS_TEST_AWS_ENDPOINT` (as aws_contracts).

mod pyhanko;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value, json};
use tokio::sync::Mutex;
use tower::ServiceExt;

use hims_esign::adapters::aws::{
    AwsConfig, DynamoStore, KmsKeys, S3Blobs, SesMailer, build_ports, emulator_sdk_config,
};
use hims_esign::adapters::webhook::ReqwestWebhooks;
use hims_esign::app::{App, hmac_sig, stroke::stroke_png};
use hims_esign::config::Settings;
use hims_esign::http::router;
use hims_esign::lambda;
use hims_esign::ports::{OsRng, Rng};
use hims_esign::testing::FixedClock;

mod sam;

const ENDPOINT_VAR: &str = "HIMS_TEST_AWS_ENDPOINT";
const PORTAL_TOKEN: &str = "e2e-portal-token";
const EKYC_SECRET: &str = "e2e-ekyc-secret";
const PUBLIC_URL: &str = "https://hims.test";
const PIN: &str = "Rahsia#2025";
/// 1 May 2025, 10:00 in Malaysia.
const START: &str = "2025-05-01T02:00:00Z";

fn endpoint() -> String {
    std::env::var(ENDPOINT_VAR).unwrap_or_else(|_| {
        panic!(
            "{ENDPOINT_VAR} is not set: start moto with `scripts/moto.sh start` and run with \
             {ENDPOINT_VAR}=http://127.0.0.1:5555"
        )
    })
}

fn unique(prefix: &str) -> String {
    let rng: &dyn Rng = &OsRng;
    format!("{prefix}-{}", hex::encode(rng.bytes::<6>()))
}

/// One answer as API Gateway would return it to the caller.
struct Reply {
    status: u16,
    headers: Map<String, Value>,
    bytes: Vec<u8>,
    json: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(Value::as_str)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    #[track_caller]
    fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "{}", self.text());
        self
    }
}

/// The deployment on moto: one table, bucket, key set and sender of its own.
struct Deployment {
    app: App,
    dynamo: aws_sdk_dynamodb::Client,
    table: String,
    from: String,
    routes: Vec<sam::Route>,
    /// The last image of each OUTBOX# item the "stream" has passed on.
    streamed: Mutex<HashMap<String, Value>>,
    /// Every stream record handed to `notify`, in order.
    records: Mutex<Vec<Value>>,
    sequence: AtomicU64,
}

impl Deployment {
    async fn new() -> Self {
        let sdk = emulator_sdk_config(&endpoint()).await;
        let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
        let table = unique("hims-e2e");
        DynamoStore::create_table(&dynamo, &table)
            .await
            .expect("create table");
        let bucket = unique("hims-e2e");
        S3Blobs::create_bucket(&S3Blobs::client(&sdk), &bucket)
            .await
            .expect("create bucket");
        let keys = KmsKeys::create_keys(&aws_sdk_kms::Client::new(&sdk))
            .await
            .expect("create keys");
        let from = format!("{}@example.com", unique("esign"));
        SesMailer::create_identity(&aws_sdk_sesv2::Client::new(&sdk), &from)
            .await
            .expect("create identity");
        let config = AwsConfig {
            table: table.clone(),
            bucket,
            keys,
            mail_from: from.clone(),
            ses_config_set: None,
        };
        let mut ports = build_ports(&sdk, &config);
        // TOTP codes and webhook timestamps are computed from the same clock.
        ports.clock = Arc::new(FixedClock::at_rfc3339(START));
        let settings = Settings::local(PUBLIC_URL, PORTAL_TOKEN, EKYC_SECRET);
        let app = App::new(ports, settings, Arc::new(ReqwestWebhooks::new()));
        Self {
            app,
            dynamo,
            table,
            from,
            routes: sam::http_routes(&sam::template_text()),
            streamed: Mutex::default(),
            records: Mutex::default(),
            sequence: AtomicU64::new(1),
        }
    }

    /// Sends one request as API Gateway v2 would: an event JSON (from the
    /// sample in events/) converted by lambda_http, to the function the
    /// template routes it to; the response as lambda_http hands it back.
    async fn call(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let route = sam::route_for(&self.routes, method, path)
            .unwrap_or_else(|| panic!("{method} {path}: no route in infra/template.yaml"));
        let function = route
            .function()
            .unwrap_or_else(|| panic!("{} is not on an HTTP function", route.key()));
        let event = self.event(method, path, &route.key(), headers, body);
        let request: lambda_http::request::LambdaRequest =
            serde_json::from_value(event).expect("API Gateway v2 event");
        let context = lambda_http::Context::default();
        let adapter = lambda_http::Adapter::from(router(function, self.app.clone()));
        let response = adapter
            .oneshot(lambda_http::LambdaEvent::new(request, context))
            .await
            .expect("infallible router");
        let response = serde_json::to_value(response).expect("response JSON");
        let status = response["statusCode"].as_u64().expect("statusCode") as u16;
        let text = response["body"].as_str().unwrap_or_default();
        let bytes = if response["isBase64Encoded"] == true {
            B64.decode(text).expect("base64 body")
        } else {
            text.as_bytes().to_vec()
        };
        assert!(status < 500, "{method} {path} answered {status}: {text}");
        let headers = response["headers"].as_object().cloned().unwrap_or_default();
        // The eSPA itself names its parties; nothing else may.
        if headers.get("content-type").and_then(Value::as_str) != Some("application/pdf") {
            let what = format!("{method} {path}");
            assert_no_id_number(&String::from_utf8_lossy(&bytes), &what);
        }
        Reply {
            status,
            headers,
            json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            bytes,
        }
    }

    fn event(
        &self,
        method: &str,
        path: &str,
        route_key: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Value {
        let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/events/agreements-create.json");
        let mut event: Value =
            serde_json::from_str(&std::fs::read_to_string(sample).expect("sample event"))
                .expect("sample is JSON");
        let (raw_path, query) = path.split_once('?').unwrap_or((path, ""));
        let mut all: Map<String, Value> = event["headers"]
            .as_object()
            .expect("headers")
            .iter()
            .filter(|(name, _)| !matches!(name.as_str(), "authorization" | "content-type"))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        for (name, value) in headers {
            all.insert((*name).to_owned(), json!(value));
        }
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
        let now = self.app.now();
        event["routeKey"] = json!(route_key);
        event["rawPath"] = json!(raw_path);
        event["rawQueryString"] = json!(query);
        event["headers"] = Value::Object(all);
        event["requestContext"]["routeKey"] = json!(route_key);
        event["requestContext"]["http"]["method"] = json!(method);
        event["requestContext"]["http"]["path"] = json!(raw_path);
        event["requestContext"]["requestId"] = json!(format!("e2e-{sequence}"));
        event["requestContext"]["timeEpoch"] = json!(now.timestamp_millis());
        event["isBase64Encoded"] = json!(false);
        match body {
            "" => event.as_object_mut().expect("event").remove("body"),
            body => event
                .as_object_mut()
                .expect("event")
                .insert("body".into(), json!(body)),
        };
        event
    }

    async fn portal(&self, method: &str, path: &str, body: Option<&Value>) -> Reply {
        let auth = format!("Bearer {PORTAL_TOKEN}");
        match body {
            Some(body) => {
                let headers = [
                    ("authorization", auth.as_str()),
                    ("content-type", "application/json"),
                ];
                self.call(method, path, &headers, &body.to_string()).await
            }
            None => {
                self.call(method, path, &[("authorization", &auth)], "")
                    .await
            }
        }
    }

    async fn signer(&self, method: &str, path: &str, token: &str, body: Option<&Value>) -> Reply {
        let auth = format!("Bearer {token}");
        match body {
            Some(body) => {
                let headers = [
                    ("authorization", auth.as_str()),
                    ("content-type", "application/json"),
                ];
                self.call(method, path, &headers, &body.to_string()).await
            }
            None => {
                self.call(method, path, &[("authorization", &auth)], "")
                    .await
            }
        }
    }

    async fn ekyc(&self, agreement: &str, party: &str) -> Reply {
        let body = json!({
            "agreement_id": agreement, "party_id": party, "result": "approved",
            "reference": format!("idsaya-{party}"),
        })
        .to_string();
        let timestamp = self.app.now().timestamp();
        let signature = hmac_sig::sign(EKYC_SECRET.as_bytes(), timestamp, body.as_bytes());
        let timestamp = timestamp.to_string();
        let headers = [
            ("content-type", "application/json"),
            (hmac_sig::SIGNATURE_HEADER, signature.as_str()),
            (hmac_sig::TIMESTAMP_HEADER, timestamp.as_str()),
        ];
        self.call("POST", "/v1/ekyc/callback", &headers, &body)
            .await
    }

    /// What the table's stream would carry since the last call: an INSERT or
    /// MODIFY record for each new or changed OUTBOX# item, each batch through
    /// `lambda::notify` — until delivery changes nothing more. Returns how
    /// many records went through.
    async fn stream_outbox(&self) -> usize {
        let mut total = 0;
        for _ in 0..5 {
            let records = self.outbox_changes().await;
            if records.is_empty() {
                return total;
            }
            total += records.len();
            self.notify(records).await;
        }
        panic!("the outbox kept changing after five rounds of delivery");
    }

    async fn notify(&self, records: Vec<Value>) {
        let event: aws_lambda_events::dynamodb::Event =
            serde_json::from_value(json!({ "Records": records.clone() })).expect("stream event");
        let response = lambda::notify(&self.app, &event).await;
        assert!(
            response.batch_item_failures.is_empty(),
            "failed records: {:?}",
            response.batch_item_failures
        );
        self.records.lock().await.extend(records);
    }

    async fn outbox_changes(&self) -> Vec<Value> {
        let mut streamed = self.streamed.lock().await;
        let mut records = Vec::new();
        for item in self.outbox_items().await {
            let image: Map<String, Value> = item
                .iter()
                .filter_map(|(name, value)| Some((name.clone(), dynamodb_json(value)?)))
                .collect();
            let image = Value::Object(image);
            let pk = image["pk"]["S"].as_str().expect("pk").to_owned();
            let old = streamed.get(&pk);
            if old == Some(&image) {
                continue;
            }
            let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
            let mut change = json!({
                "ApproximateCreationDateTime": self.app.now().timestamp(),
                "Keys": {"pk": image["pk"], "sk": image["sk"]},
                "SequenceNumber": format!("{sequence:024}"),
                "SizeBytes": image.to_string().len(),
                "StreamViewType": "NEW_AND_OLD_IMAGES",
                "NewImage": image,
            });
            if let Some(old) = old {
                change["OldImage"] = old.clone();
            }
            records.push(json!({
                "eventID": format!("{sequence:032x}"),
                "eventName": if old.is_some() { "MODIFY" } else { "INSERT" },
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": change,
                "eventSourceARN": format!(
                    "arn:aws:dynamodb:us-east-1:123456789012:table/{}/stream/2025-05-01T00:00:00.000",
                    self.table
                ),
            }));
            streamed.insert(pk, image);
        }
        records
    }

    async fn outbox_items(&self) -> Vec<HashMap<String, AttributeValue>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .dynamo
                .scan()
                .table_name(&self.table)
                .filter_expression("begins_with(pk, :outbox)")
                .expression_attribute_values(":outbox", AttributeValue::S("OUTBOX#".into()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan");
            items.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return items;
            }
        }
    }

    /// Every email our sender has sent, oldest first, from moto's state.
    async fn sent(&self) -> Vec<Value> {
        let url = format!("{}/moto-api/data.json", endpoint());
        let state: Value = reqwest::get(url)
            .await
            .expect("moto state")
            .json()
            .await
            .expect("moto state is JSON");
        state["ses"]["Message"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|m| m["source"].as_str() == Some(self.from.as_str()))
            .collect()
    }

    /// The newest email to `to` whose HTML body holds `marker`.
    async fn newest_to(&self, to: &str, marker: &str) -> String {
        self.sent()
            .await
            .iter()
            .rev()
            .filter(|m| m["destinations"]["ToAddresses"][0].as_str() == Some(to))
            .filter_map(|m| m["body"].as_str())
            // minijinja escapes `/` in HTML; links are plain ASCII otherwise.
            .map(|body| body.replace("&#x2f;", "/"))
            .find(|body| body.contains(marker))
            .unwrap_or_else(|| panic!("no email to {to} with {marker:?}"))
    }

    async fn link_token(&self, to: &str) -> String {
        let marker = format!("{PUBLIC_URL}/s/");
        let html = self.newest_to(to, &marker).await;
        let start = html.find(&marker).expect("marker") + marker.len();
        html[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect()
    }

    /// The six digits after "Kod Verifikasi:" in the newest code email to `to`.
    async fn email_code(&self, to: &str) -> String {
        let html = self.newest_to(to, "Kod Verifikasi:").await;
        let after = html.split("Kod Verifikasi:").nth(1).expect("marker");
        // The next paragraph's text: `<p style="…">876 644</p>`.
        let paragraph = after.split("</p>").nth(1).expect("code paragraph");
        let text = paragraph.rsplit('>').next().expect("text");
        let code: String = text.chars().filter(char::is_ascii_digit).collect();
        assert_eq!(code.len(), 6, "{text:?}");
        code
    }
}

/// A stream image's attribute in DynamoDB JSON (`{"S": …}`, `{"N": …}`, …).
fn dynamodb_json(value: &AttributeValue) -> Option<Value> {
    Some(match value {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        AttributeValue::B(b) => json!({ "B": B64.encode(b.as_ref()) }),
        AttributeValue::Ss(list) => json!({ "SS": list }),
        AttributeValue::Ns(list) => json!({ "NS": list }),
        AttributeValue::M(map) => {
            let map: Map<String, Value> = map
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), dynamodb_json(v)?)))
                .collect();
            json!({ "M": map })
        }
        AttributeValue::L(list) => {
            json!({ "L": list.iter().filter_map(dynamodb_json).collect::<Vec<_>>() })
        }
        _ => return None,
    })
}

/// The current code of an `otpauth://` URI at `at` (what the authenticator shows).
fn totp_at(uri: &str, at: i64) -> String {
    let secret = uri
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("secret="))
        .expect("secret in the otpauth URI");
    let secret = data_encoding::BASE32_NOPAD
        .decode(secret.as_bytes())
        .expect("base32 secret");
    let totp = totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(secret)
        .build()
        .expect("totp");
    totp.generate(u64::try_from(at).expect("after 1970"))
        .to_string()
}

/// The example parties' identity numbers; no email or response may show one.
const ID_NUMBERS: [&str; 4] = [
    "900101-14-5678",
    "A12345678",
    "780512-10-5543",
    "850320-08-5208",
];

#[track_caller]
fn assert_no_id_number(text: &str, what: &str) {
    for id in ID_NUMBERS {
        assert!(
            !text.contains(id) && !text.contains(&id.replace('-', "")),
            "{what} shows an identity number"
        );
    }
}

enum Factor {
    Totp,
    EmailCode,
}

#[tokio::test]
async fn the_flow_md_example_runs_through_the_lambda_handlers_on_aws_adapters() {
    let d = Deployment::new().await;

    // F1: the portal creates the eSPA; the stream delivers the first emails.
    let request = hims_esign::example::create_request(d.app.now());
    let created = d
        .portal("POST", "/v1/agreements", Some(&request))
        .await
        .expect(201);
    let id = created.json["id"].as_str().expect("id").to_owned();
    let parties = created.json["parties"].as_array().expect("parties").clone();
    assert!(d.stream_outbox().await > 0, "creating queues email");
    let first_emails = d.sent().await.len();
    assert!(first_emails > 0);

    // A stream record delivered again (as Lambda retries a batch) sends nothing twice.
    let first_record = d.records.lock().await[0].clone();
    assert_eq!(first_record["eventName"], "INSERT");
    d.notify(vec![first_record]).await;
    assert_eq!(
        d.sent().await.len(),
        first_emails,
        "a redelivered record sent again"
    );
    assert_eq!(d.stream_outbox().await, 0);

    // F1.2: every party's eKYC is approved.
    for party in &parties {
        let party_id = party["id"].as_str().expect("party id");
        d.ekyc(&id, party_id).await.expect(200);
        d.stream_outbox().await;
    }

    // F2-F4: in order, each signer gets a certificate and signs (TOTP, email
    // code, TOTP); the landowner's witness reviews and confirms (F3.2).
    let factors = [Factor::Totp, Factor::EmailCode, Factor::Totp];
    for (n, party) in parties.iter().enumerate() {
        let email = party["email"].as_str().expect("email");
        let token = d.link_token(email).await;
        let page = d
            .call("GET", &format!("/s/{token}"), &[], "")
            .await
            .expect(200);
        assert!(
            page.header("content-type")
                .is_some_and(|t| t.starts_with("text/html"))
        );
        if party["action"] == "review" {
            d.signer(
                "POST",
                "/v1/signer/review",
                &token,
                Some(&json!({"action": "confirm"})),
            )
            .await
            .expect(200);
            d.stream_outbox().await;
            continue;
        }
        let form = json!({
            "address": "No. 12, Jalan Parkland 3, Taman Parkland", "postcode": "43000",
            "nationality": "MY", "pin": PIN, "pin_confirm": PIN,
        });
        let issued = d
            .signer("POST", "/v1/signer/certificate", &token, Some(&form))
            .await
            .expect(201);
        d.stream_outbox().await;
        let document = d
            .signer("GET", "/v1/signer/document", &token, None)
            .await
            .expect(200);
        assert!(
            document.bytes.starts_with(b"%PDF-"),
            "the revision arrives as binary"
        );
        let sha = document
            .header("x-document-sha256")
            .expect("hash header")
            .to_owned();
        let mut authorize = json!({"document_sha256": sha, "pin": PIN});
        match factors.get(n).expect("a factor per signer") {
            Factor::Totp => {
                let uri = issued.json["totp"]["uri"].as_str().expect("otpauth URI");
                authorize["totp"] = json!(totp_at(uri, d.app.now().timestamp()));
            }
            Factor::EmailCode => {
                d.signer(
                    "POST",
                    "/v1/signer/otp",
                    &token,
                    Some(&json!({"purpose": "sign"})),
                )
                .await
                .expect(202);
                d.stream_outbox().await;
                authorize["email_code"] = json!(d.email_code(email).await);
            }
        }
        let activation = d
            .signer("POST", "/v1/signer/authorize", &token, Some(&authorize))
            .await
            .expect(200);
        let png = stroke_png(
            140,
            60,
            &[&[(10.0, 40.0), (40.0, 10.0), (70.0, 45.0), (110.0, 15.0)]],
        )
        .expect("png");
        let sign = json!({
            "activation": activation.json["activation"], "document_sha256": sha, "consent": true,
            "signature_png_base64": B64.encode(png),
        });
        d.signer("POST", "/v1/signer/sign", &token, Some(&sign))
            .await
            .expect(200);
        d.stream_outbox().await;
    }

    // The eSPA is complete; its final PDF comes from S3 through the
    // agreements function, base64 in the Lambda response.
    let view = d
        .portal("GET", &format!("/v1/agreements/{id}"), None)
        .await
        .expect(200);
    assert_eq!(view.json["state"], "completed", "{}", view.text());
    let pdf = d
        .portal("GET", &format!("/v1/agreements/{id}/document"), None)
        .await
        .expect(200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    let ca = d.call("GET", "/ca.pem", &[], "").await.expect(200);
    let crl = d.call("GET", "/crl", &[], "").await.expect(200);
    let ca_b64: String = ca
        .text()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let trust = hims_pdf::Trust {
        ca_der: B64.decode(ca_b64).expect("CA PEM"),
        crl_der: Some(crl.bytes),
    };
    let report = hims_pdf::verify(&pdf.bytes, &trust).expect("hims-pdf verify");
    assert_eq!(report.signatures.len(), 3, "one per signer");
    for s in &report.signatures {
        assert!(s.intact && s.trusted && !s.revoked, "{s:#?}");
    }
    assert!(report.all_valid());
    // B-LTA on AWS too: each signature timestamped by the KMS TSA key, a DSS, and a
    // document timestamp at completion.
    assert!(
        report
            .signatures
            .iter()
            .all(|s| s.long_term.level == hims_pdf::PadesLevel::BLTA
                && s.long_term.validates_offline),
        "{report:#?}"
    );
    assert_eq!(report.document_timestamps.len(), 1, "{report:#?}");
    assert_eq!(pyhanko::valid_signatures(&ca.bytes, &pdf.bytes), 3);

    // Every party heard it is complete; no email shows an identity number.
    let sent = d.sent().await;
    for party in &parties {
        let email = party["email"].as_str().expect("email");
        assert!(
            sent.iter()
                .any(|m| m["destinations"]["ToAddresses"][0] == email)
        );
    }
    for message in &sent {
        assert_no_id_number(&message.to_string(), "an email");
    }
    assert_eq!(d.stream_outbox().await, 0, "nothing left to deliver");
}
