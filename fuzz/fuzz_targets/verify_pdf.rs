//! `hims_pdf::verify` on any bytes (what `POST /verify` does with an uploaded
//! PDF), trusting the fuzz CA, which issued exactly one signer certificate.
//! Under a small decoding budget, so that inputs reach the limit: however the
//! bytes are arranged, no more is ever decoded than the budget allows.
#![no_main]

use hims_pdf::{Budget, ModificationLevel, PdfError};
use libfuzzer_sys::fuzz_target;

/// Small enough that a few inflated streams exhaust it.
const FUZZ_BUDGET: usize = 4 * 1024 * 1024;

fuzz_target!(|data: &[u8]| {
    let pki = hims_fuzz::pki();
    let mut budget = Budget::new(FUZZ_BUDGET);
    let result = hims_pdf::verify_with_budget(
        data,
        &pki.trust(),
        &hims_pdf::VerifyOptions::default(),
        &mut budget,
    );
    assert!(
        budget.decoded() <= FUZZ_BUDGET,
        "decoded {} bytes over a budget of {FUZZ_BUDGET}",
        budget.decoded()
    );
    let report = match result {
        Ok(report) => report,
        Err(PdfError::TooComplex) => return,
        Err(_) => return,
    };
    for s in &report.signatures {
        // No input can forge the CA's signature: trust means our one signer.
        if s.trusted {
            assert_eq!(s.cert_serial.as_deref(), Some(pki.leaf_serial.as_str()));
        }
        if s.covers_whole_file {
            assert_eq!(s.modification, ModificationLevel::None);
        }
    }
});
