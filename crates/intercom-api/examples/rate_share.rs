//! How much of the rate-limit allowance one client uses, at several limits, against the sandbox.
//!
//! `cargo run --release -p intercom-api --example rate_share -- [LIMITS] [WINDOWS] [TASKS]`
//! (defaults `20,50,167,1666 4 32`). For each limit (requests per 10-second window) it starts a
//! sandbox with that limit, sends `WINDOWS × limit` GET /teams from TASKS tasks sharing one
//! client, and prints: the share of the allowance over the run (answered requests ÷ limit per
//! 10 s × elapsed), the share in the complete windows (mean answered per window ÷ limit, first
//! and last partial windows left out), the busiest window, and the 429s the sandbox sent.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use intercom_api::{Client, ClientConfig};
use intercom_sandbox::{Sandbox, SandboxConfig};

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

struct Outcome {
    limit: u32,
    requests: usize,
    elapsed: f64,
    /// Answers per sandbox window (10 s, aligned on the Unix clock), in order.
    per_window: Vec<u32>,
    sandbox_429: u64,
    client_sent: u64,
    failed: usize,
}

async fn run(limit: u32, windows: usize, tasks: usize) -> anyhow::Result<Outcome> {
    let sandbox = Sandbox::start(SandboxConfig {
        rate_limit: Some(limit),
        ..SandboxConfig::default()
    })
    .await?;
    let client = Client::new(
        ClientConfig::builder(sandbox.token())
            .base_url(sandbox.base_url())
            .build()?,
    )?;
    let requests = windows * limit as usize;
    let left = Arc::new(AtomicUsize::new(requests));
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let client = client.clone();
            let left = left.clone();
            tokio::spawn(async move {
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
            })
        })
        .collect();
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
    let outcome = Outcome {
        limit,
        requests,
        elapsed,
        per_window: per_window.into_iter().map(|(_, n)| n).collect(),
        sandbox_429: stats["rate_limited"].as_u64().unwrap_or(0),
        client_sent: client.rate_limit().requests_sent,
        failed,
    };
    sandbox.shutdown();
    Ok(outcome)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The application chooses the TLS provider; intercom-api does not.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let limits: Vec<u32> = args
        .first()
        .map_or("20,50,167,1666", String::as_str)
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let windows: usize = args.get(1).map_or(Ok(4), |s| s.parse())?;
    let tasks: usize = args.get(2).map_or(Ok(32), |s| s.parse())?;
    println!("{windows} windows of requests per limit, {tasks} tasks sharing one client");
    println!(
        "limit/10s  requests  elapsed  share(run)  share(full windows)  busiest window  429s  sent  failed"
    );
    for limit in limits {
        let o = run(limit, windows, tasks).await?;
        let answered: u32 = o.per_window.iter().sum();
        let run_share = answered as f64 / (o.limit as f64 * o.elapsed / 10.0);
        let full = o
            .per_window
            .get(1..o.per_window.len().saturating_sub(1))
            .unwrap_or(&[]);
        let full_share = if full.is_empty() {
            "n/a".to_owned()
        } else {
            let mean = full.iter().sum::<u32>() as f64 / full.len() as f64;
            format!("{:.1}% of {}", 100.0 * mean / o.limit as f64, full.len())
        };
        println!(
            "{:>9}  {:>8}  {:>6.1}s  {:>9.1}%  {:>19}  {:>14}  {:>4}  {:>4}  {:>6}",
            o.limit,
            o.requests,
            o.elapsed,
            100.0 * run_share,
            full_share,
            o.per_window.iter().max().copied().unwrap_or(0),
            o.sandbox_429,
            o.client_sent,
            o.failed
        );
    }
    Ok(())
}
