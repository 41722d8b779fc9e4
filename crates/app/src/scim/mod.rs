//! SCIM 2.0 (RFC 7643, RFC 7644) under `/scim/v2`: an identity provider
//! (Microsoft Entra ID, Okta, ...) keeps a member's people (`/Users`) and
//! org units (`/Groups`) in step with its directory.
//!
//! - authentication: a robot token (`Authorization: Bearer udrul_robot_...`)
//!   whose token holds `people:write`, resolved and rate-limited by the
//!   API's own `ApiActor`; the member is the token's, never the request's.
//!   Anything else is 401 (no or a bad token) or 403 (a person's token, a
//!   robot without the permission).
//! - errors: SCIM error objects (`error.rs`), also for unknown paths, wrong
//!   methods and bodies refused before a handler (`finish`).
//! - bodies: `application/scim+json` or `application/json`, at most 256
//!   KiB; unknown attributes are ignored, as SCIM asks of a service
//!   provider, since identity providers send more than we keep.
//! - idempotency: every write goes through store calls that do nothing (and
//!   audit nothing) when nothing differs, so replayed requests converge.
//!
//! The routes come from `routes()`, which also feeds `server::route_table`
//! and so the tenant-isolation matrix.

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde_json::{Value, json};
use udrul_core::{Actor, MemberId, Permission, Via};

use crate::api::extract::{ApiActor, MAX_BODY_BYTES};
use crate::state::AppState;

pub mod error;
pub mod filter;
pub mod groups;
pub mod patch;
pub mod users;

use error::{ScimError, ScimResult};

/// Where the router is nested (`server.rs`).
pub const BASE: &str = "/scim/v2";
pub const SCIM_JSON: &str = "application/scim+json";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The most resources one list answer holds (`filter.maxResults`).
pub const MAX_RESULTS: usize = 200;

/// A SCIM route: its path under `/scim/v2`, its methods, its handlers.
pub struct ScimRoute {
    pub path: &'static str,
    pub methods: &'static [&'static str],
    pub handlers: MethodRouter<AppState>,
}

/// Every SCIM route. The router is built from this list, and
/// `server::route_table` takes the methods from it.
pub fn routes() -> Vec<ScimRoute> {
    fn r(
        path: &'static str,
        methods: &'static [&'static str],
        handlers: MethodRouter<AppState>,
    ) -> ScimRoute {
        ScimRoute {
            path,
            methods,
            handlers,
        }
    }
    vec![
        r(
            "/ServiceProviderConfig",
            &["GET"],
            get(service_provider_config),
        ),
        r("/ResourceTypes", &["GET"], get(resource_types)),
        r("/Schemas", &["GET"], get(schemas)),
        r(
            "/Users",
            &["GET", "POST"],
            get(users::list).post(users::create),
        ),
        r(
            "/Users/{id}",
            &["GET", "PUT", "PATCH", "DELETE"],
            get(users::read)
                .put(users::replace)
                .patch(users::patch)
                .delete(users::delete),
        ),
        r(
            "/Groups",
            &["GET", "POST"],
            get(groups::list).post(groups::create),
        ),
        r(
            "/Groups/{id}",
            &["GET", "PUT", "PATCH", "DELETE"],
            get(groups::read)
                .put(groups::replace)
                .patch(groups::patch)
                .delete(groups::delete),
        ),
    ]
}

pub fn router() -> Router<AppState> {
    routes()
        .into_iter()
        .fold(Router::new(), |r, route| {
            r.route(route.path, route.handlers)
        })
        .fallback(|| async { ScimError::not_found() })
        .layer(axum::middleware::from_fn(finish))
}

/// Turns any error response that is not a SCIM error yet (axum's 405, a
/// path that is not a number) into one of its status.
async fn finish(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error())
        || res.extensions().get::<error::Marker>().is_some()
    {
        return res;
    }
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => "This resource does not allow this method.",
        StatusCode::NOT_FOUND => "No such resource.",
        StatusCode::PAYLOAD_TOO_LARGE => "The body is larger than 256 KiB.",
        _ => status.canonical_reason().unwrap_or("Error"),
    };
    let body = ScimError::new(status, None, detail).body().to_string();
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// An identity provider: a robot of `member` whose token holds
/// `people:write`.
pub struct Scim {
    pub actor: Actor,
    pub member: MemberId,
}

impl FromRequestParts<AppState> for Scim {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ScimError> {
        let a = ApiActor::from_request_parts(parts, st)
            .await
            .map_err(ScimError::from_problem)?;
        match (a.actor.via, a.actor.member_id) {
            (Via::Robot { permissions, .. }, Some(member))
                if permissions.has(Permission::PeopleWrite) && a.actor.can_sync_people(member) =>
            {
                Ok(Scim {
                    actor: a.actor,
                    member,
                })
            }
            _ => Err(ScimError::forbidden()),
        }
    }
}

/// A SCIM request body: a JSON object.
pub struct ScimBody(pub serde_json::Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for ScimBody {
    type Rejection = ScimError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ScimError> {
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        // No content type at all is taken as JSON (some clients omit it).
        if let Some(ct) = ct
            && !(ct == "application/json"
                || (ct.starts_with("application/") && ct.ends_with("+json")))
        {
            return Err(ScimError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                "Send the body as application/scim+json or application/json.",
            ));
        }
        let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                ScimError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    None,
                    "The body is larger than 256 KiB.",
                )
            })?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(m)) => Ok(ScimBody(m)),
            Ok(_) => Err(ScimError::bad(
                "invalidSyntax",
                "The body must be a JSON object.",
            )),
            Err(e) => Err(ScimError::bad(
                "invalidSyntax",
                format!(
                    "The body is not JSON (line {}, column {}).",
                    e.line(),
                    e.column()
                ),
            )),
        }
    }
}

/// A `{id}` in the path: our numeric id; anything else names nothing.
pub struct ResourceId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for ResourceId {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, ScimError> {
        match axum::extract::Path::<String>::from_request_parts(parts, s).await {
            Ok(axum::extract::Path(id)) => id
                .parse::<i64>()
                .map(ResourceId)
                .map_err(|_| ScimError::not_found()),
            Err(_) => Err(ScimError::not_found()),
        }
    }
}

/// The query parameters of a list or read: names without regard to case.
pub struct ScimQuery(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for ScimQuery {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ScimError> {
        let q = parts.uri.query().unwrap_or("");
        Ok(ScimQuery(
            form_urlencoded::parse(q.as_bytes()).into_owned().collect(),
        ))
    }
}

impl ScimQuery {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn filter(&self) -> ScimResult<Option<filter::Filter>> {
        match self.get("filter").map(str::trim) {
            None | Some("") => Ok(None),
            Some(f) => filter::parse_filter(f)
                .map(Some)
                .map_err(|e| ScimError::bad("invalidFilter", e.0)),
        }
    }

    /// `startIndex` (1-based, at least 1) and `count` (at most
    /// `MAX_RESULTS`, at least 0).
    pub fn page(&self) -> ScimResult<(usize, usize)> {
        let num = |name: &str, default: i64| -> ScimResult<i64> {
            match self.get(name).map(str::trim) {
                None | Some("") => Ok(default),
                Some(v) => v.parse::<i64>().map_err(|_| {
                    ScimError::invalid_value(format!("{name} must be a whole number."))
                }),
            }
        };
        let start = num("startIndex", 1)?.max(1);
        let count = num("count", MAX_RESULTS as i64)?.clamp(0, MAX_RESULTS as i64);
        Ok((start as usize, count as usize))
    }

    /// Applies `attributes` / `excludedAttributes` (top-level names) to a
    /// resource; `id`, `schemas` and `meta` are always returned.
    pub fn project(&self, mut v: Value) -> Value {
        let list = |name: &str| -> Vec<String> {
            self.get(name)
                .map(|s| {
                    s.split(',')
                        .map(|a| {
                            let a = a.trim();
                            // A URN-qualified core name: its last part.
                            let a = if a
                                .to_ascii_lowercase()
                                .starts_with("urn:ietf:params:scim:schemas:core:")
                            {
                                a.rsplit(':').next().unwrap_or(a)
                            } else {
                                a
                            };
                            a.split('.').next().unwrap_or(a).to_ascii_lowercase()
                        })
                        .filter(|a| !a.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        let always = ["id", "schemas", "meta"];
        if let Value::Object(m) = &mut v {
            let only = list("attributes");
            if !only.is_empty() {
                m.retain(|k, _| {
                    let k = k.to_ascii_lowercase();
                    always.contains(&k.as_str()) || only.contains(&k)
                });
            }
            let without = list("excludedAttributes");
            m.retain(|k, _| {
                let k = k.to_ascii_lowercase();
                always.contains(&k.as_str()) || !without.contains(&k)
            });
        }
        v
    }
}

/// The URL prefix of resource locations: the portal's public URL when it
/// is configured, else the path alone.
pub fn base_url(st: &AppState) -> String {
    let root = st
        .config
        .public_url
        .as_deref()
        .unwrap_or("")
        .trim_end_matches('/');
    format!("{root}{BASE}")
}

/// A SCIM JSON answer.
pub fn scim_json(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON))],
        body.to_string(),
    )
        .into_response()
}

/// 201 with `Location`.
pub fn created(body: Value) -> Response {
    let location = body["meta"]["location"].as_str().unwrap_or("").to_string();
    let mut res = scim_json(StatusCode::CREATED, body);
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// A ListResponse of page `(start, count)` of `all`.
pub fn list_response(all: Vec<Value>, (start, count): (usize, usize), q: &ScimQuery) -> Response {
    let total = all.len();
    let page: Vec<Value> = all
        .into_iter()
        .skip(start - 1)
        .take(count)
        .map(|v| q.project(v))
        .collect();
    scim_json(
        StatusCode::OK,
        json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": page.len(),
            "Resources": page,
        }),
    )
}

pub fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

// --- discovery (RFC 7644 §4) --------------------------------------------------

async fn service_provider_config(_: Scim) -> Response {
    scim_json(
        StatusCode::OK,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": MAX_RESULTS},
            "changePassword": {"supported": false},
            "sort": {"supported": false},
            "etag": {"supported": false},
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "Robot token",
                "description": "A robot token of the member with the permission people:write, \
                    sent as Authorization: Bearer udrul_robot_...",
                "primary": true
            }],
            "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{BASE}/ServiceProviderConfig")}
        }),
    )
}

fn resource_type_docs() -> Vec<Value> {
    vec![
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "A person of the member organisation",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": false}],
            "meta": {"resourceType": "ResourceType", "location": format!("{BASE}/ResourceTypes/User")}
        }),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "An org unit of the member organisation",
            "schema": GROUP_SCHEMA,
            "meta": {"resourceType": "ResourceType", "location": format!("{BASE}/ResourceTypes/Group")}
        }),
    ]
}

async fn resource_types(_: Scim, q: ScimQuery) -> Response {
    let all = resource_type_docs();
    list_response(all, (1, MAX_RESULTS), &q)
}

fn attribute(
    name: &str,
    kind: &str,
    multi: bool,
    required: bool,
    mutability: &str,
    case_exact: bool,
    sub: Vec<Value>,
) -> Value {
    let mut v = json!({
        "name": name,
        "type": kind,
        "multiValued": multi,
        "required": required,
        "caseExact": case_exact,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": if name == "userName" { "server" } else { "none" },
    });
    if !sub.is_empty() {
        v["subAttributes"] = Value::Array(sub);
    }
    v
}

fn schema_docs() -> Vec<Value> {
    let s = |n: &str| attribute(n, "string", false, false, "readWrite", false, vec![]);
    let typed = |sub_types: &[&str]| {
        vec![
            s("value"),
            json!({"name": "type", "type": "string", "multiValued": false, "required": false,
                   "caseExact": false, "mutability": "readWrite", "returned": "default",
                   "uniqueness": "none", "canonicalValues": sub_types}),
            attribute(
                "primary",
                "boolean",
                false,
                false,
                "readWrite",
                false,
                vec![],
            ),
        ]
    };
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A person of the member organisation. displayName (or name) is the \
            person's one name; emails: the work address; phoneNumbers: the work number (a \
            mobile number when there is no work number); groups: the one org unit.",
        "attributes": [
            attribute("userName", "string", false, true, "readWrite", false, vec![]),
            attribute("name", "complex", false, false, "readWrite", false,
                vec![s("formatted"), s("givenName"), s("familyName")]),
            s("displayName"),
            s("title"),
            attribute("active", "boolean", false, false, "readWrite", false, vec![]),
            attribute("emails", "complex", true, false, "readWrite", false, typed(&["work"])),
            attribute("phoneNumbers", "complex", true, false, "readWrite", false, typed(&["work", "mobile"])),
            attribute("groups", "complex", true, false, "readOnly", false, vec![s("value"), s("display")]),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{BASE}/Schemas/{USER_SCHEMA}")}
    });
    let group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": GROUP_SCHEMA,
        "name": "Group",
        "description": "An org unit of the member organisation. A user is in at most one \
            group: adding them to another moves them.",
        "attributes": [
            attribute("displayName", "string", false, true, "readWrite", false, vec![]),
            attribute("members", "complex", true, false, "readWrite", false,
                vec![s("value"), s("display")]),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{BASE}/Schemas/{GROUP_SCHEMA}")}
    });
    let enterprise = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": ENTERPRISE_SCHEMA,
        "name": "EnterpriseUser",
        "description": "Accepted and not kept: org units come through /Groups.",
        "attributes": [s("department"), s("employeeNumber"), s("costCenter"),
            s("organization"), s("division")],
        "meta": {"resourceType": "Schema", "location": format!("{BASE}/Schemas/{ENTERPRISE_SCHEMA}")}
    });
    vec![user, group, enterprise]
}

async fn schemas(_: Scim, q: ScimQuery) -> Response {
    list_response(schema_docs(), (1, MAX_RESULTS), &q)
}

/// A boolean as identity providers send it: `true`, or Entra ID's
/// `"True"` / `"False"` strings.
pub fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// A string attribute's value (numbers as identity providers sometimes
/// send ids); `null` is empty.
pub fn string(v: &Value, attr: &str) -> ScimResult<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Null => Ok(String::new()),
        _ => Err(ScimError::invalid_value(format!(
            "{attr} must be a string."
        ))),
    }
}
