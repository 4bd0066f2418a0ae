//! The CA ("HIMS eSPA Signing CA") and its CRL. The CA key lives behind
//! `Keys` (KMS in AWS); this module only ever holds its certificate.
//!
//! - The CA certificate is made on first use and stored with a conditional
//!   put, so two concurrent first uses agree on one CA.
//! - Each revoked certificate is its own item (`layout::revocation`), written
//!   in the transaction of the change that revokes it, which also bumps the
//!   CA item's `revocations` counter. Separate items never contend with each
//!   other and never hit an item size limit, as one growing list would.
//! - The signed CRL is cached with its number and re-signed (number + 1,
//!   compare-and-set, so numbers only grow) when the counter moved or when it
//!   is older than [`CRL_RESIGN_AFTER`].

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, TimeDelta, Utc};
use hims_pki::{self as pki, Certificate, Revocation, RevocationReason};
use serde::{Deserialize, Serialize};

use super::{App, layout};
use crate::domain::{Agreement, AgreementState, Party, PartyState};
use crate::error::{AppError, AppResult};
use crate::ports::{Condition, Item, Ports, Query, StoreError, Write};

/// Counter on the CA item: how many revocations were ever written.
pub const REVOCATIONS_COUNTER: &str = "revocations";

/// A served CRL always has at least this long before its nextUpdate
/// (`pki::CRL_LIFETIME`, 24 h, minus this): relying parties that cache it
/// until nextUpdate never hold an expired one, and it is re-signed at least daily.
pub const CRL_RESIGN_AFTER: TimeDelta = TimeDelta::hours(12);

#[derive(Serialize, Deserialize)]
struct CaRecord {
    certificate_der: String,
    created_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct CrlRecord {
    number: u64,
    der: String,
    this_update: DateTime<Utc>,
    /// The CA's revocation counter the CRL was built after.
    revocations_seen: i64,
}

#[derive(Serialize, Deserialize)]
struct RevocationRecord {
    serial: String,
    revoked_at: DateTime<Utc>,
    agreement_id: String,
    party_id: String,
}

pub(crate) fn pki_failed(e: pki::PkiError) -> AppError {
    // PkiError texts name fields and steps, never values.
    tracing::error!(error = %e, "certificate operation failed");
    AppError::internal("certificate_failed")
}

fn unreadable() -> AppError {
    AppError::internal("stored_record_unreadable")
}

/// The CA certificate, made and stored on first use.
pub async fn ca_certificate(app: &App) -> AppResult<Certificate> {
    ca_certificate_in(&app.ports).await
}

/// [`ca_certificate`] for callers that hold only the ports (the own TSA).
pub async fn ca_certificate_in(ports: &Ports) -> AppResult<Certificate> {
    load_or_create(ports)
        .await
        .map(|(certificate, _)| certificate)
}

async fn load_or_create(ports: &Ports) -> AppResult<(Certificate, Item)> {
    let store = ports.store.as_ref();
    if let Some(item) = store.get(&layout::ca()).await? {
        return Ok((parse_ca(&item)?, item));
    }
    let now = ports.clock.now();
    let public_key = ports.keys.ca_public_key().await?;
    let pending =
        pki::prepare_ca_certificate(&public_key, ports.rng.bytes(), now).map_err(pki_failed)?;
    let signature = ports.keys.ca_sign(pending.tbs()).await?;
    let certificate = pending.finish(&signature).map_err(pki_failed)?;
    let der = pki::certificate_to_der(&certificate).map_err(pki_failed)?;
    let record = CaRecord {
        certificate_der: B64.encode(der),
        created_at: now,
    };
    let mut item = Item::new(
        layout::ca(),
        serde_json::to_value(record).map_err(|_| unreadable())?,
    );
    item.counters.insert(REVOCATIONS_COUNTER.to_owned(), 0);
    let put = Write::Put {
        item,
        condition: Condition::NotExists,
    };
    match store.transact(vec![put]).await {
        Ok(()) => {
            tracing::info!("CA certificate created");
        }
        // Another request made the CA first: theirs is the one.
        Err(StoreError::ConditionFailed { .. } | StoreError::Conflict) => {}
        Err(e) => return Err(e.into()),
    }
    let item = store.get(&layout::ca()).await?.ok_or_else(unreadable)?;
    Ok((parse_ca(&item)?, item))
}

fn parse_ca(item: &Item) -> AppResult<Certificate> {
    let record: CaRecord = serde_json::from_value(item.data.clone()).map_err(|_| unreadable())?;
    let der = B64
        .decode(record.certificate_der)
        .map_err(|_| unreadable())?;
    pki::certificate_from_der(&der).map_err(|_| unreadable())
}

/// `GET /ca.pem`.
pub async fn ca_pem(app: &App) -> AppResult<String> {
    pki::certificate_to_pem(&ca_certificate(app).await?).map_err(pki_failed)
}

/// The parties whose certificates a transition from `before` to `after`
/// makes unusable: every party with a certificate who has not signed, when
/// the agreement is cancelled or expires, or when that party expires. Signed
/// parties keep theirs: their signatures were made while the certificate was
/// good, and revoking it would make validators doubt them.
fn parties_to_revoke<'a>(before: &Agreement, after: &'a Agreement) -> Vec<(&'a Party, &'a str)> {
    let closing =
        |a: &Agreement| matches!(a.state, AgreementState::Cancelled | AgreementState::Expired);
    let agreement_closed = closing(after) && !closing(before);
    let newly_expired = |p: &Party| {
        p.state == PartyState::Expired
            && before
                .party(&p.id)
                .is_some_and(|b| b.state != PartyState::Expired)
    };
    after
        .parties
        .iter()
        .filter(|p| p.state != PartyState::Signed && (agreement_closed || newly_expired(p)))
        .filter_map(|p| p.certificate_serial.as_deref().map(|serial| (p, serial)))
        .collect()
}

/// The serials [`revocation_writes`] revokes.
pub fn serials_to_revoke(before: &Agreement, after: &Agreement) -> Vec<String> {
    parties_to_revoke(before, after)
        .into_iter()
        .map(|(_, serial)| serial.to_owned())
        .collect()
}

/// The writes that revoke certificates a transition makes unusable, to
/// commit in the same transaction as the transition (`repo::Change::writes`).
/// Call it wherever an agreement is cancelled or parties expire.
pub fn revocation_writes(before: &Agreement, after: &Agreement, now: DateTime<Utc>) -> Vec<Write> {
    let revoked = parties_to_revoke(before, after);
    if revoked.is_empty() {
        return Vec::new();
    }
    let mut writes: Vec<Write> = revoked
        .iter()
        .map(|(party, serial)| {
            let record = RevocationRecord {
                serial: (*serial).to_owned(),
                revoked_at: now,
                agreement_id: after.id.0.clone(),
                party_id: party.id.0.clone(),
            };
            let data = serde_json::to_value(record).unwrap_or_default();
            Write::Put {
                item: Item::new(layout::revocation(serial), data),
                condition: Condition::None,
            }
        })
        .collect();
    writes.push(Write::Increment {
        key: layout::ca(),
        counter: REVOCATIONS_COUNTER.to_owned(),
        by: i64::try_from(revoked.len()).unwrap_or(i64::MAX),
        below: None,
    });
    writes
}

/// `GET /crl`: the current CRL (DER), re-signed when needed.
pub async fn current_crl(app: &App) -> AppResult<Vec<u8>> {
    let (ca, ca_item) = load_or_create(&app.ports).await?;
    // Read the counter before the revocations: a revocation landing in
    // between is then listed early, never missed.
    let seen = ca_item.counter(REVOCATIONS_COUNTER);
    let store = app.ports.store.as_ref();
    let now = app.now();
    let cached = store.get(&layout::crl()).await?;
    let (previous, version) = match &cached {
        Some(item) => {
            let record: CrlRecord =
                serde_json::from_value(item.data.clone()).map_err(|_| unreadable())?;
            (Some(record), Some(item.version))
        }
        None => (None, None),
    };
    if let Some(record) = &previous
        && record.revocations_seen == seen
        && now - record.this_update < CRL_RESIGN_AFTER
    {
        return B64.decode(&record.der).map_err(|_| unreadable());
    }
    let number = previous.as_ref().map_or(1, |r| r.number + 1);
    let revoked = revocations(app).await?;
    let pending = pki::prepare_crl(&ca, &revoked, number, now).map_err(pki_failed)?;
    let signature = app.ports.keys.ca_sign(pending.tbs()).await?;
    let crl = pending.finish(&signature).map_err(pki_failed)?;
    let der = pki::crl_to_der(&crl).map_err(pki_failed)?;
    let record = CrlRecord {
        number,
        der: B64.encode(&der),
        this_update: now,
        revocations_seen: seen,
    };
    let put = Write::Put {
        item: Item::new(
            layout::crl(),
            serde_json::to_value(record).map_err(|_| unreadable())?,
        ),
        condition: version.map_or(Condition::NotExists, Condition::Version),
    };
    match store.transact(vec![put]).await {
        Ok(()) => Ok(der),
        // Another request signed this number first: serve theirs.
        Err(StoreError::ConditionFailed { .. } | StoreError::Conflict) => {
            let item = store.get(&layout::crl()).await?.ok_or_else(unreadable)?;
            let record: CrlRecord = serde_json::from_value(item.data).map_err(|_| unreadable())?;
            B64.decode(&record.der).map_err(|_| unreadable())
        }
        Err(e) => Err(e.into()),
    }
}

/// The CRL to embed in a DSS: the current one, or — where this function may
/// not use the CA key to re-sign it (sign-document in AWS) — the last signed,
/// which the expiry sweep keeps no older than [`CRL_RESIGN_AFTER`].
pub async fn crl_for_embedding(app: &App) -> AppResult<Vec<u8>> {
    match current_crl(app).await {
        Ok(der) => Ok(der),
        Err(e) => match current_crl_if_stored(app).await? {
            Some(der) => Ok(der),
            None => Err(e),
        },
    }
}

/// The CRL as last signed, without re-signing it (`None` before the first).
pub async fn current_crl_if_stored(app: &App) -> AppResult<Option<Vec<u8>>> {
    let Some(item) = app.ports.store.get(&layout::crl()).await? else {
        return Ok(None);
    };
    let record: CrlRecord = serde_json::from_value(item.data).map_err(|_| unreadable())?;
    B64.decode(&record.der).map(Some).map_err(|_| unreadable())
}

async fn revocations(app: &App) -> AppResult<Vec<Revocation>> {
    let mut query = Query::prefix(layout::REVOKED_PARTITION, "");
    let mut out = Vec::new();
    loop {
        let page = app.ports.store.query(&query).await?;
        for item in page.items {
            let record: RevocationRecord =
                serde_json::from_value(item.data).map_err(|_| unreadable())?;
            out.push(Revocation {
                serial_hex: record.serial,
                revoked_at: record.revoked_at,
                reason: Some(RevocationReason::CessationOfOperation),
            });
        }
        match page.next {
            Some(next) => query.cursor = Some(next),
            None => return Ok(out),
        }
    }
}
