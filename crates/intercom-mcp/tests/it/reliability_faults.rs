//! The fault matrix: the server against a sandbox injecting 429 storms,
//! 500/502/503, latency and connections dropped before or after a write was
//! applied. Reads succeed or fail with a clear message after bounded retries;
//! writes are never duplicated (counted afterwards with faults off); bulk jobs
//! end with every item applied once (read back) or reported failed; the
//! server keeps answering. Also: upstream down entirely, then back.

use crate::common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Harness, all_tools, id_of, server_for, text};
use intercom_api::Method;
use intercom_mcp_server::inprocess::InProcessClient;
use intercom_mcp_server::server::IntercomServer;
use intercom_sandbox::{Sandbox, SandboxConfig, Scale};
use serde_json::{Value, json};

/// Sets the sandbox's fault controls (control routes are never faulted).
async fn faults(h: &Harness, controls: Value) {
    h.api
        .send_json(Method::POST, "/_sandbox/faults", &[], Some(controls))
        .await
        .expect("fault controls accepted");
}

async fn faults_off(h: &Harness) {
    faults(
        h,
        json!({"fault_rate": 0.0, "latency_ms": 0, "rate_limit": null}),
    )
    .await;
}

async fn stats(h: &Harness) -> Value {
    h.get("/_sandbox/stats").await
}

fn injected(stats: &Value) -> u64 {
    stats["faults_injected"]
        .as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0)
}

/// A failed tool call must say what happened: a status or a transport failure.
fn assert_clear_failure(message: &str) {
    let lower = message.to_lowercase();
    assert!(
        [
            "server error",
            "5",
            "connection",
            "transport",
            "retry",
            "intercom"
        ]
        .iter()
        .any(|w| lower.contains(w))
            && message.len() > 20,
        "unclear failure message: {message}"
    );
}

async fn some_contact_id(h: &Harness) -> String {
    let list = h.get("/contacts?per_page=1").await;
    id_of(&list["data"][0]["id"])
}

#[tokio::test]
async fn reads_survive_5xx_faults_and_fail_clearly_when_they_never_stop() {
    let h = Harness::start().await;
    let contact = some_contact_id(&h).await;
    faults(
        &h,
        json!({"fault_rate": 0.3, "fault_kinds": ["500", "502", "503", "drop_before", "drop_after"]}),
    )
    .await;
    let mut ok = 0;
    for _ in 0..12 {
        let result = h
            .client
            .call("get_contact", json!({"id": contact}))
            .await
            .expect("call runs");
        if result.is_error == Some(true) {
            assert_clear_failure(&text(&result));
        } else {
            ok += 1;
        }
    }
    let seen = stats(&h).await;
    assert!(injected(&seen) > 0, "faults were injected: {seen}");
    // Reads retry: with 30% faults and 5 attempts, nearly every read gets through.
    assert!(ok >= 10, "only {ok}/12 reads succeeded despite retries");

    // Every read fails: the retries are bounded and the message is clear.
    faults(&h, json!({"fault_rate": 1.0, "fault_kinds": ["503"]})).await;
    let started = Instant::now();
    let message = h.err("get_contact", json!({"id": contact})).await;
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "retries took {:?}",
        started.elapsed()
    );
    assert!(message.contains("503") || message.to_lowercase().contains("server error"));
    assert_clear_failure(&message);

    faults_off(&h).await;
    h.ok("get_contact", json!({"id": contact})).await;
}

#[tokio::test]
async fn a_429_storm_is_waited_out_and_latency_is_tolerated() {
    let h = Harness::start().await;
    // A tiny window: most of these calls hit 429 and must wait for the reset.
    faults(&h, json!({"rate_limit": 4, "latency_ms": 150})).await;
    let calls = (0..8).map(|_| h.client.call("list_admins", json!({})));
    let results = futures::future::join_all(calls).await;
    for result in results {
        let result = result.expect("call runs");
        assert_ne!(result.is_error, Some(true), "{}", text(&result));
    }
    let seen = stats(&h).await;
    assert!(
        seen["rate_limited"].as_u64().unwrap_or(0) > 0
            || seen["requests_total"].as_u64().unwrap_or(0) >= 4,
        "the storm happened: {seen}"
    );
    faults_off(&h).await;
}

/// How often each `marker-N` key occurs across the given bodies.
fn count_markers<'a>(
    bodies: impl Iterator<Item = &'a str>,
    marker: &str,
) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for body in bodies {
        if let Some(start) = body.find(marker) {
            let key: String = body[start..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '-')
                .collect();
            *counts.entry(key).or_insert(0) += 1;
        }
    }
    counts
}

/// Every key occurs once, and every write reported done is among them.
fn assert_each_once(counts: &HashMap<String, usize>, reported_ok: &[String]) {
    for (key, n) in counts {
        assert_eq!(*n, 1, "{key} was written {n} times");
    }
    for key in reported_ok {
        assert_eq!(
            counts.get(key),
            Some(&1),
            "{key} reported ok but not stored once"
        );
    }
}

/// Runs `count` writes under the current faults, each with a unique
/// `marker-N` body; returns the bodies the server reported as done. Also
/// turns faults off afterwards, having checked some were injected.
async fn writes_under_faults(
    h: &Harness,
    tool: &str,
    marker: &str,
    count: usize,
    args: impl Fn(&str) -> Value,
) -> Vec<String> {
    let mut reported_ok = Vec::new();
    for i in 0..count {
        let body = format!("{marker}{i}");
        let result = h.client.call(tool, args(&body)).await.expect("call runs");
        if result.is_error == Some(true) {
            assert_clear_failure(&text(&result));
        } else {
            reported_ok.push(body);
        }
    }
    let seen = stats(h).await;
    faults_off(h).await;
    assert!(injected(&seen) > 0, "faults were injected: {seen}");
    reported_ok
}

#[tokio::test]
async fn notes_written_under_faults_are_never_duplicated() {
    let h = Harness::start().await;
    let contact = some_contact_id(&h).await;
    // Warm the acting-admin lookup so faults hit the write itself.
    h.ok("whoami", json!({})).await;
    faults(
        &h,
        json!({"fault_rate": 0.5, "fault_kinds": ["500", "502", "503", "drop_before", "drop_after"]}),
    )
    .await;
    let reported_ok = writes_under_faults(
        &h,
        "add_contact_note",
        "faultnote-",
        12,
        |body| json!({"id": contact, "body": body}),
    )
    .await;
    let notes = h
        .get(&format!("/contacts/{contact}/notes?per_page=150"))
        .await;
    let bodies = notes["data"].as_array().expect("notes list").iter();
    let counts = count_markers(
        bodies.map(|n| n["body"].as_str().unwrap_or("")),
        "faultnote-",
    );
    assert_each_once(&counts, &reported_ok);
    // The server is still fine.
    h.ok("whoami", json!({})).await;
}

#[tokio::test]
async fn conversations_created_under_faults_are_never_duplicated() {
    let h = Harness::start().await;
    let contact = h
        .post(
            "/contacts",
            json!({"role": "user", "email": "fault.matrix@example.com", "name": "Fault Matrix"}),
        )
        .await;
    let contact_id = id_of(&contact["id"]);
    faults(
        &h,
        json!({"fault_rate": 0.5, "fault_kinds": ["500", "503", "drop_before", "drop_after"]}),
    )
    .await;
    let reported_ok = writes_under_faults(
        &h,
        "create_conversation",
        "faultconv-",
        10,
        |body| json!({"contact_id": contact_id, "body": body}),
    )
    .await;
    let found = h
        .post(
            "/conversations/search",
            json!({"query": {"field": "contact_ids", "operator": "=", "value": contact_id},
                   "pagination": {"per_page": 150}}),
        )
        .await;
    let conversations = found["conversations"]
        .as_array()
        .expect("conversations")
        .iter();
    let counts = count_markers(
        conversations.map(|c| c["source"]["body"].as_str().unwrap_or("")),
        "faultconv-",
    );
    assert_each_once(&counts, &reported_ok);
    h.ok("whoami", json!({})).await;
}

/// A port with nothing listening on it (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn upstream_down_answers_promptly_and_recovers_without_restart() {
    let port = closed_port();
    let token = "down-and-up-token";
    let server = server_for(&format!("http://127.0.0.1:{port}"), token, all_tools());
    let client = InProcessClient::connect(server.clone())
        .await
        .expect("client connects");

    let started = Instant::now();
    let result = client
        .call("list_admins", json!({}))
        .await
        .expect("call runs");
    let took = started.elapsed();
    assert_eq!(result.is_error, Some(true));
    let message = text(&result);
    assert!(
        took < Duration::from_secs(8),
        "a dead upstream took {took:?} to report"
    );
    let lower = message.to_lowercase();
    assert!(
        lower.contains("connect") || lower.contains("reach") || lower.contains("network"),
        "not actionable: {message}"
    );
    assert!(
        message.contains(&port.to_string()) || lower.contains("base url"),
        "{message}"
    );

    // /healthz over the real HTTP router says degraded.
    let shutdown = tokio_util::sync::CancellationToken::new();
    let app = intercom_mcp_server::transport::http::router(
        server.clone(),
        &intercom_mcp_server::transport::http::HttpOptions::default(),
        shutdown.clone(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum_serve(listener, app).await });
    let health: Value = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "degraded", "{health}");

    // The upstream comes back on the same port: the same server works.
    let sandbox = Sandbox::start(SandboxConfig {
        port,
        token: token.into(),
        scale: Scale::Tiny,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox takes the port");
    let result = client
        .call("list_admins", json!({}))
        .await
        .expect("call runs");
    assert_ne!(result.is_error, Some(true), "{}", text(&result));
    assert!(text(&result).len() > 10);
    shutdown.cancel();
    drop(sandbox);
}

async fn axum_serve(listener: tokio::net::TcpListener, app: axum::Router) {
    let _ = axum::serve(listener, app).await;
}

/// A harness whose server keeps bulk jobs (they live in the local mirror).
/// Also returns the server, whose Intercom client counts the 429s it met.
async fn bulk_harness() -> (Harness, IntercomServer, tempfile::TempDir) {
    let sandbox = Sandbox::start(SandboxConfig {
        scale: Scale::Tiny,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    let dir = tempfile::tempdir().unwrap();
    let mirror = intercom_mirror::Mirror::open_sqlite(&dir.path().join("mirror.sqlite3"))
        .expect("mirror opens");
    let server = server_for(&sandbox.base_url(), sandbox.token(), all_tools())
        .with_realtime(intercom_mcp_server::live::Realtime::start(mirror, None));
    (
        Harness::with_server(sandbox, server.clone()).await,
        server,
        dir,
    )
}

fn writes_applied(stats: &Value) -> u64 {
    stats["writes_applied"].as_u64().unwrap_or(0)
}

/// Runs a bulk job (dry_run false) under `controls` and checks the outcome:
/// the job ends with nothing pending, every item reported ok shows its change
/// (`applied` reads it back), every failed item says why, and Intercom saw at
/// most one applied write per item (no item written twice). A tool that
/// fails before its job starts must say so clearly and write nothing.
#[allow(clippy::too_many_arguments)]
async fn bulk_job_under_faults(
    h: &Harness,
    server: &IntercomServer,
    label: &str,
    controls: Value,
    tool: &str,
    args: Value,
    ids: &[String],
    applied: impl AsyncFn(&str) -> bool,
) -> JobOutcome {
    let earlier = stats(h).await;
    let storm = controls.get("rate_limit").is_some();
    let slow = controls.get("latency_ms").is_some();
    faults(h, controls).await;
    let started = Instant::now();
    let result = if storm {
        // Another client drains every window as it opens, so the job meets 429s.
        let done = AtomicBool::new(false);
        let job = async {
            let result = h.client.call(tool, args).await;
            done.store(true, Ordering::Relaxed);
            result
        };
        let (result, met) = tokio::join!(job, drain_rate_limit(h, server, &done));
        // The tool call's own requests (finding the targets, or the job's writes) met the
        // storm, not only the neighbour's.
        assert!(met, "{label}: the tool call met no 429");
        result
    } else {
        h.client.call(tool, args).await
    };
    let result = result.expect("call runs");
    let took = started.elapsed();
    let seen = stats(h).await;
    faults_off(h).await;
    let writes = writes_applied(&seen) - writes_applied(&earlier);
    let total = ids.len() as u64;
    if storm {
        let limited = seen["rate_limited"].as_u64().unwrap_or(0)
            - earlier["rate_limited"].as_u64().unwrap_or(0);
        assert!(limited > 0, "{label}: no 429 was sent: {seen}");
    } else if slow {
        assert!(took >= Duration::from_millis(300), "{label}: took {took:?}");
    } else {
        assert!(
            injected(&seen) > injected(&earlier),
            "{label}: no fault injected: {seen}"
        );
    }

    if result.is_error == Some(true) {
        assert_clear_failure(&text(&result));
        assert_eq!(
            writes, 0,
            "{label}: a job refused up front wrote {writes} times"
        );
        return JobOutcome::Refused;
    }
    let report = result.structured_content.expect("a job report");
    let job = &report["job"];
    assert_eq!(job["state"], "completed", "{label}: {report}");
    assert_eq!(job["pending"], 0, "{label}: {job}");
    let (ok, failed) = (job["ok"].as_u64().unwrap(), job["failed"].as_u64().unwrap());
    assert_eq!(ok + failed, total, "{label}: {job}");
    let items = report["items"].as_array().expect("items");
    assert_eq!(items.len(), ids.len(), "{label}: {report}");
    for item in items {
        let id = item["id"].as_str().expect("item id");
        match item["status"].as_str() {
            Some("ok") => assert!(applied(id).await, "{label}: {id} reported ok, not applied"),
            Some("failed") => assert_clear_failure(item["error"].as_str().unwrap_or_default()),
            other => panic!("{label}: item {id} ended {other:?}"),
        }
    }
    assert!(
        ok <= writes && writes <= total,
        "{label}: {ok} items ok, {total} in all, but {writes} writes applied"
    );
    JobOutcome::Ran
}

/// Whether a job under faults ran, or was refused up front with a clear error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobOutcome {
    Ran,
    Refused,
}

/// A refusal is a fine answer to a fault, but a matrix of refusals tests no job: the
/// fault-free ones (slow, storm) must run, and so must at least one with errors injected.
fn assert_jobs_ran(outcomes: &[(&str, JobOutcome)]) {
    let ran = |label: &str| outcomes.contains(&(label, JobOutcome::Ran));
    assert!(
        ran("slow") && ran("storm"),
        "refused without errors: {outcomes:?}"
    );
    assert!(
        ["5xx", "drops", "down"].iter().any(|label| ran(label)),
        "every job with injected errors was refused: {outcomes:?}"
    );
}

/// Spends each rate-limit window as soon as it opens (plain requests that do not wait for
/// the reset, as a busy neighbour would) until the server's own client got a 429 (the tool
/// call met the storm), or the call ended. Returns whether the call met it.
async fn drain_rate_limit(h: &Harness, server: &IntercomServer, done: &AtomicBool) -> bool {
    let http = reqwest::Client::new();
    let url = format!("{}/me", h.sandbox.base_url());
    let workspace = server
        .workspaces()
        .default_workspace()
        .await
        .expect("the server's workspace");
    let limited = || workspace.api().client().rate_limit().rate_limited_responses;
    let before = limited();
    let met = AtomicBool::new(false);
    let drainer = async || {
        while !done.load(Ordering::Relaxed) && !met.load(Ordering::Relaxed) {
            let _ = http.get(&url).bearer_auth(h.sandbox.token()).send().await;
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    };
    let watcher = async {
        while !done.load(Ordering::Relaxed) && !met.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(5)).await;
            if limited() > before {
                met.store(true, Ordering::Relaxed);
            }
        }
    };
    tokio::join!(drainer(), drainer(), drainer(), watcher);
    met.load(Ordering::Relaxed) || limited() > before
}

/// The fault kinds of the matrix, each applied to a whole bulk job.
fn bulk_fault_matrix() -> Vec<(&'static str, Value)> {
    vec![
        (
            "5xx",
            json!({"fault_rate": 0.4, "fault_kinds": ["500", "502", "503"]}),
        ),
        (
            "drops",
            json!({"fault_rate": 0.4, "fault_kinds": ["drop_before", "drop_after"]}),
        ),
        ("storm", json!({"rate_limit": 5})),
        ("slow", json!({"latency_ms": 300})),
        // Nearly every request fails: items run out of attempts and are reported failed.
        (
            "down",
            json!({"fault_rate": 0.9, "fault_kinds": ["503", "drop_before"]}),
        ),
    ]
}

async fn some_contact_ids(h: &Harness, n: usize) -> Vec<String> {
    let list = h.get(&format!("/contacts?per_page={n}")).await;
    let ids: Vec<String> = list["data"]
        .as_array()
        .expect("contacts")
        .iter()
        .map(|c| id_of(&c["id"]))
        .collect();
    assert_eq!(ids.len(), n, "the sandbox has {n} contacts");
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_contact_updates_under_faults_apply_once_or_report_failed() {
    let (h, server, _dir) = bulk_harness().await;
    let ids = some_contact_ids(&h, 5).await;
    h.ok("whoami", json!({})).await;
    let mut outcomes = Vec::new();
    for (label, controls) in bulk_fault_matrix() {
        let value = format!("fault-{label}");
        let args = json!({
            "contact_ids": ids,
            "attributes": {"custom_attributes": {"fault_matrix": value}},
            "dry_run": false,
        });
        let applied = async |id: &str| {
            let contact = h.get(&format!("/contacts/{id}")).await;
            contact["custom_attributes"]["fault_matrix"] == value.as_str()
        };
        let outcome = bulk_job_under_faults(
            &h,
            &server,
            label,
            controls,
            "bulk_update_contacts",
            args,
            &ids,
            applied,
        )
        .await;
        outcomes.push((label, outcome));
    }
    assert_jobs_ran(&outcomes);
    // The server survived all of it.
    h.ok("whoami", json!({})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_tagging_under_faults_applies_once_or_reports_failed() {
    let (h, server, _dir) = bulk_harness().await;
    let ids = some_contact_ids(&h, 5).await;
    h.ok("whoami", json!({})).await;
    let mut outcomes = Vec::new();
    for (label, controls) in bulk_fault_matrix() {
        let tag = format!("fault-{label}");
        // The tag exists beforehand, so the only writes are the attachments.
        h.post("/tags", json!({"name": tag})).await;
        let args = json!({"object": "contacts", "tag": tag, "ids": ids, "dry_run": false});
        let applied = async |id: &str| {
            let tags = h.get(&format!("/contacts/{id}/tags")).await;
            let times = tags["data"]
                .as_array()
                .expect("tags")
                .iter()
                .filter(|t| t["name"] == tag.as_str())
                .count();
            assert!(times <= 1, "{label}: {id} carries {tag} {times} times");
            times == 1
        };
        let outcome = bulk_job_under_faults(
            &h, &server, label, controls, "bulk_tag", args, &ids, applied,
        )
        .await;
        outcomes.push((label, outcome));
    }
    assert_jobs_ran(&outcomes);
    h.ok("whoami", json!({})).await;
}
