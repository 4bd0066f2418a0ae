//! The drawn signature: PNG checks and conversion to an image XObject with a soft mask.

use std::io::Write;

use flate2::Compression;
use flate2::write::ZlibEncoder;
use lopdf::{Dictionary, Object, ObjectId};
use png::{ColorType, Decoder, Limits, Transformations};

use crate::PdfError;

pub const MAX_PNG_BYTES: usize = 200 * 1024;
pub const WIDTH_RANGE: std::ops::RangeInclusive<u32> = 20..=2000;
pub const HEIGHT_RANGE: std::ops::RangeInclusive<u32> = 10..=1000;
/// Decoder allocation cap: 2000 x 1000 RGBA at 16 bits fits with room to spare.
const DECODE_LIMIT_BYTES: usize = 20 * 1024 * 1024;

/// A decoded signature image: 8-bit RGB samples and an 8-bit alpha plane.
struct DecodedImage {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
    pub alpha: Vec<u8>,
}

fn decode_signature_png(bytes: &[u8]) -> Result<DecodedImage, PdfError> {
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
    Ok(DecodedImage {
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

/// A drawn signature ready for the PDF: decoded and checked once, when it is received, and kept
/// as the deflated samples of the image XObject and of its soft mask, so that signing (and each
/// retry of it) only copies bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureImage {
    width: u32,
    height: u32,
    rgb_deflated: Vec<u8>,
    alpha_deflated: Vec<u8>,
}

impl SignatureImage {
    /// Checks that `png` is a real PNG of acceptable size and deflates its two planes.
    pub fn from_png(png: &[u8]) -> Result<Self, PdfError> {
        let decoded = decode_signature_png(png)?;
        Ok(Self {
            width: decoded.width,
            height: decoded.height,
            rgb_deflated: deflate(&decoded.rgb)?,
            alpha_deflated: deflate(&decoded.alpha)?,
        })
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// The image XObject's dictionary (its /SMask names `mask`) and deflated samples.
    pub(crate) fn image(&self, mask: ObjectId) -> (Dictionary, &[u8]) {
        let mut dict = self.plane_dict(b"DeviceRGB");
        dict.set("SMask", Object::Reference(mask));
        (dict, &self.rgb_deflated)
    }

    /// The soft mask's dictionary and deflated samples.
    pub(crate) fn mask(&self) -> (Dictionary, &[u8]) {
        (self.plane_dict(b"DeviceGray"), &self.alpha_deflated)
    }

    fn plane_dict(&self, colour_space: &[u8]) -> Dictionary {
        let mut dict = Dictionary::new();
        dict.set("Type", Object::Name(b"XObject".to_vec()));
        dict.set("Subtype", Object::Name(b"Image".to_vec()));
        dict.set("Width", Object::Integer(i64::from(self.width)));
        dict.set("Height", Object::Integer(i64::from(self.height)));
        dict.set("ColorSpace", Object::Name(colour_space.to_vec()));
        dict.set("BitsPerComponent", Object::Integer(8));
        dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
        dict
    }
}

/// Fast deflate: a drawn signature compresses well at any level, and the request that
/// receives it is waiting.
fn deflate(samples: &[u8]) -> Result<Vec<u8>, PdfError> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(samples)?;
    Ok(encoder.finish()?)
}
