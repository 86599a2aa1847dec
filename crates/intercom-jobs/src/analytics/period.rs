//! The reporting period of a metrics request, and its day/week buckets, in the
//! workspace time zone. Words and dates go through the shared `intercom_core::dates`.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use intercom_core::dates;

/// A reporting window `[start, end)` in Unix seconds, with how it was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPeriod {
    pub label: String,
    pub start: i64,
    pub end: i64,
    pub time_zone: Tz,
}

/// One bucket of a day/week breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// `2024-05-13` (the first day of the bucket, local date).
    pub key: String,
    pub start: i64,
    pub end: i64,
}

impl ReportPeriod {
    /// Resolve `period` (any period of [`dates::Dates`]: `today`, `monday`, `last_month`,
    /// `last_7d`, a date) or `from`/`to` (dates or datetimes, `to` inclusive of its day).
    pub fn resolve(
        period: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        time_zone: Tz,
        now: DateTime<Utc>,
    ) -> Result<Self, String> {
        let from = from.map(str::trim).filter(|s| !s.is_empty());
        let to = to.map(str::trim).filter(|s| !s.is_empty());
        let word = period.map(str::trim).filter(|s| !s.is_empty());
        if word.is_some() && (from.is_some() || to.is_some()) {
            return Err("give either `period` or `from`/`to`, not both".into());
        }
        if from.is_some() || to.is_some() {
            let Some(from) = from else {
                return Err("`to` needs a `from` date (e.g. from 2024-05-01 to 2024-05-07)".into());
            };
            let start = dates::resolve_at(from, time_zone, now)?.start;
            let end = match to {
                // A date names its whole day; a datetime is the exact end.
                Some(to) => dates::resolve_at(to, time_zone, now).map(|p| p.end.max(p.start))?,
                None => now.timestamp(),
            };
            if end <= start {
                return Err(format!(
                    "the period is empty: `to` ({}) is not after `from` ({})",
                    dates::iso(end, time_zone),
                    dates::iso(start, time_zone)
                ));
            }
            let label = match to {
                Some(to) => format!("{from} to {to}"),
                None => format!("since {from}"),
            };
            return Ok(Self {
                label,
                start,
                end,
                time_zone,
            });
        }
        let word = word.unwrap_or("last_7d");
        let normal = word.to_ascii_lowercase().replace([' ', '-'], "_");
        // Any period of the one date grammar: a day, a week, a month, a span back.
        let resolved = dates::Dates::at(time_zone, now).period(word)?;
        if resolved.end <= resolved.start {
            return Err(format!(
                "`{word}` is a moment, not a period; use a period such as today, yesterday, \
                 monday, this_week, last_week, this_month, last_month, last_7d, a date \
                 (2024-05-01), or from/to"
            ));
        }
        Ok(Self {
            label: normal,
            start: resolved.start,
            end: resolved.end,
            time_zone,
        })
    }

    /// The end used for "as of" figures: never in the future.
    pub fn effective_end(&self, now: i64) -> i64 {
        self.end.min(now.max(self.start))
    }

    pub fn contains(&self, at: i64) -> bool {
        at >= self.start && at < self.end
    }

    /// Local calendar days overlapping the period, clipped to it.
    pub fn days(&self) -> Vec<Bucket> {
        self.buckets(|date| date + Duration::days(1), |date| date)
    }

    /// ISO weeks (Monday first) overlapping the period, clipped to it.
    pub fn weeks(&self) -> Vec<Bucket> {
        self.buckets(
            |date| date + Duration::days(7),
            |date| date - Duration::days(date.weekday().num_days_from_monday() as i64),
        )
    }

    fn buckets(
        &self,
        next: impl Fn(NaiveDate) -> NaiveDate,
        align: impl Fn(NaiveDate) -> NaiveDate,
    ) -> Vec<Bucket> {
        let tz = self.time_zone;
        let Some(first) = tz.timestamp_opt(self.start, 0).earliest() else {
            return Vec::new();
        };
        let mut date = align(first.date_naive());
        let mut out = Vec::new();
        loop {
            let start = local_midnight(tz, date);
            if start >= self.end {
                break;
            }
            let following = next(date);
            let end = local_midnight(tz, following);
            out.push(Bucket {
                key: date.format("%Y-%m-%d").to_string(),
                start: start.max(self.start),
                end: end.min(self.end),
            });
            date = following;
        }
        out
    }
}

/// Local midnight of `date`, through the shared date helper (DST-safe).
fn local_midnight(tz: Tz, date: NaiveDate) -> i64 {
    dates::resolve_at(&date.format("%Y-%m-%d").to_string(), tz, Utc::now())
        .map(|p| p.start)
        .unwrap_or_else(|_| {
            date.and_hms_opt(0, 0, 0)
                .map_or(0, |d| d.and_utc().timestamp())
        })
}

/// Hour of the day (0-23) of `at` in `tz`.
pub fn local_hour(at: i64, tz: Tz) -> u32 {
    use chrono::Timelike;
    tz.timestamp_opt(at, 0).earliest().map_or(0, |t| t.hour())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        // Wednesday 2024-05-15 10:30 UTC.
        Utc.with_ymd_and_hms(2024, 5, 15, 10, 30, 0).unwrap()
    }

    fn ts(y: i32, mo: u32, d: u32, h: u32) -> i64 {
        Utc.with_ymd_and_hms(y, mo, d, h, 0, 0).unwrap().timestamp()
    }

    #[test]
    fn words_and_ranges() {
        let p = ReportPeriod::resolve(Some("last_week"), None, None, Tz::UTC, now()).unwrap();
        assert_eq!((p.start, p.end), (ts(2024, 5, 6, 0), ts(2024, 5, 13, 0)));
        let p = ReportPeriod::resolve(Some("last_30d"), None, None, Tz::UTC, now()).unwrap();
        assert_eq!(p.end - p.start, 30 * 86_400);
        let p = ReportPeriod::resolve(None, Some("2024-05-01"), Some("2024-05-03"), Tz::UTC, now())
            .unwrap();
        assert_eq!((p.start, p.end), (ts(2024, 5, 1, 0), ts(2024, 5, 4, 0)));
        assert!(
            ReportPeriod::resolve(Some("fortnight"), None, None, Tz::UTC, now())
                .unwrap_err()
                .contains("last_month")
        );
        // Every period of the shared grammar works: months, weekdays, a single date.
        let p = ReportPeriod::resolve(Some("last_month"), None, None, Tz::UTC, now()).unwrap();
        assert_eq!((p.start, p.end), (ts(2024, 4, 1, 0), ts(2024, 5, 1, 0)));
        let p = ReportPeriod::resolve(Some("last friday"), None, None, Tz::UTC, now()).unwrap();
        assert_eq!(p.end - p.start, 86_400);
        assert!(
            ReportPeriod::resolve(Some("now"), None, None, Tz::UTC, now())
                .unwrap_err()
                .contains("moment")
        );
        assert!(
            ReportPeriod::resolve(None, Some("2024-05-03"), Some("2024-05-01"), Tz::UTC, now())
                .unwrap_err()
                .contains("empty")
        );
    }

    #[test]
    fn buckets_follow_the_time_zone() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let p = ReportPeriod::resolve(Some("last_week"), None, None, paris, now()).unwrap();
        let days = p.days();
        assert_eq!(days.len(), 7);
        assert_eq!(days[0].key, "2024-05-06");
        assert_eq!(days[0].start, ts(2024, 5, 5, 22));
        assert_eq!(days[6].end, p.end);
        let weeks = p.weeks();
        assert_eq!(weeks.len(), 1);
        let rolling = ReportPeriod::resolve(Some("last_7d"), None, None, Tz::UTC, now()).unwrap();
        let days = rolling.days();
        assert_eq!(days.len(), 8);
        assert_eq!(days[0].start, rolling.start);
        assert_eq!(local_hour(ts(2024, 5, 1, 9), paris), 11);
    }
}
