//! Random valid agreements driven by random commands: the turn invariants hold after
//! every step, whatever succeeds or fails.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::*;
use hims_domain::{
    Action, Agreement, AgreementId, AgreementState, DomainError, EkycOutcome, EventKind, NewParty,
    PartyState, ReviewDecision, Role, Step, Transition,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Command {
    /// Whatever the party's current step asks for, done right.
    Progress(usize),
    Ekyc(usize, EkycOutcome),
    Certificate(usize),
    Sign(usize, Option<String>),
    Review(usize, ReviewDecision),
    ExpireDue,
    Cancel,
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![
        Just(Role::Purchaser),
        Just(Role::DeveloperSignatory),
        Just(Role::Landowner),
        Just(Role::LandownerWitness),
        Just(Role::Other),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![Just(Action::Sign), Just(Action::Review)]
}

/// A valid agreement: the first party is a signing purchaser ahead of everyone; the
/// others have random roles, actions, deadlines and orders with ties.
fn agreement() -> impl Strategy<Value = Vec<NewParty>> {
    let first_deadline = 1..=400i64;
    let others = prop::collection::vec((role(), action(), 1..=3u32, 1..=400i64), 0..7);
    (first_deadline, others).prop_map(|(first_hours, others)| {
        let mut first = party(0, Role::Purchaser, Action::Sign, 0);
        first.deadline = t0() + Duration::hours(first_hours);
        let mut parties = vec![first];
        for (n, (role, action, order, hours)) in (1..).zip(others) {
            let mut p = party(n, role, action, order);
            p.deadline = t0() + Duration::hours(hours);
            parties.push(p);
        }
        parties
    })
}

fn serial() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(full_serial())),
        Just(Some("HIMS-20165-9-B-10-02-777".to_owned())),
    ]
}

fn command() -> impl Strategy<Value = Command> {
    let party = 0..8usize;
    let outcome = prop_oneof![
        Just(EkycOutcome::Approved),
        Just(EkycOutcome::Rejected),
        Just(EkycOutcome::Pending)
    ];
    let decision = prop_oneof![
        3 => Just(ReviewDecision::Confirm),
        1 => Just(ReviewDecision::RequestChanges { comment: "Wrong unit".into() }),
    ];
    prop_oneof![
        12 => party.clone().prop_map(Command::Progress),
        2 => (party.clone(), outcome).prop_map(|(i, o)| Command::Ekyc(i, o)),
        1 => party.clone().prop_map(Command::Certificate),
        2 => (party.clone(), serial()).prop_map(|(i, s)| Command::Sign(i, s)),
        1 => (party, decision).prop_map(|(i, d)| Command::Review(i, d)),
        1 => Just(Command::ExpireDue),
        1 => prop::bool::weighted(0.1).prop_map(|cancel| if cancel {
            Command::Cancel
        } else {
            Command::ExpireDue
        }),
    ]
}

fn run(a: &Agreement, command: &Command, now: DateTime<Utc>) -> Result<Transition, DomainError> {
    let id = |i: usize| pid(i % a.parties.len());
    match command {
        Command::Progress(i) => {
            let id = id(*i);
            match a.current_step(&id) {
                Some(Step::Ekyc) | None => {
                    a.record_ekyc(&id, EkycOutcome::Approved, "r".into(), now)
                }
                Some(Step::Certificate) => a.issue_certificate(&id, "c".into(), now),
                Some(Step::Sign) => a.sign(&id, a.serial.is_none().then(full_serial), now),
                Some(Step::Review) => a.review(&id, ReviewDecision::Confirm, now),
            }
        }
        Command::Ekyc(i, outcome) => a.record_ekyc(&id(*i), *outcome, "r".into(), now),
        Command::Certificate(i) => a.issue_certificate(&id(*i), "c".into(), now),
        Command::Sign(i, serial) => a.sign(&id(*i), serial.clone(), now),
        Command::Review(i, decision) => a.review(&id(*i), decision.clone(), now),
        Command::ExpireDue => a.expire_due(now),
        Command::Cancel => a.cancel(now),
    }
}

fn check_invariants(before: &Agreement, transition: &Transition) -> Result<(), TestCaseError> {
    let after = &transition.agreement;
    for party in &after.parties {
        if party.state.is_done() {
            let lower_not_done = after
                .parties
                .iter()
                .any(|other| other.order < party.order && !other.state.is_done());
            prop_assert!(!lower_not_done, "{} done before a lower order", party.id);
        }
        if party.action == Action::Review {
            prop_assert!(party.certificate_serial.is_none());
        }
    }
    let all_done = after.parties.iter().all(|p| p.state.is_done());
    prop_assert_eq!(after.state == AgreementState::Completed, all_done);
    // The first signature is always the first purchaser's, and it fixes the serial.
    let any_signed = after.parties.iter().any(|p| p.state == PartyState::Signed);
    prop_assert_eq!(after.parties[0].state == PartyState::Signed, any_signed);
    prop_assert_eq!(after.serial.is_some(), any_signed);
    if before.serial.is_some() {
        prop_assert_eq!(&after.serial, &before.serial);
    }
    for (old, new) in before.parties.iter().zip(&after.parties) {
        if old.state.is_done() {
            prop_assert_eq!(old.state, new.state);
        }
    }
    check_events(before, transition)
}

/// Every state change is reported, with the right `from`, and nothing else changes state.
fn check_events(before: &Agreement, transition: &Transition) -> Result<(), TestCaseError> {
    let after = &transition.agreement;
    let mut replay = before.clone();
    for event in &transition.events {
        match &event.kind {
            EventKind::PartyStateChanged { party, from, to } => {
                let p = replay.parties.iter_mut().find(|p| &p.id == party);
                let p = p.ok_or_else(|| TestCaseError::fail("event for an unknown party"))?;
                prop_assert_eq!(p.state, *from);
                p.state = *to;
            }
            EventKind::AgreementStateChanged { from, to } => {
                prop_assert_eq!(replay.state, *from);
                replay.state = *to;
            }
            _ => {}
        }
    }
    prop_assert_eq!(replay.state, after.state);
    for (replayed, actual) in replay.parties.iter().zip(&after.parties) {
        prop_assert_eq!(replayed.state, actual.state);
    }
    Ok(())
}

proptest! {
    #[test]
    fn turn_invariants_hold(
        parties in agreement(),
        steps in prop::collection::vec((command(), 0..=180i64), 1..60),
    ) {
        let ids = (0..parties.len()).map(pid).collect();
        let created = Agreement::create(AgreementId("a".into()), ids, agreement_with(parties), t0());
        let mut agreement = created.map_err(|e| TestCaseError::fail(e.code()))?.agreement;
        let mut now = t0();
        for (command, minutes) in steps {
            now += Duration::minutes(minutes);
            let result = run(&agreement, &command, now);
            if agreement.state.is_terminal() {
                prop_assert!(result.is_err(), "terminal agreement changed by {:?}", command);
                continue;
            }
            if let Ok(transition) = result {
                check_invariants(&agreement, &transition)?;
                agreement = transition.agreement;
            }
        }
    }
}
