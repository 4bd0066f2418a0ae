//! Filling one empty signature field in one incremental update.

use chrono::{DateTime, FixedOffset, Utc};
use lopdf::{Dictionary, Document, Object, ObjectId};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::appearance::{Appearance, STATEMENT, appearance_stream, malaysia_time};
use crate::cms_build::SignedCms;
use crate::dss::{self, ValidationData};
use crate::fields::{SigField, acroform, signature_fields_of};
use crate::incremental::IncrementalUpdate;
use crate::placeholder::{self, Slots};
use crate::{PdfError, cms_build};

/// Bytes reserved for the CMS blob in /Contents (written as twice as many hex digits): the
/// signer's certificate and chain (about 1.5 KiB) plus a signature timestamp token with the
/// TSA's certificate and chain (about 2.5 KiB), with room for longer chains.
pub const CONTENTS_RESERVED_BYTES: usize = 16 * 1024;

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

/// One signature prepared in its incremental update: the bytes are final except /Contents,
/// which waits for the signature timestamp (or for none, at level B-B).
pub struct PendingSignature {
    out: Vec<u8>,
    slots: Slots,
    cms: SignedCms,
    /// SHA-256 state after the bytes before /Contents, hashed once for both digests.
    prefix: Sha256,
}

/// A signed file with its SHA-256, which shares the hashing of everything before /Contents
/// with the signature's own digest.
pub struct SignedPdf {
    pub bytes: Vec<u8>,
    pub sha256: [u8; 32],
}

impl PendingSignature {
    /// The CMS signature value: the data the signature timestamp is asked for.
    pub fn signature_value(&self) -> &[u8] {
        self.cms.signature_value()
    }

    /// SHA-256 of the signature value: the message imprint of the timestamp request.
    pub fn timestamp_imprint(&self) -> [u8; 32] {
        Sha256::digest(self.cms.signature_value()).into()
    }

    /// Embeds the CMS with `timestamp_token` (a DER RFC 3161 TimeStampToken over
    /// [`Self::signature_value`]) as id-aa-signatureTimeStampToken: PAdES B-T, or B-LT when the
    /// update carries a DSS. The token's imprint is checked first.
    pub fn finish(self, timestamp_token: &[u8]) -> Result<Vec<u8>, PdfError> {
        crate::timestamp::check_imprint(timestamp_token, self.cms.signature_value())?;
        self.embed(Some(timestamp_token))
    }

    /// [`Self::finish`], with the finished file's SHA-256.
    pub fn finish_hashed(self, timestamp_token: &[u8]) -> Result<SignedPdf, PdfError> {
        let (slots, prefix) = (self.slots, self.prefix.clone());
        let bytes = self.finish(timestamp_token)?;
        let sha256 = slots.file_sha256(&bytes, prefix);
        Ok(SignedPdf { bytes, sha256 })
    }

    /// Embeds the CMS without a timestamp: PAdES B-B.
    pub fn finish_without_timestamp(self) -> Result<Vec<u8>, PdfError> {
        self.embed(None)
    }

    fn embed(mut self, timestamp_token: Option<&[u8]>) -> Result<Vec<u8>, PdfError> {
        let cms = self.cms.into_der(timestamp_token)?;
        self.slots.write_contents(&mut self.out, &cms)?;
        Ok(self.out)
    }
}

/// Signs `req.field_name` at level B-B, returning the previous bytes followed by one
/// incremental update.
pub fn sign(pdf: &[u8], req: &SignRequest) -> Result<Vec<u8>, PdfError> {
    prepare_signature(pdf, req, None)?.finish_without_timestamp()
}

/// Prepares the signer's incremental update: appearance, field /V and, when `validation` is
/// given, the DSS (merged with any earlier one) in the same revision, so that the signature
/// covers its own validation data (B-LT in one revision, no VRI). The CMS is signed; the
/// timestamp comes next ([`PendingSignature::finish`]).
pub fn prepare_signature(
    pdf: &[u8],
    req: &SignRequest,
    validation: Option<&ValidationData>,
) -> Result<PendingSignature, PdfError> {
    let doc = crate::sparse::load_for_update(pdf)?;
    let field = signature_fields_of(&doc)
        .into_iter()
        .find(|f| f.name == req.field_name)
        .ok_or_else(|| PdfError::FieldNotFound(req.field_name.clone()))?;
    if field.value.is_some() {
        return Err(PdfError::FieldAlreadySigned(req.field_name.clone()));
    }
    let (widget_id, mut widget) = widget_of(&doc, &field)?;
    let (width, height) = rect_size(&widget)?;

    let mut update = IncrementalUpdate::new(pdf, &doc)?;
    let sig_id = update.allocate();
    let ap_id = update.allocate();
    let image_id = update.allocate();
    let mask_id = update.allocate();

    let image = &req.appearance.image;
    let (image_dict, samples) = image.image(mask_id);
    update.write_stream(image_id, image_dict, samples)?;
    let (mask_dict, samples) = image.mask();
    update.write_stream(mask_id, mask_dict, samples)?;
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
        Some((image_id, image.width(), image.height())),
    )?;
    update.write_object(ap_id, Object::Stream(ap))?;

    let mut ap_dict = Dictionary::new();
    ap_dict.set("N", Object::Reference(ap_id));
    widget.set("AP", Object::Dictionary(ap_dict));
    widget.set("F", Object::Integer(4));
    if widget_id == field.id {
        widget.set("V", Object::Reference(sig_id));
    } else {
        let mut field_dict = field.dict.clone();
        field_dict.set("V", Object::Reference(sig_id));
        update.write_object(field.id, Object::Dictionary(field_dict))?;
    }
    update.write_object(widget_id, Object::Dictionary(widget))?;
    let mut catalog = Catalog::of(&doc)?;
    set_sig_flags(&doc, &mut update, &mut catalog)?;
    if let Some(data) = validation.filter(|d| !d.is_empty()) {
        dss::write(&doc, &mut update, &mut catalog.dict, data)?;
        catalog.changed = true;
    }
    catalog.write_if_changed(&mut update)?;

    let body = signature_dictionary(req.signed_at);
    let body_offset = update.write_raw_object(sig_id, body.as_bytes());
    let mut out = update.finish()?;
    let slots = Slots::locate(&body, body_offset, CONTENTS_RESERVED_BYTES)?;
    let (digest, prefix) = slots.fill_byte_range(&mut out)?;
    let cms = cms_build::signed_data(
        &digest,
        &req.signer_cert_der,
        &req.chain_der,
        &req.pkcs8_key,
    )?;
    Ok(PendingSignature {
        out,
        slots,
        cms,
        prefix,
    })
}

fn signature_dictionary(signed_at: DateTime<Utc>) -> String {
    format!(
        "<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/M({}){}>>",
        pdf_date(signed_at),
        placeholder::entries(CONTENTS_RESERVED_BYTES),
    )
}

/// The document catalog being edited in an update, written once at the end if it changed.
pub(crate) struct Catalog {
    id: ObjectId,
    pub dict: Dictionary,
    pub changed: bool,
}

impl Catalog {
    pub(crate) fn of(doc: &Document) -> Result<Self, PdfError> {
        Ok(Self {
            id: doc.trailer.get(b"Root").and_then(Object::as_reference)?,
            dict: doc.catalog()?.clone(),
            changed: false,
        })
    }

    pub(crate) fn write_if_changed(self, update: &mut IncrementalUpdate) -> Result<(), PdfError> {
        if self.changed {
            update.write_object(self.id, Object::Dictionary(self.dict))?;
        }
        Ok(())
    }
}

/// /SigFlags 3 (signatures exist, append only) on the AcroForm, wherever it lives.
pub(crate) fn set_sig_flags(
    doc: &Document,
    update: &mut IncrementalUpdate,
    catalog: &mut Catalog,
) -> Result<(), PdfError> {
    let already = acroform(doc)
        .and_then(|f| f.get(b"SigFlags").ok())
        .and_then(|v| v.as_i64().ok())
        == Some(3);
    if already {
        return Ok(());
    }
    match catalog.dict.get(b"AcroForm") {
        Ok(Object::Reference(form_id)) => {
            let form_id = *form_id;
            let mut form = doc.get_object(form_id)?.as_dict()?.clone();
            form.set("SigFlags", Object::Integer(3));
            update.write_object(form_id, Object::Dictionary(form))
        }
        Ok(Object::Dictionary(form)) => {
            let mut form = form.clone();
            form.set("SigFlags", Object::Integer(3));
            catalog.dict.set("AcroForm", Object::Dictionary(form));
            catalog.changed = true;
            Ok(())
        }
        _ => Err(PdfError::Malformed("no AcroForm".into())),
    }
}
