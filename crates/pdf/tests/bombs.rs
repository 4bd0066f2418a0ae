//! Issue 13 (1): decompression bombs, made here (`hims_pdf::bombs`), never
//! inflate past the budget: an object stream or a cross-reference stream of
//! a gigabyte, many such sections, a content stream (never decoded at all),
//! and many signatures over many revisions (each revision loaded once). The
//! bound checked is the work done (bytes decoded), not the time taken.

mod common;

use hims_pdf::{
    Budget, PdfError, REQUEST_LIMIT, STREAM_LIMIT, Trust, VerifyOptions, bombs, verify_with_budget,
};

const MIB: usize = 1024 * 1024;
const GIB: usize = 1024 * MIB;

fn trust() -> Trust {
    let pki = common::make_pki(&[]);
    Trust {
        ca_der: pki.ca_der.clone(),
        crl_der: None,
    }
}

fn verify_bomb(pdf: &[u8], trust: &Trust) -> (Result<hims_pdf::Report, PdfError>, usize) {
    let mut budget = Budget::default();
    let result = verify_with_budget(pdf, trust, &VerifyOptions::default(), &mut budget);
    assert!(
        budget.decoded() <= REQUEST_LIMIT,
        "decoded {}",
        budget.decoded()
    );
    (result, budget.decoded())
}

#[test]
fn gigabyte_object_and_xref_streams_stop_at_the_stream_limit() {
    let trust = trust();
    for (what, pdf) in [
        ("object stream", bombs::object_stream_bomb(GIB)),
        ("xref stream", bombs::xref_stream_bomb(GIB, 1)),
    ] {
        assert!(
            pdf.len() < 2 * MIB,
            "{what}: a small upload ({} bytes)",
            pdf.len()
        );
        let (result, decoded) = verify_bomb(&pdf, &trust);
        assert!(
            matches!(result, Err(PdfError::TooComplex)),
            "{what}: {result:?}"
        );
        assert!(decoded <= STREAM_LIMIT, "{what}: decoded {decoded}");
    }
}

#[test]
fn many_streams_under_the_stream_limit_stop_at_the_request_limit() {
    let trust = trust();
    // 40 sections of 8 MiB: each stream is allowed, together they are not.
    let pdf = bombs::xref_stream_bomb(8 * MIB, 40);
    let (result, decoded) = verify_bomb(&pdf, &trust);
    assert!(matches!(result, Err(PdfError::TooComplex)), "{result:?}");
    assert!(
        decoded > REQUEST_LIMIT - 8 * MIB,
        "the budget was spent: {decoded}"
    );
}

#[test]
fn a_content_stream_bomb_is_never_inflated() {
    let pdf = bombs::content_stream_bomb(GIB);
    let (result, decoded) = verify_bomb(&pdf, &trust());
    assert_eq!(result.map(|r| r.signatures.len()).ok(), Some(0));
    assert_eq!(decoded, 0);
}

#[test]
fn signatures_over_one_revision_load_it_once() {
    // 100 signatures over a revision before the last, 100 over the whole file.
    let pdf = bombs::signature_revisions_bomb(MIB, 2, 100);
    let (result, decoded) = verify_bomb(&pdf, &trust());
    let report = result.expect("verifies");
    assert_eq!(report.signatures.len(), 200);
    assert!(report.signatures.iter().all(|s| !s.intact));
    // The whole file and the earlier revision, each loaded once and decoding the 1 MiB object stream.
    assert_eq!(decoded, 2 * MIB);
}

#[test]
fn signatures_over_many_revisions_stop_at_the_request_limit() {
    // Each of 12 signed revisions holds a 12 MiB object stream.
    let pdf = bombs::signature_revisions_bomb(12 * MIB, 12, 1);
    let (result, _) = verify_bomb(&pdf, &trust());
    assert!(matches!(result, Err(PdfError::TooComplex)), "{result:?}");
}
