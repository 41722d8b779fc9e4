//! The HTTP edge (issue 11): redirect targets, login throttling under
//! concurrency and per source, the client address in the audit log, the
//! cookies of secure mode, and the favicon.

mod common;

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use common::{PASSWORD, Resp, TestApp, send_to};
use udrul::config::Config;
use udrul_core::store::AuditFilter;

/// A page's anonymous CSRF basis: (Cookie header, token), from `GET /login`.
async fn anonymous(router: &Router) -> (String, String) {
    let page = send_to(
        router,
        Request::get("/login")
            .header(header::HOST, "localhost")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let set: Vec<String> = page
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .collect();
    (set.join("; "), common::csrf_in(&page.text()).unwrap())
}

/// `POST /login` as a browser sends it, optionally from a TCP peer.
fn login_form(
    cookie: &str,
    csrf: &str,
    fields: &[(&str, &str)],
    peer: Option<&str>,
    forwarded_for: Option<&str>,
) -> Request<Body> {
    let mut all = fields.to_vec();
    all.push(("csrf", csrf));
    let mut r = Request::post("/login")
        .header(header::HOST, "localhost")
        .header(header::ORIGIN, "http://localhost")
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(x) = forwarded_for {
        r = r.header("x-forwarded-for", x);
    }
    let mut req = r
        .body(Body::from(serde_urlencoded::to_string(&all).unwrap()))
        .unwrap();
    if let Some(p) = peer {
        let addr: SocketAddr = format!("{p}:40000").parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(addr));
    }
    req
}

fn token_request(username: &str, password: &str) -> Request<Body> {
    Request::post("/api/v1/auth/token")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            serde_json::json!({"username": username, "password": password}).to_string(),
        ))
        .unwrap()
}

// --- 1. redirect targets ----------------------------------------------------

async fn next_is_always_local(app: TestApp) {
    // The login page keeps only a safe `next` in its form.
    let mut b = app.browser();
    let page = b.get("/login?next=/%09/other.host/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains(r#"name="next" value="/""#));
    let page = b.get("/login?next=/%0d%0aSet-Cookie:%20x=1").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let page = b.get("/login?next=/tasks%3Fstatus%3Dopen").await;
    assert!(
        page.text()
            .contains(r#"name="next" value="/tasks?status=open""#)
    );

    // A login with a CR/LF or TAB in `next` lands on `/`, never a 500.
    for bad in [
        "/\r\nSet-Cookie: x=1",
        "/\t/other.host/",
        "/\n/other.host",
        "/\\evil",
    ] {
        let mut b = app.browser();
        b.get("/login").await;
        let res = b
            .post(
                "/login",
                &[
                    ("username", "a-user"),
                    ("password", PASSWORD),
                    ("next", bad),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{bad:?}: {}", res.text());
        assert_eq!(res.location(), "/", "{bad:?}");
        assert!(res.cookie("udrul_session").is_some());
        // Already logged in: the login page sends the visitor on, safely.
        let again = b.get("/login?next=/%09/other.host/").await;
        assert_eq!(again.status, StatusCode::SEE_OTHER);
        assert_eq!(again.location(), "/");
    }
    // A good one is kept, query and all.
    let mut b = app.browser();
    b.get("/login").await;
    let res = b
        .post(
            "/login",
            &[
                ("username", "a-user"),
                ("password", PASSWORD),
                ("next", "/tasks?status=open"),
            ],
        )
        .await;
    assert_eq!(res.location(), "/tasks?status=open");

    // The language switcher too.
    for (next, to) in [
        ("/%09/other.host/", "/"),
        ("/%0d%0aSet-Cookie:%20x=1", "/"),
        ("//other.host/", "/"),
        ("/%5C%5Cother.host", "/"),
        ("https://other.host/", "/"),
        ("/tasks%3Fx%3D1", "/tasks?x=1"),
    ] {
        let res = b.get(&format!("/language?lang=en&next={next}")).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{next}: {}", res.text());
        assert_eq!(res.location(), to, "{next}");
    }
}
each_backend!(redirect_targets, next_is_always_local);

// --- 2. login throttling ----------------------------------------------------

fn throttled_config() -> Config {
    Config {
        login_max_failures: 5,
        ..Config::default()
    }
}

/// Statuses of `n` concurrent requests made by `make`.
async fn burst(router: &Router, n: usize, make: impl Fn() -> Request<Body>) -> Vec<StatusCode> {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let router = router.clone();
        let req = make();
        tasks.push(tokio::spawn(
            async move { send_to(&router, req).await.status },
        ));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

async fn concurrent_guesses_are_counted_first(app: TestApp) {
    let router = app.instance(throttled_config()).await;
    let (cookie, csrf) = anonymous(&router).await;

    // 40 wrong passwords at once: at most 5 are checked.
    let statuses = burst(&router, 40, || {
        login_form(
            &cookie,
            &csrf,
            &[("username", "a-user"), ("password", "wrong")],
            None,
            None,
        )
    })
    .await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(checked <= 5, "{checked} of 40 checked: {statuses:?}");
    assert_eq!(checked + refused, 40, "{statuses:?}");
    let log = app
        .store
        .search_audit(&AuditFilter {
            person: Some(app.fx.a_user.id),
            limit: 200,
            ..Default::default()
        })
        .await
        .unwrap();
    let failures = log.iter().filter(|e| e.action == "login.failure").count();
    assert!(failures <= 5, "{failures} failures audited");
    assert_eq!(failures, checked);

    // The API token endpoint, for another account: the same.
    let statuses = burst(&router, 40, || token_request("b-user", "wrong")).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(checked <= 5, "{checked} of 40 checked: {statuses:?}");
    assert_eq!(checked + refused, 40, "{statuses:?}");
}
each_backend!(
    concurrent_login_guesses,
    concurrent_guesses_are_counted_first
);

/// Waits until `username` has `n` attempts counted (while they may still be
/// being checked).
async fn until_counted(app: &TestApp, username: &str, n: i64) {
    let key = format!("user:{username}");
    for _ in 0..2000 {
        let since = chrono::Utc::now() - chrono::Duration::minutes(15);
        if let Some((count, _)) = app.store.login_failures(&key, since).await.unwrap()
            && count >= n
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!("{username}: {n} attempts never counted");
}

async fn right_password_inside_a_burst_is_refused(app: TestApp) {
    let router = app.instance(throttled_config()).await;
    let (cookie, csrf) = anonymous(&router).await;

    // The form: 30 wrong guesses under way, then the right password.
    let wrong = {
        let router = router.clone();
        let (cookie, csrf) = (cookie.clone(), csrf.clone());
        tokio::spawn(async move {
            burst(&router, 30, || {
                login_form(
                    &cookie,
                    &csrf,
                    &[("username", "a-user"), ("password", "wrong")],
                    None,
                    None,
                )
            })
            .await
        })
    };
    until_counted(&app, "a-user", 5).await;
    let res = send_to(
        &router,
        login_form(
            &cookie,
            &csrf,
            &[("username", "a-user"), ("password", PASSWORD)],
            None,
            None,
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.text());
    assert!(res.cookie("udrul_session").is_none());
    wrong.await.unwrap();

    // The API: the same.
    let wrong = {
        let router = router.clone();
        tokio::spawn(async move { burst(&router, 30, || token_request("b-user", "wrong")).await })
    };
    until_counted(&app, "b-user", 5).await;
    let res = send_to(&router, token_request("b-user", PASSWORD)).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.text());
    assert!(res.header("retry-after").is_some());
    wrong.await.unwrap();
}
each_backend!(
    login_inside_a_burst,
    right_password_inside_a_burst_is_refused
);

async fn one_source_cannot_spray_many_accounts(app: TestApp) {
    let router = app
        .instance(Config {
            login_source_burst: 3,
            login_source_per_minute: 1,
            ..Config::default()
        })
        .await;
    let (cookie, csrf) = anonymous(&router).await;
    let guess = |user: &str, peer: Option<&str>| {
        login_form(
            &cookie,
            &csrf,
            &[("username", user), ("password", "wrong")],
            peer,
            None,
        )
    };
    let mut seen = Vec::new();
    for user in ["u1", "u2", "u3", "u4", "u5"] {
        seen.push(
            send_to(&router, guess(user, Some("198.51.100.7")))
                .await
                .status,
        );
    }
    assert_eq!(
        seen,
        [422, 422, 422, 429, 429].map(|s| StatusCode::from_u16(s).unwrap())
    );
    // The right password from that source waits too...
    let res = send_to(
        &router,
        login_form(
            &cookie,
            &csrf,
            &[("username", "a-user"), ("password", PASSWORD)],
            Some("198.51.100.7"),
            None,
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    // ... while another source, and the API from another, are not held up.
    let res = send_to(&router, guess("u6", Some("198.51.100.8"))).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut api = token_request("a-user", PASSWORD);
    api.extensions_mut()
        .insert(ConnectInfo("198.51.100.9:1".parse::<SocketAddr>().unwrap()));
    assert_eq!(send_to(&router, api).await.status, StatusCode::OK);
    // The API counts by source as well.
    let mut api = token_request("a-user", PASSWORD);
    api.extensions_mut()
        .insert(ConnectInfo("198.51.100.7:1".parse::<SocketAddr>().unwrap()));
    assert_eq!(
        send_to(&router, api).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}
each_backend!(login_per_source, one_source_cannot_spray_many_accounts);

// --- 4. the client address in the audit log ------------------------------------

async fn last_failure_client(app: &TestApp) -> serde_json::Value {
    let log = app
        .store
        .search_audit(&AuditFilter {
            person: Some(app.fx.a_user.id),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    let e = log.first().expect("an audit entry");
    assert_eq!(e.action, "login.failure");
    let after: serde_json::Value = serde_json::from_str(e.after.as_deref().unwrap()).unwrap();
    assert!(after.get("forwarded_for").is_none());
    after["client"].clone()
}

async fn forwarded_for_only_from_trusted_proxies(app: TestApp) {
    let router = app
        .instance(Config {
            trusted_proxies: udrul::client::parse_trusted("10.0.0.5, 10.9.0.0/16").unwrap(),
            ..Config::default()
        })
        .await;
    let (cookie, csrf) = anonymous(&router).await;
    let fields = [("username", "a-user"), ("password", "wrong")];
    let send = |peer: Option<&'static str>, xff: Option<&'static str>| {
        send_to(&router, login_form(&cookie, &csrf, &fields, peer, xff))
    };

    // A client's own X-Forwarded-For is not believed: its address is recorded.
    let res: Resp = send(Some("198.51.100.7"), Some("203.0.113.66")).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(last_failure_client(&app).await, "198.51.100.7");
    // Nor the header this app uses internally.
    let mut req = login_form(&cookie, &csrf, &fields, Some("198.51.100.7"), None);
    req.headers_mut()
        .insert("x-udrul-client-addr", "203.0.113.66".parse().unwrap());
    send_to(&router, req).await;
    assert_eq!(last_failure_client(&app).await, "198.51.100.7");
    // From a trusted proxy it is, skipping the proxies' own entries.
    send(Some("10.0.0.5"), Some("203.0.113.66")).await;
    assert_eq!(last_failure_client(&app).await, "203.0.113.66");
    send(Some("10.0.0.5"), Some("1.1.1.1, 203.0.113.67, 10.9.1.1")).await;
    assert_eq!(last_failure_client(&app).await, "203.0.113.67");
    // No socket (a request straight into the router): nothing is claimed.
    send(None, Some("203.0.113.66")).await;
    assert_eq!(last_failure_client(&app).await, serde_json::Value::Null);
}
each_backend!(
    audit_client_address,
    forwarded_for_only_from_trusted_proxies
);

// --- 5. cookies behind HTTPS ----------------------------------------------------

/// The whole `Set-Cookie` line that sets `name`.
fn set_cookie_line(res: &Resp, name: &str) -> String {
    res.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {:?}", res.headers))
        .to_string()
}

async fn secure_mode_cookies_are_host_only(app: TestApp) {
    let router = app
        .instance(Config {
            secure_cookies: true,
            ..Config::default()
        })
        .await;
    // The pre-login cookie (the CSRF basis before a session).
    let page = send_to(
        &router,
        Request::get("/login")
            .header(header::HOST, "localhost")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let pre = set_cookie_line(&page, "__Host-udrul_pre");
    for part in ["Secure", "Path=/", "HttpOnly", "SameSite=Lax"] {
        assert!(pre.contains(part), "{part} in {pre}");
    }
    assert!(!pre.contains("Domain"), "{pre}");
    assert!(page.cookie("udrul_pre").is_none());
    // Its token works with the prefixed cookie: a login.
    let cookie = pre.split(';').next().unwrap().to_string();
    let csrf = common::csrf_in(&page.text()).unwrap();
    let res = send_to(
        &router,
        login_form(
            &cookie,
            &csrf,
            &[("username", "a-user"), ("password", PASSWORD)],
            None,
            None,
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let session = set_cookie_line(&res, "__Host-udrul_session");
    for part in ["Secure", "Path=/", "HttpOnly", "SameSite=Lax"] {
        assert!(session.contains(part), "{part} in {session}");
    }
    // The language preference: Secure too.
    let res = send_to(
        &router,
        Request::get("/language?lang=en&next=/")
            .header(header::HOST, "localhost")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let lang = set_cookie_line(&res, "udrul_lang");
    assert!(lang.contains("Secure") && lang.contains("Path=/"), "{lang}");
    // Plain http (demo, tests): no prefix, no Secure.
    let page = app.browser().get("/login").await;
    assert!(page.cookie("udrul_pre").is_some());
    assert!(!set_cookie_line(&page, "udrul_pre").contains("Secure"));
}
each_backend!(secure_cookies, secure_mode_cookies_are_host_only);

// --- 6. the favicon ---------------------------------------------------------------

async fn favicon_is_served(app: TestApp) {
    for (path, kind) in [
        ("/favicon.ico", "image/x-icon"),
        ("/static/favicon.svg", "image/svg+xml"),
    ] {
        let res = app
            .send(Request::get(path).body(Body::empty()).unwrap())
            .await;
        assert_eq!(res.status, StatusCode::OK, "{path}");
        assert_eq!(res.header("content-type"), Some(kind), "{path}");
        assert!(!res.body.is_empty());
    }
    let ico = app
        .send(Request::get("/favicon.ico").body(Body::empty()).unwrap())
        .await;
    // An ICO directory: reserved 0, type 1 (icon), one image.
    assert_eq!(&ico.body[..6], &[0, 0, 1, 0, 1, 0]);
    // Pages link the icon.
    let page = app.browser().get("/login").await;
    assert!(
        page.text()
            .contains(r#"<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">"#),
        "{}",
        page.text()
    );
}
each_backend!(favicon, favicon_is_served);
