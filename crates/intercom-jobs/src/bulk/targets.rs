//! Turning what the caller named (ids, emails, a search query, file rows) into
//! the exact list of targets, refusing more than the per-call cap.

use std::collections::HashSet;

use intercom_api::{Client, SearchQuery};
use serde_json::Value;

use super::BulkError;
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
    /// An Intercom search query (contacts and conversations).
    pub query: Option<Value>,
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
            && self.query.is_none()
            && self.rows.is_empty()
    }
}

/// The resolved targets: one item per object, in the order given.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub items: Vec<NewItem>,
}

impl Targets {
    pub fn runnable(&self) -> usize {
        self.items.iter().filter(|i| i.failed.is_none()).count()
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
                ", emails"
            } else {
                ""
            },
            if kind == TargetKind::Company {
                ""
            } else {
                " or a search query"
            },
        )));
    }
    if !spec.emails.is_empty() && kind != TargetKind::Contact {
        return Err(BulkError::Invalid(
            "emails only name contacts; give ids".into(),
        ));
    }
    let mut seen = HashSet::new();
    let mut items = Vec::new();
    let mut push = |items: &mut Vec<NewItem>, item: NewItem| {
        if item.failed.is_some() || seen.insert(item.id.clone()) {
            items.push(item);
        }
    };
    let named = spec.ids.len() + spec.emails.len() + spec.rows.len();
    if named > cap {
        return Err(over_cap(kind, named.to_string(), cap));
    }
    for id in &spec.ids {
        let id = id.trim();
        if !id.is_empty() {
            push(
                &mut items,
                NewItem {
                    id: id.into(),
                    label: id.into(),
                    payload: None,
                    failed: None,
                },
            );
        }
    }
    for email in &spec.emails {
        for item in contacts_by_email(client, email, None).await? {
            push(&mut items, item);
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
                },
            ),
            (None, Some(email)) if kind == TargetKind::Contact => {
                for item in contacts_by_email(client, email, row.payload.clone()).await? {
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
                    "companies cannot be selected by a search query; give company ids".into(),
                ));
            }
        };
        let query = SearchQuery::from_json(query).map_err(|e| BulkError::Invalid(e.to_string()))?;
        let room = cap.saturating_sub(items.len());
        for id in search_ids(client, path, kind.plural(), &query, room).await? {
            push(
                &mut items,
                NewItem {
                    label: id.clone(),
                    id,
                    payload: None,
                    failed: None,
                },
            );
        }
    }
    if items.len() > cap {
        return Err(over_cap(kind, items.len().to_string(), cap));
    }
    Ok(Targets { items })
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

/// Every contact with `email` (a user and a lead may share one); none is a failed item.
async fn contacts_by_email(
    client: &Client,
    email: &str,
    payload: Option<Value>,
) -> Result<Vec<NewItem>, BulkError> {
    let email = email.trim();
    let query = SearchQuery::field("email").eq(email);
    let ids = search_ids(client, "/contacts/search", "contacts", &query, 50).await?;
    if ids.is_empty() {
        return Ok(vec![NewItem {
            id: String::new(),
            label: email.into(),
            payload,
            failed: Some(format!("no contact has the email {email}")),
        }]);
    }
    Ok(ids
        .into_iter()
        .map(|id| NewItem {
            id,
            label: email.into(),
            payload: payload.clone(),
            failed: None,
        })
        .collect())
}

/// Ids matching a search, at most `cap` (more is refused with the total).
async fn search_ids(
    client: &Client,
    path: &str,
    list_key: &str,
    query: &SearchQuery,
    cap: usize,
) -> Result<Vec<String>, BulkError> {
    let mut ids = Vec::new();
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
        ids.extend(items.iter().filter_map(|o| o.get("id").and_then(id_string)));
        if ids.len() > cap {
            return Err(too_many(format!("more than {cap}")));
        }
        Ok(true)
    })
    .await?;
    Ok(ids)
}
