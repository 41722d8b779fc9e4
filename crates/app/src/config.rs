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
    /// The address people reach the portal at (`https://udrul.example`),
    /// for the redirect URLs identity providers send browsers back to.
    /// Unset: taken from the request's Host header (demo and tests).
    pub public_url: Option<String>,
    /// OpenID Connect providers people may log in with.
    pub oidc: Vec<OidcProvider>,
}

/// The identity provider file (`--idp-config`, TOML):
///
/// ```toml
/// [[oidc]]
/// id = "kommune"                       # in URLs: /login/oidc/kommune
/// name = "Log ind med kommunens login" # the button
/// issuer = "https://idp.example"       # discovery: <issuer>/.well-known/openid-configuration
/// client_id = "udrul"
/// client_secret_env = "UDRUL_OIDC_KOMMUNE_SECRET"  # optional; the secret is read from here
/// member = "851"                       # optional: only this member's people log in here
/// member_claim = "organisation"        # else: the claim naming the member's code
/// required_acr = ["https://data.gov.dk/concept/core/nsis/loa/Substantial"]  # optional
/// ```
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdpFile {
    #[serde(default)]
    pub oidc: Vec<OidcProvider>,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcProvider {
    pub id: String,
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// Read from `client_secret_env` when the file is loaded; never in the file.
    #[serde(skip)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub member: Option<String>,
    #[serde(default = "default_member_claim")]
    pub member_claim: String,
    #[serde(default)]
    pub required_acr: Vec<String>,
}

fn default_member_claim() -> String {
    "organisation".into()
}

impl IdpFile {
    /// Reads and checks the file; secrets come from the environment.
    pub fn load(path: &std::path::Path) -> anyhow::Result<IdpFile> {
        use anyhow::Context;
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut file: IdpFile =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let mut seen = std::collections::HashSet::new();
        for p in &mut file.oidc {
            anyhow::ensure!(
                !p.id.is_empty()
                    && p.id.len() <= 40
                    && p.id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "identity provider id {:?}: use a-z, 0-9 and -",
                p.id
            );
            anyhow::ensure!(
                seen.insert(p.id.clone()),
                "identity provider id {:?} twice",
                p.id
            );
            if let Some(var) = &p.client_secret_env {
                p.client_secret =
                    Some(std::env::var(var).with_context(|| format!("{}: set {var}", p.id))?);
            }
        }
        Ok(file)
    }
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
            public_url: None,
            oidc: Vec::new(),
        }
    }
}
