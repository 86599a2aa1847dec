//! The mirror in PostgreSQL (`PgMirrorStore`), measured like the SQLite mirror's benchmarks
//! (release build; figures go to docs/BENCHMARKS.md next to the SQLite ones):
//!
//!   cargo run --release -p intercom-pg --example mirror_bench -- fts 100000
//!   cargo run --release -p intercom-pg --example mirror_bench -- metrics 1000000
//!   cargo run --release -p intercom-pg --example mirror_bench -- sync large 2500 32
//!
//! Each run starts a throwaway PostgreSQL cluster as the tests do (`tests/it/cluster.rs`:
//! `fsync=off`, default `shared_buffers`).
//!
//! `fts N`: N conversations of 4-6 parts written through the store (the data of
//! intercom-mirror's `realtime_bench fts`), then `search_text` and `search_conversations`.
//! `metrics N`: N conversations and 20,000 tickets inserted with SQL (the distribution of
//! intercom-jobs' `analytics_benchmark`), then `support_metrics` for `last_30d`.
//! `sync SCALE LIMIT C`: full sync of a sandbox rate-limited to LIMIT requests per 10 s into the
//! PostgreSQL mirror, C conversation requests in flight; the share of the allowance used.

#[allow(dead_code)]
#[path = "../tests/it/cluster.rs"]
mod cluster;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use intercom_jobs::analytics::period::ReportPeriod;
use intercom_jobs::analytics::{self, GroupBy, MetricsRequest, SourceChoice};
use intercom_mirror::sync::{ApiSource, SyncOptions, Syncer};
use intercom_mirror::*;
use intercom_pg::{Database, pg_mirror};
use serde_json::json;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.to_string());
    let url = cluster::fresh_database().await;
    let db = Database::connect(&url).await?;
    let (mirror, _store) = pg_mirror(db, "bench".into());
    match arg(0, "").as_str() {
        "fts" => fts(&mirror, &url, arg(1, "100000").parse()?).await,
        "metrics" => metrics(&mirror, &url, arg(1, "1000000").parse()?).await,
        "sync" => {
            sync(
                &mirror,
                &arg(1, "large"),
                arg(2, "2500").parse()?,
                arg(3, "32").parse()?,
            )
            .await
        }
        _ => anyhow::bail!("usage: mirror_bench fts N | metrics N | sync SCALE LIMIT C"),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn fts(mirror: &Mirror, url: &str, conversations: usize) -> anyhow::Result<()> {
    let build = Instant::now();
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut parts_total = 0usize;
    for chunk in (0..conversations).collect::<Vec<_>>().chunks(2_000) {
        let mut writes = Vec::with_capacity(chunk.len());
        for &i in chunk {
            let n_parts = 4 + (next() % 3) as usize;
            parts_total += n_parts + 1;
            let parts: Vec<_> = (0..n_parts)
                .map(|p| {
                    let words: Vec<&str> = (0..12)
                        .map(|_| WORDS[(next() % WORDS.len() as u64) as usize])
                        .collect();
                    // One rare word in about one part in 5,000.
                    let extra = if next() % 5_000 == 0 { " zeppelin" } else { "" };
                    json!({"type": "conversation_part", "id": format!("{i}-{p}"), "part_type": "comment",
                           "body": format!("<p>{}{extra}</p>", words.join(" ")), "created_at": 1_700_000_000 + p as i64})
                })
                .collect();
            writes.push(MirrorWrite::Upsert(
                ObjectKind::Conversation,
                json!({"type": "conversation", "id": i.to_string(), "created_at": 1_700_000_000, "updated_at": 1_700_000_000 + i as i64,
                       "state": "open", "source": {"type": "conversation", "body": "<p>Hello there</p>"},
                       "conversation_parts": {"type": "conversation_part.list", "total_count": n_parts, "conversation_parts": parts}}),
            ));
        }
        mirror
            .apply(
                WriteBatch {
                    writes,
                    checkpoint: None,
                    log_changes: false,
                },
                ChangeSource::Sync,
            )
            .await?;
    }
    println!(
        "full-text index (PostgreSQL): {conversations} conversations, {parts_total} parts written in {:.1}s",
        build.elapsed().as_secs_f64()
    );
    // Measured as loaded (before autovacuum has analyzed the new rows), then after ANALYZE.
    let admin = cluster::admin(url).await;
    for stage in ["as loaded", "after ANALYZE"] {
        if stage == "after ANALYZE" {
            admin.batch_execute("ANALYZE").await?;
        }
        println!("{stage}:");
        queries(mirror).await?;
    }
    Ok(())
}

async fn queries(mirror: &Mirror) -> anyhow::Result<()> {
    for query in [
        "zeppelin",
        "refund",
        "refund warehouse",
        "declined card payment",
        "password login error",
    ] {
        let mut times = Vec::new();
        let mut hits = 0;
        for _ in 0..21 {
            let t = Instant::now();
            hits = mirror.search_text(query, 20).await?.len();
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "  {query:<24} {hits:>2} hits (limit 20): median {:.1} ms, max {:.1} ms",
            ms(times[10]),
            ms(times[20])
        );
        for (label, filter) in [
            ("no filter", None),
            (
                "state open, id < 50000",
                Some(json!({"operator": "AND", "value": [
                    {"field": "state", "operator": "=", "value": "open"},
                    {"field": "id", "operator": "<", "value": "50000"}]})),
            ),
        ] {
            let mut times = Vec::new();
            let mut total = 0;
            for _ in 0..21 {
                let t = Instant::now();
                let page = mirror
                    .search_conversations(ConversationTextSearch {
                        text: query.to_string(),
                        filter: filter.clone(),
                        sla_status: None,
                        limit: 20,
                        cursor: None,
                    })
                    .await?;
                total = page.total;
                times.push(t.elapsed());
            }
            times.sort();
            println!(
                "    search_conversations ({label}): total {total}, median {:.1} ms, max {:.1} ms",
                ms(times[10]),
                ms(times[20])
            );
        }
    }
    Ok(())
}

/// The raw JSON of a search result without parts (~1 KB, as in the SQLite benchmark).
const RAW: &str = r#"{"type":"conversation","waiting_since":null,"snoozed_until":null,"source":{"type":"conversation","delivered_as":"customer_initiated","subject":"","body":"<p>Hi, our weekly export to the data warehouse failed again last night with a timeout. Can you take a look?</p>","author":{"type":"user","id":"6643a1b2c3d4e5f6a7b8c9d0","name":"Jordan Example","email":"jordan@example.com"},"attachments":[],"url":"https://app.example.com/dashboards","redacted":false},"contacts":{"type":"contact.list","contacts":[{"type":"contact","id":"6643a1b2c3d4e5f6a7b8c9d0"}]},"read":true,"tags":{"type":"tag.list","tags":[]},"priority":"not_priority","sla_applied":null,"statistics":{"type":"conversation_statistics","time_to_admin_reply":1800,"count_reopens":0,"count_assignments":1,"count_conversation_parts":6},"conversation_rating":null,"teammates":{"type":"admin.list","teammates":[{"type":"admin","id":"991"}]},"title":null,"custom_attributes":{"issue_type":"Exports"},"ai_agent_participated":false,"channel":{"initial":"messenger","current":"messenger"}}"#;

async fn metrics(mirror: &Mirror, url: &str, conversations: i64) -> anyhow::Result<()> {
    let now = Utc::now().timestamp();
    let admin = cluster::admin(url).await;
    let started = Instant::now();
    admin.execute("SELECT setseed(0.5)", &[]).await?;
    // Same distribution as the SQLite benchmark: 180 days; 30% open when under 14 days old,
    // 1% otherwise (a tenth of those snoozed); first reply within a day; closes within 3 days
    // of it; 30% of closed ones rated.
    for start in (0..conversations).step_by(100_000) {
        let end = (start + 100_000).min(conversations) - 1;
        admin
            .execute(
                "WITH base AS (
                     SELECT i, $1::bigint - floor(random() * 180 * 86400)::bigint AS created_at,
                            random() AS r_state, random() AS r_snooze,
                            60 + floor(random() * 86340)::bigint AS reply,
                            60 + floor(random() * (3 * 86400 - 60))::bigint AS close_after,
                            random() AS r_rated, 1 + floor(random() * 5)::bigint AS score,
                            (ARRAY['none','low','medium','high','urgent'])[1 + floor(random() * 5)::int] AS priority,
                            floor(random() * 40)::bigint AS admin, floor(random() * 6)::bigint AS team,
                            (ARRAY['messenger','email','whatsapp','twitter'])[1 + floor(random() * 4)::int] AS channel,
                            (random() < 0.05)::int AS reopens,
                            (ARRAY[NULL, NULL, 'hit', 'missed'])[1 + floor(random() * 4)::int] AS sla
                     FROM generate_series($2::bigint, $3::bigint) i),
                 s AS (
                     SELECT *, CASE WHEN r_state < (CASE WHEN ($1 - created_at) / 86400 < 14 THEN 0.3 ELSE 0.01 END)
                                    THEN (CASE WHEN r_snooze < 0.1 THEN 'snoozed' ELSE 'open' END)
                                    ELSE 'closed' END AS state,
                               LEAST(created_at + reply, $1) AS first_reply
                     FROM base),
                 c AS (SELECT *, CASE WHEN state = 'closed' THEN LEAST(first_reply + close_after, $1) END AS closed_at FROM s),
                 r AS (SELECT *, CASE WHEN closed_at IS NOT NULL AND r_rated < 0.3 THEN LEAST(closed_at + 600, $1) END AS rated_at FROM c)
                 INSERT INTO conversations (id, created_at, updated_at, state, open, priority,
                     admin_assignee_id, team_assignee_id, channel, tag_ids, first_contact_reply_at,
                     first_admin_reply_at, time_to_admin_reply, last_close_at, count_reopens,
                     rating_score, rating_created_at, sla_status, raw, mirrored_at)
                 SELECT (100000000 + i)::text, created_at, COALESCE(rated_at, closed_at, first_reply), state,
                        (state <> 'closed')::int, priority, admin, team, channel, '[]'::jsonb, created_at,
                        first_reply, first_reply - created_at, closed_at, reopens,
                        CASE WHEN rated_at IS NOT NULL THEN score END, rated_at, sla,
                        $4::jsonb || jsonb_build_object('id', (100000000 + i)::text, 'created_at', created_at,
                                                       'state', state, 'open', state <> 'closed'),
                        $1
                 FROM r",
                &[&now, &start, &end, &serde_json::from_str::<serde_json::Value>(RAW)?],
            )
            .await?;
    }
    admin
        .execute(
            "INSERT INTO tickets (id, created_at, updated_at, category, ticket_type_id, state_category,
                 admin_assignee_id, team_assignee_id, raw, mirrored_at)
             SELECT (900000000 + i)::text, created_at, LEAST(created_at + floor(random() * 5 * 86400)::bigint, $1),
                    'Customer', type_id::text,
                    (ARRAY['submitted','in_progress','waiting_on_customer','resolved'])[1 + floor(random() * 4)::int],
                    0, 0, jsonb_build_object('type', 'ticket', 'id', i::text,
                        'ticket_type', jsonb_build_object('id', type_id::text, 'name', 'Type ' || type_id)), $1
             FROM (SELECT i, $1 - floor(random() * 180 * 86400)::bigint AS created_at,
                          1 + floor(random() * 5)::bigint AS type_id
                   FROM generate_series(0, 19999) i) t",
            &[&now],
        )
        .await?;
    // What autovacuum does in time: statistics, and the visibility map index-only scans need.
    for table in ["conversations", "tickets"] {
        admin
            .batch_execute(&format!("VACUUM ANALYZE {table}"))
            .await?;
    }
    let size: i64 = admin
        .query_one("SELECT pg_total_relation_size('conversations')", &[])
        .await?
        .get(0);
    println!(
        "built the PostgreSQL mirror: {conversations} conversations, 20000 tickets, {:.0} MB (conversations with indexes), in {:.1} s",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    mirror
        .apply(
            WriteBatch {
                writes: Vec::new(),
                checkpoint: Some(Checkpoint {
                    kind: ObjectKind::Conversation,
                    phase: SyncPhase::Incremental,
                    cursor: None,
                    high_water: now,
                    run_started_at: None,
                    run_items: 0,
                    last_completed_at: Some(now),
                }),
                log_changes: false,
            },
            ChangeSource::Sync,
        )
        .await?;
    let tz: chrono_tz::Tz = "Europe/Dublin".parse()?;
    for group_by in [None, Some(GroupBy::Day), Some(GroupBy::Team)] {
        let request = MetricsRequest {
            period: ReportPeriod::resolve(Some("last_30d"), None, None, tz, Utc::now())
                .map_err(anyhow::Error::msg)?,
            group_by,
            source: SourceChoice::Mirror,
            now,
        };
        let mut times = Vec::new();
        let mut examined = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let report = analytics::run(&request, None, Some(mirror), &|_, _, _| {}).await?;
            times.push(ms(t.elapsed()));
            examined = report.source.conversations_examined;
            anyhow::ensure!(report.source.source == "mirror");
        }
        times.sort_by(f64::total_cmp);
        println!(
            "last_30d group_by={:<5} conversations examined {examined}: median {:.0} ms (min {:.0}, max {:.0}) over 5 runs",
            group_by.map_or("none", |g| g.name()),
            times[2],
            times[0],
            times[4]
        );
    }
    Ok(())
}

async fn sync(mirror: &Mirror, scale: &str, limit: u32, concurrency: usize) -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let scale: intercom_sandbox::Scale = scale.parse().map_err(anyhow::Error::msg)?;
    let seeding = Instant::now();
    let sandbox = intercom_sandbox::Sandbox::start(intercom_sandbox::SandboxConfig {
        scale,
        rate_limit: Some(limit),
        ..Default::default()
    })
    .await?;
    println!(
        "sandbox {scale:?} ready in {:.1}s, rate limit {limit} requests per 10 s",
        seeding.elapsed().as_secs_f64()
    );
    let client = intercom_api::Client::new(
        intercom_api::ClientConfig::builder(sandbox.token())
            .base_url(sandbox.base_url())
            .build()?,
    )?;
    let options = SyncOptions {
        concurrency,
        ..SyncOptions::default()
    };
    let report = Syncer::new(mirror.clone(), Arc::new(ApiSource::new(client)), options)
        .run()
        .await?;
    println!("{}", report.summary());
    let allowance = report.seconds * f64::from(limit) / 10.0;
    println!(
        "  used {:.1}% of the rate-limit allowance ({} requests in {:.1}s; allowance {:.0})",
        100.0 * report.requests as f64 / allowance,
        report.requests,
        report.seconds,
        allowance
    );
    let stats = mirror.stats().await?;
    println!(
        "  PostgreSQL mirror: {:?}, {} parts",
        stats.counts, stats.conversation_parts
    );
    Ok(())
}

const WORDS: &[&str] = &[
    "order",
    "refund",
    "shipping",
    "account",
    "password",
    "invoice",
    "billing",
    "delivery",
    "package",
    "login",
    "subscription",
    "cancel",
    "upgrade",
    "plan",
    "payment",
    "card",
    "declined",
    "address",
    "tracking",
    "warehouse",
    "support",
    "thanks",
    "please",
    "help",
    "issue",
    "error",
    "screen",
    "mobile",
    "app",
    "browser",
    "export",
    "report",
    "team",
    "invite",
    "email",
    "notification",
    "settings",
    "profile",
    "discount",
    "coupon",
    "return",
    "exchange",
];
