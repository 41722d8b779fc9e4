//! Who is asking, and what they may see. Tenant scoping is decided here once
//! (`Actor::scope`) and enforced by the store's queries, which take a `Scope`.

use serde::{Deserialize, Serialize};

use crate::model::{MemberId, UserId};

/// The access roles of issue 2. Issue 3 adds auditor and robot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessRole {
    CentralAdmin,
    CentralStaff,
    MemberAdmin,
    MemberUser,
}

impl AccessRole {
    pub const ALL: [AccessRole; 4] = [
        AccessRole::CentralAdmin,
        AccessRole::CentralStaff,
        AccessRole::MemberAdmin,
        AccessRole::MemberUser,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccessRole::CentralAdmin => "central_admin",
            AccessRole::CentralStaff => "central_staff",
            AccessRole::MemberAdmin => "member_admin",
            AccessRole::MemberUser => "member_user",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn is_central(self) -> bool {
        matches!(self, AccessRole::CentralAdmin | AccessRole::CentralStaff)
    }
}

/// The rows a query may return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Central staff: every member.
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
    /// Set for member roles, `None` for central roles.
    pub member_id: Option<MemberId>,
}

impl Actor {
    pub fn is_central(&self) -> bool {
        self.role.is_central()
    }

    /// Central roles see all members; a member role sees its own member.
    /// A member role without a member (a broken account) sees nothing: it
    /// gets a scope no member has.
    pub fn scope(&self) -> Scope {
        if self.is_central() {
            Scope::All
        } else {
            Scope::Member(self.member_id.unwrap_or(MemberId(-1)))
        }
    }

    /// Drafting, publishing and following up tasks.
    pub fn can_manage_tasks(&self) -> bool {
        self.is_central()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_scope_is_own_member_only() {
        let a = Actor {
            user_id: UserId(1),
            display_name: "x".into(),
            role: AccessRole::MemberUser,
            member_id: Some(MemberId(7)),
        };
        assert!(a.scope().allows(MemberId(7)));
        assert!(!a.scope().allows(MemberId(8)));
        assert!(!a.can_manage_tasks());
    }

    #[test]
    fn member_role_without_member_sees_nothing() {
        let a = Actor {
            user_id: UserId(1),
            display_name: "x".into(),
            role: AccessRole::MemberAdmin,
            member_id: None,
        };
        assert!(!a.scope().allows(MemberId(1)));
    }

    #[test]
    fn roles_round_trip() {
        for r in AccessRole::ALL {
            assert_eq!(AccessRole::parse(r.as_str()), Some(r));
        }
        assert_eq!(AccessRole::parse("root"), None);
    }
}
