//! The rate-limit counters (`crate::rate_limit`): per purpose and fixed window, one item per
//! email (its total and each source's own count) and one per source; counted atomically and
//! removed by TTL after their window.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{Store, StoreError, took_effect};
use crate::keys;

impl Store {
    /// Adds one attempt to the counter `pk`/`sk` unless it holds `max` already: `true` if
    /// counted, `false` (nothing written) at the limit. One `UpdateItem`: DynamoDB applies
    /// the condition and the `ADD` atomically, so concurrent attempts never pass more than
    /// `max`. `expires_at` (the window's end, epoch seconds) is the TTL.
    pub async fn count_attempt(&self, pk: String, sk: String, max: u32, expires_at: i64) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .update_expression("ADD attempts :one SET #ttl = :ttl")
            .condition_expression("attribute_not_exists(attempts) OR attempts < :max")
            .expression_attribute_names("#ttl", keys::TTL_ATTRIBUTE)
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":max", AttributeValue::N(max.to_string()))
            .expression_attribute_values(":ttl", AttributeValue::N(expires_at.to_string()))
            .send()
            .await;
        took_effect("UpdateItem", result)
    }

    /// Adds one attempt of one source to an email's counter `pk`/`sk`: to the email's total
    /// (`attempts`, at most `per_email`) and to the source's own count (the attribute
    /// `source`, at most `per_source`), both or neither. `true` if counted, `false`
    /// (nothing written) when either is at its limit. One `UpdateItem`, so both conditions
    /// and both `ADD`s are applied atomically.
    pub async fn count_email_attempt(
        &self,
        pk: &str,
        sk: &str,
        source: &str,
        (per_source, per_email): (u32, u32),
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk.to_owned(), sk.to_owned())))
            .update_expression("ADD attempts :one, #source :one SET #ttl = :ttl")
            .condition_expression(
                "(attribute_not_exists(attempts) OR attempts < :email) \
                 AND (attribute_not_exists(#source) OR #source < :source)",
            )
            .expression_attribute_names("#source", source)
            .expression_attribute_names("#ttl", keys::TTL_ATTRIBUTE)
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":email", AttributeValue::N(per_email.to_string()))
            .expression_attribute_values(":source", AttributeValue::N(per_source.to_string()))
            .expression_attribute_values(":ttl", AttributeValue::N(expires_at.to_string()))
            .send()
            .await;
        took_effect("UpdateItem", result)
    }

    /// Takes back one attempt [`count_email_attempt`](Self::count_email_attempt) counted
    /// (the attempt was then refused by another limit). Never creates the item, never goes
    /// below zero.
    pub async fn uncount_email_attempt(&self, pk: &str, sk: &str, source: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk.to_owned(), sk.to_owned())))
            .update_expression("ADD attempts :minus, #source :minus")
            .condition_expression("attempts > :zero AND #source > :zero")
            .expression_attribute_names("#source", source)
            .expression_attribute_values(":minus", AttributeValue::N("-1".into()))
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .send()
            .await;
        took_effect("UpdateItem", result).map(|_| ())
    }
}
