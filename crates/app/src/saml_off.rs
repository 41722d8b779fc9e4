//! A build without the `saml` feature: the SAML routes exist (so the
//! router and its access tests are the same in every build) but answer 404,
//! and a configuration that names a SAML identity provider stops the app at
//! start with a clear message instead of being ignored.

use std::sync::Arc;

use crate::config::Config;
use crate::error::{AppError, AppResult};

pub const METADATA_PATH: &str = "/login/saml/metadata";
pub const ACS_PATH: &str = "/login/saml/acs";

pub struct Saml;

impl Saml {
    pub fn new(config: &Config) -> anyhow::Result<Arc<Saml>> {
        anyhow::ensure!(
            config.saml.is_empty() && config.saml_sp.key_pem.is_none(),
            "the identity provider file configures SAML, but this build of udrul has no \
             SAML support: build it with `--features saml` (see the README)"
        );
        Ok(Arc::new(Saml))
    }

    pub fn buttons(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}

pub async fn metadata() -> AppResult<()> {
    Err(AppError::NotFound)
}

pub async fn start() -> AppResult<()> {
    Err(AppError::NotFound)
}

pub async fn acs() -> AppResult<()> {
    Err(AppError::NotFound)
}
