//! SQLite backend of the mirror: one file, WAL, one writer and a small pool of readers.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params, params_from_iter};
use serde_json::{Value, json};

use super::columns::{column_names, column_values, conversation_tag_ids, id_string, plain_text};
use super::now_unix;
use super::store::*;

const SCHEMA: &str = include_str!("schema.sql");
/// Per-term document counts of the full-text index, used to pick a query plan.
const VOCAB: &str =
    "CREATE VIRTUAL TABLE IF NOT EXISTS parts_vocab USING fts5vocab(parts_fts, 'row');";
const SCHEMA_VERSION: i64 = 1;
/// Full-text queries whose rarest word is in more parts than this are ordered by
/// recency instead of relevance, to stay fast (see `search_text`).
const RANK_AT_MOST_MATCHES: i64 = 20_000;
/// Readers kept open for reuse; more are opened on demand under load.
const IDLE_READERS: usize = 4;

pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteStore {
    /// Open (creating if needed) the mirror file at `path`.
    pub fn open(path: &Path) -> MirrorResult<Self> {
        let open_err = |message: String| MirrorError::Open {
            path: path.display().to_string(),
            message,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| open_err(format!("cannot create its directory: {e}")))?;
        }
        let writer = Connection::open(path).map_err(|e| open_err(e.to_string()))?;
        configure(&writer).map_err(|e| open_err(e.to_string()))?;
        migrate(&writer).map_err(|e| match e {
            MirrorError::Database(db) => open_err(db.to_string()),
            other => other,
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Run read-only SQL against the mirror (analytics use this; see docs/MIRROR.md).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> MirrorResult<T> {
        let conn = match self.readers.lock().pop() {
            Some(conn) => conn,
            None => {
                let conn = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                conn.busy_timeout(Duration::from_secs(5))?;
                conn
            }
        };
        let result = f(&conn);
        let mut idle = self.readers.lock();
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
        Ok(result?)
    }

    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> MirrorResult<T>) -> MirrorResult<T> {
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "mirror store could not switch to WAL mode");
    }
    // FULL: a commit is on disk before we acknowledge a webhook.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    Ok(())
}

fn migrate(conn: &Connection) -> MirrorResult<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    match version {
        0 => {
            conn.execute_batch(&format!(
                "BEGIN; {SCHEMA} {VOCAB} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            ))?;
            Ok(())
        }
        SCHEMA_VERSION => {
            conn.execute_batch(VOCAB)?;
            Ok(())
        }
        newer => Err(MirrorError::Invalid(format!(
            "the mirror store has schema version {newer}, newer than this build understands \
             ({SCHEMA_VERSION}); upgrade intercom-mcp or point --store at another file"
        ))),
    }
}

impl MirrorStore for SqliteStore {
    fn apply(&self, batch: WriteBatch) -> MirrorResult<Vec<Change>> {
        let now = now_unix();
        self.write(|tx| {
            let mut changes = Vec::new();
            for write in &batch.writes {
                let outcome = apply_write(tx, write, now)?;
                if let Some(applied) = outcome {
                    if batch.log_changes && applied.logged_version.is_some() {
                        log_sync_change(tx, &applied, now)?;
                    }
                    changes.push(applied.change);
                }
            }
            if let Some(checkpoint) = &batch.checkpoint {
                save_checkpoint(tx, checkpoint)?;
            }
            Ok(changes)
        })
    }

    fn record_notifications(
        &self,
        notifications: Vec<Notification>,
    ) -> MirrorResult<Vec<NotificationOutcome>> {
        self.write(|tx| {
            let mut outcomes = Vec::with_capacity(notifications.len());
            for note in &notifications {
                outcomes.push(record_notification(tx, note)?);
            }
            if let Some(latest) = notifications.iter().map(|n| n.received_at).max() {
                tx.execute(
                    "INSERT INTO meta(key, value) VALUES ('last_webhook_at', ?1)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    params![latest.to_string()],
                )?;
            }
            Ok(outcomes)
        })
    }

    fn checkpoint(&self, kind: ObjectKind) -> MirrorResult<Option<Checkpoint>> {
        self.read(|conn| {
            conn.query_row(
                "SELECT phase, cursor, high_water, run_started_at, run_items, last_completed_at
                 FROM sync_checkpoints WHERE kind = ?1",
                params![kind.plural()],
                |r| row_to_checkpoint(kind, r),
            )
            .optional()
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
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {column} FROM {} WHERE id = ?1",
                kind.plural()
            ))?;
            let mut found = HashMap::new();
            for id in ids {
                if let Some(at) = stmt
                    .query_row(params![id], |r| r.get::<_, Option<i64>>(0))
                    .optional()?
                {
                    found.insert(id.clone(), at.unwrap_or(0));
                }
            }
            Ok(found)
        })
    }

    fn get(&self, kind: ObjectKind, id: &str) -> MirrorResult<Option<StoredObject>> {
        let row = self.read(|conn| {
            conn.query_row(
                &format!(
                    "SELECT raw, mirrored_at FROM {} WHERE id = ?1",
                    kind.plural()
                ),
                params![id],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
            )
            .optional()
        })?;
        let Some((raw, mirrored_at)) = row else {
            return Ok(None);
        };
        let mut raw: Value = serde_json::from_str(&raw)?;
        if kind == ObjectKind::Conversation {
            let parts = self.read(|conn| conversation_parts(conn, id))?;
            attach_parts(&mut raw, parts);
        }
        Ok(Some(StoredObject { raw, mirrored_at }))
    }

    fn search_text(&self, query: &str, limit: usize) -> MirrorResult<Vec<TextHit>> {
        let words = query_words(query);
        if words.is_empty() {
            return Err(MirrorError::Invalid(format!(
                "search text {query:?} has no words to look for; give one or more words"
            )));
        }
        let fts_query = words
            .iter()
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(" ");
        let limit = limit.max(1);
        self.read(|conn| {
            // Ranking (bm25) costs time in proportion to the matches. An AND query matches
            // at most as many parts as its rarest word: when even that word is common, list
            // the most recently indexed matches instead, which stops after `limit`.
            let rarest = words
                .iter()
                .map(|w| {
                    conn.prepare_cached("SELECT doc FROM parts_vocab WHERE term = ?1")?
                        .query_row(params![w], |r| r.get::<_, i64>(0))
                        .optional()
                        .map(|n| n.unwrap_or(0))
                })
                .collect::<rusqlite::Result<Vec<_>>>()?
                .into_iter()
                .min()
                .unwrap_or(0);
            let (inner, outer) = if rarest > RANK_AT_MOST_MATCHES {
                ("rowid DESC", "m.hit DESC")
            } else {
                ("rank", "m.rank")
            };
            // Fetch ordered parts in growing windows until `limit` distinct conversations are found.
            let mut window = limit * 4;
            loop {
                let mut stmt = conn.prepare_cached(&format!(
                    "SELECT p.conversation_id, p.id, p.body_text
                     FROM (SELECT rowid AS hit, rank FROM parts_fts WHERE parts_fts MATCH ?1
                           ORDER BY {inner} LIMIT ?2) AS m
                     JOIN conversation_parts p ON p.pk = m.hit
                     ORDER BY {outer}"
                ))?;
                let rows = stmt
                    .query_map(params![fts_query, window as i64], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                        ))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let exhausted = rows.len() < window;
                let mut hits: Vec<TextHit> = Vec::new();
                for (conversation_id, part_id, body) in rows {
                    if hits.iter().any(|h| h.conversation_id == conversation_id) {
                        continue;
                    }
                    hits.push(TextHit {
                        conversation_id,
                        part_id,
                        snippet: snippet(&body, &words),
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

    fn events_with_payload(
        &self,
        after_seq: i64,
        limit: usize,
    ) -> MirrorResult<Vec<(EventRecord, Option<Value>)>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT seq, id, topic, source, object_type, object_id, occurred_at, received_at,
                        payload, json_extract(payload, '$.changed')
                 FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?;
            stmt.query_map(params![after_seq, limit.max(1) as i64], |r| {
                let payload: Option<String> = r.get(8)?;
                Ok((
                    EventRecord {
                        seq: r.get(0)?,
                        id: r.get(1)?,
                        topic: r.get(2)?,
                        source: r.get(3)?,
                        object_type: r.get(4)?,
                        object_id: r.get(5)?,
                        occurred_at: r.get(6)?,
                        received_at: r.get(7)?,
                        changed: changed_words(r.get(9)?),
                    },
                    payload.and_then(|p| serde_json::from_str(&p).ok()),
                ))
            })?
            .collect()
        })
    }

    fn search_conversations(
        &self,
        search: &crate::textsearch::ConversationTextSearch,
    ) -> MirrorResult<crate::textsearch::ConversationTextPage> {
        self.read(|conn| Ok(crate::textsearch::search(conn, search)))?
    }

    fn recent_events(&self, query: &EventQuery) -> MirrorResult<Vec<EventRecord>> {
        let mut sql = String::from(
            "SELECT seq, id, topic, source, object_type, object_id, occurred_at, received_at,
                    json_extract(payload, '$.changed')
             FROM events WHERE seq > ?1 AND occurred_at >= ?2",
        );
        let mut args: Vec<Sql> = vec![
            Sql::Integer(query.after_seq.unwrap_or(0)),
            Sql::Integer(query.since.unwrap_or(i64::MIN)),
        ];
        if !query.topics.is_empty() {
            let clauses: Vec<String> = query
                .topics
                .iter()
                .map(|topic| {
                    args.push(Sql::Text(topic.clone()));
                    let n = args.len();
                    if topic.ends_with('.') {
                        format!("substr(topic, 1, length(?{n})) = ?{n}")
                    } else {
                        format!("topic = ?{n}")
                    }
                })
                .collect();
            sql.push_str(&format!(" AND ({})", clauses.join(" OR ")));
        }
        sql.push_str(&format!(" ORDER BY seq LIMIT {}", query.limit.max(1)));
        self.read(|conn| {
            let mut stmt = conn.prepare(&sql)?;
            stmt.query_map(params_from_iter(args), |r| {
                Ok(EventRecord {
                    seq: r.get(0)?,
                    id: r.get(1)?,
                    topic: r.get(2)?,
                    source: r.get(3)?,
                    object_type: r.get(4)?,
                    object_id: r.get(5)?,
                    occurred_at: r.get(6)?,
                    received_at: r.get(7)?,
                    changed: changed_words(r.get(8)?),
                })
            })?
            .collect()
        })
    }

    fn stats(&self) -> MirrorResult<MirrorStats> {
        let mut stats = self.read(|conn| {
            let mut stats = MirrorStats::default();
            for kind in ObjectKind::ALL {
                let n: i64 = conn.query_row(
                    &format!("SELECT count(*) FROM {}", kind.plural()),
                    [],
                    |r| r.get(0),
                )?;
                stats.counts.insert(kind.plural().to_string(), n as u64);
            }
            stats.conversation_parts =
                conn.query_row("SELECT count(*) FROM conversation_parts", [], |r| {
                    r.get::<_, i64>(0)
                })? as u64;
            stats.events =
                conn.query_row("SELECT count(*) FROM events", [], |r| r.get::<_, i64>(0))? as u64;
            stats.last_event_seq = conn.query_row("SELECT max(seq) FROM events", [], |r| {
                r.get::<_, Option<i64>>(0)
            })?;
            stats.last_webhook_at = conn
                .query_row(
                    "SELECT value FROM meta WHERE key = 'last_webhook_at'",
                    [],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
                .and_then(|v| v.parse().ok());
            Ok(stats)
        })?;
        for kind in ObjectKind::ALL {
            if let Some(cp) = self.checkpoint(kind)? {
                stats.checkpoints.push(cp);
            }
        }
        Ok(stats)
    }

    fn export(
        &self,
        kind: ObjectKind,
        since: Option<i64>,
        sink: &mut dyn FnMut(Value) -> MirrorResult<()>,
    ) -> MirrorResult<u64> {
        let order = if kind.has_updated_at() {
            "updated_at, id"
        } else {
            "id"
        };
        let filter = if kind.has_updated_at() {
            "updated_at >= ?1"
        } else {
            "?1 IS NOT NULL OR 1"
        };
        // A dedicated connection: the export holds one read snapshot for its whole run.
        let conn = Connection::open_with_flags(&self.path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let mut stmt = conn.prepare(&format!(
            "SELECT id, raw FROM {} WHERE {filter} ORDER BY {order}",
            kind.plural()
        ))?;
        let mut rows = stmt.query(params![since.unwrap_or(i64::MIN)])?;
        let mut count = 0u64;
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let mut raw: Value = serde_json::from_str(&row.get::<_, String>(1)?)?;
            if kind == ObjectKind::Conversation {
                attach_parts(&mut raw, conversation_parts(&conn, &id)?);
            }
            sink(raw)?;
            count += 1;
        }
        Ok(count)
    }
}

/// A write that changed the mirror, with the version to log for sync events.
struct Applied {
    change: Change,
    /// `updated_at` when the object is new or newer than before (what sync logs).
    logged_version: Option<i64>,
    /// What changed, in words, for the event log.
    changed: Vec<String>,
}

fn apply_write(
    tx: &Transaction<'_>,
    write: &MirrorWrite,
    now: i64,
) -> MirrorResult<Option<Applied>> {
    match write {
        MirrorWrite::Upsert(kind, raw) => upsert(tx, *kind, raw, now),
        MirrorWrite::Delete(kind, id) => delete(tx, *kind, id),
    }
}

fn upsert(
    tx: &Transaction<'_>,
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
    let stored: Option<(Option<i64>, String)> = tx
        .prepare_cached(&format!(
            "SELECT {}, raw FROM {} WHERE id = ?1",
            if kind.has_updated_at() {
                "updated_at"
            } else {
                "NULL"
            },
            kind.plural()
        ))?
        .query_row(params![id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
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
        let names = column_names(kind);
        let mut values = column_values(kind, &object);
        let raw_text = serde_json::to_string(&object)?;
        let sql = upsert_sql(kind, names);
        values.insert(0, Sql::Text(id.clone()));
        values.push(Sql::Text(raw_text));
        values.push(Sql::Integer(now));
        row_changed = tx.prepare_cached(&sql)?.execute(params_from_iter(values))? > 0;
        if kind == ObjectKind::Conversation && row_changed {
            tx.prepare_cached("DELETE FROM conversation_tags WHERE conversation_id = ?1")?
                .execute(params![id])?;
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO conversation_tags(conversation_id, tag_id) VALUES (?1, ?2)",
            )?;
            for tag in conversation_tag_ids(&object) {
                insert.execute(params![id, tag])?;
            }
        }
    }
    // Parts this conversation did not have yet, to name them in the event log.
    let known_parts: HashSet<String> = if stored.is_some() && !parts.is_empty() {
        tx.prepare_cached("SELECT id FROM conversation_parts WHERE conversation_id = ?1")?
            .query_map(params![id], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    } else {
        HashSet::new()
    };
    let mut parts_changed = false;
    for part in &parts {
        parts_changed |= upsert_part(tx, &id, part)?;
    }
    if !row_changed && !parts_changed {
        return Ok(None);
    }
    let changed = match &stored {
        Some((_, old_raw)) if !stale => {
            let old: Option<Value> = serde_json::from_str(old_raw).ok();
            let new_parts: Vec<&Value> = parts
                .iter()
                .filter(|p| {
                    p.get("id")
                        .and_then(id_string)
                        .is_some_and(|pid| !known_parts.contains(&pid))
                })
                .collect();
            crate::describe::describe_change(kind, old.as_ref(), &object, &new_parts)
        }
        _ => Vec::new(),
    };
    let created = previous.is_none();
    let newer = crate::store::is_newer_version(previous, new_updated);
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

fn upsert_sql(kind: ObjectKind, names: &[&str]) -> String {
    let mut columns = vec!["id"];
    columns.extend_from_slice(names);
    columns.extend_from_slice(&["raw", "mirrored_at"]);
    let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
    let updates: Vec<String> = columns[1..]
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    format!(
        "INSERT INTO {table} ({cols}) VALUES ({vals})
         ON CONFLICT(id) DO UPDATE SET {updates} WHERE {table}.raw IS NOT excluded.raw",
        table = kind.plural(),
        cols = columns.join(", "),
        vals = placeholders.join(", "),
        updates = updates.join(", "),
    )
}

/// Split a conversation's parts (and its opening message, as part `source-<id>`) off its JSON.
pub fn take_parts(conversation: &mut Value, id: &str) -> Vec<Value> {
    let mut parts = Vec::new();
    if let Some(source) = conversation.get("source").filter(|s| s.is_object()) {
        parts.push(json!({
            "type": "conversation_part",
            "id": format!("source-{id}"),
            "part_type": "source",
            "body": source.get("body").cloned().unwrap_or(Value::Null),
            "created_at": conversation.get("created_at").cloned().unwrap_or(Value::Null),
            "author": source.get("author").cloned().unwrap_or(Value::Null),
        }));
    }
    if let Some(items) = conversation
        .as_object_mut()
        .and_then(|o| o.remove("conversation_parts"))
        .as_ref()
        .and_then(|list| list.get("conversation_parts"))
        .and_then(Value::as_array)
    {
        parts.extend(items.iter().cloned());
    }
    parts
}

fn upsert_part(tx: &Transaction<'_>, conversation_id: &str, part: &Value) -> MirrorResult<bool> {
    let Some(part_id) = part.get("id").and_then(id_string) else {
        return Ok(false);
    };
    let body = part.get("body").and_then(Value::as_str).unwrap_or_default();
    let changed = tx
        .prepare_cached(
            "INSERT INTO conversation_parts
                 (id, conversation_id, part_type, author_type, author_id, created_at, body_text, raw)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(id) DO UPDATE SET
                 part_type = excluded.part_type, author_type = excluded.author_type,
                 author_id = excluded.author_id, created_at = excluded.created_at,
                 body_text = excluded.body_text, raw = excluded.raw
             WHERE conversation_parts.raw IS NOT excluded.raw",
        )?
        .execute(params![
            part_id,
            conversation_id,
            part.get("part_type").and_then(Value::as_str),
            part.pointer("/author/type").and_then(Value::as_str),
            part.pointer("/author/id").and_then(id_string),
            part.get("created_at").and_then(Value::as_i64),
            plain_text(body),
            serde_json::to_string(part)?,
        ])?;
    Ok(changed > 0)
}

fn delete(tx: &Transaction<'_>, kind: ObjectKind, id: &str) -> MirrorResult<Option<Applied>> {
    let removed = tx.execute(
        &format!("DELETE FROM {} WHERE id = ?1", kind.plural()),
        params![id],
    )?;
    if kind == ObjectKind::Conversation {
        tx.execute(
            "DELETE FROM conversation_parts WHERE conversation_id = ?1",
            params![id],
        )?;
        tx.execute(
            "DELETE FROM conversation_tags WHERE conversation_id = ?1",
            params![id],
        )?;
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

/// The `changed` words of an event's payload (a JSON array), when it has them.
fn changed_words(json: Option<String>) -> Vec<String> {
    json.and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default()
}

/// Incremental sync logs what it found changed; the id makes a rerun of the same page log nothing new.
fn log_sync_change(tx: &Transaction<'_>, applied: &Applied, now: i64) -> MirrorResult<()> {
    let Some(version) = applied.logged_version else {
        return Ok(());
    };
    let change = &applied.change;
    let verb = if change.created { "created" } else { "updated" };
    tx.prepare_cached(
        "INSERT OR IGNORE INTO events
             (id, topic, source, object_type, object_id, occurred_at, received_at, payload)
         VALUES (?1, ?2, 'sync', ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        format!("sync:{}:{}:{version}", change.kind.singular(), change.id),
        format!("{}.{verb}", change.kind.singular()),
        change.kind.singular(),
        change.id,
        version,
        now,
        (!applied.changed.is_empty())
            .then(|| serde_json::json!({ "changed": applied.changed }).to_string()),
    ])?;
    Ok(())
}

/// Which mirror write a webhook notification asks for, if any.
pub fn notification_write(topic: &str, item: &Value) -> Option<MirrorWrite> {
    let prefix = topic.split('.').next().unwrap_or_default();
    let kind = match prefix {
        "conversation" | "conversation_part" => ObjectKind::Conversation,
        "ticket" => ObjectKind::Ticket,
        "contact" => ObjectKind::Contact,
        "company" => ObjectKind::Company,
        _ => return None,
    };
    let id = item.get("id").and_then(id_string)?;
    if topic.ends_with(".deleted") && topic.matches('.').count() == 1 {
        return Some(MirrorWrite::Delete(kind, id));
    }
    // Topics such as contact.user.tag.created carry a link object, not the object itself.
    let item_type = item.get("type").and_then(Value::as_str).unwrap_or_default();
    let is_object = match kind {
        ObjectKind::Contact => matches!(item_type, "contact" | "user" | "lead"),
        other => item_type == other.singular(),
    };
    is_object.then(|| MirrorWrite::Upsert(kind, item.clone()))
}

fn record_notification(
    tx: &Transaction<'_>,
    note: &Notification,
) -> MirrorResult<NotificationOutcome> {
    let item = note
        .envelope
        .pointer("/data/item")
        .cloned()
        .unwrap_or(Value::Null);
    let write = notification_write(&note.topic, &item);
    let (object_type, object_id) = match &write {
        Some(MirrorWrite::Upsert(kind, _)) => {
            (Some(kind.singular()), item.get("id").and_then(id_string))
        }
        Some(MirrorWrite::Delete(kind, id)) => (Some(kind.singular()), Some(id.clone())),
        None => (None, item.get("id").and_then(id_string)),
    };
    let inserted = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO events
                 (id, topic, source, object_type, object_id, occurred_at, received_at, payload)
             VALUES (?1, ?2, 'webhook', ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            note.id,
            note.topic,
            object_type,
            object_id,
            note.created_at,
            note.received_at,
            serde_json::to_string(&note.envelope)?,
        ])?;
    if inserted == 0 {
        return Ok(NotificationOutcome::Duplicate);
    }
    let seq = tx.last_insert_rowid();
    let changes = match write {
        Some(write) => apply_write(tx, &write, note.received_at)?
            .map(|applied| vec![applied.change])
            .unwrap_or_default(),
        None => Vec::new(),
    };
    Ok(NotificationOutcome::Stored { seq, changes })
}

fn save_checkpoint(tx: &Transaction<'_>, cp: &Checkpoint) -> MirrorResult<()> {
    tx.prepare_cached(
        "INSERT INTO sync_checkpoints
             (kind, phase, cursor, high_water, run_started_at, run_items, last_completed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(kind) DO UPDATE SET phase = excluded.phase, cursor = excluded.cursor,
             high_water = excluded.high_water, run_started_at = excluded.run_started_at,
             run_items = excluded.run_items, last_completed_at = excluded.last_completed_at",
    )?
    .execute(params![
        cp.kind.plural(),
        cp.phase.as_str(),
        cp.cursor,
        cp.high_water,
        cp.run_started_at,
        cp.run_items as i64,
        cp.last_completed_at,
    ])?;
    Ok(())
}

fn row_to_checkpoint(kind: ObjectKind, r: &rusqlite::Row<'_>) -> rusqlite::Result<Checkpoint> {
    let phase: String = r.get(0)?;
    Ok(Checkpoint {
        kind,
        phase: SyncPhase::parse(&phase).unwrap_or(SyncPhase::Backfill),
        cursor: r.get(1)?,
        high_water: r.get(2)?,
        run_started_at: r.get(3)?,
        run_items: r.get::<_, i64>(4)? as u64,
        last_completed_at: r.get(5)?,
    })
}

fn conversation_parts(conn: &Connection, conversation_id: &str) -> rusqlite::Result<Vec<Value>> {
    let mut stmt = conn.prepare_cached(
        "SELECT raw FROM conversation_parts WHERE conversation_id = ?1 AND part_type IS NOT 'source'
         ORDER BY created_at, pk",
    )?;
    stmt.query_map(params![conversation_id], |r| r.get::<_, String>(0))?
        .map(|raw| raw.map(|text| serde_json::from_str(&text).unwrap_or(Value::Null)))
        .collect()
}

pub fn attach_parts(conversation: &mut Value, parts: Vec<Value>) {
    if let Some(object) = conversation.as_object_mut() {
        let total = parts.len();
        object.insert(
            "conversation_parts".into(),
            json!({"type": "conversation_part.list", "conversation_parts": parts, "total_count": total}),
        );
    }
}

/// Words of a free-text query, as FTS5 tokens (punctuation and operators dropped).
fn query_words(query: &str) -> Vec<String> {
    query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// About 160 characters of `body` around the first query word found in it.
pub fn snippet(body: &str, words: &[String]) -> String {
    const WIDTH: usize = 160;
    let lower = body.to_lowercase();
    let hit = words
        .iter()
        .filter_map(|w| lower.find(w.as_str()))
        .min()
        .unwrap_or(0);
    // `lower` can differ in byte length from `body` for some scripts; clamp to a char boundary.
    let mut start = hit.saturating_sub(WIDTH / 3).min(body.len());
    while !body.is_char_boundary(start) {
        start -= 1;
    }
    let text: String = body[start..].chars().take(WIDTH).collect();
    let prefix = if start > 0 { "…" } else { "" };
    let suffix = if body.len() - start > text.len() {
        "…"
    } else {
        ""
    };
    format!("{prefix}{text}{suffix}")
}
