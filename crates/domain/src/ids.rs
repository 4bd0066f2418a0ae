//! Identifiers and the small enums every other module shares.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An agreement's id, chosen by the caller (the app layer draws it from its `Rng`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AgreementId(pub String);

/// A party's id, unique inside its agreement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PartyId(pub String);

impl fmt::Display for AgreementId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a party is to the agreement. Roles are data: they do not change the rules,
/// except that the first party must be a purchaser (the first-named purchaser, F3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Purchaser,
    DeveloperSignatory,
    Landowner,
    LandownerWitness,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdType {
    Mykad,
    Passport,
}

/// What a party does with the agreement: sign it (needs a certificate) or review it
/// (confirm or request changes, no certificate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Sign,
    Review,
}

/// The step a party may take next; each opening becomes an email (F1.1, F1.2/F2.1, F3.1, F3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Ekyc,
    Certificate,
    Sign,
    Review,
}
