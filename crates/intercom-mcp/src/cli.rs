//! Command-line interface. Every setting can also be set from the environment;
//! options that name what one command acts on or how it prints (ids, files, tags,
//! periods, `--json`, `--dry-run`, ...) cannot (README, "Environment").

use clap::{Args, Parser, Subcommand, ValueEnum};
use intercom_mcp_server::toolsets::Selection;
use intercom_mcp_server::transport::http::DEFAULT_MAX_REQUEST_BYTES;
use intercom_mcp_server::transport::limits::DEFAULT_MAX_CONCURRENT_PER_CLIENT;
#[cfg(feature = "sandbox")]
use intercom_sandbox::cli::SandboxArgs;

use crate::upstream::{ConnectionArgs, SandboxChoice};

/// MCP server that connects AI assistants to an Intercom workspace.
#[derive(Debug, Parser)]
#[command(name = "intercom-mcp", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Log filter (tracing syntax, e.g. `info`, `intercom_mcp_server=debug`). Logs go to stderr.
    #[arg(
        long,
        global = true,
        env = "INTERCOM_MCP_LOG",
        default_value = "info,rmcp=warn"
    )]
    pub log: String,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the MCP server (stdio by default, or HTTP with --transport http).
    Serve(ServeArgs),
    /// Run the local Intercom emulator (the sandbox) on its own.
    #[cfg(feature = "sandbox")]
    Sandbox(SandboxArgs),
    /// Check the token and region against Intercom (GET /me).
    Doctor(DoctorArgs),
    /// List the tool catalogue.
    Tools(ToolsArgs),
    /// Run one tool in-process and print its result.
    Call(CallArgs),
    /// Copy the workspace into the local mirror: full backfill, then incremental runs (resumable).
    Sync(crate::mirror::SyncArgs),
    /// Receive Intercom webhooks into the local mirror (POST /webhooks/intercom), without MCP.
    Webhooks(crate::mirror::WebhooksArgs),
    /// Stream mirrored objects to stdout as JSON Lines or CSV.
    Export(crate::mirror::ExportArgs),
    /// Support metrics for a period (Markdown, JSON or a PNG chart). [analytics]
    Metrics(crate::metrics::MetricsArgs),
    /// Bulk jobs: update contacts, tag, manage conversations (CSV/JSONL input, resumable). [bulk]
    Bulk(crate::bulk::BulkArgs),
    /// Automation rules: check a rules file, list its rules, test one, read the run log. [automations]
    Automations(crate::automations::AutomationsArgs),
}

/// Which tools to expose.
#[derive(Debug, Clone, Args, Default)]
pub struct SelectionArgs {
    /// Toolsets to list, comma-separated: conversations, tickets, contacts, companies,
    /// articles, workspace, realtime, bulk, analytics, automations; or `default`, `all`.
    /// Naming any gives a static list (without any: dynamic toolsets, see below).
    #[arg(long, env = "INTERCOM_MCP_TOOLSETS", value_delimiter = ',')]
    pub toolsets: Vec<String>,
    /// Only these tools (comma-separated names), from any toolset.
    #[arg(long, env = "INTERCOM_MCP_TOOLS", value_delimiter = ',')]
    pub tools: Vec<String>,
    /// Expose only tools that do not write, whatever else is asked.
    #[arg(long = "read-only", env = "INTERCOM_MCP_READ_ONLY")]
    pub read_only: bool,
    /// Sessions start with the core tools plus list_toolsets/enable_toolset and add
    /// toolsets on demand (the client is told with notifications/tools/list_changed).
    /// This is the default when neither --toolsets nor --tools is given; with them it makes
    /// the named toolsets the ones a session can enable.
    #[arg(long = "dynamic-toolsets", env = "INTERCOM_MCP_DYNAMIC_TOOLSETS")]
    pub dynamic_toolsets: bool,
    /// Mask email addresses and phone numbers in tool output (GDPR/CCPA).
    #[arg(long = "redact-pii", env = "INTERCOM_MCP_REDACT_PII")]
    pub redact_pii: bool,
}

impl SelectionArgs {
    pub fn selection(&self) -> Selection {
        Selection {
            toolsets: self.toolsets.clone(),
            tools: self.tools.clone(),
            read_only: self.read_only,
            dynamic: self.dynamic_toolsets,
        }
    }
}

fn parse_positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("expected a whole number of at least 1, got `{s}`")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TransportKind {
    /// Newline-delimited JSON-RPC on stdin/stdout.
    Stdio,
    /// Streamable HTTP at /mcp, legacy SSE at /sse, and /healthz.
    Http,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(flatten)]
    pub sandbox: SandboxChoice,
    /// Transport to serve.
    #[arg(
        long,
        env = "INTERCOM_MCP_TRANSPORT",
        value_enum,
        default_value = "stdio"
    )]
    pub transport: TransportKind,
    /// Address to listen on (HTTP). Anything but loopback requires --auth-token.
    #[arg(long, env = "INTERCOM_MCP_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (HTTP; 0 picks a free port).
    #[arg(long, env = "INTERCOM_MCP_PORT", default_value_t = 8080)]
    pub port: u16,
    /// Token HTTP clients must send as `Authorization: Bearer <token>`.
    #[arg(
        long = "auth-token",
        env = "INTERCOM_MCP_AUTH_TOKEN",
        hide_env_values = true
    )]
    pub auth_token: Option<String>,
    /// Use each HTTP client's bearer token as its Intercom access token.
    #[arg(long = "token-from-request", env = "INTERCOM_MCP_TOKEN_FROM_REQUEST")]
    pub token_from_request: bool,
    /// Extra accepted Host header values (comma-separated; `*` accepts any).
    #[arg(
        long = "allowed-hosts",
        env = "INTERCOM_MCP_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,
    /// Accepted browser Origins besides loopback ones (comma-separated, e.g. https://app.example.com).
    #[arg(
        long = "allowed-origins",
        env = "INTERCOM_MCP_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,
    /// Also serve the MCP conformance suite's fixture tools, resources and prompts (for testing).
    #[cfg(feature = "conformance-fixtures")]
    #[arg(
        long = "conformance-fixtures",
        env = "INTERCOM_MCP_CONFORMANCE_FIXTURES"
    )]
    pub conformance_fixtures: bool,
    /// Largest accepted HTTP request body, in bytes.
    #[arg(long = "max-body-bytes", env = "INTERCOM_MCP_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_REQUEST_BYTES)]
    pub max_body_bytes: usize,
    /// Requests one HTTP client (MCP session) may have in flight at once; more get 429 with
    /// Retry-After. One IP address (or own token, with --token-from-request) may have 16 times
    /// as many across its sessions.
    #[arg(
        long = "max-concurrent-per-client",
        env = "INTERCOM_MCP_MAX_CONCURRENT_PER_CLIENT",
        default_value_t = DEFAULT_MAX_CONCURRENT_PER_CLIENT,
        value_parser = parse_positive
    )]
    pub max_concurrent_per_client: usize,
    /// On SIGTERM or Ctrl-C, keep serving this many seconds while /healthz answers 503
    /// `draining`, so a load balancer takes this replica out first (a rolling restart
    /// loses no request). Set it above the balancer's health-check fall time.
    #[arg(
        long = "drain-seconds",
        env = "INTERCOM_MCP_DRAIN_SECONDS",
        default_value_t = 0
    )]
    pub drain_seconds: u64,
    /// Real time: --sync, --store, --sync-interval.
    #[command(flatten)]
    pub realtime: crate::mirror::RealtimeServeArgs,
    /// A replica of a fleet (with a PostgreSQL --store): --replica-name.
    #[command(flatten)]
    pub fleet: crate::fleet::FleetArgs,
    /// Automations: --automations FILE.
    #[command(flatten)]
    pub automations: crate::automations::AutomationsServeArgs,
    /// Sign in with Intercom: --oauth, --public-url, --oauth-client-id, --oauth-store.
    #[command(flatten)]
    pub oauth: crate::oauth::OAuthServeArgs,
}

#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub sandbox: SandboxChoice,
}

#[derive(Debug, Clone, Args)]
pub struct ToolsArgs {
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Print the catalogue as JSON (names, descriptions, schemas, annotations).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CallArgs {
    /// Tool name, e.g. search_conversations.
    pub tool: String,
    /// Tool arguments as a JSON object (default `{}`); `-` reads them from stdin.
    pub arguments: Option<String>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(flatten)]
    pub sandbox: SandboxChoice,
    /// Where bulk jobs live (the bulk tools keep their jobs there).
    #[command(flatten)]
    pub store: crate::mirror::StoreArgs,
    /// Print the whole result as JSON (structured content, text and isError).
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    /// Options that name what one run acts on or how it prints; README lists them as
    /// the ones without an environment variable.
    const PER_RUN: &[&str] = &[
        "ids",
        "emails",
        "file",
        "query",
        "filters",
        "company",
        "object",
        "conversation",
        "ticket",
        "contact",
        "rule",
        "tag",
        "remove",
        "set",
        "action",
        "assignee",
        "team",
        "until",
        "message",
        "resume",
        "dry-run",
        "period",
        "from",
        "to",
        "group-by",
        "since",
        "status",
        "limit",
        "format",
        "output",
        "chart",
        "json",
    ];

    #[test]
    fn every_setting_reads_the_environment_as_readme_says() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let path = format!("{path} {}", command.get_name());
            for arg in command.get_arguments() {
                let Some(long) = arg.get_long() else { continue };
                if arg.get_env().is_none()
                    && !PER_RUN.contains(&long)
                    && !matches!(long, "help" | "version")
                {
                    missing.push(format!("{path} --{long}"));
                }
            }
            for sub in command.get_subcommands() {
                walk(sub, &path, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "", &mut missing);
        assert!(
            missing.is_empty(),
            "options without an environment variable: {missing:?}"
        );
        let readme = include_str!("../../../README.md");
        for long in PER_RUN {
            assert!(
                readme.contains(&format!("`--{long}`")),
                "README does not list --{long}"
            );
        }
    }

    #[test]
    fn serve_defaults_and_flags() {
        let cli = Cli::try_parse_from([
            "intercom-mcp",
            "serve",
            "--sandbox",
            "--transport",
            "http",
            "--port",
            "9000",
            "--toolsets",
            "tickets,workspace",
            "--read-only",
        ])
        .unwrap();
        let Command::Serve(s) = cli.command else {
            panic!("expected serve")
        };
        assert!(s.sandbox.sandbox);
        assert_eq!(s.transport, TransportKind::Http);
        assert_eq!(s.port, 9000);
        assert_eq!(s.host, "127.0.0.1");
        assert_eq!(s.selection.toolsets, vec!["tickets", "workspace"]);
        assert!(s.selection.read_only);
        assert_eq!(
            s.max_concurrent_per_client,
            DEFAULT_MAX_CONCURRENT_PER_CLIENT
        );
    }

    #[test]
    fn concurrency_limit_flag() {
        let parse = |n: &str| {
            Cli::try_parse_from(["intercom-mcp", "serve", "--max-concurrent-per-client", n])
        };
        let Command::Serve(s) = parse("3").unwrap().command else {
            panic!("expected serve")
        };
        assert_eq!(s.max_concurrent_per_client, 3);
        assert!(parse("0").is_err(), "a limit of 0 would refuse everything");
    }
}
