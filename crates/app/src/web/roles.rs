//! The role catalogue and who holds each role across members (issue 4).
//! The central organisation reads it; central administrators keep it.
//!
//! - `GET /roles`: every role, its rules, how many members fill it.
//! - `GET /roles/new`, `POST /roles`: a new role.
//! - `GET /roles/{id}`, `POST /roles/{id}`: a role, its holders at every
//!   member today and the members that lack it; the edit form.
//! - `GET /roles/{id}/holders.csv|.xlsx`: those holders, exported.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::Form;
use serde::Deserialize;
use udrul_core::gallery::{Assignment, RoleInput};
use udrul_core::input::FieldErrors;
use udrul_core::store::AssignmentFilter;
use udrul_core::{Actor, Member, Project, Role, RoleId, StoreError};

use crate::auth::{Central, Ctx};
use crate::error::{AppError, AppResult};
use crate::export::{CSV, Table, XLSX, download, to_csv, to_xlsx};
use crate::state::AppState;
use crate::web::pages::{page, render};
use crate::web::tasks::Choice;

pub fn routes() -> Vec<crate::web::Route> {
    vec![
        ("/roles", get(list).post(create)),
        ("/roles/new", get(new)),
        ("/roles/{id}", get(show).post(update)),
        ("/roles/{id}/holders.csv", get(holders_csv)),
        ("/roles/{id}/holders.xlsx", get(holders_xlsx)),
    ]
}

/// A role with how it stands across members today.
pub struct RoleSummary {
    pub role: Role,
    /// Members where someone who has not left holds it.
    pub filled: usize,
    pub holders: usize,
}

#[derive(Template)]
#[template(path = "role_list.html")]
struct ListPage<'a> {
    ctx: &'a Ctx,
    rows: Vec<RoleSummary>,
    members: usize,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn list(
    State(st): State<AppState>,
    Central { ctx, .. }: Central,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let day = udrul_core::calendar::today();
    let roles = st.store.list_roles().await?;
    let all = st
        .store
        .list_assignments(&AssignmentFilter::default())
        .await?;
    let members = st.store.list_members().await?.len();
    let rows = roles
        .into_iter()
        .map(|role| {
            let now: Vec<&Assignment> = all
                .iter()
                .filter(|a| a.role_id == role.id && a.on(day) && !a.person_left)
                .collect();
            let mut at: Vec<_> = now.iter().map(|a| a.member_id).collect();
            at.sort();
            at.dedup();
            RoleSummary {
                filled: at.len(),
                holders: now.len(),
                role,
            }
        })
        .collect();
    Ok(page(&ListPage {
        ctx: &ctx,
        rows,
        members,
        notice: q.saved.is_some().then(|| ctx.t("role-saved")),
    }))
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    project_id: String,
    #[serde(default)]
    max_holders: String,
    #[serde(default)]
    required: Option<String>,
}

impl RoleForm {
    fn of(r: &Role) -> RoleForm {
        RoleForm {
            name: r.name.clone(),
            description: r.description.clone(),
            project_id: r.project_id.map(|p| p.to_string()).unwrap_or_default(),
            max_holders: r.max_holders.map(|n| n.to_string()).unwrap_or_default(),
            required: r.required.then(|| "1".to_string()),
        }
    }

    fn parse(&self) -> Result<RoleInput, FieldErrors> {
        RoleInput::parse(
            &self.name,
            &self.description,
            self.project_id.trim().parse().ok(),
            &self.max_holders,
            self.required.is_some(),
        )
    }
}

#[derive(Template)]
#[template(path = "role_form.html")]
struct FormPage<'a> {
    ctx: &'a Ctx,
    projects: Vec<Choice>,
    f: RoleForm,
    errors: FieldErrors,
}

fn project_choices(ctx: &Ctx, projects: &[Project], selected: &str) -> Vec<Choice> {
    std::iter::once(Choice {
        value: String::new(),
        label: ctx.t("role-no-project"),
        selected: selected.is_empty(),
    })
    .chain(projects.iter().map(|p| Choice {
        value: p.id.to_string(),
        label: p.name.clone(),
        selected: p.id.to_string() == selected,
    }))
    .collect()
}

async fn form_page<'a>(
    st: &AppState,
    ctx: &'a Ctx,
    f: RoleForm,
    errors: FieldErrors,
) -> AppResult<FormPage<'a>> {
    let projects = st.store.list_projects().await?;
    Ok(FormPage {
        ctx,
        projects: project_choices(ctx, &projects, &f.project_id),
        f,
        errors,
    })
}

pub async fn new(
    State(st): State<AppState>,
    Central { ctx, actor }: Central,
) -> AppResult<Response> {
    if !actor.can_manage_catalogue() {
        return Err(AppError::Forbidden);
    }
    let p = form_page(&st, &ctx, RoleForm::default(), FieldErrors::default()).await?;
    Ok(page(&p))
}

/// Store answers that are the form's fault, as field errors.
fn form_errors(e: StoreError) -> Result<FieldErrors, AppError> {
    match e {
        StoreError::Invalid(errors) => Ok(errors),
        StoreError::Duplicate(_) => {
            let mut errors = FieldErrors::default();
            errors.add("name", "error-duplicate");
            Ok(errors)
        }
        e => Err(e.into()),
    }
}

pub async fn create(
    State(st): State<AppState>,
    Central { ctx, actor }: Central,
    Form(f): Form<RoleForm>,
) -> AppResult<Response> {
    if !actor.can_manage_catalogue() {
        return Err(AppError::Forbidden);
    }
    let result = match f.parse() {
        Ok(input) => st.store.create_role(&actor, input).await,
        Err(errors) => Err(StoreError::Invalid(errors)),
    };
    match result {
        Ok(r) => Ok(Redirect::to(&format!("/roles/{}?saved=1", r.id)).into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            let p = form_page(&st, &ctx, f, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(render(&p))).into_response())
        }
    }
}

/// A member's holders of the role today, or none.
pub struct MemberHolders {
    pub member: Member,
    pub holders: Vec<Assignment>,
}

#[derive(Template)]
#[template(path = "role_show.html")]
struct ShowPage<'a> {
    ctx: &'a Ctx,
    role: Role,
    held: Vec<MemberHolders>,
    lacking: Vec<Member>,
    lacking_n: i64,
    manage: bool,
    projects: Vec<Choice>,
    f: RoleForm,
    errors: FieldErrors,
    notice: Option<String>,
}

/// Every member with its holders of `role` today (those who left aside),
/// split into members that have one and members that lack it.
async fn holders(st: &AppState, role: RoleId) -> AppResult<(Vec<MemberHolders>, Vec<Member>)> {
    let day = udrul_core::calendar::today();
    let all = st
        .store
        .list_assignments(&AssignmentFilter {
            member: None,
            role: Some(role),
        })
        .await?;
    let mut held = Vec::new();
    let mut lacking = Vec::new();
    for member in st.store.list_members().await? {
        let holders: Vec<Assignment> = all
            .iter()
            .filter(|a| a.member_id == member.id && a.on(day) && !a.person_left)
            .cloned()
            .collect();
        if holders.is_empty() {
            lacking.push(member);
        } else {
            held.push(MemberHolders { member, holders });
        }
    }
    Ok((held, lacking))
}

#[allow(clippy::too_many_arguments)]
async fn show_page<'a>(
    st: &AppState,
    ctx: &'a Ctx,
    actor: &Actor,
    role: Role,
    f: RoleForm,
    errors: FieldErrors,
    notice: Option<String>,
) -> AppResult<ShowPage<'a>> {
    let (held, lacking) = holders(st, role.id).await?;
    let projects = st.store.list_projects().await?;
    Ok(ShowPage {
        ctx,
        manage: actor.can_manage_catalogue(),
        projects: project_choices(ctx, &projects, &f.project_id),
        role,
        held,
        lacking_n: i64::try_from(lacking.len()).unwrap_or(i64::MAX),
        lacking,
        f,
        errors,
        notice,
    })
}

async fn role(st: &AppState, id: i64) -> AppResult<Role> {
    st.store
        .get_role(RoleId(id))
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn show(
    State(st): State<AppState>,
    Central { ctx, actor }: Central,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let role = role(&st, id).await?;
    let f = RoleForm::of(&role);
    let notice = q.saved.is_some().then(|| ctx.t("role-saved"));
    let p = show_page(&st, &ctx, &actor, role, f, FieldErrors::default(), notice).await?;
    Ok(page(&p))
}

pub async fn update(
    State(st): State<AppState>,
    Central { ctx, actor }: Central,
    Path(id): Path<i64>,
    Form(f): Form<RoleForm>,
) -> AppResult<Response> {
    if !actor.can_manage_catalogue() {
        return Err(AppError::Forbidden);
    }
    let current = role(&st, id).await?;
    let result = match f.parse() {
        Ok(input) => st.store.update_role(&actor, current.id, input).await,
        Err(errors) => Err(StoreError::Invalid(errors)),
    };
    match result {
        Ok(r) => Ok(Redirect::to(&format!("/roles/{}?saved=1", r.id)).into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            let p = show_page(&st, &ctx, &actor, current, f, errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(render(&p))).into_response())
        }
    }
}

/// The holders of a role at every member today, as a table to export;
/// members that lack it are rows with no person.
async fn holders_table(st: &AppState, ctx: &Ctx, id: i64) -> AppResult<(Role, Table)> {
    let role = role(st, id).await?;
    let (held, lacking) = holders(st, role.id).await?;
    let mut rows = Vec::new();
    for h in &held {
        for a in &h.holders {
            rows.push(vec![
                h.member.code.clone(),
                h.member.name.clone(),
                a.person_name.clone(),
                a.person_email.clone(),
                if a.is_primary {
                    ctx.t("export-yes")
                } else {
                    String::new()
                },
                a.valid_from.to_string(),
                a.valid_to.map(|d| d.to_string()).unwrap_or_default(),
            ]);
        }
    }
    for m in &lacking {
        rows.push(vec![
            m.code.clone(),
            m.name.clone(),
            ctx.t("role-export-nobody"),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
    let header = [
        "col-member-code",
        "col-member",
        "field-person_id",
        "field-email",
        "field-is_primary",
        "field-valid_from",
        "field-valid_to",
    ]
    .iter()
    .map(|k| ctx.t(k))
    .collect();
    Ok((
        role.clone(),
        Table {
            sheet_name: role.name,
            header,
            rows,
        },
    ))
}

fn file_name(ctx: &Ctx, role: &Role, ext: &str) -> String {
    crate::export::file_name(
        &ctx.t("role-export-file-prefix"),
        &role.name,
        role.id.0,
        ext,
    )
}

pub async fn holders_csv(
    State(st): State<AppState>,
    Central { ctx, .. }: Central,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (role, table) = holders_table(&st, &ctx, id).await?;
    Ok(download(
        CSV,
        &file_name(&ctx, &role, "csv"),
        to_csv(&table)?,
    ))
}

pub async fn holders_xlsx(
    State(st): State<AppState>,
    Central { ctx, .. }: Central,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (role, table) = holders_table(&st, &ctx, id).await?;
    Ok(download(
        XLSX,
        &file_name(&ctx, &role, "xlsx"),
        to_xlsx(&table)?,
    ))
}
