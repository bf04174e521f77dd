//! Listings ask DynamoDB only for the attributes their items are read from. An item also
//! carries its table and index keys (`PK`, `SK`, `GSI1PK`, …: about a third of its
//! attributes and half its bytes), which a listing never reads, and parsing the answer
//! into attribute maps is most of what a page costs the function (`docs/performance.md`).

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};

use super::StoreError;
use super::{Item, from_item};

/// The attribute names a `T` is read from: the field names its `Deserialize` gives to
/// `deserialize_struct` (serde's names, after `rename_all`). `None` when `T` is not read as
/// a plain struct (an enum, a map, a struct with `#[serde(flatten)]`): then it is read
/// from the whole item.
pub(super) fn attributes_of<T: DeserializeOwned>() -> Option<&'static [&'static str]> {
    match T::deserialize(FieldNames) {
        Err(Asked(fields)) => fields,
        Ok(_) => None,
    }
}

/// How a listing reads its items: which attributes to ask for (`None`: all of them) and
/// how to turn one item into a `T`.
pub(super) struct ItemReader<T> {
    pub attributes: Option<Vec<&'static str>>,
    pub read: fn(Item) -> Result<T, StoreError>,
}

impl<T: DeserializeOwned> ItemReader<T> {
    /// Items read as `T` (`from_item`), asking only for `T`'s attributes.
    pub fn of() -> Self {
        Self { attributes: attributes_of::<T>().map(<[_]>::to_vec), read: from_item }
    }
}

/// Asks only for `attributes` (each through a placeholder: many are reserved words, such
/// as `name`, `size` and `status`).
pub(super) fn project(mut query: QueryFluentBuilder, attributes: &[&str]) -> QueryFluentBuilder {
    let mut expression = String::new();
    for (index, attribute) in attributes.iter().enumerate() {
        let placeholder = format!("#a{index}");
        if index > 0 {
            expression.push_str(", ");
        }
        expression.push_str(&placeholder);
        query = query.expression_attribute_names(placeholder, *attribute);
    }
    query.projection_expression(expression)
}

/// A deserializer that only records what it is asked for.
struct FieldNames;

/// Its answer, as an error: the struct's field names, or `None` (asked for anything else).
#[derive(Debug)]
struct Asked(Option<&'static [&'static str]>);

impl std::fmt::Display for Asked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field names asked for")
    }
}

impl std::error::Error for Asked {}

impl de::Error for Asked {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Asked(None)
    }
}

impl<'de> Deserializer<'de> for FieldNames {
    type Error = Asked;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Asked> {
        Err(Asked(None))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Asked> {
        Err(Asked(Some(fields)))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde::Deserialize;

    use super::*;
    use crate::model::{ActivityEvent, Document};

    #[test]
    fn a_struct_is_read_from_its_serde_field_names() {
        let document = attributes_of::<Document>().expect("a plain struct");
        for name in
            ["id", "tenantId", "name", "contentType", "size", "status", "folderId", "createdAt", "rejectedReason"]
        {
            assert!(document.contains(&name), "{name} missing from {document:?}");
        }
        assert!(!document.iter().any(|name| name.starts_with("GSI") || *name == "PK" || *name == "SK"));
        let event = attributes_of::<ActivityEvent>().expect("a plain struct");
        assert!(event.contains(&"actor") && event.contains(&"itemName"), "{event:?}");
    }

    #[test]
    fn what_is_not_a_plain_struct_is_read_whole() {
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Flattened {
            id: String,
            #[serde(flatten)]
            rest: HashMap<String, String>,
        }
        assert_eq!(attributes_of::<Flattened>(), None);
        assert_eq!(attributes_of::<HashMap<String, String>>(), None);
        assert_eq!(attributes_of::<String>(), None);
    }
}
