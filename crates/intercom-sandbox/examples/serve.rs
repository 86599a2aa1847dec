//! Runs the sandbox from the command line: `cargo run -p intercom-sandbox --example serve -- --help`.

use clap::Parser;
use intercom_sandbox::cli::{SandboxArgs, run};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    sandbox: SandboxArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    run(Cli::parse().sandbox).await
}
