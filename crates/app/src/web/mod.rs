//! Server-rendered pages, one file per page or small group of pages.
//! Every route here runs behind the `session` middleware (CSRF, `Ctx`).

use axum::Router;
use axum::routing::{get, post};

use crate::error::AppError;
use crate::state::AppState;

pub mod home;
pub mod instances;
pub mod language;
pub mod login;
pub mod pages;
pub mod projects;
pub mod tasks;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/language", get(language::switch))
        .route(
            "/instances/{id}",
            get(instances::show).post(instances::update),
        )
        .merge(projects::routes())
        .merge(tasks::routes())
        .fallback(|| async { AppError::NotFound })
}
