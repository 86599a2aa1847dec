//! The HTTP transports over real sockets: Streamable HTTP at /mcp in both
//! protocol eras, legacy SSE at /sse + /messages, /healthz, bearer auth,
//! per-request tokens, and Host/Origin (DNS-rebinding) protection.

use crate::common;

use std::net::SocketAddr;
use std::time::Duration;

use intercom_api::Secret;
use intercom_mcp_server::transport::http::{HttpOptions, serve_http};
use intercom_sandbox::{Sandbox, SandboxConfig, Scale};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

struct Running {
    base: String,
    shutdown: CancellationToken,
    sandbox: Sandbox,
    http: reqwest::Client,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Which server-wide Intercom token the server gets.
#[derive(Clone, Copy)]
enum Token {
    Sandbox,
    None,
    Fixed(&'static str),
}

async fn start(options: HttpOptions, default_token: Token) -> Running {
    let sandbox = Sandbox::start(SandboxConfig {
        scale: Scale::Tiny,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let token = match default_token {
        Token::Sandbox => sandbox.token().to_string(),
        Token::None => String::new(),
        Token::Fixed(t) => t.to_string(),
    };
    let mut server = common::server_for(&sandbox.base_url(), &token, common::all_tools());
    if options.token_from_request {
        let settings = intercom_mcp_server::workspace_context::ApiSettings {
            base_url: Some(sandbox.base_url()),
            ..Default::default()
        };
        server = intercom_mcp_server::server::IntercomServer::new(
            intercom_mcp_server::server::ServerOptions {
                selection: common::all_tools(),
                workspaces: std::sync::Arc::new(
                    intercom_mcp_server::workspace_context::Workspaces::new(settings, None),
                ),
                token_from_request: true,
            },
        )
        .unwrap();
    }
    let shutdown = CancellationToken::new();
    let (tx, rx) = tokio::sync::oneshot::channel::<SocketAddr>();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        serve_http(
            server,
            HttpOptions { port: 0, ..options },
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
    Running {
        base: format!("http://{addr}"),
        shutdown,
        sandbox,
        http: http_client(),
    }
}

fn http_client() -> reqwest::Client {
    // reqwest is built without a default TLS provider in this workspace.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// The JSON-RPC message with `id` in a JSON or SSE response body.
fn find_response(body: &str, id: i64) -> Option<Value> {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        return (v["id"] == id).then_some(v);
    }
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .find(|v| v["id"] == id)
}

fn initialize(id: i64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}})
}

fn call(id: i64, tool: &str, args: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": args}})
}

impl Running {
    fn post_mcp(&self, body: &Value) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}/mcp", self.base))
            .header("Accept", "application/json, text/event-stream")
            .json(body)
    }

    async fn me_name(&self) -> String {
        let api = intercom_api::Client::new(
            intercom_api::ClientConfig::builder(self.sandbox.token())
                .base_url(self.sandbox.base_url())
                .build()
                .unwrap(),
        )
        .unwrap();
        let me = api
            .send_json(intercom_api::Method::GET, "/me", &[], None)
            .await
            .unwrap();
        me["name"].as_str().unwrap().to_string()
    }

    /// initialize + initialized on /mcp with optional bearer; returns the session id.
    async fn legacy_session(&self, bearer: Option<&str>) -> String {
        let mut req = self.post_mcp(&initialize(1));
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let session = resp.headers()["mcp-session-id"]
            .to_str()
            .unwrap()
            .to_string();
        let init = find_response(&resp.text().await.unwrap(), 1).expect("initialize result");
        assert_eq!(init["result"]["serverInfo"]["name"], "intercom-mcp");
        let mut req = self
            .post_mcp(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .header("mcp-session-id", &session);
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        assert_eq!(req.send().await.unwrap().status(), 202);
        session
    }

    async fn call_in_session(
        &self,
        session: &str,
        bearer: Option<&str>,
        id: i64,
        tool: &str,
        args: Value,
    ) -> Value {
        let mut req = self
            .post_mcp(&call(id, tool, args))
            .header("mcp-session-id", session);
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200);
        find_response(&resp.text().await.unwrap(), id).expect("tool result")
    }
}

fn result_text(v: &Value) -> String {
    v["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn streamable_http_with_initialize_and_sessions() {
    let r = start(HttpOptions::default(), Token::Sandbox).await;
    let session = r.legacy_session(None).await;
    let out = r
        .call_in_session(&session, None, 2, "whoami", json!({}))
        .await;
    assert!(result_text(&out).contains(&r.me_name().await), "{out}");
    assert_eq!(out["result"]["structuredContent"]["api_version"], "2.16");
    let unknown = r
        .call_in_session(&session, None, 3, "no_such_tool", json!({}))
        .await;
    assert!(
        unknown["error"]["code"].is_i64(),
        "unknown tools are protocol errors: {unknown}"
    );
}

#[tokio::test]
async fn streamable_http_2026_stateless_discover_and_call() {
    let r = start(HttpOptions::default(), Token::Sandbox).await;
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "test", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {}
    });
    let discover =
        json!({"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": meta}});
    let resp = r
        .post_mcp(&discover)
        .header("MCP-Protocol-Version", "2026-07-28")
        .header("Mcp-Method", "server/discover")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers().get("mcp-session-id").is_none(),
        "2026-07-28 is stateless"
    );
    let body = find_response(&resp.text().await.unwrap(), 1).unwrap();
    let versions = body["result"]["supportedVersions"].as_array().unwrap();
    assert!(
        versions.contains(&json!("2026-07-28")) && versions.contains(&json!("2025-11-25")),
        "{body}"
    );

    let mut tool_call = call(2, "whoami", json!({}));
    tool_call["params"]["_meta"] = meta;
    let resp = r
        .post_mcp(&tool_call)
        .header("MCP-Protocol-Version", "2026-07-28")
        .header("Mcp-Method", "tools/call")
        .header("Mcp-Name", "whoami")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let out = find_response(&resp.text().await.unwrap(), 2).unwrap();
    assert!(result_text(&out).contains(&r.me_name().await), "{out}");
}

/// Read SSE events from a streaming response until `pred` matches one.
async fn next_event(
    resp: &mut reqwest::Response,
    buffer: &mut String,
    pred: impl Fn(&str, &str) -> bool,
) -> (String, String) {
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let raw: String = buffer.drain(..end + 2).collect();
            let mut event = "message".to_string();
            let mut data = String::new();
            for line in raw.lines() {
                if let Some(e) = line.strip_prefix("event:") {
                    event = e.trim().to_string();
                } else if let Some(d) = line.strip_prefix("data:") {
                    data.push_str(d.trim_start());
                }
            }
            if pred(&event, &data) {
                return (event, data);
            }
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), resp.chunk())
            .await
            .expect("event in time")
            .unwrap()
            .expect("stream open");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test]
async fn legacy_sse_endpoint_event_then_responses_on_the_stream() {
    let r = start(HttpOptions::default(), Token::Sandbox).await;
    let mut stream = r
        .http
        .get(format!("{}/sse", r.base))
        .header("Accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut buffer = String::new();
    let (event, endpoint) = next_event(&mut stream, &mut buffer, |_, _| true).await;
    assert_eq!(event, "endpoint", "the first event names the POST URL");
    assert!(endpoint.starts_with("/messages?sessionId="), "{endpoint}");
    let post = |body: Value| {
        r.http
            .post(format!("{}{endpoint}", r.base))
            .json(&body)
            .send()
    };

    assert_eq!(post(initialize(1)).await.unwrap().status(), 202);
    let (_, data) = next_event(&mut stream, &mut buffer, |e, d| {
        e == "message" && d.contains("\"id\":1")
    })
    .await;
    let init: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(init["result"]["serverInfo"]["name"], "intercom-mcp");
    assert_eq!(
        post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await
            .unwrap()
            .status(),
        202
    );
    assert_eq!(
        post(call(2, "whoami", json!({}))).await.unwrap().status(),
        202
    );
    let (_, data) = next_event(&mut stream, &mut buffer, |e, d| {
        e == "message" && d.contains("\"id\":2")
    })
    .await;
    let out: Value = serde_json::from_str(&data).unwrap();
    assert!(result_text(&out).contains(&r.me_name().await), "{out}");

    let unknown = r
        .http
        .post(format!("{}/messages?sessionId=nope", r.base))
        .json(&initialize(1))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let garbage = r
        .http
        .post(format!("{}{endpoint}", r.base))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 400);
}

#[tokio::test]
async fn healthz_probes_the_upstream() {
    let r = start(HttpOptions::default(), Token::Sandbox).await;
    let body: Value = r
        .http
        .get(format!("{}/healthz", r.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["upstream"]["reachable"], true);
    // A token Intercom rejects: the server is up, the upstream is not usable.
    let bad = start(HttpOptions::default(), Token::Fixed("revoked-token")).await;
    let body: Value = bad
        .http
        .get(format!("{}/healthz", bad.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["upstream"]["reachable"], false);
    assert!(!body.to_string().contains("revoked-token"), "{body}");
    // No server-wide token (per-request tokens): nothing to probe.
    let none = start(HttpOptions::default(), Token::None).await;
    let body: Value = none
        .http
        .get(format!("{}/healthz", none.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["upstream"]["checked"], false);
}

#[tokio::test]
async fn bearer_token_is_required_when_configured() {
    let r = start(
        HttpOptions {
            auth_token: Some(Secret::new("s3cret-token")),
            ..Default::default()
        },
        Token::Sandbox,
    )
    .await;
    for bearer in [None, Some("wrong")] {
        let mut req = r.post_mcp(&initialize(1));
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 401);
        assert!(
            resp.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        let body = resp.text().await.unwrap();
        assert!(!body.contains("s3cret-token"));
    }
    let sse = r.http.get(format!("{}/sse", r.base)).send().await.unwrap();
    assert_eq!(sse.status(), 401, "/sse is protected too");
    let session = r.legacy_session(Some("s3cret-token")).await;
    let out = r
        .call_in_session(&session, Some("s3cret-token"), 2, "whoami", json!({}))
        .await;
    assert!(result_text(&out).contains(&r.me_name().await));
    let health = r
        .http
        .get(format!("{}/healthz", r.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200, "health checks need no token");
}

#[tokio::test]
async fn host_and_origin_are_validated() {
    let r = start(HttpOptions::default(), Token::Sandbox).await;
    let evil_host = r
        .post_mcp(&initialize(1))
        .header("Host", "evil.example:8080")
        .send()
        .await
        .unwrap();
    assert_eq!(evil_host.status(), 403);
    let evil_origin = r
        .post_mcp(&initialize(1))
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(evil_origin.status(), 403);
    let sse = r
        .http
        .get(format!("{}/sse", r.base))
        .header("Host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), 403);
    let local_origin = r
        .post_mcp(&initialize(1))
        .header("Origin", "http://localhost:6274")
        .send()
        .await
        .unwrap();
    assert_eq!(local_origin.status(), 200);
    let localhost = r
        .post_mcp(&initialize(1))
        .header("Host", "localhost")
        .send()
        .await
        .unwrap();
    assert_eq!(localhost.status(), 200);
}

#[tokio::test]
async fn request_body_limit_applies() {
    let r = start(
        HttpOptions {
            max_body_bytes: 4096,
            ..Default::default()
        },
        Token::Sandbox,
    )
    .await;
    let big = call(1, "whoami", json!({"padding": "x".repeat(10_000)}));
    let resp = r.post_mcp(&big).send().await.unwrap();
    assert_eq!(resp.status(), 413);
    let mut stream = r.http.get(format!("{}/sse", r.base)).send().await.unwrap();
    let mut buffer = String::new();
    let (_, endpoint) = next_event(&mut stream, &mut buffer, |e, _| e == "endpoint").await;
    let resp = r
        .http
        .post(format!("{}{endpoint}", r.base))
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
}

#[tokio::test]
async fn each_client_token_reaches_its_own_workspace() {
    let r = start(
        HttpOptions {
            token_from_request: true,
            ..Default::default()
        },
        Token::None,
    )
    .await;
    let no_token = r.post_mcp(&initialize(1)).send().await.unwrap();
    assert_eq!(no_token.status(), 401, "a bearer token is required");
    let token = r.sandbox.token().to_string();
    let session = r.legacy_session(Some(&token)).await;
    let out = r
        .call_in_session(&session, Some(&token), 2, "whoami", json!({}))
        .await;
    assert!(result_text(&out).contains(&r.me_name().await), "{out}");
    let wrong = r.legacy_session(Some("someone-elses-token")).await;
    let out = r
        .call_in_session(&wrong, Some("someone-elses-token"), 2, "whoami", json!({}))
        .await;
    assert_eq!(out["result"]["isError"], true);
    let text = result_text(&out);
    assert!(
        text.contains("token") && !text.contains("someone-elses-token"),
        "{text}"
    );
}

#[test]
fn binding_beyond_loopback_needs_a_token() {
    let open = HttpOptions {
        host: "0.0.0.0".into(),
        ..Default::default()
    };
    let err = open.check().unwrap_err();
    assert!(
        err.contains("--auth-token") && err.contains("INTERCOM_MCP_AUTH_TOKEN"),
        "{err}"
    );
    let guarded = HttpOptions {
        host: "0.0.0.0".into(),
        auth_token: Some(Secret::new("t")),
        ..Default::default()
    };
    assert!(guarded.check().is_ok());
    assert!(HttpOptions::default().check().is_ok());
}

/// A rolling restart: after the stop signal the server keeps answering for the drain
/// period while `/healthz` says 503 `draining` (so a balancer takes it out first), then
/// stops accepting connections and returns.
#[tokio::test]
async fn after_the_stop_signal_requests_are_served_while_healthz_says_draining() {
    let sandbox = Sandbox::start(SandboxConfig {
        scale: Scale::Tiny,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let server = common::server_for(&sandbox.base_url(), sandbox.token(), common::all_tools());
    let shutdown = CancellationToken::new();
    let (tx, rx) = tokio::sync::oneshot::channel::<SocketAddr>();
    let options = HttpOptions {
        port: 0,
        drain: Duration::from_secs(2),
        ..HttpOptions::default()
    };
    let serving = tokio::spawn(serve_http(server, options, shutdown.clone(), move |addr| {
        let _ = tx.send(addr);
    }));
    let addr = tokio::time::timeout(Duration::from_secs(10), rx)
        .await
        .unwrap()
        .unwrap();
    let base = format!("http://{addr}");
    let http = http_client();
    let health = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    shutdown.cancel();
    let health = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 503);
    let body: Value = health.json().await.unwrap();
    assert_eq!(body["status"], "draining", "{body}");
    // Still served while draining: a sessionless tool call gets its answer.
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "test", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {}
    });
    let mut tool_call = call(2, "whoami", json!({}));
    tool_call["params"]["_meta"] = meta;
    let resp = http
        .post(format!("{base}/mcp"))
        .header("Accept", "application/json, text/event-stream")
        .header("Content-Type", "application/json")
        .header("MCP-Protocol-Version", "2026-07-28")
        .header("Mcp-Method", "tools/call")
        .header("Mcp-Name", "whoami")
        .json(&tool_call)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let out = find_response(&resp.text().await.unwrap(), 2).unwrap();
    assert_ne!(out["result"]["isError"], true, "{out}");

    // Then it stops: serve_http returns and the port takes no new connection.
    tokio::time::timeout(Duration::from_secs(15), serving)
        .await
        .expect("the server stopped after the drain")
        .unwrap()
        .unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
