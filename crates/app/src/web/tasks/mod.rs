//! Central staff's task pages, one file per page or small group:
//!
//! | route | file |
//! |---|---|
//! | `GET /tasks` | `list` |
//! | `GET /tasks/new`, `POST /tasks`, `GET/POST /tasks/{id}/edit` | `form` |
//! | `GET /tasks/{id}` | `show` |
//! | `GET/POST /tasks/{id}/publish` | `publish` |
//! | `GET/POST /tasks/{id}/end-date` | `end_date` |
//! | `GET/POST /tasks/{id}/close`, `GET/POST /tasks/{id}/withdraw` | `state` |
//! | `GET /tasks/{id}/follow-up`, `.csv`, `.xlsx` | `follow_up` |
//! | `GET /tasks/{id}/recipients`, `.csv`, `.xlsx` | `recipients` |
//!
//! Every handler takes the `Central` extractor: anonymous visitors are sent
//! to the login page, member accounts get 403. Changes are POST forms with
//! the CSRF token; destructive ones are confirmed on a GET page first, so no
//! JavaScript is needed.

use axum::routing::get;
use udrul_core::{ExecutionStatus, Task, TaskId, TaskState, TaskType};

use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub mod end_date;
pub mod follow_up;
pub mod form;
pub mod list;
pub mod publish;
pub mod recipients;
pub mod show;
pub mod state;

pub fn routes() -> Vec<crate::web::Route> {
    vec![
        ("/tasks", get(list::list).post(form::create)),
        ("/tasks/new", get(form::new)),
        ("/tasks/{id}", get(show::show)),
        ("/tasks/{id}/edit", get(form::edit).post(form::update)),
        (
            "/tasks/{id}/publish",
            get(publish::form).post(publish::submit),
        ),
        (
            "/tasks/{id}/end-date",
            get(end_date::form).post(end_date::submit),
        ),
        (
            "/tasks/{id}/close",
            get(state::confirm_close).post(state::close),
        ),
        (
            "/tasks/{id}/withdraw",
            get(state::confirm_withdraw).post(state::withdraw),
        ),
        ("/tasks/{id}/follow-up", get(follow_up::page)),
        ("/tasks/{id}/follow-up.csv", get(follow_up::csv)),
        ("/tasks/{id}/follow-up.xlsx", get(follow_up::xlsx)),
        ("/tasks/{id}/recipients", get(recipients::page)),
        ("/tasks/{id}/recipients.csv", get(recipients::csv)),
        ("/tasks/{id}/recipients.xlsx", get(recipients::xlsx)),
    ]
}

/// The task, or 404.
pub(crate) async fn load_task(st: &AppState, id: i64) -> AppResult<Task> {
    st.store
        .get_task(TaskId(id))
        .await?
        .ok_or(AppError::NotFound)
}

/// 403 unless `actor` may change the tasks of task `id`'s project (central
/// administrators, and project staff assigned to it), 404 for an unknown
/// task. Checked before any state or input check, so that a refusal says
/// nothing else; the store checks the same again in its transaction.
pub(crate) async fn may_change(st: &AppState, actor: &udrul_core::Actor, id: i64) -> AppResult<()> {
    let t = load_task(st, id).await?;
    if actor.is_robot() || !actor.can_manage_tasks() {
        return Err(AppError::Forbidden);
    }
    if actor.role == udrul_core::AccessRole::CentralAdmin {
        return Ok(());
    }
    let staff = st.store.project_staff(t.project_id).await?;
    if staff.iter().any(|u| u.id == actor.user_id) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

pub(crate) fn type_label(ctx: &Ctx, t: TaskType) -> String {
    ctx.t(&format!("task-type-{}", t.as_str()))
}

pub(crate) fn state_label(ctx: &Ctx, s: TaskState) -> String {
    ctx.t(&format!("task-state-{}", s.as_str()))
}

pub(crate) fn status_label(ctx: &Ctx, s: ExecutionStatus) -> String {
    ctx.t(&format!("status-{}", s.as_str()))
}

/// Whether a task has instances to follow up.
pub(crate) fn has_follow_up(s: TaskState) -> bool {
    matches!(s, TaskState::Published | TaskState::Closed)
}

/// One option of a select, or one box of a radio or checkbox group.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>, selected: bool) -> Self {
        Choice {
            value: value.into(),
            label: label.into(),
            selected,
        }
    }
}

/// Guidance as HTML under the page's "Vejledning" `h2`: its headings
/// start at `h3` and follow without skipping (`markdown::guidance_html`).
pub(crate) fn guidance_html(markdown: &str) -> String {
    crate::markdown::guidance_html(markdown, 2)
}

/// Parses an id typed into a form or query; blank or garbage is `None`.
pub(crate) fn parse_id(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}
