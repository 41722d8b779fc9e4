//! `/scim/v2/Users`: a member's people as SCIM users.
//!
//! - `id` is our person id; `externalId` the organisation system's id, the
//!   person's identity (kept as `normalise_external_id` keeps it);
//!   `userName` is kept as given (`people.user_name`), unique per member
//!   without regard to case. Only people with a `userName` (provisioned
//!   through SCIM) are SCIM users: people made by hand or imported are not
//!   shown, until a POST with their `externalId` takes them over.
//! - one name: `displayName`, else `name.formatted`, else `givenName` +
//!   `familyName`, else the `userName`; shown back split at the last space.
//! - `emails`: the primary or work address; `phoneNumbers`: the work (or
//!   primary) number, else the mobile one; `title`; `active`: false is
//!   `Store::person_left` (roles end, emptied roles become a notice), true
//!   on someone who left is `Store::person_returned`. The enterprise
//!   extension (department, manager, ...) is accepted and not kept: org
//!   units come through `/Groups`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use udrul_core::gallery::{ChangeSource, Person, PersonInput, normalise_external_id};
use udrul_core::input::{FieldErrors, MAX_SHORT};
use udrul_core::{OrgUnitId, PersonId};

use super::error::{ScimError, ScimResult};
use super::filter::{self, Filter, get_ci};
use super::patch::{self, Op, OpKind};
use super::{
    ENTERPRISE_SCHEMA, ResourceId, Scim, ScimBody, ScimQuery, USER_SCHEMA, base_url, boolean,
    created, list_response, rfc3339, scim_json, string,
};
use crate::state::AppState;

/// Whether `p` is a SCIM user of `scim`'s member.
fn visible(p: &Person, scim: &Scim) -> bool {
    p.member_id == scim.member && p.user_name.is_some()
}

/// "Anne Marie Ager" → ("Anne Marie", "Ager").
fn split_name(name: &str) -> (String, String) {
    match name.trim().rsplit_once(' ') {
        Some((given, family)) => (given.trim().to_string(), family.to_string()),
        None => (name.trim().to_string(), String::new()),
    }
}

/// A person as a SCIM user.
pub fn user_json(p: &Person, base: &str) -> Value {
    let location = format!("{base}/Users/{}", p.id.0);
    let (given, family) = split_name(&p.name);
    let mut name = json!({"formatted": p.name, "givenName": given});
    if !family.is_empty() {
        name["familyName"] = family.into();
    }
    let mut v = json!({
        "schemas": [USER_SCHEMA],
        "id": p.id.0.to_string(),
        "userName": p.user_name.clone().unwrap_or_default(),
        "displayName": p.name,
        "name": name,
        "active": p.left_at.is_none(),
        "meta": {
            "resourceType": "User",
            "created": rfc3339(p.created_at),
            "lastModified": rfc3339(p.updated_at),
            "location": location,
        },
    });
    if let Some(ext) = &p.external_id {
        v["externalId"] = ext.clone().into();
    }
    if !p.title.is_empty() {
        v["title"] = p.title.clone().into();
    }
    if !p.email.is_empty() {
        v["emails"] = json!([{"value": p.email, "type": "work", "primary": true}]);
    }
    if !p.phone.is_empty() {
        v["phoneNumbers"] = json!([{"value": p.phone, "type": "work"}]);
    }
    if let Some(unit) = p.org_unit_id {
        v["groups"] = json!([{
            "value": unit.0.to_string(),
            "display": p.org_unit_name.clone().unwrap_or_default(),
            "$ref": format!("{base}/Groups/{}", unit.0),
        }]);
    }
    v
}

/// What SCIM says of a person, as a request edits it.
#[derive(Debug, Clone, Default)]
struct UserState {
    user_name: String,
    external_id: Option<String>,
    /// The name before the request (PATCH), kept unless a name is given.
    name_before: String,
    display: Option<String>,
    formatted: Option<String>,
    given: Option<String>,
    family: Option<String>,
    parts_touched: bool,
    email: String,
    phone: String,
    /// What kind of number set `phone` in this request: 2 work, 1 mobile.
    phone_rank: u8,
    title: String,
    active: bool,
}

impl UserState {
    fn of(p: &Person) -> UserState {
        let (given, family) = split_name(&p.name);
        UserState {
            user_name: p.user_name.clone().unwrap_or_default(),
            external_id: p.external_id.clone(),
            name_before: p.name.clone(),
            given: Some(given),
            family: Some(family),
            email: p.email.clone(),
            phone: p.phone.clone(),
            title: p.title.clone(),
            active: p.left_at.is_none(),
            ..UserState::default()
        }
    }

    /// A whole resource (POST, PUT); `external_id` is kept when the body
    /// names none.
    fn from_resource(
        body: &serde_json::Map<String, Value>,
        external_id: Option<String>,
    ) -> ScimResult<UserState> {
        let mut s = UserState {
            external_id,
            active: true,
            ..UserState::default()
        };
        for (k, v) in body {
            if k.eq_ignore_ascii_case(ENTERPRISE_SCHEMA) {
                continue;
            }
            // Names we cannot read are attributes we do not keep.
            let Ok(path) = filter::parse_path(k) else {
                continue;
            };
            let op = Op {
                kind: OpKind::Replace,
                path,
                value: v.clone(),
            };
            s.apply(&op, false)?;
        }
        Ok(s)
    }

    fn name(&self) -> String {
        let parts = [self.given.as_deref(), self.family.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let nonempty = |s: Option<&str>| {
            s.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        nonempty(self.display.as_deref())
            .or_else(|| nonempty(self.formatted.as_deref()))
            .or_else(|| self.parts_touched.then(|| nonempty(Some(&parts))).flatten())
            .or_else(|| nonempty(Some(&self.name_before)))
            .or_else(|| nonempty(Some(&parts)))
            .unwrap_or_else(|| self.user_name.trim().to_string())
    }

    /// The person to write; `org_unit` stays what it is (`/Groups` moves
    /// people).
    fn input(&self, org_unit: Option<OrgUnitId>) -> ScimResult<PersonInput> {
        let mut e = FieldErrors::default();
        let user_name = e.required("userName", &self.user_name, MAX_SHORT);
        let parsed = PersonInput::parse(
            self.external_id.as_deref().unwrap_or(""),
            &self.name(),
            &self.email,
            &self.phone,
            &self.title,
            org_unit.map(|u| u.0),
        );
        match parsed {
            Ok(mut p) if e.is_empty() => {
                p.user_name = Some(user_name);
                Ok(p)
            }
            Ok(_) => Err(e.into()),
            Err(mut more) => {
                more.0.extend(e.0);
                Err(more.into())
            }
        }
    }

    /// Applies one operation. `strict` (PATCH) refuses paths that name no
    /// attribute of a user and read-only attributes; a whole resource
    /// (POST, PUT) ignores them, as identity providers send extras.
    fn apply(&mut self, op: &Op, strict: bool) -> ScimResult<()> {
        let a = &op.path.attr;
        match a.schema.as_deref() {
            None => {}
            Some(s) if s.eq_ignore_ascii_case(USER_SCHEMA) => {}
            // Accepted and not kept.
            Some(s) if s.eq_ignore_ascii_case(ENTERPRISE_SCHEMA) => return Ok(()),
            Some(_) if strict => {
                return Err(ScimError::bad(
                    "invalidPath",
                    format!("Unknown schema in path of {}.", a.attr),
                ));
            }
            Some(_) => return Ok(()),
        }
        let remove = op.kind == OpKind::Remove;
        let v = &op.value;
        let simple = a.sub.is_none() && op.path.filter.is_none();
        let attr = a.attr.to_ascii_lowercase();
        let no_sub = |this: &str| -> ScimResult<()> {
            if simple {
                Ok(())
            } else {
                Err(ScimError::bad(
                    "invalidPath",
                    format!("{this} has no sub-attributes."),
                ))
            }
        };
        match attr.as_str() {
            "username" => {
                no_sub("userName")?;
                if remove {
                    return Err(ScimError::invalid_value("userName is required."));
                }
                self.user_name = string(v, "userName")?;
            }
            "externalid" => {
                no_sub("externalId")?;
                let s = if remove {
                    String::new()
                } else {
                    string(v, "externalId")?
                };
                let s = normalise_external_id(&s);
                self.external_id = (!s.is_empty()).then_some(s);
            }
            "displayname" => {
                no_sub("displayName")?;
                self.display = if remove {
                    None
                } else {
                    Some(string(v, "displayName")?)
                };
            }
            "title" => {
                no_sub("title")?;
                self.title = if remove {
                    String::new()
                } else {
                    string(v, "title")?
                };
            }
            "active" => {
                no_sub("active")?;
                if remove {
                    return Err(ScimError::invalid_value("active cannot be removed."));
                }
                self.active = boolean(v)
                    .ok_or_else(|| ScimError::invalid_value("active must be true or false."))?;
            }
            "name" => self.apply_name(op, remove)?,
            "emails" => self.apply_email(op, remove)?,
            "phonenumbers" => self.apply_phone(op, remove)?,
            "groups" | "id" | "meta" if strict => {
                return Err(ScimError::bad(
                    "mutability",
                    format!(
                        "{} is read-only (org units are kept through /Groups).",
                        a.attr
                    ),
                ));
            }
            "groups" | "id" | "meta" | "schemas" => {}
            // User attributes of RFC 7643 we do not keep.
            "nickname" | "profileurl" | "usertype" | "preferredlanguage" | "locale"
            | "timezone" | "password" | "ims" | "photos" | "addresses" | "entitlements"
            | "roles" | "x509certificates" => {}
            _ if strict => {
                return Err(ScimError::bad(
                    "invalidPath",
                    format!("Users have no attribute {}.", a.attr),
                ));
            }
            _ => {}
        }
        Ok(())
    }

    fn apply_name(&mut self, op: &Op, remove: bool) -> ScimResult<()> {
        if op.path.filter.is_some() {
            return Err(ScimError::bad("invalidPath", "name is not multi-valued."));
        }
        let mut set = |sub: &str, v: Option<&Value>| -> ScimResult<()> {
            let val = match v {
                None => None,
                Some(v) => Some(string(v, "name")?),
            };
            match sub.to_ascii_lowercase().as_str() {
                "formatted" => self.formatted = val,
                "givenname" => {
                    self.given = val;
                    self.parts_touched = true;
                }
                "familyname" => {
                    self.family = val;
                    self.parts_touched = true;
                }
                _ => {} // middleName, honorificPrefix, ...: not kept
            }
            Ok(())
        };
        match &op.path.attr.sub {
            Some(sub) => set(sub, if remove { None } else { Some(&op.value) }),
            None if remove => {
                for sub in ["formatted", "givenName", "familyName"] {
                    set(sub, None)?;
                }
                Ok(())
            }
            None => {
                let Value::Object(m) = &op.value else {
                    return Err(ScimError::invalid_value("name must be an object."));
                };
                for (k, v) in m {
                    set(k, Some(v))?;
                }
                Ok(())
            }
        }
    }

    fn apply_email(&mut self, op: &Op, remove: bool) -> ScimResult<()> {
        let slot = json!({"type": "work", "primary": true, "value": self.email});
        if let Some(f) = &op.path.filter
            && !filter::matches(f, &slot)
        {
            return Ok(()); // a home address, say: not kept
        }
        let sub = op.path.sub.as_deref().or(op.path.attr.sub.as_deref());
        match sub {
            Some(s) if s.eq_ignore_ascii_case("value") => {
                self.email = if remove {
                    String::new()
                } else {
                    string(&op.value, "emails.value")?
                };
            }
            Some(_) => {} // type, primary, display
            None if remove => self.email = String::new(),
            None => {
                let items = listed(&op.value);
                let chosen = if op.path.filter.is_some() {
                    items.first().copied()
                } else {
                    preferred(&items, &["work"])
                };
                match chosen {
                    Some(item) => {
                        self.email = string(
                            get_ci(item, "value").unwrap_or(&Value::Null),
                            "emails.value",
                        )?
                    }
                    None if op.kind == OpKind::Replace => self.email = String::new(),
                    None if self.email.is_empty() => {
                        if let Some(first) = items.first() {
                            self.email = string(
                                get_ci(first, "value").unwrap_or(&Value::Null),
                                "emails.value",
                            )?;
                        }
                    }
                    None => {}
                }
            }
        }
        Ok(())
    }

    fn apply_phone(&mut self, op: &Op, remove: bool) -> ScimResult<()> {
        let work = json!({"type": "work", "primary": true, "value": self.phone});
        let mobile = json!({"type": "mobile", "value": self.phone});
        let rank = match &op.path.filter {
            None => 2,
            Some(f) if filter::matches(f, &work) => 2,
            Some(f) if filter::matches(f, &mobile) => 1,
            Some(_) => return Ok(()), // fax, home: not kept
        };
        let put = |s: &mut Self, value: String, rank: u8| {
            // A work number in the same request beats a mobile one.
            if rank >= s.phone_rank {
                s.phone = value;
                s.phone_rank = rank;
            }
        };
        let sub = op.path.sub.as_deref().or(op.path.attr.sub.as_deref());
        match sub {
            Some(s) if s.eq_ignore_ascii_case("value") => {
                let value = if remove {
                    String::new()
                } else {
                    string(&op.value, "phoneNumbers.value")?
                };
                put(self, value, rank);
            }
            Some(_) => {}
            None if remove => put(self, String::new(), rank),
            None => {
                let items = listed(&op.value);
                let chosen = if op.path.filter.is_some() {
                    items.first().copied()
                } else {
                    preferred(&items, &["work", "mobile"])
                };
                match chosen {
                    Some(item) => {
                        let is_mobile = get_ci(item, "type")
                            .and_then(Value::as_str)
                            .is_some_and(|t| t.eq_ignore_ascii_case("mobile"));
                        let value = string(
                            get_ci(item, "value").unwrap_or(&Value::Null),
                            "phoneNumbers.value",
                        )?;
                        put(self, value, if is_mobile { 1 } else { rank });
                    }
                    None if op.kind == OpKind::Replace => put(self, String::new(), rank),
                    None => {}
                }
            }
        }
        Ok(())
    }
}

/// A multi-valued attribute's values (one object is taken as a list of one).
fn listed(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().filter(|i| i.is_object()).collect(),
        Value::Object(_) => vec![v],
        _ => Vec::new(),
    }
}

/// The primary value, else the first of the `types` in order.
fn preferred<'a>(items: &[&'a Value], types: &[&str]) -> Option<&'a Value> {
    if let Some(p) = items
        .iter()
        .find(|i| get_ci(i, "primary").and_then(boolean) == Some(true))
        .copied()
    {
        return Some(p);
    }
    types.iter().find_map(|t| {
        items
            .iter()
            .find(|i| {
                get_ci(i, "type")
                    .and_then(Value::as_str)
                    .is_some_and(|x| x.eq_ignore_ascii_case(t))
            })
            .copied()
    })
}

/// The people a filter can match, fetched by index when it requires an
/// `id`, `externalId` or `userName`.
async fn candidates(st: &AppState, scim: &Scim, f: Option<&Filter>) -> ScimResult<Vec<Person>> {
    let store = &st.store;
    let found = match f {
        Some(f) if filter::required_eq(f, "id").is_some() => {
            match filter::required_eq(f, "id").and_then(|id| id.parse::<i64>().ok()) {
                Some(id) => store
                    .get_person(PersonId(id))
                    .await
                    .map_err(ScimError::store)?,
                None => None,
            }
        }
        Some(f) if filter::required_eq(f, "externalId").is_some() => {
            let ext = normalise_external_id(filter::required_eq(f, "externalId").unwrap_or(""));
            store
                .person_by_external_id(scim.member, &ext)
                .await
                .map_err(ScimError::store)?
        }
        Some(f) if filter::required_eq(f, "userName").is_some() => store
            .person_by_user_name(
                scim.member,
                filter::required_eq(f, "userName").unwrap_or(""),
            )
            .await
            .map_err(ScimError::store)?,
        _ => {
            return store
                .list_people(scim.member)
                .await
                .map_err(ScimError::store);
        }
    };
    Ok(found.into_iter().collect())
}

pub async fn list(State(st): State<AppState>, scim: Scim, q: ScimQuery) -> ScimResult<Response> {
    let f = q.filter()?;
    let page = q.page()?;
    let mut people = candidates(&st, &scim, f.as_ref()).await?;
    people.retain(|p| visible(p, &scim));
    people.sort_by_key(|p| p.id.0);
    let base = base_url(&st);
    let all: Vec<Value> = people
        .iter()
        .map(|p| user_json(p, &base))
        .filter(|v| f.as_ref().is_none_or(|f| filter::matches(f, v)))
        .collect();
    Ok(list_response(all, page, &q))
}

/// The SCIM user `id` of `scim`'s member, or 404.
async fn load(st: &AppState, scim: &Scim, id: i64) -> ScimResult<Person> {
    match st
        .store
        .get_person(PersonId(id))
        .await
        .map_err(ScimError::store)?
    {
        Some(p) if visible(&p, scim) => Ok(p),
        _ => Err(ScimError::not_found()),
    }
}

pub async fn read(
    State(st): State<AppState>,
    scim: Scim,
    ResourceId(id): ResourceId,
    q: ScimQuery,
) -> ScimResult<Response> {
    let p = load(&st, &scim, id).await?;
    Ok(scim_json(
        StatusCode::OK,
        q.project(user_json(&p, &base_url(&st))),
    ))
}

/// Writes `state` over `before`: the attributes first, then a change of
/// `active` (leaving or coming back). Each step does nothing, and audits
/// nothing, when nothing differs, so a replay converges.
async fn write(
    st: &AppState,
    scim: &Scim,
    before: &Person,
    input: PersonInput,
    active: bool,
) -> ScimResult<Person> {
    let store = &st.store;
    let by = &scim.actor;
    let mut p = store
        .update_person(by, before.id, input)
        .await
        .map_err(ScimError::store)?;
    if active && p.left_at.is_some() {
        p = store
            .person_returned(by, p.id)
            .await
            .map_err(ScimError::store)?;
    } else if !active && p.left_at.is_none() {
        let today = udrul_core::calendar::today();
        store
            .person_left(by, p.id, today, ChangeSource::Scim)
            .await
            .map_err(ScimError::store)?;
        p = store
            .get_person(p.id)
            .await
            .map_err(ScimError::store)?
            .ok_or_else(ScimError::not_found)?;
    }
    Ok(p)
}

pub async fn create(
    State(st): State<AppState>,
    scim: Scim,
    ScimBody(body): ScimBody,
) -> ScimResult<Response> {
    let state = UserState::from_resource(&body, None)?;
    let input = state.input(None)?;
    let user_name = input.user_name.clone().unwrap_or_default();
    let store = &st.store;
    let base = base_url(&st);
    if let Some(ext) = &input.external_id
        && let Some(p) = store
            .person_by_external_id(scim.member, ext)
            .await
            .map_err(ScimError::store)?
    {
        if p.user_name.is_some() && p.left_at.is_none() {
            return Err(ScimError::uniqueness(
                "A user with this externalId exists already.",
            ));
        }
        // Someone who left comes back; someone made by hand or imported
        // is taken over. Either way this is now the user; their org unit
        // stays.
        let mut input = input;
        input.org_unit_id = p.org_unit_id;
        let p = write(&st, &scim, &p, input, state.active).await?;
        return Ok(created(user_json(&p, &base)));
    }
    if store
        .person_by_user_name(scim.member, &user_name)
        .await
        .map_err(ScimError::store)?
        .is_some()
    {
        return Err(ScimError::uniqueness(
            "A user with this userName exists already.",
        ));
    }
    let p = store
        .create_person(&scim.actor, scim.member, input.clone())
        .await
        .map_err(ScimError::store)?;
    let p = if state.active {
        p
    } else {
        write(&st, &scim, &p, input, false).await?
    };
    Ok(created(user_json(&p, &base)))
}

pub async fn replace(
    State(st): State<AppState>,
    scim: Scim,
    ResourceId(id): ResourceId,
    ScimBody(body): ScimBody,
) -> ScimResult<Response> {
    let before = load(&st, &scim, id).await?;
    let state = UserState::from_resource(&body, before.external_id.clone())?;
    let input = state.input(before.org_unit_id)?;
    let p = write(&st, &scim, &before, input, state.active).await?;
    Ok(scim_json(StatusCode::OK, user_json(&p, &base_url(&st))))
}

pub async fn patch(
    State(st): State<AppState>,
    scim: Scim,
    ResourceId(id): ResourceId,
    ScimBody(body): ScimBody,
) -> ScimResult<Response> {
    let before = load(&st, &scim, id).await?;
    let ops = patch::operations(&body)?;
    let mut state = UserState::of(&before);
    for op in &ops {
        state.apply(op, true)?;
    }
    let input = state.input(before.org_unit_id)?;
    let p = write(&st, &scim, &before, input, state.active).await?;
    Ok(scim_json(StatusCode::OK, user_json(&p, &base_url(&st))))
}

/// The person leaves (roles end, history stays) and is no longer a SCIM
/// user: a later GET answers 404, and a POST with their `externalId`
/// brings them back.
pub async fn delete(
    State(st): State<AppState>,
    scim: Scim,
    ResourceId(id): ResourceId,
) -> ScimResult<Response> {
    let before = load(&st, &scim, id).await?;
    write(&st, &scim, &before, input_of(&before), false).await?;
    let mut input = input_of(&before);
    input.user_name = Some(String::new());
    st.store
        .update_person(&scim.actor, before.id, input)
        .await
        .map_err(ScimError::store)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A person as they are, to write back with one thing changed (their org
/// unit, their `userName`); the `userName` is left as it is.
pub(super) fn input_of(p: &Person) -> PersonInput {
    PersonInput {
        external_id: p.external_id.clone(),
        name: p.name.clone(),
        email: p.email.clone(),
        phone: p.phone.clone(),
        title: p.title.clone(),
        org_unit_id: p.org_unit_id,
        user_name: None,
    }
}
