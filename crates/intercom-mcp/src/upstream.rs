//! Where a command's Intercom is: the configured workspace, or the embedded sandbox.
//! Every subcommand that talks to Intercom takes these options.
//!
//! The sandbox is the default cargo feature `sandbox`; a build without it
//! (`--no-default-features`) contains no emulator, hides `--sandbox` and refuses it
//! with a clear error.

use anyhow::Context;
use chrono_tz::Tz;
use clap::Args;
use intercom_api::{Region, Secret};
use intercom_core::dates::{WorkdayStart, parse_time_zone};
use intercom_mcp_server::workspace_context::ApiSettings;
#[cfg(feature = "sandbox")]
use intercom_sandbox::{Sandbox, SandboxConfig, Scale};

/// A build without the emulator: no sandbox value can exist.
#[cfg(not(feature = "sandbox"))]
pub enum Sandbox {}

#[cfg(not(feature = "sandbox"))]
impl Sandbox {
    pub fn send_webhooks_to(&self, _url: String, _secret: String) -> bool {
        match *self {}
    }
}

/// Without the emulator the scale is only read, never used.
#[cfg(not(feature = "sandbox"))]
type Scale = String;

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
    /// Time zone for dates such as `today` and for rendered times (IANA name); default:
    /// the workspace's own (Intercom's `/me` answer), UTC when that cannot be read.
    #[arg(long = "time-zone", env = "INTERCOM_MCP_TIME_ZONE")]
    pub time_zone: Option<String>,
    /// When the working day starts, HH:MM on a 24-hour clock in that time zone: a snooze
    /// to a date alone (`monday`, `tomorrow`) wakes then.
    #[arg(
        long = "workday-start",
        env = intercom_core::dates::WORKDAY_START_ENV,
        value_name = "HH:MM",
        default_value = "09:00",
        value_parser = parse_workday_start
    )]
    pub workday_start: WorkdayStart,
}

/// Run against the embedded sandbox instead of a real workspace.
#[derive(Debug, Clone, Args)]
pub struct SandboxChoice {
    /// Start the embedded Intercom sandbox in-process and use it (no account needed).
    #[arg(long, env = "INTERCOM_MCP_SANDBOX", hide = !cfg!(feature = "sandbox"))]
    pub sandbox: bool,
    /// Size of the sandbox workspace: tiny, small, medium or large.
    #[arg(long = "sandbox-scale", env = "INTERCOM_MCP_SANDBOX_SCALE", default_value = "small", value_parser = parse_scale, hide = !cfg!(feature = "sandbox"))]
    pub sandbox_scale: Scale,
}

/// `--workday-start` / `INTERCOM_MCP_WORKDAY_START`, refused at start-up when it is no time
/// of day.
fn parse_workday_start(s: &str) -> Result<WorkdayStart, String> {
    WorkdayStart::parse(s).map_err(|e| {
        format!(
            "{e}; it comes from --workday-start or {}",
            intercom_core::dates::WORKDAY_START_ENV
        )
    })
}

#[cfg(feature = "sandbox")]
fn parse_scale(s: &str) -> Result<Scale, String> {
    s.parse()
}

#[cfg(not(feature = "sandbox"))]
fn parse_scale(s: &str) -> Result<Scale, String> {
    Ok(s.to_string())
}

/// The zone given with `--time-zone` / `INTERCOM_MCP_TIME_ZONE`, if any.
pub fn configured_time_zone(conn: &ConnectionArgs) -> anyhow::Result<Option<Tz>> {
    conn.time_zone
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(parse_time_zone)
        .transpose()
        .map_err(anyhow::Error::msg)
}

/// The configured zone, else the workspace's own (`/me`'s `app.timezone`), else UTC.
pub async fn time_zone(
    conn: &ConnectionArgs,
    client: Option<&intercom_api::Client>,
) -> anyhow::Result<Tz> {
    if let Some(zone) = configured_time_zone(conn)? {
        return Ok(zone);
    }
    let Some(client) = client else {
        return Ok(Tz::UTC);
    };
    match client.workspace_time_zone().await {
        Ok(zone) => Ok(zone.and_then(|name| name.parse().ok()).unwrap_or(Tz::UTC)),
        Err(err) => {
            tracing::warn!(error = %err, "could not read the workspace's time zone from /me; using UTC");
            Ok(Tz::UTC)
        }
    }
}

/// Where the server's Intercom is: the configured one, or a sandbox we started
/// (kept alive as long as this value lives).
pub struct Upstream {
    pub settings: ApiSettings,
    pub token: Option<Secret>,
    pub sandbox: Option<Sandbox>,
}

pub async fn upstream(conn: &ConnectionArgs, sandbox: &SandboxChoice) -> anyhow::Result<Upstream> {
    let time_zone = configured_time_zone(conn)?;
    if sandbox.sandbox {
        let mut upstream = start_sandbox(sandbox, time_zone).await?;
        upstream.settings.workday_start = conn.workday_start;
        return Ok(upstream);
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
            workday_start: conn.workday_start,
            rate_budgets: None,
        },
        token: conn
            .access_token
            .clone()
            .filter(|t| !t.trim().is_empty())
            .map(Secret::new),
        sandbox: None,
    })
}

#[cfg(feature = "sandbox")]
async fn start_sandbox(choice: &SandboxChoice, time_zone: Option<Tz>) -> anyhow::Result<Upstream> {
    let started = std::time::Instant::now();
    let sb = Sandbox::start(SandboxConfig {
        scale: choice.sandbox_scale,
        ..SandboxConfig::default()
    })
    .await
    .context("could not start the embedded sandbox")?;
    tracing::info!(
        url = %sb.base_url(),
        scale = ?choice.sandbox_scale,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "embedded Intercom sandbox started"
    );
    Ok(Upstream {
        settings: ApiSettings {
            region: Region::Us,
            base_url: Some(sb.base_url()),
            time_zone,
            workday_start: WorkdayStart::DEFAULT,
            rate_budgets: None,
        },
        token: Some(Secret::new(sb.token())),
        sandbox: Some(sb),
    })
}

#[cfg(not(feature = "sandbox"))]
async fn start_sandbox(
    _choice: &SandboxChoice,
    _time_zone: Option<Tz>,
) -> anyhow::Result<Upstream> {
    anyhow::bail!(
        "this intercom-mcp was built without the embedded sandbox (cargo feature `sandbox`): \
         connect to a workspace with INTERCOM_ACCESS_TOKEN, or use a build with default features"
    )
}
