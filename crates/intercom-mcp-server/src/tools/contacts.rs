//! Contacts (users and leads): find (one profile or a list), create, update, merge,
//! archive, notes, tags and company membership.

use std::collections::HashMap;
use std::sync::Arc;

use intercom_api::{Company, Contact, ContactInput, Id, SearchQuery, SearchRequest};
use rmcp::handler::server::tool::Extension;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::context::IntercomServer;
use crate::output::{Done, Json, PageArgs, Paging, Render, Skipped, ToolError};
use crate::render::{Detail, html_to_text};
use crate::workspace_context::{Workspace, id_string, items, path_id, str_field};
use intercom_core::dates::iso;

/// Notes shown by `find_contact` with `detail: full`.
const NOTES_SHOWN: u32 = 5;

#[derive(Debug, Serialize, JsonSchema)]
pub struct CompanyRef {
    pub id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct NoteView {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Note text (HTML turned to plain text).
    pub text: String,
}

impl Render for NoteView {
    fn render(&self) -> String {
        format!(
            "Note {} added{}: {}",
            self.id,
            self.author
                .as_deref()
                .map(|a| format!(" by {a}"))
                .unwrap_or_default(),
            self.text
        )
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ContactView {
    pub id: String,
    /// `user` or `lead`.
    pub role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Your own id for this contact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// City, region, country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The admin who owns the contact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_replied_at: Option<String>,
    /// Tag names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub companies: Vec<CompanyRef>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub custom_attributes: Map<String, Value>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unsubscribed_from_emails: bool,
    /// How many notes teammates left on the contact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes_count: Option<i64>,
    /// Recent notes (`detail: full` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<NoteView>,
}

impl Render for ContactView {
    fn render(&self) -> String {
        let mut out = format!(
            "Contact {} ({}) {}",
            self.id,
            self.role,
            self.name.as_deref().unwrap_or("(no name)")
        );
        for (label, value) in [
            ("email", &self.email),
            ("phone", &self.phone),
            ("external id", &self.external_id),
            ("location", &self.location),
            ("owner", &self.owner),
            ("created", &self.created_at),
            ("last seen", &self.last_seen_at),
            ("last replied", &self.last_replied_at),
        ] {
            if let Some(v) = value {
                out.push_str(&format!("\n{label}: {v}"));
            }
        }
        if !self.tags.is_empty() {
            out.push_str(&format!("\ntags: {}", self.tags.join(", ")));
        }
        if !self.companies.is_empty() {
            let names: Vec<String> = self
                .companies
                .iter()
                .map(|c| format!("{} ({})", c.name, c.id))
                .collect();
            out.push_str(&format!("\ncompanies: {}", names.join(", ")));
        }
        for (k, v) in &self.custom_attributes {
            out.push_str(&format!("\n{k}: {}", crate::output::inline(v)));
        }
        if self.unsubscribed_from_emails {
            out.push_str("\nunsubscribed from emails");
        }
        match self.notes_count {
            Some(n) if n > 0 && self.notes.is_empty() => out.push_str(&format!(
                "\nnotes: {n} (find_contact with detail: full shows the latest)"
            )),
            Some(n) if n > self.notes.len() as i64 => out.push_str(&format!(
                "\nnotes: {n}, the latest {} below",
                self.notes.len()
            )),
            Some(0) => out.push_str("\nnotes: none"),
            _ => {}
        }
        for n in &self.notes {
            out.push_str(&format!(
                "\nnote {} by {}: {}",
                n.created_at.as_deref().unwrap_or("?"),
                n.author.as_deref().unwrap_or("?"),
                n.text
            ));
        }
        out
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ContactLine {
    pub id: String,
    pub role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ContactList {
    pub contacts: Vec<ContactLine>,
    #[serde(flatten)]
    pub paging: Paging,
    #[serde(flatten)]
    pub skipped: Skipped,
}

impl Render for ContactList {
    fn render(&self) -> String {
        if self.contacts.is_empty() {
            return format!("No contacts match.{}", self.skipped.note());
        }
        let mut out = format!(
            "{} contact(s){}:",
            self.contacts.len(),
            self.paging
                .total_count
                .map(|t| format!(" of {t}"))
                .unwrap_or_default()
        );
        for c in &self.contacts {
            out.push_str(&format!(
                "\n- {} ({}) {} {}",
                c.id,
                c.role,
                c.name.as_deref().unwrap_or("(no name)"),
                c.email.as_deref().unwrap_or("")
            ));
        }
        if let Some(next) = &self.paging.next_cursor {
            out.push_str(&format!("\nMore: pass cursor `{next}`."));
        }
        out.push_str(&self.skipped.note());
        out
    }
}

/// `find_contact`: one contact's profile, or a list of the contacts that match.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct FindContactArgs {
    /// Contact id (raw, `contact_…` or an Intercom URL).
    #[serde(default, deserialize_with = "crate::args::opt_contact_id")]
    pub id: Option<String>,
    /// Your own id for the contact (`external_id`).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub external_id: Option<String>,
    /// `full` adds recent notes.
    #[serde(default, deserialize_with = "crate::render::opt_detail")]
    #[schemars(with = "Option<String>")]
    pub detail: Option<Detail>,
    /// List matches even when one contact is named.
    #[serde(default, deserialize_with = "crate::args::opt_bool")]
    pub list: Option<bool>,
    #[serde(flatten)]
    pub search: SearchContactsArgs,
}

impl FindContactArgs {
    /// The profile of one contact is asked for: an id, external id, full email address or
    /// phone, and nothing that only a list answers (filters, paging, `list: true`).
    fn names_one(&self) -> bool {
        let s = &self.search;
        let full_email = s
            .email
            .as_deref()
            .is_some_and(|e| e.contains('@') && !e.trim().starts_with('@'));
        let identifies =
            self.id.is_some() || self.external_id.is_some() || full_email || s.phone.is_some();
        let partial_email = s.email.is_some() && !full_email;
        identifies && !(partial_email || self.asks_for_a_list())
    }

    /// Something only a list answers: a filter, paging or `list: true`.
    fn asks_for_a_list(&self) -> bool {
        let s = &self.search;
        self.list == Some(true)
            || s.ids.is_some()
            || s.name.is_some()
            || s.email_domain.is_some()
            || s.role.is_some()
            || s.tag.is_some()
            || s.custom_attributes.is_some()
            || s.created_after.is_some()
            || s.last_seen_after.is_some()
            || s.query.is_some()
            || s.page.limit.is_some()
            || s.page.cursor.is_some()
    }

    /// Anything at all is asked: an identifier, a filter, paging or `list: true`.
    fn asks_anything(&self) -> bool {
        let s = &self.search;
        self.id.is_some()
            || self.external_id.is_some()
            || s.email.is_some()
            || s.phone.is_some()
            || self.asks_for_a_list()
    }
}

/// What `find_contact` answers: a profile when one contact is named, else a list.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ContactAnswer {
    Profile(Box<ContactView>),
    List(ContactList),
}

impl Render for ContactAnswer {
    fn render(&self) -> String {
        match self {
            ContactAnswer::Profile(view) => view.render(),
            ContactAnswer::List(list) => list.render(),
        }
    }
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct SearchContactsArgs {
    /// Only these contact ids.
    #[serde(default, deserialize_with = "crate::args::opt_string_list")]
    pub ids: Option<Vec<String>>,
    /// Name contains this text.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub name: Option<String>,
    /// Email, or part of it.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub email: Option<String>,
    /// Phone number (exact).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub phone: Option<String>,
    /// Email domain, e.g. `acme.com`.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub email_domain: Option<String>,
    /// `user` or `lead`.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub role: Option<String>,
    /// Tag name or id the contacts carry.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub tag: Option<String>,
    /// Custom attributes to equal, e.g. `{"plan": "pro"}`.
    #[serde(default, deserialize_with = "crate::args::opt_object")]
    pub custom_attributes: Option<Map<String, Value>>,
    /// Created on or after: a date or words (`today`, `7d`, `last_week`).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub created_after: Option<String>,
    /// Seen on or after (as `created_after`).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub last_seen_after: Option<String>,
    /// Raw Intercom search query, ANDed with the rest.
    #[serde(default, deserialize_with = "crate::args::opt_json")]
    pub query: Option<Value>,
    #[serde(flatten)]
    pub page: PageArgs,
}

/// Standard and custom attributes of a contact.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ContactFields {
    /// `user` (identified customer) or `lead`.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub role: Option<String>,
    /// Email address.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub email: Option<String>,
    /// Full name.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub name: Option<String>,
    /// Phone number, ideally in international form (+44…).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub phone: Option<String>,
    /// Your own id for the contact.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub external_id: Option<String>,
    /// Admin who owns the contact: id, email, name or `me`.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub owner: Option<String>,
    /// True to unsubscribe the contact from emails, false to resubscribe.
    #[serde(default, deserialize_with = "crate::args::opt_bool")]
    pub unsubscribed_from_emails: Option<bool>,
    /// Custom attributes to set, e.g. `{"plan": "enterprise", "seats": 40}`. Others are kept.
    #[serde(default, deserialize_with = "crate::args::opt_object")]
    pub custom_attributes: Option<Map<String, Value>>,
}

impl ContactFields {
    async fn into_input(self, ws: &Workspace) -> Result<ContactInput, ToolError> {
        if let Some(role) = &self.role
            && role != "user"
            && role != "lead"
        {
            return Err(ToolError::invalid(format!(
                "role `{role}` is not valid; use `user` or `lead`"
            )));
        }
        let owner_id = match self.owner.as_deref() {
            Some(owner) => Some(ws.resolve_admin(owner).await?.0.into_string()),
            None => None,
        };
        Ok(ContactInput {
            role: self.role,
            external_id: self.external_id,
            email: self.email,
            phone: self.phone,
            name: self.name,
            owner_id,
            unsubscribed_from_emails: self.unsubscribed_from_emails,
            custom_attributes: self.custom_attributes,
            ..Default::default()
        })
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateContactArgs {
    /// Contact id (raw, `contact_…` or an Intercom URL).
    #[serde(deserialize_with = "crate::args::contact_id")]
    pub id: String,
    #[serde(flatten)]
    pub fields: ContactFields,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct MergeContactsArgs {
    /// The lead to merge away (it stops existing).
    #[serde(deserialize_with = "crate::args::contact_id")]
    pub from: String,
    /// The user that absorbs the lead's data and conversations.
    #[serde(deserialize_with = "crate::args::contact_id")]
    pub into: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ArchiveContactArgs {
    /// Contact id (raw, `contact_…` or an Intercom URL).
    #[serde(deserialize_with = "crate::args::contact_id")]
    pub id: String,
    /// Set to true to unarchive instead.
    #[serde(default, deserialize_with = "crate::args::opt_bool")]
    pub unarchive: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AddContactNoteArgs {
    /// Contact id (raw, `contact_…` or an Intercom URL).
    #[serde(deserialize_with = "crate::args::contact_id")]
    pub id: String,
    /// Text of the note (HTML allowed). Notes are internal; the customer never sees them.
    #[serde(deserialize_with = "crate::args::text")]
    pub body: String,
    /// Author: admin id, email, name or `me` (default: the token's admin).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub admin: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct TagContactArgs {
    /// Contact id (raw, `contact_…` or an Intercom URL).
    #[serde(deserialize_with = "crate::args::contact_id")]
    pub id: String,
    /// Tags to add, by name or id.
    #[serde(default, deserialize_with = "crate::args::opt_string_list")]
    pub add: Option<Vec<String>>,
    /// Tags to remove, by name or id.
    #[serde(default, deserialize_with = "crate::args::opt_string_list")]
    pub remove: Option<Vec<String>>,
    /// Create tags in `add` that do not exist yet (default false: unknown names are an error).
    #[serde(default, deserialize_with = "crate::args::opt_bool")]
    pub create_missing_tags: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AttachToCompanyArgs {
    /// Contact id (raw, `contact_…` or an Intercom URL).
    #[serde(deserialize_with = "crate::args::contact_id")]
    pub contact_id: String,
    /// The company: Intercom id (`company_…`), your own `company_id`, or its exact name.
    #[serde(deserialize_with = "crate::args::text")]
    pub company: String,
    /// Set to true to detach the contact from the company instead.
    #[serde(default, deserialize_with = "crate::args::opt_bool")]
    pub detach: Option<bool>,
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.clone().filter(|s| !s.trim().is_empty())
}

async fn tag_names(ws: &Workspace) -> Result<HashMap<String, String>, ToolError> {
    let tags = ws
        .cached_list(crate::workspace_context::Listed::Tags)
        .await?;
    Ok(items(&tags, "tags")
        .iter()
        .map(|t| (id_string(t.get("id")), str_field(t, "name")))
        .collect())
}

async fn contact_view(
    ws: &Workspace,
    contact: &Contact,
    detail: Detail,
) -> Result<ContactView, ToolError> {
    let client = ws.api().client();
    let id = Id::required(contact.id.as_deref(), "the contact in Intercom's answer")?;
    let tz = ws.time_zone();
    let (names, tags, companies) = tokio::try_join!(ws.names(), tag_names(ws), async {
        let has_companies = contact
            .companies
            .as_ref()
            .is_some_and(|c| c.total_count.unwrap_or(c.data.len() as i64) > 0);
        if has_companies {
            Ok(client.list_contact_companies(&id).await?.items)
        } else {
            Ok::<Vec<Company>, ToolError>(Vec::new())
        }
    })?;
    let notes = if detail == Detail::Full {
        client
            .list_contact_notes(&id, Some(1), Some(NOTES_SHOWN))
            .await?
            .items
            .into_iter()
            .map(|n| NoteView {
                id: n.id.unwrap_or_default(),
                created_at: n.created_at.map(|t| iso(t, tz)),
                author: n.author.and_then(|a| a.name),
                text: html_to_text(n.body.as_deref().unwrap_or_default()),
            })
            .collect()
    } else {
        Vec::new()
    };
    let location = contact.location.as_ref().and_then(|l| {
        let parts: Vec<&str> = [&l.city, &l.region, &l.country]
            .into_iter()
            .filter_map(|p| p.as_deref().filter(|s| !s.is_empty()))
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    });
    Ok(ContactView {
        id: id.into_string(),
        role: contact.role.clone().unwrap_or_else(|| "user".into()),
        name: non_empty(&contact.name),
        email: non_empty(&contact.email),
        phone: non_empty(&contact.phone),
        external_id: non_empty(&contact.external_id),
        location,
        owner: non_empty(&contact.owner_id).map(|o| names.describe_admin(&o)),
        created_at: contact.created_at.filter(|t| *t > 0).map(|t| iso(t, tz)),
        last_seen_at: contact.last_seen_at.filter(|t| *t > 0).map(|t| iso(t, tz)),
        last_replied_at: contact
            .last_replied_at
            .filter(|t| *t > 0)
            .map(|t| iso(t, tz)),
        tags: contact
            .tags
            .iter()
            .flat_map(|t| t.data.iter())
            .filter_map(|r| r.id.as_ref())
            .map(|id| tags.get(id).cloned().unwrap_or_else(|| id.clone()))
            .collect(),
        companies: companies
            .into_iter()
            .map(|c| CompanyRef {
                id: c.id.unwrap_or_default(),
                name: c.name.unwrap_or_default(),
            })
            .collect(),
        custom_attributes: contact
            .custom_attributes
            .clone()
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .collect(),
        unsubscribed_from_emails: contact.unsubscribed_from_emails.unwrap_or(false),
        notes_count: contact
            .notes
            .as_ref()
            .map(|n| n.total_count.unwrap_or(n.data.len() as i64)),
        notes,
    })
}

pub(crate) fn contact_line(c: &Contact, ws: &Workspace) -> ContactLine {
    ContactLine {
        id: c.id.clone().unwrap_or_default(),
        role: c.role.clone().unwrap_or_else(|| "user".into()),
        name: non_empty(&c.name),
        email: non_empty(&c.email),
        phone: non_empty(&c.phone),
        last_seen_at: c
            .last_seen_at
            .filter(|t| *t > 0)
            .map(|t| iso(t, ws.time_zone())),
    }
}

/// Contacts' date filters match whole days and take only `=`, `<`, `>`.
fn day_filter(
    field: &str,
    words: Option<&str>,
    dates: &intercom_core::dates::Dates,
    arg: &str,
) -> Result<Option<SearchQuery>, ToolError> {
    let Some(words) = words.map(str::trim).filter(|w| !w.is_empty()) else {
        return Ok(None);
    };
    let start = dates
        .start(words)
        .map_err(|e| ToolError::invalid(format!("{arg}: {e}")))?;
    Ok(Some(SearchQuery::field(field).gt(start - 1)))
}

pub(crate) async fn contact_query(
    ws: &Workspace,
    args: &SearchContactsArgs,
) -> Result<SearchQuery, ToolError> {
    let dates = ws.dates();
    let mut filters = Vec::new();
    if let Some(ids) = &args.ids {
        let ids = crate::args::normalize_ids(crate::args::IdKind::Contact, ids)
            .map_err(ToolError::invalid)?;
        filters.push(SearchQuery::field("id").is_in(ids));
    }
    if let Some(name) = &args.name {
        filters.push(SearchQuery::field("name").contains(name.as_str()));
    }
    if let Some(email) = &args.email {
        filters.push(if email.contains('@') && !email.starts_with('@') {
            SearchQuery::field("email").eq(email.as_str())
        } else {
            SearchQuery::field("email").contains(email.as_str())
        });
    }
    if let Some(phone) = &args.phone {
        filters.push(SearchQuery::field("phone").eq(phone.as_str()));
    }
    if let Some(domain) = &args.email_domain {
        filters.push(SearchQuery::field("email_domain").eq(domain.trim_start_matches('@')));
    }
    if let Some(role) = &args.role {
        filters.push(SearchQuery::field("role").eq(role.as_str()));
    }
    if let Some(tag) = &args.tag {
        let (tag_id, _) = ws.resolve_tag(tag, false).await?;
        filters.push(SearchQuery::field("tag_id").eq(tag_id));
    }
    for (key, value) in args.custom_attributes.iter().flatten() {
        let value = intercom_api::SearchValue::from_json(value).ok_or_else(|| {
            ToolError::invalid(format!(
                "custom_attributes.{key}: use a string, number or boolean value"
            ))
        })?;
        filters.push(SearchQuery::field(format!("custom_attributes.{key}")).eq(value));
    }
    filters.extend(day_filter(
        "created_at",
        args.created_after.as_deref(),
        &dates,
        "created_after",
    )?);
    filters.extend(day_filter(
        "last_seen_at",
        args.last_seen_after.as_deref(),
        &dates,
        "last_seen_after",
    )?);
    if let Some(raw) = &args.query {
        filters.push(SearchQuery::from_json(raw)?);
    }
    let query = match filters.len() {
        0 => SearchQuery::field("created_at").gt(0),
        1 => filters.remove(0),
        _ => SearchQuery::and(filters),
    };
    query.validate()?;
    Ok(query)
}

/// Find a company by Intercom id, your `company_id`, or exact name.
pub(crate) async fn find_company(ws: &Workspace, needle: &str) -> Result<Company, ToolError> {
    let needle = needle.trim();
    let bare = crate::args::normalize_id(crate::args::IdKind::Company, needle)
        .unwrap_or_else(|_| needle.to_string());
    let client = ws.api().client();
    let found = match client.find_company(&bare).await? {
        Some(company) => Some(company),
        None if bare != needle => client.find_company(needle).await?,
        None => None,
    };
    found.ok_or_else(|| {
        ToolError::not_found(format!(
            "no company matches `{needle}` by id, company_id or name; call list_companies to find it"
        ))
    })
}

/// The profile of the one contact `args` names (see [`FindContactArgs::names_one`]).
async fn one_contact(ws: &Workspace, args: FindContactArgs) -> Result<ContactView, ToolError> {
    let client = ws.api().client();
    let detail = args.detail.unwrap_or_default();
    let search = args.search;
    let contact = if let Some(id) = &args.id {
        Some(client.get_contact(&path_id(id)?).await?)
    } else if let Some(email) = &search.email {
        // People type addresses in any case; workspaces usually store them lower-cased.
        let email = email.trim();
        match client.find_contact_by_email(email).await? {
            None if email != email.to_lowercase() => {
                client.find_contact_by_email(&email.to_lowercase()).await?
            }
            found => found,
        }
    } else if let Some(external_id) = &args.external_id {
        client.find_contact_by_external_id(external_id).await?
    } else if let Some(phone) = &search.phone {
        let request =
            SearchRequest::new(SearchQuery::field("phone").eq(phone.as_str())).per_page(1);
        client
            .search_contacts(&request)
            .await?
            .items
            .into_iter()
            .next()
    } else {
        None
    };
    let Some(contact) = contact else {
        let what = search
            .email
            .or(args.external_id)
            .or(search.phone)
            .unwrap_or_default();
        return Err(ToolError::not_found(format!(
            "no contact matches `{what}`; try find_contact with part of the name or email (`name`, `email`)"
        )));
    };
    contact_view(ws, &contact, detail).await
}

#[tool_router(router = contact_tools, vis = "pub")]
impl IntercomServer {
    #[tool(
        name = "find_contact",
        description = "One contact's profile by id, external_id, full email or phone; with filters or `list: true`, one line per match, paged.",
        annotations(title = "Find contact", read_only_hint = true, open_world_hint = true)
    )]
    async fn find_contact(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<FindContactArgs>,
    ) -> Result<Json<ContactAnswer>, ToolError> {
        if !args.asks_anything() {
            return Err(ToolError::invalid(
                "give one of `email`, `external_id`, `phone` or `id` to find a contact, or filters \
                 (`name`, `email_domain`, `role`, `tag`, ...) or `list: true` to list contacts",
            ));
        }
        if args.names_one() {
            return Ok(Json(ContactAnswer::Profile(Box::new(
                one_contact(&ws, args).await?,
            ))));
        }
        let mut search = args.search;
        if let Some(id) = args.id {
            search.ids.get_or_insert_with(Vec::new).push(id);
        }
        let mut query = contact_query(&ws, &search).await?;
        if let Some(external_id) = &args.external_id {
            query = SearchQuery::and(vec![
                query,
                SearchQuery::field("external_id").eq(external_id.as_str()),
            ]);
        }
        let mut request = SearchRequest::new(query).per_page(search.page.limit());
        if let Some(cursor) = search.page.cursor() {
            request = request.starting_after(cursor);
        }
        let page = ws.api().client().search_contacts(&request).await?;
        Ok(Json(ContactAnswer::List(ContactList {
            contacts: page.items.iter().map(|c| contact_line(c, &ws)).collect(),
            paging: Paging::of(&page),
            skipped: Skipped::of(page.skipped),
        })))
    }

    #[tool(
        name = "create_contact",
        description = "Create a user (email or external_id) or a lead. Fails, changing nothing, if the user exists: use find_contact first.",
        annotations(
            title = "Create contact",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn create_contact(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<ContactFields>,
    ) -> Result<Json<ContactView>, ToolError> {
        let mut input = args.into_input(&ws).await?;
        let role = input.role.get_or_insert_with(|| "user".into()).clone();
        if role == "user" && input.email.is_none() && input.external_id.is_none() {
            return Err(ToolError::invalid(
                "a user needs an `email` or an `external_id`; give one, or create a `lead`",
            ));
        }
        let contact = ws.api().client().create_contact(&input).await?;
        Ok(Json(contact_view(&ws, &contact, Detail::Summary).await?))
    }

    #[tool(
        name = "update_contact",
        description = "Change a contact's standard and custom attributes; only the fields given change.",
        annotations(
            title = "Update contact",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn update_contact(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<UpdateContactArgs>,
    ) -> Result<Json<ContactView>, ToolError> {
        let input = args.fields.into_input(&ws).await?;
        if input == ContactInput::default() {
            return Err(ToolError::invalid(
                "nothing to update; give at least one attribute (e.g. `name` or `custom_attributes`)",
            ));
        }
        let contact = ws
            .api()
            .client()
            .update_contact(&path_id(&args.id)?, &input)
            .await?;
        Ok(Json(contact_view(&ws, &contact, Detail::Summary).await?))
    }

    #[tool(
        name = "merge_contacts",
        description = "Merge a lead (`from`) into a user (`into`); the lead stops existing. Cannot be undone.",
        annotations(
            title = "Merge contacts",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn merge_contacts(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<MergeContactsArgs>,
    ) -> Result<Json<ContactView>, ToolError> {
        if args.from == args.into {
            return Err(ToolError::invalid(
                "`from` and `into` are the same contact; give a lead and a different user",
            ));
        }
        let client = ws.api().client();
        let (from_id, into_id) = (path_id(&args.from)?, path_id(&args.into)?);
        let from = client.get_contact(&from_id).await?;
        if from.role.as_deref() != Some("lead") {
            return Err(ToolError::invalid(format!(
                "contact {} is a {}, but Intercom merges only a lead into a user; nothing was changed",
                args.from,
                from.role.as_deref().unwrap_or("contact")
            )));
        }
        let merged = client.merge_contacts(&from_id, &into_id).await?;
        Ok(Json(contact_view(&ws, &merged, Detail::Summary).await?))
    }

    #[tool(
        name = "archive_contact",
        description = "Archive a contact (data kept), or unarchive it.",
        annotations(
            title = "Archive contact",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn archive_contact(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<ArchiveContactArgs>,
    ) -> Result<Json<Done>, ToolError> {
        let client = ws.api().client();
        let id = path_id(&args.id)?;
        let unarchive = args.unarchive.unwrap_or(false);
        if unarchive {
            client.unarchive_contact(&id).await?;
        } else {
            client.archive_contact(&id).await?;
        }
        Ok(Json(Done {
            message: format!(
                "Contact {id} is {}.",
                if unarchive { "unarchived" } else { "archived" }
            ),
        }))
    }

    #[tool(
        name = "add_contact_note",
        description = "Add an internal note to a contact's profile.",
        annotations(
            title = "Add contact note",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn add_contact_note(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<AddContactNoteArgs>,
    ) -> Result<Json<NoteView>, ToolError> {
        if args.body.trim().is_empty() {
            return Err(ToolError::invalid("the note's `body` is empty"));
        }
        let (admin_id, admin_name) = ws.acting_admin(args.admin.as_deref()).await?;
        let note = ws
            .api()
            .client()
            .create_contact_note(&path_id(&args.id)?, &args.body, Some(&admin_id))
            .await?;
        Ok(Json(NoteView {
            id: note.id.unwrap_or_default(),
            created_at: note.created_at.map(|t| iso(t, ws.time_zone())),
            author: Some(admin_name),
            text: html_to_text(note.body.as_deref().unwrap_or(&args.body)),
        }))
    }

    #[tool(
        name = "tag_contact",
        description = "Add or remove tags on a contact, by name or id.",
        annotations(
            title = "Tag contact",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn tag_contact(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<TagContactArgs>,
    ) -> Result<Json<ContactView>, ToolError> {
        let add = args.add.unwrap_or_default();
        let remove = args.remove.unwrap_or_default();
        if add.is_empty() && remove.is_empty() {
            return Err(ToolError::invalid(
                "give tags to `add` and/or `remove` (names or ids)",
            ));
        }
        let create = args.create_missing_tags.unwrap_or(false);
        // Resolve every tag before writing anything, so a bad name changes nothing.
        let mut to_add = Vec::new();
        for tag in &add {
            to_add.push(ws.resolve_tag(tag, false).await.map(|t| t.0));
        }
        if !create && let Some(Err(e)) = to_add.iter().find(|r| r.is_err()) {
            return Err(e.clone());
        }
        let mut to_remove = Vec::new();
        for tag in &remove {
            to_remove.push(ws.resolve_tag(tag, false).await?.0);
        }
        let client = ws.api().client();
        let id = path_id(&args.id)?;
        for (tag, resolved) in add.iter().zip(to_add) {
            let tag_id = match resolved {
                Ok(tag_id) => tag_id,
                Err(_) => ws.resolve_tag(tag, true).await?.0,
            };
            client.tag_contact(&id, &tag_id).await?;
        }
        for tag_id in &to_remove {
            client.untag_contact(&id, tag_id).await?;
        }
        let contact = client.get_contact(&id).await?;
        Ok(Json(contact_view(&ws, &contact, Detail::Summary).await?))
    }

    #[tool(
        name = "attach_contact_to_company",
        description = "Attach a contact to a company (id, company_id or name), or detach it.",
        annotations(
            title = "Attach contact to company",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn attach_contact_to_company(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<AttachToCompanyArgs>,
    ) -> Result<Json<ContactView>, ToolError> {
        let company = find_company(&ws, &args.company).await?;
        let company_id = Id::required(
            company.id.as_deref(),
            format!(
                "the company `{}` (Intercom's answer gave it none)",
                args.company.trim()
            ),
        )?;
        let client = ws.api().client();
        let contact_id = path_id(&args.contact_id)?;
        if args.detach.unwrap_or(false) {
            client
                .detach_contact_from_company(&contact_id, &company_id)
                .await?;
        } else {
            client
                .attach_contact_to_company(&contact_id, &company_id)
                .await?;
        }
        let contact = client.get_contact(&contact_id).await?;
        Ok(Json(contact_view(&ws, &contact, Detail::Summary).await?))
    }
}
