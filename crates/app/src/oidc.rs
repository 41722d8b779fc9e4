//! Logging in with OpenID Connect: the authorization code flow with PKCE,
//! a nonce and a state, by `openidconnect` 4.
//!
//! `GET /login/oidc/{provider}` sends the browser to the provider with a
//! fresh state, nonce and PKCE challenge; the matching state, nonce, PKCE
//! verifier and the page to return to travel in a short-lived cookie signed
//! with the app's key (no server-side state, so any instance can finish the
//! flow). `GET /login/oidc/{provider}/callback` checks the state against the
//! cookie, exchanges the code with the verifier, and has `openidconnect`
//! verify the ID token (signature against the provider's published keys,
//! issuer, audience, expiry, nonce). The person is then matched by the
//! token's subject (the organisation system's user id) to a user of the
//! member the provider or the token names, created on first login, and gets
//! a new session exactly as a password login does.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

use crate::auth::{self, Ctx};
use crate::config::{Config, OidcProvider};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

const FLOW_COOKIE: &str = "udrul_oidc";
/// A login must come back from the provider within this long.
const FLOW_SECONDS: i64 = 600;

/// The configured providers, their discovered metadata (fetched on first
/// use and kept), and the HTTP client that talks to them.
pub struct Oidc {
    providers: Vec<(OidcProvider, OnceCell<CoreProviderMetadata>)>,
    http: reqwest::Client,
}

impl Oidc {
    pub fn new(config: &Config) -> Arc<Oidc> {
        let http = reqwest::Client::builder()
            // Following redirects would open the client to SSRF.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .expect("an HTTP client with these settings builds");
        Arc::new(Oidc {
            providers: config
                .oidc
                .iter()
                .map(|p| (p.clone(), OnceCell::new()))
                .collect(),
            http,
        })
    }

    /// (link, button text) of each provider, for the login page.
    pub fn buttons(&self) -> Vec<(String, String)> {
        self.providers
            .iter()
            .map(|(p, _)| (format!("/login/oidc/{}", p.id), p.name.clone()))
            .collect()
    }

    fn provider(&self, id: &str) -> Option<&(OidcProvider, OnceCell<CoreProviderMetadata>)> {
        self.providers.iter().find(|(p, _)| p.id == id)
    }

    async fn client(
        &self,
        id: &str,
        redirect: String,
    ) -> AppResult<(&OidcProvider, OidcCoreClient)> {
        let (p, meta) = self.provider(id).ok_or(AppError::NotFound)?;
        let meta = meta
            .get_or_try_init(|| async {
                let issuer = IssuerUrl::new(p.issuer.clone())
                    .map_err(|e| anyhow::anyhow!("issuer of {}: {e}", p.id))?;
                CoreProviderMetadata::discover_async(issuer, &self.http)
                    .await
                    .map_err(|e| anyhow::anyhow!("discovery of {}: {e}", p.id))
            })
            .await
            .map_err(|e| {
                tracing::warn!(provider = %p.id, error = %e, "identity provider unreachable");
                AppError::BadRequest("idp-error-provider")
            })?;
        let client = CoreClient::from_provider_metadata(
            meta.clone(),
            ClientId::new(p.client_id.clone()),
            p.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(
            RedirectUrl::new(redirect).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?,
        );
        Ok((p, client))
    }
}

impl Oidc {
    /// Checks an ID token from `provider` as the callback does, at `now`:
    /// the signature by the provider's published keys, the issuer, the
    /// audience (this client), the expiry and the nonce. For tests, which
    /// hand it real tokens of the provider.
    pub async fn verify_id_token(
        &self,
        provider: &str,
        token: &str,
        nonce: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> AppResult<Result<String, String>> {
        let (_, client) = self.client(provider, "http://localhost/".into()).await?;
        let token: openidconnect::core::CoreIdToken = match token.parse() {
            Ok(t) => t,
            Err(e) => return Ok(Err(e.to_string())),
        };
        Ok(verify(&client, &token, nonce, now)
            .map(|c| c.subject().to_string())
            .map_err(|e| e.to_string()))
    }
}

fn verify<'t>(
    client: &OidcCoreClient,
    token: &'t openidconnect::core::CoreIdToken,
    nonce: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<&'t openidconnect::core::CoreIdTokenClaims, openidconnect::ClaimsVerificationError> {
    token.claims(
        &client.id_token_verifier().set_time_fn(move || now),
        &Nonce::new(nonce.to_string()),
    )
}

/// The client `from_provider_metadata` makes: authorization URL set, token
/// and user-info URLs as the provider's metadata has them.
type OidcCoreClient = openidconnect::core::CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// What travels in the flow cookie.
#[derive(Serialize, Deserialize)]
struct Flow {
    provider: String,
    state: String,
    nonce: String,
    verifier: String,
    next: String,
}

fn redirect_url(st: &AppState, headers: &HeaderMap, provider: &str) -> String {
    format!(
        "{}/login/oidc/{provider}/callback",
        auth::public_base(st, headers)
    )
}

fn flow_cookie(st: &AppState, value: String) -> Cookie<'static> {
    // Path=/ (not /login/oidc): the `__Host-` prefix of secure mode needs it.
    Cookie::build((auth::host_cookie(&st.config, FLOW_COOKIE), value))
        .path("/")
        .http_only(true)
        .secure(st.config.secure_cookies)
        // The provider sends the browser back with a top-level GET: Lax
        // cookies come along, cross-site subrequests do not.
        .same_site(SameSite::Lax)
        .build()
}

#[derive(Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    next: String,
}

/// `GET /login/oidc/{provider}`: off to the provider.
pub async fn start(
    State(st): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(provider): Path<String>,
    Query(q): Query<StartQuery>,
) -> AppResult<Response> {
    let redirect = redirect_url(&st, &headers, &provider);
    let (p, client) = st.oidc.client(&provider, redirect).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge);
    for acr in &p.required_acr {
        request = request
            .add_auth_context_value(openidconnect::AuthenticationContextClass::new(acr.clone()));
    }
    let (url, state, nonce) = request.url();
    let flow = Flow {
        provider: provider.clone(),
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        verifier: verifier.secret().clone(),
        next: auth::safe_next(&q.next),
    };
    let sealed = crate::csrf::seal(&st.csrf_key, "oidc-flow", &flow, FLOW_SECONDS);
    let cookie = flow_cookie(&st, sealed);
    Ok((jar.add(cookie), Redirect::to(url.as_str())).into_response())
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// `GET /login/oidc/{provider}/callback`: back from the provider.
pub async fn callback(
    State(st): State<AppState>,
    _ctx: Ctx,
    jar: CookieJar,
    headers: HeaderMap,
    Path(provider): Path<String>,
    Query(q): Query<CallbackQuery>,
) -> AppResult<Response> {
    // The flow cookie is used once, whatever happens next.
    let jar = jar.remove(flow_cookie(&st, String::new()));
    let flow = jar_flow(&st, &headers).filter(|f| f.provider == provider);
    let Some(flow) = flow else {
        return Err(AppError::BadRequest("idp-error-state"));
    };
    if q.error.is_some() {
        return Err(AppError::BadRequest("idp-error-denied"));
    }
    let (Some(code), Some(state)) = (q.code, q.state) else {
        return Err(AppError::BadRequest("idp-error-state"));
    };
    if !constant_time_eq(state.as_bytes(), flow.state.as_bytes()) {
        return Err(AppError::BadRequest("idp-error-state"));
    }
    let redirect = redirect_url(&st, &headers, &provider);
    let (p, client) = st.oidc.client(&provider, redirect).await?;
    let refused = |what: &str, e: &dyn std::fmt::Display| {
        tracing::info!(provider = %provider, error = %e, "OpenID Connect login refused: {what}");
        AppError::BadRequest("idp-error-token")
    };
    let response = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| refused("no token endpoint", &e))?
        .set_pkce_verifier(PkceCodeVerifier::new(flow.verifier))
        .request_async(&st.oidc.http)
        .await
        .map_err(|e| refused("code exchange", &e))?;
    let id_token = response
        .id_token()
        .ok_or_else(|| refused("no ID token", &"missing"))?;
    let claims = verify(&client, id_token, &flow.nonce, chrono::Utc::now())
        .map_err(|e| refused("ID token", &e))?;
    // The token is verified: its payload can be read for the claims the
    // standard types do not carry (the member's code).
    let extra = payload(&id_token.to_string()).unwrap_or_default();
    if !p.required_acr.is_empty() {
        let acr = claims.auth_context_ref().map(|a| a.to_string());
        if !acr.is_some_and(|a| p.required_acr.contains(&a)) {
            return Err(AppError::BadRequest("idp-error-assurance"));
        }
    }
    let claimed = extra.get(&p.member_claim).and_then(|v| {
        v.as_str()
            .map(str::to_string)
            .or_else(|| v.as_i64().map(|n| n.to_string()))
    });
    let code = match (&p.member, claimed) {
        (Some(bound), Some(c)) if *bound != c => {
            return Err(AppError::BadRequest("idp-error-member"));
        }
        (Some(bound), _) => bound.clone(),
        (None, Some(c)) => c,
        (None, None) => return Err(AppError::BadRequest("idp-error-member")),
    };
    let members = st.store.list_members().await?;
    let member = members
        .iter()
        .find(|m| m.code == code)
        .ok_or(AppError::BadRequest("idp-error-member"))?;
    let subject = claims.subject().as_str();
    let name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().to_string())
        .unwrap_or_else(|| subject.to_string());
    let email = claims
        .email()
        .map(|e| e.as_str().to_string())
        .unwrap_or_default();
    let user = match st
        .store
        .external_login(subject, &name, &email, member.id)
        .await
    {
        Ok(u) => u,
        Err(udrul_core::StoreError::Forbidden) => {
            return Err(AppError::BadRequest("idp-error-member"));
        }
        Err(e) => return Err(e.into()),
    };
    if !user.active {
        return Err(AppError::BadRequest("idp-error-inactive"));
    }
    crate::login_guard::succeeded(&st, &user, "login.oidc", &headers).await?;
    let jar = auth::start_session(&st, jar, &user).await?;
    Ok((jar, Redirect::to(&auth::safe_next(&flow.next))).into_response())
}

fn jar_flow(st: &AppState, headers: &HeaderMap) -> Option<Flow> {
    CookieJar::from_headers(headers)
        .get(&auth::host_cookie(&st.config, FLOW_COOKIE))
        .and_then(|c| crate::csrf::open(&st.csrf_key, "oidc-flow", c.value()))
}

/// The JSON payload of a compact JWS whose signature was verified.
fn payload(jws: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let part = jws.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
