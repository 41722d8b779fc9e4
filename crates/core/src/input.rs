//! Input parsed once at the edge. Every constructor here checks all fields and
//! returns every problem at once, as field errors whose `code` is a key of the
//! translation catalogue (the web layer shows it next to the field, the API
//! returns it in the problem details).

use chrono::NaiveDate;
use serde::Serialize;

use crate::model::{ExecutionStatus, MemberId, ProjectId, TaskType};

pub const MAX_CODE: usize = 40;
pub const MAX_TITLE: usize = 200;
pub const MAX_SHORT: usize = 200;
pub const MAX_PURPOSE: usize = 4_000;
pub const MAX_GUIDANCE: usize = 20_000;
/// Deepest nesting of quotes and lists that guidance may have on one line
/// (`> > - 1.`): rendering nested blocks costs more per level, and 19,000
/// nested quotes in 20,000 characters cost a second a view (issue 11).
pub const MAX_GUIDANCE_NESTING: usize = 12;

/// The most Markdown containers (quotes `>`, list items `-`, `*`, `+`,
/// `1.`, `1)`) any one line opens at its start. Nesting by indentation
/// alone is bounded by the length limit (each level costs two more spaces
/// on every line), so the markers are what can nest deeply and cheaply.
pub fn markdown_nesting(text: &str) -> usize {
    text.lines()
        .map(|line| {
            let mut depth = 0;
            let mut rest = line.trim_start();
            loop {
                if let Some(r) = rest.strip_prefix('>') {
                    rest = r.trim_start();
                } else if let Some(r) = rest
                    .strip_prefix(['-', '*', '+'])
                    .filter(|r| r.is_empty() || r.starts_with([' ', '\t']))
                {
                    rest = r.trim_start();
                } else {
                    let digits =
                        rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                    let after = &rest[digits..];
                    match after.strip_prefix(['.', ')']) {
                        Some(r)
                            if (1..=9).contains(&digits)
                                && (r.is_empty() || r.starts_with([' ', '\t'])) =>
                        {
                            rest = r.trim_start();
                        }
                        _ => break,
                    }
                }
                depth += 1;
            }
            depth
        })
        .max()
        .unwrap_or(0)
}
pub const MAX_REASON: usize = 1_000;
pub const MAX_ROLES: usize = 20;
pub const MAX_PROJECT_DESCRIPTION: usize = 4_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    /// Catalogue key, e.g. `error-required`.
    pub code: &'static str,
    /// A limit to show in the message (maximum length), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, code: &'static str) {
        self.0.push(FieldError {
            field,
            code,
            limit: None,
        });
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn for_field(&self, field: &str) -> Option<&FieldError> {
        self.0.iter().find(|e| e.field == field)
    }
    pub fn into_result<T>(self, ok: T) -> Result<T, FieldErrors> {
        if self.0.is_empty() { Ok(ok) } else { Err(self) }
    }

    /// Trimmed one-line text, required, at most `max` characters, checked
    /// by [`text_problem`].
    pub fn required(&mut self, field: &'static str, value: &str, max: usize) -> String {
        self.text(field, value, max, true, Lines::One)
    }

    /// Trimmed one-line text, may be empty, at most `max` characters.
    pub fn optional(&mut self, field: &'static str, value: &str, max: usize) -> String {
        self.text(field, value, max, false, Lines::One)
    }

    /// Trimmed text that may have several lines (a textarea: purpose,
    /// guidance, descriptions, reasons), required.
    pub fn required_lines(&mut self, field: &'static str, value: &str, max: usize) -> String {
        self.text(field, value, max, true, Lines::Many)
    }

    /// Trimmed text that may have several lines, may be empty.
    pub fn optional_lines(&mut self, field: &'static str, value: &str, max: usize) -> String {
        self.text(field, value, max, false, Lines::Many)
    }

    fn text(
        &mut self,
        field: &'static str,
        value: &str,
        max: usize,
        required: bool,
        lines: Lines,
    ) -> String {
        let v = value.trim();
        if required && v.is_empty() {
            self.add(field, "error-required");
        }
        if v.chars().count() > max {
            self.0.push(FieldError {
                field,
                code: "error-too-long",
                limit: Some(max),
            });
        } else if let Some(code) = text_problem(v, lines) {
            self.add(field, code);
        }
        v.to_string()
    }
}

/// Whether a text field is one line (a name, a title) or may have several
/// (a textarea).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    One,
    Many,
}

/// Characters that show nothing or turn the direction of the text around,
/// so that what a reader sees is not what is stored: bidirectional
/// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and
/// the direction marks (U+200E, U+200F, U+061C); zero-width space, joiners
/// and word joiner (U+200B–U+200D, U+2060), the byte-order mark (U+FEFF)
/// and the other invisible format characters (soft hyphen, invisible
/// operators, interlinear annotation, tags, Hangul fillers), and the line
/// and paragraph separators (U+2028, U+2029). Emoji variation selectors
/// (U+FE0F) are not among them; the zero-width joiner of composed emoji is
/// (it is the same character that hides inside a word).
pub fn is_invisible_or_bidi(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// What is wrong with the characters of a text, as a catalogue key, or
/// `None`: the one check every free-text field goes through (forms, the
/// API, SCIM, imports, the command line). Refused are the characters of
/// [`is_invisible_or_bidi`] (`error-invisible-chars`), control characters
/// (C0, DEL, C1: `error-control-chars`), and in one-line fields line breaks
/// and tabs (`error-line-break`); a field of several lines keeps `\n`,
/// `\r` and `\t`.
pub fn text_problem(v: &str, lines: Lines) -> Option<&'static str> {
    let mut found = None;
    for c in v.chars() {
        if is_invisible_or_bidi(c) {
            // The most misleading problem wins.
            return Some("error-invisible-chars");
        }
        if matches!(c, '\n' | '\r' | '\t') {
            if lines == Lines::One && found.is_none() {
                found = Some("error-line-break");
            }
        } else if c.is_control() {
            found = Some("error-control-chars");
        }
    }
    found
}

/// A name from somewhere we cannot send a form error to (an identity
/// provider's login): the characters [`text_problem`] refuses are taken
/// out (line breaks and tabs become spaces), so that what is stored is
/// what a reader sees, and the login still works.
pub fn without_hidden(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if matches!(c, '\n' | '\r' | '\t') {
            out.push(' ');
        } else if !is_invisible_or_bidi(c) && !c.is_control() {
            out.push(c);
        }
    }
    out.trim().to_string()
}

/// The first and last day a date of Udrul's may be: tasks, end-date
/// changes, role assignments, token expiry. Nothing Udrul tracks (rollouts
/// of shared IT; the demo's history starts in 2020) lies before 2000 or
/// after 2100, while a typo such as year 0000 or 20255 would otherwise be
/// published to every member.
pub const FIRST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => panic!(),
};
pub const LAST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2100, 12, 31) {
    Some(d) => d,
    None => panic!(),
};

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.code))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

/// A task as central staff write it (create and edit of drafts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskInput {
    pub project_id: ProjectId,
    pub code: String,
    pub title: String,
    pub purpose: String,
    pub guidance: String,
    pub task_type: TaskType,
    pub phase: String,
    pub target_roles: Vec<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: NaiveDate,
}

/// The raw, untrusted shape of a task: what a form or JSON body carries.
#[derive(Debug, Clone, Default)]
pub struct RawTask<'a> {
    pub project_id: Option<i64>,
    pub code: &'a str,
    pub title: &'a str,
    pub purpose: &'a str,
    pub guidance: &'a str,
    pub task_type: &'a str,
    pub phase: &'a str,
    pub target_roles: Vec<&'a str>,
    pub start_date: &'a str,
    pub end_date: &'a str,
}

pub fn parse_date(
    errs: &mut FieldErrors,
    field: &'static str,
    raw: &str,
    required: bool,
) -> Option<NaiveDate> {
    let raw = raw.trim();
    if raw.is_empty() {
        if required {
            errs.add(field, "error-required");
        }
        return None;
    }
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) if (FIRST_DATE..=LAST_DATE).contains(&d) => Some(d),
        Ok(_) => {
            errs.add(field, "error-date-range");
            None
        }
        Err(_) => {
            errs.add(field, "error-date");
            None
        }
    }
}

impl TaskInput {
    pub fn parse(raw: &RawTask<'_>) -> Result<TaskInput, FieldErrors> {
        let mut e = FieldErrors::default();
        let project_id = match raw.project_id {
            Some(id) => Some(ProjectId(id)),
            None => {
                e.add("project_id", "error-required");
                None
            }
        };
        let code = e.required("code", raw.code, MAX_CODE);
        let title = e.required("title", raw.title, MAX_TITLE);
        let purpose = e.optional_lines("purpose", raw.purpose, MAX_PURPOSE);
        let guidance = e.optional_lines("guidance", raw.guidance, MAX_GUIDANCE);
        if markdown_nesting(&guidance) > MAX_GUIDANCE_NESTING {
            e.0.push(FieldError {
                field: "guidance",
                code: "error-guidance-nesting",
                limit: Some(MAX_GUIDANCE_NESTING),
            });
        }
        let task_type = match TaskType::parse(raw.task_type.trim()) {
            Some(t) => Some(t),
            None => {
                e.add("task_type", "error-choice");
                None
            }
        };
        let phase = e.optional("phase", raw.phase, MAX_SHORT);
        let mut target_roles: Vec<String> = Vec::new();
        for r in &raw.target_roles {
            let r = e.optional("target_roles", r, MAX_SHORT);
            if !r.is_empty() && !target_roles.contains(&r) {
                target_roles.push(r);
            }
        }
        if target_roles.len() > MAX_ROLES {
            e.add("target_roles", "error-too-many");
        }
        let start_date = parse_date(&mut e, "start_date", raw.start_date, false);
        let end_date = parse_date(&mut e, "end_date", raw.end_date, true);
        if let (Some(s), Some(end)) = (start_date, end_date)
            && end < s
        {
            e.add("end_date", "error-end-before-start");
        }
        match (project_id, task_type, end_date) {
            (Some(project_id), Some(task_type), Some(end_date)) if e.is_empty() => Ok(TaskInput {
                project_id,
                code,
                title,
                purpose,
                guidance,
                task_type,
                phase,
                target_roles,
                start_date,
                end_date,
            }),
            _ => Err(e),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectInput {
    pub name: String,
    pub description: String,
}

impl ProjectInput {
    pub fn parse(name: &str, description: &str) -> Result<ProjectInput, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = e.required("name", name, MAX_SHORT);
        let description = e.optional_lines("description", description, MAX_PROJECT_DESCRIPTION);
        e.into_result(ProjectInput { name, description })
    }
}

pub const MAX_USERNAME: usize = 64;

/// The names of a login account as an administrator or the command line
/// gives them (the username has no spaces; the e-mail address may be
/// empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserNames {
    pub username: String,
    pub display_name: String,
    pub email: String,
}

impl UserNames {
    pub fn parse(
        username: &str,
        display_name: &str,
        email: &str,
    ) -> Result<UserNames, FieldErrors> {
        let mut e = FieldErrors::default();
        let username = e.required("username", username, MAX_USERNAME);
        if username.chars().any(char::is_whitespace) && e.for_field("username").is_none() {
            e.add("username", "error-username-spaces");
        }
        let display_name = e.required("display_name", display_name, MAX_SHORT);
        let email = e.optional("email", email, crate::gallery::MAX_EMAIL);
        if !email.is_empty() && !crate::gallery::looks_like_email(&email) {
            e.add("email", "error-email");
        }
        e.into_result(UserNames {
            username,
            display_name,
            email,
        })
    }
}

/// Who a task is published to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    All,
    /// The union of these members, regions and networks; never empty.
    Selection {
        members: Vec<MemberId>,
        regions: Vec<String>,
        networks: Vec<String>,
    },
}

impl Audience {
    pub fn parse(
        all: bool,
        members: Vec<i64>,
        regions: Vec<String>,
        networks: Vec<String>,
    ) -> Result<Audience, FieldErrors> {
        let mut e = FieldErrors::default();
        if all {
            if !members.is_empty() || !regions.is_empty() || !networks.is_empty() {
                e.add("audience", "error-audience-both");
            }
            return e.into_result(Audience::All);
        }
        let regions: Vec<String> = regions
            .into_iter()
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .collect();
        let networks: Vec<String> = networks
            .into_iter()
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .collect();
        if members.is_empty() && regions.is_empty() && networks.is_empty() {
            e.add("audience", "error-audience-empty");
        }
        e.into_result(Audience::Selection {
            members: members.into_iter().map(MemberId).collect(),
            regions,
            networks,
        })
    }
}

/// A change of end date, which always carries a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndDateChange {
    pub end_date: NaiveDate,
    pub reason: String,
}

impl EndDateChange {
    pub fn parse(end_date: &str, reason: &str) -> Result<EndDateChange, FieldErrors> {
        let mut e = FieldErrors::default();
        let end = parse_date(&mut e, "end_date", end_date, true);
        let reason = e.required_lines("reason", reason, MAX_REASON);
        match end {
            Some(end_date) if e.is_empty() => Ok(EndDateChange { end_date, reason }),
            _ => Err(e),
        }
    }
}

/// A member's update of its instance. Fields left `None` keep their value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InstanceUpdate {
    pub status: Option<ExecutionStatus>,
    pub not_relevant_reason: Option<String>,
    pub responsible: Option<String>,
    pub doer: Option<String>,
}

impl InstanceUpdate {
    pub fn parse(
        status: Option<&str>,
        not_relevant_reason: Option<&str>,
        responsible: Option<&str>,
        doer: Option<&str>,
    ) -> Result<InstanceUpdate, FieldErrors> {
        let mut e = FieldErrors::default();
        let status = match status.map(str::trim) {
            None => None,
            Some(s) => match ExecutionStatus::parse(s) {
                Some(s) => Some(s),
                None => {
                    e.add("status", "error-choice");
                    None
                }
            },
        };
        let not_relevant_reason =
            not_relevant_reason.map(|r| e.optional_lines("not_relevant_reason", r, MAX_REASON));
        let responsible = responsible.map(|r| e.optional("responsible", r, MAX_SHORT));
        let doer = doer.map(|r| e.optional("doer", r, MAX_SHORT));
        if status == Some(ExecutionStatus::NotRelevant)
            && not_relevant_reason.as_deref().unwrap_or("").is_empty()
        {
            e.add("not_relevant_reason", "error-reason-required");
        }
        e.into_result(InstanceUpdate {
            status,
            not_relevant_reason,
            responsible,
            doer,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.not_relevant_reason.is_none()
            && self.responsible.is_none()
            && self.doer.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<'a>() -> RawTask<'a> {
        RawTask {
            project_id: Some(1),
            code: "ID 31",
            title: "Etabler trust",
            task_type: "obligatorisk_kritisk_vej",
            end_date: "2022-10-05",
            target_roles: vec!["Infrastrukturansvarlig", " ", "Infrastrukturansvarlig"],
            ..Default::default()
        }
    }

    #[test]
    fn a_good_task_parses_and_dedups_roles() {
        let t = TaskInput::parse(&raw()).unwrap();
        assert_eq!(t.target_roles, vec!["Infrastrukturansvarlig"]);
        assert_eq!(t.task_type, TaskType::CriticalPath);
    }

    #[test]
    fn guidance_nested_too_deeply_is_refused() {
        assert_eq!(markdown_nesting("tekst\n> citat\n- punkt"), 1);
        assert_eq!(markdown_nesting("> - 1. > x"), 4);
        assert_eq!(markdown_nesting("-x\n1.5 kg\n**fed**\n#1. x"), 0);
        assert_eq!(markdown_nesting(&">".repeat(19_000)), 19_000);
        for (guidance, ok) in [
            ("> ".repeat(MAX_GUIDANCE_NESTING) + "x", true),
            ("> ".repeat(MAX_GUIDANCE_NESTING + 1) + "x", false),
            ("- ".repeat(MAX_GUIDANCE_NESTING + 1) + "x", false),
            (">".repeat(19_000), false),
            (
                "## Trin\n\n1. Bestil\n   - ruter\n     > bemærk".to_string(),
                true,
            ),
        ] {
            let r = RawTask {
                guidance: &guidance,
                ..raw()
            };
            match TaskInput::parse(&r) {
                Ok(_) => assert!(ok, "{guidance}"),
                Err(e) => {
                    assert!(!ok, "{guidance}: {e:?}");
                    assert_eq!(
                        e.0,
                        [FieldError {
                            field: "guidance",
                            code: "error-guidance-nesting",
                            limit: Some(MAX_GUIDANCE_NESTING),
                        }]
                    );
                }
            }
        }
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let long = "x".repeat(MAX_TITLE + 1);
        let r = RawTask {
            project_id: None,
            code: "",
            title: &long,
            task_type: "sometimes",
            start_date: "2022-10-06",
            end_date: "2022-10-05",
            ..Default::default()
        };
        let e = TaskInput::parse(&r).unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|e| (e.field, e.code)).collect();
        assert!(fields.contains(&("project_id", "error-required")));
        assert!(fields.contains(&("code", "error-required")));
        assert!(fields.contains(&("title", "error-too-long")));
        assert!(fields.contains(&("task_type", "error-choice")));
        assert!(fields.contains(&("end_date", "error-end-before-start")));
    }

    #[test]
    fn bad_dates_are_errors() {
        let mut r = raw();
        r.end_date = "5/10/2022";
        let e = TaskInput::parse(&r).unwrap_err();
        assert_eq!(e.0[0].code, "error-date");
    }

    #[test]
    fn not_relevant_needs_a_reason() {
        let e = InstanceUpdate::parse(Some("ikke_relevant"), Some("  "), None, None).unwrap_err();
        assert_eq!(e.0[0].field, "not_relevant_reason");
        assert!(
            InstanceUpdate::parse(
                Some("ikke_relevant"),
                Some("Vi bruger ikke SAPA"),
                None,
                None
            )
            .is_ok()
        );
        assert!(InstanceUpdate::parse(Some("done"), None, None, None).is_err());
    }

    #[test]
    fn audience_must_name_someone() {
        assert!(Audience::parse(false, vec![], vec![" ".into()], vec![]).is_err());
        assert!(Audience::parse(true, vec![1], vec![], vec![]).is_err());
        assert_eq!(
            Audience::parse(true, vec![], vec![], vec![]).unwrap(),
            Audience::All
        );
    }

    #[test]
    fn end_date_change_needs_reason() {
        assert!(EndDateChange::parse("2022-10-05", "").is_err());
        assert!(EndDateChange::parse("2022-10-05", "Seneste slutdato").is_ok());
    }

    #[test]
    fn spoofing_characters_are_refused_in_every_text_field() {
        // Right-to-left override in a title, an isolate in a reason, a
        // zero-width space in the responsible, a BOM in the doer.
        let mut r = raw();
        r.title = "Etabler \u{202E}tsurt";
        r.purpose = "ok";
        let e = TaskInput::parse(&r).unwrap_err();
        assert_eq!(e.for_field("title").unwrap().code, "error-invisible-chars");
        let e = EndDateChange::parse("2026-01-01", "fordi \u{2066}x\u{2069}").unwrap_err();
        assert_eq!(e.for_field("reason").unwrap().code, "error-invisible-chars");
        let e = InstanceUpdate::parse(None, None, Some("An\u{200B}ne"), Some("\u{FEFF}Bo"))
            .unwrap_err();
        assert_eq!(
            e.for_field("responsible").unwrap().code,
            "error-invisible-chars"
        );
        assert_eq!(e.for_field("doer").unwrap().code, "error-invisible-chars");
        let e = ProjectInput::parse("KY\u{200F}", "").unwrap_err();
        assert_eq!(e.for_field("name").unwrap().code, "error-invisible-chars");
    }

    #[test]
    fn user_names_are_checked_like_every_other_text() {
        let u = UserNames::parse(" anne ", "Anne Ager", "").unwrap();
        assert_eq!(u.username, "anne");
        let e = UserNames::parse("an ne", "Anne\u{202E}", "x").unwrap_err();
        let got: Vec<_> = e.0.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            got,
            vec![
                ("username", "error-username-spaces"),
                ("display_name", "error-invisible-chars"),
                ("email", "error-email"),
            ]
        );
    }

    #[test]
    fn names_from_identity_providers_lose_hidden_characters() {
        assert_eq!(without_hidden(" Anne\u{202E} Ager\u{200B}\n"), "Anne Ager");
        assert_eq!(without_hidden("Bo\tBech\u{7}"), "Bo Bech");
        assert_eq!(without_hidden("Søren 😀"), "Søren 😀");
        assert_eq!(
            text_problem(&without_hidden("x\u{2066}y\u{1}z\n"), Lines::One),
            None
        );
    }

    #[test]
    fn line_breaks_only_where_text_has_lines() {
        let mut e = FieldErrors::default();
        e.required("title", "to\nlinjer", 100);
        e.optional("phase", "a\tb", 100);
        e.optional_lines("purpose", "to\r\nlinjer\tog tab", 100);
        let codes: Vec<_> = e.0.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            codes,
            vec![("title", "error-line-break"), ("phase", "error-line-break")]
        );
        // A control character is refused in both.
        let mut e = FieldErrors::default();
        e.optional_lines("purpose", "a\u{7}b", 100);
        e.optional("title", "a\u{85}b", 100);
        assert!(e.0.iter().all(|e| e.code == "error-control-chars"), "{e:?}");
        assert_eq!(e.0.len(), 2);
    }

    #[test]
    fn dates_outside_the_years_udrul_knows_are_refused() {
        for bad in [
            "0000-01-01",
            "-0001-12-31",
            "1999-12-31",
            "2101-01-01",
            "+20255-01-01",
        ] {
            let mut r = raw();
            r.end_date = bad;
            let e = TaskInput::parse(&r).unwrap_err();
            let err = e.for_field("end_date").unwrap();
            assert!(
                err.code == "error-date-range" || err.code == "error-date",
                "{bad}: {err:?}"
            );
            assert!(EndDateChange::parse(bad, "grund").is_err(), "{bad}");
        }
        let mut r = raw();
        r.end_date = "0000-01-01";
        assert_eq!(
            TaskInput::parse(&r)
                .unwrap_err()
                .for_field("end_date")
                .unwrap()
                .code,
            "error-date-range"
        );
        for good in ["2000-01-01", "2020-03-15", "2100-12-31"] {
            let mut r = raw();
            r.end_date = good;
            r.start_date = "2000-01-01";
            assert!(TaskInput::parse(&r).is_ok(), "{good}");
        }
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        const SPOOFS: &[char] = &[
            '\u{202A}',
            '\u{202B}',
            '\u{202C}',
            '\u{202D}',
            '\u{202E}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{200E}',
            '\u{200F}',
            '\u{061C}',
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{2028}',
            '\u{2029}',
            '\u{E0041}',
        ];

        /// Ordinary text: Danish letters, digits, punctuation, spaces,
        /// emoji (with the emoji variation selector), other scripts.
        fn ordinary() -> impl Strategy<Value = String> {
            prop::collection::vec(
                prop_oneof![
                    prop::char::range('a', 'z'),
                    prop::char::range('A', 'Z'),
                    prop::char::range('0', '9'),
                    prop::sample::select(vec![
                        'æ', 'ø', 'å', 'Æ', 'Ø', 'Å', 'é', 'ü', ' ', '.', ',', ';', ':', '-', '–',
                        '—', '(', ')', '"', '\'', '«', '»', '!', '?', '/', '&', '%', '§', '€', '@',
                        '#', '😀', '🎉', '👍', '✅', '❤', '\u{FE0F}', 'Ω', 'ж', '中',
                    ]),
                ],
                0..60,
            )
            .prop_map(|v| v.into_iter().collect())
        }

        proptest! {
            #[test]
            fn any_text_with_a_spoofing_character_is_refused(
                before in ordinary(),
                after in ordinary(),
                c in prop::sample::select(SPOOFS.to_vec()),
            ) {
                // Inside a word (trimming takes whitespace such as U+2028 off the ends).
                let v = format!("{before}x{c}y{after}");
                prop_assert_eq!(text_problem(&v, Lines::One), Some("error-invisible-chars"));
                prop_assert_eq!(text_problem(&v, Lines::Many), Some("error-invisible-chars"));
                let mut e = FieldErrors::default();
                e.optional("title", &v, 10_000);
                prop_assert_eq!(e.0.len(), 1);
                prop_assert_eq!(e.0[0].code, "error-invisible-chars");
            }

            #[test]
            fn any_control_character_is_refused(
                before in ordinary(),
                after in ordinary(),
                c in prop_oneof![
                    prop::char::range('\u{0}', '\u{8}'),
                    prop::char::range('\u{B}', '\u{C}'),
                    prop::char::range('\u{E}', '\u{1F}'),
                    prop::char::range('\u{7F}', '\u{9F}'),
                ],
            ) {
                let v = format!("{before}x{c}y{after}");
                prop_assert_eq!(text_problem(&v, Lines::Many), Some("error-control-chars"));
                prop_assert!(text_problem(&v, Lines::One).is_some());
            }

            #[test]
            fn ordinary_text_is_accepted(v in ordinary()) {
                prop_assert_eq!(text_problem(&v, Lines::One), None);
                let mut e = FieldErrors::default();
                let kept = e.optional("title", &v, 10_000);
                prop_assert!(e.is_empty());
                prop_assert_eq!(kept, v.trim());
            }
        }
    }

    #[test]
    fn control_characters_are_refused() {
        let mut e = FieldErrors::default();
        e.required("title", "a\u{0}b", 10);
        assert_eq!(e.0[0].code, "error-control-chars");
    }
}
