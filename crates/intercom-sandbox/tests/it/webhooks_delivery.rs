//! Webhook delivery against a real local receiver: signature, envelope, ordering, retry once,
//! 410 disabling, timeouts.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use intercom_sandbox::webhooks::{WebhookDispatcher, sign};
use parking_lot::Mutex;
use serde_json::{Value, json};
use sha1::Sha1;

const SECRET: &str = "whsec-test-9f8e7d";
const APP_ID: &str = "k3f9x2ab";

/// One request as the receiver saw it.
#[derive(Clone)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("body is JSON")
    }
}

#[derive(Default)]
struct Script {
    /// Answers to give, in order; 200 once they run out.
    answers: VecDeque<(StatusCode, Duration)>,
    received: Vec<Received>,
}

type Shared = Arc<Mutex<Script>>;

async fn receive(State(script): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let (status, delay) = {
        let mut script = script.lock();
        script.received.push(Received { headers, body });
        script
            .answers
            .pop_front()
            .unwrap_or((StatusCode::OK, Duration::ZERO))
    };
    tokio::time::sleep(delay).await;
    status
}

/// Starts a receiver answering with `answers` (status, delay); returns its URL and log.
async fn receiver(answers: &[(u16, u64)]) -> (String, Shared) {
    let script = Shared::default();
    script.lock().answers = answers
        .iter()
        .map(|(status, delay_ms)| {
            (
                StatusCode::from_u16(*status).unwrap(),
                Duration::from_millis(*delay_ms),
            )
        })
        .collect();
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(Arc::clone(&script));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}/hook"), script)
}

async fn wait_for_requests(script: &Shared, count: usize, within: Duration) -> Vec<Received> {
    let deadline = Instant::now() + within;
    loop {
        let received = script.lock().received.clone();
        if received.len() >= count || Instant::now() > deadline {
            return received;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn wait_for_stats(
    dispatcher: &WebhookDispatcher,
    done: impl Fn(&intercom_sandbox::webhooks::WebhookStats) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done(&dispatcher.stats()) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// (sent, delivered, retried, failed)
fn outcome(webhooks: &WebhookDispatcher) -> (u64, u64, u64, u64) {
    let stats = webhooks.stats();
    (stats.sent, stats.delivered, stats.retried, stats.failed)
}

fn dispatcher(url: String, retry_ms: u64) -> WebhookDispatcher {
    WebhookDispatcher::new(
        url,
        SECRET.to_string(),
        APP_ID.to_string(),
        Duration::from_millis(retry_ms),
    )
}

fn expected_signature(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha1={hex}")
}

#[tokio::test]
async fn delivers_a_signed_notification_in_intercom_envelope() {
    let (url, script) = receiver(&[]).await;
    let webhooks = dispatcher(url, 50);
    let item = json!({"type": "contact", "id": "6762f0d01bb69f9f2193bb7d", "email": "joe@bloggs.com", "role": "user"});
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    webhooks.send("contact.user.created", item.clone());

    let received = wait_for_requests(&script, 1, Duration::from_secs(5)).await;
    assert_eq!(received.len(), 1, "one POST arrives");
    let request = &received[0];
    let signature = request.headers["x-hub-signature"].to_str().unwrap();
    assert_eq!(
        signature,
        expected_signature(&request.body),
        "signature covers the raw body"
    );
    assert_eq!(request.headers["content-type"], "application/json");
    assert_eq!(
        request.headers["user-agent"],
        "intercom-parrot-service-client/1.0"
    );

    let envelope = request.json();
    assert_eq!(envelope["type"], "notification_event");
    assert_eq!(envelope["topic"], "contact.user.created");
    assert_eq!(envelope["app_id"], APP_ID);
    assert!(envelope["id"].as_str().unwrap().starts_with("notif_"));
    assert_eq!(envelope["delivery_attempts"], 1);
    let created_at = envelope["created_at"].as_i64().unwrap();
    assert!(created_at >= before && created_at <= before + 5);
    assert_eq!(envelope["first_sent_at"].as_i64(), Some(created_at));
    assert_eq!(envelope["data"]["type"], "notification_event_data");
    assert_eq!(envelope["data"]["item"], item);

    wait_for_stats(&webhooks, |s| s.delivered == 1).await;
    let stats = webhooks.stats();
    assert_eq!(
        (
            stats.queued,
            stats.sent,
            stats.delivered,
            stats.failed,
            stats.retried
        ),
        (1, 1, 1, 0, 0)
    );
    assert!(!stats.disabled);
}

#[tokio::test]
async fn a_failed_delivery_is_retried_once() {
    let (url, script) = receiver(&[(500, 0)]).await;
    let webhooks = dispatcher(url, 100);
    let started = Instant::now();
    webhooks.send(
        "conversation.admin.closed",
        json!({"type": "conversation", "id": "42"}),
    );

    let received = wait_for_requests(&script, 2, Duration::from_secs(5)).await;
    assert_eq!(received.len(), 2, "first attempt and one retry");
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "the retry waits for the retry delay"
    );
    let (first, second) = (received[0].json(), received[1].json());
    assert_eq!(first["delivery_attempts"], 1);
    assert_eq!(second["delivery_attempts"], 2);
    assert_eq!(
        first["id"], second["id"],
        "a retry is the same notification"
    );
    assert_eq!(first["first_sent_at"], second["first_sent_at"]);
    let signature = received[1].headers["x-hub-signature"].to_str().unwrap();
    assert_eq!(
        signature,
        expected_signature(&received[1].body),
        "the retry is signed over its own body"
    );

    wait_for_stats(&webhooks, |s| s.delivered == 1 && s.settled()).await;
    assert_eq!(script.lock().received.len(), 2, "no third attempt");
    assert_eq!(
        outcome(&webhooks),
        (2, 1, 1, 0),
        "sent, delivered, retried, failed"
    );
}

#[tokio::test]
async fn gives_up_after_the_retry_fails_too() {
    let (url, script) = receiver(&[(503, 0), (502, 0)]).await;
    let webhooks = dispatcher(url, 20);
    webhooks.send("company.updated", json!({"type": "company", "id": "c1"}));
    wait_for_stats(&webhooks, |s| s.failed == 1 && s.settled()).await;
    assert_eq!(script.lock().received.len(), 2, "exactly one retry");
    assert_eq!(
        outcome(&webhooks),
        (2, 0, 1, 1),
        "sent, delivered, retried, failed"
    );
}

#[tokio::test]
async fn throttled_deliveries_are_retried() {
    let (url, script) = receiver(&[(429, 0)]).await;
    let webhooks = dispatcher(url, 20);
    webhooks.send("ping", json!({"type": "ping", "message": "hello"}));
    wait_for_stats(&webhooks, |s| s.delivered == 1).await;
    assert_eq!(script.lock().received.len(), 2);
}

#[tokio::test]
async fn gone_disables_the_subscription() {
    let (url, script) = receiver(&[(410, 0)]).await;
    let webhooks = dispatcher(url, 20);
    webhooks.send(
        "contact.user.updated",
        json!({"type": "contact", "id": "a"}),
    );
    wait_for_stats(&webhooks, |s| s.disabled).await;
    assert!(webhooks.stats().disabled);

    webhooks.send(
        "contact.user.updated",
        json!({"type": "contact", "id": "b"}),
    );
    webhooks.send(
        "contact.user.updated",
        json!({"type": "contact", "id": "c"}),
    );
    wait_for_stats(&webhooks, |s| s.queued == 3 && s.settled()).await;
    assert_eq!(
        script.lock().received.len(),
        1,
        "nothing is sent after a 410, not even a retry"
    );
    let stats = webhooks.stats();
    assert_eq!(
        (
            stats.queued,
            stats.sent,
            stats.delivered,
            stats.failed,
            stats.retried
        ),
        (3, 1, 0, 3, 0)
    );
}

#[tokio::test]
async fn a_slow_receiver_times_out_and_is_retried() {
    let (url, script) = receiver(&[(200, 6_000)]).await;
    let webhooks = dispatcher(url, 20);
    webhooks.send(
        "conversation.user.replied",
        json!({"type": "conversation", "id": "7"}),
    );
    wait_for_stats(&webhooks, |s| s.delivered == 1 || s.failed == 1).await;
    let received = script.lock().received.clone();
    assert_eq!(
        received.len(),
        2,
        "the slow answer counts as a failure and is retried"
    );
    assert_eq!(received[1].json()["delivery_attempts"], 2);
    assert_eq!(webhooks.stats().delivered, 1);
}

#[tokio::test]
async fn notifications_arrive_in_the_order_sent() {
    let (url, script) = receiver(&[]).await;
    let webhooks = dispatcher(url, 20);
    for n in 0..25 {
        webhooks.send(
            "conversation.user.replied",
            json!({"type": "conversation", "id": "9", "sequence": n}),
        );
    }
    let received = wait_for_requests(&script, 25, Duration::from_secs(10)).await;
    let order: Vec<i64> = received
        .iter()
        .map(|r| r.json()["data"]["item"]["sequence"].as_i64().unwrap())
        .collect();
    assert_eq!(order, (0..25).collect::<Vec<_>>());
    let ids: std::collections::HashSet<String> = received
        .iter()
        .map(|r| r.json()["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 25, "each notification has its own id");
}

#[tokio::test]
async fn deleted_topics_carry_identifying_fields_only() {
    let (url, script) = receiver(&[]).await;
    let webhooks = dispatcher(url, 20);
    let contact = json!({
        "type": "contact", "id": "abc", "external_id": "usr_1", "email": "a@b.c",
        "name": "Ann", "custom_attributes": {"plan": "Pro"}
    });
    webhooks.send("contact.deleted", contact);
    let received = wait_for_requests(&script, 1, Duration::from_secs(5)).await;
    assert_eq!(
        received[0].json()["data"]["item"],
        json!({"type": "contact", "id": "abc", "external_id": "usr_1"})
    );
}

#[tokio::test]
async fn the_secret_stays_out_of_debug_output() {
    let webhooks = dispatcher("http://127.0.0.1:9/hook".to_string(), 20);
    let printed = format!("{webhooks:?}");
    assert!(!printed.contains(SECRET), "{printed}");
    assert!(printed.contains("redacted"));
}

#[test]
fn sign_matches_an_independent_hmac() {
    let body = br#"{"type":"notification_event","topic":"ping"}"#;
    assert_eq!(sign(SECRET.as_bytes(), body), expected_signature(body));
    assert_ne!(sign(b"another secret", body), expected_signature(body));
    // Known vector: HMAC-SHA1("key", "The quick brown fox jumps over the lazy dog").
    assert_eq!(
        sign(b"key", b"The quick brown fox jumps over the lazy dog"),
        "sha1=de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"
    );
}

#[test]
fn sending_outside_a_runtime_counts_a_failure_instead_of_panicking() {
    let webhooks = dispatcher("http://127.0.0.1:9/hook".to_string(), 20);
    webhooks.send("ping", json!({}));
    let stats = webhooks.stats();
    assert_eq!((stats.queued, stats.failed, stats.sent), (1, 1, 0));
}
