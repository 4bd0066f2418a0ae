//! A large portal-style PDF to sign: `big_pdf OUT.pdf MEBIBYTES`. Pages carry incompressible
//! image XObjects (as scanned pages do) until the file reaches the size; the last page has an
//! empty signature field `sig_pembeli_1`. Written with object and cross-reference streams, as
//! current PDF producers write. Used by scripts/bench_ratio.sh for the peak memory of one
//! signature on a 20 MB file.

use std::error::Error;

use lopdf::{Dictionary, Document, Object, Stream, dictionary};

/// One scanned page's image: 1 MiB of noise, which no filter compresses.
const PAGE_IMAGE_BYTES: usize = 1 << 20;

fn noise(len: usize, seed: &mut u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            // xorshift64: reproducible and fast; not for anything but filler.
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            (*seed >> 24) as u8
        })
        .collect()
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [output, mebibytes] = args.as_slice() else {
        return Err("usage: big_pdf OUT.pdf MEBIBYTES".into());
    };
    let pages: usize = mebibytes.parse::<usize>()?.max(1);
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut kids = Vec::new();
    let side = 512; // 512 x 512 CMYK, 4 bytes a pixel
    for _ in 0..pages {
        let image = doc.add_object(Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Image", "Width" => side as i64,
                "Height" => (PAGE_IMAGE_BYTES / (side * 4)) as i64, "ColorSpace" => "DeviceCMYK",
                "BitsPerComponent" => 8,
            },
            noise(PAGE_IMAGE_BYTES, &mut seed),
        ));
        let content = doc.add_object(Stream::new(
            Dictionary::new(),
            b"q 595 0 0 842 0 0 cm /Im0 Do Q".to_vec(),
        ));
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Resources" => dictionary! { "XObject" => dictionary! { "Im0" => image } },
        });
        kids.push(Object::Reference(page));
    }
    let last_page = kids
        .last()
        .and_then(|k| k.as_reference().ok())
        .ok_or("no page")?;
    let field = doc.add_object(dictionary! {
        "Type" => "Annot", "Subtype" => "Widget", "FT" => "Sig", "F" => 4, "P" => last_page,
        "T" => Object::string_literal("sig_pembeli_1"),
        "Rect" => vec![40.into(), 80.into(), 280.into(), 175.into()],
    });
    if let Ok(page) = doc.get_object_mut(last_page).and_then(Object::as_dict_mut) {
        page.set("Annots", vec![Object::Reference(field)]);
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let form = doc.add_object(dictionary! { "Fields" => vec![Object::Reference(field)] });
    let catalog = doc.add_object(dictionary! {
        "Type" => "Catalog", "Pages" => pages_id, "AcroForm" => form,
    });
    doc.trailer.set("Root", catalog);
    let mut file = std::io::BufWriter::new(std::fs::File::create(output)?);
    doc.save_modern(&mut file)?;
    Ok(())
}
