//! Settings read once at start, from the environment (Lambda) or from the
//! `hims` command line (which fills the same struct).

use std::time::Duration;

/// What the use cases need to know about their deployment.
#[derive(Clone)]
pub struct Settings {
    /// Public base URL of this service, used in emailed links, the QR code
    /// and the certificate's CRL distribution point (no trailing slash).
    pub public_url: String,
    /// Bearer token the HIMS portal presents (compared in constant time).
    pub portal_token: Secret,
    /// Shared secret of the eKYC provider's webhook.
    pub ekyc_secret: Secret,
    /// Where state changes are POSTed for the portal, and its secret.
    pub portal_webhook_url: Option<String>,
    pub portal_webhook_secret: Secret,
    /// How far the eKYC webhook's timestamp may be from our clock.
    pub webhook_tolerance: Duration,
    /// Largest accepted request body (PDFs come base64 in JSON).
    pub max_body_bytes: usize,
    /// Reminder offsets before each deadline.
    pub reminder_before: Vec<chrono::Duration>,
    /// An outside RFC 3161 TSA to timestamp with instead of our own
    /// (`HIMS_TSA_URL`), and the bearer token it wants (`HIMS_TSA_TOKEN`).
    pub tsa_url: Option<String>,
    pub tsa_token: Option<Secret>,
}

impl Settings {
    /// Settings for tests and the local demo; secrets are given.
    pub fn local(public_url: &str, portal_token: &str, ekyc_secret: &str) -> Self {
        Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
            portal_token: Secret::new(portal_token),
            ekyc_secret: Secret::new(ekyc_secret),
            portal_webhook_url: None,
            portal_webhook_secret: Secret::new(""),
            webhook_tolerance: Duration::from_secs(300),
            max_body_bytes: 28 * 1024 * 1024,
            reminder_before: vec![chrono::Duration::hours(24)],
            tsa_url: None,
            tsa_token: None,
        }
    }

    /// Reads the environment (as in Lambda). Missing secrets are an error:
    /// a function must never start with a guessable secret.
    pub fn from_env() -> Result<Self, ConfigError> {
        let need = |name: &'static str| std::env::var(name).map_err(|_| ConfigError::Missing(name));
        let mut s = Self::local(
            &need("HIMS_PUBLIC_URL")?,
            &need("HIMS_PORTAL_TOKEN")?,
            &need("HIMS_EKYC_SECRET")?,
        );
        s.portal_webhook_url = std::env::var("HIMS_PORTAL_WEBHOOK_URL")
            .ok()
            .filter(|u| !u.is_empty());
        if s.portal_webhook_url.is_some() {
            s.portal_webhook_secret = Secret::new(&need("HIMS_PORTAL_WEBHOOK_SECRET")?);
        }
        s.tsa_url = std::env::var("HIMS_TSA_URL").ok().filter(|u| !u.is_empty());
        s.tsa_token = std::env::var("HIMS_TSA_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())
            .map(|t| Secret::new(&t));
        if let Ok(hours) = std::env::var("HIMS_REMINDER_HOURS") {
            s.reminder_before = hours
                .split(',')
                .map(|h| h.trim().parse::<i64>().map(chrono::Duration::hours))
                .collect::<Result<_, _>>()
                .map_err(|_| ConfigError::Invalid("HIMS_REMINDER_HOURS"))?;
        }
        Ok(s)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {0} is not valid")]
    Invalid(&'static str),
}

/// A secret string that never prints.
#[derive(Clone)]
pub struct Secret(zeroize::Zeroizing<String>);

impl Secret {
    pub fn new(s: &str) -> Self {
        Self(zeroize::Zeroizing::new(s.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison.
    pub fn matches(&self, candidate: &[u8]) -> bool {
        use subtle::ConstantTimeEq;
        self.0.as_bytes().ct_eq(candidate).into()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}
