//! Filling one empty signature field in one incremental update.

use chrono::{DateTime, FixedOffset, Utc};
use lopdf::{Dictionary, Document, Object, ObjectId};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::appearance::{Appearance, STATEMENT, appearance_stream, malaysia_time};
use crate::fields::{SigField, acroform, signature_fields_of};
use crate::incremental::{IncrementalUpdate, load};
use crate::signature_png::decode_signature_png;
use crate::{PdfError, cms_build};

/// Bytes reserved for the CMS blob in /Contents (written as twice as many hex digits).
pub const CONTENTS_RESERVED_BYTES: usize = 16 * 1024;
const BYTE_RANGE_SLOT: usize = 40;

/// Everything needed to sign one field. The key is PKCS#8 DER and is parsed only inside `sign`.
pub struct SignRequest {
    pub field_name: String,
    pub signer_cert_der: Vec<u8>,
    /// Issuer certificates (DER), nearest first; embedded in the CMS.
    pub chain_der: Vec<Vec<u8>>,
    pub pkcs8_key: Zeroizing<Vec<u8>>,
    pub appearance: Appearance,
    pub signed_at: DateTime<Utc>,
}

/// PDF date in Malaysia time, e.g. `D:20260314093000+08'00'`.
fn pdf_date(at: DateTime<Utc>) -> String {
    let myt = FixedOffset::east_opt(8 * 3600).map(|o| at.with_timezone(&o));
    match myt {
        Some(t) => t.format("D:%Y%m%d%H%M%S+08'00'").to_string(),
        None => at.format("D:%Y%m%d%H%M%SZ").to_string(),
    }
}

/// The widget annotation of a field: the field itself when merged, else its only kid.
fn widget_of(doc: &Document, field: &SigField) -> Result<(ObjectId, Dictionary), PdfError> {
    if field.dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Widget") {
        return Ok((field.id, field.dict.clone()));
    }
    let kid = field
        .dict
        .get(b"Kids")
        .and_then(Object::as_array)
        .ok()
        .and_then(|kids| kids.first())
        .and_then(|k| k.as_reference().ok())
        .ok_or_else(|| PdfError::Malformed("signature field has no widget".into()))?;
    Ok((kid, doc.get_object(kid)?.as_dict()?.clone()))
}

fn rect_size(widget: &Dictionary) -> Result<(f32, f32), PdfError> {
    let rect = widget.get(b"Rect").and_then(Object::as_array)?;
    let n: Vec<f32> = rect.iter().filter_map(|v| v.as_float().ok()).collect();
    match n.as_slice() {
        [x0, y0, x1, y1] => Ok(((x1 - x0).abs(), (y1 - y0).abs())),
        _ => Err(PdfError::Malformed(
            "widget /Rect is not four numbers".into(),
        )),
    }
}

/// Signs `req.field_name`, returning the previous bytes followed by one incremental update.
pub fn sign(pdf: &[u8], req: &SignRequest) -> Result<Vec<u8>, PdfError> {
    let doc = load(pdf)?;
    let field = signature_fields_of(&doc)
        .into_iter()
        .find(|f| f.name == req.field_name)
        .ok_or_else(|| PdfError::FieldNotFound(req.field_name.clone()))?;
    if field.value.is_some() {
        return Err(PdfError::FieldAlreadySigned(req.field_name.clone()));
    }
    let (widget_id, mut widget) = widget_of(&doc, &field)?;
    let (width, height) = rect_size(&widget)?;
    let image = decode_signature_png(&req.appearance.signature_png)?;

    let mut update = IncrementalUpdate::new(pdf, &doc)?;
    let sig_id = update.allocate();
    let ap_id = update.allocate();
    let image_id = update.allocate();
    let mask_id = update.allocate();

    let (mut image_stream, mask_stream) = image.to_xobjects()?;
    image_stream.dict.set("SMask", Object::Reference(mask_id));
    update.write_object(image_id, &Object::Stream(image_stream))?;
    update.write_object(mask_id, &Object::Stream(mask_stream))?;
    let lines = [
        req.appearance.name.clone(),
        req.appearance.masked_id.clone(),
        malaysia_time(req.signed_at),
        STATEMENT.to_string(),
    ];
    let ap = appearance_stream(
        width,
        height,
        &lines,
        Some((image_id, image.width, image.height)),
    )?;
    update.write_object(ap_id, &Object::Stream(ap))?;

    let mut ap_dict = Dictionary::new();
    ap_dict.set("N", Object::Reference(ap_id));
    widget.set("AP", Object::Dictionary(ap_dict));
    widget.set("F", Object::Integer(4));
    if widget_id == field.id {
        widget.set("V", Object::Reference(sig_id));
    } else {
        let mut field_dict = field.dict.clone();
        field_dict.set("V", Object::Reference(sig_id));
        update.write_object(field.id, &Object::Dictionary(field_dict))?;
    }
    update.write_object(widget_id, &Object::Dictionary(widget))?;
    set_sig_flags(&doc, &mut update)?;

    let body = signature_dictionary(req.signed_at);
    let body_offset = update.write_raw_object(sig_id, body.as_bytes());
    let mut out = update.finish()?;
    let byte_range_at = body_offset + find(&body, "/ByteRange[")? + "/ByteRange[".len();
    let contents_at = body_offset + find(&body, "/Contents<")? + "/Contents".len();
    fill_signature(&mut out, byte_range_at, contents_at, req)?;
    Ok(out)
}

fn find(haystack: &str, needle: &str) -> Result<usize, PdfError> {
    haystack
        .find(needle)
        .ok_or_else(|| PdfError::Malformed("signature placeholder missing".into()))
}

fn signature_dictionary(signed_at: DateTime<Utc>) -> String {
    format!(
        "<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/M({})/ByteRange[{}]/Contents<{}>>>",
        pdf_date(signed_at),
        " ".repeat(BYTE_RANGE_SLOT),
        "0".repeat(CONTENTS_RESERVED_BYTES * 2),
    )
}

/// /SigFlags 3 (signatures exist, append only) on the AcroForm, wherever it lives.
fn set_sig_flags(doc: &Document, update: &mut IncrementalUpdate) -> Result<(), PdfError> {
    let already = acroform(doc)
        .and_then(|f| f.get(b"SigFlags").ok())
        .and_then(|v| v.as_i64().ok())
        == Some(3);
    if already {
        return Ok(());
    }
    let root_id = doc.trailer.get(b"Root").and_then(Object::as_reference)?;
    let mut catalog = doc.catalog()?.clone();
    match catalog.get(b"AcroForm") {
        Ok(Object::Reference(form_id)) => {
            let form_id = *form_id;
            let mut form = doc.get_object(form_id)?.as_dict()?.clone();
            form.set("SigFlags", Object::Integer(3));
            update.write_object(form_id, &Object::Dictionary(form))
        }
        Ok(Object::Dictionary(form)) => {
            let mut form = form.clone();
            form.set("SigFlags", Object::Integer(3));
            catalog.set("AcroForm", Object::Dictionary(form));
            update.write_object(root_id, &Object::Dictionary(catalog))
        }
        _ => Err(PdfError::Malformed("no AcroForm".into())),
    }
}

/// Writes the /ByteRange, hashes the covered bytes and puts the CMS into /Contents.
fn fill_signature(
    out: &mut [u8],
    byte_range_at: usize,
    contents_at: usize,
    req: &SignRequest,
) -> Result<(), PdfError> {
    let contents_end = contents_at + CONTENTS_RESERVED_BYTES * 2 + 2;
    let range = [0, contents_at, contents_end, out.len() - contents_end];
    let text = format!("{} {} {} {}", range[0], range[1], range[2], range[3]);
    let slot = out
        .get_mut(byte_range_at..byte_range_at + BYTE_RANGE_SLOT)
        .ok_or_else(|| PdfError::Malformed("byte range slot".into()))?;
    slot[..text.len()].copy_from_slice(text.as_bytes());

    let mut hasher = Sha256::new();
    hasher.update(&out[..contents_at]);
    hasher.update(&out[contents_end..]);
    let digest = hasher.finalize();
    let cms = cms_build::signed_data(
        &digest,
        &req.signer_cert_der,
        &req.chain_der,
        &req.pkcs8_key,
    )?;
    if cms.len() > CONTENTS_RESERVED_BYTES {
        return Err(PdfError::SignatureTooLarge {
            needed: cms.len(),
            reserved: CONTENTS_RESERVED_BYTES,
        });
    }
    let hex = hex::encode_upper(&cms);
    out[contents_at + 1..contents_at + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    Ok(())
}
