//! A tool call that pages against an Intercom that never ends stops within a second when
//! its client cancels it (`notifications/cancelled`) or goes away (the Streamable HTTP
//! response or the legacy SSE stream is closed): the mock sees its requests stop.

use crate::common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::extract::{Request, State};
use intercom_mcp_server::transport::http::{HttpOptions, serve_http};
use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// When the mock received each request.
type Seen = Arc<Mutex<Vec<Instant>>>;

/// An Intercom whose searches never end: every page names a fresh cursor, and each
/// answer takes 20 ms (so a paging loop sends a steady stream of requests).
async fn endless_intercom() -> (String, Seen) {
    let seen = Seen::default();
    let app = Router::new()
        .fallback(|State(seen): State<Seen>, request: Request| async move {
            let n = {
                let mut seen = seen.lock();
                seen.push(Instant::now());
                seen.len()
            };
            let path = request.uri().path().to_string();
            if path == "/me" {
                return Json(json!({"type": "admin", "id": "1", "name": "Ada", "email": "ada@example.com"}));
            }
            if !path.ends_with("/search") {
                return Json(json!({"type": "list", "data": []}));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            let key = path.trim_start_matches('/').trim_end_matches("/search").to_string();
            Json(json!({"type": "list", "total_count": 1_000_000,
                        key: [{"type": "conversation", "id": n.to_string(), "created_at": 1, "updated_at": 1, "state": "open"}],
                        "pages": {"type": "pages", "next": {"starting_after": format!("cursor-{n}")}}}))
        })
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, seen)
}

struct Running {
    base: String,
    seen: Seen,
    shutdown: CancellationToken,
    http: reqwest::Client,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn start() -> Running {
    let (intercom, seen) = endless_intercom().await;
    let server = common::server_for(&intercom, "test-token", common::all_tools());
    let shutdown = CancellationToken::new();
    let (tx, rx) = tokio::sync::oneshot::channel::<SocketAddr>();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        serve_http(
            server,
            HttpOptions {
                port: 0,
                ..HttpOptions::default()
            },
            stop,
            move |addr| {
                let _ = tx.send(addr);
            },
        )
        .await
        .unwrap();
    });
    let addr = tokio::time::timeout(Duration::from_secs(10), rx)
        .await
        .unwrap()
        .unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    Running {
        base: format!("http://{addr}"),
        seen,
        shutdown,
        http: reqwest::Client::new(),
    }
}

fn metrics_call(id: i64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
           "params": {"name": "support_metrics", "arguments": {"period": "last_30d", "source": "api"}}})
}

impl Running {
    fn requests(&self) -> usize {
        self.seen.lock().len()
    }

    /// Waits until the tool has been paging for a while (so stopping it can be seen).
    async fn until_paging(&self) {
        let started = Instant::now();
        while self.requests() < 10 {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the tool never started paging"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// After `stopped_at`, requests end within a second and none follows for another.
    async fn assert_requests_stop(&self, stopped_at: Instant) {
        let before = self.requests();
        tokio::time::sleep(Duration::from_secs(2)).await;
        let seen = self.seen.lock().clone();
        let late: Vec<Duration> = seen
            .iter()
            .filter(|t| **t > stopped_at + Duration::from_secs(1))
            .map(|t| t.duration_since(stopped_at))
            .collect();
        assert!(
            late.is_empty(),
            "requests went on after the call was stopped ({before} before, {} after; {} more \
             than a second late, the first by {:?})",
            seen.len(),
            late.len(),
            late[0]
        );
    }

    fn post_mcp(&self, body: &Value, session: Option<&str>) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .post(format!("{}/mcp", self.base))
            .header("Accept", "application/json, text/event-stream")
            .json(body);
        if let Some(session) = session {
            request = request.header("mcp-session-id", session);
        }
        request
    }

    async fn session(&self) -> String {
        let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}});
        let resp = self.post_mcp(&init, None).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let session = resp.headers()["mcp-session-id"]
            .to_str()
            .unwrap()
            .to_string();
        resp.text().await.unwrap();
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let resp = self
            .post_mcp(&initialized, Some(&session))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 202);
        session
    }
}

#[tokio::test]
async fn notifications_cancelled_stops_the_paging() {
    let r = start().await;
    let session = r.session().await;
    let call = r.post_mcp(&metrics_call(7), Some(&session)).send();
    let pending = tokio::spawn(async move {
        let resp = call.await.unwrap();
        resp.text().await.unwrap_or_default()
    });
    r.until_paging().await;
    let cancel = json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
                        "params": {"requestId": 7, "reason": "the user changed their mind"}});
    let resp = r.post_mcp(&cancel, Some(&session)).send().await.unwrap();
    assert_eq!(resp.status(), 202);
    let stopped_at = Instant::now();
    r.assert_requests_stop(stopped_at).await;
    pending.abort();
}

#[tokio::test]
async fn a_closed_streamable_http_response_stops_the_paging() {
    let r = start().await;
    let session = r.session().await;
    let call = r.post_mcp(&metrics_call(7), Some(&session)).send();
    let pending = tokio::spawn(async move {
        let mut resp = call.await.unwrap();
        while let Ok(Some(_)) = resp.chunk().await {}
    });
    r.until_paging().await;
    // The client goes away: its connection closes.
    pending.abort();
    let _ = pending.await;
    let stopped_at = Instant::now();
    r.assert_requests_stop(stopped_at).await;
}

#[tokio::test]
async fn a_closed_legacy_sse_stream_stops_the_paging() {
    let r = start().await;
    let mut stream = r
        .http
        .get(format!("{}/sse", r.base))
        .header("Accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut buffer = String::new();
    let endpoint = loop {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
            .await
            .unwrap()
            .unwrap()
            .expect("the endpoint event");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        if let Some(line) = buffer.lines().find_map(|l| l.strip_prefix("data:")) {
            break line.trim().to_string();
        }
    };
    let post = |body: Value| {
        r.http
            .post(format!("{}{endpoint}", r.base))
            .json(&body)
            .send()
    };
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2024-11-05", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}});
    assert_eq!(post(init).await.unwrap().status(), 202);
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(post(initialized).await.unwrap().status(), 202);
    assert_eq!(post(metrics_call(7)).await.unwrap().status(), 202);
    r.until_paging().await;
    drop(stream);
    let stopped_at = Instant::now();
    r.assert_requests_stop(stopped_at).await;
}

#[tokio::test]
async fn a_closed_response_in_the_sessionless_2026_era_stops_the_paging() {
    let r = start().await;
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "test", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {}
    });
    let mut call = metrics_call(7);
    call["params"]["_meta"] = meta;
    let request = r
        .post_mcp(&call, None)
        .header("MCP-Protocol-Version", "2026-07-28")
        .header("Mcp-Method", "tools/call")
        .header("Mcp-Name", "support_metrics")
        .send();
    let pending = tokio::spawn(async move {
        let mut resp = request.await.unwrap();
        while let Ok(Some(_)) = resp.chunk().await {}
    });
    r.until_paging().await;
    pending.abort();
    let _ = pending.await;
    let stopped_at = Instant::now();
    r.assert_requests_stop(stopped_at).await;
}
