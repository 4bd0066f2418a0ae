//! Shared test helpers: poppler tools, a portal PDF made with lopdf, parsed revisions.
#![allow(dead_code)]

use std::io::Write;
use std::process::Command;

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};

/// Runs a poppler tool on `pdf` and returns its stdout.
pub fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(pdf).expect("write temp pdf");
    let path = file.path().to_str().expect("utf-8 temp path").to_string();
    let mut all: Vec<&str> = args.to_vec();
    all.push(&path);
    if tool == "pdftotext" {
        all.push("-");
    }
    let out = Command::new(tool).args(&all).output().unwrap_or_else(|e| {
        panic!("{tool} is needed for this test (apt-get install -y poppler-utils): {e}")
    });
    assert!(
        out.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

pub fn page_count(pdf: &[u8]) -> usize {
    poppler("pdfinfo", &[], pdf)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo prints Pages:")
}

/// A portal-style PDF of `pages` pages, each saying "PORTAL PAGE n", saved with a
/// classic xref table or with object streams and an xref stream.
pub fn portal_pdf(pages: usize, modern: bool) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    // Resources inherited from the page tree root, as many generators do.
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let mut kids = Vec::new();
    for n in 1..=pages {
        let content = Content {
            operations: vec![
                Operation::new("BT", vec![]),
                Operation::new("Tf", vec!["F1".into(), 18.into()]),
                Operation::new("Td", vec![72.into(), 700.into()]),
                Operation::new(
                    "Tj",
                    vec![Object::string_literal(format!("PORTAL PAGE {n}"))],
                ),
                Operation::new("ET", vec![]),
            ],
        };
        let content_id = doc.add_object(Stream::new(
            Dictionary::new(),
            content.encode().expect("encode"),
        ));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
        });
        kids.push(Object::Reference(page_id));
    }
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => pages as i64,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    if modern {
        doc.save_modern(&mut out).expect("save modern");
    } else {
        doc.reference_table.cross_reference_type = lopdf::xref::XrefType::CrossReferenceTable;
        doc.save_to(&mut out).expect("save classic");
    }
    out
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

pub fn catalog_layout(doc: &Document) -> &Dictionary {
    doc.catalog()
        .and_then(|c| c.get(b"HIMSLayout"))
        .and_then(Object::as_dict)
        .expect("/HIMSLayout dictionary in the catalog")
}

pub fn refs(obj: &Object) -> Vec<ObjectId> {
    obj.as_array()
        .expect("array")
        .iter()
        .map(|o| o.as_reference().expect("reference"))
        .collect()
}

pub fn floats(obj: &Object) -> Vec<f32> {
    obj.as_array()
        .expect("array")
        .iter()
        .map(|o| o.as_float().expect("number"))
        .collect()
}

/// The signature fields of the AcroForm: (name, widget dictionary).
pub fn signature_fields(doc: &Document) -> Vec<(String, Dictionary)> {
    let form_id = doc
        .catalog()
        .and_then(|c| c.get(b"AcroForm"))
        .and_then(Object::as_reference)
        .expect("indirect /AcroForm");
    let form = doc.get_dictionary(form_id).expect("AcroForm dictionary");
    refs(form.get(b"Fields").expect("/Fields"))
        .into_iter()
        .map(|id| doc.get_dictionary(id).expect("field dictionary").clone())
        .filter(|d| d.get(b"FT").and_then(Object::as_name).ok() == Some(b"Sig".as_slice()))
        .map(|d| {
            let name = d.get(b"T").and_then(Object::as_str).expect("/T");
            (String::from_utf8(name.to_vec()).expect("ascii name"), d)
        })
        .collect()
}
