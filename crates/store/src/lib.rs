//! The `Store` of `udrul-core`, implemented for SQLite (the embedded default)
//! and PostgreSQL (for deployments that outgrow one machine).
//!
//! # One source of SQL, compiled twice
//!
//! Every query is written once, in `src/sql/store.rs`, against a type alias
//! `super::Db`. That file is compiled twice as a module: `src/sqlite.rs`
//! declares `type Db = sqlx::Sqlite` and includes it with
//! `#[path = "sql/store.rs"] mod store;`, `src/postgres.rs` does the same with
//! `sqlx::Postgres`. Each copy is ordinary, concrete sqlx code against one
//! driver:
//!
//! - no generic bounds over `sqlx::Database` (whose `Encode`/`Decode`/
//!   `Executor` bounds would spread through every function), no `AnyPool`
//!   (which loses types such as dates and adds a conversion layer to every
//!   row), no macro generating the impl, and no query builder: the SQL reads
//!   as SQL;
//! - the compiler checks each copy against its driver's types, so a type that
//!   one backend cannot bind fails the build, not a test.
//!
//! The dialect that both backends accept is large: `$1, $2…` placeholders
//! (sqlx-sqlite maps `$N` to parameter N), `RETURNING`, `ON CONFLICT … DO
//! UPDATE/NOTHING`, `COUNT(*) FILTER (WHERE …)`, `UPDATE … FROM (VALUES …)`
//! with the `column1…` names both give to `VALUES` columns, generated
//! columns, row triggers. What truly differs lives in each
//! backend file's small `dialect` module: how a write transaction begins
//! (`BEGIN IMMEDIATE` on SQLite), row locking (`FOR UPDATE` on PostgreSQL,
//! nothing on SQLite where the single writer connection already serialises
//! writes), which error codes mean "the database is unavailable", and
//! whether status updates are group-committed. The schemas are two
//! migration files (`migrations/sqlite`, `migrations/postgres`) with the same
//! tables, columns, constraint names and indexes; only the column types
//! differ. Queries are runtime `sqlx::query*` calls with `.bind()` (no
//! compile-time macros, so building needs no database); sqlx prepares and
//! caches each statement per connection.
//!
//! # Hot paths
//!
//! - Member home (`list_instances` in a member's scope): the task's sort key
//!   and state are copied onto each instance (`task_state`, `type_rank`,
//!   `end_date`, `code`; `visible` and `settled` are generated columns) so
//!   one index, `(member_id, visible, settled, type_rank, end_date, code,
//!   id)`, yields the page in order without a sort; the page and its total
//!   come in one round trip, the total of an unfiltered home page from a
//!   per-member counter (`members.visible_instances`) instead of counting.
//! - Follow-up: an index-only count per status over `(task_id, status)`, and
//!   the unsettled members of one task.
//! - Status updates: two statements (lock-read, `UPDATE … RETURNING`); the
//!   history row is written by a trigger on `version`, so no path can change
//!   an instance without an audit entry. On SQLite they are group-committed
//!   (below).
//! - Publishing: one `INSERT … SELECT` per 400 members.
//!
//! Lists given by the caller (a selection of members, target roles) are
//! bound as generated `$k` placeholder lists, because SQLite has no arrays;
//! the numbers are the only generated text, never values.
//!
//! # SQLite
//!
//! WAL journal, `synchronous = FULL`, foreign keys on, a 5 s busy timeout.
//! With WAL, `synchronous = NORMAL` survives a killed process but can lose the
//! last commits on an OS crash or power loss, because the WAL is only synced
//! at checkpoints; `FULL` syncs the WAL at every commit, so an acknowledged
//! write survives both. Its cost is one `fsync` per commit (about 0.2 ms on
//! the development machine, ~4,000 single-row commits/s). To keep status
//! updates fast anyway, concurrent instance updates are group-committed: a
//! writer task takes every update waiting in its queue, applies them in one
//! transaction, commits once and only then answers each caller (so no update
//! is acknowledged before it is durable; an update refused by a rule writes
//! nothing and does not affect the others).
//!
//! Two pools: one writer connection (every write and write transaction goes
//! through it, so writers never meet `SQLITE_BUSY` from each other; write
//! transactions begin with `BEGIN IMMEDIATE` so that another process on the
//! same file is waited for at the start, not failed in the middle) and a
//! read-only pool of 4–8 connections that WAL lets read concurrently with the
//! writer.
//!
//! # PostgreSQL
//!
//! One pool of up to 16 connections, server defaults for durability
//! (`fsync`, `synchronous_commit = on`); PostgreSQL group-commits concurrent
//! transactions by itself. The row a write transaction reads and then changes
//! (the task, the instance) is locked with `SELECT … FOR UPDATE`, so
//! concurrent requests serialise correctly under the default READ COMMITTED
//! isolation (of two updates with the same version exactly one wins).
//!
//! # Errors
//!
//! Rules that need the database (unknown project, role or member; a task in
//! the wrong state; a stale version) are checked inside the write
//! transaction before anything is written, and reported as the core error
//! types; a transaction that fails is rolled back whole. Unique violations
//! of names become `Duplicate`, pool timeouts, I/O and connection errors
//! `Unavailable`, the rest `Backend`.

use std::path::Path;
use std::sync::Arc;

use udrul_core::store::{Store, StoreError};

mod lite;
mod postgres;
mod sqlite;

/// Opens the database at `url`, runs its migrations and returns the store.
///
/// `sqlite:<path>` (e.g. `sqlite:data/udrul.db`; the file is created if
/// missing) opens SQLite; `postgres://…` or `postgresql://…` opens
/// PostgreSQL.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        sqlite::connect(url).await
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        postgres::connect(url).await
    } else {
        Err(StoreError::Backend(
            "unsupported database URL: use sqlite:<file> or postgres://…".to_string(),
        ))
    }
}

/// The URL of the default embedded database: `udrul.db` in `data_dir`,
/// creating the directory if it is missing (the file is created on connect).
pub fn default_sqlite_url(data_dir: &Path) -> Result<String, StoreError> {
    std::fs::create_dir_all(data_dir).map_err(|e| {
        StoreError::Unavailable(format!(
            "cannot create the data directory {}: {e}",
            data_dir.display()
        ))
    })?;
    let file = data_dir.join("udrul.db").display().to_string();
    // sqlx percent-decodes the path and cuts it at `?`.
    let file = file
        .replace('%', "%25")
        .replace('?', "%3F")
        .replace('#', "%23");
    Ok(format!("sqlite://{file}"))
}

/// Maps an sqlx error that is not a rule of the domain. `unavailable` says
/// whether a database error code means the database cannot serve right now.
pub(crate) fn map_sqlx_error(e: sqlx::Error, unavailable: fn(&str) -> bool) -> StoreError {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => StoreError::Unavailable(e.to_string()),
        sqlx::Error::Database(ref d) if d.code().is_some_and(|c| unavailable(&c)) => {
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
        other => StoreError::Backend(other.to_string()),
    }
}
