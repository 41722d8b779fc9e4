//! The logs hold no secrets: every line the app, tower-http and sqlx write
//! at the most verbose level, during logins, token use and logout, is
//! captured and searched for the passwords, session ids, CSRF tokens and
//! bearer tokens that went through.
//!
//! nextest runs each test in its own process, so the global subscriber set
//! here sees this test's requests only.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use common::{PASSWORD, TestApp};
use serde_json::json;
use udrul_core::Permission;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn flow(app: &TestApp) -> Vec<String> {
    let mut secrets = vec![PASSWORD.to_string()];
    // A login with a wrong password, then the right one, then logout.
    let mut b = app.browser();
    b.get("/login").await;
    let wrong = "wrong-password-that-must-not-be-logged";
    secrets.push(wrong.into());
    b.post("/login", &[("username", "a-user"), ("password", wrong)])
        .await;
    b.post(
        "/login",
        &[
            ("username", "a-user"),
            ("password", PASSWORD),
            ("next", "/"),
        ],
    )
    .await;
    b.get("/").await;
    secrets.extend(b.cookies.iter().map(|(_, v)| v.clone()));
    secrets.extend(b.csrf.clone());
    let res = b.post("/logout", &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);

    // An API token, used and revoked.
    let token = app.token("a-admin").await;
    secrets.push(token.clone());
    app.api("GET", "/api/v1/me", Some(&token), None).await;
    app.api("DELETE", "/api/v1/auth/token", Some(&token), None)
        .await;
    app.api("GET", "/api/v1/me", Some(&token), None).await;

    // A robot token, used for a read and a write.
    let (secret, _) = app.robot_token(&Permission::ALL).await;
    secrets.push(secret.clone());
    let t = app.published("LOG 1").await;
    let inst = app.instance_of(t.id, 0).await;
    let res = app
        .api(
            "PATCH",
            &format!("/api/v1/instances/{}", inst.id.0),
            Some(&secret),
            Some(json!({"status": "paabegyndt"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());

    // A set-password link (issue 11): its secret is in the URL path.
    let mut admin = app.login("admin").await;
    let id = app.fx.b_user.id.0;
    let html = admin
        .post(&format!("/admin/users/{id}/password-link"), &[])
        .await
        .text();
    let at = html.find("/set-password/").expect("a link");
    let link = html[at..][..html[at..].find('"').unwrap()].to_string();
    secrets.push(link.trim_start_matches("/set-password/").to_string());
    let chosen = "a chosen password that must not be logged";
    secrets.push(chosen.into());
    let mut visitor = app.browser();
    visitor.get(&link).await;
    let res = visitor
        .post(&link, &[("password", chosen), ("password2", chosen)])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    secrets
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_hold_no_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let mut all = Vec::new();
    for app in TestApp::all().await {
        all.extend(flow(&app).await);
    }
    let log = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    // The capture works: the requests were logged.
    assert!(log.contains("/api/v1/me"), "nothing captured");
    assert!(log.contains("failed login"));
    for secret in all.iter().filter(|s| s.len() >= 8) {
        assert!(
            !log.contains(secret.as_str()),
            "a secret is in the logs: {}…",
            &secret[..4]
        );
    }
}
