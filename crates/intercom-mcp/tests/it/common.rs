//! Shared test setup: a sandbox workspace, a server over it, an in-process
//! MCP client, and a raw API client to read back what tools did.
#![allow(dead_code)]

use std::sync::Arc;

use intercom_api::{Client, ClientConfig, Method, Secret};
use intercom_mcp_server::inprocess::InProcessClient;
use intercom_mcp_server::server::{IntercomServer, ServerOptions};
use intercom_mcp_server::toolsets::Selection;
use intercom_mcp_server::workspace_context::{ApiSettings, Workspaces};
use intercom_sandbox::{Sandbox, SandboxConfig, Scale};
use rmcp::model::CallToolResult;
use serde_json::Value;

pub struct Harness {
    pub sandbox: Sandbox,
    pub client: InProcessClient,
    pub api: Client,
}

pub fn server_for(base_url: &str, token: &str, selection: Selection) -> IntercomServer {
    let settings = ApiSettings {
        base_url: Some(base_url.to_string()),
        ..Default::default()
    };
    IntercomServer::new(ServerOptions {
        selection,
        workspaces: Arc::new(Workspaces::new(settings, Some(Secret::new(token)))),
        token_from_request: false,
    })
    .expect("server builds")
}

pub fn all_tools() -> Selection {
    Selection {
        toolsets: vec!["all".into()],
        ..Default::default()
    }
}

impl Harness {
    pub async fn start() -> Harness {
        Self::start_scale(Scale::Tiny).await
    }

    pub async fn start_scale(scale: Scale) -> Harness {
        let sandbox = Sandbox::start(SandboxConfig {
            scale,
            ..SandboxConfig::default()
        })
        .await
        .expect("sandbox starts");
        let server = server_for(&sandbox.base_url(), sandbox.token(), all_tools());
        Self::with_server(sandbox, server).await
    }

    /// A harness over `sandbox` whose client talks to `server` (built for that sandbox).
    pub async fn with_server(sandbox: Sandbox, server: IntercomServer) -> Harness {
        let client = InProcessClient::connect(server)
            .await
            .expect("client connects");
        let api = Client::new(
            ClientConfig::builder(sandbox.token())
                .base_url(sandbox.base_url())
                .build()
                .unwrap(),
        )
        .unwrap();
        Harness {
            sandbox,
            client,
            api,
        }
    }

    /// Call a tool and insist it succeeded; returns its structured content.
    pub async fn ok(&self, tool: &str, args: Value) -> Value {
        let result = self
            .client
            .call(tool, args.clone())
            .await
            .expect("call runs");
        assert_ne!(
            result.is_error,
            Some(true),
            "{tool} {args} failed: {}",
            text(&result)
        );
        result
            .structured_content
            .clone()
            .expect("structured content")
    }

    /// Call a tool and insist it failed as a tool error; returns the message.
    pub async fn err(&self, tool: &str, args: Value) -> String {
        let result = self
            .client
            .call(tool, args.clone())
            .await
            .expect("call runs");
        assert_eq!(
            result.is_error,
            Some(true),
            "{tool} {args} should fail, got {}",
            text(&result)
        );
        text(&result)
    }

    pub async fn get(&self, path: &str) -> Value {
        self.api
            .send_json(Method::GET, path, &[], None)
            .await
            .expect("read back")
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.api
            .send_json(Method::POST, path, &[], Some(body))
            .await
            .expect("api post")
    }
}

pub fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn id_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}
