//! AWS adapters: DynamoDB, S3, SESv2, KMS.
//!
//! Each adapter wraps one SDK client. `build_ports` wires them from
//! [`AwsConfig`]; the `create_*` helpers make the resources in an emulator
//! (moto) for tests and development — production resources come from the SAM
//! template.

mod config;
mod dynamo;
mod kms;
mod s3;
mod ses;

pub use config::{AwsConfig, ConfigError, build_ports, emulator_sdk_config, env, load_sdk_config};
pub use dynamo::DynamoStore;
pub use kms::{KmsKeyIds, KmsKeys};
pub use s3::S3Blobs;
pub use ses::SesMailer;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// A short description of an SDK failure for logs and `Unavailable` errors:
/// the service's error code and message, or the transport failure. Requests
/// are never echoed, so no payload ends up here.
fn describe<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err.code() {
        Some(code) => format!("{code}: {}", err.message().unwrap_or("")),
        None => DisplayErrorContext(err).to_string(),
    }
}
