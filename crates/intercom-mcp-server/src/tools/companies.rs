//! Companies: list and look up, read, upsert, and list a company's contacts.
//!
//! `list_companies` and `get_company` keep the argument names of Intercom's
//! hosted MCP server (`name`, `company_id`, `tag_id`, `segment_id`, `page`,
//! `per_page`) so it is a drop-in.

use std::sync::Arc;

use intercom_api::{Company, CompanyInput, CompanyLookup, Page};
use rmcp::handler::server::tool::Extension;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::context::IntercomServer;
use crate::output::{Json, Paging, Render, Skipped, ToolError};
use crate::tools::contacts::find_company;
use crate::workspace_context::{Workspace, path_id};
use intercom_core::dates::iso;

const DEFAULT_PER_PAGE: u32 = 20;
/// Intercom's ceiling for page-numbered company lists.
const MAX_PER_PAGE: u32 = 60;

#[derive(Debug, Serialize, JsonSchema)]
pub struct CompanyView {
    /// Intercom id.
    pub id: String,
    pub name: String,
    /// Your own id for the company.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub industry: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monthly_spend: Option<f64>,
    /// Number of contacts (users) in the company.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_request_at: Option<String>,
    /// Tag names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub custom_attributes: Map<String, Value>,
}

impl Render for CompanyView {
    fn render(&self) -> String {
        let mut out = format!("Company {} {}", self.id, self.name);
        if let Some(cid) = &self.company_id {
            out.push_str(&format!(" (company_id {cid})"));
        }
        let mut facts = Vec::new();
        if let Some(plan) = &self.plan {
            facts.push(format!("plan {plan}"));
        }
        if let Some(size) = self.size {
            facts.push(format!("{size} employees"));
        }
        if let Some(spend) = self.monthly_spend {
            facts.push(format!("monthly spend {spend}"));
        }
        if let Some(users) = self.user_count {
            facts.push(format!("{users} users"));
        }
        if let Some(industry) = &self.industry {
            facts.push(industry.clone());
        }
        if !facts.is_empty() {
            out.push_str(&format!("\n{}", facts.join(", ")));
        }
        if let Some(website) = &self.website {
            out.push_str(&format!("\n{website}"));
        }
        if !self.tags.is_empty() {
            out.push_str(&format!("\ntags: {}", self.tags.join(", ")));
        }
        for (k, v) in &self.custom_attributes {
            out.push_str(&format!("\n{k}: {}", crate::output::inline(v)));
        }
        out
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CompanyList {
    pub companies: Vec<CompanyView>,
    /// Page number returned.
    pub page: u32,
    #[serde(flatten)]
    pub paging: Paging,
    #[serde(flatten)]
    pub skipped: Skipped,
}

impl Render for CompanyList {
    fn render(&self) -> String {
        if self.companies.is_empty() {
            return format!("No companies match.{}", self.skipped.note());
        }
        let mut out = format!(
            "{} compan{} (page {}{}):",
            self.companies.len(),
            if self.companies.len() == 1 {
                "y"
            } else {
                "ies"
            },
            self.page,
            self.paging
                .total_count
                .map(|t| format!(", {t} in all"))
                .unwrap_or_default()
        );
        for c in &self.companies {
            out.push_str(&format!("\n- {} {}", c.id, c.name));
            if let Some(plan) = &c.plan {
                out.push_str(&format!(" [{plan}]"));
            }
            if let Some(users) = c.user_count {
                out.push_str(&format!(", {users} users"));
            }
        }
        if let Some(next) = &self.paging.next_cursor {
            out.push_str(&format!("\nMore: pass page {next}."));
        }
        out.push_str(&self.skipped.note());
        out
    }
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ListCompaniesArgs {
    /// Exact company name.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub name: Option<String>,
    /// Your own company id.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub company_id: Option<String>,
    /// Only companies with this tag (id).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub tag_id: Option<String>,
    /// Only companies in this segment (id).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub segment_id: Option<String>,
    /// Page number, from 1.
    #[serde(default, deserialize_with = "crate::args::opt_u32")]
    pub page: Option<u32>,
    /// Companies per page (1-60, default 20).
    #[serde(default, deserialize_with = "crate::args::opt_u32")]
    pub per_page: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetCompanyArgs {
    /// The company: Intercom id (raw, `company_…` or URL), your own `company_id`, or its exact name.
    #[serde(deserialize_with = "crate::args::text")]
    pub id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpsertCompanyArgs {
    /// Your own id for the company: the key of the upsert (an existing company with it is updated).
    #[serde(deserialize_with = "crate::args::text")]
    pub company_id: String,
    /// Company name.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub name: Option<String>,
    /// Plan name, e.g. `pro`.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub plan: Option<String>,
    /// Number of employees.
    #[serde(default, deserialize_with = "crate::args::opt_i64")]
    pub size: Option<i64>,
    /// Website URL.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub website: Option<String>,
    /// Industry, e.g. `Software`.
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub industry: Option<String>,
    /// Monthly revenue from this company, a whole number (Intercom stores integers only).
    #[serde(default, deserialize_with = "whole_monthly_spend")]
    #[schemars(with = "Option<i64>")]
    pub monthly_spend: Option<i64>,
    /// Custom attributes to set, e.g. `{"tier": "gold"}`.
    #[serde(default, deserialize_with = "crate::args::opt_object")]
    pub custom_attributes: Option<Map<String, Value>>,
}

/// Intercom's largest `monthly_spend` (a signed 32-bit integer).
const MAX_MONTHLY_SPEND: i64 = 2_147_483_647;

/// `monthly_spend` as the spec types it: a whole number from 0 to 2^31-1. A fraction is refused
/// rather than rounded, so the amount stored is the amount the caller meant.
fn whole_monthly_spend<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    use serde::de::Error;
    let value = Option::<Value>::deserialize(d)?;
    let number = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim().parse::<f64>().map_err(|_| {
            D::Error::custom(format!("monthly_spend must be a whole number, got `{s}`"))
        })?,
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) => i as f64,
            None => n.as_f64().unwrap_or(f64::NAN),
        },
        Some(other) => {
            return Err(D::Error::custom(format!(
                "monthly_spend must be a whole number, got {other}"
            )));
        }
    };
    if !number.is_finite() || number.fract() != 0.0 {
        return Err(D::Error::custom(format!(
            "monthly_spend must be a whole number: Intercom stores integers only and would cut \
             {number} to {}; send {} or {} instead",
            number.trunc(),
            number.floor(),
            number.ceil()
        )));
    }
    if !(0.0..=MAX_MONTHLY_SPEND as f64).contains(&number) {
        return Err(D::Error::custom(format!(
            "monthly_spend must be between 0 and {MAX_MONTHLY_SPEND}, got {number}"
        )));
    }
    Ok(Some(number as i64))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListCompanyContactsArgs {
    /// The company: Intercom id (raw, `company_…` or URL), your own `company_id`, or its exact name.
    #[serde(deserialize_with = "crate::args::text")]
    pub id: String,
    /// Page number, from 1.
    #[serde(default, deserialize_with = "crate::args::opt_u32")]
    pub page: Option<u32>,
    /// Contacts per page (1-60, default 20).
    #[serde(default, deserialize_with = "crate::args::opt_u32")]
    pub per_page: Option<u32>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CompanyContacts {
    pub company: String,
    pub contacts: Vec<super::contacts::ContactLine>,
    pub page: u32,
    #[serde(flatten)]
    pub paging: Paging,
}
impl Render for CompanyContacts {}

fn plan_name(plan: &Option<Value>) -> Option<String> {
    match plan.as_ref()? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

pub(crate) fn company_view(c: &Company, ws: &Workspace) -> CompanyView {
    let tz = ws.time_zone();
    CompanyView {
        id: c.id.clone().unwrap_or_default(),
        name: c.name.clone().unwrap_or_default(),
        company_id: c.company_id.clone().filter(|s| !s.is_empty()),
        plan: plan_name(&c.plan),
        size: c.size,
        industry: c.industry.clone().filter(|s| !s.is_empty()),
        website: c.website.clone().filter(|s| !s.is_empty()),
        monthly_spend: c.monthly_spend,
        user_count: c.user_count,
        created_at: c.created_at.filter(|t| *t > 0).map(|t| iso(t, tz)),
        last_request_at: c.last_request_at.filter(|t| *t > 0).map(|t| iso(t, tz)),
        tags: c
            .tags
            .iter()
            .flat_map(|t| t.tags.iter())
            .filter_map(|t| t.name.clone())
            .collect(),
        custom_attributes: c
            .custom_attributes
            .clone()
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .collect(),
    }
}

fn per_page(requested: Option<u32>) -> u32 {
    requested.unwrap_or(DEFAULT_PER_PAGE).clamp(1, MAX_PER_PAGE)
}

fn page_paging<T>(page: &Page<T>) -> Paging {
    Paging {
        total_count: page.total_count,
        next_cursor: page.next_page.map(|p| p.to_string()),
    }
}

#[tool_router(router = company_tools, vis = "pub")]
impl IntercomServer {
    #[tool(
        name = "list_companies",
        description = "List companies, or look them up by exact name, company_id, tag or segment.",
        annotations(
            title = "List companies",
            read_only_hint = true,
            open_world_hint = true
        )
    )]
    async fn list_companies(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<ListCompaniesArgs>,
    ) -> Result<Json<CompanyList>, ToolError> {
        let client = ws.api().client();
        let page_no = args.page.unwrap_or(1).max(1);
        let per_page = per_page(args.per_page);
        let lookup = CompanyLookup {
            company_id: args.company_id,
            name: args.name,
            tag_id: args.tag_id,
            segment_id: args.segment_id,
        };
        let page = if lookup == CompanyLookup::default() {
            client.list_companies(Some(page_no), Some(per_page)).await?
        } else {
            match client
                .find_companies(&lookup, Some(page_no), Some(per_page))
                .await
            {
                Ok(page) => page,
                // A lookup that matches nothing is a 404 at Intercom: an empty list here.
                Err(e) if e.is_not_found() => Page::default(),
                Err(e) => return Err(e.into()),
            }
        };
        Ok(Json(CompanyList {
            companies: page.items.iter().map(|c| company_view(c, &ws)).collect(),
            page: page_no,
            paging: page_paging(&page),
            skipped: Skipped::of(page.skipped),
        }))
    }

    #[tool(
        name = "get_company",
        description = "Read one company by Intercom id, your company_id or exact name: plan, size, spend, users, tags, attributes.",
        annotations(title = "Get company", read_only_hint = true, open_world_hint = true)
    )]
    async fn get_company(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<GetCompanyArgs>,
    ) -> Result<Json<CompanyView>, ToolError> {
        let company = find_company(&ws, &args.id).await?;
        Ok(Json(company_view(&company, &ws)))
    }

    #[tool(
        name = "upsert_company",
        description = "Create a company, or update the one with the same company_id; only what is given changes.",
        annotations(
            title = "Create or update company",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn upsert_company(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<UpsertCompanyArgs>,
    ) -> Result<Json<CompanyView>, ToolError> {
        if args.company_id.trim().is_empty() {
            return Err(ToolError::invalid(
                "`company_id` (your own id for the company) is required: it is the upsert key",
            ));
        }
        let input = CompanyInput {
            name: args.name,
            company_id: Some(args.company_id),
            plan: args.plan,
            size: args.size,
            website: args.website,
            industry: args.industry,
            custom_attributes: args.custom_attributes,
            monthly_spend: args.monthly_spend,
            ..Default::default()
        };
        let company = ws.api().client().upsert_company(&input).await?;
        Ok(Json(company_view(&company, &ws)))
    }

    #[tool(
        name = "list_company_contacts",
        description = "The contacts of a company (by id, company_id or exact name), paged.",
        annotations(
            title = "List company contacts",
            read_only_hint = true,
            open_world_hint = true
        )
    )]
    async fn list_company_contacts(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<ListCompanyContactsArgs>,
    ) -> Result<Json<CompanyContacts>, ToolError> {
        let company = find_company(&ws, &args.id).await?;
        let id = company.id.clone().unwrap_or_default();
        let page_no = args.page.unwrap_or(1).max(1);
        let page = ws
            .api()
            .client()
            .list_company_contacts(&path_id(&id)?, Some(page_no), Some(per_page(args.per_page)))
            .await?;
        Ok(Json(CompanyContacts {
            company: format!("{} ({id})", company.name.unwrap_or_default()),
            contacts: page
                .items
                .iter()
                .map(|c| super::contacts::contact_line(c, &ws))
                .collect(),
            page: page_no,
            paging: page_paging(&page),
        }))
    }
}
