//! Errors: why a request is refused (an RFC 3161 failure code, answered as a
//! `rejection`), and why a token or response does not check out.

/// PKIFailureInfo bits (RFC 3161 2.4.2) this TSA answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureInfo {
    /// Unrecognised or unsupported hash algorithm.
    BadAlg,
    /// Transaction not permitted or supported (e.g. wrong version).
    BadRequest,
    /// The data submitted has the wrong format.
    BadDataFormat,
    /// The TSA's time source is not available.
    TimeNotAvailable,
    /// The requested TSA policy is not supported.
    UnacceptedPolicy,
    /// The requested extension is not supported.
    UnacceptedExtension,
    /// The request cannot be handled due to a system failure.
    SystemFailure,
}

impl FailureInfo {
    /// The bit number in the PKIFailureInfo BIT STRING.
    pub fn bit(self) -> usize {
        match self {
            FailureInfo::BadAlg => 0,
            FailureInfo::BadRequest => 2,
            FailureInfo::BadDataFormat => 5,
            FailureInfo::TimeNotAvailable => 14,
            FailureInfo::UnacceptedPolicy => 15,
            FailureInfo::UnacceptedExtension => 16,
            FailureInfo::SystemFailure => 25,
        }
    }

    pub fn from_bit(bit: usize) -> Option<Self> {
        [
            FailureInfo::BadAlg,
            FailureInfo::BadRequest,
            FailureInfo::BadDataFormat,
            FailureInfo::TimeNotAvailable,
            FailureInfo::UnacceptedPolicy,
            FailureInfo::UnacceptedExtension,
            FailureInfo::SystemFailure,
        ]
        .into_iter()
        .find(|f| f.bit() == bit)
    }
}

/// A request this TSA will not stamp: answered with status `rejection`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("timestamp request rejected ({fail_info:?}): {reason}")]
pub struct Rejection {
    pub fail_info: FailureInfo,
    /// Goes into statusString; never echoes request bytes.
    pub reason: &'static str,
}

impl Rejection {
    pub fn new(fail_info: FailureInfo, reason: &'static str) -> Self {
        Self { fail_info, reason }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TspError {
    #[error("DER: {0}")]
    Der(#[from] der::Error),
    #[error("TSA certificate: {0}")]
    Certificate(#[from] hims_pki::PkiError),
    #[error("the TSA certificate's key is not ECDSA P-256")]
    UnsupportedKey,
    #[error("signature is not a DER ECDSA signature over the signed attributes by the TSA key")]
    BadSignature,
    #[error("the TSA refused the request (status {status}, failInfo {fail_info:?}): {text}")]
    Refused {
        /// PKIStatus as a number (2 = rejection, 3 = waiting...).
        status: u8,
        fail_info: Option<FailureInfo>,
        text: String,
    },
    #[error("malformed timestamp token: {0}")]
    Malformed(&'static str),
    #[error("timestamp token does not verify: {0}")]
    Invalid(&'static str),
}

pub type Result<T, E = TspError> = std::result::Result<T, E>;
