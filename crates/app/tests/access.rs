//! Issue 3's access rules end to end: robot tokens (scope, permissions,
//! revocation on every instance, expiry, rate limit), failed-login
//! throttling, session fixation and logout replay, API token revocation,
//! project staff, auditors, and the audit log those leave behind.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use common::{PASSWORD, TestApp, send_to};
use serde_json::json;
use udrul::config::Config;
use udrul_core::store::AuditFilter;
use udrul_core::{Actor, ActorKind, Permission};

fn bearer(method: &str, path: &str, token: &str, body: Option<serde_json::Value>) -> Request<Body> {
    let r = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    match body {
        Some(b) => r
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(b.to_string()))
            .unwrap(),
        None => r.body(Body::empty()).unwrap(),
    }
}

async fn robot_tokens_are_scoped_permitted_and_audited(app: TestApp) {
    let mine = app.instance_of(app.published("ROB 1").await.id, 0).await;
    let theirs = app.instance_of(app.published("ROB 2").await.id, 1).await;
    let (read_only, _) = app.robot_token(&[Permission::InstancesRead]).await;
    let (writer, writer_id) = app
        .robot_token(&[Permission::InstancesRead, Permission::InstancesWrite])
        .await;

    // Only its own member's instances.
    let res = app
        .api("GET", "/api/v1/instances", Some(&read_only), None)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let items = res.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert!(
        items
            .iter()
            .all(|i| i["member_id"] == app.fx.members[0].id.0)
    );
    let other = format!("/api/v1/instances/{}", theirs.id.0);
    assert_eq!(
        app.api("GET", &other, Some(&read_only), None).await.status,
        StatusCode::NOT_FOUND
    );

    // Reading does not allow writing, and nothing changes.
    let path = format!("/api/v1/instances/{}", mine.id.0);
    let body = json!({"status": "fuldfoert"});
    let res = app
        .api("PATCH", &path, Some(&read_only), Some(body.clone()))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text());
    let res = app
        .api("PATCH", &other, Some(&writer), Some(body.clone()))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.api("GET", &path, Some(&writer), None).await.json()["status"],
        "ikke_paabegyndt"
    );

    // Robots reach no central route and cannot get a password token.
    assert_eq!(
        app.api("GET", "/api/v1/tasks", Some(&writer), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let res = app
        .api(
            "POST",
            "/api/v1/auth/token",
            None,
            Some(json!({"username": app.fx.a_robot.username, "password": ""})),
        )
        .await;
    assert_ne!(res.status, StatusCode::OK);

    // A write is marked as the robot's, with its token, in the audit log.
    let req = Request::builder()
        .method("PATCH")
        .uri(&path)
        .header(header::AUTHORIZATION, format!("Bearer {writer}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-request-id", "req-robot-1")
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = app.send(req).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let log = app
        .store
        .search_audit(&AuditFilter {
            object_type: Some("instance".into()),
            object_id: Some(mine.id.0),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    let e = &log[0];
    assert_eq!(e.action, "instance.update");
    assert_eq!(e.actor_kind, ActorKind::Robot);
    assert_eq!(e.actor_id, Some(app.fx.a_robot.id));
    assert_eq!(e.token_id, Some(writer_id));
    assert_eq!(e.member_id, Some(app.fx.members[0].id));
    assert_eq!(e.request_id.as_deref(), Some("req-robot-1"));
    assert!(e.before.as_deref().unwrap().contains("ikke_paabegyndt"));
    assert!(e.after.as_deref().unwrap().contains("fuldfoert"));
}
each_backend!(robot_tokens, robot_tokens_are_scoped_permitted_and_audited);

async fn robot_token_revocation_and_expiry_hold_everywhere(app: TestApp) {
    let (secret, id) = app.robot_token(&[Permission::InstancesRead]).await;
    let other = app.instance(Config::default()).await;
    let me = || bearer("GET", "/api/v1/me", &secret, None);
    assert_eq!(send_to(&other, me()).await.status, StatusCode::OK);

    // Member B's user cannot revoke it; member A's administrator can.
    let b = app.actor(&app.fx.b_user);
    assert!(app.store.revoke_robot_token(&b, id).await.is_err());
    assert_eq!(send_to(&other, me()).await.status, StatusCode::OK);
    app.store
        .revoke_robot_token(&app.actor(&app.fx.a_admin), id)
        .await
        .unwrap();
    // At once, on this instance and the other.
    assert_eq!(app.send(me()).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(send_to(&other, me()).await.status, StatusCode::UNAUTHORIZED);

    // A robot can end its own token.
    let (secret, _) = app.robot_token(&[Permission::InstancesRead]).await;
    let res = app
        .api("DELETE", "/api/v1/auth/token", Some(&secret), None)
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.api("GET", "/api/v1/me", Some(&secret), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    // Expiry: a token that ends in a second works, then does not.
    let by = app.actor(&app.fx.a_admin);
    let soon = Utc::now() + chrono::Duration::milliseconds(1500);
    let (secret, _) = app
        .robot_token_for(&by, app.fx.a_robot.id, &[Permission::InstancesRead], soon)
        .await;
    assert_eq!(
        app.api("GET", "/api/v1/me", Some(&secret), None)
            .await
            .status,
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    assert_eq!(
        app.api("GET", "/api/v1/me", Some(&secret), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    // Deactivating the robot ends its tokens.
    let (secret, _) = app.robot_token(&[Permission::InstancesRead]).await;
    app.store
        .set_user_access(
            &app.actor(&app.fx.a_admin),
            app.fx.a_robot.id,
            udrul_core::store::UserAccess {
                role: udrul_core::AccessRole::Robot,
                member_id: app.fx.a_robot.member_id,
                active: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        app.api("GET", "/api/v1/me", Some(&secret), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}
each_backend!(
    robot_revocation,
    robot_token_revocation_and_expiry_hold_everywhere
);

async fn robot_tokens_are_rate_limited(app: TestApp) {
    let (secret, _) = app.robot_token(&[Permission::InstancesRead]).await;
    let slow = app
        .instance(Config {
            robot_per_minute: 1,
            robot_burst: 3,
            ..Config::default()
        })
        .await;
    for _ in 0..3 {
        let res = send_to(&slow, bearer("GET", "/api/v1/me", &secret, None)).await;
        assert_eq!(res.status, StatusCode::OK);
    }
    let res = send_to(&slow, bearer("GET", "/api/v1/me", &secret, None)).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.text());
    let wait: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    assert_eq!(
        res.json()["type"],
        "https://udrul.dk/problems/too-many-requests"
    );
    // People's tokens are not limited this way.
    let person = app.token("a-user").await;
    for _ in 0..5 {
        let res = send_to(&slow, bearer("GET", "/api/v1/me", &person, None)).await;
        assert_eq!(res.status, StatusCode::OK);
    }
}
each_backend!(robot_rate_limit, robot_tokens_are_rate_limited);

async fn failed_logins_are_throttled(app: TestApp) {
    let mut b = app.browser();
    b.get("/login").await;
    for _ in 0..5 {
        let res = b
            .post("/login", &[("username", "a-user"), ("password", "wrong")])
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Now even the right password is refused, without a session.
    let res = b
        .post("/login", &[("username", "a-user"), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.text());
    assert!(res.header("retry-after").is_some());
    assert!(res.text().contains("For mange mislykkede forsøg"));
    assert!(
        res.header("set-cookie")
            .is_none_or(|c| !c.contains("udrul_session"))
    );
    // The API refuses too, with a problem and Retry-After.
    let res = app
        .api(
            "POST",
            "/api/v1/auth/token",
            None,
            Some(json!({"username": "a-user", "password": PASSWORD})),
        )
        .await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(res.header("retry-after").is_some());
    // Another username is not affected.
    app.login("b-user").await;

    // The failures are in the audit log, with the person but no password.
    let log = app
        .store
        .search_audit(&AuditFilter {
            person: Some(app.fx.a_user.id),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let log: Vec<_> = log
        .into_iter()
        .filter(|e| e.action.starts_with("login"))
        .collect();
    let failures = log.iter().filter(|e| e.action == "login.failure").count();
    let refused = log.iter().filter(|e| e.action == "login.throttled").count();
    assert_eq!((failures, refused), (5, 2), "{log:?}");
    assert!(log.iter().all(|e| e.actor_kind == ActorKind::Anonymous));
    assert!(log.iter().all(|e| !format!("{e:?}").contains("wrong")));
}
each_backend!(login_throttling, failed_logins_are_throttled);

fn get_with_cookie(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header(header::HOST, "localhost")
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

async fn sessions_resist_fixation_and_replay(app: TestApp) {
    // An attacker plants a session id before the victim logs in.
    let planted = "planted-session-id-chosen-by-an-attacker-0000";
    let mut b = app.browser();
    b.cookies.push(("udrul_session".into(), planted.into()));
    b.get("/login").await;
    let res = b
        .post(
            "/login",
            &[
                ("username", "a-user"),
                ("password", PASSWORD),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let issued = res.cookie("udrul_session").expect("a new session cookie");
    assert_ne!(issued, planted);
    let set = res.header("set-cookie").unwrap_or_default().to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    // The planted id is nobody.
    let res = app
        .send(get_with_cookie("/", &format!("udrul_session={planted}")))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);

    // The issued one works on another instance ...
    let other = app.instance(Config::default()).await;
    let stolen = format!("udrul_session={issued}");
    assert_eq!(
        send_to(&other, get_with_cookie("/", &stolen)).await.status,
        StatusCode::OK
    );
    // ... until logout, after which replaying it works nowhere.
    b.get("/").await;
    let res = b.post("/logout", &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.send(get_with_cookie("/", &stolen)).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        send_to(&other, get_with_cookie("/", &stolen)).await.status,
        StatusCode::SEE_OTHER
    );

    // Login and logout are in the audit log.
    let log = app
        .store
        .search_audit(&AuditFilter {
            actor: Some(app.fx.a_user.id),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["logout", "login.password"]);

    // With secure cookies the session cookie has the __Host- prefix.
    let secure = app
        .instance(Config {
            secure_cookies: true,
            ..Config::default()
        })
        .await;
    let page = send_to(&secure, get_with_cookie("/login", "")).await;
    // The pre-login cookie too (issue 11).
    let pre = page.cookie("__Host-udrul_pre").unwrap();
    let csrf = common::csrf_in(&page.text()).unwrap();
    let body = serde_urlencoded::to_string([
        ("username", "a-user"),
        ("password", PASSWORD),
        ("csrf", csrf.as_str()),
    ])
    .unwrap();
    let req = Request::post("/login")
        .header(header::HOST, "localhost")
        .header(header::ORIGIN, "http://localhost")
        .header(header::COOKIE, format!("__Host-udrul_pre={pre}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let res = send_to(&secure, req).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let set = res.header("set-cookie").unwrap_or_default().to_string();
    assert!(
        set.starts_with("__Host-udrul_session=")
            && set.contains("Secure")
            && set.contains("Path=/"),
        "{set}"
    );
}
each_backend!(
    session_fixation_and_logout_replay,
    sessions_resist_fixation_and_replay
);

async fn api_tokens_end_on_revocation_everywhere(app: TestApp) {
    let token = app.token("a-user").await;
    let other = app.instance(Config::default()).await;
    assert_eq!(
        send_to(&other, bearer("GET", "/api/v1/me", &token, None))
            .await
            .status,
        StatusCode::OK
    );
    let res = app
        .api("DELETE", "/api/v1/auth/token", Some(&token), None)
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let res = send_to(&other, bearer("GET", "/api/v1/me", &token, None)).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(
        res.header("www-authenticate")
            .unwrap()
            .contains("invalid_token")
    );

    // A token past its expiry is refused (an instance whose tokens live
    // one second).
    let short = app
        .instance(Config {
            api_token_ttl: std::time::Duration::from_secs(1),
            ..Config::default()
        })
        .await;
    let req = Request::post("/api/v1/auth/token")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"username": "a-user", "password": PASSWORD}).to_string(),
        ))
        .unwrap();
    let token = send_to(&short, req).await.json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.api("GET", "/api/v1/me", Some(&token), None)
            .await
            .status,
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        app.api("GET", "/api/v1/me", Some(&token), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}
each_backend!(
    api_token_revocation_and_expiry,
    api_tokens_end_on_revocation_everywhere
);

async fn project_staff_change_only_their_projects(app: TestApp) {
    let staff = app.token("staff").await;
    let body = |project: i64| {
        json!({
            "project_id": project,
            "code": "PS 1",
            "title": "Opgave",
            "purpose": "Formål",
            "guidance": "",
            "task_type": "obligatorisk",
            "target_roles": ["Infrastrukturansvarlig"],
            "end_date": "2030-01-01",
        })
    };
    let res = app
        .api(
            "POST",
            "/api/v1/tasks",
            Some(&staff),
            Some(body(app.fx.other_project.id.0)),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text());
    let res = app
        .api(
            "POST",
            "/api/v1/tasks",
            Some(&staff),
            Some(body(app.fx.project.id.0)),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());

    // A task of the other project, made by an administrator: staff read it
    // but cannot publish, move or withdraw it.
    let admin = app.token("admin").await;
    let res = app
        .api(
            "POST",
            "/api/v1/tasks",
            Some(&admin),
            Some(body(app.fx.other_project.id.0)),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let id = res.json()["id"].as_i64().unwrap();
    let t = format!("/api/v1/tasks/{id}");
    assert_eq!(
        app.api("GET", &t, Some(&staff), None).await.status,
        StatusCode::OK
    );
    for (path, body) in [
        (format!("{t}/publish"), json!({"audience": "all"})),
        (
            format!("{t}/end-date"),
            json!({"end_date": "2031-01-01", "reason": "x"}),
        ),
        (format!("{t}/withdraw"), json!({})),
    ] {
        let res = app.api("POST", &path, Some(&staff), Some(body)).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}: {}", res.text());
    }
    // The task's page offers them no actions; their own project's does.
    let mut b = app.login("staff").await;
    let page = b.get(&format!("/tasks/{id}")).await.text();
    assert!(!page.contains(&format!("/tasks/{id}/publish")), "{page}");
    let own = app.draft("PS 2").await;
    let page = b.get(&format!("/tasks/{}", own.id.0)).await.text();
    assert!(page.contains(&format!("/tasks/{}/publish", own.id.0)));
    let task = app
        .store
        .get_task(udrul_core::TaskId(id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(task.state, udrul_core::TaskState::Draft);
    assert_eq!(task.version, 1);
}
each_backend!(project_staff, project_staff_change_only_their_projects);

async fn auditors_read_and_change_nothing(app: TestApp) {
    let t = app.published("AUD 1").await;
    let inst = app.instance_of(t.id, 0).await;
    let token = app.token("auditor").await;
    for path in [
        "/api/v1/tasks".to_string(),
        format!("/api/v1/tasks/{}/follow-up", t.id.0),
        format!("/api/v1/instances/{}", inst.id.0),
    ] {
        let res = app.api("GET", &path, Some(&token), None).await;
        assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.text());
    }
    let res = app
        .api(
            "PATCH",
            &format!("/api/v1/instances/{}", inst.id.0),
            Some(&token),
            Some(json!({"status": "fuldfoert"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = app
        .api(
            "POST",
            &format!("/api/v1/tasks/{}/close", t.id.0),
            Some(&token),
            Some(json!({})),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // The web pages too, and they offer no changes.
    let mut b = app.login("auditor").await;
    let list = b.get("/tasks").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.text().contains("href=\"/tasks/new\""));
    let page = b.get(&format!("/tasks/{}", t.id.0)).await.text();
    assert!(
        !page.contains(&format!("/tasks/{}/close", t.id.0)),
        "{page}"
    );
    assert!(!page.contains(&format!("/tasks/{}/end-date", t.id.0)));
    let page = b.get(&format!("/instances/{}", inst.id.0)).await.text();
    assert!(
        !page.contains("<form method=\"post\" action=\"/instances/"),
        "{page}"
    );
    assert_eq!(
        b.get(&format!("/tasks/{}/follow-up", t.id.0)).await.status,
        StatusCode::OK
    );
    let res = b.post(&format!("/tasks/{}/close", t.id.0), &[]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = b
        .post(
            &format!("/instances/{}", inst.id.0),
            &[("status", "fuldfoert")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(app.store.get_task(t.id).await.unwrap().unwrap(), t);
}
each_backend!(auditors, auditors_read_and_change_nothing);

async fn the_audit_log_is_append_only_and_complete(app: TestApp) {
    // Changes by people: a draft, its publication, a status update.
    let t = app.published("LOG 1").await;
    let inst = app.instance_of(t.id, 0).await;
    let mut b = app.login("a-user").await;
    let res = b
        .post(
            &format!("/instances/{}", inst.id.0),
            &[
                ("status", "paabegyndt"),
                ("responsible", "Test Testesen"),
                ("doer", ""),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let task_log = app
        .store
        .search_audit(&AuditFilter {
            object_type: Some("task".into()),
            object_id: Some(t.id.0),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = task_log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["task.publish", "task.create"]);
    assert!(task_log.iter().all(|e| e.actor_id == Some(app.fx.staff.id)));
    let by_member = app
        .store
        .search_audit(&AuditFilter {
            member: Some(app.fx.members[0].id),
            actor: Some(app.fx.a_user.id),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let update = by_member
        .iter()
        .find(|e| e.action == "instance.update")
        .expect("the update");
    assert_eq!(update.actor_kind, ActorKind::Person);
    assert!(update.after.as_deref().unwrap().contains("Test Testesen"));
    assert!(update.request_id.as_deref().is_some_and(|r| !r.is_empty()));

    // A refused change leaves no entry.
    let before = app
        .store
        .search_audit(&AuditFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .len();
    let res = b
        .post(
            &format!("/instances/{}", inst.id.0),
            &[("status", "nonsense")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let after = app
        .store
        .search_audit(&AuditFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .len();
    assert_eq!(before, after);

    // Paging back by id.
    let first = app
        .store
        .search_audit(&AuditFilter {
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    let next = app
        .store
        .search_audit(&AuditFilter {
            limit: 2,
            before_id: Some(first[1].id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(next.iter().all(|e| e.id < first[1].id));
    let _ = Actor::system();
}
each_backend!(audit_log, the_audit_log_is_append_only_and_complete);

async fn auditors_and_admins_search_the_audit_log(app: TestApp) {
    let t = app.published("API 1").await;
    let inst = app.instance_of(t.id, 0).await;
    let user = app.token("a-user").await;
    let res = app
        .api(
            "PATCH",
            &format!("/api/v1/instances/{}", inst.id.0),
            Some(&user),
            Some(json!({"status": "paabegyndt"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let path = format!(
        "/api/v1/audit?object_type=instance&object_id={}&member_id={}",
        inst.id.0, app.fx.members[0].id.0
    );
    for who in ["auditor", "admin"] {
        let token = app.token(who).await;
        let res = app.api("GET", &path, Some(&token), None).await;
        assert_eq!(res.status, StatusCode::OK, "{who}: {}", res.text());
        let entries = res.json();
        let entries = entries.as_array().unwrap();
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(entries[0]["action"], "instance.update");
        assert_eq!(entries[0]["actor_id"], app.fx.a_user.id.0);
        assert_eq!(entries[0]["actor_kind"], "person");
    }
    // Nobody else, robots included.
    let (robot, _) = app.robot_token(&Permission::ALL).await;
    for token in [
        user,
        app.token("a-admin").await,
        app.token("staff").await,
        robot,
    ] {
        let res = app.api("GET", &path, Some(&token), None).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text());
    }
    // Bad input is a problem, not an empty answer.
    let token = app.token("auditor").await;
    let res = app
        .api("GET", "/api/v1/audit?actor_id=x", Some(&token), None)
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    // The searches are themselves recorded, by whom and about which member.
    let reads = app
        .store
        .search_audit(&AuditFilter {
            object_type: Some("audit".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(reads.len(), 2);
    assert!(reads.iter().all(|e| e.action == "audit.read"));
    assert_eq!(reads[1].actor_id, Some(app.fx.auditor.id));
    assert_eq!(reads[1].member_id, Some(app.fx.members[0].id));
}
each_backend!(audit_api, auditors_and_admins_search_the_audit_log);
