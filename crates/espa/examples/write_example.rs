//! Writes the example eSPA's first revision to /tmp/espa-example.pdf (or the path given).

use hims_espa::{Base, EspaDocument, first_revision};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/espa-example.pdf".into());
    let doc = EspaDocument::example();
    let slots = doc.signature_slots();
    let serial = doc.provisional_serial.clone();
    let pdf = first_revision(Base::Rendered(doc), &slots, &serial)?;
    std::fs::write(&path, &pdf)?;
    println!("{path} ({} bytes)", pdf.len());
    Ok(())
}
