//! Request input: the JSON body extractor and typed field readers that answer with Intercom's errors.

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde_json::{Map, Value};

use crate::errors::{ApiError, ApiResult};

/// Bodies past this size are refused with 413 before any parsing.
pub const MAX_BODY_BYTES: usize = 5 * 1024 * 1024;

/// A request body parsed as a JSON object. An empty body reads as `{}` (several
/// Intercom write endpoints take no body); anything but an object is a 400.
pub struct JsonBody(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "client_error",
                    format!(
                        "Request body is larger than {} MB or could not be read",
                        MAX_BODY_BYTES / (1024 * 1024)
                    ),
                )
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(Map::new()));
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(JsonBody(map)),
            Ok(_) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "parameter_invalid",
                "Request body must be a JSON object",
            )),
            Err(err) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "parameter_invalid",
                format!("Invalid JSON body: {err}"),
            )),
        }
    }
}

/// Typed readers over a JSON object; a wrong type is a 400 naming the field.
pub trait Fields {
    fn raw(&self, key: &str) -> Option<&Value>;

    /// Present and not null.
    fn present(&self, key: &str) -> Option<&Value> {
        self.raw(key).filter(|v| !v.is_null())
    }

    fn opt_str(&self, key: &str) -> ApiResult<Option<String>> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::invalid(key, format!("{key} must be a string"))),
        }
    }

    fn req_str(&self, key: &str) -> ApiResult<String> {
        self.opt_str(key)?.ok_or_else(|| ApiError::missing(key))
    }

    /// A string, or an integer given where Intercom documents a numeric-string id.
    fn opt_id(&self, key: &str) -> ApiResult<Option<String>> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Some(n.to_string())),
            Some(_) => Err(ApiError::invalid(key, format!("{key} must be a string id"))),
        }
    }

    fn req_id(&self, key: &str) -> ApiResult<String> {
        self.opt_id(key)?.ok_or_else(|| ApiError::missing(key))
    }

    fn opt_i64(&self, key: &str) -> ApiResult<Option<i64>> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .map(Some)
                .ok_or_else(|| ApiError::invalid(key, format!("{key} must be an integer"))),
            Some(_) => Err(ApiError::invalid(key, format!("{key} must be an integer"))),
        }
    }

    fn opt_bool(&self, key: &str) -> ApiResult<Option<bool>> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(ApiError::invalid(key, format!("{key} must be a boolean"))),
        }
    }

    fn opt_object(&self, key: &str) -> ApiResult<Option<&Map<String, Value>>> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(ApiError::invalid(key, format!("{key} must be an object"))),
        }
    }

    fn opt_array(&self, key: &str) -> ApiResult<Option<&Vec<Value>>> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(_) => Err(ApiError::invalid(key, format!("{key} must be an array"))),
        }
    }
}

impl Fields for Map<String, Value> {
    fn raw(&self, key: &str) -> Option<&Value> {
        self.get(key)
    }
}

/// Custom attribute values Intercom accepts: scalars only.
pub fn check_custom_attributes(key: &str, attrs: &Map<String, Value>) -> ApiResult<()> {
    for (name, value) in attrs {
        if value.is_object() || value.is_array() {
            return Err(ApiError::invalid(
                key,
                format!("custom attribute '{name}' must be a string, number, boolean or null"),
            ));
        }
    }
    Ok(())
}

/// Query-string integer parameter (`per_page`, `page`) with Intercom's 400 on garbage.
pub fn query_int(value: Option<&String>, key: &str) -> ApiResult<Option<i64>> {
    match value {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ApiError::invalid(key, format!("{key} must be an integer"))),
    }
}
