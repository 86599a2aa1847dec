//! `intercom-mcp bulk ...`: bulk jobs from the command line, with a progress bar,
//! CSV/JSONL input and `--resume JOB`.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use intercom_api::Client;
use serde_json::{Map, Value};

use intercom_jobs::bulk::input::read_rows;
use intercom_jobs::bulk::ops::{Operation, TagObject};
use intercom_jobs::bulk::{
    JobReport, JobStore, RunOptions, SqliteJobStore, TargetKind, TargetSpec, configured_max_items,
    run_job, start_job, targets,
};

use crate::mirror::StoreArgs;
use crate::upstream::{ConnectionArgs, SandboxChoice};

#[derive(Debug, Clone, Args)]
pub struct BulkArgs {
    #[command(subcommand)]
    pub command: BulkCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum BulkCommand {
    /// Set standard and custom attributes on many contacts (rows of --file, or --ids/--emails/--query with --set).
    UpdateContacts(UpdateContactsArgs),
    /// Add or remove a tag on many contacts, companies or conversations.
    Tag(TagArgs),
    /// Close, assign, unassign or snooze many conversations.
    ManageConversations(ManageArgs),
    /// Show a job's state and per-item report.
    Status(StatusArgs),
}

/// Options every bulk operation takes.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub sandbox: SandboxChoice,
    #[command(flatten)]
    pub store: StoreArgs,
    /// CSV (header row) or JSONL file naming the targets (`id` or `email` column).
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Target ids, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub ids: Vec<String>,
    /// Contacts only: contact emails, comma-separated (each contact with that email).
    #[arg(long, value_delimiter = ',')]
    pub emails: Vec<String>,
    /// An Intercom search query (JSON) selecting the targets.
    #[arg(long)]
    pub query: Option<String>,
    /// Contacts only: the contacts of this company (name, company_id or id).
    #[arg(long)]
    pub company: Option<String>,
    /// Filters as the search tools take them (JSON), e.g.
    /// '{"state": "open", "created_after": "monday", "assignee": "ann"}'.
    #[arg(long)]
    pub filters: Option<String>,
    /// Only list the targets; change nothing.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Resume an interrupted or cancelled job instead of starting one.
    #[arg(long, value_name = "JOB")]
    pub resume: Option<String>,
    /// Refuse to touch more targets than this in one run.
    #[arg(long = "bulk-max-items", env = intercom_jobs::bulk::MAX_ITEMS_ENV)]
    pub max_items: Option<usize>,
    /// Requests in flight at most (the rate budget usually binds first).
    #[arg(
        long = "max-in-flight",
        env = "INTERCOM_MCP_BULK_MAX_IN_FLIGHT",
        default_value_t = 32
    )]
    pub max_in_flight: usize,
    /// Admin the changes are made as (default: the token's admin).
    #[arg(long = "admin-id", env = "INTERCOM_MCP_ADMIN_ID")]
    pub admin_id: Option<String>,
    /// Print the final report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct UpdateContactsArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Attribute to set on every target: `name=Ann`, `custom.plan=pro` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct TagArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// contacts, companies or conversations.
    #[arg(long)]
    pub object: String,
    /// Tag name or id (created when adding a tag that does not exist).
    #[arg(long)]
    pub tag: String,
    /// Remove the tag instead of adding it.
    #[arg(long)]
    pub remove: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ManageArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// close, assign, unassign or snooze.
    #[arg(long)]
    pub action: String,
    /// Admin or team to assign to: a name, first name, email or id.
    #[arg(long)]
    pub assignee: Option<String>,
    /// --assignee is a team.
    #[arg(long)]
    pub team: bool,
    /// Snooze until: `monday`, `tomorrow 9am`, `in 4h`, an ISO date/time (a date alone: the
    /// start of the working day, `--workday-start`, in the workspace time zone).
    #[arg(long)]
    pub until: Option<String>,
    /// Message posted with a close.
    #[arg(long)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// The job id (`job_...`); omit to list recent jobs.
    pub job: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: BulkArgs) -> anyhow::Result<bool> {
    match args.command {
        BulkCommand::UpdateContacts(a) => {
            let attributes = parse_sets(&a.set)?;
            let op = Operation::UpdateContacts { attributes };
            execute(&a.common, TargetKind::Contact, |_| async { Ok(op) }, true).await
        }
        BulkCommand::Tag(a) => {
            let object = TagObject::parse(&a.object).map_err(anyhow::Error::msg)?;
            let kind = match object {
                TagObject::Contacts => TargetKind::Contact,
                TagObject::Companies => TargetKind::Company,
                TagObject::Conversations => TargetKind::Conversation,
            };
            let (tag, remove, admin) = (a.tag.clone(), a.remove, a.common.admin_id.clone());
            // A dry run never creates a tag.
            let dry_run = a.common.dry_run;
            execute(
                &a.common,
                kind,
                |client: Client| async move {
                    let resolved =
                        intercom_jobs::bulk::resolve_tag(&client, &tag, !remove && !dry_run).await;
                    let (tag_id, tag_name) = match resolved {
                        Ok(found) => found,
                        Err(intercom_jobs::bulk::BulkError::Invalid(_)) if !remove && dry_run => {
                            (String::new(), tag.trim().to_string())
                        }
                        Err(err) => return Err(err),
                    };
                    let admin_id =
                        intercom_jobs::bulk::acting_admin(&client, admin.as_deref()).await?;
                    Ok(Operation::Tag {
                        object,
                        tag_id,
                        tag_name,
                        remove,
                        admin_id,
                    })
                },
                false,
            )
            .await
        }
        BulkCommand::ManageConversations(a) => {
            let configured = crate::upstream::configured_time_zone(&a.common.connection)?;
            let workday_start = a.common.connection.workday_start;
            let (action, assignee, team, until, message) = (
                a.action.clone(),
                a.assignee.clone(),
                a.team,
                a.until.clone(),
                a.message.clone(),
            );
            let admin = a.common.admin_id.clone();
            execute(
                &a.common,
                TargetKind::Conversation,
                |client: Client| async move {
                    let zone = match configured {
                        Some(zone) => zone,
                        None => intercom_jobs::bulk::workspace_time_zone(&client).await,
                    };
                    let directory = match &assignee {
                        Some(_) => Some(intercom_api::Directory::load(&client).await?),
                        None => None,
                    };
                    let action = intercom_jobs::bulk::conversation_action(
                        &action,
                        assignee.as_deref(),
                        team,
                        until.as_deref(),
                        message,
                        &intercom_core::dates::Dates::now(zone).with_workday_start(workday_start),
                        directory.as_ref(),
                    )
                    .map_err(intercom_jobs::bulk::BulkError::Invalid)?;
                    let admin_id =
                        intercom_jobs::bulk::acting_admin(&client, admin.as_deref()).await?;
                    Ok(Operation::ManageConversations { action, admin_id })
                },
                false,
            )
            .await
        }
        BulkCommand::Status(a) => status(a).await,
    }
}

/// `key=value` pairs into contact attributes (`custom.x` into custom_attributes).
fn parse_sets(sets: &[String]) -> anyhow::Result<Map<String, Value>> {
    let mut fields = Map::new();
    for set in sets {
        let Some((key, value)) = set.split_once('=') else {
            bail!("--set {set:?} is not KEY=VALUE (e.g. --set custom.plan=pro)");
        };
        let value = serde_json::from_str::<Value>(value.trim())
            .ok()
            .filter(|v| !v.is_string() || value.trim().starts_with('"'))
            .unwrap_or_else(|| Value::String(value.trim().to_string()));
        fields.insert(key.trim().to_string(), value);
    }
    let rows = intercom_jobs::bulk::input::parse_jsonl(&Value::Object(fields).to_string(), false);
    // Reuse the file reader's column rules: standard fields stay, others are custom.
    Ok(match rows {
        Ok(mut rows) if !rows.is_empty() => match rows.remove(0).payload {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        },
        _ => Map::new(),
    })
}

fn open_store(store: &StoreArgs) -> anyhow::Result<SqliteJobStore> {
    let path = store.sqlite_path()?;
    SqliteJobStore::open(&path)
        .with_context(|| format!("could not open the job store at {}", path.display()))
}

async fn execute<F, Fut>(
    common: &CommonArgs,
    kind: TargetKind,
    operation: F,
    email_is_target: bool,
) -> anyhow::Result<bool>
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = Result<Operation, intercom_jobs::bulk::BulkError>>,
{
    let upstream = crate::upstream::upstream(&common.connection, &common.sandbox).await?;
    let token = upstream.token.clone().context(
        "no Intercom access token: set INTERCOM_ACCESS_TOKEN (or --access-token), or use --sandbox",
    )?;
    let client = upstream
        .settings
        .client(&token)
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let store = open_store(&common.store)?;
    let job_id = match &common.resume {
        Some(job) => job.trim().to_string(),
        None => {
            let mut spec = TargetSpec {
                ids: common.ids.clone(),
                emails: common.emails.clone(),
                company: common.company.clone(),
                ..TargetSpec::default()
            };
            if let Some(path) = &common.file {
                spec.rows = read_rows(path, email_is_target).map_err(anyhow::Error::msg)?;
            }
            if let Some(query) = &common.query {
                spec.query =
                    Some(serde_json::from_str(query).context("--query is not valid JSON")?);
            }
            let cap = common.max_items.unwrap_or_else(configured_max_items);
            if let Some(filters) = &common.filters {
                let filters: serde_json::Map<String, Value> =
                    serde_json::from_str(filters).context("--filters is not a JSON object")?;
                let zone = crate::upstream::time_zone(&common.connection, Some(&client)).await?;
                let ws = intercom_mcp_server::workspace_context::Workspace::new(
                    client.clone(),
                    Some(zone),
                )
                .with_workday_start(common.connection.workday_start);
                // The command reads no mirror: `text` goes to Intercom's search (the note says
                // what that matches).
                let selected = intercom_mcp_server::tools::bulk::filter_targets(
                    &ws,
                    None,
                    kind,
                    Some(filters),
                    spec.query.take(),
                    cap,
                )
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?;
                if let Some(note) = &selected.note {
                    eprintln!("note: {note}");
                }
                spec.query = selected.query;
                spec.selected = selected.ids;
            }
            // The targets are read (and bad ones refused) before the operation may create a tag.
            let targets = targets::resolve(&client, kind, &spec, cap).await?;
            let operation = operation(client.clone()).await?;
            if common.dry_run {
                let already =
                    |item: &intercom_jobs::bulk::NewItem| targets.shows_change(&operation, item);
                let done = targets.items.iter().filter(|i| already(i)).count();
                println!(
                    "Dry run: {} — {} target(s), {done} already show the change:",
                    operation.describe(),
                    targets.runnable()
                );
                for item in &targets.items {
                    let mark = if already(item) {
                        " — already done"
                    } else {
                        ""
                    };
                    match &item.failed {
                        None => println!("  {} (id {}){mark}", item.label, item.id),
                        Some(reason) => println!("  skipped {}: {reason}", item.label),
                    }
                }
                return Ok(true);
            }
            start_job(&store, &operation, &targets).await?
        }
    };
    let job = store
        .job(&job_id)
        .await?
        .with_context(|| format!("there is no bulk job `{job_id}`"))?;
    eprintln!("job {job_id}: {}", job.description);
    let bar = ProgressBar::new(job.total);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} eta {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_position(job.ok + job.failed);
    let options = RunOptions {
        max_in_flight: common.max_in_flight,
        resume: common.resume.is_some(),
        ..RunOptions::default()
    };
    let cancel = options.cancel.clone();
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel();
        }
    });
    let on_item = |done: u64, _total: u64, item: &intercom_jobs::bulk::ItemRecord| {
        bar.set_position(done);
        if let Some(err) = &item.error {
            bar.println(format!("failed {}: {err}", item.label));
        }
    };
    let report = run_job(&client, &store, &job_id, &options, &on_item).await;
    ctrl_c.abort();
    bar.finish_and_clear();
    let report = report?;
    print_report(&report, common.json)?;
    Ok(report.job.failed == 0)
}

fn print_report(report: &JobReport, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
        return Ok(());
    }
    let job = &report.job;
    println!(
        "job {}: {} — {:?}: {}",
        job.id,
        job.description,
        job.state,
        job.counts()
    );
    if report.elapsed_ms > 0 {
        println!(
            "{} requests in {:.1} s ({:.1}/s), {} answered 429",
            report.requests_sent,
            report.elapsed_ms as f64 / 1000.0,
            report.requests_sent as f64 * 1000.0 / report.elapsed_ms as f64,
            report.rate_limited
        );
    }
    for item in report.items.iter().filter(|i| i.error.is_some()) {
        println!(
            "  failed {} ({}): {}",
            item.label,
            item.id,
            item.error.as_deref().unwrap_or("")
        );
    }
    if job.pending > 0 {
        println!(
            "resume with: intercom-mcp bulk <operation> --resume {}",
            job.id
        );
    }
    Ok(())
}

async fn status(args: StatusArgs) -> anyhow::Result<bool> {
    let store = open_store(&args.store)?;
    let Some(job_id) = args.job else {
        for job in store.recent_jobs(20).await? {
            println!(
                "{}  {:?}  {} ok / {} already so / {} failed / {} pending  {}",
                job.id, job.state, job.ok, job.unchanged, job.failed, job.pending, job.description
            );
        }
        return Ok(true);
    };
    let job = store
        .job(&job_id)
        .await?
        .with_context(|| format!("there is no bulk job `{job_id}`"))?;
    let items = store.items(&job.id, None).await?;
    print_report(
        &JobReport {
            job,
            items,
            elapsed_ms: 0,
            requests_sent: 0,
            rate_limited: 0,
        },
        args.json,
    )?;
    Ok(true)
}
