//! Rough timings of the hot paths at demo scale (98 members x 2,000 tasks =
//! 196,000 instances). Ignored by default; run in release mode:
//!
//! ```sh
//! cargo nextest run --release -p udrul-store --run-ignored only --no-capture
//! # and with UDRUL_TEST_PG_URL=postgres://… for PostgreSQL too
//! ```
//!
//! These print figures; the load benchmark of the whole app is `scripts/bench`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use udrul_core::access::{AccessRole, Actor, Scope};
use udrul_core::input::{Audience, InstanceUpdate, ProjectInput, TaskInput};
use udrul_core::model::*;
use udrul_core::store::{NewMember, NewUser, Store};

const MEMBERS: usize = 98;
const TASKS: usize = 2_000;

async fn drop_pg(name: &str) {
    use sqlx::Connection;
    if let Ok(admin) = std::env::var("UDRUL_TEST_PG_URL") {
        let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut c)
        .await;
    }
}

fn pg_name() -> String {
    format!("udrul_perf_{}", std::process::id())
}

async fn stores() -> Vec<(&'static str, Arc<dyn Store>, Option<tempfile::TempDir>)> {
    let mut out = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let url = udrul_store::default_sqlite_url(dir.path()).unwrap();
    out.push((
        "sqlite",
        udrul_store::connect(&url).await.unwrap(),
        Some(dir),
    ));
    if let Ok(admin) = std::env::var("UDRUL_TEST_PG_URL") {
        use sqlx::Connection;
        let name = pg_name();
        let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut c)
        .await;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut c)
            .await
            .unwrap();
        let base = admin.rsplit_once('/').unwrap().0;
        out.push((
            "postgres",
            udrul_store::connect(&format!("{base}/{name}"))
                .await
                .unwrap(),
            None,
        ));
    }
    out
}

fn pct(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p) as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timings at demo scale; run by hand in release mode"]
async fn demo_scale_timings() {
    for (name, s, _dir) in stores().await {
        let t0 = Instant::now();
        let mut members = Vec::new();
        for i in 0..MEMBERS {
            members.push(
                s.upsert_member(NewMember {
                    code: format!("{}", 101 + i),
                    name: format!("Kommune {i:03}"),
                    region: format!("Region {}", i % 5),
                    network: format!("Net {}", i % 3),
                })
                .await
                .unwrap(),
            );
        }
        let u = s
            .create_user(
                &Actor::system(),
                NewUser {
                    username: "c".into(),
                    display_name: "C".into(),
                    email: "c@example.org".into(),
                    password_hash: "x".into(),
                    role: AccessRole::CentralStaff,
                    member_id: None,
                },
            )
            .await
            .unwrap();
        let central = Actor::person(u.id, u.display_name.clone(), u.role, None);
        let project = s
            .create_project(&Actor::system(), ProjectInput::parse("P", "").unwrap())
            .await
            .unwrap();
        s.set_project_staff(&Actor::system(), project.id, u.id, true)
            .await
            .unwrap();
        s.ensure_role("R").await.unwrap();
        let mut tasks = Vec::new();
        let mut publish = Vec::new();
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        for k in 0..TASKS {
            let t = s
                .create_task(
                    &central,
                    TaskInput {
                        project_id: project.id,
                        code: format!("K{k:04}"),
                        title: format!("Opgave {k}"),
                        purpose: String::new(),
                        guidance: String::new(),
                        task_type: if k % 7 == 0 {
                            TaskType::CriticalPath
                        } else {
                            TaskType::Mandatory
                        },
                        phase: String::new(),
                        target_roles: vec!["R".into()],
                        start_date: None,
                        end_date: start + chrono::Days::new((k % 400) as u64),
                    },
                )
                .await
                .unwrap();
            let p0 = Instant::now();
            s.publish_task(&central, t.id, &Audience::All)
                .await
                .unwrap();
            publish.push(p0.elapsed());
            tasks.push(t.id);
        }
        eprintln!(
            "[{name}] seeded {} instances in {:?}; publish to 98: p50 {:?} p99 {:?}",
            MEMBERS * TASKS,
            t0.elapsed(),
            pct(publish.clone(), 0.5),
            pct(publish, 0.99)
        );

        // Member home, first page.
        let scope = Scope::Member(members[40].id);
        let mut lat = Vec::new();
        for _ in 0..500 {
            let t = Instant::now();
            let p = s
                .list_instances(scope, &InstanceFilter::default(), PageRequest::new(1, 50))
                .await
                .unwrap();
            lat.push(t.elapsed());
            assert_eq!(p.total, TASKS as i64);
        }
        eprintln!(
            "[{name}] member home page: p50 {:?} p99 {:?}",
            pct(lat.clone(), 0.5),
            pct(lat, 0.99)
        );
        for (label, f, per_page) in [
            ("1 row", InstanceFilter::default(), 1),
            (
                "open only, 50 rows",
                InstanceFilter {
                    open_only: true,
                    ..Default::default()
                },
                50,
            ),
        ] {
            let mut lat = Vec::new();
            for _ in 0..500 {
                let t = Instant::now();
                s.list_instances(scope, &f, PageRequest::new(1, per_page))
                    .await
                    .unwrap();
                lat.push(t.elapsed());
            }
            eprintln!(
                "[{name}] member home, {label}: p50 {:?} p99 {:?}",
                pct(lat.clone(), 0.5),
                pct(lat, 0.99)
            );
        }
        let mut lat = Vec::new();
        for _ in 0..500 {
            let t = Instant::now();
            s.get_member(members[3].id).await.unwrap();
            lat.push(t.elapsed());
        }
        eprintln!(
            "[{name}] get_member (one-row baseline): p50 {:?} p99 {:?}",
            pct(lat.clone(), 0.5),
            pct(lat, 0.99)
        );

        let t = Instant::now();
        let all = s.list_tasks(&TaskFilter::default()).await.unwrap();
        eprintln!(
            "[{name}] list_tasks ({} tasks with progress): {:?}",
            all.len(),
            t.elapsed()
        );

        // Follow-up.
        let mut lat = Vec::new();
        for k in 0..500 {
            let t = Instant::now();
            let f = s
                .follow_up(tasks[k % TASKS], &FollowUpFilter::default())
                .await
                .unwrap();
            lat.push(t.elapsed());
            assert_eq!(f.counts.total(), MEMBERS as i64);
        }
        eprintln!(
            "[{name}] follow-up: p50 {:?} p99 {:?}",
            pct(lat.clone(), 0.5),
            pct(lat, 0.99)
        );

        // Status updates from 64 concurrent clients.
        let ids: Vec<InstanceId> = s
            .list_instances(
                Scope::All,
                &InstanceFilter {
                    task_id: Some(tasks[0]),
                    ..Default::default()
                },
                PageRequest::new(1, 500),
            )
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|r| r.id)
            .collect();
        let per_client = 200;
        let t = Instant::now();
        let mut handles = Vec::new();
        for c in 0..64 {
            let s = s.clone();
            let central = central.clone();
            let ids = ids.clone();
            handles.push(tokio::spawn(async move {
                for n in 0..per_client {
                    let u = InstanceUpdate {
                        doer: Some(format!("{c}-{n}")),
                        ..Default::default()
                    };
                    s.update_instance(&central, Scope::All, ids[(c * 7 + n) % ids.len()], None, &u)
                        .await
                        .unwrap();
                }
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        let n = 64 * per_client;
        eprintln!(
            "[{name}] {n} status updates from 64 clients: {:?}, {:.0}/s",
            t.elapsed(),
            n as f64 / t.elapsed().as_secs_f64()
        );
        if name == "postgres" {
            drop(s);
            drop_pg(&pg_name()).await;
        }
    }
}
