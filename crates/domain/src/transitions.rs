//! The commands that move an agreement along. Each takes the current agreement by
//! reference and returns a `Transition` (new state + events) or a `DomainError`;
//! the current agreement is never modified.

use chrono::{DateTime, Utc};

use crate::agreement::{Agreement, AgreementState, NewAgreement};
use crate::error::{DomainError, FieldError};
use crate::event::{Event, EventKind, Transition};
use crate::identity::normalize_email;
use crate::ids::{Action, AgreementId, PartyId, Step};
use crate::party::{EkycOutcome, Party, PartyState, ReviewDecision};
use crate::serial::{normalize_code, valid_suffix};
use crate::validation::{normalize_id, validate_new_agreement};

/// Longest change-request comment, in characters.
pub const MAX_COMMENT_LEN: usize = 2000;

/// A transition under construction: the new agreement and the events so far.
struct Change {
    agreement: Agreement,
    events: Vec<Event>,
    now: DateTime<Utc>,
}

impl Change {
    fn new(agreement: &Agreement, now: DateTime<Utc>) -> Self {
        Self {
            agreement: agreement.clone(),
            events: Vec::new(),
            now,
        }
    }

    fn emit(&mut self, kind: EventKind) {
        self.events.push(Event { at: self.now, kind });
    }

    fn set_party_state(&mut self, index: usize, to: PartyState) {
        let Some(party) = self.agreement.parties.get_mut(index) else {
            return;
        };
        let from = party.state;
        if from == to {
            return;
        }
        party.state = to;
        let party = party.id.clone();
        self.emit(EventKind::PartyStateChanged { party, from, to });
    }

    fn set_agreement_state(&mut self, to: AgreementState) {
        let from = self.agreement.state;
        if from == to {
            return;
        }
        self.agreement.state = to;
        if to == AgreementState::Completed {
            self.agreement.completed_at = Some(self.now);
        }
        self.emit(EventKind::AgreementStateChanged { from, to });
    }

    fn mark_acted(&mut self, index: usize) {
        if let Some(party) = self.agreement.parties.get_mut(index) {
            party.acted_at = Some(self.now);
        }
    }

    /// After a party is done: complete the agreement, or open the steps of the parties
    /// whose turn has just come (`turn_before` says whose turn it already was).
    fn advance(&mut self, turn_before: &[bool]) {
        let agreement = &self.agreement;
        if agreement.parties.iter().all(|p| p.state.is_done()) {
            self.set_agreement_state(AgreementState::Completed);
            return;
        }
        let opened: Vec<(PartyId, Step)> = agreement
            .parties
            .iter()
            .zip(turn_before)
            .filter(|(party, before)| !**before && agreement.is_turn_of(party))
            .filter_map(|(party, _)| match agreement.open_step_of(party) {
                Some(Step::Ekyc) | None => None,
                Some(step) => Some((party.id.clone(), step)),
            })
            .collect();
        for (party, step) in opened {
            self.emit(EventKind::StepOpened { party, step });
        }
    }

    fn finish(mut self) -> Transition {
        if !self.events.is_empty() {
            self.agreement.updated_at = self.now;
        }
        Transition {
            agreement: self.agreement,
            events: self.events,
        }
    }
}

fn turns(agreement: &Agreement) -> Vec<bool> {
    agreement
        .parties
        .iter()
        .map(|p| agreement.is_turn_of(p))
        .collect()
}

impl Agreement {
    /// Validates `new` and creates the agreement with every party invited to eKYC (F1.1).
    /// `party_ids` are the ids of `new.parties`, in the same order, all distinct.
    pub fn create(
        id: AgreementId,
        party_ids: Vec<PartyId>,
        new: NewAgreement,
        now: DateTime<Utc>,
    ) -> Result<Transition, DomainError> {
        let mut errors = validate_new_agreement(&new, now).err().unwrap_or_default();
        let distinct: std::collections::HashSet<&PartyId> = party_ids.iter().collect();
        if party_ids.len() != new.parties.len() || distinct.len() != party_ids.len() {
            errors.push(FieldError::new("party_ids", "party_ids_mismatch"));
        }
        if !errors.is_empty() {
            return Err(DomainError::InvalidAgreement(errors));
        }
        let parties = party_ids
            .into_iter()
            .zip(new.parties)
            .map(|(party_id, p)| {
                let id_number = normalize_id(p.id_type, &p.id_number).map_err(|e| {
                    DomainError::InvalidAgreement(vec![FieldError::new("id_number", e.code())])
                })?;
                Ok(Party {
                    id: party_id,
                    role: p.role,
                    name: p.name.trim().to_owned(),
                    id_type: p.id_type,
                    id_number,
                    email: normalize_email(&p.email),
                    order: p.order,
                    action: p.action,
                    deadline: p.deadline,
                    state: PartyState::Invited,
                    ekyc_reference: None,
                    certificate_serial: None,
                    acted_at: None,
                    comment: None,
                })
            })
            .collect::<Result<Vec<_>, DomainError>>()?;
        let agreement = Agreement {
            id,
            project_code: normalize_code(&new.project_code),
            project_name: new.project_name.trim().to_owned(),
            developer_name: new.developer_name.trim().to_owned(),
            unit: normalize_code(&new.unit),
            serial: None,
            state: AgreementState::InProgress,
            parties,
            created_at: now,
            updated_at: now,
            completed_at: None,
        };
        let mut change = Change::new(&agreement, now);
        change.emit(EventKind::AgreementCreated);
        for party in &agreement.parties {
            change.emit(EventKind::StepOpened {
                party: party.id.clone(),
                step: Step::Ekyc,
            });
        }
        Ok(change.finish())
    }

    /// Records the eKYC provider's verdict. Rejected may be retried (Pending/Approved
    /// later); Approved is final. Approval opens the certificate (signer) or review
    /// (reviewer) step when the party's turn has come (F1.2).
    pub fn record_ekyc(
        &self,
        id: &PartyId,
        outcome: EkycOutcome,
        reference: String,
        now: DateTime<Utc>,
    ) -> Result<Transition, DomainError> {
        let party = self.party_still_to_act(id, now)?;
        if !matches!(
            party.state,
            PartyState::Invited | PartyState::EkycPending | PartyState::EkycRejected
        ) {
            return Err(DomainError::InvalidTransition);
        }
        let index = self.party_index(id)?;
        let mut change = Change::new(self, now);
        let to = match outcome {
            EkycOutcome::Pending => PartyState::EkycPending,
            EkycOutcome::Approved => PartyState::EkycVerified,
            EkycOutcome::Rejected => PartyState::EkycRejected,
        };
        change.set_party_state(index, to);
        if let Some(party) = change.agreement.parties.get_mut(index) {
            party.ekyc_reference = Some(reference);
        }
        if let Some(party) = change.agreement.parties.get(index)
            && let Some(step) = change.agreement.current_step(&party.id)
            && step != Step::Ekyc
        {
            let party = party.id.clone();
            change.emit(EventKind::StepOpened { party, step });
        }
        Ok(change.finish())
    }

    /// Records the certificate issued to a signer whose eKYC is approved and whose turn
    /// has come (F2); opens the signing step.
    pub fn issue_certificate(
        &self,
        id: &PartyId,
        certificate_serial: String,
        now: DateTime<Utc>,
    ) -> Result<Transition, DomainError> {
        let party = self.party_still_to_act(id, now)?;
        if party.action != Action::Sign {
            return Err(DomainError::WrongAction);
        }
        match party.state {
            PartyState::CertificateIssued => return Err(DomainError::CertificateExists),
            PartyState::EkycVerified => {}
            _ => return Err(DomainError::EkycNotApproved),
        }
        if !self.is_turn_of(party) {
            return Err(DomainError::NotYourTurn);
        }
        let index = self.party_index(id)?;
        let mut change = Change::new(self, now);
        change.set_party_state(index, PartyState::CertificateIssued);
        if let Some(party) = change.agreement.parties.get_mut(index) {
            party.certificate_serial = Some(certificate_serial);
        }
        change.emit(EventKind::StepOpened {
            party: id.clone(),
            step: Step::Sign,
        });
        Ok(change.finish())
    }

    /// Records a signature. The first signature (the first-named purchaser's) must bring
    /// the full serial, which extends the provisional one (F4.1); later signatures may
    /// repeat it but never change it.
    pub fn sign(
        &self,
        id: &PartyId,
        full_serial: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Transition, DomainError> {
        let party = self.party_still_to_act(id, now)?;
        if party.action != Action::Sign {
            return Err(DomainError::WrongAction);
        }
        if !self.is_turn_of(party) {
            return Err(DomainError::NotYourTurn);
        }
        match party.state {
            PartyState::CertificateIssued => {}
            PartyState::EkycVerified => return Err(DomainError::CertificateRequired),
            _ => return Err(DomainError::EkycNotApproved),
        }
        let new_serial = self.check_serial(full_serial)?;
        let index = self.party_index(id)?;
        let turn_before = turns(self);
        let mut change = Change::new(self, now);
        change.set_party_state(index, PartyState::Signed);
        change.mark_acted(index);
        if let Some(serial) = new_serial {
            change.agreement.serial = Some(serial.clone());
            change.emit(EventKind::SerialFixed { serial });
        }
        change.advance(&turn_before);
        Ok(change.finish())
    }

    /// The serial this signature fixes, if it is the first one.
    fn check_serial(&self, full_serial: Option<String>) -> Result<Option<String>, DomainError> {
        match (&self.serial, full_serial) {
            (None, None) => Err(DomainError::SerialRequired),
            (None, Some(serial)) => {
                let suffix = serial.strip_prefix(&self.serial_prefix()).unwrap_or("");
                if valid_suffix(suffix) {
                    Ok(Some(serial))
                } else {
                    Err(DomainError::SerialInvalid)
                }
            }
            (Some(_), None) => Ok(None),
            (Some(fixed), Some(serial)) if *fixed == serial => Ok(None),
            (Some(_), Some(_)) => Err(DomainError::SerialMismatch),
        }
    }

    /// Records a reviewer's decision (F3.2). Confirming counts as done; requesting
    /// changes puts the whole agreement on hold (only cancellation remains).
    pub fn review(
        &self,
        id: &PartyId,
        decision: ReviewDecision,
        now: DateTime<Utc>,
    ) -> Result<Transition, DomainError> {
        let party = self.party_still_to_act(id, now)?;
        if party.action != Action::Review {
            return Err(DomainError::WrongAction);
        }
        if !self.is_turn_of(party) {
            return Err(DomainError::NotYourTurn);
        }
        if party.state != PartyState::EkycVerified {
            return Err(DomainError::EkycNotApproved);
        }
        let index = self.party_index(id)?;
        let turn_before = turns(self);
        let mut change = Change::new(self, now);
        match decision {
            ReviewDecision::Confirm => {
                change.set_party_state(index, PartyState::Reviewed);
                change.mark_acted(index);
                change.advance(&turn_before);
            }
            ReviewDecision::RequestChanges { comment } => {
                let comment = comment.trim();
                if comment.is_empty() {
                    return Err(DomainError::CommentRequired);
                }
                if comment.chars().count() > MAX_COMMENT_LEN {
                    return Err(DomainError::CommentTooLong);
                }
                change.set_party_state(index, PartyState::ChangesRequested);
                change.mark_acted(index);
                if let Some(party) = change.agreement.parties.get_mut(index) {
                    party.comment = Some(comment.to_owned());
                }
                change.set_agreement_state(AgreementState::ChangesRequested);
            }
        }
        Ok(change.finish())
    }

    /// Expires every party past its deadline that still had to act, and with them the
    /// agreement. Nothing due (or on hold after a change request): no events.
    pub fn expire_due(&self, now: DateTime<Utc>) -> Result<Transition, DomainError> {
        if self.state.is_terminal() {
            return Err(DomainError::AgreementClosed);
        }
        let mut change = Change::new(self, now);
        if self.state != AgreementState::InProgress {
            return Ok(change.finish());
        }
        let due: Vec<usize> = (self.parties.iter().enumerate())
            .filter(|(_, p)| p.state.still_to_act() && now > p.deadline)
            .map(|(index, _)| index)
            .collect();
        for &index in &due {
            change.set_party_state(index, PartyState::Expired);
        }
        if !due.is_empty() {
            change.set_agreement_state(AgreementState::Expired);
        }
        Ok(change.finish())
    }

    /// Cancels an agreement in progress or on hold.
    pub fn cancel(&self, now: DateTime<Utc>) -> Result<Transition, DomainError> {
        if self.state.is_terminal() {
            return Err(DomainError::AgreementClosed);
        }
        let mut change = Change::new(self, now);
        change.set_agreement_state(AgreementState::Cancelled);
        Ok(change.finish())
    }
}
