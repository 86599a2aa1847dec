//! The webhook receiver: signature checks, size and JSON errors, dedupe, durability before 2xx.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use intercom_mirror::webhooks::{WEBHOOK_PATH, WebhookSecret, WebhookState, router, sign};
use intercom_mirror::{EventQuery, Mirror, ObjectKind};
use serde_json::{Value, json};
use tower::ServiceExt;

const SECRET: &str = "test-client-secret-123";

fn setup() -> (tempfile::TempDir, Mirror, Router) {
    let dir = tempfile::tempdir().unwrap();
    let mirror = Mirror::open_sqlite(&dir.path().join("m.sqlite3")).unwrap();
    let state = WebhookState::new(mirror.clone(), WebhookSecret::new(SECRET).unwrap())
        .with_max_body_bytes(64 * 1024);
    (dir, mirror, router(state))
}

fn envelope(id: &str, conversation_id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": "notification_event", "id": id, "topic": "conversation.user.replied",
        "app_id": "abc123", "created_at": 1_700_000_000, "delivery_attempts": 1, "first_sent_at": 1_700_000_000,
        "data": {"type": "notification_event_data", "item": {
            "type": "conversation", "id": conversation_id, "created_at": 1_699_999_000, "updated_at": 1_700_000_000,
            "state": "open", "source": {"type": "conversation", "body": "<p>Where is my parcel?</p>"},
            "conversation_parts": {"type": "conversation_part.list", "total_count": 1, "conversation_parts": [
                {"type": "conversation_part", "id": format!("part-{id}"), "part_type": "comment",
                 "body": "<p>Any news on the parcel?</p>", "created_at": 1_700_000_000,
                 "author": {"type": "user", "id": "u1"}}]}
        }}
    }))
    .unwrap()
}

fn post(body: Vec<u8>, signature: Option<String>) -> Request<Body> {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(WEBHOOK_PATH)
        .header("content-type", "application/json")
        .header("user-agent", "intercom-parrot-service-client/1.0");
    if let Some(signature) = signature {
        request = request.header("x-hub-signature", signature);
    }
    request.body(Body::from(body)).unwrap()
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    assert!(
        !String::from_utf8_lossy(&bytes).contains(SECRET),
        "the secret leaked into a response"
    );
    (status, body)
}

async fn event_count(mirror: &Mirror) -> usize {
    mirror
        .recent_events(EventQuery {
            limit: 100_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn signed_delivery_is_persisted_before_the_acknowledgement() {
    let (_dir, mirror, app) = setup();
    let body = envelope("notif_1", "555");
    let (status, reply) = send(
        &app,
        post(body.clone(), Some(sign(SECRET.as_bytes(), &body))),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["status"], "stored");

    // Read back through a fresh connection to the file: the commit happened before the 200.
    let reopened = Mirror::open_sqlite(std::path::Path::new(mirror.location())).unwrap();
    let events = reopened
        .recent_events(EventQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].id, "notif_1");
    assert_eq!(events[0].object_id.as_deref(), Some("555"));
    let conversation = reopened
        .get(ObjectKind::Conversation, "555")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        conversation.raw["conversation_parts"]["conversation_parts"][0]["id"],
        "part-notif_1"
    );
    assert_eq!(
        reopened.search_text("parcel news", 5).await.unwrap(),
        vec!["555"]
    );
}

#[tokio::test]
async fn replayed_delivery_is_acknowledged_but_changes_nothing() {
    let (_dir, mirror, app) = setup();
    let body = envelope("notif_2", "556");
    let signature = sign(SECRET.as_bytes(), &body);
    assert_eq!(
        send(&app, post(body.clone(), Some(signature.clone())))
            .await
            .1["status"],
        "stored"
    );
    let mut bus = mirror.subscribe();
    let (status, reply) = send(&app, post(body, Some(signature))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reply["status"], "duplicate");
    assert_eq!(event_count(&mirror).await, 1);
    assert!(
        bus.try_recv().is_err(),
        "a duplicate must not notify subscribers"
    );
}

#[tokio::test]
async fn forged_and_unsigned_deliveries_are_refused_without_effect() {
    let (_dir, mirror, app) = setup();
    let body = envelope("notif_3", "557");

    let (status, reply) = send(&app, post(body.clone(), Some(sign(b"wrong-secret", &body)))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply["error"]["code"], "bad_signature");

    // A valid signature of a different body (tampered payload).
    let other = envelope("notif_x", "999");
    let (status, _) = send(
        &app,
        post(body.clone(), Some(sign(SECRET.as_bytes(), &other))),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, _) = send(&app, post(body.clone(), Some("sha1=not-hex".into()))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, reply) = send(&app, post(body, None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply["error"]["code"], "unsigned");
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("X-Hub-Signature")
    );

    assert_eq!(event_count(&mirror).await, 0);
    assert!(
        mirror
            .get(ObjectKind::Conversation, "557")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn head_validates_the_url() {
    let (_dir, _mirror, app) = setup();
    let request = Request::builder()
        .method(Method::HEAD)
        .uri(WEBHOOK_PATH)
        .body(Body::empty())
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn oversized_bodies_get_413_with_or_without_a_length() {
    let (_dir, mirror, app) = setup();
    let huge = vec![b' '; 65 * 1024];
    let (status, reply) = send(
        &app,
        post(huge.clone(), Some(sign(SECRET.as_bytes(), &huge))),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("65536")
    );

    // Chunked, no Content-Length: the limit still holds while reading.
    let chunks = futures::stream::iter((0..65).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1024])));
    let request = Request::builder()
        .method(Method::POST)
        .uri(WEBHOOK_PATH)
        .header("x-hub-signature", sign(SECRET.as_bytes(), &huge))
        .body(Body::from_stream(chunks))
        .unwrap();
    let (status, _) = send(&app, request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(event_count(&mirror).await, 0);
}

#[tokio::test]
async fn malformed_json_and_non_notifications_get_400() {
    let (_dir, mirror, app) = setup();
    for (body, needle) in [
        (b"{not json".to_vec(), "not valid JSON"),
        (br#"{"topic":"ping"}"#.to_vec(), "\"id\""),
        (br#"{"id":"notif_9"}"#.to_vec(), "\"topic\""),
        (br#"[1,2]"#.to_vec(), "\"id\""),
    ] {
        let (status, reply) = send(
            &app,
            post(body.clone(), Some(sign(SECRET.as_bytes(), &body))),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{reply}");
        let message = reply["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{message}");
    }
    assert_eq!(event_count(&mirror).await, 0);
}

#[tokio::test]
async fn concurrent_deliveries_are_all_stored_exactly_once() {
    let (_dir, mirror, app) = setup();
    let mut tasks = Vec::new();
    for i in 0..300 {
        let app = app.clone();
        // Every notification is delivered twice, concurrently.
        for _ in 0..2 {
            let app = app.clone();
            let body = envelope(&format!("notif_c{i}"), &format!("{}", 1000 + i % 50));
            tasks.push(tokio::spawn(async move {
                let signature = sign(SECRET.as_bytes(), &body);
                send(&app, post(body, Some(signature))).await
            }));
        }
    }
    let mut stored = 0;
    for task in tasks {
        let (status, reply) = task.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        stored += usize::from(reply["status"] == "stored");
    }
    assert_eq!(stored, 300);
    assert_eq!(event_count(&mirror).await, 300);
    let stats = mirror.stats().await.unwrap();
    assert_eq!(stats.counts["conversations"], 50);
}
