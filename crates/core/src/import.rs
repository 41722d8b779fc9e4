//! Importing a member's people or org units from its organisation system
//! (issue 4): a table (read from CSV or XLSX by the app) becomes rows,
//! every bad row is reported by its row number, and the rows are compared
//! with what the member has now into a plan. The store applies the plan it
//! computes itself, inside its writing transaction, so what is applied is
//! exactly what the rows say against the state of that moment.
//!
//! A file is a full picture (a snapshot): people (or units) with an
//! external id that the file no longer lists have left (are removed).
//! People and units without an external id were made by hand and are never
//! touched. Applying the same file twice, or the same rows in another
//! order, ends in the same state; the second time the plan is empty.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::gallery::{
    MAX_EMAIL, MAX_PHONE, OrgUnit, Person, looks_like_email, normalise_external_id,
};
use crate::input::MAX_SHORT;
use crate::model::{ImportId, MemberId, OrgUnitId, UserId};

/// Most data rows one file may hold.
pub const MAX_ROWS: usize = 50_000;
/// Row errors kept for one file; the rest are only counted.
pub const MAX_ERRORS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    People,
    OrgUnits,
}

impl ImportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::People => "people",
            ImportKind::OrgUnits => "org_units",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [ImportKind::People, ImportKind::OrgUnits]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A table as read from a file: the header row and the data rows, each
/// with its row number in the file (the header's is 1 unless blank lines
/// or a `sep=` line come first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub header_row: u32,
    pub headers: Vec<String>,
    pub rows: Vec<(u32, Vec<String>)>,
}

/// Something wrong with one row (row 0: the file as a whole), as a
/// catalogue key; `column` is the column's key (`external_id`, `name`, ...)
/// when one column is to blame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub row: u32,
    pub column: Option<&'static str>,
    pub code: &'static str,
    /// Another row the error is about (the first of a duplicate).
    pub other_row: Option<u32>,
}

impl RowError {
    fn new(row: u32, column: Option<&'static str>, code: &'static str) -> Self {
        RowError {
            row,
            column,
            code,
            other_row: None,
        }
    }
}

/// The errors of a file: the first `MAX_ERRORS`, and how many there were.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RowErrors {
    pub errors: Vec<RowError>,
    pub total: usize,
}

impl RowErrors {
    pub fn push(&mut self, e: RowError) {
        self.total += 1;
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(e);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    pub fn file(code: &'static str) -> RowErrors {
        let mut e = RowErrors::default();
        e.push(RowError::new(0, None, code));
        e
    }
}

/// One person as a file gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRow {
    pub row: u32,
    pub external_id: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub title: String,
    /// The unit by its external id, or else by its name.
    pub unit_external_id: Option<String>,
    pub unit_name: Option<String>,
}

/// One org unit as a file gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRow {
    pub row: u32,
    pub external_id: String,
    pub name: String,
    pub parent_external_id: Option<String>,
}

/// The valid rows of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "rows", rename_all = "snake_case")]
pub enum ImportRows {
    People(Vec<PersonRow>),
    OrgUnits(Vec<UnitRow>),
}

impl ImportRows {
    pub fn kind(&self) -> ImportKind {
        match self {
            ImportRows::People(_) => ImportKind::People,
            ImportRows::OrgUnits(_) => ImportKind::OrgUnits,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ImportRows::People(r) => r.len(),
            ImportRows::OrgUnits(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

// --- columns ------------------------------------------------------------------

/// A column's header as compared: lower case, letters and digits only
/// ("E-mail" and "email", "Bruger-ID" and "brugerid" are one).
pub fn header_key(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The columns a people file may have: (key, the headers that mean it).
pub const PEOPLE_COLUMNS: &[(&str, &[&str])] = &[
    (
        "external_id",
        &[
            "uuid",
            "brugerid",
            "brugeruuid",
            "bruger",
            "id",
            "externalid",
            "eksterntid",
            "objectguid",
            "medarbejderid",
            "personid",
        ],
    ),
    (
        "name",
        &["navn", "name", "fuldtnavn", "displayname", "visningsnavn"],
    ),
    ("given_name", &["fornavn", "givenname", "firstname"]),
    (
        "family_name",
        &["efternavn", "familyname", "surname", "lastname"],
    ),
    (
        "email",
        &["email", "mail", "emailadresse", "epost", "mailadresse"],
    ),
    (
        "phone",
        &[
            "telefon",
            "tlf",
            "telefonnummer",
            "tlfnr",
            "phone",
            "mobil",
            "mobile",
        ],
    ),
    (
        "title",
        &[
            "titel",
            "title",
            "stilling",
            "stillingsbetegnelse",
            "jobtitel",
        ],
    ),
    (
        "unit_external_id",
        &[
            "enhedid",
            "enhedsid",
            "enhedsuuid",
            "enhedid",
            "orgunitid",
            "unitid",
            "afdelingsid",
        ],
    ),
    (
        "unit_name",
        &[
            "enhed",
            "enhedsnavn",
            "afdeling",
            "orgunit",
            "department",
            "unit",
        ],
    ),
];

/// The columns a units file may have.
pub const UNIT_COLUMNS: &[(&str, &[&str])] = &[
    (
        "external_id",
        &[
            "id",
            "uuid",
            "enhedid",
            "enhedsid",
            "enhedsuuid",
            "externalid",
            "eksterntid",
        ],
    ),
    ("name", &["navn", "name", "enhedsnavn", "enhed"]),
    (
        "parent_external_id",
        &[
            "overordnet",
            "overordnetid",
            "overordnetenhed",
            "overordnetenhedid",
            "parentid",
            "parent",
            "foraelderid",
        ],
    ),
];

/// Which column index holds each key, and the headers nobody reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Columns {
    pub found: HashMap<&'static str, usize>,
    pub ignored: Vec<String>,
}

impl Columns {
    pub fn of(table: &Table, known: &[(&'static str, &[&str])]) -> Columns {
        let mut c = Columns::default();
        for (i, h) in table.headers.iter().enumerate() {
            let k = header_key(h);
            match known.iter().find(|(_, names)| names.contains(&k.as_str())) {
                Some((key, _)) if !c.found.contains_key(key) => {
                    c.found.insert(key, i);
                }
                _ if k.is_empty() => {}
                _ => c.ignored.push(h.trim().to_string()),
            }
        }
        c
    }

    fn get<'a>(&self, key: &str, cells: &'a [String]) -> &'a str {
        self.found
            .get(key)
            .and_then(|&i| cells.get(i))
            .map(|s| s.trim())
            .unwrap_or("")
    }
}

fn text(
    errs: &mut RowErrors,
    row: u32,
    column: &'static str,
    v: &str,
    max: usize,
    required: bool,
) -> String {
    if required && v.is_empty() {
        errs.push(RowError::new(row, Some(column), "error-required"));
    } else if v.chars().count() > max {
        errs.push(RowError::new(row, Some(column), "error-import-too-long"));
    } else if let Some(code) = crate::input::text_problem(v, crate::input::Lines::One) {
        errs.push(RowError::new(row, Some(column), code));
    }
    v.to_string()
}

/// Notes that `ext` is on `row`; a second row with it is an error that
/// names the first.
fn once(seen: &mut HashMap<String, u32>, ext: &str, row: u32, errs: &mut RowErrors) {
    if ext.is_empty() {
        return;
    }
    match seen.get(ext) {
        Some(&first) => errs.push(RowError {
            other_row: Some(first),
            ..RowError::new(row, Some("external_id"), "error-import-duplicate")
        }),
        None => {
            seen.insert(ext.to_string(), row);
        }
    }
}

fn missing_columns(
    cols: &Columns,
    header_row: u32,
    required: &[&'static str],
    errs: &mut RowErrors,
) {
    for &key in required {
        if !cols.found.contains_key(key) {
            errs.push(RowError::new(
                header_row,
                Some(key),
                "error-import-no-column",
            ));
        }
    }
}

/// The people of a people file, or every row that is wrong with it.
pub fn people_rows(table: &Table) -> Result<(Vec<PersonRow>, Columns), RowErrors> {
    let cols = Columns::of(table, PEOPLE_COLUMNS);
    let mut errs = RowErrors::default();
    missing_columns(&cols, table.header_row, &["external_id"], &mut errs);
    let has_name = cols.found.contains_key("name")
        || (cols.found.contains_key("given_name") || cols.found.contains_key("family_name"));
    if !has_name {
        errs.push(RowError::new(
            table.header_row,
            Some("name"),
            "error-import-no-column",
        ));
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    if table.rows.len() > MAX_ROWS {
        return Err(RowErrors::file("error-import-too-many-rows"));
    }
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut rows = Vec::with_capacity(table.rows.len());
    for (row, cells) in &table.rows {
        let row = *row;
        let field = |errs: &mut RowErrors, key: &'static str, max: usize, required: bool| {
            text(errs, row, key, cols.get(key, cells), max, required)
        };
        let ext = field(&mut errs, "external_id", MAX_SHORT, true);
        let ext = normalise_external_id(&ext);
        let name = match cols.get("name", cells) {
            "" => {
                let given = cols.get("given_name", cells);
                let family = cols.get("family_name", cells);
                format!("{given} {family}").trim().to_string()
            }
            n => n.to_string(),
        };
        let name = text(&mut errs, row, "name", &name, MAX_SHORT, true);
        let email = field(&mut errs, "email", MAX_EMAIL, false);
        if !email.is_empty() && !looks_like_email(&email) {
            errs.push(RowError::new(row, Some("email"), "error-email"));
        }
        let phone = field(&mut errs, "phone", MAX_PHONE, false);
        let title = field(&mut errs, "title", MAX_SHORT, false);
        let unit_ext = field(&mut errs, "unit_external_id", MAX_SHORT, false);
        let unit_name = field(&mut errs, "unit_name", MAX_SHORT, false);
        once(&mut seen, &ext, row, &mut errs);
        rows.push(PersonRow {
            row,
            external_id: ext,
            name,
            email,
            phone,
            title,
            unit_external_id: (!unit_ext.is_empty()).then(|| normalise_external_id(&unit_ext)),
            unit_name: (!unit_name.is_empty()).then_some(unit_name),
        });
    }
    if errs.is_empty() {
        Ok((rows, cols))
    } else {
        Err(errs)
    }
}

/// The units of a units file, or every row that is wrong with it. Parents
/// must be units of the same file, and no unit may be its own ancestor.
pub fn unit_rows(table: &Table) -> Result<(Vec<UnitRow>, Columns), RowErrors> {
    let cols = Columns::of(table, UNIT_COLUMNS);
    let mut errs = RowErrors::default();
    missing_columns(&cols, table.header_row, &["external_id", "name"], &mut errs);
    if !errs.is_empty() {
        return Err(errs);
    }
    if table.rows.len() > MAX_ROWS {
        return Err(RowErrors::file("error-import-too-many-rows"));
    }
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut rows = Vec::with_capacity(table.rows.len());
    for (row, cells) in &table.rows {
        let row = *row;
        let field = |errs: &mut RowErrors, key: &'static str, max: usize, required: bool| {
            text(errs, row, key, cols.get(key, cells), max, required)
        };
        let ext = normalise_external_id(&field(&mut errs, "external_id", MAX_SHORT, true));
        let name = field(&mut errs, "name", MAX_SHORT, true);
        let parent = field(&mut errs, "parent_external_id", MAX_SHORT, false);
        once(&mut seen, &ext, row, &mut errs);
        rows.push(UnitRow {
            row,
            external_id: ext,
            name,
            parent_external_id: (!parent.is_empty()).then(|| normalise_external_id(&parent)),
        });
    }
    // Parents: known, and no cycles.
    let parent_of: HashMap<&str, Option<&str>> = rows
        .iter()
        .map(|r| (r.external_id.as_str(), r.parent_external_id.as_deref()))
        .collect();
    for r in &rows {
        let Some(p) = r.parent_external_id.as_deref() else {
            continue;
        };
        if !parent_of.contains_key(p) {
            errs.push(RowError::new(
                r.row,
                Some("parent_external_id"),
                "error-import-unknown-parent",
            ));
            continue;
        }
        let mut at = Some(p);
        let mut steps = 0;
        while let Some(x) = at {
            if x == r.external_id || steps > rows.len() {
                errs.push(RowError::new(
                    r.row,
                    Some("parent_external_id"),
                    "error-import-cycle",
                ));
                break;
            }
            at = parent_of.get(x).copied().flatten();
            steps += 1;
        }
    }
    if errs.is_empty() {
        Ok((rows, cols))
    } else {
        Err(errs)
    }
}

// --- plans --------------------------------------------------------------------

/// How an org unit is to be found for a person: an existing unit, or one
/// the import creates by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum UnitRef {
    Existing(OrgUnitId),
    /// A unit of this name is created (once) by the import.
    New(String),
}

/// A person as they will be after the import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonChange {
    pub row: PersonRow,
    pub unit: Option<UnitRef>,
}

/// What applying a people file does to the member's people.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PeoplePlan {
    pub create: Vec<PersonChange>,
    /// Changed people, with their state now.
    pub update: Vec<(Person, PersonChange)>,
    /// People who had left and are listed again (possibly changed too).
    pub returning: Vec<(Person, PersonChange)>,
    /// People the organisation system no longer lists.
    pub leave: Vec<Person>,
    /// Units to create by name, in the order first named.
    pub new_units: Vec<String>,
    pub unchanged: usize,
}

impl PeoplePlan {
    pub fn changes(&self) -> usize {
        self.create.len()
            + self.update.len()
            + self.returning.len()
            + self.leave.len()
            + self.new_units.len()
    }
}

fn person_matches(p: &Person, c: &PersonChange) -> bool {
    p.name == c.row.name
        && p.email == c.row.email
        && p.phone == c.row.phone
        && p.title == c.row.title
        && match &c.unit {
            None => p.org_unit_id.is_none(),
            Some(UnitRef::Existing(u)) => p.org_unit_id == Some(*u),
            Some(UnitRef::New(_)) => false,
        }
}

/// Compares a people file with the member's people and units now. A row
/// naming a unit id the member does not have (or has removed) is an error;
/// a unit named only by name is found by name (ignoring case), or made.
pub fn plan_people(
    people: &[Person],
    units: &[OrgUnit],
    rows: &[PersonRow],
) -> Result<PeoplePlan, RowErrors> {
    let live_units: Vec<&OrgUnit> = units.iter().filter(|u| !u.removed).collect();
    let by_ext: HashMap<&str, OrgUnitId> = live_units
        .iter()
        .filter_map(|u| u.external_id.as_deref().map(|e| (e, u.id)))
        .collect();
    let by_name: HashMap<String, OrgUnitId> = live_units
        .iter()
        .map(|u| (u.name.to_lowercase(), u.id))
        .collect();
    let current: HashMap<&str, &Person> = people
        .iter()
        .filter_map(|p| p.external_id.as_deref().map(|e| (e, p)))
        .collect();
    let mut plan = PeoplePlan::default();
    let mut errs = RowErrors::default();
    let mut new_unit_names: HashSet<String> = HashSet::new();
    let mut listed: HashSet<&str> = HashSet::new();
    for r in rows {
        let unit = match (&r.unit_external_id, &r.unit_name) {
            (Some(ext), _) => match by_ext.get(ext.as_str()) {
                Some(id) => Some(UnitRef::Existing(*id)),
                None => {
                    errs.push(RowError::new(
                        r.row,
                        Some("unit_external_id"),
                        "error-import-unknown-unit",
                    ));
                    None
                }
            },
            (None, Some(name)) => match by_name.get(&name.to_lowercase()) {
                Some(id) => Some(UnitRef::Existing(*id)),
                None => {
                    if new_unit_names.insert(name.to_lowercase()) {
                        plan.new_units.push(name.clone());
                    }
                    // One spelling for the unit: the first row's.
                    let first = plan
                        .new_units
                        .iter()
                        .find(|n| n.to_lowercase() == name.to_lowercase())
                        .cloned()
                        .unwrap_or_else(|| name.clone());
                    Some(UnitRef::New(first))
                }
            },
            (None, None) => None,
        };
        listed.insert(r.external_id.as_str());
        let change = PersonChange {
            row: r.clone(),
            unit,
        };
        match current.get(r.external_id.as_str()) {
            None => plan.create.push(change),
            Some(p) if p.left_at.is_some() => plan.returning.push(((*p).clone(), change)),
            Some(p) if person_matches(p, &change) => plan.unchanged += 1,
            Some(p) => plan.update.push(((*p).clone(), change)),
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    plan.leave = people
        .iter()
        .filter(|p| {
            p.left_at.is_none()
                && p.external_id
                    .as_deref()
                    .is_some_and(|e| !listed.contains(e))
        })
        .cloned()
        .collect();
    Ok(plan)
}

/// What applying a units file does to the member's units.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UnitPlan {
    /// In an order where every parent comes before its children.
    pub create: Vec<UnitRow>,
    pub update: Vec<(OrgUnit, UnitRow)>,
    /// Removed units listed again (possibly changed too).
    pub restore: Vec<(OrgUnit, UnitRow)>,
    pub remove: Vec<OrgUnit>,
    pub unchanged: usize,
}

impl UnitPlan {
    pub fn changes(&self) -> usize {
        self.create.len() + self.update.len() + self.restore.len() + self.remove.len()
    }
}

/// Compares a units file with the member's units now.
pub fn plan_units(units: &[OrgUnit], rows: &[UnitRow]) -> UnitPlan {
    let current: HashMap<&str, &OrgUnit> = units
        .iter()
        .filter_map(|u| u.external_id.as_deref().map(|e| (e, u)))
        .collect();
    let ext_of: HashMap<OrgUnitId, &str> = units
        .iter()
        .filter_map(|u| u.external_id.as_deref().map(|e| (u.id, e)))
        .collect();
    let mut plan = UnitPlan::default();
    let listed: HashSet<&str> = rows.iter().map(|r| r.external_id.as_str()).collect();
    for r in ordered(rows) {
        match current.get(r.external_id.as_str()) {
            None => plan.create.push(r.clone()),
            Some(u) if u.removed => plan.restore.push(((*u).clone(), r.clone())),
            Some(u) => {
                let parent_now = u.parent_id.and_then(|p| ext_of.get(&p).copied());
                if u.name == r.name && parent_now == r.parent_external_id.as_deref() {
                    plan.unchanged += 1;
                } else {
                    plan.update.push(((*u).clone(), r.clone()));
                }
            }
        }
    }
    plan.remove = units
        .iter()
        .filter(|u| {
            !u.removed
                && u.external_id
                    .as_deref()
                    .is_some_and(|e| !listed.contains(e))
        })
        .cloned()
        .collect();
    plan
}

/// `rows` with every parent before its children (rows are cycle-free, as
/// `unit_rows` checks); otherwise in file order.
pub fn ordered(rows: &[UnitRow]) -> Vec<&UnitRow> {
    let index: HashMap<&str, &UnitRow> = rows.iter().map(|r| (r.external_id.as_str(), r)).collect();
    let mut done: HashSet<&str> = HashSet::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        // Climb to the highest ancestor not yet placed, then place down.
        let mut chain = vec![r];
        let mut at = r;
        while let Some(p) = at.parent_external_id.as_deref().and_then(|p| index.get(p))
            && !done.contains(p.external_id.as_str())
            && chain.len() <= rows.len()
        {
            chain.push(p);
            at = p;
        }
        for x in chain.into_iter().rev() {
            if done.insert(x.external_id.as_str()) {
                out.push(x);
            }
        }
    }
    out
}

/// What an applied import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportOutcome {
    pub created: usize,
    pub updated: usize,
    pub returned: usize,
    pub left: usize,
    pub units_created: usize,
    pub units_updated: usize,
    pub units_restored: usize,
    pub units_removed: usize,
    pub unchanged: usize,
    /// For each person who left and left roles empty: their name and those
    /// roles' names.
    pub emptied: Vec<(String, Vec<String>)>,
}

impl ImportOutcome {
    pub fn changes(&self) -> usize {
        self.created
            + self.updated
            + self.returned
            + self.left
            + self.units_created
            + self.units_updated
            + self.units_restored
            + self.units_removed
    }
}

/// A valid file waiting to be applied, to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewImport {
    pub member_id: MemberId,
    pub file_name: String,
    /// Of the file's bytes, in hex.
    pub sha256: String,
    pub rows: ImportRows,
}

/// An uploaded file: waiting (with its rows) or applied (with its outcome).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRecord {
    pub id: ImportId,
    pub member_id: MemberId,
    pub kind: ImportKind,
    pub file_name: String,
    pub sha256: String,
    pub row_count: i64,
    pub created_by: Option<UserId>,
    pub created_by_name: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub applied_at: Option<chrono::DateTime<chrono::Utc>>,
    pub applied_by_name: Option<String>,
    pub outcome: Option<ImportOutcome>,
    /// `None` once applied, and in lists.
    pub rows: Option<ImportRows>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MemberId, PersonId};

    fn table(headers: &[&str], rows: &[&[&str]]) -> Table {
        Table {
            header_row: 1,
            headers: headers.iter().map(|s| s.to_string()).collect(),
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, r)| (i as u32 + 2, r.iter().map(|s| s.to_string()).collect()))
                .collect(),
        }
    }

    fn person(id: i64, ext: &str, name: &str, left: bool) -> Person {
        Person {
            id: PersonId(id),
            member_id: MemberId(1),
            external_id: Some(ext.into()),
            name: name.into(),
            email: String::new(),
            phone: String::new(),
            title: String::new(),
            org_unit_id: None,
            org_unit_name: None,
            left_at: left.then(chrono::Utc::now),
            user_name: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn headers_are_matched_loosely_and_unknown_ones_listed() {
        let t = table(
            &[
                "\u{feff}Bruger-ID",
                "Fornavn",
                "Efternavn",
                "E-mail",
                "Lønnummer",
            ],
            &[&["A1", "Anne", "Ager", "anne@k.dk", "77"]],
        );
        let (rows, cols) = people_rows(&t).unwrap();
        assert_eq!(rows[0].name, "Anne Ager");
        assert_eq!(rows[0].external_id, "A1");
        assert_eq!(rows[0].email, "anne@k.dk");
        assert_eq!(cols.ignored, ["Lønnummer"]);
    }

    #[test]
    fn bad_rows_are_named_by_row_number_and_column() {
        let t = table(
            &["uuid", "navn", "email"],
            &[
                &["A1", "Anne", "anne@k.dk"],
                &["", "Bo", "bo@k.dk"],
                &["C1", "", "ikke en adresse"],
                &["A1", "Anne igen", ""],
            ],
        );
        let e = people_rows(&t).unwrap_err();
        let got: Vec<(u32, Option<&str>, &str)> =
            e.errors.iter().map(|e| (e.row, e.column, e.code)).collect();
        assert_eq!(
            got,
            [
                (3, Some("external_id"), "error-required"),
                (4, Some("name"), "error-required"),
                (4, Some("email"), "error-email"),
                (5, Some("external_id"), "error-import-duplicate"),
            ]
        );
        assert_eq!(e.errors[3].other_row, Some(2));
        // No id column at all: one error, on the header row.
        let e = people_rows(&table(&["navn"], &[&["Anne"]])).unwrap_err();
        assert_eq!(e.errors[0].code, "error-import-no-column");
        assert_eq!(e.errors[0].row, 1);
    }

    #[test]
    fn spoofing_and_control_characters_are_row_errors() {
        let t = table(
            &["uuid", "navn", "titel"],
            &[
                &["A1", "Anne\u{202E}regA", ""],
                &["B1", "Bo", "IT\u{200B}-chef"],
                &["C1", "Cai\nCarl", ""],
                &["D1", "Dan", "a\u{1}b"],
                &["E1", "Æbelø Åsgård 😀", "Chef (IT) – drift"],
            ],
        );
        let e = people_rows(&t).unwrap_err();
        let got: Vec<(u32, Option<&str>, &str)> =
            e.errors.iter().map(|e| (e.row, e.column, e.code)).collect();
        assert_eq!(
            got,
            [
                (2, Some("name"), "error-invisible-chars"),
                (3, Some("title"), "error-invisible-chars"),
                (4, Some("name"), "error-line-break"),
                (5, Some("title"), "error-control-chars"),
            ]
        );
        let t = table(&["id", "navn"], &[&["u1", "Skole\u{2066}"]]);
        assert_eq!(
            unit_rows(&t).unwrap_err().errors[0].code,
            "error-invisible-chars"
        );
    }

    #[test]
    fn a_people_plan_creates_updates_returns_and_leaves() {
        let people = [
            person(1, "a", "Anne", false),
            person(2, "b", "Bo", false),
            person(3, "c", "Cai", true),
            person(4, "d", "Dan", false),
            Person {
                external_id: None,
                ..person(5, "", "By hand", false)
            },
        ];
        let unit = OrgUnit {
            id: OrgUnitId(9),
            member_id: MemberId(1),
            external_id: Some("u9".into()),
            name: "IT".into(),
            parent_id: None,
            removed: false,
        };
        let t = table(
            &["id", "navn", "enhed"],
            &[
                &["a", "Anne", ""],
                &["b", "Bo Bech", "it"],
                &["c", "Cai", ""],
                &["e", "Eva", "Skole"],
                &["f", "Finn", "skole"],
            ],
        );
        let (rows, _) = people_rows(&t).unwrap();
        let plan = plan_people(&people, std::slice::from_ref(&unit), &rows).unwrap();
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.update.len(), 1);
        assert_eq!(plan.update[0].1.unit, Some(UnitRef::Existing(OrgUnitId(9))));
        assert_eq!(plan.returning.len(), 1);
        assert_eq!(plan.create.len(), 2);
        assert_eq!(plan.new_units, ["Skole"]);
        assert_eq!(plan.create[1].unit, Some(UnitRef::New("Skole".into())));
        // Dan is no longer listed; the person made by hand is left alone.
        assert_eq!(plan.leave.iter().map(|p| p.id.0).collect::<Vec<_>>(), [4]);
        // The same rows in another order make the same plan, counted alike.
        let mut reversed = rows.clone();
        reversed.reverse();
        let again = plan_people(&people, &[unit], &reversed).unwrap();
        assert_eq!(again.changes(), plan.changes());
        assert_eq!(again.leave, plan.leave);
    }

    #[test]
    fn unit_files_need_known_parents_and_no_cycles_and_plan_parents_first() {
        let t = table(
            &["enhedsid", "navn", "overordnet"],
            &[
                &["c", "Skole", "b"],
                &["b", "Børn og unge", "a"],
                &["a", "Kommunen", ""],
            ],
        );
        let (rows, _) = unit_rows(&t).unwrap();
        let plan = plan_units(&[], &rows);
        let order: Vec<&str> = plan.create.iter().map(|r| r.external_id.as_str()).collect();
        assert_eq!(order, ["a", "b", "c"]);
        let bad = table(
            &["enhedsid", "navn", "overordnet"],
            &[&["a", "A", "b"], &["b", "B", "a"], &["c", "C", "x"]],
        );
        let e = unit_rows(&bad).unwrap_err();
        let codes: Vec<(u32, &str)> = e.errors.iter().map(|e| (e.row, e.code)).collect();
        assert_eq!(
            codes,
            [
                (2, "error-import-cycle"),
                (3, "error-import-cycle"),
                (4, "error-import-unknown-parent")
            ]
        );
    }

    #[test]
    fn a_units_plan_updates_restores_and_removes() {
        let unit = |id: i64, ext: &str, name: &str, parent: Option<i64>, removed: bool| OrgUnit {
            id: OrgUnitId(id),
            member_id: MemberId(1),
            external_id: Some(ext.into()),
            name: name.into(),
            parent_id: parent.map(OrgUnitId),
            removed,
        };
        let now = [
            unit(1, "a", "Kommunen", None, false),
            unit(2, "b", "Børn", Some(1), false),
            unit(3, "c", "Gammel", None, true),
            unit(4, "d", "Væk", None, false),
        ];
        let t = table(
            &["id", "navn", "overordnet"],
            &[
                &["a", "Kommunen", ""],
                &["b", "Børn og unge", "a"],
                &["c", "Gammel", "a"],
            ],
        );
        let (rows, _) = unit_rows(&t).unwrap();
        let plan = plan_units(&now, &rows);
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.update.len(), 1);
        assert_eq!(plan.restore.len(), 1);
        assert_eq!(plan.remove.iter().map(|u| u.id.0).collect::<Vec<_>>(), [4]);
    }
}
