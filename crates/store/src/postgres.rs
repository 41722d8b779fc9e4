//! PostgreSQL, for deployments that outgrow one machine: the shared SQL of
//! `sql/store.rs` compiled against `sqlx::Postgres`, its pool and its dialect.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use udrul_core::store::{Store, StoreError};

pub type Db = sqlx::Postgres;
pub const BACKEND: &str = "postgres";

// The same file as in the other backend, on purpose (see the crate docs).
#[allow(clippy::duplicate_mod)]
#[path = "sql/store.rs"]
mod store;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// What PostgreSQL does differently.
pub mod dialect {
    use super::Db;

    /// An ordinary transaction (READ COMMITTED); rows read to be changed are
    /// locked with `FOR UPDATE`.
    pub async fn begin(
        pool: &sqlx::Pool<Db>,
    ) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error> {
        pool.begin().await
    }

    /// Locks the row read by a write transaction until it ends, so two
    /// concurrent updates of one row serialise (the second then sees the
    /// first's version and reports the conflict).
    pub const FOR_UPDATE: &str = " FOR UPDATE";

    /// PostgreSQL already shares WAL flushes between concurrent commits.
    pub const GROUP_COMMIT: bool = false;

    /// Connection exceptions (class 08), server shutting down or starting
    /// (57P01-57P03), too many connections (53300).
    pub fn is_unavailable(code: &str) -> bool {
        code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
    }
}

fn db(e: sqlx::Error) -> StoreError {
    crate::map_sqlx_error(e, dialect::is_unavailable)
}

pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        // Queries take milliseconds; waiting longer than this for a
        // connection means the server is gone, and callers should say so
        // (503) soon rather than hang.
        .acquire_timeout(Duration::from_secs(3))
        // The pool already pings every connection when it is released, which
        // drops broken ones after a server restart; a second ping before each
        // use would add a round trip to every query.
        .test_before_acquire(false)
        .connect(url)
        .await
        .map_err(db)?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| StoreError::Backend(format!("migrating the PostgreSQL database: {e}")))?;
    Ok(Arc::new(store::SqlStore::new(store::Pools {
        lite: None,
        read: pool.clone(),
        write: pool,
    })))
}
