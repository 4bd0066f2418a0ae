//! Finding signature fields in the AcroForm tree.

use lopdf::{Dictionary, Document, Object, ObjectId};

use crate::PdfError;

/// A signature field as seen in the current revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    pub name: String,
    pub signed: bool,
}

/// A terminal signature field whose dictionary is also its widget annotation.
#[derive(Debug, Clone)]
pub(crate) struct SigField {
    pub name: String,
    pub id: ObjectId,
    pub dict: Dictionary,
    /// Reference of the signature dictionary, when signed.
    pub value: Option<ObjectId>,
}

const MAX_DEPTH: usize = 16;

/// Resolves a possibly indirect dictionary.
pub(crate) fn resolve_dict<'a>(doc: &'a Document, obj: &'a Object) -> Option<&'a Dictionary> {
    match obj {
        Object::Reference(id) => doc.get_object(*id).ok()?.as_dict().ok(),
        Object::Dictionary(d) => Some(d),
        _ => None,
    }
}

pub(crate) fn acroform(doc: &Document) -> Option<&Dictionary> {
    resolve_dict(doc, doc.catalog().ok()?.get(b"AcroForm").ok()?)
}

fn text(obj: &Object) -> Option<String> {
    let bytes = obj.as_str().ok()?;
    if let Some(utf16) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = utf16
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16(&units).ok();
    }
    Some(bytes.iter().map(|&b| char::from(b)).collect())
}

/// All terminal signature fields, with fully qualified names.
pub(crate) fn signature_fields_of(doc: &Document) -> Vec<SigField> {
    let mut found = Vec::new();
    let Some(form) = acroform(doc) else {
        return found;
    };
    let Ok(fields) = form.get(b"Fields").and_then(|f| match f {
        Object::Reference(id) => doc.get_object(*id).and_then(Object::as_array),
        other => other.as_array(),
    }) else {
        return found;
    };
    let mut seen = Vec::new();
    for field in fields {
        if let Ok(id) = field.as_reference() {
            walk(doc, id, "", false, 0, &mut seen, &mut found);
        }
    }
    found
}

fn walk(
    doc: &Document,
    id: ObjectId,
    parent_name: &str,
    parent_is_sig: bool,
    depth: usize,
    seen: &mut Vec<ObjectId>,
    found: &mut Vec<SigField>,
) {
    if depth > MAX_DEPTH || seen.contains(&id) {
        return;
    }
    seen.push(id);
    let Some(dict) = doc.get_object(id).ok().and_then(|o| o.as_dict().ok()) else {
        return;
    };
    let partial = dict.get(b"T").ok().and_then(text);
    let name = match (&partial, parent_name.is_empty()) {
        (Some(p), true) => p.clone(),
        (Some(p), false) => format!("{parent_name}.{p}"),
        (None, _) => parent_name.to_string(),
    };
    let is_sig = match dict.get(b"FT") {
        Ok(ft) => ft.as_name().is_ok_and(|n| n == b"Sig"),
        Err(_) => parent_is_sig,
    };
    let kids = dict.get(b"Kids").and_then(Object::as_array).ok();
    let field_kids: Vec<ObjectId> = kids
        .into_iter()
        .flatten()
        .filter_map(|k| k.as_reference().ok())
        .filter(|k| {
            doc.get_object(*k)
                .and_then(Object::as_dict)
                .is_ok_and(|d| d.has(b"T"))
        })
        .collect();
    if !field_kids.is_empty() {
        for kid in field_kids {
            walk(doc, kid, &name, is_sig, depth + 1, seen, found);
        }
        return;
    }
    if is_sig && partial.is_some() {
        found.push(SigField {
            name,
            id,
            dict: dict.clone(),
            value: dict.get(b"V").and_then(Object::as_reference).ok(),
        });
    }
}

/// Lists the signature fields of a PDF and whether each holds a signature.
pub fn signature_fields(pdf: &[u8]) -> Result<Vec<FieldInfo>, PdfError> {
    let doc = crate::budget::load(pdf, &mut crate::budget::Budget::default())?;
    Ok(signature_fields_of(&doc)
        .into_iter()
        .map(|f| FieldInfo {
            name: f.name,
            signed: f.value.is_some(),
        })
        .collect())
}
