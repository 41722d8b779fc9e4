//! `GET /language?lang=en&next=/path`: remembers the language in a cookie.
//! A preference only, so a plain link serves (no form, no CSRF needed).

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

use crate::auth::{LANG_COOKIE, safe_next};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct LanguageQuery {
    lang: String,
    #[serde(default)]
    next: String,
}

pub async fn switch(
    State(st): State<AppState>,
    jar: CookieJar,
    Query(q): Query<LanguageQuery>,
) -> Response {
    let Some(lang) = Lang::parse(&q.lang) else {
        return AppError::BadRequest("error-invalid").into_response();
    };
    let cookie = Cookie::build((LANG_COOKIE, lang.code()))
        .path("/")
        .same_site(SameSite::Lax)
        // Read by pages without their state, so not `__Host-`; Secure
        // behind HTTPS all the same.
        .secure(st.config.secure_cookies)
        .permanent()
        .build();
    (jar.add(cookie), Redirect::to(&safe_next(&q.next))).into_response()
}
