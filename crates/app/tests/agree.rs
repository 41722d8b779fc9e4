//! Property: what the list queries show and what the single-object checks
//! allow agree, for every actor and filter. A list that showed an instance
//! whose page then said 404 (or a page reachable that no list shows) would
//! mean two definitions of "whose data is this" — the seed of a tenant leak.
//!
//! The data: three members, tasks published, closed and withdrawn, with
//! varied statuses. The cases: any actor (each member's user, a central
//! user, a member role without a member) × any filter × any page.

mod common;

use std::collections::BTreeSet;

use common::TestApp;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use udrul_core::input::InstanceUpdate;
use udrul_core::{
    ExecutionStatus, InstanceFilter, InstanceId, MemberId, PageRequest, Scope, TaskId, TaskState,
};

#[derive(Debug, Clone)]
struct Case {
    /// 0..3: that member's scope; 3: all; 4: a member role without member.
    scope: usize,
    task: Option<usize>,
    member: Option<usize>,
    status: Option<ExecutionStatus>,
    open_only: bool,
    page: u32,
    per_page: u32,
}

fn cases() -> impl Strategy<Value = Case> {
    let status = prop_oneof![
        Just(None),
        Just(Some(ExecutionStatus::NotStarted)),
        Just(Some(ExecutionStatus::Started)),
        Just(Some(ExecutionStatus::Done)),
        Just(Some(ExecutionStatus::NotRelevant)),
    ];
    (
        0..5usize,
        proptest::option::of(0..4usize),
        proptest::option::of(0..3usize),
        status,
        any::<bool>(),
        1..4u32,
        1..8u32,
    )
        .prop_map(
            |(scope, task, member, status, open_only, page, per_page)| Case {
                scope,
                task,
                member,
                status,
                open_only,
                page,
                per_page,
            },
        )
}

struct World {
    tasks: Vec<TaskId>,
    /// Every instance: (id, member).
    instances: Vec<(InstanceId, MemberId, TaskState)>,
}

async fn world(app: &TestApp) -> World {
    let staff = app.actor(&app.fx.staff);
    let mut tasks = Vec::new();
    let mut instances = Vec::new();
    let states = [
        TaskState::Published,
        TaskState::Published,
        TaskState::Closed,
        TaskState::Withdrawn,
    ];
    for (i, state) in states.into_iter().enumerate() {
        let t = app.published(&format!("AGR {i}")).await;
        for m in 0..3 {
            let inst = app.instance_of(t.id, m).await;
            instances.push((inst.id, app.fx.members[m].id, state));
        }
        // Varied statuses before the task changes state.
        for (m, status) in [ExecutionStatus::Started, ExecutionStatus::Done]
            .into_iter()
            .enumerate()
        {
            let inst = app.instance_of(t.id, (m + i) % 3).await;
            let member = app.fx.members[(m + i) % 3].id;
            let update = InstanceUpdate {
                status: Some(status),
                ..Default::default()
            };
            app.store
                .update_instance(&staff, Scope::Member(member), inst.id, None, &update)
                .await
                .unwrap();
        }
        if state != TaskState::Published {
            app.store.set_task_state(&staff, t.id, state).await.unwrap();
        }
        tasks.push(t.id);
    }
    World { tasks, instances }
}

fn scope_of(app: &TestApp, i: usize) -> Scope {
    match i {
        0..3 => Scope::Member(app.fx.members[i].id),
        3 => Scope::All,
        _ => Scope::Member(MemberId(-1)),
    }
}

async fn check(app: &TestApp, w: &World, c: &Case) -> Result<(), TestCaseError> {
    let scope = scope_of(app, c.scope);
    let filter = InstanceFilter {
        task_id: c.task.map(|t| w.tasks[t]),
        member_id: c.member.map(|m| app.fx.members[m].id),
        status: c.status,
        open_only: c.open_only,
    };
    // 1. Everything a list page shows, the single-object check allows.
    let page = app
        .store
        .list_instances(scope, &filter, PageRequest::new(c.page, c.per_page))
        .await
        .unwrap();
    for row in &page.items {
        let one = app.store.get_instance(scope, row.id).await.unwrap();
        prop_assert!(one.is_some(), "listed but not readable: {:?}", row.id);
        let one = one.unwrap();
        prop_assert_eq!(one.instance.member_id, row.member_id);
        prop_assert!(scope.allows(row.member_id));
        prop_assert!(filter.member_id.is_none_or(|m| m == row.member_id));
        prop_assert!(filter.task_id.is_none_or(|t| t == row.task_id));
        prop_assert!(filter.status.is_none_or(|s| s == row.status));
    }
    // 2. Everything the single-object check allows, the unfiltered list
    //    shows, and nothing else; the history agrees with both.
    let all = app
        .store
        .list_instances(scope, &InstanceFilter::default(), PageRequest::new(1, 100))
        .await
        .unwrap();
    let listed: BTreeSet<i64> = all.items.iter().map(|r| r.id.0).collect();
    prop_assert_eq!(all.total as usize, listed.len());
    for (id, member, state) in &w.instances {
        let readable = app.store.get_instance(scope, *id).await.unwrap().is_some();
        let history = app
            .store
            .instance_history(scope, *id)
            .await
            .unwrap()
            .is_some();
        // Central scopes see every instance, withdrawn ones too; a member
        // sees its own of published and closed tasks.
        let expected = match scope {
            Scope::All => true,
            Scope::Member(m) => m == *member && state.visible_to_members(),
        };
        prop_assert_eq!(
            readable,
            expected,
            "{:?} of {:?} in {:?}",
            id,
            member,
            scope
        );
        prop_assert_eq!(history, readable);
        prop_assert_eq!(listed.contains(&id.0), readable);
    }
    Ok(())
}

async fn lists_and_single_checks_agree_for(app: TestApp) {
    let w = world(&app).await;
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let handle = tokio::runtime::Handle::current();
    let result = runner.run(&cases(), |c| {
        tokio::task::block_in_place(|| handle.block_on(check(&app, &w, &c)))
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
each_backend!(
    lists_and_single_checks_agree,
    lists_and_single_checks_agree_for
);
