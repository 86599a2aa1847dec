//! Tickets: create, retrieve, update (state, assignment, attributes, open, snooze), reply,
//! tags, search, delete.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::common::{AppState, JsonResult, applied_tag, require_admin};
use crate::domain::conversations::{contact_from, link_ticket};
use crate::domain::text::html_paragraph;
use crate::domain::tickets::{
    TicketDraft, allowed_state, check_attributes, compact_state, insert_ticket, type_attributes,
};
use crate::errors::{ApiError, ApiResult};
use crate::input::{Fields, JsonBody};
use crate::paging::{self, SortKey};
use crate::search::{self, FieldType, Query as SearchQuery, Resolver, Val};
use crate::store::{IdKind, State as Store, id_of, ids_in};

pub const DEFAULT_PER_PAGE: usize = 20;
pub const MAX_PER_PAGE: usize = 150;

fn ticket_not_found() -> ApiError {
    ApiError::not_found("ticket_not_found", "Ticket not found")
}

fn resolve_ticket_contact(state: &Store, spec: &Value) -> ApiResult<String> {
    let spec = spec
        .as_object()
        .ok_or_else(|| ApiError::invalid("contacts", "each contact must be an object"))?;
    if let Some(id) = spec.opt_str("id")? {
        return state
            .contacts
            .get(&id)
            .map(id_of)
            .ok_or_else(|| ApiError::not_found("not_found", "User Not Found"));
    }
    let mut body = Map::new();
    if let Some(external) = spec.opt_str("external_id")? {
        body.insert("user_id".into(), json!(external));
    } else if let Some(email) = spec.opt_str("email")? {
        body.insert("email".into(), json!(email));
    } else {
        return Err(ApiError::invalid(
            "contacts",
            "each contact needs id, external_id or email",
        ));
    }
    contact_from(state, &body)
}

fn assignee_number(state: &Store, value: Option<String>, teams: bool) -> ApiResult<i64> {
    let Some(id) = value.filter(|v| !v.is_empty()) else {
        return Ok(0);
    };
    let known = if teams {
        state.teams.contains(&id)
    } else {
        state.admins.contains(&id)
    };
    if id != "0" && !known {
        return Err(ApiError::not_found(
            "assignee_not_found",
            "Assignee not found",
        ));
    }
    Ok(id.parse().unwrap_or(0))
}

pub async fn create(State(app): AppState, JsonBody(body): JsonBody) -> JsonResult {
    let type_id = body.req_id("ticket_type_id")?;
    let contact_specs = body
        .opt_array("contacts")?
        .ok_or_else(|| ApiError::missing("contacts"))?
        .clone();
    if contact_specs.is_empty() {
        return Err(ApiError::missing("contacts"));
    }
    let attributes = body
        .opt_object("ticket_attributes")?
        .cloned()
        .unwrap_or_default();
    let link = body.opt_id("conversation_to_link_id")?;
    let created_at = body.opt_i64("created_at")?;
    let assignment = body.opt_object("assignment")?.cloned().unwrap_or_default();
    let now = app.now();
    let mut state = app.state.write();
    let ticket_type = state
        .ticket_types
        .get(&type_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("not_found", "Ticket type not found"))?;
    let contact_ids = contact_specs
        .iter()
        .map(|spec| resolve_ticket_contact(&state, spec))
        .collect::<ApiResult<Vec<_>>>()?;
    if let Some(c) = &link
        && !state.conversations.contains(c)
    {
        return Err(ApiError::not_found("not_found", "Conversation not found"));
    }
    let admin = assignee_number(&state, assignment.opt_id("admin_assignee_id")?, false)?;
    let team = assignee_number(&state, assignment.opt_id("team_assignee_id")?, true)?;
    check_attributes(&ticket_type, &attributes, true)?;
    let draft = TicketDraft {
        ticket_type,
        state_id: None,
        attributes,
        contact_ids,
        admin_assignee_id: admin,
        team_assignee_id: team,
        linked_conversation: None,
        created_at: created_at.unwrap_or(now),
    };
    let ticket = insert_ticket(&mut state, draft)?;
    if let Some(conversation_id) = link {
        let id = id_of(&ticket);
        if let Some(t) = state.tickets.get_mut(&id) {
            t["linked_objects"] = json!({"type": "list", "data": [{"type": "conversation", "id": conversation_id, "category": null}], "total_count": 1, "has_more": false});
        }
        link_ticket(&mut state, &conversation_id, &ticket, now);
    }
    let ticket = state
        .tickets
        .get(&id_of(&ticket))
        .cloned()
        .unwrap_or(ticket);
    drop(state);
    app.notify("ticket.created", ticket.clone());
    Ok(Json(ticket))
}

pub async fn get(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let state = app.state.read();
    state
        .tickets
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(ticket_not_found)
}

pub async fn delete(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let mut state = app.state.write();
    state.tickets.remove(&id).ok_or_else(ticket_not_found)?;
    state.ticket_tags.remove(&id);
    Ok(Json(json!({"id": id, "object": "ticket", "deleted": true})))
}

fn new_ticket_part(
    state: &mut Store,
    part_type: &str,
    author: Value,
    body: Option<String>,
    (previous, current): (&Value, &Value),
    assigned_to: Option<Value>,
    now: i64,
) -> Value {
    json!({
        "type": "ticket_part",
        "id": state.numeric_id(IdKind::Part),
        "part_type": part_type,
        "body": body,
        "previous_ticket_state": previous,
        "ticket_state": current,
        "created_at": now,
        "updated_at": now,
        "assigned_to": assigned_to,
        "author": author,
        "attachments": [],
        "external_id": null,
        "redacted": false,
    })
}

fn push_ticket_part(ticket: &mut Value, part: Value) {
    if !ticket["ticket_parts"].is_object() {
        ticket["ticket_parts"] =
            json!({"type": "ticket_part.list", "ticket_parts": [], "total_count": 0});
    }
    if let Some(parts) = ticket["ticket_parts"]["ticket_parts"].as_array_mut() {
        parts.push(part);
        let total = parts.len();
        ticket["ticket_parts"]["total_count"] = json!(total);
    }
}

/// `PUT /tickets/{id}`: attributes, state, assignment, open, snooze, sharing.
pub async fn update(
    State(app): AppState,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> JsonResult {
    let attributes = body.opt_object("ticket_attributes")?.cloned();
    let state_id = body.opt_id("ticket_state_id")?;
    let open = body.opt_bool("open")?;
    let is_shared = body.opt_bool("is_shared")?;
    let snoozed_until = body.opt_i64("snoozed_until")?;
    let admin_id = body.opt_id("admin_id")?;
    let assignee_id = body.opt_id("assignee_id")?;
    let company_id = body.opt_id("company_id")?;
    let now = app.now();
    let mut state = app.state.write();
    let ticket = state
        .tickets
        .get(&id)
        .cloned()
        .ok_or_else(ticket_not_found)?;

    // Validate everything before changing anything.
    let ticket_type = state
        .ticket_types
        .get(&id_of(&ticket["ticket_type"]))
        .cloned()
        .unwrap_or_else(|| ticket["ticket_type"].clone());
    if let Some(attrs) = &attributes {
        check_attributes(&ticket_type, attrs, false)?;
    }
    let new_state = match &state_id {
        Some(sid) => Some(allowed_state(&state, &ticket_type, sid)?),
        None => None,
    };
    if let Some(a) = &admin_id {
        require_admin(&state, a)?;
    }
    let assignee = match &assignee_id {
        None => None,
        Some(a) if a == "0" => Some(("admin", 0i64)),
        Some(a) if state.admins.contains(a) => Some(("admin", a.parse().unwrap_or(0))),
        Some(a) if state.teams.contains(a) => Some(("team", a.parse().unwrap_or(0))),
        Some(_) => {
            return Err(ApiError::not_found(
                "assignee_not_found",
                "Assignee not found",
            ));
        }
    };
    if let Some(cid) = &company_id
        && !state.companies.contains(cid)
    {
        return Err(ApiError::not_found(
            "company_not_found",
            "Company Not Found",
        ));
    }
    let acting_admin = admin_id
        .clone()
        .or_else(|| state.admins.values().next().map(id_of))
        .unwrap_or_default();
    let author = state.admin_author(&acting_admin);

    let mut topics = Vec::new();
    let mut parts = Vec::new();
    let previous_category = ticket["ticket_state"]["category"].clone();
    if let Some(s) = &new_state {
        parts.push(new_ticket_part(
            &mut state,
            "ticket_state_updated_by_admin",
            author.clone(),
            None,
            (&previous_category, &s["category"]),
            None,
            now,
        ));
        topics.push("ticket.state.updated");
        if s["category"] == "resolved" {
            topics.push("ticket.resolved");
        }
    }
    let current_category = new_state
        .as_ref()
        .map(|s| s["category"].clone())
        .unwrap_or(previous_category.clone());
    if let Some((kind, number)) = assignee {
        let assigned_to = (number != 0).then(|| json!({"type": kind, "id": number.to_string()}));
        parts.push(new_ticket_part(
            &mut state,
            "assignment",
            author.clone(),
            None,
            (&current_category, &current_category),
            assigned_to,
            now,
        ));
        topics.push(if kind == "team" {
            "ticket.team.assigned"
        } else {
            "ticket.admin.assigned"
        });
    }
    if attributes.is_some() {
        topics.push("ticket.attribute.updated");
    }
    if open == Some(false) {
        topics.push("ticket.closed");
    }

    let stored = state.tickets.get_mut(&id).ok_or_else(ticket_not_found)?;
    if let Some(attrs) = attributes {
        for (k, v) in attrs {
            stored["ticket_attributes"][k.as_str()] = v;
        }
    }
    if let Some(s) = new_state {
        stored["previous_ticket_state_id"] = stored["ticket_state"]["id"].clone();
        stored["open"] = json!(s["category"] != "resolved");
        stored["ticket_state"] = compact_state(&s);
    }
    if let Some((kind, number)) = assignee {
        if kind == "team" {
            stored["team_assignee_id"] = json!(number);
        } else {
            stored["admin_assignee_id"] = json!(number);
        }
    }
    if let Some(open) = open {
        stored["open"] = json!(open);
    }
    if let Some(shared) = is_shared {
        stored["is_shared"] = json!(shared);
    }
    if let Some(until) = snoozed_until {
        stored["snoozed_until"] = json!(until);
    }
    for part in parts {
        push_ticket_part(stored, part);
    }
    stored["updated_at"] = json!(now);
    let ticket = stored.clone();
    drop(state);
    for topic in topics {
        app.notify(topic, ticket.clone());
    }
    Ok(Json(ticket))
}

pub async fn reply(
    State(app): AppState,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> JsonResult {
    let kind = body.req_str("type")?;
    let message_type = body.req_str("message_type")?;
    let text = body.opt_str("body")?.filter(|t| !t.trim().is_empty());
    let now = app.now();
    let mut state = app.state.write();
    let ticket = state
        .tickets
        .get(&id)
        .cloned()
        .ok_or_else(ticket_not_found)?;
    let (author, topic) = match kind.as_str() {
        "admin" => {
            if !["comment", "note", "quick_reply"].contains(&message_type.as_str()) {
                return Err(ApiError::invalid(
                    "message_type",
                    "message_type must be one of comment, note, quick_reply",
                ));
            }
            let admin_id = body.req_id("admin_id")?;
            require_admin(&state, &admin_id)?;
            let topic = if message_type == "note" {
                "ticket.note.created"
            } else {
                "ticket.admin.replied"
            };
            (state.admin_author(&admin_id), topic)
        }
        "user" | "contact" | "lead" => {
            if ticket["category"] != "Customer" {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "parameter_mismatch",
                    "User replies are not allowed on Backoffice tickets",
                ));
            }
            if message_type != "comment" {
                return Err(ApiError::invalid(
                    "message_type",
                    "contacts can only reply with message_type comment",
                ));
            }
            let contact_id = contact_from(&state, &body)?;
            (state.contact_author(&contact_id), "ticket.contact.replied")
        }
        other => {
            return Err(ApiError::invalid(
                "type",
                format!("type must be admin or user (got '{other}')"),
            ));
        }
    };
    let text = match text {
        Some(t) => html_paragraph(&t),
        None => return Err(ApiError::missing("body")),
    };
    let category = ticket["ticket_state"]["category"].clone();
    let part = new_ticket_part(
        &mut state,
        &message_type,
        author,
        Some(text),
        (&category, &category),
        None,
        now,
    );
    let stored = state.tickets.get_mut(&id).ok_or_else(ticket_not_found)?;
    push_ticket_part(stored, part.clone());
    stored["updated_at"] = json!(now);
    let ticket = stored.clone();
    drop(state);
    app.notify(topic, ticket);
    let mut reply = part;
    if let Some(o) = reply.as_object_mut() {
        for key in [
            "previous_ticket_state",
            "ticket_state",
            "assigned_to",
            "external_id",
        ] {
            o.remove(key);
        }
    }
    Ok(Json(reply))
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
    if !state.tickets.contains(&id) {
        return Err(ticket_not_found());
    }
    require_admin(&state, &admin_id)?;
    let tag = state
        .tags
        .get(&tag_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("tag_not_found", "Tag not found"))?;
    let applied = applied_tag(&tag, &admin_id, now);
    let tags = state.ticket_tags.entry(id.clone()).or_default();
    if !tags.iter().any(|t| t["id"] == tag["id"]) {
        tags.push(applied.clone());
    }
    if let Some(t) = state.tickets.get_mut(&id) {
        t["updated_at"] = json!(now);
    }
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
    if !state.tickets.contains(&id) {
        return Err(ticket_not_found());
    }
    require_admin(&state, &admin_id)?;
    let tags = state.ticket_tags.entry(id.clone()).or_default();
    let position = tags
        .iter()
        .position(|t| t["id"].as_str() == Some(tag_id.as_str()))
        .ok_or_else(|| ApiError::not_found("tag_not_found", "Tag not found on this ticket"))?;
    let removed = tags.remove(position);
    if let Some(t) = state.tickets.get_mut(&id) {
        t["updated_at"] = json!(now);
    }
    Ok(Json(removed))
}

/// Field resolver for ticket search.
pub struct TicketResolver<'s> {
    /// Ticket attribute id → attribute name.
    attribute_names: HashMap<String, String>,
    state: &'s Store,
}

impl<'s> TicketResolver<'s> {
    pub fn new(state: &'s Store) -> Self {
        let mut attribute_names = HashMap::new();
        for ticket_type in state.ticket_types.values() {
            for attribute in type_attributes(ticket_type) {
                attribute_names.insert(
                    id_of(&attribute),
                    attribute["name"].as_str().unwrap_or_default().to_string(),
                );
            }
        }
        TicketResolver {
            attribute_names,
            state,
        }
    }
}

#[derive(Clone)]
pub enum TicketField {
    Path(Vec<String>),
    ContactIds,
    TeammateIds,
    Category,
    TagIds,
}

impl Resolver for TicketResolver<'_> {
    type Doc = Value;
    type Field = TicketField;

    fn field(&self, name: &str) -> Option<(TicketField, FieldType)> {
        let path = |p: &str| TicketField::Path(search::split_path(p));
        Some(match name {
            "id" => (path("id"), FieldType::Str),
            "ticket_id" => (path("ticket_id"), FieldType::Str),
            "created_at" | "updated_at" | "snoozed_until" => (path(name), FieldType::Date),
            "title" => (path("ticket_attributes._default_title_"), FieldType::Str),
            "description" => (
                path("ticket_attributes._default_description_"),
                FieldType::Str,
            ),
            "category" => (TicketField::Category, FieldType::Str),
            "ticket_type_id" => (path("ticket_type.id"), FieldType::Str),
            "contact_ids" => (TicketField::ContactIds, FieldType::Str),
            "teammate_ids" => (TicketField::TeammateIds, FieldType::Str),
            "tag_ids" => (TicketField::TagIds, FieldType::Str),
            "admin_assignee_id" | "team_assignee_id" => (path(name), FieldType::Str),
            "open" | "is_shared" => (path(name), FieldType::Bool),
            "state" => (path("ticket_state.category"), FieldType::Str),
            "ticket_state_id" => (path("ticket_state.id"), FieldType::Str),
            _ => {
                let attribute_id = name.strip_prefix("ticket_attribute.")?;
                let attribute_name = self
                    .attribute_names
                    .get(attribute_id)
                    .cloned()
                    .unwrap_or_else(|| attribute_id.to_string());
                (
                    TicketField::Path(vec!["ticket_attributes".into(), attribute_name]),
                    FieldType::Any,
                )
            }
        })
    }

    fn any_value<'a>(
        &self,
        doc: &'a Value,
        field: &TicketField,
        f: &mut dyn FnMut(&Val<'a>) -> bool,
    ) -> bool {
        match field {
            TicketField::Path(path) => {
                let value = search::path_value(doc, path);
                // Assignee ids are integers in tickets but documented as strings for search.
                match value {
                    Some(Value::Number(n))
                        if path.len() == 1 && path[0].ends_with("_assignee_id") =>
                    {
                        f(&Val::Str(n.to_string().into()))
                    }
                    _ => f(&Val::from_json(value)),
                }
            }
            TicketField::ContactIds => ids_in(doc, "contacts", "contacts")
                .into_iter()
                .any(|id| f(&Val::Str(id.into()))),
            TicketField::TeammateIds => {
                let admin = doc["admin_assignee_id"].as_i64().unwrap_or(0);
                admin != 0 && f(&Val::Str(admin.to_string().into()))
            }
            TicketField::TagIds => self
                .state
                .ticket_tags
                .get(doc["id"].as_str().unwrap_or_default())
                .is_some_and(|tags| tags.iter().any(|t| f(&Val::Str(id_of(t).into())))),
            // Search uses request/task/tracker for Customer/Back-office/Tracker.
            TicketField::Category => {
                let term = match doc["category"].as_str() {
                    Some("Customer") => "request",
                    Some("Back-office") => "task",
                    Some("Tracker") => "tracker",
                    _ => "",
                };
                f(&Val::Str(term.into()))
            }
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
    let state = app.state.read();
    let resolver = TicketResolver::new(&state);
    let parsed = SearchQuery::parse(&resolver, query)?;
    let rows = state
        .tickets
        .iter()
        .filter(|(_, t)| parsed.matches(t))
        .map(|(seq, t)| (SortKey::Int(t["updated_at"].as_i64().unwrap_or(0)), seq, t))
        .collect();
    let page = paging::paginate(rows, true, per_page, after.as_deref())?;
    let tickets: Vec<Value> = page.items.iter().map(|t| (*t).clone()).collect();
    Ok(Json(json!({
        "type": "ticket.list",
        "tickets": tickets,
        "total_count": page.total,
        "pages": page.pages(),
    })))
}
