//! Checking a detached CMS signature, the signer's certificate chain and a CRL.

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use const_oid::db::{rfc3161, rfc5911, rfc5912};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode, SliceReader};
use p256::ecdsa::{DerSignature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256};
use signature::Verifier;
use x509_cert::attr::Attribute;
use x509_cert::certificate::Certificate;
use x509_cert::crl::CertificateList;

use crate::PdfError;
use crate::cms_build::SigningCertificateV2;

/// What the CMS blob of one signature says, once checked against the signed bytes.
pub(crate) struct CmsOutcome {
    pub signer: Option<Certificate>,
    /// Digest, ECDSA signature and signingCertificateV2 all check out.
    pub valid: bool,
    /// The SignerInfo's signature value (what a signature timestamp covers).
    pub signature_value: Vec<u8>,
    /// DER values of the unsigned attribute id-aa-signatureTimeStampToken.
    pub timestamp_tokens: Vec<Vec<u8>>,
}

fn key_of(cert: &Certificate) -> Option<VerifyingKey> {
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .ok()?;
    VerifyingKey::from_public_key_der(&spki).ok()
}

fn ecdsa_ok(key: &VerifyingKey, message: &[u8], signature: &[u8]) -> bool {
    DerSignature::try_from(signature)
        .ok()
        .is_some_and(|sig| key.verify(message, &sig).is_ok())
}

fn attribute(attrs: &[Attribute], oid: ObjectIdentifier) -> Option<&der::Any> {
    let mut matching = attrs.iter().filter(|a| a.oid == oid);
    let first = matching.next()?;
    // An attribute given twice or with several values is ambiguous: refuse it.
    if matching.next().is_some() || first.values.len() != 1 {
        return None;
    }
    first.values.get(0)
}

/// Parses the CMS in /Contents (zero padding allowed after it) and checks it over `digest`.
pub(crate) fn check_cms(contents: &[u8], digest: &[u8]) -> CmsOutcome {
    let invalid = CmsOutcome {
        signer: None,
        valid: false,
        signature_value: Vec::new(),
        timestamp_tokens: Vec::new(),
    };
    let Some(signed_data) = parse_signed_data(contents) else {
        return invalid;
    };
    let certificates: Vec<Certificate> = signed_data
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|choice| match choice {
            cms::cert::CertificateChoices::Certificate(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    let mut infos = signed_data.signer_infos.0.iter();
    let (Some(info), None) = (infos.next(), infos.next()) else {
        return invalid;
    };
    let signer = certificates.into_iter().find(|c| match &info.sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => {
            c.tbs_certificate().issuer() == &isn.issuer
                && c.tbs_certificate().serial_number() == &isn.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => c
            .tbs_certificate()
            .get_extension::<x509_cert::ext::pkix::SubjectKeyIdentifier>()
            .ok()
            .flatten()
            .is_some_and(|(_, own)| &own == ski),
    });
    let Some(signer) = signer else {
        return invalid;
    };
    let valid = (|| {
        if info.digest_alg.oid != rfc5912::ID_SHA_256
            || info.signature_algorithm.oid != rfc5912::ECDSA_WITH_SHA_256
        {
            return None;
        }
        let attrs = info.signed_attrs.as_ref()?;
        let attr_list: Vec<Attribute> = attrs.iter().cloned().collect();
        let content_type: ObjectIdentifier = attribute(&attr_list, rfc5911::ID_CONTENT_TYPE)?
            .decode_as()
            .ok()?;
        let message_digest: OctetString = attribute(&attr_list, rfc5911::ID_MESSAGE_DIGEST)?
            .decode_as()
            .ok()?;
        let signing_cert: SigningCertificateV2 =
            attribute(&attr_list, rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2)?
                .decode_as()
                .ok()?;
        let cert_hash = Sha256::digest(signer.to_der().ok()?);
        let cert_bound = signing_cert
            .certs
            .first()
            .is_some_and(|id| id.cert_hash.as_bytes() == cert_hash.as_slice());
        let key = key_of(&signer)?;
        let signed = attrs.to_der().ok()?;
        Some(
            content_type == rfc5911::ID_DATA
                && message_digest.as_bytes() == digest
                && cert_bound
                && ecdsa_ok(&key, &signed, info.signature.as_bytes()),
        )
    })()
    .unwrap_or(false);
    let timestamp_tokens = info
        .unsigned_attrs
        .iter()
        .flat_map(|attrs| attrs.iter())
        .filter(|a| a.oid == rfc3161::ID_AA_TIME_STAMP_TOKEN)
        .flat_map(|a| a.values.iter())
        .filter_map(|v| v.to_der().ok())
        .collect();
    CmsOutcome {
        signer: Some(signer),
        valid,
        signature_value: info.signature.as_bytes().to_vec(),
        timestamp_tokens,
    }
}

fn parse_signed_data(contents: &[u8]) -> Option<SignedData> {
    let mut reader = SliceReader::new(contents).ok()?;
    let content_info = ContentInfo::decode(&mut reader).ok()?;
    if content_info.content_type != rfc5911::ID_SIGNED_DATA {
        return None;
    }
    content_info.content.decode_as().ok()
}

/// A CRL of the trusted CA, its signature checked. Times are seconds since the epoch.
#[derive(Debug, Clone)]
pub(crate) struct CrlInfo {
    pub next_update: Option<i64>,
    pub revoked_serials: Vec<Vec<u8>>,
}

impl CrlInfo {
    pub(crate) fn lists(&self, cert: &Certificate) -> bool {
        let serial = cert.tbs_certificate().serial_number().as_bytes();
        self.revoked_serials.iter().any(|s| s.as_slice() == serial)
    }
}

/// The trust anchor and, optionally, its current revocation list.
pub(crate) struct Anchor {
    ca: Certificate,
    ca_key: VerifyingKey,
    revoked_serials: Option<Vec<Vec<u8>>>,
}

impl Anchor {
    pub(crate) fn new(ca_der: &[u8], crl_der: Option<&[u8]>) -> Result<Self, PdfError> {
        let ca = Certificate::from_der(ca_der).map_err(|e| PdfError::Certificate(e.to_string()))?;
        let ca_key =
            key_of(&ca).ok_or_else(|| PdfError::Certificate("CA key is not ECDSA P-256".into()))?;
        let mut anchor = Self {
            ca,
            ca_key,
            revoked_serials: None,
        };
        if let Some(der_bytes) = crl_der {
            anchor.revoked_serials = Some(anchor.crl(der_bytes)?.revoked_serials);
        }
        Ok(anchor)
    }

    /// A CRL signed by the CA, with its dates and the serials it lists.
    pub(crate) fn crl(&self, der_bytes: &[u8]) -> Result<CrlInfo, PdfError> {
        let crl = CertificateList::<x509_cert::certificate::Rfc5280>::from_der(der_bytes)
            .map_err(|e| PdfError::Crl(e.to_string()))?;
        let tbs = crl.tbs_cert_list.to_der()?;
        if crl.tbs_cert_list.issuer != *self.ca.tbs_certificate().subject()
            || crl.signature_algorithm.oid != rfc5912::ECDSA_WITH_SHA_256
            || !ecdsa_ok(&self.ca_key, &tbs, crl.signature.raw_bytes())
        {
            return Err(PdfError::Crl("not signed by the trusted CA".into()));
        }
        let unix = |t: &x509_cert::time::Time| t.to_unix_duration().as_secs() as i64;
        Ok(CrlInfo {
            next_update: crl.tbs_cert_list.next_update.as_ref().map(unix),
            revoked_serials: crl
                .tbs_cert_list
                .revoked_certificates
                .iter()
                .flatten()
                .map(|r| r.serial_number.as_bytes().to_vec())
                .collect(),
        })
    }

    /// Issued by the CA (signature and name) and valid at `at_unix` seconds.
    pub(crate) fn issued(&self, cert: &Certificate, at_unix: Option<i64>) -> bool {
        let tbs = cert.tbs_certificate();
        let Ok(tbs_der) = tbs.to_der() else {
            return false;
        };
        let validity = tbs.validity();
        let in_validity = at_unix.is_none_or(|t| {
            let from = validity.not_before.to_unix_duration().as_secs() as i64;
            let to = validity.not_after.to_unix_duration().as_secs() as i64;
            (from..=to).contains(&t)
        });
        tbs.issuer() == self.ca.tbs_certificate().subject()
            && cert.signature_algorithm().oid == rfc5912::ECDSA_WITH_SHA_256
            && ecdsa_ok(&self.ca_key, &tbs_der, cert.signature().raw_bytes())
            && in_validity
    }

    pub(crate) fn revoked(&self, cert: &Certificate) -> bool {
        let serial = cert.tbs_certificate().serial_number().as_bytes();
        self.revoked_serials
            .as_ref()
            .is_some_and(|list| list.iter().any(|s| s.as_slice() == serial))
    }
}
