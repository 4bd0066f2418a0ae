//! What the revisions after a signature changed, compared object by object.
//!
//! Allowed ("form filling"): new objects, an unsigned signature field (or its widget) being
//! signed (gaining /V with an appearance), AcroForm /SigFlags, AcroForm /Fields gaining new
//! signature fields, a catalog gaining /DSS or an updated inline /AcroForm, and the document
//! information dictionary. Anything else is `Other`: page content, resources, fonts, images,
//! annotations, actions, names, other fields' values, an object removed or an object number of
//! the signed revision pointed at other bytes. Stricter than pyHanko, which also lets other
//! form fields change value: an eSPA has no form fields but its signature fields.

use lopdf::{Dictionary, Document, Object, ObjectId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ModificationLevel {
    /// The signature covers the whole file.
    None,
    /// Only later signatures were added.
    FormFilling,
    Other,
}

const FIELD_FILL_KEYS: &[&[u8]] = &[b"V", b"AP", b"F", b"AS"];
const ACROFORM_KEYS: &[&[u8]] = &[b"SigFlags", b"Fields"];
const CATALOG_KEYS: &[&[u8]] = &[b"AcroForm", b"DSS"];

fn same(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::Stream(x), Object::Stream(y)) => x.dict == y.dict && x.content == y.content,
        _ => a == b,
    }
}

/// Equal except for `allowed` keys.
fn same_except(old: &Dictionary, new: &Dictionary, allowed: &[&[u8]]) -> bool {
    let keys = old.iter().map(|(k, _)| k).chain(new.iter().map(|(k, _)| k));
    for key in keys {
        if allowed.contains(&key.as_slice()) {
            continue;
        }
        match (old.get(key), new.get(key)) {
            (Ok(a), Ok(b)) if same(a, b) => {}
            (Err(_), Err(_)) => {}
            _ => return false,
        }
    }
    true
}

fn is_sig_field(d: &Dictionary) -> bool {
    d.get(b"FT").and_then(Object::as_name).ok() == Some(b"Sig")
}

fn parent<'a>(dict: &Dictionary, doc: &'a Document) -> Option<&'a Dictionary> {
    dict.get(b"Parent")
        .and_then(Object::as_reference)
        .and_then(|p| doc.get_object(p))
        .and_then(Object::as_dict)
        .ok()
}

fn is_unsigned_sig_field(dict: &Dictionary, doc: &Document) -> bool {
    let own_or_parent = is_sig_field(dict) || parent(dict, doc).is_some_and(is_sig_field);
    own_or_parent && !dict.has(b"V")
}

/// A field (or the widget of a field) that has a value in the new document: an appearance may
/// only change together with the signature it shows.
fn is_being_signed(new_dict: &Dictionary, new: &Document) -> bool {
    new_dict.get(b"V").and_then(Object::as_reference).is_ok()
        || parent(new_dict, new).is_some_and(|p| p.get(b"V").and_then(Object::as_reference).is_ok())
}

/// The old /Fields in order, followed only by new signature fields.
fn fields_only_gain_signatures(old: &Dictionary, new: &Dictionary, new_doc: &Document) -> bool {
    let list = |d: &Dictionary| d.get(b"Fields").and_then(Object::as_array).ok().cloned();
    let (Some(old_fields), Some(new_fields)) = (list(old), list(new)) else {
        return old.get(b"Fields").ok() == new.get(b"Fields").ok();
    };
    new_fields.starts_with(&old_fields)
        && new_fields[old_fields.len()..].iter().all(|f| {
            f.as_reference()
                .and_then(|id| new_doc.get_object(id))
                .and_then(Object::as_dict)
                .is_ok_and(is_sig_field)
        })
}

fn acroform_allowed(old: &Dictionary, new: &Dictionary, new_doc: &Document) -> bool {
    same_except(old, new, ACROFORM_KEYS) && fields_only_gain_signatures(old, new, new_doc)
}

fn declared_size(doc: &Document) -> u32 {
    doc.trailer
        .get(b"Size")
        .and_then(Object::as_i64)
        .ok()
        .and_then(|s| u32::try_from(s).ok())
        .unwrap_or(0)
        .max(doc.max_id.saturating_add(1))
}

fn changed_object_allowed(
    id: ObjectId,
    old_obj: &Object,
    new_obj: &Object,
    old: &Document,
    new: &Document,
) -> bool {
    let (Ok(old_dict), Ok(new_dict)) = (old_obj.as_dict(), new_obj.as_dict()) else {
        return false;
    };
    let root = old.trailer.get(b"Root").and_then(Object::as_reference).ok();
    let info = old.trailer.get(b"Info").and_then(Object::as_reference).ok();
    let acroform = old
        .catalog()
        .ok()
        .and_then(|c| c.get(b"AcroForm").and_then(Object::as_reference).ok());
    if Some(id) == info {
        return true;
    }
    if Some(id) == root {
        let inline_form_ok = match (old_dict.get(b"AcroForm"), new_dict.get(b"AcroForm")) {
            (Ok(Object::Dictionary(a)), Ok(Object::Dictionary(b))) => acroform_allowed(a, b, new),
            (Ok(a), Ok(b)) => same(a, b),
            _ => false,
        };
        return inline_form_ok && same_except(old_dict, new_dict, CATALOG_KEYS);
    }
    if Some(id) == acroform {
        return acroform_allowed(old_dict, new_dict, new);
    }
    if is_unsigned_sig_field(old_dict, old) {
        return is_being_signed(new_dict, new) && same_except(old_dict, new_dict, FIELD_FILL_KEYS);
    }
    false
}

/// Compares the document as signed (`old`) with the whole file (`new`).
pub(crate) fn modification_level(old: &Document, new: &Document) -> ModificationLevel {
    if old.trailer.get(b"Root").ok() != new.trailer.get(b"Root").ok() || new.trailer.has(b"Encrypt")
    {
        return ModificationLevel::Other;
    }
    // An object of the signed revision that the file no longer has: freed, or its number now
    // pointing at bytes that hold another object (lopdf files an object under its own header).
    let removed = old
        .objects
        .iter()
        .any(|(id, obj)| !new.objects.contains_key(id) && !is_bookkeeping(obj));
    if removed {
        return ModificationLevel::Other;
    }
    let first_new_id = declared_size(old);
    for (id, new_obj) in &new.objects {
        let ok = match old.objects.get(id) {
            Some(old_obj) => {
                same(old_obj, new_obj) || changed_object_allowed(*id, old_obj, new_obj, old, new)
            }
            // Objects the signed revision never had: harmless until something old points at them,
            // which is caught above; reusing a number the signed revision knew is not.
            None => id.0 >= first_new_id || is_bookkeeping(new_obj),
        };
        if !ok {
            return ModificationLevel::Other;
        }
    }
    ModificationLevel::FormFilling
}

/// Cross-reference and object streams carry no content of their own.
fn is_bookkeeping(obj: &Object) -> bool {
    obj.type_name()
        .is_ok_and(|t| t == b"XRef".as_slice() || t == b"ObjStm".as_slice())
}
