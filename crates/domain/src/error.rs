//! The errors of the agreement lifecycle. Every variant has a stable snake_case
//! `code()` the HTTP layer sends to clients; Display texts never hold personal data.

use serde::Serialize;
use thiserror::Error;

/// One problem with one field of a new agreement, e.g. `parties[1].email` /
/// `email_duplicate`. Validation reports all of them at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str) -> Self {
        Self {
            field: field.into(),
            code,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error("the agreement has no such party")]
    UnknownParty,
    #[error("the agreement is closed")]
    AgreementClosed,
    #[error("changes were requested; the agreement is on hold until it is cancelled")]
    ChangesRequested,
    #[error("the party has already acted")]
    AlreadyDone,
    #[error("it is not yet this party's turn")]
    NotYourTurn,
    #[error("the party's deadline has passed")]
    DeadlinePassed,
    #[error("the party's eKYC is not approved")]
    EkycNotApproved,
    #[error("the party already has a certificate")]
    CertificateExists,
    #[error("the party needs a certificate before signing")]
    CertificateRequired,
    #[error("this action is not the one the party was asked to do")]
    WrongAction,
    #[error("a change request needs a comment")]
    CommentRequired,
    #[error("the comment is too long")]
    CommentTooLong,
    #[error("the first signature must fix the full serial number")]
    SerialRequired,
    #[error("the serial number must extend the agreement's provisional serial")]
    SerialInvalid,
    #[error("the serial number is already fixed and cannot change")]
    SerialMismatch,
    #[error("this step does not apply to the party's current state")]
    InvalidTransition,
    #[error("the agreement is invalid ({} problems)", .0.len())]
    InvalidAgreement(Vec<FieldError>),
}

impl DomainError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownParty => "unknown_party",
            Self::AgreementClosed => "agreement_closed",
            Self::ChangesRequested => "changes_requested",
            Self::AlreadyDone => "already_done",
            Self::NotYourTurn => "not_your_turn",
            Self::DeadlinePassed => "deadline_passed",
            Self::EkycNotApproved => "ekyc_not_approved",
            Self::CertificateExists => "certificate_exists",
            Self::CertificateRequired => "certificate_required",
            Self::WrongAction => "wrong_action",
            Self::CommentRequired => "comment_required",
            Self::CommentTooLong => "comment_too_long",
            Self::SerialRequired => "serial_required",
            Self::SerialInvalid => "serial_invalid",
            Self::SerialMismatch => "serial_mismatch",
            Self::InvalidTransition => "invalid_transition",
            Self::InvalidAgreement(_) => "invalid_agreement",
        }
    }

    /// The field problems of an `invalid_agreement` error, empty otherwise.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Self::InvalidAgreement(errors) => errors,
            _ => &[],
        }
    }
}
