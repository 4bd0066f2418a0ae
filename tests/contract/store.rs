//! The `Store` contract: DynamoDB semantics (conditional writes, all-or-nothing
//! transactions, ordered queries with paging, two secondary indexes, read counts).

use std::collections::BTreeMap;
use std::sync::Arc;

use hims_esign::ports::{
    Condition, Index, IndexKey, Item, Key, Query, SortRange, Store, StoreError, Write,
};
use serde_json::json;

use super::Fixture;

/// One test per check below, on a fresh fixture from `$make`
/// (an `async fn() -> Fixture<dyn Store>`, given as a `crate::` path).
#[macro_export]
macro_rules! store_contract_tests {
    ($make:path) => {
        $crate::contract_tests!(
            store,
            $make,
            [
                put_get_round_trip,
                get_missing_is_none,
                version_bumps_on_every_put,
                put_keeps_stored_counters_and_sets_given_ones,
                not_exists_condition,
                exists_condition,
                version_condition,
                failed_condition_writes_nothing_and_names_its_index,
                delete_and_check,
                rejects_two_writes_on_one_key,
                rejects_more_than_100_writes,
                transaction_of_100_writes_commits,
                increment_needs_an_existing_item,
                increment_respects_below,
                concurrent_increments_count_exactly_to_the_limit,
                concurrent_compare_and_set_has_one_winner,
                query_prefix_in_order,
                query_between_excludes_upper_bound,
                query_descending,
                query_pages_with_cursor,
                query_descending_pages_with_cursor,
                a_cursor_the_store_did_not_issue_is_invalid,
                due_index,
                lookup_index,
                index_entry_follows_the_latest_put,
                expires_at_is_stored,
                items_read_counts_returned_items,
            ]
        );
    };
}

fn key(f: &Fixture<dyn Store>, pk: &str, sk: &str) -> Key {
    Key::new(format!("{}#{pk}", f.ns), sk)
}

fn item(key: &Key, data: serde_json::Value) -> Item {
    Item::new(key.clone(), data)
}

fn put(item: Item) -> Write {
    Write::Put {
        item,
        condition: Condition::None,
    }
}

fn put_if(item: Item, condition: Condition) -> Write {
    Write::Put { item, condition }
}

fn increment(key: &Key, by: i64, below: Option<i64>) -> Write {
    Write::Increment {
        key: key.clone(),
        counter: "n".into(),
        by,
        below,
    }
}

async fn get(store: &dyn Store, key: &Key) -> Item {
    match store.get(key).await {
        Ok(Some(item)) => item,
        other => panic!("expected an item at {key:?}, got {other:?}"),
    }
}

async fn absent(store: &dyn Store, key: &Key) -> bool {
    matches!(store.get(key).await, Ok(None))
}

fn assert_condition_failed(result: Result<(), StoreError>, index: usize) {
    match result {
        Err(StoreError::ConditionFailed { index: got }) => {
            assert_eq!(got, Some(index), "failed write index")
        }
        other => panic!("expected ConditionFailed at {index}, got {other:?}"),
    }
}

/// Runs `writes` until it commits or fails for a reason other than a conflict
/// (the port says a conflict is safe to retry).
async fn transact_retrying(store: &dyn Store, writes: Vec<Write>) -> Result<(), StoreError> {
    for _ in 0..200 {
        match store.transact(writes.clone()).await {
            Err(StoreError::Conflict) => tokio::task::yield_now().await,
            other => return other,
        }
    }
    Err(StoreError::Conflict)
}

fn sort_keys(items: &[Item]) -> Vec<&str> {
    items.iter().map(|i| i.key.sk.as_str()).collect()
}

/// Writes items `sk` in the partition `pk`, in a scrambled order.
async fn seed(store: &dyn Store, pk: &str, sks: &[&str]) {
    let mut shuffled: Vec<&str> = sks.to_vec();
    shuffled.reverse();
    shuffled.rotate_left(sks.len() / 3);
    for sk in shuffled {
        store
            .transact(vec![put(item(&Key::new(pk, sk), json!({ "sk": sk })))])
            .await
            .expect("seed");
    }
}

/// Reads every page of `query` with its cursor, checking each page's size.
async fn all_pages(store: &dyn Store, index: Option<Index>, mut query: Query) -> Vec<Item> {
    let mut all = Vec::new();
    for _ in 0..100 {
        let page = match index {
            Some(index) => store.query_index(index, &query).await,
            None => store.query(&query).await,
        }
        .expect("query page");
        assert!(
            page.items.len() <= query.limit,
            "page larger than the limit"
        );
        all.extend(page.items);
        match page.next {
            Some(next) => query.cursor = Some(next),
            None => return all,
        }
    }
    panic!("paging did not end");
}

pub async fn put_get_round_trip(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let k = key(f, "AGR#1", "META");
    let data = json!({
        "name": "Nur Aisyah binti Abdullah",
        "unicode": "José Ñúñez — 雪",
        "n": 42,
        "big": 9_007_199_254_740_993_i64,
        "ok": true,
        "none": null,
        "list": [1, "two", {"three": 3}],
    });
    let mut written = item(&k, data.clone());
    written.counters = BTreeMap::from([("attempts".to_string(), 2), ("sent".to_string(), -5)]);
    written.due = Some(IndexKey {
        pk: format!("DUE#{}", f.ns),
        sk: "2026-01-01T00:00:00Z#x".into(),
    });
    written.lookup = Some(IndexKey {
        pk: format!("SERIAL#{}", f.ns),
        sk: "-".into(),
    });
    written.expires_at = Some(1_900_000_000);
    store
        .transact(vec![put_if(written.clone(), Condition::NotExists)])
        .await
        .expect("put");

    let read = get(store, &k).await;
    assert_eq!(
        read,
        Item {
            version: 1,
            ..written
        }
    );
    assert_eq!(read.counter("attempts"), 2);
    assert_eq!(read.counter("missing"), 0);
}

pub async fn get_missing_is_none(f: &Fixture<dyn Store>) {
    assert!(absent(&*f.port, &key(f, "AGR#none", "META")).await);
}

pub async fn version_bumps_on_every_put(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let k = key(f, "AGR#v", "META");
    for expected in 1..=3_u64 {
        // The version given with the item is ignored: the store owns it.
        let mut next = item(&k, json!({ "round": expected }));
        next.version = 77;
        store.transact(vec![put(next)]).await.expect("put");
        let read = get(store, &k).await;
        assert_eq!(read.version, expected);
        assert_eq!(read.data, json!({ "round": expected }));
    }
    store
        .transact(vec![increment(&k, 1, None)])
        .await
        .expect("increment");
    let read = get(store, &k).await;
    assert_eq!(
        (read.version, read.counter("n")),
        (3, 1),
        "increment leaves the version alone"
    );
}

pub async fn put_keeps_stored_counters_and_sets_given_ones(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let k = key(f, "AGR#c", "META");
    let mut first = item(&k, json!({}));
    first.counters = BTreeMap::from([("a".to_string(), 1), ("b".to_string(), 2)]);
    store.transact(vec![put(first)]).await.expect("put");
    store
        .transact(vec![increment(&k, 5, None)])
        .await
        .expect("increment");

    let mut second = item(&k, json!({ "second": true }));
    second.counters = BTreeMap::from([("b".to_string(), 20), ("c".to_string(), 30)]);
    store.transact(vec![put(second)]).await.expect("put");

    let read = get(store, &k).await;
    let expected = BTreeMap::from([
        ("a".into(), 1),
        ("b".into(), 20),
        ("c".into(), 30),
        ("n".into(), 5),
    ]);
    assert_eq!(read.counters, expected);
    assert_eq!(read.data, json!({ "second": true }));
}

pub async fn not_exists_condition(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let k = key(f, "AGR#ne", "META");
    store
        .transact(vec![put_if(item(&k, json!(1)), Condition::NotExists)])
        .await
        .expect("first put");
    let again = store
        .transact(vec![put_if(item(&k, json!(2)), Condition::NotExists)])
        .await;
    assert_condition_failed(again, 0);
    assert_eq!(get(store, &k).await.data, json!(1));
}

pub async fn exists_condition(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let k = key(f, "AGR#ex", "META");
    let missing = store
        .transact(vec![put_if(item(&k, json!(1)), Condition::Exists)])
        .await;
    assert_condition_failed(missing, 0);
    assert!(absent(store, &k).await);

    store
        .transact(vec![put(item(&k, json!(1)))])
        .await
        .expect("put");
    store
        .transact(vec![put_if(item(&k, json!(2)), Condition::Exists)])
        .await
        .expect("put if exists");
    assert_eq!(get(store, &k).await.data, json!(2));
}

pub async fn version_condition(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let k = key(f, "AGR#cas", "META");
    let on_missing = store
        .transact(vec![put_if(item(&k, json!(0)), Condition::Version(1))])
        .await;
    assert_condition_failed(on_missing, 0);

    store
        .transact(vec![put(item(&k, json!(1)))])
        .await
        .expect("put");
    store
        .transact(vec![put(item(&k, json!(2)))])
        .await
        .expect("put");
    let stale = store
        .transact(vec![put_if(
            item(&k, json!("stale")),
            Condition::Version(1),
        )])
        .await;
    assert_condition_failed(stale, 0);
    store
        .transact(vec![put_if(item(&k, json!(3)), Condition::Version(2))])
        .await
        .expect("cas");
    let read = get(store, &k).await;
    assert_eq!((read.version, read.data), (3, json!(3)));
}

pub async fn failed_condition_writes_nothing_and_names_its_index(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let existing = key(f, "AGR#tx", "EXISTING");
    let counted = key(f, "AGR#tx", "COUNTED");
    let doomed = key(f, "AGR#tx", "DELETED");
    let checked = key(f, "AGR#tx", "CHECKED");
    store
        .transact(vec![
            put(item(&existing, json!("old"))),
            put(item(&checked, json!(0))),
            put(item(&counted, json!(0))),
            put(item(&doomed, json!(0))),
        ])
        .await
        .expect("seed");

    let fresh = key(f, "AGR#tx", "NEW");
    let writes = vec![
        put_if(item(&fresh, json!("new")), Condition::NotExists),
        put(item(&existing, json!("overwritten"))),
        increment(&counted, 1, None),
        Write::Delete {
            key: doomed.clone(),
            condition: Condition::Exists,
        },
        Write::Check {
            key: checked.clone(),
            condition: Condition::Version(9),
        },
    ];
    assert_condition_failed(store.transact(writes).await, 4);

    assert!(
        absent(store, &fresh).await,
        "put of a failed transaction was written"
    );
    let kept = get(store, &existing).await;
    assert_eq!((kept.version, kept.data), (1, json!("old")));
    assert_eq!(
        get(store, &counted).await.counter("n"),
        0,
        "increment of a failed transaction was applied"
    );
    assert!(
        !absent(store, &doomed).await,
        "delete of a failed transaction was applied"
    );

    // The same transaction with the middle condition failing reports that index.
    let writes = vec![
        put_if(item(&fresh, json!("new")), Condition::NotExists),
        put_if(item(&existing, json!("overwritten")), Condition::NotExists),
        increment(&counted, 1, None),
    ];
    assert_condition_failed(store.transact(writes).await, 1);
    assert!(absent(store, &fresh).await);
}

pub async fn delete_and_check(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let a = key(f, "AGR#del", "A");
    let b = key(f, "AGR#del", "B");
    store
        .transact(vec![put(item(&a, json!("a"))), put(item(&b, json!("b")))])
        .await
        .expect("seed");
    store
        .transact(vec![increment(&a, 3, None)])
        .await
        .expect("increment");

    let stale = store
        .transact(vec![Write::Delete {
            key: a.clone(),
            condition: Condition::Version(2),
        }])
        .await;
    assert_condition_failed(stale, 0);
    assert!(!absent(store, &a).await);

    store
        .transact(vec![
            Write::Check {
                key: b.clone(),
                condition: Condition::Version(1),
            },
            Write::Delete {
                key: a.clone(),
                condition: Condition::Version(1),
            },
        ])
        .await
        .expect("check and delete");
    assert!(absent(store, &a).await);
    assert_eq!(
        get(store, &b).await.data,
        json!("b"),
        "a check writes nothing"
    );

    // A deleted item is gone with its counters: a new put starts afresh.
    store
        .transact(vec![put_if(item(&a, json!("again")), Condition::NotExists)])
        .await
        .expect("re-put");
    let read = get(store, &a).await;
    assert_eq!((read.version, read.counter("n")), (1, 0));

    let missing = key(f, "AGR#del", "MISSING");
    let check = store
        .transact(vec![Write::Check {
            key: missing.clone(),
            condition: Condition::Exists,
        }])
        .await;
    assert_condition_failed(check, 0);
    store
        .transact(vec![Write::Check {
            key: missing.clone(),
            condition: Condition::NotExists,
        }])
        .await
        .expect("check not exists");
    assert!(absent(store, &missing).await);
}

pub async fn rejects_two_writes_on_one_key(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let k = key(f, "AGR#dup", "META");
    let other = key(f, "AGR#dup", "OTHER");
    let result = store
        .transact(vec![
            put(item(&other, json!(0))),
            put(item(&k, json!(1))),
            increment(&k, 1, None),
        ])
        .await;
    assert!(
        matches!(result, Err(StoreError::Invalid(_))),
        "two writes on one key: {result:?}"
    );
    assert!(absent(store, &k).await && absent(store, &other).await);
}

pub async fn rejects_more_than_100_writes(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let keys: Vec<Key> = (0..101)
        .map(|i| key(f, "AGR#many", &format!("{i:03}")))
        .collect();
    let result = store
        .transact(keys.iter().map(|k| put(item(k, json!(0)))).collect())
        .await;
    assert!(
        matches!(result, Err(StoreError::Invalid(_))),
        "101 writes: {result:?}"
    );
    assert!(absent(store, &keys[0]).await);
}

pub async fn transaction_of_100_writes_commits(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let pk = format!("{}#AGR#hundred", f.ns);
    let keys: Vec<Key> = (0..100)
        .map(|i| Key::new(pk.clone(), format!("{i:03}")))
        .collect();
    store
        .transact(keys.iter().map(|k| put(item(k, json!(0)))).collect())
        .await
        .expect("100 writes");
    assert_eq!(
        all_pages(store, None, Query::prefix(&pk, "")).await.len(),
        100
    );
}

pub async fn increment_needs_an_existing_item(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let k = key(f, "AGR#inc", "MISSING");
    assert_condition_failed(store.transact(vec![increment(&k, 1, None)]).await, 0);
    assert!(absent(store, &k).await, "increment created an item");
}

pub async fn increment_respects_below(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let k = key(f, "AGR#inc", "PIN");
    store
        .transact(vec![put(item(&k, json!({})))])
        .await
        .expect("put");
    store
        .transact(vec![increment(&k, 2, Some(3))])
        .await
        .expect("0 -> 2");
    store
        .transact(vec![increment(&k, 2, Some(3))])
        .await
        .expect("2 -> 4: 2 was below 3");
    assert_condition_failed(store.transact(vec![increment(&k, 1, Some(4))]).await, 0);
    store
        .transact(vec![increment(&k, -4, Some(5))])
        .await
        .expect("4 -> 0");
    store
        .transact(vec![increment(&k, 1, None)])
        .await
        .expect("no bound");
    let read = get(store, &k).await;
    assert_eq!(
        (read.counter("n"), read.version, read.data),
        (1, 1, json!({}))
    );
}

pub async fn concurrent_increments_count_exactly_to_the_limit(f: &Fixture<dyn Store>) {
    const TASKS: usize = 50;
    const LIMIT: i64 = 30;
    let k = key(f, "AGR#race", "COUNTER");
    f.port
        .transact(vec![put(item(&k, json!({})))])
        .await
        .expect("put");

    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let store = Arc::clone(&f.port);
        let k = k.clone();
        tasks.push(tokio::spawn(async move {
            transact_retrying(&*store, vec![increment(&k, 1, Some(LIMIT))]).await
        }));
    }
    let (mut won, mut refused) = (0, 0);
    for task in tasks {
        match task.await.expect("task") {
            Ok(()) => won += 1,
            Err(StoreError::ConditionFailed { .. }) => refused += 1,
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!((won, refused), (LIMIT, TASKS as i64 - LIMIT));
    assert_eq!(get(&*f.port, &k).await.counter("n"), LIMIT);
}

pub async fn concurrent_compare_and_set_has_one_winner(f: &Fixture<dyn Store>) {
    const TASKS: usize = 20;
    let k = key(f, "AGR#race", "CAS");
    f.port
        .transact(vec![put(item(&k, json!("start")))])
        .await
        .expect("put");

    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let store = Arc::clone(&f.port);
        let k = k.clone();
        tasks.push(tokio::spawn(async move {
            let next = put_if(item(&k, json!({ "winner": task })), Condition::Version(1));
            (task, transact_retrying(&*store, vec![next]).await)
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.expect("task") {
            (task, Ok(())) => winners.push(task),
            (_, Err(StoreError::ConditionFailed { .. })) => {}
            (_, Err(other)) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let read = get(&*f.port, &k).await;
    assert_eq!(
        (read.version, read.data),
        (2, json!({ "winner": winners[0] }))
    );
}

const SORT_KEYS: [&str; 7] = ["A#1", "B#1", "B#2", "B#3", "B#3#x", "BA", "C"];

pub async fn query_prefix_in_order(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let pk = format!("{}#AGR#q", f.ns);
    seed(store, &pk, &SORT_KEYS).await;
    store
        .transact(vec![put(item(
            &Key::new(format!("{pk}x"), "B#1"),
            json!(0),
        ))])
        .await
        .expect("neighbour");

    let page = store.query(&Query::prefix(&pk, "B#")).await.expect("query");
    assert_eq!(sort_keys(&page.items), ["B#1", "B#2", "B#3", "B#3#x"]);
    assert!(page.items.iter().all(|i| i.key.pk == pk && i.version == 1));
    assert_eq!(page.items[0].data, json!({ "sk": "B#1" }));
    assert!(page.next.is_none());

    let all = store
        .query(&Query::prefix(&pk, ""))
        .await
        .expect("query all");
    assert_eq!(sort_keys(&all.items), SORT_KEYS);
    let none = store
        .query(&Query::prefix(&pk, "D"))
        .await
        .expect("query none");
    assert!(none.items.is_empty() && none.next.is_none());
}

pub async fn query_between_excludes_upper_bound(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let pk = format!("{}#AGR#between", f.ns);
    seed(store, &pk, &SORT_KEYS).await;
    let query = Query {
        range: SortRange::Between {
            from: "B#2".into(),
            to: "BA".into(),
        },
        ..Query::prefix(&pk, "")
    };
    let page = store.query(&query).await.expect("query");
    assert_eq!(sort_keys(&page.items), ["B#2", "B#3", "B#3#x"]);
}

pub async fn query_descending(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let pk = format!("{}#AGR#desc", f.ns);
    seed(store, &pk, &SORT_KEYS).await;
    let page = store
        .query(&Query {
            descending: true,
            ..Query::prefix(&pk, "B")
        })
        .await
        .expect("query");
    assert_eq!(sort_keys(&page.items), ["BA", "B#3#x", "B#3", "B#2", "B#1"]);
    let query = Query {
        range: SortRange::Between {
            from: "A".into(),
            to: "B#3".into(),
        },
        limit: 2,
        descending: true,
        ..Query::prefix(&pk, "")
    };
    let page = store.query(&query).await.expect("query");
    assert_eq!(sort_keys(&page.items), ["B#2", "B#1"]);
}

fn numbered(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("EV#{i:04}")).collect()
}

pub async fn query_pages_with_cursor(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let pk = format!("{}#AGR#pages", f.ns);
    let sks = numbered(25);
    seed(
        store,
        &pk,
        &sks.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await;

    let first = store
        .query(&Query {
            limit: 10,
            ..Query::prefix(&pk, "EV#")
        })
        .await
        .expect("first page");
    assert_eq!(
        sort_keys(&first.items),
        sks[..10].iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert!(
        first.next.is_some(),
        "a full page with more to come has a cursor"
    );

    let all = all_pages(
        store,
        None,
        Query {
            limit: 10,
            ..Query::prefix(&pk, "EV#")
        },
    )
    .await;
    assert_eq!(
        sort_keys(&all),
        sks.iter().map(String::as_str).collect::<Vec<_>>()
    );

    let between = Query {
        range: SortRange::Between {
            from: "EV#0003".into(),
            to: "EV#0017".into(),
        },
        limit: 4,
        ..Query::prefix(&pk, "")
    };
    let all = all_pages(store, None, between).await;
    assert_eq!(
        sort_keys(&all),
        sks[3..17].iter().map(String::as_str).collect::<Vec<_>>()
    );
}

pub async fn a_cursor_the_store_did_not_issue_is_invalid(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let pk = format!("{}#AGR#forged", f.ns);
    seed(store, &pk, &["EV#0001"]).await;
    for cursor in ["not a cursor", "e30", "W10"] {
        let query = Query {
            cursor: Some(cursor.to_owned()),
            ..Query::prefix(&pk, "EV#")
        };
        let result = store.query(&query).await;
        assert!(
            matches!(result, Err(StoreError::Invalid(_))),
            "cursor {cursor:?}: {:?}",
            result.map(|p| p.items.len())
        );
    }
}

pub async fn query_descending_pages_with_cursor(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let pk = format!("{}#AGR#descpages", f.ns);
    let sks = numbered(12);
    seed(
        store,
        &pk,
        &sks.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await;
    let all = all_pages(
        store,
        None,
        Query {
            limit: 5,
            descending: true,
            ..Query::prefix(&pk, "EV#")
        },
    )
    .await;
    let expected: Vec<&str> = sks.iter().rev().map(String::as_str).collect();
    assert_eq!(sort_keys(&all), expected);
}

fn due_entry(f: &Fixture<dyn Store>, shard: u8, at: &str, name: &str) -> Option<IndexKey> {
    Some(IndexKey {
        pk: format!("DUE#{}#{shard}", f.ns),
        sk: format!("{at}#{name}"),
    })
}

pub async fn due_index(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let dated = [
        ("P1", 0, "2026-03-01T09:00:00Z"),
        ("P2", 0, "2026-03-01T08:00:00Z"),
        ("P3", 1, "2026-03-01T07:00:00Z"),
        ("P4", 0, "2026-03-02T00:00:00Z"),
        ("P5", 0, "2026-02-28T23:59:59Z"),
    ];
    let mut writes = Vec::new();
    for (name, shard, at) in dated {
        let mut next = item(
            &key(f, &format!("AGR#due#{name}"), "PARTY"),
            json!({ "name": name }),
        );
        next.due = due_entry(f, shard, at, name);
        writes.push(put(next));
    }
    writes.push(put(item(
        &key(f, "AGR#due#undated", "PARTY"),
        json!({ "name": "undated" }),
    )));
    store.transact(writes).await.expect("seed");

    let names = |items: &[Item]| {
        items
            .iter()
            .map(|i| i.data["name"].clone())
            .collect::<Vec<_>>()
    };
    let shard0 = format!("DUE#{}#0", f.ns);
    let due_by_1st = Query {
        range: SortRange::Between {
            from: "2026-01-01".into(),
            to: "2026-03-01T09:00:00Z".into(),
        },
        ..Query::prefix(&shard0, "")
    };
    let page = store
        .query_index(Index::Due, &due_by_1st)
        .await
        .expect("due query");
    assert_eq!(names(&page.items), [json!("P5"), json!("P2")]);
    assert_eq!(
        page.items[1].key,
        key(f, "AGR#due#P2", "PARTY"),
        "index queries return whole items"
    );
    assert_eq!(
        page.items[1].due,
        due_entry(f, 0, "2026-03-01T08:00:00Z", "P2")
    );

    let all = all_pages(
        store,
        Some(Index::Due),
        Query {
            limit: 2,
            ..Query::prefix(&shard0, "")
        },
    )
    .await;
    assert_eq!(
        names(&all),
        [json!("P5"), json!("P2"), json!("P1"), json!("P4")]
    );
    let latest = Query {
        descending: true,
        limit: 1,
        ..Query::prefix(&shard0, "2026-03")
    };
    let page = store
        .query_index(Index::Due, &latest)
        .await
        .expect("descending");
    assert_eq!(names(&page.items), [json!("P4")]);
}

pub async fn lookup_index(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let serial = format!("SERIAL#{}#HIMS-2026-000123", f.ns);
    let mut agreement = item(
        &key(f, "AGR#lookup", "META"),
        json!({ "serial": "HIMS-2026-000123" }),
    );
    agreement.lookup = Some(IndexKey {
        pk: serial.clone(),
        sk: "-".into(),
    });
    let mut other = item(
        &key(f, "AGR#lookup2", "META"),
        json!({ "serial": "HIMS-2026-000124" }),
    );
    other.lookup = Some(IndexKey {
        pk: format!("SERIAL#{}#HIMS-2026-000124", f.ns),
        sk: "-".into(),
    });
    store
        .transact(vec![put(agreement.clone()), put(other)])
        .await
        .expect("seed");

    let page = store
        .query_index(Index::Lookup, &Query::prefix(&serial, ""))
        .await
        .expect("lookup");
    assert_eq!(
        page.items,
        vec![Item {
            version: 1,
            ..agreement
        }]
    );
    let due = store
        .query_index(Index::Due, &Query::prefix(&serial, ""))
        .await
        .expect("other index");
    assert!(due.items.is_empty(), "a lookup entry is not a due entry");
    let none = store
        .query_index(Index::Lookup, &Query::prefix(format!("{serial}9"), ""))
        .await
        .expect("miss");
    assert!(none.items.is_empty());
}

pub async fn index_entry_follows_the_latest_put(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let k = key(f, "AGR#moving", "PARTY");
    let shard0 = Query::prefix(format!("DUE#{}#0", f.ns), "");
    let shard1 = Query::prefix(format!("DUE#{}#1", f.ns), "");

    let mut first = item(&k, json!(1));
    first.due = due_entry(f, 0, "2026-05-01T00:00:00Z", "x");
    store.transact(vec![put(first)]).await.expect("put");
    let mut moved = item(&k, json!(2));
    moved.due = due_entry(f, 1, "2026-06-01T00:00:00Z", "x");
    store.transact(vec![put(moved)]).await.expect("move");
    assert!(
        store
            .query_index(Index::Due, &shard0)
            .await
            .expect("q")
            .items
            .is_empty()
    );
    let page = store.query_index(Index::Due, &shard1).await.expect("q");
    assert_eq!(
        page.items
            .iter()
            .map(|i| i.data.clone())
            .collect::<Vec<_>>(),
        [json!(2)]
    );

    store
        .transact(vec![put(item(&k, json!(3)))])
        .await
        .expect("clear");
    assert!(
        store
            .query_index(Index::Due, &shard1)
            .await
            .expect("q")
            .items
            .is_empty()
    );
}

pub async fn expires_at_is_stored(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let k = key(f, "OTP#1", "CODE");
    let mut code = item(&k, json!({ "digest": "…" }));
    code.expires_at = Some(1_767_225_600);
    store.transact(vec![put(code)]).await.expect("put");
    assert_eq!(get(store, &k).await.expires_at, Some(1_767_225_600));
    store
        .transact(vec![put(item(&k, json!({})))])
        .await
        .expect("put");
    assert_eq!(
        get(store, &k).await.expires_at,
        None,
        "a put without expiry clears it"
    );
}

pub async fn items_read_counts_returned_items(f: &Fixture<dyn Store>) {
    let store = &*f.port;
    let pk = format!("{}#AGR#reads", f.ns);
    let mut writes = Vec::new();
    for sk in ["A", "B", "C", "D"] {
        let mut next = item(&Key::new(&pk, sk), json!(sk));
        if sk < "C" {
            next.lookup = Some(IndexKey {
                pk: format!("{pk}#L"),
                sk: sk.into(),
            });
        }
        writes.push(put(next));
    }
    store.transact(writes).await.expect("seed");

    let start = store.items_read();
    get(store, &Key::new(&pk, "A")).await;
    assert_eq!(store.items_read() - start, 1);
    assert!(absent(store, &Key::new(&pk, "Z")).await);
    assert_eq!(store.items_read() - start, 1, "a miss reads nothing");
    let three = store
        .query(&Query {
            limit: 3,
            ..Query::prefix(&pk, "")
        })
        .await
        .expect("query");
    assert_eq!(three.items.len(), 3);
    assert_eq!(store.items_read() - start, 4);
    let two = store
        .query_index(Index::Lookup, &Query::prefix(format!("{pk}#L"), ""))
        .await
        .expect("q");
    assert_eq!(two.items.len(), 2);
    assert_eq!(store.items_read() - start, 6);
    store
        .transact(vec![increment(&Key::new(&pk, "A"), 1, None)])
        .await
        .expect("increment");
    assert_eq!(store.items_read() - start, 6, "writes are not reads");
}
