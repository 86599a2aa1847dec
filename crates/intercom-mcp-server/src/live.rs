//! Live updates: the running server's real-time state (mirror, webhook receiver,
//! periodic sync) and delivery of mirror changes to subscribed MCP clients.
//!
//! Two protocol eras are served: `resources/subscribe` (2025-11-25; the
//! subscriptions are kept here per session) and `subscriptions/listen`
//! (2026-07-28; each listen request is one long-lived stream).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rmcp::model::{ResourceUpdatedNotificationParam, SubscriptionFilter};
use rmcp::service::{Peer, SubscriptionContext};
use rmcp::{ErrorData, RoleServer};
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;

use intercom_api::writes::Written;
use intercom_mirror::sync::{ApiSource, SyncOptions, SyncReport, Syncer};
use intercom_mirror::webhooks::{WebhookSecret, WebhookState};
use intercom_mirror::{
    ChangeEvent, ChangeSource, Mirror, MirrorWrite, ObjectKind, WriteBatch, now_unix,
};

use crate::output::intercom_json;

/// Kinds whose objects are MCP resources that can be subscribed to.
const SUBSCRIBABLE: [ObjectKind; 3] = [
    ObjectKind::Conversation,
    ObjectKind::Ticket,
    ObjectKind::Contact,
];

/// Mirror reads are served while the last sync is this recent (seconds), with webhooks on…
const FRESH_WITH_WEBHOOKS: i64 = 15 * 60;
/// …and without them.
const FRESH_WITHOUT_WEBHOOKS: i64 = 60;

/// `intercom://conversations/123` → (Conversation, "123"), for subscribable kinds only.
pub fn parse_resource_uri(uri: &str) -> Option<(ObjectKind, &str)> {
    let rest = uri.strip_prefix("intercom://")?;
    let (plural, id) = rest.split_once('/')?;
    let kind = ObjectKind::from_plural(plural).filter(|k| SUBSCRIBABLE.contains(k))?;
    let valid_id = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    valid_id.then_some((kind, id))
}

/// One legacy-era session with resource subscriptions.
struct Subscriber {
    /// Identity of the session (its peer-info allocation); sessions never share one.
    key: usize,
    peer: Peer<RoleServer>,
    uris: HashSet<String>,
}

fn session_key(peer: &Peer<RoleServer>) -> usize {
    peer.peer_info()
        .map_or(0, |info| Arc::as_ptr(&info) as usize)
}

/// Outcome of the periodic sync, for `sync_status`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PeriodicSyncStatus {
    pub enabled: bool,
    pub interval_seconds: u64,
    pub running: bool,
    pub last_started_at: Option<i64>,
    pub last_finished_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_report: Option<SyncReport>,
}

/// The most objects one tool call refreshes in the mirror after its writes; bulk work
/// reaches the mirror through the periodic sync and webhooks instead.
const MAX_REFRESHED_PER_CALL: usize = 20;

/// Waits for the right to run a periodic sync; the returned value holds it until dropped.
pub type SyncGate = Arc<
    dyn Fn() -> futures::future::BoxFuture<'static, Box<dyn std::any::Any + Send>> + Send + Sync,
>;

/// The running server's real-time side. Shared by every session.
pub struct Realtime {
    mirror: Mirror,
    webhooks: Option<WebhookState>,
    subscribers: Arc<Mutex<Vec<Subscriber>>>,
    periodic: Arc<Mutex<PeriodicSyncStatus>>,
}

impl std::fmt::Debug for Realtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Realtime")
            .field("mirror", &self.mirror)
            .field("webhooks", &self.webhooks.is_some())
            .finish_non_exhaustive()
    }
}

impl Realtime {
    /// Start the real-time side over `mirror`; with a secret, also the webhook receiver.
    /// Must run inside a Tokio runtime.
    pub fn start(mirror: Mirror, webhook_secret: Option<WebhookSecret>) -> Arc<Self> {
        let webhooks = webhook_secret.map(|secret| WebhookState::new(mirror.clone(), secret));
        let realtime = Arc::new(Self {
            mirror,
            webhooks,
            subscribers: Arc::new(Mutex::new(Vec::new())),
            periodic: Arc::new(Mutex::new(PeriodicSyncStatus::default())),
        });
        tokio::spawn(dispatch_to_subscribers(
            realtime.mirror.subscribe(),
            realtime.subscribers.clone(),
        ));
        realtime
    }

    pub fn mirror(&self) -> &Mirror {
        &self.mirror
    }

    /// Reads back the objects a tool call wrote and stores them in the mirror before the
    /// call's answer returns, so the next read (and `support_metrics` from the mirror)
    /// sees the write. A failure here never fails the call: the write landed; the
    /// periodic sync and webhooks bring the mirror up to date later.
    pub async fn refresh_written(&self, client: &intercom_api::Client, written: &[Written]) {
        let mut writes = Vec::new();
        for w in written.iter().take(MAX_REFRESHED_PER_CALL) {
            let Some(kind) = ObjectKind::from_plural(&w.collection) else {
                continue;
            };
            let Ok(id) = intercom_api::Id::new(&w.id) else {
                continue;
            };
            let read = match kind {
                ObjectKind::Conversation => client
                    .get_conversation(&id)
                    .await
                    .map(|o| intercom_json(&o)),
                ObjectKind::Ticket => client.get_ticket(&id).await.map(|o| intercom_json(&o)),
                ObjectKind::Contact => client.get_contact(&id).await.map(|o| intercom_json(&o)),
                ObjectKind::Company => client.get_company(&id).await.map(|o| intercom_json(&o)),
                _ => continue,
            };
            match read {
                Ok(object) if object.is_object() => writes.push(MirrorWrite::Upsert(kind, object)),
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!(kind = kind.singular(), id = %w.id, error = %e, "could not read a written object back for the mirror");
                }
            }
        }
        if writes.is_empty() {
            return;
        }
        let batch = WriteBatch {
            writes,
            checkpoint: None,
            log_changes: true,
        };
        if let Err(e) = self.mirror.apply(batch, ChangeSource::Sync).await {
            tracing::warn!(error = %e, "could not store written objects in the mirror");
        }
    }

    /// `POST /webhooks/intercom`, when a client secret was configured.
    pub fn webhook_router(&self) -> Option<axum::Router> {
        self.webhooks.clone().map(intercom_mirror::webhooks::router)
    }

    /// The receiver's state, to serve it on another listener as well.
    pub fn webhook_state(&self) -> Option<WebhookState> {
        self.webhooks.clone()
    }

    pub fn webhooks_enabled(&self) -> bool {
        self.webhooks.is_some()
    }

    pub fn periodic_status(&self) -> PeriodicSyncStatus {
        self.periodic.lock().clone()
    }

    /// Keep the mirror current: an incremental sync now and then every `interval`,
    /// catching whatever a webhook missed (or everything, without webhooks).
    pub fn spawn_periodic_sync(
        &self,
        client: intercom_api::Client,
        interval: Duration,
    ) -> tokio::task::JoinHandle<()> {
        self.spawn_periodic_sync_gated(client, interval, None)
    }

    /// Like [`Realtime::spawn_periodic_sync`], each run first passing `gate`: it waits for the
    /// right to sync (a fleet's lock, so replicas sync one at a time) and holds it in the value
    /// it returns until the run ends.
    pub fn spawn_periodic_sync_gated(
        &self,
        client: intercom_api::Client,
        interval: Duration,
        gate: Option<SyncGate>,
    ) -> tokio::task::JoinHandle<()> {
        let mirror = self.mirror.clone();
        let status = self.periodic.clone();
        {
            let mut s = status.lock();
            s.enabled = true;
            s.interval_seconds = interval.as_secs();
        }
        let source = Arc::new(ApiSource::new(client));
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let _turn = match &gate {
                    Some(gate) => Some(gate().await),
                    None => None,
                };
                {
                    let mut s = status.lock();
                    s.running = true;
                    s.last_started_at = Some(now_unix());
                }
                let syncer = Syncer::new(mirror.clone(), source.clone(), SyncOptions::default());
                let outcome = syncer.run().await;
                let mut s = status.lock();
                s.running = false;
                s.last_finished_at = Some(now_unix());
                match outcome {
                    Ok(report) => {
                        tracing::info!(
                            requests = report.requests,
                            seconds = report.seconds,
                            "periodic sync finished"
                        );
                        s.last_error = None;
                        s.last_report = Some(report);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "periodic sync failed; retrying at the next interval");
                        s.last_error = Some(e.to_string());
                    }
                }
            }
        })
    }

    /// The mirror's copy of an object, with its age in seconds, when it is fresh enough to
    /// answer a read instead of the API: the kind's last completed sync is at most 15 minutes
    /// old while webhooks keep the mirror current in between, or at most 60 s old without them.
    pub async fn fresh_copy(&self, kind: ObjectKind, id: &str) -> Option<(serde_json::Value, i64)> {
        let limit = if self.webhooks_enabled() {
            FRESH_WITH_WEBHOOKS
        } else {
            FRESH_WITHOUT_WEBHOOKS
        };
        let checkpoint = self.mirror.run(move |s| s.checkpoint(kind)).await.ok()??;
        let synced_age = now_unix() - checkpoint.last_completed_at?;
        if synced_age > limit {
            return None;
        }
        let stored = self.mirror.get(kind, id).await.ok()??;
        let age = self
            .mirror
            .age_seconds(kind)
            .await
            .ok()
            .flatten()
            .unwrap_or(synced_age);
        Some((stored.raw, age))
    }

    /// `resources/subscribe` (2025-11-25).
    pub fn subscribe(&self, uri: &str, peer: &Peer<RoleServer>) -> Result<(), ErrorData> {
        if parse_resource_uri(uri).is_none() {
            return Err(ErrorData::invalid_params(
                format!(
                    "cannot subscribe to {uri:?}: subscriptions cover intercom://conversations/{{id}}, \
                     intercom://tickets/{{id}} and intercom://contacts/{{id}}"
                ),
                None,
            ));
        }
        let key = session_key(peer);
        let mut subscribers = self.subscribers.lock();
        subscribers.retain(|s| !s.peer.is_transport_closed());
        match subscribers.iter_mut().find(|s| s.key == key && key != 0) {
            Some(existing) => {
                existing.uris.insert(uri.to_string());
            }
            None => subscribers.push(Subscriber {
                key,
                peer: peer.clone(),
                uris: HashSet::from([uri.to_string()]),
            }),
        }
        Ok(())
    }

    /// `resources/unsubscribe` (2025-11-25).
    pub fn unsubscribe(&self, uri: &str, peer: &Peer<RoleServer>) {
        let key = session_key(peer);
        let mut subscribers = self.subscribers.lock();
        for s in subscribers.iter_mut().filter(|s| s.key == key) {
            s.uris.remove(uri);
        }
        subscribers.retain(|s| !s.uris.is_empty() && !s.peer.is_transport_closed());
    }

    /// What of a `subscriptions/listen` filter this server serves (2026-07-28).
    pub fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> SubscriptionFilter {
        let mut accepted = SubscriptionFilter::new();
        accepted.resources_list_changed = requested.resources_list_changed;
        accepted.resource_subscriptions = requested.resource_subscriptions.as_ref().map(|uris| {
            uris.iter()
                .filter(|uri| parse_resource_uri(uri).is_some())
                .cloned()
                .collect()
        });
        accepted
    }

    /// Serve one `subscriptions/listen` stream until the client cancels it.
    pub async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        let mut changes = self.mirror.subscribe();
        let accepted = context.accepted().clone();
        let uris: HashSet<String> = accepted
            .resource_subscriptions
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect();
        let list_changed = accepted.resources_list_changed == Some(true);
        loop {
            let event = tokio::select! {
                () = context.cancelled() => return Ok(()),
                event = changes.recv() => event,
            };
            let event = match event {
                Ok(event) => event,
                // Missed events: the client re-reads what it watches on any update anyway.
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "a listen stream fell behind the change bus");
                    continue;
                }
                Err(RecvError::Closed) => return Ok(()),
            };
            let sink = context.sink();
            if let Some(uri) = event.resource_uri().filter(|u| uris.contains(u))
                && sink.notify_resource_updated(uri).await.is_err()
            {
                return Ok(());
            }
            if list_changed
                && (event.created || event.deleted)
                && sink.notify_resource_list_changed().await.is_err()
            {
                return Ok(());
            }
        }
    }
}

/// Forward mirror changes to legacy-era subscribers.
async fn dispatch_to_subscribers(
    mut changes: tokio::sync::broadcast::Receiver<ChangeEvent>,
    subscribers: Arc<Mutex<Vec<Subscriber>>>,
) {
    loop {
        let event = match changes.recv().await {
            Ok(event) => event,
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "resource subscribers fell behind the change bus");
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        let (updated, list_changed): (Vec<_>, Vec<_>) = {
            let mut subs = subscribers.lock();
            subs.retain(|s| !s.peer.is_transport_closed());
            let uri = event.resource_uri();
            let updated = subs
                .iter()
                .filter(|s| uri.as_ref().is_some_and(|u| s.uris.contains(u)))
                .map(|s| s.peer.clone())
                .collect();
            let list_changed = if event.created || event.deleted {
                subs.iter().map(|s| s.peer.clone()).collect()
            } else {
                Vec::new()
            };
            (updated, list_changed)
        };
        if let Some(uri) = event.resource_uri() {
            for peer in updated {
                let _ = peer
                    .notify_resource_updated(ResourceUpdatedNotificationParam::new(uri.clone()))
                    .await;
            }
        }
        for peer in list_changed {
            let _ = peer.notify_resource_list_changed().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_object_resources_are_subscribable() {
        assert_eq!(
            parse_resource_uri("intercom://conversations/123"),
            Some((ObjectKind::Conversation, "123"))
        );
        assert!(parse_resource_uri("intercom://tickets/9").is_some());
        assert!(parse_resource_uri("intercom://contacts/6a1b-2c").is_some());
        assert!(parse_resource_uri("intercom://companies/1").is_none());
        assert!(parse_resource_uri("intercom://workspace").is_none());
        assert!(parse_resource_uri("intercom://conversations/").is_none());
        assert!(parse_resource_uri("intercom://conversations/1/../2").is_none());
        assert!(parse_resource_uri("https://conversations/1").is_none());
    }
}
