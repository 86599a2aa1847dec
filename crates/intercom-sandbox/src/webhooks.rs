//! Webhook delivery the way Intercom does it: signed JSON notifications POSTed to one
//! subscriber URL, answered within 5 seconds, retried once, and disabled by a 410.
//!
//! `send` never blocks: notifications go onto a queue drained by a single worker task (so
//! notifications arrive in the order they were sent), and a failed delivery is retried once
//! after `retry_delay` by a separate timer task so it does not hold up the queue.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha1::Sha1;
use tokio::sync::mpsc;

/// How long the subscriber has to answer, as Intercom allows.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);

/// The user agent Intercom's delivery service sends.
pub const USER_AGENT: &str = "intercom-parrot-service-client/1.0";

/// `sha1=<hex>`: the HMAC-SHA1 of `body` keyed with `secret`, as sent in `X-Hub-Signature`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Counters describing deliveries so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WebhookStats {
    /// Notifications handed to [`WebhookDispatcher::send`].
    pub queued: u64,
    /// HTTP POSTs made (first attempts and retries).
    pub sent: u64,
    /// Notifications the subscriber acknowledged with a 2xx.
    pub delivered: u64,
    /// Notifications given up on: still failing after the retry, refused with 410, or dropped
    /// because the subscription was disabled.
    pub failed: u64,
    /// Second attempts made after a failed first one.
    pub retried: u64,
    /// True once the subscriber answered 410 Gone; nothing is sent after that.
    pub disabled: bool,
}

impl WebhookStats {
    /// Every queued notification was delivered or given up on: the dispatcher has nothing
    /// left to send, so the counts are final until the next `send`.
    pub fn settled(&self) -> bool {
        self.delivered + self.failed == self.queued
    }
}

/// The signing secret; never printed.
struct Secret(Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// One notification on its way to the subscriber.
struct Delivery {
    envelope: Value,
    attempt: u64,
}

#[derive(Default)]
struct Counters {
    queued: AtomicU64,
    sent: AtomicU64,
    delivered: AtomicU64,
    failed: AtomicU64,
    retried: AtomicU64,
    disabled: AtomicBool,
}

/// What the worker needs; it holds no sender of its own queue, so dropping the last
/// dispatcher closes the queue and ends the worker.
struct Shared {
    url: String,
    secret: Secret,
    app_id: String,
    retry_delay: Duration,
    counters: Counters,
}

struct Inner {
    shared: Arc<Shared>,
    /// Started on the first `send`, on whichever tokio runtime that call runs in.
    queue: Mutex<Option<mpsc::UnboundedSender<Delivery>>>,
}

/// Sends Intercom-style webhook notifications to one subscriber URL.
#[derive(Clone)]
pub struct WebhookDispatcher {
    inner: Arc<Inner>,
}

impl fmt::Debug for WebhookDispatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = &self.inner.shared;
        f.debug_struct("WebhookDispatcher")
            .field("url", &shared.url)
            .field("secret", &shared.secret)
            .field("app_id", &shared.app_id)
            .field("retry_delay", &shared.retry_delay)
            .field("stats", &self.stats())
            .finish()
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `*.deleted` notifications carry only what identifies the object, as Intercom's do.
fn identifying_fields(item: Value) -> Value {
    const IDENTIFYING: [&str; 4] = ["type", "id", "external_id", "company_id"];
    match item {
        Value::Object(fields) => {
            let kept: Map<String, Value> = fields
                .into_iter()
                .filter(|(key, _)| IDENTIFYING.contains(&key.as_str()))
                .collect();
            Value::Object(kept)
        }
        other => other,
    }
}

impl WebhookDispatcher {
    /// A dispatcher POSTing to `url`, signing with `secret`, naming `app_id` in every
    /// notification, and retrying a failed delivery once after `retry_delay` (Intercom waits a
    /// minute; tests use a few milliseconds).
    pub fn new(url: String, secret: String, app_id: String, retry_delay: Duration) -> Self {
        let shared = Shared {
            url,
            secret: Secret(secret.into_bytes()),
            app_id,
            retry_delay,
            counters: Counters::default(),
        };
        let inner = Inner {
            shared: Arc::new(shared),
            queue: Mutex::new(None),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Queues a notification for `topic` carrying `item`; returns at once.
    ///
    /// Must be called from within a tokio runtime (the sandbox's handlers are); outside one the
    /// notification is counted as failed and logged.
    pub fn send(&self, topic: &str, item: Value) {
        let counters = &self.inner.shared.counters;
        counters.queued.fetch_add(1, Ordering::Relaxed);
        if counters.disabled.load(Ordering::Relaxed) {
            counters.failed.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(
                topic,
                "webhook subscription disabled (410); notification dropped"
            );
            return;
        }
        let item = if topic.ends_with(".deleted") {
            identifying_fields(item)
        } else {
            item
        };
        let now = unix_now();
        let envelope = json!({
            "type": "notification_event",
            "app_id": self.inner.shared.app_id,
            "data": { "type": "notification_event_data", "item": item },
            "links": {},
            "id": format!("notif_{}", uuid::Uuid::new_v4()),
            "topic": topic,
            "delivery_status": "pending",
            "delivery_attempts": 1,
            "delivered_at": 0,
            "first_sent_at": now,
            "created_at": now,
            "self": null,
        });
        let delivery = Delivery {
            envelope,
            attempt: 1,
        };
        match self.queue() {
            Some(queue) => {
                if queue.send(delivery).is_err() {
                    counters.failed.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(topic, "webhook worker has stopped; notification dropped");
                }
            }
            None => {
                counters.failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    topic,
                    "no tokio runtime to deliver the webhook; notification dropped"
                );
            }
        }
    }

    /// Delivery counters so far.
    pub fn stats(&self) -> WebhookStats {
        let counters = &self.inner.shared.counters;
        WebhookStats {
            queued: counters.queued.load(Ordering::Relaxed),
            sent: counters.sent.load(Ordering::Relaxed),
            delivered: counters.delivered.load(Ordering::Relaxed),
            failed: counters.failed.load(Ordering::Relaxed),
            retried: counters.retried.load(Ordering::Relaxed),
            disabled: counters.disabled.load(Ordering::Relaxed),
        }
    }

    /// The queue into the worker, starting the worker on first use.
    fn queue(&self) -> Option<mpsc::UnboundedSender<Delivery>> {
        let mut slot = self.inner.queue.lock();
        if let Some(queue) = slot.as_ref().filter(|queue| !queue.is_closed()) {
            return Some(queue.clone());
        }
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let (sender, receiver) = mpsc::unbounded_channel();
        runtime.spawn(worker(
            Arc::clone(&self.inner.shared),
            sender.downgrade(),
            receiver,
        ));
        *slot = Some(sender.clone());
        Some(sender)
    }
}

/// What became of one delivery attempt.
enum Outcome {
    Delivered,
    /// 410 Gone: the subscriber wants no more notifications.
    Gone,
    /// Worth one more try (non-2xx, 429, timeout, connection error).
    Retry {
        wait: Duration,
        reason: String,
    },
}

async fn worker(
    inner: Arc<Shared>,
    requeue: mpsc::WeakUnboundedSender<Delivery>,
    mut receiver: mpsc::UnboundedReceiver<Delivery>,
) {
    install_crypto_provider();
    let client = match reqwest::Client::builder().timeout(DELIVERY_TIMEOUT).build() {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "cannot build the webhook HTTP client; webhooks are off");
            return;
        }
    };
    while let Some(delivery) = receiver.recv().await {
        let counters = &inner.counters;
        if counters.disabled.load(Ordering::Relaxed) {
            counters.failed.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let topic = delivery.envelope["topic"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        match attempt(&inner, &client, &delivery).await {
            Outcome::Delivered => {
                counters.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Gone => {
                counters.disabled.store(true, Ordering::Relaxed);
                counters.failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(topic, url = %inner.url, "webhook subscriber answered 410 Gone; subscription disabled");
            }
            Outcome::Retry { wait, reason } if delivery.attempt == 1 => {
                tracing::info!(topic, %reason, "webhook delivery failed; retrying once after {wait:?}");
                let mut retry = delivery;
                retry.attempt += 1;
                retry.envelope["delivery_attempts"] = json!(retry.attempt);
                let requeue = requeue.clone();
                let inner = Arc::clone(&inner);
                tokio::spawn(async move {
                    tokio::time::sleep(wait).await;
                    inner.counters.retried.fetch_add(1, Ordering::Relaxed);
                    let queued = requeue
                        .upgrade()
                        .is_some_and(|queue| queue.send(retry).is_ok());
                    if !queued {
                        inner.counters.failed.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
            Outcome::Retry { reason, .. } => {
                counters.failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(topic, %reason, "webhook delivery failed after its retry; giving up");
            }
        }
    }
}

/// reqwest is built without a default TLS crypto provider; install ring's once per process
/// (another component may have done so already).
fn install_crypto_provider() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
    });
}

async fn attempt(inner: &Shared, client: &reqwest::Client, delivery: &Delivery) -> Outcome {
    let body = match serde_json::to_vec(&delivery.envelope) {
        Ok(body) => body,
        Err(error) => {
            return Outcome::Retry {
                wait: inner.retry_delay,
                reason: error.to_string(),
            };
        }
    };
    let signature = sign(&inner.secret.0, &body);
    inner.counters.sent.fetch_add(1, Ordering::Relaxed);
    let response = client
        .post(&inner.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::USER_AGENT, USER_AGENT)
        .header("X-Hub-Signature", signature)
        .body(body)
        .send()
        .await;
    match response {
        Ok(response) if response.status().is_success() => Outcome::Delivered,
        Ok(response) if response.status() == reqwest::StatusCode::GONE => Outcome::Gone,
        Ok(response) => {
            let status = response.status();
            // A throttled subscriber may say when to come back; never sooner than our delay.
            let asked = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.trim().parse::<u64>().ok())
                .map(Duration::from_secs)
                .filter(|_| status == reqwest::StatusCode::TOO_MANY_REQUESTS)
                .unwrap_or_default();
            Outcome::Retry {
                wait: inner.retry_delay.max(asked),
                reason: format!("subscriber answered {status}"),
            }
        }
        Err(error) if error.is_timeout() => Outcome::Retry {
            wait: inner.retry_delay,
            reason: format!("no answer within {} seconds", DELIVERY_TIMEOUT.as_secs()),
        },
        Err(error) => Outcome::Retry {
            wait: inner.retry_delay,
            reason: format!("request failed: {error}"),
        },
    }
}
