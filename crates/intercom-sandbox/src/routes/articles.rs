//! Help-center articles: list, retrieve, create, update, delete and phrase search.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use serde_json::{Map, Value, json};

use super::common::{AppState, JsonResult};
use crate::errors::{ApiError, ApiResult};
use crate::input::{Fields, JsonBody, query_int};
use crate::store::{IdKind, State as Store};

fn article_not_found() -> ApiError {
    ApiError::resource_not_found()
}

/// Validated article fields from a create/update body.
fn read_article_fields(body: &Map<String, Value>, state: &Store) -> ApiResult<Map<String, Value>> {
    let mut fields = Map::new();
    for key in ["title", "description", "body", "body_markdown"] {
        if let Some(v) = body.opt_str(key)? {
            fields.insert(key.into(), json!(v));
        }
    }
    if let Some(state_value) = body.opt_str("state")? {
        if state_value != "published" && state_value != "draft" {
            return Err(ApiError::invalid(
                "state",
                "state must be published or draft",
            ));
        }
        fields.insert("state".into(), json!(state_value));
    }
    if let Some(author) = body.opt_id("author_id")? {
        if !state.admins.contains(&author) {
            return Err(ApiError::invalid(
                "author_id",
                format!("author_id {author} is not an admin of this workspace"),
            ));
        }
        fields.insert(
            "author_id".into(),
            json!(author.parse::<i64>().unwrap_or(0)),
        );
    }
    if let Some(parent) = body.opt_id("parent_id")? {
        fields.insert(
            "parent_ids".into(),
            json!([parent.parse::<i64>().unwrap_or(0)]),
        );
    }
    for key in [
        "ai_chatbot_availability",
        "ai_copilot_availability",
        "ai_sales_agent_availability",
    ] {
        if let Some(v) = body.opt_bool(key)? {
            fields.insert(key.into(), json!(v));
        }
    }
    Ok(fields)
}

fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

fn article_url(state: &Store, article: &Value) -> Value {
    if article["state"] != "published" {
        return Value::Null;
    }
    let base = state
        .help_centers
        .values()
        .next()
        .and_then(|h| h["url"].as_str().map(str::to_string))
        .unwrap_or_else(|| "https://help.example.com".to_string());
    json!(format!(
        "{base}/en/articles/{}-{}",
        article["id"].as_str().unwrap_or_default(),
        slug(article["title"].as_str().unwrap_or_default())
    ))
}

pub async fn list(
    State(app): AppState,
    Query(query): Query<HashMap<String, String>>,
) -> JsonResult {
    let page = query_int(query.get("page"), "page")?.unwrap_or(1).max(1) as usize;
    let per_page = super::common::query_per_page(&query, 25, 150)?;
    let state = app.state.read();
    let total = state.articles.len();
    let data: Vec<Value> = state
        .articles
        .values()
        .skip((page - 1) * per_page)
        .take(per_page)
        .cloned()
        .collect();
    Ok(Json(json!({
        "type": "list",
        "pages": {"type": "pages", "page": page, "per_page": per_page, "total_pages": total.div_ceil(per_page)},
        "total_count": total,
        "data": data,
    })))
}

pub async fn get(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let state = app.state.read();
    state
        .articles
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(article_not_found)
}

pub async fn create(State(app): AppState, JsonBody(body): JsonBody) -> JsonResult {
    body.req_str("title")?;
    if body.opt_id("author_id")?.is_none() {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "parameter_not_found",
            "author_id must be in the main body or default locale translated_content object",
        )
        .with_field("author_id"));
    }
    let now = app.now();
    let mut state = app.state.write();
    let fields = read_article_fields(&body, &state)?;
    let id = state.numeric_id(IdKind::Article);
    let mut article = json!({
        "type": "article",
        "id": id,
        "workspace_id": state.app_id,
        "title": "",
        "description": "",
        "body": "",
        "author_id": 0,
        "state": "draft",
        "created_at": now,
        "updated_at": now,
        "url": null,
        "parent_ids": [],
        "default_locale": "en",
        "tags": {"type": "tag.list", "tags": []},
        "statistics": {"type": "article_statistics", "views": 0, "conversations": 0, "reactions": 0, "happy_reaction_percentage": 0, "neutral_reaction_percentage": 0, "sad_reaction_percentage": 0},
    });
    for (k, v) in fields {
        article[k.as_str()] = v;
    }
    article["url"] = article_url(&state, &article);
    state.articles.insert(id, article.clone());
    Ok(Json(article))
}

pub async fn update(
    State(app): AppState,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> JsonResult {
    let now = app.now();
    let mut state = app.state.write();
    if !state.articles.contains(&id) {
        return Err(article_not_found());
    }
    let fields = read_article_fields(&body, &state)?;
    let mut article = state.articles.get(&id).cloned().unwrap_or(Value::Null);
    for (k, v) in fields {
        article[k.as_str()] = v;
    }
    article["updated_at"] = json!(now);
    article["url"] = article_url(&state, &article);
    state.articles.insert(id, article.clone());
    Ok(Json(article))
}

pub async fn delete(State(app): AppState, Path(id): Path<String>) -> JsonResult {
    let mut state = app.state.write();
    state.articles.remove(&id).ok_or_else(article_not_found)?;
    Ok(Json(
        json!({"id": id, "object": "article", "deleted": true}),
    ))
}

fn plain(text: &str) -> String {
    crate::domain::text::strip_tags(text)
}

/// Splits `text` into plain/highlight chunks around case-insensitive matches of `words`.
fn highlight(text: &str, words: &[String]) -> Vec<Value> {
    let lower = text.to_lowercase();
    if lower.len() != text.len() {
        return vec![json!({"type": "plain", "text": text})];
    }
    let mut chunks = Vec::new();
    let mut cursor = 0;
    while cursor < text.len() {
        let next = words
            .iter()
            .filter_map(|w| {
                lower[cursor..]
                    .find(w.as_str())
                    .map(|i| (cursor + i, w.len()))
            })
            .min_by_key(|(i, _)| *i);
        match next {
            Some((start, len)) if len > 0 => {
                if start > cursor {
                    chunks.push(json!({"type": "plain", "text": &text[cursor..start]}));
                }
                chunks.push(json!({"type": "highlight", "text": &text[start..start + len]}));
                cursor = start + len;
            }
            _ => {
                chunks.push(json!({"type": "plain", "text": &text[cursor..]}));
                break;
            }
        }
    }
    chunks
}

/// `GET /articles/search?phrase=&state=&help_center_id=&highlight=`.
pub async fn search(
    State(app): AppState,
    Query(query): Query<HashMap<String, String>>,
) -> JsonResult {
    let phrase = query.get("phrase").cloned().unwrap_or_default();
    let words: Vec<String> = phrase
        .split_whitespace()
        .map(str::to_lowercase)
        .filter(|w| !w.is_empty())
        .collect();
    let wanted_state = match query.get("state").map(String::as_str) {
        None | Some("") | Some("all") => None,
        Some(s @ ("published" | "draft")) => Some(s.to_string()),
        Some(other) => {
            return Err(ApiError::invalid(
                "state",
                format!("state must be published, draft or all (got '{other}')"),
            ));
        }
    };
    if let Some(hc) = query.get("help_center_id")
        && hc.parse::<i64>().is_err()
    {
        return Err(ApiError::invalid(
            "help_center_id",
            "help_center_id must be an integer",
        ));
    }
    let with_highlights = query.get("highlight").map(String::as_str) == Some("true");
    let state = app.state.read();
    let matches: Vec<&Value> = state
        .articles
        .values()
        .filter(|a| {
            wanted_state
                .as_ref()
                .is_none_or(|s| a["state"].as_str() == Some(s))
        })
        .filter(|a| {
            let text = format!(
                "{} {} {}",
                a["title"].as_str().unwrap_or_default(),
                a["description"].as_str().unwrap_or_default(),
                plain(a["body"].as_str().unwrap_or_default())
            )
            .to_lowercase();
            words.iter().all(|w| text.contains(w.as_str()))
        })
        .collect();
    let highlights: Vec<Value> = if with_highlights {
        matches
            .iter()
            .map(|a| {
                let summary = plain(a["body"].as_str().unwrap_or_default());
                let summary: String = summary.chars().take(200).collect();
                json!({
                    "article_id": a["id"],
                    "highlighted_title": highlight(a["title"].as_str().unwrap_or_default(), &words),
                    "highlighted_summary": [highlight(&summary, &words)],
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let total = matches.len();
    Ok(Json(json!({
        "type": "list",
        "total_count": total,
        "data": {"articles": matches, "highlights": highlights},
        "pages": {"type": "pages", "page": 1, "per_page": total.max(10), "total_pages": if total > 0 { 1 } else { 0 }},
    })))
}
