//! What every route module uses: the handler types, and checks and shapes several resources share.

use axum::Json;
use axum::extract::State;
use serde_json::Value;

use crate::app::SharedApp;
use crate::errors::{ApiError, ApiResult};

pub type AppState = State<SharedApp>;
pub type JsonResult = ApiResult<Json<Value>>;

/// 404 `admin_not_found` unless `admin_id` is an admin of the workspace.
pub fn require_admin(state: &crate::store::State, admin_id: &str) -> ApiResult<()> {
    if state.admins.contains(admin_id) {
        Ok(())
    } else {
        Err(ApiError::not_found("admin_not_found", "Admin not found"))
    }
}

/// The tag as conversation and ticket tag endpoints return it (with `applied_at`/`applied_by`).
pub fn applied_tag(tag: &Value, admin_id: &str, now: i64) -> Value {
    serde_json::json!({
        "type": "tag",
        "id": tag["id"],
        "name": tag["name"],
        "applied_at": now,
        "applied_by": {"type": "admin", "id": admin_id},
    })
}

/// `per_page` from a list's query string, with the resource's default and maximum.
pub fn query_per_page(
    query: &std::collections::HashMap<String, String>,
    default: usize,
    max: usize,
) -> ApiResult<usize> {
    crate::paging::per_page(
        crate::input::query_int(query.get("per_page"), "per_page")?,
        default,
        max,
    )
}
