//! Conversation tools: search, read, create, reply, manage, update, tag,
//! convert to ticket.

use std::sync::Arc;

use rmcp::tool_router;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::output::{Render, ToolError};
use crate::render::{Detail, Transcript, time_field, transcript};
use crate::server::IntercomServer;
use crate::workspace_context::{Names, Workspace, id_string, path_id, str_field};

/// A person on the conversation.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Participant {
    /// Contact id.
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A conversation as shown to the model.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ConversationView {
    /// Conversation id.
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `open`, `closed` or `snoozed`.
    pub state: String,
    pub read: bool,
    /// `priority` or `not_priority`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Since when the customer has been waiting for a reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snoozed_until: Option<String>,
    /// Assigned admin's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<String>,
    /// Assigned team's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    pub contacts: Vec<Participant>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// `conversation`, `email`, `push`... and subject for emails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(flatten)]
    pub transcript: Transcript,
    /// Response statistics (detail=full).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statistics: Option<Map<String, Value>>,
    /// Custom attributes (detail=full).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_attributes: Option<Map<String, Value>>,
    /// Ticket linked to this conversation, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_id: Option<String>,
}

impl Render for ConversationView {
    fn render(&self) -> String {
        let mut head = format!("Conversation {}", self.id);
        if let Some(t) = &self.title {
            head.push_str(&format!(" \"{t}\""));
        }
        head.push_str(&format!(" — {}", self.state));
        if self.priority.as_deref() == Some("priority") {
            head.push_str(", priority");
        }
        if !self.read {
            head.push_str(", unread");
        }
        let mut out = head + "\n";
        let assignee = match (&self.assignee, &self.team) {
            (Some(a), Some(t)) => format!("Assigned to {a} (team {t})"),
            (Some(a), None) => format!("Assigned to {a}"),
            (None, Some(t)) => format!("Assigned to team {t}"),
            (None, None) => "Unassigned".to_string(),
        };
        out.push_str(&assignee);
        if !self.tags.is_empty() {
            out.push_str(&format!(". Tags: {}", self.tags.join(", ")));
        }
        out.push('\n');
        let people: Vec<String> = self
            .contacts
            .iter()
            .map(|c| match (&c.name, &c.email) {
                (Some(n), Some(e)) => format!("{n} <{e}> (contact {})", c.id),
                (None, Some(e)) => format!("{e} (contact {})", c.id),
                (Some(n), None) => format!("{n} (contact {})", c.id),
                (None, None) => format!("contact {}", c.id),
            })
            .collect();
        if !people.is_empty() {
            out.push_str(&format!("With: {}\n", people.join(", ")));
        }
        out.push_str(&format!("Created {}", self.created_at));
        if let Some(u) = &self.updated_at {
            out.push_str(&format!(", updated {u}"));
        }
        if let Some(w) = &self.waiting_since {
            out.push_str(&format!(", waiting since {w}"));
        }
        if let Some(s) = &self.snoozed_until {
            out.push_str(&format!(", snoozed until {s}"));
        }
        out.push('\n');
        if let Some(t) = &self.ticket_id {
            out.push_str(&format!("Linked ticket: {t}\n"));
        }
        out.push_str(&format!("--- {} messages\n", self.transcript.message_count));
        out.push_str(&self.transcript.render());
        if let Some(s) = &self.statistics {
            out.push_str(&format!(
                "Statistics: {}\n",
                crate::output::inline(&Value::Object(s.clone()))
            ));
        }
        if let Some(c) = &self.custom_attributes {
            out.push_str(&format!(
                "Custom attributes: {}\n",
                crate::output::inline(&Value::Object(c.clone()))
            ));
        }
        out.trim_end().to_string()
    }
}

fn non_empty(v: Option<&Value>) -> Option<String> {
    let s = id_string(v);
    (!s.is_empty() && s != "0").then_some(s)
}

/// Turn Intercom's conversation JSON into the view.
pub fn conversation_view(
    c: &Value,
    names: &Names,
    ws: &Workspace,
    detail: Detail,
    max_messages: usize,
) -> ConversationView {
    let tz = ws.time_zone();
    let parts: Vec<Value> = c
        .pointer("/conversation_parts/conversation_parts")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let id = id_string(c.get("id"));
    let hint = format!(
        "call get_conversation with id {id} and max_messages={{needed}} (up to 500) to see them"
    );
    let transcript = transcript(
        c.get("source"),
        &parts,
        names,
        tz,
        detail,
        max_messages,
        &hint,
    );
    let assignee_id = non_empty(c.get("admin_assignee_id"));
    let team_id = non_empty(c.get("team_assignee_id"));
    let source_author = c.pointer("/source/author");
    let contacts = c
        .pointer("/contacts/contacts")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|p| {
                    let pid = id_string(p.get("id"));
                    // The contact list carries ids only; the opening message's
                    // author usually is the contact, with name and email.
                    let author = source_author.filter(|a| id_string(a.get("id")) == pid);
                    let field = |k: &str| {
                        p.get(k)
                            .or_else(|| author.and_then(|a| a.get(k)))
                            .and_then(Value::as_str)
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                    };
                    Participant {
                        name: field("name"),
                        email: field("email"),
                        id: pid,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let full = detail == Detail::Full;
    let object = |key: &str| {
        c.get(key)
            .and_then(Value::as_object)
            .filter(|m| !m.is_empty())
            .cloned()
    };
    ConversationView {
        title: c
            .get("title")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        state: str_field(c, "state"),
        read: c.get("read").and_then(Value::as_bool).unwrap_or(false),
        priority: c
            .get("priority")
            .and_then(Value::as_str)
            .map(str::to_string),
        created_at: time_field(c, "created_at", tz).unwrap_or_default(),
        updated_at: time_field(c, "updated_at", tz),
        waiting_since: time_field(c, "waiting_since", tz),
        snoozed_until: time_field(c, "snoozed_until", tz),
        assignee: assignee_id.as_deref().map(|a| names.describe_admin(a)),
        team: team_id.as_deref().map(|t| names.describe_team(t)),
        assignee_id,
        team_id,
        contacts,
        tags: c
            .pointer("/tags/tags")
            .and_then(Value::as_array)
            .map(|t| t.iter().map(|x| str_field(x, "name")).collect())
            .unwrap_or_default(),
        channel: c
            .pointer("/source/type")
            .and_then(Value::as_str)
            .map(str::to_string),
        transcript,
        statistics: if full { object("statistics") } else { None },
        custom_attributes: if full {
            object("custom_attributes")
        } else {
            None
        },
        ticket_id: c
            .pointer("/ticket/id")
            .map(|v| id_string(Some(v)))
            .filter(|s| !s.is_empty()),
        id,
    }
}

/// Read a conversation and render it.
pub async fn load_conversation(
    ws: &Arc<Workspace>,
    id: &str,
    detail: Detail,
    max_messages: usize,
) -> Result<ConversationView, ToolError> {
    let id = path_id(id)?;
    let path = format!("/conversations/{id}");
    let (body, names) = tokio::try_join!(
        ws.api().get(&path, &[("display_as", "plaintext")]),
        ws.names()
    )?;
    Ok(conversation_view(&body, &names, ws, detail, max_messages))
}

#[tool_router(router = conversation_tools, vis = "pub", allow_empty)]
impl IntercomServer {}
