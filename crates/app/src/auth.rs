//! Who is asking. Local accounts with argon2 password hashes; a login makes a
//! server-side session (only the SHA-256 of its secret is stored), and the
//! API hands out bearer tokens the same way.
//!
//! The `session` middleware resolves the cookie once per request, checks CSRF
//! on state-changing requests and leaves a `Ctx` in the request; the `Ctx`,
//! `Authed` and `Central` extractors read it. Tenant scoping then comes from
//! `Actor::scope()`, never from the request body.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use sha2::{Digest, Sha256};
use udrul_core::{AccessRole, Actor, Credential, StoreError, User};

use crate::error::{AppError, ErrorPage};
use crate::i18n::{Lang, Tr};
use crate::state::AppState;
use crate::{config::Config, csrf};

pub const LANG_COOKIE: &str = "udrul_lang";
/// Robot tokens start with this, so that the API knows where to look them
/// up and secret scanners can recognise a leaked one.
pub const ROBOT_TOKEN_PREFIX: &str = "udrul_robot_";
pub const PRE_COOKIE: &str = "udrul_pre";
/// The largest form body the CSRF check will read.
pub const MAX_FORM_BYTES: usize = 256 * 1024;

/// `name` as a cookie name: behind HTTPS with the `__Host-` prefix, which
/// makes the browser take the cookie only with `Secure`, `Path=/` and no
/// `Domain`, so another host (or plain http) cannot plant or shadow it.
/// Every cookie the app sets with it must be `Secure` with `Path=/`.
pub fn host_cookie(cfg: &Config, name: &str) -> String {
    if cfg.secure_cookies {
        format!("__Host-{name}")
    } else {
        name.to_string()
    }
}

pub fn session_cookie_name(cfg: &Config) -> &'static str {
    if cfg.secure_cookies {
        "__Host-udrul_session"
    } else {
        "udrul_session"
    }
}

/// A fresh random secret: 32 bytes, URL-safe base64.
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// The person behind a session or a password-login token, in a request.
pub fn actor_of(u: &User, headers: &HeaderMap) -> Actor {
    let mut a = Actor::person(u.id, u.display_name.clone(), u.role, u.member_id);
    a.request_id = request_id(headers);
    a
}

/// The request's id, set by the `SetRequestIdLayer` (or the proxy).
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 200)
        .map(str::to_string)
}

/// Runs argon2 work off the async threads (it is slow on purpose), at most
/// one per core at a time: each hash takes 19 MiB, so a burst of logins
/// queues here instead of taking the memory (and the cores) of the server.
async fn argon2<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
    static PERMITS: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    });
    let _permit = PERMITS.acquire().await?;
    Ok(tokio::task::spawn_blocking(work).await?)
}

/// Hashes a password with argon2.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    argon2(move || password_auth::generate_hash(password)).await
}

/// Checks a username and password. Unknown users cost the same time as
/// wrong passwords, so the answer does not tell which usernames exist.
pub async fn check_password(
    st: &AppState,
    username: &str,
    password: &str,
) -> Result<Option<User>, StoreError> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let found = st.store.user_by_username(username).await?;
    let (hash, user) = match found {
        // Robots never log in with a password: only with their tokens.
        Some(u) if u.user.active && u.user.role != AccessRole::Robot => {
            (u.password_hash, Some(u.user))
        }
        _ => (
            DUMMY
                .get_or_init(|| password_auth::generate_hash("not a password"))
                .clone(),
            None,
        ),
    };
    let password = password.to_string();
    let ok = argon2(move || password_auth::verify_password(password, &hash).is_ok())
        .await
        .unwrap_or(false);
    Ok(if ok { user } else { None })
}

/// Creates a credential of `kind` for `user` and returns its secret.
pub async fn issue_credential(
    st: &AppState,
    kind: &str,
    user: &User,
    ttl: std::time::Duration,
) -> Result<(String, chrono::DateTime<Utc>), StoreError> {
    let secret = new_secret();
    let now = Utc::now();
    let expires_at = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(1));
    st.store
        .create_credential(
            kind,
            &hash_secret(&secret),
            Credential {
                user_id: user.id,
                created_at: now,
                last_seen_at: now,
                expires_at,
            },
        )
        .await?;
    Ok((secret, expires_at))
}

/// The user behind a credential secret, if it is valid now. Idle sessions
/// end after `idle`; every credential ends at its absolute expiry.
pub async fn resolve_credential(
    st: &AppState,
    kind: &str,
    secret: &str,
    idle: Option<std::time::Duration>,
) -> Result<Option<User>, StoreError> {
    let hash = hash_secret(secret);
    let Some((cred, user)) = st.store.get_credential(kind, &hash).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    let idle_over = idle
        .and_then(|i| chrono::Duration::from_std(i).ok())
        .is_some_and(|i| cred.last_seen_at + i <= now);
    if cred.expires_at <= now || idle_over {
        st.store.delete_credential(kind, &hash).await?;
        return Ok(None);
    }
    // Touch at most once a minute: idle tracking without a write per request.
    if now - cred.last_seen_at > chrono::Duration::seconds(60) {
        st.store.touch_credential(kind, &hash, now).await?;
    }
    Ok(Some(user))
}

/// Starts a new session for `user` (a new random secret: no fixation of an
/// earlier id) and sets its cookie in `jar`.
/// Where people reach the portal (`https://udrul.example`, no trailing
/// slash), for the URLs identity providers send browsers back to: the
/// configured public URL, else the request's Host header (demo and tests).
pub fn public_base(st: &AppState, headers: &axum::http::HeaderMap) -> String {
    let base = st.config.public_url.clone().unwrap_or_else(|| {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        let scheme = if st.config.secure_cookies {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{host}")
    });
    base.trim_end_matches('/').to_string()
}

pub async fn start_session(
    st: &AppState,
    jar: CookieJar,
    user: &User,
) -> Result<CookieJar, StoreError> {
    let (secret, _) = issue_credential(st, "session", user, st.config.session_absolute).await?;
    let cookie = Cookie::build((session_cookie_name(&st.config), secret))
        .path("/")
        .http_only(true)
        .secure(st.config.secure_cookies)
        .same_site(SameSite::Lax)
        .build();
    Ok(jar.add(cookie))
}

/// Per-request context of an HTML page.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub tr: Tr,
    pub actor: Option<Actor>,
    /// The CSRF token every form on the page carries.
    pub csrf: String,
    /// Path and query of this request, for "back here after login".
    pub path: String,
}

impl Ctx {
    /// A catalogue message in the visitor's language.
    pub fn t(&self, key: &str) -> String {
        self.tr.t(key)
    }

    /// The label of a form field, for error summaries: `field-<name>`.
    pub fn field_label(&self, field: &str) -> String {
        self.tr.t(&format!("field-{field}"))
    }

    /// The message of a field error, with its limit if it has one.
    pub fn error_text(&self, e: &udrul_core::input::FieldError) -> String {
        match e.limit {
            Some(n) => self.tr.n(e.code, i64::try_from(n).unwrap_or(i64::MAX)),
            None => self.tr.t(e.code),
        }
    }

    /// The error for one field, if any: shown beside the field.
    pub fn field_error(
        &self,
        errors: &udrul_core::input::FieldErrors,
        field: &str,
    ) -> Option<String> {
        errors.for_field(field).map(|e| self.error_text(e))
    }

    /// Whether the visitor keeps `member`'s people and role gallery.
    pub fn keeps_gallery(&self, member: &udrul_core::MemberId) -> bool {
        self.actor
            .as_ref()
            .is_some_and(|a| a.can_manage_gallery(*member))
    }

    pub fn is_central(&self) -> bool {
        self.actor.as_ref().is_some_and(Actor::is_central)
    }

    /// The visitor is one of member `m`'s own people (so "your" is right);
    /// central staff and auditors are not.
    pub fn is_member(&self, m: &udrul_core::MemberId) -> bool {
        self.actor.as_ref().is_some_and(|a| a.member_id == Some(*m))
    }

    /// The actor may do what `check` says (false when logged out): for
    /// showing only the links and buttons that will work.
    pub fn may(&self, check: fn(&Actor) -> bool) -> bool {
        self.actor.as_ref().is_some_and(check)
    }
}

fn unsafe_method(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A request from another site: a foreign `Origin`, or no `Origin` and a
/// browser that says the request is cross-site.
fn foreign_origin(h: &HeaderMap) -> bool {
    let host = h.get(header::HOST).and_then(|v| v.to_str().ok());
    if let Some(origin) = h.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let origin_host = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        return origin_host.is_none() || origin_host != host;
    }
    h.get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site")
}

fn forbidden(key: &'static str) -> Response {
    let mut res = (StatusCode::FORBIDDEN, key).into_response();
    res.extensions_mut().insert(ErrorPage {
        status: StatusCode::FORBIDDEN,
        key,
    });
    res
}

/// Whether reading a body failed because it stopped arriving in time (the
/// body timeouts of `server::router`).
pub fn body_timed_out(e: &axum::Error) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cur = err.source();
    }
    false
}

/// 408, and the connection is not kept: the rest of that body may still come.
fn timed_out() -> Response {
    let mut res = (StatusCode::REQUEST_TIMEOUT, "error-timeout").into_response();
    res.headers_mut().insert(
        header::CONNECTION,
        axum::http::HeaderValue::from_static("close"),
    );
    res.extensions_mut().insert(ErrorPage {
        status: StatusCode::REQUEST_TIMEOUT,
        key: "error-timeout",
    });
    res
}

/// Resolves the session, checks CSRF, and leaves a `Ctx` for the handlers.
pub async fn session(
    State(st): State<AppState>,
    jar: CookieJar,
    req: Request,
    next: Next,
) -> Response {
    let lang = jar
        .get(LANG_COOKIE)
        .and_then(|c| Lang::parse(c.value()))
        .unwrap_or(Lang::Da);
    let mut actor = None;
    let mut csrf_basis: Option<(&'static str, String)> = None;
    if let Some(c) = jar.get(session_cookie_name(&st.config)) {
        match resolve_credential(&st, "session", c.value(), Some(st.config.session_idle)).await {
            Ok(Some(user)) => {
                actor = Some(actor_of(&user, req.headers()));
                csrf_basis = Some(("s", c.value().to_string()));
            }
            Ok(None) => {}
            Err(e) => return AppError::from(e).into_response(),
        }
    }
    let mut new_pre = None;
    let (purpose, secret) = match csrf_basis {
        Some(b) => b,
        None => match jar.get(&host_cookie(&st.config, PRE_COOKIE)) {
            Some(c) if c.value().len() >= 32 => ("p", c.value().to_string()),
            _ => {
                let s = new_secret();
                new_pre = Some(s.clone());
                ("p", s)
            }
        },
    };

    let mut req = req;
    // The SAML assertion consumer takes the identity provider's cross-site
    // POST, which cannot carry our token; the signed assertion, bound to the
    // request this browser started, is its check (see `saml`).
    let exempt = req.uri().path() == crate::saml::ACS_PATH;
    if unsafe_method(req.method()) && !exempt {
        if foreign_origin(req.headers()) {
            return forbidden("error-csrf");
        }
        let (parts, body) = req.into_parts();
        // Uploads (multipart) may be as large as an import file; every
        // other form is small. Either way the body is read only up to the
        // limit, never buffered whole first.
        let multipart = parts
            .headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.starts_with("multipart/form-data"))
            .map(str::to_string);
        let limit = if multipart.is_some() {
            crate::import::MAX_FILE_BYTES + 64 * 1024
        } else {
            MAX_FORM_BYTES
        };
        let bytes = match axum::body::to_bytes(body, limit).await {
            Ok(b) => b,
            Err(e) if body_timed_out(&e) => return timed_out(),
            Err(_) => return AppError::BadRequest("error-too-large").into_response(),
        };
        let header_token = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let submitted = match (header_token, &multipart) {
            (Some(t), _) => Some(t),
            (None, Some(ct)) => csrf::field_in_multipart(ct, bytes.clone()).await,
            (None, None) => csrf::field_in_form(&bytes),
        };
        if !submitted.is_some_and(|t| csrf::verify(&st.csrf_key, purpose, &secret, &t)) {
            return forbidden("error-csrf");
        }
        req = Request::from_parts(parts, axum::body::Body::from(bytes));
    }

    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    req.extensions_mut().insert(Ctx {
        tr: Tr::new(lang),
        actor,
        csrf: csrf::token(&st.csrf_key, purpose, &secret),
        path,
    });
    let res = next.run(req).await;
    match new_pre {
        Some(pre) => {
            let c = Cookie::build((host_cookie(&st.config, PRE_COOKIE), pre))
                .path("/")
                .http_only(true)
                .secure(st.config.secure_cookies)
                .same_site(SameSite::Lax)
                .build();
            (CookieJar::new().add(c), res).into_response()
        }
        None => res,
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("session middleware missing")))
    }
}

/// A logged-in user. Anonymous visitors are sent to the login page.
pub struct Authed {
    pub ctx: Ctx,
    pub actor: Actor,
}

impl<S: Send + Sync> FromRequestParts<S> for Authed {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, s)
            .await
            .map_err(IntoResponse::into_response)?;
        match ctx.actor.clone() {
            Some(actor) => Ok(Authed { ctx, actor }),
            None => {
                let next: String = form_urlencoded::byte_serialize(ctx.path.as_bytes()).collect();
                Err(Redirect::to(&format!("/login?next={next}")).into_response())
            }
        }
    }
}

/// A logged-in central user (administrator or project staff), or an auditor
/// on a safe method (GET, HEAD): auditors read every central page and
/// change nothing. Others get 403.
pub struct Central {
    pub ctx: Ctx,
    pub actor: Actor,
}

impl<S: Send + Sync> FromRequestParts<S> for Central {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, Self::Rejection> {
        let Authed { ctx, actor } = Authed::from_request_parts(parts, s).await?;
        let reading = !unsafe_method(&parts.method) && actor.can_read_central();
        if actor.can_manage_tasks() || reading {
            Ok(Central { ctx, actor })
        } else {
            Err(AppError::Forbidden.into_response())
        }
    }
}

/// A local path (and query) to return to after login; anything else
/// becomes `/`.
///
/// Browsers are lenient where we must be strict: they drop TAB, CR and LF
/// anywhere in a URL and read `\\` as `/`, so `/\t/evil.example` or
/// `/\\evil.example` would take the visitor to another site. So `next` must
/// start with one `/`, hold no control character and no backslash, and
/// resolve, joined onto a fixed base, to that same base's origin; what is
/// returned is the parsed path and query re-serialised (percent-encoded
/// where needed, so it is always a valid `Location`), never the input.
pub fn safe_next(next: &str) -> String {
    const BASE: &str = "http://udrul.invalid/";
    let refused = || "/".to_string();
    if !next.starts_with('/')
        || next.starts_with("//")
        || next.len() > 2000
        || next.chars().any(|c| c.is_control() || c == '\\')
    {
        return refused();
    }
    let Ok(base) = url::Url::parse(BASE) else {
        return refused();
    };
    let Ok(joined) = base.join(next) else {
        return refused();
    };
    if joined.origin() != base.origin() || !joined.username().is_empty() {
        return refused();
    }
    let mut out = joined.path().to_string();
    if let Some(q) = joined.query() {
        out.push('?');
        out.push_str(q);
    }
    // Dot segments may fold `/.//x` into `//x`: a host to a browser.
    if !out.starts_with('/') || out.starts_with("//") {
        return refused();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_be_local() {
        assert_eq!(safe_next("/tasks?x=1"), "/tasks?x=1");
        assert_eq!(
            safe_next("/tasks/7?status=open&page=2"),
            "/tasks/7?status=open&page=2"
        );
        assert_eq!(safe_next(""), "/");
        assert_eq!(safe_next("tasks"), "/");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("///evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("/\\evil"), "/");
        assert_eq!(safe_next("\\\\evil"), "/");
        assert_eq!(safe_next("/x\\y"), "/");
    }

    /// Browsers drop TAB, CR and LF anywhere in a URL: `/<TAB>/evil` is
    /// `//evil` to them (issue 11). Every control character is refused, and
    /// CR/LF can no longer reach a header (they answered 500).
    #[test]
    fn next_refuses_control_characters() {
        for bad in [
            "/\t/other.host/",
            "/\r/other.host/",
            "/\n/other.host/",
            "/\r\nSet-Cookie: x=1",
            "/tasks\n",
            "/\u{0}x",
            "/\u{7f}x",
            "/\u{85}x",
            "/\t\\evil",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }

    /// Percent-encoded text stays encoded: the browser sends it back as a
    /// path on this site and never decodes it into a host.
    #[test]
    fn next_keeps_encoded_text_encoded() {
        assert_eq!(safe_next("/%2F%2Fevil.example"), "/%2F%2Fevil.example");
        assert_eq!(safe_next("/%09/other.host/"), "/%09/other.host/");
        assert_eq!(safe_next("/%5Cevil"), "/%5Cevil");
        // Dot segments that would fold into `//host` are refused.
        assert_eq!(safe_next("/.//evil.example"), "/");
        assert_eq!(safe_next("/a/..//evil.example"), "/");
        assert_eq!(safe_next("/a/../b"), "/b");
        // What is not ASCII is encoded, so the Location header is valid.
        assert_eq!(safe_next("/søg?q=æ ø"), "/s%C3%B8g?q=%C3%A6%20%C3%B8");
        assert_eq!(safe_next("/x#frag"), "/x");
    }

    proptest::proptest! {
        /// Whatever comes in, what comes out starts with exactly one `/`,
        /// holds no control character or backslash, is the same after a
        /// second pass, and a browser (which drops TAB/CR/LF and reads `\\`
        /// as `/`) resolves it on our own origin.
        #[test]
        fn next_is_always_a_local_path(
            next in proptest::string::string_regex(
                "[/\\\\\t\r\n .:@?#%a-zA-Z0-9\u{0}-\u{1f}\u{7f}-\u{a0}\u{2028}\u{3000}]{0,24}"
            ).unwrap()
        ) {
            let out = safe_next(&next);
            proptest::prop_assert!(out.starts_with('/'));
            proptest::prop_assert!(!out.starts_with("//"));
            proptest::prop_assert!(!out.chars().any(|c| c.is_control() || c == '\\'));
            proptest::prop_assert!(out.is_ascii());
            proptest::prop_assert!(axum::http::HeaderValue::from_str(&out).is_ok());
            proptest::prop_assert_eq!(safe_next(&out), out.clone());
            let base = url::Url::parse("https://udrul.example/start/here").unwrap();
            let as_browser: String = out
                .chars()
                .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
                .map(|c| if c == '\\' { '/' } else { c })
                .collect();
            let there = base.join(&as_browser).unwrap();
            proptest::prop_assert_eq!(there.origin(), base.origin());
        }
    }

    #[test]
    fn origin_check() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert!(!foreign_origin(&h));
        h.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert!(!foreign_origin(&h));
        h.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
        assert!(foreign_origin(&h));
        h.insert(header::ORIGIN, "null".parse().unwrap());
        assert!(foreign_origin(&h));
    }
}
