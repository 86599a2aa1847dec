//! `intercom-mcp sync`: full backfill, then incremental runs by `updated_at`.
//!
//! Progress is committed page by page together with the page's cursor, so a
//! run killed at any point resumes from the last committed page. Conversation
//! details (their parts) are fetched with several requests in flight; the API
//! client paces them to the rate-limit budget.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::columns::id_string;
use super::store::*;
use super::{Mirror, now_unix};

/// The kinds sync covers, in the order it runs them (small reference lists first).
pub const SYNC_ORDER: [ObjectKind; 7] = [
    ObjectKind::Admin,
    ObjectKind::Team,
    ObjectKind::Tag,
    ObjectKind::Company,
    ObjectKind::Contact,
    ObjectKind::Ticket,
    ObjectKind::Conversation,
];

/// Seconds re-read before the high-water mark: `updated_at` has one-second
/// resolution, and a change in the same second as the last run must not be missed.
const OVERLAP_SECONDS: i64 = 2;
/// Contact search matches dates by whole days, so its overlap is a day.
const CONTACT_OVERLAP_SECONDS: i64 = 86_400;

/// What a page request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageRequest {
    /// Everything (backfill).
    All { cursor: Option<String> },
    /// Objects updated after `after` (Unix seconds).
    UpdatedAfter { after: i64, cursor: Option<String> },
}

impl PageRequest {
    fn cursor(&self) -> Option<&str> {
        match self {
            PageRequest::All { cursor } | PageRequest::UpdatedAfter { cursor, .. } => {
                cursor.as_deref()
            }
        }
    }
}

/// One page of objects from the source.
#[derive(Clone, Debug, Default)]
pub struct SourcePage {
    pub items: Vec<Value>,
    /// Cursor of the next page; `None` on the last page.
    pub next: Option<String>,
    /// Total matching objects, when the source says.
    pub total: Option<u64>,
}

/// Pages one kind may take in one sync run: 20,000 pages of 150 is three million objects.
/// Each page is committed with the cursor after it, so a run stopped here resumes there.
pub const MAX_SYNC_PAGES: u32 = 20_000;

/// The words for a sync whose paging was stopped by its [`intercom_api::PageGuard`]
/// ([`SyncError::Source`] adds that the pages read are kept and how to resume).
fn sync_paging_stopped(error: intercom_api::Error) -> String {
    match error {
        intercom_api::Error::Paging {
            what,
            pages,
            reason,
        } => format!("paging {what} was cut after {pages} page(s): {reason}"),
        other => other.to_string(),
    }
}

/// Why a source call failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("not found")]
    NotFound,
    /// The cursor is no longer accepted (expired or from another run).
    #[error("the saved page cursor was refused: {0}")]
    BadCursor(String),
    #[error("{0}")]
    Other(String),
}

/// Where sync reads Intercom data from: the real API through `intercom-api`, or a test double.
pub trait SyncSource: Send + Sync + 'static {
    fn page(
        &self,
        kind: ObjectKind,
        request: PageRequest,
    ) -> impl Future<Output = Result<SourcePage, SourceError>> + Send;

    /// One conversation with its parts.
    fn conversation(&self, id: &str) -> impl Future<Output = Result<Value, SourceError>> + Send;
}

/// Tunables of a sync run.
#[derive(Clone, Debug)]
pub struct SyncOptions {
    /// Conversation detail requests in flight at once.
    pub concurrency: usize,
    /// Kinds to sync (default: all, in [`SYNC_ORDER`]).
    pub kinds: Vec<ObjectKind>,
    /// Show a progress bar (only when stderr is a terminal).
    pub progress: bool,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            concurrency: 32,
            kinds: SYNC_ORDER.to_vec(),
            progress: false,
        }
    }
}

/// What one kind's run did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct KindReport {
    pub kind: String,
    /// `backfill` or `incremental`.
    pub mode: String,
    /// Whether this run continued one that had been interrupted.
    pub resumed: bool,
    pub pages: u64,
    /// Objects the source returned.
    pub seen: u64,
    /// Objects the mirror did not have or had older copies of.
    pub changed: u64,
    pub requests: u64,
    pub seconds: f64,
}

/// What a whole sync did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SyncReport {
    pub kinds: Vec<KindReport>,
    pub requests: u64,
    pub seconds: f64,
}

impl SyncReport {
    /// The summary printed at the end of `intercom-mcp sync`.
    pub fn summary(&self) -> String {
        let mut lines = vec![format!(
            "sync finished in {:.1}s: {} requests ({:.1}/s)",
            self.seconds,
            self.requests,
            self.requests as f64 / self.seconds.max(0.001)
        )];
        for k in &self.kinds {
            lines.push(format!(
                "  {:<13} {:<11}{} {:>7} seen {:>7} changed {:>6} requests {:>6.1}s",
                k.kind,
                k.mode,
                if k.resumed { " (resumed)" } else { "" },
                k.seen,
                k.changed,
                k.requests,
                k.seconds
            ));
        }
        lines.join("\n")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(
        "sync of {kind} stopped: {message}. Progress up to the last saved page is kept; run sync again to resume"
    )]
    Source { kind: ObjectKind, message: String },
    #[error(transparent)]
    Mirror(#[from] MirrorError),
}

/// Runs sync of a mirror from a source.
pub struct Syncer<S> {
    mirror: Mirror,
    source: Arc<S>,
    options: SyncOptions,
    requests: Arc<AtomicU64>,
    /// One bar per kind, drawn together on stderr.
    bars: MultiProgress,
}

impl<S: SyncSource> Syncer<S> {
    pub fn new(mirror: Mirror, source: Arc<S>, options: SyncOptions) -> Self {
        Self {
            mirror,
            source,
            options,
            requests: Arc::new(AtomicU64::new(0)),
            bars: MultiProgress::new(),
        }
    }

    /// Sync every configured kind: backfill where none is complete, incremental elsewhere.
    pub async fn run(&self) -> Result<SyncReport, SyncError> {
        let started = Instant::now();
        let before = self.requests.load(Ordering::Relaxed);
        let mut report = SyncReport::default();
        // Kinds run side by side: the shared rate limiter, not one kind's sequential
        // paging, then bounds the whole run.
        let runs = self.options.kinds.iter().map(|&kind| self.sync_kind(kind));
        for outcome in futures::future::join_all(runs).await {
            report.kinds.push(outcome?);
        }
        report.requests = self.requests.load(Ordering::Relaxed) - before;
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    async fn sync_kind(&self, kind: ObjectKind) -> Result<KindReport, SyncError> {
        let started = Instant::now();
        let saved = self.mirror.run(move |s| s.checkpoint(kind)).await?;
        let now = now_unix();
        let mut checkpoint = saved.clone().unwrap_or(Checkpoint {
            kind,
            phase: SyncPhase::Backfill,
            cursor: None,
            high_water: 0,
            run_started_at: None,
            run_items: 0,
            last_completed_at: None,
        });
        let resumed = checkpoint.run_started_at.is_some();
        if !resumed {
            checkpoint.run_started_at = Some(now);
            checkpoint.cursor = None;
            checkpoint.run_items = 0;
        }
        let backfill = checkpoint.phase == SyncPhase::Backfill || !kind.has_updated_at();
        let overlap = if kind == ObjectKind::Contact {
            CONTACT_OVERLAP_SECONDS
        } else {
            OVERLAP_SECONDS
        };
        let after = (checkpoint.high_water - overlap).max(0);
        let request_for = |cursor: Option<String>| {
            if backfill {
                PageRequest::All { cursor }
            } else {
                PageRequest::UpdatedAfter { after, cursor }
            }
        };
        let mut report = KindReport {
            kind: kind.plural().into(),
            mode: if backfill { "backfill" } else { "incremental" }.into(),
            resumed,
            ..Default::default()
        };
        let progress = self.progress_bar(kind, &report.mode);

        let mut request = request_for(checkpoint.cursor.clone());
        let mut retried_cursor = false;
        loop {
            match self
                .drain_pages(
                    kind,
                    request.clone(),
                    &mut checkpoint,
                    backfill,
                    &mut report,
                    &progress,
                )
                .await
            {
                Ok(()) => break,
                // A cursor saved before a crash may have expired: restart this run from its start.
                Err(SourceError::BadCursor(message))
                    if request.cursor().is_some() && !retried_cursor =>
                {
                    tracing::warn!(%kind, %message, "saved cursor refused; restarting this run from its first page");
                    retried_cursor = true;
                    request = request_for(None);
                }
                Err(e) => {
                    progress.abandon();
                    return Err(SyncError::Source {
                        kind,
                        message: e.to_string(),
                    });
                }
            }
        }

        let finished = Checkpoint {
            kind,
            phase: SyncPhase::Incremental,
            cursor: None,
            high_water: checkpoint.run_started_at.unwrap_or(now),
            run_started_at: None,
            run_items: checkpoint.run_items,
            last_completed_at: Some(now_unix()),
        };
        self.mirror
            .apply(
                WriteBatch {
                    writes: Vec::new(),
                    checkpoint: Some(finished),
                    log_changes: false,
                },
                ChangeSource::Sync,
            )
            .await?;
        progress.finish_and_clear();
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// Fetch pages from `first` on, committing each page with the cursor after it.
    async fn drain_pages(
        &self,
        kind: ObjectKind,
        first: PageRequest,
        checkpoint: &mut Checkpoint,
        backfill: bool,
        report: &mut KindReport,
        progress: &ProgressBar,
    ) -> Result<(), SourceError> {
        // Kinds run side by side: each counts its own requests as well as the run's.
        let requests = RequestCount {
            run: self.requests.clone(),
            kind: Arc::new(AtomicU64::new(0)),
        };
        // Pages are fetched one ahead of the detail requests, so the pipe never runs dry.
        let (pages_tx, pages_rx) = mpsc::channel::<Result<(SourcePage, Vec<bool>), SourceError>>(2);
        let producer = {
            let source = self.source.clone();
            let mirror = self.mirror.clone();
            let requests = requests.clone();
            tokio::spawn(async move {
                let mut request = first;
                let mut guard = intercom_api::PageGuard::with_max_pages(
                    format!("{} for the mirror", kind.plural()),
                    MAX_SYNC_PAGES,
                );
                loop {
                    requests.add();
                    let page = match source.page(kind, request.clone()).await {
                        Ok(page) => page,
                        Err(e) => {
                            let _ = pages_tx.send(Err(e)).await;
                            return;
                        }
                    };
                    let wanted = match wanted_items(&mirror, kind, &page.items).await {
                        Ok(w) => w,
                        Err(e) => {
                            let _ = pages_tx.send(Err(SourceError::Other(e.to_string()))).await;
                            return;
                        }
                    };
                    // A repeated cursor or the page cap ends the run with an error after
                    // this page is committed; the checkpoint keeps what was read.
                    let next = match guard.next(page.next.as_deref(), None, None) {
                        Ok(next) => Ok(next),
                        Err(e) => Err(SourceError::Other(sync_paging_stopped(e))),
                    };
                    if pages_tx.send(Ok((page, wanted))).await.is_err() {
                        return;
                    }
                    let next = match next {
                        Ok(next) => next,
                        Err(e) => {
                            let _ = pages_tx.send(Err(e)).await;
                            return;
                        }
                    };
                    match next {
                        Some(cursor) => {
                            request = match request {
                                PageRequest::All { .. } => PageRequest::All {
                                    cursor: Some(cursor),
                                },
                                PageRequest::UpdatedAfter { after, .. } => {
                                    PageRequest::UpdatedAfter {
                                        after,
                                        cursor: Some(cursor),
                                    }
                                }
                            }
                        }
                        None => return,
                    }
                }
            })
        };

        let result = async {
            // Flatten pages into one ordered stream of detail fetches and page ends.
            let resolver = Resolver {
                source: self.source.clone(),
                requests: requests.clone(),
            };
            let work = tokio_stream::wrappers::ReceiverStream::new(pages_rx)
                .flat_map(|page| {
                    // A failed page request becomes a step too, so the pages before it
                    // are finished and committed before the error stops the run.
                    let steps: Vec<Step> = match page {
                        Err(e) => vec![Step::Failed(e)],
                        Ok((page, wanted)) => {
                            let total = page.total;
                            let next = page.next.clone();
                            let count = page.items.len() as u64;
                            page.items
                                .into_iter()
                                .zip(wanted)
                                .map(|(item, wanted)| Step::Item { item, wanted })
                                .chain(std::iter::once(Step::PageEnd { next, total, count }))
                                .collect()
                        }
                    };
                    futures::stream::iter(steps)
                })
                .map(move |step| {
                    let resolver = resolver.clone();
                    // Spawned, so answers are read while this loop waits on a commit.
                    let fetch = tokio::spawn(async move { resolver.resolve(kind, step).await });
                    async move {
                        fetch
                            .await
                            .unwrap_or_else(|e| Err(SourceError::Other(e.to_string())))
                    }
                })
                .buffered(self.options.concurrency.max(1));
            futures::pin_mut!(work);

            let mut batch: Vec<MirrorWrite> = Vec::new();
            // One page's commit runs while the next page's details are fetched; commits stay
            // in page order, so a checkpoint is never saved ahead of the items before it.
            let mut committing: Option<JoinHandle<MirrorResult<Vec<Change>>>> = None;
            let mut outcome = Ok(());
            while let Some(done) = work.next().await {
                let resolved = match done {
                    Ok(resolved) => resolved,
                    Err(e) => {
                        outcome = Err(e);
                        break;
                    }
                };
                match resolved {
                    Resolved::Write(write) => batch.push(write),
                    Resolved::Skip => {}
                    Resolved::PageEnd { next, total, count } => {
                        report.pages += 1;
                        report.seen += count;
                        checkpoint.cursor = next;
                        checkpoint.run_items += batch.len() as u64;
                        if let Some(previous) = committing.take() {
                            match finish_commit(previous).await {
                                Ok(changed) => report.changed += changed as u64,
                                Err(e) => {
                                    outcome = Err(e);
                                    break;
                                }
                            }
                        }
                        let mirror = self.mirror.clone();
                        let page = WriteBatch {
                            writes: std::mem::take(&mut batch),
                            checkpoint: Some(checkpoint.clone()),
                            log_changes: !backfill,
                        };
                        committing = Some(tokio::spawn(async move {
                            mirror.apply(page, ChangeSource::Sync).await
                        }));
                        if let Some(total) = total {
                            progress.set_length(total);
                        }
                        progress.inc(count);
                    }
                }
            }
            // Even when stopping on an error: the pages before it are kept.
            if let Some(last) = committing.take() {
                let changed = finish_commit(last).await;
                if outcome.is_ok() {
                    report.changed += changed? as u64;
                }
            }
            outcome
        }
        .await;
        producer.abort();
        report.requests += requests.kind.load(Ordering::Relaxed);
        result
    }

    fn progress_bar(&self, kind: ObjectKind, mode: &str) -> ProgressBar {
        if !self.options.progress || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            return ProgressBar::hidden();
        }
        let bar = self.bars.add(ProgressBar::new(0));
        bar.set_style(
            ProgressStyle::with_template("{prefix:>24} [{bar:30}] {pos}/{len} {per_sec} eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(format!("{kind} ({mode})"));
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    }
}

/// Waits for a page's commit; the number of objects it changed.
async fn finish_commit(
    commit: JoinHandle<MirrorResult<Vec<Change>>>,
) -> Result<usize, SourceError> {
    match commit.await {
        Ok(Ok(changes)) => Ok(changes.len()),
        Ok(Err(e)) => Err(SourceError::Other(e.to_string())),
        Err(e) => Err(SourceError::Other(format!("page commit stopped: {e}"))),
    }
}

/// What the detail-fetching futures need, owned so that they can run concurrently.
struct Resolver<S> {
    source: Arc<S>,
    requests: RequestCount,
}

/// Requests made, for the whole run and for one kind.
#[derive(Clone)]
struct RequestCount {
    run: Arc<AtomicU64>,
    kind: Arc<AtomicU64>,
}

impl RequestCount {
    fn add(&self) {
        self.run.fetch_add(1, Ordering::Relaxed);
        self.kind.fetch_add(1, Ordering::Relaxed);
    }
}

impl<S> Clone for Resolver<S> {
    fn clone(&self) -> Self {
        Self {
            source: self.source.clone(),
            requests: self.requests.clone(),
        }
    }
}

impl<S: SyncSource> Resolver<S> {
    async fn resolve(&self, kind: ObjectKind, step: Step) -> Result<Resolved, SourceError> {
        match step {
            Step::Failed(e) => Err(e),
            Step::PageEnd { next, total, count } => Ok(Resolved::PageEnd { next, total, count }),
            Step::Item { wanted: false, .. } => Ok(Resolved::Skip),
            Step::Item { item, wanted: true }
                if kind == ObjectKind::Conversation && !has_all_parts(&item) =>
            {
                let Some(id) = item.get("id").and_then(id_string) else {
                    return Ok(Resolved::Skip);
                };
                self.requests.add();
                match self.source.conversation(&id).await {
                    Ok(full) => Ok(Resolved::Write(MirrorWrite::Upsert(kind, full))),
                    // Deleted between the list and the fetch: the deletion reaches us separately.
                    Err(SourceError::NotFound) => Ok(Resolved::Skip),
                    Err(e) => Err(e),
                }
            }
            Step::Item { item, .. } => Ok(Resolved::Write(MirrorWrite::Upsert(kind, item))),
        }
    }
}

enum Step {
    Failed(SourceError),
    Item {
        item: Value,
        wanted: bool,
    },
    PageEnd {
        next: Option<String>,
        total: Option<u64>,
        count: u64,
    },
}

enum Resolved {
    Write(MirrorWrite),
    Skip,
    PageEnd {
        next: Option<String>,
        total: Option<u64>,
        count: u64,
    },
}

/// Which items of a page are new or newer than the mirror's copy.
async fn wanted_items(
    mirror: &Mirror,
    kind: ObjectKind,
    items: &[Value],
) -> MirrorResult<Vec<bool>> {
    if !kind.has_updated_at() {
        return Ok(vec![true; items.len()]);
    }
    let ids: Vec<String> = items
        .iter()
        .filter_map(|i| i.get("id").and_then(id_string))
        .collect();
    let stored = mirror.run(move |s| s.updated_at_of(kind, &ids)).await?;
    Ok(items
        .iter()
        .map(|item| {
            let id = item.get("id").and_then(id_string).unwrap_or_default();
            let updated = item
                .get("updated_at")
                .and_then(Value::as_i64)
                .unwrap_or(i64::MAX);
            stored.get(&id).is_none_or(|&old| updated > old)
        })
        .collect())
}

/// Whether a listed conversation already carries every one of its parts.
fn has_all_parts(conversation: &Value) -> bool {
    let Some(list) = conversation.get("conversation_parts") else {
        return false;
    };
    let held = list
        .get("conversation_parts")
        .and_then(Value::as_array)
        .map_or(0, Vec::len) as u64;
    list.get("total_count").and_then(Value::as_u64) == Some(held)
}

/// [`SyncSource`] over Intercom's REST API through the `intercom-api` client.
pub struct ApiSource {
    client: intercom_api::Client,
}

impl ApiSource {
    pub fn new(client: intercom_api::Client) -> Self {
        Self { client }
    }

    async fn call(
        &self,
        method: intercom_api::Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Result<Value, SourceError> {
        self.client
            .send_json(method, path, query, body)
            .await
            .map_err(|e| {
                if e.is_not_found() {
                    SourceError::NotFound
                } else if e.status() == Some(400)
                    && (query.iter().any(|(k, _)| *k == "starting_after")
                        || path.ends_with("/search"))
                {
                    SourceError::BadCursor(e.to_string())
                } else {
                    SourceError::Other(e.to_string())
                }
            })
    }

    async fn search(
        &self,
        path: &str,
        list_key: &str,
        query: Value,
        cursor: Option<String>,
    ) -> Result<SourcePage, SourceError> {
        let mut pagination = json!({"per_page": 150});
        if let Some(cursor) = cursor {
            pagination["starting_after"] = json!(cursor);
        }
        let body = json!({"query": query, "pagination": pagination});
        let answer = self
            .call(intercom_api::Method::POST, path, &[], Some(body))
            .await?;
        Ok(cursor_page(answer, list_key))
    }

    async fn list_with_cursor(
        &self,
        path: &str,
        list_key: &str,
        cursor: Option<String>,
    ) -> Result<SourcePage, SourceError> {
        let mut query = vec![("per_page", "150")];
        if let Some(cursor) = cursor.as_deref() {
            query.push(("starting_after", cursor));
        }
        let answer = self
            .call(intercom_api::Method::GET, path, &query, None)
            .await?;
        Ok(cursor_page(answer, list_key))
    }
}

fn cursor_page(answer: Value, list_key: &str) -> SourcePage {
    let number = |key: &str| {
        answer
            .pointer(&format!("/pages/{key}"))
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
    };
    // `page` of `total_pages` is the last, whatever `next` says.
    let last = matches!((number("page"), number("total_pages")), (Some(p), Some(t)) if p >= t);
    SourcePage {
        items: answer
            .get(list_key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        next: answer
            .pointer("/pages/next/starting_after")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty() && !last)
            .map(str::to_string),
        total: answer.get("total_count").and_then(Value::as_u64),
    }
}

fn single_page(answer: Value, list_key: &str) -> SourcePage {
    SourcePage {
        next: None,
        ..cursor_page(answer, list_key)
    }
}

fn updated_after(after: i64) -> Value {
    json!({"field": "updated_at", "operator": ">", "value": after})
}

impl SyncSource for ApiSource {
    async fn page(
        &self,
        kind: ObjectKind,
        request: PageRequest,
    ) -> Result<SourcePage, SourceError> {
        use intercom_api::Method;
        match (kind, request) {
            (ObjectKind::Conversation, PageRequest::All { cursor }) => {
                self.list_with_cursor("/conversations", "conversations", cursor)
                    .await
            }
            (ObjectKind::Conversation, PageRequest::UpdatedAfter { after, cursor }) => {
                self.search(
                    "/conversations/search",
                    "conversations",
                    updated_after(after),
                    cursor,
                )
                .await
            }
            (ObjectKind::Ticket, request) => {
                let after = match &request {
                    PageRequest::All { .. } => -1,
                    PageRequest::UpdatedAfter { after, .. } => *after,
                };
                self.search(
                    "/tickets/search",
                    "tickets",
                    updated_after(after),
                    request.cursor().map(str::to_string),
                )
                .await
            }
            (ObjectKind::Contact, PageRequest::All { cursor }) => {
                self.list_with_cursor("/contacts", "data", cursor).await
            }
            (ObjectKind::Contact, PageRequest::UpdatedAfter { after, cursor }) => {
                self.search("/contacts/search", "data", updated_after(after), cursor)
                    .await
            }
            // Companies have no search: page through all of them (there are few); unchanged ones are skipped.
            (ObjectKind::Company, request) => {
                let page: u64 = request.cursor().and_then(|c| c.parse().ok()).unwrap_or(1);
                let page_text = page.to_string();
                let answer = self
                    .call(
                        Method::GET,
                        "/companies",
                        &[("per_page", "60"), ("page", &page_text)],
                        None,
                    )
                    .await?;
                let total_pages = answer
                    .pointer("/pages/total_pages")
                    .and_then(Value::as_u64)
                    .unwrap_or(1);
                Ok(SourcePage {
                    items: answer
                        .get("data")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                    next: (page < total_pages).then(|| (page + 1).to_string()),
                    total: answer.get("total_count").and_then(Value::as_u64),
                })
            }
            // Admins, teams and tags come in one answer without paging: a `next` there
            // would only ask for the same list again.
            (ObjectKind::Admin, _) => self
                .call(Method::GET, "/admins", &[], None)
                .await
                .map(|a| single_page(a, "admins")),
            (ObjectKind::Team, _) => self
                .call(Method::GET, "/teams", &[], None)
                .await
                .map(|a| single_page(a, "teams")),
            (ObjectKind::Tag, _) => self
                .call(Method::GET, "/tags", &[], None)
                .await
                .map(|a| single_page(a, "data")),
        }
    }

    async fn conversation(&self, id: &str) -> Result<Value, SourceError> {
        self.call(
            intercom_api::Method::GET,
            &format!("/conversations/{id}"),
            &[],
            None,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_total_pages_names_as_last_offers_no_cursor() {
        let page = |n: u64| {
            json!({"data": [{"id": "1"}], "pages": {"page": n, "total_pages": 2,
                   "next": {"starting_after": "more"}}})
        };
        assert_eq!(cursor_page(page(1), "data").next.as_deref(), Some("more"));
        assert_eq!(cursor_page(page(2), "data").next, None);
        let listed = json!({"admins": [{"id": "1"}], "pages": {"next": {"starting_after": "x"}}});
        assert_eq!(single_page(listed, "admins").next, None);
    }
}
