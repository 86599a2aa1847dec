//! Local days of the workspace's time zone, so "today" and "last week" mean what the
//! workspace's teammates mean by them.

use chrono::{Datelike, Days, TimeZone, Weekday};
use chrono_tz::Tz;

use super::random::DAY;

/// One local calendar day as Unix seconds, `start..=end`.
#[derive(Clone, Copy, Debug)]
pub struct LocalDay {
    pub start: i64,
    pub end: i64,
    pub weekend: bool,
}

/// The last `count` local days ending at `now` (index 0 is today, which ends at `now`).
pub fn recent_days(time_zone: &str, now: i64, count: usize) -> Vec<LocalDay> {
    let zone: Tz = time_zone.parse().unwrap_or(Tz::UTC);
    let today = zone
        .timestamp_opt(now, 0)
        .single()
        .map(|t| t.date_naive())
        .unwrap_or_default();
    let midnight = |days_ago: u64| -> i64 {
        let date = today.checked_sub_days(Days::new(days_ago)).unwrap_or(today);
        let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
        // Midnight can be skipped or repeated by a DST change in some zones; take the earliest.
        zone.from_local_datetime(&naive)
            .earliest()
            .map_or(now - days_ago as i64 * DAY, |t| t.timestamp())
    };
    (0..count as u64)
        .map(|days_ago| {
            let start = midnight(days_ago);
            let end = if days_ago == 0 {
                now
            } else {
                midnight(days_ago - 1) - 1
            };
            let date = today.checked_sub_days(Days::new(days_ago)).unwrap_or(today);
            let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
            LocalDay {
                start,
                end: end.max(start),
                weekend,
            }
        })
        .collect()
}
