//! intercom-mcp: an MCP server that lets AI assistants work an Intercom
//! workspace (conversations, tickets, contacts, companies, articles) over
//! stdio, Streamable HTTP and legacy SSE.

pub mod args;
pub mod cli;
pub mod commands;
pub mod dates;
pub mod fixtures;
pub mod inprocess;
pub mod output;
pub mod prompts;
pub mod query;
pub mod render;
pub mod resources;
pub mod server;
pub mod tools;
pub mod toolsets;
pub mod transport;
pub mod workspace_context;
// Real-time engineer: local mirror (store, sync, export) and webhook receiver.
pub mod mirror;
/// Sign in with Intercom: OAuth 2.1 for remote MCP clients.
pub mod oauth;
/// Reliability/security engineer: `--redact-pii` output masking.
pub mod redact;
pub mod webhooks;
// Automations engineer: rules, engine and run log for event-driven workflows.
pub mod automations;
// Analytics-and-bulk engineer: support metrics and bulk jobs.
pub mod analytics;
pub mod bulk;
