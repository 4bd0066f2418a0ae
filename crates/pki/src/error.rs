//! The one error type of this crate. Messages name the field or the step that
//! failed, never the value (names, IC numbers and keys stay out of logs).

/// Which caller-supplied field was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    CommonName,
    Organization,
    SubjectSerial,
    Email,
    Country,
    CrlUrl,
    Serial,
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Field::CommonName => "common name",
            Field::Organization => "organization",
            Field::SubjectSerial => "subject serialNumber",
            Field::Email => "email address",
            Field::Country => "country code",
            Field::CrlUrl => "CRL URL",
            Field::Serial => "serial number",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("invalid {field}: {reason}")]
    InvalidInput { field: Field, reason: &'static str },
    #[error("not a P-256 public key (SubjectPublicKeyInfo DER expected)")]
    InvalidPublicKey,
    #[error("not a P-256 private key (PKCS#8 DER expected)")]
    InvalidPrivateKey,
    #[error("validity period is empty or outside the encodable range")]
    InvalidValidity,
    #[error("signature is not a DER-encoded ECDSA signature")]
    MalformedSignature,
    #[error("signature does not verify under the issuer key")]
    BadSignature,
    #[error("signature algorithm is not ecdsa-with-SHA256")]
    UnsupportedAlgorithm,
    #[error("certificate issuer does not match the CA subject")]
    IssuerMismatch,
    #[error("random bytes are not a valid P-256 private scalar; draw fresh bytes")]
    ScalarOutOfRange,
    #[error("random source gave no valid P-256 scalar in {0} attempts")]
    RandomSourceFailed(usize),
    #[error("DER encoding: {0}")]
    Der(#[from] der::Error),
    #[error("certificate builder: {0}")]
    Builder(#[from] x509_cert::builder::Error),
}

pub type Result<T, E = PkiError> = std::result::Result<T, E>;

pub(crate) fn invalid(field: Field, reason: &'static str) -> PkiError {
    PkiError::InvalidInput { field, reason }
}
