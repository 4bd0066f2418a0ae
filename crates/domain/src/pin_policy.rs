//! The certificate PIN policy (F2.3, F6.2): 8–16 characters, at least one upper-case
//! letter, one lower-case letter and one symbol.

use serde::{Deserialize, Serialize};

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 16;

/// One rule a PIN breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PinRule {
    TooShort,
    TooLong,
    NoUppercase,
    NoLowercase,
    NoSymbol,
}

impl PinRule {
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooShort => "pin_too_short",
            Self::TooLong => "pin_too_long",
            Self::NoUppercase => "pin_no_uppercase",
            Self::NoLowercase => "pin_no_lowercase",
            Self::NoSymbol => "pin_no_symbol",
        }
    }
}

/// Every rule `pin` breaks, in a fixed order; empty means the PIN is acceptable.
/// Length counts characters, not bytes. A symbol is any character that is neither a
/// letter, a digit nor whitespace.
pub fn check(pin: &str) -> Vec<PinRule> {
    let len = pin.chars().count();
    let has = |test: fn(&char) -> bool| pin.chars().any(|c| test(&c));
    let mut broken = Vec::new();
    if len < MIN_LEN {
        broken.push(PinRule::TooShort);
    }
    if len > MAX_LEN {
        broken.push(PinRule::TooLong);
    }
    if !has(|c| c.is_uppercase()) {
        broken.push(PinRule::NoUppercase);
    }
    if !has(|c| c.is_lowercase()) {
        broken.push(PinRule::NoLowercase);
    }
    if !has(|c| !c.is_alphanumeric() && !c.is_whitespace()) {
        broken.push(PinRule::NoSymbol);
    }
    broken
}
