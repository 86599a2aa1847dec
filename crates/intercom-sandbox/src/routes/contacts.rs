//! Contacts: CRUD, list, search, merge, archive, and their notes, tags and companies.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono_tz::Tz;
use serde_json::{Map, Value, json};

use super::common::{AppState, JsonResult};
use crate::app::SharedApp;
use crate::domain::contacts::{
    add_contact_tag, addressable_list, reference, refresh_user_count, relation_ids,
    remove_contact_tag, set_relation, tag_basic,
};
use crate::domain::text::html_paragraph;
use crate::errors::{ApiError, ApiResult};
use crate::input::{Fields, JsonBody, check_custom_attributes};
use crate::paging::{self, SortKey};
use crate::search::{self, FieldType, Query as SearchQuery, Resolver, Val};
use crate::store::{IdKind, State as Store, id_of};

pub const DEFAULT_PER_PAGE: usize = 50;
pub const MAX_PER_PAGE: usize = 150;

fn contact_not_found() -> ApiError {
    ApiError::not_found("not_found", "User Not Found")
}

/// The contact with `id`, or 410 `contact_merged` (with a canonical `Link`) / 404.
pub fn find<'a>(state: &'a Store, id: &str) -> ApiResult<&'a Value> {
    if let Some(contact) = state.contacts.get(id) {
        return Ok(contact);
    }
    if let Some(into) = state.merged_into(id) {
        let mut err = ApiError::new(
            StatusCode::GONE,
            "contact_merged",
            "This contact has been merged. See the 'Link' header for the canonical contact.",
        );
        err.link = Some(format!("</contacts/{into}>; rel=\"canonical\""));
        return Err(err);
    }
    Err(contact_not_found())
}

fn find_mut<'a>(state: &'a mut Store, id: &str) -> ApiResult<&'a mut Value> {
    find(state, id)?;
    state.contacts.get_mut(id).ok_or_else(contact_not_found)
}

fn email_domain(email: Option<&str>) -> Value {
    match email.and_then(|e| e.split_once('@')) {
        Some((_, domain)) if !domain.is_empty() => json!(domain),
        _ => json!(""),
    }
}

/// Fields `POST`/`PUT /contacts` accept, validated before anything changes.
struct ContactInput {
    fields: Map<String, Value>,
    custom_attributes: Option<Map<String, Value>>,
}

fn read_contact_input(body: &Map<String, Value>) -> ApiResult<ContactInput> {
    let mut fields = Map::new();
    if let Some(role) = body.opt_str("role")? {
        if role != "user" && role != "lead" {
            return Err(ApiError::invalid("role", "role must be 'user' or 'lead'"));
        }
        fields.insert("role".into(), json!(role));
    }
    for key in [
        "external_id",
        "email",
        "phone",
        "name",
        "avatar",
        "owner_id",
        "language_override",
    ] {
        if body.raw(key).is_some() {
            let value = if key == "owner_id" {
                body.opt_id(key)?
            } else {
                body.opt_str(key)?
            };
            fields.insert(key.into(), json!(value));
        }
    }
    if let Some(Value::String(email)) = fields.get("email")
        && !email.is_empty()
        && !email.contains('@')
    {
        return Err(ApiError::invalid(
            "email",
            "email is not a valid email address",
        ));
    }
    for key in ["signed_up_at", "last_seen_at"] {
        if body.raw(key).is_some() {
            fields.insert(key.into(), json!(body.opt_i64(key)?));
        }
    }
    if body.raw("unsubscribed_from_emails").is_some() {
        fields.insert(
            "unsubscribed_from_emails".into(),
            json!(body.opt_bool("unsubscribed_from_emails")?.unwrap_or(false)),
        );
    }
    let custom_attributes = match body.opt_object("custom_attributes")? {
        Some(attrs) => {
            check_custom_attributes("custom_attributes", attrs)?;
            Some(attrs.clone())
        }
        None => None,
    };
    Ok(ContactInput {
        fields,
        custom_attributes,
    })
}

fn apply_contact_input(contact: &mut Value, input: ContactInput, now: i64) {
    for (key, value) in input.fields {
        if key == "avatar" {
            contact["avatar"] = match value {
                Value::String(url) => json!({"type": "avatar", "image_url": url}),
                _ => Value::Null,
            };
            continue;
        }
        if key == "email" {
            contact["email_domain"] = email_domain(value.as_str());
        }
        contact[key.as_str()] = value;
    }
    if let Some(attrs) = input.custom_attributes {
        if !contact["custom_attributes"].is_object() {
            contact["custom_attributes"] = json!({});
        }
        for (key, value) in attrs {
            contact["custom_attributes"][key.as_str()] = value;
        }
    }
    contact["updated_at"] = json!(now);
}

fn new_contact(state: &Store, id: &str, now: i64) -> Value {
    let list = |relation: &str, kind: &str| addressable_list(id, relation, kind, &[]);
    json!({
        "type": "contact",
        "id": id,
        "workspace_id": state.app_id,
        "external_id": null,
        "role": "user",
        "email": "",
        "email_domain": "",
        "phone": null,
        "formatted_phone": null,
        "name": null,
        "avatar": null,
        "owner_id": null,
        "social_profiles": {"type": "list", "data": []},
        "has_hard_bounced": false,
        "marked_email_as_spam": false,
        "unsubscribed_from_emails": false,
        "created_at": now,
        "updated_at": now,
        "signed_up_at": null,
        "last_seen_at": null,
        "last_replied_at": null,
        "last_contacted_at": null,
        "last_email_opened_at": null,
        "last_email_clicked_at": null,
        "language_override": null,
        "browser": null,
        "browser_version": null,
        "browser_language": null,
        "os": null,
        "location": {"type": "location", "country": null, "region": null, "city": null, "country_code": null, "continent_code": null},
        "android_app_name": null,
        "android_app_version": null,
        "android_device": null,
        "android_os_version": null,
        "android_sdk_version": null,
        "android_last_seen_at": null,
        "ios_app_name": null,
        "ios_app_version": null,
        "ios_device": null,
        "ios_os_version": null,
        "ios_sdk_version": null,
        "ios_last_seen_at": null,
        "custom_attributes": {},
        "tags": list("tags", "tag"),
        "notes": list("notes", "note"),
        "companies": list("companies", "company"),
        "utm_campaign": null,
        "utm_content": null,
        "utm_medium": null,
        "utm_source": null,
        "utm_term": null,
        "referrer": null,
    })
}

/// An existing contact that a new one would duplicate (same external_id, or same email for users).
fn duplicate_of(
    state: &Store,
    fields: &Map<String, Value>,
    except: Option<&str>,
) -> Option<String> {
    let external_id = fields
        .get("external_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let email = fields
        .get("email")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let role = fields.get("role").and_then(Value::as_str).unwrap_or("user");
    state
        .contacts
        .values()
        .find(|c| {
            if except == Some(c["id"].as_str().unwrap_or_default()) {
                return false;
            }
            external_id.is_some_and(|e| c["external_id"].as_str() == Some(e))
                || (role == "user"
                    && c["role"].as_str() == Some("user")
                    && email.is_some_and(|e| {
                        c["email"]
                            .as_str()
                            .is_some_and(|ce| ce.eq_ignore_ascii_case(e))
                    }))
        })
        .map(id_of)
}

fn conflict(existing: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "conflict",
        format!("A contact matching those details already exists with id={existing}"),
    )
}

pub async fn create(State(app): AppState, JsonBody(body): JsonBody) -> JsonResult {
    let input = read_contact_input(&body)?;
    let has_identity = ["email", "external_id", "role"].iter().any(|k| {
        input
            .fields
            .get(*k)
            .is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty()))
    });
    if !has_identity {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "parameter_not_found",
            "One of email, external_id or role is required to create a contact",
        ));
    }
    let now = app.now();
    let mut state = app.state.write();
    if let Some(existing) = duplicate_of(&state, &input.fields, None) {
        return Err(conflict(&existing));
    }
    let id = state.hex_id(now);
    let mut contact = new_contact(&state, &id, now);
    apply_contact_input(&mut contact, input, now);
    state.contacts.insert(id, contact.clone());
    drop(state);
    let topic = if contact["role"] == "lead" {
        "contact.lead.created"
    } else {
        "contact.user.created"
    };
    app.notify(topic, contact.clone());
    Ok(Json(contact))
}

pub async fn get(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let state = app.state.read();
    find(&state, &id).cloned().map(Json)
}

pub async fn find_by_external_id(
    State(app): AppState,
    Path(external_id): Path<String>,
) -> JsonResult {
    let state = app.state.read();
    state
        .contacts
        .values()
        .find(|c| c["external_id"].as_str() == Some(external_id.as_str()))
        .cloned()
        .map(Json)
        .ok_or_else(contact_not_found)
}

pub async fn update(
    State(app): AppState,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> JsonResult {
    let input = read_contact_input(&body)?;
    let now = app.now();
    let mut state = app.state.write();
    let current = find(&state, &id)?;
    let mut probe = input.fields.clone();
    if !probe.contains_key("role") {
        probe.insert("role".into(), current["role"].clone());
    }
    if let Some(existing) = duplicate_of(&state, &probe, Some(&id)) {
        return Err(conflict(&existing));
    }
    let contact = find_mut(&mut state, &id)?;
    apply_contact_input(contact, input, now);
    let contact = contact.clone();
    drop(state);
    let topic = if contact["role"] == "lead" {
        "contact.lead.updated"
    } else {
        "contact.user.updated"
    };
    app.notify(topic, contact.clone());
    Ok(Json(contact))
}

pub async fn delete(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let now = app.now();
    let mut state = app.state.write();
    let reference = reference(find(&state, &id)?);
    state.contacts.remove(&id);
    state.archived_contacts.remove(&id);
    detach_from_companies(&mut state, &id, now);
    drop(state);
    let mut response = reference;
    response["deleted"] = json!(true);
    app.notify("contact.deleted", response.clone());
    Ok(Json(response))
}

fn detach_from_companies(state: &mut Store, contact_id: &str, now: i64) {
    let company_ids: Vec<String> = state
        .contacts
        .get(contact_id)
        .map(|c| relation_ids(c, "companies"))
        .unwrap_or_default();
    let _ = now;
    for company_id in company_ids {
        refresh_user_count(state, &company_id);
    }
}

pub async fn list(
    State(app): AppState,
    Query(query): Query<HashMap<String, String>>,
) -> JsonResult {
    let per_page = super::common::query_per_page(&query, DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
    let state = app.state.read();
    let rows = state
        .contacts
        .iter()
        .filter(|(_, c)| {
            !state
                .archived_contacts
                .contains(c["id"].as_str().unwrap_or_default())
        })
        .map(|(seq, c)| (SortKey::Int(c["created_at"].as_i64().unwrap_or(0)), seq, c))
        .collect();
    let page = paging::paginate(
        rows,
        true,
        per_page,
        query.get("starting_after").map(String::as_str),
    )?;
    let data: Vec<Value> = page.items.iter().map(|c| (*c).clone()).collect();
    Ok(Json(json!({
        "type": "list",
        "data": data,
        "total_count": page.total,
        "pages": page.pages(),
    })))
}

/// Field resolver for contact search.
pub struct ContactResolver<'s> {
    state: &'s Store,
    now: i64,
}

#[derive(Clone)]
pub enum ContactField {
    Path(Vec<String>),
    TagId,
    SegmentId,
}

const CONTACT_DATES: &[&str] = &[
    "created_at",
    "signed_up_at",
    "updated_at",
    "last_seen_at",
    "last_contacted_at",
    "last_replied_at",
    "last_email_opened_at",
    "last_email_clicked_at",
    "ios_last_seen_at",
    "android_last_seen_at",
];
const CONTACT_BOOLS: &[&str] = &[
    "unsubscribed_from_emails",
    "marked_email_as_spam",
    "has_hard_bounced",
];
const CONTACT_STRINGS: &[&str] = &[
    "id",
    "role",
    "name",
    "avatar",
    "owner_id",
    "email",
    "email_domain",
    "phone",
    "formatted_phone",
    "external_id",
    "language_override",
    "browser",
    "browser_language",
    "browser_version",
    "os",
    "location.country",
    "location.region",
    "location.city",
    "location.country_code",
    "location.continent_code",
    "ios_app_version",
    "ios_device",
    "ios_app_device",
    "ios_os_version",
    "ios_app_name",
    "ios_sdk_version",
    "android_app_version",
    "android_device",
    "android_app_name",
    "andoid_sdk_version",
    "android_sdk_version",
    "android_os_version",
    "utm_campaign",
    "utm_content",
    "utm_medium",
    "utm_source",
    "utm_term",
    "referrer",
];

impl Resolver for ContactResolver<'_> {
    type Doc = Value;
    type Field = ContactField;

    fn field(&self, name: &str) -> Option<(ContactField, FieldType)> {
        let path = |p: &str| ContactField::Path(search::split_path(p));
        match name {
            "tag_id" => return Some((ContactField::TagId, FieldType::Str)),
            "segment_id" => return Some((ContactField::SegmentId, FieldType::Str)),
            "andoid_sdk_version" => return Some((path("android_sdk_version"), FieldType::Str)),
            "ios_app_device" => return Some((path("ios_device"), FieldType::Str)),
            "avatar" => return Some((path("avatar.image_url"), FieldType::Str)),
            _ => {}
        }
        if CONTACT_DATES.contains(&name) {
            return Some((path(name), FieldType::Date));
        }
        if CONTACT_BOOLS.contains(&name) {
            return Some((path(name), FieldType::Bool));
        }
        if CONTACT_STRINGS.contains(&name) {
            return Some((path(name), FieldType::Str));
        }
        let attribute = name.strip_prefix("custom_attributes.")?;
        let declared = self.state.data_attributes.iter().find(|a| {
            a["model"] == "contact" && (a["name"] == attribute || a["full_name"] == name)
        });
        let ftype = match declared.and_then(|a| a["data_type"].as_str()) {
            Some("date") => FieldType::Date,
            Some("integer") | Some("float") => FieldType::Int,
            Some("boolean") => FieldType::Bool,
            Some("string") => FieldType::Str,
            _ => FieldType::Any,
        };
        Some((
            ContactField::Path(vec!["custom_attributes".into(), attribute.into()]),
            ftype,
        ))
    }

    fn any_value<'a>(
        &self,
        doc: &'a Value,
        field: &ContactField,
        f: &mut dyn FnMut(&Val<'a>) -> bool,
    ) -> bool {
        match field {
            ContactField::Path(path) => f(&Val::from_json(search::path_value(doc, path))),
            ContactField::TagId => doc["tags"]["data"]
                .as_array()
                .is_some_and(|tags| tags.iter().any(|t| f(&Val::from_json(t.get("id"))))),
            ContactField::SegmentId => self.state.segments.values().any(|segment| {
                crate::segments::contains(self.state, segment, doc, self.now)
                    && f(&Val::Str(id_of(segment).into()))
            }),
        }
    }

    fn day_granularity(&self) -> Option<Tz> {
        Some(self.state.time_zone)
    }

    fn equality_only(&self, name: &str) -> bool {
        name == "tag_id"
    }
}

pub async fn search(State(app): AppState, JsonBody(body): JsonBody) -> JsonResult {
    let query = body
        .present("query")
        .ok_or_else(|| ApiError::missing("query"))?;
    let (per_page, after) = search::pagination(&body)?;
    let per_page = paging::per_page(per_page, DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
    let (sort_field, descending) = match body.opt_object("sort")? {
        None => (None, true),
        Some(sort) => {
            let field = sort.opt_str("field")?;
            let descending = match sort.opt_str("order")?.as_deref() {
                None | Some("descending") => true,
                Some("ascending") => false,
                Some(other) => {
                    return Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_sort_order",
                        format!(
                            "Invalid sort order '{other}'. Must be one of: ascending, descending"
                        ),
                    ));
                }
            };
            (field, descending)
        }
    };
    let state = app.state.read();
    let resolver = ContactResolver {
        state: &state,
        now: app.now(),
    };
    let parsed = SearchQuery::parse(&resolver, query)?;
    let sort_path = match &sort_field {
        None => vec!["created_at".to_string()],
        Some(name) => match resolver.field(name) {
            Some((ContactField::Path(p), _)) => p,
            _ => {
                return Err(ApiError::invalid(
                    "sort.field",
                    format!("'{name}' is not a sortable field"),
                ));
            }
        },
    };
    let rows = state
        .contacts
        .iter()
        .filter(|(_, c)| {
            !state
                .archived_contacts
                .contains(c["id"].as_str().unwrap_or_default())
        })
        .filter(|(_, c)| parsed.matches(c))
        .map(|(seq, c)| {
            (
                SortKey::from_json(search::path_value(c, &sort_path)),
                seq,
                c,
            )
        })
        .collect();
    let page = paging::paginate(rows, descending, per_page, after.as_deref())?;
    let data: Vec<Value> = page.items.iter().map(|c| (*c).clone()).collect();
    Ok(Json(json!({
        "type": "list",
        "data": data,
        "total_count": page.total,
        "pages": page.pages(),
    })))
}

pub async fn merge(State(app): AppState, JsonBody(body): JsonBody) -> JsonResult {
    let from = body.req_id("from")?;
    let into = body.req_id("into")?;
    let skip_check = body.opt_bool("skip_duplicate_validation")?.unwrap_or(false);
    let now = app.now();
    let mut state = app.state.write();
    let source = find(&state, &from)?.clone();
    let target = find(&state, &into)?.clone();
    if from == into {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_merge",
            "A contact cannot be merged into itself",
        ));
    }
    if source["role"] != "lead" || target["role"] != "user" {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_merge",
            "Only a contact with role lead can be merged into a contact with role user",
        ));
    }
    let same = |key: &str| {
        source[key]
            .as_str()
            .filter(|s| !s.is_empty())
            .is_some_and(|a| {
                target[key]
                    .as_str()
                    .is_some_and(|b| a.eq_ignore_ascii_case(b))
            })
    };
    if !skip_check && !same("email") && !same("phone") {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_merge",
            "Contacts can only be merged when they are duplicates (matching email or phone). Pass skip_duplicate_validation=true to override this check.",
        ));
    }
    // The target keeps its own values and gains what only the lead had.
    let mut merged = target.clone();
    for key in ["email", "phone", "name", "external_id"] {
        if merged[key].is_null() || merged[key] == "" {
            merged[key] = source[key].clone();
        }
    }
    if let (Some(src), Some(dst)) = (
        source["custom_attributes"].as_object(),
        merged["custom_attributes"].as_object_mut(),
    ) {
        for (k, v) in src {
            dst.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    for relation in ["tags", "companies"] {
        let mut ids = relation_ids(&merged, relation);
        for id in relation_ids(&source, relation) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let kind = if relation == "tags" { "tag" } else { "company" };
        set_relation(&mut merged, relation, kind, &ids);
    }
    merged["updated_at"] = json!(now);
    state.contacts.insert(into.clone(), merged.clone());
    state.contacts.remove(&from);
    state.merged_contacts.insert(from.clone(), into.clone());
    // Conversations and tickets of the lead now belong to the user.
    let source_ref = reference(&source);
    let target_ref = reference(&merged);
    for conversation in state.conversations.values_mut() {
        if conversation.ix.contact_ids.iter().any(|c| c == &from) {
            replace_contact_ref(&mut conversation.json, &source_ref, &target_ref);
            conversation.reindex();
        }
    }
    for ticket in state.tickets.values_mut() {
        replace_contact_ref(ticket, &source_ref, &target_ref);
    }
    for company_id in relation_ids(&merged, "companies") {
        refresh_user_count(&mut state, &company_id);
    }
    drop(state);
    app.notify(
        "contact.merged",
        json!({"from": source_ref, "into": target_ref}),
    );
    Ok(Json(merged))
}

fn replace_contact_ref(doc: &mut Value, from: &Value, into: &Value) {
    if let Some(contacts) = doc["contacts"]["contacts"].as_array_mut() {
        let had = contacts.iter().any(|c| c["id"] == from["id"]);
        if had {
            contacts.retain(|c| c["id"] != from["id"] && c["id"] != into["id"]);
            contacts.push(into.clone());
        }
    }
}

fn archive_response(contact: &Value, archived: bool) -> Value {
    let mut r = reference(contact);
    r["archived"] = json!(archived);
    r
}

pub async fn archive(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let mut state = app.state.write();
    let response = archive_response(find(&state, &id)?, true);
    state.archived_contacts.insert(id);
    drop(state);
    app.notify("contact.archived", response.clone());
    Ok(Json(response))
}

pub async fn unarchive(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let mut state = app.state.write();
    let response = archive_response(find(&state, &id)?, false);
    state.archived_contacts.remove(&id);
    Ok(Json(response))
}

pub async fn list_notes(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let state = app.state.read();
    find(&state, &id)?;
    let mut notes: Vec<&Value> = state
        .notes
        .values()
        .filter(|n| n["contact"]["id"].as_str() == Some(id.as_str()))
        .collect();
    notes.sort_by_key(|n| std::cmp::Reverse(n["created_at"].as_i64().unwrap_or(0)));
    let total = notes.len();
    Ok(Json(json!({
        "type": "list",
        "data": notes,
        "total_count": total,
        "pages": {"type": "pages", "page": 1, "per_page": total.max(1), "total_pages": if total > 0 { 1 } else { 0 }},
    })))
}

pub async fn create_note(
    State(app): AppState,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> JsonResult {
    let text = body.req_str("body")?;
    let admin_id = body.opt_id("admin_id")?;
    let now = app.now();
    let mut state = app.state.write();
    find(&state, &id)?;
    let admin_id = match admin_id {
        Some(a) => a,
        None => state.admins.values().next().map(id_of).unwrap_or_default(),
    };
    let author = state
        .admin(&admin_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("admin_not_found", "Admin not found"))?;
    let note_id = state.numeric_id(IdKind::Note);
    let note = json!({
        "type": "note",
        "id": note_id,
        "created_at": now,
        "contact": {"type": "contact", "id": id},
        "author": author,
        "body": html_paragraph(&text),
    });
    state.notes.insert(note_id.clone(), note.clone());
    if let Some(contact) = state.contacts.get_mut(&id) {
        let mut ids = relation_ids(contact, "notes");
        ids.insert(0, note_id);
        set_relation(contact, "notes", "note", &ids);
    }
    Ok(Json(note))
}

pub async fn get_note(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let state = app.state.read();
    state
        .notes
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(ApiError::resource_not_found)
}

/// Tag objects of a contact: `{type:"tag", id, name}`.
fn contact_tags(state: &Store, contact: &Value) -> Vec<Value> {
    relation_ids(contact, "tags")
        .iter()
        .filter_map(|id| state.tags.get(id))
        .map(tag_basic)
        .collect()
}

pub async fn list_tags(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let state = app.state.read();
    let contact = find(&state, &id)?;
    Ok(Json(
        json!({"type": "list", "data": contact_tags(&state, contact)}),
    ))
}

pub async fn attach_tag(
    State(app): AppState,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> JsonResult {
    let tag_id = body.req_id("id")?;
    let now = app.now();
    let mut state = app.state.write();
    find(&state, &id)?;
    let tag = state
        .tags
        .get(&tag_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("tag_not_found", "Tag not found"))?;
    let contact = find_mut(&mut state, &id)?;
    add_contact_tag(contact, &tag_id);
    contact["updated_at"] = json!(now);
    let contact = contact.clone();
    drop(state);
    app.notify(
        "contact.user.tag.created",
        json!({"type": "contact_tag", "tag": tag_basic(&tag), "contact": reference(&contact)}),
    );
    Ok(Json(tag_basic(&tag)))
}

pub async fn detach_tag(
    State(app): AppState,
    Path((id, tag_id)): Path<(String, String)>,
) -> JsonResult {
    let now = app.now();
    let mut state = app.state.write();
    find(&state, &id)?;
    let tag = state
        .tags
        .get(&tag_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("tag_not_found", "Tag not found"))?;
    let contact = find_mut(&mut state, &id)?;
    if !relation_ids(contact, "tags").contains(&tag_id) {
        return Err(ApiError::not_found(
            "tag_not_found",
            "Tag not found on this contact",
        ));
    }
    remove_contact_tag(contact, &tag_id);
    contact["updated_at"] = json!(now);
    let contact = contact.clone();
    drop(state);
    app.notify(
        "contact.user.tag.deleted",
        json!({"type": "contact_tag", "tag": tag_basic(&tag), "contact": reference(&contact)}),
    );
    Ok(Json(tag_basic(&tag)))
}

pub async fn list_companies(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let state = app.state.read();
    let contact = find(&state, &id)?;
    let companies: Vec<Value> = relation_ids(contact, "companies")
        .iter()
        .filter_map(|c| state.companies.get(c).cloned())
        .collect();
    let total = companies.len();
    Ok(Json(json!({
        "type": "list",
        "companies": companies,
        "total_count": total,
        "pages": {"type": "pages", "next": null, "page": 1, "per_page": 50, "total_pages": if total > 0 { 1 } else { 0 }},
    })))
}

pub async fn attach_company(
    State(app): AppState,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> JsonResult {
    let company_id = body.opt_id("id")?.ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "parameter_not_found",
            "company not specified",
        )
        .with_field("id")
    })?;
    link_company(&app, &id, &company_id, true)
}

pub async fn detach_company(
    State(app): AppState,
    Path((id, company_id)): Path<(String, String)>,
) -> JsonResult {
    link_company(&app, &id, &company_id, false)
}

/// Attaches or detaches a contact and a company; answers with the company.
fn link_company(app: &SharedApp, id: &str, company_id: &str, attach: bool) -> JsonResult {
    let now = app.now();
    let mut state = app.state.write();
    find(&state, id)?;
    if !state.companies.contains(company_id) {
        return Err(ApiError::not_found(
            "company_not_found",
            "Company Not Found",
        ));
    }
    let contact = find_mut(&mut state, id)?;
    let mut ids = relation_ids(contact, "companies");
    let linked = ids.iter().any(|c| c == company_id);
    if attach && !linked {
        ids.push(company_id.to_string());
    } else if !attach {
        if !linked {
            return Err(ApiError::not_found(
                "company_not_found",
                "Company is not attached to this contact",
            ));
        }
        ids.retain(|c| c != company_id);
    }
    set_relation(contact, "companies", "company", &ids);
    contact["updated_at"] = json!(now);
    let contact_ref = reference(contact);
    refresh_user_count(&mut state, company_id);
    let company = state
        .companies
        .get(company_id)
        .cloned()
        .unwrap_or(Value::Null);
    drop(state);
    let topic = if attach {
        "company.contact.attached"
    } else {
        "company.contact.detached"
    };
    app.notify(
        topic,
        json!({"type": "contact_company", "company": company, "contact": contact_ref}),
    );
    Ok(Json(company))
}

pub async fn list_segments(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let state = app.state.read();
    let contact = find(&state, &id)?;
    let segments = crate::segments::of_contact(&state, contact, app.now());
    Ok(Json(json!({"type": "list", "data": segments})))
}
