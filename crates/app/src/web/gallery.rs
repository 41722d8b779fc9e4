//! A member's role gallery, people, function mailboxes and contact list
//! (issue 4). Everyone of the member and the central organisation reads
//! them; the member's administrators (and central administrators) keep them.
//!
//! - `GET/POST /members/{id}/gallery`: roles with their holders and the
//!   warnings (a required role nobody holds, or only people who have left);
//!   the form gives a person a role from/to a date.
//! - `GET /assignments/{id}/end`: asks to confirm ending a role holding (who,
//!   which role, the last day); `POST` with `confirm=1` ends it, a `POST`
//!   without it only shows the question again.
//! - `GET/POST /members/{id}/people`, `GET/POST /people/{id}`,
//!   `POST /people/{id}/left`: people and org units.
//! - `GET/POST /members/{id}/mailboxes`, `POST /mailboxes/{id}/delete`.
//! - `GET /members/{id}/contacts`: the contact list, derived from the gallery.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::Form;
use chrono::NaiveDate;
use serde::Deserialize;
use udrul_core::gallery::{
    self, Assignment, AssignmentInput, ChangeSource, Filled, Mailbox, MailboxInput, OrgUnit,
    Person, PersonInput,
};
use udrul_core::input::FieldErrors;
use udrul_core::store::AssignmentFilter;
use udrul_core::{Actor, AssignmentId, MailboxId, Member, PersonId, Role, StoreError};

use crate::auth::{Authed, Ctx};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::pages::render;
use crate::web::tasks::Choice;

pub fn routes() -> Vec<crate::web::Route> {
    vec![
        ("/members/{id}/gallery", get(show).post(assign)),
        ("/assignments/{id}/end", get(confirm_end).post(end)),
        ("/members/{id}/people", get(people).post(add_person)),
        ("/members/{id}/org-units", post(add_unit)),
        ("/people/{id}", get(person).post(update_person)),
        ("/people/{id}/left", post(left)),
        ("/members/{id}/mailboxes", get(mailboxes).post(add_mailbox)),
        ("/mailboxes/{id}/delete", post(delete_mailbox)),
        ("/members/{id}/contacts", get(contacts)),
        ("/notices/{id}/dismiss", post(dismiss_notice)),
    ]
}

/// The member, if `actor` may read its gallery (else 403; unknown: 404).
async fn readable(st: &AppState, actor: &Actor, id: i64) -> AppResult<Member> {
    let member = st
        .store
        .get_member(udrul_core::MemberId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    if !actor.can_read_gallery(member.id) {
        return Err(AppError::Forbidden);
    }
    Ok(member)
}

/// The member, if `actor` may keep its gallery.
pub(crate) async fn keepable(st: &AppState, actor: &Actor, id: i64) -> AppResult<Member> {
    let member = readable(st, actor, id).await?;
    if !actor.can_manage_gallery(member.id) {
        return Err(AppError::Forbidden);
    }
    Ok(member)
}

fn today() -> NaiveDate {
    udrul_core::calendar::today()
}

fn optional_id(v: &str) -> Option<i64> {
    v.trim().parse().ok()
}

/// Errors as a page with the form filled in again, 422.
fn invalid<T: Template>(t: &T) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, Html(render(t))).into_response()
}

// --- the gallery ------------------------------------------------------------------

/// One role's line in the gallery.
pub struct RoleLine {
    pub role: Role,
    pub filled: Filled,
    /// Holders today and later, in date order.
    pub holdings: Vec<Assignment>,
}

impl RoleLine {
    /// The most holders the catalogue allows, for "at most 2".
    pub fn max_note(&self) -> Option<i64> {
        self.role.max_holders.map(i64::from)
    }

    /// The warning to show, if the role is required and not really held.
    pub fn warning(&self) -> Option<&'static str> {
        match (self.role.required, self.filled) {
            (true, Filled::Empty) => Some("gallery-warning-empty"),
            (true, Filled::OnlyLeavers) => Some("gallery-warning-leavers"),
            _ => None,
        }
    }
}

#[derive(Template)]
#[template(path = "gallery.html")]
struct GalleryPage<'a> {
    ctx: &'a Ctx,
    member: Member,
    tab: &'static str,
    lines: Vec<RoleLine>,
    warnings: Vec<(String, &'static str)>,
    manage: bool,
    roles: Vec<Choice>,
    people: Vec<Choice>,
    f: AssignForm,
    errors: FieldErrors,
    notice: Option<String>,
    /// What imports and SCIM did to the gallery, for its administrators.
    notices: Vec<NoticeLine>,
}

/// A notice of roles left empty, in words.
pub struct NoticeLine {
    pub id: i64,
    pub text: String,
    pub roles: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    role_id: String,
    #[serde(default)]
    person_id: String,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    valid_to: String,
    #[serde(default)]
    is_primary: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    done: Option<String>,
}

/// Every role of the catalogue with the member's holdings from `day` on:
/// required roles first, then by name.
pub fn lines(roles: Vec<Role>, assignments: &[Assignment], day: NaiveDate) -> Vec<RoleLine> {
    let mut lines: Vec<RoleLine> = roles
        .into_iter()
        .map(|role| RoleLine {
            filled: gallery::filled(assignments, role.id, day),
            holdings: assignments
                .iter()
                .filter(|a| a.role_id == role.id && a.valid_to.is_none_or(|to| to >= day))
                .cloned()
                .collect(),
            role,
        })
        .collect();
    lines.sort_by(|a, b| {
        b.role
            .required
            .cmp(&a.role.required)
            .then_with(|| a.role.name.cmp(&b.role.name))
    });
    lines
}

fn choices<T>(
    items: &[T],
    selected: &str,
    value: impl Fn(&T) -> String,
    label: impl Fn(&T) -> String,
    blank: Option<String>,
) -> Vec<Choice> {
    blank
        .map(|b| Choice {
            value: String::new(),
            label: b,
            selected: selected.is_empty(),
        })
        .into_iter()
        .chain(items.iter().map(|i| {
            let v = value(i);
            Choice {
                selected: v == selected,
                label: label(i),
                value: v,
            }
        }))
        .collect()
}

async fn gallery_page<'a>(
    st: &AppState,
    ctx: &'a Ctx,
    actor: &Actor,
    member: Member,
    f: AssignForm,
    errors: FieldErrors,
    notice: Option<String>,
) -> AppResult<GalleryPage<'a>> {
    let day = today();
    let roles = st.store.list_roles().await?;
    let held = st
        .store
        .list_assignments(&AssignmentFilter {
            member: Some(member.id),
            role: None,
        })
        .await?;
    let manage = actor.can_manage_gallery(member.id);
    let people: Vec<Person> = if manage {
        st.store
            .list_people(member.id)
            .await?
            .into_iter()
            .filter(|p| p.left_at.is_none())
            .collect()
    } else {
        Vec::new()
    };
    let role_choices = choices(
        &roles,
        &f.role_id,
        |r| r.id.to_string(),
        |r| r.name.clone(),
        Some(ctx.t("form-choose")),
    );
    let people_choices = choices(
        &people,
        &f.person_id,
        |p| p.id.to_string(),
        |p| p.name.clone(),
        Some(ctx.t("form-choose")),
    );
    let notices = if manage {
        st.store
            .list_notices(member.id)
            .await?
            .into_iter()
            .map(|n| NoticeLine {
                id: n.id.0,
                text: ctx.tr.args(
                    "gallery-notice-left",
                    &[
                        ("name", n.person_name.clone().into()),
                        (
                            "source",
                            ctx.t(&format!("change-source-{}", n.source.as_str()))
                                .into(),
                        ),
                        ("at", ctx.tr.datetime(n.created_at).into()),
                    ],
                ),
                roles: n.roles.join(", "),
            })
            .collect()
    } else {
        Vec::new()
    };
    let lines = lines(roles, &held, day);
    let warnings = lines
        .iter()
        .filter_map(|l| l.warning().map(|w| (l.role.name.clone(), w)))
        .collect();
    Ok(GalleryPage {
        ctx,
        member,
        tab: "gallery",
        lines,
        warnings,
        manage,
        roles: role_choices,
        people: people_choices,
        f,
        errors,
        notice,
        notices,
    })
}

pub async fn show(
    State(st): State<AppState>,
    Authed { ctx, actor }: Authed,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let member = readable(&st, &actor, id).await?;
    let notice = q.done.as_deref().map(|k| notice_text(&ctx, k));
    let page = gallery_page(
        &st,
        &ctx,
        &actor,
        member,
        AssignForm::default(),
        FieldErrors::default(),
        notice,
    )
    .await?;
    Ok(Html(render(&page)).into_response())
}

/// The words for a `?done=` notice; unknown keys say nothing special.
fn notice_text(ctx: &Ctx, key: &str) -> String {
    match key {
        "assigned" => ctx.t("gallery-assigned"),
        "ended" => ctx.t("gallery-ended"),
        "person" => ctx.t("people-saved"),
        "unit" => ctx.t("people-unit-saved"),
        "mailbox" => ctx.t("mailbox-saved"),
        "mailbox-deleted" => ctx.t("mailbox-deleted"),
        "dismissed" => ctx.t("gallery-notice-dismissed"),
        _ => ctx.t("saved"),
    }
}

pub async fn assign(
    State(st): State<AppState>,
    Authed { ctx, actor }: Authed,
    Path(id): Path<i64>,
    Form(f): Form<AssignForm>,
) -> AppResult<Response> {
    let member = keepable(&st, &actor, id).await?;
    let mut pre = FieldErrors::default();
    let role = optional_id(&f.role_id);
    let person = optional_id(&f.person_id);
    if role.is_none() {
        pre.add("role_id", "error-required");
    }
    if person.is_none() {
        pre.add("person_id", "error-required");
    }
    let parsed = AssignmentInput::parse(
        role.unwrap_or(0),
        person.unwrap_or(0),
        &f.valid_from,
        &f.valid_to,
        f.is_primary.is_some(),
        today(),
    );
    let result = match (pre.is_empty(), parsed) {
        (true, Ok(input)) => st
            .store
            .assign_role(&actor, member.id, input)
            .await
            .map(|_| ()),
        (_, Ok(_)) => Err(StoreError::Invalid(pre)),
        (_, Err(mut e)) => {
            e.0.extend(pre.0);
            Err(StoreError::Invalid(e))
        }
    };
    match result {
        Ok(()) => Ok(
            Redirect::to(&format!("/members/{}/gallery?done=assigned", member.id)).into_response(),
        ),
        Err(StoreError::Invalid(errors)) => {
            let page = gallery_page(&st, &ctx, &actor, member, f, errors, None).await?;
            Ok(invalid(&page))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct EndForm {
    /// The last day; empty: today.
    #[serde(default)]
    on: String,
    /// Set by the confirmation page's button; without it nothing ends.
    #[serde(default)]
    confirm: String,
}

#[derive(Template)]
#[template(path = "assignment_end.html")]
struct EndPage<'a> {
    ctx: &'a Ctx,
    member: Member,
    held: Assignment,
    from: String,
    on: String,
    errors: FieldErrors,
}

/// The holding `id`, if `actor` may keep its member's gallery: another
/// member's is 404, one `actor` may only read is 403.
async fn keepable_holding(
    st: &AppState,
    actor: &Actor,
    id: i64,
) -> AppResult<(Member, Assignment)> {
    let held = st
        .store
        .get_assignment(AssignmentId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    if !actor.can_read_gallery(held.member_id) {
        return Err(AppError::NotFound);
    }
    let member = keepable(st, actor, held.member_id.0).await?;
    Ok((member, held))
}

fn end_page<'a>(
    ctx: &'a Ctx,
    member: Member,
    held: Assignment,
    on: String,
    errors: FieldErrors,
) -> EndPage<'a> {
    EndPage {
        ctx,
        member,
        from: ctx.tr.date(held.valid_from),
        held,
        on,
        errors,
    }
}

/// `GET /assignments/{id}/end`: what will end, and on which day, with the
/// button that does it. Nothing changes here.
pub async fn confirm_end(
    State(st): State<AppState>,
    Authed { ctx, actor }: Authed,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (member, held) = keepable_holding(&st, &actor, id).await?;
    let on = today().to_string();
    Ok(Html(render(&end_page(
        &ctx,
        member,
        held,
        on,
        FieldErrors::default(),
    )))
    .into_response())
}

pub async fn end(
    State(st): State<AppState>,
    Authed { ctx, actor }: Authed,
    Path(id): Path<i64>,
    Form(f): Form<EndForm>,
) -> AppResult<Response> {
    let (member, held) = keepable_holding(&st, &actor, id).await?;
    let mut e = FieldErrors::default();
    let on = udrul_core::input::parse_date(&mut e, "on", &f.on, false).unwrap_or_else(today);
    if !e.is_empty() {
        let page = end_page(&ctx, member, held, f.on, e);
        return Ok(invalid(&page));
    }
    if f.confirm != "1" {
        // Not confirmed (an old form, a stray request): ask first.
        let page = end_page(&ctx, member, held, on.to_string(), FieldErrors::default());
        return Ok(Html(render(&page)).into_response());
    }
    st.store.end_assignment(&actor, held.id, on).await?;
    Ok(Redirect::to(&format!("/members/{}/gallery?done=ended", held.member_id)).into_response())
}

/// `POST /notices/{id}/dismiss`: an administrator has read a notice.
pub async fn dismiss_notice(
    State(st): State<AppState>,
    Authed { actor, .. }: Authed,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    // The store checks that `actor` keeps the notice's member (403); a
    // notice gone or dismissed already is 404.
    let notice = st
        .store
        .dismiss_notice(&actor, udrul_core::NoticeId(id))
        .await?;
    let back = format!("/members/{}/gallery?done=dismissed", notice.member_id);
    Ok(Redirect::to(&back).into_response())
}

// --- people and org units -------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PersonForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    org_unit_id: String,
    #[serde(default)]
    external_id: String,
}

impl PersonForm {
    fn of(p: &Person) -> PersonForm {
        PersonForm {
            name: p.name.clone(),
            email: p.email.clone(),
            phone: p.phone.clone(),
            title: p.title.clone(),
            org_unit_id: p.org_unit_id.map(|u| u.to_string()).unwrap_or_default(),
            external_id: p.external_id.clone().unwrap_or_default(),
        }
    }

    fn parse(&self) -> Result<PersonInput, FieldErrors> {
        PersonInput::parse(
            &self.external_id,
            &self.name,
            &self.email,
            &self.phone,
            &self.title,
            optional_id(&self.org_unit_id),
        )
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct UnitForm {
    #[serde(default)]
    unit_name: String,
    #[serde(default)]
    parent_id: String,
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage<'a> {
    ctx: &'a Ctx,
    member: Member,
    tab: &'static str,
    people: Vec<Person>,
    units: Vec<OrgUnit>,
    manage: bool,
    unit_choices: Vec<Choice>,
    parent_choices: Vec<Choice>,
    f: PersonForm,
    u: UnitForm,
    errors: FieldErrors,
    notice: Option<String>,
}

fn unit_choices(ctx: &Ctx, units: &[OrgUnit], selected: &str) -> Vec<Choice> {
    let live: Vec<&OrgUnit> = units.iter().filter(|u| !u.removed).collect();
    choices(
        &live,
        selected,
        |u| u.id.to_string(),
        |u| u.name.clone(),
        Some(ctx.t("people-no-unit")),
    )
}

#[allow(clippy::too_many_arguments)]
async fn people_page<'a>(
    st: &AppState,
    ctx: &'a Ctx,
    actor: &Actor,
    member: Member,
    f: PersonForm,
    u: UnitForm,
    errors: FieldErrors,
    notice: Option<String>,
) -> AppResult<PeoplePage<'a>> {
    let people = st.store.list_people(member.id).await?;
    let units = st.store.list_org_units(member.id).await?;
    Ok(PeoplePage {
        ctx,
        tab: "people",
        manage: actor.can_manage_gallery(member.id),
        unit_choices: unit_choices(ctx, &units, &f.org_unit_id),
        parent_choices: unit_choices(ctx, &units, &u.parent_id),
        member,
        people,
        units,
        f,
        u,
        errors,
        notice,
    })
}

pub async fn people(
    State(st): State<AppState>,
    Authed { ctx, actor }: Authed,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let member = readable(&st, &actor, id).await?;
    let notice = q.done.as_deref().map(|k| notice_text(&ctx, k));
    let page = people_page(
        &st,
        &ctx,
        &actor,
        member,
        PersonForm::default(),
        UnitForm::default(),
        FieldErrors::default(),
        notice,
    )
    .await?;
    Ok(Html(render(&page)).into_response())
}

/// A duplicate external id, as a field error.
fn person_errors(e: StoreError) -> Result<FieldErrors, AppError> {
    match e {
        StoreError::Invalid(errors) => Ok(errors),
        StoreError::Duplicate(_) => {
            let mut errors = FieldErrors::default();
            errors.add("external_id", "error-duplicate");
            Ok(errors)
        }
        e => Err(e.into()),
    }
}

pub async fn add_person(
    State(st): State<AppState>,
    Authed { ctx, actor }: Authed,
    Path(id): Path<i64>,
    Form(f): Form<PersonForm>,
) -> AppResult<Response> {
    let member = keepable(&st, &actor, id).await?;
    let result = match f.parse() {
        Ok(input) => st.store.create_person(&actor, member.id, input).await,
        Err(errors) => Err(StoreError::Invalid(errors)),
    };
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/members/{}/people?done=person", member.id)).into_response())
        }
        Err(e) => {
            let errors = person_errors(e)?;
            let page = people_page(
                &st,
                &ctx,
                &actor,
                member,
                f,
                UnitForm::default(),
                errors,
                None,
            )
            .await?;
            Ok(invalid(&page))
        }
    }
}

pub async fn add_unit(
    State(st): State<AppState>,
    Authed { ctx, actor }: Authed,
    Path(id): Path<i64>,
    Form(u): Form<UnitForm>,
) -> AppResult<Response> {
    let member = keepable(&st, &actor, id).await?;
    let mut errors = FieldErrors::default();
    let name = errors.required("unit_name", &u.unit_name, udrul_core::input::MAX_SHORT);
    let result = if errors.is_empty() {
        st.store
            .create_org_unit(
                &actor,
                member.id,
                udrul_core::gallery::OrgUnitInput {
                    external_id: None,
                    name,
                    parent_id: optional_id(&u.parent_id).map(udrul_core::OrgUnitId),
                },
            )
            .await
            .map(|_| ())
    } else {
        Err(StoreError::Invalid(errors))
    };
    match result {
        Ok(()) => {
            Ok(Redirect::to(&format!("/members/{}/people?done=unit", member.id)).into_response())
        }
        Err(StoreError::Invalid(errors)) => {
            let page = people_page(
                &st,
                &ctx,
                &actor,
                member,
                PersonForm::default(),
                u,
                errors,
                None,
            )
            .await?;
            Ok(invalid(&page))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage<'a> {
    ctx: &'a Ctx,
    member: Member,
    person: Person,
    holdings: Vec<Assignment>,
    manage: bool,
    unit_choices: Vec<Choice>,
    f: PersonForm,
    errors: FieldErrors,
}

/// The person and their member, if `actor` may read them (else 404).
async fn person_of(st: &AppState, actor: &Actor, id: i64) -> AppResult<(Person, Member)> {
    let person = st
        .store
        .get_person(PersonId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    let member = readable(st, actor, person.member_id.0)
        .await
        .map_err(|_| AppError::NotFound)?;
    Ok((person, member))
}

async fn person_page<'a>(
    st: &AppState,
    ctx: &'a Ctx,
    actor: &Actor,
    person: Person,
    member: Member,
    f: PersonForm,
    errors: FieldErrors,
) -> AppResult<PersonPage<'a>> {
    let units = st.store.list_org_units(member.id).await?;
    let holdings = st
        .store
        .list_assignments(&AssignmentFilter {
            member: Some(member.id),
            role: None,
        })
        .await?
        .into_iter()
        .filter(|a| a.person_id == person.id)
        .collect();
    Ok(PersonPage {
        ctx,
        manage: actor.can_manage_gallery(member.id) && person.left_at.is_none(),
        unit_choices: unit_choices(ctx, &units, &f.org_unit_id),
        member,
        person,
        holdings,
        f,
        errors,
    })
}

pub async fn person(
    State(st): State<AppState>,
    Authed { ctx, actor }: Authed,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (person, member) = person_of(&st, &actor, id).await?;
    let f = PersonForm::of(&person);
    let page = person_page(&st, &ctx, &actor, person, member, f, FieldErrors::default()).await?;
    Ok(Html(render(&page)).into_response())
}

pub async fn update_person(
    State(st): State<AppState>,
    Authed { ctx, actor }: Authed,
    Path(id): Path<i64>,
    Form(f): Form<PersonForm>,
) -> AppResult<Response> {
    let (person, member) = person_of(&st, &actor, id).await?;
    if !actor.can_manage_gallery(member.id) {
        return Err(AppError::Forbidden);
    }
    let result = match f.parse() {
        Ok(input) => st.store.update_person(&actor, person.id, input).await,
        Err(errors) => Err(StoreError::Invalid(errors)),
    };
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/members/{}/people?done=person", member.id)).into_response())
        }
        Err(e) => {
            let errors = person_errors(e)?;
            let page = person_page(&st, &ctx, &actor, person, member, f, errors).await?;
            Ok(invalid(&page))
        }
    }
}

#[derive(Template)]
#[template(path = "person_left.html")]
struct LeftPage<'a> {
    ctx: &'a Ctx,
    member: Member,
    person: Person,
    emptied: Vec<Role>,
}

/// `POST /people/{id}/left`: the person has left today. The page says
/// which roles nobody holds now.
pub async fn left(
    State(st): State<AppState>,
    Authed { ctx, actor }: Authed,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (person, member) = person_of(&st, &actor, id).await?;
    let emptied = st
        .store
        .person_left(&actor, person.id, today(), ChangeSource::Manual)
        .await?;
    let person = st
        .store
        .get_person(person.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Html(render(&LeftPage {
        ctx: &ctx,
        member,
        person,
        emptied,
    }))
    .into_response())
}

// --- mailboxes ------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize)]
pub struct MailboxForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role_id: String,
}

#[derive(Template)]
#[template(path = "mailboxes.html")]
struct MailboxesPage<'a> {
    ctx: &'a Ctx,
    member: Member,
    tab: &'static str,
    mailboxes: Vec<Mailbox>,
    manage: bool,
    roles: Vec<Choice>,
    f: MailboxForm,
    errors: FieldErrors,
    notice: Option<String>,
}

async fn mailboxes_page<'a>(
    st: &AppState,
    ctx: &'a Ctx,
    actor: &Actor,
    member: Member,
    f: MailboxForm,
    errors: FieldErrors,
    notice: Option<String>,
) -> AppResult<MailboxesPage<'a>> {
    let roles = st.store.list_roles().await?;
    Ok(MailboxesPage {
        ctx,
        tab: "mailboxes",
        mailboxes: st.store.list_mailboxes(member.id).await?,
        manage: actor.can_manage_gallery(member.id),
        roles: choices(
            &roles,
            &f.role_id,
            |r| r.id.to_string(),
            |r| r.name.clone(),
            Some(ctx.t("mailbox-general")),
        ),
        member,
        f,
        errors,
        notice,
    })
}

pub async fn mailboxes(
    State(st): State<AppState>,
    Authed { ctx, actor }: Authed,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let member = readable(&st, &actor, id).await?;
    let notice = q.done.as_deref().map(|k| notice_text(&ctx, k));
    let page = mailboxes_page(
        &st,
        &ctx,
        &actor,
        member,
        MailboxForm::default(),
        FieldErrors::default(),
        notice,
    )
    .await?;
    Ok(Html(render(&page)).into_response())
}

pub async fn add_mailbox(
    State(st): State<AppState>,
    Authed { ctx, actor }: Authed,
    Path(id): Path<i64>,
    Form(f): Form<MailboxForm>,
) -> AppResult<Response> {
    let member = keepable(&st, &actor, id).await?;
    let result = match MailboxInput::parse(optional_id(&f.role_id), &f.name, &f.email) {
        Ok(input) => st
            .store
            .create_mailbox(&actor, member.id, input)
            .await
            .map(|_| ()),
        Err(errors) => Err(StoreError::Invalid(errors)),
    };
    match result {
        Ok(()) => Ok(
            Redirect::to(&format!("/members/{}/mailboxes?done=mailbox", member.id)).into_response(),
        ),
        Err(StoreError::Invalid(errors)) => {
            let page = mailboxes_page(&st, &ctx, &actor, member, f, errors, None).await?;
            Ok(invalid(&page))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete_mailbox(
    State(st): State<AppState>,
    Authed { actor, .. }: Authed,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let mailbox = st
        .store
        .get_mailbox(MailboxId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    if !actor.can_read_gallery(mailbox.member_id) {
        return Err(AppError::NotFound);
    }
    st.store.delete_mailbox(&actor, mailbox.id).await?;
    Ok(Redirect::to(&format!(
        "/members/{}/mailboxes?done=mailbox-deleted",
        mailbox.member_id
    ))
    .into_response())
}

// --- the contact list -----------------------------------------------------------------

/// One role's contacts: who holds it today, and its mailboxes.
pub struct ContactLine {
    pub role: Role,
    pub holders: Vec<(Assignment, Option<Person>)>,
    pub mailboxes: Vec<Mailbox>,
}

#[derive(Template)]
#[template(path = "contacts.html")]
struct ContactsPage<'a> {
    ctx: &'a Ctx,
    member: Member,
    tab: &'static str,
    general: Vec<Mailbox>,
    lines: Vec<ContactLine>,
}

/// The member's contact list on `day`: every role someone holds or that
/// has a mailbox, with the holders' details; primary holders first.
pub fn contact_lines(
    roles: Vec<Role>,
    assignments: &[Assignment],
    people: &[Person],
    mailboxes: &[Mailbox],
    day: NaiveDate,
) -> Vec<ContactLine> {
    roles
        .into_iter()
        .filter_map(|role| {
            let mut holders: Vec<(Assignment, Option<Person>)> = assignments
                .iter()
                .filter(|a| a.role_id == role.id && a.on(day) && !a.person_left)
                .map(|a| {
                    (
                        a.clone(),
                        people.iter().find(|p| p.id == a.person_id).cloned(),
                    )
                })
                .collect();
            holders.sort_by(|(a, _), (b, _)| {
                b.is_primary
                    .cmp(&a.is_primary)
                    .then_with(|| a.person_name.cmp(&b.person_name))
            });
            let boxes: Vec<Mailbox> = mailboxes
                .iter()
                .filter(|m| m.role_id == Some(role.id))
                .cloned()
                .collect();
            (!holders.is_empty() || !boxes.is_empty()).then_some(ContactLine {
                role,
                holders,
                mailboxes: boxes,
            })
        })
        .collect()
}

pub async fn contacts(
    State(st): State<AppState>,
    Authed { ctx, actor }: Authed,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let member = readable(&st, &actor, id).await?;
    let roles = st.store.list_roles().await?;
    let held = st
        .store
        .list_assignments(&AssignmentFilter {
            member: Some(member.id),
            role: None,
        })
        .await?;
    let people = st.store.list_people(member.id).await?;
    let boxes = st.store.list_mailboxes(member.id).await?;
    let general = boxes
        .iter()
        .filter(|m| m.role_id.is_none())
        .cloned()
        .collect();
    let lines = contact_lines(roles, &held, &people, &boxes, today());
    Ok(Html(render(&ContactsPage {
        ctx: &ctx,
        member,
        tab: "contacts",
        general,
        lines,
    }))
    .into_response())
}
