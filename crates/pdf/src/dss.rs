//! The Document Security Store (PAdES B-LT, ISO 32000-2 12.8.4.3): certificates and CRLs
//! embedded so that signatures validate offline. Writing merges with the DSS already in the
//! file; reading gathers what a validator may use.
//!
//! Each update writes a new DSS dictionary and new streams and points the catalog at it:
//! objects of earlier revisions are never rewritten, so earlier signatures see only a catalog
//! whose /DSS changed (pyHanko's LTA_UPDATES; for us form filling).

use std::collections::HashSet;

use lopdf::{Dictionary, Document, Object, ObjectId};
use sha2::{Digest, Sha256};

use crate::PdfError;
use crate::budget::Budget;
use crate::fields::resolve_dict;
use crate::incremental::{IncrementalUpdate, deflate};

/// Validation data to embed (all DER): certificates (signer, CA, TSA) and CRLs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationData {
    pub certs: Vec<Vec<u8>>,
    pub crls: Vec<Vec<u8>>,
}

impl ValidationData {
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty() && self.crls.is_empty()
    }
}

/// The /DSS of the catalog, when it is a dictionary.
pub(crate) fn dss_dict<'a>(doc: &'a Document, catalog: &'a Dictionary) -> Option<&'a Dictionary> {
    resolve_dict(doc, catalog.get(b"DSS").ok()?)
}

/// The stream references of `/Certs`, `/CRLs` or `/OCSPs` (the array may be indirect).
fn stream_refs(doc: &Document, dss: &Dictionary, key: &[u8]) -> Vec<ObjectId> {
    let array = match dss.get(key) {
        Ok(Object::Reference(id)) => doc.get_object(*id).and_then(Object::as_array).ok(),
        Ok(other) => other.as_array().ok(),
        Err(_) => None,
    };
    array
        .into_iter()
        .flatten()
        .filter_map(|o| o.as_reference().ok())
        .collect()
}

/// The decoded bytes of a DSS stream, charged to `budget`; `None` when it does not decode.
/// Only an exhausted budget is an error.
fn stream_bytes(
    doc: &Document,
    id: ObjectId,
    budget: &mut Budget,
) -> Result<Option<Vec<u8>>, PdfError> {
    let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) else {
        return Ok(None);
    };
    if !stream.dict.has(b"Filter") {
        return Ok(Some(stream.content.clone()));
    }
    match budget.decode(stream) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(PdfError::TooComplex) => Err(PdfError::TooComplex),
        Err(_) => Ok(None),
    }
}

/// The decoded streams of one DSS array (`/Certs`, `/CRLs`).
fn decoded(
    doc: &Document,
    dss: &Dictionary,
    key: &[u8],
    budget: &mut Budget,
) -> Result<Vec<Vec<u8>>, PdfError> {
    let mut items = Vec::new();
    for id in stream_refs(doc, dss, key) {
        items.extend(stream_bytes(doc, id, budget)?);
    }
    Ok(items)
}

/// What the file's current DSS holds (decoded DER), decoded under `budget`.
pub(crate) fn read(doc: &Document, budget: &mut Budget) -> Result<ValidationData, PdfError> {
    let Some(dss) = doc.catalog().ok().and_then(|c| dss_dict(doc, c)) else {
        return Ok(ValidationData::default());
    };
    Ok(ValidationData {
        certs: decoded(doc, dss, b"Certs", budget)?,
        crls: decoded(doc, dss, b"CRLs", budget)?,
    })
}

/// Merges `data` into the DSS: a new DSS dictionary holding the old entries and one new stream
/// per item not already there. Sets `catalog`'s /DSS; the caller writes the catalog.
pub(crate) fn write(
    doc: &Document,
    update: &mut IncrementalUpdate,
    catalog: &mut Dictionary,
    data: &ValidationData,
) -> Result<(), PdfError> {
    let old = dss_dict(doc, catalog).cloned().unwrap_or_default();
    // The file was loaded within the default budget; its DSS streams get one of their own.
    let budget = &mut Budget::default();
    let mut dss = Dictionary::new();
    dss.set("Type", Object::Name(b"DSS".to_vec()));
    for (key, items) in [(b"Certs".as_slice(), &data.certs), (b"CRLs", &data.crls)] {
        let existing = stream_refs(doc, &old, key);
        let mut seen: HashSet<[u8; 32]> = decoded(doc, &old, key, budget)?
            .iter()
            .map(|bytes| Sha256::digest(bytes).into())
            .collect();
        let mut refs: Vec<Object> = existing.into_iter().map(Object::Reference).collect();
        for item in items {
            if !seen.insert(Sha256::digest(item).into()) {
                continue;
            }
            let id = update.allocate();
            // Compressed as pyHanko writes them; it also keeps certificate
            // subjects out of the file's plain bytes.
            let mut dict = Dictionary::new();
            dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
            update.write_stream(id, dict, &deflate(item)?)?;
            refs.push(Object::Reference(id));
        }
        if !refs.is_empty() {
            dss.set(key, Object::Array(refs));
        }
    }
    // OCSP responses and per-signature VRI entries of earlier writers are kept as they were.
    for key in [b"OCSPs".as_slice(), b"VRI"] {
        if let Ok(value) = old.get(key) {
            dss.set(key, value.clone());
        }
    }
    let id = update.allocate();
    update.write_object(id, Object::Dictionary(dss))?;
    catalog.set("DSS", Object::Reference(id));
    Ok(())
}
