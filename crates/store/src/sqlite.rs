//! SQLite, the embedded default: the shared SQL of `sql/store.rs` compiled
//! against `sqlx::Sqlite`, its pools and its dialect.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use udrul_core::store::{Store, StoreError};

use crate::lite::LiteReads;

pub type Db = sqlx::Sqlite;
pub const BACKEND: &str = "sqlite";

// The same file as in the other backend, on purpose (see the crate docs).
#[allow(clippy::duplicate_mod)]
#[path = "sql/store.rs"]
mod store;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// What SQLite does differently.
pub mod dialect {
    use super::Db;

    /// Write transactions take the write lock at once (`BEGIN IMMEDIATE`):
    /// our own writes are already serialised by the one writer connection;
    /// another process on the same file is then waited for (busy timeout)
    /// at the start instead of failing the transaction half-way.
    pub async fn begin(
        pool: &sqlx::Pool<Db>,
    ) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error> {
        pool.begin_with("BEGIN IMMEDIATE").await
    }

    /// No row locks: the single writer connection serialises writes.
    pub const FOR_UPDATE: &str = "";

    /// Group-commit instance updates: with `synchronous = FULL` every commit
    /// is an fsync, and one writer connection cannot overlap them.
    pub const GROUP_COMMIT: bool = true;

    /// Busy or locked (after the busy timeout), cannot open, disk I/O error.
    pub fn is_unavailable(code: &str) -> bool {
        const BUSY: i32 = 5;
        const LOCKED: i32 = 6;
        const IOERR: i32 = 10;
        const CANTOPEN: i32 = 14;
        code.parse::<i32>()
            .is_ok_and(|c| matches!(c & 0xff, BUSY | LOCKED | IOERR | CANTOPEN))
    }
}

fn db(e: sqlx::Error) -> StoreError {
    crate::map_sqlx_error(e, dialect::is_unavailable)
}

pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::Backend(format!("bad SQLite URL: {e}")))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: with WAL, NORMAL survives a killed process but may lose the
        // last commits on power loss or an OS crash; FULL syncs the WAL on
        // every commit so an acknowledged write is on disk. Its cost (one
        // fsync per commit) is why instance updates are group-committed.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");

    let write = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        // A local file does not hang up; the pool pings on release anyway.
        .test_before_acquire(false)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options.clone())
        .await
        .map_err(db)?;
    MIGRATOR
        .run(&write)
        .await
        .map_err(|e| StoreError::Backend(format!("migrating the SQLite database: {e}")))?;
    // Fresh statistics for the query planner, bounded in time.
    sqlx::raw_sql("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")
        .execute(&write)
        .await
        .map_err(db)?;

    let (read, lite) = if in_memory {
        // An in-memory database exists only on its own connection.
        (write.clone(), None)
    } else {
        let readers = std::thread::available_parallelism()
            .map(|n| n.get() * 2)
            .unwrap_or(4)
            .clamp(4, 8);
        let lite = LiteReads::open(options.get_filename().to_path_buf(), readers)?;
        let read = SqlitePoolOptions::new()
            .max_connections(u32::try_from(readers).unwrap_or(4))
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false)
            .connect_with(options.read_only(true))
            .await
            .map_err(db)?;
        (read, Some(lite))
    };
    Ok(Arc::new(store::SqlStore::new(store::Pools {
        read,
        write,
        lite,
    })))
}
