//! The certificate of completion: made once the last party has acted, signed
//! by the system's own certificate ("HIMS eSPA Sistem"), stored beside the
//! agreement and announced to every party and the developer. Making it is
//! idempotent: the record is a conditional put, so two makers store one.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Duration, Utc};
use hims_espa::{Base, CompletionDocument, CompletionParty, CompletionRevision, SignatureSlot};
use hims_pdf::Appearance;
use hims_pki::{self as pki, LeafRequest, LeafSubject, SignerKeyPair};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::audit::AuditEntry;
use super::ca::{self, pki_failed};
use super::document::pdf_failed;
use super::mail::Template;
use super::repo::{self, AgreementRecord, Change};
use super::verify::verify_url;
use super::{App, layout, notices};
use crate::domain::{Action, AgreementId, AgreementState, Party, identity, malaysia_time};
use crate::error::{AppError, AppResult};
use crate::ports::{Condition, EncryptionContext, Item, StoreError, Write};

pub const FIELD_NAME: &str = "sig_system";
/// The system certificate's lifetime.
const SYSTEM_CERT_VALIDITY: Duration = Duration::days(5 * 365);

/// What `layout::completion` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletionRecord {
    pub blob_key: String,
    pub sha256: String,
    pub size: u64,
    pub created_at: DateTime<Utc>,
    /// The audit chain's head the certificate states.
    pub audit_head: String,
}

#[derive(Serialize, Deserialize)]
struct SystemSigner {
    certificate_der: String,
    key_encrypted: String,
}

fn unreadable() -> AppError {
    AppError::internal("stored_record_unreadable")
}

pub async fn load(app: &App, id: &AgreementId) -> AppResult<Option<CompletionRecord>> {
    match app.ports.store.get(&layout::completion(id)).await? {
        Some(item) => serde_json::from_value(item.data)
            .map(Some)
            .map_err(|_| unreadable()),
        None => Ok(None),
    }
}

/// The certificate's record and bytes, made first if the agreement is complete without one.
pub async fn certificate(app: &App, id: &AgreementId) -> AppResult<(CompletionRecord, Vec<u8>)> {
    let record = ensure(app, id)
        .await?
        .ok_or_else(|| AppError::conflict("agreement_not_completed"))?;
    let bytes = app.ports.blobs.get(&record.blob_key).await?;
    Ok((record, bytes))
}

/// Right after the last party acted. A failure does not undo that: the
/// certificate is made on its next request instead.
pub async fn after_last_party(app: &App, id: &AgreementId) {
    if let Err(e) = ensure(app, id).await {
        tracing::error!(agreement = %id.0, code = e.code, "certificate of completion failed");
    }
}

/// Makes the certificate of a completed agreement unless it exists; `None` while not completed.
pub async fn ensure(app: &App, id: &AgreementId) -> AppResult<Option<CompletionRecord>> {
    if let Some(done) = load(app, id).await? {
        return Ok(Some(done));
    }
    let store = app.ports.store.as_ref();
    let loaded = repo::load(store, id).await?;
    if loaded.record.agreement.state != AgreementState::Completed {
        return Ok(None);
    }
    // B-LTA for the agreement itself: its last revision gets a DSS and a
    // document timestamp, committed with the certificate, which names it.
    let mut loaded = loaded;
    let now = app.now();
    let current = loaded
        .record
        .current_revision()
        .cloned()
        .ok_or_else(unreadable)?;
    let signed = app.ports.blobs.get(&current.blob_key).await?;
    let sealed = super::tsa::seal_with_document_timestamp(app, signed).await?;
    let revision = super::document::store_revision(
        app.ports.blobs.as_ref(),
        &loaded.record.agreement,
        current.number + 1,
        &sealed.pdf,
        "document_timestamp",
        now,
    )
    .await?;
    loaded.record.revisions.push(revision);
    loaded.record.archive_due = Some(super::archive::due_before(sealed.tsa_not_after));
    let entries = repo::audit_entries(store, id).await?;
    let document = completion_document(&loaded.record, &entries)?;
    let (certificate_der, pkcs8_key) = system_signer(app).await?;
    let ca_der = pki::certificate_to_der(&ca::ca_certificate(app).await?).map_err(pki_failed)?;
    let serial = loaded.record.agreement.serial_display();
    let request = hims_pdf::SignRequest {
        field_name: FIELD_NAME.to_owned(),
        signer_cert_der: certificate_der,
        chain_der: vec![ca_der],
        pkcs8_key,
        appearance: Appearance {
            name: pki::SYSTEM_COMMON_NAME.to_owned(),
            masked_id: "Sistem HIMS".to_owned(),
            image: system_mark()?,
        },
        signed_at: now,
    };
    let validation =
        super::tsa::validation_data(app, std::slice::from_ref(&request.signer_cert_der)).await?;
    let pending = tokio::task::spawn_blocking(move || {
        let plain = hims_espa::render_completion(&document).map_err(espa_failed)?;
        let slot = SignatureSlot {
            field_name: FIELD_NAME.to_owned(),
            label: "Tandatangan Sistem / System signature".to_owned(),
            role_label: "Sistem HIMS eSPA".to_owned(),
            name: pki::SYSTEM_COMMON_NAME.to_owned(),
        };
        let with_field = hims_espa::first_revision(Base::Portal(plain), &[slot], &serial)
            .map_err(espa_failed)?;
        hims_pdf::prepare_signature(&with_field, &request, Some(&validation)).map_err(pdf_failed)
    })
    .await
    .map_err(|_| AppError::internal("signing_failed"))??;
    // The system signature is B-T like the signers'; the certificate is then sealed B-LTA.
    let token = super::tsa::timestamp(app, &pending.timestamp_imprint()).await?;
    let signed = pending.finish(&token).map_err(pdf_failed)?;
    let bytes = super::tsa::seal_with_document_timestamp(app, signed)
        .await?
        .pdf;

    let sha256 = super::document::sha256_hex(&bytes);
    let blob_key = format!("agreements/{}/completion-{}.pdf", id.0, &sha256[..16]);
    app.ports
        .blobs
        .put(&blob_key, &bytes, "application/pdf")
        .await?;
    let completion = CompletionRecord {
        blob_key,
        sha256: sha256.clone(),
        size: bytes.len() as u64,
        created_at: now,
        audit_head: loaded.record.audit.hash.clone(),
    };
    let change = Change {
        notes: vec![serde_json::json!({"type": "completion_certificate_issued", "sha256": sha256})],
        messages: completion_emails(app, &loaded.record).await?,
        writes: vec![Write::Put {
            item: Item::new(
                layout::completion(id),
                serde_json::to_value(&completion).unwrap_or_default(),
            ),
            condition: Condition::NotExists,
        }],
        ..Change::default()
    };
    match repo::commit(&app.ports, Some(loaded.version), loaded.record, change, now).await {
        Ok(_) => {
            app.outbox_signal.notify_one();
            Ok(Some(completion))
        }
        // Someone else made it (or changed the record) first: theirs stands.
        Err(e) if e.code == "concurrent_update" => load(app, id).await,
        Err(e) => Err(e),
    }
}

fn espa_failed(e: hims_espa::EspaError) -> AppError {
    tracing::error!(error = %e, "certificate of completion rendering failed");
    AppError::internal("pdf_render_failed")
}

async fn completion_emails(
    app: &App,
    record: &AgreementRecord,
) -> AppResult<Vec<(String, super::outbox::Message)>> {
    let agreement = &record.agreement;
    let verify = verify_url(app, &agreement.serial_display()).await?;
    let mut out = Vec::new();
    let mut send = |to: &str, salutation: &str, link: String| {
        let mut ctx = notices::context(agreement, salutation, link, agreement.updated_at);
        ctx.verify_url = Some(verify.clone());
        notices::email_with(app, to, &ctx, Template::Completed)
            .map(|m| out.push(notices::with_id(m)))
    };
    for party in &agreement.parties {
        let link = notices::signer_link(app, agreement, party).await?;
        send(&party.email, notices::salutation(party.role), link)?;
    }
    if let Some(developer) = record.developer_address()
        && !agreement.parties.iter().any(|p| p.email == developer)
    {
        send(&developer, "Pemaju", String::new())?;
    }
    Ok(out)
}

fn state_label(state: &str) -> Option<&'static str> {
    Some(match state {
        "ekyc_verified" => "eKYC disahkan / eKYC verified",
        "certificate_issued" => "Sijil digital dijana / Certificate issued",
        "signed" => "Ditandatangani / Signed",
        "reviewed" => "Disahkan / Confirmed",
        _ => return None,
    })
}

fn completion_document(
    record: &AgreementRecord,
    entries: &[AuditEntry],
) -> AppResult<CompletionDocument> {
    let agreement = &record.agreement;
    let final_revision = record
        .current_revision()
        .ok_or_else(|| AppError::not_found("document_not_found"))?;
    let party_line = |party: &Party| {
        let of_party = |e: &&AuditEntry| e.event["party"].as_str() == Some(party.id.0.as_str());
        let factor = entries
            .iter()
            .filter(of_party)
            .find(|e| e.event["type"] == "signed")
            .and_then(|e| e.event["factor"].as_str())
            .map(|f| {
                if f == "totp" {
                    "TOTP"
                } else {
                    "Kod e-mel / Email code"
                }
            })
            .unwrap_or_default();
        let steps = entries
            .iter()
            .filter(of_party)
            .filter(|e| e.event["type"] == "party_state_changed")
            .filter_map(|e| {
                let label = state_label(e.event["to"].as_str()?)?;
                Some(format!("{label}: {}", malaysia_time(e.at)))
            })
            .collect();
        CompletionParty {
            role_label: notices::salutation(party.role).to_owned(),
            name: party.name.clone(),
            masked_id: identity::mask_id(&party.id_number),
            ekyc_reference: party.ekyc_reference.clone().unwrap_or_default(),
            certificate_serial: match party.action {
                Action::Sign => party.certificate_serial.clone().unwrap_or_default(),
                Action::Review => String::new(),
            },
            factor: factor.to_owned(),
            steps,
        }
    };
    Ok(CompletionDocument {
        serial: agreement.serial_display(),
        project_code: agreement.project_code.clone(),
        project_name: agreement.project_name.clone(),
        developer_name: agreement.developer_name.clone(),
        unit: agreement.unit.clone(),
        completed_at: malaysia_time(agreement.completed_at.unwrap_or(agreement.updated_at)),
        parties: agreement.parties.iter().map(party_line).collect(),
        revisions: record
            .revisions
            .iter()
            .map(|r| CompletionRevision {
                number: r.number,
                reason: r.reason.clone(),
                sha256: r.sha256.clone(),
            })
            .collect(),
        final_sha256: final_revision.sha256.clone(),
        audit_head: record.audit.hash.clone(),
    })
}

fn system_context() -> EncryptionContext {
    EncryptionContext::from([("purpose".to_owned(), "system-key".to_owned())])
}

/// The system's certificate (DER) and PKCS#8 key, made and stored (encrypted) on first use.
async fn system_signer(app: &App) -> AppResult<(Vec<u8>, Zeroizing<Vec<u8>>)> {
    let store = app.ports.store.as_ref();
    if store.get(&layout::system_signer()).await?.is_none() {
        let stored = new_system_signer(app).await?;
        let put = Write::Put {
            item: Item::new(
                layout::system_signer(),
                serde_json::to_value(stored).unwrap_or_default(),
            ),
            condition: Condition::NotExists,
        };
        match store.transact(vec![put]).await {
            Ok(()) | Err(StoreError::ConditionFailed { .. } | StoreError::Conflict) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let item = store
        .get(&layout::system_signer())
        .await?
        .ok_or_else(unreadable)?;
    let stored: SystemSigner = serde_json::from_value(item.data).map_err(|_| unreadable())?;
    let certificate_der = B64
        .decode(stored.certificate_der)
        .map_err(|_| unreadable())?;
    let ciphertext = B64.decode(stored.key_encrypted).map_err(|_| unreadable())?;
    let key = app
        .ports
        .keys
        .decrypt(&ciphertext, &system_context())
        .await?;
    Ok((certificate_der, Zeroizing::new(key.to_vec())))
}

async fn new_system_signer(app: &App) -> AppResult<SystemSigner> {
    let ca = ca::ca_certificate(app).await?;
    let key = SignerKeyPair::generate(|buf| app.ports.rng.fill(buf)).map_err(pki_failed)?;
    let public_key_der = key.public_key_der().map_err(pki_failed)?;
    let crl_url = format!("{}/crl", app.settings.public_url);
    let now = app.now();
    let request = LeafRequest {
        subject: LeafSubject::System { email: None },
        public_key_der: &public_key_der,
        serial_random: app.ports.rng.bytes(),
        crl_url: &crl_url,
        now,
        not_after: now + SYSTEM_CERT_VALIDITY,
    };
    let pending = pki::prepare_leaf_certificate(&ca, &request).map_err(pki_failed)?;
    let signature = app.ports.keys.ca_sign(pending.tbs()).await?;
    let certificate = pending.finish(&signature).map_err(pki_failed)?;
    let key_der = key.to_pkcs8_der().map_err(pki_failed)?;
    let key_encrypted = app.ports.keys.encrypt(&key_der, &system_context()).await?;
    Ok(SystemSigner {
        certificate_der: B64.encode(pki::certificate_to_der(&certificate).map_err(pki_failed)?),
        key_encrypted: B64.encode(key_encrypted),
    })
}

/// The image in the system's signature box: a plain seal-like mark, drawn once.
fn system_mark() -> AppResult<hims_pdf::SignatureImage> {
    let ring: Vec<(f32, f32)> = (0..=48)
        .map(|i| {
            let a = i as f32 * std::f32::consts::TAU / 48.0;
            (60.0 + 40.0 * a.cos(), 45.0 + 40.0 * a.sin())
        })
        .collect();
    let tick: &[(f32, f32)] = &[(38.0, 47.0), (54.0, 63.0), (84.0, 28.0)];
    let png = super::stroke::stroke_png(120, 90, &[&ring, tick])?;
    hims_pdf::SignatureImage::from_png(&png)
        .map_err(|_| AppError::internal("signature_image_failed"))
}
