//! The Udrul portal: web pages for people, `/api/v1` for robots, `/scim/v2`
//! for identity providers.
//!
//! Request path: route (`web::router`, `api::router`) → extractors in `auth`
//! (who is asking, for which member; CSRF in `csrf`) → a rule in
//! `udrul_core` → `Store` → an askama template or JSON. Errors go through
//! `error` (HTML pages) and `api::problem` (RFC 9457 problem details).

pub mod api;
pub mod auth;
pub mod cli;
pub mod client;
pub mod config;
pub mod csrf;
pub mod demo;
pub mod error;
pub mod export;
pub mod heavy;
pub mod i18n;
pub mod import;
pub mod limits;
pub mod login_guard;
pub mod markdown;
pub mod oidc;
#[cfg_attr(not(feature = "saml"), path = "saml_off.rs")]
pub mod saml;
pub mod scim;
pub mod serve;
pub mod server;
pub mod state;
pub mod web;

pub use server::router;
pub use state::AppState;
