//! `intercom-mcp automations check|list|test|log`, and `serve --automations FILE`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use intercom_automations::AUTOMATIONS_ENV;
use intercom_automations::engine::Engine;
use intercom_automations::parse::load_rules;
use intercom_automations::report::{render_log, render_rules, render_test, rule_views};
use intercom_automations::rules::ObjectType;
use intercom_automations::runlog::{LogFilter, RunLog, RunStatus, SqliteRunLog, parse_status};
use intercom_mcp_server::server::IntercomServer;

use crate::mirror::StoreArgs;
use crate::upstream::{ConnectionArgs, SandboxChoice, Upstream};

#[derive(Debug, Clone, Args)]
pub struct AutomationsArgs {
    #[command(subcommand)]
    pub command: AutomationsCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum AutomationsCommand {
    /// Validate a rules file and report every error with its line (exit status 1 if any).
    Check(FileArg),
    /// Show the rules of a file: topics, conditions and actions.
    List {
        #[command(flatten)]
        file: FileArg,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Dry-run one rule against a conversation, ticket or contact: whether each condition
    /// matches and what each action would do. Changes nothing.
    Test(TestArgs),
    /// Recent automation runs from the run log, newest first.
    Log(LogArgs),
}

#[derive(Debug, Clone, Args)]
pub struct FileArg {
    /// The rules file (TOML).
    #[arg(env = AUTOMATIONS_ENV)]
    pub file: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct TestArgs {
    #[command(flatten)]
    pub file: FileArg,
    /// The rule to test.
    #[arg(long)]
    pub rule: String,
    /// Test against this conversation.
    #[arg(long, group = "object")]
    pub conversation: Option<String>,
    /// Test against this ticket.
    #[arg(long, group = "object")]
    pub ticket: Option<String>,
    /// Test against this contact.
    #[arg(long, group = "object")]
    pub contact: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub sandbox: SandboxChoice,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Only runs of this rule.
    #[arg(long)]
    pub rule: Option<String>,
    /// Only runs on this object (conversation, ticket, contact or company id).
    #[arg(long)]
    pub object: Option<String>,
    /// Only runs with this outcome: applied, dry_run, no_match, skipped_loop, rate_limited,
    /// failed, interrupted, claimed.
    #[arg(long, value_parser = parse_status)]
    pub status: Option<RunStatus>,
    /// How many runs to show.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `serve` options.
#[derive(Debug, Clone, Args, Default)]
pub struct AutomationsServeArgs {
    /// Rules file of automations to run on incoming events (needs the mirror: --sync).
    /// The server refuses to start if the file has errors (see `automations check`).
    #[arg(long = "automations", env = AUTOMATIONS_ENV)]
    pub automations: Option<PathBuf>,
}

/// Run an `automations` subcommand; `Ok(false)` means "ran, but found problems" (exit 1).
pub async fn run(args: AutomationsArgs) -> anyhow::Result<bool> {
    match args.command {
        AutomationsCommand::Check(file) => Ok(check(&file.file)),
        AutomationsCommand::List { file, json } => {
            let rules = load_rules(&file.file).map_err(|e| anyhow::anyhow!("{e}"))?;
            let views = rule_views(&rules);
            if json {
                println!("{}", serde_json::to_string_pretty(&views)?);
            } else {
                println!("{}", render_rules(&views));
            }
            Ok(true)
        }
        AutomationsCommand::Test(t) => test(t).await,
        AutomationsCommand::Log(l) => {
            let log = SqliteRunLog::open(&l.store.sqlite_path()?)?;
            let runs = log
                .query(&LogFilter {
                    rule: l.rule,
                    object_id: l.object,
                    status: l.status,
                    before_seq: None,
                    limit: l.limit.max(1),
                })
                .await?;
            if l.json {
                println!("{}", serde_json::to_string_pretty(&runs)?);
            } else {
                println!("{}", render_log(&runs));
            }
            Ok(true)
        }
    }
}

fn check(path: &Path) -> bool {
    match load_rules(path) {
        Ok(rules) => {
            let dry = rules.rules.iter().filter(|r| r.dry_run).count();
            println!(
                "{}: OK, {} rule{} ({} in dry run)",
                path.display(),
                rules.rules.len(),
                if rules.rules.len() == 1 { "" } else { "s" },
                dry
            );
            true
        }
        Err(errors) => {
            print!("{errors}");
            false
        }
    }
}

async fn test(args: TestArgs) -> anyhow::Result<bool> {
    let rules = load_rules(&args.file.file).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (object_type, id) = match (&args.conversation, &args.ticket, &args.contact) {
        (Some(id), _, _) => (ObjectType::Conversation, id),
        (_, Some(id), _) => (ObjectType::Ticket, id),
        (_, _, Some(id)) => (ObjectType::Contact, id),
        _ => bail!(
            "say what to test the rule against: --conversation ID, --ticket ID or --contact ID"
        ),
    };
    let upstream = crate::upstream::upstream(&args.connection, &args.sandbox).await?;
    let client = client_for(&upstream)?;
    let log = Arc::new(SqliteRunLog::open(&args.store.sqlite_path()?)?);
    let engine = Engine::start(rules, log, client).await?;
    let report = engine.test(&args.rule, object_type, id).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{}", render_test(&report));
    }
    Ok(true)
}

fn client_for(upstream: &Upstream) -> anyhow::Result<intercom_api::Client> {
    let token = upstream.token.as_ref().context(
        "automations need an Intercom access token: set INTERCOM_ACCESS_TOKEN (or use --sandbox)",
    )?;
    upstream
        .settings
        .client(token)
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// For `serve`: validate the rules (refusing to start on any error), start the engine on
/// the mirror's event log, and attach it to the server for the `automations` tools.
pub async fn start_for_serve(
    args: &AutomationsServeArgs,
    server: IntercomServer,
    upstream: &Upstream,
    fleet_log: Option<Arc<dyn RunLog>>,
) -> anyhow::Result<IntercomServer> {
    let Some(path) = &args.automations else {
        return Ok(server);
    };
    let rules = load_rules(path).map_err(|e| anyhow::anyhow!("not starting: {e}"))?;
    let Some(realtime) = server.realtime().cloned() else {
        bail!(
            "--automations needs the local mirror, whose event log it follows: add --sync \
             (and set INTERCOM_CLIENT_SECRET so webhooks arrive at /webhooks/intercom)"
        );
    };
    let mirror = realtime.mirror().clone();
    let log: Arc<dyn RunLog> = match fleet_log {
        Some(log) => log,
        None => {
            let store = mirror
                .sqlite()
                .map(|s| s.path().to_path_buf())
                .context("automations need the SQLite mirror")?;
            Arc::new(SqliteRunLog::open(&store)?)
        }
    };
    let client = client_for(upstream)?;
    let rule_count = rules.rules.len();
    let engine = Arc::new(Engine::start(rules, log, client).await?);
    tokio::spawn({
        let engine = engine.clone();
        async move {
            if let Err(e) = engine.follow(mirror, std::future::pending()).await {
                tracing::error!(error = %e, "automations stopped");
            }
        }
    });
    tracing::info!(rules = rule_count, file = %path.display(), "automations on");
    Ok(server.with_automations(engine))
}
