//! TimeStampReq: made by the client for a SHA-256 digest, read by the TSA.

use const_oid::db::rfc5912::{ID_SHA_256, ID_SHA_384, ID_SHA_512};
use der::asn1::{Int, ObjectIdentifier, OctetString};
use der::{Any, Decode, Encode, Tagged};
use spki::AlgorithmIdentifierOwned;

use crate::asn1::{MessageImprint, TimeStampReq, TspVersion};
use crate::error::{FailureInfo, Rejection, Result};

/// Bytes of a client nonce (64 bits, as `openssl ts -query` uses).
pub const NONCE_BYTES: usize = 8;

pub(crate) fn sha256_algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ID_SHA_256,
        parameters: None,
    }
}

/// A positive INTEGER from random bytes, 62 of them random: the first octet
/// is forced into 0x40..=0x7f, so it needs no sign octet and is never a
/// leading zero (`Int::new` keeps leading zeros, which DER forbids: one nonce
/// in 256 would not decode), and the echo compares byte for byte.
pub fn nonce_from_random(mut random: [u8; NONCE_BYTES]) -> Int {
    random[0] = (random[0] & 0x3f) | 0x40;
    Int::new(&random).expect("8 bytes always make an INTEGER")
}

/// A request for `sha256_digest` with `nonce`, asking for the TSA certificate
/// in the token (certReq TRUE) and naming no policy.
pub fn timestamp_request(sha256_digest: &[u8; 32], nonce: Int) -> Result<TimeStampReq> {
    Ok(TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: sha256_algorithm(),
            hashed_message: OctetString::new(sha256_digest.to_vec())?,
        },
        req_policy: None,
        nonce: Some(nonce),
        cert_req: true,
        extensions: None,
    })
}

/// [`timestamp_request`] as DER, what `POST` sends as `application/timestamp-query`.
pub fn timestamp_request_der(sha256_digest: &[u8; 32], nonce: Int) -> Result<Vec<u8>> {
    Ok(timestamp_request(sha256_digest, nonce)?.to_der()?)
}

/// Reads a request body and checks it against what this TSA serves
/// (`policy`); every refusal names the RFC 3161 failure bit.
pub fn parse_request(
    der_bytes: &[u8],
    policy: ObjectIdentifier,
) -> Result<TimeStampReq, Rejection> {
    let request = TimeStampReq::from_der(der_bytes).map_err(|_| {
        // An unknown version fails to decode as the v1 enumeration.
        if version_is_not_v1(der_bytes) {
            Rejection::new(
                FailureInfo::BadRequest,
                "only version 1 requests are served",
            )
        } else {
            Rejection::new(
                FailureInfo::BadDataFormat,
                "the request is not a DER TimeStampReq",
            )
        }
    })?;
    let imprint = &request.message_imprint;
    let expected_len = match imprint.hash_algorithm.oid {
        ID_SHA_256 => 32,
        ID_SHA_384 => 48,
        ID_SHA_512 => 64,
        _ => {
            return Err(Rejection::new(
                FailureInfo::BadAlg,
                "the hash algorithm must be SHA-256, SHA-384 or SHA-512",
            ));
        }
    };
    let null = Any::from(der::asn1::Null);
    if imprint
        .hash_algorithm
        .parameters
        .as_ref()
        .is_some_and(|p| *p != null)
    {
        return Err(Rejection::new(
            FailureInfo::BadAlg,
            "the hash algorithm has unexpected parameters",
        ));
    }
    if imprint.hashed_message.as_bytes().len() != expected_len {
        return Err(Rejection::new(
            FailureInfo::BadDataFormat,
            "the message imprint's length does not match its hash algorithm",
        ));
    }
    if request.req_policy.is_some_and(|asked| asked != policy) {
        return Err(Rejection::new(
            FailureInfo::UnacceptedPolicy,
            "this TSA serves only its own policy",
        ));
    }
    if request.extensions.as_ref().is_some_and(|e| !e.is_empty()) {
        return Err(Rejection::new(
            FailureInfo::UnacceptedExtension,
            "request extensions are not supported",
        ));
    }
    Ok(request)
}

/// True when the body is a SEQUENCE starting with an INTEGER other than 1.
fn version_is_not_v1(der_bytes: &[u8]) -> bool {
    let Ok(any) = Any::from_der(der_bytes) else {
        return false;
    };
    if any.tag() != der::Tag::Sequence {
        return false;
    }
    let mut reader = match der::SliceReader::new(any.value()) {
        Ok(reader) => reader,
        Err(_) => return false,
    };
    matches!(Int::decode(&mut reader), Ok(version) if version.as_bytes() != [1])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever the random bytes, the nonce is canonical DER and round-trips.
    #[test]
    fn every_nonce_decodes_as_it_was_made() {
        for first in 0..=u8::MAX {
            for second in [0x00, 0x7f, 0x80, 0xff] {
                let nonce = nonce_from_random([first, second, 0, 0, 0, 0, 0, 1]);
                let der = nonce.to_der().expect("encodes");
                assert_eq!(Int::from_der(&der).expect("decodes"), nonce, "{first:#x}");
            }
        }
    }
}
