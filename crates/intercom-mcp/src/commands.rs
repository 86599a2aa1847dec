//! What each subcommand does.

use std::sync::Arc;

use anyhow::{Context, bail};
use intercom_api::{Region, Secret};
use intercom_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::cli::{
    CallArgs, ConnectionArgs, DoctorArgs, SandboxChoice, SelectionArgs, ServeArgs, ToolsArgs,
    TransportKind,
};
use crate::dates::parse_time_zone;
use crate::inprocess::InProcessClient;
use crate::server::{IntercomServer, ServerOptions};
use crate::toolsets::is_read_only;
use crate::transport::http::{HttpOptions, serve_http};
use crate::workspace_context::{ApiSettings, Workspaces};

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

fn build_server(
    upstream: &Upstream,
    selection: &SelectionArgs,
    token_from_request: bool,
    conformance_fixtures: bool,
) -> anyhow::Result<IntercomServer> {
    let workspaces = Arc::new(Workspaces::new(
        upstream.settings.clone(),
        upstream.token.clone(),
    ));
    let server = IntercomServer::new(ServerOptions {
        selection: selection.selection(),
        workspaces,
        token_from_request,
        conformance_fixtures,
    })
    .map_err(anyhow::Error::msg)?;
    server.set_redact_pii(selection.redact_pii);
    Ok(server)
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let upstream = upstream(&args.connection, &args.sandbox).await?;
    // Signed-in people bring their own Intercom token to every request.
    let token_from_request = args.token_from_request || args.oauth.oauth;
    if args.oauth.oauth && args.transport != TransportKind::Http {
        anyhow::bail!("--oauth needs --transport http (sign-in is for remote MCP clients)");
    }
    let oauth = crate::oauth::cli::build(
        &args.oauth,
        &upstream,
        args.realtime.store.store.as_ref(),
        args.port,
    )?;
    if upstream.token.is_none() && !token_from_request {
        tracing::warn!(
            "no Intercom access token: tools will fail until INTERCOM_ACCESS_TOKEN is set \
             (or run with --sandbox to try the demo workspace)"
        );
    }
    let server = build_server(
        &upstream,
        &args.selection,
        token_from_request,
        args.conformance_fixtures,
    )?;
    // Real time: the local mirror, webhooks and periodic sync with --sync / --store.
    let server = match crate::mirror::commands::start_for_serve(&args.realtime, &upstream).await? {
        Some(realtime) => server.with_realtime(realtime),
        None => server,
    };
    // Automations: --automations FILE; an invalid rules file stops the server here.
    let server =
        crate::automations::cli::start_for_serve(&args.automations, server, &upstream).await?;
    tracing::info!(tools = server.catalogue().len(), transport = ?args.transport, "intercom-mcp starting");
    match args.transport {
        TransportKind::Stdio => {
            if upstream.sandbox.is_some() {
                eprintln!(
                    "intercom-mcp: serving the sandbox workspace over stdio. Connect with:\n  \
                     claude mcp add intercom -- intercom-mcp serve --sandbox"
                );
            }
            crate::transport::serve_stdio(server).await
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
            };
            let shutdown = CancellationToken::new();
            let ctrl_c = shutdown.clone();
            tokio::spawn(async move {
                let _ = tokio::signal::ctrl_c().await;
                ctrl_c.cancel();
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
    let me = client
        .send_json(intercom_api::Method::GET, "/me", &[], None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let rate = client.rate_limit();
    let field = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("?").to_string();
    let app = me.get("app").cloned().unwrap_or(Value::Null);
    println!("Intercom:    {target}");
    println!(
        "Workspace:   {} ({})",
        field(&app, "name"),
        field(&app, "id_code")
    );
    println!(
        "Admin:       {} <{}> (id {})",
        field(&me, "name"),
        field(&me, "email"),
        crate::workspace_context::id_string(me.get("id"))
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
    println!("Time zone:   {}", upstream.settings.time_zone);
    println!("OK");
    Ok(())
}

pub fn tools(args: ToolsArgs) -> anyhow::Result<()> {
    let upstream = Upstream {
        settings: ApiSettings::default(),
        token: None,
        sandbox: None,
    };
    let server = build_server(&upstream, &args.selection, false, false)?;
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
    let server = build_server(&upstream, &selection, false, false)?;
    if server
        .catalogue()
        .iter()
        .all(|e| e.tool.name != args.tool.as_str())
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
