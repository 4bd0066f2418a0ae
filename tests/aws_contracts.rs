//! The AWS adapters against a moto server. Start one with
//! `scripts/moto.sh start` and set `HIMS_TEST_AWS_ENDPOINT`; without it every
//! test fails (never silently passes). Each test makes its own uniquely named
//! table, bucket and keys, so tests run in parallel on one server.

use std::sync::Arc;

use aws_config::SdkConfig;
use hims_esign::adapters::aws::{
    AwsConfig, DynamoStore, KmsKeys, S3Blobs, SesMailer, build_ports, emulator_sdk_config, env,
};
use hims_esign::ports::{
    Blobs, Condition, Email, Index, IndexKey, Item, Key, Keys, Mailer, OsRng, Query, Rng,
    SortRange, Store, StoreError, Write,
};
use serde_json::json;

mod contract;

use contract::Fixture;
use contract::mail::{Delivered, MailFixture};

const ENDPOINT_VAR: &str = "HIMS_TEST_AWS_ENDPOINT";

fn endpoint() -> String {
    std::env::var(ENDPOINT_VAR).unwrap_or_else(|_| {
        panic!(
            "{ENDPOINT_VAR} is not set: start moto with `scripts/moto.sh start` and run with \
             {ENDPOINT_VAR}=http://127.0.0.1:5555"
        )
    })
}

async fn sdk() -> SdkConfig {
    emulator_sdk_config(&endpoint()).await
}

/// A resource name no other test (or earlier run on the same server) uses.
fn unique(prefix: &str) -> String {
    let rng: &dyn Rng = &OsRng;
    format!("{prefix}-{}", hex::encode(rng.bytes::<6>()))
}

async fn new_store() -> DynamoStore {
    let client = aws_sdk_dynamodb::Client::new(&sdk().await);
    let table = unique("hims");
    DynamoStore::create_table(&client, &table)
        .await
        .expect("create table");
    DynamoStore::new(client, table)
}

async fn new_blobs() -> S3Blobs {
    let client = S3Blobs::client(&sdk().await);
    let bucket = unique("hims");
    S3Blobs::create_bucket(&client, &bucket)
        .await
        .expect("create bucket");
    S3Blobs::new(client, bucket)
}

async fn new_keys() -> KmsKeys {
    let client = aws_sdk_kms::Client::new(&sdk().await);
    let ids = KmsKeys::create_keys(&client).await.expect("create keys");
    KmsKeys::new(client, ids)
}

async fn dynamo_store() -> Fixture<dyn Store> {
    Fixture::new(Arc::new(new_store().await))
}

async fn s3_blobs() -> Fixture<dyn Blobs> {
    Fixture::new(Arc::new(new_blobs().await))
}

async fn kms_keys() -> Fixture<dyn Keys> {
    Fixture::new(Arc::new(new_keys().await))
}

/// SESv2 with a fresh sender identity; sent mail is read back from moto's
/// state dump (it keeps the HTML body when there is one, not the text).
async fn ses_mailer() -> MailFixture {
    let client = aws_sdk_sesv2::Client::new(&sdk().await);
    let from = format!("{}@example.com", unique("esign"));
    SesMailer::create_identity(&client, &from)
        .await
        .expect("create identity");
    let read = move |message_id: String| -> contract::mail::ReadFuture {
        Box::pin(async move {
            let sent = moto_state().await;
            let found = find_message(&sent, &message_id)?;
            Some(Delivered {
                to: found["destinations"]["ToAddresses"][0].as_str()?.to_owned(),
                subject: found["subject"].as_str()?.to_owned(),
                text: None,
                html: Some(found["body"].as_str()?.to_owned()),
            })
        })
    };
    MailFixture::new(
        Fixture::new(Arc::new(SesMailer::new(client, from, None))),
        read,
    )
}

mod on_moto {
    crate::store_contract_tests!(crate::dynamo_store);
    crate::blobs_contract_tests!(crate::s3_blobs);
    crate::keys_contract_tests!(crate::kms_keys);
    crate::mail_contract_tests!(crate::ses_mailer);
    crate::timestamper_contract_tests!(crate::own_tsa_on_aws);
}

/// Our TSA over DynamoDB (its certificate) and KMS (the CA and TSA keys).
async fn own_tsa_on_aws() -> Fixture<dyn hims_esign::ports::Timestamper> {
    let ports = hims_esign::ports::Ports {
        store: Arc::new(new_store().await),
        blobs: Arc::new(new_blobs().await),
        mailer: Arc::new(SesMailer::new(
            aws_sdk_sesv2::Client::new(&sdk().await),
            "esign@example.com",
            None,
        )),
        keys: Arc::new(new_keys().await),
        clock: Arc::new(hims_esign::testing::FixedClock::at_rfc3339(
            "2026-03-01T09:00:00Z",
        )),
        rng: Arc::new(OsRng),
    };
    Fixture::new(Arc::new(hims_esign::app::tsa::OwnTsa::new(
        ports,
        "https://hims.test",
    )))
}

fn put(item: Item, condition: Condition) -> Write {
    Write::Put { item, condition }
}

fn item(pk: &str, sk: &str, data: serde_json::Value) -> Item {
    Item::new(Key::new(pk, sk), data)
}

// ------------------------------------------------------------------ store
// The port's contract runs in `mod dynamo` above; these cover what is
// specific to DynamoDB: the JSON document attribute, checks that need no round
// trip, guards DynamoDB cannot express directly, empty key values, cursors.

#[tokio::test]
async fn store_keeps_documents_exactly() {
    let store = new_store().await;
    let data = json!({"big": u64::MAX, "neg": i64::MIN, "empty": {}, "blank": "", "list": [], "null": null});
    store
        .transact(vec![put(
            item("AGR#1", "META", data.clone()),
            Condition::NotExists,
        )])
        .await
        .unwrap();
    assert_eq!(
        store
            .get(&Key::new("AGR#1", "META"))
            .await
            .unwrap()
            .unwrap()
            .data,
        data
    );
}

#[tokio::test]
async fn store_failed_write_index_counts_checks_that_always_hold() {
    let store = new_store().await;
    let writes = vec![
        Write::Check {
            key: Key::new("AGR#1", "ALWAYS"),
            condition: Condition::None,
        },
        put(item("AGR#1", "META", json!("a")), Condition::NotExists),
        Write::Check {
            key: Key::new("AGR#1", "ALSO"),
            condition: Condition::None,
        },
        Write::Check {
            key: Key::new("AGR#9", "META"),
            condition: Condition::Exists,
        },
    ];
    let result = store.transact(writes).await;
    assert!(
        matches!(result, Err(StoreError::ConditionFailed { index: Some(3) })),
        "{result:?}"
    );
    assert_eq!(store.get(&Key::new("AGR#1", "META")).await.unwrap(), None);

    let lone = vec![
        Write::Check {
            key: Key::new("AGR#1", "ALWAYS"),
            condition: Condition::None,
        },
        put(item("AGR#1", "META", json!("a")), Condition::Exists),
    ];
    let result = store.transact(lone).await;
    assert!(
        matches!(result, Err(StoreError::ConditionFailed { index: Some(1) })),
        "{result:?}"
    );
    store
        .transact(vec![Write::Check {
            key: Key::new("X", "Y"),
            condition: Condition::None,
        }])
        .await
        .unwrap();
}

#[tokio::test]
async fn store_increment_bound_at_or_below_zero_never_applies() {
    let store = new_store().await;
    store
        .transact(vec![put(
            item("PARTY#1", "PIN", json!({})),
            Condition::NotExists,
        )])
        .await
        .unwrap();
    for below in [0, -1] {
        let write = Write::Increment {
            key: Key::new("PARTY#1", "PIN"),
            counter: "n".into(),
            by: 1,
            below: Some(below),
        };
        let result = store.transact(vec![write]).await;
        assert!(
            matches!(result, Err(StoreError::ConditionFailed { index: Some(0) })),
            "{result:?}"
        );
    }
    assert_eq!(
        store
            .get(&Key::new("PARTY#1", "PIN"))
            .await
            .unwrap()
            .unwrap()
            .counter("n"),
        0
    );
}

async fn seed(store: &DynamoStore, pk: &str, sort_keys: &[&str]) {
    for sk in sort_keys {
        let mut it = item(pk, sk, json!(sk));
        it.due = Some(IndexKey {
            pk: "DUE#1".into(),
            sk: format!("{sk}#{pk}"),
        });
        store
            .transact(vec![put(it, Condition::NotExists)])
            .await
            .unwrap();
    }
}

fn sort_keys(items: &[Item]) -> Vec<&str> {
    items.iter().map(|i| i.key.sk.as_str()).collect()
}

fn between(from: &str, to: &str, descending: bool) -> Query {
    Query {
        range: SortRange::Between {
            from: from.into(),
            to: to.into(),
        },
        descending,
        ..Query::prefix("AGR#1", "")
    }
}

#[tokio::test]
async fn store_between_edges() {
    let store = new_store().await;
    seed(&store, "AGR#1", &["a", "b", "c", "d"]).await;
    let keys = |page: hims_esign::ports::Page| {
        page.items.into_iter().map(|i| i.key.sk).collect::<Vec<_>>()
    };
    // DynamoDB refuses an empty key value: a range from "" is `< to`.
    assert_eq!(
        keys(store.query(&between("", "c", false)).await.unwrap()),
        ["a", "b"]
    );
    assert_eq!(
        keys(store.query(&between("b", "d", true)).await.unwrap()),
        ["c", "b"]
    );
    let limited = Query {
        limit: 1,
        ..between("b", "d", true)
    };
    let first = store.query(&limited).await.unwrap();
    assert_eq!(sort_keys(&first.items), ["c"]);
    let rest = store
        .query(&Query {
            cursor: first.next,
            ..limited
        })
        .await
        .unwrap();
    assert_eq!((sort_keys(&rest.items), rest.next), (vec!["b"], None));
    assert!(
        store
            .query(&between("c", "c", false))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        store
            .query(&between("d", "a", false))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn store_due_sweep_reads_only_what_is_due() {
    let store = new_store().await;
    seed(&store, "AGR#1", &["2026-01-01", "2026-01-03"]).await;
    seed(&store, "AGR#2", &["2026-01-02", "2026-02-01"]).await;
    let due = Query {
        range: SortRange::Between {
            from: String::new(),
            to: "2026-01-03".into(),
        },
        ..Query::prefix("DUE#1", "")
    };
    let page = store.query_index(Index::Due, &due).await.unwrap();
    let keys: Vec<_> = page
        .items
        .iter()
        .map(|i| (i.key.pk.as_str(), i.key.sk.as_str()))
        .collect();
    assert_eq!(keys, [("AGR#1", "2026-01-01"), ("AGR#2", "2026-01-02")]);
    assert_eq!(store.items_read(), 2);
}

#[tokio::test]
async fn store_rejects_cursors_it_did_not_make() {
    let store = new_store().await;
    seed(&store, "AGR#1", &["a", "b", "c"]).await;
    let first = store
        .query(&Query {
            limit: 1,
            ..Query::prefix("AGR#1", "")
        })
        .await
        .unwrap();
    let table_cursor = first.next.expect("more pages");
    for cursor in ["garbage".to_owned(), "e30".to_owned(), table_cursor.clone()] {
        let on_index = Query {
            cursor: Some(cursor),
            ..Query::prefix("DUE#1", "")
        };
        assert!(store.query_index(Index::Due, &on_index).await.is_err());
    }
    let resumed = store
        .query(&Query {
            cursor: Some(table_cursor),
            ..Query::prefix("AGR#1", "")
        })
        .await
        .unwrap();
    assert_eq!(sort_keys(&resumed.items), ["b", "c"]);
}

// ------------------------------------------------------------------ mail

async fn moto_state() -> serde_json::Value {
    let url = format!("{}/moto-api/data.json", endpoint());
    let response = reqwest::get(url).await.expect("moto state");
    assert!(
        response.status().is_success(),
        "moto state: {}",
        response.status()
    );
    response.json().await.expect("moto state is JSON")
}

#[tokio::test]
async fn mail_comes_from_the_configured_sender() {
    let fixture = ses_mailer().await;
    let email = Email {
        id: unique("outbox"),
        to: "buyer@example.com".into(),
        subject: "Please sign".into(),
        text: "Open the link".into(),
        html: "<p>Open the link</p>".into(),
    };
    let message_id = fixture.mailer.port.send(&email).await.unwrap();
    let state = moto_state().await;
    let sent = find_message(&state, &message_id).expect("sent message in moto");
    assert!(
        sent["source"]
            .as_str()
            .is_some_and(|s| s.starts_with("esign-")),
        "{sent}"
    );
}

#[tokio::test]
async fn mail_from_an_unverified_sender_is_not_sent() {
    let client = aws_sdk_sesv2::Client::new(&sdk().await);
    let mailer = SesMailer::new(client, format!("{}@example.com", unique("nobody")), None);
    let email = Email {
        id: unique("outbox"),
        to: "buyer@example.com".into(),
        subject: "s".into(),
        text: "t".into(),
        html: "h".into(),
    };
    assert!(mailer.send(&email).await.is_err());
}

/// Finds the object with `"id": id` anywhere in moto's state dump.
fn find_message<'a>(value: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
    match value {
        serde_json::Value::Object(map) if map.get("id").and_then(|v| v.as_str()) == Some(id) => {
            Some(value)
        }
        serde_json::Value::Object(map) => map.values().find_map(|v| find_message(v, id)),
        serde_json::Value::Array(items) => items.iter().find_map(|v| find_message(v, id)),
        _ => None,
    }
}

// ------------------------------------------------------------------ wiring

#[tokio::test]
async fn ports_built_from_config_reach_every_service() {
    let sdk = sdk().await;
    let table = unique("hims");
    DynamoStore::create_table(&aws_sdk_dynamodb::Client::new(&sdk), &table)
        .await
        .unwrap();
    let bucket = unique("hims");
    S3Blobs::create_bucket(&S3Blobs::client(&sdk), &bucket)
        .await
        .unwrap();
    let ids = KmsKeys::create_keys(&aws_sdk_kms::Client::new(&sdk))
        .await
        .unwrap();
    let vars = std::collections::HashMap::from([
        (env::TABLE, table),
        (env::BUCKET, bucket),
        (env::CA_KEY_ID, ids.ca),
        (env::TSA_KEY_ID, ids.tsa),
        (env::DATA_KEY_ID, ids.data),
        (env::MAC_KEY_ID, ids.mac),
        (env::MAIL_FROM, "esign@example.com".to_owned()),
    ]);
    let config = AwsConfig::from_lookup(|name| vars.get(name).cloned()).unwrap();
    let ports = build_ports(&sdk, &config);

    ports
        .store
        .transact(vec![put(
            item("AGR#1", "META", json!(1)),
            Condition::NotExists,
        )])
        .await
        .unwrap();
    assert!(
        ports
            .store
            .get(&Key::new("AGR#1", "META"))
            .await
            .unwrap()
            .is_some()
    );
    ports.blobs.put("k", b"v", "text/plain").await.unwrap();
    assert_eq!(ports.blobs.get("k").await.unwrap(), b"v");
    let tag = ports.keys.mac(b"m").await.unwrap();
    assert!(ports.keys.verify_mac(b"m", &tag).await.unwrap());
}
