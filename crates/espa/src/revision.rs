//! The first revision: the eSPA (rendered or the portal's own PDF), a serial stream last
//! on every page, empty signature fields and the `/HIMSLayout` map (see CONTRACT.md).

use std::collections::BTreeSet;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat};
use sha2::{Digest, Sha256};

use crate::assemble::{Assembled, assemble};
use crate::content::{Laid, lay_out_espa, lay_out_signature_pages};
use crate::document::{EspaDocument, SignatureSlot};
use crate::fonts::fonts;
use crate::intake::intake;
use crate::layout::{PageRect, SERIAL_FONT_SIZE};
use crate::objects::{inherited, page_font_ref};
use crate::{EspaError, MAX_SERIAL_LEN, SERIAL_CHARSET};

/// The resource name of the serial font on every page.
pub const SERIAL_FONT_RESOURCE: &str = "HIMSSerial";
/// Portal pages: the serial's baseline start, from the top-left corner of the page box.
const PORTAL_SERIAL_INSET: (f32, f32) = (42.5, 22.0);
/// The signature field sits this far inside its drawn box.
const FIELD_INSET: f32 = 3.0;

/// What the first revision is built from.
#[derive(Debug, Clone)]
pub enum Base {
    Rendered(EspaDocument),
    Portal(Vec<u8>),
}

/// A plain rendering of the eSPA (serial in the headers, no form fields).
pub fn render(doc: &EspaDocument) -> Result<Vec<u8>, EspaError> {
    let mut stamped = stamp_rendered(doc, &doc.provisional_serial)?;
    save_deterministic(&mut stamped.doc)
}

/// Revision 1 of the eSPA: the pages, one empty signature field per slot, the
/// provisional serial in a separate last content stream of each page, and `/HIMSLayout`.
pub fn first_revision(
    base: Base,
    slots: &[SignatureSlot],
    provisional_serial: &str,
) -> Result<Vec<u8>, EspaError> {
    validate_slots(slots)?;
    let mut stamped = match base {
        Base::Rendered(doc) => {
            let expected: Vec<_> = doc
                .signature_slots()
                .into_iter()
                .map(|s| s.field_name)
                .collect();
            let given: Vec<_> = slots.iter().map(|s| s.field_name.clone()).collect();
            if expected != given {
                return Err(EspaError::SlotsMismatch);
            }
            let doc = EspaDocument {
                parties: with_slot_texts(&doc, slots),
                ..doc
            };
            stamp_rendered(&doc, provisional_serial)?
        }
        Base::Portal(bytes) => stamp_portal(&bytes, slots, provisional_serial)?,
    };
    add_signature_fields(&mut stamped, slots)?;
    add_layout(&mut stamped)?;
    save_deterministic(&mut stamped.doc)
}

/// The document after its pages got their serial streams.
struct Stamped {
    doc: Document,
    serial_streams: Vec<ObjectId>,
    serial_origins: Vec<(f32, f32)>,
    serial_codes: Vec<u8>,
    qr_page: ObjectId,
    qr_rect: [f32; 4],
    qr_stream: ObjectId,
    /// Signature boxes with their page objects.
    boxes: Vec<(ObjectId, [f32; 4])>,
}

fn internal(e: impl std::fmt::Display) -> EspaError {
    EspaError::Internal(e.to_string())
}

fn corrupt(what: &str) -> impl Fn(lopdf::Error) -> EspaError + '_ {
    move |_| EspaError::Corrupt(what.to_string())
}

/// Signing parties take the slot's label, role and name so the drawn boxes match the slots.
fn with_slot_texts(doc: &EspaDocument, slots: &[SignatureSlot]) -> Vec<crate::PartyLine> {
    let mut slot_iter = slots.iter();
    doc.parties
        .iter()
        .map(
            |p| match (p.signs, p.signs.then(|| slot_iter.next()).flatten()) {
                (true, Some(slot)) => crate::PartyLine {
                    role_label: slot.role_label.clone(),
                    name: slot.name.clone(),
                    ..p.clone()
                },
                _ => p.clone(),
            },
        )
        .collect()
}

fn validate_slots(slots: &[SignatureSlot]) -> Result<(), EspaError> {
    if slots.is_empty() {
        return Err(EspaError::BadSlot("no signature slots".into()));
    }
    let mut seen = BTreeSet::new();
    for slot in slots {
        let name = &slot.field_name;
        let printable = name
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b'.');
        if name.is_empty() || name.len() > 100 || !printable {
            return Err(EspaError::BadSlot(format!(
                "field name {name:?} is not allowed"
            )));
        }
        if !seen.insert(name.as_str()) {
            return Err(EspaError::BadSlot(format!(
                "field name {name:?} is used twice"
            )));
        }
    }
    Ok(())
}

/// The hex codes of `serial` in the embedded subset.
fn encode_serial(serial: &str, codes: &[u8]) -> Result<Vec<u8>, EspaError> {
    if serial.is_empty() || serial.len() > MAX_SERIAL_LEN {
        return Err(EspaError::BadSerial);
    }
    serial
        .chars()
        .map(|c| {
            let i = SERIAL_CHARSET.find(c).ok_or(EspaError::BadSerial)?;
            codes
                .get(2 * i..2 * i + 2)
                .ok_or_else(|| internal("serial code table too short"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|parts| parts.concat())
}

fn stamp_rendered(doc: &EspaDocument, serial: &str) -> Result<Stamped, EspaError> {
    doc.validate()?;
    let laid = lay_out_espa(fonts()?, doc)?;
    let title = format!("Perjanjian Jual Beli {} {}", doc.project_code, doc.unit);
    let assembled = assemble(laid.pages, &title, Some(doc.created_at))?;
    let origins = vec![laid.serial_origin; assembled.pages.len()];
    let placed = Placed {
        boxes: laid.signature_boxes,
        qr: laid.qr,
        first_page: 0,
    };
    stamp(assembled, origins, serial, placed)
}

fn stamp_portal(bytes: &[u8], slots: &[SignatureSlot], serial: &str) -> Result<Stamped, EspaError> {
    let mut doc = intake(bytes)?;
    let portal_pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
    let Laid {
        pages,
        serial_origin,
        signature_boxes,
        qr,
    } = lay_out_signature_pages(fonts()?, slots, portal_pages.len());
    let sig = assemble(pages, "Halaman Tandatangan eSPA", None)?;
    let sig_page_count = sig.pages.len();
    let merged = merge_pages(&mut doc, sig)?;
    let mut origins = Vec::with_capacity(portal_pages.len() + sig_page_count);
    for page in &portal_pages {
        let [x1, _, _, y2] = page_box(&merged.doc, *page)?;
        origins.push((x1 + PORTAL_SERIAL_INSET.0, y2 - PORTAL_SERIAL_INSET.1));
    }
    origins.extend(std::iter::repeat_n(serial_origin, sig_page_count));
    let placed = Placed {
        boxes: signature_boxes,
        qr,
        first_page: portal_pages.len(),
    };
    stamp(merged, origins, serial, placed)
}

/// Where the laid-out signature boxes and QR square are; their page indices count from
/// `first_page` in the stamped document.
struct Placed {
    boxes: Vec<PageRect>,
    qr: PageRect,
    first_page: usize,
}

/// Moves the signature pages of `sig` to the end of `portal`'s page tree.
fn merge_pages(portal: &mut Document, mut sig: Assembled) -> Result<Assembled, EspaError> {
    let root_pages = portal
        .catalog()
        .and_then(|c| c.get(b"Pages"))
        .and_then(Object::as_reference)
        .map_err(corrupt("the catalog has no page tree"))?;
    sig.doc.renumber_objects_with(portal.max_id + 1);
    let sig_pages: Vec<ObjectId> = sig.doc.get_pages().into_values().collect();
    // The serial font got a new number: find it again through the first signature page.
    let sig_font = sig_pages
        .first()
        .and_then(|p| page_font_ref(&sig.doc, *p, crate::fonts::REGULAR_RESOURCE))
        .ok_or_else(|| internal("the serial font is not on the signature page"))?;
    let sig_root = sig
        .doc
        .catalog()
        .and_then(|c| c.get(b"Pages"))
        .and_then(Object::as_reference)
        .map_err(internal)?;
    let sig_catalog = sig
        .doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(internal)?;
    let sig_info = sig
        .doc
        .trailer
        .get(b"Info")
        .and_then(Object::as_reference)
        .ok();
    for (id, object) in std::mem::take(&mut sig.doc.objects) {
        if id != sig_root && id != sig_catalog && Some(id) != sig_info {
            portal.objects.insert(id, object);
        }
    }
    portal.max_id = portal.max_id.max(sig.doc.max_id);
    for page in &sig_pages {
        let dict = portal.get_dictionary_mut(*page).map_err(internal)?;
        dict.set("Parent", Object::Reference(root_pages));
        // The portal's root node may carry inheritable /Rotate; our page is upright.
        dict.set("Rotate", 0);
    }
    let root = portal
        .get_dictionary_mut(root_pages)
        .map_err(corrupt("the page tree root is not a dictionary"))?;
    let kids = root
        .get_mut(b"Kids")
        .and_then(Object::as_array_mut)
        .map_err(corrupt("the page tree root has no /Kids"))?;
    kids.extend(sig_pages.iter().map(|p| Object::Reference(*p)));
    let count = root.get(b"Count").and_then(Object::as_i64).unwrap_or(0);
    root.set("Count", count + sig_pages.len() as i64);
    let pages: Vec<ObjectId> = portal.get_pages().into_values().collect();
    if !pages.ends_with(&sig_pages) {
        return Err(EspaError::Corrupt(
            "the page tree could not be extended".into(),
        ));
    }
    Ok(Assembled {
        doc: std::mem::take(portal),
        pages,
        serial_font: sig_font,
        serial_codes: sig.serial_codes,
    })
}

/// The page's visible box (CropBox, else MediaBox) as `[x1 y1 x2 y2]`, normalised.
fn page_box(doc: &Document, page: ObjectId) -> Result<[f32; 4], EspaError> {
    let raw = inherited(doc, page, b"CropBox")
        .or_else(|| inherited(doc, page, b"MediaBox"))
        .and_then(|o| o.as_array().ok())
        .ok_or_else(|| EspaError::Corrupt("a page has no /MediaBox".into()))?;
    let n: Vec<f32> = raw
        .iter()
        .map(|o| doc.dereference(o).ok().and_then(|(_, o)| o.as_float().ok()))
        .collect::<Option<_>>()
        .filter(|v: &Vec<f32>| v.len() == 4 && v.iter().all(|f| f.is_finite()))
        .ok_or_else(|| EspaError::Corrupt("a page has an invalid /MediaBox".into()))?;
    Ok([
        n[0].min(n[2]),
        n[1].min(n[3]),
        n[0].max(n[2]),
        n[1].max(n[3]),
    ])
}

fn stream(content: Vec<u8>) -> Object {
    Object::Stream(Stream::new(Dictionary::new(), content))
}

fn serial_content(codes: &[u8], origin: (f32, f32)) -> Vec<u8> {
    let hex: String = codes.iter().map(|b| format!("{b:02X}")).collect();
    format!(
        "q 0 g BT /{SERIAL_FONT_RESOURCE} {SERIAL_FONT_SIZE} Tf {:.2} {:.2} Td <{hex}> Tj ET Q\n",
        origin.0, origin.1
    )
    .into_bytes()
}

fn stamp(
    assembled: Assembled,
    origins: Vec<(f32, f32)>,
    serial: &str,
    placed: Placed,
) -> Result<Stamped, EspaError> {
    let Assembled {
        mut doc,
        pages,
        serial_font,
        serial_codes,
    } = assembled;
    let serial_bytes = encode_serial(serial, &serial_codes)?;
    let page_at = |index: usize| {
        pages
            .get(placed.first_page + index)
            .copied()
            .ok_or_else(|| internal("page index out of range"))
    };
    let qr_page = page_at(placed.qr.page)?;
    let qr_stream = doc.add_object(stream(Vec::new()));
    let mut serial_streams = Vec::with_capacity(pages.len());
    for (page, origin) in pages.iter().zip(&origins) {
        add_serial_font(&mut doc, *page, serial_font)?;
        let serial_stream = doc.add_object(stream(serial_content(&serial_bytes, *origin)));
        let mut tail = vec![];
        if *page == qr_page {
            tail.push(qr_stream);
        }
        tail.push(serial_stream);
        wrap_contents(&mut doc, *page, &tail)?;
        serial_streams.push(serial_stream);
    }
    let boxes = placed
        .boxes
        .iter()
        .map(|b| Ok((page_at(b.page)?, [b.x1, b.y1, b.x2, b.y2])))
        .collect::<Result<Vec<_>, EspaError>>()?;
    Ok(Stamped {
        doc,
        serial_streams,
        serial_origins: origins,
        serial_codes,
        qr_page,
        qr_rect: [placed.qr.x1, placed.qr.y1, placed.qr.x2, placed.qr.y2],
        qr_stream,
        boxes,
    })
}

/// Gives the page a direct /Resources (a copy of what it had or inherited) whose /Font
/// has `/HIMSSerial` → the serial font.
fn add_serial_font(doc: &mut Document, page: ObjectId, font: ObjectId) -> Result<(), EspaError> {
    let mut resources = match inherited(doc, page, b"Resources") {
        Some(Object::Dictionary(d)) => d.clone(),
        Some(_) => {
            return Err(EspaError::Corrupt(
                "page /Resources is not a dictionary".into(),
            ));
        }
        None => Dictionary::new(),
    };
    let mut font_dict = match resources.get(b"Font").ok().map(|o| doc.dereference(o)) {
        None => Dictionary::new(),
        Some(Ok((_, Object::Dictionary(d)))) => d.clone(),
        Some(_) => {
            return Err(EspaError::Corrupt(
                "page /Font resources are not a dictionary".into(),
            ));
        }
    };
    font_dict.set(SERIAL_FONT_RESOURCE, Object::Reference(font));
    resources.set("Font", Object::Dictionary(font_dict));
    let dict = doc
        .get_dictionary_mut(page)
        .map_err(corrupt("a page is not a dictionary"))?;
    dict.set("Resources", Object::Dictionary(resources));
    Ok(())
}

/// `/Contents [q-stream, original…, Q-stream, tail…]`: the original content cannot leak
/// graphics state into ours, and the serial stream is last.
fn wrap_contents(doc: &mut Document, page: ObjectId, tail: &[ObjectId]) -> Result<(), EspaError> {
    let original: Vec<Object> = match doc
        .get_dictionary(page)
        .map_err(corrupt("a page is not a dictionary"))?
        .get(b"Contents")
    {
        Err(_) => Vec::new(),
        Ok(Object::Reference(id)) => match doc.get_object(*id) {
            Ok(Object::Array(items)) => items.clone(),
            Ok(Object::Stream(_)) => vec![Object::Reference(*id)],
            _ => return Err(EspaError::Corrupt("page /Contents is not a stream".into())),
        },
        Ok(Object::Array(items)) => items.clone(),
        Ok(_) => return Err(EspaError::Corrupt("page /Contents is not a stream".into())),
    };
    let open = doc.add_object(stream(b"q\n".to_vec()));
    let close = doc.add_object(stream(b"\nQ\n".to_vec()));
    let mut contents = vec![Object::Reference(open)];
    contents.extend(original);
    contents.push(Object::Reference(close));
    contents.extend(tail.iter().map(|id| Object::Reference(*id)));
    let dict = doc.get_dictionary_mut(page).map_err(internal)?;
    dict.set("Contents", Object::Array(contents));
    Ok(())
}

fn text_string(s: &str) -> Object {
    // UTF-16BE with BOM: a PDF text string that holds any name.
    let mut bytes = vec![0xFE, 0xFF];
    bytes.extend(s.encode_utf16().flat_map(u16::to_be_bytes));
    Object::String(bytes, StringFormat::Hexadecimal)
}

fn add_signature_fields(stamped: &mut Stamped, slots: &[SignatureSlot]) -> Result<(), EspaError> {
    if stamped.boxes.len() != slots.len() {
        return Err(internal("signature boxes and slots differ in number"));
    }
    let doc = &mut stamped.doc;
    let (mut fields, existing_names) = existing_fields(doc)?;
    let mut per_page: Vec<(ObjectId, Vec<Object>)> = Vec::new();
    for (slot, (page, [x1, y1, x2, y2])) in slots.iter().zip(&stamped.boxes) {
        if existing_names.contains(slot.field_name.as_bytes()) {
            return Err(EspaError::BadSlot(format!(
                "field name {:?} already exists in the PDF",
                slot.field_name
            )));
        }
        let mut widget = Dictionary::new();
        widget.set("Type", Object::Name(b"Annot".to_vec()));
        widget.set("Subtype", Object::Name(b"Widget".to_vec()));
        widget.set("FT", Object::Name(b"Sig".to_vec()));
        widget.set("T", Object::string_literal(slot.field_name.as_str()));
        widget.set(
            "TU",
            text_string(&format!("{}: {}", slot.role_label, slot.name)),
        );
        widget.set("F", 4);
        widget.set("P", Object::Reference(*page));
        let rect = [
            x1 + FIELD_INSET,
            y1 + FIELD_INSET,
            x2 - FIELD_INSET,
            y2 - FIELD_INSET,
        ];
        widget.set(
            "Rect",
            Object::Array(rect.iter().map(|v| Object::Real(*v)).collect()),
        );
        let id = doc.add_object(widget);
        fields.push(Object::Reference(id));
        match per_page.iter_mut().find(|(p, _)| p == page) {
            Some((_, list)) => list.push(Object::Reference(id)),
            None => per_page.push((*page, vec![Object::Reference(id)])),
        }
    }
    for (page, widgets) in per_page {
        let mut annots: Vec<Object> =
            match doc.get_dictionary(page).map_err(internal)?.get(b"Annots") {
                Ok(o) => match doc.dereference(o) {
                    Ok((_, Object::Array(a))) => a.clone(),
                    _ => Vec::new(),
                },
                Err(_) => Vec::new(),
            };
        annots.extend(widgets);
        let annots_id = doc.add_object(Object::Array(annots));
        doc.get_dictionary_mut(page)
            .map_err(internal)?
            .set("Annots", Object::Reference(annots_id));
    }
    let mut acroform = match doc
        .catalog()
        .map_err(internal)?
        .get(b"AcroForm")
        .ok()
        .map(|o| doc.dereference(o))
    {
        Some(Ok((_, Object::Dictionary(d)))) => d.clone(),
        _ => Dictionary::new(),
    };
    acroform.set("Fields", Object::Array(fields));
    let acroform_id = doc.add_object(acroform);
    doc.catalog_mut()
        .map_err(internal)?
        .set("AcroForm", Object::Reference(acroform_id));
    Ok(())
}

/// The portal's own top-level fields (kept) and their names. A PDF that already holds
/// a signature value is refused: rewriting it would break that signature.
fn existing_fields(doc: &Document) -> Result<(Vec<Object>, BTreeSet<Vec<u8>>), EspaError> {
    let Some(Ok((_, Object::Dictionary(form)))) = doc
        .catalog()
        .map_err(internal)?
        .get(b"AcroForm")
        .ok()
        .map(|o| doc.dereference(o))
    else {
        return Ok((Vec::new(), BTreeSet::new()));
    };
    let fields = match form.get(b"Fields").ok().map(|o| doc.dereference(o)) {
        Some(Ok((_, Object::Array(a)))) => a.clone(),
        _ => Vec::new(),
    };
    let mut names = BTreeSet::new();
    for field in &fields {
        if let Ok((_, Object::Dictionary(d))) = doc.dereference(field) {
            if d.get(b"FT").and_then(Object::as_name).ok() == Some(b"Sig".as_slice()) && d.has(b"V")
            {
                return Err(EspaError::AlreadySigned);
            }
            if let Ok(Object::String(name, _)) = d.get(b"T") {
                names.insert(name.clone());
            }
        }
    }
    Ok((fields, names))
}

fn numbers(values: &[f32]) -> Object {
    Object::Array(values.iter().map(|v| Object::Real(*v)).collect())
}

fn add_layout(stamped: &mut Stamped) -> Result<(), EspaError> {
    let refs =
        |ids: &[ObjectId]| Object::Array(ids.iter().map(|id| Object::Reference(*id)).collect());
    let mut layout = Dictionary::new();
    layout.set("Version", 1);
    layout.set("SerialStreams", refs(&stamped.serial_streams));
    layout.set(
        "SerialOrigins",
        Object::Array(
            stamped
                .serial_origins
                .iter()
                .map(|(x, y)| numbers(&[*x, *y]))
                .collect(),
        ),
    );
    let first = stamped.serial_origins.first().copied().unwrap_or_default();
    layout.set("SerialOrigin", numbers(&[first.0, first.1]));
    layout.set(
        "SerialFont",
        Object::Name(SERIAL_FONT_RESOURCE.as_bytes().to_vec()),
    );
    layout.set("SerialFontSize", Object::Real(SERIAL_FONT_SIZE));
    layout.set("SerialCharset", Object::string_literal(SERIAL_CHARSET));
    layout.set(
        "SerialCodes",
        Object::String(stamped.serial_codes.clone(), StringFormat::Hexadecimal),
    );
    layout.set("QrPage", Object::Reference(stamped.qr_page));
    layout.set("QrRect", numbers(&stamped.qr_rect));
    layout.set("QrStream", Object::Reference(stamped.qr_stream));
    stamped
        .doc
        .catalog_mut()
        .map_err(internal)?
        .set("HIMSLayout", Object::Dictionary(layout));
    Ok(())
}

/// Classic xref, clean trailer, compressed streams, and `/ID` = the first 16 bytes of
/// the SHA-256 of the file written without it: the same input gives the same bytes.
fn save_deterministic(doc: &mut Document) -> Result<Vec<u8>, EspaError> {
    let root = doc.trailer.get(b"Root").cloned().map_err(internal)?;
    let info = doc.trailer.get(b"Info").cloned().ok();
    let mut trailer = Dictionary::new();
    trailer.set("Root", root);
    if let Some(info) = info {
        trailer.set("Info", info);
    }
    doc.trailer = trailer;
    doc.version = "1.7".into();
    doc.reference_table.cross_reference_type = lopdf::xref::XrefType::CrossReferenceTable;
    doc.prune_objects();
    doc.compress();
    let mut draft = Vec::new();
    doc.save_to(&mut draft).map_err(internal)?;
    let digest = Sha256::digest(&draft);
    let id = Object::String(digest[..16].to_vec(), StringFormat::Hexadecimal);
    doc.trailer.set("ID", Object::Array(vec![id.clone(), id]));
    let mut out = Vec::with_capacity(draft.len() + 80);
    doc.save_to(&mut out).map_err(internal)?;
    Ok(out)
}
