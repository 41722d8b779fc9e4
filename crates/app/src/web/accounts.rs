//! Accounts made in the interface (issue 11): `GET|POST /admin/users/new`
//! (a new user), `POST /admin/users/{id}/password-link` (a new set-password
//! link for an existing user, replacing the earlier one) and `GET|POST
//! /set-password/{token}` (no login: the holder of a live link sets the
//! password, and is logged in).
//!
//! Central administrators create users of any role but robots (robots have
//! their own form), member administrators member users and member
//! administrators of their own member; the member then comes from the
//! session, never the form. The store checks the same again inside its
//! transaction (`Actor::can_manage_user`).
//!
//! There is no mail yet, so a new user gets a set-password link: 256
//! random bits, only the SHA-256 stored, single use, valid for
//! `LINK_HOURS`, shown once to the administrator on a no-store page to pass
//! on. The later e-mail invitation makes the same link and mails it. A
//! link that is unknown, used, replaced or expired gets one and the same
//! answer (404), so the page tells nobody which.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::Form;
use axum_extra::extract::cookie::CookieJar;
use chrono::{Duration, Utc};
use serde::Deserialize;
use udrul_core::input::{FieldError, FieldErrors};
use udrul_core::store::{NewPasswordLink, NewUser, PasswordLink};
use udrul_core::{AccessRole, Actor, MemberId, StoreError, User, UserId};

use crate::auth::{self, Authed, Ctx};
use crate::error::{AppError, AppResult};
use crate::login_guard;
use crate::state::AppState;
use crate::web::admin::{Choice, role_label};
use crate::web::pages::render;

/// How long a set-password link works.
pub const LINK_HOURS: i64 = 72;
/// Password length, in characters, as `udrul create-user` asks.
pub const MIN_PASSWORD: usize = 12;
pub const MAX_PASSWORD: usize = 200;
const MAX_NAME: usize = 200;
const MAX_USERNAME: usize = 64;
const MAX_EMAIL: usize = 254;
/// The path of a set-password link, before its secret.
pub const SET_PASSWORD_PATH: &str = "/set-password/";

pub fn routes() -> Vec<crate::web::Route> {
    vec![
        ("/admin/users/new", get(new_form).post(create)),
        ("/admin/users/{id}/password-link", post(new_link)),
        ("/set-password/{token}", get(set_form).post(set_submit)),
    ]
}

fn admin(Authed { ctx, actor }: Authed) -> AppResult<(Ctx, Actor)> {
    if actor.can_manage_users() {
        Ok((ctx, actor))
    } else {
        Err(AppError::Forbidden)
    }
}

/// The roles `actor` may give a new user here (robots have their own form).
fn creatable_roles(actor: &Actor) -> Vec<AccessRole> {
    let central = actor.role == AccessRole::CentralAdmin;
    AccessRole::ALL
        .into_iter()
        .filter(|r| *r != AccessRole::Robot && (central || r.member_assignable()))
        .collect()
}

/// A username people type: 3 to 64 of lower-case ASCII letters, digits,
/// `.`, `_`, `-` and `@`, starting with a letter or digit. `robot-` and
/// `sso-` are kept for robots and identity-provider accounts.
pub fn valid_username(s: &str) -> bool {
    let n = s.chars().count();
    (3..=MAX_USERNAME).contains(&n)
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '@')
        })
        && !s.starts_with("robot-")
        && !s.starts_with("sso-")
}

// ------------------------------------------------------------------ new user

#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    member_id: String,
}

/// The form, checked: the user to create (without a password).
fn parse_user(actor: &Actor, f: &UserForm) -> Result<NewUser, FieldErrors> {
    let mut errs = FieldErrors::default();
    let username = f.username.trim().to_lowercase();
    if username.is_empty() {
        errs.add("username", "error-required");
    } else if !valid_username(&username) {
        errs.add("username", "error-username-format");
    }
    let display_name = errs.required("display_name", &f.display_name, MAX_NAME);
    let email = errs.required("email", &f.email, MAX_EMAIL);
    if !email.is_empty() && !udrul_core::gallery::looks_like_email(&email) {
        errs.add("email", "error-email");
    }
    let role = AccessRole::parse(f.role.trim()).filter(|r| creatable_roles(actor).contains(r));
    if role.is_none() {
        errs.add("role", "error-choice");
    }
    let member_id = if actor.role == AccessRole::CentralAdmin {
        let chosen = match f.member_id.trim() {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(n) => Some(MemberId(n)),
                Err(_) => {
                    errs.add("member_id", "error-choice");
                    None
                }
            },
        };
        match role {
            Some(r) if r.needs_member() && chosen.is_none() => {
                errs.add("member_id", "error-member-role");
            }
            Some(r) if !r.needs_member() && chosen.is_some() => {
                errs.add("member_id", "error-member-role");
            }
            _ => {}
        }
        chosen
    } else {
        // A member administrator's users stay in their member.
        actor.member_id
    };
    match role {
        Some(role) if errs.is_empty() => Ok(NewUser {
            username,
            display_name,
            email,
            // Nobody can log in until the link sets a password.
            password_hash: String::new(),
            role,
            member_id,
        }),
        _ => Err(errs),
    }
}

#[derive(Template)]
#[template(path = "admin_user_form.html")]
struct UserFormPage<'a> {
    ctx: &'a Ctx,
    f: UserForm,
    roles: Vec<Choice>,
    /// For central administrators: every member (and none) to choose from.
    members: Vec<Choice>,
    /// For a member administrator: their member, fixed.
    own_member: String,
    errors: FieldErrors,
}

async fn form_page(
    st: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    f: UserForm,
    errors: FieldErrors,
    status: StatusCode,
) -> AppResult<Response> {
    let all = st.store.list_members().await?;
    let roles = std::iter::once(Choice {
        value: String::new(),
        label: ctx.t("choose"),
        selected: f.role.trim().is_empty(),
    })
    .chain(creatable_roles(actor).into_iter().map(|r| Choice {
        value: r.as_str().to_string(),
        label: role_label(ctx, r),
        selected: r.as_str() == f.role.trim(),
    }))
    .collect();
    let (members, own_member) = if actor.role == AccessRole::CentralAdmin {
        let mut v = vec![Choice {
            value: String::new(),
            label: ctx.t("member-none"),
            selected: f.member_id.trim().is_empty(),
        }];
        v.extend(all.iter().map(|m| Choice {
            value: m.id.0.to_string(),
            label: format!("{} ({})", m.name, m.code),
            selected: m.id.0.to_string() == f.member_id.trim(),
        }));
        (v, String::new())
    } else {
        let own = actor.member_id.ok_or(AppError::Forbidden)?;
        let name = all
            .iter()
            .find(|m| m.id == own)
            .map(|m| format!("{} ({})", m.name, m.code))
            .unwrap_or_default();
        (Vec::new(), name)
    };
    let html = render(&UserFormPage {
        ctx,
        f,
        roles,
        members,
        own_member,
        errors,
    });
    Ok((status, Html(html)).into_response())
}

pub async fn new_form(State(st): State<AppState>, a: Authed) -> AppResult<Response> {
    let (ctx, actor) = admin(a)?;
    form_page(
        &st,
        &ctx,
        &actor,
        UserForm::default(),
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(
    State(st): State<AppState>,
    headers: HeaderMap,
    a: Authed,
    Form(f): Form<UserForm>,
) -> AppResult<Response> {
    let (ctx, actor) = admin(a)?;
    let new = match parse_user(&actor, &f) {
        Ok(n) => n,
        Err(errs) => {
            return form_page(&st, &ctx, &actor, f, errs, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let user = match st.store.create_user(&actor, new).await {
        Ok(u) => u,
        Err(StoreError::Duplicate(_)) => {
            let mut errs = FieldErrors::default();
            errs.add("username", "error-username-taken");
            return form_page(&st, &ctx, &actor, f, errs, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        Err(StoreError::Invalid(errs)) => {
            return form_page(&st, &ctx, &actor, f, errs, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        Err(e) => return Err(e.into()),
    };
    link_page(&st, &ctx, &actor, &headers, user, true).await
}

// ------------------------------------------------------------------ links

#[derive(Template)]
#[template(path = "admin_link_created.html")]
struct LinkCreated<'a> {
    ctx: &'a Ctx,
    u: User,
    /// The user was created just now (else: a new link for them).
    created: bool,
    url: String,
    expires: String,
}

/// Makes a link for `user` and shows it once, on a page nobody keeps.
async fn link_page(
    st: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    headers: &HeaderMap,
    user: User,
    created: bool,
) -> AppResult<Response> {
    let (secret, link) = make_link(st, actor, user.id).await?;
    let url = format!(
        "{}{SET_PASSWORD_PATH}{secret}",
        auth::public_base(st, headers)
    );
    let html = render(&LinkCreated {
        ctx,
        created,
        url,
        expires: ctx.tr.datetime(link.expires_at),
        u: user,
    });
    Ok((
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Html(html),
    )
        .into_response())
}

/// A new link's secret (never stored) and the link as stored.
pub async fn make_link(
    st: &AppState,
    actor: &Actor,
    user: UserId,
) -> AppResult<(String, PasswordLink)> {
    let secret = auth::new_secret();
    let link = st
        .store
        .create_password_link(
            actor,
            &auth::hash_secret(&secret),
            NewPasswordLink {
                user_id: user,
                expires_at: Utc::now() + Duration::hours(LINK_HOURS),
            },
        )
        .await?;
    Ok((secret, link))
}

pub async fn new_link(
    State(st): State<AppState>,
    headers: HeaderMap,
    a: Authed,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (ctx, actor) = admin(a)?;
    let user = st
        .store
        .get_user(UserId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    // Another member's users and the central accounts do not exist for a
    // member administrator (the store says the same).
    if !actor.can_manage_user(user.member_id, user.role) {
        return Err(AppError::NotFound);
    }
    link_page(&st, &ctx, &actor, &headers, user, false).await
}

// ------------------------------------------------------------------ set

#[derive(Template)]
#[template(path = "set_password.html")]
struct SetPasswordPage<'a> {
    ctx: &'a Ctx,
    /// The link's user, or `None` when the link does not work.
    user: Option<User>,
    action: String,
    hint: String,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
pub struct SetForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password2: String,
}

/// A secret as `auth::new_secret` makes them (43 URL-safe characters);
/// anything else is not looked up.
fn plausible(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

async fn link_user(st: &AppState, token: &str) -> AppResult<Option<User>> {
    if !plausible(token) {
        return Ok(None);
    }
    Ok(st
        .store
        .password_link_user(&auth::hash_secret(token), Utc::now())
        .await?)
}

fn set_page(ctx: &Ctx, token: &str, user: Option<User>, errors: FieldErrors) -> Response {
    let status = match (&user, errors.is_empty()) {
        (None, _) => StatusCode::NOT_FOUND,
        (Some(_), true) => StatusCode::OK,
        (Some(_), false) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let html = render(&SetPasswordPage {
        ctx,
        user,
        action: format!("{SET_PASSWORD_PATH}{token}"),
        hint: ctx
            .tr
            .n("hint-password", i64::try_from(MIN_PASSWORD).unwrap_or(12)),
        errors,
    });
    (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

pub async fn set_form(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let user = link_user(&st, &token).await?;
    Ok(set_page(&ctx, &token, user, FieldErrors::default()))
}

fn check_password(f: &SetForm) -> FieldErrors {
    let mut errs = FieldErrors::default();
    let n = f.password.chars().count();
    if n < MIN_PASSWORD {
        errs.0.push(FieldError {
            field: "password",
            code: "error-password-short",
            limit: Some(MIN_PASSWORD),
        });
    } else if n > MAX_PASSWORD {
        errs.0.push(FieldError {
            field: "password",
            code: "error-too-long",
            limit: Some(MAX_PASSWORD),
        });
    } else if f.password != f.password2 {
        errs.add("password2", "error-password-mismatch");
    }
    errs
}

pub async fn set_submit(
    State(st): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<SetForm>,
) -> AppResult<Response> {
    // The link is checked before anything costly: an unknown one costs one
    // indexed read and no hashing.
    let Some(user) = link_user(&st, &token).await? else {
        return Ok(set_page(&ctx, &token, None, FieldErrors::default()));
    };
    let errs = check_password(&f);
    if !errs.is_empty() {
        return Ok(set_page(&ctx, &token, Some(user), errs));
    }
    let hash = auth::hash_password(f.password).await?;
    let user = match st
        .store
        .use_password_link(
            &auth::hash_secret(&token),
            &hash,
            Utc::now(),
            auth::request_id(&headers),
        )
        .await
    {
        Ok(u) => u,
        // Used by a concurrent request, or expired a moment ago.
        Err(StoreError::NotFound) => {
            return Ok(set_page(&ctx, &token, None, FieldErrors::default()));
        }
        Err(e) => return Err(e.into()),
    };
    login_guard::succeeded(&st, &user, "login.password_link", &headers).await?;
    let jar = auth::start_session(&st, jar, &user).await?;
    Ok((jar, Redirect::to("/")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for good in ["anna", "a.b-c_d", "anna@kommune.dk", "k101"] {
            assert!(valid_username(good), "{good}");
        }
        for bad in [
            "", "ab", "Anna", "-anna", "robot-1", "sso-x", "an na", "æble", "a/b",
        ] {
            assert!(!valid_username(bad), "{bad}");
        }
    }

    #[test]
    fn member_admins_give_member_roles_of_their_own_member() {
        let a = Actor::person(UserId(1), "x", AccessRole::MemberAdmin, Some(MemberId(3)));
        let f = UserForm {
            username: "Ny.Bruger".into(),
            display_name: "Ny Bruger".into(),
            email: "ny@k.example".into(),
            role: "member_user".into(),
            member_id: "4".into(),
        };
        let u = parse_user(&a, &f).unwrap();
        assert_eq!(u.username, "ny.bruger");
        assert_eq!(u.member_id, Some(MemberId(3)));
        for role in ["central_admin", "central_staff", "auditor", "robot"] {
            let f = UserForm {
                role: role.into(),
                ..f.clone()
            };
            assert!(parse_user(&a, &f).unwrap_err().for_field("role").is_some());
        }
    }

    #[test]
    fn central_roles_take_no_member_and_member_roles_need_one() {
        let a = Actor::person(UserId(1), "x", AccessRole::CentralAdmin, None);
        let f = UserForm {
            username: "revisor".into(),
            display_name: "R".into(),
            email: "r@c.example".into(),
            role: "auditor".into(),
            member_id: "4".into(),
        };
        assert!(
            parse_user(&a, &f)
                .unwrap_err()
                .for_field("member_id")
                .is_some()
        );
        let f = UserForm {
            role: "member_user".into(),
            member_id: String::new(),
            ..f
        };
        assert!(
            parse_user(&a, &f)
                .unwrap_err()
                .for_field("member_id")
                .is_some()
        );
    }

    #[test]
    fn passwords() {
        let f = |a: &str, b: &str| SetForm {
            password: a.into(),
            password2: b.into(),
        };
        assert!(
            check_password(&f("kort", "kort"))
                .for_field("password")
                .is_some()
        );
        assert!(
            check_password(&f("en lang nok sætning", "en lang nok saetning"))
                .for_field("password2")
                .is_some()
        );
        assert!(check_password(&f("en lang nok sætning", "en lang nok sætning")).is_empty());
        assert!(plausible(&auth::new_secret()));
        assert!(!plausible("../../etc"));
    }
}
