//! Detached CMS SignedData for PAdES (ETSI.CAdES.detached): SHA-256, ECDSA P-256,
//! signed attributes contentType, messageDigest and signingCertificateV2; no signing-time.
//! The signature timestamp (PAdES B-T) is added afterwards as the unsigned attribute
//! id-aa-signatureTimeStampToken, over the SignerInfo's signature value.

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::db::{rfc3161, rfc5911, rfc5912};
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode, Sequence};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;
use x509_cert::certificate::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::serial_number::SerialNumber;
use zeroize::Zeroizing;

use crate::PdfError;

/// ESSCertIDv2 (RFC 5035); hashAlgorithm is omitted because SHA-256 is its DEFAULT.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct EssCertIdV2 {
    pub cert_hash: OctetString,
    #[asn1(optional = "true")]
    pub issuer_serial: Option<IssuerSerial>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct IssuerSerial {
    pub issuer: Vec<GeneralName>,
    pub serial_number: SerialNumber,
}

/// SigningCertificateV2 without policies.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct SigningCertificateV2 {
    pub certs: Vec<EssCertIdV2>,
}

pub(crate) fn sha256_alg() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: rfc5912::ID_SHA_256,
        parameters: None,
    }
}

fn attribute(oid: der::asn1::ObjectIdentifier, value: Any) -> Result<Attribute, PdfError> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value])?,
    })
}

pub(crate) fn parse_certificate(der_bytes: &[u8]) -> Result<Certificate, PdfError> {
    Certificate::from_der(der_bytes).map_err(|e| PdfError::Certificate(e.to_string()))
}

/// A signed CMS SignedData whose SignerInfo may still gain its signature timestamp.
pub(crate) struct SignedCms {
    signed_data: SignedData,
    signer_info: SignerInfo,
}

impl SignedCms {
    /// The SignerInfo's signature value: what a signature timestamp covers.
    pub(crate) fn signature_value(&self) -> &[u8] {
        self.signer_info.signature.as_bytes()
    }

    /// The DER ContentInfo, with `timestamp_token` (a DER TimeStampToken) as the unsigned
    /// attribute id-aa-signatureTimeStampToken when given.
    pub(crate) fn into_der(self, timestamp_token: Option<&[u8]>) -> Result<Vec<u8>, PdfError> {
        let mut signer_info = self.signer_info;
        if let Some(token) = timestamp_token {
            let token = Any::from_der(token)
                .map_err(|e| PdfError::Timestamp(format!("token is not DER: {e}")))?;
            signer_info.unsigned_attrs = Some(SetOfVec::try_from(vec![attribute(
                rfc3161::ID_AA_TIME_STAMP_TOKEN,
                token,
            )?])?);
        }
        let signed_data = SignedData {
            signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info])?),
            ..self.signed_data
        };
        let content_info = ContentInfo {
            content_type: rfc5911::ID_SIGNED_DATA,
            content: Any::encode_from(&signed_data)?,
        };
        Ok(content_info.to_der()?)
    }
}

/// Signs `content_digest` (SHA-256 of the byte ranges) for the signer's certificate.
pub(crate) fn signed_data(
    content_digest: &[u8],
    signer_cert_der: &[u8],
    chain_der: &[Vec<u8>],
    pkcs8_key: &Zeroizing<Vec<u8>>,
) -> Result<SignedCms, PdfError> {
    let signer = parse_certificate(signer_cert_der)?;
    let tbs = signer.tbs_certificate();

    let signing_certificate = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            cert_hash: OctetString::new(Sha256::digest(signer_cert_der).to_vec())?,
            issuer_serial: Some(IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(tbs.issuer().clone())],
                serial_number: tbs.serial_number().clone(),
            }),
        }],
    };
    let signed_attrs: SetOfVec<Attribute> = SetOfVec::try_from(vec![
        attribute(
            rfc5911::ID_CONTENT_TYPE,
            Any::encode_from(&rfc5911::ID_DATA)?,
        )?,
        attribute(
            rfc5911::ID_MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(content_digest.to_vec())?)?,
        )?,
        attribute(
            rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2,
            Any::encode_from(&signing_certificate)?,
        )?,
    ])?;
    // What is signed is the DER of the attributes as a SET OF, not the [0]-tagged form.
    let to_be_signed = signed_attrs.to_der()?;
    let signature = sign_with_pkcs8(pkcs8_key, &to_be_signed, &signer)?;

    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: tbs.issuer().clone(),
            serial_number: tbs.serial_number().clone(),
        }),
        digest_alg: sha256_alg(),
        signed_attrs: Some(signed_attrs),
        signature_algorithm: AlgorithmIdentifierOwned {
            oid: rfc5912::ECDSA_WITH_SHA_256,
            parameters: None,
        },
        signature: OctetString::new(signature)?,
        unsigned_attrs: None,
    };

    let mut certificates = vec![CertificateChoices::Certificate(signer.clone())];
    for der_bytes in chain_der {
        certificates.push(CertificateChoices::Certificate(parse_certificate(
            der_bytes,
        )?));
    }
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![sha256_alg()])?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: rfc5911::ID_DATA,
            econtent: None,
        },
        certificates: Some(CertificateSet(SetOfVec::try_from(certificates)?)),
        crls: None,
        // Filled in by `into_der`, with or without the timestamp.
        signer_infos: SignerInfos(SetOfVec::new()),
    };
    Ok(SignedCms {
        signed_data,
        signer_info,
    })
}

/// ECDSA P-256 with SHA-256 through aws-lc-rs (constant-time, FIPS-capable, and about 8x
/// faster here than RustCrypto's `p256`; `cargo bench -p hims-pdf --bench primitives`).
/// The key exists only inside this call; aws-lc clears it when the pair is dropped. The nonce
/// is random (aws-lc has no RFC 6979 mode), so two signatures of the same bytes differ.
fn sign_with_pkcs8(
    pkcs8_key: &Zeroizing<Vec<u8>>,
    message: &[u8],
    signer: &Certificate,
) -> Result<Vec<u8>, PdfError> {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8_key)
        .map_err(|_| PdfError::PrivateKey)?;
    let certified = signer
        .tbs_certificate()
        .subject_public_key_info()
        .subject_public_key
        .raw_bytes();
    if pair.public_key().as_ref() != certified {
        return Err(PdfError::PrivateKey);
    }
    let signature = pair
        .sign(&aws_lc_rs::rand::SystemRandom::new(), message)
        .map_err(|_| PdfError::PrivateKey)?;
    Ok(signature.as_ref().to_vec())
}
