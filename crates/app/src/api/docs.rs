//! `GET /api/v1/openapi.json` and `GET /api/v1/docs`: the OpenAPI document
//! and a server-rendered HTML view of it (no Swagger UI: it needs inline
//! script, which the CSP forbids). The page is made from the same
//! `utoipa::openapi::OpenApi` value the JSON is, so the two cannot differ.
//!
//! The page's own texts and the operation summaries come from the
//! catalogue (`locales/*/api.ftl`); the reference texts inside the document
//! (descriptions of parameters, fields and responses) are English and are
//! marked `lang="en"` on the Danish page.

use std::sync::OnceLock;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{ArrayItems, Schema, SchemaType, Type};
use utoipa::openapi::{OpenApi, RefOr, Required};

use super::problem::ProblemKind;
use crate::auth::{Ctx, LANG_COOKIE};
use crate::i18n::{Lang, Tr};
use crate::state::AppState;
use crate::web::pages::render;

/// The OpenAPI document
///
/// This API's OpenAPI 3.1 document, as JSON. No authentication.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI document", body = Object, content_type = "application/json"))
)]
pub async fn openapi_json() -> Response {
    static JSON: OnceLock<String> = OnceLock::new();
    let body = JSON.get_or_init(|| {
        super::openapi()
            .to_pretty_json()
            .unwrap_or_else(|_| "{}".into())
    });
    ([(header::CONTENT_TYPE, "application/json")], body.as_str()).into_response()
}

/// The API documentation
///
/// This page: every operation, its parameters, bodies and answers, and
/// every schema, as HTML, in Danish or English (the `udrul_lang` cookie).
/// No authentication.
#[utoipa::path(
    get,
    path = "/docs",
    tag = "meta",
    responses((status = 200, description = "The documentation as HTML", body = String, content_type = "text/html"))
)]
pub async fn docs_page(State(st): State<AppState>, jar: CookieJar, headers: HeaderMap) -> Response {
    let lang = jar
        .get(LANG_COOKIE)
        .and_then(|c| Lang::parse(c.value()))
        .unwrap_or(Lang::Da);
    let ctx = Ctx {
        tr: Tr::new(lang),
        actor: None,
        csrf: String::new(),
        path: format!("{}/docs", super::BASE),
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost:8080");
    let scheme = if st.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    let base_url = format!("{scheme}://{host}{}", super::BASE);
    let page = DocsPage::new(&ctx, super::openapi(), &base_url);
    Html(render(&page)).into_response()
}

/// A piece of a type description; `link` points to a schema on the page.
pub struct Piece {
    pub text: String,
    pub link: Option<String>,
}

pub struct ParamView {
    pub name: String,
    pub location: String,
    pub ty: Vec<Piece>,
    pub required: bool,
    pub description: String,
}

pub struct BodyView {
    pub content_type: String,
    pub ty: Vec<Piece>,
    pub required: bool,
    pub description: String,
    pub example: Option<String>,
}

pub struct ResponseView {
    pub status: String,
    pub description: String,
    pub content_type: String,
    pub ty: Vec<Piece>,
    pub headers: String,
}

pub struct OpView {
    pub anchor: String,
    pub method: &'static str,
    pub path: String,
    pub summary: String,
    /// Whether `summary` came from the catalogue (in the page's language).
    pub summary_translated: bool,
    pub description: String,
    pub secured: bool,
    pub params: Vec<ParamView>,
    pub body: Option<BodyView>,
    pub responses: Vec<ResponseView>,
}

pub struct TagView {
    pub anchor: String,
    pub title: String,
    pub description: String,
    pub ops: Vec<OpView>,
}

pub struct PropView {
    pub name: String,
    pub ty: Vec<Piece>,
    pub required: bool,
    pub description: String,
}

pub struct SchemaView {
    pub anchor: String,
    pub name: String,
    pub description: String,
    pub kind: Vec<Piece>,
    pub props: Vec<PropView>,
    pub values: Vec<String>,
}

pub struct ProblemView {
    pub uri: String,
    pub status: u16,
    pub title: String,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
pub struct DocsPage<'a> {
    pub ctx: &'a Ctx,
    /// The page is not in English: mark English reference text.
    pub foreign: bool,
    pub version: String,
    pub base_url: String,
    pub tags: Vec<TagView>,
    pub schemas: Vec<SchemaView>,
    pub problems: Vec<ProblemView>,
    pub curl_token: String,
    pub curl_list: String,
    pub curl_patch: String,
    pub problem_example: String,
}

/// Markdown of the document (backticks, mostly) as safe HTML, without the
/// paragraph around a single line.
fn md(text: &str) -> String {
    let html = crate::markdown::to_safe_html(text);
    let trimmed = html.trim();
    match trimmed
        .strip_prefix("<p>")
        .and_then(|s| s.strip_suffix("</p>"))
    {
        Some(inner) if !inner.contains("<p>") => inner.to_string(),
        _ => trimmed.to_string(),
    }
}

fn schema_name(r: &str) -> String {
    r.rsplit('/').next().unwrap_or(r).to_string()
}

fn type_name(t: &Type) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "any".into())
}

/// Describes a schema in words: `string (date)`, `array of TaskDto`, ...
fn describe(tr: &Tr, s: &RefOr<Schema>, out: &mut Vec<Piece>) {
    let text = |out: &mut Vec<Piece>, t: String| {
        out.push(Piece {
            text: t,
            link: None,
        })
    };
    match s {
        RefOr::Ref(r) => {
            let name = schema_name(&r.ref_location);
            out.push(Piece {
                link: Some(format!("#schema-{name}")),
                text: name,
            });
        }
        RefOr::T(Schema::Object(o)) => {
            let types: Vec<&Type> = match &o.schema_type {
                SchemaType::Type(t) => vec![t],
                SchemaType::Array(ts) => ts.iter().collect(),
                SchemaType::AnyValue => Vec::new(),
            };
            let nullable = types.iter().any(|t| matches!(t, Type::Null));
            let main: Vec<String> = types
                .iter()
                .filter(|t| !matches!(t, Type::Null))
                .map(|t| type_name(t))
                .collect();
            let mut t = if main.is_empty() {
                tr.t("api-docs-any")
            } else {
                main.join(" | ")
            };
            if let Some(f) = o
                .format
                .as_ref()
                .and_then(|f| serde_json::to_value(f).ok())
                .and_then(|v| v.as_str().map(str::to_string))
            {
                t.push_str(&format!(" ({f})"));
            }
            if let Some(values) = &o.enum_values {
                let vs: Vec<String> = values.iter().map(|v| v.to_string()).collect();
                t.push_str(&format!(": {}", vs.join(", ")));
            }
            if nullable {
                t.push_str(&format!(", {}", tr.t("api-docs-nullable")));
            }
            if let Some(n) = o.max_length {
                t.push_str(&format!(
                    ", {}",
                    tr.n("api-docs-max-length", i64::try_from(n).unwrap_or(0))
                ));
            }
            text(out, t);
        }
        RefOr::T(Schema::Array(a)) => {
            text(out, format!("{} ", tr.t("api-docs-array-of")));
            match &a.items {
                ArrayItems::RefOrSchema(item) => describe(tr, item, out),
                ArrayItems::False => text(out, tr.t("api-docs-any")),
            }
            if matches!(&a.schema_type, SchemaType::Array(ts) if ts.iter().any(|t| matches!(t, Type::Null)))
            {
                text(out, format!(", {}", tr.t("api-docs-nullable")));
            }
        }
        RefOr::T(Schema::OneOf(o)) => composite(tr, &o.items, " | ", out),
        RefOr::T(Schema::AnyOf(o)) => composite(tr, &o.items, " | ", out),
        RefOr::T(Schema::AllOf(o)) => composite(tr, &o.items, " & ", out),
        #[allow(unreachable_patterns)]
        _ => text(out, tr.t("api-docs-any")),
    }
}

fn is_null(s: &RefOr<Schema>) -> bool {
    matches!(s, RefOr::T(Schema::Object(o)) if matches!(o.schema_type, SchemaType::Type(Type::Null)))
}

fn composite(tr: &Tr, items: &[RefOr<Schema>], sep: &str, out: &mut Vec<Piece>) {
    let nullable = items.iter().any(is_null);
    for (i, item) in items.iter().filter(|s| !is_null(s)).enumerate() {
        if i > 0 {
            out.push(Piece {
                text: sep.to_string(),
                link: None,
            });
        }
        describe(tr, item, out);
    }
    if nullable {
        out.push(Piece {
            text: format!(", {}", tr.t("api-docs-nullable")),
            link: None,
        });
    }
}

fn described(tr: &Tr, s: &RefOr<Schema>) -> Vec<Piece> {
    let mut out = Vec::new();
    describe(tr, s, &mut out);
    out
}

fn description_of(s: &RefOr<Schema>) -> Option<&str> {
    let d = match s {
        RefOr::Ref(r) => Some(r.description.as_str()),
        RefOr::T(Schema::Object(o)) => o.description.as_deref(),
        RefOr::T(Schema::Array(a)) => a.description.as_deref(),
        RefOr::T(Schema::OneOf(o)) => o.description.as_deref(),
        RefOr::T(Schema::AllOf(o)) => o.description.as_deref(),
        RefOr::T(Schema::AnyOf(o)) => o.description.as_deref(),
        #[allow(unreachable_patterns)]
        _ => None,
    };
    d.filter(|d| !d.is_empty())
}

fn location(tr: &Tr, p: &ParameterIn) -> String {
    tr.t(match p {
        ParameterIn::Path => "api-docs-in-path",
        ParameterIn::Query | ParameterIn::QueryString => "api-docs-in-query",
        ParameterIn::Header => "api-docs-in-header",
        ParameterIn::Cookie => "api-docs-in-cookie",
    })
}

fn op_view(tr: &Tr, method: &'static str, path: &str, op: &Operation) -> OpView {
    let id = op.operation_id.clone().unwrap_or_default();
    let key = format!("api-op-{id}");
    let (summary, summary_translated) = if tr.has(&key) {
        (tr.t(&key), true)
    } else {
        (op.summary.clone().unwrap_or_default(), false)
    };
    let params = op
        .parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(p) => Some(p),
            RefOr::Ref(_) => None,
        })
        .map(|p| ParamView {
            name: p.name.clone(),
            location: location(tr, &p.parameter_in),
            ty: p
                .schema
                .as_ref()
                .map(|s| described(tr, s))
                .unwrap_or_default(),
            required: matches!(p.required, Required::True),
            description: md(p.description.as_deref().unwrap_or("")),
        })
        .collect();
    let body = op.request_body.as_ref().and_then(|b| match b {
        RefOr::T(b) => {
            let (ct, content) = b.content.iter().next()?;
            let content = match content {
                RefOr::T(c) => Some(c),
                RefOr::Ref(_) => None,
            };
            Some(BodyView {
                content_type: ct.clone(),
                ty: content
                    .and_then(|c| c.schema.as_ref())
                    .map(|s| described(tr, s))
                    .unwrap_or_default(),
                required: matches!(b.required, Some(Required::True)),
                description: md(b.description.as_deref().unwrap_or("")),
                example: content
                    .and_then(|c| c.example.as_ref())
                    .and_then(|e| serde_json::to_string_pretty(e).ok()),
            })
        }
        RefOr::Ref(_) => None,
    });
    let responses = op
        .responses
        .responses
        .iter()
        .filter_map(|(status, r)| match r {
            RefOr::T(r) => Some((status, r)),
            RefOr::Ref(_) => None,
        })
        .map(|(status, r)| {
            let (content_type, ty) = match r.content.iter().next() {
                Some((ct, RefOr::T(c))) => (
                    ct.clone(),
                    c.schema
                        .as_ref()
                        .map(|s| described(tr, s))
                        .unwrap_or_default(),
                ),
                Some((ct, RefOr::Ref(_))) => (ct.clone(), Vec::new()),
                None => (String::new(), Vec::new()),
            };
            ResponseView {
                status: status.clone(),
                description: md(&r.description),
                content_type,
                ty,
                headers: r.headers.keys().cloned().collect::<Vec<_>>().join(", "),
            }
        })
        .collect();
    OpView {
        anchor: format!("op-{id}"),
        method,
        path: format!("{}{path}", super::BASE),
        summary,
        summary_translated,
        description: crate::markdown::to_safe_html(op.description.as_deref().unwrap_or("")),
        secured: op.security.as_ref().is_some_and(|s| !s.is_empty()),
        params,
        body,
        responses,
    }
}

fn schema_view(tr: &Tr, name: &str, s: &RefOr<Schema>) -> SchemaView {
    let mut view = SchemaView {
        anchor: format!("schema-{name}"),
        name: name.to_string(),
        description: md(description_of(s).unwrap_or("")),
        kind: Vec::new(),
        props: Vec::new(),
        values: Vec::new(),
    };
    match s {
        RefOr::T(Schema::Object(o)) if !o.properties.is_empty() => {
            view.props = o
                .properties
                .iter()
                .map(|(p, ps)| PropView {
                    name: p.clone(),
                    ty: described(tr, ps),
                    required: o.required.contains(p),
                    description: md(description_of(ps).unwrap_or("")),
                })
                .collect();
        }
        RefOr::T(Schema::Object(o)) if o.enum_values.is_some() => {
            view.values = o
                .enum_values
                .iter()
                .flatten()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect();
        }
        other => view.kind = described(tr, other),
    }
    view
}

const TAG_ORDER: [&str; 6] = ["auth", "members", "projects", "tasks", "instances", "meta"];

impl<'a> DocsPage<'a> {
    pub fn new(ctx: &'a Ctx, doc: &OpenApi, base_url: &str) -> Self {
        let tr = &ctx.tr;
        let mut names: Vec<String> = doc.tags.iter().flatten().map(|t| t.name.clone()).collect();
        names.sort_by_key(|n| TAG_ORDER.iter().position(|o| o == n).unwrap_or(usize::MAX));
        let ops = super::operations(doc);
        let mut tags: Vec<TagView> = names
            .iter()
            .map(|name| TagView {
                anchor: format!("tag-{name}"),
                title: tr.t(&format!("api-tag-{name}")),
                description: tr.t(&format!("api-tag-{name}-description")),
                ops: ops
                    .iter()
                    .filter(|(_, _, op)| op.tags.iter().flatten().any(|t| t == name))
                    .map(|(m, p, op)| op_view(tr, m, p, op))
                    .collect(),
            })
            .collect();
        // Operations without a known tag still appear.
        let untagged: Vec<OpView> = ops
            .iter()
            .filter(|(_, _, op)| !op.tags.iter().flatten().any(|t| names.contains(t)))
            .map(|(m, p, op)| op_view(tr, m, p, op))
            .collect();
        if !untagged.is_empty() {
            tags.push(TagView {
                anchor: "tag-other".into(),
                title: tr.t("api-tag-other"),
                description: String::new(),
                ops: untagged,
            });
        }
        let schemas = doc
            .components
            .iter()
            .flat_map(|c| c.schemas.iter())
            .map(|(n, s)| schema_view(tr, n, s))
            .collect();
        let problems = ProblemKind::ALL
            .iter()
            .map(|k| ProblemView {
                uri: k.type_uri(),
                status: k.status().as_u16(),
                title: tr.t(&k.title_key()),
            })
            .collect();
        let curl_token = format!(
            "curl -s -X POST {base_url}/auth/token \\\n  -H 'Content-Type: application/json' \\\n  \
             -d '{{\"username\": \"staff\", \"password\": \"…\"}}'"
        );
        let curl_list = format!(
            "TOKEN=…   # \"token\" from the answer above\ncurl -s {base_url}/instances?open_only=true \\\n  \
             -H \"Authorization: Bearer $TOKEN\""
        );
        let curl_patch = format!(
            "curl -s -X PATCH {base_url}/instances/42 \\\n  -H \"Authorization: Bearer $TOKEN\" \\\n  \
             -H 'Content-Type: application/json' \\\n  -H 'If-Match: \"3\"' \\\n  \
             -d '{{\"status\": \"paabegyndt\", \"responsible\": \"Mette Jensen\"}}'"
        );
        let problem_example = serde_json::to_string_pretty(&serde_json::json!({
            "type": ProblemKind::Validation.type_uri(),
            "title": Tr::new(Lang::En).t(&ProblemKind::Validation.title_key()),
            "status": 422,
            "detail": Tr::new(Lang::En).n("api-error-validation", 1),
            "instance": format!("{}/tasks", super::BASE),
            "errors": [{"field": "title", "code": "error-required", "detail": Tr::new(Lang::En).t("error-required")}]
        }))
        .unwrap_or_default();
        DocsPage {
            ctx,
            foreign: tr.lang != Lang::En,
            version: doc.info.version.clone(),
            base_url: base_url.to_string(),
            tags,
            schemas,
            problems,
            curl_token,
            curl_list,
            curl_patch,
            problem_example,
        }
    }
}
