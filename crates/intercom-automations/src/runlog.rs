//! The run log: one row per (event, rule), claimed before any action runs, so a
//! duplicate delivery or a restart finds the claim and does not run the rule again.
//! It also keeps the engine's read position in the event log, the writes it expects
//! to echo back as webhooks, and round-robin positions.
//!
//! [`RunLog`] is the async interface the engine sees; [`SqliteRunLog`] keeps it in the
//! mirror's SQLite file (own tables, own connection), on the blocking pool.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::context::Event;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS automation_runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    topic TEXT NOT NULL,
    object_type TEXT,
    object_id TEXT,
    dry_run INTEGER NOT NULL,
    status TEXT NOT NULL,
    detail TEXT,
    error TEXT,
    claimed_at INTEGER NOT NULL,
    finished_at INTEGER,
    UNIQUE (event_id, rule)
);
CREATE INDEX IF NOT EXISTS automation_runs_object ON automation_runs(object_id, rule, claimed_at);
CREATE INDEX IF NOT EXISTS automation_runs_rule ON automation_runs(rule, seq);
CREATE TABLE IF NOT EXISTS automation_echoes (
    object_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    rule TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS automation_echoes_object ON automation_echoes(object_id, topic);
CREATE TABLE IF NOT EXISTS automation_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
";

/// What became of one (event, rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Claimed and running (or the server died while it ran; see `Interrupted`).
    Claimed,
    /// Every action was applied.
    Applied,
    /// A dry-run rule: the detail says what would have been done.
    DryRun,
    /// The conditions did not match.
    NoMatch,
    /// The event was the echo of this rule's own write.
    SkippedLoop,
    /// The rule already ran its maximum on this object within the rate window.
    RateLimited,
    /// An action failed after its retries (earlier actions may have been applied).
    Failed,
    /// The server stopped while the run was in flight; it is not run again.
    Interrupted,
}

impl RunStatus {
    pub const ALL: [RunStatus; 8] = [
        Self::Claimed,
        Self::Applied,
        Self::DryRun,
        Self::NoMatch,
        Self::SkippedLoop,
        Self::RateLimited,
        Self::Failed,
        Self::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Claimed => "claimed",
            Self::Applied => "applied",
            Self::DryRun => "dry_run",
            Self::NoMatch => "no_match",
            Self::SkippedLoop => "skipped_loop",
            Self::RateLimited => "rate_limited",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// A run outcome as a user or a model writes it, or an error naming the valid ones.
pub fn parse_status(s: &str) -> Result<RunStatus, String> {
    RunStatus::parse(s.trim()).ok_or_else(|| {
        let all: Vec<_> = RunStatus::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown outcome {s:?}; use one of {}", all.join(", "))
    })
}

/// One row of the run log.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RunRecord {
    pub seq: i64,
    pub event_id: String,
    pub rule: String,
    pub topic: String,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub dry_run: bool,
    pub status: RunStatus,
    /// Conditions and actions with their outcomes.
    pub detail: Option<Value>,
    /// Why the run failed, in Intercom's words where it gave any.
    pub error: Option<String>,
    pub claimed_at: i64,
    pub finished_at: Option<i64>,
}

/// Filters for [`RunLog::query`].
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub rule: Option<String>,
    pub object_id: Option<String>,
    pub status: Option<RunStatus>,
    /// Only rows before this position (paging backwards).
    pub before_seq: Option<i64>,
    pub limit: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("automations run log ({location}): {message}")]
pub struct RunLogError {
    /// A path or a database name, never credentials.
    location: String,
    message: String,
}

impl RunLogError {
    pub fn new(location: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Self {
            location: location.into(),
            message: message.to_string(),
        }
    }
}

pub type RunLogResult<T> = Result<T, RunLogError>;

/// The answer of a [`RunLog`] call; it owns what it needs, so it can be spawned.
pub type RunLogFuture<T> = BoxFuture<'static, RunLogResult<T>>;

/// One ending of a claimed run: (run id, status, detail, error).
pub type RunEnding = (i64, RunStatus, Value, Option<String>);

/// Where the engine records runs. Every claim is made here before any action runs; a
/// second backend (a database several replicas share) implements these methods.
pub trait RunLog: Send + Sync + std::fmt::Debug {
    /// Where the log is, for messages (a path or a database name, never credentials).
    fn location(&self) -> String;
    /// Claim (event, rule) for each rule, in one commit. Returns the run ids of the
    /// claims won, `None` where an earlier delivery or run already holds the claim.
    fn claim(
        &self,
        event: &Event,
        object_type: Option<&str>,
        object_id: Option<&str>,
        rules: &[(&str, bool)],
        now: i64,
    ) -> RunLogFuture<Vec<Option<i64>>>;
    /// Record several endings in one commit.
    fn finish_many(&self, runs: Vec<RunEnding>, now: i64) -> RunLogFuture<()>;
    /// Record how a claimed run ended.
    fn finish(
        &self,
        run_id: i64,
        status: RunStatus,
        detail: &Value,
        error: Option<&str>,
        now: i64,
    ) -> RunLogFuture<()> {
        self.finish_many(
            vec![(run_id, status, detail.clone(), error.map(str::to_string))],
            now,
        )
    }
    /// Save progress of a run still in flight (actions done so far), so an interrupted run
    /// shows them. A run that has already ended keeps its final detail.
    fn progress(&self, run_id: i64, detail: &Value) -> RunLogFuture<()>;
    /// At start-up: runs still `claimed` were cut short by a stop; mark them, never rerun them.
    fn mark_interrupted(&self, now: i64) -> RunLogFuture<usize>;
    /// Runs of `rule` on `object_id` that acted (or would have) since `since`, for the rate cap.
    fn recent_runs(&self, rule: &str, object_id: &str, since: i64) -> RunLogFuture<u32>;
    fn query(&self, filter: &LogFilter) -> RunLogFuture<Vec<RunRecord>>;
    /// Remember that `rule` just wrote `object_id`, so these topics on it are its own echo
    /// until `expires_at`.
    fn expect_echo(
        &self,
        object_id: &str,
        topics: &[&str],
        rule: &str,
        expires_at: i64,
    ) -> RunLogFuture<()>;
    /// Rules whose own recent writes explain this event on `object_id`.
    fn echo_rules(&self, object_id: &str, topic: &str, now: i64) -> RunLogFuture<Vec<String>>;
    fn state(&self, key: &str) -> RunLogFuture<Option<String>>;
    fn set_state(&self, key: &str, value: &str) -> RunLogFuture<()>;
    /// The next position of a round-robin over `len` candidates, remembered across restarts.
    fn next_turn(&self, key: &str, len: usize, advance: bool) -> RunLogFuture<usize>;
}

/// The run log in a SQLite file (the mirror's).
#[derive(Clone)]
pub struct SqliteRunLog {
    inner: Arc<SqliteRuns>,
}

impl std::fmt::Debug for SqliteRunLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteRunLog")
            .field("path", &self.inner.path)
            .finish()
    }
}

impl SqliteRunLog {
    /// Open the run log in the SQLite file at `path` (the mirror's file), creating its tables.
    pub fn open(path: &Path) -> RunLogResult<Self> {
        Ok(Self {
            inner: Arc::new(SqliteRuns::open(path)?),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    fn blocking<T: Send + 'static>(
        &self,
        call: impl FnOnce(&SqliteRuns) -> RunLogResult<T> + Send + 'static,
    ) -> RunLogFuture<T> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let location = inner.path.display().to_string();
            tokio::task::spawn_blocking(move || call(&inner))
                .await
                .map_err(|e| RunLogError::new(location, e))?
        })
    }
}

impl RunLog for SqliteRunLog {
    fn location(&self) -> String {
        self.inner.path.display().to_string()
    }

    fn claim(
        &self,
        event: &Event,
        object_type: Option<&str>,
        object_id: Option<&str>,
        rules: &[(&str, bool)],
        now: i64,
    ) -> RunLogFuture<Vec<Option<i64>>> {
        let event = event.clone();
        let object_type = object_type.map(str::to_string);
        let object_id = object_id.map(str::to_string);
        let rules: Vec<(String, bool)> = rules.iter().map(|(r, d)| (r.to_string(), *d)).collect();
        self.blocking(move |runs| {
            let rules: Vec<(&str, bool)> = rules.iter().map(|(r, d)| (r.as_str(), *d)).collect();
            runs.claim(
                &event,
                object_type.as_deref(),
                object_id.as_deref(),
                &rules,
                now,
            )
        })
    }

    fn finish_many(&self, runs: Vec<RunEnding>, now: i64) -> RunLogFuture<()> {
        self.blocking(move |log| log.finish_many(&runs, now))
    }

    fn progress(&self, run_id: i64, detail: &Value) -> RunLogFuture<()> {
        let detail = detail.clone();
        self.blocking(move |log| log.progress(run_id, &detail))
    }

    fn mark_interrupted(&self, now: i64) -> RunLogFuture<usize> {
        self.blocking(move |log| log.mark_interrupted(now))
    }

    fn recent_runs(&self, rule: &str, object_id: &str, since: i64) -> RunLogFuture<u32> {
        let (rule, object_id) = (rule.to_string(), object_id.to_string());
        self.blocking(move |log| log.recent_runs(&rule, &object_id, since))
    }

    fn query(&self, filter: &LogFilter) -> RunLogFuture<Vec<RunRecord>> {
        let filter = filter.clone();
        self.blocking(move |log| log.query(&filter))
    }

    fn expect_echo(
        &self,
        object_id: &str,
        topics: &[&str],
        rule: &str,
        expires_at: i64,
    ) -> RunLogFuture<()> {
        let (object_id, rule) = (object_id.to_string(), rule.to_string());
        let topics: Vec<String> = topics.iter().map(|t| t.to_string()).collect();
        self.blocking(move |log| {
            let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
            log.expect_echo(&object_id, &topics, &rule, expires_at)
        })
    }

    fn echo_rules(&self, object_id: &str, topic: &str, now: i64) -> RunLogFuture<Vec<String>> {
        let (object_id, topic) = (object_id.to_string(), topic.to_string());
        self.blocking(move |log| log.echo_rules(&object_id, &topic, now))
    }

    fn state(&self, key: &str) -> RunLogFuture<Option<String>> {
        let key = key.to_string();
        self.blocking(move |log| log.state(&key))
    }

    fn set_state(&self, key: &str, value: &str) -> RunLogFuture<()> {
        let (key, value) = (key.to_string(), value.to_string());
        self.blocking(move |log| log.set_state(&key, &value))
    }

    fn next_turn(&self, key: &str, len: usize, advance: bool) -> RunLogFuture<usize> {
        let key = key.to_string();
        self.blocking(move |log| log.next_turn(&key, len, advance))
    }
}

/// The synchronous SQLite side of [`SqliteRunLog`].
struct SqliteRuns {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl SqliteRuns {
    /// Open the run log in the SQLite file at `path` (the mirror's file), creating its tables.
    fn open(path: &Path) -> RunLogResult<Self> {
        let wrap = |source: rusqlite::Error| RunLogError::new(path.display().to_string(), source);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        let conn = Connection::open(path).map_err(wrap)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(wrap)?;
        conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))
            .map_err(wrap)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(wrap)?;
        conn.execute_batch(SCHEMA).map_err(wrap)?;
        Ok(Self {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> RunLogResult<T> {
        let mut conn = self.conn.lock();
        f(&mut conn).map_err(|source| RunLogError::new(self.path.display().to_string(), source))
    }

    /// Claim (event, rule) for each rule, in one commit. Returns the run ids of the
    /// claims won, `None` where an earlier delivery or run already holds the claim.
    fn claim(
        &self,
        event: &Event,
        object_type: Option<&str>,
        object_id: Option<&str>,
        rules: &[(&str, bool)],
        now: i64,
    ) -> RunLogResult<Vec<Option<i64>>> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let mut out = Vec::with_capacity(rules.len());
            {
                let mut insert = tx.prepare_cached(
                    "INSERT OR IGNORE INTO automation_runs
                        (event_id, rule, topic, object_type, object_id, dry_run, status, claimed_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'claimed', ?7)",
                )?;
                for (rule, dry_run) in rules {
                    let n = insert.execute(params![
                        event.id,
                        rule,
                        event.topic,
                        object_type,
                        object_id,
                        dry_run,
                        now
                    ])?;
                    out.push((n == 1).then(|| tx.last_insert_rowid()));
                }
            }
            tx.commit()?;
            Ok(out)
        })
    }

    /// Record several endings in one commit.
    fn finish_many(
        &self,
        runs: &[(i64, RunStatus, Value, Option<String>)],
        now: i64,
    ) -> RunLogResult<()> {
        if runs.is_empty() {
            return Ok(());
        }
        self.with(|conn| {
            let tx = conn.transaction()?;
            {
                let mut update = tx.prepare_cached(
                    "UPDATE automation_runs SET status = ?2, detail = ?3, error = ?4, finished_at = ?5
                     WHERE seq = ?1",
                )?;
                for (id, status, detail, error) in runs {
                    update.execute(params![id, status.as_str(), detail.to_string(), error, now])?;
                }
            }
            tx.commit()
        })
    }

    /// Save progress of a run in flight (actions done so far), so an interrupted run shows them.
    fn progress(&self, run_id: i64, detail: &Value) -> RunLogResult<()> {
        self.with(|conn| {
            conn.prepare_cached(
                "UPDATE automation_runs SET detail = ?2 WHERE seq = ?1 AND status = 'claimed'",
            )?
            .execute(params![run_id, detail.to_string()])
            .map(|_| ())
        })
    }

    /// At start-up: runs still `claimed` were cut short by a stop; mark them, never rerun them.
    fn mark_interrupted(&self, now: i64) -> RunLogResult<usize> {
        self.with(|conn| {
            conn.execute(
                "UPDATE automation_runs SET status = 'interrupted', finished_at = ?1,
                     error = 'the server stopped while this run was in flight; it is not run again \
                              (each rule runs at most once per event); check the actions in detail'
                 WHERE status = 'claimed'",
                params![now],
            )
        })
    }

    /// Runs of `rule` on `object_id` that acted (or would have) since `since`, for the rate cap.
    fn recent_runs(&self, rule: &str, object_id: &str, since: i64) -> RunLogResult<u32> {
        self.with(|conn| {
            conn.prepare_cached(
                "SELECT COUNT(*) FROM automation_runs
                 WHERE object_id = ?1 AND rule = ?2 AND claimed_at >= ?3
                   AND status IN ('claimed', 'applied', 'dry_run', 'failed', 'interrupted')",
            )?
            .query_row(params![object_id, rule, since], |r| r.get(0))
        })
    }

    fn query(&self, filter: &LogFilter) -> RunLogResult<Vec<RunRecord>> {
        let limit = if filter.limit == 0 { 50 } else { filter.limit } as i64;
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT seq, event_id, rule, topic, object_type, object_id, dry_run, status,
                        detail, error, claimed_at, finished_at
                 FROM automation_runs
                 WHERE (?1 IS NULL OR rule = ?1) AND (?2 IS NULL OR object_id = ?2)
                   AND (?3 IS NULL OR status = ?3) AND (?4 IS NULL OR seq < ?4)
                 ORDER BY seq DESC LIMIT ?5",
            )?;
            let rows = stmt.query_map(
                params![
                    filter.rule,
                    filter.object_id,
                    filter.status.map(RunStatus::as_str),
                    filter.before_seq,
                    limit
                ],
                |r| {
                    let status: String = r.get(7)?;
                    let detail: Option<String> = r.get(8)?;
                    Ok(RunRecord {
                        seq: r.get(0)?,
                        event_id: r.get(1)?,
                        rule: r.get(2)?,
                        topic: r.get(3)?,
                        object_type: r.get(4)?,
                        object_id: r.get(5)?,
                        dry_run: r.get(6)?,
                        status: RunStatus::parse(&status).unwrap_or(RunStatus::Claimed),
                        detail: detail.and_then(|d| serde_json::from_str(&d).ok()),
                        error: r.get(9)?,
                        claimed_at: r.get(10)?,
                        finished_at: r.get(11)?,
                    })
                },
            )?;
            rows.collect()
        })
    }

    /// Remember that `rule` just wrote `object_id`, so these topics on it are its own echo until `expires_at`.
    fn expect_echo(
        &self,
        object_id: &str,
        topics: &[&str],
        rule: &str,
        expires_at: i64,
    ) -> RunLogResult<()> {
        if topics.is_empty() {
            return Ok(());
        }
        let now = intercom_mirror::now_unix();
        self.with(|conn| {
            let tx = conn.transaction()?;
            {
                // Expired expectations go here, in a write that happens anyway, not on every read.
                tx.prepare_cached("DELETE FROM automation_echoes WHERE expires_at < ?1")?
                    .execute(params![now])?;
                let mut insert = tx.prepare_cached(
                    "INSERT INTO automation_echoes (object_id, topic, rule, expires_at) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for topic in topics {
                    insert.execute(params![object_id, topic, rule, expires_at])?;
                }
            }
            tx.commit()
        })
    }

    /// Rules whose own recent writes explain this event on `object_id`.
    fn echo_rules(&self, object_id: &str, topic: &str, now: i64) -> RunLogResult<Vec<String>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT DISTINCT rule FROM automation_echoes
                 WHERE object_id = ?1 AND topic = ?2 AND expires_at >= ?3",
            )?;
            let rows = stmt.query_map(params![object_id, topic, now], |r| r.get(0))?;
            rows.collect()
        })
    }

    fn state(&self, key: &str) -> RunLogResult<Option<String>> {
        self.with(|conn| {
            conn.prepare_cached("SELECT value FROM automation_state WHERE key = ?1")?
                .query_row(params![key], |r| r.get(0))
                .optional()
        })
    }

    fn set_state(&self, key: &str, value: &str) -> RunLogResult<()> {
        self.with(|conn| {
            conn.prepare_cached(
                "INSERT INTO automation_state (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![key, value])
            .map(|_| ())
        })
    }

    /// The next position of a round-robin over `len` candidates, remembered across restarts.
    fn next_turn(&self, key: &str, len: usize, advance: bool) -> RunLogResult<usize> {
        let key = format!("round_robin:{key}");
        let current: u64 = self.state(&key)?.and_then(|v| v.parse().ok()).unwrap_or(0);
        if advance {
            self.set_state(&key, &(current + 1).to_string())?;
        }
        Ok((current % len.max(1) as u64) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(id: &str) -> Event {
        Event {
            id: id.into(),
            topic: "conversation.user.created".into(),
            created_at: 1,
            item: json!({"id": "c1"}),
        }
    }

    #[tokio::test]
    async fn claims_once_even_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite3");
        let log = SqliteRunLog::open(&path).unwrap();
        let claims = log
            .claim(
                &event("n1"),
                Some("conversation"),
                Some("c1"),
                &[("a", false), ("b", true)],
                10,
            )
            .await
            .unwrap();
        assert!(claims.iter().all(Option::is_some));
        log.finish(
            claims[0].unwrap(),
            RunStatus::Applied,
            &json!({"actions": []}),
            None,
            11,
        )
        .await
        .unwrap();
        drop(log);

        let log = SqliteRunLog::open(&path).unwrap();
        assert_eq!(
            log.mark_interrupted(12).await.unwrap(),
            1,
            "b was still claimed"
        );
        let again = log
            .claim(
                &event("n1"),
                Some("conversation"),
                Some("c1"),
                &[("a", false), ("b", true), ("c", false)],
                13,
            )
            .await
            .unwrap();
        assert_eq!(again[0], None);
        assert_eq!(again[1], None);
        assert!(again[2].is_some());

        let rows = log
            .query(&LogFilter {
                rule: Some("b".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].status, RunStatus::Interrupted);
        let applied = log
            .query(&LogFilter {
                status: Some(RunStatus::Applied),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(applied.len(), 1);
        assert_eq!(applied[0].rule, "a");
        assert_eq!(log.recent_runs("a", "c1", 0).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn echoes_expire_and_turns_rotate() {
        let dir = tempfile::tempdir().unwrap();
        let log = SqliteRunLog::open(&dir.path().join("s.sqlite3")).unwrap();
        log.expect_echo("c1", &["conversation.admin.noted"], "r", 100)
            .await
            .unwrap();
        assert_eq!(
            log.echo_rules("c1", "conversation.admin.noted", 50)
                .await
                .unwrap(),
            vec!["r"]
        );
        assert!(
            log.echo_rules("c1", "conversation.admin.closed", 50)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            log.echo_rules("c1", "conversation.admin.noted", 101)
                .await
                .unwrap()
                .is_empty()
        );
        let mut turns = Vec::new();
        for _ in 0..4 {
            turns.push(log.next_turn("team5", 3, true).await.unwrap());
        }
        assert_eq!(turns, vec![0, 1, 2, 0]);
        assert_eq!(log.next_turn("team5", 3, false).await.unwrap(), 1);
        assert_eq!(log.next_turn("team5", 3, false).await.unwrap(), 1);
    }
}
