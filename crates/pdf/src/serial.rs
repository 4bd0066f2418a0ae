//! The serial/QR revision (F4.1): one incremental update, made just before the first signature,
//! that rewrites each page's provisional-serial stream with the full serial and draws the QR
//! code for the verify URL in the reserved square. Layout per crates/espa/CONTRACT.md.

use lopdf::{Dictionary, Document, Object, ObjectId, Stream};
use qrcode::{Color, QrCode};

use crate::PdfError;
use crate::incremental::{IncrementalUpdate, deflate};
use crate::sparse::load_for_update;

/// Modules of white border kept inside the reserved square.
const QR_QUIET_MODULES: usize = 2;

fn layout_error(what: &str) -> PdfError {
    PdfError::Layout(what.to_string())
}

fn number(obj: &Object) -> Result<f32, PdfError> {
    obj.as_float()
        .map_err(|_| layout_error("expected a number"))
}

fn numbers(obj: &Object) -> Result<Vec<f32>, PdfError> {
    obj.as_array()
        .map_err(|_| layout_error("expected an array of numbers"))?
        .iter()
        .map(number)
        .collect()
}

fn get<'a>(layout: &'a Dictionary, key: &str) -> Result<&'a Object, PdfError> {
    layout
        .get(key.as_bytes())
        .map_err(|_| PdfError::Layout(format!("/{key} missing")))
}

/// Two-byte codes of `serial` in the font subset of the layout.
fn serial_codes(layout: &Dictionary, serial: &str) -> Result<Vec<u8>, PdfError> {
    let charset = get(layout, "SerialCharset")?
        .as_str()
        .map_err(|_| layout_error("/SerialCharset"))?;
    let codes = get(layout, "SerialCodes")?
        .as_str()
        .map_err(|_| layout_error("/SerialCodes"))?;
    if codes.len() != charset.len() * 2 {
        return Err(layout_error("/SerialCodes does not match /SerialCharset"));
    }
    let mut out = Vec::with_capacity(serial.len() * 2);
    for c in serial.chars() {
        let index = u8::try_from(c)
            .ok()
            .and_then(|b| charset.iter().position(|&x| x == b))
            .ok_or(PdfError::BadSerial)?;
        out.extend_from_slice(&codes[2 * index..2 * index + 2]);
    }
    Ok(out)
}

fn fmt(v: f32) -> String {
    let rounded = (v * 1000.0).round() / 1000.0;
    format!("{rounded}")
}

fn serial_stream(layout: &Dictionary, origin: &[f32], codes: &[u8]) -> Result<Stream, PdfError> {
    let font = get(layout, "SerialFont")?
        .as_name()
        .map_err(|_| layout_error("/SerialFont"))?;
    let size = number(get(layout, "SerialFontSize")?)?;
    let [x, y] = origin else {
        return Err(layout_error("serial origin is not [x y]"));
    };
    let content = format!(
        "q 0 g BT /{} {} Tf {} {} Td <{}> Tj ET Q",
        String::from_utf8_lossy(font),
        fmt(size),
        fmt(*x),
        fmt(*y),
        hex::encode_upper(codes)
    );
    Ok(Stream::new(Dictionary::new(), content.into_bytes()))
}

/// Dark modules as filled rectangles, one per horizontal run, inside `rect`.
fn qr_stream(rect: &[f32], url: &str) -> Result<Stream, PdfError> {
    let [x0, y0, x1, y1] = rect else {
        return Err(layout_error("/QrRect is not four numbers"));
    };
    let code = QrCode::new(url.as_bytes()).map_err(|e| PdfError::Qr(e.to_string()))?;
    let n = code.width();
    let side = (x1 - x0).abs().min((y1 - y0).abs());
    let module = side / (n + 2 * QR_QUIET_MODULES) as f32;
    let left = x0.min(*x1) + module * QR_QUIET_MODULES as f32;
    let top = y0.max(*y1) - module * QR_QUIET_MODULES as f32;
    let mut content = String::from("q 0 g\n");
    for row in 0..n {
        let mut col = 0;
        while col < n {
            if code[(col, row)] != Color::Dark {
                col += 1;
                continue;
            }
            let start = col;
            while col < n && code[(col, row)] == Color::Dark {
                col += 1;
            }
            let y = top - module * (row + 1) as f32;
            content.push_str(&format!(
                "{} {} {} {} re\n",
                fmt(left + module * start as f32),
                fmt(y),
                fmt(module * (col - start) as f32),
                fmt(module)
            ));
        }
    }
    content.push_str("f Q");
    let mut dict = Dictionary::new();
    dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
    Ok(Stream::new(dict, deflate(content.as_bytes())?))
}

fn reference(obj: &Object) -> Result<ObjectId, PdfError> {
    obj.as_reference()
        .map_err(|_| layout_error("expected a reference"))
}

/// Shows `full_serial` on every page and the QR code of `verify_url`, in one incremental update.
pub fn apply_serial(pdf: &[u8], full_serial: &str, verify_url: &str) -> Result<Vec<u8>, PdfError> {
    let doc: Document = load_for_update(pdf)?;
    let layout = doc
        .catalog()?
        .get(b"HIMSLayout")
        .map_err(|_| layout_error("/HIMSLayout missing"))?;
    let layout = match layout {
        Object::Reference(id) => doc.get_object(*id)?.as_dict()?,
        other => other
            .as_dict()
            .map_err(|_| layout_error("not a dictionary"))?,
    };
    let codes = serial_codes(layout, full_serial)?;
    let streams = get(layout, "SerialStreams")?
        .as_array()
        .map_err(|_| layout_error("/SerialStreams"))?;
    let origins = get(layout, "SerialOrigins")?
        .as_array()
        .map_err(|_| layout_error("/SerialOrigins"))?;
    if streams.len() != origins.len() || streams.is_empty() {
        return Err(layout_error(
            "/SerialStreams and /SerialOrigins differ in length",
        ));
    }
    let qr_id = reference(get(layout, "QrStream")?)?;
    let qr_rect = numbers(get(layout, "QrRect")?)?;

    let mut update = IncrementalUpdate::new(pdf, &doc)?;
    let mut written = Vec::new();
    for (stream, origin) in streams.iter().zip(origins) {
        let id = reference(stream)?;
        if written.contains(&id) {
            continue;
        }
        let stream = serial_stream(layout, &numbers(origin)?, &codes)?;
        update.write_object(id, Object::Stream(stream))?;
        written.push(id);
    }
    update.write_object(qr_id, Object::Stream(qr_stream(&qr_rect, verify_url)?))?;
    update.finish()
}
