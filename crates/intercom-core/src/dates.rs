//! Dates in people's words, the one grammar every date argument of every tool and
//! command uses, resolved in the workspace time zone at one instant per call:
//!
//! - days: `today`, `yesterday`, `tomorrow`, weekday names (`monday`, `next monday`,
//!   `last friday`, `this friday`), ISO dates (`2024-05-01`);
//! - longer periods: `this_week`, `last_week`, `next_week`, `this_month`, `last_month`,
//!   `next_month`;
//! - spans from now: `7d`, `2h ago`, `last 7 days` (back), `in 2h`, `in 3 days` (ahead);
//! - instants: `now`, ISO date-times (`2024-05-01T09:00:00Z`, `2024-05-01 09:00` local),
//!   Unix seconds, a day word with a time (`tomorrow 14:00`, `monday 9am`).
//!
//! A word names a period; [`Dates::period`] returns its start and end as Unix seconds.
//! Filters such as `created_after` and `created_before` use the start ("created before
//! today" = before midnight this morning). [`Dates::future`] reads the same words for a
//! moment ahead (a snooze): a bare weekday is the next one, a bare span counts forward,
//! and a day without a time means the start of the working day.

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

/// A resolved period, `[start, end)` in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: i64,
    pub end: i64,
}

/// The forms a date filter (a moment or period, usually past) accepts, for error messages.
pub const PAST_FORMS: &str = "an ISO date (2024-05-01) or date-time (2024-05-01T09:00:00Z), \
Unix seconds, today, yesterday, a weekday (monday, last friday), this_week, last_week, \
this_month, last_month, or a span back from now (7d, 2h ago, last 30 days)";

/// The forms a moment ahead (a snooze) accepts, for error messages.
pub const FUTURE_FORMS: &str = "tomorrow, a weekday (monday, next friday), next_week, \
next_month, a span ahead (in 2h, in 3 days, 4h), a day with a time (tomorrow 14:00, monday 9am), \
an ISO date (2024-05-01) or date-time (2024-05-01T09:00:00Z), or Unix seconds";

/// The hour (local) a working day starts by default: a date-only snooze wakes then.
pub const WORKDAY_START_HOUR: u32 = 9;

/// The setting that moves the working day's start: `HH:MM`, 24-hour, local time.
pub const WORKDAY_START_ENV: &str = "INTERCOM_MCP_WORKDAY_START";

/// When the working day starts (local time of the workspace zone): a date-only moment
/// ahead (`snooze until monday`) wakes then. Default 09:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkdayStart {
    hour: u32,
    minute: u32,
}

impl WorkdayStart {
    /// 09:00.
    pub const DEFAULT: WorkdayStart = WorkdayStart {
        hour: WORKDAY_START_HOUR,
        minute: 0,
    };

    /// `hour:minute`, when it is a time of day.
    pub fn new(hour: u32, minute: u32) -> Option<Self> {
        (hour < 24 && minute < 60).then_some(Self { hour, minute })
    }

    /// Read `HH:MM` (24-hour, `08:30`, `8:30`); the error says what was wrong and what fits.
    pub fn parse(text: &str) -> Result<Self, String> {
        let raw = text.trim();
        let bad = || {
            format!(
                "the working-day start `{raw}` is not a time of day: give HH:MM on a 24-hour clock, e.g. 08:30 (default 09:00)"
            )
        };
        let (h, m) = raw.split_once(':').ok_or_else(bad)?;
        let digits = |s: &str, max_len: usize| {
            (!s.is_empty() && s.len() <= max_len && s.chars().all(|c| c.is_ascii_digit()))
                .then(|| s.parse::<u32>().ok())
                .flatten()
        };
        let (Some(hour), Some(minute)) = (digits(h, 2), digits(m, 2)) else {
            return Err(bad());
        };
        if m.len() != 2 {
            return Err(bad());
        }
        Self::new(hour, minute).ok_or_else(bad)
    }

    pub fn hour(self) -> u32 {
        self.hour
    }

    pub fn minute(self) -> u32 {
        self.minute
    }
}

impl Default for WorkdayStart {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl std::fmt::Display for WorkdayStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

impl std::str::FromStr for WorkdayStart {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Which way a word that could go either way points (`monday`, `2h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leaning {
    Past,
    Future,
}

/// The date grammar bound to a time zone, to one reading of the clock (so every date of
/// one call resolves against the same "now") and to the working day's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dates {
    pub tz: Tz,
    pub now: DateTime<Utc>,
    /// When a date-only moment ahead wakes (default 09:00).
    pub workday_start: WorkdayStart,
}

impl Dates {
    /// Read the clock once.
    pub fn now(tz: Tz) -> Self {
        Self::at(tz, Utc::now())
    }

    pub fn at(tz: Tz, now: DateTime<Utc>) -> Self {
        Self {
            tz,
            now,
            workday_start: WorkdayStart::DEFAULT,
        }
    }

    /// The same, with the working day starting at `start`.
    pub fn with_workday_start(self, start: WorkdayStart) -> Self {
        Self {
            workday_start: start,
            ..self
        }
    }

    pub fn now_unix(&self) -> i64 {
        self.now.timestamp()
    }

    /// The period (or instant, `start == end`) `input` names; weekdays and bare spans
    /// point back. Errors list [`PAST_FORMS`].
    pub fn period(&self, input: &str) -> Result<Period, String> {
        resolve_leaning(input, self.tz, self.now, Leaning::Past)
            .map_err(|e| format!("{e}; use {PAST_FORMS}"))
    }

    /// The start of the period `input` names (a filter bound, `--since`).
    pub fn start(&self, input: &str) -> Result<i64, String> {
        self.period(input).map(|p| p.start)
    }

    /// A moment strictly after now: weekdays are the next one, bare spans count forward,
    /// a day without a time is the start of its working day (`workday_start`, local).
    /// Errors list [`FUTURE_FORMS`].
    pub fn future(&self, input: &str) -> Result<i64, String> {
        let period = resolve_leaning(input, self.tz, self.now, Leaning::Future)
            .map_err(|e| format!("{e}; use {FUTURE_FORMS}"))?;
        let at = if period.end > period.start {
            // A day or longer: the working day's start, on its first day.
            let day = self
                .tz
                .timestamp_opt(period.start, 0)
                .earliest()
                .map(|t| t.date_naive())
                .ok_or_else(|| format!("`{}` is out of range; use {FUTURE_FORMS}", input.trim()))?;
            local_time(
                self.tz,
                day,
                self.workday_start.hour,
                self.workday_start.minute,
            )
        } else {
            period.start
        };
        if at <= self.now.timestamp() {
            return Err(format!(
                "`{}` ({}) is not in the future; use {FUTURE_FORMS}",
                input.trim(),
                iso(at, self.tz)
            ));
        }
        Ok(at)
    }
}

/// A length of time: `90s`, `10m`, `2h`, `1d`, `2w`, `10 minutes`, `3 days`, or a bare
/// number of seconds. The units are the ones date spans (`7d`, `in 2h`) use.
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim().to_ascii_lowercase();
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let n: i64 = text[..digits_end].parse().ok()?;
    let unit = text[digits_end..].trim().trim_start_matches('_');
    if unit.is_empty() {
        return Some(n);
    }
    n.checked_mul(unit_seconds(unit)?)
}

fn unit_seconds(unit: &str) -> Option<i64> {
    Some(match unit {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600,
        "d" | "day" | "days" => 86_400,
        "w" | "wk" | "wks" | "week" | "weeks" => 7 * 86_400,
        _ => return None,
    })
}

/// `2h`, `3_days`: a count and a unit, in seconds. `None` when it is not that shape.
fn span_seconds(word: &str) -> Option<Result<i64, String>> {
    let digits_end = word.find(|c: char| !c.is_ascii_digit())?;
    if digits_end == 0 {
        return None;
    }
    let secs = unit_seconds(word[digits_end..].trim_start_matches('_'))?;
    Some(
        word[..digits_end]
            .parse::<i64>()
            .ok()
            .and_then(|n| n.checked_mul(secs))
            .ok_or_else(|| format!("`{word}` is too large")),
    )
}

fn weekday(word: &str) -> Option<Weekday> {
    Some(match word {
        "monday" | "mon" => Weekday::Mon,
        "tuesday" | "tue" | "tues" => Weekday::Tue,
        "wednesday" | "wed" => Weekday::Wed,
        "thursday" | "thu" | "thur" | "thurs" => Weekday::Thu,
        "friday" | "fri" => Weekday::Fri,
        "saturday" | "sat" => Weekday::Sat,
        "sunday" | "sun" => Weekday::Sun,
        _ => return None,
    })
}

/// A time of day: `14:00`, `9:30`, `9am`, `5pm`, `12:30pm`.
fn time_of_day(word: &str) -> Option<(u32, u32)> {
    let (clock, offset) = if let Some(t) = word.strip_suffix("am") {
        (t, Some(0))
    } else if let Some(t) = word.strip_suffix("pm") {
        (t, Some(12))
    } else {
        (word, None)
    };
    let (h, m) = match clock.split_once(':') {
        Some((h, m)) => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
        None if offset.is_some() => (clock.parse::<u32>().ok()?, 0),
        None => return None,
    };
    let h = match offset {
        Some(add) if (1..=12).contains(&h) => h % 12 + add,
        Some(_) => return None,
        None => h,
    };
    (h < 24 && m < 60).then_some((h, m))
}

fn local_time(tz: Tz, date: NaiveDate, hour: u32, minute: u32) -> i64 {
    let naive = date.and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN));
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.timestamp())
        .unwrap_or_else(|| naive.and_utc().timestamp())
}

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

/// Resolve `input` at the instant `now` in time zone `tz` (weekdays and bare spans
/// point back; see [`Dates::period`]).
pub fn resolve_at(input: &str, tz: Tz, now: DateTime<Utc>) -> Result<Period, String> {
    Dates::at(tz, now).period(input)
}

/// Resolve `input` now (reads the clock; prefer one [`Dates`] per call).
pub fn resolve(input: &str, tz: Tz) -> Result<Period, String> {
    Dates::now(tz).period(input)
}

fn resolve_leaning(
    input: &str,
    tz: Tz,
    now: DateTime<Utc>,
    leaning: Leaning,
) -> Result<Period, String> {
    let raw = input.trim();
    if raw.is_empty() {
        return Err("the date is empty".into());
    }
    // A day word followed by a time: `tomorrow 14:00`, `monday at 9am`.
    let lower = raw.to_ascii_lowercase();
    if let Some((day, time)) = lower.rsplit_once(' ')
        && let Some((h, m)) = time_of_day(time)
    {
        let day = day.trim().trim_end_matches(" at").trim();
        // `2024-05-01 09:00` is an ISO form, read below.
        if NaiveDate::parse_from_str(day, "%Y-%m-%d").is_err() {
            let period = resolve_leaning(day, tz, now, leaning)?;
            if period.end <= period.start {
                return Err(format!("`{raw}`: a time goes after a day (tomorrow 14:00)"));
            }
            let date = tz
                .timestamp_opt(period.start, 0)
                .earliest()
                .map(|t| t.date_naive())
                .ok_or_else(|| format!("`{raw}` is out of range"))?;
            let at = local_time(tz, date, h, m);
            return Ok(Period { start: at, end: at });
        }
    }
    let word = lower.replace([' ', '-'], "_");
    let today = now.with_timezone(&tz).date_naive();
    let now_ts = now.timestamp();
    let back = |secs: i64| Period {
        start: now_ts - secs,
        end: now_ts,
    };
    let ahead = |secs: i64| Period {
        start: now_ts + secs,
        end: now_ts + secs,
    };
    let monday = today - Duration::days(today.weekday().num_days_from_monday() as i64);
    let week = |monday: NaiveDate| Period {
        start: local_midnight(tz, monday),
        end: local_midnight(tz, monday + Duration::days(7)),
    };
    let month = |first: NaiveDate| Period {
        start: local_midnight(tz, first),
        end: local_midnight(tz, next_month(first)),
    };
    match word.as_str() {
        "now" => {
            return Ok(Period {
                start: now_ts,
                end: now_ts,
            });
        }
        "today" => return Ok(day_period(tz, today)),
        "yesterday" => return Ok(day_period(tz, today - Duration::days(1))),
        "tomorrow" => return Ok(day_period(tz, today + Duration::days(1))),
        "this_week" | "week" => return Ok(week(monday)),
        "last_week" => return Ok(week(monday - Duration::days(7))),
        "next_week" => return Ok(week(monday + Duration::days(7))),
        "this_month" | "month" => return Ok(month(first_of_month(today))),
        "last_month" => {
            return Ok(month(first_of_month(
                first_of_month(today) - Duration::days(1),
            )));
        }
        "next_month" => return Ok(month(next_month(today))),
        _ => {}
    }
    // Weekdays: `monday`, `next monday`, `last friday`, `this friday`.
    let (which, day_word) = match word.split_once('_') {
        Some((w @ ("next" | "last" | "this" | "on" | "coming" | "past"), rest)) => (Some(w), rest),
        _ => (None, word.as_str()),
    };
    if let Some(day) = weekday(day_word) {
        let back_days = (7 + today.weekday().num_days_from_monday() as i64
            - day.num_days_from_monday() as i64)
            % 7;
        let previous = today - Duration::days(if back_days == 0 { 7 } else { back_days });
        let following = today + Duration::days(if back_days == 0 { 7 } else { 7 - back_days });
        let date = match (which, leaning) {
            (Some("next" | "coming"), _) => following,
            (Some("last" | "past"), _) => previous,
            (Some("this"), _) => monday + Duration::days(day.num_days_from_monday() as i64),
            (_, Leaning::Past) if back_days == 0 => today,
            (_, Leaning::Past) => previous,
            (_, Leaning::Future) => following,
        };
        return Ok(day_period(tz, date));
    }
    // Spans: `in 2h` ahead, `2h ago` back, `7d` / `last 7 days` by leaning.
    if let Some(secs) = word.strip_prefix("in_").and_then(span_seconds) {
        return secs.map(ahead);
    }
    if let Some(secs) = word
        .strip_suffix("ago")
        .and_then(|rest| span_seconds(rest.trim_end_matches('_')))
    {
        return secs.map(back);
    }
    let explicit_back = word.starts_with("last_") || word.starts_with("past_");
    let span = word.trim_start_matches("last_").trim_start_matches("past_");
    if let Some(secs) = span_seconds(span) {
        let secs = secs?;
        return Ok(match leaning {
            Leaning::Future if !explicit_back => ahead(secs),
            _ => back(secs),
        });
    }
    // Unix seconds.
    if raw.chars().all(|c| c.is_ascii_digit()) {
        let ts: i64 = raw
            .parse()
            .map_err(|_| format!("`{raw}` is not a valid timestamp"))?;
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
    Err(format!("could not understand the date `{raw}`"))
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
    fn the_working_day_start_is_configurable_and_checked() {
        assert_eq!(WorkdayStart::default().to_string(), "09:00");
        let early = WorkdayStart::parse("08:30").unwrap();
        assert_eq!((early.hour(), early.minute()), (8, 30));
        assert_eq!(WorkdayStart::parse(" 7:05 ").unwrap().to_string(), "07:05");
        assert_eq!(WorkdayStart::parse("00:00").unwrap().to_string(), "00:00");
        for bad in [
            "", "9", "9am", "24:00", "08:60", "08:5", "-1:00", "08:30:00", "ab:cd", "123:00",
        ] {
            let err = WorkdayStart::parse(bad).unwrap_err();
            assert!(
                err.contains("HH:MM") && err.contains("08:30"),
                "{bad}: {err}"
            );
        }
        // Wednesday 2024-05-15 10:30 UTC; in Paris (UTC+2) the day starts at 08:30 local.
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let d = Dates::at(paris, now()).with_workday_start(early);
        assert_eq!(d.future("tomorrow").unwrap(), ts(2024, 5, 16, 6) + 30 * 60);
        assert_eq!(d.future("monday").unwrap(), ts(2024, 5, 20, 6) + 30 * 60);
        // A time given with the day wins; spans and instants ignore the setting.
        assert_eq!(d.future("tomorrow 14:00").unwrap(), ts(2024, 5, 16, 12));
        assert_eq!(d.future("in 2h").unwrap(), now().timestamp() + 7_200);
        // Past readings (filters) are unchanged: days start at midnight.
        assert_eq!(d.start("today").unwrap(), ts(2024, 5, 14, 22));
        // The default is 09:00 local.
        let d = Dates::at(paris, now());
        assert_eq!(d.future("tomorrow").unwrap(), ts(2024, 5, 16, 7));
    }

    #[test]
    fn weekdays_point_back_for_filters_and_ahead_for_snoozes() {
        // now() is Wednesday 2024-05-15.
        let d = Dates::at(Tz::UTC, now());
        assert_eq!(d.start("monday").unwrap(), ts(2024, 5, 13, 0));
        assert_eq!(d.start("wednesday").unwrap(), ts(2024, 5, 15, 0));
        assert_eq!(d.start("last friday").unwrap(), ts(2024, 5, 10, 0));
        assert_eq!(d.start("last wednesday").unwrap(), ts(2024, 5, 8, 0));
        assert_eq!(d.start("next monday").unwrap(), ts(2024, 5, 20, 0));
        assert_eq!(d.start("this friday").unwrap(), ts(2024, 5, 17, 0));
        assert_eq!(d.future("monday").unwrap(), ts(2024, 5, 20, 9));
        assert_eq!(d.future("wednesday").unwrap(), ts(2024, 5, 22, 9));
        assert_eq!(d.future("fri").unwrap(), ts(2024, 5, 17, 9));
        assert_eq!(
            d.period("next_week").unwrap(),
            Period {
                start: ts(2024, 5, 20, 0),
                end: ts(2024, 5, 27, 0)
            }
        );
        assert_eq!(d.start("next month").unwrap(), ts(2024, 6, 1, 0));
    }

    #[test]
    fn spans_either_way_and_times_of_day() {
        let d = Dates::at(Tz::UTC, now());
        let n = now().timestamp();
        assert_eq!(d.start("2h ago").unwrap(), n - 7_200);
        assert_eq!(d.start("3 days ago").unwrap(), n - 3 * 86_400);
        assert_eq!(d.start("in 2h").unwrap(), n + 7_200);
        assert_eq!(d.future("in 3 days").unwrap(), n + 3 * 86_400);
        // A bare span points back in a filter, ahead in a snooze.
        assert_eq!(d.start("4h").unwrap(), n - 4 * 3_600);
        assert_eq!(d.future("4h").unwrap(), n + 4 * 3_600);
        assert_eq!(d.future("tomorrow 14:00").unwrap(), ts(2024, 5, 16, 14));
        assert_eq!(d.future("monday at 9am").unwrap(), ts(2024, 5, 20, 9));
        assert_eq!(d.future("friday 5pm").unwrap(), ts(2024, 5, 17, 17));
        assert_eq!(d.future("2024-05-20").unwrap(), ts(2024, 5, 20, 9));
        assert_eq!(d.future("2024-05-20 15:00").unwrap(), ts(2024, 5, 20, 15));
        assert_eq!(parse_duration("10 minutes"), Some(600));
        assert_eq!(parse_duration("2w"), Some(14 * 86_400));
        assert_eq!(parse_duration("90"), Some(90));
        assert_eq!(parse_duration("soon"), None);
    }

    #[test]
    fn a_date_only_snooze_wakes_at_the_working_day_start_in_the_zone() {
        let dublin: Tz = parse_time_zone("Europe/Dublin").unwrap();
        let d = Dates::at(dublin, now());
        // 09:00 in Dublin (IST, UTC+1) is 08:00 UTC.
        assert_eq!(d.future("tomorrow").unwrap(), ts(2024, 5, 16, 8));
        assert_eq!(d.future("2024-05-20").unwrap(), ts(2024, 5, 20, 8));
    }

    #[test]
    fn past_moments_are_refused_for_a_snooze_with_the_future_forms() {
        let d = Dates::at(Tz::UTC, now());
        let err = d.future("yesterday").unwrap_err();
        assert!(
            err.contains("not in the future") && err.contains("next friday"),
            "{err}"
        );
        let err = d.future("2h ago").unwrap_err();
        assert!(err.contains("in 2h"), "{err}");
        let err = d.future("whenever").unwrap_err();
        assert!(
            err.contains("whenever") && err.contains("tomorrow 14:00"),
            "{err}"
        );
        // Today's working-day start has passed at 10:30.
        assert!(d.future("today").is_err());
        let err = d.period("blue moon").unwrap_err();
        assert!(
            err.contains("last friday") && !err.contains("in 2h"),
            "{err}"
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
