//! Durable job state behind [`JobStore`], so an interrupted job resumes where it stopped
//! and never redoes a finished item. [`SqliteJobStore`] keeps it in tables `bulk_jobs` and
//! `bulk_items` of the mirror's SQLite file (same path, own tables, own connection).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use parking_lot::{MappedMutexGuard, Mutex, MutexGuard};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use intercom_mirror::now_unix;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS bulk_jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,              -- update_contacts | tag | manage_conversations
    spec TEXT NOT NULL,              -- the operation, JSON
    description TEXT NOT NULL,
    state TEXT NOT NULL,             -- running | completed | cancelled | interrupted
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    total INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS bulk_items (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    target_id TEXT NOT NULL,
    label TEXT NOT NULL,
    payload TEXT,                    -- per-item arguments (CSV row attributes), JSON
    status TEXT NOT NULL,            -- pending | ok | failed | unchanged
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    finished_at INTEGER,
    PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS bulk_items_status ON bulk_items(job_id, status);
";

/// A job's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Being worked on now, or its process died without a word (resume it).
    Running,
    /// Every item was attempted.
    Completed,
    /// Stopped on request; resume it to finish.
    Cancelled,
    /// Its run stopped mid-way (the caller went away): resume it to finish.
    Interrupted,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Completed => "completed",
            JobState::Cancelled => "cancelled",
            JobState::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "completed" => JobState::Completed,
            "cancelled" => JobState::Cancelled,
            "running" => JobState::Running,
            _ => JobState::Interrupted,
        }
    }
}

/// An item's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Pending,
    Ok,
    Failed,
    /// The target already showed the change when the job started: no request was sent.
    Unchanged,
}

impl ItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Pending => "pending",
            ItemStatus::Ok => "ok",
            ItemStatus::Failed => "failed",
            ItemStatus::Unchanged => "unchanged",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "ok" => ItemStatus::Ok,
            "failed" => ItemStatus::Failed,
            "unchanged" => ItemStatus::Unchanged,
            _ => ItemStatus::Pending,
        }
    }
}

/// One target of a job, as stored.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ItemRecord {
    pub seq: u64,
    /// The Intercom id acted on.
    pub id: String,
    /// How the caller named it (email, id).
    pub label: String,
    pub status: ItemStatus,
    /// Intercom's reason when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub attempts: u32,
    #[serde(skip)]
    pub payload: Option<Value>,
}

/// A new item to store with a job.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub id: String,
    pub label: String,
    pub payload: Option<Value>,
    /// Already known to fail (e.g. an email with no contact): stored as failed.
    pub failed: Option<String>,
    /// Already shows the change (read when the targets were resolved): stored as
    /// `unchanged`, and a run sends nothing for it.
    pub unchanged: bool,
}

/// A stored job.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct JobRecord {
    pub id: String,
    pub kind: String,
    #[serde(skip)]
    pub spec: Value,
    pub description: String,
    pub state: JobState,
    pub created_at: i64,
    pub updated_at: i64,
    pub total: u64,
    /// Items changed by a request.
    pub ok: u64,
    pub failed: u64,
    pub pending: u64,
    /// Items that already showed the change: no request was sent for them.
    pub unchanged: u64,
}

impl JobRecord {
    /// Where the job stands, as the tool and the command say it:
    /// `3 changed, 2 already so (no request sent), 0 failed, 1 pending of 6`.
    pub fn counts(&self) -> String {
        format!(
            "{} changed, {} already so (no request sent), {} failed, {} pending of {}",
            self.ok, self.unchanged, self.failed, self.pending, self.total
        )
    }
}

#[derive(Debug, thiserror::Error)]
#[error("bulk job store {path}: {message}")]
pub struct StoreError {
    path: String,
    message: String,
}

impl StoreError {
    /// An error of the store at `location` (a path or a database name, never credentials).
    pub fn new(location: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Self {
            path: location.into(),
            message: message.to_string(),
        }
    }
}

/// The answer of a [`JobStore`] call: owns everything it needs, so it can be spawned
/// (a dropped run marks its job interrupted from `Drop`).
pub type StoreFuture<T> = BoxFuture<'static, Result<T, StoreError>>;

/// A run's hold on a job: while it lives, no other process runs the same job.
/// Dropping it gives the job up (a store shared by several processes releases its lease).
pub struct RunLease {
    /// The job was held before by a process that stopped without finishing it (its lease
    /// ran out): pending items may have been sent, so each is read back before it is sent.
    pub takeover: bool,
    /// Fires when the hold is lost (another process took the job over after the lease
    /// could not be renewed): the run starts no more items.
    pub lost: CancellationToken,
    confirm: Option<ConfirmHold>,
    _release: Option<Box<dyn Send + Sync>>,
}

/// Checks with the store that a run still holds its job (see [`RunLease::confirm`]).
pub type ConfirmHold = Box<dyn Fn() -> BoxFuture<'static, bool> + Send + Sync>;

impl std::fmt::Debug for RunLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunLease")
            .field("takeover", &self.takeover)
            .field("lost", &self.lost.is_cancelled())
            .finish()
    }
}

impl RunLease {
    /// The hold of a store only one process uses: nothing to take over, never lost.
    pub fn exclusive() -> Self {
        Self {
            takeover: false,
            lost: CancellationToken::new(),
            confirm: None,
            _release: None,
        }
    }

    /// A hold that ends when `release` is dropped (it gives the job up); `confirm` asks the
    /// store whether it is still held, and is called before each write.
    pub fn new(
        takeover: bool,
        lost: CancellationToken,
        confirm: ConfirmHold,
        release: impl Send + Sync + 'static,
    ) -> Self {
        Self {
            takeover,
            lost,
            confirm: Some(confirm),
            _release: Some(Box::new(release)),
        }
    }

    /// Whether the run still holds its job, asked of the store just before a write is sent
    /// (a run that stalled past its lease finds out here, before writing what the new holder
    /// may write too). `false` also fires `lost`.
    pub async fn confirm(&self) -> bool {
        if self.lost.is_cancelled() {
            return false;
        }
        let held = match &self.confirm {
            None => true,
            Some(check) => check().await,
        };
        if !held {
            self.lost.cancel();
        }
        held
    }
}

/// Where bulk jobs and their items live. A second backend (a database shared by several
/// replicas) implements these methods; the runner and the tools see only this trait.
pub trait JobStore: Send + Sync + std::fmt::Debug {
    /// Take the right to run `job_id` now: an error when another live process is running it.
    /// A store one process uses has nothing to coordinate and always grants it.
    fn begin_run(&self, _job_id: &str) -> StoreFuture<RunLease> {
        Box::pin(async { Ok(RunLease::exclusive()) })
    }
    /// Where the jobs are, for messages (a path or a database name, never credentials).
    fn location(&self) -> String;
    /// Store a new job with its items, all or nothing; returns the job's id.
    fn create_job(
        &self,
        kind: &str,
        spec: &Value,
        description: &str,
        items: &[NewItem],
    ) -> StoreFuture<String>;
    fn job(&self, id: &str) -> StoreFuture<Option<JobRecord>>;
    /// Items of a job, optionally only those with `status`, in order.
    fn items(&self, id: &str, status: Option<ItemStatus>) -> StoreFuture<Vec<ItemRecord>>;
    /// Record an item's outcome (durable when the future resolves: a crash loses nothing
    /// finished).
    fn finish_item(
        &self,
        job_id: &str,
        seq: u64,
        status: ItemStatus,
        error: Option<&str>,
        attempts: u32,
    ) -> StoreFuture<()>;
    fn set_state(&self, job_id: &str, state: JobState) -> StoreFuture<()>;
    /// The most recent jobs, newest first.
    fn recent_jobs(&self, limit: usize) -> StoreFuture<Vec<JobRecord>>;
}

/// Jobs in a SQLite file. Each call runs on the blocking pool, never on an executor thread.
#[derive(Clone)]
pub struct SqliteJobStore {
    inner: Arc<SqliteJobs>,
}

impl std::fmt::Debug for SqliteJobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteJobStore")
            .field("path", &self.inner.path)
            .finish()
    }
}

impl SqliteJobStore {
    /// Open (creating the tables if needed) the job tables in the SQLite file at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let store = Self::at(path);
        drop(store.inner.connection()?);
        Ok(store)
    }

    /// The job tables in the SQLite file at `path`, opened (and created) on first use:
    /// a server that never runs a bulk job never touches the file.
    pub fn at(path: &Path) -> Self {
        Self {
            inner: Arc::new(SqliteJobs::at(path)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    fn blocking<T: Send + 'static>(
        &self,
        call: impl FnOnce(&SqliteJobs) -> Result<T, StoreError> + Send + 'static,
    ) -> StoreFuture<T> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let location = inner.path.display().to_string();
            tokio::task::spawn_blocking(move || call(&inner))
                .await
                .map_err(|e| StoreError::new(location, e))?
        })
    }
}

impl JobStore for SqliteJobStore {
    fn location(&self) -> String {
        self.inner.path.display().to_string()
    }

    fn create_job(
        &self,
        kind: &str,
        spec: &Value,
        description: &str,
        items: &[NewItem],
    ) -> StoreFuture<String> {
        let (kind, spec, description, items) = (
            kind.to_string(),
            spec.clone(),
            description.to_string(),
            items.to_vec(),
        );
        self.blocking(move |jobs| jobs.create_job(&kind, &spec, &description, &items))
    }

    fn job(&self, id: &str) -> StoreFuture<Option<JobRecord>> {
        let id = id.to_string();
        self.blocking(move |jobs| jobs.job(&id))
    }

    fn items(&self, id: &str, status: Option<ItemStatus>) -> StoreFuture<Vec<ItemRecord>> {
        let id = id.to_string();
        self.blocking(move |jobs| jobs.items(&id, status))
    }

    fn finish_item(
        &self,
        job_id: &str,
        seq: u64,
        status: ItemStatus,
        error: Option<&str>,
        attempts: u32,
    ) -> StoreFuture<()> {
        let (job_id, error) = (job_id.to_string(), error.map(str::to_string));
        self.blocking(move |jobs| {
            jobs.finish_item(&job_id, seq, status, error.as_deref(), attempts)
        })
    }

    fn set_state(&self, job_id: &str, state: JobState) -> StoreFuture<()> {
        let job_id = job_id.to_string();
        self.blocking(move |jobs| jobs.set_state(&job_id, state))
    }

    fn recent_jobs(&self, limit: usize) -> StoreFuture<Vec<JobRecord>> {
        self.blocking(move |jobs| jobs.recent_jobs(limit))
    }
}

/// The synchronous SQLite side of [`SqliteJobStore`].
struct SqliteJobs {
    path: PathBuf,
    conn: Mutex<Option<Connection>>,
}

/// Opens the file at `path` (creating it, its directory and the tables if needed).
fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let err = |e: &dyn std::fmt::Display| StoreError::new(path.display().to_string(), e);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| err(&e))?;
    }
    let conn = Connection::open(path).map_err(|e| err(&e))?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(|e| err(&e))?;
    let _: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .map_err(|e| err(&e))?;
    // WAL + NORMAL survives a process crash, which is what resuming needs.
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(|e| err(&e))?;
    conn.execute_batch(SCHEMA).map_err(|e| err(&e))?;
    Ok(conn)
}

impl SqliteJobs {
    /// The job tables in the SQLite file at `path`, opened on first use.
    fn at(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            conn: Mutex::new(None),
        }
    }

    /// The connection, opening the file (and creating the tables) the first time.
    fn connection(&self) -> Result<MappedMutexGuard<'_, Connection>, StoreError> {
        let mut slot = self.conn.lock();
        if slot.is_none() {
            *slot = Some(open_connection(&self.path)?);
        }
        MutexGuard::try_map(slot, Option::as_mut)
            .map_err(|_| StoreError::new(self.path.display().to_string(), "not open"))
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        StoreError {
            path: self.path.display().to_string(),
            message: e.to_string(),
        }
    }

    /// Store a new job with its items, in one transaction.
    fn create_job(
        &self,
        kind: &str,
        spec: &Value,
        description: &str,
        items: &[NewItem],
    ) -> Result<String, StoreError> {
        let id = format!("job_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let now = now_unix();
        let mut conn = self.connection()?;
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        tx.execute(
            "INSERT INTO bulk_jobs (id, kind, spec, description, state, created_at, updated_at, total)
             VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?5, ?6)",
            params![id, kind, spec.to_string(), description, now, items.len() as i64],
        )
        .map_err(|e| self.err(e))?;
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO bulk_items (job_id, seq, target_id, label, payload, status, error, finished_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(|e| self.err(e))?;
            for (seq, item) in items.iter().enumerate() {
                let (status, finished) = match (&item.failed, item.unchanged) {
                    (Some(_), _) => (ItemStatus::Failed, Some(now)),
                    (None, true) => (ItemStatus::Unchanged, Some(now)),
                    (None, false) => (ItemStatus::Pending, None),
                };
                insert
                    .execute(params![
                        id,
                        seq as i64,
                        item.id,
                        item.label,
                        item.payload.as_ref().map(Value::to_string),
                        status.as_str(),
                        item.failed,
                        finished,
                    ])
                    .map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))?;
        Ok(id)
    }

    fn job(&self, id: &str) -> Result<Option<JobRecord>, StoreError> {
        let conn = self.connection()?;
        conn.query_row(
            "SELECT j.id, j.kind, j.spec, j.description, j.state, j.created_at, j.updated_at, j.total,
                    (SELECT count(*) FROM bulk_items i WHERE i.job_id = j.id AND i.status = 'ok'),
                    (SELECT count(*) FROM bulk_items i WHERE i.job_id = j.id AND i.status = 'failed'),
                    (SELECT count(*) FROM bulk_items i WHERE i.job_id = j.id AND i.status = 'pending'),
                    (SELECT count(*) FROM bulk_items i WHERE i.job_id = j.id AND i.status = 'unchanged')
             FROM bulk_jobs j WHERE j.id = ?1",
            params![id.trim()],
            |r| {
                let spec: String = r.get(2)?;
                let state: String = r.get(4)?;
                Ok(JobRecord {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    spec: serde_json::from_str(&spec).unwrap_or(Value::Null),
                    description: r.get(3)?,
                    state: JobState::parse(&state),
                    created_at: r.get(5)?,
                    updated_at: r.get(6)?,
                    total: r.get::<_, i64>(7)? as u64,
                    ok: r.get::<_, i64>(8)? as u64,
                    failed: r.get::<_, i64>(9)? as u64,
                    pending: r.get::<_, i64>(10)? as u64,
                    unchanged: r.get::<_, i64>(11)? as u64,
                })
            },
        )
        .optional()
        .map_err(|e| self.err(e))
    }

    /// Items of a job, optionally only those with `status`, in order.
    fn items(&self, id: &str, status: Option<ItemStatus>) -> Result<Vec<ItemRecord>, StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn
            .prepare(
                "SELECT seq, target_id, label, status, error, attempts, payload FROM bulk_items
                 WHERE job_id = ?1 AND (?2 IS NULL OR status = ?2) ORDER BY seq",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![id, status.map(ItemStatus::as_str)], |r| {
                let status: String = r.get(3)?;
                let payload: Option<String> = r.get(6)?;
                Ok(ItemRecord {
                    seq: r.get::<_, i64>(0)? as u64,
                    id: r.get(1)?,
                    label: r.get(2)?,
                    status: ItemStatus::parse(&status),
                    error: r.get(4)?,
                    attempts: r.get::<_, i64>(5)? as u32,
                    payload: payload.and_then(|p| serde_json::from_str(&p).ok()),
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Record an item's outcome (its own small transaction: a crash loses nothing finished).
    fn finish_item(
        &self,
        job_id: &str,
        seq: u64,
        status: ItemStatus,
        error: Option<&str>,
        attempts: u32,
    ) -> Result<(), StoreError> {
        let conn = self.connection()?;
        conn.execute(
            "UPDATE bulk_items SET status = ?3, error = ?4, attempts = attempts + ?5, finished_at = ?6
             WHERE job_id = ?1 AND seq = ?2",
            params![job_id, seq as i64, status.as_str(), error, attempts, now_unix()],
        )
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn set_state(&self, job_id: &str, state: JobState) -> Result<(), StoreError> {
        let conn = self.connection()?;
        conn.execute(
            "UPDATE bulk_jobs SET state = ?2, updated_at = ?3 WHERE id = ?1",
            params![job_id, state.as_str(), now_unix()],
        )
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The most recent jobs, newest first.
    fn recent_jobs(&self, limit: usize) -> Result<Vec<JobRecord>, StoreError> {
        let ids: Vec<String> = {
            let conn = self.connection()?;
            let mut stmt = conn
                .prepare("SELECT id FROM bulk_jobs ORDER BY created_at DESC, rowid DESC LIMIT ?1")
                .map_err(|e| self.err(e))?;
            let rows = stmt
                .query_map(params![limit as i64], |r| r.get::<_, String>(0))
                .map_err(|e| self.err(e))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
                .map_err(|e| self.err(e))?
        };
        let mut jobs = Vec::new();
        for id in ids {
            if let Some(job) = self.job(&id)? {
                jobs.push(job);
            }
        }
        Ok(jobs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_and_items_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteJobStore::open(&dir.path().join("m.sqlite3")).unwrap();
        let items = vec![
            NewItem {
                id: "1".into(),
                label: "a@x".into(),
                payload: None,
                failed: None,
                unchanged: false,
            },
            NewItem {
                id: "3".into(),
                label: "c@x".into(),
                payload: None,
                failed: None,
                unchanged: true,
            },
            NewItem {
                id: "".into(),
                label: "b@x".into(),
                payload: None,
                failed: Some("no contact".into()),
                unchanged: false,
            },
        ];
        let id = store
            .create_job(
                "update_contacts",
                &serde_json::json!({"op": 1}),
                "test",
                &items,
            )
            .await
            .unwrap();
        let job = store.job(&id).await.unwrap().unwrap();
        assert_eq!(
            (job.total, job.pending, job.failed, job.unchanged),
            (3, 1, 1, 1)
        );
        assert_eq!(
            store.items(&id, Some(ItemStatus::Pending)).await.unwrap()[0].id,
            "1"
        );
        store
            .finish_item(&id, 0, ItemStatus::Ok, None, 2)
            .await
            .unwrap();
        store.set_state(&id, JobState::Completed).await.unwrap();
        // Reopening keeps everything.
        drop(store);
        let store = SqliteJobStore::open(&dir.path().join("m.sqlite3")).unwrap();
        let job = store.job(&id).await.unwrap().unwrap();
        assert_eq!(
            (job.ok, job.failed, job.pending, job.state),
            (1, 1, 0, JobState::Completed)
        );
        let items = store.items(&id, None).await.unwrap();
        assert_eq!(items[0].attempts, 2);
        assert_eq!(items[2].error.as_deref(), Some("no contact"));
        assert_eq!(
            (items[1].status, items[1].attempts),
            (ItemStatus::Unchanged, 0)
        );
    }
}
