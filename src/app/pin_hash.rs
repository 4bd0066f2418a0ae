//! Certificate PINs at rest: Argon2id in PHC string form. Parameters are at
//! least OWASP's minimum for Argon2id (m = 19 MiB, t = 2, p = 1); the salt
//! comes from the `Rng` port. Hashing is slow on purpose: call it from
//! `spawn_blocking` (see [`hash_blocking`]).

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use zeroize::Zeroizing;

use crate::error::{AppError, AppResult};

/// Memory cost in KiB (19 MiB).
pub const M_COST_KIB: u32 = 19_456;
pub const T_COST: u32 = 2;
pub const P_COST: u32 = 1;
pub const OUTPUT_LEN: usize = 32;
pub const SALT_LEN: usize = 16;

fn hasher() -> AppResult<Argon2<'static>> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, Some(OUTPUT_LEN))
        .map_err(|_| AppError::internal("pin_hash_failed"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) of `pin`.
pub fn hash(pin: &[u8], salt: &[u8; SALT_LEN]) -> AppResult<String> {
    let hashed = hasher()?
        .hash_password_with_salt(pin, salt)
        .map_err(|_| AppError::internal("pin_hash_failed"))?;
    Ok(hashed.to_string())
}

/// Whether `pin` matches the stored PHC string (constant-time comparison
/// inside argon2). The parameters are read from the string, so hashes made
/// with older parameters keep verifying.
pub fn verify(pin: &[u8], phc: &str) -> AppResult<bool> {
    let parsed = PasswordHash::new(phc).map_err(|_| AppError::internal("pin_hash_unreadable"))?;
    Ok(Argon2::default().verify_password(pin, &parsed).is_ok())
}

/// [`hash`] on the blocking pool, so a request's Argon2 run never stalls the runtime.
pub async fn hash_blocking(pin: Zeroizing<String>, salt: [u8; SALT_LEN]) -> AppResult<String> {
    tokio::task::spawn_blocking(move || hash(pin.as_bytes(), &salt))
        .await
        .map_err(|_| AppError::internal("pin_hash_failed"))?
}

/// [`verify`] on the blocking pool.
pub async fn verify_blocking(pin: Zeroizing<String>, phc: String) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || verify(pin.as_bytes(), &phc))
        .await
        .map_err(|_| AppError::internal("pin_hash_failed"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_with_the_stated_parameters_round_trips() {
        let phc = hash(b"Rahsia#2025", &[7; SALT_LEN]).expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify(b"Rahsia#2025", &phc).expect("verify"));
        assert!(!verify(b"Rahsia#2026", &phc).expect("verify"));
        assert_ne!(phc, hash(b"Rahsia#2025", &[8; SALT_LEN]).expect("hash"));
    }

    #[test]
    fn an_unreadable_hash_is_an_error_not_a_match() {
        assert!(verify(b"x", "not a phc string").is_err());
    }
}
