//! Client-side pacing from Intercom's `X-RateLimit-*` headers, shared by every task using one client.
//!
//! Intercom enforces its limit per app over fixed windows (10 s) and reports, on every answer, the
//! window's `Limit`, what `Remaining` and the Unix second it `Reset`s. Where the budget lives is
//! pluggable ([`RateBudget`]): the default, [`RateLimiter`], keeps a ledger of the current window
//! in the process; a fleet of replicas shares one budget through a database by wrapping it (the
//! window each grant belongs to is exposed for that, see [`RateLimiter::grant`]).
//!
//! The limiter counts its own grants per window (the server's `Remaining` arrives only after the
//! fact and would let every waiting task through at once), spreads what is left of the window
//! evenly over the time left, and rolls over to the next window by itself when the reset passes, so
//! a spent window is followed by paced grants rather than a burst into 429s.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

/// A point-in-time view of the rate-limit state, for `doctor` and bulk jobs.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RateLimitSnapshot {
    /// `X-RateLimit-Limit` of the last answer: requests allowed per window.
    pub limit: Option<u64>,
    /// `X-RateLimit-Remaining`: requests left in the current window, as the server last said.
    pub remaining: Option<u64>,
    /// `X-RateLimit-Reset`: Unix time (seconds) the window resets.
    pub reset_at: Option<u64>,
    /// Requests currently in flight through this client.
    pub in_flight: u64,
    /// Requests sent since the client was built (retries included).
    pub requests_sent: u64,
    /// Requests that were held back by pacing.
    pub paced_requests: u64,
    /// Total time requests spent held back by pacing, in milliseconds.
    pub paced_wait_ms: u64,
    /// 429 answers received.
    pub rate_limited_responses: u64,
    /// Learnt lag of the server's clock behind ours, in milliseconds (added to reset waits).
    pub server_clock_lag_ms: u64,
}

impl RateLimitSnapshot {
    /// Time until the window resets, if known and in the future.
    pub fn reset_in(&self) -> Option<Duration> {
        let reset = self.reset_at?;
        let left = reset as f64 + self.server_clock_lag_ms as f64 / 1000.0 - unix_now();
        (left > 0.0).then(|| Duration::from_secs_f64(left))
    }
}

/// Where a client's requests draw their share of Intercom's per-app rate limit.
///
/// The client calls [`acquire`](RateBudget::acquire) before every attempt, holds the permit while
/// the request is in flight and passes every answer's headers to [`observe`](RateBudget::observe).
/// [`RateLimiter`] is the in-process default; a budget shared by several processes implements
/// this trait (usually around a `RateLimiter` that keeps the pacing).
pub trait RateBudget: Send + Sync + fmt::Debug {
    /// Waits until one more request may be sent, at most `max_wait` (then lets it go anyway, and
    /// the server's answer decides). Dropping the future before it resolves takes nothing.
    fn acquire(&self, max_wait: Duration) -> Pin<Box<dyn Future<Output = Permit> + Send + '_>>;

    /// Records the rate-limit headers and status of an answer.
    fn observe(&self, headers: &HeaderMap, status: u16);

    /// The current state and counters.
    fn snapshot(&self) -> RateLimitSnapshot;

    /// True when a known window reset lies ahead (a 429 retry can simply wait for it).
    fn reset_pending(&self) -> bool {
        self.snapshot().reset_in().is_some()
    }
}

/// One request's hold on the budget, from the grant until its answer; dropping it releases it.
#[must_use = "the permit must be held while the request is in flight"]
pub struct Permit {
    _release: Option<Box<dyn Send + Sync>>,
}

impl Permit {
    /// A permit whose drop runs `guard`'s own `Drop` (the budget's bookkeeping).
    pub fn new(guard: impl Send + Sync + 'static) -> Self {
        Permit {
            _release: Some(Box::new(guard)),
        }
    }

    /// A permit with nothing to release.
    pub fn unmetered() -> Self {
        Permit { _release: None }
    }
}

impl fmt::Debug for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Permit")
    }
}

/// What [`RateLimiter::grant`] hands out: the permit and the server window it was granted in.
#[derive(Debug)]
pub struct Grant {
    /// `X-RateLimit-Reset` of the window the request is counted in, once the limit is known;
    /// `None` while the limit is unknown (the one probing request) or the server sets none.
    pub window: Option<u64>,
    pub permit: Permit,
}

/// Intercom's documented window length, used until answers show another.
const DEFAULT_WINDOW_SECS: u64 = 10;
/// Longest server clock lag the limiter will compensate for.
const MAX_CLOCK_LAG: f64 = 2.0;
/// Pause after a reset before the next window's first grant: absorbs timer and scheduling noise.
const RESET_MARGIN: f64 = 0.005;
/// How often a request waiting for the first answer (limit not known yet) looks again.
const PROBE_POLL: Duration = Duration::from_millis(5);

/// This process's ledger of one server window.
#[derive(Debug, Clone)]
struct Window {
    /// `X-RateLimit-Reset` of the window: its identity and its end on the server's clock.
    reset: u64,
    /// Requests granted in the window.
    granted: u64,
    /// Of those, the ones not answered yet.
    unanswered: u64,
    /// Highest use of the window the server reported (every client of the app counted).
    server_used: u64,
    /// No more grants in this window: a 429, or a shared ledger said it is spent.
    closed: bool,
    /// An answer came from this window; until then it is our guess, made when the last one ended.
    confirmed: bool,
}

impl Window {
    fn new(reset: u64) -> Self {
        Window {
            reset,
            granted: 0,
            unanswered: 0,
            server_used: 0,
            closed: false,
            confirmed: false,
        }
    }

    /// Requests the window has used as far as we can tell: our grants, or what the server
    /// counted plus ours still on their way, whichever is more.
    fn used(&self, limit: u64) -> u64 {
        if self.closed {
            return limit;
        }
        self.granted
            .max(self.server_used.saturating_add(self.unanswered))
    }
}

#[derive(Debug, Default)]
struct State {
    limit: Option<u64>,
    /// An answer came without rate-limit headers while the limit was unknown: nothing to pace.
    unlimited: bool,
    /// The one request sent while the limit is unknown is on its way.
    probing: bool,
    window: Option<Window>,
    /// Latest `X-RateLimit-Reset` any answer carried.
    last_seen_reset: Option<u64>,
    /// Window length shown by consecutive resets, when it differs from Intercom's 10 s.
    learnt_window_secs: Option<u64>,
    /// Earliest time of the next grant in the current window (grants are spread evenly).
    next_grant: Option<Instant>,
    in_flight: u64,
    requests_sent: u64,
    paced_requests: u64,
    paced_wait: Duration,
    rate_limited: u64,
    /// How far the server's clock is seen to run behind ours (seconds), learnt from 429s that
    /// arrive after the announced reset. Added to every window boundary.
    clock_lag: f64,
}

/// What one look at the ledger decided.
enum Decision {
    Go { window: Option<u64>, probe: bool },
    Wait(Duration),
}

impl State {
    fn window_secs(&self) -> u64 {
        self.learnt_window_secs.unwrap_or(DEFAULT_WINDOW_SECS)
    }

    /// Moves to the window the server is in by now, when the current one has ended.
    fn roll(&mut self, now_unix: f64) {
        let len = self.window_secs();
        let Some(w) = &self.window else { return };
        let server_now = now_unix - self.clock_lag;
        if server_now < w.reset as f64 {
            return;
        }
        let periods = ((server_now - w.reset as f64) / len as f64).floor() as u64 + 1;
        // Requests still unanswered from the window just ended may be counted in the new one.
        let carried = if periods == 1 { w.unanswered } else { 0 };
        let mut next = Window::new(w.reset + periods * len);
        next.granted = carried;
        self.window = Some(next);
        self.next_grant = None;
    }

    /// Grants now, or says how long to wait before looking again. `force` grants regardless
    /// (the caller's longest wait is over).
    fn decide(&mut self, now: Instant, now_unix: f64, force: bool) -> Decision {
        let Some(limit) = self.limit else {
            if self.unlimited || force {
                return Decision::Go {
                    window: None,
                    probe: false,
                };
            }
            if self.probing {
                return Decision::Wait(PROBE_POLL);
            }
            // Until an answer tells the limit, one request at a time.
            self.probing = true;
            return Decision::Go {
                window: None,
                probe: true,
            };
        };
        self.roll(now_unix);
        let len = self.window_secs() as f64;
        let lag = self.clock_lag;
        let Some(w) = self.window.as_mut() else {
            // A limit without a reset time: nothing to pace by.
            return Decision::Go {
                window: None,
                probe: false,
            };
        };
        if !force {
            let end = w.reset as f64 + lag;
            // A window we rolled into by ourselves starts when the server's clock says so.
            let start = w.reset as f64 - len + lag;
            if !w.confirmed && now_unix < start {
                return Decision::Wait(Duration::from_secs_f64(start - now_unix));
            }
            let available = limit.saturating_sub(w.used(limit));
            // No grant in the last moments of a window: it could land in the next one.
            let guard = (len * 0.005).min(0.05);
            let time_left = end - guard - now_unix;
            if available == 0 || time_left <= 0.0 {
                return Decision::Wait(Duration::from_secs_f64(
                    (end - now_unix).max(0.0) + RESET_MARGIN,
                ));
            }
            if let Some(next) = self.next_grant
                && next > now
            {
                return Decision::Wait(next - now);
            }
            // Spread what is left evenly over the time left.
            self.next_grant = Some(now + Duration::from_secs_f64(time_left / available as f64));
        }
        w.granted += 1;
        w.unanswered += 1;
        Decision::Go {
            window: Some(w.reset),
            probe: false,
        }
    }
}

/// The in-process rate budget: a ledger of the current window shared by every task of a client.
/// Its lock is never held across an await.
#[derive(Debug, Default)]
pub struct RateLimiter {
    state: Arc<Mutex<State>>,
}

/// Releases a grant: the request is no longer in flight.
struct Release {
    state: Arc<Mutex<State>>,
    window: Option<u64>,
    probe: bool,
}

impl Drop for Release {
    fn drop(&mut self) {
        let mut st = lock(&self.state);
        st.in_flight = st.in_flight.saturating_sub(1);
        if self.probe {
            st.probing = false;
        }
        if let (Some(id), Some(w)) = (self.window, st.window.as_mut())
            && w.reset == id
        {
            w.unanswered = w.unanswered.saturating_sub(1);
        }
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    // A panic while holding this lock cannot leave the counters inconsistent in a harmful way.
    state.lock().unwrap_or_else(|p| p.into_inner())
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn header_number(headers: &HeaderMap, name: &str) -> Option<u64> {
    let raw = headers.get(name)?.to_str().ok()?.trim();
    raw.parse::<u64>().ok().or_else(|| {
        raw.parse::<f64>()
            .ok()
            .filter(|v| *v >= 0.0)
            .map(|v| v as u64)
    })
}

impl RateLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Waits as long as pacing demands (at most `max_wait`), then grants one request.
    /// Nothing is taken until the grant, so abandoning the wait costs nothing.
    pub async fn grant(&self, max_wait: Duration) -> Grant {
        let deadline = Instant::now() + max_wait;
        let mut waited = Duration::ZERO;
        loop {
            let now = Instant::now();
            let force = now >= deadline;
            let decision = {
                let mut st = self.lock();
                let decision = st.decide(now, unix_now(), force);
                if let Decision::Go { .. } = decision {
                    st.in_flight += 1;
                    st.requests_sent += 1;
                    if !waited.is_zero() {
                        st.paced_requests += 1;
                        st.paced_wait += waited;
                    }
                }
                decision
            };
            match decision {
                Decision::Go { window, probe } => {
                    let release = Release {
                        state: self.state.clone(),
                        window,
                        probe,
                    };
                    return Grant {
                        window,
                        permit: Permit::new(release),
                    };
                }
                Decision::Wait(wait) => {
                    let wait = wait.min(deadline - now);
                    tracing::trace!(wait_ms = wait.as_millis() as u64, "pacing request");
                    tokio::time::sleep(wait).await;
                    waited += wait;
                }
            }
        }
    }

    /// Grants no more requests in `window` (a shared ledger says it is spent); the next grant
    /// waits for the following window.
    pub fn close_window(&self, window: u64) {
        let mut st = self.lock();
        if let Some(w) = st.window.as_mut()
            && w.reset == window
        {
            w.closed = true;
        }
    }

    /// The requests allowed per window, once an answer has said it.
    pub fn limit(&self) -> Option<u64> {
        self.lock().limit
    }

    /// Records the rate-limit headers of an answer.
    pub fn observe(&self, headers: &HeaderMap, status: u16) {
        let limit = header_number(headers, "x-ratelimit-limit");
        let remaining = header_number(headers, "x-ratelimit-remaining");
        let reset = header_number(headers, "x-ratelimit-reset");
        let now = unix_now();
        let mut st = self.lock();
        if status == 429 {
            st.rate_limited += 1;
            // Refused although, by our clock, its window had already reset: the server's clock
            // runs behind. Remember by how much so later windows start after the server's.
            if let Some(r) = reset {
                let lag = now - r as f64;
                if lag >= 0.0 {
                    st.clock_lag = st.clock_lag.max(lag + 0.1).min(MAX_CLOCK_LAG);
                }
            }
        }
        match limit {
            Some(l) => {
                st.limit = Some(l);
                st.unlimited = false;
            }
            None if st.limit.is_none() && reset.is_none() && status != 429 => st.unlimited = true,
            None => {}
        }
        let (Some(limit), Some(reset)) = (st.limit, reset) else {
            return;
        };
        // A 429 proves the window is spent even when the header says otherwise.
        let used = if status == 429 {
            Some(limit)
        } else {
            remaining.map(|r| limit.saturating_sub(r))
        };
        let last_seen = st.last_seen_reset;
        st.last_seen_reset = Some(last_seen.map_or(reset, |s| s.max(reset)));
        if let Some(w) = st.window.as_mut()
            && w.reset == reset
        {
            w.server_used = w.server_used.max(used.unwrap_or(0));
            w.closed |= status == 429;
            w.confirmed = true;
            return;
        }
        if last_seen.is_some_and(|s| reset <= s) {
            return; // an answer from a window already over: stale
        }
        // The server has moved to a window not seen before (or we rolled by a wrong length).
        let mut next = Window::new(reset);
        next.server_used = used.unwrap_or(0);
        next.closed = status == 429;
        next.confirmed = true;
        if let (Some(w), Some(seen)) = (&st.window, last_seen)
            && w.reset > seen
        {
            // Our grants since rolling over by ourselves went to this window.
            next.granted = w.granted;
            next.unanswered = w.unanswered;
        }
        // Consecutive resets closer than the assumed length show a shorter window (a longer gap
        // may only mean idle windows in between).
        if let Some(seen) = last_seen
            && reset - seen < st.window_secs()
        {
            st.learnt_window_secs = Some(reset - seen);
        }
        st.window = Some(next);
        st.next_grant = None;
    }

    /// A copy of the state.
    pub fn snapshot(&self) -> RateLimitSnapshot {
        let st = self.lock();
        let remaining = match (st.limit, &st.window) {
            (Some(limit), Some(w)) => Some(limit.saturating_sub(w.used(limit))),
            _ => None,
        };
        RateLimitSnapshot {
            limit: st.limit,
            remaining,
            reset_at: st.window.as_ref().map(|w| w.reset),
            in_flight: st.in_flight,
            requests_sent: st.requests_sent,
            paced_requests: st.paced_requests,
            paced_wait_ms: st.paced_wait.as_millis() as u64,
            rate_limited_responses: st.rate_limited,
            server_clock_lag_ms: (st.clock_lag * 1000.0) as u64,
        }
    }
}

impl RateBudget for RateLimiter {
    fn acquire(&self, max_wait: Duration) -> Pin<Box<dyn Future<Output = Permit> + Send + '_>> {
        Box::pin(async move { self.grant(max_wait).await.permit })
    }

    fn observe(&self, headers: &HeaderMap, status: u16) {
        RateLimiter::observe(self, headers, status);
    }

    fn snapshot(&self) -> RateLimitSnapshot {
        RateLimiter::snapshot(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(limit: u64, remaining: u64, reset: u64) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit", HeaderValue::from(limit));
        h.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
        h.insert("x-ratelimit-reset", HeaderValue::from(reset));
        h
    }

    /// One look at the ledger at `now` (our clock) and `at` (a monotonic instant): `None` when
    /// granted, else how long it says to wait.
    fn look(l: &RateLimiter, at: Instant, now: f64) -> Option<Duration> {
        match l.lock().decide(at, now, false) {
            Decision::Go { .. } => None,
            Decision::Wait(d) => Some(d),
        }
    }

    /// Looks once per simulated second (so spacing never holds a grant) and counts grants.
    fn grants_in_a_burst(l: &RateLimiter, tries: u64, now: f64) -> u64 {
        let start = Instant::now();
        (0..tries)
            .filter(|i| look(l, start + Duration::from_secs(1000 + i), now).is_none())
            .count() as u64
    }

    #[test]
    fn one_request_probes_until_the_limit_is_known() {
        let l = RateLimiter::default();
        let now = unix_now();
        assert_eq!(look(&l, Instant::now(), now), None);
        assert_eq!(look(&l, Instant::now(), now), Some(PROBE_POLL));
        l.observe(&headers(100, 99, now as u64 + 10), 200);
        assert_eq!(look(&l, Instant::now(), now), None);
    }

    #[test]
    fn no_rate_headers_means_no_pacing() {
        let l = RateLimiter::default();
        let now = unix_now();
        assert_eq!(look(&l, Instant::now(), now), None);
        l.observe(&HeaderMap::new(), 200);
        for _ in 0..100 {
            assert_eq!(look(&l, Instant::now(), now), None);
        }
    }

    #[test]
    fn spent_budget_waits_for_reset() {
        let l = RateLimiter::default();
        let now = unix_now();
        l.observe(&headers(100, 0, now as u64 + 3), 200);
        let wait = look(&l, Instant::now(), now).expect("must wait");
        assert!(wait >= Duration::from_secs(2), "waited only {wait:?}");
        assert!(wait <= Duration::from_millis(3100), "waited {wait:?}");
    }

    #[test]
    fn grants_count_against_the_window_before_their_answers_arrive() {
        let l = RateLimiter::default();
        let now = unix_now();
        l.observe(&headers(100, 3, now as u64 + 5), 200);
        // Three left: three grants, however many tasks ask, and no answer in between.
        assert_eq!(grants_in_a_burst(&l, 50, now), 3);
        let wait = look(&l, Instant::now() + Duration::from_secs(5000), now).unwrap();
        assert!(wait >= Duration::from_secs(4), "waited only {wait:?}");
        assert_eq!(l.snapshot().remaining, Some(0));
    }

    #[test]
    fn budget_is_spread_over_the_window() {
        let l = RateLimiter::default();
        let now = unix_now();
        l.observe(&headers(100, 10, now as u64 + 10), 200);
        let at = Instant::now();
        assert_eq!(look(&l, at, now), None);
        // ~9-10 s left for 10 requests: the next one about a second later.
        let b = look(&l, at, now).unwrap();
        assert!(b >= Duration::from_millis(800), "spacing {b:?}");
        assert!(b <= Duration::from_millis(1100), "spacing {b:?}");
    }

    #[test]
    fn after_a_reset_waiters_are_paced_within_the_new_window() {
        // The window is spent; at its reset many tasks are waiting. Before any answer of the new
        // window, the limiter must grant at most its limit and space the grants.
        let l = RateLimiter::default();
        let now = unix_now();
        let reset = now as u64 + 1;
        l.observe(&headers(20, 0, reset), 200);
        let after_reset = reset as f64 + 0.01;
        let at = Instant::now();
        assert_eq!(look(&l, at, after_reset), None);
        let spacing = look(&l, at, after_reset).unwrap();
        assert!(spacing >= Duration::from_millis(400), "spacing {spacing:?}");
        assert_eq!(grants_in_a_burst(&l, 100, after_reset), 19);
        assert_eq!(l.snapshot().reset_at, Some(reset + 10));
    }

    #[test]
    fn the_servers_count_includes_other_clients_of_the_app() {
        let l = RateLimiter::default();
        let now = unix_now();
        let reset = now as u64 + 5;
        l.observe(&headers(50, 49, reset), 200);
        // Another process used 40 more: only 9 left for us.
        l.observe(&headers(50, 9, reset), 200);
        assert_eq!(grants_in_a_burst(&l, 50, now), 9);
    }

    #[test]
    fn a_closed_window_grants_nothing_until_the_next() {
        let l = RateLimiter::default();
        let now = unix_now();
        let reset = now as u64 + 5;
        l.observe(&headers(50, 49, reset), 200);
        l.close_window(reset);
        assert!(look(&l, Instant::now(), now).unwrap() >= Duration::from_secs(4));
        assert_eq!(grants_in_a_burst(&l, 100, reset as f64 + 0.01), 50);
    }

    #[test]
    fn the_window_length_is_learnt_from_consecutive_resets() {
        let l = RateLimiter::default();
        let now = unix_now() as u64;
        l.observe(&headers(4, 3, now + 1), 200);
        l.observe(&headers(4, 3, now + 2), 200);
        assert_eq!(l.lock().window_secs(), 1);
        // Past the reset the limiter rolls over by itself, one second at a time.
        assert_eq!(grants_in_a_burst(&l, 10, (now + 2) as f64 + 0.1), 4);
        assert_eq!(l.snapshot().reset_at, Some(now + 3));
    }

    #[test]
    fn a_429_after_the_reset_teaches_the_server_clock_lag() {
        let l = RateLimiter::default();
        let past = unix_now() as u64 - 1;
        l.observe(&headers(10, 0, past), 429);
        let lag = l.snapshot().server_clock_lag_ms;
        assert!((1000..=2000).contains(&lag), "lag {lag}");
        // The next window's reset is extended by the lag.
        let now = unix_now();
        l.observe(&headers(10, 0, now as u64 + 1), 200);
        let wait = look(&l, Instant::now(), now).unwrap();
        assert!(wait >= Duration::from_millis(1000), "waited {wait:?}");
        // A skewed reset far in the past is capped.
        l.observe(&headers(10, 0, past - 100), 429);
        assert_eq!(l.snapshot().server_clock_lag_ms, 2000);
    }

    #[tokio::test]
    async fn abandoning_a_wait_takes_nothing() {
        let l = RateLimiter::default();
        l.observe(&headers(10, 0, unix_now() as u64 + 5), 200);
        let waited =
            tokio::time::timeout(Duration::from_millis(50), l.grant(Duration::from_secs(60))).await;
        assert!(waited.is_err(), "should still be waiting for the reset");
        let snap = l.snapshot();
        assert_eq!((snap.in_flight, snap.requests_sent), (0, 0));
    }

    #[tokio::test]
    async fn a_permit_is_in_flight_until_dropped() {
        let l = RateLimiter::default();
        l.observe(&headers(10, 9, unix_now() as u64 + 5), 200);
        let grant = l.grant(Duration::from_secs(1)).await;
        assert!(grant.window.is_some());
        assert_eq!(l.snapshot().in_flight, 1);
        drop(grant);
        assert_eq!(l.snapshot().in_flight, 0);
    }

    #[tokio::test]
    async fn a_sleeper_waits_again_when_a_429_extends_the_window() {
        let l = std::sync::Arc::new(RateLimiter::default());
        // Spent window resetting at the next whole second.
        let reset = unix_now() as u64 + 1;
        l.observe(&headers(10, 0, reset), 200);
        let sleeper = {
            let l = l.clone();
            tokio::spawn(async move {
                let _grant = l.grant(Duration::from_secs(10)).await;
                unix_now()
            })
        };
        // While it sleeps, a 429 shows the server still counts the old window: lag ~1 s.
        tokio::time::sleep(Duration::from_millis(20)).await;
        l.lock().clock_lag = 1.0;
        let woke_at = sleeper.await.unwrap();
        assert!(
            woke_at >= reset as f64 + 1.0,
            "woke at {woke_at}, reset {reset}"
        );
    }

    #[test]
    fn stale_window_is_ignored_and_max_wait_lets_the_request_go() {
        let l = RateLimiter::default();
        let now = unix_now();
        let reset = now as u64 + 100;
        l.observe(&headers(100, 0, reset), 200);
        l.observe(&headers(100, 50, reset - 50), 200);
        assert_eq!(l.snapshot().remaining, Some(0));
        assert!(look(&l, Instant::now(), now).unwrap() >= Duration::from_secs(98));
        let forced = l.lock().decide(Instant::now(), now, true);
        assert!(matches!(forced, Decision::Go { .. }));
    }
}
