//! Accounts made in the interface (issue 11): the search of the user list
//! and set-password links. Part of `sql/store.rs` (compiled once per
//! backend the same way); `impl Store` calls these.
//!
//! A link's secret never reaches the store: only its SHA-256. A link is live
//! while `ended_at` is NULL and `expires_at` is later than now; using it is
//! one UPDATE that ends it, so of two concurrent uses exactly one wins.

use super::*;
use udrul_core::store::{NewPasswordLink, PasswordLink, UserFilter, UserPage};

/// The WHERE of a user search; `$1` member, `$2` role, `$3` pattern (each
/// NULL for "any").
const USER_SEARCH_WHERE: &str = " FROM users u WHERE ($1 IS NULL OR u.member_id = $1) \
     AND ($2 IS NULL OR u.role = $2) \
     AND ($3 IS NULL OR LOWER(u.username) LIKE $3 ESCAPE '\\' \
          OR LOWER(u.display_name) LIKE $3 ESCAPE '\\' \
          OR LOWER(u.email) LIKE $3 ESCAPE '\\')";

pub(super) async fn search_users(s: &SqlStore, f: &UserFilter) -> StoreResult<UserPage> {
    let pattern = like_pattern(&f.text);
    let member = f.member.map(|m| m.0);
    let role = f.role.map(|r| r.as_str());
    let limit = f.limit.clamp(1, 500);
    let mut c = s.read().await?;
    let total: i64 =
        sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*){USER_SEARCH_WHERE}")))
            .bind(member)
            .bind(role)
            .bind(pattern.as_deref())
            .fetch_one(&mut *c)
            .await
            .map_err(db)?;
    // LIMIT and OFFSET as literals (see ARCHITECTURE: SQLite re-prepares a
    // statement with a bound LIMIT).
    let sql = format!(
        concat!(
            "SELECT ",
            user_cols!(),
            "{} ORDER BY u.display_name, u.id LIMIT {} OFFSET {}"
        ),
        USER_SEARCH_WHERE, limit, f.offset
    );
    let rows: Vec<UserRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(member)
        .bind(role)
        .bind(pattern.as_deref())
        .fetch_all(&mut *c)
        .await
        .map_err(db)?;
    Ok(UserPage {
        users: rows
            .into_iter()
            .map(UserRow::into_user)
            .collect::<StoreResult<_>>()?,
        total,
    })
}

#[derive(FromRow)]
struct LinkRow {
    id: i64,
    user_id: i64,
    created_by: Option<i64>,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl LinkRow {
    fn into_link(self) -> PasswordLink {
        PasswordLink {
            id: self.id,
            user_id: UserId(self.user_id),
            created_by: self.created_by.map(UserId),
            created_at: self.created_at,
            expires_at: self.expires_at,
        }
    }
}

pub(super) async fn create_password_link(
    s: &SqlStore,
    by: &Actor,
    hash: &[u8],
    l: NewPasswordLink,
) -> StoreResult<PasswordLink> {
    let mut tx = s.begin().await?;
    let user = lock_user(&mut tx, l.user_id).await?;
    // Another member's users do not exist for a member administrator.
    if user.role.needs_member() && !user.member_id.is_some_and(|m| by.scope().allows(m)) {
        return Err(StoreError::NotFound);
    }
    if !by.can_manage_user(user.member_id, user.role) {
        return Err(StoreError::Forbidden);
    }
    if user.role == AccessRole::Robot {
        return Err(StoreError::WrongState("error-link-robot"));
    }
    if !user.active {
        return Err(StoreError::WrongState("error-link-inactive"));
    }
    let at = now();
    // One live link per user: a new one replaces the one passed on before.
    let replaced = sqlx::query(
        "UPDATE password_links SET ended_at = $2 WHERE user_id = $1 AND ended_at IS NULL",
    )
    .bind(user.id.0)
    .bind(at)
    .execute(&mut *tx)
    .await
    .map_err(db)?
    .rows_affected();
    let created_by = (!by.is_system()).then_some(by.user_id.0);
    let row: LinkRow = sqlx::query_as(
        "INSERT INTO password_links (hash, user_id, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5) \
         RETURNING id, user_id, created_by, created_at, expires_at",
    )
    .bind(hash)
    .bind(user.id.0)
    .bind(created_by)
    .bind(at)
    .bind(l.expires_at)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| insert_error(e, "password link", None))?;
    let link = row.into_link();
    audit(
        &mut tx,
        Some(by),
        AuditEntry {
            action: "user.password_link",
            object_type: "user",
            object_id: Some(user.id.0),
            member_id: user.member_id,
            person_id: Some(user.id),
            after: json(&serde_json::json!({
                "link": link.id,
                "expires_at": link.expires_at,
                "replaced": replaced,
            })),
            ..AuditEntry::default()
        },
    )
    .await?;
    tx.commit().await.map_err(db)?;
    Ok(link)
}

pub(super) async fn password_link_user(
    s: &SqlStore,
    hash: &[u8],
    at: DateTime<Utc>,
) -> StoreResult<Option<User>> {
    let mut c = s.read().await?;
    let row: Option<UserRow> = sqlx::query_as(concat!(
        "SELECT ",
        user_cols!(),
        " FROM password_links l JOIN users u ON u.id = l.user_id \
         WHERE l.hash = $1 AND l.ended_at IS NULL AND l.expires_at > $2 \
         AND u.active = TRUE AND u.role <> 'robot'"
    ))
    .bind(hash)
    .bind(at)
    .fetch_optional(&mut *c)
    .await
    .map_err(db)?;
    row.map(UserRow::into_user).transpose()
}

pub(super) async fn use_password_link(
    s: &SqlStore,
    hash: &[u8],
    password_hash: &str,
    at: DateTime<Utc>,
    request_id: Option<String>,
) -> StoreResult<User> {
    let mut tx = s.begin().await?;
    // Ending the link is the check: only one use can match this row.
    let row: Option<(i64, i64)> = sqlx::query_as(
        "UPDATE password_links SET used_at = $2, ended_at = $2 \
         WHERE hash = $1 AND ended_at IS NULL AND expires_at > $2 \
         RETURNING id, user_id",
    )
    .bind(hash)
    .bind(at)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let Some((link_id, user_id)) = row else {
        return Err(StoreError::NotFound);
    };
    let user = lock_user(&mut tx, UserId(user_id)).await?;
    if !user.active || user.role == AccessRole::Robot {
        // Nothing is written: the transaction rolls back.
        return Err(StoreError::NotFound);
    }
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(user_id)
        .bind(password_hash)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    sqlx::query("UPDATE password_links SET ended_at = $2 WHERE user_id = $1 AND ended_at IS NULL")
        .bind(user_id)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    // A new password ends every session and API token made with the old one.
    let ended = sqlx::query("DELETE FROM credentials WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
    let mut me = Actor::person(
        user.id,
        user.display_name.clone(),
        user.role,
        user.member_id,
    );
    me.request_id = request_id;
    audit(
        &mut tx,
        Some(&me),
        AuditEntry {
            action: "user.password_set",
            object_type: "user",
            object_id: Some(user_id),
            member_id: user.member_id,
            person_id: Some(user.id),
            after: json(&serde_json::json!({ "link": link_id, "sessions_ended": ended })),
            ..AuditEntry::default()
        },
    )
    .await?;
    tx.commit().await.map_err(db)?;
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn patterns_are_literal() {
        assert_eq!(like_pattern("Anna").as_deref(), Some("%anna%"));
        assert_eq!(
            like_pattern("50%_a\\b").as_deref(),
            Some("%50\\%\\_a\\\\b%")
        );
        assert_eq!(like_pattern("  "), None);
    }
}
