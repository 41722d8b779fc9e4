//! The role catalogue's rules and each member's people, org units, function
//! mailboxes and role gallery (issue 4). Part of `sql/store.rs` (compiled
//! once per backend the same way); `impl Store` calls these.
//!
//! Every change checks the actor in the writing transaction, audits there,
//! and, for assignments, locks the member row first so that two concurrent
//! assignments cannot both pass the holder limits (PostgreSQL; SQLite has
//! one writer).

use super::access::{audit, json};
use super::*;
use udrul_core::gallery::{
    self, Assignment, AssignmentInput, ChangeSource, Mailbox, MailboxInput, Notice, OrgUnit,
    OrgUnitInput, Person, PersonInput, RoleInput,
};
use udrul_core::store::AssignmentFilter;

// --- rows ---------------------------------------------------------------------

const ROLE_SQL: &str = "SELECT r.id, r.name, r.description, r.project_id, p.name AS project_name, \
     r.max_holders, r.required FROM roles r LEFT JOIN projects p ON p.id = r.project_id";

#[derive(FromRow)]
pub(super) struct RoleRow {
    id: i64,
    name: String,
    description: String,
    project_id: Option<i64>,
    project_name: Option<String>,
    max_holders: Option<i64>,
    required: bool,
}

impl From<RoleRow> for Role {
    fn from(r: RoleRow) -> Role {
        Role {
            id: RoleId(r.id),
            name: r.name,
            description: r.description,
            project_id: r.project_id.map(ProjectId),
            project_name: r.project_name,
            max_holders: r.max_holders.and_then(|n| u32::try_from(n).ok()),
            required: r.required,
        }
    }
}

pub(super) async fn roles(c: &mut Conn, filter: &str, id: Option<i64>) -> StoreResult<Vec<Role>> {
    let sql = format!("{ROLE_SQL} {filter} ORDER BY r.name, r.id");
    let mut q = sqlx::query_as::<Db, RoleRow>(AssertSqlSafe(sql));
    if let Some(id) = id {
        q = q.bind(id);
    }
    let rows = q.fetch_all(&mut *c).await.map_err(db)?;
    Ok(rows.into_iter().map(Role::from).collect())
}

async fn role(c: &mut Conn, id: RoleId) -> StoreResult<Option<Role>> {
    Ok(roles(c, "WHERE r.id = $1", Some(id.0)).await?.pop())
}

#[derive(FromRow)]
struct OrgUnitRow {
    id: i64,
    member_id: i64,
    external_id: Option<String>,
    name: String,
    parent_id: Option<i64>,
    removed_at: Option<DateTime<Utc>>,
}

impl From<OrgUnitRow> for OrgUnit {
    fn from(r: OrgUnitRow) -> OrgUnit {
        OrgUnit {
            id: OrgUnitId(r.id),
            member_id: MemberId(r.member_id),
            external_id: r.external_id,
            name: r.name,
            parent_id: r.parent_id.map(OrgUnitId),
            removed: r.removed_at.is_some(),
        }
    }
}

const PERSON_SQL: &str = "SELECT pe.id, pe.member_id, pe.external_id, pe.name, pe.email, pe.phone, \
     pe.title, pe.org_unit_id, o.name AS org_unit_name, pe.left_at, pe.user_name, pe.created_at, \
     pe.updated_at FROM people pe LEFT JOIN org_units o ON o.id = pe.org_unit_id";

#[derive(FromRow)]
struct PersonRow {
    id: i64,
    member_id: i64,
    external_id: Option<String>,
    name: String,
    email: String,
    phone: String,
    title: String,
    org_unit_id: Option<i64>,
    org_unit_name: Option<String>,
    left_at: Option<DateTime<Utc>>,
    user_name: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<PersonRow> for Person {
    fn from(r: PersonRow) -> Person {
        Person {
            id: PersonId(r.id),
            member_id: MemberId(r.member_id),
            external_id: r.external_id,
            name: r.name,
            email: r.email,
            phone: r.phone,
            title: r.title,
            org_unit_id: r.org_unit_id.map(OrgUnitId),
            org_unit_name: r.org_unit_name,
            left_at: r.left_at,
            user_name: r.user_name,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub(super) async fn person(c: &mut Conn, id: PersonId) -> StoreResult<Option<Person>> {
    let row: Option<PersonRow> =
        sqlx::query_as(AssertSqlSafe(format!("{PERSON_SQL} WHERE pe.id = $1")))
            .bind(id.0)
            .fetch_optional(&mut *c)
            .await
            .map_err(db)?;
    Ok(row.map(Person::from))
}

pub(super) const MAILBOX_SQL: &str = "SELECT m.id, m.member_id, m.role_id, r.name AS role_name, m.name, m.email \
     FROM mailboxes m LEFT JOIN roles r ON r.id = m.role_id";

#[derive(FromRow)]
pub(super) struct MailboxRow {
    id: i64,
    member_id: i64,
    role_id: Option<i64>,
    role_name: Option<String>,
    name: String,
    email: String,
}

impl From<MailboxRow> for Mailbox {
    fn from(r: MailboxRow) -> Mailbox {
        Mailbox {
            id: MailboxId(r.id),
            member_id: MemberId(r.member_id),
            role_id: r.role_id.map(RoleId),
            role_name: r.role_name,
            name: r.name,
            email: r.email,
        }
    }
}

pub(super) const ASSIGNMENT_SQL: &str = "SELECT a.id, a.member_id, a.role_id, r.name AS role_name, a.person_id, \
     pe.name AS person_name, pe.email AS person_email, pe.left_at AS person_left_at, \
     a.valid_from, a.valid_to, a.is_primary \
     FROM role_assignments a JOIN roles r ON r.id = a.role_id JOIN people pe ON pe.id = a.person_id";

#[derive(FromRow)]
pub(super) struct AssignmentRow {
    id: i64,
    member_id: i64,
    role_id: i64,
    role_name: String,
    person_id: i64,
    person_name: String,
    person_email: String,
    person_left_at: Option<DateTime<Utc>>,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
    is_primary: bool,
}

impl From<AssignmentRow> for Assignment {
    fn from(r: AssignmentRow) -> Assignment {
        Assignment {
            id: AssignmentId(r.id),
            member_id: MemberId(r.member_id),
            role_id: RoleId(r.role_id),
            role_name: r.role_name,
            person_id: PersonId(r.person_id),
            person_name: r.person_name,
            person_email: r.person_email,
            person_left: r.person_left_at.is_some(),
            valid_from: r.valid_from,
            valid_to: r.valid_to,
            is_primary: r.is_primary,
        }
    }
}

async fn assignments(
    c: &mut Conn,
    member: Option<MemberId>,
    role: Option<RoleId>,
) -> StoreResult<Vec<Assignment>> {
    let sql = format!(
        "{ASSIGNMENT_SQL} WHERE ($1 IS NULL OR a.member_id = $1) AND ($2 IS NULL OR a.role_id = $2) \
         ORDER BY r.name, a.member_id, a.valid_from, pe.name, a.id"
    );
    let rows: Vec<AssignmentRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(member.map(|m| m.0))
        .bind(role.map(|r| r.0))
        .fetch_all(&mut *c)
        .await
        .map_err(db)?;
    Ok(rows.into_iter().map(Assignment::from).collect())
}

/// The member exists, and `by` may keep its gallery; locks the member row
/// for the rest of the transaction.
async fn lock_member(c: &mut Conn, by: &Actor, member: MemberId) -> StoreResult<()> {
    if !by.can_manage_gallery(member) {
        return Err(StoreError::Forbidden);
    }
    lock_member_row(c, member).await
}

/// As `lock_member`, for changes to people and org units, which imports and
/// SCIM robots make too (`Actor::can_sync_people`).
pub(super) async fn lock_member_for_people(
    c: &mut Conn,
    by: &Actor,
    member: MemberId,
) -> StoreResult<()> {
    if !by.can_sync_people(member) {
        return Err(StoreError::Forbidden);
    }
    lock_member_row(c, member).await
}

async fn lock_member_row(c: &mut Conn, member: MemberId) -> StoreResult<()> {
    let found: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT id FROM members WHERE id = $1{}",
        dialect::FOR_UPDATE
    )))
    .bind(member.0)
    .fetch_optional(&mut *c)
    .await
    .map_err(db)?;
    found.map(|_| ()).ok_or(StoreError::NotFound)
}

fn gallery_entry(
    action: &'static str,
    object_type: &'static str,
    id: i64,
    member: MemberId,
) -> AuditEntry {
    AuditEntry {
        action,
        object_type,
        object_id: Some(id),
        member_id: Some(member),
        ..AuditEntry::default()
    }
}

// --- the catalogue ----------------------------------------------------------------

pub(super) async fn create_role(s: &SqlStore, by: &Actor, r: RoleInput) -> StoreResult<Role> {
    if !by.can_manage_catalogue() {
        return Err(StoreError::Forbidden);
    }
    let mut tx = s.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO roles (name, description, project_id, max_holders, required) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(&r.name)
    .bind(&r.description)
    .bind(r.project_id.map(|p| p.0))
    .bind(r.max_holders.map(i64::from))
    .bind(r.required)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| insert_error(e, "role", Some(("project_id", "error-unknown-project"))))?;
    let role = role(&mut tx, RoleId(id))
        .await?
        .ok_or(StoreError::NotFound)?;
    audit(
        &mut tx,
        Some(by),
        AuditEntry {
            action: "role.create",
            object_type: "role",
            object_id: Some(id),
            after: json(&role),
            ..AuditEntry::default()
        },
    )
    .await?;
    tx.commit().await.map_err(db)?;
    Ok(role)
}

pub(super) async fn update_role(
    s: &SqlStore,
    by: &Actor,
    id: RoleId,
    r: RoleInput,
) -> StoreResult<Role> {
    if !by.can_manage_catalogue() {
        return Err(StoreError::Forbidden);
    }
    let mut tx = s.begin().await?;
    let before = role(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
    if let Some(max) = r.max_holders {
        // No member may already have more holders at once than the new limit.
        let all = assignments(&mut tx, None, Some(id)).await?;
        let mut by_member: HashMap<MemberId, Vec<gallery::Span>> = HashMap::new();
        for a in &all {
            by_member
                .entry(a.member_id)
                .or_default()
                .push(gallery::Span {
                    from: a.valid_from,
                    to: a.valid_to,
                });
        }
        if by_member
            .values()
            .any(|spans| gallery::most_at_once(spans) > max as usize)
        {
            return Err(invalid("max_holders", "error-role-max-below-holders"));
        }
    }
    sqlx::query(
        "UPDATE roles SET name = $1, description = $2, project_id = $3, max_holders = $4, \
         required = $5 WHERE id = $6",
    )
    .bind(&r.name)
    .bind(&r.description)
    .bind(r.project_id.map(|p| p.0))
    .bind(r.max_holders.map(i64::from))
    .bind(r.required)
    .bind(id.0)
    .execute(&mut *tx)
    .await
    .map_err(|e| insert_error(e, "role", Some(("project_id", "error-unknown-project"))))?;
    let after = role(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
    audit(
        &mut tx,
        Some(by),
        AuditEntry {
            action: "role.update",
            object_type: "role",
            object_id: Some(id.0),
            before: json(&before),
            after: json(&after),
            ..AuditEntry::default()
        },
    )
    .await?;
    tx.commit().await.map_err(db)?;
    Ok(after)
}

// --- org units, people, mailboxes ------------------------------------------------------

pub(super) async fn list_org_units(s: &SqlStore, member: MemberId) -> StoreResult<Vec<OrgUnit>> {
    let mut c = s.read().await?;
    org_units_of(&mut c, member).await
}

pub(super) async fn create_org_unit(
    s: &SqlStore,
    by: &Actor,
    member: MemberId,
    u: OrgUnitInput,
) -> StoreResult<OrgUnit> {
    let mut tx = s.begin().await?;
    lock_member_for_people(&mut tx, by, member).await?;
    let unit = insert_org_unit(&mut tx, by, member, &u).await?;
    tx.commit().await.map_err(db)?;
    Ok(unit)
}

/// Inserts and audits an org unit; the caller holds the member lock.
pub(super) async fn insert_org_unit(
    c: &mut Conn,
    by: &Actor,
    member: MemberId,
    u: &OrgUnitInput,
) -> StoreResult<OrgUnit> {
    if let Some(p) = u.parent_id {
        check_unit(c, member, p, "parent_id").await?;
    }
    let row: OrgUnitRow = sqlx::query_as(
        "INSERT INTO org_units (member_id, external_id, name, parent_id) VALUES ($1, $2, $3, $4) \
         RETURNING id, member_id, external_id, name, parent_id, removed_at",
    )
    .bind(member.0)
    .bind(&u.external_id)
    .bind(&u.name)
    .bind(u.parent_id.map(|p| p.0))
    .fetch_one(&mut *c)
    .await
    .map_err(|e| insert_error(e, "org_unit", None))?;
    let unit = OrgUnit::from(row);
    let mut entry = gallery_entry("org_unit.create", "org_unit", unit.id.0, member);
    entry.after = json(&unit);
    audit(c, Some(by), entry).await?;
    Ok(unit)
}

pub(super) async fn org_unit(c: &mut Conn, id: OrgUnitId) -> StoreResult<Option<OrgUnit>> {
    let row: Option<OrgUnitRow> = sqlx::query_as(
        "SELECT id, member_id, external_id, name, parent_id, removed_at FROM org_units \
         WHERE id = $1",
    )
    .bind(id.0)
    .fetch_optional(&mut *c)
    .await
    .map_err(db)?;
    Ok(row.map(OrgUnit::from))
}

pub(super) async fn get_org_unit(s: &SqlStore, id: OrgUnitId) -> StoreResult<Option<OrgUnit>> {
    let mut c = s.read().await?;
    org_unit(&mut c, id).await
}

pub(super) async fn update_org_unit(
    s: &SqlStore,
    by: &Actor,
    id: OrgUnitId,
    u: OrgUnitInput,
) -> StoreResult<OrgUnit> {
    let mut tx = s.begin().await?;
    let before = org_unit(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
    lock_member_for_people(&mut tx, by, before.member_id).await?;
    let after = change_org_unit(&mut tx, by, &before, &u).await?;
    tx.commit().await.map_err(db)?;
    Ok(after)
}

/// Changes an org unit (no audit entry when nothing changes); refuses a
/// parent that is the unit itself or below it. The caller holds the lock.
pub(super) async fn change_org_unit(
    c: &mut Conn,
    by: &Actor,
    before: &OrgUnit,
    u: &OrgUnitInput,
) -> StoreResult<OrgUnit> {
    if let Some(p) = u.parent_id {
        check_unit(c, before.member_id, p, "parent_id").await?;
        // Walk up from the new parent: meeting the unit itself is a cycle.
        let units: Vec<(i64, Option<i64>)> =
            sqlx::query_as("SELECT id, parent_id FROM org_units WHERE member_id = $1")
                .bind(before.member_id.0)
                .fetch_all(&mut *c)
                .await
                .map_err(db)?;
        let parents: HashMap<i64, Option<i64>> = units.into_iter().collect();
        let mut at = Some(p.0);
        let mut steps = 0;
        while let Some(x) = at {
            if x == before.id.0 || steps > parents.len() {
                return Err(invalid("parent_id", "error-org-unit-cycle"));
            }
            at = parents.get(&x).copied().flatten();
            steps += 1;
        }
    }
    if before.external_id == u.external_id
        && before.name == u.name
        && before.parent_id == u.parent_id
    {
        return Ok(before.clone());
    }
    sqlx::query("UPDATE org_units SET external_id = $1, name = $2, parent_id = $3 WHERE id = $4")
        .bind(&u.external_id)
        .bind(&u.name)
        .bind(u.parent_id.map(|p| p.0))
        .bind(before.id.0)
        .execute(&mut *c)
        .await
        .map_err(|e| insert_error(e, "org_unit", None))?;
    let after = org_unit(c, before.id).await?.ok_or(StoreError::NotFound)?;
    let mut entry = gallery_entry("org_unit.update", "org_unit", before.id.0, before.member_id);
    entry.before = json(before);
    entry.after = json(&after);
    audit(c, Some(by), entry).await?;
    Ok(after)
}

pub(super) async fn set_org_unit_removed(
    s: &SqlStore,
    by: &Actor,
    id: OrgUnitId,
    removed: bool,
) -> StoreResult<OrgUnit> {
    let mut tx = s.begin().await?;
    let before = org_unit(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
    lock_member_for_people(&mut tx, by, before.member_id).await?;
    let after = mark_unit_removed(&mut tx, by, &before, removed).await?;
    tx.commit().await.map_err(db)?;
    Ok(after)
}

/// Marks a unit removed (its people are no longer placed in it, its
/// children move up to its parent) or back; unchanged: no audit entry.
pub(super) async fn mark_unit_removed(
    c: &mut Conn,
    by: &Actor,
    before: &OrgUnit,
    removed: bool,
) -> StoreResult<OrgUnit> {
    if before.removed == removed {
        return Ok(before.clone());
    }
    if removed {
        sqlx::query("UPDATE people SET org_unit_id = NULL, updated_at = $1 WHERE org_unit_id = $2")
            .bind(now())
            .bind(before.id.0)
            .execute(&mut *c)
            .await
            .map_err(db)?;
        sqlx::query("UPDATE org_units SET parent_id = $1 WHERE parent_id = $2")
            .bind(before.parent_id.map(|p| p.0))
            .bind(before.id.0)
            .execute(&mut *c)
            .await
            .map_err(db)?;
    }
    sqlx::query("UPDATE org_units SET removed_at = $1 WHERE id = $2")
        .bind(removed.then(now))
        .bind(before.id.0)
        .execute(&mut *c)
        .await
        .map_err(db)?;
    let after = org_unit(c, before.id).await?.ok_or(StoreError::NotFound)?;
    let action = if removed {
        "org_unit.remove"
    } else {
        "org_unit.restore"
    };
    let mut entry = gallery_entry(action, "org_unit", before.id.0, before.member_id);
    entry.before = json(before);
    entry.after = json(&after);
    audit(c, Some(by), entry).await?;
    Ok(after)
}

/// `unit` is one of `member`'s org units, not removed (else `Invalid` on
/// `field`).
async fn check_unit(
    c: &mut Conn,
    member: MemberId,
    unit: OrgUnitId,
    field: &'static str,
) -> StoreResult<()> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM org_units WHERE id = $1 AND member_id = $2 AND removed_at IS NULL",
    )
    .bind(unit.0)
    .bind(member.0)
    .fetch_optional(&mut *c)
    .await
    .map_err(db)?;
    found
        .map(|_| ())
        .ok_or_else(|| invalid(field, "error-unknown-org-unit"))
}

pub(super) async fn list_people(s: &SqlStore, member: MemberId) -> StoreResult<Vec<Person>> {
    let mut c = s.read().await?;
    people_of(&mut c, member).await
}

pub(super) async fn people_of(c: &mut Conn, member: MemberId) -> StoreResult<Vec<Person>> {
    let rows: Vec<PersonRow> = sqlx::query_as(AssertSqlSafe(format!(
        "{PERSON_SQL} WHERE pe.member_id = $1 ORDER BY (pe.left_at IS NOT NULL), pe.name, pe.id"
    )))
    .bind(member.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db)?;
    Ok(rows.into_iter().map(Person::from).collect())
}

pub(super) async fn org_units_of(c: &mut Conn, member: MemberId) -> StoreResult<Vec<OrgUnit>> {
    let rows: Vec<OrgUnitRow> = sqlx::query_as(
        "SELECT id, member_id, external_id, name, parent_id, removed_at FROM org_units \
         WHERE member_id = $1 ORDER BY name, id",
    )
    .bind(member.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db)?;
    Ok(rows.into_iter().map(OrgUnit::from).collect())
}

pub(super) async fn get_person(s: &SqlStore, id: PersonId) -> StoreResult<Option<Person>> {
    let mut c = s.read().await?;
    person(&mut c, id).await
}

pub(super) async fn person_by_external_id(
    s: &SqlStore,
    member: MemberId,
    external_id: &str,
) -> StoreResult<Option<Person>> {
    let mut c = s.read().await?;
    let row: Option<PersonRow> = sqlx::query_as(AssertSqlSafe(format!(
        "{PERSON_SQL} WHERE pe.member_id = $1 AND pe.external_id = $2"
    )))
    .bind(member.0)
    .bind(external_id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db)?;
    Ok(row.map(Person::from))
}

pub(super) async fn person_by_user_name(
    s: &SqlStore,
    member: MemberId,
    user_name: &str,
) -> StoreResult<Option<Person>> {
    let mut c = s.read().await?;
    let row: Option<PersonRow> = sqlx::query_as(AssertSqlSafe(format!(
        "{PERSON_SQL} WHERE pe.member_id = $1 AND pe.user_name_key = $2"
    )))
    .bind(member.0)
    .bind(gallery::user_name_key(user_name))
    .fetch_optional(&mut *c)
    .await
    .map_err(db)?;
    Ok(row.map(Person::from))
}

/// The SCIM `userName` to keep for `p` (`None`: none), and its key.
fn user_name_of(p: &PersonInput, before: Option<&Person>) -> (Option<String>, Option<String>) {
    let name = match &p.user_name {
        None => before.and_then(|b| b.user_name.clone()),
        Some(n) if n.trim().is_empty() => None,
        Some(n) => Some(n.trim().to_string()),
    };
    let key = name.as_deref().map(gallery::user_name_key);
    (name, key)
}

/// Refuses a SCIM `userName` another person of `member` has (left or not:
/// an identity provider must delete the old one first).
async fn check_user_name(
    c: &mut Conn,
    member: MemberId,
    key: Option<&str>,
    not: Option<PersonId>,
) -> StoreResult<()> {
    let Some(key) = key else { return Ok(()) };
    let taken: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM people WHERE member_id = $1 AND user_name_key = $2 AND id <> $3",
    )
    .bind(member.0)
    .bind(key)
    .bind(not.map_or(0, |p| p.0))
    .fetch_optional(&mut *c)
    .await
    .map_err(db)?;
    match taken {
        Some(_) => Err(StoreError::Duplicate("person_user_name")),
        None => Ok(()),
    }
}

pub(super) async fn create_person(
    s: &SqlStore,
    by: &Actor,
    member: MemberId,
    p: PersonInput,
) -> StoreResult<Person> {
    let mut tx = s.begin().await?;
    lock_member_for_people(&mut tx, by, member).await?;
    let person = insert_person(&mut tx, by, member, &p).await?;
    tx.commit().await.map_err(db)?;
    Ok(person)
}

/// Inserts and audits a person; the caller holds the member lock.
pub(super) async fn insert_person(
    c: &mut Conn,
    by: &Actor,
    member: MemberId,
    p: &PersonInput,
) -> StoreResult<Person> {
    if let Some(u) = p.org_unit_id {
        check_unit(c, member, u, "org_unit_id").await?;
    }
    let (user_name, key) = user_name_of(p, None);
    check_user_name(c, member, key.as_deref(), None).await?;
    let at = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO people (member_id, external_id, name, email, phone, title, org_unit_id, \
         created_at, updated_at, user_name, user_name_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10) RETURNING id",
    )
    .bind(member.0)
    .bind(&p.external_id)
    .bind(&p.name)
    .bind(&p.email)
    .bind(&p.phone)
    .bind(&p.title)
    .bind(p.org_unit_id.map(|u| u.0))
    .bind(at)
    .bind(&user_name)
    .bind(&key)
    .fetch_one(&mut *c)
    .await
    .map_err(|e| insert_error(e, "person", None))?;
    let person = person(c, PersonId(id)).await?.ok_or(StoreError::NotFound)?;
    let mut entry = gallery_entry("person.create", "person", id, member);
    entry.after = json(&person);
    audit(c, Some(by), entry).await?;
    Ok(person)
}

pub(super) async fn update_person(
    s: &SqlStore,
    by: &Actor,
    id: PersonId,
    p: PersonInput,
) -> StoreResult<Person> {
    let mut tx = s.begin().await?;
    let before = person(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
    lock_member_for_people(&mut tx, by, before.member_id).await?;
    let after = change_person(&mut tx, by, &before, &p).await?;
    tx.commit().await.map_err(db)?;
    Ok(after)
}

/// Whether `p` says anything about `before` that is not so already.
pub(super) fn person_differs(before: &Person, p: &PersonInput) -> bool {
    before.external_id != p.external_id
        || before.name != p.name
        || before.email != p.email
        || before.phone != p.phone
        || before.title != p.title
        || before.org_unit_id != p.org_unit_id
        || user_name_of(p, Some(before)).0 != before.user_name
}

/// Changes a person; nothing (no write, no audit entry) when nothing
/// differs. The caller holds the member lock.
pub(super) async fn change_person(
    c: &mut Conn,
    by: &Actor,
    before: &Person,
    p: &PersonInput,
) -> StoreResult<Person> {
    if !person_differs(before, p) {
        return Ok(before.clone());
    }
    if let Some(u) = p.org_unit_id
        && before.org_unit_id != Some(u)
    {
        check_unit(c, before.member_id, u, "org_unit_id").await?;
    }
    let (user_name, key) = user_name_of(p, Some(before));
    check_user_name(c, before.member_id, key.as_deref(), Some(before.id)).await?;
    sqlx::query(
        "UPDATE people SET external_id = $1, name = $2, email = $3, phone = $4, title = $5, \
         org_unit_id = $6, updated_at = $7, user_name = $8, user_name_key = $9 WHERE id = $10",
    )
    .bind(&p.external_id)
    .bind(&p.name)
    .bind(&p.email)
    .bind(&p.phone)
    .bind(&p.title)
    .bind(p.org_unit_id.map(|u| u.0))
    .bind(now())
    .bind(&user_name)
    .bind(&key)
    .bind(before.id.0)
    .execute(&mut *c)
    .await
    .map_err(|e| insert_error(e, "person", None))?;
    let after = person(c, before.id).await?.ok_or(StoreError::NotFound)?;
    let mut entry = gallery_entry("person.update", "person", before.id.0, after.member_id);
    entry.before = json(before);
    entry.after = json(&after);
    audit(c, Some(by), entry).await?;
    Ok(after)
}

pub(super) async fn person_left(
    s: &SqlStore,
    by: &Actor,
    id: PersonId,
    on: NaiveDate,
    source: ChangeSource,
) -> StoreResult<Vec<Role>> {
    let mut tx = s.begin().await?;
    let before = person(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
    lock_member_for_people(&mut tx, by, before.member_id).await?;
    let emptied = leave(&mut tx, by, &before, on, source).await?;
    tx.commit().await.map_err(db)?;
    Ok(emptied)
}

/// Marks `before` as left on `on`: their assignments end the day before
/// (future ones go), their history stays. Returns the roles now without a
/// holder at the member; when an import or SCIM did it and there are any, a
/// notice for the member's administrators records them. Already left:
/// nothing happens. The caller holds the member lock.
pub(super) async fn leave(
    c: &mut Conn,
    by: &Actor,
    before: &Person,
    on: NaiveDate,
    source: ChangeSource,
) -> StoreResult<Vec<Role>> {
    if before.left_at.is_some() {
        return Ok(Vec::new());
    }
    let member = before.member_id;
    let id = before.id;
    let held = assignments(c, Some(member), None).await?;
    let theirs: Vec<&Assignment> = held.iter().filter(|a| a.person_id == id).collect();
    let last_day = on.pred_opt().unwrap_or(on);
    for a in &theirs {
        end(c, a, last_day).await?;
    }
    sqlx::query("UPDATE people SET left_at = $1, updated_at = $1 WHERE id = $2")
        .bind(now())
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map_err(db)?;
    let after = person(c, id).await?.ok_or(StoreError::NotFound)?;
    let mut entry = gallery_entry("person.left", "person", id.0, member);
    entry.before = json(before);
    entry.after = json(&after);
    audit(c, Some(by), entry).await?;
    // The roles they held that nobody else holds now.
    let now_held = assignments(c, Some(member), None).await?;
    let mut emptied = Vec::new();
    let mut seen = BTreeSet::new();
    for a in theirs.into_iter().filter(|a| a.on(on)) {
        if seen.insert(a.role_id)
            && gallery::filled(&now_held, a.role_id, on) == gallery::Filled::Empty
            && let Some(r) = role(c, a.role_id).await?
        {
            emptied.push(r);
        }
    }
    if source != ChangeSource::Manual && !emptied.is_empty() {
        let names: Vec<&str> = emptied.iter().map(|r| r.name.as_str()).collect();
        sqlx::query(
            "INSERT INTO gallery_notices (member_id, created_at, source, person_id, person_name, \
             roles) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(member.0)
        .bind(now())
        .bind(source.as_str())
        .bind(id.0)
        .bind(&before.name)
        .bind(serde_json::to_string(&names).unwrap_or_else(|_| "[]".into()))
        .execute(&mut *c)
        .await
        .map_err(db)?;
    }
    Ok(emptied)
}

pub(super) async fn person_returned(s: &SqlStore, by: &Actor, id: PersonId) -> StoreResult<Person> {
    let mut tx = s.begin().await?;
    let before = person(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
    lock_member_for_people(&mut tx, by, before.member_id).await?;
    let after = come_back(&mut tx, by, &before).await?;
    tx.commit().await.map_err(db)?;
    Ok(after)
}

/// A person who left is back (the organisation system lists them again):
/// they are a person of the member again, without their old roles, which
/// stay history. Not left: nothing happens. The caller holds the lock.
pub(super) async fn come_back(c: &mut Conn, by: &Actor, before: &Person) -> StoreResult<Person> {
    if before.left_at.is_none() {
        return Ok(before.clone());
    }
    sqlx::query("UPDATE people SET left_at = NULL, updated_at = $1 WHERE id = $2")
        .bind(now())
        .bind(before.id.0)
        .execute(&mut *c)
        .await
        .map_err(db)?;
    let after = person(c, before.id).await?.ok_or(StoreError::NotFound)?;
    let mut entry = gallery_entry("person.returned", "person", before.id.0, before.member_id);
    entry.before = json(before);
    entry.after = json(&after);
    audit(c, Some(by), entry).await?;
    Ok(after)
}

// --- notices -------------------------------------------------------------------

#[derive(FromRow)]
struct NoticeRow {
    id: i64,
    member_id: i64,
    created_at: DateTime<Utc>,
    source: String,
    person_id: Option<i64>,
    person_name: String,
    roles: String,
}

impl From<NoticeRow> for Notice {
    fn from(r: NoticeRow) -> Notice {
        Notice {
            id: NoticeId(r.id),
            member_id: MemberId(r.member_id),
            created_at: r.created_at,
            source: ChangeSource::parse(&r.source).unwrap_or(ChangeSource::Manual),
            person_id: r.person_id.map(PersonId),
            person_name: r.person_name,
            roles: serde_json::from_str(&r.roles).unwrap_or_default(),
        }
    }
}

const NOTICE_SQL: &str = "SELECT id, member_id, created_at, source, person_id, person_name, roles \
     FROM gallery_notices";

pub(super) async fn list_notices(s: &SqlStore, member: MemberId) -> StoreResult<Vec<Notice>> {
    let mut c = s.read().await?;
    let rows: Vec<NoticeRow> = sqlx::query_as(AssertSqlSafe(format!(
        "{NOTICE_SQL} WHERE member_id = $1 AND dismissed_at IS NULL ORDER BY id DESC"
    )))
    .bind(member.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db)?;
    Ok(rows.into_iter().map(Notice::from).collect())
}

pub(super) async fn dismiss_notice(s: &SqlStore, by: &Actor, id: NoticeId) -> StoreResult<Notice> {
    let mut tx = s.begin().await?;
    let row: Option<NoticeRow> = sqlx::query_as(AssertSqlSafe(format!(
        "{NOTICE_SQL} WHERE id = $1 AND dismissed_at IS NULL"
    )))
    .bind(id.0)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    // Gone or dismissed already: nothing to do, said as not found.
    let notice = Notice::from(row.ok_or(StoreError::NotFound)?);
    lock_member(&mut tx, by, notice.member_id).await?;
    sqlx::query("UPDATE gallery_notices SET dismissed_at = $1, dismissed_by = $2 WHERE id = $3")
        .bind(now())
        .bind((!by.is_system()).then_some(by.user_id.0))
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let mut entry = gallery_entry("notice.dismiss", "gallery_notice", id.0, notice.member_id);
    entry.before = json(&notice);
    audit(&mut tx, Some(by), entry).await?;
    tx.commit().await.map_err(db)?;
    Ok(notice)
}

pub(super) async fn list_mailboxes(s: &SqlStore, member: MemberId) -> StoreResult<Vec<Mailbox>> {
    let mut c = s.read().await?;
    let rows: Vec<MailboxRow> = sqlx::query_as(AssertSqlSafe(format!(
        "{MAILBOX_SQL} WHERE m.member_id = $1 ORDER BY (m.role_id IS NOT NULL), r.name, m.name, m.id"
    )))
    .bind(member.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db)?;
    Ok(rows.into_iter().map(Mailbox::from).collect())
}

pub(super) async fn create_mailbox(
    s: &SqlStore,
    by: &Actor,
    member: MemberId,
    m: MailboxInput,
) -> StoreResult<Mailbox> {
    let mut tx = s.begin().await?;
    lock_member(&mut tx, by, member).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO mailboxes (member_id, role_id, name, email, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(member.0)
    .bind(m.role_id.map(|r| r.0))
    .bind(&m.name)
    .bind(&m.email)
    .bind(now())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| insert_error(e, "mailbox", Some(("role_id", "error-unknown-role"))))?;
    let mailbox = mailbox(&mut tx, MailboxId(id))
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut entry = gallery_entry("mailbox.create", "mailbox", id, member);
    entry.after = json(&mailbox);
    audit(&mut tx, Some(by), entry).await?;
    tx.commit().await.map_err(db)?;
    Ok(mailbox)
}

async fn mailbox(c: &mut Conn, id: MailboxId) -> StoreResult<Option<Mailbox>> {
    let row: Option<MailboxRow> =
        sqlx::query_as(AssertSqlSafe(format!("{MAILBOX_SQL} WHERE m.id = $1")))
            .bind(id.0)
            .fetch_optional(&mut *c)
            .await
            .map_err(db)?;
    Ok(row.map(Mailbox::from))
}

pub(super) async fn get_mailbox(s: &SqlStore, id: MailboxId) -> StoreResult<Option<Mailbox>> {
    let mut c = s.read().await?;
    mailbox(&mut c, id).await
}

pub(super) async fn delete_mailbox(s: &SqlStore, by: &Actor, id: MailboxId) -> StoreResult<()> {
    let mut tx = s.begin().await?;
    let mailbox = mailbox(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
    lock_member(&mut tx, by, mailbox.member_id).await?;
    sqlx::query("DELETE FROM mailboxes WHERE id = $1")
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let mut entry = gallery_entry("mailbox.delete", "mailbox", id.0, mailbox.member_id);
    entry.before = json(&mailbox);
    audit(&mut tx, Some(by), entry).await?;
    tx.commit().await.map_err(db)?;
    Ok(())
}

// --- the role gallery ----------------------------------------------------------------

pub(super) async fn list_assignments(
    s: &SqlStore,
    f: &AssignmentFilter,
) -> StoreResult<Vec<Assignment>> {
    let mut c = s.read().await?;
    assignments(&mut c, f.member, f.role).await
}

pub(super) async fn assign_role(
    s: &SqlStore,
    by: &Actor,
    member: MemberId,
    a: AssignmentInput,
) -> StoreResult<Assignment> {
    let mut tx = s.begin().await?;
    lock_member(&mut tx, by, member).await?;
    let role = role(&mut tx, a.role_id)
        .await?
        .ok_or_else(|| invalid("role_id", "error-unknown-role"))?;
    let holder = person(&mut tx, a.person_id).await?;
    match holder {
        Some(p) if p.member_id == member && p.left_at.is_none() => {}
        Some(p) if p.member_id == member => return Err(invalid("person_id", "error-person-left")),
        _ => return Err(invalid("person_id", "error-unknown-person")),
    }
    let others = assignments(&mut tx, Some(member), Some(a.role_id)).await?;
    if let Err(code) = gallery::check_assignment(
        role.max_holders,
        &others,
        a.person_id,
        a.span(),
        a.is_primary,
    ) {
        return Err(invalid("person_id", code));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO role_assignments (member_id, role_id, person_id, valid_from, valid_to, \
         is_primary, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(member.0)
    .bind(a.role_id.0)
    .bind(a.person_id.0)
    .bind(a.valid_from)
    .bind(a.valid_to)
    .bind(a.is_primary)
    .bind(now())
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let made = assignment(&mut tx, AssignmentId(id)).await?;
    let mut entry = gallery_entry("role.assign", "role_assignment", id, member);
    entry.after = json(&made);
    audit(&mut tx, Some(by), entry).await?;
    tx.commit().await.map_err(db)?;
    Ok(made)
}

pub(super) async fn get_assignment(
    s: &SqlStore,
    id: AssignmentId,
) -> StoreResult<Option<Assignment>> {
    let mut c = s.read().await?;
    Ok(assignment(&mut c, id).await.ok())
}

async fn assignment(c: &mut Conn, id: AssignmentId) -> StoreResult<Assignment> {
    let row: Option<AssignmentRow> =
        sqlx::query_as(AssertSqlSafe(format!("{ASSIGNMENT_SQL} WHERE a.id = $1")))
            .bind(id.0)
            .fetch_optional(&mut *c)
            .await
            .map_err(db)?;
    row.map(Assignment::from).ok_or(StoreError::NotFound)
}

/// Ends `a` with `last_day` as its last day, or removes it if it would not
/// have begun by then. Already ended earlier: unchanged.
async fn end(c: &mut Conn, a: &Assignment, last_day: NaiveDate) -> StoreResult<()> {
    if last_day < a.valid_from {
        sqlx::query("DELETE FROM role_assignments WHERE id = $1")
            .bind(a.id.0)
            .execute(&mut *c)
            .await
            .map_err(db)?;
    } else if a.valid_to.is_none_or(|to| to > last_day) {
        sqlx::query("UPDATE role_assignments SET valid_to = $1 WHERE id = $2")
            .bind(last_day)
            .bind(a.id.0)
            .execute(&mut *c)
            .await
            .map_err(db)?;
    }
    Ok(())
}

pub(super) async fn end_assignment(
    s: &SqlStore,
    by: &Actor,
    id: AssignmentId,
    on: NaiveDate,
) -> StoreResult<()> {
    let mut tx = s.begin().await?;
    let before = assignment(&mut tx, id).await?;
    lock_member(&mut tx, by, before.member_id).await?;
    end(&mut tx, &before, on).await?;
    let mut entry = gallery_entry("role.unassign", "role_assignment", id.0, before.member_id);
    entry.before = json(&before);
    entry.after = assignment(&mut tx, id).await.ok().and_then(|a| json(&a));
    audit(&mut tx, Some(by), entry).await?;
    tx.commit().await.map_err(db)?;
    Ok(())
}
