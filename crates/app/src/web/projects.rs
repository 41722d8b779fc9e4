//! `GET /projects`, `GET /projects/new`, `POST /projects`: the projects
//! (solutions) that tasks belong to. Central staff only.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::Form;
use serde::Deserialize;
use udrul_core::input::{FieldErrors, ProjectInput};
use udrul_core::{AccessRole, Actor, Project, ProjectId, StoreError, TaskFilter, User, UserId};

use crate::auth::{Central, Ctx};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::pages::{page, render};

pub fn routes() -> Vec<crate::web::Route> {
    vec![
        ("/projects", get(list).post(create)),
        ("/projects/new", get(new)),
        ("/projects/{id}/staff", get(staff).post(set_staff)),
    ]
}

pub struct ProjectRow {
    pub p: Project,
    /// "3 opgaver".
    pub tasks: String,
}

#[derive(Template)]
#[template(path = "project_list.html")]
struct ProjectList<'a> {
    ctx: &'a Ctx,
    rows: Vec<ProjectRow>,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    created: Option<String>,
}

pub async fn list(
    State(st): State<AppState>,
    Central { ctx, .. }: Central,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let projects = st.store.list_projects().await?;
    let mut per_project: HashMap<String, i64> = HashMap::new();
    for t in st.store.list_tasks(&TaskFilter::default()).await? {
        *per_project.entry(t.project_name).or_default() += 1;
    }
    let rows = projects
        .into_iter()
        .map(|p| ProjectRow {
            tasks: ctx.tr.n(
                "project-task-count",
                per_project.get(&p.name).copied().unwrap_or(0),
            ),
            p,
        })
        .collect();
    let notice = q.created.is_some().then(|| ctx.t("project-created"));
    Ok(page(&ProjectList {
        ctx: &ctx,
        rows,
        notice,
    }))
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProjectForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

#[derive(Template)]
#[template(path = "project_form.html")]
struct ProjectFormPage<'a> {
    ctx: &'a Ctx,
    f: ProjectForm,
    errors: FieldErrors,
}

fn render_form(ctx: &Ctx, f: ProjectForm, errors: FieldErrors, status: StatusCode) -> Response {
    (status, Html(render(&ProjectFormPage { ctx, f, errors }))).into_response()
}

pub async fn new(Central { ctx, actor }: Central) -> AppResult<Response> {
    if !actor.can_manage_projects() {
        return Err(AppError::Forbidden);
    }
    Ok(render_form(
        &ctx,
        ProjectForm::default(),
        FieldErrors::default(),
        StatusCode::OK,
    ))
}

pub async fn create(
    State(st): State<AppState>,
    Central { ctx, actor }: Central,
    Form(f): Form<ProjectForm>,
) -> AppResult<Response> {
    if !actor.can_manage_projects() {
        return Err(AppError::Forbidden);
    }
    let input = match ProjectInput::parse(&f.name, &f.description) {
        Ok(i) => i,
        Err(errors) => {
            return Ok(render_form(
                &ctx,
                f,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    match st.store.create_project(&actor, input).await {
        Ok(p) => Ok(Redirect::to(&format!("/projects?created={}", p.id)).into_response()),
        Err(StoreError::Duplicate(_)) => {
            let mut errors = FieldErrors::default();
            errors.add("name", "error-duplicate");
            Ok(render_form(
                &ctx,
                f,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        Err(StoreError::Invalid(errors)) => Ok(render_form(
            &ctx,
            f,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ staff

#[derive(Template)]
#[template(path = "project_staff.html")]
struct StaffPage<'a> {
    ctx: &'a Ctx,
    p: Project,
    staff: Vec<User>,
    /// Central staff not yet assigned (for the administrator's form).
    available: Vec<User>,
    errors: FieldErrors,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct StaffQuery {
    #[serde(default)]
    added: Option<String>,
    #[serde(default)]
    removed: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct StaffForm {
    #[serde(default)]
    user_id: String,
    /// `add` or `remove`.
    #[serde(default)]
    action: String,
}

async fn staff_page(
    st: &AppState,
    ctx: &Ctx,
    p: Project,
    errors: FieldErrors,
    notice: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let staff = st.store.project_staff(p.id).await?;
    let available = if ctx.may(Actor::can_manage_projects) {
        st.store
            .list_users(None)
            .await?
            .into_iter()
            .filter(|u| {
                u.role == AccessRole::CentralStaff
                    && u.active
                    && !staff.iter().any(|s| s.id == u.id)
            })
            .collect()
    } else {
        Vec::new()
    };
    let html = render(&StaffPage {
        ctx,
        p,
        staff,
        available,
        errors,
        notice,
    });
    Ok((status, Html(html)).into_response())
}

async fn project_of(st: &AppState, id: i64) -> AppResult<Project> {
    st.store
        .get_project(ProjectId(id))
        .await?
        .ok_or(AppError::NotFound)
}

/// `GET /projects/{id}/staff`: who works on a project; central roles and
/// auditors read it, central administrators change it.
pub async fn staff(
    State(st): State<AppState>,
    Central { ctx, .. }: Central,
    Path(id): Path<i64>,
    Query(q): Query<StaffQuery>,
) -> AppResult<Response> {
    let p = project_of(&st, id).await?;
    let notice = if q.added.is_some() {
        Some(ctx.t("staff-added"))
    } else if q.removed.is_some() {
        Some(ctx.t("staff-removed"))
    } else {
        None
    };
    staff_page(&st, &ctx, p, FieldErrors::default(), notice, StatusCode::OK).await
}

pub async fn set_staff(
    State(st): State<AppState>,
    Central { ctx, actor }: Central,
    Path(id): Path<i64>,
    Form(f): Form<StaffForm>,
) -> AppResult<Response> {
    if !actor.can_manage_projects() {
        return Err(AppError::Forbidden);
    }
    let p = project_of(&st, id).await?;
    let mut errors = FieldErrors::default();
    let on = match f.action.as_str() {
        "add" => Some(true),
        "remove" => Some(false),
        _ => None,
    };
    let user = f.user_id.trim().parse::<i64>().ok().map(UserId);
    if user.is_none() {
        errors.add("user_id", "error-required");
    }
    if let (Some(on), Some(user)) = (on, user) {
        match st.store.set_project_staff(&actor, p.id, user, on).await {
            Ok(()) => {
                let what = if on { "added" } else { "removed" };
                return Ok(Redirect::to(&format!("/projects/{id}/staff?{what}=1")).into_response());
            }
            Err(StoreError::Invalid(errs)) => errors = errs,
            Err(StoreError::NotFound) => errors.add("user_id", "error-unknown-user"),
            Err(e) => return Err(e.into()),
        }
    } else if on.is_none() {
        return Err(AppError::BadRequest("error-invalid"));
    }
    staff_page(&st, &ctx, p, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
}
