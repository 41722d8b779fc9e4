//! The JSON API under `/api/v1`.
//!
//! Every route is registered through `utoipa_axum::routes!`, which adds the
//! handler to the axum router and its `#[utoipa::path]` to the OpenAPI
//! document in one step: a route cannot exist undocumented, and the
//! document cannot name a route that does not exist (a test walks the
//! document against the router).
//!
//! - authentication: `Authorization: Bearer <token>` from `POST /auth/token`
//!   (`extract::ApiActor`); tenant scope from `Actor::scope()`.
//! - errors: RFC 9457 problem details (`problem`), also for unknown paths,
//!   wrong methods and bodies axum itself refuses (`problem::finish`).
//! - optimistic concurrency: `ETag: "<version>"` on tasks and instances;
//!   `If-Match` is required to edit a draft task (428 without it) and
//!   optional when updating an instance; a stale version is 412.
//! - `GET /openapi.json` (the document) and `GET /docs` (a server-rendered,
//!   accessible HTML view of it), both without authentication.

use std::sync::OnceLock;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::OpenApi as _;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub mod account;
pub mod audit;
pub mod docs;
pub mod dto;
pub mod extract;
pub mod instances;
pub mod problem;
pub mod tasks;

use problem::{PROBLEM_JSON, Problem};

/// Where the router is nested (`server.rs`).
pub const BASE: &str = "/api/v1";

/// The entity tag of a version: `"<version>"`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// A JSON answer with an `ETag`.
pub fn with_etag<T: Serialize>(status: StatusCode, version: i64, body: T) -> Response {
    let mut res = (status, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Udrul API",
        description = "Tasks from the central organisation to its members, and each member's execution of them. \
            Authenticate with `Authorization: Bearer <token>` from `POST /auth/token`. \
            Errors are RFC 9457 problem details (`application/problem+json`).",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    servers((url = "/api/v1", description = "This portal")),
    components(schemas(problem::ProblemDto, problem::FieldProblem)),
    tags(
        (name = "auth", description = "Tokens and the authenticated user"),
        (name = "members", description = "Member organisations"),
        (name = "projects", description = "Projects that group tasks (central users)"),
        (name = "tasks", description = "Drafting, publishing and following up tasks (central users)"),
        (name = "instances", description = "Each member's copy of a task and its execution status"),
        (name = "audit", description = "The audit log (central administrators and auditors)"),
        (name = "meta", description = "This documentation"),
    )
)]
struct ApiDoc;

/// The routes and their documentation, together.
fn build() -> (Router<AppState>, OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(account::issue_token, account::revoke_token))
        .routes(routes!(account::me))
        .routes(routes!(account::list_members))
        .routes(routes!(account::list_projects, account::create_project))
        .routes(routes!(account::get_project))
        .routes(routes!(tasks::list_tasks, tasks::create_task))
        .routes(routes!(tasks::get_task, tasks::update_task))
        .routes(routes!(tasks::publish_task))
        .routes(routes!(tasks::change_end_date))
        .routes(routes!(tasks::close_task))
        .routes(routes!(tasks::withdraw_task))
        .routes(routes!(tasks::task_history))
        .routes(routes!(tasks::follow_up))
        .routes(routes!(instances::list_instances))
        .routes(routes!(instances::get_instance, instances::patch_instance))
        .routes(routes!(instances::instance_history))
        .routes(routes!(audit::search_audit))
        .routes(routes!(docs::openapi_json))
        .routes(routes!(docs::docs_page))
        .split_for_parts();
    complete(&mut doc);
    (router, doc)
}

/// The OpenAPI document of `/api/v1`.
pub fn openapi() -> &'static OpenApi {
    static DOC: OnceLock<OpenApi> = OnceLock::new();
    DOC.get_or_init(|| build().1)
}

pub fn router() -> Router<AppState> {
    let (router, _) = build();
    router
        .fallback(|| async { Problem::not_found() })
        .layer(axum::middleware::from_fn(problem::finish))
}

/// Every operation of the document with its method, path and id.
pub fn operations(doc: &OpenApi) -> Vec<(&'static str, &str, &Operation)> {
    let mut out = Vec::new();
    for (path, item) in doc.paths.paths.iter() {
        for (method, op) in [
            ("GET", &item.get),
            ("PUT", &item.put),
            ("POST", &item.post),
            ("DELETE", &item.delete),
            ("PATCH", &item.patch),
            ("HEAD", &item.head),
            ("OPTIONS", &item.options),
        ] {
            if let Some(op) = op {
                out.push((method, path.as_str(), op));
            }
        }
    }
    out
}

/// Adds the security scheme and the problem responses every operation can
/// give, so that each `#[utoipa::path]` lists only its own.
fn complete(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "A token from `POST /auth/token`, sent as `Authorization: Bearer <token>`.",
                ))
                .build(),
        ),
    );
    let problem_content = || {
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ProblemDto")))
            .build()
    };
    let text_header = |d: &str| {
        HeaderBuilder::new()
            .schema(Some(utoipa::openapi::schema::Object::with_type(
                utoipa::openapi::schema::Type::String,
            )))
            .description(Some(d))
            .build()
    };
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let has_body = op.request_body.is_some();
            let has_query = op
                .parameters
                .iter()
                .flatten()
                .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Query));
            let responses = &mut op.responses.responses;
            let mut add = |code: &str, r: utoipa::openapi::Response| {
                responses.entry(code.to_string()).or_insert(RefOr::T(r));
            };
            let plain = |d: &str| ResponseBuilder::new().description(d).build();
            if secured {
                add(
                    "401",
                    ResponseBuilder::new()
                        .description("No token, or the token is invalid, expired or revoked")
                        .header("WWW-Authenticate", text_header("`Bearer realm=\"udrul\"`"))
                        .build(),
                );
                add(
                    "403",
                    plain("The caller's role or robot token does not allow this"),
                );
                add(
                    "429",
                    ResponseBuilder::new()
                        .description("A robot token over its rate limit")
                        .header("Retry-After", text_header("Seconds to wait"))
                        .build(),
                );
            }
            match (has_body, has_query) {
                (true, true) => add(
                    "400",
                    plain("The body is not JSON, or a query parameter is malformed or unknown"),
                ),
                (true, false) => add("400", plain("The body is not JSON")),
                (false, true) => add("400", plain("A query parameter is malformed or unknown")),
                (false, false) => {}
            }
            if has_body {
                add("413", plain("The body is larger than 256 KiB"));
                add("415", plain("The body is not sent as `application/json`"));
                add(
                    "422",
                    plain("The body has unknown fields, wrong types or invalid values"),
                );
            }
            add("500", plain("An unexpected error; it is logged"));
            add(
                "503",
                ResponseBuilder::new()
                    .description("The database is not answering; try again later")
                    .header("Retry-After", text_header("Seconds to wait"))
                    .build(),
            );
            // Every error answer is a problem details object.
            for (code, r) in responses.iter_mut() {
                let is_error = code.starts_with('4') || code.starts_with('5');
                if let RefOr::T(r) = r
                    && is_error
                    && r.content.is_empty()
                {
                    r.content
                        .insert(PROBLEM_JSON.to_string(), RefOr::T(problem_content()));
                }
            }
        }
    }
}
