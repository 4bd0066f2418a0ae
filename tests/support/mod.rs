//! The HTTP test harness: a [`LocalRuntime`] in a temp dir on a [`FixedClock`]
//! and a [`SeededRng`], requests through `tower::ServiceExt::oneshot` on its
//! router, the FLOW.md example agreement, signed eKYC callbacks and the outbox.
//!
//! Every response that passes through [`Harness::call`] is checked for the two
//! things no request may ever cause: a 500, and an IC number in the clear.

// Each test binary uses part of the harness.
#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use chrono::{DateTime, Duration, Utc};
use http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use hims_esign::adapters::faulty::FaultPlan;
use hims_esign::adapters::local::OutboxEmail;
use hims_esign::app::{hmac_sig, outbox};
use hims_esign::config::Settings;
use hims_esign::local::LocalRuntime;
use hims_esign::ports::Clock;
use hims_esign::testing::{FixedClock, SeededRng};

pub const PORTAL_TOKEN: &str = "portal-test-token";
/// The `Authorization` header the portal sends.
pub const PORTAL_AUTH: (&str, &str) = ("authorization", "Bearer portal-test-token");
pub const EKYC_SECRET: &str = "ekyc-test-secret";
pub const PUBLIC_URL: &str = "https://hims.test";
/// The tests' "now": 1 May 2025, 10:00 in Malaysia.
pub const START: &str = "2025-05-01T02:00:00Z";
/// Small enough that the oversized-body tests stay fast.
pub const MAX_BODY: usize = 256 * 1024;

/// The example parties' MyKad numbers; none may appear in a response.
pub const IC_NUMBERS: [&str; 4] = [
    "900101-14-5678",
    "880505-10-1234",
    "750312-08-4321",
    "820220-01-2468",
];

pub struct Harness {
    pub runtime: LocalRuntime,
    pub clock: Arc<FixedClock>,
    /// Every port goes through it when set (see `Harness::open_in`), and
    /// the portal's webhook endpoint is a stub: a 503 is allowed once a fault fired.
    pub faults: Option<Arc<FaultPlan>>,
    router: Router,
    dir: tempfile::TempDir,
}

/// One answer, body kept as bytes and (when it parses) as JSON.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
    pub json: Value,
}

impl Reply {
    /// `error.code` of an error answer ("" when there is none).
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or_default()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// Asserts the documented error shape: status, code, both messages.
    #[track_caller]
    pub fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "body: {}",
            self.text()
        );
        let error = &self.json["error"];
        for key in ["message", "message_ms"] {
            assert!(
                error[key].as_str().is_some_and(|m| !m.is_empty()),
                "{key} missing: {}",
                self.text()
            );
        }
    }
}

impl Harness {
    pub fn new() -> Self {
        Self::with_settings(|_| {})
    }

    pub fn with_settings(adjust: impl FnOnce(&mut Settings)) -> Self {
        let clock = FixedClock::at_rfc3339(START);
        let dir = tempfile::tempdir().expect("temp dir");
        Self::open_in(dir, clock.now(), 7, None, adjust)
    }

    /// The runtime on the data folder `dir` (a fresh or a copied one), its
    /// clock at `at`, its Rng seeded with `seed`, every port behind `faults` if given.
    pub fn open_in(
        dir: tempfile::TempDir,
        at: DateTime<Utc>,
        seed: u64,
        faults: Option<Arc<FaultPlan>>,
        adjust: impl FnOnce(&mut Settings),
    ) -> Self {
        let clock = Arc::new(FixedClock::new(at));
        let mut settings = Settings::local(PUBLIC_URL, PORTAL_TOKEN, EKYC_SECRET);
        settings.max_body_bytes = MAX_BODY;
        adjust(&mut settings);
        let mut runtime = LocalRuntime::open(
            dir.path(),
            settings,
            clock.clone(),
            Arc::new(SeededRng::new(seed)),
        )
        .expect("open runtime");
        if let Some(plan) = &faults {
            runtime.app.webhooks = Arc::new(AcceptingPortal);
            runtime.inject_faults(plan);
        }
        let router = runtime.router(hims_esign::local::OutboxAccess::PortalToken);
        Self {
            runtime,
            clock,
            faults,
            router,
            dir,
        }
    }

    /// Puts `wrap(store)` in place of the store, for the requests sent from now on.
    pub fn wrap_store(
        &mut self,
        wrap: impl FnOnce(Arc<dyn hims_esign::ports::Store>) -> Arc<dyn hims_esign::ports::Store>,
    ) {
        let store = wrap(self.runtime.app.ports.store.clone());
        self.runtime.app.ports.store = store;
        self.router = self
            .runtime
            .router(hims_esign::local::OutboxAccess::PortalToken);
    }

    /// Closes the runtime; its data folder and the clock's time, to open again.
    pub fn close(self) -> (tempfile::TempDir, DateTime<Utc>) {
        let at = self.now();
        let Self { dir, .. } = self;
        (dir, at)
    }

    /// The data folder (SQLite, blobs, outbox, keys).
    pub fn data_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.runtime.app.now()
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// Sends one request; `body` goes as is (use [`Harness::json`] helpers for JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Reply {
        let mut request = Request::builder().method(method.clone()).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(body.into()).expect("request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible router");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let reply = Reply {
            status,
            headers,
            bytes,
            json,
        };
        let injected = self.faults.as_ref().is_some_and(|f| f.fired().is_some())
            && reply.status == StatusCode::SERVICE_UNAVAILABLE;
        assert!(
            !reply.status.is_server_error()
                || reply.status == StatusCode::NOT_IMPLEMENTED
                || injected,
            "{method} {path} answered {}: {}",
            reply.status,
            reply.text()
        );
        assert_no_ic_number(&reply.bytes, &format!("{method} {path}"));
        reply
    }

    /// A portal request (bearer token; JSON body when given).
    pub async fn portal(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let auth = format!("Bearer {PORTAL_TOKEN}");
        match body {
            Some(body) => {
                let headers = [
                    ("authorization", auth.as_str()),
                    ("content-type", "application/json"),
                ];
                self.call(method, path, &headers, body.to_string()).await
            }
            None => {
                self.call(method, path, &[("authorization", &auth)], Body::empty())
                    .await
            }
        }
    }

    /// `POST /v1/agreements` with an optional `Idempotency-Key`.
    pub async fn create(&self, request: &Value, idempotency_key: Option<&str>) -> Reply {
        let auth = format!("Bearer {PORTAL_TOKEN}");
        let mut headers = vec![
            ("authorization", auth.as_str()),
            ("content-type", "application/json"),
        ];
        if let Some(key) = idempotency_key {
            headers.push(("idempotency-key", key));
        }
        self.call(
            Method::POST,
            "/v1/agreements",
            &headers,
            request.to_string(),
        )
        .await
    }

    /// Creates the example agreement and returns its view.
    pub async fn create_example(&self) -> Value {
        let reply = self.create(&example_request(self.now()), None).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        reply.json
    }

    /// Posts an eKYC callback signed with the eKYC secret at the clock's time.
    pub async fn ekyc(&self, agreement_id: &str, party_id: &str, result: &str) -> Reply {
        let body = ekyc_body(agreement_id, party_id, result);
        self.ekyc_raw(&body, EKYC_SECRET, self.now().timestamp())
            .await
    }

    /// Posts `body` signed with `secret` as of `timestamp`.
    pub async fn ekyc_raw(&self, body: &str, secret: &str, timestamp: i64) -> Reply {
        let signature = hmac_sig::sign(secret.as_bytes(), timestamp, body.as_bytes());
        let timestamp = timestamp.to_string();
        let headers = [
            ("content-type", "application/json"),
            (hmac_sig::SIGNATURE_HEADER, signature.as_str()),
            (hmac_sig::TIMESTAMP_HEADER, timestamp.as_str()),
        ];
        self.call(Method::POST, "/v1/ekyc/callback", &headers, body.to_owned())
            .await
    }

    /// Delivers what is due now.
    pub async fn deliver(&self) -> outbox::DeliveryReport {
        let app = &self.runtime.app;
        outbox::deliver_due(&app.ports, &app.settings, app.webhooks.as_ref(), self.now())
            .await
            .expect("deliver outbox")
    }

    /// Delivers the outbox, then every email "sent" so far, oldest first.
    pub async fn emails(&self) -> Vec<OutboxEmail> {
        self.deliver().await;
        let mut emails = self.runtime.mailer.list().await.expect("list outbox");
        emails.reverse();
        for email in &emails {
            let all = format!("{}{}{}", email.subject, email.text, email.html);
            assert_no_ic_number(all.as_bytes(), &format!("email to {}", email.to));
        }
        emails
    }

    /// A signer's request with the link token as bearer.
    pub async fn signer(&self, method: Method, path: &str, token: &str) -> Reply {
        let auth = format!("Bearer {token}");
        self.call(method, path, &[("authorization", &auth)], Body::empty())
            .await
    }
}

/// The portal's webhook endpoint under fault tests: takes every event (the
/// fault plan records which were handed over).
struct AcceptingPortal;

#[async_trait::async_trait]
impl hims_esign::ports::WebhookClient for AcceptingPortal {
    async fn post(&self, _: &str, _: &[(&str, String)], _: &[u8]) -> Result<u16, String> {
        Ok(200)
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

/// The eKYC provider's callback body.
pub fn ekyc_body(agreement_id: &str, party_id: &str, result: &str) -> String {
    json!({
        "agreement_id": agreement_id,
        "party_id": party_id,
        "result": result,
        "reference": format!("idsaya-{party_id}-{result}"),
    })
    .to_string()
}

/// Fails when `bytes` hold any example IC number, with or without dashes.
#[track_caller]
pub fn assert_no_ic_number(bytes: &[u8], what: &str) {
    for ic in IC_NUMBERS {
        let bare = ic.replace('-', "");
        for needle in [ic, bare.as_str()] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{what} shows an IC number in the clear"
            );
        }
    }
}

/// FLOW.md's example: PARKLAND AVENUE (20165-9), unit B-10-02; two purchasers,
/// the developer's signatory and the landowner's witness (who reviews), in
/// orders 1, 2, 3, 4. The witness's deadline is 31/05/2025 10:17 Malaysia time.
pub fn example_request(now: DateTime<Utc>) -> Value {
    let party = |role: &str, name: &str, ic: &str, email: &str, order: u32, action: &str, days| {
        json!({
            "role": role, "name": name, "id_type": "mykad", "id_number": ic,
            "email": email, "order": order, "action": action,
            "deadline": now + Duration::days(days),
        })
    };
    let mut witness = party(
        "landowner_witness",
        "Lim Mei Ling",
        IC_NUMBERS[3],
        "saksi@example.my",
        4,
        "review",
        0,
    );
    witness["deadline"] = json!("2025-05-31T02:17:00Z");
    json!({
        "project_code": "20165-9",
        "project_name": "PARKLAND AVENUE",
        "developer_name": "PARKLAND AVENUE SDN. BHD.",
        "unit": "B-10-02",
        "document": {
            "template": "espa",
            "fields": {
                "unit_type": "Kondominium (3 bilik tidur, 2 bilik air)",
                "built_up_area_sqm": 110,
                "price_sen": 65_000_000u64,
            }
        },
        "parties": [
            party("purchaser", "Nur Aisyah binti Abdullah", IC_NUMBERS[0], "aisyah@example.my", 1, "sign", 10),
            party("purchaser", "Tan Wei Ming", IC_NUMBERS[1], "weiming@example.my", 2, "sign", 14),
            party("developer_signatory", "Ahmad bin Ismail", IC_NUMBERS[2], "ahmad@parkland.example.my", 3, "sign", 20),
            witness,
        ]
    })
}

/// Party ids of an agreement view, in order.
pub fn party_ids(view: &Value) -> Vec<String> {
    view["parties"]
        .as_array()
        .expect("parties")
        .iter()
        .map(|p| p["id"].as_str().expect("party id").to_owned())
        .collect()
}

/// The `/s/<token>` token in an email's text.
pub fn link_token(email: &OutboxEmail) -> String {
    let marker = format!("{PUBLIC_URL}/s/");
    let start = email
        .text
        .find(&marker)
        .unwrap_or_else(|| panic!("no signer link in {:?}", email.subject))
        + marker.len();
    email.text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect()
}

pub fn header(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A link token for every party of an agreement view, each expiring with its
/// party's deadline (what the emailed links carry).
pub async fn link_tokens(h: &Harness, view: &Value) -> Vec<String> {
    use hims_esign::app::link::{self, LinkClaims};
    use hims_esign::domain::{AgreementId, PartyId};
    let agreement = view["id"].as_str().expect("id");
    let mut tokens = Vec::new();
    for (i, party) in party_ids(view).iter().enumerate() {
        let deadline: DateTime<Utc> =
            serde_json::from_value(view["parties"][i]["deadline"].clone()).expect("deadline");
        let claims = LinkClaims {
            agreement: AgreementId(agreement.to_owned()),
            party: PartyId(party.clone()),
            expires: deadline.timestamp(),
        };
        let keys = h.runtime.app.ports.keys.as_ref();
        tokens.push(link::issue(keys, &claims).await.expect("token"));
    }
    tokens
}
