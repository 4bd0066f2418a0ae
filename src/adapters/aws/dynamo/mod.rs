//! `Store` on one DynamoDB table. See `infra/README.md` for the key design and
//! `codec` for the attribute layout.

mod codec;
mod table;

use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, TransactWriteItem, Update};

use self::codec::{Attributes, Placeholders};
use super::describe;
use crate::ports::{Condition, Index, Item, Page, Query, SortRange, Store, StoreError, Write};

const MAX_TRANSACTION_WRITES: usize = 100;

pub struct DynamoStore {
    client: Client,
    table: String,
    items_read: AtomicU64,
}

/// One write in the form DynamoDB takes it, before it becomes a plain call or
/// a transaction item.
struct Prepared {
    kind: Kind,
    key: Attributes,
    condition: Option<String>,
    names: Option<std::collections::HashMap<String, String>>,
    values: Option<Attributes>,
}

enum Kind {
    Update(String),
    Delete,
    Check,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            items_read: AtomicU64::new(0),
        }
    }

    fn prepare(write: Write) -> Result<Prepared, StoreError> {
        let mut p = Placeholders::default();
        let (kind, key, condition) = match write {
            Write::Put { item, condition } => {
                let update = codec::put_update_expression(&item, &mut p)?;
                (
                    Kind::Update(update),
                    item.key,
                    codec::condition_expression(&condition, &mut p),
                )
            }
            Write::Delete { key, condition } => (
                Kind::Delete,
                key,
                codec::condition_expression(&condition, &mut p),
            ),
            Write::Check { key, condition } => (
                Kind::Check,
                key,
                codec::condition_expression(&condition, &mut p),
            ),
            Write::Increment {
                key,
                counter,
                by,
                below,
            } => {
                let (update, condition) = codec::increment_expressions(&counter, by, below, &mut p);
                (Kind::Update(update), key, Some(condition))
            }
        };
        let (names, values) = p.into_maps();
        Ok(Prepared {
            kind,
            key: codec::key_attributes_of(&key),
            condition,
            names,
            values,
        })
    }

    /// One write as the plain call: cheaper than a transaction of one.
    async fn write_one(&self, write: Prepared) -> Result<(), StoreError> {
        match write.kind {
            Kind::Update(update) => self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(write.key))
                .update_expression(update)
                .set_condition_expression(write.condition)
                .set_expression_attribute_names(write.names)
                .set_expression_attribute_values(write.values)
                .send()
                .await
                .map(drop)
                .map_err(|e| single_write_error(&e)),
            Kind::Delete => self
                .client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(write.key))
                .set_condition_expression(write.condition)
                .set_expression_attribute_names(write.names)
                .set_expression_attribute_values(write.values)
                .send()
                .await
                .map(drop)
                .map_err(|e| single_write_error(&e)),
            // A lone check has no plain call; `transact` routes it there.
            Kind::Check => Err(StoreError::Unavailable(
                "a lone check is not a plain write".to_owned(),
            )),
        }
    }

    fn transact_item(&self, write: Prepared) -> Result<TransactWriteItem, StoreError> {
        let built = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Unavailable(e.to_string());
        let item = TransactWriteItem::builder();
        let item = match write.kind {
            Kind::Update(update) => item.update(
                Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(write.key))
                    .update_expression(update)
                    .set_condition_expression(write.condition)
                    .set_expression_attribute_names(write.names)
                    .set_expression_attribute_values(write.values)
                    .build()
                    .map_err(built)?,
            ),
            Kind::Delete => item.delete(
                Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(write.key))
                    .set_condition_expression(write.condition)
                    .set_expression_attribute_names(write.names)
                    .set_expression_attribute_values(write.values)
                    .build()
                    .map_err(built)?,
            ),
            Kind::Check => item.condition_check(
                ConditionCheck::builder()
                    .table_name(&self.table)
                    .set_key(Some(write.key))
                    .set_condition_expression(write.condition)
                    .set_expression_attribute_names(write.names)
                    .set_expression_attribute_values(write.values)
                    .build()
                    .map_err(built)?,
            ),
        };
        Ok(item.build())
    }

    async fn run_query(&self, index: Option<Index>, query: &Query) -> Result<Page, StoreError> {
        let (pk_attr, sk_attr) = codec::key_attributes(index);
        let mut p = Placeholders::default();
        let partition = format!(
            "{} = {}",
            p.name(pk_attr),
            p.value(AttributeValue::S(query.pk.clone()))
        );
        // DynamoDB's BETWEEN includes `to`; the port's range excludes it, so
        // one more item is asked for and `to` itself dropped below.
        let (key_condition, upper) = match &query.range {
            SortRange::Prefix(prefix) if prefix.is_empty() => (partition, None),
            SortRange::Prefix(prefix) => {
                let sk = p.name(sk_attr);
                (
                    format!(
                        "{partition} AND begins_with({sk}, {})",
                        p.value(AttributeValue::S(prefix.clone()))
                    ),
                    None,
                )
            }
            SortRange::Between { from, to } if from >= to => return Ok(Page::default()),
            // DynamoDB takes no empty key values, and from "" the range is just `< to`.
            SortRange::Between { from, to } if from.is_empty() => {
                let sk = p.name(sk_attr);
                (
                    format!(
                        "{partition} AND {sk} < {}",
                        p.value(AttributeValue::S(to.clone()))
                    ),
                    None,
                )
            }
            SortRange::Between { from, to } => {
                let sk = p.name(sk_attr);
                let (from_v, to_v) = (
                    p.value(AttributeValue::S(from.clone())),
                    p.value(AttributeValue::S(to.clone())),
                );
                (
                    format!("{partition} AND {sk} BETWEEN {from_v} AND {to_v}"),
                    Some(to.as_str()),
                )
            }
        };
        let (names, values) = p.into_maps();
        let mut start = query
            .cursor
            .as_deref()
            .map(|c| codec::decode_cursor(c, index))
            .transpose()?;
        // One item beyond the limit tells whether another page exists.
        let wanted = query.limit.saturating_add(1);
        let mut kept: Vec<Attributes> = Vec::new();
        loop {
            let ask = wanted - kept.len() + usize::from(upper.is_some());
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(|i| codec::index_name(i).to_owned()))
                .set_consistent_read(index.is_none().then_some(true))
                .key_condition_expression(&key_condition)
                .set_expression_attribute_names(names.clone())
                .set_expression_attribute_values(values.clone())
                .scan_index_forward(!query.descending)
                .limit(i32::try_from(ask).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| StoreError::Unavailable(describe(&e)))?;
            let below_upper = |attrs: &Attributes| match (upper, attrs.get(sk_attr)) {
                (Some(to), Some(AttributeValue::S(sk))) => sk.as_str() < to,
                _ => true,
            };
            kept.extend(
                output
                    .items
                    .unwrap_or_default()
                    .into_iter()
                    .filter(below_upper),
            );
            start = output.last_evaluated_key;
            if kept.len() >= wanted || start.is_none() {
                break;
            }
        }
        let next = if kept.len() > query.limit {
            kept.truncate(query.limit);
            kept.last()
                .map(|last| codec::encode_cursor(last, index))
                .transpose()?
        } else {
            None
        };
        let items = kept
            .iter()
            .map(codec::decode_item)
            .collect::<Result<Vec<_>, _>>()?;
        self.items_read
            .fetch_add(items.len() as u64, Ordering::Relaxed);
        Ok(Page { items, next })
    }
}

/// DynamoDB refuses these too, but only after a round trip and with a
/// generic validation error; the port's limits are checked here first.
fn check_transaction_shape(writes: &[Write]) -> Result<(), StoreError> {
    if writes.len() > MAX_TRANSACTION_WRITES {
        return Err(StoreError::Invalid(format!(
            "a transaction takes at most {MAX_TRANSACTION_WRITES} writes"
        )));
    }
    let mut keys: Vec<&crate::ports::Key> = writes.iter().map(write_key).collect();
    keys.sort_unstable();
    if keys.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err(StoreError::Invalid(
            "a transaction writes one key twice".to_owned(),
        ));
    }
    Ok(())
}

fn write_key(write: &Write) -> &crate::ports::Key {
    match write {
        Write::Put { item, .. } => &item.key,
        Write::Delete { key, .. } | Write::Check { key, .. } | Write::Increment { key, .. } => key,
    }
}

fn single_write_error<E, R>(err: &aws_sdk_dynamodb::error::SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err.code() {
        Some("ConditionalCheckFailedException") => StoreError::ConditionFailed { index: Some(0) },
        Some("TransactionConflictException") => StoreError::Conflict,
        // DynamoDB refuses what it cannot do as asked (an item over 400 KB, a
        // key range upside down): retrying will not help.
        Some("ValidationException") => StoreError::Invalid(describe(err)),
        _ => StoreError::Unavailable(describe(err)),
    }
}

/// Maps a cancelled transaction to the port's errors; `positions[i]` is the
/// caller's index of the i-th item sent.
fn transaction_error(
    err: &aws_sdk_dynamodb::error::SdkError<TransactWriteItemsError, impl std::fmt::Debug>,
    positions: &[usize],
) -> StoreError {
    let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
        err.as_service_error()
    else {
        return single_write_error(err);
    };
    let reasons = cancelled.cancellation_reasons();
    let code_at = |i: usize| reasons.get(i).and_then(|r| r.code());
    if let Some(i) = (0..reasons.len()).find(|&i| code_at(i) == Some("ConditionalCheckFailed")) {
        return StoreError::ConditionFailed {
            index: positions.get(i).copied(),
        };
    }
    if (0..reasons.len()).any(|i| code_at(i) == Some("TransactionConflict")) {
        return StoreError::Conflict;
    }
    StoreError::Unavailable(describe(err))
}

#[async_trait]
impl Store for DynamoStore {
    async fn get(&self, key: &crate::ports::Key) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(codec::key_attributes_of(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::Unavailable(describe(&e)))?;
        let item = output.item.as_ref().map(codec::decode_item).transpose()?;
        self.items_read
            .fetch_add(u64::from(item.is_some()), Ordering::Relaxed);
        Ok(item)
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.run_query(None, query).await
    }

    async fn query_index(&self, index: Index, query: &Query) -> Result<Page, StoreError> {
        self.run_query(Some(index), query).await
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        check_transaction_shape(&writes)?;
        // Checks that always hold need no round trip (and DynamoDB rejects a
        // ConditionCheck without a condition).
        let (positions, writes): (Vec<usize>, Vec<Write>) = writes
            .into_iter()
            .enumerate()
            .filter(|(_, w)| {
                !matches!(
                    w,
                    Write::Check {
                        condition: Condition::None,
                        ..
                    }
                )
            })
            .unzip();
        let mut prepared = writes
            .into_iter()
            .map(Self::prepare)
            .collect::<Result<Vec<_>, _>>()?;
        match prepared.len() {
            0 => return Ok(()),
            1 if !matches!(prepared[0].kind, Kind::Check) => {
                let write = prepared.remove(0);
                return self.write_one(write).await.map_err(|e| match e {
                    StoreError::ConditionFailed { .. } => StoreError::ConditionFailed {
                        index: positions.first().copied(),
                    },
                    other => other,
                });
            }
            _ => {}
        }
        let items = prepared
            .into_iter()
            .map(|w| self.transact_item(w))
            .collect::<Result<Vec<_>, _>>()?;
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map(drop)
            .map_err(|e| transaction_error(&e, &positions))
    }

    fn items_read(&self) -> u64 {
        self.items_read.load(Ordering::Relaxed)
    }
}
