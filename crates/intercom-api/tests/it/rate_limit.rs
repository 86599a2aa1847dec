//! Pacing from X-RateLimit-* headers and 429 handling.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::*;
use futures::future::join_all;
use intercom_api::{Client, ClientConfig};
use serde_json::json;

fn admins_body() -> serde_json::Value {
    json!({"type": "admin.list", "admins": [{"type": "admin", "id": "1"}]})
}

#[tokio::test]
async fn spent_window_holds_the_next_request_until_reset() {
    // Reset two whole seconds ahead so at least ~1 s remains whatever the sub-second clock.
    let reset = unix_now() + 2;
    let server =
        scripted(
            move |_, _| async move { reply(200, admins_body(), &rate_headers(100, 0, reset)) },
        )
        .await;
    let c = client(&server.base);
    c.list_admins().await.unwrap();
    let snap = c.rate_limit();
    assert_eq!(snap.remaining, Some(0));
    assert_eq!(snap.limit, Some(100));
    assert_eq!(snap.reset_at, Some(reset));

    let start = Instant::now();
    c.list_admins().await.unwrap();
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(950),
        "waited only {waited:?}"
    );
    assert!(waited <= Duration::from_millis(3500), "waited {waited:?}");
    assert_eq!(c.rate_limit().paced_requests, 1);
}

#[tokio::test]
async fn plenty_of_budget_means_no_wait() {
    let reset = unix_now() + 10;
    let server = scripted(move |_, i| async move {
        reply(
            200,
            admins_body(),
            &rate_headers(1000, 999 - i as u64, reset),
        )
    })
    .await;
    let c = client(&server.base);
    let start = Instant::now();
    for _ in 0..5 {
        c.list_admins().await.unwrap();
    }
    // 995 left over ~10 s is one per 10 ms: five calls barely notice.
    assert!(
        start.elapsed() < Duration::from_millis(600),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn concurrent_tasks_share_the_budget() {
    // Remaining 2 in a window that resets ~2 s ahead: of 5 parallel calls made after that answer,
    // the ones beyond the budget must wait for the reset.
    let reset = unix_now() + 2;
    let server = scripted(move |_, i| async move {
        let remaining = if i == 0 { 2 } else { 0 };
        reply(200, admins_body(), &rate_headers(100, remaining, reset))
    })
    .await;
    let c = client(&server.base);
    c.list_admins().await.unwrap();
    let start = Instant::now();
    let calls = (0..5).map(|_| {
        let c = c.clone();
        async move {
            c.list_admins().await.unwrap();
            start.elapsed()
        }
    });
    let times = join_all(calls).await;
    let slow = times
        .iter()
        .filter(|t| **t >= Duration::from_millis(900))
        .count();
    assert!(
        slow >= 3,
        "at least 3 of 5 must wait for the reset: {times:?}"
    );
    assert_eq!(server.count(), 6);
}

#[tokio::test]
async fn rate_limited_429_waits_for_reset_then_succeeds() {
    let server = scripted(|_, i| async move {
        if i == 0 {
            let reset = unix_now() + 1;
            reply(
                429,
                error_body(
                    "rate_limit_exceeded",
                    "Exceeded rate limit of 167 in 10_seconds",
                ),
                &rate_headers(167, 0, reset),
            )
        } else {
            ok(admins_body())
        }
    })
    .await;
    let c = client(&server.base);
    let start = Instant::now();
    let admins = c.list_admins().await.unwrap();
    assert_eq!(admins.len(), 1);
    assert_eq!(server.count(), 2);
    // Reset was "now + 1" in whole seconds: between 0 and 1 s away, plus jitter.
    assert!(start.elapsed() <= Duration::from_millis(2500));
    let snap = c.rate_limit();
    assert_eq!(snap.rate_limited_responses, 1);
    assert_eq!(snap.requests_sent, 2);
}

#[tokio::test]
async fn persistent_429_gives_an_actionable_error() {
    let server = scripted(|_, _| async move {
        reply(
            429,
            error_body("rate_limit_exceeded", "Exceeded rate limit"),
            &rate_headers(167, 0, unix_now()),
        )
    })
    .await;
    let c = client_with(&server.base, fast_retry(2), Duration::from_secs(5));
    let err = c.list_tags().await.unwrap_err();
    assert_eq!(server.count(), 2);
    assert!(err.is_rate_limited());
    let msg = err.to_string();
    assert!(msg.contains("rate limit"), "{msg}");
    assert!(msg.contains("resets at"), "{msg}");
    assert!(msg.contains("after 2 attempts"), "{msg}");
}

/// A server enforcing `limit` requests per 1-second window on a clock `lag` seconds behind ours,
/// like a real server with clock skew (or a sandbox whose clock starts on a whole second).
async fn lagging_server(limit: u32, lag: f64) -> (Server, Arc<Mutex<u32>>) {
    let state: Arc<Mutex<(u64, u32)>> = Arc::default();
    let refused: Arc<Mutex<u32>> = Arc::default();
    let refused_count = refused.clone();
    let server = scripted(move |_, _| {
        let state = state.clone();
        let refused = refused_count.clone();
        async move {
            let server_now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs_f64()
                - lag;
            let window = server_now.floor() as u64;
            let (allowed, remaining) = {
                let mut st = state.lock().unwrap();
                if st.0 != window {
                    *st = (window, 0);
                }
                let allowed = st.1 < limit;
                if allowed {
                    st.1 += 1;
                }
                (allowed, limit - st.1)
            };
            let headers = rate_headers(limit as u64, remaining as u64, window + 1);
            if allowed {
                reply(200, admins_body(), &headers)
            } else {
                *refused.lock().unwrap() += 1;
                reply(
                    429,
                    error_body("rate_limit_exceeded", "slow down"),
                    &headers,
                )
            }
        }
    })
    .await;
    (server, refused)
}

#[tokio::test]
async fn parallel_tasks_stay_within_a_skewed_servers_windows() {
    let (server, refused) = lagging_server(4, 0.8).await;
    let c = client_with(&server.base, fast_retry(6), Duration::from_secs(5));
    let start = Instant::now();
    let tasks = (0..4).map(|_| {
        let c = c.clone();
        tokio::spawn(async move {
            for _ in 0..6 {
                c.list_admins().await.unwrap();
            }
        })
    });
    for t in tasks {
        t.await.unwrap();
    }
    let refused = *refused.lock().unwrap();
    // 24 calls at 4 per window need at least 5 window changes; once the lag is learnt
    // (from the first refusals), later windows are not overrun.
    assert!(refused <= 6, "{refused} requests refused with 429");
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(
        start.elapsed() < Duration::from_secs(12),
        "{:?}",
        start.elapsed()
    );
    assert!(c.rate_limit().server_clock_lag_ms > 0 || refused == 0);
}

#[tokio::test]
async fn more_tasks_than_the_limit_meet_no_429_from_the_sandbox() {
    // 16 tasks on one client, 8 requests allowed per 10-second window: every window start finds
    // all of them waiting. The sandbox's own count of refused requests must stay 0.
    let sandbox = intercom_sandbox::Sandbox::start(intercom_sandbox::SandboxConfig {
        rate_limit: Some(8),
        ..Default::default()
    })
    .await
    .unwrap();
    let c = Client::new(
        ClientConfig::builder(sandbox.token())
            .base_url(sandbox.base_url())
            .build()
            .unwrap(),
    )
    .unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.list_teams().await.map(|_| ()) })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let stats: serde_json::Value = reqwest::get(format!("{}/_sandbox/stats", sandbox.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["rate_limited"], 0, "{stats}");
    assert_eq!(stats["requests_total"], 16, "{stats}");
    assert_eq!(c.rate_limit().rate_limited_responses, 0);
}
