//! Reading only what our incremental updates need (a signature, the serial revision, a DSS, a
//! document timestamp): the cross-reference chain, the trailer, and the objects those updates
//! read or replace (the catalog, the AcroForm, the field tree with its widgets, the DSS and its
//! streams, /HIMSLayout), each parsed by lopdf's object parser on its own. Pages, content
//! streams, fonts and images stay unparsed, so signing a large portal PDF costs about what
//! signing a small one does. Everything decoded on the way (cross-reference and
//! object streams) is charged to the request's [`Budget`].

use std::collections::{BTreeMap, HashMap, HashSet};

use lopdf::content::Content;
use lopdf::xref::{Xref, XrefEntry, XrefType};
use lopdf::{Dictionary, Document, Object, ObjectId, ObjectStream, Reader, Stream};

use crate::PdfError;
use crate::budget::{Budget, MAX_XREF_SECTIONS, STREAM_LIMIT};
use crate::incremental::last_startxref;
use crate::structure;

/// More objects than the parts of any real form an update reads.
const MAX_OBJECTS: usize = 100_000;

/// A lopdf `Document` holding the trailer, the cross-reference table, `max_id` and only the
/// objects an update reads, within the default decoding budget. Encrypted files are refused.
pub(crate) fn load_for_update(pdf: &[u8]) -> Result<Document, PdfError> {
    load_for_update_within(pdf, &mut Budget::default())
}

pub(crate) fn load_for_update_within(
    pdf: &[u8],
    budget: &mut Budget,
) -> Result<Document, PdfError> {
    // Offsets count from the header, as lopdf reads them.
    let start = pdf
        .windows(5)
        .position(|w| w == b"%PDF-")
        .ok_or_else(|| PdfError::Malformed("no %PDF- header".into()))?;
    let buffer = &pdf[start..];
    let (xref, trailer) = cross_references(buffer, budget)?;
    if trailer.has(b"Encrypt") {
        return Err(PdfError::Encrypted);
    }
    // lopdf's own lookups see only uncompressed objects: it would decode an object stream
    // outside the budget (and again for every object in it). Compressed ones are read below.
    let mut direct = Xref::new(0, xref.cross_reference_type);
    let mut compressed = HashMap::new();
    for (&number, entry) in &xref.entries {
        match *entry {
            XrefEntry::Compressed { container, .. } => {
                compressed.insert(number, container);
            }
            ref other => direct.insert(number, other.clone()),
        }
    }
    let mut document = Document::new();
    document.max_id = xref.max_id();
    document.trailer = trailer;
    document.reference_table = direct;
    let mut walk = Walk {
        reader: Reader {
            buffer,
            document,
            encryption_state: None,
            raw_objects: BTreeMap::new(),
            password: None,
            strict: false,
            max_decompressed_size: Some(STREAM_LIMIT),
        },
        compressed,
        containers: HashMap::new(),
        budget,
        objects: BTreeMap::new(),
    };
    walk.run()?;
    let Walk {
        reader, objects, ..
    } = walk;
    let mut document = reader.document;
    document.objects = objects;
    document.reference_table = xref;
    Ok(document)
}

/// The entries of every cross-reference section from the last `startxref` back along /Prev
/// (and /XRefStm), newer entries winning, with the newest section's trailer.
fn cross_references(pdf: &[u8], budget: &mut Budget) -> Result<(Xref, Dictionary), PdfError> {
    let mut xref = Xref::new(0, XrefType::CrossReferenceTable);
    let mut newest: Option<Dictionary> = None;
    let mut next = Some(last_startxref(pdf)?);
    let mut seen = HashSet::new();
    while let Some(at) = next {
        if !seen.insert(at) {
            break;
        }
        if seen.len() > MAX_XREF_SECTIONS {
            return Err(PdfError::TooComplex);
        }
        let (mut entries, trailer, is_stream) = section(pdf, at, budget)?;
        // A hybrid file's table marks the objects of its /XRefStm free.
        if let Some(stream_at) = offset_of(&trailer, b"XRefStm") {
            for (number, entry) in section(pdf, stream_at, budget)?.0 {
                if !matches!(entries.get(&number), Some(XrefEntry::Normal { .. })) {
                    entries.insert(number, entry);
                }
            }
        }
        for (number, entry) in entries {
            if !xref.entries.contains_key(&number) {
                xref.insert(number, entry);
            }
        }
        next = offset_of(&trailer, b"Prev");
        if newest.is_none() {
            if is_stream {
                xref.cross_reference_type = XrefType::CrossReferenceStream;
            }
            newest = Some(trailer);
        }
    }
    let mut trailer = newest.ok_or_else(|| PdfError::Malformed("no trailer".into()))?;
    trailer.remove(b"Prev");
    Ok((xref, trailer))
}

fn offset_of(trailer: &Dictionary, key: &[u8]) -> Option<usize> {
    trailer
        .get(key)
        .and_then(Object::as_i64)
        .ok()
        .and_then(|n| usize::try_from(n).ok())
}

fn unreadable() -> PdfError {
    PdfError::Malformed("unreadable cross-reference section".into())
}

/// One section's entries, its trailer (a table's `trailer`, or the stream's dictionary) and
/// whether it is a stream.
fn section(
    pdf: &[u8],
    at: usize,
    budget: &mut Budget,
) -> Result<(BTreeMap<u32, XrefEntry>, Dictionary, bool), PdfError> {
    let found = structure::xref_section(pdf, at).ok_or_else(unreadable)?;
    let trailer = pdf
        .get(found.trailer.start..found.trailer.end)
        .and_then(parse_dictionary)
        .ok_or_else(unreadable)?;
    let Some(data) = found.stream_data else {
        let keyword = pdf[at..]
            .iter()
            .position(|&b| b == b'x')
            .ok_or_else(unreadable)?;
        let rows =
            structure::table_rows(pdf, at + keyword + b"xref".len()).ok_or_else(unreadable)?;
        let entries = rows
            .into_iter()
            .map(|row| {
                let entry = match (row.in_use, u32::try_from(row.offset)) {
                    (true, Ok(offset)) => XrefEntry::Normal {
                        offset,
                        generation: row.generation,
                    },
                    _ => XrefEntry::Free,
                };
                (row.number, entry)
            })
            .collect();
        return Ok((entries, trailer, false));
    };
    let raw = pdf.get(data).ok_or_else(unreadable)?;
    let decoded = if trailer.has(b"Filter") {
        budget.decode(&Stream::new(trailer.clone(), raw.to_vec()))?
    } else {
        raw.to_vec()
    };
    let entries = stream_rows(&trailer, &decoded).ok_or_else(unreadable)?;
    Ok((entries, trailer, true))
}

/// The rows of a decoded cross-reference stream, by its /W and /Index.
fn stream_rows(dict: &Dictionary, data: &[u8]) -> Option<BTreeMap<u32, XrefEntry>> {
    let integers = |key: &[u8]| -> Option<Vec<u64>> {
        dict.get(key)
            .and_then(Object::as_array)
            .ok()?
            .iter()
            .map(|o| o.as_i64().ok().and_then(|n| u64::try_from(n).ok()))
            .collect()
    };
    let widths: Vec<usize> = integers(b"W")?
        .into_iter()
        .map(|w| usize::try_from(w).ok().filter(|&w| w <= 8))
        .collect::<Option<_>>()?;
    let [w0, w1, w2] = widths[..] else {
        return None;
    };
    let row_len = w0 + w1 + w2;
    if row_len == 0 {
        return None;
    }
    let size = dict.get(b"Size").and_then(Object::as_i64).ok()?;
    let index = match integers(b"Index") {
        Some(index) => index,
        None => vec![0, u64::try_from(size).ok()?],
    };
    if index.len() % 2 != 0 {
        return None;
    }
    let field = |bytes: &[u8]| bytes.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b));
    let mut rows = data.chunks_exact(row_len);
    let mut entries = BTreeMap::new();
    for pair in index.chunks_exact(2) {
        let first = u32::try_from(pair[0]).ok()?;
        for n in 0..u32::try_from(pair[1]).ok()? {
            let row = rows.next()?;
            let kind = if w0 == 0 { 1 } else { field(&row[..w0]) };
            let (a, b) = (field(&row[w0..w0 + w1]), field(&row[w0 + w1..]));
            let entry = match kind {
                1 => XrefEntry::Normal {
                    offset: u32::try_from(a).ok()?,
                    generation: u16::try_from(b).ok()?,
                },
                2 => XrefEntry::Compressed {
                    container: u32::try_from(a).ok()?,
                    index: u16::try_from(b).ok()?,
                },
                _ => XrefEntry::Free,
            };
            entries.insert(first.checked_add(n)?, entry);
        }
    }
    Some(entries)
}

/// A dictionary's bytes (`<<…>>`) as a lopdf `Dictionary`. lopdf keeps its object parser
/// private; its content-stream parser reads a dictionary operand with the same grammar.
fn parse_dictionary(bytes: &[u8]) -> Option<Dictionary> {
    let mut text = Vec::with_capacity(bytes.len() + 2);
    text.extend_from_slice(bytes);
    text.extend_from_slice(b" d");
    let content = Content::decode(&text).ok()?;
    match content
        .operations
        .into_iter()
        .next()?
        .operands
        .into_iter()
        .next()?
    {
        Object::Dictionary(dict) => Some(dict),
        _ => None,
    }
}

/// What an object is to the update, which decides the references followed from it.
#[derive(Debug, Clone, Copy)]
enum Role {
    Catalog,
    AcroForm,
    /// /Fields or /Kids: an array of fields.
    Fields,
    Field,
    Dss,
    /// /Certs, /CRLs or /OCSPs of the DSS: an array of streams.
    DssItems,
    /// Read as it is (a stream of the DSS, an indirect /Rect or name).
    Leaf,
}

struct Walk<'a, 'b> {
    reader: Reader<'a>,
    /// Compressed objects: number to the object stream holding them.
    compressed: HashMap<u32, u32>,
    /// Object streams decoded so far (`None`: unreadable).
    containers: HashMap<u32, Option<BTreeMap<ObjectId, Object>>>,
    budget: &'b mut Budget,
    objects: BTreeMap<ObjectId, Object>,
}

impl Walk<'_, '_> {
    fn run(&mut self) -> Result<(), PdfError> {
        let root = self
            .reader
            .document
            .trailer
            .get(b"Root")
            .and_then(Object::as_reference)
            .map_err(|_| PdfError::Malformed("trailer has no /Root".into()))?;
        let mut queue = vec![(root, Role::Catalog)];
        let mut seen = HashSet::new();
        while let Some((id, role)) = queue.pop() {
            if !seen.insert(id) {
                continue;
            }
            if seen.len() > MAX_OBJECTS {
                return Err(PdfError::TooComplex);
            }
            // An object that does not parse is left out, as lopdf's full load leaves it out.
            if let Some(object) = self.fetch(id)? {
                follow(&object, role, &mut queue);
                self.objects.insert(id, object);
            }
        }
        Ok(())
    }

    fn fetch(&mut self, id: ObjectId) -> Result<Option<Object>, PdfError> {
        let Some(&container) = self.compressed.get(&id.0) else {
            return Ok(self
                .plain_dictionary(id)
                .or_else(|| self.reader.get_object(id, &mut HashSet::new()).ok()));
        };
        if !self.containers.contains_key(&container) {
            let objects = self.object_stream(container)?;
            self.containers.insert(container, objects);
        }
        Ok(self
            .containers
            .get(&container)
            .and_then(Option::as_ref)
            .and_then(|objects| objects.get(&id))
            .cloned())
    }

    /// An uncompressed object that is a dictionary and not a stream, parsed once. (lopdf's
    /// reader tries each dictionary as a stream first and parses it again when it is not.)
    fn plain_dictionary(&self, id: ObjectId) -> Option<Object> {
        let XrefEntry::Normal { offset, .. } = *self.reader.document.reference_table.get(id.0)?
        else {
            return None;
        };
        let buffer = self.reader.buffer;
        let spans = structure::object_dict(buffer, usize::try_from(offset).ok()?, id)?;
        let after = structure::skip_space(buffer, spans.end);
        if buffer.get(after..)?.starts_with(b"stream") {
            return None;
        }
        parse_dictionary(buffer.get(spans.start..spans.end)?).map(Object::Dictionary)
    }

    /// The objects of one object stream, decoded under the budget.
    fn object_stream(
        &mut self,
        number: u32,
    ) -> Result<Option<BTreeMap<ObjectId, Object>>, PdfError> {
        let Ok(Object::Stream(mut stream)) =
            self.reader.get_object((number, 0), &mut HashSet::new())
        else {
            return Ok(None);
        };
        if stream.dict.has(b"Filter") {
            match self.budget.decode(&stream) {
                Ok(data) => stream.set_plain_content(data),
                Err(PdfError::TooComplex) => return Err(PdfError::TooComplex),
                Err(_) => return Ok(None),
            }
        }
        Ok(ObjectStream::new(&mut stream).ok().map(|s| s.objects))
    }
}

/// Queues the references an object of `role` leads to; direct values are followed in place.
fn follow(object: &Object, role: Role, queue: &mut Vec<(ObjectId, Role)>) {
    let mut under = |dict: &Dictionary, key: &[u8], role: Role| {
        if let Ok(value) = dict.get(key) {
            value_of(value, role, queue);
        }
    };
    match (role, object) {
        (Role::Catalog, Object::Dictionary(d)) => {
            under(d, b"AcroForm", Role::AcroForm);
            under(d, b"DSS", Role::Dss);
            // What the serial revision reads (crates/espa/CONTRACT.md).
            under(d, b"HIMSLayout", Role::Leaf);
        }
        (Role::AcroForm, Object::Dictionary(d)) => under(d, b"Fields", Role::Fields),
        (Role::Field, Object::Dictionary(d)) => {
            under(d, b"Kids", Role::Fields);
            for key in [b"Rect".as_slice(), b"T", b"FT"] {
                under(d, key, Role::Leaf);
            }
        }
        (Role::Dss, Object::Dictionary(d)) => {
            for key in [b"Certs".as_slice(), b"CRLs", b"OCSPs"] {
                under(d, key, Role::DssItems);
            }
        }
        (Role::Fields, Object::Array(items)) => {
            for item in items {
                value_of(item, Role::Field, queue);
            }
        }
        (Role::DssItems, Object::Array(items)) => {
            for item in items {
                value_of(item, Role::Leaf, queue);
            }
        }
        _ => {}
    }
}

fn value_of(value: &Object, role: Role, queue: &mut Vec<(ObjectId, Role)>) {
    match value {
        Object::Reference(id) => queue.push((*id, role)),
        direct => follow(direct, role, queue),
    }
}

#[cfg(test)]
mod tests {
    use lopdf::{Stream, dictionary};

    use super::*;

    /// A page with a content stream, two signature fields (one with a widget kid) and a DSS.
    fn form(modern: bool) -> Vec<u8> {
        let mut doc = Document::with_version("1.7");
        let pages = doc.new_object_id();
        let content = doc.add_object(Stream::new(Dictionary::new(), b"BT ET".to_vec()));
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages, "Contents" => content,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        });
        doc.objects.insert(
            pages,
            Object::Dictionary(
                dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
            ),
        );
        let rect = doc.add_object(vec![0.into(), 0.into(), 100.into(), 50.into()]);
        let merged = doc.add_object(dictionary! {
            "FT" => "Sig", "T" => Object::string_literal("a"), "Subtype" => "Widget", "P" => page, "Rect" => rect,
        });
        let parent = doc.new_object_id();
        let kid = doc.add_object(dictionary! {
            "Subtype" => "Widget", "Parent" => parent, "P" => page,
            "Rect" => vec![0.into(), 60.into(), 100.into(), 110.into()],
        });
        doc.objects.insert(
            parent,
            Object::Dictionary(dictionary! { "FT" => "Sig", "T" => Object::string_literal("b"), "Kids" => vec![kid.into()] }),
        );
        let cert = doc.add_object(Stream::new(Dictionary::new(), b"certificate".to_vec()));
        let dss = doc.add_object(dictionary! { "Certs" => vec![cert.into()] });
        let fields = doc.add_object(vec![merged.into(), parent.into()]);
        let acroform = doc.add_object(dictionary! { "Fields" => fields });
        let catalog = doc.add_object(dictionary! {
            "Type" => "Catalog", "Pages" => pages, "AcroForm" => acroform, "DSS" => dss,
        });
        doc.trailer.set("Root", catalog);
        let mut out = Vec::new();
        if modern {
            doc.save_modern(&mut out).expect("save modern");
        } else {
            doc.reference_table.cross_reference_type = XrefType::CrossReferenceTable;
            doc.save_to(&mut out).expect("save");
        }
        out
    }

    #[test]
    fn reads_the_form_and_dss_as_a_full_load_does_and_no_page() {
        for modern in [false, true] {
            let pdf = form(modern);
            let full = crate::budget::load(&pdf, &mut Budget::default()).expect("full load");
            let mut budget = Budget::default();
            let sparse = load_for_update_within(&pdf, &mut budget).expect("sparse load");
            assert_eq!(
                sparse.trailer.get(b"Root").ok(),
                full.trailer.get(b"Root").ok()
            );
            assert_eq!(sparse.max_id, full.max_id, "modern: {modern}");
            for (id, object) in &sparse.objects {
                assert_eq!(
                    Some(object),
                    full.objects.get(id),
                    "object {id:?}, modern: {modern}"
                );
            }
            let types: Vec<&[u8]> = sparse
                .objects
                .values()
                .filter_map(|o| o.as_dict().ok()?.get(b"Type").ok()?.as_name().ok())
                .collect();
            assert!(types.contains(&b"Catalog".as_slice()));
            assert!(!types.contains(&b"Page".as_slice()) && !types.contains(&b"Pages".as_slice()));
            // Catalog, AcroForm, /Fields, two fields, the kid, the indirect /Rect, DSS, its stream.
            assert_eq!(sparse.objects.len(), 9, "modern: {modern}");
            let fields = crate::fields::signature_fields_of(&sparse);
            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            assert_eq!(names, ["a", "b"]);
            assert_eq!(modern, budget.decoded() > 0, "object streams are charged");
        }
    }

    #[test]
    fn a_broken_chain_or_an_encrypted_file_is_refused() {
        let mut pdf = form(false);
        let at = last_startxref(&pdf).expect("startxref");
        pdf[at..at + 4].copy_from_slice(b"xxxx");
        assert!(load_for_update(&pdf).is_err());

        let pdf = form(false);
        let trailer = pdf
            .windows(7)
            .rposition(|w| w == b"trailer")
            .expect("trailer");
        let open = trailer
            + pdf[trailer..]
                .windows(2)
                .position(|w| w == b"<<")
                .expect("<<")
            + 2;
        let mut encrypted = pdf[..open].to_vec();
        encrypted.extend_from_slice(b"/Encrypt 1 0 R");
        encrypted.extend_from_slice(&pdf[open..]);
        assert!(matches!(
            load_for_update(&encrypted),
            Err(PdfError::Encrypted)
        ));
    }
}
