//! [`SqliteStore`]: the `Store` port on one SQLite file.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::{
    Connection, ErrorCode, OptionalExtension, Transaction, TransactionBehavior, params,
};

use crate::ports::{
    Condition, Index, IndexKey, Item, Key, Page, Query, SortRange, Store, StoreError, Write,
};

/// The most writes one transaction may hold (DynamoDB's limit).
const MAX_WRITES: usize = 100;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    due_pk TEXT,
    due_sk TEXT,
    lookup_pk TEXT,
    lookup_sk TEXT,
    expires_at INTEGER,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_due ON items (due_pk, due_sk, pk, sk) WHERE due_pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_lookup ON items (lookup_pk, lookup_sk, pk, sk) WHERE lookup_pk IS NOT NULL;
CREATE TABLE IF NOT EXISTS counters (
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    name TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (pk, sk, name)
) WITHOUT ROWID;
";

const ITEM_COLUMNS: &str =
    "pk, sk, version, data, due_pk, due_sk, lookup_pk, lookup_sk, expires_at";

/// The store on one SQLite database.
///
/// Durability: the database runs in WAL mode with `synchronous=FULL`, so a
/// transaction that `transact` reported as committed is on disk and survives a
/// crash or power loss; a restart loses nothing. Text compares byte-wise
/// (UTF-8), which is DynamoDB's sort order.
///
/// One connection, guarded by a mutex, serves reads and writes; every call runs
/// on tokio's blocking pool so that it never stalls the async runtime.
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    items_read: AtomicU64,
}

impl SqliteStore {
    /// Opens (creating if needed) `<data_dir>/hims.sqlite3`. A new data folder
    /// is made private (0700): the database holds personal data.
    pub fn open_in_dir(data_dir: &Path) -> Result<Self, StoreError> {
        super::files::create_dir(data_dir, 0o700)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Self::open(&data_dir.join("hims.sqlite3"))
    }

    /// Opens (creating if needed) the database file at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(db)?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(db)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Unavailable(format!(
                "SQLite refused WAL mode ({mode})"
            )));
        }
        Self::init(conn)
    }

    /// A private database that lives as long as the store (for tests).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(db)?)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(db)?;
        conn.execute_batch(SCHEMA).map_err(db)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            items_read: AtomicU64::new(0),
        })
    }

    /// Runs `work` on the connection on the blocking pool.
    async fn with_conn<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut conn)
        })
        .await
        .map_err(|_| StoreError::Unavailable("store task failed".into()))?
    }

    async fn run_query(&self, columns: Columns, query: &Query) -> Result<Page, StoreError> {
        let query = query.clone();
        let page = self
            .with_conn(move |conn| select_page(conn, columns, &query))
            .await?;
        self.count_reads(page.items.len());
        Ok(page)
    }

    fn count_reads(&self, n: usize) {
        self.items_read.fetch_add(n as u64, Ordering::Relaxed);
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let key = key.clone();
        let item = self
            .with_conn(move |conn| {
                let sql = format!("SELECT {ITEM_COLUMNS} FROM items WHERE pk = ?1 AND sk = ?2");
                let row = conn
                    .prepare_cached(&sql)
                    .map_err(db)?
                    .query_row(params![key.pk, key.sk], read_row)
                    .optional();
                row.map_err(db)?.map(|row| row.into_item(conn)).transpose()
            })
            .await?;
        self.count_reads(usize::from(item.is_some()));
        Ok(item)
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.run_query(Columns::TABLE, query).await
    }

    async fn query_index(&self, index: Index, query: &Query) -> Result<Page, StoreError> {
        self.run_query(Columns::of(index), query).await
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        validate(&writes)?;
        if writes.is_empty() {
            return Ok(());
        }
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            for (index, write) in writes.iter().enumerate() {
                apply(&tx, index, write)?;
            }
            // Returning early drops `tx`, which rolls everything back.
            tx.commit().map_err(db)
        })
        .await
    }

    fn items_read(&self) -> u64 {
        self.items_read.load(Ordering::Relaxed)
    }
}

fn db(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Conflict,
        _ => StoreError::Unavailable(e.to_string()),
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Unavailable(format!("corrupt stored {what}"))
}

fn validate(writes: &[Write]) -> Result<(), StoreError> {
    if writes.len() > MAX_WRITES {
        return Err(StoreError::Invalid(format!(
            "a transaction holds at most {MAX_WRITES} writes"
        )));
    }
    let mut seen = HashSet::new();
    if !writes.iter().all(|w| seen.insert(write_key(w))) {
        return Err(StoreError::Invalid(
            "a transaction may write each item only once".into(),
        ));
    }
    Ok(())
}

fn write_key(write: &Write) -> &Key {
    match write {
        Write::Put { item, .. } => &item.key,
        Write::Delete { key, .. } | Write::Check { key, .. } | Write::Increment { key, .. } => key,
    }
}

fn holds(condition: &Condition, version: Option<u64>) -> bool {
    match condition {
        Condition::None => true,
        Condition::NotExists => version.is_none(),
        Condition::Exists => version.is_some(),
        Condition::Version(expected) => version == Some(*expected),
    }
}

fn apply(tx: &Transaction<'_>, index: usize, write: &Write) -> Result<(), StoreError> {
    let failed = StoreError::ConditionFailed { index: Some(index) };
    let key = write_key(write);
    let version = stored_version(tx, key)?;
    match write {
        Write::Check { condition, .. } => holds(condition, version).then_some(()).ok_or(failed),
        Write::Put { item, condition } if holds(condition, version) => {
            put(tx, item, version.map_or(1, |v| v + 1))
        }
        Write::Delete { key, condition } if holds(condition, version) => delete(tx, key),
        Write::Increment {
            key,
            counter,
            by,
            below,
        } if version.is_some() => {
            let current = stored_counter(tx, key, counter)?;
            if below.is_some_and(|below| current >= below) {
                return Err(failed);
            }
            let next = current
                .checked_add(*by)
                .ok_or_else(|| StoreError::Unavailable("counter overflow".into()))?;
            set_counter(tx, key, counter, next)
        }
        Write::Put { .. } | Write::Delete { .. } | Write::Increment { .. } => Err(failed),
    }
}

fn stored_version(tx: &Transaction<'_>, key: &Key) -> Result<Option<u64>, StoreError> {
    let mut stmt = tx
        .prepare_cached("SELECT version FROM items WHERE pk = ?1 AND sk = ?2")
        .map_err(db)?;
    let version: Option<i64> = stmt
        .query_row(params![key.pk, key.sk], |row| row.get(0))
        .optional()
        .map_err(db)?;
    version
        .map(|v| u64::try_from(v).map_err(|_| corrupt("version")))
        .transpose()
}

fn stored_counter(tx: &Transaction<'_>, key: &Key, name: &str) -> Result<i64, StoreError> {
    let mut stmt = tx
        .prepare_cached("SELECT value FROM counters WHERE pk = ?1 AND sk = ?2 AND name = ?3")
        .map_err(db)?;
    let value = stmt
        .query_row(params![key.pk, key.sk, name], |row| row.get(0))
        .optional()
        .map_err(db)?;
    Ok(value.unwrap_or(0))
}

fn set_counter(tx: &Transaction<'_>, key: &Key, name: &str, value: i64) -> Result<(), StoreError> {
    let sql = "INSERT INTO counters (pk, sk, name, value) VALUES (?1, ?2, ?3, ?4)
               ON CONFLICT (pk, sk, name) DO UPDATE SET value = excluded.value";
    tx.prepare_cached(sql)
        .map_err(db)?
        .execute(params![key.pk, key.sk, name, value])
        .map_err(db)?;
    Ok(())
}

fn put(tx: &Transaction<'_>, item: &Item, version: u64) -> Result<(), StoreError> {
    let version = i64::try_from(version).map_err(|_| corrupt("version"))?;
    let data =
        serde_json::to_string(&item.data).map_err(|e| StoreError::Unavailable(e.to_string()))?;
    let (due_pk, due_sk) = split(item.due.as_ref());
    let (lookup_pk, lookup_sk) = split(item.lookup.as_ref());
    let sql = format!(
        "INSERT INTO items ({ITEM_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (pk, sk) DO UPDATE SET version = excluded.version, data = excluded.data,
             due_pk = excluded.due_pk, due_sk = excluded.due_sk, lookup_pk = excluded.lookup_pk,
             lookup_sk = excluded.lookup_sk, expires_at = excluded.expires_at"
    );
    tx.prepare_cached(&sql)
        .map_err(db)?
        .execute(params![
            item.key.pk,
            item.key.sk,
            version,
            data,
            due_pk,
            due_sk,
            lookup_pk,
            lookup_sk,
            item.expires_at
        ])
        .map_err(db)?;
    for (name, value) in &item.counters {
        set_counter(tx, &item.key, name, *value)?;
    }
    Ok(())
}

fn split(entry: Option<&IndexKey>) -> (Option<&str>, Option<&str>) {
    (entry.map(|e| e.pk.as_str()), entry.map(|e| e.sk.as_str()))
}

fn delete(tx: &Transaction<'_>, key: &Key) -> Result<(), StoreError> {
    for sql in [
        "DELETE FROM items WHERE pk = ?1 AND sk = ?2",
        "DELETE FROM counters WHERE pk = ?1 AND sk = ?2",
    ] {
        tx.prepare_cached(sql)
            .map_err(db)?
            .execute(params![key.pk, key.sk])
            .map_err(db)?;
    }
    Ok(())
}

/// The partition and sort columns a query runs on: the table's or an index's.
#[derive(Clone, Copy)]
struct Columns {
    partition: &'static str,
    sort: &'static str,
    index: Option<Index>,
}

impl Columns {
    const TABLE: Self = Self {
        partition: "pk",
        sort: "sk",
        index: None,
    };

    fn of(index: Index) -> Self {
        let (partition, sort) = match index {
            Index::Due => ("due_pk", "due_sk"),
            Index::Lookup => ("lookup_pk", "lookup_sk"),
        };
        Self {
            partition,
            sort,
            index: Some(index),
        }
    }
}

/// Where a page ended: the last item's (sort key, pk, sk). Index sort keys need
/// not be unique, so the item key breaks ties.
#[derive(serde::Serialize, serde::Deserialize)]
struct Cursor(String, String, String);

impl Cursor {
    fn encode(&self) -> Result<String, StoreError> {
        let json = serde_json::to_vec(self).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(URL_SAFE_NO_PAD.encode(json))
    }

    fn decode(s: &str) -> Result<Self, StoreError> {
        let invalid = || StoreError::Invalid("invalid cursor".into());
        let json = URL_SAFE_NO_PAD.decode(s).map_err(|_| invalid())?;
        serde_json::from_slice(&json).map_err(|_| invalid())
    }
}

fn select_page(conn: &Connection, columns: Columns, query: &Query) -> Result<Page, StoreError> {
    let (from, to) = match &query.range {
        SortRange::Prefix(prefix) => (prefix.clone(), prefix_upper_bound(prefix)),
        SortRange::Between { from, to } => (from.clone(), Some(to.clone())),
    };
    let cursor = query.cursor.as_deref().map(Cursor::decode).transpose()?;
    let sql = page_sql(columns, query.descending, to.is_some());
    let limit = query.limit.max(1);
    // One row more than asked tells whether another page follows.
    let fetch = i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1);
    let (c_sort, c_pk, c_sk) = cursor
        .map(|Cursor(a, b, c)| (Some(a), Some(b), Some(c)))
        .unwrap_or_default();
    let mut stmt = conn.prepare_cached(&sql).map_err(db)?;
    let rows = stmt
        .query_map(
            params![query.pk, from, to, c_sort, c_pk, c_sk, fetch],
            read_row,
        )
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    let more = rows.len() > limit;
    let items = rows
        .into_iter()
        .take(limit)
        .map(|row| row.into_item(conn))
        .collect::<Result<Vec<_>, _>>()?;
    let next = match items.last() {
        Some(last) if more => Some(
            Cursor(
                sort_key(last, columns),
                last.key.pk.clone(),
                last.key.sk.clone(),
            )
            .encode()?,
        ),
        _ => None,
    };
    Ok(Page { items, next })
}

/// A page of a partition: `?1` partition, `?2`..`?3` sort range (`?3` NULL for
/// none), `?4`..`?6` the cursor (NULL for the first page), `?7` the row limit.
/// The upper bound is written only when there is one: `(?3 IS NULL OR sort < ?3)`
/// cannot bound the index search, and a page then scans to the partition's end.
fn page_sql(
    Columns {
        partition, sort, ..
    }: Columns,
    descending: bool,
    bounded: bool,
) -> String {
    let (after, order) = if descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    let upper = if bounded {
        format!("{sort} < ?3")
    } else {
        "?3 IS NULL".to_owned()
    };
    format!(
        "SELECT {ITEM_COLUMNS} FROM items
         WHERE {partition} = ?1 AND {sort} >= ?2 AND {upper}
           AND (?4 IS NULL OR ({sort}, pk, sk) {after} (?4, ?5, ?6))
         ORDER BY {sort} {order}, pk {order}, sk {order} LIMIT ?7"
    )
}

fn sort_key(item: &Item, columns: Columns) -> String {
    let entry = match columns.index {
        Some(Index::Due) => item.due.as_ref(),
        Some(Index::Lookup) => item.lookup.as_ref(),
        None => None,
    };
    entry.map_or_else(|| item.key.sk.clone(), |e| e.sk.clone())
}

/// The least string above every string that starts with `prefix`, or `None`
/// when there is none (empty prefix, or only `char::MAX`). UTF-8 byte order is
/// code point order, so bumping the last bumpable character gives it.
fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// A row of `items` before its counters are loaded.
struct Row {
    key: Key,
    version: i64,
    data: String,
    due: Option<IndexKey>,
    lookup: Option<IndexKey>,
    expires_at: Option<i64>,
}

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    let entry =
        |pk: Option<String>, sk: Option<String>| pk.zip(sk).map(|(pk, sk)| IndexKey { pk, sk });
    Ok(Row {
        key: Key::new(row.get::<_, String>(0)?, row.get::<_, String>(1)?),
        version: row.get(2)?,
        data: row.get(3)?,
        due: entry(row.get(4)?, row.get(5)?),
        lookup: entry(row.get(6)?, row.get(7)?),
        expires_at: row.get(8)?,
    })
}

impl Row {
    fn into_item(self, conn: &Connection) -> Result<Item, StoreError> {
        let mut stmt = conn
            .prepare_cached("SELECT name, value FROM counters WHERE pk = ?1 AND sk = ?2")
            .map_err(db)?;
        let counters = stmt
            .query_map(params![self.key.pk, self.key.sk], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .map_err(db)?
            .collect::<Result<BTreeMap<String, i64>, _>>()
            .map_err(db)?;
        Ok(Item {
            version: u64::try_from(self.version).map_err(|_| corrupt("version"))?,
            data: serde_json::from_str(&self.data).map_err(|_| corrupt("data"))?,
            key: self.key,
            counters,
            due: self.due,
            lookup: self.lookup,
            expires_at: self.expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_upper_bounds() {
        assert_eq!(prefix_upper_bound(""), None);
        assert_eq!(prefix_upper_bound("B#").as_deref(), Some("B$"));
        assert_eq!(
            prefix_upper_bound("a\u{D7FF}").as_deref(),
            Some("a\u{E000}"),
            "skips surrogates"
        );
        assert_eq!(prefix_upper_bound("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_upper_bound("\u{10FFFF}"), None);
    }

    /// The sweep reads what is due through its index, never the table, and the
    /// index order is the query order (no sort step).
    #[test]
    fn queries_run_on_their_index() -> Result<(), Box<dyn std::error::Error>> {
        let store = SqliteStore::open_in_memory()?;
        let conn = store.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let indexes = [
            (Columns::TABLE, "PRIMARY KEY"),
            (Columns::of(Index::Due), "items_due"),
            (Columns::of(Index::Lookup), "items_lookup"),
        ];
        for ((columns, name), descending, bounded) in indexes.into_iter().flat_map(|i| {
            [
                (i, false, false),
                (i, true, false),
                (i, false, true),
                (i, true, true),
            ]
        }) {
            let sql = format!(
                "EXPLAIN QUERY PLAN {}",
                page_sql(columns, descending, bounded)
            );
            let plan: Vec<String> = conn
                .prepare(&sql)?
                .query_map(params!["P", "", None::<String>, "a", "b", "c", 10], |row| {
                    row.get(3)
                })?
                .collect::<Result<_, _>>()?;
            let on_index = plan
                .iter()
                .any(|step| step.starts_with("SEARCH") && step.contains(name));
            assert!(on_index, "{name} plan: {plan:?}");
            // An upper bound ends the search (else a page scans to the partition's end).
            let ends = plan
                .iter()
                .any(|step| step.contains(&format!("{}<?", columns.sort)));
            assert_eq!(ends, bounded, "{name} upper bound: {plan:?}");
            assert!(
                !plan.iter().any(|step| step.contains("TEMP B-TREE")),
                "{name} sorts: {plan:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn a_database_file_is_durable() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = SqliteStore::open_in_dir(dir.path())?;
        let conn = store.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
        let synchronous: i64 = conn.query_row("PRAGMA synchronous", [], |row| row.get(0))?;
        assert_eq!(
            (mode.as_str(), synchronous),
            ("wal", 2),
            "WAL with synchronous=FULL"
        );
        Ok(())
    }

    #[test]
    fn cursor_rejects_garbage() {
        assert!(matches!(Cursor::decode("%%%"), Err(StoreError::Invalid(_))));
        assert!(matches!(
            Cursor::decode(&URL_SAFE_NO_PAD.encode("[1]")),
            Err(StoreError::Invalid(_))
        ));
    }
}
