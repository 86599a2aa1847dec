//! Release-mode measurements of the sandbox (figures go to docs/BENCHMARKS.md):
//!
//! ```text
//! cargo run --release -p intercom-sandbox --example bench_sandbox
//! ```
//!
//! 1. startup time of the `small` workspace (seeding included), median of 5;
//! 2. two-filter conversation search on the `large` workspace (100k conversations), median
//!    and p95 of 60 requests over loopback;
//! 3. simple-request throughput over loopback with concurrent keep-alive clients, 5 seconds.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use intercom_sandbox::{Sandbox, SandboxConfig, Scale};
use serde_json::{Value, json};

fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client")
}

async fn startup(scale: Scale) -> (Sandbox, f64) {
    let started = Instant::now();
    let sandbox = Sandbox::start(SandboxConfig {
        scale,
        // Throughput is measured without Intercom's default budget (1,666 per 10 s).
        rate_limit: None,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    (sandbox, started.elapsed().as_secs_f64() * 1000.0)
}

async fn post(client: &reqwest::Client, sandbox: &Sandbox, path: &str, body: &Value) -> Value {
    client
        .post(format!("{}{path}", sandbox.base_url()))
        .bearer_auth(sandbox.token())
        .json(body)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
}

async fn get(client: &reqwest::Client, sandbox: &Sandbox, path: &str) -> Value {
    client
        .get(format!("{}{path}", sandbox.base_url()))
        .bearer_auth(sandbox.token())
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
}

async fn search_latency(client: &reqwest::Client, sandbox: &Sandbox, name: &str, query: Value) {
    let body = json!({"query": query, "pagination": {"per_page": 20}});
    let first = post(client, sandbox, "/conversations/search", &body).await;
    let total = first["total_count"].as_u64().unwrap_or(0);
    let mut samples = Vec::new();
    for _ in 0..60 {
        let started = Instant::now();
        let page = post(client, sandbox, "/conversations/search", &body).await;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(page["total_count"].as_u64(), Some(total));
    }
    let med = median(&mut samples);
    let p95 = percentile(&mut samples, 0.95);
    println!("  {name}: {total} matches, median {med:.1} ms, p95 {p95:.1} ms");
}

async fn throughput(sandbox: &Sandbox, path: &str, clients: usize, seconds: u64) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let url = format!("{}{path}", sandbox.base_url());
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (done, errors, url) = (done.clone(), errors.clone(), url.clone());
        let token = sandbox.token().to_string();
        let client = client();
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let ok = match client.get(&url).bearer_auth(&token).send().await {
                    Ok(resp) => resp.status().is_success() && resp.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if ok {
                    done.fetch_add(1, Ordering::Relaxed);
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let started = Instant::now();
    for task in tasks {
        task.await.expect("client task");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let errors = errors.load(Ordering::Relaxed);
    assert_eq!(errors, 0, "no request failed");
    done.load(Ordering::Relaxed) as f64 / elapsed
}

#[tokio::main]
async fn main() {
    let http = client();

    println!("Startup of the small workspace (seeding included), 5 runs:");
    let mut startups = Vec::new();
    for _ in 0..5 {
        let (sandbox, ms) = startup(Scale::Small).await;
        startups.push(ms);
        sandbox.shutdown();
    }
    println!(
        "  median {:.0} ms (runs: {:?})",
        median(&mut startups),
        startups.iter().map(|m| m.round()).collect::<Vec<_>>()
    );

    println!("Throughput, small workspace, keep-alive clients, 5 s each:");
    let (small, _) = startup(Scale::Small).await;
    let admins = get(&http, &small, "/admins").await;
    let admin_id = admins["admins"][0]["id"].as_str().unwrap().to_string();
    for (path, clients) in [(format!("/admins/{admin_id}"), 16), ("/me".to_string(), 32)] {
        let rate = throughput(&small, &path, clients, 5).await;
        println!("  GET {path} with {clients} clients: {rate:.0} req/s");
    }
    small.shutdown();

    println!("Large workspace:");
    let (large, ms) = startup(Scale::Large).await;
    let list = get(&http, &large, "/conversations?per_page=1").await;
    println!(
        "  started in {:.1} s with {} conversations",
        ms / 1000.0,
        list["total_count"]
    );
    let admins = get(&http, &large, "/admins").await;
    let admin: i64 = admins["admins"][1]["id"].as_str().unwrap().parse().unwrap();
    let week_ago = large.now() - 7 * 86_400;
    search_latency(
        &http,
        &large,
        "state = open AND admin_assignee_id = <admin>",
        json!({"operator": "AND", "value": [
            {"field": "state", "operator": "=", "value": "open"},
            {"field": "admin_assignee_id", "operator": "=", "value": admin},
        ]}),
    )
    .await;
    search_latency(
        &http,
        &large,
        "created_at > <7 days ago> AND priority IN [high, urgent]",
        json!({"operator": "AND", "value": [
            {"field": "created_at", "operator": ">", "value": week_ago},
            {"field": "priority", "operator": "IN", "value": ["high", "urgent"]},
        ]}),
    )
    .await;
    search_latency(
        &http,
        &large,
        "source.author.email ~ <domain> AND open = true",
        json!({"operator": "AND", "value": [
            {"field": "source.author.email", "operator": "~", "value": ".com"},
            {"field": "open", "operator": "=", "value": true},
        ]}),
    )
    .await;
    large.shutdown();
}
