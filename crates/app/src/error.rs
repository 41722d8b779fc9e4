//! Errors of the web pages.
//!
//! Which error type where: `udrul_core::StoreError` and `FieldErrors` come up
//! from the domain and the store; handlers of HTML pages return `AppError`
//! (this file), handlers of `/api/v1` return `api::problem::Problem`.
//! Internal details are logged, never shown. Form errors are not `AppError`s:
//! the form page itself is shown again with the errors beside the fields.
//!
//! An `AppError` response carries an `ErrorPage` marker; the
//! `render_error_pages` middleware turns it into a full page in the
//! visitor's language (the error itself does not know the request).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use udrul_core::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// The request is well formed but not allowed now; the string is a
    /// catalogue key explaining why.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    #[error("service unavailable")]
    Unavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Marker read by the error page middleware.
#[derive(Debug, Clone, Copy)]
pub struct ErrorPage {
    pub status: StatusCode,
    /// Catalogue key of the explanation.
    pub key: &'static str,
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::VersionConflict { .. } => AppError::Conflict("error-version-conflict"),
            StoreError::Duplicate(_) => AppError::Conflict("error-duplicate"),
            StoreError::WrongState(k) => AppError::Conflict(k),
            StoreError::Forbidden => AppError::Forbidden,
            StoreError::Invalid(_) => AppError::BadRequest("error-invalid"),
            StoreError::Unavailable(m) => {
                tracing::error!(error = %m, "database unavailable");
                AppError::Unavailable
            }
            StoreError::Backend(m) => AppError::Internal(anyhow::anyhow!(m)),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, key) = match &self {
            AppError::NotFound => (StatusCode::NOT_FOUND, "error-not-found"),
            AppError::Forbidden => (StatusCode::FORBIDDEN, "error-forbidden"),
            AppError::Conflict(k) => (StatusCode::CONFLICT, *k),
            AppError::BadRequest(k) => (StatusCode::BAD_REQUEST, *k),
            AppError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "error-unavailable"),
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
            }
        };
        let mut res = (status, key).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            // Busy (a queue of heavy work) or the database away: try later.
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("5"),
            );
        }
        res.extensions_mut().insert(ErrorPage { status, key });
        res
    }
}

pub type AppResult<T> = Result<T, AppError>;
