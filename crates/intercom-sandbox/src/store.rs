//! The in-memory workspace: objects kept as JSON in their exact 2.16 shape, plus typed
//! index columns for conversations and tickets so searches over 100k rows stay fast.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono_tz::Tz;
use serde_json::{Value, json};

use crate::seed::SeedData;

/// Objects of one kind, in insertion order, addressable by id. Each object gets a
/// sequence number that never changes, so cursors survive deletions.
#[derive(Debug, Clone)]
pub struct Collection<T> {
    items: BTreeMap<u64, T>,
    by_id: HashMap<String, u64>,
    next_seq: u64,
}

impl<T> Default for Collection<T> {
    fn default() -> Self {
        Collection {
            items: BTreeMap::new(),
            by_id: HashMap::new(),
            next_seq: 1,
        }
    }
}

impl<T> Collection<T> {
    /// Inserts or replaces (keeping the original position) the object with `id`.
    pub fn insert(&mut self, id: String, item: T) -> u64 {
        if let Some(&seq) = self.by_id.get(&id) {
            self.items.insert(seq, item);
            return seq;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_id.insert(id, seq);
        self.items.insert(seq, item);
        seq
    }

    pub fn get(&self, id: &str) -> Option<&T> {
        self.by_id.get(id).and_then(|seq| self.items.get(seq))
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut T> {
        let seq = *self.by_id.get(id)?;
        self.items.get_mut(&seq)
    }

    pub fn seq(&self, id: &str) -> Option<u64> {
        self.by_id.get(id).copied()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    pub fn remove(&mut self, id: &str) -> Option<T> {
        let seq = self.by_id.remove(id)?;
        self.items.remove(&seq)
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Objects with their sequence numbers, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (u64, &T)> {
        self.items.iter().map(|(seq, item)| (*seq, item))
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.items.values()
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.items.values_mut()
    }
}

/// Conversation state as a small enum for the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvState {
    Open,
    Closed,
    Snoozed,
}

impl ConvState {
    pub fn parse(s: &str) -> ConvState {
        match s {
            "closed" => ConvState::Closed,
            "snoozed" => ConvState::Snoozed,
            _ => ConvState::Open,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ConvState::Open => "open",
            ConvState::Closed => "closed",
            ConvState::Snoozed => "snoozed",
        }
    }
}

/// Typed columns of a conversation, rebuilt from its JSON after every write.
#[derive(Debug, Clone, Default)]
pub struct ConvIndex {
    pub id: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub state: Option<ConvState>,
    pub open: bool,
    pub read: bool,
    pub priority: String,
    pub admin_assignee_id: i64,
    pub team_assignee_id: i64,
    pub waiting_since: Option<i64>,
    pub snoozed_until: Option<i64>,
    pub contact_ids: Vec<String>,
    pub teammate_ids: Vec<String>,
    pub tag_ids: Vec<String>,
    /// Values of [`INDEXED_PATHS`], in that order (searching deep JSON is cache-miss bound).
    pub paths: Vec<Option<IndexedValue>>,
    /// Scalar custom attributes, flat for the same reason.
    pub custom: Vec<(Box<str>, IndexedValue)>,
}

/// Nested conversation fields kept as flat columns because searches filter on them often.
pub const INDEXED_PATHS: &[&str] = &[
    "title",
    "channel.initial",
    "source.type",
    "source.id",
    "source.delivered_as",
    "source.subject",
    "source.body",
    "source.author.id",
    "source.author.type",
    "source.author.name",
    "source.author.email",
    "source.url",
    "statistics.time_to_assignment",
    "statistics.time_to_admin_reply",
    "statistics.time_to_first_close",
    "statistics.time_to_last_close",
    "statistics.median_time_to_reply",
    "statistics.first_contact_reply_at",
    "statistics.first_assignment_at",
    "statistics.first_admin_reply_at",
    "statistics.first_close_at",
    "statistics.last_assignment_at",
    "statistics.last_assignment_admin_reply_at",
    "statistics.last_contact_reply_at",
    "statistics.last_admin_reply_at",
    "statistics.last_close_at",
    "statistics.last_closed_by_id",
    "statistics.count_reopens",
    "statistics.count_assignments",
    "statistics.count_conversation_parts",
    "statistics.handling_time",
];

/// A scalar copied out of the JSON for an indexed path.
#[derive(Debug, Clone)]
pub enum IndexedValue {
    Str(Box<str>),
    Num(f64),
    Bool(bool),
}

fn indexed_value(v: &Value, path: &str) -> Option<IndexedValue> {
    let mut cur = v;
    for key in path.split('.') {
        cur = cur.get(key)?;
    }
    scalar(cur)
}

fn scalar(v: &Value) -> Option<IndexedValue> {
    match v {
        Value::String(s) => Some(IndexedValue::Str(s.as_str().into())),
        Value::Number(n) => n.as_f64().map(IndexedValue::Num),
        Value::Bool(b) => Some(IndexedValue::Bool(*b)),
        _ => None,
    }
}

/// A stored conversation: the full object (with parts) and its index row.
#[derive(Debug, Clone)]
pub struct Conversation {
    pub json: Value,
    pub ix: ConvIndex,
}

impl Conversation {
    pub fn new(json: Value) -> Self {
        let ix = ConvIndex::from_json(&json);
        Conversation { json, ix }
    }

    pub fn reindex(&mut self) {
        self.ix = ConvIndex::from_json(&self.json);
    }
}

pub fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    cur.as_str()
}

pub fn i64_at(v: &Value, path: &[&str]) -> Option<i64> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    cur.as_i64()
}

/// Ids of the objects in a `{type, <key>: [{id}...]}` wrapper.
pub fn ids_in(v: &Value, wrapper: &str, key: &str) -> Vec<String> {
    v.get(wrapper)
        .and_then(|w| w.get(key))
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| match i.get("id") {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

impl ConvIndex {
    pub fn from_json(v: &Value) -> Self {
        ConvIndex {
            id: str_at(v, &["id"]).unwrap_or_default().to_string(),
            created_at: i64_at(v, &["created_at"]).unwrap_or(0),
            updated_at: i64_at(v, &["updated_at"]).unwrap_or(0),
            state: str_at(v, &["state"]).map(ConvState::parse),
            open: v.get("open").and_then(Value::as_bool).unwrap_or(false),
            read: v.get("read").and_then(Value::as_bool).unwrap_or(false),
            priority: str_at(v, &["priority"]).unwrap_or("none").to_string(),
            admin_assignee_id: i64_at(v, &["admin_assignee_id"]).unwrap_or(0),
            team_assignee_id: i64_at(v, &["team_assignee_id"]).unwrap_or(0),
            waiting_since: i64_at(v, &["waiting_since"]),
            snoozed_until: i64_at(v, &["snoozed_until"]),
            contact_ids: ids_in(v, "contacts", "contacts"),
            teammate_ids: ids_in(v, "teammates", "teammates"),
            tag_ids: ids_in(v, "tags", "tags"),
            paths: INDEXED_PATHS.iter().map(|p| indexed_value(v, p)).collect(),
            custom: v
                .get("custom_attributes")
                .and_then(Value::as_object)
                .map(|attrs| {
                    attrs
                        .iter()
                        .filter_map(|(k, v)| Some((k.as_str().into(), scalar(v)?)))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// The whole workspace.
#[derive(Debug, Clone)]
pub struct State {
    pub app_id: String,
    pub app_created_at: i64,
    pub workspace_name: String,
    pub time_zone: Tz,
    pub time_zone_name: String,
    pub admins: Collection<Value>,
    pub teams: Collection<Value>,
    pub tags: Collection<Value>,
    pub segments: Collection<Value>,
    pub data_attributes: Vec<Value>,
    pub conversation_attributes: Vec<Value>,
    pub companies: Collection<Value>,
    pub contacts: Collection<Value>,
    pub notes: Collection<Value>,
    pub conversations: Collection<Conversation>,
    pub ticket_types: Collection<Value>,
    pub ticket_states: Collection<Value>,
    pub tickets: Collection<Value>,
    pub articles: Collection<Value>,
    pub help_centers: Collection<Value>,
    /// Merged-away contact id → the contact it was merged into.
    pub merged_contacts: HashMap<String, String>,
    /// Tags applied to tickets (the 2.16 ticket object has no `tags` field).
    pub ticket_tags: HashMap<String, Vec<Value>>,
    /// Archived contacts: retrievable by id, left out of lists and searches.
    pub archived_contacts: HashSet<String>,
    /// Next numeric id per kind of object (each kind counts on from its largest seeded id).
    next_ids: HashMap<IdKind, u64>,
    /// Counter behind new 24-hex ids.
    next_hex: u64,
    /// The one open companies scroll: (param, position, last use).
    pub company_scroll: Option<(String, usize, i64)>,
}

pub fn id_of(v: &Value) -> String {
    match v.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn collect(items: Vec<Value>) -> Collection<Value> {
    let mut c = Collection::default();
    for item in items {
        c.insert(id_of(&item), item);
    }
    c
}

/// The parts array of a conversation (`conversation_parts`) or ticket (`ticket_parts`).
pub fn parts_of<'a>(doc: &'a Value, key: &str) -> &'a [Value] {
    doc.get(key)
        .and_then(|p| p.get(key))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Kinds of numeric ids, each with its own sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdKind {
    Conversation,
    Message,
    Part,
    Ticket,
    TicketNumber,
    Note,
    Tag,
    Article,
}

impl IdKind {
    /// Where a sequence starts when the seed has no object of the kind.
    fn first(self) -> u64 {
        match self {
            IdKind::Conversation => 100_000_001,
            IdKind::Message => 2_000_000_001,
            IdKind::Part => 20_000_000_001,
            IdKind::Ticket => 500_001,
            IdKind::TicketNumber => 1,
            IdKind::Note => 1_001,
            IdKind::Tag => 9_001,
            IdKind::Article => 7_000_001,
        }
    }
}

impl State {
    /// Builds the store from a generated workspace, taking ownership so nothing is copied.
    pub fn from_seed(seed: SeedData) -> State {
        let time_zone: Tz = seed.time_zone.parse().unwrap_or(chrono_tz::UTC);
        let mut next_ids = HashMap::new();
        let mut bump = |kind: IdKind, id: Option<&Value>| {
            if let Some(n) = id.map(id_of).and_then(|s| s.parse::<u64>().ok()) {
                let next = next_ids.entry(kind).or_insert(1);
                *next = (*next).max(n + 1);
            }
        };
        for (kind, list) in [
            (IdKind::Tag, &seed.tags),
            (IdKind::Note, &seed.notes),
            (IdKind::Conversation, &seed.conversations),
            (IdKind::Ticket, &seed.tickets),
            (IdKind::Article, &seed.articles),
        ] {
            for item in list {
                bump(kind, Some(item));
            }
        }
        for c in &seed.conversations {
            bump(IdKind::Message, c.get("source"));
            for part in parts_of(c, "conversation_parts") {
                bump(IdKind::Part, Some(part));
            }
        }
        for t in &seed.tickets {
            if let Some(number) = t.get("ticket_id") {
                bump(IdKind::TicketNumber, Some(&json!({"id": number})));
            }
            for part in parts_of(t, "ticket_parts") {
                bump(IdKind::Part, Some(part));
            }
        }
        // The workspace is as old as its oldest object.
        let app_created_at = seed
            .companies
            .iter()
            .chain(seed.contacts.iter())
            .chain(seed.ticket_types.iter())
            .filter_map(|v| v.get("created_at").and_then(Value::as_i64))
            .min()
            .unwrap_or(1_600_000_000);
        let mut conversations = Collection::default();
        for c in seed.conversations {
            conversations.insert(id_of(&c), Conversation::new(c));
        }
        State {
            app_created_at,
            app_id: seed.app_id,
            workspace_name: seed.workspace_name,
            time_zone,
            time_zone_name: seed.time_zone,
            admins: collect(seed.admins),
            teams: collect(seed.teams),
            tags: collect(seed.tags),
            segments: collect(seed.segments),
            data_attributes: seed.data_attributes,
            conversation_attributes: seed.conversation_attributes,
            companies: collect(seed.companies),
            contacts: collect(seed.contacts),
            notes: collect(seed.notes),
            conversations,
            ticket_types: collect(seed.ticket_types),
            ticket_states: collect(seed.ticket_states),
            tickets: collect(seed.tickets),
            articles: collect(seed.articles),
            help_centers: collect(seed.help_centers),
            merged_contacts: HashMap::new(),
            archived_contacts: HashSet::new(),
            ticket_tags: HashMap::new(),
            next_ids,
            next_hex: 1,
            company_scroll: None,
        }
    }

    /// A fresh numeric-string id of `kind`, as Intercom uses for conversations, parts, tickets…
    pub fn numeric_id(&mut self, kind: IdKind) -> String {
        let next = self.next_ids.entry(kind).or_insert_with(|| kind.first());
        let id = *next;
        *next += 1;
        id.to_string()
    }

    /// A fresh 24-hex id, as Intercom uses for contacts and companies.
    pub fn hex_id(&mut self, now: i64) -> String {
        loop {
            let candidate = format!(
                "{:08x}{:016x}",
                now as u32,
                0x5a4d_0000_0000_0000 + self.next_hex
            );
            self.next_hex += 1;
            if !self.contacts.contains(&candidate) && !self.companies.contains(&candidate) {
                return candidate;
            }
        }
    }

    pub fn admin(&self, id: &str) -> Option<&Value> {
        self.admins.get(id)
    }

    /// Short admin reference used in part authors: `{type:"admin", id, name, email}`.
    pub fn admin_author(&self, id: &str) -> Value {
        let admin = self.admins.get(id);
        json!({
            "type": "admin",
            "id": id,
            "name": admin.and_then(|a| a.get("name")).cloned().unwrap_or(Value::Null),
            "email": admin.and_then(|a| a.get("email")).cloned().unwrap_or(Value::Null),
        })
    }

    pub fn contact_author(&self, id: &str) -> Value {
        let contact = self.contacts.get(id);
        let role = contact
            .and_then(|c| c.get("role"))
            .and_then(Value::as_str)
            .unwrap_or("user");
        // A contact without an email has `""`; an author's email is then null (format: email).
        let email = contact
            .and_then(|c| c.get("email"))
            .filter(|e| e.as_str().is_some_and(|e| !e.is_empty()))
            .cloned()
            .unwrap_or(Value::Null);
        json!({
            "type": role,
            "id": id,
            "name": contact.and_then(|c| c.get("name")).cloned().unwrap_or(Value::Null),
            "email": email,
        })
    }

    /// Resolves a contact id, following merges only for reporting (410) purposes.
    pub fn merged_into(&self, id: &str) -> Option<&String> {
        self.merged_contacts.get(id)
    }
}
