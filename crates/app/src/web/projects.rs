//! `GET /projects`, `GET /projects/new`, `POST /projects`: the projects
//! (solutions) that tasks belong to. Central staff only.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::Form;
use serde::Deserialize;
use udrul_core::input::{FieldErrors, ProjectInput};
use udrul_core::{Actor, Project, StoreError, TaskFilter};

use crate::auth::{Central, Ctx};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::pages::{page, render};

pub fn routes() -> Vec<crate::web::Route> {
    vec![
        ("/projects", get(list).post(create)),
        ("/projects/new", get(new)),
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
