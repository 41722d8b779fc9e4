//! Dates are calendar dates in Europe/Copenhagen. A task ends at the end of
//! its end date: it is overdue from 00:00 local time the day after.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Copenhagen;

/// Today's date in Copenhagen at the instant `now`.
pub fn today_at(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&Copenhagen).date_naive()
}

/// Today's date in Copenhagen, now.
pub fn today() -> NaiveDate {
    today_at(Utc::now())
}

/// Whether a task with this end date is past its deadline on `today`.
pub fn is_past_end(end_date: NaiveDate, today: NaiveDate) -> bool {
    today > end_date
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn deadline_is_the_end_of_the_local_day() {
        // 2025-05-28 23:59:59 in Copenhagen (CEST, UTC+2) is 21:59:59 UTC.
        let last_second = Utc.with_ymd_and_hms(2025, 5, 28, 21, 59, 59).unwrap();
        assert_eq!(today_at(last_second), d("2025-05-28"));
        assert!(!is_past_end(d("2025-05-28"), today_at(last_second)));
        let next = Utc.with_ymd_and_hms(2025, 5, 28, 22, 0, 0).unwrap();
        assert_eq!(today_at(next), d("2025-05-29"));
        assert!(is_past_end(d("2025-05-28"), today_at(next)));
    }

    #[test]
    fn winter_time_offset_is_one_hour() {
        // 2025-01-20 23:00 UTC is already 2025-01-21 00:00 in Copenhagen (CET).
        let t = Utc.with_ymd_and_hms(2025, 1, 20, 23, 0, 0).unwrap();
        assert_eq!(today_at(t), d("2025-01-21"));
        let before = Utc.with_ymd_and_hms(2025, 1, 20, 22, 59, 59).unwrap();
        assert_eq!(today_at(before), d("2025-01-20"));
    }

    #[test]
    fn across_the_daylight_saving_switch() {
        // Summer time ends 2025-10-26 at 03:00 CEST -> 02:00 CET (01:00 UTC).
        // The day lasts 25 hours; midnight after it is 23:00 UTC.
        let late = Utc.with_ymd_and_hms(2025, 10, 26, 22, 59, 59).unwrap();
        assert_eq!(today_at(late), d("2025-10-26"));
        let midnight = Utc.with_ymd_and_hms(2025, 10, 26, 23, 0, 0).unwrap();
        assert_eq!(today_at(midnight), d("2025-10-27"));
        // Summer time starts 2025-03-30: a 23-hour day; midnight after is 22:00 UTC.
        let m = Utc.with_ymd_and_hms(2025, 3, 30, 22, 0, 0).unwrap();
        assert_eq!(today_at(m), d("2025-03-31"));
        let b = Utc.with_ymd_and_hms(2025, 3, 30, 21, 59, 59).unwrap();
        assert_eq!(today_at(b), d("2025-03-30"));
    }
}
