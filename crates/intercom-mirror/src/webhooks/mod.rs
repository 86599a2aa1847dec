//! Receiver for Intercom webhooks: `POST /webhooks/intercom`.
//!
//! Each delivery is checked (size, then signature, then JSON), then written to
//! the mirror's event log in a durable SQLite commit before it is acknowledged.
//! Deliveries arriving together share one commit (group commit), so a burst is
//! acknowledged quickly without giving up durability.

mod signature;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::serve::ListenerExt;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use crate::{Mirror, Notification, NotificationOutcome, now_unix};

pub use signature::{WebhookSecret, sign};

/// The path Intercom is configured to deliver to.
pub const WEBHOOK_PATH: &str = "/webhooks/intercom";
/// Environment variable holding the app's client secret (the HMAC key).
pub const SECRET_ENV: &str = "INTERCOM_CLIENT_SECRET";
/// Intercom's notifications are small; anything above this is refused with 413.
pub const DEFAULT_MAX_NOTIFICATION_BYTES: usize = 1024 * 1024;
/// Intercom waits 5 s; answer well before that even when the disk is slow.
const PERSIST_DEADLINE: Duration = Duration::from_secs(4);
/// Most notifications written in one commit.
const MAX_GROUP: usize = 1024;

/// Shared state of the receiver. Cheap to clone.
#[derive(Clone)]
pub struct WebhookState {
    secret: Arc<WebhookSecret>,
    inbox: mpsc::Sender<Delivery>,
    max_body_bytes: usize,
}

impl std::fmt::Debug for WebhookState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookState")
            .field("secret", &self.secret)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

type Delivery = (
    Notification,
    oneshot::Sender<Result<NotificationOutcome, String>>,
);

impl WebhookState {
    /// Start the writer task that persists deliveries into `mirror`. Needs a Tokio runtime.
    pub fn new(mirror: Mirror, secret: WebhookSecret) -> Self {
        let (inbox, deliveries) = mpsc::channel(MAX_GROUP * 4);
        tokio::spawn(persist_deliveries(mirror, deliveries));
        Self {
            secret: Arc::new(secret),
            inbox,
            max_body_bytes: DEFAULT_MAX_NOTIFICATION_BYTES,
        }
    }

    pub fn with_max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }
}

/// The receiver's routes, to merge into the HTTP server's router.
pub fn router(state: WebhookState) -> Router {
    Router::new()
        .route(WEBHOOK_PATH, post(receive).head(validate_url))
        // The handler enforces its own limit so that it can answer with a clear 413.
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}

/// Serve only the receiver on `listener` until `shutdown` resolves (`intercom-mcp webhooks`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: WebhookState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Without TCP_NODELAY the acknowledgement's body waits ~40 ms for a delayed ACK.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Intercom checks the URL with `HEAD` before it starts delivering.
async fn validate_url() -> StatusCode {
    StatusCode::OK
}

async fn receive(State(state): State<WebhookState>, headers: HeaderMap, body: Body) -> Response {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > state.max_body_bytes) {
        return too_large(state.max_body_bytes);
    }
    let raw = match read_limited(body, state.max_body_bytes).await {
        Ok(Some(raw)) => raw,
        Ok(None) => return too_large(state.max_body_bytes),
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "unreadable_body",
                &format!("the request body could not be read: {e}"),
            );
        }
    };

    let Some(signature) = headers.get("x-hub-signature") else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "unsigned",
            "missing X-Hub-Signature header; Intercom signs every delivery with the app's client secret",
        );
    };
    if !state.secret.verify(&raw, signature.as_bytes()) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            "X-Hub-Signature does not match the body; check INTERCOM_CLIENT_SECRET is this app's client secret",
        );
    }

    let notification = match parse_notification(&raw) {
        Ok(n) => n,
        Err(message) => return refuse(StatusCode::BAD_REQUEST, "malformed_notification", &message),
    };
    let id = notification.id.clone();
    let (done, outcome) = oneshot::channel();
    if state.inbox.send((notification, done)).await.is_err() {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the receiver is shutting down; Intercom will retry",
        );
    }
    match tokio::time::timeout(PERSIST_DEADLINE, outcome).await {
        Ok(Ok(Ok(NotificationOutcome::Stored { .. }))) => (
            StatusCode::OK,
            axum::Json(json!({"status": "stored", "id": id})),
        )
            .into_response(),
        Ok(Ok(Ok(NotificationOutcome::Duplicate))) => (
            StatusCode::OK,
            axum::Json(json!({"status": "duplicate", "id": id})),
        )
            .into_response(),
        Ok(Ok(Err(message))) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "not_persisted",
            &format!("the notification could not be stored ({message}); Intercom will retry"),
        ),
        Ok(Err(_)) | Err(_) => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_persisted",
            "the notification was not stored in time; Intercom will retry",
        ),
    }
}

/// The body, or `None` as soon as it grows past `limit` bytes (a body without a
/// `Content-Length`, chunked, is cut off there instead of being read to the end).
async fn read_limited(body: Body, limit: usize) -> Result<Option<Vec<u8>>, axum::Error> {
    use futures::StreamExt;
    let mut stream = body.into_data_stream();
    let mut raw = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if raw.len() + chunk.len() > limit {
            return Ok(None);
        }
        raw.extend_from_slice(&chunk);
    }
    Ok(Some(raw))
}

fn too_large(limit: usize) -> Response {
    refuse(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        &format!("the body is larger than the {limit} bytes this receiver accepts"),
    )
}

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

/// Parse a signed body into a notification, or say why it is not one. Public for the
/// fuzz target, which feeds it arbitrary bodies.
pub fn parse_notification(raw: &[u8]) -> Result<Notification, String> {
    let envelope: Value =
        serde_json::from_slice(raw).map_err(|e| format!("the body is not valid JSON: {e}"))?;
    let field = |name: &str| {
        envelope
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let id = field("id")
        .ok_or("the notification has no string \"id\"")?
        .to_string();
    let topic = field("topic")
        .ok_or("the notification has no string \"topic\"")?
        .to_string();
    let received_at = now_unix();
    let created_at = envelope
        .get("created_at")
        .and_then(Value::as_i64)
        .unwrap_or(received_at);
    Ok(Notification {
        id,
        topic,
        created_at,
        received_at,
        envelope,
    })
}

/// Persist deliveries in groups: whatever queued while the previous commit ran goes in the next.
async fn persist_deliveries(mirror: Mirror, mut deliveries: mpsc::Receiver<Delivery>) {
    while let Some(first) = deliveries.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match deliveries.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        let (notifications, waiters): (Vec<_>, Vec<_>) = group.into_iter().unzip();
        match mirror.record_notifications(notifications).await {
            Ok(outcomes) => {
                for (waiter, outcome) in waiters.into_iter().zip(outcomes) {
                    let _ = waiter.send(Ok(outcome));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "storing webhook notifications failed");
                for waiter in waiters {
                    let _ = waiter.send(Err(e.to_string()));
                }
            }
        }
    }
}
