//! Logging in with OpenID Connect against a real provider:
//! oidc-provider-mock (PyPI), started by `scripts/idp-start` on loopback.
//! Its authorize endpoint lets a test log in as any subject by posting
//! `sub=...`, and `PUT /users/{sub}` sets the claims its ID tokens carry.
//!
//! Without `UDRUL_TEST_OIDC_URL` these tests are skipped, unless
//! `UDRUL_REQUIRE_IDP=1` (as in `scripts/test`), which makes that a failure.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine;
use common::{TestApp, send_to};
use udrul::config::{Config, OidcProvider};
use udrul_core::store::AuditFilter;

fn provider_url() -> Option<String> {
    common::idp_env("UDRUL_TEST_OIDC_URL")
}

fn provider(issuer: &str, id: &str, member: Option<&str>) -> OidcProvider {
    OidcProvider {
        id: id.into(),
        name: format!("Log ind ({id})"),
        issuer: issuer.into(),
        client_id: "udrul-test".into(),
        client_secret_env: None,
        client_secret: Some("not-a-real-secret".into()),
        member: member.map(str::to_string),
        member_claim: "organisation".into(),
        required_acr: Vec::new(),
    }
}

async fn router(app: &TestApp, issuer: &str) -> Router {
    app.instance(Config {
        public_url: Some("http://localhost".into()),
        oidc: vec![
            provider(issuer, "kommune", None),
            provider(issuer, "kbh", Some("101")),
        ],
        ..Config::default()
    })
    .await
}

fn get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header(header::HOST, "localhost")
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Sets the claims the provider will put in `sub`'s ID tokens.
async fn set_claims(issuer: &str, sub: &str, claims: serde_json::Value) {
    let res = http()
        .put(format!("{issuer}/users/{sub}"))
        .json(&claims)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "PUT /users: {}", res.status());
}

/// Starts a login at the app, logs in at the provider as `sub`, and returns
/// the callback path (with code and state) and the flow cookie.
async fn to_provider_and_back(router: &Router, id: &str, sub: &str) -> (String, String) {
    let res = send_to(router, get(&format!("/login/oidc/{id}?next=/tasks"), "")).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let flow = res.cookie("udrul_oidc").expect("the flow cookie");
    let authorize = res.header("location").unwrap().to_string();
    assert!(authorize.contains("code_challenge=") && authorize.contains("nonce="));
    let res = http()
        .post(&authorize)
        .form(&[("sub", sub)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        302,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let back = res.headers()["location"].to_str().unwrap().to_string();
    let path = back
        .strip_prefix("http://localhost")
        .expect("back to the app's public URL")
        .to_string();
    (path, format!("udrul_oidc={flow}"))
}

fn unique(prefix: &str) -> String {
    let n: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    format!("{prefix}-{n:x}")
}

async fn oidc_login_maps_the_person_to_their_member(app: TestApp) {
    let Some(issuer) = provider_url() else { return };
    let router = router(&app, &issuer).await;
    let aalborg = &app.fx.members[0]; // code 851
    let sub = unique("urn:uuid:person");
    set_claims(
        &issuer,
        &sub,
        serde_json::json!({"name": "Test Testesen", "email": "tt@test.invalid", "organisation": "851"}),
    )
    .await;

    // The login page offers the providers.
    let page = send_to(&router, get("/login", "")).await.text();
    assert!(
        page.contains("href=\"/login/oidc/kommune?next=%2F\""),
        "{page}"
    );

    let (callback, flow) = to_provider_and_back(&router, "kommune", &sub).await;
    let res = send_to(&router, get(&callback, &flow)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    assert_eq!(res.header("location"), Some("/tasks"));
    let session = res.cookie("udrul_session").expect("a new session");
    // A member user of Aalborg, made on first login, named by the token.
    let users = app.store.list_users(Some(aalborg.id)).await.unwrap();
    let me = users
        .iter()
        .find(|u| u.display_name == "Test Testesen")
        .expect("the new user");
    assert_eq!(me.role, udrul_core::AccessRole::MemberUser);
    assert_eq!(me.email, "tt@test.invalid");
    let home = send_to(&router, get("/", &format!("udrul_session={session}"))).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.text().contains("Aalborg"));

    // The second login finds the same user and brings the name up to date.
    set_claims(
        &issuer,
        &sub,
        serde_json::json!({"name": "Test Testesen-Nielsen", "email": "tt@test.invalid", "organisation": "851"}),
    )
    .await;
    let (callback, flow) = to_provider_and_back(&router, "kommune", &sub).await;
    let res = send_to(&router, get(&callback, &flow)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let after = app.store.list_users(Some(aalborg.id)).await.unwrap();
    assert_eq!(after.len(), users.len(), "no second user");
    assert!(
        after
            .iter()
            .any(|u| u.id == me.id && u.display_name == "Test Testesen-Nielsen")
    );

    // The audit log has the creation, the sync and both logins.
    let log = app
        .store
        .search_audit(&AuditFilter {
            person: Some(me.id),
            limit: 20,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["login.oidc", "user.sync", "login.oidc", "user.create"]
    );

    // A deactivated user is refused.
    app.store
        .set_user_access(
            &app.actor(&app.fx.central_admin),
            me.id,
            udrul_core::store::UserAccess {
                role: me.role,
                member_id: me.member_id,
                active: false,
            },
        )
        .await
        .unwrap();
    let (callback, flow) = to_provider_and_back(&router, "kommune", &sub).await;
    let res = send_to(&router, get(&callback, &flow)).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.text().contains("deaktiveret"), "{}", res.text());
    assert!(res.cookie("udrul_session").is_none());
}
each_backend!(oidc_login, oidc_login_maps_the_person_to_their_member);

async fn oidc_refuses_what_it_cannot_trust(app: TestApp) {
    let Some(issuer) = provider_url() else { return };
    let router = router(&app, &issuer).await;
    let users_before = app.store.list_users(None).await.unwrap().len();
    let sub = unique("urn:uuid:other");
    set_claims(
        &issuer,
        &sub,
        serde_json::json!({"name": "Anden Person", "organisation": "851"}),
    )
    .await;

    // A provider bound to København refuses an Aalborg person.
    let (callback, flow) = to_provider_and_back(&router, "kbh", &sub).await;
    let res = send_to(&router, get(&callback, &flow)).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.text().contains("organisation"), "{}", res.text());

    // A tampered state, no flow cookie, a tampered cookie: refused.
    let (callback, flow) = to_provider_and_back(&router, "kommune", &sub).await;
    let tampered = callback.replace("state=", "state=x");
    for (path, cookie) in [
        (tampered.as_str(), flow.as_str()),
        (callback.as_str(), ""),
        (callback.as_str(), &format!("{flow}x")),
    ] {
        let res = send_to(&router, get(path, cookie)).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{path} {cookie}");
        assert!(res.cookie("udrul_session").is_none());
    }
    // The flow of one provider does not finish at another.
    let other = callback.replace("/oidc/kommune/", "/oidc/kbh/");
    let res = send_to(&router, get(&other, &flow)).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);

    // The real callback works once; the code cannot be replayed.
    let res = send_to(&router, get(&callback, &flow)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let res = send_to(&router, get(&callback, &flow)).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.cookie("udrul_session").is_none());

    // A person with no organisation, at a global provider: refused.
    let nobody = unique("urn:uuid:nobody");
    set_claims(&issuer, &nobody, serde_json::json!({"name": "Ingen"})).await;
    let (callback, flow) = to_provider_and_back(&router, "kommune", &nobody).await;
    assert_eq!(
        send_to(&router, get(&callback, &flow)).await.status,
        StatusCode::BAD_REQUEST
    );
    // ... but at København's own provider, they are København's.
    let (callback, flow) = to_provider_and_back(&router, "kbh", &nobody).await;
    let res = send_to(&router, get(&callback, &flow)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let kbh = app
        .store
        .list_users(Some(app.fx.members[1].id))
        .await
        .unwrap();
    assert!(kbh.iter().any(|u| u.display_name == "Ingen"));

    // Exactly the two accepted people were created.
    assert_eq!(
        app.store.list_users(None).await.unwrap().len(),
        users_before + 2
    );
    // An unknown provider does not exist.
    let res = send_to(&router, get("/login/oidc/nope", "")).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}
each_backend!(oidc_refusals, oidc_refuses_what_it_cannot_trust);

/// A real ID token from the provider for `client_id`, through the
/// authorization code flow done by hand (the provider takes any client).
async fn id_token_for(issuer: &str, client_id: &str, sub: &str, nonce: &str) -> String {
    let disc: serde_json::Value = http()
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let redirect = "http://localhost/elsewhere";
    let authorize = reqwest::Url::parse_with_params(
        disc["authorization_endpoint"].as_str().unwrap(),
        &[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect),
            ("scope", "openid"),
            ("nonce", nonce),
            ("state", "s"),
        ],
    )
    .unwrap();
    let res = http()
        .post(authorize)
        .form(&[("sub", sub)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let back = reqwest::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
    let code = back
        .query_pairs()
        .find(|(k, _)| k == "code")
        .expect("a code")
        .1
        .to_string();
    let tokens: serde_json::Value = http()
        .post(disc["token_endpoint"].as_str().unwrap())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect),
            ("client_id", client_id),
            ("client_secret", "not-a-real-secret"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    tokens["id_token"]
        .as_str()
        .expect("an ID token")
        .to_string()
}

/// The ID token checks, on real tokens of the provider: the app's own is
/// taken; one for another client (audience), one with a changed claim
/// (tampered), one past its expiry, or with another nonce is not.
#[tokio::test]
async fn oidc_id_tokens_are_checked() {
    let Some(issuer) = provider_url() else { return };
    let oidc = udrul::oidc::Oidc::new(&Config {
        oidc: vec![provider(&issuer, "kommune", None)],
        ..Config::default()
    });
    let sub = unique("urn:uuid:token");
    let now = chrono::Utc::now();
    let check = |token: String, nonce: &'static str, at: chrono::DateTime<chrono::Utc>| {
        let oidc = oidc.clone();
        async move {
            oidc.verify_id_token("kommune", &token, nonce, at)
                .await
                .unwrap()
        }
    };

    let ours = id_token_for(&issuer, "udrul-test", &sub, "n1").await;
    assert_eq!(check(ours.clone(), "n1", now).await, Ok(sub.clone()));

    let theirs = id_token_for(&issuer, "another-client", &sub, "n1").await;
    let err = check(theirs, "n1", now).await.unwrap_err();
    assert!(err.to_lowercase().contains("audience"), "{err}");

    // The payload with another subject, the signature left as it was.
    let mut parts: Vec<String> = ours.split('.').map(str::to_string).collect();
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&parts[1])
        .unwrap();
    let forged = String::from_utf8(payload)
        .unwrap()
        .replace(&sub, "urn:uuid:someone-else");
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged);
    let err = check(parts.join("."), "n1", now).await.unwrap_err();
    assert!(err.to_lowercase().contains("signature"), "{err}");

    let later = now + chrono::Duration::hours(2);
    let err = check(ours.clone(), "n1", later).await.unwrap_err();
    assert!(err.to_lowercase().contains("expired"), "{err}");

    let err = check(ours, "n2", now).await.unwrap_err();
    assert!(err.to_lowercase().contains("nonce"), "{err}");
}

/// Behind HTTPS the flow cookie is `__Host-` (Secure, Path=/), and the
/// flow finishes with it (issue 11).
async fn oidc_flow_cookie_is_host_only_in_secure_mode(app: TestApp) {
    let Some(issuer) = provider_url() else { return };
    let router = app
        .instance(Config {
            public_url: Some("http://localhost".into()),
            secure_cookies: true,
            oidc: vec![provider(&issuer, "kommune", None)],
            ..Config::default()
        })
        .await;
    let sub = unique("urn:uuid:person");
    set_claims(
        &issuer,
        &sub,
        serde_json::json!({"name": "Test Sikker", "email": "ts@test.invalid", "organisation": "851"}),
    )
    .await;
    let res = send_to(&router, get("/login/oidc/kommune?next=/tasks", "")).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    assert!(res.cookie("udrul_oidc").is_none());
    let line = res
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("__Host-udrul_oidc="))
        .expect("a __Host- flow cookie")
        .to_string();
    for part in ["Secure", "Path=/", "HttpOnly", "SameSite=Lax"] {
        assert!(line.contains(part), "{part} in {line}");
    }
    assert!(!line.contains("Path=/login"), "{line}");
    let flow = res.cookie("__Host-udrul_oidc").unwrap();
    let authorize = res.location();
    let res = http()
        .post(&authorize)
        .form(&[("sub", sub.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let back = res.headers()["location"].to_str().unwrap().to_string();
    let callback = back.strip_prefix("http://localhost").unwrap().to_string();
    let res = send_to(
        &router,
        get(&callback, &format!("__Host-udrul_oidc={flow}")),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    assert_eq!(res.location(), "/tasks");
    assert!(res.cookie("__Host-udrul_session").is_some());
}
each_backend!(
    oidc_secure_cookie,
    oidc_flow_cookie_is_host_only_in_secure_mode
);
