//! X.509 for hims-esign: the CA certificate, per-signer and system leaf
//! certificates, and CRLs — all signed by a CA key this crate never sees.
//!
//! Signing is two-phase: `prepare_*` returns a pending object whose `tbs()`
//! the caller signs (KMS `Sign`, `ECDSA_SHA_256`, `MessageType=RAW`, or a
//! software key), then `finish(signature_der)` checks the signature against
//! the CA public key and assembles the result.
//!
//! ```ignore
//! let ca = prepare_ca_certificate(&keys.ca_public_key().await?, rng.bytes(), now)?;
//! let signature = keys.ca_sign(ca.tbs()).await?;
//! let ca = ca.finish(&signature)?;
//!
//! let key = SignerKeyPair::generate(|buf| rng.fill(buf))?;
//! let public_key_der = key.public_key_der()?;
//! let leaf = prepare_leaf_certificate(&ca, &LeafRequest {
//!     subject: LeafSubject::Signer { name, pseudonym, email, country: Some("MY") },
//!     public_key_der: &public_key_der,
//!     serial_random: rng.bytes(),
//!     crl_url: "https://host/crl",
//!     now,
//!     not_after: deadline + margin,
//! })?;
//! let signature = keys.ca_sign(leaf.tbs()).await?;
//! let leaf = leaf.finish(&signature)?;
//! let encrypted_key = keys.encrypt(&key.to_pkcs8_der()?, &context).await?;
//! ```

mod crl;
mod error;
mod inspect;
mod issue;
mod issuer_key;
mod names;
mod profile;
mod serial;
mod signer_key;
mod time;

pub use crl::{CRL_LIFETIME, PendingCrl, Revocation, RevocationReason, prepare_crl};
pub use error::{Field, PkiError, Result};
pub use inspect::{
    CertificateInfo, certificate_from_der, certificate_from_pem, certificate_to_der,
    certificate_to_pem, crl_from_der, crl_from_pem, crl_to_der, crl_to_pem, crl_validity,
    revoked_serials, verify_certificate_signature, verify_crl, verify_issued_by,
};
pub use issue::{
    CA_COMMON_NAME, CA_COUNTRY, CA_ORGANIZATION, CA_VALIDITY_YEARS, CLOCK_SKEW_ALLOWANCE,
    LeafRequest, LeafSubject, PendingCertificate, SYSTEM_COMMON_NAME, TSA_COMMON_NAME, TsaRequest,
    prepare_ca_certificate, prepare_leaf_certificate, prepare_tsa_certificate,
};
pub use issuer_key::IssuerKey;
pub use profile::ID_KP_DOCUMENT_SIGNING;
pub use serial::{SERIAL_RANDOM_BYTES, serial_from_hex, serial_hex};
pub use signer_key::{MAX_KEY_ATTEMPTS, SignerKeyPair};

/// The x509-cert types in this crate's API, so users need not pin the crate.
pub use x509_cert::{Certificate, crl::CertificateList};
