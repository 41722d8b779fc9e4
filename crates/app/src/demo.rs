//! Demo and benchmark data.
//!
//! `seed` fills an empty store with the portal the seed decks describe: the
//! 98 municipalities, the role catalogue, made-up people to log in as, the
//! projects and the 44 tasks of `data/seed-tasks.json`, published, with
//! execution statuses spread so that the follow-up pages show the decks'
//! figures. `seed_bench` fills an empty store with the same members and users
//! and many generated tasks, for the load benchmark.
//!
//! Everything is deterministic (a seeded SplitMix64, see `rng`): two runs
//! give the same data, apart from ids and timestamps. The data files are
//! embedded in the binary; nothing is read at run time.
//!
//! Seeding is not one transaction: it stops at the first error, and since a
//! store with users is never seeded again, a failed seeding is undone by
//! deleting the demo database.

mod current;
mod data;
mod people;
mod rng;
mod statuses;
#[cfg(test)]
mod tests;
mod text;

use std::collections::{HashMap, HashSet};
use std::fmt;

use anyhow::{Context, bail, ensure};
use chrono::{Days, NaiveDate};
use udrul_core::gallery::ChangeSource;
use udrul_core::input::{Audience, EndDateChange, ProjectInput, RawTask, TaskInput};
use udrul_core::store::{NewMember, NewUser, SeedStatus};
use udrul_core::{
    AccessRole, Actor, ExecutionStatus, Member, ProjectId, Store, TaskState, TaskType,
};

pub use data::{Municipality, municipalities};
use data::{SeedAudience, SeedTask};
use people::NameGenerator;
use rng::Rng;
use statuses::Counts;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "udrul-demo";

/// Execution statuses are shown as they stood at the programledermøde of
/// June 2025, the meeting after the last deck (which lists the tasks then
/// current or coming); the figures a deck reports are shown as of its date.
fn status_date() -> NaiveDate {
    date(2025, 6, 18)
}

/// The "today" around which benchmark tasks' dates are spread; fixed so the
/// benchmark data is the same in every run.
fn bench_date() -> NaiveDate {
    date(2026, 11, 22)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

/// Member roles the domain names besides the tasks' target roles. A name
/// that differs from a target role only in case or hyphens ("FK ORG
/// administrator" / "FK ORG-administrator") is not added twice.
const DOMAIN_ROLES: &[&str] = &[
    "KOMBIT-programleder",
    "KLIK-administrator",
    "Infrastrukturansvarlig",
    "Systemansvarlig",
    "ESDH-ansvarlig",
    "Faglig leder",
    "FK ORG administrator",
];

/// The extra task left as a draft, so the draft state can be seen.
const DRAFT_TASK_JSON: &str = r#"{
  "project": "KLIK 2.0",
  "code": "KLIK 10",
  "title": "Evaluer arbejdsgangene for rollegalleriet og kontaktlisterne i KLIK",
  "type": "obligatorisk",
  "start": "2027-01-04",
  "end": "2027-01-29",
  "phase": "Forankring",
  "track": "Kommunalt implementeringsforløb KLIK 2.0",
  "target_roles": ["KLIK-administrator", "KOMBIT-programleder"],
  "audience": "all"
}"#;

/// How many members the task published "to a list" goes to.
const LIST_AUDIENCE: usize = 12;

/// An account to try the demo with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLogin {
    pub username: String,
    /// What the account is, in English.
    pub role: String,
    /// The member's name, or "central".
    pub member: String,
}

/// What seeding did, and what the CLI prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    /// False when the store already had users and nothing was added; the
    /// counts then describe what the store holds.
    pub seeded: bool,
    pub members: usize,
    pub users: i64,
    pub projects: usize,
    pub tasks: usize,
    pub published_tasks: usize,
    /// Of the published tasks, those closed (the decks' finished ones).
    pub closed_tasks: usize,
    pub instances: i64,
    /// Demo accounts that exist in the store (all demo accounts share
    /// `DEMO_PASSWORD`).
    pub logins: Vec<DemoLogin>,
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.seeded {
            writeln!(
                f,
                "Demo data added: {} members, {} users, {} projects, {} tasks ({} published, of which {} closed; {} draft), {} task instances.",
                self.members,
                self.users,
                self.projects,
                self.tasks,
                self.published_tasks,
                self.closed_tasks,
                self.tasks - self.published_tasks,
                self.instances
            )?;
        } else {
            writeln!(
                f,
                "The database already has users, so no demo data was added. It holds {} members, {} users, {} tasks and {} task instances.",
                self.members, self.users, self.tasks, self.instances
            )?;
        }
        if self.logins.is_empty() {
            return writeln!(f, "It has none of the demo logins.");
        }
        writeln!(f, "Demo logins (password: {DEMO_PASSWORD}):")?;
        let width = self
            .logins
            .iter()
            .map(|l| l.username.len())
            .max()
            .unwrap_or(0);
        let role_width = self.logins.iter().map(|l| l.role.len()).max().unwrap_or(0);
        for l in &self.logins {
            writeln!(
                f,
                "  {:width$}  {:role_width$}  {}",
                l.username, l.role, l.member
            )?;
        }
        write!(
            f,
            "Every member has a member user bruger-<code> and a member administrator admin-<code>."
        )
    }
}

/// The demo accounts the summary names: (username, role, member code or
/// `None` for central).
const LOGINS: &[(&str, &str, Option<&str>)] = &[
    ("admin", "central administrator", None),
    (
        "konsulent",
        "central project staff (implementation consultant)",
        None,
    ),
    ("bruger-101", "member user", Some("101")),
    ("admin-101", "member administrator", Some("101")),
    ("bruger-851", "member user", Some("851")),
    (
        "revisor",
        "auditor (reads everything, changes nothing)",
        None,
    ),
];

/// Fills an empty store (no users) with the demo; on a store with users it
/// adds nothing and says so.
pub async fn seed(store: &dyn Store, password_hash: &str) -> anyhow::Result<DemoSummary> {
    if store.count_users().await? != 0 {
        return existing_summary(store).await;
    }
    let tasks = data::seed_tasks()?;
    let draft: SeedTask = serde_json::from_str(DRAFT_TASK_JSON).context("the demo draft task")?;
    let mut target_roles: Vec<&str> = tasks
        .iter()
        .chain(std::iter::once(&draft))
        .flat_map(|t| t.target_roles.iter().map(String::as_str))
        .collect();
    for r in current::target_roles() {
        target_roles.push(r);
    }
    let base = seed_base(store, password_hash, &target_roles).await?;
    let today = udrul_core::calendar::today();
    seed_gallery(store, &base).await?;

    let mut project_ids: HashMap<String, ProjectId> = HashMap::new();
    for t in tasks.iter().chain(std::iter::once(&draft)) {
        if !project_ids.contains_key(&t.project) {
            let input = ProjectInput::parse(&t.project, &text::project_description(&t.project))
                .map_err(|e| anyhow::anyhow!("project {}: {e}", t.project))?;
            let p = store
                .create_project(&Actor::system(), input)
                .await
                .with_context(|| format!("project {}", t.project))?;
            store
                .set_project_staff(&Actor::system(), p.id, base.konsulent.user_id, true)
                .await?;
            project_ids.insert(t.project.clone(), p.id);
        }
    }

    // Tasks whose answers decide another task's audience (FK OSS G1).
    let gates: HashSet<(String, String)> = tasks
        .iter()
        .filter_map(|t| match &t.audience {
            SeedAudience::Gate { gate, .. } => Some((t.project.clone(), gate.clone())),
            SeedAudience::Named(_) => None,
        })
        .collect();
    let codes: Vec<&str> = base.members.iter().map(|m| m.code.as_str()).collect();
    let mut done_by_task: HashMap<(String, String), Vec<usize>> = HashMap::new();
    let mut instances = 0;
    let mut closed = 0;
    for t in &tasks {
        let key = (t.project.clone(), t.code.clone());
        let task_type = TaskType::parse(&t.task_type)
            .with_context(|| format!("task {}: unknown type {}", t.code, t.task_type))?;
        let (audience, mut notes) = match &t.audience {
            SeedAudience::Named(a) if a == "all" => ((0..codes.len()).collect(), Vec::new()),
            SeedAudience::Named(a) if a == "list" => {
                let list = list_selection(
                    &codes,
                    &format!("audience|{}|{}", t.project, t.code),
                    LIST_AUDIENCE,
                );
                let note = format!(
                    "Opgaven er her publiceret til en liste med {} kommuner, udvalgt til demoen.",
                    list.len()
                );
                (list, vec![note])
            }
            SeedAudience::Gate { gate, answer } => {
                ensure!(
                    answer == "yes",
                    "task {}: only gate answer \"yes\" is supported",
                    t.code
                );
                let yes = done_by_task
                    .get(&(t.project.clone(), gate.clone()))
                    .with_context(|| format!("task {}: gate {gate} must come before it", t.code))?
                    .clone();
                let note = format!(
                    "Porte (go/no go) og svar kommer i en senere version af Udrul. Her er opgaven publiceret til de {} kommuner, hvis {gate}-opgave står som fuldført (= svaret ja).",
                    yes.len()
                );
                (yes, vec![note])
            }
            SeedAudience::Named(other) => bail!("task {}: unknown audience {other}", t.code),
        };
        let is_gate = gates.contains(&key);
        let audience_codes: Vec<&str> = audience.iter().map(|&i| codes[i]).collect();
        let audience_names: Vec<&str> = audience
            .iter()
            .map(|&i| base.members[i].name.as_str())
            .collect();
        let mut rng = Rng::from_key(&format!("statuses|{}|{}", t.project, t.code));
        let plan = plan_task(
            t,
            &audience_codes,
            &audience_names,
            is_gate,
            status_date(),
            &mut rng,
        )?;
        notes.extend(plan.notes);
        if t.publication.as_deref() == Some("ikke publiceret") {
            let deck = text::deck_name(t.source.as_deref()).unwrap_or("diasset");
            notes.push(format!(
                "På {deck} var opgaven endnu ikke publiceret; i demoen, der viser status pr. {}, er den publiceret.",
                text::danish_date(status_date())
            ));
        }

        let guidance = text::guidance(t, task_type, &notes);
        let task = store
            .create_task(
                &base.konsulent,
                task_input(t, project_ids[&t.project], &guidance, t.original_end())?,
            )
            .await
            .with_context(|| format!("creating task {} {}", t.project, t.code))?;
        let members = audience.iter().map(|&i| base.members[i].id).collect();
        let target = if matches!(&t.audience, SeedAudience::Named(a) if a == "all") {
            Audience::All
        } else {
            Audience::Selection {
                members,
                regions: Vec::new(),
                networks: Vec::new(),
            }
        };
        let published = store
            .publish_task(&base.konsulent, task.id, &target)
            .await
            .with_context(|| format!("publishing task {} {}", t.project, t.code))?;
        ensure!(
            published.instances as usize == audience.len(),
            "task {}: published to {} members, expected {}",
            t.code,
            published.instances,
            audience.len()
        );
        instances += published.instances;
        // The end-date changes are recorded as the consultant's own, after
        // publishing, as they happened: the task went out with its first end
        // date, which was later moved with a reason. `change_end_date` shows
        // who moved it in the history, like the decks ("slutdato ændres fra
        // 2/4 til 30/4"); `import_end_date_change` would show no one.
        for h in &t.end_history {
            let reason = h
                .reason
                .as_deref()
                .filter(|r| !r.trim().is_empty())
                .unwrap_or("Slutdatoen er rykket; årsagen fremgår ikke af mødematerialet.");
            let change = EndDateChange::parse(&h.to.to_string(), reason)
                .map_err(|e| anyhow::anyhow!("task {}: end date change: {e}", t.code))?;
            store
                .change_end_date(&base.konsulent, task.id, &change)
                .await
                .with_context(|| format!("changing the end date of task {}", t.code))?;
        }

        let mut people_rng = Rng::from_key(&format!("people|{}|{}", t.project, t.code));
        let seeds: Vec<SeedStatus> = audience
            .iter()
            .zip(&plan.statuses)
            .filter_map(|(&i, &status)| {
                seed_status(&base, i, status, &mut people_rng, |pick| {
                    text::not_relevant_reason(t, is_gate, pick)
                })
            })
            .collect();
        // Dated as the figures are: the deck's date, else the status date.
        let as_of = t
            .observed_status
            .as_ref()
            .map_or(status_date(), |o| o.as_of);
        store
            .seed_statuses_at(&base.konsulent, task.id, &seeds, noon(as_of))
            .await
            .with_context(|| format!("statuses of task {}", t.code))?;
        // A task whose end date is long past is closed history; its figures
        // stay as they were.
        if shift(t.end, CLOSE_AFTER_DAYS) < today {
            store
                .set_task_state(&base.konsulent, task.id, TaskState::Closed)
                .await
                .with_context(|| format!("closing task {}", t.code))?;
            closed += 1;
        }
        let done = audience
            .iter()
            .zip(&plan.statuses)
            .filter(|(_, s)| **s == ExecutionStatus::Done)
            .map(|(&i, _)| i)
            .collect();
        done_by_task.insert(key, done);
    }

    let current = seed_current(store, &base, today).await?;
    instances += current.instances;

    // One more draft of the decks' programme, dated in the coming weeks.
    let mut draft = draft;
    draft.start = Some(shift(today, 33));
    draft.end = shift(today, 58);
    let task_type = TaskType::parse(&draft.task_type).context("draft task type")?;
    let notes = vec![
        "Opgaven er en kladde: den er endnu ikke publiceret, og kommunerne kan ikke se den."
            .to_string(),
    ];
    let guidance = text::guidance(&draft, task_type, &notes);
    store
        .create_task(
            &base.konsulent,
            task_input(&draft, project_ids[&draft.project], &guidance, draft.end)?,
        )
        .await
        .context("creating the draft task")?;

    Ok(DemoSummary {
        seeded: true,
        members: base.members.len(),
        users: base.users,
        projects: project_ids.len() + 1,
        tasks: tasks.len() + 1 + current.tasks,
        published_tasks: tasks.len() + current.published,
        closed_tasks: closed,
        instances,
        logins: base.logins,
    })
}

/// Deck tasks whose end date is this many days before the day of seeding
/// are closed.
const CLOSE_AFTER_DAYS: i64 = 60;

/// Noon UTC of a day, the time deck figures are dated at.
fn noon(d: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    d.and_hms_opt(12, 0, 0).expect("a valid time").and_utc()
}

struct CurrentSummary {
    tasks: usize,
    published: usize,
    instances: i64,
}

/// The current programme (`current`): its project, its tasks dated from
/// `today`, published to every member with statuses that changed over the
/// past weeks.
async fn seed_current(
    store: &dyn Store,
    base: &Base,
    today: NaiveDate,
) -> anyhow::Result<CurrentSummary> {
    let input = ProjectInput::parse(current::PROJECT, current::PROJECT_DESCRIPTION)
        .map_err(|e| anyhow::anyhow!("project {}: {e}", current::PROJECT))?;
    let project = store.create_project(&Actor::system(), input).await?;
    store
        .set_project_staff(&Actor::system(), project.id, base.konsulent.user_id, true)
        .await?;
    let codes: Vec<&str> = base.members.iter().map(|m| m.code.as_str()).collect();
    let mut out = CurrentSummary {
        tasks: 0,
        published: 0,
        instances: 0,
    };
    for c in current::TASKS {
        let t = SeedTask {
            project: current::PROJECT.to_string(),
            code: c.code.to_string(),
            title: c.title.to_string(),
            task_type: c.task_type.to_string(),
            start: Some(shift(today, c.start)),
            end: shift(today, c.end),
            target_roles: vec![c.target_role.to_string()],
            track: None,
            phase: Some(c.phase.to_string()),
            purpose: None,
            end_history: Vec::new(),
            observed_status: None,
            audience: SeedAudience::Named("all".into()),
            answer_form: Vec::new(),
            subitems: Vec::new(),
            subitem_statuses: Vec::new(),
            publication: None,
            source: None,
        };
        let task_type = TaskType::parse(c.task_type)
            .with_context(|| format!("task {}: unknown type {}", c.code, c.task_type))?;
        let note = if c.draft {
            "Opgaven er en kladde: den er endnu ikke publiceret, og kommunerne kan ikke se den."
                .to_string()
        } else {
            "Opgaven og dens udførelsesstatus er opdigtet til demoen; datoerne regnes fra den dag, demoen blev oprettet."
                .to_string()
        };
        let guidance = text::guidance(&t, task_type, &[note]);
        let task = store
            .create_task(
                &base.konsulent,
                task_input(&t, project.id, &guidance, t.end)?,
            )
            .await
            .with_context(|| format!("creating task {}", c.code))?;
        out.tasks += 1;
        if c.draft {
            continue;
        }
        let published = store
            .publish_task(&base.konsulent, task.id, &Audience::All)
            .await
            .with_context(|| format!("publishing task {}", c.code))?;
        out.published += 1;
        out.instances += published.instances;

        let mut rng = Rng::from_key(&format!("current|{}", c.code));
        let counts = statuses::profile(
            codes.len(),
            -c.end,
            false,
            task_type == TaskType::Optional,
            &mut rng,
        );
        let plan = statuses::assign(&codes, counts, &mut rng)?;
        // Each member's responsible and doer, decided once for all its
        // changes.
        let mut people_rng = Rng::from_key(&format!("current people|{}", c.code));
        let finals: Vec<Option<SeedStatus>> = plan
            .iter()
            .enumerate()
            .map(|(m, &status)| {
                seed_status(base, m, status, &mut people_rng, |pick| {
                    text::not_relevant_reason(&t, false, pick)
                })
            })
            .collect();
        let changes = current::history(&plan, today, c.start, &mut rng);
        // Written in time order, one call per moment.
        let mut k = 0;
        while k < changes.len() {
            let at = changes[k].at;
            let mut batch = Vec::new();
            while k < changes.len() && changes[k].at == at {
                let ch = changes[k];
                if let Some(f) = &finals[ch.member] {
                    let mut s = f.clone();
                    s.status = ch.status;
                    if ch.status == ExecutionStatus::Started
                        && plan[ch.member] == ExecutionStatus::Done
                    {
                        // The doer is named when the work is done.
                        s.doer = String::new();
                    }
                    batch.push(s);
                }
                k += 1;
            }
            store
                .seed_statuses_at(&base.konsulent, task.id, &batch, at)
                .await
                .with_context(|| format!("statuses of task {}", c.code))?;
        }
    }
    Ok(out)
}

/// Fills an empty store (no users) with the demo's members, roles and users
/// and `tasks_per_member` generated tasks, each published to every member
/// with a spread of statuses (98 members × 2,000 tasks = 196,000 instances).
/// On a store with users it adds nothing.
pub async fn seed_bench(
    store: &dyn Store,
    password_hash: &str,
    tasks_per_member: usize,
) -> anyhow::Result<DemoSummary> {
    if store.count_users().await? != 0 {
        return existing_summary(store).await;
    }
    let seed_tasks = data::seed_tasks()?;
    let target_roles: Vec<&str> = seed_tasks
        .iter()
        .flat_map(|t| t.target_roles.iter().map(String::as_str))
        .collect();
    let base = seed_base(store, password_hash, &target_roles).await?;
    let roles: Vec<String> = store
        .list_roles()
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect();
    ensure!(!roles.is_empty(), "no roles to target");

    let mut projects = Vec::new();
    for t in &seed_tasks {
        if !projects.iter().any(|(name, _)| name == &t.project) {
            let input = ProjectInput::parse(&t.project, &text::project_description(&t.project))
                .map_err(|e| anyhow::anyhow!("project {}: {e}", t.project))?;
            let p = store.create_project(&Actor::system(), input).await?;
            store
                .set_project_staff(&Actor::system(), p.id, base.konsulent.user_id, true)
                .await?;
            projects.push((t.project.clone(), p.id));
        }
    }

    const TITLES: &[&str] = &[
        "Godkend serviceaftaler og aktivér ruten",
        "Tegn abonnement på sortimentet",
        "Opret og underskriv dataudvekslingsaftale",
        "Tildel roller til kommunens brugere",
        "Kontrollér organisationsenheder og brugere",
        "Map nye ydelsesarter i økonomisystemet",
        "Udpeg ansvarlig for implementeringen",
        "Verificér korrekt bogføring",
        "Planlæg og allokér ressourcer",
        "Opsæt organisation i FK-Org",
    ];
    let codes: Vec<&str> = base.members.iter().map(|m| m.code.as_str()).collect();
    let today = bench_date();
    let mut rng = Rng::from_key("bench");
    let mut instances = 0;
    for i in 0..tasks_per_member {
        let (project, project_id) = &projects[i % projects.len()];
        let r = rng.unit();
        let task_type = if r < 0.1 {
            TaskType::CriticalPath
        } else if r < 0.2 {
            TaskType::Optional
        } else {
            TaskType::Mandatory
        };
        let end = shift(today, rng.range(-540, 180));
        let start = shift(end, -rng.range(14, 90));
        let title = format!("{} ({})", rng.pick(TITLES), i + 1);
        let role = rng.pick(&roles).clone();
        let t = SeedTask {
            project: project.clone(),
            code: format!("BENCH {:04}", i + 1),
            title,
            task_type: task_type.as_str().to_string(),
            start: Some(start),
            end,
            target_roles: vec![role],
            track: None,
            phase: None,
            purpose: None,
            end_history: Vec::new(),
            observed_status: None,
            audience: SeedAudience::Named("all".into()),
            answer_form: Vec::new(),
            subitems: Vec::new(),
            subitem_statuses: Vec::new(),
            publication: None,
            source: None,
        };
        let guidance = text::guidance(&t, task_type, &[]);
        let task = store
            .create_task(
                &base.konsulent,
                task_input(&t, *project_id, &guidance, end)?,
            )
            .await
            .with_context(|| format!("creating {}", t.code))?;
        let published = store
            .publish_task(&base.konsulent, task.id, &Audience::All)
            .await?;
        instances += published.instances;
        let days_past = (today - end).num_days();
        let counts = statuses::profile(
            codes.len(),
            days_past,
            start > today,
            task_type == TaskType::Optional,
            &mut rng,
        );
        let plan = statuses::assign(&codes, counts, &mut rng)?;
        let seeds: Vec<SeedStatus> = plan
            .iter()
            .enumerate()
            .filter_map(|(m, &status)| {
                seed_status(&base, m, status, &mut rng, |pick| {
                    text::not_relevant_reason(&t, false, pick)
                })
            })
            .collect();
        store
            .seed_statuses(&base.konsulent, task.id, &seeds)
            .await?;
    }

    Ok(DemoSummary {
        seeded: true,
        members: base.members.len(),
        users: base.users,
        projects: projects.len(),
        tasks: tasks_per_member,
        published_tasks: tasks_per_member,
        closed_tasks: 0,
        instances,
        logins: base.logins,
    })
}

fn shift(d: NaiveDate, days: i64) -> NaiveDate {
    let n = Days::new(days.unsigned_abs());
    if days >= 0 {
        d.checked_add_days(n).expect("date in range")
    } else {
        d.checked_sub_days(n).expect("date in range")
    }
}

/// What `seed` and `seed_bench` share: members, roles and users.
struct Base {
    members: Vec<Member>,
    /// Made-up people of each member (aligned with `members`), named as
    /// responsible and doer.
    staff: Vec<Vec<String>>,
    konsulent: Actor,
    users: i64,
    logins: Vec<DemoLogin>,
}

async fn seed_base(
    store: &dyn Store,
    password_hash: &str,
    target_roles: &[&str],
) -> anyhow::Result<Base> {
    let municipalities = data::municipalities()?;
    let mut members = Vec::with_capacity(municipalities.len());
    for m in &municipalities {
        let member = store
            .upsert_member(NewMember {
                code: m.code.clone(),
                name: m.name.clone(),
                region: m.region.clone(),
                network: m.network.clone(),
            })
            .await
            .with_context(|| format!("member {} {}", m.code, m.name))?;
        members.push(member);
    }

    for role in role_names(target_roles) {
        store
            .ensure_role(&role)
            .await
            .with_context(|| format!("role {role}"))?;
    }

    let mut names = NameGenerator::new("demo people");
    let mut users = 0;
    let admin_name = format!("{} (central administrator)", names.next_name());
    create_user(
        store,
        password_hash,
        "admin",
        &admin_name,
        AccessRole::CentralAdmin,
        None,
    )
    .await?;
    users += 1;
    let konsulent_name = names.next_name();
    let konsulent = create_user(
        store,
        password_hash,
        "konsulent",
        &konsulent_name,
        AccessRole::CentralStaff,
        None,
    )
    .await?;
    users += 1;
    let revisor_name = format!("{} (revisor)", names.next_name());
    create_user(
        store,
        password_hash,
        "revisor",
        &revisor_name,
        AccessRole::Auditor,
        None,
    )
    .await?;
    users += 1;
    // A robot of København, clearly named as one, for trying robot tokens
    // (a member administrator makes its tokens); it has no password.
    if let Some(kbh) = members.iter().find(|m| m.code == "101") {
        create_user(
            store,
            "",
            "robot-101",
            "Statusrobot (RPA), København",
            AccessRole::Robot,
            Some(kbh),
        )
        .await?;
        users += 1;
    }
    let konsulent = Actor::person(
        konsulent.id,
        konsulent.display_name,
        AccessRole::CentralStaff,
        None,
    );

    let mut staff = Vec::with_capacity(members.len());
    for m in &members {
        let user_name = names.next_name();
        let admin_name = names.next_name();
        for (username, name, role) in [
            (
                format!("bruger-{}", m.code),
                &user_name,
                AccessRole::MemberUser,
            ),
            (
                format!("admin-{}", m.code),
                &admin_name,
                AccessRole::MemberAdmin,
            ),
        ] {
            create_user(store, password_hash, &username, name, role, Some(m)).await?;
            users += 1;
        }
        staff.push(vec![
            user_name,
            admin_name,
            names.next_name(),
            names.next_name(),
        ]);
    }

    let logins = LOGINS
        .iter()
        .map(|&(username, role, code)| DemoLogin {
            username: username.to_string(),
            role: role.to_string(),
            member: member_label(&members, code),
        })
        .collect();
    Ok(Base {
        members,
        staff,
        konsulent,
        users,
        logins,
    })
}

fn member_label(members: &[Member], code: Option<&str>) -> String {
    match code {
        None => "central".to_string(),
        Some(code) => members
            .iter()
            .find(|m| m.code == code)
            .map_or_else(|| format!("member {code}"), |m| m.name.clone()),
    }
}

async fn create_user(
    store: &dyn Store,
    password_hash: &str,
    username: &str,
    display_name: &str,
    role: AccessRole,
    member: Option<&Member>,
) -> anyhow::Result<udrul_core::User> {
    store
        .create_user(
            &Actor::system(),
            NewUser {
                username: username.to_string(),
                display_name: display_name.to_string(),
                email: people::demo_email(username),
                password_hash: password_hash.to_string(),
                role,
                member_id: member.map(|m| m.id),
            },
        )
        .await
        .with_context(|| format!("user {username}"))
}

/// The catalogue's rules for the domain's roles: (name, description,
/// most holders, required).
const ROLE_RULES: &[(&str, &str, Option<u32>, bool)] = &[
    (
        "KLIK-administrator",
        "Vedligeholder kommunens rollegalleri, personer og kontaktliste.",
        Some(2),
        true,
    ),
    (
        "KOMBIT-programleder",
        "Kommunens samlede kontakt for programmerne; får alle udsendelser.",
        Some(1),
        true,
    ),
    (
        "Infrastrukturansvarlig",
        "Ansvarlig for netværk, adgang og den fælleskommunale infrastruktur.",
        None,
        true,
    ),
    (
        "Systemansvarlig",
        "Ansvarlig for en løsnings drift og opsætning i kommunen.",
        None,
        false,
    ),
    (
        "ESDH-ansvarlig",
        "Ansvarlig for kommunens ESDH-system og dets integrationer.",
        None,
        false,
    ),
];

/// Every member's role gallery, made up: its four people (the names its
/// tasks use), a general mailbox, and the domain's roles held by them. To
/// show the gallery's warnings, every seventh member has no
/// infrastructure lead, and at every eleventh the one it had has left.
///
/// Every other catalogue role (the tasks' other target roles) has a holder
/// too, so that a task's recipients page shows real people: one of the four,
/// in turn, as primary; a system role at every fifth member a function
/// mailbox instead; and about one member in ten has nobody for each such
/// role, so the page shows gaps and the general mailbox standing in.
async fn seed_gallery(store: &dyn Store, base: &Base) -> anyhow::Result<()> {
    use udrul_core::gallery::{AssignmentInput, MailboxInput, PersonInput, RoleInput};
    let sys = Actor::system();
    let mut by_name = HashMap::new();
    for r in store.list_roles().await? {
        by_name.insert(r.name.clone(), r);
    }
    for (name, description, max, required) in ROLE_RULES {
        let Some(r) = by_name.get(*name) else {
            continue;
        };
        let input = RoleInput::parse(
            name,
            description,
            None,
            &max.map(|n| n.to_string()).unwrap_or_default(),
            *required,
        )
        .map_err(|e| anyhow::anyhow!("role {name}: {e}"))?;
        store.update_role(&sys, r.id, input).await?;
    }
    let from = date(2024, 1, 1);
    let left_on = shift(status_date(), -30);
    for (i, (member, names)) in base.members.iter().zip(&base.staff).enumerate() {
        let mut people = Vec::new();
        for name in names {
            let email = format!(
                "{}.{}@demo.udrul.invalid",
                name.to_lowercase().replace(' ', "."),
                member.code
            );
            // The organisation system's user UUID, made up but stable.
            let external_id = format!(
                "{:08x}-0000-4000-8000-{:012x}",
                member.code.parse::<u32>().unwrap_or(0),
                people.len()
            );
            let input = PersonInput::parse(&external_id, name, &email, "", "", None)
                .map_err(|e| anyhow::anyhow!("person {name}: {e}"))?;
            people.push(store.create_person(&sys, member.id, input).await?);
        }
        let general = MailboxInput::parse(
            None,
            &format!("{} Kommune", member.name),
            &format!("post.{}@demo.udrul.invalid", member.code),
        )
        .map_err(|e| anyhow::anyhow!("mailbox {}: {e}", member.code))?;
        store.create_mailbox(&sys, member.id, general).await?;
        // (role, holder, primary)
        let holdings = [
            ("KLIK-administrator", 1, true),
            ("KOMBIT-programleder", 0, true),
            ("Infrastrukturansvarlig", 2, false),
            ("Systemansvarlig", 3, false),
            ("ESDH-ansvarlig", 2, false),
        ];
        for (role, who, primary) in holdings {
            if role == "Infrastrukturansvarlig" && i % 7 == 3 {
                continue;
            }
            let Some(r) = by_name.get(role) else {
                continue;
            };
            let a = AssignmentInput {
                role_id: r.id,
                person_id: people[who].id,
                valid_from: from,
                valid_to: None,
                is_primary: primary,
            };
            store.assign_role(&sys, member.id, a).await?;
        }
        let mut others: Vec<&udrul_core::Role> = by_name
            .values()
            .filter(|r| !holdings.iter().any(|(h, _, _)| *h == r.name))
            .collect();
        others.sort_by(|a, b| a.name.cmp(&b.name));
        for (k, r) in others.into_iter().enumerate() {
            if (i * 7 + k * 3) % 10 == 0 {
                continue;
            }
            if r.name.to_lowercase().contains("systemansvarlig") && i % 5 == 0 {
                let slug: String = r
                    .name
                    .to_lowercase()
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                    .collect();
                let mailbox = MailboxInput::parse(
                    Some(r.id.0),
                    &r.name,
                    &format!("{slug}.{}@demo.udrul.invalid", member.code),
                )
                .map_err(|e| anyhow::anyhow!("mailbox {}: {e}", r.name))?;
                store.create_mailbox(&sys, member.id, mailbox).await?;
                continue;
            }
            let a = AssignmentInput {
                role_id: r.id,
                person_id: people[(i + k) % people.len()].id,
                valid_from: from,
                valid_to: None,
                is_primary: true,
            };
            store.assign_role(&sys, member.id, a).await?;
        }
        if i % 11 == 5 {
            store
                .person_left(&sys, people[2].id, left_on, ChangeSource::Manual)
                .await?;
        }
        if member.code == "101" {
            seed_import(store, member, &people, left_on).await?;
        }
    }
    Ok(())
}

/// København's administrator finds what the organisation system did: its
/// system owner left through last month's import (a notice: the role is
/// empty), and this month's file waits to be applied, with one new person,
/// one new title and one more leaver whose roles would be left empty.
async fn seed_import(
    store: &dyn Store,
    member: &Member,
    people: &[udrul_core::gallery::Person],
    left_on: NaiveDate,
) -> anyhow::Result<()> {
    use udrul_core::import::{ImportRows, NewImport, PersonRow};
    let sys = Actor::system();
    store
        .person_left(&sys, people[3].id, left_on, ChangeSource::Import)
        .await?;
    let row = |n: u32, p: &udrul_core::gallery::Person, title: &str| PersonRow {
        row: n,
        external_id: p.external_id.clone().unwrap_or_default(),
        name: p.name.clone(),
        email: p.email.clone(),
        phone: String::new(),
        title: title.into(),
        unit_external_id: None,
        unit_name: None,
    };
    let mut rows = vec![
        row(2, &people[0], ""),
        row(3, &people[1], "Digitaliseringskonsulent"),
    ];
    let newcomer = people::NameGenerator::new("import-101").next_name();
    rows.push(PersonRow {
        row: 4,
        external_id: "00000065-0000-4000-8000-0000000000ff".into(),
        email: format!(
            "{}.101@demo.udrul.invalid",
            newcomer.to_lowercase().replace(' ', ".")
        ),
        name: newcomer,
        phone: "33 66 33 66".into(),
        title: "Systemansvarlig".into(),
        unit_external_id: None,
        unit_name: Some("Digitalisering".into()),
    });
    store
        .save_import(
            &sys,
            NewImport {
                member_id: member.id,
                file_name: "fk-organisation-101.csv".into(),
                sha256: "0".repeat(64),
                rows: ImportRows::People(rows),
            },
        )
        .await?;
    Ok(())
}

/// The role catalogue: the tasks' target roles, then the domain's roles not
/// already there under a spelling that differs only in case or hyphens.
pub(crate) fn role_names(target_roles: &[&str]) -> Vec<String> {
    let norm = |s: &str| s.to_lowercase().replace('-', " ");
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for r in target_roles.iter().chain(DOMAIN_ROLES) {
        let r = r.trim();
        if !r.is_empty() && seen.insert(norm(r)) {
            out.push(r.to_string());
        }
    }
    out
}

fn task_input(
    t: &SeedTask,
    project_id: ProjectId,
    guidance: &str,
    end: NaiveDate,
) -> anyhow::Result<TaskInput> {
    let purpose = text::purpose(t);
    let start = t.start.map(|d| d.to_string()).unwrap_or_default();
    let end = end.to_string();
    TaskInput::parse(&RawTask {
        project_id: Some(project_id.0),
        code: &t.code,
        title: &t.title,
        purpose: &purpose,
        guidance,
        task_type: &t.task_type,
        phase: t.phase.as_deref().unwrap_or(""),
        target_roles: t.target_roles.iter().map(String::as_str).collect(),
        start_date: &start,
        end_date: &end,
    })
    .map_err(|e| anyhow::anyhow!("task {} {}: {e}", t.project, t.code))
}

/// One member's seeded status with made-up responsible and doer; `None`
/// for an untouched instance (not started, no one named), which is left as
/// publishing made it rather than given an empty history entry.
fn seed_status(
    base: &Base,
    member: usize,
    status: ExecutionStatus,
    rng: &mut Rng,
    reason: impl FnOnce(usize) -> String,
) -> Option<SeedStatus> {
    let staff = &base.staff[member];
    let responsible = rng.pick(staff).clone();
    let doer = rng.pick(staff).clone();
    let (responsible, doer, not_relevant_reason) = match status {
        ExecutionStatus::Done => (responsible, doer, String::new()),
        ExecutionStatus::Started => {
            let doer = if rng.chance(0.6) { doer } else { String::new() };
            (responsible, doer, String::new())
        }
        ExecutionStatus::NotStarted => {
            if !rng.chance(0.25) {
                return None;
            }
            (responsible, String::new(), String::new())
        }
        ExecutionStatus::NotRelevant => (responsible, String::new(), reason(rng.below(1_000))),
    };
    Some(SeedStatus {
        member_id: base.members[member].id,
        status,
        not_relevant_reason,
        responsible,
        doer,
    })
}

/// Statuses for a task's audience (aligned with `codes` and `names`) and the
/// demo notes that explain them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub statuses: Vec<ExecutionStatus>,
    pub notes: Vec<String>,
}

/// Decides every audience member's status: the deck's figures where it
/// reports them, a gate's yes/no spread, or a plausible spread for how long
/// before `status_date` the task ended.
pub(crate) fn plan_task(
    t: &SeedTask,
    codes: &[&str],
    names: &[&str],
    gate: bool,
    status_date: NaiveDate,
    rng: &mut Rng,
) -> anyhow::Result<Plan> {
    let n = codes.len();
    let deck = text::deck_name(t.source.as_deref());
    let mut notes = Vec::new();
    let statuses = match &t.observed_status {
        Some(o) if !o.missing.is_empty() => {
            let statuses = statuses::assign_missing(names, &o.missing, rng)?;
            notes.push(format!(
                "Som på {}: pr. {} manglede {} kommuner at løse opgaven: {}.",
                deck.unwrap_or("diasset"),
                text::danish_date(o.as_of),
                o.missing.len(),
                join_danish(&o.missing)
            ));
            statuses
        }
        Some(o) => {
            let (d, s, ns) = (
                o.fuldfoert.unwrap_or(0),
                o.paabegyndt.unwrap_or(0),
                o.ikke_paabegyndt.unwrap_or(0),
            );
            let c = statuses::fit_observed(d, s, ns, n);
            let shown = format!(
                "{} fuldført, {} påbegyndt og {} ikke påbegyndt",
                c.done, c.started, c.not_started
            );
            if (c.done, c.started, c.not_started) == (d, s, ns) {
                notes.push(format!(
                    "Udførelsesstatus er som på {} (pr. {}): {shown}.",
                    deck.unwrap_or("diasset"),
                    text::danish_date(o.as_of)
                ));
            } else {
                let deck =
                    deck.map_or_else(|| "Diasset".to_string(), |d| format!("Diasset fra {d}"));
                notes.push(format!(
                    "{deck} viste {d} fuldført, {s} påbegyndt og {ns} ikke påbegyndt – i alt {}, men der er {n} kommuner; her vises {}/{}/{}.",
                    d + s + ns,
                    c.done,
                    c.started,
                    c.not_started
                ));
            }
            statuses::assign(codes, c, rng)?
        }
        None => {
            let counts: Counts = if gate {
                notes.push(
                    "Porte (go/no go) og svar kommer i en senere version af Udrul. Her betyder *fuldført*, at kommunen har svaret ja, og *ikke relevant*, at den har svaret nej."
                        .to_string(),
                );
                statuses::gate_profile(n, rng)
            } else {
                notes.push(format!(
                    "Udførelsesstatus er opdigtet til demoen og viser en tænkt situation pr. {}.",
                    text::danish_date(status_date)
                ));
                let days_past = (status_date - t.end).num_days();
                let not_begun = t.start.is_some_and(|s| s > status_date);
                statuses::profile(n, days_past, not_begun, t.task_type == "valgfri", rng)
            };
            statuses::assign(codes, counts, rng)?
        }
    };
    Ok(Plan { statuses, notes })
}

/// "Brøndby, Norddjurs og Faxe".
fn join_danish(items: &[String]) -> String {
    join_danish_with(items, "og")
}

/// "godkendt, afventer eller mangler".
fn join_danish_with(items: &[String], last_word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} {last_word} {last}", rest.join(", ")),
    }
}

/// `k` members chosen by the seeded generator, in code order.
pub(crate) fn list_selection(codes: &[&str], key: &str, k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..codes.len()).collect();
    Rng::from_key(key).shuffle(&mut idx);
    idx.truncate(k);
    idx.sort_unstable();
    idx
}

/// The summary of a store that was not seeded: what it holds, and which demo
/// logins exist in it.
async fn existing_summary(store: &dyn Store) -> anyhow::Result<DemoSummary> {
    let members = store.list_members().await?;
    let tasks = store.list_tasks(&udrul_core::TaskFilter::default()).await?;
    let mut logins = Vec::new();
    for &(username, role, code) in LOGINS {
        if store.user_by_username(username).await?.is_some() {
            logins.push(DemoLogin {
                username: username.to_string(),
                role: role.to_string(),
                member: member_label(&members, code),
            });
        }
    }
    Ok(DemoSummary {
        seeded: false,
        members: members.len(),
        users: store.count_users().await?,
        projects: store.list_projects().await?.len(),
        tasks: tasks.len(),
        published_tasks: tasks
            .iter()
            .filter(|t| matches!(t.state, TaskState::Published | TaskState::Closed))
            .count(),
        closed_tasks: tasks
            .iter()
            .filter(|t| t.state == TaskState::Closed)
            .count(),
        instances: tasks.iter().map(|t| t.instances).sum(),
        logins,
    })
}
