//! Small lookups in a lopdf document that the page tree makes indirect.

use lopdf::{Dictionary, Document, Object, ObjectId};

/// An inheritable page attribute (ISO 32000-1, 7.7.3.4), dereferenced. The walk up the
/// tree is bounded, so a cyclic /Parent chain ends.
pub(crate) fn inherited<'a>(doc: &'a Document, page: ObjectId, key: &[u8]) -> Option<&'a Object> {
    let mut node = doc.get_dictionary(page).ok()?;
    for _ in 0..64 {
        if let Ok(value) = node.get(key) {
            return doc.dereference(value).ok().map(|(_, o)| o);
        }
        let parent = node.get(b"Parent").and_then(Object::as_reference).ok()?;
        node = doc.get_dictionary(parent).ok()?;
    }
    None
}

/// The page's font resource dictionary, if it has one.
pub(crate) fn page_fonts(doc: &Document, page: ObjectId) -> Option<&Dictionary> {
    let resources = inherited(doc, page, b"Resources")?.as_dict().ok()?;
    let fonts = doc.dereference(resources.get(b"Font").ok()?).ok()?.1;
    fonts.as_dict().ok()
}

/// The object a page's font resource `name` refers to.
pub(crate) fn page_font_ref(doc: &Document, page: ObjectId, name: &str) -> Option<ObjectId> {
    page_fonts(doc, page)?
        .get(name.as_bytes())
        .and_then(Object::as_reference)
        .ok()
}
