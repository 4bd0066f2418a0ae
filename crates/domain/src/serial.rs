//! One rule for what goes into a serial number (`HIMS-<project code>-<unit>-<suffix>`):
//! the validator accepts a project code or unit only if the renderer can
//! draw it, because both use these constants (hims-espa embeds exactly
//! [`SERIAL_CHARSET`] in its font subset and refuses serials over [`MAX_SERIAL_LEN`]).

/// Every character a serial may contain; `_` only in the provisional suffix.
pub const SERIAL_CHARSET: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-/_";
pub const SERIAL_PREFIX: &str = "HIMS-";
pub const MAX_CODE_LEN: usize = 32;
pub const MAX_SERIAL_SUFFIX_LEN: usize = 20;
/// The longest serial the rule allows: prefix, two codes, two dashes, suffix.
pub const MAX_SERIAL_LEN: usize =
    SERIAL_PREFIX.len() + 2 * MAX_CODE_LEN + 2 + MAX_SERIAL_SUFFIX_LEN;

/// A project code or unit as stored and printed: trimmed, ASCII upper case
/// (`b-10-02` is unit `B-10-02`).
pub fn normalize_code(value: &str) -> String {
    value.trim().to_ascii_uppercase()
}

/// Why a project code or unit cannot go into a serial, as a field error code.
pub fn code_problem(value: &str) -> Option<&'static str> {
    let code = normalize_code(value);
    if code.is_empty() {
        Some("required")
    } else if code.chars().count() > MAX_CODE_LEN {
        Some("too_long")
    } else if !code.chars().all(|c| c != '_' && SERIAL_CHARSET.contains(c)) {
        Some("invalid_characters")
    } else {
        None
    }
}

/// Whether `suffix` may end a full serial (the portal's running number).
pub fn valid_suffix(suffix: &str) -> bool {
    (1..=MAX_SERIAL_SUFFIX_LEN).contains(&suffix.len())
        && suffix
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_upper_cased_and_checked_against_the_charset() {
        assert_eq!(normalize_code(" b-10-02 "), "B-10-02");
        assert_eq!(code_problem("b-10-02"), None);
        assert_eq!(code_problem("20165/9"), None);
        for bad in ["B.10", "B 10", "B_10", "B#10", "Blok é"] {
            assert_eq!(code_problem(bad), Some("invalid_characters"), "{bad}");
        }
        assert_eq!(code_problem(" "), Some("required"));
        assert_eq!(code_problem(&"A".repeat(33)), Some("too_long"));
        assert!(valid_suffix("0001") && !valid_suffix("00a1") && !valid_suffix(""));
    }
}
