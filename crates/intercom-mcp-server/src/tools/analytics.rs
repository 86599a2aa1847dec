//! The `support_metrics` tool (toolset `analytics`): figures of a support team
//! over a period, from the mirror when synced or from the API, with an optional chart.

use std::sync::Arc;

use base64::Engine;
use rmcp::handler::server::tool::{Extension, IntoCallToolResult};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::context::IntercomServer;
use crate::output::ToolError;
use crate::progress::McpProgress;
use crate::workspace_context::Workspace;
use intercom_jobs::analytics::period::ReportPeriod;
use intercom_jobs::analytics::{
    GroupBy, MetricsError, MetricsReport, MetricsRequest, SourceChoice, chart, report,
};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SupportMetricsArgs {
    /// A period: `today`, `monday`, `last_week`, `last_month`, `last_7d` (default), a date.
    /// Leave empty when giving `from`/`to`.
    #[serde(default)]
    pub period: Option<String>,
    /// Start of a custom period: a date `2024-05-01` (workspace time zone) or ISO datetime.
    #[serde(default)]
    pub from: Option<String>,
    /// End of a custom period, inclusive of that day when a date (default: now).
    #[serde(default)]
    pub to: Option<String>,
    /// Break the figures down by `day`, `week`, `team`, `admin`, `channel`, `tag` or `priority`.
    #[serde(default)]
    pub group_by: Option<String>,
    /// Add a PNG chart (conversations per day and median first-response time per day).
    #[serde(default, deserialize_with = "crate::args::opt_bool")]
    pub chart: Option<bool>,
    /// `auto` (default: the local mirror when synced, else the API), `mirror` or `api`.
    #[serde(default)]
    pub source: Option<String>,
    /// IANA time zone for days and hours (default: the server's workspace time zone).
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// Structured report, Markdown table, and the chart when asked.
pub struct MetricsOutput {
    report: MetricsReport,
    chart_png: Option<Vec<u8>>,
    chart_error: Option<String>,
}

impl IntoCallToolResult for MetricsOutput {
    fn into_call_tool_result(self) -> Result<CallToolResponse, rmcp::ErrorData> {
        let value = serde_json::to_value(&self.report).map_err(|e| {
            rmcp::ErrorData::internal_error(format!("could not serialise the report: {e}"), None)
        })?;
        let mut text = report::markdown(&self.report);
        if let Some(err) = &self.chart_error {
            text.push_str(&format!("\n(No chart: {err}.)\n"));
        }
        let mut result = CallToolResult::structured(value);
        result.content = vec![ContentBlock::text(text)];
        if let Some(png) = self.chart_png {
            let data = base64::engine::general_purpose::STANDARD.encode(png);
            result.content.push(ContentBlock::image(data, "image/png"));
        }
        Ok(result.into())
    }
}

fn tool_error(err: MetricsError) -> ToolError {
    match err {
        MetricsError::Api(api) => ToolError::from(api),
        MetricsError::Invalid(message) => ToolError::invalid(message),
        other @ MetricsError::Mirror(_) => ToolError::internal(other.to_string()),
    }
}

#[tool_router(router = analytics_tools, vis = "pub")]
impl IntercomServer {
    #[tool(
        name = "support_metrics",
        description = "Support figures for a period: volume, backlog, first response and close times, CSAT, SLA, busiest hours, tickets; optionally grouped (day/week/team/admin/channel/tag/priority) or charted. For 'how did we do this week?'.",
        output_schema = rmcp::handler::server::common::schema_for_output::<MetricsReport>(),
        annotations(title = "Support metrics", read_only_hint = true, open_world_hint = true)
    )]
    async fn support_metrics(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<SupportMetricsArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<MetricsOutput, ToolError> {
        let time_zone = match args
            .time_zone
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(name) => {
                intercom_core::dates::parse_time_zone(name).map_err(ToolError::invalid)?
            }
            None => ws.time_zone(),
        };
        // One reading of the clock for the whole call.
        let now = chrono::Utc::now();
        let period = ReportPeriod::resolve(
            args.period.as_deref(),
            args.from.as_deref(),
            args.to.as_deref(),
            time_zone,
            now,
        )
        .map_err(ToolError::invalid)?;
        let group_by = args
            .group_by
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::parse::<GroupBy>)
            .transpose()
            .map_err(ToolError::invalid)?;
        let source: SourceChoice = args
            .source
            .as_deref()
            .unwrap_or("auto")
            .parse()
            .map_err(ToolError::invalid)?;
        let request = MetricsRequest {
            period,
            group_by,
            source,
            now: now.timestamp(),
        };
        let progress = McpProgress::from_context(&context);
        let report_progress =
            |done: u64, total: Option<u64>, message: String| progress.report(done, total, message);
        let mirror = self.realtime().map(|r| r.mirror().clone());
        let report = intercom_jobs::analytics::run_with_directory(
            &request,
            Some(ws.api().client()),
            mirror.as_ref(),
            Some(ws.directory_cache()),
            &report_progress,
        )
        .await
        .map_err(tool_error)?;
        let (chart_png, chart_error) = if args.chart.unwrap_or(false) {
            let for_chart = report.clone();
            match tokio::task::spawn_blocking(move || chart::png(&for_chart)).await {
                Ok(Ok(png)) => (Some(png), None),
                Ok(Err(err)) => (None, Some(err)),
                Err(err) => (None, Some(err.to_string())),
            }
        } else {
            (None, None)
        };
        Ok(MetricsOutput {
            report,
            chart_png,
            chart_error,
        })
    }
}
