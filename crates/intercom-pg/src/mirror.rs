//! A replica's mirror in a fleet ([`FleetMirrorStore`], an `intercom_mirror::MirrorStore`):
//! the event log is the fleet's (PostgreSQL), objects and full-text search stay in the
//! replica's own SQLite file.
//!
//! - A webhook notification is appended to the shared log first: stored once whichever replica
//!   received it (a redelivery to any replica is a duplicate), then applied to the local copy.
//! - [`follow`] applies every notification another replica stored to this replica's copy and
//!   broadcasts the change to this replica's subscribers, in log order, resuming after a restart
//!   from the last sequence it handled (kept in the database per replica).
//! - Changes found by a sync are logged under ids made of object and version, so two replicas
//!   finding the same change log it once.
//! - Reading the event log (recent events, the automations engine) reads the shared one: its
//!   sequence is the fleet's.

use std::collections::HashMap;
use std::sync::Arc;

use intercom_mirror::sqlite::notification_write;
use intercom_mirror::{
    Change, ChangeSource, Checkpoint, ConversationTextPage, ConversationTextSearch, EventQuery,
    EventRecord, Mirror, MirrorError, MirrorResult, MirrorStats, MirrorStore, MirrorWrite,
    Notification, NotificationOutcome, ObjectKind, SqliteStore, StoredObject, TextHit, WriteBatch,
};
use serde_json::Value;
use tokio::runtime::{Handle, RuntimeFlavor};

use crate::db::Database;
use crate::events::{Appended, EventLog, NewEvent, StoredEvent};

/// Events a follower handles between two saves of its position.
const SAVE_EVERY: u32 = 50;
/// Most events a follower applies to the local copy in one transaction.
const BATCH: usize = 200;

/// The mirror store of one replica of a fleet.
pub struct FleetMirrorStore {
    local: Arc<SqliteStore>,
    db: Database,
    log: EventLog,
    runtime: Handle,
}

impl std::fmt::Debug for FleetMirrorStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FleetMirrorStore")
            .field("local", &self.local.path())
            .field("events", &self.db.target())
            .finish()
    }
}

fn pg_error(e: crate::Error) -> MirrorError {
    MirrorError::Invalid(format!("the fleet's event log: {e}"))
}

impl FleetMirrorStore {
    /// Must be called inside a Tokio runtime (its handle runs the database calls).
    pub fn new(local: Arc<SqliteStore>, db: Database) -> Self {
        Self {
            local,
            log: EventLog::new(db.clone()),
            db,
            runtime: Handle::current(),
        }
    }

    pub fn local(&self) -> &Arc<SqliteStore> {
        &self.local
    }

    /// Runs a database call from the store's blocking methods (called off the async workers by
    /// `Mirror`, but also directly from async code by some callers).
    fn block<F: std::future::Future>(&self, f: F) -> F::Output {
        match Handle::try_current() {
            Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| h.block_on(f))
            }
            _ => self.runtime.block_on(f),
        }
    }

    fn webhook_event(note: &Notification) -> NewEvent {
        let item = note
            .envelope
            .pointer("/data/item")
            .cloned()
            .unwrap_or(Value::Null);
        let (object_type, object_id) = match notification_write(&note.topic, &item) {
            Some(MirrorWrite::Upsert(kind, _)) => {
                (Some(kind.singular().to_string()), item_id(&item))
            }
            Some(MirrorWrite::Delete(kind, id)) => (Some(kind.singular().to_string()), Some(id)),
            None => (None, item_id(&item)),
        };
        NewEvent {
            id: note.id.clone(),
            topic: note.topic.clone(),
            source: "webhook".into(),
            object_type,
            object_id,
            occurred_at: note.created_at,
            received_at: note.received_at,
            payload: Some(note.envelope.clone()),
        }
    }
}

fn item_id(item: &Value) -> Option<String> {
    match item.get("id")? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn record(e: &StoredEvent) -> EventRecord {
    EventRecord {
        seq: e.seq,
        id: e.id.clone(),
        topic: e.topic.clone(),
        source: e.source.clone(),
        object_type: e.object_type.clone(),
        object_id: e.object_id.clone(),
        occurred_at: e.occurred_at,
        received_at: e.received_at,
        changed: changed_words(e.payload.as_ref()),
    }
}

/// The `changed` words a sync event's payload carries.
fn changed_words(payload: Option<&Value>) -> Vec<String> {
    payload
        .and_then(|p| p.get("changed"))
        .and_then(|c| serde_json::from_value(c.clone()).ok())
        .unwrap_or_default()
}

impl MirrorStore for FleetMirrorStore {
    fn apply(&self, batch: WriteBatch) -> MirrorResult<Vec<Change>> {
        let log_changes = batch.log_changes;
        let before = if log_changes {
            self.local.stats()?.last_event_seq.unwrap_or(0)
        } else {
            0
        };
        let changes = self.local.apply(batch)?;
        if log_changes && !changes.is_empty() {
            // The changes this batch logged locally, now logged for the fleet (ids carry the
            // object's version, so another replica's sync of the same change is a duplicate).
            let logged = self
                .local
                .events_with_payload(before, changes.len() * 2 + 16)?;
            self.block(async {
                for (event, payload) in logged.into_iter().filter(|(e, _)| e.source == "sync") {
                    self.log
                        .append(&NewEvent {
                            id: event.id,
                            topic: event.topic,
                            source: event.source,
                            object_type: event.object_type,
                            object_id: event.object_id,
                            occurred_at: event.occurred_at,
                            received_at: event.received_at,
                            // `{"changed": [...]}`: what the change was, in words.
                            payload,
                        })
                        .await
                        .map_err(pg_error)?;
                }
                Ok::<_, MirrorError>(())
            })?;
        }
        Ok(changes)
    }

    fn record_notifications(
        &self,
        notifications: Vec<Notification>,
    ) -> MirrorResult<Vec<NotificationOutcome>> {
        // One append for the whole batch (the receiver groups concurrent deliveries), then one
        // local transaction. Applied to this replica's copy either way: a duplicate may be one
        // another replica stored that this one has not applied yet; the shared log says
        // whether it is new.
        let events: Vec<NewEvent> = notifications.iter().map(Self::webhook_event).collect();
        let appended = self
            .block(self.log.append_many(&events))
            .map_err(pg_error)?;
        let local = self.local.record_notifications(notifications)?;
        let outcomes = appended
            .into_iter()
            .zip(local)
            .map(|(shared, local)| match shared {
                Appended::New(seq) => NotificationOutcome::Stored {
                    seq,
                    changes: match local {
                        NotificationOutcome::Stored { changes, .. } => changes,
                        NotificationOutcome::Duplicate => Vec::new(),
                    },
                },
                Appended::Duplicate(_) => NotificationOutcome::Duplicate,
            })
            .collect();
        Ok(outcomes)
    }

    fn checkpoint(&self, kind: ObjectKind) -> MirrorResult<Option<Checkpoint>> {
        self.local.checkpoint(kind)
    }

    fn updated_at_of(
        &self,
        kind: ObjectKind,
        ids: &[String],
    ) -> MirrorResult<HashMap<String, i64>> {
        self.local.updated_at_of(kind, ids)
    }

    fn get(&self, kind: ObjectKind, id: &str) -> MirrorResult<Option<StoredObject>> {
        self.local.get(kind, id)
    }

    fn search_text(&self, query: &str, limit: usize) -> MirrorResult<Vec<TextHit>> {
        self.local.search_text(query, limit)
    }

    fn search_conversations(
        &self,
        search: &ConversationTextSearch,
    ) -> MirrorResult<ConversationTextPage> {
        self.local.search_conversations(search)
    }

    fn recent_events(&self, query: &EventQuery) -> MirrorResult<Vec<EventRecord>> {
        let topics: Vec<String> = query.topics.clone();
        let exact: Vec<String> = topics
            .iter()
            .filter(|t| !t.ends_with('.'))
            .cloned()
            .collect();
        let prefixes: Vec<String> = topics
            .iter()
            .filter(|t| t.ends_with('.'))
            .cloned()
            .collect();
        let (after, since, limit) = (
            query.after_seq.unwrap_or(0),
            query.since.unwrap_or(i64::MIN),
            query.limit.max(1) as i64,
        );
        self.block(async {
            let client = self.db.client().await.map_err(pg_error)?;
            let rows = client
                .query(
                    "SELECT seq, id, topic, source, object_type, object_id, occurred_at, received_at,
                            payload
                     FROM events
                     WHERE seq > $1 AND occurred_at >= $2
                       AND (cardinality($3::text[]) + cardinality($4::text[]) = 0
                            OR topic = ANY($3) OR EXISTS (SELECT 1 FROM unnest($4::text[]) p
                                                          WHERE starts_with(topic, p)))
                     ORDER BY seq LIMIT $5",
                    &[&after, &since, &exact, &prefixes, &limit],
                )
                .await
                .map_err(|e| pg_error(self.db.redactor().query("read events", &e)))?;
            Ok(rows
                .iter()
                .map(|r| EventRecord {
                    seq: r.get(0),
                    id: r.get(1),
                    topic: r.get(2),
                    source: r.get(3),
                    object_type: r.get(4),
                    object_id: r.get(5),
                    occurred_at: r.get(6),
                    received_at: r.get(7),
                    changed: changed_words(r.get::<_, Option<Value>>(8).as_ref()),
                })
                .collect())
        })
    }

    fn events_with_payload(
        &self,
        after_seq: i64,
        limit: usize,
    ) -> MirrorResult<Vec<(EventRecord, Option<Value>)>> {
        let events = self
            .block(self.log.after(after_seq, limit.max(1) as i64))
            .map_err(pg_error)?;
        Ok(events
            .into_iter()
            .map(|e| (record(&e), e.payload))
            .collect())
    }

    fn stats(&self) -> MirrorResult<MirrorStats> {
        let mut stats = self.local.stats()?;
        let (events, last, webhook) = self.block(async {
            let client = self.db.client().await.map_err(pg_error)?;
            let row = client
                .query_one(
                    // The newest webhook's arrival: walking the log back from its end finds it
                    // at once while webhooks flow.
                    "SELECT count(*), max(seq),
                            (SELECT received_at FROM events WHERE source = 'webhook'
                             ORDER BY seq DESC LIMIT 1)
                     FROM events",
                    &[],
                )
                .await
                .map_err(|e| pg_error(self.db.redactor().query("count events", &e)))?;
            Ok::<_, MirrorError>((
                row.get::<_, i64>(0),
                row.get::<_, Option<i64>>(1),
                row.get::<_, Option<i64>>(2),
            ))
        })?;
        stats.events = events as u64;
        stats.last_event_seq = last;
        stats.last_webhook_at = webhook;
        Ok(stats)
    }

    fn export(
        &self,
        kind: ObjectKind,
        since: Option<i64>,
        sink: &mut dyn FnMut(Value) -> MirrorResult<()>,
    ) -> MirrorResult<u64> {
        self.local.export(kind, since, sink)
    }
}

/// A replica's mirror: the fleet's event log, this replica's SQLite copy of the objects.
pub fn fleet_mirror(local: Arc<SqliteStore>, db: Database, location: String) -> Mirror {
    let store = Arc::new(FleetMirrorStore::new(local.clone(), db));
    Mirror::with_local_sqlite(store, local, location)
}

/// Applies every notification stored in the fleet's log to this replica's copy and broadcasts
/// what changed to this replica's subscribers, in log order, from where `replica` last stopped.
/// Runs until the task is dropped; reconnects by itself.
pub async fn follow(mirror: Mirror, local: Arc<SqliteStore>, db: Database, replica: String) {
    let key = format!("mirror_follower:{replica}");
    let start = loop {
        match follower_position(&db, &key).await {
            Ok(c) => break c.unwrap_or(0),
            Err(e) => {
                tracing::warn!(error = %e, "the mirror follower could not read its position; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            }
        }
    };
    let mut subscription = EventLog::new(db.clone()).subscribe(start);
    // The position is saved every SAVE_EVERY events, and within a second of the last one, not
    // after each: after a restart the few events handled since are applied again, and the
    // local copy finds them duplicates.
    let (mut handled, mut unsaved) = (start, 0u32);
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        let event = tokio::select! {
            event = subscription.next() => match event {
                Some(event) => event,
                None => return,
            },
            _ = tick.tick() => {
                if unsaved > 0 {
                    save_position(&db, &key, handled).await;
                    unsaved = 0;
                }
                continue;
            }
        };
        // What has been read already goes in one local transaction with it.
        let mut batch = vec![event];
        while batch.len() < BATCH {
            match subscription.ready() {
                Some(event) => batch.push(event),
                None => break,
            }
        }
        handled = batch.last().map_or(handled, |e| e.seq);
        unsaved += batch.len() as u32;
        apply_fleet_events(&mirror, &local, batch).await;
        if unsaved >= SAVE_EVERY {
            save_position(&db, &key, handled).await;
            unsaved = 0;
        }
    }
}

/// Applies webhooks other replicas stored to this replica's copy (one transaction) and
/// broadcasts what changed (nothing for those the copy has already). Sync changes are each
/// replica's own sync's to apply.
async fn apply_fleet_events(mirror: &Mirror, local: &Arc<SqliteStore>, events: Vec<StoredEvent>) {
    let first = events.first().map_or(0, |e| e.seq);
    let notes: Vec<Notification> = events
        .into_iter()
        .filter(|e| e.source == "webhook")
        .filter_map(|e| {
            Some(Notification {
                envelope: e.payload?,
                id: e.id,
                topic: e.topic,
                created_at: e.occurred_at,
                received_at: e.received_at,
            })
        })
        .collect();
    if notes.is_empty() {
        return;
    }
    let topics: Vec<String> = notes.iter().map(|n| n.topic.clone()).collect();
    let local = local.clone();
    match tokio::task::spawn_blocking(move || local.record_notifications(notes)).await {
        Ok(Ok(outcomes)) => {
            for (outcome, topic) in outcomes.into_iter().zip(&topics) {
                if let NotificationOutcome::Stored { changes, .. } = outcome {
                    mirror.publish(changes, ChangeSource::Webhook, Some(topic));
                }
            }
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, from_seq = first, "could not apply fleet events to the local mirror")
        }
        Err(e) => tracing::warn!(error = %e, from_seq = first, "applying fleet events failed"),
    }
}

async fn save_position(db: &Database, key: &str, seq: i64) {
    let save = async {
        let client = db.client().await?;
        client
            .execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                &[&key, &seq.to_string()],
            )
            .await
            .map_err(|e| db.redactor().query("save the follower position", &e))?;
        Ok::<_, crate::Error>(())
    };
    if let Err(e) = save.await {
        tracing::warn!(error = %e, seq, "the mirror follower could not save its position");
    }
}

async fn follower_position(db: &Database, key: &str) -> crate::Result<Option<i64>> {
    let client = db.client().await?;
    let row = client
        .query_opt("SELECT value FROM meta WHERE key = $1", &[&key])
        .await
        .map_err(|e| db.redactor().query("read the follower position", &e))?;
    Ok(row.and_then(|r| r.get::<_, String>(0).parse::<i64>().ok()))
}
