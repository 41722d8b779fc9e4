//! The demo's source data, embedded in the binary: the 98 municipalities and
//! the tasks the seed decks describe (`crates/app/data/`).

use anyhow::Context;
use chrono::NaiveDate;
use serde::Deserialize;

pub const MUNICIPALITIES_CSV: &str = include_str!("../../data/municipalities.csv");
pub const SEED_TASKS_JSON: &str = include_str!("../../data/seed-tasks.json");

/// One row of `municipalities.csv`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Municipality {
    pub code: String,
    pub name: String,
    pub region: String,
    pub network: String,
}

pub fn municipalities() -> anyhow::Result<Vec<Municipality>> {
    let mut rows = Vec::new();
    let mut reader = csv::Reader::from_reader(MUNICIPALITIES_CSV.as_bytes());
    for (i, row) in reader.deserialize::<Municipality>().enumerate() {
        rows.push(row.with_context(|| format!("municipalities.csv, data row {}", i + 1))?);
    }
    Ok(rows)
}

#[derive(Debug, Deserialize)]
struct SeedFile {
    tasks: Vec<SeedTask>,
}

/// A task as `seed-tasks.json` describes it.
#[derive(Debug, Clone, Deserialize)]
pub struct SeedTask {
    pub project: String,
    pub code: String,
    pub title: String,
    #[serde(rename = "type")]
    pub task_type: String,
    #[serde(default)]
    pub start: Option<NaiveDate>,
    pub end: NaiveDate,
    #[serde(default)]
    pub target_roles: Vec<String>,
    #[serde(default)]
    pub track: Option<String>,
    #[serde(default)]
    pub phase: Option<String>,
    #[serde(default)]
    pub purpose: Option<String>,
    /// Earlier end dates, oldest first; `end` is the current one.
    #[serde(default)]
    pub end_history: Vec<EndChange>,
    #[serde(default)]
    pub observed_status: Option<ObservedStatus>,
    pub audience: SeedAudience,
    #[serde(default)]
    pub answer_form: Vec<AnswerField>,
    #[serde(default)]
    pub subitems: Vec<SubItem>,
    #[serde(default)]
    pub subitem_statuses: Vec<String>,
    /// "ikke publiceret" when the deck showed the task as not yet published.
    #[serde(default)]
    pub publication: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    // The file's English `notes` are not read: the Danish guidance in
    // `text.rs` retells them.
}

impl SeedTask {
    /// The end date the task was first published with.
    pub fn original_end(&self) -> NaiveDate {
        self.end_history.first().map_or(self.end, |h| h.from)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct EndChange {
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Status figures a deck reports: counts, or the members still missing.
#[derive(Debug, Clone, Deserialize)]
pub struct ObservedStatus {
    pub as_of: NaiveDate,
    #[serde(default)]
    pub fuldfoert: Option<usize>,
    #[serde(default)]
    pub paabegyndt: Option<usize>,
    #[serde(default)]
    pub ikke_paabegyndt: Option<usize>,
    /// Names of the members not done; every other member is done.
    #[serde(default)]
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum SeedAudience {
    /// "all" or "list".
    Named(String),
    /// The members whose answer to the gate task `gate` (same project) was
    /// `answer`.
    Gate { gate: String, answer: String },
}

#[derive(Debug, Clone, Deserialize)]
pub struct AnswerField {
    pub kind: String,
    pub label: String,
    #[serde(default)]
    pub options_from: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SubItem {
    pub label: String,
}

pub fn seed_tasks() -> anyhow::Result<Vec<SeedTask>> {
    let file: SeedFile = serde_json::from_str(SEED_TASKS_JSON).context("seed-tasks.json")?;
    Ok(file.tasks)
}
