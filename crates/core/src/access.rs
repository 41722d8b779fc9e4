//! Who is asking, and what they may see and do. Tenant scoping is decided
//! here once (`Actor::scope`) and enforced by the store's queries, which
//! take a `Scope`; what an actor may change is decided by the `Actor::may_*`
//! methods, which both the web edge (for a clear 403) and the store (so that
//! no path can forget) ask.

use serde::{Deserialize, Serialize};

use crate::model::{MemberId, UserId};

/// The access roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessRole {
    /// Everything, including users and the audit log.
    CentralAdmin,
    /// Central project staff: reads everything central, changes the tasks
    /// of the projects they are assigned to.
    CentralStaff,
    /// A member's administrator: the member's tasks, users and robots.
    MemberAdmin,
    /// A member's caseworker: the member's tasks.
    MemberUser,
    /// Reads everything, including the audit log; changes nothing.
    Auditor,
    /// A member's RPA robot: only through API tokens, only what each token
    /// allows; never a login session.
    Robot,
}

impl AccessRole {
    pub const ALL: [AccessRole; 6] = [
        AccessRole::CentralAdmin,
        AccessRole::CentralStaff,
        AccessRole::MemberAdmin,
        AccessRole::MemberUser,
        AccessRole::Auditor,
        AccessRole::Robot,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccessRole::CentralAdmin => "central_admin",
            AccessRole::CentralStaff => "central_staff",
            AccessRole::MemberAdmin => "member_admin",
            AccessRole::MemberUser => "member_user",
            AccessRole::Auditor => "auditor",
            AccessRole::Robot => "robot",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The central organisation's own roles (task authors).
    pub fn is_central(self) -> bool {
        matches!(self, AccessRole::CentralAdmin | AccessRole::CentralStaff)
    }

    /// Roles that belong to one member and must name it.
    pub fn needs_member(self) -> bool {
        matches!(
            self,
            AccessRole::MemberAdmin | AccessRole::MemberUser | AccessRole::Robot
        )
    }

    /// The roles a member administrator may give to their member's users.
    pub fn member_assignable(self) -> bool {
        self.needs_member()
    }
}

/// What a robot token may do, beyond reading who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    /// List and read the member's task instances and their history.
    InstancesRead,
    /// Change the member's task instances (status, responsible, doer).
    InstancesWrite,
    /// Keep the member's people and org units in step with its
    /// organisation system (SCIM provisioning).
    PeopleWrite,
}

impl Permission {
    pub const ALL: [Permission; 3] = [
        Permission::InstancesRead,
        Permission::InstancesWrite,
        Permission::PeopleWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::InstancesRead => "instances:read",
            Permission::InstancesWrite => "instances:write",
            Permission::PeopleWrite => "people:write",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    fn bit(self) -> u32 {
        match self {
            Permission::InstancesRead => 1,
            Permission::InstancesWrite => 2,
            Permission::PeopleWrite => 4,
        }
    }
}

/// A set of permissions, stored as a small integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Permissions(u32);

impl Permissions {
    pub fn of(ps: &[Permission]) -> Self {
        Permissions(ps.iter().fold(0, |acc, p| acc | p.bit()))
    }

    pub fn from_bits(bits: i64) -> Self {
        let all = Permission::ALL.iter().fold(0, |acc, p| acc | p.bit());
        Permissions(u32::try_from(bits).unwrap_or(0) & all)
    }

    pub fn bits(self) -> i64 {
        i64::from(self.0)
    }

    pub fn has(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    pub fn list(self) -> Vec<Permission> {
        Permission::ALL
            .into_iter()
            .filter(|p| self.has(*p))
            .collect()
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// How the actor reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Via {
    /// A login session or an API token from a password login.
    #[default]
    Person,
    /// A robot token with these permissions.
    Robot {
        token_id: i64,
        permissions: Permissions,
    },
    /// The command line, demo seeding, migrations: no person.
    System,
}

/// The rows a query may return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Central staff and auditors: every member.
    All,
    /// A member's people: that member only.
    Member(MemberId),
}

impl Scope {
    pub fn allows(self, member: MemberId) -> bool {
        match self {
            Scope::All => true,
            Scope::Member(m) => m == member,
        }
    }
}

/// An authenticated user acting in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub display_name: String,
    pub role: AccessRole,
    /// Set for member roles, `None` for central roles and auditors.
    pub member_id: Option<MemberId>,
    pub via: Via,
    /// The request's id (`x-request-id`), for the audit log.
    pub request_id: Option<String>,
}

impl Actor {
    /// A person acting through a session or a password-login API token.
    pub fn person(
        user_id: UserId,
        display_name: impl Into<String>,
        role: AccessRole,
        member_id: Option<MemberId>,
    ) -> Actor {
        Actor {
            user_id,
            display_name: display_name.into(),
            role,
            member_id,
            via: Via::Person,
            request_id: None,
        }
    }

    /// The system itself (command line, seeding). Its `user_id` is 0, which
    /// no user has; the audit log records it as the system.
    pub fn system() -> Actor {
        Actor {
            user_id: UserId(0),
            display_name: "system".into(),
            role: AccessRole::CentralAdmin,
            member_id: None,
            via: Via::System,
            request_id: None,
        }
    }

    pub fn is_central(&self) -> bool {
        self.role.is_central()
    }

    pub fn is_robot(&self) -> bool {
        matches!(self.via, Via::Robot { .. })
    }

    pub fn is_system(&self) -> bool {
        self.via == Via::System
    }

    /// Central roles and auditors see all members; a member role sees its
    /// own member. A member role without a member (a broken account) sees
    /// nothing: it gets a scope no member has.
    pub fn scope(&self) -> Scope {
        if self.is_central() || self.role == AccessRole::Auditor {
            Scope::All
        } else {
            Scope::Member(self.member_id.unwrap_or(MemberId(-1)))
        }
    }

    /// Reading the central views (task lists, follow-up): central roles and
    /// auditors.
    pub fn can_read_central(&self) -> bool {
        self.is_central() || self.role == AccessRole::Auditor
    }

    /// Drafting, publishing and following up tasks. Project staff are
    /// further limited to their projects, which the store checks.
    pub fn can_manage_tasks(&self) -> bool {
        self.is_central()
    }

    /// Creating projects and assigning staff to them.
    pub fn can_manage_projects(&self) -> bool {
        self.role == AccessRole::CentralAdmin
    }

    /// Reading member task instances (all of them for the roles with
    /// `Scope::All`); robots only with `instances:read`.
    pub fn can_read_instances(&self) -> bool {
        match self.via {
            Via::Robot { permissions, .. } => permissions.has(Permission::InstancesRead),
            _ => true,
        }
    }

    /// Changing task instances: members (their own), central roles (any, on
    /// a member's behalf), robots with `instances:write`; never auditors.
    pub fn can_update_instances(&self) -> bool {
        match self.via {
            Via::Robot { permissions, .. } => permissions.has(Permission::InstancesWrite),
            // Instance history names a user; the system is none.
            Via::System => false,
            Via::Person => self.role != AccessRole::Auditor && self.role != AccessRole::Robot,
        }
    }

    /// Managing users: central administrators all of them, member
    /// administrators their own member's.
    pub fn can_manage_users(&self) -> bool {
        !self.is_robot()
            && matches!(
                self.role,
                AccessRole::CentralAdmin | AccessRole::MemberAdmin
            )
    }

    /// Whether this actor may manage the user accounts of `member` (`None`:
    /// central and auditor accounts) and give them `role`.
    pub fn can_manage_user(&self, member: Option<MemberId>, role: AccessRole) -> bool {
        if self.is_robot() {
            return false;
        }
        match self.role {
            AccessRole::CentralAdmin => true,
            AccessRole::MemberAdmin => {
                role.member_assignable() && member.is_some() && member == self.member_id
            }
            _ => false,
        }
    }

    /// Reading, searching and exporting the audit log.
    /// Keeping the role catalogue (names, rules, scope).
    pub fn can_manage_catalogue(&self) -> bool {
        !self.is_robot() && self.role == AccessRole::CentralAdmin
    }

    /// Keeping `member`'s people, org units, mailboxes and role gallery:
    /// its member administrators, and central administrators.
    pub fn can_manage_gallery(&self, member: MemberId) -> bool {
        !self.is_robot()
            && match self.role {
                AccessRole::CentralAdmin => true,
                AccessRole::MemberAdmin => self.member_id == Some(member),
                _ => false,
            }
    }

    /// Keeping `member`'s people and org units, as an import or an identity
    /// provider does: those who keep its gallery, and its robots with
    /// `people:write`. Leaving ends a person's roles, so this also ends
    /// assignments, but never makes them.
    pub fn can_sync_people(&self, member: MemberId) -> bool {
        match self.via {
            Via::Robot { permissions, .. } => {
                permissions.has(Permission::PeopleWrite) && self.member_id == Some(member)
            }
            _ => self.can_manage_gallery(member),
        }
    }

    /// Reading `member`'s role gallery and contact list: its own people,
    /// and the central organisation (staff, administrators, auditors).
    pub fn can_read_gallery(&self, member: MemberId) -> bool {
        !self.is_robot() && (self.can_read_central() || self.member_id == Some(member))
    }

    pub fn can_read_audit(&self) -> bool {
        !self.is_robot() && matches!(self.role, AccessRole::CentralAdmin | AccessRole::Auditor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_scope_is_own_member_only() {
        let a = Actor::person(UserId(1), "x", AccessRole::MemberUser, Some(MemberId(7)));
        assert!(a.scope().allows(MemberId(7)));
        assert!(!a.scope().allows(MemberId(8)));
        assert!(!a.can_manage_tasks());
    }

    #[test]
    fn member_role_without_member_sees_nothing() {
        let a = Actor::person(UserId(1), "x", AccessRole::MemberAdmin, None);
        assert!(!a.scope().allows(MemberId(1)));
    }

    #[test]
    fn roles_round_trip() {
        for r in AccessRole::ALL {
            assert_eq!(AccessRole::parse(r.as_str()), Some(r));
        }
        assert_eq!(AccessRole::parse("root"), None);
    }

    #[test]
    fn auditor_reads_everything_and_changes_nothing() {
        let a = Actor::person(UserId(1), "x", AccessRole::Auditor, None);
        assert_eq!(a.scope(), Scope::All);
        assert!(a.can_read_central() && a.can_read_audit() && a.can_read_instances());
        assert!(!a.can_manage_tasks() && !a.can_update_instances() && !a.can_manage_users());
    }

    #[test]
    fn robots_do_what_their_token_allows() {
        let mut a = Actor::person(UserId(1), "r", AccessRole::Robot, Some(MemberId(3)));
        a.via = Via::Robot {
            token_id: 1,
            permissions: Permissions::of(&[Permission::InstancesRead]),
        };
        assert_eq!(a.scope(), Scope::Member(MemberId(3)));
        assert!(a.can_read_instances());
        assert!(!a.can_update_instances() && !a.can_manage_users() && !a.can_read_audit());
        a.via = Via::Robot {
            token_id: 1,
            permissions: Permissions::of(&[Permission::InstancesWrite]),
        };
        assert!(a.can_update_instances() && !a.can_read_instances());
    }

    #[test]
    fn member_admin_manages_own_member_only() {
        let a = Actor::person(UserId(1), "x", AccessRole::MemberAdmin, Some(MemberId(3)));
        assert!(a.can_manage_user(Some(MemberId(3)), AccessRole::Robot));
        assert!(!a.can_manage_user(Some(MemberId(4)), AccessRole::MemberUser));
        assert!(!a.can_manage_user(Some(MemberId(3)), AccessRole::CentralAdmin));
        assert!(!a.can_manage_user(None, AccessRole::Auditor));
    }

    #[test]
    fn permissions_round_trip() {
        let p = Permissions::of(&Permission::ALL);
        assert_eq!(Permissions::from_bits(p.bits()), p);
        assert_eq!(Permissions::from_bits(1 << 20), Permissions::default());
        for q in Permission::ALL {
            assert_eq!(Permission::parse(q.as_str()), Some(q));
        }
    }
}
