//! Loading untrusted PDFs with a budget of decoded bytes. A small upload can
//! hold streams that inflate a thousandfold (decompression bombs), and every
//! load of a revision decodes its object and cross-reference streams again, so
//! every load of one request draws on one [`Budget`]: no stream may decode to
//! more than [`STREAM_LIMIT`] and all of them together to no more than the
//! budget ([`REQUEST_LIMIT`] by default). Over it, the load fails with
//! [`PdfError::TooComplex`] before decoding further.
//!
//! lopdf decodes two kinds of streams while loading: cross-reference streams
//! (while it follows the /Prev chain) and object streams. The first are
//! decoded here first, under the budget, by the same chain walk (lopdf then
//! decodes each again under its own per-stream cap); the second are decoded by
//! a load filter under the budget and handed to lopdf already decoded. Content
//! streams are never decoded on load; [`Budget::decode`] is for any that must be.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId, Stream};

use crate::PdfError;
use crate::incremental::last_startxref;
use crate::structure;

/// The most one stream may decode to.
pub const STREAM_LIMIT: usize = 8 * 1024 * 1024;
/// The most all the streams decoded for one request may decode to.
pub const REQUEST_LIMIT: usize = 64 * 1024 * 1024;
/// More cross-reference sections than any real file has (one per revision).
pub(crate) const MAX_XREF_SECTIONS: usize = 4096;

/// Decoded bytes one request may still spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    limit: usize,
    decoded: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Self::new(REQUEST_LIMIT)
    }
}

impl Budget {
    pub fn new(limit: usize) -> Self {
        Self { limit, decoded: 0 }
    }

    /// Bytes decoded so far; never more than the limit.
    pub fn decoded(&self) -> usize {
        self.decoded
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    fn room(&self) -> usize {
        STREAM_LIMIT.min(self.limit - self.decoded)
    }

    /// The decoded content of `stream`, charged to the budget.
    pub fn decode(&mut self, stream: &Stream) -> Result<Vec<u8>, PdfError> {
        let data = stream
            .decompressed_content_with_limit(self.room())
            .map_err(|e| match e {
                lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded {
                    ..
                }) => PdfError::TooComplex,
                other => PdfError::Malformed(other.to_string()),
            })?;
        self.decoded += data.len();
        Ok(data)
    }
}

/// The revisions of one file (each a prefix of it, as it was when signed),
/// each loaded at most once per request however many signatures name it, all
/// under one budget.
pub(crate) struct Revisions<'a> {
    pdf: &'a [u8],
    pub(crate) budget: &'a mut Budget,
    loaded: HashMap<usize, Option<Rc<Document>>>,
}

impl<'a> Revisions<'a> {
    pub(crate) fn new(pdf: &'a [u8], budget: &'a mut Budget) -> Self {
        Self {
            pdf,
            budget,
            loaded: HashMap::new(),
        }
    }

    /// The whole file: its load errors are the caller's.
    pub(crate) fn whole(&mut self) -> Result<Rc<Document>, PdfError> {
        let doc = Rc::new(load(self.pdf, self.budget)?);
        self.loaded.insert(self.pdf.len(), Some(doc.clone()));
        Ok(doc)
    }

    /// The file as it was up to `end`; `None` when that prefix does not load.
    /// Only an exhausted budget is an error.
    pub(crate) fn upto(&mut self, end: usize) -> Result<Option<Rc<Document>>, PdfError> {
        if let Some(doc) = self.loaded.get(&end) {
            return Ok(doc.clone());
        }
        let Some(bytes) = self.pdf.get(..end) else {
            return Ok(None);
        };
        let doc = match load(bytes, self.budget) {
            Ok(doc) => Some(Rc::new(doc)),
            Err(PdfError::TooComplex) => return Err(PdfError::TooComplex),
            Err(_) => None,
        };
        self.loaded.insert(end, doc.clone());
        Ok(doc)
    }
}

thread_local! {
    /// The budget of the load running on this thread: lopdf's load filter is
    /// a plain `fn`, so this is how it reaches the request's budget. (lopdf
    /// is built without rayon, so its filter runs on the loading thread.)
    static LOADING: RefCell<Option<Loading>> = const { RefCell::new(None) };
}

struct Loading {
    budget: Budget,
    exceeded: bool,
}

/// Loads `pdf`, charging every stream decoded on the way to `budget`.
/// Encrypted files are refused before anything is decoded.
pub fn load(pdf: &[u8], budget: &mut Budget) -> Result<Document, PdfError> {
    // lopdf reads from the header on; offsets count from there.
    let start = pdf
        .windows(5)
        .position(|w| w == b"%PDF-")
        .ok_or_else(|| PdfError::Malformed("no %PDF- header".into()))?;
    charge_xref_streams(&pdf[start..], budget)?;
    let options = LoadOptions {
        filter: Some(decode_object_stream),
        max_decompressed_size: Some(STREAM_LIMIT),
        ..LoadOptions::default()
    };
    LOADING.with(|l| {
        *l.borrow_mut() = Some(Loading {
            budget: *budget,
            exceeded: false,
        })
    });
    let loaded = Document::load_mem_with_options(pdf, options);
    let Some(state) = LOADING.with(|l| l.borrow_mut().take()) else {
        return Err(PdfError::TooComplex);
    };
    *budget = state.budget;
    if state.exceeded {
        return Err(PdfError::TooComplex);
    }
    let doc = loaded?;
    if doc.trailer.get(b"Encrypt").is_ok() || doc.is_encrypted() {
        return Err(PdfError::Encrypted);
    }
    Ok(doc)
}

/// lopdf's load filter: decodes an object stream under the budget of the
/// load in progress and hands it on decoded, so lopdf does not inflate it.
/// Without a budget in force (a load not started by [`load`]) or over it,
/// the object is dropped and the load fails.
fn decode_object_stream(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    if let Object::Stream(stream) = object
        && stream.dict.has_type(b"ObjStm")
        && stream.dict.has(b"Filter")
    {
        let decoded = LOADING.with(|l| {
            let mut l = l.borrow_mut();
            let state = l.as_mut()?;
            if state.exceeded {
                return None;
            }
            match state.budget.decode(stream) {
                Ok(data) => Some(data),
                Err(_) => {
                    state.exceeded = true;
                    None
                }
            }
        })?;
        stream.set_plain_content(decoded);
    }
    Some((id, object.clone()))
}

/// Decodes every cross-reference stream lopdf will decode while following
/// the chain from the last `startxref` (/Prev and /XRefStm), under the budget.
/// A section this walk cannot read is one lopdf cannot read either.
fn charge_xref_streams(pdf: &[u8], budget: &mut Budget) -> Result<(), PdfError> {
    let mut next = vec![last_startxref(pdf)?];
    let mut seen = HashSet::new();
    let mut newest = true;
    while let Some(at) = next.pop() {
        if !seen.insert(at) {
            continue;
        }
        if seen.len() > MAX_XREF_SECTIONS {
            return Err(PdfError::TooComplex);
        }
        // Strict where lopdf is not: a section it could read and this walk
        // could not would be decoded without the budget.
        let section = structure::xref_section(pdf, at)
            .ok_or_else(|| PdfError::Malformed("unreadable cross-reference section".into()))?;
        if newest && section.trailer.only(b"Encrypt").is_some() {
            return Err(PdfError::Encrypted);
        }
        newest = false;
        for key in [b"Prev".as_slice(), b"XRefStm"] {
            if let Some(offset) = section
                .trailer
                .only(key)
                .and_then(|span| structure::integer_at(pdf, span))
            {
                next.push(offset);
            }
        }
        if let Some(data) = section.stream_data {
            let filters = section
                .trailer
                .only(b"Filter")
                .map(|span| filter_names(&pdf[span]))
                .unwrap_or_default();
            if !filters.is_empty() {
                let mut dict = Dictionary::new();
                dict.set("Filter", Object::Array(filters));
                budget.decode(&Stream::new(dict, pdf[data].to_vec()))?;
            }
        }
    }
    Ok(())
}

/// The names of a /Filter value (`/FlateDecode` or `[/A /B]`).
fn filter_names(value: &[u8]) -> Vec<Object> {
    value
        .split(|&b| b == b'/')
        .skip(1)
        .map(|name| {
            let end = name
                .iter()
                .position(|&b| !(b.is_ascii_alphanumeric()))
                .unwrap_or(name.len());
            Object::Name(name[..end].to_vec())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_values_name_their_filters() {
        let names = |v: &[u8]| -> Vec<Vec<u8>> {
            filter_names(v)
                .into_iter()
                .filter_map(|o| o.as_name().ok().map(<[u8]>::to_vec))
                .collect()
        };
        assert_eq!(names(b"/FlateDecode"), [b"FlateDecode".to_vec()]);
        assert_eq!(
            names(b"[/ASCII85Decode /FlateDecode]"),
            [b"ASCII85Decode".to_vec(), b"FlateDecode".to_vec()]
        );
    }

    #[test]
    fn a_budget_never_decodes_past_its_limit() {
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut zlib, &vec![0u8; 1 << 20]).expect("deflate");
        let bomb = zlib.finish().expect("deflate");
        let mut dict = Dictionary::new();
        dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
        let stream = Stream::new(dict, bomb);
        let mut budget = Budget::new(3 << 20);
        for _ in 0..3 {
            assert_eq!(budget.decode(&stream).map(|d| d.len()).ok(), Some(1 << 20));
        }
        assert!(matches!(budget.decode(&stream), Err(PdfError::TooComplex)));
        assert_eq!(budget.decoded(), 3 << 20);
    }
}
