//! The request path every call goes through: auth, version header, pacing, retries, error mapping.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, LINK, RETRY_AFTER,
};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

pub use reqwest::Method;

use crate::config::{API_VERSION, ClientConfig, RetryPolicy};
use crate::error::{ApiError, ApiErrorItem, Error, Result, TransportKind};
use crate::ratelimit::{RateBudget, RateLimitSnapshot, RateLimiter};

/// The Intercom API client. Cheap to clone (one shared connection pool and rate budget);
/// `Send + Sync`, so share it between tasks freely.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
    /// Set by [`Client::never_resending`]: no write is repeated once it may have been processed.
    never_resend: bool,
}

pub(crate) struct Inner {
    http: reqwest::Client,
    config: ClientConfig,
    auth_header: HeaderValue,
    budget: Arc<dyn RateBudget>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// TLS needs the process's rustls crypto provider, which the application installs (a
/// library does not choose it). With the `ring` feature, ring is installed when none is.
fn check_crypto_provider() -> Result<()> {
    #[cfg(feature = "ring")]
    {
        static INSTALL_RING: std::sync::Once = std::sync::Once::new();
        INSTALL_RING.call_once(|| {
            let _already_installed = rustls::crypto::ring::default_provider().install_default();
        });
    }
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        return Err(Error::Config(
            "no TLS crypto provider is installed in this process: install one at startup, \
             e.g. rustls::crypto::ring::default_provider().install_default(), or enable \
             intercom-api's `ring` feature"
                .into(),
        ));
    }
    Ok(())
}

/// Where a request goes: path segments below the base URL, or a full URL given by Intercom.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Segments(Vec<String>),
    Absolute(Url),
}

/// One logical API call (possibly several attempts).
#[derive(Debug, Clone)]
pub(crate) struct Call {
    method: Method,
    target: Target,
    query: Vec<(String, String)>,
    body: Option<Value>,
    idempotent: bool,
    resource: Option<String>,
}

impl Call {
    pub(crate) fn new(method: Method, segments: &[&str]) -> Self {
        // GET, PUT, DELETE repeat harmlessly; POST must opt in (search, tag attach...).
        let idempotent = matches!(
            method,
            Method::GET | Method::PUT | Method::DELETE | Method::HEAD
        );
        Call {
            method,
            target: Target::Segments(segments.iter().map(|s| (*s).to_owned()).collect()),
            query: Vec::new(),
            body: None,
            idempotent,
            resource: None,
        }
    }

    pub(crate) fn get(segments: &[&str]) -> Self {
        Self::new(Method::GET, segments)
    }
    pub(crate) fn post(segments: &[&str]) -> Self {
        Self::new(Method::POST, segments)
    }
    pub(crate) fn put(segments: &[&str]) -> Self {
        Self::new(Method::PUT, segments)
    }
    pub(crate) fn delete(segments: &[&str]) -> Self {
        Self::new(Method::DELETE, segments)
    }

    pub(crate) fn absolute(method: Method, url: Url) -> Self {
        let mut call = Self::new(method, &[]);
        call.target = Target::Absolute(url);
        call
    }

    pub(crate) fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_owned(), value.to_string()));
        self
    }

    pub(crate) fn query_opt(self, key: &str, value: Option<impl ToString>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    pub(crate) fn body(mut self, body: impl serde::Serialize) -> Self {
        // Serialising our own request types cannot fail (string keys, no non-finite floats).
        self.body = Some(serde_json::to_value(body).unwrap_or(Value::Null));
        self
    }

    /// Marks a POST as safe to repeat (search, attach-style calls whose repetition is a no-op).
    pub(crate) fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    /// Describes the object concerned, for 404/410 messages: `resource("contact", id)`.
    pub(crate) fn resource(mut self, kind: &str, id: &str) -> Self {
        self.resource = Some(format!("{kind} {id:?}"));
        self
    }

    pub(crate) fn path_for_messages(&self) -> String {
        match &self.target {
            Target::Segments(segs) => format!("/{}", segs.join("/")),
            Target::Absolute(url) => url.path().to_owned(),
        }
    }
}

/// How one attempt ended.
enum Attempt {
    Done(Value),
    Retry { wait: Duration, last: Error },
    Fail(Error),
}

impl Client {
    /// Builds a client (one pooled HTTP client, one in-process rate limiter) from a configuration.
    pub fn new(config: ClientConfig) -> Result<Self> {
        Self::with_rate_budget(config, Arc::new(RateLimiter::new()))
    }

    /// Builds a client whose requests draw on `budget`: one shared by several processes (a
    /// fleet of replicas of one Intercom app) instead of this process's own limiter.
    pub fn with_rate_budget(config: ClientConfig, budget: Arc<dyn RateBudget>) -> Result<Self> {
        check_crypto_provider()?;
        let mut auth_header = HeaderValue::from_str(&format!("Bearer {}", config.token.expose()))
            .map_err(|_| {
            Error::Config("the access token contains characters not allowed in a header".into())
        })?;
        auth_header.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert("Intercom-Version", HeaderValue::from_static(API_VERSION));
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .default_headers(headers)
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            // A redirect could carry the token to another host; Intercom does not redirect API calls.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                config,
                auth_header,
                budget,
            }),
            never_resend: false,
        })
    }

    /// The configuration this client was built with.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// This client (same pool and rate budget) with no write repeated once it may have been
    /// processed, whatever the method (a dropped connection after a PUT included): for callers
    /// that read the target back before resending, such as bulk jobs, so that no write lands
    /// twice. 429s and refused connections, which prove nothing was processed, are still
    /// retried; reads retry as usual.
    pub fn never_resending(&self) -> Client {
        Client {
            inner: self.inner.clone(),
            never_resend: true,
        }
    }

    /// A snapshot of the shared rate-limit state.
    pub fn rate_limit(&self) -> RateLimitSnapshot {
        self.inner.budget.snapshot()
    }

    /// Untyped escape hatch: any call, through the same auth, pacing, retry and error mapping.
    ///
    /// `path` is relative to the base URL (`/contacts/123/tags`). GET/PUT/DELETE and POSTs to
    /// paths ending in `/search` are retried on transient failures; other POSTs only when the
    /// failure proves nothing was processed. Returns `Value::Null` for an empty body.
    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Result<Value> {
        let is_search = path.trim_end_matches('/').ends_with("/search");
        let idempotent = method == Method::POST && is_search;
        self.execute(Self::raw_call(method, path, query, body, idempotent))
            .await
    }

    /// Like [`Client::send_json`] but lets the caller declare the call safe to retry.
    pub async fn send_json_idempotent(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Result<Value> {
        self.execute(Self::raw_call(method, path, query, body, true))
            .await
    }

    fn raw_call(
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
        idempotent: bool,
    ) -> Call {
        let mut call = match Url::parse(path) {
            // A full URL (e.g. a `pages.next` link); execute() checks it names the configured host.
            Ok(url) if matches!(url.scheme(), "http" | "https") => Call::absolute(method, url),
            _ => {
                let (path_part, inline_query) = match path.split_once('?') {
                    Some((p, q)) => (p, Some(q)),
                    None => (path, None),
                };
                let segments: Vec<&str> = path_part.split('/').filter(|s| !s.is_empty()).collect();
                let mut call = Call::new(method, &segments);
                for (k, v) in url::form_urlencoded::parse(inline_query.unwrap_or("").as_bytes()) {
                    call = call.query(&k, v);
                }
                call
            }
        };
        if idempotent {
            call = call.idempotent();
        }
        for (k, v) in query {
            call = call.query(k, v);
        }
        call.body = body;
        call
    }

    /// Runs a call and decodes the answer.
    pub(crate) async fn call<T: DeserializeOwned>(&self, call: Call) -> Result<T> {
        let method = call.method.to_string();
        let path = call.path_for_messages();
        let value = self.execute(call).await?;
        // A create's answer that cannot be decoded may still name the new object.
        let id = value.get("id").and_then(|v| match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
        serde_json::from_value(value).map_err(|e| Error::Decode {
            method,
            path,
            expected: std::any::type_name::<T>(),
            message: e.to_string(),
            id,
        })
    }

    pub(crate) fn url_for(&self, target: &Target) -> Result<Url> {
        match target {
            Target::Segments(segs) => {
                let mut url = self.inner.config.base_url.clone();
                {
                    let mut path = url
                        .path_segments_mut()
                        .map_err(|_| Error::Config("the base URL cannot take a path".into()))?;
                    path.pop_if_empty();
                    for seg in segs {
                        path.push(seg);
                    }
                }
                Ok(url)
            }
            Target::Absolute(url) => {
                // Never send the token to a host other than the configured one.
                let base = &self.inner.config.base_url;
                if url.scheme() != base.scheme()
                    || url.host_str() != base.host_str()
                    || url.port_or_known_default() != base.port_or_known_default()
                {
                    return Err(Error::Config(format!(
                        "refusing to follow a pagination link to another host ({}); expected {}",
                        url.host_str().unwrap_or("?"),
                        base.host_str().unwrap_or("?")
                    )));
                }
                Ok(url.clone())
            }
        }
    }

    /// Runs a call with pacing and retries, returning the JSON body of the 2xx answer.
    pub(crate) async fn execute(&self, mut call: Call) -> Result<Value> {
        if self.never_resend && call.method != Method::GET {
            call.idempotent = false;
        }
        let policy = &self.inner.config.retry;
        let started = Instant::now();
        let url = self.url_for(&call.target)?;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let remaining_time = policy.max_elapsed.saturating_sub(started.elapsed());
            let max_wait = policy.max_rate_limit_wait.min(remaining_time);
            let outcome = {
                let _permit = self.inner.budget.acquire(max_wait).await;
                self.attempt_once(&call, &url, attempt).await
            };
            match outcome {
                Attempt::Done(v) => {
                    if !matches!(call.method, Method::GET | Method::HEAD)
                        && let Target::Segments(segments) = &call.target
                        && segments.last().is_none_or(|s| s != "search")
                    {
                        crate::writes::note(segments, &v);
                    }
                    return Ok(v);
                }
                Attempt::Fail(e) => return Err(e),
                Attempt::Retry { wait, last } => {
                    let out_of_attempts = attempt >= policy.max_attempts;
                    let out_of_time = started.elapsed() + wait >= policy.max_elapsed;
                    if out_of_attempts || out_of_time {
                        return Err(last);
                    }
                    tracing::debug!(
                        method = %call.method,
                        path = %call.path_for_messages(),
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        error = %last,
                        "retrying Intercom call"
                    );
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                }
            }
        }
    }

    fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
        let exp = policy
            .initial_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(policy.max_backoff);
        // Full jitter in [capped/2, capped] keeps parallel retries from synchronising.
        let half = capped.as_millis() as u64 / 2;
        Duration::from_millis(half + rand::rng().random_range(0..=half))
    }

    async fn attempt_once(&self, call: &Call, url: &Url, attempt: u32) -> Attempt {
        let cfg = &self.inner.config;
        let mut req = self
            .inner
            .http
            .request(call.method.clone(), url.clone())
            .header(AUTHORIZATION, self.inner.auth_header.clone());
        if !call.query.is_empty() {
            req = req.query(&call.query);
        }
        if let Some(body) = &call.body {
            req = req
                .header(CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(body).unwrap_or_default());
        }
        let sent_at = Instant::now();
        let response = match req.send().await {
            Ok(r) => r,
            Err(e) => return self.transport_failure(call, attempt, e),
        };
        let status = response.status().as_u16();
        tracing::debug!(
            method = %call.method,
            path = %call.path_for_messages(),
            status,
            attempt,
            elapsed_ms = sent_at.elapsed().as_millis() as u64,
            "Intercom call answered"
        );
        let headers = response.headers().clone();
        self.inner.budget.observe(&headers, status);
        let bytes = match response.bytes().await {
            Ok(b) => b,
            Err(e) => return self.transport_failure(call, attempt, e),
        };
        if (200..300).contains(&status) {
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Attempt::Done(Value::Null);
            }
            return match serde_json::from_slice(&bytes) {
                Ok(v) => Attempt::Done(v),
                Err(e) => Attempt::Fail(Error::Decode {
                    method: call.method.to_string(),
                    path: call.path_for_messages(),
                    expected: "JSON",
                    message: e.to_string(),
                    id: None,
                }),
            };
        }
        let error = Error::Api(Box::new(
            self.api_error(call, status, &headers, &bytes, attempt),
        ));
        let retry_after = retry_after(&headers).map(|d| d.min(cfg.retry.max_rate_limit_wait));
        if status == 429 {
            // Not processed: always safe to repeat. Wait for the reset when it is known.
            let wait = if self.inner.budget.reset_pending() {
                Duration::ZERO // the limiter holds the next attempt until the reset
            } else {
                Self::backoff(&cfg.retry, attempt).max(Duration::from_secs(1))
            };
            let wait = wait.max(retry_after.unwrap_or_default());
            return Attempt::Retry { wait, last: error };
        }
        if call.idempotent && matches!(status, 500 | 502 | 503 | 504) {
            let wait = Self::backoff(&cfg.retry, attempt).max(retry_after.unwrap_or_default());
            return Attempt::Retry { wait, last: error };
        }
        Attempt::Fail(error)
    }

    fn transport_failure(&self, call: &Call, attempt: u32, e: reqwest::Error) -> Attempt {
        let kind = if e.is_connect() {
            TransportKind::Connect
        } else if e.is_timeout() {
            TransportKind::Timeout
        } else if e.is_body() || e.is_decode() {
            TransportKind::Body
        } else {
            TransportKind::Request
        };
        let retry = kind == TransportKind::Connect || call.idempotent;
        let error = Error::Transport {
            kind,
            method: call.method.to_string(),
            path: call.path_for_messages(),
            target: self.inner.config.describe_target(),
            attempts: attempt,
            message: redact(&error_chain(&e), self.inner.config.token.expose()),
            may_have_been_processed: !retry,
        };
        // A connect error means no byte of the request left: safe even for a create.
        // Anything later may have been processed, so only idempotent calls repeat.
        if retry {
            Attempt::Retry {
                wait: Self::backoff(&self.inner.config.retry, attempt),
                last: error,
            }
        } else {
            Attempt::Fail(error)
        }
    }

    fn api_error(
        &self,
        call: &Call,
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
        attempt: u32,
    ) -> ApiError {
        #[derive(serde::Deserialize)]
        struct ErrorList {
            #[serde(default)]
            request_id: Option<String>,
            #[serde(default)]
            errors: Vec<ApiErrorItem>,
        }
        let parsed: Option<ErrorList> = serde_json::from_slice(body).ok();
        let (request_id, mut errors) = match parsed {
            Some(p) => (p.request_id, p.errors),
            None => (None, Vec::new()),
        };
        if errors.is_empty() && !body.is_empty() {
            errors = problem_details(body).unwrap_or_else(|| {
                // Neither an error.list nor a problem document (a proxy page, plain text):
                // a readable excerpt, saying how much was left out.
                let text = String::from_utf8_lossy(body);
                let text = text.trim();
                let total = text.chars().count();
                let mut excerpt: String = text.chars().take(MAX_EXCERPT_CHARS).collect();
                if total > MAX_EXCERPT_CHARS {
                    excerpt.push_str(&format!(
                        " … ({} more characters)",
                        total - MAX_EXCERPT_CHARS
                    ));
                }
                vec![ApiErrorItem {
                    code: "http_error".into(),
                    message: Some(excerpt),
                    field: None,
                }]
            });
        }
        let token = self.inner.config.token.expose();
        for e in &mut errors {
            e.message = e.message.as_deref().map(|m| redact(m, token));
        }
        let merged_into = headers
            .get(LINK)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_link_target);
        let rate_limit_reset = headers
            .get("x-ratelimit-reset")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
            .or_else(|| {
                (status == 429)
                    .then(|| self.inner.budget.snapshot().reset_at)
                    .flatten()
            });
        ApiError {
            status,
            request_id,
            errors,
            method: call.method.to_string(),
            path: call.path_for_messages(),
            resource: call.resource.clone(),
            target: self.inner.config.describe_target(),
            rate_limit_reset,
            merged_into,
            attempts: attempt,
        }
    }
}

/// How much of an error body that is neither an `error.list` nor a problem document is kept.
const MAX_EXCERPT_CHARS: usize = 2_000;

/// An RFC 7807 problem document (`application/problem+json`, as a validating proxy or mock
/// such as Prism answers a request it rejects): its title and detail, and every entry of a
/// `validation` list in full, each naming its location, so the caller sees exactly which
/// field broke which rule.
fn problem_details(body: &[u8]) -> Option<Vec<ApiErrorItem>> {
    let doc: Value = serde_json::from_slice(body).ok()?;
    let obj = doc.as_object()?;
    let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_owned);
    let (title, detail) = (text("title"), text("detail"));
    let validation = obj.get("validation").and_then(Value::as_array);
    if title.is_none() && detail.is_none() && validation.is_none() {
        return None;
    }
    let code = obj
        .get("type")
        .and_then(Value::as_str)
        .and_then(|t| t.rsplit('/').next())
        .filter(|t| !t.is_empty())
        .unwrap_or("problem")
        .to_owned();
    let mut items = vec![ApiErrorItem {
        code: code.clone(),
        message: Some(
            [title, detail]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": "),
        ),
        field: None,
    }];
    for v in validation.into_iter().flatten() {
        let location = v.get("location").and_then(Value::as_array).map(|parts| {
            parts
                .iter()
                .map(|p| match p {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(".")
        });
        let message = v
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        items.push(ApiErrorItem {
            code: v
                .get("code")
                .and_then(Value::as_str)
                .unwrap_or("validation")
                .to_owned(),
            message: Some(message),
            field: location,
        });
    }
    Some(items)
}

/// `Retry-After` in seconds (the HTTP-date form is not used by Intercom or common proxies).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let raw = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    raw.parse::<u64>().ok().map(Duration::from_secs)
}

/// Extracts the target of `Link: <https://…/contacts/abc>; rel="canonical"`, as the last path segment.
fn parse_link_target(link: &str) -> Option<String> {
    let start = link.find('<')? + 1;
    let end = link[start..].find('>')? + start;
    let url = link[start..end].trim();
    let id = url.trim_end_matches('/').rsplit('/').next()?;
    (!id.is_empty()).then(|| id.to_owned())
}

/// The error with its causes, which carry the useful part (refused, reset, tls...).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Removes any occurrence of the secret from a message (defence in depth).
pub(crate) fn redact(text: &str, secret: &str) -> String {
    if secret.len() < 4 {
        return text.to_owned();
    }
    text.replace(secret, "***")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_gives_merged_contact_id() {
        assert_eq!(
            parse_link_target("<https://api.intercom.io/contacts/abc123>; rel=\"canonical\""),
            Some("abc123".to_owned())
        );
        assert_eq!(parse_link_target("garbage"), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        let first = Client::backoff(&p, 1);
        assert!(first <= p.initial_backoff && first >= p.initial_backoff / 2);
        let late = Client::backoff(&p, 30);
        assert!(late <= p.max_backoff && late >= p.max_backoff / 2);
    }
}
