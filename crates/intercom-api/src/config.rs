//! Client configuration: token, region or base URL, timeouts and retry policy.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use url::Url;

use crate::error::{Error, Result};

/// The Intercom API version this crate speaks; sent as `Intercom-Version` on every request.
pub const API_VERSION: &str = "2.16";

/// A secret string (an access token) that never prints: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The raw value. Only call this where the secret must leave the process (the auth header).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the secret is empty or whitespace.
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

/// The Intercom data-hosting region of a workspace; each has its own API host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Region {
    /// United States: `https://api.intercom.io`.
    #[default]
    Us,
    /// Europe: `https://api.eu.intercom.io`.
    Eu,
    /// Australia: `https://api.au.intercom.io`.
    Au,
}

impl Region {
    /// The API base URL of this region.
    pub fn base_url(self) -> &'static str {
        match self {
            Region::Us => "https://api.intercom.io",
            Region::Eu => "https://api.eu.intercom.io",
            Region::Au => "https://api.au.intercom.io",
        }
    }

    /// The lowercase code: `us`, `eu` or `au`.
    pub fn code(self) -> &'static str {
        match self {
            Region::Us => "us",
            Region::Eu => "eu",
            Region::Au => "au",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Region {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "us" => Ok(Region::Us),
            "eu" => Ok(Region::Eu),
            "au" => Ok(Region::Au),
            other => Err(Error::Config(format!(
                "unknown region {other:?}: use us, eu or au"
            ))),
        }
    }
}

/// How failed requests are retried. See the crate README for which calls are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts per call, the first one included (1 = never retry).
    pub max_attempts: u32,
    /// Backoff before the first retry of a 5xx/timeout/connection failure; doubles each time.
    pub initial_backoff: Duration,
    /// Upper bound of one backoff.
    pub max_backoff: Duration,
    /// Upper bound of the whole call, waits included; no retry starts past it.
    pub max_elapsed: Duration,
    /// Longest single wait for a rate-limit window to reset (guards against clock skew).
    pub max_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_elapsed: Duration::from_secs(120),
            max_rate_limit_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }
}

/// Everything a [`crate::Client`] needs. Build with [`ClientConfig::builder`].
#[derive(Clone)]
pub struct ClientConfig {
    pub(crate) token: Secret,
    pub(crate) region: Region,
    pub(crate) base_url: Url,
    pub(crate) base_url_overridden: bool,
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) user_agent: String,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("token", &self.token)
            .field("region", &self.region)
            .field("base_url", &self.base_url.as_str())
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

impl ClientConfig {
    /// Starts a builder for the given access token.
    pub fn builder(token: impl Into<Secret>) -> ClientConfigBuilder {
        ClientConfigBuilder {
            token: token.into(),
            region: Region::Us,
            base_url: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            user_agent: default_user_agent(),
        }
    }

    /// A configuration with defaults for the given token and region.
    pub fn new(token: impl Into<Secret>, region: Region) -> Result<Self> {
        Self::builder(token).region(region).build()
    }

    /// The region (meaningful when no base URL override is set).
    pub fn region(&self) -> Region {
        self.region
    }

    /// The effective base URL requests go to.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// True when the base URL was set explicitly instead of derived from the region.
    pub fn base_url_overridden(&self) -> bool {
        self.base_url_overridden
    }

    /// The access token (redacted when printed).
    pub fn token(&self) -> &Secret {
        &self.token
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Connect timeout per attempt.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// Whole-request timeout per attempt.
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// The User-Agent header value.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// Where the client points, for messages: `region eu (https://api.eu.intercom.io)` or the override.
    pub fn describe_target(&self) -> String {
        let base = self.base_url.as_str().trim_end_matches('/');
        if self.base_url_overridden {
            format!("base URL {base}")
        } else {
            format!("region {} ({base})", self.region)
        }
    }
}

/// `intercom-mcp/<crate version>`.
pub fn default_user_agent() -> String {
    format!("intercom-mcp/{}", env!("CARGO_PKG_VERSION"))
}

/// Builder for [`ClientConfig`].
#[derive(Debug, Clone)]
pub struct ClientConfigBuilder {
    token: Secret,
    region: Region,
    base_url: Option<String>,
    connect_timeout: Duration,
    request_timeout: Duration,
    retry: RetryPolicy,
    user_agent: String,
}

impl ClientConfigBuilder {
    /// Selects the region (ignored when [`Self::base_url`] is set).
    pub fn region(mut self, region: Region) -> Self {
        self.region = region;
        self
    }

    /// Overrides the base URL (sandbox, proxy). May carry a path prefix.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Connect timeout per attempt (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Whole-request timeout per attempt (default 30 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Retry policy (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Replaces the User-Agent (default `intercom-mcp/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Validates and builds the configuration.
    pub fn build(self) -> Result<ClientConfig> {
        if self.token.is_blank() {
            return Err(Error::Config(
                "the Intercom access token is empty: set it (e.g. INTERCOM_ACCESS_TOKEN)".into(),
            ));
        }
        if self.token.expose().chars().any(|c| c.is_control()) {
            return Err(Error::Config(
                "the Intercom access token contains control characters (a stray newline?)".into(),
            ));
        }
        let (raw, overridden) = match &self.base_url {
            Some(url) => (url.trim().to_owned(), true),
            None => (self.region.base_url().to_owned(), false),
        };
        let mut base_url = Url::parse(&raw)
            .map_err(|e| Error::Config(format!("invalid base URL {raw:?}: {e}")))?;
        if !matches!(base_url.scheme(), "http" | "https") || base_url.cannot_be_a_base() {
            return Err(Error::Config(format!(
                "invalid base URL {raw:?}: it must be an http(s) URL"
            )));
        }
        if !base_url.username().is_empty() || base_url.password().is_some() {
            return Err(Error::Config(
                "the base URL must not carry credentials; pass the token separately".into(),
            ));
        }
        base_url.set_query(None);
        base_url.set_fragment(None);
        if self.retry.max_attempts == 0 {
            return Err(Error::Config(
                "retry policy max_attempts must be at least 1".into(),
            ));
        }
        Ok(ClientConfig {
            token: self.token,
            region: self.region,
            base_url,
            base_url_overridden: overridden,
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
            retry: self.retry,
            user_agent: self.user_agent,
        })
    }
}
