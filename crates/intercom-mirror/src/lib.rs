//! Local mirror of an Intercom workspace: storage, sync, export, the webhook
//! receiver and the change bus.
//!
//! [`Mirror`] is the handle the rest of the server uses. It owns a
//! [`MirrorStore`] (SQLite today) and a broadcast bus of [`ChangeEvent`]s that
//! live-update plumbing (resource subscriptions) listens to.

pub mod columns;
pub mod describe;
pub mod export;
pub mod sqlite;
pub mod store;
pub mod sync;
pub mod textsearch;
pub mod webhooks;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;
use tokio::sync::broadcast;

pub use sqlite::SqliteStore;
pub use store::*;

/// Environment variable naming the mirror file (same as `--store`).
pub const STORE_ENV: &str = "INTERCOM_MCP_STORE";
/// How many change events the bus buffers for a slow subscriber before it lags.
const BUS_CAPACITY: usize = 4096;

/// Unix seconds now.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The mirror file used when neither `--store` nor `INTERCOM_MCP_STORE` is given.
pub fn default_store_path() -> PathBuf {
    dirs::data_dir()
        .or_else(dirs::home_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("intercom-mcp")
        .join("mirror.sqlite3")
}

/// One object that changed in the mirror, as broadcast to live listeners.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChangeEvent {
    pub kind: ObjectKind,
    pub id: String,
    pub created: bool,
    pub deleted: bool,
    pub source: ChangeSource,
    /// The webhook topic, when a webhook caused the change.
    pub topic: Option<String>,
}

impl ChangeEvent {
    /// `intercom://conversations/{id}` and the like, for kinds exposed as MCP resources.
    pub fn resource_uri(&self) -> Option<String> {
        self.kind.resource_uri(&self.id)
    }

    fn from_change(change: Change, source: ChangeSource, topic: Option<String>) -> Self {
        Self {
            kind: change.kind,
            id: change.id,
            created: change.created,
            deleted: change.deleted,
            source,
            topic,
        }
    }
}

/// Handle to the mirror: storage plus the change bus. Cheap to clone.
#[derive(Clone)]
pub struct Mirror {
    store: Arc<dyn MirrorStore>,
    sqlite: Option<Arc<SqliteStore>>,
    /// What a backend offers beyond [`MirrorStore`] (e.g. its own reader for support
    /// metrics), found by type with [`Mirror::extension`].
    extension: Option<Arc<dyn std::any::Any + Send + Sync>>,
    bus: broadcast::Sender<ChangeEvent>,
    location: String,
}

impl std::fmt::Debug for Mirror {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mirror")
            .field("location", &self.location)
            .finish()
    }
}

impl Mirror {
    /// Open the SQLite mirror at `path` (created if missing).
    pub fn open_sqlite(path: &Path) -> MirrorResult<Self> {
        let store = Arc::new(SqliteStore::open(path)?);
        let (bus, _) = broadcast::channel(BUS_CAPACITY);
        Ok(Self {
            store: store.clone(),
            sqlite: Some(store),
            extension: None,
            bus,
            location: path.display().to_string(),
        })
    }

    /// Open the mirror named by `--store`, else `INTERCOM_MCP_STORE`, else the default path.
    pub fn open_configured(store: Option<&Path>) -> MirrorResult<Self> {
        let path = store
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os(STORE_ENV).map(PathBuf::from))
            .unwrap_or_else(default_store_path);
        Self::open_sqlite(&path)
    }

    /// Wrap another backend (the PostgreSQL store of a fleet).
    pub fn with_store(store: Arc<dyn MirrorStore>, location: String) -> Self {
        let (bus, _) = broadcast::channel(BUS_CAPACITY);
        Self {
            store,
            sqlite: None,
            extension: None,
            bus,
            location,
        }
    }

    /// Attach what the backend offers beyond [`MirrorStore`] (one value, found by its type).
    pub fn with_extension<T: Send + Sync + 'static>(mut self, extension: T) -> Self {
        self.extension = Some(Arc::new(extension));
        self
    }

    /// The backend's extension of type `T`, if it has one.
    pub fn extension<T: 'static>(&self) -> Option<&T> {
        self.extension.as_deref()?.downcast_ref::<T>()
    }

    /// Where the mirror lives (a file path for SQLite).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The SQLite backend, for callers that query it with SQL (analytics).
    pub fn sqlite(&self) -> Option<&SqliteStore> {
        self.sqlite.as_deref()
    }

    pub fn store(&self) -> &Arc<dyn MirrorStore> {
        &self.store
    }

    /// Receive every change from now on. Lagging receivers lose the oldest events
    /// (`RecvError::Lagged`) and should re-read what they watch.
    pub fn subscribe(&self) -> broadcast::Receiver<ChangeEvent> {
        self.bus.subscribe()
    }

    /// Broadcast changes applied to the store outside this handle (e.g. notifications another
    /// replica received, applied to this replica's copy).
    pub fn publish(&self, changes: Vec<Change>, source: ChangeSource, topic: Option<&str>) {
        for change in changes {
            // No receiver is fine: nobody is listening right now.
            let _ = self.bus.send(ChangeEvent::from_change(
                change,
                source,
                topic.map(str::to_string),
            ));
        }
    }

    /// Run a blocking store call off the async runtime.
    pub async fn run<T, F>(&self, f: F) -> MirrorResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn MirrorStore) -> MirrorResult<T> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|e| MirrorError::Task(e.to_string()))?
    }

    /// Apply a batch and broadcast what changed.
    pub async fn apply(
        &self,
        batch: WriteBatch,
        source: ChangeSource,
    ) -> MirrorResult<Vec<Change>> {
        let changes = self.run(move |s| s.apply(batch)).await?;
        self.publish(changes.clone(), source, None);
        Ok(changes)
    }

    /// Persist notifications (one transaction) and broadcast what they changed.
    pub async fn record_notifications(
        &self,
        notifications: Vec<Notification>,
    ) -> MirrorResult<Vec<NotificationOutcome>> {
        let topics: Vec<String> = notifications.iter().map(|n| n.topic.clone()).collect();
        let outcomes = self
            .run(move |s| s.record_notifications(notifications))
            .await?;
        for (outcome, topic) in outcomes.iter().zip(&topics) {
            if let NotificationOutcome::Stored { changes, .. } = outcome {
                self.publish(changes.clone(), ChangeSource::Webhook, Some(topic));
            }
        }
        Ok(outcomes)
    }

    /// Conversation ids whose parts match every word of `query`, best match first.
    pub async fn search_text(&self, query: &str, limit: usize) -> MirrorResult<Vec<String>> {
        let hits = self.search_text_hits(query, limit).await?;
        Ok(hits.into_iter().map(|h| h.conversation_id).collect())
    }

    /// Like [`Mirror::search_text`], with the matching part and a snippet.
    pub async fn search_text_hits(&self, query: &str, limit: usize) -> MirrorResult<Vec<TextHit>> {
        let query = query.to_string();
        self.run(move |s| s.search_text(&query, limit)).await
    }

    /// Conversations with a message holding every word of `search.text`, with Intercom
    /// search filters applied in the same query: exact total, cursor paging, snippets.
    pub async fn search_conversations(
        &self,
        search: textsearch::ConversationTextSearch,
    ) -> MirrorResult<textsearch::ConversationTextPage> {
        self.run(move |s| s.search_conversations(&search)).await
    }

    /// One object from the mirror, with how old the mirror's copy is.
    pub async fn get(&self, kind: ObjectKind, id: &str) -> MirrorResult<Option<StoredObject>> {
        let id = id.to_string();
        self.run(move |s| s.get(kind, &id)).await
    }

    pub async fn stats(&self) -> MirrorResult<MirrorStats> {
        self.run(|s| s.stats()).await
    }

    pub async fn recent_events(&self, query: EventQuery) -> MirrorResult<Vec<EventRecord>> {
        self.run(move |s| s.recent_events(&query)).await
    }

    /// Events after `after_seq` with the notifications they came from, oldest first.
    pub async fn events_with_payload(
        &self,
        after_seq: i64,
        limit: usize,
    ) -> MirrorResult<Vec<(EventRecord, Option<Value>)>> {
        self.run(move |s| s.events_with_payload(after_seq, limit))
            .await
    }

    /// Seconds since the mirror last heard of `kind` changing (a finished sync run
    /// or a webhook), or `None` if it never has: the "mirror age" tool results report.
    pub async fn age_seconds(&self, kind: ObjectKind) -> MirrorResult<Option<i64>> {
        let stats = self.stats().await?;
        let synced = stats
            .checkpoints
            .iter()
            .find(|c| c.kind == kind)
            .and_then(|c| c.last_completed_at);
        let latest = match (synced, stats.last_webhook_at) {
            // A webhook only proves freshness once a full sync has laid the base.
            (Some(s), Some(w)) => Some(s.max(w)),
            (Some(s), None) => Some(s),
            (None, _) => None,
        };
        Ok(latest.map(|t| (now_unix() - t).max(0)))
    }
}

/// Where a tool result's data came from, for the `source` field tool results carry.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct DataSource {
    /// `api` or `mirror`.
    pub source: &'static str,
    /// For `mirror`: seconds since the mirror was last brought up to date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mirror_age_seconds: Option<i64>,
}

impl DataSource {
    pub fn api() -> Self {
        Self {
            source: "api",
            mirror_age_seconds: None,
        }
    }

    pub fn mirror(age_seconds: Option<i64>) -> Self {
        Self {
            source: "mirror",
            mirror_age_seconds: age_seconds,
        }
    }
}
