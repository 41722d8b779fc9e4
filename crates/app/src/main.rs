//! The `udrul` binary: `serve` runs the portal, `demo` runs it with demo data.

use clap::Parser;

/// mimalloc instead of glibc's allocator: glibc kept each 19 MiB argon2
/// buffer in the arena of the thread that hashed (77 MB resident after four
/// logins, 85 MB under load; mimalloc: 55 and 41 MB), and allocation was
/// a tenth of a page's time (member home 7,200 -> 8,600 requests a second).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    udrul::cli::Cli::parse().run().await
}
