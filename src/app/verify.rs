//! The public check behind the QR code: a serial's agreement, each signature
//! of its current revision checked against the CA and the current CRL, with
//! names masked. Unknown serials are simply not found.

use serde::Serialize;

use super::signing::SerialEntry;
use super::{App, ca, document, layout, repo};
use crate::domain::{AgreementState, identity, malaysia_time};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SignatureCheck {
    /// e.g. "Pembeli"; empty when the field belongs to no party.
    pub role: String,
    /// Masked, e.g. "N** A**** b**** A*******".
    pub signer: String,
    /// Malaysia time, dd/mm/yyyy HH:MM (as the party acted), else the signature's own /M.
    pub signed_at: String,
    pub intact: bool,
    pub trusted: bool,
    pub revoked: bool,
    /// Intact, trusted, not revoked and followed by allowed changes only.
    pub valid: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerifyReport {
    pub serial: String,
    pub project_code: String,
    pub project_name: String,
    pub developer_name: String,
    pub unit: String,
    #[schema(value_type = String)]
    pub state: AgreementState,
    pub revision: u32,
    pub document_sha256: String,
    pub signatures: Vec<SignatureCheck>,
    pub all_valid: bool,
}

fn not_found() -> AppError {
    AppError::not_found("serial_not_found")
}

fn plausible(serial: &str) -> bool {
    (1..=64).contains(&serial.len())
        && serial
            .chars()
            .all(|c| hims_espa::SERIAL_CHARSET.contains(c))
}

pub async fn report(app: &App, serial: &str) -> AppResult<VerifyReport> {
    if !plausible(serial) {
        return Err(not_found());
    }
    let store = app.ports.store.as_ref();
    let entry: SerialEntry = match store.get(&layout::serial(serial)).await? {
        Some(item) => serde_json::from_value(item.data).map_err(|_| not_found())?,
        None => return Err(not_found()),
    };
    let record = repo::load(store, &entry.agreement_id).await?.record;
    let revision = record.current_revision().cloned().ok_or_else(not_found)?;
    let pdf = app.ports.blobs.get(&revision.blob_key).await?;
    let trust = hims_pdf::Trust {
        ca_der: hims_pki::certificate_to_der(&ca::ca_certificate(app).await?)
            .map_err(ca::pki_failed)?,
        crl_der: Some(ca::current_crl(app).await?),
    };
    let checked = tokio::task::spawn_blocking(move || hims_pdf::verify(&pdf, &trust))
        .await
        .map_err(|_| AppError::internal("verify_failed"))?
        .map_err(|e| {
            tracing::error!(error = %e, "stored revision does not verify");
            AppError::internal("verify_failed")
        })?;
    let agreement = &record.agreement;
    let signatures = checked
        .signatures
        .iter()
        .map(|s| {
            let party = agreement
                .parties
                .iter()
                .find(|p| document::field_name(p) == s.field_name);
            let valid = s.intact
                && s.trusted
                && !s.revoked
                && s.modification <= hims_pdf::ModificationLevel::FormFilling;
            SignatureCheck {
                role: party
                    .map(|p| super::notices::salutation(p.role).to_owned())
                    .unwrap_or_default(),
                signer: identity::mask_name(
                    party
                        .map(|p| p.name.as_str())
                        .or(s.signer_cn.as_deref())
                        .unwrap_or_default(),
                ),
                signed_at: party
                    .and_then(|p| p.acted_at)
                    .map(malaysia_time)
                    .or_else(|| s.signing_time.clone())
                    .unwrap_or_default(),
                intact: s.intact,
                trusted: s.trusted,
                revoked: s.revoked,
                valid,
            }
        })
        .collect();
    Ok(VerifyReport {
        serial: agreement.serial_display(),
        project_code: agreement.project_code.clone(),
        project_name: agreement.project_name.clone(),
        developer_name: agreement.developer_name.clone(),
        unit: agreement.unit.clone(),
        state: agreement.state,
        revision: revision.number,
        document_sha256: revision.sha256,
        all_valid: checked.all_valid(),
        signatures,
    })
}
