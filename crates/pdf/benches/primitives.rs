//! The floor under one signature, and which crate comes closest to it: SHA-256 of the bench
//! file and one ECDSA P-256 signature (PKCS#8 parsed each time, as `sign` does), through
//! RustCrypto (`sha2`, `p256`), `ring` and `aws-lc-rs`. Run `cargo bench -p hims-pdf --bench
//! sign` first: it writes the fixtures to $HIMS_PDF_BENCH_DIR (default /tmp/hims-pdf-bench).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::DecodePrivateKey;
use signature::Signer;

fn fixture(name: &str) -> Vec<u8> {
    let dir = std::env::var("HIMS_PDF_BENCH_DIR").unwrap_or_else(|_| "/tmp/hims-pdf-bench".into());
    std::fs::read(std::path::Path::new(&dir).join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}; run `cargo bench -p hims-pdf --bench sign` first"))
}

fn bench_primitives(c: &mut Criterion) {
    let pdf = fixture("in.pdf");
    let key = fixture("signer.p8");
    // About the size of the signed attributes a CMS signature covers.
    let message = [7u8; 160];

    let mut sha = c.benchmark_group("sha256_of_bench_pdf");
    sha.bench_function("sha2", |b| {
        b.iter(|| <sha2::Sha256 as sha2::Digest>::digest(&pdf))
    });
    sha.bench_function("ring", |b| {
        b.iter(|| ring::digest::digest(&ring::digest::SHA256, &pdf))
    });
    sha.bench_function("aws-lc-rs", |b| {
        b.iter(|| aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &pdf))
    });
    sha.finish();

    let mut ecdsa = c.benchmark_group("ecdsa_p256_sign_from_pkcs8");
    ecdsa.bench_function(BenchmarkId::from_parameter("p256"), |b| {
        b.iter(|| {
            let signing = SigningKey::from_pkcs8_der(&key).expect("key");
            let signature: DerSignature = signing.sign(&message);
            signature
        })
    });
    let ring_rng = ring::rand::SystemRandom::new();
    ecdsa.bench_function(BenchmarkId::from_parameter("ring"), |b| {
        b.iter(|| {
            use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
            let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &key, &ring_rng)
                .expect("key");
            pair.sign(&ring_rng, &message).expect("sign")
        })
    });
    let lc_rng = aws_lc_rs::rand::SystemRandom::new();
    ecdsa.bench_function(BenchmarkId::from_parameter("aws-lc-rs"), |b| {
        b.iter(|| {
            use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &key).expect("key");
            pair.sign(&lc_rng, &message).expect("sign")
        })
    });
    ecdsa.finish();
}

criterion_group!(benches, bench_primitives);
criterion_main!(benches);
