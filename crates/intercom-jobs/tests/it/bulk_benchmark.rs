//! Benchmark (ignored by default; run in release):
//!
//! ```sh
//! cargo test --release -p intercom-jobs --test it bulk_benchmark -- --ignored --nocapture
//! ```
//!
//! A bulk update of N contacts against the sandbox limited to R requests per
//! 10-second window, first clean, then with 5% injected faults (500/502/503 and
//! connections dropped before or after the write). Prints requests per second
//! against the R/10 budget, the share answered 429, and checks that every contact
//! holds its new value and that the sandbox applied exactly N writes.

use std::time::Instant;

use intercom_api::{Client, ClientConfig, Method};
use intercom_jobs::bulk::{
    self, FileRow, JobState, Operation, RunOptions, SqliteJobStore, TargetKind, TargetSpec, targets,
};
use intercom_sandbox::{Sandbox, SandboxConfig, Scale};
use serde_json::{Map, Value, json};

const RATE_LIMIT: u32 = 2_000;
const N: usize = 5_000;

async fn control(
    http: &reqwest::Client,
    sandbox: &Sandbox,
    path: &str,
    body: Option<Value>,
) -> Value {
    let url = format!("{}{path}", sandbox.base_url());
    let request = match body {
        Some(body) => http.post(url).json(&body),
        None => http.get(url),
    };
    request.send().await.unwrap().json().await.unwrap()
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn stat(stats: &Value, key: &str) -> u64 {
    stats[key].as_u64().unwrap_or(0)
}

async fn contact_ids(client: &Client) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    while ids.len() < N {
        let mut query = vec![("per_page", "150".to_string())];
        if let Some(c) = &cursor {
            query.push(("starting_after", c.clone()));
        }
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = client
            .send_json(Method::GET, "/contacts", &query, None)
            .await
            .unwrap();
        ids.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_string()),
        );
        cursor = page
            .pointer("/pages/next/starting_after")
            .and_then(Value::as_str)
            .map(str::to_string);
        if cursor.is_none() {
            break;
        }
    }
    ids.truncate(N);
    assert_eq!(ids.len(), N, "the sandbox has fewer than {N} contacts");
    ids
}

async fn run(label: &str, fault_rate: f64) {
    let sandbox = Sandbox::start(SandboxConfig {
        scale: Scale::Medium,
        seed: 3,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let client = Client::new(
        ClientConfig::builder(sandbox.token())
            .base_url(sandbox.base_url())
            .build()
            .unwrap(),
    )
    .unwrap();
    // After the API client: it installs the TLS crypto provider reqwest needs.
    let http = reqwest::Client::new();
    let ids = contact_ids(&client).await;
    let rows: Vec<FileRow> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| FileRow {
            id: Some(id.clone()),
            email: None,
            payload: Some(json!({"custom_attributes": {"bench": format!("{label}-{i}")}})),
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteJobStore::open(&dir.path().join("mirror.sqlite3")).unwrap();
    let spec = TargetSpec {
        rows,
        ..TargetSpec::default()
    };
    let targets = targets::resolve(&client, TargetKind::Contact, &spec, N)
        .await
        .unwrap();
    let job = bulk::start_job(
        &store,
        &Operation::UpdateContacts {
            attributes: Map::new(),
        },
        &targets,
    )
    .await
    .unwrap();

    control(
        &http,
        &sandbox,
        "/_sandbox/faults",
        Some(json!({"rate_limit": RATE_LIMIT, "fault_rate": fault_rate})),
    )
    .await;
    let before = control(&http, &sandbox, "/_sandbox/stats", None).await;
    let started = Instant::now();
    // The run starts inside a window whose whole budget is still free, which flatters the
    // overall rate; the steady rate counts from the first window boundary on.
    let boundary = {
        let http = http.clone();
        let stats_url = format!("{}/_sandbox/stats", sandbox.base_url());
        tokio::spawn(async move {
            let now = unix_now();
            let at = (now / 10.0).floor() * 10.0 + 10.0;
            tokio::time::sleep(std::time::Duration::from_secs_f64(at - now)).await;
            let stats: Value = http
                .get(stats_url)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (unix_now(), stat(&stats, "requests_total"))
        })
    };
    let report = bulk::run_job(&client, &store, &job, &RunOptions::default(), &|_, _, _| {})
        .await
        .unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    let finished_at = unix_now();
    let after = control(&http, &sandbox, "/_sandbox/stats", None).await;
    let (boundary_at, boundary_total) = boundary.await.unwrap();
    let steady =
        (stat(&after, "requests_total") - boundary_total) as f64 / (finished_at - boundary_at);
    control(
        &http,
        &sandbox,
        "/_sandbox/faults",
        Some(json!({"rate_limit": null, "fault_rate": 0.0})),
    )
    .await;

    let requests = stat(&after, "requests_total") - stat(&before, "requests_total");
    let limited = stat(&after, "rate_limited") - stat(&before, "rate_limited");
    let writes = stat(&after, "writes_applied") - stat(&before, "writes_applied");
    let faults: u64 = after["faults_injected"]
        .as_object()
        .map_or(0, |f| f.values().filter_map(Value::as_u64).sum());
    let budget = f64::from(RATE_LIMIT) / 10.0;
    let rate = requests as f64 / elapsed;
    println!(
        "{label}: {N} contacts, R={RATE_LIMIT}/10 s: {requests} requests in {elapsed:.1} s = {rate:.1} req/s; \
         steady (from the first window boundary, {:.1} s) {steady:.1} req/s = {:.1}% of R/10 = {budget:.0}/s; \
         {} updates/s; 429: {limited} ({:.2}%); faults injected: {faults}; writes applied: {writes}",
        finished_at - boundary_at,
        steady / budget * 100.0,
        (N as f64 / elapsed).round(),
        limited as f64 * 100.0 / requests as f64,
    );
    assert_eq!(report.job.state, JobState::Completed);
    assert_eq!(
        report.job.ok,
        N as u64,
        "{:?}",
        report.items.iter().find(|i| i.error.is_some())
    );
    assert_eq!(writes, N as u64, "updates lost or applied twice");
    assert!(limited * 100 < requests, "too many 429s");
    assert!(
        steady >= 0.9 * budget,
        "steady throughput {steady:.1} req/s below 90% of {budget}"
    );
    let mut wrong = 0;
    for (i, id) in ids.iter().enumerate() {
        let contact = client
            .send_json(Method::GET, &format!("/contacts/{id}"), &[], None)
            .await
            .unwrap();
        if contact["custom_attributes"]["bench"] != json!(format!("{label}-{i}")) {
            wrong += 1;
        }
    }
    assert_eq!(wrong, 0, "contacts without their update");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run in release with --ignored"]
async fn bulk_update_throughput_clean() {
    run("clean", 0.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run in release with --ignored"]
async fn bulk_update_throughput_with_faults() {
    run("faults", 0.05).await;
}
