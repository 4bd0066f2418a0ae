//! One signer's revision timed in-process: `bench_lt DIR ITERATIONS` (fixtures written by
//! `cargo bench -p hims-pdf --bench sign`). Prints the mean milliseconds of a B-B signature
//! and of a B-LT one (signature, timestamp from an in-process test TSA, DSS with signer, CA,
//! TSA and the CRL), each over its own warmed-up loop. Used by scripts/bench_ratio.sh, which interleaves it
//! with pyHanko doing the same.

#[path = "../tests/common/mod.rs"]
#[allow(unused)]
mod common;

use std::error::Error;
use std::time::Instant;

use chrono::Utc;
use hims_pdf::{Appearance, SignRequest, SignatureImage, ValidationData, prepare_signature, sign};
use zeroize::Zeroizing;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, iterations] = args.as_slice() else {
        return Err("usage: bench_lt DIR ITERATIONS".into());
    };
    let iterations: u32 = iterations.parse()?;
    let read = |name: &str| std::fs::read(std::path::Path::new(dir).join(name));
    let pdf = read("in.pdf")?;
    let (ca, tsa, tsa_key, crl) = (
        read("ca.der")?,
        read("tsa.der")?,
        read("tsa.p8")?,
        read("crl.der")?,
    );
    let request = SignRequest {
        field_name: "sig_pembeli_1".into(),
        signer_cert_der: read("signer.der")?,
        chain_der: vec![ca.clone()],
        pkcs8_key: Zeroizing::new(read("signer.p8")?),
        appearance: Appearance {
            name: "Bench Signer".into(),
            masked_id: "No. KP: ********1234".into(),
            image: SignatureImage::from_png(&read("sig.png")?)?,
        },
        signed_at: Utc::now(),
    };
    let validation = ValidationData {
        certs: vec![request.signer_cert_der.clone(), ca, tsa.clone()],
        crls: vec![crl],
    };
    let b_lt = || -> Result<Vec<u8>, hims_pdf::PdfError> {
        let pending = prepare_signature(&pdf, &request, Some(&validation))?;
        let token = common::issue_token(&tsa, &tsa_key, &pending.timestamp_imprint(), Utc::now());
        pending.finish(&token)
    };
    let b_b = || sign(&pdf, &request);
    println!("hims_b_b_ms {:.4}", mean_ms(iterations, b_b)?);
    println!("hims_b_lt_ms {:.4}", mean_ms(iterations, b_lt)?);
    Ok(())
}

/// Mean milliseconds of `iterations` runs of `f`, after a tenth as many to warm up.
fn mean_ms(
    iterations: u32,
    f: impl Fn() -> Result<Vec<u8>, hims_pdf::PdfError>,
) -> Result<f64, hims_pdf::PdfError> {
    for _ in 0..iterations.div_ceil(10) {
        f()?;
    }
    let start = Instant::now();
    for _ in 0..iterations {
        std::hint::black_box(f()?);
    }
    Ok(1000.0 * start.elapsed().as_secs_f64() / f64::from(iterations.max(1)))
}
