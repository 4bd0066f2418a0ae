//! Who is calling: the portal (bearer token) or a signer (link token).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::ApiState;
use crate::error::AppError;

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The HIMS portal, authenticated by its bearer token (constant-time compare).
pub struct Portal;

impl FromRequestParts<ApiState> for Portal {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or_else(|| AppError::unauthorized("token_missing"))?;
        if state.app.settings.portal_token.matches(token.as_bytes()) {
            Ok(Portal)
        } else {
            Err(AppError::unauthorized("token_invalid"))
        }
    }
}

/// A signer's link token whose MAC and expiry have been checked, so a forged
/// or expired link is refused before the body is even looked at. (The use
/// case resolves it again to its agreement and party.)
pub struct SignerToken(pub String);

impl FromRequestParts<ApiState> for SignerToken {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or_else(|| AppError::unauthorized("token_missing"))?;
        crate::app::link::verify(state.app.ports.keys.as_ref(), token, state.app.now()).await?;
        Ok(SignerToken(token.to_owned()))
    }
}
