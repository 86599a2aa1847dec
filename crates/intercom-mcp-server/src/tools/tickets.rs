//! Tickets: search, read, create, update (state, assignee, attributes, open,
//! snooze), reply, ticket types and states, and the priority work queue that
//! mixes open tickets and conversations.

use std::cmp::Reverse;
use std::sync::Arc;

use futures::TryStreamExt;
use intercom_api::{
    Conversation, Id, Priority, Reply, SearchQuery, SearchRequest, Ticket, TicketAssignment,
    TicketContactInput, TicketCreate, TicketState, TicketType, TicketUpdate,
};
use rmcp::handler::server::tool::Extension;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::context::IntercomServer;
use crate::output::{Json, PageArgs, Paging, Render, ToolError};
use crate::render::{Detail, html_to_text};
use crate::tools::conversations::{contact_ids_by_email, snooze_until};
use crate::workspace_context::{Names, Workspace, path_id};
use intercom_core::dates::{human_duration, iso, resolve};

/// Most items `ticket_queue` reads of each kind before ordering them.
const QUEUE_SCAN_CAP: usize = 500;
/// Parts shown by `get_ticket` in a summary; `detail: full` shows all.
const SUMMARY_PARTS: usize = 20;

const STATE_CATEGORIES: [&str; 4] = [
    "submitted",
    "in_progress",
    "waiting_on_customer",
    "resolved",
];

// ---------------------------------------------------------------------------
// Views

#[derive(Debug, Serialize, JsonSchema)]
pub struct TicketPartView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// Who wrote or did it.
    pub author: String,
    /// `comment`, `note`, `ticket_state_updated_by_admin`, `assignment`, …
    pub part_type: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// New state category, for state changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TicketView {
    pub id: String,
    /// The number customers see (`ticket_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_number: Option<String>,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Ticket type name.
    pub ticket_type: String,
    /// `Customer`, `Back-office` or `Tracker`.
    pub category: String,
    /// State category: `submitted`, `in_progress`, `waiting_on_customer` or `resolved`.
    pub state: String,
    /// The state's label as teammates see it.
    pub state_label: String,
    pub open: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_assignee: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_assignee: Option<String>,
    /// Contact ids on the ticket.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snoozed_until: Option<String>,
    /// Attributes other than title and description.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub attributes: Map<String, Value>,
    /// Parts (replies, notes, state changes); empty in list results.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<TicketPartView>,
    /// How many earlier parts were left out; call again with `detail: full` to see them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parts_omitted: Option<usize>,
}

impl Render for TicketView {
    fn render(&self) -> String {
        let mut out = format!(
            "Ticket {}{} [{} / {}] {}\ntype {} ({}), {}",
            self.id,
            self.ticket_number
                .as_deref()
                .map(|n| format!(" (#{n})"))
                .unwrap_or_default(),
            self.state,
            self.state_label,
            self.title,
            self.ticket_type,
            self.category,
            if self.open { "open" } else { "closed" }
        );
        if let Some(a) = &self.admin_assignee {
            out.push_str(&format!(", assigned to {a}"));
        }
        if let Some(t) = &self.team_assignee {
            out.push_str(&format!(", team {t}"));
        }
        if let Some(c) = &self.created_at {
            out.push_str(&format!("\ncreated {c}"));
        }
        if let Some(u) = &self.updated_at {
            out.push_str(&format!(", updated {u}"));
        }
        if let Some(s) = &self.snoozed_until {
            out.push_str(&format!(", snoozed until {s}"));
        }
        if !self.contacts.is_empty() {
            out.push_str(&format!("\ncontacts: {}", self.contacts.join(", ")));
        }
        if let Some(d) = &self.description {
            out.push_str(&format!("\n{d}"));
        }
        for (k, v) in &self.attributes {
            out.push_str(&format!("\n{k}: {}", crate::output::inline(v)));
        }
        if let Some(n) = self.parts_omitted {
            out.push_str(&format!(
                "\n[{n} earlier part(s) left out; call get_ticket with detail: full]"
            ));
        }
        for p in &self.parts {
            out.push_str(&format!(
                "\n{} {} ({}){}{}",
                p.at.as_deref().unwrap_or("?"),
                p.author,
                p.part_type,
                p.state
                    .as_deref()
                    .map(|s| format!(" → {s}"))
                    .unwrap_or_default(),
                if p.text.is_empty() {
                    String::new()
                } else {
                    format!(": {}", p.text)
                }
            ));
        }
        out
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TicketList {
    pub tickets: Vec<TicketView>,
    #[serde(flatten)]
    pub paging: Paging,
}

impl Render for TicketList {
    fn render(&self) -> String {
        if self.tickets.is_empty() {
            return "No tickets match.".to_string();
        }
        let mut out = format!(
            "{} ticket(s){}:",
            self.tickets.len(),
            self.paging
                .total_count
                .map(|t| format!(" of {t}"))
                .unwrap_or_default()
        );
        for t in &self.tickets {
            out.push_str(&format!(
                "\n- {} [{}] {} ({}){}",
                t.id,
                t.state,
                t.title,
                t.ticket_type,
                t.admin_assignee
                    .as_deref()
                    .map(|a| format!(", {a}"))
                    .unwrap_or_default()
            ));
        }
        if let Some(next) = &self.paging.next_cursor {
            out.push_str(&format!("\nMore: pass cursor `{next}`."));
        }
        out
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TicketTypeView {
    pub id: String,
    pub name: String,
    /// `Customer`, `Back-office` or `Tracker`.
    pub category: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Attributes a ticket of this type carries (`*` = required to create).
    pub attributes: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TicketTypeList {
    pub ticket_types: Vec<TicketTypeView>,
}
impl Render for TicketTypeList {}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TicketStateView {
    pub id: String,
    /// `submitted`, `in_progress`, `waiting_on_customer` or `resolved`.
    pub category: String,
    /// Label teammates see.
    pub internal_label: String,
    /// Label customers see.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_label: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TicketStateList {
    pub ticket_states: Vec<TicketStateView>,
}
impl Render for TicketStateList {}

#[derive(Debug, Serialize, JsonSchema)]
pub struct QueueItem {
    /// `ticket` or `conversation`.
    pub kind: String,
    pub id: String,
    pub title: String,
    /// `urgent`, `high`, `medium`, `low` or `none`.
    pub priority: String,
    /// State (conversation state or ticket state category).
    pub state: String,
    /// When the customer started waiting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_since: Option<String>,
    /// How long they have waited, e.g. `3h 20m`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_for: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_assignee: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_assignee: Option<String>,
    /// SLA name and status (`active`, `hit`, `missed`), where an SLA applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla: Option<String>,
    #[serde(skip)]
    waiting_seconds: i64,
    #[serde(skip)]
    rank: u8,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TicketQueue {
    /// Whose queue: a team, an admin, or everyone.
    pub scope: String,
    pub items: Vec<QueueItem>,
    /// Open items found before `limit` was applied.
    pub total_open: usize,
    /// True when more than the scan cap were open, so the queue may miss some.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

impl Render for TicketQueue {
    fn render(&self) -> String {
        let mut out = format!(
            "Queue for {}: {} open item(s){}, showing {} by priority then longest waiting:",
            self.scope,
            self.total_open,
            if self.truncated { " (scan capped)" } else { "" },
            self.items.len()
        );
        for (i, q) in self.items.iter().enumerate() {
            out.push_str(&format!(
                "\n{}. [{}] {} {} — {} ({}){}{}",
                i + 1,
                q.priority,
                q.kind,
                q.id,
                q.title,
                q.state,
                q.waiting_for
                    .as_deref()
                    .map(|w| format!(", waiting {w}"))
                    .unwrap_or_default(),
                q.sla
                    .as_deref()
                    .map(|s| format!(", SLA {s}"))
                    .unwrap_or_default()
            ));
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Arguments

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct SearchTicketsArgs {
    /// Only these ticket ids.
    #[serde(default, deserialize_with = "crate::args::opt_string_list")]
    pub ids: Option<Vec<String>>,
    /// State category: `submitted`, `in_progress`, `waiting_on_customer` or `resolved`.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub state: Option<String>,
    /// Ticket type, by name or id.
    #[serde(default, deserialize_with = "crate::args::opt_text", rename = "type")]
    pub ticket_type: Option<String>,
    /// `Customer`, `Back-office` or `Tracker`.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub category: Option<String>,
    /// Open (true) or closed (false) tickets.
    #[serde(default, deserialize_with = "crate::args::opt_bool")]
    pub open: Option<bool>,
    /// Title contains these words.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub title: Option<String>,
    /// Created after: ISO date/time or words (`today`, `yesterday`, `this_week`, `last_week`, `7d`, `30d`).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub created_after: Option<String>,
    /// Created before (same forms as `created_after`).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub created_before: Option<String>,
    /// Updated after (same forms as `created_after`).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub updated_after: Option<String>,
    /// Assigned admin: id, email, name, `me` or `unassigned`.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub assignee: Option<String>,
    /// Assigned team, by id or name.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub team: Option<String>,
    /// Tickets of the contact with this email.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub contact_email: Option<String>,
    /// A raw Intercom ticket search query, ANDed with the rest.
    #[serde(default, deserialize_with = "crate::args::opt_json")]
    pub query: Option<Value>,
    #[serde(flatten)]
    pub page: PageArgs,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetTicketArgs {
    /// Ticket id (raw, `ticket_…` or an Intercom URL).
    #[serde(deserialize_with = "crate::args::ticket_id")]
    pub id: String,
    /// `summary` (default: the last 20 parts) or `full`.
    #[serde(default, deserialize_with = "crate::render::opt_detail")]
    pub detail: Option<Detail>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateTicketArgs {
    /// Ticket type, by name (e.g. `Bug report`) or id; see list_ticket_types.
    #[serde(rename = "type", deserialize_with = "crate::args::text")]
    pub ticket_type: String,
    /// The customer: contact id (raw or `contact_…`) or email.
    #[serde(deserialize_with = "crate::args::text")]
    pub contact: String,
    /// Title of the ticket.
    #[serde(deserialize_with = "crate::args::text")]
    pub title: String,
    /// Description of the ticket.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub description: Option<String>,
    /// Other ticket attributes by name, e.g. `{"Severity": "High"}`.
    #[serde(default, deserialize_with = "crate::args::opt_object")]
    pub attributes: Option<Map<String, Value>>,
    /// Assign to an admin: id, email, name or `me`.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub assignee: Option<String>,
    /// Assign to a team, by id or name.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub team: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateTicketArgs {
    /// Ticket id (raw, `ticket_…` or an Intercom URL).
    #[serde(deserialize_with = "crate::args::ticket_id")]
    pub id: String,
    /// New state: a state id, its label (e.g. `Waiting on customer`) or a category (`submitted`,
    /// `in_progress`, `waiting_on_customer`, `resolved`).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub state: Option<String>,
    /// Assign to an admin: id, email, name, `me`, or `unassigned`.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub assignee: Option<String>,
    /// Attributes to change by name, e.g. `{"_default_title_": "New title"}` or `{"Severity": "Low"}`.
    #[serde(default, deserialize_with = "crate::args::opt_object")]
    pub attributes: Option<Map<String, Value>>,
    /// Open (true) or close (false) the ticket.
    #[serde(default, deserialize_with = "crate::args::opt_bool")]
    pub open: Option<bool>,
    /// Snooze until: ISO date/time or words (`tomorrow`, `4h`, `2d`).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub snoozed_until: Option<String>,
    /// Acting admin: id, email, name or `me` (default: the token's admin).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub admin: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReplyToTicketArgs {
    /// Ticket id (raw, `ticket_…` or an Intercom URL).
    #[serde(deserialize_with = "crate::args::ticket_id")]
    pub id: String,
    /// Text of the reply or note (HTML allowed).
    #[serde(deserialize_with = "crate::args::text")]
    pub body: String,
    /// `comment` (visible to the customer; Customer tickets only) or `note` (internal, default).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub message_type: Option<String>,
    /// Author: admin id, email, name or `me` (default: the token's admin).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub admin: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct NoArgs {}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct TicketQueueArgs {
    /// Only this team's work, by id or name.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub team: Option<String>,
    /// Only this admin's work: id, email, name or `me`.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub assignee: Option<String>,
    /// Include open conversations as well as tickets (default true).
    #[serde(default, deserialize_with = "crate::args::opt_bool")]
    pub include_conversations: Option<bool>,
    /// How many items to return (default 25, at most 150).
    #[serde(default, deserialize_with = "crate::args::opt_u32")]
    pub limit: Option<u32>,
}

// ---------------------------------------------------------------------------
// Helpers

fn nonempty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn ticket_view(t: &Ticket, names: &Names, ws: &Workspace, detail: Option<Detail>) -> TicketView {
    let tz = ws.time_zone();
    let mut attributes = t.ticket_attributes.clone().unwrap_or_default();
    let title = attributes
        .remove("_default_title_")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let description = attributes
        .remove("_default_description_")
        .and_then(|v| v.as_str().map(html_to_text))
        .filter(|d| !d.is_empty());
    attributes.retain(|_, v| !v.is_null());
    let state = t.ticket_state.clone().unwrap_or_default();
    let all_parts: Vec<TicketPartView> = match detail {
        None => Vec::new(),
        Some(_) => t
            .ticket_parts
            .iter()
            .flat_map(|p| p.ticket_parts.iter())
            .map(|p| TicketPartView {
                at: p.created_at.map(|at| iso(at, tz)),
                author: p
                    .author
                    .as_ref()
                    .and_then(|a| a.name.clone().or(a.email.clone()))
                    .unwrap_or_else(|| "system".into()),
                part_type: p.part_type.clone().unwrap_or_default(),
                text: html_to_text(p.body.as_deref().unwrap_or_default()),
                state: p.ticket_state.as_ref().map(|s| s.to_string()),
            })
            .collect(),
    };
    let (parts, parts_omitted) =
        if detail == Some(Detail::Summary) && all_parts.len() > SUMMARY_PARTS {
            let omitted = all_parts.len() - SUMMARY_PARTS;
            (all_parts.into_iter().skip(omitted).collect(), Some(omitted))
        } else {
            (all_parts, None)
        };
    TicketView {
        id: t.id.clone().unwrap_or_default(),
        ticket_number: t.ticket_id.clone(),
        title,
        description,
        ticket_type: t
            .ticket_type
            .as_ref()
            .and_then(|ty| ty.name.clone())
            .unwrap_or_default(),
        category: t
            .category
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default(),
        state: state.category.map(|c| c.to_string()).unwrap_or_default(),
        state_label: state.internal_label.unwrap_or_default(),
        open: t.open.unwrap_or(false),
        admin_assignee: t
            .admin_assignee()
            .map(|id| names.describe_admin(&id.to_string())),
        team_assignee: t
            .team_assignee()
            .map(|id| names.describe_team(&id.to_string())),
        contacts: t
            .contacts
            .iter()
            .flat_map(|c| c.contacts.iter())
            .filter_map(|c| c.id.clone())
            .collect(),
        created_at: t.created_at.map(|at| iso(at, tz)),
        updated_at: t.updated_at.map(|at| iso(at, tz)),
        snoozed_until: t.snoozed_until.filter(|s| *s > 0).map(|at| iso(at, tz)),
        attributes,
        parts,
        parts_omitted,
    }
}

async fn resolve_ticket_type(ws: &Workspace, needle: &str) -> Result<TicketType, ToolError> {
    let types = ws.api().client().list_ticket_types().await?;
    let lower = needle.trim().to_lowercase();
    types
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
            ToolError::not_found(format!(
                "no ticket type `{needle}`; the workspace has: {}",
                known.join(", ")
            ))
        })
}

/// A state given as id, label or category; a category picks its first state
/// that applies to the ticket's type.
fn resolve_state(
    states: &[TicketState],
    needle: &str,
    ticket_type_id: Option<&str>,
) -> Result<TicketState, ToolError> {
    let needle = needle.trim();
    let lower = needle.to_lowercase().replace([' ', '-'], "_");
    let applies = |s: &TicketState| {
        let Some(type_id) = ticket_type_id else {
            return true;
        };
        match s.ticket_types.as_ref().and_then(|t| t.get("data")) {
            Some(Value::Array(types)) => types
                .iter()
                .any(|t| crate::workspace_context::id_string(t.get("id")) == type_id),
            _ => true,
        }
    };
    let candidates: Vec<&TicketState> = states.iter().filter(|s| applies(s)).collect();
    let found = candidates
        .iter()
        .find(|s| s.id.as_deref() == Some(needle))
        .or_else(|| {
            candidates.iter().find(|s| {
                [&s.internal_label, &s.external_label].into_iter().any(|l| {
                    l.as_deref()
                        .is_some_and(|l| l.to_lowercase().replace([' ', '-'], "_") == lower)
                })
            })
        })
        .or_else(|| {
            candidates
                .iter()
                .find(|s| s.category.as_ref().map(|c| c.as_str()) == Some(lower.as_str()))
        });
    found.map(|s| (*s).clone()).ok_or_else(|| {
        let known: Vec<String> = candidates
            .iter()
            .map(|s| {
                format!(
                    "{} ({})",
                    s.internal_label.as_deref().unwrap_or("?"),
                    s.category.as_ref().map(|c| c.as_str()).unwrap_or("?")
                )
            })
            .collect();
        ToolError::invalid(format!(
            "no ticket state `{needle}` for this ticket; use one of: {} (or a category: {})",
            known.join(", "),
            STATE_CATEGORIES.join(", ")
        ))
    })
}

fn period_start(words: &str, ws: &Workspace, arg: &str) -> Result<i64, ToolError> {
    resolve(words, ws.time_zone())
        .map(|p| p.start)
        .map_err(|e| ToolError::invalid(format!("{arg}: {e}")))
}

impl SearchTicketsArgs {
    async fn query(&self, ws: &Workspace) -> Result<SearchQuery, ToolError> {
        let mut f = Vec::new();
        if let Some(ids) = self.ids.as_ref().filter(|ids| !ids.is_empty()) {
            let ids = crate::args::normalize_ids(crate::args::IdKind::Ticket, ids)
                .map_err(ToolError::invalid)?;
            f.push(SearchQuery::field("id").is_in(ids));
        }
        if let Some(state) = nonempty(self.state.as_deref()) {
            let state = state.to_lowercase().replace([' ', '-'], "_");
            if !STATE_CATEGORIES.contains(&state.as_str()) {
                return Err(ToolError::invalid(format!(
                    "state `{state}` is unknown; use one of {}",
                    STATE_CATEGORIES.join(", ")
                )));
            }
            f.push(SearchQuery::field("state").eq(state));
        }
        if let Some(ty) = nonempty(self.ticket_type.as_deref()) {
            let ty = resolve_ticket_type(ws, &ty).await?;
            f.push(SearchQuery::field("ticket_type_id").eq(ty.id.unwrap_or_default()));
        }
        if let Some(category) = nonempty(self.category.as_deref()) {
            f.push(SearchQuery::field("category").eq(category));
        }
        if let Some(open) = self.open {
            f.push(SearchQuery::field("open").eq(open));
        }
        if let Some(title) = nonempty(self.title.as_deref()) {
            f.push(SearchQuery::field("title").contains(title));
        }
        if let Some(w) = nonempty(self.created_after.as_deref()) {
            f.push(SearchQuery::field("created_at").gt(period_start(&w, ws, "created_after")? - 1));
        }
        if let Some(w) = nonempty(self.created_before.as_deref()) {
            f.push(SearchQuery::field("created_at").lt(period_start(&w, ws, "created_before")?));
        }
        if let Some(w) = nonempty(self.updated_after.as_deref()) {
            f.push(SearchQuery::field("updated_at").gt(period_start(&w, ws, "updated_after")? - 1));
        }
        if let Some(a) = nonempty(self.assignee.as_deref()) {
            if matches!(a.to_lowercase().as_str(), "unassigned" | "none" | "nobody") {
                f.push(SearchQuery::field("admin_assignee_id").eq(0));
            } else {
                let (id, _) = ws.resolve_admin(&a).await?;
                f.push(SearchQuery::field("admin_assignee_id").eq(id));
            }
        }
        if let Some(team) = nonempty(self.team.as_deref()) {
            let (id, _) = ws.resolve_team(&team).await?;
            f.push(SearchQuery::field("team_assignee_id").eq(id));
        }
        if let Some(email) = nonempty(self.contact_email.as_deref()) {
            let ids = contact_ids_by_email(ws, &email).await?;
            if ids.is_empty() {
                return Err(ToolError::not_found(format!(
                    "no contact has the email `{email}`, so there are no tickets for them"
                )));
            }
            f.push(SearchQuery::field("contact_ids").is_in(ids));
        }
        if let Some(raw) = &self.query {
            f.push(SearchQuery::from_json(raw)?);
        }
        let query = match f.len() {
            0 => SearchQuery::field("created_at").gt(0),
            1 => f.remove(0),
            _ => SearchQuery::and(f),
        };
        query.validate()?;
        Ok(query)
    }
}

fn priority_rank(p: Option<&Priority>) -> u8 {
    match p {
        Some(Priority::Urgent) => 4,
        Some(Priority::High) => 3,
        Some(Priority::Medium) => 2,
        Some(Priority::Low) => 1,
        _ => 0,
    }
}

fn rank_name(rank: u8) -> &'static str {
    ["none", "low", "medium", "high", "urgent"][rank as usize]
}

/// Tickets carry no priority field in 2.16; a `priority` attribute counts when present.
fn ticket_rank(t: &Ticket) -> u8 {
    t.ticket_attributes
        .as_ref()
        .and_then(|a| {
            a.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("priority"))
                .and_then(|(_, v)| v.as_str())
        })
        .map(|p| priority_rank(Some(&Priority::parse(&p.to_lowercase()))))
        .unwrap_or(0)
}

fn sla_text(c: &Conversation) -> Option<String> {
    let sla = c.sla_applied.as_ref()?;
    let name = sla.get("sla_name").and_then(Value::as_str).unwrap_or("SLA");
    let status = sla.get("sla_status").and_then(Value::as_str)?;
    Some(format!("{name}: {status}"))
}

// ---------------------------------------------------------------------------
// Tools

#[tool_router(router = ticket_tools, vis = "pub")]
impl IntercomServer {
    #[tool(
        name = "search_tickets",
        description = "Find tickets by state category (submitted, in_progress, waiting_on_customer, resolved), type, \
                       category, open, title words, dates in people's words (`today`, `last_week`, `7d`), assignee \
                       (`me`, `unassigned`, name), team, customer email, or a raw Intercom `query`. One line per ticket \
                       with paging; get_ticket reads one.",
        annotations(
            title = "Search tickets",
            read_only_hint = true,
            open_world_hint = true
        )
    )]
    async fn search_tickets(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<SearchTicketsArgs>,
    ) -> Result<Json<TicketList>, ToolError> {
        let query = args.query(&ws).await?;
        let mut request = SearchRequest::new(query).per_page(args.page.limit());
        if let Some(cursor) = args.page.cursor() {
            request = request.starting_after(cursor);
        }
        let (page, names) = tokio::try_join!(
            async { Ok::<_, ToolError>(ws.api().client().search_tickets(&request).await?) },
            ws.names()
        )?;
        Ok(Json(TicketList {
            tickets: page
                .items
                .iter()
                .map(|t| ticket_view(t, &names, &ws, None))
                .collect(),
            paging: Paging {
                total_count: page.total_count,
                next_cursor: page.next_cursor,
            },
        }))
    }

    #[tool(
        name = "get_ticket",
        description = "Read one ticket: title, description, type, state and its label, assignee, contacts, \
                       attributes and its parts (replies, notes, state changes; the last 20 unless `detail: full`).",
        annotations(title = "Get ticket", read_only_hint = true, open_world_hint = true)
    )]
    async fn get_ticket(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<GetTicketArgs>,
    ) -> Result<Json<TicketView>, ToolError> {
        let (ticket, names) = tokio::try_join!(
            async { Ok::<_, ToolError>(ws.api().client().get_ticket(&path_id(&args.id)?).await?) },
            ws.names()
        )?;
        Ok(Json(ticket_view(
            &ticket,
            &names,
            &ws,
            Some(args.detail.unwrap_or_default()),
        )))
    }

    #[tool(
        name = "create_ticket",
        description = "Create a ticket of a given type (name or id) for a customer (contact id or email), with title, \
                       description, other attributes, and optionally assign it to an admin and/or team in the same \
                       call. Returns the new ticket.",
        annotations(
            title = "Create ticket",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn create_ticket(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<CreateTicketArgs>,
    ) -> Result<Json<TicketView>, ToolError> {
        if args.title.trim().is_empty() {
            return Err(ToolError::invalid("a ticket needs a `title`"));
        }
        // Resolve everything before the one write, so a bad name creates nothing.
        let ticket_type = resolve_ticket_type(&ws, &args.ticket_type).await?;
        let contact = if args.contact.contains('@') {
            TicketContactInput {
                email: Some(args.contact.trim().to_string()),
                ..Default::default()
            }
        } else {
            let id = crate::args::normalize_id(crate::args::IdKind::Contact, &args.contact)
                .map_err(ToolError::invalid)?;
            TicketContactInput {
                id: Some(path_id(&id)?),
                ..Default::default()
            }
        };
        let admin = match nonempty(args.assignee.as_deref()) {
            Some(a) => Some(ws.resolve_admin(&a).await?.0),
            None => None,
        };
        let team = match nonempty(args.team.as_deref()) {
            Some(t) => Some(ws.resolve_team(&t).await?.0),
            None => None,
        };
        let mut attributes = args.attributes.unwrap_or_default();
        attributes.insert("_default_title_".into(), json!(args.title.trim()));
        if let Some(d) = nonempty(args.description.as_deref()) {
            attributes.insert("_default_description_".into(), json!(d));
        }
        let ticket_type_id = Id::required(
            ticket_type.id.as_deref(),
            format!(
                "the ticket type `{}` (Intercom's list gave it none; call list_ticket_types)",
                args.ticket_type.trim()
            ),
        )?;
        let create = TicketCreate {
            contacts: vec![contact],
            ticket_attributes: Some(attributes),
            assignment: (admin.is_some() || team.is_some()).then(|| TicketAssignment {
                admin_assignee_id: admin,
                team_assignee_id: team,
                ..Default::default()
            }),
            ..Default::default()
        };
        let client = ws.api().client();
        let created = client.create_ticket(&ticket_type_id, &create).await?;
        let created_id = created.id.clone();
        let names = ws.names().await.map_err(|e| {
            e.after_write(
                format!(
                    "ticket {} was created",
                    created_id.as_deref().unwrap_or("(id not given)")
                ),
                created_id.as_deref(),
            )
        })?;
        Ok(Json(ticket_view(
            &created,
            &names,
            &ws,
            Some(Detail::Summary),
        )))
    }

    #[tool(
        name = "update_ticket",
        description = "Change a ticket: move it to a state (by id, label, or category such as `resolved`), assign it \
                       (`me`, a name, or `unassigned`), change attributes, open or close it, or snooze it. Only what \
                       is given changes. Returns the ticket as it is now.",
        annotations(
            title = "Update ticket",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn update_ticket(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<UpdateTicketArgs>,
    ) -> Result<Json<TicketView>, ToolError> {
        let client = ws.api().client();
        let id = path_id(&args.id)?;
        let mut update = TicketUpdate {
            ticket_attributes: args.attributes.clone(),
            open: args.open,
            ..Default::default()
        };
        if let Some(state) = nonempty(args.state.as_deref()) {
            let (ticket, states) =
                tokio::try_join!(client.get_ticket(&id), client.list_ticket_states())?;
            let type_id = ticket.ticket_type.as_ref().and_then(|t| t.id.clone());
            let chosen = resolve_state(&states, &state, type_id.as_deref())?;
            update.ticket_state_id = Some(Id::required(
                chosen.id.as_deref(),
                format!("the ticket state `{state}` (Intercom's list gave it none)"),
            )?);
        }
        if let Some(assignee) = nonempty(args.assignee.as_deref()) {
            let (admin_id, _) = ws.acting_admin(args.admin.as_deref()).await?;
            update.admin_id = admin_id.parse().ok();
            update.assignee_id = if matches!(
                assignee.to_lowercase().as_str(),
                "unassigned" | "none" | "nobody"
            ) {
                Some(Id::from_number(0))
            } else {
                Some(ws.resolve_admin(&assignee).await?.0)
            };
        }
        if let Some(words) = nonempty(args.snoozed_until.as_deref()) {
            update.snoozed_until = Some(snooze_until(&words, ws.time_zone())?);
        }
        if update == TicketUpdate::default() {
            return Err(ToolError::invalid(
                "nothing to change; give `state`, `assignee`, `attributes`, `open` or `snoozed_until`",
            ));
        }
        let updated = client.update_ticket(&id, &update).await?;
        let names = ws
            .names()
            .await
            .map_err(|e| e.after_write(format!("ticket {id} was updated"), Some(&id)))?;
        Ok(Json(ticket_view(
            &updated,
            &names,
            &ws,
            Some(Detail::Summary),
        )))
    }

    #[tool(
        name = "reply_to_ticket",
        description = "Add to a ticket: an internal `note` (default) or a `comment` the customer sees (Customer \
                       tickets only), written as the given admin or the token's admin. Returns the ticket with \
                       its latest parts.",
        annotations(
            title = "Reply to ticket",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn reply_to_ticket(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<ReplyToTicketArgs>,
    ) -> Result<Json<TicketView>, ToolError> {
        if args.body.trim().is_empty() {
            return Err(ToolError::invalid("the reply's `body` is empty"));
        }
        let (admin_id, _) = ws.acting_admin(args.admin.as_deref()).await?;
        let reply = match args.message_type.as_deref().map(str::trim) {
            None | Some("") | Some("note") => Reply::admin_note(admin_id, args.body),
            Some("comment") => Reply::admin_comment(admin_id, args.body),
            Some(other) => {
                return Err(ToolError::invalid(format!(
                    "message_type `{other}` is unknown; use `note` or `comment`"
                )));
            }
        };
        let client = ws.api().client();
        let id = path_id(&args.id)?;
        client.reply_to_ticket(&id, &reply).await?;
        let (ticket, names) = tokio::try_join!(
            async { Ok::<_, ToolError>(client.get_ticket(&id).await?) },
            ws.names()
        )?;
        Ok(Json(ticket_view(
            &ticket,
            &names,
            &ws,
            Some(Detail::Summary),
        )))
    }

    #[tool(
        name = "list_ticket_types",
        description = "List the workspace's ticket types (id, name, Customer/Back-office/Tracker category) with their \
                       attributes; `*` marks attributes required to create a ticket.",
        annotations(
            title = "List ticket types",
            read_only_hint = true,
            open_world_hint = true
        )
    )]
    async fn list_ticket_types(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(_args): Parameters<NoArgs>,
    ) -> Result<Json<TicketTypeList>, ToolError> {
        let types = ws.api().client().list_ticket_types().await?;
        Ok(Json(TicketTypeList {
            ticket_types: types
                .into_iter()
                .filter(|t| t.archived != Some(true))
                .map(|t| TicketTypeView {
                    id: t.id.unwrap_or_default(),
                    name: t.name.unwrap_or_default(),
                    category: t.category.map(|c| c.to_string()).unwrap_or_default(),
                    description: t.description.filter(|d| !d.is_empty()),
                    attributes: t
                        .ticket_type_attributes
                        .iter()
                        .flat_map(|a| a.ticket_type_attributes.iter())
                        .filter(|a| a.archived != Some(true))
                        .map(|a| {
                            format!(
                                "{}{} ({})",
                                a.name.as_deref().unwrap_or("?"),
                                if a.required_to_create == Some(true) {
                                    "*"
                                } else {
                                    ""
                                },
                                a.data_type.as_deref().unwrap_or("?")
                            )
                        })
                        .collect(),
                })
                .collect(),
        }))
    }

    #[tool(
        name = "list_ticket_states",
        description = "List the workspace's ticket states: id, category (submitted, in_progress, waiting_on_customer, \
                       resolved) and the labels teammates and customers see. update_ticket accepts any of these.",
        annotations(
            title = "List ticket states",
            read_only_hint = true,
            open_world_hint = true
        )
    )]
    async fn list_ticket_states(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(_args): Parameters<NoArgs>,
    ) -> Result<Json<TicketStateList>, ToolError> {
        let states = ws.api().client().list_ticket_states().await?;
        Ok(Json(TicketStateList {
            ticket_states: states
                .into_iter()
                .filter(|s| s.archived != Some(true))
                .map(|s| TicketStateView {
                    id: s.id.unwrap_or_default(),
                    category: s.category.map(|c| c.to_string()).unwrap_or_default(),
                    internal_label: s.internal_label.unwrap_or_default(),
                    external_label: s.external_label,
                })
                .collect(),
        }))
    }

    #[tool(
        name = "ticket_queue",
        description = "The work queue: open tickets and open conversations for a team, an admin, or everyone, ordered \
                       by priority (urgent first), then by who has waited longest, with waiting time and SLA status. \
                       Use it for \"what should I work on next?\".",
        annotations(title = "Work queue", read_only_hint = true, open_world_hint = true)
    )]
    async fn ticket_queue(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<TicketQueueArgs>,
    ) -> Result<Json<TicketQueue>, ToolError> {
        let mut scope_filters = Vec::new();
        let mut scope = Vec::new();
        if let Some(team) = nonempty(args.team.as_deref()) {
            let (id, name) = ws.resolve_team(&team).await?;
            scope_filters.push(SearchQuery::field("team_assignee_id").eq(id));
            scope.push(format!("team {name}"));
        }
        if let Some(a) = nonempty(args.assignee.as_deref()) {
            let (id, name) = ws.resolve_admin(&a).await?;
            scope_filters.push(SearchQuery::field("admin_assignee_id").eq(id));
            scope.push(name);
        }
        let with_scope = |base: SearchQuery| {
            let mut all = vec![base];
            all.extend(scope_filters.iter().cloned());
            if all.len() == 1 {
                all.remove(0)
            } else {
                SearchQuery::and(all)
            }
        };
        let client = ws.api().client().clone();
        let ticket_query = with_scope(SearchQuery::field("open").eq(true));
        let conversation_query = with_scope(SearchQuery::field("state").eq("open"));
        let include_conversations = args.include_conversations.unwrap_or(true);
        let tickets_fut = client
            .search_tickets_stream(ticket_query, Some(150), QUEUE_SCAN_CAP + 1)
            .try_collect::<Vec<Ticket>>();
        let conversations_fut = async {
            if include_conversations {
                client
                    .search_conversations_stream(conversation_query, Some(150), QUEUE_SCAN_CAP + 1)
                    .try_collect::<Vec<Conversation>>()
                    .await
            } else {
                Ok(Vec::new())
            }
        };
        let (tickets, conversations, names) = tokio::try_join!(
            async { Ok::<_, ToolError>(tickets_fut.await?) },
            async { Ok::<_, ToolError>(conversations_fut.await?) },
            ws.names()
        )?;
        let truncated = tickets.len() > QUEUE_SCAN_CAP || conversations.len() > QUEUE_SCAN_CAP;
        let now = chrono::Utc::now().timestamp();
        let tz = ws.time_zone();
        let waited = |since: Option<i64>| since.filter(|s| *s > 0).map(|s| (s, (now - s).max(0)));
        let mut items: Vec<QueueItem> = Vec::new();
        for t in tickets.iter().take(QUEUE_SCAN_CAP) {
            let since = waited(t.updated_at.or(t.created_at));
            let rank = ticket_rank(t);
            items.push(QueueItem {
                kind: "ticket".into(),
                id: t.id.clone().unwrap_or_default(),
                title: t.title().unwrap_or_default().to_string(),
                priority: rank_name(rank).into(),
                state: t
                    .ticket_state
                    .as_ref()
                    .and_then(|s| s.category.as_ref())
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
                waiting_since: since.map(|(s, _)| iso(s, tz)),
                waiting_for: since.map(|(_, d)| human_duration(d)),
                admin_assignee: t
                    .admin_assignee()
                    .map(|id| names.describe_admin(&id.to_string())),
                team_assignee: t
                    .team_assignee()
                    .map(|id| names.describe_team(&id.to_string())),
                sla: None,
                waiting_seconds: since.map_or(0, |(_, d)| d),
                rank,
            });
        }
        for c in conversations.iter().take(QUEUE_SCAN_CAP) {
            let since = waited(c.waiting_since.or(c.updated_at));
            let rank = priority_rank(c.priority.as_ref());
            let title = c
                .title
                .clone()
                .filter(|t| !t.is_empty())
                .or_else(|| {
                    c.source
                        .as_ref()
                        .and_then(|s| s.body.as_deref())
                        .map(html_to_text)
                        .map(|b| b.chars().take(80).collect())
                })
                .unwrap_or_default();
            items.push(QueueItem {
                kind: "conversation".into(),
                id: c.id.clone().unwrap_or_default(),
                title,
                priority: rank_name(rank).into(),
                state: c.state.as_ref().map(|s| s.to_string()).unwrap_or_default(),
                waiting_since: since.map(|(s, _)| iso(s, tz)),
                waiting_for: since.map(|(_, d)| human_duration(d)),
                admin_assignee: c
                    .admin_assignee()
                    .map(|id| names.describe_admin(&id.to_string())),
                team_assignee: c
                    .team_assignee()
                    .map(|id| names.describe_team(&id.to_string())),
                sla: sla_text(c),
                waiting_seconds: since.map_or(0, |(_, d)| d),
                rank,
            });
        }
        items.sort_by_key(|q| (Reverse(q.rank), Reverse(q.waiting_seconds)));
        let total_open = items.len();
        let limit = args.limit.unwrap_or(25).clamp(1, 150) as usize;
        items.truncate(limit);
        Ok(Json(TicketQueue {
            scope: if scope.is_empty() {
                "everyone".into()
            } else {
                scope.join(", ")
            },
            items,
            total_open,
            truncated,
        }))
    }
}
