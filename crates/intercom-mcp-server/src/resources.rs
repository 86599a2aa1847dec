//! MCP resources: `intercom://workspace` and templates for single objects.

use std::sync::Arc;

use rmcp::ErrorData;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};
use serde_json::{Value, json};

use crate::args::{IdKind, normalize_id};
use crate::output::{Render, ToolError, intercom_json, render_value};
use crate::render::Detail;
use crate::tools::conversations::load_conversation;
use crate::workspace_context::{Workspace, items, path_id};

pub const WORKSPACE_URI: &str = "intercom://workspace";

pub fn static_resources() -> Vec<Resource> {
    vec![
        Resource::new(WORKSPACE_URI, "workspace")
            .with_title("Intercom workspace")
            .with_description(
                "Admins (with away status), teams and ticket states of the workspace.",
            )
            .with_mime_type("application/json"),
    ]
}

pub fn templates() -> Vec<ResourceTemplate> {
    let t = |kind: &str, title: &str, what: &str| {
        ResourceTemplate::new(format!("intercom://{kind}/{{id}}"), kind)
            .with_title(title)
            .with_description(what)
            .with_mime_type("text/plain")
    };
    vec![
        t(
            "conversations",
            "Conversation",
            "A conversation's transcript and state, by id.",
        ),
        t(
            "tickets",
            "Ticket",
            "A ticket's state, attributes and transcript, by id.",
        ),
        t("contacts", "Contact", "A contact's profile, by id."),
        t("companies", "Company", "A company's profile, by id."),
    ]
}

/// An unknown or missing resource; the data names it, as the spec recommends.
fn not_found(uri: &str, message: String) -> ErrorData {
    ErrorData::resource_not_found(message, Some(json!({ "uri": uri })))
}

/// The JSON-RPC error for a failed read, chosen by the error's kind.
fn to_error(uri: &str, err: ToolError) -> ErrorData {
    err.log("resource read");
    err.to_rpc(Some(uri))
}

async fn workspace_json(ws: &Workspace) -> Result<Value, ToolError> {
    let names = ws.names().await?;
    let states = ws
        .cached_list(crate::workspace_context::Listed::TicketStates)
        .await?;
    Ok(json!({
        "admins": names.admins.iter().map(|a| json!({
            "id": a.id, "name": a.name, "email": a.email, "away": a.away,
            "teams": a.team_ids.iter().map(|t| names.describe_team(t)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "teams": names.teams.iter().map(|t| json!({"id": t.id, "name": t.name})).collect::<Vec<_>>(),
        "ticket_states": items(&states, "data").iter().map(|s| json!({
            "id": s.get("id"), "category": s.get("category"),
            "label": s.get("internal_label").or_else(|| s.get("external_label")),
        })).collect::<Vec<_>>(),
    }))
}

/// What a resource URI names.
pub enum Target {
    Workspace,
    Object { kind: IdKind, id: String },
}

/// Parse a resource URI; unknown ones are "not found", naming the URI.
pub fn parse(uri: &str) -> Result<Target, ErrorData> {
    if uri == WORKSPACE_URI {
        return Ok(Target::Workspace);
    }
    let rest = uri.strip_prefix("intercom://").ok_or_else(|| {
        not_found(
            uri,
            format!("unknown resource `{uri}`; URIs start with intercom://"),
        )
    })?;
    let (collection, raw_id) = rest.split_once('/').ok_or_else(|| {
        not_found(
            uri,
            format!("`{uri}` has no id; use intercom://conversations/{{id}}"),
        )
    })?;
    let kind = match collection {
        "conversations" => IdKind::Conversation,
        "tickets" => IdKind::Ticket,
        "contacts" => IdKind::Contact,
        "companies" => IdKind::Company,
        other => {
            return Err(not_found(
                uri,
                format!(
                    "unknown resource type `{other}`; use conversations, tickets, contacts or companies"
                ),
            ));
        }
    };
    let id = normalize_id(kind, raw_id).map_err(|e| not_found(uri, e))?;
    let id = path_id(&id)
        .map_err(|e| not_found(uri, e.message))?
        .to_string();
    Ok(Target::Object { kind, id })
}

/// Read a parsed resource for `ws`.
pub async fn read(
    ws: &Arc<Workspace>,
    uri: &str,
    target: Target,
) -> Result<ReadResourceResult, ErrorData> {
    let (kind, id) = match target {
        Target::Workspace => {
            let body = workspace_json(ws).await.map_err(|e| to_error(uri, e))?;
            let text = serde_json::to_string_pretty(&body).unwrap_or_default();
            return Ok(ReadResourceResult::new(vec![
                ResourceContents::text(text, uri).with_mime_type("application/json"),
            ]));
        }
        Target::Object { kind, id } => (kind, id),
    };
    let text = match kind {
        IdKind::Conversation => load_conversation(ws, &id, Detail::Summary, 100)
            .await
            .map(|c| c.render())
            .map_err(|e| to_error(uri, e))?,
        IdKind::Ticket | IdKind::Contact | IdKind::Company => {
            let id = path_id(&id).map_err(|e| to_error(uri, e))?;
            let client = ws.api().client();
            let body = match kind {
                IdKind::Ticket => client.get_ticket(&id).await.map(|t| intercom_json(&t)),
                IdKind::Contact => client.get_contact(&id).await.map(|c| intercom_json(&c)),
                _ => client.get_company(&id).await.map(|c| intercom_json(&c)),
            }
            .map_err(|e| to_error(uri, e.into()))?;
            render_value(&body)
        }
    };
    Ok(ReadResourceResult::new(vec![
        ResourceContents::text(text, uri).with_mime_type("text/plain"),
    ]))
}
