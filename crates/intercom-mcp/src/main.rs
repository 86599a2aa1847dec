//! intercom-mcp: the command line. It parses arguments and wires them to the
//! engines (intercom-mcp-server, intercom-mirror, intercom-jobs, intercom-automations).
//!
//! Modules depend one way: `cli` and `commands` use the subcommand modules
//! (`mirror`, `metrics`, `bulk`, `automations`), which use `upstream`.

mod automations;
mod bulk;
mod cli;
mod commands;
mod fleet;
mod metrics;
mod mirror;
mod oauth;
mod upstream;

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, Command};

fn init_logging(filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // stdout carries the MCP protocol (stdio transport) or command output: logs go to stderr.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

#[tokio::main]
async fn main() -> ExitCode {
    // The process's TLS crypto provider, for intercom-api and every other rustls user.
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    init_logging(&cli.log);
    let outcome = match cli.command {
        Command::Serve(args) => commands::serve(args).await.map(|()| true),
        #[cfg(feature = "sandbox")]
        Command::Sandbox(args) => intercom_sandbox::cli::run(args).await.map(|()| true),
        Command::Doctor(args) => commands::doctor(args).await.map(|()| true),
        Command::Tools(args) => commands::tools(args).map(|()| true),
        Command::Call(args) => commands::call(args).await,
        Command::Sync(args) => mirror::sync(args).await.map(|()| true),
        Command::Webhooks(args) => mirror::webhooks(args).await.map(|()| true),
        Command::Export(args) => mirror::export_command(args).map(|()| true),
        Command::Metrics(args) => metrics::run(args).await.map(|()| true),
        Command::Bulk(args) => bulk::run(args).await,
        Command::Automations(args) => automations::run(args).await,
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => {
            eprintln!("intercom-mcp: {err:#}");
            ExitCode::from(2)
        }
    }
}
