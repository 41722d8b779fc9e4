//! The `Store`, written once and compiled once per backend (see the crate
//! documentation). `super` is `crate::sqlite` or `crate::postgres`; it
//! provides the driver `Db`, the name `BACKEND` and the few `dialect` items
//! where the two databases truly differ.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use sqlx::{AssertSqlSafe, FromRow, Pool};
use tokio::sync::{mpsc, oneshot};

use udrul_core::access::{AccessRole, Actor, Scope, Via};
use udrul_core::gallery::{
    Assignment, AssignmentInput, ChangeSource, Mailbox, MailboxInput, Notice, OrgUnit,
    OrgUnitInput, Person, PersonInput, RoleInput,
};
use udrul_core::import::{ImportOutcome, ImportRecord, NewImport};
use udrul_core::input::{
    Audience, EndDateChange, FieldErrors, InstanceUpdate, ProjectInput, TaskInput,
};
use udrul_core::model::*;
use udrul_core::store::{
    AssignmentFilter, AuditEntry, AuditFilter, NewMember, NewPasswordLink, NewRobotToken, NewUser,
    PasswordLink, Published, SeedStatus, Store, StoreError, StoreResult, UserAccess, UserFilter,
    UserPage, UserWithHash,
};

use super::{BACKEND, Db, dialect};
use crate::lite::{Arg, Cost, FromLite, LiteReads, col};

type Conn = <Db as sqlx::Database>::Connection;
type Tx = sqlx::Transaction<'static, Db>;

/// The connection pools. On PostgreSQL `read` and `write` are the same pool;
/// on SQLite `write` has exactly one connection and `read` is read-only.
pub struct Pools {
    pub read: Pool<Db>,
    pub write: Pool<Db>,
    /// SQLite on a file: the hot reads go through rusqlite (see `lite`).
    pub lite: Option<LiteReads>,
}

/// Most instance updates one group commit takes (SQLite).
const MAX_BATCH: usize = 256;
/// Rows per multi-row statement: well under both databases' parameter limits.
const CHUNK: usize = 400;

pub struct SqlStore {
    pools: Pools,
    /// Queue of the group-committing instance writer (SQLite only).
    updates: Option<mpsc::Sender<UpdateJob>>,
}

impl SqlStore {
    /// Must be called inside a Tokio runtime when the dialect group-commits.
    pub fn new(pools: Pools) -> SqlStore {
        let updates = if dialect::GROUP_COMMIT {
            let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
            tokio::spawn(run_update_writer(pools.write.clone(), rx));
            Some(tx)
        } else {
            None
        };
        SqlStore { pools, updates }
    }

    async fn begin(&self) -> StoreResult<Tx> {
        dialect::begin(&self.pools.write).await.map_err(db)
    }

    async fn read(&self) -> StoreResult<sqlx::pool::PoolConnection<Db>> {
        self.pools.read.acquire().await.map_err(db)
    }

    /// Every row of a read, through rusqlite when the store has it (SQLite
    /// on a file, see `lite`), else through the sqlx read pool. The same SQL
    /// and the same row struct either way.
    async fn read_all<T>(
        &self,
        cost: Cost,
        sql: impl Into<Cow<'static, str>>,
        args: Vec<Arg>,
    ) -> StoreResult<Vec<T>>
    where
        T: FromLite + for<'r> FromRow<'r, <Db as sqlx::Database>::Row> + Send + Unpin,
    {
        if let Some(lite) = &self.pools.lite {
            return lite.all(cost, sql, args).await;
        }
        let mut q = sqlx::query_as::<Db, T>(AssertSqlSafe(sql.into()));
        for a in args {
            q = match a {
                Arg::Int(v) => q.bind(v),
                Arg::Text(s) => q.bind(s),
                Arg::Blob(b) => q.bind(b),
                Arg::Null => q.bind(None::<String>),
            };
        }
        let mut c = self.read().await?;
        q.fetch_all(&mut *c).await.map_err(db)
    }
}

// --- errors and small helpers -----------------------------------------------

fn db(e: sqlx::Error) -> StoreError {
    crate::map_sqlx_error(e, dialect::is_unavailable)
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

fn is_fk_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_foreign_key_violation())
}

fn invalid(field: &'static str, code: &'static str) -> StoreError {
    let mut e = FieldErrors::default();
    e.add(field, code);
    StoreError::Invalid(e)
}

/// The error of an INSERT: a duplicate `what`, a reference that does not
/// exist (a field error `(field, code)`, when the row has one), or a fault.
fn insert_error(
    e: sqlx::Error,
    what: &'static str,
    reference: Option<(&'static str, &'static str)>,
) -> StoreError {
    match reference {
        _ if is_unique_violation(&e) => StoreError::Duplicate(what),
        Some((field, code)) if is_fk_violation(&e) => invalid(field, code),
        _ => db(e),
    }
}

/// A copy of an error, for answering every caller of a failed group commit.
fn copy_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::NotFound => StoreError::NotFound,
        StoreError::VersionConflict { expected, found } => StoreError::VersionConflict {
            expected: *expected,
            found: *found,
        },
        StoreError::Duplicate(s) => StoreError::Duplicate(s),
        StoreError::Invalid(f) => StoreError::Invalid(f.clone()),
        StoreError::WrongState(s) => StoreError::WrongState(s),
        StoreError::Forbidden => StoreError::Forbidden,
        StoreError::Unavailable(s) => StoreError::Unavailable(s.clone()),
        StoreError::Backend(s) => StoreError::Backend(s.clone()),
    }
}

/// Now, at the microsecond precision both databases keep, so a value
/// returned from memory equals the same value read back.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn decode<T>(s: &str, parse: fn(&str) -> Option<T>) -> StoreResult<T> {
    parse(s).ok_or_else(|| StoreError::Backend(format!("unexpected value in the database: {s:?}")))
}

/// `$first, $first+1, …` for `n` parameters.
fn param_list(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($first, …), (…)` for `rows` rows of `cols` parameters each.
fn param_rows(first: usize, rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", param_list(first + r * cols, cols)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `scope` may see an instance of `member` whose task is in `state`.
/// The list query expresses the same rule in SQL (`scope_conditions`).
fn sees(scope: Scope, member: i64, state: TaskState) -> bool {
    match scope {
        Scope::All => true,
        Scope::Member(m) => m.0 == member && state.visible_to_members(),
    }
}

fn type_rank(t: TaskType) -> i32 {
    match t {
        TaskType::CriticalPath => 0,
        TaskType::Mandatory | TaskType::Optional => 1,
    }
}

// --- rows -------------------------------------------------------------------

#[derive(FromRow)]
struct MemberRow {
    id: i64,
    code: String,
    name: String,
    region: String,
    network: String,
}

impl FromLite for MemberRow {
    fn from_lite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(MemberRow {
            id: col(r, 0, "id")?,
            code: col(r, 1, "code")?,
            name: col(r, 2, "name")?,
            region: col(r, 3, "region")?,
            network: col(r, 4, "network")?,
        })
    }
}

impl From<MemberRow> for Member {
    fn from(r: MemberRow) -> Member {
        Member {
            id: MemberId(r.id),
            code: r.code,
            name: r.name,
            region: r.region,
            network: r.network,
        }
    }
}

macro_rules! user_cols {
    () => {
        "u.id, u.username, u.display_name, u.email, u.role, u.member_id, u.active"
    };
}

#[derive(FromRow)]
struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    email: String,
    role: String,
    member_id: Option<i64>,
    active: bool,
}

impl UserRow {
    /// The user columns (`user_cols!`) from column `at` on.
    fn from_lite_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Self> {
        Ok(UserRow {
            id: col(r, at, "id")?,
            username: col(r, at + 1, "username")?,
            display_name: col(r, at + 2, "display_name")?,
            email: col(r, at + 3, "email")?,
            role: col(r, at + 4, "role")?,
            member_id: col(r, at + 5, "member_id")?,
            active: col(r, at + 6, "active")?,
        })
    }
}

impl UserRow {
    fn into_user(self) -> StoreResult<User> {
        Ok(User {
            id: UserId(self.id),
            username: self.username,
            display_name: self.display_name,
            email: self.email,
            role: decode(&self.role, AccessRole::parse)?,
            member_id: self.member_id.map(MemberId),
            active: self.active,
        })
    }
}

// The access and audit steps; after the user row, which they use.
#[path = "access.rs"]
mod access;
#[path = "accounts.rs"]
mod accounts;
#[path = "gallery.rs"]
mod gallery;
#[path = "imports.rs"]
mod imports;
#[path = "recipients.rs"]
mod recipients;
use access::{
    AuditRow, ROBOT_TOKEN_SQL, RobotTokenRow, audit, check_project, json, lock_user, token_json,
};

#[derive(FromRow)]
struct CredentialRow {
    cred_user_id: i64,
    cred_created_at: DateTime<Utc>,
    cred_last_seen_at: DateTime<Utc>,
    cred_expires_at: DateTime<Utc>,
    #[sqlx(flatten)]
    user: UserRow,
}

impl FromLite for CredentialRow {
    fn from_lite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(CredentialRow {
            cred_user_id: col(r, 0, "cred_user_id")?,
            cred_created_at: col(r, 1, "cred_created_at")?,
            cred_last_seen_at: col(r, 2, "cred_last_seen_at")?,
            cred_expires_at: col(r, 3, "cred_expires_at")?,
            user: UserRow::from_lite_at(r, 4)?,
        })
    }
}

#[derive(FromRow)]
struct ProjectRow {
    id: i64,
    name: String,
    description: String,
}

impl From<ProjectRow> for Project {
    fn from(r: ProjectRow) -> Project {
        Project {
            id: ProjectId(r.id),
            name: r.name,
            description: r.description,
        }
    }
}

/// The columns of `TaskRow`, from `tasks t JOIN projects p`.
macro_rules! task_cols {
    () => {
        "t.id, t.project_id, p.name AS project_name, t.code, t.title, t.purpose, t.guidance, \
         t.task_type, t.phase, t.start_date, t.end_date, t.state, t.version, t.created_at, \
         t.updated_at, t.published_at"
    };
}

#[derive(FromRow)]
struct TaskRow {
    id: i64,
    project_id: i64,
    project_name: String,
    code: String,
    title: String,
    purpose: String,
    guidance: String,
    task_type: String,
    phase: String,
    start_date: Option<NaiveDate>,
    end_date: NaiveDate,
    state: String,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    published_at: Option<DateTime<Utc>>,
}

impl FromLite for TaskRow {
    fn from_lite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(TaskRow {
            id: col(r, 0, "id")?,
            project_id: col(r, 1, "project_id")?,
            project_name: col(r, 2, "project_name")?,
            code: col(r, 3, "code")?,
            title: col(r, 4, "title")?,
            purpose: col(r, 5, "purpose")?,
            guidance: col(r, 6, "guidance")?,
            task_type: col(r, 7, "task_type")?,
            phase: col(r, 8, "phase")?,
            start_date: col(r, 9, "start_date")?,
            end_date: col(r, 10, "end_date")?,
            state: col(r, 11, "state")?,
            version: col(r, 12, "version")?,
            created_at: col(r, 13, "created_at")?,
            updated_at: col(r, 14, "updated_at")?,
            published_at: col(r, 15, "published_at")?,
        })
    }
}

impl TaskRow {
    fn into_task(self, target_roles: Vec<String>) -> StoreResult<Task> {
        Ok(Task {
            id: TaskId(self.id),
            project_id: ProjectId(self.project_id),
            project_name: self.project_name,
            code: self.code,
            title: self.title,
            purpose: self.purpose,
            guidance: self.guidance,
            task_type: decode(&self.task_type, TaskType::parse)?,
            phase: self.phase,
            target_roles,
            start_date: self.start_date,
            end_date: self.end_date,
            state: decode(&self.state, TaskState::parse)?,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            published_at: self.published_at,
        })
    }
}

/// What a write transaction needs to know of a task before changing it.
#[derive(FromRow)]
struct TaskLock {
    project_id: i64,
    state: String,
    version: i64,
    task_type: String,
    code: String,
    start_date: Option<NaiveDate>,
    end_date: NaiveDate,
}

macro_rules! instance_cols {
    () => {
        "id, task_id, member_id, status, not_relevant_reason, responsible, doer, version, updated_at"
    };
}

#[derive(FromRow)]
struct InstanceDbRow {
    id: i64,
    task_id: i64,
    member_id: i64,
    status: String,
    not_relevant_reason: String,
    responsible: String,
    doer: String,
    version: i64,
    updated_at: DateTime<Utc>,
}

impl InstanceDbRow {
    fn into_instance(self) -> StoreResult<Instance> {
        Ok(Instance {
            id: InstanceId(self.id),
            task_id: TaskId(self.task_id),
            member_id: MemberId(self.member_id),
            status: decode(&self.status, ExecutionStatus::parse)?,
            not_relevant_reason: self.not_relevant_reason,
            responsible: self.responsible,
            doer: self.doer,
            version: self.version,
            updated_at: self.updated_at,
        })
    }
}

#[derive(FromRow)]
struct InstanceLock {
    #[sqlx(flatten)]
    row: InstanceDbRow,
    task_state: String,
}

#[derive(FromRow)]
struct InstanceListRow {
    id: i64,
    task_id: i64,
    member_id: i64,
    project_name: String,
    code: String,
    title: String,
    task_type: String,
    task_state: String,
    start_date: Option<NaiveDate>,
    end_date: NaiveDate,
    status: String,
    responsible: String,
    version: i64,
}

impl InstanceListRow {
    fn into_row(self) -> StoreResult<InstanceRow> {
        Ok(InstanceRow {
            id: InstanceId(self.id),
            task_id: TaskId(self.task_id),
            member_id: MemberId(self.member_id),
            project_name: self.project_name,
            code: self.code,
            title: self.title,
            task_type: decode(&self.task_type, TaskType::parse)?,
            task_state: decode(&self.task_state, TaskState::parse)?,
            start_date: self.start_date,
            end_date: self.end_date,
            status: decode(&self.status, ExecutionStatus::parse)?,
            responsible: self.responsible,
            version: self.version,
        })
    }
}

/// A row of a page with the page's total.
#[derive(FromRow)]
struct PagedInstanceRow {
    total: Option<i64>,
    #[sqlx(flatten)]
    row: InstanceListRow,
}

impl FromLite for PagedInstanceRow {
    fn from_lite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(PagedInstanceRow {
            total: col(r, 0, "total")?,
            row: InstanceListRow {
                id: col(r, 1, "id")?,
                task_id: col(r, 2, "task_id")?,
                member_id: col(r, 3, "member_id")?,
                project_name: col(r, 4, "project_name")?,
                code: col(r, 5, "code")?,
                title: col(r, 6, "title")?,
                task_type: col(r, 7, "task_type")?,
                task_state: col(r, 8, "task_state")?,
                start_date: col(r, 9, "start_date")?,
                end_date: col(r, 10, "end_date")?,
                status: col(r, 11, "status")?,
                responsible: col(r, 12, "responsible")?,
                version: col(r, 13, "version")?,
            },
        })
    }
}

#[derive(FromRow)]
struct InstanceDetailRow {
    #[sqlx(flatten)]
    task: TaskRow,
    i_id: i64,
    i_member_id: i64,
    i_status: String,
    i_not_relevant_reason: String,
    i_responsible: String,
    i_doer: String,
    i_version: i64,
    i_updated_at: DateTime<Utc>,
    m_code: String,
    m_name: String,
    m_region: String,
    m_network: String,
}

#[derive(FromRow)]
struct TaskSummaryRow {
    id: i64,
    project_name: String,
    code: String,
    title: String,
    task_type: String,
    end_date: NaiveDate,
    state: String,
    instances: i64,
    settled: i64,
}

impl TaskSummaryRow {
    fn into_summary(self) -> StoreResult<TaskSummary> {
        Ok(TaskSummary {
            id: TaskId(self.id),
            project_name: self.project_name,
            code: self.code,
            title: self.title,
            task_type: decode(&self.task_type, TaskType::parse)?,
            end_date: self.end_date,
            state: decode(&self.state, TaskState::parse)?,
            instances: self.instances,
            settled: self.settled,
        })
    }
}

/// `t` (tasks) as `search_tasks` filters it: $1 state, $2 project, $3 a LIKE
/// pattern of folded text (`like_pattern`), each NULL for no filter. Case
/// is folded on both sides: LOWER() for ASCII on SQLite (and more on
/// PostgreSQL), the REPLACEs for the Danish letters, which SQLite's LOWER()
/// leaves alone.
const TASK_SEARCH_WHERE: &str = "($1 IS NULL OR t.state = $1) AND ($2 IS NULL OR t.project_id = $2) \
     AND ($3 IS NULL \
       OR REPLACE(REPLACE(REPLACE(LOWER(t.code), 'Æ', 'æ'), 'Ø', 'ø'), 'Å', 'å') LIKE $3 ESCAPE '\\' \
       OR REPLACE(REPLACE(REPLACE(LOWER(t.title), 'Æ', 'æ'), 'Ø', 'ø'), 'Å', 'å') LIKE $3 ESCAPE '\\')";

/// `%text%` for LIKE with `\`, `%` and `_` escaped (by `\`, with
/// `ESCAPE '\'` in the query), trimmed and lower-cased
/// (`model::fold_search`) as the searches fold their columns; `None` for
/// empty text. The task list and the user list both search with it.
fn like_pattern(text: &str) -> Option<String> {
    let folded = udrul_core::model::fold_search(text);
    if folded.is_empty() {
        return None;
    }
    let mut p = String::with_capacity(folded.len() + 2);
    p.push('%');
    for ch in folded.chars() {
        if matches!(ch, '\\' | '%' | '_') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    Some(p)
}

#[derive(FromRow)]
struct TaskEventRow {
    at: DateTime<Utc>,
    actor_name: Option<String>,
    kind: String,
    from_date: Option<NaiveDate>,
    to_date: Option<NaiveDate>,
    reason: String,
    count: Option<i64>,
}

#[derive(FromRow)]
struct InstanceEventRow {
    at: DateTime<Utc>,
    actor_name: String,
    old_status: Option<String>,
    status: String,
    not_relevant_reason: String,
    responsible: String,
    doer: String,
}

#[derive(FromRow)]
struct FollowUpDbRow {
    instance_id: i64,
    member_id: i64,
    member_code: String,
    member_name: String,
    region: String,
    network: String,
    status: String,
    responsible: String,
    doer: String,
    updated_at: DateTime<Utc>,
}

impl FromLite for FollowUpDbRow {
    fn from_lite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(FollowUpDbRow {
            instance_id: col(r, 0, "instance_id")?,
            member_id: col(r, 1, "member_id")?,
            member_code: col(r, 2, "member_code")?,
            member_name: col(r, 3, "member_name")?,
            region: col(r, 4, "region")?,
            network: col(r, 5, "network")?,
            status: col(r, 6, "status")?,
            responsible: col(r, 7, "responsible")?,
            doer: col(r, 8, "doer")?,
            updated_at: col(r, 9, "updated_at")?,
        })
    }
}

// --- SQL that differs by dialect only in a suffix ----------------------------

static LOCK_TASK: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT project_id, state, version, task_type, code, start_date, end_date FROM tasks WHERE id = $1{}",
        dialect::FOR_UPDATE
    )
});

static LOCK_INSTANCE: LazyLock<String> = LazyLock::new(|| {
    format!(
        concat!(
            "SELECT ",
            instance_cols!(),
            ", task_state FROM task_instances WHERE id = $1{}"
        ),
        dialect::FOR_UPDATE
    )
});

/// Locks, in id order, the members that have an instance of task `$1`, before
/// their `visible_instances` change: two central staff publishing or
/// withdrawing at once then cannot deadlock (PostgreSQL only; SQLite's single
/// writer needs no row locks).
static LOCK_TASK_MEMBERS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT id FROM members WHERE id IN (SELECT member_id FROM task_instances WHERE task_id = $1) \
         ORDER BY id{}",
        dialect::FOR_UPDATE
    )
});

// --- shared steps -------------------------------------------------------------

/// Adds `delta` to `visible_instances` of every member with an instance of
/// `task`, when the task becomes visible to members or stops being visible.
async fn count_visible(c: &mut Conn, task: TaskId, delta: i64) -> StoreResult<()> {
    if !dialect::FOR_UPDATE.is_empty() {
        sqlx::query(LOCK_TASK_MEMBERS.as_str())
            .bind(task.0)
            .execute(&mut *c)
            .await
            .map_err(db)?;
    }
    sqlx::query(
        "UPDATE members SET visible_instances = visible_instances + $2 \
         WHERE id IN (SELECT member_id FROM task_instances WHERE task_id = $1)",
    )
    .bind(task.0)
    .bind(delta)
    .execute(&mut *c)
    .await
    .map_err(db)?;
    Ok(())
}

const TASK_SQL: &str = concat!(
    "SELECT ",
    task_cols!(),
    " FROM tasks t JOIN projects p ON p.id = t.project_id WHERE t.id = $1"
);
const TARGET_ROLES_SQL: &str = "SELECT r.name FROM task_target_roles tr JOIN roles r ON r.id = tr.role_id \
     WHERE tr.task_id = $1 ORDER BY tr.position";

async fn fetch_target_roles(c: &mut Conn, id: i64) -> StoreResult<Vec<String>> {
    sqlx::query_scalar(TARGET_ROLES_SQL)
        .bind(id)
        .fetch_all(&mut *c)
        .await
        .map_err(db)
}

async fn fetch_task(c: &mut Conn, id: TaskId) -> StoreResult<Option<Task>> {
    let row: Option<TaskRow> = sqlx::query_as(TASK_SQL)
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db)?;
    let Some(row) = row else { return Ok(None) };
    let roles = fetch_target_roles(c, id.0).await?;
    row.into_task(roles).map(Some)
}

async fn fetch_task_or_gone(c: &mut Conn, id: TaskId) -> StoreResult<Task> {
    fetch_task(c, id).await?.ok_or(StoreError::NotFound)
}

/// Reads the task's state and sort key, locking its row until the end of the
/// transaction on PostgreSQL.
async fn lock_task(c: &mut Conn, id: TaskId) -> StoreResult<(TaskState, TaskLock)> {
    let row: Option<TaskLock> = sqlx::query_as(LOCK_TASK.as_str())
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db)?;
    let row = row.ok_or(StoreError::NotFound)?;
    Ok((decode(&row.state, TaskState::parse)?, row))
}

/// Checks what only the database knows about a task's input (its project and
/// roles exist) and returns the role ids in the author's order. Every problem
/// is reported at once.
async fn check_task_input(c: &mut Conn, t: &TaskInput) -> StoreResult<Vec<i64>> {
    let mut errs = FieldErrors::default();
    let project: Option<i64> = sqlx::query_scalar("SELECT id FROM projects WHERE id = $1")
        .bind(t.project_id.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db)?;
    if project.is_none() {
        errs.add("project_id", "error-unknown-project");
    }
    if t.start_date.is_some_and(|s| t.end_date < s) {
        errs.add("end_date", "error-end-before-start");
    }
    let mut role_ids = Vec::with_capacity(t.target_roles.len());
    if !t.target_roles.is_empty() {
        let sql = format!(
            "SELECT id, name FROM roles WHERE name IN ({})",
            param_list(1, t.target_roles.len())
        );
        let mut q = sqlx::query_as::<Db, (i64, String)>(AssertSqlSafe(sql));
        for r in &t.target_roles {
            q = q.bind(r.as_str());
        }
        let found: HashMap<String, i64> = q
            .fetch_all(&mut *c)
            .await
            .map_err(db)?
            .into_iter()
            .map(|(id, name)| (name, id))
            .collect();
        for r in &t.target_roles {
            match found.get(r) {
                Some(id) if !role_ids.contains(id) => role_ids.push(*id),
                Some(_) => {}
                None => {
                    if errs.for_field("target_roles").is_none() {
                        errs.add("target_roles", "error-unknown-role");
                    }
                }
            }
        }
    }
    if errs.is_empty() {
        Ok(role_ids)
    } else {
        Err(StoreError::Invalid(errs))
    }
}

async fn insert_target_roles(c: &mut Conn, task: i64, roles: &[i64]) -> StoreResult<()> {
    if roles.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO task_target_roles (task_id, role_id, position) VALUES {}",
        param_rows(1, roles.len(), 3)
    );
    let mut q = sqlx::query::<Db>(AssertSqlSafe(sql));
    for (pos, role) in roles.iter().enumerate() {
        q = q
            .bind(task)
            .bind(*role)
            .bind(i32::try_from(pos).unwrap_or(i32::MAX));
    }
    q.execute(&mut *c).await.map_err(db)?;
    Ok(())
}

struct NewTaskEvent<'a> {
    task: i64,
    at: DateTime<Utc>,
    actor: Option<UserId>,
    kind: TaskEventKind,
    from_date: Option<NaiveDate>,
    to_date: Option<NaiveDate>,
    reason: &'a str,
    count: Option<i64>,
}

impl<'a> NewTaskEvent<'a> {
    fn new(task: TaskId, at: DateTime<Utc>, actor: Option<&Actor>, kind: TaskEventKind) -> Self {
        NewTaskEvent {
            task: task.0,
            at,
            // The system has no user row: its events have no actor.
            actor: actor.filter(|a| !a.is_system()).map(|a| a.user_id),
            kind,
            from_date: None,
            to_date: None,
            reason: "",
            count: None,
        }
    }

    async fn insert(self, c: &mut Conn) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO task_events (task_id, at, actor_id, kind, from_date, to_date, reason, count) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(self.task)
        .bind(self.at)
        .bind(self.actor.map(|a| a.0))
        .bind(self.kind.as_str())
        .bind(self.from_date)
        .bind(self.to_date)
        .bind(self.reason)
        .bind(self.count)
        .execute(&mut *c)
        .await
        .map_err(|e| {
            if is_fk_violation(&e) {
                StoreError::NotFound
            } else {
                db(e)
            }
        })?;
        Ok(())
    }
}

/// The members an audience resolves to, checked against the member table.
async fn resolve_audience(c: &mut Conn, audience: &Audience) -> StoreResult<Vec<i64>> {
    let members: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, region, network FROM members")
            .fetch_all(&mut *c)
            .await
            .map_err(db)?;
    let mut errs = FieldErrors::default();
    let chosen: BTreeSet<i64> = match audience {
        Audience::All => members.iter().map(|m| m.0).collect(),
        Audience::Selection {
            members: ids,
            regions,
            networks,
        } => {
            let mut set = BTreeSet::new();
            for id in ids {
                if members.iter().any(|m| m.0 == id.0) {
                    set.insert(id.0);
                } else if !errs.0.iter().any(|e| e.code == "error-unknown-member") {
                    errs.add("audience", "error-unknown-member");
                }
            }
            let by_region = |m: &(i64, String, String), name: &str| m.1 == name;
            let by_network = |m: &(i64, String, String), name: &str| m.2 == name;
            for (names, matches, code) in [
                (
                    regions,
                    &by_region as &dyn Fn(&(i64, String, String), &str) -> bool,
                    "error-unknown-region",
                ),
                (networks, &by_network, "error-unknown-network"),
            ] {
                for name in names {
                    let found: Vec<i64> = members
                        .iter()
                        .filter(|m| matches(m, name))
                        .map(|m| m.0)
                        .collect();
                    if found.is_empty() {
                        if !errs.0.iter().any(|e| e.code == code) {
                            errs.add("audience", code);
                        }
                    } else {
                        set.extend(found);
                    }
                }
            }
            set
        }
    };
    if errs.is_empty() && chosen.is_empty() {
        errs.add("audience", "error-audience-empty");
    }
    if errs.is_empty() {
        Ok(chosen.into_iter().collect())
    } else {
        Err(StoreError::Invalid(errs))
    }
}

/// One member's update of one instance, inside the caller's transaction.
async fn apply_instance_update(
    c: &mut Conn,
    job: &UpdateJob,
    at: DateTime<Utc>,
) -> StoreResult<Instance> {
    if !job.actor.can_update_instances() {
        return Err(StoreError::Forbidden);
    }
    let cur: Option<InstanceLock> = sqlx::query_as(LOCK_INSTANCE.as_str())
        .bind(job.id.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db)?;
    let cur = cur.ok_or(StoreError::NotFound)?;
    let task_state = decode(&cur.task_state, TaskState::parse)?;
    if !sees(job.scope, cur.row.member_id, task_state) {
        return Err(StoreError::NotFound);
    }
    if task_state != TaskState::Published {
        return Err(StoreError::WrongState("error-task-not-open"));
    }
    if let Some(expected) = job.version
        && expected != cur.row.version
    {
        return Err(StoreError::VersionConflict {
            expected,
            found: cur.row.version,
        });
    }
    let old = cur.row.into_instance()?;
    let u = &job.update;
    let status = u.status.unwrap_or(old.status);
    let reason = if status == ExecutionStatus::NotRelevant {
        let r = u
            .not_relevant_reason
            .as_ref()
            .unwrap_or(&old.not_relevant_reason);
        if r.trim().is_empty() {
            return Err(invalid("not_relevant_reason", "error-reason-required"));
        }
        r.clone()
    } else {
        String::new()
    };
    let responsible = u.responsible.as_ref().unwrap_or(&old.responsible);
    let doer = u.doer.as_ref().unwrap_or(&old.doer);
    if status == old.status
        && reason == old.not_relevant_reason
        && *responsible == old.responsible
        && *doer == old.doer
    {
        return Ok(old);
    }
    let row: InstanceDbRow = sqlx::query_as(concat!(
        "UPDATE task_instances SET status = $2, not_relevant_reason = $3, responsible = $4, doer = $5, \
         version = version + 1, updated_at = $6, updated_by = $7 WHERE id = $1 RETURNING ",
        instance_cols!()
    ))
    .bind(job.id.0)
    .bind(status.as_str())
    .bind(&reason)
    .bind(responsible)
    .bind(doer)
    .bind(at)
    .bind(job.actor.user_id.0)
    .fetch_one(&mut *c)
    .await
    .map_err(db)?;
    // The history entry is written by the trigger task_instances_history.
    let new = row.into_instance()?;
    audit(
        c,
        Some(&job.actor),
        AuditEntry {
            action: "instance.update",
            object_type: "instance",
            object_id: Some(job.id.0),
            member_id: Some(new.member_id),
            before: json(&old),
            after: json(&new),
            ..AuditEntry::default()
        },
    )
    .await?;
    Ok(new)
}

/// An audit entry about a task.
fn task_entry(
    action: &'static str,
    id: i64,
    before: Option<String>,
    after: Option<String>,
) -> AuditEntry {
    AuditEntry {
        action,
        object_type: "task",
        object_id: Some(id),
        before,
        after,
        ..AuditEntry::default()
    }
}

// --- group commit of instance updates (SQLite) --------------------------------

struct UpdateJob {
    actor: Actor,
    scope: Scope,
    id: InstanceId,
    version: Option<i64>,
    update: InstanceUpdate,
    reply: Option<oneshot::Sender<StoreResult<Instance>>>,
}

/// Takes every update waiting in the queue, applies them in one transaction,
/// commits once, and only then answers the callers. One
/// commit (one fsync with `synchronous = FULL`) thus serves many updates under
/// load, and a single update under no load waits for nothing.
async fn run_update_writer(pool: Pool<Db>, mut rx: mpsc::Receiver<UpdateJob>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let results = match apply_batch(&pool, &jobs).await {
            Ok(results) => results,
            Err(e) => jobs.iter().map(|_| Err(copy_error(&e))).collect(),
        };
        for (job, result) in jobs.iter_mut().zip(results) {
            if let Some(reply) = job.reply.take() {
                // The caller may have gone away; the update stands.
                let _ = reply.send(result);
            }
        }
        jobs.clear();
    }
}

async fn apply_batch(
    pool: &Pool<Db>,
    jobs: &[UpdateJob],
) -> StoreResult<Vec<StoreResult<Instance>>> {
    // A job refused by a rule (not found, wrong state, stale version,
    // invalid) is refused before it writes anything, so the jobs can share
    // one transaction without savepoints. Only a database error can leave a
    // job half-done; then the batch is rolled back and every job is applied
    // on its own, so one failure does not fail the others.
    let mut tx = dialect::begin(pool).await.map_err(db)?;
    let at = now();
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        let r = apply_instance_update(&mut tx, job, at).await;
        if let Err(e @ (StoreError::Unavailable(_) | StoreError::Backend(_))) = &r {
            tracing::warn!(error = %e, jobs = jobs.len(), "instance update failed in a batch; retrying one by one");
            drop(tx);
            let mut results = Vec::with_capacity(jobs.len());
            for job in jobs {
                results.push(apply_alone(pool, job).await);
            }
            return Ok(results);
        }
        results.push(r);
    }
    tx.commit().await.map_err(db)?;
    Ok(results)
}

/// One update in its own transaction.
async fn apply_alone(pool: &Pool<Db>, job: &UpdateJob) -> StoreResult<Instance> {
    let mut tx = dialect::begin(pool).await.map_err(db)?;
    let instance = apply_instance_update(&mut tx, job, now()).await?;
    tx.commit().await.map_err(db)?;
    Ok(instance)
}

// --- the Store ------------------------------------------------------------------

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn ping(&self) -> StoreResult<()> {
        let mut c = self.read().await?;
        sqlx::query("SELECT 1").execute(&mut *c).await.map_err(db)?;
        Ok(())
    }

    // --- settings ---------------------------------------------------------------

    async fn secret(&self, name: &str, init: Vec<u8>) -> StoreResult<Vec<u8>> {
        // On the writer, so the read sees the insert (or the earlier value
        // that made it a no-op: the first writer wins, every caller agrees).
        let mut c = self.pools.write.acquire().await.map_err(db)?;
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(&init)
        .execute(&mut *c)
        .await
        .map_err(db)?;
        sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_one(&mut *c)
            .await
            .map_err(db)
    }

    // --- members ----------------------------------------------------------------

    async fn list_members(&self) -> StoreResult<Vec<Member>> {
        let rows: Vec<MemberRow> = self
            .read_all(
                Cost::Bounded,
                "SELECT id, code, name, region, network FROM members ORDER BY name, id",
                vec![],
            )
            .await?;
        Ok(rows.into_iter().map(Member::from).collect())
    }

    async fn get_member(&self, id: MemberId) -> StoreResult<Option<Member>> {
        const SQL: &str = "SELECT id, code, name, region, network FROM members WHERE id = $1";
        let row: Option<MemberRow> = self
            .read_all(Cost::Bounded, SQL, vec![Arg::Int(id.0)])
            .await?
            .into_iter()
            .next();
        Ok(row.map(Member::from))
    }

    async fn upsert_member(&self, m: NewMember) -> StoreResult<Member> {
        let mut c = self.pools.write.acquire().await.map_err(db)?;
        let row: MemberRow = sqlx::query_as(
            "INSERT INTO members (code, name, region, network) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, region = excluded.region, \
             network = excluded.network \
             RETURNING id, code, name, region, network",
        )
        .bind(&m.code)
        .bind(&m.name)
        .bind(&m.region)
        .bind(&m.network)
        .fetch_one(&mut *c)
        .await
        .map_err(db)?;
        Ok(row.into())
    }

    // --- roles ------------------------------------------------------------------

    async fn list_roles(&self) -> StoreResult<Vec<Role>> {
        let mut c = self.read().await?;
        gallery::roles(&mut c, "", None).await
    }

    async fn ensure_role(&self, name: &str) -> StoreResult<Role> {
        let mut c = self.pools.write.acquire().await.map_err(db)?;
        sqlx::query("INSERT INTO roles (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .execute(&mut *c)
            .await
            .map_err(db)?;
        let id: i64 = sqlx::query_scalar("SELECT id FROM roles WHERE name = $1")
            .bind(name)
            .fetch_one(&mut *c)
            .await
            .map_err(db)?;
        gallery::roles(&mut c, "WHERE r.id = $1", Some(id))
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    async fn get_role(&self, id: RoleId) -> StoreResult<Option<Role>> {
        let mut c = self.read().await?;
        Ok(gallery::roles(&mut c, "WHERE r.id = $1", Some(id.0))
            .await?
            .pop())
    }

    async fn create_role(&self, by: &Actor, r: RoleInput) -> StoreResult<Role> {
        gallery::create_role(self, by, r).await
    }

    async fn update_role(&self, by: &Actor, id: RoleId, r: RoleInput) -> StoreResult<Role> {
        gallery::update_role(self, by, id, r).await
    }

    // --- people, org units, mailboxes, role gallery ---------------------------------

    async fn list_org_units(&self, member: MemberId) -> StoreResult<Vec<OrgUnit>> {
        gallery::list_org_units(self, member).await
    }

    async fn get_org_unit(&self, id: OrgUnitId) -> StoreResult<Option<OrgUnit>> {
        gallery::get_org_unit(self, id).await
    }

    async fn create_org_unit(
        &self,
        by: &Actor,
        member: MemberId,
        u: OrgUnitInput,
    ) -> StoreResult<OrgUnit> {
        gallery::create_org_unit(self, by, member, u).await
    }

    async fn update_org_unit(
        &self,
        by: &Actor,
        id: OrgUnitId,
        u: OrgUnitInput,
    ) -> StoreResult<OrgUnit> {
        gallery::update_org_unit(self, by, id, u).await
    }

    async fn set_org_unit_removed(
        &self,
        by: &Actor,
        id: OrgUnitId,
        removed: bool,
    ) -> StoreResult<OrgUnit> {
        gallery::set_org_unit_removed(self, by, id, removed).await
    }

    async fn list_people(&self, member: MemberId) -> StoreResult<Vec<Person>> {
        gallery::list_people(self, member).await
    }

    async fn get_person(&self, id: PersonId) -> StoreResult<Option<Person>> {
        gallery::get_person(self, id).await
    }

    async fn person_by_external_id(
        &self,
        member: MemberId,
        external_id: &str,
    ) -> StoreResult<Option<Person>> {
        gallery::person_by_external_id(self, member, external_id).await
    }

    async fn person_by_user_name(
        &self,
        member: MemberId,
        user_name: &str,
    ) -> StoreResult<Option<Person>> {
        gallery::person_by_user_name(self, member, user_name).await
    }

    async fn create_person(
        &self,
        by: &Actor,
        member: MemberId,
        p: PersonInput,
    ) -> StoreResult<Person> {
        gallery::create_person(self, by, member, p).await
    }

    async fn update_person(&self, by: &Actor, id: PersonId, p: PersonInput) -> StoreResult<Person> {
        gallery::update_person(self, by, id, p).await
    }

    async fn person_left(
        &self,
        by: &Actor,
        id: PersonId,
        on: NaiveDate,
        source: ChangeSource,
    ) -> StoreResult<Vec<Role>> {
        gallery::person_left(self, by, id, on, source).await
    }

    async fn person_returned(&self, by: &Actor, id: PersonId) -> StoreResult<Person> {
        gallery::person_returned(self, by, id).await
    }

    async fn list_notices(&self, member: MemberId) -> StoreResult<Vec<Notice>> {
        gallery::list_notices(self, member).await
    }

    async fn dismiss_notice(&self, by: &Actor, id: NoticeId) -> StoreResult<Notice> {
        gallery::dismiss_notice(self, by, id).await
    }

    // --- imports --------------------------------------------------------------------

    async fn save_import(&self, by: &Actor, i: NewImport) -> StoreResult<ImportRecord> {
        imports::save_import(self, by, i).await
    }

    async fn get_import(&self, id: ImportId) -> StoreResult<Option<ImportRecord>> {
        imports::get_import(self, id).await
    }

    async fn list_imports(&self, member: MemberId, limit: u32) -> StoreResult<Vec<ImportRecord>> {
        imports::list_imports(self, member, limit).await
    }

    async fn apply_import(
        &self,
        by: &Actor,
        id: ImportId,
        today: NaiveDate,
    ) -> StoreResult<ImportOutcome> {
        imports::apply_import(self, by, id, today).await
    }

    async fn list_mailboxes(&self, member: MemberId) -> StoreResult<Vec<Mailbox>> {
        gallery::list_mailboxes(self, member).await
    }

    async fn create_mailbox(
        &self,
        by: &Actor,
        member: MemberId,
        m: MailboxInput,
    ) -> StoreResult<Mailbox> {
        gallery::create_mailbox(self, by, member, m).await
    }

    async fn get_mailbox(&self, id: MailboxId) -> StoreResult<Option<Mailbox>> {
        gallery::get_mailbox(self, id).await
    }

    async fn delete_mailbox(&self, by: &Actor, id: MailboxId) -> StoreResult<()> {
        gallery::delete_mailbox(self, by, id).await
    }

    async fn list_assignments(&self, f: &AssignmentFilter) -> StoreResult<Vec<Assignment>> {
        gallery::list_assignments(self, f).await
    }

    async fn get_assignment(&self, id: AssignmentId) -> StoreResult<Option<Assignment>> {
        gallery::get_assignment(self, id).await
    }

    async fn assign_role(
        &self,
        by: &Actor,
        member: MemberId,
        a: AssignmentInput,
    ) -> StoreResult<Assignment> {
        gallery::assign_role(self, by, member, a).await
    }

    async fn end_assignment(&self, by: &Actor, id: AssignmentId, on: NaiveDate) -> StoreResult<()> {
        gallery::end_assignment(self, by, id, on).await
    }

    async fn task_recipients(
        &self,
        task: TaskId,
        members: Option<&[MemberId]>,
        day: NaiveDate,
    ) -> StoreResult<udrul_core::recipients::TaskRecipients> {
        recipients::task_recipients(self, task, members, day).await
    }

    // --- users and credentials ----------------------------------------------------

    async fn create_user(&self, by: &Actor, u: NewUser) -> StoreResult<User> {
        if !by.can_manage_user(u.member_id, u.role) {
            return Err(StoreError::Forbidden);
        }
        if u.role.needs_member() != u.member_id.is_some() {
            return Err(invalid("member_id", "error-member-role"));
        }
        let mut tx = self.begin().await?;
        let row: UserRow = sqlx::query_as(
            "INSERT INTO users (username, display_name, email, password_hash, role, member_id, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7) \
             RETURNING id, username, display_name, email, role, member_id, active",
        )
        .bind(&u.username)
        .bind(&u.display_name)
        .bind(&u.email)
        .bind(&u.password_hash)
        .bind(u.role.as_str())
        .bind(u.member_id.map(|m| m.0))
        .bind(now())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| insert_error(e, "user", Some(("member_id", "error-unknown-member"))))?;
        let user = row.into_user()?;
        audit(
            &mut tx,
            Some(by),
            AuditEntry {
                action: "user.create",
                object_type: "user",
                object_id: Some(user.id.0),
                member_id: user.member_id,
                person_id: Some(user.id),
                after: json(&user),
                ..AuditEntry::default()
            },
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(user)
    }

    async fn external_login(
        &self,
        external_id: &str,
        display_name: &str,
        email: &str,
        member: MemberId,
    ) -> StoreResult<User> {
        // The identity provider's name and address are kept without the
        // characters every form refuses (a login cannot show a form error).
        let display_name = udrul_core::input::without_hidden(display_name);
        let email = udrul_core::input::without_hidden(email);
        let (display_name, email) = (display_name.as_str(), email.as_str());
        let mut tx = self.begin().await?;
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE external_id = $1")
            .bind(external_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        let system = Actor::system();
        let user = match found {
            Some(id) => {
                let old = lock_user(&mut tx, UserId(id)).await?;
                if old.member_id != Some(member) {
                    return Err(StoreError::Forbidden);
                }
                if old.display_name == display_name && old.email == email {
                    return Ok(old);
                }
                sqlx::query("UPDATE users SET display_name = $2, email = $3 WHERE id = $1")
                    .bind(id)
                    .bind(display_name)
                    .bind(email)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                let new = lock_user(&mut tx, UserId(id)).await?;
                let entry = AuditEntry {
                    action: "user.sync",
                    object_type: "user",
                    object_id: Some(id),
                    member_id: Some(member),
                    person_id: Some(UserId(id)),
                    before: json(&old),
                    after: json(&new),
                };
                audit(&mut tx, Some(&system), entry).await?;
                new
            }
            None => {
                // A username nobody can log in with locally (no password).
                let username: String =
                    format!("sso-{}", external_id.chars().take(190).collect::<String>());
                let row: UserRow = sqlx::query_as(
                    "INSERT INTO users (username, display_name, email, password_hash, role, member_id, \
                     active, created_at, external_id) VALUES ($1, $2, $3, '', 'member_user', $4, TRUE, $5, $6) \
                     RETURNING id, username, display_name, email, role, member_id, active",
                )
                .bind(&username)
                .bind(display_name)
                .bind(email)
                .bind(member.0)
                .bind(now())
                .bind(external_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| insert_error(e, "user", Some(("member_id", "error-unknown-member"))))?;
                let user = row.into_user()?;
                let entry = AuditEntry {
                    action: "user.create",
                    object_type: "user",
                    object_id: Some(user.id.0),
                    member_id: Some(member),
                    person_id: Some(user.id),
                    after: json(&user),
                    ..AuditEntry::default()
                };
                audit(&mut tx, Some(&system), entry).await?;
                user
            }
        };
        tx.commit().await.map_err(db)?;
        Ok(user)
    }

    async fn list_users(&self, member: Option<MemberId>) -> StoreResult<Vec<User>> {
        let mut c = self.read().await?;
        let rows: Vec<UserRow> = sqlx::query_as(concat!(
            "SELECT ",
            user_cols!(),
            " FROM users u WHERE ($1 IS NULL OR u.member_id = $1) ORDER BY u.id"
        ))
        .bind(member.map(|m| m.0))
        .fetch_all(&mut *c)
        .await
        .map_err(db)?;
        rows.into_iter().map(UserRow::into_user).collect()
    }

    async fn set_user_access(&self, by: &Actor, id: UserId, a: UserAccess) -> StoreResult<User> {
        let mut tx = self.begin().await?;
        let old = lock_user(&mut tx, id).await?;
        // Another member's users do not exist for a member administrator.
        if old.role.needs_member() && !old.member_id.is_some_and(|m| by.scope().allows(m)) {
            return Err(StoreError::NotFound);
        }
        if !by.can_manage_user(old.member_id, old.role) || !by.can_manage_user(a.member_id, a.role)
        {
            return Err(StoreError::Forbidden);
        }
        if a.role.needs_member() != a.member_id.is_some() {
            return Err(invalid("member_id", "error-member-role"));
        }
        if (old.role, old.member_id, old.active) == (a.role, a.member_id, a.active) {
            // Nothing to change: nothing written, nothing audited.
            return Ok(old);
        }
        sqlx::query("UPDATE users SET role = $2, member_id = $3, active = $4 WHERE id = $1")
            .bind(id.0)
            .bind(a.role.as_str())
            .bind(a.member_id.map(|m| m.0))
            .bind(a.active)
            .execute(&mut *tx)
            .await
            .map_err(|e| insert_error(e, "user", Some(("member_id", "error-unknown-member"))))?;
        let at = now();
        if !a.active {
            // Gone at once, on every instance: each request reads these rows.
            sqlx::query("DELETE FROM credentials WHERE user_id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        if !a.active || a.member_id != old.member_id || a.role != AccessRole::Robot {
            sqlx::query(
                "UPDATE robot_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
            )
            .bind(id.0)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        let user = lock_user(&mut tx, id).await?;
        audit(
            &mut tx,
            Some(by),
            AuditEntry {
                action: "user.access",
                object_type: "user",
                object_id: Some(id.0),
                member_id: user.member_id.or(old.member_id),
                person_id: Some(id),
                before: json(&old),
                after: json(&user),
            },
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(user)
    }

    async fn search_users(&self, f: &UserFilter) -> StoreResult<UserPage> {
        accounts::search_users(self, f).await
    }

    async fn create_password_link(
        &self,
        by: &Actor,
        hash: &[u8],
        l: NewPasswordLink,
    ) -> StoreResult<PasswordLink> {
        accounts::create_password_link(self, by, hash, l).await
    }

    async fn password_link_user(
        &self,
        hash: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<Option<User>> {
        accounts::password_link_user(self, hash, now).await
    }

    async fn use_password_link(
        &self,
        hash: &[u8],
        password_hash: &str,
        now: DateTime<Utc>,
        request_id: Option<String>,
    ) -> StoreResult<User> {
        accounts::use_password_link(self, hash, password_hash, now, request_id).await
    }

    async fn user_by_username(&self, username: &str) -> StoreResult<Option<UserWithHash>> {
        #[derive(FromRow)]
        struct Row {
            #[sqlx(flatten)]
            user: UserRow,
            password_hash: String,
        }
        let mut c = self.read().await?;
        let row: Option<Row> = sqlx::query_as(concat!(
            "SELECT ",
            user_cols!(),
            ", u.password_hash FROM users u WHERE u.username = $1"
        ))
        .bind(username)
        .fetch_optional(&mut *c)
        .await
        .map_err(db)?;
        row.map(|r| {
            Ok(UserWithHash {
                user: r.user.into_user()?,
                password_hash: r.password_hash,
            })
        })
        .transpose()
    }

    async fn get_user(&self, id: UserId) -> StoreResult<Option<User>> {
        let mut c = self.read().await?;
        let row: Option<UserRow> = sqlx::query_as(concat!(
            "SELECT ",
            user_cols!(),
            " FROM users u WHERE u.id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db)?;
        row.map(UserRow::into_user).transpose()
    }

    async fn count_users(&self) -> StoreResult<i64> {
        let mut c = self.read().await?;
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&mut *c)
            .await
            .map_err(db)
    }

    async fn create_credential(&self, kind: &str, hash: &[u8], cr: Credential) -> StoreResult<()> {
        let mut c = self.pools.write.acquire().await.map_err(db)?;
        sqlx::query(
            "INSERT INTO credentials (kind, hash, user_id, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(kind)
        .bind(hash)
        .bind(cr.user_id.0)
        .bind(cr.created_at)
        .bind(cr.last_seen_at)
        .bind(cr.expires_at)
        .execute(&mut *c)
        .await
        .map_err(|e| insert_error(e, "credential", Some(("user_id", "error-invalid"))))?;
        Ok(())
    }

    async fn get_credential(
        &self,
        kind: &str,
        hash: &[u8],
    ) -> StoreResult<Option<(Credential, User)>> {
        const SQL: &str = concat!(
            "SELECT c.user_id AS cred_user_id, c.created_at AS cred_created_at, \
             c.last_seen_at AS cred_last_seen_at, c.expires_at AS cred_expires_at, ",
            user_cols!(),
            " FROM credentials c JOIN users u ON u.id = c.user_id \
             WHERE c.kind = $1 AND c.hash = $2 AND u.active = TRUE"
        );
        let args = vec![Arg::Text(kind.to_string()), Arg::Blob(hash.to_vec())];
        let row: Option<CredentialRow> = self
            .read_all(Cost::Bounded, SQL, args)
            .await?
            .into_iter()
            .next();
        let Some(r) = row else { return Ok(None) };
        let cred = Credential {
            user_id: UserId(r.cred_user_id),
            created_at: r.cred_created_at,
            last_seen_at: r.cred_last_seen_at,
            expires_at: r.cred_expires_at,
        };
        Ok(Some((cred, r.user.into_user()?)))
    }

    async fn touch_credential(
        &self,
        kind: &str,
        hash: &[u8],
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut c = self.pools.write.acquire().await.map_err(db)?;
        sqlx::query("UPDATE credentials SET last_seen_at = $3 WHERE kind = $1 AND hash = $2")
            .bind(kind)
            .bind(hash)
            .bind(at)
            .execute(&mut *c)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn delete_credential(&self, kind: &str, hash: &[u8]) -> StoreResult<()> {
        let mut c = self.pools.write.acquire().await.map_err(db)?;
        sqlx::query("DELETE FROM credentials WHERE kind = $1 AND hash = $2")
            .bind(kind)
            .bind(hash)
            .execute(&mut *c)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn purge_credentials(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let mut c = self.pools.write.acquire().await.map_err(db)?;
        let r = sqlx::query("DELETE FROM credentials WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *c)
            .await
            .map_err(db)?;
        // Set-password links that can no longer be used (the audit log
        // keeps their record).
        sqlx::query("DELETE FROM password_links WHERE expires_at <= $1 OR ended_at IS NOT NULL")
            .bind(now)
            .execute(&mut *c)
            .await
            .map_err(db)?;
        sqlx::query("DELETE FROM used_assertions WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *c)
            .await
            .map_err(db)?;
        // Failure counts outlive any throttling window after a day.
        sqlx::query("DELETE FROM login_failures WHERE window_start <= $1")
            .bind(now - chrono::Duration::days(1))
            .execute(&mut *c)
            .await
            .map_err(db)?;
        // A file nobody applied in a week will not be: its rows are
        // personal data we need not keep. Applied ones stay as the record.
        sqlx::query("DELETE FROM imports WHERE applied_at IS NULL AND created_at <= $1")
            .bind(now - chrono::Duration::days(7))
            .execute(&mut *c)
            .await
            .map_err(db)?;
        Ok(r.rows_affected())
    }

    // --- projects ---------------------------------------------------------------

    async fn list_projects(&self) -> StoreResult<Vec<Project>> {
        let mut c = self.read().await?;
        let rows: Vec<ProjectRow> =
            sqlx::query_as("SELECT id, name, description FROM projects ORDER BY name, id")
                .fetch_all(&mut *c)
                .await
                .map_err(db)?;
        Ok(rows.into_iter().map(Project::from).collect())
    }

    async fn get_project(&self, id: ProjectId) -> StoreResult<Option<Project>> {
        let mut c = self.read().await?;
        let row: Option<ProjectRow> =
            sqlx::query_as("SELECT id, name, description FROM projects WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&mut *c)
                .await
                .map_err(db)?;
        Ok(row.map(Project::from))
    }

    async fn create_project(&self, by: &Actor, p: ProjectInput) -> StoreResult<Project> {
        if !by.can_manage_projects() {
            return Err(StoreError::Forbidden);
        }
        let mut tx = self.begin().await?;
        let row: ProjectRow = sqlx::query_as(
            "INSERT INTO projects (name, description) VALUES ($1, $2) RETURNING id, name, description",
        )
        .bind(&p.name)
        .bind(&p.description)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| insert_error(e, "project", None))?;
        let project = Project::from(row);
        audit(
            &mut tx,
            Some(by),
            AuditEntry {
                action: "project.create",
                object_type: "project",
                object_id: Some(project.id.0),
                after: json(&project),
                ..AuditEntry::default()
            },
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(project)
    }

    async fn project_staff(&self, id: ProjectId) -> StoreResult<Vec<User>> {
        let mut c = self.read().await?;
        let rows: Vec<UserRow> = sqlx::query_as(concat!(
            "SELECT ",
            user_cols!(),
            " FROM project_staff ps JOIN users u ON u.id = ps.user_id              WHERE ps.project_id = $1 ORDER BY u.id"
        ))
        .bind(id.0)
        .fetch_all(&mut *c)
        .await
        .map_err(db)?;
        rows.into_iter().map(UserRow::into_user).collect()
    }

    async fn set_project_staff(
        &self,
        by: &Actor,
        project: ProjectId,
        user: UserId,
        on: bool,
    ) -> StoreResult<()> {
        if !by.can_manage_projects() {
            return Err(StoreError::Forbidden);
        }
        let mut tx = self.begin().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM projects WHERE id = $1")
            .bind(project.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        let staff = lock_user(&mut tx, user).await?;
        if staff.role != AccessRole::CentralStaff {
            return Err(invalid("user_id", "error-not-staff"));
        }
        let sql = if on {
            "INSERT INTO project_staff (project_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM project_staff WHERE project_id = $1 AND user_id = $2"
        };
        let changed = sqlx::query(sql)
            .bind(project.0)
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        if changed > 0 {
            audit(
                &mut tx,
                Some(by),
                AuditEntry {
                    action: if on {
                        "project.staff_add"
                    } else {
                        "project.staff_remove"
                    },
                    object_type: "project",
                    object_id: Some(project.0),
                    person_id: Some(user),
                    ..AuditEntry::default()
                },
            )
            .await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    // --- tasks ------------------------------------------------------------------

    async fn create_task(&self, actor: &Actor, t: TaskInput) -> StoreResult<Task> {
        let mut tx = self.begin().await?;
        let roles = check_task_input(&mut tx, &t).await?;
        check_project(&mut tx, actor, t.project_id.0).await?;
        let at = now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO tasks (project_id, code, title, purpose, guidance, task_type, phase, \
             start_date, end_date, state, version, created_at, updated_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'draft', 1, $10, $10, $11) RETURNING id",
        )
        .bind(t.project_id.0)
        .bind(&t.code)
        .bind(&t.title)
        .bind(&t.purpose)
        .bind(&t.guidance)
        .bind(t.task_type.as_str())
        .bind(&t.phase)
        .bind(t.start_date)
        .bind(t.end_date)
        .bind(at)
        .bind((!actor.is_system()).then_some(actor.user_id.0))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        insert_target_roles(&mut tx, id, &roles).await?;
        NewTaskEvent::new(TaskId(id), at, Some(actor), TaskEventKind::Created)
            .insert(&mut tx)
            .await?;
        let task = fetch_task_or_gone(&mut tx, TaskId(id)).await?;
        audit(
            &mut tx,
            Some(actor),
            task_entry("task.create", id, None, json(&task)),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(task)
    }

    async fn update_task(
        &self,
        actor: &Actor,
        id: TaskId,
        version: i64,
        t: TaskInput,
    ) -> StoreResult<Task> {
        let mut tx = self.begin().await?;
        let (state, cur) = lock_task(&mut tx, id).await?;
        check_project(&mut tx, actor, cur.project_id).await?;
        if state != TaskState::Draft {
            return Err(StoreError::WrongState("error-not-draft"));
        }
        if cur.version != version {
            return Err(StoreError::VersionConflict {
                expected: version,
                found: cur.version,
            });
        }
        let roles = check_task_input(&mut tx, &t).await?;
        check_project(&mut tx, actor, t.project_id.0).await?;
        let before = fetch_task_or_gone(&mut tx, id).await?;
        let at = now();
        sqlx::query(
            "UPDATE tasks SET project_id = $2, code = $3, title = $4, purpose = $5, guidance = $6, \
             task_type = $7, phase = $8, start_date = $9, end_date = $10, \
             version = version + 1, updated_at = $11 WHERE id = $1",
        )
        .bind(id.0)
        .bind(t.project_id.0)
        .bind(&t.code)
        .bind(&t.title)
        .bind(&t.purpose)
        .bind(&t.guidance)
        .bind(t.task_type.as_str())
        .bind(&t.phase)
        .bind(t.start_date)
        .bind(t.end_date)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        sqlx::query("DELETE FROM task_target_roles WHERE task_id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        insert_target_roles(&mut tx, id.0, &roles).await?;
        NewTaskEvent::new(id, at, Some(actor), TaskEventKind::Updated)
            .insert(&mut tx)
            .await?;
        let task = fetch_task_or_gone(&mut tx, id).await?;
        let entry = task_entry("task.update", id.0, json(&before), json(&task));
        audit(&mut tx, Some(actor), entry).await?;
        tx.commit().await.map_err(db)?;
        Ok(task)
    }

    async fn get_task(&self, id: TaskId) -> StoreResult<Option<Task>> {
        let args = || vec![Arg::Int(id.0)];
        let row: Option<TaskRow> = self
            .read_all(Cost::Bounded, TASK_SQL, args())
            .await?
            .into_iter()
            .next();
        let Some(row) = row else { return Ok(None) };
        let roles: Vec<(String,)> = self
            .read_all(Cost::Bounded, TARGET_ROLES_SQL, args())
            .await?;
        row.into_task(roles.into_iter().map(|(r,)| r).collect())
            .map(Some)
    }

    async fn list_tasks(&self, f: &TaskFilter) -> StoreResult<Vec<TaskSummary>> {
        let mut c = self.read().await?;
        let rows: Vec<TaskSummaryRow> = sqlx::query_as(
            // The progress is aggregated per task first, as an index-only scan
            // of task_instances_follow_idx (task_id, status).
            "SELECT t.id, p.name AS project_name, t.code, t.title, t.task_type, t.end_date, t.state, \
             COALESCE(c.instances, 0) AS instances, COALESCE(c.settled, 0) AS settled \
             FROM tasks t JOIN projects p ON p.id = t.project_id \
             LEFT JOIN (SELECT task_id, COUNT(*) AS instances, \
                 COUNT(*) FILTER (WHERE status IN ('fuldfoert', 'ikke_relevant')) AS settled \
                 FROM task_instances GROUP BY task_id) c ON c.task_id = t.id \
             WHERE ($1 IS NULL OR t.state = $1) AND ($2 IS NULL OR t.project_id = $2) \
             ORDER BY t.end_date, t.code, t.id",
        )
        .bind(f.state.map(TaskState::as_str))
        .bind(f.project_id.map(|p| p.0))
        .fetch_all(&mut *c)
        .await
        .map_err(db)?;
        rows.into_iter().map(TaskSummaryRow::into_summary).collect()
    }

    async fn search_tasks(
        &self,
        q: &TaskSearch,
        page: PageRequest,
    ) -> StoreResult<Page<TaskSummary>> {
        let pattern = like_pattern(&q.text);
        let state = q.filter.state.map(TaskState::as_str);
        let project = q.filter.project_id.map(|p| p.0);
        let mut c = self.read().await?;
        let (total,): (i64,) = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM tasks t WHERE {TASK_SEARCH_WHERE}"
        )))
        .bind(state)
        .bind(project)
        .bind(pattern.as_deref())
        .fetch_one(&mut *c)
        .await
        .map_err(db)?;
        // The page's ids first, so that progress is counted for those tasks
        // only (index lookups on task_instances_follow_idx), not for all.
        // LIMIT and OFFSET are literals (see `list_instances`).
        let sql = format!(
            "SELECT t.id, p.name AS project_name, t.code, t.title, t.task_type, t.end_date, t.state, \
             (SELECT COUNT(*) FROM task_instances i WHERE i.task_id = t.id) AS instances, \
             (SELECT COUNT(*) FROM task_instances i WHERE i.task_id = t.id \
                AND i.status IN ('fuldfoert', 'ikke_relevant')) AS settled \
             FROM (SELECT t.id FROM tasks t WHERE {TASK_SEARCH_WHERE} \
                   ORDER BY t.end_date, t.code, t.id LIMIT {} OFFSET {}) pg \
             JOIN tasks t ON t.id = pg.id JOIN projects p ON p.id = t.project_id \
             ORDER BY t.end_date, t.code, t.id",
            page.per_page,
            page.offset()
        );
        let rows: Vec<TaskSummaryRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(state)
            .bind(project)
            .bind(pattern.as_deref())
            .fetch_all(&mut *c)
            .await
            .map_err(db)?;
        let items = rows
            .into_iter()
            .map(TaskSummaryRow::into_summary)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page {
            items,
            total,
            page: page.page,
            per_page: page.per_page,
        })
    }

    async fn publish_task(
        &self,
        actor: &Actor,
        id: TaskId,
        audience: &Audience,
    ) -> StoreResult<Published> {
        let mut tx = self.begin().await?;
        let (state, cur) = lock_task(&mut tx, id).await?;
        check_project(&mut tx, actor, cur.project_id).await?;
        if state != TaskState::Draft {
            return Err(StoreError::WrongState("error-not-draft"));
        }
        let members = resolve_audience(&mut tx, audience).await?;
        let task_type = decode(&cur.task_type, TaskType::parse)?;
        let at = now();
        for chunk in members.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO task_instances (task_id, member_id, updated_at, task_state, type_rank, end_date, code) \
                 SELECT $1, m.id, $2, 'published', $3, $4, $5 FROM members m WHERE m.id IN ({})",
                param_list(6, chunk.len())
            );
            let mut q = sqlx::query::<Db>(AssertSqlSafe(sql))
                .bind(id.0)
                .bind(at)
                .bind(type_rank(task_type))
                .bind(cur.end_date)
                .bind(&cur.code);
            for m in chunk {
                q = q.bind(*m);
            }
            q.execute(&mut *tx).await.map_err(db)?;
        }
        count_visible(&mut tx, id, 1).await?;
        sqlx::query(
            "UPDATE tasks SET state = 'published', published_at = $2, updated_at = $2, \
             version = version + 1 WHERE id = $1",
        )
        .bind(id.0)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let count = i64::try_from(members.len()).unwrap_or(i64::MAX);
        let mut ev = NewTaskEvent::new(id, at, Some(actor), TaskEventKind::Published);
        ev.count = Some(count);
        ev.insert(&mut tx).await?;
        let after = json(&serde_json::json!({ "state": "published", "instances": count }));
        let before = json(&serde_json::json!({ "state": "draft" }));
        audit(
            &mut tx,
            Some(actor),
            task_entry("task.publish", id.0, before, after),
        )
        .await?;
        let task = fetch_task_or_gone(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(Published {
            task,
            instances: count,
        })
    }

    async fn change_end_date(
        &self,
        actor: &Actor,
        id: TaskId,
        change: &EndDateChange,
    ) -> StoreResult<Task> {
        let mut tx = self.begin().await?;
        let (state, cur) = lock_task(&mut tx, id).await?;
        check_project(&mut tx, actor, cur.project_id).await?;
        if !matches!(state, TaskState::Draft | TaskState::Published) {
            return Err(StoreError::WrongState("error-task-not-open"));
        }
        if cur.start_date.is_some_and(|s| change.end_date < s) {
            return Err(invalid("end_date", "error-end-before-start"));
        }
        let at = now();
        sqlx::query(
            "UPDATE tasks SET end_date = $2, version = version + 1, updated_at = $3 WHERE id = $1",
        )
        .bind(id.0)
        .bind(change.end_date)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        // Keep the instances' copy of the sort key in step.
        sqlx::query("UPDATE task_instances SET end_date = $2 WHERE task_id = $1")
            .bind(id.0)
            .bind(change.end_date)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let mut ev = NewTaskEvent::new(id, at, Some(actor), TaskEventKind::EndDateChanged);
        ev.from_date = Some(cur.end_date);
        ev.to_date = Some(change.end_date);
        ev.reason = &change.reason;
        ev.insert(&mut tx).await?;
        let before = json(&serde_json::json!({ "end_date": cur.end_date }));
        let after =
            json(&serde_json::json!({ "end_date": change.end_date, "reason": change.reason }));
        audit(
            &mut tx,
            Some(actor),
            task_entry("task.end_date", id.0, before, after),
        )
        .await?;
        let task = fetch_task_or_gone(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(task)
    }

    async fn set_task_state(&self, actor: &Actor, id: TaskId, to: TaskState) -> StoreResult<Task> {
        let mut tx = self.begin().await?;
        let (state, cur) = lock_task(&mut tx, id).await?;
        check_project(&mut tx, actor, cur.project_id).await?;
        let kind = match (state, to) {
            (TaskState::Published, TaskState::Closed) => TaskEventKind::Closed,
            (TaskState::Draft | TaskState::Published, TaskState::Withdrawn) => {
                TaskEventKind::Withdrawn
            }
            _ => return Err(StoreError::WrongState("error-state-transition")),
        };
        let at = now();
        sqlx::query(
            "UPDATE tasks SET state = $2, version = version + 1, updated_at = $3 WHERE id = $1",
        )
        .bind(id.0)
        .bind(to.as_str())
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        // The instances' copy of the state decides what members see.
        sqlx::query("UPDATE task_instances SET task_state = $2 WHERE task_id = $1")
            .bind(id.0)
            .bind(to.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        match (state.visible_to_members(), to.visible_to_members()) {
            (true, false) => count_visible(&mut tx, id, -1).await?,
            (false, true) => count_visible(&mut tx, id, 1).await?,
            _ => {}
        }
        NewTaskEvent::new(id, at, Some(actor), kind)
            .insert(&mut tx)
            .await?;
        let before = json(&serde_json::json!({ "state": state.as_str() }));
        let after = json(&serde_json::json!({ "state": to.as_str() }));
        let action = if to == TaskState::Closed {
            "task.close"
        } else {
            "task.withdraw"
        };
        audit(
            &mut tx,
            Some(actor),
            task_entry(action, id.0, before, after),
        )
        .await?;
        let task = fetch_task_or_gone(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(task)
    }

    async fn task_history(&self, id: TaskId) -> StoreResult<Vec<TaskEvent>> {
        let mut c = self.read().await?;
        let rows: Vec<TaskEventRow> = sqlx::query_as(
            "SELECT e.at, u.display_name AS actor_name, e.kind, e.from_date, e.to_date, e.reason, e.count \
             FROM task_events e LEFT JOIN users u ON u.id = e.actor_id \
             WHERE e.task_id = $1 ORDER BY e.id",
        )
        .bind(id.0)
        .fetch_all(&mut *c)
        .await
        .map_err(db)?;
        rows.into_iter()
            .map(|r| {
                Ok(TaskEvent {
                    at: r.at,
                    actor_name: r.actor_name,
                    kind: decode(&r.kind, TaskEventKind::parse)?,
                    from_date: r.from_date,
                    to_date: r.to_date,
                    reason: r.reason,
                    count: r.count,
                })
            })
            .collect()
    }

    async fn import_end_date_change(
        &self,
        id: TaskId,
        from: NaiveDate,
        to: NaiveDate,
        reason: &str,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let mut ev = NewTaskEvent::new(id, now(), None, TaskEventKind::EndDateChanged);
        ev.from_date = Some(from);
        ev.to_date = Some(to);
        ev.reason = reason;
        ev.insert(&mut tx).await?;
        let before = json(&serde_json::json!({ "end_date": from }));
        let after =
            json(&serde_json::json!({ "end_date": to, "reason": reason, "imported": true }));
        let entry = task_entry("task.end_date", id.0, before, after);
        audit(&mut tx, Some(&Actor::system()), entry).await?;
        tx.commit().await.map_err(db)
    }

    // --- instances ----------------------------------------------------------------

    async fn list_instances(
        &self,
        scope: Scope,
        f: &InstanceFilter,
        page: PageRequest,
    ) -> StoreResult<Page<InstanceRow>> {
        let mut conds: Vec<String> = Vec::new();
        let mut args: Vec<Arg> = Vec::new();
        let mut cond = |sql: &str, arg: Option<Arg>| {
            if let Some(a) = arg {
                args.push(a);
                conds.push(sql.replace('?', &format!("${}", args.len())));
            } else {
                conds.push(sql.to_string());
            }
        };
        // The member scope: own member, tasks members may see. `sees` is the
        // same rule for single objects.
        if let Scope::Member(m) = scope {
            cond("i.member_id = ?", Some(Arg::Int(m.0)));
            cond("i.visible = TRUE", None);
        }
        if let Some(m) = f.member_id {
            cond("i.member_id = ?", Some(Arg::Int(m.0)));
        }
        if let Some(t) = f.task_id {
            cond("i.task_id = ?", Some(Arg::Int(t.0)));
        }
        if let Some(s) = f.status {
            cond("i.status = ?", Some(Arg::Text(s.as_str().to_string())));
        }
        if f.open_only {
            cond("i.settled = FALSE", None);
        }
        let where_sql = if conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conds.join(" AND "))
        };
        let n = args.len();
        // The total comes with the page in one round trip. A member's home
        // page without filters takes it from the member's counter (see the
        // migration); every other list counts its index range.
        let total_sql = if matches!(scope, Scope::Member(_)) && *f == InstanceFilter::default() {
            "(SELECT visible_instances FROM members WHERE id = $1)".to_string()
        } else {
            format!("(SELECT COUNT(*) FROM task_instances i{where_sql})")
        };
        // LIMIT is written as a literal (a `u32`, so nothing to inject): a
        // bound LIMIT makes SQLite (3.46 and later) re-prepare the statement
        // at every execution, as if the plan depended on its value, which
        // cost a member's home page a quarter of its time. The few page
        // sizes there are make few statements to cache.
        let page_sql = format!(
            "SELECT {total_sql} AS total, i.id, i.task_id, i.member_id, p.name AS project_name, t.code, \
             t.title, t.task_type, t.state AS task_state, t.start_date, t.end_date, i.status, \
             i.responsible, i.version \
             FROM task_instances i JOIN tasks t ON t.id = i.task_id JOIN projects p ON p.id = t.project_id\
             {where_sql} ORDER BY i.settled, i.type_rank, i.end_date, i.code, i.id \
             LIMIT {} OFFSET ${}",
            page.per_page,
            n + 1
        );
        // One member's or one task's instances are a short index range;
        // anything else may count all of them.
        let cost =
            if matches!(scope, Scope::Member(_)) || f.member_id.is_some() || f.task_id.is_some() {
                Cost::Bounded
            } else {
                Cost::Scan
            };
        let mut page_args = args.clone();
        page_args.push(Arg::Int(page.offset()));
        let rows: Vec<PagedInstanceRow> = self.read_all(cost, page_sql, page_args).await?;
        let total = match rows.first() {
            Some(r) => r.total.unwrap_or(0),
            // Nothing on the first page: nothing at all.
            None if page.offset() == 0 => 0,
            // Past the last page: count on its own.
            None => {
                let count_sql = format!("SELECT COUNT(*) FROM task_instances i{where_sql}");
                let count: Vec<(i64,)> = self.read_all(cost, count_sql, args).await?;
                count.first().map_or(0, |c| c.0)
            }
        };
        let items = rows
            .into_iter()
            .map(|r| r.row.into_row())
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page {
            items,
            total,
            page: page.page,
            per_page: page.per_page,
        })
    }

    async fn get_instance(
        &self,
        scope: Scope,
        id: InstanceId,
    ) -> StoreResult<Option<InstanceDetail>> {
        let mut c = self.read().await?;
        let row: Option<InstanceDetailRow> = sqlx::query_as(concat!(
            "SELECT ",
            task_cols!(),
            ", i.id AS i_id, i.member_id AS i_member_id, i.status AS i_status, \
             i.not_relevant_reason AS i_not_relevant_reason, i.responsible AS i_responsible, \
             i.doer AS i_doer, i.version AS i_version, i.updated_at AS i_updated_at, \
             m.code AS m_code, m.name AS m_name, m.region AS m_region, m.network AS m_network \
             FROM task_instances i JOIN tasks t ON t.id = i.task_id \
             JOIN projects p ON p.id = t.project_id JOIN members m ON m.id = i.member_id \
             WHERE i.id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db)?;
        let Some(r) = row else { return Ok(None) };
        let state = decode(&r.task.state, TaskState::parse)?;
        if !sees(scope, r.i_member_id, state) {
            return Ok(None);
        }
        let roles = fetch_target_roles(&mut c, r.task.id).await?;
        let task = r.task.into_task(roles)?;
        Ok(Some(InstanceDetail {
            instance: Instance {
                id: InstanceId(r.i_id),
                task_id: task.id,
                member_id: MemberId(r.i_member_id),
                status: decode(&r.i_status, ExecutionStatus::parse)?,
                not_relevant_reason: r.i_not_relevant_reason,
                responsible: r.i_responsible,
                doer: r.i_doer,
                version: r.i_version,
                updated_at: r.i_updated_at,
            },
            member: Member {
                id: MemberId(r.i_member_id),
                code: r.m_code,
                name: r.m_name,
                region: r.m_region,
                network: r.m_network,
            },
            task,
        }))
    }

    async fn update_instance(
        &self,
        actor: &Actor,
        scope: Scope,
        id: InstanceId,
        version: Option<i64>,
        u: &InstanceUpdate,
    ) -> StoreResult<Instance> {
        let mut job = UpdateJob {
            actor: actor.clone(),
            scope,
            id,
            version,
            update: u.clone(),
            reply: None,
        };
        if let Some(queue) = &self.updates {
            let (reply, answer) = oneshot::channel();
            job.reply = Some(reply);
            queue
                .send(job)
                .await
                .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
            return answer
                .await
                .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        }
        apply_alone(&self.pools.write, &job).await
    }

    async fn instance_history(
        &self,
        scope: Scope,
        id: InstanceId,
    ) -> StoreResult<Option<Vec<InstanceEvent>>> {
        let mut c = self.read().await?;
        let owner: Option<(i64, String)> =
            sqlx::query_as("SELECT member_id, task_state FROM task_instances WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&mut *c)
                .await
                .map_err(db)?;
        let Some((member, state)) = owner else {
            return Ok(None);
        };
        if !sees(scope, member, decode(&state, TaskState::parse)?) {
            return Ok(None);
        }
        let rows: Vec<InstanceEventRow> = sqlx::query_as(
            "SELECT e.at, u.display_name AS actor_name, e.old_status, e.status, e.not_relevant_reason, \
             e.responsible, e.doer FROM instance_events e JOIN users u ON u.id = e.actor_id \
             WHERE e.instance_id = $1 ORDER BY e.id",
        )
        .bind(id.0)
        .fetch_all(&mut *c)
        .await
        .map_err(db)?;
        rows.into_iter()
            .map(|r| {
                Ok(InstanceEvent {
                    at: r.at,
                    actor_name: r.actor_name,
                    old_status: r
                        .old_status
                        .as_deref()
                        .map(|s| decode(s, ExecutionStatus::parse))
                        .transpose()?,
                    status: decode(&r.status, ExecutionStatus::parse)?,
                    not_relevant_reason: r.not_relevant_reason,
                    responsible: r.responsible,
                    doer: r.doer,
                })
            })
            .collect::<StoreResult<Vec<_>>>()
            .map(Some)
    }

    async fn follow_up(&self, id: TaskId, f: &FollowUpFilter) -> StoreResult<FollowUp> {
        let filter = || {
            vec![
                Arg::Int(id.0),
                Arg::from(f.region.as_deref()),
                Arg::from(f.network.as_deref()),
            ]
        };
        // Without a region or network the counts come from the follow-up
        // index alone; with one, each instance's member is joined in.
        let counted: Vec<(String, i64)> = if f.region.is_none() && f.network.is_none() {
            self.read_all(
                Cost::Bounded,
                "SELECT status, COUNT(*) FROM task_instances WHERE task_id = $1 GROUP BY status",
                vec![Arg::Int(id.0)],
            )
            .await?
        } else {
            self.read_all(
                Cost::Bounded,
                "SELECT i.status, COUNT(*) FROM task_instances i JOIN members m ON m.id = i.member_id \
                 WHERE i.task_id = $1 AND ($2 IS NULL OR m.region = $2) AND ($3 IS NULL OR m.network = $3) \
                 GROUP BY i.status",
                filter(),
            )
            .await?
        };
        let mut counts = StatusCounts::default();
        for (status, n) in counted {
            counts.add(decode(&status, ExecutionStatus::parse)?, n);
        }
        if counts.total() == 0 {
            let exists: Vec<(i64,)> = self
                .read_all(
                    Cost::Bounded,
                    "SELECT id FROM tasks WHERE id = $1",
                    vec![Arg::Int(id.0)],
                )
                .await?;
            if exists.is_empty() {
                return Err(StoreError::NotFound);
            }
            return Ok(FollowUp {
                counts,
                not_done: Vec::new(),
            });
        }
        let rows: Vec<FollowUpDbRow> = self
            .read_all(
                Cost::Bounded,
                "SELECT i.id AS instance_id, i.member_id, m.code AS member_code, m.name AS member_name, \
                 m.region, m.network, i.status, i.responsible, i.doer, i.updated_at \
                 FROM task_instances i JOIN members m ON m.id = i.member_id \
                 WHERE i.task_id = $1 AND i.settled = FALSE \
                 AND ($2 IS NULL OR m.region = $2) AND ($3 IS NULL OR m.network = $3) \
                 ORDER BY m.name, m.id",
                filter(),
            )
            .await?;
        let not_done = rows
            .into_iter()
            .map(|r| {
                Ok(FollowUpRow {
                    instance_id: InstanceId(r.instance_id),
                    member_id: MemberId(r.member_id),
                    member_code: r.member_code,
                    member_name: r.member_name,
                    region: r.region,
                    network: r.network,
                    status: decode(&r.status, ExecutionStatus::parse)?,
                    responsible: r.responsible,
                    doer: r.doer,
                    updated_at: r.updated_at,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(FollowUp { counts, not_done })
    }

    async fn seed_statuses_at(
        &self,
        actor: &Actor,
        task: TaskId,
        statuses: &[SeedStatus],
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        // The last entry for a member wins; the reason is kept only with
        // "not relevant", as update_instance does.
        let mut by_member: HashMap<i64, &SeedStatus> = HashMap::new();
        for s in statuses {
            by_member.insert(s.member_id.0, s);
        }
        let mut rows: Vec<&SeedStatus> = by_member.into_values().collect();
        rows.sort_by_key(|s| s.member_id.0);
        // Stored as `now()` stores it, so timestamps compare and round-trip.
        let at = at.trunc_subsecs(6);
        let mut tx = self.begin().await?;
        for chunk in rows.chunks(CHUNK) {
            let values = param_rows(4, chunk.len(), 5);
            let update = format!(
                "UPDATE task_instances SET status = v.column2, not_relevant_reason = v.column3, \
                 responsible = v.column4, doer = v.column5, version = task_instances.version + 1, \
                 updated_at = $2, updated_by = $3 \
                 FROM (VALUES {values}) AS v \
                 WHERE task_instances.task_id = $1 AND task_instances.member_id = v.column1"
            );
            // The trigger task_instances_history records each change.
            {
                let mut q = sqlx::query::<Db>(AssertSqlSafe(update))
                    .bind(task.0)
                    .bind(at)
                    .bind(actor.user_id.0);
                for s in chunk {
                    let reason = if s.status == ExecutionStatus::NotRelevant {
                        s.not_relevant_reason.as_str()
                    } else {
                        ""
                    };
                    q = q
                        .bind(s.member_id.0)
                        .bind(s.status.as_str())
                        .bind(reason)
                        .bind(s.responsible.as_str())
                        .bind(s.doer.as_str());
                }
                let done = q.execute(&mut *tx).await.map_err(db)?.rows_affected();
                if done != chunk.len() as u64 {
                    // A member without an instance of this task.
                    return Err(StoreError::NotFound);
                }
            }
        }
        // One entry for the batch; the instances' own history has each row.
        let after = json(&serde_json::json!({ "seeded_instances": rows.len() }));
        audit(
            &mut tx,
            Some(actor),
            task_entry("task.seed_statuses", task.0, None, after),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    // --- robot tokens ----------------------------------------------------------------

    async fn create_robot_token(
        &self,
        by: &Actor,
        hash: &[u8],
        t: NewRobotToken,
    ) -> StoreResult<RobotToken> {
        let mut tx = self.begin().await?;
        let robot = lock_user(&mut tx, t.user_id).await?;
        // Another member's robots do not exist for a member administrator.
        if !robot.member_id.is_some_and(|m| by.scope().allows(m)) && robot.role.needs_member() {
            return Err(StoreError::NotFound);
        }
        if !by.can_manage_user(robot.member_id, robot.role) {
            return Err(StoreError::Forbidden);
        }
        let member = match robot.member_id {
            Some(m) if robot.role == AccessRole::Robot && robot.active => m,
            _ => return Err(invalid("user_id", "error-not-robot")),
        };
        let mut errs = FieldErrors::default();
        if t.permissions.is_empty() {
            errs.add("permissions", "error-required");
        }
        if t.name.trim().is_empty() {
            errs.add("name", "error-required");
        }
        if t.expires_at <= now() {
            errs.add("expires_at", "error-expiry-past");
        }
        if !errs.is_empty() {
            return Err(StoreError::Invalid(errs));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO robot_tokens (hash, user_id, member_id, name, permissions, created_by, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(hash)
        .bind(robot.id.0)
        .bind(member.0)
        .bind(&t.name)
        .bind(t.permissions.bits())
        .bind((!by.is_system()).then_some(by.user_id.0))
        .bind(now())
        .bind(t.expires_at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| insert_error(e, "robot token", None))?;
        let row: RobotTokenRow =
            sqlx::query_as(AssertSqlSafe(format!("{ROBOT_TOKEN_SQL} WHERE t.id = $1")))
                .bind(id)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
        let token = row.token();
        audit(
            &mut tx,
            Some(by),
            AuditEntry {
                action: "robot_token.create",
                object_type: "robot_token",
                object_id: Some(id),
                member_id: Some(member),
                person_id: Some(robot.id),
                after: token_json(&token),
                ..AuditEntry::default()
            },
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(token)
    }

    async fn robot_token_by_hash(&self, hash: &[u8]) -> StoreResult<Option<(RobotToken, User)>> {
        static SQL: LazyLock<String> =
            LazyLock::new(|| format!("{ROBOT_TOKEN_SQL} WHERE t.hash = $1"));
        let row: Option<RobotTokenRow> = self
            .read_all(Cost::Bounded, SQL.as_str(), vec![Arg::Blob(hash.to_vec())])
            .await?
            .into_iter()
            .next();
        let Some(row) = row else { return Ok(None) };
        let token = row.token();
        Ok(Some((token, row.user.into_user()?)))
    }

    async fn touch_robot_token(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
        let mut c = self.pools.write.acquire().await.map_err(db)?;
        sqlx::query("UPDATE robot_tokens SET last_used_at = $2 WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(&mut *c)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn list_robot_tokens(&self, member: Option<MemberId>) -> StoreResult<Vec<RobotToken>> {
        let mut c = self.read().await?;
        let rows: Vec<RobotTokenRow> = sqlx::query_as(AssertSqlSafe(format!(
            "{ROBOT_TOKEN_SQL} WHERE ($1 IS NULL OR t.member_id = $1) ORDER BY t.id DESC"
        )))
        .bind(member.map(|m| m.0))
        .fetch_all(&mut *c)
        .await
        .map_err(db)?;
        Ok(rows.iter().map(RobotTokenRow::token).collect())
    }

    async fn revoke_robot_token(&self, by: &Actor, id: i64) -> StoreResult<RobotToken> {
        let mut tx = self.begin().await?;
        let row: Option<RobotTokenRow> = sqlx::query_as(AssertSqlSafe(format!(
            "{ROBOT_TOKEN_SQL} WHERE t.id = $1{}",
            dialect::FOR_UPDATE
        )))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let Some(row) = row else {
            return Err(StoreError::NotFound);
        };
        let old = row.token();
        if !by.scope().allows(old.member_id) {
            return Err(StoreError::NotFound);
        }
        // A robot may end its own token (`DELETE /auth/token`).
        let own = matches!(by.via, Via::Robot { token_id, .. } if token_id == id);
        if !own && !by.can_manage_user(Some(old.member_id), AccessRole::Robot) {
            return Err(StoreError::Forbidden);
        }
        if old.revoked_at.is_some() {
            return Ok(old);
        }
        let at = now();
        sqlx::query("UPDATE robot_tokens SET revoked_at = $2 WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let token = RobotToken {
            revoked_at: Some(at),
            ..old.clone()
        };
        audit(
            &mut tx,
            Some(by),
            AuditEntry {
                action: "robot_token.revoke",
                object_type: "robot_token",
                object_id: Some(id),
                member_id: Some(old.member_id),
                person_id: Some(old.user_id),
                before: token_json(&old),
                after: token_json(&token),
            },
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(token)
    }

    // --- audit -------------------------------------------------------------------

    async fn record_audit(&self, by: Option<&Actor>, e: AuditEntry) -> StoreResult<()> {
        let mut c = self.pools.write.acquire().await.map_err(db)?;
        audit(&mut c, by, e).await
    }

    async fn search_audit(&self, f: &AuditFilter) -> StoreResult<Vec<AuditEvent>> {
        let mut conds: Vec<String> = Vec::new();
        let mut ints: Vec<Option<i64>> = Vec::new();
        let mut cond = |column: &str, v: Option<i64>| {
            if v.is_some() {
                ints.push(v);
                conds.push(format!("{column} ${}", ints.len()));
            }
        };
        cond("actor_id =", f.actor.map(|u| u.0));
        cond("member_id =", f.member.map(|m| m.0));
        cond("object_id =", f.object_id);
        cond("person_id =", f.person.map(|u| u.0));
        cond("id <", f.before_id);
        if f.object_type.is_some() {
            conds.push(format!("object_type = ${}", ints.len() + 1));
        }
        let filter = if conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conds.join(" AND "))
        };
        // A literal LIMIT (see `lite`): the plan does not depend on it.
        let limit = f.limit.clamp(1, 1000);
        let sql = format!(
            "SELECT id, at, actor_id, actor_name, actor_kind, token_id, member_id, action, \
             object_type, object_id, person_id, before, after, request_id \
             FROM audit_events{filter} ORDER BY id DESC LIMIT {limit}"
        );
        let mut q = sqlx::query_as::<Db, AuditRow>(AssertSqlSafe(sql));
        for v in ints {
            q = q.bind(v);
        }
        if let Some(t) = &f.object_type {
            q = q.bind(t.clone());
        }
        let mut c = self.read().await?;
        let rows = q.fetch_all(&mut *c).await.map_err(db)?;
        rows.into_iter().map(AuditRow::into_event).collect()
    }

    // --- failed-login throttling -----------------------------------------------------

    async fn login_failures(
        &self,
        key: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<(i64, DateTime<Utc>)>> {
        let mut c = self.read().await?;
        sqlx::query_as(
            "SELECT failures, window_start FROM login_failures WHERE key = $1 AND window_start > $2",
        )
        .bind(key)
        .bind(since)
        .fetch_optional(&mut *c)
        .await
        .map_err(db)
    }

    async fn add_login_failure(
        &self,
        keys: &[String],
        at: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        for key in keys {
            sqlx::query(
                "INSERT INTO login_failures (key, failures, window_start) VALUES ($1, 1, $2) \
                 ON CONFLICT (key) DO UPDATE SET \
                 failures = CASE WHEN login_failures.window_start > $3 \
                     THEN login_failures.failures + 1 ELSE 1 END, \
                 window_start = CASE WHEN login_failures.window_start > $3 \
                     THEN login_failures.window_start ELSE $2 END",
            )
            .bind(key)
            .bind(at)
            .bind(since)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn clear_login_failures(&self, key: &str) -> StoreResult<()> {
        let mut c = self.pools.write.acquire().await.map_err(db)?;
        sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(key)
            .execute(&mut *c)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn count_login_attempt(
        &self,
        key: &str,
        at: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> StoreResult<(i64, DateTime<Utc>)> {
        // One UPSERT ... RETURNING: the increment and the read are one
        // atomic step on both backends (SQLite has one writer; PostgreSQL
        // locks the row for the conflict update).
        let mut c = self.pools.write.acquire().await.map_err(db)?;
        sqlx::query_as(
            "INSERT INTO login_failures (key, failures, window_start) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
             failures = CASE WHEN login_failures.window_start > $3 \
                 THEN login_failures.failures + 1 ELSE 1 END, \
             window_start = CASE WHEN login_failures.window_start > $3 \
                 THEN login_failures.window_start ELSE $2 END \
             RETURNING failures, window_start",
        )
        .bind(key)
        .bind(at)
        .bind(since)
        .fetch_one(&mut *c)
        .await
        .map_err(db)
    }

    // --- single-use SAML assertions ----------------------------------------------

    async fn use_assertion(&self, key: &str, expires_at: DateTime<Utc>) -> StoreResult<bool> {
        let mut c = self.pools.write.acquire().await.map_err(db)?;
        let r = sqlx::query(
            "INSERT INTO used_assertions (key, expires_at) VALUES ($1, $2) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(expires_at)
        .execute(&mut *c)
        .await
        .map_err(db)?;
        Ok(r.rows_affected() == 1)
    }
}
