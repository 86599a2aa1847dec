//! Bulk tools (toolset `bulk`): update contacts, tag/untag, manage conversations,
//! and job status. Safe for a model: `dry_run` defaults to true and lists the exact
//! targets; a run needs `dry_run: false`, refuses more than the cap, and is a
//! resumable job whose state lives in the mirror's SQLite file.

use std::sync::Arc;

use rmcp::handler::server::tool::Extension;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::service::RequestContext;
use rmcp::{RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::conversations::{self, SearchConversationsArgs};
use crate::args::{IdKind, normalize_ids};
use crate::context::IntercomServer;
use crate::output::{Json, Render, ToolError};
use crate::progress::McpProgress;
use crate::workspace_context::{Assignee, Workspace};
use intercom_jobs::bulk::{
    BulkError, ConversationAction, ItemRecord, JobRecord, Operation, RunOptions, TagObject,
    TargetKind, TargetSpec, configured_max_items, run_job, start_job, targets,
};

/// Arguments every bulk operation takes.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct BulkControl {
    /// Default true: list the targets, change nothing. false: run.
    #[serde(default, deserialize_with = "crate::args::opt_bool")]
    pub dry_run: Option<bool>,
    /// Fewer targets than the server's cap.
    #[serde(default, deserialize_with = "crate::args::opt_u32")]
    pub max_items: Option<u32>,
    /// Resume this stopped job (`job_...`); targets are then ignored.
    #[serde(default)]
    pub resume_job: Option<String>,
}

/// What a bulk tool acts on: the same arguments in every bulk tool, combined (AND for
/// filters and query; ids, emails and company add up).
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct BulkTargets {
    /// Ids (for contacts, emails too).
    #[serde(
        default,
        alias = "contact_ids",
        alias = "conversation_ids",
        deserialize_with = "crate::args::opt_string_list"
    )]
    pub ids: Option<Vec<String>>,
    /// Contact emails (contacts only).
    #[serde(default, deserialize_with = "crate::args::opt_string_list")]
    pub emails: Option<Vec<String>>,
    /// Contacts of this company (name or id).
    #[serde(default)]
    pub company: Option<String>,
    /// Filters as the search tools take them, e.g. `{"state": "open", "tag": "refund"}`;
    /// for conversations `text` (every message with the mirror, else the first) and `sla` too.
    #[serde(default, deserialize_with = "crate::args::opt_object")]
    pub filters: Option<Map<String, Value>>,
    /// Raw Intercom query, ANDed with the filters.
    #[serde(default, deserialize_with = "crate::args::opt_json")]
    pub query: Option<Value>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct BulkUpdateContactsArgs {
    #[serde(flatten)]
    pub targets: BulkTargets,
    /// Attributes to set: standard ones (`name`, `phone`, `owner_id`, ...) and
    /// `custom_attributes: {..}`.
    #[serde(default, deserialize_with = "crate::args::opt_object")]
    pub attributes: Option<Map<String, Value>>,
    #[serde(flatten)]
    pub control: BulkControl,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct BulkTagArgs {
    /// What to tag: `contacts`, `companies` or `conversations`.
    #[serde(default)]
    pub object: Option<String>,
    /// Tag name or id. Adding a tag that does not exist creates it.
    #[serde(default)]
    pub tag: Option<String>,
    /// Remove the tag instead of adding it.
    #[serde(default, deserialize_with = "crate::args::opt_bool")]
    pub remove: Option<bool>,
    #[serde(flatten)]
    pub targets: BulkTargets,
    #[serde(flatten)]
    pub control: BulkControl,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct BulkManageArgs {
    /// `close`, `assign`, `unassign` or `snooze`.
    #[serde(default)]
    pub action: Option<String>,
    /// For assign: an admin or team by name, first name, email or id (`me` too).
    #[serde(default, alias = "assignee_id")]
    pub assignee: Option<String>,
    /// For assign: `assignee` is a team.
    #[serde(default, deserialize_with = "crate::args::opt_bool")]
    pub team: Option<bool>,
    /// For snooze: until when (`monday`, `tomorrow 9am`, `in 4h`, an ISO date/time).
    #[serde(default, alias = "until")]
    pub snoozed_until: Option<String>,
    /// For close: a message posted with the close.
    #[serde(default)]
    pub message: Option<String>,
    /// Admin the changes are made as (name, email or id; default: the token's admin).
    #[serde(default, alias = "admin_id")]
    pub admin: Option<String>,
    #[serde(flatten)]
    pub targets: BulkTargets,
    #[serde(flatten)]
    pub control: BulkControl,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct BulkJobStatusArgs {
    /// The job id (`job_...`); omit to list recent jobs.
    #[serde(default)]
    pub job_id: Option<String>,
}

/// A target as a dry run lists it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TargetView {
    pub id: String,
    /// Who or what it is: name and email, a conversation's subject and customer.
    pub label: String,
    /// True when it already shows the change (a run sends nothing for it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub already: bool,
}

/// A target that cannot be acted on, and why.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SkippedView {
    pub label: String,
    pub reason: String,
}

/// The answer of a bulk tool: a dry run's targets, or a job's report.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BulkOutcome {
    pub dry_run: bool,
    /// What the operation does.
    pub operation: String,
    /// Targets that would be (dry run) or were acted on.
    pub count: u64,
    /// Dry run: how many of them already show the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub already_done: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<TargetView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<JobRecord>,
    /// Per item: `ok` (changed), `unchanged` (it already showed the change: no request
    /// sent), or `failed` with Intercom's reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests_sent: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limited: Option<u64>,
    /// What the filters could and could not see (`text` without the mirror).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What to do next.
    pub next_step: String,
}

impl Render for BulkOutcome {
    fn render(&self) -> String {
        let mut out = String::new();
        if self.dry_run {
            out.push_str(&format!(
                "Dry run: {} — {} target(s), nothing changed.",
                self.operation, self.count
            ));
            match self.already_done {
                Some(n) if n > 0 => out.push_str(&format!(
                    " {n} of them already show the change (marked below).\n"
                )),
                _ => out.push('\n'),
            }
            for t in &self.targets {
                let mark = if t.already { " — already done" } else { "" };
                if t.label == t.id || t.label.starts_with('#') {
                    out.push_str(&format!("- {}{mark}\n", t.label));
                } else {
                    out.push_str(&format!("- {} (id {}){mark}\n", t.label, t.id));
                }
            }
        } else if let Some(job) = &self.job {
            out.push_str(&format!(
                "Job {} ({}): {:?} — {}.\n",
                job.id,
                job.description,
                job.state,
                job.counts()
            ));
            for item in self.items.iter().filter(|i| i.error.is_some()) {
                out.push_str(&format!(
                    "- failed {} ({}): {}\n",
                    item.label,
                    item.id,
                    item.error.as_deref().unwrap_or_default()
                ));
            }
        }
        for s in &self.skipped {
            out.push_str(&format!("- skipped {}: {}\n", s.label, s.reason));
        }
        if let Some(note) = &self.note {
            out.push_str(&format!("Note: {note}.\n"));
        }
        out.push_str(&self.next_step);
        out
    }
}

/// Recent jobs, or one job with its items.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JobStatusView {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub jobs: Vec<JobRecord>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemRecord>,
}

impl Render for JobStatusView {}

fn bulk_error(err: BulkError) -> ToolError {
    match err {
        BulkError::Api(api) => ToolError::from(api),
        BulkError::Invalid(message) => ToolError::invalid(message),
        BulkError::Store(store) => ToolError::internal(store.to_string()).with_source(store),
    }
}

impl IntercomServer {
    /// Dry run or run of one operation: the shared path of the three bulk tools.
    async fn bulk_execute(
        &self,
        ws: &Workspace,
        context: &RequestContext<RoleServer>,
        kind: TargetKind,
        selected: Selected,
        operation: Operation,
        control: &BulkControl,
    ) -> Result<BulkOutcome, ToolError> {
        let Selected { spec, note } = selected;
        let client = ws.api().client();
        let store = self.job_store().clone();
        let cap = bulk_cap(control);
        let resume = control
            .resume_job
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let dry_run = control.dry_run.unwrap_or(true);
        let job_id = match resume {
            Some(job) => {
                if dry_run {
                    let record = store
                        .job(job)
                        .await
                        .map_err(|e| bulk_error(e.into()))?
                        .ok_or_else(|| {
                            ToolError::not_found(format!(
                                "there is no bulk job `{job}`; call bulk_job_status to list jobs"
                            ))
                        })?;
                    return Ok(BulkOutcome {
                        dry_run: true,
                        operation: record.description.clone(),
                        count: record.pending,
                        already_done: None,
                        targets: Vec::new(),
                        skipped: Vec::new(),
                        job: Some(record),
                        items: Vec::new(),
                        elapsed_ms: None,
                        requests_sent: None,
                        rate_limited: None,
                        note: note.clone(),
                        next_step: "Call again with dry_run=false and the same resume_job to finish the pending items.".into(),
                    });
                }
                job.to_string()
            }
            None => {
                let targets = targets::resolve(client, kind, &spec, cap)
                    .await
                    .map_err(bulk_error)?;
                if dry_run {
                    let (ready, skipped): (Vec<_>, Vec<_>) =
                        targets.items.iter().partition(|i| i.failed.is_none());
                    let views: Vec<TargetView> = ready
                        .iter()
                        .map(|i| TargetView {
                            id: i.id.clone(),
                            label: i.label.clone(),
                            already: targets.shows_change(&operation, i),
                        })
                        .collect();
                    let already = views.iter().filter(|v| v.already).count() as u64;
                    return Ok(BulkOutcome {
                        dry_run: true,
                        operation: operation.describe(),
                        count: ready.len() as u64,
                        already_done: Some(already),
                        targets: views,
                        skipped: skipped
                            .iter()
                            .map(|i| SkippedView {
                                label: i.label.clone(),
                                reason: i.failed.clone().unwrap_or_default(),
                            })
                            .collect(),
                        job: None,
                        items: Vec::new(),
                        elapsed_ms: None,
                        requests_sent: None,
                        rate_limited: None,
                        note: note.clone(),
                        next_step:
                            "Nothing was changed. If these are the right targets, call again \
                                    with the same arguments and dry_run=false."
                                .into(),
                    });
                }
                start_job(store.as_ref(), &operation, &targets)
                    .await
                    .map_err(bulk_error)?
            }
        };
        let progress = McpProgress::from_context(context);
        let options = RunOptions {
            cancel: context.ct.clone(),
            resume: resume.is_some(),
            ..RunOptions::default()
        };
        let on_item = |done: u64, total: u64, item: &ItemRecord| {
            let verb = if item.error.is_some() {
                "failed"
            } else {
                "done"
            };
            progress.report(done, Some(total), format!("{verb}: {}", item.label));
        };
        let report = run_job(client, store.as_ref(), &job_id, &options, &on_item)
            .await
            .map_err(bulk_error)?;
        let next_step = if report.job.pending > 0 {
            format!(
                "The job stopped with {} item(s) pending: call again with resume_job=\"{}\" and dry_run=false to finish.",
                report.job.pending, report.job.id
            )
        } else {
            format!(
                "Done. bulk_job_status with job_id=\"{}\" shows this report again.",
                report.job.id
            )
        };
        Ok(BulkOutcome {
            dry_run: false,
            operation: report.job.description.clone(),
            count: report.job.total,
            already_done: None,
            targets: Vec::new(),
            skipped: Vec::new(),
            job: Some(report.job),
            items: report.items,
            elapsed_ms: Some(report.elapsed_ms),
            requests_sent: Some(report.requests_sent),
            rate_limited: Some(report.rate_limited),
            note: note.clone(),
            next_step,
        })
    }
}

fn ids_of(kind: IdKind, ids: Option<Vec<String>>) -> Result<Vec<String>, ToolError> {
    let ids = ids.unwrap_or_default();
    // Emails are not ids: contacts look them up, other objects refuse them up front.
    let (emails, plain): (Vec<String>, Vec<String>) =
        ids.into_iter().partition(|id| id.contains('@'));
    if let (Some(email), false) = (emails.first(), kind == IdKind::Contact) {
        return Err(ToolError::invalid(format!(
            "`{}` is an email, not an id of what this call acts on: nothing was sent. Give ids, \
             or select by filters (contact_email for conversations)",
            email.trim()
        )));
    }
    let mut out = normalize_ids(kind, &plain).map_err(ToolError::invalid)?;
    out.extend(emails);
    Ok(out)
}

/// Conversation filters a bulk tool takes (the search_conversations arguments that select).
const CONVERSATION_FILTERS: &[&str] = &[
    "state",
    "created_after",
    "created_before",
    "updated_after",
    "assignee",
    "team",
    "tag",
    "priority",
    "contact_email",
    "text",
    "sla",
    "open",
    "read",
    "source_type",
    "source_author_email",
    "source_author_name",
    "admin_assignee_id",
    "team_assignee_id",
    "statistics_time_to_assignment",
    "statistics_time_to_admin_reply",
    "statistics_time_to_first_close",
];

/// Contact filters a bulk tool takes (the search_contacts arguments that select).
const CONTACT_FILTERS: &[&str] = &[
    "name",
    "email",
    "phone",
    "email_domain",
    "role",
    "tag",
    "custom_attributes",
    "created_after",
    "last_seen_after",
];

fn check_filter_keys(
    filters: &Map<String, Value>,
    allowed: &[&str],
    what: &str,
) -> Result<(), ToolError> {
    if let Some(bad) = filters.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ToolError::invalid(format!(
            "filters: `{bad}` does not select {what}; use {}",
            allowed.join(", ")
        )));
    }
    Ok(())
}

/// What the friendly filters of a bulk tool select.
#[derive(Debug, Default)]
pub struct FilterTargets {
    /// One Intercom search query: the filters ANDed with the raw query.
    pub query: Option<Value>,
    /// Conversations found by a search Intercom cannot run (words in every message, from
    /// the mirror; an SLA status), by id.
    pub ids: Option<Vec<String>>,
    /// What the selection can and cannot see, for the caller (words without the mirror).
    pub note: Option<String>,
}

/// The targets the friendly filters select, read as search_conversations / search_contacts
/// read them (the same argument types and decoding), ANDed with a raw query. For
/// conversations, `text` matches every message through the mirror's full-text index when
/// `mirror` is given (as search_conversations does), else Intercom's search of the first
/// message, and the note says so; `sla` keeps the matches whose SLA has that status. More
/// than `cap` such matches are refused. The `bulk` command of the binary uses it too.
pub async fn filter_targets(
    ws: &Workspace,
    mirror: Option<&intercom_mirror::Mirror>,
    kind: TargetKind,
    filters: Option<Map<String, Value>>,
    query: Option<Value>,
    cap: usize,
) -> Result<FilterTargets, ToolError> {
    let filters = filters.filter(|f| !f.is_empty());
    match (kind, filters) {
        (_, None) => Ok(FilterTargets {
            query,
            ..FilterTargets::default()
        }),
        (TargetKind::Company, Some(_)) => Err(ToolError::invalid(
            "companies cannot be selected by filters (Intercom has no company search); give company ids",
        )),
        (TargetKind::Conversation, Some(filters)) => {
            check_filter_keys(&filters, CONVERSATION_FILTERS, "conversations")?;
            let mut args: SearchConversationsArgs = serde_json::from_value(Value::Object(filters))
                .map_err(|e| ToolError::invalid(format!("filters: {e}")))?;
            args.query = query;
            conversation_filter_targets(ws, mirror, args, cap).await
        }
        (TargetKind::Contact, Some(filters)) => {
            check_filter_keys(&filters, CONTACT_FILTERS, "contacts")?;
            let mut filters = filters;
            if let Some(raw) = query {
                filters.insert("query".into(), raw);
            }
            let args: super::contacts::SearchContactsArgs =
                serde_json::from_value(Value::Object(filters))
                    .map_err(|e| ToolError::invalid(format!("filters: {e}")))?;
            Ok(FilterTargets {
                query: Some(super::contacts::contact_query(ws, &args).await?.to_json()),
                ..FilterTargets::default()
            })
        }
    }
}

/// Conversation filters, `text` and `sla` included: the code paths of search_conversations.
async fn conversation_filter_targets(
    ws: &Workspace,
    mirror: Option<&intercom_mirror::Mirror>,
    mut args: SearchConversationsArgs,
    cap: usize,
) -> Result<FilterTargets, ToolError> {
    let sla = super::parse_sla(args.sla.as_deref())?;
    let text = args
        .text
        .take()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    if let (Some(mirror), Some(text)) = (mirror, text.as_deref()) {
        let filter = conversations::text_search_filter(&args, ws).await?;
        let ids = conversations::mirror_text_ids(mirror, text, filter, sla, cap).await?;
        return Ok(FilterTargets {
            query: None,
            ids: Some(ids),
            note: Some(format!(
                "`text` was matched by the mirror's full-text search: every message (first \
                 message, replies, notes) holding all of \"{text}\""
            )),
        });
    }
    let note = text.as_deref().map(conversations::api_text_note);
    args.text = text;
    let query = crate::query::all_of(args.filters(ws).await?)?;
    let Some(sla) = sla else {
        return Ok(FilterTargets {
            query: Some(query),
            ids: None,
            note,
        });
    };
    let found = conversations::sla_matches(ws, query, &sla, conversations::SLA_SCAN_CAP).await?;
    if !found.complete {
        return Err(ToolError::invalid(format!(
            "Intercom cannot search on SLA, so the conversations matching the other filters are \
             read and kept by SLA status; more than {} match them, more than one call reads: \
             narrow them (created_after, state, team) so the exact targets are known",
            found.scanned
        )));
    }
    if found.matching.len() > cap {
        return Err(ToolError::invalid(format!(
            "the filters match {} conversations, more than the cap of {cap} per call: narrow \
             them (the operator can raise the cap with --bulk-max-items / \
             INTERCOM_MCP_BULK_MAX_ITEMS)",
            found.matching.len()
        )));
    }
    Ok(FilterTargets {
        query: None,
        ids: Some(
            found
                .matching
                .iter()
                .map(|c| crate::workspace_context::id_string(c.get("id")))
                .collect(),
        ),
        note,
    })
}

/// The targets named by `targets` for `kind`: ids, emails, company, and one search
/// query made of the friendly filters (read like the search tools read them) ANDed
/// with the raw query.
impl IntercomServer {
    async fn target_spec(
        &self,
        ws: &Workspace,
        kind: TargetKind,
        targets: BulkTargets,
        control: &BulkControl,
    ) -> Result<Selected, ToolError> {
        let id_kind = match kind {
            TargetKind::Contact => IdKind::Contact,
            TargetKind::Company => IdKind::Company,
            TargetKind::Conversation => IdKind::Conversation,
        };
        let ids = ids_of(id_kind, targets.ids)?;
        // A resumed job keeps its own targets: the filters are not read again.
        if control
            .resume_job
            .as_deref()
            .is_some_and(|j| !j.trim().is_empty())
        {
            return Ok(Selected::default());
        }
        let selected = filter_targets(
            ws,
            self.realtime().map(|r| r.mirror()),
            kind,
            targets.filters,
            targets.query,
            bulk_cap(control),
        )
        .await?;
        Ok(Selected {
            spec: TargetSpec {
                ids,
                emails: targets.emails.unwrap_or_default(),
                company: targets
                    .company
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty()),
                query: selected.query,
                selected: selected.ids,
                rows: Vec::new(),
            },
            note: selected.note,
        })
    }
}

/// The targets a call names, and what its filters could not see.
#[derive(Debug, Default)]
struct Selected {
    spec: TargetSpec,
    note: Option<String>,
}

/// The cap of one call: the server's, or fewer when the call asks.
fn bulk_cap(control: &BulkControl) -> usize {
    let server_cap = configured_max_items();
    control
        .max_items
        .map_or(server_cap, |n| (n as usize).clamp(1, server_cap))
}

#[tool_router(router = bulk_tools, vis = "pub")]
impl IntercomServer {
    #[tool(
        name = "bulk_update_contacts",
        description = "Set attributes on many contacts (by ids, emails, company or a search). Dry run by default: shows the exact targets; dry_run=false runs a resumable job.",
        annotations(
            title = "Bulk update contacts",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bulk_update_contacts(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<BulkUpdateContactsArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<BulkOutcome>, ToolError> {
        let attributes = args.attributes.unwrap_or_default();
        if attributes.is_empty() && args.control.resume_job.is_none() {
            return Err(ToolError::invalid(
                "no attributes to set: pass attributes, e.g. {\"custom_attributes\": {\"plan\": \"pro\"}}",
            ));
        }
        let selected = self
            .target_spec(&ws, TargetKind::Contact, args.targets, &args.control)
            .await?;
        let op = Operation::UpdateContacts { attributes };
        self.bulk_execute(
            &ws,
            &context,
            TargetKind::Contact,
            selected,
            op,
            &args.control,
        )
        .await
        .map(Json)
    }

    #[tool(
        name = "bulk_tag",
        description = "Add or remove one tag on many contacts, companies or conversations (by ids, emails, company or a search). Dry run by default: shows the exact targets; dry_run=false runs a resumable job.",
        annotations(
            title = "Bulk tag",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bulk_tag(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<BulkTagArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<BulkOutcome>, ToolError> {
        let object = TagObject::parse(args.object.as_deref().unwrap_or_default())
            .map_err(ToolError::invalid)?;
        let kind = match object {
            TagObject::Contacts => TargetKind::Contact,
            TagObject::Companies => TargetKind::Company,
            TagObject::Conversations => TargetKind::Conversation,
        };
        // The targets are read (and bad ids refused) before a tag is created.
        let selected = self
            .target_spec(&ws, kind, args.targets, &args.control)
            .await?;
        let tag = args.tag.unwrap_or_default();
        let remove = args.remove.unwrap_or(false);
        let client = ws.api().client();
        // A dry run never creates a tag.
        let create = !remove && args.control.dry_run == Some(false);
        let resolved = intercom_jobs::bulk::resolve_tag(client, &tag, create).await;
        if create {
            // A tag may have been created: the cached directory no longer lists every tag.
            ws.invalidate(crate::workspace_context::Listed::Tags);
        }
        let (tag_id, tag_name) = match resolved {
            Ok(found) => found,
            Err(BulkError::Invalid(_)) if !remove && !create => {
                (String::new(), tag.trim().to_string())
            }
            Err(err) => return Err(bulk_error(err)),
        };
        let admin_id = ws.my_admin_id().await?.into_string();
        let op = Operation::Tag {
            object,
            tag_id,
            tag_name,
            remove,
            admin_id,
        };
        self.bulk_execute(&ws, &context, kind, selected, op, &args.control)
            .await
            .map(Json)
    }

    #[tool(
        name = "bulk_manage_conversations",
        description = "Close, assign, unassign or snooze many conversations (by ids or search filters). Dry run by default: shows the exact targets; dry_run=false runs a resumable job.",
        annotations(
            title = "Bulk manage conversations",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bulk_manage_conversations(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<BulkManageArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<BulkOutcome>, ToolError> {
        let action_word = args.action.as_deref().unwrap_or_default();
        // An assignee by name: resolved here, so the error lists near matches.
        let assignee = match args
            .assignee
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(needle) if action_word.trim().eq_ignore_ascii_case("assign") => {
                Some(if args.team == Some(true) {
                    let (id, name) = ws.resolve_team(needle).await?;
                    (id.into_string(), true, name)
                } else {
                    match ws.resolve_assignee(needle).await? {
                        Assignee::Admin { id, name } => (id.into_string(), false, name),
                        Assignee::Team { id, name } => (id.into_string(), true, name),
                    }
                })
            }
            _ => None,
        };
        let mut action = intercom_jobs::bulk::conversation_action(
            action_word,
            assignee.as_ref().map(|(id, ..)| id.as_str()),
            assignee.as_ref().is_some_and(|(_, team, _)| *team),
            args.snoozed_until.as_deref(),
            args.message.clone(),
            &ws.dates(),
            None,
        )
        .map_err(ToolError::invalid)?;
        if let (ConversationAction::Assign { assignee_name, .. }, Some((_, _, name))) =
            (&mut action, &assignee)
        {
            *assignee_name = Some(name.clone());
        }
        let admin_id = ws
            .acting_admin(args.admin.as_deref())
            .await?
            .0
            .into_string();
        let selected = self
            .target_spec(&ws, TargetKind::Conversation, args.targets, &args.control)
            .await?;
        let op = Operation::ManageConversations { action, admin_id };
        self.bulk_execute(
            &ws,
            &context,
            TargetKind::Conversation,
            selected,
            op,
            &args.control,
        )
        .await
        .map(Json)
    }

    #[tool(
        name = "bulk_job_status",
        description = "A bulk job's state and per-item report, or the recent jobs when no job_id is given.",
        annotations(
            title = "Bulk job status",
            read_only_hint = true,
            open_world_hint = false
        )
    )]
    async fn bulk_job_status(
        &self,
        Parameters(args): Parameters<BulkJobStatusArgs>,
    ) -> Result<Json<JobStatusView>, ToolError> {
        let store = self.job_store().clone();
        let job_id = args
            .job_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let view = match job_id {
            None => JobStatusView {
                jobs: store
                    .recent_jobs(20)
                    .await
                    .map_err(|e| bulk_error(e.into()))?,
                items: Vec::new(),
            },
            Some(id) => {
                let job = store.job(id).await.map_err(|e| bulk_error(e.into()))?.ok_or_else(|| {
                    ToolError::not_found(format!("there is no bulk job `{id}`; call bulk_job_status without job_id to list jobs"))
                })?;
                let items = store
                    .items(&job.id, None)
                    .await
                    .map_err(|e| bulk_error(e.into()))?;
                JobStatusView {
                    jobs: vec![job],
                    items,
                }
            }
        };
        Ok(Json(view))
    }
}
