//! Cursor pagination over DynamoDB queries. A cursor is the query's `LastEvaluatedKey`,
//! base64url-encoded JSON; on the way back in it is checked to lie inside the caller's own
//! partition and item type, so a crafted cursor cannot read another tenant's items.
//! [`merge`] pages a list made of several such queries (a customer's submissions at every
//! company).

pub mod merge;

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

pub const DEFAULT_LIMIT: i32 = 50;
pub const MAX_LIMIT: i32 = 100;
/// The longest key value DynamoDB takes (a sort key's limit; ours are all far shorter).
pub const MAX_KEY_BYTES: usize = 1024;

/// A page request parsed from `?limit=&cursor=`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageRequest {
    pub limit: i32,
    pub cursor: Option<Cursor>,
}

/// The string key attributes of the last item read (`PK`, `SK`, and index keys if any).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor(pub BTreeMap<String, String>);

impl Cursor {
    pub fn encode(&self) -> String {
        encode_json(&self.0)
    }

    pub fn decode(text: &str) -> Result<Self, ApiError> {
        let keys: BTreeMap<String, String> = decode_json(text)?;
        // Never one of ours, and DynamoDB would refuse it as a start key (a 500, not a 400).
        if keys.values().any(|value| value.len() > MAX_KEY_BYTES) {
            return Err(not_valid());
        }
        Ok(Self(keys))
    }

    /// The cursor must hold exactly these key attributes (an extra one would reach
    /// ExclusiveStartKey), each as its rule says.
    pub fn check(&self, rules: &[(&str, Key<'_>)]) -> Result<(), ApiError> {
        let inside = self.0.len() == rules.len()
            && rules.iter().all(|(name, rule)| {
                self.0.get(*name).is_some_and(|value| match rule {
                    Key::Equals(expected) => value == expected,
                    Key::StartsWith(prefix) => value.starts_with(prefix),
                })
            });
        if inside { Ok(()) } else { Err(ApiError::Malformed("cursor is not valid".into())) }
    }
}

/// How every cursor travels: base64url (no padding) of its JSON.
fn encode_json<T: Serialize>(value: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("a cursor serializes"))
}

/// A cursor back from a client: anything that is not one of ours is a 400.
fn decode_json<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| not_valid())?;
    serde_json::from_slice(&bytes).map_err(|_| not_valid())
}

fn not_valid() -> ApiError {
    ApiError::Malformed("cursor is not valid".into())
}

impl PageRequest {
    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> Result<Self, ApiError> {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(text) => match text.parse::<i32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => return Err(ApiError::Invalid(format!("limit: must be a whole number from 1 to {MAX_LIMIT}"))),
            },
        };
        let cursor = cursor.filter(|c| !c.is_empty()).map(Cursor::decode).transpose()?;
        Ok(Self { limit, cursor })
    }
}

/// What a cursor's key attribute must be.
#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    Equals(&'a str),
    StartsWith(&'a str),
}

/// One page of items and the cursor of the next page, if any.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let cursor = Cursor(BTreeMap::from([("PK".into(), "TENANT#a".into()), ("SK".into(), "CONTACT#b".into())]));
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
    }

    #[test]
    fn cursors_outside_the_callers_partition_are_refused() {
        let cursor = Cursor(BTreeMap::from([("PK".into(), "TENANT#other".into()), ("SK".into(), "CONTACT#b".into())]));
        let scope = |partition, prefix| [("PK", Key::Equals(partition)), ("SK", Key::StartsWith(prefix))];
        assert!(cursor.check(&scope("TENANT#mine", "CONTACT#")).is_err());
        assert!(cursor.check(&scope("TENANT#other", "DOC#")).is_err());
        assert!(cursor.check(&scope("TENANT#other", "CONTACT#")).is_ok());
        let mut padded = cursor.clone();
        padded.0.insert("GSI1PK".into(), "TENANT#other".into());
        assert!(padded.check(&scope("TENANT#other", "CONTACT#")).is_err());
    }

    #[test]
    fn cursors_with_keys_longer_than_dynamodb_takes_are_refused() {
        let long = format!("CONTACT#{}", "z".repeat(MAX_KEY_BYTES));
        let cursor = Cursor(BTreeMap::from([("PK".into(), "TENANT#a".into()), ("SK".into(), long)]));
        assert_eq!(Cursor::decode(&cursor.encode()), Err(ApiError::Malformed("cursor is not valid".into())));
    }

    #[test]
    fn limits_and_garbage_are_rejected() {
        assert_eq!(PageRequest::parse(None, None).unwrap().limit, DEFAULT_LIMIT);
        for bad in ["0", "101", "-1", "ten", ""] {
            assert!(PageRequest::parse(Some(bad), None).is_err(), "{bad:?}");
        }
        assert!(PageRequest::parse(None, Some("%%%")).is_err());
        assert!(PageRequest::parse(None, Some("bm90IGpzb24")).is_err());
    }
}
