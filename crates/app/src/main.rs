//! The `udrul` binary: `serve` runs the portal, `demo` runs it with demo data.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    udrul::cli::Cli::parse().run().await
}
