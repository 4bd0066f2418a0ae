//! Drives signing ceremonies over HTTP against a running `hims serve`
//! (scripts/load.sh starts one), measures the Argon2 floor of the PIN
//! parameters on this machine, and counts the expiry sweep's reads at scale.
//! Figures are printed as `key value` lines for the scripts.

pub mod bombs;
pub mod ceremony;
pub mod floor;
mod http;
mod stats;
pub mod sweep;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}: {1}")]
    Http(&'static str, reqwest::Error),
    #[error("{label} answered {status}: {body}")]
    Status {
        label: &'static str,
        status: reqwest::StatusCode,
        body: String,
    },
    #[error("timed out waiting for {0}")]
    Timeout(String),
    #[error("check failed: {0}")]
    Check(String),
    #[error("{0}")]
    Setup(String),
}
