//! `/_sandbox/*`: the control surface outside Intercom's paths (no auth, no faults).

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::common::{AppState, JsonResult};
use crate::app::FaultKind;
use crate::errors::ApiError;
use crate::input::{Fields, JsonBody};

pub async fn stats(State(app): AppState) -> Json<Value> {
    let mut stats = app.stats.lock().to_json();
    stats["controls"] = app.controls.lock().to_json();
    if let Some(webhooks) = app.webhooks.get() {
        stats["webhooks"] = serde_json::to_value(webhooks.stats()).unwrap_or(Value::Null);
    }
    Json(stats)
}

/// Rebuilds the seeded workspace (regenerating it, off the async workers).
pub async fn reset(State(app): AppState) -> JsonResult {
    tokio::task::spawn_blocking(move || app.reset())
        .await
        .map_err(|e| {
            ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                format!("reset failed: {e}"),
            )
        })?;
    Ok(Json(json!({"reset": true})))
}

pub async fn get_faults(State(app): AppState) -> Json<Value> {
    Json(app.controls.lock().to_json())
}

/// Changes fault injection and the rate limit at run time. Every field is optional;
/// `rate_limit: null` removes the limit.
pub async fn set_faults(State(app): AppState, JsonBody(body): JsonBody) -> JsonResult {
    let fault_rate = match body.present("fault_rate") {
        None => None,
        Some(v) => match v.as_f64() {
            Some(rate) if (0.0..=1.0).contains(&rate) => Some(rate),
            _ => {
                return Err(ApiError::invalid(
                    "fault_rate",
                    "fault_rate must be a number between 0 and 1",
                ));
            }
        },
    };
    let latency_ms = match body.opt_i64("latency_ms")? {
        Some(ms) if !(0..=60_000).contains(&ms) => {
            return Err(ApiError::invalid(
                "latency_ms",
                "latency_ms must be between 0 and 60000",
            ));
        }
        other => other.map(|ms| ms as u64),
    };
    let rate_limit = match body.raw("rate_limit") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(v) => match v.as_u64() {
            Some(n) if n > 0 && n <= u32::MAX as u64 => Some(Some(n as u32)),
            _ => {
                return Err(ApiError::invalid(
                    "rate_limit",
                    "rate_limit must be a positive integer or null",
                ));
            }
        },
    };
    let fault_kinds = match body.present("fault_kinds") {
        None => None,
        Some(v) => Some(serde_json::from_value::<Vec<FaultKind>>(v.clone()).map_err(|_| {
            ApiError::invalid(
                "fault_kinds",
                "fault_kinds must be a list of \"500\", \"502\", \"503\", \"drop_before\", \"drop_after\"",
            )
        })?),
    };
    let mut controls = app.controls.lock();
    if let Some(rate) = fault_rate {
        controls.fault_rate = rate;
    }
    if let Some(ms) = latency_ms {
        controls.latency_ms = ms;
    }
    if let Some(limit) = rate_limit {
        controls.rate_limit = limit;
    }
    if let Some(kinds) = fault_kinds {
        controls.fault_kinds = kinds;
    }
    Ok(Json(controls.to_json()))
}
