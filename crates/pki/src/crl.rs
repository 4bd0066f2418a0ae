//! Certificate revocation lists, signed in two phases like certificates.

use chrono::{DateTime, TimeDelta, Utc};
use der::asn1::BitString;
use x509_cert::Certificate;
use x509_cert::builder::{Builder, CrlBuilder};
use x509_cert::crl::{CertificateList, RevokedCert};
use x509_cert::ext::ToExtension;
use x509_cert::ext::pkix::{CrlNumber, CrlReason};

use crate::error::{PkiError, Result};
use crate::issuer_key::IssuerKey;
use crate::serial;
use crate::time;

/// How long a CRL stays current: nextUpdate = thisUpdate + this.
pub const CRL_LIFETIME: TimeDelta = TimeDelta::hours(24);

/// Why a certificate was revoked (RFC 5280 CRLReason, the subset this system uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationReason {
    Unspecified,
    KeyCompromise,
    AffiliationChanged,
    Superseded,
    CessationOfOperation,
}

impl From<RevocationReason> for CrlReason {
    fn from(reason: RevocationReason) -> Self {
        match reason {
            RevocationReason::Unspecified => CrlReason::Unspecified,
            RevocationReason::KeyCompromise => CrlReason::KeyCompromise,
            RevocationReason::AffiliationChanged => CrlReason::AffiliationChanged,
            RevocationReason::Superseded => CrlReason::Superseded,
            RevocationReason::CessationOfOperation => CrlReason::CessationOfOperation,
        }
    }
}

/// One revoked certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// As [`crate::serial_hex`] prints it.
    pub serial_hex: String,
    pub revoked_at: DateTime<Utc>,
    pub reason: Option<RevocationReason>,
}

/// A CRL waiting for the CA's signature over [`Self::tbs`].
pub struct PendingCrl {
    builder: CrlBuilder,
    issuer_key: IssuerKey,
    tbs: Vec<u8>,
}

impl std::fmt::Debug for PendingCrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingCrl")
            .field("tbs_len", &self.tbs.len())
            .finish_non_exhaustive()
    }
}

impl PendingCrl {
    /// The DER TBSCertList to sign.
    pub fn tbs(&self) -> &[u8] {
        &self.tbs
    }

    /// Assembles the CRL after checking `signature_der` against the CA key.
    pub fn finish(self, signature_der: &[u8]) -> Result<CertificateList> {
        let signature_der = self.issuer_key.verify_canonical(&self.tbs, signature_der)?;
        let signature = BitString::from_bytes(&signature_der)?;
        Ok(Builder::assemble(
            self.builder,
            signature,
            &self.issuer_key,
        )?)
    }
}

/// A v2 CRL from `ca` listing `revoked`, with thisUpdate = `now`, nextUpdate =
/// `now` + 24 h, the CRL number (the caller keeps it increasing) and the CA's AKI.
pub fn prepare_crl(
    ca: &Certificate,
    revoked: &[Revocation],
    crl_number: u64,
    now: DateTime<Utc>,
) -> Result<PendingCrl> {
    let issuer_key = IssuerKey::from_certificate(ca)?;
    let next_update = now
        .checked_add_signed(CRL_LIFETIME)
        .ok_or(PkiError::InvalidValidity)?;
    let entries = revoked
        .iter()
        .map(|entry| revoked_cert(ca, entry))
        .collect::<Result<Vec<_>>>()?;
    let mut builder = CrlBuilder::new_with_this_update(
        ca,
        CrlNumber::try_from(crl_number)?,
        time::to_x509(now)?,
    )?
    .with_next_update(Some(time::to_x509(next_update)?));
    if !entries.is_empty() {
        // An empty revokedCertificates must be absent, not an empty SEQUENCE.
        builder = builder.with_certificates(entries.into_iter());
    }
    let tbs = Builder::finalize(&mut builder, &issuer_key)?;
    Ok(PendingCrl {
        builder,
        issuer_key,
        tbs,
    })
}

fn revoked_cert(ca: &Certificate, entry: &Revocation) -> Result<RevokedCert> {
    let issuer = ca.tbs_certificate().subject();
    let crl_entry_extensions = match entry.reason {
        Some(reason) => Some(vec![CrlReason::from(reason).to_extension(issuer, &[])?]),
        None => None,
    };
    Ok(RevokedCert {
        serial_number: serial::serial_from_hex(&entry.serial_hex)?,
        revocation_date: time::to_x509(entry.revoked_at)?,
        crl_entry_extensions,
    })
}
