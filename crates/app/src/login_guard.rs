//! What every way of logging in with a password shares: failed-login
//! throttling and the audit of logins.
//!
//! Throttling counts failures per username in the database (so it holds on
//! every app instance): after `login_max_failures` failures within
//! `login_window`, further attempts for that username are refused without
//! checking the password until the window ends. A success clears the count.
//! Counting per username, not per address, keeps one office behind one NAT
//! address from locking itself out; the cost is that someone can keep one
//! username throttled, which delays that user by one window, no more.

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

/// `Some(wait)` while `username` is throttled.
pub async fn throttled(st: &AppState, username: &str) -> Result<Option<Duration>, StoreError> {
    let now = Utc::now();
    let found = st
        .store
        .login_failures(&key(username), now - window(st))
        .await?;
    Ok(match found {
        Some((n, start)) if n >= st.config.login_max_failures => {
            let ends = start + window(st);
            Some((ends - now).to_std().unwrap_or(Duration::from_secs(1)))
        }
        _ => None,
    })
}

/// Counts a failed login and writes it to the audit log (with the user it
/// was for, if the username exists; never the password).
pub async fn failed(st: &AppState, username: &str, headers: &HeaderMap) -> Result<(), StoreError> {
    let now = Utc::now();
    st.store
        .add_login_failure(&[key(username)], now, now - window(st))
        .await?;
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

/// What the audit keeps of the request: the request id, and the client as
/// the proxy reported it. Never cookies or credentials.
fn request_json(headers: &HeaderMap, detail: serde_json::Value) -> Option<String> {
    let forwarded = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(200).collect::<String>());
    let agent = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(200).collect::<String>());
    let mut json = serde_json::json!({
        "forwarded_for": forwarded,
        "user_agent": agent,
    });
    if let (Some(all), serde_json::Value::Object(extra)) = (json.as_object_mut(), detail) {
        all.extend(extra);
    }
    serde_json::to_string(&json).ok()
}
