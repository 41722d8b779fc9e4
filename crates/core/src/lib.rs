//! Udrul's domain: the types, the rules and the `Store` trait.
//!
//! This crate knows nothing of HTTP or SQL (CI checks that it does not depend
//! on axum or sqlx). Input is parsed into these types once, at the edge
//! (`input`), so a value that exists here is valid.

pub mod access;
pub mod calendar;
pub mod gallery;
pub mod import;
pub mod input;
pub mod model;
pub mod recipients;
pub mod store;

pub use access::{AccessRole, Actor, Permission, Permissions, Scope, Via};
pub use model::*;
pub use store::{Store, StoreError, StoreResult};
