//! Settings of the AWS adapters, read once from the environment at cold start.

use std::sync::Arc;

use aws_config::{BehaviorVersion, Region, SdkConfig};

use super::{DynamoStore, KmsKeyIds, KmsKeys, S3Blobs, SesMailer};
use crate::ports::{OsRng, Ports, SystemClock};

/// Names of the environment variables, shared with `infra/template.yaml`.
pub mod env {
    pub const TABLE: &str = "HIMS_TABLE";
    pub const BUCKET: &str = "HIMS_BUCKET";
    pub const CA_KEY_ID: &str = "HIMS_CA_KEY_ID";
    pub const TSA_KEY_ID: &str = "HIMS_TSA_KEY_ID";
    pub const DATA_KEY_ID: &str = "HIMS_DATA_KEY_ID";
    pub const MAC_KEY_ID: &str = "HIMS_MAC_KEY_ID";
    pub const MAIL_FROM: &str = "HIMS_MAIL_FROM";
    /// Optional: the SES configuration set whose event destination feeds `ses-events`.
    pub const SES_CONFIG_SET: &str = "HIMS_SES_CONFIG_SET";
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
}

/// Where the adapters find their resources. The endpoint (moto, LocalStack) is
/// not here: the SDK honours `AWS_ENDPOINT_URL` itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsConfig {
    pub table: String,
    pub bucket: String,
    pub keys: KmsKeyIds,
    pub mail_from: String,
    pub ses_config_set: Option<String>,
}

impl AwsConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let required = |name: &'static str| {
            lookup(name)
                .filter(|v| !v.is_empty())
                .ok_or(ConfigError::Missing(name))
        };
        Ok(Self {
            table: required(env::TABLE)?,
            bucket: required(env::BUCKET)?,
            keys: KmsKeyIds {
                ca: required(env::CA_KEY_ID)?,
                tsa: required(env::TSA_KEY_ID)?,
                data: required(env::DATA_KEY_ID)?,
                mac: required(env::MAC_KEY_ID)?,
            },
            mail_from: required(env::MAIL_FROM)?,
            ses_config_set: lookup(env::SES_CONFIG_SET).filter(|v| !v.is_empty()),
        })
    }
}

/// The SDK configuration from the usual chain (Lambda role, `AWS_REGION`,
/// `AWS_ENDPOINT_URL`, …).
pub async fn load_sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// An SDK configuration for a local emulator (moto) at `endpoint`: region
/// us-east-1 and dummy credentials. For tests and development only.
pub async fn emulator_sdk_config(endpoint: &str) -> SdkConfig {
    let credentials =
        aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "hims-emulator");
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(credentials)
        .load()
        .await
}

/// Builds every port on AWS from one SDK configuration.
pub fn build_ports(sdk: &SdkConfig, config: &AwsConfig) -> Ports {
    Ports {
        store: Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(sdk),
            &config.table,
        )),
        blobs: Arc::new(S3Blobs::new(S3Blobs::client(sdk), &config.bucket)),
        mailer: Arc::new(SesMailer::new(
            aws_sdk_sesv2::Client::new(sdk),
            &config.mail_from,
            config.ses_config_set.clone(),
        )),
        keys: Arc::new(KmsKeys::new(
            aws_sdk_kms::Client::new(sdk),
            config.keys.clone(),
        )),
        clock: Arc::new(SystemClock),
        rng: Arc::new(OsRng),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn full() -> HashMap<&'static str, String> {
        [
            (env::TABLE, "t"),
            (env::BUCKET, "b"),
            (env::CA_KEY_ID, "ca"),
            (env::TSA_KEY_ID, "tsa"),
            (env::DATA_KEY_ID, "data"),
            (env::MAC_KEY_ID, "mac"),
            (env::MAIL_FROM, "esign@example.com"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_owned()))
        .collect()
    }

    #[test]
    fn reads_every_setting_and_treats_the_config_set_as_optional() {
        let mut vars = full();
        let config = AwsConfig::from_lookup(|n| vars.get(n).cloned()).unwrap();
        assert_eq!(
            config.keys,
            KmsKeyIds {
                ca: "ca".into(),
                tsa: "tsa".into(),
                data: "data".into(),
                mac: "mac".into()
            }
        );
        assert_eq!((config.table.as_str(), config.ses_config_set), ("t", None));
        vars.insert(env::SES_CONFIG_SET, "events".into());
        let config = AwsConfig::from_lookup(|n| vars.get(n).cloned()).unwrap();
        assert_eq!(config.ses_config_set.as_deref(), Some("events"));
    }

    #[test]
    fn names_the_missing_or_empty_variable() {
        for name in [env::TABLE, env::MAC_KEY_ID, env::MAIL_FROM] {
            let mut vars = full();
            vars.insert(name, String::new());
            let err = AwsConfig::from_lookup(|n| vars.get(n).cloned()).unwrap_err();
            assert!(matches!(err, ConfigError::Missing(n) if n == name));
            vars.remove(name);
            assert!(AwsConfig::from_lookup(|n| vars.get(n).cloned()).is_err());
        }
    }
}
