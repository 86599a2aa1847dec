//! The legacy HTTP+SSE transport (protocol 2024-11-05 style), still used by
//! many clients (`claude mcp add --transport sse NAME URL/sse`).
//!
//! `GET /sse` opens an event stream whose first event is `endpoint`, naming
//! `POST /messages?sessionId=…`. Each POSTed JSON-RPC message is accepted
//! with 202 and its response arrives on the stream. Each stream is one rmcp
//! server session, run over a channel pair.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::channel::mpsc;
use futures::{Stream, StreamExt};
use parking_lot::Mutex;
use rmcp::model::{
    ClientJsonRpcMessage, GetExtensions, JsonRpcMessage, RequestId, ServerJsonRpcMessage,
};
use rmcp::service::serve_server;
use serde::Deserialize;

use super::gone::ClientGone;
use super::limits::{ClientPermit, ClientSlot};
use crate::server::McpHandler;

/// Client-limit slots of requests whose answers have not gone out yet: the
/// work of a POSTed request outlives its 202, so its slot must too.
type PendingSlots = Arc<Mutex<HashMap<RequestId, Vec<ClientPermit>>>>;

/// Messages a session accepts before its server has read them; beyond, a POST gets
/// 429. The server stops reading when its answers back up (below), so a client that
/// posts without reading its stream is held at this many.
const SESSION_QUEUE: usize = 64;
/// Answers and notifications waiting for the client to read its event stream; beyond,
/// the session's server waits.
const STREAM_QUEUE: usize = 256;

/// One open SSE session: where its messages go, and its requests' slots. The one
/// sender is shared, not cloned: each clone of a futures sender adds a slot.
#[derive(Clone)]
struct Session {
    sender: Arc<Mutex<mpsc::Sender<ClientJsonRpcMessage>>>,
    pending: PendingSlots,
    /// Fires when the event stream is dropped: the session's tool calls stop.
    gone: ClientGone,
}

type Sessions = Arc<Mutex<HashMap<String, Session>>>;

/// Open SSE sessions, by id.
#[derive(Clone)]
pub struct SseState<H> {
    server: H,
    sessions: Sessions,
    /// Where clients POST, as seen from the client (`/messages`).
    messages_path: String,
}

impl<H: McpHandler> SseState<H> {
    pub fn new(server: H, messages_path: impl Into<String>) -> Self {
        Self {
            server,
            sessions: Arc::new(Mutex::new(HashMap::new())),
            messages_path: messages_path.into(),
        }
    }

    pub fn open_sessions(&self) -> usize {
        self.sessions.lock().len()
    }
}

/// Removes the session when its event stream is dropped (client went away), and
/// stops the session's tool calls: nobody is left to read their answers.
struct SessionGuard {
    id: String,
    sessions: Sessions,
    gone: ClientGone,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        self.gone.0.cancel();
        self.sessions.lock().remove(&self.id);
        tracing::debug!(session = %self.id, "SSE session closed");
    }
}

/// `GET /sse`.
pub async fn open_stream<H: McpHandler>(
    State(state): State<SseState<H>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (to_server, from_client) = mpsc::channel::<ClientJsonRpcMessage>(SESSION_QUEUE);
    let (to_client, from_server) = mpsc::channel::<ServerJsonRpcMessage>(STREAM_QUEUE);
    let pending = PendingSlots::default();
    let gone = ClientGone::default();
    state.sessions.lock().insert(
        id.clone(),
        Session {
            sender: Arc::new(Mutex::new(to_server)),
            pending: pending.clone(),
            gone: gone.clone(),
        },
    );

    let server = state.server.new_session();
    let session = id.clone();
    tokio::spawn(async move {
        match serve_server(server, (to_client, from_client)).await {
            Ok(running) => {
                let _ = running.waiting().await;
            }
            Err(err) => {
                tracing::debug!(%session, error = %err, "SSE session ended before initialisation")
            }
        }
    });

    let endpoint = format!("{}?sessionId={id}", state.messages_path);
    let guard = SessionGuard {
        id,
        sessions: state.sessions.clone(),
        gone,
    };
    let first =
        futures::stream::once(async move { Ok(Event::default().event("endpoint").data(endpoint)) });
    let messages = from_server.map(move |message| {
        let _keep_session_while_streaming = &guard;
        let answered = match &message {
            JsonRpcMessage::Response(response) => Some(&response.id),
            JsonRpcMessage::Error(error) => error.id.as_ref(),
            _ => None,
        };
        if let Some(id) = answered {
            let mut pending = pending.lock();
            if let Some(slots) = pending.get_mut(id) {
                slots.pop();
                if slots.is_empty() {
                    pending.remove(id);
                }
            }
        }
        let data = serde_json::to_string(&message).unwrap_or_else(|e| {
            tracing::error!(error = %e, "could not serialise a server message");
            String::from("{}")
        });
        Ok(Event::default().event("message").data(data))
    });
    Sse::new(first.chain(messages)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

#[derive(Debug, Deserialize)]
pub struct SessionQuery {
    #[serde(rename = "sessionId", alias = "session_id")]
    session_id: Option<String>,
}

/// `POST /messages?sessionId=…`.
pub async fn post_message<H: McpHandler>(
    State(state): State<SseState<H>>,
    Query(query): Query<SessionQuery>,
    request: Request,
) -> Response {
    let Some(session_id) = query.session_id else {
        return (
            StatusCode::BAD_REQUEST,
            "Bad Request: missing sessionId query parameter",
        )
            .into_response();
    };
    let Some(session) = state.sessions.lock().get(&session_id).cloned() else {
        return (
            StatusCode::NOT_FOUND,
            "Not Found: unknown or closed session; open a new stream with GET /sse",
        )
            .into_response();
    };
    let (mut parts, body) = request.into_parts();
    // The answer goes out on the session's stream, not this POST's: the call lives
    // as long as that stream.
    parts.extensions.insert(session.gone.clone());
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(err) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("could not read the body: {err}"),
            )
                .into_response();
        }
    };
    let mut message: ClientJsonRpcMessage = match serde_json::from_slice(&bytes) {
        Ok(m) => m,
        Err(err) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(serde_json::json!({
                    "jsonrpc": "2.0", "id": null,
                    "error": {"code": -32700, "message": format!("Parse error: {err}")}
                })),
            )
                .into_response();
        }
    };
    // Tools can see the HTTP request (its bearer token) as on /mcp.
    let mut holds_slot = None;
    match &mut message {
        JsonRpcMessage::Request(req) => {
            if let Some(permit) = parts
                .extensions
                .get::<ClientSlot>()
                .and_then(ClientSlot::take)
            {
                session
                    .pending
                    .lock()
                    .entry(req.id.clone())
                    .or_default()
                    .push(permit);
                holds_slot = Some(req.id.clone());
            }
            req.request.extensions_mut().insert(parts);
        }
        JsonRpcMessage::Notification(not) => {
            not.notification.extensions_mut().insert(parts);
        }
        _ => {}
    }
    let sent = session.sender.lock().try_send(message);
    match sent {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(err) => {
            // Not taken: the request's client slot goes back.
            if let Some(id) = holds_slot {
                let mut pending = session.pending.lock();
                if let Some(slots) = pending.get_mut(&id) {
                    slots.pop();
                    if slots.is_empty() {
                        pending.remove(&id);
                    }
                }
            }
            if err.is_full() {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(axum::http::header::RETRY_AFTER, "1")],
                    format!(
                        "Too Many Requests: this session already holds {SESSION_QUEUE} messages \
                         its server has not read; read the answers on the event stream, then \
                         post again"
                    ),
                )
                    .into_response()
            } else {
                (
                    StatusCode::GONE,
                    "Gone: the session has ended; open a new stream with GET /sse",
                )
                    .into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::post;
    use tower::ServiceExt;

    use super::*;
    use crate::server::{IntercomServer, ServerOptions};
    use crate::workspace_context::{ApiSettings, Workspaces};

    /// A session whose server never reads: posts fill its queue, then get 429.
    #[tokio::test]
    async fn a_session_holds_a_bounded_number_of_unread_messages() {
        let server = IntercomServer::new(ServerOptions {
            selection: Default::default(),
            workspaces: Arc::new(Workspaces::new(ApiSettings::default(), None)),
            token_from_request: false,
        })
        .unwrap();
        let state = SseState::new(server, "/messages");
        let (sender, _unread) = mpsc::channel::<ClientJsonRpcMessage>(SESSION_QUEUE);
        state.sessions.lock().insert(
            "s".into(),
            Session {
                sender: Arc::new(Mutex::new(sender)),
                pending: PendingSlots::default(),
                gone: ClientGone::default(),
            },
        );
        let app = Router::new()
            .route("/messages", post(post_message::<IntercomServer>))
            .with_state(state);
        let mut accepted = 0;
        let refused = loop {
            let request = axum::http::Request::post("/messages?sessionId=s")
                .header("content-type", "application/json")
                .body(Body::from(
                    r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
                ))
                .unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            if response.status() != StatusCode::ACCEPTED {
                break response;
            }
            accepted += 1;
            assert!(accepted <= SESSION_QUEUE + 2, "the queue has no bound");
        };
        assert!(accepted >= SESSION_QUEUE, "only {accepted} accepted");
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.headers()["retry-after"], "1");
    }
}
