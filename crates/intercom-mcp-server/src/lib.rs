//! intercom-mcp-server: the MCP server that lets AI assistants work an Intercom
//! workspace (conversations, tickets, contacts, companies, articles) over
//! stdio, Streamable HTTP and legacy SSE.

pub mod aliases;
pub mod args;
pub mod catalogue;
pub mod context;
pub mod dynamic;
pub mod error;
#[cfg(feature = "conformance-fixtures")]
pub mod fixtures;
pub mod inprocess;
pub mod live;
pub mod oauth;
pub mod output;
pub mod progress;
pub mod prompts;
pub mod query;
pub mod redact;
pub mod render;
pub mod resources;
pub mod server;
pub mod summary;
pub mod tools;
pub mod toolsets;
pub mod transport;
pub mod workspace_context;
