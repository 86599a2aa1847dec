//! Client-side pacing from Intercom's `X-RateLimit-*` headers, shared by every task using one client.
//!
//! Intercom enforces its limit over short windows (10 s) and reports, on every answer, the window's
//! `Limit`, what `Remaining` and the Unix second it `Reset`s. The limiter spreads the remaining budget
//! over the time left (so a long bulk run never bursts into 429s) and, once the budget minus requests
//! already in flight is spent, holds new requests until the reset.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::Rng;
use reqwest::header::HeaderMap;

/// A point-in-time view of the rate-limit state, for `doctor` and bulk jobs.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RateLimitSnapshot {
    /// `X-RateLimit-Limit` of the last answer: requests allowed per window.
    pub limit: Option<u64>,
    /// `X-RateLimit-Remaining`: requests left in the current window.
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
        let now = unix_now();
        let left = reset as f64 - now;
        (left > 0.0).then(|| Duration::from_secs_f64(left))
    }
}

#[derive(Debug, Default)]
struct State {
    limit: Option<u64>,
    remaining: Option<u64>,
    reset_at: Option<u64>,
    in_flight: u64,
    next_slot: Option<Instant>,
    requests_sent: u64,
    paced_requests: u64,
    paced_wait: Duration,
    rate_limited: u64,
    /// How far the server's clock is seen to run behind ours (seconds), learnt from 429s that
    /// arrive after the announced reset. Added to every reset wait.
    clock_lag: f64,
}

/// Longest server clock lag the limiter will compensate for.
const MAX_CLOCK_LAG: f64 = 2.0;

/// The shared limiter. Its lock is never held across an await.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    state: Mutex<State>,
}

/// Marks one request in flight; dropping it releases the slot.
pub(crate) struct Permit<'a> {
    limiter: &'a RateLimiter,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut st = self.limiter.lock();
        st.in_flight = st.in_flight.saturating_sub(1);
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Spreads requests that waited for the same reset so they do not arrive as one burst.
fn jitter() -> Duration {
    Duration::from_millis(rand::rng().random_range(20..=250))
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
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the counters inconsistent in a harmful way.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits as long as pacing demands (at most `max_wait`), then takes an in-flight slot.
    pub(crate) async fn acquire(&self, max_wait: Duration) -> Permit<'_> {
        let deadline = Instant::now() + max_wait;
        let mut wait = self.reserve(max_wait);
        // Made before sleeping: if the caller gives up mid-wait, dropping it frees the slot.
        let permit = Permit { limiter: self };
        // A few re-checks: while we slept, a 429 may have shown the window is not over yet.
        for _ in 0..3 {
            if wait.is_zero() {
                break;
            }
            tracing::debug!(
                wait_ms = wait.as_millis() as u64,
                "pacing request for rate limit"
            );
            tokio::time::sleep(wait).await;
            let left = deadline.saturating_duration_since(Instant::now());
            wait = self.spent_window_wait().min(left);
        }
        permit
    }

    /// Time left in a window known to be spent (remaining 0), lag and jitter included.
    fn spent_window_wait(&self) -> Duration {
        let mut st = self.lock();
        let (Some(0), Some(reset_at)) = (st.remaining, st.reset_at) else {
            return Duration::ZERO;
        };
        let to_reset = reset_at as f64 + st.clock_lag - unix_now();
        if to_reset <= 0.0 {
            return Duration::ZERO;
        }
        let wait = Duration::from_secs_f64(to_reset) + jitter();
        st.paced_wait += wait;
        wait
    }

    /// Decides how long the next request must wait and books its slot.
    fn reserve(&self, max_wait: Duration) -> Duration {
        let mut st = self.lock();
        let now = Instant::now();
        let mut wait = Duration::ZERO;
        if let (Some(remaining), Some(reset_at)) = (st.remaining, st.reset_at) {
            let to_reset = reset_at as f64 + st.clock_lag - unix_now();
            if to_reset > 0.0 {
                let to_reset = Duration::from_secs_f64(to_reset);
                let budget = remaining.saturating_sub(st.in_flight);
                if budget == 0 {
                    // Spent: hold until the window resets, with jitter so waiters do not stampede.
                    wait = to_reset + jitter();
                } else {
                    // Spread what is left evenly over the time left.
                    let interval = to_reset / (budget.min(u32::MAX as u64) as u32);
                    let slot = st.next_slot.map_or(now, |s| s.max(now));
                    wait = slot - now;
                    st.next_slot = Some(slot + interval);
                }
            }
        }
        let wait = wait.min(max_wait);
        st.in_flight += 1;
        st.requests_sent += 1;
        if !wait.is_zero() {
            st.paced_requests += 1;
            st.paced_wait += wait;
        }
        wait
    }

    /// Records the rate-limit headers of an answer.
    pub(crate) fn observe(&self, headers: &HeaderMap, status: u16) {
        let limit = header_number(headers, "x-ratelimit-limit");
        let remaining = header_number(headers, "x-ratelimit-remaining");
        let reset = header_number(headers, "x-ratelimit-reset");
        let mut st = self.lock();
        if status == 429 {
            st.rate_limited += 1;
            // Refused although, by our clock, its window had already reset: the server's clock
            // runs behind. Remember by how much so later waits outlast its window.
            if let Some(r) = reset {
                let lag = unix_now() - r as f64;
                if lag >= 0.0 {
                    st.clock_lag = st.clock_lag.max(lag + 0.1).min(MAX_CLOCK_LAG);
                }
            }
        }
        if limit.is_some() {
            st.limit = limit;
        }
        // A 429 proves the window is spent even when the header says otherwise.
        let remaining = if status == 429 { Some(0) } else { remaining };
        match (reset, st.reset_at) {
            (Some(new), Some(old)) if new < old => {} // answer from an older window: stale
            (Some(new), Some(old)) if new == old => {
                if let Some(r) = remaining {
                    st.remaining = Some(st.remaining.map_or(r, |cur| cur.min(r)));
                }
            }
            (Some(new), _) => {
                st.reset_at = Some(new);
                st.remaining = remaining;
                st.next_slot = None;
            }
            (None, _) => {
                if remaining.is_some() {
                    st.remaining = remaining;
                }
            }
        }
    }

    /// True when a known window reset lies in the future (a 429 retry can simply wait for it).
    pub(crate) fn reset_pending(&self) -> bool {
        let st = self.lock();
        st.reset_at
            .is_some_and(|r| r as f64 + st.clock_lag > unix_now())
    }

    /// The reset time of the current window.
    pub(crate) fn reset_at(&self) -> Option<u64> {
        self.lock().reset_at
    }

    /// A copy of the state.
    pub(crate) fn snapshot(&self) -> RateLimitSnapshot {
        let st = self.lock();
        RateLimitSnapshot {
            limit: st.limit,
            remaining: st.remaining,
            reset_at: st.reset_at,
            in_flight: st.in_flight,
            requests_sent: st.requests_sent,
            paced_requests: st.paced_requests,
            paced_wait_ms: st.paced_wait.as_millis() as u64,
            rate_limited_responses: st.rate_limited,
            server_clock_lag_ms: (st.clock_lag * 1000.0) as u64,
        }
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

    #[test]
    fn no_headers_means_no_wait() {
        let l = RateLimiter::default();
        assert_eq!(l.reserve(Duration::from_secs(60)), Duration::ZERO);
    }

    #[test]
    fn spent_budget_waits_for_reset() {
        let l = RateLimiter::default();
        let reset = unix_now() as u64 + 3;
        l.observe(&headers(100, 0, reset), 200);
        let wait = l.reserve(Duration::from_secs(60));
        assert!(wait >= Duration::from_secs(2), "waited only {wait:?}");
        assert!(wait <= Duration::from_millis(3300), "waited {wait:?}");
        assert_eq!(l.snapshot().paced_requests, 1);
    }

    #[test]
    fn in_flight_requests_count_against_budget() {
        let l = RateLimiter::default();
        let reset = unix_now() as u64 + 5;
        l.observe(&headers(100, 1, reset), 200);
        // First request takes the last unit of budget.
        let _first = l.reserve(Duration::from_secs(60));
        // The second sees remaining 1 minus 1 in flight: it must wait for the reset.
        let second = l.reserve(Duration::from_secs(60));
        assert!(second >= Duration::from_secs(3), "waited only {second:?}");
    }

    #[test]
    fn budget_is_spread_over_the_window() {
        let l = RateLimiter::default();
        let reset = unix_now() as u64 + 10;
        l.observe(&headers(100, 10, reset), 200);
        let a = l.reserve(Duration::from_secs(60));
        let b = l.reserve(Duration::from_secs(60));
        assert_eq!(a, Duration::ZERO);
        // ~9-10 s over 9 remaining units (one in flight): about a second apart.
        assert!(b >= Duration::from_millis(800), "spacing {b:?}");
        assert!(b <= Duration::from_millis(1300), "spacing {b:?}");
    }

    #[test]
    fn a_429_after_the_reset_teaches_the_server_clock_lag() {
        let l = RateLimiter::default();
        let past = unix_now() as u64 - 1;
        l.observe(&headers(10, 0, past), 429);
        let lag = l.snapshot().server_clock_lag_ms;
        assert!((1000..=2000).contains(&lag), "lag {lag}");
        // The next window's reset is extended by the lag.
        let reset = unix_now() as u64 + 1;
        l.observe(&headers(10, 0, reset), 200);
        let wait = l.reserve(Duration::from_secs(60));
        assert!(wait >= Duration::from_millis(1000), "waited {wait:?}");
        // A skewed reset far in the past is capped.
        l.observe(&headers(10, 0, past - 100), 429);
        assert_eq!(l.snapshot().server_clock_lag_ms, 2000);
    }

    #[tokio::test]
    async fn abandoning_a_wait_frees_the_in_flight_slot() {
        let l = RateLimiter::default();
        l.observe(&headers(10, 0, unix_now() as u64 + 5), 200);
        let waited = tokio::time::timeout(
            Duration::from_millis(50),
            l.acquire(Duration::from_secs(60)),
        )
        .await;
        assert!(waited.is_err(), "should still be waiting for the reset");
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
                let start = Instant::now();
                let _p = l.acquire(Duration::from_secs(10)).await;
                (start.elapsed(), unix_now())
            })
        };
        // While it sleeps, a 429 shows the server still counts the old window: lag ~1 s.
        tokio::time::sleep(Duration::from_millis(20)).await;
        l.lock().clock_lag = 1.0;
        let (_, woke_at) = sleeper.await.unwrap();
        assert!(
            woke_at >= reset as f64 + 1.0,
            "woke at {woke_at}, reset {reset}"
        );
    }

    #[test]
    fn stale_window_is_ignored_and_max_wait_caps() {
        let l = RateLimiter::default();
        let reset = unix_now() as u64 + 100;
        l.observe(&headers(100, 0, reset), 200);
        l.observe(&headers(100, 50, reset - 50), 200);
        assert_eq!(l.snapshot().remaining, Some(0));
        assert_eq!(l.reserve(Duration::from_secs(2)), Duration::from_secs(2));
    }
}
