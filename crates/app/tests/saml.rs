//! Logging in with SAML 2.0 against a real identity provider: pysaml2
//! (PyPI) with Debian's xmlsec1, run by `scripts/saml-idp.py`, which
//! `scripts/idp-start` starts on loopback. Like KOMBIT's Context Handler it
//! wants signed AuthnRequests and signs its assertions; it speaks OIOSAML 3's
//! attributes. Each test registers its own service provider (its own entity
//! id and key) by posting the app's metadata to the provider, as an
//! administrator would upload it.
//!
//! Without `UDRUL_TEST_SAML_URL` these tests are skipped, unless
//! `UDRUL_REQUIRE_IDP=1` (as in `scripts/test`), which makes that a failure.

#![cfg(feature = "saml")]

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{TestApp, send_to};
use udrul::config::{Config, Loa, SamlProvider, SamlSp};
use udrul_core::store::AuditFilter;

const CVR: &str = "https://data.gov.dk/model/core/eid/professional/cvr";

fn idp_url() -> Option<String> {
    common::idp_env("UDRUL_TEST_SAML_URL")
}

fn unique(prefix: &str) -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}{n:x}")
}

/// A fresh RSA key and self-signed certificate for the service provider.
fn sp_keys() -> (String, String) {
    use openssl::{asn1::Asn1Time, hash::MessageDigest, pkey::PKey, rsa::Rsa, x509};
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = x509::X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "udrul test sp").unwrap();
    let name = name.build();
    let mut cert = x509::X509Builder::new().unwrap();
    cert.set_version(2).unwrap();
    cert.set_subject_name(&name).unwrap();
    cert.set_issuer_name(&name).unwrap();
    cert.set_pubkey(&key).unwrap();
    cert.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    cert.set_not_after(&Asn1Time::days_from_now(30).unwrap())
        .unwrap();
    cert.sign(&key, MessageDigest::sha256()).unwrap();
    (
        String::from_utf8(key.private_key_to_pem_pkcs8().unwrap()).unwrap(),
        String::from_utf8(cert.build().to_pem().unwrap()).unwrap(),
    )
}

fn provider(idp: &str, id: &str) -> SamlProvider {
    SamlProvider {
        id: id.into(),
        name: format!("Log ind via {id}"),
        idp_metadata: format!("{idp}/metadata"),
        idp_metadata_xml: None,
        member: None,
        member_attribute: CVR.into(),
        members: Default::default(),
        required_loa: None,
    }
}

/// An app with three providers at the one identity provider: `kombit`
/// (the CVR attribute is the member's code), `kbh` (bound to København)
/// and `strict` (a CVR table, and Substantial required). Its service
/// provider is registered at the identity provider.
async fn router(app: &TestApp, idp: &str) -> Router {
    let (key, cert) = sp_keys();
    let mut kbh = provider(idp, "kbh");
    kbh.member = Some("101".into());
    let mut strict = provider(idp, "strict");
    strict.members = [("11223344".to_string(), "153".to_string())].into();
    strict.required_loa = Some(Loa::Substantial);
    let router = app
        .instance(Config {
            public_url: Some("http://localhost".into()),
            saml: vec![provider(idp, "kombit"), kbh, strict],
            saml_sp: SamlSp {
                entity_id: Some(unique("https://udrul.test/sp/")),
                key_pem: Some(key),
                certificate_pem: Some(cert),
                ..SamlSp::default()
            },
            ..Config::default()
        })
        .await;
    let meta = send_to(&router, get("/login/saml/metadata", "")).await;
    assert_eq!(meta.status, StatusCode::OK, "{}", meta.text());
    let res = http()
        .post(format!("{idp}/sp"))
        .body(meta.text())
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    router
}

fn get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header(header::HOST, "localhost")
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

/// The identity provider's POST to the ACS: cross-site, no CSRF token.
fn acs(saml_response: &str, cookie: &str) -> Request<Body> {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("SAMLResponse", saml_response)
        .append_pair("RelayState", "")
        .finish();
    Request::post("/login/saml/acs")
        .header(header::HOST, "localhost")
        .header(header::ORIGIN, "http://127.0.0.1:9401")
        .header("sec-fetch-site", "cross-site")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(body))
        .unwrap()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Who logs in at the identity provider, and how it answers.
struct Login<'a> {
    uuid: &'a str,
    cvr: &'a str,
    name: &'a str,
    loa: &'a str,
    /// Minutes the assertion is valid; negative: already expired.
    lifetime: i64,
    /// Another audience than the service provider.
    audience: &'a str,
    /// Sign with RSA-SHA1, which the service provider does not accept.
    sha1: bool,
}

impl Default for Login<'_> {
    fn default() -> Self {
        Login {
            uuid: "",
            cvr: "851",
            name: "Test Testesen",
            loa: "Substantial",
            lifetime: 5,
            audience: "",
            sha1: false,
        }
    }
}

/// Starts a login at the app, logs in at the identity provider, and
/// returns its SAMLResponse and the app's flow cookie.
async fn to_idp_and_back(router: &Router, provider: &str, who: &Login<'_>) -> (String, String) {
    let res = send_to(
        router,
        get(&format!("/login/saml/{provider}?next=/tasks"), ""),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let flow = res.cookie("udrul_saml").expect("the flow cookie");
    let to = res.location();
    let (sso, query) = to.split_once('?').expect("a redirect-binding request");
    assert!(sso.ends_with("/sso/redirect"), "{to}");
    // Signed with the service provider's key, by the redirect binding.
    assert!(
        query.contains("SigAlg=") && query.contains("Signature="),
        "{to}"
    );
    let base = sso.trim_end_matches("/sso/redirect");
    let lifetime = who.lifetime.to_string();
    let (sign_alg, digest_alg) = if who.sha1 {
        (
            "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            "http://www.w3.org/2000/09/xmldsig#sha1",
        )
    } else {
        ("", "")
    };
    let res = http()
        .post(format!("{base}/sso/login"))
        .form(&[
            ("query", query),
            ("uuid", who.uuid),
            ("cvr", who.cvr),
            ("name", who.name),
            ("email", "tt@test.invalid"),
            ("loa", who.loa),
            ("lifetime_minutes", lifetime.as_str()),
            ("audience", who.audience),
            ("sign_alg", sign_alg),
            ("digest_alg", digest_alg),
        ])
        .send()
        .await
        .unwrap();
    let status = res.status();
    let page = res.text().await.unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("action=\"http://localhost/login/saml/acs\""),
        "{page}"
    );
    let response = page
        .split("name=\"SAMLResponse\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a SAMLResponse")
        .to_string();
    (response, format!("udrul_saml={flow}"))
}

async fn saml_login_maps_oiosaml_attributes(app: TestApp) {
    let Some(idp) = idp_url() else { return };
    let router = router(&app, &idp).await;
    let aalborg = &app.fx.members[0]; // code 851

    // The metadata: entity id, ACS, persistent name ids, a signing key.
    let meta = send_to(&router, get("/login/saml/metadata", "")).await;
    assert_eq!(
        meta.header("content-type"),
        Some("application/samlmetadata+xml")
    );
    let xml = meta.text();
    for part in [
        "https://udrul.test/sp/",
        "Location=\"http://localhost/login/saml/acs\"",
        "AuthnRequestsSigned=\"true\"",
        "WantAssertionsSigned=\"true\"",
        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        "X509Certificate",
    ] {
        assert!(xml.contains(part), "{part} in {xml}");
    }
    assert!(!xml.contains("SingleLogoutService"), "{xml}");

    // The login page offers the providers.
    let page = send_to(&router, get("/login", "")).await.text();
    assert!(
        page.contains("href=\"/login/saml/kombit?next=%2F\""),
        "{page}"
    );

    let uuid = format!("urn:uuid:{}", uuid_like());
    let who = Login {
        uuid: &uuid,
        ..Login::default()
    };
    let (response, flow) = to_idp_and_back(&router, "kombit", &who).await;
    let res = send_to(&router, acs(&response, &flow)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    assert_eq!(res.header("location"), Some("/tasks"));
    let session = res.cookie("udrul_session").expect("a new session");
    // A member user of Aalborg (the CVR attribute), named by the assertion,
    // known by the bare UUID.
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

    // The same UUID in another spelling is the same person.
    let upper = uuid.to_uppercase().replace("URN:UUID:", "");
    let who = Login {
        uuid: &upper,
        name: "Test Testesen-Nielsen",
        ..Login::default()
    };
    let (response, flow) = to_idp_and_back(&router, "kombit", &who).await;
    let res = send_to(&router, acs(&response, &flow)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let after = app.store.list_users(Some(aalborg.id)).await.unwrap();
    assert_eq!(after.len(), users.len(), "no second user");
    assert!(
        after
            .iter()
            .any(|u| u.id == me.id && u.display_name == "Test Testesen-Nielsen")
    );

    // The audit log has both logins, with the level of assurance.
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
        ["login.saml", "user.sync", "login.saml", "user.create"]
    );
    let detail: serde_json::Value = serde_json::from_str(log[0].after.as_deref().unwrap()).unwrap();
    assert_eq!(detail["loa"], "Substantial");
    assert_eq!(detail["provider"], "kombit");

    // A CVR table maps an organisation to its member, and a provider that
    // requires Substantial takes it...
    let brondby = unique("urn:uuid:brondby-");
    let who = Login {
        uuid: &brondby,
        cvr: "11223344",
        name: "Brøndby Person",
        ..Login::default()
    };
    let (response, flow) = to_idp_and_back(&router, "strict", &who).await;
    let res = send_to(&router, acs(&response, &flow)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let brondby_users = app
        .store
        .list_users(Some(app.fx.members[2].id))
        .await
        .unwrap();
    assert!(
        brondby_users
            .iter()
            .any(|u| u.display_name == "Brøndby Person")
    );
    // ... and refuses Low.
    let who = Login { loa: "Low", ..who };
    let (response, flow) = to_idp_and_back(&router, "strict", &who).await;
    let res = send_to(&router, acs(&response, &flow)).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.text().contains("sikringsniveau"), "{}", res.text());
    assert!(res.cookie("udrul_session").is_none());
}
each_backend!(saml_login, saml_login_maps_oiosaml_attributes);

/// Lower-case hex in the 8-4-4-4-12 shape, unique per call.
fn uuid_like() -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let h = format!("{n:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Changes the text of the first attribute value `from` in a signed
/// response: the signature no longer matches.
fn tampered(response: &str, from: &str, to: &str) -> String {
    let xml = String::from_utf8(STANDARD.decode(response).unwrap()).unwrap();
    assert!(xml.contains(from), "{from} in {xml}");
    STANDARD.encode(xml.replacen(from, to, 1))
}

async fn saml_refuses_what_it_cannot_trust(app: TestApp) {
    let Some(idp) = idp_url() else { return };
    let router = router(&app, &idp).await;
    let users_before = app.store.list_users(None).await.unwrap().len();
    let uuid = unique("urn:uuid:other-");
    let who = Login {
        uuid: &uuid,
        name: "Anden Person",
        ..Login::default()
    };
    let refused = |res: &common::Resp, words: &str| {
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text());
        assert!(res.text().contains(words), "{words}: {}", res.text());
        assert!(res.cookie("udrul_session").is_none());
    };

    // A tampered assertion: Aalborg's person made København's.
    let (response, flow) = to_idp_and_back(&router, "kombit", &who).await;
    let forged = tampered(&response, ">851<", ">101<");
    refused(&send_to(&router, acs(&forged, &flow)).await, "godkendes");

    // An expired assertion.
    let expired = Login {
        lifetime: -10,
        ..who
    };
    let (response, flow) = to_idp_and_back(&router, "kombit", &expired).await;
    refused(&send_to(&router, acs(&response, &flow)).await, "godkendes");

    // An assertion for another service provider.
    let elsewhere = Login {
        audience: "https://another-sp.example/metadata",
        ..who
    };
    let (response, flow) = to_idp_and_back(&router, "kombit", &elsewhere).await;
    refused(&send_to(&router, acs(&response, &flow)).await, "godkendes");

    // A signature by SHA-1.
    let sha1 = Login { sha1: true, ..who };
    let (response, flow) = to_idp_and_back(&router, "kombit", &sha1).await;
    refused(&send_to(&router, acs(&response, &flow)).await, "godkendes");

    // A good response, but without this browser's flow cookie, with a
    // tampered one, or with the cookie of another request: refused.
    let (response, flow) = to_idp_and_back(&router, "kombit", &who).await;
    let (_, other_flow) = to_idp_and_back(&router, "kombit", &who).await;
    refused(&send_to(&router, acs(&response, "")).await, "startet her");
    refused(
        &send_to(&router, acs(&response, &format!("{flow}x"))).await,
        "startet her",
    );
    refused(
        &send_to(&router, acs(&response, &other_flow)).await,
        "godkendes",
    );

    // København's own provider refuses an Aalborg person.
    let (kbh_response, kbh_flow) = to_idp_and_back(&router, "kbh", &who).await;
    refused(
        &send_to(&router, acs(&kbh_response, &kbh_flow)).await,
        "organisation",
    );

    // The good response logs in once; posting it again is a replay.
    let res = send_to(&router, acs(&response, &flow)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    refused(
        &send_to(&router, acs(&response, &flow)).await,
        "allerede brugt",
    );
    // Exactly one person was created.
    assert_eq!(
        app.store.list_users(None).await.unwrap().len(),
        users_before + 1
    );
    // An unknown provider does not exist.
    let res = send_to(&router, get("/login/saml/nope", "")).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}
each_backend!(saml_refusals, saml_refuses_what_it_cannot_trust);

/// Behind HTTPS the flow cookie is `__Host-` (Secure, Path=/) and
/// SameSite=None, for the identity provider's cross-site POST (issue 11).
async fn saml_flow_cookie_is_host_only_in_secure_mode(app: TestApp) {
    let Some(idp) = idp_url() else { return };
    let (key, cert) = sp_keys();
    let router = app
        .instance(Config {
            public_url: Some("http://localhost".into()),
            secure_cookies: true,
            saml: vec![provider(&idp, "kombit")],
            saml_sp: SamlSp {
                entity_id: Some(unique("https://udrul.test/sp/")),
                key_pem: Some(key),
                certificate_pem: Some(cert),
                ..SamlSp::default()
            },
            ..Config::default()
        })
        .await;
    let res = send_to(&router, get("/login/saml/kombit?next=/tasks", "")).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    assert!(res.cookie("udrul_saml").is_none());
    let line = res
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("__Host-udrul_saml="))
        .expect("a __Host- flow cookie")
        .to_string();
    for part in ["Secure", "Path=/", "HttpOnly", "SameSite=None"] {
        assert!(line.contains(part), "{part} in {line}");
    }
    assert!(!line.contains("Path=/login"), "{line}");
    // The consumer reads it under that name: with it, the refusal is about
    // the (missing) answer, not a missing flow.
    let flow = res.cookie("__Host-udrul_saml").unwrap();
    let without = send_to(&router, acs("", "")).await;
    let with = send_to(&router, acs("", &format!("__Host-udrul_saml={flow}"))).await;
    assert_eq!(without.status, StatusCode::BAD_REQUEST);
    assert_ne!(without.text(), with.text());
}
each_backend!(
    saml_secure_cookie,
    saml_flow_cookie_is_host_only_in_secure_mode
);
