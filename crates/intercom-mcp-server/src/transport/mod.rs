//! Transports, all in one binary: stdio, Streamable HTTP (`/mcp`, both
//! protocol eras), the legacy HTTP+SSE transport (`/sse` + `/messages`) and
//! `/healthz`.

pub mod auth;
pub mod gone;
pub mod http;
pub mod limits;
pub mod sse;
pub mod stdio;

use crate::server::McpHandler;

/// Serve one client over stdin/stdout until it disconnects; a line that is
/// not JSON gets a parse error instead of silence.
pub async fn serve_stdio<H: McpHandler>(server: H) -> anyhow::Result<()> {
    stdio::serve(server, tokio::io::stdin(), tokio::io::stdout()).await
}
