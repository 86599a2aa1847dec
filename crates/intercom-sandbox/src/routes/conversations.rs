//! Conversations: create, retrieve, list, search, reply, manage (close/open/snooze/assign),
//! tags, customers, update and convert to ticket — with Intercom's bookkeeping after each write.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::common::{AppState, JsonResult, applied_tag, query_per_page, require_admin};
use crate::domain::contacts::reference;
use crate::domain::conversations::{
    admin_reply, assign, change_state, close, contact_from, contact_reply, finish_write, full_view,
    list_view, new_part, open_user_conversation, push_part,
};
use crate::domain::text::{html_paragraph, strip_tags};
use crate::domain::tickets::{TicketDraft, insert_ticket};
use crate::errors::{ApiError, ApiResult};
use crate::input::{Fields, JsonBody, check_custom_attributes};
use crate::paging::{self, SortKey};
use crate::search::{self, FieldType, Query as SearchQuery, Resolver, Val};
use crate::store::{ConvState, Conversation, INDEXED_PATHS, IndexedValue, State as Store};

pub const DEFAULT_PER_PAGE: usize = 20;
pub const MAX_PER_PAGE: usize = 150;

fn conversation_not_found() -> ApiError {
    ApiError::not_found("not_found", "Resource Not Found")
}

fn find<'a>(state: &'a Store, id: &str) -> ApiResult<&'a Conversation> {
    state
        .conversations
        .get(id)
        .ok_or_else(conversation_not_found)
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
        Some(t) if !t.trim().is_empty() => Ok(Some(html_paragraph(&t))),
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
    let contact_ref = reference(state.contacts.get(&contact_id).unwrap_or(&Value::Null));
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
    let draft = TicketDraft {
        ticket_type,
        state_id,
        attributes,
        contact_ids: contacts,
        admin_assignee_id: conversation["admin_assignee_id"].as_i64().unwrap_or(0),
        team_assignee_id: conversation["team_assignee_id"].as_i64().unwrap_or(0),
        linked_conversation: Some(id.clone()),
        created_at: now,
    };
    let ticket = insert_ticket(&mut state, draft)?;
    drop(state);
    app.notify("ticket.created", ticket.clone());
    Ok(Json(ticket))
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
