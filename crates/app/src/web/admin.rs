//! User administration: `GET /admin/users` (the users an administrator may
//! manage), `GET|POST /admin/users/{id}` (a user's role, member and whether
//! they are active; for a robot also its API tokens), `GET|POST
//! /admin/robots` (a new robot user), `POST /admin/users/{id}/tokens` (a new
//! robot token, its secret shown once) and `POST /admin/tokens/{id}/revoke`.
//!
//! Central administrators manage every user, member administrators their own
//! member's (`Actor::can_manage_users`, `Actor::can_manage_user`); everyone
//! else gets 403. Another member's users and tokens do not exist for a
//! member administrator (404), here and in the store. Lists and pages of
//! users are reads of personal data and go to the audit log.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::Form;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde::Deserialize;
use udrul_core::access::{AccessRole, Permission, Permissions};
use udrul_core::input::{FieldError, FieldErrors};
use udrul_core::store::{AuditEntry, NewRobotToken, NewUser, UserAccess};
use udrul_core::{Actor, Member, MemberId, RobotToken, StoreError, User, UserId, calendar};

use crate::auth::{self, Authed, Ctx};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::pages::render;

/// Default lifetime of a new robot token, in days.
pub const TOKEN_DEFAULT_DAYS: i64 = 90;
/// The longest lifetime of a robot token, in days.
pub const TOKEN_MAX_DAYS: i64 = 365;
const MAX_NAME: usize = 200;
const MAX_USERNAME: usize = 64;

pub fn routes() -> Vec<crate::web::Route> {
    vec![
        ("/admin/users", get(list)),
        ("/admin/users/{id}", get(show).post(update_access)),
        ("/admin/users/{id}/tokens", post(create_token)),
        ("/admin/robots", get(robot_form).post(create_robot)),
        ("/admin/tokens/{id}/revoke", post(revoke_token)),
    ]
}

/// A logged-in user who may manage users (central or member administrator).
struct Admin {
    ctx: Ctx,
    actor: Actor,
}

fn admin(Authed { ctx, actor }: Authed) -> AppResult<Admin> {
    if actor.can_manage_users() {
        Ok(Admin { ctx, actor })
    } else {
        Err(AppError::Forbidden)
    }
}

/// Which member's users the actor sees: `None` for all (central), else their
/// own member. A member administrator without a member sees nobody.
fn own_member(actor: &Actor) -> AppResult<Option<MemberId>> {
    if actor.role == AccessRole::CentralAdmin {
        Ok(None)
    } else {
        actor.member_id.map(Some).ok_or(AppError::Forbidden)
    }
}

/// The user `id` if the actor may manage them; 404 otherwise (another
/// member's users and the central accounts do not exist for a member
/// administrator).
async fn managed_user(st: &AppState, actor: &Actor, id: i64) -> AppResult<User> {
    let user = st
        .store
        .get_user(UserId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    if actor.can_manage_user(user.member_id, user.role) {
        Ok(user)
    } else {
        Err(AppError::NotFound)
    }
}

pub fn role_label(ctx: &Ctx, r: AccessRole) -> String {
    ctx.t(&format!("role-{}", r.as_str()))
}

pub fn permission_label(ctx: &Ctx, p: Permission) -> String {
    match p {
        Permission::InstancesRead => ctx.t("permission-instances-read"),
        Permission::InstancesWrite => ctx.t("permission-instances-write"),
        Permission::PeopleWrite => ctx.t("permission-people-write"),
    }
}

fn member_label(m: &Member) -> String {
    format!("{} ({})", m.name, m.code)
}

// ------------------------------------------------------------------ list

pub struct UserRow {
    pub id: i64,
    pub display_name: String,
    pub username: String,
    pub role: String,
    pub robot: bool,
    pub member: String,
    pub active: bool,
}

/// Users on one page of the list.
pub const USERS_PAGE: u32 = 50;

/// The search of the user list: text, and for central administrators role
/// and member; `page` from 1.
#[derive(Debug, Default, Deserialize)]
pub struct UsersQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    member: String,
    #[serde(default)]
    page: Option<u32>,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage<'a> {
    ctx: &'a Ctx,
    lead: String,
    rows: Vec<UserRow>,
    q: String,
    /// Role and member filters (central administrators only).
    central: bool,
    roles: Vec<Choice>,
    members: Vec<Choice>,
    /// "1-50 of 213", and the links to the pages before and after.
    shown: String,
    prev: Option<String>,
    next: Option<String>,
}

/// The list's query string for page `page`, keeping the search.
fn users_href(q: &str, role: &str, member: &str, page: u32) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [("q", q), ("role", role), ("member", member)] {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    if page > 1 {
        s.append_pair("page", &page.to_string());
    }
    let qs = s.finish();
    if qs.is_empty() {
        "/admin/users".into()
    } else {
        format!("/admin/users?{qs}")
    }
}

pub async fn list(
    State(st): State<AppState>,
    a: Authed,
    Query(query): Query<UsersQuery>,
) -> AppResult<Response> {
    let Admin { ctx, actor } = admin(a)?;
    let own = own_member(&actor)?;
    let central = own.is_none();
    let text: String = query.q.trim().chars().take(MAX_NAME).collect();
    // Filters the actor may not use are ignored, never widened: a member
    // administrator's list is their member's whatever the query says.
    let role = if central {
        AccessRole::parse(query.role.trim())
    } else {
        None
    };
    let member = match own {
        Some(m) => Some(m),
        None => query.member.trim().parse::<i64>().ok().map(MemberId),
    };
    let page_no = query.page.unwrap_or(1).clamp(1, 100_000);
    let found = st
        .store
        .search_users(&udrul_core::store::UserFilter {
            member,
            role,
            text: text.clone(),
            offset: (page_no - 1) * USERS_PAGE,
            limit: USERS_PAGE,
        })
        .await?;
    let all_members = st.store.list_members().await?;
    let members: HashMap<MemberId, Member> =
        all_members.iter().map(|m| (m.id, m.clone())).collect();
    st.store
        .record_audit(
            Some(&actor),
            AuditEntry {
                action: "user.list",
                object_type: "user",
                member_id: member,
                after: serde_json::to_string(&serde_json::json!({
                    "users": found.users.len(),
                    "total": found.total,
                    "search": text,
                    "role": role.map(AccessRole::as_str),
                    "page": page_no,
                }))
                .ok(),
                ..AuditEntry::default()
            },
        )
        .await?;
    let none = ctx.t("member-none");
    let first = i64::from((page_no - 1) * USERS_PAGE);
    let count = found.users.len();
    let rows = found
        .users
        .into_iter()
        .map(|u| UserRow {
            id: u.id.0,
            role: role_label(&ctx, u.role),
            robot: u.role == AccessRole::Robot,
            member: u
                .member_id
                .and_then(|m| members.get(&m))
                .map_or_else(|| none.clone(), member_label),
            display_name: u.display_name,
            username: u.username,
            active: u.active,
        })
        .collect();
    let lead = match own.and_then(|m| members.get(&m)) {
        Some(m) => ctx.tr.s("users-lead-member", &m.name),
        None => ctx.t("users-lead-central"),
    };
    let role_value = role.map_or("", AccessRole::as_str);
    let member_value = if central {
        member.map(|m| m.0.to_string()).unwrap_or_default()
    } else {
        String::new()
    };
    let shown = if count == 0 {
        String::new()
    } else {
        ctx.tr.args(
            "users-shown",
            &[
                ("from", (first + 1).into()),
                ("to", (first + i64::try_from(count).unwrap_or(0)).into()),
                ("total", found.total.into()),
            ],
        )
    };
    let prev = (page_no > 1).then(|| users_href(&text, role_value, &member_value, page_no - 1));
    let next = (first + i64::try_from(count).unwrap_or(0) < found.total)
        .then(|| users_href(&text, role_value, &member_value, page_no + 1));
    let mut roles = vec![Choice {
        value: String::new(),
        label: ctx.t("users-any-role"),
        selected: role.is_none(),
    }];
    roles.extend(AccessRole::ALL.into_iter().map(|r| Choice {
        value: r.as_str().to_string(),
        label: role_label(&ctx, r),
        selected: Some(r) == role,
    }));
    let mut member_choices = vec![Choice {
        value: String::new(),
        label: ctx.t("users-any-member"),
        selected: member_value.is_empty(),
    }];
    if central {
        member_choices.extend(all_members.iter().map(|m| Choice {
            value: m.id.0.to_string(),
            label: member_label(m),
            selected: m.id.0.to_string() == member_value,
        }));
    }
    Ok(Html(render(&UsersPage {
        ctx: &ctx,
        lead,
        rows,
        q: text,
        central,
        roles,
        members: member_choices,
        shown,
        prev,
        next,
    }))
    .into_response())
}

// ------------------------------------------------------------------ one user

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub permissions: Vec<String>,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub state: String,
    pub live: bool,
}

/// What the token form shows.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    permissions: Vec<String>,
    #[serde(default)]
    expires: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AccessForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    member_id: String,
    #[serde(default)]
    active: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage<'a> {
    ctx: &'a Ctx,
    u: User,
    robot: bool,
    role: String,
    member: String,
    /// Central administrators choose the member; others see it.
    choose_member: bool,
    roles: Vec<Choice>,
    members: Vec<Choice>,
    active: bool,
    tokens: Vec<TokenRow>,
    token_name: String,
    permissions: Vec<Choice>,
    expires: String,
    expires_hint: String,
    errors: FieldErrors,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    unchanged: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    revoked: Option<String>,
}

fn default_expiry() -> NaiveDate {
    calendar::today() + Duration::days(TOKEN_DEFAULT_DAYS)
}

/// The moment a token chosen to expire on `d` ends: the start of the next
/// day in Copenhagen.
fn end_of_day(d: NaiveDate) -> DateTime<Utc> {
    let next = (d + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default();
    chrono_tz::Europe::Copenhagen
        .from_local_datetime(&next)
        .earliest()
        .map_or_else(|| next.and_utc(), |t| t.with_timezone(&Utc))
}

struct PageInput<'a> {
    access: Option<&'a AccessForm>,
    token: Option<&'a TokenForm>,
    errors: FieldErrors,
    notice: Option<String>,
}

async fn user_page(
    st: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    u: User,
    input: PageInput<'_>,
) -> AppResult<String> {
    let members = st.store.list_members().await?;
    let member = u
        .member_id
        .and_then(|m| members.iter().find(|x| x.id == m))
        .map_or_else(|| ctx.t("member-none"), member_label);
    let choose_member = actor.role == AccessRole::CentralAdmin;
    let (role_value, member_value, active) = match input.access {
        Some(f) => (f.role.clone(), f.member_id.clone(), f.active.is_some()),
        None => (
            u.role.as_str().to_string(),
            u.member_id.map(|m| m.0.to_string()).unwrap_or_default(),
            u.active,
        ),
    };
    let roles = AccessRole::ALL
        .into_iter()
        .filter(|r| choose_member || r.member_assignable())
        .map(|r| Choice {
            value: r.as_str().to_string(),
            label: role_label(ctx, r),
            selected: r.as_str() == role_value,
        })
        .collect();
    let mut member_choices = vec![Choice {
        value: String::new(),
        label: ctx.t("member-none"),
        selected: member_value.is_empty(),
    }];
    if choose_member {
        member_choices.extend(members.iter().map(|m| Choice {
            value: m.id.0.to_string(),
            label: member_label(m),
            selected: m.id.0.to_string() == member_value,
        }));
    }
    let robot = u.role == AccessRole::Robot;
    let now = Utc::now();
    let tokens = if robot {
        st.store
            .list_robot_tokens(u.member_id)
            .await?
            .into_iter()
            .filter(|t| t.user_id == u.id)
            .map(|t| token_row(ctx, &t, now))
            .collect()
    } else {
        Vec::new()
    };
    let (token_name, ticked, expires) = match input.token {
        Some(f) => (f.name.clone(), f.permissions.clone(), f.expires.clone()),
        None => (
            String::new(),
            vec![Permission::InstancesRead.as_str().to_string()],
            default_expiry().to_string(),
        ),
    };
    let permissions = Permission::ALL
        .into_iter()
        .map(|p| Choice {
            value: p.as_str().to_string(),
            label: permission_label(ctx, p),
            selected: ticked.iter().any(|t| t == p.as_str()),
        })
        .collect();
    Ok(render(&UserPage {
        ctx,
        robot,
        role: role_label(ctx, u.role),
        member,
        choose_member,
        roles,
        members: member_choices,
        active,
        tokens,
        token_name,
        permissions,
        expires,
        expires_hint: ctx.tr.args(
            "hint-expires",
            &[
                ("n", TOKEN_DEFAULT_DAYS.into()),
                ("max", TOKEN_MAX_DAYS.into()),
            ],
        ),
        errors: input.errors,
        notice: input.notice,
        u,
    }))
}

fn token_row(ctx: &Ctx, t: &RobotToken, now: DateTime<Utc>) -> TokenRow {
    let state = match t.revoked_at {
        Some(at) => ctx.tr.s("token-state-revoked", &ctx.tr.datetime(at)),
        None if t.expires_at <= now => ctx.t("token-state-expired"),
        None => ctx.t("token-state-live"),
    };
    TokenRow {
        id: t.id,
        name: t.name.clone(),
        permissions: t
            .permissions
            .list()
            .into_iter()
            .map(|p| permission_label(ctx, p))
            .collect(),
        created: ctx.tr.datetime(t.created_at),
        expires: ctx.tr.datetime(t.expires_at),
        last_used: t
            .last_used_at
            .map_or_else(|| ctx.t("token-never-used"), |at| ctx.tr.datetime(at)),
        state,
        live: t.revoked_at.is_none(),
    }
}

async fn audit_user_read(st: &AppState, actor: &Actor, u: &User) -> AppResult<()> {
    st.store
        .record_audit(
            Some(actor),
            AuditEntry {
                action: "user.read",
                object_type: "user",
                object_id: Some(u.id.0),
                member_id: u.member_id,
                person_id: Some(u.id),
                ..AuditEntry::default()
            },
        )
        .await?;
    Ok(())
}

pub async fn show(
    State(st): State<AppState>,
    a: Authed,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> AppResult<Response> {
    let Admin { ctx, actor } = admin(a)?;
    let u = managed_user(&st, &actor, id).await?;
    audit_user_read(&st, &actor, &u).await?;
    let notice = if q.saved.is_some() {
        Some(ctx.t("user-access-saved"))
    } else if q.unchanged.is_some() {
        Some(ctx.t("user-access-unchanged"))
    } else if q.created.is_some() {
        Some(ctx.t("robot-created"))
    } else if q.revoked.is_some() {
        Some(ctx.t("token-revoked"))
    } else {
        None
    };
    let html = user_page(
        &st,
        &ctx,
        &actor,
        u,
        PageInput {
            access: None,
            token: None,
            errors: FieldErrors::default(),
            notice,
        },
    )
    .await?;
    Ok(Html(html).into_response())
}

fn parse_access(actor: &Actor, f: &AccessForm) -> Result<UserAccess, FieldErrors> {
    let mut errs = FieldErrors::default();
    let role = AccessRole::parse(f.role.trim());
    if role.is_none() {
        errs.add("role", "error-choice");
    }
    let member_id = if actor.role == AccessRole::CentralAdmin {
        match f.member_id.trim() {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(n) => Some(MemberId(n)),
                Err(_) => {
                    errs.add("member_id", "error-choice");
                    None
                }
            },
        }
    } else {
        // A member administrator's users stay in their member.
        actor.member_id
    };
    match role {
        Some(role) if errs.is_empty() => Ok(UserAccess {
            // A member administrator giving a central role gets 403 from
            // the store; a central role with a member is a form error.
            member_id: if role.needs_member() || actor.role == AccessRole::CentralAdmin {
                member_id
            } else {
                None
            },
            role,
            active: f.active.is_some(),
        }),
        _ => Err(errs),
    }
}

pub async fn update_access(
    State(st): State<AppState>,
    a: Authed,
    Path(id): Path<i64>,
    Form(f): Form<AccessForm>,
) -> AppResult<Response> {
    let Admin { ctx, actor } = admin(a)?;
    let u = managed_user(&st, &actor, id).await?;
    let errors = match parse_access(&actor, &f) {
        Ok(access) => match st.store.set_user_access(&actor, u.id, access.clone()).await {
            // The store writes (and audits) nothing when nothing differs; say so.
            Ok(_)
                if (u.role, u.member_id, u.active)
                    == (access.role, access.member_id, access.active) =>
            {
                return Ok(Redirect::to(&format!("/admin/users/{id}?unchanged=1")).into_response());
            }
            Ok(_) => {
                return Ok(Redirect::to(&format!("/admin/users/{id}?saved=1")).into_response());
            }
            Err(StoreError::Invalid(errs)) => errs,
            Err(e) => return Err(e.into()),
        },
        Err(errs) => errs,
    };
    let html = user_page(
        &st,
        &ctx,
        &actor,
        u,
        PageInput {
            access: Some(&f),
            token: None,
            errors,
            notice: None,
        },
    )
    .await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
}

// ------------------------------------------------------------------ tokens

struct ParsedToken {
    name: String,
    permissions: Permissions,
    expires_at: DateTime<Utc>,
}

fn parse_token(f: &TokenForm) -> Result<ParsedToken, FieldErrors> {
    let mut errs = FieldErrors::default();
    let name = errs.required("name", &f.name, MAX_NAME);
    let mut ps = Vec::new();
    for p in &f.permissions {
        match Permission::parse(p.trim()) {
            Some(p) => ps.push(p),
            None => errs.add("permissions", "error-choice"),
        }
    }
    if ps.is_empty() && errs.for_field("permissions").is_none() {
        errs.add("permissions", "error-permission-required");
    }
    let today = calendar::today();
    let expires = match f.expires.trim() {
        "" => Some(default_expiry()),
        s => udrul_core::input::parse_date(&mut errs, "expires", s, true),
    };
    if let Some(d) = expires {
        if d <= today {
            errs.add("expires", "error-expiry-past");
        } else if d > today + Duration::days(TOKEN_MAX_DAYS) {
            errs.0.push(FieldError {
                field: "expires",
                code: "error-expiry-too-far",
                limit: usize::try_from(TOKEN_MAX_DAYS).ok(),
            });
        }
    }
    match expires {
        Some(d) if errs.is_empty() => Ok(ParsedToken {
            name,
            permissions: Permissions::of(&ps),
            expires_at: end_of_day(d),
        }),
        _ => Err(errs),
    }
}

#[derive(Template)]
#[template(path = "admin_token_created.html")]
struct TokenCreated<'a> {
    ctx: &'a Ctx,
    robot: User,
    token: TokenRow,
    secret: String,
}

pub async fn create_token(
    State(st): State<AppState>,
    a: Authed,
    Path(id): Path<i64>,
    Form(f): Form<TokenForm>,
) -> AppResult<Response> {
    let Admin { ctx, actor } = admin(a)?;
    let robot = managed_user(&st, &actor, id).await?;
    let errors = match parse_token(&f) {
        Ok(p) => {
            let secret = format!("{}{}", auth::ROBOT_TOKEN_PREFIX, auth::new_secret());
            let res = st
                .store
                .create_robot_token(
                    &actor,
                    &auth::hash_secret(&secret),
                    NewRobotToken {
                        user_id: robot.id,
                        name: p.name,
                        permissions: p.permissions,
                        expires_at: p.expires_at,
                    },
                )
                .await;
            match res {
                Ok(t) => {
                    // Shown once, on this response only: never in a URL.
                    let html = render(&TokenCreated {
                        token: token_row(&ctx, &t, Utc::now()),
                        ctx: &ctx,
                        robot,
                        secret,
                    });
                    return Ok((
                        [
                            (header::CACHE_CONTROL, "no-store"),
                            (header::PRAGMA, "no-cache"),
                        ],
                        Html(html),
                    )
                        .into_response());
                }
                Err(StoreError::Invalid(errs)) => errs,
                Err(e) => return Err(e.into()),
            }
        }
        Err(errs) => errs,
    };
    // A token needs a robot; the form is only on robots' pages.
    if robot.role != AccessRole::Robot {
        return Err(AppError::NotFound);
    }
    let html = user_page(
        &st,
        &ctx,
        &actor,
        robot,
        PageInput {
            access: None,
            token: Some(&f),
            errors,
            notice: None,
        },
    )
    .await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
}

pub async fn revoke_token(
    State(st): State<AppState>,
    a: Authed,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let Admin { actor, .. } = admin(a)?;
    let t = st.store.revoke_robot_token(&actor, id).await?;
    Ok(Redirect::to(&format!("/admin/users/{}?revoked={}", t.user_id, t.id)).into_response())
}

// ------------------------------------------------------------------ robots

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RobotForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    member_id: String,
}

#[derive(Template)]
#[template(path = "admin_robot_form.html")]
struct RobotFormPage<'a> {
    ctx: &'a Ctx,
    f: RobotForm,
    /// For central administrators: every member to choose from.
    members: Vec<Choice>,
    /// For a member administrator: their member, fixed.
    own_member: String,
    errors: FieldErrors,
}

async fn robot_page(
    st: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    f: RobotForm,
    errors: FieldErrors,
    status: StatusCode,
) -> AppResult<Response> {
    let all = st.store.list_members().await?;
    let (members, own) = match own_member(actor)? {
        None => {
            let mut v = vec![Choice {
                value: String::new(),
                label: ctx.t("choose"),
                selected: f.member_id.is_empty(),
            }];
            v.extend(all.iter().map(|m| Choice {
                value: m.id.0.to_string(),
                label: member_label(m),
                selected: m.id.0.to_string() == f.member_id.trim(),
            }));
            (v, String::new())
        }
        Some(m) => (
            Vec::new(),
            all.iter()
                .find(|x| x.id == m)
                .map(member_label)
                .unwrap_or_default(),
        ),
    };
    let html = render(&RobotFormPage {
        ctx,
        f,
        members,
        own_member: own,
        errors,
    });
    Ok((status, Html(html)).into_response())
}

pub async fn robot_form(State(st): State<AppState>, a: Authed) -> AppResult<Response> {
    let Admin { ctx, actor } = admin(a)?;
    robot_page(
        &st,
        &ctx,
        &actor,
        RobotForm::default(),
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

fn valid_robot_username(s: &str) -> bool {
    s.starts_with("robot-")
        && s.len() > "robot-".len()
        && s.len() <= MAX_USERNAME
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `robot-<member code>-`: how every robot username of `member` starts, so
/// that a robot cannot be named after another member.
fn robot_prefix(member: &Member) -> String {
    let code: String = member
        .code
        .to_ascii_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("robot-{code}-")
}

/// `robot-<member code>-<n>`, the first that is free.
async fn free_robot_username(st: &AppState, member: &Member) -> AppResult<String> {
    let prefix = robot_prefix(member);
    for n in 1..1000 {
        let name = format!("{prefix}{n}");
        if st.store.user_by_username(&name).await?.is_none() {
            return Ok(name);
        }
    }
    Err(AppError::Conflict("error-username-taken"))
}

pub async fn create_robot(
    State(st): State<AppState>,
    a: Authed,
    Form(f): Form<RobotForm>,
) -> AppResult<Response> {
    let Admin { ctx, actor } = admin(a)?;
    let mut errs = FieldErrors::default();
    let display_name = errs.required("display_name", &f.display_name, MAX_NAME);
    let username = f.username.trim().to_string();
    if !username.is_empty() && !valid_robot_username(&username) {
        errs.add("username", "error-robot-username");
    }
    let member_id = match own_member(&actor)? {
        Some(m) => Some(m),
        None => match f.member_id.trim().parse::<i64>() {
            Ok(n) => Some(MemberId(n)),
            Err(_) => {
                errs.add("member_id", "error-required");
                None
            }
        },
    };
    let member = match member_id {
        Some(m) => {
            let found = st.store.get_member(m).await?;
            if found.is_none() {
                errs.add("member_id", "error-unknown-member");
            }
            found
        }
        None => None,
    };
    // A given username carries the robot's own member's code.
    if let Some(m) = &member
        && errs.for_field("username").is_none()
        && !username.is_empty()
        && username
            .strip_prefix(&robot_prefix(m))
            .is_none_or(str::is_empty)
    {
        errs.add("username", "error-robot-username-member");
    }
    let member = match member {
        Some(m) if errs.is_empty() => m,
        _ => {
            return robot_page(&st, &ctx, &actor, f, errs, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let username = if username.is_empty() {
        free_robot_username(&st, &member).await?
    } else {
        username
    };
    let res = st
        .store
        .create_user(
            &actor,
            NewUser {
                username,
                display_name,
                email: String::new(),
                // Robots never log in with a password.
                password_hash: String::new(),
                role: AccessRole::Robot,
                member_id: Some(member.id),
            },
        )
        .await;
    match res {
        Ok(u) => Ok(Redirect::to(&format!("/admin/users/{}?created=1", u.id)).into_response()),
        Err(StoreError::Duplicate(_)) => {
            let mut errs = FieldErrors::default();
            errs.add("username", "error-username-taken");
            robot_page(&st, &ctx, &actor, f, errs, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(StoreError::Invalid(errs)) => {
            robot_page(&st, &ctx, &actor, f, errs, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robot_usernames() {
        assert!(valid_robot_username("robot-101-1"));
        assert!(!valid_robot_username("robot-"));
        assert!(!valid_robot_username("anna"));
        assert!(!valid_robot_username("robot-Æ"));
    }

    #[test]
    fn token_form_checks() {
        let f = TokenForm {
            name: " ".into(),
            permissions: vec![],
            expires: "2000-01-01".into(),
        };
        let e = parse_token(&f).err().unwrap();
        assert!(e.for_field("name").is_some());
        assert!(e.for_field("permissions").is_some());
        assert_eq!(e.for_field("expires").unwrap().code, "error-expiry-past");
        let f = TokenForm {
            name: "RPA".into(),
            permissions: vec!["instances:read".into()],
            expires: String::new(),
        };
        let p = parse_token(&f).unwrap();
        assert!(p.expires_at > Utc::now() + Duration::days(TOKEN_DEFAULT_DAYS - 1));
    }
}
