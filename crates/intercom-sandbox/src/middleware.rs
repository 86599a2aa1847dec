//! What happens around every Intercom request: stats, injected latency and faults,
//! auth, the `Intercom-Version` check and the 10-second rate-limit window.

use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::{FaultKind, RateDecision, SharedApp};
use crate::errors::ApiError;

/// Response marker: the connection must be closed without sending this response.
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

/// Versions Intercom's `Intercom-Version` header accepts (the spec's enum).
const VERSIONS: &[&str] = &[
    "1.0", "1.1", "1.2", "1.3", "1.4", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7",
    "2.8", "2.9", "2.10", "2.11", "2.12", "2.13", "2.14", "2.15", "2.16",
];

fn dropped() -> Response {
    let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    response.extensions_mut().insert(DropConnection);
    response
}

fn injected_status(kind: FaultKind) -> Response {
    let (status, code, message) = match kind {
        FaultKind::Status502 => (
            StatusCode::BAD_GATEWAY,
            "bad_gateway",
            "Bad gateway (injected by the sandbox)",
        ),
        FaultKind::Status503 => (
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "Service unavailable (injected by the sandbox)",
        ),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "Internal server error (injected by the sandbox)",
        ),
    };
    ApiError::new(status, code, message).into_response()
}

fn fault_name(kind: FaultKind) -> &'static str {
    match kind {
        FaultKind::Status500 => "500",
        FaultKind::Status502 => "502",
        FaultKind::Status503 => "503",
        FaultKind::DropBefore => "drop_before",
        FaultKind::DropAfter => "drop_after",
    }
}

fn presented_token(req: &Request) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
}

fn token_matches(req: &Request, token: &str) -> bool {
    let Some(value) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let presented = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .unwrap_or("")
        .trim();
    // Compare without an early exit so response timing does not reveal the token.
    presented.len() == token.len()
        && presented
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn version_error(req: &Request) -> Option<ApiError> {
    let value = req.headers().get("intercom-version")?;
    let text = value.to_str().unwrap_or("").trim();
    if VERSIONS.contains(&text) {
        return None;
    }
    Some(ApiError::new(
        StatusCode::BAD_REQUEST,
        "intercom_version_invalid",
        format!("The requested version '{text}' is not valid. Supported versions: 1.0 to 2.16."),
    ))
}

fn rate_limit_headers(response: &mut Response, decision: &RateDecision) {
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(decision.limit));
    headers.insert(
        "x-ratelimit-remaining",
        HeaderValue::from(decision.remaining),
    );
    headers.insert("x-ratelimit-reset", HeaderValue::from(decision.reset));
}

/// The middleware applied to every route (control routes pass straight through).
pub async fn intercom_layer(State(app): State<SharedApp>, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/_sandbox") {
        return next.run(req).await;
    }
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "<unmatched>".to_string());

    let response = handle(&app, req, next).await;

    let mut stats = app.stats.lock();
    stats.total += 1;
    *stats
        .by_route
        .entry(format!("{method} {route}"))
        .or_default() += 1;
    let status = response.status();
    if response.extensions().get::<DropConnection>().is_none() || status.is_success() {
        *stats.by_status.entry(status.as_u16()).or_default() += 1;
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        stats.rate_limited += 1;
    }
    // Search is a POST that changes nothing: it is not a write.
    if status.is_success()
        && method != Method::GET
        && method != Method::HEAD
        && !route.ends_with("/search")
    {
        stats.writes_applied += 1;
    }
    response
}

async fn handle(app: &SharedApp, mut req: Request, next: Next) -> Response {
    let (latency_ms, fault) = {
        let mut controls = app.controls.lock();
        (controls.latency_ms, controls.draw_fault())
    };
    if latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(latency_ms)).await;
    }
    if let Some(kind) = fault {
        *app.stats
            .lock()
            .faults
            .entry(fault_name(kind).into())
            .or_default() += 1;
    }
    match fault {
        Some(FaultKind::DropBefore) => return dropped(),
        Some(kind @ (FaultKind::Status500 | FaultKind::Status502 | FaultKind::Status503)) => {
            return injected_status(kind);
        }
        _ => {}
    }

    if !token_matches(&req, &app.token) {
        // A token from the OAuth sign-in acts as the admin who signed in.
        let admin = presented_token(&req).and_then(|t| app.oauth.admin_for_token(t));
        match admin {
            Some(admin) => {
                req.extensions_mut()
                    .insert(crate::oauth::SignedInAdmin(admin));
            }
            None => return ApiError::unauthorized().into_response(),
        }
    }
    // Windows follow the real clock: clients compare `X-RateLimit-Reset` with their own time.
    let decision = app
        .controls
        .lock()
        .take_rate(chrono::Utc::now().timestamp());
    if let Some(decision) = decision
        && !decision.allowed
    {
        let mut response = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_exceeded",
            format!("Exceeded rate limit of {} in 10_seconds", decision.limit),
        )
        .into_response();
        rate_limit_headers(&mut response, &decision);
        return response;
    }
    let mut response = match version_error(&req) {
        Some(err) => err.into_response(),
        None => next.run(req).await,
    };
    if let Some(decision) = &decision {
        rate_limit_headers(&mut response, decision);
    }
    if fault == Some(FaultKind::DropAfter) {
        response.extensions_mut().insert(DropConnection);
    }
    response
}
