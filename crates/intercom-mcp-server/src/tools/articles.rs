//! Help-center articles: list, search, read, create, update.
//!
//! Names and arguments follow Intercom's hosted MCP server (`list_articles`,
//! `search_articles` with `phrase`/`state`/`help_center_id`/`highlight`,
//! `get_article`, `create_article`, `update_article`) so it is a drop-in.

use std::sync::Arc;

use intercom_api::{Article, ArticleInput, ArticleSearch};
use rmcp::handler::server::tool::Extension;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::context::IntercomServer;
use crate::output::{Json, PageArgs, Paging, Render, ToolError};
use crate::render::{Detail, html_to_text};
use crate::workspace_context::{Workspace, path_id};
use intercom_core::dates::iso;

/// Longest body shown in a summary; `detail: full` shows all of it.
const SUMMARY_BODY_CHARS: usize = 1_500;

#[derive(Debug, Serialize, JsonSchema)]
pub struct ArticleView {
    pub id: String,
    pub title: String,
    /// `published` or `draft`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The article's text (HTML turned to plain text); cut in summaries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// True when `body` was cut; call again with `detail: full` for all of it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub body_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_id: Option<i64>,
    /// Collection or section the article sits in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

impl Render for ArticleView {
    fn render(&self) -> String {
        let mut out = format!("Article {} [{}] {}", self.id, self.state, self.title);
        if let Some(url) = &self.url {
            out.push_str(&format!("\n{url}"));
        }
        if let Some(updated) = &self.updated_at {
            out.push_str(&format!("\nupdated {updated}"));
        }
        if let Some(description) = &self.description {
            out.push_str(&format!("\n{description}"));
        }
        if let Some(body) = &self.body {
            out.push_str(&format!("\n\n{body}"));
            if self.body_truncated {
                out.push_str("\n[… body cut; call get_article with detail: full for the rest]");
            }
        }
        out
    }
}

/// One line per article in lists and search results.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ArticleLine {
    pub id: String,
    pub title: String,
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ArticleList {
    pub articles: Vec<ArticleLine>,
    /// Matching snippets per article when `highlight` was asked for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub highlights: Vec<Map<String, Value>>,
    #[serde(flatten)]
    pub paging: Paging,
}

impl Render for ArticleList {
    fn render(&self) -> String {
        if self.articles.is_empty() {
            return "No articles match.".to_string();
        }
        let mut out = format!(
            "{} article(s){}:",
            self.articles.len(),
            self.paging
                .total_count
                .map(|t| format!(" of {t}"))
                .unwrap_or_default()
        );
        for a in &self.articles {
            out.push_str(&format!("\n- {} [{}] {}", a.id, a.state, a.title));
            if let Some(d) = &a.description {
                out.push_str(&format!(" — {d}"));
            }
        }
        if let Some(next) = &self.paging.next_cursor {
            out.push_str(&format!("\nMore: pass cursor `{next}`."));
        }
        out
    }
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ListArticlesArgs {
    #[serde(flatten)]
    pub page: PageArgs,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct SearchArticlesArgs {
    /// Words to look for in titles and bodies.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub phrase: Option<String>,
    /// `published`, `draft` or `all` (default: Intercom's, published).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub state: Option<String>,
    /// Only articles of this help center.
    #[serde(default, deserialize_with = "crate::args::opt_i64")]
    pub help_center_id: Option<i64>,
    /// Return matching snippets for each article.
    #[serde(default, deserialize_with = "crate::args::opt_bool")]
    pub highlight: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetArticleArgs {
    /// Article id.
    #[serde(deserialize_with = "crate::args::text")]
    pub id: String,
    /// `summary` (default: body cut to 1,500 characters) or `full`.
    #[serde(default, deserialize_with = "crate::render::opt_detail")]
    pub detail: Option<Detail>,
}

/// Fields an article can be created or updated with.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ArticleFields {
    /// Title of the article.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub title: Option<String>,
    /// Short description shown under the title.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub description: Option<String>,
    /// Body as HTML (plain text is accepted and kept as is).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub body: Option<String>,
    /// Admin id of the author. Default for create: the token's own admin.
    #[serde(default, deserialize_with = "crate::args::opt_i64")]
    pub author_id: Option<i64>,
    /// `published` or `draft`. Default for create: `draft`, so nothing goes public by accident.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub state: Option<String>,
    /// Collection or section id to put the article in.
    #[serde(default, deserialize_with = "crate::args::opt_i64")]
    pub parent_id: Option<i64>,
    /// `collection` (default) or `section`, the kind of `parent_id`.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub parent_type: Option<String>,
    /// Translations, as Intercom's `translated_content` object (locale → content).
    #[serde(default, deserialize_with = "crate::args::opt_json")]
    pub translated_content: Option<Value>,
}

impl ArticleFields {
    fn into_input(self) -> Result<ArticleInput, ToolError> {
        if let Some(state) = &self.state
            && state != "published"
            && state != "draft"
        {
            return Err(ToolError::invalid(format!(
                "state `{state}` is not valid; use `published` or `draft`"
            )));
        }
        Ok(ArticleInput {
            title: self.title,
            description: self.description,
            body: self.body,
            author_id: self.author_id,
            state: self.state,
            parent_id: self.parent_id,
            parent_type: self.parent_type,
            translated_content: self.translated_content,
            ..Default::default()
        })
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateArticleArgs {
    /// Article id.
    #[serde(deserialize_with = "crate::args::text")]
    pub id: String,
    #[serde(flatten)]
    pub fields: ArticleFields,
}

fn article_state(a: &Article) -> String {
    a.state.clone().unwrap_or_else(|| "unknown".to_string())
}

fn article_line(a: &Article, ws: &Workspace) -> ArticleLine {
    ArticleLine {
        id: a.id.clone().unwrap_or_default(),
        title: a.title.clone().unwrap_or_default(),
        state: article_state(a),
        description: a.description.clone().filter(|d| !d.is_empty()),
        url: a.url.clone().filter(|u| !u.is_empty()),
        updated_at: a.updated_at.map(|t| iso(t, ws.time_zone())),
    }
}

fn article_view(a: &Article, ws: &Workspace, detail: Detail) -> ArticleView {
    let text = a
        .body
        .as_deref()
        .map(html_to_text)
        .filter(|b| !b.is_empty());
    let (body, body_truncated) = match text {
        Some(body) if detail == Detail::Summary && body.chars().count() > SUMMARY_BODY_CHARS => {
            (Some(body.chars().take(SUMMARY_BODY_CHARS).collect()), true)
        }
        other => (other, false),
    };
    let tz = ws.time_zone();
    ArticleView {
        id: a.id.clone().unwrap_or_default(),
        title: a.title.clone().unwrap_or_default(),
        state: article_state(a),
        description: a.description.clone().filter(|d| !d.is_empty()),
        body,
        body_truncated,
        author_id: a.author_id,
        parent_id: a.parent_id,
        url: a.url.clone().filter(|u| !u.is_empty()),
        created_at: a.created_at.map(|t| iso(t, tz)),
        updated_at: a.updated_at.map(|t| iso(t, tz)),
    }
}

/// Articles are paged by number; the cursor carries the next page number.
fn page_number(cursor: Option<&str>) -> Result<u32, ToolError> {
    match cursor {
        None => Ok(1),
        Some(c) => c.parse::<u32>().ok().filter(|p| *p >= 1).ok_or_else(|| {
            ToolError::invalid(format!(
                "cursor `{c}` is not one this tool returned; omit it to start from the first page"
            ))
        }),
    }
}

#[tool_router(router = article_tools, vis = "pub")]
impl IntercomServer {
    #[tool(
        name = "list_articles",
        description = "List help-center articles, newest first. search_articles finds by topic.",
        annotations(title = "List articles", read_only_hint = true, open_world_hint = true)
    )]
    async fn list_articles(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<ListArticlesArgs>,
    ) -> Result<Json<ArticleList>, ToolError> {
        let page = page_number(args.page.cursor())?;
        let result = ws
            .api()
            .client()
            .list_articles(Some(page), Some(args.page.limit()))
            .await?;
        let next_cursor = result
            .next_page
            .map(|p| p.to_string())
            .or_else(|| result.next_cursor.clone());
        Ok(Json(ArticleList {
            articles: result.items.iter().map(|a| article_line(a, &ws)).collect(),
            highlights: Vec::new(),
            paging: Paging {
                total_count: result.total_count,
                next_cursor,
            },
        }))
    }

    #[tool(
        name = "search_articles",
        description = "Search help-center articles by words, optionally by state and help center, to answer from the knowledge base.",
        annotations(
            title = "Search articles",
            read_only_hint = true,
            open_world_hint = true
        )
    )]
    async fn search_articles(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<SearchArticlesArgs>,
    ) -> Result<Json<ArticleList>, ToolError> {
        let search = ArticleSearch {
            phrase: args.phrase,
            state: args.state,
            help_center_id: args.help_center_id,
            highlight: args.highlight,
        };
        let result = ws.api().client().search_articles(&search).await?;
        Ok(Json(ArticleList {
            articles: result
                .articles
                .iter()
                .map(|a| article_line(a, &ws))
                .collect(),
            highlights: result
                .highlights
                .into_iter()
                .filter_map(|h| match h {
                    Value::Object(o) => Some(o),
                    _ => None,
                })
                .collect(),
            paging: Paging {
                total_count: result.total_count.map(|t| t as u64),
                next_cursor: result.next_cursor,
            },
        }))
    }

    #[tool(
        name = "get_article",
        description = "Read one help-center article as text (`detail: full` for long bodies).",
        annotations(title = "Get article", read_only_hint = true, open_world_hint = true)
    )]
    async fn get_article(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<GetArticleArgs>,
    ) -> Result<Json<ArticleView>, ToolError> {
        let article = ws.api().client().get_article(&path_id(&args.id)?).await?;
        let detail = args.detail.unwrap_or(Detail::Summary);
        Ok(Json(article_view(&article, &ws, detail)))
    }

    #[tool(
        name = "create_article",
        description = "Create a help-center article (a draft unless state is published).",
        annotations(
            title = "Create article",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn create_article(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<ArticleFields>,
    ) -> Result<Json<ArticleView>, ToolError> {
        if args.title.as_deref().is_none_or(str::is_empty) {
            return Err(ToolError::invalid(
                "an article needs a `title`; give one (and a `body`)",
            ));
        }
        let mut input = args.into_input()?;
        if input.author_id.is_none() {
            let me = ws.my_admin_id().await?;
            input.author_id = Some(me.parse().map_err(|_| {
                ToolError::invalid(format!(
                    "the token's admin id `{me}` is not numeric; pass `author_id`"
                ))
            })?);
        }
        input.state.get_or_insert_with(|| "draft".to_string());
        let article = ws.api().client().create_article(&input).await?;
        Ok(Json(article_view(&article, &ws, Detail::Summary)))
    }

    #[tool(
        name = "update_article",
        description = "Change a help-center article's title, description, body, state, author or parent; only what is given changes.",
        annotations(
            title = "Update article",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn update_article(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<UpdateArticleArgs>,
    ) -> Result<Json<ArticleView>, ToolError> {
        let input = args.fields.into_input()?;
        let article = ws
            .api()
            .client()
            .update_article(&path_id(&args.id)?, &input)
            .await?;
        Ok(Json(article_view(&article, &ws, Detail::Summary)))
    }
}
