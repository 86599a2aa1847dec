//! Workspace tools: who am I, admins, teams, tags, segments, data attributes.

use std::sync::Arc;

use intercom_api::DataAttributeModel;
use rmcp::handler::server::tool::Extension;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::context::IntercomServer;
use crate::output::{Json, Render, Skipped, ToolError};
use crate::workspace_context::{Listed, Workspace, id_string, items, str_field};

#[derive(Debug, Serialize, JsonSchema)]
pub struct AdminSummary {
    /// Admin id.
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// True when the admin is away (not receiving assignments).
    pub away: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    /// Names of the admin's teams.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct WhoAmI {
    /// The admin the access token acts as (the default author of replies and notes).
    pub admin: AdminSummary,
    /// The workspace (Intercom "app").
    pub workspace_id: String,
    pub workspace_name: String,
    /// Intercom API version this server speaks.
    pub api_version: String,
    /// Time zone used for dates such as `today` and for rendered times.
    pub time_zone: String,
}

impl Render for WhoAmI {
    fn render(&self) -> String {
        format!(
            "You are {} (admin {}{}) in workspace {} ({}). API {}, time zone {}.",
            self.admin.name,
            self.admin.id,
            self.admin
                .email
                .as_deref()
                .map(|e| format!(", {e}"))
                .unwrap_or_default(),
            self.workspace_name,
            self.workspace_id,
            self.api_version,
            self.time_zone
        )
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AdminList {
    pub admins: Vec<AdminSummary>,
    pub total_count: u64,
}
impl Render for AdminList {}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ListAdminsArgs {
    /// Only admins whose away status matches (true = away, false = available).
    #[serde(default, deserialize_with = "crate::args::opt_bool")]
    pub away: Option<bool>,
    /// Only admins whose name or email contains this text (case-insensitive).
    #[serde(default)]
    pub name_contains: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TeamSummary {
    pub id: String,
    pub name: String,
    /// Names of the team's members.
    pub members: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TeamList {
    pub teams: Vec<TeamSummary>,
    pub total_count: u64,
}
impl Render for TeamList {}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TagSummary {
    pub id: String,
    pub name: String,
}
impl Render for TagSummary {
    fn render(&self) -> String {
        format!("Tag {} (id {})", self.name, self.id)
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TagList {
    pub tags: Vec<TagSummary>,
    pub total_count: u64,
}
impl Render for TagList {}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ListTagsArgs {
    /// Only tags whose name contains this text (case-insensitive).
    #[serde(default)]
    pub name_contains: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateTagArgs {
    /// Name of the tag. If a tag with this name exists, it is returned unchanged.
    pub name: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SegmentSummary {
    pub id: String,
    pub name: String,
    /// `user` or `lead`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person_type: Option<String>,
    /// Number of contacts in the segment, when Intercom reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SegmentList {
    pub segments: Vec<SegmentSummary>,
    pub total_count: u64,
    #[serde(flatten)]
    pub skipped: Skipped,
}
impl Render for SegmentList {}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ListDataAttributesArgs {
    /// Which object's attributes: `contact`, `company` or `conversation`. Omit for all three.
    #[serde(default)]
    pub model: Option<String>,
    /// Include archived attributes (default false).
    #[serde(default, deserialize_with = "crate::args::opt_bool")]
    pub include_archived: Option<bool>,
    /// Only custom attributes (true) or only standard ones (false).
    #[serde(default, deserialize_with = "crate::args::opt_bool")]
    pub custom: Option<bool>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DataAttributeSummary {
    /// Name to use in filters and updates (custom ones go under `custom_attributes`).
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `contact`, `company` or `conversation`.
    pub model: String,
    /// `string`, `integer`, `float`, `boolean`, `date` or `options`.
    pub data_type: String,
    pub custom: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub archived: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Allowed values for `options` attributes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DataAttributeList {
    pub data_attributes: Vec<DataAttributeSummary>,
    pub total_count: u64,
}
impl Render for DataAttributeList {}

fn nonblank(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

fn data_attribute_summary(a: intercom_api::DataAttribute) -> DataAttributeSummary {
    DataAttributeSummary {
        name: nonblank(a.full_name).or(a.name).unwrap_or_default(),
        label: nonblank(a.label),
        model: a.model.unwrap_or_default(),
        data_type: a.data_type.unwrap_or_default(),
        custom: a.custom.unwrap_or(false),
        archived: a.archived.unwrap_or(false),
        description: nonblank(a.description),
        options: a.options,
    }
}

/// Conversation attributes are all custom: they live under a conversation's
/// `custom_attributes`, which is the name filters use.
fn conversation_attribute_summary(a: intercom_api::ConversationAttribute) -> DataAttributeSummary {
    let name = a.name.unwrap_or_default();
    DataAttributeSummary {
        name: format!("custom_attributes.{name}"),
        label: Some(name).filter(|n| !n.is_empty()),
        model: "conversation".into(),
        data_type: a.data_type.unwrap_or_default(),
        custom: true,
        archived: a.archived.unwrap_or(false),
        description: nonblank(a.description),
        options: a
            .options
            .unwrap_or_default()
            .into_iter()
            .filter(|o| o.archived != Some(true))
            .filter_map(|o| o.label)
            .collect(),
    }
}

fn opt_str(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn admin_summary(a: &Value, team_names: &dyn Fn(&str) -> String) -> AdminSummary {
    AdminSummary {
        id: id_string(a.get("id")),
        name: str_field(a, "name"),
        email: opt_str(a, "email"),
        away: a
            .get("away_mode_enabled")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        job_title: opt_str(a, "job_title"),
        teams: a
            .get("team_ids")
            .and_then(Value::as_array)
            .map(|ids| {
                ids.iter()
                    .map(|i| team_names(&id_string(Some(i))))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

#[tool_router(router = workspace_tools, vis = "pub")]
impl IntercomServer {
    #[tool(
        name = "whoami",
        description = "Which admin and workspace the token acts as, with the time zone used for dates.",
        annotations(title = "Who am I", read_only_hint = true, open_world_hint = true)
    )]
    async fn whoami(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
    ) -> Result<Json<WhoAmI>, ToolError> {
        let me = ws.me().await?;
        let names = ws.names().await?;
        let admin = admin_summary(me, &|id| names.describe_team(id));
        let app = me.get("app").cloned().unwrap_or(Value::Null);
        Ok(Json(WhoAmI {
            admin,
            workspace_id: opt_str(&app, "id_code")
                .or_else(|| opt_str(&app, "id"))
                .unwrap_or_default(),
            workspace_name: str_field(&app, "name"),
            api_version: intercom_api::API_VERSION.to_string(),
            time_zone: ws.time_zone().to_string(),
        }))
    }

    #[tool(
        name = "list_admins",
        description = "The workspace's admins with email, away status and teams.",
        annotations(title = "List admins", read_only_hint = true, open_world_hint = true)
    )]
    async fn list_admins(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<ListAdminsArgs>,
    ) -> Result<Json<AdminList>, ToolError> {
        let body = ws.cached_list(Listed::Admins).await?;
        let names = ws.names().await?;
        let admins: Vec<AdminSummary> = items(&body, "admins")
            .iter()
            .map(|a| admin_summary(a, &|id| names.describe_team(id)))
            .filter(|a| args.away.is_none_or(|away| a.away == away))
            .filter(|a| {
                args.name_contains.as_deref().is_none_or(|n| {
                    contains_ci(&a.name, n) || a.email.as_deref().is_some_and(|e| contains_ci(e, n))
                })
            })
            .collect();
        Ok(Json(AdminList {
            total_count: admins.len() as u64,
            admins,
        }))
    }

    #[tool(
        name = "list_teams",
        description = "The workspace's teams with their members.",
        annotations(title = "List teams", read_only_hint = true, open_world_hint = true)
    )]
    async fn list_teams(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
    ) -> Result<Json<TeamList>, ToolError> {
        let body = ws.cached_list(Listed::Teams).await?;
        let names = ws.names().await?;
        let teams: Vec<TeamSummary> = items(&body, "teams")
            .iter()
            .map(|t| TeamSummary {
                id: id_string(t.get("id")),
                name: str_field(t, "name"),
                members: t
                    .get("admin_ids")
                    .and_then(Value::as_array)
                    .map(|ids| {
                        ids.iter()
                            .map(|i| names.describe_admin(&id_string(Some(i))))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        Ok(Json(TeamList {
            total_count: teams.len() as u64,
            teams,
        }))
    }

    #[tool(
        name = "list_tags",
        description = "The workspace's tags (name and id), for tagging and search filters.",
        annotations(title = "List tags", read_only_hint = true, open_world_hint = true)
    )]
    async fn list_tags(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<ListTagsArgs>,
    ) -> Result<Json<TagList>, ToolError> {
        let body = ws.cached_list(Listed::Tags).await?;
        let tags: Vec<TagSummary> = items(&body, "tags")
            .iter()
            .map(|t| TagSummary {
                id: id_string(t.get("id")),
                name: str_field(t, "name"),
            })
            .filter(|t| {
                args.name_contains
                    .as_deref()
                    .is_none_or(|n| contains_ci(&t.name, n))
            })
            .collect();
        Ok(Json(TagList {
            total_count: tags.len() as u64,
            tags,
        }))
    }

    #[tool(
        name = "create_tag",
        description = "Create a tag (or return the existing one of that name).",
        annotations(
            title = "Create tag",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn create_tag(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<CreateTagArgs>,
    ) -> Result<Json<TagSummary>, ToolError> {
        let name = args.name.trim();
        if name.is_empty() {
            return Err(ToolError::invalid("the tag name is empty; pass `name`"));
        }
        let created = ws.api().client().create_tag(name).await;
        ws.invalidate(crate::workspace_context::Listed::Tags);
        let created = created?;
        Ok(Json(TagSummary {
            id: created.id.unwrap_or_default(),
            name: created.name.unwrap_or_else(|| name.to_string()),
        }))
    }

    #[tool(
        name = "list_segments",
        description = "The workspace's contact segments with their size.",
        annotations(title = "List segments", read_only_hint = true, open_world_hint = true)
    )]
    async fn list_segments(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
    ) -> Result<Json<SegmentList>, ToolError> {
        let page = ws.api().client().list_segments(true).await?;
        let segments: Vec<SegmentSummary> = page
            .items
            .into_iter()
            .map(|s| SegmentSummary {
                id: s.id.unwrap_or_default(),
                name: s.name.unwrap_or_default(),
                person_type: s.person_type,
                count: s.count.and_then(|c| u64::try_from(c).ok()),
            })
            .collect();
        Ok(Json(SegmentList {
            total_count: segments.len() as u64,
            segments,
            skipped: Skipped::of(page.skipped),
        }))
    }

    #[tool(
        name = "list_data_attributes",
        description = "Standard and custom attributes of contacts, companies or conversations, with types and allowed values.",
        annotations(
            title = "List data attributes",
            read_only_hint = true,
            open_world_hint = true
        )
    )]
    async fn list_data_attributes(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<ListDataAttributesArgs>,
    ) -> Result<Json<DataAttributeList>, ToolError> {
        let model = args
            .model
            .as_deref()
            .map(|m| m.trim().to_lowercase())
            .filter(|m| !m.is_empty());
        if let Some(m) = &model
            && !["contact", "company", "conversation"].contains(&m.as_str())
        {
            return Err(ToolError::invalid(format!(
                "unknown model `{m}`; use contact, company or conversation"
            )));
        }
        let archived = args.include_archived.unwrap_or(false);
        let client = ws.api().client();
        // Contact and company attributes come from `GET /data_attributes`; conversation
        // attributes only from `GET /conversations/attributes` (2.16 refuses model=conversation).
        let from_data_attributes = |model| async move {
            Ok::<_, ToolError>(
                client
                    .list_data_attributes(model, archived)
                    .await?
                    .into_iter()
                    .map(data_attribute_summary)
                    .collect::<Vec<_>>(),
            )
        };
        let conversation_attributes = || async move {
            Ok::<_, ToolError>(
                client
                    .list_conversation_attributes(archived)
                    .await?
                    .into_iter()
                    .map(conversation_attribute_summary)
                    .collect::<Vec<_>>(),
            )
        };
        let all = match model.as_deref() {
            Some("contact") => from_data_attributes(Some(DataAttributeModel::Contact)).await?,
            Some("company") => from_data_attributes(Some(DataAttributeModel::Company)).await?,
            Some(_) => conversation_attributes().await?,
            None => {
                let (mut people, conversations) =
                    tokio::try_join!(from_data_attributes(None), conversation_attributes())?;
                people.extend(conversations);
                people
            }
        };
        let data_attributes: Vec<DataAttributeSummary> = all
            .into_iter()
            .filter(|a| args.custom.is_none_or(|c| a.custom == c))
            .collect();
        Ok(Json(DataAttributeList {
            total_count: data_attributes.len() as u64,
            data_attributes,
        }))
    }
}
