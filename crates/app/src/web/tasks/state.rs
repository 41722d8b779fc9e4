//! Closing and withdrawing a task. `GET /tasks/{id}/close` and
//! `GET /tasks/{id}/withdraw` ask "are you sure?" with a POST button, so the
//! change needs no JavaScript and never happens by following a link.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use udrul_core::{StoreError, Task, TaskId, TaskState};

use super::load_task;
use crate::auth::{Central, Ctx};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::pages::page;

#[derive(Template)]
#[template(path = "task_confirm.html")]
struct ConfirmPage<'a> {
    ctx: &'a Ctx,
    t: &'a Task,
    /// "close" or "withdraw": the action's path and its texts' keys.
    action: &'static str,
    question: String,
    explanation: String,
    button: String,
}

/// Which states each change starts from.
fn allowed(to: TaskState, from: TaskState) -> bool {
    match to {
        TaskState::Closed => from == TaskState::Published,
        TaskState::Withdrawn => matches!(from, TaskState::Draft | TaskState::Published),
        _ => false,
    }
}

async fn confirm(st: &AppState, ctx: &Ctx, id: i64, to: TaskState) -> AppResult<Response> {
    let t = load_task(st, id).await?;
    if !allowed(to, t.state) {
        return Err(AppError::Conflict("error-state-transition"));
    }
    let action = if to == TaskState::Closed {
        "close"
    } else {
        "withdraw"
    };
    Ok(page(&ConfirmPage {
        ctx,
        t: &t,
        action,
        question: ctx.t(&format!("task-{action}-question")),
        explanation: ctx.t(&format!("task-{action}-explanation")),
        button: ctx.t(&format!("task-{action}-button")),
    }))
}

async fn change(
    st: &AppState,
    actor: &udrul_core::Actor,
    id: i64,
    to: TaskState,
) -> AppResult<Response> {
    // 404 before 409: an unknown task is not a refused transition.
    load_task(st, id).await?;
    match st.store.set_task_state(actor, TaskId(id), to).await {
        Ok(_) => {
            let notice = if to == TaskState::Closed {
                "closed"
            } else {
                "withdrawn"
            };
            Ok(Redirect::to(&format!("/tasks/{id}?notice={notice}")).into_response())
        }
        Err(StoreError::WrongState(k)) => Err(AppError::Conflict(k)),
        Err(e) => Err(e.into()),
    }
}

pub async fn confirm_close(
    State(st): State<AppState>,
    Central { ctx, .. }: Central,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    confirm(&st, &ctx, id, TaskState::Closed).await
}

pub async fn close(
    State(st): State<AppState>,
    Central { actor, .. }: Central,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    change(&st, &actor, id, TaskState::Closed).await
}

pub async fn confirm_withdraw(
    State(st): State<AppState>,
    Central { ctx, .. }: Central,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    confirm(&st, &ctx, id, TaskState::Withdrawn).await
}

pub async fn withdraw(
    State(st): State<AppState>,
    Central { actor, .. }: Central,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    change(&st, &actor, id, TaskState::Withdrawn).await
}
