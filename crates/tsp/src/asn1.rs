//! The RFC 3161 and RFC 5035 types, defined with `der`'s derive. The token
//! itself (a CMS SignedData in a ContentInfo) uses the `cms` crate's types.

use der::asn1::{BitString, GeneralizedTime, Int, ObjectIdentifier, OctetString, Uint};
use der::{Enumerated, Sequence};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::Extensions;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::serial_number::SerialNumber;

/// ```text
/// MessageImprint ::= SEQUENCE {
///     hashAlgorithm AlgorithmIdentifier,
///     hashedMessage OCTET STRING }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct MessageImprint {
    pub hash_algorithm: AlgorithmIdentifierOwned,
    pub hashed_message: OctetString,
}

#[derive(Clone, Copy, Debug, Eq, PartialEq, Enumerated)]
#[asn1(type = "INTEGER")]
#[repr(u8)]
pub enum TspVersion {
    V1 = 1,
}

/// ```text
/// TimeStampReq ::= SEQUENCE {
///     version        INTEGER { v1(1) },
///     messageImprint MessageImprint,
///     reqPolicy      TSAPolicyId OPTIONAL,
///     nonce          INTEGER OPTIONAL,
///     certReq        BOOLEAN DEFAULT FALSE,
///     extensions     [0] IMPLICIT Extensions OPTIONAL }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TimeStampReq {
    pub version: TspVersion,
    pub message_imprint: MessageImprint,
    #[asn1(optional = "true")]
    pub req_policy: Option<ObjectIdentifier>,
    #[asn1(optional = "true")]
    pub nonce: Option<Int>,
    #[asn1(default = "Default::default")]
    pub cert_req: bool,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub extensions: Option<Extensions>,
}

/// PKIStatus (RFC 3161 2.4.2).
#[derive(Clone, Copy, Debug, Eq, PartialEq, Enumerated)]
#[asn1(type = "INTEGER")]
#[repr(u8)]
pub enum PkiStatus {
    Granted = 0,
    GrantedWithMods = 1,
    Rejection = 2,
    Waiting = 3,
    RevocationWarning = 4,
    RevocationNotification = 5,
}

/// ```text
/// PKIStatusInfo ::= SEQUENCE {
///     status       PKIStatus,
///     statusString PKIFreeText OPTIONAL,   -- SEQUENCE SIZE (1..MAX) OF UTF8String
///     failInfo     PKIFailureInfo OPTIONAL }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct PkiStatusInfo {
    pub status: PkiStatus,
    #[asn1(optional = "true")]
    pub status_string: Option<Vec<String>>,
    #[asn1(optional = "true")]
    pub fail_info: Option<BitString>,
}

/// ```text
/// TimeStampResp ::= SEQUENCE {
///     status         PKIStatusInfo,
///     timeStampToken TimeStampToken OPTIONAL }   -- a ContentInfo
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TimeStampResp {
    pub status: PkiStatusInfo,
    #[asn1(optional = "true")]
    pub time_stamp_token: Option<cms::content_info::ContentInfo>,
}

/// ```text
/// Accuracy ::= SEQUENCE {
///     seconds INTEGER OPTIONAL,
///     millis  [0] INTEGER (1..999) OPTIONAL,
///     micros  [1] INTEGER (1..999) OPTIONAL }
/// ```
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq, Sequence)]
pub struct Accuracy {
    #[asn1(optional = "true")]
    pub seconds: Option<u32>,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub millis: Option<u16>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub micros: Option<u16>,
}

/// ```text
/// TSTInfo ::= SEQUENCE {
///     version        INTEGER { v1(1) },
///     policy         TSAPolicyId,
///     messageImprint MessageImprint,
///     serialNumber   INTEGER,
///     genTime        GeneralizedTime,
///     accuracy       Accuracy OPTIONAL,
///     ordering       BOOLEAN DEFAULT FALSE,
///     nonce          INTEGER OPTIONAL,
///     tsa            [0] GeneralName OPTIONAL,
///     extensions     [1] IMPLICIT Extensions OPTIONAL }
/// ```
/// genTime is whole seconds here (der's GeneralizedTime has no fractions).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TstInfo {
    pub version: TspVersion,
    pub policy: ObjectIdentifier,
    pub message_imprint: MessageImprint,
    pub serial_number: Uint,
    pub gen_time: GeneralizedTime,
    #[asn1(optional = "true")]
    pub accuracy: Option<Accuracy>,
    #[asn1(default = "Default::default")]
    pub ordering: bool,
    #[asn1(optional = "true")]
    pub nonce: Option<Int>,
    // GeneralName is a CHOICE, so the tag is explicit whatever the module default.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub tsa: Option<GeneralName>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub extensions: Option<Extensions>,
}

/// ESSCertIDv2 (RFC 5035). hashAlgorithm DEFAULT SHA-256 is left out when
/// writing; read, it may be present (some TSAs spell the default out).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct EssCertIdV2 {
    #[asn1(optional = "true")]
    pub hash_algorithm: Option<AlgorithmIdentifierOwned>,
    pub cert_hash: OctetString,
    #[asn1(optional = "true")]
    pub issuer_serial: Option<IssuerSerial>,
}

/// IssuerSerial (RFC 5035).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct IssuerSerial {
    pub issuer: Vec<GeneralName>,
    pub serial_number: SerialNumber,
}

/// SigningCertificateV2 (RFC 5035), policies left out.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SigningCertificateV2 {
    pub certs: Vec<EssCertIdV2>,
}
