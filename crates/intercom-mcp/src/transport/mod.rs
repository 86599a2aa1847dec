//! Transports, all in one binary: stdio, Streamable HTTP (`/mcp`, both
//! protocol eras), the legacy HTTP+SSE transport (`/sse` + `/messages`) and
//! `/healthz`.

pub mod auth;
pub mod http;
pub mod limits;
pub mod sse;

use rmcp::ServiceExt;

use crate::server::IntercomServer;

/// Serve one client over stdin/stdout until it disconnects.
pub async fn serve_stdio(server: IntercomServer) -> anyhow::Result<()> {
    let running = server.serve(rmcp::transport::stdio()).await?;
    running.waiting().await?;
    Ok(())
}
