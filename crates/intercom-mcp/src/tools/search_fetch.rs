//! `search` and `fetch`, compatible with Intercom's hosted MCP server.

use rmcp::tool_router;

use crate::server::IntercomServer;

#[tool_router(router = search_fetch_tools, vis = "pub", allow_empty)]
impl IntercomServer {}
