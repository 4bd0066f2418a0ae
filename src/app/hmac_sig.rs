//! HMAC-SHA256 request signatures shared by the eKYC callback (incoming) and
//! the portal webhooks (outgoing): `X-Timestamp: <unix seconds>` and
//! `X-Signature: sha256=<hex of HMAC(secret, "<timestamp>.<raw body>")>`.
//! Binding the timestamp into the MAC stops an old body being replayed with a
//! fresh timestamp.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "x-signature";
pub const TIMESTAMP_HEADER: &str = "x-timestamp";

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `X-Signature` header value for a body sent at `timestamp`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let tag = mac(secret, &timestamp.to_string(), body)
        .finalize()
        .into_bytes();
    format!("sha256={}", hex::encode(tag))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureProblem {
    Missing,
    Invalid,
    Stale,
}

/// Checks the headers against the raw body, in constant time, and that the
/// timestamp is within `tolerance_secs` of `now`.
pub fn verify(
    secret: &[u8],
    signature: Option<&str>,
    timestamp: Option<&str>,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<i64, SignatureProblem> {
    let (Some(signature), Some(timestamp)) = (signature, timestamp) else {
        return Err(SignatureProblem::Missing);
    };
    let at: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureProblem::Stale)?;
    if (now - at).abs() > tolerance_secs {
        return Err(SignatureProblem::Stale);
    }
    let tag = signature
        .trim()
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or(SignatureProblem::Invalid)?;
    mac(secret, timestamp.trim(), body)
        .verify_slice(&tag)
        .map(|()| at)
        .map_err(|_| SignatureProblem::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_764_000_000;

    #[test]
    fn round_trip_and_every_refusal() {
        let sig = sign(b"s3cret", NOW, b"{}");
        assert_eq!(
            verify(
                b"s3cret",
                Some(&sig),
                Some(&NOW.to_string()),
                b"{}",
                NOW + 299,
                300
            ),
            Ok(NOW)
        );
        assert_eq!(
            verify(
                b"other",
                Some(&sig),
                Some(&NOW.to_string()),
                b"{}",
                NOW,
                300
            ),
            Err(SignatureProblem::Invalid)
        );
        assert_eq!(
            verify(
                b"s3cret",
                Some(&sig),
                Some(&NOW.to_string()),
                b"{ }",
                NOW,
                300
            ),
            Err(SignatureProblem::Invalid)
        );
        assert_eq!(
            verify(
                b"s3cret",
                Some(&sig),
                Some(&NOW.to_string()),
                b"{}",
                NOW + 301,
                300
            ),
            Err(SignatureProblem::Stale)
        );
        assert_eq!(
            verify(b"s3cret", Some(&sig), Some("1764000001"), b"{}", NOW, 300),
            Err(SignatureProblem::Invalid)
        );
        assert_eq!(
            verify(b"s3cret", None, Some("1"), b"{}", NOW, 300),
            Err(SignatureProblem::Missing)
        );
        assert_eq!(
            verify(
                b"s3cret",
                Some("sha256=zz"),
                Some(&NOW.to_string()),
                b"{}",
                NOW,
                300
            ),
            Err(SignatureProblem::Invalid)
        );
    }
}
