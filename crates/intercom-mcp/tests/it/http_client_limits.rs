//! Per-client concurrency limits on the real HTTP server: a client flooding
//! slow requests gets prompt 429s with Retry-After, another client at the same
//! time is served in full, and the slots free again once the flood is over.
//! Clients are told apart by peer IP (127.0.0.1 and 127.0.0.2, with a shared
//! --auth-token) and by their own bearer token (--token-from-request).

use crate::common;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use intercom_api::{Method, Secret};
use intercom_mcp_server::server::{IntercomServer, ServerOptions};
use intercom_mcp_server::transport::http::{HttpOptions, serve_http};
use intercom_mcp_server::workspace_context::{ApiSettings, Workspaces};
use intercom_sandbox::{Sandbox, SandboxConfig, Scale};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// Every Intercom request takes this long while the limits are exercised.
const SLOW_MS: u64 = 1500;
const SHARED_ACCESS_TOKEN: &str = "shared-access-token";

struct Running {
    base: String,
    sandbox: Sandbox,
    shutdown: CancellationToken,
    contact: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Running {
    fn api(&self) -> intercom_api::Client {
        intercom_api::Client::new(
            intercom_api::ClientConfig::builder(self.sandbox.token())
                .base_url(self.sandbox.base_url())
                .build()
                .unwrap(),
        )
        .unwrap()
    }

    async fn set_latency(&self, ms: u64) {
        self.api()
            .send_json(
                Method::POST,
                "/_sandbox/faults",
                &[],
                Some(json!({"latency_ms": ms})),
            )
            .await
            .expect("fault controls accepted");
    }
}

/// The HTTP server over a tiny sandbox. `per_request_tokens`: clients bring
/// their own Intercom token (no server token); otherwise the server holds the
/// sandbox token and clients share `SHARED_ACCESS_TOKEN`.
async fn start(limit: usize, per_request_tokens: bool) -> Running {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sandbox = Sandbox::start(SandboxConfig {
        scale: Scale::Tiny,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let server = if per_request_tokens {
        IntercomServer::new(ServerOptions {
            selection: common::all_tools(),
            workspaces: Arc::new(Workspaces::new(
                ApiSettings {
                    base_url: Some(sandbox.base_url()),
                    ..Default::default()
                },
                None,
            )),
            token_from_request: true,
        })
        .unwrap()
    } else {
        common::server_for(&sandbox.base_url(), sandbox.token(), common::all_tools())
    };
    let options = HttpOptions {
        port: 0,
        max_concurrent_per_client: limit,
        auth_token: (!per_request_tokens).then(|| Secret::new(SHARED_ACCESS_TOKEN)),
        token_from_request: per_request_tokens,
        ..Default::default()
    };
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<SocketAddr>();
    tokio::spawn(async move {
        serve_http(server, options, stop, move |addr| {
            let _ = tx.send(addr);
        })
        .await
        .unwrap();
    });
    let addr = tokio::time::timeout(Duration::from_secs(10), rx)
        .await
        .unwrap()
        .unwrap();
    let mut running = Running {
        base: format!("http://{addr}"),
        sandbox,
        shutdown,
        contact: String::new(),
    };
    let list = running
        .api()
        .send_json(Method::GET, "/contacts?per_page=1", &[], None)
        .await
        .unwrap();
    running.contact = common::id_of(&list["data"][0]["id"]);
    running
}

/// An MCP client over Streamable HTTP from a given loopback address.
struct Client {
    http: reqwest::Client,
    base: String,
    bearer: String,
    session: String,
}

/// What one request came back with.
struct Outcome {
    status: u16,
    retry_after: Option<String>,
    body: String,
    took: Duration,
}

impl Client {
    async fn open(base: &str, from: &str, bearer: &str) -> Client {
        let http = reqwest::Client::builder()
            .local_address(from.parse::<IpAddr>().unwrap())
            .build()
            .unwrap();
        let mut client = Client {
            http,
            base: base.to_string(),
            bearer: bearer.to_string(),
            session: String::new(),
        };
        let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "limits", "version": "1"}}});
        let resp = client.post(&init).send().await.unwrap();
        assert_eq!(resp.status(), 200, "initialize from {from}");
        client.session = resp.headers()["mcp-session-id"]
            .to_str()
            .unwrap()
            .to_string();
        let _ = resp.text().await;
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let resp = client.post(&initialized).send().await.unwrap();
        assert_eq!(resp.status(), 202);
        client
    }

    fn post(&self, body: &Value) -> reqwest::RequestBuilder {
        let mut req = self
            .http
            .post(format!("{}/mcp", self.base))
            .header("Accept", "application/json, text/event-stream")
            .bearer_auth(&self.bearer)
            .json(body);
        if !self.session.is_empty() {
            req = req.header("mcp-session-id", &self.session);
        }
        req
    }

    async fn get_contact(&self, id: i64, contact: &str) -> Outcome {
        let started = Instant::now();
        let call = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "get_contact", "arguments": {"id": contact}}});
        let resp = self.post(&call).send().await.expect("server answers");
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        let body = resp.text().await.unwrap_or_default();
        Outcome {
            status,
            retry_after,
            body,
            took: started.elapsed(),
        }
    }

    /// `count` concurrent calls, ids from `first_id`.
    async fn flood(&self, first_id: i64, count: i64, contact: &str) -> Vec<(i64, Outcome)> {
        let calls = (first_id..first_id + count).map(|id| async move {
            let outcome = self.get_contact(id, contact).await;
            (id, outcome)
        });
        futures::future::join_all(calls).await
    }
}

/// The JSON-RPC message with `id` in a JSON or SSE body.
fn answer(body: &str, id: i64) -> Option<Value> {
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .chain(std::iter::once(body))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .find(|v| v["id"] == id)
}

/// A 429 sent at once, saying why and when to retry.
fn assert_refused_promptly(outcome: &Outcome, limit: usize) {
    assert_eq!(outcome.status, 429, "{}", outcome.body);
    assert_eq!(outcome.retry_after.as_deref(), Some("1"));
    let body: Value = serde_json::from_str(&outcome.body).expect("JSON body");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Too many concurrent requests")
            && message.contains(&format!("at most {limit}")),
        "{body}"
    );
    assert!(
        outcome.took < Duration::from_millis(SLOW_MS / 2),
        "refused only after {:?}",
        outcome.took
    );
}

/// A tool result for `id` that read the contact.
fn assert_served(id: i64, outcome: &Outcome, contact: &str) {
    assert_eq!(outcome.status, 200, "{}", outcome.body);
    let reply = answer(&outcome.body, id).unwrap_or_else(|| panic!("no answer: {}", outcome.body));
    assert_ne!(reply["result"]["isError"], true, "{reply}");
    assert_eq!(
        common::id_of(&reply["result"]["structuredContent"]["id"]),
        contact,
        "{reply}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flooding_client_gets_429_while_another_is_served_then_slots_free() {
    let limit = 3;
    let r = start(limit, false).await;
    // Both present the shared access token: the peer IP tells them apart.
    let flooder = Client::open(&r.base, "127.0.0.1", SHARED_ACCESS_TOKEN).await;
    let neighbour = Client::open(&r.base, "127.0.0.2", SHARED_ACCESS_TOKEN).await;
    r.set_latency(SLOW_MS).await;

    let health = async {
        // Sent while the flood is on: /healthz has no client limit.
        tokio::time::sleep(Duration::from_millis(200)).await;
        reqwest::Client::builder()
            .local_address("127.0.0.1".parse::<IpAddr>().unwrap())
            .build()
            .unwrap()
            .get(format!("{}/healthz", r.base))
            .send()
            .await
            .unwrap()
            .status()
    };
    let (flood, neighbour_calls, health) = tokio::join!(
        flooder.flood(100, 8, &r.contact),
        neighbour.flood(200, limit as i64, &r.contact),
        health
    );
    assert_eq!(health, 200, "/healthz is not limited");

    let (served, refused): (Vec<_>, Vec<_>) = flood.iter().partition(|(_, o)| o.status == 200);
    assert!(
        served.len() >= limit && !refused.is_empty(),
        "{} served, {} refused",
        served.len(),
        refused.len()
    );
    for (id, outcome) in &served {
        assert_served(*id, outcome, &r.contact);
    }
    for (_, outcome) in &refused {
        assert_refused_promptly(outcome, limit);
    }
    // The neighbour was served in full, at the same time.
    for (id, outcome) in &neighbour_calls {
        assert_served(*id, outcome, &r.contact);
    }

    // The flood is over: the flooder has its slots back.
    for (id, outcome) in flooder.flood(300, limit as i64, &r.contact).await {
        assert_served(id, &outcome, &r.contact);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_per_request_tokens_each_token_is_its_own_client() {
    let limit = 2;
    let r = start(limit, true).await;
    // Same IP, different tokens: two clients.
    let flooder = Client::open(&r.base, "127.0.0.1", r.sandbox.token()).await;
    let other = Client::open(&r.base, "127.0.0.1", "another-clients-intercom-token").await;
    r.set_latency(SLOW_MS).await;

    let (flood, other_calls) = tokio::join!(
        flooder.flood(100, 6, &r.contact),
        other.flood(200, limit as i64, &r.contact)
    );
    let refused = flood.iter().filter(|(_, o)| o.status == 429).count();
    assert!(
        refused > 0 && refused <= 6 - limit,
        "{refused} of 6 refused"
    );
    for (id, outcome) in &flood {
        match outcome.status {
            200 => assert_served(*id, outcome, &r.contact),
            _ => assert_refused_promptly(outcome, limit),
        }
    }
    // The other client is not refused: its calls reach Intercom, which turns
    // its token down (an isError result, not a 429).
    for (id, outcome) in &other_calls {
        assert_eq!(outcome.status, 200, "{}", outcome.body);
        let reply = answer(&outcome.body, *id).expect("an answer");
        assert_eq!(reply["result"]["isError"], true, "{reply}");
    }
    for (id, outcome) in flooder.flood(300, limit as i64, &r.contact).await {
        assert_served(id, &outcome, &r.contact);
    }
}

/// Reads SSE events until one satisfies `wanted`; returns its data.
async fn next_message(
    stream: &mut reqwest::Response,
    buffer: &mut String,
    wanted: impl Fn(&str, &str) -> bool,
) -> String {
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let raw: String = buffer.drain(..end + 2).collect();
            let mut event = "message";
            let mut data = String::new();
            for line in raw.lines() {
                if let Some(e) = line.strip_prefix("event:") {
                    event = if e.trim() == "endpoint" {
                        "endpoint"
                    } else {
                        "message"
                    };
                } else if let Some(d) = line.strip_prefix("data:") {
                    data.push_str(d.trim_start());
                }
            }
            if wanted(event, &data) {
                return data;
            }
        }
        let chunk = tokio::time::timeout(Duration::from_secs(20), stream.chunk())
            .await
            .expect("event in time")
            .unwrap()
            .expect("stream open");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn legacy_sse_holds_a_slot_until_the_answer_is_on_the_stream() {
    let limit = 2;
    let r = start(limit, false).await;
    let http = reqwest::Client::new();
    let mut stream = http
        .get(format!("{}/sse", r.base))
        .bearer_auth(SHARED_ACCESS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut buffer = String::new();
    let endpoint = next_message(&mut stream, &mut buffer, |e, _| e == "endpoint").await;
    let post = |body: Value| {
        http.post(format!("{}{endpoint}", r.base))
            .bearer_auth(SHARED_ACCESS_TOKEN)
            .timeout(Duration::from_secs(10))
            .json(&body)
            .send()
    };
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2024-11-05", "capabilities": {}, "clientInfo": {"name": "limits", "version": "1"}}});
    assert_eq!(post(init).await.unwrap().status(), 202);
    next_message(&mut stream, &mut buffer, |_, d| d.contains("\"id\":0")).await;
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(post(initialized).await.unwrap().status(), 202);
    r.set_latency(SLOW_MS).await;

    // Each 202 comes at once, but its slot stays taken until the answer is sent.
    let call = |id: i64| {
        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "get_contact", "arguments": {"id": r.contact}}})
    };
    let posts = (1..=5).map(|id| {
        let request = post(call(id));
        async move { (id, request.await.unwrap().status().as_u16()) }
    });
    let statuses = futures::future::join_all(posts).await;
    let accepted: Vec<i64> = statuses
        .iter()
        .filter(|(_, s)| *s == 202)
        .map(|(id, _)| *id)
        .collect();
    let refused = statuses.iter().filter(|(_, s)| *s == 429).count();
    assert_eq!(
        (accepted.len(), refused),
        (limit, 5 - limit),
        "{statuses:?}"
    );
    // Answers come in any order: read until each accepted id has its own.
    let read_answers = async {
        let mut answered = Vec::new();
        while answered.len() < accepted.len() {
            let data = next_message(&mut stream, &mut buffer, |e, _| e == "message").await;
            let reply: Value = serde_json::from_str(&data).unwrap();
            let Some(id) = reply["id"].as_i64() else {
                continue; // a notification
            };
            assert!(
                accepted.contains(&id),
                "answer to a refused request: {reply}"
            );
            assert_ne!(reply["result"]["isError"], true, "{reply}");
            answered.push(id);
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read_answers)
        .await
        .expect("both answers within 30 s");
    // Both answered: the slots are free again.
    for id in [10, 11] {
        assert_eq!(post(call(id)).await.unwrap().status(), 202);
    }
}
