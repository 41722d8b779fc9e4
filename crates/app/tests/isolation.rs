//! The tenant-isolation matrix: every route of the app, taken from the same
//! lists the router is built from (`udrul::server::route_table`), × every
//! member role and anonymous, aimed at objects the caller may not touch.
//! A member must get 403 or 404 everywhere except on the few routes that
//! are theirs by design (listed below, each with the reason); anonymous
//! gets nothing but the public routes. A new route is covered without
//! anyone remembering to add it, and a new kind of path parameter fails
//! the test until the test knows what object it names.

mod common;

use axum::http::StatusCode;
use common::{Resp, TestApp};
use udrul_core::Scope;

/// Routes a member's people use without naming another member's object.
/// (method, path) as in the route table.
const MEMBER_ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),                               // their own home page
    ("GET", "/login"),                          // redirects a logged-in user home
    ("GET", "/login/oidc/{provider}"),          // logging in again through a provider
    ("GET", "/login/oidc/{provider}/callback"), //
    ("GET", "/login/saml/metadata"),            // public metadata
    ("GET", "/login/saml/{provider}"),          // logging in again through SAML
    ("POST", "/login/saml/acs"),                // (refused without a signed answer)
    ("POST", "/login"),                         // logging in again
    ("POST", "/logout"),                        // (skipped in the walk: it ends the session)
    ("GET", "/language"),                       // their language cookie
    ("GET", "/healthz"),                        // probes
    ("GET", "/readyz"),                         //
    ("GET", "/static/app.css"),                 // the style sheet
    ("GET", "/static/favicon.svg"),             // the icon
    ("GET", "/favicon.ico"),                    //
    ("GET", "/api/docs"),                       // redirect to the API docs
    ("POST", "/api/v1/auth/token"),             // a token for themselves
    ("DELETE", "/api/v1/auth/token"),           // revoking their own token
    ("GET", "/api/v1/me"),                      // who they are
    ("GET", "/api/v1/members"),                 // the public list of members (no people)
    ("GET", "/api/v1/instances"),               // their own instances (scoped, tested below)
    ("GET", "/api/v1/openapi.json"),            // the API's documentation
    ("GET", "/api/v1/docs"),                    //
];

/// Routes a member's administrator (not its users) uses by design: the list
/// and the robot form name no object (the member comes from the session,
/// never the form). The routes that name a user or token (`/admin/users/{id}`,
/// `.../tokens`, `/admin/tokens/{id}/revoke`) are walked with member B's user
/// and token and must answer 404.
const MEMBER_ADMIN_ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin/users"),   // their own member's users (scoped, audited)
    ("GET", "/admin/robots"),  // the form for a robot of their own member
    ("POST", "/admin/robots"), // creating a robot of their own member
    // Issue 11: a new user of their own member (the member comes from the
    // session; `member_admins_create_users_only_in_their_member` below).
    // `/admin/users/{id}/password-link` is walked with B's user: 404.
    ("GET", "/admin/users/new"),
    ("POST", "/admin/users/new"),
];

/// Routes anyone may call without logging in.
const PUBLIC_ROUTES: &[(&str, &str)] = &[
    ("GET", "/login"),
    ("GET", "/login/oidc/{provider}"), // off to an identity provider
    ("GET", "/login/oidc/{provider}/callback"), // back from it (checked by state and token)
    ("GET", "/login/saml/metadata"),   // the SAML service provider's public metadata
    ("GET", "/login/saml/{provider}"), // off to a SAML identity provider
    ("POST", "/login/saml/acs"),       // back from it (checked by signature and request)
    ("GET", "/language"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/static/app.css"),
    ("GET", "/static/favicon.svg"),
    ("GET", "/favicon.ico"),
    ("GET", "/api/docs"),
    ("POST", "/api/v1/auth/token"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/docs"),
];

/// API routes a member's robot uses by design (with a token that has every
/// permission); everything else in the API must refuse it.
const ROBOT_ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/v1/auth/token"),   // (public; a robot has no password)
    ("DELETE", "/api/v1/auth/token"), // ending its own token (walked last)
    ("GET", "/api/v1/me"),            // who it is
    ("GET", "/api/v1/members"),       // the public list of members
    ("GET", "/api/v1/instances"),     // its member's instances (scoped)
    ("GET", "/api/v1/openapi.json"),  // documentation
    ("GET", "/api/v1/docs"),          //
    // SCIM: its member's users and groups (scoped: the lists hold only its
    // own, tested in tests/scim.rs; creating makes them in its member) and
    // the discovery documents. Every route naming a user or group is walked
    // with member B's and must answer 404.
    ("GET", "/scim/v2/ServiceProviderConfig"),
    ("GET", "/scim/v2/ResourceTypes"),
    ("GET", "/scim/v2/Schemas"),
    ("GET", "/scim/v2/Users"),
    ("POST", "/scim/v2/Users"),
    ("GET", "/scim/v2/Groups"),
    ("POST", "/scim/v2/Groups"),
];

/// Writes an auditor may make: only about their own session or token.
const AUDITOR_WRITES: &[(&str, &str)] = &[
    ("POST", "/login"),
    ("POST", "/login/saml/acs"), // logging in (here: 400, nothing signed)
    ("POST", "/logout"),
    ("POST", "/api/v1/auth/token"),
    ("DELETE", "/api/v1/auth/token"),
];

/// Methods tried on a page route (pages only ever route GET and POST;
/// anything else must not succeed either).
const PAGE_METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

struct Targets {
    /// An instance of member B (the caller is member A).
    other_instance: i64,
    task: i64,
    project: i64,
    /// A user of member B (the caller is member A).
    other_user: i64,
    /// A live robot token of member B.
    other_token: i64,
    /// Member B, and a person (provisioned through SCIM, so that only the
    /// member keeps SCIM from it), an org unit, a role holding and a
    /// mailbox of member B.
    other_member: i64,
    other_person: i64,
    other_org_unit: i64,
    other_assignment: i64,
    other_mailbox: i64,
    /// A waiting import of member B's people, and a notice for B's
    /// administrators.
    other_import: i64,
    other_notice: i64,
    /// A role of the catalogue (central pages only).
    role: i64,
}

/// What a request of the walk sends, by the kind of caller.
async fn call(
    app: &TestApp,
    browser: Option<&mut common::Browser<'_>>,
    token: &str,
    method: &str,
    pattern: &str,
    path: &str,
) -> Resp {
    if bearer_route(pattern) {
        return app.api(method, path, Some(token), body_for(method)).await;
    }
    let Some(browser) = browser else {
        // No session: the bearer token must not open a page.
        return app.api(method, path, Some(token), body_for(method)).await;
    };
    match method {
        "GET" => browser.get(path).await,
        "POST" => browser.post(path, &[("status", "fuldfoert")]).await,
        other => {
            let req = axum::http::Request::builder()
                .method(other)
                .uri(path)
                .header("host", "localhost")
                .header("origin", "http://localhost")
                .body(axum::body::Body::empty())
                .unwrap();
            app.send(req).await
        }
    }
}

/// A valid API body for a staff write, per route; a new task route needs
/// one here (else its validation answer fails the walk, on purpose).
fn staff_body(method: &str, pattern: &str, t: &Targets) -> Option<serde_json::Value> {
    use serde_json::json;
    let body = match (method, pattern.rsplit('/').next().unwrap_or("")) {
        ("POST", "projects") => json!({"name": "Nyt projekt", "description": ""}),
        ("PUT", "{id}") => json!({
            "project_id": t.project,
            "code": "X 1",
            "title": "Titel",
            "purpose": "Formål",
            "guidance": "",
            "task_type": "obligatorisk",
            "target_roles": ["Infrastrukturansvarlig"],
            "end_date": "2031-01-01",
        }),
        ("POST", "publish") => json!({"audience": "all"}),
        ("POST", "end-date") => json!({"end_date": "2031-01-01", "reason": "Forsinket"}),
        _ => json!({}),
    };
    is_write(method).then_some(body)
}

/// Routes called with a bearer token (the API and SCIM), not a session.
fn bearer_route(pattern: &str) -> bool {
    pattern.starts_with("/api/v1/") || pattern.starts_with("/scim/v2/")
}

fn is_write(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD")
}

/// The concrete path for a route pattern, with each parameter naming an
/// object the caller may not change.
fn concrete(pattern: &str, t: &Targets) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').expect("closing brace") + open;
        out.push_str(&rest[..open]);
        let before = &out;
        if before.ends_with("/set-password/") {
            // A set-password link is a secret, not an object: a well-formed
            // one nobody was given must open nothing for anyone.
            out.push_str("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
            rest = &rest[close + 1..];
            continue;
        }
        if before.ends_with("/oidc/") || before.ends_with("/saml/") {
            // An identity provider: not an object of anyone's; an unknown one.
            out.push_str("no-such-provider");
            rest = &rest[close + 1..];
            continue;
        }
        let id = if before.ends_with("/instances/") {
            t.other_instance
        } else if before.ends_with("/tasks/") {
            t.task
        } else if before.ends_with("/projects/") {
            t.project
        } else if before.ends_with("/users/") {
            t.other_user
        } else if before.ends_with("/tokens/") {
            t.other_token
        } else if before.ends_with("/members/") {
            t.other_member
        } else if before.ends_with("/people/") || before.ends_with("/scim/v2/Users/") {
            t.other_person
        } else if before.ends_with("/scim/v2/Groups/") {
            t.other_org_unit
        } else if before.ends_with("/assignments/") {
            t.other_assignment
        } else if before.ends_with("/mailboxes/") {
            t.other_mailbox
        } else if before.ends_with("/imports/") {
            t.other_import
        } else if before.ends_with("/notices/") {
            t.other_notice
        } else if before.ends_with("/roles/") {
            t.role
        } else {
            panic!(
                "{pattern}: the isolation test does not know which object {} names; \
                 teach `concrete` (and pick one the caller may not touch)",
                &rest[open..=close]
            )
        };
        out.push_str(&id.to_string());
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Every (method, pattern) pair to try.
fn matrix() -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (path, method) in udrul::server::route_table() {
        match method {
            Some(m) => out.push((m, path)),
            None => {
                for m in PAGE_METHODS {
                    out.push((*m, path.clone()));
                }
            }
        }
    }
    out
}

fn listed(list: &[(&str, &str)], method: &str, pattern: &str) -> bool {
    list.iter().any(|(m, p)| *m == method && *p == pattern)
}

/// A body for a write: a valid status change, so a refusal cannot be a
/// validation error that hides a missing access check.
fn body_for(method: &str) -> Option<serde_json::Value> {
    matches!(method, "POST" | "PUT" | "PATCH").then(|| serde_json::json!({"status": "fuldfoert"}))
}

async fn targets(app: &TestApp) -> Targets {
    let task = app.published("ISO-1").await;
    let other = app.instance_of(task.id, 1).await;
    // A robot of member B with a live token.
    let sys = udrul_core::Actor::system();
    let b_robot = app
        .store
        .create_user(
            &sys,
            udrul_core::store::NewUser {
                username: "robot-iso-b".into(),
                display_name: "Robot B".into(),
                email: String::new(),
                password_hash: String::new(),
                role: udrul_core::AccessRole::Robot,
                member_id: Some(app.fx.members[1].id),
            },
        )
        .await
        .unwrap();
    let day = chrono::Utc::now() + chrono::Duration::days(1);
    let (_, other_token) = app
        .robot_token_for(&sys, b_robot.id, &udrul_core::Permission::ALL, day)
        .await;
    // Member B's gallery: a person holding a role, and a mailbox.
    let b = app.fx.members[1].id;
    let role = app
        .store
        .ensure_role("Infrastrukturansvarlig")
        .await
        .unwrap();
    let unit = app
        .store
        .create_org_unit(
            &sys,
            b,
            udrul_core::gallery::OrgUnitInput::parse("", "Enhed B", None).unwrap(),
        )
        .await
        .unwrap();
    let mut person_b =
        udrul_core::gallery::PersonInput::parse("", "Person B", "b@b.example", "", "", None)
            .unwrap();
    person_b.user_name = Some("person.b@b.example".into());
    person_b.org_unit_id = Some(unit.id);
    let person = app.store.create_person(&sys, b, person_b).await.unwrap();
    let holding = app
        .store
        .assign_role(
            &sys,
            b,
            udrul_core::gallery::AssignmentInput::parse(
                role.id.0,
                person.id.0,
                "2026-01-01",
                "",
                false,
                udrul_core::calendar::today(),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let mailbox = app
        .store
        .create_mailbox(
            &sys,
            b,
            udrul_core::gallery::MailboxInput::parse(None, "Post B", "post@b.example").unwrap(),
        )
        .await
        .unwrap();
    // A waiting import for member B, and a notice: a person who held a
    // role alone left through an import.
    let rows = udrul_core::import::ImportRows::People(vec![udrul_core::import::PersonRow {
        row: 2,
        external_id: "iso-b-1".into(),
        name: "Import B".into(),
        email: String::new(),
        phone: String::new(),
        title: String::new(),
        unit_external_id: None,
        unit_name: None,
    }]);
    let import = app
        .store
        .save_import(
            &sys,
            udrul_core::import::NewImport {
                member_id: b,
                file_name: "b.csv".into(),
                sha256: "0".repeat(64),
                rows,
            },
        )
        .await
        .unwrap();
    let leaver = app
        .store
        .create_person(
            &sys,
            b,
            udrul_core::gallery::PersonInput::parse("iso-b-2", "Leaver B", "", "", "", None)
                .unwrap(),
        )
        .await
        .unwrap();
    let only = app.store.ensure_role("Systemansvarlig").await.unwrap();
    app.store
        .assign_role(
            &sys,
            b,
            udrul_core::gallery::AssignmentInput::parse(
                only.id.0,
                leaver.id.0,
                "2026-01-01",
                "",
                false,
                udrul_core::calendar::today(),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    app.store
        .person_left(
            &sys,
            leaver.id,
            udrul_core::calendar::today(),
            udrul_core::gallery::ChangeSource::Import,
        )
        .await
        .unwrap();
    let notice = app.store.list_notices(b).await.unwrap()[0].id;
    Targets {
        other_import: import.id.0,
        other_notice: notice.0,
        other_instance: other.id.0,
        task: task.id.0,
        project: app.fx.project.id.0,
        other_user: app.fx.b_user.id.0,
        other_token,
        other_member: b.0,
        other_person: person.id.0,
        other_org_unit: unit.id.0,
        other_assignment: holding.id.0,
        other_mailbox: mailbox.id.0,
        role: role.id.0,
    }
}

/// Fails with every line of `failures`, if there are any.
fn assert_none(backend: &str, what: &str, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "[{backend}] {what}:\n{}",
        failures.join("\n")
    );
}

/// Routes naming a member-owned object whose existence must not show:
/// another member's answers 404, not 403, on every method the route has.
/// (Other methods are refused by the CSRF check before routing, with 403
/// whatever the id, so they tell nothing.)
fn must_be_not_found(method: &str, pattern: &str) -> bool {
    pattern.starts_with("/imports/") && matches!(method, "GET" | "POST")
}

fn refused(r: &Resp) -> bool {
    matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)
}

async fn members_get_403_or_404_on_everything_not_theirs(app: TestApp) {
    let t = targets(&app).await;
    let b_instance = udrul_core::InstanceId(t.other_instance);
    let before = app
        .store
        .get_instance(Scope::All, b_instance)
        .await
        .unwrap()
        .unwrap();
    let task_before = app
        .store
        .get_task(udrul_core::TaskId(t.task))
        .await
        .unwrap()
        .unwrap();
    let projects_before = app.store.list_projects().await.unwrap().len();

    let mut failures = Vec::new();
    let mut checked = 0;
    for username in ["a-user", "a-admin"] {
        let mut browser = app.login(username).await;
        let token = app.token(username).await;
        for (method, pattern) in matrix() {
            let admin_route =
                username == "a-admin" && listed(MEMBER_ADMIN_ROUTES, method, &pattern);
            if listed(MEMBER_ROUTES, method, &pattern) || admin_route {
                continue;
            }
            let path = concrete(&pattern, &t);
            let res = if bearer_route(&pattern) {
                app.api(method, &path, Some(&token), body_for(method)).await
            } else {
                match method {
                    "GET" => browser.get(&path).await,
                    "POST" => browser.post(&path, &[("status", "fuldfoert")]).await,
                    other => {
                        let req = axum::http::Request::builder()
                            .method(other)
                            .uri(&path)
                            .header("host", "localhost")
                            .header("origin", "http://localhost")
                            .body(axum::body::Body::empty())
                            .unwrap();
                        app.send(req).await
                    }
                }
            };
            if res.status == StatusCode::METHOD_NOT_ALLOWED {
                continue; // the route has no handler for this method
            }
            checked += 1;
            if !refused(&res)
                || (must_be_not_found(method, &pattern) && res.status != StatusCode::NOT_FOUND)
            {
                failures.push(format!("{username} {method} {path} -> {}", res.status));
            }
        }
    }
    assert_none(app.backend, "routes a member reached", &failures);
    assert!(checked > 40, "only {checked} route checks ran");

    // And nothing changed.
    let after = app
        .store
        .get_instance(Scope::All, b_instance)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.instance.version, before.instance.version);
    assert_eq!(after.instance.status, before.instance.status);
    let task_after = app
        .store
        .get_task(udrul_core::TaskId(t.task))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(task_after.version, task_before.version);
    assert_eq!(task_after.state, task_before.state);
    assert_eq!(
        app.store.list_projects().await.unwrap().len(),
        projects_before
    );
}
each_backend!(
    members_are_refused_elsewhere,
    members_get_403_or_404_on_everything_not_theirs
);

/// Member A's robot, with a token allowing everything robots may do, on
/// every API route that is not a robot's (pages: it has no session, so the
/// token opens none of them either).
async fn robots_get_403_or_404_on_everything_not_theirs(app: TestApp) {
    let t = targets(&app).await;
    let (secret, _) = app.robot_token(&udrul_core::Permission::ALL).await;
    let before = app
        .store
        .get_instance(Scope::All, udrul_core::InstanceId(t.other_instance))
        .await
        .unwrap()
        .unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (method, pattern) in matrix() {
        if listed(ROBOT_ROUTES, method, &pattern) || listed(PUBLIC_ROUTES, method, &pattern) {
            continue;
        }
        let path = concrete(&pattern, &t);
        let res = call(&app, None, &secret, method, &pattern, &path).await;
        if res.status == StatusCode::METHOD_NOT_ALLOWED {
            continue;
        }
        checked += 1;
        let ok = refused(&res)
            || (!bearer_route(&pattern)
                && res.status == StatusCode::SEE_OTHER
                && res
                    .header("location")
                    .is_some_and(|l| l.starts_with("/login")));
        if !ok {
            failures.push(format!("robot {method} {path} -> {}", res.status));
        }
    }
    assert_none(app.backend, "routes a robot reached", &failures);
    assert!(checked > 40, "only {checked} route checks ran");
    let after = app
        .store
        .get_instance(Scope::All, udrul_core::InstanceId(t.other_instance))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.instance.version, before.instance.version);
}
each_backend!(
    robots_are_refused_elsewhere,
    robots_get_403_or_404_on_everything_not_theirs
);

/// The auditor reads everything and writes nothing: every write on every
/// route (but their own login, logout and token) is refused.
async fn auditors_write_nothing_anywhere(app: TestApp) {
    let t = targets(&app).await;
    let task_before = app
        .store
        .get_task(udrul_core::TaskId(t.task))
        .await
        .unwrap();
    let mut browser = app.login("auditor").await;
    let token = app.token("auditor").await;
    let mut failures = Vec::new();
    let mut checked = 0;
    for (method, pattern) in matrix() {
        if !is_write(method) || listed(AUDITOR_WRITES, method, &pattern) {
            continue;
        }
        let path = concrete(&pattern, &t);
        let res = call(&app, Some(&mut browser), &token, method, &pattern, &path).await;
        if res.status == StatusCode::METHOD_NOT_ALLOWED {
            continue;
        }
        checked += 1;
        if !refused(&res) {
            failures.push(format!("auditor {method} {path} -> {}", res.status));
        }
    }
    assert_none(app.backend, "writes an auditor made", &failures);
    assert!(checked > 20, "only {checked} route checks ran");
    assert_eq!(
        app.store
            .get_task(udrul_core::TaskId(t.task))
            .await
            .unwrap(),
        task_before
    );
}
each_backend!(auditors_are_refused_writes, auditors_write_nothing_anywhere);

/// Central project staff change nothing of a project they are not on:
/// every write on every route that names a task, aimed at a task of the
/// other project, and creating projects, is refused.
async fn staff_write_only_their_projects(app: TestApp) {
    let mut t = targets(&app).await;
    // A published task of the project `staff` is not assigned to.
    let sys = udrul_core::Actor::system();
    let other = app
        .draft_in(app.fx.other_project.id, &sys, "ISO-OTHER")
        .await;
    app.store
        .publish_task(&sys, other.id, &udrul_core::input::Audience::All)
        .await
        .unwrap();
    t.task = other.id.0;
    t.project = app.fx.other_project.id.0;
    let before = app.store.get_task(other.id).await.unwrap();
    let mut browser = app.login("staff").await;
    let token = app.token("staff").await;
    let mut failures = Vec::new();
    let mut checked = 0;
    for (method, pattern) in matrix() {
        let names_task = pattern.contains("/tasks/{");
        let makes_project = method == "POST" && pattern.ends_with("/projects");
        if !is_write(method) || !(names_task || makes_project) {
            continue;
        }
        let path = concrete(&pattern, &t);
        let res = if pattern.starts_with("/api/v1/") {
            // A valid body: the refusal must be the access check, not
            // validation (the store checks access after parsing).
            let body = staff_body(method, &pattern, &t).unwrap_or_default();
            let req = axum::http::Request::builder()
                .method(method)
                .uri(&path)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                // Edits need the version they change (any will do here).
                .header("if-match", "\"1\"")
                .body(axum::body::Body::from(body.to_string()))
                .unwrap();
            app.send(req).await
        } else {
            call(&app, Some(&mut browser), &token, method, &pattern, &path).await
        };
        if res.status == StatusCode::METHOD_NOT_ALLOWED {
            continue;
        }
        checked += 1;
        if !refused(&res) {
            failures.push(format!("staff {method} {path} -> {}", res.status));
        }
    }
    assert_none(
        app.backend,
        "writes staff made outside their projects",
        &failures,
    );
    assert!(checked > 8, "only {checked} route checks ran");
    assert_eq!(app.store.get_task(other.id).await.unwrap(), before);
}
each_backend!(
    staff_are_refused_other_projects,
    staff_write_only_their_projects
);

async fn anonymous_reaches_only_public_routes(app: TestApp) {
    let t = targets(&app).await;
    let mut failures = Vec::new();
    for (method, pattern) in matrix() {
        if listed(PUBLIC_ROUTES, method, &pattern) {
            continue;
        }
        let path = concrete(&pattern, &t);
        let res = app.api(method, &path, None, body_for(method)).await;
        let ok = match res.status.as_u16() {
            401 | 403 | 404 | 405 => true,
            // Pages send anonymous visitors to the login page.
            303 => res
                .header("location")
                .is_some_and(|l| l.starts_with("/login")),
            _ => false,
        };
        if !ok {
            failures.push(format!("{method} {path} -> {}", res.status));
        }
    }
    assert_none(app.backend, "routes anonymous reached", &failures);
}
each_backend!(anonymous_only_public, anonymous_reaches_only_public_routes);

/// The routes members may use by design still only show their own member.
async fn member_routes_show_only_their_member(app: TestApp) {
    let t = targets(&app).await;
    let token = app.token("a-user").await;
    let res = app
        .api("GET", "/api/v1/instances?per_page=500", Some(&token), None)
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let a = app.fx.members[0].id.0;
    let items = res.json()["items"].as_array().unwrap().clone();
    assert!(!items.is_empty());
    for i in &items {
        assert_eq!(i["member_id"].as_i64(), Some(a), "{i}");
        assert_ne!(i["id"].as_i64(), Some(t.other_instance));
    }
    // The home page does not link to member B's instance.
    let mut browser = app.login("a-user").await;
    let home = browser.get("/").await.text();
    assert!(!home.contains(&format!("/instances/{}\"", t.other_instance)));
}
each_backend!(member_routes_scoped, member_routes_show_only_their_member);

#[test]
fn the_route_table_is_complete() {
    // Spot checks that each source of routes is in the table.
    let table = udrul::server::route_table();
    let has = |p: &str| table.iter().any(|(path, _)| path == p);
    assert!(has("/instances/{id}"), "pages");
    assert!(has("/tasks/{id}/follow-up.xlsx"), "page sub-lists");
    assert!(has("/healthz"), "service routes");
    assert!(has("/api/v1/instances/{id}"), "API");
    // Every member route named above exists, so the list cannot rot.
    for (m, p) in MEMBER_ROUTES
        .iter()
        .chain(PUBLIC_ROUTES)
        .chain(MEMBER_ADMIN_ROUTES)
        .chain(ROBOT_ROUTES)
        .chain(AUDITOR_WRITES)
    {
        assert!(
            table
                .iter()
                .any(|(path, method)| path == p && method.is_none_or(|x| x == *m)),
            "{m} {p} is not a route any more"
        );
    }
}

/// Issue 11: a member administrator of A creates users only in A, whatever
/// the form names, never central ones, and makes set-password links only
/// for A's users (B's answer 404 and nothing is written).
async fn member_admins_create_users_only_in_their_member(app: TestApp) {
    let mut browser = app.login("a-admin").await;
    let b = app.fx.members[1].id.0.to_string();
    let res = browser
        .post(
            "/admin/users/new",
            &[
                ("username", "iso.ny"),
                ("display_name", "Iso Ny"),
                ("email", "iso@a.example"),
                ("role", "member_admin"),
                ("member_id", &b),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let made = app
        .store
        .user_by_username("iso.ny")
        .await
        .unwrap()
        .unwrap()
        .user;
    assert_eq!(made.member_id, Some(app.fx.members[0].id));
    let res = browser
        .post(
            "/admin/users/new",
            &[
                ("username", "iso.central"),
                ("display_name", "Iso Central"),
                ("email", "iso@c.example"),
                ("role", "central_admin"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        app.store
            .user_by_username("iso.central")
            .await
            .unwrap()
            .is_none()
    );
    let before = app
        .store
        .search_audit(&udrul_core::store::AuditFilter {
            person: Some(app.fx.b_user.id),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .len();
    let res = browser
        .post(
            &format!("/admin/users/{}/password-link", app.fx.b_user.id.0),
            &[],
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let after = app
        .store
        .search_audit(&udrul_core::store::AuditFilter {
            person: Some(app.fx.b_user.id),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .len();
    assert_eq!(after, before);
    // B's users are not in A's list, whatever the search asks.
    let html = browser
        .get(&format!("/admin/users?member={b}&q=b-user"))
        .await
        .text();
    assert!(!html.contains("Test b-user"), "{html}");
}
each_backend!(
    member_admin_accounts_stay_in_member,
    member_admins_create_users_only_in_their_member
);
