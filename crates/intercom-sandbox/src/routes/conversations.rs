//! Conversations: create, retrieve, list, search, reply, manage (close/open/snooze/assign),
//! tags, customers, update and convert to ticket — with Intercom's bookkeeping after each write.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::{AppState, JsonResult, applied_tag, query_per_page, require_admin};
use crate::app::SharedApp;
use crate::errors::{ApiError, ApiResult};
use crate::input::{Fields, JsonBody, check_custom_attributes};
use crate::paging::{self, SortKey};
use crate::search::{self, FieldType, Query as SearchQuery, Resolver, Val};
use crate::store::{
    ConvState, Conversation, INDEXED_PATHS, IdKind, IndexedValue, State as Store, id_of,
};

pub const DEFAULT_PER_PAGE: usize = 20;
pub const MAX_PER_PAGE: usize = 150;
/// A retrieved conversation carries at most this many (most recent) parts.
pub const MAX_PARTS_RETURNED: usize = 500;

fn conversation_not_found() -> ApiError {
    ApiError::not_found("not_found", "Resource Not Found")
}

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

fn push_part(conversation: &mut Value, part: Value) {
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

fn set_state(conversation: &mut Value, state: ConvState) {
    conversation["state"] = json!(state.as_str());
    conversation["open"] = json!(state != ConvState::Closed);
    if state != ConvState::Snoozed {
        conversation["snoozed_until"] = Value::Null;
    }
    if state == ConvState::Closed {
        conversation["waiting_since"] = Value::Null;
    }
}

fn add_teammate(conversation: &mut Value, admin_id: &str) {
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

fn find<'a>(state: &'a Store, id: &str) -> ApiResult<&'a Conversation> {
    state
        .conversations
        .get(id)
        .ok_or_else(conversation_not_found)
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

pub async fn get(
    State(app): AppState,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> JsonResult {
    let state = app.state.read();
    let conversation = find(&state, &id)?;
    let mut view = full_view(&conversation.json);
    if query.get("display_as").map(String::as_str) == Some("plaintext") {
        to_plaintext(&mut view);
    }
    Ok(Json(view))
}

/// `display_as=plaintext`: bodies without HTML tags.
fn to_plaintext(view: &mut Value) {
    if let Some(body) = view["source"]["body"].as_str() {
        view["source"]["body"] = json!(strip_tags(body));
    }
    if let Some(parts) = view["conversation_parts"]["conversation_parts"].as_array_mut() {
        for part in parts {
            if let Some(body) = part["body"].as_str() {
                part["body"] = json!(strip_tags(body));
            }
        }
    }
}

pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

pub async fn list(
    State(app): AppState,
    Query(query): Query<HashMap<String, String>>,
) -> JsonResult {
    let per_page = query_per_page(&query, DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
    let state = app.state.read();
    let rows = state
        .conversations
        .iter()
        .map(|(seq, c)| (SortKey::Int(c.ix.updated_at), seq, c))
        .collect();
    let page = paging::paginate(
        rows,
        true,
        per_page,
        query.get("starting_after").map(String::as_str),
    )?;
    Ok(Json(conversation_list(&page)))
}

fn conversation_list(page: &paging::Page<&Conversation>) -> Value {
    let conversations: Vec<Value> = page.items.iter().map(|c| list_view(&c.json)).collect();
    json!({
        "type": "conversation.list",
        "conversations": conversations,
        "total_count": page.total,
        "pages": page.pages(),
    })
}

/// Field resolver for conversation search; common fields read the typed index.
pub struct ConversationResolver;

#[derive(Clone)]
pub enum ConvField {
    Id,
    CreatedAt,
    UpdatedAt,
    State,
    Open,
    Read,
    Priority,
    AdminAssignee,
    TeamAssignee,
    WaitingSince,
    SnoozedUntil,
    ContactIds,
    TeammateIds,
    TagIds,
    /// A column of `ConvIndex::paths`.
    Indexed(usize),
    Custom(String),
    Path(Vec<String>),
}

const STAT_DATES: &[&str] = &[
    "first_contact_reply_at",
    "first_assignment_at",
    "first_admin_reply_at",
    "first_close_at",
    "last_assignment_at",
    "last_assignment_admin_reply_at",
    "last_contact_reply_at",
    "last_admin_reply_at",
    "last_close_at",
];
const STAT_INTS: &[&str] = &[
    "time_to_assignment",
    "time_to_admin_reply",
    "time_to_first_close",
    "time_to_last_close",
    "median_time_to_reply",
    "count_reopens",
    "count_assignments",
    "count_conversation_parts",
    "handling_time",
];

fn indexed(value: Option<&IndexedValue>) -> Val<'_> {
    match value {
        None => Val::Null,
        Some(IndexedValue::Str(s)) => Val::Str(s.as_ref().into()),
        Some(IndexedValue::Num(n)) => Val::Num(*n),
        Some(IndexedValue::Bool(b)) => Val::Bool(*b),
    }
}

impl Resolver for ConversationResolver {
    type Doc = Conversation;
    type Field = ConvField;

    fn field(&self, name: &str) -> Option<(ConvField, FieldType)> {
        use ConvField as F;
        use FieldType as T;
        let path = |p: &str| match INDEXED_PATHS.iter().position(|i| *i == p) {
            Some(column) => F::Indexed(column),
            None => F::Path(search::split_path(p)),
        };
        Some(match name {
            "id" => (F::Id, T::Str),
            "created_at" => (F::CreatedAt, T::Date),
            "updated_at" => (F::UpdatedAt, T::Date),
            "state" => (F::State, T::Str),
            "open" => (F::Open, T::Bool),
            "read" => (F::Read, T::Bool),
            "priority" => (F::Priority, T::Str),
            "admin_assignee_id" => (F::AdminAssignee, T::Int),
            "team_assignee_id" => (F::TeamAssignee, T::Int),
            "waiting_since" => (F::WaitingSince, T::Date),
            "snoozed_until" => (F::SnoozedUntil, T::Date),
            "contact_ids" => (F::ContactIds, T::Str),
            "teammate_ids" => (F::TeammateIds, T::Str),
            "tag_ids" => (F::TagIds, T::Str),
            "title" => (path("title"), T::Str),
            "channel_initiated" => (path("channel.initial"), T::Str),
            "source.body" => (path("source.body"), T::Words),
            "source.type"
            | "source.id"
            | "source.delivered_as"
            | "source.subject"
            | "source.author.id"
            | "source.author.type"
            | "source.author.name"
            | "source.author.email"
            | "source.url" => (path(name), T::Str),
            "conversation_rating.score" => (path("conversation_rating.rating"), T::Int),
            "conversation_rating.remark" => (path(name), T::Str),
            "conversation_rating.requested_at" => (path("conversation_rating.created_at"), T::Date),
            "conversation_rating.replied_at" => (path("conversation_rating.updated_at"), T::Date),
            "conversation_rating.contact_id" => (path("conversation_rating.contact.id"), T::Str),
            "conversation_rating.admin_id" | "conversation_rating.admin_d" => {
                (path("conversation_rating.teammate.id"), T::Str)
            }
            "ai_agent_participated" => (path(name), T::Bool),
            "ai_agent.rating" => (path(name), T::Int),
            "ai_agent.resolution_state"
            | "ai_agent.last_answer_type"
            | "ai_agent.rating_remark"
            | "ai_agent.source_type"
            | "ai_agent.source_title" => (path(name), T::Str),
            "statistics.last_closed_by_id" => (path(name), T::Str),
            _ => {
                if let Some(stat) = name.strip_prefix("statistics.") {
                    if STAT_DATES.contains(&stat) {
                        (path(name), T::Date)
                    } else if STAT_INTS.contains(&stat) {
                        (path(name), T::Int)
                    } else {
                        return None;
                    }
                } else if name.starts_with("custom_attributes.") && name.len() > 18 {
                    (F::Custom(name[18..].to_string()), T::Any)
                } else {
                    return None;
                }
            }
        })
    }

    fn any_value<'a>(
        &self,
        doc: &'a Conversation,
        field: &ConvField,
        f: &mut dyn FnMut(&Val<'a>) -> bool,
    ) -> bool {
        let ix = &doc.ix;
        let opt = |v: Option<i64>| v.map_or(Val::Null, |n| Val::Num(n as f64));
        let list = |ids: &'a [String], f: &mut dyn FnMut(&Val<'a>) -> bool| {
            ids.iter().any(|id| f(&Val::Str(id.as_str().into())))
        };
        match field {
            ConvField::Id => f(&Val::Str(ix.id.as_str().into())),
            ConvField::CreatedAt => f(&Val::Num(ix.created_at as f64)),
            ConvField::UpdatedAt => f(&Val::Num(ix.updated_at as f64)),
            ConvField::State => f(&ix.state.map_or(Val::Null, |s| Val::Str(s.as_str().into()))),
            ConvField::Open => f(&Val::Bool(ix.open)),
            ConvField::Read => f(&Val::Bool(ix.read)),
            ConvField::Priority => f(&Val::Str(ix.priority.as_str().into())),
            ConvField::AdminAssignee => f(&Val::Num(ix.admin_assignee_id as f64)),
            ConvField::TeamAssignee => f(&Val::Num(ix.team_assignee_id as f64)),
            ConvField::WaitingSince => f(&opt(ix.waiting_since)),
            ConvField::SnoozedUntil => f(&opt(ix.snoozed_until)),
            ConvField::ContactIds => list(&ix.contact_ids, f),
            ConvField::TeammateIds => list(&ix.teammate_ids, f),
            ConvField::TagIds => list(&ix.tag_ids, f),
            ConvField::Indexed(column) => f(&indexed(ix.paths[*column].as_ref())),
            ConvField::Custom(name) => f(&indexed(
                ix.custom
                    .iter()
                    .find(|(k, _)| k.as_ref() == name.as_str())
                    .map(|(_, v)| v),
            )),
            ConvField::Path(path) => f(&Val::from_json(search::path_value(&doc.json, path))),
        }
    }

    fn inclusive_bounds(&self) -> bool {
        true
    }
}

pub async fn search(State(app): AppState, JsonBody(body): JsonBody) -> JsonResult {
    let query = body
        .present("query")
        .ok_or_else(|| ApiError::missing("query"))?;
    let (per_page, after) = search::pagination(&body)?;
    let per_page = paging::per_page(per_page, DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
    let parsed = SearchQuery::parse(&ConversationResolver, query)?;
    let state = app.state.read();
    let rows = state
        .conversations
        .iter()
        .filter(|(_, c)| parsed.matches(c))
        .map(|(seq, c)| (SortKey::Int(c.ix.updated_at), seq, c))
        .collect();
    let page = paging::paginate(rows, true, per_page, after.as_deref())?;
    Ok(Json(conversation_list(&page)))
}

/// Starts a conversation from a contact; answers with the `user_message`.
pub async fn create(State(app): AppState, JsonBody(body): JsonBody) -> JsonResult {
    let from = body
        .opt_object("from")?
        .ok_or_else(|| ApiError::missing("from"))?;
    let from_type = from
        .req_str("type")
        .map_err(|e| e.with_field("from.type"))?;
    if !["user", "lead", "contact"].contains(&from_type.as_str()) {
        return Err(ApiError::invalid(
            "from.type",
            "from.type must be one of user, lead, contact",
        ));
    }
    let contact_id = from.req_id("id").map_err(|e| e.with_field("from.id"))?;
    let text = body.req_str("body")?;
    let subject = body.opt_str("subject")?;
    let created_at = body.opt_i64("created_at")?;
    let now = app.now();
    let created_at = created_at.unwrap_or(now);
    let mut state = app.state.write();
    if !state.contacts.contains(&contact_id) {
        return Err(ApiError::not_found("not_found", "User Not Found"));
    }
    let (conversation, message) = open_user_conversation(
        &mut state,
        &contact_id,
        &text,
        subject.as_deref(),
        created_at,
    );
    drop(state);
    app.notify("conversation.user.created", conversation);
    Ok(Json(message))
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
    let body = super::contacts::html_paragraph(text);
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
        "contacts": {"type": "contact.list", "contacts": [super::contacts::reference(&contact)]},
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

fn touch_contact(state: &mut Store, contact_id: &str, field: &str, at: i64) {
    if let Some(contact) = state.contacts.get_mut(contact_id) {
        contact[field] = json!(at);
        contact["updated_at"] = json!(at);
    }
}

/// Who writes a reply, read from the request body.
enum Replier {
    Admin {
        admin_id: String,
        message_type: String,
    },
    Contact {
        contact_id: String,
    },
}

fn read_replier(state: &Store, body: &Map<String, Value>) -> ApiResult<Replier> {
    let kind = body.req_str("type")?;
    let message_type = body.req_str("message_type")?;
    match kind.as_str() {
        "admin" => {
            if !["comment", "note", "quick_reply"].contains(&message_type.as_str()) {
                return Err(ApiError::invalid(
                    "message_type",
                    "message_type must be one of comment, note, quick_reply",
                ));
            }
            let admin_id = body.req_id("admin_id")?;
            require_admin(state, &admin_id)?;
            Ok(Replier::Admin {
                admin_id,
                message_type,
            })
        }
        "user" | "contact" | "lead" => {
            if message_type != "comment" {
                return Err(ApiError::invalid(
                    "message_type",
                    "contacts can only reply with message_type comment",
                ));
            }
            Ok(Replier::Contact {
                contact_id: contact_from(state, body)?,
            })
        }
        other => Err(ApiError::invalid(
            "type",
            format!("type must be admin or user (got '{other}')"),
        )),
    }
}

fn reply_body(body: &Map<String, Value>, required: bool) -> ApiResult<Option<String>> {
    let text = body.opt_str("body")?;
    let has_attachments = body
        .opt_array("attachment_urls")?
        .is_some_and(|a| !a.is_empty());
    match text {
        Some(t) if !t.trim().is_empty() => Ok(Some(super::contacts::html_paragraph(&t))),
        _ if required && !has_attachments => Err(ApiError::missing("body")),
        _ => Ok(None),
    }
}

pub async fn reply(
    State(app): AppState,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> JsonResult {
    let now = app.now();
    let mut state = app.state.write();
    find(&state, &id)?;
    let replier = read_replier(&state, &body)?;
    let text = reply_body(&body, true)?;
    let (conversation, topic) = match replier {
        Replier::Admin {
            admin_id,
            message_type,
        } => {
            let topic = if message_type == "note" {
                "conversation.admin.noted"
            } else {
                "conversation.admin.replied"
            };
            (
                admin_reply(&mut state, &id, &admin_id, &message_type, text, now),
                topic,
            )
        }
        Replier::Contact { contact_id } => (
            contact_reply(&mut state, &id, &contact_id, text, now),
            "conversation.user.replied",
        ),
    };
    drop(state);
    let view = full_view(&conversation);
    app.notify(topic, view.clone());
    Ok(Json(view))
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
        }
    }
    if message_type != "note" {
        for contact_id in contact_ids {
            touch_contact(state, &contact_id, "last_contacted_at", now);
        }
    }
    finish_write(state, id, now).unwrap_or(Value::Null)
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

/// `POST /conversations/{id}/parts`: close, snoozed, open, assignment.
pub async fn manage(
    State(app): AppState,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> JsonResult {
    let message_type = body.req_str("message_type")?;
    let admin_id = body.req_id("admin_id")?;
    let now = app.now();
    let mut state = app.state.write();
    find(&state, &id)?;
    require_admin(&state, &admin_id)?;
    let (conversation, topic) = match message_type.as_str() {
        "close" => {
            let kind = body.req_str("type")?;
            if kind != "admin" {
                return Err(ApiError::invalid("type", "type must be admin"));
            }
            let text = reply_body(&body, false)?;
            (
                close(&mut state, &id, &admin_id, text, now),
                "conversation.admin.closed",
            )
        }
        "snoozed" => {
            let until = body
                .opt_i64("snoozed_until")?
                .ok_or_else(|| ApiError::missing("snoozed_until"))?;
            if until <= now {
                return Err(ApiError::invalid(
                    "snoozed_until",
                    "snoozed_until must be a Unix timestamp in the future",
                ));
            }
            (
                change_state(
                    &mut state,
                    &id,
                    &admin_id,
                    ConvState::Snoozed,
                    Some(until),
                    now,
                ),
                "conversation.admin.snoozed",
            )
        }
        "open" => {
            let was_snoozed =
                state.conversations.get(&id).and_then(|c| c.ix.state) == Some(ConvState::Snoozed);
            let topic = if was_snoozed {
                "conversation.admin.unsnoozed"
            } else {
                "conversation.admin.opened"
            };
            (
                change_state(&mut state, &id, &admin_id, ConvState::Open, None, now),
                topic,
            )
        }
        "assignment" => {
            let kind = body.req_str("type")?;
            let assignee = body.req_id("assignee_id")?;
            let text = reply_body(&body, false)?;
            let reopened =
                state.conversations.get(&id).and_then(|c| c.ix.state) != Some(ConvState::Open);
            let conversation = assign(&mut state, &id, &admin_id, &kind, &assignee, text, now)?;
            let topic = if reopened {
                "conversation.admin.open.assigned"
            } else {
                "conversation.admin.assigned"
            };
            (conversation, topic)
        }
        other => {
            return Err(ApiError::invalid(
                "message_type",
                format!(
                    "message_type must be one of close, snoozed, open, assignment (got '{other}')"
                ),
            ));
        }
    };
    drop(state);
    let view = full_view(&conversation);
    app.notify(topic, view.clone());
    Ok(Json(view))
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

fn change_state(
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

pub async fn attach_tag(
    State(app): AppState,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> JsonResult {
    let tag_id = body.req_id("id")?;
    let admin_id = body.req_id("admin_id")?;
    let now = app.now();
    let mut state = app.state.write();
    if !state.conversations.contains(&id) {
        return Err(ApiError::not_found("not_found", "Conversation not found"));
    }
    require_admin(&state, &admin_id)?;
    let tag = state
        .tags
        .get(&tag_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("not_found", "Tag not found"))?;
    let applied = applied_tag(&tag, &admin_id, now);
    if let Some(conversation) = state.conversations.get_mut(&id) {
        let tags = &mut conversation.json["tags"];
        if !tags.is_object() {
            *tags = json!({"type": "tag.list", "tags": []});
        }
        if let Some(list) = tags["tags"].as_array_mut()
            && !list.iter().any(|t| t["id"] == tag["id"])
        {
            list.push(applied.clone());
        }
    }
    finish_write(&mut state, &id, now);
    Ok(Json(applied))
}

pub async fn detach_tag(
    State(app): AppState,
    Path((id, tag_id)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> JsonResult {
    let admin_id = body.req_id("admin_id")?;
    let now = app.now();
    let mut state = app.state.write();
    if !state.conversations.contains(&id) {
        return Err(ApiError::not_found("not_found", "Conversation not found"));
    }
    require_admin(&state, &admin_id)?;
    let conversation = state
        .conversations
        .get_mut(&id)
        .ok_or_else(conversation_not_found)?;
    let list = conversation.json["tags"]["tags"].as_array_mut();
    let removed = list.and_then(|list| {
        let position = list
            .iter()
            .position(|t| t["id"].as_str() == Some(tag_id.as_str()))?;
        Some(list.remove(position))
    });
    let removed = removed
        .ok_or_else(|| ApiError::not_found("not_found", "Tag not found on this conversation"))?;
    finish_write(&mut state, &id, now);
    Ok(Json(removed))
}

/// `PUT /conversations/{id}`: read, title, custom_attributes, company_id.
pub async fn update(
    State(app): AppState,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> JsonResult {
    let read = body.opt_bool("read")?;
    let title = match body.raw("title") {
        None => None,
        Some(_) => Some(body.opt_str("title")?),
    };
    let custom = body.opt_object("custom_attributes")?.cloned();
    if let Some(attrs) = &custom {
        check_custom_attributes("custom_attributes", attrs)?;
    }
    let company_id = body.opt_id("company_id")?;
    let now = app.now();
    let mut state = app.state.write();
    find(&state, &id)?;
    let company = match &company_id {
        Some(cid) => Some(
            state
                .companies
                .get(cid)
                .cloned()
                .ok_or_else(|| ApiError::not_found("company_not_found", "Company Not Found"))?,
        ),
        None => None,
    };
    if let Some(conversation) = state.conversations.get_mut(&id) {
        let json = &mut conversation.json;
        if let Some(read) = read {
            json["read"] = json!(read);
        }
        if let Some(title) = title {
            json["title"] = json!(title);
        }
        if let Some(attrs) = custom {
            if !json["custom_attributes"].is_object() {
                json["custom_attributes"] = json!({});
            }
            for (k, v) in attrs {
                json["custom_attributes"][k.as_str()] = v;
            }
        }
        if let Some(company) = company {
            json["company"] = company;
        }
    }
    let conversation = finish_write(&mut state, &id, now).unwrap_or(Value::Null);
    drop(state);
    if read == Some(true) {
        app.notify("conversation.read", conversation.clone());
    }
    Ok(Json(full_view(&conversation)))
}

/// `POST /conversations/{id}/customers`: adds a contact as a participant.
pub async fn attach_contact(
    State(app): AppState,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> JsonResult {
    let admin_id = body.opt_id("admin_id")?;
    let customer = body
        .opt_object("customer")?
        .ok_or_else(|| ApiError::missing("customer"))?
        .clone();
    let now = app.now();
    let mut state = app.state.write();
    find(&state, &id)?;
    if let Some(admin_id) = &admin_id {
        require_admin(&state, admin_id)?;
    }
    let contact_id = contact_from(&state, &customer)?;
    let contact_ref =
        super::contacts::reference(state.contacts.get(&contact_id).unwrap_or(&Value::Null));
    let author = match &admin_id {
        Some(a) => state.admin_author(a),
        None => state.contact_author(&contact_id),
    };
    let current = state
        .conversations
        .get(&id)
        .and_then(|c| c.ix.state)
        .unwrap_or(ConvState::Open);
    let part = new_part(
        &mut state,
        "participant_added",
        author,
        None,
        None,
        current,
        now,
    );
    if let Some(conversation) = state.conversations.get_mut(&id) {
        let json = &mut conversation.json;
        if let Some(list) = json["contacts"]["contacts"].as_array_mut()
            && !list.iter().any(|c| c["id"] == contact_ref["id"])
        {
            list.push(contact_ref.clone());
            push_part(json, part);
        }
    }
    let conversation = finish_write(&mut state, &id, now).unwrap_or(Value::Null);
    drop(state);
    app.notify("conversation.contact.attached", conversation.clone());
    Ok(Json(full_view(&conversation)))
}

pub async fn detach_contact(
    State(app): AppState,
    Path((id, contact_id)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> JsonResult {
    let admin_id = body.req_id("admin_id")?;
    let now = app.now();
    let mut state = app.state.write();
    let conversation = find(&state, &id)?;
    require_admin(&state, &admin_id)?;
    if !conversation.ix.contact_ids.contains(&contact_id) {
        return Err(ApiError::not_found(
            "not_found",
            "Contact is not a participant of this conversation",
        ));
    }
    if conversation.ix.contact_ids.len() == 1 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "parameter_invalid",
            "Removing the last customer is not allowed",
        ));
    }
    let current = conversation.ix.state.unwrap_or(ConvState::Open);
    let author = state.admin_author(&admin_id);
    let part = new_part(
        &mut state,
        "participant_removed",
        author,
        None,
        None,
        current,
        now,
    );
    if let Some(conversation) = state.conversations.get_mut(&id) {
        let json = &mut conversation.json;
        if let Some(list) = json["contacts"]["contacts"].as_array_mut() {
            list.retain(|c| c["id"].as_str() != Some(contact_id.as_str()));
        }
        push_part(json, part);
    }
    let conversation = finish_write(&mut state, &id, now).unwrap_or(Value::Null);
    drop(state);
    app.notify("conversation.contact.detached", conversation.clone());
    Ok(Json(full_view(&conversation)))
}

/// `POST /conversations/{id}/convert`: a Customer ticket linked to the conversation.
pub async fn convert(
    State(app): AppState,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> JsonResult {
    let type_id = body.req_id("ticket_type_id")?;
    let state_id = body.opt_id("ticket_state_id")?;
    let attributes = body.opt_object("attributes")?.cloned().unwrap_or_default();
    let now = app.now();
    let mut state = app.state.write();
    let conversation = find(&state, &id)?.json.clone();
    let ticket_type = state
        .ticket_types
        .get(&type_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("not_found", "Ticket type not found"))?;
    if ticket_type["category"] != "Customer" {
        return Err(ApiError::invalid(
            "ticket_type_id",
            "Ticket type is not a customer ticket type",
        ));
    }
    let contacts: Vec<String> = crate::store::ids_in(&conversation, "contacts", "contacts");
    let draft = super::tickets::TicketDraft {
        ticket_type,
        state_id,
        attributes,
        contact_ids: contacts,
        admin_assignee_id: conversation["admin_assignee_id"].as_i64().unwrap_or(0),
        team_assignee_id: conversation["team_assignee_id"].as_i64().unwrap_or(0),
        linked_conversation: Some(id.clone()),
        created_at: now,
    };
    let ticket = super::tickets::insert_ticket(&mut state, draft)?;
    drop(state);
    app.notify("ticket.created", ticket.clone());
    Ok(Json(ticket))
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

/// `DELETE /conversations/{id}`.
pub async fn delete(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let mut state = app.state.write();
    state
        .conversations
        .remove(&id)
        .ok_or_else(conversation_not_found)?;
    drop(state);
    let response = json!({"id": id, "object": "conversation", "deleted": true});
    app.notify("conversation.deleted", response.clone());
    Ok(Json(response))
}
