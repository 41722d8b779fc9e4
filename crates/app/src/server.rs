//! The router: web pages, `/api/v1`, `/scim/v2`, health, static files, and the layers
//! every response passes through (request id, tracing, security headers,
//! error pages).

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum_extra::extract::cookie::CookieJar;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::{RequestBodyDeadlineLayer, RequestBodyTimeoutLayer};

use crate::auth::{Ctx, LANG_COOKIE};
use crate::error::ErrorPage;
use crate::i18n::{Lang, Tr};
use crate::state::AppState;
use crate::web::pages::ErrorTemplate;

/// No inline script or style anywhere: everything comes from `/static`.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Routes outside the pages and the API: probes, the style sheet, a
/// redirect to the API docs.
fn service_routes() -> Vec<crate::web::Route> {
    vec![
        (
            "/api/docs",
            get(|| async { axum::response::Redirect::permanent("/api/v1/docs") }),
        ),
        ("/healthz", get(|| async { "ok" })),
        ("/readyz", get(readyz)),
        ("/static/app.css", get(css)),
        ("/static/favicon.svg", get(favicon_svg)),
        ("/favicon.ico", get(favicon_ico)),
    ]
}

/// Every route of the app as (path, `None` for any method or the one
/// method), taken from the same lists the router is built from: pages,
/// service routes, the API's OpenAPI document (utoipa-axum registers a
/// route only with its documentation), and the SCIM routes.
pub fn route_table() -> Vec<(String, Option<&'static str>)> {
    let mut out: Vec<(String, Option<&'static str>)> = crate::web::paths()
        .into_iter()
        .chain(service_routes().into_iter().map(|(p, _)| p))
        .map(|p| (p.to_string(), None))
        .collect();
    for (method, path, _) in crate::api::operations(crate::api::openapi()) {
        out.push((format!("/api/v1{path}"), Some(method)));
    }
    for route in crate::scim::routes() {
        for method in route.methods {
            out.push((
                format!("{}{}", crate::scim::BASE, route.path),
                Some(*method),
            ));
        }
    }
    out
}

pub fn router(state: AppState) -> Router {
    // Behind HTTPS (the same switch as the secure cookies) browsers are told
    // to use nothing else for a year.
    let hsts = state.config.secure_cookies.then(|| {
        SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        )
    });
    let web = crate::web::router()
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::auth::session,
        ))
        .layer(middleware::from_fn(render_error_pages));
    crate::web::router_of(service_routes())
        .merge(web)
        .nest("/api/v1", crate::api::router())
        .nest(crate::scim::BASE, crate::scim::router())
        .with_state(state.clone())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::client::client_addr,
        ))
        // A body that stops arriving, or trickles in, ends the request
        // (the session middleware answers 408; see `serve` for headers
        // and idle connections).
        .layer(RequestBodyTimeoutLayer::new(state.config.body_timeout))
        .layer(RequestBodyDeadlineLayer::new(state.config.body_deadline))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(tower::util::option_layer(hsts))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(|req: &Request| {
                tracing::debug_span!(
                    "request",
                    method = %req.method(),
                    uri = %logged_uri(req.uri()),
                    version = ?req.version(),
                )
            }),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// A request's path and query as the trace logs it: the secret of a
/// set-password link (issue 11) is in its path, so it is left out.
fn logged_uri(uri: &axum::http::Uri) -> String {
    let path = uri.path();
    match path.strip_prefix(crate::web::accounts::SET_PASSWORD_PATH) {
        Some(_) => format!("{}…", crate::web::accounts::SET_PASSWORD_PATH),
        None => uri
            .path_and_query()
            .map_or_else(|| path.to_string(), |p| p.as_str().to_string()),
    }
}

async fn readyz(State(st): State<AppState>) -> Response {
    match st.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/app.css"),
    )
        .into_response()
}

/// The icon pages link (`layout.html`).
async fn favicon_svg() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../static/favicon.svg"),
    )
        .into_response()
}

/// `/favicon.ico`, which browsers and tools ask for whatever pages link:
/// the same mark as a 16 × 16 icon.
async fn favicon_ico() -> Response {
    static ICO: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(favicon_bytes);
    (
        [
            (header::CONTENT_TYPE, "image/x-icon"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        ICO.as_slice(),
    )
        .into_response()
}

/// A 16 × 16 ICO (one 32-bit bitmap): a white tick on the header's blue,
/// drawn here rather than kept as a binary file.
fn favicon_bytes() -> Vec<u8> {
    const N: u32 = 16;
    // Distance from (px, py) to the segment (ax, ay)-(bx, by).
    fn dist(p: (f32, f32), a: (f32, f32), b: (f32, f32)) -> f32 {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let t = (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
        ((p.0 - a.0 - t * dx).powi(2) + (p.1 - a.1 - t * dy).powi(2)).sqrt()
    }
    let mut out = Vec::new();
    // ICONDIR: reserved, type 1 (icon), one image.
    out.extend([0, 0, 1, 0, 1, 0]);
    let image_len: u32 = 40 + N * N * 4 + N * 4;
    // ICONDIRENTRY: 16 × 16, no palette, 1 plane, 32 bits, size, offset 22.
    out.extend([16, 16, 0, 0, 1, 0, 32, 0]);
    out.extend(image_len.to_le_bytes());
    out.extend(22u32.to_le_bytes());
    // BITMAPINFOHEADER; the height counts the colour and mask rows.
    out.extend(40u32.to_le_bytes());
    out.extend(N.to_le_bytes());
    out.extend((2 * N).to_le_bytes());
    out.extend(1u16.to_le_bytes());
    out.extend(32u16.to_le_bytes());
    out.extend([0u8; 24]);
    // Pixels, bottom row first, as BGRA.
    for row in (0..N).rev() {
        for col in 0..N {
            let p = (col as f32 + 0.5, row as f32 + 0.5);
            let tick =
                dist(p, (4.0, 8.5), (6.5, 11.0)) < 1.2 || dist(p, (6.5, 11.0), (12.0, 5.0)) < 1.2;
            out.extend(if tick {
                [0xff, 0xff, 0xff, 0xff]
            } else {
                [0x8a, 0x4f, 0x0b, 0xff]
            });
        }
    }
    // The AND mask: all opaque (rows padded to 32 bits).
    out.extend(std::iter::repeat_n(0u8, (N * 4) as usize));
    out
}

/// Turns an `ErrorPage` marker into a whole page in the visitor's language.
async fn render_error_pages(jar: CookieJar, req: Request, next: Next) -> Response {
    let lang = jar
        .get(LANG_COOKIE)
        .and_then(|c| Lang::parse(c.value()))
        .unwrap_or(Lang::Da);
    let res = next.run(req).await;
    let Some(page) = res.extensions().get::<ErrorPage>().copied() else {
        return res;
    };
    let ctx = Ctx {
        tr: Tr::new(lang),
        actor: None,
        csrf: String::new(),
        path: "/".into(),
    };
    let html = crate::web::pages::render(&ErrorTemplate {
        ctx: &ctx,
        status: page.status.as_u16(),
        key: page.key,
    });
    let mut out = (page.status, Html(html)).into_response();
    for (name, value) in res.headers() {
        if name == header::SET_COOKIE || name == header::RETRY_AFTER || name == header::CONNECTION {
            out.headers_mut().append(name, value.clone());
        }
    }
    out
}
