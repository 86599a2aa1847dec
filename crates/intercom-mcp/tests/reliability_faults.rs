//! The fault matrix: the server against a sandbox injecting 429 storms,
//! 500/502/503, latency and connections dropped before or after a write was
//! applied. Reads succeed or fail with a clear message after bounded retries;
//! writes are never duplicated (counted afterwards with faults off); the
//! server keeps answering. Also: upstream down entirely, then back.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::{Harness, all_tools, id_of, server_for, text};
use intercom_api::Method;
use intercom_mcp::inprocess::InProcessClient;
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
    let app = intercom_mcp::transport::http::router(
        server.clone(),
        &intercom_mcp::transport::http::HttpOptions::default(),
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
