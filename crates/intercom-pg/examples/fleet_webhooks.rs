//! Webhook burst into one SQLite mirror and into a fleet of replicas on PostgreSQL, side by side.
//!
//! `cargo run --release -p intercom-pg --example fleet_webhooks -- [N] [IN_FLIGHT] [REPLICAS]`
//! (defaults `10000 200 3`). The same N distinct signed notifications (the payload of
//! intercom-mirror's `realtime_bench webhooks`) go, IN_FLIGHT at a time, first to one webhook
//! receiver on a SQLite mirror (the single-process default), then spread round robin over
//! REPLICAS receivers, each a replica of its own: its own connection pool on one PostgreSQL
//! database (a throwaway cluster, as the tests start), the mirror in that database
//! (`PgMirrorStore`) and its own follower of the shared event log. It prints acknowledged
//! deliveries, wall time, ack latency and events stored (and that each id is stored once).
//! The fleet's replicas share one mirror: an acknowledged notification is in it for all.

#[allow(dead_code)]
#[path = "../tests/it/cluster.rs"]
mod cluster;

use std::time::{Duration, Instant};

use intercom_mirror::Mirror;
use intercom_mirror::webhooks::{WEBHOOK_PATH, WebhookSecret, WebhookState, sign};
use intercom_pg::{Database, follow_fleet_events, pg_mirror};
use serde_json::json;

const SECRET: &str = "bench-secret";

fn bodies(total: usize, prefix: &str) -> Vec<(Vec<u8>, String)> {
    (0..total)
        .map(|i| {
            let body = serde_json::to_vec(&json!({
                "type": "notification_event", "id": format!("{prefix}_{i}"), "topic": "conversation.user.replied",
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
            let signature = sign(SECRET.as_bytes(), &body);
            (body, signature)
        })
        .collect()
}

async fn receiver(mirror: Mirror) -> anyhow::Result<String> {
    let state = WebhookState::new(mirror, WebhookSecret::new(SECRET).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}{WEBHOOK_PATH}", listener.local_addr()?);
    tokio::spawn(intercom_mirror::webhooks::serve(
        listener,
        state,
        std::future::pending(),
    ));
    Ok(url)
}

struct Burst {
    elapsed: Duration,
    acked: usize,
    latencies: Vec<Duration>,
}

async fn burst(urls: &[String], bodies: Vec<(Vec<u8>, String)>, in_flight: usize) -> Burst {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(in_flight)
        .build()
        .unwrap();
    let started = Instant::now();
    let results: Vec<(u16, Duration)> =
        futures::StreamExt::collect(futures::StreamExt::buffer_unordered(
            futures::stream::iter(
                bodies
                    .into_iter()
                    .enumerate()
                    .map(|(i, (body, signature))| {
                        let http = http.clone();
                        let url = urls[i % urls.len()].clone();
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
                    }),
            ),
            in_flight,
        ))
        .await;
    let elapsed = started.elapsed();
    let mut latencies: Vec<Duration> = results.iter().map(|(_, d)| *d).collect();
    latencies.sort();
    Burst {
        elapsed,
        acked: results.iter().filter(|(s, _)| *s == 200).count(),
        latencies,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3
}

fn row(label: &str, total: usize, b: &Burst, stored: u64, extra: &str) {
    println!(
        "| {label} | {}/{total} | {:.2} s ({:.0}/s) | {:.1} / {:.1} / {:.1} ms | {stored} | {extra} |",
        b.acked,
        b.elapsed.as_secs_f64(),
        total as f64 / b.elapsed.as_secs_f64(),
        percentile(&b.latencies, 0.50),
        percentile(&b.latencies, 0.99),
        b.latencies.last().unwrap().as_secs_f64() * 1e3,
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let total: usize = args.first().map_or(Ok(10_000), |s| s.parse())?;
    let in_flight: usize = args.get(1).map_or(Ok(200), |s| s.parse())?;
    let replicas: usize = args.get(2).map_or(Ok(3), |s| s.parse())?;
    let dir = tempfile::tempdir()?;
    println!(
        "| setup | acknowledged | wall time | ack p50 / p99 / max | events stored | every copy current |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");

    // One process, SQLite.
    let mirror = Mirror::open_sqlite(&dir.path().join("single.sqlite3"))?;
    let url = receiver(mirror.clone()).await?;
    let b = burst(&[url], bodies(total, "notif_single"), in_flight).await;
    let stored = mirror.stats().await?.events;
    row("1 process, SQLite", total, &b, stored, "n/a");
    anyhow::ensure!(b.acked == total && stored as usize == total);

    // REPLICAS replicas on one PostgreSQL.
    let url = cluster::fresh_database().await;
    let mut urls = Vec::new();
    for r in 0..replicas {
        let db = Database::connect(&url).await?;
        let (mirror, store) = pg_mirror(db.clone(), format!("replica{r}"));
        tokio::spawn(follow_fleet_events(
            mirror.clone(),
            store,
            db,
            format!("replica{r}"),
        ));
        urls.push(receiver(mirror).await?);
    }
    let b = burst(&urls, bodies(total, "notif_fleet"), in_flight).await;
    let admin = cluster::admin(&url).await;
    let row_counts = admin
        .query_one("SELECT count(*), count(DISTINCT id) FROM events", &[])
        .await?;
    let (rows, distinct): (i64, i64) = (row_counts.get(0), row_counts.get(1));
    anyhow::ensure!(rows == distinct, "{rows} rows for {distinct} ids");
    row(
        &format!("{replicas} replicas, PostgreSQL"),
        total,
        &b,
        distinct as u64,
        "at the ack (one shared mirror)",
    );
    anyhow::ensure!(b.acked == total && distinct as usize == total);
    Ok(())
}
