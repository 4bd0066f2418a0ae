//! Implementations of the ports.

#[cfg(feature = "aws")]
pub mod aws;
pub mod faulty;
#[cfg(feature = "local")]
pub mod local;
pub mod tsa_client;
pub mod webhook;
