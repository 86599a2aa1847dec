//! Placeholder for webhook delivery (owned by the seed engineer, who replaces this file).

use std::time::Duration;

use serde_json::Value;

/// Sends Intercom-style webhook notifications to one subscriber URL.
pub struct WebhookDispatcher;

impl WebhookDispatcher {
    pub fn new(_url: String, _secret: Option<String>, _retry_delay: Duration) -> Self {
        WebhookDispatcher
    }

    /// Queues a notification for `topic` carrying `item`; never blocks.
    pub fn send(&self, _topic: &str, _item: Value) {}
}
