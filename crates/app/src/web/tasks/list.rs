//! `GET /tasks?state=&project=&q=&page=`: the central task list, with each
//! task's progress (members settled of members reached). By default the open
//! (published) tasks, nearest end date first; `state=all` for every state.
//! `q` finds text in code and title (in the store's query); paged.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use udrul_core::{PageRequest, ProjectId, TaskFilter, TaskSearch, TaskState, TaskType};

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
    /// Text to find in code or title.
    #[serde(default)]
    q: String,
}

/// `state=all`: no state filter. No `state`: the open tasks.
pub const ALL_STATES: &str = "all";

/// The state a `state=` value asks for: `None` for every state.
fn state_filter(raw: &str) -> Option<TaskState> {
    match raw.trim() {
        ALL_STATES => None,
        s => Some(TaskState::parse(s).unwrap_or(TaskState::Published)),
    }
}

/// The longest search text looked for (longer is cut).
pub const MAX_SEARCH: usize = 200;

/// Tasks per page.
pub const PER_PAGE: u32 = 50;

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
    /// The search text, as typed.
    q: String,
    /// `state` is "all".
    all_states: bool,
    summary: String,
    page: u32,
    pages: u32,
    position: String,
    /// The filters as a query string, for the pager's links.
    filter_query: String,
}

pub async fn list(
    State(st): State<AppState>,
    Central { ctx, .. }: Central,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let state = state_filter(&q.state);
    let project_id = parse_id(&q.project).map(ProjectId);
    let text: String = q.q.trim().chars().take(MAX_SEARCH).collect();
    let search = TaskSearch {
        filter: TaskFilter { state, project_id },
        text: text.clone(),
    };
    let asked = q.page.trim().parse::<u32>().unwrap_or(1).max(1);
    let mut found = st
        .store
        .search_tasks(&search, PageRequest::new(asked, PER_PAGE))
        .await?;
    if found.page > found.pages() {
        // Past the last page (a stale link): the last page.
        let last = found.pages();
        found = st
            .store
            .search_tasks(&search, PageRequest::new(last, PER_PAGE))
            .await?;
    }
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
    let (page, pages) = (found.page, found.pages());
    let rows: Vec<TaskRow> = found
        .items
        .iter()
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
    let summary = ctx.tr.n("task-list-summary", found.total);
    let mut fq = form_urlencoded::Serializer::new(String::new());
    match state {
        Some(s) => fq.append_pair("state", s.as_str()),
        None => fq.append_pair("state", ALL_STATES),
    };
    if let Some(p) = project_id {
        fq.append_pair("project", &p.0.to_string());
    }
    if !text.is_empty() {
        fq.append_pair("q", &text);
    }
    let position = pager_position(&ctx, page, pages);
    Ok(html_page(&TaskList {
        ctx: &ctx,
        filtered: state != Some(TaskState::Published) || project_id.is_some() || !text.is_empty(),
        all_states: state.is_none(),
        q: text,
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
