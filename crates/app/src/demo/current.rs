//! The demo's current programme: made-up tasks dated relative to the day the
//! demo is seeded, so that the member home and the follow-up pages show work
//! that is coming, work a few days overdue, drafts, and status changes spread
//! over the past weeks. The decks' tasks, long past, are closed history.
//!
//! The texts are generic and invented; the statuses come from the same
//! profiles as the decks' tasks without figures (`statuses::profile`), and
//! each change gets a time within the task's run, at most `HISTORY_DAYS`
//! back, so "last changed" and the instance history are not all the
//! seeding minute.

use chrono::{DateTime, NaiveDate, Utc};
use udrul_core::ExecutionStatus;

use super::rng::Rng;

/// The project the current tasks belong to.
pub const PROJECT: &str = "Digitale arbejdsgange 2027";

pub const PROJECT_DESCRIPTION: &str = "Fælles digitale arbejdsgange for kommunernes sagsbehandling: tilslutning, test, undervisning og ibrugtagning i 2027 (opdigtet til demoen).";

/// How far back status changes go.
pub const HISTORY_DAYS: i64 = 56;

/// A current task: dates are days from the day of seeding (negative: before).
pub struct CurrentTask {
    pub code: &'static str,
    pub title: &'static str,
    pub task_type: &'static str,
    pub start: i64,
    pub end: i64,
    pub phase: &'static str,
    pub target_role: &'static str,
    /// A draft is not published.
    pub draft: bool,
}

pub const TASKS: &[CurrentTask] = &[
    CurrentTask {
        code: "DA 01",
        title: "Udpeg kommunens kontaktperson for programmet",
        task_type: "obligatorisk",
        start: -60,
        end: -12,
        phase: "Forberedelse",
        target_role: "KOMBIT-programleder",
        draft: false,
    },
    CurrentTask {
        code: "DA 02",
        title: "Bekræft adgang til testmiljøet og integrationsplatformen",
        task_type: "obligatorisk_kritisk_vej",
        start: -42,
        end: -5,
        phase: "Forberedelse",
        target_role: "Infrastrukturansvarlig",
        draft: false,
    },
    CurrentTask {
        code: "DA 03",
        title: "Gennemgå og godkend kommunens stamdata",
        task_type: "obligatorisk",
        start: -35,
        end: -2,
        phase: "Forberedelse",
        target_role: "KLIK-administrator",
        draft: false,
    },
    CurrentTask {
        code: "DA 04",
        title: "Tilmeld medarbejdere til undervisning i de nye arbejdsgange",
        task_type: "obligatorisk",
        start: -28,
        end: 9,
        phase: "Uddannelse",
        target_role: "Faglig leder",
        draft: false,
    },
    CurrentTask {
        code: "DA 05",
        title: "Opsæt integrationen til kommunens ESDH-system",
        task_type: "obligatorisk_kritisk_vej",
        start: -21,
        end: 16,
        phase: "Tilslutning",
        target_role: "ESDH-ansvarlig",
        draft: false,
    },
    CurrentTask {
        code: "DA 06",
        title: "Test udsendelse af breve fra fagsystemet",
        task_type: "obligatorisk",
        start: -14,
        end: 30,
        phase: "Test",
        target_role: "Systemansvarlig",
        draft: false,
    },
    CurrentTask {
        code: "DA 07",
        title: "Tilmeld kommunen til pilotafprøvningen",
        task_type: "valgfri",
        start: -10,
        end: 45,
        phase: "Test",
        target_role: "KOMBIT-programleder",
        draft: false,
    },
    CurrentTask {
        code: "DA 08",
        title: "Planlæg ibrugtagning og informér de berørte medarbejdere",
        task_type: "obligatorisk",
        start: 40,
        end: 80,
        phase: "Ibrugtagning",
        target_role: "Faglig leder",
        draft: true,
    },
];

/// The target roles the current tasks name.
pub fn target_roles() -> impl Iterator<Item = &'static str> {
    TASKS.iter().map(|t| t.target_role)
}

/// One status change of one member: when, to what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub member: usize,
    pub status: ExecutionStatus,
    pub at: DateTime<Utc>,
}

/// When each member reached its status: a member done first started some
/// days before; a member that started or found the task not relevant has
/// one change. Times lie between the task's start (at most `HISTORY_DAYS`
/// back) and yesterday, in working hours; the result is in time order.
/// Members still "not started" have no change.
pub fn history(
    statuses: &[ExecutionStatus],
    today: NaiveDate,
    start_days: i64,
    rng: &mut Rng,
) -> Vec<Change> {
    // Days before today: from `first` (earliest) down to 1 (yesterday).
    let first = (-start_days).clamp(2, HISTORY_DAYS);
    let mut out = Vec::new();
    for (member, &status) in statuses.iter().enumerate() {
        match status {
            ExecutionStatus::NotStarted => {}
            ExecutionStatus::Done => {
                let done = rng.range(1, first - 1);
                let started = (done + rng.range(1, 15)).min(first);
                out.push(Change {
                    member,
                    status: ExecutionStatus::Started,
                    at: moment(today, started, rng),
                });
                out.push(Change {
                    member,
                    status: ExecutionStatus::Done,
                    at: moment(today, done, rng),
                });
            }
            ExecutionStatus::Started | ExecutionStatus::NotRelevant => out.push(Change {
                member,
                status,
                at: moment(today, rng.range(1, first), rng),
            }),
        }
    }
    out.sort_by_key(|c| (c.at, c.member));
    out
}

/// A time `days_before` today, between 07:00 and 15:59 UTC, on the quarter
/// hour (so changes of the same task often share a time and are written
/// together).
fn moment(today: NaiveDate, days_before: i64, rng: &mut Rng) -> DateTime<Utc> {
    let day = super::shift(today, -days_before);
    let hour = 7 + rng.range(0, 8) as u32;
    let minute = 15 * rng.range(0, 3) as u32;
    day.and_hms_opt(hour, minute, 0)
        .expect("a valid time")
        .and_utc()
}
