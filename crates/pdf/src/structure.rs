//! The file's own structure, read from its bytes rather than from lopdf's merged view: where each
//! revision ends, and where a dictionary's values lie. Signature checks need byte positions, which
//! lopdf does not keep.

use std::collections::HashSet;
use std::ops::Range;

use crate::PdfError;
use crate::budget::Revisions;
use crate::incremental::last_startxref;

const MAX_DEPTH: usize = 64;
const MAX_REVISIONS: usize = 4096;

fn is_space(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

/// Skips white space and comments.
pub(crate) fn skip_space(pdf: &[u8], mut at: usize) -> usize {
    while let Some(&b) = pdf.get(at) {
        if is_space(b) {
            at += 1;
        } else if b == b'%' {
            while pdf.get(at).is_some_and(|&c| c != b'\n' && c != b'\r') {
                at += 1;
            }
        } else {
            break;
        }
    }
    at
}

/// End of a run of regular characters (a number, keyword or name body).
fn regular_end(pdf: &[u8], mut at: usize) -> usize {
    while pdf
        .get(at)
        .is_some_and(|&b| !is_space(b) && !is_delimiter(b))
    {
        at += 1;
    }
    at
}

fn is_unsigned_integer(token: &[u8]) -> bool {
    !token.is_empty() && token.iter().all(u8::is_ascii_digit)
}

/// End of the object starting at `at` (after leading white space is skipped by the caller).
fn value_end(pdf: &[u8], at: usize, depth: usize) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    match *pdf.get(at)? {
        b'<' if pdf.get(at + 1) == Some(&b'<') => dict_entries_from(pdf, at, depth).map(|d| d.1),
        b'<' => Some(at + pdf[at..].iter().position(|&b| b == b'>')? + 1),
        b'(' => literal_end(pdf, at),
        b'[' => {
            let mut i = skip_space(pdf, at + 1);
            while *pdf.get(i)? != b']' {
                i = skip_space(pdf, value_end(pdf, i, depth + 1)?);
            }
            Some(i + 1)
        }
        b'/' => Some(regular_end(pdf, at + 1)),
        b if is_delimiter(b) => None,
        _ => {
            let end = regular_end(pdf, at);
            if end == at {
                return None;
            }
            // An indirect reference "N G R" reads as one value.
            if is_unsigned_integer(&pdf[at..end]) {
                let g = skip_space(pdf, end);
                let g_end = regular_end(pdf, g);
                let r = skip_space(pdf, g_end);
                if g_end > g
                    && is_unsigned_integer(&pdf[g..g_end])
                    && pdf.get(r) == Some(&b'R')
                    && regular_end(pdf, r) == r + 1
                {
                    return Some(r + 1);
                }
            }
            Some(end)
        }
    }
}

fn literal_end(pdf: &[u8], at: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = at;
    loop {
        match *pdf.get(i)? {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
}

/// A dictionary's top-level entries.
pub(crate) struct DictSpans<'a> {
    /// The opening `<<`.
    pub start: usize,
    pub entries: Vec<(&'a [u8], Range<usize>)>,
    /// Just after the closing `>>`.
    pub end: usize,
}

impl DictSpans<'_> {
    /// The span of the value of `key`, if it is given exactly once.
    pub(crate) fn only(&self, key: &[u8]) -> Option<Range<usize>> {
        let mut matching = self.entries.iter().filter(|(k, _)| *k == key);
        match (matching.next(), matching.next()) {
            (Some((_, span)), None) => Some(span.clone()),
            _ => None,
        }
    }
}

fn dict_entries_from(pdf: &[u8], at: usize, depth: usize) -> Option<(DictSpans<'_>, usize)> {
    if !pdf.get(at..)?.starts_with(b"<<") {
        return None;
    }
    let mut entries = Vec::new();
    let mut i = skip_space(pdf, at + 2);
    loop {
        if pdf.get(i..)?.starts_with(b">>") {
            let end = i + 2;
            return Some((
                DictSpans {
                    start: at,
                    entries,
                    end,
                },
                end,
            ));
        }
        if *pdf.get(i)? != b'/' {
            return None;
        }
        let key_end = regular_end(pdf, i + 1);
        let value_at = skip_space(pdf, key_end);
        let value_to = value_end(pdf, value_at, depth + 1)?;
        entries.push((&pdf[i + 1..key_end], value_at..value_to));
        i = skip_space(pdf, value_to);
    }
}

/// The dictionary starting at `at` (`<<`).
pub(crate) fn dict_spans(pdf: &[u8], at: usize) -> Option<DictSpans<'_>> {
    dict_entries_from(pdf, at, 0).map(|d| d.0)
}

/// The dictionary of indirect object `id` written at `offset` ("N G obj <<…").
pub(crate) fn object_dict(pdf: &[u8], offset: usize, id: (u32, u16)) -> Option<DictSpans<'_>> {
    let expected = [id.0.to_string(), id.1.to_string()];
    let mut i = skip_space(pdf, offset);
    for part in &expected {
        let end = regular_end(pdf, i);
        if &pdf[i..end] != part.as_bytes() {
            return None;
        }
        i = skip_space(pdf, end);
    }
    let end = regular_end(pdf, i);
    if &pdf[i..end] != b"obj" {
        return None;
    }
    dict_spans(pdf, skip_space(pdf, end))
}

pub(crate) fn integer_at(pdf: &[u8], span: Range<usize>) -> Option<usize> {
    std::str::from_utf8(pdf.get(span)?)
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn find(pdf: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    pdf.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// The trailer dictionary of the cross-reference section at `xref_at` (table or stream).
fn section_trailer(pdf: &[u8], xref_at: usize) -> Option<DictSpans<'_>> {
    let at = skip_space(pdf, xref_at);
    if pdf.get(at..)?.starts_with(b"xref") {
        let trailer = find(pdf, at, b"trailer")?;
        return dict_spans(pdf, skip_space(pdf, trailer + b"trailer".len()));
    }
    let number_end = regular_end(pdf, at);
    let number: u32 = std::str::from_utf8(&pdf[at..number_end])
        .ok()?
        .parse()
        .ok()?;
    let generation_at = skip_space(pdf, number_end);
    let generation_end = regular_end(pdf, generation_at);
    let generation: u16 = std::str::from_utf8(&pdf[generation_at..generation_end])
        .ok()?
        .parse()
        .ok()?;
    object_dict(pdf, at, (number, generation))
}

/// A cross-reference section: its trailer (a table's `trailer` dictionary or
/// the stream's own) and, for a stream, where its data lies.
pub(crate) struct XrefSection<'a> {
    pub trailer: DictSpans<'a>,
    pub stream_data: Option<Range<usize>>,
}

/// The cross-reference section at `xref_at`. A stream's data is /Length bytes
/// after `stream` and its end of line when the length is direct, else up to `endstream`.
pub(crate) fn xref_section(pdf: &[u8], xref_at: usize) -> Option<XrefSection<'_>> {
    let is_table = pdf.get(skip_space(pdf, xref_at)..)?.starts_with(b"xref");
    let trailer = section_trailer(pdf, xref_at)?;
    if is_table {
        return Some(XrefSection {
            trailer,
            stream_data: None,
        });
    }
    let keyword = skip_space(pdf, trailer.end);
    if !pdf.get(keyword..)?.starts_with(b"stream") {
        return None;
    }
    let mut data = keyword + b"stream".len();
    if pdf.get(data) == Some(&b'\r') {
        data += 1;
    }
    if pdf.get(data) == Some(&b'\n') {
        data += 1;
    }
    let end = match trailer
        .only(b"Length")
        .and_then(|span| integer_at(pdf, span))
    {
        Some(length) => data.checked_add(length)?.min(pdf.len()),
        None => find(pdf, data, b"endstream")?,
    };
    Some(XrefSection {
        trailer,
        stream_data: Some(data..end),
    })
}

/// One revision: where its cross-reference section starts and where it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Revision {
    pub xref_at: usize,
    /// Just after `%%EOF`.
    pub eof_end: usize,
    /// After the end-of-line that follows `%%EOF`, if any.
    pub end: usize,
}

/// The revision whose cross-reference section is at `xref_at`: its trailer, then the
/// `startxref` naming this very section, then `%%EOF`. Returns it with its /Prev.
fn revision_at(pdf: &[u8], xref_at: usize) -> Option<(Revision, Option<usize>)> {
    let trailer = section_trailer(pdf, xref_at)?;
    let prev = match trailer.only(b"Prev") {
        Some(span) => Some(integer_at(pdf, span)?),
        None => None,
    };
    let startxref = find(pdf, trailer.end, b"startxref")?;
    let number_at = skip_space(pdf, startxref + b"startxref".len());
    let number_end = regular_end(pdf, number_at);
    if integer_at(pdf, number_at..number_end)? != xref_at {
        return None;
    }
    // Not skip_space: `%%EOF` reads as a comment.
    let eof = number_end
        + pdf[number_end..]
            .iter()
            .take_while(|&&b| is_space(b))
            .count();
    if !pdf.get(eof..)?.starts_with(b"%%EOF") {
        return None;
    }
    let eof_end = eof + 5;
    let end = match pdf.get(eof_end..eof_end + 2) {
        Some(b"\r\n") => eof_end + 2,
        _ if matches!(pdf.get(eof_end), Some(b'\n' | b'\r')) => eof_end + 1,
        _ => eof_end,
    };
    Some((
        Revision {
            xref_at,
            eof_end,
            end,
        },
        prev,
    ))
}

/// Every revision of the file, newest first, by the chain of cross-reference sections from the
/// last `startxref`. `None` when the chain is broken: then no byte after a signature is accounted for.
pub(crate) fn revisions(pdf: &[u8]) -> Option<Vec<Revision>> {
    let mut next = Some(last_startxref(pdf).ok()?);
    let mut found = Vec::new();
    let mut seen = HashSet::new();
    while let Some(xref_at) = next {
        if !seen.insert(xref_at) || found.len() >= MAX_REVISIONS {
            return None;
        }
        let (revision, prev) = revision_at(pdf, xref_at)?;
        found.push(revision);
        next = prev;
    }
    Some(found)
}

/// Where each revision of `pdf` ends (after `%%EOF` and its end of line), oldest first; empty
/// when the cross-reference chain cannot be followed. Each end is the length of that revision
/// as a file of its own.
pub fn revision_ends(pdf: &[u8]) -> Vec<usize> {
    let mut ends: Vec<usize> = revisions(pdf)
        .unwrap_or_default()
        .iter()
        .map(|r| r.end)
        .collect();
    ends.reverse();
    ends
}

/// Object numbers that the cross-reference sections of `later` revisions mark free. lopdf
/// ignores free entries, so an object "deleted" by a later revision still looks present there.
/// `None` when a section cannot be read: nothing after the signature is then accounted for.
/// Only an exhausted budget is an error.
pub(crate) fn freed_numbers(
    pdf: &[u8],
    later: &[Revision],
    loaded: &mut Revisions<'_>,
) -> Result<Option<HashSet<u32>>, PdfError> {
    let mut freed = HashSet::new();
    for revision in later {
        let at = skip_space(pdf, revision.xref_at);
        let read = if pdf.get(at..).is_some_and(|p| p.starts_with(b"xref")) {
            free_in_table(pdf, at + 4, &mut freed)
        } else {
            free_in_stream(pdf, revision, &mut freed, loaded)?
        };
        if read.is_none() {
            return Ok(None);
        }
    }
    freed.remove(&0);
    Ok(Some(freed))
}

fn free_in_table(pdf: &[u8], at: usize, freed: &mut HashSet<u32>) -> Option<()> {
    for row in table_rows(pdf, at)? {
        if !row.in_use {
            freed.insert(row.number);
        }
    }
    Some(())
}

/// One row of a cross-reference table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TableRow {
    pub number: u32,
    pub offset: u64,
    pub generation: u16,
    pub in_use: bool,
}

/// The rows of the cross-reference table whose subsections start at `at` (after `xref`).
pub(crate) fn table_rows(pdf: &[u8], mut at: usize) -> Option<Vec<TableRow>> {
    let mut token = || {
        let start = skip_space(pdf, at);
        at = regular_end(pdf, start);
        pdf.get(start..at)
    };
    let number = |token: &[u8]| -> Option<u64> { std::str::from_utf8(token).ok()?.parse().ok() };
    let mut rows = Vec::new();
    loop {
        let first = token()?;
        if first == b"trailer" {
            return Some(rows);
        }
        let start = u32::try_from(number(first)?).ok()?;
        let count = u32::try_from(number(token()?)?).ok()?;
        for n in 0..count {
            let (offset, generation, kind) = (token()?, token()?, token()?);
            rows.push(TableRow {
                number: start.checked_add(n)?,
                offset: number(offset)?,
                generation: u16::try_from(number(generation)?).ok()?,
                in_use: match kind {
                    b"n" => true,
                    b"f" => false,
                    _ => return None,
                },
            });
        }
    }
}

fn free_in_stream(
    pdf: &[u8],
    revision: &Revision,
    freed: &mut HashSet<u32>,
    loaded: &mut Revisions<'_>,
) -> Result<Option<()>, PdfError> {
    let Some(doc) = loaded.upto(revision.end)? else {
        return Ok(None);
    };
    let at = skip_space(pdf, revision.xref_at);
    let number_end = regular_end(pdf, at);
    let Some(number) = std::str::from_utf8(&pdf[at..number_end])
        .ok()
        .and_then(|n| n.parse::<u32>().ok())
    else {
        return Ok(None);
    };
    let Some(stream) = doc
        .objects
        .iter()
        .find(|(id, _)| id.0 == number)
        .and_then(|(_, object)| object.as_stream().ok())
    else {
        return Ok(None);
    };
    let rows = match loaded.budget.decode(stream) {
        Ok(rows) => rows,
        Err(PdfError::TooComplex) => return Err(PdfError::TooComplex),
        Err(_) => return Ok(None),
    };
    Ok(free_rows(stream, &rows, freed))
}

fn free_rows(stream: &lopdf::Stream, rows: &[u8], freed: &mut HashSet<u32>) -> Option<()> {
    let ints = |key: &[u8]| -> Option<Vec<usize>> {
        stream
            .dict
            .get(key)
            .ok()?
            .as_array()
            .ok()?
            .iter()
            .map(|v| v.as_i64().ok().and_then(|n| usize::try_from(n).ok()))
            .collect()
    };
    let widths = ints(b"W")?;
    let [w0, w1, w2] = widths[..] else {
        return None;
    };
    let size = usize::try_from(stream.dict.get(b"Size").ok()?.as_i64().ok()?).ok()?;
    let index = ints(b"Index").unwrap_or_else(|| vec![0, size]);
    // Widths come from the file: a forged /W must not overflow the row length.
    let row_len = w0.checked_add(w1)?.checked_add(w2)?;
    let mut rows = rows.chunks_exact(row_len.max(1));
    for pair in index.chunks_exact(2) {
        for n in pair[0]..pair[0].checked_add(pair[1])? {
            let row = rows.next()?;
            // A missing type field means type 1.
            if w0 > 0 && row[..w0].iter().all(|&b| b == 0) {
                freed.insert(u32::try_from(n).ok()?);
            }
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionary_values_are_located_exactly() {
        let pdf = b"7 0 obj\n<</Type/Sig/M(D:2026 (x\\) y))/ByteRange[0 10 20 5]/Sub<</A 3 0 R>> % c\n/Contents<0A0B>>>\nendobj";
        let dict = object_dict(pdf, 0, (7, 0)).expect("dict");
        let contents = dict.only(b"Contents").expect("contents");
        assert_eq!(&pdf[contents], b"<0A0B>");
        let sub = dict.only(b"Sub").expect("sub");
        assert_eq!(&pdf[sub], b"<</A 3 0 R>>");
        assert_eq!(&pdf[dict.only(b"M").expect("m")], b"(D:2026 (x\\) y))");
        assert!(object_dict(pdf, 0, (8, 0)).is_none());
        // A key inside a string or a nested dictionary is not a key of this dictionary.
        let nested = b"<</A(/Contents<00>)/B<</Contents<01>>>/Contents<02>>>";
        let d = dict_spans(nested, 0).expect("dict");
        assert_eq!(&nested[d.only(b"Contents").expect("c")], b"<02>");
        let twice = b"<</Contents<01>/Contents<02>>>";
        assert!(
            dict_spans(twice, 0)
                .expect("dict")
                .only(b"Contents")
                .is_none()
        );
    }

    #[test]
    fn revisions_follow_the_prev_chain() {
        let first = b"%PDF-1.7\n1 0 obj<<>>endobj\nxref\n0 2\n0000000000 65535 f\r\n0000000009 00000 n\r\ntrailer\n<</Size 2/Root 1 0 R>>\nstartxref\n27\n%%EOF\n";
        let mut pdf = first.to_vec();
        let second_xref = pdf.len();
        pdf.extend_from_slice(
            format!("xref\n0 1\n0000000000 65535 f\r\ntrailer\n<</Size 2/Root 1 0 R/Prev 27>>\nstartxref\n{second_xref}\n%%EOF").as_bytes(),
        );
        let revs = revisions(&pdf).expect("revisions");
        assert_eq!(revs.len(), 2);
        assert_eq!(revs[0].end, pdf.len());
        assert_eq!(revs[1].end, first.len());
        assert_eq!(revs[1].eof_end, first.len() - 1);
        // Content appended with a startxref naming the old section is not a revision.
        let mut hidden = first.to_vec();
        hidden.extend_from_slice(b"2 0 obj(x)endobj\nstartxref\n27\n%%EOF\n");
        let revs = revisions(&hidden).expect("revisions");
        assert_eq!(revs.len(), 1);
        assert_eq!(revs[0].end, first.len());
    }

    #[test]
    fn free_entries_of_later_tables_are_found() {
        let pdf = b"xref\n0 1\n0000000000 65535 f\r\n5 2\n0000000000 00001 f\r\n0000000100 00000 n\r\ntrailer\n<<>>\nstartxref\n0\n%%EOF\n";
        let revision = Revision {
            xref_at: 0,
            eof_end: pdf.len() - 1,
            end: pdf.len(),
        };
        let mut budget = crate::budget::Budget::default();
        let mut loaded = Revisions::new(pdf, &mut budget);
        let freed = freed_numbers(pdf, &[revision], &mut loaded)
            .expect("within budget")
            .expect("readable");
        assert_eq!(freed, HashSet::from([5]));
    }
}
