//! The mirror's subcommands (`sync`, `webhooks`, `export`) and its part of `serve`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;

use intercom_mcp_server::live::Realtime;
use intercom_mirror::export::{EXPORTABLE, ExportFormat, export};
use intercom_mirror::sync::{ApiSource, SYNC_ORDER, SyncOptions, Syncer};
use intercom_mirror::webhooks::{
    DEFAULT_MAX_NOTIFICATION_BYTES, SECRET_ENV, WEBHOOK_PATH, WebhookSecret, WebhookState,
};
use intercom_mirror::{Mirror, ObjectKind, STORE_ENV, default_store_path};

use crate::upstream::{ConnectionArgs, SandboxChoice, Upstream, upstream};

/// Where the mirror file is.
#[derive(Clone, Args, Default)]
pub struct StoreArgs {
    /// The mirror's SQLite file (default: intercom-mcp/mirror.sqlite3 under the user's data
    /// directory), or for `serve` a PostgreSQL URL (postgres://user:password@host:port/db) that
    /// a fleet of replicas shares.
    #[arg(long, env = STORE_ENV, hide_env_values = true)]
    pub store: Option<PathBuf>,
}

/// A PostgreSQL URL carries its password: never shown.
impl std::fmt::Debug for StoreArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = match (&self.store, self.postgres_url()) {
            (_, Some(_)) => Some("postgres://…".to_string()),
            (Some(path), None) => Some(path.display().to_string()),
            (None, None) => None,
        };
        f.debug_struct("StoreArgs").field("store", &shown).finish()
    }
}

impl StoreArgs {
    /// The PostgreSQL URL when the store names one.
    pub fn postgres_url(&self) -> Option<String> {
        let text = self.store.as_ref()?.to_str()?.trim();
        (text.starts_with("postgres://") || text.starts_with("postgresql://"))
            .then(|| text.to_string())
    }

    /// The SQLite file. A PostgreSQL URL is an error here: only `serve` runs on PostgreSQL.
    pub fn sqlite_path(&self) -> anyhow::Result<PathBuf> {
        if self.postgres_url().is_some() {
            bail!(
                "the store is a PostgreSQL URL, which only `serve` uses (a fleet of replicas); \
                 this command works on a SQLite file: pass --store FILE"
            );
        }
        Ok(self.store.clone().unwrap_or_else(default_store_path))
    }

    fn open(&self) -> anyhow::Result<Mirror> {
        let path = self.sqlite_path()?;
        Mirror::open_sqlite(&path)
            .with_context(|| format!("could not open the mirror at {}", path.display()))
    }
}

/// `serve` options of the real-time side.
#[derive(Debug, Clone, Args, Default)]
pub struct RealtimeServeArgs {
    /// Keep a local mirror current (webhooks at /webhooks/intercom on the HTTP transport, plus a
    /// periodic incremental sync); enables full-text search over all messages, the realtime tools
    /// and resource subscriptions.
    #[arg(long = "sync", env = "INTERCOM_MCP_SYNC")]
    pub sync: bool,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Seconds between incremental syncs with --sync.
    #[arg(
        long = "sync-interval",
        env = "INTERCOM_MCP_SYNC_INTERVAL",
        default_value_t = 300
    )]
    pub sync_interval: u64,
}

#[derive(Debug, Clone, Args)]
pub struct SyncArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub sandbox: SandboxChoice,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Object kinds to sync, comma-separated (admins, teams, tags, companies, contacts, tickets,
    /// conversations); default: all.
    #[arg(long, env = "INTERCOM_MCP_SYNC_OBJECTS", value_delimiter = ',')]
    pub objects: Vec<String>,
    /// Conversation requests in flight at once (the client still paces to the rate limit).
    #[arg(long, env = "INTERCOM_MCP_SYNC_CONCURRENCY", default_value_t = 32)]
    pub concurrency: usize,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct WebhooksArgs {
    /// Address to listen on.
    #[arg(long, env = "INTERCOM_MCP_WEBHOOK_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free port).
    #[arg(long, env = "INTERCOM_MCP_WEBHOOK_PORT", default_value_t = 8090)]
    pub port: u16,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Largest accepted notification, in bytes.
    #[arg(
        long = "max-body-bytes",
        env = "INTERCOM_MCP_WEBHOOK_MAX_BODY_BYTES",
        default_value_t = DEFAULT_MAX_NOTIFICATION_BYTES
    )]
    pub max_body_bytes: usize,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// What to export: conversations, contacts, companies or tickets.
    #[arg(long, value_parser = parse_exportable)]
    pub object: ObjectKind,
    /// jsonl (one JSON object per line) or csv (indexed columns plus the raw JSON).
    #[arg(long, default_value = "jsonl")]
    pub format: ExportFormat,
    /// Only objects updated at or after this moment, in the date words every tool takes:
    /// a date (2026-01-31), a date-time, Unix seconds, an age (7d, 12h ago), `yesterday`,
    /// `monday`, `last_week`...
    #[arg(long)]
    pub since: Option<String>,
    /// Time zone for `--since` words (IANA name; default UTC: export reads only the mirror).
    #[arg(
        long = "time-zone",
        env = "INTERCOM_MCP_TIME_ZONE",
        default_value = "UTC"
    )]
    pub time_zone: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

fn parse_exportable(text: &str) -> Result<ObjectKind, String> {
    ObjectKind::from_plural(text)
        .filter(|k| EXPORTABLE.contains(k))
        .ok_or_else(|| {
            format!("cannot export {text:?}: use conversations, contacts, companies or tickets")
        })
}

fn client_for(upstream: &Upstream) -> anyhow::Result<intercom_api::Client> {
    let Some(token) = &upstream.token else {
        bail!(
            "no Intercom access token: set INTERCOM_ACCESS_TOKEN (or --access-token), or use --sandbox"
        );
    };
    upstream
        .settings
        .client(token)
        .map_err(|e| anyhow::anyhow!(e.message))
}

/// `intercom-mcp sync`.
pub async fn sync(args: SyncArgs) -> anyhow::Result<()> {
    let kinds = if args.objects.is_empty() {
        SYNC_ORDER.to_vec()
    } else {
        let mut kinds = Vec::new();
        for name in &args.objects {
            let kind = ObjectKind::from_plural(name.trim()).with_context(|| {
                format!("unknown object kind {name:?} in --objects: use admins, teams, tags, companies, contacts, tickets, conversations")
            })?;
            kinds.push(kind);
        }
        SYNC_ORDER
            .into_iter()
            .filter(|k| kinds.contains(k))
            .collect()
    };
    let upstream = upstream(&args.connection, &args.sandbox).await?;
    let client = client_for(&upstream)?;
    let mirror = args.store.open()?;
    eprintln!(
        "intercom-mcp: syncing {} into {}",
        client.config().describe_target(),
        mirror.location()
    );
    let options = SyncOptions {
        concurrency: args.concurrency.max(1),
        kinds,
        progress: true,
    };
    let report = Syncer::new(mirror, Arc::new(ApiSource::new(client)), options)
        .run()
        .await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{}", report.summary());
    }
    Ok(())
}

/// `intercom-mcp webhooks`: only the receiver, writing into the mirror.
pub async fn webhooks(args: WebhooksArgs) -> anyhow::Result<()> {
    let secret = WebhookSecret::from_env().map_err(anyhow::Error::msg)?;
    let mirror = args.store.open()?;
    let host = args.host.trim_start_matches('[').trim_end_matches(']');
    let addr: SocketAddr = tokio::net::lookup_host((host, args.port))
        .await
        .with_context(|| format!("cannot resolve --host {}", args.host))?
        .next()
        .with_context(|| format!("--host {} resolves to no address", args.host))?;
    let state = WebhookState::new(mirror.clone(), secret).with_max_body_bytes(args.max_body_bytes);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("could not listen on {addr}"))?;
    let bound = listener.local_addr()?;
    eprintln!(
        "intercom-mcp: receiving Intercom webhooks at http://{bound}{WEBHOOK_PATH} into {}",
        mirror.location()
    );
    intercom_mirror::webhooks::serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

/// `intercom-mcp export`: stream the mirror to stdout.
pub fn export_command(args: ExportArgs) -> anyhow::Result<()> {
    let path = args.store.sqlite_path()?;
    if !path.exists() {
        bail!(
            "no mirror at {}: run `intercom-mcp sync` first (or pass --store)",
            path.display()
        );
    }
    let since = args
        .since
        .as_deref()
        .map(|s| {
            let zone = intercom_core::dates::parse_time_zone(&args.time_zone)?;
            intercom_core::dates::Dates::now(zone)
                .start(s)
                .map_err(|e| format!("--since: {e}"))
        })
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let mirror = args.store.open()?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let result = export(
        mirror.store().as_ref(),
        args.object,
        args.format,
        since,
        &mut out,
    );
    match result.and_then(|n| {
        out.flush()
            .map(|()| n)
            .map_err(|e| intercom_mirror::MirrorError::Invalid(e.to_string()))
    }) {
        Ok(count) => {
            eprintln!("intercom-mcp: exported {count} {}", args.object);
            Ok(())
        }
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(e) if e.to_string().contains("Broken pipe") => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// `serve --sync` (or `--store`): open the mirror, start the webhook receiver and periodic sync.
pub async fn start_for_serve(
    args: &RealtimeServeArgs,
    upstream: &Upstream,
    fleet: Option<&crate::fleet::Fleet>,
) -> anyhow::Result<Option<Arc<Realtime>>> {
    if !args.sync && args.store.store.is_none() {
        return Ok(None);
    }
    let mirror = match fleet {
        Some(fleet) => fleet.mirror()?,
        None => args.store.open()?,
    };
    // The embedded sandbox signs its webhooks with the configured secret, or with one made
    // for this run, so the demo workspace is live without any setup.
    let sandbox_secret = upstream.sandbox.as_ref().map(|_| {
        std::env::var(SECRET_ENV)
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| {
                use rand::Rng;
                let bytes: [u8; 24] = rand::rng().random();
                bytes.iter().map(|b| format!("{b:02x}")).collect()
            })
    });
    let secret = match &sandbox_secret {
        Some(raw) => WebhookSecret::new(raw.clone()),
        None => match WebhookSecret::from_env() {
            Ok(secret) => Some(secret),
            Err(message) => {
                tracing::warn!("webhooks are off: {message}");
                None
            }
        },
    };
    let realtime = Realtime::start(mirror, secret);
    if let (Some(sandbox), Some(raw), Some(state)) =
        (&upstream.sandbox, sandbox_secret, realtime.webhook_state())
    {
        // A receiver of its own on loopback: it works over stdio too, where there is no
        // HTTP server, and it exists before the sandbox's first write.
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .context("could not open a loopback port for the sandbox's webhooks")?;
        let url = format!("http://{}{WEBHOOK_PATH}", listener.local_addr()?);
        tokio::spawn(async move {
            if let Err(e) =
                intercom_mirror::webhooks::serve(listener, state, std::future::pending::<()>())
                    .await
            {
                tracing::error!(error = %e, "the sandbox's webhook receiver stopped");
            }
        });
        if sandbox.send_webhooks_to(url.clone(), raw) {
            tracing::info!(%url, "the embedded sandbox delivers its webhooks to the mirror");
        }
    }
    if args.sync {
        match client_for(upstream) {
            Ok(client) => {
                // In a fleet, replicas take turns syncing the shared mirror (one at a time).
                realtime.spawn_periodic_sync_gated(
                    client,
                    Duration::from_secs(args.sync_interval.max(10)),
                    fleet.map(|f| f.sync_gate()),
                );
            }
            Err(e) => tracing::warn!("periodic sync is off: {e}"),
        }
    }
    tracing::info!(
        store = realtime.mirror().location(),
        webhooks = realtime.webhooks_enabled(),
        "local mirror on"
    );
    Ok(Some(realtime))
}
