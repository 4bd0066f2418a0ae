//! Table tests for the validation of a new agreement: each rule, and all at once.

mod common;

use chrono::Duration;
use common::*;
use hims_domain::{Action, IdType, MAX_PARTIES, NewAgreement, Role, validate_new_agreement};

fn problems(new: &NewAgreement) -> Vec<(String, &'static str)> {
    match validate_new_agreement(new, t0()) {
        Ok(()) => vec![],
        Err(errors) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
    }
}

fn one(field: &str, code: &'static str) -> Vec<(String, &'static str)> {
    vec![(field.to_owned(), code)]
}

#[test]
fn the_example_is_valid() {
    assert_eq!(problems(&example()), vec![]);
}

#[test]
fn each_rule_reports_its_field() {
    type Edit = fn(&mut NewAgreement);
    let cases: &[(Edit, &str, &str)] = &[
        (|n| n.project_code = "  ".into(), "project_code", "required"),
        (
            |n| n.project_code = "A".repeat(33),
            "project_code",
            "too_long",
        ),
        (
            |n| n.project_code = "20165_9".into(),
            "project_code",
            "invalid_characters",
        ),
        (
            |n| n.project_name = String::new(),
            "project_name",
            "required",
        ),
        (
            |n| n.project_name = "P".repeat(201),
            "project_name",
            "too_long",
        ),
        (
            |n| n.developer_name = "ACME\nSDN".into(),
            "developer_name",
            "invalid_characters",
        ),
        (|n| n.unit = "B#10".into(), "unit", "invalid_characters"),
        (|n| n.unit = "\t".into(), "unit", "required"),
        (
            |n| n.parties[2].name = " ".into(),
            "parties[2].name",
            "required",
        ),
        (
            |n| n.parties[1].id_number = "901301-14-5001".into(),
            "parties[1].id_number",
            "mykad_date",
        ),
        (
            |n| n.parties[1].id_number = "900101-19-5001".into(),
            "parties[1].id_number",
            "mykad_place_of_birth",
        ),
        (
            |n| n.parties[1].id_number = "9001".into(),
            "parties[1].id_number",
            "mykad_format",
        ),
        (
            |n| {
                n.parties[1].id_type = IdType::Passport;
                n.parties[1].id_number = "A-12345".into();
            },
            "parties[1].id_number",
            "passport_format",
        ),
        (
            |n| n.parties[3].id_number = "900101145000".into(),
            "parties[3].id_number",
            "id_number_duplicate",
        ),
        (
            |n| n.parties[1].email = "not-an-email".into(),
            "parties[1].email",
            "email_invalid",
        ),
        (
            |n| n.parties[2].email = " PARTY0@example.com".into(),
            "parties[2].email",
            "email_duplicate",
        ),
        (
            |n| n.parties[1].deadline = t0(),
            "parties[1].deadline",
            "deadline_not_in_future",
        ),
        (
            |n| n.parties[0].role = Role::Landowner,
            "parties[0].role",
            "first_party_not_purchaser",
        ),
        (
            |n| n.parties[2].order = 1,
            "parties[0].order",
            "first_party_not_first",
        ),
        (
            |n| n.parties[0].order = 2,
            "parties[0].order",
            "first_party_not_first",
        ),
        (|n| n.parties.clear(), "parties", "required"),
    ];
    for (edit, field, code) in cases {
        let mut new = example();
        edit(&mut new);
        assert_eq!(problems(&new), one(field, code), "{field} {code}");
    }
}

#[test]
fn passports_are_accepted_for_passport_parties() {
    let mut new = example();
    new.parties[1].id_type = IdType::Passport;
    new.parties[1].id_number = "a1234567".into();
    assert_eq!(problems(&new), vec![]);
}

#[test]
fn a_reviewer_first_breaks_two_rules_and_no_signer_a_third() {
    let mut new = agreement_with(vec![party(0, Role::Purchaser, Action::Review, 1)]);
    assert_eq!(
        problems(&new),
        vec![
            ("parties[0].action".to_owned(), "first_party_must_sign"),
            ("parties".to_owned(), "no_signer"),
        ]
    );
    new.parties[0].action = Action::Sign;
    assert_eq!(problems(&new), vec![]);
}

#[test]
fn at_most_twenty_parties() {
    let parties = |n: u32| {
        let mut list = vec![party(0, Role::Purchaser, Action::Sign, 0)];
        list.extend((1..n).map(|i| party(i, Role::Other, Action::Review, 1)));
        list
    };
    let count = u32::try_from(MAX_PARTIES).unwrap();
    assert_eq!(problems(&agreement_with(parties(count))), vec![]);
    assert_eq!(
        problems(&agreement_with(parties(count + 1))),
        one("parties", "too_many")
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut new = example();
    new.unit = String::new();
    new.parties[0].email = "x".into();
    new.parties[1].deadline = t0() - Duration::days(1);
    new.parties[3].order = 0;
    assert_eq!(
        problems(&new),
        vec![
            ("unit".to_owned(), "required"),
            ("parties[0].email".to_owned(), "email_invalid"),
            ("parties[1].deadline".to_owned(), "deadline_not_in_future"),
            ("parties[0].order".to_owned(), "first_party_not_first"),
        ]
    );
}
