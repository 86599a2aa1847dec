//! `--token-from-request` with two live workspaces: a routing proxy sends each
//! Intercom token to its own sandbox (as Intercom's one host serves every
//! workspace). Two clients interleave calls, including cached directory lists;
//! each sees only its own workspace.

use crate::security_support;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use intercom_mcp_server::server::{IntercomServer, ServerOptions};
use intercom_mcp_server::transport::http::{HttpOptions, router};
use intercom_mcp_server::workspace_context::{ApiSettings, Workspaces};
use intercom_sandbox::{Sandbox, SandboxConfig, Scale};
use serde_json::{Value, json};

/// (token, sandbox base URL) pairs.
type Routes = Arc<Vec<(String, String)>>;

async fn route_by_token(State(routes): State<Routes>, req: Request) -> Response {
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let Some((_, base)) = routes.iter().find(|(t, _)| auth == format!("Bearer {t}")) else {
        return Response::builder()
            .status(401)
            .body(Body::from(r#"{"type":"error.list","errors":[{"code":"unauthorized","message":"Access Token Invalid"}]}"#))
            .unwrap();
    };
    let url = format!(
        "{base}{}",
        req.uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
    );
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let mut upstream = reqwest::Client::new().request(parts.method, url).body(body);
    for (name, value) in parts.headers.iter() {
        if name != "host" {
            upstream = upstream.header(name, value);
        }
    }
    let answer = upstream.send().await.unwrap();
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if name != "transfer-encoding" && name != "content-length" {
            response = response.header(name, value);
        }
    }
    response
        .body(Body::from(answer.bytes().await.unwrap()))
        .unwrap()
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

async fn workspace(seed: u64, token: &str) -> Sandbox {
    Sandbox::start(SandboxConfig {
        scale: Scale::Tiny,
        seed,
        token: token.into(),
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

struct Session {
    http: reqwest::Client,
    url: String,
    token: String,
    id: String,
    next: i64,
}

impl Session {
    async fn open(http: reqwest::Client, base: &str, token: &str) -> Session {
        let url = format!("{base}/mcp");
        let resp = http
            .post(&url)
            .bearer_auth(token)
            .header("Accept", "application/json, text/event-stream")
            .json(&security_support::initialize(1))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let id = resp.headers()["mcp-session-id"]
            .to_str()
            .unwrap()
            .to_string();
        let _ = resp.text().await;
        let resp = http
            .post(&url)
            .bearer_auth(token)
            .header("Accept", "application/json, text/event-stream")
            .header("mcp-session-id", &id)
            .json(&security_support::initialized())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 202);
        Session {
            http,
            url,
            token: token.into(),
            id,
            next: 10,
        }
    }

    async fn structured(&mut self, tool: &str, args: Value) -> Value {
        self.next += 1;
        let body = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .header("Accept", "application/json, text/event-stream")
            .header("mcp-session-id", &self.id)
            .json(&security_support::call(self.next, tool, args))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let reply = security_support::messages(&body)
            .into_iter()
            .find(|v| v["id"] == self.next)
            .expect("a reply");
        assert_ne!(reply["result"]["isError"], true, "{tool}: {reply}");
        reply["result"]["structuredContent"].clone()
    }
}

fn names(list: &Value, key: &str) -> Vec<String> {
    let mut names: Vec<String> = list[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} in {list}"))
        .iter()
        .filter_map(|a| a["email"].as_str().or(a["name"].as_str()).map(String::from))
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn two_tokens_two_workspaces_never_mix() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (token_a, token_b) = ("workspace-a-token", "workspace-b-token");
    let a = workspace(1, token_a).await;
    let b = workspace(2, token_b).await;
    let routes: Routes = Arc::new(vec![
        (token_a.into(), a.base_url()),
        (token_b.into(), b.base_url()),
    ]);
    let proxy = serve(
        axum::Router::new()
            .fallback(route_by_token)
            .with_state(routes),
    )
    .await;

    let server = IntercomServer::new(ServerOptions {
        selection: security_support_all(),
        workspaces: Arc::new(Workspaces::new(
            ApiSettings {
                base_url: Some(proxy),
                ..Default::default()
            },
            None,
        )),
        token_from_request: true,
    })
    .unwrap();
    let options = HttpOptions {
        token_from_request: true,
        ..Default::default()
    };
    let base = serve(router(server, &options, Default::default())).await;

    let http = reqwest::Client::new();
    let mut client_a = Session::open(http.clone(), &base, token_a).await;
    let mut client_b = Session::open(http, &base, token_b).await;

    // The truth, read from each sandbox directly.
    let direct = |s: &Sandbox| {
        intercom_api::Client::new(
            intercom_api::ClientConfig::builder(s.token())
                .base_url(s.base_url())
                .build()
                .unwrap(),
        )
        .unwrap()
    };
    let me_a = direct(&a)
        .send_json(intercom_api::Method::GET, "/me", &[], None)
        .await
        .unwrap();
    let me_b = direct(&b)
        .send_json(intercom_api::Method::GET, "/me", &[], None)
        .await
        .unwrap();
    assert_ne!(me_a["email"], me_b["email"], "the two workspaces differ");

    // Interleaved, twice: the second round is served from each workspace's cache.
    for _ in 0..2 {
        let who_a = client_a.structured("whoami", json!({})).await;
        let who_b = client_b.structured("whoami", json!({})).await;
        assert!(
            who_a.to_string().contains(me_a["email"].as_str().unwrap()),
            "{who_a}"
        );
        assert!(
            who_b.to_string().contains(me_b["email"].as_str().unwrap()),
            "{who_b}"
        );
        assert!(!who_a.to_string().contains(me_b["email"].as_str().unwrap()));
        assert!(!who_b.to_string().contains(me_a["email"].as_str().unwrap()));
        let admins_a = client_a.structured("list_admins", json!({})).await;
        let admins_b = client_b.structured("list_admins", json!({})).await;
        assert_ne!(names(&admins_a, "admins"), names(&admins_b, "admins"));
    }

    // A write through A lands in A only.
    client_a
        .structured("create_tag", json!({"name": "only-in-workspace-a"}))
        .await;
    let tags_a = direct(&a)
        .send_json(intercom_api::Method::GET, "/tags", &[], None)
        .await
        .unwrap();
    let tags_b = direct(&b)
        .send_json(intercom_api::Method::GET, "/tags", &[], None)
        .await
        .unwrap();
    assert!(tags_a.to_string().contains("only-in-workspace-a"));
    assert!(!tags_b.to_string().contains("only-in-workspace-a"));
    let listed_b = client_b.structured("list_tags", json!({})).await;
    assert!(
        !listed_b.to_string().contains("only-in-workspace-a"),
        "{listed_b}"
    );
}

fn security_support_all() -> intercom_mcp_server::toolsets::Selection {
    intercom_mcp_server::toolsets::Selection {
        toolsets: vec!["all".into()],
        ..Default::default()
    }
}
