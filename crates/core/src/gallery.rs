//! The role gallery (issue 4): a member's people, org units and function
//! mailboxes, and who holds which catalogue role from when to when. The
//! member's contact list and a task's recipients are derived from it.
//!
//! The rules about dates live here as pure functions, so the store applies
//! exactly what the tests check: at no date may a member have more holders
//! of a role than the catalogue allows, or more than one primary holder.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::input::{FieldErrors, MAX_PROJECT_DESCRIPTION, MAX_SHORT};
use crate::model::{
    AssignmentId, MailboxId, MemberId, NoticeId, OrgUnitId, PersonId, ProjectId, RoleId,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgUnit {
    pub id: OrgUnitId,
    pub member_id: MemberId,
    pub external_id: Option<String>,
    pub name: String,
    pub parent_id: Option<OrgUnitId>,
    /// An import no longer lists it.
    pub removed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub id: PersonId,
    pub member_id: MemberId,
    /// The organisation system's user UUID.
    pub external_id: Option<String>,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub title: String,
    pub org_unit_id: Option<OrgUnitId>,
    pub org_unit_name: Option<String>,
    /// When they left (removed by hand, import or SCIM); their history stays.
    pub left_at: Option<DateTime<Utc>>,
    /// The identity provider's `userName` (an Entra ID user principal name,
    /// an Okta login) of a person provisioned through SCIM; `None` for
    /// people made by hand or by an import, whom SCIM does not show.
    /// Unique per member, compared without regard to case.
    pub user_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A function mailbox: the member's general one (no role) or a role's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mailbox {
    pub id: MailboxId,
    pub member_id: MemberId,
    pub role_id: Option<RoleId>,
    pub role_name: Option<String>,
    pub name: String,
    pub email: String,
}

/// A person holding a role for their member, `valid_from` to `valid_to`
/// inclusive (`None`: until further notice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    pub id: AssignmentId,
    pub member_id: MemberId,
    pub role_id: RoleId,
    pub role_name: String,
    pub person_id: PersonId,
    pub person_name: String,
    pub person_email: String,
    pub person_left: bool,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub is_primary: bool,
}

impl Assignment {
    /// Holds the role on `day`.
    pub fn on(&self, day: NaiveDate) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|to| day <= to)
    }

    fn span(&self) -> Span {
        Span {
            from: self.valid_from,
            to: self.valid_to,
        }
    }
}

/// A date interval, both ends inclusive; `to: None` is open-ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

/// The most of `spans` that hold on any one day.
pub fn most_at_once(spans: &[Span]) -> usize {
    // A span counts from its first day and stops counting the day after its
    // last; on a day where one ends and another starts, the end comes first.
    let mut events: Vec<(NaiveDate, i32)> = Vec::with_capacity(spans.len() * 2);
    for s in spans {
        events.push((s.from, 1));
        if let Some(next) = s.to.and_then(|to| to.succ_opt()) {
            events.push((next, -1));
        }
    }
    events.sort_by_key(|&(day, delta)| (day, delta));
    let (mut now, mut most) = (0i32, 0i32);
    for (_, delta) in events {
        now += delta;
        most = most.max(now);
    }
    most as usize
}

/// Why `person` holding the role over `candidate` breaks the rules, given
/// the member's `others` assignments of that role, as a field error code:
/// the same person twice at once, more holders at once than the catalogue
/// allows, or two primary holders at once.
pub fn check_assignment(
    max_holders: Option<u32>,
    others: &[Assignment],
    person: PersonId,
    candidate: Span,
    is_primary: bool,
) -> Result<(), &'static str> {
    let theirs: Vec<Span> = others
        .iter()
        .filter(|a| a.person_id == person)
        .map(Assignment::span)
        .chain([candidate])
        .collect();
    if most_at_once(&theirs) > 1 {
        return Err("error-role-already-held");
    }
    let mut spans: Vec<Span> = others.iter().map(Assignment::span).collect();
    spans.push(candidate);
    if let Some(max) = max_holders
        && most_at_once(&spans) > max as usize
    {
        return Err("error-role-max-holders");
    }
    if is_primary {
        let mut primaries: Vec<Span> = others
            .iter()
            .filter(|a| a.is_primary)
            .map(Assignment::span)
            .collect();
        primaries.push(candidate);
        if most_at_once(&primaries) > 1 {
            return Err("error-role-one-primary");
        }
    }
    Ok(())
}

/// How a role stands at a member on a day, for the gallery's warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Filled {
    /// Someone who has not left holds it.
    Held,
    /// Only people who have left hold it: information does not arrive.
    OnlyLeavers,
    /// Nobody holds it.
    Empty,
}

pub fn filled(assignments: &[Assignment], role: RoleId, day: NaiveDate) -> Filled {
    let holding: Vec<&Assignment> = assignments
        .iter()
        .filter(|a| a.role_id == role && a.on(day))
        .collect();
    if holding.iter().any(|a| !a.person_left) {
        Filled::Held
    } else if holding.is_empty() {
        Filled::Empty
    } else {
        Filled::OnlyLeavers
    }
}

/// Where a change to a member's people came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeSource {
    /// A member or central administrator, on the gallery pages.
    Manual,
    /// A CSV or XLSX file from the organisation system.
    Import,
    /// An identity provider through `/scim/v2`.
    Scim,
}

impl ChangeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeSource::Manual => "manual",
            ChangeSource::Import => "import",
            ChangeSource::Scim => "scim",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Manual, Self::Import, Self::Scim]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// Something a member administrator must be told: a person removed by an
/// import or by SCIM left roles that now have no holder. It stays on the
/// gallery page until an administrator dismisses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub id: NoticeId,
    pub member_id: MemberId,
    pub created_at: DateTime<Utc>,
    pub source: ChangeSource,
    pub person_id: Option<PersonId>,
    pub person_name: String,
    /// The names of the roles left empty.
    pub roles: Vec<String>,
}

// --- input ----------------------------------------------------------------

pub const MAX_HOLDERS_LIMIT: u32 = 1_000;
pub const MAX_EMAIL: usize = 254;
pub const MAX_PHONE: usize = 40;

/// A catalogue role as the central administrator edits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleInput {
    pub name: String,
    pub description: String,
    pub project_id: Option<ProjectId>,
    pub max_holders: Option<u32>,
    pub required: bool,
}

impl RoleInput {
    pub fn parse(
        name: &str,
        description: &str,
        project_id: Option<i64>,
        max_holders: &str,
        required: bool,
    ) -> Result<RoleInput, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = e.required("name", name, MAX_SHORT);
        let description = e.optional_lines("description", description, MAX_PROJECT_DESCRIPTION);
        let max_holders = match max_holders.trim() {
            "" => None,
            v => match v.parse::<u32>() {
                Ok(n) if (1..=MAX_HOLDERS_LIMIT).contains(&n) => Some(n),
                _ => {
                    e.add("max_holders", "error-max-holders");
                    None
                }
            },
        };
        e.into_result(RoleInput {
            name,
            description,
            project_id: project_id.map(ProjectId),
            max_holders,
            required,
        })
    }
}

/// The organisation system's id of a person or unit as we keep it:
/// trimmed, and a UUID bare (`urn:uuid:` gone) and in lower case, so that
/// `urn:uuid:6F9A...` from SAML, `6f9a...` from OpenID Connect and
/// `6F9A...` from an Excel export are one person.
pub fn normalise_external_id(id: &str) -> String {
    let id = id.trim();
    let bare = id
        .strip_prefix("urn:uuid:")
        .or_else(|| id.strip_prefix("URN:UUID:"))
        .unwrap_or(id);
    let looks_uuid = bare.len() == 36
        && bare.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    if looks_uuid {
        bare.to_ascii_lowercase()
    } else {
        id.to_string()
    }
}

/// An e-mail address as people type it: something@something.something,
/// no spaces. Deliverability is the mail server's business.
pub fn looks_like_email(v: &str) -> bool {
    let Some((local, domain)) = v.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !v.chars().any(char::is_whitespace)
        && !domain.contains('@')
}

fn email(e: &mut FieldErrors, field: &'static str, v: &str, required: bool) -> String {
    let v = if required {
        e.required(field, v, MAX_EMAIL)
    } else {
        e.optional(field, v, MAX_EMAIL)
    };
    if !v.is_empty() && !looks_like_email(&v) {
        e.add(field, "error-email");
    }
    v
}

/// A person as a member administrator (or an import) gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonInput {
    pub external_id: Option<String>,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub title: String,
    pub org_unit_id: Option<OrgUnitId>,
    /// The SCIM `userName`: `None` leaves it as it is (the pages and
    /// imports never touch it), `Some("")` removes it (the person is no
    /// longer provisioned through SCIM), `Some(name)` sets it.
    pub user_name: Option<String>,
}

/// How a SCIM `userName` is compared and kept unique: trimmed, in lower
/// case (Unicode, so `SØREN@x.dk` and `søren@x.dk` are one name).
pub fn user_name_key(user_name: &str) -> String {
    user_name.trim().to_lowercase()
}

impl PersonInput {
    pub fn parse(
        external_id: &str,
        name: &str,
        email_address: &str,
        phone: &str,
        title: &str,
        org_unit_id: Option<i64>,
    ) -> Result<PersonInput, FieldErrors> {
        let mut e = FieldErrors::default();
        let external_id = normalise_external_id(&e.optional("external_id", external_id, MAX_SHORT));
        let name = e.required("name", name, MAX_SHORT);
        let email_address = email(&mut e, "email", email_address, false);
        let phone = e.optional("phone", phone, MAX_PHONE);
        let title = e.optional("title", title, MAX_SHORT);
        e.into_result(PersonInput {
            external_id: (!external_id.is_empty()).then_some(external_id),
            name,
            email: email_address,
            phone,
            title,
            org_unit_id: org_unit_id.map(OrgUnitId),
            user_name: None,
        })
    }
}

/// An org unit as an administrator, an import or SCIM gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgUnitInput {
    pub external_id: Option<String>,
    pub name: String,
    pub parent_id: Option<OrgUnitId>,
}

impl OrgUnitInput {
    pub fn parse(
        external_id: &str,
        name: &str,
        parent_id: Option<i64>,
    ) -> Result<OrgUnitInput, FieldErrors> {
        let mut e = FieldErrors::default();
        let external_id = normalise_external_id(&e.optional("external_id", external_id, MAX_SHORT));
        let name = e.required("name", name, MAX_SHORT);
        e.into_result(OrgUnitInput {
            external_id: (!external_id.is_empty()).then_some(external_id),
            name,
            parent_id: parent_id.map(OrgUnitId),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxInput {
    pub role_id: Option<RoleId>,
    pub name: String,
    pub email: String,
}

impl MailboxInput {
    pub fn parse(role_id: Option<i64>, name: &str, address: &str) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = e.required("name", name, MAX_SHORT);
        let address = email(&mut e, "email", address, true);
        e.into_result(MailboxInput {
            role_id: role_id.map(RoleId),
            name,
            email: address,
        })
    }
}

/// Who holds a role, from when to when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentInput {
    pub role_id: RoleId,
    pub person_id: PersonId,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub is_primary: bool,
}

impl AssignmentInput {
    pub fn parse(
        role_id: i64,
        person_id: i64,
        valid_from: &str,
        valid_to: &str,
        is_primary: bool,
        today: NaiveDate,
    ) -> Result<AssignmentInput, FieldErrors> {
        let mut e = FieldErrors::default();
        let from = match valid_from.trim() {
            "" => Some(today),
            v => crate::input::parse_date(&mut e, "valid_from", v, true),
        };
        let to = crate::input::parse_date(&mut e, "valid_to", valid_to, false);
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            e.add("valid_to", "error-to-before-from");
        }
        e.into_result(AssignmentInput {
            role_id: RoleId(role_id),
            person_id: PersonId(person_id),
            valid_from: from.unwrap_or(today),
            valid_to: to,
            is_primary,
        })
    }

    pub fn span(&self) -> Span {
        Span {
            from: self.valid_from,
            to: self.valid_to,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn span(from: &str, to: Option<&str>) -> Span {
        Span {
            from: d(from),
            to: to.map(d),
        }
    }

    fn held(from: &str, to: Option<&str>, primary: bool) -> Assignment {
        Assignment {
            id: AssignmentId(1),
            member_id: MemberId(1),
            role_id: RoleId(1),
            role_name: "R".into(),
            person_id: PersonId(1),
            person_name: "P".into(),
            person_email: String::new(),
            person_left: false,
            valid_from: d(from),
            valid_to: to.map(d),
            is_primary: primary,
        }
    }

    #[test]
    fn external_ids_of_one_person_are_one_id() {
        let id = "6f9a0c1e-5b1d-4c7a-9e2f-0123456789ab";
        for spelled in [
            "urn:uuid:6F9A0C1E-5B1D-4C7A-9E2F-0123456789AB",
            " 6F9A0C1E-5B1D-4C7A-9E2F-0123456789AB ",
            id,
        ] {
            assert_eq!(normalise_external_id(spelled), id);
        }
        // Not a UUID: kept as it is, but trimmed.
        assert_eq!(normalise_external_id(" AB-12 "), "AB-12");
        assert_eq!(normalise_external_id("urn:uuid:x"), "urn:uuid:x");
    }

    #[test]
    fn most_at_once_counts_overlapping_days_only() {
        assert_eq!(most_at_once(&[]), 0);
        // Back to back: one ends the day before the other starts.
        let a = span("2026-01-01", Some("2026-01-31"));
        let b = span("2026-02-01", None);
        assert_eq!(most_at_once(&[a, b]), 1);
        // Sharing one day is overlapping.
        let c = span("2026-01-31", Some("2026-02-10"));
        assert_eq!(most_at_once(&[a, b, c]), 2);
        // Two short spans inside a long one, apart from each other.
        let long = span("2026-01-01", Some("2026-12-31"));
        let x = span("2026-02-01", Some("2026-02-28"));
        let y = span("2026-05-01", Some("2026-05-31"));
        assert_eq!(most_at_once(&[long, x, y]), 2);
    }

    #[test]
    fn assignments_respect_max_holders_and_one_primary() {
        let others = [
            held("2026-01-01", Some("2026-03-31"), true),
            held("2026-04-01", None, false),
        ];
        // Max 1: a third holder overlapping either is too many...
        assert_eq!(
            check_assignment(
                Some(1),
                &others,
                PersonId(2),
                span("2026-03-01", Some("2026-03-15")),
                false
            ),
            Err("error-role-max-holders")
        );
        // ... but max 2 allows it, since the two others never overlap.
        assert_eq!(
            check_assignment(
                Some(2),
                &others,
                PersonId(2),
                span("2026-01-01", None),
                false
            ),
            Ok(())
        );
        // A second primary while the first is primary: refused; after: fine.
        assert_eq!(
            check_assignment(None, &others, PersonId(2), span("2026-03-01", None), true),
            Err("error-role-one-primary")
        );
        assert_eq!(
            check_assignment(None, &others, PersonId(2), span("2026-04-01", None), true),
            Ok(())
        );
        // The holder of the first (person 1) cannot hold it again meanwhile.
        assert_eq!(
            check_assignment(
                None,
                &others,
                PersonId(1),
                span("2026-02-01", Some("2026-02-02")),
                false
            ),
            Err("error-role-already-held")
        );
    }

    #[test]
    fn a_role_is_held_empty_or_held_only_by_leavers() {
        let day = d("2026-06-01");
        let mut gone = held("2026-01-01", None, false);
        gone.person_left = true;
        assert_eq!(filled(&[], RoleId(1), day), Filled::Empty);
        assert_eq!(
            filled(std::slice::from_ref(&gone), RoleId(1), day),
            Filled::OnlyLeavers
        );
        let ended = held("2026-01-01", Some("2026-05-31"), false);
        assert_eq!(
            filled(&[gone.clone(), ended], RoleId(1), day),
            Filled::OnlyLeavers
        );
        let current = held("2026-05-01", None, false);
        assert_eq!(filled(&[gone, current], RoleId(1), day), Filled::Held);
        assert_eq!(filled(&[], RoleId(2), day), Filled::Empty);
    }

    #[test]
    fn inputs_parse_or_name_their_fields() {
        let today = d("2026-06-01");
        let ok = AssignmentInput::parse(1, 2, "", "", true, today).unwrap();
        assert_eq!((ok.valid_from, ok.valid_to), (today, None));
        let err =
            AssignmentInput::parse(1, 2, "2026-06-10", "2026-06-01", false, today).unwrap_err();
        assert!(err.for_field("valid_to").is_some());
        let err = RoleInput::parse(" ", "", None, "0", false).unwrap_err();
        assert!(err.for_field("name").is_some() && err.for_field("max_holders").is_some());
        assert_eq!(
            RoleInput::parse("R", "", None, " 2 ", true)
                .unwrap()
                .max_holders,
            Some(2)
        );
        let err = PersonInput::parse("", "Anne", "anne(at)x.dk", "", "", None).unwrap_err();
        assert!(err.for_field("email").is_some());
        assert!(PersonInput::parse("", "Anne", "", "", "", None).is_ok());
        assert!(MailboxInput::parse(None, "Postkasse", "").is_err());
        for good in ["a@b.dk", "anne.hansen@kommune.example"] {
            assert!(looks_like_email(good), "{good}");
        }
        for bad in ["a@b", "@b.dk", "a b@c.dk", "a@.dk", "a@b.dk.", "a@b@c.dk"] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }
}
