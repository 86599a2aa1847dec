//! Support metrics: volumes, backlog, response and close times, CSAT, SLA and
//! tickets for a period, optionally grouped, from the mirror or the API.
//!
//! Entry point: [`run`] (used by the `support_metrics` tool and `intercom-mcp metrics`).
//! The definitions of every figure are in [`compute`].

pub mod chart;
pub mod compute;
pub mod facts;
pub mod period;
pub mod report;
pub mod source;

use std::collections::HashMap;
use std::str::FromStr;

use intercom_api::Client;
use schemars::JsonSchema;
use serde::Serialize;

use compute::{
    ConversationSummary, TicketSummary, Window, summarise_conversations, summarise_tickets,
};
use facts::{ConversationFact, FactSet, Sym};
use intercom_api::{Directory, DirectoryCache};
use intercom_core::dates;
use intercom_mirror::Mirror;
use period::ReportPeriod;
use source::ProgressFn;
use std::sync::Arc;

/// How to break the figures down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Day,
    Week,
    Team,
    Admin,
    Channel,
    Tag,
    Priority,
}

impl GroupBy {
    pub const NAMES: &'static [&'static str] =
        &["day", "week", "team", "admin", "channel", "tag", "priority"];

    pub fn name(self) -> &'static str {
        match self {
            GroupBy::Day => "day",
            GroupBy::Week => "week",
            GroupBy::Team => "team",
            GroupBy::Admin => "admin",
            GroupBy::Channel => "channel",
            GroupBy::Tag => "tag",
            GroupBy::Priority => "priority",
        }
    }
}

impl FromStr for GroupBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        [
            GroupBy::Day,
            GroupBy::Week,
            GroupBy::Team,
            GroupBy::Admin,
            GroupBy::Channel,
            GroupBy::Tag,
            GroupBy::Priority,
        ]
        .into_iter()
        .find(|g| g.name() == wanted)
        .ok_or_else(|| {
            format!(
                "unknown group_by `{s}`; use one of {}",
                GroupBy::NAMES.join(", ")
            )
        })
    }
}

/// Which source to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceChoice {
    /// The mirror when it holds a finished sync, otherwise the API.
    #[default]
    Auto,
    Mirror,
    Api,
}

impl FromStr for SourceChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Ok(Self::Auto),
            "mirror" => Ok(Self::Mirror),
            "api" => Ok(Self::Api),
            other => Err(format!("unknown source `{other}`; use auto, mirror or api")),
        }
    }
}

/// A metrics request, resolved.
#[derive(Debug, Clone)]
pub struct MetricsRequest {
    pub period: ReportPeriod,
    pub group_by: Option<GroupBy>,
    pub source: SourceChoice,
    /// The clock (Unix seconds) the backlog is measured against.
    pub now: i64,
}

/// The period a report covers.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PeriodView {
    /// As asked: `last_7d`, `2024-05-01 to 2024-05-07`, ...
    pub label: String,
    /// Start (inclusive), ISO 8601 in the workspace time zone.
    pub start: String,
    /// End (exclusive), ISO 8601 in the workspace time zone.
    pub end: String,
    pub time_zone: String,
}

/// Where the figures were computed from.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SourceView {
    /// `mirror` (local copy, fast) or `api` (read from Intercom now).
    pub source: &'static str,
    /// For `mirror`: seconds since it was last brought up to date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mirror_age_seconds: Option<i64>,
    /// Conversations read to compute the figures (created, touched in, or open during the period).
    pub conversations_examined: u64,
    pub tickets_examined: u64,
    /// Objects and directory entries Intercom sent that could not be read (`null`, no id)
    /// and were left out of the figures; absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped_unreadable: Option<u64>,
}

/// One row of a grouped breakdown.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GroupRow {
    /// Day/week start date, or the id/value grouped on (`0` = unassigned).
    pub key: String,
    /// A readable name for the key.
    pub label: String,
    pub conversations: ConversationSummary,
    /// Ticket figures, for groupings that apply to tickets (day, week, team, admin).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tickets: Option<TicketSummary>,
}

/// Volume and first response per local day, for charts.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DailyPoint {
    pub date: String,
    pub created: u64,
    pub closed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_first_response_seconds: Option<i64>,
}

/// The support metrics of one period.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MetricsReport {
    pub period: PeriodView,
    pub source: SourceView,
    pub conversations: ConversationSummary,
    pub tickets: TicketSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_by: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupRow>,
    /// Per local day (periods up to 92 days).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub daily: Vec<DailyPoint>,
}

/// A failure to produce metrics, worded for the person or model who asked.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Api(#[from] intercom_api::Error),
    #[error("reading the mirror failed: {0}")]
    Mirror(String),
}

/// Days covered by the daily series at most.
const MAX_DAILY_POINTS: usize = 92;

/// Compute the metrics of `request`, from the mirror when it can answer (or is
/// required), else from the API through `client`.
pub async fn run(
    request: &MetricsRequest,
    client: Option<&Client>,
    mirror: Option<&Mirror>,
    progress: ProgressFn<'_>,
) -> Result<MetricsReport, MetricsError> {
    run_with_directory(request, client, mirror, None, progress).await
}

/// [`run`], with names for group labels from a cached workspace directory (a server's
/// per-workspace cache) instead of a fresh read.
pub async fn run_with_directory(
    request: &MetricsRequest,
    client: Option<&Client>,
    mirror: Option<&Mirror>,
    directory: Option<&DirectoryCache>,
    progress: ProgressFn<'_>,
) -> Result<MetricsReport, MetricsError> {
    let cache = directory;
    let with_tags = request.group_by == Some(GroupBy::Tag);
    let (start, end) = (request.period.start, request.period.end);
    let mirror_age = match (request.source, mirror) {
        (SourceChoice::Api, _) => None,
        (_, Some(m)) => source::usable_mirror(m).await,
        (_, None) => None,
    };
    let use_mirror = match (request.source, mirror_age) {
        (SourceChoice::Mirror, None) => {
            return Err(MetricsError::Invalid(
                "the local mirror has no finished sync of conversations: run `intercom-mcp sync` \
                 (or serve with --sync) first, or use source `api`"
                    .into(),
            ));
        }
        (SourceChoice::Api, _) => false,
        (_, age) => age.is_some(),
    };
    let (facts, directory) = if use_mirror {
        let reader = mirror
            .and_then(source::facts_of)
            .ok_or_else(|| MetricsError::Mirror("no mirror".into()))?;
        progress(0, None, "reading the mirror".into());
        tokio::task::spawn_blocking(move || {
            let facts = reader
                .load(start, end, with_tags)
                .map_err(|e| MetricsError::Mirror(e.to_string()))?;
            let directory = reader
                .directory()
                .map_err(|e| MetricsError::Mirror(e.to_string()))?;
            Ok::<_, MetricsError>((facts, Arc::new(directory)))
        })
        .await
        .map_err(|e| MetricsError::Mirror(e.to_string()))??
    } else {
        let client = client.ok_or_else(|| {
            MetricsError::Invalid(
                "no Intercom access token is configured and the mirror has no finished sync; \
                 set INTERCOM_ACCESS_TOKEN or sync the mirror first"
                    .into(),
            )
        })?;
        let facts = source::load_from_api(client, start, end, with_tags, progress).await?;
        let directory = if matches!(
            request.group_by,
            Some(GroupBy::Team | GroupBy::Admin | GroupBy::Tag)
        ) {
            match cache {
                Some(cache) => cache.get().await?,
                None => Arc::new(Directory::load(client).await?),
            }
        } else {
            Arc::default()
        };
        (facts, directory)
    };
    let source = SourceView {
        source: if use_mirror { "mirror" } else { "api" },
        mirror_age_seconds: if use_mirror { mirror_age } else { None },
        conversations_examined: facts.conversations.len() as u64,
        tickets_examined: facts.tickets.len() as u64,
        skipped_unreadable: Some(facts.skipped + directory.skipped).filter(|n| *n > 0),
    };
    Ok(build_report(request, &facts, &directory, source))
}

/// Assemble the report from facts (pure: no I/O).
pub fn build_report(
    request: &MetricsRequest,
    facts: &FactSet,
    directory: &Directory,
    source: SourceView,
) -> MetricsReport {
    let period = &request.period;
    let tz = period.time_zone;
    let window = Window {
        start: period.start,
        end: period.end,
        now: request.now,
        time_zone: tz,
    };
    let conversations = summarise_conversations(&facts.conversations, &window);
    let tickets = summarise_tickets(&facts.tickets, &facts.symbols, &window);
    let groups = request
        .group_by
        .map(|g| group_rows(g, request, facts, directory))
        .unwrap_or_default();
    let days = period.days();
    let daily = if days.len() <= MAX_DAILY_POINTS {
        daily_points(&days, &facts.conversations)
    } else {
        Vec::new()
    };
    MetricsReport {
        period: PeriodView {
            label: period.label.clone(),
            start: dates::iso(period.start, tz),
            end: dates::iso(period.end, tz),
            time_zone: tz.name().to_string(),
        },
        source,
        conversations,
        tickets,
        group_by: request.group_by.map(|g| g.name().to_string()),
        groups,
        daily,
    }
}

fn daily_points(days: &[period::Bucket], conversations: &[ConversationFact]) -> Vec<DailyPoint> {
    let starts: Vec<i64> = days.iter().map(|d| d.start).collect();
    let (first, last) = match (days.first(), days.last()) {
        (Some(f), Some(l)) => (f.start, l.end),
        _ => return Vec::new(),
    };
    let day_of = |at: i64| -> Option<usize> {
        (at >= first && at < last).then(|| starts.partition_point(|s| *s <= at) - 1)
    };
    let mut created = vec![0u64; days.len()];
    let mut closed = vec![0u64; days.len()];
    let mut responses: Vec<Vec<i64>> = vec![Vec::new(); days.len()];
    for c in conversations {
        if let Some(d) = day_of(c.created_at) {
            created[d] += 1;
            if let Some(secs) = c.first_response_secs {
                responses[d].push(secs);
            }
        }
        if let Some(d) = c.last_close_at.and_then(day_of) {
            closed[d] += 1;
        }
    }
    days.iter()
        .enumerate()
        .map(|(i, day)| {
            responses[i].sort_unstable();
            DailyPoint {
                date: day.key.clone(),
                created: created[i],
                closed: closed[i],
                median_first_response_seconds: compute::nearest_rank(&responses[i], 50),
            }
        })
        .collect()
}

fn label_for(name: Option<&str>, key: &str, kind: &str) -> String {
    if key == "0" {
        return "Unassigned".into();
    }
    name.filter(|n| !n.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| format!("{kind} {key}"))
}

fn group_rows(
    group_by: GroupBy,
    request: &MetricsRequest,
    facts: &FactSet,
    directory: &Directory,
) -> Vec<GroupRow> {
    let period = &request.period;
    let window_of = |start: i64, end: i64| Window {
        start,
        end,
        now: request.now,
        time_zone: period.time_zone,
    };
    let whole = window_of(period.start, period.end);
    match group_by {
        GroupBy::Day | GroupBy::Week => {
            let buckets = if group_by == GroupBy::Day {
                period.days()
            } else {
                period.weeks()
            };
            buckets
                .into_iter()
                .map(|b| {
                    let w = window_of(b.start, b.end);
                    GroupRow {
                        label: b.key.clone(),
                        key: b.key,
                        conversations: summarise_conversations(&facts.conversations, &w),
                        tickets: Some(summarise_tickets(&facts.tickets, &facts.symbols, &w)),
                    }
                })
                .collect()
        }
        _ => {
            let mut by_key: HashMap<String, Vec<&ConversationFact>> = HashMap::new();
            for c in &facts.conversations {
                match group_by {
                    GroupBy::Team => by_key.entry(c.team_id.to_string()).or_default().push(c),
                    GroupBy::Admin => by_key.entry(c.admin_id.to_string()).or_default().push(c),
                    GroupBy::Channel => {
                        by_key.entry(sym_key(facts, c.channel)).or_default().push(c)
                    }
                    GroupBy::Priority => by_key
                        .entry(sym_key(facts, c.priority))
                        .or_default()
                        .push(c),
                    GroupBy::Tag if c.tags.is_empty() => {
                        by_key.entry("(none)".into()).or_default().push(c)
                    }
                    GroupBy::Tag => {
                        for tag in &c.tags {
                            by_key.entry(sym_key(facts, *tag)).or_default().push(c);
                        }
                    }
                    GroupBy::Day | GroupBy::Week => unreachable!("handled above"),
                }
            }
            let mut rows: Vec<GroupRow> = by_key
                .into_iter()
                .map(|(key, members)| {
                    let conversations = summarise_conversations(members, &whole);
                    let tickets = match group_by {
                        GroupBy::Team => Some(summarise_tickets(
                            facts
                                .tickets
                                .iter()
                                .filter(|t| t.team_id.to_string() == key),
                            &facts.symbols,
                            &whole,
                        )),
                        GroupBy::Admin => Some(summarise_tickets(
                            facts
                                .tickets
                                .iter()
                                .filter(|t| t.admin_id.to_string() == key),
                            &facts.symbols,
                            &whole,
                        )),
                        _ => None,
                    };
                    let label = match group_by {
                        GroupBy::Team => label_for(directory.team_name(&key), &key, "team"),
                        GroupBy::Admin => label_for(directory.admin_name(&key), &key, "admin"),
                        GroupBy::Tag if key != "(none)" => {
                            label_for(directory.tag_name(&key), &key, "tag")
                        }
                        _ => key.clone(),
                    };
                    GroupRow {
                        key,
                        label,
                        conversations,
                        tickets,
                    }
                })
                .filter(|row| {
                    let c = &row.conversations;
                    c.created + c.closed + c.open_backlog_at_end + c.csat.ratings > 0
                })
                .collect();
            rows.sort_by(|a, b| {
                b.conversations
                    .created
                    .cmp(&a.conversations.created)
                    .then_with(|| a.label.cmp(&b.label))
            });
            rows
        }
    }
}

fn sym_key(facts: &FactSet, sym: Sym) -> String {
    facts.symbols.name(sym).unwrap_or("(none)").to_string()
}
