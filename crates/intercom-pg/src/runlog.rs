//! The automations run log in PostgreSQL ([`PgRunLog`], an `intercom_automations::RunLog`).
//!
//! Every replica's engine reads the whole shared event log; the unique `(event_id, rule)` row
//! decides which replica runs a rule on an event: of replicas racing for it exactly one
//! inserts it. The winner also holds a claim (scope `automation_run`) with a lease, which says
//! whose run it is and whether that replica is still alive. The engine records a run's start
//! before its first action, so a run without progress never attempted one: when its process is
//! gone (lease ran out, or the replica restarted under the same name and reads the event again)
//! the next claim takes it over and runs it. A run that had started is marked `interrupted`,
//! never run again: an action may have reached Intercom before the replica died, and each rule
//! runs at most once per event, as with the SQLite run log.
//!
//! Round-robin positions, echoes and the rate cap's counts are shared by the fleet; the
//! engine's read position in the event log (`event_cursor`) is each replica's own.

use std::sync::Arc;
use std::time::Duration;

use intercom_automations::context::Event;
use intercom_automations::runlog::{
    LogFilter, RunEnding, RunLog, RunLogError, RunLogFuture, RunRecord, RunStatus,
};
use serde_json::Value;

use crate::db::Database;
use crate::error::Error;

/// The claims scope of automation runs (key: `event_id/rule`).
pub const AUTOMATION_RUN_SCOPE: &str = "automation_run";
/// A run's lease: longer than any run takes; it only tells live replicas from dead ones.
pub const DEFAULT_RUN_LEASE: Duration = Duration::from_secs(300);
/// The engine's read position: kept per replica.
const CURSOR_KEY: &str = "event_cursor";

/// The run log in the fleet's database.
#[derive(Clone)]
pub struct PgRunLog {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    /// The replica's stable name (the same after a restart).
    replica: String,
    /// `replica#instance`: this process, as a claim's owner.
    owner: String,
    lease: Duration,
}

impl std::fmt::Debug for PgRunLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgRunLog")
            .field("database", &self.inner.db.target())
            .field("owner", &self.inner.owner)
            .finish()
    }
}

impl PgRunLog {
    /// The run log of the replica named `replica` (stable across its restarts, unique in the
    /// fleet, without `#`).
    pub fn new(db: Database, replica: &str) -> Self {
        Self::with_lease(db, replica, DEFAULT_RUN_LEASE)
    }

    pub fn with_lease(db: Database, replica: &str, lease: Duration) -> Self {
        let replica = replica.replace('#', "_");
        let instance = &uuid::Uuid::new_v4().simple().to_string()[..8];
        Self {
            inner: Arc::new(Inner {
                db,
                owner: format!("{replica}#{instance}"),
                replica,
                lease,
            }),
        }
    }

    /// This process as a claim's owner (`replica#instance`).
    pub fn owner(&self) -> &str {
        &self.inner.owner
    }

    fn run<T: Send + 'static, F>(&self, call: impl FnOnce(Arc<Inner>) -> F) -> RunLogFuture<T>
    where
        F: std::future::Future<Output = Result<T, RunLogError>> + Send + 'static,
    {
        Box::pin(call(self.inner.clone()))
    }
}

fn run_key(event_id: &str, rule: &str) -> String {
    format!("{event_id}/{rule}")
}

impl Inner {
    fn err(&self, e: Error) -> RunLogError {
        RunLogError::new(self.db.target(), e)
    }

    fn q(&self, what: &'static str, e: tokio_postgres::Error) -> RunLogError {
        self.err(self.db.redactor().query(what, &e))
    }

    fn state_key(&self, key: &str) -> String {
        if key == CURSOR_KEY {
            format!("{CURSOR_KEY}:{}", self.replica)
        } else {
            key.to_string()
        }
    }

    async fn claim(
        &self,
        event: Event,
        object_type: Option<String>,
        object_id: Option<String>,
        rules: Vec<(String, bool)>,
        now: i64,
    ) -> Result<Vec<Option<i64>>, RunLogError> {
        let mut client = self.db.client().await.map_err(|e| self.err(e))?;
        let q = |e| self.q("claim automation runs", e);
        let tx = client.transaction().await.map_err(q)?;
        let mut out = Vec::with_capacity(rules.len());
        for (rule, dry_run) in &rules {
            let won = tx
                .query_opt(
                    "INSERT INTO automation_runs
                        (event_id, rule, topic, object_type, object_id, dry_run, status, claimed_at)
                     VALUES ($1, $2, $3, $4, $5, $6, 'claimed', $7)
                     ON CONFLICT (event_id, rule) DO NOTHING
                     RETURNING seq",
                    &[
                        &event.id,
                        rule,
                        &event.topic,
                        &object_type,
                        &object_id,
                        dry_run,
                        &now,
                    ],
                )
                .await
                .map_err(q)?;
            let mut seq = won.map(|r| r.get::<_, i64>(0));
            if seq.is_none() {
                // Taken over: a run its process never started (no progress recorded: the
                // engine records the start before the first action), whose process is gone
                // (lease ran out, or an earlier process of this replica).
                seq = tx
                    .query_opt(
                        "UPDATE claims c
                            SET owner = $3,
                                lease_until = clock_timestamp() + make_interval(secs => $6),
                                attempts = c.attempts + 1,
                                claimed_at = clock_timestamp()
                           FROM automation_runs r
                          WHERE r.event_id = $1 AND r.rule = $2 AND r.status = 'claimed'
                            AND r.detail IS NULL
                            AND c.scope = $4 AND c.key = $5 AND c.completed_at IS NULL
                            AND c.owner <> $3
                            AND (c.lease_until <= clock_timestamp()
                                 OR left(c.owner, length($7) + 1) = $7 || '#')
                      RETURNING r.seq",
                        &[
                            &event.id,
                            rule,
                            &self.owner,
                            &AUTOMATION_RUN_SCOPE,
                            &run_key(&event.id, rule),
                            &self.lease.as_secs_f64(),
                            &self.replica,
                        ],
                    )
                    .await
                    .map_err(q)?
                    .map(|r| r.get::<_, i64>(0));
                if let Some(taken) = seq {
                    tracing::info!(event = %event.id, rule = %rule, run = taken, "took over an automation run whose process is gone before it started");
                }
            } else {
                tx.execute(
                    "INSERT INTO claims (scope, key, owner, lease_until, attempts, claimed_at)
                     VALUES ($1, $2, $3, clock_timestamp() + make_interval(secs => $4), 1, clock_timestamp())
                     ON CONFLICT (scope, key) DO NOTHING",
                    &[
                        &AUTOMATION_RUN_SCOPE,
                        &run_key(&event.id, rule),
                        &self.owner,
                        &self.lease.as_secs_f64(),
                    ],
                )
                .await
                .map_err(q)?;
            }
            out.push(seq);
        }
        tx.commit().await.map_err(q)?;
        Ok(out)
    }

    async fn finish_many(&self, runs: Vec<RunEnding>, now: i64) -> Result<(), RunLogError> {
        if runs.is_empty() {
            return Ok(());
        }
        let mut client = self.db.client().await.map_err(|e| self.err(e))?;
        let q = |e| self.q("record automation runs", e);
        let tx = client.transaction().await.map_err(q)?;
        for (id, status, detail, error) in &runs {
            let row = tx
                .query_opt(
                    "UPDATE automation_runs SET status = $2, detail = $3, error = $4, finished_at = $5
                     WHERE seq = $1 RETURNING event_id, rule",
                    &[id, &status.as_str(), detail, error, &now],
                )
                .await
                .map_err(q)?;
            if let Some(row) = row {
                let key = run_key(row.get(0), row.get(1));
                tx.execute(
                    "UPDATE claims SET completed_at = clock_timestamp()
                     WHERE scope = $1 AND key = $2 AND completed_at IS NULL",
                    &[&AUTOMATION_RUN_SCOPE, &key],
                )
                .await
                .map_err(q)?;
            }
        }
        tx.commit().await.map_err(q)
    }

    async fn progress(&self, run_id: i64, detail: Value) -> Result<(), RunLogError> {
        let client = self.db.client().await.map_err(|e| self.err(e))?;
        client
            .execute(
                "UPDATE automation_runs SET detail = $2 WHERE seq = $1 AND status = 'claimed'",
                &[&run_id, &detail],
            )
            .await
            .map_err(|e| self.q("save an automation run's progress", e))?;
        Ok(())
    }

    /// Runs left `claimed` by a replica that is gone: its lease ran out, or it is an earlier
    /// process of this replica. Runs other live replicas hold are theirs to finish.
    async fn mark_interrupted(&self, now: i64) -> Result<usize, RunLogError> {
        let client = self.db.client().await.map_err(|e| self.err(e))?;
        let n = client
            .execute(
                "UPDATE automation_runs r SET status = 'interrupted', finished_at = $1,
                     error = 'the replica running it stopped while this run was in flight; it is not run again \
                              (each rule runs at most once per event); check the actions in detail'
                 WHERE r.status = 'claimed'
                   AND NOT EXISTS (
                       SELECT 1 FROM claims c
                       WHERE c.scope = $2 AND c.key = r.event_id || '/' || r.rule
                         AND c.completed_at IS NULL
                         AND c.lease_until > clock_timestamp()
                         AND (left(c.owner, length($3) + 1) <> $3 || '#' OR c.owner = $4)
                   )
                   -- An earlier process's run that never started is taken over when this
                   -- replica's engine reads its event again (its read position is before it).
                   AND NOT (r.detail IS NULL AND EXISTS (
                       SELECT 1 FROM claims c
                       WHERE c.scope = $2 AND c.key = r.event_id || '/' || r.rule
                         AND c.completed_at IS NULL
                         AND left(c.owner, length($3) + 1) = $3 || '#' AND c.owner <> $4
                   ))",
                &[&now, &AUTOMATION_RUN_SCOPE, &self.replica, &self.owner],
            )
            .await
            .map_err(|e| self.q("close interrupted automation runs", e))?;
        if n > 0 {
            client
                .execute(
                    "UPDATE claims c SET completed_at = clock_timestamp()
                     FROM automation_runs r
                     WHERE c.scope = $1 AND c.key = r.event_id || '/' || r.rule
                       AND c.completed_at IS NULL AND r.status = 'interrupted'",
                    &[&AUTOMATION_RUN_SCOPE],
                )
                .await
                .map_err(|e| self.q("close interrupted automation runs", e))?;
        }
        Ok(n as usize)
    }

    async fn recent_runs(
        &self,
        rule: &str,
        object_id: &str,
        since: i64,
    ) -> Result<u32, RunLogError> {
        let client = self.db.client().await.map_err(|e| self.err(e))?;
        let row = client
            .query_one(
                "SELECT count(*) FROM automation_runs
                 WHERE object_id = $1 AND rule = $2 AND claimed_at >= $3
                   AND status IN ('claimed', 'applied', 'dry_run', 'failed', 'interrupted')",
                &[&object_id, &rule, &since],
            )
            .await
            .map_err(|e| self.q("count recent automation runs", e))?;
        Ok(row.get::<_, i64>(0) as u32)
    }

    async fn query(&self, filter: LogFilter) -> Result<Vec<RunRecord>, RunLogError> {
        let limit = if filter.limit == 0 { 50 } else { filter.limit } as i64;
        let client = self.db.client().await.map_err(|e| self.err(e))?;
        let status = filter.status.map(RunStatus::as_str);
        let rows = client
            .query(
                "SELECT seq, event_id, rule, topic, object_type, object_id, dry_run, status,
                        detail, error, claimed_at, finished_at
                 FROM automation_runs
                 WHERE ($1::text IS NULL OR rule = $1) AND ($2::text IS NULL OR object_id = $2)
                   AND ($3::text IS NULL OR status = $3) AND ($4::bigint IS NULL OR seq < $4)
                 ORDER BY seq DESC LIMIT $5",
                &[
                    &filter.rule,
                    &filter.object_id,
                    &status,
                    &filter.before_seq,
                    &limit,
                ],
            )
            .await
            .map_err(|e| self.q("read the automations run log", e))?;
        Ok(rows
            .iter()
            .map(|r| RunRecord {
                seq: r.get(0),
                event_id: r.get(1),
                rule: r.get(2),
                topic: r.get(3),
                object_type: r.get(4),
                object_id: r.get(5),
                dry_run: r.get(6),
                status: RunStatus::parse(r.get(7)).unwrap_or(RunStatus::Claimed),
                detail: r.get(8),
                error: r.get(9),
                claimed_at: r.get(10),
                finished_at: r.get(11),
            })
            .collect())
    }

    async fn expect_echo(
        &self,
        object_id: String,
        topics: Vec<String>,
        rule: String,
        expires_at: i64,
    ) -> Result<(), RunLogError> {
        if topics.is_empty() {
            return Ok(());
        }
        let mut client = self.db.client().await.map_err(|e| self.err(e))?;
        let q = |e| self.q("remember an automation's write", e);
        let tx = client.transaction().await.map_err(q)?;
        tx.execute(
            "DELETE FROM automation_echoes WHERE expires_at < $1",
            &[&intercom_mirror::now_unix()],
        )
        .await
        .map_err(q)?;
        tx.execute(
            "INSERT INTO automation_echoes (object_id, topic, rule, expires_at)
             SELECT $1, t, $3, $4 FROM unnest($2::text[]) AS t",
            &[&object_id, &topics, &rule, &expires_at],
        )
        .await
        .map_err(q)?;
        tx.commit().await.map_err(q)
    }

    async fn echo_rules(
        &self,
        object_id: &str,
        topic: &str,
        now: i64,
    ) -> Result<Vec<String>, RunLogError> {
        let client = self.db.client().await.map_err(|e| self.err(e))?;
        let rows = client
            .query(
                "SELECT DISTINCT rule FROM automation_echoes
                 WHERE object_id = $1 AND topic = $2 AND expires_at >= $3 ORDER BY rule",
                &[&object_id, &topic, &now],
            )
            .await
            .map_err(|e| self.q("read an automation's writes", e))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn state(&self, key: &str) -> Result<Option<String>, RunLogError> {
        let client = self.db.client().await.map_err(|e| self.err(e))?;
        let row = client
            .query_opt(
                "SELECT value FROM automation_state WHERE key = $1",
                &[&self.state_key(key)],
            )
            .await
            .map_err(|e| self.q("read automations state", e))?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn set_state(&self, key: &str, value: &str) -> Result<(), RunLogError> {
        let client = self.db.client().await.map_err(|e| self.err(e))?;
        client
            .execute(
                "INSERT INTO automation_state (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                &[&self.state_key(key), &value],
            )
            .await
            .map_err(|e| self.q("save automations state", e))?;
        Ok(())
    }

    /// One atomic step for the whole fleet: two replicas never get the same turn.
    async fn next_turn(&self, key: &str, len: usize, advance: bool) -> Result<usize, RunLogError> {
        let key = format!("round_robin:{key}");
        let client = self.db.client().await.map_err(|e| self.err(e))?;
        let q = |e| self.q("take a round-robin turn", e);
        let current: i64 = if advance {
            // The value before this step: the new row starts at 1, meaning turn 0 was taken.
            let row = client
                .query_one(
                    "INSERT INTO automation_state AS s (key, value) VALUES ($1, '1')
                     ON CONFLICT (key) DO UPDATE
                        SET value = ((CASE WHEN s.value ~ '^[0-9]+$' THEN s.value::bigint ELSE 0 END) + 1)::text
                     RETURNING value::bigint - 1",
                    &[&key],
                )
                .await
                .map_err(q)?;
            row.get(0)
        } else {
            client
                .query_opt(
                    "SELECT CASE WHEN value ~ '^[0-9]+$' THEN value::bigint ELSE 0 END
                     FROM automation_state WHERE key = $1",
                    &[&key],
                )
                .await
                .map_err(q)?
                .map(|r| r.get(0))
                .unwrap_or(0)
        };
        Ok((current.max(0) as u64 % len.max(1) as u64) as usize)
    }
}

impl RunLog for PgRunLog {
    fn location(&self) -> String {
        format!("PostgreSQL {}", self.inner.db.target())
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
        self.run(move |inner| async move {
            inner.claim(event, object_type, object_id, rules, now).await
        })
    }

    fn finish_many(&self, runs: Vec<RunEnding>, now: i64) -> RunLogFuture<()> {
        self.run(move |inner| async move { inner.finish_many(runs, now).await })
    }

    fn progress(&self, run_id: i64, detail: &Value) -> RunLogFuture<()> {
        let detail = detail.clone();
        self.run(move |inner| async move { inner.progress(run_id, detail).await })
    }

    fn mark_interrupted(&self, now: i64) -> RunLogFuture<usize> {
        self.run(move |inner| async move { inner.mark_interrupted(now).await })
    }

    fn recent_runs(&self, rule: &str, object_id: &str, since: i64) -> RunLogFuture<u32> {
        let (rule, object_id) = (rule.to_string(), object_id.to_string());
        self.run(move |inner| async move { inner.recent_runs(&rule, &object_id, since).await })
    }

    fn query(&self, filter: &LogFilter) -> RunLogFuture<Vec<RunRecord>> {
        let filter = filter.clone();
        self.run(move |inner| async move { inner.query(filter).await })
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
        self.run(move |inner| async move {
            inner.expect_echo(object_id, topics, rule, expires_at).await
        })
    }

    fn echo_rules(&self, object_id: &str, topic: &str, now: i64) -> RunLogFuture<Vec<String>> {
        let (object_id, topic) = (object_id.to_string(), topic.to_string());
        self.run(move |inner| async move { inner.echo_rules(&object_id, &topic, now).await })
    }

    fn state(&self, key: &str) -> RunLogFuture<Option<String>> {
        let key = key.to_string();
        self.run(move |inner| async move { inner.state(&key).await })
    }

    fn set_state(&self, key: &str, value: &str) -> RunLogFuture<()> {
        let (key, value) = (key.to_string(), value.to_string());
        self.run(move |inner| async move { inner.set_state(&key, &value).await })
    }

    fn next_turn(&self, key: &str, len: usize, advance: bool) -> RunLogFuture<usize> {
        let key = key.to_string();
        self.run(move |inner| async move { inner.next_turn(&key, len, advance).await })
    }
}
