//! Tickets: search, read, create, update (state, assignee, attributes, open,
//! snooze), reply, ticket types and states, and the priority work queue that
//! mixes open tickets and conversations.

use std::cmp::Reverse;
use std::sync::Arc;

use intercom_api::{
    Conversation, Id, Priority, Reply, SearchQuery, SearchRequest, Ticket, TicketAssignment,
    TicketContactInput, TicketCreate, TicketState, TicketUpdate,
};
use rmcp::handler::server::tool::Extension;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::context::IntercomServer;
use crate::output::{Json, PageArgs, Paging, Render, Skipped, ToolError};
use crate::query::{Scan, Searched, all_of, filter, scan_search};
use crate::render::{Detail, html_to_text};
use crate::tools::conversations::{contact_ids_by_email, snooze_until};
use crate::tools::resolve_ticket_type;
use crate::workspace_context::{Names, Workspace, path_id};
use intercom_core::dates::{human_duration, iso};

/// Most items `ticket_queue` reads of each kind before ordering them.
const QUEUE_SCAN_CAP: usize = 3_000;
/// Items of the other sections shown with the default section.
const QUEUE_PREVIEW: usize = 5;
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
    /// submitted, in_progress, waiting_on_customer or resolved.
    pub state: String,
    /// The state's label as teammates see it.
    pub state_label: String,
    pub open: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_assignee: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_assignee: Option<String>,
    /// The ticket's severity (or priority) attribute as written, e.g. `SEV1` or `Critical`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// The customer: name or email of the first contact, else its id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
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
        if let Some(sev) = &self.severity {
            out.push_str(&format!("\nseverity: {sev}"));
        }
        if let Some(c) = &self.customer {
            out.push_str(&format!("\ncustomer: {c}"));
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
    #[serde(flatten)]
    pub skipped: Skipped,
}

impl Render for TicketList {
    fn render(&self) -> String {
        if self.tickets.is_empty() {
            return format!("No tickets match.{}", self.skipped.note());
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
                "\n- {} [{}] {} ({}){}{}{}",
                t.id,
                t.state,
                t.title,
                t.ticket_type,
                t.severity
                    .as_deref()
                    .map(|s| format!(", severity {s}"))
                    .unwrap_or_default(),
                t.customer
                    .as_deref()
                    .map(|c| format!(", customer {c}"))
                    .unwrap_or_default(),
                t.admin_assignee
                    .as_deref()
                    .map(|a| format!(", assigned to {a}"))
                    .unwrap_or_default()
            ));
        }
        if let Some(next) = &self.paging.next_cursor {
            out.push_str(&format!("\nMore: pass cursor `{next}`."));
        }
        out.push_str(&self.skipped.note());
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

/// A list under `key`, then the note on items left out.
fn render_listed(key: &str, items: &impl Serialize, skipped: &Skipped) -> String {
    let listed = serde_json::to_value(items)
        .map(|v| crate::output::render_value(&json!({ key: v })))
        .unwrap_or_default();
    format!("{listed}{}", skipped.note())
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TicketTypeList {
    pub ticket_types: Vec<TicketTypeView>,
    #[serde(flatten)]
    pub skipped: Skipped,
}
impl Render for TicketTypeList {
    fn render(&self) -> String {
        render_listed("ticket_types", &self.ticket_types, &self.skipped)
    }
}

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
    #[serde(flatten)]
    pub skipped: Skipped,
}
impl Render for TicketStateList {
    fn render(&self) -> String {
        render_listed("ticket_states", &self.ticket_states, &self.skipped)
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct QueueItem {
    /// `ticket` or `conversation`.
    pub kind: String,
    pub id: String,
    pub title: String,
    /// Rank: `urgent`, `high`, `medium`, `low`, `none` (a ticket's severity mapped, SEV1 = urgent).
    pub priority: String,
    /// The ticket's severity as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// Conversation state, or ticket state category.
    pub state: String,
    /// The customer: name or email, else the contact id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// Since when the customer waits for our reply; absent when nobody waits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_waiting_since: Option<String>,
    /// How long, e.g. `3h 20m`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_waiting_for: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Since created, e.g. `12d 3h`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age: Option<String>,
    /// Last change, for items waiting on the customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snoozed_until: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_assignee: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_assignee: Option<String>,
    /// SLA name and status (conversations only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla: Option<String>,
    /// `active`, `hit`, `missed` or `cancelled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla_status: Option<String>,
    #[serde(skip)]
    rank: u8,
    #[serde(skip)]
    waiting_ts: Option<i64>,
    #[serde(skip)]
    created_ts: i64,
    #[serde(skip)]
    updated_ts: i64,
    #[serde(skip)]
    snoozed_ts: i64,
    #[serde(skip)]
    contact_id: Option<String>,
}

impl QueueItem {
    fn line(&self) -> String {
        let mut facts = vec![self.state.clone()];
        if let Some(s) = &self.severity {
            facts.push(format!("severity {s}"));
        }
        match (&self.customer_waiting_for, self.section_hint()) {
            (Some(w), _) => facts.push(format!("customer waiting {w}")),
            (None, Some(hint)) => facts.push(hint.into()),
            (None, None) => {}
        }
        if let Some(s) = &self.sla {
            facts.push(format!("SLA {s}"));
        }
        if let Some(s) = &self.snoozed_until {
            facts.push(format!("snoozed until {s}"));
        }
        if let Some(a) = &self.age {
            facts.push(format!("open {a}"));
        }
        let owner = match (&self.admin_assignee, &self.team_assignee) {
            (Some(a), Some(t)) => format!("{a} ({t})"),
            (Some(a), None) => a.clone(),
            (None, Some(t)) => format!("team {t}, no teammate"),
            (None, None) => "unassigned".into(),
        };
        format!(
            "[{}] {} {} — {}{} ({}); owner: {owner}",
            self.priority,
            self.kind,
            self.id,
            self.title,
            self.customer
                .as_deref()
                .map(|c| format!(" — customer {c}"))
                .unwrap_or_default(),
            facts.join(", "),
        )
    }

    /// Why no waiting time is shown.
    fn section_hint(&self) -> Option<&'static str> {
        match (self.kind.as_str(), self.state.as_str()) {
            ("conversation", "open") => Some("nobody waiting on us (a teammate replied last)"),
            ("ticket", "waiting_on_customer") => Some("waiting on the customer"),
            _ => None,
        }
    }
}

/// How many open items each section of the queue holds.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct QueueSections {
    /// Customers waiting for a reply; tickets submitted or in progress.
    pub needs_reply: usize,
    /// Waiting on the customer.
    pub waiting_on_customer: usize,
    /// Snoozed conversations and tickets.
    pub snoozed: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TicketQueue {
    /// Whose queue: a team, an admin, or everyone.
    pub scope: String,
    /// `needs_reply`, `waiting_on_customer` or `snoozed`.
    pub section: String,
    /// The SLA status the queue was filtered on, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla_filter: Option<String>,
    /// This page of the section, in queue order.
    pub items: Vec<QueueItem>,
    /// Index of the first item in the section.
    pub offset: usize,
    /// Items in this section, all pages.
    pub section_total: usize,
    /// Items in each section (after the SLA filter, when given).
    pub sections: QueueSections,
    /// Open tickets and conversations read, before the SLA filter.
    pub total_open: usize,
    /// Items matching the SLA filter, across all sections.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla_matches: Option<usize>,
    /// First items waiting on the customer (default section).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waiting_on_customer: Vec<QueueItem>,
    /// First snoozed items (default section).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub snoozed: Vec<QueueItem>,
    /// `cursor` for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// More were open than one call reads (3,000 of each): figures cover those read.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// `null` entries left out.
    #[serde(skip_serializing_if = "is_zero")]
    pub null_items_skipped: usize,
    /// Unreadable items left out.
    #[serde(skip_serializing_if = "is_zero")]
    pub unreadable_items_skipped: usize,
    /// Items seen twice while paging, counted once.
    #[serde(skip_serializing_if = "is_zero")]
    pub duplicates_skipped: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Render for TicketQueue {
    fn render(&self) -> String {
        let s = &self.sections;
        let mut out = format!(
            "Queue for {}{}: {} open item(s) read — {} need a reply/work from us, {} waiting on the customer, {} snoozed{}.",
            self.scope,
            self.sla_filter
                .as_deref()
                .map(|f| format!(" (SLA {f} only; tickets carry no SLA)"))
                .unwrap_or_default(),
            self.total_open,
            s.needs_reply,
            s.waiting_on_customer,
            s.snoozed,
            if self.truncated {
                " (more were open than one call reads: figures cover the items read)"
            } else {
                ""
            }
        );
        if let Some(n) = self.sla_matches {
            out.push_str(&format!(
                "\nSLA {}: {n} item(s).",
                self.sla_filter.as_deref().unwrap_or("?")
            ));
        }
        let heading = match self.section.as_str() {
            "waiting_on_customer" => "Waiting on the customer, longest untouched first",
            "snoozed" => "Snoozed, soonest to wake first",
            _ => "Needs us, by severity/priority, then longest customer wait, then SLA",
        };
        out.push_str(&format!(
            "\n{heading} ({}–{} of {}):",
            if self.items.is_empty() {
                0
            } else {
                self.offset + 1
            },
            self.offset + self.items.len(),
            self.section_total
        ));
        for (i, q) in self.items.iter().enumerate() {
            out.push_str(&format!("\n{}. {}", self.offset + i + 1, q.line()));
        }
        if let Some(next) = &self.next_cursor {
            out.push_str(&format!("\nMore: call again with cursor=\"{next}\"."));
        }
        for (title, list, total, section) in [
            (
                "Waiting on the customer",
                &self.waiting_on_customer,
                s.waiting_on_customer,
                "waiting_on_customer",
            ),
            ("Snoozed", &self.snoozed, s.snoozed, "snoozed"),
        ] {
            if list.is_empty() {
                continue;
            }
            out.push_str(&format!(
                "\n{title} (first {} of {total}; section=\"{section}\" lists all):",
                list.len()
            ));
            for q in list {
                out.push_str(&format!("\n- {}", q.line()));
            }
        }
        if self.null_items_skipped + self.unreadable_items_skipped + self.duplicates_skipped > 0 {
            out.push_str(&format!(
                "\n(Left out of Intercom's pages: {} empty item(s), {} unreadable item(s), {} repeated item(s).)",
                self.null_items_skipped, self.unreadable_items_skipped, self.duplicates_skipped
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
    /// submitted, in_progress, waiting_on_customer or resolved.
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
    /// Date (ISO or words: today, monday, last_week, 7d).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub created_after: Option<String>,
    /// Date, as created_after.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub created_before: Option<String>,
    /// Date, as created_after.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub updated_after: Option<String>,
    /// Admin id, email, name, `me` or `unassigned`.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub assignee: Option<String>,
    /// Team id or name.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub team: Option<String>,
    /// Tickets of the contact with this email.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub contact_email: Option<String>,
    /// Raw Intercom query, ANDed with the rest.
    #[serde(default, deserialize_with = "crate::args::opt_json")]
    pub query: Option<Value>,
    #[serde(flatten)]
    pub page: PageArgs,
    /// `summary`: the structured copy leaves out what the text shows in full.
    #[serde(default, deserialize_with = "crate::render::opt_detail")]
    #[schemars(with = "Option<String>")]
    pub detail: Option<crate::render::Detail>,
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
    /// Snooze until: `monday`, `tomorrow 9am`, `in 4h`, or an ISO date/time.
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
    /// Which section to list: `needs_reply` (default: work on us), `waiting_on_customer`
    /// (tickets waiting on the customer, open conversations a teammate answered last) or `snoozed`.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub section: Option<String>,
    /// Only items whose SLA is `missed`, `active`, `hit` or `cancelled` (conversations: tickets
    /// carry no SLA in the API). The answer counts them.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub sla: Option<String>,
    /// How many items to return (default 25, at most 150).
    #[serde(default, deserialize_with = "crate::args::opt_u32")]
    pub limit: Option<u32>,
    /// Cursor from a previous call's `next_cursor`.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub cursor: Option<String>,
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
        severity: ticket_severity(t),
        customer: ticket_customer(t).0,
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

fn period_start(
    words: &str,
    dates: &intercom_core::dates::Dates,
    arg: &str,
) -> Result<i64, ToolError> {
    dates
        .start(words)
        .map_err(|e| ToolError::invalid(format!("{arg}: {e}")))
}

impl SearchTicketsArgs {
    async fn query(&self, ws: &Workspace) -> Result<SearchQuery, ToolError> {
        let dates = ws.dates();
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
            let (type_id, _) = resolve_ticket_type(ws, &ty).await?;
            f.push(SearchQuery::field("ticket_type_id").eq(type_id.as_str()));
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
            f.push(
                SearchQuery::field("created_at").gt(period_start(&w, &dates, "created_after")? - 1),
            );
        }
        if let Some(w) = nonempty(self.created_before.as_deref()) {
            f.push(SearchQuery::field("created_at").lt(period_start(
                &w,
                &dates,
                "created_before",
            )?));
        }
        if let Some(w) = nonempty(self.updated_after.as_deref()) {
            f.push(
                SearchQuery::field("updated_at").gt(period_start(&w, &dates, "updated_after")? - 1),
            );
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

/// A severity label (`Critical`, `SEV1`, `P2`, `High`, …) on the conversation priority scale.
fn severity_rank(label: &str) -> u8 {
    let l = label
        .trim()
        .to_ascii_lowercase()
        .replace([' ', '-', '_'], "");
    match l.as_str() {
        "critical" | "urgent" | "blocker" | "sev1" | "sev0" | "p1" | "p0" | "highest" => 4,
        "high" | "major" | "sev2" | "p2" => 3,
        "medium" | "normal" | "moderate" | "sev3" | "p3" => 2,
        "low" | "minor" | "trivial" | "lowest" | "sev4" | "sev5" | "p4" | "p5" => 1,
        _ => 0,
    }
}

/// The ticket's `Severity` (or `Priority`) attribute as written. Tickets carry no priority
/// field in 2.16; workspaces model it as a list attribute.
pub(crate) fn ticket_severity(t: &Ticket) -> Option<String> {
    let attributes = t.ticket_attributes.as_ref()?;
    ["severity", "priority"].iter().find_map(|name| {
        attributes
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| match v {
                Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
    })
}

fn is_customer_author(a: &intercom_api::Author) -> bool {
    matches!(a.r#type.as_deref(), Some("user" | "lead" | "contact"))
}

/// The customer of a ticket: the first contact, named from a part they wrote when there is one.
fn ticket_customer(t: &Ticket) -> (Option<String>, Option<String>) {
    let contact_id = t
        .contacts
        .iter()
        .flat_map(|c| c.contacts.iter())
        .find_map(|c| c.id.clone());
    let named = t
        .ticket_parts
        .iter()
        .flat_map(|p| p.ticket_parts.iter())
        .filter_map(|p| p.author.as_ref())
        .filter(|a| is_customer_author(a))
        .find(|a| contact_id.is_none() || a.id == contact_id)
        .and_then(|a| a.name.clone().filter(|n| !n.is_empty()).or(a.email.clone()));
    (named, contact_id)
}

/// When a customer ticket's customer started waiting for a teammate: their first comment after
/// the last teammate comment; the creation time when no teammate has commented yet. `None`
/// when a teammate answered last, or the ticket is not a customer ticket.
fn ticket_waiting_since(t: &Ticket) -> Option<i64> {
    if t.category.as_ref().map(|c| c.to_string()).as_deref() != Some("Customer") {
        return None;
    }
    let mut waiting = t.created_at;
    for p in t.ticket_parts.iter().flat_map(|p| p.ticket_parts.iter()) {
        if p.part_type.as_deref() != Some("comment") {
            continue;
        }
        match p.author.as_ref() {
            Some(a) if is_customer_author(a) => {
                waiting = waiting.or(p.created_at);
            }
            Some(_) => waiting = None,
            None => {}
        }
    }
    waiting
}

fn sla_status(c: &Conversation) -> Option<String> {
    c.sla_applied
        .as_ref()?
        .get("sla_status")
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn sla_text(c: &Conversation) -> Option<String> {
    let sla = c.sla_applied.as_ref()?;
    let name = sla.get("sla_name").and_then(Value::as_str).unwrap_or("SLA");
    let status = sla.get("sla_status").and_then(Value::as_str)?;
    Some(format!("{name}: {status}"))
}

/// SLA states in the order a lead looks at them.
fn sla_order(status: Option<&str>) -> u8 {
    match status {
        Some("missed") => 0,
        Some("active") => 1,
        _ => 2,
    }
}

/// Names (else emails) of contacts by id, in one search; contacts not found are left out.
pub(crate) async fn contact_names(
    ws: &Workspace,
    ids: &[String],
) -> Result<std::collections::HashMap<String, String>, ToolError> {
    let mut out = std::collections::HashMap::new();
    let mut unique: Vec<String> = ids.to_vec();
    unique.sort();
    unique.dedup();
    for chunk in unique.chunks(150) {
        let request =
            SearchRequest::new(SearchQuery::field("id").is_in(chunk.iter().cloned())).per_page(150);
        let page = ws.api().client().search_contacts(&request).await?;
        for c in page.items {
            let name = [c.name, c.email]
                .into_iter()
                .flatten()
                .find(|s| !s.is_empty());
            if let (Some(id), Some(name)) = (c.id, name) {
                out.insert(id, name);
            }
        }
    }
    Ok(out)
}

/// Name the customer of tickets whose parts did not: their first contact, looked up in one
/// search; a contact that cannot be found is shown by id.
async fn name_customers(ws: &Workspace, tickets: &mut [TicketView]) -> Result<(), ToolError> {
    let unnamed: Vec<String> = tickets
        .iter()
        .filter(|t| t.customer.is_none())
        .filter_map(|t| t.contacts.first().cloned())
        .collect();
    if unnamed.is_empty() {
        return Ok(());
    }
    let found = contact_names(ws, &unnamed).await?;
    for t in tickets.iter_mut().filter(|t| t.customer.is_none()) {
        if let Some(id) = t.contacts.first() {
            t.customer = Some(
                found
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| format!("contact {id}")),
            );
        }
    }
    Ok(())
}

/// Where a queue item belongs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    NeedsReply,
    WaitingOnCustomer,
    Snoozed,
}

impl Section {
    fn parse(raw: Option<&str>) -> Result<Self, ToolError> {
        match raw
            .map(|s| s.trim().to_ascii_lowercase().replace([' ', '-'], "_"))
            .as_deref()
        {
            None | Some("" | "needs_reply" | "needs_us" | "open" | "default") => {
                Ok(Section::NeedsReply)
            }
            Some("waiting_on_customer" | "waiting") => Ok(Section::WaitingOnCustomer),
            Some("snoozed") => Ok(Section::Snoozed),
            Some(other) => Err(ToolError::invalid(format!(
                "section `{other}` is unknown; use needs_reply, waiting_on_customer or snoozed"
            ))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Section::NeedsReply => "needs_reply",
            Section::WaitingOnCustomer => "waiting_on_customer",
            Section::Snoozed => "snoozed",
        }
    }
}

/// A queue cursor: `<section>:<offset>`.
fn parse_queue_cursor(raw: Option<&str>, section: Section) -> Result<usize, ToolError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(0);
    };
    let bad = || {
        ToolError::invalid(format!(
            "cursor `{raw}` is not a ticket_queue cursor for section {}; pass the next_cursor of the previous call with the same arguments, or leave it out to start",
            section.name()
        ))
    };
    let (name, offset) = raw.split_once(':').ok_or_else(bad)?;
    if name != section.name() {
        return Err(bad());
    }
    offset.parse::<usize>().map_err(|_| bad())
}

// ---------------------------------------------------------------------------
// Tools

#[tool_router(router = ticket_tools, vis = "pub")]
impl IntercomServer {
    #[tool(
        name = "search_tickets",
        description = "Find tickets by state category, type, open, title words, dates, assignee, team, customer email or a raw query; one line each with paging. get_ticket reads one.",
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
        let mut tickets: Vec<TicketView> = page
            .items
            .iter()
            .map(|t| ticket_view(t, &names, &ws, None))
            .collect();
        name_customers(&ws, &mut tickets).await?;
        Ok(Json(TicketList {
            tickets,
            paging: Paging::of(&page),
            skipped: Skipped::of(page.skipped),
        }))
    }

    #[tool(
        name = "get_ticket",
        description = "Read one ticket: type, state, assignee, contacts, attributes and its parts (last 20 unless `detail: full`).",
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
        let mut view = ticket_view(&ticket, &names, &ws, Some(args.detail.unwrap_or_default()));
        name_customers(&ws, std::slice::from_mut(&mut view)).await?;
        Ok(Json(view))
    }

    #[tool(
        name = "create_ticket",
        description = "Create a ticket of a type (name or id) for a customer, optionally assigned.",
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
        let (ticket_type_id, _) = resolve_ticket_type(&ws, &args.ticket_type).await?;
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
        description = "Change a ticket's state, assignee, attributes, open/closed or snooze; only what is given changes.",
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
            update.snoozed_until = Some(snooze_until(&words, &ws.dates())?);
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
        description = "Add an internal note (default) or a customer-visible comment to a ticket.",
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
        description = "The workspace's ticket types with their attributes (`*` = required to create).",
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
        let skipped = Skipped::of(types.skipped);
        Ok(Json(TicketTypeList {
            skipped,
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
        description = "The workspace's ticket states (id, category, labels), as update_ticket takes them.",
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
        let skipped = Skipped::of(states.skipped);
        Ok(Json(TicketStateList {
            skipped,
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
        description = "The open work queue of a team, an admin or everyone, ranked as a support lead would: needs-reply first by severity/priority, then by wait time and SLA; items waiting on the customer and snoozed ones are counted apart.",
        annotations(title = "Work queue", read_only_hint = true, open_world_hint = true)
    )]
    async fn ticket_queue(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<TicketQueueArgs>,
    ) -> Result<Json<TicketQueue>, ToolError> {
        let section = Section::parse(args.section.as_deref())?;
        let offset = parse_queue_cursor(args.cursor.as_deref(), section)?;
        let sla_filter = super::parse_sla(args.sla.as_deref())?;
        let limit = args.limit.unwrap_or(25).clamp(1, 150) as usize;
        let mut scope_filters = Vec::new();
        let mut scope = Vec::new();
        if let Some(team) = nonempty(args.team.as_deref()) {
            let (id, name) = ws.resolve_team(&team).await?;
            scope_filters.push(filter("team_assignee_id", "=", id));
            scope.push(format!("team {name}"));
        }
        if let Some(a) = nonempty(args.assignee.as_deref()) {
            let (id, name) = ws.resolve_admin(&a).await?;
            scope_filters.push(filter("admin_assignee_id", "=", id));
            scope.push(name);
        }
        let with_scope = |base: Value| {
            let mut all = vec![base];
            all.extend(scope_filters.iter().cloned());
            all_of(all)
        };
        // `open` is true for snoozed items too: they get their own section.
        let ticket_query = with_scope(filter("open", "=", true))?;
        let conversation_query = with_scope(filter("open", "=", true))?;
        let include_conversations = args.include_conversations.unwrap_or(true);
        let (tickets, conversations, names) = tokio::try_join!(
            scan_search(&ws, Searched::Tickets, ticket_query, QUEUE_SCAN_CAP),
            async {
                if include_conversations {
                    scan_search(
                        &ws,
                        Searched::Conversations,
                        conversation_query,
                        QUEUE_SCAN_CAP,
                    )
                    .await
                } else {
                    Ok(Scan {
                        complete: true,
                        ..Scan::default()
                    })
                }
            },
            ws.names()
        )?;
        let truncated = !tickets.complete || !conversations.complete;
        let now = chrono::Utc::now().timestamp();
        let tz = ws.time_zone();
        let when = |ts: Option<i64>| ts.filter(|s| *s > 0).map(|s| iso(s, tz));
        let since = |ts: i64| human_duration(now - ts);
        let mut items: Vec<(Section, QueueItem)> = Vec::new();
        let mut undecodable = 0usize;
        for raw in &tickets.items {
            let Ok(t) = serde_json::from_value::<Ticket>(raw.clone()) else {
                undecodable += 1;
                continue;
            };
            let severity = ticket_severity(&t);
            let rank = severity.as_deref().map(severity_rank).unwrap_or(0);
            let state = t
                .ticket_state
                .as_ref()
                .and_then(|s| s.category.as_ref())
                .map(|c| c.to_string())
                .unwrap_or_default();
            let snoozed = t.snoozed_until.filter(|s| *s > now);
            let waiting = ticket_waiting_since(&t).filter(|_| state != "waiting_on_customer");
            let (customer, contact_id) = ticket_customer(&t);
            let created = t.created_at.unwrap_or(0);
            let section = if snoozed.is_some() {
                Section::Snoozed
            } else if state == "waiting_on_customer" {
                Section::WaitingOnCustomer
            } else {
                Section::NeedsReply
            };
            items.push((
                section,
                QueueItem {
                    kind: "ticket".into(),
                    id: t.id.clone().unwrap_or_default(),
                    title: t.title().unwrap_or_default().to_string(),
                    priority: rank_name(rank).into(),
                    severity,
                    state,
                    customer,
                    customer_waiting_since: when(waiting),
                    customer_waiting_for: waiting.map(since),
                    created_at: when(t.created_at),
                    age: t.created_at.map(since),
                    updated_at: when(t.updated_at),
                    snoozed_until: when(snoozed),
                    admin_assignee: t
                        .admin_assignee()
                        .map(|id| names.describe_admin(&id.to_string())),
                    team_assignee: t
                        .team_assignee()
                        .map(|id| names.describe_team(&id.to_string())),
                    sla: None,
                    sla_status: None,
                    rank,
                    waiting_ts: waiting,
                    created_ts: created,
                    updated_ts: t.updated_at.unwrap_or(created),
                    snoozed_ts: snoozed.unwrap_or(0),
                    contact_id,
                },
            ));
        }
        for raw in &conversations.items {
            let Ok(c) = serde_json::from_value::<Conversation>(raw.clone()) else {
                undecodable += 1;
                continue;
            };
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
                        .map(|b| b.split_whitespace().collect::<Vec<_>>().join(" "))
                        .map(|b| b.chars().take(80).collect())
                })
                .unwrap_or_default();
            let state = c.state.as_ref().map(|s| s.to_string()).unwrap_or_default();
            let snoozed = state == "snoozed";
            let waiting = c.waiting_since.filter(|s| *s > 0);
            let author = c.source.as_ref().and_then(|s| s.author.as_ref());
            let customer = author
                .filter(|a| is_customer_author(a))
                .and_then(|a| a.name.clone().filter(|n| !n.is_empty()).or(a.email.clone()));
            let contact_id = c
                .contacts
                .iter()
                .flat_map(|l| l.contacts.iter())
                .find_map(|r| r.id.clone());
            let created = c.created_at.unwrap_or(0);
            let section = if snoozed {
                Section::Snoozed
            } else if waiting.is_none() {
                Section::WaitingOnCustomer
            } else {
                Section::NeedsReply
            };
            items.push((
                section,
                QueueItem {
                    kind: "conversation".into(),
                    id: c.id.clone().unwrap_or_default(),
                    title,
                    priority: rank_name(rank).into(),
                    severity: None,
                    state,
                    customer,
                    customer_waiting_since: when(waiting),
                    customer_waiting_for: waiting.map(since),
                    created_at: when(c.created_at),
                    age: c.created_at.map(since),
                    updated_at: when(c.updated_at),
                    snoozed_until: when(c.snoozed_until.filter(|_| snoozed)),
                    admin_assignee: c
                        .admin_assignee()
                        .map(|id| names.describe_admin(&id.to_string())),
                    team_assignee: c
                        .team_assignee()
                        .map(|id| names.describe_team(&id.to_string())),
                    sla: sla_text(&c),
                    sla_status: sla_status(&c),
                    rank,
                    waiting_ts: waiting,
                    created_ts: created,
                    updated_ts: c.updated_at.unwrap_or(created),
                    snoozed_ts: c.snoozed_until.unwrap_or(0),
                    contact_id,
                },
            ));
        }
        let total_open = items.len();
        if let Some(f) = &sla_filter {
            items.retain(|(_, q)| q.sla_status.as_deref() == Some(f.as_str()));
        }
        let mut sections = QueueSections::default();
        let (mut needs, mut waiting_list, mut snoozed_list) = (Vec::new(), Vec::new(), Vec::new());
        for (s, q) in items {
            match s {
                Section::NeedsReply => needs.push(q),
                Section::WaitingOnCustomer => waiting_list.push(q),
                Section::Snoozed => snoozed_list.push(q),
            }
        }
        sections.needs_reply = needs.len();
        sections.waiting_on_customer = waiting_list.len();
        sections.snoozed = snoozed_list.len();
        // Most severe first; then the customer who has waited longest (nobody waiting last);
        // then missed SLAs before active ones; then the oldest.
        needs.sort_by(|a, b| {
            (
                Reverse(a.rank),
                a.waiting_ts.unwrap_or(i64::MAX),
                sla_order(a.sla_status.as_deref()),
                a.created_ts,
                &a.id,
            )
                .cmp(&(
                    Reverse(b.rank),
                    b.waiting_ts.unwrap_or(i64::MAX),
                    sla_order(b.sla_status.as_deref()),
                    b.created_ts,
                    &b.id,
                ))
        });
        waiting_list.sort_by(|a, b| {
            (Reverse(a.rank), a.updated_ts, &a.id).cmp(&(Reverse(b.rank), b.updated_ts, &b.id))
        });
        snoozed_list.sort_by(|a, b| (a.snoozed_ts, &a.id).cmp(&(b.snoozed_ts, &b.id)));
        let (mut chosen, preview_waiting, preview_snoozed) = match section {
            Section::NeedsReply => (needs, waiting_list, snoozed_list),
            Section::WaitingOnCustomer => (waiting_list, Vec::new(), Vec::new()),
            Section::Snoozed => (snoozed_list, Vec::new(), Vec::new()),
        };
        let section_total = chosen.len();
        let page: Vec<QueueItem> = chosen.drain(..).skip(offset).take(limit).collect();
        let next_cursor = (offset + page.len() < section_total)
            .then(|| format!("{}:{}", section.name(), offset + page.len()));
        let mut waiting_on_customer: Vec<QueueItem> =
            preview_waiting.into_iter().take(QUEUE_PREVIEW).collect();
        let mut snoozed: Vec<QueueItem> = preview_snoozed.into_iter().take(QUEUE_PREVIEW).collect();
        let mut page = page;
        // Name the customers shown whose name the item did not carry.
        let unnamed: Vec<String> = page
            .iter()
            .chain(&waiting_on_customer)
            .chain(&snoozed)
            .filter(|q| q.customer.is_none())
            .filter_map(|q| q.contact_id.clone())
            .collect();
        if !unnamed.is_empty() {
            let found = contact_names(&ws, &unnamed).await?;
            for q in page
                .iter_mut()
                .chain(waiting_on_customer.iter_mut())
                .chain(snoozed.iter_mut())
            {
                if q.customer.is_none()
                    && let Some(id) = &q.contact_id
                {
                    q.customer = Some(
                        found
                            .get(id)
                            .cloned()
                            .unwrap_or_else(|| format!("contact {id}")),
                    );
                }
            }
        }
        Ok(Json(TicketQueue {
            scope: if scope.is_empty() {
                "everyone".into()
            } else {
                scope.join(", ")
            },
            section: section.name().into(),
            sla_matches: sla_filter
                .as_ref()
                .map(|_| sections.needs_reply + sections.waiting_on_customer + sections.snoozed),
            sla_filter,
            items: page,
            offset,
            section_total,
            sections,
            total_open,
            waiting_on_customer,
            snoozed,
            next_cursor,
            truncated,
            null_items_skipped: tickets.nulls + conversations.nulls,
            unreadable_items_skipped: undecodable,
            duplicates_skipped: tickets.duplicates + conversations.duplicates,
        }))
    }
}
