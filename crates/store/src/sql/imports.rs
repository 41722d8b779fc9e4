//! Imports of a member's people or org units from its organisation system
//! (issue 4). Part of `sql/store.rs`, compiled once per backend.
//!
//! `apply_import` is one transaction under the member lock: it reads the
//! member's people and units as they are at that moment, lets
//! `core::import` compare them with the file's rows, and carries out that
//! plan with the same steps the gallery pages use (so every change is
//! audited the same way, and a change that changes nothing is not written).

use super::access::audit;
use super::gallery::{
    change_org_unit, change_person, come_back, insert_org_unit, insert_person, leave,
    lock_member_for_people, mark_unit_removed, org_units_of, people_of,
};
use super::*;
use udrul_core::gallery::{ChangeSource, OrgUnitInput, PersonInput};
use udrul_core::import::{
    self, ImportKind, ImportOutcome, ImportRecord, ImportRows, NewImport, PersonChange, UnitRef,
};

#[derive(FromRow)]
struct ImportRow {
    id: i64,
    member_id: i64,
    kind: String,
    file_name: String,
    sha256: String,
    row_count: i64,
    created_by: Option<i64>,
    created_by_name: Option<String>,
    created_at: DateTime<Utc>,
    applied_at: Option<DateTime<Utc>>,
    applied_by_name: Option<String>,
    result: Option<String>,
    rows: String,
}

const IMPORT_SQL: &str = "SELECT i.id, i.member_id, i.kind, i.file_name, i.sha256, i.row_count, \
     i.created_by, c.display_name AS created_by_name, i.created_at, i.applied_at, \
     a.display_name AS applied_by_name, i.result, i.rows \
     FROM imports i LEFT JOIN users c ON c.id = i.created_by LEFT JOIN users a ON a.id = i.applied_by";

/// The same, without the rows (lists).
const IMPORT_LIST_SQL: &str = "SELECT i.id, i.member_id, i.kind, i.file_name, i.sha256, i.row_count, \
     i.created_by, c.display_name AS created_by_name, i.created_at, i.applied_at, \
     a.display_name AS applied_by_name, i.result, '' AS rows \
     FROM imports i LEFT JOIN users c ON c.id = i.created_by LEFT JOIN users a ON a.id = i.applied_by";

impl ImportRow {
    fn record(self) -> StoreResult<ImportRecord> {
        let kind = decode(&self.kind, ImportKind::parse)?;
        let rows = if self.applied_at.is_none() && !self.rows.is_empty() {
            Some(
                serde_json::from_str::<ImportRows>(&self.rows)
                    .map_err(|e| StoreError::Backend(format!("import rows: {e}")))?,
            )
        } else {
            None
        };
        Ok(ImportRecord {
            id: ImportId(self.id),
            member_id: MemberId(self.member_id),
            kind,
            file_name: self.file_name,
            sha256: self.sha256,
            row_count: self.row_count,
            created_by: self.created_by.map(UserId),
            created_by_name: self.created_by_name,
            created_at: self.created_at,
            applied_at: self.applied_at,
            applied_by_name: self.applied_by_name,
            outcome: self
                .result
                .as_deref()
                .and_then(|r| serde_json::from_str(r).ok()),
            rows,
        })
    }
}

/// The user id to record for `by`; the system is none.
fn user_of(by: &Actor) -> Option<i64> {
    (!by.is_system()).then_some(by.user_id.0)
}

pub(super) async fn save_import(
    s: &SqlStore,
    by: &Actor,
    i: NewImport,
) -> StoreResult<ImportRecord> {
    if !by.can_manage_gallery(i.member_id) {
        return Err(StoreError::Forbidden);
    }
    let rows = serde_json::to_string(&i.rows)
        .map_err(|e| StoreError::Backend(format!("import rows: {e}")))?;
    let mut tx = s.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO imports (member_id, kind, file_name, sha256, row_count, rows, created_by, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(i.member_id.0)
    .bind(i.rows.kind().as_str())
    .bind(&i.file_name)
    .bind(&i.sha256)
    .bind(i.rows.len() as i64)
    .bind(rows)
    .bind(user_of(by))
    .bind(now())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| insert_error(e, "import", None))?;
    let record = one(&mut tx, ImportId(id))
        .await?
        .ok_or(StoreError::NotFound)?;
    tx.commit().await.map_err(db)?;
    Ok(record)
}

async fn one(c: &mut Conn, id: ImportId) -> StoreResult<Option<ImportRecord>> {
    let row: Option<ImportRow> =
        sqlx::query_as(AssertSqlSafe(format!("{IMPORT_SQL} WHERE i.id = $1")))
            .bind(id.0)
            .fetch_optional(&mut *c)
            .await
            .map_err(db)?;
    row.map(ImportRow::record).transpose()
}

pub(super) async fn get_import(s: &SqlStore, id: ImportId) -> StoreResult<Option<ImportRecord>> {
    let mut c = s.read().await?;
    one(&mut c, id).await
}

pub(super) async fn list_imports(
    s: &SqlStore,
    member: MemberId,
    limit: u32,
) -> StoreResult<Vec<ImportRecord>> {
    let mut c = s.read().await?;
    let rows: Vec<ImportRow> = sqlx::query_as(AssertSqlSafe(format!(
        "{IMPORT_LIST_SQL} WHERE i.member_id = $1 ORDER BY i.id DESC LIMIT {}",
        limit.min(1000)
    )))
    .bind(member.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db)?;
    rows.into_iter().map(ImportRow::record).collect()
}

pub(super) async fn apply_import(
    s: &SqlStore,
    by: &Actor,
    id: ImportId,
    today: NaiveDate,
) -> StoreResult<ImportOutcome> {
    let mut tx = s.begin().await?;
    let record = one(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
    let member = record.member_id;
    if !by.can_manage_gallery(member) {
        return Err(StoreError::Forbidden);
    }
    lock_member_for_people(&mut tx, by, member).await?;
    // Under the member lock: a second apply of the same import waits here
    // and then finds it applied.
    let applied: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT applied_at FROM imports WHERE id = $1")
            .bind(id.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
    let rows = match (applied, record.rows) {
        (None, Some(rows)) => rows,
        _ => return Err(StoreError::WrongState("error-import-applied")),
    };
    let outcome = match &rows {
        ImportRows::People(rows) => apply_people(&mut tx, by, member, rows, today).await?,
        ImportRows::OrgUnits(rows) => apply_units(&mut tx, by, member, rows).await?,
    };
    let result = serde_json::to_string(&outcome).unwrap_or_else(|_| "{}".into());
    sqlx::query(
        "UPDATE imports SET applied_at = $1, applied_by = $2, result = $3, rows = '' WHERE id = $4",
    )
    .bind(now())
    .bind(user_of(by))
    .bind(&result)
    .bind(id.0)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    // One entry for the import as a whole, only when it changed something:
    // the changes themselves are audited one by one above.
    if outcome.changes() > 0 {
        audit(
            &mut tx,
            Some(by),
            AuditEntry {
                action: "import.apply",
                object_type: "import",
                object_id: Some(id.0),
                member_id: Some(member),
                after: Some(result),
                ..AuditEntry::default()
            },
        )
        .await?;
    }
    tx.commit().await.map_err(db)?;
    Ok(outcome)
}

/// The rows no longer fit the member (they changed since the preview).
fn stale() -> StoreError {
    invalid("file", "error-import-stale")
}

fn person_input(c: &PersonChange, units: &HashMap<String, OrgUnitId>) -> PersonInput {
    let org_unit_id = match &c.unit {
        None => None,
        Some(UnitRef::Existing(id)) => Some(*id),
        Some(UnitRef::New(name)) => units.get(&name.to_lowercase()).copied(),
    };
    PersonInput {
        external_id: Some(c.row.external_id.clone()),
        name: c.row.name.clone(),
        email: c.row.email.clone(),
        phone: c.row.phone.clone(),
        title: c.row.title.clone(),
        org_unit_id,
        // An import does not know SCIM's user names: leave them as they are.
        user_name: None,
    }
}

async fn apply_people(
    c: &mut Conn,
    by: &Actor,
    member: MemberId,
    rows: &[import::PersonRow],
    today: NaiveDate,
) -> StoreResult<ImportOutcome> {
    let people = people_of(c, member).await?;
    let units = org_units_of(c, member).await?;
    let plan = import::plan_people(&people, &units, rows).map_err(|_| stale())?;
    let mut out = ImportOutcome {
        unchanged: plan.unchanged,
        ..ImportOutcome::default()
    };
    let mut made: HashMap<String, OrgUnitId> = HashMap::new();
    for name in &plan.new_units {
        let unit = insert_org_unit(
            c,
            by,
            member,
            &OrgUnitInput {
                external_id: None,
                name: name.clone(),
                parent_id: None,
            },
        )
        .await?;
        made.insert(name.to_lowercase(), unit.id);
        out.units_created += 1;
    }
    for ch in &plan.create {
        insert_person(c, by, member, &person_input(ch, &made)).await?;
        out.created += 1;
    }
    for (before, ch) in &plan.update {
        change_person(c, by, before, &person_input(ch, &made)).await?;
        out.updated += 1;
    }
    for (before, ch) in &plan.returning {
        let back = come_back(c, by, before).await?;
        change_person(c, by, &back, &person_input(ch, &made)).await?;
        out.returned += 1;
    }
    for p in &plan.leave {
        let emptied = leave(c, by, p, today, ChangeSource::Import).await?;
        if !emptied.is_empty() {
            out.emptied.push((
                p.name.clone(),
                emptied.into_iter().map(|r| r.name).collect(),
            ));
        }
        out.left += 1;
    }
    Ok(out)
}

async fn apply_units(
    c: &mut Conn,
    by: &Actor,
    member: MemberId,
    rows: &[import::UnitRow],
) -> StoreResult<ImportOutcome> {
    let units = org_units_of(c, member).await?;
    let plan = import::plan_units(&units, rows);
    let mut out = ImportOutcome {
        unchanged: plan.unchanged,
        ..ImportOutcome::default()
    };
    // The external id of every unit the file names, to its id: those that
    // exist now, then each one created (parents come first).
    let mut ids: HashMap<String, OrgUnitId> = units
        .iter()
        .filter_map(|u| u.external_id.clone().map(|e| (e, u.id)))
        .collect();
    let input = |r: &import::UnitRow, ids: &HashMap<String, OrgUnitId>| -> StoreResult<_> {
        let parent_id = match &r.parent_external_id {
            None => None,
            Some(p) => Some(*ids.get(p).ok_or_else(stale)?),
        };
        Ok(OrgUnitInput {
            external_id: Some(r.external_id.clone()),
            name: r.name.clone(),
            parent_id,
        })
    };
    // Restored units come back first, so that they can be parents.
    let mut changed = Vec::new();
    for (before, r) in &plan.restore {
        changed.push((mark_unit_removed(c, by, before, false).await?, r, true));
        out.units_restored += 1;
    }
    // New units, parents first (`import::ordered`), so every parent exists.
    for r in &plan.create {
        let unit = insert_org_unit(c, by, member, &input(r, &ids)?).await?;
        ids.insert(r.external_id.clone(), unit.id);
        out.units_created += 1;
    }
    // Then every changed unit, also parents first: when a unit moves under
    // another, that one already hangs where the file says, so the cycle
    // check sees the file's tree, not a half-moved one.
    changed.extend(plan.update.iter().map(|(u, r)| (u.clone(), r, false)));
    let position: HashMap<&str, usize> = import::ordered(rows)
        .into_iter()
        .enumerate()
        .map(|(i, r)| (r.external_id.as_str(), i))
        .collect();
    changed.sort_by_key(|(_, r, _)| position.get(r.external_id.as_str()).copied());
    for (before, r, restored) in &changed {
        // The unit as it is now: a parent's move may not have touched it,
        // but read it again rather than trust the plan's copy.
        let now = super::gallery::org_unit(c, before.id)
            .await?
            .ok_or_else(stale)?;
        change_org_unit(c, by, &now, &input(r, &ids)?).await?;
        if !restored {
            out.units_updated += 1;
        }
    }
    for u in &plan.remove {
        // Current state: an earlier step may have moved it.
        if let Some(now) = super::gallery::org_unit(c, u.id).await? {
            mark_unit_removed(c, by, &now, true).await?;
        }
        out.units_removed += 1;
    }
    Ok(out)
}
