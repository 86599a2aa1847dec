//! Live updates end to end: signed webhooks posted to the HTTP server's
//! `/webhooks/intercom` reach subscribed MCP clients as resource updates, in
//! both protocol eras; forged and replayed deliveries change nothing.

use crate::common;

use std::time::{Duration, Instant};

use intercom_mcp_server::live::Realtime;
use intercom_mcp_server::server::IntercomServer;
use intercom_mcp_server::transport::http::{HttpOptions, router};
use intercom_mirror::Mirror;
use intercom_mirror::webhooks::{WEBHOOK_PATH, WebhookSecret, sign};
use rmcp::model::{
    ResourceUpdatedNotificationParam, ServerNotification, SubscribeRequestParams,
    SubscriptionFilter,
};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::{ClientHandler, ClientServiceExt, RoleClient, ServiceExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const SECRET: &str = "live-test-secret";

#[derive(Debug, PartialEq)]
enum Note {
    Updated(String),
    ListChanged,
}

/// A 2025-11-25 client that records resource notifications.
#[derive(Clone)]
struct Recorder(mpsc::UnboundedSender<Note>);

impl ClientHandler for Recorder {
    async fn on_resource_updated(
        &self,
        params: ResourceUpdatedNotificationParam,
        _: NotificationContext<RoleClient>,
    ) {
        let _ = self.0.send(Note::Updated(params.uri));
    }

    async fn on_resource_list_changed(&self, _: NotificationContext<RoleClient>) {
        let _ = self.0.send(Note::ListChanged);
    }
}

struct Live {
    _dir: tempfile::TempDir,
    server: IntercomServer,
    base: String,
    http: reqwest::Client,
    shutdown: CancellationToken,
}

/// The HTTP server (MCP + webhook receiver) over a mirror; no Intercom behind it is needed.
async fn start() -> Live {
    let dir = tempfile::tempdir().unwrap();
    let mirror = Mirror::open_sqlite(&dir.path().join("m.sqlite3")).unwrap();
    let realtime = Realtime::start(mirror, Some(WebhookSecret::new(SECRET).unwrap()));
    let server = common::server_for("http://127.0.0.1:9", "unused-token", common::all_tools())
        .with_realtime(realtime);
    let shutdown = CancellationToken::new();
    let app = router(server.clone(), &HttpOptions::default(), shutdown.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let stop = shutdown.clone();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await
            .unwrap();
    });
    Live {
        _dir: dir,
        server,
        base,
        http: http_client(),
        shutdown,
    }
}

fn notification(id: &str, topic: &str, conversation: &str, reply: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": "notification_event", "id": id, "topic": topic, "app_id": "app", "created_at": 1_800_000_000,
        "data": {"type": "notification_event_data", "item": {
            "type": "conversation", "id": conversation, "created_at": 1_700_000_000, "updated_at": 1_800_000_000,
            "state": "open", "source": {"type": "conversation", "body": "<p>Hello</p>"},
            "conversation_parts": {"type": "conversation_part.list", "total_count": 1, "conversation_parts": [
                {"type": "conversation_part", "id": format!("part-{id}"), "part_type": "comment",
                 "body": reply, "created_at": 1_800_000_000, "author": {"type": "user", "id": "u1"}}]}}}
    }))
    .unwrap()
}

impl Live {
    async fn deliver(&self, body: Vec<u8>, secret: &str) -> reqwest::StatusCode {
        self.http
            .post(format!("{}{WEBHOOK_PATH}", self.base))
            .header("content-type", "application/json")
            .header("x-hub-signature", sign(secret.as_bytes(), &body))
            .body(body)
            .send()
            .await
            .unwrap()
            .status()
    }

    async fn legacy_client(
        &self,
    ) -> (
        RunningService<RoleClient, Recorder>,
        mpsc::UnboundedReceiver<Note>,
    ) {
        let (server_io, client_io) = tokio::io::duplex(1 << 16);
        let server = self.server.clone();
        tokio::spawn(async move {
            if let Ok(running) = server.serve(server_io).await {
                let _ = running.waiting().await;
            }
        });
        let (tx, rx) = mpsc::unbounded_channel();
        (Recorder(tx).serve(client_io).await.unwrap(), rx)
    }
}

fn http_client() -> reqwest::Client {
    // reqwest is built without a default TLS provider; plain HTTP still needs one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn next_note(rx: &mut mpsc::UnboundedReceiver<Note>, within: Duration) -> Option<Note> {
    tokio::time::timeout(within, rx.recv()).await.ok().flatten()
}

#[tokio::test]
async fn subscribed_legacy_client_gets_updates_within_a_second_and_nothing_for_bad_deliveries() {
    let live = start().await;
    let (client, mut notes) = live.legacy_client().await;
    let capabilities = client
        .peer_info()
        .unwrap()
        .capabilities
        .resources
        .clone()
        .unwrap();
    assert_eq!(
        (capabilities.subscribe, capabilities.list_changed),
        (Some(true), Some(true))
    );
    #[allow(deprecated)]
    client
        .subscribe(SubscribeRequestParams::new("intercom://conversations/701"))
        .await
        .unwrap();
    #[allow(deprecated)]
    let refused = client
        .subscribe(SubscribeRequestParams::new("intercom://workspace"))
        .await;
    assert!(
        refused.is_err(),
        "only object resources can be subscribed to"
    );

    // A customer reply on the watched conversation (new to the mirror: also a list change).
    let sent = Instant::now();
    let status = live
        .deliver(
            notification("notif_a", "conversation.user.replied", "701", "Any news?"),
            SECRET,
        )
        .await;
    assert_eq!(status, 200);
    let mut got = Vec::new();
    while let Some(note) = next_note(&mut notes, Duration::from_secs(1)).await {
        got.push(note);
        if got.len() == 2 {
            break;
        }
    }
    assert!(
        sent.elapsed() < Duration::from_secs(1),
        "took {:?}",
        sent.elapsed()
    );
    assert!(
        got.contains(&Note::Updated("intercom://conversations/701".into())),
        "{got:?}"
    );
    assert!(got.contains(&Note::ListChanged), "{got:?}");

    // Forged: refused, nothing reaches the client.
    let status = live
        .deliver(
            notification("notif_b", "conversation.user.replied", "701", "forged"),
            "wrong",
        )
        .await;
    assert_eq!(status, 401);
    // Replayed: acknowledged, but nothing reaches the client.
    let status = live
        .deliver(
            notification("notif_a", "conversation.user.replied", "701", "Any news?"),
            SECRET,
        )
        .await;
    assert_eq!(status, 200);
    // Another conversation: not subscribed, only a list change.
    live.deliver(
        notification("notif_c", "conversation.user.created", "702", "Hi"),
        SECRET,
    )
    .await;
    assert_eq!(
        next_note(&mut notes, Duration::from_millis(500)).await,
        Some(Note::ListChanged)
    );
    assert_eq!(
        next_note(&mut notes, Duration::from_millis(300)).await,
        None
    );

    // After unsubscribing, updates stop.
    #[allow(deprecated)]
    client
        .unsubscribe(rmcp::model::UnsubscribeRequestParams::new(
            "intercom://conversations/701",
        ))
        .await
        .unwrap();
    live.deliver(
        notification("notif_d", "conversation.admin.replied", "701", "Shipped"),
        SECRET,
    )
    .await;
    assert_eq!(
        next_note(&mut notes, Duration::from_millis(500)).await,
        None
    );
    client.cancel().await.unwrap();
    live.shutdown.cancel();
}

#[tokio::test]
async fn listen_stream_delivers_updates_to_2026_clients() {
    let live = start().await;
    let (server_io, client_io) = tokio::io::duplex(1 << 16);
    let server = live.server.clone();
    tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    let client = ()
        .serve_with_lifecycle(
            client_io,
            rmcp::ClientLifecycleMode::Discover {
                preferred_versions: vec![rmcp::model::ProtocolVersion::V_2026_07_28],
            },
        )
        .await
        .unwrap();
    let wanted = SubscriptionFilter::builder()
        .resource_subscriptions(["intercom://conversations/801", "intercom://companies/1"])
        .resources_list_changed()
        .build();
    let mut subscription = client.listen(wanted).await.unwrap();
    assert_eq!(
        subscription.acknowledged().resource_subscriptions,
        Some(vec!["intercom://conversations/801".to_string()]),
        "companies are not subscribable"
    );

    let sent = Instant::now();
    live.deliver(
        notification(
            "notif_m1",
            "conversation.user.replied",
            "801",
            "Still broken",
        ),
        SECRET,
    )
    .await;
    let mut updated = false;
    let mut list_changed = false;
    while !(updated && list_changed) {
        let note = tokio::time::timeout(Duration::from_secs(1), subscription.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        match note {
            ServerNotification::ResourceUpdatedNotification(n) => {
                assert_eq!(n.params.uri, "intercom://conversations/801");
                updated = true;
            }
            ServerNotification::ResourceListChangedNotification(_) => list_changed = true,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(sent.elapsed() < Duration::from_secs(1));
    client.cancel().await.unwrap();
    live.shutdown.cancel();
}

#[tokio::test]
async fn webhook_route_needs_no_bearer_token_but_mcp_does() {
    let dir = tempfile::tempdir().unwrap();
    let mirror = Mirror::open_sqlite(&dir.path().join("m.sqlite3")).unwrap();
    let realtime = Realtime::start(mirror.clone(), Some(WebhookSecret::new(SECRET).unwrap()));
    let server = common::server_for("http://127.0.0.1:9", "unused", common::all_tools())
        .with_realtime(realtime);
    let options = HttpOptions {
        auth_token: Some(intercom_api::Secret::new("mcp-bearer")),
        ..HttpOptions::default()
    };
    let app = router(server, &options, CancellationToken::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = http_client();
    let body = notification("notif_auth", "conversation.user.created", "900", "hello");
    let status = http
        .post(format!("{base}{WEBHOOK_PATH}"))
        .header("x-hub-signature", sign(SECRET.as_bytes(), &body))
        .header("host", "hooks.example.com")
        .body(body)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    let mcp = http
        .post(format!("{base}/mcp"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(mcp, 401);
    let stored: Value = mirror
        .get(intercom_mirror::ObjectKind::Conversation, "900")
        .await
        .unwrap()
        .unwrap()
        .raw;
    assert_eq!(stored["id"], "900");
}
