//! The mirror in PostgreSQL ([`PgMirrorStore`], an `intercom_mirror::MirrorStore`): objects,
//! conversation parts with full-text search, the event log and the sync checkpoints, one copy
//! that every replica of a fleet reads and writes.
//!
//! - Objects keep their raw JSON (JSONB) and the typed columns the SQLite store keeps (the same
//!   extraction, `intercom_mirror::columns`); an upsert changes nothing when the JSON is the
//!   same, and an older copy never overwrites a newer one.
//! - Full-text search: a generated `tsvector` column over each part's plain text (`simple`
//!   configuration: whole lower-cased words, like the SQLite index) with a GIN index.
//! - A webhook notification is stored once in the fleet's event log, whichever replica received
//!   it, in the same transaction as the change it makes to the objects.
//! - [`follow`] tells this replica's subscribers about changes other replicas stored (the
//!   objects are already shared; only the broadcast is per replica).
//!
//! The trait is synchronous: each method runs its queries on the Tokio runtime it was created
//! in (`Mirror` calls it off the async workers).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use intercom_mirror::columns::{column_names, column_values, id_string, plain_text};
use intercom_mirror::sqlite::{attach_parts, notification_write, snippet, take_parts};
use intercom_mirror::{
    Change, ChangeSource, Checkpoint, ConversationTextPage, ConversationTextSearch, EventQuery,
    EventRecord, Mirror, MirrorError, MirrorResult, MirrorStats, MirrorStore, MirrorWrite,
    Notification, NotificationOutcome, ObjectKind, StoredObject, SyncPhase, TextHit, WriteBatch,
    now_unix,
};
use parking_lot::Mutex;
use rusqlite::types::Value as Sql;
use serde_json::{Map, Value, json};
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio_postgres::GenericClient;

use crate::db::Database;
use crate::events::{Appended, EventLog, NewEvent, StoredEvent, append_in};

/// Full-text queries matching more parts than this are ordered by recency, not rank.
const RANK_AT_MOST_MATCHES: i64 = 20_000;
/// Events a follower handles between two saves of its position.
const SAVE_EVERY: u32 = 50;
/// Rows an export reads per query.
const EXPORT_PAGE: i64 = 1_000;

/// The mirror of a fleet, in PostgreSQL.
pub struct PgMirrorStore {
    db: Database,
    log: EventLog,
    runtime: Handle,
    /// Sequence numbers of events this store appended (and so already broadcast on this
    /// replica); [`follow`] skips them.
    own: Mutex<BTreeSet<i64>>,
}

impl std::fmt::Debug for PgMirrorStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgMirrorStore")
            .field("database", &self.db.target())
            .finish()
    }
}

impl PgMirrorStore {
    /// Must be called inside a Tokio runtime (its handle runs the database calls).
    pub fn new(db: Database) -> Self {
        Self {
            log: EventLog::new(db.clone()),
            db,
            runtime: Handle::current(),
            own: Mutex::new(BTreeSet::new()),
        }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Runs a database call from the store's blocking methods (called off the async workers by
    /// `Mirror`, but also directly from async code by some callers).
    pub(crate) fn run_blocking<F: std::future::Future>(&self, f: F) -> F::Output {
        self.block(f)
    }

    fn block<F: std::future::Future>(&self, f: F) -> F::Output {
        match Handle::try_current() {
            Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| h.block_on(f))
            }
            _ => self.runtime.block_on(f),
        }
    }

    pub(crate) fn query_error(
        &self,
        what: &'static str,
    ) -> impl Fn(tokio_postgres::Error) -> MirrorError + '_ {
        self.err(what)
    }

    fn err(&self, what: &'static str) -> impl Fn(tokio_postgres::Error) -> MirrorError + '_ {
        move |e| MirrorError::Backend(self.db.redactor().query(what, &e).to_string())
    }

    pub(crate) async fn pooled(&self) -> MirrorResult<deadpool_postgres::Object> {
        self.client().await
    }

    async fn client(&self) -> MirrorResult<deadpool_postgres::Object> {
        self.db
            .client()
            .await
            .map_err(|e| MirrorError::Backend(e.to_string()))
    }

    /// Whether this store appended event `seq` (then forgets it, and anything older).
    fn take_own(&self, seq: i64) -> bool {
        let mut own = self.own.lock();
        let mine = own.remove(&seq);
        *own = own.split_off(&seq);
        mine
    }

    fn remember_own(&self, appended: &[Appended]) {
        let mut own = self.own.lock();
        for a in appended {
            if let Appended::New(seq) = a {
                own.insert(*seq);
            }
        }
    }

    async fn apply_write(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
        write: &MirrorWrite,
        now: i64,
    ) -> MirrorResult<Option<Applied>> {
        match write {
            MirrorWrite::Upsert(kind, raw) => self.upsert(tx, *kind, raw, now).await,
            MirrorWrite::Delete(kind, id) => self.delete(tx, *kind, id).await,
        }
    }

    async fn upsert(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
        kind: ObjectKind,
        raw: &Value,
        now: i64,
    ) -> MirrorResult<Option<Applied>> {
        let Some(id) = raw.get("id").and_then(id_string) else {
            return Err(MirrorError::Invalid(format!(
                "a {} without an id cannot be mirrored",
                kind.singular()
            )));
        };
        let new_updated = raw.get("updated_at").and_then(Value::as_i64);
        let table = kind.plural();
        let stored = tx
            .query_opt(
                &format!(
                    "SELECT {}, raw FROM {table} WHERE id = $1",
                    if kind.has_updated_at() {
                        "updated_at"
                    } else {
                        "NULL::bigint"
                    }
                ),
                &[&id],
            )
            .await
            .map_err(self.err("read a mirrored object"))?
            .map(|r| (r.get::<_, Option<i64>>(0), r.get::<_, Value>(1)));
        let previous: Option<Option<i64>> = stored.as_ref().map(|(updated, _)| *updated);
        // An older copy (a late webhook, a slow page) never overwrites a newer one.
        let stale = matches!((previous, new_updated), (Some(Some(old)), Some(new)) if new < old);

        let mut object = raw.clone();
        let parts = if kind == ObjectKind::Conversation {
            take_parts(&mut object, &id)
        } else {
            Vec::new()
        };
        let mut row_changed = false;
        if !stale {
            let record = row_record(kind, &id, &object, now);
            let names = column_names(kind);
            let updates: Vec<String> = names
                .iter()
                .chain(["raw", "mirrored_at"].iter())
                .map(|c| format!("{c} = excluded.{c}"))
                .collect();
            row_changed = tx
                .execute(
                    &format!(
                        "INSERT INTO {table} SELECT * FROM jsonb_populate_record(NULL::{table}, $1)
                         ON CONFLICT (id) DO UPDATE SET {}
                         WHERE {table}.raw IS DISTINCT FROM excluded.raw",
                        updates.join(", ")
                    ),
                    &[&record],
                )
                .await
                .map_err(self.err("store a mirrored object"))?
                > 0;
        }
        // Parts this conversation did not have yet, to name them in the event log.
        let known_parts: HashSet<String> = if stored.is_some() && !parts.is_empty() {
            tx.query(
                "SELECT id FROM conversation_parts WHERE conversation_id = $1",
                &[&id],
            )
            .await
            .map_err(self.err("read conversation parts"))?
            .iter()
            .map(|r| r.get(0))
            .collect()
        } else {
            HashSet::new()
        };
        let parts_changed = self.upsert_parts(tx, &id, &parts).await?;
        if !row_changed && !parts_changed {
            return Ok(None);
        }
        let changed = match &stored {
            Some((_, old)) if !stale => {
                let new_parts: Vec<&Value> = parts
                    .iter()
                    .filter(|p| {
                        p.get("id")
                            .and_then(id_string)
                            .is_some_and(|pid| !known_parts.contains(&pid))
                    })
                    .collect();
                intercom_mirror::describe::describe_change(kind, Some(old), &object, &new_parts)
            }
            _ => Vec::new(),
        };
        let created = previous.is_none();
        let newer = intercom_mirror::is_newer_version(previous, new_updated);
        Ok(Some(Applied {
            change: Change {
                kind,
                id,
                created,
                deleted: false,
            },
            logged_version: newer.then(|| new_updated.unwrap_or(now)),
            changed,
        }))
    }

    /// Inserts or updates `parts` in one statement; whether any row changed.
    async fn upsert_parts(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
        conversation_id: &str,
        parts: &[Value],
    ) -> MirrorResult<bool> {
        let mut ids = Vec::new();
        let mut types = Vec::new();
        let mut author_types = Vec::new();
        let mut author_ids = Vec::new();
        let mut created = Vec::new();
        let mut bodies = Vec::new();
        let mut raws = Vec::new();
        let mut seen = HashSet::new();
        for part in parts {
            let Some(part_id) = part.get("id").and_then(id_string) else {
                continue;
            };
            // One statement cannot touch a row twice: the last copy of a repeated id wins.
            if !seen.insert(part_id.clone()) {
                let at = ids.iter().position(|i| *i == part_id).unwrap_or(0);
                ids.remove(at);
                types.remove(at);
                author_types.remove(at);
                author_ids.remove(at);
                created.remove(at);
                bodies.remove(at);
                raws.remove(at);
            }
            ids.push(part_id);
            types.push(
                part.get("part_type")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            );
            author_types.push(
                part.pointer("/author/type")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            );
            author_ids.push(part.pointer("/author/id").and_then(id_string));
            created.push(part.get("created_at").and_then(Value::as_i64));
            bodies.push(plain_text(
                part.get("body").and_then(Value::as_str).unwrap_or_default(),
            ));
            raws.push(part.clone());
        }
        if ids.is_empty() {
            return Ok(false);
        }
        let n = tx
            .execute(
                "INSERT INTO conversation_parts
                     (id, conversation_id, part_type, author_type, author_id, created_at, body_text, raw)
                 SELECT id, $1, part_type, author_type, author_id, created_at, body_text, raw
                 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[],
                             $8::jsonb[]) WITH ORDINALITY
                      AS p(id, part_type, author_type, author_id, created_at, body_text, raw, n)
                 ORDER BY n
                 ON CONFLICT (id) DO UPDATE SET
                     part_type = excluded.part_type, author_type = excluded.author_type,
                     author_id = excluded.author_id, created_at = excluded.created_at,
                     body_text = excluded.body_text, raw = excluded.raw
                 WHERE conversation_parts.raw IS DISTINCT FROM excluded.raw",
                &[
                    &conversation_id,
                    &ids,
                    &types,
                    &author_types,
                    &author_ids,
                    &created,
                    &bodies,
                    &raws,
                ],
            )
            .await
            .map_err(self.err("store conversation parts"))?;
        Ok(n > 0)
    }

    async fn delete(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
        kind: ObjectKind,
        id: &str,
    ) -> MirrorResult<Option<Applied>> {
        let removed = tx
            .execute(
                &format!("DELETE FROM {} WHERE id = $1", kind.plural()),
                &[&id],
            )
            .await
            .map_err(self.err("delete a mirrored object"))?;
        if kind == ObjectKind::Conversation {
            tx.execute(
                "DELETE FROM conversation_parts WHERE conversation_id = $1",
                &[&id],
            )
            .await
            .map_err(self.err("delete conversation parts"))?;
        }
        Ok((removed > 0).then(|| Applied {
            change: Change {
                kind,
                id: id.to_string(),
                created: false,
                deleted: true,
            },
            logged_version: None,
            changed: Vec::new(),
        }))
    }

    async fn conversation_parts(
        &self,
        client: &impl GenericClient,
        id: &str,
    ) -> MirrorResult<Vec<Value>> {
        Ok(client
            .query(
                "SELECT raw FROM conversation_parts
                 WHERE conversation_id = $1 AND part_type IS DISTINCT FROM 'source'
                 ORDER BY created_at, pk",
                &[&id],
            )
            .await
            .map_err(self.err("read conversation parts"))?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    async fn read_checkpoint(
        &self,
        client: &impl GenericClient,
        kind: ObjectKind,
    ) -> MirrorResult<Option<Checkpoint>> {
        let row = client
            .query_opt(
                "SELECT phase, cursor, high_water, run_started_at, run_items, last_completed_at
                 FROM sync_checkpoints WHERE kind = $1",
                &[&kind.plural()],
            )
            .await
            .map_err(self.err("read a sync checkpoint"))?;
        Ok(row.map(|r| Checkpoint {
            kind,
            phase: SyncPhase::parse(r.get(0)).unwrap_or(SyncPhase::Backfill),
            cursor: r.get(1),
            high_water: r.get(2),
            run_started_at: r.get(3),
            run_items: r.get::<_, i64>(4).max(0) as u64,
            last_completed_at: r.get(5),
        }))
    }
}

/// A write that changed the mirror, with the version to log for sync events.
struct Applied {
    change: Change,
    logged_version: Option<i64>,
    changed: Vec<String>,
}

/// The row of `object` as a JSON record for `jsonb_populate_record`: its id, typed columns,
/// raw JSON and when it was mirrored.
fn row_record(kind: ObjectKind, id: &str, object: &Value, now: i64) -> Value {
    let mut row = Map::new();
    row.insert("id".into(), json!(id));
    for (name, value) in column_names(kind).iter().zip(column_values(kind, object)) {
        let v = match value {
            Sql::Integer(i) => json!(i),
            Sql::Real(f) => json!(f),
            // Lists of ids arrive as JSON text: stored as JSONB arrays.
            Sql::Text(t) if name.ends_with("_ids") => {
                serde_json::from_str(&t).unwrap_or_else(|_| json!([]))
            }
            Sql::Text(t) => json!(t),
            Sql::Null | Sql::Blob(_) => Value::Null,
        };
        row.insert((*name).into(), v);
    }
    row.insert("raw".into(), object.clone());
    row.insert("mirrored_at".into(), json!(now));
    Value::Object(row)
}

fn webhook_event(note: &Notification) -> NewEvent {
    let item = note
        .envelope
        .pointer("/data/item")
        .cloned()
        .unwrap_or(Value::Null);
    let (object_type, object_id) = match notification_write(&note.topic, &item) {
        Some(MirrorWrite::Upsert(kind, _)) => (
            Some(kind.singular().to_string()),
            item.get("id").and_then(id_string),
        ),
        Some(MirrorWrite::Delete(kind, id)) => (Some(kind.singular().to_string()), Some(id)),
        None => (None, item.get("id").and_then(id_string)),
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

fn sync_event(applied: &Applied, now: i64) -> Option<NewEvent> {
    let version = applied.logged_version?;
    let change = &applied.change;
    let verb = if change.created { "created" } else { "updated" };
    Some(NewEvent {
        id: format!("sync:{}:{}:{version}", change.kind.singular(), change.id),
        topic: format!("{}.{verb}", change.kind.singular()),
        source: "sync".into(),
        object_type: Some(change.kind.singular().into()),
        object_id: Some(change.id.clone()),
        occurred_at: version,
        received_at: now,
        payload: (!applied.changed.is_empty()).then(|| json!({ "changed": applied.changed })),
    })
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

impl MirrorStore for PgMirrorStore {
    fn apply(&self, batch: WriteBatch) -> MirrorResult<Vec<Change>> {
        let now = now_unix();
        self.block(async {
            let mut client = self.client().await?;
            let tx = client
                .transaction()
                .await
                .map_err(self.err("start a mirror transaction"))?;
            let mut changes = Vec::new();
            let mut events = Vec::new();
            for write in &batch.writes {
                if let Some(applied) = self.apply_write(&tx, write, now).await? {
                    if batch.log_changes
                        && let Some(event) = sync_event(&applied, now)
                    {
                        events.push(event);
                    }
                    changes.push(applied.change);
                }
            }
            if let Some(cp) = &batch.checkpoint {
                tx.execute(
                    "INSERT INTO sync_checkpoints
                         (kind, phase, cursor, high_water, run_started_at, run_items, last_completed_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (kind) DO UPDATE SET phase = excluded.phase, cursor = excluded.cursor,
                         high_water = excluded.high_water, run_started_at = excluded.run_started_at,
                         run_items = excluded.run_items, last_completed_at = excluded.last_completed_at",
                    &[
                        &cp.kind.plural(),
                        &cp.phase.as_str(),
                        &cp.cursor,
                        &cp.high_water,
                        &cp.run_started_at,
                        &(cp.run_items as i64),
                        &cp.last_completed_at,
                    ],
                )
                .await
                .map_err(self.err("save a sync checkpoint"))?;
            }
            // Logged last, so the fleet-wide append lock is held only for the commit. Their ids
            // carry the object's version: another replica's sync of the same change is a
            // duplicate.
            let appended = append_in(&tx, &events, self.db.redactor())
                .await
                .map_err(|e| MirrorError::Backend(e.to_string()))?;
            self.remember_own(&appended);
            tx.commit()
                .await
                .map_err(self.err("commit mirror writes"))?;
            Ok(changes)
        })
    }

    fn record_notifications(
        &self,
        notifications: Vec<Notification>,
    ) -> MirrorResult<Vec<NotificationOutcome>> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client
                .transaction()
                .await
                .map_err(self.err("start a mirror transaction"))?;
            let events: Vec<NewEvent> = notifications.iter().map(webhook_event).collect();
            // Stored once for the fleet: a notification another replica stored already is a
            // duplicate here too, and changes nothing.
            let appended = append_in(&tx, &events, self.db.redactor())
                .await
                .map_err(|e| MirrorError::Backend(e.to_string()))?;
            let mut outcomes = Vec::with_capacity(notifications.len());
            for (note, outcome) in notifications.iter().zip(&appended) {
                let Appended::New(seq) = *outcome else {
                    outcomes.push(NotificationOutcome::Duplicate);
                    continue;
                };
                let item = note
                    .envelope
                    .pointer("/data/item")
                    .cloned()
                    .unwrap_or(Value::Null);
                let changes = match notification_write(&note.topic, &item) {
                    Some(write) => self
                        .apply_write(&tx, &write, note.received_at)
                        .await?
                        .map(|applied| vec![applied.change])
                        .unwrap_or_default(),
                    None => Vec::new(),
                };
                outcomes.push(NotificationOutcome::Stored { seq, changes });
            }
            if let Some(latest) = notifications.iter().map(|n| n.received_at).max() {
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('last_webhook_at', $1)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value
                     WHERE meta.value::bigint < excluded.value::bigint",
                    &[&latest.to_string()],
                )
                .await
                .map_err(self.err("record the last webhook time"))?;
            }
            self.remember_own(&appended);
            tx.commit()
                .await
                .map_err(self.err("commit webhook notifications"))?;
            Ok(outcomes)
        })
    }

    fn checkpoint(&self, kind: ObjectKind) -> MirrorResult<Option<Checkpoint>> {
        self.block(async {
            let client = self.client().await?;
            self.read_checkpoint(&**client, kind).await
        })
    }

    fn updated_at_of(
        &self,
        kind: ObjectKind,
        ids: &[String],
    ) -> MirrorResult<HashMap<String, i64>> {
        let column = if kind.has_updated_at() {
            "updated_at"
        } else {
            "mirrored_at"
        };
        self.block(async {
            let client = self.client().await?;
            let rows = client
                .query(
                    &format!(
                        "SELECT id, {column} FROM {} WHERE id = ANY($1)",
                        kind.plural()
                    ),
                    &[&ids],
                )
                .await
                .map_err(self.err("read mirrored versions"))?;
            Ok(rows
                .iter()
                .map(|r| (r.get(0), r.get::<_, Option<i64>>(1).unwrap_or(0)))
                .collect())
        })
    }

    fn get(&self, kind: ObjectKind, id: &str) -> MirrorResult<Option<StoredObject>> {
        self.block(async {
            let client = self.client().await?;
            let Some(row) = client
                .query_opt(
                    &format!(
                        "SELECT raw, mirrored_at FROM {} WHERE id = $1",
                        kind.plural()
                    ),
                    &[&id],
                )
                .await
                .map_err(self.err("read a mirrored object"))?
            else {
                return Ok(None);
            };
            let mut raw: Value = row.get(0);
            if kind == ObjectKind::Conversation {
                let parts = self.conversation_parts(&**client, id).await?;
                attach_parts(&mut raw, parts);
            }
            Ok(Some(StoredObject {
                raw,
                mirrored_at: row.get(1),
            }))
        })
    }

    fn search_text(&self, query: &str, limit: usize) -> MirrorResult<Vec<TextHit>> {
        let words = intercom_mirror::textsearch::query_words(query);
        if words.is_empty() {
            return Err(MirrorError::Invalid(format!(
                "search text {query:?} has no words to look for; give one or more words"
            )));
        }
        let tsquery = words.join(" & ");
        let limit = limit.max(1);
        self.block(async {
            let client = self.client().await?;
            // Ranking costs time in proportion to the matches: when there are many, list the
            // most recently stored matches instead, which stops after `limit`.
            let matches: i64 = client
                .query_one(
                    "SELECT count(*) FROM (SELECT 1 FROM conversation_parts
                         WHERE body_tsv @@ to_tsquery('simple', $1) LIMIT $2) m",
                    &[&tsquery, &(RANK_AT_MOST_MATCHES + 1)],
                )
                .await
                .map_err(self.err("count full-text matches"))?
                .get(0);
            let order = if matches > RANK_AT_MOST_MATCHES {
                "pk DESC"
            } else {
                "ts_rank_cd(body_tsv, to_tsquery('simple', $1)) DESC, pk DESC"
            };
            let mut window = (limit * 4) as i64;
            loop {
                let rows = client
                    .query(
                        &format!(
                            "SELECT conversation_id, id, body_text FROM conversation_parts
                             WHERE body_tsv @@ to_tsquery('simple', $1) ORDER BY {order} LIMIT $2"
                        ),
                        &[&tsquery, &window],
                    )
                    .await
                    .map_err(self.err("search conversation parts"))?;
                let exhausted = (rows.len() as i64) < window;
                let mut hits: Vec<TextHit> = Vec::new();
                for row in &rows {
                    let conversation_id: String = row.get(0);
                    if hits.iter().any(|h| h.conversation_id == conversation_id) {
                        continue;
                    }
                    hits.push(TextHit {
                        conversation_id,
                        part_id: row.get(1),
                        snippet: snippet(row.get(2), &words),
                    });
                    if hits.len() == limit {
                        break;
                    }
                }
                if hits.len() == limit || exhausted {
                    return Ok(hits);
                }
                window *= 4;
            }
        })
    }

    fn search_conversations(
        &self,
        search: &ConversationTextSearch,
    ) -> MirrorResult<ConversationTextPage> {
        let plan = crate::pgsearch::plan(search)?;
        self.block(async {
            let client = self.client().await?;
            crate::pgsearch::run(&**client, plan, self.db.redactor()).await
        })
    }

    fn recent_events(&self, query: &EventQuery) -> MirrorResult<Vec<EventRecord>> {
        let exact: Vec<String> = query
            .topics
            .iter()
            .filter(|t| !t.ends_with('.'))
            .cloned()
            .collect();
        let prefixes: Vec<String> = query
            .topics
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
            let client = self.client().await?;
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
                .map_err(self.err("read events"))?;
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
            .map_err(|e| MirrorError::Backend(e.to_string()))?;
        Ok(events
            .into_iter()
            .map(|e| (record(&e), e.payload))
            .collect())
    }

    fn stats(&self) -> MirrorResult<MirrorStats> {
        self.block(async {
            let client = self.client().await?;
            let counts: Vec<String> = ObjectKind::ALL
                .iter()
                .map(|k| format!("(SELECT count(*) FROM {})", k.plural()))
                .collect();
            let row = client
                .query_one(
                    &format!(
                        "SELECT {}, (SELECT count(*) FROM conversation_parts),
                                (SELECT count(*) FROM events), (SELECT max(seq) FROM events),
                                (SELECT value FROM meta WHERE key = 'last_webhook_at')",
                        counts.join(", ")
                    ),
                    &[],
                )
                .await
                .map_err(self.err("count the mirror"))?;
            let mut stats = MirrorStats::default();
            let n = ObjectKind::ALL.len();
            for (i, kind) in ObjectKind::ALL.iter().enumerate() {
                stats
                    .counts
                    .insert(kind.plural().into(), row.get::<_, i64>(i).max(0) as u64);
            }
            stats.conversation_parts = row.get::<_, i64>(n).max(0) as u64;
            stats.events = row.get::<_, i64>(n + 1).max(0) as u64;
            stats.last_event_seq = row.get(n + 2);
            stats.last_webhook_at = row
                .get::<_, Option<String>>(n + 3)
                .and_then(|v| v.parse().ok());
            for kind in ObjectKind::ALL {
                if let Some(cp) = self.read_checkpoint(&**client, kind).await? {
                    stats.checkpoints.push(cp);
                }
            }
            Ok(stats)
        })
    }

    fn export(
        &self,
        kind: ObjectKind,
        since: Option<i64>,
        sink: &mut dyn FnMut(Value) -> MirrorResult<()>,
    ) -> MirrorResult<u64> {
        // Pages in (updated_at, id) order (id for kinds without updated_at), in one repeatable
        // read transaction so the export is one snapshot.
        let table = kind.plural();
        let sql = if kind.has_updated_at() {
            format!(
                "SELECT id, raw, COALESCE(updated_at, 0) FROM {table}
                 WHERE COALESCE(updated_at, 0) >= $1
                   AND (COALESCE(updated_at, 0), id COLLATE \"C\") > ($2, $3 COLLATE \"C\")
                 ORDER BY COALESCE(updated_at, 0), id COLLATE \"C\" LIMIT $4"
            )
        } else {
            format!(
                "SELECT id, raw, 0::bigint FROM {table}
                 WHERE $1::bigint IS NOT NULL AND $2::bigint IS NOT NULL
                   AND id COLLATE \"C\" > $3 COLLATE \"C\"
                 ORDER BY id COLLATE \"C\" LIMIT $4"
            )
        };
        let since = since.unwrap_or(i64::MIN);
        self.block(async {
            let mut client = self.client().await?;
            let tx = client
                .build_transaction()
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await
                .map_err(self.err("start an export"))?;
            let (mut after_at, mut after_id) = (i64::MIN, String::new());
            let mut count = 0u64;
            loop {
                let rows = tx
                    .query(&sql, &[&since, &after_at, &after_id, &EXPORT_PAGE])
                    .await
                    .map_err(self.err("export mirrored objects"))?;
                for row in &rows {
                    let id: String = row.get(0);
                    let mut raw: Value = row.get(1);
                    if kind == ObjectKind::Conversation {
                        attach_parts(&mut raw, self.conversation_parts(&*tx, &id).await?);
                    }
                    sink(raw)?;
                    count += 1;
                    after_at = row.get(2);
                    after_id = id;
                }
                if (rows.len() as i64) < EXPORT_PAGE {
                    break;
                }
            }
            Ok(count)
        })
    }
}

/// A replica's mirror on the fleet's PostgreSQL (objects, search, events, checkpoints).
pub fn pg_mirror(db: Database, location: String) -> (Mirror, Arc<PgMirrorStore>) {
    let store = Arc::new(PgMirrorStore::new(db));
    // Support metrics read the window's facts with their own query.
    let facts: Arc<dyn intercom_jobs::analytics::source::MirrorFacts> = store.clone();
    let mirror = Mirror::with_store(store.clone(), location).with_extension(facts);
    (mirror, store)
}

/// Tells this replica's subscribers about every change another replica stored in the fleet's
/// log (webhooks, and changes a sync on another replica found), in log order, from where
/// `replica` last stopped. Runs until the task is dropped; reconnects by itself.
pub async fn follow(mirror: Mirror, store: Arc<PgMirrorStore>, db: Database, replica: String) {
    let key = format!("mirror_follower:{replica}");
    let start = loop {
        let position = match follower_position(&db, &key).await {
            Ok(Some(c)) => Ok(c),
            // A replica new to the fleet starts at the end of the log (its subscribers are all
            // new), saved at once: a restart before its first event resumes there, missing nothing.
            Ok(None) => match EventLog::new(db.clone()).last_seq().await {
                Ok(end) => {
                    save_position(&db, &key, end).await;
                    Ok(end)
                }
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        match position {
            Ok(c) => break c,
            Err(e) => {
                tracing::warn!(error = %e, "the mirror follower could not read its position; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            }
        }
    };
    let mut subscription = EventLog::new(db.clone()).subscribe(start);
    // The position is saved every SAVE_EVERY events, and within a second of the last one: after
    // a restart the few events handled since are told again.
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
        handled = event.seq;
        unsaved += 1;
        if !store.take_own(event.seq)
            && let Some((change, source)) = event_change(&event)
        {
            mirror.publish(vec![change], source, Some(&event.topic));
        }
        if unsaved >= SAVE_EVERY {
            save_position(&db, &key, handled).await;
            unsaved = 0;
        }
    }
}

/// The change an event stands for, for subscribers.
fn event_change(event: &StoredEvent) -> Option<(Change, ChangeSource)> {
    let created = event.topic.ends_with(".created");
    match event.source.as_str() {
        "webhook" => {
            let item = event
                .payload
                .as_ref()?
                .pointer("/data/item")
                .cloned()
                .unwrap_or(Value::Null);
            let change = match notification_write(&event.topic, &item)? {
                MirrorWrite::Upsert(kind, raw) => Change {
                    kind,
                    id: raw.get("id").and_then(id_string)?,
                    created,
                    deleted: false,
                },
                MirrorWrite::Delete(kind, id) => Change {
                    kind,
                    id,
                    created: false,
                    deleted: true,
                },
            };
            Some((change, ChangeSource::Webhook))
        }
        "sync" => {
            let kind = ObjectKind::ALL
                .into_iter()
                .find(|k| Some(k.singular()) == event.object_type.as_deref())?;
            Some((
                Change {
                    kind,
                    id: event.object_id.clone()?,
                    created,
                    deleted: false,
                },
                ChangeSource::Sync,
            ))
        }
        _ => None,
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
