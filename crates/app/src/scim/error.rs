//! SCIM error responses (RFC 7644 §3.12): every error of `/scim/v2` is
//! one of these, as `application/scim+json`. `detail` is English: the
//! audience is an identity provider's log, not a person at our pages.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use udrul_core::StoreError;
use udrul_core::input::FieldErrors;

use super::{ERROR_SCHEMA, SCIM_JSON};
use crate::api::problem::{FieldProblem, Problem};

/// A SCIM error: status, optional `scimType`, English detail.
#[derive(Debug, Clone)]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<&'static str>,
    pub detail: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

pub type ScimResult<T> = Result<T, ScimError>;

impl ScimError {
    pub fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
            headers: Vec::new(),
        }
    }

    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }

    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::bad("invalidValue", detail)
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, None, "No such resource.")
    }

    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, Some("uniqueness"), detail)
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            None,
            "SCIM needs a robot token with the permission people:write.",
        )
    }

    /// A store error, as the identity provider should read it.
    pub fn store(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found(),
            StoreError::Duplicate("person_user_name") => {
                Self::uniqueness("Another user of this organisation has this userName.")
            }
            StoreError::Duplicate("person") => {
                Self::uniqueness("Another user of this organisation has this externalId.")
            }
            StoreError::Duplicate("org_unit") => {
                Self::uniqueness("Another group of this organisation has this externalId.")
            }
            StoreError::Duplicate(_) => Self::uniqueness("The resource exists already."),
            StoreError::Invalid(errs) => Self::from(errs),
            StoreError::WrongState(key) => {
                Self::invalid_value(crate::i18n::Tr::new(crate::i18n::Lang::En).t(key))
            }
            StoreError::Forbidden => Self::forbidden(),
            StoreError::VersionConflict { .. } => Self::new(
                StatusCode::CONFLICT,
                None,
                "The resource changed meanwhile; try again.",
            ),
            StoreError::Unavailable(m) => {
                tracing::error!(error = %m, "database unavailable");
                let mut e = Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    None,
                    "The database is not answering; try again later.",
                );
                e.headers
                    .push((header::RETRY_AFTER, HeaderValue::from_static("5")));
                e
            }
            StoreError::Backend(m) => {
                tracing::error!(error = %m, "database error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    None,
                    "An unexpected error; it is logged.",
                )
            }
        }
    }

    /// An API problem (from the shared token check) in SCIM's format, with
    /// its status and headers (`WWW-Authenticate`, `Retry-After`).
    pub fn from_problem(p: Problem) -> Self {
        ScimError {
            status: p.kind.status(),
            scim_type: None,
            detail: p.detail,
            headers: p.headers,
        }
    }

    pub fn body(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            v["scimType"] = t.into();
        }
        v
    }
}

/// Field errors of the core parsers, named by the SCIM attribute.
impl From<FieldErrors> for ScimError {
    fn from(e: FieldErrors) -> Self {
        let parts: Vec<String> =
            e.0.iter()
                .map(|f| {
                    let fp = FieldProblem::from_field_error(f);
                    format!("{}: {}", scim_attribute(f.field), fp.detail)
                })
                .collect();
        Self::invalid_value(parts.join(" "))
    }
}

/// The SCIM attribute a core input field comes from.
fn scim_attribute(field: &str) -> &str {
    match field {
        "external_id" => "externalId",
        "name" => "displayName",
        "email" => "emails",
        "phone" => "phoneNumbers",
        "org_unit_id" => "groups",
        "parent_id" => "parent",
        other => other,
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut res = (
            self.status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON))],
            self.body().to_string(),
        )
            .into_response();
        for (k, v) in &self.headers {
            res.headers_mut().append(k.clone(), v.clone());
        }
        res.extensions_mut().insert(Marker);
        res
    }
}

/// Marks a response as a SCIM error already, for `finish`.
#[derive(Debug, Clone, Copy)]
pub struct Marker;
