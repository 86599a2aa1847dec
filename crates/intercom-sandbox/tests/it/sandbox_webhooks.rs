//! Writes through the API fire Intercom's webhook topics, signed with the configured secret.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use common::{Harness, tiny};
use intercom_sandbox::SandboxConfig;
use parking_lot::Mutex;
use reqwest::Method;
use serde_json::{Value, json};

type Received = Arc<Mutex<Vec<(Value, String, Vec<u8>)>>>;

/// A webhook receiver on a free loopback port; returns its URL and what it received.
async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let store = received.clone();
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let store = store.clone();
            async move {
                let signature = headers
                    .get("x-hub-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                store.lock().push((json, signature, body.to_vec()));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, received)
}

async fn wait_for(received: &Received, topic: &str) -> (Value, String, Vec<u8>) {
    for _ in 0..100 {
        if let Some(hit) = received.lock().iter().find(|(n, _, _)| n["topic"] == topic) {
            return hit.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let topics: Vec<Value> = received
        .lock()
        .iter()
        .map(|(n, _, _)| n["topic"].clone())
        .collect();
    panic!("no {topic} notification; received {topics:?}");
}

fn expected_signature(secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha1={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn writes_fire_signed_notifications_with_intercom_topics() {
    let (url, received) = receiver().await;
    let h = Harness::with(SandboxConfig {
        webhook_url: Some(url),
        webhook_secret: Some("hook-secret".into()),
        ..tiny()
    })
    .await;
    let admin = h.admin_id().await;

    let (conversation, contact) = h
        .new_conversation("hooks@example.org", "Webhook please")
        .await;
    let (created, signature, body) = wait_for(&received, "contact.user.created").await;
    assert_eq!(created["type"], "notification_event");
    assert_eq!(created["data"]["item"]["id"], contact.as_str());
    assert_eq!(signature, expected_signature("hook-secret", &body));
    let (started, _, _) = wait_for(&received, "conversation.user.created").await;
    assert_eq!(started["data"]["item"]["id"], conversation.as_str());

    let path = format!("/conversations/{conversation}");
    h.ok(
        Method::POST,
        &format!("{path}/reply"),
        Some(json!({"message_type": "comment", "type": "admin", "admin_id": admin, "body": "Hi"})),
    )
    .await;
    let (replied, _, _) = wait_for(&received, "conversation.admin.replied").await;
    assert_eq!(
        replied["data"]["item"]["statistics"]["count_conversation_parts"],
        1
    );
    h.ok(
        Method::POST,
        &format!("{path}/parts"),
        Some(json!({"message_type": "assignment", "type": "admin", "admin_id": admin, "assignee_id": admin})),
    )
    .await;
    wait_for(&received, "conversation.admin.assigned").await;
    h.ok(
        Method::POST,
        &format!("{path}/parts"),
        Some(json!({"message_type": "close", "type": "admin", "admin_id": admin})),
    )
    .await;
    let (closed, _, _) = wait_for(&received, "conversation.admin.closed").await;
    assert_eq!(closed["data"]["item"]["state"], "closed");

    h.ok(Method::DELETE, &format!("/contacts/{contact}"), None)
        .await;
    let (deleted, _, _) = wait_for(&received, "contact.deleted").await;
    assert_eq!(deleted["data"]["item"]["id"], contact.as_str());

    // A rejected write sends nothing: a write queues its notification before it answers, so
    // once the dispatcher has settled what was queued, the count is final.
    let queued_before = h.sandbox.webhook_stats().unwrap().queued;
    let refused = h
        .post(
            &format!("{path}/parts"),
            json!({"message_type": "close", "type": "admin", "admin_id": "1"}),
        )
        .await;
    assert_eq!(refused.status, 404);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !h.sandbox.webhook_stats().unwrap().settled() {
        assert!(
            std::time::Instant::now() < deadline,
            "deliveries never settled"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stats = h.sandbox.webhook_stats().unwrap();
    assert_eq!(
        stats.queued, queued_before,
        "the refused write queued a notification"
    );
    assert_eq!(received.lock().len() as u64, stats.delivered);
}
