//! The eSPA agreement lifecycle of hims-esign: pure types, rules and state machines
//! (no I/O, no async). Time comes in as `now`, ids from the caller.
//!
//! An agreement lists its parties, each with an order number and an action (sign or
//! review). Everyone does eKYC first; a party acts when every party with a lower order
//! is done; signers get a certificate before signing; the first signer is the
//! first-named purchaser, whose signature fixes the serial number. See FLOW.md.
//!
//! Decisions where FLOW.md is silent:
//! - A deadline is the last instant a party may act: acting at `deadline` is in time,
//!   `expire_due` expires parties only once `now > deadline`. eKYC results after the
//!   deadline are refused too (`deadline_passed`).
//! - While changes are requested nothing moves or expires (`next_deadline` is `None`);
//!   only `cancel` remains.
//! - The full serial must extend the provisional one: `HIMS-<project>-<unit>-` followed
//!   by 1–20 ASCII letters or digits.
//! - Every command on a terminal agreement, `expire_due` included, is refused with
//!   `agreement_closed`; commands never modify `self`.
//! - `Debug` of parties masks the IC/passport number.

mod agreement;
pub mod countries;
mod error;
mod event;
pub mod identity;
mod ids;
mod party;
pub mod pin_policy;
pub mod serial;
mod time;
mod transitions;
mod validation;

pub use agreement::{Agreement, AgreementState, NewAgreement, PROVISIONAL_SUFFIX};
pub use error::{DomainError, FieldError};
pub use event::{Event, EventKind, Transition};
pub use ids::{Action, AgreementId, IdType, PartyId, Role, Step};
pub use party::{EkycOutcome, NewParty, Party, PartyState, ReviewDecision};
pub use time::malaysia_time;
pub use transitions::MAX_COMMENT_LEN;
pub use validation::{MAX_PARTIES, validate_new_agreement};
