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
    /// Password attempts one client address may make per minute, across
    /// all usernames (against spraying), on average...
    pub login_source_per_minute: u32,
    /// ... and at most this many at once: generous, so that an office
    /// behind one NAT address is not locked out at nine o'clock.
    pub login_source_burst: u32,
    /// Peers whose `X-Forwarded-For` is believed (the reverse proxies).
    /// Empty: the TCP peer is the client, whatever the header says.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// A request's header must arrive within this long of its first byte.
    pub header_timeout: Duration,
    /// A request body may pause this long between pieces...
    pub body_timeout: Duration,
    /// ... and must have arrived whole this long after its header.
    pub body_deadline: Duration,
    /// A connection with no request in progress and no traffic is closed
    /// after this long (keep-alive, or a connection that never speaks).
    pub idle_timeout: Duration,
    /// The address people reach the portal at (`https://udrul.example`),
    /// for the redirect URLs identity providers send browsers back to.
    /// Unset: taken from the request's Host header (demo and tests).
    pub public_url: Option<String>,
    /// OpenID Connect providers people may log in with.
    pub oidc: Vec<OidcProvider>,
    /// SAML 2.0 identity providers people may log in with...
    pub saml: Vec<SamlProvider>,
    /// ... and who Udrul is to them.
    pub saml_sp: SamlSp,
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
///
/// [saml_sp]                            # optional: who Udrul is to SAML identity providers
/// entity_id = "https://udrul.example/login/saml/metadata"  # the default: this URL
/// key_file = "/etc/udrul/saml.key"     # PEM; signs AuthnRequests (OIOSAML 3 wants them signed)
/// certificate_file = "/etc/udrul/saml.crt"  # PEM; published in the metadata
///
/// [[saml]]
/// id = "kombit"                        # in URLs: /login/saml/kombit
/// name = "Log ind via KOMBIT"          # the button
/// idp_metadata = "https://idp.example/metadata"  # a URL or a file
/// member = "851"                       # optional: only this member's people log in here
/// member_attribute = "https://data.gov.dk/model/core/eid/professional/cvr"  # the default
/// members = { "11223344" = "851" }     # optional: attribute value -> member code
/// required_loa = "Substantial"         # optional: Low, Substantial or High (NSIS)
/// ```
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdpFile {
    #[serde(default)]
    pub oidc: Vec<OidcProvider>,
    #[serde(default)]
    pub saml: Vec<SamlProvider>,
    #[serde(default)]
    pub saml_sp: SamlSp,
}

/// The service provider side of SAML.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamlSp {
    #[serde(default)]
    pub entity_id: Option<String>,
    #[serde(default)]
    pub key_file: Option<std::path::PathBuf>,
    #[serde(default)]
    pub certificate_file: Option<std::path::PathBuf>,
    /// Read from `key_file` and `certificate_file` when the file is loaded.
    #[serde(skip)]
    pub key_pem: Option<String>,
    #[serde(skip)]
    pub certificate_pem: Option<String>,
}

/// An NSIS level of assurance, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize)]
pub enum Loa {
    Low,
    Substantial,
    High,
}

impl Loa {
    /// `Substantial`, or its URI `https://data.gov.dk/concept/core/nsis/loa/Substantial`.
    pub fn parse(value: &str) -> Option<Loa> {
        match value.trim().rsplit('/').next()? {
            "Low" => Some(Loa::Low),
            "Substantial" => Some(Loa::Substantial),
            "High" => Some(Loa::High),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Loa::Low => "Low",
            Loa::Substantial => "Substantial",
            Loa::High => "High",
        }
    }
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamlProvider {
    pub id: String,
    pub name: String,
    /// Where the identity provider's metadata is: an http(s) URL, fetched on
    /// first use, or a file, read when the configuration is loaded.
    pub idp_metadata: String,
    /// The metadata itself, when `idp_metadata` is a file (or in tests).
    #[serde(skip)]
    pub idp_metadata_xml: Option<String>,
    #[serde(default)]
    pub member: Option<String>,
    #[serde(default = "default_member_attribute")]
    pub member_attribute: String,
    #[serde(default)]
    pub members: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub required_loa: Option<Loa>,
}

fn default_member_attribute() -> String {
    "https://data.gov.dk/model/core/eid/professional/cvr".into()
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
        let ids = file
            .oidc
            .iter()
            .map(|p| &p.id)
            .chain(file.saml.iter().map(|p| &p.id));
        for id in ids {
            anyhow::ensure!(
                !id.is_empty()
                    && id.len() <= 40
                    && id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "identity provider id {id:?}: use a-z, 0-9 and -"
            );
            // The SAML service provider's own pages live beside the providers.
            anyhow::ensure!(
                !["metadata", "acs"].contains(&id.as_str()),
                "identity provider id {id:?} is taken by the SAML service provider"
            );
            anyhow::ensure!(seen.insert(id.clone()), "identity provider id {id:?} twice");
        }
        let read = |what: &str, path: &std::path::Path| {
            std::fs::read_to_string(path)
                .with_context(|| format!("{what}: reading {}", path.display()))
        };
        for p in &mut file.saml {
            if !p.idp_metadata.starts_with("https://") && !p.idp_metadata.starts_with("http://") {
                p.idp_metadata_xml = Some(read(&p.id, std::path::Path::new(&p.idp_metadata))?);
            }
        }
        let sp = &mut file.saml_sp;
        anyhow::ensure!(
            sp.key_file.is_some() == sp.certificate_file.is_some(),
            "saml_sp: set key_file and certificate_file together"
        );
        if let (Some(k), Some(c)) = (&sp.key_file, &sp.certificate_file) {
            sp.key_pem = Some(read("saml_sp", k)?);
            sp.certificate_pem = Some(read("saml_sp", c)?);
        }
        for p in &mut file.oidc {
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
            login_source_per_minute: 60,
            login_source_burst: 300,
            trusted_proxies: Vec::new(),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            body_deadline: Duration::from_secs(300),
            idle_timeout: Duration::from_secs(60),
            public_url: None,
            oidc: Vec::new(),
            saml: Vec::new(),
            saml_sp: SamlSp::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(toml: &str) -> anyhow::Result<IdpFile> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("idp.xml"), "<metadata/>").unwrap();
        std::fs::write(dir.path().join("sp.key"), "KEY").unwrap();
        std::fs::write(dir.path().join("sp.crt"), "CERT").unwrap();
        let toml = toml.replace("DIR", &dir.path().display().to_string());
        let path = dir.path().join("idps.toml");
        std::fs::write(&path, toml).unwrap();
        IdpFile::load(&path)
    }

    #[test]
    fn saml_providers_load_with_their_files() {
        let file = load(
            r#"
            [saml_sp]
            key_file = "DIR/sp.key"
            certificate_file = "DIR/sp.crt"

            [[saml]]
            id = "kombit"
            name = "KOMBIT"
            idp_metadata = "DIR/idp.xml"
            members = { "11223344" = "851" }
            required_loa = "Substantial"

            [[saml]]
            id = "remote"
            name = "Remote"
            idp_metadata = "https://idp.example/metadata"
            member = "101"
            "#,
        )
        .unwrap();
        assert_eq!(file.saml_sp.key_pem.as_deref(), Some("KEY"));
        assert_eq!(file.saml_sp.certificate_pem.as_deref(), Some("CERT"));
        let [kombit, remote] = &file.saml[..] else {
            panic!("two providers")
        };
        // A file is read at load; a URL is left for first use.
        assert_eq!(kombit.idp_metadata_xml.as_deref(), Some("<metadata/>"));
        assert_eq!(
            kombit.member_attribute,
            "https://data.gov.dk/model/core/eid/professional/cvr"
        );
        assert_eq!(
            kombit.members.get("11223344").map(String::as_str),
            Some("851")
        );
        assert_eq!(kombit.required_loa, Some(Loa::Substantial));
        assert!(remote.idp_metadata_xml.is_none());
    }

    #[test]
    fn bad_identity_provider_files_are_refused() {
        let saml = |id: &str| {
            format!(
                "[[saml]]\nid = \"{id}\"\nname = \"x\"\nidp_metadata = \"https://idp.example/m\"\n"
            )
        };
        let oidc =
            "[[oidc]]\nid = \"kombit\"\nname = \"x\"\nissuer = \"https://i\"\nclient_id = \"c\"\n";
        for (toml, why) in [
            (saml("metadata"), "taken by the SAML service provider"),
            (saml("acs"), "taken by the SAML service provider"),
            (saml("Kombit"), "use a-z"),
            (format!("{}{oidc}", saml("kombit")), "twice"),
            (
                format!("{}required_loa = \"Medium\"\n", saml("k")),
                "Medium",
            ),
            (
                "[[saml]]\nid = \"k\"\nname = \"x\"\nidp_metadata = \"DIR/missing.xml\"\n".into(),
                "missing.xml",
            ),
            (
                "[saml_sp]\nkey_file = \"DIR/sp.key\"\n".into(),
                "key_file and certificate_file together",
            ),
        ] {
            let err = format!("{:#}", load(&toml).expect_err(&toml));
            assert!(err.contains(why), "{why}: {err}");
        }
    }
}
