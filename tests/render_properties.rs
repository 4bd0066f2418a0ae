//! Issue 13 (6): one rule for project codes and units (`hims_domain::serial`),
//! used by the validator and the renderer. Any agreement the domain accepts
//! renders its first revision and takes its full serial; anything else is a
//! field error, never a render failure (500 `pdf_render_failed`).

use chrono::{TimeZone, Utc};
use proptest::prelude::*;

use hims_esign::app::document::{self, DocumentSource, EspaFields};
use hims_esign::domain::{Agreement, AgreementId, DomainError, NewAgreement, PartyId};

fn new_agreement(project_code: &str, unit: &str) -> NewAgreement {
    let now = Utc.with_ymd_and_hms(2025, 5, 1, 2, 0, 0).unwrap();
    let mut request = hims_esign::example::create_request(now);
    let object = request.as_object_mut().expect("object");
    object.remove("document");
    object.remove("developer_email");
    object.insert("project_code".into(), project_code.into());
    object.insert("unit".into(), unit.into());
    serde_json::from_value(request).expect("NewAgreement")
}

/// Creates the agreement; when accepted, renders it and stamps the longest
/// serial it can get. Returns whether the domain accepted it.
fn accepted_and_rendered(project_code: &str, unit: &str) -> bool {
    let new = new_agreement(project_code, unit);
    let now = Utc.with_ymd_and_hms(2025, 5, 1, 1, 0, 0).unwrap();
    let ids = (0..new.parties.len())
        .map(|i| PartyId(format!("pty_{i}")))
        .collect();
    let agreement = match Agreement::create(AgreementId("agr_p".into()), ids, new, now) {
        Ok(transition) => transition.agreement,
        Err(DomainError::InvalidAgreement(fields)) => {
            assert!(
                fields
                    .iter()
                    .any(|f| f.field == "project_code" || f.field == "unit"),
                "{fields:?}"
            );
            return false;
        }
        Err(other) => panic!("{other:?}"),
    };
    let fields = EspaFields {
        unit_type: "Kondominium".into(),
        built_up_area_sqm: 102,
        price_sen: 65_000_000,
    };
    let pdf = document::first_revision(&agreement, DocumentSource::Template(fields))
        .unwrap_or_else(|e| panic!("{project_code:?} / {unit:?}: {e:?}"));
    let suffix = "9".repeat(hims_esign::domain::serial::MAX_SERIAL_SUFFIX_LEN);
    let serial = format!("{}{suffix}", agreement.serial_prefix());
    hims_pdf::apply_serial(&pdf, &serial, "https://hims.example/verify/x")
        .unwrap_or_else(|e| panic!("{serial}: {e:?}"));
    true
}

#[test]
fn the_units_the_probe_found_render_or_are_refused() {
    assert!(accepted_and_rendered("20165-9", "b-10-02"));
    assert!(accepted_and_rendered(&"9".repeat(32), &"z".repeat(32)));
    assert!(!accepted_and_rendered("20165-9", "B.10.02"));
    assert!(!accepted_and_rendered("20165 9", "B-10-02"));
    assert!(!accepted_and_rendered("20165-9", "B_10"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_accepted_agreement_renders(
        project_code in "[ a-zA-Z0-9/._#é-]{0,34}",
        unit in prop_oneof!["[a-zA-Z0-9/-]{1,32}", "[ a-zA-Z0-9/._#é\t-]{0,34}"],
    ) {
        accepted_and_rendered(&project_code, &unit);
    }
}
