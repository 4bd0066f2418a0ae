//! Signing one revision of the rendered eSPA (the FLOW.md example's first
//! revision from hims-espa: 8 pages, embedded font). Also writes the fixtures (PDF, key, certificates,
//! PNG) to $HIMS_PDF_BENCH_DIR (default /tmp/hims-pdf-bench) for scripts/bench_pyhanko.py.

#[path = "../tests/common/mod.rs"]
mod common;

use chrono::Utc;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hims_pdf::sign;

/// The first signature field of `EspaDocument::example()` (the first purchaser's).
const FIELD: &str = "sig_pembeli_1";

fn bench_sign(c: &mut Criterion) {
    let pki = common::make_pki(&["Nur Aisyah binti Abdullah"]);
    let doc = hims_espa::EspaDocument::example();
    let slots = doc.signature_slots();
    assert_eq!(slots[0].field_name, FIELD);
    let serial = doc.provisional_serial.clone();
    let pdf = hims_espa::first_revision(hims_espa::Base::Rendered(doc), &slots, &serial)
        .expect("first revision");
    let dir = std::env::var("HIMS_PDF_BENCH_DIR").unwrap_or_else(|_| "/tmp/hims-pdf-bench".into());
    let dir = std::path::Path::new(&dir);
    std::fs::create_dir_all(dir).expect("bench dir");
    std::fs::write(dir.join("in.pdf"), &pdf).expect("pdf");
    std::fs::write(dir.join("signer.der"), &pki.signers[0].cert_der).expect("cert");
    std::fs::copy(&pki.signers[0].cert_pem, dir.join("signer.pem")).expect("cert pem");
    std::fs::copy(pki.dir.path().join("s0.key"), dir.join("signer.key")).expect("key pem");
    std::fs::write(dir.join("signer.p8"), &pki.signers[0].key_pkcs8).expect("key");
    std::fs::write(dir.join("ca.der"), &pki.ca_der).expect("ca");
    std::fs::copy(&pki.ca_pem, dir.join("ca.pem")).expect("ca pem");
    std::fs::write(dir.join("sig.png"), common::signature_png(300, 100)).expect("png");

    let request = pki.request(0, FIELD, Utc::now());
    let mut group = c.benchmark_group("pades");
    group.throughput(Throughput::Elements(1));
    group.bench_function("sign_espa", |b| {
        b.iter(|| sign(&pdf, &request).expect("sign"));
    });
    group.finish();
}

criterion_group!(benches, bench_sign);
criterion_main!(benches);
