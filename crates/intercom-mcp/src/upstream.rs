//! Where a command's Intercom is: the configured workspace, or the embedded sandbox.
//! Every subcommand that talks to Intercom takes these options.

use anyhow::Context;
use clap::Args;
use intercom_api::{Region, Secret};
use intercom_core::dates::parse_time_zone;
use intercom_mcp_server::workspace_context::ApiSettings;
use intercom_sandbox::{Sandbox, SandboxConfig, Scale};

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

/// Where the server's Intercom is: the configured one, or a sandbox we started
/// (kept alive as long as this value lives).
pub struct Upstream {
    pub settings: ApiSettings,
    pub token: Option<Secret>,
    pub sandbox: Option<Sandbox>,
}

pub async fn upstream(conn: &ConnectionArgs, sandbox: &SandboxChoice) -> anyhow::Result<Upstream> {
    let time_zone = parse_time_zone(&conn.time_zone).map_err(anyhow::Error::msg)?;
    if sandbox.sandbox {
        let started = std::time::Instant::now();
        let sb = Sandbox::start(SandboxConfig {
            scale: sandbox.sandbox_scale,
            ..SandboxConfig::default()
        })
        .await
        .context("could not start the embedded sandbox")?;
        tracing::info!(
            url = %sb.base_url(),
            scale = ?sandbox.sandbox_scale,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "embedded Intercom sandbox started"
        );
        return Ok(Upstream {
            settings: ApiSettings {
                region: Region::Us,
                base_url: Some(sb.base_url()),
                time_zone,
            },
            token: Some(Secret::new(sb.token())),
            sandbox: Some(sb),
        });
    }
    let region: Region = conn
        .region
        .parse()
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| {
            format!(
                "invalid --region / INTERCOM_REGION `{}` (use us, eu or au)",
                conn.region
            )
        })?;
    Ok(Upstream {
        settings: ApiSettings {
            region,
            base_url: conn.api_base.clone().filter(|s| !s.trim().is_empty()),
            time_zone,
        },
        token: conn
            .access_token
            .clone()
            .filter(|t| !t.trim().is_empty())
            .map(Secret::new),
        sandbox: None,
    })
}
