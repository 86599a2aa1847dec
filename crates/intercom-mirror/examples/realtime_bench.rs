//! Real-time benchmarks (release build; figures go to docs/BENCHMARKS.md):
//!
//!   cargo run --release -p intercom-mcp --example realtime_bench -- webhooks 10000 200
//!   cargo run --release -p intercom-mcp --example realtime_bench -- fts 100000
//!   cargo run --release -p intercom-mcp --example realtime_bench -- sync large 2500 32
//!
//! `webhooks N C`: N signed deliveries, C in flight, to the receiver on a file
//! store; reports ack latency percentiles and checks every one was persisted.
//! `fts N`: N conversations of 4-6 parts in a mirror, then full-text queries.
//! `sync SCALE LIMIT C`: full sync of a sandbox rate-limited to LIMIT requests
//! per 10 s, with C conversation requests in flight; reports the share of the
//! rate-limit allowance used.

use std::sync::Arc;
use std::time::{Duration, Instant};

use intercom_mirror::sync::{ApiSource, SyncOptions, Syncer};
use intercom_mirror::webhooks::{WEBHOOK_PATH, WebhookSecret, WebhookState, sign};
use intercom_mirror::*;
use serde_json::json;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.to_string());
    match arg(0, "").as_str() {
        "webhooks" => webhooks(arg(1, "10000").parse()?, arg(2, "200").parse()?).await,
        "fts" => fts(arg(1, "100000").parse()?).await,
        "sync" => {
            sync(
                &arg(1, "large"),
                arg(2, "2500").parse()?,
                arg(3, "32").parse()?,
            )
            .await
        }
        _ => anyhow::bail!("usage: realtime_bench webhooks N C | fts N | sync SCALE LIMIT C"),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

async fn webhooks(total: usize, in_flight: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mirror = Mirror::open_sqlite(&dir.path().join("bench.sqlite3"))?;
    let secret = "bench-secret";
    let state = WebhookState::new(mirror.clone(), WebhookSecret::new(secret).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}{WEBHOOK_PATH}", listener.local_addr()?);
    tokio::spawn(intercom_mirror::webhooks::serve(
        listener,
        state,
        std::future::pending(),
    ));

    let bodies: Vec<(Vec<u8>, String)> = (0..total)
        .map(|i| {
            let body = serde_json::to_vec(&json!({
                "type": "notification_event", "id": format!("notif_{i}"), "topic": "conversation.user.replied",
                "app_id": "bench", "created_at": 1_800_000_000 + i as i64, "delivery_attempts": 1,
                "data": {"type": "notification_event_data", "item": {
                    "type": "conversation", "id": (100_000 + i % 2_000).to_string(),
                    "created_at": 1_700_000_000, "updated_at": 1_800_000_000 + i as i64, "state": "open",
                    "source": {"type": "conversation", "body": "<p>Order arrived damaged</p>"},
                    "conversation_parts": {"type": "conversation_part.list", "total_count": 1, "conversation_parts": [
                        {"type": "conversation_part", "id": format!("p{i}"), "part_type": "comment",
                         "body": format!("<p>Reply number {i} about the refund</p>"), "created_at": 1_800_000_000 + i as i64}]}}}
            }))
            .unwrap();
            let signature = sign(secret.as_bytes(), &body);
            (body, signature)
        })
        .collect();
    // reqwest is built without a default TLS provider; plain HTTP still needs one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(in_flight)
        .build()?;
    let started = Instant::now();
    let results: Vec<(u16, Duration)> =
        futures::StreamExt::collect(futures::StreamExt::buffer_unordered(
            futures::stream::iter(bodies.into_iter().map(|(body, signature)| {
                let http = http.clone();
                let url = url.clone();
                async move {
                    let sent = Instant::now();
                    let status = http
                        .post(&url)
                        .header("content-type", "application/json")
                        .header("x-hub-signature", signature)
                        .body(body)
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                        .unwrap_or(0);
                    (status, sent.elapsed())
                }
            })),
            in_flight,
        ))
        .await;
    let elapsed = started.elapsed();
    let acked = results.iter().filter(|(s, _)| *s == 200).count();
    let mut latencies: Vec<Duration> = results.iter().map(|(_, d)| *d).collect();
    latencies.sort();
    let stats = mirror.stats().await?;
    println!(
        "webhook burst: {total} deliveries, {in_flight} in flight, file store with synchronous=FULL"
    );
    println!(
        "  acknowledged 2xx: {acked}/{total}; persisted events: {}",
        stats.events
    );
    println!(
        "  wall time {:.2}s ({:.0}/s); ack latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
    );
    anyhow::ensure!(
        acked == total && stats.events as usize == total,
        "not every delivery was persisted"
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

async fn fts(conversations: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mirror = Mirror::open_sqlite(&dir.path().join("fts.sqlite3"))?;
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
                    let words: Vec<&str> = (0..12).map(|_| WORDS[(next() % WORDS.len() as u64) as usize]).collect();
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
        "full-text index: {conversations} conversations, {parts_total} parts indexed in {:.1}s",
        build.elapsed().as_secs_f64()
    );
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
            times[10].as_secs_f64() * 1e3,
            times[20].as_secs_f64() * 1e3
        );
        // The tool's query: filters in the same SQL, the exact total, a page of 20, snippets.
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
                    .search_conversations(intercom_mirror::textsearch::ConversationTextSearch {
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
                times[10].as_secs_f64() * 1e3,
                times[20].as_secs_f64() * 1e3
            );
        }
    }
    Ok(())
}

async fn sync(scale: &str, limit: u32, concurrency: usize) -> anyhow::Result<()> {
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
    let dir = tempfile::tempdir()?;
    let mirror = Mirror::open_sqlite(&dir.path().join("sync.sqlite3"))?;
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
        "  mirror: {:?}, {} parts",
        stats.counts, stats.conversation_parts
    );
    Ok(())
}
