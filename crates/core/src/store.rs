//! The one storage interface. SQLite and PostgreSQL implement it in
//! `udrul-store`; the contract suite there runs every test on both.
//!
//! Rules that need the database (an unknown project, a task that is not a
//! draft) are checked inside the store's transaction and reported with the
//! same error types as the rules checked at the edge.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::access::{Actor, Scope};
use crate::gallery::{
    Assignment, AssignmentInput, ChangeSource, Mailbox, MailboxInput, Notice, OrgUnit,
    OrgUnitInput, Person, PersonInput, RoleInput,
};
use crate::import::{ImportOutcome, ImportRecord, NewImport};
use crate::input::{Audience, EndDateChange, FieldErrors, InstanceUpdate, ProjectInput, TaskInput};
use crate::model::*;
use crate::recipients::TaskRecipients;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The object changed since the caller read it (optimistic concurrency).
    #[error("version conflict: expected {expected}, found {found}")]
    VersionConflict { expected: i64, found: i64 },
    /// A unique name is already taken, e.g. a project name.
    #[error("already exists: {0}")]
    Duplicate(&'static str),
    /// Field-level problems only the database can see (unknown project...).
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    /// The operation is not allowed in the object's current state,
    /// e.g. editing a published task. The string is a catalogue key.
    #[error("not allowed in this state: {0}")]
    WrongState(&'static str),
    /// The actor may not do this (a robot without the permission, project
    /// staff outside their projects, an auditor changing anything).
    #[error("forbidden")]
    Forbidden,
    /// The database cannot be reached; callers answer 503.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A user as the login check needs it.
#[derive(Debug, Clone)]
pub struct UserWithHash {
    pub user: User,
    pub password_hash: String,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub password_hash: String,
    pub role: crate::access::AccessRole,
    pub member_id: Option<MemberId>,
}

/// A change of a user's access, by an administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAccess {
    pub role: crate::access::AccessRole,
    pub member_id: Option<MemberId>,
    pub active: bool,
}

/// A robot token to create; the store keeps only `hash`.
#[derive(Debug, Clone)]
pub struct NewRobotToken {
    pub user_id: UserId,
    pub name: String,
    pub permissions: crate::access::Permissions,
    pub expires_at: DateTime<Utc>,
}

/// A set-password link to create (issue 11); the store keeps only the
/// SHA-256 of its secret. Creating one ends the user's earlier links.
#[derive(Debug, Clone)]
pub struct NewPasswordLink {
    pub user_id: UserId,
    pub expires_at: DateTime<Utc>,
}

/// A set-password link as the store keeps it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordLink {
    pub id: i64,
    pub user_id: UserId,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A search of the users an administrator manages: every set field must
/// match. `text` matches username, display name or e-mail, case-insensitive
/// and literally (`%` and `_` are not wildcards). Ordered by display name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    pub member: Option<MemberId>,
    pub role: Option<crate::access::AccessRole>,
    pub text: String,
    pub offset: u32,
    pub limit: u32,
}

/// One page of a user search and how many match in all.
#[derive(Debug, Clone, Default)]
pub struct UserPage {
    pub users: Vec<User>,
    pub total: i64,
}

/// An entry for the audit log that is not a change the store makes itself:
/// a read of personal data, a login, an export.
#[derive(Debug, Clone, Default)]
pub struct AuditEntry {
    pub action: &'static str,
    pub object_type: &'static str,
    pub object_id: Option<i64>,
    pub member_id: Option<MemberId>,
    pub person_id: Option<UserId>,
    /// JSON of the object before and after, when the entry carries detail.
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Which assignments `list_assignments` returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssignmentFilter {
    pub member: Option<MemberId>,
    pub role: Option<RoleId>,
}

/// A search of the audit log; every set field must match. Newest first,
/// `before_id` pages back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<UserId>,
    pub member: Option<MemberId>,
    pub object_type: Option<String>,
    pub object_id: Option<i64>,
    pub person: Option<UserId>,
    pub before_id: Option<i64>,
    pub limit: u32,
}

#[derive(Debug, Clone)]
pub struct NewMember {
    pub code: String,
    pub name: String,
    pub region: String,
    pub network: String,
}

/// What publishing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub task: Task,
    pub instances: i64,
}

/// A status set directly, with its time: for seeding demo and benchmark data.
#[derive(Debug, Clone)]
pub struct SeedStatus {
    pub member_id: MemberId,
    pub status: ExecutionStatus,
    pub not_relevant_reason: String,
    pub responsible: String,
    pub doer: String,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is: "sqlite" or "postgres".
    fn backend(&self) -> &'static str;
    /// A cheap round trip, for readiness.
    async fn ping(&self) -> StoreResult<()>;

    // --- settings -------------------------------------------------------
    /// A secret shared by every app instance on this database, created with
    /// `init` the first time it is asked for.
    async fn secret(&self, name: &str, init: Vec<u8>) -> StoreResult<Vec<u8>>;

    // --- members --------------------------------------------------------
    /// Members ordered by name.
    async fn list_members(&self) -> StoreResult<Vec<Member>>;
    async fn get_member(&self, id: MemberId) -> StoreResult<Option<Member>>;
    /// Insert or update by code.
    async fn upsert_member(&self, m: NewMember) -> StoreResult<Member>;

    // --- role catalogue -------------------------------------------------------
    async fn list_roles(&self) -> StoreResult<Vec<Role>>;
    /// The role named `name`, created bare if there is none (seeding, tests).
    async fn ensure_role(&self, name: &str) -> StoreResult<Role>;
    async fn get_role(&self, id: RoleId) -> StoreResult<Option<Role>>;
    /// A taken name: `Duplicate("role")`; an unknown project: `Invalid`.
    async fn create_role(&self, by: &Actor, r: RoleInput) -> StoreResult<Role>;
    /// Lowering `max_holders` below what a member has now is refused
    /// (`Invalid` on `max_holders`): end assignments first.
    async fn update_role(&self, by: &Actor, id: RoleId, r: RoleInput) -> StoreResult<Role>;

    // --- a member's people, org units, mailboxes and role gallery -------------
    async fn list_org_units(&self, member: MemberId) -> StoreResult<Vec<OrgUnit>>;
    async fn get_org_unit(&self, id: OrgUnitId) -> StoreResult<Option<OrgUnit>>;
    /// A taken external id within the member: `Duplicate("org_unit")`; an
    /// unknown or removed parent: `Invalid` on `parent_id`.
    async fn create_org_unit(
        &self,
        by: &Actor,
        member: MemberId,
        u: OrgUnitInput,
    ) -> StoreResult<OrgUnit>;
    /// A parent below the unit itself: `Invalid` on `parent_id`. Nothing
    /// changes (and nothing is audited) when nothing differs.
    async fn update_org_unit(
        &self,
        by: &Actor,
        id: OrgUnitId,
        u: OrgUnitInput,
    ) -> StoreResult<OrgUnit>;
    /// Marks a unit removed (its people leave it, its children move up) or
    /// restores it.
    async fn set_org_unit_removed(
        &self,
        by: &Actor,
        id: OrgUnitId,
        removed: bool,
    ) -> StoreResult<OrgUnit>;
    /// Everyone who has been a person of `member`, those who left last.
    async fn list_people(&self, member: MemberId) -> StoreResult<Vec<Person>>;
    async fn get_person(&self, id: PersonId) -> StoreResult<Option<Person>>;
    /// The person of `member` with this organisation-system id, left or not.
    async fn person_by_external_id(
        &self,
        member: MemberId,
        external_id: &str,
    ) -> StoreResult<Option<Person>>;
    /// The person of `member` whose SCIM `userName` is `user_name`
    /// (compared by `gallery::user_name_key`), left or not.
    async fn person_by_user_name(
        &self,
        member: MemberId,
        user_name: &str,
    ) -> StoreResult<Option<Person>>;
    /// A taken external id within the member: `Duplicate("person")`; a
    /// taken SCIM `userName`: `Duplicate("person_user_name")`.
    async fn create_person(
        &self,
        by: &Actor,
        member: MemberId,
        p: PersonInput,
    ) -> StoreResult<Person>;
    /// Nothing changes (and nothing is audited) when nothing differs. Taken
    /// external id or `userName`: as `create_person`.
    async fn update_person(&self, by: &Actor, id: PersonId, p: PersonInput) -> StoreResult<Person>;
    /// Marks a person as left on `on`: their history stays, their
    /// assignments end the day before (future ones go). Returns the roles
    /// that now have no holder at their member; when `source` is an import
    /// or SCIM, those are also kept as a notice for the member's
    /// administrators (`list_notices`). Already left: nothing happens.
    async fn person_left(
        &self,
        by: &Actor,
        id: PersonId,
        on: NaiveDate,
        source: ChangeSource,
    ) -> StoreResult<Vec<Role>>;
    /// Someone who left is a person of the member again (without their old
    /// roles). Not left: nothing happens.
    async fn person_returned(&self, by: &Actor, id: PersonId) -> StoreResult<Person>;
    /// The notices for `member`'s administrators not yet dismissed, newest
    /// first.
    async fn list_notices(&self, member: MemberId) -> StoreResult<Vec<Notice>>;
    /// Gone or dismissed already: `NotFound`. Returns the notice.
    async fn dismiss_notice(&self, by: &Actor, id: NoticeId) -> StoreResult<Notice>;

    // --- imports from the organisation system -----------------------------------
    /// Keeps a valid file for its member's administrators to look at and
    /// apply (`Actor::can_manage_gallery`).
    async fn save_import(&self, by: &Actor, i: NewImport) -> StoreResult<ImportRecord>;
    /// With its rows, while it waits.
    async fn get_import(&self, id: ImportId) -> StoreResult<Option<ImportRecord>>;
    /// A member's latest imports (at most `limit`), newest first, without rows.
    async fn list_imports(&self, member: MemberId, limit: u32) -> StoreResult<Vec<ImportRecord>>;
    /// Applies a waiting import in one transaction: compares its rows with
    /// the member's people or units as they are now (`import::plan_people`,
    /// `plan_units`) and makes them so, people who left on `today`. Applied
    /// already: `WrongState`. Rows that no longer fit (a unit they name was
    /// removed since): `Invalid` on `file`, and nothing changes. Only real
    /// changes are audited: a file applied twice adds nothing the second
    /// time.
    async fn apply_import(
        &self,
        by: &Actor,
        id: ImportId,
        today: NaiveDate,
    ) -> StoreResult<ImportOutcome>;
    async fn list_mailboxes(&self, member: MemberId) -> StoreResult<Vec<Mailbox>>;
    async fn create_mailbox(
        &self,
        by: &Actor,
        member: MemberId,
        m: MailboxInput,
    ) -> StoreResult<Mailbox>;
    async fn get_mailbox(&self, id: MailboxId) -> StoreResult<Option<Mailbox>>;
    async fn delete_mailbox(&self, by: &Actor, id: MailboxId) -> StoreResult<()>;
    /// Assignments of a member (`member`), of a role across members
    /// (`role`), or both; by role name, then from-date.
    async fn list_assignments(&self, f: &AssignmentFilter) -> StoreResult<Vec<Assignment>>;
    async fn get_assignment(&self, id: AssignmentId) -> StoreResult<Option<Assignment>>;
    /// Checks the role's rules (`gallery::check_assignment`) against the
    /// member's other assignments of it, in the writing transaction.
    async fn assign_role(
        &self,
        by: &Actor,
        member: MemberId,
        a: AssignmentInput,
    ) -> StoreResult<Assignment>;
    /// Ends an assignment on `on` (its last day); one that has not begun
    /// by then is removed.
    async fn end_assignment(&self, by: &Actor, id: AssignmentId, on: NaiveDate) -> StoreResult<()>;
    /// Who task `task` reaches on `day`, member by member (by name), by
    /// the rules of `recipients::resolve`. The members are the task's: those
    /// with an instance once it is published (closed, withdrawn), every
    /// member while it is a draft; `members` narrows them (a draft's
    /// intended audience, a filter). An unknown task: `NotFound`.
    async fn task_recipients(
        &self,
        task: TaskId,
        members: Option<&[MemberId]>,
        day: NaiveDate,
    ) -> StoreResult<TaskRecipients>;

    // --- users, sessions, API tokens ------------------------------------
    /// Creates a user (audited as `by`).
    async fn create_user(&self, by: &Actor, u: NewUser) -> StoreResult<User>;
    /// The user an identity provider's login names: found by `external_id`
    /// (and their name and e-mail brought up to date), or created as a
    /// member user of `member` on first login. `Forbidden` when the user
    /// exists under another member. Inactive users are returned as they are;
    /// the caller refuses them.
    async fn external_login(
        &self,
        external_id: &str,
        display_name: &str,
        email: &str,
        member: MemberId,
    ) -> StoreResult<User>;
    /// Users ordered by id: all of them, or one member's.
    async fn list_users(&self, member: Option<MemberId>) -> StoreResult<Vec<User>>;
    /// Changes a user's role, member and whether they may log in; ends
    /// their sessions and tokens when they are deactivated. `by` must be
    /// allowed to manage the user both before and after (`Forbidden`).
    async fn set_user_access(&self, by: &Actor, id: UserId, a: UserAccess) -> StoreResult<User>;
    /// A page of users matching `f` (issue 11).
    async fn search_users(&self, f: &UserFilter) -> StoreResult<UserPage>;
    /// Creates a set-password link for an active person (not a robot) whom
    /// `by` may manage, ending the user's earlier links; audited, never the
    /// secret. Another member's users are `NotFound` for a member
    /// administrator.
    async fn create_password_link(
        &self,
        by: &Actor,
        hash: &[u8],
        l: NewPasswordLink,
    ) -> StoreResult<PasswordLink>;
    /// The user of a live link (not used, not replaced, not expired at
    /// `now`, the user active), or `None`.
    async fn password_link_user(
        &self,
        hash: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<Option<User>>;
    /// Uses a live link once: sets the password, ends the link and every
    /// other link, session and API token of the user, and audits it as the
    /// user. `NotFound` when the link is not live (whatever the reason).
    async fn use_password_link(
        &self,
        hash: &[u8],
        password_hash: &str,
        now: DateTime<Utc>,
        request_id: Option<String>,
    ) -> StoreResult<User>;
    async fn user_by_username(&self, username: &str) -> StoreResult<Option<UserWithHash>>;
    async fn get_user(&self, id: UserId) -> StoreResult<Option<User>>;
    async fn count_users(&self) -> StoreResult<i64>;
    /// `kind` is "session" or "api"; `hash` is the SHA-256 of the secret.
    async fn create_credential(&self, kind: &str, hash: &[u8], c: Credential) -> StoreResult<()>;
    async fn get_credential(
        &self,
        kind: &str,
        hash: &[u8],
    ) -> StoreResult<Option<(Credential, User)>>;
    async fn touch_credential(&self, kind: &str, hash: &[u8], at: DateTime<Utc>)
    -> StoreResult<()>;
    async fn delete_credential(&self, kind: &str, hash: &[u8]) -> StoreResult<()>;
    /// Removes expired sessions and tokens (returns how many), failed-login
    /// counts older than a day and imports left unapplied for a week.
    async fn purge_credentials(&self, now: DateTime<Utc>) -> StoreResult<u64>;

    // --- projects ---------------------------------------------------------
    async fn list_projects(&self) -> StoreResult<Vec<Project>>;
    async fn get_project(&self, id: ProjectId) -> StoreResult<Option<Project>>;
    async fn create_project(&self, by: &Actor, p: ProjectInput) -> StoreResult<Project>;
    /// The central project staff assigned to a project.
    async fn project_staff(&self, id: ProjectId) -> StoreResult<Vec<User>>;
    /// Assigns (`on`) or unassigns a central staff user to a project.
    async fn set_project_staff(
        &self,
        by: &Actor,
        project: ProjectId,
        user: UserId,
        on: bool,
    ) -> StoreResult<()>;

    // --- robot tokens ---------------------------------------------------
    /// Creates a token for a robot user of `by`'s member (or any member, for
    /// central administrators); `hash` is the SHA-256 of its secret.
    async fn create_robot_token(
        &self,
        by: &Actor,
        hash: &[u8],
        t: NewRobotToken,
    ) -> StoreResult<RobotToken>;
    /// The token with this hash and its robot user, live or not.
    async fn robot_token_by_hash(&self, hash: &[u8]) -> StoreResult<Option<(RobotToken, User)>>;
    /// Records use, at most once a minute per token (the caller decides).
    async fn touch_robot_token(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()>;
    /// A member's tokens (all members' with `None`), newest first.
    async fn list_robot_tokens(&self, member: Option<MemberId>) -> StoreResult<Vec<RobotToken>>;
    /// Revokes a token of a member `by` may manage; revoking twice is fine.
    async fn revoke_robot_token(&self, by: &Actor, id: i64) -> StoreResult<RobotToken>;

    // --- audit ----------------------------------------------------------
    /// Appends an entry that is not a store change (a read, a login).
    /// `None` as the actor: an anonymous caller.
    async fn record_audit(&self, by: Option<&Actor>, e: AuditEntry) -> StoreResult<()>;
    async fn search_audit(&self, f: &AuditFilter) -> StoreResult<Vec<AuditEvent>>;

    // --- failed-login throttling ------------------------------------------
    /// Failures recorded under `key` in a window that started after
    /// `since`, and when that window started.
    async fn login_failures(
        &self,
        key: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<(i64, DateTime<Utc>)>>;
    /// Counts one failure under each key; a window older than `since`
    /// starts again at one.
    async fn add_login_failure(
        &self,
        keys: &[String],
        at: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn clear_login_failures(&self, key: &str) -> StoreResult<()>;
    /// Counts one login attempt under `key` before its password is checked,
    /// and returns the attempts in the current window, this one included,
    /// with when that window started; a window that started at or before
    /// `since` starts again at one. One statement, so of concurrent
    /// attempts each gets its own count and no two see the same one.
    async fn count_login_attempt(
        &self,
        key: &str,
        at: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> StoreResult<(i64, DateTime<Utc>)>;

    // --- single-use SAML assertions -------------------------------------------
    /// Marks the assertion `key` used until `expires_at`. False when it was
    /// already used: a replay. Atomic across instances.
    async fn use_assertion(&self, key: &str, expires_at: DateTime<Utc>) -> StoreResult<bool>;

    // --- tasks (central) ----------------------------------------------------
    /// Creates a draft. Unknown project or role: `Invalid`.
    async fn create_task(&self, actor: &Actor, t: TaskInput) -> StoreResult<Task>;
    /// Edits a draft (`WrongState` otherwise); `version` must match.
    async fn update_task(
        &self,
        actor: &Actor,
        id: TaskId,
        version: i64,
        t: TaskInput,
    ) -> StoreResult<Task>;
    async fn get_task(&self, id: TaskId) -> StoreResult<Option<Task>>;
    async fn list_tasks(&self, f: &TaskFilter) -> StoreResult<Vec<TaskSummary>>;
    /// One page of the tasks `q` finds, nearest end date first (then code),
    /// with the total found. The text is matched in the query, not after.
    async fn search_tasks(
        &self,
        q: &TaskSearch,
        page: PageRequest,
    ) -> StoreResult<Page<TaskSummary>>;
    /// Draft -> published, creating one instance per member of the audience.
    /// An unknown member in the audience: `Invalid`, nothing changes.
    async fn publish_task(
        &self,
        actor: &Actor,
        id: TaskId,
        audience: &Audience,
    ) -> StoreResult<Published>;
    /// Moves the end date of a draft or published task, keeping the old one
    /// and the reason in the history.
    async fn change_end_date(
        &self,
        actor: &Actor,
        id: TaskId,
        change: &EndDateChange,
    ) -> StoreResult<Task>;
    /// Published -> closed, or draft/published -> withdrawn.
    async fn set_task_state(&self, actor: &Actor, id: TaskId, to: TaskState) -> StoreResult<Task>;
    async fn task_history(&self, id: TaskId) -> StoreResult<Vec<TaskEvent>>;
    /// Records an end-date change that happened before Udrul (seed data).
    async fn import_end_date_change(
        &self,
        id: TaskId,
        from: NaiveDate,
        to: NaiveDate,
        reason: &str,
    ) -> StoreResult<()>;

    // --- instances (scoped) -----------------------------------------------
    /// Instances in `scope` of tasks members may see (published, closed),
    /// critical path first, then nearest end date; settled ones last.
    async fn list_instances(
        &self,
        scope: Scope,
        f: &InstanceFilter,
        page: PageRequest,
    ) -> StoreResult<Page<InstanceRow>>;
    /// `None` when it does not exist or lies outside `scope`, or its task is
    /// not visible to members and the scope is a member's.
    async fn get_instance(
        &self,
        scope: Scope,
        id: InstanceId,
    ) -> StoreResult<Option<InstanceDetail>>;
    /// Applies a member's update, appends it to the history. `version`, when
    /// given, must match (`VersionConflict`). A closed or withdrawn task:
    /// `WrongState`.
    async fn update_instance(
        &self,
        actor: &Actor,
        scope: Scope,
        id: InstanceId,
        version: Option<i64>,
        u: &InstanceUpdate,
    ) -> StoreResult<Instance>;
    async fn instance_history(
        &self,
        scope: Scope,
        id: InstanceId,
    ) -> StoreResult<Option<Vec<InstanceEvent>>>;
    /// Counts and the members not done, for central follow-up.
    async fn follow_up(&self, id: TaskId, f: &FollowUpFilter) -> StoreResult<FollowUp>;
    /// Sets statuses without the per-change rules, for demo and benchmark
    /// data. One history entry per instance, by `actor`, dated now.
    async fn seed_statuses(
        &self,
        actor: &Actor,
        task: TaskId,
        statuses: &[SeedStatus],
    ) -> StoreResult<()> {
        self.seed_statuses_at(actor, task, statuses, Utc::now())
            .await
    }
    /// `seed_statuses` dated `at` (the instances' "last changed" and their
    /// history entry), so demo data can show changes spread over past weeks.
    /// For seeding only: nothing checks that `at` is not in the future or
    /// earlier than the instance's last change.
    async fn seed_statuses_at(
        &self,
        actor: &Actor,
        task: TaskId,
        statuses: &[SeedStatus],
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
}
