//! Central staff's pages: projects, the task draft form, the task page,
//! publishing, end-date changes, closing and withdrawing, follow-up and its
//! exports. Every test runs on SQLite and, with `UDRUL_TEST_PG_URL`, on
//! PostgreSQL.

mod common;

use axum::http::StatusCode;
use common::{Browser, Resp, TestApp};
use udrul_core::store::SeedStatus;
use udrul_core::{
    ExecutionStatus, FollowUpFilter, InstanceFilter, PageRequest, Scope, TaskFilter, TaskId,
    TaskState,
};

// ------------------------------------------------------------------ helpers

async fn task_count(app: &TestApp) -> usize {
    app.store
        .list_tasks(&TaskFilter::default())
        .await
        .unwrap()
        .len()
}

async fn instance_count(app: &TestApp, task: TaskId) -> i64 {
    app.store
        .list_instances(
            Scope::All,
            &InstanceFilter {
                task_id: Some(task),
                ..Default::default()
            },
            PageRequest::new(1, 100),
        )
        .await
        .unwrap()
        .total
}

async fn state_of(app: &TestApp, task: TaskId) -> TaskState {
    app.store.get_task(task).await.unwrap().unwrap().state
}

/// The fields of a good task form for the fixture project.
fn good_task(app: &TestApp) -> Vec<(&'static str, String)> {
    vec![
        ("project_id", app.fx.project.id.0.to_string()),
        ("code", "ID 31".into()),
        (
            "title",
            "Etabler trust til Fællesskabets Adgangsstyring".into(),
        ),
        ("purpose", "Kommunen kan logge på de nye løsninger.".into()),
        (
            "guidance",
            "# Trin\n\n1. Bestil **ruter**\n2. Se [vejledningen](https://example.org)".into(),
        ),
        ("task_type", "obligatorisk_kritisk_vej".into()),
        ("phase", "Klargøring".into()),
        ("target_roles", "Infrastrukturansvarlig".into()),
        ("target_roles", "KOMBIT-programleder".into()),
        ("start_date", "2022-09-01".into()),
        ("end_date", "2022-10-05".into()),
    ]
}

fn with(
    fields: &[(&'static str, String)],
    key: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> =
        fields.iter().filter(|(k, _)| *k != key).cloned().collect();
    out.push((key, value.to_string()));
    out
}

async fn post_owned(b: &mut Browser<'_>, path: &str, fields: &[(&'static str, String)]) -> Resp {
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post(path, &refs).await
}

fn h1_count(html: &str) -> usize {
    html.matches("<h1").count()
}

/// Sets statuses directly: Aalborg done, København started, Brøndby not
/// started (with a responsible person whose name looks like a formula).
async fn spread_statuses(app: &TestApp, task: TaskId) {
    let m = &app.fx.members;
    let seed = |i: usize, status, responsible: &str| SeedStatus {
        member_id: m[i].id,
        status,
        not_relevant_reason: String::new(),
        responsible: responsible.into(),
        doer: String::new(),
    };
    app.store
        .seed_statuses(
            &app.actor(&app.fx.staff),
            task,
            &[
                seed(0, ExecutionStatus::Done, "Mette Jensen"),
                seed(1, ExecutionStatus::Started, "Lars Nielsen"),
                seed(
                    2,
                    ExecutionStatus::NotStarted,
                    "=HYPERLINK(\"http://evil.example\")",
                ),
            ],
        )
        .await
        .unwrap();
}

// ------------------------------------------------------------------ projects

async fn projects_list_create_and_refuse_duplicates(app: TestApp) {
    // Project staff read the projects but do not create them.
    let mut staff = app.login("staff").await;
    let list = staff.get("/projects").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text().contains("Fælleskommunal infrastruktur"));
    assert!(!list.text().contains("href=\"/projects/new\""));
    assert_eq!(
        staff.get("/projects/new").await.status,
        StatusCode::FORBIDDEN
    );
    let res = staff.post("/projects", &[("name", "Sygesikring")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    let mut b = app.login("admin").await;
    assert_eq!(b.get("/projects/new").await.status, StatusCode::OK);

    let res = b
        .post(
            "/projects",
            &[
                ("name", "Sygesikring"),
                ("description", "Det nye sundhedskort"),
            ],
        )
        .await;
    res.assert_redirect("/projects");
    let page = b.get(&res.location()).await.text();
    assert!(page.contains("Projektet er oprettet."));
    assert!(page.contains("Sygesikring"));

    let before = app.store.list_projects().await.unwrap().len();
    let res = b
        .post("/projects", &[("name", "Sygesikring"), ("description", "")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text().contains("Navnet er allerede i brug."),
        "{}",
        res.text()
    );
    let res = b
        .post("/projects", &[("name", "   "), ("description", "x")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().contains("Navn: skal udfyldes."));
    let long = "p".repeat(201);
    let res = b.post("/projects", &[("name", &long)]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().contains("må højst være 200 tegn."));
    assert_eq!(app.store.list_projects().await.unwrap().len(), before);
}

// ------------------------------------------------------------------ drafts

async fn create_draft_and_see_it(app: TestApp) {
    let mut b = app.login("staff").await;
    let form = b.get("/tasks/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let html = form.text();
    assert!(
        html.contains("Markdown"),
        "the guidance field says it takes Markdown"
    );
    assert!(html.contains("type=\"date\""));
    assert!(
        html.contains("KOMBIT-programleder"),
        "roles from the catalogue"
    );

    let mut fields = good_task(&app);
    fields.push(("unknown_field", "ignored".into()));
    let res = post_owned(&mut b, "/tasks", &fields).await;
    res.assert_redirect("/tasks/");
    let tasks = app.store.list_tasks(&TaskFilter::default()).await.unwrap();
    assert_eq!(tasks.len(), 1);
    let t = app.store.get_task(tasks[0].id).await.unwrap().unwrap();
    assert_eq!(t.state, TaskState::Draft);
    assert_eq!(t.code, "ID 31");
    assert_eq!(t.target_roles.len(), 2);
    assert_eq!(t.end_date.to_string(), "2022-10-05");

    let page = b.get(&res.location()).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("Kladden er oprettet."));
    assert!(html.contains("Kladde"));
    assert!(html.contains("<strong>ruter</strong>"), "guidance rendered");
    assert_eq!(
        h1_count(&html),
        1,
        "the guidance's heading is not a second h1"
    );
    assert!(html.contains("Obligatorisk på kritisk vej"));
    assert!(html.contains("Infrastrukturansvarlig, KOMBIT-programleder"));
    assert!(html.contains("5. oktober 2022"));
    assert!(html.contains("oprettet som kladde"));
    assert!(html.contains("Test staff"), "history says who");
    for action in ["/edit", "/publish", "/end-date", "/withdraw"] {
        assert!(
            html.contains(&format!("/tasks/{}{action}", t.id)),
            "{action} offered for a draft"
        );
    }
    assert!(
        !html.contains(&format!("/tasks/{}/close", t.id)),
        "a draft cannot be closed"
    );

    // The list shows open tasks by default; the draft is among all of them.
    let list = b.get("/tasks?state=all").await.text();
    assert!(list.contains("ID 31") && list.contains("Etabler trust"));
    assert!(list.contains("/tasks/new"));
}

async fn bad_task_input_is_refused_and_nothing_stored(app: TestApp) {
    let mut b = app.login("staff").await;
    b.get("/tasks/new").await;
    let good = good_task(&app);
    let long = "x".repeat(201);
    let cases: Vec<(Vec<(&'static str, String)>, &str)> = vec![
        (with(&good, "title", ""), "Titel: skal udfyldes."),
        (
            with(&good, "end_date", "2022-08-01"),
            "slutdatoen ligger før startdatoen.",
        ),
        (with(&good, "title", &long), "må højst være 200 tegn."),
        (
            with(&good, "project_id", "999999"),
            "projektet findes ikke.",
        ),
        (with(&good, "project_id", "abc"), "projektet findes ikke."),
        (
            with(&good, "target_roles", "Ukendt rolle"),
            "rollen findes ikke i rollekataloget.",
        ),
        (
            with(&good, "task_type", "somme tider"),
            "skal være et af de viste valg.",
        ),
        (with(&good, "end_date", "5/10/2022"), "skal være en dato"),
        // Spoofing characters and dates no rollout has (issue 11).
        (
            with(&good, "title", "Etabler \u{202E}tsurt"),
            "Titel: indeholder usynlige tegn eller tegn, der vender tekstretningen.",
        ),
        (
            with(&good, "code", "ID\u{200B}31"),
            "Kode: indeholder usynlige tegn eller tegn, der vender tekstretningen.",
        ),
        (
            with(&good, "end_date", "0000-01-01"),
            "Slutdato: skal ligge mellem 1. januar 2000 og 31. december 2100.",
        ),
        (
            with(&good, "end_date", "-0001-12-31"),
            "Slutdato: skal ligge mellem 1. januar 2000 og 31. december 2100.",
        ),
    ];
    for (fields, message) in cases {
        let res = post_owned(&mut b, "/tasks", &fields).await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{message}: {}",
            res.text()
        );
        let html = res.text();
        assert!(html.contains("error-summary"), "{message}");
        assert!(html.contains(message), "{message} not in: {html}");
        assert!(
            html.contains("class=\"field-error\""),
            "{message}: the error is beside the field"
        );
        // What was typed is shown again.
        assert!(html.contains("Kommunen kan logge på de nye løsninger."));
        assert_eq!(task_count(&app).await, 0, "{message}: nothing stored");
    }
}

async fn edit_a_draft(app: TestApp) {
    let t = app.draft("KLIK 03").await;
    let mut b = app.login("staff").await;
    let path = format!("/tasks/{}/edit", t.id);
    let form = b.get(&path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("Opgave KLIK 03"));
    assert!(
        form.text()
            .contains(&format!("name=\"version\" value=\"{}\"", t.version))
    );

    let mut fields = good_task(&app);
    fields.push(("version", t.version.to_string()));
    let fields = with(&fields, "title", "Ny titel");
    let res = post_owned(&mut b, &path, &fields).await;
    res.assert_redirect(&format!("/tasks/{}", t.id));
    let after = app.store.get_task(t.id).await.unwrap().unwrap();
    assert_eq!(after.title, "Ny titel");
    assert_eq!(after.state, TaskState::Draft);
    let page = b.get(&res.location()).await.text();
    assert!(page.contains("Kladden er gemt."));
    assert!(page.contains("kladden redigeret"));

    // A stale version: 409, nothing overwritten, the typed text kept.
    let stale = with(
        &with(&fields, "version", &t.version.to_string()),
        "title",
        "Forældet titel",
    );
    let res = post_owned(&mut b, &path, &stale).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(res.text().contains("Forældet titel"));
    assert!(res.text().contains("En anden har gemt kladden"));
    assert_eq!(
        app.store.get_task(t.id).await.unwrap().unwrap().title,
        "Ny titel"
    );

    // Bad input on edit: 422, nothing changed.
    let bad = with(
        &with(&fields, "version", &after.version.to_string()),
        "title",
        "",
    );
    let res = post_owned(&mut b, &path, &bad).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.store.get_task(t.id).await.unwrap().unwrap().version,
        after.version
    );

    // A published task is no longer a draft.
    let p = app.published("PUB 1").await;
    let ppath = format!("/tasks/{}/edit", p.id);
    assert_eq!(b.get(&ppath).await.status, StatusCode::CONFLICT);
    let mut fields = good_task(&app);
    fields.push(("version", p.version.to_string()));
    let res = post_owned(&mut b, &ppath, &fields).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(res.text().contains("Kun kladder kan redigeres."));
    assert_eq!(
        app.store.get_task(p.id).await.unwrap().unwrap().title,
        "Opgave PUB 1"
    );

    assert_eq!(
        b.get("/tasks/999999/edit").await.status,
        StatusCode::NOT_FOUND
    );
}

// ------------------------------------------------------------------ publishing

async fn publish_to_all(app: TestApp) {
    let t = app.draft("ALL 1").await;
    let mut b = app.login("staff").await;
    let path = format!("/tasks/{}/publish", t.id);
    let form = b.get(&path).await;
    assert_eq!(form.status, StatusCode::OK);
    let html = form.text();
    assert!(html.contains("Alle medlemmer (3)"));
    assert!(
        html.contains("<legend>Region Hovedstaden</legend>"),
        "members grouped by region"
    );
    assert!(html.contains("Brøndby (153)"));
    assert!(html.contains("value=\"Nord\""), "networks offered");

    let res = b.post(&path, &[("audience", "all")]).await;
    res.assert_redirect(&format!("/tasks/{}", t.id));
    assert_eq!(state_of(&app, t.id).await, TaskState::Published);
    assert_eq!(instance_count(&app, t.id).await, 3);
    let page = b.get(&res.location()).await.text();
    assert!(page.contains("Opgaven er udgivet."));
    assert!(page.contains("udgivet til 3 medlemmer"), "{page}");
    assert!(page.contains(&format!("/tasks/{}/follow-up", t.id)));
    assert!(page.contains(&format!("/tasks/{}/close", t.id)));
    assert!(!page.contains(&format!("/tasks/{}/edit", t.id)));

    // Publishing twice is refused.
    assert_eq!(b.get(&path).await.status, StatusCode::CONFLICT);
    let res = b.post(&path, &[("audience", "all")]).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(instance_count(&app, t.id).await, 3);
}

async fn publish_to_a_selection(app: TestApp) {
    let mut b = app.login("staff").await;
    let m = &app.fx.members;
    async fn members_of(app: &TestApp, t: TaskId) -> Vec<String> {
        let fu = app
            .store
            .follow_up(t, &FollowUpFilter::default())
            .await
            .unwrap();
        let mut names: Vec<String> = fu.not_done.into_iter().map(|r| r.member_name).collect();
        names.sort();
        names
    }

    let region = app.draft("REG 1").await;
    let path = format!("/tasks/{}/publish", region.id);
    b.get(&path).await;
    let res = b
        .post(
            &path,
            &[("audience", "selection"), ("regions", "Region Hovedstaden")],
        )
        .await;
    res.assert_redirect(&format!("/tasks/{}", region.id));
    assert_eq!(
        members_of(&app, region.id).await,
        vec!["Brøndby", "København"]
    );
    assert!(
        b.get(&res.location())
            .await
            .text()
            .contains("udgivet til 2 medlemmer")
    );

    let network = app.draft("NET 1").await;
    let path = format!("/tasks/{}/publish", network.id);
    let res = b
        .post(&path, &[("audience", "selection"), ("networks", "Nord")])
        .await;
    res.assert_redirect("/tasks/");
    assert_eq!(members_of(&app, network.id).await, vec!["Aalborg"]);

    let union = app.draft("MIX 1").await;
    let path = format!("/tasks/{}/publish", union.id);
    let brondby = m[2].id.to_string();
    let aalborg = m[0].id.to_string();
    let res = b
        .post(
            &path,
            &[
                ("audience", "selection"),
                ("members", &brondby),
                ("members", &aalborg),
            ],
        )
        .await;
    res.assert_redirect("/tasks/");
    assert_eq!(members_of(&app, union.id).await, vec!["Aalborg", "Brøndby"]);
}

async fn bad_audience_changes_nothing(app: TestApp) {
    let t = app.draft("BAD 1").await;
    let mut b = app.login("staff").await;
    let path = format!("/tasks/{}/publish", t.id);
    b.get(&path).await;
    let known = app.fx.members[0].id.to_string();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("audience", "selection"), ("members", "999999")],
            "et af de valgte medlemmer findes ikke.",
        ),
        (
            vec![
                ("audience", "selection"),
                ("members", &known),
                ("members", "999999"),
            ],
            "et af de valgte medlemmer findes ikke.",
        ),
        (
            vec![("audience", "selection"), ("members", "abc")],
            "et af de valgte medlemmer findes ikke.",
        ),
        (
            vec![("audience", "selection"), ("regions", "Region Atlantis")],
            "regionen findes ikke.",
        ),
        (
            vec![("audience", "selection")],
            "vælg mindst ét medlem, en region eller et netværk.",
        ),
        (
            vec![("audience", "all"), ("regions", "Region Hovedstaden")],
            "vælg enten alle medlemmer",
        ),
        (vec![], "vælg mindst ét medlem"),
    ];
    for (fields, message) in cases {
        let res = b.post(&path, &fields).await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{fields:?}: {}",
            res.text()
        );
        assert!(
            res.text().contains(message),
            "{message} not in {}",
            res.text()
        );
        assert!(res.text().contains("error-summary"));
        assert_eq!(state_of(&app, t.id).await, TaskState::Draft, "{fields:?}");
        assert_eq!(instance_count(&app, t.id).await, 0, "{fields:?}");
    }
    // What was ticked stays ticked.
    let res = b
        .post(
            &path,
            &[
                ("audience", "selection"),
                ("members", &known),
                ("members", "999999"),
            ],
        )
        .await;
    assert!(res.text().contains(&format!("value=\"{known}\" checked")));
}

// ------------------------------------------------------------------ end date, close, withdraw

async fn end_date_change_keeps_history(app: TestApp) {
    let t = app.published("END 1").await;
    let mut b = app.login("staff").await;
    let path = format!("/tasks/{}/end-date", t.id);
    let form = b.get(&path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("value=\"2025-06-30\""));

    for (fields, message) in [
        (
            vec![("end_date", "2025-07-31"), ("reason", "  ")],
            "Begrundelse: skal udfyldes.",
        ),
        (
            vec![("end_date", "2024-12-01"), ("reason", "For tidligt")],
            "slutdatoen ligger før startdatoen.",
        ),
        (
            vec![("end_date", "i morgen"), ("reason", "Forkert format")],
            "skal være en dato",
        ),
        (
            vec![("end_date", "0000-12-31"), ("reason", "Langt ude")],
            "skal ligge mellem 1. januar 2000 og 31. december 2100.",
        ),
        (
            vec![
                ("end_date", "2025-07-31"),
                ("reason", "Se \u{2067}her\u{2069}"),
            ],
            "Begrundelse: indeholder usynlige tegn eller tegn, der vender tekstretningen.",
        ),
    ] {
        let res = b.post(&path, &fields).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(res.text().contains(message), "{message}: {}", res.text());
        assert_eq!(
            app.store
                .get_task(t.id)
                .await
                .unwrap()
                .unwrap()
                .end_date
                .to_string(),
            "2025-06-30"
        );
    }

    let res = b
        .post(
            &path,
            &[
                ("end_date", "2025-07-31"),
                ("reason", "Leverandøren er forsinket"),
            ],
        )
        .await;
    res.assert_redirect(&format!("/tasks/{}", t.id));
    assert_eq!(
        app.store
            .get_task(t.id)
            .await
            .unwrap()
            .unwrap()
            .end_date
            .to_string(),
        "2025-07-31"
    );
    let res = b
        .post(
            &path,
            &[
                ("end_date", "2025-08-29"),
                ("reason", "Ny frist fra KOMBIT"),
            ],
        )
        .await;
    res.assert_redirect("/tasks/");
    let page = b.get(&format!("/tasks/{}", t.id)).await.text();
    assert!(page.contains("Slutdatoen er ændret.") || page.contains("29. august 2025"));
    assert!(
        page.contains(
            "slutdato ændret fra 30. juni 2025 til 31. juli 2025: Leverandøren er forsinket"
        ),
        "{page}"
    );
    assert!(
        page.contains("slutdato ændret fra 31. juli 2025 til 29. august 2025: Ny frist fra KOMBIT")
    );
    assert!(page.contains("29. august 2025"));
}

async fn close_withdraw_and_refused_transitions(app: TestApp) {
    let mut b = app.login("staff").await;

    let p = app.published("CLOSE 1").await;
    let confirm = b.get(&format!("/tasks/{}/close", p.id)).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.text().contains("Luk opgaven?"));
    assert!(confirm.text().contains("method=\"post\""));
    assert_eq!(
        state_of(&app, p.id).await,
        TaskState::Published,
        "the GET page changes nothing"
    );
    let res = b.post(&format!("/tasks/{}/close", p.id), &[]).await;
    res.assert_redirect(&format!("/tasks/{}", p.id));
    assert_eq!(state_of(&app, p.id).await, TaskState::Closed);
    let page = b.get(&res.location()).await.text();
    assert!(page.contains("Opgaven er lukket."));
    assert!(page.contains("Lukket"));
    // A closed task still has its follow-up, and nothing else.
    assert_eq!(
        b.get(&format!("/tasks/{}/follow-up", p.id)).await.status,
        StatusCode::OK
    );
    for (method, suffix) in [
        ("post", "close"),
        ("post", "withdraw"),
        ("get", "close"),
        ("get", "withdraw"),
        ("get", "edit"),
        ("get", "publish"),
        ("get", "end-date"),
    ] {
        let path = format!("/tasks/{}/{suffix}", p.id);
        let res = if method == "get" {
            b.get(&path).await
        } else {
            b.post(&path, &[]).await
        };
        assert_eq!(
            res.status,
            StatusCode::CONFLICT,
            "{method} {suffix} on a closed task"
        );
    }
    let res = b
        .post(
            &format!("/tasks/{}/end-date", p.id),
            &[("end_date", "2026-01-01"), ("reason", "x")],
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(state_of(&app, p.id).await, TaskState::Closed);

    let d = app.draft("DRAFT 1").await;
    assert_eq!(
        b.get(&format!("/tasks/{}/close", d.id)).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        b.post(&format!("/tasks/{}/close", d.id), &[]).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        b.get(&format!("/tasks/{}/follow-up", d.id)).await.status,
        StatusCode::CONFLICT
    );
    let confirm = b.get(&format!("/tasks/{}/withdraw", d.id)).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.text().contains("Træk opgaven tilbage?"));
    let res = b.post(&format!("/tasks/{}/withdraw", d.id), &[]).await;
    res.assert_redirect("/tasks/");
    assert_eq!(state_of(&app, d.id).await, TaskState::Withdrawn);
    let page = b.get(&format!("/tasks/{}", d.id)).await.text();
    assert!(page.contains("trukket tilbage"));
    assert!(page.contains("Opgaven kan ikke ændres i denne tilstand."));
    assert_eq!(
        b.post(&format!("/tasks/{}/withdraw", d.id), &[])
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        b.post(&format!("/tasks/{}/publish", d.id), &[("audience", "all")])
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(instance_count(&app, d.id).await, 0);

    let pw = app.published("WD 1").await;
    let res = b.post(&format!("/tasks/{}/withdraw", pw.id), &[]).await;
    res.assert_redirect("/tasks/");
    assert_eq!(state_of(&app, pw.id).await, TaskState::Withdrawn);

    assert_eq!(
        b.post("/tasks/999999/close", &[]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(b.get("/tasks/999999").await.status, StatusCode::NOT_FOUND);

    // The list filters by state.
    let closed = b.get("/tasks?state=closed").await.text();
    assert!(closed.contains("CLOSE 1") && !closed.contains("DRAFT 1"));
    let withdrawn = b.get("/tasks?state=withdrawn&project=").await.text();
    assert!(
        withdrawn.contains("DRAFT 1")
            && withdrawn.contains("WD 1")
            && !withdrawn.contains("CLOSE 1")
    );
    let garbage = b.get("/tasks?state=all&project=abc").await;
    assert_eq!(
        garbage.status,
        StatusCode::OK,
        "a meaningless filter is no filter"
    );
    assert!(garbage.text().contains("CLOSE 1") && garbage.text().contains("DRAFT 1"));
    // A meaningless state is the default: the open tasks.
    let garbage = b.get("/tasks?state=nonsense").await;
    assert_eq!(garbage.status, StatusCode::OK);
    assert!(!garbage.text().contains("CLOSE 1") && !garbage.text().contains("DRAFT 1"));
}

// ------------------------------------------------------------------ follow-up

async fn follow_up_counts_filters_and_list(app: TestApp) {
    let t = app.published("ID 31").await;
    spread_statuses(&app, t.id).await;
    let mut b = app.login("staff").await;
    let path = format!("/tasks/{}/follow-up", t.id);
    let res = b.get(&path).await;
    assert_eq!(res.status, StatusCode::OK);
    let html = res.text();
    assert!(html.contains(
        "Status for 3 medlemmer: 1 fuldført, 1 påbegyndt, 1 ikke påbegyndt og 0 ikke relevant."
    ));
    assert!(html.contains("role=\"img\""));
    assert_eq!(
        html.matches("<pattern ").count(),
        4,
        "one pattern per status"
    );
    assert_eq!(
        html.matches("fill=\"url(#pat-").count(),
        3 + 4,
        "three segments, four legend swatches"
    );
    assert!(html.contains("33 %"));
    assert!(!html.contains(" style="), "no inline styles (CSP)");
    assert_eq!(h1_count(&html), 1);
    assert!(html.contains("2 medlemmer er ikke færdige"));
    assert!(html.contains("København") && html.contains("Brøndby"));
    assert!(
        !html.contains("Aalborg"),
        "done members are not in the list"
    );
    assert!(html.contains("aria-current=\"page\""));
    assert!(html.contains(&format!("/tasks/{}/follow-up.csv", t.id)));
    assert!(html.contains(&format!("/tasks/{}/follow-up.xlsx", t.id)));

    // The list links to each member's instance, which central staff can open.
    let fu = app
        .store
        .follow_up(t.id, &FollowUpFilter::default())
        .await
        .unwrap();
    for row in &fu.not_done {
        let href = format!("/instances/{}", row.instance_id);
        assert!(html.contains(&href));
        let inst = b.get(&href).await;
        assert_eq!(inst.status, StatusCode::OK);
        assert!(inst.text().contains(&row.member_name));
        // "Jeres" is for the member's own people, not for central staff.
        assert!(!inst.text().contains("Jeres status"));
        assert!(inst.text().contains("Medlemmets status"));
    }

    // Filters: the counts and the list follow them, and so do the exports.
    let html = b
        .get(&format!("{path}?region=Region+Hovedstaden&network="))
        .await
        .text();
    assert!(html.contains(
        "Status for 2 medlemmer: 0 fuldført, 1 påbegyndt, 1 ikke påbegyndt og 0 ikke relevant."
    ));
    assert!(html.contains("follow-up.csv?region=Region+Hovedstaden"));
    assert!(html.contains("<option value=\"Region Hovedstaden\" selected>"));
    let html = b.get(&format!("{path}?network=Nord")).await.text();
    assert!(html.contains("Status for ét medlem") || html.contains("Status for 1 medlem"));
    assert!(html.contains("Alle medlemmer har fuldført opgaven"));
    let html = b
        .get(&format!("{path}?region=Region+Atlantis"))
        .await
        .text();
    assert!(html.contains("Ingen medlemmer passer til filtrene."));

    // In English.
    b.get("/language?lang=en&next=/").await;
    let html = b.get(&path).await.text();
    assert!(
        html.contains("Status of 3 members: 1 done, 1 started, 1 not started and 0 not relevant.")
    );
    assert!(html.contains("33%"));
}

async fn csv_and_xlsx_exports(app: TestApp) {
    let t = app.published("ID 31").await;
    spread_statuses(&app, t.id).await;
    let mut b = app.login("staff").await;

    let res = b.get(&format!("/tasks/{}/follow-up.csv", t.id)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment; filename=\"opfoelgning-ID-31.csv\"")
    );
    assert!(res.body.starts_with(b"\xEF\xBB\xBF"), "BOM for Excel");
    let text = String::from_utf8(res.body[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "Medlemskode;Medlem;Region;Netværk;Status;Ansvarlig;Udfører;Senest ændret"
    );
    assert_eq!(
        lines.len(),
        3,
        "header and the two members not done: {text}"
    );
    assert!(text.contains("101;København;Region Hovedstaden;Syd;Påbegyndt;Lars Nielsen;"));
    assert!(
        text.contains("153;Brøndby;Region Hovedstaden;Syd;Ikke påbegyndt;\"'=HYPERLINK("),
        "formula neutralised: {text}"
    );
    assert!(!text.contains("Aalborg"));

    let res = b
        .get(&format!(
            "/tasks/{}/follow-up.csv?region=Region+Nordjylland",
            t.id
        ))
        .await;
    let text = String::from_utf8(res.body[3..].to_vec()).unwrap();
    assert_eq!(text.lines().count(), 1, "only the header: Aalborg is done");

    let res = b
        .get(&format!("/tasks/{}/follow-up.xlsx?network=Syd", t.id))
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        res.header("content-type"),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment; filename=\"opfoelgning-ID-31.xlsx\"")
    );
    use calamine::{Reader, Xlsx};
    let mut wb: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(res.body.clone())).unwrap();
    let sheet = wb.sheet_names()[0].clone();
    assert_eq!(sheet, "ID 31");
    let range = wb.worksheet_range(&sheet).unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[0][1], "Medlem");
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .any(|r| r[1] == "Brøndby" && r[5] == "=HYPERLINK(\"http://evil.example\")"),
        "{rows:?}"
    );

    // Headers and statuses in the visitor's language.
    b.get("/language?lang=en&next=/").await;
    let res = b.get(&format!("/tasks/{}/follow-up.csv", t.id)).await;
    let text = String::from_utf8(res.body[3..].to_vec()).unwrap();
    assert!(
        text.starts_with("Member code;Member;Region;Network;Status;Responsible;Doer;Last changed"),
        "{text}"
    );
    assert!(text.contains(";Not started;"));
    assert!(
        res.header("content-disposition")
            .unwrap()
            .contains("follow-up-ID-31.csv")
    );

    let d = app.draft("DRAFT").await;
    assert_eq!(
        b.get(&format!("/tasks/{}/follow-up.csv", d.id))
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        b.get("/tasks/999999/follow-up.xlsx").await.status,
        StatusCode::NOT_FOUND
    );
}

// ------------------------------------------------------------------ access and CSRF

async fn posts_without_csrf_are_refused(app: TestApp) {
    let d = app.draft("CSRF 1").await;
    let p = app.published("CSRF 2").await;
    let mut b = app.login("staff").await;
    let projects = app.store.list_projects().await.unwrap().len();
    let tasks = task_count(&app).await;
    let good = good_task(&app);
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let cases: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/projects".into(), vec![("name", "Uden token")]),
        ("/tasks".into(), good.clone()),
        (format!("/tasks/{}/edit", d.id), good.clone()),
        (
            format!("/tasks/{}/publish", d.id),
            vec![("audience", "all")],
        ),
        (
            format!("/tasks/{}/end-date", p.id),
            vec![("end_date", "2025-12-31"), ("reason", "x")],
        ),
        (format!("/tasks/{}/close", p.id), vec![]),
        (format!("/tasks/{}/withdraw", d.id), vec![]),
        (
            format!("/tasks/{}/withdraw", p.id),
            vec![("csrf", "forged")],
        ),
    ];
    for (path, fields) in cases {
        let res = b.post_raw(&path, &fields).await;
        assert_eq!(
            res.status,
            StatusCode::FORBIDDEN,
            "POST {path} without CSRF"
        );
    }
    assert_eq!(app.store.list_projects().await.unwrap().len(), projects);
    assert_eq!(task_count(&app).await, tasks);
    let d2 = app.store.get_task(d.id).await.unwrap().unwrap();
    assert_eq!((d2.state, d2.version), (TaskState::Draft, d.version));
    let p2 = app.store.get_task(p.id).await.unwrap().unwrap();
    assert_eq!((p2.state, p2.end_date), (TaskState::Published, p.end_date));
    assert_eq!(instance_count(&app, d.id).await, 0);
}

/// Every central route, as (method, path).
fn central_routes(draft: TaskId, published: TaskId) -> Vec<(&'static str, String)> {
    let mut r = vec![
        ("GET", "/projects".to_string()),
        ("GET", "/projects/new".to_string()),
        ("POST", "/projects".to_string()),
        ("GET", "/tasks".to_string()),
        ("GET", "/tasks/new".to_string()),
        ("POST", "/tasks".to_string()),
    ];
    for id in [draft, published] {
        for (m, suffix) in [
            ("GET", ""),
            ("GET", "/edit"),
            ("POST", "/edit"),
            ("GET", "/publish"),
            ("POST", "/publish"),
            ("GET", "/end-date"),
            ("POST", "/end-date"),
            ("GET", "/close"),
            ("POST", "/close"),
            ("GET", "/withdraw"),
            ("POST", "/withdraw"),
            ("GET", "/follow-up"),
            ("GET", "/follow-up?region=Region+Hovedstaden"),
            ("GET", "/follow-up.csv"),
            ("GET", "/follow-up.xlsx"),
        ] {
            r.push((m, format!("/tasks/{id}{suffix}")));
        }
    }
    r
}

async fn members_get_403_everywhere(app: TestApp) {
    let d = app.draft("MEM 1").await;
    let p = app.published("MEM 2").await;
    let tasks = task_count(&app).await;
    let good = good_task(&app);
    let mut fields: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    fields.extend([
        ("audience", "all"),
        ("name", "Medlemmets projekt"),
        ("reason", "x"),
    ]);
    for user in ["a-user", "a-admin", "b-user"] {
        let mut b = app.login(user).await;
        for (method, path) in central_routes(d.id, p.id) {
            let res = if method == "GET" {
                b.get(&path).await
            } else {
                b.post(&path, &fields).await
            };
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{user}: {method} {path}");
            assert!(
                !res.text().contains("MEM 1"),
                "{user}: {method} {path} leaks the draft"
            );
        }
    }
    // Nothing changed.
    assert_eq!(task_count(&app).await, tasks);
    assert_eq!(app.store.list_projects().await.unwrap().len(), 2);
    let d2 = app.store.get_task(d.id).await.unwrap().unwrap();
    assert_eq!((d2.state, d2.version), (TaskState::Draft, d.version));
    let p2 = app.store.get_task(p.id).await.unwrap().unwrap();
    assert_eq!((p2.state, p2.end_date), (TaskState::Published, p.end_date));

    // Anonymous visitors are sent to the login page.
    let mut anon = app.browser();
    for (method, path) in central_routes(d.id, p.id) {
        if method != "GET" {
            continue;
        }
        let res = anon.get(&path).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "anonymous GET {path}");
        assert!(
            res.location().starts_with("/login?next="),
            "anonymous GET {path}"
        );
    }
}

/// Every central page: one h1, no inline style, labelled inputs, in both
/// languages.
async fn pages_are_well_formed(app: TestApp) {
    let d = app.draft("A11Y 1").await;
    let p = app.published("A11Y 2").await;
    spread_statuses(&app, p.id).await;
    let mut b = app.login("admin").await;
    for lang in ["da", "en"] {
        b.get(&format!("/language?lang={lang}&next=/")).await;
        for (method, path) in central_routes(d.id, p.id) {
            if method != "GET" || path.contains(".csv") || path.contains(".xlsx") {
                continue;
            }
            let res = b.get(&path).await;
            if res.status == StatusCode::CONFLICT {
                continue; // e.g. closing a draft: the error page
            }
            assert_eq!(res.status, StatusCode::OK, "{lang} {path}");
            let html = res.text();
            assert_eq!(h1_count(&html), 1, "{lang} {path}");
            assert!(!html.contains(" style="), "{lang} {path}");
            assert!(!html.contains("<style"), "{lang} {path}");
            assert!(html.contains(&format!("<html lang=\"{lang}\"")));
            // Every visible input has a label pointing at its id.
            let mut rest = html.as_str();
            while let Some(i) = rest.find("<input ") {
                rest = &rest[i + 7..];
                let tag = &rest[..rest.find('>').unwrap()];
                if tag.contains("type=\"hidden\"") {
                    continue;
                }
                let id = tag
                    .split("id=\"")
                    .nth(1)
                    .map(|s| &s[..s.find('"').unwrap()]);
                let id = id.unwrap_or_else(|| panic!("{path}: input without id: {tag}"));
                assert!(
                    html.contains(&format!("for=\"{id}\"")),
                    "{lang} {path}: no label for {id}"
                );
            }
            // No untranslated keys.
            for key in ["task-", "follow-up-", "project-", "field-", "col-"] {
                assert!(
                    !html.contains(&format!(">{key}")),
                    "{lang} {path}: a raw key {key}…"
                );
            }
        }
    }
}

each_backend!(
    projects_list_create_and_refuse_duplicates_t,
    projects_list_create_and_refuse_duplicates
);
each_backend!(create_draft_and_see_it_t, create_draft_and_see_it);
each_backend!(
    bad_task_input_is_refused_and_nothing_stored_t,
    bad_task_input_is_refused_and_nothing_stored
);
each_backend!(edit_a_draft_t, edit_a_draft);
each_backend!(publish_to_all_t, publish_to_all);
each_backend!(publish_to_a_selection_t, publish_to_a_selection);
each_backend!(bad_audience_changes_nothing_t, bad_audience_changes_nothing);
each_backend!(
    end_date_change_keeps_history_t,
    end_date_change_keeps_history
);
each_backend!(
    close_withdraw_and_refused_transitions_t,
    close_withdraw_and_refused_transitions
);
each_backend!(
    follow_up_counts_filters_and_list_t,
    follow_up_counts_filters_and_list
);
each_backend!(csv_and_xlsx_exports_t, csv_and_xlsx_exports);
each_backend!(
    posts_without_csrf_are_refused_t,
    posts_without_csrf_are_refused
);
each_backend!(members_get_403_everywhere_t, members_get_403_everywhere);
each_backend!(pages_are_well_formed_t, pages_are_well_formed);
