//! The one error type of this crate, worded so a person can act on it.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One entry of Intercom's `error.list` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorItem {
    /// Machine code such as `not_found`, `unauthorized`, `parameter_invalid`.
    #[serde(default)]
    pub code: String,
    /// Human message from Intercom.
    #[serde(default)]
    pub message: Option<String>,
    /// The request field the error concerns, when given.
    #[serde(default)]
    pub field: Option<String>,
}

/// An HTTP error answer from Intercom (status >= 400), with the request context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// Intercom's `request_id`, for support tickets.
    pub request_id: Option<String>,
    /// The `errors` array (empty when the body was not an `error.list`).
    pub errors: Vec<ApiErrorItem>,
    /// HTTP method of the failed call.
    pub method: String,
    /// Path of the failed call (ids only, never the token).
    pub path: String,
    /// What the call was about, e.g. `contact 6643a1…` (used for 404 wording).
    pub resource: Option<String>,
    /// Where the client points, e.g. `region eu (https://api.eu.intercom.io)` (used for 401 wording).
    pub target: String,
    /// `X-RateLimit-Reset` of the answer (Unix seconds), when present.
    pub rate_limit_reset: Option<u64>,
    /// For 410 `contact_merged`: the id or URL of the contact it was merged into (from the `Link` header).
    pub merged_into: Option<String>,
    /// How many attempts were made before giving up.
    pub attempts: u32,
}

impl ApiError {
    /// The first error code, if any.
    pub fn code(&self) -> Option<&str> {
        self.errors.first().map(|e| e.code.as_str())
    }

    fn detail(&self) -> String {
        if self.errors.is_empty() {
            return format!("HTTP {}", self.status);
        }
        self.errors
            .iter()
            .map(|e| {
                let mut s = format!("{} {}", self.status, e.code);
                if let Some(m) = e.message.as_deref().filter(|m| !m.is_empty()) {
                    s.push_str(": ");
                    s.push_str(m);
                }
                if let Some(f) = e.field.as_deref().filter(|f| !f.is_empty()) {
                    s.push_str(&format!(" (field `{f}`)"));
                }
                s
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn context(&self) -> String {
        let mut s = format!("{} {}", self.method, self.path);
        if let Some(id) = &self.request_id {
            s.push_str(&format!(", request_id {id}"));
        }
        if self.attempts > 1 {
            s.push_str(&format!(", after {} attempts", self.attempts));
        }
        s
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let detail = self.detail();
        let ctx = self.context();
        match self.status {
            401 => write!(
                f,
                "Intercom rejected the access token ({detail}) at {}. Check that the token is \
                 valid and not revoked, and that the workspace lives in that region (us, eu or au) \
                 or set the right base URL [{ctx}]",
                self.target
            ),
            403 => write!(
                f,
                "Intercom refused this call ({detail}): the token lacks a required scope or the \
                 workspace's plan lacks this feature. Grant the scope to the app or use a plan \
                 that has it [{ctx}]"
            ),
            404 => {
                let what = self
                    .resource
                    .clone()
                    .unwrap_or_else(|| "the requested object".to_owned());
                write!(
                    f,
                    "{what} was not found in the Intercom workspace ({detail}). Check the id, or \
                     search for the object first [{ctx}]"
                )
            }
            410 if self.code() == Some("contact_merged") => {
                let what = self
                    .resource
                    .clone()
                    .unwrap_or_else(|| "the contact".to_owned());
                match &self.merged_into {
                    Some(into) => write!(
                        f,
                        "{what} was merged into contact {into}; use that contact instead \
                         ({detail}) [{ctx}]"
                    ),
                    None => write!(
                        f,
                        "{what} was merged into another contact ({detail}); search for it by \
                         email or external_id [{ctx}]"
                    ),
                }
            }
            429 => {
                let when = match self.rate_limit_reset {
                    Some(reset) => {
                        let now = SystemTime::now()
                            .duration_since(UNIX_EPOCH)
                            .map(|d| d.as_secs())
                            .unwrap_or(0);
                        format!(
                            "the limit resets at Unix time {reset} (in {}s)",
                            reset.saturating_sub(now)
                        )
                    }
                    None => "the reset time was not given".to_owned(),
                };
                write!(
                    f,
                    "Intercom rate limit exceeded ({detail}); {when}. Wait, then retry, or spread \
                     the work out [{ctx}]"
                )
            }
            400 | 422 => write!(
                f,
                "Intercom rejected the request as invalid ({detail}). Fix the named field or \
                 value and retry [{ctx}]"
            ),
            409 => write!(
                f,
                "Intercom reported a conflict ({detail}); the object changed or already exists \
                 [{ctx}]"
            ),
            s if s >= 500 => write!(
                f,
                "Intercom had a server error ({detail}). It is usually temporary: retry later \
                 [{ctx}]"
            ),
            _ => write!(f, "Intercom returned an error ({detail}) [{ctx}]"),
        }
    }
}

/// What went wrong below HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// Could not open a connection (DNS, refused, TLS handshake).
    Connect,
    /// The connect or request timeout elapsed.
    Timeout,
    /// The connection broke while sending or receiving.
    Request,
    /// The response body could not be read.
    Body,
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportKind::Connect => "could not connect",
            TransportKind::Timeout => "timed out",
            TransportKind::Request => "the connection failed during the request",
            TransportKind::Body => "could not read the response",
        })
    }
}

/// Every failure this crate reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Intercom answered with an HTTP error status.
    #[error("{0}")]
    Api(Box<ApiError>),

    /// The request never got an HTTP answer.
    #[error(
        "{kind} while calling Intercom at {target} ({method} {path}) after {attempts} \
         attempt(s): {message}. {}",
        if *may_have_been_processed {
            "The request may have reached Intercom, so it was not repeated automatically: \
             check whether it took effect before sending it again"
        } else {
            "Check the network and the base URL, then retry"
        }
    )]
    Transport {
        /// Failure class.
        kind: TransportKind,
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// Where the client points.
        target: String,
        /// Attempts made.
        attempts: u32,
        /// Underlying message (never contains the token).
        message: String,
        /// True when a non-idempotent call failed after its request may have been received,
        /// so it was deliberately not retried.
        may_have_been_processed: bool,
    },

    /// A 2xx answer whose body did not match the expected shape. For a write (any method
    /// but GET/HEAD) the request was processed, so the wording says it was applied; for a
    /// read it says nothing changed.
    #[error("{}", decode_message(method, path, expected, message, id.as_deref()))]
    Decode {
        /// HTTP method (empty when the answer was decoded away from its call, e.g. a page item).
        method: String,
        /// Request path.
        path: String,
        /// What was expected, e.g. `Ticket` or `JSON`.
        expected: &'static str,
        /// Parser message.
        message: String,
        /// The object's id when the unreadable answer still carried one (a create's new id).
        id: Option<String>,
    },

    /// Paging stopped before the end: Intercom handed back a cursor it had already
    /// given, or the listing went past the page cap. What was read is incomplete.
    #[error(
        "paging {what} stopped after {pages} page(s): {reason}. The result would be \
         incomplete, so none is given; narrow the request (a shorter period or a filter) and try again"
    )]
    Paging {
        /// The listing (method and path).
        what: String,
        /// Pages read before stopping.
        pages: u32,
        /// Why paging stopped.
        reason: String,
    },

    /// A search query broke one of Intercom's rules; the message names the filter.
    #[error("invalid search query: {0}")]
    InvalidQuery(String),

    /// A request that would break Intercom's rules was not sent (a ticket without a
    /// contact, a contact without an id, email or external id).
    #[error("the request was not sent to Intercom: {0}")]
    InvalidRequest(String),

    /// An id was missing or not an id (empty, or with `/`, `?`, `#`, `%`): nothing was sent.
    #[error(transparent)]
    InvalidId(#[from] intercom_core::ids::IdError),

    /// Bad client configuration or argument (empty token, bad URL, foreign pagination link...).
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// True for methods that change something on Intercom's side.
pub fn is_write_method(method: &str) -> bool {
    !method.is_empty()
        && !method.eq_ignore_ascii_case("GET")
        && !method.eq_ignore_ascii_case("HEAD")
}

/// The last path segment of a Rust type name (`intercom_api::models::Ticket` -> `Ticket`),
/// so messages name the Intercom object, not this crate's modules. Generic parameters are kept
/// readable: `Vec<intercom_api::models::Tag>` -> `Vec<Tag>`.
pub fn short_type_name(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut word = String::new();
    for c in full.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
        } else {
            out.push_str(word.rsplit("::").next().unwrap_or(&word));
            word.clear();
            out.push(c);
        }
    }
    out.push_str(word.rsplit("::").next().unwrap_or(&word));
    out
}

fn decode_message(
    method: &str,
    path: &str,
    expected: &str,
    message: &str,
    id: Option<&str>,
) -> String {
    let expected = short_type_name(expected);
    let call = match (method.is_empty(), path.is_empty()) {
        (false, false) => format!("{method} {path}"),
        (true, false) => path.to_owned(),
        (false, true) => method.to_owned(),
        (true, true) => "the call".to_owned(),
    };
    if is_write_method(method) {
        format!(
            "Applied: Intercom accepted {call} (HTTP 2xx){}, but Intercom's answer could not \
             be read as {expected} ({message}). The change was made: do not send it again; read \
             the object back to see its state",
            id.map(|id| format!(", id {id}")).unwrap_or_default()
        )
    } else {
        format!(
            "Intercom's answer to {call} could not be read as {expected} ({message}). Nothing \
             was changed; retry later, and if it keeps happening report the answer's shape"
        )
    }
}

impl Error {
    /// The HTTP status, for API errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            _ => None,
        }
    }

    /// The first Intercom error code, for API errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.code(),
            _ => None,
        }
    }

    /// The API error details, if this is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// True for 404 answers (any `*_not_found` code).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// True for 429 answers.
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(429)
    }

    /// True when trying the same call again later may succeed (429, 5xx, transport failures).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => e.status == 429 || e.status >= 500,
            Error::Transport { .. } => true,
            _ => false,
        }
    }

    /// True when a write reached Intercom and was accepted (2xx) but its answer could not be
    /// decoded: the change happened, so it must not be reported as failed nor repeated.
    pub fn is_applied_but_unreadable(&self) -> bool {
        matches!(self, Error::Decode { method, .. } if is_write_method(method))
    }

    /// The number of attempts made, for API and transport errors.
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Error::Api(e) => Some(e.attempts),
            Error::Transport { attempts, .. } => Some(*attempts),
            _ => None,
        }
    }
}
