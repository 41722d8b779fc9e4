use std::collections::HashSet;

use udrul_core::ExecutionStatus;

use super::data::{self, SeedAudience, SeedTask};
use super::rng::Rng;
use super::statuses::{self, Counts};
use super::{DRAFT_TASK_JSON, plan_task, role_names, status_date, text};

fn task(project: &str, code: &str) -> SeedTask {
    data::seed_tasks()
        .unwrap()
        .into_iter()
        .find(|t| t.project == project && t.code == code)
        .unwrap_or_else(|| panic!("no task {project} {code}"))
}

fn plan(t: &SeedTask) -> (Vec<data::Municipality>, super::Plan) {
    let ms = data::municipalities().unwrap();
    let codes: Vec<&str> = ms.iter().map(|m| m.code.as_str()).collect();
    let names: Vec<&str> = ms.iter().map(|m| m.name.as_str()).collect();
    let mut rng = Rng::from_key(&format!("statuses|{}|{}", t.project, t.code));
    let p = plan_task(t, &codes, &names, false, status_date(), &mut rng).unwrap();
    (ms, p)
}

#[test]
fn the_embedded_csv_has_98_members_with_unique_codes_in_5_regions() {
    let ms = data::municipalities().unwrap();
    assert_eq!(ms.len(), 98);
    let codes: HashSet<&str> = ms.iter().map(|m| m.code.as_str()).collect();
    assert_eq!(codes.len(), 98);
    let regions: HashSet<&str> = ms.iter().map(|m| m.region.as_str()).collect();
    assert_eq!(
        regions,
        HashSet::from([
            "Region Hovedstaden",
            "Region Sjælland",
            "Region Syddanmark",
            "Region Midtjylland",
            "Region Nordjylland"
        ])
    );
    assert!(
        ms.iter()
            .all(|m| !m.name.is_empty() && !m.network.is_empty())
    );
    for (code, name) in [("101", "København"), ("851", "Aalborg")] {
        assert!(ms.iter().any(|m| m.code == code && m.name == name));
    }
}

#[test]
fn the_embedded_json_has_44_valid_tasks() {
    let tasks = data::seed_tasks().unwrap();
    assert_eq!(tasks.len(), 44);
    for t in &tasks {
        assert!(
            udrul_core::TaskType::parse(&t.task_type).is_some(),
            "{}",
            t.code
        );
        assert!(!t.target_roles.is_empty(), "{}", t.code);
        if let Some(s) = t.start {
            assert!(s <= t.original_end(), "{}", t.code);
        }
        let guidance = text::guidance(t, udrul_core::TaskType::parse(&t.task_type).unwrap(), &[]);
        assert!(guidance.len() < udrul_core::input::MAX_GUIDANCE);
        assert!(guidance.starts_with("## "));
    }
    let gates = tasks
        .iter()
        .filter(|t| matches!(t.audience, SeedAudience::Gate { .. }))
        .count();
    assert_eq!(gates, 1);
    let draft: SeedTask = serde_json::from_str(DRAFT_TASK_JSON).unwrap();
    assert!(draft.end > draft.start.unwrap());
}

#[test]
fn every_task_has_its_own_danish_steps() {
    let draft: SeedTask = serde_json::from_str(DRAFT_TASK_JSON).unwrap();
    for t in data::seed_tasks().unwrap().iter().chain([&draft]) {
        assert!(
            text::has_own_steps(&t.project, &t.code),
            "{} {}",
            t.project,
            t.code
        );
    }
}

#[test]
fn every_task_is_a_valid_task_input() {
    let tasks = data::seed_tasks().unwrap();
    for t in &tasks {
        let g = text::guidance(t, udrul_core::TaskType::parse(&t.task_type).unwrap(), &[]);
        super::task_input(t, udrul_core::ProjectId(1), &g, t.original_end()).unwrap();
    }
}

#[test]
fn roles_cover_targets_and_domain_without_near_duplicates() {
    let tasks = data::seed_tasks().unwrap();
    let targets: Vec<&str> = tasks
        .iter()
        .flat_map(|t| t.target_roles.iter().map(String::as_str))
        .collect();
    let roles = role_names(&targets);
    for t in &targets {
        assert!(roles.iter().any(|r| r == t));
    }
    for r in [
        "Systemansvarlig",
        "Faglig leder",
        "KLIK-administrator",
        "FK ORG-administrator",
    ] {
        assert!(roles.iter().any(|x| x == r), "{r}");
    }
    assert!(!roles.iter().any(|x| x == "FK ORG administrator"));
}

#[test]
fn id_31_reproduces_the_deck_exactly() {
    let (_, p) = plan(&task("Fælleskommunal infrastruktur", "ID 31"));
    let c = Counts::of(&p.statuses);
    assert_eq!(
        (c.done, c.started, c.not_started, c.not_relevant),
        (82, 10, 6, 0)
    );
}

#[test]
fn a_deck_counting_99_loses_one_from_the_largest_group_not_done_and_says_so() {
    let (_, p) = plan(&task("ØiR", "03"));
    let c = Counts::of(&p.statuses);
    assert_eq!((c.done, c.started, c.not_started), (76, 3, 19));
    assert!(p.notes[0].contains("i alt 99"), "{:?}", p.notes);
    assert!(p.notes[0].contains("76/3/19"));
    let (_, p) = plan(&task("ØiR", "04"));
    let c = Counts::of(&p.statuses);
    assert_eq!((c.done, c.started, c.not_started), (7, 35, 56));
    assert!(p.notes[0].contains("7/35/56"));
}

#[test]
fn fit_observed_keeps_exact_figures_and_fills_short_ones() {
    assert_eq!(
        statuses::fit_observed(82, 10, 6, 98),
        Counts {
            done: 82,
            started: 10,
            not_started: 6,
            not_relevant: 0
        }
    );
    assert_eq!(statuses::fit_observed(10, 5, 0, 20).not_started, 5);
    assert_eq!(statuses::fit_observed(5, 50, 45, 98).started, 48);
}

#[test]
fn flis_misses_exactly_broendby_norddjurs_and_faxe() {
    let (ms, p) = plan(&task("FLIS", "FLIS AftaleID"));
    let missing: HashSet<&str> = ms
        .iter()
        .zip(&p.statuses)
        .filter(|(_, s)| **s != ExecutionStatus::Done)
        .map(|(m, _)| m.name.as_str())
        .collect();
    assert_eq!(missing, HashSet::from(["Brøndby", "Norddjurs", "Faxe"]));
    let c = Counts::of(&p.statuses);
    assert_eq!((c.done, c.started, c.not_started), (95, 1, 2));
    assert!(p.notes[0].contains("Brøndby, Norddjurs og Faxe"));
}

#[test]
fn an_unknown_missing_member_is_an_error() {
    let mut rng = Rng::new(1);
    assert!(statuses::assign_missing(&["Aarhus"], &["Atlantis".to_string()], &mut rng).is_err());
}

#[test]
fn assignment_gives_exact_counts_deterministically_and_not_alphabetically() {
    let ms = data::municipalities().unwrap();
    let codes: Vec<&str> = ms.iter().map(|m| m.code.as_str()).collect();
    let counts = Counts {
        done: 50,
        started: 20,
        not_started: 20,
        not_relevant: 8,
    };
    let a = statuses::assign(&codes, counts, &mut Rng::from_key("x")).unwrap();
    let b = statuses::assign(&codes, counts, &mut Rng::from_key("x")).unwrap();
    assert_eq!(a, b);
    assert_eq!(Counts::of(&a), counts);
    let first_50_done = a[..50].iter().all(|s| *s == ExecutionStatus::Done);
    assert!(!first_50_done, "not simply in file order");
    let other = statuses::assign(&codes, counts, &mut Rng::from_key("y")).unwrap();
    assert_ne!(a, other, "another task, another spread");
    assert!(statuses::assign(&codes[..3], counts, &mut Rng::new(0)).is_err());
}

#[test]
fn profiles_add_up_and_follow_the_calendar() {
    let mut rng = Rng::new(7);
    for days in [-400, -30, 0, 45, 200, 800] {
        for optional in [false, true] {
            let c = statuses::profile(98, days, false, optional, &mut rng);
            assert_eq!(c.total(), 98);
            assert_eq!(c.not_relevant > 0, optional);
        }
    }
    let long_past = statuses::profile(98, 800, false, false, &mut rng);
    assert!(long_past.done >= 90);
    let future = statuses::profile(98, -200, false, false, &mut rng);
    assert!(future.done <= 12);
    let not_begun = statuses::profile(98, -200, true, false, &mut rng);
    assert_eq!(not_begun.done, 0);
    let gate = statuses::gate_profile(98, &mut rng);
    assert_eq!(gate.total(), 98);
    assert!(gate.done > 10 && gate.not_relevant > gate.done);
}

#[test]
fn every_seed_task_gets_a_plan_for_all_members() {
    for t in data::seed_tasks().unwrap() {
        let (ms, p) = plan(&t);
        assert_eq!(p.statuses.len(), ms.len(), "{}", t.code);
    }
}

#[test]
fn generated_people_are_distinct_and_stable() {
    let mut a = super::people::NameGenerator::new("k");
    let mut b = super::people::NameGenerator::new("k");
    let names: Vec<String> = (0..600).map(|_| a.next_name()).collect();
    let again: Vec<String> = (0..600).map(|_| b.next_name()).collect();
    assert_eq!(names, again);
    assert_eq!(names.iter().collect::<HashSet<_>>().len(), 600);
    assert_eq!(
        super::people::demo_email("admin-101"),
        "admin-101@demo.udrul.invalid"
    );
}

#[test]
fn danish_dates_and_lists() {
    assert_eq!(
        text::danish_date(super::date(2022, 10, 5)),
        "5. oktober 2022"
    );
    assert_eq!(
        super::join_danish(&["A".into(), "B".into(), "C".into()]),
        "A, B og C"
    );
}

#[test]
fn splitmix64_matches_the_reference_sequence() {
    // First outputs of SplitMix64 seeded with 0 (reference implementation).
    let mut r = Rng::new(0);
    assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
    assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
}

#[test]
fn current_history_has_a_change_per_step_within_the_tasks_run_in_time_order() {
    use super::current::{self, HISTORY_DAYS};
    let today = super::date(2026, 12, 4);
    let statuses = [
        ExecutionStatus::Done,
        ExecutionStatus::Started,
        ExecutionStatus::NotStarted,
        ExecutionStatus::NotRelevant,
    ]
    .repeat(20);
    for start in [-90, -21, -3] {
        let mut rng = Rng::from_key("history");
        let h = current::history(&statuses, today, start, &mut rng);
        // Done: started, then done; started and not relevant: one change;
        // not started: none.
        assert_eq!(h.len(), 20 * 4);
        assert!(h.windows(2).all(|w| w[0].at <= w[1].at), "in time order");
        let earliest = super::shift(today, -(-start).clamp(2, HISTORY_DAYS));
        for c in &h {
            let d = c.at.date_naive();
            assert!(d >= earliest && d < today, "{d} for start {start}");
            assert_ne!(statuses[c.member], ExecutionStatus::NotStarted);
        }
        for m in (0..statuses.len()).step_by(4) {
            let mine: Vec<_> = h.iter().filter(|c| c.member == m).collect();
            assert_eq!(
                mine.iter().map(|c| c.status).collect::<Vec<_>>(),
                [ExecutionStatus::Started, ExecutionStatus::Done]
            );
            assert!(mine[0].at < mine[1].at);
        }
        let days: HashSet<_> = h.iter().map(|c| c.at.date_naive()).collect();
        assert!(days.len() > 1, "spread over days");
        // The same today and key give the same history.
        let again = current::history(&statuses, today, start, &mut Rng::from_key("history"));
        assert_eq!(h, again);
    }
}

#[test]
fn current_tasks_are_valid_and_cover_ahead_overdue_and_draft() {
    use super::current::TASKS;
    assert!(TASKS.iter().any(|t| !t.draft && t.end > 0));
    assert!(TASKS.iter().any(|t| !t.draft && t.end < 0 && t.end > -30));
    assert!(TASKS.iter().any(|t| t.draft && t.start > 0));
    for t in TASKS {
        assert!(t.start < t.end, "{}", t.code);
        assert!(!t.draft || t.start > 0, "a draft lies ahead");
        assert!(
            udrul_core::TaskType::parse(t.task_type).is_some(),
            "{}",
            t.code
        );
    }
}
