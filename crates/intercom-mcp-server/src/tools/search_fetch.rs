//! `search` and `fetch`, drop-in compatible with Intercom's hosted MCP server:
//! one query string in, prefixed ids (`conversation_123`, `contact_abc`) out.

use std::sync::Arc;

use rmcp::handler::server::tool::Extension;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::args::{IdKind, prefixed, split_prefixed};
use crate::context::IntercomServer;
use crate::output::{
    Json, PageArgs, Paging, Render, Skipped, ToolError, intercom_json, render_value,
};
use crate::query::{all_of, date_filter, filter};
use crate::render::Detail;
use crate::tools::conversations::{conversation_summary, load_conversation};
use crate::workspace_context::{Workspace, id_string, path_id, str_field};
use intercom_api::{SearchQuery, SearchRequest};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchArgs {
    /// `object_type:conversations|contacts`, `field:value` or `field:op:value` (op eq, neq, gt,
    /// lt, contains), `q:"text"`, `limit:10`, `starting_after:<cursor>`; bare words are text.
    pub query: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FetchArgs {
    /// Id from `search` (a bare id is a conversation).
    #[serde(deserialize_with = "crate::args::text")]
    pub id: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SearchHit {
    /// Prefixed id, for `fetch`.
    pub id: String,
    pub title: String,
    /// A short description of the match.
    pub text: String,
    /// Link to the object in Intercom.
    pub url: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SearchResults {
    pub results: Vec<SearchHit>,
    #[serde(flatten)]
    pub paging: Paging,
    #[serde(flatten)]
    pub skipped: Skipped,
}

impl Render for SearchResults {
    fn render(&self) -> String {
        let mut out = format!(
            "{} results{}\n",
            self.results.len(),
            self.paging
                .total_count
                .map(|t| format!(" of {t}"))
                .unwrap_or_default()
        );
        for r in &self.results {
            out.push_str(&format!("- {} {}: {}\n", r.id, r.title, r.text));
        }
        if let Some(next) = &self.paging.next_cursor {
            out.push_str(&format!("More: add starting_after:{next} to the query\n"));
        }
        out.push_str(&self.skipped.note());
        out.trim_end().to_string()
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FetchResult {
    /// The prefixed id.
    pub id: String,
    pub title: String,
    /// The full object as readable text.
    pub text: String,
    pub url: String,
    /// Key facts as fields.
    pub metadata: Map<String, Value>,
}

impl Render for FetchResult {
    fn render(&self) -> String {
        format!("{} — {}\n{}\n{}", self.id, self.title, self.url, self.text)
    }
}

/// Split on whitespace, keeping `"quoted text"` together (quotes removed).
fn tokens(query: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in query.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[derive(Debug, Default, PartialEq)]
struct ParsedQuery {
    object: String,
    filters: Vec<(String, String, String)>,
    text: Vec<String>,
    limit: Option<u32>,
    starting_after: Option<String>,
}

fn parse_query(query: &str) -> Result<ParsedQuery, ToolError> {
    let mut parsed = ParsedQuery {
        object: "conversations".into(),
        ..Default::default()
    };
    for token in tokens(query) {
        let Some((key, rest)) = token.split_once(':') else {
            parsed.text.push(token);
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        match key.as_str() {
            "object_type" | "type" => {
                parsed.object = match rest.trim().to_ascii_lowercase().as_str() {
                    "conversation" | "conversations" => "conversations".into(),
                    "contact" | "contacts" | "user" | "users" | "lead" | "leads" => {
                        "contacts".into()
                    }
                    other => {
                        return Err(ToolError::invalid(format!(
                            "object_type `{other}` is not searchable here; use object_type:conversations or object_type:contacts"
                        )));
                    }
                }
            }
            "q" | "text" => parsed.text.push(rest.to_string()),
            "limit" | "per_page" => {
                parsed.limit = Some(rest.trim().parse().map_err(|_| {
                    ToolError::invalid(format!("limit:{rest} is not a number; use e.g. limit:10"))
                })?)
            }
            "starting_after" | "cursor" => parsed.starting_after = Some(rest.to_string()),
            _ => {
                let (op, value) = match rest.split_once(':') {
                    Some((op, value))
                        if ["eq", "neq", "gt", "lt", "contains"]
                            .contains(&op.to_ascii_lowercase().as_str()) =>
                    {
                        (op.to_ascii_lowercase(), value.to_string())
                    }
                    _ => ("eq".to_string(), rest.to_string()),
                };
                if value.trim().is_empty() {
                    return Err(ToolError::invalid(format!("`{token}` has no value")));
                }
                parsed.filters.push((key, op, value));
            }
        }
    }
    Ok(parsed)
}

/// Friendly names for Intercom search fields.
fn field_name(object: &str, key: &str) -> String {
    match (object, key) {
        ("conversations", "source_type") => "source.type".into(),
        ("conversations", "author_email" | "source_author_email") => "source.author.email".into(),
        ("conversations", "author_name" | "source_author_name") => "source.author.name".into(),
        ("conversations", "body") => "source.body".into(),
        ("conversations", "subject") => "source.subject".into(),
        ("conversations", "tag_id") => "tag_ids".into(),
        ("conversations", "contact_id") => "contact_ids".into(),
        ("conversations", "assignee_id") => "admin_assignee_id".into(),
        _ => key.to_string(),
    }
}

fn is_date_field(field: &str) -> bool {
    field.ends_with("_at") || matches!(field, "waiting_since" | "snoozed_until")
}

fn build_filters(ws: &Workspace, parsed: &ParsedQuery) -> Result<Vec<Value>, ToolError> {
    let dates = ws.dates();
    let mut filters = Vec::new();
    for (key, op, value) in &parsed.filters {
        let field = field_name(&parsed.object, key);
        if is_date_field(&field) && matches!(op.as_str(), "gt" | "lt") {
            let operator = if op == "gt" { ">" } else { "<" };
            filters.extend(date_filter(&field, operator, Some(value), &dates, key)?);
            continue;
        }
        let operator = match op.as_str() {
            "eq" => "=",
            "neq" => "!=",
            "gt" => ">",
            "lt" => "<",
            _ => "~",
        };
        let typed = match value.to_ascii_lowercase().as_str() {
            "true" => json!(true),
            "false" => json!(false),
            _ if is_date_field(&field) => value.parse::<i64>().map(Value::from).map_err(|_| {
                ToolError::invalid(format!(
                    "{key}:{op}:{value} needs a Unix timestamp; use gt/lt for dates in words"
                ))
            })?,
            _ => json!(value),
        };
        filters.push(filter(&field, operator, typed));
    }
    let text: Vec<&str> = parsed
        .text
        .iter()
        .flat_map(|t| t.split(|c: char| !c.is_alphanumeric() && c != '@' && c != '.'))
        .filter(|w| !w.is_empty())
        .collect();
    if !text.is_empty() {
        if parsed.object == "conversations" {
            for word in text.iter().take(5) {
                filters.push(filter("source.body", "=", *word));
            }
        } else {
            let phrase = text.join(" ");
            filters.push(json!({"operator": "OR", "value": [
                filter("name", "~", phrase.clone()),
                filter("email", "~", phrase),
            ]}));
        }
    }
    Ok(filters)
}

async fn app_code(ws: &Workspace) -> String {
    ws.me()
        .await
        .ok()
        .and_then(|me| {
            me.pointer("/app/id_code")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| "_".into())
}

fn conversation_url(app: &str, id: &str) -> String {
    format!("https://app.intercom.com/a/inbox/{app}/inbox/conversation/{id}")
}

fn contact_url(app: &str, id: &str) -> String {
    format!("https://app.intercom.com/a/apps/{app}/users/{id}/all-conversations")
}

fn company_url(app: &str, id: &str) -> String {
    format!("https://app.intercom.com/a/apps/{app}/companies/{id}")
}

fn contact_title(c: &Value) -> String {
    let name = str_field(c, "name");
    let email = str_field(c, "email");
    match (name.is_empty(), email.is_empty()) {
        (false, false) => format!("{name} <{email}>"),
        (false, true) => name,
        (true, false) => email,
        (true, true) => format!("contact {}", id_string(c.get("id"))),
    }
}

fn contact_metadata(c: &Value) -> Map<String, Value> {
    let mut m = Map::new();
    for key in [
        "role",
        "email",
        "phone",
        "external_id",
        "created_at",
        "last_seen_at",
        "location",
    ] {
        if let Some(v) = c.get(key).filter(|v| !v.is_null() && *v != "") {
            m.insert(key.into(), v.clone());
        }
    }
    m
}

#[tool_router(router = search_fetch_tools, vis = "pub")]
impl IntercomServer {
    #[tool(
        name = "search",
        description = "Search conversations or contacts with one query string, as Intercom's hosted server does (`object_type:conversations state:open created_at:gt:7d q:\"refund\"`); results carry ids for `fetch`.",
        annotations(title = "Search", read_only_hint = true, open_world_hint = true)
    )]
    async fn search(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<Json<SearchResults>, ToolError> {
        let parsed = parse_query(&args.query)?;
        let query = all_of(build_filters(&ws, &parsed)?)?;
        let page = PageArgs {
            limit: parsed.limit,
            cursor: parsed.starting_after.clone(),
        };
        let mut request =
            SearchRequest::new(SearchQuery::from_json(&query)?).per_page(page.limit());
        if let Some(cursor) = page.cursor() {
            request = request.starting_after(cursor);
        }
        let app = app_code(&ws).await;
        if parsed.object == "contacts" {
            let found = ws.api().client().search_contacts(&request).await?;
            let results = found
                .items
                .iter()
                .map(intercom_json)
                .map(|c| {
                    let id = id_string(c.get("id"));
                    SearchHit {
                        id: prefixed(IdKind::Contact, &id),
                        title: contact_title(&c),
                        text: crate::output::inline(&Value::Object(contact_metadata(&c))),
                        url: contact_url(&app, &id),
                    }
                })
                .collect();
            return Ok(Json(SearchResults {
                results,
                paging: Paging::of(&found),
                skipped: Skipped::of(found.skipped),
            }));
        }
        let (found, names) = tokio::try_join!(
            async { Ok::<_, ToolError>(ws.api().client().search_conversations(&request).await?) },
            ws.names()
        )?;
        let results = found
            .items
            .iter()
            .map(|c| {
                let s = conversation_summary(&intercom_json(c), &names, ws.time_zone());
                let title = s
                    .title
                    .clone()
                    .unwrap_or_else(|| format!("Conversation {}", s.id));
                let text = format!(
                    "{} · {} · from {} · created {} · {}",
                    s.state,
                    s.assignee
                        .clone()
                        .or(s.team.clone())
                        .unwrap_or_else(|| "unassigned".into()),
                    s.from.clone().unwrap_or_else(|| "unknown".into()),
                    s.created_at,
                    s.preview
                );
                SearchHit {
                    id: prefixed(IdKind::Conversation, &s.id),
                    url: conversation_url(&app, &s.id),
                    title,
                    text,
                }
            })
            .collect();
        Ok(Json(SearchResults {
            results,
            paging: Paging::of(&found),
            skipped: Skipped::of(found.skipped),
        }))
    }

    #[tool(
        name = "fetch",
        description = "Full details of one object by the id `search` returned: conversation_<id>, contact_<id> or company_<id>.",
        annotations(title = "Fetch", read_only_hint = true, open_world_hint = true)
    )]
    async fn fetch(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<FetchArgs>,
    ) -> Result<Json<FetchResult>, ToolError> {
        let raw = args.id.trim();
        let (kind, id) = split_prefixed(raw).unwrap_or((IdKind::Conversation, raw.to_string()));
        let id = path_id(&id)?.to_string();
        let app = app_code(&ws).await;
        let result = match kind {
            IdKind::Conversation => {
                let view = load_conversation(&ws, &id, Detail::Full, 200).await?;
                let mut metadata = Map::new();
                metadata.insert("state".into(), json!(view.state));
                metadata.insert("created_at".into(), json!(view.created_at));
                if let Some(a) = &view.assignee {
                    metadata.insert("assignee".into(), json!(a));
                }
                if let Some(t) = &view.team {
                    metadata.insert("team".into(), json!(t));
                }
                if !view.tags.is_empty() {
                    metadata.insert("tags".into(), json!(view.tags));
                }
                FetchResult {
                    id: prefixed(IdKind::Conversation, &id),
                    title: view
                        .title
                        .clone()
                        .unwrap_or_else(|| format!("Conversation {id}")),
                    text: view.render(),
                    url: conversation_url(&app, &id),
                    metadata,
                }
            }
            IdKind::Contact => {
                let c = intercom_json(&ws.api().client().get_contact(&path_id(&id)?).await?);
                FetchResult {
                    id: prefixed(IdKind::Contact, &id),
                    title: contact_title(&c),
                    text: render_value(&c),
                    url: contact_url(&app, &id),
                    metadata: contact_metadata(&c),
                }
            }
            IdKind::Company => {
                let c = intercom_json(&ws.api().client().get_company(&path_id(&id)?).await?);
                let mut metadata = Map::new();
                for key in [
                    "company_id",
                    "plan",
                    "size",
                    "industry",
                    "monthly_spend",
                    "user_count",
                    "website",
                ] {
                    if let Some(v) = c.get(key).filter(|v| !v.is_null()) {
                        metadata.insert(key.into(), v.clone());
                    }
                }
                FetchResult {
                    id: prefixed(IdKind::Company, &id),
                    title: str_field(&c, "name"),
                    text: render_value(&c),
                    url: company_url(&app, &id),
                    metadata,
                }
            }
            IdKind::Ticket => {
                return Err(ToolError::invalid(format!(
                    "fetch reads conversations, contacts and companies; for `{raw}` use get_ticket"
                )));
            }
        };
        Ok(Json(result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_parse() {
        let p = parse_query(r#"object_type:contacts email:contains:@acme.com q:"jane doe" limit:5 starting_after:abc"#).unwrap();
        assert_eq!(p.object, "contacts");
        assert_eq!(
            p.filters,
            vec![("email".into(), "contains".into(), "@acme.com".into())]
        );
        assert_eq!(p.text, vec!["jane doe"]);
        assert_eq!(p.limit, Some(5));
        assert_eq!(p.starting_after.as_deref(), Some("abc"));
        let p = parse_query("state:open created_at:gt:7d refund").unwrap();
        assert_eq!(p.object, "conversations");
        assert_eq!(p.filters.len(), 2);
        assert_eq!(
            p.filters[1],
            ("created_at".into(), "gt".into(), "7d".into())
        );
        assert_eq!(p.text, vec!["refund"]);
        assert!(parse_query("object_type:articles").is_err());
        assert!(parse_query("limit:many").is_err());
    }
}
