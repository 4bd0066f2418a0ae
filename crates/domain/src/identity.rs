//! Identity numbers, masking, emails and postcodes.

use chrono::NaiveDate;
use thiserror::Error;

/// Why an id number was refused. Display texts never echo the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum IdError {
    #[error("a MyKad number has 12 digits, as YYMMDD-PB-#### or without dashes")]
    MykadFormat,
    #[error("the MyKad number does not start with a real date of birth")]
    MykadDate,
    #[error("the MyKad number has an unknown place-of-birth code")]
    MykadPlaceOfBirth,
    #[error("a passport number has 5 to 15 letters and digits")]
    PassportFormat,
}

impl IdError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::MykadFormat => "mykad_format",
            Self::MykadDate => "mykad_date",
            Self::MykadPlaceOfBirth => "mykad_place_of_birth",
            Self::PassportFormat => "passport_format",
        }
    }
}

/// Normalizes a MyKad number to `YYMMDD-PB-####`. Accepts 12 digits with or without
/// the two dashes (surrounding spaces ignored); checks that YYMMDD is a real date (in
/// the 1900s or the 2000s) and PB a place-of-birth code issued by JPN.
pub fn normalize_mykad(s: &str) -> Result<String, IdError> {
    let s = s.trim();
    let bytes = s.as_bytes();
    let digits: String = match bytes.len() {
        12 => s.to_owned(),
        14 if bytes[6] == b'-' && bytes[9] == b'-' => s.split('-').collect(),
        _ => return Err(IdError::MykadFormat),
    };
    if digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IdError::MykadFormat);
    }
    let number = |range: std::ops::Range<usize>| digits[range].parse::<u32>().unwrap_or(u32::MAX);
    let (yy, mm, dd) = (number(0..2), number(2..4), number(4..6));
    let real_date = [1900, 2000].iter().any(|century| {
        i32::try_from(century + yy)
            .ok()
            .and_then(|year| NaiveDate::from_ymd_opt(year, mm, dd))
            .is_some()
    });
    if !real_date {
        return Err(IdError::MykadDate);
    }
    if !is_place_of_birth_code(number(6..8)) {
        return Err(IdError::MykadPlaceOfBirth);
    }
    Ok(format!(
        "{}-{}-{}",
        &digits[0..6],
        &digits[6..8],
        &digits[8..12]
    ))
}

/// JPN place-of-birth codes: states (01–16, 21–59 with their extra codes, 82 unknown
/// state) and places abroad (60–68, 71–72, 74–79, 83–93, 98–99).
fn is_place_of_birth_code(pb: u32) -> bool {
    matches!(pb, 1..=16 | 21..=68 | 71..=72 | 74..=79 | 82..=93 | 98..=99)
}

/// Normalizes a passport number: trimmed, upper case, 5–15 ASCII letters and digits.
pub fn normalize_passport(s: &str) -> Result<String, IdError> {
    let s = s.trim();
    if !(5..=15).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(IdError::PassportFormat);
    }
    Ok(s.to_ascii_uppercase())
}

/// Masks an id number for display, leaving the last 4 letters or digits visible and
/// separators in place: `900101-14-5678` -> `******-**-5678`. Ids of 4 characters or
/// fewer are masked entirely.
pub fn mask_id(s: &str) -> String {
    let significant = s.chars().filter(|c| c.is_alphanumeric()).count();
    let visible_from = if significant > 4 {
        significant - 4
    } else {
        usize::MAX
    };
    let mut seen = 0;
    s.chars()
        .map(|c| {
            if !c.is_alphanumeric() {
                return c;
            }
            seen += 1;
            if seen > visible_from { c } else { '*' }
        })
        .collect()
}

/// Masks a name for public display, keeping each word's first letter:
/// `Nur Aisyah binti Abdullah` -> `N** A***** b**** A*******`.
pub fn mask_name(s: &str) -> String {
    s.split_whitespace()
        .map(|word| {
            word.chars()
                .enumerate()
                .map(|(i, c)| if i == 0 { c } else { '*' })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A deliberately plain check of the addresses we send mail to: `local@domain.tld`,
/// no spaces or quoting, a local part of dot-separated atoms, a domain of at least two
/// LDH labels with an alphabetic TLD. Stricter than RFC 5322 on purpose.
pub fn valid_email(s: &str) -> bool {
    if s.len() > 254 {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    valid_local_part(local) && valid_domain(domain)
}

fn valid_local_part(local: &str) -> bool {
    const SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-";
    !local.is_empty()
        && local.len() <= 64
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || SPECIALS.contains(c))
        })
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let tld_ok = labels
        .last()
        .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    labels.len() >= 2
        && tld_ok
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Trims an email and lower-cases its domain (the local part is left as given).
pub fn normalize_email(s: &str) -> String {
    let s = s.trim();
    match s.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_ascii_lowercase()),
        None => s.to_owned(),
    }
}

/// A Malaysian postcode: exactly 5 digits.
pub fn valid_postcode(s: &str) -> bool {
    s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit())
}
