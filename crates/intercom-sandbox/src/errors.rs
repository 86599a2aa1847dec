//! Intercom's error bodies: `{type:"error.list", request_id, errors:[{code, message, field?}]}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One failed request, rendered as Intercom's `error.list`.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// Extra response headers (e.g. `Link` for merged contacts).
    pub link: Option<String>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            link: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Access Token Invalid",
        )
    }

    /// 404 with a resource-specific code, e.g. `admin_not_found`.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 404 `not_found` "Resource Not Found", Intercom's generic answer.
    pub fn resource_not_found() -> Self {
        Self::not_found("not_found", "Resource Not Found")
    }

    /// 400 `parameter_not_found`: a required field is missing.
    pub fn missing(field: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "parameter_not_found",
            format!("{field} is required"),
        )
        .with_field(field)
    }

    /// 400 `parameter_invalid` about one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "parameter_invalid", message).with_field(field)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn body(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(field) = &self.field {
            error["field"] = json!(field);
        }
        json!({
            "type": "error.list",
            "request_id": new_request_id(),
            "errors": [error],
        })
    }
}

pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(link) = &self.link
            && let Ok(value) = HeaderValue::from_str(link)
        {
            response.headers_mut().insert(header::LINK, value);
        }
        response
    }
}
