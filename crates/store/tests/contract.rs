//! The store contract: every test runs against every backend.
//!
//! SQLite always (a fresh file in a temporary directory); PostgreSQL when
//! `UDRUL_TEST_PG_URL` names an administrative connection (a fresh database
//! is created for each test and dropped after it). With `UDRUL_REQUIRE_PG=1`
//! and no URL the tests fail, so CI cannot skip PostgreSQL silently.
//!
//! Each test is written once as `async fn name(b: Backend)` in `cases` and
//! listed in the `contract!` invocation, which runs it per backend and puts
//! the backend's name in front of any failure.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{Duration, NaiveDate, SubsecRound, Utc};
use udrul_core::access::{AccessRole, Actor, Scope};
use udrul_core::gallery::{
    AssignmentInput, ChangeSource, MailboxInput, OrgUnitInput, PersonInput, RoleInput,
};
use udrul_core::input::{Audience, EndDateChange, InstanceUpdate, ProjectInput, TaskInput};
use udrul_core::model::*;
use udrul_core::store::{AssignmentFilter, NewMember, NewUser, SeedStatus, Store, StoreError};

// --- backends -----------------------------------------------------------------

/// One backend under test.
#[derive(Clone)]
pub struct Backend {
    pub name: &'static str,
    pub store: Arc<dyn Store>,
    /// Where the store's database is, for the few checks that need SQL.
    pub url: String,
}

struct Running {
    backend: Backend,
    _dir: Option<tempfile::TempDir>,
    drop_pg: Option<(String, String)>,
}

async fn backends() -> Vec<Running> {
    let mut out = Vec::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let url = udrul_store::default_sqlite_url(dir.path()).expect("sqlite url");
    let store = udrul_store::connect(&url).await.expect("open sqlite");
    out.push(Running {
        backend: Backend {
            name: "sqlite",
            store,
            url,
        },
        _dir: Some(dir),
        drop_pg: None,
    });
    match std::env::var("UDRUL_TEST_PG_URL") {
        Ok(admin) if !admin.is_empty() => {
            use sqlx::Connection;
            let name = format!("udrul_test_{:016x}", random_u64());
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to UDRUL_TEST_PG_URL");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let _ = conn.close().await;
            let (base, _) = admin.rsplit_once('/').expect("URL with a database name");
            let base = base.to_string();
            let url = format!("{base}/{name}");
            let store = udrul_store::connect(&url).await.expect("open postgres");
            out.push(Running {
                backend: Backend {
                    name: "postgres",
                    store,
                    url,
                },
                _dir: None,
                drop_pg: Some((admin, name)),
            });
        }
        _ => {
            assert!(
                std::env::var("UDRUL_REQUIRE_PG").as_deref() != Ok("1"),
                "UDRUL_REQUIRE_PG=1 but UDRUL_TEST_PG_URL is not set: PostgreSQL would be skipped"
            );
        }
    }
    out
}

impl Running {
    async fn finish(self) {
        let Running {
            backend, drop_pg, ..
        } = self;
        drop(backend);
        if let Some((admin, name)) = drop_pg {
            use sqlx::Connection;
            if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await;
                let _ = conn.close().await;
            }
        }
    }
}

fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.write_u32(std::process::id());
    h.finish()
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        "panic".to_string()
    }
}

macro_rules! contract {
    ($($name:ident),* $(,)?) => { contract!(@in cases; $($name),*); };
    (@in $cases:ident; $($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            for running in backends().await {
                let backend = running.backend.clone();
                let name = backend.name;
                let result = tokio::spawn($cases::$name(backend)).await;
                running.finish().await;
                if let Err(e) = result {
                    let msg = if e.is_panic() { panic_message(e.into_panic()) } else { e.to_string() };
                    panic!("[{name}] {}: {msg}", stringify!($name));
                }
            }
        }
    )*};
}

contract!(
    external_logins_keep_no_hidden_characters,
    scim_user_names_are_kept_unique_and_released,
    people_sync_leavers_notices_and_units,
    role_catalogue_rules_and_scope,
    role_gallery_over_time,
    people_mailboxes_and_leavers,
    gallery_writes_check_the_actor,
    audit_log_is_append_only,
    login_failures_count_per_window,
    login_attempts_count_atomically,
    saml_assertions_are_used_once,
    ping_and_backend_name,
    secret_is_stable,
    members_upsert_and_list,
    roles_are_ensured_once,
    users_and_credentials,
    inactive_user_credentials_are_hidden,
    projects_and_duplicate_names,
    create_task_makes_a_draft_with_history,
    update_task_checks_version_and_state,
    unknown_project_or_role_writes_nothing,
    publish_to_all_creates_one_instance_per_member,
    publish_to_selection_is_a_union_without_duplicates,
    publish_with_unknown_audience_changes_nothing,
    end_date_changes_keep_history,
    task_state_transitions,
    list_instances_scope_order_and_paging,
    get_instance_respects_scope,
    update_instance_applies_and_records_history,
    update_instance_refusals,
    concurrent_updates_with_one_version_exactly_one_wins,
    many_concurrent_updates_all_land,
    noop_update_adds_no_event,
    not_relevant_reason_is_cleared_when_status_leaves_it,
    follow_up_counts_and_filters,
    seed_statuses_sets_and_records,
    seed_statuses_at_dates_the_change_in_the_past,
    list_tasks_summarises_progress,
    member_home_totals_follow_visibility,
);

// --- fixtures ---------------------------------------------------------------------

pub const REGIONS: [&str; 5] = [
    "Hovedstaden",
    "Sjælland",
    "Syddanmark",
    "Midtjylland",
    "Nordjylland",
];
pub const NETWORKS: [&str; 3] = ["Net A", "Net B", "Net C"];

fn d(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

pub struct Fx {
    pub s: Arc<dyn Store>,
    pub central: Actor,
    pub project: Project,
    pub members: Vec<Member>,
}

impl Fx {
    /// `n` members, member i in region i % 5 and network i % 3, a central
    /// staff user and a project.
    pub async fn new(b: &Backend, n: usize) -> Fx {
        let s = b.store.clone();
        let mut members = Vec::new();
        for i in 0..n {
            members.push(
                s.upsert_member(NewMember {
                    code: format!("{}", 101 + i),
                    name: format!("Kommune {i:03}"),
                    region: REGIONS[i % REGIONS.len()].to_string(),
                    network: NETWORKS[i % NETWORKS.len()].to_string(),
                })
                .await
                .expect("member"),
            );
        }
        let u = s
            .create_user(
                &Actor::system(),
                new_user("konsulent", AccessRole::CentralStaff, None),
            )
            .await
            .expect("user");
        let project = s
            .create_project(
                &Actor::system(),
                ProjectInput::parse("Sygesikring", "").expect("input"),
            )
            .await
            .expect("project");
        s.set_project_staff(&Actor::system(), project.id, u.id, true)
            .await
            .expect("staff");
        for r in ["Infrastrukturansvarlig", "Systemansvarlig", "Programleder"] {
            s.ensure_role(r).await.expect("role");
        }
        Fx {
            s,
            central: actor(&u),
            project,
            members,
        }
    }

    pub fn input(&self, code: &str, task_type: TaskType, end: &str) -> TaskInput {
        TaskInput {
            project_id: self.project.id,
            code: code.to_string(),
            title: format!("Opgave {code}"),
            purpose: "Formål".into(),
            guidance: "**Vejledning**".into(),
            task_type,
            phase: "Klargøring".into(),
            target_roles: vec!["Systemansvarlig".into(), "Infrastrukturansvarlig".into()],
            start_date: Some(d("2020-01-01")),
            end_date: d(end),
        }
    }

    pub async fn draft(&self, code: &str, task_type: TaskType, end: &str) -> Task {
        self.s
            .create_task(&self.central, self.input(code, task_type, end))
            .await
            .expect("draft")
    }

    pub async fn published(&self, code: &str, task_type: TaskType, end: &str) -> Task {
        let t = self.draft(code, task_type, end).await;
        self.s
            .publish_task(&self.central, t.id, &Audience::All)
            .await
            .expect("publish")
            .task
    }

    /// A member user of member `i`.
    pub async fn member_actor(&self, i: usize) -> Actor {
        let m = &self.members[i];
        let u = self
            .s
            .create_user(
                &Actor::system(),
                new_user(
                    &format!("bruger-{}", m.code),
                    AccessRole::MemberUser,
                    Some(m.id),
                ),
            )
            .await
            .expect("member user");
        actor(&u)
    }

    /// The instance of `task` at member `i`.
    pub async fn instance(&self, task: TaskId, i: usize) -> InstanceRow {
        let page = self
            .s
            .list_instances(
                Scope::All,
                &InstanceFilter {
                    task_id: Some(task),
                    member_id: Some(self.members[i].id),
                    ..Default::default()
                },
                PageRequest::new(1, 10),
            )
            .await
            .expect("list");
        assert_eq!(page.total, 1, "one instance per task and member");
        page.items.into_iter().next().expect("instance")
    }
}

pub fn new_user(username: &str, role: AccessRole, member_id: Option<MemberId>) -> NewUser {
    NewUser {
        username: username.to_string(),
        display_name: format!("Name of {username}"),
        email: format!("{username}@example.org"),
        password_hash: "$argon2id$fake".to_string(),
        role,
        member_id,
    }
}

pub fn actor(u: &User) -> Actor {
    Actor::person(u.id, u.display_name.clone(), u.role, u.member_id)
}

fn status_update(status: ExecutionStatus) -> InstanceUpdate {
    InstanceUpdate {
        status: Some(status),
        ..Default::default()
    }
}

/// Runs SQL on the backend's database directly (for states no trait method
/// produces, such as an inactive user).
async fn raw_exec(b: &Backend, sql: &'static str) {
    use sqlx::Connection;
    if b.url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(&b.url)
            .await
            .expect("raw sqlite");
        sqlx::query(sql).execute(&mut c).await.expect("raw sql");
        let _ = c.close().await;
    } else {
        let mut c = sqlx::PgConnection::connect(&b.url).await.expect("raw pg");
        sqlx::query(sql).execute(&mut c).await.expect("raw sql");
        let _ = c.close().await;
    }
}

/// Runs raw SQL and says whether the database accepted it.
async fn raw_try(b: &Backend, sql: &'static str) -> bool {
    use sqlx::Connection;
    if b.url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(&b.url)
            .await
            .expect("raw sqlite");
        let ok = sqlx::query(sql).execute(&mut c).await.is_ok();
        let _ = c.close().await;
        ok
    } else {
        let mut c = sqlx::PgConnection::connect(&b.url).await.expect("raw pg");
        let ok = sqlx::query(sql).execute(&mut c).await.is_ok();
        let _ = c.close().await;
        ok
    }
}

// --- the cases ------------------------------------------------------------------

mod cases {
    use super::*;

    pub async fn ping_and_backend_name(b: Backend) {
        b.store.ping().await.unwrap();
        assert_eq!(b.store.backend(), b.name);
    }

    pub async fn secret_is_stable(b: Backend) {
        let s = &b.store;
        let first = s.secret("cookie-key", vec![1, 2, 3]).await.unwrap();
        assert_eq!(first, vec![1, 2, 3]);
        let again = s.secret("cookie-key", vec![9, 9, 9]).await.unwrap();
        assert_eq!(again, vec![1, 2, 3], "the first value stays");
        let other = s.secret("other", vec![0; 32]).await.unwrap();
        assert_eq!(other, vec![0; 32]);
    }

    pub async fn members_upsert_and_list(b: Backend) {
        let s = &b.store;
        let m = |code: &str, name: &str| NewMember {
            code: code.into(),
            name: name.into(),
            region: "Hovedstaden".into(),
            network: "Net A".into(),
        };
        let kbh = s.upsert_member(m("101", "København")).await.unwrap();
        let aal = s.upsert_member(m("851", "Aalborg")).await.unwrap();
        let fre = s.upsert_member(m("147", "Frederiksberg")).await.unwrap();
        let names: Vec<String> = s
            .list_members()
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.name)
            .collect();
        assert_eq!(names, ["Aalborg", "Frederiksberg", "København"]);

        // Same code: updated in place, same id.
        let mut changed = m("851", "Aalborg Kommune");
        changed.region = "Nordjylland".into();
        let aal2 = s.upsert_member(changed).await.unwrap();
        assert_eq!(aal2.id, aal.id);
        assert_eq!(aal2.region, "Nordjylland");
        assert_eq!(
            s.get_member(aal.id).await.unwrap().unwrap().name,
            "Aalborg Kommune"
        );
        assert_eq!(s.list_members().await.unwrap().len(), 3);
        assert_eq!(s.get_member(kbh.id).await.unwrap(), Some(kbh));
        assert_eq!(s.get_member(MemberId(fre.id.0 + 1000)).await.unwrap(), None);
    }

    /// An identity provider's name with a right-to-left override and a
    /// zero-width space is kept without them (a login cannot show a form
    /// error, and the name is shown in lists and the audit log).
    pub async fn external_logins_keep_no_hidden_characters(b: Backend) {
        let s = &b.store;
        let m = s
            .upsert_member(NewMember {
                code: "101".into(),
                name: "København".into(),
                region: "Hovedstaden".into(),
                network: "Net A".into(),
            })
            .await
            .unwrap();
        let u = s
            .external_login(
                "sub-1",
                "Anne\u{202E} Ager\u{200B}",
                "anne@k\u{2060}.dk",
                m.id,
            )
            .await
            .unwrap();
        assert_eq!(u.display_name, "Anne Ager");
        assert_eq!(u.email, "anne@k.dk");
        let again = s
            .external_login("sub-1", "Anne \u{2066}Ager", "anne@k.dk", m.id)
            .await
            .unwrap();
        assert_eq!(again.display_name, "Anne Ager");
    }

    pub async fn roles_are_ensured_once(b: Backend) {
        let s = &b.store;
        let a = s.ensure_role("Systemansvarlig").await.unwrap();
        let b2 = s.ensure_role("Systemansvarlig").await.unwrap();
        assert_eq!(a, b2);
        s.ensure_role("ESDH-ansvarlig").await.unwrap();
        let names: Vec<String> = s
            .list_roles()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["ESDH-ansvarlig", "Systemansvarlig"]);
    }

    pub async fn users_and_credentials(b: Backend) {
        let s = &b.store;
        let m = s
            .upsert_member(NewMember {
                code: "101".into(),
                name: "København".into(),
                region: "Hovedstaden".into(),
                network: "Net A".into(),
            })
            .await
            .unwrap();
        assert_eq!(s.count_users().await.unwrap(), 0);
        let u = s
            .create_user(
                &Actor::system(),
                new_user("bruger-101", AccessRole::MemberUser, Some(m.id)),
            )
            .await
            .unwrap();
        assert_eq!(u.member_id, Some(m.id));
        assert!(u.active);
        assert_eq!(s.count_users().await.unwrap(), 1);
        assert!(matches!(
            s.create_user(
                &Actor::system(),
                new_user("bruger-101", AccessRole::MemberUser, Some(m.id))
            )
            .await,
            Err(StoreError::Duplicate(_))
        ));
        match s
            .create_user(
                &Actor::system(),
                new_user("ghost", AccessRole::MemberUser, Some(MemberId(m.id.0 + 99))),
            )
            .await
        {
            Err(StoreError::Invalid(e)) => assert_eq!(e.0[0].field, "member_id"),
            other => panic!("expected Invalid, got {other:?}"),
        }
        let with_hash = s.user_by_username("bruger-101").await.unwrap().unwrap();
        assert_eq!(with_hash.user, u);
        assert_eq!(with_hash.password_hash, "$argon2id$fake");
        assert!(s.user_by_username("nobody").await.unwrap().is_none());
        assert_eq!(s.get_user(u.id).await.unwrap(), Some(u.clone()));

        let now = Utc::now().trunc_subsecs(6);
        let live = Credential {
            user_id: u.id,
            created_at: now,
            last_seen_at: now,
            expires_at: now + Duration::hours(8),
        };
        let expired = Credential {
            expires_at: now - Duration::seconds(1),
            ..live.clone()
        };
        s.create_credential("session", b"live-hash", live.clone())
            .await
            .unwrap();
        s.create_credential("session", b"old-hash", expired.clone())
            .await
            .unwrap();
        s.create_credential("api", b"live-hash", live.clone())
            .await
            .unwrap();

        let (c, cu) = s
            .get_credential("session", b"live-hash")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c, live);
        assert_eq!(cu, u);
        assert!(
            s.get_credential("session", b"nope")
                .await
                .unwrap()
                .is_none()
        );

        let later = now + Duration::minutes(5);
        s.touch_credential("session", b"live-hash", later)
            .await
            .unwrap();
        let (c, _) = s
            .get_credential("session", b"live-hash")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.last_seen_at, later);
        assert_eq!(c.created_at, now);

        // The expired one is returned (the caller checks expiry) until purged.
        assert!(
            s.get_credential("session", b"old-hash")
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(s.purge_credentials(now).await.unwrap(), 1);
        assert!(
            s.get_credential("session", b"old-hash")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            s.get_credential("session", b"live-hash")
                .await
                .unwrap()
                .is_some()
        );

        s.delete_credential("session", b"live-hash").await.unwrap();
        assert!(
            s.get_credential("session", b"live-hash")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            s.get_credential("api", b"live-hash")
                .await
                .unwrap()
                .is_some(),
            "kinds are separate"
        );
    }

    pub async fn audit_log_is_append_only(b: Backend) {
        let s = &b.store;
        s.record_audit(
            None,
            udrul_core::store::AuditEntry {
                action: "login.failure",
                object_type: "user",
                ..Default::default()
            },
        )
        .await
        .unwrap();
        // Not even a direct connection can change or remove an entry.
        assert!(!raw_try(&b, "UPDATE audit_events SET action = 'x'").await);
        assert!(!raw_try(&b, "DELETE FROM audit_events").await);
        if !b.url.starts_with("sqlite:") {
            assert!(!raw_try(&b, "TRUNCATE audit_events").await);
        }
        let all = s
            .search_audit(&udrul_core::store::AuditFilter {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].action, "login.failure");
        assert_eq!(all[0].actor_kind, ActorKind::Anonymous);
    }

    fn role_input(name: &str, project: Option<ProjectId>, max: &str, required: bool) -> RoleInput {
        RoleInput::parse(name, "Beskrivelse", project.map(|p| p.0), max, required).unwrap()
    }

    fn person_input(name: &str, external: &str) -> PersonInput {
        PersonInput::parse(
            external,
            name,
            &format!("{}@kommune.example", name.to_lowercase().replace(' ', ".")),
            "",
            "",
            None,
        )
        .unwrap()
    }

    fn assignment(
        role: RoleId,
        person: PersonId,
        from: &str,
        to: &str,
        primary: bool,
    ) -> AssignmentInput {
        AssignmentInput::parse(role.0, person.0, from, to, primary, d("2026-01-01")).unwrap()
    }

    pub async fn role_catalogue_rules_and_scope(b: Backend) {
        let fx = Fx::new(&b, 1).await;
        let s = &b.store;
        let admin = Actor::system();
        let sapa = s
            .create_role(
                &admin,
                role_input("Systemansvarlig for SAPA", Some(fx.project.id), "2", true),
            )
            .await
            .unwrap();
        assert_eq!(sapa.project_id, Some(fx.project.id));
        assert_eq!(sapa.project_name.as_deref(), Some(fx.project.name.as_str()));
        assert_eq!((sapa.max_holders, sapa.required), (Some(2), true));
        assert_eq!(s.get_role(sapa.id).await.unwrap().as_ref(), Some(&sapa));
        // The name is unique; an unknown project is a field error.
        assert!(matches!(
            s.create_role(
                &admin,
                role_input("Systemansvarlig for SAPA", None, "", false)
            )
            .await,
            Err(StoreError::Duplicate("role"))
        ));
        match s
            .create_role(
                &admin,
                role_input("X", Some(ProjectId(fx.project.id.0 + 99)), "", false),
            )
            .await
        {
            Err(StoreError::Invalid(e)) => assert!(e.for_field("project_id").is_some()),
            other => panic!("{other:?}"),
        }
        // Roles from task seeding show up bare, and ensure_role finds them.
        let bare = s.ensure_role("Systemansvarlig").await.unwrap();
        assert_eq!(
            (bare.max_holders, bare.required, bare.description.as_str()),
            (None, false, "")
        );
        let names: Vec<String> = s
            .list_roles()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert!(names.contains(&"Systemansvarlig for SAPA".to_string()));

        // The limit cannot drop below what a member has at once.
        let m = fx.members[0].id;
        let a = s
            .create_person(&admin, m, person_input("Anne Ager", ""))
            .await
            .unwrap();
        let bo = s
            .create_person(&admin, m, person_input("Bo Bak", ""))
            .await
            .unwrap();
        for p in [&a, &bo] {
            s.assign_role(
                &admin,
                m,
                assignment(sapa.id, p.id, "2026-01-01", "", false),
            )
            .await
            .unwrap();
        }
        match s
            .update_role(
                &admin,
                sapa.id,
                role_input("Systemansvarlig for SAPA", None, "1", true),
            )
            .await
        {
            Err(StoreError::Invalid(e)) => assert!(e.for_field("max_holders").is_some()),
            other => panic!("{other:?}"),
        }
        let changed = s
            .update_role(
                &admin,
                sapa.id,
                role_input("SAPA-systemansvarlig", None, "3", false),
            )
            .await
            .unwrap();
        assert_eq!(
            (
                changed.name.as_str(),
                changed.project_id,
                changed.max_holders,
                changed.required
            ),
            ("SAPA-systemansvarlig", None, Some(3), false)
        );
    }

    pub async fn role_gallery_over_time(b: Backend) {
        let fx = Fx::new(&b, 2).await;
        let s = &b.store;
        let admin = Actor::system();
        let (m0, m1) = (fx.members[0].id, fx.members[1].id);
        let role = s
            .create_role(&admin, role_input("Netværksansvarlig", None, "1", true))
            .await
            .unwrap();
        let anne = s
            .create_person(&admin, m0, person_input("Anne Ager", ""))
            .await
            .unwrap();
        let bo = s
            .create_person(&admin, m0, person_input("Bo Bak", ""))
            .await
            .unwrap();
        let other = s
            .create_person(&admin, m1, person_input("Cai Carl", ""))
            .await
            .unwrap();

        // Anne for the first half of the year; Bo from the second half.
        let first = s
            .assign_role(
                &admin,
                m0,
                assignment(role.id, anne.id, "2026-01-01", "2026-06-30", true),
            )
            .await
            .unwrap();
        assert_eq!(first.person_name, "Anne Ager");
        s.assign_role(
            &admin,
            m0,
            assignment(role.id, bo.id, "2026-07-01", "", true),
        )
        .await
        .unwrap();
        // Another holder overlapping either is one too many (max 1).
        let cecilie = s
            .create_person(&admin, m0, person_input("Cecilie Cirk", ""))
            .await
            .unwrap();
        match s
            .assign_role(
                &admin,
                m0,
                assignment(role.id, cecilie.id, "2026-06-30", "2026-07-02", false),
            )
            .await
        {
            Err(StoreError::Invalid(e)) => {
                assert_eq!(
                    e.for_field("person_id").unwrap().code,
                    "error-role-max-holders"
                )
            }
            other => panic!("{other:?}"),
        }
        // Another member's person cannot hold this member's role.
        match s
            .assign_role(
                &admin,
                m0,
                assignment(role.id, other.id, "2027-01-01", "", false),
            )
            .await
        {
            Err(StoreError::Invalid(e)) => {
                assert_eq!(
                    e.for_field("person_id").unwrap().code,
                    "error-unknown-person"
                )
            }
            other => panic!("{other:?}"),
        }
        // ... but holds it at their own member, which has its own limit.
        s.assign_role(
            &admin,
            m1,
            assignment(role.id, other.id, "2026-01-01", "", false),
        )
        .await
        .unwrap();

        let gallery = s
            .list_assignments(&AssignmentFilter {
                member: Some(m0),
                role: None,
            })
            .await
            .unwrap();
        assert_eq!(gallery.len(), 2);
        let on = |day: &str| -> Vec<String> {
            gallery
                .iter()
                .filter(|a| a.on(d(day)))
                .map(|a| a.person_name.clone())
                .collect()
        };
        assert_eq!(on("2026-03-01"), ["Anne Ager"]);
        assert_eq!(on("2026-07-01"), ["Bo Bak"]);
        // Across members: who holds the role.
        let everywhere = s
            .list_assignments(&AssignmentFilter {
                member: None,
                role: Some(role.id),
            })
            .await
            .unwrap();
        assert_eq!(everywhere.len(), 3);

        // Ending Bo's on 2026-12-31; ending Anne's before it began removes it.
        let bos = gallery.iter().find(|a| a.person_id == bo.id).unwrap();
        s.end_assignment(&admin, bos.id, d("2026-12-31"))
            .await
            .unwrap();
        s.end_assignment(&admin, first.id, d("2025-12-31"))
            .await
            .unwrap();
        let after = s
            .list_assignments(&AssignmentFilter {
                member: Some(m0),
                role: Some(role.id),
            })
            .await
            .unwrap();
        assert_eq!(after.len(), 1);
        assert_eq!(after[0].valid_to, Some(d("2026-12-31")));
        assert!(matches!(
            s.end_assignment(&admin, AssignmentId(first.id.0 + 999), d("2026-01-01"))
                .await,
            Err(StoreError::NotFound)
        ));
    }

    pub async fn people_mailboxes_and_leavers(b: Backend) {
        let fx = Fx::new(&b, 2).await;
        let s = &b.store;
        let admin = Actor::system();
        let m = fx.members[0].id;
        let unit = s
            .create_org_unit(&admin, m, unit_input("IT-afdelingen", None))
            .await
            .unwrap();
        let sub = s
            .create_org_unit(&admin, m, unit_input("Drift", Some(unit.id)))
            .await
            .unwrap();
        assert_eq!(sub.parent_id, Some(unit.id));
        let other_unit = s
            .create_org_unit(&admin, fx.members[1].id, unit_input("Andet", None))
            .await
            .unwrap();
        let units = s.list_org_units(m).await.unwrap();
        assert_eq!(
            units.iter().map(|u| u.name.as_str()).collect::<Vec<_>>(),
            ["Drift", "IT-afdelingen"]
        );

        let mut input = person_input("Dorte Dal", "6f9a41c0-1d3e-4b7a-9c4e-0a1b2c3d4e5f");
        input.org_unit_id = Some(sub.id);
        let dorte = s.create_person(&admin, m, input.clone()).await.unwrap();
        assert_eq!(dorte.org_unit_name.as_deref(), Some("Drift"));
        // The external id is unique within the member.
        assert!(matches!(
            s.create_person(&admin, m, input.clone()).await,
            Err(StoreError::Duplicate("person"))
        ));
        // Another member's unit is refused.
        input.org_unit_id = Some(other_unit.id);
        input.external_id = None;
        match s.create_person(&admin, m, input).await {
            Err(StoreError::Invalid(e)) => assert!(e.for_field("org_unit_id").is_some()),
            other => panic!("{other:?}"),
        }
        let mut changed = person_input("Dorte Dal-Hansen", "6f9a41c0-1d3e-4b7a-9c4e-0a1b2c3d4e5f");
        changed.phone = "+45 12 34 56 78".into();
        let updated = s.update_person(&admin, dorte.id, changed).await.unwrap();
        assert_eq!(
            (
                updated.name.as_str(),
                updated.phone.as_str(),
                updated.org_unit_id
            ),
            ("Dorte Dal-Hansen", "+45 12 34 56 78", None)
        );

        // Mailboxes: the member's general one and a role's.
        let role = s
            .create_role(&admin, role_input("ESDH-ansvarlig", None, "", true))
            .await
            .unwrap();
        let general = s
            .create_mailbox(
                &admin,
                m,
                MailboxInput::parse(None, "Kommunens postkasse", "post@kommune.example").unwrap(),
            )
            .await
            .unwrap();
        let esdh = s
            .create_mailbox(
                &admin,
                m,
                MailboxInput::parse(Some(role.id.0), "ESDH", "esdh@kommune.example").unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(esdh.role_name.as_deref(), Some("ESDH-ansvarlig"));
        assert_eq!(s.list_mailboxes(m).await.unwrap(), [general.clone(), esdh]);
        s.delete_mailbox(&admin, general.id).await.unwrap();
        assert_eq!(s.list_mailboxes(m).await.unwrap().len(), 1);
        assert!(s.list_mailboxes(fx.members[1].id).await.unwrap().is_empty());

        // Dorte holds the role alone from January; a colleague holds another
        // role with her. When she leaves in June, her assignments end the
        // day before, the history stays, and the emptied role is reported.
        let erik = s
            .create_person(&admin, m, person_input("Erik Eg", ""))
            .await
            .unwrap();
        let shared = s
            .create_role(
                &admin,
                role_input("Digitaliseringskoordinator", None, "", false),
            )
            .await
            .unwrap();
        for (r, p) in [
            (role.id, dorte.id),
            (shared.id, dorte.id),
            (shared.id, erik.id),
        ] {
            s.assign_role(&admin, m, assignment(r, p, "2026-01-01", "", false))
                .await
                .unwrap();
        }
        // A future assignment of hers goes entirely.
        let later = s
            .create_role(&admin, role_input("Kontaktperson", None, "", false))
            .await
            .unwrap();
        s.assign_role(
            &admin,
            m,
            assignment(later.id, dorte.id, "2026-09-01", "", false),
        )
        .await
        .unwrap();
        // The same person cannot hold one role twice at once.
        match s
            .assign_role(
                &admin,
                m,
                assignment(role.id, dorte.id, "2026-03-01", "2026-03-31", false),
            )
            .await
        {
            Err(StoreError::Invalid(e)) => {
                assert_eq!(
                    e.for_field("person_id").unwrap().code,
                    "error-role-already-held"
                )
            }
            other => panic!("{other:?}"),
        }
        let emptied = s
            .person_left(&admin, dorte.id, d("2026-06-15"), ChangeSource::Manual)
            .await
            .unwrap();
        assert_eq!(
            emptied.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["ESDH-ansvarlig"]
        );
        let left = s.get_person(dorte.id).await.unwrap().unwrap();
        assert!(left.left_at.is_some());
        let hers: Vec<_> = s
            .list_assignments(&AssignmentFilter {
                member: Some(m),
                role: None,
            })
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.person_id == dorte.id)
            .collect();
        assert_eq!(hers.len(), 2, "history stays");
        assert!(
            hers.iter()
                .all(|a| a.valid_to == Some(d("2026-06-14")) && a.person_left)
        );
        // Leaving twice changes nothing; a leaver cannot be given a role.
        assert!(
            s.person_left(&admin, dorte.id, d("2026-07-01"), ChangeSource::Manual)
                .await
                .unwrap()
                .is_empty()
        );
        match s
            .assign_role(
                &admin,
                m,
                assignment(role.id, dorte.id, "2026-08-01", "", false),
            )
            .await
        {
            Err(StoreError::Invalid(e)) => {
                assert_eq!(e.for_field("person_id").unwrap().code, "error-person-left")
            }
            other => panic!("{other:?}"),
        }
        // Those who left are listed last.
        let people = s.list_people(m).await.unwrap();
        assert_eq!(people.last().unwrap().id, dorte.id);
    }

    pub async fn gallery_writes_check_the_actor(b: Backend) {
        let fx = Fx::new(&b, 2).await;
        let s = &b.store;
        let (m0, m1) = (fx.members[0].id, fx.members[1].id);
        let user = fx.member_actor(0).await;
        let a_admin = s
            .create_user(
                &Actor::system(),
                new_user("admin-a", AccessRole::MemberAdmin, Some(m0)),
            )
            .await
            .unwrap();
        let a_admin = actor(&a_admin);
        // A member administrator keeps their own member's gallery...
        let p = s
            .create_person(&a_admin, m0, person_input("Anne Ager", ""))
            .await
            .unwrap();
        // ... not another member's, and not the catalogue.
        for denied in [
            s.create_person(&a_admin, m1, person_input("X", ""))
                .await
                .err(),
            s.create_person(&user, m0, person_input("X", ""))
                .await
                .err(),
            s.create_person(&fx.central, m0, person_input("X", ""))
                .await
                .err(),
        ] {
            assert!(matches!(denied, Some(StoreError::Forbidden)), "{denied:?}");
        }
        assert!(matches!(
            s.create_role(&a_admin, role_input("R", None, "", false))
                .await,
            Err(StoreError::Forbidden)
        ));
        let b_admin = s
            .create_user(
                &Actor::system(),
                new_user("admin-b", AccessRole::MemberAdmin, Some(m1)),
            )
            .await
            .unwrap();
        let b_admin = actor(&b_admin);
        assert!(matches!(
            s.update_person(&b_admin, p.id, person_input("Y", "")).await,
            Err(StoreError::Forbidden)
        ));
        assert!(matches!(
            s.person_left(&b_admin, p.id, d("2026-01-01"), ChangeSource::Manual)
                .await,
            Err(StoreError::Forbidden)
        ));
        // Nothing was written by the refused calls.
        assert_eq!(s.list_people(m0).await.unwrap().len(), 1);
        assert!(s.list_people(m1).await.unwrap().is_empty());
    }

    /// What imports and SCIM build on: finding people by external id,
    /// leaving and coming back, notices of emptied roles, org unit changes,
    /// robots with `people:write`, and no audit entry for a change that
    /// changes nothing.
    /// SCIM's `userName`: set, kept when an input says nothing of it (the
    /// pages, imports), unique per member without regard to case (also
    /// against people who left), released by `Some("")`; another member
    /// may have the same.
    pub async fn scim_user_names_are_kept_unique_and_released(b: Backend) {
        let fx = Fx::new(&b, 2).await;
        let s = &b.store;
        let sys = Actor::system();
        let (m0, m1) = (fx.members[0].id, fx.members[1].id);
        let with = |name: &str, ext: &str, user: &str| {
            let mut p = person_input(name, ext);
            p.user_name = Some(user.into());
            p
        };
        let anne = s
            .create_person(&sys, m0, with("Anne Ager", "A1", " Søren.Ø@K.dk "))
            .await
            .unwrap();
        assert_eq!(anne.user_name.as_deref(), Some("Søren.Ø@K.dk"));
        assert!(anne.created_at <= anne.updated_at);
        let found = s.person_by_user_name(m0, "søren.ø@k.DK").await.unwrap();
        assert_eq!(found.as_ref().map(|p| p.id), Some(anne.id));
        assert!(
            s.person_by_user_name(m1, "søren.ø@k.dk")
                .await
                .unwrap()
                .is_none()
        );
        // Taken, in any case, in the same member only.
        assert!(matches!(
            s.create_person(&sys, m0, with("Bo", "B1", "SØREN.ø@k.dk"))
                .await,
            Err(StoreError::Duplicate("person_user_name"))
        ));
        s.create_person(&sys, m1, with("Anne i B", "A1", "søren.ø@k.dk"))
            .await
            .unwrap();
        // Kept by an input that says nothing; no write when nothing differs.
        let audited = |s: Arc<dyn Store>| async move {
            s.search_audit(&udrul_core::store::AuditFilter {
                member: Some(m0),
                limit: 1000,
                ..Default::default()
            })
            .await
            .unwrap()
            .len()
        };
        let n = audited(s.clone()).await;
        let same = s
            .update_person(&sys, anne.id, person_input("Anne Ager", "A1"))
            .await
            .unwrap();
        assert_eq!(same, anne);
        let mut again = person_input("Anne Ager", "A1");
        again.user_name = Some(" Søren.Ø@K.dk".into());
        assert_eq!(s.update_person(&sys, anne.id, again).await.unwrap(), anne);
        assert_eq!(audited(s.clone()).await, n);
        // A leaver keeps it (and so blocks it); released, it is free.
        s.person_left(
            &sys,
            anne.id,
            d("2026-03-01"),
            udrul_core::gallery::ChangeSource::Scim,
        )
        .await
        .unwrap();
        assert!(matches!(
            s.create_person(&sys, m0, with("Bo", "B1", "søren.ø@k.dk"))
                .await,
            Err(StoreError::Duplicate("person_user_name"))
        ));
        let mut release = person_input("Anne Ager", "A1");
        release.user_name = Some(String::new());
        let released = s.update_person(&sys, anne.id, release).await.unwrap();
        assert_eq!(released.user_name, None);
        assert!(released.updated_at >= anne.updated_at);
        let bo = s
            .create_person(&sys, m0, with("Bo", "B1", "søren.ø@k.dk"))
            .await
            .unwrap();
        // And through an update, too.
        let mut take = person_input("Anne Ager", "A1");
        take.user_name = Some("SØREN.Ø@K.DK".into());
        assert!(matches!(
            s.update_person(&sys, anne.id, take).await,
            Err(StoreError::Duplicate("person_user_name"))
        ));
        assert_eq!(
            s.person_by_user_name(m0, "søren.ø@k.dk")
                .await
                .unwrap()
                .map(|p| p.id),
            Some(bo.id)
        );
    }

    pub async fn people_sync_leavers_notices_and_units(b: Backend) {
        use udrul_core::access::{Permission, Permissions, Via};
        let fx = Fx::new(&b, 2).await;
        let s = &b.store;
        let (m0, m1) = (fx.members[0].id, fx.members[1].id);
        let sys = Actor::system();
        let admin = actor(
            &s.create_user(&sys, new_user("admin-0", AccessRole::MemberAdmin, Some(m0)))
                .await
                .unwrap(),
        );
        let role = s.ensure_role("Infrastrukturansvarlig").await.unwrap();
        let anne = s
            .create_person(&admin, m0, person_input("Anne Ager", "UUID-A"))
            .await
            .unwrap();
        let bo = s
            .create_person(&admin, m0, person_input("Bo Bech", "UUID-B"))
            .await
            .unwrap();
        assert_eq!(
            s.person_by_external_id(m0, "UUID-A").await.unwrap(),
            Some(anne.clone())
        );
        assert_eq!(s.person_by_external_id(m1, "UUID-A").await.unwrap(), None);
        s.assign_role(
            &admin,
            m0,
            assignment(role.id, anne.id, "2026-01-01", "", true),
        )
        .await
        .unwrap();

        // A change that changes nothing is no change: not audited.
        let audited = |s: Arc<dyn Store>| async move {
            s.search_audit(&udrul_core::store::AuditFilter {
                member: Some(m0),
                limit: 500,
                ..Default::default()
            })
            .await
            .unwrap()
            .len()
        };
        let before = audited(s.clone()).await;
        let same = s
            .update_person(&admin, anne.id, person_input("Anne Ager", "UUID-A"))
            .await
            .unwrap();
        assert_eq!(same, anne);
        assert_eq!(audited(s.clone()).await, before);

        // Leaving through an import empties the role and tells the
        // administrators; leaving by hand tells nobody (they are there).
        let emptied = s
            .person_left(&admin, anne.id, d("2026-06-01"), ChangeSource::Import)
            .await
            .unwrap();
        assert_eq!(emptied.len(), 1);
        s.person_left(&admin, bo.id, d("2026-06-01"), ChangeSource::Manual)
            .await
            .unwrap();
        let notices = s.list_notices(m0).await.unwrap();
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert_eq!(notices[0].source, ChangeSource::Import);
        assert_eq!(notices[0].person_name, "Anne Ager");
        assert_eq!(notices[0].roles, ["Infrastrukturansvarlig"]);
        assert!(s.list_notices(m1).await.unwrap().is_empty());
        // Another member's administrator cannot dismiss it; ours can, once.
        let other = actor(
            &s.create_user(&sys, new_user("admin-1", AccessRole::MemberAdmin, Some(m1)))
                .await
                .unwrap(),
        );
        assert!(matches!(
            s.dismiss_notice(&other, notices[0].id).await,
            Err(StoreError::Forbidden)
        ));
        let dismissed = s.dismiss_notice(&admin, notices[0].id).await.unwrap();
        assert_eq!(dismissed.member_id, m0);
        assert!(matches!(
            s.dismiss_notice(&admin, notices[0].id).await,
            Err(StoreError::NotFound)
        ));
        assert!(s.list_notices(m0).await.unwrap().is_empty());

        // Coming back: a person again, without the old roles; twice is once.
        let back = s.person_returned(&admin, anne.id).await.unwrap();
        assert!(back.left_at.is_none());
        let n = audited(s.clone()).await;
        s.person_returned(&admin, anne.id).await.unwrap();
        assert_eq!(audited(s.clone()).await, n);
        let day = d("2026-07-01");
        let held = s
            .list_assignments(&AssignmentFilter {
                member: Some(m0),
                role: Some(role.id),
            })
            .await
            .unwrap();
        assert!(held.iter().all(|a| !a.on(day)), "{held:?}");

        // Org units: renamed, no cycles, removed (people leave it, children
        // move up) and restored.
        let top = s
            .create_org_unit(&admin, m0, unit_input("Forvaltning", None))
            .await
            .unwrap();
        let mid = s
            .create_org_unit(&admin, m0, unit_input("IT", Some(top.id)))
            .await
            .unwrap();
        let low = s
            .create_org_unit(&admin, m0, unit_input("Drift", Some(mid.id)))
            .await
            .unwrap();
        match s
            .update_org_unit(&admin, top.id, unit_input("Forvaltning", Some(low.id)))
            .await
        {
            Err(StoreError::Invalid(e)) => {
                assert_eq!(
                    e.for_field("parent_id").unwrap().code,
                    "error-org-unit-cycle"
                )
            }
            other => panic!("{other:?}"),
        }
        let renamed = s
            .update_org_unit(&admin, mid.id, unit_input("Digitalisering", Some(top.id)))
            .await
            .unwrap();
        assert_eq!(renamed.name, "Digitalisering");
        let mut placed = person_input("Anne Ager", "UUID-A");
        placed.org_unit_id = Some(mid.id);
        s.update_person(&admin, anne.id, placed).await.unwrap();
        let gone = s.set_org_unit_removed(&admin, mid.id, true).await.unwrap();
        assert!(gone.removed);
        let anne_now = s.get_person(anne.id).await.unwrap().unwrap();
        assert_eq!(anne_now.org_unit_id, None, "people leave a removed unit");
        let low_now = s.get_org_unit(low.id).await.unwrap().unwrap();
        assert_eq!(low_now.parent_id, Some(top.id), "children move up");
        // A removed unit takes no people and no children.
        let mut into_gone = person_input("Cai Cold", "UUID-C");
        into_gone.org_unit_id = Some(mid.id);
        assert!(matches!(
            s.create_person(&admin, m0, into_gone).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(
            !s.set_org_unit_removed(&admin, mid.id, false)
                .await
                .unwrap()
                .removed
        );
        // Another member's unit is out of reach, and a duplicate external id
        // is a duplicate.
        assert!(matches!(
            s.update_org_unit(&other, top.id, unit_input("X", None))
                .await,
            Err(StoreError::Forbidden)
        ));
        let with_ext = OrgUnitInput {
            external_id: Some("U-1".into()),
            name: "Skole".into(),
            parent_id: None,
        };
        s.create_org_unit(&admin, m0, with_ext.clone())
            .await
            .unwrap();
        assert!(matches!(
            s.create_org_unit(&admin, m0, with_ext).await,
            Err(StoreError::Duplicate("org_unit"))
        ));

        // A robot with people:write keeps its own member's people only, and
        // never gives roles; without the permission it keeps nothing.
        let robot_user = s
            .create_user(&sys, new_user("robot-0", AccessRole::Robot, Some(m0)))
            .await
            .unwrap();
        let robot = |ps: &[Permission]| Actor {
            via: Via::Robot {
                token_id: 1,
                permissions: Permissions::of(ps),
            },
            ..actor(&robot_user)
        };
        let scim = robot(&[Permission::PeopleWrite]);
        let dan = s
            .create_person(&scim, m0, person_input("Dan Dal", "UUID-D"))
            .await
            .unwrap();
        for denied in [
            s.create_person(&scim, m1, person_input("X", "X"))
                .await
                .err(),
            s.create_person(
                &robot(&[Permission::InstancesWrite]),
                m0,
                person_input("X", "X"),
            )
            .await
            .err(),
            s.assign_role(
                &scim,
                m0,
                assignment(role.id, dan.id, "2026-01-01", "", false),
            )
            .await
            .err(),
        ] {
            assert!(matches!(denied, Some(StoreError::Forbidden)), "{denied:?}");
        }
        s.person_left(&scim, dan.id, d("2026-06-01"), ChangeSource::Scim)
            .await
            .unwrap();
        assert!(
            s.get_person(dan.id)
                .await
                .unwrap()
                .unwrap()
                .left_at
                .is_some()
        );
    }

    pub async fn saml_assertions_are_used_once(b: Backend) {
        let s = &b.store;
        let now = Utc::now();
        let until = now + Duration::minutes(5);
        assert!(s.use_assertion("kombit:_a1", until).await.unwrap());
        assert!(!s.use_assertion("kombit:_a1", until).await.unwrap());
        // Another provider's assertion with the same ID is another assertion.
        assert!(s.use_assertion("other:_a1", until).await.unwrap());
        // Two instances racing for one assertion: exactly one wins.
        let (x, y) = tokio::join!(
            s.use_assertion("kombit:_race", until),
            s.use_assertion("kombit:_race", until)
        );
        assert!(x.unwrap() ^ y.unwrap());
        // Housekeeping forgets an assertion once it has expired, not before.
        s.purge_credentials(until - Duration::seconds(1))
            .await
            .unwrap();
        assert!(!s.use_assertion("kombit:_a1", until).await.unwrap());
        s.purge_credentials(until).await.unwrap();
        assert!(s.use_assertion("kombit:_a1", until).await.unwrap());
    }

    pub async fn login_failures_count_per_window(b: Backend) {
        let s = &b.store;
        let key = "user:someone".to_string();
        let t0 = Utc::now().trunc_subsecs(6);
        let window = Duration::minutes(15);
        assert_eq!(s.login_failures(&key, t0 - window).await.unwrap(), None);
        for i in 0..3 {
            let at = t0 + Duration::seconds(i);
            s.add_login_failure(std::slice::from_ref(&key), at, at - window)
                .await
                .unwrap();
        }
        assert_eq!(
            s.login_failures(&key, t0 - window).await.unwrap(),
            Some((3, t0))
        );
        // After the window a failure starts a new one.
        let later = t0 + window + Duration::seconds(1);
        s.add_login_failure(std::slice::from_ref(&key), later, later - window)
            .await
            .unwrap();
        assert_eq!(
            s.login_failures(&key, later - window).await.unwrap(),
            Some((1, later))
        );
        // Housekeeping forgets counts older than a day.
        s.purge_credentials(later + Duration::hours(23))
            .await
            .unwrap();
        assert!(
            s.login_failures(&key, later - window)
                .await
                .unwrap()
                .is_some()
        );
        s.purge_credentials(later + Duration::days(2))
            .await
            .unwrap();
        assert_eq!(s.login_failures(&key, later - window).await.unwrap(), None);
        s.add_login_failure(std::slice::from_ref(&key), later, later - window)
            .await
            .unwrap();
        s.clear_login_failures(&key).await.unwrap();
        assert_eq!(s.login_failures(&key, later - window).await.unwrap(), None);
    }

    /// Login throttling counts an attempt before the password is checked
    /// (issue 11): of concurrent attempts each gets its own count, so no
    /// more than the limit are ever let through to the check.
    pub async fn login_attempts_count_atomically(b: Backend) {
        let s = &b.store;
        let key = "user:raced".to_string();
        let t0 = Utc::now().trunc_subsecs(6);
        let window = Duration::minutes(15);
        let mut tasks = Vec::new();
        for _ in 0..40 {
            let s = s.clone();
            let key = key.clone();
            tasks.push(tokio::spawn(async move {
                s.count_login_attempt(&key, t0, t0 - window).await.unwrap()
            }));
        }
        let mut counts = Vec::new();
        for t in tasks {
            let (n, start) = t.await.unwrap();
            assert_eq!(start, t0);
            counts.push(n);
        }
        counts.sort_unstable();
        assert_eq!(counts, (1..=40).collect::<Vec<i64>>());
        // The failure count and the attempt count are one number.
        assert_eq!(
            s.login_failures(&key, t0 - window).await.unwrap(),
            Some((40, t0))
        );
        // After the window the next attempt starts a new one at one.
        let later = t0 + window + Duration::seconds(1);
        assert_eq!(
            s.count_login_attempt(&key, later, later - window)
                .await
                .unwrap(),
            (1, later)
        );
        assert_eq!(
            s.count_login_attempt(&key, later, later - window)
                .await
                .unwrap(),
            (2, later)
        );
        // A success clears it; other keys are their own.
        s.clear_login_failures(&key).await.unwrap();
        assert_eq!(
            s.count_login_attempt(&key, later, later - window)
                .await
                .unwrap(),
            (1, later)
        );
        assert_eq!(
            s.count_login_attempt("user:other", later, later - window)
                .await
                .unwrap(),
            (1, later)
        );
    }

    pub async fn inactive_user_credentials_are_hidden(b: Backend) {
        let s = &b.store;
        let u = s
            .create_user(
                &Actor::system(),
                new_user("robot", AccessRole::CentralStaff, None),
            )
            .await
            .unwrap();
        let now = Utc::now().trunc_subsecs(6);
        let c = Credential {
            user_id: u.id,
            created_at: now,
            last_seen_at: now,
            expires_at: now + Duration::days(30),
        };
        s.create_credential("api", b"token", c).await.unwrap();
        assert!(s.get_credential("api", b"token").await.unwrap().is_some());
        raw_exec(&b, "UPDATE users SET active = FALSE").await;
        assert!(s.get_credential("api", b"token").await.unwrap().is_none());
        assert!(!s.get_user(u.id).await.unwrap().unwrap().active);
    }

    pub async fn projects_and_duplicate_names(b: Backend) {
        let s = &b.store;
        let p = s
            .create_project(
                &Actor::system(),
                ProjectInput::parse("KY", "Kommunernes Ydelsessystem").unwrap(),
            )
            .await
            .unwrap();
        s.create_project(&Actor::system(), ProjectInput::parse("Aula", "").unwrap())
            .await
            .unwrap();
        assert!(matches!(
            s.create_project(
                &Actor::system(),
                ProjectInput::parse("KY", "again").unwrap()
            )
            .await,
            Err(StoreError::Duplicate("project"))
        ));
        let names: Vec<String> = s
            .list_projects()
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["Aula", "KY"]);
        assert_eq!(s.get_project(p.id).await.unwrap(), Some(p.clone()));
        assert_eq!(s.get_project(ProjectId(p.id.0 + 100)).await.unwrap(), None);
    }

    pub async fn create_task_makes_a_draft_with_history(b: Backend) {
        let fx = Fx::new(&b, 3).await;
        let t = fx
            .draft("KLIK 03", TaskType::CriticalPath, "2025-05-28")
            .await;
        assert_eq!(t.state, TaskState::Draft);
        assert_eq!(t.version, 1);
        assert_eq!(t.project_name, "Sygesikring");
        assert_eq!(
            t.target_roles,
            ["Systemansvarlig", "Infrastrukturansvarlig"],
            "author's order"
        );
        assert_eq!(t.published_at, None);
        assert_eq!(fx.s.get_task(t.id).await.unwrap(), Some(t.clone()));
        let h = fx.s.task_history(t.id).await.unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].kind, TaskEventKind::Created);
        assert_eq!(h[0].actor_name.as_deref(), Some("Name of konsulent"));
        assert!(fx.s.get_task(TaskId(t.id.0 + 100)).await.unwrap().is_none());
    }

    pub async fn update_task_checks_version_and_state(b: Backend) {
        let fx = Fx::new(&b, 2).await;
        let t = fx.draft("K53", TaskType::Mandatory, "2025-05-28").await;
        let mut input = fx.input("K53", TaskType::Optional, "2025-06-30");
        input.title = "Ny titel".into();
        input.target_roles = vec!["Programleder".into()];
        let u =
            fx.s.update_task(&fx.central, t.id, t.version, input.clone())
                .await
                .unwrap();
        assert_eq!(u.version, t.version + 1);
        assert_eq!(u.title, "Ny titel");
        assert_eq!(u.task_type, TaskType::Optional);
        assert_eq!(u.end_date, d("2025-06-30"));
        assert_eq!(u.target_roles, ["Programleder"]);
        assert!(u.updated_at >= t.updated_at);
        assert_eq!(u.created_at, t.created_at);

        // A stale version is refused and changes nothing.
        match fx
            .s
            .update_task(
                &fx.central,
                t.id,
                t.version,
                fx.input("X", TaskType::Mandatory, "2025-07-01"),
            )
            .await
        {
            Err(StoreError::VersionConflict { expected, found }) => {
                assert_eq!((expected, found), (t.version, u.version))
            }
            other => panic!("expected VersionConflict, got {other:?}"),
        }
        assert_eq!(fx.s.get_task(t.id).await.unwrap().unwrap(), u);

        let kinds: Vec<_> =
            fx.s.task_history(t.id)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.kind)
                .collect();
        assert_eq!(kinds, [TaskEventKind::Created, TaskEventKind::Updated]);

        // Published: not a draft any more.
        fx.s.publish_task(&fx.central, t.id, &Audience::All)
            .await
            .unwrap();
        let p = fx.s.get_task(t.id).await.unwrap().unwrap();
        assert!(matches!(
            fx.s.update_task(&fx.central, t.id, p.version, input).await,
            Err(StoreError::WrongState("error-not-draft"))
        ));
        assert!(matches!(
            fx.s.update_task(
                &fx.central,
                TaskId(t.id.0 + 100),
                1,
                fx.input("Y", TaskType::Mandatory, "2025-07-01")
            )
            .await,
            Err(StoreError::NotFound)
        ));
    }

    pub async fn unknown_project_or_role_writes_nothing(b: Backend) {
        let fx = Fx::new(&b, 2).await;
        let mut input = fx.input("ID 31", TaskType::Mandatory, "2022-10-05");
        input.project_id = ProjectId(fx.project.id.0 + 100);
        input.target_roles = vec!["Systemansvarlig".into(), "Ukendt rolle".into()];
        match fx.s.create_task(&fx.central, input).await {
            Err(StoreError::Invalid(e)) => {
                assert_eq!(
                    e.for_field("project_id").map(|e| e.code),
                    Some("error-unknown-project")
                );
                assert_eq!(
                    e.for_field("target_roles").map(|e| e.code),
                    Some("error-unknown-role")
                );
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
        assert!(
            fx.s.list_tasks(&TaskFilter::default())
                .await
                .unwrap()
                .is_empty()
        );

        // The same on edit: the draft keeps its values.
        let t = fx.draft("ID 31", TaskType::Mandatory, "2022-10-05").await;
        let mut bad = fx.input("ID 32", TaskType::Mandatory, "2022-10-05");
        bad.target_roles = vec!["Ukendt rolle".into()];
        match fx.s.update_task(&fx.central, t.id, t.version, bad).await {
            Err(StoreError::Invalid(e)) => assert_eq!(e.0[0].field, "target_roles"),
            other => panic!("expected Invalid, got {other:?}"),
        }
        assert_eq!(fx.s.get_task(t.id).await.unwrap().unwrap(), t);
        assert_eq!(fx.s.task_history(t.id).await.unwrap().len(), 1);
    }

    pub async fn publish_to_all_creates_one_instance_per_member(b: Backend) {
        let fx = Fx::new(&b, 98).await;
        let t = fx
            .draft("KLIK 03", TaskType::CriticalPath, "2025-05-28")
            .await;
        let started = std::time::Instant::now();
        let p =
            fx.s.publish_task(&fx.central, t.id, &Audience::All)
                .await
                .unwrap();
        let took = started.elapsed();
        eprintln!("[{}] publishing to 98 members took {took:?}", b.name);
        assert!(
            took < std::time::Duration::from_secs(2),
            "publishing took {took:?}"
        );
        assert_eq!(p.instances, 98);
        assert_eq!(p.task.state, TaskState::Published);
        assert_eq!(p.task.version, t.version + 1);
        assert!(p.task.published_at.is_some());
        assert_eq!(fx.s.get_task(t.id).await.unwrap().unwrap(), p.task);

        let all =
            fx.s.list_instances(
                Scope::All,
                &InstanceFilter {
                    task_id: Some(t.id),
                    ..Default::default()
                },
                PageRequest::new(1, 500),
            )
            .await
            .unwrap();
        assert_eq!(all.total, 98);
        let members: BTreeSet<MemberId> = all.items.iter().map(|i| i.member_id).collect();
        assert_eq!(members.len(), 98);
        assert!(
            all.items
                .iter()
                .all(|i| i.status == ExecutionStatus::NotStarted && i.version == 1)
        );

        let h = fx.s.task_history(t.id).await.unwrap();
        let last = h.last().unwrap();
        assert_eq!(last.kind, TaskEventKind::Published);
        assert_eq!(last.count, Some(98));

        assert!(matches!(
            fx.s.publish_task(&fx.central, t.id, &Audience::All).await,
            Err(StoreError::WrongState(_))
        ));
        assert!(matches!(
            fx.s.publish_task(&fx.central, TaskId(t.id.0 + 100), &Audience::All)
                .await,
            Err(StoreError::NotFound)
        ));
    }

    pub async fn publish_to_selection_is_a_union_without_duplicates(b: Backend) {
        let fx = Fx::new(&b, 30).await;
        let t = fx
            .draft("KR MI 02", TaskType::Mandatory, "2025-05-28")
            .await;
        // Member 0 is in region 0 and network 0 too: counted once.
        let audience = Audience::Selection {
            members: vec![fx.members[0].id, fx.members[7].id],
            regions: vec![REGIONS[0].to_string()],
            networks: vec![NETWORKS[1].to_string()],
        };
        let expected: BTreeSet<MemberId> = fx
            .members
            .iter()
            .enumerate()
            .filter(|(i, m)| {
                *i == 0 || *i == 7 || m.region == REGIONS[0] || m.network == NETWORKS[1]
            })
            .map(|(_, m)| m.id)
            .collect();
        let p =
            fx.s.publish_task(&fx.central, t.id, &audience)
                .await
                .unwrap();
        assert_eq!(p.instances, expected.len() as i64);
        let got: BTreeSet<MemberId> =
            fx.s.list_instances(
                Scope::All,
                &InstanceFilter {
                    task_id: Some(t.id),
                    ..Default::default()
                },
                PageRequest::new(1, 500),
            )
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|i| i.member_id)
            .collect();
        assert_eq!(got, expected);
    }

    pub async fn publish_with_unknown_audience_changes_nothing(b: Backend) {
        let fx = Fx::new(&b, 10).await;
        let t = fx.draft("ID 31", TaskType::Mandatory, "2022-10-05").await;
        let cases = [
            (
                Audience::Selection {
                    members: vec![fx.members[0].id, MemberId(fx.members[9].id.0 + 1000)],
                    regions: vec![],
                    networks: vec![],
                },
                "error-unknown-member",
            ),
            (
                Audience::Selection {
                    members: vec![],
                    regions: vec![REGIONS[0].into(), "Atlantis".into()],
                    networks: vec![],
                },
                "error-unknown-region",
            ),
            (
                Audience::Selection {
                    members: vec![],
                    regions: vec![],
                    networks: vec!["Net Z".into()],
                },
                "error-unknown-network",
            ),
            (
                Audience::Selection {
                    members: vec![],
                    regions: vec![],
                    networks: vec![],
                },
                "error-audience-empty",
            ),
        ];
        for (audience, code) in cases {
            match fx.s.publish_task(&fx.central, t.id, &audience).await {
                Err(StoreError::Invalid(e)) => {
                    assert_eq!(e.0[0].field, "audience");
                    assert_eq!(e.0[0].code, code);
                }
                other => panic!("expected Invalid {code}, got {other:?}"),
            }
        }
        let now = fx.s.get_task(t.id).await.unwrap().unwrap();
        assert_eq!(now, t, "still the same draft");
        let page =
            fx.s.list_instances(
                Scope::All,
                &InstanceFilter {
                    task_id: Some(t.id),
                    ..Default::default()
                },
                PageRequest::new(1, 50),
            )
            .await
            .unwrap();
        assert_eq!(page.total, 0);
        assert_eq!(fx.s.task_history(t.id).await.unwrap().len(), 1);
    }

    pub async fn end_date_changes_keep_history(b: Backend) {
        let fx = Fx::new(&b, 3).await;
        let t = fx.published("K53", TaskType::Mandatory, "2025-04-02").await;
        let change = EndDateChange::parse("2025-04-30", "Leverandøren er forsinket").unwrap();
        let u =
            fx.s.change_end_date(&fx.central, t.id, &change)
                .await
                .unwrap();
        assert_eq!(u.end_date, d("2025-04-30"));
        assert_eq!(u.version, t.version + 1);
        let h = fx.s.task_history(t.id).await.unwrap();
        let e = h.last().unwrap();
        assert_eq!(e.kind, TaskEventKind::EndDateChanged);
        assert_eq!(e.from_date, Some(d("2025-04-02")));
        assert_eq!(e.to_date, Some(d("2025-04-30")));
        assert_eq!(e.reason, "Leverandøren er forsinket");
        assert_eq!(e.actor_name.as_deref(), Some("Name of konsulent"));
        // The instances show the new date.
        assert_eq!(fx.instance(t.id, 0).await.end_date, d("2025-04-30"));

        // Before the start date: refused, nothing changes.
        let bad = EndDateChange::parse("2019-12-31", "for tidligt").unwrap();
        match fx.s.change_end_date(&fx.central, t.id, &bad).await {
            Err(StoreError::Invalid(e)) => {
                assert_eq!(
                    (e.0[0].field, e.0[0].code),
                    ("end_date", "error-end-before-start")
                )
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
        assert_eq!(fx.s.get_task(t.id).await.unwrap().unwrap(), u);

        // History imported from before Udrul has no actor.
        fx.s.import_end_date_change(t.id, d("2025-03-01"), d("2025-04-02"), "Flyttet i KLIK")
            .await
            .unwrap();
        let e = fx.s.task_history(t.id).await.unwrap().pop().unwrap();
        assert_eq!(e.actor_name, None);
        assert_eq!(e.from_date, Some(d("2025-03-01")));
        assert!(matches!(
            fx.s.import_end_date_change(
                TaskId(t.id.0 + 100),
                d("2025-03-01"),
                d("2025-04-02"),
                "x"
            )
            .await,
            Err(StoreError::NotFound)
        ));

        // Drafts may move too; closed tasks may not.
        let draft = fx.draft("K54", TaskType::Mandatory, "2025-04-02").await;
        fx.s.change_end_date(&fx.central, draft.id, &change)
            .await
            .unwrap();
        fx.s.set_task_state(&fx.central, t.id, TaskState::Closed)
            .await
            .unwrap();
        assert!(matches!(
            fx.s.change_end_date(&fx.central, t.id, &change).await,
            Err(StoreError::WrongState("error-task-not-open"))
        ));
    }

    pub async fn task_state_transitions(b: Backend) {
        let fx = Fx::new(&b, 2).await;
        let s = &fx.s;
        let c = &fx.central;
        let draft = fx.draft("A", TaskType::Mandatory, "2025-05-01").await;
        for to in [TaskState::Closed, TaskState::Draft, TaskState::Published] {
            assert!(
                matches!(
                    s.set_task_state(c, draft.id, to).await,
                    Err(StoreError::WrongState("error-state-transition"))
                ),
                "draft -> {to}"
            );
        }
        let w = s
            .set_task_state(c, draft.id, TaskState::Withdrawn)
            .await
            .unwrap();
        assert_eq!(w.state, TaskState::Withdrawn);
        assert_eq!(w.version, draft.version + 1);
        for to in TaskState::ALL {
            assert!(
                s.set_task_state(c, draft.id, *to).await.is_err(),
                "withdrawn -> {to}"
            );
        }

        let p = fx.published("B", TaskType::Mandatory, "2025-05-01").await;
        let closed = s.set_task_state(c, p.id, TaskState::Closed).await.unwrap();
        assert_eq!(closed.state, TaskState::Closed);
        assert_eq!(closed.version, p.version + 1);
        for to in TaskState::ALL {
            assert!(
                s.set_task_state(c, p.id, *to).await.is_err(),
                "closed -> {to}"
            );
        }
        let p2 = fx.published("C", TaskType::Mandatory, "2025-05-01").await;
        assert_eq!(
            s.set_task_state(c, p2.id, TaskState::Withdrawn)
                .await
                .unwrap()
                .state,
            TaskState::Withdrawn
        );
        let kinds: Vec<_> = s
            .task_history(p.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                TaskEventKind::Created,
                TaskEventKind::Published,
                TaskEventKind::Closed
            ]
        );
        assert!(matches!(
            s.set_task_state(c, TaskId(p2.id.0 + 100), TaskState::Closed)
                .await,
            Err(StoreError::NotFound)
        ));
    }

    pub async fn list_instances_scope_order_and_paging(b: Backend) {
        let fx = Fx::new(&b, 3).await;
        let s = &fx.s;
        let late_critical = fx
            .published("Z1", TaskType::CriticalPath, "2025-09-01")
            .await;
        let early = fx.published("B2", TaskType::Mandatory, "2025-03-01").await;
        let early_same_day = fx.published("A2", TaskType::Optional, "2025-03-01").await;
        let critical = fx
            .published("C1", TaskType::CriticalPath, "2025-06-01")
            .await;
        let done_soon = fx
            .published("D0", TaskType::CriticalPath, "2025-01-15")
            .await;
        let closed = fx.published("E0", TaskType::Mandatory, "2025-12-01").await;
        s.set_task_state(&fx.central, closed.id, TaskState::Closed)
            .await
            .unwrap();
        let withdrawn = fx.published("W0", TaskType::Mandatory, "2025-02-01").await;
        s.set_task_state(&fx.central, withdrawn.id, TaskState::Withdrawn)
            .await
            .unwrap();
        let _draft = fx.draft("DR", TaskType::CriticalPath, "2025-01-01").await;

        let member = fx.member_actor(1).await;
        let scope = member.scope();
        let inst = fx.instance(done_soon.id, 1).await;
        s.update_instance(
            &member,
            scope,
            inst.id,
            None,
            &status_update(ExecutionStatus::Done),
        )
        .await
        .unwrap();

        let page = s
            .list_instances(scope, &InstanceFilter::default(), PageRequest::new(1, 50))
            .await
            .unwrap();
        let codes: Vec<&str> = page.items.iter().map(|r| r.code.as_str()).collect();
        // Unsettled first; critical path first; nearest end date; then code.
        // Closed tasks stay visible; withdrawn tasks and drafts do not.
        assert_eq!(codes, ["C1", "Z1", "A2", "B2", "E0", "D0"]);
        assert_eq!(page.total, 6);
        assert!(page.items.iter().all(|r| r.member_id == fx.members[1].id));
        let _ = (late_critical, early, early_same_day, critical);

        // Central sees every member and the withdrawn task's instances.
        let all = s
            .list_instances(
                Scope::All,
                &InstanceFilter::default(),
                PageRequest::new(1, 500),
            )
            .await
            .unwrap();
        assert_eq!(all.total, 7 * 3);
        let central_codes: Vec<&str> = all
            .items
            .iter()
            .filter(|r| r.member_id == fx.members[1].id)
            .map(|r| r.code.as_str())
            .collect();
        assert_eq!(central_codes, ["C1", "Z1", "W0", "A2", "B2", "E0", "D0"]);

        // A member filter cannot widen a member scope.
        let other = s
            .list_instances(
                scope,
                &InstanceFilter {
                    member_id: Some(fx.members[2].id),
                    ..Default::default()
                },
                PageRequest::new(1, 50),
            )
            .await
            .unwrap();
        assert_eq!(other.total, 0);
        assert!(other.items.is_empty());

        // Filters.
        let open = s
            .list_instances(
                scope,
                &InstanceFilter {
                    open_only: true,
                    ..Default::default()
                },
                PageRequest::new(1, 50),
            )
            .await
            .unwrap();
        assert_eq!(open.total, 5);
        let done = s
            .list_instances(
                scope,
                &InstanceFilter {
                    status: Some(ExecutionStatus::Done),
                    ..Default::default()
                },
                PageRequest::new(1, 50),
            )
            .await
            .unwrap();
        assert_eq!(done.items.len(), 1);
        assert_eq!(done.items[0].code, "D0");
        assert_eq!(done.items[0].status, ExecutionStatus::Done);

        // Paging: totals stay, pages follow the same order.
        let p1 = s
            .list_instances(scope, &InstanceFilter::default(), PageRequest::new(1, 4))
            .await
            .unwrap();
        let p2 = s
            .list_instances(scope, &InstanceFilter::default(), PageRequest::new(2, 4))
            .await
            .unwrap();
        let p9 = s
            .list_instances(scope, &InstanceFilter::default(), PageRequest::new(9, 4))
            .await
            .unwrap();
        assert_eq!((p1.total, p2.total, p9.total), (6, 6, 6));
        assert_eq!(p1.pages(), 2);
        let paged: Vec<&str> = p1
            .items
            .iter()
            .chain(p2.items.iter())
            .map(|r| r.code.as_str())
            .collect();
        assert_eq!(paged, codes);
        assert!(p9.items.is_empty());
        assert_eq!((p2.page, p2.per_page), (2, 4));

        // A member user without a member sees nothing.
        let broken = Actor {
            member_id: None,
            ..member.clone()
        };
        let none = s
            .list_instances(
                broken.scope(),
                &InstanceFilter::default(),
                PageRequest::new(1, 50),
            )
            .await
            .unwrap();
        assert_eq!(none.total, 0);
    }

    pub async fn get_instance_respects_scope(b: Backend) {
        let fx = Fx::new(&b, 3).await;
        let t = fx.published("K1", TaskType::Mandatory, "2025-05-01").await;
        let own = fx.instance(t.id, 0).await;
        let other = fx.instance(t.id, 1).await;
        let member = fx.member_actor(0).await;
        let d =
            fx.s.get_instance(member.scope(), own.id)
                .await
                .unwrap()
                .unwrap();
        assert_eq!(d.instance.id, own.id);
        assert_eq!(d.member, fx.members[0]);
        assert_eq!(d.task, fx.s.get_task(t.id).await.unwrap().unwrap());
        assert!(
            fx.s.get_instance(member.scope(), other.id)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            fx.s.get_instance(Scope::All, other.id)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            fx.s.get_instance(Scope::All, InstanceId(other.id.0 + 1000))
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            fx.s.instance_history(member.scope(), other.id)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            fx.s.instance_history(member.scope(), own.id).await.unwrap(),
            Some(vec![])
        );

        // Withdrawn: gone for members, still there for central staff.
        fx.s.set_task_state(&fx.central, t.id, TaskState::Withdrawn)
            .await
            .unwrap();
        assert!(
            fx.s.get_instance(member.scope(), own.id)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            fx.s.instance_history(member.scope(), own.id)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            fx.s.get_instance(Scope::All, own.id)
                .await
                .unwrap()
                .is_some()
        );
    }

    pub async fn update_instance_applies_and_records_history(b: Backend) {
        let fx = Fx::new(&b, 2).await;
        let t = fx.published("K1", TaskType::Mandatory, "2025-05-01").await;
        let row = fx.instance(t.id, 0).await;
        let member = fx.member_actor(0).await;
        let u = InstanceUpdate::parse(
            Some("paabegyndt"),
            None,
            Some("Anne Ansvarlig"),
            Some("Ole Udfører"),
        )
        .unwrap();
        let i =
            fx.s.update_instance(&member, member.scope(), row.id, Some(row.version), &u)
                .await
                .unwrap();
        assert_eq!(i.status, ExecutionStatus::Started);
        assert_eq!(i.responsible, "Anne Ansvarlig");
        assert_eq!(i.doer, "Ole Udfører");
        assert_eq!(i.version, row.version + 1);
        assert_eq!(i.member_id, fx.members[0].id);
        assert_eq!(i.task_id, t.id);

        // Only the given fields change.
        let u2 = InstanceUpdate::parse(Some("fuldfoert"), None, None, None).unwrap();
        let i2 =
            fx.s.update_instance(&member, member.scope(), row.id, None, &u2)
                .await
                .unwrap();
        assert_eq!(i2.status, ExecutionStatus::Done);
        assert_eq!(i2.responsible, "Anne Ansvarlig");
        assert_eq!(i2.version, row.version + 2);
        let detail =
            fx.s.get_instance(member.scope(), row.id)
                .await
                .unwrap()
                .unwrap();
        assert_eq!(detail.instance, i2);

        let h =
            fx.s.instance_history(member.scope(), row.id)
                .await
                .unwrap()
                .unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].actor_name, member.display_name);
        assert_eq!(h[0].old_status, Some(ExecutionStatus::NotStarted));
        assert_eq!(h[0].status, ExecutionStatus::Started);
        assert_eq!(h[0].responsible, "Anne Ansvarlig");
        assert_eq!(h[1].old_status, Some(ExecutionStatus::Started));
        assert_eq!(h[1].status, ExecutionStatus::Done);
        assert_eq!(h[1].doer, "Ole Udfører");
        assert!(h[0].at <= h[1].at);

        // Central staff may update any member's instance.
        let other = fx.instance(t.id, 1).await;
        let i3 =
            fx.s.update_instance(
                &fx.central,
                Scope::All,
                other.id,
                None,
                &status_update(ExecutionStatus::Started),
            )
            .await
            .unwrap();
        assert_eq!(i3.status, ExecutionStatus::Started);
        let h =
            fx.s.instance_history(Scope::All, other.id)
                .await
                .unwrap()
                .unwrap();
        assert_eq!(h[0].actor_name, "Name of konsulent");
    }

    pub async fn update_instance_refusals(b: Backend) {
        let fx = Fx::new(&b, 2).await;
        let t = fx.published("K1", TaskType::Mandatory, "2025-05-01").await;
        let own = fx.instance(t.id, 0).await;
        let other = fx.instance(t.id, 1).await;
        let member = fx.member_actor(0).await;
        let up = status_update(ExecutionStatus::Started);

        assert!(matches!(
            fx.s.update_instance(&member, member.scope(), other.id, None, &up)
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            fx.s.update_instance(
                &member,
                member.scope(),
                InstanceId(other.id.0 + 1000),
                None,
                &up
            )
            .await,
            Err(StoreError::NotFound)
        ));
        match fx
            .s
            .update_instance(&member, member.scope(), own.id, Some(own.version + 5), &up)
            .await
        {
            Err(StoreError::VersionConflict { expected, found }) => {
                assert_eq!((expected, found), (own.version + 5, own.version))
            }
            other => panic!("expected VersionConflict, got {other:?}"),
        }
        // Not relevant without a reason (bypassing the edge's parser).
        let nr = status_update(ExecutionStatus::NotRelevant);
        match fx
            .s
            .update_instance(&member, member.scope(), own.id, None, &nr)
            .await
        {
            Err(StoreError::Invalid(e)) => assert_eq!(e.0[0].field, "not_relevant_reason"),
            other => panic!("expected Invalid, got {other:?}"),
        }
        assert_eq!(
            fx.instance(t.id, 1).await,
            other,
            "the other member's row is untouched"
        );
        assert_eq!(fx.instance(t.id, 0).await, own);

        fx.s.set_task_state(&fx.central, t.id, TaskState::Closed)
            .await
            .unwrap();
        assert!(matches!(
            fx.s.update_instance(&member, member.scope(), own.id, None, &up)
                .await,
            Err(StoreError::WrongState("error-task-not-open"))
        ));
        assert!(matches!(
            fx.s.update_instance(&fx.central, Scope::All, own.id, None, &up)
                .await,
            Err(StoreError::WrongState("error-task-not-open"))
        ));
        let w = fx.published("K2", TaskType::Mandatory, "2025-05-01").await;
        let wi = fx.instance(w.id, 0).await;
        fx.s.set_task_state(&fx.central, w.id, TaskState::Withdrawn)
            .await
            .unwrap();
        assert!(matches!(
            fx.s.update_instance(&fx.central, Scope::All, wi.id, None, &up)
                .await,
            Err(StoreError::WrongState("error-task-not-open"))
        ));
        assert!(matches!(
            fx.s.update_instance(&member, member.scope(), wi.id, None, &up)
                .await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            fx.s.instance_history(Scope::All, own.id).await.unwrap(),
            Some(vec![])
        );
    }

    pub async fn concurrent_updates_with_one_version_exactly_one_wins(b: Backend) {
        let fx = Fx::new(&b, 1).await;
        let t = fx.published("K1", TaskType::Mandatory, "2025-05-01").await;
        let member = fx.member_actor(0).await;
        for round in 0..5 {
            let row = fx.instance(t.id, 0).await;
            let mut handles = Vec::new();
            for who in ["Anne", "Bo"] {
                let s = fx.s.clone();
                let member = member.clone();
                let u = InstanceUpdate {
                    responsible: Some(format!("{who} {round}")),
                    ..Default::default()
                };
                handles.push(tokio::spawn(async move {
                    s.update_instance(&member, member.scope(), row.id, Some(row.version), &u)
                        .await
                }));
            }
            let mut wins = 0;
            let mut conflicts = 0;
            for h in handles {
                match h.await.unwrap() {
                    Ok(i) => {
                        wins += 1;
                        assert_eq!(i.version, row.version + 1);
                    }
                    Err(StoreError::VersionConflict { expected, found }) => {
                        conflicts += 1;
                        assert_eq!((expected, found), (row.version, row.version + 1));
                    }
                    Err(e) => panic!("unexpected error: {e:?}"),
                }
            }
            assert_eq!((wins, conflicts), (1, 1), "round {round}");
        }
        let h =
            fx.s.instance_history(Scope::All, fx.instance(t.id, 0).await.id)
                .await
                .unwrap()
                .unwrap();
        assert_eq!(h.len(), 5);
    }

    pub async fn many_concurrent_updates_all_land(b: Backend) {
        let fx = Fx::new(&b, 20).await;
        let t = fx.published("K1", TaskType::Mandatory, "2025-05-01").await;
        let rows =
            fx.s.list_instances(
                Scope::All,
                &InstanceFilter {
                    task_id: Some(t.id),
                    ..Default::default()
                },
                PageRequest::new(1, 100),
            )
            .await
            .unwrap()
            .items;
        let mut handles = Vec::new();
        for (n, row) in rows.iter().enumerate() {
            for k in 0..5 {
                let s = fx.s.clone();
                let c = fx.central.clone();
                let id = row.id;
                handles.push(tokio::spawn(async move {
                    let u = InstanceUpdate {
                        doer: Some(format!("doer {n}/{k}")),
                        ..Default::default()
                    };
                    s.update_instance(&c, Scope::All, id, None, &u).await
                }));
            }
        }
        for h in handles {
            h.await.unwrap().unwrap();
        }
        for row in &rows {
            let h =
                fx.s.instance_history(Scope::All, row.id)
                    .await
                    .unwrap()
                    .unwrap();
            assert_eq!(h.len(), 5);
            let now =
                fx.s.get_instance(Scope::All, row.id)
                    .await
                    .unwrap()
                    .unwrap();
            assert_eq!(now.instance.version, row.version + 5);
            assert_eq!(now.instance.doer, h[4].doer);
        }
    }

    pub async fn noop_update_adds_no_event(b: Backend) {
        let fx = Fx::new(&b, 1).await;
        let t = fx.published("K1", TaskType::Mandatory, "2025-05-01").await;
        let row = fx.instance(t.id, 0).await;
        let m = fx.member_actor(0).await;
        let u = InstanceUpdate::parse(Some("paabegyndt"), None, Some("Anne"), None).unwrap();
        let first =
            fx.s.update_instance(&m, m.scope(), row.id, None, &u)
                .await
                .unwrap();
        let again =
            fx.s.update_instance(&m, m.scope(), row.id, Some(first.version), &u)
                .await
                .unwrap();
        assert_eq!(again, first, "nothing differs: nothing changes");
        let empty =
            fx.s.update_instance(&m, m.scope(), row.id, None, &InstanceUpdate::default())
                .await
                .unwrap();
        assert_eq!(empty, first);
        assert_eq!(
            fx.s.instance_history(m.scope(), row.id)
                .await
                .unwrap()
                .unwrap()
                .len(),
            1
        );
    }

    pub async fn not_relevant_reason_is_cleared_when_status_leaves_it(b: Backend) {
        let fx = Fx::new(&b, 1).await;
        let t = fx.published("K1", TaskType::Mandatory, "2025-05-01").await;
        let row = fx.instance(t.id, 0).await;
        let m = fx.member_actor(0).await;
        let nr = InstanceUpdate::parse(
            Some("ikke_relevant"),
            Some("Vi bruger ikke SAPA"),
            None,
            None,
        )
        .unwrap();
        let i =
            fx.s.update_instance(&m, m.scope(), row.id, None, &nr)
                .await
                .unwrap();
        assert_eq!(i.not_relevant_reason, "Vi bruger ikke SAPA");
        // Changing only the responsible keeps the reason.
        let r = InstanceUpdate::parse(None, None, Some("Anne"), None).unwrap();
        let i =
            fx.s.update_instance(&m, m.scope(), row.id, None, &r)
                .await
                .unwrap();
        assert_eq!(i.not_relevant_reason, "Vi bruger ikke SAPA");
        let back = status_update(ExecutionStatus::Started);
        let i =
            fx.s.update_instance(&m, m.scope(), row.id, None, &back)
                .await
                .unwrap();
        assert_eq!(i.status, ExecutionStatus::Started);
        assert_eq!(i.not_relevant_reason, "");
        let h =
            fx.s.instance_history(m.scope(), row.id)
                .await
                .unwrap()
                .unwrap();
        assert_eq!(h.len(), 3);
        assert_eq!(h[0].not_relevant_reason, "Vi bruger ikke SAPA");
        assert_eq!(h[2].not_relevant_reason, "");
        assert_eq!(h[2].old_status, Some(ExecutionStatus::NotRelevant));
    }

    pub async fn follow_up_counts_and_filters(b: Backend) {
        let fx = Fx::new(&b, 30).await;
        let t = fx
            .published("ID 31", TaskType::CriticalPath, "2022-10-05")
            .await;
        // Member i: done if i % 4 == 0, started if 1, not relevant if 2, else not started.
        let statuses: Vec<SeedStatus> = fx
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| SeedStatus {
                member_id: m.id,
                status: match i % 4 {
                    0 => ExecutionStatus::Done,
                    1 => ExecutionStatus::Started,
                    2 => ExecutionStatus::NotRelevant,
                    _ => ExecutionStatus::NotStarted,
                },
                not_relevant_reason: "Ikke relevant her".into(),
                responsible: format!("Ansvarlig {i}"),
                doer: String::new(),
            })
            .collect();
        fx.s.seed_statuses(&fx.central, t.id, &statuses)
            .await
            .unwrap();

        let f =
            fx.s.follow_up(t.id, &FollowUpFilter::default())
                .await
                .unwrap();
        let count = |r: usize| (0..30).filter(|i| i % 4 == r).count() as i64;
        assert_eq!(f.counts.done, count(0));
        assert_eq!(f.counts.started, count(1));
        assert_eq!(f.counts.not_relevant, count(2));
        assert_eq!(f.counts.not_started, count(3));
        assert_eq!(f.counts.total(), 30);
        assert_eq!(f.not_done.len() as i64, count(1) + count(3));
        let names: Vec<&str> = f.not_done.iter().map(|r| r.member_name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "ordered by member name");
        assert!(f.not_done.iter().all(|r| !r.status.is_settled()));
        let first = &f.not_done[0];
        assert_eq!(first.member_name, "Kommune 001");
        assert_eq!(first.member_code, "102");
        assert_eq!(first.responsible, "Ansvarlig 1");
        assert_eq!(first.region, REGIONS[1]);

        let in_region = |i: usize| i % REGIONS.len() == 2;
        let fr =
            fx.s.follow_up(
                t.id,
                &FollowUpFilter {
                    region: Some(REGIONS[2].into()),
                    network: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            fr.counts.total(),
            (0..30).filter(|i| in_region(*i)).count() as i64
        );
        assert_eq!(
            fr.counts.done,
            (0..30).filter(|i| in_region(*i) && i % 4 == 0).count() as i64
        );
        assert!(fr.not_done.iter().all(|r| r.region == REGIONS[2]));
        assert_eq!(
            fr.not_done.len(),
            (0..30)
                .filter(|i| in_region(*i) && (i % 4 == 1 || i % 4 == 3))
                .count()
        );

        let both =
            fx.s.follow_up(
                t.id,
                &FollowUpFilter {
                    region: Some(REGIONS[2].into()),
                    network: Some(NETWORKS[1].into()),
                },
            )
            .await
            .unwrap();
        let expect = (0..30).filter(|i| in_region(*i) && i % 3 == 1).count() as i64;
        assert_eq!(both.counts.total(), expect);
        assert!(
            both.not_done
                .iter()
                .all(|r| r.region == REGIONS[2] && r.network == NETWORKS[1])
        );

        let nobody =
            fx.s.follow_up(
                t.id,
                &FollowUpFilter {
                    region: Some("Atlantis".into()),
                    network: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(nobody.counts.total(), 0);
        assert!(nobody.not_done.is_empty());
        assert!(matches!(
            fx.s.follow_up(TaskId(t.id.0 + 100), &FollowUpFilter::default())
                .await,
            Err(StoreError::NotFound)
        ));
    }

    pub async fn seed_statuses_sets_and_records(b: Backend) {
        let fx = Fx::new(&b, 5).await;
        let t = fx.published("K1", TaskType::Mandatory, "2025-05-01").await;
        let seed = |i: usize, status| SeedStatus {
            member_id: fx.members[i].id,
            status,
            not_relevant_reason: "Grund".into(),
            responsible: format!("R{i}"),
            doer: format!("D{i}"),
        };
        fx.s.seed_statuses(
            &fx.central,
            t.id,
            &[
                seed(0, ExecutionStatus::Done),
                seed(1, ExecutionStatus::NotRelevant),
                seed(2, ExecutionStatus::Started),
            ],
        )
        .await
        .unwrap();
        let i0 =
            fx.s.get_instance(Scope::All, fx.instance(t.id, 0).await.id)
                .await
                .unwrap()
                .unwrap();
        assert_eq!(i0.instance.status, ExecutionStatus::Done);
        assert_eq!(
            i0.instance.not_relevant_reason, "",
            "a reason only with not relevant"
        );
        assert_eq!(i0.instance.responsible, "R0");
        assert_eq!(i0.instance.doer, "D0");
        assert_eq!(i0.instance.version, 2);
        let i1 =
            fx.s.get_instance(Scope::All, fx.instance(t.id, 1).await.id)
                .await
                .unwrap()
                .unwrap();
        assert_eq!(i1.instance.status, ExecutionStatus::NotRelevant);
        assert_eq!(i1.instance.not_relevant_reason, "Grund");
        let i3 = fx.instance(t.id, 3).await;
        assert_eq!((i3.status, i3.version), (ExecutionStatus::NotStarted, 1));
        for i in 0..3 {
            let h =
                fx.s.instance_history(Scope::All, fx.instance(t.id, i).await.id)
                    .await
                    .unwrap()
                    .unwrap();
            assert_eq!(h.len(), 1, "one event per seeded instance");
            assert_eq!(h[0].old_status, Some(ExecutionStatus::NotStarted));
            assert_eq!(h[0].actor_name, "Name of konsulent");
        }
        let f =
            fx.s.follow_up(t.id, &FollowUpFilter::default())
                .await
                .unwrap();
        assert_eq!(
            (
                f.counts.done,
                f.counts.not_relevant,
                f.counts.started,
                f.counts.not_started
            ),
            (1, 1, 1, 2)
        );
        // A member without an instance: refused, nothing applied.
        let draft = fx.draft("K2", TaskType::Mandatory, "2025-05-01").await;
        assert!(
            fx.s.seed_statuses(&fx.central, draft.id, &[seed(0, ExecutionStatus::Done)])
                .await
                .is_err()
        );
    }

    pub async fn seed_statuses_at_dates_the_change_in_the_past(b: Backend) {
        let fx = Fx::new(&b, 3).await;
        let t = fx.published("K1", TaskType::Mandatory, "2025-05-01").await;
        let seed = |i: usize, status| SeedStatus {
            member_id: fx.members[i].id,
            status,
            not_relevant_reason: String::new(),
            responsible: format!("R{i}"),
            doer: String::new(),
        };
        let started = (Utc::now() - Duration::days(40)).trunc_subsecs(6);
        let done = (Utc::now() - Duration::days(12)).trunc_subsecs(6);
        let by = &fx.central;
        fx.s.seed_statuses_at(by, t.id, &[seed(0, ExecutionStatus::Started)], started)
            .await
            .unwrap();
        fx.s.seed_statuses_at(by, t.id, &[seed(0, ExecutionStatus::Done)], done)
            .await
            .unwrap();
        let id = fx.instance(t.id, 0).await.id;
        let i0 = fx.s.get_instance(Scope::All, id).await.unwrap().unwrap();
        assert_eq!(i0.instance.status, ExecutionStatus::Done);
        assert_eq!(
            i0.instance.updated_at, done,
            "last changed is the given time"
        );
        let h =
            fx.s.instance_history(Scope::All, id)
                .await
                .unwrap()
                .unwrap();
        let ats: Vec<_> = h.iter().map(|e| e.at).collect();
        assert_eq!(h.len(), 2, "one event per call");
        assert!(ats.contains(&started) && ats.contains(&done), "{ats:?}");
        // Other instances are untouched, still dated at publishing.
        let i1 = fx.instance(t.id, 1).await;
        let i1 = fx.s.get_instance(Scope::All, i1.id).await.unwrap().unwrap();
        assert_eq!(i1.instance.version, 1);
        assert!(i1.instance.updated_at > done);
    }

    pub async fn list_tasks_summarises_progress(b: Backend) {
        let fx = Fx::new(&b, 4).await;
        let p = fx.published("B", TaskType::Mandatory, "2025-05-01").await;
        let d1 = fx.draft("A", TaskType::Mandatory, "2025-06-01").await;
        let other =
            fx.s.create_project(&Actor::system(), ProjectInput::parse("Aula", "").unwrap())
                .await
                .unwrap();
        fx.s.set_project_staff(&Actor::system(), other.id, fx.central.user_id, true)
            .await
            .unwrap();
        let mut input = fx.input("C", TaskType::Optional, "2025-04-01");
        input.project_id = other.id;
        let c = fx.s.create_task(&fx.central, input).await.unwrap();
        fx.s.seed_statuses(
            &fx.central,
            p.id,
            &[SeedStatus {
                member_id: fx.members[0].id,
                status: ExecutionStatus::Done,
                not_relevant_reason: String::new(),
                responsible: String::new(),
                doer: String::new(),
            }],
        )
        .await
        .unwrap();
        let all = fx.s.list_tasks(&TaskFilter::default()).await.unwrap();
        let ids: Vec<TaskId> = all.iter().map(|t| t.id).collect();
        assert_eq!(ids, [c.id, p.id, d1.id], "by end date");
        let ps = all.iter().find(|t| t.id == p.id).unwrap();
        assert_eq!((ps.instances, ps.settled), (4, 1));
        assert_eq!(ps.project_name, "Sygesikring");
        assert_eq!(ps.state, TaskState::Published);
        let drafts =
            fx.s.list_tasks(&TaskFilter {
                state: Some(TaskState::Draft),
                project_id: None,
            })
            .await
            .unwrap();
        assert_eq!(
            drafts.iter().map(|t| t.id).collect::<Vec<_>>(),
            [c.id, d1.id]
        );
        assert_eq!((drafts[0].instances, drafts[0].settled), (0, 0));
        let aula =
            fx.s.list_tasks(&TaskFilter {
                state: None,
                project_id: Some(other.id),
            })
            .await
            .unwrap();
        assert_eq!(aula.len(), 1);
        assert_eq!(aula[0].project_name, "Aula");
    }

    pub async fn member_home_totals_follow_visibility(b: Backend) {
        let fx = Fx::new(&b, 12).await;
        let s = &fx.s;
        let c = &fx.central;
        let check = |label: &'static str| {
            let s = s.clone();
            let members = fx.members.clone();
            async move {
                for m in &members {
                    let scope = Scope::Member(m.id);
                    let page = s
                        .list_instances(scope, &InstanceFilter::default(), PageRequest::new(1, 500))
                        .await
                        .unwrap();
                    assert_eq!(
                        page.total,
                        page.items.len() as i64,
                        "{label}: member {}",
                        m.code
                    );
                    let beyond = s
                        .list_instances(scope, &InstanceFilter::default(), PageRequest::new(50, 10))
                        .await
                        .unwrap();
                    assert_eq!(beyond.total, page.total, "{label}: past the last page");
                }
            }
        };
        check("empty").await;
        let a = fx.published("A", TaskType::Mandatory, "2025-05-01").await;
        let sel = fx.draft("B", TaskType::Mandatory, "2025-05-01").await;
        s.publish_task(
            c,
            sel.id,
            &Audience::Selection {
                members: vec![fx.members[3].id],
                regions: vec![REGIONS[1].into()],
                networks: vec![],
            },
        )
        .await
        .unwrap();
        let d = fx.draft("D", TaskType::Mandatory, "2025-05-01").await;
        check("published").await;
        s.set_task_state(c, a.id, TaskState::Closed).await.unwrap();
        check("closed").await;
        s.set_task_state(c, sel.id, TaskState::Withdrawn)
            .await
            .unwrap();
        s.set_task_state(c, d.id, TaskState::Withdrawn)
            .await
            .unwrap();
        check("withdrawn").await;
        let e = fx
            .published("E", TaskType::CriticalPath, "2025-05-01")
            .await;
        let row = fx.instance(e.id, 2).await;
        s.update_instance(
            c,
            Scope::All,
            row.id,
            None,
            &status_update(ExecutionStatus::Done),
        )
        .await
        .unwrap();
        check("updated").await;
        let m2 = s
            .list_instances(
                Scope::Member(fx.members[2].id),
                &InstanceFilter::default(),
                PageRequest::new(1, 10),
            )
            .await
            .unwrap();
        assert_eq!(m2.total, 2, "A (closed) and E");
    }
}

// --- connecting (not per backend) --------------------------------------------------

#[tokio::test]
async fn unknown_url_schemes_are_refused() {
    for url in ["mysql://localhost/udrul", "udrul.db", ""] {
        match udrul_store::connect(url).await {
            Err(StoreError::Backend(msg)) => assert!(msg.contains("sqlite:"), "{msg}"),
            Err(e) => panic!("{url}: unexpected error {e:?}"),
            Ok(_) => panic!("{url}: connected"),
        }
    }
}

#[tokio::test]
async fn an_unreachable_postgres_is_unavailable() {
    // Port 1 on loopback: nothing listens, the connection is refused.
    match udrul_store::connect("postgres://postgres@127.0.0.1:1/udrul").await {
        Err(StoreError::Unavailable(_)) => {}
        Err(e) => panic!("unexpected error {e:?}"),
        Ok(_) => panic!("connected"),
    }
}

#[tokio::test]
async fn default_sqlite_url_creates_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested").join("data");
    let url = udrul_store::default_sqlite_url(&data).unwrap();
    assert!(data.is_dir());
    assert!(
        url.starts_with("sqlite:") && url.ends_with("udrul.db"),
        "{url}"
    );
    let s = udrul_store::connect(&url).await.unwrap();
    assert_eq!(s.backend(), "sqlite");
    assert!(data.join("udrul.db").is_file());
    // Opening it again finds the schema in place.
    drop(s);
    udrul_store::connect(&url)
        .await
        .unwrap()
        .ping()
        .await
        .unwrap();
}

/// An org unit without an external id.
fn unit_input(name: &str, parent: Option<OrgUnitId>) -> OrgUnitInput {
    OrgUnitInput {
        external_id: None,
        name: name.into(),
        parent_id: parent,
    }
}

// --- task recipients (issue 4) ------------------------------------------------------
//
// Appended as its own section (its own cases module, the same runner) so
// the suites above keep their order.

contract!(
    @in recipient_cases;
    task_recipients_follow_each_members_gallery,
    task_recipients_of_a_published_task_are_its_members,
    task_recipients_without_target_roles_are_general_mailboxes,
);

mod recipient_cases {
    use super::*;
    use udrul_core::recipients::{RecipientKind, TaskRecipients};

    const DAY: &str = "2026-06-01";

    async fn person(s: &dyn Store, m: MemberId, name: &str, email: &str) -> PersonId {
        s.create_person(
            &Actor::system(),
            m,
            PersonInput::parse("", name, email, "", "", None).unwrap(),
        )
        .await
        .unwrap()
        .id
    }

    async fn hold(
        s: &dyn Store,
        m: MemberId,
        role: &str,
        p: PersonId,
        (from, to): (&str, &str),
        primary: bool,
    ) {
        let role = s.ensure_role(role).await.unwrap();
        let a = AssignmentInput::parse(role.id.0, p.0, from, to, primary, d(DAY)).unwrap();
        s.assign_role(&Actor::system(), m, a).await.unwrap();
    }

    async fn mailbox(s: &dyn Store, m: MemberId, role: Option<&str>, name: &str, email: &str) {
        let role = match role {
            Some(r) => Some(s.ensure_role(r).await.unwrap().id.0),
            None => None,
        };
        s.create_mailbox(
            &Actor::system(),
            m,
            MailboxInput::parse(role, name, email).unwrap(),
        )
        .await
        .unwrap();
    }

    fn names(r: &TaskRecipients) -> Vec<&str> {
        r.members.iter().map(|m| m.member.name.as_str()).collect()
    }

    /// Four members, the task targeting Systemansvarlig and
    /// Infrastrukturansvarlig (`Fx::input`):
    /// 0: Anne holds both (primary for Systemansvarlig), a general mailbox;
    /// 1: Bo holds Infrastrukturansvarlig, nobody Systemansvarlig, a
    ///    general mailbox (the fallback);
    /// 2: Carl held Infrastrukturansvarlig but left, Dorte holds it without
    ///    an e-mail address, a Systemansvarlig mailbox, no general mailbox;
    /// 3: nothing.
    async fn galleries(fx: &Fx) {
        let s = &*fx.s;
        let m: Vec<MemberId> = fx.members.iter().map(|m| m.id).collect();
        let always = ("2026-01-01", "");
        let anne = person(s, m[0], "Anne Ager", "anne@k0.example").await;
        hold(s, m[0], "Systemansvarlig", anne, always, true).await;
        hold(s, m[0], "Infrastrukturansvarlig", anne, always, false).await;
        // Held before and after the day: not reached.
        let old = person(s, m[0], "Otto Old", "otto@k0.example").await;
        hold(
            s,
            m[0],
            "Infrastrukturansvarlig",
            old,
            ("2026-01-01", "2026-05-31"),
            false,
        )
        .await;
        let new = person(s, m[0], "Nina New", "nina@k0.example").await;
        hold(
            s,
            m[0],
            "Infrastrukturansvarlig",
            new,
            ("2026-06-02", ""),
            false,
        )
        .await;
        // A role the task does not target.
        hold(s, m[0], "Programleder", old, always, true).await;
        mailbox(s, m[0], None, "Kommune 0", "post@k0.example").await;

        let bo = person(s, m[1], "Bo Bak", "bo@k1.example").await;
        hold(s, m[1], "Infrastrukturansvarlig", bo, always, true).await;
        mailbox(s, m[1], None, "Kommune 1", "post@k1.example").await;

        let carl = person(s, m[2], "Carl Cirk", "carl@k2.example").await;
        hold(s, m[2], "Infrastrukturansvarlig", carl, always, false).await;
        s.person_left(
            &Actor::system(),
            carl,
            d("2026-03-01"),
            ChangeSource::Manual,
        )
        .await
        .unwrap();
        let dorte = person(s, m[2], "Dorte Dam", "").await;
        hold(s, m[2], "Infrastrukturansvarlig", dorte, always, false).await;
        mailbox(
            s,
            m[2],
            Some("Systemansvarlig"),
            "Systemer",
            "system@k2.example",
        )
        .await;
        mailbox(
            s,
            m[2],
            Some("Programleder"),
            "Program",
            "program@k2.example",
        )
        .await;
    }

    pub async fn task_recipients_follow_each_members_gallery(b: Backend) {
        let fx = Fx::new(&b, 4).await;
        galleries(&fx).await;
        let s = &b.store;
        let t = fx.draft("R 1", TaskType::Mandatory, "2026-12-31").await;
        let r = s.task_recipients(t.id, None, d(DAY)).await.unwrap();
        assert_eq!(r.state, TaskState::Draft);
        assert_eq!(
            r.target_roles,
            ["Systemansvarlig", "Infrastrukturansvarlig"]
        );
        // A draft: every member, by name.
        assert_eq!(
            names(&r),
            ["Kommune 000", "Kommune 001", "Kommune 002", "Kommune 003"]
        );

        // 0: Anne once, with both roles, primary for one; nobody else.
        let k0 = &r.members[0].reach;
        assert_eq!(k0.people.len(), 1, "{k0:?}");
        let anne = &k0.people[0];
        assert_eq!(anne.email, "anne@k0.example");
        assert_eq!(
            anne.roles
                .iter()
                .map(|x| (x.role.as_str(), x.primary))
                .collect::<Vec<_>>(),
            [("Systemansvarlig", true), ("Infrastrukturansvarlig", false)]
        );
        assert!(k0.mailboxes.is_empty() && k0.gaps.is_empty() && !k0.needs_attention());

        // 1: Bo, and the general mailbox standing in for Systemansvarlig.
        let k1 = &r.members[1].reach;
        assert_eq!(k1.gaps, ["Systemansvarlig"]);
        assert_eq!(k1.people[0].name, "Bo Bak");
        assert_eq!(k1.mailboxes.len(), 1);
        let general = &k1.mailboxes[0];
        assert!(matches!(general.kind, RecipientKind::General(_)) && general.fallback);
        assert_eq!(general.email, "post@k1.example");
        assert_eq!(general.role_names(), ["Systemansvarlig"]);

        // 2: Carl left: not counted; Dorte has no address; the role
        // mailbox reaches Systemansvarlig; Infrastrukturansvarlig reaches
        // nobody, and there is no general mailbox to fall back on.
        let k2 = &r.members[2].reach;
        assert!(k2.people.is_empty(), "{k2:?}");
        assert_eq!(k2.unreachable.len(), 1);
        assert_eq!(k2.unreachable[0].name, "Dorte Dam");
        assert_eq!(k2.mailboxes.len(), 1, "not the Programleder mailbox");
        assert_eq!(k2.mailboxes[0].email, "system@k2.example");
        assert_eq!(k2.gaps, ["Infrastrukturansvarlig"]);
        assert_eq!(k2.unreached_roles(), ["Infrastrukturansvarlig"]);

        // 3: nobody at all.
        let k3 = &r.members[3].reach;
        assert!(k3.reaches_nobody() && k3.gaps.len() == 2);

        let c = r.counts();
        assert_eq!(
            (c.members, c.members_reached, c.members_unreached),
            (4, 3, 1)
        );
        assert_eq!((c.people, c.mailboxes, c.unreachable_people), (2, 2, 1));
        assert_eq!(c.members_with_gaps, 3);

        // On another day the dates decide: Otto is still on, Nina not yet.
        let before = s
            .task_recipients(t.id, None, d("2026-05-31"))
            .await
            .unwrap();
        let people: Vec<&str> = before.members[0]
            .reach
            .people
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(people, ["Anne Ager", "Otto Old"]);

        // An audience narrows a draft's members; unknown ids are ignored.
        let some = [fx.members[2].id, fx.members[0].id, MemberId(999_999)];
        let r = s.task_recipients(t.id, Some(&some), d(DAY)).await.unwrap();
        assert_eq!(names(&r), ["Kommune 000", "Kommune 002"]);

        assert!(matches!(
            s.task_recipients(TaskId(999_999), None, d(DAY)).await,
            Err(StoreError::NotFound)
        ));
    }

    pub async fn task_recipients_of_a_published_task_are_its_members(b: Backend) {
        let fx = Fx::new(&b, 4).await;
        galleries(&fx).await;
        let s = &b.store;
        let t = fx.draft("R 2", TaskType::Mandatory, "2026-12-31").await;
        s.publish_task(
            &fx.central,
            t.id,
            &Audience::Selection {
                members: vec![fx.members[1].id, fx.members[3].id],
                regions: Vec::new(),
                networks: Vec::new(),
            },
        )
        .await
        .unwrap();
        let r = s.task_recipients(t.id, None, d(DAY)).await.unwrap();
        assert_eq!(r.state, TaskState::Published);
        assert_eq!(names(&r), ["Kommune 001", "Kommune 003"]);
        // A filter narrows them; a member without an instance stays out.
        let only = [fx.members[0].id, fx.members[3].id];
        let r = s.task_recipients(t.id, Some(&only), d(DAY)).await.unwrap();
        assert_eq!(names(&r), ["Kommune 003"]);
        // Closing keeps them.
        s.set_task_state(&fx.central, t.id, TaskState::Closed)
            .await
            .unwrap();
        let r = s.task_recipients(t.id, None, d(DAY)).await.unwrap();
        assert_eq!(r.members.len(), 2);
    }

    pub async fn task_recipients_without_target_roles_are_general_mailboxes(b: Backend) {
        let fx = Fx::new(&b, 4).await;
        galleries(&fx).await;
        let s = &b.store;
        let mut input = fx.input("R 3", TaskType::Optional, "2026-12-31");
        input.target_roles.clear();
        let t = s.create_task(&fx.central, input).await.unwrap();
        let r = s.task_recipients(t.id, None, d(DAY)).await.unwrap();
        let general: Vec<Vec<&str>> = r
            .members
            .iter()
            .map(|m| {
                assert!(m.reach.people.is_empty() && m.reach.gaps.is_empty());
                m.reach.mailboxes.iter().map(|b| b.email.as_str()).collect()
            })
            .collect();
        assert_eq!(
            general,
            [
                vec!["post@k0.example"],
                vec!["post@k1.example"],
                vec![],
                vec![]
            ]
        );
        assert!(r.members[0].reach.mailboxes.iter().all(|b| !b.fallback));
        let c = r.counts();
        assert_eq!(
            (c.members_reached, c.members_unreached, c.members_with_gaps),
            (2, 2, 0)
        );
    }
}

// --- the central task list's search (issue 11) --------------------------------------
//
// Its own section, like the recipients above.

contract!(
    @in search_cases;
    search_tasks_filters_pages_and_escapes,
);

mod search_cases {
    use super::*;

    async fn codes(
        fx: &Fx,
        text: &str,
        state: Option<TaskState>,
        page: u32,
        per: u32,
    ) -> (Vec<String>, i64) {
        let found =
            fx.s.search_tasks(
                &TaskSearch {
                    filter: TaskFilter {
                        state,
                        project_id: None,
                    },
                    text: text.into(),
                },
                PageRequest::new(page, per),
            )
            .await
            .unwrap();
        (
            found.items.into_iter().map(|t| t.code).collect(),
            found.total,
        )
    }

    pub async fn search_tasks_filters_pages_and_escapes(b: Backend) {
        let fx = Fx::new(&b, 3).await;
        let p = fx
            .published("ØKO-2", TaskType::Mandatory, "2025-06-01")
            .await;
        fx.published("ØKO-1", TaskType::Mandatory, "2025-07-01")
            .await;
        fx.published("50%_RABAT", TaskType::Mandatory, "2025-08-01")
            .await;
        fx.published("50X-RABAT", TaskType::Mandatory, "2025-09-01")
            .await;
        fx.draft("KLADDE", TaskType::Mandatory, "2025-01-01").await;
        fx.s.seed_statuses(
            &fx.central,
            p.id,
            &[SeedStatus {
                member_id: fx.members[0].id,
                status: ExecutionStatus::Done,
                not_relevant_reason: String::new(),
                responsible: String::new(),
                doer: String::new(),
            }],
        )
        .await
        .unwrap();
        // No text: the filter's tasks by end date; totals and progress.
        let all = codes(&fx, "", None, 1, 10).await;
        assert_eq!(all.1, 5);
        assert_eq!(
            all.0,
            ["KLADDE", "ØKO-2", "ØKO-1", "50%_RABAT", "50X-RABAT"]
        );
        let open = codes(&fx, "", Some(TaskState::Published), 1, 10).await;
        assert_eq!(open.0, ["ØKO-2", "ØKO-1", "50%_RABAT", "50X-RABAT"]);
        let first =
            fx.s.search_tasks(&TaskSearch::default(), PageRequest::new(1, 2))
                .await
                .unwrap();
        assert_eq!(first.items[1].code, "ØKO-2");
        assert_eq!((first.items[1].instances, first.items[1].settled), (3, 1));
        assert_eq!((first.total, first.pages()), (5, 3));
        // Paging.
        assert_eq!(codes(&fx, "", None, 2, 2).await.0, ["ØKO-1", "50%_RABAT"]);
        assert_eq!(codes(&fx, "", None, 3, 2).await.0, ["50X-RABAT"]);
        assert!(codes(&fx, "", None, 4, 2).await.0.is_empty());
        // Case folded, Danish letters too, in code and title.
        assert_eq!(codes(&fx, "øko", None, 1, 10).await.0, ["ØKO-2", "ØKO-1"]);
        assert_eq!(codes(&fx, "opgave øKO-1", None, 1, 10).await.0, ["ØKO-1"]);
        assert_eq!(
            codes(&fx, "kladde", Some(TaskState::Published), 1, 10)
                .await
                .1,
            0
        );
        // % and _ are characters, not wildcards.
        assert_eq!(codes(&fx, "%_", None, 1, 10).await.0, ["50%_RABAT"]);
        assert_eq!(codes(&fx, "50%", None, 1, 10).await.0, ["50%_RABAT"]);
        assert_eq!(codes(&fx, "_", None, 1, 10).await.0, ["50%_RABAT"]);
        assert!(codes(&fx, "\\", None, 1, 10).await.0.is_empty());
        assert!(codes(&fx, "'; --", None, 1, 10).await.0.is_empty());
    }
}

// --- accounts made in the interface (issue 11) ------------------------------------

contract!(
    @in account_cases;
    user_search_is_literal_case_insensitive_and_paged,
    password_links_work_once_and_replace_each_other,
    password_links_check_the_actor,
);

mod account_cases {
    use super::*;
    use udrul_core::store::{NewPasswordLink, UserFilter};

    fn filter(text: &str) -> UserFilter {
        UserFilter {
            text: text.into(),
            limit: 100,
            ..UserFilter::default()
        }
    }

    async fn names(s: &dyn Store, f: &UserFilter) -> Vec<String> {
        s.search_users(f)
            .await
            .unwrap()
            .users
            .into_iter()
            .map(|u| u.username)
            .collect()
    }

    pub async fn user_search_is_literal_case_insensitive_and_paged(b: Backend) {
        let fx = Fx::new(&b, 2).await;
        let s = &*fx.s;
        let sys = Actor::system();
        let (a, bm) = (fx.members[0].id, fx.members[1].id);
        for (username, name, email, role, member) in [
            (
                "anna",
                "Anna Andersen",
                "anna@a.example",
                AccessRole::MemberUser,
                Some(a),
            ),
            (
                "bo",
                "Bo 100% Berg",
                "bo_b@a.example",
                AccessRole::MemberAdmin,
                Some(a),
            ),
            (
                "carl",
                "Carl Christensen",
                "CARL@B.example",
                AccessRole::MemberUser,
                Some(bm),
            ),
            (
                "dorte",
                "Dorte Dahl",
                "dorte@c.example",
                AccessRole::Auditor,
                None,
            ),
        ] {
            let mut u = new_user(username, role, member);
            u.display_name = name.into();
            u.email = email.into();
            s.create_user(&sys, u).await.unwrap();
        }
        // Username, display name and e-mail, whatever the case.
        assert_eq!(names(s, &filter("ANNA")).await, ["anna"]);
        assert_eq!(names(s, &filter("christensen")).await, ["carl"]);
        assert_eq!(names(s, &filter("carl@b")).await, ["carl"]);
        // % and _ are literal, not wildcards.
        assert_eq!(names(s, &filter("100%")).await, ["bo"]);
        assert!(names(s, &filter("%")).await == ["bo"]);
        assert_eq!(names(s, &filter("o_b")).await, ["bo"]);
        assert!(names(s, &filter("a_n")).await.is_empty());
        assert!(names(s, &filter("\\")).await.is_empty());
        // Member and role filters, with text or without.
        let f = UserFilter {
            member: Some(a),
            ..filter("")
        };
        assert_eq!(names(s, &f).await, ["anna", "bo"]);
        let f = UserFilter {
            member: Some(a),
            ..filter("carl")
        };
        assert!(names(s, &f).await.is_empty());
        let f = UserFilter {
            role: Some(AccessRole::Auditor),
            ..filter("")
        };
        assert_eq!(names(s, &f).await, ["dorte"]);
        // Pages: ordered by display name, with the total.
        let all = s.search_users(&filter("")).await.unwrap();
        assert_eq!(all.total, 5); // and the fixture's central user
        let mut seen = Vec::new();
        for offset in [0, 2, 4] {
            let p = s
                .search_users(&UserFilter {
                    offset,
                    limit: 2,
                    ..filter("")
                })
                .await
                .unwrap();
            assert_eq!(p.total, 5);
            seen.extend(p.users.into_iter().map(|u| u.display_name));
        }
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted);
        assert_eq!(seen.len(), 5);
    }

    fn hash(secret: &str) -> Vec<u8> {
        use sha2::Digest;
        sha2::Sha256::digest(secret.as_bytes()).to_vec()
    }

    async fn credential_count(s: &dyn Store, u: UserId) -> usize {
        let mut n = 0;
        for k in ["s1", "s2"] {
            if s.get_credential("session", &hash(k))
                .await
                .unwrap()
                .is_some_and(|(c, _)| c.user_id == u)
            {
                n += 1;
            }
        }
        n
    }

    pub async fn password_links_work_once_and_replace_each_other(b: Backend) {
        let fx = Fx::new(&b, 1).await;
        let s = &*fx.s;
        let sys = Actor::system();
        let u = s
            .create_user(
                &sys,
                new_user("ny", AccessRole::MemberUser, Some(fx.members[0].id)),
            )
            .await
            .unwrap();
        let boss = s
            .create_user(&sys, new_user("chef", AccessRole::CentralAdmin, None))
            .await
            .unwrap();
        let admin = actor(&boss);
        let now = Utc::now();
        for k in ["s1", "s2"] {
            s.create_credential(
                "session",
                &hash(k),
                Credential {
                    user_id: u.id,
                    created_at: now,
                    last_seen_at: now,
                    expires_at: now + Duration::hours(1),
                },
            )
            .await
            .unwrap();
        }
        let link = |h: i64| NewPasswordLink {
            user_id: u.id,
            expires_at: now + Duration::hours(h),
        };
        let first = s
            .create_password_link(&admin, &hash("first"), link(72))
            .await
            .unwrap();
        assert_eq!(first.user_id, u.id);
        assert_eq!(first.created_by, Some(boss.id));
        assert_eq!(
            s.password_link_user(&hash("first"), now)
                .await
                .unwrap()
                .map(|x| x.id),
            Some(u.id)
        );
        // A link is dead after it expires.
        assert!(
            s.password_link_user(&hash("first"), now + Duration::hours(73))
                .await
                .unwrap()
                .is_none()
        );
        // A new link replaces the first.
        s.create_password_link(&admin, &hash("second"), link(72))
            .await
            .unwrap();
        assert!(
            s.password_link_user(&hash("first"), now)
                .await
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            s.use_password_link(&hash("first"), "$argon2id$new", now, None)
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(
            s.password_link_user(&hash("unknown"), now)
                .await
                .unwrap()
                .is_none()
        );
        // Expired at the moment of use: nothing changes.
        assert!(matches!(
            s.use_password_link(
                &hash("second"),
                "$argon2id$new",
                now + Duration::hours(80),
                None
            )
            .await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(credential_count(s, u.id).await, 2);
        // Used once: the password is set, every session ends.
        let used = s
            .use_password_link(&hash("second"), "$argon2id$new", now, Some("req-1".into()))
            .await
            .unwrap();
        assert_eq!(used.id, u.id);
        assert_eq!(
            s.user_by_username("ny")
                .await
                .unwrap()
                .unwrap()
                .password_hash,
            "$argon2id$new"
        );
        assert_eq!(credential_count(s, u.id).await, 0);
        assert!(matches!(
            s.use_password_link(&hash("second"), "$argon2id$again", now, None)
                .await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            s.user_by_username("ny")
                .await
                .unwrap()
                .unwrap()
                .password_hash,
            "$argon2id$new"
        );
        // Audited: the link's making and its use, never a secret or hash.
        let events = s
            .search_audit(&udrul_core::store::AuditFilter {
                person: Some(u.id),
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions
                .iter()
                .filter(|a| **a == "user.password_link")
                .count(),
            2
        );
        let set = events
            .iter()
            .find(|e| e.action == "user.password_set")
            .unwrap();
        assert_eq!(set.actor_id, Some(u.id));
        assert_eq!(set.request_id.as_deref(), Some("req-1"));
        for e in &events {
            let text = format!("{:?} {:?}", e.before, e.after);
            assert!(
                !text.contains("argon2") && !text.contains("second"),
                "{text}"
            );
        }
        // Two concurrent uses of one link: exactly one wins.
        s.create_password_link(&admin, &hash("third"), link(1))
            .await
            .unwrap();
        let third = hash("third");
        let (x, y) = tokio::join!(
            s.use_password_link(&third, "$argon2id$x", now, None),
            s.use_password_link(&third, "$argon2id$y", now, None)
        );
        assert_eq!(u8::from(x.is_ok()) + u8::from(y.is_ok()), 1);
        // Housekeeping removes links that can no longer be used.
        s.create_password_link(&admin, &hash("fourth"), link(1))
            .await
            .unwrap();
        s.purge_credentials(now).await.unwrap();
        assert!(
            s.password_link_user(&hash("fourth"), now)
                .await
                .unwrap()
                .is_some()
        );
        s.purge_credentials(now + Duration::hours(2)).await.unwrap();
        assert!(
            s.password_link_user(&hash("fourth"), now)
                .await
                .unwrap()
                .is_none()
        );
    }

    pub async fn password_links_check_the_actor(b: Backend) {
        let fx = Fx::new(&b, 2).await;
        let s = &*fx.s;
        let sys = Actor::system();
        let (a, bm) = (fx.members[0].id, fx.members[1].id);
        let a_admin = s
            .create_user(&sys, new_user("a-adm", AccessRole::MemberAdmin, Some(a)))
            .await
            .unwrap();
        let a_user = s
            .create_user(&sys, new_user("a-usr", AccessRole::MemberUser, Some(a)))
            .await
            .unwrap();
        let b_user = s
            .create_user(&sys, new_user("b-usr", AccessRole::MemberUser, Some(bm)))
            .await
            .unwrap();
        let mut robot = new_user("robot-a-1", AccessRole::Robot, Some(a));
        robot.password_hash = String::new();
        let robot = s.create_user(&sys, robot).await.unwrap();
        let staff = s.user_by_username("konsulent").await.unwrap().unwrap().user;
        let by = actor(&a_admin);
        let link = |u: UserId| NewPasswordLink {
            user_id: u,
            expires_at: Utc::now() + Duration::hours(1),
        };
        s.create_password_link(&by, &hash("a"), link(a_user.id))
            .await
            .unwrap();
        // Another member's user does not exist for A's administrator; a
        // central user is not theirs to manage.
        assert!(matches!(
            s.create_password_link(&by, &hash("b"), link(b_user.id))
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            s.create_password_link(&by, &hash("c"), link(staff.id))
                .await,
            Err(StoreError::Forbidden)
        ));
        // A member user manages nobody; robots get no password.
        assert!(matches!(
            s.create_password_link(&actor(&a_user), &hash("d"), link(a_user.id))
                .await,
            Err(StoreError::Forbidden)
        ));
        assert!(matches!(
            s.create_password_link(&by, &hash("e"), link(robot.id))
                .await,
            Err(StoreError::WrongState(_))
        ));
        // A deactivated user's live link stops working too.
        s.create_password_link(&sys, &hash("f"), link(b_user.id))
            .await
            .unwrap();
        s.set_user_access(
            &sys,
            b_user.id,
            udrul_core::store::UserAccess {
                role: AccessRole::MemberUser,
                member_id: Some(bm),
                active: false,
            },
        )
        .await
        .unwrap();
        assert!(
            s.password_link_user(&hash("f"), Utc::now())
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            s.use_password_link(&hash("f"), "$argon2id$z", Utc::now(), None)
                .await
                .is_err()
        );
        // create_user checks role and member agree.
        assert!(matches!(
            s.create_user(&sys, new_user("rev", AccessRole::Auditor, Some(a)))
                .await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.create_user(&by, new_user("boss", AccessRole::CentralAdmin, None))
                .await,
            Err(StoreError::Forbidden)
        ));
        assert!(matches!(
            s.create_user(&by, new_user("ny-b", AccessRole::MemberUser, Some(bm)))
                .await,
            Err(StoreError::Forbidden)
        ));
    }
}
