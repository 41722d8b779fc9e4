//! The portal on a real TCP socket, as a browser or robot meets it.

mod common;

use common::TestApp;

async fn serves_over_tcp(app: TestApp) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router.clone();
    let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);

    // Security headers on a page.
    let login = client.get(format!("{base}/login")).send().await.unwrap();
    assert_eq!(login.status(), 200);
    let csp = login.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"));
    assert_eq!(login.headers()["x-content-type-options"], "nosniff");
    assert_eq!(login.headers()["x-frame-options"], "DENY");
    assert_eq!(login.headers()["cross-origin-opener-policy"], "same-origin");
    assert_eq!(login.headers()["referrer-policy"], "same-origin");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("form-action 'self'"));
    // Plain http (tests, demo): no HSTS, which would lock browsers out.
    assert!(!login.headers().contains_key("strict-transport-security"));
    assert!(login.headers().contains_key("x-request-id"));
    let html = login.text().await.unwrap();
    let csrf = common::csrf_in(&html).unwrap();

    let res = client
        .post(format!("{base}/login"))
        .header("origin", &base)
        .form(&[
            ("username", "a-user"),
            ("password", common::PASSWORD),
            ("next", "/"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let set_cookie: Vec<_> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(set_cookie.iter().any(|c| c.starts_with("udrul_session=")
        && c.contains("HttpOnly")
        && c.contains("SameSite=Lax")));
    let home = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("Aalborg"));

    // The API on the same socket.
    let tok: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/token"))
        .json(&serde_json::json!({"username": "b-user", "password": common::PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = tok["token"].as_str().unwrap();
    let me = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    server.abort();
}

each_backend!(real_socket, serves_over_tcp);
