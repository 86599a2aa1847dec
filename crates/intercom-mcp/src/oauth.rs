//! `serve --oauth`: flags and environment, checked before the server starts.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use intercom_api::{Region, Secret};

use intercom_mcp_server::oauth::seal::SealingKey;
use intercom_mcp_server::oauth::store::{GrantStore, SqliteGrantStore};
use intercom_mcp_server::oauth::{OAuthConfig, OAuthServer};
use intercom_mcp_server::transport::auth::is_loopback_host;

use crate::upstream::Upstream;

pub const CLIENT_SECRET_ENV: &str = "INTERCOM_CLIENT_SECRET";
pub const KEY_ENV: &str = "INTERCOM_MCP_OAUTH_KEY";

/// Sign in with Intercom (HTTP transport). Secrets come from the environment only.
#[derive(Debug, Clone, Args, Default)]
pub struct OAuthServeArgs {
    /// Each person signs in with Intercom (OAuth 2.1 for MCP clients); needs --public-url,
    /// INTERCOM_CLIENT_ID, INTERCOM_CLIENT_SECRET and INTERCOM_MCP_OAUTH_KEY.
    #[arg(long, env = "INTERCOM_MCP_OAUTH")]
    pub oauth: bool,
    /// The URL clients reach this server at (e.g. https://mcp.example.com behind a TLS proxy).
    #[arg(long = "public-url", env = "INTERCOM_MCP_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The Intercom app's client id (Developer Hub → app → Basic information).
    #[arg(long = "oauth-client-id", env = "INTERCOM_CLIENT_ID")]
    pub oauth_client_id: Option<String>,
    /// Intercom's consent page, when not the region's (a test double or a proxy).
    #[arg(long = "intercom-authorize-url", env = "INTERCOM_OAUTH_AUTHORIZE_URL")]
    pub intercom_authorize_url: Option<String>,
    /// Where grants are kept (default: the mirror's store file, --store).
    #[arg(long = "oauth-store", env = "INTERCOM_MCP_OAUTH_STORE")]
    pub oauth_store: Option<PathBuf>,
    /// Lifetime of the access tokens this server issues, in seconds.
    #[arg(
        long = "oauth-access-ttl",
        env = "INTERCOM_MCP_OAUTH_ACCESS_TTL",
        default_value_t = 3600
    )]
    pub oauth_access_ttl: u64,
    /// Lifetime of refresh tokens, in days.
    #[arg(
        long = "oauth-refresh-days",
        env = "INTERCOM_MCP_OAUTH_REFRESH_DAYS",
        default_value_t = 30
    )]
    pub oauth_refresh_days: u64,
}

fn env_secret(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The region's consent page (`app.intercom.com`, `app.eu…`, `app.au…`).
fn authorize_url(region: Region) -> &'static str {
    match region {
        Region::Us => "https://app.intercom.com/oauth",
        Region::Eu => "https://app.eu.intercom.com/oauth",
        Region::Au => "https://app.au.intercom.com/oauth",
    }
}

/// Builds the authorization server, or says what is missing. Under `--sandbox` the
/// Intercom app is the sandbox's own (registered here with a fresh id and secret).
/// Where grants are kept: the fleet's database, unless `--oauth-store` names a file.
pub enum GrantsAt<'a> {
    /// A single process: `--oauth-store`, else the mirror's store file (`--store`), else the default.
    File(Option<&'a PathBuf>),
    /// A replica of a fleet: its PostgreSQL store (`--oauth-store` still picks a file).
    Fleet(Arc<dyn GrantStore>),
}

pub fn build(
    args: &OAuthServeArgs,
    upstream: &Upstream,
    grants_at: GrantsAt<'_>,
    bound_port: u16,
) -> anyhow::Result<Option<Arc<OAuthServer>>> {
    if !args.oauth {
        return Ok(None);
    }
    let mut missing = Vec::new();
    let public_url = match args.public_url.clone().filter(|u| !u.trim().is_empty()) {
        Some(url) => Some(url),
        None if upstream.sandbox.is_some() && bound_port != 0 => {
            Some(format!("http://127.0.0.1:{bound_port}"))
        }
        None => {
            missing
                .push("--public-url / INTERCOM_MCP_PUBLIC_URL (where clients reach this server)");
            None
        }
    };
    let key = env_secret(KEY_ENV);
    if key.is_none() {
        missing.push("INTERCOM_MCP_OAUTH_KEY (32 random bytes, e.g. `openssl rand -hex 32`)");
    }
    let sandbox_app = upstream.sandbox.is_some();
    let client_id = args
        .oauth_client_id
        .clone()
        .filter(|v| !v.trim().is_empty());
    let client_secret = env_secret(CLIENT_SECRET_ENV);
    if !sandbox_app && client_id.is_none() {
        missing.push("INTERCOM_CLIENT_ID (the Intercom app's client id)");
    }
    if !sandbox_app && client_secret.is_none() {
        missing.push("INTERCOM_CLIENT_SECRET (the Intercom app's client secret)");
    }
    if !missing.is_empty() {
        anyhow::bail!(
            "--oauth needs these settings, which are missing:\n  - {}",
            missing.join("\n  - ")
        );
    }
    let public_url = public_url.unwrap_or_default();
    let parsed = url::Url::parse(&public_url)
        .map_err(|e| anyhow::anyhow!("--public-url `{public_url}` is not a URL: {e}"))?;
    let host = parsed.host_str().unwrap_or_default();
    if parsed.scheme() != "https" && !is_loopback_host(host) {
        anyhow::bail!(
            "--public-url must be https (run behind a TLS-terminating proxy); plain http is \
             accepted only for loopback addresses"
        );
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        anyhow::bail!("--public-url must have no query or fragment");
    }
    let public_url = public_url.trim_end_matches('/').to_string();
    let key = SealingKey::parse(&key.unwrap_or_default()).map_err(anyhow::Error::msg)?;
    if args.oauth_access_ttl == 0 {
        anyhow::bail!("--oauth-access-ttl must be at least 1 second");
    }
    let mut config = OAuthConfig {
        public_url,
        intercom_client_id: client_id.clone().unwrap_or_default(),
        intercom_client_secret: Secret::new(client_secret.clone().unwrap_or_default()),
        intercom_authorize_url: authorize_url(upstream.settings.region).to_string(),
        intercom_token_url: format!(
            "{}/auth/eagle/token",
            upstream
                .settings
                .base_url
                .clone()
                .unwrap_or_else(|| upstream.settings.region.base_url().to_string())
                .trim_end_matches('/')
        ),
        key,
        access_ttl: Duration::from_secs(args.oauth_access_ttl),
        refresh_ttl: Duration::from_secs(args.oauth_refresh_days.max(1) * 86_400),
        allow_loopback_metadata: false,
    };
    #[cfg(feature = "sandbox")]
    if let Some(sandbox) = &upstream.sandbox {
        point_at_sandbox(
            &mut config,
            sandbox,
            client_id.is_none(),
            client_secret.is_none(),
        );
    }
    if let Some(url) = args
        .intercom_authorize_url
        .clone()
        .filter(|u| !u.trim().is_empty())
    {
        config.intercom_authorize_url = url;
    }
    let (store, location): (Arc<dyn GrantStore>, String) = match grants_at {
        GrantsAt::Fleet(store) if args.oauth_store.is_none() => {
            (store, "the fleet's PostgreSQL store".into())
        }
        other => {
            let mirror_store = match other {
                GrantsAt::File(path) => path.cloned(),
                GrantsAt::Fleet(_) => None,
            };
            let path = args
                .oauth_store
                .clone()
                .or(mirror_store)
                .unwrap_or_else(intercom_mirror::default_store_path);
            let store = SqliteGrantStore::open(&path).map_err(|e| {
                anyhow::anyhow!("could not open the grant store at {}: {e}", path.display())
            })?;
            (Arc::new(store), path.display().to_string())
        }
    };
    tracing::info!(public_url = %config.public_url, store = %location, "sign in with Intercom enabled");
    Ok(Some(Arc::new(OAuthServer::new(config, store)?)))
}

/// With the embedded sandbox, Intercom's consent page and token endpoint are the sandbox's, and
/// the Intercom app is registered there (with generated credentials unless given).
#[cfg(feature = "sandbox")]
fn point_at_sandbox(
    config: &mut OAuthConfig,
    sandbox: &intercom_sandbox::Sandbox,
    generate_client_id: bool,
    generate_client_secret: bool,
) {
    let base = sandbox.base_url();
    let base = base.trim_end_matches('/');
    config.intercom_authorize_url = format!("{base}/oauth");
    config.intercom_token_url = format!("{base}/auth/eagle/token");
    config.allow_loopback_metadata = true;
    if generate_client_id {
        config.intercom_client_id = intercom_mcp_server::oauth::seal::random_token("sandbox-app-");
    }
    if generate_client_secret {
        config.intercom_client_secret =
            Secret::new(intercom_mcp_server::oauth::seal::random_token(""));
    }
    sandbox.configure_oauth(intercom_sandbox::oauth::OAuthApp {
        client_id: config.intercom_client_id.clone(),
        client_secret: config.intercom_client_secret.expose().to_string(),
        redirect_uris: vec![config.callback_url()],
    });
}
