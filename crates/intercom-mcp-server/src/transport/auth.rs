//! HTTP access control: bearer tokens and DNS-rebinding protection.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use intercom_api::Secret;
use subtle::ConstantTimeEq;

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Who may call the HTTP endpoints.
#[derive(Clone)]
pub struct AccessPolicy {
    /// Required bearer token for every client (`--auth-token`).
    pub auth_token: Option<Secret>,
    /// Clients send their own Intercom token as the bearer (`--token-from-request`).
    pub token_from_request: bool,
    /// Accepted `Host` values (host or host:port); empty = any.
    pub allowed_hosts: Vec<String>,
    /// Accepted `Origin` values (`scheme://host[:port]`); requests without
    /// `Origin` pass. Empty = only loopback origins.
    pub allowed_origins: Vec<String>,
}

impl std::fmt::Debug for AccessPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessPolicy")
            .field("auth_token", &self.auth_token.as_ref().map(|_| "***"))
            .field("token_from_request", &self.token_from_request)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("allowed_origins", &self.allowed_origins)
            .finish()
    }
}

pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

/// Split `host[:port]` (IPv6 in brackets) into the host part.
fn host_part(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match authority.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => h,
        _ => authority,
    }
}

impl AccessPolicy {
    fn host_allowed(&self, host: &str) -> bool {
        if self.allowed_hosts.is_empty() {
            return true;
        }
        let bare = host_part(host);
        self.allowed_hosts
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(host) || allowed.eq_ignore_ascii_case(bare))
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        if self
            .allowed_origins
            .iter()
            .any(|o| o == "*" || o.eq_ignore_ascii_case(origin))
        {
            return true;
        }
        // Browsers on the same machine (the Inspector UI) are fine; anything else
        // must be listed, since a page on another site must not drive this server.
        match url::Url::parse(origin) {
            Ok(url) => url.host_str().is_some_and(is_loopback_host),
            Err(_) => false,
        }
    }

    fn token_ok(&self, headers: &HeaderMap) -> bool {
        match (&self.auth_token, self.token_from_request) {
            (Some(expected), _) => bearer(headers).is_some_and(|given| {
                bool::from(given.as_bytes().ct_eq(expected.expose().as_bytes()))
            }),
            (None, true) => bearer(headers).is_some(),
            (None, false) => true,
        }
    }
}

fn reject(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message.to_string(),
    )
        .into_response()
}

/// Host/Origin validation for every route (DNS-rebinding protection).
pub async fn validate_host_and_origin(
    State(policy): State<Arc<AccessPolicy>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| request.uri().authority().map(|a| a.to_string()));
    match host {
        Some(h) if policy.host_allowed(&h) => {}
        Some(h) => {
            tracing::warn!(host = %h, "rejected request with a Host that is not allowed");
            return reject(
                StatusCode::FORBIDDEN,
                "Forbidden: this Host is not allowed (DNS-rebinding protection); add it with --allowed-hosts",
            );
        }
        None => return reject(StatusCode::BAD_REQUEST, "Bad Request: missing Host header"),
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok())
        && !policy.origin_allowed(origin)
    {
        tracing::warn!(%origin, "rejected request from an Origin that is not allowed");
        return reject(
            StatusCode::FORBIDDEN,
            "Forbidden: this Origin is not allowed; add it with --allowed-origins",
        );
    }
    next.run(request).await
}

/// Bearer-token check for the MCP routes.
pub async fn require_bearer(
    State(policy): State<Arc<AccessPolicy>>,
    request: Request,
    next: Next,
) -> Response {
    if policy.token_ok(request.headers()) {
        return next.run(request).await;
    }
    let mut response = reject(
        StatusCode::UNAUTHORIZED,
        if policy.auth_token.is_some() {
            "Unauthorized: send `Authorization: Bearer <token>` with the server's access token"
        } else {
            "Unauthorized: send your Intercom access token as `Authorization: Bearer <token>`"
        },
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"intercom-mcp\""),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn bearer_parsing() {
        assert_eq!(
            bearer(&headers(&[("authorization", "Bearer abc")])),
            Some("abc")
        );
        assert_eq!(
            bearer(&headers(&[("authorization", "bearer  abc ")])),
            Some("abc")
        );
        assert_eq!(bearer(&headers(&[("authorization", "Basic abc")])), None);
        assert_eq!(bearer(&headers(&[("authorization", "Bearer ")])), None);
    }

    #[test]
    fn hosts_and_origins() {
        let p = AccessPolicy {
            auth_token: None,
            token_from_request: false,
            allowed_hosts: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            allowed_origins: vec![],
        };
        assert!(p.host_allowed("127.0.0.1:8080"));
        assert!(p.host_allowed("localhost"));
        assert!(p.host_allowed("[::1]:80"));
        assert!(!p.host_allowed("evil.example:8080"));
        assert!(p.origin_allowed("http://localhost:6274"));
        assert!(!p.origin_allowed("https://evil.example"));
        assert!(!p.origin_allowed("null"));
    }

    #[test]
    fn token_checks() {
        let p = AccessPolicy {
            auth_token: Some(Secret::new("s3cret")),
            token_from_request: false,
            allowed_hosts: vec![],
            allowed_origins: vec![],
        };
        assert!(p.token_ok(&headers(&[("authorization", "Bearer s3cret")])));
        assert!(!p.token_ok(&headers(&[("authorization", "Bearer wrong")])));
        assert!(!p.token_ok(&HeaderMap::new()));
        assert!(!format!("{p:?}").contains("s3cret"));
    }
}
