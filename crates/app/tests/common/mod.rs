//! The test app: the real router on a fresh database of each backend.
//!
//! Every HTTP test runs once on SQLite (a temp file) and once on PostgreSQL
//! when `UDRUL_TEST_PG_URL` names an admin connection (each test gets its own
//! new database). With `UDRUL_REQUIRE_PG=1` a missing PostgreSQL is a failure,
//! so CI cannot pass on SQLite alone.
#![allow(dead_code)]

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;
use udrul::config::Config;
use udrul::state::AppState;
use udrul_core::access::AccessRole;
use udrul_core::input::{ProjectInput, TaskInput};
use udrul_core::store::{NewMember, NewUser};
use udrul_core::{Actor, Member, Project, Store, Task, TaskType, User};

pub const PASSWORD: &str = "correct horse battery staple";

/// Runs `async fn $body(app: TestApp)` once per backend.
#[macro_export]
macro_rules! each_backend {
    ($name:ident, $body:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            for app in $crate::common::TestApp::all().await {
                let backend = app.backend;
                eprintln!("-- {} on {}", stringify!($name), backend);
                $body(app).await;
            }
        }
    };
}

pub struct Fixtures {
    /// Three members: A (Region Nordjylland / Nord), B and C (Region Hovedstaden / Syd).
    pub members: Vec<Member>,
    pub central_admin: User,
    pub staff: User,
    pub a_user: User,
    pub a_admin: User,
    pub b_user: User,
    /// A read-only auditor.
    pub auditor: User,
    /// A robot user of member A (no tokens yet).
    pub a_robot: User,
    /// The project `staff` is assigned to.
    pub project: Project,
    /// A project `staff` is not assigned to.
    pub other_project: Project,
}

pub struct TestApp {
    pub backend: &'static str,
    pub store: Arc<dyn Store>,
    pub router: Router,
    pub fx: Fixtures,
    _dir: Option<tempfile::TempDir>,
}

fn password_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| password_auth::generate_hash(PASSWORD))
}

pub async fn sqlite_store() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = udrul_store::default_sqlite_url(dir.path()).unwrap();
    (udrul_store::connect(&url).await.unwrap(), dir)
}

pub async fn postgres_store() -> Option<Arc<dyn Store>> {
    let admin = match std::env::var("UDRUL_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            assert!(
                std::env::var("UDRUL_REQUIRE_PG").ok().as_deref() != Some("1"),
                "UDRUL_REQUIRE_PG=1 but UDRUL_TEST_PG_URL is not set"
            );
            return None;
        }
    };
    use sqlx::Connection;
    let name = format!("udrul_app_test_{:016x}", rand_u64());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap();
    Some(
        udrul_store::connect(&format!("{base}/{name}"))
            .await
            .unwrap(),
    )
}

/// The URL of a test identity provider that `scripts/idp-start` started,
/// from `var`. Unset: the test is skipped, unless `UDRUL_REQUIRE_IDP=1` (as
/// in `scripts/test`), which makes that a failure.
pub fn idp_env(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var("UDRUL_REQUIRE_IDP").ok().as_deref() != Some("1"),
                "UDRUL_REQUIRE_IDP=1 but {var} is not set (scripts/idp-start)"
            );
            None
        }
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.finish()
}

impl TestApp {
    pub async fn all() -> Vec<TestApp> {
        let mut apps = Vec::new();
        let (s, dir) = sqlite_store().await;
        apps.push(TestApp::new("sqlite", s, Some(dir)).await);
        if let Some(s) = postgres_store().await {
            apps.push(TestApp::new("postgres", s, None).await);
        }
        apps
    }

    pub async fn new(
        backend: &'static str,
        store: Arc<dyn Store>,
        dir: Option<tempfile::TempDir>,
    ) -> TestApp {
        let fx = fixtures(&*store).await;
        // Robot tokens get room for a whole walk of the route table or an
        // identity provider's conversation; the rate limit itself is tested
        // on its own instance (`access.rs`).
        let config = Config {
            robot_burst: 10_000,
            ..Config::default()
        };
        let state = AppState::new(store.clone(), config).await.unwrap();
        TestApp {
            backend,
            router: udrul::router(state),
            store,
            fx,
            _dir: dir,
        }
    }

    pub fn actor(&self, u: &User) -> Actor {
        udrul::auth::actor_of(u, &Default::default())
    }

    /// A draft task in the fixture project, by the project's staff.
    pub async fn draft(&self, code: &str) -> Task {
        self.draft_in(self.fx.project.id, &self.actor(&self.fx.staff), code)
            .await
    }

    /// A draft task in `project`, by `by`.
    pub async fn draft_in(&self, project: udrul_core::ProjectId, by: &Actor, code: &str) -> Task {
        let t = TaskInput {
            project_id: project,
            code: code.into(),
            title: format!("Opgave {code}"),
            purpose: "Formål".into(),
            guidance: "# Vejledning".into(),
            task_type: TaskType::Mandatory,
            phase: String::new(),
            target_roles: vec!["Infrastrukturansvarlig".into()],
            start_date: Some("2025-01-01".parse().unwrap()),
            end_date: "2025-06-30".parse().unwrap(),
        };
        self.store.create_task(by, t).await.unwrap()
    }

    /// A task published to every fixture member.
    pub async fn published(&self, code: &str) -> Task {
        let t = self.draft(code).await;
        self.store
            .publish_task(
                &self.actor(&self.fx.staff),
                t.id,
                &udrul_core::input::Audience::All,
            )
            .await
            .unwrap()
            .task
    }

    /// Member number `member`'s instance of `task`.
    pub async fn instance_of(
        &self,
        task: udrul_core::TaskId,
        member: usize,
    ) -> udrul_core::InstanceRow {
        let m = self.fx.members[member].id;
        let page = self
            .store
            .list_instances(
                udrul_core::Scope::Member(m),
                &udrul_core::InstanceFilter {
                    task_id: Some(task),
                    ..Default::default()
                },
                udrul_core::PageRequest::new(1, 10),
            )
            .await
            .unwrap();
        page.items.into_iter().next().expect("instance")
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
        send_to(&self.router, req).await
    }

    /// Another app instance on this test's database, with its own settings
    /// and its own memory (rate limits): what a second node is.
    pub async fn instance(&self, config: Config) -> Router {
        udrul::router(AppState::new(self.store.clone(), config).await.unwrap())
    }

    /// A robot token for `robot`, made by `by`: (secret, token id).
    pub async fn robot_token_for(
        &self,
        by: &Actor,
        robot: udrul_core::UserId,
        permissions: &[udrul_core::Permission],
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> (String, i64) {
        let secret = format!(
            "{}{}",
            udrul::auth::ROBOT_TOKEN_PREFIX,
            udrul::auth::new_secret()
        );
        let t = self
            .store
            .create_robot_token(
                by,
                &udrul::auth::hash_secret(&secret),
                udrul_core::store::NewRobotToken {
                    user_id: robot,
                    name: "test token".into(),
                    permissions: udrul_core::Permissions::of(permissions),
                    expires_at,
                },
            )
            .await
            .unwrap();
        (secret, t.id)
    }

    /// A day-long token of member A's robot, made by A's administrator.
    pub async fn robot_token(&self, permissions: &[udrul_core::Permission]) -> (String, i64) {
        let by = self.actor(&self.fx.a_admin);
        let expires = chrono::Utc::now() + chrono::Duration::days(1);
        self.robot_token_for(&by, self.fx.a_robot.id, permissions, expires)
            .await
    }

    /// An anonymous browser.
    pub fn browser(&self) -> Browser<'_> {
        Browser {
            app: self,
            cookies: Vec::new(),
            csrf: None,
        }
    }

    /// A browser logged in as `username` through the login form.
    pub async fn login(&self, username: &str) -> Browser<'_> {
        let mut b = self.browser();
        let page = b.get("/login").await;
        assert_eq!(page.status, StatusCode::OK);
        let res = b
            .post(
                "/login",
                &[
                    ("username", username),
                    ("password", PASSWORD),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::SEE_OTHER,
            "login as {username} failed: {}",
            res.text()
        );
        // Pick up the session's CSRF token from any page (central users'
        // and auditors' `/` redirects to their task list: follow it, else
        // the browser would post with the login form's token).
        let home = b.get("/").await;
        if home.status == StatusCode::SEE_OTHER
            && let Some(to) = home.header("location").map(str::to_string)
        {
            b.get(&to).await;
        }
        b
    }

    /// A bearer token from `POST /api/v1/auth/token`.
    pub async fn token(&self, username: &str) -> String {
        let res = self
            .send(
                Request::post("/api/v1/auth/token")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(
                        serde_json::json!({"username": username, "password": PASSWORD}).to_string(),
                    ))
                    .unwrap(),
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::OK,
            "token for {username}: {}",
            res.text()
        );
        res.json()["token"].as_str().unwrap().to_string()
    }

    /// A JSON request with a bearer token.
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Resp {
        let mut r = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => r
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string()))
                .unwrap(),
            None => r.body(Body::empty()).unwrap(),
        };
        self.send(req).await
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Where a redirect points ("" when it is not one).
    pub fn location(&self) -> String {
        self.header("location").unwrap_or_default().to_string()
    }

    /// Asserts a 303 to a path starting with `to_prefix`.
    pub fn assert_redirect(&self, to_prefix: &str) {
        assert_eq!(self.status, StatusCode::SEE_OTHER, "{}", self.text());
        let to = self.location();
        assert!(to.starts_with(to_prefix), "redirect to {to}");
    }

    /// The value a `Set-Cookie` of this response gives `name` (not a removal).
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .filter_map(|p| p.split_once('='))
            .find(|(k, v)| *k == name && !v.is_empty())
            .map(|(_, v)| v.to_string())
    }
}

/// Sends a request through `router`.
pub async fn send_to(router: &Router, req: Request<Body>) -> Resp {
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Resp {
        status,
        headers,
        body,
    }
}

/// A cookie-keeping client that sends forms like a browser: same-origin,
/// with the CSRF token of the last page it saw.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub cookies: Vec<(String, String)>,
    pub csrf: Option<String>,
}

impl Browser<'_> {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn absorb(&mut self, res: &Resp) {
        for v in res.headers.get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            self.cookies.retain(|(ck, _)| ck != k);
            let removed = v.contains("Max-Age=0") || v.contains("max-age=0") || val.is_empty();
            if !removed {
                self.cookies.push((k.to_string(), val.to_string()));
            }
        }
        if let Some(t) = csrf_in(&res.text()) {
            self.csrf = Some(t);
        }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        let req = Request::get(path)
            .header(header::HOST, "localhost")
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .unwrap();
        let res = self.app.send(req).await;
        self.absorb(&res);
        res
    }

    /// Posts a form with this browser's CSRF token added.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let csrf = self.csrf.clone().unwrap_or_default();
        all.push(("csrf", &csrf));
        self.post_raw(path, &all).await
    }

    /// Posts exactly these fields (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let req = Request::post(path)
            .header(header::HOST, "localhost")
            .header(header::ORIGIN, "http://localhost")
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        let res = self.app.send(req).await;
        self.absorb(&res);
        res
    }
}

impl Browser<'_> {
    /// Posts a `multipart/form-data` form, as a browser sends a file
    /// upload: this browser's CSRF token first, then `fields`, then `file`
    /// as (field name, file name, bytes).
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, &[u8])>,
    ) -> Resp {
        const B: &str = "----udrul-test-boundary-7MA4YWxkTrZu0gW";
        let mut body: Vec<u8> = Vec::new();
        let csrf = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("csrf", &csrf)];
        all.extend_from_slice(fields);
        for (k, v) in all {
            body.extend(
                format!("--{B}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                    .as_bytes(),
            );
        }
        if let Some((name, file_name, bytes)) = file {
            body.extend(
                format!(
                    "--{B}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{B}--\r\n").as_bytes());
        let req = Request::post(path)
            .header(header::HOST, "localhost")
            .header(header::ORIGIN, "http://localhost")
            .header(header::COOKIE, self.cookie_header())
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={B}"),
            )
            .body(Body::from(body))
            .unwrap();
        let res = self.app.send(req).await;
        self.absorb(&res);
        res
    }
}

/// The value of the first `name="csrf"` hidden input in a page.
pub fn csrf_in(html: &str) -> Option<String> {
    let i = html.find("name=\"csrf\" value=\"")?;
    let rest = &html[i + "name=\"csrf\" value=\"".len()..];
    Some(rest[..rest.find('"')?].to_string())
}

async fn fixtures(store: &dyn Store) -> Fixtures {
    let mut members = Vec::new();
    for (code, name, region, network) in [
        ("851", "Aalborg", "Region Nordjylland", "Nord"),
        ("101", "København", "Region Hovedstaden", "Syd"),
        ("153", "Brøndby", "Region Hovedstaden", "Syd"),
    ] {
        members.push(
            store
                .upsert_member(NewMember {
                    code: code.into(),
                    name: name.into(),
                    region: region.into(),
                    network: network.into(),
                })
                .await
                .unwrap(),
        );
    }
    for r in ["Infrastrukturansvarlig", "KOMBIT-programleder"] {
        store.ensure_role(r).await.unwrap();
    }
    let user = |username: &str, role: AccessRole, member: Option<&Member>| NewUser {
        username: username.into(),
        display_name: format!("Test {username}"),
        email: format!("{username}@test.invalid"),
        password_hash: password_hash().to_string(),
        role,
        member_id: member.map(|m| m.id),
    };
    let sys = Actor::system();
    let central_admin = store
        .create_user(&sys, user("admin", AccessRole::CentralAdmin, None))
        .await
        .unwrap();
    let staff = store
        .create_user(&sys, user("staff", AccessRole::CentralStaff, None))
        .await
        .unwrap();
    let a_user = store
        .create_user(
            &sys,
            user("a-user", AccessRole::MemberUser, Some(&members[0])),
        )
        .await
        .unwrap();
    let a_admin = store
        .create_user(
            &sys,
            user("a-admin", AccessRole::MemberAdmin, Some(&members[0])),
        )
        .await
        .unwrap();
    let b_user = store
        .create_user(
            &sys,
            user("b-user", AccessRole::MemberUser, Some(&members[1])),
        )
        .await
        .unwrap();
    let auditor = store
        .create_user(&sys, user("auditor", AccessRole::Auditor, None))
        .await
        .unwrap();
    let mut robot = user("a-robot", AccessRole::Robot, Some(&members[0]));
    robot.password_hash = String::new();
    let a_robot = store.create_user(&sys, robot).await.unwrap();
    let project = store
        .create_project(
            &sys,
            ProjectInput {
                name: "Fælleskommunal infrastruktur".into(),
                description: String::new(),
            },
        )
        .await
        .unwrap();
    store
        .set_project_staff(&sys, project.id, staff.id, true)
        .await
        .unwrap();
    // A project the staff user is not assigned to.
    let other_project = store
        .create_project(
            &sys,
            ProjectInput {
                name: "Andet projekt".into(),
                description: String::new(),
            },
        )
        .await
        .unwrap();
    Fixtures {
        members,
        central_admin,
        staff,
        a_user,
        a_admin,
        b_user,
        auditor,
        a_robot,
        project,
        other_project,
    }
}
