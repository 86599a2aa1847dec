//! Every support figure equals an independent computation over the sandbox's
//! seeded objects, whether the report is read from the API or from a mirror.
//! The expected values are computed here from the raw JSON with deliberately
//! plain code, never with the analytics module's functions.

use std::collections::BTreeMap;

use chrono::{TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use intercom_api::{Client, ClientConfig};
use intercom_jobs::analytics::period::ReportPeriod;
use intercom_jobs::analytics::{self, GroupBy, MetricsReport, MetricsRequest, SourceChoice};
use intercom_mirror::{
    ChangeSource, Checkpoint, Mirror, MirrorWrite, ObjectKind, SyncPhase, WriteBatch,
};
use intercom_sandbox::{Sandbox, SandboxConfig, Scale, SeedData};
use serde_json::Value;

fn int(v: &Value, pointer: &str) -> Option<i64> {
    v.pointer(pointer).and_then(Value::as_i64)
}

fn s<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// Smallest value with at least `p` percent of the values at or below it.
fn percentile(mut values: Vec<i64>, p: usize) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort();
    let rank = (values.len() * p).div_ceil(100).max(1);
    Some(values[rank - 1])
}

/// The figures the report must show, computed straight from the seed.
#[derive(Debug, PartialEq)]
struct Expected {
    created: u64,
    closed: u64,
    reopened: u64,
    backlog: u64,
    first_response: (u64, Option<i64>, Option<i64>),
    close_median: Option<i64>,
    ratings: u64,
    csat_mean: Option<f64>,
    distribution: Vec<u64>,
    response_rate: Option<f64>,
    sla: (u64, u64, u64, u64),
    by_hour: Vec<u64>,
    tickets_created: u64,
    tickets_by_state: BTreeMap<String, u64>,
    tickets_by_type: BTreeMap<String, u64>,
    tickets_resolved: u64,
    resolved_by_type: BTreeMap<String, u64>,
}

fn expected(
    seed: &SeedData,
    start: i64,
    end: i64,
    now: i64,
    tz: Tz,
    team: Option<i64>,
) -> Expected {
    let inside = |t: Option<i64>| t.is_some_and(|t| t >= start && t < end);
    let conversations: Vec<&Value> = seed
        .conversations
        .iter()
        .filter(|c| team.is_none() || int(c, "/team_assignee_id") == team)
        .collect();
    let mut e = Expected {
        created: 0,
        closed: 0,
        reopened: 0,
        backlog: 0,
        first_response: (0, None, None),
        close_median: None,
        ratings: 0,
        csat_mean: None,
        distribution: vec![0; 5],
        response_rate: None,
        sla: (0, 0, 0, 0),
        by_hour: vec![0; 24],
        tickets_created: 0,
        tickets_by_state: BTreeMap::new(),
        tickets_by_type: BTreeMap::new(),
        tickets_resolved: 0,
        resolved_by_type: BTreeMap::new(),
    };
    let mut responses = Vec::new();
    let mut closes = Vec::new();
    let mut score_sum = 0;
    let mut closed_rated = 0;
    let cutoff = end.min(now);
    for c in &conversations {
        let created_at = int(c, "/created_at").unwrap();
        let last_close = int(c, "/statistics/last_close_at");
        if inside(Some(created_at)) {
            e.created += 1;
            if int(c, "/statistics/count_reopens").unwrap_or(0) > 0 {
                e.reopened += 1;
            }
            if let Some(t) = int(c, "/statistics/time_to_admin_reply") {
                responses.push(t);
            }
            match s(c, "/sla_applied/sla_status") {
                Some("hit") => e.sla.0 += 1,
                Some("missed") => e.sla.1 += 1,
                Some("cancelled") => e.sla.2 += 1,
                Some("active") => e.sla.3 += 1,
                _ => {}
            }
            let hour = tz.timestamp_opt(created_at, 0).unwrap().hour();
            e.by_hour[hour as usize] += 1;
        }
        if inside(last_close) {
            e.closed += 1;
            closes.push(last_close.unwrap() - created_at);
            if c["conversation_rating"].is_object() {
                closed_rated += 1;
            }
        }
        if inside(int(c, "/conversation_rating/created_at")) {
            let score = int(c, "/conversation_rating/rating").unwrap();
            e.ratings += 1;
            score_sum += score;
            e.distribution[(score - 1) as usize] += 1;
        }
        let still_open = s(c, "/state") != Some("closed");
        let closed_later = last_close.is_some_and(|t| t >= cutoff);
        if created_at < cutoff && (still_open || closed_later) {
            e.backlog += 1;
        }
    }
    e.first_response = (
        responses.len() as u64,
        percentile(responses.clone(), 50),
        percentile(responses, 90),
    );
    e.close_median = percentile(closes, 50);
    if e.ratings > 0 {
        e.csat_mean = Some((score_sum as f64 / e.ratings as f64 * 100.0).round() / 100.0);
    }
    if e.closed > 0 {
        e.response_rate =
            Some((closed_rated as f64 / e.closed as f64 * 10_000.0).round() / 10_000.0);
    }
    for t in &seed.tickets {
        if team.is_some() && int(t, "/team_assignee_id") != team {
            continue;
        }
        let category = s(t, "/ticket_state/category").unwrap().to_string();
        let kind = s(t, "/ticket_type/name").unwrap().to_string();
        if inside(int(t, "/created_at")) {
            e.tickets_created += 1;
            *e.tickets_by_state.entry(category.clone()).or_default() += 1;
            *e.tickets_by_type.entry(kind.clone()).or_default() += 1;
        }
        if category == "resolved" && inside(int(t, "/updated_at")) {
            e.tickets_resolved += 1;
            *e.resolved_by_type.entry(kind).or_default() += 1;
        }
    }
    e
}

fn observed(
    c: &analytics::compute::ConversationSummary,
    t: &analytics::compute::TicketSummary,
) -> Expected {
    Expected {
        created: c.created,
        closed: c.closed,
        reopened: c.reopened,
        backlog: c.open_backlog_at_end,
        first_response: (
            c.first_response.count,
            c.first_response.median_seconds,
            c.first_response.p90_seconds,
        ),
        close_median: c.time_to_close.median_seconds,
        ratings: c.csat.ratings,
        csat_mean: c.csat.mean,
        distribution: (1..=5)
            .map(|k| c.csat.distribution[&k.to_string()])
            .collect(),
        response_rate: c.csat.response_rate,
        sla: (c.sla.hit, c.sla.missed, c.sla.cancelled, c.sla.active),
        by_hour: c.created_by_hour.clone(),
        tickets_created: t.created,
        tickets_by_state: t.created_by_state_category.clone(),
        tickets_by_type: t.created_by_type.clone(),
        tickets_resolved: t.resolved,
        resolved_by_type: t.resolved_by_type.clone(),
    }
}

fn check(report: &MetricsReport, seed: &SeedData, request: &MetricsRequest) {
    let (start, end, tz) = (
        request.period.start,
        request.period.end,
        request.period.time_zone,
    );
    let want = expected(seed, start, end, request.now, tz, None);
    assert!(
        want.created > 20 && want.closed > 10 && want.ratings > 3,
        "seed too thin: {want:?}"
    );
    assert_eq!(
        observed(&report.conversations, &report.tickets),
        want,
        "totals ({})",
        report.source.source
    );
    // Busiest hours are the top of the hourly counts.
    let top = want.by_hour.iter().max().copied().unwrap();
    assert_eq!(report.conversations.busiest_hours[0].conversations, top);
    // Grouped by team: each team's row equals the same computation restricted to the team.
    assert_eq!(report.group_by.as_deref(), Some("team"));
    assert!(report.groups.len() >= 2);
    for row in &report.groups {
        let team: i64 = row.key.parse().unwrap();
        let want = expected(seed, start, end, request.now, tz, Some(team));
        let tickets = row.tickets.as_ref().expect("team rows carry tickets");
        assert_eq!(
            observed(&row.conversations, tickets),
            want,
            "team {}",
            row.key
        );
    }
    // Daily series: created per local day adds up to the total.
    let daily: u64 = report.daily.iter().map(|d| d.created).sum();
    assert_eq!(daily, want.created);
}

fn request(now: i64, source: SourceChoice) -> MetricsRequest {
    let tz: Tz = "Europe/Dublin".parse().unwrap();
    let clock = Utc.timestamp_opt(now, 0).unwrap();
    MetricsRequest {
        period: ReportPeriod::resolve(Some("last_30d"), None, None, tz, clock).unwrap(),
        group_by: Some(GroupBy::Team),
        source,
        now,
    }
}

const SEED: u64 = 7;

fn seed_data(now: i64) -> SeedData {
    intercom_sandbox::seed::generate(Scale::Small, SEED, now)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_figures_match_an_independent_computation() {
    let now = Utc::now().timestamp();
    let seed = seed_data(now);
    let sandbox = Sandbox::start_with_data(
        SandboxConfig {
            scale: Scale::Small,
            seed: SEED,
            now: Some(now),
            ..SandboxConfig::default()
        },
        seed.clone(),
    )
    .await
    .unwrap();
    let client = Client::new(
        ClientConfig::builder(sandbox.token())
            .base_url(sandbox.base_url())
            .build()
            .unwrap(),
    )
    .unwrap();
    let request = request(now, SourceChoice::Api);
    let pages = std::sync::atomic::AtomicU64::new(0);
    let progress = |_: u64, _: Option<u64>, _: String| {
        pages.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    };
    let report = analytics::run(&request, Some(&client), None, &progress)
        .await
        .unwrap();
    assert_eq!(report.source.source, "api");
    assert!(pages.into_inner() > 1, "progress is reported per page");
    check(&report, &seed, &request);
    // The population read is every conversation touched in the period or still open.
    assert!(report.source.conversations_examined as usize <= seed.conversations.len());
    // A chart renders (PNG signature) with the same figures.
    let png = analytics::chart::png(&report).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // Its title is drawn: the band above the plots holds nothing but text.
    let mut reader = png::Decoder::new(std::io::Cursor::new(&png))
        .read_info()
        .unwrap();
    let mut rgb = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut rgb).unwrap();
    let title_band = &rgb[..frame.line_size * 36];
    let dark = title_band
        .chunks(3)
        .filter(|p| p.iter().all(|&c| c < 128))
        .count();
    assert!(dark > 300, "the title left {dark} dark pixels");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_figures_match_an_independent_computation() {
    let now = Utc::now().timestamp();
    let seed = seed_data(now);
    let dir = tempfile::tempdir().unwrap();
    let mirror = Mirror::open_sqlite(&dir.path().join("mirror.sqlite3")).unwrap();
    let mut writes = Vec::new();
    for (kind, objects) in [
        (ObjectKind::Conversation, &seed.conversations),
        (ObjectKind::Ticket, &seed.tickets),
        (ObjectKind::Admin, &seed.admins),
        (ObjectKind::Team, &seed.teams),
        (ObjectKind::Tag, &seed.tags),
    ] {
        writes.extend(objects.iter().map(|o| MirrorWrite::Upsert(kind, o.clone())));
    }
    let checkpoint = Checkpoint {
        kind: ObjectKind::Conversation,
        phase: SyncPhase::Incremental,
        cursor: None,
        high_water: now,
        run_started_at: None,
        run_items: 0,
        last_completed_at: Some(now),
    };
    mirror
        .apply(
            WriteBatch {
                writes,
                checkpoint: Some(checkpoint),
                log_changes: false,
            },
            ChangeSource::Sync,
        )
        .await
        .unwrap();
    let request = request(now, SourceChoice::Auto);
    let report = analytics::run(&request, None, Some(&mirror), &|_, _, _| {})
        .await
        .unwrap();
    assert_eq!(report.source.source, "mirror");
    assert!(report.source.mirror_age_seconds.is_some());
    check(&report, &seed, &request);
    // Team labels come from the mirror's teams.
    let team_names: Vec<&str> = seed
        .teams
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(
        report
            .groups
            .iter()
            .any(|g| team_names.contains(&g.label.as_str()))
    );
}

#[tokio::test]
async fn a_mirror_without_a_finished_sync_is_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let mirror = Mirror::open_sqlite(&dir.path().join("empty.sqlite3")).unwrap();
    let request = request(Utc::now().timestamp(), SourceChoice::Mirror);
    let err = analytics::run(&request, None, Some(&mirror), &|_, _, _| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("sync"), "{err}");
}
