//! The wire and storage forms: round trips and the exact names others rely on.

mod common;

use common::*;
use hims_domain::{
    Agreement, AgreementState, EkycOutcome, Event, EventKind, NewAgreement, PartyState,
    ReviewDecision, Step,
};
use serde_json::json;

#[test]
fn agreement_round_trips_through_json() {
    let mut s = Scenario::example();
    s.sign_fully(0);
    let text = serde_json::to_string(&s.agreement).unwrap();
    let back: Agreement = serde_json::from_str(&text).unwrap();
    assert_eq!(back, s.agreement);
}

#[test]
fn new_agreement_reads_the_portal_json() {
    let body = json!({
        "project_code": "20165-9", "project_name": "PARKLAND AVENUE",
        "developer_name": "PARKLAND AVENUE SDN. BHD.", "unit": "B-10-02",
        "parties": [{
            "role": "landowner_witness", "name": "Saksi", "id_type": "passport",
            "id_number": "A1234567", "email": "s@example.com", "order": 3,
            "action": "review", "deadline": "2025-05-31T02:17:00Z"
        }]
    });
    let new: NewAgreement = serde_json::from_value(body.clone()).unwrap();
    assert_eq!(serde_json::to_value(&new).unwrap(), body);
}

#[test]
fn events_are_tagged_snake_case() {
    let mut s = Scenario::example();
    let events = s.ekyc(0, EkycOutcome::Approved).unwrap();
    let value = serde_json::to_value(&events).unwrap();
    assert_eq!(
        value,
        json!([
            {"at": "2025-05-01T02:01:00Z", "kind": {"type": "party_state_changed",
             "party": "p0", "from": "invited", "to": "ekyc_verified"}},
            {"at": "2025-05-01T02:01:00Z", "kind": {"type": "step_opened",
             "party": "p0", "step": "certificate"}},
        ])
    );
    let back: Vec<Event> = serde_json::from_value(value).unwrap();
    assert_eq!(back, events);
    let others = [
        EventKind::AgreementCreated,
        EventKind::AgreementStateChanged {
            from: AgreementState::ChangesRequested,
            to: AgreementState::Cancelled,
        },
        EventKind::SerialFixed {
            serial: full_serial(),
        },
        EventKind::StepOpened {
            party: pid(1),
            step: Step::Ekyc,
        },
    ];
    for kind in others {
        let text = serde_json::to_string(&kind).unwrap();
        assert_eq!(
            serde_json::from_str::<EventKind>(&text).unwrap(),
            kind,
            "{text}"
        );
    }
    assert_eq!(
        serde_json::to_value(EventKind::AgreementCreated).unwrap(),
        json!({"type": "agreement_created"})
    );
}

#[test]
fn enums_use_snake_case_names() {
    assert_eq!(
        serde_json::to_value(PartyState::CertificateIssued).unwrap(),
        "certificate_issued"
    );
    assert_eq!(
        serde_json::to_value(AgreementState::ChangesRequested).unwrap(),
        "changes_requested"
    );
    let decision: ReviewDecision =
        serde_json::from_value(json!({"decision": "request_changes", "comment": "x"})).unwrap();
    assert_eq!(
        decision,
        ReviewDecision::RequestChanges {
            comment: "x".into()
        }
    );
}
