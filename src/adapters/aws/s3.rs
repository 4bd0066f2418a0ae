//! `Blobs` on an S3 bucket with versioning. A key is written once: the put is
//! conditional (`If-None-Match: *`), and when the key exists the stored bytes
//! decide between a harmless retry (same bytes) and `AlreadyExists`.

use std::time::Duration;

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};

use super::describe;
use crate::ports::{BlobError, Blobs};

pub struct S3Blobs {
    client: Client,
    bucket: String,
}

impl S3Blobs {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    /// The client for `sdk`; path-style addressing when an endpoint override
    /// (an emulator) is configured, since it has no per-bucket host names.
    pub fn client(sdk: &SdkConfig) -> Client {
        let config = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(sdk.endpoint_url().is_some())
            .build();
        Client::from_conf(config)
    }

    /// Creates a versioned bucket, for tests and development.
    pub async fn create_bucket(client: &Client, bucket: &str) -> Result<(), BlobError> {
        client
            .create_bucket()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| BlobError::Unavailable(describe(&e)))?;
        client
            .put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| BlobError::Unavailable(describe(&e)))?;
        Ok(())
    }
}

#[async_trait]
impl Blobs for S3Blobs {
    async fn put(&self, key: &str, bytes: &[u8], content_type: &str) -> Result<(), BlobError> {
        let result = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .if_none_match("*")
            .body(ByteStream::from(bytes.to_vec()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // 412: the key exists; 409: a concurrent conditional put of it.
            Err(e)
                if matches!(
                    e.code(),
                    Some("PreconditionFailed" | "ConditionalRequestConflict")
                ) =>
            {
                if self.get(key).await? == bytes {
                    Ok(())
                } else {
                    Err(BlobError::AlreadyExists)
                }
            }
            Err(e) => Err(BlobError::Unavailable(describe(&e))),
        }
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        let output = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error().is_some_and(|s| s.is_no_such_key()) {
                    BlobError::NotFound
                } else {
                    BlobError::Unavailable(describe(&e))
                }
            })?;
        let body = output
            .body
            .collect()
            .await
            .map_err(|e| BlobError::Unavailable(e.to_string()))?;
        Ok(body.into_bytes().to_vec())
    }

    async fn download_url(
        &self,
        key: &str,
        valid_for_secs: u64,
    ) -> Result<Option<String>, BlobError> {
        let presigning = PresigningConfig::expires_in(Duration::from_secs(valid_for_secs))
            .map_err(|e| BlobError::Unavailable(e.to_string()))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(presigning)
            .await
            .map_err(|e| BlobError::Unavailable(describe(&e)))?;
        Ok(Some(request.uri().to_owned()))
    }
}
