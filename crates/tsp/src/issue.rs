//! The TSA side: a token in two phases, because the TSA key is in KMS.
//! `prepare_token` builds the TSTInfo and the signed attributes; the caller
//! signs [`PendingToken::signed_attributes`] (ECDSA P-256 / SHA-256, DER);
//! `finish` checks that signature against the TSA certificate and assembles
//! the token. `granted_response` / `rejection_response` wrap the answer.

use std::time::Duration;

use chrono::{DateTime, Utc};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::db::rfc3161::ID_CT_TST_INFO;
use const_oid::db::rfc5911;
use const_oid::db::rfc5912::ECDSA_WITH_SHA_256;
use der::asn1::{BitString, GeneralizedTime, ObjectIdentifier, OctetString, SetOfVec, Uint};
use der::{Any, Encode};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::GeneralName;

use crate::asn1::{
    Accuracy, EssCertIdV2, IssuerSerial, PkiStatus, PkiStatusInfo, SigningCertificateV2,
    TimeStampReq, TimeStampResp, TspVersion, TstInfo,
};
use crate::error::{Rejection, Result, TspError};
use crate::request::sha256_algorithm;
use crate::verify::{key_of, verify_ecdsa};

/// Bytes of entropy in every token serial.
pub const TOKEN_SERIAL_BYTES: usize = 16;

/// What the TSA adds to a request to make a token.
#[derive(Debug, Clone, Copy)]
pub struct TokenParams<'a> {
    /// The TSA's certificate (its key signs the token).
    pub tsa_certificate: &'a Certificate,
    /// The TSA policy the token is issued under.
    pub policy: ObjectIdentifier,
    /// Fresh random bytes from the caller's CSPRNG: the token's unique serial.
    pub serial_random: [u8; TOKEN_SERIAL_BYTES],
    /// From the service's clock; sub-second parts are dropped.
    pub gen_time: DateTime<Utc>,
    pub accuracy: Accuracy,
}

/// A token waiting for the TSA key's signature over [`Self::signed_attributes`].
pub struct PendingToken {
    tst_info: TstInfo,
    econtent: OctetString,
    signed_attrs: SetOfVec<Attribute>,
    signed_attrs_der: Vec<u8>,
    tsa_certificate: Certificate,
    embed_certificate: bool,
}

impl std::fmt::Debug for PendingToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingToken")
            .field("signed_attrs_len", &self.signed_attrs_der.len())
            .finish_non_exhaustive()
    }
}

impl PendingToken {
    /// The DER of the signed attributes as a SET OF: the message to sign.
    pub fn signed_attributes(&self) -> &[u8] {
        &self.signed_attrs_der
    }

    /// The TSTInfo the token will carry.
    pub fn tst_info(&self) -> &TstInfo {
        &self.tst_info
    }

    /// Assembles the token (a ContentInfo DER) after checking `signature_der`
    /// against the TSA certificate's key.
    pub fn finish(self, signature_der: &[u8]) -> Result<Vec<u8>> {
        let key = key_of(&self.tsa_certificate)?;
        let signature = verify_ecdsa(&key, &self.signed_attrs_der, signature_der)
            .ok_or(TspError::BadSignature)?;
        let tbs = self.tsa_certificate.tbs_certificate();
        let signer_info = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: tbs.issuer().clone(),
                serial_number: tbs.serial_number().clone(),
            }),
            digest_alg: sha256_algorithm(),
            signed_attrs: Some(self.signed_attrs),
            signature_algorithm: AlgorithmIdentifierOwned {
                oid: ECDSA_WITH_SHA_256,
                parameters: None,
            },
            signature: OctetString::new(signature)?,
            unsigned_attrs: None,
        };
        let certificates = if self.embed_certificate {
            Some(CertificateSet(SetOfVec::try_from(vec![
                CertificateChoices::Certificate(self.tsa_certificate.clone()),
            ])?))
        } else {
            None
        };
        let signed_data = SignedData {
            // v3: the encapsulated content is not id-data (RFC 5652 5.1).
            version: CmsVersion::V3,
            digest_algorithms: SetOfVec::try_from(vec![sha256_algorithm()])?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: ID_CT_TST_INFO,
                econtent: Some(Any::encode_from(&self.econtent)?),
            },
            certificates,
            crls: None,
            signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info])?),
        };
        let token = ContentInfo {
            content_type: rfc5911::ID_SIGNED_DATA,
            content: Any::encode_from(&signed_data)?,
        };
        Ok(token.to_der()?)
    }
}

/// Builds the TSTInfo for a parsed request (see [`crate::parse_request`]):
/// its message imprint, the nonce echoed, the TSA certificate embedded when
/// the request asks for it (certReq).
pub fn prepare_token(request: &TimeStampReq, params: &TokenParams<'_>) -> Result<PendingToken> {
    key_of(params.tsa_certificate)?;
    let secs = u64::try_from(params.gen_time.timestamp())
        .map_err(|_| TspError::Malformed("genTime before 1970"))?;
    let tst_info = TstInfo {
        version: TspVersion::V1,
        policy: params.policy,
        message_imprint: request.message_imprint.clone(),
        serial_number: Uint::new(&params.serial_random)?,
        gen_time: GeneralizedTime::from_unix_duration(Duration::from_secs(secs))?,
        accuracy: Some(params.accuracy),
        ordering: false,
        nonce: request.nonce.clone(),
        tsa: None,
        extensions: None,
    };
    let econtent = OctetString::new(tst_info.to_der()?)?;
    let signed_attrs = signed_attributes(
        Sha256::digest(econtent.as_bytes()).as_slice(),
        params.tsa_certificate,
    )?;
    let signed_attrs_der = signed_attrs.to_der()?;
    Ok(PendingToken {
        tst_info,
        econtent,
        signed_attrs,
        signed_attrs_der,
        tsa_certificate: params.tsa_certificate.clone(),
        embed_certificate: request.cert_req,
    })
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value])?,
    })
}

/// contentType id-ct-TSTInfo, messageDigest, signingCertificateV2 (RFC 5816).
fn signed_attributes(
    econtent_digest: &[u8],
    tsa_certificate: &Certificate,
) -> Result<SetOfVec<Attribute>> {
    let tbs = tsa_certificate.tbs_certificate();
    let signing_certificate = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            hash_algorithm: None,
            cert_hash: OctetString::new(Sha256::digest(tsa_certificate.to_der()?).to_vec())?,
            issuer_serial: Some(IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(tbs.issuer().clone())],
                serial_number: tbs.serial_number().clone(),
            }),
        }],
    };
    Ok(SetOfVec::try_from(vec![
        attribute(rfc5911::ID_CONTENT_TYPE, Any::encode_from(&ID_CT_TST_INFO)?)?,
        attribute(
            rfc5911::ID_MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(econtent_digest.to_vec())?)?,
        )?,
        attribute(
            rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2,
            Any::encode_from(&signing_certificate)?,
        )?,
    ])?)
}

/// A `granted` TimeStampResp carrying `token_der` (what `finish` returned).
pub fn granted_response(token_der: &[u8]) -> Result<Vec<u8>> {
    use der::Decode;
    let response = TimeStampResp {
        status: PkiStatusInfo {
            status: PkiStatus::Granted,
            status_string: None,
            fail_info: None,
        },
        time_stamp_token: Some(ContentInfo::from_der(token_der)?),
    };
    Ok(response.to_der()?)
}

/// A `rejection` TimeStampResp with the failure bit and reason of `rejection`.
pub fn rejection_response(rejection: &Rejection) -> Result<Vec<u8>> {
    let response = TimeStampResp {
        status: PkiStatusInfo {
            status: PkiStatus::Rejection,
            status_string: Some(vec![rejection.reason.to_owned()]),
            fail_info: Some(fail_info_bits(rejection.fail_info.bit())?),
        },
        time_stamp_token: None,
    };
    Ok(response.to_der()?)
}

/// A named-bit BIT STRING with one bit set, trailing zero bits left out (DER).
fn fail_info_bits(bit: usize) -> Result<BitString> {
    let mut bytes = vec![0u8; bit / 8 + 1];
    bytes[bit / 8] = 0x80 >> (bit % 8);
    let unused = u8::try_from(7 - bit % 8).expect("below 8");
    Ok(BitString::new(unused, bytes)?)
}
