//! The public check behind the QR code: a serial's agreement, each signature
//! of its current revision checked against the CA and the current CRL, with
//! names masked. Unknown serials are simply not found. And `POST /verify`: the same check
//! on a copy someone was sent.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde::Serialize;
use subtle::ConstantTimeEq;

use super::repo::SerialEntry;
use super::{App, ca, document, layout, repo};
use crate::domain::{AgreementState, identity, malaysia_time};
use crate::error::{AppError, AppResult, ErrorKind};
use crate::ports::Keys;

/// Domain separation: the MAC key also signs link tokens and digests codes.
const LINK_KEY_PURPOSE: &[u8] = b"hims-verify-v1.";
/// Base64url characters of the MAC kept in the QR link: 96 bits.
const LINK_KEY_CHARS: usize = 16;

/// The `k` of a serial's QR link: a short MAC of the serial. Serials are
/// guessable (a counter per development and unit); the key is not, and only
/// a request with it sees the agreement's details.
pub async fn link_key(keys: &dyn Keys, serial: &str) -> AppResult<String> {
    let tag = keys
        .mac(&[LINK_KEY_PURPOSE, serial.as_bytes()].concat())
        .await?;
    Ok(B64URL.encode(tag)[..LINK_KEY_CHARS].to_owned())
}

/// The QR code's target: `/verify/{serial}?k=<link key>`.
pub async fn verify_url(app: &App, serial: &str) -> AppResult<String> {
    let key = link_key(app.ports.keys.as_ref(), serial).await?;
    Ok(format!(
        "{}/verify/{serial}?k={key}",
        app.settings.public_url
    ))
}

async fn key_is_valid(app: &App, serial: &str, k: Option<&str>) -> AppResult<bool> {
    let Some(given) = k.filter(|k| k.len() == LINK_KEY_CHARS) else {
        return Ok(false);
    };
    let expected = link_key(app.ports.keys.as_ref(), serial).await?;
    Ok(bool::from(expected.as_bytes().ct_eq(given.as_bytes())))
}

/// Verifications of stored revisions by revision hash and the CRL's list of
/// revoked serials: `GET /verify/{serial}` checks a PDF again only when a
/// revision was added or a revocation changed what the CRL says. (A
/// verification is a pure function of the PDF, the CA and the revocations.)
#[derive(Default)]
pub struct VerifyCache {
    entries: Mutex<HashMap<(String, String), Arc<hims_pdf::Report>>>,
    verifications: AtomicU64,
}

/// Past this many entries the cache starts again (one per revision, small).
const CACHE_ENTRIES: usize = 4096;

impl VerifyCache {
    /// How many PDFs were verified because the cache did not have them.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    fn get(&self, key: &(String, String)) -> Option<Arc<hims_pdf::Report>> {
        self.entries.lock().ok()?.get(key).cloned()
    }

    fn put(&self, key: (String, String), report: Arc<hims_pdf::Report>) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CACHE_ENTRIES {
                entries.clear();
            }
            entries.insert(key, report);
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SignatureCheck {
    /// e.g. "Pembeli"; empty when the field belongs to no party.
    pub role: String,
    /// Masked, e.g. "N** A**** b**** A*******".
    pub signer: String,
    /// Malaysia time, dd/mm/yyyy HH:MM (as the party acted), else the signature's own /M.
    pub signed_at: String,
    pub intact: bool,
    pub trusted: bool,
    pub revoked: bool,
    /// Intact, trusted, not revoked and followed by allowed changes only.
    pub valid: bool,
    pub long_term: LongTermView,
}

/// A signature's long-term evidence (PAdES level, its timestamp, the DSS).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LongTermView {
    /// `B-B`, `B-T`, `B-LT` or `B-LTA`.
    pub level: String,
    /// The signature timestamp's time, Malaysia time dd/mm/yyyy HH:MM; empty without one.
    pub timestamped_at: String,
    /// The name of the timestamp authority that made it; empty without one.
    pub tsa: String,
    /// The timestamp checks out and its TSA chains to our CA.
    pub timestamp_valid: bool,
    /// Validates from what the file embeds alone (chain, timestamp, DSS CRLs): no server needed.
    pub validates_offline: bool,
}

impl From<&hims_pdf::LongTermReport> for LongTermView {
    fn from(report: &hims_pdf::LongTermReport) -> Self {
        let timestamp = report.timestamp.as_ref();
        Self {
            level: report.level.as_str().to_owned(),
            timestamped_at: timestamp
                .and_then(|t| t.time)
                .map(malaysia_time)
                .unwrap_or_default(),
            tsa: timestamp
                .and_then(|t| t.tsa_name.clone())
                .unwrap_or_default(),
            timestamp_valid: timestamp.is_some_and(|t| t.valid() && !t.revoked),
            validates_offline: report.validates_offline,
        }
    }
}

/// A serial's report. Without the QR link's key only `serial`, `state` and
/// `details: false` are given: the rest is for holders of the link.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerifyReport {
    pub serial: String,
    #[schema(value_type = String)]
    pub state: AgreementState,
    /// Whether the request had the link's key `k` and so gets the details below.
    pub details: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub developer_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signatures: Option<Vec<SignatureCheck>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all_valid: Option<bool>,
}

fn not_found() -> AppError {
    AppError::not_found("serial_not_found")
}

fn plausible(serial: &str) -> bool {
    (1..=64).contains(&serial.len())
        && serial
            .chars()
            .all(|c| hims_espa::SERIAL_CHARSET.contains(c))
}

/// The agreement a published serial names.
async fn record_of(app: &App, serial: &str) -> AppResult<repo::AgreementRecord> {
    if !plausible(serial) {
        return Err(not_found());
    }
    let store = app.ports.store.as_ref();
    let entry: SerialEntry = match store.get(&layout::serial(serial)).await? {
        Some(item) => serde_json::from_value(item.data).map_err(|_| not_found())?,
        None => return Err(not_found()),
    };
    Ok(repo::load(store, &entry.agreement_id).await?.record)
}

/// Our CA and its current CRL.
async fn trust(app: &App) -> AppResult<hims_pdf::Trust> {
    Ok(hims_pdf::Trust {
        ca_der: hims_pki::certificate_to_der(&ca::ca_certificate(app).await?)
            .map_err(ca::pki_failed)?,
        crl_der: Some(ca::current_crl(app).await?),
    })
}

fn is_valid(s: &hims_pdf::SignatureReport) -> bool {
    s.intact
        && s.trusted
        && !s.revoked
        && s.modification <= hims_pdf::ModificationLevel::FormFilling
        && s.long_term.sound()
}

/// The verification of a stored revision, from the cache when the revision
/// and the CRL's revocations are the same as when it was made.
async fn checked_revision(
    app: &App,
    revision: &repo::Revision,
) -> AppResult<Arc<hims_pdf::Report>> {
    let trust = trust(app).await?;
    let revoked = trust
        .crl_der
        .as_deref()
        .and_then(|der| hims_pki::crl_from_der(der).ok())
        .map(|crl| {
            let mut serials = hims_pki::revoked_serials(&crl);
            serials.sort();
            serials.join(",")
        })
        .unwrap_or_default();
    let key = (revision.sha256.clone(), revoked);
    if let Some(report) = app.verify_cache.get(&key) {
        return Ok(report);
    }
    let pdf = app.ports.blobs.get(&revision.blob_key).await?;
    let checked = tokio::task::spawn_blocking(move || hims_pdf::verify(&pdf, &trust))
        .await
        .map_err(|_| AppError::internal("verify_failed"))?
        .map_err(|e| {
            tracing::error!(error = %e, "stored revision does not verify");
            AppError::internal("verify_failed")
        })?;
    app.verify_cache
        .verifications
        .fetch_add(1, Ordering::Relaxed);
    let checked = Arc::new(checked);
    app.verify_cache.put(key, checked.clone());
    Ok(checked)
}

/// `GET /verify/{serial}`: the agreement and its signatures for a request
/// with the QR link's key `k`, else only that the serial exists and its state.
pub async fn report(app: &App, serial: &str, k: Option<&str>) -> AppResult<VerifyReport> {
    let record = record_of(app, serial).await?;
    let agreement = &record.agreement;
    if !key_is_valid(app, serial, k).await? {
        return Ok(VerifyReport {
            serial: agreement.serial_display(),
            state: agreement.state,
            details: false,
            project_code: None,
            project_name: None,
            developer_name: None,
            unit: None,
            revision: None,
            document_sha256: None,
            signatures: None,
            all_valid: None,
        });
    }
    let revision = record.current_revision().cloned().ok_or_else(not_found)?;
    let checked = checked_revision(app, &revision).await?;
    let signatures = checked
        .signatures
        .iter()
        .map(|s| {
            let party = agreement
                .parties
                .iter()
                .find(|p| document::field_name(p) == s.field_name);
            let valid = is_valid(s);
            SignatureCheck {
                role: party
                    .map(|p| super::notices::salutation(p.role).to_owned())
                    .unwrap_or_default(),
                signer: identity::mask_name(
                    party
                        .map(|p| p.name.as_str())
                        .or(s.signer_cn.as_deref())
                        .unwrap_or_default(),
                ),
                signed_at: party
                    .and_then(|p| p.acted_at)
                    .map(malaysia_time)
                    .or_else(|| s.signing_time.clone())
                    .unwrap_or_default(),
                intact: s.intact,
                trusted: s.trusted,
                revoked: s.revoked,
                valid,
                long_term: (&s.long_term).into(),
            }
        })
        .collect();
    Ok(VerifyReport {
        serial: agreement.serial_display(),
        state: agreement.state,
        details: true,
        project_code: Some(agreement.project_code.clone()),
        project_name: Some(agreement.project_name.clone()),
        developer_name: Some(agreement.developer_name.clone()),
        unit: Some(agreement.unit.clone()),
        revision: Some(revision.number),
        document_sha256: Some(revision.sha256),
        all_valid: Some(checked.all_valid()),
        signatures: Some(signatures),
    })
}

/// The largest copy `POST /verify` takes. API Gateway hands Lambda at most 6 MB and sends a
/// binary body base64-encoded (4/3 larger): 4 MiB of PDF is 5.6 MB on the wire.
pub const UPLOAD_MAX_BYTES: usize = 4 * 1024 * 1024;

/// What the revisions after a signature changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Modification {
    /// The signature covers the whole file.
    None,
    /// Only later signatures were added.
    FormFilling,
    /// Anything else: content, annotations, fonts, objects removed or re-pointed.
    Other,
}

impl From<hims_pdf::ModificationLevel> for Modification {
    fn from(level: hims_pdf::ModificationLevel) -> Self {
        match level {
            hims_pdf::ModificationLevel::None => Self::None,
            hims_pdf::ModificationLevel::FormFilling => Self::FormFilling,
            hims_pdf::ModificationLevel::Other => Self::Other,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UploadedSignature {
    pub field: String,
    /// The party's role when the copy is of one of our agreements and the signature is one of
    /// our certificates; else empty.
    pub role: String,
    /// The certificate's name, masked.
    pub signer: String,
    /// Malaysia time, dd/mm/yyyy HH:MM, from the signature's own /M.
    pub signed_at: String,
    pub intact: bool,
    pub trusted: bool,
    pub revoked: bool,
    pub modification: Modification,
    pub covers_whole_file: bool,
    /// Intact, trusted, not revoked, followed by signatures only, and no fault in its
    /// long-term evidence (timestamp, DSS).
    pub valid: bool,
    pub long_term: LongTermView,
}

/// How the copy relates to what we store for its serial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CopyMatch {
    /// Byte for byte our current revision.
    Current,
    /// Byte for byte one of our earlier revisions.
    Earlier,
    /// One of our revisions with more bytes appended after it.
    Extended,
    /// None of our revisions.
    Different,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredAgreement {
    pub serial: String,
    pub project_code: String,
    pub project_name: String,
    pub developer_name: String,
    pub unit: String,
    #[schema(value_type = String)]
    pub state: AgreementState,
    pub current_revision: u32,
    pub copy_matches: CopyMatch,
    /// The revision the copy is (or starts with), if any.
    pub matching_revision: Option<u32>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UploadReport {
    pub sha256: String,
    pub size: usize,
    pub signatures: Vec<UploadedSignature>,
    /// At least one signature and every one valid.
    pub all_valid: bool,
    /// Given when the request names a serial we published.
    pub agreement: Option<StoredAgreement>,
}

/// Where the copy stands against our revisions, by SHA-256 of the whole copy and of each of
/// its own revisions.
fn copy_match(pdf: &[u8], record: &repo::AgreementRecord) -> (CopyMatch, Option<u32>) {
    let whole = document::sha256_hex(pdf);
    let current = record.current_revision().map(|r| r.number);
    let stored = |sha: &str| {
        record
            .revisions
            .iter()
            .find(|r| r.sha256.eq_ignore_ascii_case(sha))
            .map(|r| r.number)
    };
    if let Some(number) = stored(&whole) {
        let kind = if Some(number) == current {
            CopyMatch::Current
        } else {
            CopyMatch::Earlier
        };
        return (kind, Some(number));
    }
    let prefix = hims_pdf::revision_ends(pdf)
        .into_iter()
        .rev()
        .filter(|&end| end < pdf.len())
        .find_map(|end| stored(&document::sha256_hex(&pdf[..end])));
    match prefix {
        Some(number) => (CopyMatch::Extended, Some(number)),
        None => (CopyMatch::Different, None),
    }
}

fn signed_at(m: Option<&str>) -> String {
    m.and_then(hims_pdf::pdf_date_unix)
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(malaysia_time)
        .or_else(|| m.map(str::to_owned))
        .unwrap_or_default()
}

/// `POST /verify`: each signature of an uploaded copy against our CA and current CRL, and,
/// when `serial` names one of our agreements, how the copy relates to our revisions.
pub async fn check_copy(app: &App, pdf: Vec<u8>, serial: Option<&str>) -> AppResult<UploadReport> {
    if pdf.len() > UPLOAD_MAX_BYTES {
        return Err(AppError::new(
            ErrorKind::PayloadTooLarge,
            "verify_pdf_too_large",
        ));
    }
    // The header may come after up to 1 KiB of other bytes, as readers accept.
    let head = &pdf[..pdf.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(AppError::unprocessable("pdf_not_a_pdf"));
    }
    let record = match serial.map(str::trim).filter(|s| !s.is_empty()) {
        Some(serial) => match record_of(app, serial).await {
            Ok(record) => Some(record),
            Err(e) if e.kind == ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let trust = trust(app).await?;
    let (pdf, checked) = tokio::task::spawn_blocking(move || {
        let checked = hims_pdf::verify(&pdf, &trust);
        (pdf, checked)
    })
    .await
    .map_err(|e| {
        // A parser panic on a hostile file is the file's fault, not ours.
        tracing::warn!(error = %e, "verifying an uploaded copy panicked");
        AppError::unprocessable("pdf_corrupt")
    })?;
    let checked = checked.map_err(|e| match e {
        hims_pdf::PdfError::Malformed(_) | hims_pdf::PdfError::Encrypted => {
            AppError::unprocessable("pdf_corrupt")
        }
        hims_pdf::PdfError::TooComplex => AppError::unprocessable("pdf_too_complex"),
        e => {
            tracing::error!(error = %e, "trust material unusable");
            AppError::internal("verify_failed")
        }
    })?;
    let parties = record.as_ref().map(|r| r.agreement.parties.as_slice());
    let signatures = checked
        .signatures
        .iter()
        .map(|s| {
            let party = parties
                .into_iter()
                .flatten()
                .find(|p| s.trusted && document::field_name(p) == s.field_name);
            UploadedSignature {
                field: s.field_name.clone(),
                role: party
                    .map(|p| super::notices::salutation(p.role).to_owned())
                    .unwrap_or_default(),
                signer: identity::mask_name(s.signer_cn.as_deref().unwrap_or_default()),
                signed_at: signed_at(s.signing_time.as_deref()),
                intact: s.intact,
                trusted: s.trusted,
                revoked: s.revoked,
                modification: s.modification.into(),
                covers_whole_file: s.covers_whole_file,
                valid: is_valid(s),
                long_term: (&s.long_term).into(),
            }
        })
        .collect();
    let agreement = record.map(|record| {
        let (copy_matches, matching_revision) = copy_match(&pdf, &record);
        let a = &record.agreement;
        StoredAgreement {
            serial: a.serial_display(),
            project_code: a.project_code.clone(),
            project_name: a.project_name.clone(),
            developer_name: a.developer_name.clone(),
            unit: a.unit.clone(),
            state: a.state,
            current_revision: record.current_revision().map_or(0, |r| r.number),
            copy_matches,
            matching_revision,
        }
    });
    Ok(UploadReport {
        sha256: document::sha256_hex(&pdf),
        size: pdf.len(),
        all_valid: checked.all_valid(),
        signatures,
        agreement,
    })
}
