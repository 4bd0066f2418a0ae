//! Our own timestamp authority (RFC 3161). Its key is separate from the CA's
//! (`Keys::tsa_sign`: KMS in AWS, a key file locally); its certificate is
//! issued by our CA for timeStamping only, stored like the CA's, and renewed
//! on first use once less than [`TSA_CERT_RENEW_BEFORE`] of it is left (or
//! when the TSA key changed), so every token's certificate has at least that
//! long to live — the archive step re-timestamps well before.
//!
//! [`OwnTsa`] is the default `Timestamper`; [`respond`] serves `POST /tsa`.

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, TimeDelta, Utc};
use hims_pki::{self as pki, Certificate};
use hims_tsp::{self as tsp, Accuracy, FailureInfo, Rejection, TimeStampReq, TokenParams};
use serde::{Deserialize, Serialize};

use super::ca::{ca_certificate_in, pki_failed};
use super::layout;
use crate::error::{AppError, AppResult};
use crate::ports::{Condition, Item, Ports, StoreError, TimestampError, Timestamper, Write};

/// How long a TSA certificate is issued for.
pub const TSA_CERT_VALIDITY: TimeDelta = TimeDelta::days(3 * 365);
/// A TSA certificate with less than this left is replaced before use.
pub const TSA_CERT_RENEW_BEFORE: TimeDelta = TimeDelta::days(365);
/// The accuracy every token states: genTime is our clock ± this.
pub const ACCURACY_SECONDS: u32 = 1;

#[derive(Serialize, Deserialize)]
struct TsaRecord {
    certificate_der: String,
    not_after: DateTime<Utc>,
}

fn unreadable() -> AppError {
    AppError::internal("stored_record_unreadable")
}

/// The TSA certificate to stamp with now, issued or renewed when needed.
pub async fn tsa_certificate(ports: &Ports, public_url: &str) -> AppResult<Certificate> {
    let store = ports.store.as_ref();
    let now = ports.clock.now();
    let public_key = ports.keys.tsa_public_key().await?;
    let stored = store.get(&layout::tsa_certificate()).await?;
    let mut usable = None;
    if let Some(item) = &stored {
        let (certificate, record) = parse(item)?;
        let info = pki::CertificateInfo::of(&certificate).map_err(pki_failed)?;
        if info.public_key_der == public_key {
            if record.not_after - now > TSA_CERT_RENEW_BEFORE {
                return Ok(certificate);
            }
            if record.not_after > now {
                usable = Some(certificate);
            }
        }
    }
    match renew(ports, public_url, stored.as_ref(), &public_key).await {
        Ok(certificate) => Ok(certificate),
        // Renewal needs the CA key, which only some functions may use (the
        // expiry sweep renews on schedule); until then the current one serves.
        Err(e) => usable.ok_or(e),
    }
}

async fn renew(
    ports: &Ports,
    public_url: &str,
    stored: Option<&Item>,
    public_key: &[u8],
) -> AppResult<Certificate> {
    let store = ports.store.as_ref();
    let now = ports.clock.now();
    let ca = ca_certificate_in(ports).await?;
    let ca_not_after = pki::CertificateInfo::of(&ca).map_err(pki_failed)?.not_after;
    let not_after = (now + TSA_CERT_VALIDITY).min(ca_not_after);
    let crl_url = format!("{public_url}/crl");
    let pending = pki::prepare_tsa_certificate(
        &ca,
        &pki::TsaRequest {
            public_key_der: public_key,
            serial_random: ports.rng.bytes(),
            crl_url: &crl_url,
            now,
            not_after,
        },
    )
    .map_err(pki_failed)?;
    let signature = ports.keys.ca_sign(pending.tbs()).await?;
    let certificate = pending.finish(&signature).map_err(pki_failed)?;
    let record = TsaRecord {
        certificate_der: B64.encode(pki::certificate_to_der(&certificate).map_err(pki_failed)?),
        not_after,
    };
    let put = Write::Put {
        item: Item::new(
            layout::tsa_certificate(),
            serde_json::to_value(record).map_err(|_| unreadable())?,
        ),
        condition: stored.as_ref().map_or(Condition::NotExists, |item| {
            Condition::Version(item.version)
        }),
    };
    match store.transact(vec![put]).await {
        Ok(()) => {
            tracing::info!(not_after = %not_after, "TSA certificate issued");
            Ok(certificate)
        }
        // Another request renewed it first: theirs is the one.
        Err(StoreError::ConditionFailed { .. } | StoreError::Conflict) => {
            let item = store
                .get(&layout::tsa_certificate())
                .await?
                .ok_or_else(unreadable)?;
            parse(&item).map(|(certificate, _)| certificate)
        }
        Err(e) => Err(e.into()),
    }
}

fn parse(item: &Item) -> AppResult<(Certificate, TsaRecord)> {
    let record: TsaRecord = serde_json::from_value(item.data.clone()).map_err(|_| unreadable())?;
    let der = B64
        .decode(&record.certificate_der)
        .map_err(|_| unreadable())?;
    let certificate = pki::certificate_from_der(&der).map_err(|_| unreadable())?;
    Ok((certificate, record))
}

/// The timestamp authority of this deployment, over the ports.
#[derive(Clone)]
pub struct OwnTsa {
    ports: Ports,
    public_url: String,
}

impl OwnTsa {
    pub fn new(ports: Ports, public_url: &str) -> Self {
        Self {
            ports,
            public_url: public_url.to_owned(),
        }
    }

    /// A token (ContentInfo DER) for a checked request.
    pub async fn issue(&self, request: &TimeStampReq) -> AppResult<Vec<u8>> {
        let certificate = tsa_certificate(&self.ports, &self.public_url).await?;
        let params = TokenParams {
            tsa_certificate: &certificate,
            policy: tsp::oid::DEFAULT_POLICY,
            serial_random: self.ports.rng.bytes(),
            gen_time: self.ports.clock.now(),
            accuracy: Accuracy {
                seconds: Some(ACCURACY_SECONDS),
                millis: None,
                micros: None,
            },
        };
        let pending = tsp::prepare_token(request, &params).map_err(tsp_failed)?;
        let signature = self
            .ports
            .keys
            .tsa_sign(pending.signed_attributes())
            .await?;
        pending.finish(&signature).map_err(tsp_failed)
    }
}

fn tsp_failed(e: tsp::TspError) -> AppError {
    tracing::error!(error = %e, "timestamp token could not be made");
    AppError::internal("timestamp_failed")
}

#[async_trait]
impl Timestamper for OwnTsa {
    async fn timestamp(&self, sha256_digest: &[u8; 32]) -> Result<Vec<u8>, TimestampError> {
        let nonce = tsp::nonce_from_random(self.ports.rng.bytes());
        let request = tsp::timestamp_request(sha256_digest, nonce)
            .map_err(|e| TimestampError::BadToken(e.to_string()))?;
        // No `tsp::verify_token` here: `issue` put this request's imprint and
        // nonce in the token, under our timeStamping certificate, and its
        // `finish` verified the signature; a second ECDSA verification of our
        // own token was a sixth of a signature's CPU (issue 15).
        self.issue(&request)
            .await
            .map_err(|e| TimestampError::Unavailable(e.code.to_owned()))
    }
}

/// The body of the answer to `POST /tsa`: always a TimeStampResp. A request
/// we will not stamp gets `rejection` with its failure bit; a failure of ours
/// (KMS or the store down) gets `rejection` / systemFailure, which RFC 3161
/// clients understand, rather than an HTTP error they might not.
/// A `rejection` TimeStampResp for a refusal made before parsing.
pub fn rejection(rejection: &Rejection) -> AppResult<Vec<u8>> {
    tsp::rejection_response(rejection).map_err(tsp_failed)
}

pub async fn respond(tsa: &OwnTsa, body: &[u8]) -> AppResult<Vec<u8>> {
    let answer = match tsp::parse_request(body, tsp::oid::DEFAULT_POLICY) {
        Err(rejection) => tsp::rejection_response(&rejection),
        Ok(request) => match tsa.issue(&request).await {
            Ok(token) => tsp::granted_response(&token),
            Err(e) => {
                tracing::warn!(code = e.code, "timestamp request failed");
                tsp::rejection_response(&Rejection::new(
                    FailureInfo::SystemFailure,
                    "the timestamp authority is unavailable; try again",
                ))
            }
        },
    };
    answer.map_err(tsp_failed)
}

/// A timestamp from the configured `Timestamper`; when none can be had the
/// caller's request fails with 503 `timestamp_unavailable` (retryable).
pub async fn timestamp(app: &super::App, sha256_digest: &[u8; 32]) -> AppResult<Vec<u8>> {
    app.timestamper()
        .timestamp(sha256_digest)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "no timestamp");
            AppError::new(
                crate::error::ErrorKind::Unavailable,
                "timestamp_unavailable",
            )
        })
}

/// What a revision's DSS holds so that its signatures validate offline:
/// `leaves` (the signer's certificate), the CA, our TSA certificate (when our
/// TSA stamps) and the current CRL.
pub async fn validation_data(
    app: &super::App,
    leaves: &[Vec<u8>],
) -> AppResult<hims_pdf::ValidationData> {
    let mut certs = leaves.to_vec();
    let ca = ca_certificate_in(&app.ports).await?;
    certs.push(pki::certificate_to_der(&ca).map_err(pki_failed)?);
    if app.external_timestamper.is_none() {
        let tsa = tsa_certificate(&app.ports, &app.settings.public_url).await?;
        certs.push(pki::certificate_to_der(&tsa).map_err(pki_failed)?);
    }
    let crl = super::ca::crl_for_embedding(app).await?;
    Ok(hims_pdf::ValidationData {
        certs,
        crls: vec![crl],
    })
}

/// A PDF ending in a document timestamp, and when that timestamp's TSA
/// certificate ends (by then the archive step must have stamped it again).
pub struct Sealed {
    pub pdf: Vec<u8>,
    pub tsa_not_after: DateTime<Utc>,
}

/// B-LTA: a revision with the DSS that validates everything so far (CA, TSA
/// certificate, current CRL), then a document timestamp over the whole file.
pub async fn seal_with_document_timestamp(app: &super::App, pdf: Vec<u8>) -> AppResult<Sealed> {
    let validation = validation_data(app, &[]).await?;
    let pending = tokio::task::spawn_blocking(move || {
        let with_dss = hims_pdf::add_validation_data(&pdf, &validation)?;
        hims_pdf::prepare_document_timestamp(&with_dss)
    })
    .await
    .map_err(|_| AppError::internal("signing_failed"))?
    .map_err(super::document::pdf_failed)?;
    let imprint = pending.imprint();
    let token = timestamp(app, &imprint).await?;
    let tsa_not_after = tsa_not_after(&token, &imprint)?;
    let pdf = pending
        .finish(&token)
        .map_err(super::document::pdf_failed)?;
    Ok(Sealed { pdf, tsa_not_after })
}

/// The end of the certificate that signed `token` (the token carries it).
fn tsa_not_after(token: &[u8], imprint: &[u8; 32]) -> AppResult<DateTime<Utc>> {
    let verified = tsp::verify_token(token, imprint, None).map_err(|e| {
        tracing::warn!(error = %e, "a timestamp token without a usable TSA certificate");
        AppError::new(
            crate::error::ErrorKind::Unavailable,
            "timestamp_unavailable",
        )
    })?;
    let certificate =
        pki::certificate_from_der(&verified.tsa_certificate_der).map_err(pki_failed)?;
    Ok(pki::CertificateInfo::of(&certificate)
        .map_err(pki_failed)?
        .not_after)
}
