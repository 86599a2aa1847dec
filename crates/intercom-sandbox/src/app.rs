//! Shared server state: configuration, the store, run-time controls (faults, rate limit) and stats.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::seed::{Scale, SeedData};
use crate::store::State;
use crate::webhooks::WebhookDispatcher;

/// The kinds of injected fault a faulted request can get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FaultKind {
    #[serde(rename = "500")]
    Status500,
    #[serde(rename = "502")]
    Status502,
    #[serde(rename = "503")]
    Status503,
    /// Connection closed before the request is processed: nothing applied.
    #[serde(rename = "drop_before")]
    DropBefore,
    /// Request processed (writes applied), then the connection is closed without a response.
    #[serde(rename = "drop_after")]
    DropAfter,
}

impl FaultKind {
    pub const ALL: [FaultKind; 5] = [
        FaultKind::Status500,
        FaultKind::Status502,
        FaultKind::Status503,
        FaultKind::DropBefore,
        FaultKind::DropAfter,
    ];
}

/// Intercom's default budget for a private app: 10,000 calls a minute, enforced over
/// 10-second windows, i.e. 1,666 per window (10,000 / 6, rounded down).
pub const DEFAULT_RATE_LIMIT: u32 = 1_666;

/// How to start a sandbox.
#[derive(Clone)]
pub struct SandboxConfig {
    pub host: String,
    /// 0 picks an ephemeral port.
    pub port: u16,
    pub scale: Scale,
    pub seed: u64,
    pub token: String,
    /// Requests allowed per 10-second window (default [`DEFAULT_RATE_LIMIT`], as Intercom);
    /// `None` = no limit (and no X-RateLimit headers).
    pub rate_limit: Option<u32>,
    /// Share (0.0–1.0) of Intercom requests that get an injected fault.
    pub fault_rate: f64,
    /// Which faults may be drawn (default: all five).
    pub fault_kinds: Vec<FaultKind>,
    /// Latency added to every Intercom request.
    pub latency_ms: u64,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
    /// Background activity (new conversations, replies, ratings) per minute.
    pub activity_per_min: f64,
    /// Unix time the workspace clock starts at (default: the real time).
    pub now: Option<i64>,
    /// The OAuth app people sign in through (`GET /oauth`, `POST /auth/eagle/token`).
    pub oauth: Option<crate::oauth::OAuthApp>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            host: "127.0.0.1".into(),
            port: 0,
            scale: Scale::Small,
            seed: 42,
            token: "sandbox-token".into(),
            rate_limit: Some(DEFAULT_RATE_LIMIT),
            fault_rate: 0.0,
            fault_kinds: FaultKind::ALL.to_vec(),
            latency_ms: 0,
            webhook_url: None,
            webhook_secret: None,
            activity_per_min: 0.0,
            now: None,
            oauth: None,
        }
    }
}

// Secrets never reach Debug output.
impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("scale", &self.scale)
            .field("seed", &self.seed)
            .field("token", &"<redacted>")
            .field("rate_limit", &self.rate_limit)
            .field("fault_rate", &self.fault_rate)
            .field("fault_kinds", &self.fault_kinds)
            .field("latency_ms", &self.latency_ms)
            .field("webhook_url", &self.webhook_url)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("activity_per_min", &self.activity_per_min)
            .field("now", &self.now)
            .field("oauth", &self.oauth)
            .finish()
    }
}

/// The workspace clock: starts at `now` (or real time) and runs at wall-clock speed.
#[derive(Debug, Clone)]
pub struct Clock {
    base: i64,
    started: Instant,
}

impl Clock {
    pub fn new(now: Option<i64>) -> Self {
        let base = now.unwrap_or_else(|| chrono::Utc::now().timestamp());
        Clock {
            base,
            started: Instant::now(),
        }
    }

    pub fn now(&self) -> i64 {
        self.base + self.started.elapsed().as_secs() as i64
    }
}

/// Settings changeable at run time through `POST /_sandbox/faults`.
#[derive(Debug)]
pub struct Controls {
    pub fault_rate: f64,
    pub fault_kinds: Vec<FaultKind>,
    pub latency_ms: u64,
    pub rate_limit: Option<u32>,
    rng: ChaCha8Rng,
    window_start: i64,
    window_count: u32,
    /// Requests allowed per rate-limit window (start, count), the most recent last.
    window_history: std::collections::VecDeque<(i64, u32)>,
}

/// Rate-limit windows `GET /_sandbox/stats` reports (an hour of 10-second windows).
const WINDOW_HISTORY: usize = 360;

/// Outcome of the rate-limit check for one request.
#[derive(Debug, Clone, Copy)]
pub struct RateDecision {
    pub limit: u32,
    pub remaining: u32,
    pub reset: i64,
    pub allowed: bool,
}

impl Controls {
    /// Draws the fault for one request, deterministically from the seed and request order.
    pub fn draw_fault(&mut self) -> Option<FaultKind> {
        if self.fault_rate <= 0.0 || self.fault_kinds.is_empty() {
            return None;
        }
        let roll: f64 = self.rng.random();
        if roll >= self.fault_rate {
            return None;
        }
        let pick = self.rng.random_range(0..self.fault_kinds.len());
        Some(self.fault_kinds[pick])
    }

    /// Counts one authenticated request against the current 10-second window.
    pub fn take_rate(&mut self, now_unix: i64) -> Option<RateDecision> {
        let limit = self.rate_limit?;
        let window = now_unix - now_unix.rem_euclid(10);
        if window != self.window_start {
            self.window_start = window;
            self.window_count = 0;
        }
        let allowed = self.window_count < limit;
        if allowed {
            self.window_count += 1;
            match self.window_history.back_mut() {
                Some((start, count)) if *start == window => *count += 1,
                _ => {
                    self.window_history.push_back((window, 1));
                    if self.window_history.len() > WINDOW_HISTORY {
                        self.window_history.pop_front();
                    }
                }
            }
        }
        Some(RateDecision {
            limit,
            remaining: limit.saturating_sub(self.window_count),
            reset: window + 10,
            allowed,
        })
    }

    pub fn to_json(&self) -> Value {
        json!({
            "fault_rate": self.fault_rate,
            "fault_kinds": self.fault_kinds,
            "latency_ms": self.latency_ms,
            "rate_limit": self.rate_limit,
            // Requests the limit let through in each recent window: how much of it clients use.
            "rate_windows": self.window_history.iter()
                .map(|(start, allowed)| json!({"start": start, "allowed": allowed}))
                .collect::<Vec<_>>(),
        })
    }
}

/// Request counters served by `GET /_sandbox/stats`.
#[derive(Debug, Default)]
pub struct Stats {
    pub total: u64,
    pub by_route: BTreeMap<String, u64>,
    pub by_status: BTreeMap<u16, u64>,
    pub rate_limited: u64,
    pub writes_applied: u64,
    pub faults: BTreeMap<String, u64>,
}

impl Stats {
    pub fn to_json(&self) -> Value {
        json!({
            "requests_total": self.total,
            "requests_by_route": self.by_route,
            "requests_by_status": self.by_status.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>(),
            "rate_limited": self.rate_limited,
            "writes_applied": self.writes_applied,
            "faults_injected": self.faults,
        })
    }
}

/// Where the workspace comes from, so `POST /_sandbox/reset` can rebuild it without keeping
/// a second copy of a large workspace in memory.
pub enum SeedSource {
    Generated { scale: Scale, seed: u64, now: i64 },
    Fixed(Box<SeedData>),
}

impl SeedSource {
    pub fn build(&self) -> SeedData {
        match self {
            SeedSource::Generated { scale, seed, now } => {
                crate::seed::generate(*scale, *seed, *now)
            }
            SeedSource::Fixed(data) => (**data).clone(),
        }
    }
}

/// Everything the handlers share.
pub struct App {
    pub token: String,
    pub state: RwLock<State>,
    pub source: SeedSource,
    pub clock: Clock,
    pub controls: Mutex<Controls>,
    pub stats: Mutex<Stats>,
    /// Where notifications go: set from the config at start, or once later (a server that
    /// learns its own address only after binding, such as `serve --sandbox --sync`).
    pub webhooks: std::sync::OnceLock<WebhookDispatcher>,
    /// OAuth codes and the tokens issued to admins who signed in.
    pub oauth: crate::oauth::OAuthState,
}

pub type SharedApp = Arc<App>;

impl App {
    pub fn new(config: &SandboxConfig, data: SeedData, source: SeedSource, clock: Clock) -> App {
        let webhooks = std::sync::OnceLock::new();
        if let Some(url) = &config.webhook_url {
            let _ = webhooks.set(WebhookDispatcher::new(
                url.clone(),
                config.webhook_secret.clone().unwrap_or_default(),
                data.app_id.clone(),
                Duration::from_secs(60),
            ));
        }
        App {
            token: config.token.clone(),
            state: RwLock::new(State::from_seed(data)),
            source,
            clock,
            controls: Mutex::new(Controls {
                fault_rate: config.fault_rate.clamp(0.0, 1.0),
                fault_kinds: config.fault_kinds.clone(),
                latency_ms: config.latency_ms,
                rate_limit: config.rate_limit,
                rng: ChaCha8Rng::seed_from_u64(config.seed ^ 0xfa17_5eed),
                window_start: 0,
                window_count: 0,
                window_history: std::collections::VecDeque::new(),
            }),
            stats: Mutex::new(Stats::default()),
            webhooks,
            oauth: crate::oauth::OAuthState::new(config.oauth.clone()),
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Queues a webhook notification when a subscriber is configured.
    pub fn notify(&self, topic: &str, item: Value) {
        if let Some(webhooks) = self.webhooks.get() {
            webhooks.send(topic, item);
        }
    }

    /// Restores the seeded workspace and clears counters.
    pub fn reset(&self) {
        let fresh = State::from_seed(self.source.build());
        *self.state.write() = fresh;
        *self.stats.lock() = Stats::default();
    }
}
