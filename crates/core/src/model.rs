//! The objects of issue 2: members, users, projects, tasks, task instances
//! and their histories.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::access::AccessRole;

macro_rules! id_type {
    ($($name:ident),*) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}
id_type!(
    MemberId,
    UserId,
    ProjectId,
    TaskId,
    InstanceId,
    RoleId,
    OrgUnitId,
    PersonId,
    MailboxId,
    AssignmentId,
    NoticeId,
    ImportId
);

/// Enums stored as text in both databases and sent as text in the API.
macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $s)] $variant),* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),* }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$variant),)* _ => None }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// How binding a task is.
    TaskType {
        Mandatory = "obligatorisk",
        CriticalPath = "obligatorisk_kritisk_vej",
        Optional = "valgfri",
    }
);

text_enum!(
    /// Where a task is in its life. `scheduled` comes with a later issue.
    TaskState {
        Draft = "draft",
        Published = "published",
        Closed = "closed",
        Withdrawn = "withdrawn",
    }
);

text_enum!(
    /// A member's execution status of one task.
    ExecutionStatus {
        NotStarted = "ikke_paabegyndt",
        Started = "paabegyndt",
        Done = "fuldfoert",
        NotRelevant = "ikke_relevant",
    }
);

impl ExecutionStatus {
    /// Done or not relevant: nothing left for the member to do.
    pub fn is_settled(self) -> bool {
        matches!(self, ExecutionStatus::Done | ExecutionStatus::NotRelevant)
    }
}

impl TaskState {
    /// Whether a member sees the task at all.
    pub fn visible_to_members(self) -> bool {
        matches!(self, TaskState::Published | TaskState::Closed)
    }
}

/// Whether a member's instance is overdue on `today` as the pages show it:
/// its task still open (a closed task asks nothing more of the member), the
/// instance not settled, and the end date past (`calendar::is_past_end`).
pub fn instance_overdue(
    task_state: TaskState,
    status: ExecutionStatus,
    end_date: NaiveDate,
    today: NaiveDate,
) -> bool {
    task_state == TaskState::Published
        && !status.is_settled()
        && crate::calendar::is_past_end(end_date, today)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub id: MemberId,
    pub code: String,
    pub name: String,
    pub region: String,
    pub network: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub role: AccessRole,
    pub member_id: Option<MemberId>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Project {
    pub id: ProjectId,
    pub name: String,
    pub description: String,
}

/// A role in the catalogue. Tasks target roles by name; members fill them
/// in their role gallery (`gallery`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Role {
    pub id: RoleId,
    pub name: String,
    pub description: String,
    /// The solution (project) the role is about, if any.
    pub project_id: Option<ProjectId>,
    pub project_name: Option<String>,
    /// The most holders a member may have at any one time.
    pub max_holders: Option<u32>,
    /// Every member must fill it.
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    pub id: TaskId,
    pub project_id: ProjectId,
    pub project_name: String,
    pub code: String,
    pub title: String,
    pub purpose: String,
    /// Markdown; rendered and sanitised by the web layer.
    pub guidance: String,
    pub task_type: TaskType,
    pub phase: String,
    pub target_roles: Vec<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: NaiveDate,
    pub state: TaskState,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

/// A task in a list, with its progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskSummary {
    pub id: TaskId,
    pub project_name: String,
    pub code: String,
    pub title: String,
    pub task_type: TaskType,
    pub end_date: NaiveDate,
    pub state: TaskState,
    pub instances: i64,
    pub settled: i64,
}

text_enum!(
    /// What happened to a task.
    TaskEventKind {
        Created = "created",
        Updated = "updated",
        Published = "published",
        EndDateChanged = "end_date_changed",
        Closed = "closed",
        Withdrawn = "withdrawn",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskEvent {
    pub at: DateTime<Utc>,
    /// `None` for events imported from elsewhere (seed history).
    pub actor_name: Option<String>,
    pub kind: TaskEventKind,
    pub from_date: Option<NaiveDate>,
    pub to_date: Option<NaiveDate>,
    pub reason: String,
    /// For `Published`: how many members it went to.
    pub count: Option<i64>,
}

/// One member's copy of a published task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instance {
    pub id: InstanceId,
    pub task_id: TaskId,
    pub member_id: MemberId,
    pub status: ExecutionStatus,
    pub not_relevant_reason: String,
    pub responsible: String,
    pub doer: String,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// An instance with what a page about it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstanceDetail {
    pub instance: Instance,
    pub task: Task,
    pub member: Member,
}

/// A row of a member's home page or of an instance list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstanceRow {
    pub id: InstanceId,
    pub task_id: TaskId,
    pub member_id: MemberId,
    pub project_name: String,
    pub code: String,
    pub title: String,
    pub task_type: TaskType,
    pub task_state: TaskState,
    pub start_date: Option<NaiveDate>,
    pub end_date: NaiveDate,
    pub status: ExecutionStatus,
    pub responsible: String,
    pub version: i64,
}

/// One change to an instance, with the values after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstanceEvent {
    pub at: DateTime<Utc>,
    pub actor_name: String,
    pub old_status: Option<ExecutionStatus>,
    pub status: ExecutionStatus,
    pub not_relevant_reason: String,
    pub responsible: String,
    pub doer: String,
}

/// Counts per execution status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    pub not_started: i64,
    pub started: i64,
    pub done: i64,
    pub not_relevant: i64,
}

impl StatusCounts {
    pub fn total(&self) -> i64 {
        self.not_started + self.started + self.done + self.not_relevant
    }
    pub fn get(&self, s: ExecutionStatus) -> i64 {
        match s {
            ExecutionStatus::NotStarted => self.not_started,
            ExecutionStatus::Started => self.started,
            ExecutionStatus::Done => self.done,
            ExecutionStatus::NotRelevant => self.not_relevant,
        }
    }
    pub fn add(&mut self, s: ExecutionStatus, n: i64) {
        match s {
            ExecutionStatus::NotStarted => self.not_started += n,
            ExecutionStatus::Started => self.started += n,
            ExecutionStatus::Done => self.done += n,
            ExecutionStatus::NotRelevant => self.not_relevant += n,
        }
    }
}

/// A member that has not settled a task, for the follow-up list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUpRow {
    pub instance_id: InstanceId,
    pub member_id: MemberId,
    pub member_code: String,
    pub member_name: String,
    pub region: String,
    pub network: String,
    pub status: ExecutionStatus,
    pub responsible: String,
    pub doer: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUp {
    pub counts: StatusCounts,
    pub not_done: Vec<FollowUpRow>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowUpFilter {
    pub region: Option<String>,
    pub network: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskFilter {
    pub state: Option<TaskState>,
    pub project_id: Option<ProjectId>,
}

/// The central task list's question: a filter and text to find in a task's
/// code or title (case-insensitive, also for æ, ø and å; `%` and `_` are
/// plain characters). Empty text finds every task of the filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskSearch {
    pub filter: TaskFilter,
    pub text: String,
}

/// Text folded as `Store::search_tasks` compares it: lower case.
pub fn fold_search(text: &str) -> String {
    text.trim().to_lowercase()
}

/// Which of a scope's instances to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceFilter {
    pub task_id: Option<TaskId>,
    pub member_id: Option<MemberId>,
    pub status: Option<ExecutionStatus>,
    /// Leave out settled instances (done, not relevant).
    pub open_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
}

impl PageRequest {
    pub const MAX_PER_PAGE: u32 = 500;
    pub fn new(page: u32, per_page: u32) -> Self {
        Self {
            page: page.max(1),
            per_page: per_page.clamp(1, Self::MAX_PER_PAGE),
        }
    }
    pub fn offset(&self) -> i64 {
        (i64::from(self.page) - 1) * i64::from(self.per_page)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    pub fn pages(&self) -> u32 {
        let per = i64::from(self.per_page.max(1));
        u32::try_from(((self.total + per - 1) / per).max(1)).unwrap_or(u32::MAX)
    }
}

/// A login session or API token as stored: only the SHA-256 of the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub user_id: UserId,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A robot's API token (never its secret: only a hash is stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RobotToken {
    pub id: i64,
    pub user_id: UserId,
    /// The robot user's display name.
    pub robot_name: String,
    pub member_id: MemberId,
    pub name: String,
    pub permissions: crate::access::Permissions,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl RobotToken {
    /// Usable now: not revoked and not expired.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

/// Who wrote an audit entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorKind {
    Person,
    Robot,
    System,
    Anonymous,
}

impl ActorKind {
    pub const ALL: [ActorKind; 4] = [
        ActorKind::Person,
        ActorKind::Robot,
        ActorKind::System,
        ActorKind::Anonymous,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Person => "person",
            ActorKind::Robot => "robot",
            ActorKind::System => "system",
            ActorKind::Anonymous => "anonymous",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One entry of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<UserId>,
    pub actor_name: String,
    pub actor_kind: ActorKind,
    pub token_id: Option<i64>,
    pub member_id: Option<MemberId>,
    /// What happened, e.g. `task.publish`, `instance.update`, `user.read`.
    pub action: String,
    /// What it happened to: `task`, `instance`, `user`, `robot_token`...
    pub object_type: String,
    pub object_id: Option<i64>,
    /// The person whose data was changed or read.
    pub person_id: Option<UserId>,
    /// JSON of the object before and after a change.
    pub before: Option<String>,
    pub after: Option<String>,
    pub request_id: Option<String>,
}

/// Every `action` the audit log records; the audit page names each in
/// words (catalogue key `audit-action-<action with - for . and _>`).
pub const AUDIT_ACTIONS: &[&str] = &[
    "audit.export",
    "audit.read",
    "instance.update",
    "login.api_token",
    "login.failure",
    "login.oidc",
    "login.password",
    "login.password_link",
    "login.saml",
    "login.throttled",
    "logout",
    "import.apply",
    "import.upload",
    "mailbox.create",
    "mailbox.delete",
    "notice.dismiss",
    "org_unit.create",
    "org_unit.remove",
    "org_unit.restore",
    "org_unit.update",
    "person.create",
    "person.left",
    "person.returned",
    "person.update",
    "project.create",
    "project.staff_add",
    "project.staff_remove",
    "robot_token.create",
    "robot_token.revoke",
    "role.assign",
    "role.create",
    "role.unassign",
    "role.update",
    "task.close",
    "task.create",
    "task.end_date",
    "task.publish",
    "task.recipients_export",
    "task.seed_statuses",
    "task.update",
    "task.withdraw",
    "user.access",
    "user.create",
    "user.list",
    "user.password_link",
    "user.password_set",
    "user.read",
    "user.sync",
];

/// The catalogue key of an audit action's words.
pub fn audit_action_key(action: &str) -> String {
    format!("audit-action-{}", action.replace(['.', '_'], "-"))
}
