//! The role catalogue, a member's role gallery, people, mailboxes and
//! contact list, through the pages. Every test runs on SQLite and, with
//! `UDRUL_TEST_PG_URL`, on PostgreSQL.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use udrul_core::gallery::Filled;
use udrul_core::store::AssignmentFilter;

/// The id in a `Location` such as `/roles/7?saved=1`.
fn id_in(location: &str, prefix: &str) -> i64 {
    location
        .strip_prefix(prefix)
        .and_then(|r| r.split(['?', '/']).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no id in {location}"))
}

async fn catalogue_is_kept_by_central_administrators(app: TestApp) {
    let mut admin = app.login("admin").await;
    let page = admin.get("/roles/new").await;
    assert_eq!(page.status, StatusCode::OK);
    let project = app.fx.project.id.to_string();
    let res = admin
        .post(
            "/roles",
            &[
                ("name", "Systemansvarlig for SAPA"),
                ("description", "Ansvarlig for løsningen i kommunen."),
                ("project_id", &project),
                ("max_holders", "2"),
                ("required", "1"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let role = id_in(&res.location(), "/roles/");
    let shown = admin.get(&format!("/roles/{role}?saved=1")).await;
    let html = shown.text();
    assert!(html.contains("Rollen er gemt"), "{html}");
    assert!(html.contains(&app.fx.project.name));
    // Nobody has it: every member lacks it.
    assert!(html.contains("3 medlemmer mangler rollen"), "{html}");

    // Bad input: a clear form error, nothing stored.
    let before = app.store.list_roles().await.unwrap().len();
    for (fields, field) in [
        (vec![("name", "Systemansvarlig for SAPA")], "name"),
        (vec![("name", "X"), ("max_holders", "0")], "max_holders"),
        (vec![("name", "  ")], "name"),
    ] {
        let res = admin.post("/roles", &fields).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(
            res.text().contains(&format!("href=\"#{field}\"")),
            "{field}: {}",
            res.text()
        );
    }
    assert_eq!(app.store.list_roles().await.unwrap().len(), before);

    // Editing: the limit and the flag change.
    let res = admin
        .post(
            &format!("/roles/{role}"),
            &[("name", "Systemansvarlig for SAPA"), ("max_holders", "1")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let r = app
        .store
        .get_role(udrul_core::RoleId(role))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.max_holders, r.required, r.project_id),
        (Some(1), false, None)
    );

    // Staff and auditors read the catalogue but do not change it.
    for who in ["staff", "auditor"] {
        let mut b = app.login(who).await;
        assert_eq!(b.get("/roles").await.status, StatusCode::OK, "{who}");
        assert_eq!(
            b.get(&format!("/roles/{role}")).await.status,
            StatusCode::OK
        );
        let res = b.post("/roles", &[("name", "Ny")]).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(b.get("/roles/new").await.status, StatusCode::FORBIDDEN);
    }
    // Members do not see the catalogue pages.
    let mut member = app.login("a-admin").await;
    assert_eq!(member.get("/roles").await.status, StatusCode::FORBIDDEN);
}
each_backend!(catalogue_pages, catalogue_is_kept_by_central_administrators);

async fn a_member_administrator_keeps_the_gallery(app: TestApp) {
    let a = app.fx.members[0].id;
    let sys = udrul_core::Actor::system();
    let required = app
        .store
        .create_role(
            &sys,
            udrul_core::gallery::RoleInput::parse("Infrastrukturkontakt", "", None, "1", true)
                .unwrap(),
        )
        .await
        .unwrap();
    let mut admin = app.login("a-admin").await;
    let gallery = format!("/members/{a}/gallery");

    // The required role is empty: the gallery warns.
    let html = admin.get(&gallery).await.text();
    assert!(html.contains("Roller, der mangler en indehaver"), "{html}");
    assert!(html.contains("ingen har den"));

    // A person with a bad e-mail is refused with a form error; a good one is added.
    let people = format!("/members/{a}/people");
    let res = admin
        .post(
            &people,
            &[("name", "Anne Ager"), ("email", "anne(at)kommune")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().contains("href=\"#email\""));
    assert!(app.store.list_people(a).await.unwrap().is_empty());
    for (name, email) in [
        ("Anne Ager", "anne@kommune.example"),
        ("Bo Bak", "bo@kommune.example"),
    ] {
        let res = admin
            .post(
                &people,
                &[("name", name), ("email", email), ("phone", "12345678")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    }
    let all = app.store.list_people(a).await.unwrap();
    let anne = all
        .iter()
        .find(|p| p.name == "Anne Ager")
        .unwrap()
        .id
        .to_string();
    let bo = all
        .iter()
        .find(|p| p.name == "Bo Bak")
        .unwrap()
        .id
        .to_string();
    let role = required.id.to_string();

    // Anne gets the role (primary); Bo as well would be two holders of a
    // one-holder role: a form error on the person.
    let res = admin
        .post(
            &gallery,
            &[
                ("role_id", &role),
                ("person_id", &anne),
                ("is_primary", "1"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let res = admin
        .post(&gallery, &[("role_id", &role), ("person_id", &bo)])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text().contains("højeste antal indehavere"),
        "{}",
        res.text()
    );
    // Missing fields and a to-date before the from-date: field errors.
    let res = admin
        .post(
            &gallery,
            &[
                ("role_id", ""),
                ("person_id", &bo),
                ("valid_from", "2026-05-01"),
                ("valid_to", "2026-04-01"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = res.text();
    assert!(
        text.contains("href=\"#role_id\"") && text.contains("href=\"#valid_to\""),
        "{text}"
    );

    // The gallery no longer warns; the contact list shows Anne.
    let html = admin.get(&gallery).await.text();
    assert!(!html.contains("Roller, der mangler en indehaver"), "{html}");
    let contacts = admin.get(&format!("/members/{a}/contacts")).await.text();
    assert!(contacts.contains("Anne Ager") && contacts.contains("anne@kommune.example"));
    assert!(!contacts.contains("Bo Bak"));

    // A mailbox for the role shows on the contact list too.
    let res = admin
        .post(
            &format!("/members/{a}/mailboxes"),
            &[
                ("name", "Infrastruktur"),
                ("email", "infra@kommune.example"),
                ("role_id", &role),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let contacts = admin.get(&format!("/members/{a}/contacts")).await.text();
    assert!(contacts.contains("infra@kommune.example"));

    // Anne leaves: the page names the role that is now empty, and the
    // gallery warns again.
    let res = admin.post(&format!("/people/{anne}/left"), &[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert!(
        res.text().contains("Infrastrukturkontakt"),
        "{}",
        res.text()
    );
    let held = app
        .store
        .list_assignments(&AssignmentFilter {
            member: Some(a),
            role: Some(required.id),
        })
        .await
        .unwrap();
    assert_eq!(
        udrul_core::gallery::filled(&held, required.id, udrul_core::calendar::today()),
        Filled::Empty
    );
    assert!(admin.get(&gallery).await.text().contains("ingen har den"));

    // Bo takes over; ending his holding removes it from the contact list.
    let res = admin
        .post(&gallery, &[("role_id", &role), ("person_id", &bo)])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let bos = app
        .store
        .list_assignments(&AssignmentFilter {
            member: Some(a),
            role: Some(required.id),
        })
        .await
        .unwrap()
        .into_iter()
        .find(|h| h.person_name == "Bo Bak")
        .unwrap();
    let yesterday = (udrul_core::calendar::today() - chrono::Duration::days(1)).to_string();
    let res = admin
        .post(
            &format!("/assignments/{}/end", bos.id),
            &[("on", &yesterday), ("confirm", "1")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let contacts = admin.get(&format!("/members/{a}/contacts")).await.text();
    assert!(!contacts.contains("Bo Bak"), "{contacts}");

    // A member user reads the gallery and contacts, without the forms,
    // and cannot change anything.
    let mut user = app.login("a-user").await;
    let html = user.get(&gallery).await.text();
    assert!(!html.contains("Giv en person en rolle"));
    assert_eq!(
        user.get(&format!("/members/{a}/contacts")).await.status,
        StatusCode::OK
    );
    let res = user.post(&people, &[("name", "Snyder")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(app.store.list_people(a).await.unwrap().len(), 2);

    // Central staff see who holds the role across members, and export it.
    let mut staff = app.login("staff").await;
    let html = staff.get(&format!("/roles/{role}")).await.text();
    assert!(html.contains("3 medlemmer mangler rollen"), "{html}");
    let csv = staff.get(&format!("/roles/{role}/holders.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let xlsx = staff.get(&format!("/roles/{role}/holders.xlsx")).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.body.clone())).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    // A header and one row per member (all lack it today).
    assert_eq!(sheet.rows().count(), 1 + 3);
}
each_backend!(gallery_pages, a_member_administrator_keeps_the_gallery);

async fn the_gallery_tells_held_from_stale(app: TestApp) {
    // Pure view logic: the lines the page shows, from the store's data.
    let a = app.fx.members[0].id;
    let sys = udrul_core::Actor::system();
    let role = app
        .store
        .create_role(
            &sys,
            udrul_core::gallery::RoleInput::parse("ESDH-ansvarlig", "", None, "", true).unwrap(),
        )
        .await
        .unwrap();
    let p = app
        .store
        .create_person(
            &sys,
            a,
            udrul_core::gallery::PersonInput::parse("", "Cai Carl", "", "", "", None).unwrap(),
        )
        .await
        .unwrap();
    app.store
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
    let held = app
        .store
        .list_assignments(&AssignmentFilter {
            member: Some(a),
            role: None,
        })
        .await
        .unwrap();
    let lines = udrul::web::gallery::lines(
        app.store.list_roles().await.unwrap(),
        &held,
        udrul_core::calendar::today(),
    );
    let line = lines.iter().find(|l| l.role.id == role.id).unwrap();
    assert_eq!(line.warning(), None);
    // Required roles come first.
    assert!(lines.first().unwrap().role.required);
}
each_backend!(gallery_lines, the_gallery_tells_held_from_stale);
