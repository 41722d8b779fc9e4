//! Tasks: central staff draft, publish, move end dates, close and withdraw
//! them, and follow them up.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::Response;
use udrul_core::input::{Audience, EndDateChange, FieldErrors, RawTask, TaskInput};
use udrul_core::{FollowUpFilter, TaskFilter, TaskId, TaskState};

use super::dto::{
    EndDateRequest, FollowUpDto, FollowUpQuery, PublishRequest, PublishedDto, TaskDto,
    TaskEventDto, TaskListQuery, TaskRequest, TaskSummaryDto,
};
use super::extract::{ApiJson, ApiQuery, Central, Id, IfMatch};
use super::problem::{ApiResult, Problem, ProblemKind};
use super::with_etag;
use crate::state::AppState;

fn parse_task(req: &TaskRequest) -> Result<TaskInput, Problem> {
    let raw = RawTask {
        project_id: req.project_id,
        code: &req.code,
        title: &req.title,
        purpose: &req.purpose,
        guidance: &req.guidance,
        task_type: &req.task_type,
        phase: &req.phase,
        target_roles: req.target_roles.iter().map(String::as_str).collect(),
        start_date: req.start_date.as_deref().unwrap_or(""),
        end_date: &req.end_date,
    };
    TaskInput::parse(&raw).map_err(Problem::from)
}

async fn task_or_404(st: &AppState, id: i64) -> ApiResult<udrul_core::Task> {
    st.store
        .get_task(TaskId(id))
        .await?
        .ok_or_else(Problem::not_found)
}

/// An empty query value is no filter.
fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// List tasks
///
/// Every task with its progress (how many members got it, how many have
/// settled it). Central users only.
#[utoipa::path(
    get,
    path = "/tasks",
    tag = "tasks",
    security(("bearer" = [])),
    params(TaskListQuery),
    responses(
        (status = 200, description = "The tasks", body = Vec<TaskSummaryDto>),
        (status = 403, description = "Not a central user"),
        (status = 422, description = "An unknown `state`"),
    )
)]
pub async fn list_tasks(
    State(st): State<AppState>,
    _c: Central,
    ApiQuery(q): ApiQuery<TaskListQuery>,
) -> ApiResult<Json<Vec<TaskSummaryDto>>> {
    let mut e = FieldErrors::default();
    let state = super::extract::choice(&mut e, "state", q.state.as_deref(), TaskState::parse);
    if !e.is_empty() {
        return Err(e.into());
    }
    let filter = TaskFilter {
        state,
        project_id: q.project_id.map(udrul_core::ProjectId),
    };
    let tasks = st.store.list_tasks(&filter).await?;
    Ok(Json(tasks.into_iter().map(TaskSummaryDto::from).collect()))
}

/// Create a draft task
///
/// The task is saved as a draft; nobody but central users sees it until it
/// is published. Central users only.
#[utoipa::path(
    post,
    path = "/tasks",
    tag = "tasks",
    security(("bearer" = [])),
    request_body = TaskRequest,
    responses(
        (status = 201, description = "The new draft", body = TaskDto,
            headers(
                ("Location" = String, description = "The path of the new task"),
                ("ETag" = String, description = "`\"<version>\"`"),
            )),
        (status = 403, description = "Not a central user"),
        (status = 422, description = "A field is missing, too long or invalid, the end date is before the start date, or the project or a role does not exist"),
    )
)]
pub async fn create_task(
    State(st): State<AppState>,
    Central(actor): Central,
    ApiJson(req): ApiJson<TaskRequest>,
) -> ApiResult<Response> {
    let input = parse_task(&req)?;
    let task = st.store.create_task(&actor, input).await?;
    let location = format!("{}/tasks/{}", super::BASE, task.id);
    let mut res = with_etag(StatusCode::CREATED, task.version, TaskDto::from(task));
    if let Ok(v) = location.parse() {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// Get a task
///
/// Central users only. Members read tasks through their instances.
#[utoipa::path(
    get,
    path = "/tasks/{id}",
    tag = "tasks",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Task id")),
    responses(
        (status = 200, description = "The task", body = TaskDto,
            headers(("ETag" = String, description = "`\"<version>\"`, for `If-Match`"))),
        (status = 403, description = "Not a central user"),
        (status = 404, description = "No such task"),
    )
)]
pub async fn get_task(State(st): State<AppState>, _c: Central, Id(id): Id) -> ApiResult<Response> {
    let task = task_or_404(&st, id).await?;
    Ok(with_etag(StatusCode::OK, task.version, TaskDto::from(task)))
}

/// Edit a draft
///
/// Replaces every field of a draft task. Requires `If-Match` with the
/// task's `ETag` (`"<version>"`, from `GET /tasks/{id}`); `If-Match: *`
/// overwrites whatever version is current. Published tasks cannot be
/// edited (409 `wrong-state`); change their end date instead. Central
/// users only.
#[utoipa::path(
    put,
    path = "/tasks/{id}",
    tag = "tasks",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Task id"),
        ("If-Match" = String, Header, description = "`\"<version>\"` of the task as last read, or `*`", pattern = r#"^(\*|"[0-9]{1,18}")$"#),
    ),
    request_body = TaskRequest,
    responses(
        (status = 200, description = "The edited draft", body = TaskDto,
            headers(("ETag" = String, description = "`\"<version>\"`"))),
        (status = 403, description = "Not a central user"),
        (status = 404, description = "No such task"),
        (status = 409, description = "The task is not a draft (`wrong-state`)"),
        (status = 412, description = "Someone changed the task since you read it; `current_version` and `ETag` give its version now"),
        (status = 422, description = "A field is missing, too long or invalid"),
        (status = 428, description = "No `If-Match` header"),
    )
)]
pub async fn update_task(
    State(st): State<AppState>,
    Central(actor): Central,
    Id(id): Id,
    if_match: IfMatch,
    ApiJson(req): ApiJson<TaskRequest>,
) -> ApiResult<Response> {
    let version = match if_match {
        IfMatch::Absent => {
            return Err(Problem::new(
                ProblemKind::PreconditionRequired,
                "api-error-if-match-required",
            ));
        }
        IfMatch::Version(v) => v,
        IfMatch::Any => task_or_404(&st, id).await?.version,
    };
    let input = parse_task(&req)?;
    let task = st
        .store
        .update_task(&actor, TaskId(id), version, input)
        .await
        .map_err(|e| Problem::store_with(e, true))?;
    Ok(with_etag(StatusCode::OK, task.version, TaskDto::from(task)))
}

/// Publish a draft
///
/// Sends the task to every member (`{"audience": "all"}`) or to the union
/// of the chosen members, regions and networks; each gets its own instance.
/// An unknown member, region or network publishes to nobody (422). Central
/// users only.
#[utoipa::path(
    post,
    path = "/tasks/{id}/publish",
    tag = "tasks",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Task id")),
    request_body = PublishRequest,
    responses(
        (status = 200, description = "Published", body = PublishedDto),
        (status = 403, description = "Not a central user"),
        (status = 404, description = "No such task"),
        (status = 409, description = "The task is not a draft (`wrong-state`)"),
        (status = 422, description = "No audience, both `all` and a selection, or an unknown member, region or network"),
    )
)]
pub async fn publish_task(
    State(st): State<AppState>,
    Central(actor): Central,
    Id(id): Id,
    ApiJson(req): ApiJson<PublishRequest>,
) -> ApiResult<Json<PublishedDto>> {
    let all = match req.audience.as_deref().map(str::trim) {
        None => false,
        Some("all") => true,
        Some(_) => {
            let mut e = FieldErrors::default();
            e.add("audience", "error-choice");
            return Err(e.into());
        }
    };
    let audience = Audience::parse(all, req.members, req.regions, req.networks)?;
    let published = st.store.publish_task(&actor, TaskId(id), &audience).await?;
    Ok(Json(PublishedDto {
        task: published.task.into(),
        instances: published.instances,
    }))
}

/// Change the end date
///
/// Moves the end date of a draft or published task. The old date and the
/// reason stay in the task's history, which members see. Central users
/// only.
#[utoipa::path(
    post,
    path = "/tasks/{id}/end-date",
    tag = "tasks",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Task id")),
    request_body = EndDateRequest,
    responses(
        (status = 200, description = "The task with its new end date", body = TaskDto),
        (status = 403, description = "Not a central user"),
        (status = 404, description = "No such task"),
        (status = 409, description = "The task is closed or withdrawn (`wrong-state`)"),
        (status = 422, description = "No or bad date, the date is before the start date, or no reason"),
    )
)]
pub async fn change_end_date(
    State(st): State<AppState>,
    Central(actor): Central,
    Id(id): Id,
    ApiJson(req): ApiJson<EndDateRequest>,
) -> ApiResult<Response> {
    let change = EndDateChange::parse(&req.end_date, &req.reason)?;
    let task = st
        .store
        .change_end_date(&actor, TaskId(id), &change)
        .await?;
    Ok(with_etag(StatusCode::OK, task.version, TaskDto::from(task)))
}

async fn set_state(
    st: &AppState,
    actor: &udrul_core::Actor,
    id: i64,
    to: TaskState,
) -> ApiResult<Response> {
    let task = st.store.set_task_state(actor, TaskId(id), to).await?;
    Ok(with_etag(StatusCode::OK, task.version, TaskDto::from(task)))
}

/// Close a task
///
/// A published task is closed: members still see it, but its statuses no
/// longer change. Central users only.
#[utoipa::path(
    post,
    path = "/tasks/{id}/close",
    tag = "tasks",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Task id")),
    responses(
        (status = 200, description = "The closed task", body = TaskDto),
        (status = 403, description = "Not a central user"),
        (status = 404, description = "No such task"),
        (status = 409, description = "The task is not published (`wrong-state`)"),
    )
)]
pub async fn close_task(
    State(st): State<AppState>,
    Central(actor): Central,
    Id(id): Id,
) -> ApiResult<Response> {
    set_state(&st, &actor, id, TaskState::Closed).await
}

/// Withdraw a task
///
/// A draft or published task is withdrawn: members no longer see it.
/// Central users only.
#[utoipa::path(
    post,
    path = "/tasks/{id}/withdraw",
    tag = "tasks",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Task id")),
    responses(
        (status = 200, description = "The withdrawn task", body = TaskDto),
        (status = 403, description = "Not a central user"),
        (status = 404, description = "No such task"),
        (status = 409, description = "The task is closed or already withdrawn (`wrong-state`)"),
    )
)]
pub async fn withdraw_task(
    State(st): State<AppState>,
    Central(actor): Central,
    Id(id): Id,
) -> ApiResult<Response> {
    set_state(&st, &actor, id, TaskState::Withdrawn).await
}

/// A task's history
///
/// Creation, edits, publishing, end-date changes with their reasons,
/// closing and withdrawal, oldest first. Central users only.
#[utoipa::path(
    get,
    path = "/tasks/{id}/history",
    tag = "tasks",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Task id")),
    responses(
        (status = 200, description = "The events", body = Vec<TaskEventDto>),
        (status = 403, description = "Not a central user"),
        (status = 404, description = "No such task"),
    )
)]
pub async fn task_history(
    State(st): State<AppState>,
    _c: Central,
    Id(id): Id,
) -> ApiResult<Json<Vec<TaskEventDto>>> {
    task_or_404(&st, id).await?;
    let events = st.store.task_history(TaskId(id)).await?;
    Ok(Json(events.into_iter().map(TaskEventDto::from).collect()))
}

/// Follow up a task
///
/// Counts per execution status and the members that have not settled the
/// task, optionally for one region or network. Central users only.
#[utoipa::path(
    get,
    path = "/tasks/{id}/follow-up",
    tag = "tasks",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Task id"), FollowUpQuery),
    responses(
        (status = 200, description = "Counts and the members not done", body = FollowUpDto),
        (status = 403, description = "Not a central user"),
        (status = 404, description = "No such task"),
    )
)]
pub async fn follow_up(
    State(st): State<AppState>,
    _c: Central,
    Id(id): Id,
    ApiQuery(q): ApiQuery<FollowUpQuery>,
) -> ApiResult<Json<FollowUpDto>> {
    let filter = FollowUpFilter {
        region: non_empty(q.region),
        network: non_empty(q.network),
    };
    let f = st.store.follow_up(TaskId(id), &filter).await?;
    Ok(Json(FollowUpDto {
        task_id: id,
        counts: f.counts.into(),
        not_done: f.not_done.into_iter().map(Into::into).collect(),
    }))
}
