//! Importing a member's people or org units from a file (issue 4).
//!
//! - `GET /members/{id}/import`: the upload form, the columns understood,
//!   and the member's latest imports.
//! - `POST /members/{id}/import` (multipart): reads the file; a file with
//!   errors is shown again with every bad row by number and is not kept; a
//!   good one is kept and the browser goes to its preview.
//! - `GET /imports/{id}`: what applying it would do now (or, once applied,
//!   what it did), including the roles that people leaving would leave
//!   empty.
//! - `POST /imports/{id}/apply`: applies it in one transaction.
//!
//! Only those who keep the member's gallery (its administrators, central
//! administrators) see these pages: the files hold the member's people.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use udrul_core::gallery::{self, Filled, OrgUnit, Person};
use udrul_core::import::{
    self, ImportKind, ImportOutcome, ImportRecord, ImportRows, NewImport, PeoplePlan, RowError,
    RowErrors, UnitPlan, UnitRef,
};
use udrul_core::store::AssignmentFilter;
use udrul_core::{Actor, ImportId, Member, StoreError};

use crate::auth::{Authed, Ctx};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::gallery::keepable;
use crate::web::pages::render;
use crate::web::tasks::Choice;

/// Most people or units listed under each heading of a preview.
const LIST_AT_MOST: usize = 100;

pub fn routes() -> Vec<crate::web::Route> {
    vec![
        (
            "/members/{id}/import",
            get(form).post(upload).layer(DefaultBodyLimit::max(
                crate::import::MAX_FILE_BYTES + 64 * 1024,
            )),
        ),
        ("/imports/{id}", get(show)),
        ("/imports/{id}/apply", post(apply)),
    ]
}

// --- the form ---------------------------------------------------------------------

/// A column the form explains: its key's label and the headers it takes.
pub struct ColumnHelp {
    pub label: String,
    pub headers: String,
    pub required: bool,
}

pub struct ImportLine {
    pub id: i64,
    pub file_name: String,
    pub kind: String,
    pub rows: i64,
    pub by: String,
    pub at: String,
    pub applied: Option<String>,
}

#[derive(Template)]
#[template(path = "import_form.html")]
struct FormPage<'a> {
    ctx: &'a Ctx,
    member: Member,
    tab: &'static str,
    kinds: Vec<Choice>,
    column_tables: Vec<(String, Vec<ColumnHelp>)>,
    errors: udrul_core::input::FieldErrors,
    row_errors: Vec<String>,
    /// "The file has 3 errors", and "… and 12 more errors".
    errors_heading: String,
    more_errors: Option<String>,
    file_name: String,
    imports: Vec<ImportLine>,
}

fn column_help(ctx: &Ctx, cols: &[(&'static str, &[&str])], required: &[&str]) -> Vec<ColumnHelp> {
    cols.iter()
        .map(|(key, names)| ColumnHelp {
            label: ctx.t(&format!("import-col-{key}")),
            headers: names.join(", "),
            required: required.contains(key),
        })
        .collect()
}

fn kind_label(ctx: &Ctx, k: ImportKind) -> String {
    ctx.t(&format!("import-kind-{}", k.as_str()))
}

/// A row error in words: "Række 5, E-mail: skal være en e-mailadresse".
pub fn row_error_text(ctx: &Ctx, e: &RowError) -> String {
    let what = match e.other_row {
        Some(first) => ctx.tr.n(e.code, i64::from(first)),
        None => ctx.t(e.code),
    };
    let column = e
        .column
        .map(|c| format!("{}: ", ctx.t(&format!("import-col-{c}"))))
        .unwrap_or_default();
    if e.row == 0 {
        format!("{column}{what}")
    } else {
        format!(
            "{} {column}{what}",
            ctx.tr.n("import-row", i64::from(e.row))
        )
    }
}

#[allow(clippy::too_many_arguments)]
async fn form_page<'a>(
    st: &AppState,
    ctx: &'a Ctx,
    member: Member,
    kind: Option<ImportKind>,
    errors: udrul_core::input::FieldErrors,
    row_errors: &RowErrors,
    file_name: String,
) -> AppResult<FormPage<'a>> {
    let imports = st
        .store
        .list_imports(member.id, 20)
        .await?
        .into_iter()
        .map(|i| ImportLine {
            id: i.id.0,
            file_name: i.file_name,
            kind: kind_label(ctx, i.kind),
            rows: i.row_count,
            by: i
                .created_by_name
                .unwrap_or_else(|| ctx.t("import-by-system")),
            at: ctx.tr.datetime(i.created_at),
            applied: i.applied_at.map(|t| ctx.tr.datetime(t)),
        })
        .collect();
    let kind = kind.unwrap_or(ImportKind::People);
    Ok(FormPage {
        ctx,
        member,
        tab: "import",
        kinds: [ImportKind::People, ImportKind::OrgUnits]
            .into_iter()
            .map(|k| Choice::new(k.as_str(), kind_label(ctx, k), k == kind))
            .collect(),
        column_tables: vec![
            (
                kind_label(ctx, ImportKind::People),
                column_help(ctx, import::PEOPLE_COLUMNS, &["external_id", "name"]),
            ),
            (
                kind_label(ctx, ImportKind::OrgUnits),
                column_help(ctx, import::UNIT_COLUMNS, &["external_id", "name"]),
            ),
        ],
        errors,
        row_errors: row_errors
            .errors
            .iter()
            .map(|e| row_error_text(ctx, e))
            .collect(),
        errors_heading: ctx.tr.n(
            "import-row-errors-heading",
            i64::try_from(row_errors.total).unwrap_or(i64::MAX),
        ),
        more_errors: match row_errors.total.saturating_sub(row_errors.errors.len()) {
            0 => None,
            n => Some(
                ctx.tr
                    .n("import-more-errors", i64::try_from(n).unwrap_or(0)),
            ),
        },
        file_name,
        imports,
    })
}

/// `GET /members/{id}/import`.
pub async fn form(
    State(st): State<AppState>,
    Authed { ctx, actor }: Authed,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let member = keepable(&st, &actor, id).await?;
    let page = form_page(
        &st,
        &ctx,
        member,
        None,
        Default::default(),
        &RowErrors::default(),
        String::new(),
    )
    .await?;
    Ok(Html(render(&page)).into_response())
}

/// What the upload form sent.
#[derive(Default)]
struct Upload {
    kind: String,
    file_name: String,
    bytes: Vec<u8>,
}

async fn read_upload(mut mp: Multipart) -> AppResult<Upload> {
    let mut u = Upload::default();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(AppError::BadRequest("error-import-upload")),
        };
        match field.name() {
            Some("kind") => {
                u.kind = field
                    .text()
                    .await
                    .map_err(|_| AppError::BadRequest("error-import-upload"))?;
            }
            Some("file") => {
                u.file_name = field
                    .file_name()
                    .map(|n| {
                        // Only the last part of a path some browsers send.
                        n.rsplit(['/', '\\']).next().unwrap_or(n).to_string()
                    })
                    .unwrap_or_default();
                u.bytes = field
                    .bytes()
                    .await
                    .map_err(|_| AppError::BadRequest("error-too-large"))?
                    .to_vec();
            }
            _ => {}
        }
    }
    Ok(u)
}

/// The file's rows, or every error in it, checked against the member as
/// it is now (a people file may only name units the member has). Reading
/// and checking the file is CPU work: it runs on the blocking pool behind
/// `heavy`'s limit, never on the async threads.
async fn parse(
    st: &AppState,
    member: &Member,
    kind: ImportKind,
    bytes: &[u8],
) -> AppResult<Result<ImportRows, RowErrors>> {
    let known = match kind {
        ImportKind::People => Some((
            st.store.list_people(member.id).await?,
            st.store.list_org_units(member.id).await?,
        )),
        ImportKind::OrgUnits => None,
    };
    let bytes = bytes.to_vec();
    crate::heavy::run(move || {
        let table = crate::import::read_table(&bytes)?;
        match known {
            Some((people, units)) => {
                let (rows, _) = import::people_rows(&table)?;
                import::plan_people(&people, &units, &rows)?;
                Ok(ImportRows::People(rows))
            }
            None => import::unit_rows(&table).map(|(rows, _)| ImportRows::OrgUnits(rows)),
        }
    })
    .await
}

/// `POST /members/{id}/import`.
pub async fn upload(
    State(st): State<AppState>,
    Authed { ctx, actor }: Authed,
    Path(id): Path<i64>,
    req: axum::extract::Request,
) -> AppResult<Response> {
    // Who may upload is decided before the body is looked at, so that a
    // refusal does not depend on what was sent.
    let member = keepable(&st, &actor, id).await?;
    let mp = <Multipart as axum::extract::FromRequest<()>>::from_request(req, &())
        .await
        .map_err(|_| AppError::BadRequest("error-import-upload"))?;
    let u = read_upload(mp).await?;
    let mut errors = udrul_core::input::FieldErrors::default();
    let kind = ImportKind::parse(&u.kind);
    if kind.is_none() {
        errors.add("kind", "error-choice");
    }
    if u.bytes.is_empty() {
        errors.add("file", "error-import-no-file");
    }
    // The file's name is shown in the list of imports: no spoofing characters
    // (a right-to-left override makes "x\u{202E}vsc.exe" look like "xexe.csv").
    errors.optional("file", &u.file_name, 1_000);
    let parsed = match kind {
        Some(k) if errors.is_empty() => parse(&st, &member, k, &u.bytes).await?,
        _ => Err(RowErrors::default()),
    };
    match parsed {
        Ok(rows) if errors.is_empty() => {
            let record = st
                .store
                .save_import(
                    &actor,
                    NewImport {
                        member_id: member.id,
                        file_name: if u.file_name.is_empty() {
                            ctx.t("import-unnamed-file")
                        } else {
                            u.file_name.chars().take(200).collect()
                        },
                        sha256: crate::import::sha256_hex(&u.bytes),
                        rows,
                    },
                )
                .await?;
            Ok(Redirect::to(&format!("/imports/{}", record.id)).into_response())
        }
        other => {
            let rows = other.err().unwrap_or_default();
            if !rows.is_empty() {
                errors.add("file", "error-import-rows");
            }
            let page = form_page(&st, &ctx, member, kind, errors, &rows, u.file_name).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(render(&page))).into_response())
        }
    }
}

// --- the preview and the result -----------------------------------------------------

/// One line of a preview list.
pub struct Line {
    pub name: String,
    pub detail: String,
}

/// A heading with its count and (at most `LIST_AT_MOST` of) its lines.
pub struct Group {
    pub id: &'static str,
    pub title: String,
    pub count: usize,
    pub lines: Vec<Line>,
    /// "… and 12 more" when not every line is listed.
    pub more: Option<String>,
}

#[derive(Template)]
#[template(path = "import_show.html")]
struct ShowPage<'a> {
    ctx: &'a Ctx,
    member: Member,
    tab: &'static str,
    record: ImportRecord,
    kind: String,
    created: String,
    by: String,
    applied: Option<String>,
    groups: Vec<Group>,
    unchanged: usize,
    changes: usize,
    /// Roles that the people leaving hold alone, with who holds them.
    emptied: Vec<Line>,
    stale: Vec<String>,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: Option<String>,
}

fn group(ctx: &Ctx, id: &'static str, title: String, lines: Vec<Line>) -> Group {
    let count = lines.len();
    Group {
        id,
        title,
        count,
        more: (count > LIST_AT_MOST)
            .then(|| ctx.tr.n("import-and-more", (count - LIST_AT_MOST) as i64)),
        lines: lines.into_iter().take(LIST_AT_MOST).collect(),
    }
}

/// "navn: Bo → Bo Bech; e-mail: – → bo@k.dk".
fn person_diff(ctx: &Ctx, before: &Person, c: &import::PersonChange, units: &[OrgUnit]) -> String {
    let unit_name = |id| units.iter().find(|u| u.id == id).map(|u| u.name.clone());
    let after_unit = match &c.unit {
        None => None,
        Some(UnitRef::Existing(id)) => unit_name(*id),
        Some(UnitRef::New(n)) => Some(n.clone()),
    };
    let before_unit = before.org_unit_id.and_then(unit_name);
    let pairs = [
        ("name", before.name.clone(), c.row.name.clone()),
        ("email", before.email.clone(), c.row.email.clone()),
        ("phone", before.phone.clone(), c.row.phone.clone()),
        ("title", before.title.clone(), c.row.title.clone()),
        (
            "unit_name",
            before_unit.unwrap_or_default(),
            after_unit.unwrap_or_default(),
        ),
    ];
    let dash = |s: &str| {
        if s.is_empty() {
            "–".to_string()
        } else {
            s.to_string()
        }
    };
    pairs
        .iter()
        .filter(|(_, b, a)| b != a)
        .map(|(k, b, a)| {
            format!(
                "{}: {} → {}",
                ctx.t(&format!("import-col-{k}")),
                dash(b),
                dash(a)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn person_line(c: &import::PersonChange) -> Line {
    Line {
        name: c.row.name.clone(),
        detail: [c.row.email.as_str(), c.row.title.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn people_groups(ctx: &Ctx, plan: &PeoplePlan, units: &[OrgUnit]) -> Vec<Group> {
    vec![
        group(
            ctx,
            "create",
            ctx.t("import-group-create"),
            plan.create.iter().map(person_line).collect(),
        ),
        group(
            ctx,
            "update",
            ctx.t("import-group-update"),
            plan.update
                .iter()
                .map(|(p, c)| Line {
                    name: p.name.clone(),
                    detail: person_diff(ctx, p, c, units),
                })
                .collect(),
        ),
        group(
            ctx,
            "returning",
            ctx.t("import-group-returning"),
            plan.returning
                .iter()
                .map(|(p, c)| Line {
                    name: p.name.clone(),
                    detail: person_diff(ctx, p, c, units),
                })
                .collect(),
        ),
        group(
            ctx,
            "leave",
            ctx.t("import-group-leave"),
            plan.leave
                .iter()
                .map(|p| Line {
                    name: p.name.clone(),
                    detail: p.email.clone(),
                })
                .collect(),
        ),
        group(
            ctx,
            "new-units",
            ctx.t("import-group-new-units"),
            plan.new_units
                .iter()
                .map(|n| Line {
                    name: n.clone(),
                    detail: String::new(),
                })
                .collect(),
        ),
    ]
}

fn unit_groups(ctx: &Ctx, plan: &UnitPlan, units: &[OrgUnit]) -> Vec<Group> {
    let name_of_ext = |ext: &Option<String>| {
        ext.as_ref()
            .and_then(|e| units.iter().find(|u| u.external_id.as_ref() == Some(e)))
            .map(|u| u.name.clone())
            .or_else(|| ext.clone())
            .unwrap_or_else(|| "–".into())
    };
    let row_line = |r: &import::UnitRow| Line {
        name: r.name.clone(),
        detail: r
            .parent_external_id
            .as_ref()
            .map(|_| {
                ctx.tr
                    .s("import-unit-under", &name_of_ext(&r.parent_external_id))
            })
            .unwrap_or_default(),
    };
    vec![
        group(
            ctx,
            "create",
            ctx.t("import-group-units-create"),
            plan.create.iter().map(row_line).collect(),
        ),
        group(
            ctx,
            "update",
            ctx.t("import-group-units-update"),
            plan.update
                .iter()
                .map(|(u, r)| Line {
                    name: u.name.clone(),
                    detail: row_line(r).name_and_detail(),
                })
                .collect(),
        ),
        group(
            ctx,
            "restore",
            ctx.t("import-group-units-restore"),
            plan.restore.iter().map(|(_, r)| row_line(r)).collect(),
        ),
        group(
            ctx,
            "remove",
            ctx.t("import-group-units-remove"),
            plan.remove
                .iter()
                .map(|u| Line {
                    name: u.name.clone(),
                    detail: String::new(),
                })
                .collect(),
        ),
    ]
}

impl Line {
    fn name_and_detail(&self) -> String {
        if self.detail.is_empty() {
            self.name.clone()
        } else {
            format!("{}, {}", self.name, self.detail)
        }
    }
}

/// The roles that would have no holder left once `leaving` have left.
async fn roles_emptied_by(
    st: &AppState,
    member: &Member,
    leaving: &[Person],
) -> AppResult<Vec<Line>> {
    if leaving.is_empty() {
        return Ok(Vec::new());
    }
    let day = udrul_core::calendar::today();
    let mut held = st
        .store
        .list_assignments(&AssignmentFilter {
            member: Some(member.id),
            role: None,
        })
        .await?;
    let before: Vec<(udrul_core::RoleId, String)> = {
        let mut seen = std::collections::BTreeMap::new();
        for a in held.iter().filter(|a| a.on(day)) {
            seen.insert(a.role_id, a.role_name.clone());
        }
        seen.into_iter().collect()
    };
    let gone: std::collections::HashSet<_> = leaving.iter().map(|p| p.id).collect();
    let mut holders: std::collections::BTreeMap<udrul_core::RoleId, Vec<String>> =
        Default::default();
    for a in held.iter_mut() {
        if gone.contains(&a.person_id) {
            if a.on(day) {
                holders
                    .entry(a.role_id)
                    .or_default()
                    .push(a.person_name.clone());
            }
            a.person_left = true;
        }
    }
    let emptied: Vec<(udrul_core::RoleId, String)> = before
        .into_iter()
        .filter(|(role, _)| {
            holders.contains_key(role) && gallery::filled(&held, *role, day) != Filled::Held
        })
        .collect();
    Ok(emptied
        .into_iter()
        .map(|(role, name)| Line {
            name,
            detail: holders.remove(&role).unwrap_or_default().join(", "),
        })
        .collect())
}

fn outcome_groups(ctx: &Ctx, o: &ImportOutcome) -> Vec<Group> {
    let counted = |id: &'static str, key: &str, n: usize| Group {
        id,
        title: ctx.t(key),
        count: n,
        lines: Vec::new(),
        more: None,
    };
    vec![
        counted("create", "import-group-create", o.created),
        counted("update", "import-group-update", o.updated),
        counted("returning", "import-group-returning", o.returned),
        counted("leave", "import-group-leave", o.left),
        counted("units-create", "import-group-units-create", o.units_created),
        counted("units-update", "import-group-units-update", o.units_updated),
        counted(
            "units-restore",
            "import-group-units-restore",
            o.units_restored,
        ),
        counted("units-remove", "import-group-units-remove", o.units_removed),
    ]
    .into_iter()
    .filter(|g| g.count > 0)
    .collect()
}

async fn show_page<'a>(
    st: &AppState,
    ctx: &'a Ctx,
    member: Member,
    record: ImportRecord,
    notice: Option<String>,
) -> AppResult<ShowPage<'a>> {
    let mut groups = Vec::new();
    let mut unchanged = 0;
    let mut emptied = Vec::new();
    let mut stale = Vec::new();
    match (&record.outcome, &record.rows) {
        (Some(o), _) => {
            groups = outcome_groups(ctx, o);
            unchanged = o.unchanged;
            emptied = o
                .emptied
                .iter()
                .flat_map(|(person, roles)| {
                    roles.iter().map(move |r| Line {
                        name: r.clone(),
                        detail: person.clone(),
                    })
                })
                .collect();
        }
        (None, Some(ImportRows::People(rows))) => {
            let people = st.store.list_people(member.id).await?;
            let units = st.store.list_org_units(member.id).await?;
            match import::plan_people(&people, &units, rows) {
                Ok(plan) => {
                    groups = people_groups(ctx, &plan, &units);
                    unchanged = plan.unchanged;
                    emptied = roles_emptied_by(st, &member, &plan.leave).await?;
                }
                Err(e) => stale = e.errors.iter().map(|e| row_error_text(ctx, e)).collect(),
            }
        }
        (None, Some(ImportRows::OrgUnits(rows))) => {
            let units = st.store.list_org_units(member.id).await?;
            let plan = import::plan_units(&units, rows);
            groups = unit_groups(ctx, &plan, &units);
            unchanged = plan.unchanged;
        }
        (None, None) => {}
    }
    let changes = groups.iter().map(|g| g.count).sum();
    Ok(ShowPage {
        ctx,
        tab: "import",
        kind: kind_label(ctx, record.kind),
        created: ctx.tr.datetime(record.created_at),
        by: record
            .created_by_name
            .clone()
            .unwrap_or_else(|| ctx.t("import-by-system")),
        applied: record.applied_at.map(|t| {
            let by = record
                .applied_by_name
                .clone()
                .unwrap_or_else(|| ctx.t("import-by-system"));
            ctx.tr.args(
                "import-applied-at",
                &[("at", ctx.tr.datetime(t).into()), ("by", by.into())],
            )
        }),
        member,
        record,
        groups,
        unchanged,
        changes,
        emptied,
        stale,
        notice,
    })
}

async fn load(st: &AppState, actor: &Actor, id: i64) -> AppResult<(ImportRecord, Member)> {
    let record = st
        .store
        .get_import(ImportId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    // Another member's import does not exist for the caller (as with every
    // other member object), so that ids cannot be probed.
    if !actor.can_read_gallery(record.member_id) {
        return Err(AppError::NotFound);
    }
    let member = keepable(st, actor, record.member_id.0).await?;
    Ok((record, member))
}

/// `GET /imports/{id}`.
pub async fn show(
    State(st): State<AppState>,
    Authed { ctx, actor }: Authed,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> AppResult<Response> {
    let (record, member) = load(&st, &actor, id).await?;
    let notice = q
        .done
        .filter(|d| d == "applied")
        .map(|_| ctx.t("import-done-applied"));
    let page = show_page(&st, &ctx, member, record, notice).await?;
    Ok(Html(render(&page)).into_response())
}

/// `POST /imports/{id}/apply`.
pub async fn apply(
    State(st): State<AppState>,
    Authed { ctx, actor }: Authed,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (record, member) = load(&st, &actor, id).await?;
    match st
        .store
        .apply_import(&actor, record.id, udrul_core::calendar::today())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/imports/{id}?done=applied")).into_response()),
        Err(StoreError::Invalid(_)) => {
            let mut page = show_page(&st, &ctx, member, record, None).await?;
            if page.stale.is_empty() {
                page.stale.push(ctx.t("error-import-stale"));
            }
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(render(&page))).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
