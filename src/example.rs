//! The example agreement of FLOW.md (PARKLAND AVENUE, 20165-9, unit B-10-02),
//! as the portal would send it. Used by `hims demo`, tests and benchmarks.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

/// The create request: two purchasers, the developer's signatory and the
/// landowner's witness (who reviews), in that order, with deadlines a week
/// or two after `now`.
pub fn create_request(now: DateTime<Utc>) -> Value {
    let deadline = |days: i64| (now + Duration::days(days)).to_rfc3339();
    json!({
        "project_code": "20165-9",
        "project_name": "PARKLAND AVENUE",
        "developer_name": "PARKLAND AVENUE SDN. BHD.",
        "developer_email": "legal@parkland.example",
        "unit": "B-10-02",
        "document": {
            "template": "espa",
            "fields": {
                "unit_type": "Kondominium (3 bilik tidur, 2 bilik air)",
                "built_up_area_sqm": 102,
                "price_sen": 65_000_000u64
            }
        },
        "parties": [
            {"role": "purchaser", "name": "Nur Aisyah binti Abdullah", "id_type": "mykad",
             "id_number": "900101-14-5678", "email": "aisyah@example.my", "order": 1, "action": "sign",
             "deadline": deadline(7)},
            {"role": "purchaser", "name": "José Ñúñez", "id_type": "passport",
             "id_number": "A12345678", "email": "jose@example.com", "order": 2, "action": "sign",
             "deadline": deadline(10)},
            {"role": "developer_signatory", "name": "Rajesh a/l Muthu", "id_type": "mykad",
             "id_number": "780512-10-5543", "email": "rajesh@parkland.example", "order": 3, "action": "sign",
             "deadline": deadline(12)},
            {"role": "landowner_witness", "name": "Siti Nur'ain binti Kamal", "id_type": "mykad",
             "id_number": "850320-08-5208", "email": "siti@example.my", "order": 4, "action": "review",
             "deadline": deadline(14)}
        ]
    })
}
