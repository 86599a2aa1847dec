//! Dates in people's words: `today`, `yesterday`, `this_week`, `last_week`,
//! `7d`, `30d`, ISO dates and datetimes, resolved in the workspace time zone.
//!
//! A word names a period; [`resolve`] returns the period's start and end as
//! Unix seconds. Filters such as `created_after` and `created_before` use the
//! start ("created before today" = before midnight this morning).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A resolved period, `[start, end)` in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: i64,
    pub end: i64,
}

const HELP: &str = "use an ISO date (2024-05-01), an ISO datetime (2024-05-01T09:00:00Z), \
a Unix timestamp, or one of: today, yesterday, this_week, last_week, this_month, last_month, \
Nd (days ago, e.g. 7d), Nh (hours ago), Nw (weeks ago)";

/// Parse a time-zone name such as `Europe/Paris`.
pub fn parse_time_zone(name: &str) -> Result<Tz, String> {
    name.trim().parse::<Tz>().map_err(|_| {
        format!("unknown time zone `{name}`; use an IANA name such as UTC, Europe/Dublin or America/New_York")
    })
}

fn local_midnight(tz: Tz, date: NaiveDate) -> i64 {
    let naive = date.and_time(NaiveTime::MIN);
    // On days where midnight does not exist (DST gaps), take the earliest valid instant.
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => t.timestamp(),
        chrono::LocalResult::Ambiguous(a, _) => a.timestamp(),
        chrono::LocalResult::None => tz
            .from_local_datetime(&(naive + Duration::hours(1)))
            .earliest()
            .map(|t| t.timestamp())
            .unwrap_or_else(|| naive.and_utc().timestamp()),
    }
}

fn day_period(tz: Tz, date: NaiveDate) -> Period {
    Period {
        start: local_midnight(tz, date),
        end: local_midnight(tz, date + Duration::days(1)),
    }
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).expect("day 1 exists")
}

fn next_month(date: NaiveDate) -> NaiveDate {
    let first = first_of_month(date);
    let (y, m) = if first.month() == 12 {
        (first.year() + 1, 1)
    } else {
        (first.year(), first.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).expect("valid month")
}

/// Resolve `input` at the instant `now` in time zone `tz`.
pub fn resolve_at(input: &str, tz: Tz, now: DateTime<Utc>) -> Result<Period, String> {
    let raw = input.trim();
    let word = raw.to_ascii_lowercase().replace([' ', '-'], "_");
    let today = now.with_timezone(&tz).date_naive();
    let now_ts = now.timestamp();
    let since = |secs: i64| Period {
        start: now_ts - secs,
        end: now_ts,
    };
    match word.as_str() {
        "" => return Err(format!("the date is empty; {HELP}")),
        "now" => {
            return Ok(Period {
                start: now_ts,
                end: now_ts,
            });
        }
        "today" => return Ok(day_period(tz, today)),
        "yesterday" => return Ok(day_period(tz, today - Duration::days(1))),
        "tomorrow" => return Ok(day_period(tz, today + Duration::days(1))),
        "this_week" | "week" => {
            let monday = today - Duration::days(today.weekday().num_days_from_monday() as i64);
            return Ok(Period {
                start: local_midnight(tz, monday),
                end: local_midnight(tz, monday + Duration::days(7)),
            });
        }
        "last_week" => {
            let monday = today - Duration::days(today.weekday().num_days_from_monday() as i64 + 7);
            return Ok(Period {
                start: local_midnight(tz, monday),
                end: local_midnight(tz, monday + Duration::days(7)),
            });
        }
        "this_month" | "month" => {
            let first = first_of_month(today);
            return Ok(Period {
                start: local_midnight(tz, first),
                end: local_midnight(tz, next_month(first)),
            });
        }
        "last_month" => {
            let this_first = first_of_month(today);
            let last_first = first_of_month(this_first - Duration::days(1));
            return Ok(Period {
                start: local_midnight(tz, last_first),
                end: local_midnight(tz, this_first),
            });
        }
        _ => {}
    }
    // Relative spans: 7d, 24h, 2w, "7_days", "last_7_days".
    let span = word.trim_start_matches("last_").trim_start_matches("past_");
    let digits: String = span.chars().take_while(|c| c.is_ascii_digit()).collect();
    if !digits.is_empty() && digits.len() < span.len() {
        let n: i64 = digits
            .parse()
            .map_err(|_| format!("`{raw}` is too large; {HELP}"))?;
        let unit = span[digits.len()..].trim_start_matches('_');
        let secs = match unit {
            "d" | "day" | "days" => Some(86_400),
            "h" | "hour" | "hours" => Some(3_600),
            "w" | "week" | "weeks" => Some(7 * 86_400),
            "m" | "min" | "mins" | "minutes" => Some(60),
            _ => None,
        };
        if let Some(secs) = secs {
            return n
                .checked_mul(secs)
                .map(since)
                .ok_or_else(|| format!("`{raw}` is too large; {HELP}"));
        }
    }
    // A Unix timestamp.
    if !raw.is_empty() && raw.chars().all(|c| c.is_ascii_digit()) {
        let ts: i64 = raw
            .parse()
            .map_err(|_| format!("`{raw}` is not a valid timestamp; {HELP}"))?;
        return Ok(Period { start: ts, end: ts });
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        let ts = t.timestamp();
        return Ok(Period { start: ts, end: ts });
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(raw, fmt) {
            let ts = tz
                .from_local_datetime(&naive)
                .earliest()
                .map(|t| t.timestamp())
                .ok_or_else(|| format!("`{raw}` does not exist in time zone {tz}"))?;
            return Ok(Period { start: ts, end: ts });
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(day_period(tz, date));
    }
    Err(format!("could not understand the date `{raw}`; {HELP}"))
}

/// Resolve `input` now.
pub fn resolve(input: &str, tz: Tz) -> Result<Period, String> {
    resolve_at(input, tz, Utc::now())
}

/// Format Unix seconds as ISO-8601 in `tz` (`2024-05-01T09:30:00+02:00`).
pub fn iso(ts: i64, tz: Tz) -> String {
    match Utc.timestamp_opt(ts, 0).single() {
        Some(t) => t
            .with_timezone(&tz)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        None => ts.to_string(),
    }
}

/// Human duration: `3h 05m`, `2d 4h`, `45s`.
pub fn human_duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m) = (secs / 86_400, (secs % 86_400) / 3_600, (secs % 3_600) / 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m")
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Wednesday 2024-05-15 10:30 UTC.
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 15, 10, 30, 0).unwrap()
    }

    fn ts(y: i32, mo: u32, d: u32, h: u32) -> i64 {
        Utc.with_ymd_and_hms(y, mo, d, h, 0, 0).unwrap().timestamp()
    }

    #[test]
    fn words_in_utc() {
        let r = |s| resolve_at(s, Tz::UTC, now()).unwrap();
        assert_eq!(
            r("today"),
            Period {
                start: ts(2024, 5, 15, 0),
                end: ts(2024, 5, 16, 0)
            }
        );
        assert_eq!(r("yesterday").start, ts(2024, 5, 14, 0));
        assert_eq!(
            r("this_week"),
            Period {
                start: ts(2024, 5, 13, 0),
                end: ts(2024, 5, 20, 0)
            }
        );
        assert_eq!(r("this week").start, ts(2024, 5, 13, 0));
        assert_eq!(
            r("last_week"),
            Period {
                start: ts(2024, 5, 6, 0),
                end: ts(2024, 5, 13, 0)
            }
        );
        assert_eq!(
            r("last_month"),
            Period {
                start: ts(2024, 4, 1, 0),
                end: ts(2024, 5, 1, 0)
            }
        );
        assert_eq!(r("7d").start, now().timestamp() - 7 * 86_400);
        assert_eq!(r("30d").start, now().timestamp() - 30 * 86_400);
        assert_eq!(r("last 7 days").start, now().timestamp() - 7 * 86_400);
        assert_eq!(r("24h").start, now().timestamp() - 86_400);
    }

    #[test]
    fn iso_forms() {
        let r = |s| resolve_at(s, Tz::UTC, now()).unwrap();
        assert_eq!(
            r("2024-05-01"),
            Period {
                start: ts(2024, 5, 1, 0),
                end: ts(2024, 5, 2, 0)
            }
        );
        assert_eq!(r("2024-05-01T09:00:00Z").start, ts(2024, 5, 1, 9));
        assert_eq!(r("2024-05-01T11:00:00+02:00").start, ts(2024, 5, 1, 9));
        assert_eq!(r("2024-05-01T09:00").start, ts(2024, 5, 1, 9));
        assert_eq!(r("1714554000").start, 1_714_554_000);
    }

    #[test]
    fn workspace_time_zone_moves_day_boundaries() {
        let paris: Tz = parse_time_zone("Europe/Paris").unwrap();
        // Midnight in Paris (CEST, UTC+2) is 22:00 UTC the day before.
        let today = resolve_at("today", paris, now()).unwrap();
        assert_eq!(today.start, ts(2024, 5, 14, 22));
        let date = resolve_at("2024-05-01", paris, now()).unwrap();
        assert_eq!(date.start, ts(2024, 4, 30, 22));
        // Late evening UTC is already "tomorrow" in Tokyo.
        let tokyo: Tz = parse_time_zone("Asia/Tokyo").unwrap();
        let late = Utc.with_ymd_and_hms(2024, 5, 15, 20, 0, 0).unwrap();
        assert_eq!(
            resolve_at("today", tokyo, late).unwrap().start,
            ts(2024, 5, 15, 15)
        );
    }

    #[test]
    fn nonsense_is_explained() {
        let err = resolve_at("next tuesday-ish", Tz::UTC, now()).unwrap_err();
        assert!(
            err.contains("next tuesday-ish") && err.contains("7d"),
            "{err}"
        );
        assert!(
            parse_time_zone("Mars/Olympus")
                .unwrap_err()
                .contains("IANA")
        );
    }

    #[test]
    fn iso_output_uses_the_zone() {
        assert_eq!(iso(ts(2024, 5, 1, 9), Tz::UTC), "2024-05-01T09:00:00Z");
        let paris: Tz = "Europe/Paris".parse().unwrap();
        assert_eq!(iso(ts(2024, 5, 1, 9), paris), "2024-05-01T11:00:00+02:00");
        assert_eq!(human_duration(3 * 3600 + 5 * 60), "3h 05m");
        assert_eq!(human_duration(2 * 86_400 + 4 * 3600), "2d 4h");
    }
}
