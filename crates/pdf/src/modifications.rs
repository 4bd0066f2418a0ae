//! What the revisions after a signature changed, compared object by object.
//!
//! Allowed ("form filling"): new objects, an unsigned signature field (or its widget) gaining a
//! value and an appearance, AcroForm /SigFlags and /Fields, a catalog gaining /DSS or an
//! updated inline /AcroForm, and the document information dictionary. Anything else is `Other`.

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

fn is_unsigned_sig_field(dict: &Dictionary, doc: &Document) -> bool {
    let sig_type = |d: &Dictionary| d.get(b"FT").and_then(Object::as_name).ok() == Some(b"Sig");
    let own_or_parent = sig_type(dict)
        || dict
            .get(b"Parent")
            .and_then(Object::as_reference)
            .and_then(|p| doc.get_object(p))
            .and_then(Object::as_dict)
            .is_ok_and(sig_type);
    own_or_parent && !dict.has(b"V")
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
            (Ok(Object::Dictionary(a)), Ok(Object::Dictionary(b))) => {
                same_except(a, b, ACROFORM_KEYS)
            }
            (Ok(a), Ok(b)) => same(a, b),
            _ => false,
        };
        return inline_form_ok && same_except(old_dict, new_dict, CATALOG_KEYS);
    }
    if Some(id) == acroform {
        return same_except(old_dict, new_dict, ACROFORM_KEYS);
    }
    if is_unsigned_sig_field(old_dict, old) {
        return same_except(old_dict, new_dict, FIELD_FILL_KEYS);
    }
    false
}

/// Compares the document as signed (`old`) with the whole file (`new`).
pub(crate) fn modification_level(old: &Document, new: &Document) -> ModificationLevel {
    if old.trailer.get(b"Root").ok() != new.trailer.get(b"Root").ok() {
        return ModificationLevel::Other;
    }
    let first_new_id = declared_size(old);
    for (id, new_obj) in &new.objects {
        let ok = match old.objects.get(id) {
            Some(old_obj) => {
                same(old_obj, new_obj) || changed_object_allowed(*id, old_obj, new_obj, old)
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
