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

/// Writes `total` copies of the example agreement straight into `store`, 100
/// per transaction, `due` of them with deadlines that have passed by
/// `now + 30 days`; returns that time. For the sweep's scale test and benchmark.
pub async fn fill_agreements(
    store: &dyn crate::ports::Store,
    now: DateTime<Utc>,
    total: usize,
    due: usize,
) -> crate::error::AppResult<DateTime<Utc>> {
    use crate::app::repo::{self, AgreementRecord};
    use crate::domain::{Agreement, AgreementId, NewAgreement, PartyId};
    use crate::ports::{Condition, Write};

    let template: NewAgreement = serde_json::from_value(crate::example::create_request(now))
        .map_err(|_| crate::error::AppError::internal("example_unreadable"))?;
    let mut writes = Vec::new();
    for n in 0..total {
        let mut new = template.clone();
        let days = if n < due { 20 } else { 60 };
        for party in &mut new.parties {
            party.deadline = now + Duration::days(days);
        }
        let ids = (0..new.parties.len())
            .map(|p| PartyId(format!("pty_{n}_{p}")))
            .collect();
        let agreement = Agreement::create(AgreementId(format!("agr_{n:07}")), ids, new, now)?;
        let record = AgreementRecord {
            agreement: agreement.agreement,
            developer_email: None,
            audit: Default::default(),
            revisions: vec![],
            reminder_offsets_secs: vec![],
            reminders_done: Default::default(),
            email_status: Default::default(),
            archive_due: None,
        };
        writes.push(Write::Put {
            item: repo::agreement_item(&record),
            condition: Condition::NotExists,
        });
        if writes.len() == 100 || n + 1 == total {
            store.transact(std::mem::take(&mut writes)).await?;
        }
    }
    Ok(now + Duration::days(30))
}
