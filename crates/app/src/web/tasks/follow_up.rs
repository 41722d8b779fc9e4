//! `GET /tasks/{id}/follow-up?region=&network=`: the page the status slides
//! come from. Counts per execution status as numbers and as a bar that reads
//! without colour (each status has its own pattern), the members not done,
//! and the same list as CSV and XLSX (`.csv`, `.xlsx` with the same query).

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use udrul_core::{ExecutionStatus, FollowUp, FollowUpFilter, Task};

use super::{Choice, has_follow_up, load_task, status_label};
use crate::auth::{Central, Ctx};
use crate::error::{AppError, AppResult};
use crate::export::{Table, download, to_csv, to_xlsx};
use crate::state::AppState;
use crate::web::pages::page as html_page;

/// The order of the statuses on the page and in the bar: done first, as the
/// slides show them.
pub const ORDER: [ExecutionStatus; 4] = [
    ExecutionStatus::Done,
    ExecutionStatus::Started,
    ExecutionStatus::NotStarted,
    ExecutionStatus::NotRelevant,
];

/// The bar's coordinate width (its `viewBox`); segments are whole units.
const BAR_WIDTH: i64 = 1000;

#[derive(Deserialize, Default, Clone)]
pub struct FollowUpQuery {
    #[serde(default)]
    pub(crate) region: String,
    #[serde(default)]
    pub(crate) network: String,
}

impl FollowUpQuery {
    pub(crate) fn filter(&self) -> FollowUpFilter {
        let some = |s: &str| {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_string())
        };
        FollowUpFilter {
            region: some(&self.region),
            network: some(&self.network),
        }
    }

    /// `?region=...&network=...` for the export links, or "".
    pub(crate) fn query_string(&self) -> String {
        let f = self.filter();
        let mut q = form_urlencoded::Serializer::new(String::new());
        if let Some(r) = &f.region {
            q.append_pair("region", r);
        }
        if let Some(n) = &f.network {
            q.append_pair("network", n);
        }
        let q = q.finish();
        if q.is_empty() { q } else { format!("?{q}") }
    }
}

/// One status's count, as a big number with its share.
pub struct CountItem {
    pub key: &'static str,
    pub label: String,
    pub n: i64,
    pub percent: String,
}

/// One segment of the bar, in `viewBox` units.
pub struct Segment {
    pub key: &'static str,
    pub x: i64,
    pub width: i64,
    pub label: String,
}

pub struct NotDoneRow {
    pub instance_id: i64,
    pub member: String,
    pub code: String,
    pub region: String,
    pub network: String,
    pub status_key: &'static str,
    pub status_label: String,
    pub responsible: String,
    pub doer: String,
    pub updated: String,
    pub updated_iso: String,
}

#[derive(Template)]
#[template(path = "follow_up.html")]
struct FollowUpPage<'a> {
    ctx: &'a Ctx,
    t: &'a Task,
    task_id: i64,
    has_follow_up: bool,
    tab: &'static str,
    total: i64,
    counts_heading: String,
    counts: Vec<CountItem>,
    segments: Vec<Segment>,
    bar_label: String,
    regions: Vec<Choice>,
    networks: Vec<Choice>,
    filtered: bool,
    filter_text: String,
    rows: Vec<NotDoneRow>,
    not_done_heading: String,
    export_query: String,
}

/// The task, if it has instances to follow up (published or closed).
async fn load(st: &AppState, id: i64) -> AppResult<Task> {
    let t = load_task(st, id).await?;
    if !has_follow_up(t.state) {
        return Err(AppError::Conflict("error-follow-up-not-published"));
    }
    Ok(t)
}

/// Whole percentages of `total`; 0 of 0 is 0 %.
fn percent(n: i64, total: i64) -> i64 {
    if total <= 0 {
        0
    } else {
        (n * 100 + total / 2) / total
    }
}

/// Segments that fill the bar exactly: each ends where the running total
/// ends, rounded, so rounding never leaves a gap or an overlap.
pub fn segments(ctx: &Ctx, f: &FollowUp) -> Vec<Segment> {
    let total = f.counts.total();
    if total <= 0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut running = 0;
    let mut x = 0;
    for s in ORDER {
        let n = f.counts.get(s);
        running += n;
        let end = (running * BAR_WIDTH + total / 2) / total;
        if n > 0 {
            out.push(Segment {
                key: s.as_str(),
                x,
                width: end - x,
                label: format!("{}: {}", status_label(ctx, s), n),
            });
        }
        x = end;
    }
    out
}

/// The region and network filters of a page over all members: every
/// region and network a member has, the filter's own selected.
pub(crate) fn filter_choices(
    members: &[udrul_core::Member],
    filter: &FollowUpFilter,
) -> (Vec<Choice>, Vec<Choice>) {
    let choices = |values: BTreeSet<&str>, selected: Option<&str>| {
        values
            .into_iter()
            .filter(|v| !v.is_empty())
            .map(|v| Choice::new(v, v, selected == Some(v)))
            .collect()
    };
    (
        choices(
            members.iter().map(|m| m.region.as_str()).collect(),
            filter.region.as_deref(),
        ),
        choices(
            members.iter().map(|m| m.network.as_str()).collect(),
            filter.network.as_deref(),
        ),
    )
}

pub async fn page(
    State(st): State<AppState>,
    Central { ctx, .. }: Central,
    Path(id): Path<i64>,
    Query(q): Query<FollowUpQuery>,
) -> AppResult<Response> {
    let ctx = &ctx;
    let t = load(&st, id).await?;
    let filter = q.filter();
    let fu = st.store.follow_up(t.id, &filter).await?;
    let (regions, networks) = filter_choices(&st.store.list_members().await?, &filter);
    let total = fu.counts.total();
    let counts = ORDER
        .iter()
        .map(|s| {
            let n = fu.counts.get(*s);
            CountItem {
                key: s.as_str(),
                label: status_label(ctx, *s),
                n,
                percent: ctx.tr.n("follow-up-percent", percent(n, total)),
            }
        })
        .collect();
    let bar_label = ctx.tr.args(
        "follow-up-bar-label",
        &[
            ("total", total.into()),
            ("done", fu.counts.done.into()),
            ("started", fu.counts.started.into()),
            ("not_started", fu.counts.not_started.into()),
            ("not_relevant", fu.counts.not_relevant.into()),
        ],
    );
    let filter_text = match (&filter.region, &filter.network) {
        (Some(r), Some(n)) => ctx.tr.args(
            "follow-up-filtered-both",
            &[("region", r.clone().into()), ("network", n.clone().into())],
        ),
        (Some(r), None) => ctx.tr.s("follow-up-filtered-region", r),
        (None, Some(n)) => ctx.tr.s("follow-up-filtered-network", n),
        (None, None) => String::new(),
    };
    let rows: Vec<NotDoneRow> = fu
        .not_done
        .iter()
        .map(|r| NotDoneRow {
            instance_id: r.instance_id.0,
            member: r.member_name.clone(),
            code: r.member_code.clone(),
            region: r.region.clone(),
            network: r.network.clone(),
            status_key: r.status.as_str(),
            status_label: status_label(ctx, r.status),
            responsible: r.responsible.clone(),
            doer: r.doer.clone(),
            updated: ctx.tr.datetime(r.updated_at),
            updated_iso: r.updated_at.to_rfc3339(),
        })
        .collect();
    let p = FollowUpPage {
        ctx,
        t: &t,
        task_id: t.id.0,
        has_follow_up: true,
        tab: "follow-up",
        total,
        counts,
        segments: segments(ctx, &fu),
        bar_label,
        regions,
        networks,
        filtered: filter.region.is_some() || filter.network.is_some(),
        filter_text,
        counts_heading: ctx.tr.n("follow-up-counts-heading", total),
        not_done_heading: ctx.tr.n(
            "follow-up-not-done-heading",
            i64::try_from(rows.len()).unwrap_or(i64::MAX),
        ),
        rows,
        export_query: q.query_string(),
    };
    Ok(html_page(&p))
}

/// The members not done, as a table in the visitor's language.
async fn export_table(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    q: &FollowUpQuery,
) -> AppResult<(Task, Table)> {
    let t = load(st, id).await?;
    let fu = st.store.follow_up(t.id, &q.filter()).await?;
    let header = [
        "col-member-code",
        "col-member",
        "col-region",
        "col-network",
        "col-status",
        "col-responsible",
        "col-doer",
        "col-updated",
    ]
    .iter()
    .map(|k| ctx.t(k))
    .collect();
    let rows = fu
        .not_done
        .iter()
        .map(|r| {
            vec![
                r.member_code.clone(),
                r.member_name.clone(),
                r.region.clone(),
                r.network.clone(),
                status_label(ctx, r.status),
                r.responsible.clone(),
                r.doer.clone(),
                r.updated_at
                    .with_timezone(&chrono_tz::Europe::Copenhagen)
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
            ]
        })
        .collect();
    let table = Table {
        sheet_name: t.code.clone(),
        header,
        rows,
    };
    Ok((t, table))
}

/// `opfoelgning-ID-31.csv`: ASCII only, so every browser keeps the name.
fn file_name(ctx: &Ctx, t: &Task, ext: &str) -> String {
    crate::export::file_name(&ctx.t("follow-up-file-prefix"), &t.code, t.id.0, ext)
}

pub async fn csv(
    State(st): State<AppState>,
    Central { ctx, .. }: Central,
    Path(id): Path<i64>,
    Query(q): Query<FollowUpQuery>,
) -> AppResult<Response> {
    let (t, table) = export_table(&st, &ctx, id, &q).await?;
    let body = to_csv(&table)?;
    Ok(download(
        "text/csv; charset=utf-8",
        &file_name(&ctx, &t, "csv"),
        body,
    ))
}

pub async fn xlsx(
    State(st): State<AppState>,
    Central { ctx, .. }: Central,
    Path(id): Path<i64>,
    Query(q): Query<FollowUpQuery>,
) -> AppResult<Response> {
    let (t, table) = export_table(&st, &ctx, id, &q).await?;
    let body = to_xlsx(&table)?;
    Ok(download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &file_name(&ctx, &t, "xlsx"),
        body,
    ))
}
