//! The administration pages: users, robots and their tokens, the audit log
//! and project staff. Every test runs on SQLite and, with
//! `UDRUL_TEST_PG_URL`, on PostgreSQL.

mod common;

use axum::http::StatusCode;
use common::{Browser, Resp, TestApp};
use serde_json::json;
use udrul_core::access::{AccessRole, Permission, Permissions};
use udrul_core::store::{AuditFilter, NewRobotToken, NewUser};
use udrul_core::{Actor, AuditEvent, TaskState, User, UserId};

// ------------------------------------------------------------------ helpers

async fn user(app: &TestApp, id: UserId) -> User {
    app.store.get_user(id).await.unwrap().unwrap()
}

async fn audit_by(app: &TestApp, actor: UserId) -> Vec<AuditEvent> {
    app.store
        .search_audit(&AuditFilter {
            actor: Some(actor),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
}

/// The robot token secret on a page, if one is shown.
fn secret_in(html: &str) -> Option<String> {
    let i = html.find("value=\"udrul_robot_")?;
    let rest = &html[i + "value=\"".len()..];
    Some(rest[..rest.find('"')?].to_string())
}

async fn user_count(app: &TestApp) -> usize {
    app.store.list_users(None).await.unwrap().len()
}

async fn token_count(app: &TestApp) -> usize {
    app.store.list_robot_tokens(None).await.unwrap().len()
}

/// A robot of member B with a live token, made by the system.
async fn b_robot_with_token(app: &TestApp) -> (User, i64) {
    let sys = Actor::system();
    let robot = app
        .store
        .create_user(
            &sys,
            NewUser {
                username: "robot-b-1".into(),
                display_name: "Robot B".into(),
                email: String::new(),
                password_hash: String::new(),
                role: AccessRole::Robot,
                member_id: Some(app.fx.members[1].id),
            },
        )
        .await
        .unwrap();
    let t = app
        .store
        .create_robot_token(
            &sys,
            &udrul::auth::hash_secret("udrul_robot_b"),
            NewRobotToken {
                user_id: robot.id,
                name: "B".into(),
                permissions: Permissions::of(&[Permission::InstancesRead]),
                expires_at: chrono::Utc::now() + chrono::Duration::days(10),
            },
        )
        .await
        .unwrap();
    (robot, t.id)
}

/// A 403 from the access check, not from a stale CSRF token.
fn assert_forbidden(res: &Resp, what: &str) {
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{what}");
    assert!(
        !res.text().contains("Formularen var udløbet"),
        "{what}: refused for its CSRF token, not by the access check"
    );
}

/// Logs in and opens a page, so that the browser holds the session's CSRF
/// token (central users' `/` is a redirect without one).
async fn login_at<'a>(app: &'a TestApp, username: &str, path: &str) -> Browser<'a> {
    let mut b = app.login(username).await;
    let res = b.get(path).await;
    assert_eq!(res.status, StatusCode::OK, "{username} GET {path}");
    b
}

async fn post_token(b: &mut Browser<'_>, robot: UserId, fields: &[(&str, &str)]) -> Resp {
    b.post(&format!("/admin/users/{robot}/tokens"), fields)
        .await
}

// ------------------------------------------------------------------ user list

async fn member_admin_lists_own_users_audited(app: TestApp) {
    let mut b = app.login("a-admin").await;
    let res = b.get("/admin/users").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let html = res.text();
    for own in ["a-user", "a-admin", "a-robot"] {
        assert!(html.contains(&format!(">{own}</td>")), "{own} missing");
    }
    for other in ["b-user", "admin", "staff", "auditor"] {
        assert!(!html.contains(&format!(">{other}</td>")), "{other} shown");
    }
    // The robot is marked as one.
    assert!(html.contains("class=\"tag robot\""));
    // The navigation offers the page; not the audit log.
    assert!(html.contains("href=\"/admin/users\""));
    assert!(!html.contains("href=\"/audit\""));
    // The read is in the audit log, for member A.
    let reads: Vec<_> = audit_by(&app, app.fx.a_admin.id)
        .await
        .into_iter()
        .filter(|e| e.action == "user.list")
        .collect();
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].object_type, "user");
    assert_eq!(reads[0].member_id, Some(app.fx.members[0].id));

    // A central administrator sees everyone.
    let mut admin = app.login("admin").await;
    let html = admin.get("/admin/users").await.text();
    for u in ["a-user", "b-user", "staff", "auditor", "a-robot"] {
        assert!(html.contains(&format!(">{u}</td>")), "{u} missing");
    }
    let reads: Vec<_> = audit_by(&app, app.fx.central_admin.id)
        .await
        .into_iter()
        .filter(|e| e.action == "user.list")
        .collect();
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].member_id, None);
}
each_backend!(
    member_admin_lists_own_users,
    member_admin_lists_own_users_audited
);

// ------------------------------------------------------------------ robots and tokens

async fn robot_token_lifecycle(app: TestApp) {
    let mut b = app.login("a-admin").await;
    assert_eq!(b.get("/admin/robots").await.status, StatusCode::OK);
    let res = b
        .post(
            "/admin/robots",
            &[("display_name", "Statusrobot (RPA), Økonomi")],
        )
        .await;
    res.assert_redirect("/admin/users/");
    let id: i64 = res
        .location()
        .trim_start_matches("/admin/users/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let robot = user(&app, UserId(id)).await;
    assert_eq!(robot.role, AccessRole::Robot);
    assert_eq!(robot.member_id, Some(app.fx.members[0].id));
    assert_eq!(robot.username, "robot-851-1");
    let page = b.get(&res.location()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("class=\"tag robot\""));
    assert!(page.text().contains("Robotten er oprettet"));
    // A robot cannot log in with a password (it has none).
    let mut anon = app.browser();
    anon.get("/login").await;
    let login = anon
        .post(
            "/login",
            &[("username", "robot-851-1"), ("password", ""), ("next", "/")],
        )
        .await;
    assert_ne!(login.status, StatusCode::SEE_OTHER);

    // A read-only token: the secret is on the response page, once.
    let res = post_token(
        &mut b,
        robot.id,
        &[
            ("name", "Status fra Økonomi"),
            ("permissions", "instances:read"),
            ("expires", ""),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert!(res.header("location").is_none());
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let secret = secret_in(&res.text()).expect("secret shown");
    assert!(res.text().contains("bliver ikke vist igen"));
    let again = b.get(&format!("/admin/users/{}", robot.id)).await.text();
    assert!(secret_in(&again).is_none(), "the secret is shown only once");
    assert!(!again.contains(&secret));
    assert!(again.contains("Status fra Økonomi"));
    // Not stored, not logged.
    let tokens = app
        .store
        .list_robot_tokens(Some(app.fx.members[0].id))
        .await
        .unwrap();
    assert_eq!(tokens.len(), 1);
    let token = &tokens[0];
    assert_eq!(
        token.permissions,
        Permissions::of(&[Permission::InstancesRead])
    );
    let days = (token.expires_at - chrono::Utc::now()).num_days();
    assert!((89..=91).contains(&days), "{days} days");
    for e in audit_by(&app, app.fx.a_admin.id).await {
        for text in [&e.before, &e.after].into_iter().flatten() {
            assert!(!text.contains(&secret));
        }
    }

    // It works against the API, for reading only.
    let task = app.published("ADM 1").await;
    let mine = app.instance_of(task.id, 0).await;
    let res = app
        .api("GET", "/api/v1/instances", Some(&secret), None)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let res = app
        .api(
            "PATCH",
            &format!("/api/v1/instances/{}", mine.id),
            Some(&secret),
            Some(json!({"status": "fuldfoert"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text());

    // Revoking ends it at once.
    let res = b
        .post(&format!("/admin/tokens/{}/revoke", token.id), &[])
        .await;
    res.assert_redirect(&format!("/admin/users/{}", robot.id));
    let page = b.get(&res.location()).await.text();
    assert!(page.contains("Nøglen er tilbagekaldt"));
    let res = app
        .api("GET", "/api/v1/instances", Some(&secret), None)
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    // Revoking twice is fine.
    let res = b
        .post(&format!("/admin/tokens/{}/revoke", token.id), &[])
        .await;
    res.assert_redirect("/admin/users/");

    // A writing token writes.
    let res = post_token(
        &mut b,
        robot.id,
        &[
            ("name", "Skriver"),
            ("permissions", "instances:read"),
            ("permissions", "instances:write"),
            (
                "expires",
                &(udrul_core::calendar::today() + chrono::Duration::days(10)).to_string(),
            ),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let writer = secret_in(&res.text()).unwrap();
    let res = app
        .api(
            "PATCH",
            &format!("/api/v1/instances/{}", mine.id),
            Some(&writer),
            Some(json!({"status": "paabegyndt"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    // And the audit log names the robot with its token.
    let mut admin = app.login("admin").await;
    let log = admin
        .get(&format!("/audit?actor={}", robot.id))
        .await
        .text();
    assert!(log.contains("instance.update"), "{log}");
    assert!(log.contains("nøgle "));
}
each_backend!(robots_and_tokens, robot_token_lifecycle);

async fn member_admin_stays_in_own_member(app: TestApp) {
    let (b_robot, b_token) = b_robot_with_token(&app).await;
    let mut b = app.login("a-admin").await;
    // Another member's users and the central accounts do not exist.
    for u in [app.fx.b_user.id, b_robot.id, app.fx.central_admin.id] {
        let path = format!("/admin/users/{u}");
        assert_eq!(b.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
        let res = b
            .post(&path, &[("role", "member_user"), ("active", "1")])
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "POST {path}");
    }
    let res = post_token(
        &mut b,
        b_robot.id,
        &[("name", "x"), ("permissions", "instances:read")],
    )
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = b
        .post(&format!("/admin/tokens/{b_token}/revoke"), &[])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let t = app
        .store
        .list_robot_tokens(Some(app.fx.members[1].id))
        .await
        .unwrap();
    assert!(t[0].revoked_at.is_none(), "B's token still live");
    assert_eq!(user(&app, app.fx.b_user.id).await, app.fx.b_user);

    // No central roles for their own users, and nothing changes.
    for role in ["central_admin", "central_staff", "auditor"] {
        let res = b
            .post(
                &format!("/admin/users/{}", app.fx.a_user.id),
                &[("role", role), ("active", "1")],
            )
            .await;
        assert_forbidden(&res, role);
    }
    // Nor move them to another member (the member field is ignored).
    let res = b
        .post(
            &format!("/admin/users/{}", app.fx.a_user.id),
            &[
                ("role", "member_admin"),
                ("member_id", &app.fx.members[1].id.to_string()),
                ("active", "1"),
            ],
        )
        .await;
    res.assert_redirect(&format!("/admin/users/{}", app.fx.a_user.id));
    let a_user = user(&app, app.fx.a_user.id).await;
    assert_eq!(a_user.role, AccessRole::MemberAdmin);
    assert_eq!(a_user.member_id, Some(app.fx.members[0].id));
    // A robot for another member: the member field is ignored too.
    let res = b
        .post(
            "/admin/robots",
            &[
                ("display_name", "Robot"),
                ("member_id", &app.fx.members[1].id.to_string()),
            ],
        )
        .await;
    res.assert_redirect("/admin/users/");
    let robots: Vec<_> = app
        .store
        .list_users(Some(app.fx.members[1].id))
        .await
        .unwrap()
        .into_iter()
        .filter(|u| u.role == AccessRole::Robot)
        .collect();
    assert_eq!(robots.len(), 1, "only the robot made by the system");
}
each_backend!(
    member_admin_own_member_only,
    member_admin_stays_in_own_member
);

// ------------------------------------------------------------------ access changes

async fn central_admin_changes_access(app: TestApp) {
    let mut victim = app.login("b-user").await;
    assert_eq!(victim.get("/").await.status, StatusCode::OK);
    let mut admin = app.login("admin").await;
    let path = format!("/admin/users/{}", app.fx.b_user.id);
    let page = admin.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("name=\"member_id\""));
    let b = app.fx.members[1].id.to_string();
    let res = admin
        .post(
            &path,
            &[("role", "member_admin"), ("member_id", &b), ("active", "1")],
        )
        .await;
    res.assert_redirect(&format!("{path}?saved=1"));
    assert!(
        admin
            .get(&res.location())
            .await
            .text()
            .contains("Adgangen er gemt.")
    );
    assert_eq!(
        user(&app, app.fx.b_user.id).await.role,
        AccessRole::MemberAdmin
    );
    // The same values again change nothing: no audit entry at all, and the
    // page says so.
    let all_before = app
        .store
        .search_audit(&AuditFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .len();
    let res = admin
        .post(
            &path,
            &[("role", "member_admin"), ("member_id", &b), ("active", "1")],
        )
        .await;
    res.assert_redirect(&format!("{path}?unchanged=1"));
    let all_after = app
        .store
        .search_audit(&AuditFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .len();
    assert_eq!(
        all_after, all_before,
        "a change of nothing wrote an audit entry"
    );
    assert!(
        admin
            .get(&res.location())
            .await
            .text()
            .contains("Ingen ændringer")
    );
    // Still logged in after a role change.
    assert_eq!(victim.get("/").await.status, StatusCode::OK);
    // A central role with a member is a form error; nothing changes.
    let res = admin
        .post(
            &path,
            &[
                ("role", "central_staff"),
                ("member_id", &b),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().contains("error-summary"));
    assert_eq!(
        user(&app, app.fx.b_user.id).await.role,
        AccessRole::MemberAdmin
    );
    // Deactivating ends the session at once.
    let res = admin
        .post(&path, &[("role", "member_admin"), ("member_id", &b)])
        .await;
    res.assert_redirect(&path);
    assert!(!user(&app, app.fx.b_user.id).await.active);
    let res = victim.get("/").await;
    res.assert_redirect("/login");
    // The change is audited with before and after.
    let changes: Vec<_> = audit_by(&app, app.fx.central_admin.id)
        .await
        .into_iter()
        .filter(|e| e.action == "user.access")
        .collect();
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0].person_id, Some(app.fx.b_user.id));
    assert!(changes[0].before.is_some() && changes[0].after.is_some());
}
each_backend!(central_admin_access, central_admin_changes_access);

/// The audit page names who did it and what it was done to (a task by its
/// code and title, a user by name), never "task #45", and tells the time as
/// people write it in Copenhagen (issue 11).
async fn the_audit_page_speaks_in_names(app: TestApp) {
    let t = app.draft("AUD 1").await;
    let mut admin = app.login("admin").await;
    let path = format!("/admin/users/{}", app.fx.b_user.id);
    admin.get(&path).await;
    let b = app.fx.members[1].id.to_string();
    admin
        .post(
            &path,
            &[("role", "member_admin"), ("member_id", &b), ("active", "1")],
        )
        .await
        .assert_redirect(&format!("{path}?saved=1"));
    let mut auditor = app.login("auditor").await;
    let html = auditor.get("/audit").await.text();
    assert!(html.contains("Opgave: AUD 1 Opgave AUD 1"), "{html}");
    assert!(html.contains("Bruger: Test b-user (b-user)"), "{html}");
    assert!(html.contains("Test staff"), "the actor by name: {html}");
    for raw in [
        format!("task #{}", t.id),
        format!("user #{}", app.fx.b_user.id),
    ] {
        assert!(!html.contains(&raw), "{raw} in {html}");
    }
    // "4. december 2026 kl. 14.05", not "2026-12-04 14:05:00".
    let when = udrul::i18n::Tr::new(udrul::i18n::Lang::Da).datetime(chrono::Utc::now());
    let day = &when[..when.find(" kl. ").expect("kl.")];
    assert!(html.contains(day), "{day} in {html}");
    assert!(html.contains(" kl. "));
    assert!(
        !html.contains(&format!(">{}", chrono::Utc::now().format("%Y-%m-%d"))),
        "no ISO dates shown"
    );
}
each_backend!(audit_page_names, the_audit_page_speaks_in_names);

// ------------------------------------------------------------------ bad input

async fn bad_input_shows_errors_and_changes_nothing(app: TestApp) {
    let mut b = app.login("a-admin").await;
    let before = user(&app, app.fx.a_user.id).await;
    let res = b
        .post(
            &format!("/admin/users/{}", app.fx.a_user.id),
            &[("role", "root"), ("active", "1")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text();
    assert!(html.contains("class=\"error-summary\""));
    assert!(html.contains("href=\"#role\""));
    assert!(html.contains("aria-invalid=\"true\""));
    assert_eq!(user(&app, app.fx.a_user.id).await, before);

    let robot = app.fx.a_robot.id;
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[("name", ""), ("permissions", "instances:read")],
            "href=\"#name\"",
        ),
        (&[("name", "RPA")], "href=\"#permissions\""),
        (
            &[
                ("name", "RPA"),
                ("permissions", "instances:read"),
                ("expires", "2020-01-01"),
            ],
            "href=\"#expires\"",
        ),
        (
            &[("name", "RPA"), ("permissions", "instances:delete")],
            "href=\"#permissions\"",
        ),
    ];
    for (fields, link) in cases {
        let res = post_token(&mut b, robot, fields).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        let html = res.text();
        assert!(html.contains(link), "{fields:?}: {link}");
        assert!(secret_in(&html).is_none());
    }
    let far = (udrul_core::calendar::today() + chrono::Duration::days(400)).to_string();
    let res = post_token(
        &mut b,
        robot,
        &[
            ("name", "RPA"),
            ("permissions", "instances:read"),
            ("expires", &far),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().contains("365"));
    assert_eq!(token_count(&app).await, 0);
    // A token for a person who is not a robot.
    let res = post_token(
        &mut b,
        app.fx.a_user.id,
        &[("name", "RPA"), ("permissions", "instances:read")],
    )
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(token_count(&app).await, 0);

    // Robots: a name is needed, a given username must say "robot-", and a
    // taken one is refused.
    let users = user_count(&app).await;
    for (fields, link) in [
        (vec![("display_name", " ")], "href=\"#display_name\""),
        (
            vec![("display_name", "Robot"), ("username", "anna")],
            "href=\"#username\"",
        ),
        (
            vec![("display_name", "Robot"), ("username", "robot-")],
            "href=\"#username\"",
        ),
    ] {
        let res = b.post("/admin/robots", &fields).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(res.text().contains(link), "{fields:?}");
    }
    // A robot named after another member (København, 101) or after no
    // member is refused, with a message that says why (issue 11).
    for name in ["robot-101-x", "robot-x", "robot-851-", "robot-8510-x"] {
        let res = b
            .post(
                "/admin/robots",
                &[("display_name", "Robot"), ("username", name)],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(
            res.text().contains("robottens eget medlems kode"),
            "{name}: {}",
            res.text()
        );
    }
    assert_eq!(user_count(&app).await, users);
    let res = b
        .post(
            "/admin/robots",
            &[("display_name", "Robot"), ("username", "robot-851-x")],
        )
        .await;
    res.assert_redirect("/admin/users/");
    let res = b
        .post(
            "/admin/robots",
            &[("display_name", "Robot 2"), ("username", "robot-851-x")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().contains("brugernavnet er allerede i brug"));
    assert_eq!(user_count(&app).await, users + 1);

    // A central administrator must choose the robot's member.
    let mut admin = login_at(&app, "admin", "/admin/robots").await;
    let res = admin.post("/admin/robots", &[("display_name", "R")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().contains("href=\"#member_id\""));
    // The audit search refuses nonsense politely.
    let res = admin.get("/audit?actor=nobody-at-all&object_id=x").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().contains("href=\"#actor\""));
    assert!(res.text().contains("href=\"#object_id\""));
    assert_eq!(user_count(&app).await, users + 1);
}
each_backend!(
    bad_input_changes_nothing,
    bad_input_shows_errors_and_changes_nothing
);

// ------------------------------------------------------------------ audit log

async fn auditor_reads_audit_and_writes_nothing(app: TestApp) {
    let (_, b_token) = b_robot_with_token(&app).await;
    let mut b = app.login("auditor").await;
    let res = b.get("/audit").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let html = res.text();
    assert!(html.contains("robot_token.create"));
    assert!(html.contains("user.create"));
    assert!(html.contains("<th scope=\"col\">"));
    // Searches by username, member, object and person.
    let res = b.get("/audit?actor=a-admin").await;
    assert_eq!(res.status, StatusCode::OK);
    let res = b
        .get(&format!(
            "/audit?member={}&object_type=robot_token&object_id={b_token}",
            app.fx.members[1].id
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.text().contains("robot_token.create"));
    assert!(!res.text().contains("user.create"));
    let res = b.get(&format!("/audit?person={}", app.fx.a_user.id)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.text().contains("user.create"));
    // Paging back.
    let first = app
        .store
        .search_audit(&AuditFilter {
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    let res = b.get(&format!("/audit?before_id={}", first[0].id)).await;
    assert_eq!(res.status, StatusCode::OK);
    // The export.
    let res = b
        .get(&format!(
            "/audit/export.csv?member={}",
            app.fx.members[1].id
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.header("content-type").unwrap().starts_with("text/csv"));
    assert!(
        res.header("content-disposition")
            .unwrap()
            .contains("attachment")
    );
    let csv = res.text();
    assert!(csv.contains("robot_token.create"));
    assert!(csv.starts_with('\u{feff}'));
    // Each read is itself recorded.
    let mine = audit_by(&app, app.fx.auditor.id).await;
    let reads = mine.iter().filter(|e| e.action == "audit.read").count();
    assert_eq!(reads, 5);
    let export = mine.iter().find(|e| e.action == "audit.export").unwrap();
    assert_eq!(export.member_id, Some(app.fx.members[1].id));

    // Nothing to manage, nothing to write.
    assert_eq!(b.get("/admin/users").await.status, StatusCode::FORBIDDEN);
    let users = user_count(&app).await;
    for (path, fields) in [
        ("/admin/robots".to_string(), vec![("display_name", "R")]),
        (
            format!("/admin/users/{}", app.fx.a_user.id),
            vec![("role", "member_admin"), ("active", "1")],
        ),
        (
            format!("/admin/users/{}/tokens", app.fx.a_robot.id),
            vec![("name", "x"), ("permissions", "instances:read")],
        ),
        (format!("/admin/tokens/{b_token}/revoke"), vec![]),
        (
            format!("/projects/{}/staff", app.fx.other_project.id),
            vec![("user_id", "2"), ("action", "add")],
        ),
    ] {
        let res = b.post(&path, &fields).await;
        assert_forbidden(&res, &format!("POST {path}"));
    }
    assert_eq!(user_count(&app).await, users);
    assert_eq!(user(&app, app.fx.a_user.id).await, app.fx.a_user);
    assert_eq!(token_count(&app).await, 1);
    // The staff page is readable, without its forms.
    let res = b
        .get(&format!("/projects/{}/staff", app.fx.project.id))
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.text().contains("Test staff"));
    assert!(!res.text().contains("value=\"remove\""));
}
each_backend!(auditor_audit_only, auditor_reads_audit_and_writes_nothing);

async fn member_user_gets_403_on_admin_and_audit(app: TestApp) {
    let mut b = app.login("a-user").await;
    let home = b.get("/").await.text();
    assert!(!home.contains("href=\"/admin/users\""));
    assert!(!home.contains("href=\"/audit\""));
    for path in [
        "/audit".to_string(),
        "/audit/export.csv".to_string(),
        "/admin/users".to_string(),
        "/admin/robots".to_string(),
        format!("/admin/users/{}", app.fx.a_user.id),
        format!("/admin/users/{}", app.fx.a_robot.id),
    ] {
        assert_eq!(b.get(&path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    for path in [
        "/admin/robots".to_string(),
        format!("/admin/users/{}", app.fx.a_user.id),
        format!("/admin/users/{}/tokens", app.fx.a_robot.id),
        "/admin/tokens/1/revoke".to_string(),
    ] {
        let res = b.post(&path, &[("name", "x"), ("display_name", "x")]).await;
        assert_forbidden(&res, &format!("POST {path}"));
    }
    // Central staff neither.
    let mut s = app.login("staff").await;
    assert_eq!(s.get("/admin/users").await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.get("/audit").await.status, StatusCode::FORBIDDEN);
}
each_backend!(member_user_refused, member_user_gets_403_on_admin_and_audit);

// ------------------------------------------------------------------ project staff

async fn staff_assignment(app: TestApp) {
    let other = app.fx.other_project.id;
    let d_other = {
        let sys = Actor::system();
        let a = app.draft_in(other, &sys, "OTH 1").await;
        let b = app.draft_in(other, &sys, "OTH 2").await;
        (a, b)
    };
    let d_own = app.draft("OWN 1").await;
    let mut staff = login_at(&app, "staff", "/tasks").await;
    // Not on the other project yet: refused.
    let res = staff
        .post(&format!("/tasks/{}/withdraw", d_other.0.id), &[])
        .await;
    assert_forbidden(&res, "withdraw before assignment");
    // Staff see the list, without forms.
    let res = staff.get(&format!("/projects/{other}/staff")).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(!res.text().contains("name=\"action\""));
    let res = staff
        .post(
            &format!("/projects/{other}/staff"),
            &[("user_id", &app.fx.staff.id.to_string()), ("action", "add")],
        )
        .await;
    assert_forbidden(&res, "staff assigning");

    let mut admin = login_at(&app, "admin", "/projects").await;
    let list = admin.get("/projects").await.text();
    assert!(list.contains(&format!("href=\"/projects/{other}/staff\"")));
    let page = admin.get(&format!("/projects/{other}/staff")).await;
    assert!(page.text().contains("Test staff"), "offered for assignment");
    let res = admin
        .post(
            &format!("/projects/{other}/staff"),
            &[("user_id", &app.fx.staff.id.to_string()), ("action", "add")],
        )
        .await;
    res.assert_redirect(&format!("/projects/{other}/staff?added=1"));
    let on = app.store.project_staff(other).await.unwrap();
    assert_eq!(on.len(), 1);
    assert_eq!(on[0].id, app.fx.staff.id);
    // Now staff may change its tasks.
    let res = staff
        .post(&format!("/tasks/{}/withdraw", d_other.0.id), &[])
        .await;
    res.assert_redirect(&format!("/tasks/{}", d_other.0.id));
    // Someone who is not central staff cannot be assigned.
    let res = admin
        .post(
            &format!("/projects/{other}/staff"),
            &[
                ("user_id", &app.fx.a_user.id.to_string()),
                ("action", "add"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().contains("error-summary"));
    assert_eq!(app.store.project_staff(other).await.unwrap().len(), 1);
    // Unassigning from both projects takes the right away.
    for p in [other, app.fx.project.id] {
        let res = admin
            .post(
                &format!("/projects/{p}/staff"),
                &[
                    ("user_id", &app.fx.staff.id.to_string()),
                    ("action", "remove"),
                ],
            )
            .await;
        res.assert_redirect(&format!("/projects/{p}/staff?removed=1"));
    }
    for t in [d_other.1.id, d_own.id] {
        let res = staff.post(&format!("/tasks/{t}/withdraw"), &[]).await;
        assert_forbidden(&res, &format!("task {t}"));
        assert_eq!(
            app.store.get_task(t).await.unwrap().unwrap().state,
            TaskState::Draft
        );
    }
    // An unknown project is 404.
    assert_eq!(
        admin.get("/projects/999999/staff").await.status,
        StatusCode::NOT_FOUND
    );
}
each_backend!(project_staff_assignment, staff_assignment);
