//! Command-line interface. Every option can also be set from the environment.

use clap::{Args, Parser, Subcommand, ValueEnum};
use intercom_sandbox::Scale;
use intercom_sandbox::cli::SandboxArgs;

use crate::toolsets::Selection;
use crate::transport::http::DEFAULT_MAX_BODY_BYTES;
use crate::transport::limits::DEFAULT_MAX_CONCURRENT_PER_CLIENT;

/// MCP server that connects AI assistants to an Intercom workspace.
#[derive(Debug, Parser)]
#[command(name = "intercom-mcp", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Log filter (tracing syntax, e.g. `info`, `intercom_mcp=debug`). Logs go to stderr.
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
    Sandbox(SandboxArgs),
    /// Check the token and region against Intercom (GET /me).
    Doctor(DoctorArgs),
    /// List the tool catalogue.
    Tools(ToolsArgs),
    /// Run one tool in-process and print its result.
    Call(CallArgs),
    /// Copy the workspace into the local mirror: full backfill, then incremental runs (resumable).
    Sync(crate::mirror::commands::SyncArgs),
    /// Receive Intercom webhooks into the local mirror (POST /webhooks/intercom), without MCP.
    Webhooks(crate::mirror::commands::WebhooksArgs),
    /// Stream mirrored objects to stdout as JSON Lines or CSV.
    Export(crate::mirror::commands::ExportArgs),
    /// Support metrics for a period (Markdown, JSON or a PNG chart). [analytics]
    Metrics(crate::analytics::cli::MetricsArgs),
    /// Bulk jobs: update contacts, tag, manage conversations (CSV/JSONL input, resumable). [bulk]
    Bulk(crate::bulk::cli::BulkArgs),
    /// Automation rules: check a rules file, list its rules, test one, read the run log. [automations]
    Automations(crate::automations::cli::AutomationsArgs),
}

/// How to reach Intercom.
#[derive(Debug, Clone, Args)]
pub struct ConnectionArgs {
    /// Intercom access token.
    #[arg(
        long = "access-token",
        env = "INTERCOM_ACCESS_TOKEN",
        hide_env_values = true
    )]
    pub access_token: Option<String>,
    /// Region of the workspace: us, eu or au.
    #[arg(long, env = "INTERCOM_REGION", default_value = "us")]
    pub region: String,
    /// Base URL overriding the region (a proxy or a sandbox).
    #[arg(long = "api-base", env = "INTERCOM_API_BASE")]
    pub api_base: Option<String>,
    /// Workspace time zone for dates such as `today` and for rendered times (IANA name).
    #[arg(
        long = "time-zone",
        env = "INTERCOM_MCP_TIME_ZONE",
        default_value = "UTC"
    )]
    pub time_zone: String,
}

/// Which tools to expose.
#[derive(Debug, Clone, Args, Default)]
pub struct SelectionArgs {
    /// Toolsets to enable, comma-separated: conversations, tickets, contacts, companies,
    /// articles, workspace, realtime, bulk, analytics, automations; or `default`, `all`.
    #[arg(long, env = "INTERCOM_MCP_TOOLSETS", value_delimiter = ',')]
    pub toolsets: Vec<String>,
    /// Only these tools (comma-separated names), from any toolset.
    #[arg(long, env = "INTERCOM_MCP_TOOLS", value_delimiter = ',')]
    pub tools: Vec<String>,
    /// Expose only tools that do not write, whatever else is asked.
    #[arg(long = "read-only", env = "INTERCOM_MCP_READ_ONLY")]
    pub read_only: bool,
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
        }
    }
}

/// Run against the embedded sandbox instead of a real workspace.
#[derive(Debug, Clone, Args)]
pub struct SandboxChoice {
    /// Start the embedded Intercom sandbox in-process and use it (no account needed).
    #[arg(long, env = "INTERCOM_MCP_SANDBOX")]
    pub sandbox: bool,
    /// Size of the sandbox workspace: tiny, small, medium or large.
    #[arg(long = "sandbox-scale", env = "INTERCOM_MCP_SANDBOX_SCALE", default_value = "small", value_parser = parse_scale)]
    pub sandbox_scale: Scale,
}

fn parse_scale(s: &str) -> Result<Scale, String> {
    s.parse()
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
    #[arg(
        long = "conformance-fixtures",
        env = "INTERCOM_MCP_CONFORMANCE_FIXTURES"
    )]
    pub conformance_fixtures: bool,
    /// Largest accepted HTTP request body, in bytes.
    #[arg(long = "max-body-bytes", env = "INTERCOM_MCP_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
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
    /// Real time: --sync, --store, --sync-interval.
    #[command(flatten)]
    pub realtime: crate::mirror::commands::RealtimeServeArgs,
    /// Automations: --automations FILE.
    #[command(flatten)]
    pub automations: crate::automations::cli::AutomationsServeArgs,
    /// Sign in with Intercom: --oauth, --public-url, --oauth-client-id, --oauth-store.
    #[command(flatten)]
    pub oauth: crate::oauth::cli::OAuthServeArgs,
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
