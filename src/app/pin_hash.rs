//! Certificate PINs at rest: Argon2id in PHC string form. Parameters are at
//! least OWASP's minimum for Argon2id (m = 19 MiB, t = 2, p = 1); the salt
//! comes from the `Rng` port. Hashing is slow on purpose: async callers use
//! [`hash_blocking`] and [`verify_blocking`], which run it on threads of its own.

use std::sync::{Arc, Mutex, OnceLock, mpsc};

use std::cell::RefCell;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use subtle::ConstantTimeEq;
use tokio::sync::oneshot;
use zeroize::Zeroizing;

use crate::error::{AppError, AppResult};

/// Memory cost in KiB (19 MiB).
pub const M_COST_KIB: u32 = 19_456;
pub const T_COST: u32 = 2;
pub const P_COST: u32 = 1;
pub const OUTPUT_LEN: usize = 32;
pub const SALT_LEN: usize = 16;

thread_local! {
    /// Argon2's working memory, kept by each thread that hashes. Left to argon2, every run
    /// maps 19 MiB afresh whenever the allocator has handed the block back to the kernel:
    /// 900,000 page faults in one load run, and 25–40 % more CPU per PIN check.
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs Argon2 into `out` with this thread's reused working memory.
fn argon2_into(
    argon2: &Argon2<'_>,
    params: &Params,
    pin: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> bool {
    BLOCKS.with_borrow_mut(|blocks| {
        let count = params.block_count();
        if blocks.len() < count {
            blocks.resize(count, Block::default());
        }
        argon2
            .hash_password_into_with_memory(pin, salt, out, &mut blocks[..count])
            .is_ok()
    })
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) of `pin`.
pub fn hash(pin: &[u8], salt: &[u8; SALT_LEN]) -> AppResult<String> {
    let failed = || AppError::internal("pin_hash_failed");
    let params = Params::new(M_COST_KIB, T_COST, P_COST, Some(OUTPUT_LEN)).map_err(|_| failed())?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = [0u8; OUTPUT_LEN];
    if !argon2_into(&argon2, &params, pin, salt, &mut out) {
        return Err(failed());
    }
    Ok(format!(
        "$argon2id$v=19$m={M_COST_KIB},t={T_COST},p={P_COST}${}${}",
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(out)
    ))
}

/// Whether `pin` matches the stored PHC string (compared in constant time).
/// The algorithm, version and parameters are read from the string, so hashes
/// made with older parameters keep verifying.
pub fn verify(pin: &[u8], phc: &str) -> AppResult<bool> {
    let unreadable = || AppError::internal("pin_hash_unreadable");
    let parsed = PasswordHash::new(phc).map_err(|_| unreadable())?;
    let algorithm = Algorithm::try_from(parsed.algorithm.as_str()).map_err(|_| unreadable())?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).map_err(|_| unreadable())?,
        None => Version::default(),
    };
    let params = Params::try_from(&parsed).map_err(|_| unreadable())?;
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return Err(unreadable());
    };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    if !argon2_into(&argon2, &params, pin, salt, &mut out) {
        return Err(unreadable());
    }
    Ok(out.ct_eq(expected.as_bytes()).into())
}

type Job = Box<dyn FnOnce() + Send>;

/// Argon2 runs on a few threads of its own, one per core. More would only queue on the
/// cores while each held its 19 MiB; and on tokio's blocking pool every thread that ever
/// ran a hash kept its own malloc arena with a freed 19 MiB block in it (64 concurrent
/// PIN checks made a 1.4 GB server). A fixed set of threads reuses the same few blocks.
fn workers() -> &'static mpsc::Sender<Job> {
    static WORKERS: OnceLock<mpsc::Sender<Job>> = OnceLock::new();
    WORKERS.get_or_init(|| {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        for n in 0..cores {
            let queue = Arc::clone(&queue);
            let next = move || queue.lock().ok().and_then(|q| q.recv().ok());
            // A thread that cannot start leaves the others to do the work.
            let _ = std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    while let Some(job) = next() {
                        job();
                    }
                });
        }
        jobs
    })
}

/// Runs `work` on an Argon2 thread, so a request's Argon2 run never stalls the runtime.
async fn on_a_core<T: Send + 'static>(
    work: impl FnOnce() -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    let failed = || AppError::internal("pin_hash_failed");
    let (reply, answer) = oneshot::channel();
    let job: Job = Box::new(move || {
        // A panic drops `reply`, which the caller sees as a failure; the thread lives on.
        if let Ok(result) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
            let _ = reply.send(result);
        }
    });
    workers().send(job).map_err(|_| failed())?;
    answer.await.map_err(|_| failed())?
}

/// [`hash`] on an Argon2 thread, one run per core at a time.
pub async fn hash_blocking(pin: Zeroizing<String>, salt: [u8; SALT_LEN]) -> AppResult<String> {
    on_a_core(move || hash(pin.as_bytes(), &salt)).await
}

/// [`verify`] on an Argon2 thread, one run per core at a time.
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

    #[tokio::test]
    async fn concurrent_checks_on_the_argon2_threads_each_get_their_own_answer() {
        let phc = hash(b"Rahsia#2025", &[7; SALT_LEN]).expect("hash");
        let checks: Vec<_> = (0..6)
            .map(|n| {
                let pin = if n % 2 == 0 {
                    "Rahsia#2025"
                } else {
                    "Salah#2025"
                };
                tokio::spawn(verify_blocking(Zeroizing::new(pin.to_owned()), phc.clone()))
            })
            .collect();
        let mut answers = Vec::new();
        for check in checks {
            answers.push(check.await.expect("task").expect("verify"));
        }
        assert_eq!(answers, [true, false, true, false, true, false]);
    }

    #[tokio::test]
    async fn a_panicking_job_is_a_failure_and_the_threads_carry_on() {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        for _ in 0..=cores {
            let err = on_a_core(|| -> AppResult<()> { panic!("boom") }).await;
            assert!(err.is_err());
        }
        assert!(on_a_core(|| Ok(42)).await.is_ok_and(|n| n == 42));
    }

    #[test]
    fn hashes_are_the_argon2_crates_own_phc_strings_and_verify_either_way() {
        use argon2::{PasswordHasher, PasswordVerifier};
        let salt = [9; SALT_LEN];
        let params = Params::new(M_COST_KIB, T_COST, P_COST, Some(OUTPUT_LEN)).expect("params");
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_with_salt(b"Rahsia#2025", &salt)
            .expect("hash")
            .to_string();
        let ours = hash(b"Rahsia#2025", &salt).expect("hash");
        assert_eq!(ours, theirs);
        let parsed = PasswordHash::new(&ours).expect("phc");
        assert!(
            Argon2::default()
                .verify_password(b"Rahsia#2025", &parsed)
                .is_ok()
        );
        // Other parameters and Argon2i, as hashes made before a parameter change would be.
        let older = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(8_192, 3, 1, Some(24)).expect("params"),
        )
        .hash_password_with_salt(b"Rahsia#2025", &salt)
        .expect("hash")
        .to_string();
        assert!(verify(b"Rahsia#2025", &older).expect("verify"));
        assert!(!verify(b"Rahsia#2024", &older).expect("verify"));
    }

    #[test]
    fn an_unreadable_hash_is_an_error_not_a_match() {
        assert!(verify(b"x", "not a phc string").is_err());
    }
}
