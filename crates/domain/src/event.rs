//! What a transition produces besides the new state: events to record and act on.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::agreement::{Agreement, AgreementState};
use crate::ids::{PartyId, Step};
use crate::party::PartyState;

/// The result of a successful command: the agreement's new state and what happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub agreement: Agreement,
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    AgreementCreated,
    AgreementStateChanged {
        from: AgreementState,
        to: AgreementState,
    },
    PartyStateChanged {
        party: PartyId,
        from: PartyState,
        to: PartyState,
    },
    /// A party may now do its next step; the app turns these into emails
    /// (F1.1, F1.2/F2.1, F3.1, F3.2).
    StepOpened {
        party: PartyId,
        step: Step,
    },
    SerialFixed {
        serial: String,
    },
}
