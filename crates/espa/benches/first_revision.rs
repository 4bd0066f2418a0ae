//! How long rendering and writing revision 1 take (the agreements function does this once
//! per agreement).

use criterion::{Criterion, criterion_group, criterion_main};
use hims_espa::{Base, EspaDocument, first_revision, render};

fn benches(c: &mut Criterion) {
    let doc = EspaDocument::example();
    let slots = doc.signature_slots();
    c.bench_function("render example eSPA", |b| b.iter(|| render(&doc)));
    c.bench_function("first_revision rendered", |b| {
        b.iter(|| first_revision(Base::Rendered(doc.clone()), &slots, &doc.provisional_serial))
    });
}

criterion_group! {
    name = espa;
    config = Criterion::default().sample_size(10);
    targets = benches
}
criterion_main!(espa);
