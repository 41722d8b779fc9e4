//! `/scim/v2/Groups`: a member's org units as SCIM groups.
//!
//! - `id` is our org unit id, `externalId` the organisation system's id,
//!   `displayName` the unit's name; removed units are not groups (DELETE
//!   removes one: its people leave it, its children move up).
//! - `members` are the SCIM users placed in the unit. A person is in at
//!   most one unit, so adding a user to a group moves them out of the one
//!   they were in. People who are not SCIM users are never moved.
//! - SCIM groups are flat: a unit's parent is kept as it is.
//! - PATCH answers 204 (no body: a unit's members can be many).

use std::collections::BTreeSet;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use udrul_core::OrgUnitId;
use udrul_core::gallery::{OrgUnit, OrgUnitInput, Person};

use super::error::{ScimError, ScimResult};
use super::filter::{self, get_ci};
use super::patch::{self, OpKind};
use super::users::input_of;
use super::{
    GROUP_SCHEMA, ResourceId, Scim, ScimBody, ScimQuery, base_url, created, list_response,
    scim_json, string,
};
use crate::state::AppState;

fn visible(u: &OrgUnit, scim: &Scim) -> bool {
    u.member_id == scim.member && !u.removed
}

/// The member's SCIM users.
async fn scim_people(st: &AppState, scim: &Scim) -> ScimResult<Vec<Person>> {
    let mut people = st
        .store
        .list_people(scim.member)
        .await
        .map_err(ScimError::store)?;
    people.retain(|p| p.user_name.is_some());
    people.sort_by_key(|p| p.id.0);
    Ok(people)
}

pub fn group_json(u: &OrgUnit, people: &[Person], base: &str) -> Value {
    let members: Vec<Value> = people
        .iter()
        .filter(|p| p.org_unit_id == Some(u.id))
        .map(|p| {
            json!({
                "value": p.id.0.to_string(),
                "display": p.name,
                "type": "User",
                "$ref": format!("{base}/Users/{}", p.id.0),
            })
        })
        .collect();
    let mut v = json!({
        "schemas": [GROUP_SCHEMA],
        "id": u.id.0.to_string(),
        "displayName": u.name,
        "members": members,
        "meta": {"resourceType": "Group", "location": format!("{base}/Groups/{}", u.id.0)},
    });
    if let Some(ext) = &u.external_id {
        v["externalId"] = ext.clone().into();
    }
    v
}

pub async fn list(State(st): State<AppState>, scim: Scim, q: ScimQuery) -> ScimResult<Response> {
    let f = q.filter()?;
    let page = q.page()?;
    let mut units = st
        .store
        .list_org_units(scim.member)
        .await
        .map_err(ScimError::store)?;
    units.retain(|u| visible(u, &scim));
    units.sort_by_key(|u| u.id.0);
    let people = scim_people(&st, &scim).await?;
    let base = base_url(&st);
    let all: Vec<Value> = units
        .iter()
        .map(|u| group_json(u, &people, &base))
        .filter(|v| f.as_ref().is_none_or(|f| filter::matches(f, v)))
        .collect();
    Ok(list_response(all, page, &q))
}

async fn load(st: &AppState, scim: &Scim, id: i64) -> ScimResult<OrgUnit> {
    match st
        .store
        .get_org_unit(OrgUnitId(id))
        .await
        .map_err(ScimError::store)?
    {
        Some(u) if visible(&u, scim) => Ok(u),
        _ => Err(ScimError::not_found()),
    }
}

pub async fn read(
    State(st): State<AppState>,
    scim: Scim,
    ResourceId(id): ResourceId,
    q: ScimQuery,
) -> ScimResult<Response> {
    let u = load(&st, &scim, id).await?;
    let people = scim_people(&st, &scim).await?;
    Ok(scim_json(
        StatusCode::OK,
        q.project(group_json(&u, &people, &base_url(&st))),
    ))
}

/// The user ids of a `members` value (`[{"value": "12"}, ...]`), each a
/// SCIM user of the member (else 400: no such user).
fn member_ids(v: &Value, people: &[Person]) -> ScimResult<BTreeSet<i64>> {
    let items: Vec<&Value> = match v {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![v],
        Value::Null => Vec::new(),
        _ => return Err(ScimError::invalid_value("members must be a list.")),
    };
    let mut out = BTreeSet::new();
    for item in items {
        let raw = string(
            get_ci(item, "value").unwrap_or(&Value::Null),
            "members.value",
        )?;
        let id = raw
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|id| people.iter().any(|p| p.id.0 == *id));
        match id {
            Some(id) => {
                out.insert(id);
            }
            None => {
                return Err(ScimError::invalid_value(format!(
                    "members: no user with id \"{raw}\"."
                )));
            }
        }
    }
    Ok(out)
}

/// Makes `want` the SCIM users in `unit`: users moved in (out of any other
/// unit), users no longer listed moved out. Nobody who is where they
/// should be is written.
async fn set_members(
    st: &AppState,
    scim: &Scim,
    unit: OrgUnitId,
    people: &[Person],
    want: &BTreeSet<i64>,
) -> ScimResult<()> {
    for p in people {
        let is_in = p.org_unit_id == Some(unit);
        let should = want.contains(&p.id.0);
        if is_in == should {
            continue;
        }
        let mut input = input_of(p);
        input.org_unit_id = should.then_some(unit);
        st.store
            .update_person(&scim.actor, p.id, input)
            .await
            .map_err(ScimError::store)?;
    }
    Ok(())
}

fn current_members(unit: OrgUnitId, people: &[Person]) -> BTreeSet<i64> {
    people
        .iter()
        .filter(|p| p.org_unit_id == Some(unit))
        .map(|p| p.id.0)
        .collect()
}

fn display_name(body: &Map<String, Value>) -> ScimResult<String> {
    let name = body
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("displayName"))
        .map(|(_, v)| string(v, "displayName"))
        .transpose()?
        .unwrap_or_default();
    Ok(name)
}

fn external_id(body: &Map<String, Value>) -> ScimResult<Option<String>> {
    body.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("externalId"))
        .map(|(_, v)| string(v, "externalId"))
        .transpose()
}

fn members_of(body: &Map<String, Value>) -> Option<&Value> {
    body.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("members"))
        .map(|(_, v)| v)
}

/// The unit's parent, if it is still there to keep.
async fn kept_parent(st: &AppState, u: &OrgUnit) -> ScimResult<Option<OrgUnitId>> {
    let Some(parent) = u.parent_id else {
        return Ok(None);
    };
    let found = st
        .store
        .get_org_unit(parent)
        .await
        .map_err(ScimError::store)?;
    Ok(found.filter(|p| !p.removed).map(|p| p.id))
}

pub async fn create(
    State(st): State<AppState>,
    scim: Scim,
    ScimBody(body): ScimBody,
) -> ScimResult<Response> {
    let ext = external_id(&body)?.unwrap_or_default();
    let input = OrgUnitInput::parse(&ext, &display_name(&body)?, None)?;
    let people = scim_people(&st, &scim).await?;
    let want = members_of(&body)
        .map(|m| member_ids(m, &people))
        .transpose()?;
    let store = &st.store;
    let by = &scim.actor;
    let mut existing = None;
    if let Some(ext) = &input.external_id {
        existing = store
            .list_org_units(scim.member)
            .await
            .map_err(ScimError::store)?
            .into_iter()
            .find(|u| u.external_id.as_deref() == Some(ext.as_str()));
    }
    let unit = match existing {
        Some(u) if !u.removed => {
            return Err(ScimError::uniqueness(
                "A group with this externalId exists already.",
            ));
        }
        // A removed unit the organisation system lists again: restored.
        Some(u) => {
            let restored = store
                .set_org_unit_removed(by, u.id, false)
                .await
                .map_err(ScimError::store)?;
            let parent = kept_parent(&st, &restored).await?;
            store
                .update_org_unit(
                    by,
                    u.id,
                    OrgUnitInput {
                        parent_id: parent,
                        ..input
                    },
                )
                .await
                .map_err(ScimError::store)?
        }
        None => store
            .create_org_unit(by, scim.member, input)
            .await
            .map_err(ScimError::store)?,
    };
    if let Some(want) = want {
        set_members(&st, &scim, unit.id, &people, &want).await?;
    }
    let people = scim_people(&st, &scim).await?;
    Ok(created(group_json(&unit, &people, &base_url(&st))))
}

/// PUT: `displayName` and, when given, `externalId` and `members` (a
/// body without `members` leaves them as they are).
pub async fn replace(
    State(st): State<AppState>,
    scim: Scim,
    ResourceId(id): ResourceId,
    ScimBody(body): ScimBody,
) -> ScimResult<Response> {
    let before = load(&st, &scim, id).await?;
    let ext = match external_id(&body)? {
        Some(e) => e,
        None => before.external_id.clone().unwrap_or_default(),
    };
    let input = OrgUnitInput::parse(&ext, &display_name(&body)?, None)?;
    let people = scim_people(&st, &scim).await?;
    let want = members_of(&body)
        .map(|m| member_ids(m, &people))
        .transpose()?;
    let unit = st
        .store
        .update_org_unit(
            &scim.actor,
            before.id,
            OrgUnitInput {
                parent_id: before.parent_id,
                ..input
            },
        )
        .await
        .map_err(ScimError::store)?;
    if let Some(want) = want {
        set_members(&st, &scim, unit.id, &people, &want).await?;
    }
    let people = scim_people(&st, &scim).await?;
    Ok(scim_json(
        StatusCode::OK,
        group_json(&unit, &people, &base_url(&st)),
    ))
}

pub async fn patch(
    State(st): State<AppState>,
    scim: Scim,
    ResourceId(id): ResourceId,
    ScimBody(body): ScimBody,
) -> ScimResult<Response> {
    let before = load(&st, &scim, id).await?;
    let ops = patch::operations(&body)?;
    let people = scim_people(&st, &scim).await?;
    let mut name = before.name.clone();
    let mut ext = before.external_id.clone().unwrap_or_default();
    let mut members = current_members(before.id, &people);
    for op in &ops {
        let a = &op.path.attr;
        if a.schema
            .as_deref()
            .is_some_and(|s| !s.eq_ignore_ascii_case(GROUP_SCHEMA))
        {
            return Err(ScimError::bad(
                "invalidPath",
                format!("Unknown schema in path of {}.", a.attr),
            ));
        }
        let remove = op.kind == OpKind::Remove;
        let simple = a.sub.is_none() && op.path.filter.is_none() && op.path.sub.is_none();
        match a.attr.to_ascii_lowercase().as_str() {
            "displayname" if simple => {
                if remove {
                    return Err(ScimError::invalid_value("displayName is required."));
                }
                name = string(&op.value, "displayName")?;
            }
            "externalid" if simple => {
                ext = if remove {
                    String::new()
                } else {
                    string(&op.value, "externalId")?
                };
            }
            "members" => match (op.kind, &op.path.filter) {
                (OpKind::Remove, Some(f)) => {
                    // `members[value eq "12"]`: those that match go; none
                    // matching is nothing to do (a replay).
                    members.retain(|id| {
                        let m = json!({"value": id.to_string(), "type": "User"});
                        !filter::matches(f, &m)
                    });
                }
                (OpKind::Remove, None) if op.value.is_null() => members.clear(),
                // Entra ID: `{"op": "Remove", "path": "members", "value": [{"value": "12"}]}`;
                // ids that are not (or no longer) users are nothing to remove.
                (OpKind::Remove, None) => {
                    for item in op.value.as_array().into_iter().flatten() {
                        let raw = string(
                            get_ci(item, "value").unwrap_or(&Value::Null),
                            "members.value",
                        )?;
                        if let Ok(id) = raw.trim().parse::<i64>() {
                            members.remove(&id);
                        }
                    }
                }
                (OpKind::Add, None) => members.extend(member_ids(&op.value, &people)?),
                (OpKind::Replace, None) => members = member_ids(&op.value, &people)?,
                _ => {
                    return Err(ScimError::bad(
                        "invalidPath",
                        "Only members can be added, replaced or removed (by filter) here.",
                    ));
                }
            },
            "id" if simple && string(&op.value, "id")? == before.id.0.to_string() => {}
            "id" | "meta" => {
                return Err(ScimError::bad(
                    "mutability",
                    format!("{} is read-only.", a.attr),
                ));
            }
            "schemas" => {}
            _ => {
                return Err(ScimError::bad(
                    "invalidPath",
                    format!("Groups have no attribute {}.", a.attr),
                ));
            }
        }
    }
    let input = OrgUnitInput::parse(&ext, &name, None)?;
    st.store
        .update_org_unit(
            &scim.actor,
            before.id,
            OrgUnitInput {
                parent_id: before.parent_id,
                ..input
            },
        )
        .await
        .map_err(ScimError::store)?;
    set_members(&st, &scim, before.id, &people, &members).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The unit is removed: its people leave it, its children move up.
pub async fn delete(
    State(st): State<AppState>,
    scim: Scim,
    ResourceId(id): ResourceId,
) -> ScimResult<Response> {
    let u = load(&st, &scim, id).await?;
    st.store
        .set_org_unit_removed(&scim.actor, u.id, true)
        .await
        .map_err(ScimError::store)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
