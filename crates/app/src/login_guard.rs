//! What every way of logging in with a password shares: failed-login
//! throttling and the audit of logins.
//!
//! Throttling counts attempts per username in the database (so it holds on
//! every app instance). Each attempt is counted, in one atomic statement,
//! *before* its password is checked (`Store::count_login_attempt`), and an
//! attempt whose count is over `login_max_failures` within `login_window`
//! is refused without checking the password until the window ends. So of
//! any number of concurrent attempts at most `login_max_failures` reach the
//! check (issue 11: counting after the check let 40 concurrent guesses all
//! through). A success clears the count. Counting per username, not per
//! address, keeps one office behind one NAT address from locking itself
//! out; the cost is that someone can keep one username throttled, which
//! delays that user by one window, no more.
//!
//! Against spraying (a few guesses at each of many usernames) attempts are
//! also counted per client address (`client`), in memory per app instance
//! (`limits::SourceLimits`): a generous bucket, `login_source_burst` at
//! once and `login_source_per_minute` after, that an office's morning
//! logins do not empty but a sprayer does. Requests whose address is
//! unknown (no socket) are not counted by source.

use std::time::Duration;

use axum::http::HeaderMap;
use chrono::Utc;
use udrul_core::store::AuditEntry;
use udrul_core::{StoreError, User};

use crate::state::AppState;

fn key(username: &str) -> String {
    format!("user:{}", username.trim().to_lowercase())
}

fn window(st: &AppState) -> chrono::Duration {
    chrono::Duration::from_std(st.config.login_window).unwrap_or(chrono::Duration::minutes(15))
}

/// Counts a password attempt for `username` from this request's client,
/// before the password is checked. `Some(wait)`: refused, do not check the
/// password (the caller records it with `refused`).
pub async fn attempt(
    st: &AppState,
    username: &str,
    headers: &HeaderMap,
) -> Result<Option<Duration>, StoreError> {
    if let Some(ip) = crate::client::of(headers)
        && let Err(wait) = st.login_sources.check(ip)
    {
        return Ok(Some(wait.max(Duration::from_secs(1))));
    }
    let now = Utc::now();
    let (n, start) = st
        .store
        .count_login_attempt(&key(username), now, now - window(st))
        .await?;
    Ok((n > st.config.login_max_failures).then(|| {
        let ends = start + window(st);
        (ends - now).to_std().unwrap_or(Duration::from_secs(1))
    }))
}

/// Writes a failed login to the audit log (with the user it was for, if the
/// username exists; never the password). The attempt was counted already.
pub async fn failed(st: &AppState, username: &str, headers: &HeaderMap) -> Result<(), StoreError> {
    let person = st.store.user_by_username(username.trim()).await?;
    let entry = AuditEntry {
        action: "login.failure",
        object_type: "user",
        object_id: person.as_ref().map(|p| p.user.id.0),
        member_id: person.as_ref().and_then(|p| p.user.member_id),
        person_id: person.as_ref().map(|p| p.user.id),
        after: request_json(headers, serde_json::json!({})),
        ..AuditEntry::default()
    };
    st.store.record_audit(None, entry).await
}

/// Records a refused attempt while throttled (once per attempt).
pub async fn refused(st: &AppState, username: &str, headers: &HeaderMap) -> Result<(), StoreError> {
    let person = st.store.user_by_username(username.trim()).await?;
    let entry = AuditEntry {
        action: "login.throttled",
        object_type: "user",
        object_id: person.as_ref().map(|p| p.user.id.0),
        person_id: person.as_ref().map(|p| p.user.id),
        after: request_json(headers, serde_json::json!({})),
        ..AuditEntry::default()
    };
    st.store.record_audit(None, entry).await
}

/// Clears the failures and writes the login to the audit log.
pub async fn succeeded(
    st: &AppState,
    user: &User,
    how: &'static str,
    headers: &HeaderMap,
) -> Result<(), StoreError> {
    succeeded_with(st, user, how, headers, serde_json::json!({})).await
}

/// `succeeded`, with what the identity provider said about the login
/// (provider, level of assurance) kept beside the request in the audit log.
pub async fn succeeded_with(
    st: &AppState,
    user: &User,
    how: &'static str,
    headers: &HeaderMap,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    st.store.clear_login_failures(&key(&user.username)).await?;
    write(st, user, how, headers, detail).await
}

/// Writes a login, logout or token event of `user` to the audit log.
pub async fn record(
    st: &AppState,
    user: &User,
    action: &'static str,
    headers: &HeaderMap,
) -> Result<(), StoreError> {
    write(st, user, action, headers, serde_json::json!({})).await
}

async fn write(
    st: &AppState,
    user: &User,
    action: &'static str,
    headers: &HeaderMap,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    let actor = crate::auth::actor_of(user, headers);
    let entry = AuditEntry {
        action,
        object_type: "user",
        object_id: Some(user.id.0),
        person_id: Some(user.id),
        after: request_json(headers, detail),
        ..AuditEntry::default()
    };
    st.store.record_audit(Some(&actor), entry).await
}

/// What the audit keeps of the request: the request id, and the client's
/// address as `client` decided it (a proxy's `X-Forwarded-For` only from a
/// trusted proxy). Never cookies or credentials.
fn request_json(headers: &HeaderMap, detail: serde_json::Value) -> Option<String> {
    let client = crate::client::of(headers).map(|ip| ip.to_string());
    let agent = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(200).collect::<String>());
    let mut json = serde_json::json!({
        "client": client,
        "user_agent": agent,
    });
    if let (Some(all), serde_json::Value::Object(extra)) = (json.as_object_mut(), detail) {
        all.extend(extra);
    }
    serde_json::to_string(&json).ok()
}
