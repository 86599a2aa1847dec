//! One Intercom rate budget for a fleet: [`PgRateBudget`] counts every request in a ledger row
//! per server window (`rate_windows`) before it is sent, so the sum over replicas never passes
//! the window's limit.
//!
//! Each replica keeps an in-process [`RateLimiter`] for the pacing (it spreads what is left of
//! the window over the time left, learns the server's window and clock lag, and sees the other
//! replicas' use in every answer's `X-RateLimit-Remaining`); the ledger has the last word. A
//! grant the ledger refuses closes the window for this replica until the next one. Requests the
//! ledger never saw (a replica's first request, sent before the limit is known; other clients
//! of the same app) show in the server's count, which the next ledger update folds in.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use intercom_api::{Permit, RateBudget, RateLimitSnapshot, RateLimiter};

use crate::db::Database;
use crate::error::Result;

/// Longest a ledger update may take before the replica paces on its own for that request.
const LEDGER_TIMEOUT: Duration = Duration::from_secs(2);
/// A grant the ledger confirms this close to (or past) its window's end is not sent in that
/// window: it could reach the server in the next one, which the ledger did not count it in.
/// (A ledger round trip and a busy machine can take this long; it costs at most 1% of a window.)
const LATE_GUARD_SECS: f64 = 0.1;
/// Ledger rows older than this are removed when a new window starts.
const KEEP_WINDOWS_SECS: i64 = 3600;

/// The rate budget of one Intercom app, shared by every replica through PostgreSQL.
pub struct PgRateBudget {
    db: Database,
    budget: String,
    local: RateLimiter,
    /// Highest use the server reported for a window: (window reset, requests used).
    server_used: Mutex<(u64, i32)>,
    /// Grants the ledger refused or that came too late to send (the local limiter counted them).
    withdrawn: AtomicU64,
    /// The last ledger update failed (warned once until it works again).
    ledger_down: AtomicBool,
    /// A request went out before the limit was known (not counted yet): its answer adds it.
    probe_uncounted: AtomicBool,
    /// Requests on their way, by the window the ledger counted them in.
    in_flight: Arc<Mutex<BTreeMap<u64, u32>>>,
    /// The latest window this replica counted a request in.
    last_window: Mutex<u64>,
}

/// A permit counted in the ledger: it is in flight, in `window`, until dropped.
struct Counted {
    in_flight: Arc<Mutex<BTreeMap<u64, u32>>>,
    window: u64,
    _local: Permit,
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut in_flight = lock(&self.in_flight);
        if let Some(n) = in_flight.get_mut(&self.window) {
            *n -= 1;
            if *n == 0 {
                in_flight.remove(&self.window);
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl fmt::Debug for PgRateBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgRateBudget")
            .field("budget", &self.budget)
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

impl PgRateBudget {
    /// A replica's share of the budget named `budget` (one name per Intercom app: every replica
    /// of the app must use the same; never the token).
    pub fn new(db: Database, budget: impl Into<String>) -> Self {
        PgRateBudget {
            db,
            budget: budget.into(),
            local: RateLimiter::new(),
            server_used: Mutex::new((0, 0)),
            withdrawn: AtomicU64::new(0),
            ledger_down: AtomicBool::new(false),
            probe_uncounted: AtomicBool::new(false),
            in_flight: Arc::default(),
            last_window: Mutex::new(0),
        }
    }

    /// Requests the fleet has counted in the window that resets at `window_reset`.
    pub async fn granted_in(&self, window_reset: u64) -> Result<Option<i32>> {
        let client = self.db.client().await?;
        let row = client
            .query_opt(
                "SELECT granted FROM rate_windows WHERE budget = $1 AND window_reset = $2",
                &[&self.budget, &(window_reset as i64)],
            )
            .await
            .map_err(|e| self.db.redactor().query("read the rate ledger", &e))?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn draw(&self, max_wait: Duration) -> Permit {
        let deadline = Instant::now() + max_wait;
        loop {
            let grant = self
                .local
                .grant(deadline.saturating_duration_since(Instant::now()))
                .await;
            let (Some(window), Some(limit)) = (grant.window, self.local.limit()) else {
                // The limit is not known yet (this is the one probing request: its answer
                // counts it) or the server sets no window: nothing to count against.
                if self.local.limit().is_none() {
                    self.probe_uncounted.store(true, Ordering::SeqCst);
                }
                return grant.permit;
            };
            let out_of_time = Instant::now() >= deadline;
            match tokio::time::timeout(LEDGER_TIMEOUT, self.take(window, limit)).await {
                Ok(Ok(true)) => {
                    self.ledger_back();
                    let end =
                        window as f64 + self.local.snapshot().server_clock_lag_ms as f64 / 1e3;
                    if unix_now() < end - LATE_GUARD_SECS || out_of_time {
                        *lock(&self.in_flight).entry(window).or_default() += 1;
                        return Permit::new(Counted {
                            in_flight: self.in_flight.clone(),
                            window,
                            _local: grant.permit,
                        });
                    }
                    // Too late for this window: wait for the next.
                    self.local.close_window(window);
                }
                Ok(Ok(false)) => {
                    self.ledger_back();
                    self.local.close_window(window);
                    if out_of_time {
                        // The caller's longest wait is over: the server's answer decides.
                        return grant.permit;
                    }
                }
                Ok(Err(e)) => {
                    self.ledger_failed(&e.to_string());
                    return grant.permit;
                }
                Err(_) => {
                    self.ledger_failed("no answer within 2 s");
                    return grant.permit;
                }
            }
            self.withdrawn.fetch_add(1, Ordering::Relaxed);
            drop(grant);
        }
    }

    /// Counts one request in the window's ledger row; `false` when the window is spent.
    ///
    /// The first request this replica counts in a new window also counts the requests it still
    /// has on their way from earlier windows: on a slow machine they may reach the server after
    /// its window turned, and then count in this one.
    async fn take(&self, window: u64, limit: u64) -> Result<bool> {
        let floor = {
            let used = lock(&self.server_used);
            if used.0 == window { used.1 } else { 0 }
        };
        let carried: u32 = {
            let mut last = lock(&self.last_window);
            if window > *last {
                *last = window;
                lock(&self.in_flight).range(..window).map(|(_, n)| n).sum()
            } else {
                0
            }
        };
        let carried = i32::try_from(carried).unwrap_or(i32::MAX);
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        let window = window as i64;
        let client = self.db.client().await?;
        let q = |e: tokio_postgres::Error| self.db.redactor().query("update the rate ledger", &e);
        let statement = client
            .prepare_cached(
                "INSERT INTO rate_windows AS w (budget, window_reset, window_limit, granted, updated_at)
                 SELECT $1::text, $2::bigint, $3::int, LEAST($4::int + 1 + $5::int, $3::int), now()
                 WHERE $4::int < $3::int
                 ON CONFLICT (budget, window_reset) DO UPDATE
                    SET granted = LEAST(GREATEST(w.granted, $4::int) + 1 + $5::int, EXCLUDED.window_limit),
                        window_limit = EXCLUDED.window_limit,
                        updated_at = now()
                    WHERE GREATEST(w.granted, $4::int) < EXCLUDED.window_limit
                 RETURNING (xmax = 0) AS inserted",
            )
            .await
            .map_err(q)?;
        let row = client
            .query_opt(
                &statement,
                &[&self.budget, &window, &limit, &floor, &carried],
            )
            .await
            .map_err(q)?;
        let Some(row) = row else { return Ok(false) };
        if row.get::<_, bool>(0) {
            // First grant of a new window anywhere in the fleet: drop rows long past.
            client
                .execute(
                    "DELETE FROM rate_windows WHERE budget = $1 AND window_reset < $2",
                    &[&self.budget, &(window - KEEP_WINDOWS_SECS)],
                )
                .await
                .map_err(q)?;
        }
        Ok(true)
    }

    /// Records, after the fact, requests the ledger did not count: `Add(1)` for a probe,
    /// `Spent` for a window the server refused (every replica then stops granting in it).
    fn record_after_the_fact(&self, window: u64, limit: u64, change: Uncounted) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let db = self.db.clone();
        let budget = self.budget.clone();
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        let (add, spent) = match change {
            Uncounted::Add(n) => (n, false),
            Uncounted::Spent => (0, true),
        };
        runtime.spawn(async move {
            let work = async {
                let client = db.client().await?;
                client
                    .execute(
                        "INSERT INTO rate_windows AS w (budget, window_reset, window_limit, granted, updated_at)
                         VALUES ($1::text, $2::bigint, $3::int, CASE WHEN $5::bool THEN $3::int ELSE $4::int END, now())
                         ON CONFLICT (budget, window_reset) DO UPDATE
                            SET granted = CASE WHEN $5::bool THEN GREATEST(w.granted, $3::int) ELSE w.granted + $4::int END,
                                updated_at = now()",
                        &[&budget, &(window as i64), &limit, &add, &spent],
                    )
                    .await
                    .map_err(|e| db.redactor().query("update the rate ledger", &e))?;
                Ok::<_, crate::error::Error>(())
            };
            if let Err(e) = tokio::time::timeout(LEDGER_TIMEOUT, work).await.unwrap_or_else(|_| {
                Err(crate::error::Error::Query { what: "update the rate ledger", detail: "no answer within 2 s".into() })
            }) {
                tracing::warn!(budget = %budget, error = %e, "could not record a request in the shared rate ledger");
            }
        });
    }

    fn ledger_failed(&self, why: &str) {
        if !self.ledger_down.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                budget = %self.budget,
                error = why,
                "the shared rate ledger is unavailable; pacing on this replica's own count until it is back"
            );
        }
    }

    fn ledger_back(&self) {
        if self.ledger_down.swap(false, Ordering::Relaxed) {
            tracing::info!(budget = %self.budget, "the shared rate ledger is available again");
        }
    }
}

impl RateBudget for PgRateBudget {
    fn acquire(&self, max_wait: Duration) -> Pin<Box<dyn Future<Output = Permit> + Send + '_>> {
        Box::pin(self.draw(max_wait))
    }

    fn observe(&self, headers: &HeaderMap, status: u16) {
        self.local.observe(headers, status);
        let (Some(limit), Some(reset)) = (
            header_number(headers, "x-ratelimit-limit"),
            header_number(headers, "x-ratelimit-reset"),
        ) else {
            return;
        };
        // A 429 proves the window is spent whatever the header says.
        let used = if status == 429 {
            limit
        } else {
            match header_number(headers, "x-ratelimit-remaining") {
                Some(remaining) => limit.saturating_sub(remaining),
                None => return,
            }
        };
        if status == 429 {
            tracing::warn!(
                budget = %self.budget,
                window_reset = reset,
                unix_now = unix_now(),
                "Intercom refused a request for the rate limit although the shared ledger granted it; marking the window spent"
            );
            self.record_after_the_fact(reset, limit, Uncounted::Spent);
        } else if self.probe_uncounted.swap(false, Ordering::SeqCst) {
            self.record_after_the_fact(reset, limit, Uncounted::Add(1));
        }
        let used = i32::try_from(used).unwrap_or(i32::MAX);
        let mut seen = lock(&self.server_used);
        if reset > seen.0 {
            *seen = (reset, used);
        } else if reset == seen.0 {
            seen.1 = seen.1.max(used);
        }
    }

    fn snapshot(&self) -> RateLimitSnapshot {
        let mut snapshot = self.local.snapshot();
        snapshot.requests_sent = snapshot
            .requests_sent
            .saturating_sub(self.withdrawn.load(Ordering::Relaxed));
        snapshot
    }
}

/// Requests sent that the ledger did not count when they went out.
enum Uncounted {
    Add(i32),
    Spent,
}

fn header_number(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers
        .get(name)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| v as u64)
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
