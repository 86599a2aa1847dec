//! What each subcommand does.

use std::sync::Arc;

use anyhow::{Context, bail};
use intercom_api::Secret;
use intercom_mcp_server::inprocess::InProcessClient;
use intercom_mcp_server::oauth::OAuthServer;
use intercom_mcp_server::server::{IntercomServer, McpHandler, ServerOptions};
use intercom_mcp_server::toolsets::is_read_only;
use intercom_mcp_server::transport::http::{HttpOptions, serve_http};
use intercom_mcp_server::workspace_context::{ApiSettings, Workspaces};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::cli::{CallArgs, DoctorArgs, SelectionArgs, ServeArgs, ToolsArgs, TransportKind};
use crate::upstream::{Upstream, upstream};

fn build_server(
    upstream: &Upstream,
    selection: &SelectionArgs,
    token_from_request: bool,
) -> anyhow::Result<IntercomServer> {
    let workspaces = Arc::new(Workspaces::new(
        upstream.settings.clone(),
        upstream.token.clone(),
    ));
    let server = IntercomServer::new(ServerOptions {
        selection: selection.selection(),
        workspaces,
        token_from_request,
    })
    .map_err(anyhow::Error::msg)?;
    server.set_redact_pii(selection.redact_pii);
    Ok(server)
}

/// The bulk tools' job store: the SQLite file of `--store` (the mirror's), opened on first use.
fn job_store(
    store: &crate::mirror::StoreArgs,
) -> anyhow::Result<Arc<dyn intercom_jobs::bulk::JobStore>> {
    Ok(Arc::new(intercom_jobs::bulk::SqliteJobStore::at(
        &store.sqlite_path()?,
    )))
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut upstream = upstream(&args.connection, &args.sandbox).await?;
    // A PostgreSQL store: this process is one replica of a fleet sharing that database.
    let fleet = match args.realtime.store.postgres_url() {
        Some(url) => Some(crate::fleet::Fleet::connect(&url, &args.fleet, args.port).await?),
        None => None,
    };
    if let Some(fleet) = &fleet {
        upstream.settings.rate_budgets = Some(fleet.rate_budgets());
    }
    // Signed-in people bring their own Intercom token to every request.
    let token_from_request = args.token_from_request || args.oauth.oauth;
    if args.oauth.oauth && args.transport != TransportKind::Http {
        anyhow::bail!("--oauth needs --transport http (sign-in is for remote MCP clients)");
    }
    let grants_at = match &fleet {
        Some(fleet) => crate::oauth::GrantsAt::Fleet(fleet.grant_store()),
        None => crate::oauth::GrantsAt::File(args.realtime.store.store.as_ref()),
    };
    let oauth = crate::oauth::build(&args.oauth, &upstream, grants_at, args.port)?;
    if upstream.token.is_none() && !token_from_request {
        tracing::warn!(
            "no Intercom access token: tools will fail until INTERCOM_ACCESS_TOKEN is set \
             (or run with --sandbox to try the demo workspace)"
        );
    }
    let jobs = match &fleet {
        Some(fleet) => fleet.job_store(),
        None => job_store(&args.realtime.store)?,
    };
    let mut server =
        build_server(&upstream, &args.selection, token_from_request)?.with_job_store(jobs);
    if let Some(fleet) = &fleet {
        server = server.with_store_health(fleet.store_health());
    }
    if let (Some(fleet), Some(token)) = (&fleet, &upstream.token) {
        match upstream.settings.client(token) {
            Ok(client) => fleet.spawn_job_sweeper(client),
            Err(e) => tracing::warn!("bulk jobs of stopped replicas are not resumed here: {e}"),
        }
    }
    // Real time: the local mirror, webhooks and periodic sync with --sync / --store.
    let server =
        match crate::mirror::start_for_serve(&args.realtime, &upstream, fleet.as_ref()).await? {
            Some(realtime) => server.with_realtime(realtime),
            None => server,
        };
    // Automations: --automations FILE; an invalid rules file stops the server here.
    let server = crate::automations::start_for_serve(
        &args.automations,
        server,
        &upstream,
        fleet.as_ref().map(|f| f.run_log()),
    )
    .await?;
    tracing::info!(tools = server.catalogue().len(), transport = ?args.transport, "intercom-mcp starting");
    #[cfg(feature = "conformance-fixtures")]
    if args.conformance_fixtures {
        let handler = intercom_mcp_server::fixtures::FixtureServer::new(server);
        return serve_transport(handler, &args, &upstream, oauth).await;
    }
    serve_transport(server, &args, &upstream, oauth).await
}

/// Serve `handler` on the transport `args` name, until the client or Ctrl-C ends it.
async fn serve_transport(
    server: impl McpHandler,
    args: &ServeArgs,
    upstream: &Upstream,
    oauth: Option<Arc<OAuthServer>>,
) -> anyhow::Result<()> {
    match args.transport {
        TransportKind::Stdio => {
            if upstream.sandbox.is_some() {
                eprintln!(
                    "intercom-mcp: serving the sandbox workspace over stdio. Connect with:\n  \
                     claude mcp add intercom -- intercom-mcp serve --sandbox"
                );
            }
            intercom_mcp_server::transport::serve_stdio(server).await
        }
        TransportKind::Http => {
            let options = HttpOptions {
                host: args.host.clone(),
                port: args.port,
                auth_token: args
                    .auth_token
                    .clone()
                    .filter(|t| !t.trim().is_empty())
                    .map(Secret::new),
                token_from_request: args.token_from_request,
                allowed_hosts: args.allowed_hosts.clone(),
                allowed_origins: args.allowed_origins.clone(),
                max_body_bytes: args.max_body_bytes,
                max_concurrent_per_client: args.max_concurrent_per_client,
                oauth,
                drain: std::time::Duration::from_secs(args.drain_seconds),
            };
            let shutdown = CancellationToken::new();
            let signalled = shutdown.clone();
            tokio::spawn(async move {
                stop_signal().await;
                signalled.cancel();
                // A second signal does not wait for the drain.
                stop_signal().await;
                eprintln!("intercom-mcp: second stop signal, exiting now");
                std::process::exit(130);
            });
            let has_auth = options.auth_token.is_some();
            let sandbox = upstream.sandbox.is_some();
            serve_http(server, options, shutdown, |addr| {
                let host = if addr.ip().is_unspecified() { "127.0.0.1".to_string() } else { addr.ip().to_string() };
                let host = if addr.is_ipv6() && !addr.ip().is_unspecified() { format!("[{host}]") } else { host };
                let base = format!("http://{host}:{}", addr.port());
                let header = if has_auth { " --header \"Authorization: Bearer $INTERCOM_MCP_AUTH_TOKEN\"" } else { "" };
                eprintln!(
                    "intercom-mcp listening on {base}{}\n  Streamable HTTP: {base}/mcp\n  Legacy SSE:      {base}/sse\n  Health:          {base}/healthz\nConnect Claude Code with:\n  claude mcp add --transport http intercom {base}/mcp{header}\n  claude mcp add --transport sse intercom {base}/sse{header}",
                    if sandbox { " (sandbox workspace)" } else { "" }
                );
            })
            .await
        }
    }
}

/// SIGINT (Ctrl-C) or, on Unix, SIGTERM (what service managers and orchestrators send).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

pub async fn doctor(args: DoctorArgs) -> anyhow::Result<()> {
    let upstream = upstream(&args.connection, &args.sandbox).await?;
    let Some(token) = &upstream.token else {
        bail!(
            "no Intercom access token: set INTERCOM_ACCESS_TOKEN (or --access-token), or try --sandbox"
        );
    };
    let client = upstream
        .settings
        .client(token)
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let target = client.config().describe_target();
    // `/me` is nullable in the spec: a null answer, or one without an admin id, is a FAIL.
    let me = match client.me().await {
        Ok(me) => Some(me),
        Err(intercom_api::Error::Decode { .. }) => None,
        Err(e) => bail!("{e}"),
    };
    let usable = me.and_then(|me| {
        let id = me.admin.id.clone().filter(|id| !id.trim().is_empty())?;
        Some((me, id))
    });
    let Some((me, admin_id)) = usable else {
        println!("Intercom:    {target}");
        bail!(
            "FAIL: Intercom's /me answer names no admin (null or no id); writes cannot be attributed. \
             Try again; if it persists, check the access token"
        );
    };
    let rate = client.rate_limit();
    let or_unknown = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".into());
    let app = me.app.clone().unwrap_or_default();
    println!("Intercom:    {target}");
    println!(
        "Workspace:   {} ({})",
        or_unknown(&app.name),
        or_unknown(&app.id_code)
    );
    println!(
        "Admin:       {} <{}> (id {})",
        or_unknown(&me.admin.name),
        or_unknown(&me.admin.email),
        admin_id
    );
    println!("API version: {}", intercom_api::API_VERSION);
    match (rate.remaining, rate.limit) {
        (Some(remaining), Some(limit)) => {
            let reset = rate
                .reset_in()
                .map(|d| format!(", resets in {}s", d.as_secs()))
                .unwrap_or_default();
            println!("Rate limit:  {remaining} of {limit} requests left in this window{reset}");
        }
        _ => println!("Rate limit:  not reported by the server"),
    }
    match upstream.settings.time_zone {
        Some(zone) => println!("Time zone:   {zone} (configured)"),
        None => println!(
            "Time zone:   {} (the workspace's own; set INTERCOM_MCP_TIME_ZONE to override)",
            app.timezone
                .as_deref()
                .unwrap_or("UTC (the workspace did not say)")
        ),
    }
    println!(
        "Working day: starts {} (a snooze to a date alone wakes then; INTERCOM_MCP_WORKDAY_START)",
        upstream.settings.workday_start
    );
    println!("OK");
    Ok(())
}

pub fn tools(args: ToolsArgs) -> anyhow::Result<()> {
    let upstream = Upstream {
        settings: ApiSettings::default(),
        token: None,
        sandbox: None,
    };
    let server = build_server(&upstream, &args.selection, false)?;
    if args.json && server.is_dynamic() {
        // What a dynamic session lists before it enables a toolset (the other tools are
        // listed with --toolsets).
        println!("{}", serde_json::to_string_pretty(&server.listed_tools())?);
        return Ok(());
    }
    if args.json {
        let list: Vec<Value> = server
            .catalogue()
            .iter()
            .map(|e| {
                let mut v = serde_json::to_value(&e.tool).unwrap_or(Value::Null);
                if let Value::Object(m) = &mut v {
                    m.insert("toolset".into(), json!(e.toolset.name()));
                }
                v
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    let mut current = None;
    for entry in server.catalogue() {
        if current != Some(entry.toolset) {
            println!("{}:", entry.toolset);
            current = Some(entry.toolset);
        }
        let access = if is_read_only(&entry.tool) {
            "read "
        } else {
            "write"
        };
        let summary = entry
            .tool
            .description
            .as_deref()
            .and_then(|d| d.split(". ").next())
            .unwrap_or_default();
        println!("  {:<32} {access}  {summary}", entry.tool.name);
    }
    Ok(())
}

pub async fn call(args: CallArgs) -> anyhow::Result<bool> {
    let raw = match args.arguments.as_deref() {
        None => "{}".to_string(),
        Some("-") => {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
            s
        }
        Some(s) => s.to_string(),
    };
    let arguments: Value = serde_json::from_str(&raw)
        .with_context(|| format!("the arguments are not valid JSON: {raw}"))?;
    if !arguments.is_object() {
        bail!("the arguments must be a JSON object, e.g. '{{\"limit\": 5}}'");
    }
    let upstream = upstream(&args.connection, &args.sandbox).await?;
    let mut selection = args.selection.clone();
    if selection.toolsets.is_empty() && selection.tools.is_empty() {
        // `call` runs any tool by name, whatever the default toolsets are.
        selection.toolsets = vec!["all".into()];
    }
    let server =
        build_server(&upstream, &selection, false)?.with_job_store(job_store(&args.store)?);
    if server
        .catalogue()
        .iter()
        .all(|e| e.tool.name != intercom_mcp_server::aliases::canonical(&args.tool))
    {
        bail!(
            "unknown tool `{}`; run `intercom-mcp tools` to see the names",
            args.tool
        );
    }
    let client = InProcessClient::connect(server).await?;
    let result = client.call(&args.tool, arguments).await;
    client.close().await;
    let result = result?;
    let is_error = result.is_error.unwrap_or(false);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        for block in &result.content {
            if let Some(text) = block.as_text() {
                println!("{}", text.text);
            }
        }
    }
    Ok(!is_error)
}
