//! A party's email status as SES reported it (kept in the agreement record,
//! set by `ses_events`).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The last thing SES said about a party's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmailDelivery {
    Delivered,
    Bounced,
    Complained,
}

impl EmailDelivery {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Bounced => "bounced",
            Self::Complained => "complained",
        }
    }
}

/// A party's email status in the agreement record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailStatus {
    pub status: EmailDelivery,
    pub at: DateTime<Utc>,
    /// SES's `bounceType` of the last bounce (`Permanent`, `Transient`, `Undetermined`).
    pub bounce_type: Option<String>,
    /// A hard bounce: nothing sent to this address arrives. Kept once set.
    #[serde(default)]
    pub undeliverable: bool,
    /// The recipient reported an email as spam. Kept once set.
    #[serde(default)]
    pub complained: bool,
    /// The SES events already applied, as `<SES message id>:<status>`.
    #[serde(default)]
    pub applied: BTreeSet<String>,
}

impl EmailStatus {
    /// Hard bounce or complaint: someone should look at this address.
    pub fn flagged(&self) -> bool {
        self.undeliverable || self.complained
    }
}
