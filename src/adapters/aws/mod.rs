//! AWS adapters: DynamoDB, S3, SESv2, KMS.
