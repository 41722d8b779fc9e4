//! Who a task reaches, through the pages: the summary on the task page and
//! the publish form (before publishing), the recipients page with its
//! filters, its CSV and XLSX, and who may read them. Every test runs on
//! SQLite and, with `UDRUL_TEST_PG_URL`, on PostgreSQL.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use udrul_core::gallery::{AssignmentInput, MailboxInput, PersonInput};
use udrul_core::input::{Audience, TaskInput};
use udrul_core::{Actor, MemberId, PersonId, Task, TaskType};

const INFRA: &str = "Infrastrukturansvarlig";
const PROGRAM: &str = "KOMBIT-programleder";

async fn person(app: &TestApp, m: MemberId, name: &str, email: &str) -> PersonId {
    app.store
        .create_person(
            &Actor::system(),
            m,
            PersonInput::parse("", name, email, "", "", None).unwrap(),
        )
        .await
        .unwrap()
        .id
}

async fn hold(app: &TestApp, m: MemberId, role: &str, p: PersonId, primary: bool) {
    let role = app.store.ensure_role(role).await.unwrap();
    let today = udrul_core::calendar::today();
    let a = AssignmentInput::parse(role.id.0, p.0, "2024-01-01", "", primary, today).unwrap();
    app.store.assign_role(&Actor::system(), m, a).await.unwrap();
}

async fn general_mailbox(app: &TestApp, m: MemberId, email: &str) {
    app.store
        .create_mailbox(
            &Actor::system(),
            m,
            MailboxInput::parse(None, "Kommunens postkasse", email).unwrap(),
        )
        .await
        .unwrap();
}

/// Aalborg (A): Anne holds both target roles, primary for the programme
/// lead's; a general mailbox, unused. København (B): nobody holds either,
/// a general mailbox takes the task instead. Brøndby (C): Carl held the
/// infrastructure role but left; no general mailbox, so nobody gets it.
async fn galleries(app: &TestApp) {
    let [a, b, c] = [0, 1, 2].map(|i| app.fx.members[i].id);
    let anne = person(app, a, "Anne Ager", "anne@aalborg.example").await;
    hold(app, a, INFRA, anne, false).await;
    hold(app, a, PROGRAM, anne, true).await;
    general_mailbox(app, a, "post@aalborg.example").await;
    general_mailbox(app, b, "post@kbh.example").await;
    let carl = person(app, c, "Carl Cirk", "carl@broendby.example").await;
    hold(app, c, INFRA, carl, true).await;
    let today = udrul_core::calendar::today();
    app.store
        .person_left(
            &Actor::system(),
            carl,
            today,
            udrul_core::gallery::ChangeSource::Manual,
        )
        .await
        .unwrap();
}

/// A draft targeting both roles, by the project's staff.
async fn draft(app: &TestApp, code: &str) -> Task {
    let t = TaskInput {
        project_id: app.fx.project.id,
        code: code.into(),
        title: format!("Opgave {code}"),
        purpose: "Formål".into(),
        guidance: String::new(),
        task_type: TaskType::Mandatory,
        phase: String::new(),
        target_roles: vec![INFRA.into(), PROGRAM.into()],
        start_date: None,
        end_date: "2031-06-30".parse().unwrap(),
    };
    app.store
        .create_task(&app.actor(&app.fx.staff), t)
        .await
        .unwrap()
}

/// The part of a page from `from` on.
fn after<'a>(html: &'a str, from: &str) -> &'a str {
    &html[html
        .find(from)
        .unwrap_or_else(|| panic!("no {from} in {html}"))..]
}

async fn a_draft_shows_who_it_reaches_before_publishing(app: TestApp) {
    galleries(&app).await;
    let t = draft(&app, "R 1").await;
    let mut staff = app.login("staff").await;

    let html = staff.get(&format!("/tasks/{}", t.id)).await.text();
    // Anne once (two roles, one person); København's general mailbox;
    // Brøndby reaches nobody (Carl left and is not counted).
    assert!(
        html.contains("Når ud til én person og én postkasse hos 2 medlemmer."),
        "{html}"
    );
    assert!(html.contains(
        "2 medlemmer har ingen indehaver af en målrolle; hvor der er en fælles postkasse, får den opgaven i stedet."
    ));
    assert!(html.contains("Hos ét medlem når opgaven ingen."));
    assert!(html.contains(&format!("href=\"/tasks/{}/recipients\"", t.id)));

    // The publish form says the same before anything is published.
    let html = staff.get(&format!("/tasks/{}/publish", t.id)).await.text();
    assert!(html.contains("Hvis opgaven udgives til alle medlemmer:"));
    assert!(html.contains("Når ud til én person og én postkasse hos 2 medlemmer."));
    // Sent back with a selection (here: an unknown member besides
    // Aalborg), it counts the members selected.
    let a = app.fx.members[0].id.to_string();
    let res = staff
        .post(
            &format!("/tasks/{}/publish", t.id),
            &[
                ("audience", "selection"),
                ("members", &a),
                ("members", "999999"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text();
    assert!(html.contains("Med de valgte medlemmer:"), "{html}");
    assert!(html.contains("Når ud til én person og 0 postkasser hos ét medlem."));

    // In English.
    staff.get("/language?lang=en&next=/").await;
    let html = staff.get(&format!("/tasks/{}", t.id)).await.text();
    assert!(
        html.contains("Reaches one person and one mailbox at 2 members."),
        "{html}"
    );
    assert!(html.contains("At one member the task reaches nobody."));
}
each_backend!(
    draft_summary,
    a_draft_shows_who_it_reaches_before_publishing
);

async fn the_recipients_page_lists_people_and_mailboxes_per_member(app: TestApp) {
    galleries(&app).await;
    let t = draft(&app, "R 2").await;
    let mut staff = app.login("staff").await;
    let path = format!("/tasks/{}/recipients", t.id);
    let res = staff.get(&path).await;
    assert_eq!(res.status, StatusCode::OK);
    let html = res.text();
    let table = after(&html, "<table");
    assert!(table.contains("<caption>Modtagere pr. medlem"), "{table}");
    assert!(table.contains("<th scope=\"col\">Personer</th>"));
    // Members needing attention first (by name), then the rest.
    let pos = |s: &str| table.find(s).unwrap_or_else(|| panic!("no {s}"));
    assert!(pos("Brøndby") < pos("København") && pos("København") < pos("Aalborg"));
    assert_eq!(table.matches("kræver opmærksomhed</span>").count(), 2);
    // Anne is one line with both roles; her primary role is said in words.
    assert_eq!(table.matches(">anne@aalborg.example</a>").count(), 1);
    assert!(table.contains(
        "Anne Ager <strong>(primær)</strong> · <a href=\"mailto:anne@aalborg.example\">"
    ));
    assert!(table.contains("Infrastrukturansvarlig, KOMBIT-programleder (primær)"));
    // Aalborg's general mailbox is not needed: nothing is missing there.
    assert!(!table.contains("post@aalborg.example"));
    // København: the general mailbox, in place of both roles.
    assert!(table.contains(">post@kbh.example</a>"));
    assert!(
        table
            .contains("fælles postkasse, i stedet for Infrastrukturansvarlig, KOMBIT-programleder")
    );
    assert!(table.contains("Ingen indehaver af Infrastrukturansvarlig, KOMBIT-programleder."));
    // Brøndby: Carl left, so he is not there, and nobody gets the task.
    assert!(!table.contains("Carl"));
    assert!(table.contains("Opgaven når ingen her."));
    assert!(table.contains(
        "Ingen får den for Infrastrukturansvarlig, KOMBIT-programleder: medlemmet har ingen fælles postkasse."
    ));
    // The tabs lead here from the task page too.
    let task = staff.get(&format!("/tasks/{}", t.id)).await.text();
    assert!(task.contains(&format!("<a href=\"{path}\">Modtagere</a>")));

    // Filters: by region, by network.
    let html = staff
        .get(&format!("{path}?region=Region+Nordjylland"))
        .await
        .text();
    let table = after(&html, "<table");
    assert!(table.contains("Aalborg") && !table.contains("København"));
    assert!(html.contains("Når ud til én person og 0 postkasser hos ét medlem."));
    assert!(html.contains("recipients.csv?region=Region+Nordjylland"));
    let html = staff.get(&format!("{path}?network=Syd")).await.text();
    let table = after(&html, "<table");
    assert!(table.contains("København") && table.contains("Brøndby"));
    assert!(!table.contains("Aalborg"));
    let html = staff
        .get(&format!("{path}?region=Region+Atlantis"))
        .await
        .text();
    assert!(html.contains("Ingen medlemmer passer til filtrene."));

    // Once published to a selection, the page shows the members it went to.
    let a = app.fx.members[0].id;
    app.store
        .publish_task(
            &app.actor(&app.fx.staff),
            t.id,
            &Audience::Selection {
                members: vec![a],
                regions: Vec::new(),
                networks: Vec::new(),
            },
        )
        .await
        .unwrap();
    let html = staff.get(&path).await.text();
    assert!(html.contains("Listen viser de medlemmer, opgaven er udgivet til."));
    let table = after(&html, "<table");
    assert!(table.contains("Aalborg") && !table.contains("København"));
    assert!(html.contains(&format!("href=\"/tasks/{}/follow-up\"", t.id)));
}
each_backend!(
    recipients_page,
    the_recipients_page_lists_people_and_mailboxes_per_member
);

async fn a_task_without_target_roles_goes_to_general_mailboxes(app: TestApp) {
    galleries(&app).await;
    let mut t = TaskInput {
        project_id: app.fx.project.id,
        code: "R 3".into(),
        title: "Til alle".into(),
        purpose: String::new(),
        guidance: String::new(),
        task_type: TaskType::Optional,
        phase: String::new(),
        target_roles: Vec::new(),
        start_date: None,
        end_date: "2031-06-30".parse().unwrap(),
    };
    t.target_roles.clear();
    let t = app
        .store
        .create_task(&app.actor(&app.fx.staff), t)
        .await
        .unwrap();
    let mut staff = app.login("staff").await;
    let html = staff
        .get(&format!("/tasks/{}/recipients", t.id))
        .await
        .text();
    assert!(html.contains("Når ud til 0 personer og 2 postkasser hos 2 medlemmer."));
    assert!(html.contains("Opgaven har ingen målroller"));
    let table = after(&html, "<table");
    assert!(table.contains(">post@aalborg.example</a>") && table.contains(">post@kbh.example</a>"));
}
each_backend!(
    no_target_roles,
    a_task_without_target_roles_goes_to_general_mailboxes
);

async fn exports_hold_every_recipient_and_are_audited(app: TestApp) {
    galleries(&app).await;
    let t = draft(&app, "R 4").await;
    // A holder without an address, and a formula for a name.
    let b = app.fx.members[1].id;
    let bo = person(&app, b, "=HYPERLINK(\"x\")", "").await;
    hold(&app, b, INFRA, bo, false).await;
    let mut staff = app.login("staff").await;

    let res = staff.get(&format!("/tasks/{}/recipients.csv", t.id)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment; filename=\"modtagere-R-4.csv\"")
    );
    let text = String::from_utf8(res.body[3..].to_vec()).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "Medlemskode",
            "Medlem",
            "Region",
            "Netværk",
            "Slags",
            "Navn",
            "E-mail",
            "Roller",
            "Primær indehaver",
            "Målroller uden indehaver"
        ]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let find = |kind: &str, member: &str| {
        rows.iter()
            .find(|r| r[4] == kind && r[1] == member)
            .unwrap_or_else(|| panic!("no {kind} at {member}: {rows:?}"))
            .clone()
    };
    // Members needing attention first.
    assert_eq!(rows[0][1], "Brøndby", "{rows:?}");
    let anne = find("Person", "Aalborg");
    assert_eq!(
        anne[5..9],
        [
            "Anne Ager",
            "anne@aalborg.example",
            "Infrastrukturansvarlig, KOMBIT-programleder (primær)",
            "ja"
        ]
    );
    let general = find(
        "Fælles postkasse (i stedet for manglende indehavere)",
        "København",
    );
    assert_eq!(general[6], "post@kbh.example");
    // København still lacks the programme lead; Bo holds infrastructure
    // without an address, so that role is a gap too.
    assert_eq!(general[9], "Infrastrukturansvarlig, KOMBIT-programleder");
    let no_email = find("Indehaver uden e-mailadresse", "København");
    assert_eq!(
        no_email[5], "'=HYPERLINK(\"x\")",
        "formulas are neutralised"
    );
    let nobody = find("Ingen", "Brøndby");
    assert_eq!(nobody[5..8], ["", "", ""]);
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert!(!text.contains("carl@"), "people who left are not exported");

    let res = staff
        .get(&format!("/tasks/{}/recipients.xlsx?network=Nord", t.id))
        .await;
    assert_eq!(res.status, StatusCode::OK);
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(res.body.clone())).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let cells: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(cells.len(), 2, "header and Anne: {cells:?}");
    assert_eq!(cells[1][1], "Aalborg");
    assert_eq!(cells[1][6], "anne@aalborg.example");

    // Both downloads are in the audit log.
    let events = app
        .store
        .search_audit(&udrul_core::store::AuditFilter {
            object_type: Some("task".into()),
            object_id: Some(t.id.0),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let exports: Vec<_> = events
        .iter()
        .filter(|e| e.action == "task.recipients_export")
        .collect();
    assert_eq!(exports.len(), 2);
    assert!(exports.iter().all(|e| e.actor_id == Some(app.fx.staff.id)));
}
each_backend!(
    recipient_exports,
    exports_hold_every_recipient_and_are_audited
);

async fn central_staff_and_auditors_read_it_members_do_not(app: TestApp) {
    galleries(&app).await;
    let t = draft(&app, "R 5").await;
    let paths = [
        format!("/tasks/{}/recipients", t.id),
        format!("/tasks/{}/recipients.csv", t.id),
        format!("/tasks/{}/recipients.xlsx", t.id),
    ];
    for who in ["admin", "staff", "auditor"] {
        let mut b = app.login(who).await;
        for p in &paths {
            assert_eq!(b.get(p).await.status, StatusCode::OK, "{who} {p}");
        }
    }
    for who in ["a-user", "a-admin", "b-user"] {
        let mut b = app.login(who).await;
        for p in &paths {
            assert_eq!(b.get(p).await.status, StatusCode::FORBIDDEN, "{who} {p}");
        }
    }
    let mut anonymous = app.browser();
    let res = anonymous.get(&paths[0]).await;
    res.assert_redirect("/login");
    let mut staff = app.login("staff").await;
    assert_eq!(
        staff.get("/tasks/999999/recipients").await.status,
        StatusCode::NOT_FOUND
    );
}
each_backend!(
    recipients_access,
    central_staff_and_auditors_read_it_members_do_not
);
