//! Costs of the CA's hot paths, CA signature done by a software key (KMS adds
//! a network round trip on top).

#[path = "../tests/common/mod.rs"]
mod common;

use common::{SoftwareCa, now, seeded, signer_key, signer_request};
use criterion::{Criterion, criterion_group, criterion_main};
use hims_pki::{
    Revocation, SignerKeyPair, prepare_crl, prepare_leaf_certificate, verify_issued_by,
};

fn issue(c: &mut Criterion) {
    let ca = SoftwareCa::new("ca");
    let public_key = signer_key("aisyah").public_key_der().unwrap();
    let request = signer_request(
        "Nur Aisyah binti Abdullah",
        "HIMS-7Q2KX4MZ9TB3WD5N",
        "a@example.my",
        &public_key,
    );

    c.bench_function("leaf: prepare + software sign + finish", |b| {
        b.iter(|| {
            let pending = prepare_leaf_certificate(&ca.certificate, &request).unwrap();
            let signature = ca.sign(pending.tbs());
            pending.finish(&signature).unwrap()
        })
    });

    let leaf = ca.issue(&request);
    c.bench_function("leaf: verify_issued_by", |b| {
        b.iter(|| verify_issued_by(&leaf, &ca.certificate).unwrap())
    });

    let revoked: Vec<Revocation> = (0..1000u32)
        .map(|i| Revocation {
            serial_hex: hex::encode(seeded::<16>(&i.to_string())),
            revoked_at: now(),
            reason: None,
        })
        .collect();
    c.bench_function("crl: 1000 entries prepare + sign + finish", |b| {
        b.iter(|| {
            let pending = prepare_crl(&ca.certificate, &revoked, 1, now()).unwrap();
            let signature = ca.sign(pending.tbs());
            pending.finish(&signature).unwrap()
        })
    });

    let random = seeded::<32>("key");
    c.bench_function("signer key: generate + PKCS#8 + SPKI", |b| {
        b.iter(|| {
            let key = SignerKeyPair::generate(|buf| buf.copy_from_slice(&random)).unwrap();
            (key.to_pkcs8_der().unwrap(), key.public_key_der().unwrap())
        })
    });
}

criterion_group!(benches, issue);
criterion_main!(benches);
