//! CSRF protection for every HTML form.
//!
//! Tokens are HMAC-SHA256 of the session secret (logged in) or of a random
//! pre-session cookie (the login form), so nothing extra is stored and every
//! app instance on the same database agrees. The `session` middleware checks
//! each state-changing request: a foreign `Origin` or a missing or wrong
//! `csrf` form field answers 403 before any handler runs.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

pub const FIELD: &str = "csrf";

pub fn token(key: &[u8], purpose: &str, secret: &str) -> String {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(purpose.as_bytes());
    mac.update(b":");
    mac.update(secret.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Constant-time check of a submitted token.
pub fn verify(key: &[u8], purpose: &str, secret: &str, submitted: &str) -> bool {
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(submitted.as_bytes()) else {
        return false;
    };
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(purpose.as_bytes());
    mac.update(b":");
    mac.update(secret.as_bytes());
    mac.verify_slice(&bytes).is_ok()
}

/// Packs `value` into a cookie value signed with `key` for `purpose`, good
/// for `seconds`: the state of a login at an identity provider, kept by the
/// browser so that any app instance can finish it.
pub fn seal<T: serde::Serialize>(key: &[u8], purpose: &str, value: &T, seconds: i64) -> String {
    let sealed = serde_json::json!({
        "v": value,
        "exp": chrono::Utc::now().timestamp() + seconds,
    });
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&sealed).unwrap_or_default());
    let mac = token(key, purpose, &body);
    format!("{body}.{mac}")
}

/// The value `seal` packed, if the signature holds and it has not expired.
pub fn open<T: serde::de::DeserializeOwned>(key: &[u8], purpose: &str, sealed: &str) -> Option<T> {
    #[derive(serde::Deserialize)]
    struct Sealed<T> {
        v: T,
        exp: i64,
    }
    let (body, mac) = sealed.split_once('.')?;
    if !verify(key, purpose, body, mac) {
        return None;
    }
    let s: Sealed<T> = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
    (s.exp > chrono::Utc::now().timestamp()).then_some(s.v)
}

/// Finds the `csrf` field in an `application/x-www-form-urlencoded` body.
pub fn field_in_form(body: &[u8]) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v.into_owned())
}

/// Finds the `csrf` field in a `multipart/form-data` body (an upload
/// form), given the request's `Content-Type`. Forms put the field first, so
/// this reads only as far as it; a body that is not valid multipart has
/// none.
pub async fn field_in_multipart(content_type: &str, body: bytes::Bytes) -> Option<String> {
    let boundary = multer::parse_boundary(content_type).ok()?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut parts = multer::Multipart::new(stream, boundary);
    while let Ok(Some(field)) = parts.next_field().await {
        if field.name() == Some(FIELD) {
            return field.text().await.ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_purpose_and_expire() {
        let key = b"0123456789abcdef0123456789abcdef";
        let sealed = seal(key, "flow", &"state", 60);
        assert_eq!(
            open::<String>(key, "flow", &sealed).as_deref(),
            Some("state")
        );
        // Another key or purpose, a changed body, or an old value: nothing.
        assert!(open::<String>(b"another key another key another k", "flow", &sealed).is_none());
        assert!(open::<String>(key, "other", &sealed).is_none());
        let (body, mac) = sealed.split_once('.').unwrap();
        assert!(open::<String>(key, "flow", &format!("{body}A.{mac}")).is_none());
        assert!(open::<String>(key, "flow", &seal(key, "flow", &"state", -1)).is_none());
    }

    #[test]
    fn tokens_verify_only_for_their_secret_and_purpose() {
        let k = b"0123456789abcdef0123456789abcdef";
        let t = token(k, "s", "abc");
        assert!(verify(k, "s", "abc", &t));
        assert!(!verify(k, "s", "abd", &t));
        assert!(!verify(k, "p", "abc", &t));
        assert!(!verify(k, "s", "abc", "garbage!"));
        assert!(!verify(b"another key", "s", "abc", &t));
    }

    #[test]
    fn finds_the_field() {
        assert_eq!(field_in_form(b"a=1&csrf=x%2By&b=2").as_deref(), Some("x+y"));
        assert_eq!(field_in_form(b"a=1"), None);
    }
}
