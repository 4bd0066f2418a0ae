//! Where things live in the one table: every key pattern in one place
//! (documented for DynamoDB in `infra/README.md`).

use chrono::{DateTime, Utc};

use crate::domain::{AgreementId, PartyId};
use crate::ports::{IndexKey, Key};

/// Shards of the due index, so that one hot partition never takes every
/// deadline write. The sweep reads all shards.
pub const DUE_SHARDS: u32 = 4;

/// A time that sorts as text (fixed width, UTC).
pub fn sortable(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub fn agreement(id: &AgreementId) -> Key {
    Key::new(format!("AGR#{}", id.0), "META")
}

pub fn audit_entry(id: &AgreementId, seq: u64) -> Key {
    Key::new(format!("AGR#{}", id.0), format!("AUDIT#{seq:010}"))
}

pub fn audit_prefix(id: &AgreementId) -> (String, &'static str) {
    (format!("AGR#{}", id.0), "AUDIT#")
}

pub fn party_secrets(agreement: &AgreementId, party: &PartyId) -> Key {
    Key::new(format!("AGR#{}", agreement.0), format!("PARTY#{}", party.0))
}

pub fn idempotency(key: &str) -> Key {
    Key::new(format!("IDEM#{key}"), "IDEM")
}

pub fn serial(serial: &str) -> Key {
    Key::new(format!("SERIAL#{serial}"), "SERIAL")
}

pub fn serial_counter(project_code: &str) -> Key {
    Key::new(format!("SEQ#{project_code}"), "SEQ")
}

/// The serial number allocated to one agreement (so a retried first signature reuses it).
pub fn serial_claim(agreement: &AgreementId) -> Key {
    Key::new(format!("AGR#{}", agreement.0), "SERIAL")
}

/// The agreement's certificate of completion, once made.
pub fn completion(agreement: &AgreementId) -> Key {
    Key::new(format!("AGR#{}", agreement.0), "COMPLETION")
}

/// The timestamp authority's current certificate (its key is in `Keys`).
pub fn tsa_certificate() -> Key {
    Key::new("SYSTEM", "TSA")
}

/// The system's own signing certificate and encrypted key (signs certificates of completion).
pub fn system_signer() -> Key {
    Key::new("SYSTEM", "SIGNER")
}

pub fn replay_guard(digest_hex: &str) -> Key {
    Key::new(format!("REPLAY#{digest_hex}"), "REPLAY")
}

pub fn outbox(id: &str) -> Key {
    Key::new(format!("OUTBOX#{id}"), "MSG")
}

/// The listing index: every agreement by last update.
pub const LIST_PARTITION: &str = "AGREEMENTS";

pub fn list_entry(id: &AgreementId, updated_at: DateTime<Utc>) -> IndexKey {
    IndexKey {
        pk: LIST_PARTITION.to_owned(),
        sk: format!("{}#{}", sortable(updated_at), id.0),
    }
}

pub const OUTBOX_PARTITION: &str = "OUTBOX";

pub fn outbox_due(id: &str, at: DateTime<Utc>) -> IndexKey {
    IndexKey {
        pk: OUTBOX_PARTITION.to_owned(),
        sk: format!("{}#{id}", sortable(at)),
    }
}

pub fn deadline_shard(id: &AgreementId) -> String {
    let h =
        id.0.bytes()
            .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("DUE#{}", h % DUE_SHARDS)
}

pub fn deadline_due(id: &AgreementId, at: DateTime<Utc>) -> IndexKey {
    IndexKey {
        pk: deadline_shard(id),
        sk: format!("{}#{}", sortable(at), id.0),
    }
}

/// The upper bound (exclusive) of index sort keys due at or before `now`.
pub fn due_until(now: DateTime<Utc>) -> String {
    format!("{}#~", sortable(now))
}

/// The CA certificate; its `revocations` counter bumps with every revocation.
pub fn ca() -> Key {
    Key::new("CA", "CERT")
}

/// The last signed CRL, re-signed when stale or when revocations changed.
pub fn crl() -> Key {
    Key::new("CA", "CRL")
}

/// One revoked certificate, by serial (lower-case hex).
pub fn revocation(serial_hex: &str) -> Key {
    Key::new(REVOKED_PARTITION, serial_hex)
}

pub const REVOKED_PARTITION: &str = "CA#REVOKED";

/// A TOTP time step a party has used (each code is accepted once).
pub fn totp_used(agreement: &AgreementId, party: &PartyId, step: u64) -> Key {
    Key::new(
        format!("AGR#{}", agreement.0),
        format!("TOTPUSED#{}#{step}", party.0),
    )
}

/// A party's current email verification code for one purpose (`sign`, `pin_reset`).
pub fn email_code(agreement: &AgreementId, party: &PartyId, purpose: &str) -> Key {
    Key::new(
        format!("AGR#{}", agreement.0),
        format!("OTP#{}#{purpose}", party.0),
    )
}

/// When a party's recent email codes were sent (resend cooldown, hourly cap).
pub fn email_code_sends(agreement: &AgreementId, party: &PartyId) -> Key {
    Key::new(
        format!("AGR#{}", agreement.0),
        format!("OTPSENT#{}", party.0),
    )
}

/// A party's second-factor attempts in one fixed time window.
pub fn factor_attempts(agreement: &AgreementId, party: &PartyId, window: i64) -> Key {
    Key::new(
        format!("AGR#{}", agreement.0),
        format!("FACTOR#{}#{window}", party.0),
    )
}
