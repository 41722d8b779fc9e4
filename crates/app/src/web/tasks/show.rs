//! `GET /tasks/{id}`: a task as central staff see it: its state, every field,
//! the guidance rendered, who it reaches (in short, before publishing too),
//! its history, and the actions its state allows.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use udrul_core::{FollowUpFilter, TaskEvent, TaskEventKind, TaskState, TaskType};

use super::{guidance_html, has_follow_up, load_task, state_label, type_label};
use crate::auth::{Central, Ctx};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::instances::HistoryLine;
use crate::web::pages::page;

/// Notices a redirect may ask for, after a change succeeded.
const NOTICES: [&str; 6] = [
    "created",
    "saved",
    "published",
    "end-date",
    "closed",
    "withdrawn",
];

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "task_show.html")]
struct TaskPage<'a> {
    ctx: &'a Ctx,
    t: udrul_core::Task,
    state_key: &'static str,
    state_label: String,
    type_label: String,
    critical: bool,
    start_date: Option<String>,
    start_iso: String,
    end_date: String,
    end_iso: String,
    guidance_html: String,
    /// Short guidance is shown unfolded (as on the member's page).
    guidance_open: bool,
    history: Vec<HistoryLine>,
    /// "2 af 3" members settled, for published and closed tasks.
    progress: Option<String>,
    notice: Option<String>,
    can_edit: bool,
    can_publish: bool,
    can_change_end: bool,
    can_close: bool,
    can_withdraw: bool,
    has_follow_up: bool,
    tab: &'static str,
    task_id: i64,
    summary: super::recipients::Summary,
}

pub async fn show(
    State(st): State<AppState>,
    Central { ctx, actor }: Central,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> AppResult<Response> {
    let t = load_task(&st, id).await?;
    // Auditors and staff of other projects read the task without actions.
    let may = match super::may_change(&st, &actor, id).await {
        Ok(()) => true,
        Err(AppError::Forbidden) => false,
        Err(e) => return Err(e),
    };
    let events = st.store.task_history(t.id).await?;
    let notice = q
        .notice
        .as_deref()
        .filter(|n| NOTICES.contains(n))
        .map(|n| ctx.t(&format!("task-notice-{n}")));
    let s = t.state;
    let progress = if has_follow_up(s) {
        let c = st
            .store
            .follow_up(t.id, &FollowUpFilter::default())
            .await?
            .counts;
        Some(ctx.tr.args(
            "task-progress-settled",
            &[
                ("settled", (c.done + c.not_relevant).into()),
                ("total", c.total().into()),
            ],
        ))
    } else {
        None
    };
    // Who it reaches: for a draft, every member as of today.
    let reach = st
        .store
        .task_recipients(t.id, None, udrul_core::calendar::today())
        .await?;
    let summary = super::recipients::summary(&ctx, &reach, t.id.0);
    let p = TaskPage {
        ctx: &ctx,
        summary,
        state_key: s.as_str(),
        state_label: state_label(&ctx, s),
        type_label: type_label(&ctx, t.task_type),
        critical: t.task_type == TaskType::CriticalPath,
        start_date: t.start_date.map(|d| ctx.tr.date(d)),
        start_iso: t.start_date.map(|d| d.to_string()).unwrap_or_default(),
        end_date: ctx.tr.date(t.end_date),
        end_iso: t.end_date.to_string(),
        guidance_html: guidance_html(&t.guidance),
        guidance_open: t.guidance.chars().count() <= crate::web::instances::GUIDANCE_OPEN_MAX,
        history: history_lines(&ctx, &events),
        progress,
        notice,
        can_edit: may && s == TaskState::Draft,
        can_publish: may && s == TaskState::Draft,
        can_change_end: may && matches!(s, TaskState::Draft | TaskState::Published),
        can_close: may && s == TaskState::Published,
        can_withdraw: may && matches!(s, TaskState::Draft | TaskState::Published),
        has_follow_up: has_follow_up(s),
        tab: "task",
        task_id: t.id.0,
        t,
    };
    Ok(page(&p))
}

/// The task's history, newest first, in words.
pub fn history_lines(ctx: &Ctx, events: &[TaskEvent]) -> Vec<HistoryLine> {
    let mut lines: Vec<(chrono::DateTime<chrono::Utc>, HistoryLine)> = events
        .iter()
        .map(|e| {
            let what = match e.kind {
                TaskEventKind::Created => ctx.t("task-history-created"),
                TaskEventKind::Updated => ctx.t("task-history-updated"),
                TaskEventKind::Published => {
                    ctx.tr.n("task-history-published", e.count.unwrap_or(0))
                }
                TaskEventKind::EndDateChanged => match (e.from_date, e.to_date) {
                    (Some(from), Some(to)) => ctx.tr.args(
                        "history-end-date-changed",
                        &[
                            ("from", ctx.tr.date(from).into()),
                            ("to", ctx.tr.date(to).into()),
                            ("reason", e.reason.clone().into()),
                        ],
                    ),
                    _ => ctx.t("task-history-end-date"),
                },
                TaskEventKind::Closed => ctx.t("task-history-closed"),
                TaskEventKind::Withdrawn => ctx.t("task-history-withdrawn"),
            };
            (
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
            )
        })
        .collect();
    // Stable: events of the same instant keep the store's order.
    lines.reverse();
    lines.sort_by_key(|l| std::cmp::Reverse(l.0));
    lines.into_iter().map(|(_, l)| l).collect()
}
