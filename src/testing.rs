//! Deterministic Clock and Rng for tests, benchmarks and reproducible output.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::ports::{Clock, Rng};

/// A clock that stands still until moved.
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    pub fn at_rfc3339(s: &str) -> Self {
        Self::new(
            DateTime::parse_from_rfc3339(s)
                .expect("valid RFC 3339")
                .with_timezone(&Utc),
        )
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().expect("clock lock") += by;
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = at;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

/// A seeded generator: SHA-256 in counter mode. Reproducible, not for production.
pub struct SeededRng {
    seed: [u8; 32],
    counter: Mutex<u64>,
}

impl SeededRng {
    pub fn new(seed: u64) -> Self {
        Self {
            seed: Sha256::digest(seed.to_be_bytes()).into(),
            counter: Mutex::new(0),
        }
    }
}

impl Rng for SeededRng {
    fn fill(&self, dest: &mut [u8]) {
        let mut counter = self.counter.lock().expect("rng lock");
        for chunk in dest.chunks_mut(32) {
            let block = Sha256::new()
                .chain_update(self.seed)
                .chain_update(counter.to_be_bytes())
                .finalize();
            chunk.copy_from_slice(&block[..chunk.len()]);
            *counter += 1;
        }
    }
}
