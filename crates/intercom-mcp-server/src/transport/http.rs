//! The HTTP server: Streamable HTTP at `/mcp` (both protocol eras), legacy
//! HTTP+SSE at `/sse` + `/messages`, and `/healthz`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::{Json, Router, middleware};
use intercom_api::Secret;
use parking_lot::Mutex;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tower_http::limit::RequestBodyLimitLayer;

use super::auth::{AccessPolicy, is_loopback_host, require_bearer, validate_host_and_origin};
use super::limits::{ClientLimits, DEFAULT_MAX_CONCURRENT_PER_CLIENT, limit_per_client};
use super::sse::{SseState, open_stream, post_message};
use crate::server::{IntercomServer, McpHandler, SERVER_NAME, SERVER_VERSION};

/// Default request-body limit: MCP messages are small; 4 MiB leaves room for
/// article bodies while stopping abuse.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// How the HTTP server is exposed.
#[derive(Clone)]
pub struct HttpOptions {
    pub host: String,
    pub port: u16,
    pub auth_token: Option<Secret>,
    pub token_from_request: bool,
    /// Extra accepted Host values; loopback names and the bind host are always accepted.
    pub allowed_hosts: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub max_body_bytes: usize,
    /// Requests one client may have in flight on the MCP routes; more get 429.
    pub max_concurrent_per_client: usize,
    /// Sign in with Intercom: clients present this server's OAuth access tokens.
    pub oauth: Option<Arc<crate::oauth::OAuthServer>>,
    /// After the shutdown signal, how long requests are still served while `/healthz`
    /// answers 503 `draining`, so a load balancer takes the replica out of rotation before
    /// it stops accepting connections.
    pub drain: Duration,
}

impl std::fmt::Debug for HttpOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpOptions")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("auth_token", &self.auth_token.as_ref().map(|_| "***"))
            .field("token_from_request", &self.token_from_request)
            .field("max_concurrent_per_client", &self.max_concurrent_per_client)
            .field("oauth", &self.oauth.is_some())
            .field("drain", &self.drain)
            .finish_non_exhaustive()
    }
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8080,
            auth_token: None,
            token_from_request: false,
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            max_body_bytes: DEFAULT_MAX_REQUEST_BYTES,
            max_concurrent_per_client: DEFAULT_MAX_CONCURRENT_PER_CLIENT,
            oauth: None,
            drain: Duration::ZERO,
        }
    }
}

impl HttpOptions {
    /// Refuse to expose the workspace beyond this machine without a token.
    pub fn check(&self) -> Result<(), String> {
        if !is_loopback_host(&self.host)
            && self.auth_token.is_none()
            && !self.token_from_request
            && self.oauth.is_none()
        {
            return Err(format!(
                "binding {} exposes the Intercom workspace to the network: set an access token \
                 with --auth-token or INTERCOM_MCP_AUTH_TOKEN (clients send it as \
                 `Authorization: Bearer <token>`), use --token-from-request, or bind 127.0.0.1",
                self.host
            ));
        }
        Ok(())
    }

    fn policy(&self) -> AccessPolicy {
        let wildcard = self.allowed_hosts.iter().any(|h| h == "*");
        let unspecified = matches!(self.host.as_str(), "0.0.0.0" | "::" | "[::]");
        let allowed_hosts = if wildcard || (unspecified && self.allowed_hosts.is_empty()) {
            // Bound to every interface with a token required and no list given:
            // the token is the protection, any Host is accepted.
            Vec::new()
        } else {
            let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"]
                .into_iter()
                .map(String::from)
                .collect();
            if !unspecified {
                hosts.push(
                    self.host
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .to_string(),
                );
            }
            hosts.extend(self.allowed_hosts.iter().cloned());
            hosts
        };
        AccessPolicy {
            auth_token: self.auth_token.clone(),
            token_from_request: self.token_from_request,
            allowed_hosts,
            allowed_origins: self.allowed_origins.clone(),
        }
    }
}

/// Upstream probe results are reused briefly so `/healthz` stays cheap.
const HEALTH_CACHE: Duration = Duration::from_secs(10);

/// Longest wait, once the server stops accepting, for open requests and streams to end.
const STOP_GRACE: Duration = Duration::from_secs(10);

#[derive(Clone)]
struct HealthState {
    server: IntercomServer,
    last: Arc<Mutex<Option<(Instant, serde_json::Value)>>>,
    /// Cancelled once shutdown began: the probe says 503 so the balancer stops sending.
    draining: CancellationToken,
}

async fn healthz(State(state): State<HealthState>) -> axum::response::Response {
    if state.draining.is_cancelled() {
        let body = json!({"status": "draining", "server": SERVER_NAME, "version": SERVER_VERSION});
        return (axum::http::StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    }
    if let Some((at, body)) = state.last.lock().clone()
        && at.elapsed() < HEALTH_CACHE
    {
        return Json(body).into_response();
    }
    let workspaces = state.server.workspaces();
    let (status, upstream) = if !workspaces.has_default_token() {
        (
            "ok",
            json!({"checked": false, "reason": "no server-wide token (per-request tokens or none configured)"}),
        )
    } else {
        match state.server.workspaces().default_workspace().await {
            Ok(ws) => {
                let started = Instant::now();
                match tokio::time::timeout(Duration::from_secs(5), ws.api().client().me()).await {
                    Ok(Ok(_)) => (
                        "ok",
                        json!({"checked": true, "reachable": true, "latency_ms": started.elapsed().as_millis() as u64}),
                    ),
                    Ok(Err(e)) => (
                        "degraded",
                        json!({"checked": true, "reachable": false, "error": e.to_string()}),
                    ),
                    Err(_) => (
                        "degraded",
                        json!({"checked": true, "reachable": false, "error": "Intercom did not answer within 5 s"}),
                    ),
                }
            }
            Err(e) => ("degraded", json!({"checked": false, "error": e.message})),
        }
    };
    let mut status = status;
    let mut body = json!({
        "status": status,
        "server": SERVER_NAME,
        "version": SERVER_VERSION,
        "tools": state.server.catalogue().len(),
        "upstream": upstream,
    });
    // A fleet's replica also reports the database its shared state lives in.
    if let Some(check) = state.server.store_health() {
        let started = Instant::now();
        let store = match tokio::time::timeout(Duration::from_secs(5), check()).await {
            Ok(Ok(location)) => json!({"reachable": true, "location": location,
                                       "latency_ms": started.elapsed().as_millis() as u64}),
            Ok(Err(e)) => json!({"reachable": false, "error": e}),
            Err(_) => {
                json!({"reachable": false, "error": "the database did not answer within 5 s"})
            }
        };
        if store["reachable"] != json!(true) {
            status = "degraded";
        }
        body["status"] = json!(status);
        body["store"] = store;
    }
    *state.last.lock() = Some((Instant::now(), body.clone()));
    Json(body).into_response()
}

/// Build the axum application (also used by tests, which bind it themselves).
pub fn router<H: McpHandler>(
    server: H,
    options: &HttpOptions,
    shutdown: CancellationToken,
) -> Router {
    draining_router(server, options, shutdown.clone(), shutdown)
}

/// [`router`] whose `/healthz` says `draining` once `draining` is cancelled, while MCP
/// sessions run until `shutdown` is.
fn draining_router<H: McpHandler>(
    server: H,
    options: &HttpOptions,
    shutdown: CancellationToken,
    draining: CancellationToken,
) -> Router {
    let policy = Arc::new(options.policy());
    let factory_server = server.clone();
    let mcp_config = StreamableHttpServerConfig::default()
        // Host/Origin checks run in our own middleware for every route alike.
        .disable_allowed_hosts()
        .disable_allowed_origins()
        .with_max_request_body_bytes(options.max_body_bytes)
        .with_cancellation_token(shutdown.child_token());
    let mcp = StreamableHttpService::new(
        move || Ok(factory_server.new_session()),
        Arc::new(LocalSessionManager::default()),
        mcp_config,
    );
    let sse_state = SseState::new(server.clone(), "/messages");
    // Clients are MCP sessions; above them, the origin is the bearer only when each
    // client has its own (Intercom token per request), else the peer IP: the shared
    // --auth-token names no one.
    let limits = Arc::new(ClientLimits::new(
        options.max_concurrent_per_client,
        (options.token_from_request || options.oauth.is_some()) && options.auth_token.is_none(),
    ));
    let routes = Router::new()
        .merge(
            Router::new()
                .nest_service("/mcp", mcp)
                .layer(middleware::from_fn(super::gone::watch_client)),
        )
        .route("/sse", get(open_stream::<H>))
        .route(
            "/messages",
            post(post_message::<H>).layer(RequestBodyLimitLayer::new(options.max_body_bytes)),
        )
        .with_state(sse_state)
        // Inside the bearer check: only admitted clients get a slot map entry.
        .layer(middleware::from_fn_with_state(limits, limit_per_client));
    let protected = match &options.oauth {
        // Signed-in people: this server's access token stands for their Intercom token.
        Some(oauth) => routes
            .layer(middleware::from_fn_with_state(
                oauth.clone(),
                crate::oauth::require_access_token,
            ))
            .merge(oauth.router()),
        None => routes.layer(middleware::from_fn_with_state(
            policy.clone(),
            require_bearer,
        )),
    };
    // Real time: Intercom's webhooks prove themselves by signature, not by bearer token or Host.
    let webhooks = server
        .intercom()
        .realtime()
        .and_then(|rt| rt.webhook_router());
    let health = Router::new()
        .route("/healthz", get(healthz))
        .with_state(HealthState {
            server: server.intercom().clone(),
            last: Arc::new(Mutex::new(None)),
            draining,
        });
    // The liveness probe answers whatever Host a load balancer or orchestrator sends (a
    // replica's address, a pod IP): it reveals no workspace data.
    let app = protected
        .layer(middleware::from_fn_with_state(
            policy,
            validate_host_and_origin,
        ))
        .merge(health);
    match webhooks {
        Some(webhooks) => app.merge(webhooks),
        None => app,
    }
}

/// Bind and serve until `shutdown` is cancelled. Returns the bound address
/// through `on_bound` before serving (port 0 picks a free port).
///
/// Once `shutdown` is cancelled, requests are still served for `options.drain` while
/// `/healthz` answers 503; then no new connection is accepted, and open requests and
/// streams get up to [`STOP_GRACE`] to end.
pub async fn serve_http<H: McpHandler>(
    server: H,
    options: HttpOptions,
    shutdown: CancellationToken,
    on_bound: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    options.check().map_err(anyhow::Error::msg)?;
    let stop = CancellationToken::new();
    let app = draining_router(server, &options, stop.clone(), shutdown.clone());
    let drain = options.drain;
    let stopping = stop.clone();
    tokio::spawn(async move {
        shutdown.cancelled().await;
        if !drain.is_zero() {
            tracing::info!(
                seconds = drain.as_secs_f64(),
                "shutting down: /healthz answers 503 while open work finishes"
            );
            tokio::time::sleep(drain).await;
        }
        stopping.cancel();
    });
    let host = options.host.trim_start_matches('[').trim_end_matches(']');
    let listener = tokio::net::TcpListener::bind((host, options.port))
        .await
        .map_err(|e| {
            anyhow::anyhow!("could not listen on {}:{}: {e}", options.host, options.port)
        })?;
    let addr = listener.local_addr()?;
    on_bound(addr);
    // Small JSON-RPC answers must not wait for Nagle's algorithm (~40 ms each).
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(error = %err, "could not set TCP_NODELAY");
        }
    });
    // Connect info gives the per-client limits the peer address.
    let graceful = stop.clone();
    let serving = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move { graceful.cancelled().await });
    let give_up = async {
        stop.cancelled().await;
        tokio::time::sleep(STOP_GRACE).await;
    };
    tokio::select! {
        served = serving => served?,
        () = give_up => tracing::warn!(
            "open connections did not end within {} s of shutdown; closing them",
            STOP_GRACE.as_secs()
        ),
    }
    Ok(())
}
