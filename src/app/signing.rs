//! The `sign-document` function (F4): the revision a signer is to sign, and
//! signing it with a single-use activation. The first signature fixes the
//! full serial and adds the QR code in its own revision just before (F4.1),
//! so that signature covers both. New blobs are stored before the one commit
//! that records the signature, consumes the activation and lists the
//! revisions, so a crash in between leaves only an orphan blob.

use hims_pdf::{Appearance, PdfError};
use hims_pki as pki;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::activation::{self, Outcome};
use super::ca::{self, pki_failed};
use super::repo::{self, AgreementRecord, Change, Revision, SerialEntry};
use super::{App, certificates, completion, document, layout, notices, retry_on_conflict, session};
use crate::domain::{
    Action, Agreement, AgreementId, AgreementState, DomainError, Party, PartyId, PartyState,
    identity,
};
use crate::error::{AppError, AppResult};
use crate::ports::{BlobError, Condition, Item, StoreError, Write};

/// Counter on `layout::serial_counter`: the last serial number handed out in a project.
pub const SERIAL_COUNTER: &str = "last";
/// Digits of the serial's number part (more once a project passes 999,999).
const SERIAL_DIGITS: usize = 6;
const ALLOCATION_ATTEMPTS: usize = 16;

/// `POST /v1/signer/sign`. Debug never shows the activation.
pub struct SignRequest {
    pub activation: Zeroizing<String>,
    pub document_sha256: String,
    pub consent: bool,
    pub signature_png: Vec<u8>,
    /// How the signer made the image (kept in the audit trail).
    pub signature_kind: SignatureKind,
}

/// A drawn signature, or the name typed and rendered by the page: the same
/// PNG in the PDF either way; the PIN and second factor are what sign.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignatureKind {
    #[default]
    Drawn,
    Typed,
}

/// What a signature produced (the same for a retry with the same activation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub revision: u32,
    pub document_sha256: String,
    pub serial: String,
    pub agreement_state: AgreementState,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SerialClaim {
    serial: String,
}

/// The party may act now on the revision shown: its turn, and the state its action needs.
fn check_turn(
    agreement: &Agreement,
    party: &Party,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    agreement.can_act(&party.id, now)?;
    match (party.action, party.state) {
        (Action::Sign, PartyState::CertificateIssued)
        | (Action::Review, PartyState::EkycVerified) => Ok(()),
        (Action::Sign, PartyState::EkycVerified) => Err(DomainError::CertificateRequired.into()),
        _ => Err(DomainError::EkycNotApproved.into()),
    }
}

pub fn current_revision(record: &AgreementRecord) -> AppResult<Revision> {
    record
        .current_revision()
        .cloned()
        .ok_or_else(|| AppError::not_found("document_not_found"))
}

/// `GET /v1/signer/document`: the current revision, only during the party's turn.
pub async fn document_to_sign(app: &App, token: &str) -> AppResult<(Revision, Vec<u8>)> {
    let ctx = session::resolve(app, token).await?;
    check_turn(&ctx.loaded.record.agreement, &ctx.party, app.now())?;
    let revision = current_revision(&ctx.loaded.record)?;
    let bytes = app.ports.blobs.get(&revision.blob_key).await?;
    Ok((revision, bytes))
}

/// `GET /v1/signer/document/text`: the rendered eSPA's text view (JSON), made
/// with revision 1 from the blocks its pages were drawn from; during the turn
/// only, like the PDF. A portal's own PDF has none (404 `document_text_unavailable`).
pub async fn document_text(app: &App, token: &str) -> AppResult<Vec<u8>> {
    let ctx = session::resolve(app, token).await?;
    check_turn(&ctx.loaded.record.agreement, &ctx.party, app.now())?;
    let key = document::text_blob_key(&ctx.loaded.record.agreement.id);
    match app.ports.blobs.get(&key).await {
        Err(BlobError::NotFound) => Err(AppError::not_found("document_text_unavailable")),
        other => Ok(other?),
    }
}

/// `GET /v1/signer/final`: the fully signed PDF, for any party of a completed agreement.
pub async fn final_document(app: &App, token: &str) -> AppResult<(Revision, Vec<u8>)> {
    let ctx = session::resolve(app, token).await?;
    if ctx.loaded.record.agreement.state != AgreementState::Completed {
        return Err(AppError::conflict("agreement_not_completed"));
    }
    let revision = current_revision(&ctx.loaded.record)?;
    let bytes = app.ports.blobs.get(&revision.blob_key).await?;
    Ok((revision, bytes))
}

/// Signs for the party `token` names (F4.2–F4.6).
pub async fn sign(app: &App, token: &str, request: SignRequest) -> AppResult<Signed> {
    if !request.consent {
        return Err(AppError::unprocessable("consent_required"));
    }
    // Decoded and deflated once here; each signing attempt below only copies the bytes.
    let image = hims_pdf::SignatureImage::from_png(&request.signature_png)
        .map_err(|_| AppError::unprocessable("signature_image_invalid"))?;
    let ctx = session::resolve(app, token).await?;
    let agreement_id = ctx.loaded.record.agreement.id.clone();
    let party_id = ctx.party.id.clone();
    let signed =
        retry_on_conflict(|| attempt(app, &agreement_id, &party_id, &request, &image)).await?;
    if signed.agreement_state == AgreementState::Completed {
        completion::after_last_party(app, &agreement_id).await;
    }
    Ok(signed)
}

fn signed_from(record: &AgreementRecord, outcome: &Outcome) -> Signed {
    Signed {
        revision: outcome.revision,
        document_sha256: outcome.sha256.clone(),
        serial: record.agreement.serial_display(),
        agreement_state: record.agreement.state,
    }
}

async fn attempt(
    app: &App,
    agreement_id: &AgreementId,
    party_id: &PartyId,
    request: &SignRequest,
    image: &hims_pdf::SignatureImage,
) -> AppResult<Signed> {
    // The agreement before the activation: the commit that uses an activation also writes
    // the agreement, so an unused activation read second means the agreement read first
    // has not moved on without us. (Read the other way round, a twin request committing
    // in between made this one answer `document_changed` instead of its twin's result.)
    let store = app.ports.store.as_ref();
    let loaded = repo::load(store, agreement_id).await?;
    let stored = activation::load(
        app,
        &request.activation,
        agreement_id,
        party_id,
        &request.document_sha256,
    )
    .await?;
    if let Some(outcome) = &stored.activation.used {
        // Read again: the agreement above may predate the commit that used it.
        let record = repo::load(store, agreement_id).await?.record;
        return Ok(signed_from(&record, outcome));
    }
    let mut record = loaded.record;
    let now = app.now();
    let current = current_revision(&record)?;
    if current.sha256 != request.document_sha256 {
        return Err(AppError::conflict("document_changed"));
    }
    let agreement = &record.agreement;
    let party = agreement
        .party(party_id)
        .cloned()
        .ok_or_else(|| AppError::unauthorized("link_invalid"))?;
    // Every domain refusal before a serial number is spent on this agreement.
    let probe = agreement
        .serial
        .clone()
        .unwrap_or_else(|| format!("{}0", agreement.serial_prefix()));
    agreement.sign(party_id, Some(probe), now)?;

    let first_signature = agreement.serial.is_none();
    let serial = match &agreement.serial {
        Some(serial) => serial.clone(),
        None => allocate_serial(app, agreement).await?,
    };
    let secrets = certificates::load_secrets(store, agreement_id, party_id)
        .await?
        .map(|(secrets, _)| secrets)
        .ok_or_else(|| AppError::from(DomainError::CertificateRequired))?;
    let key =
        certificates::decrypt_signer_key(app.ports.keys.as_ref(), agreement_id, party_id, &secrets)
            .await?;
    let ca_der = pki::certificate_to_der(&ca::ca_certificate(app).await?).map_err(pki_failed)?;
    let validation = super::tsa::validation_data(app, &[secrets.certificate_der()?]).await?;
    let pdf = app.ports.blobs.get(&current.blob_key).await?;
    let sign_request = hims_pdf::SignRequest {
        field_name: document::field_name(&party),
        signer_cert_der: secrets.certificate_der()?,
        chain_der: vec![ca_der],
        pkcs8_key: key.to_pkcs8_der().map_err(pki_failed)?,
        appearance: Appearance {
            name: party.name.clone(),
            masked_id: identity::mask_id(&party.id_number),
            image: image.clone(),
        },
        signed_at: now,
    };
    let serial_stamp = if first_signature {
        Some((
            serial.clone(),
            super::verify::verify_url(app, &serial).await?,
        ))
    } else {
        None
    };
    let (serial_pdf, pending) = tokio::task::spawn_blocking(move || {
        let serial_pdf = match serial_stamp {
            Some((serial, url)) => Some(hims_pdf::apply_serial(&pdf, &serial, &url)?),
            None => None,
        };
        let pending = hims_pdf::prepare_signature(
            serial_pdf.as_deref().unwrap_or(&pdf),
            &sign_request,
            Some(&validation),
        )?;
        Ok::<_, PdfError>((serial_pdf, pending))
    })
    .await
    .map_err(|_| AppError::internal("signing_failed"))?
    .map_err(pdf_failed)?;
    // B-T: no signature is stored without its timestamp. Nothing is written
    // before this point, so a TSA outage leaves the request retryable as is.
    let token = super::tsa::timestamp(app, &pending.timestamp_imprint()).await?;
    let signed = pending.finish_hashed(&token).map_err(pdf_failed)?;

    let blobs = app.ports.blobs.as_ref();
    let mut revisions = Vec::new();
    let mut number = current.number;
    if let Some(bytes) = &serial_pdf {
        number += 1;
        revisions
            .push(document::store_revision(blobs, agreement, number, bytes, "serial", now).await?);
    }
    let reason = format!("signature:{}", party_id.0);
    let signed_revision = document::store_hashed_revision(
        blobs,
        agreement,
        number + 1,
        &signed.bytes,
        hex::encode(signed.sha256),
        &reason,
        now,
    )
    .await?;
    revisions.push(signed_revision.clone());

    let transition = agreement.sign(party_id, first_signature.then(|| serial.clone()), now)?;
    let outcome = Outcome {
        revision: signed_revision.number,
        sha256: signed_revision.sha256.clone(),
    };
    let mut writes = vec![activation::consume(&stored, outcome.clone())];
    if first_signature {
        let entry = SerialEntry {
            agreement_id: agreement_id.clone(),
        };
        writes.push(Write::Put {
            item: Item::new(
                layout::serial(&serial),
                serde_json::to_value(entry).unwrap_or_default(),
            ),
            condition: Condition::NotExists,
        });
    }
    let messages = notices::for_events(app, &transition.agreement, &transition.events).await?;
    let notes = revisions
        .iter()
        .map(|r| serde_json::json!({"type": "revision_stored", "number": r.number, "sha256": r.sha256, "reason": r.reason}))
        .chain(std::iter::once(serde_json::json!({
            "type": "signed",
            "party": party_id.0,
            "factor": stored.activation.factor,
            "signature_kind": request.signature_kind,
            "certificate_serial": secrets.certificate_serial,
            "revision": signed_revision.number,
        })))
        .collect();
    record.agreement = transition.agreement;
    record.revisions.extend(revisions);
    let change = Change {
        events: transition.events,
        notes,
        messages,
        writes,
    };
    repo::commit(
        &app.ports,
        Some(loaded.version),
        record.clone(),
        change,
        now,
    )
    .await?;
    app.outbox_signal.notify_one();
    tracing::info!(agreement = %agreement_id.0, party = %party_id.0, revision = outcome.revision, "signed");
    Ok(signed_from(&record, &outcome))
}

pub(crate) use super::document::pdf_failed;

/// The agreement's full serial: claimed once per agreement, numbered from a
/// per-project counter by compare-and-increment (no gaps, no duplicates).
async fn allocate_serial(app: &App, agreement: &Agreement) -> AppResult<String> {
    let store = app.ports.store.as_ref();
    let claim_key = layout::serial_claim(&agreement.id);
    let counter_key = layout::serial_counter(&agreement.project_code);
    for _ in 0..ALLOCATION_ATTEMPTS {
        if let Some(item) = store.get(&claim_key).await? {
            let claim: SerialClaim = serde_json::from_value(item.data)
                .map_err(|_| AppError::internal("stored_record_unreadable"))?;
            return Ok(claim.serial);
        }
        let Some(counter) = store.get(&counter_key).await? else {
            let mut item = Item::new(counter_key.clone(), serde_json::json!({}));
            item.counters.insert(SERIAL_COUNTER.to_owned(), 0);
            ignore_lost_race(
                store
                    .transact(vec![Write::Put {
                        item,
                        condition: Condition::NotExists,
                    }])
                    .await,
            )?;
            continue;
        };
        let next = counter.counter(SERIAL_COUNTER) + 1;
        let serial = format!("{}{next:0SERIAL_DIGITS$}", agreement.serial_prefix());
        let claim = SerialClaim {
            serial: serial.clone(),
        };
        let result = store
            .transact(vec![
                Write::Increment {
                    key: counter_key.clone(),
                    counter: SERIAL_COUNTER.to_owned(),
                    by: 1,
                    below: Some(next),
                },
                Write::Put {
                    item: Item::new(
                        claim_key.clone(),
                        serde_json::to_value(claim).unwrap_or_default(),
                    ),
                    condition: Condition::NotExists,
                },
            ])
            .await;
        if result.is_ok() {
            return Ok(serial);
        }
        ignore_lost_race(result)?;
    }
    Err(AppError::conflict("concurrent_update"))
}

fn ignore_lost_race(result: Result<(), StoreError>) -> AppResult<()> {
    match result {
        Ok(()) | Err(StoreError::ConditionFailed { .. } | StoreError::Conflict) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
