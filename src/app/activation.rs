//! Signature activations (the CSC API's SCAL2 "SAD"): what a successful
//! PIN + second factor buys — one signature by one party over one document
//! hash, within five minutes. The value is 256 random bits, shown once and
//! stored only as its SHA-256. Consuming it is a conditional write made in
//! the same transaction as the signature's state change, so an activation
//! signs exactly once, and a retry finds the result it already produced.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::App;
use crate::domain::{AgreementId, PartyId};
use crate::error::{AppError, AppResult, ErrorKind};
use crate::ports::{Condition, Item, Key, Write};

pub const VALID_FOR: Duration = Duration::minutes(5);

/// How the signer proved the second factor (kept for the certificate of completion).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    Totp,
    EmailCode,
}

/// What a used activation produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub revision: u32,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activation {
    pub agreement: AgreementId,
    pub party: PartyId,
    pub document_sha256: String,
    pub factor: Factor,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used: Option<Outcome>,
}

pub struct Stored {
    pub activation: Activation,
    key: Key,
    version: u64,
}

fn key_of(value: &str) -> Key {
    Key::new(
        format!("ACT#{}", hex::encode(Sha256::digest(value.as_bytes()))),
        "ACT",
    )
}

/// A fresh activation for `party` over `document_sha256`; returns the value to hand out.
pub async fn issue(
    app: &App,
    agreement: &AgreementId,
    party: &PartyId,
    document_sha256: &str,
    factor: Factor,
) -> AppResult<(String, DateTime<Utc>)> {
    let mut raw = [0u8; 32];
    app.ports.rng.fill(&mut raw);
    let value = B64.encode(raw);
    let now = app.now();
    let activation = Activation {
        agreement: agreement.clone(),
        party: party.clone(),
        document_sha256: document_sha256.to_owned(),
        factor,
        issued_at: now,
        expires_at: now + VALID_FOR,
        used: None,
    };
    let mut item = Item::new(
        key_of(&value),
        serde_json::to_value(&activation).unwrap_or_default(),
    );
    // Kept a day after expiry so a late retry still finds its outcome; the store's TTL removes it later.
    item.expires_at = Some((activation.expires_at + Duration::days(1)).timestamp());
    app.ports
        .store
        .transact(vec![Write::Put {
            item,
            condition: Condition::NotExists,
        }])
        .await?;
    Ok((value, activation.expires_at))
}

/// Finds an activation for this party. A used one is returned as is (its
/// outcome answers a retry); an unused one must be unexpired and for this document.
pub async fn load(
    app: &App,
    value: &str,
    agreement: &AgreementId,
    party: &PartyId,
    document_sha256: &str,
) -> AppResult<Stored> {
    let invalid = || AppError::new(ErrorKind::Forbidden, "activation_invalid");
    if value.len() > 64 {
        return Err(invalid());
    }
    let key = key_of(value);
    let item = app.ports.store.get(&key).await?.ok_or_else(invalid)?;
    let activation: Activation = serde_json::from_value(item.data).map_err(|_| invalid())?;
    if &activation.agreement != agreement || &activation.party != party {
        return Err(invalid());
    }
    if activation.used.is_none() {
        if activation.expires_at <= app.now() {
            return Err(AppError::new(ErrorKind::Gone, "activation_expired"));
        }
        if activation.document_sha256 != document_sha256 {
            return Err(AppError::conflict("activation_wrong_document"));
        }
    }
    Ok(Stored {
        activation,
        key,
        version: item.version,
    })
}

/// The write that marks it used (fails the transaction if anyone used it first).
pub fn consume(stored: &Stored, outcome: Outcome) -> Write {
    let activation = Activation {
        used: Some(outcome),
        ..stored.activation.clone()
    };
    let mut item = Item::new(
        stored.key.clone(),
        serde_json::to_value(&activation).unwrap_or_default(),
    );
    item.expires_at = Some((activation.expires_at + Duration::days(1)).timestamp());
    Write::Put {
        item,
        condition: Condition::Version(stored.version),
    }
}
