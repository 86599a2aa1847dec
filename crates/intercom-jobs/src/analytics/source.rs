//! Where the facts come from: the mirror (one indexed SQL pass) when it holds a
//! finished sync, otherwise Intercom's search API, paged within the rate budget.

use std::collections::HashSet;

use intercom_api::{
    Client, Directory, DirectoryAdmin, DirectoryTag, DirectoryTeam, Method, PageGuard, SearchQuery,
};
use rusqlite::{OptionalExtension, params};
use serde_json::{Value, json};

use super::facts::{ConversationState, FactSet, SlaStatus};
use intercom_mirror::{Mirror, MirrorError, ObjectKind, SqliteStore, columns::id_string, now_unix};

/// A mirror backend that reads the facts of a window itself (the PostgreSQL store of a fleet
/// attaches one to its `Mirror` as an extension, `Arc<dyn MirrorFacts>`). The SQLite store is
/// read by the functions of this module.
pub trait MirrorFacts: Send + Sync {
    /// Seconds since conversations were last brought up to date; `None` before a full sync.
    fn age(&self) -> Result<Option<i64>, MirrorError>;
    /// The same population as [`load_from_mirror`].
    fn load(&self, start: i64, end: i64, with_tags: bool) -> Result<FactSet, MirrorError>;
    fn directory(&self) -> Result<Directory, MirrorError>;
}

/// Reads the SQLite store with this module's functions.
struct SqliteFacts(Mirror);

impl MirrorFacts for SqliteFacts {
    fn age(&self) -> Result<Option<i64>, MirrorError> {
        self.0.sqlite().map_or(Ok(None), mirror_age)
    }
    fn load(&self, start: i64, end: i64, with_tags: bool) -> Result<FactSet, MirrorError> {
        let store = self
            .0
            .sqlite()
            .ok_or_else(|| MirrorError::Invalid("no SQLite mirror".into()))?;
        load_from_mirror(store, start, end, with_tags)
    }
    fn directory(&self) -> Result<Directory, MirrorError> {
        let store = self
            .0
            .sqlite()
            .ok_or_else(|| MirrorError::Invalid("no SQLite mirror".into()))?;
        directory_from_mirror(store)
    }
}

/// How to read facts from `mirror`: its backend's own reader, or the SQLite functions.
pub fn facts_of(mirror: &Mirror) -> Option<std::sync::Arc<dyn MirrorFacts>> {
    if let Some(facts) = mirror.extension::<std::sync::Arc<dyn MirrorFacts>>() {
        return Some(facts.clone());
    }
    mirror.sqlite().is_some().then(|| {
        std::sync::Arc::new(SqliteFacts(mirror.clone())) as std::sync::Arc<dyn MirrorFacts>
    })
}

/// What the API loader reports as it pages.
pub type ProgressFn<'a> = &'a (dyn Fn(u64, Option<u64>, String) + Send + Sync);

/// Seconds since the mirror's conversations were last brought up to date, or
/// `None` when no full sync has finished (the mirror cannot answer then).
pub fn mirror_age(store: &SqliteStore) -> Result<Option<i64>, MirrorError> {
    use intercom_mirror::MirrorStore;
    let Some(checkpoint) = store.checkpoint(ObjectKind::Conversation)? else {
        return Ok(None);
    };
    let Some(synced_at) = checkpoint.last_completed_at else {
        return Ok(None);
    };
    let last_webhook: Option<i64> = store.read(|conn| {
        conn.query_row(
            "SELECT value FROM meta WHERE key = 'last_webhook_at'",
            [],
            |r| r.get::<_, String>(0),
        )
        .optional()
        .map(|v| v.and_then(|v| v.parse().ok()))
    })?;
    let fresh = last_webhook.map_or(synced_at, |w| w.max(synced_at));
    Ok(Some((now_unix() - fresh).max(0)))
}

/// The conversation columns metrics read, in the order [`load_from_mirror`] expects.
const FACT_COLUMNS: &str = "created_at, state, last_close_at, time_to_admin_reply, count_reopens, \
     rating_score, rating_created_at, sla_status, admin_assignee_id, team_assignee_id, channel, priority";

/// A covering index for metrics: leading `updated_at` (every conversation created, closed
/// or rated in a window was updated in it), then every column metrics read, so a window
/// is one index range scan that never touches the wide rows holding the raw JSON.
const FACT_INDEX: &str = "CREATE INDEX IF NOT EXISTS analytics_conversation_facts ON conversations \
     (updated_at, created_at, state, last_close_at, time_to_admin_reply, count_reopens, \
      rating_score, rating_created_at, sla_status, admin_assignee_id, team_assignee_id, channel, priority)";

/// Create the metrics index once per mirror file (a one-off cost on a first report).
pub fn ensure_fact_index(store: &SqliteStore) -> Result<(), MirrorError> {
    static DONE: parking_lot::Mutex<Vec<std::path::PathBuf>> = parking_lot::Mutex::new(Vec::new());
    let path = store.path().to_path_buf();
    if DONE.lock().contains(&path) {
        return Ok(());
    }
    let conn = rusqlite::Connection::open(&path)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    conn.execute_batch(FACT_INDEX)?;
    DONE.lock().push(path);
    Ok(())
}

/// Facts from the mirror for a window starting at `start` and ending at `end`:
/// every conversation created in it, touched since its start (closes and ratings
/// bump `updated_at`), or still open (the backlog).
pub fn load_from_mirror(
    store: &SqliteStore,
    start: i64,
    end: i64,
    with_tags: bool,
) -> Result<FactSet, MirrorError> {
    ensure_fact_index(store)?;
    store.read(|conn| {
        let mut facts = FactSet::default();
        let tag_column = if with_tags { "tag_ids" } else { "NULL" };
        // Three disjoint parts: touched since the start (the covering index), open ones
        // not touched since, and any created in the window with an older updated_at.
        let mut stmt = conn.prepare(&format!(
            "SELECT {FACT_COLUMNS}, {tag_column} FROM conversations
                 INDEXED BY analytics_conversation_facts WHERE updated_at >= ?1
             UNION ALL
             SELECT {FACT_COLUMNS}, {tag_column} FROM conversations
                 WHERE state IN ('open', 'snoozed') AND (updated_at < ?1 OR updated_at IS NULL)
             UNION ALL
             SELECT {FACT_COLUMNS}, {tag_column} FROM conversations
                 WHERE created_at >= ?1 AND created_at < ?2
                   AND (updated_at < ?1 OR updated_at IS NULL)
                   AND coalesce(state, '') NOT IN ('open', 'snoozed')"
        ))?;
        let mut rows = stmt.query(params![start, end])?;
        while let Some(r) = rows.next()? {
            let channel: Option<String> = r.get(10)?;
            let priority: Option<String> = r.get(11)?;
            let tags = match r.get::<_, Option<String>>(12)? {
                Some(json) => serde_json::from_str::<Vec<String>>(&json)
                    .unwrap_or_default()
                    .iter()
                    .map(|t| facts.symbols.intern(Some(t)))
                    .collect(),
                None => Vec::new(),
            };
            let state: Option<String> = r.get(1)?;
            let sla: Option<String> = r.get(7)?;
            let fact = super::facts::ConversationFact {
                created_at: r.get::<_, Option<i64>>(0)?.unwrap_or(0),
                state: ConversationState::parse(state.as_deref()),
                last_close_at: r.get(2)?,
                first_response_secs: r.get(3)?,
                reopens: r.get::<_, Option<i64>>(4)?.unwrap_or(0),
                rating: r
                    .get::<_, Option<i64>>(5)?
                    .and_then(|v| u8::try_from(v).ok()),
                rated_at: r.get(6)?,
                sla: SlaStatus::parse(sla.as_deref()),
                admin_id: r.get::<_, Option<i64>>(8)?.unwrap_or(0),
                team_id: r.get::<_, Option<i64>>(9)?.unwrap_or(0),
                channel: facts.symbols.intern(channel.as_deref()),
                priority: facts.symbols.intern(priority.as_deref()),
                tags,
            };
            facts.conversations.push(fact);
        }
        let mut stmt = conn.prepare(
            "SELECT created_at, updated_at, state_category,
                    coalesce(json_extract(raw, '$.ticket_type.name'), 'type ' || ticket_type_id),
                    admin_assignee_id, team_assignee_id
             FROM tickets WHERE (created_at >= ?1 AND created_at < ?2) OR updated_at >= ?1",
        )?;
        let mut rows = stmt.query(params![start, end])?;
        while let Some(r) = rows.next()? {
            let category: Option<String> = r.get(2)?;
            let ticket_type: Option<String> = r.get(3)?;
            let fact = super::facts::TicketFact {
                created_at: r.get::<_, Option<i64>>(0)?.unwrap_or(0),
                updated_at: r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                state_category: facts.symbols.intern(category.as_deref()),
                ticket_type: facts.symbols.intern(ticket_type.as_deref()),
                admin_id: r.get::<_, Option<i64>>(4)?.unwrap_or(0),
                team_id: r.get::<_, Option<i64>>(5)?.unwrap_or(0),
            };
            facts.tickets.push(fact);
        }
        Ok(facts)
    })
}

/// Names of admins, teams and tags held in the mirror, as the shared directory type.
pub fn directory_from_mirror(store: &SqliteStore) -> Result<Directory, MirrorError> {
    store.read(|conn| {
        let read = |table: &str| -> rusqlite::Result<Vec<(String, String)>> {
            let mut stmt = conn.prepare(&format!("SELECT id, coalesce(name, id) FROM {table}"))?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        };
        Ok(Directory {
            admins: read("admins")?
                .into_iter()
                .map(|(id, name)| DirectoryAdmin {
                    id,
                    name,
                    email: None,
                    away: false,
                    team_ids: Vec::new(),
                })
                .collect(),
            teams: read("teams")?
                .into_iter()
                .map(|(id, name)| DirectoryTeam {
                    id,
                    name,
                    admin_ids: Vec::new(),
                })
                .collect(),
            tags: read("tags")?
                .into_iter()
                .map(|(id, name)| DirectoryTag { id, name })
                .collect(),
            ..Directory::default()
        })
    })
}

/// Pages a search endpoint (`/conversations/search`, `/contacts/search`, ...), handing
/// each page's objects and the total to `on_page`, which returns false to stop early.
/// The list sits under `list_key`, or `data` (contacts search answers that way).
/// Paging is bounded by a [`PageGuard`]: a repeated cursor or more than
/// [`PageGuard::MAX_PAGES`] pages is an error (the result would be cut), and the page
/// `total_pages` names as the last ends it.
pub async fn search_pages<E: From<intercom_api::Error>>(
    client: &Client,
    path: &str,
    list_key: &str,
    query: &SearchQuery,
    on_page: impl FnMut(&[Value], Option<u64>) -> Result<bool, E>,
) -> Result<(), E> {
    search_pages_guarded(
        client,
        path,
        list_key,
        query,
        PageGuard::new(format!("POST {path}")),
        on_page,
    )
    .await
}

/// [`search_pages`] with the caller's own guard (tests use a small cap).
pub async fn search_pages_guarded<E: From<intercom_api::Error>>(
    client: &Client,
    path: &str,
    list_key: &str,
    query: &SearchQuery,
    mut guard: PageGuard,
    mut on_page: impl FnMut(&[Value], Option<u64>) -> Result<bool, E>,
) -> Result<(), E> {
    let mut cursor: Option<String> = None;
    loop {
        let mut pagination = json!({"per_page": 150});
        if let Some(c) = &cursor {
            pagination["starting_after"] = json!(c);
        }
        let body = json!({"query": query.to_json(), "pagination": pagination});
        let page = client
            .send_json(Method::POST, path, &[], Some(body))
            .await?;
        let items = page
            .get(list_key)
            .or_else(|| page.get("data"))
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let total = page.get("total_count").and_then(Value::as_u64);
        if !on_page(items, total)? {
            return Ok(());
        }
        if items.is_empty() {
            return Ok(());
        }
        let number = |key: &str| {
            page.pointer(&format!("/pages/{key}"))
                .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
        };
        let marker = page
            .pointer("/pages/next/starting_after")
            .and_then(Value::as_str);
        cursor = guard.next(marker, number("page"), number("total_pages"))?;
        if cursor.is_none() {
            return Ok(());
        }
    }
}

/// Pages one search to the end, calling `each` per object and reporting progress per page.
async fn search_all(
    client: &Client,
    path: &str,
    list_key: &str,
    query: &SearchQuery,
    progress: ProgressFn<'_>,
    mut each: impl FnMut(&Value),
) -> intercom_api::Result<u64> {
    let mut seen = 0u64;
    search_pages(client, path, list_key, query, |items, total| {
        items.iter().for_each(&mut each);
        seen += items.len() as u64;
        progress(seen, total, format!("read {seen} {list_key} from the API"));
        Ok::<_, intercom_api::Error>(true)
    })
    .await?;
    Ok(seen)
}

/// Facts from the API: the same population as [`load_from_mirror`], found with
/// search windows on `created_at`/`updated_at` plus the open backlog.
pub async fn load_from_api(
    client: &Client,
    start: i64,
    end: i64,
    with_tags: bool,
    progress: ProgressFn<'_>,
) -> intercom_api::Result<FactSet> {
    let touched = SearchQuery::or([
        SearchQuery::and([
            SearchQuery::field("created_at").gt(start - 1),
            SearchQuery::field("created_at").lt(end),
        ]),
        SearchQuery::field("updated_at").gt(start - 1),
        SearchQuery::field("state").is_in(["open", "snoozed"]),
    ]);
    let mut facts = FactSet::default();
    let mut skipped = 0u64;
    let mut ids = HashSet::new();
    search_all(
        client,
        "/conversations/search",
        "conversations",
        &touched,
        progress,
        |c| {
            // Paging while objects change can repeat one; count it once. One without an
            // id (or a `null` in the list) is left out and counted.
            match c.get("id").and_then(id_string) {
                Some(id) => {
                    if ids.insert(id) {
                        facts.push_conversation_json(c, with_tags);
                    }
                }
                None => skipped += 1,
            }
        },
    )
    .await?;
    let tickets = SearchQuery::or([
        SearchQuery::and([
            SearchQuery::field("created_at").gt(start - 1),
            SearchQuery::field("created_at").lt(end),
        ]),
        SearchQuery::field("updated_at").gt(start - 1),
    ]);
    let mut ticket_ids = HashSet::new();
    let mut tickets_json = Vec::new();
    search_all(
        client,
        "/tickets/search",
        "tickets",
        &tickets,
        progress,
        |t| match t.get("id").and_then(id_string) {
            Some(id) => {
                if ticket_ids.insert(id) {
                    tickets_json.push(t.clone());
                }
            }
            None => skipped += 1,
        },
    )
    .await?;
    for t in &tickets_json {
        facts.push_ticket_json(t);
    }
    facts.skipped = skipped;
    Ok(facts)
}

/// The mirror to read, if it can answer (a finished conversation sync), with its age.
pub async fn usable_mirror(mirror: &Mirror) -> Option<i64> {
    let facts = facts_of(mirror)?;
    tokio::task::spawn_blocking(move || Some(facts.age()))
        .await
        .ok()
        .flatten()
        .and_then(Result::ok)
        .flatten()
}
