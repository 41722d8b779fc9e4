//! A member's pages: home and the task page with its status form.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use udrul_core::{ExecutionStatus, Scope, TaskState};

async fn instance_of(
    app: &TestApp,
    task: udrul_core::TaskId,
    member: usize,
) -> udrul_core::InstanceRow {
    app.instance_of(task, member).await
}

async fn home_lists_own_tasks_critical_first(app: TestApp) {
    let a = app.published("A 1").await;
    let _draft = app.draft("DRAFT 1").await;
    let mut b = app.login("a-user").await;
    let home = b.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    let html = home.text();
    assert!(html.contains("A 1"), "{html}");
    assert!(!html.contains("DRAFT 1"), "drafts are not shown to members");
    assert!(html.contains("Aalborg"));
    assert!(html.contains(&format!(
        "/instances/{}",
        instance_of(&app, a.id, 0).await.id
    )));
    // The 2025 end date is past: the task is marked overdue in words.
    assert!(html.contains("Overskredet"));
}

async fn set_status_and_see_history(app: TestApp) {
    let t = app.published("ID 31").await;
    let inst = instance_of(&app, t.id, 0).await;
    let mut b = app.login("a-user").await;
    let path = format!("/instances/{}", inst.id);
    let page = b.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Jeres status"));
    let res = b
        .post(
            &path,
            &[
                ("status", "paabegyndt"),
                ("not_relevant_reason", ""),
                ("responsible", "Mette Jensen"),
                ("doer", "Lars Nielsen"),
                ("version", &inst.version.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let page = b.get(&format!("{path}?saved=1")).await.text();
    assert!(page.contains("Ændringen er gemt"));
    assert!(page.contains("Mette Jensen"));
    assert!(page.contains("Test a-user"), "history names who changed it");
    assert!(
        page.contains("Ikke påbegyndt → Påbegyndt")
            || page.contains("ikke påbegyndt → påbegyndt")
            || page.contains("→")
    );
    let after = instance_of(&app, t.id, 0).await;
    assert_eq!(after.status, ExecutionStatus::Started);
    assert_eq!(after.responsible, "Mette Jensen");
}

async fn bad_status_input_changes_nothing(app: TestApp) {
    let t = app.published("X 1").await;
    let inst = instance_of(&app, t.id, 0).await;
    let mut b = app.login("a-user").await;
    let path = format!("/instances/{}", inst.id);
    b.get(&path).await;
    let long = "x".repeat(201);
    for fields in [
        vec![("status", "ikke_relevant"), ("not_relevant_reason", "  ")],
        vec![("status", "done-ish")],
        vec![("status", "paabegyndt"), ("responsible", long.as_str())],
    ] {
        let res = b.post(&path, &fields).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(res.text().contains("error-summary"));
    }
    let after = instance_of(&app, t.id, 0).await;
    assert_eq!(after.status, ExecutionStatus::NotStarted);
    assert_eq!(after.version, inst.version);
    let hist = app
        .store
        .instance_history(Scope::All, inst.id)
        .await
        .unwrap()
        .unwrap();
    assert!(hist.is_empty(), "no history for refused input");
}

async fn stale_form_is_a_conflict_not_a_lost_update(app: TestApp) {
    let t = app.published("C 1").await;
    let inst = instance_of(&app, t.id, 0).await;
    let mut first = app.login("a-user").await;
    let mut second = app.login("a-admin").await;
    let path = format!("/instances/{}", inst.id);
    first.get(&path).await;
    second.get(&path).await;
    let v = inst.version.to_string();
    let r1 = first
        .post(&path, &[("status", "paabegyndt"), ("version", &v)])
        .await;
    assert_eq!(r1.status, StatusCode::SEE_OTHER);
    let r2 = second
        .post(&path, &[("status", "fuldfoert"), ("version", &v)])
        .await;
    assert_eq!(r2.status, StatusCode::CONFLICT);
    assert_eq!(
        instance_of(&app, t.id, 0).await.status,
        ExecutionStatus::Started
    );
}

async fn other_members_instances_are_not_found(app: TestApp) {
    let t = app.published("ISO 1").await;
    let theirs = instance_of(&app, t.id, 1).await; // member B's
    let mut b = app.login("a-user").await;
    let path = format!("/instances/{}", theirs.id);
    assert_eq!(b.get(&path).await.status, StatusCode::NOT_FOUND);
    let res = b.post(&path, &[("status", "fuldfoert")]).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(
        instance_of(&app, t.id, 1).await.status,
        ExecutionStatus::NotStarted
    );
    // and the home page does not list it
    let home = b.get("/").await.text();
    assert!(!home.contains(&format!("/instances/{}\"", theirs.id)));
}

async fn closed_task_is_read_only(app: TestApp) {
    let t = app.published("CL 1").await;
    let inst = instance_of(&app, t.id, 0).await;
    let staff = app.actor(&app.fx.staff);
    app.store
        .set_task_state(&staff, t.id, TaskState::Closed)
        .await
        .unwrap();
    let mut b = app.login("a-user").await;
    let path = format!("/instances/{}", inst.id);
    let page = b.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.text().contains("name=\"status\""),
        "no status form on a closed task"
    );
    // Its 2025 end date is past, but a closed task asks nothing more of the
    // member: it is not called overdue, on the page or at home.
    assert!(!page.text().contains("Overskredet"), "{}", page.text());
    let home = b.get("/").await.text();
    assert!(home.contains("CL 1"), "{home}");
    assert!(!home.contains("Overskredet"), "{home}");
    let res = b.post(&path, &[("status", "fuldfoert")]).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
}

async fn anonymous_is_sent_to_login(app: TestApp) {
    let t = app.published("AN 1").await;
    let inst = instance_of(&app, t.id, 0).await;
    let mut b = app.browser();
    for path in ["/".to_string(), format!("/instances/{}", inst.id)] {
        let res = b.get(&path).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{path}");
        assert!(res.header("location").unwrap().starts_with("/login?next="));
    }
}

async fn forms_need_csrf(app: TestApp) {
    let t = app.published("CS 1").await;
    let inst = instance_of(&app, t.id, 0).await;
    let mut b = app.login("a-user").await;
    let path = format!("/instances/{}", inst.id);
    let res = b.post_raw(&path, &[("status", "fuldfoert")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = b
        .post_raw(&path, &[("status", "fuldfoert"), ("csrf", "forged")])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(
        instance_of(&app, t.id, 0).await.status,
        ExecutionStatus::NotStarted
    );
    // The login form is protected too.
    let mut anon = app.browser();
    let res = anon
        .post_raw(
            "/login",
            &[("username", "a-user"), ("password", common::PASSWORD)],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

async fn wrong_password_is_refused(app: TestApp) {
    let mut b = app.browser();
    b.get("/login").await;
    let res = b
        .post("/login", &[("username", "a-user"), ("password", "nope")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().contains("forkert"));
    let res = b
        .post("/login", &[("username", "nobody"), ("password", "nope")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn logout_ends_the_session(app: TestApp) {
    let mut b = app.login("a-user").await;
    let saved = b.cookies.clone();
    let res = b.post("/logout", &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    // Replaying the old cookie does not bring the session back.
    b.cookies = saved;
    let res = b.get("/").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
}

async fn english_is_selectable(app: TestApp) {
    app.published("EN 1").await;
    let mut b = app.login("a-user").await;
    let res = b.get("/language?lang=en&next=/").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let html = b.get("/").await.text();
    assert!(html.contains("lang=\"en\""));
    assert!(html.contains("My tasks"));
    assert!(html.contains("Overdue"));
}

each_backend!(home_lists_own_tasks, home_lists_own_tasks_critical_first);
each_backend!(set_status, set_status_and_see_history);
each_backend!(bad_status_input, bad_status_input_changes_nothing);
each_backend!(stale_form, stale_form_is_a_conflict_not_a_lost_update);
each_backend!(
    other_members_instances,
    other_members_instances_are_not_found
);
each_backend!(closed_task, closed_task_is_read_only);
each_backend!(anonymous_login_redirect, anonymous_is_sent_to_login);
each_backend!(csrf_required, forms_need_csrf);
each_backend!(wrong_password, wrong_password_is_refused);
each_backend!(logout, logout_ends_the_session);
each_backend!(english, english_is_selectable);
