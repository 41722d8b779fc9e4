//! `GET /`: central staff and auditors go to the task list; a member's people see their
//! member's published tasks, critical path and nearest end date first.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use udrul_core::calendar;
use udrul_core::{InstanceFilter, InstanceRow, Member, Page, PageRequest, TaskType};

use crate::auth::{Authed, Ctx};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::pages::page;

pub const PER_PAGE: u32 = 50;

#[derive(Deserialize, Default)]
pub struct HomeQuery {
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    open: Option<String>,
}

pub struct Row {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub project: String,
    pub critical: bool,
    pub type_label: String,
    pub end_date: String,
    pub end_iso: String,
    pub overdue: bool,
    pub status_key: &'static str,
    pub status_label: String,
    pub responsible: String,
    pub closed: bool,
}

impl Row {
    pub fn new(ctx: &Ctx, r: &InstanceRow, today: chrono::NaiveDate) -> Self {
        Row {
            id: r.id.0,
            code: r.code.clone(),
            title: r.title.clone(),
            project: r.project_name.clone(),
            critical: r.task_type == TaskType::CriticalPath,
            type_label: ctx.t(&format!("task-type-{}", r.task_type.as_str())),
            end_date: ctx.tr.date(r.end_date),
            end_iso: r.end_date.to_string(),
            overdue: udrul_core::instance_overdue(r.task_state, r.status, r.end_date, today),
            status_key: r.status.as_str(),
            status_label: ctx.t(&format!("status-{}", r.status.as_str())),
            responsible: r.responsible.clone(),
            closed: r.task_state == udrul_core::TaskState::Closed,
        }
    }
}

#[derive(Template)]
#[template(path = "member_home.html")]
struct MemberHome<'a> {
    ctx: &'a Ctx,
    member: Member,
    rows: Vec<Row>,
    open_only: bool,
    summary: String,
    page: u32,
    pages: u32,
    position: String,
}

pub async fn home(
    State(st): State<AppState>,
    Authed { ctx, actor }: Authed,
    Query(q): Query<HomeQuery>,
) -> AppResult<Response> {
    // Central roles and auditors read the central task list.
    if actor.can_read_central() {
        return Ok(Redirect::to("/tasks").into_response());
    }
    let member_id = actor.member_id.ok_or(AppError::Forbidden)?;
    let member = st
        .store
        .get_member(member_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let open_only = q.open.as_deref() == Some("1");
    let req = PageRequest::new(q.page.unwrap_or(1), PER_PAGE);
    let filter = InstanceFilter {
        open_only,
        ..Default::default()
    };
    let result: Page<InstanceRow> = st.store.list_instances(actor.scope(), &filter, req).await?;
    let today = calendar::today();
    let rows: Vec<Row> = result
        .items
        .iter()
        .map(|r| Row::new(&ctx, r, today))
        .collect();
    let overdue = rows.iter().filter(|r| r.overdue).count();
    let mut summary = ctx.tr.n("home-summary", result.total);
    if overdue > 0 {
        summary.push(' ');
        summary.push_str(
            &ctx.tr
                .n("home-overdue-on-page", i64::try_from(overdue).unwrap_or(0)),
        );
    }
    let position = pager_position(&ctx, result.page, result.pages());
    Ok(page(&MemberHome {
        ctx: &ctx,
        member,
        open_only,
        summary,
        page: result.page,
        pages: result.pages(),
        position,
        rows,
    }))
}

/// "Side 2 af 7".
pub fn pager_position(ctx: &Ctx, page: u32, pages: u32) -> String {
    ctx.tr.args(
        "pager-position",
        &[
            ("n", i64::from(page).into()),
            ("of", i64::from(pages).into()),
        ],
    )
}
