//! `GET /tasks/{id}/recipients?region=&network=`: who a task reaches, member
//! by member, from the role galleries (`udrul_core::recipients` has the
//! rules): the people with their roles (primary said in words), the
//! mailboxes, and what needs attention (a target role without a holder, a
//! holder without an address, nobody reached), those members first. The
//! same as CSV and XLSX (`.csv`, `.xlsx` with the same query; exports are
//! audited, they hold people's addresses). Central staff and auditors read
//! it, like the follow-up; members get 403.
//!
//! [`summary`] is the short form the task page and the publish form show.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use udrul_core::recipients::{
    MemberRecipients, ReachedAs, Recipient, RecipientKind, TaskRecipients,
};
use udrul_core::store::AuditEntry;
use udrul_core::{Actor, MemberId, Task, TaskState};

use super::follow_up::{FollowUpQuery, filter_choices};
use super::{Choice, has_follow_up, load_task};
use crate::auth::{Central, Ctx};
use crate::error::AppResult;
use crate::export::{CSV, Table, XLSX, download, to_csv, to_xlsx};
use crate::state::AppState;
use crate::web::pages::page as html_page;

/// The short summary: counts in words and a link to the full list.
pub struct Summary {
    /// "Reaches 120 people and 14 mailboxes at 98 members."
    pub text: String,
    /// Sentences about what needs attention, or none.
    pub warnings: Vec<String>,
    pub href: String,
}

/// The summary of `r`, linking to task `task_id`'s recipients page.
pub fn summary(ctx: &Ctx, r: &TaskRecipients, task_id: i64) -> Summary {
    let c = r.counts();
    let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
    let text = ctx.tr.args(
        "recipients-summary",
        &[
            ("people", n(c.people).into()),
            ("mailboxes", n(c.mailboxes).into()),
            ("members", n(c.members_reached).into()),
        ],
    );
    let mut warnings = Vec::new();
    if r.target_roles.is_empty() {
        warnings.push(ctx.t("recipients-summary-no-roles"));
    }
    if c.members_with_gaps > 0 {
        warnings.push(ctx.tr.n("recipients-summary-gaps", n(c.members_with_gaps)));
    }
    if c.members_unreached > 0 {
        warnings.push(
            ctx.tr
                .n("recipients-summary-unreached", n(c.members_unreached)),
        );
    }
    if c.unreachable_people > 0 {
        warnings.push(
            ctx.tr
                .n("recipients-summary-unreachable", n(c.unreachable_people)),
        );
    }
    Summary {
        text,
        warnings,
        href: format!("/tasks/{task_id}/recipients"),
    }
}

/// A role list in words: "Systemansvarlig (primær), Infrastrukturansvarlig".
fn roles_text(ctx: &Ctx, roles: &[ReachedAs]) -> String {
    roles
        .iter()
        .map(|r| {
            if r.primary {
                format!("{} ({})", r.role, ctx.t("recipients-primary"))
            } else {
                r.role.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One person or mailbox on the page.
pub struct Line {
    pub name: String,
    pub email: String,
    /// Their roles in words, primary marked; for a general mailbox what it
    /// is and what it stands in for.
    pub roles: String,
    pub primary: bool,
}

pub struct MemberLine {
    pub id: i64,
    pub name: String,
    pub code: String,
    pub region: String,
    pub network: String,
    pub attention: bool,
    pub people: Vec<Line>,
    pub mailboxes: Vec<Line>,
    /// What needs attention, in sentences.
    pub notes: Vec<String>,
}

fn line(ctx: &Ctx, r: &Recipient) -> Line {
    let roles = match r.kind {
        RecipientKind::General(_) if r.fallback => format!(
            "{}, {}",
            ctx.t("recipients-general-mailbox"),
            ctx.tr
                .s("recipients-instead-of", &roles_text(ctx, &r.roles))
        ),
        RecipientKind::General(_) => ctx.t("recipients-general-mailbox"),
        _ => roles_text(ctx, &r.roles),
    };
    Line {
        name: r.name.clone(),
        email: r.email.clone(),
        roles,
        primary: r.is_primary(),
    }
}

fn member_line(ctx: &Ctx, m: &MemberRecipients) -> MemberLine {
    let r = &m.reach;
    let mut notes = Vec::new();
    if r.reaches_nobody() {
        notes.push(ctx.t("recipients-reaches-nobody"));
    }
    if !r.gaps.is_empty() {
        let unreached = r.unreached_roles();
        if unreached.is_empty() {
            notes.push(ctx.tr.s("recipients-gap", &r.gaps.join(", ")));
        } else {
            notes.push(ctx.tr.s("recipients-nobody-for", &unreached.join(", ")));
        }
    }
    if !r.unreachable.is_empty() {
        let who = r
            .unreachable
            .iter()
            .map(|u| format!("{} ({})", u.name, roles_text(ctx, &u.roles)))
            .collect::<Vec<_>>()
            .join(", ");
        notes.push(ctx.tr.s("recipients-no-email", &who));
    }
    MemberLine {
        id: m.member.id.0,
        name: m.member.name.clone(),
        code: m.member.code.clone(),
        region: m.member.region.clone(),
        network: m.member.network.clone(),
        attention: r.needs_attention(),
        people: r.people.iter().map(|p| line(ctx, p)).collect(),
        mailboxes: r.mailboxes.iter().map(|b| line(ctx, b)).collect(),
        notes,
    }
}

#[derive(Template)]
#[template(path = "task_recipients.html")]
struct RecipientsPage<'a> {
    ctx: &'a Ctx,
    t: &'a Task,
    task_id: i64,
    has_follow_up: bool,
    tab: &'static str,
    lead: String,
    scope: String,
    summary: Summary,
    regions: Vec<Choice>,
    networks: Vec<Choice>,
    filtered: bool,
    members: Vec<MemberLine>,
    export_query: String,
}

/// The task and who it reaches today among the members the filter keeps,
/// those needing attention first.
async fn load(st: &AppState, id: i64, q: &FollowUpQuery) -> AppResult<(Task, TaskRecipients)> {
    let t = load_task(st, id).await?;
    let f = q.filter();
    let only: Option<Vec<MemberId>> = if f.region.is_some() || f.network.is_some() {
        Some(
            st.store
                .list_members()
                .await?
                .into_iter()
                .filter(|m| f.region.as_ref().is_none_or(|r| *r == m.region))
                .filter(|m| f.network.as_ref().is_none_or(|n| *n == m.network))
                .map(|m| m.id)
                .collect(),
        )
    } else {
        None
    };
    let mut r = st
        .store
        .task_recipients(t.id, only.as_deref(), udrul_core::calendar::today())
        .await?;
    r.attention_first();
    Ok((t, r))
}

pub async fn page(
    State(st): State<AppState>,
    Central { ctx, .. }: Central,
    Path(id): Path<i64>,
    Query(q): Query<FollowUpQuery>,
) -> AppResult<Response> {
    let ctx = &ctx;
    let (t, r) = load(&st, id, &q).await?;
    let filter = q.filter();
    let (regions, networks) = filter_choices(&st.store.list_members().await?, &filter);
    let p = RecipientsPage {
        ctx,
        t: &t,
        task_id: t.id.0,
        has_follow_up: has_follow_up(t.state),
        tab: "recipients",
        lead: ctx.tr.s("recipients-lead", &ctx.tr.date(r.day)),
        scope: if t.state == TaskState::Draft {
            ctx.t("recipients-scope-draft")
        } else {
            ctx.t("recipients-scope-published")
        },
        summary: summary(ctx, &r, t.id.0),
        regions,
        networks,
        filtered: filter.region.is_some() || filter.network.is_some(),
        members: r.members.iter().map(|m| member_line(ctx, m)).collect(),
        export_query: q.query_string(),
    };
    Ok(html_page(&p))
}

/// Every recipient as a row: one per person or mailbox, one per holder
/// without an address, and one for a member the task reaches nobody at.
/// Each row repeats its member's gaps.
fn table(ctx: &Ctx, t: &Task, r: &TaskRecipients) -> Table {
    let header = [
        "col-member-code",
        "col-member",
        "col-region",
        "col-network",
        "recipients-col-kind",
        "recipients-col-name",
        "col-email",
        "recipients-col-roles",
        "field-is_primary",
        "recipients-col-gaps",
    ]
    .iter()
    .map(|k| ctx.t(k))
    .collect();
    let mut rows = Vec::new();
    for m in &r.members {
        let gaps = m.reach.gaps.join(", ");
        let row = |kind: &str, name: &str, email: &str, roles: &[ReachedAs]| {
            vec![
                m.member.code.clone(),
                m.member.name.clone(),
                m.member.region.clone(),
                m.member.network.clone(),
                kind.to_string(),
                name.to_string(),
                email.to_string(),
                roles_text(ctx, roles),
                if roles.iter().any(|x| x.primary) {
                    ctx.t("export-yes")
                } else {
                    String::new()
                },
                gaps.clone(),
            ]
        };
        for x in m.reach.all() {
            let kind = match x.kind {
                RecipientKind::Person(_) => "recipients-kind-person",
                RecipientKind::RoleMailbox(_) => "recipients-kind-role-mailbox",
                RecipientKind::General(_) if x.fallback => "recipients-kind-fallback",
                RecipientKind::General(_) => "recipients-kind-general",
            };
            rows.push(row(&ctx.t(kind), &x.name, &x.email, &x.roles));
        }
        for u in &m.reach.unreachable {
            rows.push(row(
                &ctx.t("recipients-kind-no-email"),
                &u.name,
                "",
                &u.roles,
            ));
        }
        if m.reach.reaches_nobody() {
            rows.push(row(&ctx.t("recipients-kind-nobody"), "", "", &[]));
        }
    }
    Table {
        sheet_name: t.code.clone(),
        header,
        rows,
    }
}

/// `modtagere-ID-31.csv`: ASCII only, so every browser keeps the name.
fn file_name(ctx: &Ctx, t: &Task, ext: &str) -> String {
    crate::export::file_name(&ctx.t("recipients-file-prefix"), &t.code, t.id.0, ext)
}

/// The export holds people's names and addresses: it is audited.
async fn audit_export(
    st: &AppState,
    actor: &Actor,
    t: &Task,
    format: &str,
    rows: usize,
) -> AppResult<()> {
    st.store
        .record_audit(
            Some(actor),
            AuditEntry {
                action: "task.recipients_export",
                object_type: "task",
                object_id: Some(t.id.0),
                after: serde_json::to_string(&serde_json::json!({
                    "format": format,
                    "rows": rows,
                }))
                .ok(),
                ..AuditEntry::default()
            },
        )
        .await?;
    Ok(())
}

pub async fn csv(
    State(st): State<AppState>,
    Central { ctx, actor }: Central,
    Path(id): Path<i64>,
    Query(q): Query<FollowUpQuery>,
) -> AppResult<Response> {
    let (t, r) = load(&st, id, &q).await?;
    let table = table(&ctx, &t, &r);
    audit_export(&st, &actor, &t, "csv", table.rows.len()).await?;
    Ok(download(CSV, &file_name(&ctx, &t, "csv"), to_csv(&table)?))
}

pub async fn xlsx(
    State(st): State<AppState>,
    Central { ctx, actor }: Central,
    Path(id): Path<i64>,
    Query(q): Query<FollowUpQuery>,
) -> AppResult<Response> {
    let (t, r) = load(&st, id, &q).await?;
    let table = table(&ctx, &t, &r);
    audit_export(&st, &actor, &t, "xlsx", table.rows.len()).await?;
    Ok(download(
        XLSX,
        &file_name(&ctx, &t, "xlsx"),
        to_xlsx(&table)?,
    ))
}
