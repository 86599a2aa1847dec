//! Bulk jobs in PostgreSQL ([`PgJobStore`], an `intercom_jobs::bulk::JobStore`): any replica
//! can create, read and run a job; the replica running it holds the job's claim (scope
//! `bulk_job`) and renews it while it runs. When that replica dies its lease runs out and
//! another replica takes the job over, reading each pending item back before sending it
//! again (the runner's rule for resumed jobs). An item's outcome is recorded only by the
//! lease's holder, so a replica that lost its lease cannot overwrite the new holder's work.

use std::sync::Arc;
use std::time::Duration;

use intercom_jobs::bulk::{
    ConfirmHold, ItemRecord, ItemStatus, JobRecord, JobState, JobStore, NewItem, RunLease,
    StoreError, StoreFuture,
};
use intercom_mirror::now_unix;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::claims::{ClaimOutcome, Claims};
use crate::db::Database;
use crate::error::Error;

/// The claims scope of running bulk jobs.
pub const BULK_JOB_SCOPE: &str = "bulk_job";
/// A job stored but never started is orphaned only after this long (its creator starts it at
/// once; another replica must not take it from under it).
const UNSTARTED_GRACE_SECS: i64 = 60;
/// How long a run's hold on a job lasts without renewal (renewed every third of it).
pub const DEFAULT_JOB_LEASE: Duration = Duration::from_secs(30);

/// Bulk jobs and their items in the fleet's database.
#[derive(Clone)]
pub struct PgJobStore {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    claims: Claims,
    /// This replica, as it appears as a claim's owner.
    owner: String,
    lease: Duration,
}

impl std::fmt::Debug for PgJobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgJobStore")
            .field("database", &self.inner.db.target())
            .field("owner", &self.inner.owner)
            .finish()
    }
}

impl PgJobStore {
    /// Jobs in `db`, run by the replica named `owner` (unique per live process).
    pub fn new(db: Database, owner: impl Into<String>) -> Self {
        Self::with_lease(db, owner, DEFAULT_JOB_LEASE)
    }

    /// Like [`PgJobStore::new`] with the lease a run holds between renewals.
    pub fn with_lease(db: Database, owner: impl Into<String>, lease: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                claims: Claims::new(db.clone(), BULK_JOB_SCOPE),
                db,
                owner: owner.into(),
                lease: lease.max(Duration::from_millis(300)),
            }),
        }
    }

    pub fn owner(&self) -> &str {
        &self.inner.owner
    }

    /// Jobs left `running` by a replica that stopped without a word (its lease ran out, or it
    /// stopped between storing the job and starting it, a minute ago or more): what another
    /// replica resumes. Oldest lease first, at most `limit`.
    pub async fn orphaned_jobs(&self, limit: i64) -> Result<Vec<String>, StoreError> {
        let inner = &self.inner;
        let client = inner.db.client().await.map_err(|e| inner.err(e))?;
        let rows = client
            .query(
                "SELECT j.id FROM bulk_jobs j
                 LEFT JOIN claims c ON c.scope = $1 AND c.key = j.id
                 WHERE j.state = 'running'
                   AND CASE WHEN c.key IS NULL THEN j.updated_at <= $3
                            ELSE c.completed_at IS NULL AND c.lease_until <= clock_timestamp() END
                 ORDER BY c.lease_until NULLS FIRST, j.created_at
                 LIMIT $2",
                &[
                    &BULK_JOB_SCOPE,
                    &limit,
                    &(now_unix() - UNSTARTED_GRACE_SECS),
                ],
            )
            .await
            .map_err(|e| inner.q("list orphaned bulk jobs", e))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}

impl Inner {
    fn err(&self, e: Error) -> StoreError {
        StoreError::new(self.db.target(), e)
    }

    fn q(&self, what: &'static str, e: tokio_postgres::Error) -> StoreError {
        self.err(self.db.redactor().query(what, &e))
    }

    async fn create_job(
        &self,
        kind: &str,
        spec: &Value,
        description: &str,
        items: &[NewItem],
    ) -> Result<String, StoreError> {
        let id = format!("job_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let now = now_unix();
        let mut client = self.db.client().await.map_err(|e| self.err(e))?;
        let q = |e| self.q("store a bulk job", e);
        let tx = client.transaction().await.map_err(q)?;
        tx.execute(
            "INSERT INTO bulk_jobs (id, kind, spec, description, state, created_at, updated_at, total)
             VALUES ($1, $2, $3, $4, 'running', $5, $5, $6)",
            &[&id, &kind, spec, &description, &now, &(items.len() as i64)],
        )
        .await
        .map_err(q)?;
        // One statement for all items: arrays unnested server-side.
        let mut seqs = Vec::with_capacity(items.len());
        let mut targets = Vec::with_capacity(items.len());
        let mut labels = Vec::with_capacity(items.len());
        let mut payloads: Vec<Option<Value>> = Vec::with_capacity(items.len());
        let mut statuses = Vec::with_capacity(items.len());
        let mut errors: Vec<Option<String>> = Vec::with_capacity(items.len());
        let mut finished: Vec<Option<i64>> = Vec::with_capacity(items.len());
        for (seq, item) in items.iter().enumerate() {
            seqs.push(seq as i64);
            targets.push(item.id.clone());
            labels.push(item.label.clone());
            payloads.push(item.payload.clone());
            let failed = item.failed.is_some();
            let unchanged = !failed && item.unchanged;
            statuses.push(
                if failed {
                    ItemStatus::Failed
                } else if unchanged {
                    ItemStatus::Unchanged
                } else {
                    ItemStatus::Pending
                }
                .as_str(),
            );
            errors.push(item.failed.clone());
            finished.push((failed || unchanged).then_some(now));
        }
        tx.execute(
            "INSERT INTO bulk_items (job_id, seq, target_id, label, payload, status, error, finished_at)
             SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::jsonb[], $6::text[], $7::text[], $8::bigint[])",
            &[&id, &seqs, &targets, &labels, &payloads, &statuses, &errors, &finished],
        )
        .await
        .map_err(q)?;
        tx.commit().await.map_err(q)?;
        Ok(id)
    }

    async fn job(&self, id: &str) -> Result<Option<JobRecord>, StoreError> {
        let client = self.db.client().await.map_err(|e| self.err(e))?;
        let row = client
            .query_opt(
                "SELECT j.id, j.kind, j.spec, j.description, j.state, j.created_at, j.updated_at, j.total,
                        count(*) FILTER (WHERE i.status = 'ok'),
                        count(*) FILTER (WHERE i.status = 'failed'),
                        count(*) FILTER (WHERE i.status = 'pending'),
                        count(*) FILTER (WHERE i.status = 'unchanged')
                 FROM bulk_jobs j LEFT JOIN bulk_items i ON i.job_id = j.id
                 WHERE j.id = $1 GROUP BY j.id",
                &[&id.trim()],
            )
            .await
            .map_err(|e| self.q("read a bulk job", e))?;
        Ok(row.map(|r| JobRecord {
            id: r.get(0),
            kind: r.get(1),
            spec: r.get(2),
            description: r.get(3),
            state: JobState::parse(r.get(4)),
            created_at: r.get(5),
            updated_at: r.get(6),
            total: r.get::<_, i64>(7) as u64,
            ok: r.get::<_, i64>(8) as u64,
            failed: r.get::<_, i64>(9) as u64,
            pending: r.get::<_, i64>(10) as u64,
            unchanged: r.get::<_, i64>(11) as u64,
        }))
    }

    async fn items(
        &self,
        id: &str,
        status: Option<ItemStatus>,
    ) -> Result<Vec<ItemRecord>, StoreError> {
        let client = self.db.client().await.map_err(|e| self.err(e))?;
        let status = status.map(ItemStatus::as_str);
        let rows = client
            .query(
                "SELECT seq, target_id, label, status, error, attempts, payload FROM bulk_items
                 WHERE job_id = $1 AND ($2::text IS NULL OR status = $2) ORDER BY seq",
                &[&id, &status],
            )
            .await
            .map_err(|e| self.q("read bulk job items", e))?;
        Ok(rows
            .iter()
            .map(|r| ItemRecord {
                seq: r.get::<_, i64>(0) as u64,
                id: r.get(1),
                label: r.get(2),
                status: ItemStatus::parse(r.get(3)),
                error: r.get(4),
                attempts: r.get::<_, i32>(5) as u32,
                payload: r.get(6),
            })
            .collect())
    }

    /// Recorded only while this replica holds the job (or nobody does: a store used without
    /// runs, as by a command-line tool); an item already finished keeps its outcome.
    async fn finish_item(
        &self,
        job_id: &str,
        seq: u64,
        status: ItemStatus,
        error: Option<&str>,
        attempts: u32,
    ) -> Result<(), StoreError> {
        let client = self.db.client().await.map_err(|e| self.err(e))?;
        let n = client
            .execute(
                "UPDATE bulk_items SET status = $3, error = $4, attempts = attempts + $5, finished_at = $6
                 WHERE job_id = $1 AND seq = $2
                   AND NOT EXISTS (SELECT 1 FROM claims c
                                   WHERE c.scope = $7 AND c.key = $1 AND c.owner <> $8
                                     AND c.completed_at IS NULL)",
                &[
                    &job_id,
                    &(seq as i64),
                    &status.as_str(),
                    &error,
                    &(attempts as i32),
                    &now_unix(),
                    &BULK_JOB_SCOPE,
                    &self.owner,
                ],
            )
            .await
            .map_err(|e| self.q("record a bulk item", e))?;
        if n == 0 {
            return Err(StoreError::new(
                self.db.target(),
                format!(
                    "item {seq} of job `{job_id}` was not recorded: another replica holds the job now \
                     (it reads the item back before sending it again)"
                ),
            ));
        }
        Ok(())
    }

    async fn set_state(&self, job_id: &str, state: JobState) -> Result<(), StoreError> {
        let client = self.db.client().await.map_err(|e| self.err(e))?;
        client
            .execute(
                "UPDATE bulk_jobs SET state = $2, updated_at = $3 WHERE id = $1",
                &[&job_id, &state.as_str(), &now_unix()],
            )
            .await
            .map_err(|e| self.q("update a bulk job", e))?;
        Ok(())
    }

    async fn recent_jobs(&self, limit: usize) -> Result<Vec<JobRecord>, StoreError> {
        let ids: Vec<String> = {
            let client = self.db.client().await.map_err(|e| self.err(e))?;
            client
                .query(
                    "SELECT id FROM bulk_jobs ORDER BY created_at DESC, id DESC LIMIT $1",
                    &[&(limit as i64)],
                )
                .await
                .map_err(|e| self.q("list bulk jobs", e))?
                .iter()
                .map(|r| r.get(0))
                .collect()
        };
        let mut jobs = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(job) = self.job(&id).await? {
                jobs.push(job);
            }
        }
        Ok(jobs)
    }

    async fn begin_run(self: Arc<Self>, job_id: String) -> Result<RunLease, StoreError> {
        let outcome = self
            .claims
            .claim(&job_id, &self.owner, self.lease)
            .await
            .map_err(|e| self.err(e))?;
        let attempt = match outcome {
            ClaimOutcome::Won { attempt } => attempt,
            ClaimOutcome::Held { owner } => {
                return Err(StoreError::new(
                    self.db.target(),
                    format!(
                        "job `{job_id}` is being run by replica `{owner}`; if that replica stopped, its \
                         lease runs out within {} s and the job can be resumed then",
                        self.lease.as_secs().max(1)
                    ),
                ));
            }
            // A finished job's claim is completed; reopen nothing, the runner reports it.
            ClaimOutcome::Completed { .. } => 1,
        };
        let lost = CancellationToken::new();
        let stop = CancellationToken::new();
        // Before each write: renewing is the check (false once another owner holds the job,
        // and when the database does not answer, since then nobody can tell).
        let confirm: ConfirmHold = {
            let (inner, job_id) = (self.clone(), job_id.clone());
            Box::new(move || {
                let (inner, job_id) = (inner.clone(), job_id.clone());
                Box::pin(async move {
                    match inner.claims.renew(&job_id, &inner.owner, inner.lease).await {
                        Ok(held) => held,
                        Err(e) => {
                            tracing::warn!(job = %job_id, error = %e, "could not confirm a bulk job's lease; stopping its run");
                            false
                        }
                    }
                })
            })
        };
        let renewer = tokio::spawn(renew(
            self.clone(),
            job_id.clone(),
            lost.clone(),
            stop.clone(),
        ));
        let release = Release {
            inner: self,
            job_id,
            stop,
            renewer: Some(renewer),
        };
        Ok(RunLease::new(attempt > 1, lost, confirm, release))
    }
}

/// Renews the run's lease every third of it; fires `lost` when the claim is no longer ours.
async fn renew(
    inner: Arc<Inner>,
    job_id: String,
    lost: CancellationToken,
    stop: CancellationToken,
) {
    let every = inner.lease / 3;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        match inner.claims.renew(&job_id, &inner.owner, inner.lease).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(job = %job_id, "lost the lease on a bulk job: another replica took it over");
                lost.cancel();
                return;
            }
            // The database did not answer: keep running; an item is recorded only while the
            // lease is ours, so a takeover meanwhile shows up at the next record.
            Err(e) => {
                tracing::warn!(job = %job_id, error = %e, "could not renew a bulk job's lease")
            }
        }
    }
}

/// Gives the job's lease up when the run ends (dropped with its [`RunLease`]).
struct Release {
    inner: Arc<Inner>,
    job_id: String,
    stop: CancellationToken,
    renewer: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Release {
    fn drop(&mut self) {
        self.stop.cancel();
        let (inner, job_id, renewer) =
            (self.inner.clone(), self.job_id.clone(), self.renewer.take());
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Some(renewer) = renewer {
                    let _ = renewer.await;
                }
                if let Err(e) = inner.claims.release(&job_id, &inner.owner).await {
                    tracing::warn!(job = %job_id, error = %e, "could not release a bulk job's lease; it runs out by itself");
                }
            });
        }
    }
}

impl JobStore for PgJobStore {
    fn location(&self) -> String {
        format!("PostgreSQL {}", self.inner.db.target())
    }

    fn create_job(
        &self,
        kind: &str,
        spec: &Value,
        description: &str,
        items: &[NewItem],
    ) -> StoreFuture<String> {
        let inner = self.inner.clone();
        let (kind, spec, description, items) = (
            kind.to_string(),
            spec.clone(),
            description.to_string(),
            items.to_vec(),
        );
        Box::pin(async move { inner.create_job(&kind, &spec, &description, &items).await })
    }

    fn job(&self, id: &str) -> StoreFuture<Option<JobRecord>> {
        let (inner, id) = (self.inner.clone(), id.to_string());
        Box::pin(async move { inner.job(&id).await })
    }

    fn items(&self, id: &str, status: Option<ItemStatus>) -> StoreFuture<Vec<ItemRecord>> {
        let (inner, id) = (self.inner.clone(), id.to_string());
        Box::pin(async move { inner.items(&id, status).await })
    }

    fn finish_item(
        &self,
        job_id: &str,
        seq: u64,
        status: ItemStatus,
        error: Option<&str>,
        attempts: u32,
    ) -> StoreFuture<()> {
        let (inner, job_id, error) = (
            self.inner.clone(),
            job_id.to_string(),
            error.map(str::to_string),
        );
        Box::pin(async move {
            inner
                .finish_item(&job_id, seq, status, error.as_deref(), attempts)
                .await
        })
    }

    fn set_state(&self, job_id: &str, state: JobState) -> StoreFuture<()> {
        let (inner, job_id) = (self.inner.clone(), job_id.to_string());
        Box::pin(async move { inner.set_state(&job_id, state).await })
    }

    fn recent_jobs(&self, limit: usize) -> StoreFuture<Vec<JobRecord>> {
        let inner = self.inner.clone();
        Box::pin(async move { inner.recent_jobs(limit).await })
    }

    fn begin_run(&self, job_id: &str) -> StoreFuture<RunLease> {
        let (inner, job_id) = (self.inner.clone(), job_id.to_string());
        Box::pin(inner.begin_run(job_id))
    }
}
