//! `hims_pdf::verify` on any bytes (what `POST /verify` does with an uploaded
//! PDF), trusting the fuzz CA, which issued exactly one signer certificate.
#![no_main]

use hims_pdf::ModificationLevel;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let pki = hims_fuzz::pki();
    let Ok(report) = hims_pdf::verify(data, &pki.trust()) else {
        return;
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
