//! Times shown to people: Malaysia time (UTC+08:00, no daylight saving).

use chrono::{DateTime, FixedOffset, Utc};

const MALAYSIA_OFFSET_SECONDS: i32 = 8 * 3600;

/// `dd/mm/yyyy HH:MM` in Malaysia time, as in the manual's "31/05/2025 10:17" (F3.2).
pub fn malaysia_time(t: DateTime<Utc>) -> String {
    match FixedOffset::east_opt(MALAYSIA_OFFSET_SECONDS) {
        Some(offset) => t
            .with_timezone(&offset)
            .format("%d/%m/%Y %H:%M")
            .to_string(),
        // Unreachable: the offset is a constant well inside chrono's range.
        None => t.format("%d/%m/%Y %H:%M UTC").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn shows_malaysia_time() {
        let cases = [
            ((2025, 5, 31, 2, 17), "31/05/2025 10:17"),
            ((2025, 5, 31, 16, 0), "01/06/2025 00:00"),
            ((2024, 12, 31, 15, 59), "31/12/2024 23:59"),
        ];
        for ((y, mo, d, h, mi), want) in cases {
            let t = Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).single();
            assert_eq!(t.map(malaysia_time).as_deref(), Some(want));
        }
    }
}
