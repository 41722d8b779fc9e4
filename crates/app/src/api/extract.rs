//! Extractors of the API. Each one answers with a problem, never with
//! axum's plain-text rejections.
//!
//! - `ApiActor`: the user behind `Authorization: Bearer <token>` (401).
//! - `Central`: the same, and a central role (403 otherwise).
//! - `ApiJson<T>`: a JSON body (415 wrong content type, 413 too large,
//!   400 not JSON, 422 wrong shape: unknown fields, wrong types).
//! - `ApiQuery<T>`: query parameters (400).
//! - `Id`: a numeric `{id}` in the path (404 otherwise).
//! - `IfMatch`: an optional `If-Match: "<version>"` (400 if malformed).

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use udrul_core::{AccessRole, Actor, User, Via};

use super::problem::{FieldProblem, Problem, ProblemKind};
use crate::i18n::{Lang, Tr};
use crate::state::AppState;

/// The largest JSON body read. Guidance may hold 20,000 characters.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

const CHALLENGE: &str = "Bearer realm=\"udrul\"";
const CHALLENGE_INVALID: &str = "Bearer realm=\"udrul\", error=\"invalid_token\"";

/// An authenticated API caller.
pub struct ApiActor {
    pub actor: Actor,
    pub user: User,
    /// The presented token, kept so that `DELETE /auth/token` can revoke it.
    /// Never logged (this type has no `Debug`).
    pub(crate) secret: String,
}

fn bearer(parts: &Parts) -> Result<&str, Problem> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Err(Problem::unauthorized("api-error-no-token", CHALLENGE));
    };
    value
        .to_str()
        .ok()
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty() && t.len() <= 512)
        .ok_or_else(|| Problem::unauthorized("api-error-bad-token", CHALLENGE_INVALID))
}

impl ApiActor {
    /// 403 unless the caller may read task instances (robots need
    /// `instances:read`).
    pub fn may_read_instances(&self) -> Result<(), Problem> {
        if self.actor.can_read_instances() {
            Ok(())
        } else {
            Err(Problem::not_permitted())
        }
    }
}

/// A robot's token: live, its robot active and still of the token's member,
/// and within its rate limit.
async fn robot(parts: &Parts, st: &AppState, secret: &str) -> Result<ApiActor, Problem> {
    let invalid = || Problem::unauthorized("api-error-bad-token", CHALLENGE_INVALID);
    let found = st
        .store
        .robot_token_by_hash(&crate::auth::hash_secret(secret))
        .await
        .map_err(Problem::store)?;
    let Some((token, user)) = found else {
        return Err(invalid());
    };
    let now = chrono::Utc::now();
    if !token.is_live(now)
        || !user.active
        || user.role != AccessRole::Robot
        || user.member_id != Some(token.member_id)
    {
        return Err(invalid());
    }
    if let Err(wait) = st.robot_limits.check(token.id) {
        return Err(Problem::too_many_requests("api-error-robot-rate", wait));
    }
    // Last use, at most once a minute: no write per request.
    if token
        .last_used_at
        .is_none_or(|t| now - t > chrono::Duration::seconds(60))
    {
        st.store
            .touch_robot_token(token.id, now)
            .await
            .map_err(Problem::store)?;
    }
    let mut actor = crate::auth::actor_of(&user, &parts.headers);
    actor.via = Via::Robot {
        token_id: token.id,
        permissions: token.permissions,
    };
    Ok(ApiActor {
        actor,
        user,
        secret: secret.to_string(),
    })
}

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Problem> {
        let secret = bearer(parts)?;
        if secret.starts_with(crate::auth::ROBOT_TOKEN_PREFIX) {
            return robot(parts, st, secret).await;
        }
        match crate::auth::resolve_credential(st, "api", secret, None).await {
            Ok(Some(user)) if user.active => Ok(ApiActor {
                actor: crate::auth::actor_of(&user, &parts.headers),
                user,
                secret: secret.to_string(),
            }),
            Ok(_) => Err(Problem::unauthorized(
                "api-error-bad-token",
                CHALLENGE_INVALID,
            )),
            Err(e) => Err(Problem::store(e)),
        }
    }
}

/// An authenticated caller with a central role (administrator or staff), or
/// an auditor on a safe method: auditors read everything central and change
/// nothing.
pub struct Central(pub Actor);

impl FromRequestParts<AppState> for Central {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Problem> {
        let a = ApiActor::from_request_parts(parts, st).await?;
        let reading = matches!(
            parts.method,
            axum::http::Method::GET | axum::http::Method::HEAD
        ) && a.actor.can_read_central();
        if a.actor.can_manage_tasks() || reading {
            Ok(Central(a.actor))
        } else {
            Err(Problem::forbidden())
        }
    }
}

/// A query parameter naming one of an enum's values. Present but not a
/// value (the empty string too) is an error on `field`; absent is `None`.
pub fn choice<T>(
    e: &mut udrul_core::input::FieldErrors,
    field: &'static str,
    raw: Option<&str>,
    parse: fn(&str) -> Option<T>,
) -> Option<T> {
    let raw = raw?;
    let parsed = parse(raw.trim());
    if parsed.is_none() {
        e.add(field, "error-choice");
    }
    parsed
}

/// A numeric id from the path; anything else does not exist (404).
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, Problem> {
        match Path::<i64>::from_request_parts(parts, s).await {
            Ok(Path(id)) => Ok(Id(id)),
            Err(_) => Err(Problem::not_found()),
        }
    }
}

/// `If-Match: "<version>"` (a strong entity tag, as sent in `ETag`), or `*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMatch {
    Absent,
    Any,
    Version(i64),
}

impl IfMatch {
    pub fn parse(raw: &str) -> Result<IfMatch, Problem> {
        let raw = raw.trim();
        if raw == "*" {
            return Ok(IfMatch::Any);
        }
        raw.strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .and_then(|v| v.parse::<i64>().ok())
            .map(IfMatch::Version)
            .ok_or_else(|| Problem::new(ProblemKind::BadRequest, "api-error-if-match"))
    }

    /// The version to compare with, if any.
    pub fn version(self) -> Option<i64> {
        match self {
            IfMatch::Version(v) => Some(v),
            IfMatch::Absent | IfMatch::Any => None,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        match parts.headers.get(header::IF_MATCH) {
            None => Ok(IfMatch::Absent),
            Some(v) => v
                .to_str()
                .map_err(|_| Problem::new(ProblemKind::BadRequest, "api-error-if-match"))
                .and_then(IfMatch::parse),
        }
    }
}

/// Query parameters; unknown or malformed ones are a 400 problem.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(q).map(ApiQuery).map_err(|e| {
            Problem::with_detail(
                ProblemKind::BadRequest,
                Tr::new(Lang::En).s("api-error-query", &e.to_string()),
            )
        })
    }
}

/// A JSON request body.
pub struct ApiJson<T>(pub T);

fn is_json(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return false };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, _: &S) -> Result<Self, Problem> {
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        if !is_json(ct) {
            return Err(Problem::new(
                ProblemKind::UnsupportedMediaType,
                "api-error-media-type",
            ));
        }
        let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| Problem::new(ProblemKind::PayloadTooLarge, "error-too-large"))?;
        parse_json(&bytes).map(ApiJson)
    }
}

fn malformed(tr: &Tr, e: &serde_json::Error) -> Problem {
    let line = i64::try_from(e.line()).unwrap_or(0);
    let column = i64::try_from(e.column()).unwrap_or(0);
    Problem::with_detail(
        ProblemKind::MalformedBody,
        tr.args(
            "api-error-malformed-json",
            &[("line", line.into()), ("column", column.into())],
        ),
    )
}

/// Parses a JSON body: syntax errors are 400, a wrong shape is 422 with the
/// field named.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let tr = Tr::new(Lang::En);
    // Every body is an object. (serde would also take a struct as an array
    // of its fields in order.)
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some() && first != Some(&b'{') {
        if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            return Err(malformed(&tr, &e));
        }
        let mut fp = FieldProblem::new(".", "error-json-type");
        fp.detail = tr.s("error-json-type", "expected a JSON object");
        return Err(Problem::validation(vec![fp]));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let (path, inner) = match serde_path_to_error::deserialize(&mut de) {
        Ok(v) => match de.end() {
            Ok(()) => return Ok(v),
            Err(e) => (".".to_string(), e),
        },
        Err(e) => (e.path().to_string(), e.into_inner()),
    };
    if !inner.is_data() {
        return Err(malformed(&tr, &inner));
    }
    let msg = inner.to_string();
    // serde's message without its " at line 1 column 9" tail.
    let msg = msg
        .rsplit_once(" at line ")
        .map_or(msg.as_str(), |(m, _)| m)
        .to_string();
    let quoted = || msg.split('`').nth(1).unwrap_or("").to_string();
    let join = |name: String| {
        if path == "." {
            name
        } else {
            format!("{path}.{name}")
        }
    };
    let fp = if msg.starts_with("unknown field `") {
        // The path already ends with the unknown key.
        let field = if path == "." { quoted() } else { path.clone() };
        FieldProblem::new(field, "error-unknown-field")
    } else if msg.starts_with("missing field `") {
        FieldProblem::new(join(quoted()), "error-required")
    } else if msg.starts_with("invalid type:") {
        let mut fp = FieldProblem::new(path.clone(), "error-json-type");
        fp.detail = tr.s("error-json-type", &msg);
        fp
    } else {
        let mut fp = FieldProblem::new(path.clone(), "error-json-value");
        fp.detail = tr.s("error-json-value", &msg);
        fp
    };
    Err(Problem::validation(vec![fp]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        #[serde(default)]
        title: String,
        #[serde(default)]
        members: Vec<i64>,
    }

    fn problem(json: &str) -> Problem {
        parse_json::<Body>(json.as_bytes()).unwrap_err()
    }

    #[test]
    fn syntax_errors_are_400() {
        for bad in ["", "{", "{\"title\": }", "{} x", "nope"] {
            assert_eq!(problem(bad).kind, ProblemKind::MalformedBody, "{bad}");
        }
    }

    #[test]
    fn shape_errors_name_the_field() {
        let p = problem(r#"{"title": "x", "colour": "red"}"#);
        assert_eq!(p.kind, ProblemKind::Validation);
        assert_eq!(p.errors[0].field, "colour");
        assert_eq!(p.errors[0].code, "error-unknown-field");
        let p = problem(r#"{"title": 5}"#);
        assert_eq!(p.errors[0].field, "title");
        assert_eq!(p.errors[0].code, "error-json-type");
        let p = problem(r#"{"members": [1, "two"]}"#);
        assert_eq!(p.errors[0].field, "members[1]");
        let p = problem(r#"["x", [1]]"#);
        assert_eq!(p.errors[0].code, "error-json-type");
        assert_eq!(p.errors[0].field, ".");
        let p = problem(r#"null"#);
        assert_eq!(p.errors[0].code, "error-json-type");
    }

    #[test]
    fn if_match_forms() {
        assert_eq!(IfMatch::parse("\"7\"").unwrap(), IfMatch::Version(7));
        assert_eq!(IfMatch::parse("*").unwrap(), IfMatch::Any);
        assert!(IfMatch::parse("7").is_err());
        assert!(IfMatch::parse("W/\"7\"").is_err());
    }

    #[test]
    fn content_types() {
        assert!(is_json(Some("application/json")));
        assert!(is_json(Some("application/json; charset=utf-8")));
        assert!(is_json(Some("application/merge-patch+json")));
        assert!(!is_json(Some("text/plain")));
        assert!(!is_json(None));
    }
}
