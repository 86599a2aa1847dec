//! Per-client concurrency limits on the MCP routes, so one client cannot
//! starve the rest.
//!
//! A client is its MCP session (`Mcp-Session-Id`, or `sessionId` on the legacy
//! `/messages`): each connected assistant has its own, also when many share one
//! machine or one reverse proxy. Each session may have `per_client` requests in
//! flight. Above sessions, the origin (the bearer token when it is the client's
//! own, with `--token-from-request`; otherwise the peer IP) has a ceiling of
//! `per_client` × [`ORIGIN_FACTOR`], which also bounds requests that carry no
//! session yet (`initialize`) and a client that opens session after session.
//!
//! Over the limit a request gets a prompt 429 with `Retry-After` rather than
//! waiting in a queue: a queue would hold a connection and memory for every
//! waiting request (a flood grows it without bound) and hide the overload
//! from the client, while MCP clients already time out and retry on their own.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use parking_lot::Mutex;
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::auth::bearer;

/// Default for `--max-concurrent-per-client`.
pub const DEFAULT_MAX_CONCURRENT_PER_CLIENT: usize = 16;

/// Seconds a refused client is told to wait: slots free as soon as one of
/// its requests ends, which for most tools is well under a second.
const RETRY_AFTER_SECS: u64 = 1;

/// How many clients' worth of requests one origin (IP or own token) may have in flight.
pub const ORIGIN_FACTOR: usize = 16;

/// Idle clients are forgotten once the map grows past this.
const PRUNE_ABOVE: usize = 1024;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum ClientKey {
    /// SHA-256 of the MCP session id.
    Session([u8; 32]),
    /// SHA-256 of the bearer token: the map never holds the token itself.
    Token([u8; 32]),
    Peer(IpAddr),
    /// No peer address (a router served without connect info, as in tests).
    Unknown,
}

/// Semaphores per client.
pub struct ClientLimits {
    per_client: usize,
    key_by_token: bool,
    clients: Mutex<HashMap<ClientKey, Arc<Semaphore>>>,
}

/// The request's slot, put in its extensions. A handler whose work outlives
/// its HTTP response (`POST /messages` answers 202 and replies on the event
/// stream) takes the permit to hold until the work is done; otherwise the
/// slot is held until the response body has been sent.
#[derive(Clone, Default)]
pub struct ClientSlot(Arc<Mutex<Option<ClientPermit>>>);

impl ClientSlot {
    pub fn take(&self) -> Option<ClientPermit> {
        self.0.lock().take()
    }
}

/// A request's place under its session's limit and its origin's ceiling; dropping it frees both.
pub struct ClientPermit {
    _origin: OwnedSemaphorePermit,
    _session: Option<OwnedSemaphorePermit>,
}

impl ClientLimits {
    /// `key_by_token`: the bearer identifies the client (each has its own).
    pub fn new(per_client: usize, key_by_token: bool) -> Self {
        Self {
            per_client: per_client.max(1),
            key_by_token,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The MCP session a request belongs to, if it names one.
    fn session_key(request: &Request) -> Option<ClientKey> {
        let from_header = request
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let from_query = || {
            url::form_urlencoded::parse(request.uri().query()?.as_bytes())
                .find(|(k, _)| k == "sessionId" || k == "session_id")
                .map(|(_, v)| v.into_owned())
        };
        let id = from_header
            .or_else(from_query)
            .filter(|id| !id.is_empty())?;
        Some(ClientKey::Session(Sha256::digest(id.as_bytes()).into()))
    }

    fn origin_key(&self, request: &Request) -> ClientKey {
        if self.key_by_token
            && let Some(token) = bearer(request.headers())
        {
            return ClientKey::Token(Sha256::digest(token.as_bytes()).into());
        }
        match request.extensions().get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(addr)) => ClientKey::Peer(addr.ip()),
            None => ClientKey::Unknown,
        }
    }

    /// A slot under the origin's ceiling and, for a request in a session, under the session's limit.
    fn admit(&self, request: &Request) -> Option<ClientPermit> {
        let origin = self.try_acquire(
            self.origin_key(request),
            self.per_client.saturating_mul(ORIGIN_FACTOR),
        )?;
        let session = match Self::session_key(request) {
            Some(key) => Some(self.try_acquire(key, self.per_client)?),
            None => None,
        };
        Some(ClientPermit {
            _origin: origin,
            _session: session,
        })
    }

    fn try_acquire(&self, key: ClientKey, limit: usize) -> Option<OwnedSemaphorePermit> {
        let semaphore = {
            let mut clients = self.clients.lock();
            if clients.len() > PRUNE_ABOVE && !clients.contains_key(&key) {
                // A permit holds a clone of its semaphore, so a count of one
                // (the map's) means the client has nothing in flight. Clones
                // are only made under this lock, so none can appear meanwhile.
                clients.retain(|_, s| Arc::strong_count(s) > 1);
            }
            clients
                .entry(key)
                .or_insert_with(|| Arc::new(Semaphore::new(limit)))
                .clone()
        };
        semaphore.try_acquire_owned().ok()
    }

    fn refuse(&self) -> Response {
        let message = format!(
            "Too many concurrent requests from this client: at most {} at a time. Wait for \
             earlier requests to finish, then retry after {RETRY_AFTER_SECS} s.",
            self.per_client
        );
        let body = json!({
            "jsonrpc": "2.0",
            "id": null,
            "error": {"code": -32000, "message": message},
        });
        let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        response
    }
}

/// Middleware for the MCP routes. GETs pass uncounted: they open event
/// streams that stay open for the whole session and do no work of their own.
pub async fn limit_per_client(
    State(limits): State<Arc<ClientLimits>>,
    mut request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::GET {
        return next.run(request).await;
    }
    let Some(permit) = limits.admit(&request) else {
        tracing::warn!(
            limit = limits.per_client,
            "refused a request: client over its concurrency limit"
        );
        return limits.refuse();
    };
    let slot = ClientSlot(Arc::new(Mutex::new(Some(permit))));
    request.extensions_mut().insert(slot.clone());
    let response = next.run(request).await;
    match slot.take() {
        // A POST to /mcp streams its answer in the body: hold the slot until
        // the body is done (or dropped because the client went away).
        Some(permit) => response.map(|body| {
            Body::from_stream(body.into_data_stream().map(move |chunk| {
                let _held_until_body_ends = &permit;
                chunk
            }))
        }),
        None => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_per_client_and_free_again() {
        let limits = ClientLimits::new(2, true);
        let a = ClientKey::Token([1; 32]);
        let b = ClientKey::Peer("10.0.0.2".parse().unwrap());
        let first = limits.try_acquire(a.clone(), 2).expect("first slot");
        let _second = limits.try_acquire(a.clone(), 2).expect("second slot");
        assert!(
            limits.try_acquire(a.clone(), 2).is_none(),
            "third is refused"
        );
        assert!(
            limits.try_acquire(b.clone(), 2).is_some(),
            "others unaffected"
        );
        drop(first);
        assert!(limits.try_acquire(a, 2).is_some(), "a slot frees again");
    }

    fn request(session: Option<&str>, query: &str) -> Request {
        let mut builder = axum::http::Request::post(format!("/mcp{query}"));
        if let Some(id) = session {
            builder = builder.header("mcp-session-id", id);
        }
        let mut request = builder.body(Body::empty()).unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4000))));
        request
    }

    #[test]
    fn sessions_on_one_machine_are_separate_clients_under_one_ceiling() {
        let limits = ClientLimits::new(2, false);
        let a = request(Some("session-a"), "");
        let held: Vec<_> = (0..2).map(|_| limits.admit(&a).expect("a slot")).collect();
        assert!(limits.admit(&a).is_none(), "the session's third is refused");
        // Another session from the same address is its own client.
        let b = request(Some("session-b"), "");
        let b_permit = limits.admit(&b).expect("another session is served");
        // The legacy transport names its session in the query.
        let sse = request(None, "?sessionId=session-a");
        assert!(limits.admit(&sse).is_none(), "same session, same limit");
        drop(held);
        assert!(limits.admit(&sse).is_some(), "its slots free again");
        // The origin's ceiling (2 x ORIGIN_FACTOR) bounds one machine's sessions together.
        let many: Vec<_> = (0..2 * ORIGIN_FACTOR - 1)
            .filter_map(|i| limits.admit(&request(Some(&format!("s{i}")), "")))
            .collect();
        assert_eq!(many.len(), 2 * ORIGIN_FACTOR - 1);
        assert!(limits.admit(&request(Some("one-more"), "")).is_none());
        assert!(limits.admit(&request(None, "")).is_none(), "initialize too");
        drop(b_permit);
        assert!(limits.admit(&request(None, "")).is_some());
    }

    #[test]
    fn idle_clients_are_forgotten() {
        let limits = ClientLimits::new(1, false);
        let busy = limits
            .try_acquire(ClientKey::Peer("10.0.0.1".parse().unwrap()), 1)
            .unwrap();
        for i in 0..=PRUNE_ABOVE as u32 {
            let ip = IpAddr::from(std::net::Ipv4Addr::from(0x0b00_0000 + i));
            drop(limits.try_acquire(ClientKey::Peer(ip), 1));
        }
        drop(limits.try_acquire(ClientKey::Unknown, 1));
        let clients = limits.clients.lock();
        assert!(clients.len() < 10, "{} clients kept", clients.len());
        assert!(clients.contains_key(&ClientKey::Peer("10.0.0.1".parse().unwrap())));
        drop(busy);
    }
}
