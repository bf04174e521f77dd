//! The rate-limit counters (`crate::rate_limit`): one item per purpose, email and fixed
//! window, counted atomically and removed by TTL after its window.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{Store, took_effect};
use crate::error::ApiError;
use crate::keys;

impl Store {
    /// Adds one attempt to the counter `pk`/`sk` unless it holds `max` already: `true` if
    /// counted, `false` (nothing written) at the limit. One `UpdateItem`: DynamoDB applies
    /// the condition and the `ADD` atomically, so concurrent attempts never pass more than
    /// `max`. `expires_at` (the window's end, epoch seconds) is the TTL.
    pub async fn count_attempt(&self, pk: String, sk: String, max: u32, expires_at: i64) -> Result<bool, ApiError> {
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
}
