//! Hostile PDFs made on the fly, for the tests, the fuzz targets and the load
//! script (no large file is kept in the repository): small files whose
//! object streams, cross-reference streams or content streams inflate to
//! gigabytes, and files with many signatures over many revisions, which made
//! the verifier load the document again per signature.

use std::fmt::Write as _;

const MIB: usize = 1024 * 1024;

/// A zlib stream that inflates to `len` zero bytes (rounded up to whole MiB),
/// about 1 KiB per MiB: one fully flushed block of 1 MiB of zeros, repeated.
pub fn zlib_zeros(len: usize) -> Vec<u8> {
    let mib = len.div_ceil(MIB).max(1);
    let mut compress = flate2::Compress::new(flate2::Compression::best(), false);
    let mut block = Vec::with_capacity(4 * 1024);
    compress
        .compress_vec(&vec![0u8; MIB], &mut block, flate2::FlushCompress::Full)
        .expect("deflate into a large enough buffer");
    let mut out = vec![0x78, 0xDA];
    for _ in 0..mib {
        out.extend_from_slice(&block);
    }
    // An empty final block (fixed Huffman), then Adler-32 of the zeros: a stays 1, b counts bytes.
    out.extend_from_slice(&[0x03, 0x00]);
    let b = ((mib * MIB) % 65521) as u32;
    out.extend_from_slice(&((b << 16) | 1).to_be_bytes());
    out
}

/// Objects written one after the other, then a classic cross-reference table.
struct Writer {
    out: Vec<u8>,
    offsets: Vec<(u32, usize)>,
}

impl Writer {
    fn new() -> Self {
        Self {
            out: b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec(),
            offsets: Vec::new(),
        }
    }

    fn object(&mut self, id: u32, body: &[u8]) {
        self.offsets.push((id, self.out.len()));
        self.out
            .extend_from_slice(format!("{id} 0 obj\n").as_bytes());
        self.out.extend_from_slice(body);
        self.out.extend_from_slice(b"\nendobj\n");
    }

    fn stream(&mut self, id: u32, dict: &str, data: &[u8]) {
        let mut body = format!("<<{dict}/Length {}>>\nstream\n", data.len()).into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        self.object(id, &body);
    }

    /// A table of this section's objects, a trailer with `extra` entries and `%%EOF`.
    fn finish_section(&mut self, size: u32, prev: Option<usize>, extra: &str) -> usize {
        let xref_at = self.out.len();
        let mut table = String::from("xref\n0 1\n0000000000 65535 f\r\n");
        self.offsets.sort_unstable();
        for (id, offset) in self.offsets.drain(..) {
            let _ = write!(table, "{id} 1\n{offset:010} 00000 n\r\n");
        }
        let prev = prev.map(|p| format!("/Prev {p}")).unwrap_or_default();
        let _ = write!(
            table,
            "trailer\n<</Size {size}/Root 1 0 R{prev}{extra}>>\nstartxref\n{xref_at}\n%%EOF\n"
        );
        self.out.extend_from_slice(table.as_bytes());
        xref_at
    }
}

/// Catalog (1), pages (2) and one page (3) with content stream 4, and an
/// AcroForm listing `fields`.
fn skeleton(w: &mut Writer, content: &[u8], content_filter: &str, fields: &[u32]) {
    let refs: String = fields.iter().map(|f| format!(" {f} 0 R")).collect();
    w.object(
        1,
        format!("<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[{refs}]/SigFlags 3>>>>").as_bytes(),
    );
    w.object(2, b"<</Type/Pages/Kids[3 0 R]/Count 1>>");
    w.object(
        3,
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>",
    );
    w.stream(4, content_filter, content);
}

/// A one-page PDF with an object stream (object 5) that inflates to `inflated` bytes.
pub fn object_stream_bomb(inflated: usize) -> Vec<u8> {
    let mut w = Writer::new();
    skeleton(&mut w, b"", "", &[]);
    w.stream(
        5,
        "/Type/ObjStm/N 1/First 4/Filter/FlateDecode",
        &zlib_zeros(inflated),
    );
    w.finish_section(6, None, "");
    w.out
}

/// A one-page PDF whose page content stream inflates to `inflated` bytes.
/// Nothing needs to decode it to load or verify the file.
pub fn content_stream_bomb(inflated: usize) -> Vec<u8> {
    let mut w = Writer::new();
    skeleton(&mut w, &zlib_zeros(inflated), "/Filter/FlateDecode", &[]);
    w.finish_section(5, None, "");
    w.out
}

/// A one-page PDF of `sections` revisions, each ending in a cross-reference
/// stream that inflates to `inflated` bytes (rows of zeros: free entries).
pub fn xref_stream_bomb(inflated: usize, sections: usize) -> Vec<u8> {
    let mut w = Writer::new();
    skeleton(&mut w, b"", "", &[]);
    let mut prev = Some(w.finish_section(5, None, ""));
    let rows = inflated.div_ceil(MIB).max(1) * MIB / 7;
    for i in 0..sections {
        let id = 5 + u32::try_from(i).unwrap_or(u32::MAX - 5);
        let xref_at = w.out.len();
        let prev_entry = prev.map(|p| format!("/Prev {p}")).unwrap_or_default();
        let dict =
            format!("/Type/XRef/Size {rows}/W[1 4 2]/Root 1 0 R{prev_entry}/Filter/FlateDecode");
        w.stream(id, &dict, &zlib_zeros(inflated));
        w.offsets.clear();
        w.out
            .extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
        prev = Some(xref_at);
    }
    w.out
}

/// A PDF whose first revision holds an object stream inflating to `inflated`
/// bytes, then `revisions` revisions each adding a signature (of `fields_per_revision`
/// fields) whose byte range covers exactly that revision: a verifier that loads
/// the signed revision per signature decodes the object stream again each time.
/// The CMS is a placeholder; the signatures are not intact, only expensive.
const SIGNATURES: u32 = 100;
const FIELDS: u32 = 100_000;

pub fn signature_revisions_bomb(
    inflated: usize,
    revisions: usize,
    fields_per_revision: usize,
) -> Vec<u8> {
    let revisions = u32::try_from(revisions.max(1)).unwrap_or(1);
    let per = u32::try_from(fields_per_revision.max(1)).unwrap_or(1);
    // Signatures 100.. (one per revision), fields 100_000.. each pointing at the one of its revision.
    let fields: Vec<u32> = (0..revisions * per).map(|i| FIELDS + i).collect();
    let mut w = Writer::new();
    skeleton(&mut w, b"", "", &fields);
    w.stream(
        5,
        "/Type/ObjStm/N 1/First 4/Filter/FlateDecode",
        &zlib_zeros(inflated),
    );
    for (i, field) in fields.iter().enumerate() {
        let sig = SIGNATURES + u32::try_from(i).unwrap_or(0) / per;
        w.object(
            *field,
            format!("<</FT/Sig/T(f{field})/V {sig} 0 R/Type/Annot/Subtype/Widget/Rect[0 0 0 0]/P 3 0 R>>")
                .as_bytes(),
        );
    }
    let size = FIELDS + revisions * per;
    let mut prev = Some(w.finish_section(size, None, ""));
    for r in 0..revisions {
        let sig = SIGNATURES + r;
        // Fixed-width numbers, patched once the revision's end is known.
        let placeholder = "0000000000";
        let sig_at = w.out.len();
        let head = format!(
            "{sig} 0 obj\n<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/ByteRange[0 {placeholder} {placeholder} {placeholder}]/Contents"
        );
        let gap_start = sig_at + head.len();
        let contents = "<00>";
        let gap_end = gap_start + contents.len();
        w.offsets.push((sig, sig_at));
        w.out.extend_from_slice(head.as_bytes());
        w.out.extend_from_slice(contents.as_bytes());
        w.out.extend_from_slice(b">>\nendobj\n");
        prev = Some(w.finish_section(size, prev, ""));
        let end = w.out.len();
        let numbers = format!("{gap_start:010} {gap_end:010} {:010}", end - gap_end);
        let at = sig_at + head.find("0000000000").unwrap_or(0);
        w.out[at..at + numbers.len()].copy_from_slice(numbers.as_bytes());
    }
    w.out
}

/// The four uploads of issue 13's goal for `POST /verify` (each at most
/// 4 MiB, sent at once): an object stream and a cross-reference stream of
/// ~3.9 GiB, 400 cross-reference streams of 7 MiB, 400 signatures over 200
/// revisions each holding a 7 MiB object stream.
pub fn goal_uploads() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("object_stream", object_stream_bomb(3900 * MIB)),
        ("xref_stream", xref_stream_bomb(3900 * MIB, 1)),
        ("xref_sections", xref_stream_bomb(7 * MIB, 400)),
        (
            "signature_revisions",
            signature_revisions_bomb(7 * MIB, 200, 2),
        ),
    ]
}
