//! intercom-mcp's integration tests, one binary: the server in process, over HTTP and
//! stdio, and the `intercom-mcp` binary itself, against the sandbox.
//! Each former test file is a module; shared harnesses are `common`, `realtime_support`
//! and `security_support`.

mod analytics_tool;
mod article_tools;
mod automations_cli;
mod automations_tools;
mod bulk_tools;
mod cancellation;
mod catalogue;
mod cli;
mod common;
mod contact_company_tools;
mod conversation_tools;
mod dynamic_toolsets;
mod fixtures_mode;
mod http_client_limits;
mod http_transport;
mod lead_scenarios;
mod me_not_cached;
mod mirror_crash;
mod mirror_sync_sandbox;
mod missing_scope;
mod realtime_live;
mod realtime_sandbox_webhooks;
mod realtime_support;
mod realtime_tools;
mod reliability_faults;
mod resources_prompts;
mod search_fetch;
mod security_inputs;
mod security_protocol;
mod security_redaction;
mod security_secrets;
mod security_support;
mod security_tenants;
mod serve_sandbox_live;
mod spec_requests;
mod summary_size;
mod ticket_tools;
mod unreadable_answers;
mod unusable_items;
mod vocabulary;
mod webhook_crash;
mod workspace_tools;
