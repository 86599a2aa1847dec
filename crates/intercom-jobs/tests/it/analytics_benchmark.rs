//! Benchmark (ignored by default; run in release):
//!
//! ```sh
//! cargo test --release -p intercom-jobs --test it analytics_benchmark -- --ignored --nocapture
//! ```
//!
//! Builds a mirror of 1,000,000 conversations (rows written straight into the
//! mirror's tables, spread over 180 days, each with a realistic ~1 KB raw JSON)
//! plus 20,000 tickets, then times `support_metrics` for `last_30d` from it.
//! Prints the figures for docs/BENCHMARKS.md; fails if the median is 1 s or more.

use std::time::Instant;

use chrono::Utc;
use chrono_tz::Tz;
use intercom_jobs::analytics::period::ReportPeriod;
use intercom_jobs::analytics::{self, GroupBy, MetricsRequest, SourceChoice};
use intercom_mirror::{ChangeSource, Checkpoint, Mirror, ObjectKind, SyncPhase, WriteBatch};
use rand::{Rng, SeedableRng};
use rusqlite::params;

const CONVERSATIONS: i64 = 1_000_000;
const TICKETS: i64 = 20_000;
const DAYS: i64 = 180;

fn raw_conversation(id: i64, created_at: i64, updated_at: i64, state: &str) -> String {
    // The shape of a search result without parts; sizes match real ones.
    format!(
        r#"{{"type":"conversation","id":"{id}","created_at":{created_at},"updated_at":{updated_at},"waiting_since":null,"snoozed_until":null,"source":{{"type":"conversation","id":"{m}","delivered_as":"customer_initiated","subject":"","body":"<p>Hi, our weekly export to the data warehouse failed again last night with a timeout. Can you take a look?</p>","author":{{"type":"user","id":"6643a1b2c3d4e5f6a7b8c9d0","name":"Jordan Example","email":"jordan@example.com"}},"attachments":[],"url":"https://app.example.com/dashboards","redacted":false}},"contacts":{{"type":"contact.list","contacts":[{{"type":"contact","id":"6643a1b2c3d4e5f6a7b8c9d0","external_id":"u-{id}"}}]}},"open":{open},"state":"{state}","read":true,"tags":{{"type":"tag.list","tags":[]}},"priority":"not_priority","sla_applied":null,"statistics":{{"type":"conversation_statistics","time_to_admin_reply":1800,"first_contact_reply_at":{created_at},"count_reopens":0,"count_assignments":1,"count_conversation_parts":6}},"conversation_rating":null,"teammates":{{"type":"admin.list","teammates":[{{"type":"admin","id":"991"}}]}},"title":null,"custom_attributes":{{"issue_type":"Exports"}},"ai_agent_participated":false,"channel":{{"initial":"messenger","current":"messenger"}}}}"#,
        m = id + 2_000_000_000,
        open = state != "closed",
    )
}

fn build_mirror(path: &std::path::Path, now: i64) {
    let started = Instant::now();
    let mirror = Mirror::open_sqlite(path).unwrap();
    drop(mirror);
    let mut conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update(None, "synchronous", "OFF").unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let tx = conn.transaction().unwrap();
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO conversations (id, created_at, updated_at, state, open, priority,
                    admin_assignee_id, team_assignee_id, channel, tag_ids, first_contact_reply_at,
                    first_admin_reply_at, time_to_admin_reply, last_close_at, count_reopens,
                    rating_score, rating_created_at, sla_status, raw, mirrored_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?2, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
            )
            .unwrap();
        let channels = ["messenger", "email", "whatsapp", "twitter"];
        let priorities = ["none", "low", "medium", "high", "urgent"];
        let slas = [None, None, Some("hit"), Some("missed")];
        for i in 0..CONVERSATIONS {
            let created_at = now - rng.random_range(0..DAYS * 86_400);
            let age_days = (now - created_at) / 86_400;
            let open_share = if age_days < 14 { 0.3 } else { 0.01 };
            let state = if rng.random_bool(open_share) {
                if rng.random_bool(0.1) {
                    "snoozed"
                } else {
                    "open"
                }
            } else {
                "closed"
            };
            let reply = rng.random_range(60..86_400i64);
            let first_reply = (created_at + reply).min(now);
            let closed_at = (state == "closed")
                .then(|| (first_reply + rng.random_range(60..3 * 86_400)).min(now));
            let rated = closed_at.filter(|_| rng.random_bool(0.3));
            let rated_at = rated.map(|c| (c + 600).min(now));
            let updated_at = rated_at.or(closed_at).unwrap_or(first_reply);
            insert
                .execute(params![
                    (100_000_000 + i).to_string(),
                    created_at,
                    updated_at,
                    state,
                    i64::from(state != "closed"),
                    priorities[rng.random_range(0..5)],
                    rng.random_range(0..40i64),
                    rng.random_range(0..6i64),
                    channels[rng.random_range(0..4)],
                    "[]",
                    first_reply,
                    first_reply - created_at,
                    closed_at,
                    i64::from(rng.random_bool(0.05)),
                    rated.map(|_| rng.random_range(1..=5i64)),
                    rated_at,
                    slas[rng.random_range(0..4)],
                    raw_conversation(100_000_000 + i, created_at, updated_at, state),
                    now,
                ])
                .unwrap();
        }
        let mut tickets = tx
            .prepare(
                "INSERT INTO tickets (id, created_at, updated_at, category, ticket_type_id,
                    state_category, admin_assignee_id, team_assignee_id, raw, mirrored_at)
                 VALUES (?1, ?2, ?3, 'Customer', ?4, ?5, 0, 0, ?6, ?7)",
            )
            .unwrap();
        let categories = [
            "submitted",
            "in_progress",
            "waiting_on_customer",
            "resolved",
        ];
        for i in 0..TICKETS {
            let created_at = now - rng.random_range(0..DAYS * 86_400);
            let updated_at = (created_at + rng.random_range(0..5 * 86_400)).min(now);
            let type_id = rng.random_range(1..6i64);
            let raw = format!(
                r#"{{"type":"ticket","id":"{i}","ticket_type":{{"id":"{type_id}","name":"Type {type_id}"}}}}"#
            );
            tickets
                .execute(params![
                    (900_000_000 + i).to_string(),
                    created_at,
                    updated_at,
                    type_id.to_string(),
                    categories[rng.random_range(0..4)],
                    raw,
                    now
                ])
                .unwrap();
        }
    }
    tx.commit().unwrap();
    conn.execute_batch("ANALYZE").unwrap();
    drop(conn);
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    println!(
        "built the mirror: {CONVERSATIONS} conversations, {TICKETS} tickets, {:.0} MB, in {:.1} s",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run in release with --ignored"]
async fn last_30d_over_a_million_conversations() {
    let now = Utc::now().timestamp();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mirror.sqlite3");
    build_mirror(&path, now);
    let mirror = Mirror::open_sqlite(&path).unwrap();
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
                writes: Vec::new(),
                checkpoint: Some(checkpoint),
                log_changes: false,
            },
            ChangeSource::Sync,
        )
        .await
        .unwrap();
    let started = Instant::now();
    analytics::source::ensure_fact_index(mirror.sqlite().unwrap()).unwrap();
    println!(
        "one-off metrics index over the mirror: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let tz: Tz = "Europe/Dublin".parse().unwrap();
    for group_by in [None, Some(GroupBy::Day), Some(GroupBy::Team)] {
        let request = MetricsRequest {
            period: ReportPeriod::resolve(Some("last_30d"), None, None, tz, Utc::now()).unwrap(),
            group_by,
            source: SourceChoice::Mirror,
            now,
        };
        let mut times = Vec::new();
        let mut examined = 0;
        for _ in 0..5 {
            let started = Instant::now();
            let report = analytics::run(&request, None, Some(&mirror), &|_, _, _| {})
                .await
                .unwrap();
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            examined = report.source.conversations_examined;
            assert!(report.conversations.created > 100_000);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "last_30d group_by={:<5} conversations examined {examined}: median {:.0} ms (min {:.0}, max {:.0}) over 5 runs",
            group_by.map_or("none", |g| g.name()),
            times[2],
            times[0],
            times[4]
        );
        if group_by.is_none() {
            assert!(times[2] < 1000.0, "median {:.0} ms", times[2]);
        }
    }
}
