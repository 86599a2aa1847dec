//! The tool catalogue: one file per domain, combined here.
//!
//! See `README.md` in this folder for how to add a tool.

use rmcp::handler::server::router::tool::ToolRouter;

use crate::context::IntercomServer;
use crate::toolsets::Toolset;

pub mod conversations;
pub mod search_fetch;
pub mod workspace;
// recent_events, sync_status (need the mirror).
pub mod realtime;
// support_metrics, bulk_*.
pub mod analytics;
pub mod articles;
pub mod bulk;
// list_automations, test_automation, automation_log.
pub mod automations;
pub mod companies;
pub mod contacts;
pub mod tickets;

/// Every domain's tools with the toolset they belong to. Adding a domain is
/// one line here (plus its `pub mod` above).
pub fn registry() -> Vec<(Toolset, ToolRouter<IntercomServer>)> {
    vec![
        (Toolset::Workspace, IntercomServer::workspace_tools()),
        (Toolset::Conversations, IntercomServer::conversation_tools()),
        (Toolset::Conversations, IntercomServer::search_fetch_tools()),
        (Toolset::Realtime, IntercomServer::realtime_tools()),
        (Toolset::Analytics, IntercomServer::analytics_tools()),
        (Toolset::Bulk, IntercomServer::bulk_tools()),
        (Toolset::Automations, IntercomServer::automation_tools()),
        (Toolset::Tickets, IntercomServer::ticket_tools()),
        (Toolset::Contacts, IntercomServer::contact_tools()),
        (Toolset::Companies, IntercomServer::company_tools()),
        (Toolset::Articles, IntercomServer::article_tools()),
    ]
}

/// An SLA state to filter on (`sla` of ticket_queue and search_conversations):
/// `missed`, `active`, `hit` or `cancelled`, checked (with the words people use for them).
pub(crate) fn parse_sla(raw: Option<&str>) -> Result<Option<String>, crate::output::ToolError> {
    let Some(v) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let v = v.to_ascii_lowercase();
    let v = match v.as_str() {
        "breached" | "breach" | "missed" => "missed",
        "active" | "running" | "pending" => "active",
        "hit" | "met" => "hit",
        "cancelled" | "canceled" => "cancelled",
        _ => {
            return Err(crate::output::ToolError::invalid(format!(
                "sla `{v}` is unknown; use missed, active, hit or cancelled"
            )));
        }
    };
    Ok(Some(v.to_string()))
}

/// A ticket type by id or name (case-insensitive), with its id; not found lists the
/// workspace's types, and a type Intercom listed without an id is an error.
pub(crate) async fn resolve_ticket_type(
    ws: &crate::workspace_context::Workspace,
    needle: &str,
) -> Result<(intercom_api::Id, intercom_api::models::TicketType), crate::output::ToolError> {
    let types = ws.api().client().list_ticket_types().await?;
    let lower = needle.trim().to_lowercase();
    let found = types
        .iter()
        .find(|t| t.id.as_deref() == Some(needle.trim()))
        .or_else(|| {
            types
                .iter()
                .find(|t| t.name.as_deref().is_some_and(|n| n.to_lowercase() == lower))
        })
        .cloned()
        .ok_or_else(|| {
            let known: Vec<String> = types.iter().filter_map(|t| t.name.clone()).collect();
            crate::output::ToolError::not_found(format!(
                "no ticket type `{}`; the workspace has: {}",
                needle.trim(),
                known.join(", ")
            ))
        })?;
    let id = intercom_api::Id::required(
        found.id.as_deref(),
        format!(
            "the ticket type `{}` (Intercom's list gave it none; call list_ticket_types)",
            needle.trim()
        ),
    )?;
    Ok((id, found))
}
