//! `GET /tasks?state=&project=`: every task, filtered by state and project,
//! with its progress (members settled of members reached).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use udrul_core::{ProjectId, TaskFilter, TaskState, TaskType};

use super::{Choice, has_follow_up, parse_id, state_label, type_label};
use crate::auth::{Central, Ctx};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::home::pager_position;
use crate::web::pages::page as html_page;

/// Filters as text: a value that means nothing is no filter, not an error.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    project: String,
    #[serde(default)]
    page: String,
}

/// Tasks per page.
pub const PER_PAGE: usize = 100;

pub struct TaskRow {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub project: String,
    pub type_label: String,
    pub critical: bool,
    pub end_date: String,
    pub end_iso: String,
    pub state_key: &'static str,
    pub state_label: String,
    /// "82 af 98", or `None` for tasks not published.
    pub progress: Option<String>,
    pub follow_up: bool,
}

#[derive(Template)]
#[template(path = "task_list.html")]
struct TaskList<'a> {
    ctx: &'a Ctx,
    rows: Vec<TaskRow>,
    states: Vec<Choice>,
    projects: Vec<Choice>,
    filtered: bool,
    summary: String,
    page: usize,
    pages: usize,
    position: String,
    /// The filters as a query string, for the pager's links.
    filter_query: String,
}

pub async fn list(
    State(st): State<AppState>,
    Central { ctx, .. }: Central,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let state = TaskState::parse(q.state.trim());
    let project_id = parse_id(&q.project).map(ProjectId);
    let filter = TaskFilter { state, project_id };
    let tasks = st.store.list_tasks(&filter).await?;
    let projects = st
        .store
        .list_projects()
        .await?
        .into_iter()
        .map(|p| Choice::new(p.id.0.to_string(), p.name, Some(p.id) == project_id))
        .collect();
    let states = TaskState::ALL
        .iter()
        .map(|s| Choice::new(s.as_str(), state_label(&ctx, *s), Some(*s) == state))
        .collect();
    let pages = tasks.len().div_ceil(PER_PAGE).max(1);
    let page = q.page.trim().parse::<usize>().unwrap_or(1).clamp(1, pages);
    let rows: Vec<TaskRow> = tasks
        .iter()
        .skip((page - 1) * PER_PAGE)
        .take(PER_PAGE)
        .map(|t| TaskRow {
            id: t.id.0,
            code: t.code.clone(),
            title: t.title.clone(),
            project: t.project_name.clone(),
            type_label: type_label(&ctx, t.task_type),
            critical: t.task_type == TaskType::CriticalPath,
            end_date: ctx.tr.date(t.end_date),
            end_iso: t.end_date.to_string(),
            state_key: t.state.as_str(),
            state_label: state_label(&ctx, t.state),
            progress: (t.state != TaskState::Draft).then(|| {
                ctx.tr.args(
                    "task-progress",
                    &[("settled", t.settled.into()), ("total", t.instances.into())],
                )
            }),
            follow_up: has_follow_up(t.state),
        })
        .collect();
    let summary = ctx.tr.n(
        "task-list-summary",
        i64::try_from(tasks.len()).unwrap_or(i64::MAX),
    );
    let mut fq = form_urlencoded::Serializer::new(String::new());
    if let Some(s) = state {
        fq.append_pair("state", s.as_str());
    }
    if let Some(p) = project_id {
        fq.append_pair("project", &p.0.to_string());
    }
    let position = pager_position(
        &ctx,
        u32::try_from(page).unwrap_or(u32::MAX),
        u32::try_from(pages).unwrap_or(u32::MAX),
    );
    Ok(html_page(&TaskList {
        ctx: &ctx,
        filtered: state.is_some() || project_id.is_some(),
        rows,
        states,
        projects,
        summary,
        page,
        pages,
        position,
        filter_query: fq.finish(),
    }))
}
