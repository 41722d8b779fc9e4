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

/// Finds the `csrf` field in an `application/x-www-form-urlencoded` body.
pub fn field_in_form(body: &[u8]) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

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
