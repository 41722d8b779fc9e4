//! `GET/POST /tasks/{id}/publish`: choose the audience of a draft (every
//! member, or a selection of members, whole regions and networks) and
//! publish it. An unknown member in the selection changes nothing. The form
//! says who the task would reach (`recipients::summary`): every member's,
//! or, when the form comes back with a selection, the selected members'.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use serde::Deserialize;
use udrul_core::input::{Audience, FieldErrors};
use udrul_core::{MemberId, StoreError, Task, TaskId, TaskState};

use super::{Choice, load_task};
use crate::auth::{Central, Ctx};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::pages::render;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PublishForm {
    /// "all" or "selection".
    #[serde(default)]
    audience: String,
    #[serde(default)]
    members: Vec<String>,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    networks: Vec<String>,
}

impl PublishForm {
    fn parse(&self) -> Result<Audience, FieldErrors> {
        let mut bad = FieldErrors::default();
        let mut members = Vec::new();
        for m in self
            .members
            .iter()
            .map(|m| m.trim())
            .filter(|m| !m.is_empty())
        {
            match m.parse::<i64>() {
                Ok(id) => members.push(id),
                Err(_) => {
                    if bad.for_field("members").is_none() {
                        bad.add("members", "error-unknown-member");
                    }
                }
            }
        }
        let parsed = Audience::parse(
            self.audience == "all",
            members,
            self.regions.clone(),
            self.networks.clone(),
        );
        match parsed {
            Ok(a) if bad.is_empty() => Ok(a),
            Ok(_) => Err(bad),
            Err(mut e) => {
                e.0.extend(bad.0);
                Err(e)
            }
        }
    }
}

/// The members of one region, as a group of checkboxes.
pub struct RegionGroup {
    pub name: String,
    pub members: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "task_publish.html")]
struct PublishPage<'a> {
    ctx: &'a Ctx,
    t: &'a Task,
    all: bool,
    selection: bool,
    /// "Alle medlemmer (98)".
    all_label: String,
    groups: Vec<RegionGroup>,
    regions: Vec<Choice>,
    networks: Vec<Choice>,
    errors: FieldErrors,
    /// "Hvis opgaven udgives til alle medlemmer:" or "Med de valgte medlemmer:".
    summary_for: String,
    summary: super::recipients::Summary,
}

async fn render_form(
    st: &AppState,
    ctx: &Ctx,
    t: &Task,
    f: &PublishForm,
    errors: FieldErrors,
    status: StatusCode,
) -> AppResult<Response> {
    let members = st.store.list_members().await?;
    let chosen = |list: &[String], v: &str| list.iter().any(|x| x.trim() == v);
    let mut by_region: BTreeMap<String, Vec<Choice>> = BTreeMap::new();
    let mut networks: BTreeMap<String, ()> = BTreeMap::new();
    for m in &members {
        let v = m.id.0.to_string();
        let selected = chosen(&f.members, &v);
        by_region
            .entry(m.region.clone())
            .or_default()
            .push(Choice::new(v, format!("{} ({})", m.name, m.code), selected));
        if !m.network.is_empty() {
            networks.insert(m.network.clone(), ());
        }
    }
    let regions: Vec<Choice> = by_region
        .keys()
        .map(|r| Choice::new(r.clone(), r.clone(), chosen(&f.regions, r)))
        .collect();
    let groups = by_region
        .into_iter()
        .map(|(name, members)| RegionGroup { name, members })
        .collect();
    let networks = networks
        .into_keys()
        .map(|n| {
            let selected = chosen(&f.networks, &n);
            Choice::new(n.clone(), n, selected)
        })
        .collect();
    // Who it would reach: the selection shown, or every member.
    let selected: Option<Vec<MemberId>> = (f.audience == "selection").then(|| {
        members
            .iter()
            .filter(|m| {
                chosen(&f.members, &m.id.0.to_string())
                    || chosen(&f.regions, &m.region)
                    || (!m.network.is_empty() && chosen(&f.networks, &m.network))
            })
            .map(|m| m.id)
            .collect()
    });
    let reach = st
        .store
        .task_recipients(t.id, selected.as_deref(), udrul_core::calendar::today())
        .await?;
    let page = PublishPage {
        ctx,
        summary_for: if selected.is_some() {
            ctx.t("recipients-publish-for-selection")
        } else {
            ctx.t("recipients-publish-for-all")
        },
        summary: super::recipients::summary(ctx, &reach, t.id.0),
        t,
        all: f.audience == "all",
        selection: f.audience == "selection",
        all_label: ctx.tr.n(
            "task-publish-all",
            i64::try_from(members.len()).unwrap_or(i64::MAX),
        ),
        groups,
        regions,
        networks,
        errors,
    };
    Ok((status, Html(render(&page))).into_response())
}

async fn load_draft(st: &AppState, id: i64) -> AppResult<Task> {
    let t = load_task(st, id).await?;
    if t.state != TaskState::Draft {
        return Err(AppError::Conflict("error-publish-not-draft"));
    }
    Ok(t)
}

pub async fn form(
    State(st): State<AppState>,
    Central { ctx, .. }: Central,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let t = load_draft(&st, id).await?;
    let f = PublishForm {
        audience: "all".into(),
        ..Default::default()
    };
    render_form(&st, &ctx, &t, &f, FieldErrors::default(), StatusCode::OK).await
}

pub async fn submit(
    State(st): State<AppState>,
    Central { ctx, actor }: Central,
    Path(id): Path<i64>,
    Form(f): Form<PublishForm>,
) -> AppResult<Response> {
    super::may_change(&st, &actor, id).await?;
    let t = load_draft(&st, id).await?;
    let audience = match f.parse() {
        Ok(a) => a,
        Err(errors) => {
            return render_form(&st, &ctx, &t, &f, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    match st.store.publish_task(&actor, TaskId(id), &audience).await {
        Ok(_) => Ok(Redirect::to(&format!("/tasks/{id}?notice=published")).into_response()),
        Err(StoreError::Invalid(errors)) => {
            render_form(&st, &ctx, &t, &f, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}
