//! The structured eSPA: what the portal sends when it asks us to render the agreement.

use chrono::{DateTime, TimeZone, Utc};

use crate::EspaError;

/// One stage of the payment schedule (Schedule H style), as a share of the price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentStage {
    /// The stage's number in the schedule, e.g. `2(a)`.
    pub code: String,
    pub description: String,
    /// Share of the price in basis points (17.5 % = 1750). All stages add up to 10 000.
    pub basis_points: u32,
}

/// A party as printed in the agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyLine {
    /// The role in Malay, e.g. `Pembeli (Penama Pertama)`.
    pub role_label: String,
    pub name: String,
    /// The IC / passport number already masked by the caller, e.g. `900101-**-**12`.
    pub masked_id: String,
    /// `true`: signs (gets a signature field); `false`: reviews only.
    pub signs: bool,
    /// The signature field name (ignored for reviewers).
    pub field_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EspaDocument {
    pub project_code: String,
    pub project_name: String,
    pub developer_name: String,
    pub unit: String,
    pub unit_type: String,
    pub built_up_area_sqm: u32,
    pub price_sen: u64,
    pub schedule: Vec<PaymentStage>,
    pub parties: Vec<PartyLine>,
    pub provisional_serial: String,
    pub created_at: DateTime<Utc>,
}

/// An empty signature field to create, and the box drawn around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureSlot {
    /// The field's `/T`: non-empty, printable ASCII, no `.`, unique.
    pub field_name: String,
    /// The caption above the box, e.g. `Tandatangan 1`.
    pub label: String,
    pub role_label: String,
    pub name: String,
}

impl EspaDocument {
    /// The example of FLOW.md: unit B-10-02 of PARKLAND AVENUE (20165-9).
    pub fn example() -> Self {
        let created_at = Utc
            .with_ymd_and_hms(2025, 5, 24, 10, 17, 0)
            .single()
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        Self {
            project_code: "20165-9".into(),
            project_name: "PARKLAND AVENUE".into(),
            developer_name: "PARKLAND AVENUE SDN. BHD.".into(),
            unit: "B-10-02".into(),
            unit_type: "Kondominium (3 bilik tidur, 2 bilik air)".into(),
            built_up_area_sqm: 102,
            price_sen: 65_000_000,
            schedule: schedule_h(),
            parties: vec![
                party(
                    "Pembeli (Penama Pertama)",
                    "Nur Aisyah binti Abdullah",
                    "900101-**-**12",
                    true,
                    "sig_pembeli_1",
                ),
                party(
                    "Pembeli",
                    "José Ñúñez",
                    "A1****67 (pasport)",
                    true,
                    "sig_pembeli_2",
                ),
                party(
                    "Penandatangan Diberi Kuasa Pemaju",
                    "Rajesh a/l Muthu",
                    "780512-**-**45",
                    true,
                    "sig_pemaju",
                ),
                party(
                    "Saksi Tuan Tanah",
                    "Siti Nur'ain binti Kamal",
                    "850320-**-**08",
                    false,
                    "",
                ),
            ],
            provisional_serial: "HIMS-20165-9-B-10-02-______".into(),
            created_at,
        }
    }

    /// The signature slots of the parties who sign, in document order.
    pub fn signature_slots(&self) -> Vec<SignatureSlot> {
        self.parties
            .iter()
            .filter(|p| p.signs)
            .enumerate()
            .map(|(i, p)| SignatureSlot {
                field_name: p.field_name.clone(),
                label: format!("Tandatangan {}", i + 1),
                role_label: p.role_label.clone(),
                name: p.name.clone(),
            })
            .collect()
    }

    /// The parties who only review (no signature box).
    pub fn reviewers(&self) -> impl Iterator<Item = &PartyLine> {
        self.parties.iter().filter(|p| !p.signs)
    }

    /// The amount of each stage in sen; rounding leftovers go to the last stage so
    /// the amounts always add up to the price.
    pub fn stage_amounts_sen(&self) -> Result<Vec<u64>, EspaError> {
        let total: u64 = self
            .schedule
            .iter()
            .map(|s| u64::from(s.basis_points))
            .sum();
        if total != 10_000 {
            return Err(EspaError::InvalidDocument(format!(
                "the payment schedule adds up to {total} basis points, not 10000"
            )));
        }
        let price = u128::from(self.price_sen);
        let mut amounts: Vec<u64> = self
            .schedule
            .iter()
            .map(|s| u64::try_from(price * u128::from(s.basis_points) / 10_000).unwrap_or(u64::MAX))
            .collect();
        let allotted: u64 = amounts.iter().sum();
        if let Some(last) = amounts.last_mut() {
            *last += self.price_sen - allotted;
        }
        Ok(amounts)
    }

    pub(crate) fn validate(&self) -> Result<(), EspaError> {
        if self.parties.is_empty() {
            return Err(EspaError::InvalidDocument("no parties".into()));
        }
        if !self.parties.iter().any(|p| p.signs) {
            return Err(EspaError::InvalidDocument("no party signs".into()));
        }
        self.stage_amounts_sen().map(|_| ())
    }
}

fn party(role: &str, name: &str, masked_id: &str, signs: bool, field: &str) -> PartyLine {
    PartyLine {
        role_label: role.into(),
        name: name.into(),
        masked_id: masked_id.into(),
        signs,
        field_name: field.into(),
    }
}

/// The stages of Schedule H (Housing Development (Control and Licensing) Regulations 1989,
/// subdivided building) with their usual percentages.
pub fn schedule_h() -> Vec<PaymentStage> {
    let stages: [(&str, &str, u32); 11] = [
        ("1", "Sebaik sahaja Perjanjian ini ditandatangani", 1000),
        (
            "2(a)",
            "Kerja di bawah paras tanah termasuk asas bangunan",
            1000,
        ),
        ("2(b)", "Kerangka struktur bangunan", 1500),
        (
            "2(c)",
            "Dinding bangunan berserta bingkai pintu dan tingkap",
            1000,
        ),
        (
            "2(d)",
            "Bumbung, pendawaian elektrik, paip dan kabel telekomunikasi dalaman",
            1000,
        ),
        (
            "2(e)",
            "Kemasan dalaman dan luaran termasuk kemasan dinding",
            1000,
        ),
        ("2(f)", "Sistem pembetungan bagi bangunan", 500),
        ("2(g)", "Longkang bagi bangunan", 500),
        ("2(h)", "Jalan bagi bangunan", 500),
        (
            "3",
            "Penyerahan milikan kosong dengan bekalan air dan elektrik",
            1750,
        ),
        (
            "4",
            "Tamat tempoh lapan (8) bulan selepas penyerahan milikan kosong",
            250,
        ),
    ];
    stages
        .iter()
        .map(|(code, description, basis_points)| PaymentStage {
            code: (*code).into(),
            description: (*description).into(),
            basis_points: *basis_points,
        })
        .collect()
}

/// `65000000` sen → `RM 650,000.00`.
pub fn format_ringgit(sen: u64) -> String {
    let ringgit = (sen / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in ringgit.chars().enumerate() {
        if i > 0 && (ringgit.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("RM {grouped}.{:02}", sen % 100)
}

/// `1750` → `17.5%`, `1000` → `10%`.
pub fn format_percent(basis_points: u32) -> String {
    let whole = basis_points / 100;
    let frac = basis_points % 100;
    if frac == 0 {
        format!("{whole}%")
    } else if frac.is_multiple_of(10) {
        format!("{whole}.{}%", frac / 10)
    } else {
        format!("{whole}.{frac:02}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ringgit_groups_thousands() {
        assert_eq!(format_ringgit(65_000_000), "RM 650,000.00");
        assert_eq!(format_ringgit(5), "RM 0.05");
        assert_eq!(format_ringgit(12_345_678_901), "RM 123,456,789.01");
    }

    #[test]
    fn percent_keeps_needed_decimals() {
        assert_eq!(format_percent(1750), "17.5%");
        assert_eq!(format_percent(250), "2.5%");
        assert_eq!(format_percent(1000), "10%");
        assert_eq!(format_percent(1234), "12.34%");
    }

    #[test]
    fn stage_amounts_add_up_to_the_price() {
        let mut doc = EspaDocument::example();
        doc.price_sen = 100_003;
        let amounts = doc.stage_amounts_sen().unwrap();
        assert_eq!(amounts.iter().sum::<u64>(), 100_003);
        assert_eq!(amounts[0], 10_000);
    }

    #[test]
    fn schedule_not_adding_to_100_percent_is_rejected() {
        let mut doc = EspaDocument::example();
        doc.schedule.pop();
        assert!(matches!(
            doc.stage_amounts_sen(),
            Err(EspaError::InvalidDocument(_))
        ));
    }

    #[test]
    fn only_signers_get_slots() {
        let slots = EspaDocument::example().signature_slots();
        let names: Vec<_> = slots.iter().map(|s| s.field_name.as_str()).collect();
        assert_eq!(names, ["sig_pembeli_1", "sig_pembeli_2", "sig_pemaju"]);
    }
}
