//! Fixtures shared by the integration tests: a fixed clock, valid parties, and a
//! helper that applies commands and keeps the latest state.
#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use hims_domain::{
    Action, Agreement, AgreementId, DomainError, EkycOutcome, Event, IdType, NewAgreement,
    NewParty, PartyId, ReviewDecision, Role, Transition,
};

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 5, 1, 2, 0, 0)
        .single()
        .expect("fixed test time")
}

pub fn deadline() -> DateTime<Utc> {
    t0() + Duration::days(30)
}

/// A valid party; `n` makes its IC number and email unique.
pub fn party(n: u32, role: Role, action: Action, order: u32) -> NewParty {
    NewParty {
        role,
        name: format!("Party Number {n}"),
        id_type: IdType::Mykad,
        id_number: format!("900101145{n:03}"),
        email: format!("party{n}@Example.COM"),
        order,
        action,
        deadline: deadline(),
    }
}

pub fn agreement_with(parties: Vec<NewParty>) -> NewAgreement {
    NewAgreement {
        project_code: "20165-9".into(),
        project_name: "PARKLAND AVENUE".into(),
        developer_name: "PARKLAND AVENUE SDN. BHD.".into(),
        unit: "B-10-02".into(),
        parties,
    }
}

/// First purchaser (1), second purchaser (2), developer signatory and landowner
/// witness in parallel (3).
pub fn example() -> NewAgreement {
    agreement_with(vec![
        party(0, Role::Purchaser, Action::Sign, 1),
        party(1, Role::Purchaser, Action::Sign, 2),
        party(2, Role::DeveloperSignatory, Action::Sign, 3),
        party(3, Role::LandownerWitness, Action::Review, 3),
    ])
}

pub fn pid(i: usize) -> PartyId {
    PartyId(format!("p{i}"))
}

pub fn full_serial() -> String {
    "HIMS-20165-9-B-10-02-000123".into()
}

/// An agreement under test plus the clock; `apply` keeps the new state on success.
pub struct Scenario {
    pub agreement: Agreement,
    pub now: DateTime<Utc>,
}

impl Scenario {
    pub fn new(new: NewAgreement) -> Self {
        let ids = (0..new.parties.len()).map(pid).collect();
        let created = Agreement::create(AgreementId("a1".into()), ids, new, t0())
            .expect("valid fixture agreement");
        Self {
            agreement: created.agreement,
            now: t0() + Duration::minutes(1),
        }
    }

    pub fn example() -> Self {
        Self::new(example())
    }

    pub fn apply(
        &mut self,
        command: impl FnOnce(&Agreement, DateTime<Utc>) -> Result<Transition, DomainError>,
    ) -> Result<Vec<Event>, DomainError> {
        let transition = command(&self.agreement, self.now)?;
        self.agreement = transition.agreement;
        Ok(transition.events)
    }

    pub fn ekyc(&mut self, i: usize, outcome: EkycOutcome) -> Result<Vec<Event>, DomainError> {
        self.apply(|a, now| a.record_ekyc(&pid(i), outcome, format!("ekyc-{i}"), now))
    }

    pub fn certificate(&mut self, i: usize) -> Result<Vec<Event>, DomainError> {
        self.apply(|a, now| a.issue_certificate(&pid(i), format!("cert-{i}"), now))
    }

    pub fn sign(&mut self, i: usize, serial: Option<String>) -> Result<Vec<Event>, DomainError> {
        self.apply(|a, now| a.sign(&pid(i), serial, now))
    }

    pub fn review(
        &mut self,
        i: usize,
        decision: ReviewDecision,
    ) -> Result<Vec<Event>, DomainError> {
        self.apply(|a, now| a.review(&pid(i), decision, now))
    }

    /// eKYC approval, certificate and signature for a signer whose turn has come.
    pub fn sign_fully(&mut self, i: usize) {
        let serial = self.agreement.serial.is_none().then(full_serial);
        self.ekyc(i, EkycOutcome::Approved).expect("ekyc");
        self.certificate(i).expect("certificate");
        self.sign(i, serial).expect("sign");
    }

    pub fn state_of(&self, i: usize) -> hims_domain::PartyState {
        self.agreement.party(&pid(i)).expect("fixture party").state
    }
}

pub fn code<T: std::fmt::Debug>(result: Result<T, DomainError>) -> &'static str {
    match result {
        Ok(value) => panic!("expected an error, got {value:?}"),
        Err(e) => e.code(),
    }
}
