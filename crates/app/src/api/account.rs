//! Tokens, the caller, members and projects.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use udrul_core::ProjectId;
use udrul_core::input::{FieldErrors, MAX_SHORT, ProjectInput};

use super::dto::{MeDto, MemberDto, ProjectDto, ProjectRequest, TokenDto, TokenRequest};
use super::extract::{ApiActor, ApiJson, Central, Id};
use super::problem::{ApiResult, Problem};
use crate::state::AppState;
use crate::{auth, login_guard};

/// The longest password the token endpoint will hash.
const MAX_PASSWORD: usize = 1_000;

async fn me_of(st: &AppState, user: &udrul_core::User) -> ApiResult<MeDto> {
    let member = match user.member_id {
        Some(id) => st.store.get_member(id).await?,
        None => None,
    };
    Ok(MeDto::new(user, member))
}

/// Get a bearer token
///
/// Logs in with a local account's username and password and returns a
/// bearer token for the `Authorization` header. The token ends at
/// `expires_at` or when it is revoked with `DELETE /auth/token`.
#[utoipa::path(
    post,
    path = "/auth/token",
    tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "A new token", body = TokenDto),
        (status = 401, description = "The username or password is wrong"),
        (status = 429, description = "Too many failed logins of this username; see `Retry-After`",
            headers(("Retry-After" = u64, description = "Seconds until the next attempt is allowed"))),
    )
)]
pub async fn issue_token(
    State(st): State<AppState>,
    headers: axum::http::HeaderMap,
    ApiJson(req): ApiJson<TokenRequest>,
) -> ApiResult<Json<TokenDto>> {
    let mut e = FieldErrors::default();
    let username = e.required("username", &req.username, MAX_SHORT);
    if req.password.is_empty() {
        e.add("password", "error-required");
    }
    if !e.is_empty() {
        return Err(e.into());
    }
    let user = if req.password.len() > MAX_PASSWORD {
        None
    } else {
        // Counted before the password is checked (see `login_guard`).
        if let Some(wait) = login_guard::attempt(&st, &username, &headers).await? {
            login_guard::refused(&st, &username, &headers).await?;
            return Err(Problem::too_many_requests(
                "api-error-login-throttled",
                wait,
            ));
        }
        auth::check_password(&st, &username, &req.password).await?
    };
    let Some(user) = user else {
        tracing::info!("failed API login");
        login_guard::failed(&st, &username, &headers).await?;
        return Err(Problem::unauthorized(
            "api-error-login",
            "Bearer realm=\"udrul\"",
        ));
    };
    login_guard::succeeded(&st, &user, "login.api_token", &headers).await?;
    let (token, expires_at) =
        auth::issue_credential(&st, "api", &user, st.config.api_token_ttl).await?;
    Ok(Json(TokenDto {
        token,
        token_type: "Bearer".into(),
        expires_at,
        user: me_of(&st, &user).await?,
    }))
}

/// Revoke the token
///
/// Ends the token sent in the `Authorization` header, at once and on every
/// app instance.
#[utoipa::path(
    delete,
    path = "/auth/token",
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 204, description = "The token no longer works"))
)]
pub async fn revoke_token(State(st): State<AppState>, a: ApiActor) -> ApiResult<StatusCode> {
    if let udrul_core::Via::Robot { token_id, .. } = a.actor.via {
        st.store.revoke_robot_token(&a.actor, token_id).await?;
    } else {
        st.store
            .delete_credential("api", &auth::hash_secret(&a.secret))
            .await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Who am I
///
/// The user the token belongs to, with their member.
#[utoipa::path(
    get,
    path = "/me",
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, description = "The authenticated user", body = MeDto))
)]
pub async fn me(State(st): State<AppState>, a: ApiActor) -> ApiResult<Json<MeDto>> {
    Ok(Json(me_of(&st, &a.user).await?))
}

/// List members
///
/// Every member organisation, by name. Any authenticated user may list
/// them: names, regions and networks are public.
#[utoipa::path(
    get,
    path = "/members",
    tag = "members",
    security(("bearer" = [])),
    responses((status = 200, description = "All members", body = Vec<MemberDto>))
)]
pub async fn list_members(
    State(st): State<AppState>,
    _a: ApiActor,
) -> ApiResult<Json<Vec<MemberDto>>> {
    let members = st.store.list_members().await?;
    Ok(Json(members.into_iter().map(MemberDto::from).collect()))
}

/// List projects
///
/// Central users only.
#[utoipa::path(
    get,
    path = "/projects",
    tag = "projects",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "All projects", body = Vec<ProjectDto>),
        (status = 403, description = "Not a central user"),
    )
)]
pub async fn list_projects(
    State(st): State<AppState>,
    _c: Central,
) -> ApiResult<Json<Vec<ProjectDto>>> {
    let projects = st.store.list_projects().await?;
    Ok(Json(projects.into_iter().map(ProjectDto::from).collect()))
}

/// Get a project
///
/// Central users only.
#[utoipa::path(
    get,
    path = "/projects/{id}",
    tag = "projects",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Project id")),
    responses(
        (status = 200, description = "The project", body = ProjectDto),
        (status = 403, description = "Not a central user"),
        (status = 404, description = "No such project"),
    )
)]
pub async fn get_project(
    State(st): State<AppState>,
    _c: Central,
    Id(id): Id,
) -> ApiResult<Json<ProjectDto>> {
    let p = st
        .store
        .get_project(ProjectId(id))
        .await?
        .ok_or_else(Problem::not_found)?;
    Ok(Json(p.into()))
}

/// Create a project
///
/// Central users only. The name must be unique.
#[utoipa::path(
    post,
    path = "/projects",
    tag = "projects",
    security(("bearer" = [])),
    request_body = ProjectRequest,
    responses(
        (status = 201, description = "The new project", body = ProjectDto,
            headers(("Location" = String, description = "The path of the new project"))),
        (status = 403, description = "Not a central user"),
        (status = 409, description = "The name is already taken (`duplicate`)"),
    )
)]
pub async fn create_project(
    State(st): State<AppState>,
    Central(actor): Central,
    ApiJson(req): ApiJson<ProjectRequest>,
) -> ApiResult<Response> {
    let input = ProjectInput::parse(&req.name, &req.description)?;
    let p = st.store.create_project(&actor, input).await?;
    let location = format!("{}/projects/{}", super::BASE, p.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(ProjectDto::from(p)),
    )
        .into_response())
}
