//! Checking a timestamp token against the digest it should cover, and reading
//! a TSA's response.

use chrono::{DateTime, Utc};
use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use const_oid::db::rfc3161::ID_CT_TST_INFO;
use const_oid::db::rfc5280::ID_KP_TIME_STAMPING;
use const_oid::db::rfc5911;
use const_oid::db::rfc5912::{ECDSA_WITH_SHA_256, ID_SHA_256};
use der::asn1::{Int, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use p256::ecdsa::{DerSignature, VerifyingKey};
use sha2::{Digest, Sha256};
use spki::DecodePublicKey;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::ExtendedKeyUsage;

use crate::asn1::{Accuracy, PkiStatus, SigningCertificateV2, TimeStampResp, TstInfo};
use crate::error::{FailureInfo, Result, TspError};

/// What a token that checks out says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    pub gen_time: DateTime<Utc>,
    /// The token's serial, lower-case hex.
    pub serial_hex: String,
    pub policy: ObjectIdentifier,
    pub accuracy: Option<Accuracy>,
    /// The nonce's INTEGER content octets, when the request had one.
    pub nonce: Option<Vec<u8>>,
    /// The certificate whose key signed the token, DER.
    pub tsa_certificate_der: Vec<u8>,
}

/// A certificate's P-256 public key, checked to be a point on the curve.
pub(crate) struct TsaKey(Vec<u8>);

pub(crate) fn key_of(certificate: &Certificate) -> Result<TsaKey> {
    let spki = certificate
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()?;
    let key = VerifyingKey::from_public_key_der(&spki).map_err(|_| TspError::UnsupportedKey)?;
    Ok(TsaKey(key.to_sec1_point(false).as_bytes().to_vec()))
}

/// Checks a DER ECDSA signature over `message`; returns it in strict DER.
/// High-S signatures (as KMS returns them) are accepted. The curve arithmetic is aws-lc-rs's,
/// several times faster than `p256`'s; `p256` only reads and re-encodes the DER.
pub(crate) fn verify_ecdsa(key: &TsaKey, message: &[u8], signature: &[u8]) -> Option<Vec<u8>> {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
    let strict = DerSignature::from_bytes(signature)
        .ok()?
        .to_bytes()
        .into_vec();
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &key.0)
        .verify(message, &strict)
        .ok()?;
    Some(strict)
}

fn single_attribute(attrs: &[Attribute], oid: ObjectIdentifier) -> Result<&der::Any> {
    let mut matching = attrs.iter().filter(|a| a.oid == oid);
    match (matching.next(), matching.next()) {
        (Some(first), None) if first.values.len() == 1 => {
            Ok(first.values.get(0).expect("one value"))
        }
        (None, _) => Err(TspError::Invalid("a required signed attribute is missing")),
        _ => Err(TspError::Invalid("a signed attribute is repeated")),
    }
}

/// The TSTInfo inside a token, without checking anything.
pub fn token_tst_info(token_der: &[u8]) -> Result<TstInfo> {
    Ok(decode_token(token_der)?.1)
}

fn decode_token(token_der: &[u8]) -> Result<(SignedData, TstInfo, Vec<u8>)> {
    let content_info =
        ContentInfo::from_der(token_der).map_err(|_| TspError::Malformed("not a ContentInfo"))?;
    if content_info.content_type != rfc5911::ID_SIGNED_DATA {
        return Err(TspError::Malformed("not a SignedData"));
    }
    let signed_data: SignedData = content_info
        .content
        .decode_as()
        .map_err(|_| TspError::Malformed("not a SignedData"))?;
    let encap = &signed_data.encap_content_info;
    if encap.econtent_type != ID_CT_TST_INFO {
        return Err(TspError::Malformed("the content is not a TSTInfo"));
    }
    let econtent: OctetString = encap
        .econtent
        .as_ref()
        .ok_or(TspError::Malformed("the TSTInfo is missing"))?
        .decode_as()
        .map_err(|_| TspError::Malformed("the TSTInfo is not in an OCTET STRING"))?;
    let tst_info = TstInfo::from_der(econtent.as_bytes())
        .map_err(|_| TspError::Malformed("the TSTInfo does not decode"))?;
    Ok((signed_data, tst_info, econtent.as_bytes().to_vec()))
}

/// Checks `token_der` (a TimeStampToken, i.e. a ContentInfo) over
/// `expected_sha256`: the message imprint is SHA-256 of exactly that, the
/// signed attributes bind the TSTInfo and the signing certificate (ESS
/// signingCertificateV2), the ECDSA signature verifies with that certificate,
/// which must carry extendedKeyUsage timeStamping (critical) only.
/// The certificate is taken from the token, or from `tsa_certificate_der` when
/// the token carries none. Whether that certificate chains to a trusted CA and
/// was valid at genTime is the caller's check (see `hims_pki::verify_issued_by`).
pub fn verify_token(
    token_der: &[u8],
    expected_sha256: &[u8],
    tsa_certificate_der: Option<&[u8]>,
) -> Result<VerifiedToken> {
    let (signed_data, tst_info, econtent) = decode_token(token_der)?;
    let imprint = &tst_info.message_imprint;
    if imprint.hash_algorithm.oid != ID_SHA_256
        || imprint.hashed_message.as_bytes() != expected_sha256
    {
        return Err(TspError::Invalid(
            "the message imprint is not of the expected data",
        ));
    }
    let mut infos = signed_data.signer_infos.0.iter();
    let (Some(info), None) = (infos.next(), infos.next()) else {
        return Err(TspError::Malformed("a token has exactly one SignerInfo"));
    };
    let mut candidates: Vec<Certificate> = signed_data
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|choice| match choice {
            CertificateChoices::Certificate(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    if let Some(der_bytes) = tsa_certificate_der {
        candidates.push(
            Certificate::from_der(der_bytes)
                .map_err(|_| TspError::Malformed("the TSA certificate does not decode"))?,
        );
    }
    let signer = candidates
        .into_iter()
        .find(|c| identifies(&info.sid, c))
        .ok_or(TspError::Invalid("the TSA certificate is not in the token"))?;

    if info.digest_alg.oid != ID_SHA_256 || info.signature_algorithm.oid != ECDSA_WITH_SHA_256 {
        return Err(TspError::Invalid("only SHA-256 with ECDSA is accepted"));
    }
    let attrs = info
        .signed_attrs
        .as_ref()
        .ok_or(TspError::Invalid("the token has no signed attributes"))?;
    let list: Vec<Attribute> = attrs.iter().cloned().collect();
    let content_type: ObjectIdentifier = single_attribute(&list, rfc5911::ID_CONTENT_TYPE)?
        .decode_as()
        .map_err(|_| TspError::Malformed("contentType"))?;
    if content_type != ID_CT_TST_INFO {
        return Err(TspError::Invalid(
            "the signed contentType is not id-ct-TSTInfo",
        ));
    }
    let digest: OctetString = single_attribute(&list, rfc5911::ID_MESSAGE_DIGEST)?
        .decode_as()
        .map_err(|_| TspError::Malformed("messageDigest"))?;
    if digest.as_bytes() != Sha256::digest(&econtent).as_slice() {
        return Err(TspError::Invalid(
            "messageDigest does not match the TSTInfo",
        ));
    }
    let signer_der = signer.to_der()?;
    let ess: SigningCertificateV2 =
        single_attribute(&list, rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2)?
            .decode_as()
            .map_err(|_| TspError::Malformed("signingCertificateV2"))?;
    let bound = ess.certs.first().is_some_and(|id| {
        id.hash_algorithm
            .as_ref()
            .is_none_or(|a| a.oid == ID_SHA_256)
            && id.cert_hash.as_bytes() == Sha256::digest(&signer_der).as_slice()
    });
    if !bound {
        return Err(TspError::Invalid(
            "signingCertificateV2 does not name the signer",
        ));
    }
    verify_ecdsa(
        &key_of(&signer)?,
        &attrs.to_der()?,
        info.signature.as_bytes(),
    )
    .ok_or(TspError::Invalid("the signature does not verify"))?;
    check_timestamping_purpose(&signer)?;

    let secs = i64::try_from(tst_info.gen_time.to_unix_duration().as_secs())
        .map_err(|_| TspError::Malformed("genTime"))?;
    Ok(VerifiedToken {
        gen_time: DateTime::from_timestamp(secs, 0).ok_or(TspError::Malformed("genTime"))?,
        serial_hex: hims_pki::serial_hex(
            &x509_cert::serial_number::SerialNumber::new(tst_info.serial_number.as_bytes())
                .map_err(|_| TspError::Malformed("serialNumber"))?,
        ),
        policy: tst_info.policy,
        accuracy: tst_info.accuracy,
        nonce: tst_info.nonce.as_ref().map(|n| n.as_bytes().to_vec()),
        tsa_certificate_der: signer_der,
    })
}

fn identifies(sid: &SignerIdentifier, certificate: &Certificate) -> bool {
    let tbs = certificate.tbs_certificate();
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => {
            tbs.issuer() == &isn.issuer && tbs.serial_number() == &isn.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => tbs
            .get_extension::<x509_cert::ext::pkix::SubjectKeyIdentifier>()
            .ok()
            .flatten()
            .is_some_and(|(_, own)| &own == ski),
    }
}

/// RFC 3161 2.3: the TSA certificate's only extendedKeyUsage is timeStamping, critical.
fn check_timestamping_purpose(certificate: &Certificate) -> Result<()> {
    let purposes = certificate
        .tbs_certificate()
        .get_extension::<ExtendedKeyUsage>()
        .map_err(|_| TspError::Malformed("extendedKeyUsage"))?;
    match purposes {
        Some((true, purposes)) if purposes.0 == [ID_KP_TIME_STAMPING] => Ok(()),
        _ => Err(TspError::Invalid(
            "the signer's certificate is not a TSA certificate (critical timeStamping EKU)",
        )),
    }
}

/// Reads a TimeStampResp: the token when granted, else the TSA's refusal.
pub fn response_token(response_der: &[u8]) -> Result<Vec<u8>> {
    let response = TimeStampResp::from_der(response_der)
        .map_err(|_| TspError::Malformed("not a DER TimeStampResp"))?;
    match (response.status.status, response.time_stamp_token) {
        (PkiStatus::Granted | PkiStatus::GrantedWithMods, Some(token)) => Ok(token.to_der()?),
        (PkiStatus::Granted | PkiStatus::GrantedWithMods, None) => {
            Err(TspError::Malformed("granted without a token"))
        }
        (status, _) => Err(TspError::Refused {
            status: status as u8,
            fail_info: response.status.fail_info.as_ref().and_then(|bits| {
                bits.bits()
                    .position(|set| set)
                    .and_then(FailureInfo::from_bit)
            }),
            text: response
                .status
                .status_string
                .map(|texts| texts.join("; "))
                .unwrap_or_default(),
        }),
    }
}

/// What a client checks of an answer to its own request: granted, the nonce
/// echoed, and the token over `expected_sha256` (see [`verify_token`]).
pub fn verify_response(
    response_der: &[u8],
    expected_sha256: &[u8],
    nonce: &Int,
) -> Result<(Vec<u8>, VerifiedToken)> {
    let token = response_token(response_der)?;
    let verified = verify_token(&token, expected_sha256, None)?;
    if verified.nonce.as_deref() != Some(nonce.as_bytes()) {
        return Err(TspError::Invalid("the nonce is not the one sent"));
    }
    Ok((token, verified))
}
