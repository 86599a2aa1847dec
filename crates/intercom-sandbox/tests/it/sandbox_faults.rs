//! Rate limits, injected faults (deterministic under the seed), latency, and the control surface.

use crate::common;

use std::time::{Duration, Instant};

use common::{Harness, tiny};
use intercom_sandbox::SandboxConfig;
use reqwest::Method;
use serde_json::{Value, json};

async fn control(h: &Harness, body: Value) -> Value {
    let resp = h
        .client
        .post(h.url("/_sandbox/faults"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

async fn stats(h: &Harness) -> Value {
    h.client
        .get(h.url("/_sandbox/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn real_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Waits until the current (wall-clock) 10-second window has a few seconds left.
async fn early_in_window() {
    while real_now().rem_euclid(10) >= 6 {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn rate_limit_window_headers_and_429() {
    let h = Harness::with(SandboxConfig {
        rate_limit: Some(5),
        ..tiny()
    })
    .await;
    early_in_window().await;
    let mut remaining = Vec::new();
    for _ in 0..5 {
        let resp = h.get("/admins").await;
        assert_eq!(resp.status, 200);
        assert_eq!(resp.header("x-ratelimit-limit"), Some("5"));
        remaining.push(
            resp.header("x-ratelimit-remaining")
                .unwrap()
                .parse::<u32>()
                .unwrap(),
        );
        let reset: i64 = resp.header("x-ratelimit-reset").unwrap().parse().unwrap();
        assert!(
            reset > real_now() && reset <= real_now() + 10,
            "reset is real Unix time"
        );
    }
    assert_eq!(remaining, [4, 3, 2, 1, 0]);
    let limited = h.get("/admins").await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.code(), "rate_limit_exceeded");
    assert_eq!(limited.header("x-ratelimit-remaining"), Some("0"));
    // A 429 did not process the write.
    let refused = h
        .post("/contacts", json!({"email": "limited@example.org"}))
        .await;
    assert_eq!(refused.status, 429);
    let counted = stats(&h).await;
    assert_eq!(counted["rate_limited"], 2);

    // The limit can be lifted at run time.
    control(&h, json!({"rate_limit": null})).await;
    let open = h.get("/admins").await;
    assert_eq!(open.status, 200);
    assert!(open.header("x-ratelimit-limit").is_none());
    let search = h
        .ok(Method::POST, "/contacts/search", Some(json!({"query": {"field": "email", "operator": "=", "value": "limited@example.org"}})))
        .await;
    assert_eq!(search["total_count"], 0);
}

/// Status of each of `n` GETs (0 = connection dropped).
async fn status_sequence(h: &Harness, n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..n {
        let status = match h.try_call(Method::GET, "/admins", None).await {
            Ok(resp) => resp.status,
            Err(_) => 0,
        };
        out.push(status);
    }
    out
}

#[tokio::test]
async fn faults_are_deterministic_under_the_seed() {
    let config = SandboxConfig {
        fault_rate: 0.5,
        seed: 7,
        ..tiny()
    };
    let a = Harness::with(config.clone()).await;
    let b = Harness::with(config).await;
    let first = status_sequence(&a, 40).await;
    let second = status_sequence(&b, 40).await;
    assert_eq!(first, second);
    let faulted = first.iter().filter(|s| **s != 200).count();
    assert!((8..=32).contains(&faulted), "about half faulted: {first:?}");
    assert!(first.iter().any(|s| [500, 502, 503].contains(s)));
    assert!(first.contains(&0), "some connections dropped");
    let counted = stats(&a).await;
    let injected: u64 = counted["faults_injected"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(injected as usize, faulted);
    // The control surface is never faulted.
    for _ in 0..20 {
        assert_eq!(
            a.client
                .get(a.url("/_sandbox/stats"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
}

async fn exists(h: &Harness, email: &str) -> bool {
    let found = h
        .ok(
            Method::POST,
            "/contacts/search",
            Some(json!({"query": {"field": "email", "operator": "=", "value": email}})),
        )
        .await;
    found["total_count"] == 1
}

#[tokio::test]
async fn dropped_connections_before_and_after_processing() {
    let h = Harness::start().await;
    control(
        &h,
        json!({"fault_rate": 1.0, "fault_kinds": ["drop_before"]}),
    )
    .await;
    let before = h
        .try_call(
            Method::POST,
            "/contacts",
            Some(json!({"email": "before@example.org"})),
        )
        .await;
    assert!(before.is_err(), "connection closed without a response");
    control(&h, json!({"fault_kinds": ["drop_after"]})).await;
    let after = h
        .try_call(
            Method::POST,
            "/contacts",
            Some(json!({"email": "after@example.org"})),
        )
        .await;
    assert!(after.is_err(), "connection closed without a response");
    control(&h, json!({"fault_kinds": ["503"]})).await;
    let unavailable = h
        .post("/contacts", json!({"email": "unavailable@example.org"}))
        .await;
    assert_eq!(unavailable.status, 503);
    assert_eq!(unavailable.body["type"], "error.list");
    control(&h, json!({"fault_rate": 0.0})).await;

    assert!(
        !exists(&h, "before@example.org").await,
        "dropped before: nothing applied"
    );
    assert!(
        exists(&h, "after@example.org").await,
        "dropped after: the write happened"
    );
    assert!(
        !exists(&h, "unavailable@example.org").await,
        "a 5xx fault applies nothing"
    );
}

#[tokio::test]
async fn latency_is_added_and_can_be_changed() {
    let h = Harness::with(SandboxConfig {
        latency_ms: 150,
        ..tiny()
    })
    .await;
    let started = Instant::now();
    h.get("/admins").await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    control(&h, json!({"latency_ms": 0})).await;
    let started = Instant::now();
    h.get("/admins").await;
    assert!(started.elapsed() < Duration::from_millis(150));
    let rejected = h
        .client
        .post(h.url("/_sandbox/faults"))
        .json(&json!({"fault_rate": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(rejected.status(), 400);
}

#[tokio::test]
async fn stats_count_routes_and_reset_restores_the_seed() {
    let h = Harness::start().await;
    let before = h.ok(Method::GET, "/contacts?per_page=1", None).await["total_count"]
        .as_u64()
        .unwrap();
    h.new_contact("reset@example.org").await;
    h.get("/contacts/000000000000000000000000").await;
    let counted = stats(&h).await;
    assert_eq!(counted["requests_by_route"]["POST /contacts"], 1);
    assert_eq!(
        counted["requests_by_route"]["GET /contacts/{contact_id}"],
        1
    );
    assert_eq!(counted["requests_by_status"]["404"], 1);
    assert_eq!(counted["writes_applied"], 1);

    let reset = h
        .client
        .post(h.url("/_sandbox/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    let after = h.ok(Method::GET, "/contacts?per_page=1", None).await["total_count"]
        .as_u64()
        .unwrap();
    assert_eq!(after, before);
    assert!(!exists(&h, "reset@example.org").await);
}

#[tokio::test]
async fn activity_generator_writes_through_the_store() {
    let h = Harness::with(SandboxConfig {
        activity_per_min: 1200.0,
        ..tiny()
    })
    .await;
    let start = common::NOW;
    // Seeded objects are all at or before NOW; anything updated later is activity.
    let query = json!({"field": "updated_at", "operator": ">", "value": start + 1});
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let conversations = loop {
        let touched = h
            .ok(
                Method::POST,
                "/conversations/search",
                Some(json!({"query": query, "pagination": {"per_page": 150}})),
            )
            .await;
        let found = touched["conversations"].as_array().unwrap().clone();
        if !found.is_empty() {
            break found;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "activity produced no conversation writes in 15 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for c in &conversations {
        // Each was written with Intercom's bookkeeping: statistics follow the parts.
        let full = h
            .ok(
                Method::GET,
                &format!("/conversations/{}", c["id"].as_str().unwrap()),
                None,
            )
            .await;
        let parts = full["conversation_parts"]["conversation_parts"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(full["statistics"]["count_conversation_parts"], parts as u64);
    }
}

/// Without `rate_limit` set, the sandbox behaves like Intercom: a private app's budget of
/// 10,000 calls a minute, i.e. 1,666 per 10-second window, announced on every answer.
#[tokio::test]
async fn default_budget_is_intercoms_with_headers_on_every_answer() {
    let h = Harness::with(tiny()).await;
    early_in_window().await;
    let first = h.get("/admins").await;
    let second = h.get("/contacts").await;
    for resp in [&first, &second] {
        assert_eq!(resp.status, 200);
        assert_eq!(resp.header("x-ratelimit-limit"), Some("1666"));
        let reset: i64 = resp.header("x-ratelimit-reset").unwrap().parse().unwrap();
        assert!(reset > real_now() && reset <= real_now() + 10);
    }
    let left =
        |r: &common::Resp| -> u32 { r.header("x-ratelimit-remaining").unwrap().parse().unwrap() };
    assert_eq!(
        left(&first),
        left(&second) + 1,
        "each answer spends one call"
    );
    assert!(left(&first) < 1666);
}
