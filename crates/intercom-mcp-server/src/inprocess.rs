//! Run the server in-process and talk to it as a real MCP client would, over
//! an in-memory duplex pipe. Used by `intercom-mcp call` and by tests, so both
//! go through exactly the same request path as stdio and HTTP clients.

use rmcp::model::{CallToolRequestParams, CallToolResult, ClientConfig};
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Map, Value};

use crate::server::McpHandler;

/// A connected in-process client.
pub struct InProcessClient {
    client: RunningService<RoleClient, ClientConfig>,
    server_task: tokio::task::JoinHandle<()>,
}

impl InProcessClient {
    pub async fn connect<H: McpHandler>(server: H) -> anyhow::Result<Self> {
        let (server_io, client_io) = tokio::io::duplex(1 << 16);
        let server_task = tokio::spawn(async move {
            match server.serve(server_io).await {
                Ok(running) => {
                    let _ = running.waiting().await;
                }
                Err(err) => tracing::warn!(error = %err, "in-process server stopped"),
            }
        });
        let client = ClientConfig::default().serve(client_io).await?;
        Ok(Self {
            client,
            server_task,
        })
    }

    /// The MCP peer, for anything beyond tool calls (resources, prompts, lists).
    pub fn peer(&self) -> &rmcp::Peer<RoleClient> {
        self.client.peer()
    }

    /// Call a tool with JSON arguments.
    pub async fn call(&self, tool: &str, arguments: Value) -> anyhow::Result<CallToolResult> {
        let arguments: Map<String, Value> = match arguments {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            other => anyhow::bail!("tool arguments must be a JSON object, got {other}"),
        };
        let params = CallToolRequestParams::new(tool.to_string()).with_arguments(arguments);
        Ok(self.client.call_tool(params).await?)
    }

    pub async fn close(self) {
        let _ = self.client.cancel().await;
        self.server_task.abort();
    }
}
