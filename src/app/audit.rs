//! The per-agreement audit trail: each entry holds the SHA-256 of the one
//! before, so editing or removing any stored entry breaks the chain.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: u64,
    pub at: DateTime<Utc>,
    /// What happened: a domain event or an app-level record (PIN reset, document revision, …).
    pub event: serde_json::Value,
    pub prev: String,
    pub hash: String,
}

/// Where the chain stands: stored with the agreement so that appending and
/// the state change commit together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub seq: u64,
    pub hash: String,
}

impl Default for AuditHead {
    fn default() -> Self {
        Self {
            seq: 0,
            hash: GENESIS.to_owned(),
        }
    }
}

fn entry_hash(seq: u64, at: &DateTime<Utc>, event: &serde_json::Value, prev: &str) -> String {
    // serde_json writes object keys in a fixed (sorted) order, so this is canonical.
    let body = serde_json::json!({"seq": seq, "at": at, "event": event, "prev": prev});
    hex::encode(Sha256::digest(body.to_string().as_bytes()))
}

impl AuditHead {
    /// The next entry after this head, and the head after it.
    pub fn append(&self, at: DateTime<Utc>, event: serde_json::Value) -> (AuditEntry, AuditHead) {
        let seq = self.seq + 1;
        let hash = entry_hash(seq, &at, &event, &self.hash);
        let entry = AuditEntry {
            seq,
            at,
            event,
            prev: self.hash.clone(),
            hash: hash.clone(),
        };
        (entry, AuditHead { seq, hash })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainCheck {
    pub valid: bool,
    /// The first entry that does not fit, when the chain is broken.
    pub broken_at: Option<u64>,
    pub head: String,
}

/// Verifies a whole chain (entries in order) against the recorded head.
pub fn verify(entries: &[AuditEntry], head: &AuditHead) -> ChainCheck {
    let mut prev = GENESIS.to_owned();
    for (i, e) in entries.iter().enumerate() {
        let expected_seq = i as u64 + 1;
        if e.seq != expected_seq
            || e.prev != prev
            || entry_hash(e.seq, &e.at, &e.event, &e.prev) != e.hash
        {
            return ChainCheck {
                valid: false,
                broken_at: Some(expected_seq),
                head: head.hash.clone(),
            };
        }
        prev = e.hash.clone();
    }
    let complete = entries.len() as u64 == head.seq && prev == head.hash;
    ChainCheck {
        valid: complete,
        broken_at: (!complete).then_some(entries.len() as u64 + 1),
        head: head.hash.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chain(n: usize) -> (Vec<AuditEntry>, AuditHead) {
        let mut head = AuditHead::default();
        let mut entries = vec![];
        for i in 0..n {
            let (e, h) = head.append(DateTime::UNIX_EPOCH, json!({"n": i}));
            entries.push(e);
            head = h;
        }
        (entries, head)
    }

    #[test]
    fn intact_chain_verifies() {
        let (entries, head) = chain(5);
        assert!(verify(&entries, &head).valid);
    }

    #[test]
    fn edited_removed_or_truncated_entries_break_it() {
        let (mut entries, head) = chain(5);
        entries[2].event = json!({"n": 99});
        assert_eq!(verify(&entries, &head).broken_at, Some(3));

        let (mut entries, head) = chain(5);
        entries.remove(1);
        assert_eq!(verify(&entries, &head).broken_at, Some(2));

        let (mut entries, head) = chain(5);
        entries.pop();
        let check = verify(&entries, &head);
        assert!(!check.valid);
        assert_eq!(check.broken_at, Some(5));
    }
}
