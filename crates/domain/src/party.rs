//! Parties: what the portal sends (`NewParty`) and what the agreement keeps (`Party`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::identity::mask_id;
use crate::ids::{Action, IdType, PartyId, Role};

/// A party as the portal describes it when creating an agreement (not yet validated).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct NewParty {
    pub role: Role,
    pub name: String,
    pub id_type: IdType,
    pub id_number: String,
    pub email: String,
    pub order: u32,
    pub action: Action,
    pub deadline: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyState {
    Invited,
    EkycPending,
    EkycVerified,
    EkycRejected,
    CertificateIssued,
    Signed,
    Reviewed,
    ChangesRequested,
    Expired,
}

impl PartyState {
    /// Signed or reviewed: the party's part is over and later orders may go.
    pub fn is_done(self) -> bool {
        matches!(self, Self::Signed | Self::Reviewed)
    }

    /// Neither done nor stopped: the party still has something to do.
    pub fn still_to_act(self) -> bool {
        !matches!(
            self,
            Self::Signed | Self::Reviewed | Self::ChangesRequested | Self::Expired
        )
    }
}

/// The eKYC provider's verdict for a party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EkycOutcome {
    Pending,
    Approved,
    Rejected,
}

/// A reviewer's answer (F3.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum ReviewDecision {
    Confirm,
    RequestChanges { comment: String },
}

/// A party of an agreement. `id_number` is normalized (MyKad `YYMMDD-PB-####`,
/// passport upper case); `email` is trimmed with its domain lower-cased.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Party {
    pub id: PartyId,
    pub role: Role,
    pub name: String,
    pub id_type: IdType,
    pub id_number: String,
    pub email: String,
    pub order: u32,
    pub action: Action,
    pub deadline: DateTime<Utc>,
    pub state: PartyState,
    pub ekyc_reference: Option<String>,
    pub certificate_serial: Option<String>,
    pub acted_at: Option<DateTime<Utc>>,
    pub comment: Option<String>,
}

// Debug is written by hand so that a logged party never shows its IC number.
impl fmt::Debug for NewParty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewParty")
            .field("role", &self.role)
            .field("name", &self.name)
            .field("id_type", &self.id_type)
            .field("id_number", &mask_id(&self.id_number))
            .field("email", &self.email)
            .field("order", &self.order)
            .field("action", &self.action)
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl fmt::Debug for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Party")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("name", &self.name)
            .field("id_type", &self.id_type)
            .field("id_number", &mask_id(&self.id_number))
            .field("email", &self.email)
            .field("order", &self.order)
            .field("action", &self.action)
            .field("deadline", &self.deadline)
            .field("state", &self.state)
            .field("ekyc_reference", &self.ekyc_reference)
            .field("certificate_serial", &self.certificate_serial)
            .field("acted_at", &self.acted_at)
            .field("comment", &self.comment)
            .finish()
    }
}
