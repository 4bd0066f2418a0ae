//! PAdES B-LTA: a DSS revision with what validates the newest signature or timestamp, then a
//! document timestamp (`/Type/DocTimeStamp`, `/SubFilter/ETSI.RFC3161`) over the whole file,
//! in an invisible signature field of its own. The same two steps re-timestamp an archived file.

use lopdf::{Dictionary, Object};

use crate::dss::{self, ValidationData};
use crate::fields::signature_fields_of;
use crate::incremental::IncrementalUpdate;
use crate::placeholder::{self, Slots};
use crate::sign::Catalog;
use crate::sparse::load_for_update;
use crate::{PdfError, timestamp};

/// Bytes reserved for the timestamp token in a document timestamp's /Contents: our TSA's token
/// with its certificate is under 2 KiB; an outside TSA's with an RSA chain can reach 8 KiB.
pub const DOC_TIMESTAMP_RESERVED_BYTES: usize = 16 * 1024;

/// Appends one revision that only merges `data` into the DSS.
pub fn add_validation_data(pdf: &[u8], data: &ValidationData) -> Result<Vec<u8>, PdfError> {
    let doc = load_for_update(pdf)?;
    let mut update = IncrementalUpdate::new(pdf, &doc)?;
    let mut catalog = Catalog::of(&doc)?;
    dss::write(&doc, &mut update, &mut catalog.dict, data)?;
    catalog.changed = true;
    catalog.write_if_changed(&mut update)?;
    update.finish()
}

/// A document timestamp revision whose bytes are final except /Contents, which waits for the
/// token over [`Self::imprint`].
pub struct PendingDocumentTimestamp {
    out: Vec<u8>,
    slots: Slots,
    digest: [u8; 32],
}

impl PendingDocumentTimestamp {
    /// SHA-256 of the byte ranges: the message imprint of the timestamp request.
    pub fn imprint(&self) -> [u8; 32] {
        self.digest
    }

    /// Writes `token` (a DER TimeStampToken over [`Self::imprint`]) into /Contents.
    pub fn finish(mut self, token: &[u8]) -> Result<Vec<u8>, PdfError> {
        timestamp::check_imprint_of_digest(token, &self.digest)?;
        self.slots.write_contents(&mut self.out, token)?;
        Ok(self.out)
    }
}

/// Prepares a document timestamp as the next revision of `pdf`, in a new invisible signature
/// field named `DocTimeStamp<n>`.
pub fn prepare_document_timestamp(pdf: &[u8]) -> Result<PendingDocumentTimestamp, PdfError> {
    let doc = load_for_update(pdf)?;
    let mut update = IncrementalUpdate::new(pdf, &doc)?;
    let mut catalog = Catalog::of(&doc)?;
    let taken: Vec<String> = signature_fields_of(&doc)
        .into_iter()
        .map(|f| f.name)
        .collect();
    let name = (1..)
        .map(|n| format!("DocTimeStamp{n}"))
        .find(|n| !taken.contains(n))
        .unwrap_or_default();
    let sig_id = update.allocate();
    let field_id = update.allocate();
    let mut field = Dictionary::new();
    field.set("FT", Object::Name(b"Sig".to_vec()));
    field.set("T", Object::string_literal(name));
    field.set("Type", Object::Name(b"Annot".to_vec()));
    field.set("Subtype", Object::Name(b"Widget".to_vec()));
    field.set(
        "Rect",
        Object::Array(vec![0.into(), 0.into(), 0.into(), 0.into()]),
    );
    // Print and Locked: an invisible field that viewers must not let anyone edit.
    field.set("F", Object::Integer(132));
    field.set("V", Object::Reference(sig_id));
    update.write_object(field_id, Object::Dictionary(field))?;
    add_field(&doc, &mut update, &mut catalog, field_id)?;
    catalog.write_if_changed(&mut update)?;

    let body = format!(
        "<</Type/DocTimeStamp/Filter/Adobe.PPKLite/SubFilter/ETSI.RFC3161{}>>",
        placeholder::entries(DOC_TIMESTAMP_RESERVED_BYTES)
    );
    let body_offset = update.write_raw_object(sig_id, body.as_bytes());
    let mut out = update.finish()?;
    let slots = Slots::locate(&body, body_offset, DOC_TIMESTAMP_RESERVED_BYTES)?;
    let (digest, _) = slots.fill_byte_range(&mut out)?;
    Ok(PendingDocumentTimestamp { out, slots, digest })
}

/// Appends `field_id` to the AcroForm's /Fields and sets /SigFlags 3.
fn add_field(
    doc: &lopdf::Document,
    update: &mut IncrementalUpdate,
    catalog: &mut Catalog,
    field_id: lopdf::ObjectId,
) -> Result<(), PdfError> {
    let append = |form: &mut Dictionary| -> Result<(), PdfError> {
        let mut fields = match form.get(b"Fields") {
            Ok(Object::Array(a)) => a.clone(),
            Ok(Object::Reference(id)) => doc.get_object(*id)?.as_array()?.clone(),
            _ => Vec::new(),
        };
        fields.push(Object::Reference(field_id));
        form.set("Fields", Object::Array(fields));
        form.set("SigFlags", Object::Integer(3));
        Ok(())
    };
    match catalog.dict.get(b"AcroForm") {
        Ok(Object::Reference(form_id)) => {
            let form_id = *form_id;
            let mut form = doc.get_object(form_id)?.as_dict()?.clone();
            append(&mut form)?;
            update.write_object(form_id, Object::Dictionary(form))
        }
        Ok(Object::Dictionary(form)) => {
            let mut form = form.clone();
            append(&mut form)?;
            catalog.dict.set("AcroForm", Object::Dictionary(form));
            catalog.changed = true;
            Ok(())
        }
        _ => Err(PdfError::Malformed("no AcroForm".into())),
    }
}
