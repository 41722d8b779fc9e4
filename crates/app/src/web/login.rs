//! `GET/POST /login`, `POST /logout`.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use axum_extra::extract::cookie::{Cookie, CookieJar};
use serde::Deserialize;

use crate::auth::{self, Ctx, session_cookie_name};
use crate::error::AppResult;
use crate::login_guard;
use crate::state::AppState;
use crate::web::pages::{page, render};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    ctx: &'a Ctx,
    next: &'a str,
    username: &'a str,
    /// Why the last attempt failed.
    error: Option<String>,
    /// Identity providers: (link, button text).
    providers: Vec<(String, String)>,
    /// `next`, encoded for a query string.
    next_query: String,
}

fn next_query(next: &str) -> String {
    form_urlencoded::byte_serialize(next.as_bytes()).collect()
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

pub async fn form(State(st): State<AppState>, ctx: Ctx, Query(q): Query<NextQuery>) -> Response {
    if ctx.actor.is_some() {
        return Redirect::to(&auth::safe_next(&q.next)).into_response();
    }
    let next = auth::safe_next(&q.next);
    page(&LoginPage {
        ctx: &ctx,
        next: &next,
        username: "",
        error: None,
        providers: sso_buttons(&st),
        next_query: next_query(&next),
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn submit(
    State(st): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> AppResult<Response> {
    let username = f.username.trim();
    let failed = |error: String, status: StatusCode| {
        let next = auth::safe_next(&f.next);
        let html = render(&LoginPage {
            ctx: &ctx,
            next: &next,
            username,
            error: Some(error),
            providers: sso_buttons(&st),
            next_query: next_query(&next),
        });
        (status, Html(html)).into_response()
    };
    let checkable = !username.is_empty()
        && !f.password.is_empty()
        && username.len() <= 200
        && f.password.len() <= 1000;
    // Counted before the password is checked, so that concurrent guesses
    // cannot all pass a count read before any of them is written.
    if checkable && let Some(wait) = login_guard::attempt(&st, username, &headers).await? {
        login_guard::refused(&st, username, &headers).await?;
        let minutes = i64::try_from(wait.as_secs().div_ceil(60)).unwrap_or(i64::MAX);
        let mut res = failed(
            ctx.tr.n("login-throttled", minutes),
            StatusCode::TOO_MANY_REQUESTS,
        );
        res.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(wait.as_secs().max(1)),
        );
        return Ok(res);
    }
    let user = if checkable {
        auth::check_password(&st, username, &f.password).await?
    } else {
        None
    };
    let Some(user) = user else {
        tracing::info!("failed login");
        if checkable {
            login_guard::failed(&st, username, &headers).await?;
        }
        return Ok(failed(
            ctx.t("login-failed"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    login_guard::succeeded(&st, &user, "login.password", &headers).await?;
    let jar = auth::start_session(&st, jar, &user).await?;
    Ok((jar, Redirect::to(&auth::safe_next(&f.next))).into_response())
}

pub async fn logout(
    State(st): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    headers: HeaderMap,
) -> AppResult<Response> {
    let name = session_cookie_name(&st.config);
    if let Some(actor) = &ctx.actor
        && let Some(user) = st.store.get_user(actor.user_id).await?
    {
        login_guard::record(&st, &user, "logout", &headers).await?;
    }
    if let Some(c) = jar.get(name) {
        // Deleting the stored session ends it on every app instance.
        st.store
            .delete_credential("session", &auth::hash_secret(c.value()))
            .await?;
    }
    let jar = jar.remove(Cookie::build(name).path("/"));
    Ok((jar, Redirect::to("/login")).into_response())
}

/// The login page's buttons: OpenID Connect providers, then SAML ones.
fn sso_buttons(st: &AppState) -> Vec<(String, String)> {
    let mut all = st.oidc.buttons();
    all.extend(st.saml.buttons());
    all
}
