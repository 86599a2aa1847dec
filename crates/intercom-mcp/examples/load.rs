//! Load: N concurrent MCP clients over Streamable HTTP, mixed reads and
//! writes for a fixed time against an in-process zero-latency sandbox.
//! Reports errors, round-trip latency percentiles (an upper bound on the
//! server's overhead: the sandbox answers in microseconds) and the server's
//! RSS at start and end. Figures go to docs/BENCHMARKS.md ("Load").
//!
//!     cargo build --release -p intercom-mcp && \
//!     cargo run --release -p intercom-mcp --example load -- [clients=100] [seconds=60]
//!
//! The server under test is the release binary, spawned as its own process; with
//! `LOAD_SERVER_ARGS` adds `serve` flags to the spawned server; with
//! `LOAD_MCP_URL` (and `LOAD_SANDBOX_URL`, `LOAD_SANDBOX_TOKEN` for the sandbox it uses) the
//! clients go to servers started elsewhere instead, e.g. a fleet behind a balancer
//! (tests/python/fleet_load.py).

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use intercom_sandbox::{Sandbox, SandboxConfig, Scale};
use serde_json::{Value, json};

fn binary() -> String {
    std::env::var("INTERCOM_MCP_BIN").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../target/release/intercom-mcp"
        )
        .to_string()
    })
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

struct Client {
    http: reqwest::Client,
    url: String,
    session: String,
    next_id: i64,
}

fn rpc(id: i64, method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

/// The JSON-RPC answer in a JSON or SSE body.
fn answer(body: &str) -> Option<Value> {
    serde_json::from_str::<Value>(body).ok().or_else(|| {
        body.lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
            .find(|v| v.get("id").is_some())
    })
}

impl Client {
    async fn connect(http: reqwest::Client, url: String) -> anyhow::Result<Client> {
        let init = rpc(
            0,
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "load", "version": "1"}}),
        );
        let resp = http
            .post(&url)
            .header("Accept", "application/json, text/event-stream")
            .json(&init)
            .send()
            .await?;
        let session = resp
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| anyhow::anyhow!("no session id"))?
            .to_string();
        resp.text().await?;
        http.post(&url)
            .header("Accept", "application/json, text/event-stream")
            .header("mcp-session-id", &session)
            .json(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .send()
            .await?;
        Ok(Client {
            http,
            url,
            session,
            next_id: 1,
        })
    }

    /// One tool call: Ok(None) when it succeeded, Ok(Some(text)) for an isError result.
    async fn call(&mut self, tool: &str, args: Value) -> anyhow::Result<Option<String>> {
        self.next_id += 1;
        let body = rpc(
            self.next_id,
            "tools/call",
            json!({"name": tool, "arguments": args}),
        );
        let resp = self
            .http
            .post(&self.url)
            .header("Accept", "application/json, text/event-stream")
            .header("mcp-session-id", &self.session)
            .json(&body)
            .send()
            .await?;
        let status = resp.status();
        let text = resp.text().await?;
        let v = answer(&text).ok_or_else(|| anyhow::anyhow!("HTTP {status}: {text}"))?;
        if let Some(error) = v.get("error") {
            return Ok(Some(error.to_string()));
        }
        if v["result"]["isError"] == true {
            let said = v["result"]["content"][0]["text"].as_str().unwrap_or("");
            return Ok(Some(said.chars().take(160).collect()));
        }
        Ok(None)
    }
}

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    reads: u64,
    writes: u64,
    errors: Vec<String>,
}

/// Starts the release binary against the sandbox; its `/mcp` URL and the process.
async fn spawn_server(
    sandbox_url: &str,
    sandbox_token: &str,
) -> anyhow::Result<(String, std::process::Child)> {
    let mut child = Command::new(binary())
        .args([
            "serve",
            "--transport",
            "http",
            "--port",
            "0",
            "--toolsets",
            "all",
        ])
        .args(["--api-base", sandbox_url])
        // LOAD_SERVER_ARGS: more `serve` flags, e.g. `--max-concurrent-per-client 32`.
        .args(
            std::env::var("LOAD_SERVER_ARGS")
                .unwrap_or_default()
                .split_whitespace(),
        )
        .env("INTERCOM_ACCESS_TOKEN", sandbox_token)
        .env("INTERCOM_MCP_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stderr = child.stderr.take().expect("stderr");
    let base = tokio::task::spawn_blocking(move || {
        let mut seen = String::new();
        let mut buf = [0u8; 1024];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            if let Some(rest) = seen.split("listening on ").nth(1)
                && rest.contains(char::is_whitespace)
            {
                // Keep draining so the server never blocks on a full pipe.
                let url: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
                std::thread::spawn(move || while stderr.read(&mut buf).is_ok_and(|n| n > 0) {});
                return Some(url);
            }
        }
        None
    })
    .await?
    .ok_or_else(|| anyhow::anyhow!("the server did not start"))?;
    Ok((format!("{base}/mcp"), child))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut args = std::env::args().skip(1);
    let clients: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(60);

    // LOAD_MCP_URL: servers already running (a fleet behind a balancer), using the sandbox at
    // LOAD_SANDBOX_URL with LOAD_SANDBOX_TOKEN; their memory is then not measured here.
    let external = std::env::var("LOAD_MCP_URL").ok();
    let mut sandbox = None;
    let (sandbox_url, sandbox_token) = match &external {
        Some(_) => (
            std::env::var("LOAD_SANDBOX_URL")?,
            std::env::var("LOAD_SANDBOX_TOKEN")?,
        ),
        None => {
            let started = Sandbox::start(SandboxConfig {
                scale: Scale::Small,
                // Throughput is measured without Intercom's default budget (1,666 per 10 s).
                rate_limit: None,
                ..SandboxConfig::default()
            })
            .await?;
            let urls = (started.base_url(), started.token().to_string());
            sandbox = Some(started);
            urls
        }
    };
    let (url, mut child) = match external {
        Some(url) => (url, None),
        None => {
            let (url, child) = spawn_server(&sandbox_url, &sandbox_token).await?;
            (url, Some(child))
        }
    };
    let pid = child.as_ref().map(|c| c.id());
    let rss_kib = |pid: Option<u32>| pid.map_or(0, rss_kib);

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let contacts: Vec<String> = {
        let api = intercom_api::Client::new(
            intercom_api::ClientConfig::builder(sandbox_token.clone())
                .base_url(sandbox_url.clone())
                .build()?,
        )?;
        let list = api
            .send_json(
                intercom_api::Method::GET,
                "/contacts?per_page=50",
                &[],
                None,
            )
            .await?;
        list["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["id"].as_str().map(String::from))
            .collect()
    };
    let rss_start = rss_kib(pid);
    let tally = Arc::new(Mutex::new(Tally::default()));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for n in 0..clients {
        let http = http.clone();
        let url = url.clone();
        let tally = tally.clone();
        let contacts = contacts.clone();
        tasks.push(tokio::spawn(async move {
            let mut client = match Client::connect(http, url).await {
                Ok(c) => c,
                Err(e) => {
                    tally.lock().unwrap().errors.push(format!("connect: {e}"));
                    return;
                }
            };
            let mut i = n;
            while Instant::now() < deadline {
                i += 1;
                let contact = &contacts[i % contacts.len()];
                // One write in ten: a contact note; the rest are reads.
                let (tool, args, write) = match i % 10 {
                    0 => (
                        "add_contact_note",
                        json!({"id": contact, "body": format!("load note {n}-{i}")}),
                        true,
                    ),
                    1..=3 => ("get_contact", json!({"id": contact}), false),
                    4 | 5 => (
                        "search_conversations",
                        json!({"state": "open", "limit": 5}),
                        false,
                    ),
                    6 | 7 => ("list_admins", json!({}), false),
                    _ => ("list_tags", json!({}), false),
                };
                let started = Instant::now();
                let outcome = client.call(tool, args).await;
                let took = started.elapsed();
                let mut t = tally.lock().unwrap();
                t.latencies.push(took);
                match outcome {
                    Ok(None) if write => t.writes += 1,
                    Ok(None) => t.reads += 1,
                    Ok(Some(said)) => t.errors.push(format!("{tool}: isError: {said}")),
                    Err(e) => t.errors.push(format!("{tool}: {e}")),
                }
            }
        }));
    }
    // RSS once every session is open and busy, to tell growth from warm-up.
    tokio::time::sleep(Duration::from_secs(seconds.min(10) / 2)).await;
    let rss_warm = rss_kib(pid);
    for task in tasks {
        task.await?;
    }
    let rss_end = rss_kib(pid);
    if let Some(child) = child.as_mut() {
        let _ = child.kill();
        let _ = child.wait();
    }
    drop(sandbox);

    let mut t = Arc::try_unwrap(tally)
        .map_err(|_| anyhow::anyhow!("tally still shared"))?
        .into_inner()
        .unwrap();
    t.latencies.sort();
    let total = t.latencies.len();
    println!("clients={clients} seconds={seconds}");
    println!(
        "calls={total} reads_ok={} writes_ok={} errors={} throughput={:.0} calls/s",
        t.reads,
        t.writes,
        t.errors.len(),
        total as f64 / seconds as f64
    );
    if !t.latencies.is_empty() {
        println!(
            "round trip p50={:.2} ms p99={:.2} ms max={:.2} ms",
            percentile(&t.latencies, 0.50),
            percentile(&t.latencies, 0.99),
            percentile(&t.latencies, 1.0)
        );
    }
    if pid.is_some() {
        println!("server RSS idle={rss_start} KiB warm={rss_warm} KiB end={rss_end} KiB");
    } else {
        println!("server RSS: not measured (servers started elsewhere)");
    }
    // The kinds of error, most frequent first (ids and numbers masked so alike messages group).
    let mut kinds: std::collections::BTreeMap<String, usize> = Default::default();
    for e in &t.errors {
        let masked: String = e
            .chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .collect();
        *kinds.entry(masked).or_default() += 1;
    }
    let mut kinds: Vec<_> = kinds.into_iter().collect();
    kinds.sort_by_key(|kind| std::cmp::Reverse(kind.1));
    for (kind, n) in kinds.iter().take(8) {
        println!("errors x{n}: {kind}");
    }
    Ok(())
}
