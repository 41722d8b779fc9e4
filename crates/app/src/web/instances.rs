//! `GET /instances/{id}`: one member's copy of a task: purpose, guidance,
//! dates, history, and the form that sets its execution status.
//! `POST /instances/{id}`: that form.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use serde::Deserialize;
use udrul_core::access::Scope;
use udrul_core::input::{FieldErrors, InstanceUpdate};
use udrul_core::{
    ExecutionStatus, InstanceDetail, InstanceEvent, InstanceFilter, InstanceId, PageRequest,
    StoreError, TaskEvent, TaskState, TaskType, calendar,
};

use crate::auth::{Authed, Ctx};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::pages::render;

pub struct StatusOption {
    pub value: &'static str,
    pub label: String,
    pub checked: bool,
}

pub struct HistoryLine {
    pub when: String,
    pub iso: String,
    pub who: String,
    pub what: String,
}

#[derive(Template)]
#[template(path = "instance.html")]
struct InstancePage<'a> {
    ctx: &'a Ctx,
    d: &'a InstanceDetail,
    guidance_html: String,
    type_label: String,
    critical: bool,
    start_date: Option<String>,
    end_date: String,
    overdue: bool,
    open: bool,
    status_label: String,
    options: Vec<StatusOption>,
    reason: String,
    responsible: String,
    doer: String,
    version: i64,
    errors: FieldErrors,
    notice: Option<String>,
    /// After a save: the member's next open task, nearest end date first.
    next_open: Option<NextTask>,
    /// Short guidance is shown unfolded; long guidance folds.
    guidance_open: bool,
    history: Vec<HistoryLine>,
}

/// A link to another of the member's tasks.
pub struct NextTask {
    pub id: i64,
    pub code: String,
    pub title: String,
}

/// Guidance up to this many characters (of its Markdown) is shown unfolded.
pub const GUIDANCE_OPEN_MAX: usize = 1200;

/// How many open instances are looked at to find the next one.
const NEXT_SCAN: u32 = udrul_core::PageRequest::MAX_PER_PAGE;

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// The instance `id` as `scope` may see it; 404 for another member's.
async fn load(st: &AppState, scope: Scope, id: i64) -> AppResult<InstanceDetail> {
    st.store
        .get_instance(scope, InstanceId(id))
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn show(
    State(st): State<AppState>,
    Authed { ctx, actor }: Authed,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> AppResult<Response> {
    let scope = actor.scope();
    let d = load(&st, scope, id).await?;
    let notice = q.saved.is_some().then(|| ctx.t("instance-saved"));
    let next = match notice {
        Some(_) => next_open(&st, scope, d.instance.id).await?,
        None => None,
    };
    let form = FormValues::from_detail(&d);
    let mut r = Rendered::new(form, FieldErrors::default(), notice, StatusCode::OK);
    r.next_open = next;
    render_page(&st, &ctx, &d, r).await
}

/// The scope's next open instance after `current`: of a published task,
/// not done or not relevant, nearest end date first (then code).
async fn next_open(
    st: &AppState,
    scope: Scope,
    current: InstanceId,
) -> AppResult<Option<NextTask>> {
    let filter = InstanceFilter {
        open_only: true,
        ..Default::default()
    };
    let rows = st
        .store
        .list_instances(scope, &filter, PageRequest::new(1, NEXT_SCAN))
        .await?
        .items;
    Ok(rows
        .into_iter()
        .filter(|r| {
            r.id != current && r.task_state == TaskState::Published && !r.status.is_settled()
        })
        .min_by(|a, b| (a.end_date, &a.code).cmp(&(b.end_date, &b.code)))
        .map(|r| NextTask {
            id: r.id.0,
            code: r.code,
            title: r.title,
        }))
}

/// What a rendering of the page shows besides the instance.
struct Rendered {
    form: FormValues,
    errors: FieldErrors,
    notice: Option<String>,
    next_open: Option<NextTask>,
    status: StatusCode,
}

impl Rendered {
    fn new(
        form: FormValues,
        errors: FieldErrors,
        notice: Option<String>,
        status: StatusCode,
    ) -> Self {
        Rendered {
            form,
            errors,
            notice,
            next_open: None,
            status,
        }
    }
}

struct FormValues {
    status: ExecutionStatus,
    reason: String,
    responsible: String,
    doer: String,
    version: i64,
}

impl FormValues {
    fn from_detail(d: &InstanceDetail) -> Self {
        let i = &d.instance;
        FormValues {
            status: i.status,
            reason: i.not_relevant_reason.clone(),
            responsible: i.responsible.clone(),
            doer: i.doer.clone(),
            version: i.version,
        }
    }
}

async fn render_page(
    st: &AppState,
    ctx: &Ctx,
    d: &InstanceDetail,
    r: Rendered,
) -> AppResult<Response> {
    let Rendered {
        form,
        errors,
        notice,
        next_open,
        status,
    } = r;
    let scope = ctx
        .actor
        .as_ref()
        .map(|a| a.scope())
        .ok_or(AppError::Forbidden)?;
    let events = st
        .store
        .instance_history(scope, d.instance.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let task_events = st.store.task_history(d.task.id).await?;
    let history = history_lines(ctx, &events, &task_events);
    let t = &d.task;
    let today = calendar::today();
    let page = InstancePage {
        ctx,
        d,
        guidance_html: crate::web::tasks::guidance_html(&t.guidance),
        guidance_open: t.guidance.chars().count() <= GUIDANCE_OPEN_MAX,
        type_label: ctx.t(&format!("task-type-{}", t.task_type.as_str())),
        critical: t.task_type == TaskType::CriticalPath,
        start_date: t.start_date.map(|s| ctx.tr.date(s)),
        end_date: ctx.tr.date(t.end_date),
        overdue: udrul_core::instance_overdue(t.state, d.instance.status, t.end_date, today),
        open: t.state == TaskState::Published,
        status_label: ctx.t(&format!("status-{}", d.instance.status.as_str())),
        options: ExecutionStatus::ALL
            .iter()
            .map(|s| StatusOption {
                value: s.as_str(),
                label: ctx.t(&format!("status-{}", s.as_str())),
                checked: *s == form.status,
            })
            .collect(),
        reason: form.reason,
        responsible: form.responsible,
        doer: form.doer,
        version: form.version,
        errors,
        notice,
        next_open,
        history,
    };
    Ok((status, Html(render(&page))).into_response())
}

/// The instance's own changes and the task's end-date changes, newest first.
fn history_lines(
    ctx: &Ctx,
    events: &[InstanceEvent],
    task_events: &[TaskEvent],
) -> Vec<HistoryLine> {
    let mut lines: Vec<(chrono::DateTime<chrono::Utc>, HistoryLine)> = Vec::new();
    for e in events {
        let mut parts = Vec::new();
        match e.old_status {
            Some(old) if old != e.status => parts.push(ctx.tr.args(
                "history-status-changed",
                &[
                    ("from", ctx.t(&format!("status-{}", old.as_str())).into()),
                    ("to", ctx.t(&format!("status-{}", e.status.as_str())).into()),
                ],
            )),
            Some(_) => {}
            None => parts.push(ctx.tr.s(
                "history-status-set",
                &ctx.t(&format!("status-{}", e.status.as_str())),
            )),
        }
        if e.status == ExecutionStatus::NotRelevant && !e.not_relevant_reason.is_empty() {
            parts.push(ctx.tr.s("history-reason", &e.not_relevant_reason));
        }
        if !e.responsible.is_empty() {
            parts.push(ctx.tr.s("history-responsible", &e.responsible));
        }
        if !e.doer.is_empty() {
            parts.push(ctx.tr.s("history-doer", &e.doer));
        }
        lines.push((
            e.at,
            HistoryLine {
                when: ctx.tr.datetime(e.at),
                iso: e.at.to_rfc3339(),
                who: e.actor_name.clone(),
                what: parts.join(" · "),
            },
        ));
    }
    for e in task_events {
        if e.kind != udrul_core::TaskEventKind::EndDateChanged {
            continue;
        }
        let (Some(from), Some(to)) = (e.from_date, e.to_date) else {
            continue;
        };
        let what = ctx.tr.args(
            "history-end-date-changed",
            &[
                ("from", ctx.tr.date(from).into()),
                ("to", ctx.tr.date(to).into()),
                ("reason", e.reason.clone().into()),
            ],
        );
        lines.push((
            e.at,
            HistoryLine {
                when: ctx.tr.datetime(e.at),
                iso: e.at.to_rfc3339(),
                who: e
                    .actor_name
                    .clone()
                    .unwrap_or_else(|| ctx.t("history-central")),
                what,
            },
        ));
    }
    lines.sort_by_key(|l| std::cmp::Reverse(l.0));
    lines.into_iter().map(|(_, l)| l).collect()
}

#[derive(Deserialize)]
pub struct UpdateForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    not_relevant_reason: String,
    #[serde(default)]
    responsible: String,
    #[serde(default)]
    doer: String,
    #[serde(default)]
    version: Option<i64>,
}

pub async fn update(
    State(st): State<AppState>,
    Authed { ctx, actor }: Authed,
    Path(id): Path<i64>,
    Form(f): Form<UpdateForm>,
) -> AppResult<Response> {
    let scope = actor.scope();
    let d = load(&st, scope, id).await?;
    let submitted = FormValues {
        status: ExecutionStatus::parse(&f.status).unwrap_or(d.instance.status),
        reason: f.not_relevant_reason.clone(),
        responsible: f.responsible.clone(),
        doer: f.doer.clone(),
        version: f.version.unwrap_or(d.instance.version),
    };
    let parsed = InstanceUpdate::parse(
        Some(&f.status),
        Some(&f.not_relevant_reason),
        Some(&f.responsible),
        Some(&f.doer),
    );
    let update = match parsed {
        Ok(u) => u,
        Err(errors) => {
            let r = Rendered::new(submitted, errors, None, StatusCode::UNPROCESSABLE_ENTITY);
            return render_page(&st, &ctx, &d, r).await;
        }
    };
    match st
        .store
        .update_instance(&actor, scope, InstanceId(id), f.version, &update)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/instances/{id}?saved=1")).into_response()),
        Err(StoreError::VersionConflict { .. }) => {
            // Someone else saved first: show their values and say so.
            let fresh = load(&st, scope, id).await?;
            let notice = Some(ctx.t("error-version-conflict"));
            let form = FormValues::from_detail(&fresh);
            let r = Rendered::new(form, FieldErrors::default(), notice, StatusCode::CONFLICT);
            render_page(&st, &ctx, &fresh, r).await
        }
        Err(StoreError::Invalid(errors)) => {
            let r = Rendered::new(submitted, errors, None, StatusCode::UNPROCESSABLE_ENTITY);
            render_page(&st, &ctx, &d, r).await
        }
        Err(e) => Err(e.into()),
    }
}
