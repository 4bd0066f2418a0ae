//! RFC 3161 timestamp tokens in PDFs: checking a token before it is embedded, and verifying an
//! embedded one (its imprint and signature with `hims-tsp`, its TSA's chain with our anchor).

use chrono::{DateTime, Utc};
use const_oid::db::rfc5912::ID_SHA_256;
use der::{Decode, Reader, SliceReader};
use sha2::{Digest, Sha256};
use x509_cert::certificate::Certificate;

use crate::PdfError;
use crate::cms_check::Anchor;

/// The token covers exactly `data` (SHA-256 imprint).
pub(crate) fn check_imprint(token: &[u8], data: &[u8]) -> Result<(), PdfError> {
    check_imprint_of_digest(token, &Sha256::digest(data))
}

/// The token's message imprint is SHA-256 and equals `digest`.
pub(crate) fn check_imprint_of_digest(token: &[u8], digest: &[u8]) -> Result<(), PdfError> {
    let info = hims_tsp::token_tst_info(token).map_err(|e| PdfError::Timestamp(e.to_string()))?;
    let imprint = &info.message_imprint;
    if imprint.hash_algorithm.oid != ID_SHA_256 || imprint.hashed_message.as_bytes() != digest {
        return Err(PdfError::Timestamp(
            "the token's message imprint is not of this signature".into(),
        ));
    }
    Ok(())
}

/// The DER value at the start of `bytes`, without the zero padding a /Contents string has.
fn without_padding(bytes: &[u8]) -> &[u8] {
    let mut reader = match SliceReader::new(bytes) {
        Ok(reader) => reader,
        Err(_) => return bytes,
    };
    match der::AnyRef::decode(&mut reader) {
        Ok(_) => usize::try_from(reader.position())
            .ok()
            .and_then(|end| bytes.get(..end))
            .unwrap_or(bytes),
        Err(_) => bytes,
    }
}

/// One timestamp token as the verifier sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimestampReport {
    /// genTime, as the token claims it (also when the token does not check out).
    pub time: Option<DateTime<Utc>>,
    /// Common name of the TSA certificate.
    pub tsa_name: Option<String>,
    /// The token's imprint is of the data it should cover and its signature verifies.
    pub intact: bool,
    /// The TSA certificate is issued by the trusted CA, for timestamping, and valid at genTime.
    pub trusted: bool,
    /// When the TSA certificate expires (seconds since the epoch).
    pub tsa_not_after: Option<i64>,
    /// Serial of the TSA certificate, upper-case hex.
    pub tsa_cert_serial: Option<String>,
    /// The TSA certificate is on a CRL of the CA (the DSS's or the verifier's).
    pub revoked: bool,
}

impl TimestampReport {
    pub fn valid(&self) -> bool {
        self.intact && self.trusted && self.time.is_some()
    }
}

/// Verifies `token` over `expected_sha256`. `extra_certs` (the DSS) may supply the TSA
/// certificate when the token does not carry it. Returns the TSA certificate too when the
/// token checks out, for revocation checks.
pub(crate) fn verify_token(
    token: &[u8],
    expected_sha256: &[u8],
    anchor: &Anchor,
    extra_certs: &[Vec<u8>],
) -> (TimestampReport, Option<Certificate>) {
    let token = without_padding(token);
    let claimed = hims_tsp::token_tst_info(token).ok().and_then(|info| {
        DateTime::from_timestamp(info.gen_time.to_unix_duration().as_secs() as i64, 0)
    });
    let mut report = TimestampReport {
        time: claimed,
        tsa_name: None,
        intact: false,
        trusted: false,
        tsa_not_after: None,
        tsa_cert_serial: None,
        revoked: false,
    };
    // The token's own certificate first, then each DSS certificate in turn.
    let verified = std::iter::once(None)
        .chain(extra_certs.iter().map(|c| Some(c.as_slice())))
        .find_map(|extra| hims_tsp::verify_token(token, expected_sha256, extra).ok());
    let Some(verified) = verified else {
        return (report, None);
    };
    let Ok(cert) = Certificate::from_der(&verified.tsa_certificate_der) else {
        return (report, None);
    };
    report.intact = true;
    report.time = Some(verified.gen_time);
    let tbs = cert.tbs_certificate();
    report.tsa_name = tbs.subject().common_name().ok().flatten().map(String::from);
    report.tsa_not_after = Some(tbs.validity().not_after.to_unix_duration().as_secs() as i64);
    report.tsa_cert_serial = Some(hex::encode_upper(tbs.serial_number().as_bytes()));
    report.trusted = anchor.issued(&cert, Some(verified.gen_time.timestamp()));
    (report, Some(cert))
}
