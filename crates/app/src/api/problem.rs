//! RFC 9457 problem details: every error of `/api/v1` is one of these, as
//! `application/problem+json`.
//!
//! Handlers return `Problem`; the `finish` middleware (layered on the whole
//! API router) fills in `instance` with the request path and turns any other
//! error response that slipped through (axum's own 405, a body limit) into a
//! problem too, so no plain-text error ever leaves the API.

use axum::extract::{OriginalUri, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use udrul_core::StoreError;
use udrul_core::input::{FieldError, FieldErrors};
use utoipa::ToSchema;

use crate::i18n::{Lang, Tr};

pub const PROBLEM_JSON: &str = "application/problem+json";
/// Where the problem type URIs live. They name the kind of problem; the API
/// documentation (`/api/v1/docs#problems`) lists them.
pub const TYPE_BASE: &str = "https://udrul.dk/problems/";

/// The kinds of problem the API reports. Each has a type URI
/// (`TYPE_BASE` + `slug()`), an HTTP status and a title in the catalogue
/// (`api-problem-<slug>`, English in responses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    BadRequest,
    MalformedBody,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    VersionConflict,
    Duplicate,
    WrongState,
    PreconditionFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    Validation,
    PreconditionRequired,
    TooManyRequests,
    Internal,
    Unavailable,
}

impl ProblemKind {
    pub const ALL: &'static [ProblemKind] = &[
        ProblemKind::BadRequest,
        ProblemKind::MalformedBody,
        ProblemKind::Unauthorized,
        ProblemKind::Forbidden,
        ProblemKind::NotFound,
        ProblemKind::MethodNotAllowed,
        ProblemKind::VersionConflict,
        ProblemKind::Duplicate,
        ProblemKind::WrongState,
        ProblemKind::PreconditionFailed,
        ProblemKind::PayloadTooLarge,
        ProblemKind::UnsupportedMediaType,
        ProblemKind::Validation,
        ProblemKind::PreconditionRequired,
        ProblemKind::TooManyRequests,
        ProblemKind::Internal,
        ProblemKind::Unavailable,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            ProblemKind::BadRequest => "bad-request",
            ProblemKind::MalformedBody => "malformed-body",
            ProblemKind::Unauthorized => "unauthorized",
            ProblemKind::Forbidden => "forbidden",
            ProblemKind::NotFound => "not-found",
            ProblemKind::MethodNotAllowed => "method-not-allowed",
            ProblemKind::VersionConflict => "version-conflict",
            ProblemKind::Duplicate => "duplicate",
            ProblemKind::WrongState => "wrong-state",
            ProblemKind::PreconditionFailed => "precondition-failed",
            ProblemKind::PayloadTooLarge => "payload-too-large",
            ProblemKind::UnsupportedMediaType => "unsupported-media-type",
            ProblemKind::Validation => "validation",
            ProblemKind::PreconditionRequired => "precondition-required",
            ProblemKind::TooManyRequests => "too-many-requests",
            ProblemKind::Internal => "internal",
            ProblemKind::Unavailable => "unavailable",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ProblemKind::BadRequest | ProblemKind::MalformedBody => StatusCode::BAD_REQUEST,
            ProblemKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ProblemKind::Forbidden => StatusCode::FORBIDDEN,
            ProblemKind::NotFound => StatusCode::NOT_FOUND,
            ProblemKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ProblemKind::VersionConflict | ProblemKind::Duplicate | ProblemKind::WrongState => {
                StatusCode::CONFLICT
            }
            ProblemKind::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ProblemKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProblemKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemKind::Validation => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemKind::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ProblemKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ProblemKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ProblemKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn type_uri(self) -> String {
        format!("{TYPE_BASE}{}", self.slug())
    }

    /// Catalogue key of the title.
    pub fn title_key(self) -> String {
        format!("api-problem-{}", self.slug())
    }

    /// The kind that stands for a bare HTTP error status, if there is one.
    pub fn for_status(status: StatusCode) -> Option<ProblemKind> {
        Self::ALL
            .iter()
            .copied()
            .filter(|k| {
                !matches!(
                    k,
                    ProblemKind::MalformedBody | ProblemKind::Duplicate | ProblemKind::WrongState
                )
            })
            .find(|k| k.status() == status)
    }
}

/// A problem with one field of the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field (or query parameter) the problem is about, e.g. `title` or
    /// `members[2]`.
    #[schema(example = "title")]
    pub field: String,
    /// A stable code, e.g. `error-required`, `error-too-long`.
    #[schema(example = "error-required")]
    pub code: String,
    /// The problem in English.
    #[schema(example = "is required.")]
    pub detail: String,
    /// The limit the value broke (for `error-too-long`: the maximum length).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, code: &str) -> Self {
        FieldProblem {
            field: field.into(),
            code: code.to_string(),
            detail: en().t(code),
            limit: None,
        }
    }

    pub fn from_field_error(e: &FieldError) -> Self {
        let tr = en();
        FieldProblem {
            field: e.field.to_string(),
            code: e.code.to_string(),
            detail: match e.limit {
                Some(n) => tr.n(e.code, i64::try_from(n).unwrap_or(i64::MAX)),
                None => tr.t(e.code),
            },
            limit: e.limit.and_then(|n| u64::try_from(n).ok()),
        }
    }
}

/// A problem details object (RFC 9457) as sent.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "https://udrul.dk/problems/validation",
    "title": "The request is not valid",
    "status": 422,
    "detail": "One field is not valid.",
    "instance": "/api/v1/tasks",
    "errors": [{"field": "title", "code": "error-required", "detail": "is required."}]
}))]
pub struct ProblemDto {
    /// A URI naming the kind of problem, e.g.
    /// `https://udrul.dk/problems/validation`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// A short summary of the kind of problem, in English.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this case, in English.
    pub detail: String,
    /// The path of the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The problems with single fields (validation problems).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// For `version-conflict` and `precondition-failed`: the version the
    /// object has now (also sent as the `ETag` header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

/// An error answer of the API.
#[derive(Debug, Clone)]
pub struct Problem {
    pub kind: ProblemKind,
    pub detail: String,
    pub errors: Vec<FieldProblem>,
    pub current_version: Option<i64>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

fn en() -> Tr {
    Tr::new(Lang::En)
}

impl Problem {
    /// A problem whose detail is the catalogue message `key` in English.
    pub fn new(kind: ProblemKind, key: &str) -> Self {
        Self::with_detail(kind, en().t(key))
    }

    pub fn with_detail(kind: ProblemKind, detail: String) -> Self {
        Problem {
            kind,
            detail,
            errors: Vec::new(),
            current_version: None,
            headers: Vec::new(),
        }
    }

    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn not_found() -> Self {
        Self::new(ProblemKind::NotFound, "api-error-not-found")
    }

    pub fn forbidden() -> Self {
        Self::new(ProblemKind::Forbidden, "api-error-central-only")
    }

    /// 403 for a caller whose role or token does not allow this.
    pub fn not_permitted() -> Self {
        Self::new(ProblemKind::Forbidden, "api-error-not-permitted")
    }

    /// 429 with `Retry-After` in whole seconds (at least 1).
    pub fn too_many_requests(key: &str, wait: std::time::Duration) -> Self {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let secs = HeaderValue::from(secs.max(1));
        Self::new(ProblemKind::TooManyRequests, key).header(header::RETRY_AFTER, secs)
    }

    /// 401 with the `WWW-Authenticate` challenge every 401 must carry.
    pub fn unauthorized(key: &str, challenge: &'static str) -> Self {
        Self::new(ProblemKind::Unauthorized, key).header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        )
    }

    /// 422 with one entry per field problem.
    pub fn validation(errors: Vec<FieldProblem>) -> Self {
        let n = i64::try_from(errors.len()).unwrap_or(i64::MAX);
        let mut p = Self::with_detail(ProblemKind::Validation, en().n("api-error-validation", n));
        p.errors = errors;
        p
    }

    /// A version mismatch. `precondition` when the version came from
    /// `If-Match` (412), otherwise 409.
    pub fn version_conflict(found: i64, precondition: bool) -> Self {
        let kind = if precondition {
            ProblemKind::PreconditionFailed
        } else {
            ProblemKind::VersionConflict
        };
        let mut p = Self::new(kind, "error-version-conflict");
        p.current_version = Some(found);
        if let Ok(v) = HeaderValue::from_str(&super::etag(found)) {
            p.headers.push((header::ETAG, v));
        }
        p
    }

    /// A store error, with version conflicts answered as 409.
    pub fn store(e: StoreError) -> Self {
        Self::store_with(e, false)
    }

    /// A store error; `if_match` says whether the version came from an
    /// `If-Match` header (then a conflict is 412 Precondition Failed).
    pub fn store_with(e: StoreError, if_match: bool) -> Self {
        match e {
            StoreError::NotFound => Self::not_found(),
            StoreError::VersionConflict { found, .. } => Self::version_conflict(found, if_match),
            StoreError::Duplicate(_) => Self::new(ProblemKind::Duplicate, "error-duplicate"),
            StoreError::Invalid(errs) => Self::from(errs),
            StoreError::WrongState(key) => Self::new(ProblemKind::WrongState, key),
            StoreError::Forbidden => Self::forbidden(),
            StoreError::Unavailable(m) => {
                tracing::error!(error = %m, "database unavailable");
                Self::new(ProblemKind::Unavailable, "error-unavailable")
                    .header(header::RETRY_AFTER, HeaderValue::from_static("5"))
            }
            StoreError::Backend(m) => {
                tracing::error!(error = %m, "database error");
                Self::new(ProblemKind::Internal, "error-internal")
            }
        }
    }

    pub fn to_dto(&self, instance: Option<String>) -> ProblemDto {
        ProblemDto {
            type_uri: self.kind.type_uri(),
            title: en().t(&self.kind.title_key()),
            status: self.kind.status().as_u16(),
            detail: self.detail.clone(),
            instance,
            errors: self.errors.clone(),
            current_version: self.current_version,
        }
    }

    fn body(&self, instance: Option<String>) -> Vec<u8> {
        serde_json::to_vec(&self.to_dto(instance)).unwrap_or_else(|_| b"{}".to_vec())
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        Problem::store(e)
    }
}

impl From<FieldErrors> for Problem {
    fn from(e: FieldErrors) -> Self {
        Problem::validation(e.0.iter().map(FieldProblem::from_field_error).collect())
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut res = (
            self.kind.status(),
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
            self.body(None),
        )
            .into_response();
        for (k, v) in &self.headers {
            res.headers_mut().append(k.clone(), v.clone());
        }
        // Kept for `finish`, which adds the request path.
        res.extensions_mut().insert(self);
        res
    }
}

pub type ApiResult<T> = Result<T, Problem>;

fn is_problem(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON))
}

/// Middleware over the whole API: problems get their `instance`; any other
/// error response becomes a problem of its status.
pub async fn finish(req: Request, next: Next) -> Response {
    let path = req
        .extensions()
        .get::<OriginalUri>()
        .map(|u| u.0.path().to_string())
        .unwrap_or_else(|| req.uri().path().to_string());
    let res = next.run(req).await;
    let status = res.status();
    if let Some(p) = res.extensions().get::<Problem>().cloned() {
        let (mut parts, _) = res.into_parts();
        parts.extensions.remove::<Problem>();
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, axum::body::Body::from(p.body(Some(path))));
    }
    if !(status.is_client_error() || status.is_server_error()) || is_problem(&res) {
        return res;
    }
    // An error from outside our handlers (axum's method router, a body
    // limit): keep its status and headers (`Allow`, ...), replace the body.
    let dto = match ProblemKind::for_status(status) {
        Some(kind) => {
            let key = match kind {
                ProblemKind::NotFound => "api-error-not-found",
                ProblemKind::MethodNotAllowed => "api-error-method",
                ProblemKind::PayloadTooLarge => "error-too-large",
                ProblemKind::UnsupportedMediaType => "api-error-media-type",
                ProblemKind::Internal => "error-internal",
                ProblemKind::Unavailable => "error-unavailable",
                _ => "api-error-bad-request",
            };
            Problem::new(kind, key).to_dto(Some(path))
        }
        None => ProblemDto {
            type_uri: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail: status.canonical_reason().unwrap_or("Error").into(),
            instance: Some(path),
            errors: Vec::new(),
            current_version: None,
        },
    };
    let body = serde_json::to_vec(&dto).unwrap_or_else(|_| b"{}".to_vec());
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    Response::from_parts(parts, axum::body::Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_map_to_statuses() {
        let cases = [
            (StoreError::NotFound, StatusCode::NOT_FOUND),
            (
                StoreError::VersionConflict {
                    expected: 1,
                    found: 2,
                },
                StatusCode::CONFLICT,
            ),
            (StoreError::Duplicate("name"), StatusCode::CONFLICT),
            (
                StoreError::Invalid(FieldErrors::default()),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                StoreError::WrongState("error-not-draft"),
                StatusCode::CONFLICT,
            ),
            (
                StoreError::Unavailable("down".into()),
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (
                StoreError::Backend("secret detail".into()),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
        ];
        for (e, status) in cases {
            assert_eq!(Problem::store(e).kind.status(), status);
        }
        let p = Problem::store_with(
            StoreError::VersionConflict {
                expected: 1,
                found: 2,
            },
            true,
        );
        assert_eq!(p.kind.status(), StatusCode::PRECONDITION_FAILED);
        assert_eq!(p.current_version, Some(2));
        assert!(
            p.headers
                .iter()
                .any(|(k, v)| k == header::ETAG && v == "\"2\"")
        );
        let p = Problem::store(StoreError::Unavailable("down".into()));
        assert!(p.headers.iter().any(|(k, _)| k == header::RETRY_AFTER));
        let p = Problem::store(StoreError::Backend("secret detail".into()));
        assert!(
            !serde_json::to_string(&p.to_dto(None))
                .unwrap()
                .contains("secret")
        );
        let p = Problem::store(StoreError::WrongState("error-not-draft"));
        assert_eq!(p.detail, "Only drafts can be edited.");
    }

    #[test]
    fn every_kind_has_a_distinct_type() {
        let mut seen = std::collections::BTreeSet::new();
        for k in ProblemKind::ALL {
            assert!(seen.insert(k.type_uri()));
        }
        assert_eq!(
            ProblemKind::for_status(StatusCode::CONFLICT),
            Some(ProblemKind::VersionConflict)
        );
        assert_eq!(ProblemKind::for_status(StatusCode::IM_A_TEAPOT), None);
    }
}
