//! Hammers one client from many tasks to show the shared limiter keeping clear of 429s.
//!
//! `INTERCOM_ACCESS_TOKEN=… cargo run -p intercom-api --example pace -- BASE_URL TASKS REQUESTS`
//! Use against the sandbox started with `--rate-limit N`.

use std::time::Instant;

use intercom_api::{Client, ClientConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let base = args.first().ok_or("usage: pace BASE_URL TASKS REQUESTS")?;
    let tasks: usize = args.get(1).map_or(Ok(10), |s| s.parse())?;
    let total: usize = args.get(2).map_or(Ok(100), |s| s.parse())?;
    let token = std::env::var("INTERCOM_ACCESS_TOKEN").map_err(|_| "set INTERCOM_ACCESS_TOKEN")?;
    let client = Client::new(
        ClientConfig::builder(token)
            .base_url(base.as_str())
            .build()?,
    )?;
    let started = Instant::now();
    let per_task = total.div_ceil(tasks);
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move {
                let mut failures = 0;
                for _ in 0..per_task {
                    if c.list_teams().await.is_err() {
                        failures += 1;
                    }
                }
                failures
            })
        })
        .collect();
    let mut failures = 0;
    for h in handles {
        failures += h.await?;
    }
    let snap = client.rate_limit();
    println!(
        "{} calls from {tasks} tasks in {:.1}s: {failures} failed, {} sent, {} answered 429, {} paced ({} ms waited)",
        per_task * tasks,
        started.elapsed().as_secs_f64(),
        snap.requests_sent,
        snap.rate_limited_responses,
        snap.paced_requests,
        snap.paced_wait_ms
    );
    Ok(())
}
