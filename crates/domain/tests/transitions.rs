//! Every transition of the agreement lifecycle and every refusal.

mod common;

use chrono::Duration;
use common::*;
use hims_domain::{
    Action, Agreement, AgreementId, AgreementState, DomainError, EkycOutcome, Event, EventKind,
    MAX_COMMENT_LEN, PartyState, ReviewDecision, Role, Step,
};

fn kinds(events: Vec<Event>) -> Vec<EventKind> {
    events.into_iter().map(|e| e.kind).collect()
}

fn changed(i: usize, from: PartyState, to: PartyState) -> EventKind {
    EventKind::PartyStateChanged {
        party: pid(i),
        from,
        to,
    }
}

fn opened(i: usize, step: Step) -> EventKind {
    EventKind::StepOpened {
        party: pid(i),
        step,
    }
}

fn request_changes(comment: &str) -> ReviewDecision {
    ReviewDecision::RequestChanges {
        comment: comment.into(),
    }
}

#[test]
fn creation_invites_everyone_to_ekyc_and_normalizes() {
    let ids = (0..4).map(pid).collect();
    let mut new = example();
    new.parties[0].name = "  Nur Aisyah binti Abdullah ".into();
    let created = Agreement::create(AgreementId("a1".into()), ids, new, t0()).unwrap();
    let a = &created.agreement;
    assert_eq!(a.state, AgreementState::InProgress);
    assert_eq!(a.serial, None);
    assert_eq!(a.created_at, t0());
    assert_eq!(a.parties[0].name, "Nur Aisyah binti Abdullah");
    assert_eq!(a.parties[0].id_number, "900101-14-5000");
    assert_eq!(a.parties[0].email, "party0@example.com");
    assert!(a.parties.iter().all(|p| p.state == PartyState::Invited));
    let mut want = vec![EventKind::AgreementCreated];
    want.extend((0..4).map(|i| opened(i, Step::Ekyc)));
    assert_eq!(kinds(created.events.clone()), want);
    assert!(created.events.iter().all(|e| e.at == t0()));
}

#[test]
fn creation_refuses_invalid_agreements_with_field_errors() {
    let mut new = example();
    new.parties[1].email = "party0@example.com".into();
    let err = Agreement::create(
        AgreementId("a".into()),
        (0..4).map(pid).collect(),
        new,
        t0(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "invalid_agreement");
    assert_eq!(err.field_errors()[0].field, "parties[1].email");
    assert_eq!(err.field_errors()[0].code, "email_duplicate");
}

#[test]
fn creation_needs_one_distinct_id_per_party() {
    for ids in [vec![pid(0)], vec![pid(0), pid(0), pid(1), pid(2)]] {
        let err = Agreement::create(AgreementId("a".into()), ids, example(), t0()).unwrap_err();
        assert_eq!(err.field_errors()[0].code, "party_ids_mismatch");
    }
}

#[test]
fn ekyc_approval_opens_the_certificate_step_when_the_turn_has_come() {
    let mut s = Scenario::example();
    let events = s.ekyc(0, EkycOutcome::Approved).unwrap();
    assert_eq!(
        kinds(events),
        vec![
            changed(0, PartyState::Invited, PartyState::EkycVerified),
            opened(0, Step::Certificate)
        ]
    );
    let party = s.agreement.party(&pid(0)).unwrap();
    assert_eq!(party.ekyc_reference.as_deref(), Some("ekyc-0"));
    assert_eq!(s.agreement.updated_at, s.now);
}

#[test]
fn ekyc_approval_before_the_turn_opens_nothing_yet() {
    let mut s = Scenario::example();
    let events = s.ekyc(1, EkycOutcome::Approved).unwrap();
    assert_eq!(
        kinds(events),
        vec![changed(1, PartyState::Invited, PartyState::EkycVerified)]
    );
    assert_eq!(s.agreement.current_step(&pid(1)), None);
}

#[test]
fn ekyc_rejection_can_be_retried_but_approval_is_final() {
    let mut s = Scenario::example();
    s.ekyc(0, EkycOutcome::Pending).unwrap();
    assert_eq!(s.state_of(0), PartyState::EkycPending);
    assert_eq!(kinds(s.ekyc(0, EkycOutcome::Pending).unwrap()), vec![]);
    s.ekyc(0, EkycOutcome::Rejected).unwrap();
    assert_eq!(s.state_of(0), PartyState::EkycRejected);
    assert_eq!(s.agreement.current_step(&pid(0)), Some(Step::Ekyc));
    s.ekyc(0, EkycOutcome::Pending).unwrap();
    s.ekyc(0, EkycOutcome::Approved).unwrap();
    assert_eq!(s.state_of(0), PartyState::EkycVerified);
    for outcome in [
        EkycOutcome::Approved,
        EkycOutcome::Rejected,
        EkycOutcome::Pending,
    ] {
        assert_eq!(code(s.ekyc(0, outcome)), "invalid_transition");
    }
    s.certificate(0).unwrap();
    assert_eq!(code(s.ekyc(0, EkycOutcome::Rejected)), "invalid_transition");
}

#[test]
fn reviewer_ekyc_approval_in_turn_opens_the_review_step() {
    let mut s = Scenario::new(agreement_with(vec![
        party(0, Role::Purchaser, Action::Sign, 1),
        party(1, Role::LandownerWitness, Action::Review, 2),
    ]));
    s.sign_fully(0);
    let events = s.ekyc(1, EkycOutcome::Approved).unwrap();
    assert_eq!(
        events.last().map(|e| &e.kind),
        Some(&opened(1, Step::Review))
    );
}

#[test]
fn commands_refuse_unknown_parties() {
    let s = Scenario::example();
    let ghost = pid(9);
    let a = &s.agreement;
    assert_eq!(
        code(a.record_ekyc(&ghost, EkycOutcome::Approved, "r".into(), s.now)),
        "unknown_party"
    );
    assert_eq!(
        code(a.issue_certificate(&ghost, "c".into(), s.now)),
        "unknown_party"
    );
    assert_eq!(
        code(a.sign(&ghost, Some(full_serial()), s.now)),
        "unknown_party"
    );
    assert_eq!(
        code(a.review(&ghost, ReviewDecision::Confirm, s.now)),
        "unknown_party"
    );
    assert_eq!(code(a.can_act(&ghost, s.now)), "unknown_party");
    assert!(!a.is_turn(&ghost));
}

#[test]
fn certificate_issuance_opens_the_signing_step() {
    let mut s = Scenario::example();
    s.ekyc(0, EkycOutcome::Approved).unwrap();
    let events = s.certificate(0).unwrap();
    assert_eq!(
        kinds(events),
        vec![
            changed(0, PartyState::EkycVerified, PartyState::CertificateIssued),
            opened(0, Step::Sign)
        ]
    );
    assert_eq!(
        s.agreement
            .party(&pid(0))
            .unwrap()
            .certificate_serial
            .as_deref(),
        Some("cert-0")
    );
    assert_eq!(code(s.certificate(0)), "certificate_exists");
}

#[test]
fn certificate_issuance_refusals() {
    let mut s = Scenario::example();
    assert_eq!(code(s.certificate(0)), "ekyc_not_approved");
    s.ekyc(0, EkycOutcome::Rejected).unwrap();
    assert_eq!(code(s.certificate(0)), "ekyc_not_approved");
    s.ekyc(1, EkycOutcome::Approved).unwrap();
    assert_eq!(code(s.certificate(1)), "not_your_turn");
    s.ekyc(3, EkycOutcome::Approved).unwrap();
    assert_eq!(code(s.certificate(3)), "wrong_action");
    s.ekyc(0, EkycOutcome::Approved).unwrap();
    s.now = deadline() + Duration::seconds(1);
    assert_eq!(code(s.certificate(0)), "deadline_passed");
    s.now = deadline();
    assert!(
        s.certificate(0).is_ok(),
        "the deadline itself is still in time"
    );
}

#[test]
fn first_signature_fixes_the_serial_and_opens_the_next_turn() {
    let mut s = Scenario::example();
    s.ekyc(1, EkycOutcome::Approved).unwrap();
    s.ekyc(0, EkycOutcome::Approved).unwrap();
    s.certificate(0).unwrap();
    assert_eq!(code(s.sign(0, None)), "serial_required");
    for bad in [
        "HIMS-20165-9-B-10-02-",
        "HIMS-20165-9-B-10-03-000123",
        "HIMS-20165-9-B-10-02-00 1",
    ] {
        assert_eq!(code(s.sign(0, Some(bad.into()))), "serial_invalid", "{bad}");
    }
    assert_eq!(s.agreement.serial_display(), "HIMS-20165-9-B-10-02-______");
    let events = s.sign(0, Some(full_serial())).unwrap();
    assert_eq!(
        kinds(events),
        vec![
            changed(0, PartyState::CertificateIssued, PartyState::Signed),
            EventKind::SerialFixed {
                serial: full_serial()
            },
            opened(1, Step::Certificate),
        ]
    );
    assert_eq!(s.agreement.serial_display(), full_serial());
    assert_eq!(s.agreement.party(&pid(0)).unwrap().acted_at, Some(s.now));
    assert_eq!(code(s.sign(0, None)), "already_done");
}

#[test]
fn later_signatures_keep_the_serial() {
    let mut s = Scenario::example();
    s.sign_fully(0);
    s.ekyc(1, EkycOutcome::Approved).unwrap();
    s.certificate(1).unwrap();
    let other = "HIMS-20165-9-B-10-02-999999".to_string();
    assert_eq!(code(s.sign(1, Some(other))), "serial_mismatch");
    let events = s.sign(1, Some(full_serial())).unwrap();
    assert!(
        !kinds(events)
            .iter()
            .any(|k| matches!(k, EventKind::SerialFixed { .. }))
    );
    assert_eq!(s.agreement.serial, Some(full_serial()));
}

#[test]
fn signing_refusals() {
    let mut s = Scenario::example();
    assert_eq!(code(s.sign(0, Some(full_serial()))), "ekyc_not_approved");
    s.ekyc(0, EkycOutcome::Approved).unwrap();
    assert_eq!(code(s.sign(0, Some(full_serial()))), "certificate_required");
    assert_eq!(code(s.sign(1, None)), "not_your_turn");
    assert_eq!(code(s.sign(3, None)), "wrong_action");
    s.certificate(0).unwrap();
    s.now = deadline() + Duration::minutes(1);
    assert_eq!(code(s.sign(0, Some(full_serial()))), "deadline_passed");
}

#[test]
fn equal_orders_open_together_and_the_last_one_completes() {
    let mut s = Scenario::example();
    s.ekyc(2, EkycOutcome::Approved).unwrap();
    s.ekyc(3, EkycOutcome::Approved).unwrap();
    s.sign_fully(0);
    s.ekyc(1, EkycOutcome::Approved).unwrap();
    s.certificate(1).unwrap();
    let events = kinds(s.sign(1, None).unwrap());
    assert!(events.contains(&opened(2, Step::Certificate)));
    assert!(events.contains(&opened(3, Step::Review)));
    let events = kinds(s.review(3, ReviewDecision::Confirm).unwrap());
    assert_eq!(
        events,
        vec![changed(3, PartyState::EkycVerified, PartyState::Reviewed)]
    );
    assert_eq!(s.agreement.state, AgreementState::InProgress);
    s.certificate(2).unwrap();
    let events = kinds(s.sign(2, None).unwrap());
    assert_eq!(
        events.last(),
        Some(&EventKind::AgreementStateChanged {
            from: AgreementState::InProgress,
            to: AgreementState::Completed
        })
    );
    assert_eq!(s.agreement.completed_at, Some(s.now));
    assert_eq!(s.agreement.next_deadline(), None);
    assert!(!s.agreement.is_open());
}

#[test]
fn completed_agreements_refuse_everything() {
    let mut s = Scenario::new(agreement_with(vec![party(
        0,
        Role::Purchaser,
        Action::Sign,
        1,
    )]));
    s.sign_fully(0);
    assert_eq!(s.agreement.state, AgreementState::Completed);
    assert_eq!(code(s.sign(0, None)), "agreement_closed");
    assert_eq!(code(s.ekyc(0, EkycOutcome::Approved)), "agreement_closed");
    assert_eq!(code(s.apply(|a, now| a.cancel(now))), "agreement_closed");
    assert_eq!(
        code(s.apply(|a, now| a.expire_due(now))),
        "agreement_closed"
    );
    assert_eq!(
        code(s.agreement.can_act(&pid(0), s.now)),
        "agreement_closed"
    );
}

#[test]
fn review_refusals() {
    let mut s = Scenario::new(agreement_with(vec![
        party(0, Role::Purchaser, Action::Sign, 1),
        party(1, Role::LandownerWitness, Action::Review, 2),
    ]));
    s.ekyc(0, EkycOutcome::Approved).unwrap();
    assert_eq!(code(s.review(0, ReviewDecision::Confirm)), "wrong_action");
    s.ekyc(1, EkycOutcome::Approved).unwrap();
    assert_eq!(code(s.review(1, ReviewDecision::Confirm)), "not_your_turn");
    s.certificate(0).unwrap();
    s.sign(0, Some(full_serial())).unwrap();
    assert_eq!(
        code(s.review(1, request_changes("   "))),
        "comment_required"
    );
    let long = "x".repeat(MAX_COMMENT_LEN + 1);
    assert_eq!(
        code(s.review(1, request_changes(&long))),
        "comment_too_long"
    );
    assert_eq!(code(s.certificate(1)), "wrong_action");
    s.now = deadline() + Duration::seconds(1);
    assert_eq!(
        code(s.review(1, ReviewDecision::Confirm)),
        "deadline_passed"
    );
}

#[test]
fn review_needs_ekyc() {
    let mut s = Scenario::new(agreement_with(vec![
        party(0, Role::Purchaser, Action::Sign, 1),
        party(1, Role::LandownerWitness, Action::Review, 2),
    ]));
    s.sign_fully(0);
    assert_eq!(
        code(s.review(1, ReviewDecision::Confirm)),
        "ekyc_not_approved"
    );
}

#[test]
fn change_request_puts_the_agreement_on_hold_until_cancelled() {
    let mut s = Scenario::example();
    s.ekyc(2, EkycOutcome::Approved).unwrap();
    s.ekyc(3, EkycOutcome::Approved).unwrap();
    s.sign_fully(0);
    s.sign_fully(1);
    let events = kinds(s.review(3, request_changes(" Wrong unit number ")).unwrap());
    assert_eq!(
        events,
        vec![
            changed(3, PartyState::EkycVerified, PartyState::ChangesRequested),
            EventKind::AgreementStateChanged {
                from: AgreementState::InProgress,
                to: AgreementState::ChangesRequested
            }
        ]
    );
    let reviewer = s.agreement.party(&pid(3)).unwrap();
    assert_eq!(reviewer.comment.as_deref(), Some("Wrong unit number"));
    assert!(s.agreement.is_open());
    assert_eq!(code(s.certificate(2)), "changes_requested");
    assert_eq!(
        code(s.review(3, ReviewDecision::Confirm)),
        "changes_requested"
    );
    assert_eq!(s.agreement.next_deadline(), None);
    s.now = deadline() + Duration::days(1);
    assert_eq!(s.apply(|a, now| a.expire_due(now)).unwrap(), vec![]);
    let events = kinds(s.apply(|a, now| a.cancel(now)).unwrap());
    assert_eq!(
        events,
        vec![EventKind::AgreementStateChanged {
            from: AgreementState::ChangesRequested,
            to: AgreementState::Cancelled
        }]
    );
    assert_eq!(code(s.apply(|a, now| a.cancel(now))), "agreement_closed");
}

#[test]
fn expiry_takes_only_parties_past_their_deadline_that_still_had_to_act() {
    let mut new = example();
    new.parties[3].deadline = deadline() + Duration::days(5);
    let mut s = Scenario::new(new);
    s.sign_fully(0);
    assert_eq!(s.agreement.next_deadline(), Some(deadline()));
    s.now = deadline();
    assert_eq!(s.apply(|a, now| a.expire_due(now)).unwrap(), vec![]);
    s.now = deadline() + Duration::seconds(1);
    let events = kinds(s.apply(|a, now| a.expire_due(now)).unwrap());
    assert_eq!(
        events,
        vec![
            changed(1, PartyState::Invited, PartyState::Expired),
            changed(2, PartyState::Invited, PartyState::Expired),
            EventKind::AgreementStateChanged {
                from: AgreementState::InProgress,
                to: AgreementState::Expired
            }
        ]
    );
    assert_eq!(s.state_of(0), PartyState::Signed);
    assert_eq!(s.state_of(3), PartyState::Invited);
    assert_eq!(
        code(s.apply(|a, now| a.expire_due(now))),
        "agreement_closed"
    );
}

#[test]
fn can_act_checks_turn_deadline_and_state() {
    let mut s = Scenario::example();
    assert_eq!(s.agreement.can_act(&pid(0), s.now), Ok(()));
    assert_eq!(code(s.agreement.can_act(&pid(1), s.now)), "not_your_turn");
    assert_eq!(
        code(
            s.agreement
                .can_act(&pid(0), deadline() + Duration::hours(1))
        ),
        "deadline_passed"
    );
    s.sign_fully(0);
    assert_eq!(code(s.agreement.can_act(&pid(0), s.now)), "already_done");
    assert!(s.agreement.is_turn(&pid(1)));
    assert!(!s.agreement.is_turn(&pid(2)));
}

#[test]
fn current_step_follows_the_party() {
    let mut s = Scenario::example();
    assert_eq!(s.agreement.current_step(&pid(0)), Some(Step::Ekyc));
    s.ekyc(0, EkycOutcome::Approved).unwrap();
    assert_eq!(s.agreement.current_step(&pid(0)), Some(Step::Certificate));
    s.certificate(0).unwrap();
    assert_eq!(s.agreement.current_step(&pid(0)), Some(Step::Sign));
    s.sign(0, Some(full_serial())).unwrap();
    assert_eq!(s.agreement.current_step(&pid(0)), None);
}

#[test]
fn cancel_from_in_progress() {
    let mut s = Scenario::example();
    s.apply(|a, now| a.cancel(now)).unwrap();
    assert_eq!(s.agreement.state, AgreementState::Cancelled);
    assert_eq!(code(s.ekyc(0, EkycOutcome::Approved)), "agreement_closed");
}

#[test]
fn invalid_transition_for_a_stopped_party() {
    // A party can only be stopped (expired) while the agreement is open if the data
    // was built by hand; the command still refuses rather than guessing.
    let mut s = Scenario::example();
    s.agreement.parties[1].state = PartyState::Expired;
    assert_eq!(code(s.ekyc(1, EkycOutcome::Approved)), "invalid_transition");
}

#[test]
fn errors_and_debug_output_never_show_ic_numbers() {
    let s = Scenario::example();
    let debug = format!("{:?}", s.agreement);
    assert!(!debug.contains("900101-14-5000"), "{debug}");
    assert!(debug.contains("******-**-5000"));
    let mut new = example();
    new.parties[0].id_number = "901301-14-5000".into();
    let err = Agreement::create(
        AgreementId("a".into()),
        (0..4).map(pid).collect(),
        new,
        t0(),
    )
    .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("901301"), "{shown}");
    assert_eq!(err.field_errors()[0].code, "mykad_date");
    let all = [
        DomainError::InvalidAgreement(vec![]),
        DomainError::NotYourTurn,
        DomainError::SerialMismatch,
    ];
    assert!(all.iter().all(|e| !e.to_string().is_empty()));
}
