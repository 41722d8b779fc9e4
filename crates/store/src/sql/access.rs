//! Access control and audit steps shared by the store's methods: the
//! append-only audit log, the project-staff check, and the rows of robot
//! tokens and audit entries. Part of `sql/store.rs` (compiled once per
//! backend the same way).

use super::*;
use udrul_core::access::Permissions;
use udrul_core::store::AuditEntry;

/// JSON of a value for the audit log's before and after.
pub(super) fn json<T: serde::Serialize>(v: &T) -> Option<String> {
    serde_json::to_string(v).ok()
}

/// Appends one entry to the audit log, inside the caller's transaction: the
/// entry commits or rolls back with the change it records. `None` as the
/// actor is an anonymous caller.
pub(super) async fn audit(c: &mut Conn, by: Option<&Actor>, e: AuditEntry) -> StoreResult<()> {
    let (actor_id, name, kind, token, own_member, request_id) = match by {
        None => (None, "anonymous", ActorKind::Anonymous, None, None, None),
        Some(a) => {
            let (id, kind, token) = match a.via {
                Via::System => (None, ActorKind::System, None),
                Via::Person => (Some(a.user_id.0), ActorKind::Person, None),
                Via::Robot { token_id, .. } => {
                    (Some(a.user_id.0), ActorKind::Robot, Some(token_id))
                }
            };
            (
                id,
                a.display_name.as_str(),
                kind,
                token,
                a.member_id,
                a.request_id.as_deref(),
            )
        }
    };
    sqlx::query(
        "INSERT INTO audit_events (at, actor_id, actor_name, actor_kind, token_id, member_id, \
         action, object_type, object_id, person_id, before, after, request_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(now())
    .bind(actor_id)
    .bind(name)
    .bind(kind.as_str())
    .bind(token)
    .bind(e.member_id.or(own_member).map(|m| m.0))
    .bind(e.action)
    .bind(e.object_type)
    .bind(e.object_id)
    .bind(e.person_id.map(|p| p.0))
    .bind(e.before)
    .bind(e.after)
    .bind(request_id)
    .execute(&mut *c)
    .await
    .map_err(db)?;
    Ok(())
}

/// Whether `by` may change the tasks of `project`: central administrators
/// and the system always, central staff only on the projects they are
/// assigned to, nobody else.
pub(super) async fn check_project(c: &mut Conn, by: &Actor, project: i64) -> StoreResult<()> {
    if by.is_system() || (by.role == AccessRole::CentralAdmin && !by.is_robot()) {
        return Ok(());
    }
    if by.role != AccessRole::CentralStaff || by.is_robot() {
        return Err(StoreError::Forbidden);
    }
    let assigned: Option<i64> = sqlx::query_scalar(
        "SELECT user_id FROM project_staff WHERE project_id = $1 AND user_id = $2",
    )
    .bind(project)
    .bind(by.user_id.0)
    .fetch_optional(&mut *c)
    .await
    .map_err(db)?;
    assigned.map(|_| ()).ok_or(StoreError::Forbidden)
}

/// A user row, locked until the end of the transaction on PostgreSQL.
pub(super) async fn lock_user(c: &mut Conn, id: UserId) -> StoreResult<User> {
    let sql = format!(
        concat!("SELECT ", user_cols!(), " FROM users u WHERE u.id = $1{}"),
        dialect::FOR_UPDATE
    );
    let row: Option<UserRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db)?;
    row.ok_or(StoreError::NotFound)?.into_user()
}

macro_rules! robot_token_cols {
    () => {
        "t.id AS token_id, t.user_id AS token_user_id, t.member_id AS token_member_id, \
         t.name AS token_name, t.permissions, t.created_by, t.created_at AS token_created_at, \
         t.expires_at, t.revoked_at, t.last_used_at"
    };
}

#[derive(FromRow)]
pub(super) struct RobotTokenRow {
    token_id: i64,
    token_user_id: i64,
    token_member_id: i64,
    token_name: String,
    permissions: i64,
    created_by: Option<i64>,
    token_created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    #[sqlx(flatten)]
    pub(super) user: UserRow,
}

impl FromLite for RobotTokenRow {
    fn from_lite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(RobotTokenRow {
            token_id: col(r, 0, "token_id")?,
            token_user_id: col(r, 1, "token_user_id")?,
            token_member_id: col(r, 2, "token_member_id")?,
            token_name: col(r, 3, "token_name")?,
            permissions: col(r, 4, "permissions")?,
            created_by: col(r, 5, "created_by")?,
            token_created_at: col(r, 6, "token_created_at")?,
            expires_at: col(r, 7, "expires_at")?,
            revoked_at: col(r, 8, "revoked_at")?,
            last_used_at: col(r, 9, "last_used_at")?,
            user: UserRow::from_lite_at(r, 10)?,
        })
    }
}

impl RobotTokenRow {
    pub(super) fn token(&self) -> RobotToken {
        RobotToken {
            id: self.token_id,
            user_id: UserId(self.token_user_id),
            robot_name: self.user.display_name.clone(),
            member_id: MemberId(self.token_member_id),
            name: self.token_name.clone(),
            permissions: Permissions::from_bits(self.permissions),
            created_by: self.created_by.map(UserId),
            created_at: self.token_created_at,
            expires_at: self.expires_at,
            revoked_at: self.revoked_at,
            last_used_at: self.last_used_at,
        }
    }
}

/// The SELECT of tokens with their robot user; add a WHERE.
pub(super) const ROBOT_TOKEN_SQL: &str = concat!(
    "SELECT ",
    robot_token_cols!(),
    ", ",
    user_cols!(),
    " FROM robot_tokens t JOIN users u ON u.id = t.user_id"
);

/// What the audit log says about a token: never its hash.
pub(super) fn token_json(t: &RobotToken) -> Option<String> {
    json(&serde_json::json!({
        "name": t.name,
        "robot": t.user_id.0,
        "member": t.member_id.0,
        "permissions": t.permissions.list().iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        "expires_at": t.expires_at,
        "revoked_at": t.revoked_at,
    }))
}

#[derive(FromRow)]
pub(super) struct AuditRow {
    id: i64,
    at: DateTime<Utc>,
    actor_id: Option<i64>,
    actor_name: String,
    actor_kind: String,
    token_id: Option<i64>,
    member_id: Option<i64>,
    action: String,
    object_type: String,
    object_id: Option<i64>,
    person_id: Option<i64>,
    before: Option<String>,
    after: Option<String>,
    request_id: Option<String>,
}

impl AuditRow {
    pub(super) fn into_event(self) -> StoreResult<AuditEvent> {
        Ok(AuditEvent {
            id: self.id,
            at: self.at,
            actor_id: self.actor_id.map(UserId),
            actor_name: self.actor_name,
            actor_kind: decode(&self.actor_kind, ActorKind::parse)?,
            token_id: self.token_id,
            member_id: self.member_id.map(MemberId),
            action: self.action,
            object_type: self.object_type,
            object_id: self.object_id,
            person_id: self.person_id.map(UserId),
            before: self.before,
            after: self.after,
            request_id: self.request_id,
        })
    }
}
