//! Validation of a new agreement: every field, all problems reported at once.

use chrono::{DateTime, Utc};
use std::collections::HashSet;

use crate::agreement::NewAgreement;
use crate::error::FieldError;
use crate::identity::{IdError, normalize_email, normalize_mykad, normalize_passport, valid_email};
use crate::ids::{Action, IdType, Role};
use crate::party::NewParty;

pub const MAX_PARTIES: usize = 20;
const MAX_NAME_LEN: usize = 200;

/// Checks everything about a new agreement; `Err` holds every problem found.
pub fn validate_new_agreement(
    new: &NewAgreement,
    now: DateTime<Utc>,
) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    check_code(&mut errors, "project_code", &new.project_code);
    check_text(&mut errors, "project_name", &new.project_name, MAX_NAME_LEN);
    check_text(
        &mut errors,
        "developer_name",
        &new.developer_name,
        MAX_NAME_LEN,
    );
    check_code(&mut errors, "unit", &new.unit);
    check_parties(&mut errors, &new.parties, now);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The normalized id number for its type.
pub(crate) fn normalize_id(id_type: IdType, id_number: &str) -> Result<String, IdError> {
    match id_type {
        IdType::Mykad => normalize_mykad(id_number),
        IdType::Passport => normalize_passport(id_number),
    }
}

fn check_text(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    let value = value.trim();
    if value.is_empty() {
        errors.push(FieldError::new(field, "required"));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(field, "too_long"));
    } else if value.chars().any(char::is_control) {
        errors.push(FieldError::new(field, "invalid_characters"));
    }
}

/// Project codes and units go into the serial number: see [`crate::serial`].
fn check_code(errors: &mut Vec<FieldError>, field: &str, value: &str) {
    if let Some(problem) = crate::serial::code_problem(value) {
        errors.push(FieldError::new(field, problem));
    }
}

fn check_parties(errors: &mut Vec<FieldError>, parties: &[NewParty], now: DateTime<Utc>) {
    let Some(first) = parties.first() else {
        errors.push(FieldError::new("parties", "required"));
        return;
    };
    if parties.len() > MAX_PARTIES {
        errors.push(FieldError::new("parties", "too_many"));
    }
    let mut emails = HashSet::new();
    let mut id_numbers = HashSet::new();
    for (i, party) in parties.iter().enumerate() {
        let field = |name: &str| format!("parties[{i}].{name}");
        check_text(errors, &field("name"), &party.name, MAX_NAME_LEN);
        match normalize_id(party.id_type, &party.id_number) {
            Ok(id) => {
                if !id_numbers.insert((party.id_type, id)) {
                    errors.push(FieldError::new(field("id_number"), "id_number_duplicate"));
                }
            }
            Err(e) => errors.push(FieldError::new(field("id_number"), e.code())),
        }
        let email = normalize_email(&party.email);
        if !valid_email(&email) {
            errors.push(FieldError::new(field("email"), "email_invalid"));
        } else if !emails.insert(email.to_lowercase()) {
            errors.push(FieldError::new(field("email"), "email_duplicate"));
        }
        if party.deadline <= now {
            errors.push(FieldError::new(field("deadline"), "deadline_not_in_future"));
        }
    }
    // F3.1: the first signer is the first-named purchaser.
    if first.role != Role::Purchaser {
        errors.push(FieldError::new(
            "parties[0].role",
            "first_party_not_purchaser",
        ));
    }
    if first.action != Action::Sign {
        errors.push(FieldError::new(
            "parties[0].action",
            "first_party_must_sign",
        ));
    }
    if parties.iter().skip(1).any(|p| p.order <= first.order) {
        errors.push(FieldError::new("parties[0].order", "first_party_not_first"));
    }
    if !parties.iter().any(|p| p.action == Action::Sign) {
        errors.push(FieldError::new("parties", "no_signer"));
    }
}
