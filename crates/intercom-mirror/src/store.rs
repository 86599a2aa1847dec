//! The storage interface behind the mirror, and the values that cross it.
//!
//! [`MirrorStore`] is deliberately small and synchronous so that a second
//! backend (PostgreSQL, for several servers sharing one mirror) only has to
//! implement these methods; see `docs/MIRROR.md`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The kinds of Intercom object the mirror holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Conversation,
    Ticket,
    Contact,
    Company,
    Admin,
    Team,
    Tag,
}

impl ObjectKind {
    pub const ALL: [ObjectKind; 7] = [
        ObjectKind::Conversation,
        ObjectKind::Ticket,
        ObjectKind::Contact,
        ObjectKind::Company,
        ObjectKind::Admin,
        ObjectKind::Team,
        ObjectKind::Tag,
    ];

    /// Table name, also the plural used on the command line and in URIs.
    pub fn plural(self) -> &'static str {
        match self {
            ObjectKind::Conversation => "conversations",
            ObjectKind::Ticket => "tickets",
            ObjectKind::Contact => "contacts",
            ObjectKind::Company => "companies",
            ObjectKind::Admin => "admins",
            ObjectKind::Team => "teams",
            ObjectKind::Tag => "tags",
        }
    }

    pub fn singular(self) -> &'static str {
        match self {
            ObjectKind::Conversation => "conversation",
            ObjectKind::Ticket => "ticket",
            ObjectKind::Contact => "contact",
            ObjectKind::Company => "company",
            ObjectKind::Admin => "admin",
            ObjectKind::Team => "team",
            ObjectKind::Tag => "tag",
        }
    }

    pub fn from_plural(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.plural() == name)
    }

    /// Whether objects of this kind carry `updated_at`, so sync can run incrementally.
    pub fn has_updated_at(self) -> bool {
        matches!(
            self,
            ObjectKind::Conversation
                | ObjectKind::Ticket
                | ObjectKind::Contact
                | ObjectKind::Company
        )
    }

    /// The MCP resource URI of one object, for kinds that are exposed as resources.
    pub fn resource_uri(self, id: &str) -> Option<String> {
        match self {
            ObjectKind::Conversation | ObjectKind::Ticket | ObjectKind::Contact => {
                Some(format!("intercom://{}/{id}", self.plural()))
            }
            _ => None,
        }
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.plural())
    }
}

/// One change to apply to the mirror.
#[derive(Clone, Debug)]
pub enum MirrorWrite {
    /// Insert or update an object from its full JSON (conversations may carry their parts).
    Upsert(ObjectKind, Value),
    /// Remove an object that Intercom deleted.
    Delete(ObjectKind, String),
}

/// Where a change came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeSource {
    Webhook,
    Sync,
}

/// Writes applied in one transaction, optionally with the sync checkpoint they complete.
#[derive(Clone, Debug)]
pub struct WriteBatch {
    pub writes: Vec<MirrorWrite>,
    pub checkpoint: Option<Checkpoint>,
    /// Record each detected change in the event log (incremental sync does; the
    /// initial backfill does not, or a million "created" events would drown it).
    pub log_changes: bool,
}

/// What one write did to the mirror. Unchanged objects produce none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub kind: ObjectKind,
    pub id: String,
    /// The object was not in the mirror before.
    pub created: bool,
    pub deleted: bool,
}

/// The phase a kind's sync is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    /// Full backfill in progress; `cursor` is the page to resume from.
    Backfill,
    /// Backfill finished; runs fetch what changed after `high_water`.
    Incremental,
}

impl SyncPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncPhase::Backfill => "backfill",
            SyncPhase::Incremental => "incremental",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "backfill" => Some(SyncPhase::Backfill),
            "incremental" => Some(SyncPhase::Incremental),
            _ => None,
        }
    }
}

/// Durable progress of one kind's sync.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub kind: ObjectKind,
    pub phase: SyncPhase,
    /// Pagination cursor to resume a backfill or incremental run from.
    pub cursor: Option<String>,
    /// Objects updated at or before this time (Unix seconds) are in the mirror.
    pub high_water: i64,
    /// When the current run started; becomes the next `high_water` when it ends.
    pub run_started_at: Option<i64>,
    /// Objects written by the current run so far.
    pub run_items: u64,
    /// When a run of this kind last finished (Unix seconds).
    pub last_completed_at: Option<i64>,
}

/// One webhook notification as received.
#[derive(Clone, Debug)]
pub struct Notification {
    pub id: String,
    pub topic: String,
    pub created_at: i64,
    pub received_at: i64,
    /// The whole envelope as Intercom sent it.
    pub envelope: Value,
}

/// The fate of one notification handed to [`MirrorStore::record_notifications`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotificationOutcome {
    /// New: logged under `seq`, and the mirror changed as listed.
    Stored { seq: i64, changes: Vec<Change> },
    /// Already seen (Intercom delivers some notifications twice): nothing changed.
    Duplicate,
}

/// One entry of the event log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EventRecord {
    /// Position in the log; pass it back as `cursor` to read what came after.
    pub seq: i64,
    pub id: String,
    pub topic: String,
    /// `webhook` or `sync`.
    pub source: String,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// When Intercom says it happened (Unix seconds).
    pub occurred_at: i64,
    /// When this server recorded it (Unix seconds).
    pub received_at: i64,
    /// What changed, in words (`state open → closed`, `new note by Ann Lee`), when the
    /// mirror saw the object before and after.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
}

/// A filter over the event log.
#[derive(Clone, Debug, Default)]
pub struct EventQuery {
    /// Topic names or prefixes (`conversation.` matches every conversation topic); empty = all.
    pub topics: Vec<String>,
    /// Only events that occurred at or after this time (Unix seconds).
    pub since: Option<i64>,
    /// Only events after this log position.
    pub after_seq: Option<i64>,
    pub limit: usize,
}

/// One full-text search request (see `textsearch` for how it is matched).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ConversationTextSearch {
    /// Words that must all appear in one message of the conversation.
    pub text: String,
    /// An Intercom conversation search query, applied in the same query; `None` = no filter.
    pub filter: Option<Value>,
    /// Only conversations whose `sla_applied.sla_status` is this.
    pub sla_status: Option<String>,
    /// Page size, 1..=150.
    pub limit: usize,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One conversation that matched, with the message that matched.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConversationTextHit {
    /// The conversation as mirrored, without its parts.
    pub conversation: Value,
    /// The part that matched (`source-<id>` for the opening message).
    pub part_id: String,
    /// A short excerpt of that message around the words, matches in `[` `]`.
    pub snippet: String,
}

/// A page of matches, newest conversation first.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConversationTextPage {
    /// Every conversation that matches (all pages).
    pub total: u64,
    pub hits: Vec<ConversationTextHit>,
    /// Pass back as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// One full-text match.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextHit {
    pub conversation_id: String,
    /// The conversation part that matched (`source` for the opening message).
    pub part_id: String,
    pub snippet: String,
}

/// Counts and freshness of the mirror.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct MirrorStats {
    pub counts: BTreeMap<String, u64>,
    pub conversation_parts: u64,
    pub events: u64,
    /// Position of the newest event in the log.
    pub last_event_seq: Option<i64>,
    pub last_webhook_at: Option<i64>,
    pub checkpoints: Vec<Checkpoint>,
}

/// An object read back from the mirror.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredObject {
    pub raw: Value,
    /// When the mirror last wrote this object (Unix seconds).
    pub mirrored_at: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    #[error("mirror database error: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("mirror JSON error: {0}")]
    Json(#[from] serde_json::Error),
    #[error("mirror store at {path}: {message}")]
    Open { path: String, message: String },
    #[error("{0}")]
    Invalid(String),
    #[error("mirror task failed: {0}")]
    Task(String),
    /// A backend other than SQLite failed (the message names what and why).
    #[error("mirror database error: {0}")]
    Backend(String),
}

pub type MirrorResult<T> = Result<T, MirrorError>;

/// Storage behind the mirror. Every method is one short blocking call;
/// async callers go through [`super::Mirror`], which runs them off the runtime.
pub trait MirrorStore: Send + Sync + 'static {
    /// Apply writes (and the checkpoint they complete) atomically.
    fn apply(&self, batch: WriteBatch) -> MirrorResult<Vec<Change>>;
    /// Log notifications and apply their items, all in one transaction; duplicates change nothing.
    fn record_notifications(
        &self,
        notifications: Vec<Notification>,
    ) -> MirrorResult<Vec<NotificationOutcome>>;
    fn checkpoint(&self, kind: ObjectKind) -> MirrorResult<Option<Checkpoint>>;
    /// `updated_at` of those `ids` that are in the mirror.
    fn updated_at_of(&self, kind: ObjectKind, ids: &[String])
    -> MirrorResult<HashMap<String, i64>>;
    /// One object; conversations come back with their mirrored parts.
    fn get(&self, kind: ObjectKind, id: &str) -> MirrorResult<Option<StoredObject>>;
    /// Conversations whose parts (any of them) match every word of `query`, best first.
    fn search_text(&self, query: &str, limit: usize) -> MirrorResult<Vec<TextHit>>;
    /// Conversations with a message holding every word, filtered, counted and paged.
    fn search_conversations(
        &self,
        search: &ConversationTextSearch,
    ) -> MirrorResult<ConversationTextPage>;
    fn recent_events(&self, query: &EventQuery) -> MirrorResult<Vec<EventRecord>>;
    /// Events after log position `after_seq`, oldest first, each with the notification
    /// it came from (`None` for changes found by sync): what the automations engine follows.
    fn events_with_payload(
        &self,
        after_seq: i64,
        limit: usize,
    ) -> MirrorResult<Vec<(EventRecord, Option<Value>)>>;
    fn stats(&self) -> MirrorResult<MirrorStats>;
    /// Stream objects of `kind` updated at or after `since`, oldest first.
    fn export(
        &self,
        kind: ObjectKind,
        since: Option<i64>,
        sink: &mut dyn FnMut(Value) -> MirrorResult<()>,
    ) -> MirrorResult<u64>;
}

/// Whether an object whose stored `updated_at` is `previous` (`None`: not stored; `Some(None)`:
/// stored without one) changes version when written with `new`: what a store logs as a change.
pub fn is_newer_version(previous: Option<Option<i64>>, new: Option<i64>) -> bool {
    match (previous, new) {
        (None, _) => true,
        (Some(Some(old)), Some(new)) => new > old,
        (Some(None), Some(_)) => true,
        _ => false,
    }
}
