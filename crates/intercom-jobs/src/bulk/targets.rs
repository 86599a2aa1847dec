//! Turning what the caller named (ids, emails, a company, a search query, file rows)
//! into the exact list of targets, refusing more than the per-call cap. Every target
//! is checked to exist before a job starts: ids that name nothing are reported up front
//! (never sent as writes), email-shaped ids of contacts are looked up as emails, and
//! email-shaped ids of other objects are refused.

use std::collections::{HashMap, HashSet};

use futures::StreamExt;
use intercom_api::{Client, Id, SearchQuery};
use serde_json::Value;

use super::BulkError;
use super::ops::Operation;
use super::store::NewItem;
use crate::analytics::source::search_pages;
use intercom_mirror::columns::id_string;

/// The kind of object targeted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Contact,
    Company,
    Conversation,
}

impl TargetKind {
    fn plural(self) -> &'static str {
        match self {
            TargetKind::Contact => "contacts",
            TargetKind::Company => "companies",
            TargetKind::Conversation => "conversations",
        }
    }
}

/// How the caller named the targets.
#[derive(Debug, Clone, Default)]
pub struct TargetSpec {
    pub ids: Vec<String>,
    /// Contacts only.
    pub emails: Vec<String>,
    /// Contacts only: the contacts of this company (Intercom id, `company_id` or name).
    pub company: Option<String>,
    /// An Intercom search query (contacts and conversations).
    pub query: Option<Value>,
    /// Ids a search found that Intercom cannot run (full-text search of the mirror, an SLA
    /// status): read and checked like `ids`; `Some(vec![])` selects nothing (a dry run then
    /// lists no targets) rather than naming no targets at all.
    pub selected: Option<Vec<String>>,
    /// Rows read from a file: id or email plus per-item attributes.
    pub rows: Vec<FileRow>,
}

/// One row of a CSV/JSONL input file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileRow {
    pub id: Option<String>,
    pub email: Option<String>,
    /// Attributes for this target (update-contacts).
    pub payload: Option<Value>,
}

impl TargetSpec {
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
            && self.emails.is_empty()
            && self.company.is_none()
            && self.query.is_none()
            && self.selected.is_none()
            && self.rows.is_empty()
    }
}

/// The resolved targets: one item per object, in the order given.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub items: Vec<NewItem>,
    /// The objects read while resolving, by id (for labels and "already done" checks).
    pub objects: HashMap<String, Value>,
}

impl Targets {
    pub fn runnable(&self) -> usize {
        self.items.iter().filter(|i| i.failed.is_none()).count()
    }

    /// Whether `item` already shows `operation`'s change, as its object read while
    /// resolving says (false when that object was not read or does not tell).
    pub fn shows_change(&self, operation: &Operation, item: &NewItem) -> bool {
        item.failed.is_none()
            && self
                .objects
                .get(&item.id)
                .and_then(|o| operation.shows_change(o, item.payload.as_ref()))
                .unwrap_or(false)
    }
}

fn over_cap(kind: TargetKind, count: String, cap: usize) -> BulkError {
    BulkError::Invalid(format!(
        "this would touch {count} {}, more than the cap of {cap} per call: narrow the query or \
         split the ids into several calls (the operator can raise the cap with \
         --bulk-max-items / INTERCOM_MCP_BULK_MAX_ITEMS)",
        kind.plural()
    ))
}

fn looks_like_email(text: &str) -> bool {
    let text = text.trim();
    text.contains('@') && !text.starts_with('@') && !text.contains('/')
}

/// Resolve `spec` for `kind`; more than `cap` targets is refused.
pub async fn resolve(
    client: &Client,
    kind: TargetKind,
    spec: &TargetSpec,
    cap: usize,
) -> Result<Targets, BulkError> {
    if spec.is_empty() {
        return Err(BulkError::Invalid(format!(
            "no targets: give {} ids{}{}",
            kind.singular_name(),
            if kind == TargetKind::Contact {
                ", emails, a company"
            } else {
                ""
            },
            if kind == TargetKind::Company {
                ""
            } else {
                " or filters / a search query"
            },
        )));
    }
    if kind != TargetKind::Contact {
        if !spec.emails.is_empty() {
            return Err(BulkError::Invalid(format!(
                "emails only name contacts; give {} ids",
                kind.singular_name()
            )));
        }
        if spec.company.is_some() {
            return Err(BulkError::Invalid(format!(
                "company selects contacts (the people of a company); give {} ids",
                kind.singular_name()
            )));
        }
        if let Some(email) = spec.ids.iter().find(|id| looks_like_email(id)) {
            return Err(BulkError::Invalid(format!(
                "`{}` is an email, not a {} id: nothing was sent. Give {} ids{}",
                email.trim(),
                kind.singular_name(),
                kind.singular_name(),
                if kind == TargetKind::Conversation {
                    ", or select them with filters such as contact_email"
                } else {
                    ""
                }
            )));
        }
    }
    let mut seen = HashSet::new();
    let mut items = Vec::new();
    let mut objects = HashMap::new();
    let mut push = |items: &mut Vec<NewItem>, item: NewItem| {
        if item.failed.is_some() || seen.insert(item.id.clone()) {
            items.push(item);
        }
    };
    let selected = spec.selected.as_deref().unwrap_or_default();
    let named = spec.ids.len() + selected.len() + spec.emails.len() + spec.rows.len();
    if named > cap {
        return Err(over_cap(kind, named.to_string(), cap));
    }
    // Ids: contacts given by email-shaped "ids" are looked up as emails.
    let (email_ids, ids): (Vec<&String>, Vec<&String>) = spec
        .ids
        .iter()
        .chain(selected)
        .filter(|id| !id.trim().is_empty())
        .partition(|id| kind == TargetKind::Contact && looks_like_email(id));
    let ids: Vec<String> = ids.iter().map(|id| id.trim().to_string()).collect();
    let found = objects_by_id(client, kind, &ids).await?;
    for id in &ids {
        match found.get(id) {
            Some(object) => {
                objects.insert(id.clone(), object.clone());
                push(
                    &mut items,
                    NewItem {
                        id: id.clone(),
                        label: describe(kind, object),
                        payload: None,
                        failed: None,
                        unchanged: false,
                    },
                );
            }
            None => push(
                &mut items,
                NewItem {
                    id: id.clone(),
                    label: id.clone(),
                    payload: None,
                    failed: Some(format!("no {} has the id {id}", kind.singular_name())),
                    unchanged: false,
                },
            ),
        }
    }
    for email in email_ids.into_iter().chain(&spec.emails) {
        for (item, object) in contacts_by_email(client, email, None).await? {
            if let Some(object) = object {
                objects.insert(item.id.clone(), object);
            }
            push(&mut items, item);
        }
    }
    if let Some(company) = spec.company.as_deref() {
        let room = cap.saturating_sub(items.len());
        for (id, object) in company_contacts(client, company, room).await? {
            push(
                &mut items,
                NewItem {
                    id: id.clone(),
                    label: describe(kind, &object),
                    payload: None,
                    failed: None,
                    unchanged: false,
                },
            );
            objects.insert(id, object);
        }
    }
    for row in &spec.rows {
        match (&row.id, &row.email) {
            (Some(id), _) => push(
                &mut items,
                NewItem {
                    id: id.clone(),
                    label: row.email.clone().unwrap_or_else(|| id.clone()),
                    payload: row.payload.clone(),
                    failed: None,
                    unchanged: false,
                },
            ),
            (None, Some(email)) if kind == TargetKind::Contact => {
                for (item, object) in contacts_by_email(client, email, row.payload.clone()).await? {
                    if let Some(object) = object {
                        objects.insert(item.id.clone(), object);
                    }
                    push(&mut items, item);
                }
            }
            _ => {
                return Err(BulkError::Invalid(format!(
                    "a row has no id{}: every row needs one",
                    if kind == TargetKind::Contact {
                        " or email"
                    } else {
                        ""
                    }
                )));
            }
        }
    }
    if let Some(query) = &spec.query {
        let path = match kind {
            TargetKind::Contact => "/contacts/search",
            TargetKind::Conversation => "/conversations/search",
            TargetKind::Company => {
                return Err(BulkError::Invalid(
                    "companies cannot be selected by a search query or filters; give company ids"
                        .into(),
                ));
            }
        };
        let query = SearchQuery::from_json(query).map_err(|e| BulkError::Invalid(e.to_string()))?;
        let room = cap.saturating_sub(items.len());
        for object in search_objects(client, path, kind.plural(), &query, room).await? {
            let Some(id) = object.get("id").and_then(id_string) else {
                continue;
            };
            push(
                &mut items,
                NewItem {
                    label: describe(kind, &object),
                    id: id.clone(),
                    payload: None,
                    failed: None,
                    unchanged: false,
                },
            );
            objects.insert(id, object);
        }
    }
    if items.len() > cap {
        return Err(over_cap(kind, items.len().to_string(), cap));
    }
    Ok(Targets { items, objects })
}

/// A target as a person reads it: `Ann Lee <ann@example.com>`, `#123 "Refund please"
/// from Ann Lee <ann@…> (open)`, `Acme (acme-1)`.
pub fn describe(kind: TargetKind, object: &Value) -> String {
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let id = object.get("id").and_then(id_string).unwrap_or_default();
    let person = |name: Option<String>, email: Option<String>| match (name, email) {
        (Some(n), Some(e)) => Some(format!("{n} <{e}>")),
        (Some(n), None) => Some(n),
        (None, Some(e)) => Some(e),
        (None, None) => None,
    };
    match kind {
        TargetKind::Contact => {
            person(text(object.get("name")), text(object.get("email"))).unwrap_or(id)
        }
        TargetKind::Company => match (text(object.get("name")), text(object.get("company_id"))) {
            (Some(n), Some(c)) if n != c => format!("{n} ({c})"),
            (Some(n), _) => n,
            (None, Some(c)) => c,
            (None, None) => id,
        },
        TargetKind::Conversation => {
            let mut out = format!("#{id}");
            let title = text(object.get("title"))
                .or_else(|| text(object.pointer("/source/subject")))
                .or_else(|| text(object.pointer("/source/body")).map(|b| strip_tags(&b)));
            if let Some(title) = title.filter(|t| !t.is_empty()) {
                let short: String = title.chars().take(60).collect();
                let more = if title.chars().count() > 60 {
                    "…"
                } else {
                    ""
                };
                out.push_str(&format!(" \"{short}{more}\""));
            }
            let author = person(
                text(object.pointer("/source/author/name")),
                text(object.pointer("/source/author/email")),
            );
            if let Some(author) = author {
                out.push_str(&format!(" from {author}"));
            }
            if let Some(state) = text(object.get("state")) {
                out.push_str(&format!(" ({state})"));
            }
            out
        }
    }
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut inside = false;
    for c in html.chars() {
        match c {
            '<' => inside = true,
            '>' if inside => {
                inside = false;
                out.push(' ');
            }
            _ if !inside => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The objects with these ids, read in few requests (a search by id for contacts and
/// conversations, one read per company); ids that name nothing are absent.
async fn objects_by_id(
    client: &Client,
    kind: TargetKind,
    ids: &[String],
) -> Result<HashMap<String, Value>, BulkError> {
    let mut found = HashMap::new();
    if ids.is_empty() {
        return Ok(found);
    }
    let path = match kind {
        TargetKind::Contact => "/contacts/search",
        TargetKind::Conversation => "/conversations/search",
        TargetKind::Company => {
            let reads = futures::stream::iter(ids.iter().cloned())
                .map(|id| async move {
                    let Ok(checked) = Id::new(&id) else {
                        return Ok((id, None));
                    };
                    match client.get_company(&checked).await {
                        Ok(company) => Ok((id, serde_json::to_value(company).ok())),
                        Err(e) if e.is_not_found() => Ok((id, None)),
                        Err(e) => Err(BulkError::from(e)),
                    }
                })
                .buffer_unordered(4)
                .collect::<Vec<_>>()
                .await;
            for read in reads {
                if let (id, Some(object)) = read? {
                    found.insert(id, object);
                }
            }
            return Ok(found);
        }
    };
    for chunk in ids.chunks(100) {
        let query = SearchQuery::field("id").is_in(chunk.to_vec());
        for object in search_objects(client, path, kind.plural(), &query, chunk.len()).await? {
            if let Some(id) = object.get("id").and_then(id_string) {
                found.insert(id, object);
            }
        }
    }
    Ok(found)
}

/// The contacts of a company given by Intercom id, `company_id` or name, at most `cap`.
async fn company_contacts(
    client: &Client,
    company: &str,
    cap: usize,
) -> Result<Vec<(String, Value)>, BulkError> {
    let found = client.find_company(company).await?.ok_or_else(|| {
        BulkError::Invalid(format!(
            "no company matches `{}` by id, company_id or name",
            company.trim()
        ))
    })?;
    let company_id = Id::required(found.id.as_deref(), format!("the company `{company}`"))?;
    let name = found
        .name
        .clone()
        .unwrap_or_else(|| company.trim().to_string());
    let mut stream =
        std::pin::pin!(client.list_company_contacts_stream(&company_id, Some(50), cap + 1));
    let mut out = Vec::new();
    while let Some(contact) = stream.next().await {
        let contact = contact?;
        let Some(id) = contact.id.clone().filter(|id| !id.trim().is_empty()) else {
            continue;
        };
        if out.len() == cap {
            return Err(BulkError::Invalid(format!(
                "the company {name} has more than {cap} contacts, more than the cap per call: \
                 narrow it with filters (the operator can raise the cap with --bulk-max-items / \
                 INTERCOM_MCP_BULK_MAX_ITEMS)"
            )));
        }
        out.push((id, serde_json::to_value(contact).unwrap_or(Value::Null)));
    }
    if out.is_empty() {
        return Err(BulkError::Invalid(format!(
            "the company {name} has no contacts: nothing to do"
        )));
    }
    Ok(out)
}

impl TargetKind {
    fn singular_name(self) -> &'static str {
        match self {
            TargetKind::Contact => "contact",
            TargetKind::Company => "company",
            TargetKind::Conversation => "conversation",
        }
    }
}

/// Every contact with `email` (a user and a lead may share one), with its object; none
/// is a failed item.
async fn contacts_by_email(
    client: &Client,
    email: &str,
    payload: Option<Value>,
) -> Result<Vec<(NewItem, Option<Value>)>, BulkError> {
    let email = email.trim();
    let query = SearchQuery::field("email").eq(email);
    let found = search_objects(client, "/contacts/search", "contacts", &query, 50).await?;
    let found: Vec<(String, Value)> = found
        .into_iter()
        .filter_map(|o| Some((o.get("id").and_then(id_string)?, o)))
        .collect();
    if found.is_empty() {
        return Ok(vec![(
            NewItem {
                id: String::new(),
                label: email.into(),
                payload,
                failed: Some(format!("no contact has the email {email}")),
                unchanged: false,
            },
            None,
        )]);
    }
    Ok(found
        .into_iter()
        .map(|(id, object)| {
            (
                NewItem {
                    id,
                    label: describe(TargetKind::Contact, &object),
                    payload: payload.clone(),
                    failed: None,
                    unchanged: false,
                },
                Some(object),
            )
        })
        .collect())
}

/// Objects matching a search, at most `cap` (more is refused with the total).
async fn search_objects(
    client: &Client,
    path: &str,
    list_key: &str,
    query: &SearchQuery,
    cap: usize,
) -> Result<Vec<Value>, BulkError> {
    let mut found = Vec::new();
    let too_many = |count: String| {
        BulkError::Invalid(format!(
            "the query matches {count} {list_key}, more than the cap of {cap} per call: narrow \
             it (the operator can raise the cap with --bulk-max-items / INTERCOM_MCP_BULK_MAX_ITEMS)"
        ))
    };
    search_pages(client, path, list_key, query, |items, total| {
        if let Some(total) = total.filter(|t| *t as usize > cap) {
            return Err(too_many(total.to_string()));
        }
        found.extend(items.iter().filter(|o| o.is_object()).cloned());
        if found.len() > cap {
            return Err(too_many(format!("more than {cap}")));
        }
        Ok(true)
    })
    .await?;
    Ok(found)
}
