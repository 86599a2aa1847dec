//! `intercom-mcp metrics`: the support metrics on the command line.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use intercom_jobs::analytics::period::ReportPeriod;
use intercom_jobs::analytics::{GroupBy, MetricsRequest, SourceChoice, chart, report};
use intercom_mirror::Mirror;

use crate::mirror::StoreArgs;
use crate::upstream::{ConnectionArgs, SandboxChoice};

#[derive(Debug, Clone, Args)]
pub struct MetricsArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub sandbox: SandboxChoice,
    #[command(flatten)]
    pub store: StoreArgs,
    /// A period in the date words every command takes: today, yesterday, monday, last friday,
    /// this_week, last_week, this_month, last_month, last_7d (default), a date.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub period: Option<String>,
    /// Start of a custom period: a date (workspace time zone), a date-time or date words.
    #[arg(long)]
    pub from: Option<String>,
    /// Last day (inclusive) of a custom period; default now.
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// Break down by day, week, team, admin, channel, tag or priority.
    #[arg(long = "group-by", value_parser = parse_group_by)]
    pub group_by: Option<GroupBy>,
    /// auto (mirror when synced, else API), mirror or api.
    #[arg(
        long,
        env = "INTERCOM_MCP_METRICS_SOURCE",
        default_value = "auto",
        value_parser = parse_source
    )]
    pub source: SourceChoice,
    /// Write the Markdown report to this file (stdout otherwise).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Write a PNG chart (volume per day, first-response time) to this file.
    #[arg(long)]
    pub chart: Option<PathBuf>,
    /// Print the report as JSON instead of Markdown.
    #[arg(long)]
    pub json: bool,
}

fn parse_group_by(s: &str) -> Result<GroupBy, String> {
    s.parse()
}

fn parse_source(s: &str) -> Result<SourceChoice, String> {
    s.parse()
}

pub async fn run(args: MetricsArgs) -> anyhow::Result<()> {
    let upstream = crate::upstream::upstream(&args.connection, &args.sandbox).await?;
    let client = match &upstream.token {
        Some(token) => Some(
            upstream
                .settings
                .client(token)
                .map_err(|e| anyhow::anyhow!(e.message))?,
        ),
        None => None,
    };
    let time_zone = crate::upstream::time_zone(&args.connection, client.as_ref()).await?;
    // One reading of the clock for the whole call.
    let now = chrono::Utc::now();
    let period = ReportPeriod::resolve(
        args.period.as_deref(),
        args.from.as_deref(),
        args.to.as_deref(),
        time_zone,
        now,
    )
    .map_err(anyhow::Error::msg)?;
    // Only an existing mirror is read: asking for metrics never creates one.
    let store_path = args.store.sqlite_path()?;
    let mirror =
        if store_path.exists() && !args.sandbox.sandbox {
            Some(Mirror::open_sqlite(&store_path).with_context(|| {
                format!("could not open the mirror at {}", store_path.display())
            })?)
        } else {
            None
        };
    let request = MetricsRequest {
        period,
        group_by: args.group_by,
        source: args.source,
        now: now.timestamp(),
    };
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let progress = |done: u64, total: Option<u64>, message: String| {
        let text = match total {
            Some(total) => format!("{message} ({done}/{total})"),
            None => message,
        };
        bar.set_message(text);
        bar.tick();
    };
    let result =
        intercom_jobs::analytics::run(&request, client.as_ref(), mirror.as_ref(), &progress).await;
    bar.finish_and_clear();
    let report = result?;
    if let Some(path) = &args.chart {
        let png = chart::png(&report).map_err(anyhow::Error::msg)?;
        std::fs::write(path, png)
            .with_context(|| format!("could not write the chart to {}", path.display()))?;
        eprintln!("chart written to {}", path.display());
    }
    let markdown = report::markdown(&report);
    if let Some(path) = &args.output {
        std::fs::write(path, &markdown)
            .with_context(|| format!("could not write the report to {}", path.display()))?;
        eprintln!("report written to {}", path.display());
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if args.output.is_none() {
        print!("{markdown}");
    }
    Ok(())
}
