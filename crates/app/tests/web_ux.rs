//! What a new user tripped over (issue 11): error summaries that are seen
//! and focused, invalid fields marked, the member's status before long
//! guidance with the next open task after a save, ending a role holding
//! only after a confirmation, and the central task list's defaults, search
//! and paging.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use udrul_core::input::TaskInput;
use udrul_core::store::AssignmentFilter;
use udrul_core::{Task, TaskType};

/// The markup right after `<main ...>`.
fn main_start(html: &str) -> &str {
    let at = html.find("<main").expect("a <main>");
    let open_end = at + html[at..].find('>').unwrap() + 1;
    html[open_end..].trim_start()
}

/// The opening tag of the element with `id`.
fn tag_with_id<'a>(html: &'a str, id: &str) -> &'a str {
    let needle = format!("id=\"{id}\"");
    let at = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no element {id}"));
    let start = html[..at].rfind('<').unwrap();
    let end = at + html[at..].find('>').unwrap() + 1;
    &html[start..end]
}

/// An error page is 422 with the summary first in <main>, focusable and
/// autofocused, a title beginning "Fejl: ", links to the fields, and each
/// named field marked invalid and described by its error.
fn assert_error_page(res: &common::Resp, fields: &[&str]) {
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        res.text()
    );
    let html = res.text();
    let first = main_start(&html);
    assert!(
        first.starts_with("<div class=\"error-summary\""),
        "the summary is not first in <main>: {}",
        &first[..first.len().min(300)]
    );
    let summary = &first[..first.find('>').unwrap()];
    assert!(summary.contains("tabindex=\"-1\""), "{summary}");
    assert!(summary.contains("autofocus"), "{summary}");
    let title = &html[html.find("<title>").unwrap()..html.find("</title>").unwrap()];
    assert!(title.starts_with("<title>Fejl: "), "{title}");
    for f in fields {
        assert!(html.contains(&format!("href=\"#{f}\"")), "no link to {f}");
        let tag = tag_with_id(&html, f);
        assert!(tag.contains("aria-invalid=\"true\""), "{tag}");
        assert!(
            tag.contains(&format!("{f}-error")) && tag.contains("aria-describedby=\""),
            "{tag}"
        );
        assert!(
            html.contains(&format!("id=\"{f}-error\"")),
            "no error text for {f}"
        );
    }
}

async fn forms_with_errors_put_the_summary_first(app: TestApp) {
    // The member's status form: a text field too long.
    let t = app.published("E 1").await;
    let inst = app.instance_of(t.id, 0).await;
    let mut member = app.login("a-user").await;
    let path = format!("/instances/{}", inst.id);
    member.get(&path).await;
    let long = "x".repeat(201);
    let res = member
        .post(
            &path,
            &[
                ("status", "paabegyndt"),
                ("responsible", &long),
                ("doer", &long),
                ("version", &inst.version.to_string()),
            ],
        )
        .await;
    assert_error_page(&res, &["responsible", "doer"]);
    // A reason left out when "not relevant".
    let res = member
        .post(
            &path,
            &[
                ("status", "ikke_relevant"),
                ("not_relevant_reason", " "),
                ("version", &inst.version.to_string()),
            ],
        )
        .await;
    assert_error_page(&res, &["not_relevant_reason"]);

    // A central form through the shared field macros: text and date.
    let mut staff = app.login("staff").await;
    staff.get("/tasks/new").await;
    let res = staff
        .post(
            "/tasks",
            &[
                ("project_id", &app.fx.project.id.to_string()),
                ("code", ""),
                ("title", "Uden kode"),
                ("task_type", "obligatorisk"),
                ("end_date", "31-12-2026"),
            ],
        )
        .await;
    assert_error_page(&res, &["code", "end_date"]);
    // English: the title's prefix is translated.
    staff.get("/language?lang=en&next=/tasks/new").await;
    let res = staff
        .post(
            "/tasks",
            &[("project_id", &app.fx.project.id.to_string()), ("code", "")],
        )
        .await;
    assert!(res.text().contains("<title>Error: "), "{}", res.text());

    // The login form's summary comes first and is focused too.
    let mut anon = app.browser();
    anon.get("/login").await;
    let res = anon
        .post("/login", &[("username", "a-user"), ("password", "nope")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text();
    let first = main_start(&html);
    assert!(first.starts_with("<div class=\"error-summary\""), "{first}");
    assert!(first[..first.find('>').unwrap()].contains("autofocus"));
    assert!(html.contains("<title>Fejl: "));

    // Without errors: no summary, no prefix.
    let html = member.get(&path).await.text();
    assert!(!html.contains("error-summary\""), "{html}");
    assert!(!html.contains("<title>Fejl"));
}
each_backend!(error_summary_first, forms_with_errors_put_the_summary_first);

/// A published task of the fixture project ending on `end`, with guidance.
async fn task_ending(app: &TestApp, code: &str, end: &str, guidance: &str) -> Task {
    let staff = app.actor(&app.fx.staff);
    let t = app
        .store
        .create_task(
            &staff,
            TaskInput {
                project_id: app.fx.project.id,
                code: code.into(),
                title: format!("Opgave {code}"),
                purpose: "Formål".into(),
                guidance: guidance.into(),
                task_type: TaskType::Mandatory,
                phase: String::new(),
                target_roles: vec![],
                start_date: None,
                end_date: end.parse().unwrap(),
            },
        )
        .await
        .unwrap();
    app.store
        .publish_task(&staff, t.id, &udrul_core::input::Audience::All)
        .await
        .unwrap()
        .task
}

async fn status_comes_first_and_saving_offers_the_next_task(app: TestApp) {
    let long = "Et afsnit af vejledningen, der bliver ved. ".repeat(60);
    let now = task_ending(&app, "NU 1", "2026-03-01", &long).await;
    let later = task_ending(&app, "SENERE 1", "2026-09-01", "Kort vejledning.").await;
    let sooner = task_ending(&app, "SNART 1", "2026-05-01", "Kort.").await;
    let done = task_ending(&app, "FÆRDIG 1", "2026-04-01", "Kort.").await;
    let done_inst = app.instance_of(done.id, 0).await;
    let mut b = app.login("a-user").await;
    // The one ending 1 April is done already: not offered next.
    let path = format!("/instances/{}", done_inst.id);
    b.get(&path).await;
    let res = b
        .post(
            &path,
            &[
                ("status", "fuldfoert"),
                ("version", &done_inst.version.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());

    let inst = app.instance_of(now.id, 0).await;
    let path = format!("/instances/{}", inst.id);
    let html = b.get(&path).await.text();
    // The status form comes before the purpose and the guidance.
    let form = html.find("id=\"status-h\"").expect("status heading");
    let guidance = html.find("id=\"guidance-h\"").expect("guidance heading");
    let purpose = html.find("id=\"purpose-h\"").expect("purpose heading");
    assert!(form < purpose && purpose < guidance, "{html}");
    // Long guidance folds: a closed <details>.
    assert!(html.contains("<details class=\"fold\">"), "{html}");
    // Short guidance is open.
    let short = app.instance_of(later.id, 0).await;
    let html2 = b.get(&format!("/instances/{}", short.id)).await.text();
    assert!(html2.contains("<details class=\"fold\" open>"), "{html2}");

    let res = b
        .post(
            &path,
            &[
                ("status", "paabegyndt"),
                ("responsible", "Ansvarlig Person"),
                ("version", &inst.version.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let saved = b.get(&res.location()).await.text();
    assert!(saved.contains("Ændringen er gemt"), "{saved}");
    // The next open task by end date: 1 May (1 April is done; this one is
    // the current).
    let next = app.instance_of(sooner.id, 0).await;
    assert!(
        saved.contains(&format!(
            "<a href=\"/instances/{}\">Næste åbne opgave: <span class=\"code\">SNART 1</span>",
            next.id
        )),
        "{saved}"
    );
    // Responsible is shown among the facts at the top too.
    let facts = &saved[saved.find("<dl class=\"facts\">").unwrap()..];
    let facts = &facts[..facts.find("</dl>").unwrap()];
    assert!(facts.contains("Ansvarlig Person"), "{facts}");
    // Without ?saved: no offer.
    assert!(!b.get(&path).await.text().contains("Næste åbne opgave"));
}
each_backend!(
    status_first_next_task,
    status_comes_first_and_saving_offers_the_next_task
);

async fn ending_a_role_holding_asks_first(app: TestApp) {
    let a = app.fx.members[0].id;
    let sys = udrul_core::Actor::system();
    let role = app
        .store
        .create_role(
            &sys,
            udrul_core::gallery::RoleInput::parse("Sikkerhedsansvarlig", "", None, "", false)
                .unwrap(),
        )
        .await
        .unwrap();
    let p = app
        .store
        .create_person(
            &sys,
            a,
            udrul_core::gallery::PersonInput::parse("", "Dea Dahl", "", "", "", None).unwrap(),
        )
        .await
        .unwrap();
    let held = app
        .store
        .assign_role(
            &sys,
            a,
            udrul_core::gallery::AssignmentInput::parse(
                role.id.0,
                p.id.0,
                "2020-01-01",
                "",
                false,
                udrul_core::calendar::today(),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let still_open = || async {
        app.store
            .list_assignments(&AssignmentFilter {
                member: Some(a),
                role: Some(role.id),
            })
            .await
            .unwrap()
            .into_iter()
            .find(|h| h.id == held.id)
            .unwrap()
            .valid_to
            .is_none()
    };
    let mut admin = app.login("a-admin").await;
    // The gallery links to the confirmation page; no button ends it at once.
    let gallery = admin.get(&format!("/members/{a}/gallery")).await.text();
    let end = format!("/assignments/{}/end", held.id);
    assert!(
        gallery.contains(&format!("<a href=\"{end}\">")),
        "{gallery}"
    );
    // GET asks, with the day, and changes nothing.
    let page = admin.get(&end).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("Dea Dahl") && html.contains("Sikkerhedsansvarlig"),
        "{html}"
    );
    assert!(
        html.contains(&format!("value=\"{}\"", udrul_core::calendar::today())),
        "{html}"
    );
    assert!(html.contains("name=\"confirm\" value=\"1\""));
    assert!(still_open().await);
    // A POST without the confirmation (an old form) only asks.
    let res = admin.post(&end, &[]).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.text().contains("Afslut rollen"));
    assert!(still_open().await);
    // A bad date: 422 with the summary, nothing ends.
    let res = admin
        .post(&end, &[("on", "i morgen"), ("confirm", "1")])
        .await;
    assert_error_page(&res, &["on"]);
    assert!(still_open().await);
    // A member user may not end it (nor see the question).
    let mut user = app.login("a-user").await;
    assert_eq!(user.get(&end).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        user.post(&end, &[("confirm", "1")]).await.status,
        StatusCode::FORBIDDEN
    );
    // Another member's administrator: not found.
    let mut other = app.login("b-user").await;
    assert_eq!(other.get(&end).await.status, StatusCode::NOT_FOUND);
    assert!(still_open().await);
    // Confirmed: it ends.
    let res = admin
        .post(
            &end,
            &[
                ("on", &udrul_core::calendar::today().to_string()),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    assert!(!still_open().await);
}
each_backend!(end_holding_confirm, ending_a_role_holding_asks_first);

/// The task codes in the list, in order.
fn listed_codes(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<td class=\"code\"") {
        rest = &rest[at..];
        let start = rest.find('>').unwrap() + 1;
        let end = rest.find("</td>").unwrap();
        out.push(rest[start..end].to_string());
        rest = &rest[end..];
    }
    out
}

async fn the_task_list_shows_open_tasks_nearest_first_and_searches(app: TestApp) {
    // Published tasks out of date order, a draft, a closed one.
    task_ending(&app, "ÅBEN-C", "2026-10-01", "").await;
    task_ending(&app, "ÅBEN-A", "2026-02-01", "").await;
    let b = task_ending(&app, "ÅBEN-B", "2026-06-01", "").await;
    let staff_actor = app.actor(&app.fx.staff);
    let _draft = app.draft("KLADDE-1").await;
    let closed = task_ending(&app, "LUKKET-1", "2026-01-01", "").await;
    app.store
        .set_task_state(&staff_actor, closed.id, udrul_core::TaskState::Closed)
        .await
        .unwrap();
    let mut staff = app.login("staff").await;

    // Default: the open tasks, nearest end date first.
    let html = staff.get("/tasks").await.text();
    assert_eq!(
        listed_codes(&html),
        ["ÅBEN-A", "ÅBEN-B", "ÅBEN-C"],
        "{html}"
    );
    // State filter.
    let html = staff.get("/tasks?state=draft").await.text();
    assert_eq!(listed_codes(&html), ["KLADDE-1"]);
    let html = staff.get("/tasks?state=closed").await.text();
    assert_eq!(listed_codes(&html), ["LUKKET-1"]);
    let html = staff.get("/tasks?state=all").await.text();
    assert_eq!(listed_codes(&html).len(), 5, "{html}");

    // Search by code and by title, case-insensitive (also Å/å), in any state.
    let html = staff.get("/tasks?state=all&q=%C3%A5ben-b").await.text();
    assert_eq!(listed_codes(&html), ["ÅBEN-B"], "{html}");
    assert!(
        html.contains("value=\"åben-b\""),
        "the search stays in the field"
    );
    let title = format!("Opgave {}", b.code).to_uppercase();
    let html = staff
        .get(&format!(
            "/tasks?q={}",
            form_urlencoded::byte_serialize(title.as_bytes()).collect::<String>()
        ))
        .await
        .text();
    assert_eq!(listed_codes(&html), ["ÅBEN-B"], "{html}");
    // % and _ are plain characters, not wildcards.
    let html = staff.get("/tasks?state=all&q=%25").await.text();
    assert!(listed_codes(&html).is_empty(), "{html}");
    let html = staff.get("/tasks?state=all&q=%C3%85BEN_").await.text();
    assert!(listed_codes(&html).is_empty(), "{html}");
    // Project filter.
    let html = staff
        .get(&format!(
            "/tasks?state=all&project={}",
            app.fx.other_project.id
        ))
        .await
        .text();
    assert!(listed_codes(&html).is_empty(), "{html}");

    // Paging: 50 a page, the filters kept in the pager's links.
    for i in 0..52 {
        task_ending(&app, &format!("MANGE-{i:02}"), "2027-01-01", "").await;
    }
    let html = staff.get("/tasks?q=mange").await.text();
    assert_eq!(listed_codes(&html).len(), 50);
    assert!(html.contains("Side 1 af 2"), "{html}");
    let next = &html[html
        .find("rel=\"next\"")
        .expect("a next link")
        .saturating_sub(120)..];
    assert!(
        next.contains("/tasks?page=2&amp;state=published&#38;q=mange"),
        "{next}"
    );
    let html = staff
        .get("/tasks?page=2&state=published&q=mange")
        .await
        .text();
    assert_eq!(listed_codes(&html), ["MANGE-50", "MANGE-51"], "{html}");
    // A page past the end shows the last.
    let html = staff.get("/tasks?page=9&q=mange").await.text();
    assert_eq!(listed_codes(&html), ["MANGE-50", "MANGE-51"]);
}
each_backend!(
    task_list_search,
    the_task_list_shows_open_tasks_nearest_first_and_searches
);

async fn card_cells_carry_their_column(app: TestApp) {
    app.published("KORT 1").await;
    let mut b = app.login("a-user").await;
    let html = b.get("/").await.text();
    assert!(html.contains("data-label=\"Ansvarlig\""), "{html}");
    let mut staff = app.login("staff").await;
    let html = staff.get("/tasks").await.text();
    assert!(html.contains("data-label=\"Slutdato\""), "{html}");
}
each_backend!(card_labels, card_cells_carry_their_column);
