//! Who a task reaches (issue 4): a task targets catalogue roles by name, and
//! each member's role gallery turns those names into people and function
//! mailboxes. Central staff see the result on the task before publishing,
//! so that an unfilled role or a missing address is found before the
//! information fails to arrive.
//!
//! The rules, for one member on one day ([`resolve`]):
//!
//! - A **holder** of a target role is an assignment that holds on the day
//!   ([`Assignment::on`]) of a person who has not left. A holder with an
//!   e-mail address is a recipient; one without is listed as *unreachable*
//!   (they hold the role, but no mail can reach them). People who left are
//!   neither: they are not counted at all.
//! - A **role mailbox** (a function mailbox of a target role) is a recipient
//!   of that role.
//! - A target role with neither a holder with an address nor a role mailbox
//!   is a **gap** at the member. The member's **general mailbox** (a mailbox
//!   without a role; all of them, if it has several) then receives the task
//!   instead, marked as a fallback for those roles. The gap still counts:
//!   the general mailbox is a way in, not a holder. A gap at a member with no
//!   general mailbox reaches nobody there ([`MemberReach::unreached_roles`]).
//! - A task **without target roles** reaches each member's general mailbox;
//!   nothing is a gap then, but a member without a general mailbox is
//!   reached by nobody.
//! - **One address is one recipient** per member, compared without case and
//!   surrounding spaces: a person holding two target roles is one recipient
//!   with both roles, and a role mailbox with the address of a person
//!   already listed adds its role to that person rather than a second line.
//!   The first to reach an address names it (people by name, then role
//!   mailboxes). A general mailbox whose address is already reached adds
//!   nothing: that address gets the task anyway.
//! - **Primary** is per role: a recipient is primary for the roles whose
//!   assignment is marked primary. Only the primary gets some mail (a later
//!   issue); here it is shown.
//!
//! Roles are matched by name, as tasks name them; within a recipient they
//! come in the task's order. People are listed by name, then mailboxes (role
//! mailboxes before general ones, each by name).

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::gallery::{Assignment, Mailbox};
use crate::model::{MailboxId, Member, PersonId, TaskId, TaskState};

/// A role through which a recipient is reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReachedAs {
    pub role: String,
    /// The recipient is the role's primary holder at the member.
    pub primary: bool,
}

/// What a recipient is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RecipientKind {
    /// A person holding one or more target roles.
    Person(PersonId),
    /// A function mailbox of one or more target roles.
    RoleMailbox(MailboxId),
    /// The member's general mailbox: for a task without target roles, or
    /// as the fallback for target roles that reach nobody (`fallback`).
    General(MailboxId),
}

/// One address a task reaches at a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recipient {
    pub kind: RecipientKind,
    pub name: String,
    pub email: String,
    /// The target roles it is reached through, in the task's order. For a
    /// general mailbox used as a fallback: the roles it stands in for.
    pub roles: Vec<ReachedAs>,
    /// Reached only because target roles reach nobody else (a general
    /// mailbox standing in for the gaps).
    pub fallback: bool,
}

impl Recipient {
    pub fn is_person(&self) -> bool {
        matches!(self.kind, RecipientKind::Person(_))
    }

    /// Primary for at least one of its roles.
    pub fn is_primary(&self) -> bool {
        self.roles.iter().any(|r| r.primary)
    }

    /// The role names, in the task's order.
    pub fn role_names(&self) -> Vec<&str> {
        self.roles.iter().map(|r| r.role.as_str()).collect()
    }
}

/// A holder of a target role that no mail reaches: no e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unreachable {
    pub person_id: PersonId,
    pub name: String,
    pub roles: Vec<ReachedAs>,
}

/// Who a task reaches at one member.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MemberReach {
    /// People, by name.
    pub people: Vec<Recipient>,
    /// Role mailboxes, then general mailboxes.
    pub mailboxes: Vec<Recipient>,
    /// Holders without an e-mail address.
    pub unreachable: Vec<Unreachable>,
    /// Target roles that reach nobody at the member (no holder with an
    /// address, no role mailbox), in the task's order.
    pub gaps: Vec<String>,
    /// The member has no general mailbox.
    pub no_general_mailbox: bool,
}

impl MemberReach {
    /// Every recipient: people, then mailboxes.
    pub fn all(&self) -> impl Iterator<Item = &Recipient> {
        self.people.iter().chain(&self.mailboxes)
    }

    /// The task reaches no address at the member.
    pub fn reaches_nobody(&self) -> bool {
        self.people.is_empty() && self.mailboxes.is_empty()
    }

    pub fn has_gaps(&self) -> bool {
        !self.gaps.is_empty()
    }

    /// Gaps that not even a general mailbox covers: for these roles the
    /// information does not arrive at all.
    pub fn unreached_roles(&self) -> &[String] {
        if self.no_general_mailbox {
            &self.gaps
        } else {
            &[]
        }
    }

    /// Needs central staff's attention: a gap, a holder without an address,
    /// or nobody reached.
    pub fn needs_attention(&self) -> bool {
        self.has_gaps() || !self.unreachable.is_empty() || self.reaches_nobody()
    }
}

fn address_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Adds `role` (primary or not) to `roles`, keeping one entry per role; a
/// role reached as primary stays primary.
fn add_role(roles: &mut Vec<ReachedAs>, role: &str, primary: bool) {
    match roles.iter_mut().find(|r| r.role == role) {
        Some(r) => r.primary |= primary,
        None => roles.push(ReachedAs {
            role: role.to_string(),
            primary,
        }),
    }
}

/// Sorts `roles` into the task's order.
fn task_order(roles: &mut [ReachedAs], target_roles: &[String]) {
    roles.sort_by_key(|r| target_roles.iter().position(|t| *t == r.role));
}

/// The recipients of one member so far, one per address.
#[derive(Default)]
struct Lines {
    list: Vec<Recipient>,
    by_address: HashMap<String, usize>,
}

impl Lines {
    fn has(&self, email: &str) -> bool {
        self.by_address.contains_key(&address_key(email))
    }

    /// The line of `email`, made with `kind` and `name` if it is new.
    fn line(&mut self, kind: RecipientKind, name: &str, email: &str) -> &mut Recipient {
        let list = &mut self.list;
        let at = *self
            .by_address
            .entry(address_key(email))
            .or_insert_with(|| {
                list.push(Recipient {
                    kind,
                    name: name.to_string(),
                    email: email.trim().to_string(),
                    roles: Vec::new(),
                    fallback: false,
                });
                list.len() - 1
            });
        &mut self.list[at]
    }
}

/// Who a task targeting `target_roles` reaches at one member on `day`,
/// from that member's `assignments` and `mailboxes`. The rules are in the
/// module documentation.
pub fn resolve(
    target_roles: &[String],
    assignments: &[Assignment],
    mailboxes: &[Mailbox],
    day: NaiveDate,
) -> MemberReach {
    let targeted = |name: &str| target_roles.iter().any(|t| t == name);
    let by_name =
        |a: &&Mailbox, b: &&Mailbox| (a.name.as_str(), a.id).cmp(&(b.name.as_str(), b.id));
    let mut lines = Lines::default();
    let mut reached: Vec<&str> = Vec::new();

    // Holders, by name, so that the order does not depend on the store's.
    let mut holders: Vec<&Assignment> = assignments
        .iter()
        .filter(|a| targeted(&a.role_name) && a.on(day) && !a.person_left)
        .collect();
    holders.sort_by(|a, b| {
        (a.person_name.as_str(), a.person_id).cmp(&(b.person_name.as_str(), b.person_id))
    });
    let mut unreachable: Vec<Unreachable> = Vec::new();
    for a in holders {
        if a.person_email.trim().is_empty() {
            let at = match unreachable.iter().position(|u| u.person_id == a.person_id) {
                Some(i) => i,
                None => {
                    unreachable.push(Unreachable {
                        person_id: a.person_id,
                        name: a.person_name.clone(),
                        roles: Vec::new(),
                    });
                    unreachable.len() - 1
                }
            };
            add_role(&mut unreachable[at].roles, &a.role_name, a.is_primary);
            continue;
        }
        let line = lines.line(
            RecipientKind::Person(a.person_id),
            &a.person_name,
            &a.person_email,
        );
        add_role(&mut line.roles, &a.role_name, a.is_primary);
        reached.push(&a.role_name);
    }

    // Role mailboxes.
    let mut role_boxes: Vec<(&Mailbox, &str)> = Vec::new();
    for m in mailboxes {
        if let (Some(_), Some(role)) = (m.role_id, m.role_name.as_deref())
            && targeted(role)
            && !m.email.trim().is_empty()
        {
            role_boxes.push((m, role));
        }
    }
    role_boxes.sort_by(|a, b| by_name(&a.0, &b.0));
    for (m, role) in role_boxes {
        let line = lines.line(RecipientKind::RoleMailbox(m.id), &m.name, &m.email);
        add_role(&mut line.roles, role, false);
        reached.push(role);
    }

    let mut gaps: Vec<String> = Vec::new();
    for t in target_roles {
        if !reached.contains(&t.as_str()) && !gaps.contains(t) {
            gaps.push(t.clone());
        }
    }

    // General mailboxes: for a task without target roles, or standing in
    // for the gaps. One whose address is already reached adds nothing: the
    // address gets the task anyway, and its line keeps its own roles.
    let mut general: Vec<&Mailbox> = mailboxes
        .iter()
        .filter(|m| m.role_id.is_none() && !m.email.trim().is_empty())
        .collect();
    let no_general_mailbox = general.is_empty();
    if target_roles.is_empty() || !gaps.is_empty() {
        general.sort_by(by_name);
        for m in general {
            if lines.has(&m.email) {
                continue;
            }
            let line = lines.line(RecipientKind::General(m.id), &m.name, &m.email);
            line.fallback = !target_roles.is_empty();
            for g in &gaps {
                add_role(&mut line.roles, g, false);
            }
        }
    }

    for r in &mut lines.list {
        task_order(&mut r.roles, target_roles);
    }
    for u in &mut unreachable {
        task_order(&mut u.roles, target_roles);
    }
    let (people, mut boxes): (Vec<Recipient>, Vec<Recipient>) =
        lines.list.into_iter().partition(Recipient::is_person);
    // Role mailboxes before general ones; each group stays by name.
    boxes.sort_by_key(|r| matches!(r.kind, RecipientKind::General(_)));
    MemberReach {
        people,
        mailboxes: boxes,
        unreachable,
        gaps,
        no_general_mailbox,
    }
}

/// Who a task reaches, member by member: what `Store::task_recipients`
/// returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskRecipients {
    pub task_id: TaskId,
    pub state: TaskState,
    pub target_roles: Vec<String>,
    pub day: NaiveDate,
    /// By member name.
    pub members: Vec<MemberRecipients>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberRecipients {
    pub member: Member,
    pub reach: MemberReach,
}

/// The counts a task page shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RecipientCounts {
    /// Members resolved.
    pub members: usize,
    /// Members with at least one recipient.
    pub members_reached: usize,
    /// People with an address, counted once per member.
    pub people: usize,
    /// Mailboxes (role and general) used.
    pub mailboxes: usize,
    /// Members where a target role reaches nobody.
    pub members_with_gaps: usize,
    /// Members reached by no address at all.
    pub members_unreached: usize,
    /// Holders without an e-mail address.
    pub unreachable_people: usize,
}

impl TaskRecipients {
    pub fn counts(&self) -> RecipientCounts {
        let mut c = RecipientCounts {
            members: self.members.len(),
            ..RecipientCounts::default()
        };
        for m in &self.members {
            let r = &m.reach;
            c.people += r.people.len();
            c.mailboxes += r.mailboxes.len();
            c.unreachable_people += r.unreachable.len();
            if r.reaches_nobody() {
                c.members_unreached += 1;
            } else {
                c.members_reached += 1;
            }
            if r.has_gaps() {
                c.members_with_gaps += 1;
            }
        }
        c
    }

    /// Members needing attention first (gaps, holders without an address,
    /// nobody reached), each group in the store's order (by name).
    pub fn attention_first(&mut self) {
        self.members.sort_by_key(|m| !m.reach.needs_attention());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AssignmentId, MemberId, RoleId};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    const DAY: &str = "2026-06-01";

    fn role_id(name: &str) -> RoleId {
        RoleId(name.len() as i64)
    }

    fn held(person: i64, name: &str, email: &str, role: &str, primary: bool) -> Assignment {
        Assignment {
            id: AssignmentId(person * 100 + role.len() as i64),
            member_id: MemberId(1),
            role_id: role_id(role),
            role_name: role.into(),
            person_id: PersonId(person),
            person_name: name.into(),
            person_email: email.into(),
            person_left: false,
            valid_from: d("2026-01-01"),
            valid_to: None,
            is_primary: primary,
        }
    }

    fn mailbox(id: i64, role: Option<&str>, name: &str, email: &str) -> Mailbox {
        Mailbox {
            id: MailboxId(id),
            member_id: MemberId(1),
            role_id: role.map(role_id),
            role_name: role.map(str::to_string),
            name: name.into(),
            email: email.into(),
        }
    }

    fn roles(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn emails(rs: &[Recipient]) -> Vec<&str> {
        rs.iter().map(|r| r.email.as_str()).collect()
    }

    #[test]
    fn current_holders_with_an_address_are_reached_with_their_roles() {
        let target = roles(&["Infra", "Programleder"]);
        let mut ended = held(3, "Carl", "carl@k.dk", "Infra", false);
        ended.valid_to = Some(d("2026-05-31"));
        let mut future = held(4, "Dora", "dora@k.dk", "Infra", false);
        future.valid_from = d("2026-06-02");
        let mut left = held(5, "Erik", "erik@k.dk", "Infra", false);
        left.person_left = true;
        let a = [
            held(2, "Bo", "bo@k.dk", "Programleder", true),
            held(1, "Anne", "anne@k.dk", "Infra", false),
            held(6, "Frede", "frede@k.dk", "Andet", false),
            ended,
            future,
            left,
        ];
        let r = resolve(&target, &a, &[], d(DAY));
        // Only current holders of target roles who have not left; by name.
        assert_eq!(emails(&r.people), ["anne@k.dk", "bo@k.dk"]);
        assert_eq!(r.people[1].roles[0].role, "Programleder");
        assert!(r.people[1].is_primary() && !r.people[0].is_primary());
        assert!(r.gaps.is_empty() && r.mailboxes.is_empty() && !r.needs_attention());
        // The same assignments on the last day of Carl's: he is reached too.
        let r = resolve(&target, &a, &[], d("2026-05-31"));
        assert_eq!(emails(&r.people), ["anne@k.dk", "bo@k.dk", "carl@k.dk"]);
    }

    #[test]
    fn one_address_is_one_recipient_with_every_role() {
        let target = roles(&["B-rolle", "A-rolle"]);
        let a = [
            held(1, "Anne", "anne@k.dk", "A-rolle", false),
            held(1, "Anne", "anne@k.dk", "B-rolle", true),
            // A second person with Anne's address, written differently.
            held(2, "Anne (vikar)", " ANNE@k.dk ", "A-rolle", false),
        ];
        let boxes = [mailbox(9, Some("B-rolle"), "B-postkasse", "anne@K.dk")];
        let r = resolve(&target, &a, &boxes, d(DAY));
        assert_eq!(r.people.len(), 1, "{r:?}");
        let anne = &r.people[0];
        assert_eq!(anne.name, "Anne");
        // In the task's order, primary for B only.
        assert_eq!(anne.role_names(), ["B-rolle", "A-rolle"]);
        assert_eq!(
            anne.roles.iter().map(|x| x.primary).collect::<Vec<_>>(),
            [true, false]
        );
        assert!(r.mailboxes.is_empty(), "the mailbox has Anne's address");
    }

    #[test]
    fn a_role_reaching_nobody_falls_back_to_the_general_mailbox() {
        let target = roles(&["Infra", "Økonomi", "ESDH"]);
        let a = [
            held(1, "Anne", "anne@k.dk", "Infra", true),
            // Holds ESDH but has no address: listed, not reached.
            held(2, "Bo", "", "ESDH", false),
        ];
        let boxes = [
            mailbox(1, None, "Kommunen", "post@k.dk"),
            mailbox(2, Some("Andet"), "Andet", "andet@k.dk"),
        ];
        let r = resolve(&target, &a, &boxes, d(DAY));
        assert_eq!(r.gaps, roles(&["Økonomi", "ESDH"]));
        assert_eq!(emails(&r.mailboxes), ["post@k.dk"]);
        let general = &r.mailboxes[0];
        assert!(general.fallback && matches!(general.kind, RecipientKind::General(_)));
        assert_eq!(general.role_names(), ["Økonomi", "ESDH"]);
        assert_eq!(r.unreachable.len(), 1);
        assert_eq!(r.unreachable[0].name, "Bo");
        assert!(r.needs_attention() && r.unreached_roles().is_empty());

        // A role mailbox fills the role: no gap, no fallback.
        let mut boxes = boxes.to_vec();
        boxes.push(mailbox(3, Some("Økonomi"), "Økonomi", "oekonomi@k.dk"));
        boxes.push(mailbox(4, Some("ESDH"), "ESDH", "esdh@k.dk"));
        let r = resolve(&target, &a, &boxes, d(DAY));
        assert!(r.gaps.is_empty());
        assert_eq!(emails(&r.mailboxes), ["esdh@k.dk", "oekonomi@k.dk"]);

        // No general mailbox either: the gaps reach nobody.
        let r = resolve(&target, &a, &[], d(DAY));
        assert_eq!(r.unreached_roles(), roles(&["Økonomi", "ESDH"]));
        let r = resolve(&roles(&["ESDH"]), &a, &[], d(DAY));
        assert!(r.reaches_nobody() && r.no_general_mailbox);
    }

    #[test]
    fn a_task_without_target_roles_reaches_the_general_mailbox() {
        let a = [held(1, "Anne", "anne@k.dk", "Infra", true)];
        let boxes = [
            mailbox(1, None, "Kommunen", "post@k.dk"),
            mailbox(2, Some("Infra"), "Infra", "infra@k.dk"),
        ];
        let r = resolve(&[], &a, &boxes, d(DAY));
        assert!(r.people.is_empty() && r.gaps.is_empty());
        assert_eq!(emails(&r.mailboxes), ["post@k.dk"]);
        assert!(!r.mailboxes[0].fallback && r.mailboxes[0].roles.is_empty());
        let r = resolve(&[], &a, &[], d(DAY));
        assert!(r.reaches_nobody() && !r.has_gaps() && r.needs_attention());
    }

    #[test]
    fn a_general_mailbox_with_a_holders_address_is_not_a_second_line() {
        let target = roles(&["Infra", "Økonomi"]);
        let a = [held(1, "Anne", "post@k.dk", "Infra", false)];
        let boxes = [mailbox(1, None, "Kommunen", "post@k.dk")];
        let r = resolve(&target, &a, &boxes, d(DAY));
        assert_eq!(r.gaps, roles(&["Økonomi"]));
        assert_eq!(r.people.len(), 1);
        assert!(r.mailboxes.is_empty());
        // Anne is reached as herself: not marked as standing in for Økonomi.
        assert_eq!(r.people[0].role_names(), ["Infra"]);
        assert!(!r.people[0].fallback);
    }

    #[test]
    fn counts_add_up_over_members_and_attention_comes_first() {
        let member = |id: i64, name: &str| Member {
            id: MemberId(id),
            code: id.to_string(),
            name: name.into(),
            region: String::new(),
            network: String::new(),
        };
        let target = roles(&["Infra"]);
        let full = resolve(
            &target,
            &[held(1, "Anne", "anne@k.dk", "Infra", true)],
            &[mailbox(1, None, "Post", "post@k.dk")],
            d(DAY),
        );
        let gap = resolve(
            &target,
            &[],
            &[mailbox(2, None, "Post", "post@b.dk")],
            d(DAY),
        );
        let nobody = resolve(&target, &[], &[], d(DAY));
        let mut t = TaskRecipients {
            task_id: TaskId(1),
            state: TaskState::Draft,
            target_roles: target,
            day: d(DAY),
            members: vec![
                MemberRecipients {
                    member: member(1, "A"),
                    reach: full,
                },
                MemberRecipients {
                    member: member(2, "B"),
                    reach: gap,
                },
                MemberRecipients {
                    member: member(3, "C"),
                    reach: nobody,
                },
            ],
        };
        let c = t.counts();
        assert_eq!(
            (c.members, c.members_reached, c.people, c.mailboxes),
            (3, 2, 1, 1)
        );
        assert_eq!((c.members_with_gaps, c.members_unreached), (2, 1));
        t.attention_first();
        let order: Vec<&str> = t.members.iter().map(|m| m.member.name.as_str()).collect();
        assert_eq!(order, ["B", "C", "A"]);
    }
}
