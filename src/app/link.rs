//! Signer link tokens: the bearer credential in each emailed link. A token
//! names one party of one agreement and an expiry (the party's deadline), and
//! is MACed with the system key (KMS GenerateMac in AWS). It carries no
//! personal data: `<base64url(json)>.<base64url(tag)>`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{AgreementId, PartyId};
use crate::error::{AppError, AppResult};
use crate::ports::Keys;

/// Domain separation: the MAC key also digests email codes.
const PURPOSE: &[u8] = b"hims-link-v1.";
/// Tokens longer than this are refused before any work.
const MAX_TOKEN_LEN: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkClaims {
    #[serde(rename = "a")]
    pub agreement: AgreementId,
    #[serde(rename = "p")]
    pub party: PartyId,
    /// Expiry, unix seconds.
    #[serde(rename = "e")]
    pub expires: i64,
}

/// The bytes a token's tag covers. Public for the fuzz target, which MACs
/// arbitrary payloads to reach the claims parser behind the MAC check.
pub fn signed_message(payload: &[u8]) -> Vec<u8> {
    [PURPOSE, payload].concat()
}

pub async fn issue(keys: &dyn Keys, claims: &LinkClaims) -> AppResult<String> {
    let payload = serde_json::to_vec(claims).map_err(|_| AppError::internal("token_encode"))?;
    let tag = keys.mac(&signed_message(&payload)).await?;
    Ok(format!("{}.{}", B64.encode(&payload), B64.encode(tag)))
}

/// Checks the MAC (constant time, in the key service) and the expiry.
pub async fn verify(keys: &dyn Keys, token: &str, now: DateTime<Utc>) -> AppResult<LinkClaims> {
    let invalid = || AppError::unauthorized("link_invalid");
    if token.len() > MAX_TOKEN_LEN {
        return Err(invalid());
    }
    let (payload, tag) = token.split_once('.').ok_or_else(invalid)?;
    let payload = B64.decode(payload).map_err(|_| invalid())?;
    let tag = B64.decode(tag).map_err(|_| invalid())?;
    if !keys.verify_mac(&signed_message(&payload), &tag).await? {
        return Err(invalid());
    }
    let claims: LinkClaims = serde_json::from_slice(&payload).map_err(|_| invalid())?;
    if now.timestamp() > claims.expires {
        return Err(AppError::new(crate::error::ErrorKind::Gone, "link_expired"));
    }
    Ok(claims)
}
