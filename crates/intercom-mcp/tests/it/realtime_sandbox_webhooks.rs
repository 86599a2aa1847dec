//! End to end with the sandbox sending signed webhooks: a customer reply made in
//! the sandbox reaches a subscribed MCP client as `notifications/resources/updated`
//! within one second, and lands in the mirror; a forged or replayed delivery changes nothing.

use crate::common;
use crate::realtime_support;

use std::time::{Duration, Instant};

use intercom_api::Method;
use intercom_mcp_server::live::Realtime;
use intercom_mcp_server::transport::http::{HttpOptions, router};
use intercom_mirror::EventQuery;
use intercom_mirror::webhooks::{WEBHOOK_PATH, WebhookSecret, sign};
use intercom_sandbox::{Sandbox, SandboxConfig, Scale};
use realtime_support::{api_client, id};
use rmcp::model::{ResourceUpdatedNotificationParam, SubscribeRequestParams};
use rmcp::service::NotificationContext;
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const SECRET: &str = "sandbox-webhook-secret";

#[derive(Clone)]
struct Updates(mpsc::UnboundedSender<String>);

impl ClientHandler for Updates {
    async fn on_resource_updated(
        &self,
        params: ResourceUpdatedNotificationParam,
        _: NotificationContext<RoleClient>,
    ) {
        let _ = self.0.send(params.uri);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_reply_reaches_the_subscriber_within_a_second() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let sandbox = Sandbox::start(SandboxConfig {
        scale: Scale::Tiny,
        webhook_url: Some(format!("{base}{WEBHOOK_PATH}")),
        webhook_secret: Some(SECRET.into()),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let api = api_client(&sandbox);
    let (_dir, mirror) = realtime_support::temp_mirror();
    realtime_support::sync(&mirror, &api).await;
    let realtime = Realtime::start(mirror.clone(), Some(WebhookSecret::new(SECRET).unwrap()));
    let server = common::server_for(&sandbox.base_url(), sandbox.token(), common::all_tools())
        .with_realtime(realtime);
    let shutdown = CancellationToken::new();
    let app = router(server.clone(), &HttpOptions::default(), shutdown.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    // An MCP client subscribed to one conversation.
    let page = api
        .send_json(Method::GET, "/conversations", &[("per_page", "5")], None)
        .await
        .unwrap();
    let conversation = page["conversations"][0].clone();
    let conversation_id = id(&conversation["id"]);
    let full = api
        .send_json(
            Method::GET,
            &format!("/conversations/{conversation_id}"),
            &[],
            None,
        )
        .await
        .unwrap();
    let contact_id = id(&full["contacts"]["contacts"][0]["id"]);
    let (server_io, client_io) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    let (tx, mut updates) = mpsc::unbounded_channel();
    let client = Updates(tx).serve(client_io).await.unwrap();
    let uri = format!("intercom://conversations/{conversation_id}");
    #[allow(deprecated)]
    client
        .subscribe(SubscribeRequestParams::new(uri.clone()))
        .await
        .unwrap();

    // The customer replies in the sandbox; the sandbox signs and sends the webhook.
    let replied = Instant::now();
    api.send_json(
        Method::POST,
        &format!("/conversations/{conversation_id}/reply"),
        &[],
        Some(
            json!({"message_type": "comment", "type": "user", "intercom_user_id": contact_id,
                    "body": "<p>Still waiting on my hovercraft refund</p>"}),
        ),
    )
    .await
    .unwrap();
    let got = tokio::time::timeout(Duration::from_secs(1), updates.recv()).await;
    let latency = replied.elapsed();
    assert_eq!(
        got.ok().flatten().as_deref(),
        Some(uri.as_str()),
        "no update within 1 s"
    );
    assert!(latency < Duration::from_secs(1), "{latency:?}");
    assert_eq!(
        mirror.search_text("hovercraft refund", 5).await.unwrap(),
        vec![conversation_id.clone()]
    );

    let events = mirror
        .recent_events(EventQuery {
            topics: vec!["conversation.user.replied".into()],
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    let envelope: Value = mirror
        .sqlite()
        .unwrap()
        .read(|c| {
            c.query_row(
                "SELECT payload FROM events WHERE id = ?1",
                [&events[0].id],
                |r| r.get::<_, String>(0),
            )
        })
        .map(|text| serde_json::from_str(&text).unwrap())
        .unwrap();

    // Replayed (Intercom's redelivery): acknowledged, nothing new.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let body = serde_json::to_vec(&envelope).unwrap();
    let replay = http
        .post(format!("{base}{WEBHOOK_PATH}"))
        .header("x-hub-signature", sign(SECRET.as_bytes(), &body))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 200);
    assert_eq!(replay.json::<Value>().await.unwrap()["status"], "duplicate");
    // Forged: a tampered copy signed with the wrong secret.
    let mut forged = envelope.clone();
    forged["id"] = json!("notif_forged");
    let forged = serde_json::to_vec(&forged).unwrap();
    let refused = http
        .post(format!("{base}{WEBHOOK_PATH}"))
        .header("x-hub-signature", sign(b"not-the-secret", &forged))
        .body(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert!(
        tokio::time::timeout(Duration::from_millis(500), updates.recv())
            .await
            .is_err(),
        "no further updates"
    );
    let after = mirror
        .recent_events(EventQuery {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(after.iter().all(|e| e.id != "notif_forged"));
    assert_eq!(after.iter().filter(|e| e.id == events[0].id).count(), 1);

    client.cancel().await.unwrap();
    shutdown.cancel();
}
