//! Verifying a document timestamp (`/Type/DocTimeStamp`): the same byte-range and revision
//! checks as a signature, then the token's imprint over the covered bytes and its TSA.

use std::collections::HashSet;

use lopdf::{Dictionary, Document, Object, ObjectId};

use crate::ModificationLevel;
use crate::ltv::{DocTimestampFacts, DocumentTimestampReport, Evidence};
use crate::structure::Revision;
use crate::timestamp::TimestampReport;
use crate::verify::{modification_after, signed_digest, signed_revision};

pub(crate) fn is_document_timestamp(sig: &Dictionary) -> bool {
    sig.get(b"Type").and_then(Object::as_name).ok() == Some(b"DocTimeStamp")
}

/// What the verifier knows of the file, shared with the signatures' checks.
pub(crate) struct Context<'a> {
    pub pdf: &'a [u8],
    pub doc: &'a Document,
    pub revisions: Option<&'a [Revision]>,
    pub nothing_unaccounted: bool,
    pub evidence: &'a Evidence<'a>,
}

/// Checks the document timestamp `sig` (object `id`) of field `field_name`. `signed_ends`
/// holds the revisions already claimed by a signature or timestamp: one per revision.
pub(crate) fn document_timestamp(
    context: &Context<'_>,
    field_name: String,
    id: ObjectId,
    sig: &Dictionary,
    signed_ends: &mut HashSet<usize>,
) -> (DocumentTimestampReport, DocTimestampFacts) {
    let pdf = context.pdf;
    let signed = context
        .revisions
        .and_then(|revisions| signed_revision(pdf, id, sig, revisions))
        .filter(|_| sig.get(b"SubFilter").and_then(Object::as_name).ok() == Some(b"ETSI.RFC3161"));
    let Some(signed) = signed else {
        let report = DocumentTimestampReport {
            field_name,
            timestamp: TimestampReport::default(),
            modification: ModificationLevel::Other,
            covers_whole_file: false,
        };
        let facts = DocTimestampFacts {
            signed_end: 0,
            valid: false,
            time: None,
            tsa_not_after: None,
        };
        return (report, facts);
    };
    let own_revision = signed_ends.insert(signed.end);
    let (mut timestamp, _) = context
        .evidence
        .timestamp(&signed.contents, &signed_digest(pdf, &signed));
    timestamp.intact &= own_revision;
    let report = DocumentTimestampReport {
        field_name,
        timestamp,
        modification: modification_after(
            pdf,
            &signed,
            context.doc,
            context.revisions,
            context.nothing_unaccounted,
        ),
        covers_whole_file: signed.end == pdf.len(),
    };
    let facts = DocTimestampFacts {
        signed_end: signed.end,
        valid: report.valid(),
        time: report.timestamp.time.map(|t| t.timestamp()),
        tsa_not_after: report.timestamp.tsa_not_after,
    };
    (report, facts)
}
