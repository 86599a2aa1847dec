//! Noticing that the client of a request went away, so its tool call stops.
//!
//! rmcp cancels a request's token on `notifications/cancelled`, but on a Streamable
//! HTTP POST whose client closes the connection it keeps the request running (the
//! client could reconnect and resume the stream), and when a session's transport
//! closes it waits seconds for handlers before cancelling them. Each POST to `/mcp`
//! therefore carries a [`ClientGone`] token that fires when its response body is
//! dropped before it ended; a legacy SSE session's token fires when its event
//! stream is dropped. `call_tool` stops the tool's work when either fires.

use axum::body::Body;
use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use futures::StreamExt;
use tokio_util::sync::{CancellationToken, DropGuard};

/// Fires when nobody is left to read the answer of the request that carries it
/// (in the extensions of its `http::request::Parts`).
#[derive(Clone, Debug, Default)]
pub struct ClientGone(pub CancellationToken);

impl ClientGone {
    /// The token of the HTTP request behind an MCP request, if it has one.
    pub fn of(extensions: &rmcp::model::Extensions) -> Option<CancellationToken> {
        extensions
            .get::<http::request::Parts>()?
            .extensions
            .get::<ClientGone>()
            .map(|gone| gone.0.clone())
    }
}

/// Middleware for `/mcp`: a POST's [`ClientGone`] fires when its response body is
/// dropped, which happens when the body has been sent in full (the answer is out,
/// nothing left to stop) or when the connection closed before that.
pub async fn watch_client(mut request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let gone = CancellationToken::new();
    request.extensions_mut().insert(ClientGone(gone.clone()));
    let response = next.run(request).await;
    let guard: DropGuard = gone.drop_guard();
    response.map(|body| {
        Body::from_stream(body.into_data_stream().map(move |chunk| {
            let _fires_when_the_body_is_dropped = &guard;
            chunk
        }))
    })
}
