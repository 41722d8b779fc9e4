//! The audit log, for central administrators and auditors: search it (the
//! same filters as the web page) and page back through it. Each search is
//! itself recorded, since the log holds personal data.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use udrul_core::store::{AuditEntry, AuditFilter};
use udrul_core::{AuditEvent, MemberId, UserId};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiActor, ApiQuery};
use super::problem::{ApiResult, Problem};
use crate::state::AppState;

/// The most entries one request returns.
pub const MAX_LIMIT: u32 = 1000;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, default)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only what this user did.
    pub actor_id: Option<i64>,
    /// Only what was done for this member.
    pub member_id: Option<i64>,
    /// Only entries about this kind of object: `task`, `instance`, `user`,
    /// `project`, `robot_token`.
    pub object_type: Option<String>,
    /// Only entries about the object with this id (with `object_type`).
    pub object_id: Option<i64>,
    /// Only entries about this person's data.
    pub person_id: Option<i64>,
    /// Entries older than this id (for paging back: the last id of a page).
    pub before_id: Option<i64>,
    /// Entries per request, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// One entry of the audit log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEventDto {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The user who acted; absent for the system and anonymous callers.
    pub actor_id: Option<i64>,
    pub actor_name: String,
    /// `person`, `robot`, `system` or `anonymous`.
    pub actor_kind: String,
    /// The robot token used, for robots.
    pub token_id: Option<i64>,
    /// The member acted for.
    pub member_id: Option<i64>,
    /// What happened, e.g. `instance.update`, `login.failure`, `user.list`.
    pub action: String,
    pub object_type: String,
    pub object_id: Option<i64>,
    /// The person whose data was changed or read.
    pub person_id: Option<i64>,
    /// The object before and after the change, as JSON text.
    pub before: Option<String>,
    pub after: Option<String>,
    pub request_id: Option<String>,
}

impl From<AuditEvent> for AuditEventDto {
    fn from(e: AuditEvent) -> Self {
        AuditEventDto {
            id: e.id,
            at: e.at,
            actor_id: e.actor_id.map(|u| u.0),
            actor_name: e.actor_name,
            actor_kind: e.actor_kind.as_str().to_string(),
            token_id: e.token_id,
            member_id: e.member_id.map(|m| m.0),
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id,
            person_id: e.person_id.map(|u| u.0),
            before: e.before,
            after: e.after,
            request_id: e.request_id,
        }
    }
}

/// Search the audit log
///
/// Newest first. Every set filter must match. Central administrators and
/// auditors only; the search is itself recorded.
#[utoipa::path(
    get,
    path = "/audit",
    tag = "audit",
    params(AuditQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Entries, newest first", body = [AuditEventDto]),
        (status = 403, description = "Not a central administrator or auditor"),
        (status = 422, description = "`limit` outside 1 to 1000"),
    )
)]
pub async fn search_audit(
    State(st): State<AppState>,
    a: ApiActor,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEventDto>>> {
    if !a.actor.can_read_audit() {
        return Err(Problem::not_permitted());
    }
    if q.limit.is_some_and(|n| n == 0 || n > MAX_LIMIT) {
        let mut e = udrul_core::input::FieldErrors::default();
        e.add("limit", "error-out-of-range");
        return Err(e.into());
    }
    let object_type = q
        .object_type
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| t.chars().take(50).collect::<String>());
    let filter = AuditFilter {
        actor: q.actor_id.map(UserId),
        member: q.member_id.map(MemberId),
        object_type,
        object_id: q.object_id,
        person: q.person_id.map(UserId),
        before_id: q.before_id,
        limit: q.limit.unwrap_or(100).clamp(1, MAX_LIMIT),
    };
    let events = st.store.search_audit(&filter).await?;
    let entry = AuditEntry {
        action: "audit.read",
        object_type: "audit",
        member_id: filter.member,
        person_id: filter.person,
        after: serde_json::to_string(&serde_json::json!({
            "filter": format!("{filter:?}"),
            "entries": events.len(),
        }))
        .ok(),
        ..AuditEntry::default()
    };
    st.store.record_audit(Some(&a.actor), entry).await?;
    Ok(Json(events.into_iter().map(AuditEventDto::from).collect()))
}
