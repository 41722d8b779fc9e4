//! What every handler shares.

use std::sync::Arc;

use udrul_core::Store;

use crate::config::Config;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    /// Key for CSRF tokens (HMAC-SHA256). Kept in the database so every app
    /// instance on it agrees.
    pub csrf_key: Arc<[u8]>,
    /// Rate limits of robot tokens (per app instance).
    pub robot_limits: Arc<crate::limits::RobotLimits>,
    /// Password attempts per client address (per app instance).
    pub login_sources: Arc<crate::limits::SourceLimits>,
    /// The OpenID Connect providers and what was discovered about them.
    pub oidc: Arc<crate::oidc::Oidc>,
    /// The SAML identity providers, their metadata, and the service
    /// provider's key.
    pub saml: Arc<crate::saml::Saml>,
}

impl AppState {
    pub async fn new(store: Arc<dyn Store>, config: Config) -> anyhow::Result<Self> {
        let init: [u8; 32] = rand::random();
        let csrf_key = store.secret("csrf_key", init.to_vec()).await?;
        Ok(Self {
            store,
            oidc: crate::oidc::Oidc::new(&config),
            saml: crate::saml::Saml::new(&config)?,
            robot_limits: Arc::new(crate::limits::RobotLimits::new(
                config.robot_per_minute,
                config.robot_burst,
            )),
            login_sources: Arc::new(crate::limits::SourceLimits::new(
                config.login_source_per_minute,
                config.login_source_burst,
            )),
            config: Arc::new(config),
            csrf_key: csrf_key.into(),
        })
    }
}
