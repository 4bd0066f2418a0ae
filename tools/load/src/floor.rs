//! The Argon2 floor: how many PIN verifications per second `threads` cores
//! manage with the product's parameters (the same `pin_hash` functions the
//! certificate and authorize requests call), nothing else running.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hims_esign::app::pin_hash;

use crate::LoadError;

#[derive(Debug, Clone, Copy)]
pub struct Floor {
    pub threads: usize,
    pub duration: Duration,
    pub per_sec: f64,
    /// Mean wall time of one verification on one thread.
    pub ms_each: f64,
}

impl Floor {
    pub fn print(&self) {
        println!(
            "argon2_verifications_per_second {:.2}  # {} threads, m={} KiB t={} p={}, {:.1} ms each",
            self.per_sec,
            self.threads,
            pin_hash::M_COST_KIB,
            pin_hash::T_COST,
            pin_hash::P_COST,
            self.ms_each
        );
    }
}

pub fn measure(threads: usize, duration: Duration) -> Result<Floor, LoadError> {
    const PIN: &[u8] = b"Rahsia#2025";
    let phc = pin_hash::hash(PIN, &[7; pin_hash::SALT_LEN])
        .map_err(|e| LoadError::Setup(format!("argon2 hash: {e}")))?;
    let done = AtomicU64::new(0);
    let failed = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                while start.elapsed() < duration {
                    match pin_hash::verify(PIN, &phc) {
                        Ok(true) => done.fetch_add(1, Ordering::Relaxed),
                        _ => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            });
        }
    });
    let elapsed = start.elapsed().as_secs_f64();
    if failed.load(Ordering::Relaxed) > 0 {
        return Err(LoadError::Check("the floor's PIN did not verify".into()));
    }
    let count = done.load(Ordering::Relaxed) as f64;
    let floor = Floor {
        threads,
        duration,
        per_sec: count / elapsed,
        ms_each: 1000.0 * elapsed * threads.max(1) as f64 / count.max(1.0),
    };
    Ok(floor)
}
