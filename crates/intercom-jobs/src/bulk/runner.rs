//! Runs a stored job: as many items in flight as the client's shared rate
//! budget allows (the client paces every request from the `X-RateLimit-*`
//! headers), each outcome persisted as it lands, ambiguous failures checked
//! before anything is sent again.

use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use intercom_api::Client;
use schemars::JsonSchema;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::BulkError;
use super::ops::Operation;
use super::store::{ItemRecord, ItemStatus, JobRecord, JobState, JobStore, RunLease};

/// How a job runs.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Upper bound on requests in flight; the rate budget usually binds first.
    pub max_in_flight: usize,
    /// Attempts per item for failures that may be transient (5xx, broken connections).
    pub max_attempts: u32,
    /// Stop starting new items when cancelled (the job can be resumed).
    pub cancel: CancellationToken,
    /// This run continues an earlier one: pending items may have been sent, so each is
    /// read back before it is sent.
    pub resume: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            max_in_flight: 32,
            max_attempts: 5,
            cancel: CancellationToken::new(),
            resume: false,
        }
    }
}

/// The final report of a run.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JobReport {
    pub job: JobRecord,
    /// Every item with its outcome (`ok`; `unchanged`: it already showed the change, no
    /// request sent; or `failed` with Intercom's reason).
    pub items: Vec<ItemRecord>,
    /// Wall time of this run.
    pub elapsed_ms: u64,
    /// Requests this run sent (writes, read-backs), and how many Intercom answered 429.
    pub requests_sent: u64,
    pub rate_limited: u64,
}

/// Marks the job interrupted if the run is dropped half-way (the caller went away).
/// The store write is spawned: `Drop` cannot wait for it.
struct InterruptGuard<'a> {
    store: &'a dyn JobStore,
    job_id: &'a str,
    armed: bool,
}

impl Drop for InterruptGuard<'_> {
    fn drop(&mut self) {
        if self.armed
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let write = self.store.set_state(self.job_id, JobState::Interrupted);
            runtime.spawn(async move {
                if let Err(err) = write.await {
                    tracing::warn!("could not mark an interrupted bulk job: {err}");
                }
            });
        }
    }
}

/// Run (or resume) job `job_id` until every pending item is attempted or `cancel` fires.
/// `on_item(done, total, item)` is called after each item is persisted.
pub async fn run_job(
    client: &Client,
    store: &dyn JobStore,
    job_id: &str,
    options: &RunOptions,
    on_item: &(dyn Fn(u64, u64, &ItemRecord) + Send + Sync),
) -> Result<JobReport, BulkError> {
    let started = Instant::now();
    let before = client.rate_limit();
    let job = store
        .job(job_id)
        .await?
        .ok_or_else(|| BulkError::Invalid(format!("there is no bulk job `{job_id}`")))?;
    let operation: Operation = serde_json::from_value(job.spec.clone()).map_err(|e| {
        BulkError::Invalid(format!(
            "job `{job_id}` has an operation this build cannot read: {e}"
        ))
    })?;
    if job.state == JobState::Completed {
        return Err(BulkError::Invalid(format!(
            "job `{job_id}` is already completed ({} ok, {} already so, {} failed); call bulk_job_status for its report",
            job.ok, job.unchanged, job.failed
        )));
    }
    // Another process may be running this job (a store shared by replicas): the lease says.
    let lease = store.begin_run(job_id).await?;
    let resumed = options.resume || lease.takeover;
    store.set_state(job_id, JobState::Running).await?;
    let mut guard = InterruptGuard {
        store,
        job_id,
        armed: true,
    };
    let pending = store.items(job_id, Some(ItemStatus::Pending)).await?;
    let total = job.total;
    let mut done = job.ok + job.failed + job.unchanged;
    let mut queue = pending.into_iter();
    let mut in_flight = FuturesUnordered::new();
    // Until the first answer tells the client the rate limit, send one request at a time.
    let mut limit = if client.rate_limit().limit.is_some() {
        options.max_in_flight.max(1)
    } else {
        1
    };
    loop {
        while in_flight.len() < limit
            && !options.cancel.is_cancelled()
            && !lease.lost.is_cancelled()
        {
            let Some(item) = queue.next() else { break };
            let op = &operation;
            let lease = &lease;
            in_flight.push(async move {
                let outcome =
                    process(client, op, &item, resumed, options.max_attempts, lease).await;
                (item, outcome)
            });
        }
        let Some((mut item, outcome)) = in_flight.next().await else {
            break;
        };
        // The hold was lost before the item was sent: it stays pending for the new holder.
        let Some((status, error, attempts)) = outcome else {
            continue;
        };
        limit = options.max_in_flight.max(1);
        store
            .finish_item(job_id, item.seq, status, error.as_deref(), attempts)
            .await?;
        item.status = status;
        item.error = error;
        item.attempts += attempts;
        done += 1;
        on_item(done, total, &item);
    }
    if lease.lost.is_cancelled() {
        // The job is another process's now: it records the job's state from here on.
        guard.armed = false;
        return Err(BulkError::Invalid(format!(
            "this run lost its hold on job `{job_id}` (another replica took it over, or the job \
             database did not answer) and stopped; pending items are left for the job's next run: \
             call bulk_job_status for its progress"
        )));
    }
    let state = if options.cancel.is_cancelled() && queue.len() > 0 {
        JobState::Cancelled
    } else {
        JobState::Completed
    };
    store.set_state(job_id, state).await?;
    guard.armed = false;
    let after = client.rate_limit();
    let job = store
        .job(job_id)
        .await?
        .ok_or_else(|| BulkError::Invalid(format!("job `{job_id}` vanished from the store")))?;
    Ok(JobReport {
        job,
        items: store.items(job_id, None).await?,
        elapsed_ms: started.elapsed().as_millis() as u64,
        requests_sent: after.requests_sent.saturating_sub(before.requests_sent),
        rate_limited: after
            .rate_limited_responses
            .saturating_sub(before.rate_limited_responses),
    })
}

/// One item: apply (while the run still holds the job; `None` when it no longer does), and after a failure that may or may not have been processed,
/// read the target back and only resend if the change is not there.
async fn process(
    client: &Client,
    op: &Operation,
    item: &ItemRecord,
    resumed: bool,
    max_attempts: u32,
    lease: &RunLease,
) -> Option<(ItemStatus, Option<String>, u32)> {
    let payload = item.payload.as_ref();
    let mut check_first = resumed;
    let mut attempts = 0u32;
    let mut backoff = Duration::from_millis(200);
    loop {
        if check_first {
            match op.already_applied(client, &item.id, payload).await {
                Ok(true) => return Some((ItemStatus::Ok, None, attempts)),
                Ok(false) => {}
                Err(err) if err.is_retryable() && attempts < max_attempts => {
                    attempts += 1;
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(8));
                    continue;
                }
                Err(err) => return Some((ItemStatus::Failed, Some(err.to_string()), attempts)),
            }
        }
        if !lease.confirm().await {
            return None;
        }
        attempts += 1;
        match op.apply(client, &item.id, payload).await {
            Ok(()) => return Some((ItemStatus::Ok, None, attempts)),
            Err(err) if err.is_retryable() && attempts < max_attempts => {
                check_first = true;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(8));
            }
            Err(err) => return Some((ItemStatus::Failed, Some(err.to_string()), attempts)),
        }
    }
}
