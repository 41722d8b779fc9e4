//! The SQLite read path of the hottest queries, on rusqlite.
//!
//! sqlx runs every SQLite connection on a worker thread of its own and
//! hands each row back through a channel, copying every value of it
//! (`sqlite3_value_dup`). Profiling a member's home page under load showed
//! those handoffs and copies as most of the request's time. The queries
//! every page runs (the session, the member, the member's task list, a
//! task's follow-up) therefore read through plain rusqlite connections, rows
//! read in place: on the calling task when the read is bounded, with one
//! blocking-pool handoff when it may scan (see `Cost`).
//!
//! Only reads go here, and only on a file database. The SQL is the same
//! text the sqlx path runs (see `sql/store.rs`), and so is the mapping from
//! a row struct into the domain type, so the two paths cannot drift apart
//! in meaning; the contract suite runs this path on SQLite and the sqlx one
//! on PostgreSQL.
//!
//! rusqlite 0.39 links the same `libsqlite3-sys` (0.37, bundled) as sqlx
//! 0.9, so the process has one SQLite library.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Row};
use udrul_core::store::{StoreError, StoreResult};

/// A parameter of a query: owned, because the query runs on another thread.
#[derive(Debug, Clone)]
pub enum Arg {
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
    Null,
}

impl rusqlite::ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Arg::Int(v) => ValueRef::Integer(*v),
            Arg::Text(s) => ValueRef::Text(s.as_bytes()),
            Arg::Blob(b) => ValueRef::Blob(b),
            Arg::Null => ValueRef::Null,
        }))
    }
}

impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Arg {
        v.map_or(Arg::Null, |s| Arg::Text(s.to_string()))
    }
}

/// Column `i` of a row, which the SQL calls `name`. By position, because a
/// lookup by name compares every column name and showed in profiles; the
/// name is checked in debug builds (so in every test run) instead.
pub fn col<T: rusqlite::types::FromSql>(r: &Row<'_>, i: usize, name: &str) -> rusqlite::Result<T> {
    debug_assert_eq!(
        r.as_ref().column_name(i).ok(),
        Some(name),
        "column {i} of the SQL"
    );
    r.get(i)
}

/// A row struct that can be read from a rusqlite row (see `col`).
pub trait FromLite: Sized + Send + 'static {
    fn from_lite(row: &Row<'_>) -> rusqlite::Result<Self>;
}

impl FromLite for (i64,) {
    fn from_lite(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok((row.get(0)?,))
    }
}

impl FromLite for (String,) {
    fn from_lite(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok((row.get(0)?,))
    }
}

impl FromLite for (String, i64) {
    fn from_lite(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok((row.get(0)?, row.get(1)?))
    }
}

/// Where a read runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cost {
    /// An index lookup or a short index range (a session, a member, one
    /// member's page of tasks, one task's members): tens of microseconds on
    /// the calling thread. Handing it to the blocking pool cost more than
    /// the query (member home: 7,200 against 5,600 requests a second).
    Bounded,
    /// Anything that may read many rows (counts over all instances): on the
    /// blocking pool, so a slow read never stalls the async workers.
    Scan,
}

/// Read-only connections to one database file, opened on demand and kept
/// for reuse: at most `keep` of them, each serving one query at a time.
#[derive(Clone)]
pub struct LiteReads {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<tokio::sync::Semaphore>,
}

/// Statements each connection keeps prepared: the hot queries, and the
/// variants of the task list (filters and page offsets).
const STATEMENT_CACHE: usize = 64;

impl LiteReads {
    /// Opens one connection now, so a bad path fails at start-up.
    pub fn open(path: PathBuf, keep: usize) -> StoreResult<LiteReads> {
        let first = open(&path).map_err(lite)?;
        Ok(LiteReads {
            inner: Arc::new(Inner {
                path,
                idle: Mutex::new(vec![first]),
                permits: Arc::new(tokio::sync::Semaphore::new(keep.max(1))),
            }),
        })
    }

    /// Every row of `sql` with `args` bound to `$1`, `$2`, … in order.
    pub async fn all<T: FromLite>(
        &self,
        cost: Cost,
        sql: impl Into<Cow<'static, str>>,
        args: Vec<Arg>,
    ) -> StoreResult<Vec<T>> {
        let sql = sql.into();
        // At most `keep` queries at once, so every one finds an open
        // connection instead of opening (and parsing the schema) anew.
        let permit = self
            .inner
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| StoreError::Unavailable(format!("SQLite reader: {e}")))?;
        let inner = self.inner.clone();
        let run = move || {
            let _permit = permit;
            let idle = inner.idle.lock().ok().and_then(|mut idle| idle.pop());
            let conn = match idle {
                Some(c) => c,
                None => open(&inner.path).map_err(lite)?,
            };
            let rows = read(&conn, &sql, &args).map_err(lite);
            if let Ok(mut idle) = inner.idle.lock() {
                idle.push(conn);
            }
            rows
        };
        match cost {
            Cost::Bounded => run(),
            Cost::Scan => tokio::task::spawn_blocking(run)
                .await
                .map_err(|e| StoreError::Backend(format!("SQLite reader: {e}")))?,
        }
    }
}

fn open(path: &std::path::Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

fn read<T: FromLite>(conn: &Connection, sql: &str, args: &[Arg]) -> rusqlite::Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), T::from_lite)?;
    rows.collect()
}

/// Busy or locked (after the busy timeout), cannot open, disk I/O error:
/// the database cannot serve now. Anything else is a fault.
fn lite(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode::*;
    match e.sqlite_error_code() {
        Some(DatabaseBusy | DatabaseLocked | CannotOpen | SystemIoFailure) => {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Backend(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_rows_and_maps_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let w = Connection::open(&path).unwrap();
        w.execute_batch(
            "PRAGMA journal_mode = WAL; CREATE TABLE t (k TEXT, n INTEGER);
             INSERT INTO t VALUES ('a', 1), ('b', 2), (NULL, 3);",
        )
        .unwrap();
        let r = LiteReads::open(path, 2).unwrap();
        let rows: Vec<(String, i64)> = r
            .all(
                Cost::Scan,
                "SELECT k, n FROM t WHERE n <= $1 ORDER BY n",
                vec![Arg::Int(2)],
            )
            .await
            .unwrap();
        assert_eq!(rows, vec![("a".to_string(), 1), ("b".to_string(), 2)]);
        let n: Vec<(i64,)> = r
            .all(
                Cost::Bounded,
                "SELECT n FROM t WHERE k IS $1",
                vec![Arg::Null],
            )
            .await
            .unwrap();
        assert_eq!(n, vec![(3,)]);
        // Read-only: a write is refused, and nothing changes.
        let e = r
            .all::<(i64,)>(Cost::Bounded, "DELETE FROM t RETURNING n", vec![])
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Backend(_)), "{e:?}");
        // A NULL where a text is expected is a fault, not a panic.
        let e = r
            .all::<(String, i64)>(Cost::Scan, "SELECT k, n FROM t WHERE k IS NULL", vec![])
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Backend(_)), "{e:?}");
        let count: Vec<(i64,)> = r
            .all(Cost::Scan, "SELECT COUNT(*) FROM t", vec![])
            .await
            .unwrap();
        assert_eq!(count, vec![(3,)]);
    }
}
