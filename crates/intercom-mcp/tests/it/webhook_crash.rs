//! Crash safety of the receiver: `kill -9` in the middle of a burst, restart,
//! Intercom's redeliveries come in: every notification ends up stored exactly
//! once and every one that was acknowledged survived the crash.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use intercom_mirror::webhooks::sign;
use intercom_mirror::{EventQuery, Mirror};
use parking_lot::Mutex;
use serde_json::json;

const SECRET: &str = "crash-test-secret";
const TOTAL: usize = 1_500;

/// Start `intercom-mcp webhooks` on a free port; returns the child and its URL.
fn start_receiver(store: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_intercom-mcp"))
        .args(["webhooks", "--port", "0", "--store"])
        .arg(store)
        .env("INTERCOM_CLIENT_SECRET", SECRET)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        let line = lines.next().expect("receiver printed its address").unwrap();
        if let Some(rest) = line.split("webhooks at ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

fn delivery(i: usize) -> (String, Vec<u8>) {
    let id = format!("notif_crash_{i}");
    let body = serde_json::to_vec(&json!({
        "type": "notification_event", "id": id, "topic": "contact.user.created", "created_at": 1_800_000_000,
        "data": {"type": "notification_event_data", "item": {
            "type": "contact", "id": format!("c{i}"), "role": "user", "updated_at": 1_800_000_000}}
    }))
    .unwrap();
    (id, body)
}

async fn deliver_all(
    url: String,
    which: Vec<usize>,
    acked: Arc<Mutex<BTreeSet<String>>>,
    in_flight: usize,
) {
    // reqwest is built without a default TLS provider; plain HTTP still needs one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let tasks = futures::stream::iter(which.into_iter().map(|i| {
        let http = http.clone();
        let acked = acked.clone();
        let url = url.clone();
        async move {
            let (id, body) = delivery(i);
            let response = http
                .post(&url)
                .header("x-hub-signature", sign(SECRET.as_bytes(), &body))
                .body(body)
                .send()
                .await;
            if response.is_ok_and(|r| r.status().is_success()) {
                acked.lock().insert(id);
            }
        }
    }));
    futures::StreamExt::for_each_concurrent(tasks, in_flight, |f| f).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_during_a_burst_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crash.sqlite3");
    let (mut first, url) = start_receiver(&store);

    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let burst = tokio::spawn(deliver_all(
        url.clone(),
        (0..TOTAL).collect(),
        acked.clone(),
        40,
    ));
    // Kill the receiver once part of the burst is acknowledged.
    loop {
        tokio::time::sleep(Duration::from_millis(5)).await;
        if acked.lock().len() >= TOTAL / 4 {
            break;
        }
    }
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    burst.await.unwrap();
    let acked_before_crash = acked.lock().clone();
    assert!(
        acked_before_crash.len() < TOTAL,
        "the crash came too late to test anything"
    );

    {
        // Everything acknowledged before the crash is on disk.
        let mirror = Mirror::open_sqlite(&store).unwrap();
        let stored: BTreeSet<String> = mirror
            .recent_events(EventQuery {
                limit: TOTAL * 2,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect();
        let lost: Vec<_> = acked_before_crash.difference(&stored).collect();
        assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    }

    // Restart; Intercom redelivers what was not acknowledged, and (being at-least-once) some that were.
    let (mut second, url) = start_receiver(&store);
    deliver_all(url.clone(), (0..TOTAL).collect(), acked.clone(), 40).await;
    assert_eq!(acked.lock().len(), TOTAL);
    second.kill().unwrap();
    second.wait().unwrap();

    let mirror = Mirror::open_sqlite(&store).unwrap();
    let events = mirror
        .recent_events(EventQuery {
            limit: TOTAL * 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        events.len(),
        TOTAL,
        "every notification stored exactly once"
    );
    let distinct: BTreeSet<_> = events.iter().map(|e| e.id.clone()).collect();
    assert_eq!(distinct.len(), TOTAL);
    assert_eq!(
        mirror.stats().await.unwrap().counts["contacts"],
        TOTAL as u64
    );
}
