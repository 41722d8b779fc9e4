//! The demo data on a real SQLite store: the decks' figures show on the
//! follow-up pages, seeding is reproducible and happens only once.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use udrul::demo;
use udrul_core::{
    ExecutionStatus, FollowUpFilter, InstanceFilter, PageRequest, Scope, Store, TaskEventKind,
    TaskFilter, TaskState, TaskSummary,
};

async fn store() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = udrul_store::default_sqlite_url(dir.path()).unwrap();
    (udrul_store::connect(&url).await.unwrap(), dir)
}

fn hash() -> String {
    password_auth::generate_hash(demo::DEMO_PASSWORD)
}

fn find<'a>(tasks: &'a [TaskSummary], project: &str, code: &str) -> &'a TaskSummary {
    tasks
        .iter()
        .find(|t| t.project_name == project && t.code == code)
        .unwrap_or_else(|| panic!("no task {project} {code}"))
}

async fn counts(s: &dyn Store, t: &TaskSummary) -> (i64, i64, i64, i64) {
    let f = s.follow_up(t.id, &FollowUpFilter::default()).await.unwrap();
    (
        f.counts.done,
        f.counts.started,
        f.counts.not_started,
        f.counts.not_relevant,
    )
}

#[tokio::test]
async fn the_demo_shows_the_decks_figures_and_is_seeded_once() {
    let (s, _dir) = store().await;
    let hash = hash();
    let summary = demo::seed(&*s, &hash).await.unwrap();
    assert!(summary.seeded);
    assert_eq!(summary.members, 98);
    // Administrator, consultant, auditor, København's robot, and a user and
    // an administrator per member.
    assert_eq!(summary.users, 4 + 2 * 98);
    // The decks' 44 tasks and their extra draft, and the current
    // programme's 8 (one a draft).
    assert_eq!((summary.tasks, summary.published_tasks), (53, 51));
    let usernames: Vec<&str> = summary.logins.iter().map(|l| l.username.as_str()).collect();
    assert_eq!(
        usernames,
        [
            "admin",
            "konsulent",
            "bruger-101",
            "admin-101",
            "bruger-851",
            "revisor"
        ]
    );
    assert_eq!(summary.logins[2].member, "København");
    assert_eq!(summary.logins[4].member, "Aalborg");
    let printed = summary.to_string();
    assert!(printed.contains("udrul-demo") && printed.contains("bruger-851"));

    let tasks = s.list_tasks(&TaskFilter::default()).await.unwrap();
    assert_eq!(tasks.len(), 53);
    assert_eq!(
        summary.instances,
        tasks.iter().map(|t| t.instances).sum::<i64>()
    );
    let drafts: Vec<_> = tasks
        .iter()
        .filter(|t| t.state == TaskState::Draft)
        .collect();
    let codes: HashSet<&str> = drafts.iter().map(|t| t.code.as_str()).collect();
    assert_eq!(codes, HashSet::from(["KLIK 10", "DA 08"]));
    let today = udrul_core::calendar::today();
    assert!(
        drafts.iter().all(|t| t.end_date > today),
        "drafts lie ahead"
    );

    // ID 31: exactly the deck's 82 / 10 / 6.
    let id31 = find(&tasks, "Fælleskommunal infrastruktur", "ID 31");
    assert_eq!(counts(&*s, id31).await, (82, 10, 6, 0));
    let f = s
        .follow_up(id31.id, &FollowUpFilter::default())
        .await
        .unwrap();
    assert_eq!(f.not_done.len(), 16);
    assert!(
        f.not_done
            .iter()
            .filter(|r| r.status == ExecutionStatus::Started)
            .all(|r| !r.responsible.is_empty()),
        "started instances name a responsible person"
    );
    // Its end date went out as 19 August and was moved, with the reason.
    let history = s.task_history(id31.id).await.unwrap();
    let moved = history
        .iter()
        .find(|e| e.kind == TaskEventKind::EndDateChanged)
        .expect("an end date change");
    assert_eq!(
        (
            moved.from_date.unwrap().to_string(),
            moved.to_date.unwrap().to_string()
        ),
        ("2022-08-19".to_string(), "2022-10-05".to_string())
    );
    assert_eq!(moved.reason, "Seneste slutdato");
    assert!(moved.actor_name.is_some());
    let task = s.get_task(id31.id).await.unwrap().unwrap();
    assert_eq!(task.end_date.to_string(), "2022-10-05");
    // Long past: closed, with its figures kept.
    assert_eq!(task.state, TaskState::Closed);
    assert!(
        history.iter().any(|e| e.kind == TaskEventKind::Closed),
        "the closing is in the task's history"
    );

    // Decks counting 99: one fewer in the largest group not done.
    assert_eq!(counts(&*s, find(&tasks, "ØiR", "03")).await, (76, 3, 19, 0));
    assert_eq!(counts(&*s, find(&tasks, "ØiR", "04")).await, (7, 35, 56, 0));
    let oir03 = s
        .get_task(find(&tasks, "ØiR", "03").id)
        .await
        .unwrap()
        .unwrap();
    assert!(oir03.guidance.contains("i alt 99"));

    // FLIS: exactly Brøndby, Norddjurs and Faxe missing.
    let flis = find(&tasks, "FLIS", "FLIS AftaleID");
    let f = s
        .follow_up(flis.id, &FollowUpFilter::default())
        .await
        .unwrap();
    let missing: HashSet<&str> = f.not_done.iter().map(|r| r.member_name.as_str()).collect();
    assert_eq!(missing, HashSet::from(["Brøndby", "Norddjurs", "Faxe"]));
    assert_eq!(f.counts.done, 95);

    // Audiences: a list of 12, and G2 to the members done with G1.
    assert_eq!(find(&tasks, "KY", "KR DOM").instances, 12);
    let g1 = counts(&*s, find(&tasks, "FK OSS", "G1")).await;
    assert_eq!(find(&tasks, "FK OSS", "G2").instances, g1.0);
    assert!(g1.0 > 0 && g1.3 > 0);
    // The optional task has a few "not relevant".
    let nul = counts(&*s, find(&tasks, "KY", "KR NUL")).await;
    assert!(nul.3 > 0 && nul.3 < 15);

    // Demo accounts log in with the demo password, member accounts belong
    // to their member.
    let u = s.user_by_username("bruger-101").await.unwrap().unwrap();
    assert!(password_auth::verify_password(demo::DEMO_PASSWORD, &u.password_hash).is_ok());
    let m = s
        .get_member(u.user.member_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.name, "København");
    assert_eq!(u.user.email, "bruger-101@demo.udrul.invalid");

    // Seeding again adds nothing.
    let again = demo::seed(&*s, &hash).await.unwrap();
    assert!(!again.seeded);
    assert_eq!(again.tasks, 53);
    assert_eq!(again.published_tasks, 51);
    assert_eq!(again.closed_tasks, summary.closed_tasks);
    assert_eq!(again.instances, summary.instances);
    assert_eq!(again.users, summary.users);
    assert_eq!(again.logins, summary.logins);
    assert!(again.to_string().contains("no demo data was added"));
    assert_eq!(
        s.list_tasks(&TaskFilter::default()).await.unwrap().len(),
        53
    );
}

/// The decks' finished programmes are closed history; the current
/// programme, dated from today, has work coming, work a few days overdue,
/// and status changes spread over the past weeks, which a member's home
/// page shows.
#[tokio::test]
async fn the_demo_is_current_as_of_the_day_it_is_seeded() {
    let (s, _dir) = store().await;
    let summary = demo::seed(&*s, &hash()).await.unwrap();
    let today = udrul_core::calendar::today();
    let tasks = s.list_tasks(&TaskFilter::default()).await.unwrap();
    let current = "Digitale arbejdsgange 2027";

    // Every deck task ended more than two months ago (the latest on 31
    // October 2025), so all are closed, with their instances and figures.
    let deck: Vec<&TaskSummary> = tasks
        .iter()
        .filter(|t| t.project_name != current && t.state != TaskState::Draft)
        .collect();
    assert_eq!(deck.len(), 44);
    let long_past = deck
        .iter()
        .filter(|t| t.end_date + chrono::Days::new(60) < today)
        .count();
    let closed: Vec<&&TaskSummary> = deck
        .iter()
        .filter(|t| t.state == TaskState::Closed)
        .collect();
    assert_eq!(closed.len(), long_past);
    assert_eq!(summary.closed_tasks, long_past);
    assert!(
        summary
            .to_string()
            .contains(&format!("of which {long_past} closed"))
    );
    for t in &closed {
        let f = s.follow_up(t.id, &FollowUpFilter::default()).await.unwrap();
        let c = f.counts;
        assert_eq!(
            c.done + c.started + c.not_started + c.not_relevant,
            t.instances
        );
        assert!(c.done > 0, "{} keeps its figures", t.code);
    }

    // The current programme: published, open, some ahead, some overdue by
    // days; one draft.
    let open: Vec<&TaskSummary> = tasks
        .iter()
        .filter(|t| t.project_name == current && t.state == TaskState::Published)
        .collect();
    assert_eq!(open.len(), 7);
    let ahead = open.iter().filter(|t| t.end_date > today).count();
    let overdue = open
        .iter()
        .filter(|t| t.end_date < today && t.end_date + chrono::Days::new(30) > today)
        .count();
    assert!(
        ahead >= 3 && overdue >= 2,
        "{ahead} ahead, {overdue} overdue"
    );
    assert!(open.iter().all(|t| t.instances == 98));

    // Status changes lie on many days of the past eight weeks, none in the
    // future, and "last changed" is not one minute.
    let now = chrono::Utc::now();
    let mut days = HashSet::new();
    let mut last_changed = HashSet::new();
    for t in &open {
        let page = s
            .list_instances(
                Scope::All,
                &InstanceFilter {
                    task_id: Some(t.id),
                    ..Default::default()
                },
                PageRequest::new(1, 200),
            )
            .await
            .unwrap();
        for row in page.items {
            let i = s.get_instance(Scope::All, row.id).await.unwrap().unwrap();
            last_changed.insert(i.instance.updated_at);
            for e in s
                .instance_history(Scope::All, row.id)
                .await
                .unwrap()
                .unwrap()
            {
                assert!(e.at < now, "no change in the future");
                assert!(e.at > now - chrono::Duration::days(57), "{}", e.at);
                days.insert(e.at.date_naive());
            }
        }
    }
    assert!(days.len() >= 20, "changes on {} days", days.len());
    assert!(
        last_changed.len() >= 50,
        "{} distinct times",
        last_changed.len()
    );

    // København's home (its first page, as `/` shows it) has work ahead
    // and work overdue in open tasks.
    let u = s.user_by_username("bruger-101").await.unwrap().unwrap();
    let home = s
        .list_instances(
            Scope::Member(u.user.member_id.unwrap()),
            &InstanceFilter::default(),
            PageRequest::new(1, udrul::web::home::PER_PAGE),
        )
        .await
        .unwrap();
    let unsettled_open: Vec<_> = home
        .items
        .iter()
        .filter(|r| r.task_state == TaskState::Published && !r.status.is_settled())
        .collect();
    assert!(
        unsettled_open.iter().any(|r| r.end_date > today),
        "upcoming work on the home page"
    );
    assert!(
        unsettled_open.iter().any(|r| r.end_date < today),
        "overdue work on the home page"
    );
}

/// Per task: the counts and the codes of the members not done.
async fn fingerprint(
    s: &dyn Store,
) -> BTreeMap<(String, String), (i64, i64, i64, i64, Vec<String>)> {
    let mut out = BTreeMap::new();
    for t in s.list_tasks(&TaskFilter::default()).await.unwrap() {
        if t.state == TaskState::Draft {
            continue;
        }
        let f = s.follow_up(t.id, &FollowUpFilter::default()).await.unwrap();
        let mut codes: Vec<String> = f.not_done.iter().map(|r| r.member_code.clone()).collect();
        codes.sort();
        let c = f.counts;
        out.insert(
            (t.project_name.clone(), t.code.clone()),
            (c.done, c.started, c.not_started, c.not_relevant, codes),
        );
    }
    out
}

#[tokio::test]
async fn the_demo_is_the_same_in_every_run() {
    let hash = hash();
    let (a, _da) = store().await;
    let (b, _db) = store().await;
    demo::seed(&*a, &hash).await.unwrap();
    demo::seed(&*b, &hash).await.unwrap();
    let fa = fingerprint(&*a).await;
    assert_eq!(fa.len(), 51);
    assert_eq!(fa, fingerprint(&*b).await);
    let ua = a.user_by_username("admin-851").await.unwrap().unwrap().user;
    let ub = b.user_by_username("admin-851").await.unwrap().unwrap().user;
    assert_eq!(ua.display_name, ub.display_name);
}

#[tokio::test]
async fn the_benchmark_seed_publishes_every_task_to_every_member() {
    let (s, _dir) = store().await;
    let summary = demo::seed_bench(&*s, &hash(), 5).await.unwrap();
    assert!(summary.seeded);
    assert_eq!((summary.tasks, summary.instances), (5, 5 * 98));
    let tasks = s.list_tasks(&TaskFilter::default()).await.unwrap();
    assert_eq!(tasks.len(), 5);
    assert!(
        tasks
            .iter()
            .all(|t| t.state == TaskState::Published && t.instances == 98)
    );
    let again = demo::seed_bench(&*s, &hash(), 5).await.unwrap();
    assert!(!again.seeded);
    assert_eq!(again.instances, 5 * 98);
}
