//! One incremental update appended to the exact previous bytes: new or replaced objects,
//! a new cross-reference section of the same kind as the previous one, and a trailer with /Prev.

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

use crate::PdfError;

/// Offset named by the last `startxref` of the file.
pub(crate) fn last_startxref(pdf: &[u8]) -> Result<usize, PdfError> {
    let tail_start = pdf.len().saturating_sub(2048);
    let tail = &pdf[tail_start..];
    let at = tail
        .windows(9)
        .rposition(|w| w == b"startxref")
        .ok_or_else(|| PdfError::Malformed("no startxref".into()))?;
    let digits: Vec<u8> = tail[at + 9..]
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    std::str::from_utf8(&digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&offset: &usize| offset < pdf.len())
        .ok_or_else(|| PdfError::Malformed("bad startxref offset".into()))
}

/// Serialises one object with lopdf's writer. lopdf keeps its `Writer` private; a content
/// stream of a single operation with an empty operator is exactly the operand, plus a space.
pub(crate) fn serialize(object: Object) -> Result<Vec<u8>, PdfError> {
    let content = Content {
        operations: vec![Operation::new("", vec![object])],
    };
    Ok(content.encode()?)
}

pub(crate) struct IncrementalUpdate {
    out: Vec<u8>,
    prev_startxref: usize,
    xref_is_stream: bool,
    trailer: Dictionary,
    next_id: u32,
    entries: Vec<(ObjectId, usize)>,
}

impl IncrementalUpdate {
    pub(crate) fn new(pdf: &[u8], doc: &Document) -> Result<Self, PdfError> {
        // Offsets must fit the 4-byte field of an xref stream, with room for the update.
        if pdf.len() > (u32::MAX / 2) as usize {
            return Err(PdfError::Malformed("file too large".into()));
        }
        let prev_startxref = last_startxref(pdf)?;
        let xref_is_stream = !pdf[prev_startxref..]
            .iter()
            .skip_while(|b| b.is_ascii_whitespace())
            .take(4)
            .eq(b"xref".iter());
        let mut trailer = Dictionary::new();
        for key in [b"Root".as_slice(), b"Info", b"ID"] {
            if let Ok(value) = doc.trailer.get(key) {
                trailer.set(key, value.clone());
            }
        }
        if trailer.get(b"Root").is_err() {
            return Err(PdfError::Malformed("trailer has no /Root".into()));
        }
        let declared_size = doc
            .trailer
            .get(b"Size")
            .and_then(Object::as_i64)
            .ok()
            .and_then(|s| u32::try_from(s).ok())
            .unwrap_or(0);
        let mut out = Vec::with_capacity(pdf.len() + 64 * 1024);
        out.extend_from_slice(pdf);
        if out.last() != Some(&b'\n') {
            out.push(b'\n');
        }
        Ok(Self {
            out,
            prev_startxref,
            xref_is_stream,
            trailer,
            next_id: declared_size.max(doc.max_id.saturating_add(1)),
            entries: Vec::new(),
        })
    }

    pub(crate) fn allocate(&mut self) -> ObjectId {
        let id = (self.next_id, 0);
        self.next_id += 1;
        id
    }

    pub(crate) fn write_object(&mut self, id: ObjectId, object: Object) -> Result<(), PdfError> {
        let body = serialize(object)?;
        self.write_raw_object(id, &body);
        Ok(())
    }

    /// Writes a stream whose data is already encoded as `dict`'s /Filter says, without copying
    /// it into an intermediate object.
    pub(crate) fn write_stream(
        &mut self,
        id: ObjectId,
        mut dict: Dictionary,
        data: &[u8],
    ) -> Result<(), PdfError> {
        dict.set("Length", Object::Integer(data.len() as i64));
        let head = serialize(Object::Dictionary(dict))?;
        self.begin_object(id);
        self.out.extend_from_slice(&head);
        self.out.extend_from_slice(b"stream\n");
        self.out.extend_from_slice(data);
        self.out.extend_from_slice(b"\nendstream\nendobj\n");
        Ok(())
    }

    /// Writes an object whose body is already serialised; returns the offset of the body.
    pub(crate) fn write_raw_object(&mut self, id: ObjectId, body: &[u8]) -> usize {
        self.begin_object(id);
        let body_offset = self.out.len();
        self.out.extend_from_slice(body);
        self.out.extend_from_slice(b"\nendobj\n");
        body_offset
    }

    /// Records where object `id` starts and writes its `n g obj` line.
    fn begin_object(&mut self, id: ObjectId) {
        self.entries.push((id, self.out.len()));
        self.out
            .extend_from_slice(format!("{} {} obj\n", id.0, id.1).as_bytes());
    }

    /// Writes the cross-reference section, trailer and `%%EOF`; returns the whole new file.
    pub(crate) fn finish(mut self) -> Result<Vec<u8>, PdfError> {
        let xref_offset = self.out.len();
        self.trailer
            .set("Prev", Object::Integer(self.prev_startxref as i64));
        if self.xref_is_stream {
            let id = self.allocate();
            self.entries.push((id, xref_offset));
            let stream = self.xref_stream();
            self.write_object(id, Object::Stream(stream))?;
            // write_object recorded the entry a second time with the same offset.
            self.entries.pop();
        } else {
            self.write_xref_table()?;
        }
        self.out
            .extend_from_slice(format!("startxref\n{xref_offset}\n%%EOF\n").as_bytes());
        Ok(self.out)
    }

    fn sorted_runs(&mut self) -> Vec<Vec<(ObjectId, usize)>> {
        self.entries.sort_by_key(|(id, _)| id.0);
        let mut runs: Vec<Vec<(ObjectId, usize)>> = Vec::new();
        for &entry in &self.entries {
            match runs.last_mut() {
                Some(run) if run.last().is_some_and(|(id, _)| id.0 + 1 == entry.0.0) => {
                    run.push(entry)
                }
                _ => runs.push(vec![entry]),
            }
        }
        runs
    }

    fn write_xref_table(&mut self) -> Result<(), PdfError> {
        let runs = self.sorted_runs();
        let mut text = String::from("xref\n");
        for run in &runs {
            text.push_str(&format!("{} {}\n", run[0].0.0, run.len()));
            for ((_, generation), offset) in run {
                text.push_str(&format!("{offset:010} {generation:05} n\r\n"));
            }
        }
        self.trailer
            .set("Size", Object::Integer(i64::from(self.next_id)));
        self.out.extend_from_slice(text.as_bytes());
        self.out.extend_from_slice(b"trailer\n");
        let trailer = serialize(Object::Dictionary(std::mem::take(&mut self.trailer)))?;
        self.out.extend_from_slice(&trailer);
        self.out.push(b'\n');
        Ok(())
    }

    fn xref_stream(&mut self) -> Stream {
        let runs = self.sorted_runs();
        let mut index = Vec::new();
        let mut rows = Vec::new();
        for run in &runs {
            index.push(Object::Integer(i64::from(run[0].0.0)));
            index.push(Object::Integer(run.len() as i64));
            for ((_, generation), offset) in run {
                rows.push(1u8);
                rows.extend_from_slice(&(*offset as u32).to_be_bytes());
                rows.extend_from_slice(&generation.to_be_bytes());
            }
        }
        let mut dict = self.trailer.clone();
        dict.set("Type", Object::Name(b"XRef".to_vec()));
        dict.set("Size", Object::Integer(i64::from(self.next_id)));
        dict.set("Index", Object::Array(index));
        dict.set("W", Object::Array(vec![1.into(), 4.into(), 2.into()]));
        Stream::new(dict, rows)
    }
}

thread_local! {
    /// One deflate state per thread, reset for each stream: setting one up (zeroing its
    /// tables) costs more than compressing a certificate or a QR code, and lopdf's
    /// `Stream::compress` sets up one at its best level per stream.
    static DEFLATE: std::cell::RefCell<flate2::Compress> =
        std::cell::RefCell::new(flate2::Compress::new(flate2::Compression::default(), true));
}

/// `data` zlib-compressed (/FlateDecode).
pub(crate) fn deflate(data: &[u8]) -> Result<Vec<u8>, PdfError> {
    DEFLATE.with_borrow_mut(|state| {
        state.reset();
        let mut out = Vec::with_capacity(data.len() + 64);
        loop {
            let consumed = usize::try_from(state.total_in()).unwrap_or(data.len());
            let status = state
                .compress_vec(
                    &data[consumed.min(data.len())..],
                    &mut out,
                    flate2::FlushCompress::Finish,
                )
                .map_err(|e| PdfError::Malformed(format!("deflate: {e}")))?;
            if status == flate2::Status::StreamEnd {
                return Ok(out);
            }
            out.reserve(out.capacity().max(64));
        }
    })
}
