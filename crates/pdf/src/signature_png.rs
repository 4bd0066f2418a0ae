//! The drawn signature: PNG checks and conversion to an image XObject with a soft mask.

use std::io::Write;

use flate2::Compression;
use flate2::write::ZlibEncoder;
use lopdf::{Dictionary, Object, Stream};
use png::{ColorType, Decoder, Limits, Transformations};

use crate::PdfError;

pub const MAX_PNG_BYTES: usize = 200 * 1024;
pub const WIDTH_RANGE: std::ops::RangeInclusive<u32> = 20..=2000;
pub const HEIGHT_RANGE: std::ops::RangeInclusive<u32> = 10..=1000;
/// Decoder allocation cap: 2000 x 1000 RGBA at 16 bits fits with room to spare.
const DECODE_LIMIT_BYTES: usize = 20 * 1024 * 1024;

/// A decoded signature image: 8-bit RGB samples and an 8-bit alpha plane.
pub(crate) struct SignatureImage {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
    pub alpha: Vec<u8>,
}

/// Checks that `bytes` is a real PNG of acceptable size; returns (width, height).
pub fn validate_signature_png(bytes: &[u8]) -> Result<(u32, u32), PdfError> {
    let image = decode_signature_png(bytes)?;
    Ok((image.width, image.height))
}

pub(crate) fn decode_signature_png(bytes: &[u8]) -> Result<SignatureImage, PdfError> {
    if bytes.len() > MAX_PNG_BYTES {
        return Err(PdfError::SignatureImage("larger than 200 KB"));
    }
    let mut decoder = Decoder::new_with_limits(
        bytes,
        Limits {
            bytes: DECODE_LIMIT_BYTES,
        },
    );
    decoder.set_transformations(Transformations::EXPAND | Transformations::STRIP_16);
    let mut reader = decoder
        .read_info()
        .map_err(|_| PdfError::SignatureImage("not a readable PNG"))?;
    let (width, height) = reader.info().size();
    if !WIDTH_RANGE.contains(&width) || !HEIGHT_RANGE.contains(&height) {
        return Err(PdfError::SignatureImage("dimensions out of range"));
    }
    let mut buf = vec![0; reader.output_buffer_size()];
    let frame = reader
        .next_frame(&mut buf)
        .map_err(|_| PdfError::SignatureImage("PNG data is corrupt"))?;
    let data = buf
        .get(..frame.buffer_size())
        .ok_or(PdfError::SignatureImage("PNG data is corrupt"))?;
    let pixels = (width as usize) * (height as usize);
    let (rgb, alpha) = match frame.color_type {
        ColorType::Rgba => split(data, 4, |p| ([p[0], p[1], p[2]], p[3])),
        ColorType::Rgb => split(data, 3, |p| ([p[0], p[1], p[2]], 255)),
        ColorType::GrayscaleAlpha => split(data, 2, |p| ([p[0], p[0], p[0]], p[1])),
        ColorType::Grayscale => split(data, 1, |p| ([p[0], p[0], p[0]], 255)),
        ColorType::Indexed => return Err(PdfError::SignatureImage("unsupported colour type")),
    };
    if alpha.len() != pixels {
        return Err(PdfError::SignatureImage("PNG data is corrupt"));
    }
    Ok(SignatureImage {
        width,
        height,
        rgb,
        alpha,
    })
}

fn split(data: &[u8], channels: usize, f: impl Fn(&[u8]) -> ([u8; 3], u8)) -> (Vec<u8>, Vec<u8>) {
    let mut rgb = Vec::with_capacity(data.len() / channels * 3);
    let mut alpha = Vec::with_capacity(data.len() / channels);
    for pixel in data.chunks_exact(channels) {
        let (c, a) = f(pixel);
        rgb.extend_from_slice(&c);
        alpha.push(a);
    }
    (rgb, alpha)
}

impl SignatureImage {
    /// The image XObject (without its /SMask entry) and the soft-mask XObject, both Flate-compressed.
    pub(crate) fn to_xobjects(&self) -> Result<(Stream, Stream), PdfError> {
        let image = self.plane(b"DeviceRGB", self.rgb.clone())?;
        let mask = self.plane(b"DeviceGray", self.alpha.clone())?;
        Ok((image, mask))
    }

    fn plane(&self, colour_space: &[u8], samples: Vec<u8>) -> Result<Stream, PdfError> {
        let mut dict = Dictionary::new();
        dict.set("Type", Object::Name(b"XObject".to_vec()));
        dict.set("Subtype", Object::Name(b"Image".to_vec()));
        dict.set("Width", Object::Integer(i64::from(self.width)));
        dict.set("Height", Object::Integer(i64::from(self.height)));
        dict.set("ColorSpace", Object::Name(colour_space.to_vec()));
        dict.set("BitsPerComponent", Object::Integer(8));
        // Fast deflate: a drawn signature compresses well at any level, and signing latency
        // matters more here than a few hundred bytes.
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(&samples)?;
        dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
        Ok(Stream::new(dict, encoder.finish()?))
    }
}
