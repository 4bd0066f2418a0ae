//! The PDF Insecurity attack classes (Mladenov et al., CCS 2019; Mainka et al., NDSS 2021), each
//! built from our own output: the example eSPA from hims-espa, its serial revision, two
//! signatures. Universal signature forgery (USF), incremental saving (ISA), signature wrapping
//! (SWA) and shadow hide / replace / hide-and-replace. Every attacked signature must come out
//! not intact or modified beyond form filling; the untouched original verifies. Each file is
//! written to `tests/artifacts/attacks/` for a human to open.

mod common;

use std::ops::Range;
use std::path::PathBuf;

use chrono::{DurationRound, TimeDelta, Utc};
use common::{Pki, blank_pdf, espa_first_revision, make_pki, pyhanko_reports, write_temp};
use hims_pdf::{ModificationLevel, Report, Trust, apply_serial, sign, verify};
use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};

const SERIAL: &str = "HIMS-20165-9-B-10-02-000123";
const URL: &str = "https://hims.example.gov.my/verify/HIMS-20165-9-B-10-02-000123";
const SIGNATURES: usize = 2;

fn now() -> chrono::DateTime<Utc> {
    Utc::now()
        .duration_trunc(TimeDelta::seconds(1))
        .expect("truncate")
}

struct Signed {
    pki: Pki,
    pdf: Vec<u8>,
}

impl Signed {
    fn trust(&self) -> Trust {
        Trust {
            ca_der: self.pki.ca_der.clone(),
            crl_der: None,
        }
    }

    fn verify(&self, pdf: &[u8]) -> Report {
        verify(pdf, &self.trust()).expect("the attacked file is still a readable PDF")
    }
}

/// The eSPA with its serial, whatever `prepare` adds before anyone signs, then two signatures.
fn signed_espa(prepare: impl FnOnce(&[u8]) -> Vec<u8>) -> Signed {
    let (first, slots) = espa_first_revision();
    let names: Vec<&str> = slots[..SIGNATURES]
        .iter()
        .map(|(_, n)| n.as_str())
        .collect();
    let pki = make_pki(&names);
    let serial = apply_serial(&first, SERIAL, URL).expect("serial");
    let mut pdf = prepare(&serial);
    for (i, (field, _)) in slots[..SIGNATURES].iter().enumerate() {
        pdf = sign(&pdf, &pki.request(i, field, now())).expect("sign");
    }
    Signed { pki, pdf }
}

fn honest() -> Signed {
    signed_espa(<[u8]>::to_vec)
}

/// Writes the file and the CA that signed it (`<name>.ca.pem`, for pyHanko's `--trust`).
fn artifact(signed: &Signed, name: &str, pdf: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/artifacts/attacks");
    std::fs::create_dir_all(&dir).expect("artifacts dir");
    std::fs::copy(&signed.pki.ca_pem, dir.join(format!("{name}.ca.pem"))).expect("copy CA");
    write_temp(&dir, &format!("{name}.pdf"), pdf)
}

/// The signatures at `attacked` are not intact or modified beyond form filling; the document
/// as a whole is not valid.
#[track_caller]
fn assert_rejected(signed: &Signed, name: &str, pdf: &[u8], attacked: &[usize]) {
    artifact(signed, name, pdf);
    let report = signed.verify(pdf);
    assert_eq!(report.signatures.len(), SIGNATURES, "{name}: {report:#?}");
    assert!(!report.all_valid(), "{name}: {report:#?}");
    for &i in attacked {
        let s = &report.signatures[i];
        assert!(
            !s.intact || s.modification == ModificationLevel::Other,
            "{name}: signature {i} passes: {report:#?}"
        );
    }
}

/// After every signature: all signatures see a change that is not form filling.
#[track_caller]
fn assert_all_modified(signed: &Signed, name: &str, pdf: &[u8]) {
    assert_rejected(signed, name, pdf, &[0, 1]);
    let report = signed.verify(pdf);
    assert!(
        report
            .signatures
            .iter()
            .all(|s| s.intact && s.modification == ModificationLevel::Other),
        "{name}: {report:#?}"
    );
}

/// pyHanko agrees: it refuses the file, or some signature is not intact, not valid, or
/// followed by more than form filling.
#[track_caller]
fn assert_pyhanko_rejects(signed: &Signed, name: &str, pdf: &[u8]) {
    let path = artifact(signed, name, pdf);
    let Some(reports) = pyhanko_reports(&signed.pki.ca_pem, &path) else {
        return;
    };
    let accepted = |r: &serde_json::Value| {
        r["intact"] == true
            && r["valid"] == true
            && ["NONE", "LTA_UPDATES", "FORM_FILLING"]
                .contains(&r["modification"].as_str().unwrap_or_default())
    };
    assert!(
        reports.len() < SIGNATURES || !reports.iter().all(accepted),
        "{name}: pyHanko accepts {reports:#?}"
    );
}

fn serialize(object: &Object) -> Vec<u8> {
    Content {
        operations: vec![Operation::new("", vec![object.clone()])],
    }
    .encode()
    .expect("serialize")
}

fn last_startxref(pdf: &[u8]) -> usize {
    let at = pdf
        .windows(9)
        .rposition(|w| w == b"startxref")
        .expect("startxref");
    let digits: String = pdf[at + 9..]
        .iter()
        .map(|&b| b as char)
        .skip_while(char::is_ascii_whitespace)
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().expect("offset")
}

/// One incremental update written by hand, as an attacker would: objects, xref entries that
/// point anywhere, free entries, and bytes no xref mentions.
struct Update {
    out: Vec<u8>,
    prev: usize,
    trailer: Dictionary,
    next_id: u32,
    /// Object number and offset; `None` frees the number.
    entries: Vec<(u32, Option<usize>)>,
}

impl Update {
    fn on(pdf: &[u8]) -> Self {
        let doc = Document::load_mem(pdf).expect("load");
        let mut trailer = Dictionary::new();
        for key in [b"Root".as_slice(), b"Info", b"ID"] {
            if let Ok(v) = doc.trailer.get(key) {
                trailer.set(key, v.clone());
            }
        }
        let mut out = pdf.to_vec();
        if out.last() != Some(&b'\n') {
            out.push(b'\n');
        }
        Self {
            out,
            prev: last_startxref(pdf),
            trailer,
            next_id: doc.max_id + 1,
            entries: Vec::new(),
        }
    }

    /// Bytes that no cross-reference entry names; returns their offset.
    fn raw(&mut self, bytes: &[u8]) -> usize {
        let at = self.out.len();
        self.out.extend_from_slice(bytes);
        at
    }

    fn put(&mut self, id: u32, object: &Object) -> usize {
        let mut bytes = format!("{id} 0 obj\n").into_bytes();
        bytes.extend_from_slice(&serialize(object));
        bytes.extend_from_slice(b"\nendobj\n");
        let at = self.raw(&bytes);
        self.entries.push((id, Some(at)));
        at
    }

    fn add(&mut self, object: &Object) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        self.put(id, object);
        id
    }

    fn point(&mut self, id: u32, offset: usize) {
        self.entries.push((id, Some(offset)));
    }

    fn free(&mut self, id: u32) {
        self.entries.push((id, None));
    }

    /// Like `finish`, but `compressed` objects go into one new object stream and the section is
    /// a cross-reference stream (type 0 rows for freed numbers).
    fn finish_as_stream(mut self, compressed: &[(u32, Object)]) -> Vec<u8> {
        let mut rows: Vec<(u32, [u8; 7])> = Vec::new();
        let row = |kind: u8, field2: u32, field3: u16| {
            let mut r = [kind, 0, 0, 0, 0, 0, 0];
            r[1..5].copy_from_slice(&field2.to_be_bytes());
            r[5..7].copy_from_slice(&field3.to_be_bytes());
            r
        };
        if !compressed.is_empty() {
            let (mut header, mut body) = (String::new(), Vec::new());
            for (id, object) in compressed {
                header.push_str(&format!("{id} {} ", body.len()));
                body.extend_from_slice(&serialize(object));
                body.push(b' ');
            }
            let container = self.next_id;
            self.next_id += 1;
            let mut content = header.clone().into_bytes();
            content.extend_from_slice(&body);
            let stream = Stream::new(
                dictionary! { "Type" => "ObjStm", "N" => compressed.len() as i64, "First" => header.len() as i64 },
                content,
            );
            self.put(container, &Object::Stream(stream));
            for (index, (id, _)) in compressed.iter().enumerate() {
                rows.push((*id, row(2, container, index as u16)));
            }
        }
        for (id, entry) in &self.entries {
            let r = match entry {
                Some(at) => row(1, *at as u32, 0),
                None => row(0, 0, 1),
            };
            rows.push((*id, r));
        }
        let xref_id = self.next_id;
        self.next_id += 1;
        let xref_at = self.out.len();
        rows.push((xref_id, row(1, xref_at as u32, 0)));
        rows.sort_by_key(|(id, _)| *id);
        let index: Vec<Object> = rows
            .iter()
            .flat_map(|(id, _)| [Object::Integer(i64::from(*id)), Object::Integer(1)])
            .collect();
        let mut dict = self.trailer.clone();
        dict.set("Type", "XRef");
        dict.set("Size", i64::from(self.next_id));
        dict.set("Prev", self.prev as i64);
        dict.set("W", vec![1.into(), 4.into(), 2.into()]);
        dict.set("Index", index);
        let data: Vec<u8> = rows.iter().flat_map(|(_, r)| *r).collect();
        let mut object = format!("{xref_id} 0 obj\n").into_bytes();
        object.extend_from_slice(&serialize(&Object::Stream(Stream::new(dict, data))));
        object.extend_from_slice(format!("\nendobj\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
        self.out.extend_from_slice(&object);
        self.out
    }

    fn finish(mut self) -> Vec<u8> {
        let xref_at = self.out.len();
        let mut text = String::from("xref\n");
        for (id, entry) in &self.entries {
            match entry {
                Some(at) => text.push_str(&format!("{id} 1\n{at:010} 00000 n\r\n")),
                None => text.push_str(&format!("{id} 1\n0000000000 00001 f\r\n")),
            }
        }
        self.trailer.set("Size", i64::from(self.next_id));
        self.trailer.set("Prev", self.prev as i64);
        text.push_str("trailer\n");
        self.out.extend_from_slice(text.as_bytes());
        self.out
            .extend_from_slice(&serialize(&Object::Dictionary(self.trailer)));
        self.out
            .extend_from_slice(format!("\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
        self.out
    }
}

/// Page 1 of the document: its id, its dictionary, the first content stream and font.
struct Page {
    doc: Document,
    id: ObjectId,
    dict: Dictionary,
    content: ObjectId,
    font: (Vec<u8>, ObjectId),
}

fn page_one(pdf: &[u8]) -> Page {
    let doc = Document::load_mem(pdf).expect("load");
    let id = *doc.get_pages().get(&1).expect("page 1");
    let dict = doc.get_dictionary(id).expect("page").clone();
    let content = match dict.get(b"Contents").expect("contents") {
        Object::Reference(r) => *r,
        Object::Array(a) => a[0].as_reference().expect("content ref"),
        other => panic!("contents {other:?}"),
    };
    let resources = match dict.get(b"Resources").expect("resources") {
        Object::Reference(r) => doc.get_dictionary(*r).expect("resources"),
        Object::Dictionary(d) => d,
        other => panic!("resources {other:?}"),
    };
    let fonts = match resources.get(b"Font").expect("fonts") {
        Object::Reference(r) => doc.get_dictionary(*r).expect("fonts"),
        Object::Dictionary(d) => d,
        other => panic!("fonts {other:?}"),
    };
    let (name, font) = fonts.iter().next().expect("a font");
    let font = (name.clone(), font.as_reference().expect("font ref"));
    Page {
        id,
        dict: dict.clone(),
        content,
        font,
        doc,
    }
}

fn text_stream(page: &Page, text: &str) -> Stream {
    let font = String::from_utf8_lossy(&page.font.0);
    Stream::new(
        Dictionary::new(),
        format!("BT /{font} 20 Tf 60 700 Td ({text}) Tj ET").into_bytes(),
    )
}

fn with_annots(page: &Page, annots: Vec<Object>) -> Object {
    let mut dict = page.dict.clone();
    dict.set("Annots", annots);
    Object::Dictionary(dict)
}

fn annots(page: &Page) -> Vec<Object> {
    match page.dict.get(b"Annots") {
        Ok(Object::Array(a)) => a.clone(),
        Ok(Object::Reference(r)) => page
            .doc
            .get_object(*r)
            .and_then(Object::as_array)
            .cloned()
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

// ---------------------------------------------------------------- the original

#[test]
fn the_untouched_original_verifies() {
    let signed = honest();
    artifact(&signed, "original", &signed.pdf);
    let report = signed.verify(&signed.pdf);
    assert_eq!(report.signatures.len(), SIGNATURES);
    assert!(report.all_valid(), "{report:#?}");
}

// ---------------------------------------------------------------- USF

/// Where the last signature's /ByteRange numbers and /Contents string are.
fn last_signature(pdf: &[u8]) -> (Range<usize>, Range<usize>) {
    let br = pdf
        .windows(11)
        .rposition(|w| w == b"/ByteRange[")
        .expect("byte range")
        + 11;
    let br_end = br + pdf[br..].iter().position(|&b| b == b']').expect("]");
    let c = pdf
        .windows(10)
        .rposition(|w| w == b"/Contents<")
        .expect("contents")
        + 9;
    let c_end = c + pdf[c..].iter().position(|&b| b == b'>').expect(">") + 1;
    (br..br_end, c..c_end)
}

/// The last signature with its /ByteRange text replaced (padded to the same length).
fn with_byte_range(pdf: &[u8], text: &str) -> Vec<u8> {
    let (range, _) = last_signature(pdf);
    assert!(text.len() <= range.len());
    let mut out = pdf.to_vec();
    out[range.clone()].fill(b' ');
    out[range.start..range.start + text.len()].copy_from_slice(text.as_bytes());
    out
}

fn byte_range_numbers(pdf: &[u8]) -> [i64; 4] {
    let (range, _) = last_signature(pdf);
    let numbers: Vec<i64> = String::from_utf8_lossy(&pdf[range])
        .split_whitespace()
        .map(|n| n.parse().expect("number"))
        .collect();
    numbers.try_into().expect("four numbers")
}

fn usf(name: &str, attack: impl FnOnce(&[u8]) -> Vec<u8>) {
    let signed = honest();
    let pdf = attack(&signed.pdf);
    assert_rejected(&signed, name, &pdf, &[1]);
    assert!(!signed.verify(&pdf).signatures[1].intact, "{name}");
}

#[test]
fn usf_no_byte_range() {
    usf("usf-no-byterange", |pdf| {
        let (range, _) = last_signature(pdf);
        let mut out = pdf.to_vec();
        // "/ByteRange[" becomes "/ByteRangX[": the key is gone.
        out[range.start - 2] = b'X';
        out
    });
}

#[test]
fn usf_byte_range_of_three_numbers() {
    usf("usf-byterange-three", |pdf| {
        let [a, b, c, _] = byte_range_numbers(pdf);
        with_byte_range(pdf, &format!("{a} {b} {c}"))
    });
}

#[test]
fn usf_byte_range_negative() {
    usf("usf-byterange-negative", |pdf| {
        let [a, b, c, d] = byte_range_numbers(pdf);
        with_byte_range(pdf, &format!("{a} {b} {c} -{d}"))
    });
}

#[test]
fn usf_byte_range_overlapping() {
    usf("usf-byterange-overlapping", |pdf| {
        let [a, b, c, d] = byte_range_numbers(pdf);
        with_byte_range(pdf, &format!("{a} {b} {} {}", b - 100, d + (c - b) + 100))
    });
}

#[test]
fn usf_byte_range_past_the_end() {
    usf("usf-byterange-past-eof", |pdf| {
        let [a, b, c, d] = byte_range_numbers(pdf);
        with_byte_range(pdf, &format!("{a} {b} {c} {}", d + 4096))
    });
}

#[test]
fn usf_byte_range_not_from_the_start() {
    usf("usf-byterange-not-from-start", |pdf| {
        let [_, b, c, d] = byte_range_numbers(pdf);
        with_byte_range(pdf, &format!("100 {} {c} {d}", b - 100))
    });
}

#[test]
fn usf_contents_missing() {
    usf("usf-contents-missing", |pdf| {
        let (_, contents) = last_signature(pdf);
        let mut out = pdf.to_vec();
        // "/Contents<" becomes "/Contentz<".
        out[contents.start - 1] = b'z';
        out
    });
}

#[test]
fn usf_contents_empty() {
    usf("usf-contents-empty", |pdf| {
        let (_, contents) = last_signature(pdf);
        let mut out = pdf.to_vec();
        out[contents.clone()].fill(b' ');
        out[contents.start..contents.start + 2].copy_from_slice(b"<>");
        out
    });
}

#[test]
fn usf_contents_zeroed() {
    usf("usf-contents-zeroed", |pdf| {
        let (_, contents) = last_signature(pdf);
        let mut out = pdf.to_vec();
        out[contents.start + 1..contents.end - 1].fill(b'0');
        out
    });
}

#[test]
fn usf_contents_not_hex() {
    usf("usf-contents-not-hex", |pdf| {
        let (_, contents) = last_signature(pdf);
        let mut out = pdf.to_vec();
        out[contents.start + 1..contents.start + 65].fill(b'X');
        out
    });
}

#[test]
fn usf_contents_from_another_document() {
    let signed = honest();
    let (_, slots) = espa_first_revision();
    // The same signer's signature over another PDF, with the same field.
    let other = sign(
        &blank_pdf(1, &[slots[1].0.as_str()], false),
        &signed.pki.request(1, &slots[1].0, now()),
    )
    .expect("sign other");
    let (_, theirs) = last_signature(&other);
    let (_, ours) = last_signature(&signed.pdf);
    assert_eq!(theirs.len(), ours.len());
    let mut pdf = signed.pdf.clone();
    pdf[ours].copy_from_slice(&other[theirs]);
    assert_rejected(&signed, "usf-contents-of-another-document", &pdf, &[1]);
    let report = signed.verify(&pdf);
    assert!(!report.signatures[1].intact);
    assert_eq!(
        report.signatures[1].signer_cn.as_deref(),
        Some(&*slots[1].1)
    );
}

// ---------------------------------------------------------------- ISA

#[test]
fn isa_new_revision_changes_page_content() {
    let signed = honest();
    let page = page_one(&signed.pdf);
    let mut update = Update::on(&signed.pdf);
    update.put(
        page.content.0,
        &Object::Stream(text_stream(&page, "Harga jualan: RM 1.00")),
    );
    let pdf = update.finish();
    assert_all_modified(&signed, "isa-page-content", &pdf);
    assert_pyhanko_rejects(&signed, "isa-page-content", &pdf);
}

#[test]
fn isa_new_revision_adds_an_annotation() {
    let signed = honest();
    let page = page_one(&signed.pdf);
    let mut update = Update::on(&signed.pdf);
    let note = update.add(&Object::Dictionary(dictionary! {
        "Type" => "Annot", "Subtype" => "FreeText", "Rect" => vec![60.into(), 640.into(), 400.into(), 700.into()],
        "Contents" => Object::string_literal("Harga jualan: RM 1.00"), "DA" => "/Helv 20 Tf 0 g", "P" => page.id,
    }));
    let mut list = annots(&page);
    list.push(Object::Reference((note, 0)));
    update.put(page.id.0, &with_annots(&page, list));
    let pdf = update.finish();
    assert_all_modified(&signed, "isa-annotation", &pdf);
}

#[test]
fn isa_new_revision_replaces_a_font() {
    let signed = honest();
    let page = page_one(&signed.pdf);
    let mut update = Update::on(&signed.pdf);
    update.put(
        page.font.1.0,
        &Object::Dictionary(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Symbol",
        }),
    );
    let pdf = update.finish();
    assert_all_modified(&signed, "isa-font", &pdf);
}

/// A page change (turned upside down) hidden in an object stream behind a cross-reference
/// stream.
#[test]
fn isa_page_changed_in_an_object_stream() {
    let signed = honest();
    let page = page_one(&signed.pdf);
    let mut rotated = page.dict.clone();
    rotated.set("Rotate", 180);
    let pdf = Update::on(&signed.pdf).finish_as_stream(&[(page.id.0, Object::Dictionary(rotated))]);
    assert_all_modified(&signed, "isa-object-stream", &pdf);
    // The same kind of section holding only a new object is no change at all: the one above
    // is caught for what it changes, not for how it is written.
    let mut update = Update::on(&signed.pdf);
    let fresh = update.next_id;
    update.next_id += 1;
    let harmless = update.finish_as_stream(&[(fresh, Object::string_literal("unused"))]);
    artifact(&signed, "isa-object-stream-new-object-only", &harmless);
    let report = signed.verify(&harmless);
    assert!(report.all_valid(), "{report:#?}");
}

#[test]
fn isa_content_appended_without_a_cross_reference_section() {
    let signed = honest();
    let page = page_one(&signed.pdf);
    let mut pdf = signed.pdf.clone();
    let mut object = format!("{} 0 obj\n", page.content.0).into_bytes();
    object.extend_from_slice(&serialize(&Object::Stream(text_stream(&page, "RM 1.00"))));
    object.extend_from_slice(b"\nendobj\n");
    pdf.extend_from_slice(&object);
    assert_all_modified(&signed, "isa-no-xref", &pdf);
    // Also with a startxref naming the signed revision's own section.
    pdf.extend_from_slice(
        format!("startxref\n{}\n%%EOF\n", last_startxref(&signed.pdf)).as_bytes(),
    );
    assert_all_modified(&signed, "isa-old-startxref", &pdf);
}

// ---------------------------------------------------------------- SWA

/// The second signed part moved to the end, /ByteRange rewritten to point at it, new content
/// in the gap next to the signature.
#[test]
fn swa_signed_bytes_relocated() {
    let signed = honest();
    let [_, b, c, _] = byte_range_numbers(&signed.pdf);
    let (b, c) = (b as usize, c as usize);
    let injected = b"/Injected(Harga jualan: RM 1.00)";
    let delta = injected.len();
    let mut gap = signed.pdf[b..c].to_vec();
    gap.extend_from_slice(injected);
    let tail = String::from_utf8_lossy(&signed.pdf[c..]).replace(
        &format!("startxref\n{}", last_startxref(&signed.pdf)),
        &format!("startxref\n{}", last_startxref(&signed.pdf) + delta),
    );
    let head = with_byte_range(
        &signed.pdf[..b],
        &format!("0 {b} {} {}", c + delta, tail.len()),
    );
    let pdf = [head, gap, tail.into_bytes()].concat();
    assert_rejected(&signed, "swa-relocated", &pdf, &[1]);
    assert!(!signed.verify(&pdf).signatures[1].intact);
}

/// Byte range untouched, so the digest still matches: the CMS is written without its zero
/// padding and the freed space of the gap holds a new page content object, which a later
/// revision's cross-reference entry points at.
#[test]
fn swa_object_in_the_gap_of_a_shortened_contents() {
    let signed = honest();
    let page = page_one(&signed.pdf);
    let [_, b, c, _] = byte_range_numbers(&signed.pdf);
    let (b, c) = (b as usize, c as usize);
    let hex = &signed.pdf[b + 1..c - 1];
    let der_len = 4 + usize::from_str_radix(std::str::from_utf8(&hex[4..8]).expect("hex"), 16)
        .expect("DER length");
    let malicious = b"BT /F1 20 Tf 60 700 Td (Harga jualan: RM 1.00) Tj ET";
    let mut gap = b"<".to_vec();
    gap.extend_from_slice(&hex[..der_len * 2]);
    gap.extend_from_slice(b">>>\nendobj\n");
    let object_at = b + gap.len();
    gap.extend_from_slice(
        format!(
            "{} 0 obj\n<</Length {}>>stream\n",
            page.content.0,
            malicious.len()
        )
        .as_bytes(),
    );
    gap.extend_from_slice(malicious);
    gap.extend_from_slice(b"\nendstream\nendobj\n");
    let pad_id = Document::load_mem(&signed.pdf).expect("load").max_id + 1;
    gap.extend_from_slice(format!("{pad_id} 0 obj\n<</Pad<").as_bytes());
    let fill = (c - b) - gap.len() - 1;
    gap.extend(std::iter::repeat_n(b'0', fill - fill % 2));
    gap.extend(std::iter::repeat_n(b' ', fill % 2));
    gap.push(b'>');
    assert_eq!(gap.len(), c - b);
    let mut smuggled = signed.pdf.clone();
    smuggled[b..c].copy_from_slice(&gap);
    // The smuggled bytes alone already break the signature: its gap is not its /Contents.
    assert_rejected(&signed, "swa-gap-smuggled", &smuggled, &[1]);
    let mut update = Update::on(&smuggled);
    update.point(page.content.0, object_at);
    let pdf = update.finish();
    assert_rejected(&signed, "swa-gap-object-used", &pdf, &[0, 1]);
    assert_pyhanko_rejects(&signed, "swa-gap-object-used", &pdf);
}

// ---------------------------------------------------------------- shadow attacks

/// Prepared before signing: text the signers never see, under a white overlay annotation.
fn prepare_overlay(pdf: &[u8]) -> Vec<u8> {
    let page = page_one(pdf);
    let mut update = Update::on(pdf);
    let hidden = update.add(&Object::Stream(text_stream(&page, "Harga jualan: RM 1.00")));
    let white = update.add(&Object::Stream(Stream::new(
        dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 500.into(), 60.into()] },
        b"1 g 0 0 500 60 re f".to_vec(),
    )));
    let overlay = update.add(&Object::Dictionary(dictionary! {
        "Type" => "Annot", "Subtype" => "Square", "Rect" => vec![50.into(), 680.into(), 550.into(), 740.into()],
        "C" => vec![1.into(), 1.into(), 1.into()], "IC" => vec![1.into(), 1.into(), 1.into()], "F" => 4,
        "AP" => dictionary! { "N" => Object::Reference((white, 0)) }, "P" => page.id,
    }));
    let mut dict = page.dict.clone();
    let mut contents = match dict.get(b"Contents").expect("contents") {
        Object::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    contents.push(Object::Reference((hidden, 0)));
    dict.set("Contents", contents);
    let mut list = annots(&page);
    list.push(Object::Reference((overlay, 0)));
    dict.set("Annots", list);
    update.put(page.id.0, &Object::Dictionary(dict));
    update.finish()
}

fn overlay_id(pdf: &[u8]) -> u32 {
    let page = page_one(pdf);
    let list = annots(&page);
    list.last()
        .and_then(|o| o.as_reference().ok())
        .expect("overlay")
        .0
}

#[test]
fn shadow_hide_removes_the_overlay_from_the_page() {
    let signed = signed_espa(prepare_overlay);
    assert!(
        signed.verify(&signed.pdf).all_valid(),
        "prepared file is valid"
    );
    let page = page_one(&signed.pdf);
    let mut list = annots(&page);
    list.pop();
    let mut update = Update::on(&signed.pdf);
    update.put(page.id.0, &with_annots(&page, list));
    let pdf = update.finish();
    assert_all_modified(&signed, "shadow-hide-annots", &pdf);
}

#[test]
fn shadow_hide_frees_the_overlay_object() {
    let signed = signed_espa(prepare_overlay);
    let mut update = Update::on(&signed.pdf);
    update.free(overlay_id(&signed.pdf));
    let pdf = update.finish();
    assert_all_modified(&signed, "shadow-hide-free", &pdf);
}

#[test]
fn shadow_hide_frees_the_overlay_object_in_a_cross_reference_stream() {
    let signed = signed_espa(prepare_overlay);
    let mut update = Update::on(&signed.pdf);
    update.free(overlay_id(&signed.pdf));
    let pdf = update.finish_as_stream(&[]);
    assert_all_modified(&signed, "shadow-hide-free-xref-stream", &pdf);
}

/// Prepared before signing: a text field showing the price; returns the file.
fn prepare_price_field(pdf: &[u8]) -> Vec<u8> {
    let page = page_one(pdf);
    let mut update = Update::on(pdf);
    let ap = update.add(&Object::Stream(price_appearance(&page, "RM 500,000.00")));
    let field = update.add(&Object::Dictionary(dictionary! {
        "Type" => "Annot", "Subtype" => "Widget", "FT" => "Tx", "T" => Object::string_literal("harga"),
        "V" => Object::string_literal("RM 500,000.00"), "F" => 4, "P" => page.id,
        "Rect" => vec![60.into(), 690.into(), 400.into(), 720.into()],
        "AP" => dictionary! { "N" => Object::Reference((ap, 0)) },
    }));
    let mut list = annots(&page);
    list.push(Object::Reference((field, 0)));
    update.put(page.id.0, &with_annots(&page, list));
    let doc = &page.doc;
    let catalog_id = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .expect("root");
    let mut catalog = doc.get_dictionary(catalog_id).expect("catalog").clone();
    let add_field = |form: &mut Dictionary| {
        let mut fields = form
            .get(b"Fields")
            .and_then(Object::as_array)
            .expect("fields")
            .clone();
        fields.push(Object::Reference((field, 0)));
        form.set("Fields", fields);
    };
    match catalog.get(b"AcroForm").expect("acroform").clone() {
        Object::Reference(form_id) => {
            let mut form = doc.get_dictionary(form_id).expect("form").clone();
            add_field(&mut form);
            update.put(form_id.0, &Object::Dictionary(form));
        }
        Object::Dictionary(mut form) => {
            add_field(&mut form);
            catalog.set("AcroForm", form);
            update.put(catalog_id.0, &Object::Dictionary(catalog));
        }
        other => panic!("acroform {other:?}"),
    }
    update.finish()
}

fn price_appearance(page: &Page, price: &str) -> Stream {
    let font = String::from_utf8_lossy(&page.font.0);
    Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 340.into(), 30.into()],
            "Resources" => dictionary! { "Font" => dictionary! { font.as_ref() => page.font.1 } },
        },
        format!("BT /{font} 16 Tf 4 8 Td ({price}) Tj ET").into_bytes(),
    )
}

#[test]
fn shadow_replace_changes_a_prepared_field_value() {
    let signed = signed_espa(prepare_price_field);
    assert!(
        signed.verify(&signed.pdf).all_valid(),
        "prepared file is valid"
    );
    let page = page_one(&signed.pdf);
    let field_id = annots(&page)
        .last()
        .and_then(|o| o.as_reference().ok())
        .expect("field");
    let mut field = page.doc.get_dictionary(field_id).expect("field").clone();
    let mut update = Update::on(&signed.pdf);
    let ap = update.add(&Object::Stream(price_appearance(&page, "RM 1.00")));
    field.set("V", Object::string_literal("RM 1.00"));
    field.set("AP", dictionary! { "N" => Object::Reference((ap, 0)) });
    update.put(field_id.0, &Object::Dictionary(field));
    let pdf = update.finish();
    // pyHanko calls a changed text field value form filling; an eSPA has no such fields, so
    // we do not.
    assert_all_modified(&signed, "shadow-replace-field", &pdf);
}

/// Prepared before signing: a second body for page 1's content object, under its own number
/// (a duplicate no cross-reference entry names) or under a new number. Returns the file and
/// where the duplicate and the new object start.
fn prepare_second_body(pdf: &[u8]) -> (Vec<u8>, usize, usize) {
    let page = page_one(pdf);
    let mut update = Update::on(pdf);
    let malicious = Object::Stream(text_stream(&page, "Harga jualan: RM 1.00"));
    let mut duplicate = format!("{} 0 obj\n", page.content.0).into_bytes();
    duplicate.extend_from_slice(&serialize(&malicious));
    duplicate.extend_from_slice(b"\nendobj\n");
    let duplicate_at = update.raw(&duplicate);
    let spare_id = update.next_id;
    let spare_at = update.put(spare_id, &malicious);
    update.next_id += 1;
    (update.finish(), duplicate_at, spare_at)
}

fn hide_and_replace(name: &str, pick: impl Fn(usize, usize) -> usize) {
    let offsets = std::cell::Cell::new((0, 0));
    let signed = signed_espa(|pdf| {
        let (prepared, duplicate_at, spare_at) = prepare_second_body(pdf);
        offsets.set((duplicate_at, spare_at));
        prepared
    });
    assert!(
        signed.verify(&signed.pdf).all_valid(),
        "prepared file is valid"
    );
    let (duplicate_at, spare_at) = offsets.get();
    let page = page_one(&signed.pdf);
    // The whole attack: one cross-reference entry, no new object.
    let mut update = Update::on(&signed.pdf);
    update.point(page.content.0, pick(duplicate_at, spare_at));
    let pdf = update.finish();
    assert_all_modified(&signed, name, &pdf);
    assert_pyhanko_rejects(&signed, name, &pdf);
}

#[test]
fn shadow_hide_and_replace_points_at_a_duplicate_object() {
    hide_and_replace("shadow-hide-and-replace-duplicate", |duplicate, _| {
        duplicate
    });
}

#[test]
fn shadow_hide_and_replace_points_at_another_object() {
    hide_and_replace("shadow-hide-and-replace-other-number", |_, spare| spare);
}
