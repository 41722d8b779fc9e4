//! Task instances: each member's copy of a published task. Every query
//! runs in the caller's scope (`Actor::scope()`): a member's users see and
//! change only their own member's instances; anything else is 404.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use udrul_core::input::{FieldErrors, InstanceUpdate};
use udrul_core::{
    ExecutionStatus, InstanceFilter, InstanceId, MemberId, PageRequest, TaskId, calendar,
};

use super::dto::{
    InstanceDetailDto, InstanceDto, InstanceEventDto, InstanceListQuery, InstancePageDto,
    InstancePatch, InstanceRowDto,
};
use super::extract::{ApiActor, ApiJson, ApiQuery, Id, IfMatch};
use super::problem::{ApiResult, Problem};
use super::with_etag;
use crate::state::AppState;

pub const DEFAULT_PER_PAGE: u32 = 50;

/// List instances
///
/// The caller's instances of published and closed tasks: a member's users
/// get their own member's, central users everyone's. Critical path first,
/// then nearest end date; settled instances last.
#[utoipa::path(
    get,
    path = "/instances",
    tag = "instances",
    security(("bearer" = [])),
    params(InstanceListQuery),
    responses(
        (status = 200, description = "One page of instances", body = InstancePageDto),
        (status = 422, description = "An unknown `status`, or `page` or `per_page` out of range"),
    )
)]
pub async fn list_instances(
    State(st): State<AppState>,
    a: ApiActor,
    ApiQuery(q): ApiQuery<InstanceListQuery>,
) -> ApiResult<Json<InstancePageDto>> {
    a.may_read_instances()?;
    let mut e = FieldErrors::default();
    let status = super::extract::choice(
        &mut e,
        "status",
        q.status.as_deref(),
        ExecutionStatus::parse,
    );
    if q.page.is_some_and(|p| p == 0 || p > 1_000_000) {
        e.add("page", "error-out-of-range");
    }
    if q.per_page
        .is_some_and(|n| n == 0 || n > PageRequest::MAX_PER_PAGE)
    {
        e.add("per_page", "error-out-of-range");
    }
    if !e.is_empty() {
        return Err(e.into());
    }
    let filter = InstanceFilter {
        task_id: q.task_id.map(TaskId),
        member_id: q.member_id.map(MemberId),
        status,
        open_only: q.open_only.unwrap_or(false),
    };
    let req = PageRequest::new(q.page.unwrap_or(1), q.per_page.unwrap_or(DEFAULT_PER_PAGE));
    let page = st
        .store
        .list_instances(a.actor.scope(), &filter, req)
        .await?;
    let today = calendar::today();
    let pages = page.pages();
    Ok(Json(InstancePageDto {
        items: page
            .items
            .into_iter()
            .map(|r| InstanceRowDto::new(r, today))
            .collect(),
        total: page.total,
        page: page.page,
        per_page: page.per_page,
        pages,
    }))
}

/// Get an instance
///
/// One instance with its task and member. Another member's instance does
/// not exist for the caller (404).
#[utoipa::path(
    get,
    path = "/instances/{id}",
    tag = "instances",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Instance id")),
    responses(
        (status = 200, description = "The instance", body = InstanceDetailDto,
            headers(("ETag" = String, description = "`\"<version>\"`, for `If-Match`"))),
        (status = 404, description = "No such instance in the caller's scope"),
    )
)]
pub async fn get_instance(
    State(st): State<AppState>,
    a: ApiActor,
    Id(id): Id,
) -> ApiResult<Response> {
    a.may_read_instances()?;
    let d = st
        .store
        .get_instance(a.actor.scope(), InstanceId(id))
        .await?
        .ok_or_else(Problem::not_found)?;
    let version = d.instance.version;
    Ok(with_etag(
        StatusCode::OK,
        version,
        InstanceDetailDto::new(d, calendar::today()),
    ))
}

/// Update an instance
///
/// Sets the execution status, the reason (required with `ikke_relevant`),
/// the responsible person and the doer; fields left out keep their value.
/// Every change is kept in the instance's history with who and when. With
/// `If-Match: "<version>"` the change is made only if nobody changed the
/// instance since (412 otherwise). The task must be published (409 when it
/// is closed).
#[utoipa::path(
    patch,
    path = "/instances/{id}",
    tag = "instances",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Instance id"),
        ("If-Match" = Option<String>, Header, description = "Optional: `\"<version>\"` of the instance as last read", nullable = false, pattern = r#"^(\*|"[0-9]{1,18}")$"#),
    ),
    request_body(content = InstancePatch, content_type = "application/json",
        example = json!({"status": "paabegyndt", "responsible": "Mette Jensen", "doer": "Lars Nielsen"})),
    responses(
        (status = 200, description = "The instance after the change", body = InstanceDto,
            headers(("ETag" = String, description = "`\"<version>\"`"))),
        (status = 404, description = "No such instance in the caller's scope"),
        (status = 409, description = "The task is closed or withdrawn (`wrong-state`)"),
        (status = 412, description = "Someone changed the instance since you read it; `current_version` and `ETag` give its version now"),
        (status = 422, description = "An unknown status, no reason for `ikke_relevant`, or a field too long"),
    )
)]
pub async fn patch_instance(
    State(st): State<AppState>,
    a: ApiActor,
    Id(id): Id,
    if_match: IfMatch,
    ApiJson(req): ApiJson<InstancePatch>,
) -> ApiResult<Response> {
    let update = InstanceUpdate::parse(
        req.status.as_deref(),
        req.not_relevant_reason.as_deref(),
        req.responsible.as_deref(),
        req.doer.as_deref(),
    )?;
    let scope = a.actor.scope();
    let version = if_match.version();
    let i = st
        .store
        .update_instance(&a.actor, scope, InstanceId(id), version, &update)
        .await
        .map_err(|e| Problem::store_with(e, true))?;
    Ok(with_etag(StatusCode::OK, i.version, InstanceDto::from(i)))
}

/// An instance's history
///
/// Every change of the instance with who made it and when, newest last.
#[utoipa::path(
    get,
    path = "/instances/{id}/history",
    tag = "instances",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Instance id")),
    responses(
        (status = 200, description = "The changes", body = Vec<InstanceEventDto>),
        (status = 404, description = "No such instance in the caller's scope"),
    )
)]
pub async fn instance_history(
    State(st): State<AppState>,
    a: ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Vec<InstanceEventDto>>> {
    a.may_read_instances()?;
    let events = st
        .store
        .instance_history(a.actor.scope(), InstanceId(id))
        .await?
        .ok_or_else(Problem::not_found)?;
    Ok(Json(
        events.into_iter().map(InstanceEventDto::from).collect(),
    ))
}
