//! Reading whole result sets from the store: every page of a query, and what
//! the due index holds up to a time (the sweep's and the outbox's work lists).

use chrono::{DateTime, Utc};

use super::layout;
use crate::error::AppResult;
use crate::ports::{Index, Item, Query, SortRange, Store};

/// Everything due by `now` in one partition of the due index, every page of it.
/// The due index only holds what needs work soon, so this stays small.
pub async fn due_items(
    store: &dyn Store,
    partition: &str,
    now: DateTime<Utc>,
) -> AppResult<Vec<Item>> {
    let query = Query {
        pk: partition.to_owned(),
        range: SortRange::Between {
            from: String::new(),
            to: layout::due_until(now),
        },
        limit: 100,
        descending: false,
        cursor: None,
    };
    all_pages(store, Some(Index::Due), query).await
}

pub(super) async fn all_pages(
    store: &dyn Store,
    index: Option<Index>,
    mut query: Query,
) -> AppResult<Vec<Item>> {
    let mut items = Vec::new();
    loop {
        let page = match index {
            Some(index) => store.query_index(index, &query).await?,
            None => store.query(&query).await?,
        };
        items.extend(page.items);
        match page.next {
            Some(next) => query.cursor = Some(next),
            None => return Ok(items),
        }
    }
}
