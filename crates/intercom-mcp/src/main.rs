use std::process::ExitCode;

use clap::Parser;
use intercom_mcp::cli::{Cli, Command};
use intercom_mcp::commands;
use tracing_subscriber::EnvFilter;

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
    let cli = Cli::parse();
    init_logging(&cli.log);
    let outcome = match cli.command {
        Command::Serve(args) => commands::serve(args).await.map(|()| true),
        Command::Sandbox(args) => intercom_sandbox::cli::run(args).await.map(|()| true),
        Command::Doctor(args) => commands::doctor(args).await.map(|()| true),
        Command::Tools(args) => commands::tools(args).map(|()| true),
        Command::Call(args) => commands::call(args).await,
        Command::Sync(args) => intercom_mcp::mirror::commands::sync(args)
            .await
            .map(|()| true),
        Command::Webhooks(args) => intercom_mcp::mirror::commands::webhooks(args)
            .await
            .map(|()| true),
        Command::Export(args) => {
            intercom_mcp::mirror::commands::export_command(args).map(|()| true)
        }
        Command::Metrics(args) => intercom_mcp::analytics::cli::run(args).await.map(|()| true),
        Command::Bulk(args) => intercom_mcp::bulk::cli::run(args).await,
        Command::Automations(args) => intercom_mcp::automations::cli::run(args).await,
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
