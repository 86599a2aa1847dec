//! `intercom-mcp sandbox`: command-line arguments and the serve-until-Ctrl-C entry point.

use clap::{Args, ValueEnum};

use crate::app::SandboxConfig;
use crate::seed::Scale;
use crate::server::Sandbox;

/// Workspace size to seed.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ScaleArg {
    Tiny,
    Small,
    Medium,
    Large,
}

impl From<ScaleArg> for Scale {
    fn from(value: ScaleArg) -> Self {
        match value {
            ScaleArg::Tiny => Scale::Tiny,
            ScaleArg::Small => Scale::Small,
            ScaleArg::Medium => Scale::Medium,
            ScaleArg::Large => Scale::Large,
        }
    }
}

/// Options of the local Intercom emulator.
#[derive(Clone, Args)]
pub struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, env = "INTERCOM_SANDBOX_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "INTERCOM_SANDBOX_PORT", default_value_t = 8090)]
    pub port: u16,
    /// Size of the seeded workspace.
    #[arg(
        long,
        env = "INTERCOM_SANDBOX_SCALE",
        value_enum,
        default_value = "small"
    )]
    pub scale: ScaleArg,
    /// Seed of the generated workspace and of fault injection.
    #[arg(long, env = "INTERCOM_SANDBOX_SEED", default_value_t = 42)]
    pub seed: u64,
    /// Bearer token the sandbox accepts.
    #[arg(
        long,
        env = "INTERCOM_SANDBOX_TOKEN",
        default_value = "sandbox-token",
        hide_env_values = true
    )]
    pub token: String,
    /// Requests allowed per 10-second window (default: Intercom's 1,666, i.e. 10,000/min).
    #[arg(long, env = "INTERCOM_SANDBOX_RATE_LIMIT", default_value_t = crate::app::DEFAULT_RATE_LIMIT)]
    pub rate_limit: u32,
    /// Share of requests (0.0–1.0) answered with an injected 500/502/503 or a dropped connection.
    #[arg(long, env = "INTERCOM_SANDBOX_FAULT_RATE", default_value_t = 0.0)]
    pub fault_rate: f64,
    /// Latency added to every request, in milliseconds.
    #[arg(long, env = "INTERCOM_SANDBOX_LATENCY_MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// URL that receives webhook notifications.
    #[arg(long, env = "INTERCOM_SANDBOX_WEBHOOK_URL")]
    pub webhook_url: Option<String>,
    /// Secret that signs webhook notifications (X-Hub-Signature).
    #[arg(long, env = "INTERCOM_SANDBOX_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,
    /// Background activity events (new conversations, replies, ratings) per minute.
    #[arg(long, env = "INTERCOM_SANDBOX_ACTIVITY_PER_MIN", default_value_t = 0.0)]
    pub activity_per_min: f64,
    /// Client id of the OAuth app people sign in through (`GET /oauth`).
    #[arg(long, env = "INTERCOM_SANDBOX_OAUTH_CLIENT_ID", requires_all = ["oauth_client_secret", "oauth_redirect_uri"])]
    pub oauth_client_id: Option<String>,
    /// Client secret of that app (checked at `POST /auth/eagle/token`).
    #[arg(
        long,
        env = "INTERCOM_SANDBOX_OAUTH_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub oauth_client_secret: Option<String>,
    /// Redirect URI registered on that app (repeat for several).
    #[arg(
        long,
        env = "INTERCOM_SANDBOX_OAUTH_REDIRECT_URI",
        value_delimiter = ','
    )]
    pub oauth_redirect_uri: Vec<String>,
}

// The token and webhook secret never reach Debug output.
impl std::fmt::Debug for SandboxArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxArgs")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("scale", &self.scale)
            .field("seed", &self.seed)
            .field("token", &"<redacted>")
            .field("rate_limit", &self.rate_limit)
            .field("fault_rate", &self.fault_rate)
            .field("latency_ms", &self.latency_ms)
            .field("webhook_url", &self.webhook_url)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("activity_per_min", &self.activity_per_min)
            .field("oauth_client_id", &self.oauth_client_id)
            .field("oauth_redirect_uri", &self.oauth_redirect_uri)
            .finish()
    }
}

impl SandboxArgs {
    pub fn to_config(&self) -> anyhow::Result<SandboxConfig> {
        if !(0.0..=1.0).contains(&self.fault_rate) {
            anyhow::bail!(
                "--fault-rate must be between 0 and 1 (got {})",
                self.fault_rate
            );
        }
        if self.activity_per_min < 0.0 || !self.activity_per_min.is_finite() {
            anyhow::bail!("--activity-per-min must be zero or positive");
        }
        Ok(SandboxConfig {
            host: self.host.clone(),
            port: self.port,
            scale: self.scale.into(),
            seed: self.seed,
            token: self.token.clone(),
            rate_limit: Some(self.rate_limit),
            fault_rate: self.fault_rate,
            latency_ms: self.latency_ms,
            webhook_url: self.webhook_url.clone(),
            webhook_secret: self.webhook_secret.clone(),
            activity_per_min: self.activity_per_min,
            oauth: self
                .oauth_client_id
                .as_ref()
                .map(|id| crate::oauth::OAuthApp {
                    client_id: id.clone(),
                    client_secret: self.oauth_client_secret.clone().unwrap_or_default(),
                    redirect_uris: self.oauth_redirect_uri.clone(),
                }),
            ..SandboxConfig::default()
        })
    }
}

/// Starts the sandbox, prints where it listens, and serves until Ctrl-C.
pub async fn run(args: SandboxArgs) -> anyhow::Result<()> {
    let config = args.to_config()?;
    let started = std::time::Instant::now();
    let sandbox = Sandbox::start(config).await?;
    println!("Intercom sandbox listening on {}", sandbox.base_url());
    println!("Token: {}", sandbox.token());
    println!(
        "Seeded in {:.2}s. Control surface: {}/_sandbox/stats. Ctrl-C stops it.",
        started.elapsed().as_secs_f64(),
        sandbox.base_url()
    );
    tokio::signal::ctrl_c().await?;
    sandbox.shutdown();
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        sandbox: SandboxArgs,
    }

    #[test]
    fn flags_build_the_config_and_debug_hides_secrets() {
        let cli = Cli::try_parse_from([
            "sandbox",
            "--scale",
            "tiny",
            "--port",
            "0",
            "--token",
            "t0ken-value",
            "--webhook-secret",
            "s3cret-value",
            "--fault-rate",
            "0.25",
            "--rate-limit",
            "100",
        ])
        .unwrap();
        let config = cli.sandbox.to_config().unwrap();
        assert_eq!(config.scale, Scale::Tiny);
        assert_eq!(config.port, 0);
        assert_eq!(config.rate_limit, Some(100));
        assert_eq!(config.fault_rate, 0.25);
        for debug in [format!("{:?}", cli.sandbox), format!("{config:?}")] {
            assert!(!debug.contains("t0ken-value"), "{debug}");
            assert!(!debug.contains("s3cret-value"), "{debug}");
        }
    }

    #[test]
    fn out_of_range_values_are_refused() {
        let cli = Cli::try_parse_from(["sandbox", "--fault-rate", "1.5"]).unwrap();
        assert!(cli.sandbox.to_config().is_err());
        assert!(Cli::try_parse_from(["sandbox", "--scale", "huge"]).is_err());
    }
}
