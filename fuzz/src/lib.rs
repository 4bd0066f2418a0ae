//! What the fuzz targets and the seed maker share: the service as `hims serve`
//! runs it (local adapters in a temp dir, a fixed clock, a seeded random
//! source, so every run has the same keys), a deterministic test CA with one
//! signer, and the portal PDF and signature image the seeds start from.
//!
//! Everything here is built once per process; a failure to build it is a
//! broken harness, not a finding, so it panics with a plain message.

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use chrono::{DateTime, Duration, Utc};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use zeroize::Zeroizing;

use hims_esign::config::Settings;
use hims_esign::local::LocalRuntime;
use hims_esign::testing::{FixedClock, SeededRng};
use hims_espa::{Base, EspaDocument, SignatureSlot};
use hims_pdf::{Appearance, SignRequest, Trust};
use hims_pki::{LeafRequest, LeafSubject, SignerKeyPair};

pub const EKYC_SECRET: &str = "fuzz-ekyc-secret";
/// The service's "now" (and the test CA's issue time).
pub const START: &str = "2025-05-01T02:00:00Z";
/// The provisional serial the example agreement would carry.
pub const SERIAL: &str = "HIMS-20165-9-B-10-02-______";
/// Fixed so that the seeds' link token verifies under the keys every run makes.
const RNG_SEED: u64 = 0x5EED;

pub fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(START)
        .expect("valid START")
        .with_timezone(&Utc)
}

/// The whole HTTP surface on the local adapters, driven by one current-thread runtime.
pub struct Service {
    pub runtime: LocalRuntime,
    router: Router,
    tokio: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

/// One answer: status and body (JSON when it parses).
pub struct Reply {
    pub status: StatusCode,
    pub json: serde_json::Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or_default()
    }
}

impl Service {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let settings = Settings::local("https://hims.fuzz", "fuzz-portal-token", EKYC_SECRET);
        let runtime = LocalRuntime::open(
            dir.path(),
            settings,
            Arc::new(FixedClock::new(start())),
            Arc::new(SeededRng::new(RNG_SEED)),
        )
        .expect("open the local runtime");
        let router = runtime.router(hims_esign::local::OutboxAccess::PortalToken);
        let tokio = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("tokio runtime");
        Self {
            runtime,
            router,
            tokio,
            _dir: dir,
        }
    }

    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.tokio.block_on(future)
    }

    /// Sends one request through the router. No input may ever cause a 5xx
    /// or an error answer without the documented shape.
    pub fn call(&self, request: Request<Body>) -> Reply {
        let (status, bytes) = self.block_on(async {
            let response = self
                .router
                .clone()
                .oneshot(request)
                .await
                .expect("the router is infallible");
            let status = response.status();
            let bytes = response
                .into_body()
                .collect()
                .await
                .expect("response body")
                .to_bytes();
            (status, bytes)
        });
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        let reply = Reply { status, json };
        assert!(!status.is_server_error(), "{status}: {}", reply.json);
        if !status.is_success() {
            assert!(
                !reply.code().is_empty() && reply.json["error"]["message_ms"].is_string(),
                "{status} without the error shape: {}",
                reply.json
            );
        }
        reply
    }
}

pub fn service() -> &'static Service {
    static SERVICE: OnceLock<Service> = OnceLock::new();
    SERVICE.get_or_init(Service::new)
}

/// A CA and one signer, the same bytes every run (fixed keys, times and
/// serials; ECDSA is deterministic), so a committed signed seed stays trusted.
pub struct TestPki {
    pub ca_der: Vec<u8>,
    pub leaf_der: Vec<u8>,
    pub leaf_pkcs8: Zeroizing<Vec<u8>>,
    /// The signer certificate's serial, upper-case hex as `verify` reports it.
    pub leaf_serial: String,
}

impl TestPki {
    fn new() -> Self {
        let now = start();
        let ca_key = SignerKeyPair::from_random_bytes(&[0x11; 32]).expect("CA key");
        let ca_pending = hims_pki::prepare_ca_certificate(
            &ca_key.public_key_der().expect("CA public key"),
            [0x22; hims_pki::SERIAL_RANDOM_BYTES],
            now,
        )
        .expect("CA certificate");
        let ca_signature = ca_key.sign(ca_pending.tbs());
        let ca = ca_pending.finish(&ca_signature).expect("CA signature");
        let leaf_key = SignerKeyPair::from_random_bytes(&[0x33; 32]).expect("signer key");
        let leaf_public = leaf_key.public_key_der().expect("signer public key");
        let pending = hims_pki::prepare_leaf_certificate(
            &ca,
            &LeafRequest {
                subject: LeafSubject::Signer {
                    name: "AHMAD BIN ABDULLAH",
                    pseudonym: "HIMS-7Q2KX4MZ9TB3WD5N",
                    email: "ahmad@example.com",
                    country: Some("MY"),
                },
                public_key_der: &leaf_public,
                serial_random: [0x44; hims_pki::SERIAL_RANDOM_BYTES],
                crl_url: "https://hims.fuzz/crl",
                now,
                not_after: now + Duration::days(60),
            },
        )
        .expect("signer certificate");
        let leaf_signature = ca_key.sign(pending.tbs());
        let leaf = pending.finish(&leaf_signature).expect("signer signature");
        let leaf_serial = hex_upper(leaf.tbs_certificate().serial_number().as_bytes());
        Self {
            ca_der: hims_pki::certificate_to_der(&ca).expect("CA DER"),
            leaf_der: hims_pki::certificate_to_der(&leaf).expect("signer DER"),
            leaf_pkcs8: leaf_key.to_pkcs8_der().expect("signer PKCS#8"),
            leaf_serial,
        }
    }

    pub fn trust(&self) -> Trust {
        Trust {
            ca_der: self.ca_der.clone(),
            crl_der: None,
        }
    }

    /// Signs `field` of `pdf` with the test signer and the drawn `image`.
    pub fn sign(
        &self,
        pdf: &[u8],
        field: &str,
        image: hims_pdf::SignatureImage,
    ) -> Result<Vec<u8>, hims_pdf::PdfError> {
        hims_pdf::sign(
            pdf,
            &SignRequest {
                field_name: field.to_owned(),
                signer_cert_der: self.leaf_der.clone(),
                chain_der: vec![self.ca_der.clone()],
                pkcs8_key: self.leaf_pkcs8.clone(),
                appearance: Appearance {
                    name: "AHMAD BIN ABDULLAH".to_owned(),
                    masked_id: "No. KP: ********5678".to_owned(),
                    image,
                },
                signed_at: start() + Duration::hours(1),
            },
        )
    }
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

pub fn pki() -> &'static TestPki {
    static PKI: OnceLock<TestPki> = OnceLock::new();
    PKI.get_or_init(TestPki::new)
}

/// The example agreement's signature slots (what the app asks `first_revision` for).
pub fn slots() -> Vec<SignatureSlot> {
    EspaDocument::example().signature_slots()
}

/// A small one-page portal PDF (classic xref table, Flate content stream).
pub fn portal_pdf() -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.7");
    let pages = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let text = b"BT /F1 12 Tf 56 780 Td (Perjanjian Jual Beli - portal page 1) Tj ET".to_vec();
    let content = doc.add_object(Stream::new(lopdf::Dictionary::new(), text));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Contents" => content,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
    });
    doc.objects.insert(
        pages,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
        ),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
    doc.trailer.set("Root", catalog);
    doc.compress();
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save the portal PDF");
    out
}

/// Revision 1 of [`portal_pdf`]: one empty signature field per slot.
pub fn first_revision() -> &'static [u8] {
    static PDF: OnceLock<Vec<u8>> = OnceLock::new();
    PDF.get_or_init(|| {
        hims_espa::first_revision(Base::Portal(portal_pdf()), &slots(), SERIAL)
            .expect("first revision of the portal PDF")
    })
}

/// A small transparent PNG with a dark stroke, as the signer page draws it.
pub fn signature_png() -> Vec<u8> {
    let (width, height) = (120u32, 40u32);
    let mut rgba = vec![0u8; (width * height * 4) as usize];
    for x in 0..width {
        let y = (height / 2 + (x % 16) / 2).min(height - 1);
        let i = ((y * width + x) * 4) as usize;
        rgba[i..i + 4].copy_from_slice(&[10, 20, 120, 255]);
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("PNG header");
    writer.write_image_data(&rgba).expect("PNG data");
    drop(writer);
    out
}

/// The eKYC provider's callback body for the first signer of the example.
pub fn ekyc_body() -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "agreement_id": "agr_0e2cf435286f01a39e48c0dc3c34ff02",
        "party_id": "p1",
        "result": "approved",
        "reference": "EKYC-2025-000123",
    }))
    .expect("JSON")
}

/// A week after [`start`], unix seconds: a link expiry that is still open.
pub fn in_a_week() -> i64 {
    (start() + Duration::days(7)).timestamp()
}
