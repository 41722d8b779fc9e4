//! What the API sends and accepts. Response types are made from the core's
//! types field by field (nothing internal leaks by accident); request types
//! reject unknown fields and carry text that `udrul_core::input` parses, so
//! that the API and the web pages share one set of rules and error codes.
//!
//! Dates are ISO 8601 calendar dates (`2025-05-28`, Europe/Copenhagen);
//! timestamps are RFC 3339 in UTC.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use udrul_core as core;
use utoipa::{IntoParams, ToSchema};

/// Mirrors a core text enum with the same wire values, for the schema.
macro_rules! dto_enum {
    ($(#[$m:meta])* $name:ident from $core:ident { $($variant:ident = $s:tt),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        pub enum $name { $(#[serde(rename = $s)] $variant),* }
        impl From<core::$core> for $name {
            fn from(v: core::$core) -> Self {
                match v { $(core::$core::$variant => $name::$variant),* }
            }
        }
    };
}

dto_enum!(
    /// How binding a task is: mandatory, mandatory on the critical path, optional.
    TaskType from TaskType {
        Mandatory = "obligatorisk",
        CriticalPath = "obligatorisk_kritisk_vej",
        Optional = "valgfri",
    }
);

dto_enum!(
    /// Where a task is in its life. Members see published and closed tasks.
    TaskState from TaskState {
        Draft = "draft",
        Published = "published",
        Closed = "closed",
        Withdrawn = "withdrawn",
    }
);

dto_enum!(
    /// A member's execution status of a task: not started, started, done,
    /// not relevant (needs a reason).
    ExecutionStatus from ExecutionStatus {
        NotStarted = "ikke_paabegyndt",
        Started = "paabegyndt",
        Done = "fuldfoert",
        NotRelevant = "ikke_relevant",
    }
);

dto_enum!(
    /// What happened to a task.
    TaskEventKind from TaskEventKind {
        Created = "created",
        Updated = "updated",
        Published = "published",
        EndDateChanged = "end_date_changed",
        Closed = "closed",
        Withdrawn = "withdrawn",
    }
);

/// A user's access role. Central roles see every member; member roles see
/// their own member only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccessRole {
    CentralAdmin,
    CentralStaff,
    MemberAdmin,
    MemberUser,
    Auditor,
    Robot,
}

impl From<core::AccessRole> for AccessRole {
    fn from(r: core::AccessRole) -> Self {
        match r {
            core::AccessRole::CentralAdmin => AccessRole::CentralAdmin,
            core::AccessRole::CentralStaff => AccessRole::CentralStaff,
            core::AccessRole::MemberAdmin => AccessRole::MemberAdmin,
            core::AccessRole::MemberUser => AccessRole::MemberUser,
            core::AccessRole::Auditor => AccessRole::Auditor,
            core::AccessRole::Robot => AccessRole::Robot,
        }
    }
}

// --- responses ----------------------------------------------------------------

/// A member organisation (a municipality).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberDto {
    pub id: i64,
    /// The member's official code, e.g. `851`.
    #[schema(example = "851")]
    pub code: String,
    #[schema(example = "Aalborg")]
    pub name: String,
    #[schema(example = "Region Nordjylland")]
    pub region: String,
    #[schema(example = "Nord")]
    pub network: String,
}

impl From<core::Member> for MemberDto {
    fn from(m: core::Member) -> Self {
        MemberDto {
            id: m.id.0,
            code: m.code,
            name: m.name,
            region: m.region,
            network: m.network,
        }
    }
}

/// The authenticated user.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeDto {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub role: AccessRole,
    /// The user's member; `null` for central users.
    pub member: Option<MemberDto>,
}

impl MeDto {
    pub fn new(u: &core::User, member: Option<core::Member>) -> Self {
        MeDto {
            id: u.id.0,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            email: u.email.clone(),
            role: u.role.into(),
            member: member.map(MemberDto::from),
        }
    }
}

/// A bearer token. Send it as `Authorization: Bearer <token>`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenDto {
    /// The secret. It is shown once; only its hash is stored.
    pub token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
    pub user: MeDto,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectDto {
    pub id: i64,
    pub name: String,
    pub description: String,
}

impl From<core::Project> for ProjectDto {
    fn from(p: core::Project) -> Self {
        ProjectDto {
            id: p.id.0,
            name: p.name,
            description: p.description,
        }
    }
}

/// A task with all its fields.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskDto {
    pub id: i64,
    pub project_id: i64,
    pub project_name: String,
    #[schema(example = "ID 31")]
    pub code: String,
    pub title: String,
    pub purpose: String,
    /// Markdown.
    pub guidance: String,
    pub task_type: TaskType,
    pub phase: String,
    /// Names from the role catalogue.
    pub target_roles: Vec<String>,
    pub start_date: Option<NaiveDate>,
    /// The task is overdue from the day after (Europe/Copenhagen).
    pub end_date: NaiveDate,
    pub state: TaskState,
    /// Increases with every change; the `ETag` is `"<version>"`.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

impl From<core::Task> for TaskDto {
    fn from(t: core::Task) -> Self {
        TaskDto {
            id: t.id.0,
            project_id: t.project_id.0,
            project_name: t.project_name,
            code: t.code,
            title: t.title,
            purpose: t.purpose,
            guidance: t.guidance,
            task_type: t.task_type.into(),
            phase: t.phase,
            target_roles: t.target_roles,
            start_date: t.start_date,
            end_date: t.end_date,
            state: t.state.into(),
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
            published_at: t.published_at,
        }
    }
}

/// A task in a list, with its progress.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskSummaryDto {
    pub id: i64,
    pub project_name: String,
    pub code: String,
    pub title: String,
    pub task_type: TaskType,
    pub end_date: NaiveDate,
    pub state: TaskState,
    /// How many members the task was published to.
    pub instances: i64,
    /// How many of them are done or found it not relevant.
    pub settled: i64,
}

impl From<core::TaskSummary> for TaskSummaryDto {
    fn from(t: core::TaskSummary) -> Self {
        TaskSummaryDto {
            id: t.id.0,
            project_name: t.project_name,
            code: t.code,
            title: t.title,
            task_type: t.task_type.into(),
            end_date: t.end_date,
            state: t.state.into(),
            instances: t.instances,
            settled: t.settled,
        }
    }
}

/// What publishing did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublishedDto {
    pub task: TaskDto,
    /// How many members got the task.
    pub instances: i64,
}

/// One event in a task's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskEventDto {
    pub at: DateTime<Utc>,
    /// Who did it; `null` for events from before Udrul.
    pub actor_name: Option<String>,
    pub kind: TaskEventKind,
    /// For `end_date_changed`: the old end date.
    pub from_date: Option<NaiveDate>,
    /// For `end_date_changed`: the new end date.
    pub to_date: Option<NaiveDate>,
    /// For `end_date_changed`: why.
    pub reason: String,
    /// For `published`: how many members it went to.
    pub count: Option<i64>,
}

impl From<core::TaskEvent> for TaskEventDto {
    fn from(e: core::TaskEvent) -> Self {
        TaskEventDto {
            at: e.at,
            actor_name: e.actor_name,
            kind: e.kind.into(),
            from_date: e.from_date,
            to_date: e.to_date,
            reason: e.reason,
            count: e.count,
        }
    }
}

/// One member's copy of a published task.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InstanceDto {
    pub id: i64,
    pub task_id: i64,
    pub member_id: i64,
    pub status: ExecutionStatus,
    /// Why the task is not relevant (with status `ikke_relevant`).
    pub not_relevant_reason: String,
    /// The responsible person (ansvarlig).
    pub responsible: String,
    /// The person doing the work (udfører).
    pub doer: String,
    /// Increases with every change; the `ETag` is `"<version>"`.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

impl From<core::Instance> for InstanceDto {
    fn from(i: core::Instance) -> Self {
        InstanceDto {
            id: i.id.0,
            task_id: i.task_id.0,
            member_id: i.member_id.0,
            status: i.status.into(),
            not_relevant_reason: i.not_relevant_reason,
            responsible: i.responsible,
            doer: i.doer,
            version: i.version,
            updated_at: i.updated_at,
        }
    }
}

/// An instance with its task and member.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InstanceDetailDto {
    pub id: i64,
    pub task_id: i64,
    pub member_id: i64,
    pub status: ExecutionStatus,
    pub not_relevant_reason: String,
    pub responsible: String,
    pub doer: String,
    /// The `ETag` is `"<version>"`; send it back in `If-Match`.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    /// Past the end date and not settled.
    pub overdue: bool,
    pub task: TaskDto,
    pub member: MemberDto,
}

impl InstanceDetailDto {
    pub fn new(d: core::InstanceDetail, today: NaiveDate) -> Self {
        let i = d.instance;
        InstanceDetailDto {
            id: i.id.0,
            task_id: i.task_id.0,
            member_id: i.member_id.0,
            status: i.status.into(),
            not_relevant_reason: i.not_relevant_reason,
            responsible: i.responsible,
            doer: i.doer,
            version: i.version,
            updated_at: i.updated_at,
            overdue: !i.status.is_settled() && core::calendar::is_past_end(d.task.end_date, today),
            task: d.task.into(),
            member: d.member.into(),
        }
    }
}

/// An instance in a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InstanceRowDto {
    pub id: i64,
    pub task_id: i64,
    pub member_id: i64,
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
    /// Past the end date and not settled.
    pub overdue: bool,
}

impl InstanceRowDto {
    pub fn new(r: core::InstanceRow, today: NaiveDate) -> Self {
        InstanceRowDto {
            overdue: !r.status.is_settled() && core::calendar::is_past_end(r.end_date, today),
            id: r.id.0,
            task_id: r.task_id.0,
            member_id: r.member_id.0,
            project_name: r.project_name,
            code: r.code,
            title: r.title,
            task_type: r.task_type.into(),
            task_state: r.task_state.into(),
            start_date: r.start_date,
            end_date: r.end_date,
            status: r.status.into(),
            responsible: r.responsible,
            version: r.version,
        }
    }
}

/// One page of instances: critical path first, then nearest end date;
/// settled ones last.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InstancePageDto {
    pub items: Vec<InstanceRowDto>,
    /// How many instances match, on all pages.
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    pub pages: u32,
}

/// One change to an instance, with the values after it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InstanceEventDto {
    pub at: DateTime<Utc>,
    pub actor_name: String,
    /// The status before; `null` for the first entry.
    pub old_status: Option<ExecutionStatus>,
    pub status: ExecutionStatus,
    pub not_relevant_reason: String,
    pub responsible: String,
    pub doer: String,
}

impl From<core::InstanceEvent> for InstanceEventDto {
    fn from(e: core::InstanceEvent) -> Self {
        InstanceEventDto {
            at: e.at,
            actor_name: e.actor_name,
            old_status: e.old_status.map(Into::into),
            status: e.status.into(),
            not_relevant_reason: e.not_relevant_reason,
            responsible: e.responsible,
            doer: e.doer,
        }
    }
}

/// Counts per execution status (the keys are the status values).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusCountsDto {
    pub ikke_paabegyndt: i64,
    pub paabegyndt: i64,
    pub fuldfoert: i64,
    pub ikke_relevant: i64,
    pub total: i64,
}

impl From<core::StatusCounts> for StatusCountsDto {
    fn from(c: core::StatusCounts) -> Self {
        StatusCountsDto {
            ikke_paabegyndt: c.not_started,
            paabegyndt: c.started,
            fuldfoert: c.done,
            ikke_relevant: c.not_relevant,
            total: c.total(),
        }
    }
}

/// A member that has not settled the task.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowUpRowDto {
    pub instance_id: i64,
    pub member_id: i64,
    pub member_code: String,
    pub member_name: String,
    pub region: String,
    pub network: String,
    pub status: ExecutionStatus,
    pub responsible: String,
    pub doer: String,
    pub updated_at: DateTime<Utc>,
}

impl From<core::FollowUpRow> for FollowUpRowDto {
    fn from(r: core::FollowUpRow) -> Self {
        FollowUpRowDto {
            instance_id: r.instance_id.0,
            member_id: r.member_id.0,
            member_code: r.member_code,
            member_name: r.member_name,
            region: r.region,
            network: r.network,
            status: r.status.into(),
            responsible: r.responsible,
            doer: r.doer,
            updated_at: r.updated_at,
        }
    }
}

/// A task's follow-up: counts per status and the members not done.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowUpDto {
    pub task_id: i64,
    pub counts: StatusCountsDto,
    /// Members whose status is not started or started, by name.
    pub not_done: Vec<FollowUpRowDto>,
}

// --- requests -----------------------------------------------------------------

/// Username and password of a local account.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[schema(
        example = "staff",
        max_length = 200,
        pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
    )]
    pub username: String,
    #[schema(
        example = "correct horse battery staple",
        min_length = 1,
        max_length = 1000
    )]
    pub password: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ProjectRequest {
    /// Required, at most 200 characters, unique.
    #[schema(
        max_length = 200,
        required = true,
        pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
    )]
    pub name: String,
    /// At most 4,000 characters.
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
    )]
    pub description: String,
}

/// A task as central staff write it (create a draft, or replace a draft).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TaskRequest {
    /// Required: an existing project.
    #[schema(value_type = i64, required = true)]
    pub project_id: Option<i64>,
    /// Required, at most 40 characters.
    #[schema(
        max_length = 40,
        example = "ID 31",
        required = true,
        pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
    )]
    pub code: String,
    /// Required, at most 200 characters.
    #[schema(
        max_length = 200,
        example = "Etabler trust til Fælleskommunal Adgangsstyring",
        required = true,
        pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
    )]
    pub title: String,
    /// At most 4,000 characters.
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
    )]
    pub purpose: String,
    /// Markdown, at most 20,000 characters.
    #[schema(
        max_length = 20000,
        pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
    )]
    pub guidance: String,
    /// Required.
    #[schema(value_type = TaskType, required = true)]
    pub task_type: String,
    /// At most 200 characters.
    #[schema(
        max_length = 200,
        pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
    )]
    pub phase: String,
    /// Names from the role catalogue, at most 20.
    pub target_roles: Vec<String>,
    /// `yyyy-mm-dd`; optional.
    #[schema(value_type = Option<String>, format = Date, example = "2025-01-01")]
    pub start_date: Option<String>,
    /// `yyyy-mm-dd`; required, not before `start_date`.
    #[schema(value_type = String, format = Date, example = "2025-05-28", required = true)]
    pub end_date: String,
}

/// Who gets a task: `{"audience": "all"}` for every member, or a selection
/// `{"members": [..], "regions": [..], "networks": [..]}` (the union of them;
/// at least one entry).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PublishRequest {
    /// `all` to publish to every member; leave out for a selection.
    #[schema(example = "all", pattern = "^all$")]
    pub audience: Option<String>,
    /// Member ids.
    pub members: Vec<i64>,
    /// Region names, e.g. `Region Nordjylland`.
    pub regions: Vec<String>,
    /// Network names.
    pub networks: Vec<String>,
}

/// A new end date and why.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct EndDateRequest {
    /// `yyyy-mm-dd`; not before the start date.
    #[schema(value_type = String, format = Date, example = "2025-06-30", required = true)]
    pub end_date: String,
    /// Required, at most 1,000 characters; kept in the history.
    #[schema(
        max_length = 1000,
        required = true,
        pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
    )]
    pub reason: String,
}

/// A member's update of its instance (a JSON merge patch): fields left out,
/// or `null`, keep their value; an empty patch changes nothing.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct InstancePatch {
    #[schema(value_type = Option<ExecutionStatus>)]
    pub status: Option<String>,
    /// Required with status `ikke_relevant`; at most 1,000 characters.
    #[schema(
        max_length = 1000,
        pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
    )]
    pub not_relevant_reason: Option<String>,
    /// The responsible person (ansvarlig), at most 200 characters.
    #[schema(
        max_length = 200,
        pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
    )]
    pub responsible: Option<String>,
    /// The person doing the work (udfører), at most 200 characters.
    #[schema(
        max_length = 200,
        pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
    )]
    pub doer: Option<String>,
}

// --- query parameters -------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, default)]
#[into_params(parameter_in = Query)]
pub struct TaskListQuery {
    /// Only tasks in this state.
    #[param(value_type = Option<TaskState>)]
    pub state: Option<String>,
    /// Only tasks of this project.
    pub project_id: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, default)]
#[into_params(parameter_in = Query)]
pub struct FollowUpQuery {
    /// Only members of this region.
    pub region: Option<String>,
    /// Only members of this network.
    pub network: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, default)]
#[into_params(parameter_in = Query)]
pub struct InstanceListQuery {
    /// Only instances of this task.
    pub task_id: Option<i64>,
    /// Only instances of this member (central users; a member's users
    /// always see only their own member's).
    pub member_id: Option<i64>,
    /// Only instances with this status.
    #[param(value_type = Option<ExecutionStatus>)]
    pub status: Option<String>,
    /// Leave out settled instances (done, not relevant).
    pub open_only: Option<bool>,
    /// 1-based page number (default 1), at most 1,000,000.
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub per_page: Option<u32>,
}
