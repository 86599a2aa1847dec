//! Workspace-level resources: `/me`, admins, teams, tags, segments, data attributes,
//! ticket types and states, help centers.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::common::{AppState, JsonResult};
use crate::domain::contacts::{add_contact_tag, remove_contact_tag, tag_basic};
use crate::errors::ApiError;
use crate::input::{Fields, JsonBody};
use crate::store::{self, IdKind};

pub async fn me(
    State(app): AppState,
    signed_in: Option<axum::Extension<crate::oauth::SignedInAdmin>>,
) -> JsonResult {
    let state = app.state.read();
    // An OAuth token is the admin who signed in; the workspace token is the first admin.
    let admin = match signed_in {
        Some(axum::Extension(crate::oauth::SignedInAdmin(id))) => state.admins.get(&id).cloned(),
        None => state.admins.values().next().cloned(),
    }
    .ok_or_else(ApiError::unauthorized)?;
    let avatar_url = admin.get("avatar").cloned().unwrap_or(Value::Null);
    let avatar_url = match avatar_url {
        Value::Object(o) => o.get("image_url").cloned().unwrap_or(Value::Null),
        other => other,
    };
    Ok(Json(json!({
        "type": "admin",
        "id": admin["id"],
        "name": admin["name"],
        "email": admin["email"],
        "job_title": admin.get("job_title").cloned().unwrap_or(json!("")),
        "away_mode_enabled": admin.get("away_mode_enabled").cloned().unwrap_or(json!(false)),
        "away_mode_reassign": admin.get("away_mode_reassign").cloned().unwrap_or(json!(false)),
        "has_inbox_seat": admin.get("has_inbox_seat").cloned().unwrap_or(json!(true)),
        "team_ids": admin.get("team_ids").cloned().unwrap_or(json!([])),
        "avatar": {"type": "avatar", "image_url": avatar_url},
        "email_verified": true,
        "app": {
            "type": "app",
            "id_code": state.app_id,
            "name": state.workspace_name,
            "created_at": state.app_created_at,
            "secure": false,
            "identity_verification": false,
            "timezone": state.time_zone_name,
            "region": "US",
        },
    })))
}

pub async fn list_admins(State(app): AppState) -> JsonResult {
    let state = app.state.read();
    let admins: Vec<Value> = state.admins.values().cloned().collect();
    Ok(Json(json!({"type": "admin.list", "admins": admins})))
}

fn admin_not_found() -> ApiError {
    ApiError::not_found("admin_not_found", "Admin not found")
}

pub async fn get_admin(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let state = app.state.read();
    state
        .admins
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(admin_not_found)
}

pub async fn set_away(
    State(app): AppState,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> JsonResult {
    let enabled = body
        .opt_bool("away_mode_enabled")?
        .ok_or_else(|| ApiError::missing("away_mode_enabled"))?;
    let reassign = body
        .opt_bool("away_mode_reassign")?
        .ok_or_else(|| ApiError::missing("away_mode_reassign"))?;
    let reason = body.opt_i64("away_status_reason_id")?;
    let mut state = app.state.write();
    let admin = state.admins.get_mut(&id).ok_or_else(admin_not_found)?;
    admin["away_mode_enabled"] = json!(enabled);
    admin["away_mode_reassign"] = json!(reassign);
    admin["away_status_reason_id"] = if enabled { json!(reason) } else { Value::Null };
    Ok(Json(admin.clone()))
}

pub async fn list_teams(State(app): AppState) -> JsonResult {
    let state = app.state.read();
    let teams: Vec<Value> = state.teams.values().cloned().collect();
    Ok(Json(json!({"type": "team.list", "teams": teams})))
}

pub async fn get_team(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let state = app.state.read();
    state
        .teams
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("team_not_found", "Team not found"))
}

pub async fn list_tags(State(app): AppState) -> JsonResult {
    let state = app.state.read();
    let tags: Vec<Value> = state.tags.values().map(tag_basic).collect();
    Ok(Json(json!({"type": "list", "data": tags})))
}

pub async fn get_tag(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let state = app.state.read();
    state
        .tags
        .get(&id)
        .map(|t| Json(tag_basic(t)))
        .ok_or_else(ApiError::resource_not_found)
}

/// `POST /tags`: create or rename a tag, or tag/untag companies or users with it.
pub async fn create_tag(State(app): AppState, JsonBody(body): JsonBody) -> JsonResult {
    let name = body.req_str("name")?;
    if name.trim().is_empty() {
        return Err(ApiError::invalid("name", "invalid tag parameters"));
    }
    let id = body.opt_id("id")?;
    let companies = parse_targets(&body, "companies")?;
    let users = parse_targets(&body, "users")?;
    let now = app.now();
    let mut state = app.state.write();

    // Validate every target before changing anything.
    let mut company_ids = Vec::new();
    for (target, untag) in &companies {
        let company_id = resolve_company(&state, target)
            .ok_or_else(|| ApiError::not_found("company_not_found", "Company Not Found"))?;
        company_ids.push((company_id, *untag));
    }
    for (target, _) in &users {
        let user_id = target.get("id").and_then(Value::as_str).unwrap_or_default();
        if !state.contacts.contains(user_id) {
            return Err(ApiError::not_found("not_found", "User Not Found"));
        }
    }
    if let Some(id) = &id
        && !state.tags.contains(id)
    {
        return Err(ApiError::resource_not_found());
    }

    let existing = id.clone().or_else(|| {
        state
            .tags
            .values()
            .find(|t| t["name"].as_str() == Some(name.as_str()))
            .map(store::id_of)
    });
    let tag_id = match existing {
        Some(tag_id) => {
            if let Some(tag) = state.tags.get_mut(&tag_id) {
                tag["name"] = json!(name);
            }
            tag_id
        }
        None => {
            let tag_id = state.numeric_id(IdKind::Tag);
            state.tags.insert(
                tag_id.clone(),
                json!({"type": "tag", "id": tag_id, "name": name}),
            );
            tag_id
        }
    };
    let tag = state.tags.get(&tag_id).cloned().unwrap_or(Value::Null);

    let mut company_results = Vec::new();
    for (company_id, untag) in company_ids {
        if let Some(company) = state.companies.get_mut(&company_id) {
            set_company_tag(company, &tag, !untag);
            company["updated_at"] = json!(now);
        }
        company_results.push(json!({"id": company_id, "tagged": !untag}));
    }
    let mut user_results = Vec::new();
    for (target, _) in users {
        let user_id = target["id"].as_str().unwrap_or_default().to_string();
        if let Some(contact) = state.contacts.get_mut(&user_id) {
            add_contact_tag(contact, &tag_id);
        }
        user_results.push(json!({"id": user_id, "tagged": true}));
    }
    let mut response = tag_basic(&tag);
    if body.present("companies").is_some() {
        response["companies"] = json!(company_results);
    }
    if body.present("users").is_some() {
        response["users"] = json!(user_results);
    }
    Ok(Json(response))
}

/// Reads `companies`/`users` target lists: `[{id|company_id, untag?}]`.
fn parse_targets(body: &Map<String, Value>, key: &str) -> Result<Vec<(Value, bool)>, ApiError> {
    let Some(items) = body.opt_array(key)? else {
        return Ok(Vec::new());
    };
    items
        .iter()
        .map(|item| {
            let obj = item
                .as_object()
                .ok_or_else(|| ApiError::invalid(key, format!("{key} must be objects")))?;
            let untag = obj.opt_bool("untag")?.unwrap_or(false);
            Ok((item.clone(), untag))
        })
        .collect()
}

fn resolve_company(state: &store::State, target: &Value) -> Option<String> {
    if let Some(id) = target.get("id").and_then(Value::as_str)
        && state.companies.contains(id)
    {
        return Some(id.to_string());
    }
    let company_id = target.get("company_id").and_then(Value::as_str)?;
    state
        .companies
        .values()
        .find(|c| c["company_id"].as_str() == Some(company_id))
        .map(store::id_of)
}

fn set_company_tag(company: &mut Value, tag: &Value, tagged: bool) {
    if !company["tags"].is_object() {
        company["tags"] = json!({"type": "tag.list", "tags": []});
    }
    let tags = company["tags"]["tags"]
        .as_array_mut()
        .map(std::mem::take)
        .unwrap_or_default();
    let mut tags: Vec<Value> = tags.into_iter().filter(|t| t["id"] != tag["id"]).collect();
    if tagged {
        tags.push(tag_basic(tag));
    }
    company["tags"]["tags"] = json!(tags);
}

pub async fn delete_tag(
    State(app): AppState,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut state = app.state.write();
    if !state.tags.contains(&id) {
        return Err(ApiError::resource_not_found());
    }
    state.tags.remove(&id);
    // Detach it everywhere, as Intercom does when a tag is deleted.
    for contact in state.contacts.values_mut() {
        remove_contact_tag(contact, &id);
    }
    for company in state.companies.values_mut() {
        if let Some(tags) = company["tags"]["tags"].as_array_mut() {
            tags.retain(|t| t["id"].as_str() != Some(id.as_str()));
        }
    }
    for conversation in state.conversations.values_mut() {
        if let Some(tags) = conversation.json["tags"]["tags"].as_array_mut() {
            let before = tags.len();
            tags.retain(|t| t["id"].as_str() != Some(id.as_str()));
            if tags.len() != before {
                conversation.reindex();
            }
        }
    }
    Ok(StatusCode::OK)
}

pub async fn list_segments(
    State(app): AppState,
    Query(query): Query<HashMap<String, String>>,
) -> JsonResult {
    let include_count = query.get("include_count").map(String::as_str) == Some("true");
    let now = app.now();
    let state = app.state.read();
    // Counts follow the contacts' current data, as Intercom's saved filters do.
    let segments: Vec<Value> = state
        .segments
        .values()
        .map(|s| {
            let mut out = s.clone();
            if include_count {
                out["count"] = json!(crate::segments::count(&state, s, now));
            } else if let Some(o) = out.as_object_mut() {
                o.remove("count");
            }
            out
        })
        .collect();
    Ok(Json(
        json!({"type": "segment.list", "segments": segments, "pages": {}}),
    ))
}

pub async fn get_segment(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let state = app.state.read();
    state
        .segments
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(ApiError::resource_not_found)
}

pub async fn list_data_attributes(
    State(app): AppState,
    Query(query): Query<HashMap<String, String>>,
) -> JsonResult {
    let model = query.get("model").map(String::as_str);
    match model {
        None | Some("contact") | Some("company") => {}
        Some("conversation") => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "parameter_invalid",
                "model=conversation is no longer supported. Use GET /conversations/attributes instead",
            ));
        }
        Some(other) => {
            return Err(ApiError::invalid(
                "model",
                format!("model must be one of contact, company (got '{other}')"),
            ));
        }
    }
    let include_archived = query.get("include_archived").map(String::as_str) == Some("true");
    let state = app.state.read();
    let data: Vec<Value> = state
        .data_attributes
        .iter()
        .filter(|a| model.is_none_or(|m| a["model"].as_str() == Some(m)))
        .filter(|a| include_archived || a["archived"].as_bool() != Some(true))
        .cloned()
        .collect();
    Ok(Json(json!({"type": "list", "data": data})))
}

/// `GET /conversations/attributes?include_archived=`: the workspace's conversation attributes
/// (schema `conversation_attribute_list`), which `GET /data_attributes` no longer returns.
pub async fn list_conversation_attributes(
    State(app): AppState,
    Query(query): Query<HashMap<String, String>>,
) -> JsonResult {
    let include_archived = query.get("include_archived").map(String::as_str) == Some("true");
    let state = app.state.read();
    let data: Vec<Value> = state
        .conversation_attributes
        .iter()
        .filter(|a| include_archived || a["archived"].as_bool() != Some(true))
        .cloned()
        .collect();
    Ok(Json(json!({"type": "list", "data": data})))
}

pub async fn list_ticket_types(State(app): AppState) -> JsonResult {
    let state = app.state.read();
    let data: Vec<Value> = state.ticket_types.values().cloned().collect();
    Ok(Json(json!({"type": "list", "data": data})))
}

pub async fn get_ticket_type(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let state = app.state.read();
    state
        .ticket_types
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("not_found", "Ticket type not found"))
}

pub async fn list_ticket_states(State(app): AppState) -> JsonResult {
    let state = app.state.read();
    let data: Vec<Value> = state.ticket_states.values().cloned().collect();
    Ok(Json(json!({"type": "list", "data": data})))
}

pub async fn list_help_centers(State(app): AppState) -> JsonResult {
    let state = app.state.read();
    let data: Vec<Value> = state.help_centers.values().cloned().collect();
    Ok(Json(json!({"type": "list", "data": data})))
}

pub async fn get_help_center(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let state = app.state.read();
    state
        .help_centers
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(ApiError::resource_not_found)
}
