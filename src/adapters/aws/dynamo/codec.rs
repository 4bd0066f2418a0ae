//! The item layout in the table and the expressions that write it.
//!
//! `pk`, `sk` (S) key; `v` (N) version; `d` (S) the JSON document; `c_<name>`
//! (N) one attribute per counter; `due_pk`/`due_sk` and `lookup_pk`/`lookup_sk`
//! (S) the index entries; `ttl` (N) the expiry. `d` is a JSON string, not a
//! map: it round-trips any `serde_json::Value` exactly (integers beyond 2^53,
//! empty strings and objects, key order) and costs no conversion; nothing in
//! the design filters or projects inside the document.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::ports::{Condition, Index, IndexKey, Item, Key, StoreError};

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const VERSION: &str = "v";
pub const DATA: &str = "d";
pub const COUNTER_PREFIX: &str = "c_";
pub const DUE_PK: &str = "due_pk";
pub const DUE_SK: &str = "due_sk";
pub const LOOKUP_PK: &str = "lookup_pk";
pub const LOOKUP_SK: &str = "lookup_sk";
pub const TTL: &str = "ttl";

pub const DUE_INDEX: &str = "by_due";
pub const LOOKUP_INDEX: &str = "by_lookup";

pub type Attributes = HashMap<String, AttributeValue>;

/// The partition and sort attributes of the table (`None`) or of an index.
pub fn key_attributes(index: Option<Index>) -> (&'static str, &'static str) {
    match index {
        None => (PK, SK),
        Some(Index::Due) => (DUE_PK, DUE_SK),
        Some(Index::Lookup) => (LOOKUP_PK, LOOKUP_SK),
    }
}

pub fn index_name(index: Index) -> &'static str {
    match index {
        Index::Due => DUE_INDEX,
        Index::Lookup => LOOKUP_INDEX,
    }
}

pub fn key_attributes_of(key: &Key) -> Attributes {
    HashMap::from([
        (PK.to_owned(), AttributeValue::S(key.pk.clone())),
        (SK.to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

/// Placeholders for the names and values of one expression. Every attribute
/// name goes through a placeholder, so reserved words (`ttl`) and arbitrary
/// counter names are safe.
#[derive(Debug, Default)]
pub struct Placeholders {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Placeholders {
    pub fn name(&mut self, attribute: &str) -> String {
        if let Some((placeholder, _)) = self.names.iter().find(|(_, a)| a.as_str() == attribute) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), attribute.to_owned());
        placeholder
    }

    pub fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    /// The maps as the SDK wants them: absent when empty (DynamoDB rejects
    /// empty maps).
    pub fn into_maps(self) -> (Option<HashMap<String, String>>, Option<Attributes>) {
        let names = (!self.names.is_empty()).then_some(self.names);
        let values = (!self.values.is_empty()).then_some(self.values);
        (names, values)
    }
}

fn number(n: impl ToString) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

/// The condition expression for `condition`, `None` when it always holds.
pub fn condition_expression(condition: &Condition, p: &mut Placeholders) -> Option<String> {
    match condition {
        Condition::None => None,
        Condition::NotExists => Some(format!("attribute_not_exists({})", p.name(PK))),
        Condition::Exists => Some(format!("attribute_exists({})", p.name(PK))),
        Condition::Version(v) => Some(format!("{} = {}", p.name(VERSION), p.value(number(v)))),
    }
}

/// The update that writes `item` whole while keeping counters it does not
/// name: SET version + 1, document, given counters, index entries and expiry;
/// REMOVE the index entries and expiry the item does not have.
pub fn put_update_expression(item: &Item, p: &mut Placeholders) -> Result<String, StoreError> {
    let data = serde_json::to_string(&item.data)
        .map_err(|e| StoreError::Unavailable(format!("document does not serialise: {e}")))?;
    let version = p.name(VERSION);
    let (zero, one) = (p.value(number(0)), p.value(number(1)));
    let mut set = vec![
        format!("{version} = if_not_exists({version}, {zero}) + {one}"),
        format!("{} = {}", p.name(DATA), p.value(AttributeValue::S(data))),
    ];
    let mut remove = Vec::new();
    for (name, value) in &item.counters {
        set.push(format!(
            "{} = {}",
            p.name(&counter_attribute(name)),
            p.value(number(value))
        ));
    }
    for (entry, (pk_attr, sk_attr)) in [
        (&item.due, (DUE_PK, DUE_SK)),
        (&item.lookup, (LOOKUP_PK, LOOKUP_SK)),
    ] {
        match entry {
            Some(entry) => {
                set.push(format!(
                    "{} = {}",
                    p.name(pk_attr),
                    p.value(AttributeValue::S(entry.pk.clone()))
                ));
                set.push(format!(
                    "{} = {}",
                    p.name(sk_attr),
                    p.value(AttributeValue::S(entry.sk.clone()))
                ));
            }
            None => remove.extend([p.name(pk_attr), p.name(sk_attr)]),
        }
    }
    match item.expires_at {
        Some(at) => set.push(format!("{} = {}", p.name(TTL), p.value(number(at)))),
        None => remove.push(p.name(TTL)),
    }
    let mut expression = format!("SET {}", set.join(", "));
    if !remove.is_empty() {
        expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
    }
    Ok(expression)
}

/// `ADD` to a counter of an existing item, guarded by `below`. A missing
/// counter counts as 0, so it passes the guard only when `0 < below`.
pub fn increment_expressions(
    counter: &str,
    by: i64,
    below: Option<i64>,
    p: &mut Placeholders,
) -> (String, String) {
    let attribute = p.name(&counter_attribute(counter));
    let update = format!("ADD {attribute} {}", p.value(number(by)));
    let exists = format!("attribute_exists({})", p.name(PK));
    let condition = match below {
        None => exists,
        Some(below) => {
            let lower = format!("{attribute} < {}", p.value(number(below)));
            if below > 0 {
                format!("{exists} AND (attribute_not_exists({attribute}) OR {lower})")
            } else {
                format!("{exists} AND {lower}")
            }
        }
    };
    (update, condition)
}

pub fn counter_attribute(name: &str) -> String {
    format!("{COUNTER_PREFIX}{name}")
}

fn malformed(attribute: &str) -> StoreError {
    StoreError::Unavailable(format!(
        "stored item has a malformed `{attribute}` attribute"
    ))
}

fn string<'a>(attrs: &'a Attributes, attribute: &str) -> Result<Option<&'a String>, StoreError> {
    match attrs.get(attribute) {
        None => Ok(None),
        Some(AttributeValue::S(s)) => Ok(Some(s)),
        Some(_) => Err(malformed(attribute)),
    }
}

fn required_string<'a>(attrs: &'a Attributes, attribute: &str) -> Result<&'a String, StoreError> {
    string(attrs, attribute)?.ok_or_else(|| malformed(attribute))
}

fn parse_number<T: std::str::FromStr>(
    value: &AttributeValue,
    attribute: &str,
) -> Result<T, StoreError> {
    match value {
        AttributeValue::N(n) => n.parse().map_err(|_| malformed(attribute)),
        _ => Err(malformed(attribute)),
    }
}

fn index_entry(
    attrs: &Attributes,
    pk_attr: &str,
    sk_attr: &str,
) -> Result<Option<IndexKey>, StoreError> {
    match (string(attrs, pk_attr)?, string(attrs, sk_attr)?) {
        (Some(pk), Some(sk)) => Ok(Some(IndexKey {
            pk: pk.clone(),
            sk: sk.clone(),
        })),
        (None, None) => Ok(None),
        _ => Err(malformed(pk_attr)),
    }
}

pub fn decode_item(attrs: &Attributes) -> Result<Item, StoreError> {
    let key = Key::new(
        required_string(attrs, PK)?.as_str(),
        required_string(attrs, SK)?.as_str(),
    );
    let version = attrs
        .get(VERSION)
        .map(|v| parse_number(v, VERSION))
        .transpose()?
        .unwrap_or(0);
    // An item made only by counters' ADD cannot exist (ADD needs the item), but
    // tolerate a missing document rather than fail every read of it.
    let data = match string(attrs, DATA)? {
        Some(json) => serde_json::from_str(json).map_err(|_| malformed(DATA))?,
        None => serde_json::Value::Null,
    };
    let mut counters = BTreeMap::new();
    for (attribute, value) in attrs {
        if let Some(name) = attribute.strip_prefix(COUNTER_PREFIX) {
            counters.insert(name.to_owned(), parse_number(value, attribute)?);
        }
    }
    Ok(Item {
        key,
        version,
        data,
        counters,
        due: index_entry(attrs, DUE_PK, DUE_SK)?,
        lookup: index_entry(attrs, LOOKUP_PK, LOOKUP_SK)?,
        expires_at: attrs.get(TTL).map(|v| parse_number(v, TTL)).transpose()?,
    })
}

fn bad_cursor() -> StoreError {
    StoreError::Invalid("the query cursor is not valid".to_owned())
}

/// The cursor that continues a query after `attrs`: its table key plus, for an
/// index query, its index key (what DynamoDB's `ExclusiveStartKey` needs).
pub fn encode_cursor(attrs: &Attributes, index: Option<Index>) -> Result<String, StoreError> {
    let (index_pk, index_sk) = key_attributes(index);
    let mut key = BTreeMap::new();
    for attribute in [PK, SK, index_pk, index_sk] {
        key.insert(attribute, required_string(attrs, attribute)?.as_str());
    }
    let json = serde_json::to_vec(&key).map_err(|_| bad_cursor())?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

pub fn decode_cursor(cursor: &str, index: Option<Index>) -> Result<Attributes, StoreError> {
    let json = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad_cursor())?;
    let key: BTreeMap<String, String> = serde_json::from_slice(&json).map_err(|_| bad_cursor())?;
    let (index_pk, index_sk) = key_attributes(index);
    let allowed = [PK, SK, index_pk, index_sk];
    let expected_len = if index.is_some() { 4 } else { 2 };
    if key.len() != expected_len || key.keys().any(|k| !allowed.contains(&k.as_str())) {
        return Err(bad_cursor());
    }
    Ok(key
        .into_iter()
        .map(|(k, v)| (k, AttributeValue::S(v)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Item {
        let mut item = Item::new(
            Key::new("AGR#1", "META"),
            serde_json::json!({"big": u64::MAX, "e": "", "o": {}}),
        );
        item.counters.insert("pin_failures".into(), 2);
        item.due = Some(IndexKey {
            pk: "DUE#3".into(),
            sk: "2026-01-01T00:00:00Z#AGR#1".into(),
        });
        item.expires_at = Some(1_800_000_000);
        item
    }

    /// What DynamoDB would store after the put expression on an empty item.
    fn stored(item: &Item) -> Attributes {
        let mut attrs = key_attributes_of(&item.key);
        attrs.insert(VERSION.into(), number(1));
        attrs.insert(DATA.into(), AttributeValue::S(item.data.to_string()));
        for (name, value) in &item.counters {
            attrs.insert(counter_attribute(name), number(value));
        }
        if let Some(due) = &item.due {
            attrs.insert(DUE_PK.into(), AttributeValue::S(due.pk.clone()));
            attrs.insert(DUE_SK.into(), AttributeValue::S(due.sk.clone()));
        }
        if let Some(at) = item.expires_at {
            attrs.insert(TTL.into(), number(at));
        }
        attrs
    }

    #[test]
    fn decodes_what_the_layout_stores() {
        let item = sample();
        let decoded = decode_item(&stored(&item)).unwrap();
        assert_eq!(decoded, Item { version: 1, ..item });
    }

    #[test]
    fn put_expression_sets_present_and_removes_absent_entries() {
        let item = sample();
        let mut p = Placeholders::default();
        let expression = put_update_expression(&item, &mut p).unwrap();
        let (names, _) = p.into_maps();
        let names = names.unwrap();
        let placeholder = |attr: &str| {
            names
                .iter()
                .find(|(_, a)| a.as_str() == attr)
                .map(|(p, _)| p.clone())
                .unwrap()
        };
        let (set, remove) = expression.split_once(" REMOVE ").unwrap();
        assert!(set.contains(&format!("{} =", placeholder("c_pin_failures"))));
        assert!(set.contains(&format!("{} =", placeholder(DUE_PK))));
        assert!(
            remove.contains(&placeholder(LOOKUP_PK)) && remove.contains(&placeholder(LOOKUP_SK))
        );
        assert!(!remove.contains(&placeholder(TTL)));
    }

    #[test]
    fn malformed_items_are_errors_not_panics() {
        let mut attrs = stored(&sample());
        attrs.insert(VERSION.into(), AttributeValue::S("x".into()));
        assert!(matches!(
            decode_item(&attrs),
            Err(StoreError::Unavailable(_))
        ));
        let mut attrs = stored(&sample());
        attrs.remove(DUE_SK);
        assert!(decode_item(&attrs).is_err());
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let attrs = stored(&sample());
        let cursor = encode_cursor(&attrs, Some(Index::Due)).unwrap();
        let key = decode_cursor(&cursor, Some(Index::Due)).unwrap();
        assert_eq!(key.len(), 4);
        assert_eq!(key.get(DUE_SK), attrs.get(DUE_SK));
        assert!(decode_cursor(&cursor, None).is_err());
        assert!(decode_cursor("not base64!", None).is_err());
        assert!(
            decode_cursor(&URL_SAFE_NO_PAD.encode(b"{\"d\":\"x\",\"pk\":\"a\"}"), None).is_err()
        );
    }
}
