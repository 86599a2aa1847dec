//! The one error type of tools, resources and prompts.
//!
//! A [`ToolError`] has a [`ErrorKind`] and, when it came from below (the Intercom
//! client, the job store), the error it came from. The kind is decided once, where the
//! error is made; everything that reports it reads the kind, never the words: the text
//! the model sees ([`ToolError::text`]), the JSON-RPC error for resources
//! ([`ToolError::to_rpc`]), the `_meta` of a tool result and the log level
//! ([`ToolError::log`]).

use std::fmt;
use std::sync::Arc;

use rmcp::ErrorData;
use rmcp::handler::server::tool::IntoCallToolResult;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock, MetaObject};
use serde_json::{Value, json};

/// What kind of failure a [`ToolError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The arguments (or what Intercom said about them: a 400/422) are wrong; fixing the
    /// input fixes the call.
    InvalidInput,
    /// The object named does not exist (Intercom 404/410, or a name that matches nothing).
    NotFound,
    /// The token is rejected or lacks a scope (Intercom 401/403), or no token is configured.
    Auth,
    /// Intercom's rate limit was reached and waiting did not help in time.
    RateLimited,
    /// Intercom failed or answered in a way that cannot be used (5xx, transport, a read
    /// answer that cannot be decoded, endless paging). Nothing was changed by a read.
    Upstream,
    /// A write reached Intercom and was accepted, but its answer could not be read. The
    /// change was made: it must not be reported as failed nor sent again.
    AppliedUnreadable,
    /// A fault of this server (configuration, storage): not the caller's to fix.
    Internal,
}

impl ErrorKind {
    /// A stable name, used in `_meta` and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Auth => "auth",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Upstream => "upstream",
            ErrorKind::AppliedUnreadable => "applied_unreadable",
            ErrorKind::Internal => "internal",
        }
    }

    /// How loudly the server logs it: the caller's mistakes are routine, Intercom's
    /// troubles and writes with unknown outcome are worth a warning, our own faults an error.
    pub fn log_level(self) -> tracing::Level {
        match self {
            ErrorKind::InvalidInput | ErrorKind::NotFound => tracing::Level::DEBUG,
            ErrorKind::Auth
            | ErrorKind::RateLimited
            | ErrorKind::Upstream
            | ErrorKind::AppliedUnreadable => tracing::Level::WARN,
            ErrorKind::Internal => tracing::Level::ERROR,
        }
    }
}

/// A failure reported to the model as a tool result with `isError: true` (or, for a
/// resource read, as a JSON-RPC error). The message says what happened and what to do next.
#[derive(Clone)]
pub struct ToolError {
    /// What kind of failure it is.
    pub kind: ErrorKind,
    /// What happened and what to do, for a person or a model. Never contains a token.
    pub message: String,
    /// The id of the object concerned, when known (for an applied write: the object written).
    pub id: Option<String>,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl fmt::Debug for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolError")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl ToolError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            id: None,
            source: None,
        }
    }

    /// Invalid or missing arguments: say which and what is expected.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    /// Something was looked up by id, name or email and not found.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// Intercom's answer cannot be used (and a read changed nothing).
    pub fn upstream(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Upstream, message)
    }

    /// A fault of this server.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// A write that Intercom accepted but whose answer could not be used. `what` says what
    /// was done (`ticket 42 was updated`), `problem` what was wrong with the answer.
    pub fn applied(
        what: impl fmt::Display,
        problem: impl fmt::Display,
        id: Option<String>,
    ) -> Self {
        let mut err = Self::new(
            ErrorKind::AppliedUnreadable,
            format!(
                "Applied: {what}, but Intercom's answer could not be read ({problem}). The change \
                 was made: do not send it again; read the object back to see its state"
            ),
        );
        err.id = id;
        err
    }

    /// For a step that follows a write Intercom accepted (reading the object back, naming
    /// its admins): its failure does not undo the write, so it is reported as applied,
    /// saying what was done (`ticket 42 was updated`) and naming the object's id.
    pub fn after_write(self, what: impl fmt::Display, id: Option<&str>) -> Self {
        if self.is_applied() {
            return self;
        }
        let problem = self.message.clone();
        ToolError::applied(what, problem, id.map(str::to_owned)).with_source(self)
    }

    /// Keeps `source` as the cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// Names the object concerned.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// True when the failure is a write that landed.
    pub fn is_applied(&self) -> bool {
        self.kind == ErrorKind::AppliedUnreadable
    }

    /// The text shown to the model: `Error: …`, or `Applied: …` for a write that landed.
    pub fn text(&self) -> String {
        match self.kind {
            ErrorKind::AppliedUnreadable => self.message.clone(),
            _ => format!("Error: {}", self.message),
        }
    }

    /// `_meta` of a tool result carrying this error: the kind and the id, for clients that
    /// act on the outcome without reading the text.
    pub fn meta(&self) -> Value {
        let mut meta = json!({ "kind": self.kind.as_str() });
        if let Some(id) = &self.id {
            meta["id"] = json!(id);
        }
        if self.kind == ErrorKind::AppliedUnreadable {
            meta["applied"] = json!(true);
        }
        json!({ "intercom-mcp/error": meta })
    }

    /// The JSON-RPC error for protocol-level answers (resource reads): invalid params,
    /// resource not found, or internal error, with the kind in `data`. `uri` names the
    /// resource when there is one.
    pub fn to_rpc(&self, uri: Option<&str>) -> ErrorData {
        let message = match uri {
            Some(uri) => format!("{uri}: {}", self.message),
            None => self.message.clone(),
        };
        let mut data = json!({ "kind": self.kind.as_str() });
        if let Some(uri) = uri {
            data["uri"] = json!(uri);
        }
        match self.kind {
            ErrorKind::InvalidInput => ErrorData::invalid_params(message, Some(data)),
            ErrorKind::NotFound => ErrorData::resource_not_found(message, Some(data)),
            _ => ErrorData::internal_error(message, Some(data)),
        }
    }

    /// Logs the error once, at its kind's level.
    pub fn log(&self, context: &str) {
        let kind = self.kind.as_str();
        let source = self.source.as_ref().map(|s| s.to_string());
        let source = source.as_deref().unwrap_or("");
        match self.kind.log_level() {
            tracing::Level::ERROR => {
                tracing::error!(context, kind, source, "{}", self.message)
            }
            tracing::Level::WARN => tracing::warn!(context, kind, source, "{}", self.message),
            _ => tracing::debug!(context, kind, source, "{}", self.message),
        }
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ToolError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// The kind of a client error, decided from its status or variant, never its words.
pub fn kind_of(err: &intercom_api::Error) -> ErrorKind {
    use intercom_api::Error;
    match err {
        Error::Api(api) => match api.status {
            400 | 422 => ErrorKind::InvalidInput,
            401 | 403 => ErrorKind::Auth,
            404 | 410 => ErrorKind::NotFound,
            429 => ErrorKind::RateLimited,
            _ => ErrorKind::Upstream,
        },
        Error::Decode { .. } if err.is_applied_but_unreadable() => ErrorKind::AppliedUnreadable,
        Error::Decode { .. } | Error::Transport { .. } | Error::Paging { .. } => {
            ErrorKind::Upstream
        }
        Error::InvalidQuery(_) | Error::InvalidRequest(_) | Error::InvalidId(_) => {
            ErrorKind::InvalidInput
        }
        Error::Config(_) => ErrorKind::Internal,
    }
}

impl From<intercom_api::Error> for ToolError {
    fn from(err: intercom_api::Error) -> Self {
        // The client's messages are already actionable and never contain the token.
        let id = match &err {
            intercom_api::Error::Decode { id, .. } => id.clone(),
            _ => None,
        };
        let mut out = ToolError::new(kind_of(&err), err.to_string()).with_source(err);
        out.id = id;
        out
    }
}

impl From<intercom_core::ids::IdError> for ToolError {
    fn from(err: intercom_core::ids::IdError) -> Self {
        ToolError::invalid(err.to_string()).with_source(err)
    }
}

/// A tool's error branch: text, `_meta` with the kind, logged once at the kind's level,
/// marked `isError: true` by rmcp. A write that landed is not an error: the server's
/// `call_tool` clears that flag ([`is_applied_outcome`]), so it is a success whose
/// structured content is the [`applied_outcome_schema`] branch of the tool's output schema
/// (`applied: true`, the id when known, the message), its text starts with `Applied:`, and
/// `_meta` says `applied: true` as well.
impl IntoCallToolResult for ToolError {
    fn into_call_tool_result(self) -> Result<CallToolResponse, ErrorData> {
        self.log("tool call");
        let mut result = if self.is_applied() {
            let mut outcome = json!({ "applied": true, "message": self.message });
            if let Some(id) = &self.id {
                outcome["id"] = json!(id);
            }
            let mut result = CallToolResult::structured(outcome);
            result.content = vec![ContentBlock::text(self.text())];
            result
        } else {
            CallToolResult::error(vec![ContentBlock::text(self.text())])
        };
        if let Value::Object(meta) = self.meta() {
            result.meta = Some(MetaObject(meta));
        }
        Ok(result.into())
    }
}

/// True for the result of a write that landed (see [`ToolError::into_call_tool_result`]).
pub fn is_applied_outcome(result: &CallToolResult) -> bool {
    result
        .meta
        .as_ref()
        .and_then(|m| m.0.get("intercom-mcp/error"))
        .and_then(|e| e.get("applied"))
        == Some(&Value::Bool(true))
        && result.structured_content.is_some()
}

/// The shape of an applied-but-unreadable outcome, the second branch of every write tool's
/// output schema.
pub fn applied_outcome_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "applied": { "const": true },
            "id": { "type": "string" },
            "message": { "type": "string" }
        },
        "required": ["applied", "message"]
    })
}

/// Lets a write tool's structured content be either its own result or the applied outcome:
/// `{"type": "object", "anyOf": [result, applied]}`, with the result's `$defs` kept at the
/// root so its references still resolve. Read-only tools and tools without an output
/// schema are left as they are.
pub fn admit_applied_outcome(tool: &mut rmcp::model::Tool) {
    let read_only = tool
        .annotations
        .as_ref()
        .and_then(|a| a.read_only_hint)
        .unwrap_or(false);
    let Some(schema) = tool.output_schema.as_ref().filter(|_| !read_only) else {
        return;
    };
    let mut result = (**schema).clone();
    let mut wrapped = serde_json::Map::new();
    wrapped.insert("type".into(), json!("object"));
    for key in ["$schema", "$defs"] {
        if let Some(v) = result.remove(key) {
            wrapped.insert(key.into(), v);
        }
    }
    wrapped.insert(
        "anyOf".into(),
        json!([Value::Object(result), applied_outcome_schema()]),
    );
    tool.output_schema = Some(Arc::new(wrapped));
}

#[cfg(test)]
mod tests {
    use super::*;
    use intercom_api::{ApiError, Error};

    fn api(status: u16) -> Error {
        Error::Api(Box::new(ApiError {
            status,
            request_id: None,
            errors: Vec::new(),
            method: "GET".into(),
            path: "/contacts/1".into(),
            resource: None,
            target: "test".into(),
            rate_limit_reset: None,
            merged_into: None,
            attempts: 1,
        }))
    }

    fn decode(method: &str) -> Error {
        Error::Decode {
            method: method.into(),
            path: "/tickets/7".into(),
            expected: "Ticket",
            message: "invalid type: null".into(),
            id: None,
        }
    }

    #[test]
    fn kinds_come_from_status_and_variant_not_words() {
        assert_eq!(ToolError::from(api(404)).kind, ErrorKind::NotFound);
        // A merged contact (410) words its message without "not found", and is still one.
        assert_eq!(ToolError::from(api(410)).kind, ErrorKind::NotFound);
        assert_eq!(ToolError::from(api(401)).kind, ErrorKind::Auth);
        assert_eq!(ToolError::from(api(403)).kind, ErrorKind::Auth);
        assert_eq!(ToolError::from(api(429)).kind, ErrorKind::RateLimited);
        assert_eq!(ToolError::from(api(422)).kind, ErrorKind::InvalidInput);
        assert_eq!(ToolError::from(api(503)).kind, ErrorKind::Upstream);
        assert_eq!(ToolError::from(decode("GET")).kind, ErrorKind::Upstream);
        assert_eq!(
            ToolError::from(decode("PUT")).kind,
            ErrorKind::AppliedUnreadable
        );
        assert_eq!(
            ToolError::from(Error::Config("x".into())).kind,
            ErrorKind::Internal
        );
    }

    #[test]
    fn one_mapping_to_text_rpc_code_and_level() {
        let applied = ToolError::from(decode("PUT"));
        assert!(applied.text().starts_with("Applied"), "{}", applied.text());
        assert!(applied.text().contains("PUT /tickets/7"));
        assert_eq!(applied.meta()["intercom-mcp/error"]["applied"], true);
        assert_eq!(applied.kind.log_level(), tracing::Level::WARN);

        let missing = ToolError::not_found("there is no tag named `x`");
        assert!(missing.text().starts_with("Error: "));
        assert_eq!(missing.to_rpc(Some("intercom://contacts/1")).code.0, -32002);
        assert_eq!(missing.kind.log_level(), tracing::Level::DEBUG);
        assert_eq!(ToolError::invalid("bad").to_rpc(None).code.0, -32602);
        assert_eq!(ToolError::from(api(500)).to_rpc(None).code.0, -32603);
        assert_eq!(
            ToolError::internal("disk").kind.log_level(),
            tracing::Level::ERROR
        );
        // The cause stays reachable for logs and callers.
        assert!(std::error::Error::source(&ToolError::from(api(404))).is_some());
    }

    #[test]
    fn a_tool_error_result_carries_kind_and_text() {
        let result = ToolError::from(decode("POST"))
            .into_call_tool_result()
            .unwrap();
        let CallToolResponse::Complete(result) = result else {
            panic!("a complete result")
        };
        let text = result.content[0].as_text().unwrap().text.clone();
        assert!(text.starts_with("Applied"), "{text}");
        assert!(!text.contains("Error:"), "{text}");
        let meta = result.meta.unwrap();
        assert_eq!(meta.0["intercom-mcp/error"]["kind"], "applied_unreadable");
    }
}
