//! Issuing certificates in two phases, because the CA key is in KMS:
//! `prepare_*` builds the to-be-signed DER, the caller has it signed
//! (ECDSA P-256 / SHA-256, DER signature), `finish` checks and assembles.
//!
//! ```ignore
//! let pending = prepare_signer_certificate(&ca_cert, &request)?;
//! let signature = keys.ca_sign(pending.tbs()).await?;
//! let certificate = pending.finish(&signature)?;
//! ```

use chrono::{DateTime, Months, TimeDelta, Utc};
use der::asn1::{BitString, OctetString};
use der::referenced::OwnedToRef;
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::ext::pkix::SubjectKeyIdentifier;
use x509_cert::time::Validity;

use crate::error::{PkiError, Result};
use crate::issuer_key::IssuerKey;
use crate::names::{self, Attribute};
use crate::profile::Profile;
use crate::serial::{self, SERIAL_RANDOM_BYTES};
use crate::time;

pub const CA_COMMON_NAME: &str = "HIMS eSPA Signing CA";
pub const CA_ORGANIZATION: &str = "Jabatan Perumahan Negara";
pub const CA_COUNTRY: &str = "MY";
/// The CA certificate's lifetime.
pub const CA_VALIDITY_YEARS: u32 = 20;
/// Common name of the system's own leaf (signs certificates of completion).
pub const SYSTEM_COMMON_NAME: &str = "HIMS eSPA Sistem";
/// Common name of the timestamp authority's certificate.
pub const TSA_COMMON_NAME: &str = "HIMS eSPA Timestamp Authority";
/// notBefore is backdated by this much, so a relying party whose clock is a
/// little behind ours does not see a "not yet valid" certificate.
pub const CLOCK_SKEW_ALLOWANCE: TimeDelta = TimeDelta::minutes(5);

/// Who a leaf certificate names.
#[derive(Clone, Copy)]
pub enum LeafSubject<'a> {
    /// A party to the agreement.
    Signer {
        /// Full name as on the IC or passport; any Unicode letters.
        name: &'a str,
        /// Subject `serialNumber` (PrintableString): a pseudonym that names
        /// the person without being their IC or passport number, which a
        /// certificate embedded in a widely shared PDF must not carry.
        pseudonym: &'a str,
        /// Subject alternative name (rfc822Name).
        email: &'a str,
        /// Subject `C`, two upper-case letters (e.g. "MY"), when wanted.
        country: Option<&'a str>,
    },
    /// The system itself ("HIMS eSPA Sistem", C=MY).
    System { email: Option<&'a str> },
}

/// Redacted: requests get logged, names and IC numbers must not.
impl std::fmt::Debug for LeafSubject<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LeafSubject::Signer { country, .. } => f
                .debug_struct("Signer")
                .field("country", country)
                .finish_non_exhaustive(),
            LeafSubject::System { .. } => f.debug_struct("System").finish_non_exhaustive(),
        }
    }
}

/// Everything a leaf certificate needs besides the CA.
#[derive(Debug, Clone, Copy)]
pub struct LeafRequest<'a> {
    pub subject: LeafSubject<'a>,
    /// The leaf's public key, SubjectPublicKeyInfo DER (P-256).
    pub public_key_der: &'a [u8],
    /// Fresh random bytes from the caller's CSPRNG.
    pub serial_random: [u8; SERIAL_RANDOM_BYTES],
    /// Where relying parties fetch the CRL, e.g. "https://host/crl".
    pub crl_url: &'a str,
    pub now: DateTime<Utc>,
    /// End of validity: the agreement deadline plus a margin, chosen by the caller.
    pub not_after: DateTime<Utc>,
}

/// A certificate waiting for the CA's signature over [`Self::tbs`].
pub struct PendingCertificate {
    builder: CertificateBuilder<Profile>,
    issuer_key: IssuerKey,
    tbs: Vec<u8>,
}

impl std::fmt::Debug for PendingCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingCertificate")
            .field("tbs_len", &self.tbs.len())
            .finish_non_exhaustive()
    }
}

impl PendingCertificate {
    /// The DER TBSCertificate to sign (the message, not a digest).
    pub fn tbs(&self) -> &[u8] {
        &self.tbs
    }

    /// Assembles the certificate after checking `signature_der` against the
    /// issuer key, so a wrong KMS key or a corrupted reply never yields a
    /// certificate that does not chain.
    pub fn finish(self, signature_der: &[u8]) -> Result<Certificate> {
        let signature_der = self.issuer_key.verify_canonical(&self.tbs, signature_der)?;
        let signature = BitString::from_bytes(&signature_der)?;
        Ok(Builder::assemble(
            self.builder,
            signature,
            &self.issuer_key,
        )?)
    }
}

/// The self-signed CA certificate for the key whose SubjectPublicKeyInfo DER
/// is `ca_public_key_der` (KMS `GetPublicKey`).
pub fn prepare_ca_certificate(
    ca_public_key_der: &[u8],
    serial_random: [u8; SERIAL_RANDOM_BYTES],
    now: DateTime<Utc>,
) -> Result<PendingCertificate> {
    let issuer_key = IssuerKey::from_spki_der(ca_public_key_der)?;
    let subject = ca_name()?;
    let not_after = now
        .checked_add_months(Months::new(CA_VALIDITY_YEARS * 12))
        .ok_or(PkiError::InvalidValidity)?;
    let spki = spki_of(&issuer_key)?;
    prepare(
        Profile::Ca { subject },
        serial_random,
        now,
        not_after,
        spki,
        issuer_key,
    )
}

/// A leaf certificate issued by `ca` (the CA certificate, whose key will sign).
pub fn prepare_leaf_certificate(
    ca: &Certificate,
    request: &LeafRequest<'_>,
) -> Result<PendingCertificate> {
    let subject_key = IssuerKey::from_spki_der(request.public_key_der)?;
    // A leaf that outlives its CA fails path validation everywhere.
    let ca_not_after = time::from_x509(&ca.tbs_certificate().validity().not_after)?;
    if request.not_after > ca_not_after {
        return Err(PkiError::InvalidValidity);
    }
    let (subject, email) = match request.subject {
        LeafSubject::Signer {
            name,
            pseudonym,
            email,
            country,
        } => {
            let mut attributes = Vec::with_capacity(3);
            if let Some(country) = country {
                attributes.push(Attribute::Country(country));
            }
            attributes.push(Attribute::SerialNumber(pseudonym));
            attributes.push(Attribute::CommonName(name));
            (names::build_name(&attributes)?, Some(email))
        }
        LeafSubject::System { email } => {
            let attributes = [
                Attribute::Country(CA_COUNTRY),
                Attribute::CommonName(SYSTEM_COMMON_NAME),
            ];
            (names::build_name(&attributes)?, email)
        }
    };
    let profile = Profile::Leaf {
        subject,
        issuer: ca.tbs_certificate().subject().clone(),
        authority_key_id: authority_key_id(ca)?,
        email: email.map(names::email).transpose()?,
        crl_url: names::crl_url(request.crl_url)?,
    };
    let spki = spki_of(&subject_key)?;
    prepare(
        profile,
        request.serial_random,
        request.now,
        request.not_after,
        spki,
        IssuerKey::from_certificate(ca)?,
    )
}

/// Everything the timestamp authority's certificate needs besides the CA.
#[derive(Debug, Clone, Copy)]
pub struct TsaRequest<'a> {
    /// The TSA key's SubjectPublicKeyInfo DER (P-256; KMS `GetPublicKey`).
    pub public_key_der: &'a [u8],
    pub serial_random: [u8; SERIAL_RANDOM_BYTES],
    pub crl_url: &'a str,
    pub now: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

/// The timestamp authority's certificate issued by `ca`: keyUsage
/// digitalSignature, extendedKeyUsage timeStamping (critical), a CRL
/// distribution point, and no other purpose.
pub fn prepare_tsa_certificate(
    ca: &Certificate,
    request: &TsaRequest<'_>,
) -> Result<PendingCertificate> {
    let subject_key = IssuerKey::from_spki_der(request.public_key_der)?;
    let ca_not_after = time::from_x509(&ca.tbs_certificate().validity().not_after)?;
    if request.not_after > ca_not_after {
        return Err(PkiError::InvalidValidity);
    }
    let subject = names::build_name(&[
        Attribute::Country(CA_COUNTRY),
        Attribute::Organization(CA_ORGANIZATION),
        Attribute::CommonName(TSA_COMMON_NAME),
    ])?;
    let profile = Profile::Tsa {
        subject,
        issuer: ca.tbs_certificate().subject().clone(),
        authority_key_id: authority_key_id(ca)?,
        crl_url: names::crl_url(request.crl_url)?,
    };
    let spki = spki_of(&subject_key)?;
    prepare(
        profile,
        request.serial_random,
        request.now,
        request.not_after,
        spki,
        IssuerKey::from_certificate(ca)?,
    )
}

fn prepare(
    profile: Profile,
    serial_random: [u8; SERIAL_RANDOM_BYTES],
    now: DateTime<Utc>,
    not_after: DateTime<Utc>,
    subject_public_key: SubjectPublicKeyInfoOwned,
    issuer_key: IssuerKey,
) -> Result<PendingCertificate> {
    let not_before = now
        .checked_sub_signed(CLOCK_SKEW_ALLOWANCE)
        .ok_or(PkiError::InvalidValidity)?;
    if not_after <= now {
        return Err(PkiError::InvalidValidity);
    }
    let validity = Validity::new(time::to_x509(not_before)?, time::to_x509(not_after)?);
    let serial = serial::from_random(serial_random)?;
    let mut builder = CertificateBuilder::new(profile, serial, validity, subject_public_key)?;
    let tbs = Builder::finalize(&mut builder, &issuer_key)?;
    Ok(PendingCertificate {
        builder,
        issuer_key,
        tbs,
    })
}

fn ca_name() -> Result<x509_cert::name::Name> {
    names::build_name(&[
        Attribute::Country(CA_COUNTRY),
        Attribute::Organization(CA_ORGANIZATION),
        Attribute::CommonName(CA_COMMON_NAME),
    ])
}

/// The CA's subject key identifier, or the RFC 5280 method-1 hash of its key
/// when the CA certificate carries none.
pub(crate) fn authority_key_id(ca: &Certificate) -> Result<OctetString> {
    let tbs = ca.tbs_certificate();
    if let Some((_, ski)) = tbs.get_extension::<SubjectKeyIdentifier>()? {
        return Ok(ski.0);
    }
    let spki = tbs.subject_public_key_info();
    let ski = SubjectKeyIdentifier::try_from(spki.owned_to_ref())?;
    Ok(ski.0)
}

fn spki_of(key: &IssuerKey) -> Result<SubjectPublicKeyInfoOwned> {
    SubjectPublicKeyInfoOwned::from_key(key.verifying_key()).map_err(|_| PkiError::InvalidPublicKey)
}
