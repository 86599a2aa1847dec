//! The few figures of a conversation or ticket that metrics need, read either
//! from mirror rows or from API objects. Kept compact: a million of them fit in memory.

use std::collections::HashMap;

use serde_json::Value;

/// A conversation's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationState {
    Open,
    Snoozed,
    Closed,
}

impl ConversationState {
    pub fn parse(s: Option<&str>) -> Self {
        match s {
            Some("closed") => Self::Closed,
            Some("snoozed") => Self::Snoozed,
            _ => Self::Open,
        }
    }
}

/// Outcome of the SLA applied to a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaStatus {
    Hit,
    Missed,
    Cancelled,
    Active,
}

impl SlaStatus {
    pub fn parse(s: Option<&str>) -> Option<Self> {
        match s? {
            "hit" => Some(Self::Hit),
            "missed" => Some(Self::Missed),
            "cancelled" => Some(Self::Cancelled),
            "active" => Some(Self::Active),
            _ => None,
        }
    }
}

/// Interned short strings (channels, priorities, tag ids), so facts stay small.
#[derive(Debug, Default, Clone)]
pub struct Symbols {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

/// Index into [`Symbols`]; `Sym::NONE` when the value is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(pub u32);

impl Sym {
    pub const NONE: Sym = Sym(u32::MAX);
}

impl Symbols {
    pub fn intern(&mut self, value: Option<&str>) -> Sym {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            return Sym::NONE;
        };
        if let Some(&i) = self.index.get(value) {
            return Sym(i);
        }
        let i = self.names.len() as u32;
        self.names.push(value.to_string());
        self.index.insert(value.to_string(), i);
        Sym(i)
    }

    pub fn name(&self, sym: Sym) -> Option<&str> {
        self.names.get(sym.0 as usize).map(String::as_str)
    }
}

/// What metrics need to know about one conversation.
#[derive(Debug, Clone)]
pub struct ConversationFact {
    pub created_at: i64,
    pub state: ConversationState,
    pub last_close_at: Option<i64>,
    /// Seconds from the customer's first message to the first admin reply.
    pub first_response_secs: Option<i64>,
    pub reopens: i64,
    pub rating: Option<u8>,
    pub rated_at: Option<i64>,
    pub sla: Option<SlaStatus>,
    /// 0 when unassigned.
    pub admin_id: i64,
    pub team_id: i64,
    pub channel: Sym,
    pub priority: Sym,
    /// Only filled when grouping by tag.
    pub tags: Vec<Sym>,
}

/// What metrics need to know about one ticket.
#[derive(Debug, Clone)]
pub struct TicketFact {
    pub created_at: i64,
    pub updated_at: i64,
    /// `submitted`, `in_progress`, `waiting_on_customer`, `resolved`.
    pub state_category: Sym,
    /// Ticket type name (or id when the name is unknown).
    pub ticket_type: Sym,
    pub admin_id: i64,
    pub team_id: i64,
}

/// Facts gathered from one source, with their interned strings.
#[derive(Debug, Default, Clone)]
pub struct FactSet {
    pub conversations: Vec<ConversationFact>,
    pub tickets: Vec<TicketFact>,
    pub symbols: Symbols,
    /// Objects the source sent that could not be read (`null`, no id) and were left out.
    pub skipped: u64,
}

fn int(v: &Value, pointer: &str) -> Option<i64> {
    match v.pointer(pointer)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.round() as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

impl FactSet {
    /// Add a conversation as the API returns it (`GET /conversations/{id}` or search).
    pub fn push_conversation_json(&mut self, c: &Value, with_tags: bool) {
        let tags = if with_tags {
            c.pointer("/tags/tags")
                .and_then(Value::as_array)
                .map(|tags| {
                    tags.iter()
                        .map(|t| {
                            let id = intercom_mirror::columns::id_string(
                                t.get("id").unwrap_or(&Value::Null),
                            );
                            self.symbols.intern(id.as_deref())
                        })
                        .collect()
                })
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let fact = ConversationFact {
            created_at: int(c, "/created_at").unwrap_or(0),
            state: ConversationState::parse(text(c, "/state")),
            last_close_at: int(c, "/statistics/last_close_at"),
            first_response_secs: int(c, "/statistics/time_to_admin_reply"),
            reopens: int(c, "/statistics/count_reopens").unwrap_or(0),
            rating: int(c, "/conversation_rating/rating").and_then(|r| u8::try_from(r).ok()),
            rated_at: int(c, "/conversation_rating/created_at"),
            sla: SlaStatus::parse(text(c, "/sla_applied/sla_status")),
            admin_id: int(c, "/admin_assignee_id").unwrap_or(0),
            team_id: int(c, "/team_assignee_id").unwrap_or(0),
            channel: self.symbols.intern(text(c, "/channel/initial")),
            priority: self.symbols.intern(text(c, "/priority")),
            tags,
        };
        self.conversations.push(fact);
    }

    /// Add a ticket as the API returns it.
    pub fn push_ticket_json(&mut self, t: &Value) {
        let type_name = text(t, "/ticket_type/name")
            .map(str::to_string)
            .or_else(|| int(t, "/ticket_type/id").map(|id| format!("type {id}")));
        let fact = TicketFact {
            created_at: int(t, "/created_at").unwrap_or(0),
            updated_at: int(t, "/updated_at").unwrap_or(0),
            state_category: self.symbols.intern(text(t, "/ticket_state/category")),
            ticket_type: self.symbols.intern(type_name.as_deref()),
            admin_id: int(t, "/admin_assignee_id").unwrap_or(0),
            team_id: int(t, "/team_assignee_id").unwrap_or(0),
        };
        self.tickets.push(fact);
    }
}
