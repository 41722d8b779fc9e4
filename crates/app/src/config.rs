//! Run-time settings, from the command line or the environment.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// Send cookies with `Secure` and the `__Host-` prefix. On when the
    /// portal is served over HTTPS (behind a TLS proxy); off for plain
    /// http://127.0.0.1 in the demo and tests.
    pub secure_cookies: bool,
    /// A login session ends this long after login, whatever happens.
    pub session_absolute: Duration,
    /// ... or after this long without a request.
    pub session_idle: Duration,
    /// API bearer tokens from `/api/v1/auth/token` live this long.
    pub api_token_ttl: Duration,
    /// Requests each robot token may make per minute, on average...
    pub robot_per_minute: u32,
    /// ... and at most this many at once after a pause.
    pub robot_burst: u32,
    /// Failed logins of one username within `login_window` before further
    /// attempts are refused until the window ends.
    pub login_max_failures: i64,
    pub login_window: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_absolute: Duration::from_secs(12 * 3600),
            session_idle: Duration::from_secs(2 * 3600),
            api_token_ttl: Duration::from_secs(8 * 3600),
            // "Runs gently": one request a second on average, 20 at once.
            robot_per_minute: 60,
            robot_burst: 20,
            login_max_failures: 5,
            login_window: Duration::from_secs(15 * 60),
        }
    }
}
