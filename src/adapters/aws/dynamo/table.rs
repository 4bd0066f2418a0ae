//! Creating the table, for tests and development. Production creates it from
//! `infra/template.yaml` with the same keys and indexes.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};

use super::DynamoStore;
use super::codec::{DUE_INDEX, DUE_PK, DUE_SK, LOOKUP_INDEX, LOOKUP_PK, LOOKUP_SK, PK, SK, TTL};
use crate::adapters::aws::describe;
use crate::ports::StoreError;

fn unavailable(e: impl ToString) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn key_schema(partition: &str, sort: &str) -> Result<Vec<KeySchemaElement>, StoreError> {
    [(partition, KeyType::Hash), (sort, KeyType::Range)]
        .into_iter()
        .map(|(name, kind)| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .map_err(unavailable)
        })
        .collect()
}

fn index(name: &str, partition: &str, sort: &str) -> Result<GlobalSecondaryIndex, StoreError> {
    GlobalSecondaryIndex::builder()
        .index_name(name)
        .set_key_schema(Some(key_schema(partition, sort)?))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .map_err(unavailable)
}

impl DynamoStore {
    /// Creates the table (on-demand, stream of new and old images, TTL on
    /// `ttl`) with the `by_due` and `by_lookup` indexes.
    pub async fn create_table(client: &Client, name: &str) -> Result<(), StoreError> {
        let attributes = [PK, SK, DUE_PK, DUE_SK, LOOKUP_PK, LOOKUP_SK]
            .into_iter()
            .map(|a| {
                AttributeDefinition::builder()
                    .attribute_name(a)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(unavailable)
            })
            .collect::<Result<Vec<_>, _>>()?;
        client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(attributes))
            .set_key_schema(Some(key_schema(PK, SK)?))
            .global_secondary_indexes(index(DUE_INDEX, DUE_PK, DUE_SK)?)
            .global_secondary_indexes(index(LOOKUP_INDEX, LOOKUP_PK, LOOKUP_SK)?)
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewImage)
                    .build()
                    .map_err(unavailable)?,
            )
            .send()
            .await
            .map_err(|e| unavailable(describe(&e)))?;
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(TTL)
                    .build()
                    .map_err(unavailable)?,
            )
            .send()
            .await
            .map_err(|e| unavailable(describe(&e)))?;
        Ok(())
    }
}
