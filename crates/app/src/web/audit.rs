//! `GET /audit`: search the audit log (central administrators and auditors,
//! `Actor::can_read_audit`; 403 for everyone else), newest first, 100 a
//! page, paged back with `before_id`. `GET /audit/export.csv`: the same
//! search as CSV, up to `EXPORT_MAX` entries. The log holds personal data,
//! so every search and export is itself recorded (`audit.read`,
//! `audit.export`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use udrul_core::input::FieldErrors;
use udrul_core::store::{AuditEntry, AuditFilter};
use udrul_core::{Actor, ActorKind, AuditEvent, Member, MemberId, User, UserId};

use crate::auth::{Authed, Ctx};
use crate::error::{AppError, AppResult};
use crate::export::{Table, to_csv};
use crate::state::AppState;
use crate::web::admin::Choice;
use crate::web::pages::render;

pub const PER_PAGE: u32 = 100;
/// The most entries one export holds.
pub const EXPORT_MAX: usize = 50_000;
/// What the store returns at most per query.
const CHUNK: u32 = 1000;

/// The kinds of object the log names.
pub const OBJECT_TYPES: [&str; 6] = [
    "task",
    "instance",
    "project",
    "user",
    "robot_token",
    "audit",
];

pub fn routes() -> Vec<crate::web::Route> {
    vec![("/audit", get(page)), ("/audit/export.csv", get(export))]
}

/// The search form as sent: text, so that a bad value is a form error and
/// not a rejected request.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    member: String,
    #[serde(default)]
    object_type: String,
    #[serde(default)]
    object_id: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    before_id: String,
}

impl AuditQuery {
    /// The query string of this search (without `before_id`).
    fn query_string(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("actor", &self.actor),
            ("member", &self.member),
            ("object_type", &self.object_type),
            ("object_id", &self.object_id),
            ("person", &self.person),
        ] {
            if !v.trim().is_empty() {
                s.append_pair(k, v.trim());
            }
        }
        s.finish()
    }
}

fn reader(Authed { ctx, actor }: Authed) -> AppResult<(Ctx, Actor)> {
    if actor.can_read_audit() {
        Ok((ctx, actor))
    } else {
        Err(AppError::Forbidden)
    }
}

/// A user given by id or username.
async fn resolve_user(
    st: &AppState,
    errs: &mut FieldErrors,
    field: &'static str,
    raw: &str,
) -> AppResult<Option<UserId>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if let Ok(n) = raw.parse::<i64>() {
        return Ok(Some(UserId(n)));
    }
    match st.store.user_by_username(raw).await? {
        Some(u) => Ok(Some(u.user.id)),
        None => {
            errs.add(field, "error-unknown-user");
            Ok(None)
        }
    }
}

async fn parse_filter(
    st: &AppState,
    q: &AuditQuery,
    limit: u32,
) -> AppResult<Result<AuditFilter, FieldErrors>> {
    let mut errs = FieldErrors::default();
    let actor = resolve_user(st, &mut errs, "actor", &q.actor).await?;
    let person = resolve_user(st, &mut errs, "person", &q.person).await?;
    let member = match q.member.trim() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(n) => Some(MemberId(n)),
            Err(_) => {
                errs.add("member", "error-choice");
                None
            }
        },
    };
    let object_type = match q.object_type.trim() {
        "" => None,
        s if OBJECT_TYPES.contains(&s) => Some(s.to_string()),
        _ => {
            errs.add("object_type", "error-choice");
            None
        }
    };
    let mut int = |field: &'static str, raw: &str| match raw.trim() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errs.add(field, "error-number");
                None
            }
        },
    };
    let object_id = int("object_id", &q.object_id);
    let before_id = int("before_id", &q.before_id);
    if !errs.is_empty() {
        return Ok(Err(errs));
    }
    Ok(Ok(AuditFilter {
        actor,
        member,
        object_type,
        object_id,
        person,
        before_id,
        limit,
    }))
}

async fn record(st: &AppState, actor: &Actor, action: &'static str, f: &AuditFilter, n: usize) {
    let entry = AuditEntry {
        action,
        object_type: "audit",
        member_id: f.member,
        person_id: f.person,
        after: serde_json::to_string(&serde_json::json!({
            "filter": {
                "actor": f.actor.map(|u| u.0),
                "member": f.member.map(|m| m.0),
                "object_type": f.object_type,
                "object_id": f.object_id,
                "person": f.person.map(|u| u.0),
                "before_id": f.before_id,
            },
            "entries": n,
        }))
        .ok(),
        ..AuditEntry::default()
    };
    if let Err(e) = st.store.record_audit(Some(actor), entry).await {
        tracing::error!(error = %e, "recording an audit read failed");
    }
}

/// Names of users and members, for showing ids in words.
struct Names {
    users: HashMap<UserId, User>,
    members: HashMap<MemberId, Member>,
}

impl Names {
    async fn load(st: &AppState) -> AppResult<Names> {
        Ok(Names {
            users: st
                .store
                .list_users(None)
                .await?
                .into_iter()
                .map(|u| (u.id, u))
                .collect(),
            members: st
                .store
                .list_members()
                .await?
                .into_iter()
                .map(|m| (m.id, m))
                .collect(),
        })
    }

    fn actor(&self, ctx: &Ctx, e: &AuditEvent) -> String {
        match e.actor_kind {
            ActorKind::System => ctx.t("audit-actor-system"),
            ActorKind::Anonymous => ctx.t("audit-actor-anonymous"),
            ActorKind::Robot => format!(
                "{} ({})",
                e.actor_name,
                ctx.tr.n("audit-actor-robot", e.token_id.unwrap_or(0))
            ),
            ActorKind::Person => e.actor_name.clone(),
        }
    }

    fn member(&self, m: Option<MemberId>) -> String {
        m.map(|m| {
            self.members
                .get(&m)
                .map_or_else(|| format!("#{m}"), |x| x.name.clone())
        })
        .unwrap_or_default()
    }

    fn person(&self, p: Option<UserId>) -> String {
        p.map(|p| {
            self.users.get(&p).map_or_else(
                || format!("#{p}"),
                |u| format!("{} ({})", u.display_name, u.username),
            )
        })
        .unwrap_or_default()
    }
}

impl Names {
    /// The object in words: its kind ("Opgave") and its name, code and
    /// title as the entry recorded them (or as they are now, for users and
    /// members), never a bare "#45"; the id only when no name is known.
    fn object(&self, ctx: &Ctx, e: &AuditEvent) -> String {
        let key = format!("object-type-{}", e.object_type);
        let kind = if ctx.tr.has(&key) {
            ctx.t(&key)
        } else {
            e.object_type.clone()
        };
        let Some(id) = e.object_id else {
            return kind;
        };
        let name = match e.object_type.as_str() {
            "user" => self
                .users
                .get(&UserId(id))
                .map(|u| format!("{} ({})", u.display_name, u.username)),
            "member" => self.members.get(&MemberId(id)).map(|m| m.name.clone()),
            _ => None,
        }
        .or_else(|| e.after.as_deref().and_then(name_in))
        .or_else(|| e.before.as_deref().and_then(name_in));
        match name {
            Some(n) => format!("{kind}: {n}"),
            None => format!("{kind} {id}"),
        }
    }
}

/// The name of an object in its audit JSON: code and title (a task), else
/// its name, display name or file name.
fn name_in(json: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    let text = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    match (text("code"), text("title")) {
        (Some(c), Some(t)) => Some(format!("{c} {t}")),
        (None, Some(t)) => Some(t.to_string()),
        _ => text("name")
            .or_else(|| text("display_name"))
            .or_else(|| text("file_name"))
            .map(str::to_string),
    }
}

/// On the page: as people write it, in Copenhagen time.
fn time(ctx: &Ctx, e: &AuditEvent) -> String {
    ctx.tr.datetime(e.at)
}

/// In the CSV export: Copenhagen time that sorts and that spreadsheets read.
fn csv_time(e: &AuditEvent) -> String {
    e.at.with_timezone(&chrono_tz::Europe::Copenhagen)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

pub struct Row {
    pub id: i64,
    pub iso: String,
    pub when: String,
    pub actor: String,
    pub robot: bool,
    pub member: String,
    pub action: String,
    /// The action in words, where the catalogue has them.
    pub action_label: String,
    pub object: String,
    pub person: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub request_id: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    ctx: &'a Ctx,
    q: AuditQuery,
    members: Vec<Choice>,
    object_types: Vec<Choice>,
    rows: Vec<Row>,
    errors: FieldErrors,
    /// Query string of the search, for paging and the export link.
    search: String,
    older: Option<i64>,
    paged: bool,
}

pub async fn page(
    State(st): State<AppState>,
    a: Authed,
    Query(q): Query<AuditQuery>,
) -> AppResult<Response> {
    let (ctx, actor) = reader(a)?;
    let names = Names::load(&st).await?;
    let (rows, errors, older) = match parse_filter(&st, &q, PER_PAGE).await? {
        Ok(f) => {
            let events = st.store.search_audit(&f).await?;
            record(&st, &actor, "audit.read", &f, events.len()).await;
            let older = (events.len() == PER_PAGE as usize)
                .then(|| events.last().map(|e| e.id))
                .flatten();
            let rows = events
                .iter()
                .map(|e| Row {
                    id: e.id,
                    iso: e.at.to_rfc3339(),
                    when: time(&ctx, e),
                    actor: names.actor(&ctx, e),
                    robot: e.actor_kind == ActorKind::Robot,
                    member: names.member(e.member_id),
                    action: e.action.clone(),
                    action_label: action_label(&ctx, &e.action),
                    object: names.object(&ctx, e),
                    person: names.person(e.person_id),
                    before: e.before.clone(),
                    after: e.after.clone(),
                    request_id: e.request_id.clone().unwrap_or_default(),
                })
                .collect();
            (rows, FieldErrors::default(), older)
        }
        Err(errs) => (Vec::new(), errs, None),
    };
    let mut members: Vec<&Member> = names.members.values().collect();
    members.sort_by(|a, b| a.name.cmp(&b.name));
    let mut member_choices = vec![Choice {
        value: String::new(),
        label: ctx.t("audit-any"),
        selected: q.member.trim().is_empty(),
    }];
    member_choices.extend(members.into_iter().map(|m| Choice {
        value: m.id.0.to_string(),
        label: format!("{} ({})", m.name, m.code),
        selected: m.id.0.to_string() == q.member.trim(),
    }));
    let mut object_types = vec![Choice {
        value: String::new(),
        label: ctx.t("audit-any"),
        selected: q.object_type.trim().is_empty(),
    }];
    object_types.extend(OBJECT_TYPES.iter().map(|t| Choice {
        value: (*t).to_string(),
        label: ctx.t(&format!("object-type-{t}")),
        selected: *t == q.object_type.trim(),
    }));
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let html = render(&AuditPage {
        ctx: &ctx,
        search: q.query_string(),
        paged: !q.before_id.trim().is_empty(),
        q,
        members: member_choices,
        object_types,
        rows,
        errors,
        older,
    });
    Ok((status, Html(html)).into_response())
}

pub async fn export(
    State(st): State<AppState>,
    a: Authed,
    Query(q): Query<AuditQuery>,
) -> AppResult<Response> {
    let (ctx, actor) = reader(a)?;
    let Ok(mut f) = parse_filter(&st, &q, CHUNK).await? else {
        return Err(AppError::BadRequest("error-invalid"));
    };
    let first = f.clone();
    let mut events: Vec<AuditEvent> = Vec::new();
    while events.len() < EXPORT_MAX {
        let chunk = st.store.search_audit(&f).await?;
        let done = chunk.len() < CHUNK as usize;
        f.before_id = chunk.last().map(|e| e.id);
        events.extend(chunk);
        if done || f.before_id.is_none() {
            break;
        }
    }
    events.truncate(EXPORT_MAX);
    record(&st, &actor, "audit.export", &first, events.len()).await;
    let names = Names::load(&st).await?;
    let header = [
        "col-id",
        "col-time",
        "col-actor",
        "col-actor-kind",
        "col-token",
        "col-member",
        "col-action",
        "col-object-type",
        "col-object-id",
        "col-person",
        "col-before",
        "col-after",
        "col-request",
    ]
    .iter()
    .map(|k| ctx.t(k))
    .collect();
    let rows = events
        .iter()
        .map(|e| {
            vec![
                e.id.to_string(),
                csv_time(e),
                names.actor(&ctx, e),
                e.actor_kind.as_str().to_string(),
                e.token_id.map(|t| t.to_string()).unwrap_or_default(),
                names.member(e.member_id),
                e.action.clone(),
                e.object_type.clone(),
                e.object_id.map(|t| t.to_string()).unwrap_or_default(),
                names.person(e.person_id),
                e.before.clone().unwrap_or_default(),
                e.after.clone().unwrap_or_default(),
                e.request_id.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let body = to_csv(&Table {
        sheet_name: String::new(),
        header,
        rows,
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.csv\"", ctx.t("audit-file-name")),
            ),
        ],
        body,
    )
        .into_response())
}

/// An audit action in the visitor's language (the code itself for an
/// action recorded by an older version that has no words).
fn action_label(ctx: &Ctx, action: &str) -> String {
    let key = udrul_core::audit_action_key(action);
    if ctx.tr.has(&key) {
        ctx.t(&key)
    } else {
        action.to_string()
    }
}
