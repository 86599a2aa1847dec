//! Conversation operations: the parts, states, assignments and bookkeeping Intercom applies
//! after each write. The conversation routes and the activity generator both call these.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::app::SharedApp;
use crate::errors::{ApiError, ApiResult};
use crate::input::Fields;
use crate::store::{ConvState, Conversation, IdKind, State as Store, id_of};

use super::contacts::reference;
use super::text::html_paragraph;

/// A retrieved conversation carries at most this many (most recent) parts.
pub const MAX_PARTS_RETURNED: usize = 500;

/// The conversation as `GET /conversations/{id}` returns it (newest 500 parts at most).
pub fn full_view(conversation: &Value) -> Value {
    let parts = crate::store::parts_of(conversation, "conversation_parts");
    if parts.len() <= MAX_PARTS_RETURNED {
        return conversation.clone();
    }
    let mut view = list_view(conversation);
    let recent = parts[parts.len() - MAX_PARTS_RETURNED..].to_vec();
    view["conversation_parts"] = json!({
        "type": "conversation_part.list",
        "conversation_parts": recent,
        "total_count": MAX_PARTS_RETURNED,
    });
    view
}

/// The conversation as lists and searches return it: everything but the parts.
pub fn list_view(conversation: &Value) -> Value {
    match conversation.as_object() {
        Some(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| k.as_str() != "conversation_parts")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        None => conversation.clone(),
    }
}

/// A new conversation part in Intercom's shape.
pub fn new_part(
    state: &mut Store,
    part_type: &str,
    author: Value,
    body: Option<String>,
    assigned_to: Option<Value>,
    conversation_state: ConvState,
    now: i64,
) -> Value {
    json!({
        "type": "conversation_part",
        "id": state.numeric_id(IdKind::Part),
        "part_type": part_type,
        "body": body,
        "created_at": now,
        "updated_at": now,
        "notified_at": now,
        "assigned_to": assigned_to,
        "author": author,
        "attachments": [],
        "external_id": null,
        "redacted": false,
        "email_message_metadata": null,
        "state": conversation_state.as_str(),
        "tags": [],
        "event_details": null,
        "app_package_code": null,
    })
}

pub fn push_part(conversation: &mut Value, part: Value) {
    if !conversation["conversation_parts"].is_object() {
        conversation["conversation_parts"] =
            json!({"type": "conversation_part.list", "conversation_parts": [], "total_count": 0});
    }
    let list = &mut conversation["conversation_parts"];
    if let Some(parts) = list["conversation_parts"].as_array_mut() {
        parts.push(part);
        let total = parts.len();
        list["total_count"] = json!(total);
    }
}

pub fn set_state(conversation: &mut Value, state: ConvState) {
    conversation["state"] = json!(state.as_str());
    conversation["open"] = json!(state != ConvState::Closed);
    if state != ConvState::Snoozed {
        conversation["snoozed_until"] = Value::Null;
    }
    if state == ConvState::Closed {
        conversation["waiting_since"] = Value::Null;
    }
}

pub fn add_teammate(conversation: &mut Value, admin_id: &str) {
    if !conversation["teammates"].is_object() {
        conversation["teammates"] = json!({"type": "admin.list", "teammates": []});
    }
    if let Some(list) = conversation["teammates"]["teammates"].as_array_mut()
        && !list.iter().any(|t| t["id"].as_str() == Some(admin_id))
    {
        list.push(json!({"type": "admin", "id": admin_id}));
    }
}

/// Recomputes what Intercom derives after a write: statistics, first contact reply,
/// `updated_at`, and the index row.
pub fn finish_write(state: &mut Store, id: &str, now: i64) -> Option<Value> {
    let teams: Vec<Value> = state.teams.values().cloned().collect();
    let conversation = state.conversations.get_mut(id)?;
    let json = &mut conversation.json;
    json["updated_at"] = json!(now);
    let statistics = crate::seed::compute_statistics(json, &teams);
    if json["first_contact_reply"].is_null()
        && let Some(at) = statistics["first_contact_reply_at"].as_i64()
    {
        let kind = if json["source"]["type"] == "email" {
            "email"
        } else {
            "conversation"
        };
        json["first_contact_reply"] =
            json!({"created_at": at, "type": kind, "url": json["source"]["url"].clone()});
    }
    json["statistics"] = statistics;
    conversation.reindex();
    Some(conversation.json.clone())
}

/// Finds the contact a user-side request names (`intercom_user_id`, `user_id` or `email`).
pub fn contact_from(state: &Store, body: &Map<String, Value>) -> ApiResult<String> {
    if let Some(id) = body.opt_str("intercom_user_id")? {
        return state
            .contacts
            .get(&id)
            .map(id_of)
            .ok_or_else(|| ApiError::not_found("not_found", "User Not Found"));
    }
    if let Some(external) = body.opt_str("user_id")? {
        return state
            .contacts
            .values()
            .find(|c| c["external_id"].as_str() == Some(external.as_str()))
            .map(id_of)
            .ok_or_else(|| ApiError::not_found("not_found", "User Not Found"));
    }
    if let Some(email) = body.opt_str("email")? {
        return state
            .contacts
            .values()
            .find(|c| {
                c["email"]
                    .as_str()
                    .is_some_and(|e| e.eq_ignore_ascii_case(&email))
            })
            .map(id_of)
            .ok_or_else(|| ApiError::not_found("not_found", "User Not Found"));
    }
    Err(ApiError::new(
        StatusCode::BAD_REQUEST,
        "parameter_not_found",
        "One of intercom_user_id, user_id or email is required",
    ))
}

/// Creates a contact-initiated conversation; returns (conversation, user_message).
pub fn open_user_conversation(
    state: &mut Store,
    contact_id: &str,
    text: &str,
    subject: Option<&str>,
    created_at: i64,
) -> (Value, Value) {
    let id = state.numeric_id(IdKind::Conversation);
    let message_id = state.numeric_id(IdKind::Message);
    let contact = state
        .contacts
        .get(contact_id)
        .cloned()
        .unwrap_or(Value::Null);
    let author = state.contact_author(contact_id);
    let body = html_paragraph(text);
    let conversation = json!({
        "type": "conversation",
        "id": id,
        "title": null,
        "created_at": created_at,
        "updated_at": created_at,
        "waiting_since": created_at,
        "snoozed_until": null,
        "source": {
            "type": "conversation",
            "id": message_id,
            "delivered_as": "customer_initiated",
            "subject": subject.unwrap_or(""),
            "body": body,
            "author": author,
            "attachments": [],
            "url": null,
            "redacted": false,
        },
        "contacts": {"type": "contact.list", "contacts": [reference(&contact)]},
        "first_contact_reply": null,
        "admin_assignee_id": 0,
        "team_assignee_id": 0,
        "open": true,
        "state": "open",
        "read": false,
        "tags": {"type": "tag.list", "tags": []},
        "priority": "none",
        "sla_applied": null,
        "statistics": null,
        "conversation_rating": null,
        "teammates": {"type": "admin.list", "teammates": []},
        "custom_attributes": {},
        "linked_objects": {"type": "list", "data": [], "total_count": 0, "has_more": false},
        "ai_agent": null,
        "ai_agent_participated": false,
        "channel": {"initial": "messenger", "current": "messenger"},
        "conversation_parts": {"type": "conversation_part.list", "conversation_parts": [], "total_count": 0},
    });
    state
        .conversations
        .insert(id.clone(), Conversation::new(conversation));
    touch_contact(state, contact_id, "last_replied_at", created_at);
    let conversation = finish_write(state, &id, created_at).unwrap_or(Value::Null);
    let message = json!({
        "type": "user_message",
        "id": message_id,
        "created_at": created_at,
        "subject": subject.unwrap_or(""),
        "body": body,
        "message_type": "inapp",
        "conversation_id": id,
    });
    (conversation, message)
}

pub fn touch_contact(state: &mut Store, contact_id: &str, field: &str, at: i64) {
    if let Some(contact) = state.contacts.get_mut(contact_id) {
        contact[field] = json!(at);
        contact["updated_at"] = json!(at);
    }
}

/// An admin comment, note or quick reply. Comments answer the customer: `waiting_since` clears.
pub fn admin_reply(
    state: &mut Store,
    id: &str,
    admin_id: &str,
    message_type: &str,
    text: Option<String>,
    now: i64,
) -> Value {
    let author = state.admin_author(admin_id);
    let current = state
        .conversations
        .get(id)
        .and_then(|c| c.ix.state)
        .unwrap_or(ConvState::Open);
    let part = new_part(state, message_type, author, text, None, current, now);
    let contact_ids = state
        .conversations
        .get(id)
        .map(|c| c.ix.contact_ids.clone())
        .unwrap_or_default();
    if let Some(conversation) = state.conversations.get_mut(id) {
        let json = &mut conversation.json;
        push_part(json, part);
        add_teammate(json, admin_id);
        if message_type != "note" {
            json["waiting_since"] = Value::Null;
            json["read"] = json!(true);
            settle_sla(json, now);
        }
    }
    if message_type != "note" {
        for contact_id in contact_ids {
            touch_contact(state, &contact_id, "last_contacted_at", now);
        }
    }
    finish_write(state, id, now).unwrap_or(Value::Null)
}

/// A teammate's reply settles an `active` first-response SLA: `hit` within its target,
/// `missed` after it (Intercom applies `missed` at this reply, not when the target passes).
fn settle_sla(json: &mut Value, now: i64) {
    if json["sla_applied"]["sla_status"] != "active" {
        return;
    }
    let Some(target) = json["sla_applied"]["sla_name"]
        .as_str()
        .and_then(crate::seed::sla_target)
    else {
        return;
    };
    let started = json["statistics"]["first_contact_reply_at"]
        .as_i64()
        .or_else(|| json["created_at"].as_i64())
        .unwrap_or(now);
    json["sla_applied"]["sla_status"] = json!(if now - started <= target {
        "hit"
    } else {
        "missed"
    });
}

/// A contact's comment; it reopens a closed or snoozed conversation.
pub fn contact_reply(
    state: &mut Store,
    id: &str,
    contact_id: &str,
    text: Option<String>,
    now: i64,
) -> Value {
    let author = state.contact_author(contact_id);
    let part = new_part(state, "comment", author, text, None, ConvState::Open, now);
    if let Some(conversation) = state.conversations.get_mut(id) {
        let json = &mut conversation.json;
        push_part(json, part);
        set_state(json, ConvState::Open);
        json["read"] = json!(false);
        if json["waiting_since"].is_null() {
            json["waiting_since"] = json!(now);
        }
    }
    touch_contact(state, contact_id, "last_replied_at", now);
    finish_write(state, id, now).unwrap_or(Value::Null)
}

pub fn close(state: &mut Store, id: &str, admin_id: &str, text: Option<String>, now: i64) -> Value {
    let author = state.admin_author(admin_id);
    let part = new_part(state, "close", author, text, None, ConvState::Closed, now);
    if let Some(conversation) = state.conversations.get_mut(id) {
        push_part(&mut conversation.json, part);
        set_state(&mut conversation.json, ConvState::Closed);
        add_teammate(&mut conversation.json, admin_id);
    }
    finish_write(state, id, now).unwrap_or(Value::Null)
}

pub fn change_state(
    state: &mut Store,
    id: &str,
    admin_id: &str,
    to: ConvState,
    snoozed_until: Option<i64>,
    now: i64,
) -> Value {
    let author = state.admin_author(admin_id);
    let part_type = if to == ConvState::Snoozed {
        "snoozed"
    } else {
        "open"
    };
    let part = new_part(state, part_type, author, None, None, to, now);
    if let Some(conversation) = state.conversations.get_mut(id) {
        push_part(&mut conversation.json, part);
        set_state(&mut conversation.json, to);
        if let Some(until) = snoozed_until {
            conversation.json["snoozed_until"] = json!(until);
        }
    }
    finish_write(state, id, now).unwrap_or(Value::Null)
}

/// Assigns to an admin or team (`assignee_id` "0" unassigns); a closed or snoozed
/// conversation reopens (`assign_and_reopen`).
pub fn assign(
    state: &mut Store,
    id: &str,
    admin_id: &str,
    kind: &str,
    assignee: &str,
    text: Option<String>,
    now: i64,
) -> ApiResult<Value> {
    let field = match kind {
        "admin" => "admin_assignee_id",
        "team" => "team_assignee_id",
        other => {
            return Err(ApiError::invalid(
                "type",
                format!("type must be admin or team (got '{other}')"),
            ));
        }
    };
    let unassign = assignee == "0";
    let known = if kind == "admin" {
        state.admins.contains(assignee)
    } else {
        state.teams.contains(assignee)
    };
    if !unassign && !known {
        return Err(ApiError::not_found(
            "assignee_not_found",
            format!("No {kind} with id {assignee}"),
        ));
    }
    let numeric: i64 = assignee.parse().unwrap_or(0);
    let current = state
        .conversations
        .get(id)
        .and_then(|c| c.ix.state)
        .unwrap_or(ConvState::Open);
    let part_type = if current == ConvState::Open {
        "assignment"
    } else {
        "assign_and_reopen"
    };
    let author = state.admin_author(admin_id);
    let assigned_to = (!unassign).then(|| json!({"type": kind, "id": assignee}));
    let part = new_part(
        state,
        part_type,
        author,
        text,
        assigned_to,
        ConvState::Open,
        now,
    );
    if let Some(conversation) = state.conversations.get_mut(id) {
        let json = &mut conversation.json;
        push_part(json, part);
        json[field] = json!(numeric);
        set_state(json, ConvState::Open);
    }
    Ok(finish_write(state, id, now).unwrap_or(Value::Null))
}

/// Links a ticket to a conversation (`linked_objects`).
pub fn link_ticket(state: &mut Store, conversation_id: &str, ticket: &Value, now: i64) {
    if let Some(conversation) = state.conversations.get_mut(conversation_id) {
        let links = &mut conversation.json["linked_objects"];
        if !links.is_object() {
            *links = json!({"type": "list", "data": [], "total_count": 0, "has_more": false});
        }
        if let Some(data) = links["data"].as_array_mut() {
            data.push(
                json!({"type": "ticket", "id": ticket["id"], "category": ticket["category"]}),
            );
            let total = data.len();
            links["total_count"] = json!(total);
        }
    }
    finish_write(state, conversation_id, now);
}

/// Records a rating on a closed conversation (used by the activity generator).
pub fn rate(app: &SharedApp, id: &str, rating: i64, remark: &str) -> Option<Value> {
    let now = app.now();
    let mut state = app.state.write();
    let conversation = state.conversations.get(id)?;
    let contact = conversation.json["contacts"]["contacts"].get(0).cloned()?;
    let admin = conversation.ix.admin_assignee_id;
    let teammate = if admin > 0 {
        json!({"type": "admin", "id": admin.to_string()})
    } else {
        conversation.json["teammates"]["teammates"]
            .get(0)
            .cloned()
            .unwrap_or(Value::Null)
    };
    if let Some(conversation) = state.conversations.get_mut(id) {
        conversation.json["conversation_rating"] = json!({
            "rating": rating,
            "remark": remark,
            "created_at": now,
            "updated_at": now,
            "contact": contact,
            "teammate": teammate,
        });
    }
    let conversation = finish_write(&mut state, id, now)?;
    drop(state);
    app.notify("conversation.rating.added", conversation.clone());
    Some(conversation)
}
