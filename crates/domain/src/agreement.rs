//! The agreement aggregate and its read-only questions (turn, step, deadlines).
//! The commands that change it live in `transitions`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ids::{Action, AgreementId, PartyId, Step};
use crate::party::{NewParty, Party, PartyState};

/// Stands in for the serial suffix until the first signature fixes it (F4.1).
pub const PROVISIONAL_SUFFIX: &str = "______";

/// An agreement as the portal describes it (not yet validated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAgreement {
    pub project_code: String,
    pub project_name: String,
    pub developer_name: String,
    pub unit: String,
    pub parties: Vec<NewParty>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementState {
    InProgress,
    ChangesRequested,
    Completed,
    Expired,
    Cancelled,
}

impl AgreementState {
    /// Completed, expired and cancelled agreements never change again.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Expired | Self::Cancelled)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    pub id: AgreementId,
    pub project_code: String,
    pub project_name: String,
    pub developer_name: String,
    pub unit: String,
    /// The full serial, fixed by the first signature; `None` while provisional.
    pub serial: Option<String>,
    pub state: AgreementState,
    /// In the order the portal listed them; the first is the first-named purchaser.
    pub parties: Vec<Party>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl Agreement {
    /// The part of the serial known before the first signature, e.g. `HIMS-20165-9-B-10-02-`.
    pub fn serial_prefix(&self) -> String {
        format!(
            "{}{}-{}-",
            crate::serial::SERIAL_PREFIX,
            self.project_code,
            self.unit
        )
    }

    /// The full serial, or the provisional form `HIMS-20165-9-B-10-02-______`.
    pub fn serial_display(&self) -> String {
        match &self.serial {
            Some(serial) => serial.clone(),
            None => format!("{}{PROVISIONAL_SUFFIX}", self.serial_prefix()),
        }
    }

    pub fn party(&self, id: &PartyId) -> Option<&Party> {
        self.parties.iter().find(|p| &p.id == id)
    }

    pub(crate) fn party_index(&self, id: &PartyId) -> Result<usize, DomainError> {
        self.parties
            .iter()
            .position(|p| &p.id == id)
            .ok_or(DomainError::UnknownParty)
    }

    /// Neither terminal nor anything else: in progress or waiting after a change request.
    pub fn is_open(&self) -> bool {
        !self.state.is_terminal()
    }

    /// Whether every party with a lower order number is done (signed or reviewed).
    /// Parties with equal order numbers act in parallel. False for an unknown party.
    pub fn is_turn(&self, id: &PartyId) -> bool {
        self.party(id).is_some_and(|p| self.is_turn_of(p))
    }

    pub(crate) fn is_turn_of(&self, party: &Party) -> bool {
        self.parties
            .iter()
            .filter(|other| other.order < party.order)
            .all(|other| other.state.is_done())
    }

    /// Whether the party may act now: the agreement is in progress, the party still has
    /// to act, its turn has come and its deadline has not passed.
    pub fn can_act(&self, id: &PartyId, now: DateTime<Utc>) -> Result<(), DomainError> {
        let party = self.party_still_to_act(id, now)?;
        if !self.is_turn_of(party) {
            return Err(DomainError::NotYourTurn);
        }
        Ok(())
    }

    /// Whether the party may still manage its credentials (PIN reset and its
    /// email code): as [`Self::can_act`] but before its turn too.
    pub fn still_to_act(&self, id: &PartyId, now: DateTime<Utc>) -> Result<(), DomainError> {
        self.party_still_to_act(id, now).map(|_| ())
    }

    /// The checks every command on a party shares, all but the turn: the party exists,
    /// the agreement is in progress, the party still has to act, and in time.
    pub(crate) fn party_still_to_act(
        &self,
        id: &PartyId,
        now: DateTime<Utc>,
    ) -> Result<&Party, DomainError> {
        let party = self.party(id).ok_or(DomainError::UnknownParty)?;
        match self.state {
            AgreementState::InProgress => {}
            AgreementState::ChangesRequested => return Err(DomainError::ChangesRequested),
            _ => return Err(DomainError::AgreementClosed),
        }
        if party.state.is_done() {
            return Err(DomainError::AlreadyDone);
        }
        if !party.state.still_to_act() {
            return Err(DomainError::InvalidTransition);
        }
        if now > party.deadline {
            return Err(DomainError::DeadlinePassed);
        }
        Ok(party)
    }

    /// The step the party may take now, if any (for the signer's page and reminders).
    pub fn current_step(&self, id: &PartyId) -> Option<Step> {
        let party = self.party(id)?;
        if self.state != AgreementState::InProgress {
            return None;
        }
        self.open_step_of(party)
    }

    /// The step a party in its turn may take, given its state.
    pub(crate) fn open_step_of(&self, party: &Party) -> Option<Step> {
        match party.state {
            PartyState::Invited | PartyState::EkycPending | PartyState::EkycRejected => {
                Some(Step::Ekyc)
            }
            PartyState::EkycVerified if self.is_turn_of(party) => Some(match party.action {
                Action::Sign => Step::Certificate,
                Action::Review => Step::Review,
            }),
            PartyState::CertificateIssued if self.is_turn_of(party) => Some(Step::Sign),
            _ => None,
        }
    }

    /// The earliest deadline of a party that still has to act while the agreement is in
    /// progress: the key of the due-time index. `None` when nothing can expire.
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        if self.state != AgreementState::InProgress {
            return None;
        }
        self.parties
            .iter()
            .filter(|p| p.state.still_to_act())
            .map(|p| p.deadline)
            .min()
    }
}
