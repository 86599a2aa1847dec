//! How much of one Intercom app's rate-limit allowance a fleet of replicas uses together when
//! they share it through PostgreSQL ([`PgRateBudget`]), against the sandbox.
//!
//! `cargo run --release -p intercom-pg --example fleet_rate_share -- [LIMITS] [WINDOWS] [REPLICAS] [TASKS]`
//! (defaults `20,50,167,1666 4 3 11`). It starts a throwaway PostgreSQL cluster (as the tests
//! do; PostgreSQL must be installed, see scripts/setup.sh), then for each limit (requests per
//! 10-second window) a sandbox with that limit, and REPLICAS clients, each with its own pool
//! and budget handle on one database, sending `WINDOWS × limit` GET /teams from TASKS tasks each.
//! It prints the share of the allowance over the run, the share in the complete windows (first
//! and last partial windows left out), the busiest window, the sandbox's 429 count, and what
//! each replica sent.

#[allow(dead_code)]
#[path = "../tests/it/cluster.rs"]
mod cluster;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use intercom_api::{Client, ClientConfig, RateBudget};
use intercom_pg::{Database, PgRateBudget};
use intercom_sandbox::{Sandbox, SandboxConfig};

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

struct Outcome {
    elapsed: f64,
    /// Answers per sandbox window (10 s, aligned on the Unix clock), in order.
    per_window: Vec<u32>,
    sandbox_429: u64,
    sent_per_replica: Vec<u64>,
    failed: usize,
}

async fn run(
    url: &str,
    limit: u32,
    windows: usize,
    replicas: usize,
    tasks: usize,
) -> anyhow::Result<Outcome> {
    let sandbox = Sandbox::start(SandboxConfig {
        rate_limit: Some(limit),
        ..SandboxConfig::default()
    })
    .await?;
    let budget_name = format!("bench-{limit}");
    let mut fleet = Vec::new();
    for _ in 0..replicas {
        let budget = Arc::new(PgRateBudget::new(
            Database::connect(url).await?,
            budget_name.clone(),
        ));
        let client = Client::with_rate_budget(
            ClientConfig::builder(sandbox.token())
                .base_url(sandbox.base_url())
                .build()?,
            budget.clone(),
        )?;
        fleet.push((client, budget));
    }
    let left = Arc::new(AtomicUsize::new(windows * limit as usize));
    let started = Instant::now();
    let mut handles = Vec::new();
    for (client, _) in &fleet {
        for _ in 0..tasks {
            let (client, left) = (client.clone(), left.clone());
            handles.push(tokio::spawn(async move {
                let mut answered = Vec::new();
                let mut failed = 0;
                while left
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                    .is_ok()
                {
                    match client.list_teams().await {
                        Ok(_) => answered.push(unix_now()),
                        Err(_) => failed += 1,
                    }
                }
                (answered, failed)
            }));
        }
    }
    let mut answered = Vec::new();
    let mut failed = 0;
    for handle in handles {
        let (times, f) = handle.await?;
        answered.extend(times);
        failed += f;
    }
    let elapsed = started.elapsed().as_secs_f64();
    answered.sort_by(f64::total_cmp);
    let mut per_window: Vec<(i64, u32)> = Vec::new();
    for t in answered {
        let window = (t as i64).div_euclid(10);
        match per_window.last_mut() {
            Some((w, n)) if *w == window => *n += 1,
            _ => per_window.push((window, 1)),
        }
    }
    let stats: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/_sandbox/stats", sandbox.base_url()))
        .send()
        .await?
        .json()
        .await?;
    sandbox.shutdown();
    Ok(Outcome {
        elapsed,
        per_window: per_window.into_iter().map(|(_, n)| n).collect(),
        sandbox_429: stats["rate_limited"].as_u64().unwrap_or(0),
        sent_per_replica: fleet
            .iter()
            .map(|(_, b)| b.snapshot().requests_sent)
            .collect(),
        failed,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // RUST_LOG=intercom_pg=debug shows the ledger's view of every 429.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let limits: Vec<u32> = args
        .first()
        .map_or("20,50,167,1666", String::as_str)
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let windows: usize = args.get(1).map_or(Ok(4), |s| s.parse())?;
    let replicas: usize = args.get(2).map_or(Ok(3), |s| s.parse())?;
    let tasks: usize = args.get(3).map_or(Ok(11), |s| s.parse())?;
    let url = cluster::fresh_database().await;
    println!(
        "{windows} windows of requests per limit, {replicas} replicas × {tasks} tasks, one PostgreSQL rate ledger"
    );
    println!(
        "limit/10s  requests  elapsed  share(run)  share(full windows)  busiest window  429s  sent per replica  failed"
    );
    for limit in limits {
        let o = run(&url, limit, windows, replicas, tasks).await?;
        let answered: u32 = o.per_window.iter().sum();
        let run_share = answered as f64 / (limit as f64 * o.elapsed / 10.0);
        let full = o
            .per_window
            .get(1..o.per_window.len().saturating_sub(1))
            .unwrap_or(&[]);
        let full_share = if full.is_empty() {
            "n/a".to_owned()
        } else {
            let mean = full.iter().sum::<u32>() as f64 / full.len() as f64;
            format!("{:.1}% of {}", 100.0 * mean / limit as f64, full.len())
        };
        println!(
            "{:>9}  {:>8}  {:>6.1}s  {:>9.1}%  {:>19}  {:>14}  {:>4}  {:>16}  {:>6}",
            limit,
            windows * limit as usize,
            o.elapsed,
            100.0 * run_share,
            full_share,
            o.per_window.iter().max().copied().unwrap_or(0),
            o.sandbox_429,
            format!("{:?}", o.sent_per_replica),
            o.failed
        );
    }
    Ok(())
}
