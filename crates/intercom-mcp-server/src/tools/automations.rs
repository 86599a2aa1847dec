//! Toolset `automations`: the rules running on this server (`list_automations`), a
//! rule tried in dry run against one object (`test_automation`), and what the rules
//! did (`automation_log`). Same views as `intercom-mcp automations list|test|log`.

use std::sync::Arc;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::context::IntercomServer;
use crate::output::{Json, Render, ToolError};
use intercom_automations::parse_status;
use intercom_automations::report::{RuleView, render_log, render_rules, render_test, rule_views};
use intercom_automations::{Engine, LogFilter, ObjectType, RunRecord, TestReport};

const DEFAULT_RUNS: u32 = 20;
const MAX_RUNS: u32 = 200;

fn engine(server: &IntercomServer) -> Result<&Arc<Engine>, ToolError> {
    server.automations().ok_or_else(|| {
        ToolError::invalid(
            "automations are off on this server: start it with `serve --sync --automations FILE` \
             (or INTERCOM_MCP_AUTOMATIONS) to run rules on incoming events",
        )
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListAutomationsArgs {}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AutomationsView {
    /// The rules in file order, with their topics, conditions and actions.
    pub rules: Vec<RuleView>,
    /// The admin the actions act as.
    pub acting_admin_id: String,
}

impl Render for AutomationsView {
    fn render(&self) -> String {
        format!(
            "{}\n(actions act as admin {})",
            render_rules(&self.rules),
            self.acting_admin_id
        )
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct TestAutomationArgs {
    /// Name of the rule to try (see list_automations).
    pub rule: String,
    /// Try it against this conversation (id or URL).
    #[serde(default, deserialize_with = "crate::args::opt_conversation_id")]
    pub conversation_id: Option<String>,
    /// ...or this ticket.
    #[serde(default, deserialize_with = "crate::args::opt_ticket_id")]
    pub ticket_id: Option<String>,
    /// ...or this contact.
    #[serde(default, deserialize_with = "crate::args::opt_contact_id")]
    pub contact_id: Option<String>,
}

impl Render for TestReport {
    fn render(&self) -> String {
        render_test(self)
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AutomationLogArgs {
    /// Only runs of this rule.
    #[serde(default)]
    pub rule: Option<String>,
    /// Only runs on this object (conversation, ticket, contact or company id).
    #[serde(default, deserialize_with = "crate::args::opt_text")]
    pub object_id: Option<String>,
    /// Only runs with this outcome: applied, dry_run, no_match, skipped_loop, rate_limited,
    /// failed, interrupted, claimed.
    #[serde(default)]
    pub outcome: Option<String>,
    /// Maximum number of runs (1-200, default 20).
    #[serde(default, deserialize_with = "crate::args::opt_u32")]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous call, for older runs.
    #[serde(default)]
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AutomationLogView {
    /// Newest first.
    pub runs: Vec<RunRecord>,
    /// Pass back as `cursor` for older runs; absent at the end of the log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl Render for AutomationLogView {
    fn render(&self) -> String {
        let mut out = render_log(&self.runs);
        if let Some(c) = &self.next_cursor {
            out.push_str(&format!("\nnext_cursor: {c} (older runs)"));
        }
        out
    }
}

#[tool_router(router = automation_tools, vis = "pub")]
impl IntercomServer {
    #[tool(
        name = "list_automations",
        description = "The automation rules this server runs: triggers, conditions, actions, dry run or not.",
        annotations(
            title = "List automations",
            read_only_hint = true,
            open_world_hint = false
        )
    )]
    async fn list_automations(
        &self,
        Parameters(_args): Parameters<ListAutomationsArgs>,
    ) -> Result<Json<AutomationsView>, ToolError> {
        let engine = engine(self)?;
        Ok(Json(AutomationsView {
            rules: rule_views(engine.rules()),
            acting_admin_id: engine.admin_id().to_string(),
        }))
    }

    #[tool(
        name = "test_automation",
        description = "Dry-run one automation rule against a conversation, ticket or contact: which conditions match and what each action would do. Changes nothing.",
        annotations(
            title = "Test automation",
            read_only_hint = true,
            open_world_hint = true
        )
    )]
    async fn test_automation(
        &self,
        Parameters(args): Parameters<TestAutomationArgs>,
    ) -> Result<Json<TestReport>, ToolError> {
        let engine = engine(self)?;
        let (object_type, id) = match (args.conversation_id, args.ticket_id, args.contact_id) {
            (Some(id), None, None) => (ObjectType::Conversation, id),
            (None, Some(id), None) => (ObjectType::Ticket, id),
            (None, None, Some(id)) => (ObjectType::Contact, id),
            _ => {
                return Err(ToolError::invalid(
                    "give exactly one of conversation_id, ticket_id or contact_id to test the rule against",
                ));
            }
        };
        engine
            .test(&args.rule, object_type, &id)
            .await
            .map(Json)
            .map_err(|e| ToolError::invalid(e.to_string()))
    }

    #[tool(
        name = "automation_log",
        description = "Recent automation runs, newest first: rule, event, object, outcome and what each action did.",
        annotations(
            title = "Automation log",
            read_only_hint = true,
            open_world_hint = false
        )
    )]
    async fn automation_log(
        &self,
        Parameters(args): Parameters<AutomationLogArgs>,
    ) -> Result<Json<AutomationLogView>, ToolError> {
        let engine = engine(self)?;
        let status = args
            .outcome
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(parse_status)
            .transpose()
            .map_err(ToolError::invalid)?;
        let before_seq = match args.cursor.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => Some(c.parse::<i64>().map_err(|_| {
                ToolError::invalid(format!(
                    "cursor {c:?} is not one this tool returned; pass next_cursor from a previous call, or omit it"
                ))
            })?),
            None => None,
        };
        let limit = args.limit.unwrap_or(DEFAULT_RUNS).clamp(1, MAX_RUNS) as usize;
        let filter = LogFilter {
            rule: args.rule.filter(|r| !r.trim().is_empty()),
            object_id: args.object_id,
            status,
            before_seq,
            limit: limit + 1,
        };
        let mut runs = engine
            .log()
            .query(&filter)
            .await
            .map_err(|e| ToolError::internal(format!("reading the run log failed: {e}")))?;
        let more = runs.len() > limit;
        runs.truncate(limit);
        let next_cursor = more
            .then(|| runs.last().map(|r| r.seq.to_string()))
            .flatten();
        Ok(Json(AutomationLogView { runs, next_cursor }))
    }
}
