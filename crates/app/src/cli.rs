//! The command line: `udrul serve`, `udrul demo`, `udrul create-user`,
//! `udrul seed-bench`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use udrul_core::Store;
use udrul_core::access::AccessRole;
use udrul_core::store::NewUser;

use crate::config::Config;
use crate::state::AppState;

#[derive(Parser)]
#[command(
    name = "udrul",
    version,
    about = "Udrul: publish local tasks to members and see who has done what"
)]
pub struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args)]
struct Db {
    /// `sqlite:<file>` (default: a file in --data-dir) or `postgres://...`.
    #[arg(long, env = "UDRUL_DATABASE_URL")]
    database_url: Option<String>,
    /// Where the embedded SQLite database lives.
    #[arg(long, env = "UDRUL_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
}

impl Db {
    async fn connect(&self) -> anyhow::Result<Arc<dyn Store>> {
        let url = match &self.database_url {
            Some(u) => u.clone(),
            None => udrul_store::default_sqlite_url(&self.data_dir)?,
        };
        udrul_store::connect(&url)
            .await
            .with_context(|| format!("opening the database ({})", redact(&url)))
    }
}

/// The database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

#[derive(clap::Args)]
struct Serve {
    #[command(flatten)]
    db: Db,
    /// Address to listen on.
    #[arg(long, env = "UDRUL_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Mark cookies Secure with the `__Host-` prefix (serve behind HTTPS).
    #[arg(long, env = "UDRUL_SECURE_COOKIES")]
    secure_cookies: bool,
    /// The address people reach the portal at, e.g. https://udrul.example
    /// (for identity providers' redirects; default: the request's Host).
    #[arg(long, env = "UDRUL_PUBLIC_URL")]
    public_url: Option<String>,
    /// Identity providers (TOML; see docs/ARCHITECTURE.md and config.rs).
    #[arg(long, env = "UDRUL_IDP_CONFIG")]
    idp_config: Option<PathBuf>,
    /// Reverse proxies whose X-Forwarded-For is believed: addresses or
    /// networks, e.g. "10.0.0.5, 10.1.0.0/16". Default: none (the TCP peer
    /// is the client).
    #[arg(long, env = "UDRUL_TRUSTED_PROXIES", default_value = "")]
    trusted_proxies: String,
    /// Seconds a request's header may take from its first byte.
    #[arg(long, env = "UDRUL_HEADER_TIMEOUT", default_value_t = 10)]
    header_timeout: u64,
    /// Seconds a request body may pause between pieces.
    #[arg(long, env = "UDRUL_BODY_TIMEOUT", default_value_t = 30)]
    body_timeout: u64,
    /// Seconds a whole request body may take.
    #[arg(long, env = "UDRUL_BODY_DEADLINE", default_value_t = 300)]
    body_deadline: u64,
    /// Seconds a connection may sit idle (no request, no traffic).
    #[arg(long, env = "UDRUL_IDLE_TIMEOUT", default_value_t = 60)]
    idle_timeout: u64,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the portal.
    Serve(Serve),
    /// Run the portal with demo data (98 municipalities, 44 tasks) in a
    /// fresh or earlier demo database, and print the address and logins.
    Demo(Serve),
    /// Create a local account.
    CreateUser {
        #[command(flatten)]
        db: Db,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        #[arg(long, default_value = "")]
        email: String,
        /// central_admin, central_staff, member_admin or member_user.
        #[arg(long)]
        role: String,
        /// The member's code, for member roles.
        #[arg(long)]
        member_code: Option<String>,
        /// Read from this environment variable, never from the command line.
        #[arg(long, default_value = "UDRUL_PASSWORD")]
        password_env: String,
    },
    /// Put the demo data into a database (if it has no users yet) and exit.
    SeedDemo {
        #[command(flatten)]
        db: Db,
    },
    /// Fill a database with benchmark data: every member gets N tasks.
    SeedBench {
        #[command(flatten)]
        db: Db,
        #[arg(long, default_value_t = 2000)]
        tasks_per_member: usize,
    },
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        init_tracing();
        match self.cmd {
            Cmd::Serve(s) => {
                let store = s.db.connect().await?;
                serve(store, &s).await
            }
            Cmd::Demo(mut s) => {
                if s.db.database_url.is_none() && s.db.data_dir.as_os_str() == "data" {
                    s.db.data_dir = PathBuf::from("demo-data");
                }
                let store = s.db.connect().await?;
                let hash = crate::auth::hash_password(crate::demo::DEMO_PASSWORD.into()).await?;
                let summary = crate::demo::seed(&*store, &hash).await?;
                println!("{summary}");
                serve(store, &s).await
            }
            Cmd::CreateUser {
                db,
                username,
                display_name,
                email,
                role,
                member_code,
                password_env,
            } => {
                let names = udrul_core::input::UserNames::parse(&username, &display_name, &email)
                    .map_err(|e| anyhow::anyhow!("refused: {e}"))?;
                let (username, display_name, email) =
                    (names.username, names.display_name, names.email);
                let store = db.connect().await?;
                let role = AccessRole::parse(&role).context("unknown role")?;
                let member_id = match member_code {
                    Some(code) => Some(
                        store
                            .list_members()
                            .await?
                            .into_iter()
                            .find(|m| m.code == code)
                            .context("unknown member code")?
                            .id,
                    ),
                    None => None,
                };
                anyhow::ensure!(
                    role.needs_member() == member_id.is_some(),
                    "member roles need --member-code; central roles and auditors take none"
                );
                let password =
                    std::env::var(&password_env).with_context(|| format!("set {password_env}"))?;
                anyhow::ensure!(
                    password.chars().count() >= 12,
                    "use a password of at least 12 characters"
                );
                let password_hash = crate::auth::hash_password(password).await?;
                let u = store
                    .create_user(
                        &udrul_core::Actor::system(),
                        NewUser {
                            username,
                            display_name,
                            email,
                            password_hash,
                            role,
                            member_id,
                        },
                    )
                    .await?;
                println!("created user {} ({})", u.username, u.role.as_str());
                Ok(())
            }
            Cmd::SeedDemo { db } => {
                let store = db.connect().await?;
                let hash = crate::auth::hash_password(crate::demo::DEMO_PASSWORD.into()).await?;
                let summary = crate::demo::seed(&*store, &hash).await?;
                println!("{summary}");
                Ok(())
            }
            Cmd::SeedBench {
                db,
                tasks_per_member,
            } => {
                let store = db.connect().await?;
                let hash = crate::auth::hash_password(crate::demo::DEMO_PASSWORD.into()).await?;
                let started = std::time::Instant::now();
                let summary = crate::demo::seed_bench(&*store, &hash, tasks_per_member).await?;
                println!("{summary}");
                println!("seeded in {:.1} s", started.elapsed().as_secs_f64());
                Ok(())
            }
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("UDRUL_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn serve(store: Arc<dyn Store>, s: &Serve) -> anyhow::Result<()> {
    let idps = match &s.idp_config {
        Some(path) => crate::config::IdpFile::load(path)?,
        None => crate::config::IdpFile::default(),
    };
    let config = Config {
        secure_cookies: s.secure_cookies,
        public_url: s.public_url.clone(),
        oidc: idps.oidc,
        saml: idps.saml,
        saml_sp: idps.saml_sp,
        trusted_proxies: crate::client::parse_trusted(&s.trusted_proxies)?,
        header_timeout: secs(s.header_timeout)?,
        body_timeout: secs(s.body_timeout)?,
        body_deadline: secs(s.body_deadline)?,
        idle_timeout: secs(s.idle_timeout)?,
        ..Config::default()
    };
    let timeouts = crate::serve::Timeouts::of(&config);
    let state = AppState::new(store, config).await?;
    tokio::spawn(housekeeping(state.clone()));
    let app = crate::router(state);
    let listener = tokio::net::TcpListener::bind(s.bind)
        .await
        .with_context(|| format!("listening on {}", s.bind))?;
    let addr = listener.local_addr()?;
    println!("Udrul kører på / is running at http://{addr}/");
    crate::serve::serve(listener, app, timeouts, shutdown_signal()).await?;
    Ok(())
}

/// A timeout setting: whole seconds, at least one.
fn secs(n: u64) -> anyhow::Result<std::time::Duration> {
    anyhow::ensure!(n > 0, "timeouts are at least 1 second");
    Ok(std::time::Duration::from_secs(n))
}

/// Every ten minutes: expired sessions and tokens, old failed-login counts
/// and idle robots' rate-limit buckets go.
async fn housekeeping(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tick.tick().await;
        match state.store.purge_credentials(chrono::Utc::now()).await {
            Ok(n) => tracing::debug!(purged = n, "expired credentials purged"),
            Err(e) => tracing::warn!(error = %e, "purging expired credentials failed"),
        }
        state.robot_limits.forget_idle();
        state.login_sources.forget_idle();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
