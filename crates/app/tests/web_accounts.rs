//! Accounts made in the interface (issue 11): creating users, set-password
//! links (made, used once, replaced, expired), and the search of the user
//! list. Every test runs on SQLite and, with `UDRUL_TEST_PG_URL`, on
//! PostgreSQL.

mod common;

use axum::http::StatusCode;
use common::{Browser, Resp, TestApp};
use udrul_core::store::{AuditFilter, NewPasswordLink, NewUser};
use udrul_core::{AccessRole, Actor, AuditEvent, User, UserId};

const NEW_PASSWORD: &str = "en ny og lang adgangssætning";

async fn user_count(app: &TestApp) -> usize {
    app.store.list_users(None).await.unwrap().len()
}

async fn by_username(app: &TestApp, name: &str) -> Option<User> {
    app.store
        .user_by_username(name)
        .await
        .unwrap()
        .map(|u| u.user)
}

async fn audit_of(app: &TestApp, person: UserId) -> Vec<AuditEvent> {
    app.store
        .search_audit(&AuditFilter {
            person: Some(person),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
}

/// The set-password path shown on a link page.
fn link_in(res: &Resp) -> String {
    let html = res.text();
    let i = html
        .find("/set-password/")
        .unwrap_or_else(|| panic!("no link on the page: {html}"));
    let rest = &html[i..];
    rest[..rest.find('"').unwrap()].to_string()
}

async fn create(b: &mut Browser<'_>, fields: &[(&str, &str)]) -> Resp {
    b.post("/admin/users/new", fields).await
}

fn form<'a>(username: &'a str, role: &'a str, member: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("username", username),
        ("display_name", "Ny Bruger"),
        ("email", "ny@kommune.example"),
        ("role", role),
        ("member_id", member),
    ]
}

/// A browser that logs in with `password` (not the fixtures' one).
async fn login_with<'a>(app: &'a TestApp, username: &str, password: &str) -> (Browser<'a>, Resp) {
    let mut b = app.browser();
    b.get("/login").await;
    let res = b
        .post(
            "/login",
            &[
                ("username", username),
                ("password", password),
                ("next", "/"),
            ],
        )
        .await;
    (b, res)
}

// ------------------------------------------------------------------ creating

async fn central_admin_creates_users_of_every_role(app: TestApp) {
    let mut admin = app.login("admin").await;
    let page = admin.get("/admin/users/new").await;
    assert_eq!(page.status, StatusCode::OK);
    let b = app.fx.members[1].id.0.to_string();
    for (username, role, member) in [
        ("ny.central", "central_admin", ""),
        ("ny.staff", "central_staff", ""),
        ("ny.revisor", "auditor", ""),
        ("ny.admin", "member_admin", b.as_str()),
        ("NY.Bruger", "member_user", b.as_str()),
    ] {
        let res = create(&mut admin, &form(username, role, member)).await;
        assert_eq!(res.status, StatusCode::OK, "{username}: {}", res.text());
        assert_eq!(res.header("cache-control"), Some("no-store"));
        assert!(link_in(&res).len() > "/set-password/".len() + 40);
        let u = by_username(&app, &username.to_lowercase()).await.unwrap();
        assert_eq!(u.role.as_str(), role);
        assert_eq!(
            u.member_id.map(|m| m.0.to_string()).unwrap_or_default(),
            member
        );
        // Audited by the administrator: the user and the link (no secret).
        let events = audit_of(&app, u.id).await;
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert!(actions.contains(&"user.create"), "{actions:?}");
        assert!(actions.contains(&"user.password_link"), "{actions:?}");
        let secret = link_in(&res)
            .trim_start_matches("/set-password/")
            .to_string();
        for e in &events {
            assert_eq!(e.actor_id, Some(app.fx.central_admin.id));
            assert!(!format!("{:?}{:?}", e.before, e.after).contains(&secret));
        }
        // Nobody can log in as the new user before the link is used.
        let (_, res) = login_with(&app, &u.username, "").await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // The list links to the form.
    assert!(
        admin
            .get("/admin/users")
            .await
            .text()
            .contains("/admin/users/new")
    );
}
each_backend!(
    central_admins_create_users,
    central_admin_creates_users_of_every_role
);

async fn bad_input_is_422_and_creates_nothing(app: TestApp) {
    let mut admin = app.login("admin").await;
    let before = user_count(&app).await;
    let b = app.fx.members[1].id.0.to_string();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("username", ""), ("role", "member_user")], "username"),
        (form("Has Space", "auditor", ""), "username"),
        (form("robot-101-x", "member_user", &b), "username"),
        (form("sso-x", "member_user", &b), "username"),
        (form("a-user", "member_user", &b), "username"), // taken
        (form("ny.bruger", "", &b), "role"),
        (form("ny.bruger", "robot", &b), "role"),
        (form("ny.bruger", "root", &b), "role"),
        (form("ny.bruger", "auditor", &b), "member_id"),
        (form("ny.bruger", "member_user", ""), "member_id"),
        (form("ny.bruger", "member_user", "999999"), "member_id"),
        (
            vec![
                ("username", "ny.bruger"),
                ("display_name", "Ny"),
                ("email", "not an address"),
                ("role", "auditor"),
            ],
            "email",
        ),
        (
            vec![
                ("username", "ny.bruger"),
                ("display_name", " "),
                ("email", "ny@k.example"),
                ("role", "auditor"),
            ],
            "display_name",
        ),
    ];
    for (fields, field) in cases {
        let res = create(&mut admin, &fields).await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{fields:?}: {}",
            res.text()
        );
        let html = res.text();
        assert!(html.contains("error-summary"), "{fields:?}");
        assert!(
            html.contains(&format!("id=\"{field}-error\"")),
            "{fields:?} should flag {field}: {html}"
        );
        assert!(!html.contains("/set-password/"));
    }
    assert_eq!(user_count(&app).await, before);
}
each_backend!(bad_user_input_is_422, bad_input_is_422_and_creates_nothing);

async fn member_admins_create_in_their_own_member_only(app: TestApp) {
    let mut a_admin = app.login("a-admin").await;
    let a = app.fx.members[0].id;
    let b = app.fx.members[1].id.0.to_string();
    let page = a_admin.get("/admin/users/new").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text().contains("value=\"central_admin\""));
    // The member comes from the session, whatever the form says.
    for (username, role) in [("a.ny", "member_user"), ("a.chef", "member_admin")] {
        let res = create(&mut a_admin, &form(username, role, &b)).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        let u = by_username(&app, username).await.unwrap();
        assert_eq!(u.member_id, Some(a));
        assert_eq!(u.role.as_str(), role);
    }
    let before = user_count(&app).await;
    for role in ["central_admin", "central_staff", "auditor", "robot"] {
        let res = create(&mut a_admin, &form("a.boss", role, "")).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{role}");
    }
    assert_eq!(user_count(&app).await, before);
    assert!(by_username(&app, "a.boss").await.is_none());
    // Member users, staff and auditors create nobody.
    for who in ["a-user", "staff", "auditor"] {
        let mut b = app.login(who).await;
        assert_eq!(
            b.get("/admin/users/new").await.status,
            StatusCode::FORBIDDEN
        );
        let res = create(&mut b, &form("x.y", "member_user", "")).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{who}");
    }
    assert_eq!(user_count(&app).await, before);
}
each_backend!(
    member_admins_create_in_own_member,
    member_admins_create_in_their_own_member_only
);

// ------------------------------------------------------------------ links

async fn a_link_sets_the_password_once_and_logs_in(app: TestApp) {
    let mut admin = app.login("admin").await;
    let b = app.fx.members[1].id.0.to_string();
    let res = create(&mut admin, &form("ny.bruger", "member_user", &b)).await;
    let link = link_in(&res);
    let u = by_username(&app, "ny.bruger").await.unwrap();

    let mut visitor = app.browser();
    let page = visitor.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("ny.bruger"));
    assert!(page.text().contains("autocomplete=\"new-password\""));
    // Too short, and two that differ: 422, the link still works.
    for (p1, p2, field) in [
        ("kort", "kort", "password"),
        (NEW_PASSWORD, "noget andet langt nok", "password2"),
    ] {
        let res = visitor
            .post(&link, &[("password", p1), ("password2", p2)])
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains(&format!("id=\"{field}-error\"")));
    }
    let res = visitor
        .post(
            &link,
            &[("password", NEW_PASSWORD), ("password2", NEW_PASSWORD)],
        )
        .await;
    res.assert_redirect("/");
    // Logged in as the new user.
    let home = visitor.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.text().contains("Ny Bruger"));
    // The link is used up.
    let again = app.browser().get(&link).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let mut other = app.browser();
    other.get("/login").await;
    let res = other
        .post(
            &link,
            &[
                ("password", "endnu en lang kode"),
                ("password2", "endnu en lang kode"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    // The password logs in; the audit log has the use, as the user.
    let (_, res) = login_with(&app, "ny.bruger", NEW_PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let events = audit_of(&app, u.id).await;
    let set = events
        .iter()
        .find(|e| e.action == "user.password_set")
        .expect("audited");
    assert_eq!(set.actor_id, Some(u.id));
    assert!(events.iter().any(|e| e.action == "login.password_link"));
}
each_backend!(
    set_password_link_works_once,
    a_link_sets_the_password_once_and_logs_in
);

async fn a_new_link_replaces_the_old_and_ends_sessions(app: TestApp) {
    // b-user is logged in with the fixtures' password.
    let mut old_session = app.login("b-user").await;
    assert_eq!(old_session.get("/").await.status, StatusCode::OK);
    let mut admin = app.login("admin").await;
    let id = app.fx.b_user.id.0;
    let first = link_in(
        &admin
            .post(&format!("/admin/users/{id}/password-link"), &[])
            .await,
    );
    // The user's page offers the reset.
    let page = admin.get(&format!("/admin/users/{id}")).await;
    assert!(
        page.text()
            .contains(&format!("/admin/users/{id}/password-link"))
    );
    let res = admin
        .post(&format!("/admin/users/{id}/password-link"), &[])
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let second = link_in(&res);
    assert_ne!(first, second);
    assert_eq!(
        app.browser().get(&first).await.status,
        StatusCode::NOT_FOUND
    );
    // The old password still works until the new link is used.
    let mut visitor = app.browser();
    assert_eq!(visitor.get(&second).await.status, StatusCode::OK);
    let res = visitor
        .post(
            &second,
            &[("password", NEW_PASSWORD), ("password2", NEW_PASSWORD)],
        )
        .await;
    res.assert_redirect("/");
    // The session made with the old password has ended; the old password
    // no longer logs in, the new one does.
    old_session.get("/").await.assert_redirect("/login");
    let (_, res) = login_with(&app, "b-user", common::PASSWORD).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, res) = login_with(&app, "b-user", NEW_PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    // Robots get no link.
    let robot = app.fx.a_robot.id.0;
    let res = admin
        .post(&format!("/admin/users/{robot}/password-link"), &[])
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
}
each_backend!(
    reset_link_replaces_old_link,
    a_new_link_replaces_the_old_and_ends_sessions
);

async fn dead_links_all_get_the_same_answer(app: TestApp) {
    let sys = Actor::system();
    let secret = udrul::auth::new_secret();
    app.store
        .create_password_link(
            &sys,
            &udrul::auth::hash_secret(&secret),
            NewPasswordLink {
                user_id: app.fx.a_user.id,
                expires_at: chrono::Utc::now() - chrono::Duration::seconds(1),
            },
        )
        .await
        .unwrap();
    let expired = format!("/set-password/{secret}");
    let unknown = format!("/set-password/{}", udrul::auth::new_secret());
    let gone_text = "Linket virker ikke";
    for path in [
        expired.as_str(),
        unknown.as_str(),
        "/set-password/short",
        "/set-password/%00",
    ] {
        let mut b = app.browser();
        b.get("/login").await; // for the CSRF token
        let res = b.get(path).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}");
        if path != "/set-password/%00" {
            assert!(res.text().contains(gone_text), "{path}: {}", res.text());
        }
        let res = b
            .post(
                path,
                &[("password", NEW_PASSWORD), ("password2", NEW_PASSWORD)],
            )
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}");
    }
    // The expired link set nothing: the fixtures' password still works.
    let (_, res) = login_with(&app, "a-user", common::PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
}
each_backend!(dead_links_are_404, dead_links_all_get_the_same_answer);

async fn member_admins_make_links_for_their_own_members_users_only(app: TestApp) {
    let mut a_admin = app.login("a-admin").await;
    let own = app.fx.a_user.id.0;
    let res = a_admin
        .post(&format!("/admin/users/{own}/password-link"), &[])
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let before = audit_of(&app, app.fx.b_user.id).await.len();
    for other in [
        app.fx.b_user.id.0,
        app.fx.central_admin.id.0,
        app.fx.auditor.id.0,
    ] {
        let res = a_admin
            .post(&format!("/admin/users/{other}/password-link"), &[])
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "user {other}");
        assert!(!res.text().contains("/set-password/"));
    }
    assert_eq!(audit_of(&app, app.fx.b_user.id).await.len(), before);
    let mut a_user = app.login("a-user").await;
    let res = a_user
        .post(&format!("/admin/users/{own}/password-link"), &[])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}
each_backend!(
    member_admin_links_stay_in_member,
    member_admins_make_links_for_their_own_members_users_only
);

// ------------------------------------------------------------------ search

async fn the_user_list_searches_filters_and_pages(app: TestApp) {
    let sys = Actor::system();
    let a = app.fx.members[0].id;
    for i in 0..60 {
        app.store
            .create_user(
                &sys,
                NewUser {
                    username: format!("mass{i:02}"),
                    display_name: format!("Massebruger {i:02}"),
                    email: format!("mass{i:02}@a.example"),
                    password_hash: String::new(),
                    role: AccessRole::MemberUser,
                    member_id: Some(a),
                },
            )
            .await
            .unwrap();
    }
    let mut admin = app.login("admin").await;
    // Case-insensitive, on name, username and e-mail.
    let html = admin.get("/admin/users?q=TEST+A-US").await.text();
    assert!(
        html.contains("Test a-user") && !html.contains("Test b-user"),
        "{html}"
    );
    let html = admin.get("/admin/users?q=b-user%40test").await.text();
    assert!(html.contains("Test b-user") && !html.contains("Test a-user"));
    // `%` is literal.
    let html = admin.get("/admin/users?q=%25").await.text();
    assert!(html.contains("Der er ingen brugere"), "{html}");
    // Role and member filters.
    let html = admin.get("/admin/users?role=auditor").await.text();
    assert!(html.contains("Test auditor") && !html.contains("Test admin</a>"));
    let b = app.fx.members[1].id.0;
    let html = admin.get(&format!("/admin/users?member={b}")).await.text();
    assert!(html.contains("Test b-user") && !html.contains("Massebruger"));
    // Paging: 50 a page, the search kept in the links.
    let first = admin.get("/admin/users?q=massebruger").await.text();
    assert!(first.contains("Massebruger 00") && !first.contains("Massebruger 50"));
    assert!(
        first.contains("/admin/users?q=massebruger&#38;page=2\" rel=\"next\""),
        "{first}"
    );
    let second = admin.get("/admin/users?q=massebruger&page=2").await.text();
    assert!(second.contains("Massebruger 59") && !second.contains("Massebruger 00"));
    assert!(second.contains("rel=\"prev\"") && !second.contains("rel=\"next\""));
    // A member administrator sees their member's users whatever they ask.
    let mut a_admin = app.login("a-admin").await;
    let html = a_admin
        .get(&format!("/admin/users?member={b}&q=user"))
        .await
        .text();
    assert!(
        html.contains("Test a-user") && !html.contains("Test b-user"),
        "{html}"
    );
    let html = a_admin
        .get("/admin/users?role=central_admin&q=admin")
        .await
        .text();
    assert!(html.contains("Test a-admin") && !html.contains("Test admin</a>"));
    // Each search is audited, with what was searched.
    let events = app
        .store
        .search_audit(&AuditFilter {
            actor: Some(app.fx.a_admin.id),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(events.iter().any(
        |e| e.action == "user.list" && e.after.as_deref().is_some_and(|a| a.contains("admin"))
    ));
}
each_backend!(user_list_search, the_user_list_searches_filters_and_pages);
