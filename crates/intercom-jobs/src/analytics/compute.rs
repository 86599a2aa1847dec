//! Support figures over a window, from [`FactSet`]s. Definitions (also in docs):
//!
//! For a window `[start, end)`:
//! - created: conversations whose `created_at` is in the window;
//! - closed: conversations whose last close (`statistics.last_close_at`) is in the window;
//! - reopened: conversations created in the window that were reopened at least once;
//! - open backlog: conversations created before the window's end (or now, if earlier)
//!   that were not closed then (still open/snoozed, or last closed at or after that time);
//! - first response: `statistics.time_to_admin_reply` of conversations created in the
//!   window; time to close: `last_close_at - created_at` of conversations closed in it;
//!   medians and p90 use the nearest-rank method (the smallest value with at least
//!   p% of values at or below it);
//! - CSAT: ratings given in the window (mean rounded to 2 decimals, counts per score);
//!   response rate: share of conversations closed in the window that carry a rating;
//! - SLA: conversations created in the window, by the status of their SLA;
//! - busiest hours: conversations created in the window per local hour of the day;
//! - tickets created in the window by current state category and by type; resolved:
//!   tickets in the `resolved` category last updated in the window, by type.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use schemars::JsonSchema;
use serde::Serialize;

use super::facts::{
    ConversationFact, ConversationState, FactSet, SlaStatus, Sym, Symbols, TicketFact,
};
use super::period::local_hour;

/// A time window and the clock it is read at.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub start: i64,
    pub end: i64,
    pub now: i64,
    pub time_zone: Tz,
}

impl Window {
    fn contains(&self, at: i64) -> bool {
        at >= self.start && at < self.end
    }

    fn contains_opt(&self, at: Option<i64>) -> bool {
        at.is_some_and(|t| self.contains(t))
    }

    /// The instant the backlog is measured at: the end, unless that is in the future.
    pub fn backlog_at(&self) -> i64 {
        self.end.min(self.now)
    }
}

/// Median and 90th percentile of a duration, in seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct DurationStats {
    /// How many conversations the figure is over.
    pub count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p90_seconds: Option<i64>,
}

/// Customer satisfaction ratings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct Csat {
    /// Ratings given in the period.
    pub ratings: u64,
    /// Mean score (1-5), rounded to 2 decimals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// Ratings per score, `"1"` to `"5"`.
    pub distribution: BTreeMap<String, u64>,
    /// Share (0-1, 4 decimals) of conversations closed in the period that were rated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_rate: Option<f64>,
}

/// SLA outcomes of conversations created in the period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SlaCounts {
    pub hit: u64,
    pub missed: u64,
    pub cancelled: u64,
    pub active: u64,
}

/// Conversations created in one local hour of the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct HourCount {
    pub hour: u32,
    pub conversations: u64,
}

/// The conversation figures of one window (and one group).
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct ConversationSummary {
    pub created: u64,
    pub closed: u64,
    pub reopened: u64,
    /// Open or snoozed at the end of the period.
    pub open_backlog_at_end: u64,
    pub first_response: DurationStats,
    pub time_to_close: DurationStats,
    pub csat: Csat,
    pub sla: SlaCounts,
    /// The three busiest hours (local time), busiest first.
    pub busiest_hours: Vec<HourCount>,
    /// Conversations created per local hour, index 0 = 00:00-00:59.
    pub created_by_hour: Vec<u64>,
}

/// Ticket figures of one window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TicketSummary {
    pub created: u64,
    /// Tickets created in the period, by their current state category.
    pub created_by_state_category: BTreeMap<String, u64>,
    pub created_by_type: BTreeMap<String, u64>,
    /// Tickets in the `resolved` category last updated in the period.
    pub resolved: u64,
    pub resolved_by_type: BTreeMap<String, u64>,
}

/// Nearest-rank percentile (`p` in 1..=100) of sorted values.
pub fn nearest_rank(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let rank = (p as usize * n).div_ceil(100).max(1);
    Some(sorted[rank.min(n) - 1])
}

fn duration_stats(mut values: Vec<i64>) -> DurationStats {
    values.sort_unstable();
    DurationStats {
        count: values.len() as u64,
        median_seconds: nearest_rank(&values, 50),
        p90_seconds: nearest_rank(&values, 90),
    }
}

fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

/// The conversation figures of `facts` over `window`.
pub fn summarise_conversations<'a>(
    facts: impl IntoIterator<Item = &'a ConversationFact>,
    window: &Window,
) -> ConversationSummary {
    let mut s = ConversationSummary::default();
    let mut first_response = Vec::new();
    let mut to_close = Vec::new();
    let mut rating_sum = 0u64;
    let mut scores = [0u64; 5];
    let mut closed_and_rated = 0u64;
    let mut hours = [0u64; 24];
    let backlog_at = window.backlog_at();
    for c in facts {
        let created = window.contains(c.created_at);
        let closed = window.contains_opt(c.last_close_at);
        if created {
            s.created += 1;
            if c.reopens > 0 {
                s.reopened += 1;
            }
            if let Some(secs) = c.first_response_secs {
                first_response.push(secs);
            }
            match c.sla {
                Some(SlaStatus::Hit) => s.sla.hit += 1,
                Some(SlaStatus::Missed) => s.sla.missed += 1,
                Some(SlaStatus::Cancelled) => s.sla.cancelled += 1,
                Some(SlaStatus::Active) => s.sla.active += 1,
                None => {}
            }
            hours[local_hour(c.created_at, window.time_zone) as usize] += 1;
        }
        if closed {
            s.closed += 1;
            if let Some(at) = c.last_close_at {
                to_close.push(at - c.created_at);
            }
            if c.rating.is_some() {
                closed_and_rated += 1;
            }
        }
        if let Some(score) = c.rating.filter(|r| (1..=5).contains(r))
            && window.contains_opt(c.rated_at)
        {
            rating_sum += u64::from(score);
            scores[usize::from(score) - 1] += 1;
        }
        let open_then = match c.state {
            ConversationState::Closed => c.last_close_at.is_some_and(|at| at >= backlog_at),
            _ => true,
        };
        if c.created_at < backlog_at && open_then {
            s.open_backlog_at_end += 1;
        }
    }
    s.first_response = duration_stats(first_response);
    let close = duration_stats(to_close);
    s.time_to_close = DurationStats {
        p90_seconds: None,
        ..close
    };
    let ratings: u64 = scores.iter().sum();
    s.csat = Csat {
        ratings,
        mean: (ratings > 0).then(|| round_to(rating_sum as f64 / ratings as f64, 2)),
        distribution: (1..=5)
            .map(|score| (score.to_string(), scores[score - 1]))
            .collect(),
        response_rate: (s.closed > 0)
            .then(|| round_to(closed_and_rated as f64 / s.closed as f64, 4)),
    };
    let mut busiest: Vec<HourCount> = hours
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(hour, n)| HourCount {
            hour: hour as u32,
            conversations: *n,
        })
        .collect();
    busiest.sort_by(|a, b| {
        b.conversations
            .cmp(&a.conversations)
            .then(a.hour.cmp(&b.hour))
    });
    busiest.truncate(3);
    s.busiest_hours = busiest;
    s.created_by_hour = hours.to_vec();
    s
}

fn name_of(symbols: &Symbols, sym: Sym) -> String {
    symbols.name(sym).unwrap_or("(none)").to_string()
}

/// The ticket figures of `tickets` over `window`.
pub fn summarise_tickets<'a>(
    tickets: impl IntoIterator<Item = &'a TicketFact>,
    symbols: &Symbols,
    window: &Window,
) -> TicketSummary {
    let mut s = TicketSummary::default();
    for t in tickets {
        if window.contains(t.created_at) {
            s.created += 1;
            *s.created_by_state_category
                .entry(name_of(symbols, t.state_category))
                .or_default() += 1;
            *s.created_by_type
                .entry(name_of(symbols, t.ticket_type))
                .or_default() += 1;
        }
        if symbols.name(t.state_category) == Some("resolved") && window.contains(t.updated_at) {
            s.resolved += 1;
            *s.resolved_by_type
                .entry(name_of(symbols, t.ticket_type))
                .or_default() += 1;
        }
    }
    s
}

/// Summaries for the whole fact set over `window`.
pub fn summarise(facts: &FactSet, window: &Window) -> (ConversationSummary, TicketSummary) {
    (
        summarise_conversations(&facts.conversations, window),
        summarise_tickets(&facts.tickets, &facts.symbols, window),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        assert_eq!(nearest_rank(&v, 50), Some(5));
        assert_eq!(nearest_rank(&v, 90), Some(9));
        assert_eq!(nearest_rank(&[7], 90), Some(7));
        assert_eq!(nearest_rank(&[1, 2, 3], 50), Some(2));
        assert_eq!(nearest_rank(&[], 50), None);
    }

    fn fact(created_at: i64) -> ConversationFact {
        ConversationFact {
            created_at,
            state: ConversationState::Open,
            last_close_at: None,
            first_response_secs: None,
            reopens: 0,
            rating: None,
            rated_at: None,
            sla: None,
            admin_id: 0,
            team_id: 0,
            channel: Sym::NONE,
            priority: Sym::NONE,
            tags: Vec::new(),
        }
    }

    #[test]
    fn backlog_counts_what_was_open_at_the_end() {
        let window = Window {
            start: 100,
            end: 200,
            now: 1_000,
            time_zone: Tz::UTC,
        };
        let open_before = fact(50);
        let closed_later = ConversationFact {
            state: ConversationState::Closed,
            last_close_at: Some(300),
            ..fact(150)
        };
        let closed_inside = ConversationFact {
            state: ConversationState::Closed,
            last_close_at: Some(180),
            rating: Some(4),
            rated_at: Some(190),
            ..fact(120)
        };
        let created_after = fact(250);
        let s = summarise_conversations(
            [&open_before, &closed_later, &closed_inside, &created_after],
            &window,
        );
        assert_eq!(s.open_backlog_at_end, 2);
        assert_eq!(s.created, 2);
        assert_eq!(s.closed, 1);
        assert_eq!(s.time_to_close.median_seconds, Some(60));
        assert_eq!(s.csat.mean, Some(4.0));
        assert_eq!(s.csat.response_rate, Some(1.0));
    }
}
