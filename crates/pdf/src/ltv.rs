//! Long-term validation of the signatures of a PDF: their timestamps, the DSS, document
//! timestamps, the PAdES level each signature reaches, and validity "as of" a later date.
//!
//! What counts as evidence: the signature timestamp proves the signature existed at its genTime
//! (so the signer's certificate must be valid then, not today); a CRL of the trusted CA in the
//! DSS that was current at that time (nextUpdate not before it) and does not list the signer or
//! the TSA proves they were not revoked; a document timestamp proves everything before it
//! existed at its genTime, which keeps an earlier timestamp provable after its TSA certificate
//! expires.

use chrono::{DateTime, Utc};
use x509_cert::certificate::Certificate;

use crate::cms_check::{Anchor, CrlInfo};
use crate::dss;
use crate::timestamp::{self, TimestampReport};

/// How far a timestamp may precede the signer's claimed time (/M) before it is reported:
/// clocks differ a little, a signature cannot be timestamped before it was made.
pub const TIMESTAMP_BEFORE_SIGNING_TOLERANCE_SECONDS: i64 = 5 * 60;

/// The PAdES baseline level a signature reaches (ETSI EN 319 142-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PadesLevel {
    /// Signed, no timestamp.
    BB,
    /// With a signature timestamp.
    BT,
    /// And the DSS holds what validates it (CA-issued chain, a current CRL).
    BLT,
    /// And a valid document timestamp covers it.
    BLTA,
}

impl PadesLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BB => "B-B",
            Self::BT => "B-T",
            Self::BLT => "B-LT",
            Self::BLTA => "B-LTA",
        }
    }
}

/// The long-term part of one signature's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongTermReport {
    pub level: PadesLevel,
    /// The signature timestamp (id-aa-signatureTimeStampToken), when there is one.
    pub timestamp: Option<TimestampReport>,
    /// The signature timestamp is earlier than /M by more than the tolerance.
    pub timestamp_before_signing_time: bool,
    /// A CRL in the DSS lists the signer's or the signature TSA's certificate.
    pub revoked_in_dss: bool,
    /// Intact, chained to the CA at the time the timestamp proves, with a DSS CRL current then
    /// that lists neither the signer nor the TSA: no network and no outside CRL needed.
    pub validates_offline: bool,
    /// With [`crate::VerifyOptions::as_of`]: still provable at that date (the timestamps chain
    /// up to one whose TSA certificate is valid then).
    pub valid_as_of: Option<bool>,
}

impl LongTermReport {
    /// Nothing wrong with the long-term evidence that is present.
    pub fn sound(&self) -> bool {
        !self.timestamp_before_signing_time
            && !self.revoked_in_dss
            && self
                .timestamp
                .as_ref()
                .is_none_or(|t| t.valid() && !t.revoked)
            && self.valid_as_of != Some(false)
    }
}

/// A document timestamp (`/Type/DocTimeStamp`) of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentTimestampReport {
    pub field_name: String,
    /// The token; `intact` also requires a sound byte range over a whole revision.
    pub timestamp: TimestampReport,
    pub modification: crate::ModificationLevel,
    pub covers_whole_file: bool,
}

impl DocumentTimestampReport {
    pub fn valid(&self) -> bool {
        self.timestamp.valid()
            && !self.timestamp.revoked
            && self.modification <= crate::ModificationLevel::FormFilling
    }
}

/// The DSS of the file as evidence: its certificates, and its CRLs that the CA signed.
pub(crate) struct Evidence<'a> {
    anchor: &'a Anchor,
    dss_certs: Vec<Vec<u8>>,
    crls: Vec<CrlInfo>,
}

impl<'a> Evidence<'a> {
    pub(crate) fn new(doc: &lopdf::Document, anchor: &'a Anchor) -> Self {
        let data = dss::read(doc);
        let crls = data
            .crls
            .iter()
            .filter_map(|der| anchor.crl(der).ok())
            .collect();
        Self {
            anchor,
            dss_certs: data.certs,
            crls,
        }
    }

    /// A DSS CRL current at `at` or issued after it.
    fn has_crl_for(&self, at: i64) -> bool {
        self.crls
            .iter()
            .any(|c| c.next_update.is_none_or(|next| next >= at))
    }

    fn lists(&self, cert: &Certificate) -> bool {
        self.crls.iter().any(|c| c.lists(cert))
    }

    /// Verifies a timestamp token over `expected_sha256`, with revocation from the DSS and the
    /// verifier's own CRL.
    pub(crate) fn timestamp(
        &self,
        token: &[u8],
        expected_sha256: &[u8],
    ) -> (TimestampReport, Option<Certificate>) {
        let (mut report, cert) =
            timestamp::verify_token(token, expected_sha256, self.anchor, &self.dss_certs);
        if let Some(cert) = &cert {
            report.revoked = self.lists(cert) || self.anchor.revoked(cert);
        }
        (report, cert)
    }
}

/// What the verifier knows of one signature, for its long-term assessment.
pub(crate) struct SignatureFacts<'a> {
    pub intact: bool,
    pub signer: Option<&'a Certificate>,
    /// /M, seconds since the epoch.
    pub claimed_time: Option<i64>,
    pub signature_value: &'a [u8],
    pub timestamp_tokens: &'a [Vec<u8>],
    /// End of the signed revision.
    pub signed_end: usize,
}

/// A document timestamp as evidence for the signatures before it.
#[derive(Debug, Clone)]
pub(crate) struct DocTimestampFacts {
    pub signed_end: usize,
    pub valid: bool,
    pub time: Option<i64>,
    pub tsa_not_after: Option<i64>,
}

/// The report of a signature whose CMS could not be read.
pub(crate) fn unassessed() -> LongTermReport {
    LongTermReport {
        level: PadesLevel::BB,
        timestamp: None,
        timestamp_before_signing_time: false,
        revoked_in_dss: false,
        validates_offline: false,
        valid_as_of: None,
    }
}

pub(crate) fn assess(
    evidence: &Evidence<'_>,
    facts: &SignatureFacts<'_>,
    doc_timestamps: &[DocTimestampFacts],
    as_of: Option<DateTime<Utc>>,
) -> LongTermReport {
    let signature_digest = sha2::Digest::finalize(sha2::Digest::chain_update(
        <sha2::Sha256 as sha2::Digest>::new(),
        facts.signature_value,
    ));
    // Exactly one signature timestamp is expected; several are judged by the first.
    let stamped = facts
        .timestamp_tokens
        .first()
        .map(|token| evidence.timestamp(token, &signature_digest));
    let timestamp = stamped.as_ref().map(|(report, _)| report.clone());
    let tsa_cert = stamped.and_then(|(_, cert)| cert);
    let ts_time = timestamp
        .as_ref()
        .filter(|t| t.valid())
        .and_then(|t| t.time)
        .map(|t| t.timestamp());
    let timestamp_before_signing_time =
        match (timestamp.as_ref().and_then(|t| t.time), facts.claimed_time) {
            (Some(ts), Some(claimed)) => {
                ts.timestamp() < claimed - TIMESTAMP_BEFORE_SIGNING_TOLERANCE_SECONDS
            }
            _ => false,
        };
    let revoked_in_dss = facts.signer.is_some_and(|c| evidence.lists(c))
        || tsa_cert.as_ref().is_some_and(|c| evidence.lists(c));
    // The time the signature is proven to have existed: its timestamp, else the claim.
    let proven_time = ts_time.or(facts.claimed_time);
    let signer_valid_then = facts
        .signer
        .is_some_and(|c| evidence.anchor.issued(c, proven_time));
    let crl_current = proven_time.is_some_and(|t| evidence.has_crl_for(t));
    let timestamp_ok = timestamp.as_ref().is_none_or(|t| t.valid() && !t.revoked);
    let validates_offline = facts.intact
        && signer_valid_then
        && crl_current
        && timestamp_ok
        && !timestamp_before_signing_time
        && !revoked_in_dss;

    let covered_by_doc_ts = doc_timestamps
        .iter()
        .any(|d| d.valid && d.signed_end >= facts.signed_end);
    let level = match &timestamp {
        None => PadesLevel::BB,
        Some(_) if !crl_current => PadesLevel::BT,
        Some(_) if covered_by_doc_ts => PadesLevel::BLTA,
        Some(_) => PadesLevel::BLT,
    };
    let valid_as_of = as_of.map(|at| {
        let at = at.timestamp();
        let stamp = timestamp.as_ref().filter(|t| t.valid());
        validates_offline
            && stamp.is_some_and(|t| {
                proven_at(
                    at,
                    facts.signed_end,
                    t.time.map(|x| x.timestamp()),
                    t.tsa_not_after,
                    doc_timestamps,
                )
            })
    });
    LongTermReport {
        level,
        timestamp,
        timestamp_before_signing_time,
        revoked_in_dss,
        validates_offline,
        valid_as_of,
    }
}

/// A timestamp made at `time` by a TSA whose certificate ends at `not_after`, in the revision
/// ending at `end`, is still provable at `at`: its TSA certificate is valid then, or a valid
/// document timestamp made while it was valid covers it and is itself provable at `at`.
fn proven_at(
    at: i64,
    end: usize,
    time: Option<i64>,
    not_after: Option<i64>,
    doc_timestamps: &[DocTimestampFacts],
) -> bool {
    let (Some(time), Some(not_after)) = (time, not_after) else {
        return false;
    };
    if at <= not_after {
        return true;
    }
    doc_timestamps.iter().any(|d| {
        d.valid
            && d.signed_end > end
            && d.time.is_some_and(|t| t >= time && t <= not_after)
            && proven_at(at, d.signed_end, d.time, d.tsa_not_after, doc_timestamps)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc_ts(signed_end: usize, time: i64, tsa_not_after: i64) -> DocTimestampFacts {
        DocTimestampFacts {
            signed_end,
            valid: true,
            time: Some(time),
            tsa_not_after: Some(tsa_not_after),
        }
    }

    #[test]
    fn a_chain_of_document_timestamps_keeps_a_timestamp_provable() {
        // Signature timestamp at 10 by a TSA certificate ending at 100, in the revision ending
        // at byte 1000.
        assert!(proven_at(50, 1000, Some(10), Some(100), &[]));
        assert!(!proven_at(150, 1000, Some(10), Some(100), &[]));
        // Re-timestamped at 90 (TSA until 200), then at 190 (TSA until 300).
        let chain = [doc_ts(2000, 90, 200), doc_ts(3000, 190, 300)];
        assert!(proven_at(150, 1000, Some(10), Some(100), &chain));
        assert!(proven_at(250, 1000, Some(10), Some(100), &chain));
        assert!(!proven_at(350, 1000, Some(10), Some(100), &chain));
        // A re-timestamp made after the previous TSA certificate expired proves nothing.
        let late = [doc_ts(2000, 120, 200)];
        assert!(!proven_at(150, 1000, Some(10), Some(100), &late));
        // Nor one that does not cover the revision, nor an invalid one.
        let before = [doc_ts(900, 90, 200)];
        assert!(!proven_at(150, 1000, Some(10), Some(100), &before));
        let invalid = [DocTimestampFacts {
            valid: false,
            ..doc_ts(2000, 90, 200)
        }];
        assert!(!proven_at(150, 1000, Some(10), Some(100), &invalid));
    }
}
