//! The fleet's event log: webhook notifications and sync changes, stored once whichever replica
//! received them, in one sequence every replica reads.
//!
//! An append takes a transaction-level lock, so sequence numbers become visible in the order
//! they were drawn and a reader that continues after the last `seq` it saw never skips one that
//! commits later. After each new event the database NOTIFYs the channel `intercom_events`; a
//! [`Subscription`] LISTENs on a connection of its own and reads everything after its cursor
//! whenever told, and also every few seconds and after each reconnect, since a notification
//! sent while it was not listening is lost.

use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio_postgres::AsyncMessage;

use crate::db::Database;
use crate::error::Result;
use crate::locks;

/// The NOTIFY channel new events are announced on (payload: the event's `seq`).
pub const EVENTS_CHANNEL: &str = "intercom_events";
/// What a subscription's connection shows in `pg_stat_activity`.
pub const LISTENER_NAME: &str = "intercom-mcp event listener";
/// Events read per query while catching up.
const PAGE: i64 = 500;
/// How often a subscription looks for events even without a notification.
const POLL_EVERY: Duration = Duration::from_secs(5);
/// Pause before reconnecting a subscription whose connection failed (doubles up to 10 s).
const FIRST_RETRY: Duration = Duration::from_millis(200);

/// An event to store.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The notification id (webhook) or a synthetic id (sync): the dedupe key.
    pub id: String,
    pub topic: String,
    /// `webhook` or `sync`.
    pub source: String,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// Unix seconds.
    pub occurred_at: i64,
    /// Unix seconds.
    pub received_at: i64,
    pub payload: Option<Value>,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub seq: i64,
    pub id: String,
    pub topic: String,
    pub source: String,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub occurred_at: i64,
    pub received_at: i64,
    pub payload: Option<Value>,
}

/// What an append did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Stored as `seq`.
    New(i64),
    /// Already stored (by this or another replica) as `seq`; nothing changed.
    Duplicate(i64),
}

impl Appended {
    pub fn seq(self) -> i64 {
        match self {
            Appended::New(s) | Appended::Duplicate(s) => s,
        }
    }
}

/// The shared event log.
#[derive(Debug, Clone)]
pub struct EventLog {
    db: Database,
}

const COLUMNS: &str =
    "seq, id, topic, source, object_type, object_id, occurred_at, received_at, payload";

fn row_to_event(r: &tokio_postgres::Row) -> StoredEvent {
    StoredEvent {
        seq: r.get(0),
        id: r.get(1),
        topic: r.get(2),
        source: r.get(3),
        object_type: r.get(4),
        object_id: r.get(5),
        occurred_at: r.get(6),
        received_at: r.get(7),
        payload: r.get(8),
    }
}

impl EventLog {
    pub fn new(db: Database) -> Self {
        EventLog { db }
    }

    /// Stores `event` unless an event with its id is stored already, and announces it.
    pub async fn append(&self, event: &NewEvent) -> Result<Appended> {
        let mut client = self.db.client().await?;
        let redactor = self.db.redactor().clone();
        let q = |e: tokio_postgres::Error| redactor.query("store an event", &e);
        // A redelivery is the common duplicate: answer it without queuing on the lock.
        if let Some(row) = client
            .query_opt("SELECT seq FROM events WHERE id = $1", &[&event.id])
            .await
            .map_err(q)?
        {
            return Ok(Appended::Duplicate(row.get(0)));
        }
        let tx = client.transaction().await.map_err(q)?;
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, $2)",
            &[&locks::NAMESPACE, &locks::EVENT_APPEND],
        )
        .await
        .map_err(q)?;
        let inserted = tx
            .query_opt(
                "INSERT INTO events (id, topic, source, object_type, object_id, occurred_at, received_at, payload)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (id) DO NOTHING
                 RETURNING seq",
                &[
                    &event.id,
                    &event.topic,
                    &event.source,
                    &event.object_type,
                    &event.object_id,
                    &event.occurred_at,
                    &event.received_at,
                    &event.payload,
                ],
            )
            .await
            .map_err(q)?;
        let outcome = match inserted {
            Some(row) => {
                let seq: i64 = row.get(0);
                // Delivered to listeners when the transaction commits, not before.
                tx.execute(
                    "SELECT pg_notify($1, $2)",
                    &[&EVENTS_CHANNEL, &seq.to_string()],
                )
                .await
                .map_err(q)?;
                Appended::New(seq)
            }
            None => Appended::Duplicate(
                tx.query_one("SELECT seq FROM events WHERE id = $1", &[&event.id])
                    .await
                    .map_err(q)?
                    .get(0),
            ),
        };
        tx.commit().await.map_err(q)?;
        Ok(outcome)
    }

    /// Stores each of `events` whose id is not stored yet, in their order, in one transaction
    /// (one lock, one statement, one announcement): what a burst of webhooks costs per batch
    /// rather than per event. The outcomes are in the order of `events`; an id given twice is
    /// stored once (the second is its duplicate).
    pub async fn append_many(&self, events: &[NewEvent]) -> Result<Vec<Appended>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut client = self.db.client().await?;
        let redactor = self.db.redactor().clone();
        let q = |e: tokio_postgres::Error| redactor.query("store events", &e);
        let tx = client.transaction().await.map_err(q)?;
        let outcome = append_in(&tx, events, &redactor).await?;
        tx.commit().await.map_err(q)?;
        Ok(outcome)
    }

    /// Events after `seq`, in order, at most `limit`.
    pub async fn after(&self, seq: i64, limit: i64) -> Result<Vec<StoredEvent>> {
        let client = self.db.client().await?;
        let rows = client
            .query(
                &format!("SELECT {COLUMNS} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2"),
                &[&seq, &limit],
            )
            .await
            .map_err(|e| self.db.redactor().query("read events", &e))?;
        Ok(rows.iter().map(row_to_event).collect())
    }

    /// The highest stored `seq` (0 when the log is empty).
    pub async fn last_seq(&self) -> Result<i64> {
        let client = self.db.client().await?;
        let row = client
            .query_one("SELECT COALESCE(max(seq), 0) FROM events", &[])
            .await
            .map_err(|e| self.db.redactor().query("read the last event", &e))?;
        Ok(row.get(0))
    }

    /// Every event after `seq`, in order, then each new one as it is stored (on any replica).
    /// Resume after a restart by passing the last `seq` handled. The subscription reconnects by
    /// itself; dropping it stops it.
    pub fn subscribe(&self, seq: i64) -> Subscription {
        let (tx, rx) = mpsc::channel(256);
        let task = tokio::spawn(follow(self.db.clone(), seq, tx));
        Subscription { rx, task }
    }
}

/// Events from a cursor on, as [`EventLog::subscribe`] delivers them.
#[derive(Debug)]
pub struct Subscription {
    rx: mpsc::Receiver<StoredEvent>,
    task: JoinHandle<()>,
}

impl Subscription {
    /// The next event (waits for one to be stored). `None` only if the subscription's task
    /// ended, which it does not on its own.
    pub async fn next(&mut self) -> Option<StoredEvent> {
        self.rx.recv().await
    }

    /// The next event if one has been read already, without waiting.
    pub fn ready(&mut self) -> Option<StoredEvent> {
        self.rx.try_recv().ok()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads after `cursor` whenever a notification, the poll timer or a reconnect says so, and
/// hands the events on; ends when the subscriber is gone.
async fn follow(db: Database, mut cursor: i64, out: mpsc::Sender<StoredEvent>) {
    let mut retry = FIRST_RETRY;
    loop {
        match listen_and_read(&db, &mut cursor, &out).await {
            Ok(()) => return, // the subscriber is gone
            Err(e) => {
                tracing::warn!(error = %e, cursor, "event subscription lost its connection; reconnecting");
                tokio::select! {
                    _ = tokio::time::sleep(retry) => {}
                    _ = out.closed() => return,
                }
                retry = (retry * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// One connection's life: LISTEN, then read and wait until it fails (`Err`) or the subscriber
/// leaves (`Ok`).
async fn listen_and_read(
    db: &Database,
    cursor: &mut i64,
    out: &mpsc::Sender<StoredEvent>,
) -> Result<()> {
    let (client, mut connection) = db.dedicated().await?;
    let wake = std::sync::Arc::new(Notify::new());
    let (closed_tx, mut closed) = tokio::sync::oneshot::channel::<()>();
    let driver = {
        let wake = wake.clone();
        tokio::spawn(async move {
            let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
            while let Some(message) = messages.next().await {
                match message {
                    Ok(AsyncMessage::Notification(_)) => wake.notify_one(),
                    Ok(_) => {}
                    Err(e) => {
                        tracing::debug!(error = %e, "event listener connection failed");
                        break;
                    }
                }
            }
            let _ = closed_tx.send(());
        })
    };
    // Stops the driver (and so the connection) however this function ends.
    struct AbortOnDrop(JoinHandle<()>);
    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let _driver = AbortOnDrop(driver);
    let q = |e: tokio_postgres::Error| db.redactor().query("follow the event log", &e);
    client
        .batch_execute(&format!(
            "SET application_name = '{LISTENER_NAME}'; LISTEN {EVENTS_CHANNEL}"
        ))
        .await
        .map_err(q)?;
    loop {
        // Listening already: anything stored from here on is either read below or notified.
        loop {
            let rows = client
                .query(
                    &format!("SELECT {COLUMNS} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2"),
                    &[&*cursor, &PAGE],
                )
                .await
                .map_err(q)?;
            let full = rows.len() as i64 == PAGE;
            for row in &rows {
                let event = row_to_event(row);
                let seq = event.seq;
                if out.send(event).await.is_err() {
                    return Ok(());
                }
                *cursor = seq;
            }
            if !full {
                break;
            }
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(POLL_EVERY) => {}
            _ = &mut closed => {
                return Err(crate::error::Error::Query {
                    what: "follow the event log",
                    detail: "the listening connection closed".into(),
                });
            }
            _ = out.closed() => return Ok(()),
        }
    }
}

/// [`EventLog::append_many`] inside the caller's transaction (which must commit for the events
/// to be stored and announced): the mirror stores notifications and what they change in one.
pub(crate) async fn append_in(
    tx: &tokio_postgres::Transaction<'_>,
    events: &[NewEvent],
    redactor: &crate::error::Redactor,
) -> Result<Vec<Appended>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let q = |e: tokio_postgres::Error| redactor.query("store events", &e);
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    let topics: Vec<&str> = events.iter().map(|e| e.topic.as_str()).collect();
    let sources: Vec<&str> = events.iter().map(|e| e.source.as_str()).collect();
    let object_types: Vec<Option<&str>> = events.iter().map(|e| e.object_type.as_deref()).collect();
    let object_ids: Vec<Option<&str>> = events.iter().map(|e| e.object_id.as_deref()).collect();
    let occurred: Vec<i64> = events.iter().map(|e| e.occurred_at).collect();
    let received: Vec<i64> = events.iter().map(|e| e.received_at).collect();
    let payloads: Vec<Option<&Value>> = events.iter().map(|e| e.payload.as_ref()).collect();
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, $2)",
        &[&locks::NAMESPACE, &locks::EVENT_APPEND],
    )
    .await
    .map_err(q)?;
    let inserted = tx
        .query(
            "INSERT INTO events (id, topic, source, object_type, object_id, occurred_at, received_at, payload)
             SELECT id, topic, source, object_type, object_id, occurred_at, received_at, payload
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[],
                         $7::bigint[], $8::jsonb[])
                  WITH ORDINALITY AS e(id, topic, source, object_type, object_id, occurred_at,
                                       received_at, payload, n)
             ORDER BY n
             ON CONFLICT (id) DO NOTHING
             RETURNING id, seq",
            &[&ids, &topics, &sources, &object_types, &object_ids, &occurred, &received, &payloads],
        )
        .await
        .map_err(q)?;
    let mut new: std::collections::HashMap<String, i64> =
        inserted.iter().map(|r| (r.get(0), r.get(1))).collect();
    let mut known: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    if inserted.len() < events.len() {
        for row in tx
            .query("SELECT id, seq FROM events WHERE id = ANY($1)", &[&ids])
            .await
            .map_err(q)?
        {
            known.insert(row.get(0), row.get(1));
        }
    }
    if let Some(last) = inserted.iter().map(|r| r.get::<_, i64>(1)).max() {
        tx.execute(
            "SELECT pg_notify($1, $2)",
            &[&EVENTS_CHANNEL, &last.to_string()],
        )
        .await
        .map_err(q)?;
    }
    Ok(events
        .iter()
        .map(|e| match new.remove(&e.id) {
            Some(seq) => Appended::New(seq),
            None => Appended::Duplicate(known.get(&e.id).copied().unwrap_or(0)),
        })
        .collect())
}
