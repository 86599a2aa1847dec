//! Conversation tools: search, read, create, reply, manage, update, tag,
//! convert to ticket.

use std::sync::Arc;

use rmcp::handler::server::tool::Extension;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::args::{IdKind, normalize_ids};
use crate::context::IntercomServer;
use crate::output::{Json, PageArgs, Paging, Render, Skipped, ToolError, intercom_json};
use crate::query::{all_of, comparison, date_filter, filter};
use crate::render::{Detail, Transcript, html_to_text, opt_detail, time_field, transcript};
use crate::tools::resolve_ticket_type;
use crate::workspace_context::{Names, Workspace, id_string, path_id, str_field};
use intercom_api::models::{Assignee, ContactInput, ConversationUpdate, ConvertToTicket, Reply};
use intercom_api::{Id, SearchQuery, SearchRequest};
use intercom_core::dates::iso;

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
    /// Where the data came from: `api`, or `mirror` with `mirror_age_seconds` (real time).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub source: Option<intercom_mirror::DataSource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `open`, `closed` or `snoozed`.
    pub state: String,
    pub read: bool,
    /// `none`, `low`, `medium`, `high` or `urgent`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// Customer satisfaction rating (1-5), when the customer rated the conversation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<i64>,
    /// The customer's remark with the rating.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating_remark: Option<String>,
    /// SLA name and status, e.g. `VIP first response: missed`, where an SLA applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla: Option<String>,
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
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
        match self.priority.as_deref() {
            None | Some("none" | "not_priority" | "") => {}
            Some("priority") => head.push_str(", priority"),
            Some(p) => head.push_str(&format!(", priority {p}")),
        }
        if !self.read {
            head.push_str(", unread");
        }
        let mut out = head + "\n";
        let mut facts = Vec::new();
        if let Some(c) = &self.channel {
            facts.push(format!("Channel: {c}"));
        }
        match (self.rating, &self.rating_remark) {
            (Some(r), Some(remark)) => facts.push(format!("CSAT rating: {r}/5 (\"{remark}\")")),
            (Some(r), None) => facts.push(format!("CSAT rating: {r}/5")),
            (None, _) => facts.push("CSAT rating: not rated".into()),
        }
        if let Some(s) = &self.sla {
            facts.push(format!("SLA: {s}"));
        }
        out.push_str(&facts.join(". "));
        out.push('\n');
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
    // The opening message carries no time of its own: it is the conversation's.
    let source = c.get("source").filter(|s| s.is_object()).map(|s| {
        let mut s = s.clone();
        if s.get("created_at").is_none()
            && let Some(at) = c.get("created_at")
        {
            s["created_at"] = at.clone();
        }
        s
    });
    let transcript = transcript(
        source.as_ref(),
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
        rating: c
            .pointer("/conversation_rating/rating")
            .and_then(Value::as_i64),
        rating_remark: c
            .pointer("/conversation_rating/remark")
            .and_then(Value::as_str)
            .filter(|r| !r.trim().is_empty())
            .map(str::to_string),
        sla: c.get("sla_applied").and_then(|sla| {
            let status = sla.get("sla_status").and_then(Value::as_str)?;
            let name = sla.get("sla_name").and_then(Value::as_str).unwrap_or("SLA");
            Some(format!("{name}: {status}"))
        }),
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
        statistics: if full {
            object("statistics").map(|m| {
                m.into_iter()
                    .filter(|(k, v)| k != "type" && !v.is_null())
                    .map(|(k, v)| match v.as_i64() {
                        // Timestamps as ISO times; durations stay in seconds.
                        Some(ts) if k.ends_with("_at") => (k, Value::String(iso(ts, tz))),
                        _ => (k, v),
                    })
                    .collect()
            })
        } else {
            None
        },
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
        source: None,
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
    let (conversation, names) = tokio::try_join!(
        async { Ok::<_, ToolError>(ws.api().client().get_conversation_plaintext(&id).await?) },
        ws.names()
    )?;
    Ok(conversation_view(
        &intercom_json(&conversation),
        &names,
        ws,
        detail,
        max_messages,
    ))
}

// ---------------------------------------------------------------------------
// Search

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct SearchConversationsArgs {
    /// Only these ids.
    #[serde(default, deserialize_with = "crate::args::opt_string_list")]
    pub ids: Option<Vec<String>>,
    /// First message's channel: email, conversation (chat), phone_call, sms, whatsapp, ...
    #[serde(default)]
    pub source_type: Option<String>,
    /// Exact name of who started it.
    #[serde(default)]
    pub source_author_name: Option<String>,
    /// Exact email of who started it.
    #[serde(default)]
    pub source_author_email: Option<String>,
    /// `open`, `closed` or `snoozed`.
    #[serde(default)]
    pub state: Option<String>,
    /// Alias of `team` for a team id (Intercom's field name).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    #[schemars(skip)]
    pub team_assignee_id: Option<String>,
    /// Alias of `assignee` for an admin id (Intercom's field name).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    #[schemars(skip)]
    pub admin_assignee_id: Option<String>,
    /// Seconds to first assignment with a comparison, e.g. ">3600".
    #[serde(default, deserialize_with = "crate::args::opt_json")]
    pub statistics_time_to_assignment: Option<Value>,
    /// Seconds to first admin reply, e.g. "<600".
    #[serde(default, deserialize_with = "crate::args::opt_json")]
    pub statistics_time_to_admin_reply: Option<Value>,
    /// Seconds to first close, e.g. ">86400".
    #[serde(default, deserialize_with = "crate::args::opt_json")]
    pub statistics_time_to_first_close: Option<Value>,
    /// Date (ISO or words: today, monday, last_week, last_month, 7d).
    #[serde(default)]
    pub created_after: Option<String>,
    /// Date, as created_after.
    #[serde(default)]
    pub created_before: Option<String>,
    /// Date, as created_after (also 24h).
    #[serde(default)]
    pub updated_after: Option<String>,
    /// none, low, medium, high or urgent.
    #[serde(default)]
    pub priority: Option<String>,
    /// Tag name or id.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub tag: Option<String>,
    /// A participant's email.
    #[serde(default)]
    pub contact_email: Option<String>,
    /// Admin or team: name, first name, email or id; `me`; `unassigned`.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub assignee: Option<String>,
    /// Team id or name.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub team: Option<String>,
    /// Words to find (with the mirror: in any message, with a snippet; else the first message only).
    #[serde(default)]
    pub text: Option<String>,
    /// SLA state: missed, active, hit or cancelled.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub sla: Option<String>,
    /// true: open or snoozed; false: closed.
    #[serde(default, deserialize_with = "crate::args::opt_bool")]
    pub open: Option<bool>,
    /// Read by an admin.
    #[serde(default, deserialize_with = "crate::args::opt_bool")]
    pub read: Option<bool>,
    /// Raw Intercom query ({field, operator, value} or AND/OR group), ANDed with the rest.
    #[serde(default, deserialize_with = "crate::args::opt_json")]
    pub query: Option<Value>,
    /// 1-150, default 20.
    #[serde(default, deserialize_with = "crate::args::opt_u32")]
    pub limit: Option<u32>,
    /// Alias of `limit` (Intercom's name).
    #[serde(default, deserialize_with = "crate::args::opt_u32")]
    #[schemars(skip)]
    pub per_page: Option<u32>,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Alias of `cursor` (Intercom's name).
    #[serde(default)]
    #[schemars(skip)]
    pub starting_after: Option<String>,
    /// `summary`: structured copy without what the text shows.
    #[serde(default, deserialize_with = "crate::render::opt_detail")]
    #[schemars(with = "Option<String>")]
    pub detail: Option<crate::render::Detail>,
}

/// One conversation in a list.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ConversationSummary {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    pub read: bool,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_since: Option<String>,
    /// Assigned admin's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// Assigned team's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Who started it (name or email).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The start of the first message.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub preview: String,
    /// Customer satisfaction rating (1-5), when the customer rated the conversation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<i64>,
    /// SLA name and status, e.g. `VIP first response: missed`, where an SLA applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla: Option<String>,
    /// Full-text search: the message that matched, shortened, matches in [brackets].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ConversationList {
    pub conversations: Vec<ConversationSummary>,
    #[serde(flatten)]
    pub paging: Paging,
    #[serde(flatten)]
    pub skipped: Skipped,
    /// The Intercom query that was run (to refine with `query`).
    pub intercom_query: Value,
    /// Where the answer came from: `api`, or `mirror` (full-text search) with `mirror_age_seconds`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub source: Option<intercom_mirror::DataSource>,
    /// What the search could and could not see, when that matters for the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Render for ConversationList {
    fn render(&self) -> String {
        let total = self
            .paging
            .total_count
            .map(|t| format!(" of {t}"))
            .unwrap_or_default();
        let mut out = format!("{} conversations{total}\n", self.conversations.len());
        if let Some(note) = &self.note {
            out.push_str(&format!("Note: {note}\n"));
        }
        for c in &self.conversations {
            let who = c.from.as_deref().unwrap_or("unknown");
            let owner = match (&c.assignee, &c.team) {
                (Some(a), _) => a.clone(),
                (None, Some(t)) => format!("team {t}"),
                (None, None) => "unassigned".into(),
            };
            let prio = c
                .priority
                .as_deref()
                .filter(|p| *p != "none")
                .map(|p| format!(", {p}"))
                .unwrap_or_default();
            let title = c
                .title
                .as_deref()
                .map(|t| format!(" \"{t}\""))
                .unwrap_or_default();
            let rating = c
                .rating
                .map(|r| format!(", rated {r}/5"))
                .unwrap_or_default();
            let sla = c
                .sla
                .as_deref()
                .map(|s| format!(", SLA {s}"))
                .unwrap_or_default();
            out.push_str(&format!(
                "- {}{title} [{}{prio}{}{rating}{sla}] from {who}; owner: {owner}; created {}: {}\n",
                c.id,
                c.state,
                if c.read { "" } else { ", unread" },
                c.created_at,
                c.preview
            ));
            if let Some(snippet) = &c.snippet {
                out.push_str(&format!("  matched: {snippet}\n"));
            }
        }
        if let Some(next) = &self.paging.next_cursor {
            out.push_str(&format!(
                "More results: call again with cursor=\"{next}\"\n"
            ));
        }
        out.push_str(&self.skipped.note());
        out.trim_end().to_string()
    }
}

const PREVIEW_CHARS: usize = 140;
/// Most conversations an SLA search reads from the API (Intercom cannot filter on SLA).
pub(crate) const SLA_SCAN_CAP: usize = 3_000;

fn preview(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= PREVIEW_CHARS {
        one_line
    } else {
        let cut: String = one_line.chars().take(PREVIEW_CHARS).collect();
        format!("{cut}…")
    }
}

pub fn conversation_summary(c: &Value, names: &Names, tz: chrono_tz::Tz) -> ConversationSummary {
    let author = c.pointer("/source/author").cloned().unwrap_or(Value::Null);
    let from = ["name", "email"]
        .iter()
        .find_map(|k| {
            author
                .get(*k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        })
        .map(str::to_string);
    let body = c
        .pointer("/source/body")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let subject = c
        .pointer("/source/subject")
        .and_then(Value::as_str)
        .unwrap_or_default();
    ConversationSummary {
        id: id_string(c.get("id")),
        title: c
            .get("title")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        state: str_field(c, "state"),
        priority: c
            .get("priority")
            .and_then(Value::as_str)
            .map(str::to_string),
        read: c.get("read").and_then(Value::as_bool).unwrap_or(false),
        created_at: time_field(c, "created_at", tz).unwrap_or_default(),
        updated_at: time_field(c, "updated_at", tz),
        waiting_since: time_field(c, "waiting_since", tz),
        assignee: non_empty(c.get("admin_assignee_id")).map(|a| names.describe_admin(&a)),
        team: non_empty(c.get("team_assignee_id")).map(|t| names.describe_team(&t)),
        from,
        tags: c
            .pointer("/tags/tags")
            .and_then(Value::as_array)
            .map(|t| t.iter().map(|x| str_field(x, "name")).collect())
            .unwrap_or_default(),
        preview: preview(&html_to_text(if body.is_empty() { subject } else { body })),
        rating: c
            .pointer("/conversation_rating/rating")
            .and_then(Value::as_i64),
        sla: c.get("sla_applied").and_then(|sla| {
            let status = sla.get("sla_status").and_then(Value::as_str)?;
            let name = sla.get("sla_name").and_then(Value::as_str).unwrap_or("SLA");
            Some(format!("{name}: {status}"))
        }),
        snippet: None,
    }
}

/// Contact ids with this email (contacts search).
pub async fn contact_ids_by_email(ws: &Workspace, email: &str) -> Result<Vec<String>, ToolError> {
    let request = SearchRequest::new(SearchQuery::field("email").eq(email.trim())).per_page(15);
    let page = ws.api().client().search_contacts(&request).await?;
    Ok(page.items.into_iter().filter_map(|c| c.id).collect())
}

impl SearchConversationsArgs {
    pub(crate) async fn filters(&self, ws: &Workspace) -> Result<Vec<Value>, ToolError> {
        let dates = ws.dates();
        let mut f = Vec::new();
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        if let Some(ids) = &self.ids
            && !ids.is_empty()
        {
            let ids = normalize_ids(IdKind::Conversation, ids).map_err(ToolError::invalid)?;
            f.push(filter("id", "IN", ids));
        }
        if let Some(v) = text(&self.source_type) {
            f.push(filter("source.type", "=", v));
        }
        if let Some(v) = text(&self.source_author_name) {
            f.push(filter("source.author.name", "=", v));
        }
        if let Some(v) = text(&self.source_author_email) {
            f.push(filter("source.author.email", "=", v));
        }
        if let Some(v) = text(&self.state) {
            let v = v.to_ascii_lowercase();
            if !["open", "closed", "snoozed"].contains(&v.as_str()) {
                return Err(ToolError::invalid(format!(
                    "state `{v}` is unknown; use open, closed or snoozed"
                )));
            }
            f.push(filter("state", "=", v));
        }
        if let Some(v) = text(&self.team_assignee_id) {
            f.push(filter("team_assignee_id", "=", v));
        }
        if let Some(v) = text(&self.admin_assignee_id) {
            f.push(filter("admin_assignee_id", "=", v));
        }
        for (field, value, name) in [
            (
                "statistics.time_to_assignment",
                &self.statistics_time_to_assignment,
                "statistics_time_to_assignment",
            ),
            (
                "statistics.time_to_admin_reply",
                &self.statistics_time_to_admin_reply,
                "statistics_time_to_admin_reply",
            ),
            (
                "statistics.time_to_first_close",
                &self.statistics_time_to_first_close,
                "statistics_time_to_first_close",
            ),
        ] {
            if let Some(v) = value {
                f.push(comparison(field, v, name)?);
            }
        }
        f.extend(date_filter(
            "created_at",
            ">",
            self.created_after.as_deref(),
            &dates,
            "created_after",
        )?);
        f.extend(date_filter(
            "created_at",
            "<",
            self.created_before.as_deref(),
            &dates,
            "created_before",
        )?);
        f.extend(date_filter(
            "updated_at",
            ">",
            self.updated_after.as_deref(),
            &dates,
            "updated_after",
        )?);
        if let Some(v) = text(&self.priority) {
            let v = v.to_ascii_lowercase();
            if !["none", "low", "medium", "high", "urgent"].contains(&v.as_str()) {
                return Err(ToolError::invalid(format!(
                    "priority `{v}` is unknown; use none, low, medium, high or urgent"
                )));
            }
            f.push(filter("priority", "=", v));
        }
        if let Some(v) = text(&self.tag) {
            let (id, _) = ws.resolve_tag(&v, false).await?;
            f.push(filter("tag_ids", "IN", vec![id]));
        }
        if let Some(email) = text(&self.contact_email) {
            let ids = contact_ids_by_email(ws, &email).await?;
            if ids.is_empty() {
                return Err(ToolError::not_found(format!(
                    "no contact has the email `{email}`, so there are no conversations with them; check the address or search contacts"
                )));
            }
            f.push(filter("contact_ids", "IN", ids));
        }
        if let Some(v) = text(&self.assignee) {
            let lower = v.to_ascii_lowercase();
            if matches!(lower.as_str(), "unassigned" | "none" | "nobody") {
                f.push(filter("admin_assignee_id", "=", 0));
            } else {
                // An admin, or a team when the name is a team's ("assigned to billing").
                match ws.resolve_assignee(&v).await? {
                    crate::workspace_context::Assignee::Admin { id, .. } => {
                        f.push(filter("admin_assignee_id", "=", id));
                    }
                    crate::workspace_context::Assignee::Team { id, .. } => {
                        f.push(filter("team_assignee_id", "=", id));
                    }
                }
            }
        }
        if let Some(v) = text(&self.team) {
            let (id, _) = ws.resolve_team(&v).await?;
            f.push(filter("team_assignee_id", "=", id));
        }
        if let Some(words) = text(&self.text) {
            // Intercom matches `source.body` word by word with `=`.
            for word in words
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .take(5)
            {
                f.push(filter("source.body", "=", word));
            }
        }
        if let Some(open) = self.open {
            f.push(filter("open", "=", open));
        }
        if let Some(read) = self.read {
            f.push(filter("read", "=", read));
        }
        if let Some(raw) = &self.query {
            if !raw.is_object() {
                return Err(ToolError::invalid(
                    "query must be an Intercom query object such as {\"field\": \"state\", \"operator\": \"=\", \"value\": \"open\"}",
                ));
            }
            f.push(raw.clone());
        }
        Ok(f)
    }

    fn page(&self) -> PageArgs {
        PageArgs {
            limit: self.limit.or(self.per_page),
            cursor: self.cursor.clone().or_else(|| self.starting_after.clone()),
        }
    }
}

/// Run a conversation search and summarise the results.
pub async fn run_conversation_search(
    ws: &Workspace,
    query: Value,
    page: &PageArgs,
) -> Result<ConversationList, ToolError> {
    let mut request = SearchRequest::new(SearchQuery::from_json(&query)?).per_page(page.limit());
    if let Some(cursor) = page.cursor() {
        request = request.starting_after(cursor);
    }
    let (found, names) = tokio::try_join!(
        async { Ok::<_, ToolError>(ws.api().client().search_conversations(&request).await?) },
        ws.names()
    )?;
    let tz = ws.time_zone();
    Ok(ConversationList {
        conversations: found
            .items
            .iter()
            .map(|c| conversation_summary(&intercom_json(c), &names, tz))
            .collect(),
        paging: Paging::of(&found),
        skipped: Skipped::of(found.skipped),
        intercom_query: query,
        source: None,
        note: None,
    })
}

/// The filter the mirror's full-text search applies with the words: every other argument of
/// `args` as [`SearchConversationsArgs::filters`] reads it, in one AND group (`args.text`
/// must be taken out first: the words go to the index, not to the filter).
pub(crate) async fn text_search_filter(
    args: &SearchConversationsArgs,
    ws: &Workspace,
) -> Result<Option<Value>, ToolError> {
    let mut filters = args.filters(ws).await?;
    Ok(match filters.len() {
        0 => None,
        1 => filters.pop(),
        _ => Some(serde_json::json!({"operator": "AND", "value": filters})),
    })
}

/// One page of the mirror's full-text search.
pub(crate) async fn mirror_text_page(
    mirror: &intercom_mirror::Mirror,
    search: intercom_mirror::textsearch::ConversationTextSearch,
) -> Result<intercom_mirror::textsearch::ConversationTextPage, ToolError> {
    mirror
        .search_conversations(search)
        .await
        .map_err(|e| ToolError::invalid(e.to_string()))
}

/// The ids of every conversation the mirror's full-text search matches (all its pages),
/// refused when more than `cap` match.
pub(crate) async fn mirror_text_ids(
    mirror: &intercom_mirror::Mirror,
    text: &str,
    filter: Option<Value>,
    sla: Option<String>,
    cap: usize,
) -> Result<Vec<String>, ToolError> {
    const PER_PAGE: usize = 150;
    let mut ids = Vec::new();
    let mut cursor = None;
    for _ in 0..cap / PER_PAGE + 2 {
        let page = mirror_text_page(
            mirror,
            intercom_mirror::textsearch::ConversationTextSearch {
                text: text.to_string(),
                filter: filter.clone(),
                sla_status: sla.clone(),
                limit: PER_PAGE,
                cursor: cursor.take(),
            },
        )
        .await?;
        if page.total as usize > cap {
            return Err(ToolError::invalid(format!(
                "the filters match {} conversations, more than the cap of {cap} per call: narrow \
                 them (the operator can raise the cap with --bulk-max-items / \
                 INTERCOM_MCP_BULK_MAX_ITEMS)",
                page.total
            )));
        }
        ids.extend(
            page.hits
                .iter()
                .filter_map(|hit| hit.conversation.get("id"))
                .map(|id| id_string(Some(id))),
        );
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(ids),
        }
    }
    Err(ToolError::internal(
        "the mirror's full-text search did not come to an end within its page bound",
    ))
}

/// What [`sla_matches`] found.
pub(crate) struct SlaMatches {
    pub matching: Vec<Value>,
    /// How many matches of the other filters were read.
    pub scanned: usize,
    /// False when more matched the other filters than were read.
    pub complete: bool,
    /// Unreadable entries left out.
    pub nulls: usize,
}

/// Conversations matching `query` whose SLA has status `sla`: Intercom cannot search on
/// SLA, so the other filters' matches are read (at most `scan_cap`) and kept by status.
/// search_conversations and the bulk tools' `sla` filter both read SLA this way.
pub(crate) async fn sla_matches(
    ws: &Workspace,
    query: Value,
    sla: &str,
    scan_cap: usize,
) -> Result<SlaMatches, ToolError> {
    let scan =
        crate::query::scan_search(ws, crate::query::Searched::Conversations, query, scan_cap)
            .await?;
    let scanned = scan.items.len();
    Ok(SlaMatches {
        matching: scan
            .items
            .into_iter()
            .filter(|c| c.pointer("/sla_applied/sla_status").and_then(Value::as_str) == Some(sla))
            .collect(),
        scanned,
        complete: scan.complete,
        nulls: scan.nulls,
    })
}

/// What `text` matches without the mirror, said to the model.
pub(crate) fn api_text_note(text: &str) -> String {
    format!(
        "without the mirror, `text` uses Intercom's search, which matches whole words of the first message (source.body) only: replies, notes and later messages mentioning \"{text}\" are not found. Run the server with the mirror (`--sync`) to search every message"
    )
}

// ---------------------------------------------------------------------------
// Arguments of the single-conversation tools

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetConversationArgs {
    /// Id, `conversation_…` or inbox URL.
    #[serde(deserialize_with = "crate::args::conversation_id")]
    pub id: String,
    /// `summary` (default) or `full` (adds system events, part ids, attachments, statistics).
    #[serde(default, deserialize_with = "opt_detail")]
    pub detail: Option<Detail>,
    /// Default 60 (full: 200), max 500; longer threads are cut in the middle.
    #[serde(default, deserialize_with = "crate::args::opt_u32")]
    pub max_messages: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateConversationArgs {
    /// The customer's contact id (or prefixed `contact_…`). Give this or `contact_email`.
    #[serde(default, deserialize_with = "crate::args::opt_contact_id")]
    pub contact_id: Option<String>,
    /// The customer's email, to find the contact. Give this or `contact_id`.
    #[serde(default)]
    pub contact_email: Option<String>,
    /// Create a lead with this email when no contact has it (default false).
    #[serde(default, deserialize_with = "crate::args::opt_bool")]
    pub create_contact_if_missing: Option<bool>,
    /// The customer's first message (plain text or HTML).
    pub body: String,
    /// Subject line (shown for email conversations).
    #[serde(default)]
    pub subject: Option<String>,
    /// Assign to this admin in the same call: id, email, name or `me`.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub assignee: Option<String>,
    /// Assign to this team in the same call: id or name.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub team: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReplyArgs {
    /// Conversation id: raw, prefixed or an inbox URL.
    #[serde(deserialize_with = "crate::args::conversation_id")]
    pub id: String,
    /// The reply text (plain text or HTML).
    pub body: String,
    /// `comment` (default, the customer sees it) or `note` (internal, teammates only).
    #[serde(default)]
    pub message_type: Option<String>,
    /// Reply as this admin (id, email or name); default: the token's admin.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub admin: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ManageArgs {
    /// Conversation id: raw, prefixed or an inbox URL.
    #[serde(deserialize_with = "crate::args::conversation_id")]
    pub id: String,
    /// `close`, `open`, `snooze`, `assign` or `unassign`.
    pub action: String,
    /// For snooze: until when — `monday`, `tomorrow 9am`, `in 2h`, or an ISO date/time (a date alone: the start of the working day, 09:00 unless configured).
    #[serde(default)]
    pub snoozed_until: Option<String>,
    /// For assign: the admin (id, email, name or `me`).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub assignee: Option<String>,
    /// For assign: the team (id or name).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub team: Option<String>,
    /// Optional message added with close or assign (visible to the customer on close).
    #[serde(default)]
    pub body: Option<String>,
    /// Act as this admin (id, email or name); default: the token's admin.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub admin: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateConversationArgs {
    /// Conversation id: raw, prefixed or an inbox URL.
    #[serde(deserialize_with = "crate::args::conversation_id")]
    pub id: String,
    /// New title.
    #[serde(default)]
    pub title: Option<String>,
    /// Mark read (true) or unread (false).
    #[serde(default, deserialize_with = "crate::args::opt_bool")]
    pub read: Option<bool>,
    /// Conversation custom attributes to set, e.g. {"issue_type": "billing"} (object or JSON text).
    #[serde(default, deserialize_with = "crate::args::opt_object")]
    pub custom_attributes: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct TagConversationArgs {
    /// Conversation id: raw, prefixed or an inbox URL.
    #[serde(deserialize_with = "crate::args::conversation_id")]
    pub id: String,
    /// Tags to add, by name or id (list or comma-separated).
    #[serde(default, deserialize_with = "crate::args::opt_string_list")]
    pub add: Option<Vec<String>>,
    /// Tags to remove, by name or id (list or comma-separated).
    #[serde(default, deserialize_with = "crate::args::opt_string_list")]
    pub remove: Option<Vec<String>>,
    /// Create tags in `add` that do not exist yet (default false: unknown tags are an error).
    #[serde(default, deserialize_with = "crate::args::opt_bool")]
    pub create_missing_tags: Option<bool>,
    /// Act as this admin (id, email or name); default: the token's admin.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub admin: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ConvertArgs {
    /// Conversation id: raw, prefixed or an inbox URL.
    #[serde(deserialize_with = "crate::args::conversation_id")]
    pub id: String,
    /// Ticket type, by id or name (see list_ticket_types).
    #[serde(deserialize_with = "crate::args::text")]
    pub ticket_type: String,
    /// Ticket attributes, e.g. {"_default_title_": "Refund", "_default_description_": "…"} (object or JSON text).
    #[serde(default, deserialize_with = "crate::args::opt_object")]
    pub attributes: Option<Map<String, Value>>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ReplyResult {
    pub conversation_id: String,
    /// `comment` or `note`.
    pub message_type: String,
    /// Who wrote it.
    pub author: String,
    pub text: String,
    /// State of the conversation after the reply.
    pub state: String,
}

impl Render for ReplyResult {
    fn render(&self) -> String {
        let what = if self.message_type == "note" {
            "Internal note added"
        } else {
            "Reply sent"
        };
        format!(
            "{what} to conversation {} as {} (conversation is {}): {}",
            self.conversation_id, self.author, self.state, self.text
        )
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ConversationChange {
    /// What was done.
    pub message: String,
    pub conversation: ConversationSummary,
}

impl Render for ConversationChange {
    fn render(&self) -> String {
        let c = &self.conversation;
        let owner = match (&c.assignee, &c.team) {
            (Some(a), Some(t)) => format!("assigned to {a} (team {t})"),
            (Some(a), None) => format!("assigned to {a}"),
            (None, Some(t)) => format!("assigned to team {t}"),
            (None, None) => "unassigned".into(),
        };
        let tags = if c.tags.is_empty() {
            String::new()
        } else {
            format!(", tags: {}", c.tags.join(", "))
        };
        format!(
            "{}\nConversation {} is {}, {owner}{tags}.",
            self.message, c.id, c.state
        )
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TicketCreated {
    /// The new ticket's id.
    pub ticket_id: String,
    pub ticket_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The conversation it came from.
    pub conversation_id: String,
}
impl Render for TicketCreated {}

fn nonempty_text(s: &str, what: &str) -> Result<String, ToolError> {
    let t = s.trim();
    if t.is_empty() {
        Err(ToolError::invalid(format!("{what} is empty")))
    } else {
        Ok(t.to_string())
    }
}

/// Snooze target, from the one date grammar's future reading: weekdays are the next
/// one, spans count forward, a date alone is the start of the working day.
pub(crate) fn snooze_until(
    words: &str,
    dates: &intercom_core::dates::Dates,
) -> Result<i64, ToolError> {
    dates
        .future(words)
        .map_err(|e| ToolError::invalid(format!("snoozed_until: {e}")))
}

impl IntercomServer {
    async fn conversation_after_change(
        ws: &Arc<Workspace>,
        id: &str,
        message: String,
    ) -> Result<Json<ConversationChange>, ToolError> {
        let conversation_id = path_id(id)?;
        // The change is made; reading the conversation back is only for the report.
        let (conversation, names) = tokio::try_join!(
            async {
                Ok::<_, ToolError>(ws.api().client().get_conversation(&conversation_id).await?)
            },
            ws.names()
        )
        .map_err(|e| {
            e.after_write(
                format!(
                    "conversation {id} was changed ({})",
                    message.trim_end_matches('.')
                ),
                Some(id),
            )
        })?;
        Ok(Json(ConversationChange {
            message,
            conversation: conversation_summary(
                &intercom_json(&conversation),
                &names,
                ws.time_zone(),
            ),
        }))
    }

    async fn assign(
        ws: &Workspace,
        id: &str,
        acting: &Id,
        assignee: Assignee,
        body: Option<&str>,
    ) -> Result<(), ToolError> {
        let body = body.map(str::trim).filter(|b| !b.is_empty());
        ws.api()
            .client()
            .assign_conversation(&path_id(id)?, acting, &assignee, body)
            .await?;
        Ok(())
    }
}

#[tool_router(router = conversation_tools, vis = "pub")]
impl IntercomServer {
    #[tool(
        name = "search_conversations",
        description = "Find conversations by state, assignee, team, tag, contact, dates, priority, channel, SLA or words; gives the total and a cursor. Example: {\"open\": true, \"created_after\": \"today\"}. get_conversation reads one.",
        annotations(
            title = "Search conversations",
            read_only_hint = true,
            open_world_hint = true
        )
    )]
    async fn search_conversations(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<SearchConversationsArgs>,
    ) -> Result<Json<ConversationList>, ToolError> {
        let mut args = args;
        let sla = super::parse_sla(args.sla.as_deref())?;
        let text = args
            .text
            .take()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        // Real time: the mirror's full-text index matches every message, and the other
        // filters run in the same query, so the total is exact and pages follow on.
        if let (Some(realtime), Some(text)) = (self.realtime(), text.as_deref()) {
            let filter = text_search_filter(&args, &ws).await?;
            let page = args.page();
            let cursor = page.cursor().map(str::to_string);
            if let Some(c) = &cursor
                && !intercom_mirror::textsearch::is_text_cursor(c)
            {
                return Err(ToolError::invalid(format!(
                    "cursor `{c}` does not come from a full-text search; pass the next_cursor of the previous call with the same text and filters"
                )));
            }
            let mirror = realtime.mirror();
            let (found, age, names) = tokio::try_join!(
                mirror_text_page(
                    mirror,
                    intercom_mirror::textsearch::ConversationTextSearch {
                        text: text.to_string(),
                        filter: filter.clone(),
                        sla_status: sla.clone(),
                        limit: page.limit() as usize,
                        cursor,
                    }
                ),
                async {
                    Ok(mirror
                        .age_seconds(intercom_mirror::ObjectKind::Conversation)
                        .await
                        .ok()
                        .flatten())
                },
                ws.names()
            )?;
            let tz = ws.time_zone();
            return Ok(Json(ConversationList {
                conversations: found
                    .hits
                    .iter()
                    .map(|hit| {
                        let mut summary = conversation_summary(&hit.conversation, &names, tz);
                        summary.snippet = Some(hit.snippet.clone()).filter(|s| !s.is_empty());
                        summary
                    })
                    .collect(),
                paging: Paging {
                    total_count: Some(found.total),
                    next_cursor: found.next_cursor,
                },
                intercom_query: serde_json::json!({
                    "full_text": text,
                    "filter": filter,
                    "sla": sla,
                }),
                skipped: Skipped::default(),
                source: Some(intercom_mirror::DataSource::mirror(age)),
                note: Some(
                    "full-text search of the mirror: every message (first message, replies, notes) holding all the words"
                        .into(),
                ),
            }));
        }
        args.text = text.clone();
        let query = all_of(args.filters(&ws).await?)?;
        let text_note = text.as_deref().map(api_text_note);
        let Some(sla) = sla else {
            let mut list = run_conversation_search(&ws, query, &args.page()).await?;
            list.source = Some(intercom_mirror::DataSource::api());
            list.note = text_note;
            return Ok(Json(list));
        };
        // Intercom cannot search on SLA: read every match of the other filters and keep those
        // whose SLA has this status. The cursor is the position in that list.
        let page = args.page();
        let offset = match page.cursor() {
            None => 0,
            Some(c) => c
                .strip_prefix("sla:")
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| {
                    ToolError::invalid(format!(
                        "cursor `{c}` does not come from an SLA search; pass the next_cursor of the previous call with the same filters"
                    ))
                })?,
        };
        let (scan, names) = tokio::try_join!(
            sla_matches(&ws, query.clone(), &sla, SLA_SCAN_CAP),
            ws.names()
        )?;
        let matching = &scan.matching;
        let limit = page.limit() as usize;
        let tz = ws.time_zone();
        let shown: Vec<ConversationSummary> = matching
            .iter()
            .skip(offset)
            .take(limit)
            .map(|c| conversation_summary(c, &names, tz))
            .collect();
        let next = offset + shown.len();
        let mut notes = Vec::new();
        if let Some(t) = text_note {
            notes.push(t);
        }
        if !scan.complete {
            notes.push(format!(
                "Intercom cannot search on SLA, so the first {} conversations matching the other filters were read and {} of them have SLA {sla}; more matched than one call reads, so the count is a lower bound: narrow with created_after or use the mirror",
                scan.scanned,
                matching.len()
            ));
        }
        Ok(Json(ConversationList {
            paging: Paging {
                total_count: scan.complete.then_some(matching.len() as u64),
                next_cursor: (next < matching.len()).then(|| format!("sla:{next}")),
            },
            conversations: shown,
            skipped: Skipped::of(scan.nulls),
            intercom_query: serde_json::json!({"query": query, "sla_applied.sla_status": sla}),
            source: Some(intercom_mirror::DataSource::api()),
            note: (!notes.is_empty()).then(|| notes.join(". ")),
        }))
    }

    #[tool(
        name = "get_conversation",
        description = "Read one conversation: state, assignee, tags, contact and its messages as text (long threads are cut in the middle, and say so).",
        annotations(
            title = "Get conversation",
            read_only_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_conversation(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<GetConversationArgs>,
    ) -> Result<Json<ConversationView>, ToolError> {
        let detail = args.detail.unwrap_or_default();
        let default = if detail == Detail::Full { 200 } else { 60 };
        let max = args.max_messages.unwrap_or(default).clamp(2, 500) as usize;
        // Real time: a fresh mirror answers without an API call.
        if let Some(realtime) = self.realtime()
            && let Some((raw, age)) = realtime
                .fresh_copy(
                    intercom_mirror::ObjectKind::Conversation,
                    &path_id(&args.id)?,
                )
                .await
        {
            let names = ws.names().await?;
            let mut view = conversation_view(&raw, &names, &ws, detail, max);
            view.source = Some(intercom_mirror::DataSource::mirror(Some(age)));
            return Ok(Json(view));
        }
        let mut view = load_conversation(&ws, &args.id, detail, max).await?;
        view.source = Some(intercom_mirror::DataSource::api());
        Ok(Json(view))
    }

    #[tool(
        name = "create_conversation",
        description = "Start a conversation as a customer (their first message), optionally assigned. To answer one, use reply_to_conversation.",
        annotations(
            title = "Create conversation",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn create_conversation(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<CreateConversationArgs>,
    ) -> Result<Json<ConversationView>, ToolError> {
        let body = nonempty_text(&args.body, "body (the first message)")?;
        // Resolve everything before writing, so a bad assignee creates nothing.
        let admin = match &args.assignee {
            Some(a) => Some(ws.resolve_admin(a).await?),
            None => None,
        };
        let team = match &args.team {
            Some(t) => Some(ws.resolve_team(t).await?),
            None => None,
        };
        let acting = if admin.is_some() || team.is_some() {
            Some(ws.my_admin_id().await?)
        } else {
            None
        };
        let contact = match (
            &args.contact_id,
            args.contact_email
                .as_deref()
                .map(str::trim)
                .filter(|e| !e.is_empty()),
        ) {
            (Some(id), _) => ws.api().client().get_contact(&path_id(id)?).await?,
            (None, Some(email)) => {
                let client = ws.api().client();
                match client.find_contact_by_email(email).await? {
                    Some(c) => c,
                    None if args.create_contact_if_missing.unwrap_or(false) => {
                        let lead = client
                            .create_contact(&ContactInput {
                                role: Some("lead".into()),
                                email: Some(email.to_string()),
                                ..Default::default()
                            })
                            .await?;
                        if lead.id.as_deref().is_none_or(|id| id.trim().is_empty()) {
                            return Err(ToolError::applied(
                                format!("a lead with the email {email} was created"),
                                "the answer names no contact id, so no conversation was started; \
                                 call create_conversation again with contact_email (it finds the lead)",
                                None,
                            ));
                        }
                        lead
                    }
                    None => {
                        return Err(ToolError::not_found(format!(
                            "no contact has the email `{email}`; pass create_contact_if_missing=true to create a lead, or check the address"
                        )));
                    }
                }
            }
            (None, None) => {
                return Err(ToolError::invalid(
                    "pass contact_id or contact_email to say who the conversation is from",
                ));
            }
        };
        // `from.id` is required: a contact record without an id stops here, before any write.
        let contact_id = Id::required(contact.id.clone(), "the contact in Intercom's answer")?;
        let subject = args
            .subject
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let created = ws
            .api()
            .client()
            .create_conversation(&contact_id, &body, subject)
            .await?;
        let conversation_id = created
            .conversation_id
            .clone()
            .or_else(|| created.id.clone())
            .unwrap_or_default();
        if conversation_id.trim().is_empty() {
            return Err(ToolError::applied(
                format!("a conversation from contact {contact_id} was created"),
                "the answer names no conversation id; find it with search_conversations",
                None,
            ));
        }
        if let Some(acting) = &acting {
            let mut done = Vec::new();
            let targets = [
                (team.as_ref(), Assignee::Team as fn(Id) -> Assignee),
                (admin.as_ref(), Assignee::Admin),
            ];
            for (target, assignee) in targets {
                if let Some((tid, tname)) = target
                    && let Err(e) =
                        Self::assign(&ws, &conversation_id, acting, assignee(tid.clone()), None)
                            .await
                {
                    return Err(ToolError::new(
                        crate::output::ErrorKind::AppliedUnreadable,
                        format!(
                            "Applied: conversation {conversation_id} was created{}, but assigning it to {tname} failed: {}. \
                         Retry with manage_conversation (action=assign) instead of creating it again",
                            if done.is_empty() {
                                String::new()
                            } else {
                                format!(" and assigned to {}", done.join(", "))
                            },
                            e.message
                        ),
                    ));
                }
                if let Some((_, tname)) = target {
                    done.push(tname.clone());
                }
            }
        }
        let created = load_conversation(&ws, &conversation_id, Detail::Summary, 60)
            .await
            .map_err(|e| {
                e.after_write(
                    format!("conversation {conversation_id} was created"),
                    Some(&conversation_id),
                )
            })?;
        Ok(Json(created))
    }

    #[tool(
        name = "reply_to_conversation",
        description = "Reply to a conversation: a comment the customer sees, or an internal note (message_type=note).",
        annotations(
            title = "Reply to conversation",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn reply_to_conversation(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<ReplyArgs>,
    ) -> Result<Json<ReplyResult>, ToolError> {
        let body = nonempty_text(&args.body, "body (the reply)")?;
        let message_type = match args
            .message_type
            .as_deref()
            .map(|m| m.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("") | Some("comment") | Some("reply") => "comment",
            Some("note") | Some("internal_note") | Some("internal") => "note",
            Some(other) => {
                return Err(ToolError::invalid(format!(
                    "message_type `{other}` is unknown; use comment or note"
                )));
            }
        };
        let (admin_id, admin_name) = ws.acting_admin(args.admin.as_deref()).await?;
        let reply = match message_type {
            "note" => Reply::admin_note(admin_id.as_str(), body.as_str()),
            _ => Reply::admin_comment(admin_id.as_str(), body.as_str()),
        };
        let after = ws
            .api()
            .client()
            .reply_to_conversation(&path_id(&args.id)?, &reply)
            .await?;
        Ok(Json(ReplyResult {
            conversation_id: args.id,
            message_type: message_type.to_string(),
            author: admin_name,
            text: html_to_text(&body),
            state: after
                .state
                .as_ref()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
        }))
    }

    #[tool(
        name = "manage_conversation",
        description = "Close, reopen, snooze, assign (admin and/or team) or unassign a conversation.",
        annotations(
            title = "Manage conversation",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn manage_conversation(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<ManageArgs>,
    ) -> Result<Json<ConversationChange>, ToolError> {
        let conversation_id = path_id(&args.id)?;
        let id = conversation_id.to_string();
        let action = args.action.trim().to_ascii_lowercase();
        let (acting, _) = ws.acting_admin(args.admin.as_deref()).await?;
        let client = ws.api().client();
        let body = args
            .body
            .as_deref()
            .map(str::trim)
            .filter(|b| !b.is_empty());
        let message = match action.as_str() {
            "close" => {
                client
                    .close_conversation(&conversation_id, &acting, body)
                    .await?;
                "Closed.".to_string()
            }
            "open" | "reopen" => {
                client.open_conversation(&conversation_id, &acting).await?;
                "Reopened.".to_string()
            }
            "snooze" => {
                let words = args.snoozed_until.as_deref().ok_or_else(|| {
                    ToolError::invalid(
                        "snooze needs snoozed_until, e.g. `tomorrow`, `4h` or an ISO datetime",
                    )
                })?;
                let until = snooze_until(words, &ws.dates())?;
                client
                    .snooze_conversation(&conversation_id, &acting, until)
                    .await?;
                format!("Snoozed until {}.", iso(until, ws.time_zone()))
            }
            "assign" => {
                if args.assignee.is_none() && args.team.is_none() {
                    return Err(ToolError::invalid(
                        "assign needs `assignee` (admin) and/or `team`",
                    ));
                }
                let admin = match &args.assignee {
                    Some(a) => Some(ws.resolve_admin(a).await?),
                    None => None,
                };
                let team = match &args.team {
                    Some(t) => Some(ws.resolve_team(t).await?),
                    None => None,
                };
                let mut names = Vec::new();
                if let Some((tid, tname)) = &team {
                    Self::assign(&ws, &id, &acting, Assignee::Team(tid.clone()), body).await?;
                    names.push(format!("team {tname}"));
                }
                if let Some((aid, aname)) = &admin {
                    Self::assign(
                        &ws,
                        &id,
                        &acting,
                        Assignee::Admin(aid.clone()),
                        if team.is_some() { None } else { body },
                    )
                    .await?;
                    names.push(aname.clone());
                }
                format!("Assigned to {}.", names.join(" and "))
            }
            "unassign" => {
                let nobody = Assignee::Admin(Id::from_number(0));
                Self::assign(&ws, &id, &acting, nobody, body).await?;
                "Unassigned from its admin.".to_string()
            }
            other => {
                return Err(ToolError::invalid(format!(
                    "action `{other}` is unknown; use close, open, snooze, assign or unassign"
                )));
            }
        };
        Self::conversation_after_change(&ws, &id, message).await
    }

    #[tool(
        name = "update_conversation",
        description = "Set a conversation's title, read state or custom attributes (state and assignment: manage_conversation).",
        annotations(
            title = "Update conversation",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn update_conversation(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<UpdateConversationArgs>,
    ) -> Result<Json<ConversationChange>, ToolError> {
        let update = ConversationUpdate {
            title: args.title.as_deref().map(|t| t.trim().to_string()),
            read: args.read,
            custom_attributes: args.custom_attributes.clone(),
            ..Default::default()
        };
        let mut changed = Vec::new();
        if update.title.is_some() {
            changed.push("title");
        }
        if let Some(r) = update.read {
            changed.push(if r { "marked read" } else { "marked unread" });
        }
        if update.custom_attributes.is_some() {
            changed.push("custom attributes");
        }
        if changed.is_empty() {
            return Err(ToolError::invalid(
                "nothing to update: pass title, read or custom_attributes",
            ));
        }
        ws.api()
            .client()
            .update_conversation(&path_id(&args.id)?, &update)
            .await?;
        Self::conversation_after_change(&ws, &args.id, format!("Updated: {}.", changed.join(", ")))
            .await
    }

    #[tool(
        name = "tag_conversation",
        description = "Add or remove tags on a conversation, by name or id.",
        annotations(
            title = "Tag conversation",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn tag_conversation(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<TagConversationArgs>,
    ) -> Result<Json<ConversationChange>, ToolError> {
        let add = args.add.clone().unwrap_or_default();
        let remove = args.remove.clone().unwrap_or_default();
        if add.is_empty() && remove.is_empty() {
            return Err(ToolError::invalid(
                "nothing to do: pass tag names or ids in `add` and/or `remove`",
            ));
        }
        let id = path_id(&args.id)?;
        let (acting, _) = ws.acting_admin(args.admin.as_deref()).await?;
        let create = args.create_missing_tags.unwrap_or(false);
        // Resolve every tag before writing anything, so an unknown name changes nothing: the
        // names to add are looked up without creating, the names to remove must exist, and only
        // then are missing tags created (when asked) and applied.
        let mut lookups = Vec::new();
        for t in &add {
            lookups.push(ws.resolve_tag(t, false).await);
        }
        if !create && let Some(Err(e)) = lookups.iter().find(|r| r.is_err()) {
            return Err(e.clone());
        }
        let mut to_remove = Vec::new();
        for t in &remove {
            to_remove.push(ws.resolve_tag(t, false).await?);
        }
        let mut to_add = Vec::new();
        for (t, found) in add.iter().zip(lookups) {
            to_add.push(match found {
                Ok(tag) => tag,
                Err(e) if e.kind == crate::output::ErrorKind::NotFound => {
                    ws.resolve_tag(t, true).await?
                }
                Err(e) => return Err(e),
            });
        }
        let client = ws.api().client();
        for (tag_id, _) in &to_add {
            client.tag_conversation(&id, tag_id, &acting).await?;
        }
        for (tag_id, _) in &to_remove {
            client.untag_conversation(&id, tag_id, &acting).await?;
        }
        let mut parts = Vec::new();
        if !to_add.is_empty() {
            parts.push(format!(
                "added {}",
                to_add
                    .iter()
                    .map(|(_, n)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !to_remove.is_empty() {
            parts.push(format!(
                "removed {}",
                to_remove
                    .iter()
                    .map(|(_, n)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Self::conversation_after_change(&ws, &id, format!("Tags {}.", parts.join("; "))).await
    }

    #[tool(
        name = "convert_conversation_to_ticket",
        description = "Turn a conversation into a ticket of the given type, for tracked follow-up.",
        annotations(
            title = "Convert conversation to ticket",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn convert_conversation_to_ticket(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<ConvertArgs>,
    ) -> Result<Json<TicketCreated>, ToolError> {
        let (type_id, ticket_type) = resolve_ticket_type(&ws, &args.ticket_type).await?;
        let request = ConvertToTicket {
            attributes: args.attributes.clone(),
            ..Default::default()
        };
        let ticket = ws
            .api()
            .client()
            .convert_conversation_to_ticket(&path_id(&args.id)?, &type_id, &request)
            .await?;
        let ticket_id = ticket.id.clone().unwrap_or_default();
        if ticket_id.trim().is_empty() {
            return Err(ToolError::applied(
                format!("conversation {} was converted to a ticket", args.id.trim()),
                "the answer names no ticket id; find it with search_tickets",
                None,
            ));
        }
        Ok(Json(TicketCreated {
            ticket_id,
            ticket_type: ticket_type.name.clone().unwrap_or_default(),
            state: ticket.ticket_state.as_ref().and_then(|s| {
                s.internal_label
                    .clone()
                    .or_else(|| s.category.as_ref().map(|c| c.as_str().to_string()))
            }),
            title: ticket
                .ticket_attributes
                .as_ref()
                .and_then(|a| a.get("_default_title_"))
                .and_then(Value::as_str)
                .map(str::to_string),
            conversation_id: args.id,
        }))
    }
}
