//! Companies: upsert keyed on `company_id`, retrieve (by id, `company_id` or `name`), update,
//! delete, page-numbered lists, the scroll API, and a company's contacts.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::common::{AppState, JsonResult};
use crate::errors::{ApiError, ApiResult};
use crate::input::{Fields, JsonBody, check_custom_attributes, query_int};
use crate::store::{State as Store, id_of};

/// Scroll pages hold this many companies.
const SCROLL_PAGE: usize = 50;
/// An idle scroll expires after this many seconds.
const SCROLL_TTL: i64 = 60;

fn company_not_found() -> ApiError {
    ApiError::not_found("company_not_found", "Company Not Found")
}

/// Validated company fields from a create/update body.
struct CompanyInput {
    fields: Map<String, Value>,
    plan: Option<String>,
    custom_attributes: Option<Map<String, Value>>,
}

fn read_company_input(body: &Map<String, Value>) -> ApiResult<CompanyInput> {
    let mut fields = Map::new();
    for key in ["name", "website", "industry"] {
        if let Some(v) = body.opt_str(key)? {
            fields.insert(key.into(), json!(v));
        }
    }
    for key in ["size", "monthly_spend", "remote_created_at"] {
        if let Some(v) = body.opt_i64(key)? {
            if v < 0 {
                return Err(ApiError::invalid(
                    key,
                    format!("{key} must not be negative"),
                ));
            }
            fields.insert(key.into(), json!(v));
        }
    }
    let custom_attributes = match body.opt_object("custom_attributes")? {
        Some(attrs) => {
            check_custom_attributes("custom_attributes", attrs)?;
            Some(attrs.clone())
        }
        None => None,
    };
    Ok(CompanyInput {
        fields,
        plan: body.opt_str("plan")?,
        custom_attributes,
    })
}

fn apply_company_input(company: &mut Value, input: CompanyInput, now: i64) {
    for (key, value) in input.fields {
        company[key.as_str()] = value;
    }
    if let Some(plan) = input.plan {
        let plan_id = plan
            .bytes()
            .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64))
            % 1_000_000;
        company["plan"] = json!({"type": "plan", "id": plan_id.to_string(), "name": plan});
    }
    if let Some(attrs) = input.custom_attributes {
        if !company["custom_attributes"].is_object() {
            company["custom_attributes"] = json!({});
        }
        for (k, v) in attrs {
            company["custom_attributes"][k.as_str()] = v;
        }
    }
    company["updated_at"] = json!(now);
}

fn by_company_id<'a>(state: &'a Store, company_id: &str) -> Option<&'a Value> {
    state
        .companies
        .values()
        .find(|c| c["company_id"].as_str() == Some(company_id))
}

/// `POST /companies`: creates, or updates the company with the same `company_id`.
pub async fn upsert(State(app): AppState, JsonBody(body): JsonBody) -> JsonResult {
    let company_id = body.opt_str("company_id")?;
    let input = read_company_input(&body)?;
    let update_last_request = body.opt_bool("update_last_request_at")?.unwrap_or(false);
    let Some(company_id) = company_id.filter(|c| !c.is_empty()) else {
        return Err(ApiError::missing("company_id"));
    };
    let now = app.now();
    let mut state = app.state.write();
    let existing = by_company_id(&state, &company_id).map(id_of);
    let (id, topic) = match existing {
        Some(id) => (id, "company.updated"),
        None => {
            let id = state.hex_id(now);
            let company = json!({
                "type": "company",
                "id": id,
                "name": "",
                "app_id": state.app_id,
                "company_id": company_id,
                "remote_created_at": now,
                "created_at": now,
                "updated_at": now,
                "last_request_at": now,
                "monthly_spend": 0,
                "session_count": 0,
                "user_count": 0,
                "tags": {"type": "tag.list", "tags": []},
                "segments": {"type": "segment.list", "segments": []},
                "plan": {},
                "custom_attributes": {},
            });
            state.companies.insert(id.clone(), company);
            (id, "company.created")
        }
    };
    let company = state.companies.get_mut(&id).ok_or_else(company_not_found)?;
    apply_company_input(company, input, now);
    if update_last_request {
        company["last_request_at"] = json!(now);
    }
    let company = company.clone();
    drop(state);
    app.notify(topic, company.clone());
    Ok(Json(company))
}

pub async fn get(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let state = app.state.read();
    state
        .companies
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(company_not_found)
}

pub async fn update(
    State(app): AppState,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> JsonResult {
    let input = read_company_input(&body)?;
    let now = app.now();
    let mut state = app.state.write();
    let company = state.companies.get_mut(&id).ok_or_else(company_not_found)?;
    apply_company_input(company, input, now);
    let company = company.clone();
    drop(state);
    app.notify("company.updated", company.clone());
    Ok(Json(company))
}

pub async fn delete(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let now = app.now();
    let mut state = app.state.write();
    state.companies.remove(&id).ok_or_else(company_not_found)?;
    for contact in state.contacts.values_mut() {
        let had = contact["companies"]["data"]
            .as_array()
            .is_some_and(|d| d.iter().any(|c| c["id"].as_str() == Some(id.as_str())));
        if had {
            if let Some(data) = contact["companies"]["data"].as_array_mut() {
                data.retain(|c| c["id"].as_str() != Some(id.as_str()));
                let total = data.len();
                contact["companies"]["total_count"] = json!(total);
            }
            contact["updated_at"] = json!(now);
        }
    }
    drop(state);
    let response = json!({"id": id, "object": "company", "deleted": true});
    app.notify("company.deleted", response.clone());
    Ok(Json(response))
}

/// A page-numbered list (`page`, `per_page`, `total_pages`).
fn numbered_page(companies: Vec<&Value>, page: i64, per_page: usize) -> Value {
    let total = companies.len();
    let total_pages = total.div_ceil(per_page);
    let start = (page.max(1) as usize - 1).saturating_mul(per_page);
    let data: Vec<Value> = companies
        .into_iter()
        .skip(start)
        .take(per_page)
        .cloned()
        .collect();
    let mut pages = json!({
        "type": "pages",
        "page": page.max(1),
        "per_page": per_page,
        "total_pages": total_pages,
    });
    if (page.max(1) as usize) >= total_pages {
        pages["next"] = Value::Null;
    }
    json!({"type": "list", "data": data, "pages": pages, "total_count": total})
}

fn page_params(
    query: &HashMap<String, String>,
    default: usize,
    max: usize,
) -> ApiResult<(i64, usize)> {
    let page = query_int(query.get("page"), "page")?.unwrap_or(1);
    if page < 1 {
        return Err(ApiError::invalid("page", "page must be 1 or more"));
    }
    let per_page = super::common::query_per_page(query, default, max)?;
    Ok((page, per_page))
}

fn has_ref(company: &Value, wrapper: &str, id: &str) -> bool {
    company[wrapper][wrapper]
        .as_array()
        .is_some_and(|items| items.iter().any(|i| i["id"].as_str() == Some(id)))
}

/// `GET /companies`: companies matching `company_id`, `name`, `tag_id` and `segment_id`, as a
/// page-numbered list (the spec's `company_list`, also for a single-company lookup); a
/// `company_id` or `name` that matches nothing is a 404.
pub async fn retrieve(
    State(app): AppState,
    Query(query): Query<HashMap<String, String>>,
) -> JsonResult {
    let (page, per_page) = page_params(&query, 15, 60)?;
    let state = app.state.read();
    let company_id = query.get("company_id");
    let name = query.get("name");
    let tag = query.get("tag_id");
    let segment = query.get("segment_id");
    let companies: Vec<&Value> = state
        .companies
        .values()
        .filter(|c| company_id.is_none_or(|id| c["company_id"].as_str() == Some(id)))
        .filter(|c| name.is_none_or(|n| c["name"].as_str() == Some(n)))
        .filter(|c| tag.is_none_or(|t| has_ref(c, "tags", t)))
        .filter(|c| segment.is_none_or(|s| has_ref(c, "segments", s)))
        .collect();
    if companies.is_empty() && (company_id.is_some() || name.is_some()) {
        return Err(company_not_found());
    }
    Ok(Json(numbered_page(companies, page, per_page)))
}

/// `POST /companies/list`: companies with users, by `last_request_at`.
pub async fn list(
    State(app): AppState,
    Query(query): Query<HashMap<String, String>>,
) -> JsonResult {
    let (page, per_page) = page_params(&query, 20, 60)?;
    let ascending = match query.get("order").map(String::as_str) {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(other) => {
            return Err(ApiError::invalid(
                "order",
                format!("order must be asc or desc (got '{other}')"),
            ));
        }
    };
    let state = app.state.read();
    let mut companies: Vec<&Value> = state
        .companies
        .values()
        .filter(|c| c["user_count"].as_i64().unwrap_or(0) > 0)
        .collect();
    companies.sort_by_key(|c| c["last_request_at"].as_i64().unwrap_or(0));
    if !ascending {
        companies.reverse();
    }
    Ok(Json(numbered_page(companies, page, per_page)))
}

/// `GET /companies/scroll`: one open scroll per workspace; an empty page ends it.
pub async fn scroll(
    State(app): AppState,
    Query(query): Query<HashMap<String, String>>,
) -> JsonResult {
    let now = app.now();
    let mut state = app.state.write();
    if let Some((_, _, last_used)) = &state.company_scroll
        && now - last_used > SCROLL_TTL
    {
        state.company_scroll = None;
    }
    let position = match query.get("scroll_param").filter(|p| !p.is_empty()) {
        Some(param) => match &state.company_scroll {
            Some((open, position, _)) if open == param => *position,
            _ => {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "scroll_param_not_found",
                    "scroll_param is unknown or has expired; restart the scroll without it",
                ));
            }
        },
        None => {
            if state.company_scroll.is_some() {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "scroll_exists",
                    "A scroll is already open for this workspace; continue it or wait a minute for it to expire",
                ));
            }
            0
        }
    };
    let data: Vec<Value> = state
        .companies
        .values()
        .skip(position)
        .take(SCROLL_PAGE)
        .cloned()
        .collect();
    let param = match &state.company_scroll {
        Some((open, _, _)) => open.clone(),
        None => uuid::Uuid::new_v4().to_string(),
    };
    state.company_scroll = if data.is_empty() {
        None
    } else {
        Some((param.clone(), position + data.len(), now))
    };
    Ok(Json(json!({
        "type": "list",
        "data": data,
        "pages": null,
        "total_count": null,
        "scroll_param": param,
    })))
}

/// `GET /companies/{id}/contacts`.
pub async fn contacts(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let state = app.state.read();
    if !state.companies.contains(&id) {
        return Err(company_not_found());
    }
    let data: Vec<Value> = crate::domain::contacts::contacts_of_company(&state, &id)
        .into_iter()
        .map(|(_, c)| c.clone())
        .collect();
    let total = data.len();
    Ok(Json(json!({
        "type": "list",
        "data": data,
        "total_count": total,
        "pages": {"type": "pages", "page": 1, "per_page": total.max(50), "total_pages": if total > 0 { 1 } else { 0 }},
    })))
}

/// `GET /companies/{id}/segments`.
pub async fn segments(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let state = app.state.read();
    let company = state.companies.get(&id).ok_or_else(company_not_found)?;
    let data = company["segments"]["segments"].clone();
    let data = if data.is_array() { data } else { json!([]) };
    Ok(Json(json!({"type": "list", "data": data})))
}

/// `GET /companies/{id}/notes`.
pub async fn notes(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let state = app.state.read();
    let company = state.companies.get(&id).ok_or_else(company_not_found)?;
    let notes = company["notes"]["notes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let total = notes.len();
    Ok(Json(json!({
        "type": "list",
        "data": notes,
        "total_count": total,
        "pages": {"type": "pages", "next": null, "page": 1, "per_page": 50, "total_pages": if total > 0 { 1 } else { 0 }},
    })))
}
