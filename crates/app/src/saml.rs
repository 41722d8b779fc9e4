//! Logging in with SAML 2.0 as a service provider (the OIOSAML 3 profile that
//! KOMBIT's Context Handler speaks), by `samael` (XML signatures by xmlsec).
//!
//! - `GET /login/saml/metadata`: the service provider's metadata, for the
//!   identity provider's administrators: entity id, the assertion consumer
//!   service, persistent name ids, and the signing certificate when one is
//!   configured.
//! - `GET /login/saml/{provider}`: an AuthnRequest with a fresh 128-bit ID,
//!   sent with the HTTP-Redirect binding (signed when the service provider
//!   has a key) and asking for the configured NSIS level as a minimum. The
//!   request's ID, the provider and the page to return to travel in a
//!   short-lived cookie signed with the app's key, so any instance can finish
//!   the login and a response is only taken from the browser that asked.
//! - `POST /login/saml/acs`: the HTTP-POST binding. `samael` verifies the
//!   XML signature against the provider's metadata certificates (RSA or
//!   ECDSA with SHA-2 only) and keeps only what was signed, then checks
//!   issuer, destination, recipient, audience, `InResponseTo` against the
//!   cookie's request, and the validity window. The assertion's ID is then
//!   marked used in the store until it expires, so a captured response
//!   cannot log in twice on any instance.
//!
//! The person is the OIOSAML professional UUID (or a persistent NameID),
//! matched to `users.external_id` as OpenID Connect's subject is; the member
//! comes from the provider's binding or the CVR attribute; the NSIS level is
//! required where configured and recorded in the audit log with the login.
//!
//! This route takes a cross-site POST by design: the session middleware
//! exempts `ACS_PATH` from its CSRF check (see `auth::session`), because
//! the signed assertion bound to this browser's request is the check.
//!
//! Not done: encrypted assertions (samael decrypts AES-CBC and AES-128-GCM,
//! while OIOSAML 3 encrypts with AES-256-GCM), so the metadata publishes no
//! encryption key; single logout; aggregate (EntitiesDescriptor) metadata.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::{DateTime, Utc};
use openssl::pkey::{PKey, Private};
use samael::crypto::{AllowedSignatureAlgorithm, CertificateDer};
use samael::metadata::{EntityDescriptor, HTTP_REDIRECT_BINDING};
use samael::schema::{
    Assertion, AuthnContextClassRef, AuthnContextComparison, RequestedAuthnContext,
};
use samael::service_provider::{ServiceProvider, ServiceProviderBuilder};
use samael::traits::ToXml;
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

use crate::auth::{self, Ctx};
use crate::config::{Config, Loa, SamlProvider};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub const METADATA_PATH: &str = "/login/saml/metadata";
pub const ACS_PATH: &str = "/login/saml/acs";
const FLOW_COOKIE: &str = "udrul_saml";
const FLOW_PURPOSE: &str = "saml-flow";
/// A login must come back from the identity provider within this long.
const FLOW_SECONDS: i64 = 600;

/// OIOSAML 3 attribute names.
pub const ATTR_UUID: &str = "https://data.gov.dk/model/core/eid/professional/uuid/persistent";
pub const ATTR_CVR: &str = "https://data.gov.dk/model/core/eid/professional/cvr";
pub const ATTR_LOA: &str = "https://data.gov.dk/concept/core/nsis/loa";
pub const ATTR_FULL_NAME: &str = "https://data.gov.dk/model/core/eid/fullName";
pub const ATTR_FIRST_NAME: &str = "https://data.gov.dk/model/core/eid/firstName";
pub const ATTR_LAST_NAME: &str = "https://data.gov.dk/model/core/eid/lastName";
pub const ATTR_EMAIL: &str = "https://data.gov.dk/model/core/eid/email";
const LOA_PREFIX: &str = "https://data.gov.dk/concept/core/nsis/loa/";
const NAMEID_PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
/// How far the identity provider's clock may be from ours.
const CLOCK_SKEW_SECONDS: i64 = 180;

/// The configured identity providers, their metadata (read at start for
/// files, fetched on first use for URLs, then kept), and the service
/// provider's key and certificate.
pub struct Saml {
    key: Option<PKey<Private>>,
    certificate: Option<CertificateDer>,
    entity_id: Option<String>,
    providers: Vec<(SamlProvider, OnceCell<EntityDescriptor>)>,
    http: reqwest::Client,
}

impl Saml {
    /// Checks the configuration: a key that does not parse, or metadata
    /// without a signing certificate, stops the app at start.
    pub fn new(config: &Config) -> anyhow::Result<Arc<Saml>> {
        use anyhow::Context;
        let sp = &config.saml_sp;
        let key = match &sp.key_pem {
            Some(pem) => {
                Some(PKey::private_key_from_pem(pem.as_bytes()).context("saml_sp: the key file")?)
            }
            None => None,
        };
        let certificate = match &sp.certificate_pem {
            Some(pem) => Some(CertificateDer::from(
                openssl::x509::X509::from_pem(pem.as_bytes())
                    .context("saml_sp: the certificate file")?
                    .to_der()?,
            )),
            None => None,
        };
        let mut providers = Vec::new();
        for p in &config.saml {
            let cell = OnceCell::new();
            if let Some(xml) = &p.idp_metadata_xml {
                let meta = checked_metadata(xml).with_context(|| format!("{}: metadata", p.id))?;
                cell.set(meta).ok();
            }
            providers.push((p.clone(), cell));
        }
        let http = reqwest::Client::builder()
            // Following redirects would open the client to SSRF.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()?;
        Ok(Arc::new(Saml {
            key,
            certificate,
            entity_id: sp.entity_id.clone(),
            providers,
            http,
        }))
    }

    /// (link, button text) of each provider, for the login page.
    pub fn buttons(&self) -> Vec<(String, String)> {
        self.providers
            .iter()
            .map(|(p, _)| (format!("/login/saml/{}", p.id), p.name.clone()))
            .collect()
    }

    /// A provider and its metadata.
    async fn idp(&self, id: &str) -> AppResult<(&SamlProvider, EntityDescriptor)> {
        let (p, meta) = self
            .providers
            .iter()
            .find(|(p, _)| p.id == id)
            .ok_or(AppError::NotFound)?;
        let meta = meta
            .get_or_try_init(|| async {
                let res = self.http.get(&p.idp_metadata).send().await?;
                anyhow::ensure!(res.status().is_success(), "HTTP {}", res.status());
                checked_metadata(&res.text().await?)
            })
            .await
            .map_err(|e| {
                tracing::warn!(provider = %p.id, error = %e, "SAML identity provider metadata unavailable");
                AppError::BadRequest("idp-error-provider")
            })?;
        Ok((p, meta.clone()))
    }

    /// The service provider as `samael` sees it, at `base`, facing `idp`.
    fn sp(&self, base: &str, idp: EntityDescriptor) -> AppResult<ServiceProvider> {
        let metadata_url = format!("{base}{METADATA_PATH}");
        let acs_url = format!("{base}{ACS_PATH}");
        ServiceProviderBuilder::default()
            .entity_id(
                self.entity_id
                    .clone()
                    .unwrap_or_else(|| metadata_url.clone()),
            )
            .key(self.key.clone())
            .certificate(self.certificate.clone())
            .metadata_url(metadata_url)
            .acs_url(acs_url.clone())
            // samael's metadata wants a logout URL; `metadata` drops it.
            .slo_url(acs_url)
            .idp_metadata(idp)
            .authn_name_id_format(NAMEID_PERSISTENT.to_string())
            .allow_idp_initiated(false)
            .max_clock_skew(chrono::Duration::seconds(CLOCK_SKEW_SECONDS))
            .max_issue_delay(chrono::Duration::seconds(FLOW_SECONDS))
            .allowed_signature_algorithms(Some(vec![
                AllowedSignatureAlgorithm::RsaSha256,
                AllowedSignatureAlgorithm::RsaSha384,
                AllowedSignatureAlgorithm::RsaSha512,
                AllowedSignatureAlgorithm::EcdsaSha256,
                AllowedSignatureAlgorithm::EcdsaSha384,
                AllowedSignatureAlgorithm::EcdsaSha512,
            ]))
            .build()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("SAML service provider: {e}")))
    }
}

/// Parses an identity provider's metadata and insists on what a login
/// needs: a signing certificate (without one `samael` would not check
/// signatures at all) and an HTTP-Redirect single sign-on endpoint.
fn checked_metadata(xml: &str) -> anyhow::Result<EntityDescriptor> {
    let meta: EntityDescriptor = xml
        .parse()
        .map_err(|e| anyhow::anyhow!("not SAML entity metadata: {e}"))?;
    let sp = ServiceProvider {
        idp_metadata: meta.clone(),
        ..ServiceProvider::default()
    };
    anyhow::ensure!(
        sp.idp_signing_certs()
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .is_some_and(|c| !c.is_empty()),
        "no signing certificate in the identity provider's metadata"
    );
    anyhow::ensure!(
        sp.sso_binding_location(HTTP_REDIRECT_BINDING).is_some(),
        "no HTTP-Redirect SingleSignOnService in the identity provider's metadata"
    );
    Ok(meta)
}

/// What travels in the flow cookie.
#[derive(Serialize, Deserialize)]
struct Flow {
    provider: String,
    request_id: String,
    next: String,
}

fn flow_cookie(st: &AppState, value: String) -> Cookie<'static> {
    // Path=/ (not /login/saml): the `__Host-` prefix of secure mode needs it.
    let cookie = Cookie::build((auth::host_cookie(&st.config, FLOW_COOKIE), value))
        .path("/")
        .http_only(true)
        .secure(st.config.secure_cookies);
    // The identity provider answers with a cross-site POST, which carries
    // only SameSite=None cookies; browsers take those only when Secure. On
    // plain http (the loopback demo, where the provider is same-site) Lax.
    if st.config.secure_cookies {
        cookie.same_site(SameSite::None).build()
    } else {
        cookie.same_site(SameSite::Lax).build()
    }
}

/// `GET /login/saml/metadata`: the service provider's metadata.
pub async fn metadata(State(st): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let base = auth::public_base(&st, &headers);
    let sp = st.saml.sp(&base, EntityDescriptor::default())?;
    let internal = |e: Box<dyn std::error::Error>| AppError::Internal(anyhow::anyhow!("{e}"));
    let mut meta = sp.metadata().map_err(internal)?;
    for d in meta.sp_sso_descriptors.iter_mut().flatten() {
        d.single_logout_services = None;
        d.authn_requests_signed = Some(st.saml.key.is_some());
        d.want_assertions_signed = Some(true);
        d.name_id_formats = Some(vec![NAMEID_PERSISTENT.to_string()]);
        // Only the signing key: encrypted assertions are not taken (above).
        if let Some(keys) = d.key_descriptors.as_mut() {
            keys.retain(|k| k.encryption_methods.is_none());
        }
    }
    let xml = meta.to_string().map_err(internal)?;
    Ok((
        [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
        xml,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    next: String,
}

/// `GET /login/saml/{provider}`: off to the identity provider.
pub async fn start(
    State(st): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(provider): Path<String>,
    Query(q): Query<StartQuery>,
) -> AppResult<Response> {
    let (p, idp) = st.saml.idp(&provider).await?;
    let sp = st.saml.sp(&auth::public_base(&st, &headers), idp)?;
    let internal = |e: Box<dyn std::error::Error>| AppError::Internal(anyhow::anyhow!("{e}"));
    let sso = sp
        .sso_binding_location(HTTP_REDIRECT_BINDING)
        .ok_or(AppError::BadRequest("idp-error-provider"))?;
    let mut request = sp.make_authentication_request(&sso).map_err(internal)?;
    // samael's IDs carry 32 random bits; an ID must not be guessable.
    let random: [u8; 16] = rand::random();
    request.id = format!("_{}", hex(&random));
    if let Some(loa) = p.required_loa {
        request.requested_authn_context = Some(RequestedAuthnContext {
            authn_context_class_refs: Some(vec![AuthnContextClassRef {
                value: Some(format!("{LOA_PREFIX}{}", loa.as_str())),
            }]),
            authn_context_decl_refs: None,
            comparison: Some(AuthnContextComparison::Minimum),
        });
    }
    let url = match &st.saml.key {
        Some(key) => request.signed_redirect("", key),
        None => request.redirect(""),
    }
    .map_err(internal)?
    .ok_or(AppError::BadRequest("idp-error-provider"))?;
    let flow = Flow {
        provider,
        request_id: request.id.clone(),
        next: auth::safe_next(&q.next),
    };
    let sealed = crate::csrf::seal(&st.csrf_key, FLOW_PURPOSE, &flow, FLOW_SECONDS);
    let cookie = flow_cookie(&st, sealed);
    Ok((jar.add(cookie), Redirect::to(url.as_str())).into_response())
}

#[derive(Deserialize)]
pub struct AcsForm {
    #[serde(rename = "SAMLResponse", default)]
    saml_response: String,
}

/// `POST /login/saml/acs`: the identity provider's answer.
pub async fn acs(
    State(st): State<AppState>,
    _ctx: Ctx,
    jar: CookieJar,
    headers: HeaderMap,
    Form(form): Form<AcsForm>,
) -> AppResult<Response> {
    // The flow cookie is used once, whatever happens next.
    let flow: Option<Flow> = jar
        .get(&auth::host_cookie(&st.config, FLOW_COOKIE))
        .and_then(|c| crate::csrf::open(&st.csrf_key, FLOW_PURPOSE, c.value()));
    let jar = jar.remove(flow_cookie(&st, String::new()));
    let Some(flow) = flow else {
        return Err(AppError::BadRequest("idp-error-state"));
    };
    let (p, idp) = st.saml.idp(&flow.provider).await?;
    let sp = st.saml.sp(&auth::public_base(&st, &headers), idp)?;
    let assertion = sp
        .parse_base64_response(form.saml_response.trim(), Some(&[flow.request_id.as_str()]))
        .map_err(|e| {
            tracing::info!(provider = %p.id, error = %e, "SAML login refused");
            AppError::BadRequest("idp-error-token")
        })?;
    let until = valid_until(&assertion) + chrono::Duration::seconds(CLOCK_SKEW_SECONDS);
    if !st
        .store
        .use_assertion(&format!("{}:{}", p.id, assertion.id), until)
        .await?
    {
        tracing::warn!(provider = %p.id, assertion = %assertion.id, "SAML assertion replayed");
        return Err(AppError::BadRequest("idp-error-replay"));
    }
    let person = Person::of(&assertion);
    if let Some(required) = p.required_loa
        && person.loa.is_none_or(|l| l < required)
    {
        return Err(AppError::BadRequest("idp-error-assurance"));
    }
    let Some(external_id) = person.external_id.clone() else {
        return Err(AppError::BadRequest("idp-error-token"));
    };
    let code = member_code(p, person.attribute(&p.member_attribute))
        .ok_or(AppError::BadRequest("idp-error-member"))?;
    let members = st.store.list_members().await?;
    let member = members
        .iter()
        .find(|m| m.code == code)
        .ok_or(AppError::BadRequest("idp-error-member"))?;
    let user = match st
        .store
        .external_login(&external_id, &person.name(), &person.email(), member.id)
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
    let detail = serde_json::json!({
        "provider": p.id,
        "loa": person.loa.map(Loa::as_str),
        "assertion": assertion.id,
    });
    crate::login_guard::succeeded_with(&st, &user, "login.saml", &headers, detail).await?;
    let jar = auth::start_session(&st, jar, &user).await?;
    // 303 (See Other): the browser follows the POST with a GET.
    Ok((jar, Redirect::to(&auth::safe_next(&flow.next))).into_response())
}

/// When the assertion stops being valid: the earliest of its conditions and
/// its bearer confirmations, or the issue time plus the flow's lifetime.
fn valid_until(a: &Assertion) -> DateTime<Utc> {
    let confirmations = a
        .subject
        .iter()
        .flat_map(|s| s.subject_confirmations.iter().flatten())
        .filter_map(|c| c.subject_confirmation_data.as_ref()?.not_on_or_after);
    a.conditions
        .iter()
        .filter_map(|c| c.not_on_or_after)
        .chain(confirmations)
        .min()
        .unwrap_or(a.issue_instant + chrono::Duration::seconds(FLOW_SECONDS))
}

/// The member code a login belongs to: the provider's binding (which the
/// attribute, when present, must agree with), else the attribute's value,
/// looked up in the provider's `members` table when it has one.
fn member_code(p: &SamlProvider, attribute: Option<&str>) -> Option<String> {
    let mapped = attribute.and_then(|v| {
        if p.members.is_empty() {
            Some(v.to_string())
        } else {
            p.members.get(v).cloned()
        }
    });
    match (&p.member, mapped) {
        (Some(bound), Some(m)) if *bound != m => None,
        (Some(bound), _) => Some(bound.clone()),
        (None, m) => m,
    }
}

/// What a verified assertion says about the person.
struct Person {
    attributes: HashMap<String, Vec<String>>,
    external_id: Option<String>,
    loa: Option<Loa>,
}

impl Person {
    fn of(a: &Assertion) -> Person {
        let mut attributes: HashMap<String, Vec<String>> = HashMap::new();
        for attr in a
            .attribute_statements
            .iter()
            .flatten()
            .flat_map(|s| &s.attributes)
        {
            if let Some(name) = &attr.name {
                attributes.entry(name.clone()).or_default().extend(
                    attr.values
                        .iter()
                        .filter_map(|v| v.value.as_deref())
                        .map(|v| v.trim().to_string()),
                );
            }
        }
        let first = |name: &str| {
            attributes
                .get(name)
                .and_then(|v| v.first())
                .filter(|v| !v.is_empty())
                .cloned()
        };
        let name_id = a
            .subject
            .as_ref()
            .and_then(|s| s.name_id.as_ref())
            .filter(|n| n.format.as_deref() == Some(NAMEID_PERSISTENT))
            .map(|n| n.value.trim().to_string())
            .filter(|v| !v.is_empty());
        let external_id = first(ATTR_UUID).or(name_id).map(|id| normalise_uuid(&id));
        let context = a
            .authn_statements
            .iter()
            .flatten()
            .filter_map(|s| s.authn_context.as_ref()?.value.as_ref()?.value.clone())
            .find_map(|v| Loa::parse(&v));
        let loa = first(ATTR_LOA).and_then(|v| Loa::parse(&v)).or(context);
        Person {
            attributes,
            external_id,
            loa,
        }
    }

    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn name(&self) -> String {
        if let Some(full) = self.attribute(ATTR_FULL_NAME) {
            return full.to_string();
        }
        let parts: Vec<&str> = [ATTR_FIRST_NAME, ATTR_LAST_NAME]
            .iter()
            .filter_map(|a| self.attribute(a))
            .collect();
        if parts.is_empty() {
            self.external_id.clone().unwrap_or_default()
        } else {
            parts.join(" ")
        }
    }

    fn email(&self) -> String {
        self.attribute(ATTR_EMAIL).unwrap_or_default().to_string()
    }
}

/// `urn:uuid:6F9A...` and `6f9a...` are one person: the bare, lower-case
/// UUID, as an OpenID Connect subject from the same organisation system.
fn normalise_uuid(id: &str) -> String {
    udrul_core::gallery::normalise_external_id(id)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(member: Option<&str>, members: &[(&str, &str)]) -> SamlProvider {
        SamlProvider {
            id: "p".into(),
            name: "P".into(),
            idp_metadata: "file".into(),
            idp_metadata_xml: None,
            member: member.map(str::to_string),
            member_attribute: ATTR_CVR.into(),
            members: members
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            required_loa: None,
        }
    }

    #[test]
    fn the_member_comes_from_the_binding_or_the_attribute() {
        // Unbound, no table: the attribute is the member's code.
        assert_eq!(
            member_code(&provider(None, &[]), Some("851")).as_deref(),
            Some("851")
        );
        assert_eq!(member_code(&provider(None, &[]), None), None);
        // A table maps CVR numbers; an unknown one belongs to no member.
        let table = provider(None, &[("11223344", "851")]);
        assert_eq!(
            member_code(&table, Some("11223344")).as_deref(),
            Some("851")
        );
        assert_eq!(member_code(&table, Some("99999999")), None);
        // Bound: the attribute may be absent, but must not disagree.
        let bound = provider(Some("101"), &[]);
        assert_eq!(member_code(&bound, None).as_deref(), Some("101"));
        assert_eq!(member_code(&bound, Some("101")).as_deref(), Some("101"));
        assert_eq!(member_code(&bound, Some("851")), None);
    }

    #[test]
    fn levels_of_assurance_parse_and_order() {
        assert_eq!(Loa::parse("Substantial"), Some(Loa::Substantial));
        assert_eq!(Loa::parse(&format!("{LOA_PREFIX}High")), Some(Loa::High));
        assert_eq!(
            Loa::parse("urn:oasis:names:tc:SAML:2.0:ac:classes:Password"),
            None
        );
        assert!(Loa::Low < Loa::Substantial && Loa::Substantial < Loa::High);
    }

    #[test]
    fn uuids_are_normalised() {
        assert_eq!(
            normalise_uuid("urn:uuid:6F9A41C0-1D3E-4B7A-9C4E-0A1B2C3D4E5F"),
            "6f9a41c0-1d3e-4b7a-9c4e-0a1b2c3d4e5f"
        );
        assert_eq!(normalise_uuid("not-a-uuid"), "not-a-uuid");
    }
}
