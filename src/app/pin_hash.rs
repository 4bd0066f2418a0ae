//! Certificate PINs at rest: Argon2id in PHC string form. Parameters are at
//! least OWASP's minimum for Argon2id (m = 19 MiB, t = 2, p = 1); the salt
//! comes from the `Rng` port. Hashing is slow on purpose: call it from
//! `spawn_blocking` (see [`hash_blocking`]).

use std::sync::OnceLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::Semaphore;
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

/// Argon2 runs at once: one per core. More only queue on the cores while each
/// holds its 19 MiB (64 concurrent PIN checks made a 2.4 GB server).
fn cores() -> &'static Semaphore {
    static CORES: OnceLock<Semaphore> = OnceLock::new();
    CORES.get_or_init(|| {
        Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZero::get))
    })
}

/// Runs `work` on the blocking pool once a core is free, so a request's
/// Argon2 run never stalls the runtime.
async fn on_a_core<T: Send + 'static>(
    work: impl FnOnce() -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    let failed = || AppError::internal("pin_hash_failed");
    let _core = cores().acquire().await.map_err(|_| failed())?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| failed())?
}

/// [`hash`] on the blocking pool, one run per core at a time.
pub async fn hash_blocking(pin: Zeroizing<String>, salt: [u8; SALT_LEN]) -> AppResult<String> {
    on_a_core(move || hash(pin.as_bytes(), &salt)).await
}

/// [`verify`] on the blocking pool, one run per core at a time.
pub async fn verify_blocking(pin: Zeroizing<String>, phc: String) -> AppResult<bool> {
    on_a_core(move || verify(pin.as_bytes(), &phc)).await
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
