//! Server-rendered pages, one file per page or small group of pages.
//! Every route here runs behind the `session` middleware (CSRF, `Ctx`).

use axum::Router;
use axum::routing::{MethodRouter, get, post};

use crate::error::AppError;
use crate::state::AppState;

pub mod accounts;
pub mod admin;
pub mod audit;
pub mod gallery;
pub mod home;
pub mod imports;
pub mod instances;
pub mod language;
pub mod login;
pub mod pages;
pub mod projects;
pub mod roles;
pub mod tasks;

/// A page route: its path and its handlers.
pub type Route = (&'static str, MethodRouter<AppState>);

/// Every page route. `router()` is built from this list and the
/// tenant-isolation test (`tests/isolation.rs`) walks it, so no page can be
/// added without being tested for access.
pub fn routes() -> Vec<Route> {
    let mut all: Vec<Route> = vec![
        ("/", get(home::home)),
        ("/login", get(login::form).post(login::submit)),
        ("/login/oidc/{provider}", get(crate::oidc::start)),
        (
            "/login/oidc/{provider}/callback",
            get(crate::oidc::callback),
        ),
        (crate::saml::METADATA_PATH, get(crate::saml::metadata)),
        (crate::saml::ACS_PATH, post(crate::saml::acs)),
        ("/login/saml/{provider}", get(crate::saml::start)),
        ("/logout", post(login::logout)),
        ("/language", get(language::switch)),
        (
            "/instances/{id}",
            get(instances::show).post(instances::update),
        ),
    ];
    all.extend(projects::routes());
    all.extend(tasks::routes());
    all.extend(admin::routes());
    all.extend(accounts::routes());
    all.extend(audit::routes());
    all.extend(gallery::routes());
    all.extend(imports::routes());
    all.extend(roles::routes());
    all
}

/// The paths of `routes()`.
pub fn paths() -> Vec<&'static str> {
    routes().into_iter().map(|(path, _)| path).collect()
}

/// A router with each of `routes`.
pub fn router_of(routes: Vec<Route>) -> Router<AppState> {
    routes
        .into_iter()
        .fold(Router::new(), |r, (path, handlers)| r.route(path, handlers))
}

pub fn router() -> Router<AppState> {
    router_of(routes()).fallback(|| async { AppError::NotFound })
}
