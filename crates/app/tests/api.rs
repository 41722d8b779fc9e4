//! The JSON API under `/api/v1`, through the router, on both backends.

mod common;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Resp, TestApp};
use serde_json::{Value, json};
use udrul::i18n::{Lang, Tr};
use udrul_core::{InstanceFilter, PageRequest, Scope, TaskFilter, TaskId, TaskState};

const PROBLEM: &str = "application/problem+json";

/// Asserts a problem details answer and returns its body.
#[track_caller]
fn problem(res: &Resp, status: StatusCode, kind: &str) -> Value {
    assert_eq!(res.status, status, "{}", res.text());
    assert_eq!(res.header("content-type"), Some(PROBLEM), "{}", res.text());
    let body = res.json();
    assert_eq!(
        body["type"],
        format!("https://udrul.dk/problems/{kind}"),
        "{body}"
    );
    assert_eq!(body["status"], status.as_u16(), "{body}");
    assert!(
        body["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    assert!(
        body["detail"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    assert!(
        body["instance"]
            .as_str()
            .is_some_and(|t| t.starts_with("/api/v1")),
        "{body}"
    );
    body
}

/// The (field, code) pairs of a validation problem.
fn field_codes(p: &Value) -> Vec<(String, String)> {
    p["errors"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|e| {
            assert!(e["detail"].as_str().is_some_and(|d| !d.is_empty()), "{e}");
            (
                e["field"].as_str().unwrap().to_string(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn has(p: &Value, field: &str, code: &str) -> bool {
    field_codes(p).iter().any(|(f, c)| f == field && c == code)
}

async fn raw(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: &str,
) -> Resp {
    let mut r = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if let Some(ct) = content_type {
        r = r.header(header::CONTENT_TYPE, ct);
    }
    app.send(r.body(Body::from(body.to_string())).unwrap())
        .await
}

async fn with_if_match(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    if_match: &str,
    body: Value,
) -> Resp {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::IF_MATCH, if_match)
        .body(Body::from(body.to_string()))
        .unwrap();
    app.send(req).await
}

fn task_body(app: &TestApp, code: &str) -> Value {
    json!({
        "project_id": app.fx.project.id.0,
        "code": code,
        "title": format!("Opgave {code}"),
        "purpose": "Formål",
        "guidance": "# Vejledning\n\nTrin 1",
        "task_type": "obligatorisk_kritisk_vej",
        "phase": "Forberedelse",
        "target_roles": ["Infrastrukturansvarlig"],
        "start_date": "2025-01-01",
        "end_date": "2025-05-28"
    })
}

/// The good task body with one field changed.
fn with(app: &TestApp, field: &str, value: Value) -> Value {
    let mut b = task_body(app, "T 1");
    b[field] = value;
    b
}

/// The good task body without one field.
fn without(app: &TestApp, field: &str) -> Value {
    let mut b = task_body(app, "T 1");
    b.as_object_mut().unwrap().remove(field);
    b
}

/// The instance of `task` belonging to fixture member `member`.
async fn instance_of(app: &TestApp, task: TaskId, member: usize) -> udrul_core::InstanceRow {
    let page = app
        .store
        .list_instances(
            Scope::Member(app.fx.members[member].id),
            &InstanceFilter {
                task_id: Some(task),
                ..Default::default()
            },
            PageRequest::new(1, 10),
        )
        .await
        .unwrap();
    page.items.into_iter().next().expect("instance")
}

async fn task_count(app: &TestApp) -> usize {
    app.store
        .list_tasks(&TaskFilter::default())
        .await
        .unwrap()
        .len()
}

// --- tokens ---------------------------------------------------------------------

async fn tokens_issue_refuse_and_revoke(app: TestApp) {
    let res = app
        .api(
            "POST",
            "/api/v1/auth/token",
            None,
            Some(json!({"username": "a-user", "password": common::PASSWORD})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let body = res.json();
    let token = body["token"].as_str().unwrap().to_string();
    assert!(token.len() >= 40);
    assert_eq!(body["token_type"], "Bearer");
    assert!(chrono::DateTime::parse_from_rfc3339(body["expires_at"].as_str().unwrap()).is_ok());
    assert_eq!(body["user"]["username"], "a-user");
    assert_eq!(body["user"]["role"], "member_user");
    assert_eq!(body["user"]["member"]["name"], "Aalborg");

    let me = app.api("GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["display_name"], "Test a-user");

    // Wrong password, unknown user: the same 401, with a challenge.
    for (u, p) in [("a-user", "wrong"), ("nobody", common::PASSWORD)] {
        let res = app
            .api(
                "POST",
                "/api/v1/auth/token",
                None,
                Some(json!({"username": u, "password": p})),
            )
            .await;
        problem(&res, StatusCode::UNAUTHORIZED, "unauthorized");
        assert!(
            res.header("www-authenticate")
                .unwrap()
                .starts_with("Bearer")
        );
    }
    // Missing fields are a validation problem.
    let res = app
        .api(
            "POST",
            "/api/v1/auth/token",
            None,
            Some(json!({"username": "a-user"})),
        )
        .await;
    let p = problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert!(has(&p, "password", "error-required"), "{p}");

    // No token, a malformed header, an unknown token.
    let res = app.api("GET", "/api/v1/me", None, None).await;
    problem(&res, StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(
        res.header("www-authenticate")
            .unwrap()
            .starts_with("Bearer")
    );
    let res = app
        .send(
            Request::get("/api/v1/me")
                .header(header::AUTHORIZATION, "Basic YTpi")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    problem(&res, StatusCode::UNAUTHORIZED, "unauthorized");
    let res = app
        .api("GET", "/api/v1/me", Some("not-a-token"), None)
        .await;
    problem(&res, StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(
        res.header("www-authenticate")
            .unwrap()
            .contains("invalid_token")
    );

    // A web session secret is not an API token.
    let b = app.login("a-user").await;
    let session = b
        .cookies
        .iter()
        .find(|(k, _)| k.contains("session"))
        .unwrap()
        .1
        .clone();
    let res = app.api("GET", "/api/v1/me", Some(&session), None).await;
    problem(&res, StatusCode::UNAUTHORIZED, "unauthorized");

    // Revoking ends the token at once; another token of the same user lives on.
    let other = app.token("a-user").await;
    let res = app
        .api("DELETE", "/api/v1/auth/token", Some(&token), None)
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text());
    let res = app.api("GET", "/api/v1/me", Some(&token), None).await;
    problem(&res, StatusCode::UNAUTHORIZED, "unauthorized");
    let res = app
        .api("DELETE", "/api/v1/auth/token", Some(&token), None)
        .await;
    problem(&res, StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(
        app.api("GET", "/api/v1/me", Some(&other), None)
            .await
            .status,
        StatusCode::OK
    );
}
each_backend!(tokens, tokens_issue_refuse_and_revoke);

// --- the whole flow ------------------------------------------------------------------

async fn create_publish_update_follow_up(app: TestApp) {
    let staff = app.token("staff").await;
    let admin = app.token("admin").await;

    // Administrators create projects; staff may not.
    let body = json!({"name": "OS2 Rollekatalog", "description": "Roller"});
    let res = app
        .api("POST", "/api/v1/projects", Some(&staff), Some(body.clone()))
        .await;
    problem(&res, StatusCode::FORBIDDEN, "forbidden");
    let res = app
        .api("POST", "/api/v1/projects", Some(&admin), Some(body))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let project = res.json();
    let pid = udrul_core::ProjectId(project["id"].as_i64().unwrap());
    app.store
        .set_project_staff(&udrul_core::Actor::system(), pid, app.fx.staff.id, true)
        .await
        .unwrap();
    let loc = res.header("location").unwrap().to_string();
    assert_eq!(
        app.api("GET", &loc, Some(&staff), None).await.json()["name"],
        "OS2 Rollekatalog"
    );
    let res = app
        .api(
            "POST",
            "/api/v1/projects",
            Some(&admin),
            Some(json!({"name": "OS2 Rollekatalog"})),
        )
        .await;
    problem(&res, StatusCode::CONFLICT, "duplicate");
    let projects = app
        .api("GET", "/api/v1/projects", Some(&staff), None)
        .await
        .json();
    assert_eq!(projects.as_array().unwrap().len(), 3);
    assert!(project["id"].is_i64());

    // Create a draft.
    let res = app
        .api(
            "POST",
            "/api/v1/tasks",
            Some(&staff),
            Some(task_body(&app, "ID 31")),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let task = res.json();
    let id = task["id"].as_i64().unwrap();
    assert_eq!(
        res.header("location"),
        Some(format!("/api/v1/tasks/{id}").as_str())
    );
    assert_eq!(
        res.header("etag"),
        Some(format!("\"{}\"", task["version"]).as_str())
    );
    assert_eq!(task["state"], "draft");
    assert_eq!(task["end_date"], "2025-05-28");
    assert_eq!(task["start_date"], "2025-01-01");
    assert_eq!(task["task_type"], "obligatorisk_kritisk_vej");
    assert_eq!(task["target_roles"], json!(["Infrastrukturansvarlig"]));
    assert!(chrono::DateTime::parse_from_rfc3339(task["created_at"].as_str().unwrap()).is_ok());

    // Edit it with If-Match.
    let got = app
        .api("GET", &format!("/api/v1/tasks/{id}"), Some(&staff), None)
        .await;
    let etag = got.header("etag").unwrap().to_string();
    let mut body = task_body(&app, "ID 31");
    body["title"] = json!("Etabler trust");
    let res = with_if_match(
        &app,
        "PUT",
        &format!("/api/v1/tasks/{id}"),
        &staff,
        &etag,
        body,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["title"], "Etabler trust");
    assert_ne!(res.header("etag").unwrap(), etag);

    // Lists and filters.
    let drafts = app
        .api("GET", "/api/v1/tasks?state=draft", Some(&staff), None)
        .await
        .json();
    assert_eq!(drafts.as_array().unwrap().len(), 1);
    let published = app
        .api("GET", "/api/v1/tasks?state=published", Some(&staff), None)
        .await
        .json();
    assert!(published.as_array().unwrap().is_empty());
    let res = app
        .api("GET", "/api/v1/tasks?state=sometimes", Some(&staff), None)
        .await;
    let p = problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert!(has(&p, "state", "error-choice"));
    let res = app
        .api("GET", "/api/v1/tasks?colour=red", Some(&staff), None)
        .await;
    problem(&res, StatusCode::BAD_REQUEST, "bad-request");

    // Publish to everyone.
    let res = app
        .api(
            "POST",
            &format!("/api/v1/tasks/{id}/publish"),
            Some(&staff),
            Some(json!({"audience": "all"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["instances"], 3);
    assert_eq!(res.json()["task"]["state"], "published");
    let res = app
        .api(
            "POST",
            &format!("/api/v1/tasks/{id}/publish"),
            Some(&staff),
            Some(json!({"audience": "all"})),
        )
        .await;
    problem(&res, StatusCode::CONFLICT, "wrong-state");

    // A member's user sees its instance and sets a status.
    let a = app.token("a-user").await;
    let list = app.api("GET", "/api/v1/instances", Some(&a), None).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let list = list.json();
    assert_eq!(list["total"], 1);
    let item = &list["items"][0];
    assert_eq!(item["task_id"], id);
    assert_eq!(item["member_id"], app.fx.members[0].id.0);
    assert_eq!(item["overdue"], true);
    let inst = item["id"].as_i64().unwrap();
    let path = format!("/api/v1/instances/{inst}");
    let got = app.api("GET", &path, Some(&a), None).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json()["task"]["title"], "Etabler trust");
    assert_eq!(got.json()["member"]["name"], "Aalborg");
    let etag = got.header("etag").unwrap().to_string();
    let res = with_if_match(
        &app,
        "PATCH",
        &path,
        &a,
        &etag,
        json!({"status": "paabegyndt", "responsible": "Mette Jensen"}),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let after = res.json();
    assert_eq!(after["status"], "paabegyndt");
    assert_eq!(after["responsible"], "Mette Jensen");
    assert_eq!(
        res.header("etag"),
        Some(format!("\"{}\"", after["version"]).as_str())
    );
    // Without If-Match, last writer wins.
    let res = app
        .api(
            "PATCH",
            &path,
            Some(&a),
            Some(json!({"status": "fuldfoert", "doer": "Lars Nielsen"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(
        res.json()["responsible"],
        "Mette Jensen",
        "fields left out keep their value"
    );
    let history = app
        .api("GET", &format!("{path}/history"), Some(&a), None)
        .await
        .json();
    let history = history.as_array().unwrap();
    assert!(history.len() >= 2, "{history:?}");
    assert!(history.iter().all(|e| e["actor_name"] == "Test a-user"));
    assert!(
        history
            .iter()
            .any(|e| e["status"] == "fuldfoert" && e["doer"] == "Lars Nielsen")
    );

    // B sets not relevant, with a reason.
    let b = app.token("b-user").await;
    let b_inst = instance_of(&app, TaskId(id), 1).await.id.0;
    let res = app
        .api(
            "PATCH",
            &format!("/api/v1/instances/{b_inst}"),
            Some(&b),
            Some(json!({"status": "ikke_relevant", "not_relevant_reason": "Bruger ikke SAPA"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());

    // Follow-up counts and the members not done.
    let fu = app
        .api(
            "GET",
            &format!("/api/v1/tasks/{id}/follow-up"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(fu.status, StatusCode::OK, "{}", fu.text());
    let fu = fu.json();
    assert_eq!(
        fu["counts"],
        json!({"ikke_paabegyndt": 1, "paabegyndt": 0, "fuldfoert": 1, "ikke_relevant": 1, "total": 3})
    );
    let not_done: Vec<&str> = fu["not_done"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["member_name"].as_str().unwrap())
        .collect();
    assert_eq!(not_done, vec!["Brøndby"]);
    let fu = app
        .api(
            "GET",
            &format!("/api/v1/tasks/{id}/follow-up?region=Region%20Nordjylland"),
            Some(&staff),
            None,
        )
        .await
        .json();
    assert_eq!(fu["counts"]["total"], 1);
    assert_eq!(fu["counts"]["fuldfoert"], 1);
    let fu = app
        .api(
            "GET",
            &format!("/api/v1/tasks/{id}/follow-up?network=Syd"),
            Some(&staff),
            None,
        )
        .await
        .json();
    assert_eq!(fu["counts"]["total"], 2);
    // Central users see every instance, and can filter by member.
    let all = app
        .api(
            "GET",
            &format!("/api/v1/instances?task_id={id}"),
            Some(&staff),
            None,
        )
        .await
        .json();
    assert_eq!(all["total"], 3);
    let open = app
        .api(
            "GET",
            &format!("/api/v1/instances?task_id={id}&open_only=true"),
            Some(&staff),
            None,
        )
        .await
        .json();
    assert_eq!(open["total"], 1);
    let done = app
        .api(
            "GET",
            "/api/v1/instances?status=fuldfoert",
            Some(&staff),
            None,
        )
        .await
        .json();
    assert_eq!(done["total"], 1);
    let res = app
        .api("GET", "/api/v1/instances?status=done", Some(&staff), None)
        .await;
    assert!(has(
        &problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation"),
        "status",
        "error-choice"
    ));
    let res = app
        .api("GET", "/api/v1/instances?page=x", Some(&staff), None)
        .await;
    problem(&res, StatusCode::BAD_REQUEST, "bad-request");

    // Move the end date; the history keeps it.
    let res = app
        .api(
            "POST",
            &format!("/api/v1/tasks/{id}/end-date"),
            Some(&staff),
            Some(json!({"end_date": "2025-06-30", "reason": "Leverandøren er forsinket"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["end_date"], "2025-06-30");
    let events = app
        .api(
            "GET",
            &format!("/api/v1/tasks/{id}/history"),
            Some(&staff),
            None,
        )
        .await
        .json();
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in ["created", "updated", "published", "end_date_changed"] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    let moved = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "end_date_changed")
        .unwrap();
    assert_eq!(moved["from_date"], "2025-05-28");
    assert_eq!(moved["to_date"], "2025-06-30");
    assert_eq!(moved["reason"], "Leverandøren er forsinket");

    // Close: statuses no longer change; a closed task cannot be withdrawn.
    let res = app
        .api(
            "POST",
            &format!("/api/v1/tasks/{id}/close"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["state"], "closed");
    let res = app
        .api(
            "PATCH",
            &path,
            Some(&a),
            Some(json!({"status": "paabegyndt"})),
        )
        .await;
    problem(&res, StatusCode::CONFLICT, "wrong-state");
    let res = app
        .api(
            "POST",
            &format!("/api/v1/tasks/{id}/withdraw"),
            Some(&staff),
            None,
        )
        .await;
    problem(&res, StatusCode::CONFLICT, "wrong-state");

    // Withdraw a draft: members never see it.
    let res = app
        .api(
            "POST",
            "/api/v1/tasks",
            Some(&staff),
            Some(task_body(&app, "W 1")),
        )
        .await;
    let w = res.json()["id"].as_i64().unwrap();
    let res = app
        .api(
            "POST",
            &format!("/api/v1/tasks/{w}/withdraw"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["state"], "withdrawn");

    // Unknown ids.
    for p in [
        "/api/v1/tasks/999999",
        "/api/v1/tasks/999999/history",
        "/api/v1/tasks/999999/follow-up",
        "/api/v1/tasks/abc",
        "/api/v1/projects/999999",
    ] {
        problem(
            &app.api("GET", p, Some(&staff), None).await,
            StatusCode::NOT_FOUND,
            "not-found",
        );
    }
    problem(
        &app.api("POST", "/api/v1/tasks/999999/close", Some(&staff), None)
            .await,
        StatusCode::NOT_FOUND,
        "not-found",
    );
}
each_backend!(full_flow, create_publish_update_follow_up);

// --- bad input changes nothing -----------------------------------------------------

async fn bad_task_input_is_refused(app: TestApp) {
    let staff = app.token("staff").await;
    let before = task_count(&app).await;
    let long = "x".repeat(201);
    let cases: Vec<(Value, Vec<(&str, &str)>)> = vec![
        (without(&app, "title"), vec![("title", "error-required")]),
        (
            with(&app, "title", json!("   ")),
            vec![("title", "error-required")],
        ),
        (
            with(&app, "title", json!(long)),
            vec![("title", "error-too-long")],
        ),
        (
            with(&app, "code", json!("c".repeat(41))),
            vec![("code", "error-too-long")],
        ),
        (
            with(&app, "guidance", json!("g".repeat(20_001))),
            vec![("guidance", "error-too-long")],
        ),
        (
            with(&app, "end_date", json!("2024-12-31")),
            vec![("end_date", "error-end-before-start")],
        ),
        (
            with(&app, "end_date", json!("28/5/2025")),
            vec![("end_date", "error-date")],
        ),
        (
            with(&app, "task_type", json!("sometimes")),
            vec![("task_type", "error-choice")],
        ),
        (
            with(&app, "project_id", json!(999_999)),
            vec![("project_id", "error-unknown-project")],
        ),
        (
            with(&app, "target_roles", json!(["Astronaut"])),
            vec![("target_roles", "error-unknown-role")],
        ),
        (
            with(&app, "title", json!("a\u{0}b")),
            vec![("title", "error-control-chars")],
        ),
        // Spoofing characters and dates no rollout has (issue 11).
        (
            with(&app, "title", json!("Etabler \u{202E}tsurt")),
            vec![("title", "error-invisible-chars")],
        ),
        (
            with(&app, "phase", json!("Klar\u{200B}gøring")),
            vec![("phase", "error-invisible-chars")],
        ),
        (
            with(&app, "title", json!("to\nlinjer")),
            vec![("title", "error-line-break")],
        ),
        (
            with(&app, "end_date", json!("0000-01-01")),
            vec![("end_date", "error-date-range")],
        ),
        (
            with(&app, "end_date", json!("-0001-12-31")),
            vec![("end_date", "error-date-range")],
        ),
        (
            with(&app, "start_date", json!("1999-12-31")),
            vec![("start_date", "error-date-range")],
        ),
        // The shape of the JSON itself.
        (
            with(&app, "colour", json!("red")),
            vec![("colour", "error-unknown-field")],
        ),
        (
            with(&app, "state", json!("published")),
            vec![("state", "error-unknown-field")],
        ),
        (
            with(&app, "title", json!(42)),
            vec![("title", "error-json-type")],
        ),
        (
            with(&app, "project_id", json!("one")),
            vec![("project_id", "error-json-type")],
        ),
        (
            with(&app, "target_roles", json!("Infrastrukturansvarlig")),
            vec![("target_roles", "error-json-type")],
        ),
        (
            {
                let mut b = task_body(&app, "T 1");
                b["target_roles"] = json!([1]);
                b
            },
            vec![("target_roles[0]", "error-json-type")],
        ),
        (json!([1, 2]), vec![(".", "error-json-type")]),
    ];
    for (body, expected) in cases {
        let res = app
            .api("POST", "/api/v1/tasks", Some(&staff), Some(body.clone()))
            .await;
        let p = problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation");
        for (f, c) in expected {
            assert!(has(&p, f, c), "{body} should give {f}/{c}: {p}");
        }
    }
    // Several problems at once are all reported.
    let res = app
        .api(
            "POST",
            "/api/v1/tasks",
            Some(&staff),
            Some(json!({"code": "", "task_type": "x", "end_date": ""})),
        )
        .await;
    let p = problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    for f in ["project_id", "code", "title", "task_type", "end_date"] {
        assert!(field_codes(&p).iter().any(|(ff, _)| ff == f), "{f}: {p}");
    }
    assert_eq!(
        p["errors"][0]["detail"].as_str().map(|d| !d.is_empty()),
        Some(true)
    );
    let too_long = app
        .api(
            "POST",
            "/api/v1/tasks",
            Some(&staff),
            Some({
                let mut b = task_body(&app, "T 1");
                b["title"] = json!(long);
                b
            }),
        )
        .await
        .json();
    assert_eq!(too_long["errors"][0]["limit"], 200);
    assert_eq!(
        too_long["errors"][0]["detail"],
        "must be at most 200 characters."
    );

    // Not JSON at all, and the wrong content type.
    for bad in ["{", "{\"title\": }", "", "title=x", "{} {}"] {
        let res = raw(
            &app,
            "POST",
            "/api/v1/tasks",
            Some(&staff),
            Some("application/json"),
            bad,
        )
        .await;
        problem(&res, StatusCode::BAD_REQUEST, "malformed-body");
    }
    // JSON nested far past serde_json's recursion limit (128), wherever
    // the nesting is: a problem (400 syntax, or 422 where the shape is
    // refused first), never a stack overflow.
    let deep =
        |open: &str, close: &str, n: usize| format!("{}1{}", open.repeat(n), close.repeat(n));
    for bad in [
        deep("[", "]", 100_000),
        deep("{\"a\":", "}", 20_000),
        format!("{{\"title\": {}}}", deep("[", "]", 100_000)),
        format!("{{\"unknown\": {}}}", deep("{\"a\":", "}", 20_000)),
    ] {
        let res = raw(
            &app,
            "POST",
            "/api/v1/tasks",
            Some(&staff),
            Some("application/json"),
            &bad,
        )
        .await;
        assert!(matches!(res.status.as_u16(), 400 | 422), "{}", res.text());
        assert_eq!(res.header("content-type"), Some(PROBLEM));
    }
    let res = raw(
        &app,
        "POST",
        "/api/v1/tasks",
        Some(&staff),
        Some("text/plain"),
        &task_body(&app, "T 1").to_string(),
    )
    .await;
    problem(
        &res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    );
    let res = raw(
        &app,
        "POST",
        "/api/v1/tasks",
        Some(&staff),
        None,
        &task_body(&app, "T 1").to_string(),
    )
    .await;
    problem(
        &res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    );
    let huge = format!("{{\"title\": \"{}\"}}", "x".repeat(300 * 1024));
    let res = raw(
        &app,
        "POST",
        "/api/v1/tasks",
        Some(&staff),
        Some("application/json"),
        &huge,
    )
    .await;
    problem(&res, StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");

    assert_eq!(task_count(&app).await, before, "no task was created");

    // Editing a draft: the same rules, and the draft stays as it was.
    let t = app.draft("E 1").await;
    let path = format!("/api/v1/tasks/{}", t.id);
    let etag = format!("\"{}\"", t.version);
    let mut body = task_body(&app, "E 1");
    body["end_date"] = json!("2024-01-01");
    let res = with_if_match(&app, "PUT", &path, &staff, &etag, body).await;
    assert!(has(
        &problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation"),
        "end_date",
        "error-end-before-start"
    ));
    let mut body = task_body(&app, "E 1");
    body["id"] = json!(1);
    let res = with_if_match(&app, "PUT", &path, &staff, &etag, body).await;
    assert!(has(
        &problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation"),
        "id",
        "error-unknown-field"
    ));
    assert_eq!(app.store.get_task(t.id).await.unwrap().unwrap(), t);

    // Projects.
    let res = app
        .api(
            "POST",
            "/api/v1/projects",
            Some(&staff),
            Some(json!({"name": ""})),
        )
        .await;
    assert!(has(
        &problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation"),
        "name",
        "error-required"
    ));
    let res = app
        .api(
            "POST",
            "/api/v1/projects",
            Some(&staff),
            Some(json!({"name": "x".repeat(201)})),
        )
        .await;
    assert!(has(
        &problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation"),
        "name",
        "error-too-long"
    ));
    let res = app
        .api(
            "POST",
            "/api/v1/projects",
            Some(&staff),
            Some(json!({"name": "P", "owner": 1})),
        )
        .await;
    assert!(has(
        &problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation"),
        "owner",
        "error-unknown-field"
    ));
    assert_eq!(app.store.list_projects().await.unwrap().len(), 2);
}
each_backend!(bad_task_input, bad_task_input_is_refused);

async fn bad_publish_and_end_date_change_nothing(app: TestApp) {
    let staff = app.token("staff").await;
    let t = app.draft("P 1").await;
    let publish = format!("/api/v1/tasks/{}/publish", t.id);
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"members": [app.fx.members[0].id.0, 999_999]}),
            "audience",
            "error-unknown-member",
        ),
        (
            json!({"regions": ["Region Atlantis"]}),
            "audience",
            "error-unknown-region",
        ),
        (
            json!({"networks": ["Vest"]}),
            "audience",
            "error-unknown-network",
        ),
        (json!({}), "audience", "error-audience-empty"),
        (json!({"members": []}), "audience", "error-audience-empty"),
        (
            json!({"audience": "all", "members": [app.fx.members[0].id.0]}),
            "audience",
            "error-audience-both",
        ),
        (json!({"audience": "everyone"}), "audience", "error-choice"),
        (
            json!({"audience": "all", "member_id": 1}),
            "member_id",
            "error-unknown-field",
        ),
        (
            json!({"members": ["Aalborg"]}),
            "members[0]",
            "error-json-type",
        ),
    ];
    for (body, field, code) in cases {
        let res = app
            .api("POST", &publish, Some(&staff), Some(body.clone()))
            .await;
        let p = problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert!(
            field_codes(&p)
                .iter()
                .any(|(f, c)| c == code && (f == field || f.starts_with(field))),
            "{body}: {p}"
        );
    }
    let res = raw(
        &app,
        "POST",
        &publish,
        Some(&staff),
        Some("application/json"),
        "{\"audience\": \"all\"",
    )
    .await;
    problem(&res, StatusCode::BAD_REQUEST, "malformed-body");
    let now = app.store.get_task(t.id).await.unwrap().unwrap();
    assert_eq!(now.state, TaskState::Draft);
    assert_eq!(now, t, "nothing changed");
    let instances = app
        .store
        .list_instances(
            Scope::All,
            &InstanceFilter {
                task_id: Some(t.id),
                ..Default::default()
            },
            PageRequest::new(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(instances.total, 0, "no instance was made");

    // A selection by region reaches exactly that region.
    let res = app
        .api(
            "POST",
            &publish,
            Some(&staff),
            Some(json!({"regions": ["Region Hovedstaden"]})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["instances"], 2);

    // End dates: before the start, malformed, no reason.
    let end = format!("/api/v1/tasks/{}/end-date", t.id);
    let before = app.store.get_task(t.id).await.unwrap().unwrap();
    for (body, field, code) in [
        (
            json!({"end_date": "2024-12-01", "reason": "Tidligere"}),
            "end_date",
            "error-end-before-start",
        ),
        (
            json!({"end_date": "next week", "reason": "Senere"}),
            "end_date",
            "error-date",
        ),
        (
            json!({"end_date": "2025-09-01", "reason": " "}),
            "reason",
            "error-required",
        ),
        (
            json!({"end_date": "2025-09-01"}),
            "reason",
            "error-required",
        ),
        (
            json!({"end_date": "2025-09-01", "reason": "r".repeat(1001)}),
            "reason",
            "error-too-long",
        ),
        (
            json!({"end_date": 20250901, "reason": "Senere"}),
            "end_date",
            "error-json-type",
        ),
    ] {
        let res = app
            .api("POST", &end, Some(&staff), Some(body.clone()))
            .await;
        let p = problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert!(has(&p, field, code), "{body}: {p}");
    }
    assert_eq!(app.store.get_task(t.id).await.unwrap().unwrap(), before);
    let events = app.store.task_history(t.id).await.unwrap();
    assert!(
        events
            .iter()
            .all(|e| e.kind != udrul_core::TaskEventKind::EndDateChanged)
    );
}
each_backend!(
    bad_publish_and_end_date,
    bad_publish_and_end_date_change_nothing
);

async fn bad_instance_updates_change_nothing(app: TestApp) {
    let t = app.published("S 1").await;
    let inst = instance_of(&app, t.id, 0).await;
    let a = app.token("a-user").await;
    let path = format!("/api/v1/instances/{}", inst.id);
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({"status": "done"}), "status", "error-choice"),
        (
            json!({"status": "ikke_relevant"}),
            "not_relevant_reason",
            "error-reason-required",
        ),
        (
            json!({"status": "ikke_relevant", "not_relevant_reason": "  "}),
            "not_relevant_reason",
            "error-reason-required",
        ),
        (
            json!({"responsible": "r".repeat(201)}),
            "responsible",
            "error-too-long",
        ),
        (json!({"doer": "d".repeat(201)}), "doer", "error-too-long"),
        (
            json!({"responsible": "Anne \u{2066}Ager\u{2069}"}),
            "responsible",
            "error-invisible-chars",
        ),
        (
            json!({"doer": "\u{FEFF}Bo\u{200D}"}),
            "doer",
            "error-invisible-chars",
        ),
        (
            json!({"status": "ikke_relevant", "not_relevant_reason": "fordi \u{202E}"}),
            "not_relevant_reason",
            "error-invisible-chars",
        ),
        (
            json!({"not_relevant_reason": "n".repeat(1001)}),
            "not_relevant_reason",
            "error-too-long",
        ),
        (
            json!({"status": "paabegyndt", "member_id": app.fx.members[1].id.0}),
            "member_id",
            "error-unknown-field",
        ),
        (
            json!({"status": "paabegyndt", "version": 1}),
            "version",
            "error-unknown-field",
        ),
        (json!({"status": 2}), "status", "error-json-type"),
        (
            json!({"responsible": ["a", "b"]}),
            "responsible",
            "error-json-type",
        ),
    ];
    for (body, field, code) in cases {
        let res = app.api("PATCH", &path, Some(&a), Some(body.clone())).await;
        let p = problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert!(has(&p, field, code), "{body}: {p}");
        // Nothing changed.
        let now = instance_of(&app, t.id, 0).await;
        assert_eq!(
            (now.version, &now.responsible, now.status),
            (inst.version, &inst.responsible, inst.status),
            "{body}"
        );
    }
    // An empty merge patch (or one of nulls) changes nothing and says so
    // with the instance as it is (RFC 7396), leaving no history.
    let version = app.api("GET", &path, Some(&a), None).await.json()["version"].clone();
    for empty in [json!({}), json!({"status": null, "doer": null})] {
        let res = app.api("PATCH", &path, Some(&a), Some(empty)).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(res.json()["version"], version);
    }
    for bad in ["{\"status\": ", "nope", ""] {
        let res = raw(
            &app,
            "PATCH",
            &path,
            Some(&a),
            Some("application/json"),
            bad,
        )
        .await;
        problem(&res, StatusCode::BAD_REQUEST, "malformed-body");
    }
    let res = raw(
        &app,
        "PATCH",
        &path,
        Some(&a),
        Some("application/x-www-form-urlencoded"),
        "status=paabegyndt",
    )
    .await;
    problem(
        &res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    );
    let res = with_if_match(
        &app,
        "PATCH",
        &path,
        &a,
        "3",
        json!({"status": "paabegyndt"}),
    )
    .await;
    problem(&res, StatusCode::BAD_REQUEST, "bad-request");

    let after = instance_of(&app, t.id, 0).await;
    assert_eq!(after, inst, "nothing changed");
    let history = app
        .store
        .instance_history(Scope::All, inst.id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        history.len() <= 1,
        "no history entries were added: {history:?}"
    );
}
each_backend!(bad_instance_updates, bad_instance_updates_change_nothing);

// --- concurrency -------------------------------------------------------------------

async fn if_match_conflicts(app: TestApp) {
    let t = app.published("C 1").await;
    let inst = instance_of(&app, t.id, 0).await;
    let a = app.token("a-user").await;
    let admin = app.token("a-admin").await;
    let path = format!("/api/v1/instances/{}", inst.id);
    let etag = app
        .api("GET", &path, Some(&a), None)
        .await
        .header("etag")
        .unwrap()
        .to_string();
    assert_eq!(etag, format!("\"{}\"", inst.version));

    // Two edits from the same version: exactly one wins.
    let first = with_if_match(
        &app,
        "PATCH",
        &path,
        &a,
        &etag,
        json!({"responsible": "Mette"}),
    )
    .await;
    let second = with_if_match(
        &app,
        "PATCH",
        &path,
        &admin,
        &etag,
        json!({"responsible": "Lars"}),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let p = problem(
        &second,
        StatusCode::PRECONDITION_FAILED,
        "precondition-failed",
    );
    let now = first.json()["version"].as_i64().unwrap();
    assert_eq!(p["current_version"], now);
    assert_eq!(second.header("etag"), Some(format!("\"{now}\"").as_str()));
    assert_eq!(instance_of(&app, t.id, 0).await.responsible, "Mette");
    // `*` matches any version.
    let res = with_if_match(
        &app,
        "PATCH",
        &path,
        &admin,
        "*",
        json!({"responsible": "Lars"}),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());

    // Concurrent: of many racing edits from one version, exactly one wins.
    let etag = app
        .api("GET", &path, Some(&a), None)
        .await
        .header("etag")
        .unwrap()
        .to_string();
    let mut handles = Vec::new();
    let app = std::sync::Arc::new(app);
    for i in 0..6 {
        let app = app.clone();
        let (a, etag, path) = (a.clone(), etag.clone(), path.clone());
        handles.push(tokio::spawn(async move {
            with_if_match(
                &app,
                "PATCH",
                &path,
                &a,
                &etag,
                json!({"doer": format!("Doer {i}")}),
            )
            .await
            .status
        }));
    }
    let mut ok = 0;
    for h in handles {
        match h.await.unwrap() {
            StatusCode::OK => ok += 1,
            StatusCode::PRECONDITION_FAILED => {}
            s => panic!("unexpected {s}"),
        }
    }
    assert_eq!(ok, 1, "exactly one racing edit wins");

    // Drafts: If-Match is required, and a stale one is refused.
    let staff = app.token("staff").await;
    let d = app.draft("C 2").await;
    let tpath = format!("/api/v1/tasks/{}", d.id);
    let res = app
        .api("PUT", &tpath, Some(&staff), Some(task_body(&app, "C 2")))
        .await;
    problem(
        &res,
        StatusCode::PRECONDITION_REQUIRED,
        "precondition-required",
    );
    let res = with_if_match(
        &app,
        "PUT",
        &tpath,
        &staff,
        &format!("\"{}\"", d.version + 7),
        task_body(&app, "C 2"),
    )
    .await;
    let p = problem(&res, StatusCode::PRECONDITION_FAILED, "precondition-failed");
    assert_eq!(p["current_version"], d.version);
    assert_eq!(app.store.get_task(d.id).await.unwrap().unwrap(), d);
    let res = with_if_match(&app, "PUT", &tpath, &staff, "*", task_body(&app, "C 2")).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    // A published task cannot be edited.
    let res = with_if_match(
        &app,
        "PUT",
        &format!("/api/v1/tasks/{}", t.id),
        &staff,
        &format!("\"{}\"", t.version),
        task_body(&app, "C 1"),
    )
    .await;
    problem(&res, StatusCode::CONFLICT, "wrong-state");
}
each_backend!(concurrency, if_match_conflicts);

// --- tenant isolation ----------------------------------------------------------------

async fn members_see_only_their_own(app: TestApp) {
    let t = app.published("I 1").await;
    let a_inst = instance_of(&app, t.id, 0).await;
    let b_inst = instance_of(&app, t.id, 1).await;
    let b = app.token("b-user").await;
    let a_path = format!("/api/v1/instances/{}", a_inst.id);

    // Another member's instance does not exist, whatever the method.
    problem(
        &app.api("GET", &a_path, Some(&b), None).await,
        StatusCode::NOT_FOUND,
        "not-found",
    );
    problem(
        &app.api("GET", &format!("{a_path}/history"), Some(&b), None)
            .await,
        StatusCode::NOT_FOUND,
        "not-found",
    );
    let res = app
        .api(
            "PATCH",
            &a_path,
            Some(&b),
            Some(json!({"status": "fuldfoert"})),
        )
        .await;
    problem(&res, StatusCode::NOT_FOUND, "not-found");
    let res = with_if_match(
        &app,
        "PATCH",
        &a_path,
        &b,
        &format!("\"{}\"", a_inst.version),
        json!({"status": "fuldfoert"}),
    )
    .await;
    problem(&res, StatusCode::NOT_FOUND, "not-found");
    assert_eq!(
        instance_of(&app, t.id, 0).await,
        a_inst,
        "A's instance is untouched"
    );

    // ... and never shows up in a list, whatever the filter.
    for q in [
        String::new(),
        format!("?task_id={}", t.id),
        format!("?member_id={}", app.fx.members[0].id.0),
        "?per_page=500".to_string(),
        "?status=ikke_paabegyndt".to_string(),
    ] {
        let list = app
            .api("GET", &format!("/api/v1/instances{q}"), Some(&b), None)
            .await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.text());
        let list = list.json();
        for item in list["items"].as_array().unwrap() {
            assert_eq!(item["member_id"], app.fx.members[1].id.0, "{q}: {item}");
            assert_ne!(item["id"], a_inst.id.0);
        }
    }
    let own = app
        .api("GET", "/api/v1/instances", Some(&b), None)
        .await
        .json();
    assert_eq!(own["total"], 1);
    assert_eq!(own["items"][0]["id"], b_inst.id.0);
    // B's own instance works.
    assert_eq!(
        app.api(
            "GET",
            &format!("/api/v1/instances/{}", b_inst.id),
            Some(&b),
            None
        )
        .await
        .status,
        StatusCode::OK
    );
    // Drafts are not shown to members, not even their instances' tasks.
    let d = app.draft("I 2").await;
    let list = app
        .api(
            "GET",
            &format!("/api/v1/instances?task_id={}", d.id),
            Some(&b),
            None,
        )
        .await
        .json();
    assert_eq!(list["total"], 0);

    // Member users may list members (names are public) but nothing central.
    assert_eq!(
        app.api("GET", "/api/v1/members", Some(&b), None)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let id = t.id.0;
    let central: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", "/api/v1/projects".into(), None),
        (
            "POST",
            "/api/v1/projects".into(),
            Some(json!({"name": "Ny"})),
        ),
        (
            "GET",
            format!("/api/v1/projects/{}", app.fx.project.id.0),
            None,
        ),
        ("GET", "/api/v1/tasks".into(), None),
        ("POST", "/api/v1/tasks".into(), Some(task_body(&app, "M 1"))),
        ("GET", format!("/api/v1/tasks/{id}"), None),
        (
            "PUT",
            format!("/api/v1/tasks/{}", d.id),
            Some(task_body(&app, "M 1")),
        ),
        (
            "POST",
            format!("/api/v1/tasks/{}/publish", d.id),
            Some(json!({"audience": "all"})),
        ),
        (
            "POST",
            format!("/api/v1/tasks/{id}/end-date"),
            Some(json!({"end_date": "2026-01-01", "reason": "x"})),
        ),
        ("POST", format!("/api/v1/tasks/{id}/close"), None),
        ("POST", format!("/api/v1/tasks/{id}/withdraw"), None),
        ("GET", format!("/api/v1/tasks/{id}/history"), None),
        ("GET", format!("/api/v1/tasks/{id}/follow-up"), None),
        // Even malformed bodies: the role is checked first.
        ("POST", "/api/v1/tasks".into(), Some(json!({"colour": 1}))),
    ];
    for user in ["a-user", "a-admin", "b-user"] {
        let tok = app.token(user).await;
        for (method, path, body) in &central {
            let res = app.api(method, path, Some(&tok), body.clone()).await;
            problem(&res, StatusCode::FORBIDDEN, "forbidden");
        }
    }
    // Nothing changed.
    assert_eq!(app.store.get_task(t.id).await.unwrap().unwrap(), t);
    assert_eq!(app.store.get_task(d.id).await.unwrap().unwrap(), d);
    assert_eq!(app.store.list_projects().await.unwrap().len(), 2);
    assert_eq!(task_count(&app).await, 2);
}
each_backend!(tenant_isolation, members_see_only_their_own);

// --- the document and its view -------------------------------------------------------------

/// Every route of `/api/v1`, kept here as the issue lists them.
const EXPECTED: &[(&str, &str)] = &[
    ("POST", "/auth/token"),
    ("DELETE", "/auth/token"),
    ("GET", "/me"),
    ("GET", "/members"),
    ("GET", "/projects"),
    ("POST", "/projects"),
    ("GET", "/projects/{id}"),
    ("GET", "/tasks"),
    ("POST", "/tasks"),
    ("GET", "/tasks/{id}"),
    ("PUT", "/tasks/{id}"),
    ("POST", "/tasks/{id}/publish"),
    ("POST", "/tasks/{id}/end-date"),
    ("POST", "/tasks/{id}/close"),
    ("POST", "/tasks/{id}/withdraw"),
    ("GET", "/tasks/{id}/history"),
    ("GET", "/tasks/{id}/follow-up"),
    ("GET", "/instances"),
    ("GET", "/instances/{id}"),
    ("PATCH", "/instances/{id}"),
    ("GET", "/instances/{id}/history"),
    ("GET", "/audit"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
];

async fn openapi_lists_every_route(app: TestApp) {
    let res = app.api("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let doc = res.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );

    let mut documented = BTreeSet::new();
    let mut op_ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let m = method.to_uppercase();
            documented.insert((m.clone(), path.clone()));
            let id = op["operationId"].as_str().unwrap().to_string();
            assert!(op_ids.insert(id.clone()), "operationId {id} twice");
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{m} {path}: no summary"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|c| c.starts_with('2')),
                "{m} {path}: no success response"
            );
            for (code, r) in responses {
                if code.starts_with('4') || code.starts_with('5') {
                    assert_eq!(
                        r["content"][PROBLEM]["schema"]["$ref"], "#/components/schemas/ProblemDto",
                        "{m} {path} {code}"
                    );
                }
            }
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if secured {
                assert!(responses.contains_key("401"), "{m} {path}");
            }
            // Every documented route exists in the router: without a token a
            // secured one answers 401, a public one anything but 404/405.
            let concrete = path.replace("{id}", "1");
            let res = app.api(&m, &format!("/api/v1{concrete}"), None, None).await;
            if secured {
                problem(&res, StatusCode::UNAUTHORIZED, "unauthorized");
            } else {
                assert!(
                    res.status != StatusCode::NOT_FOUND
                        && res.status != StatusCode::METHOD_NOT_ALLOWED,
                    "{m} {path}: {}",
                    res.status
                );
            }
        }
    }
    let expected: BTreeSet<(String, String)> = EXPECTED
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, expected);

    // The router's own list agrees with the document it serves.
    let from_code: BTreeSet<(String, String)> = udrul::api::operations(udrul::api::openapi())
        .into_iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(from_code, expected);

    // Every schema that is referenced exists.
    let text = res.text();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for part in text.split("\"#/components/schemas/").skip(1) {
        let name = &part[..part.find('"').unwrap()];
        assert!(schemas.contains_key(name), "missing schema {name}");
    }
    for s in [
        "TaskDto",
        "InstanceDto",
        "FollowUpDto",
        "MemberDto",
        "ProjectDto",
        "ProblemDto",
        "TaskRequest",
        "InstancePatch",
    ] {
        assert!(schemas.contains_key(s), "{s}");
    }
    assert_eq!(
        schemas["TaskDto"]["properties"]["end_date"]["format"],
        "date"
    );
    assert_eq!(
        schemas["TaskDto"]["properties"]["created_at"]["format"],
        "date-time"
    );
}
each_backend!(openapi_document, openapi_lists_every_route);

async fn docs_page_renders(app: TestApp) {
    let res = app
        .send(
            Request::get("/api/v1/docs")
                .header(header::HOST, "localhost")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.header("content-type").unwrap().starts_with("text/html"));
    let html = res.text();
    assert!(html.contains("<html lang=\"da\">"));
    assert!(html.contains("Godkendelse"), "Danish headings");
    assert!(html.contains("curl"), "a curl example");
    assert!(html.contains("/api/v1/auth/token"));
    assert!(!html.contains("<script"), "no script");
    for (m, p) in EXPECTED {
        assert!(
            html.contains(&format!("{m} /api/v1{p}")),
            "{m} {p} is on the page"
        );
    }
    assert!(html.contains("id=\"schema-TaskDto\""));
    assert!(html.contains("href=\"#schema-TaskDto\""));
    assert!(
        html.contains("lang=\"en\""),
        "English reference text is marked"
    );
    // Every in-page link has a target, and ids are unique.
    let mut ids = BTreeSet::new();
    for part in html.split(" id=\"").skip(1) {
        let id = &part[..part.find('"').unwrap()];
        assert!(ids.insert(id.to_string()), "duplicate id {id}");
    }
    for part in html.split("href=\"#").skip(1) {
        let target = &part[..part.find('"').unwrap()];
        assert!(ids.contains(target), "link to missing #{target}");
    }
    // Heading levels never skip.
    let mut last = 1;
    for part in html.split("<h").skip(1) {
        if let Some(level) = part.chars().next().and_then(|c| c.to_digit(10)) {
            assert!(level <= last + 1, "h{level} after h{last}");
            last = level;
        }
    }

    // English with the language cookie.
    let res = app
        .send(
            Request::get("/api/v1/docs")
                .header(header::COOKIE, "udrul_lang=en")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let html = res.text();
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Authentication"));
    assert!(
        !html.contains("lang=\"en\" "),
        "nothing marked foreign on the English page"
    );
}
each_backend!(docs_page, docs_page_renders);

async fn unknown_paths_and_methods_are_problems(app: TestApp) {
    let staff = app.token("staff").await;
    let res = app
        .api("GET", "/api/v1/nothing-here", Some(&staff), None)
        .await;
    problem(&res, StatusCode::NOT_FOUND, "not-found");
    let res = app.api("GET", "/api/v1/nothing-here", None, None).await;
    problem(&res, StatusCode::NOT_FOUND, "not-found");
    let res = app.api("DELETE", "/api/v1/tasks", Some(&staff), None).await;
    let p = problem(&res, StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
    assert_eq!(p["instance"], "/api/v1/tasks");
    assert!(res.header("allow").unwrap().contains("POST"));
    let res = app
        .api("PUT", "/api/v1/instances/1", Some(&staff), Some(json!({})))
        .await;
    problem(&res, StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
}
each_backend!(unknown_routes, unknown_paths_and_methods_are_problems);

// --- texts ------------------------------------------------------------------------------------

#[test]
fn every_operation_and_problem_has_texts_in_both_languages() {
    for lang in Lang::ALL {
        let tr = Tr::new(lang);
        for (_, _, op) in udrul::api::operations(udrul::api::openapi()) {
            let key = format!("api-op-{}", op.operation_id.as_deref().unwrap());
            assert!(tr.has(&key), "{lang:?}: {key}");
            for tag in op.tags.iter().flatten() {
                assert!(tr.has(&format!("api-tag-{tag}")), "{lang:?}: tag {tag}");
                assert!(
                    tr.has(&format!("api-tag-{tag}-description")),
                    "{lang:?}: tag {tag}"
                );
            }
        }
        for k in udrul::api::problem::ProblemKind::ALL {
            assert!(tr.has(&k.title_key()), "{lang:?}: {}", k.title_key());
        }
    }
}

#[test]
fn every_key_the_api_names_has_texts_in_both_languages() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api");
    let mut keys = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for part in text.split('"').skip(1).step_by(2) {
            let is_key = (part.starts_with("api-") || part.starts_with("error-"))
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
                && !part.ends_with('-');
            if is_key {
                keys.insert(part.to_string());
            }
        }
    }
    assert!(keys.len() > 20, "{keys:?}");
    for lang in ["da", "en"] {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang);
        let mut defined = BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            for line in std::fs::read_to_string(entry.unwrap().path())
                .unwrap()
                .lines()
            {
                if let Some((k, _)) = line.split_once(" =") {
                    defined.insert(k.trim().to_string());
                }
            }
        }
        let missing: Vec<_> = keys.iter().filter(|k| !defined.contains(*k)).collect();
        assert!(missing.is_empty(), "{lang}: {missing:?}");
    }
}

/// Found by schemathesis: the document must say what goes over the wire.
#[test]
fn the_document_names_the_wire_values() {
    let doc = serde_json::to_value(udrul::api::openapi()).unwrap();
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["ExecutionStatus"]["enum"],
        json!([
            "ikke_paabegyndt",
            "paabegyndt",
            "fuldfoert",
            "ikke_relevant"
        ])
    );
    assert_eq!(
        schemas["TaskType"]["enum"],
        json!(["obligatorisk", "obligatorisk_kritisk_vej", "valgfri"])
    );
    assert_eq!(
        schemas["TaskState"]["enum"],
        json!(["draft", "published", "closed", "withdrawn"])
    );
    // Required fields are required, text patterns refuse control characters.
    let token = &schemas["TokenRequest"];
    assert_eq!(token["required"], json!(["username", "password"]));
    let task = &schemas["TaskRequest"]["required"];
    for f in ["project_id", "code", "title", "task_type", "end_date"] {
        assert!(task.as_array().unwrap().contains(&json!(f)), "{f}");
    }
}

async fn paging_out_of_range_is_refused(app: TestApp) {
    let user = app.token("a-user").await;
    for q in ["per_page=0", "per_page=501", "page=0", "page=1000001"] {
        let res = app
            .api("GET", &format!("/api/v1/instances?{q}"), Some(&user), None)
            .await;
        problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    }
    // An empty choice is not "no filter": found by schemathesis.
    let res = app
        .api("GET", "/api/v1/instances?status=", Some(&user), None)
        .await;
    problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let admin = app.token("admin").await;
    let res = app
        .api("GET", "/api/v1/tasks?state=", Some(&admin), None)
        .await;
    problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let auditor = app.token("auditor").await;
    for q in ["limit=0", "limit=1001"] {
        let res = app
            .api("GET", &format!("/api/v1/audit?{q}"), Some(&auditor), None)
            .await;
        problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    }
}
each_backend!(paging_out_of_range, paging_out_of_range_is_refused);
