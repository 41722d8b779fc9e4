//! `GET/POST /tasks/{id}/end-date`: move the end date of a draft or a
//! published task. A reason is required; the old date and the reason stay in
//! the task's history.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use serde::Deserialize;
use udrul_core::input::{EndDateChange, FieldErrors};
use udrul_core::{StoreError, Task, TaskId, TaskState};

use super::load_task;
use crate::auth::{Central, Ctx};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::pages::render;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct EndDateForm {
    #[serde(default)]
    end_date: String,
    #[serde(default)]
    reason: String,
}

#[derive(Template)]
#[template(path = "task_end_date.html")]
struct EndDatePage<'a> {
    ctx: &'a Ctx,
    t: &'a Task,
    current: String,
    start: Option<String>,
    f: EndDateForm,
    errors: FieldErrors,
}

fn render_form(
    ctx: &Ctx,
    t: &Task,
    f: EndDateForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Response {
    let page = EndDatePage {
        ctx,
        t,
        current: ctx.tr.date(t.end_date),
        start: t.start_date.map(|d| ctx.tr.date(d)),
        f,
        errors,
    };
    (status, Html(render(&page))).into_response()
}

async fn load_open(st: &AppState, id: i64) -> AppResult<Task> {
    let t = load_task(st, id).await?;
    if !matches!(t.state, TaskState::Draft | TaskState::Published) {
        return Err(AppError::Conflict("error-end-date-state"));
    }
    Ok(t)
}

pub async fn form(
    State(st): State<AppState>,
    Central { ctx, .. }: Central,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let t = load_open(&st, id).await?;
    let f = EndDateForm {
        end_date: t.end_date.to_string(),
        reason: String::new(),
    };
    Ok(render_form(
        &ctx,
        &t,
        f,
        FieldErrors::default(),
        StatusCode::OK,
    ))
}

pub async fn submit(
    State(st): State<AppState>,
    Central { ctx, actor }: Central,
    Path(id): Path<i64>,
    Form(f): Form<EndDateForm>,
) -> AppResult<Response> {
    super::may_change(&st, &actor, id).await?;
    let t = load_open(&st, id).await?;
    let change = match EndDateChange::parse(&f.end_date, &f.reason) {
        Ok(c) => c,
        Err(errors) => {
            return Ok(render_form(
                &ctx,
                &t,
                f,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    match st.store.change_end_date(&actor, TaskId(id), &change).await {
        Ok(_) => Ok(Redirect::to(&format!("/tasks/{id}?notice=end-date")).into_response()),
        Err(StoreError::Invalid(errors)) => Ok(render_form(
            &ctx,
            &t,
            f,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(e) => Err(e.into()),
    }
}
