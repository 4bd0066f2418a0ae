//! Verifying every signature of a PDF: byte ranges, CMS, trust, revocation and later changes.

use std::collections::HashSet;

use chrono::DateTime;
use lopdf::xref::XrefEntry;
use lopdf::{Dictionary, Document, Object, ObjectId};
use sha2::{Digest, Sha256};

use crate::PdfError;
use crate::cms_check::{Anchor, check_cms};
use crate::doc_timestamp_check;
use crate::fields::signature_fields_of;
use crate::ltv::{
    self, DocTimestampFacts, DocumentTimestampReport, Evidence, LongTermReport, SignatureFacts,
};
use crate::modifications::{ModificationLevel, modification_level};
use crate::structure::{self, Revision};

/// The CA to trust and, optionally, its CRL (both DER).
#[derive(Debug, Clone)]
pub struct Trust {
    pub ca_der: Vec<u8>,
    pub crl_der: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureReport {
    pub field_name: String,
    pub signer_cn: Option<String>,
    /// Certificate serial number in upper-case hex.
    pub cert_serial: Option<String>,
    /// The raw /M of the signature dictionary.
    pub signing_time: Option<String>,
    /// Byte range well formed and the CMS valid over it.
    pub intact: bool,
    /// Signer certificate issued by the trusted CA and valid at the signing time.
    pub trusted: bool,
    pub revoked: bool,
    /// What the revisions after this signature changed.
    pub modification: ModificationLevel,
    pub covers_whole_file: bool,
    /// Level, timestamp, DSS evidence and validity as of a later date.
    pub long_term: LongTermReport,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub signatures: Vec<SignatureReport>,
    pub document_timestamps: Vec<DocumentTimestampReport>,
}

impl Report {
    /// Every signature intact, trusted, unrevoked and followed by form filling at most, with
    /// sound long-term evidence where present, and every document timestamp valid.
    pub fn all_valid(&self) -> bool {
        !self.signatures.is_empty()
            && self.signatures.iter().all(|s| {
                s.intact
                    && s.trusted
                    && !s.revoked
                    && s.modification <= ModificationLevel::FormFilling
                    && s.long_term.sound()
            })
            && self
                .document_timestamps
                .iter()
                .all(DocumentTimestampReport::valid)
    }
}

/// How to verify beyond today's checks.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Also judge each signature as of this (typically future) date, from the embedded data
    /// and the timestamps alone.
    pub as_of: Option<chrono::DateTime<chrono::Utc>>,
}

/// Verifies all filled signature fields of `pdf`. Malformed signatures are reported as not
/// intact; only an unreadable document or unusable trust material is an error.
pub fn verify(pdf: &[u8], trust: &Trust) -> Result<Report, PdfError> {
    verify_with(pdf, trust, &VerifyOptions::default())
}

/// [`verify`], with document timestamps and, when asked, validity as of a later date.
pub fn verify_with(pdf: &[u8], trust: &Trust, options: &VerifyOptions) -> Result<Report, PdfError> {
    let anchor = Anchor::new(&trust.ca_der, trust.crl_der.as_deref())?;
    let doc = Document::load_mem(pdf)?;
    let revisions = structure::revisions(pdf);
    // Bytes after the newest revision belong to no revision, yet a viewer that repairs the
    // file may still show them.
    let nothing_unaccounted = revisions
        .as_ref()
        .and_then(|r| r.first())
        .is_some_and(|newest| pdf[newest.end..].iter().all(u8::is_ascii_whitespace));
    let evidence = Evidence::new(&doc, &anchor);
    let mut signed_ends = HashSet::new();
    let mut signatures = Vec::new();
    let mut facts = Vec::new();
    let mut doc_timestamps = Vec::new();
    for field in signature_fields_of(&doc) {
        let Some(value_id) = field.value else {
            continue;
        };
        let sig = doc.get_object(value_id).and_then(Object::as_dict).ok();
        if let Some(sig) = sig.filter(|d| doc_timestamp_check::is_document_timestamp(d)) {
            let context = doc_timestamp_check::Context {
                pdf,
                doc: &doc,
                revisions: revisions.as_deref(),
                nothing_unaccounted,
                evidence: &evidence,
            };
            doc_timestamps.push(doc_timestamp_check::document_timestamp(
                &context,
                field.name,
                value_id,
                sig,
                &mut signed_ends,
            ));
            continue;
        }
        let signing_time = sig
            .and_then(|d| d.get(b"M").and_then(Object::as_str).ok())
            .map(|m| String::from_utf8_lossy(m).into_owned());
        let mut report = SignatureReport {
            field_name: field.name,
            signer_cn: None,
            cert_serial: None,
            signing_time: signing_time.clone(),
            intact: false,
            trusted: false,
            revoked: false,
            modification: ModificationLevel::Other,
            covers_whole_file: false,
            long_term: ltv::unassessed(),
        };
        let mut signature_facts = None;
        let signed = sig.and_then(|sig| signed_revision(pdf, value_id, sig, revisions.as_deref()?));
        if let Some(signed) = signed {
            // Two signatures over one revision: only the first can be that revision's own.
            let own_revision = signed_ends.insert(signed.end);
            let outcome = check_cms(&signed.contents, &signed_digest(pdf, &signed));
            report.intact = outcome.valid && own_revision;
            report.covers_whole_file = signed.end == pdf.len();
            report.modification = modification_after(
                pdf,
                &signed,
                &doc,
                revisions.as_deref(),
                nothing_unaccounted,
            );
            let at = signing_time.as_deref().and_then(pdf_date_unix);
            if let Some(cert) = &outcome.signer {
                report.trusted = anchor.issued(cert, at);
                report.revoked = anchor.revoked(cert);
                report.cert_serial = Some(hex::encode_upper(
                    cert.tbs_certificate().serial_number().as_bytes(),
                ));
                report.signer_cn = cert
                    .tbs_certificate()
                    .subject()
                    .common_name()
                    .ok()
                    .flatten()
                    .map(String::from);
            }
            signature_facts = Some((outcome, at, signed.end));
        }
        signatures.push(report);
        facts.push(signature_facts);
    }
    let doc_facts: Vec<DocTimestampFacts> = doc_timestamps.iter().map(|(_, f)| f.clone()).collect();
    for (report, facts) in signatures.iter_mut().zip(facts) {
        if let Some((outcome, claimed_time, signed_end)) = facts {
            let facts = SignatureFacts {
                intact: report.intact,
                signer: outcome.signer.as_ref(),
                claimed_time,
                signature_value: &outcome.signature_value,
                timestamp_tokens: &outcome.timestamp_tokens,
                signed_end,
            };
            report.long_term = ltv::assess(&evidence, &facts, &doc_facts, options.as_of);
        }
    }
    Ok(Report {
        signatures,
        document_timestamps: doc_timestamps.into_iter().map(|(r, _)| r).collect(),
    })
}

/// The revision one signature signs.
pub(crate) struct Signed {
    pub range: [usize; 4],
    /// End of the signed bytes: the end of a revision.
    pub end: usize,
    pub contents: Vec<u8>,
    /// The document as it was signed.
    pub old: Document,
}

/// The signed revision of the signature dictionary `sig` (object `id`), when the dictionary is
/// sound: /ByteRange is [0 a b c], its gap is exactly the /Contents string of this very
/// dictionary as written in the signed revision (parsed at its cross-reference offset, not
/// searched for), the signed bytes end where a revision of the file ends, and the dictionary
/// is the same in the signed revision and in the whole file.
pub(crate) fn signed_revision(
    pdf: &[u8],
    id: ObjectId,
    sig: &Dictionary,
    revisions: &[Revision],
) -> Option<Signed> {
    let contents = sig.get(b"Contents").and_then(Object::as_str).ok()?;
    let range = parse_byte_range(sig.get(b"ByteRange").ok()?)?;
    let end = check_range(pdf, range, contents)?;
    if !revisions.iter().any(|r| end == r.end || end == r.eof_end) {
        return None;
    }
    let signed_bytes = &pdf[..end];
    let old = Document::load_mem(signed_bytes).ok()?;
    let XrefEntry::Normal { offset, generation } = *old.reference_table.get(id.0)? else {
        return None;
    };
    let offset = usize::try_from(offset).ok()?;
    if generation != id.1 || offset >= range[1] {
        return None;
    }
    let written = structure::object_dict(signed_bytes, offset, id)?;
    if written.only(b"Contents")? != (range[1]..range[2]) {
        return None;
    }
    let unchanged = old.get_object(id).and_then(Object::as_dict).ok()? == sig;
    unchanged.then(|| Signed {
        range,
        end,
        contents: contents.to_vec(),
        old,
    })
}

/// SHA-256 of the bytes a signature covers.
pub(crate) fn signed_digest(pdf: &[u8], signed: &Signed) -> [u8; 32] {
    let [_, gap_start, gap_end, _] = signed.range;
    let mut hasher = Sha256::new();
    hasher.update(&pdf[..gap_start]);
    hasher.update(&pdf[gap_end..signed.end]);
    hasher.finalize().into()
}

/// What changed after `signed`: nothing when it covers the whole file, `Other` when bytes
/// after the newest revision are unaccounted for.
pub(crate) fn modification_after(
    pdf: &[u8],
    signed: &Signed,
    doc: &Document,
    revisions: Option<&[Revision]>,
    nothing_unaccounted: bool,
) -> ModificationLevel {
    if !nothing_unaccounted {
        ModificationLevel::Other
    } else if signed.end == pdf.len() {
        ModificationLevel::None
    } else {
        later_changes(pdf, signed, doc, revisions.unwrap_or_default())
    }
}

/// What the revisions after `signed` changed, free entries included.
fn later_changes(
    pdf: &[u8],
    signed: &Signed,
    doc: &Document,
    revisions: &[Revision],
) -> ModificationLevel {
    let later: Vec<Revision> = revisions
        .iter()
        .filter(|r| r.eof_end > signed.end)
        .copied()
        .collect();
    let freed_old_object = match structure::freed_numbers(pdf, &later) {
        Some(freed) => signed.old.objects.keys().any(|id| freed.contains(&id.0)),
        None => true,
    };
    if freed_old_object {
        return ModificationLevel::Other;
    }
    modification_level(&signed.old, doc)
}

/// Exactly four non-negative integers.
fn parse_byte_range(obj: &Object) -> Option<[usize; 4]> {
    let values: Vec<usize> = obj
        .as_array()
        .ok()?
        .iter()
        .map(|v| match v {
            Object::Integer(n) => usize::try_from(*n).ok(),
            _ => None,
        })
        .collect::<Option<_>>()?;
    values.try_into().ok()
}

/// The byte range must start at 0 and skip exactly the hex string holding `contents`.
/// Returns the end of the signed bytes.
fn check_range(pdf: &[u8], range: [usize; 4], contents: &[u8]) -> Option<usize> {
    let [start, gap_start, gap_end, tail_len] = range;
    let end = gap_end.checked_add(tail_len)?;
    if start != 0 || gap_start == 0 || gap_end <= gap_start.checked_add(1)? || end > pdf.len() {
        return None;
    }
    let gap = &pdf[gap_start..gap_end];
    let hex_digits = gap.strip_prefix(b"<")?.strip_suffix(b">")?;
    let decoded = hex::decode(hex_digits).ok()?;
    (decoded == contents).then_some(end)
}

/// Seconds since the epoch of a PDF date like `D:20260314093000+08'00'`.
pub fn pdf_date_unix(m: &str) -> Option<i64> {
    let s = m.strip_prefix("D:").unwrap_or(m);
    let digits = s.get(..14)?;
    let zone = s.get(14..).unwrap_or("Z");
    let normalised = if zone.is_empty() || zone.starts_with('Z') {
        format!("{digits}+0000")
    } else {
        let z: String = zone.chars().filter(|c| *c != '\'').collect();
        format!("{digits}{z}")
    };
    DateTime::parse_from_str(&normalised, "%Y%m%d%H%M%S%z")
        .ok()
        .map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates_parse_with_offsets() {
        assert_eq!(
            pdf_date_unix("D:20260314093000+08'00'"),
            Some(1_773_451_800)
        );
        assert_eq!(pdf_date_unix("D:20260314013000Z"), Some(1_773_451_800));
        assert_eq!(pdf_date_unix("D:2026"), None);
    }

    #[test]
    fn byte_range_must_skip_exactly_the_contents() {
        let pdf = b"%PDF head <0A0B> tail";
        let gap_start = 10;
        let gap_end = 16;
        let ok = [0, gap_start, gap_end, pdf.len() - gap_end];
        assert_eq!(check_range(pdf, ok, &[0x0A, 0x0B]), Some(pdf.len()));
        assert_eq!(check_range(pdf, ok, &[0x0A, 0x0C]), None);
        assert_eq!(
            check_range(pdf, [1, gap_start, gap_end, 4], &[0x0A, 0x0B]),
            None
        );
        assert_eq!(
            check_range(pdf, [0, gap_start, gap_end, 999], &[0x0A, 0x0B]),
            None
        );
        assert_eq!(
            check_range(pdf, [0, gap_start + 1, gap_end, 5], &[0x0A, 0x0B]),
            None
        );
        assert_eq!(
            check_range(pdf, [0, gap_start, usize::MAX, 5], &[0x0A, 0x0B]),
            None
        );
    }
}
