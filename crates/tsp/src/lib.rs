//! RFC 3161 timestamps for hims-esign, on the same `der` / `cms` /
//! `x509-cert` line as `hims-pki` (`x509-tsp` 0.1 pins older ones).
//!
//! API (all DER in and out):
//! - Client: [`timestamp_request_der`]`(&sha256, nonce_from_random(rng))` →
//!   POST as `application/timestamp-query` → [`verify_response`]`(reply,
//!   &sha256, &nonce)` gives the token (a ContentInfo DER, what goes into a
//!   signatureTimeStampToken attribute or a /DocTimeStamp) and a
//!   [`VerifiedToken`].
//! - TSA: [`parse_request`]`(body, policy)` → `Err(Rejection)` is answered
//!   with [`rejection_response`] (status rejection + failInfo), never an HTTP
//!   error; else [`prepare_token`]`(&request, &TokenParams{..})` →
//!   sign [`PendingToken::signed_attributes`] with the TSA key (KMS `Sign`
//!   ECDSA_SHA_256 RAW, or a soft key) → [`PendingToken::finish`]`(sig)` →
//!   token DER → [`granted_response`]. Internal callers that hold a digest
//!   use [`timestamp_request`] to make the request value directly.
//! - Verifier: [`verify_token`]`(token, &expected_sha256, None)` checks
//!   imprint, messageDigest, ESS signingCertificateV2, the ECDSA signature and
//!   the critical timeStamping EKU, and returns genTime, serial, policy and the
//!   TSA certificate DER; chaining that certificate to the CA is the caller's
//!   (`hims_pki::verify_issued_by`). [`token_tst_info`] reads without checks.
//! - [`SigningCertificateV2`] / [`EssCertIdV2`] are shared with CMS builders.
//!
//! Limits: ECDSA P-256 with SHA-256 tokens only; genTime in whole seconds.

mod asn1;
mod error;
mod issue;
mod request;
mod verify;

pub use asn1::{
    Accuracy, EssCertIdV2, IssuerSerial, MessageImprint, PkiStatus, PkiStatusInfo,
    SigningCertificateV2, TimeStampReq, TimeStampResp, TspVersion, TstInfo,
};
pub use error::{FailureInfo, Rejection, Result, TspError};
pub use issue::{
    PendingToken, TOKEN_SERIAL_BYTES, TokenParams, granted_response, prepare_token,
    rejection_response,
};
pub use request::{
    NONCE_BYTES, nonce_from_random, parse_request, timestamp_request, timestamp_request_der,
};
pub use verify::{VerifiedToken, response_token, token_tst_info, verify_response, verify_token};

/// The OIDs callers need alongside these types.
pub mod oid {
    pub use const_oid::db::rfc3161::{ID_AA_TIME_STAMP_TOKEN, ID_CT_TST_INFO};
    pub use const_oid::db::rfc5280::ID_KP_TIME_STAMPING;

    /// The TSA policy tokens are issued under unless configured otherwise:
    /// ETSI EN 319 421's best-practices time-stamp policy (BTSP).
    pub const DEFAULT_POLICY: const_oid::ObjectIdentifier =
        const_oid::ObjectIdentifier::new_unwrap("0.4.0.2023.1.1");
}

/// The `der` / `cms` types in this crate's API.
pub use der::asn1::Int;
