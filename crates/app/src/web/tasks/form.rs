//! The draft form: `GET /tasks/new` and `POST /tasks` create a draft,
//! `GET/POST /tasks/{id}/edit` change one. Bad input re-renders the form with
//! 422 and every problem beside its field; nothing is stored.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use serde::Deserialize;
use udrul_core::Actor;
use udrul_core::input::{FieldErrors, RawTask, TaskInput};
use udrul_core::{StoreError, Task, TaskId, TaskState, TaskType};

use super::{Choice, load_task, parse_id, type_label};
use crate::auth::{Central, Ctx};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::pages::render;

/// The form as submitted: every field as text, so that anything a browser
/// sends can be shown again. Unknown fields (the CSRF token) are ignored.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TaskForm {
    #[serde(default)]
    pub project_id: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub guidance: String,
    #[serde(default)]
    pub task_type: String,
    #[serde(default)]
    pub phase: String,
    #[serde(default)]
    pub target_roles: Vec<String>,
    #[serde(default)]
    pub start_date: String,
    #[serde(default)]
    pub end_date: String,
    #[serde(default)]
    pub version: String,
}

impl TaskForm {
    fn from_task(t: &Task) -> Self {
        TaskForm {
            project_id: t.project_id.0.to_string(),
            code: t.code.clone(),
            title: t.title.clone(),
            purpose: t.purpose.clone(),
            guidance: t.guidance.clone(),
            task_type: t.task_type.as_str().to_string(),
            phase: t.phase.clone(),
            target_roles: t.target_roles.clone(),
            start_date: t.start_date.map(|d| d.to_string()).unwrap_or_default(),
            end_date: t.end_date.to_string(),
            version: t.version.to_string(),
        }
    }

    pub fn parse(&self) -> Result<TaskInput, FieldErrors> {
        let project_id = parse_id(&self.project_id);
        let raw = RawTask {
            project_id,
            code: &self.code,
            title: &self.title,
            purpose: &self.purpose,
            guidance: &self.guidance,
            task_type: &self.task_type,
            phase: &self.phase,
            target_roles: self.target_roles.iter().map(String::as_str).collect(),
            start_date: &self.start_date,
            end_date: &self.end_date,
        };
        TaskInput::parse(&raw).map_err(|mut e| {
            // Something was chosen, but not a project id: say so, not "required".
            if project_id.is_none() && !self.project_id.trim().is_empty() {
                for fe in e.0.iter_mut().filter(|fe| fe.field == "project_id") {
                    fe.code = "error-unknown-project";
                }
            }
            e
        })
    }
}

#[derive(Template)]
#[template(path = "task_form.html")]
struct TaskFormPage<'a> {
    ctx: &'a Ctx,
    heading: String,
    /// `None` for a new task.
    task_id: Option<i64>,
    action: String,
    cancel: String,
    f: TaskForm,
    projects: Vec<Choice>,
    types: Vec<Choice>,
    roles: Vec<Choice>,
    errors: FieldErrors,
    notice: Option<String>,
}

async fn render_form(
    st: &AppState,
    ctx: &Ctx,
    task: Option<&Task>,
    f: TaskForm,
    errors: FieldErrors,
    notice: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let projects = st
        .store
        .list_projects()
        .await?
        .into_iter()
        .map(|p| {
            let v = p.id.0.to_string();
            let selected = v == f.project_id.trim();
            Choice::new(v, p.name, selected)
        })
        .collect();
    let types = TaskType::ALL
        .iter()
        .map(|t| Choice::new(t.as_str(), type_label(ctx, *t), f.task_type == t.as_str()))
        .collect();
    let chosen: Vec<&str> = f.target_roles.iter().map(|r| r.trim()).collect();
    let mut roles: Vec<Choice> = st
        .store
        .list_roles()
        .await?
        .into_iter()
        .map(|r| {
            let selected = chosen.contains(&r.name.as_str());
            Choice::new(r.name.clone(), r.name, selected)
        })
        .collect();
    // A chosen role that is not in the catalogue (any more) stays visible,
    // checked, so it can be unchecked.
    for c in &chosen {
        if !c.is_empty() && !roles.iter().any(|r| r.value == *c) {
            roles.push(Choice::new(*c, *c, true));
        }
    }
    let (heading, action, cancel) = match task {
        Some(t) => (
            ctx.tr.s("task-edit-title", &t.code),
            format!("/tasks/{}/edit", t.id),
            format!("/tasks/{}", t.id),
        ),
        None => (
            ctx.t("task-new-title"),
            "/tasks".to_string(),
            "/tasks".to_string(),
        ),
    };
    let page = TaskFormPage {
        ctx,
        heading,
        task_id: task.map(|t| t.id.0),
        action,
        cancel,
        f,
        projects,
        types,
        roles,
        errors,
        notice,
    };
    Ok((status, Html(render(&page))).into_response())
}

pub async fn new(State(st): State<AppState>, Central { ctx, .. }: Central) -> AppResult<Response> {
    let f = TaskForm {
        task_type: TaskType::Mandatory.as_str().to_string(),
        ..TaskForm::default()
    };
    render_form(
        &st,
        &ctx,
        None,
        f,
        FieldErrors::default(),
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn create(
    State(st): State<AppState>,
    Central { ctx, actor }: Central,
    Form(f): Form<TaskForm>,
) -> AppResult<Response> {
    let input = match f.parse() {
        Ok(i) => i,
        Err(errors) => {
            return render_form(
                &st,
                &ctx,
                None,
                f,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    match st.store.create_task(&actor, input).await {
        Ok(t) => Ok(Redirect::to(&format!("/tasks/{}?notice=created", t.id)).into_response()),
        Err(StoreError::Invalid(errors)) => {
            render_form(
                &st,
                &ctx,
                None,
                f,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// A draft, or 409: only drafts can be edited.
async fn load_draft(st: &AppState, id: i64) -> AppResult<Task> {
    let t = load_task(st, id).await?;
    if t.state != TaskState::Draft {
        return Err(AppError::Conflict("error-not-draft"));
    }
    Ok(t)
}

pub async fn edit(
    State(st): State<AppState>,
    Central { ctx, .. }: Central,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let t = load_draft(&st, id).await?;
    let f = TaskForm::from_task(&t);
    render_form(
        &st,
        &ctx,
        Some(&t),
        f,
        FieldErrors::default(),
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn update(
    State(st): State<AppState>,
    Central { ctx, actor }: Central,
    Path(id): Path<i64>,
    Form(mut f): Form<TaskForm>,
) -> AppResult<Response> {
    super::may_change(&st, &actor, id).await?;
    let t = load_draft(&st, id).await?;
    let input = match f.parse() {
        Ok(i) => i,
        Err(errors) => {
            return render_form(
                &st,
                &ctx,
                Some(&t),
                f,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    // A missing or garbled version never matches: the store answers with a
    // conflict instead of overwriting blindly.
    let version = f.version.trim().parse::<i64>().unwrap_or(-1);
    match st
        .store
        .update_task(&actor, TaskId(id), version, input)
        .await
    {
        Ok(t) => Ok(Redirect::to(&format!("/tasks/{}?notice=saved", t.id)).into_response()),
        Err(StoreError::VersionConflict { .. }) => {
            // Someone saved first. Keep what this user typed, but show the
            // current version number so a second save is a deliberate choice,
            // and say so.
            let fresh = load_draft(&st, id).await?;
            f.version = fresh.version.to_string();
            let notice = Some(ctx.t("task-edit-conflict"));
            render_form(
                &st,
                &ctx,
                Some(&fresh),
                f,
                FieldErrors::default(),
                notice,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(StoreError::Invalid(errors)) => {
            render_form(
                &st,
                &ctx,
                Some(&t),
                f,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
