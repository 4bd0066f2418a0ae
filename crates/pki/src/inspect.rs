//! Reading certificates and CRLs back: PEM/DER, the fields the app shows,
//! and signature checks against a CA (also used by the PDF verifier).

use chrono::{DateTime, Utc};
use const_oid::db::rfc4519::SERIAL_NUMBER;
use der::asn1::PrintableStringRef;
use der::pem::LineEnding;
use der::{Decode, DecodePem, Encode, EncodePem};
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, SubjectAltName};

use crate::error::{PkiError, Result};
use crate::issuer_key::IssuerKey;
use crate::serial::serial_hex;
use crate::time;

pub fn certificate_from_der(der: &[u8]) -> Result<Certificate> {
    Ok(Certificate::from_der(der)?)
}

pub fn certificate_from_pem(pem: &str) -> Result<Certificate> {
    Ok(Certificate::from_pem(pem)?)
}

pub fn certificate_to_der(certificate: &Certificate) -> Result<Vec<u8>> {
    Ok(certificate.to_der()?)
}

pub fn certificate_to_pem(certificate: &Certificate) -> Result<String> {
    Ok(certificate.to_pem(LineEnding::LF)?)
}

pub fn crl_from_der(der: &[u8]) -> Result<CertificateList> {
    Ok(CertificateList::from_der(der)?)
}

pub fn crl_from_pem(pem: &str) -> Result<CertificateList> {
    Ok(CertificateList::from_pem(pem)?)
}

pub fn crl_to_der(crl: &CertificateList) -> Result<Vec<u8>> {
    Ok(crl.to_der()?)
}

pub fn crl_to_pem(crl: &CertificateList) -> Result<String> {
    Ok(crl.to_pem(LineEnding::LF)?)
}

/// What the app and the verifier need to know about a certificate.
#[derive(Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// Lower-case hex, see [`crate::serial_hex`].
    pub serial_hex: String,
    pub common_name: Option<String>,
    /// Subject `serialNumber` (a signer's pseudonym, see `LeafSubject::Signer`).
    pub subject_serial: Option<String>,
    /// The first rfc822Name of the subject alternative names.
    pub email: Option<String>,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// SubjectPublicKeyInfo DER.
    pub public_key_der: Vec<u8>,
    pub is_ca: bool,
}

/// Redacts the identity number, which must not reach logs.
impl std::fmt::Debug for CertificateInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateInfo")
            .field("serial_hex", &self.serial_hex)
            .field("common_name", &self.common_name)
            .field("subject_serial", &self.subject_serial)
            .field("email", &self.email)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("is_ca", &self.is_ca)
            .finish_non_exhaustive()
    }
}

impl CertificateInfo {
    pub fn of(certificate: &Certificate) -> Result<Self> {
        let tbs = certificate.tbs_certificate();
        let subject = tbs.subject();
        let email = match tbs.get_extension::<SubjectAltName>()? {
            Some((_, san)) => san.0.into_iter().find_map(|name| match name {
                GeneralName::Rfc822Name(address) => Some(address.to_string()),
                _ => None,
            }),
            None => None,
        };
        let is_ca = matches!(tbs.get_extension::<BasicConstraints>()?, Some((_, bc)) if bc.ca);
        Ok(Self {
            serial_hex: serial_hex(tbs.serial_number()),
            common_name: subject.common_name()?.map(|cn| cn.value().into_owned()),
            subject_serial: subject
                .by_oid::<PrintableStringRef<'_>>(SERIAL_NUMBER)?
                .map(|id| id.as_str().to_owned()),
            email,
            not_before: time::from_x509(&tbs.validity().not_before)?,
            not_after: time::from_x509(&tbs.validity().not_after)?,
            public_key_der: tbs.subject_public_key_info().to_der()?,
            is_ca,
        })
    }

    /// Whether `at` lies inside notBefore..=notAfter.
    pub fn is_valid_at(&self, at: DateTime<Utc>) -> bool {
        self.not_before <= at && at <= self.not_after
    }
}

/// Checks that `certificate`'s signature verifies under `issuer` (ECDSA
/// P-256 with SHA-256 only).
pub fn verify_certificate_signature(certificate: &Certificate, issuer: &IssuerKey) -> Result<()> {
    let tbs = certificate.tbs_certificate();
    if tbs.signature() != certificate.signature_algorithm() {
        return Err(PkiError::UnsupportedAlgorithm);
    }
    issuer.verify_signed_structure(
        &tbs.to_der()?,
        certificate.signature_algorithm(),
        certificate.signature(),
    )
}

/// Checks that `certificate` names `ca` as its issuer and is signed by its key.
pub fn verify_issued_by(certificate: &Certificate, ca: &Certificate) -> Result<()> {
    if certificate.tbs_certificate().issuer() != ca.tbs_certificate().subject() {
        return Err(PkiError::IssuerMismatch);
    }
    verify_certificate_signature(certificate, &IssuerKey::from_certificate(ca)?)
}

/// Checks that `crl` was issued and signed by `ca`.
pub fn verify_crl(crl: &CertificateList, ca: &Certificate) -> Result<()> {
    let tbs = &crl.tbs_cert_list;
    if tbs.issuer != *ca.tbs_certificate().subject() {
        return Err(PkiError::IssuerMismatch);
    }
    if tbs.signature != crl.signature_algorithm {
        return Err(PkiError::UnsupportedAlgorithm);
    }
    IssuerKey::from_certificate(ca)?.verify_signed_structure(
        &tbs.to_der()?,
        &crl.signature_algorithm,
        &crl.signature,
    )
}

/// The serials (as [`crate::serial_hex`]) a CRL lists, in its order.
pub fn revoked_serials(crl: &CertificateList) -> Vec<String> {
    crl.tbs_cert_list
        .revoked_certificates
        .iter()
        .flatten()
        .map(|entry| serial_hex(&entry.serial_number))
        .collect()
}

/// thisUpdate and nextUpdate (if present) of a CRL.
pub fn crl_validity(crl: &CertificateList) -> Result<(DateTime<Utc>, Option<DateTime<Utc>>)> {
    let tbs = &crl.tbs_cert_list;
    let next = tbs.next_update.as_ref().map(time::from_x509).transpose()?;
    Ok((time::from_x509(&tbs.this_update)?, next))
}
