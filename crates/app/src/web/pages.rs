//! Shared page helpers and the error page.

use askama::Template;
use axum::response::{Html, IntoResponse, Response};

use crate::auth::Ctx;

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorTemplate<'a> {
    pub ctx: &'a Ctx,
    pub status: u16,
    pub key: &'static str,
}

/// Renders a template; a template that fails is logged and shown as an
/// internal error page instead.
pub fn render<T: Template>(t: &T) -> String {
    t.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "template failed");
        String::from("<!doctype html><title>Udrul</title><h1>Error</h1>")
    })
}

/// A rendered page as a 200 response.
pub fn page<T: Template>(t: &T) -> Response {
    Html(render(t)).into_response()
}
