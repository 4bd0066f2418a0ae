//! The AWS adapters against a moto server. Start one with
//! `scripts/moto.sh start` and set `HIMS_TEST_AWS_ENDPOINT`; without it every
//! test fails (never silently passes). Each test makes its own uniquely named
//! table, bucket and keys, so tests run in parallel on one server.

use aws_config::SdkConfig;
use hims_esign::adapters::aws::{
    AwsConfig, DynamoStore, KmsKeys, S3Blobs, SesMailer, build_ports, emulator_sdk_config, env,
};
use hims_esign::ports::{
    BlobError, Blobs, Condition, Email, EncryptionContext, Index, IndexKey, Item, Key, KeyError,
    Keys, Mailer, OsRng, Query, Rng, SortRange, Store, StoreError, Write,
};
use serde_json::json;

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

fn put(item: Item, condition: Condition) -> Write {
    Write::Put { item, condition }
}

fn item(pk: &str, sk: &str, data: serde_json::Value) -> Item {
    Item::new(Key::new(pk, sk), data)
}

// ------------------------------------------------------------------ store

#[tokio::test]
async fn store_put_then_get_returns_the_whole_item_at_version_1() {
    let store = new_store().await;
    let mut it = item(
        "AGR#1",
        "META",
        json!({"serial": "ESPA-1", "big": u64::MAX, "empty": {}}),
    );
    it.counters.insert("pin_failures".into(), 2);
    it.due = Some(IndexKey {
        pk: "DUE#0".into(),
        sk: "2026-01-01T00:00:00Z#AGR#1".into(),
    });
    it.lookup = Some(IndexKey {
        pk: "SERIAL#ESPA-1".into(),
        sk: "-".into(),
    });
    it.expires_at = Some(1_900_000_000);
    store
        .transact(vec![put(it.clone(), Condition::NotExists)])
        .await
        .unwrap();

    let got = store.get(&it.key).await.unwrap().expect("stored");
    assert_eq!(got, Item { version: 1, ..it });
    assert_eq!(store.get(&Key::new("AGR#1", "nope")).await.unwrap(), None);
    assert_eq!(store.items_read(), 1);
}

#[tokio::test]
async fn store_conditions_guard_puts_and_report_the_failing_write() {
    let store = new_store().await;
    let a = item("AGR#1", "META", json!(1));
    store
        .transact(vec![put(a.clone(), Condition::NotExists)])
        .await
        .unwrap();
    let again = store
        .transact(vec![put(a.clone(), Condition::NotExists)])
        .await;
    assert!(
        matches!(again, Err(StoreError::ConditionFailed { index: Some(0) })),
        "{again:?}"
    );

    store
        .transact(vec![put(
            item("AGR#1", "META", json!(2)),
            Condition::Version(1),
        )])
        .await
        .unwrap();
    let stale = store
        .transact(vec![put(
            item("AGR#1", "META", json!(3)),
            Condition::Version(1),
        )])
        .await;
    assert!(
        matches!(stale, Err(StoreError::ConditionFailed { index: Some(0) })),
        "{stale:?}"
    );
    let got = store.get(&a.key).await.unwrap().unwrap();
    assert_eq!((got.version, got.data), (2, json!(2)));

    let missing = store
        .transact(vec![put(
            item("AGR#2", "META", json!(0)),
            Condition::Exists,
        )])
        .await;
    assert!(
        matches!(missing, Err(StoreError::ConditionFailed { index: Some(0) })),
        "{missing:?}"
    );
}

#[tokio::test]
async fn store_transactions_are_all_or_nothing_and_name_the_failing_write() {
    let store = new_store().await;
    let writes = vec![
        put(item("AGR#1", "META", json!("a")), Condition::NotExists),
        Write::Check {
            key: Key::new("AGR#1", "ALWAYS"),
            condition: Condition::None,
        },
        Write::Check {
            key: Key::new("AGR#9", "META"),
            condition: Condition::Exists,
        },
    ];
    let result = store.transact(writes).await;
    assert!(
        matches!(result, Err(StoreError::ConditionFailed { index: Some(2) })),
        "{result:?}"
    );
    assert_eq!(store.get(&Key::new("AGR#1", "META")).await.unwrap(), None);

    store
        .transact(vec![put(
            item("AGR#9", "META", json!("b")),
            Condition::None,
        )])
        .await
        .unwrap();
    let writes = vec![
        put(item("AGR#1", "META", json!("a")), Condition::NotExists),
        Write::Check {
            key: Key::new("AGR#9", "META"),
            condition: Condition::Version(1),
        },
        Write::Delete {
            key: Key::new("AGR#9", "OLD"),
            condition: Condition::None,
        },
    ];
    store.transact(writes).await.unwrap();
    assert!(
        store
            .get(&Key::new("AGR#1", "META"))
            .await
            .unwrap()
            .is_some()
    );
    store.transact(vec![]).await.unwrap();
}

#[tokio::test]
async fn store_puts_keep_stored_counters_and_drop_absent_index_entries() {
    let store = new_store().await;
    let key = Key::new("PARTY#1", "META");
    let mut first = item("PARTY#1", "META", json!({}));
    first.due = Some(IndexKey {
        pk: "DUE#0".into(),
        sk: "2026-01-01T00:00:00Z".into(),
    });
    first.expires_at = Some(5);
    store
        .transact(vec![put(first, Condition::NotExists)])
        .await
        .unwrap();
    let bump = || Write::Increment {
        key: key.clone(),
        counter: "sent".into(),
        by: 1,
        below: None,
    };
    store.transact(vec![bump()]).await.unwrap();
    store.transact(vec![bump()]).await.unwrap();

    store
        .transact(vec![put(
            item("PARTY#1", "META", json!({"n": 1})),
            Condition::Version(1),
        )])
        .await
        .unwrap();
    let got = store.get(&key).await.unwrap().unwrap();
    assert_eq!(
        (
            got.version,
            got.counter("sent"),
            got.due.is_none(),
            got.expires_at
        ),
        (2, 2, true, None)
    );
    let due = store
        .query_index(Index::Due, &Query::prefix("DUE#0", ""))
        .await
        .unwrap();
    assert!(due.items.is_empty());

    let mut reset = got.clone();
    reset.counters.insert("sent".into(), 0);
    store
        .transact(vec![put(reset, Condition::Version(2))])
        .await
        .unwrap();
    assert_eq!(store.get(&key).await.unwrap().unwrap().counter("sent"), 0);
}

#[tokio::test]
async fn store_increment_stops_at_the_bound_and_needs_the_item() {
    let store = new_store().await;
    let key = Key::new("PARTY#1", "PIN");
    let fail = || Write::Increment {
        key: key.clone(),
        counter: "failures".into(),
        by: 1,
        below: Some(3),
    };
    let missing = store.transact(vec![fail()]).await;
    assert!(
        matches!(missing, Err(StoreError::ConditionFailed { index: Some(0) })),
        "{missing:?}"
    );

    store
        .transact(vec![put(
            item("PARTY#1", "PIN", json!({})),
            Condition::NotExists,
        )])
        .await
        .unwrap();
    for _ in 0..3 {
        store.transact(vec![fail()]).await.unwrap();
    }
    let blocked = store.transact(vec![fail()]).await;
    assert!(
        matches!(blocked, Err(StoreError::ConditionFailed { index: Some(0) })),
        "{blocked:?}"
    );
    let got = store.get(&key).await.unwrap().unwrap();
    assert_eq!((got.counter("failures"), got.version), (3, 1));

    let never = Write::Increment {
        key: key.clone(),
        counter: "other".into(),
        by: 1,
        below: Some(0),
    };
    assert!(store.transact(vec![never]).await.is_err());
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

#[tokio::test]
async fn store_queries_by_prefix_and_half_open_range_in_both_orders() {
    let store = new_store().await;
    seed(
        &store,
        "AGR#1",
        &["EV#01", "EV#02", "EV#03", "META", "PARTY#a"],
    )
    .await;

    let events = store.query(&Query::prefix("AGR#1", "EV#")).await.unwrap();
    assert_eq!(sort_keys(&events.items), ["EV#01", "EV#02", "EV#03"]);
    assert!(events.next.is_none());

    let between = |descending| Query {
        range: SortRange::Between {
            from: "EV#02".into(),
            to: "META".into(),
        },
        descending,
        ..Query::prefix("AGR#1", "")
    };
    assert_eq!(
        sort_keys(&store.query(&between(false)).await.unwrap().items),
        ["EV#02", "EV#03"]
    );
    assert_eq!(
        sort_keys(&store.query(&between(true)).await.unwrap().items),
        ["EV#03", "EV#02"]
    );
    let empty = Query {
        range: SortRange::Between {
            from: "Z".into(),
            to: "A".into(),
        },
        ..Query::prefix("AGR#1", "")
    };
    assert!(store.query(&empty).await.unwrap().items.is_empty());

    let all = store
        .query(&Query {
            descending: true,
            ..Query::prefix("AGR#1", "")
        })
        .await
        .unwrap();
    assert_eq!(
        sort_keys(&all.items),
        ["PARTY#a", "META", "EV#03", "EV#02", "EV#01"]
    );
}

#[tokio::test]
async fn store_pages_with_cursors_and_counts_items_read() {
    let store = new_store().await;
    seed(&store, "AGR#1", &["a", "b", "c", "d", "e"]).await;
    let mut query = Query {
        limit: 2,
        ..Query::prefix("AGR#1", "")
    };
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = store.query(&query).await.unwrap();
        pages += 1;
        assert!(page.items.len() <= 2);
        seen.extend(page.items.into_iter().map(|i| i.key.sk));
        match page.next {
            Some(next) => query.cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(
        (seen, pages),
        (
            vec!["a", "b", "c", "d", "e"]
                .into_iter()
                .map(String::from)
                .collect(),
            3
        )
    );
    assert_eq!(store.items_read(), 5);

    let exact = store
        .query(&Query {
            limit: 5,
            ..Query::prefix("AGR#1", "")
        })
        .await
        .unwrap();
    assert_eq!((exact.items.len(), exact.next), (5, None));
    let bad = store
        .query(&Query {
            cursor: Some("garbage".into()),
            ..Query::prefix("AGR#1", "")
        })
        .await;
    assert!(bad.is_err());
}

#[tokio::test]
async fn store_index_queries_read_only_what_is_due() {
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

    let first = store
        .query_index(
            Index::Due,
            &Query {
                limit: 1,
                ..due.clone()
            },
        )
        .await
        .unwrap();
    let rest = store
        .query_index(
            Index::Due,
            &Query {
                limit: 1,
                cursor: first.next,
                ..due
            },
        )
        .await
        .unwrap();
    assert_eq!(sort_keys(&rest.items), ["2026-01-02"]);
    assert!(
        store
            .query_index(Index::Lookup, &Query::prefix("DUE#1", ""))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn store_deletes_under_condition() {
    let store = new_store().await;
    seed(&store, "AGR#1", &["META"]).await;
    let key = Key::new("AGR#1", "META");
    let stale = store
        .transact(vec![Write::Delete {
            key: key.clone(),
            condition: Condition::Version(7),
        }])
        .await;
    assert!(
        matches!(stale, Err(StoreError::ConditionFailed { index: Some(0) })),
        "{stale:?}"
    );
    store
        .transact(vec![Write::Delete {
            key: key.clone(),
            condition: Condition::Version(1),
        }])
        .await
        .unwrap();
    assert_eq!(store.get(&key).await.unwrap(), None);
}

// ------------------------------------------------------------------ blobs

#[tokio::test]
async fn blobs_are_written_once_and_retries_of_the_same_bytes_pass() {
    let blobs = new_blobs().await;
    blobs
        .put("agr/1/rev-0.pdf", b"%PDF-1.7 one", "application/pdf")
        .await
        .unwrap();
    blobs
        .put("agr/1/rev-0.pdf", b"%PDF-1.7 one", "application/pdf")
        .await
        .unwrap();
    let other = blobs
        .put("agr/1/rev-0.pdf", b"%PDF-1.7 two", "application/pdf")
        .await;
    assert!(matches!(other, Err(BlobError::AlreadyExists)), "{other:?}");
    assert_eq!(blobs.get("agr/1/rev-0.pdf").await.unwrap(), b"%PDF-1.7 one");
    assert!(matches!(
        blobs.get("agr/1/rev-9.pdf").await,
        Err(BlobError::NotFound)
    ));
}

#[tokio::test]
async fn blobs_download_url_serves_the_bytes() {
    let blobs = new_blobs().await;
    blobs
        .put("agr/2/rev-1.pdf", b"signed bytes", "application/pdf")
        .await
        .unwrap();
    let url = blobs
        .download_url("agr/2/rev-1.pdf", 300)
        .await
        .unwrap()
        .expect("S3 has URLs");
    assert!(url.contains("X-Amz-Signature="), "{url}");
    let response = reqwest::get(&url).await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"signed bytes");
}

// ------------------------------------------------------------------ keys

#[tokio::test]
async fn keys_ca_signature_verifies_with_the_kms_public_key() {
    use p256::ecdsa::signature::Verifier as _;
    use p256::ecdsa::{Signature, VerifyingKey};
    use p256::pkcs8::DecodePublicKey as _;

    let keys = new_keys().await;
    let message = b"to-be-signed certificate bytes";
    let der = keys.ca_sign(message).await.unwrap();
    let public = VerifyingKey::from_public_key_der(&keys.ca_public_key().await.unwrap()).unwrap();
    let signature = Signature::from_der(&der).unwrap();
    assert!(public.verify(message, &signature).is_ok());
    assert!(public.verify(b"another message", &signature).is_err());
    assert_eq!(
        keys.ca_public_key().await.unwrap(),
        keys.ca_public_key().await.unwrap()
    );
}

fn context(party: &str) -> EncryptionContext {
    EncryptionContext::from([
        ("party".to_owned(), party.to_owned()),
        ("cert".to_owned(), "7".to_owned()),
    ])
}

#[tokio::test]
async fn keys_decrypt_only_under_the_same_encryption_context() {
    let keys = new_keys().await;
    let ciphertext = keys
        .encrypt(b"signer private key", &context("P1"))
        .await
        .unwrap();
    assert!(!ciphertext.windows(6).any(|w| w == b"signer"));
    assert_eq!(
        keys.decrypt(&ciphertext, &context("P1"))
            .await
            .unwrap()
            .as_slice(),
        b"signer private key"
    );
    let other = keys.decrypt(&ciphertext, &context("P2")).await;
    assert!(matches!(other, Err(KeyError::DecryptFailed)), "{other:?}");
    let none = keys.decrypt(&ciphertext, &EncryptionContext::new()).await;
    assert!(matches!(none, Err(KeyError::DecryptFailed)), "{none:?}");
}

#[tokio::test]
async fn keys_mac_verifies_only_its_own_message() {
    let keys = new_keys().await;
    let tag = keys.mac(b"link token").await.unwrap();
    assert_eq!(tag.len(), 32);
    assert!(keys.verify_mac(b"link token", &tag).await.unwrap());
    assert!(!keys.verify_mac(b"link tokem", &tag).await.unwrap());
    let mut flipped = tag.clone();
    flipped[0] ^= 1;
    assert!(!keys.verify_mac(b"link token", &flipped).await.unwrap());
    assert!(!keys.verify_mac(b"link token", &tag[..31]).await.unwrap());
}

// ------------------------------------------------------------------ mail

#[tokio::test]
async fn mail_sent_through_ses_shows_in_moto() {
    let client = aws_sdk_sesv2::Client::new(&sdk().await);
    let from = format!("{}@example.com", unique("esign"));
    SesMailer::create_identity(&client, &from).await.unwrap();
    let mailer = SesMailer::new(client, &from, None);
    let email = Email {
        id: unique("outbox"),
        to: "buyer@example.com".into(),
        subject: unique("Please sign"),
        text: "Open the link".into(),
        html: "<p>Open the link</p>".into(),
    };
    let message_id = mailer.send(&email).await.unwrap();

    let sent: serde_json::Value = reqwest::get(format!("{}/moto-api/data.json", endpoint()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let found = find_message(&sent, &message_id)
        .unwrap_or_else(|| panic!("message {message_id} not in moto"));
    assert_eq!(found["subject"], json!(email.subject));
    assert_eq!(found["source"], json!(from));
    assert_eq!(found["destinations"]["ToAddresses"], json!([email.to]));
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
