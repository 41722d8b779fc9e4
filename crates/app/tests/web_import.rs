//! Importing people and org units from files, through the pages: the files
//! are real CSV and XLSX files made here, in the shapes organisation systems
//! and Danish Excel write them. Every test runs on SQLite and, with
//! `UDRUL_TEST_PG_URL`, on PostgreSQL.

mod common;

use axum::http::StatusCode;
use common::{Browser, TestApp};
use udrul_core::gallery::{AssignmentInput, ChangeSource};
use udrul_core::store::{AssignmentFilter, AuditFilter};
use udrul_core::{Actor, MemberId};

/// The import id in a `Location` such as `/imports/7`.
fn import_id(location: &str) -> i64 {
    location
        .strip_prefix("/imports/")
        .and_then(|r| r.split(['?', '/']).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no import id in {location}"))
}

/// Uploads a file as the member's administrator; the response.
async fn upload(
    b: &mut Browser<'_>,
    member: MemberId,
    kind: &str,
    name: &str,
    bytes: &[u8],
) -> common::Resp {
    b.get(&format!("/members/{member}/import")).await;
    b.post_multipart(
        &format!("/members/{member}/import"),
        &[("kind", kind)],
        Some(("file", name, bytes)),
    )
    .await
}

/// Uploads and applies a file that must be good; returns the result page.
async fn import(
    b: &mut Browser<'_>,
    member: MemberId,
    kind: &str,
    name: &str,
    bytes: &[u8],
) -> String {
    let res = upload(b, member, kind, name, bytes).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let id = import_id(&res.location());
    let preview = b.get(&format!("/imports/{id}")).await;
    assert_eq!(preview.status, StatusCode::OK);
    let res = b.post(&format!("/imports/{id}/apply"), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    b.get(&res.location()).await.text()
}

/// Everyone of a member as (external id, name, e-mail, title, unit, left).
async fn state(app: &TestApp, m: MemberId) -> Vec<(String, String, String, String, String, bool)> {
    let mut out: Vec<_> = app
        .store
        .list_people(m)
        .await
        .unwrap()
        .into_iter()
        .map(|p| {
            (
                p.external_id.unwrap_or_default(),
                p.name,
                p.email,
                p.title,
                p.org_unit_name.unwrap_or_default(),
                p.left_at.is_some(),
            )
        })
        .collect();
    out.sort();
    out
}

async fn audit_count(app: &TestApp, m: MemberId) -> usize {
    app.store
        .search_audit(&AuditFilter {
            member: Some(m),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .len()
}

/// People as an organisation system lists them.
struct P {
    id: String,
    name: String,
    email: String,
    title: String,
    unit: String,
}

fn people(n: usize) -> Vec<P> {
    (0..n)
        .map(|i| P {
            id: format!("{:08x}-1111-4222-8333-{:012x}", i, i * 7919),
            name: format!("Medarbejder {i} Ærø-Søndergård"),
            email: format!("m{i}@kommune.example"),
            title: if i % 3 == 0 {
                "Leder; IT".into()
            } else {
                "Konsulent".into()
            },
            unit: ["Borgerservice", "IT og Digitalisering", "Skole og Børn"][i % 3].into(),
        })
        .collect()
}

/// A CSV text of `people` with `sep` between fields, quoting as Excel does.
fn csv_text(people: &[P], sep: char, headers: [&str; 5]) -> String {
    let q = |s: &str| {
        if s.contains(sep) || s.contains('"') {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut out = headers.join(&sep.to_string());
    out.push_str("\r\n");
    for p in people {
        let row = [&p.id, &p.name, &p.email, &p.title, &p.unit]
            .map(|s| q(s))
            .join(&sep.to_string());
        out.push_str(&row);
        out.push_str("\r\n");
    }
    out
}

const DA_HEADERS: [&str; 5] = ["Bruger-UUID", "Navn", "E-mail", "Stilling", "Afdeling"];

fn windows_1252(s: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(s);
    assert!(!unmappable);
    bytes.into_owned()
}

fn utf16le_with_bom(s: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for u in s.encode_utf16() {
        out.extend(u.to_le_bytes());
    }
    out
}

fn xlsx(people: &[P]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["UUID", "Fornavn", "Efternavn", "Mail", "Titel", "Enhed"]
        .iter()
        .enumerate()
    {
        sheet.write(0, c as u16, *h).unwrap();
    }
    for (r, p) in people.iter().enumerate() {
        let r = r as u32 + 1;
        let (given, family) = p.name.split_once(' ').unwrap();
        sheet.write(r, 0, p.id.to_uppercase()).unwrap();
        sheet.write(r, 1, given).unwrap();
        sheet.write(r, 2, family).unwrap();
        sheet.write(r, 3, &p.email).unwrap();
        sheet.write(r, 4, &p.title).unwrap();
        sheet.write(r, 5, &p.unit).unwrap();
    }
    book.save_to_buffer().unwrap()
}

/// The same people in every dirty shape: each file after the first finds
/// nothing to change and adds nothing to the audit log.
async fn dirty_files_import_alike(app: TestApp) {
    let m = app.fx.members[0].id;
    let mut b = app.login("a-admin").await;
    let ps = people(30);
    let semicolon = csv_text(&ps, ';', DA_HEADERS);
    let html = import(
        &mut b,
        m,
        "people",
        "personer.csv",
        format!("\u{feff}{semicolon}").as_bytes(),
    )
    .await;
    assert!(html.contains("Importen er gennemført"), "{html}");
    let first = state(&app, m).await;
    assert_eq!(first.len(), 30);
    assert!(first.iter().any(|p| p.1 == "Medarbejder 0 Ærø-Søndergård"
        && p.3 == "Leder; IT"
        && p.4 == "IT og Digitalisering"
        || p.4 == "Borgerservice"));
    // Three units were made by name, once each.
    assert_eq!(app.store.list_org_units(m).await.unwrap().len(), 3);
    let audited = audit_count(&app, m).await;

    let variants: Vec<(&str, Vec<u8>)> = vec![
        ("utf8-no-bom-semicolon.csv", semicolon.clone().into_bytes()),
        (
            "komma.csv",
            csv_text(&ps, ',', ["uuid", "name", "email", "title", "department"]).into_bytes(),
        ),
        ("excel-dk.csv", windows_1252(&semicolon)),
        (
            "unicode.txt",
            utf16le_with_bom(&csv_text(&ps, '\t', DA_HEADERS)),
        ),
        ("sep-line.csv", format!("sep=;\r\n{semicolon}").into_bytes()),
        ("organisation.xlsx", xlsx(&ps)),
    ];
    for (name, bytes) in variants {
        let res = upload(&mut b, m, "people", name, &bytes).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.text());
        let id = import_id(&res.location());
        let preview = b.get(&format!("/imports/{id}")).await.text();
        assert!(
            preview.contains("Importen vil ikke ændre noget"),
            "{name}: {preview}"
        );
        let res = b.post(&format!("/imports/{id}/apply"), &[]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        assert_eq!(state(&app, m).await, first, "{name}");
        assert_eq!(audit_count(&app, m).await, audited, "{name}: audit noise");
    }
}

/// Bad rows are reported by row number with their column; nothing of the
/// file is kept or applied.
async fn bad_rows_are_reported_and_nothing_applied(app: TestApp) {
    let m = app.fx.members[0].id;
    let mut b = app.login("a-admin").await;
    let csv = "Bruger-UUID;Navn;E-mail\r\n\
               a1;Anne Ager;anne@k.example\r\n\
               ;Bo Bech;bo@k.example\r\n\
               c1;Cai Cold;ikke-en-adresse\r\n\
               \r\n\
               a1;Anne igen;\r\n";
    let res = upload(&mut b, m, "people", "fejl.csv", csv.as_bytes()).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text();
    for line in [
        "Række 3, Id (UUID): skal udfyldes.",
        "Række 4, E-mail: skal være en e-mailadresse",
        "Række 6, Id (UUID): samme id som række 2.",
        "Filen har 3 fejl",
        "Intet er importeret",
    ] {
        assert!(html.contains(line), "{line}: {html}");
    }
    assert!(app.store.list_people(m).await.unwrap().is_empty());
    assert!(app.store.list_imports(m, 10).await.unwrap().is_empty());
    // No id column: one error about the header; an old .xls and an empty
    // upload are refused by content; no kind: a field error.
    for (bytes, kind, expect) in [
        (
            b"Navn;Mail\r\nAnne;a@k.example\r\n".to_vec(),
            "people",
            "Række 1, Id (UUID): kolonnen mangler.",
        ),
        (
            vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
            "people",
            "gamle Excel-format",
        ),
        (Vec::new(), "people", "vælg en fil"),
        (
            b"id;navn\r\nx;y\r\n".to_vec(),
            "",
            "skal være et af de viste valg",
        ),
    ] {
        let res = upload(&mut b, m, kind, "x.csv", &bytes).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{expect}");
        assert!(res.text().contains(expect), "{expect}: {}", res.text());
    }
    // A person naming a unit id the member does not have.
    let res = upload(
        &mut b,
        m,
        "people",
        "x.csv",
        b"id;navn;enhed-id\r\nx;Xenia;no-such-unit\r\n",
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text().contains("Række 2, Enhedens id"),
        "{}",
        res.text()
    );
    assert!(app.store.list_imports(m, 10).await.unwrap().is_empty());
}

/// The preview says what will happen, including the roles leavers leave
/// empty; applying does it once, tells the administrators, and a second
/// apply is refused.
async fn preview_apply_and_leavers(app: TestApp) {
    let m = app.fx.members[0].id;
    let mut b = app.login("a-admin").await;
    let csv = "id;navn;email\r\nu-1;Anne Ager;anne@k.example\r\nu-2;Bo Bech;bo@k.example\r\n";
    import(&mut b, m, "people", "1.csv", csv.as_bytes()).await;
    let anne = app
        .store
        .person_by_external_id(m, "u-1")
        .await
        .unwrap()
        .unwrap();
    let role = app
        .store
        .ensure_role("Infrastrukturansvarlig")
        .await
        .unwrap();
    app.store
        .assign_role(
            &app.actor(&app.fx.a_admin),
            m,
            AssignmentInput::parse(
                role.id.0,
                anne.id.0,
                "2026-01-01",
                "",
                true,
                udrul_core::calendar::today(),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    // Anne is gone from the organisation system, Bo changed, Cai is new.
    let csv = "id;navn;email\r\nu-2;Bo Bech;bo.bech@k.example\r\nu-3;Cai Cold;cai@k.example\r\n";
    let res = upload(&mut b, m, "people", "2.csv", csv.as_bytes()).await;
    let id = import_id(&res.location());
    let preview = b.get(&format!("/imports/{id}")).await.text();
    for s in [
        "Det vil importen gøre",
        "Nye personer",
        "Cai Cold",
        "Ændrede personer",
        "E-mail: bo@k.example → bo.bech@k.example",
        "Personer, der fratræder",
        "Disse roller vil stå uden indehaver",
        "Infrastrukturansvarlig</strong>: Anne Ager",
        "Gennemfør importen",
    ] {
        assert!(preview.contains(s), "{s}: {preview}");
    }
    // The preview changed nothing.
    assert!(
        app.store
            .person_by_external_id(m, "u-3")
            .await
            .unwrap()
            .is_none()
    );
    // A member user, and another member's administrator, cannot see or apply it.
    let mut user = app.login("a-user").await;
    assert_eq!(
        user.get(&format!("/imports/{id}")).await.status,
        StatusCode::FORBIDDEN
    );
    user.get("/").await;
    assert_eq!(
        user.post(&format!("/imports/{id}/apply"), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let res = b.post(&format!("/imports/{id}/apply"), &[]).await;
    res.assert_redirect(&format!("/imports/{id}"));
    let result = b.get(&res.location()).await.text();
    assert!(result.contains("Det gjorde importen"), "{result}");
    assert!(
        result.contains("Disse roller står nu uden indehaver"),
        "{result}"
    );
    let anne = app.store.get_person(anne.id).await.unwrap().unwrap();
    assert!(anne.left_at.is_some());
    let held = app
        .store
        .list_assignments(&AssignmentFilter {
            member: Some(m),
            role: Some(role.id),
        })
        .await
        .unwrap();
    assert!(held.iter().all(|a| !a.on(udrul_core::calendar::today())));
    // The administrators are told on the gallery page, until they dismiss it.
    let gallery = b.get(&format!("/members/{m}/gallery")).await.text();
    assert!(
        gallery.contains("Anne Ager er fratrådt (import af fil"),
        "{gallery}"
    );
    let notice = app.store.list_notices(m).await.unwrap()[0].id;
    let res = b.post(&format!("/notices/{notice}/dismiss"), &[]).await;
    res.assert_redirect(&format!("/members/{m}/gallery?done=dismissed"));
    assert!(app.store.list_notices(m).await.unwrap().is_empty());
    // Applying again: refused, nothing changes.
    let audited = audit_count(&app, m).await;
    let res = b.post(&format!("/imports/{id}/apply"), &[]).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(audit_count(&app, m).await, audited);
    // Anne is back in the next file: a person again, without her old role.
    let csv = "id;navn;email\r\nu-1;Anne Ager;anne@k.example\r\nu-2;Bo Bech;bo.bech@k.example\r\nu-3;Cai Cold;cai@k.example\r\n";
    let html = import(&mut b, m, "people", "3.csv", csv.as_bytes()).await;
    assert!(
        html.contains("Tidligere fratrådte, der er tilbage"),
        "{html}"
    );
    assert!(
        app.store
            .get_person(anne.id)
            .await
            .unwrap()
            .unwrap()
            .left_at
            .is_none()
    );
    // The history lists the imports, newest first.
    let page = b.get(&format!("/members/{m}/import")).await.text();
    let (i3, i2) = (page.find("3.csv").unwrap(), page.find("2.csv").unwrap());
    assert!(i3 < i2);
}

/// Org units from a file: a tree, people placed by unit id, a unit that
/// goes and a cycle that is refused.
async fn org_units_and_people_in_them(app: TestApp) {
    let m = app.fx.members[0].id;
    let mut b = app.login("a-admin").await;
    let units = "Enheds-ID;Navn;Overordnet\r\nskole;Skoler;forv\r\nforv;Forvaltningen;\r\nit;IT;forv\r\nlab;Lab;it\r\n";
    let html = import(&mut b, m, "org_units", "enheder.csv", units.as_bytes()).await;
    assert!(html.contains("Nye enheder"), "{html}");
    let all = app.store.list_org_units(m).await.unwrap();
    let by = |ext: &str| {
        all.iter()
            .find(|u| u.external_id.as_deref() == Some(ext))
            .unwrap()
            .clone()
    };
    assert_eq!(by("skole").parent_id, Some(by("forv").id));
    assert_eq!(by("lab").parent_id, Some(by("it").id));
    let csv = "id;navn;enhed-id\r\np1;Pia;it\r\np2;Per;lab\r\n";
    import(&mut b, m, "people", "p.csv", csv.as_bytes()).await;
    let per = app
        .store
        .person_by_external_id(m, "p2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(per.org_unit_id, Some(by("lab").id));
    // The lab goes, IT moves under the schools: Per is in no unit.
    let units = "id;navn;overordnet\r\nforv;Forvaltningen;\r\nskole;Skoler;forv\r\nit;IT;skole\r\n";
    let html = import(&mut b, m, "org_units", "enheder2.csv", units.as_bytes()).await;
    assert!(html.contains("Enheder, der fjernes"), "{html}");
    let all = app.store.list_org_units(m).await.unwrap();
    let by = |ext: &str| {
        all.iter()
            .find(|u| u.external_id.as_deref() == Some(ext))
            .unwrap()
            .clone()
    };
    assert!(by("lab").removed);
    assert_eq!(by("it").parent_id, Some(by("skole").id));
    let per = app.store.get_person(per.id).await.unwrap().unwrap();
    assert_eq!(per.org_unit_id, None);
    // The same tree turned upside down in one file is fine: parents are
    // moved first.
    let flipped = "id;navn;overordnet\r\nit;IT;\r\nskole;Skoler;it\r\nforv;Forvaltningen;skole\r\n";
    import(&mut b, m, "org_units", "vendt.csv", flipped.as_bytes()).await;
    let all = app.store.list_org_units(m).await.unwrap();
    let by = |ext: &str| {
        all.iter()
            .find(|u| u.external_id.as_deref() == Some(ext))
            .unwrap()
            .clone()
    };
    assert_eq!(by("forv").parent_id, Some(by("skole").id));
    assert_eq!(by("it").parent_id, None);
    // A cycle and an unknown parent: row errors, nothing applied.
    let bad = "id;navn;overordnet\r\na;A;b\r\nb;B;a\r\nc;C;zz\r\n";
    let res = upload(&mut b, m, "org_units", "bad.csv", bad.as_bytes()).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text();
    assert!(
        html.contains("Række 2, Overordnet enheds id: enheden ligger under sig selv"),
        "{html}"
    );
    assert!(
        html.contains("Række 4, Overordnet enheds id: den overordnede enhed er ikke i filen"),
        "{html}"
    );
}

/// 10,000 rows: applied in one go; the same file again and the same rows
/// shuffled change nothing and add nothing to the audit log; a replayed,
/// reordered run of two files ends where the last file says.
async fn ten_thousand_rows_duplicate_and_replayed_runs(app: TestApp) {
    let m = app.fx.members[1].id;
    let admin = app.actor(&app.fx.central_admin);
    let _ = &admin;
    let mut b = app.login("admin").await;
    let mut ps = people(10_000);
    let file_a = csv_text(&ps, ';', DA_HEADERS);
    let html = import(&mut b, m, "people", "a.csv", file_a.as_bytes()).await;
    assert!(html.contains("Nye personer"), "{html}");
    let state_a = state(&app, m).await;
    assert_eq!(state_a.len(), 10_000);
    let audited = audit_count(&app, m).await;

    // The same file twice: nothing.
    import(&mut b, m, "people", "a-igen.csv", file_a.as_bytes()).await;
    assert_eq!(state(&app, m).await, state_a);
    assert_eq!(
        audit_count(&app, m).await,
        audited,
        "a duplicate run adds no audit entries"
    );
    // The same rows in another order (a fixed shuffle): nothing.
    let mut shuffled: Vec<usize> = (0..ps.len()).collect();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in (1..shuffled.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        shuffled.swap(i, (x % (i as u64 + 1)) as usize);
    }
    let reordered: Vec<P> = shuffled
        .iter()
        .map(|&i| P {
            id: ps[i].id.clone(),
            name: ps[i].name.clone(),
            email: ps[i].email.clone(),
            title: ps[i].title.clone(),
            unit: ps[i].unit.clone(),
        })
        .collect();
    import(
        &mut b,
        m,
        "people",
        "a-blandet.csv",
        csv_text(&reordered, ';', DA_HEADERS).as_bytes(),
    )
    .await;
    assert_eq!(state(&app, m).await, state_a);
    assert_eq!(audit_count(&app, m).await, audited);

    // File B: 10 gone, 10 changed, 10 new.
    ps.drain(0..10);
    for p in ps.iter_mut().take(10) {
        p.title = "Ny titel".into();
    }
    ps.extend(people(10_010).into_iter().skip(10_000));
    let file_b = csv_text(&ps, ';', DA_HEADERS);
    import(&mut b, m, "people", "b.csv", file_b.as_bytes()).await;
    let state_b = state(&app, m).await;
    assert_eq!(state_b.iter().filter(|p| p.5).count(), 10);
    assert_eq!(state_b.iter().filter(|p| p.3 == "Ny titel").count(), 10);
    // Replayed out of order: A, B, B, A, B (B reordered) ends as B did.
    import(&mut b, m, "people", "a.csv", file_a.as_bytes()).await;
    assert_eq!(
        state(&app, m).await,
        state_a
            .iter()
            .cloned()
            .chain(
                state_b
                    .iter()
                    .filter(|p| !state_a.iter().any(|a| a.0 == p.0))
                    .map(|p| {
                        // The 10 new of B have left again: A does not list them.
                        let mut p = p.clone();
                        p.5 = true;
                        p
                    })
            )
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    );
    import(&mut b, m, "people", "b.csv", file_b.as_bytes()).await;
    let audited_b = audit_count(&app, m).await;
    import(&mut b, m, "people", "b.csv", file_b.as_bytes()).await;
    assert_eq!(audit_count(&app, m).await, audited_b);
    let mut rev = ps;
    rev.reverse();
    import(
        &mut b,
        m,
        "people",
        "b-omvendt.csv",
        csv_text(&rev, ';', DA_HEADERS).as_bytes(),
    )
    .await;
    assert_eq!(state(&app, m).await, state_b);
    assert_eq!(audit_count(&app, m).await, audited_b);
}

/// Only the member's administrators (and central administrators) reach the
/// import pages; an upload without the CSRF token is refused.
async fn imports_are_for_the_members_administrators(app: TestApp) {
    let (a, b_member) = (app.fx.members[0].id, app.fx.members[1].id);
    let mut admin = app.login("a-admin").await;
    assert_eq!(
        admin.get(&format!("/members/{a}/import")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        admin
            .get(&format!("/members/{b_member}/import"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let res = admin
        .post_multipart(
            &format!("/members/{b_member}/import"),
            &[("kind", "people")],
            Some(("file", "x.csv", b"id;navn\r\nx;X\r\n")),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(app.store.list_people(b_member).await.unwrap().is_empty());
    // A file name with a right-to-left override (shown in the list of
    // imports) is refused with a field error, and nothing is kept.
    let res = admin
        .post_multipart(
            &format!("/members/{a}/import"),
            &[("kind", "people")],
            Some(("file", "folk\u{202E}vsc.exe", b"id;navn\r\nx;X\r\n")),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .contains("indeholder usynlige tegn eller tegn, der vender tekstretningen"),
        "{}",
        res.text()
    );
    assert!(app.store.list_imports(a, 10).await.unwrap().is_empty());
    for who in ["a-user", "staff", "auditor"] {
        let mut u = app.login(who).await;
        assert_eq!(
            u.get(&format!("/members/{a}/import")).await.status,
            StatusCode::FORBIDDEN,
            "{who}"
        );
    }
    // No CSRF token in the multipart body: 403 before the handler.
    admin.csrf = Some("forged".into());
    let res = admin
        .post_multipart(
            &format!("/members/{a}/import"),
            &[("kind", "people")],
            Some(("file", "x.csv", b"id;navn\r\nx;X\r\n")),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(app.store.list_imports(a, 10).await.unwrap().is_empty());
    // Too large: refused while reading, nothing kept.
    let mut admin = app.login("a-admin").await;
    admin.get(&format!("/members/{a}/import")).await;
    let big = vec![b'x'; udrul::import::MAX_FILE_BYTES + 100 * 1024];
    let res = admin
        .post_multipart(
            &format!("/members/{a}/import"),
            &[("kind", "people")],
            Some(("file", "big.csv", &big)),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(app.store.list_imports(a, 10).await.unwrap().is_empty());
    // A person leaving by hand leaves no notice (the administrator was there).
    let p = app
        .store
        .create_person(
            &Actor::system(),
            a,
            udrul_core::gallery::PersonInput::parse("h1", "Hanne", "", "", "", None).unwrap(),
        )
        .await
        .unwrap();
    app.store
        .person_left(
            &Actor::system(),
            p.id,
            udrul_core::calendar::today(),
            ChangeSource::Manual,
        )
        .await
        .unwrap();
    assert!(app.store.list_notices(a).await.unwrap().is_empty());
}

each_backend!(dirty_files_import_alike_on_both, dirty_files_import_alike);
each_backend!(
    bad_rows_are_reported_and_nothing_applied_on_both,
    bad_rows_are_reported_and_nothing_applied
);
each_backend!(preview_apply_and_leavers_on_both, preview_apply_and_leavers);
each_backend!(
    org_units_and_people_in_them_on_both,
    org_units_and_people_in_them
);
each_backend!(
    ten_thousand_rows_duplicate_and_replayed_runs_on_both,
    ten_thousand_rows_duplicate_and_replayed_runs
);
each_backend!(
    imports_are_for_the_members_administrators_on_both,
    imports_are_for_the_members_administrators
);

/// Reading an uploaded file is CPU work that must not hold the async
/// threads (issue 11: four large uploads stalled `/healthz` for seconds).
/// On a single-threaded runtime, `/healthz` is asked again and again while
/// a 20,000-row file is uploaded. If the file were read on the runtime's
/// only thread, no answer could arrive while it is read; on the blocking
/// pool, answers keep coming while the job runs (`heavy::running`). The
/// test asserts that order of events, not a duration. (What is left on the
/// async thread is the store's serialising of the rows; see `heavy.rs`.)
#[tokio::test(flavor = "current_thread")]
async fn a_large_upload_does_not_hold_the_runtime() {
    let mut file = String::from("Bruger-UUID;Navn;E-mail;Stilling\r\n");
    for i in 0..20_000 {
        file.push_str(&format!(
            "{i:08x}-1111-4222-8333-{:012x};Medarbejder {i};m{i}@kommune.example;Konsulent\r\n",
            i * 7919
        ));
    }
    let (store, dir) = common::sqlite_store().await;
    let app = TestApp::new("sqlite", store, Some(dir)).await;
    let m = app.fx.members[0].id;
    let mut b = app.login("a-admin").await;
    let done = std::cell::Cell::new(false);
    let upload = async {
        let res = upload(&mut b, m, "people", "stor.csv", file.as_bytes()).await;
        done.set(true);
        res
    };
    let probe = async {
        let (mut answers, mut while_reading) = (0, 0);
        while !done.get() {
            let reading = udrul::heavy::running() > 0;
            let res = app.browser().get("/healthz").await;
            assert_eq!(res.status, StatusCode::OK);
            answers += 1;
            // Counted only if the job was running before and after the answer.
            if reading && udrul::heavy::running() > 0 {
                while_reading += 1;
            }
            tokio::task::yield_now().await;
        }
        (answers, while_reading)
    };
    let (res, (answers, while_reading)) = tokio::join!(upload, probe);
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    assert!(
        while_reading > 0,
        "no /healthz answer arrived while the file was read ({answers} in all)"
    );
    assert_eq!(udrul::heavy::running(), 0);
}
