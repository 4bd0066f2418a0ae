//! Signing one revision of the rendered eSPA (the FLOW.md example's first
//! revision from hims-espa: 8 pages, embedded font): B-B, and B-LT (signature, signature
//! timestamp from an in-process test TSA, DSS with signer, CA, TSA and a CRL). Also writes the
//! fixtures (PDF, keys, certificates, CRL, PNG) to $HIMS_PDF_BENCH_DIR (default
//! /tmp/hims-pdf-bench) for scripts/bench_pyhanko.py and scripts/bench_ratio.sh.

#[path = "../tests/common/mod.rs"]
mod common;

use chrono::Utc;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hims_pdf::{prepare_signature, sign};

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
    let crl = pki.crl(&[]);
    let dir = std::env::var("HIMS_PDF_BENCH_DIR").unwrap_or_else(|_| "/tmp/hims-pdf-bench".into());
    let dir = std::path::Path::new(&dir);
    std::fs::create_dir_all(dir).expect("bench dir");
    let from_pki = |name: &str, to: &str| {
        std::fs::copy(pki.dir.path().join(name), dir.join(to)).expect("copy fixture");
    };
    std::fs::write(dir.join("in.pdf"), &pdf).expect("pdf");
    std::fs::write(dir.join("signer.der"), &pki.signers[0].cert_der).expect("cert");
    from_pki("s0.pem", "signer.pem");
    from_pki("s0.key", "signer.key");
    std::fs::write(dir.join("signer.p8"), &pki.signers[0].key_pkcs8).expect("key");
    std::fs::write(dir.join("ca.der"), &pki.ca_der).expect("ca");
    from_pki("ca.pem", "ca.pem");
    std::fs::write(dir.join("tsa.der"), &pki.tsa.cert_der).expect("tsa");
    from_pki("tsa.pem", "tsa.pem");
    from_pki("tsa.key", "tsa.key");
    std::fs::write(dir.join("tsa.p8"), &pki.tsa.key_pkcs8).expect("tsa key");
    std::fs::write(dir.join("crl.der"), &crl).expect("crl");
    std::fs::write(dir.join("sig.png"), common::signature_png(300, 100)).expect("png");

    let request = pki.request(0, FIELD, Utc::now());
    let validation = pki.validation_data(0, &crl);
    let mut group = c.benchmark_group("pades");
    group.throughput(Throughput::Elements(1));
    group.bench_function("sign_espa", |b| {
        b.iter(|| sign(&pdf, &request).expect("sign"));
    });
    group.bench_function("sign_espa_b_lt", |b| {
        b.iter(|| {
            let pending = prepare_signature(&pdf, &request, Some(&validation)).expect("prepare");
            let token = pki.token(&pending.timestamp_imprint(), Utc::now());
            pending.finish(&token).expect("finish")
        });
    });
    group.finish();
}

criterion_group!(benches, bench_sign);
criterion_main!(benches);
