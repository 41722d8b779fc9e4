//! SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2): a small
//! parser into an expression tree, and its evaluation against a resource
//! as the JSON we send for it.
//!
//! Written here rather than taken from a crate: the Rust SCIM crates either
//! evaluate filters only over their own typed models or serde collections
//! (`scim-filter`, `scim_v2`), or are whole servers with their own storage
//! and tenancy (`scim-server`); none parses PATCH value paths the way Entra
//! ID sends them (`emails[type eq "work"].value`). What identity providers
//! send is a small, stable subset; this parser takes the whole grammar
//! (comparisons, `pr`, `and`/`or`/`not`, parentheses, value paths) so that
//! a filter we do not optimise is still answered correctly.
//!
//! Attribute names are case-insensitive; string comparisons too, except on
//! `id` and `externalId` (case-exact in RFC 7643), where external ids are
//! compared as `normalise_external_id` keeps them.

use serde_json::Value;
use udrul_core::gallery::normalise_external_id;

/// What went wrong, in English, for the SCIM error's `detail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(msg.into()))
}

/// `[schema ":"] attr ["." sub]`, names as written (compared without case).
#[derive(Debug, Clone, PartialEq)]
pub struct AttrPath {
    pub schema: Option<String>,
    pub attr: String,
    pub sub: Option<String>,
}

impl AttrPath {
    /// `attr` (and `sub`) are `name` (and `sub`), ignoring case.
    pub fn is(&self, name: &str, sub: Option<&str>) -> bool {
        self.attr.eq_ignore_ascii_case(name)
            && match (self.sub.as_deref(), sub) {
                (None, None) => true,
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => false,
            }
    }

    fn parse(word: &str) -> Result<AttrPath, ParseError> {
        // A URN prefix holds dots ("2.0"), so split it off at the last colon.
        let (schema, rest) = match word.rfind(':') {
            Some(i) => (Some(word[..i].to_string()), &word[i + 1..]),
            None => (None, word),
        };
        let (attr, sub) = match rest.split_once('.') {
            Some((a, s)) => (a, Some(s)),
            None => (rest, None),
        };
        let name_ok = |n: &str| {
            n.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '$'))
        };
        if !name_ok(attr) || sub.is_some_and(|s| !name_ok(s)) {
            return err(format!("\"{word}\" is not an attribute path"));
        }
        if schema
            .as_deref()
            .is_some_and(|s| !s.to_ascii_lowercase().starts_with("urn:"))
        {
            return err(format!("\"{word}\" is not an attribute path"));
        }
        Ok(AttrPath {
            schema,
            attr: attr.to_string(),
            sub: sub.map(str::to_string),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    fn parse(w: &str) -> Option<CompareOp> {
        Some(match w.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: CompValue,
    },
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `attr[filter]`: some value of the multi-valued `attr` matches.
    ValuePath {
        path: AttrPath,
        filter: Box<Filter>,
    },
}

/// A PATCH operation's `path`: `attr[.sub]` or `attr[filter][.sub]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    /// The sub-attribute after a value filter (`emails[...].value`).
    pub sub: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    LBracket,
    RBracket,
    Str(String),
    Word(String),
}

fn tokens(s: &str) -> Result<Vec<Tok>, ParseError> {
    let mut out = Vec::new();
    let mut it = s.char_indices().peekable();
    while let Some(&(i, c)) = it.peek() {
        match c {
            c if c.is_whitespace() => {
                it.next();
            }
            '(' | ')' | '[' | ']' => {
                it.next();
                out.push(match c {
                    '(' => Tok::Open,
                    ')' => Tok::Close,
                    '[' => Tok::LBracket,
                    _ => Tok::RBracket,
                });
            }
            '"' => {
                // A JSON string: find its end, honouring escapes.
                let mut end = None;
                let mut escaped = false;
                it.next();
                for (j, d) in it.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if d == '\\' {
                        escaped = true;
                    } else if d == '"' {
                        end = Some(j);
                        break;
                    }
                }
                let Some(end) = end else {
                    return err("a string is not closed");
                };
                match serde_json::from_str::<String>(&s[i..=end]) {
                    Ok(v) => out.push(Tok::Str(v)),
                    Err(_) => return err("a string is not valid"),
                }
            }
            _ => {
                let start = i;
                let mut end = s.len();
                while let Some(&(j, d)) = it.peek() {
                    if d.is_whitespace() || matches!(d, '(' | ')' | '[' | ']' | '"') {
                        end = j;
                        break;
                    }
                    it.next();
                }
                out.push(Tok::Word(s[start..end].to_string()));
            }
        }
    }
    Ok(out)
}

/// The deepest nesting of parentheses, `not (` and value paths `[...]`
/// we read. The parser descends once per level, so this bounds its stack
/// (and that of `matches` and of dropping the tree); identity providers
/// nest two or three levels.
pub const MAX_DEPTH: usize = 32;

/// The most comparisons (and `pr` tests) one filter may hold: `and`/`or`
/// chains make a tree as deep as they are long.
pub const MAX_TERMS: usize = 100;

struct Parser {
    toks: Vec<Tok>,
    at: usize,
    depth: usize,
    terms: usize,
}

impl Parser {
    fn new(toks: Vec<Tok>) -> Parser {
        Parser {
            toks,
            at: 0,
            depth: 0,
            terms: 0,
        }
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k))
    }

    /// A nested `or` (inside `(`, `not (` or `[`), checked against
    /// `MAX_DEPTH` before descending.
    fn nested(&mut self) -> Result<Filter, ParseError> {
        if self.depth >= MAX_DEPTH {
            return err(format!(
                "the filter is nested more than {MAX_DEPTH} levels deep"
            ));
        }
        self.depth += 1;
        let f = self.or();
        self.depth -= 1;
        f
    }

    fn or(&mut self) -> Result<Filter, ParseError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.at += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, ParseError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.at += 1;
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, ParseError> {
        if self.keyword("not") {
            self.at += 1;
            if self.next() != Some(Tok::Open) {
                return err("\"not\" must be followed by \"(\"");
            }
            let inner = self.nested()?;
            if self.next() != Some(Tok::Close) {
                return err("a \"(\" is not closed");
            }
            return Ok(Filter::Not(Box::new(inner)));
        }
        match self.next() {
            Some(Tok::Open) => {
                let inner = self.nested()?;
                if self.next() != Some(Tok::Close) {
                    return err("a \"(\" is not closed");
                }
                Ok(inner)
            }
            Some(Tok::Word(w)) => {
                let path = AttrPath::parse(&w)?;
                if self.peek() == Some(&Tok::LBracket) {
                    self.at += 1;
                    let inner = self.nested()?;
                    if self.next() != Some(Tok::RBracket) {
                        return err("a \"[\" is not closed");
                    }
                    // `emails[type eq "work"].value eq "x"` (as Microsoft's
                    // validator sends it): the comparison joins the filter.
                    if let Some(Tok::Word(w)) = self.peek()
                        && let Some(sub) = w.strip_prefix('.')
                    {
                        let sub = AttrPath::parse(sub)?;
                        self.at += 1;
                        let more = self.comparison(sub)?;
                        return Ok(Filter::ValuePath {
                            path,
                            filter: Box::new(Filter::And(Box::new(inner), Box::new(more))),
                        });
                    }
                    return Ok(Filter::ValuePath {
                        path,
                        filter: Box::new(inner),
                    });
                }
                self.comparison(path)
            }
            Some(t) => err(format!("unexpected {t:?}")),
            None => err("the filter ends too soon"),
        }
    }

    fn comparison(&mut self, path: AttrPath) -> Result<Filter, ParseError> {
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return err(format!("the filter has more than {MAX_TERMS} terms"));
        }
        let Some(Tok::Word(op)) = self.next() else {
            return err(format!("\"{}\" needs an operator", path.attr));
        };
        if op.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(path));
        }
        let Some(op) = CompareOp::parse(&op) else {
            return err(format!("\"{op}\" is not an operator"));
        };
        let value = match self.next() {
            Some(Tok::Str(s)) => CompValue::Str(s),
            Some(Tok::Word(w)) => match w.to_ascii_lowercase().as_str() {
                "true" => CompValue::Bool(true),
                "false" => CompValue::Bool(false),
                "null" => CompValue::Null,
                _ => match w.parse::<f64>() {
                    Ok(n) if n.is_finite() => CompValue::Num(n),
                    _ => return err(format!("\"{w}\" is not a value")),
                },
            },
            _ => return err("a comparison needs a value"),
        };
        Ok(Filter::Compare { path, op, value })
    }
}

/// The longest filter we read; identity providers send short ones.
pub const MAX_FILTER: usize = 2_000;

pub fn parse_filter(s: &str) -> Result<Filter, ParseError> {
    if s.len() > MAX_FILTER {
        return err("the filter is too long");
    }
    let mut p = Parser::new(tokens(s)?);
    let f = p.or()?;
    match p.peek() {
        None => Ok(f),
        Some(t) => err(format!("unexpected {t:?} after the filter")),
    }
}

pub fn parse_path(s: &str) -> Result<PatchPath, ParseError> {
    if s.len() > MAX_FILTER {
        return err("the path is too long");
    }
    let toks = tokens(s)?;
    let mut p = Parser::new(toks);
    let Some(Tok::Word(w)) = p.next() else {
        return err(format!("\"{s}\" is not a path"));
    };
    let attr = AttrPath::parse(&w)?;
    let mut out = PatchPath {
        attr,
        filter: None,
        sub: None,
    };
    if p.peek() == Some(&Tok::LBracket) {
        p.at += 1;
        out.filter = Some(p.nested()?);
        if p.next() != Some(Tok::RBracket) {
            return err("a \"[\" is not closed");
        }
        if let Some(Tok::Word(w)) = p.peek() {
            let Some(sub) = w.strip_prefix('.') else {
                return err(format!("\"{s}\" is not a path"));
            };
            let sub = AttrPath::parse(sub)?;
            if sub.schema.is_some() || sub.sub.is_some() {
                return err(format!("\"{s}\" is not a path"));
            }
            out.sub = Some(sub.attr);
            p.at += 1;
        }
    }
    match p.peek() {
        None => Ok(out),
        Some(_) => err(format!("\"{s}\" is not a path")),
    }
}

// --- evaluation --------------------------------------------------------------

/// Looks `name` up in an object without regard to case.
pub fn get_ci<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// The core schemas of our resources: attributes with these prefixes are
/// at the top level of the resource.
fn is_core_schema(s: &str) -> bool {
    s.to_ascii_lowercase()
        .starts_with("urn:ietf:params:scim:schemas:core:2.0:")
}

fn attr_value<'a>(resource: &'a Value, path: &AttrPath) -> Option<&'a Value> {
    let base = match &path.schema {
        Some(s) if !is_core_schema(s) => get_ci(resource, s)?,
        _ => resource,
    };
    get_ci(base, &path.attr)
}

fn case_exact(attr: &str) -> bool {
    attr.eq_ignore_ascii_case("id") || attr.eq_ignore_ascii_case("externalId")
}

fn compare(v: &Value, op: CompareOp, want: &CompValue, exact: bool, external: bool) -> bool {
    use std::cmp::Ordering;
    let ord = |o: Ordering| match op {
        CompareOp::Eq => o == Ordering::Equal,
        CompareOp::Ne => o != Ordering::Equal,
        CompareOp::Gt => o == Ordering::Greater,
        CompareOp::Ge => o != Ordering::Less,
        CompareOp::Lt => o == Ordering::Less,
        CompareOp::Le => o != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    };
    match (v, want) {
        (Value::String(have), CompValue::Str(want)) => {
            let (have, want) = if external {
                (normalise_external_id(have), normalise_external_id(want))
            } else if exact {
                (have.clone(), want.clone())
            } else {
                (have.to_lowercase(), want.to_lowercase())
            };
            match op {
                CompareOp::Co => have.contains(&want),
                CompareOp::Sw => have.starts_with(&want),
                CompareOp::Ew => have.ends_with(&want),
                _ => ord(have.cmp(&want)),
            }
        }
        (Value::Bool(have), CompValue::Bool(want)) => match op {
            CompareOp::Eq => have == want,
            CompareOp::Ne => have != want,
            _ => false,
        },
        (Value::Number(have), CompValue::Num(want)) => have
            .as_f64()
            .and_then(|h| h.partial_cmp(want))
            .is_some_and(ord),
        (Value::Null, CompValue::Null) => op == CompareOp::Eq,
        (_, CompValue::Null) => op == CompareOp::Ne,
        _ => op == CompareOp::Ne,
    }
}

fn present(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(_) => true,
    }
}

/// Whether `resource` (as we send it) matches `f`.
pub fn matches(f: &Filter, resource: &Value) -> bool {
    match f {
        Filter::And(a, b) => matches(a, resource) && matches(b, resource),
        Filter::Or(a, b) => matches(a, resource) || matches(b, resource),
        Filter::Not(a) => !matches(a, resource),
        Filter::Present(path) => {
            let v = attr_value(resource, path);
            match (&path.sub, v) {
                (Some(sub), Some(Value::Array(items))) => {
                    items.iter().any(|i| present(get_ci(i, sub)))
                }
                (Some(sub), Some(v)) => present(get_ci(v, sub)),
                (Some(_), None) => false,
                (None, v) => present(v),
            }
        }
        Filter::ValuePath { path, filter } => match attr_value(resource, path) {
            Some(Value::Array(items)) => items.iter().any(|i| matches(filter, i)),
            Some(v @ Value::Object(_)) => matches(filter, v),
            _ => false,
        },
        Filter::Compare { path, op, value } => {
            let exact = case_exact(&path.attr);
            let external = path.attr.eq_ignore_ascii_case("externalId") && path.sub.is_none();
            let test = |v: &Value| compare(v, *op, value, exact, external);
            let Some(v) = attr_value(resource, path) else {
                // Absent: only "ne" (and "ne null") holds.
                return *op == CompareOp::Ne;
            };
            match (&path.sub, v) {
                (Some(sub), Value::Array(items)) => {
                    items.iter().filter_map(|i| get_ci(i, sub)).any(test)
                }
                (Some(sub), v) => get_ci(v, sub).is_some_and(test),
                // A multi-valued attribute: its values, or their "value".
                (None, Value::Array(items)) => items
                    .iter()
                    .map(|i| get_ci(i, "value").unwrap_or(i))
                    .any(test),
                (None, v) => test(v),
            }
        }
    }
}

/// The value `f` requires of a top-level attribute `attr` (ignoring case)
/// for the whole filter to hold, when it says `attr eq "value"` at the top
/// or in an `and`: so that the common queries are index look-ups.
pub fn required_eq<'a>(f: &'a Filter, attr: &str) -> Option<&'a str> {
    match f {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: CompValue::Str(s),
        } if path.sub.is_none()
            && path.schema.as_deref().is_none_or(is_core_schema)
            && path.attr.eq_ignore_ascii_case(attr) =>
        {
            Some(s)
        }
        Filter::And(a, b) => required_eq(a, attr).or_else(|| required_eq(b, attr)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "id": "17",
            "externalId": "6f9a0c1e-5b1d-4c7a-9e2f-0123456789ab",
            "userName": "Anne.Ager@Kommune.dk",
            "displayName": "Anne Ager",
            "active": true,
            "emails": [{"value": "anne@kommune.dk", "type": "work", "primary": true}],
            "meta": {"resourceType": "User", "lastModified": "2026-05-01T10:00:00Z"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "IT"}
        })
    }

    fn yes(f: &str) -> bool {
        matches(
            &parse_filter(f).unwrap_or_else(|e| panic!("{f}: {e:?}")),
            &user(),
        )
    }

    #[test]
    fn identity_provider_queries() {
        assert!(yes(r#"userName eq "anne.ager@kommune.dk""#));
        assert!(yes(r#"USERNAME EQ "ANNE.AGER@KOMMUNE.DK""#));
        assert!(!yes(r#"userName eq "bo@kommune.dk""#));
        assert!(yes(
            r#"externalId eq "6F9A0C1E-5B1D-4C7A-9E2F-0123456789AB""#
        ));
        assert!(yes(r#"id eq "17""#));
        assert!(!yes(r#"id eq "1""#));
        assert!(yes(r#"displayName eq "Anne Ager" and active eq true"#));
        assert!(yes(
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "anne""#
        ));
        assert!(yes(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "it""#
        ));
    }

    #[test]
    fn operators_logic_and_value_paths() {
        assert!(yes(r#"emails[type eq "work" and value co "@kommune"]"#));
        assert!(yes(r#"emails[type eq "work"].value eq "anne@kommune.dk""#));
        assert!(!yes(r#"emails[type eq "home"]"#));
        assert!(yes(r#"emails.value ew ".dk""#));
        assert!(yes(r#"emails eq "anne@kommune.dk""#));
        assert!(yes(r#"title pr or userName pr"#));
        assert!(!yes(r#"title pr"#));
        assert!(yes(r#"not (title pr) and (active eq false or id eq "17")"#));
        assert!(yes(r#"meta.lastModified gt "2026-01-01T00:00:00Z""#));
        assert!(yes(r#"title ne "x""#));
        // "and" binds tighter than "or".
        assert!(yes(r#"id eq "17" or id eq "1" and active eq false"#));
        assert!(!yes(r#"(id eq "17" or id eq "1") and active eq false"#));
    }

    #[test]
    fn bad_filters_are_errors() {
        for bad in [
            "",
            "userName",
            "userName eq",
            "userName equals \"x\"",
            "userName eq \"x",
            "(userName eq \"x\"",
            "userName eq \"x\" and",
            "userName eq \"x\" extra",
            "emails[type eq \"work\"",
            "not userName eq \"x\"",
            "1abc eq \"x\"",
            "userName eq bare",
        ] {
            assert!(parse_filter(bad).is_err(), "{bad}");
        }
        assert!(parse_filter(&"a".repeat(MAX_FILTER + 1)).is_err());
    }

    #[test]
    fn patch_paths() {
        let p = parse_path(r#"emails[type eq "work"].value"#).unwrap();
        assert!(p.attr.is("emails", None));
        assert_eq!(p.sub.as_deref(), Some("value"));
        assert!(p.filter.is_some());
        let p = parse_path("name.givenName").unwrap();
        assert!(p.attr.is("name", Some("givenname")));
        let p = parse_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department")
            .unwrap();
        assert_eq!(
            p.attr.schema.as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
        let p = parse_path(r#"members[value eq "12"]"#).unwrap();
        assert!(p.attr.is("members", None) && p.sub.is_none());
        for bad in ["", "emails[", "a b", "emails[type eq \"w\"]value", "x..y"] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn equality_is_found_for_index_look_ups() {
        let f = parse_filter(r#"userName eq "a" and active eq true"#).unwrap();
        assert_eq!(required_eq(&f, "username"), Some("a"));
        let f = parse_filter(r#"userName eq "a" or id eq "2""#).unwrap();
        assert_eq!(required_eq(&f, "userName"), None);
    }

    #[test]
    fn nesting_and_terms_are_bounded() {
        let nest = |n: usize| format!("{}a pr{}", "(".repeat(n), ")".repeat(n));
        assert!(parse_filter(&nest(MAX_DEPTH)).is_ok());
        assert!(parse_filter(&nest(MAX_DEPTH + 1)).is_err());
        let nots = |n: usize| format!("{}a pr{}", "not (".repeat(n), ")".repeat(n));
        assert!(parse_filter(&nots(MAX_DEPTH)).is_ok());
        assert!(parse_filter(&nots(MAX_DEPTH + 1)).is_err());
        let paths = |n: usize| format!("{}a pr{}", "e[".repeat(n), "]".repeat(n));
        assert!(parse_filter(&paths(MAX_DEPTH)).is_ok());
        assert!(parse_filter(&paths(MAX_DEPTH + 1)).is_err());
        assert!(parse_path(&format!("e[{}]", paths(MAX_DEPTH))).is_err());
        let chain = |n: usize| vec!["a pr"; n].join(" and ");
        assert!(parse_filter(&chain(MAX_TERMS)).is_ok());
        assert!(parse_filter(&chain(MAX_TERMS + 1)).is_err());
        assert!(parse_filter(&"(".repeat(MAX_FILTER)).is_err());
    }

    /// The depth of a parsed tree.
    fn depth(f: &Filter) -> usize {
        match f {
            Filter::And(a, b) | Filter::Or(a, b) => 1 + depth(a).max(depth(b)),
            Filter::Not(a) | Filter::ValuePath { filter: a, .. } => 1 + depth(a),
            Filter::Compare { .. } | Filter::Present(_) => 1,
        }
    }

    mod hostile {
        use super::*;
        use proptest::prelude::*;

        /// Pieces of filters, put together in any order and number.
        fn piece() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("(".to_string()),
                Just(")".to_string()),
                Just("[".to_string()),
                Just("]".to_string()),
                Just("not (".to_string()),
                Just(" and ".to_string()),
                Just(" or ".to_string()),
                Just("userName pr".to_string()),
                Just("emails[".to_string()),
                Just("type eq \"work\"".to_string()),
                Just(".value eq 1".to_string()),
                Just("\"\\\"".to_string()),
                Just(" ".to_string()),
                "[ -~]{0,4}",
                (1usize..3_000).prop_map(|n| "(".repeat(n)),
                (1usize..600).prop_map(|n| "not (".repeat(n)),
                (1usize..500).prop_map(|n| "a pr and ".repeat(n)),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// Whatever comes, parsing answers (no panic, no overflow) and
            /// what it accepts is within the limits.
            #[test]
            fn parse_never_panics_and_stays_bounded(
                pieces in proptest::collection::vec(piece(), 0..40)
            ) {
                let s: String = pieces.concat();
                if let Ok(f) = parse_filter(&s) {
                    prop_assert!(s.len() <= MAX_FILTER);
                    prop_assert!(depth(&f) <= MAX_DEPTH + MAX_TERMS + 1);
                    let _ = matches(&f, &user());
                }
                if let Ok(p) = parse_path(&s)
                    && let Some(f) = &p.filter
                {
                    prop_assert!(depth(f) <= MAX_DEPTH + MAX_TERMS + 1);
                }
            }
        }
    }
}
