//! The agreement's PDF: the first revision (rendered eSPA or the portal's own
//! PDF, with one empty signature field per signer) and stored revisions.

use chrono::{DateTime, Utc};
use hims_espa::{Base, Block, EspaDocument, EspaError, PartyLine, SignatureSlot};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::repo::Revision;
use crate::domain::{Action, Agreement, AgreementId, Party, Role, identity};
use crate::error::{AppError, AppResult};
use crate::ports::Blobs;

/// What the portal sends as `document`.
#[derive(Debug, Clone)]
pub enum DocumentSource {
    Template(EspaFields),
    Pdf(Vec<u8>),
}

/// The agreement's own facts for the rendered eSPA (the rest comes from the agreement).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EspaFields {
    /// e.g. "Kondominium (3 bilik tidur, 2 bilik air)".
    pub unit_type: String,
    pub built_up_area_sqm: u32,
    /// The purchase price in sen (RM 650,000.00 = 65000000).
    pub price_sen: u64,
}

pub fn field_name(party: &Party) -> String {
    format!("sig_{}", party.id.0)
}

fn role_label(party: &Party, first: bool) -> String {
    match party.role {
        Role::Purchaser if first => "Pembeli (Penama Pertama)".to_owned(),
        role => super::notices::salutation(role).to_owned(),
    }
    .replace("Tuan/Puan", "Pihak Lain")
}

fn slots(agreement: &Agreement) -> Vec<SignatureSlot> {
    agreement
        .parties
        .iter()
        .enumerate()
        .filter(|(_, p)| p.action == Action::Sign)
        .enumerate()
        .map(|(n, (i, p))| SignatureSlot {
            field_name: field_name(p),
            label: format!("Tandatangan {}", n + 1),
            role_label: role_label(p, i == 0),
            name: p.name.clone(),
        })
        .collect()
}

/// Revision 1, and for a rendered eSPA the JSON of its text view.
pub struct FirstRevision {
    pub pdf: Vec<u8>,
    pub text_json: Option<Vec<u8>>,
}

/// Builds revision 1 (CPU-bound: call from a blocking task).
pub fn first_revision(agreement: &Agreement, source: DocumentSource) -> AppResult<FirstRevision> {
    let base = match source {
        DocumentSource::Pdf(bytes) => Base::Portal(bytes),
        DocumentSource::Template(fields) => Base::Rendered(EspaDocument {
            project_code: agreement.project_code.clone(),
            project_name: agreement.project_name.clone(),
            developer_name: agreement.developer_name.clone(),
            unit: agreement.unit.clone(),
            unit_type: fields.unit_type,
            built_up_area_sqm: fields.built_up_area_sqm,
            price_sen: fields.price_sen,
            schedule: hims_espa::schedule_h(),
            parties: agreement
                .parties
                .iter()
                .enumerate()
                .map(|(i, p)| PartyLine {
                    role_label: role_label(p, i == 0),
                    name: p.name.clone(),
                    masked_id: identity::mask_id(&p.id_number),
                    signs: p.action == Action::Sign,
                    field_name: field_name(p),
                })
                .collect(),
            provisional_serial: agreement.serial_display(),
            created_at: agreement.created_at,
        }),
    };
    let revision =
        hims_espa::first_revision_with_text(base, &slots(agreement), &agreement.serial_display())
            .map_err(pdf_error)?;
    Ok(FirstRevision {
        pdf: revision.pdf,
        text_json: revision.text.map(|blocks| text_json(&blocks)),
    })
}

/// Where the text view of an agreement's rendered eSPA is kept.
pub fn text_blob_key(agreement: &AgreementId) -> String {
    format!("agreements/{}/text.json", agreement.0)
}

/// The blocks the eSPA's pages were drawn from, as the signer page reads them
/// (`GET /v1/signer/document/text`); the PDF's spacing and page breaks are left out.
fn text_json(blocks: &[Block]) -> Vec<u8> {
    use serde_json::json;
    let items: Vec<serde_json::Value> = blocks
        .iter()
        .filter_map(|block| {
            Some(match block {
                Block::Title(text) => json!({"type": "title", "text": text}),
                Block::Subtitle(text) | Block::Caption(text) => {
                    json!({"type": "subtitle", "text": text})
                }
                Block::Heading(text) => json!({"type": "heading", "text": text}),
                Block::Paragraph(text) => json!({"type": "paragraph", "text": text}),
                Block::Note(text) => json!({"type": "note", "text": text}),
                Block::Fields(rows) => json!({"type": "fields", "rows": rows}),
                Block::Table(table) => json!({
                    "type": "table",
                    "header": table.columns.iter().map(|c| &c.header).collect::<Vec<_>>(),
                    "numeric": table.columns.iter().map(|c| c.right).collect::<Vec<_>>(),
                    "rows": table.rows,
                    "total_row": table.total_row,
                }),
                Block::Clause {
                    number,
                    title,
                    paragraphs,
                } => json!({"type": "clause", "number": number, "title": title, "paragraphs": paragraphs}),
                Block::Gap(_) | Block::PageBreak => return None,
            })
        })
        .collect();
    serde_json::to_vec(&json!({"lang": hims_espa::LANGUAGE, "blocks": items})).unwrap_or_default()
}

/// The portal's PDF problems, as 422s with their own codes.
pub fn pdf_error(e: EspaError) -> AppError {
    let code = match e {
        EspaError::TooLarge { .. } => "pdf_too_large",
        EspaError::Encrypted => "pdf_encrypted",
        EspaError::Empty | EspaError::NotPdf => "pdf_not_a_pdf",
        EspaError::Corrupt(_) | EspaError::NoPages => "pdf_corrupt",
        EspaError::TooComplex => "pdf_too_complex",
        // The slots are ours and valid, so a bad slot here is a portal field
        // already named like one of them.
        EspaError::AlreadySigned | EspaError::BadSlot(_) => "pdf_has_signature_fields",
        other => {
            tracing::error!(error = %other, "eSPA rendering failed");
            return AppError::internal("pdf_render_failed");
        }
    };
    AppError::unprocessable(code)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Stores a revision under a key that is never reused.
pub async fn store_revision(
    blobs: &dyn Blobs,
    agreement: &Agreement,
    number: u32,
    bytes: &[u8],
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<Revision> {
    let sha256 = sha256_hex(bytes);
    store_hashed_revision(blobs, agreement, number, bytes, sha256, reason, now).await
}

/// [`store_revision`] for bytes whose SHA-256 (lower-case hex) is already known.
pub async fn store_hashed_revision(
    blobs: &dyn Blobs,
    agreement: &Agreement,
    number: u32,
    bytes: &[u8],
    sha256: String,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<Revision> {
    // The hash in the key makes a retried write of the same revision harmless
    // and two different ones never collide.
    let blob_key = format!(
        "agreements/{}/r{number:04}-{}.pdf",
        agreement.id.0,
        &sha256[..16]
    );
    blobs.put(&blob_key, bytes, "application/pdf").await?;
    Ok(Revision {
        number,
        blob_key,
        sha256,
        size: bytes.len() as u64,
        created_at: now,
        reason: reason.to_owned(),
    })
}

pub(crate) fn pdf_failed(e: hims_pdf::PdfError) -> crate::error::AppError {
    tracing::error!(error = %e, "PDF signing failed");
    crate::error::AppError::internal("signing_failed")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    /// Found by fuzz/fuzz_targets/portal_pdf.rs: a portal PDF with a signed
    /// field, or a field named like ours, was answered with a 500.
    #[test]
    fn a_portal_pdf_with_signature_fields_is_a_422() {
        let clash = EspaError::BadSlot("field name \"sig_pembeli_1\" already exists".into());
        for e in [EspaError::AlreadySigned, clash] {
            let error = pdf_error(e);
            assert_eq!(
                (error.kind, error.code),
                (ErrorKind::Unprocessable, "pdf_has_signature_fields")
            );
        }
    }
}
