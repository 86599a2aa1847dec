//! Server-side overhead of tool calls, idle memory and a concurrency soak,
//! against an in-process zero-latency sandbox. Figures go to docs/BENCHMARKS.md.
//!
//!     cargo build --release -p intercom-mcp && \
//!     cargo run --release -p intercom-mcp --example bench_server
//!
//! The server under test is the release binary (`target/release/intercom-mcp`),
//! spawned as a separate process, so its RSS and timings are its own.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use intercom_sandbox::{Sandbox, SandboxConfig, Scale};
use serde_json::{Value, json};

const CALLS: usize = 2000;
const SOAK_CLIENTS: usize = 100;

fn binary() -> String {
    std::env::var("INTERCOM_MCP_BIN").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../target/release/intercom-mcp"
        )
        .to_string()
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{label}: n={} p50={:.3} ms p99={:.3} ms max={:.3} ms",
        samples.len(),
        percentile(&samples, 0.50).as_secs_f64() * 1e3,
        percentile(&samples, 0.99).as_secs_f64() * 1e3,
        samples.last().unwrap().as_secs_f64() * 1e3
    );
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn spawn(args: &[&str], sandbox: &Sandbox) -> Child {
    Command::new(binary())
        .args(args)
        .env("INTERCOM_ACCESS_TOKEN", sandbox.token())
        .env("INTERCOM_API_BASE", sandbox.base_url())
        .env("INTERCOM_MCP_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run target/release/intercom-mcp (build it with --release first)")
}

/// Sequential tool calls over stdio; returns each round trip.
fn stdio_calls(sandbox: &Sandbox, tool: &str, args: Value) -> (Vec<Duration>, u64) {
    let mut child = spawn(&["serve"], sandbox);
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let mut send = |msg: Value, expect: bool, out: &mut BufReader<_>, line: &mut String| {
        writeln!(stdin, "{msg}").unwrap();
        if expect {
            line.clear();
            out.read_line(line).unwrap();
            let v: Value = serde_json::from_str(line).unwrap();
            assert!(
                v.get("error").is_none() && v["result"]["isError"] != true,
                "{line}"
            );
        }
    };
    send(
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}}),
        true,
        &mut out,
        &mut line,
    );
    send(
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        false,
        &mut out,
        &mut line,
    );
    let mut samples = Vec::with_capacity(CALLS);
    for i in 0..CALLS + 50 {
        let started = Instant::now();
        send(
            json!({"jsonrpc": "2.0", "id": i + 1, "method": "tools/call", "params": {"name": tool, "arguments": args}}),
            true,
            &mut out,
            &mut line,
        );
        if i >= 50 {
            samples.push(started.elapsed());
        }
    }
    let rss = rss_kib(child.id());
    drop(stdin);
    let _ = child.wait();
    (samples, rss)
}

struct HttpSession {
    http: reqwest::Client,
    url: String,
    session: String,
}

impl HttpSession {
    async fn open(http: reqwest::Client, url: &str) -> HttpSession {
        let resp = http
            .post(url)
            .header("Accept", "application/json, text/event-stream")
            .json(&json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}}))
            .send()
            .await
            .unwrap();
        let session = resp.headers()["mcp-session-id"]
            .to_str()
            .unwrap()
            .to_string();
        resp.text().await.unwrap();
        http.post(url)
            .header("Accept", "application/json, text/event-stream")
            .header("mcp-session-id", &session)
            .json(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .send()
            .await
            .unwrap();
        HttpSession {
            http,
            url: url.to_string(),
            session,
        }
    }

    async fn call(&self, id: usize, tool: &str, args: &Value) -> Result<(), String> {
        let resp = self
            .http
            .post(&self.url)
            .header("Accept", "application/json, text/event-stream")
            .header("mcp-session-id", &self.session)
            .json(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": args}}))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(format!("HTTP {}", resp.status()));
        }
        let body = resp.text().await.map_err(|e| e.to_string())?;
        let ok = body.contains("\"result\"") && !body.contains("\"isError\":true");
        if ok {
            Ok(())
        } else {
            Err(body.chars().take(300).collect())
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sandbox = Sandbox::start(SandboxConfig {
        scale: Scale::Small,
        // Throughput is measured without Intercom's default budget (1,666 per 10 s).
        rate_limit: None,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    println!("sandbox: {} (small, zero latency)", sandbox.base_url());

    // A conversation to read: one upstream GET per call.
    let api = intercom_api::Client::new(
        intercom_api::ClientConfig::builder(sandbox.token())
            .base_url(sandbox.base_url())
            .build()
            .unwrap(),
    )
    .unwrap();
    let found = api
        .send_json(intercom_api::Method::POST, "/conversations/search", &[], Some(json!({"query": {"field": "state", "operator": "=", "value": "open"}, "pagination": {"per_page": 1}})))
        .await
        .unwrap();
    let conversation = found["conversations"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The upstream's own latency for that GET, measured from this process.
    let mut upstream = Vec::new();
    for _ in 0..CALLS {
        let started = Instant::now();
        api.send_json(
            intercom_api::Method::GET,
            &format!("/conversations/{conversation}"),
            &[],
            None,
        )
        .await
        .unwrap();
        upstream.push(started.elapsed());
    }
    report(
        "upstream GET /conversations/{id} (direct, for reference)",
        upstream,
    );

    let sb = &sandbox;
    let conv = conversation.clone();
    let (stdio_list, stdio_rss) =
        tokio::task::block_in_place(|| stdio_calls(sb, "list_teams", json!({})));
    report(
        "stdio tools/call list_teams (cached directory: no upstream call)",
        stdio_list,
    );
    let (stdio_get, _) =
        tokio::task::block_in_place(|| stdio_calls(sb, "get_conversation", json!({"id": conv})));
    report(
        "stdio tools/call get_conversation (one upstream GET)",
        stdio_get,
    );
    println!(
        "stdio server RSS after {} calls: {} KiB",
        CALLS + 50,
        stdio_rss
    );

    // HTTP: the binary on a fixed loopback port.
    let port = 18_000 + (std::process::id() % 1000) as u16;
    let port_s = port.to_string();
    let mut server = spawn(
        &["serve", "--transport", "http", "--port", &port_s],
        &sandbox,
    );
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!(
        "http server idle RSS (started, no client yet): {} KiB",
        rss_kib(server.id())
    );
    let url = format!("{base}/mcp");
    let s = HttpSession::open(http.clone(), &url).await;
    for (tool, args, label) in [
        (
            "list_teams",
            json!({}),
            "http tools/call list_teams (no upstream call)",
        ),
        (
            "get_conversation",
            json!({"id": conversation}),
            "http tools/call get_conversation (one upstream GET)",
        ),
    ] {
        let mut samples = Vec::new();
        for i in 0..CALLS + 50 {
            let started = Instant::now();
            s.call(i, tool, &args).await.unwrap();
            if i >= 50 {
                samples.push(started.elapsed());
            }
        }
        report(label, samples);
    }
    println!(
        "http server RSS after sequential calls: {} KiB",
        rss_kib(server.id())
    );

    // Soak: 100 concurrent clients (own sessions) for 60 s, mixed reads.
    let soak_secs: u64 = std::env::var("SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let calls = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(soak_secs);
    let mut tasks = Vec::new();
    for c in 0..SOAK_CLIENTS {
        let (http, url, calls, errors, conversation) = (
            http.clone(),
            url.clone(),
            calls.clone(),
            errors.clone(),
            conversation.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let s = HttpSession::open(http, &url).await;
            let mut latencies = Vec::new();
            let mut i = 0usize;
            while Instant::now() < deadline {
                let (tool, args) = match (c + i) % 3 {
                    0 => ("list_teams", json!({})),
                    1 => ("get_conversation", json!({"id": conversation})),
                    _ => ("search_conversations", json!({"open": true, "limit": 5})),
                };
                let started = Instant::now();
                match s.call(i, tool, &args).await {
                    Ok(()) => latencies.push(started.elapsed()),
                    Err(e) => {
                        if errors.fetch_add(1, Ordering::Relaxed) < 3 {
                            eprintln!("soak error: {e}");
                        }
                    }
                }
                calls.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let total = calls.load(Ordering::Relaxed);
    println!(
        "soak: {SOAK_CLIENTS} concurrent HTTP clients for {soak_secs} s: {total} calls ({:.0}/s), {} errors",
        total as f64 / soak_secs as f64,
        errors.load(Ordering::Relaxed)
    );
    report("soak round trip (client-observed, mixed tools)", all);
    println!("http server RSS after soak: {} KiB", rss_kib(server.id()));
    let _ = server.kill();
    let _ = server.wait();
}
