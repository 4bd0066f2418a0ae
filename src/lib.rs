//! hims-esign: the digital-signing back end of HIMS eSPA.
//!
//! Hexagonal: [`domain`] is pure, [`ports`] are the traits the core needs,
//! [`app`] holds one module per use case, [`http`] maps them to axum Routers,
//! and `adapters` plug in the world (embedded locally, AWS in Lambda).

pub use hims_domain as domain;

pub mod adapters;
pub mod app;
pub mod config;
pub mod error;
pub mod example;
pub mod http;
#[cfg(feature = "aws")]
pub mod lambda;
#[cfg(feature = "local")]
pub mod local;
pub mod ports;
#[cfg(feature = "local")]
pub mod serve;
pub mod testing;
