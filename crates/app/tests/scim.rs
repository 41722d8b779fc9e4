//! SCIM 2.0 provisioning (`/scim/v2`) with requests shaped as Microsoft
//! Entra ID and Okta send them: users and groups, filters and paging,
//! deactivation (roles end, a notice names the emptied roles), coming back,
//! replayed and reordered requests that converge without audit noise,
//! authentication, errors in SCIM's format, and isolation between members.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Resp, TestApp};
use serde_json::{Value, json};
use udrul_core::store::{AssignmentFilter, AuditFilter};
use udrul_core::{MemberId, Permission, PersonId};

const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

async fn scim(app: &TestApp, method: &str, path: &str, token: &str, body: Option<Value>) -> Resp {
    let r = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    let req = match body {
        Some(b) => r
            .header(header::CONTENT_TYPE, "application/scim+json; charset=utf-8")
            .body(Body::from(b.to_string()))
            .unwrap(),
        None => r.body(Body::empty()).unwrap(),
    };
    app.send(req).await
}

fn q(filter: &str) -> String {
    form_urlencoded::byte_serialize(filter.as_bytes()).collect()
}

async fn people_writer(app: &TestApp) -> String {
    app.robot_token(&[Permission::PeopleWrite]).await.0
}

/// Audit entries about member `m`.
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

fn assert_scim_error(r: &Resp, status: u16, scim_type: Option<&str>) {
    assert_eq!(r.status.as_u16(), status, "{}", r.text());
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/scim+json")),
        "{:?}",
        r.header("content-type")
    );
    let b = r.json();
    assert_eq!(b["schemas"], json!([ERROR]), "{b}");
    assert_eq!(b["status"], json!(status.to_string()), "{b}");
    assert!(b["detail"].as_str().is_some_and(|d| !d.is_empty()), "{b}");
    if let Some(t) = scim_type {
        assert_eq!(b["scimType"], json!(t), "{b}");
    }
}

/// A user as Entra ID's provisioning service creates one.
fn entra_user(object_id: &str, upn: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": [USER, ENTERPRISE],
        "externalId": object_id,
        "userName": upn,
        "active": true,
        "displayName": format!("{given} {family}"),
        "emails": [{"primary": true, "type": "work", "value": upn}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": format!("{given} {family}"), "familyName": family, "givenName": given},
        "phoneNumbers": [
            {"type": "mobile", "value": "+45 20 00 00 01"},
            {"type": "work", "value": "+45 99 31 31 31"}
        ],
        "roles": [],
        "title": "Sagsbehandler",
        ENTERPRISE: {"department": "Digitalisering", "manager": {"value": "x"}}
    })
}

fn patch_ops(ops: Value) -> Value {
    json!({"schemas": [PATCH], "Operations": ops})
}

async fn entra_provisions_updates_disables_and_deletes(app: TestApp) {
    let token = people_writer(&app).await;
    let a = app.fx.members[0].id;
    let object_id = "6F9A0C1E-5B1D-4C7A-9E2F-0123456789AB";
    let upn = "Anne.Ager@Aalborg.dk";

    // Entra asks whether the user exists before creating it.
    let find = format!(
        "/scim/v2/Users?filter={}",
        q(&format!("userName eq \"{upn}\""))
    );
    let r = scim(&app, "GET", &find, &token, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/scim+json")
    );
    let list = r.json();
    assert_eq!(list["totalResults"], 0);
    assert_eq!(list["Resources"], json!([]));

    let r = scim(
        &app,
        "POST",
        "/scim/v2/Users",
        &token,
        Some(entra_user(object_id, upn, "Anne", "Ager")),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let u = r.json();
    let id = u["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.header("location"),
        Some(format!("/scim/v2/Users/{id}").as_str())
    );
    assert_eq!(u["externalId"], "6f9a0c1e-5b1d-4c7a-9e2f-0123456789ab");
    assert_eq!(u["userName"], upn);
    assert_eq!(u["displayName"], "Anne Ager");
    assert_eq!(u["name"]["givenName"], "Anne");
    assert_eq!(u["name"]["familyName"], "Ager");
    assert_eq!(u["emails"][0]["value"], upn);
    assert_eq!(u["phoneNumbers"][0]["value"], "+45 99 31 31 31");
    assert_eq!(u["title"], "Sagsbehandler");
    assert_eq!(u["active"], true);
    assert_eq!(u["meta"]["resourceType"], "User");
    assert!(u["meta"]["created"].as_str().is_some());
    let person = app
        .store
        .get_person(PersonId(id.parse().unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(person.member_id, a);
    assert_eq!(
        person.external_id.as_deref(),
        Some("6f9a0c1e-5b1d-4c7a-9e2f-0123456789ab")
    );

    // Found now, by userName in any case and by externalId in any spelling.
    for f in [
        format!("userName eq \"{}\"", upn.to_uppercase()),
        format!("externalId eq \"{object_id}\""),
        format!("id eq \"{id}\" and active eq true"),
    ] {
        let r = scim(
            &app,
            "GET",
            &format!("/scim/v2/Users?filter={}", q(&f)),
            &token,
            None,
        )
        .await;
        assert_eq!(r.json()["totalResults"], 1, "{f}: {}", r.text());
        assert_eq!(r.json()["Resources"][0]["id"], id.as_str());
    }

    // A replayed POST: 409 uniqueness, and nothing written.
    let audited = audit_count(&app, a).await;
    let r = scim(
        &app,
        "POST",
        "/scim/v2/Users",
        &token,
        Some(entra_user(object_id, upn, "Anne", "Ager")),
    )
    .await;
    assert_scim_error(&r, 409, Some("uniqueness"));
    // Another externalId with the same userName (any case): also taken.
    let r = scim(
        &app,
        "POST",
        "/scim/v2/Users",
        &token,
        Some(entra_user(
            "11111111-2222-3333-4444-555555555555",
            &upn.to_lowercase(),
            "A",
            "B",
        )),
    )
    .await;
    assert_scim_error(&r, 409, Some("uniqueness"));
    assert_eq!(audit_count(&app, a).await, audited);

    // Entra's update: capitalised ops, value paths.
    let path = format!("/scim/v2/Users/{id}");
    let update = patch_ops(json!([
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "anne.ager@aalborg.dk"},
        {"op": "Replace", "path": "name.familyName", "value": "Ager-Holm"},
        {"op": "Replace", "path": "title", "value": "Teamleder"},
        {"op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+45 99 31 00 00"},
        {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "IT"},
        {"op": "Add", "path": "addresses[type eq \"work\"].locality", "value": "Aalborg"}
    ]));
    let r = scim(&app, "PATCH", &path, &token, Some(update.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let u = r.json();
    assert_eq!(u["emails"][0]["value"], "anne.ager@aalborg.dk");
    assert_eq!(u["displayName"], "Anne Ager-Holm");
    assert_eq!(u["title"], "Teamleder");
    assert_eq!(u["phoneNumbers"][0]["value"], "+45 99 31 00 00");
    let audited = audit_count(&app, a).await;
    let r = scim(&app, "PATCH", &path, &token, Some(update)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        audit_count(&app, a).await,
        audited,
        "a replayed PATCH is audited"
    );

    // The person holds a role nobody else holds; disabling them in Entra
    // (with its string boolean) ends it and tells the administrators.
    let role = app
        .store
        .ensure_role("Infrastrukturansvarlig")
        .await
        .unwrap();
    let today = udrul_core::calendar::today();
    let since = (today - chrono::Duration::days(30)).to_string();
    app.store
        .assign_role(
            &app.actor(&app.fx.a_admin),
            a,
            udrul_core::gallery::AssignmentInput::parse(
                role.id.0,
                person.id.0,
                &since,
                "",
                true,
                today,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let disable = patch_ops(json!([{"op": "Replace", "path": "active", "value": "False"}]));
    let r = scim(&app, "PATCH", &path, &token, Some(disable.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["active"], false);
    let notices = app.store.list_notices(a).await.unwrap();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].roles, vec!["Infrastrukturansvarlig".to_string()]);
    assert_eq!(notices[0].person_id, Some(person.id));
    assert_eq!(notices[0].source, udrul_core::gallery::ChangeSource::Scim);
    let held = app
        .store
        .list_assignments(&AssignmentFilter {
            member: Some(a),
            role: None,
        })
        .await
        .unwrap();
    assert_eq!(held.len(), 1, "history is kept");
    assert_eq!(held[0].valid_to, today.pred_opt());
    // Replayed: nothing more.
    let audited = audit_count(&app, a).await;
    let r = scim(&app, "PATCH", &path, &token, Some(disable)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(audit_count(&app, a).await, audited);
    assert_eq!(app.store.list_notices(a).await.unwrap().len(), 1);
    // Still a SCIM user, inactive: Entra can enable them again.
    let r = scim(&app, "GET", &path, &token, None).await;
    assert_eq!(r.json()["active"], false);
    let r = scim(&app, "GET", &find, &token, None).await;
    assert_eq!(r.json()["totalResults"], 1);
    let r = scim(
        &app,
        "PATCH",
        &path,
        &token,
        Some(patch_ops(
            json!([{"op": "Replace", "path": "active", "value": "True"}]),
        )),
    )
    .await;
    assert_eq!(r.json()["active"], true, "{}", r.text());
    let p = app.store.get_person(person.id).await.unwrap().unwrap();
    assert!(p.left_at.is_none());

    // Deleted: gone for SCIM (history kept), and a replay is a 404.
    let r = scim(&app, "DELETE", &path, &token, None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let p = app.store.get_person(person.id).await.unwrap().unwrap();
    assert!(p.left_at.is_some());
    assert_scim_error(&scim(&app, "GET", &path, &token, None).await, 404, None);
    assert_eq!(
        scim(&app, "GET", &find, &token, None).await.json()["totalResults"],
        0
    );
    let audited = audit_count(&app, a).await;
    assert_scim_error(&scim(&app, "DELETE", &path, &token, None).await, 404, None);
    assert_scim_error(
        &scim(
            &app,
            "PATCH",
            &path,
            &token,
            Some(patch_ops(
                json!([{"op": "Replace", "path": "title", "value": "x"}]),
            )),
        )
        .await,
        404,
        None,
    );
    assert_eq!(audit_count(&app, a).await, audited);

    // Back in scope in Entra: the POST brings the same person back.
    let r = scim(
        &app,
        "POST",
        "/scim/v2/Users",
        &token,
        Some(entra_user(object_id, upn, "Anne", "Ager")),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["id"], id.as_str());
    assert_eq!(r.json()["active"], true);
    assert_eq!(app.store.list_people(a).await.unwrap().len(), 1);
}
each_backend!(entra_users, entra_provisions_updates_disables_and_deletes);

/// Okta: POST without the enterprise extension, PUT of the whole user, and
/// deactivation as a path-less replace.
async fn okta_puts_whole_users_and_deactivates(app: TestApp) {
    let token = people_writer(&app).await;
    let a = app.fx.members[0].id;
    let find = format!(
        "/scim/v2/Users?filter={}&startIndex=1&count=100",
        q("userName eq \"bo.bak@aalborg.dk\"")
    );
    assert_eq!(
        scim(&app, "GET", &find, &token, None).await.json()["totalResults"],
        0
    );
    let user = json!({
        "schemas": [USER],
        "userName": "bo.bak@aalborg.dk",
        "name": {"givenName": "Bo", "familyName": "Bak"},
        "emails": [{"primary": true, "value": "bo.bak@aalborg.dk", "type": "work"}],
        "displayName": "Bo Bak",
        "locale": "da-DK",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": true
    });
    let r = scim(&app, "POST", "/scim/v2/Users", &token, Some(user.clone())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(r.json()["externalId"], "00ujl29u0le5T6Aj10h7");
    let path = format!("/scim/v2/Users/{id}");

    // Okta reads the user, then PUTs all of it back with a change.
    let r = scim(&app, "GET", &path, &token, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let mut put = user.clone();
    put["id"] = id.clone().into();
    put["name"] = json!({"givenName": "Bo", "middleName": "", "familyName": "Bak-Berg"});
    put["displayName"] = "Bo Bak-Berg".into();
    put["title"] = "Konsulent".into();
    let r = scim(&app, "PUT", &path, &token, Some(put.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["displayName"], "Bo Bak-Berg");
    assert_eq!(r.json()["title"], "Konsulent");
    let audited = audit_count(&app, a).await;
    let r = scim(&app, "PUT", &path, &token, Some(put.clone())).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        audit_count(&app, a).await,
        audited,
        "a replayed PUT is audited"
    );
    // A PUT without the title clears it (it replaces the user); without
    // externalId keeps it (the person's identity).
    let mut bare = put.clone();
    bare.as_object_mut().unwrap().remove("title");
    bare.as_object_mut().unwrap().remove("externalId");
    let r = scim(&app, "PUT", &path, &token, Some(bare)).await;
    assert!(r.json().get("title").is_none(), "{}", r.text());
    assert_eq!(r.json()["externalId"], "00ujl29u0le5T6Aj10h7");

    // Deactivation.
    let off =
        json!({"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": false}}]});
    let r = scim(&app, "PATCH", &path, &token, Some(off.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["active"], false);
    let audited = audit_count(&app, a).await;
    scim(&app, "PATCH", &path, &token, Some(off)).await;
    assert_eq!(audit_count(&app, a).await, audited);
    // Reactivation with a PUT.
    put["active"] = true.into();
    let r = scim(&app, "PUT", &path, &token, Some(put)).await;
    assert_eq!(r.json()["active"], true, "{}", r.text());
}
each_backend!(okta_users, okta_puts_whole_users_and_deactivates);

async fn make_user(app: &TestApp, token: &str, n: u32) -> String {
    let r = scim(
        app,
        "POST",
        "/scim/v2/Users",
        token,
        Some(json!({
            "schemas": [USER],
            "userName": format!("user{n}@x.dk"),
            "externalId": format!("ext-{n}"),
            "displayName": format!("User {n}"),
            "emails": [{"value": format!("user{n}@x.dk"), "type": "work"}],
            "active": true
        })),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_string()
}

/// `totalResults` of the users matching `filter`.
async fn total(app: &TestApp, token: &str, filter: String) -> u64 {
    let path = format!("/scim/v2/Users?filter={}", q(&filter));
    let r = scim(app, "GET", &path, token, None).await;
    assert_eq!(r.status, StatusCode::OK, "{filter}: {}", r.text());
    r.json()["totalResults"].as_u64().unwrap()
}

async fn filters_and_paging_work(app: TestApp) {
    let token = people_writer(&app).await;
    let mut ids = Vec::new();
    for n in 1..=5 {
        ids.push(make_user(&app, &token, n).await);
    }
    // A person made by hand is not a SCIM user.
    app.store
        .create_person(
            &app.actor(&app.fx.a_admin),
            app.fx.members[0].id,
            udrul_core::gallery::PersonInput::parse("", "By Hand", "", "", "", None).unwrap(),
        )
        .await
        .unwrap();
    let r = scim(
        &app,
        "GET",
        "/scim/v2/Users?startIndex=2&count=2",
        &token,
        None,
    )
    .await;
    let b = r.json();
    assert_eq!(
        b["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
    );
    assert_eq!(
        (
            b["totalResults"].clone(),
            b["startIndex"].clone(),
            b["itemsPerPage"].clone()
        ),
        (json!(5), json!(2), json!(2))
    );
    let got: Vec<&str> = b["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[1].as_str(), ids[2].as_str()]);
    let r = scim(&app, "GET", "/scim/v2/Users?count=0", &token, None).await;
    assert_eq!(
        (
            r.json()["totalResults"].clone(),
            r.json()["Resources"].clone()
        ),
        (json!(5), json!([]))
    );
    let r = scim(
        &app,
        "GET",
        "/scim/v2/Users?startIndex=5&count=10",
        &token,
        None,
    )
    .await;
    assert_eq!(r.json()["itemsPerPage"], 1);

    let count = |f: &str| total(&app, &token, f.to_string());
    assert_eq!(count("USERNAME Eq \"USER3@X.DK\"").await, 1);
    assert_eq!(count("externalId eq \"ext-2\"").await, 1);
    assert_eq!(
        count("externalId eq \"EXT-2\"").await,
        0,
        "externalId is case-exact"
    );
    assert_eq!(count(&format!("id eq \"{}\"", ids[4])).await, 1);
    assert_eq!(count("id eq \"not-a-number\"").await, 0);
    assert_eq!(
        count("userName eq \"user3@x.dk\" and displayName eq \"User 4\"").await,
        0
    );
    assert_eq!(
        count("userName sw \"user\" and not (displayName eq \"User 4\")").await,
        4
    );
    assert_eq!(
        count("emails[type eq \"work\" and value co \"user1@\"]").await,
        1
    );
    assert_eq!(count("displayName eq \"By Hand\"").await, 0);
    assert_eq!(count("active eq true or title pr").await, 5);
    for bad in ["userName eq", "userName xx \"a\"", "(userName eq \"a\""] {
        let r = scim(
            &app,
            "GET",
            &format!("/scim/v2/Users?filter={}", q(bad)),
            &token,
            None,
        )
        .await;
        assert_scim_error(&r, 400, Some("invalidFilter"));
    }
    assert_scim_error(
        &scim(&app, "GET", "/scim/v2/Users?startIndex=x", &token, None).await,
        400,
        Some("invalidValue"),
    );
    // attributes / excludedAttributes.
    let r = scim(
        &app,
        "GET",
        &format!("/scim/v2/Users/{}?attributes=userName", ids[0]),
        &token,
        None,
    )
    .await;
    let u = r.json();
    assert!(
        u.get("emails").is_none() && u["userName"] == "user1@x.dk" && u["id"] == ids[0].as_str(),
        "{u}"
    );
}
each_backend!(filters_and_paging, filters_and_paging_work);

async fn groups_are_org_units_with_members(app: TestApp) {
    let token = people_writer(&app).await;
    let a = app.fx.members[0].id;
    let u1 = make_user(&app, &token, 1).await;
    let u2 = make_user(&app, &token, 2).await;
    // Entra looks the group up first, without members.
    let find = format!(
        "/scim/v2/Groups?excludedAttributes=members&filter={}",
        q("displayName eq \"Digitalisering\"")
    );
    assert_eq!(
        scim(&app, "GET", &find, &token, None).await.json()["totalResults"],
        0
    );
    let r = scim(
        &app,
        "POST",
        "/scim/v2/Groups",
        &token,
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group",
                        "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/Group"],
            "externalId": "8A1C3B2D-0000-4000-8000-00000000000A",
            "displayName": "Digitalisering",
            "meta": {"resourceType": "Group"}
        })),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let g1 = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.json()["externalId"],
        "8a1c3b2d-0000-4000-8000-00000000000a"
    );
    let r = scim(&app, "GET", &find, &token, None).await;
    assert_eq!(r.json()["totalResults"], 1);
    assert!(
        r.json()["Resources"][0].get("members").is_none(),
        "{}",
        r.text()
    );
    // The same externalId again: taken.
    let r = scim(
        &app,
        "POST",
        "/scim/v2/Groups",
        &token,
        Some(json!({"externalId": "8a1c3b2d-0000-4000-8000-00000000000a", "displayName": "X"})),
    )
    .await;
    assert_scim_error(&r, 409, Some("uniqueness"));

    let g1_path = format!("/scim/v2/Groups/{g1}");
    let add = patch_ops(
        json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": u1}, {"value": u2}]}]),
    );
    let r = scim(&app, "PATCH", &g1_path, &token, Some(add.clone())).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let members = |r: &Resp| -> Vec<String> {
        let mut m: Vec<String> = r.json()["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["value"].as_str().unwrap().to_string())
            .collect();
        m.sort();
        m
    };
    let mut both = vec![u1.clone(), u2.clone()];
    both.sort();
    assert_eq!(
        members(&scim(&app, "GET", &g1_path, &token, None).await),
        both
    );
    let r = scim(&app, "GET", &format!("/scim/v2/Users/{u1}"), &token, None).await;
    assert_eq!(r.json()["groups"][0]["value"], g1.as_str());
    let audited = audit_count(&app, a).await;
    assert_eq!(
        scim(&app, "PATCH", &g1_path, &token, Some(add))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        audit_count(&app, a).await,
        audited,
        "a replayed add is audited"
    );

    // Adding u1 to another group moves them.
    let r = scim(
        &app,
        "POST",
        "/scim/v2/Groups",
        &token,
        Some(json!({"displayName": "Skole", "members": [{"value": u1}]})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let g2 = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(members(&r), vec![u1.clone()]);
    assert_eq!(
        members(&scim(&app, "GET", &g1_path, &token, None).await),
        vec![u2.clone()]
    );

    // Okta's remove by filter, Entra's remove by value; replays are no-ops.
    let g2_path = format!("/scim/v2/Groups/{g2}");
    let okta_remove =
        patch_ops(json!([{"op": "remove", "path": format!("members[value eq \"{u1}\"]")}]));
    assert_eq!(
        scim(&app, "PATCH", &g2_path, &token, Some(okta_remove.clone()))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        members(&scim(&app, "GET", &g2_path, &token, None).await),
        Vec::<String>::new()
    );
    let entra_remove =
        patch_ops(json!([{"op": "Remove", "path": "members", "value": [{"value": u2}]}]));
    assert_eq!(
        scim(&app, "PATCH", &g1_path, &token, Some(entra_remove.clone()))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let audited = audit_count(&app, a).await;
    scim(&app, "PATCH", &g2_path, &token, Some(okta_remove)).await;
    scim(&app, "PATCH", &g1_path, &token, Some(entra_remove)).await;
    assert_eq!(audit_count(&app, a).await, audited);
    let p = app
        .store
        .get_person(PersonId(u2.parse().unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.org_unit_id, None);

    // Renaming, a member that is not a user of ours, and errors.
    let r = scim(
        &app,
        "PATCH",
        &g1_path,
        &token,
        Some(patch_ops(
            json!([{"op": "Replace", "value": {"id": g1, "displayName": "Digital"}}]),
        )),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert_eq!(
        scim(&app, "GET", &g1_path, &token, None).await.json()["displayName"],
        "Digital"
    );
    let r = scim(
        &app,
        "PATCH",
        &g1_path,
        &token,
        Some(patch_ops(
            json!([{"op": "Add", "path": "members", "value": [{"value": "999999"}]}]),
        )),
    )
    .await;
    assert_scim_error(&r, 400, Some("invalidValue"));
    let r = scim(
        &app,
        "PATCH",
        &g1_path,
        &token,
        Some(patch_ops(
            json!([{"op": "Add", "path": "owners", "value": "x"}]),
        )),
    )
    .await;
    assert_scim_error(&r, 400, Some("invalidPath"));

    // PUT sets the members exactly.
    let r = scim(
        &app,
        "PUT",
        &g1_path,
        &token,
        Some(json!({"displayName": "Digital", "members": [{"value": u1}, {"value": u2}]})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(members(&r), both);

    // DELETE removes the unit; its people leave it; a replay is a 404.
    assert_eq!(
        scim(&app, "DELETE", &g1_path, &token, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_scim_error(&scim(&app, "GET", &g1_path, &token, None).await, 404, None);
    assert_scim_error(
        &scim(&app, "DELETE", &g1_path, &token, None).await,
        404,
        None,
    );
    let p = app
        .store
        .get_person(PersonId(u1.parse().unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.org_unit_id, None);
    let unit = app
        .store
        .get_org_unit(udrul_core::OrgUnitId(g1.parse().unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert!(unit.removed);
    // Listed again by the directory: the same unit comes back.
    let r = scim(&app, "POST", "/scim/v2/Groups", &token, Some(json!({"externalId": "8a1c3b2d-0000-4000-8000-00000000000a", "displayName": "Digitalisering"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["id"], g1.as_str());
}
each_backend!(groups, groups_are_org_units_with_members);

/// The same changes replayed in another order end in the same state and
/// add no audit entries.
async fn replays_in_any_order_converge(app: TestApp) {
    let token = people_writer(&app).await;
    let a = app.fx.members[0].id;
    let id = make_user(&app, &token, 7).await;
    let path = format!("/scim/v2/Users/{id}");
    let r = scim(
        &app,
        "POST",
        "/scim/v2/Groups",
        &token,
        Some(json!({"displayName": "Team"})),
    )
    .await;
    let group = format!("/scim/v2/Groups/{}", r.json()["id"].as_str().unwrap());
    let requests: Vec<(&str, String, Value)> = vec![
        (
            "PATCH",
            path.clone(),
            patch_ops(json!([{"op": "Replace", "path": "title", "value": "Leder"}])),
        ),
        (
            "PATCH",
            path.clone(),
            patch_ops(
                json!([{"op": "Replace", "path": "phoneNumbers[type eq \"work\"].value", "value": "12345678"}]),
            ),
        ),
        (
            "PATCH",
            path.clone(),
            patch_ops(json!([{"op": "Replace", "path": "displayName", "value": "Syv Syvsen"}])),
        ),
        (
            "PATCH",
            group.clone(),
            patch_ops(json!([{"op": "Add", "path": "members", "value": [{"value": id}]}])),
        ),
        (
            "PATCH",
            path.clone(),
            patch_ops(json!([{"op": "Replace", "path": "active", "value": false}])),
        ),
    ];
    for (m, p, b) in &requests {
        let r = scim(&app, m, p, &token, Some(b.clone())).await;
        assert!(r.status.is_success(), "{m} {p}: {}", r.text());
    }
    let state = scim(&app, "GET", &path, &token, None).await.json();
    let audited = audit_count(&app, a).await;
    for (m, p, b) in requests.iter().rev().chain(requests.iter()) {
        let r = scim(&app, m, p, &token, Some(b.clone())).await;
        assert!(r.status.is_success(), "{m} {p}: {}", r.text());
    }
    let mut again = scim(&app, "GET", &path, &token, None).await.json();
    assert_eq!(audit_count(&app, a).await, audited, "replays were audited");
    assert_eq!(again["meta"]["lastModified"], state["meta"]["lastModified"]);
    again["meta"] = state["meta"].clone();
    assert_eq!(again, state);
    assert_eq!(state["title"], "Leder");
    assert_eq!(state["displayName"], "Syv Syvsen");
    assert_eq!(state["active"], false);
    assert_eq!(
        state["groups"][0]["value"],
        group.rsplit('/').next().unwrap()
    );
}
each_backend!(replays_converge, replays_in_any_order_converge);

async fn only_people_write_robots_get_in(app: TestApp) {
    let none = Request::get("/scim/v2/Users").body(Body::empty()).unwrap();
    let r = app.send(none).await;
    assert_scim_error(&r, 401, None);
    assert!(
        r.header("www-authenticate")
            .is_some_and(|v| v.starts_with("Bearer"))
    );
    assert_scim_error(
        &scim(&app, "GET", "/scim/v2/Users", "udrul_robot_nonsense", None).await,
        401,
        None,
    );
    let (reader, _) = app
        .robot_token(&[Permission::InstancesRead, Permission::InstancesWrite])
        .await;
    assert_scim_error(
        &scim(&app, "GET", "/scim/v2/Users", &reader, None).await,
        403,
        None,
    );
    for user in ["a-admin", "admin", "a-user"] {
        let t = app.token(user).await;
        assert_scim_error(
            &scim(&app, "GET", "/scim/v2/Users", &t, None).await,
            403,
            None,
        );
        assert_scim_error(
            &scim(
                &app,
                "POST",
                "/scim/v2/Users",
                &t,
                Some(json!({"userName": "x"})),
            )
            .await,
            403,
            None,
        );
    }
    // A logged-in administrator's browser session is no way in either.
    let mut browser = app.login("a-admin").await;
    let r = browser.get("/scim/v2/Users").await;
    assert_scim_error(&r, 401, None);

    // Discovery, for the token's holder.
    let token = people_writer(&app).await;
    let r = scim(&app, "GET", "/scim/v2/ServiceProviderConfig", &token, None).await;
    let c = r.json();
    assert_eq!(c["patch"]["supported"], true);
    assert_eq!(c["bulk"]["supported"], false);
    assert_eq!(c["filter"]["supported"], true);
    assert_eq!(c["filter"]["maxResults"], 200);
    assert_eq!(c["etag"]["supported"], false);
    assert_eq!(c["authenticationSchemes"][0]["type"], "oauthbearertoken");
    let r = scim(&app, "GET", "/scim/v2/ResourceTypes", &token, None).await;
    assert_eq!(r.json()["totalResults"], 2);
    let r = scim(&app, "GET", "/scim/v2/Schemas", &token, None).await;
    let schemas = r.json();
    let ids: Vec<&str> = schemas["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&USER) && ids.contains(&ENTERPRISE), "{ids:?}");
}
each_backend!(scim_authentication, only_people_write_robots_get_in);

async fn errors_are_scim_errors(app: TestApp) {
    let token = people_writer(&app).await;
    let id = make_user(&app, &token, 1).await;
    let path = format!("/scim/v2/Users/{id}");
    assert_scim_error(
        &scim(&app, "GET", "/scim/v2/Nothing", &token, None).await,
        404,
        None,
    );
    assert_scim_error(
        &scim(&app, "GET", "/scim/v2/Users/abc", &token, None).await,
        404,
        None,
    );
    let r = scim(&app, "POST", &path, &token, Some(json!({}))).await;
    assert_scim_error(&r, 405, None);
    // Not JSON, not an object, too large, wrong media type.
    let bad = Request::post("/scim/v2/Users")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/scim+json")
        .body(Body::from("{\"userName\": "))
        .unwrap();
    assert_scim_error(&app.send(bad).await, 400, Some("invalidSyntax"));
    assert_scim_error(
        &scim(&app, "POST", "/scim/v2/Users", &token, Some(json!(["x"]))).await,
        400,
        Some("invalidSyntax"),
    );
    let big = json!({"userName": "big@x.dk", "displayName": "x".repeat(300 * 1024)});
    assert_scim_error(
        &scim(&app, "POST", "/scim/v2/Users", &token, Some(big)).await,
        413,
        None,
    );
    let text = Request::post("/scim/v2/Users")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("{}"))
        .unwrap();
    assert_scim_error(&app.send(text).await, 415, None);
    // application/json is as good as application/scim+json.
    let r = app
        .api(
            "POST",
            "/scim/v2/Users",
            Some(&token),
            Some(json!({"userName": "plain@x.dk", "displayName": "Plain"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());

    // Values the core parsers refuse, and a missing userName.
    for body in [
        json!({"userName": "c@x.dk", "displayName": "Bad\u{0007}name"}),
        json!({"userName": "d@x.dk", "displayName": "D", "emails": [{"value": "not an address", "primary": true}]}),
        json!({"displayName": "No user name"}),
        json!({"userName": "e@x.dk", "active": "perhaps"}),
    ] {
        let r = scim(&app, "POST", "/scim/v2/Users", &token, Some(body.clone())).await;
        assert_scim_error(&r, 400, Some("invalidValue"));
    }
    // Spoofing characters (issue 11) are refused with a detail that names
    // them, and nothing is written: no person, no audit entry.
    let member = app.fx.members[0].id;
    let people_before = app.store.list_people(member).await.unwrap().len();
    let audit_before = audit_count(&app, member).await;
    for body in [
        json!({"userName": "f@x.dk", "displayName": "Anne \u{202E}regA"}),
        json!({"userName": "g\u{200B}@x.dk", "displayName": "G"}),
        json!({"userName": "h@x.dk", "displayName": "H", "title": "IT\u{2066}chef"}),
        json!({"userName": "i@x.dk", "name": {"givenName": "I\u{FEFF}", "familyName": "J"}}),
    ] {
        let r = scim(&app, "POST", "/scim/v2/Users", &token, Some(body.clone())).await;
        assert_scim_error(&r, 400, Some("invalidValue"));
        assert!(
            r.json()["detail"]
                .as_str()
                .is_some_and(|d| d.contains("invisible characters")),
            "{body}: {}",
            r.text()
        );
    }
    let r = scim(
        &app,
        "PATCH",
        &path,
        &token,
        Some(patch_ops(
            json!([{"op": "Replace", "path": "displayName", "value": "Bo\u{200D}b"}]),
        )),
    )
    .await;
    assert_scim_error(&r, 400, Some("invalidValue"));
    let r = scim(
        &app,
        "POST",
        "/scim/v2/Groups",
        &token,
        Some(json!({"displayName": "Skole\u{202B}", "externalId": "g-spoof"})),
    )
    .await;
    assert_scim_error(&r, 400, Some("invalidValue"));
    assert_eq!(
        app.store.list_people(member).await.unwrap().len(),
        people_before
    );
    assert!(app.store.list_org_units(member).await.unwrap().is_empty());
    assert_eq!(audit_count(&app, member).await, audit_before);
    // PATCH errors.
    for (ops, kind) in [
        (
            json!([{"op": "Replace", "path": "id", "value": "1"}]),
            "mutability",
        ),
        (
            json!([{"op": "Add", "path": "groups", "value": [{"value": "1"}]}]),
            "mutability",
        ),
        (
            json!([{"op": "Replace", "path": "favouriteColour", "value": "red"}]),
            "invalidPath",
        ),
        (
            json!([{"op": "Replace", "path": "emails[type eq ", "value": "x"}]),
            "invalidPath",
        ),
        (json!([{"op": "Remove"}]), "noTarget"),
        (
            json!([{"op": "Remove", "path": "userName"}]),
            "invalidValue",
        ),
        (
            json!([{"op": "Replace", "path": "active", "value": "maybe"}]),
            "invalidValue",
        ),
        (
            json!([{"op": "Jump", "path": "title", "value": "x"}]),
            "invalidSyntax",
        ),
    ] {
        let r = scim(&app, "PATCH", &path, &token, Some(patch_ops(ops.clone()))).await;
        assert_scim_error(&r, 400, Some(kind));
    }
    // A userName another user has, through PATCH.
    make_user(&app, &token, 2).await;
    let r = scim(
        &app,
        "PATCH",
        &path,
        &token,
        Some(patch_ops(
            json!([{"op": "Replace", "path": "userName", "value": "USER2@x.dk"}]),
        )),
    )
    .await;
    assert_scim_error(&r, 409, Some("uniqueness"));
}
each_backend!(scim_errors, errors_are_scim_errors);

/// Member A's identity provider never sees or touches member B's people
/// and units, even with their ids.
async fn members_are_isolated(app: TestApp) {
    let a_token = people_writer(&app).await;
    let sys = udrul_core::Actor::system();
    let b_robot = app
        .store
        .create_user(
            &sys,
            udrul_core::store::NewUser {
                username: "robot-b".into(),
                display_name: "Robot B".into(),
                email: String::new(),
                password_hash: String::new(),
                role: udrul_core::AccessRole::Robot,
                member_id: Some(app.fx.members[1].id),
            },
        )
        .await
        .unwrap();
    let day = chrono::Utc::now() + chrono::Duration::days(1);
    let (b_token, _) = app
        .robot_token_for(&sys, b_robot.id, &[Permission::PeopleWrite], day)
        .await;
    let b_user = make_user(&app, &b_token, 1).await;
    let r = scim(
        &app,
        "POST",
        "/scim/v2/Groups",
        &b_token,
        Some(json!({"displayName": "B unit", "members": [{"value": b_user}]})),
    )
    .await;
    let b_group = r.json()["id"].as_str().unwrap().to_string();
    let b = app.fx.members[1].id;
    let before = (
        app.store.list_people(b).await.unwrap(),
        app.store.list_org_units(b).await.unwrap(),
        audit_count(&app, b).await,
    );

    // The same userName and externalId are free in member A.
    let a_user = make_user(&app, &a_token, 1).await;
    assert_ne!(a_user, b_user);
    let r = scim(&app, "GET", "/scim/v2/Users", &a_token, None).await;
    assert_eq!(r.json()["totalResults"], 1);
    assert_eq!(
        scim(&app, "GET", "/scim/v2/Groups", &a_token, None)
            .await
            .json()["totalResults"],
        0
    );
    let f = format!(
        "/scim/v2/Users?filter={}",
        q(&format!("id eq \"{b_user}\""))
    );
    assert_eq!(
        scim(&app, "GET", &f, &a_token, None).await.json()["totalResults"],
        0
    );

    let user = format!("/scim/v2/Users/{b_user}");
    let group = format!("/scim/v2/Groups/{b_group}");
    let title = patch_ops(json!([{"op": "Replace", "path": "title", "value": "x"}]));
    for (m, p, body) in [
        ("GET", &user, None),
        (
            "PUT",
            &user,
            Some(json!({"userName": "user1@x.dk", "displayName": "X"})),
        ),
        ("PATCH", &user, Some(title)),
        ("DELETE", &user, None),
        ("GET", &group, None),
        ("PUT", &group, Some(json!({"displayName": "X"}))),
        (
            "PATCH",
            &group,
            Some(patch_ops(json!([{"op": "Remove", "path": "members"}]))),
        ),
        ("DELETE", &group, None),
    ] {
        assert_scim_error(&scim(&app, m, p, &a_token, body).await, 404, None);
    }
    // Nor can A's groups take B's people.
    let r = scim(
        &app,
        "POST",
        "/scim/v2/Groups",
        &a_token,
        Some(json!({"displayName": "A unit"})),
    )
    .await;
    let a_group = format!("/scim/v2/Groups/{}", r.json()["id"].as_str().unwrap());
    let r = scim(
        &app,
        "PATCH",
        &a_group,
        &a_token,
        Some(patch_ops(
            json!([{"op": "Add", "path": "members", "value": [{"value": b_user}]}]),
        )),
    )
    .await;
    assert_scim_error(&r, 400, Some("invalidValue"));
    let after = (
        app.store.list_people(b).await.unwrap(),
        app.store.list_org_units(b).await.unwrap(),
        audit_count(&app, b).await,
    );
    assert_eq!(before, after);
}
each_backend!(scim_isolation, members_are_isolated);

/// Hostile filters and paths: nested far past any identity provider's
/// (parentheses, `not (`, value paths), or long chains of terms. Each is a
/// 400 `invalidFilter`/`invalidPath`, not a stack overflow that aborts the
/// process, and the portal answers normally afterwards (issue 11).
async fn hostile_filters_are_refused(app: TestApp) {
    let token = people_writer(&app).await;
    let id = make_user(&app, &token, 1).await;
    let balanced = |open: &str, close: &str, n: usize| {
        format!("{}userName pr{}", open.repeat(n), close.repeat(n))
    };
    let chain = |n: usize| vec!["userName pr"; n].join(" and ");
    let filters = [
        // Unclosed: the parser descends all the way before it fails.
        "(".repeat(1_990),
        balanced("(", ")", 990),
        "not (".repeat(399),
        balanced("not (", ")", 330),
        "emails[".repeat(280),
        format!("{}x eq \"1\"", "emails[".repeat(280)),
        // Too many terms (a deep tree for the evaluator).
        vec!["a pr"; 220].join(" and "),
        vec!["a pr"; 240].join(" or "),
        // Longer than the limit.
        "(".repeat(5_000),
        // (A URI longer than 64 KiB is refused before any handler.)
        "(".repeat(20_000),
        balanced("(", ")", 5_000),
    ];
    for f in &filters {
        for resource in ["Users", "Groups"] {
            let r = scim(
                &app,
                "GET",
                &format!("/scim/v2/{resource}?filter={}", q(f)),
                &token,
                None,
            )
            .await;
            assert_scim_error(&r, 400, Some("invalidFilter"));
        }
    }
    // A PATCH path nested past the limit.
    for path in [
        "emails[".repeat(280),
        format!(
            "emails[{}type eq \"work\"{}]",
            "(".repeat(985),
            ")".repeat(985)
        ),
    ] {
        let ops = patch_ops(json!([{"op": "Replace", "path": path, "value": "x"}]));
        let r = scim(
            &app,
            "PATCH",
            &format!("/scim/v2/Users/{id}"),
            &token,
            Some(ops),
        )
        .await;
        assert_scim_error(&r, 400, Some("invalidPath"));
    }
    // Nesting and terms within the limits still work.
    for f in [
        balanced("(", ")", 20),
        balanced("not (not (", "))", 8),
        chain(40),
        format!(
            "emails[{}type eq \"work\"{}]",
            "(".repeat(20),
            ")".repeat(20)
        ),
    ] {
        let r = scim(
            &app,
            "GET",
            &format!("/scim/v2/Users?filter={}", q(&f)),
            &token,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{f}: {}", r.text());
    }
    // JSON bodies nested past serde_json's limit are syntax errors.
    for body in [
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        format!(
            "{{\"userName\": \"n@x.dk\", \"displayName\": {}1{}}}",
            "{\"a\":".repeat(20_000),
            "}".repeat(20_000)
        ),
    ] {
        let req = Request::post("/scim/v2/Users")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/scim+json")
            .body(Body::from(body))
            .unwrap();
        assert_scim_error(&app.send(req).await, 400, Some("invalidSyntax"));
    }
    let r = scim(
        &app,
        "GET",
        "/scim/v2/Users?filter=userName%20pr",
        &token,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["totalResults"], json!(1));
}
each_backend!(scim_hostile_filters, hostile_filters_are_refused);
