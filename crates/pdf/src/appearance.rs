//! The visible signature: drawn image, name, masked identity number, time and the statement.

use chrono::{DateTime, FixedOffset, Utc};
use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Object, ObjectId, Stream, StringFormat};

use crate::PdfError;
use crate::signature_png::SignatureImage;

/// What the signature widget shows.
#[derive(Debug, Clone)]
pub struct Appearance {
    pub name: String,
    /// The IC or passport number, already masked by the caller to its last 4 characters.
    pub masked_id: String,
    pub image: SignatureImage,
}

pub const STATEMENT: &str = "Ditandatangani secara digital";
const MALAYSIA_OFFSET_SECONDS: i32 = 8 * 3600;
/// Average Helvetica advance as a fraction of the font size, to keep lines inside the box.
const AVERAGE_ADVANCE: f32 = 0.56;
const PADDING: f32 = 2.0;

/// "dd/mm/yyyy HH:MM" in Malaysia time (UTC+8).
pub fn malaysia_time(at: DateTime<Utc>) -> String {
    match FixedOffset::east_opt(MALAYSIA_OFFSET_SECONDS) {
        Some(myt) => at.with_timezone(&myt).format("%d/%m/%Y %H:%M").to_string(),
        None => at.format("%d/%m/%Y %H:%M").to_string(),
    }
}

/// Encodes text for a WinAnsi simple font: Latin-1 maps to itself, anything else becomes '?'.
pub(crate) fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match u32::from(c) {
            code @ (0x20..=0x7E | 0xA0..=0xFF) => code as u8,
            _ => b'?',
        })
        .collect()
}

pub(crate) fn helvetica() -> Dictionary {
    let mut font = Dictionary::new();
    font.set("Type", Object::Name(b"Font".to_vec()));
    font.set("Subtype", Object::Name(b"Type1".to_vec()));
    font.set("BaseFont", Object::Name(b"Helvetica".to_vec()));
    font.set("Encoding", Object::Name(b"WinAnsiEncoding".to_vec()));
    font
}

fn op(name: &str, operands: Vec<Object>) -> Operation {
    Operation::new(name, operands)
}

fn real(v: f32) -> Object {
    Object::Real((v * 100.0).round() / 100.0)
}

/// The normal-appearance form XObject for a widget of `width` x `height` points.
pub(crate) fn appearance_stream(
    width: f32,
    height: f32,
    lines: &[String],
    image: Option<(ObjectId, u32, u32)>,
) -> Result<Stream, PdfError> {
    let longest = lines
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(1)
        .max(1) as f32;
    let text_height_share = if image.is_some() { 0.5 } else { 1.0 };
    let line_count = lines.len().max(1) as f32;
    let font_size = ((height * text_height_share - PADDING) / (1.2 * line_count))
        .min(9.0)
        .min((width - 2.0 * PADDING) / (AVERAGE_ADVANCE * longest))
        .max(1.0);
    let leading = font_size * 1.2;
    let text_top = PADDING + leading * line_count;

    let mut ops = Vec::new();
    if let Some((_, image_w, image_h)) = image {
        let avail_w = width - 2.0 * PADDING;
        let avail_h = (height - text_top - PADDING).max(1.0);
        let scale = (avail_w / image_w as f32).min(avail_h / image_h as f32);
        let (w, h) = (image_w as f32 * scale, image_h as f32 * scale);
        ops.push(op("q", vec![]));
        ops.push(op(
            "cm",
            vec![
                real(w),
                0.into(),
                0.into(),
                real(h),
                real(PADDING),
                real(text_top),
            ],
        ));
        ops.push(op("Do", vec![Object::Name(b"Sig".to_vec())]));
        ops.push(op("Q", vec![]));
    }
    ops.push(op("BT", vec![]));
    ops.push(op("g", vec![0.into()]));
    ops.push(op(
        "Tf",
        vec![Object::Name(b"F1".to_vec()), real(font_size)],
    ));
    ops.push(op("TL", vec![real(leading)]));
    ops.push(op("Td", vec![real(PADDING), real(text_top - font_size)]));
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            ops.push(op("T*", vec![]));
        }
        ops.push(op(
            "Tj",
            vec![Object::String(win_ansi(line), StringFormat::Literal)],
        ));
    }
    ops.push(op("ET", vec![]));
    let content = Content { operations: ops }.encode()?;

    let mut fonts = Dictionary::new();
    fonts.set("F1", Object::Dictionary(helvetica()));
    let mut resources = Dictionary::new();
    resources.set("Font", Object::Dictionary(fonts));
    if let Some((id, _, _)) = image {
        let mut xobjects = Dictionary::new();
        xobjects.set("Sig", Object::Reference(id));
        resources.set("XObject", Object::Dictionary(xobjects));
    }
    let mut dict = Dictionary::new();
    dict.set("Type", Object::Name(b"XObject".to_vec()));
    dict.set("Subtype", Object::Name(b"Form".to_vec()));
    dict.set(
        "BBox",
        Object::Array(vec![0.into(), 0.into(), real(width), real(height)]),
    );
    dict.set("Resources", Object::Dictionary(resources));
    // Left uncompressed: a few hundred bytes, where setting up deflate would cost more time
    // than the bytes it saves.
    Ok(Stream::new(dict, content))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn time_is_shown_in_malaysia_time() {
        let at = Utc.with_ymd_and_hms(2026, 12, 31, 17, 5, 0).single();
        assert_eq!(at.map(malaysia_time).as_deref(), Some("01/01/2027 01:05"));
    }

    #[test]
    fn latin1_is_kept_and_the_rest_replaced() {
        assert_eq!(win_ansi("José Ñ"), b"Jos\xe9 \xd1".to_vec());
        assert_eq!(win_ansi("王"), b"?".to_vec());
    }
}
