//! The notification outbox: what must be emailed, recorded in the same transaction as the
//! change it reports, then claimed by one sender at a time (a lease), sent, and marked
//! sent. A repeated or concurrent delivery finds it claimed or sent and sends nothing; a
//! sender that fails releases it for the retry. (A sender that dies after sending and
//! before marking leaves a lease that expires, so the retry may send once more:
//! at-least-once, with that narrow window.)
//!
//! Shares are batched per contact: each share appends to the contact's open batch, and
//! the batch is sent once its window has passed since it opened.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use serde::Deserialize;
use time::OffsetDateTime;

use super::{Item, Store, StoreError, condition_failed, from_item, n, s, sent, took_effect};
use crate::domain::{ContactId, ItemRef, TenantId};
use crate::keys::{self, PK, SK};

/// One item of a share batch.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchedShare {
    pub item: ItemRef,
    pub name: String,
}

/// A contact's share batch, claimed for sending.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareBatch {
    #[serde(default)]
    pub items: Vec<BatchedShare>,
    pub version: u64,
}

/// Whether a batch could be claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchClaim {
    Claimed(ShareBatch),
    /// Its window has not passed yet: try again later.
    NotDue,
    /// Nothing to send (sent already, or being sent by another delivery).
    Nothing,
}

impl Store {
    /// The item of a notification to send, put new in the transaction of its change.
    pub(super) fn notification_item(tenant: TenantId, key: &str, kind: &str) -> Item {
        Item::from([
            (PK.to_owned(), s(keys::tenant_pk(tenant))),
            (SK.to_owned(), s(keys::notification_sk(key))),
            ("kind".to_owned(), s(kind)),
        ])
    }

    /// Takes the lease on an unsent notification: `false` if there is none, it was sent,
    /// or another delivery holds a live lease.
    pub async fn claim_notification(
        &self,
        tenant: TenantId,
        key: &str,
        now: OffsetDateTime,
        lease_seconds: i64,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::tenant_key(tenant, keys::notification_sk(key))))
            .update_expression("SET claimedUntil = :until")
            .condition_expression(
                "attribute_exists(#pk) AND attribute_not_exists(sentAt) \
                 AND (attribute_not_exists(claimedUntil) OR claimedUntil < :now)",
            )
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":until", n(now.unix_timestamp() + lease_seconds))
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .send()
            .await;
        took_effect("UpdateItem", result)
    }

    /// Marks a claimed notification sent (kept a month for the record, then TTL).
    pub async fn finish_notification(&self, tenant: TenantId, key: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::tenant_key(tenant, keys::notification_sk(key))))
            .update_expression("SET sentAt = :at, #ttl = :ttl REMOVE claimedUntil")
            .expression_attribute_names("#ttl", keys::TTL_ATTRIBUTE)
            .expression_attribute_values(":at", n(at.unix_timestamp()))
            .expression_attribute_values(":ttl", n((at + time::Duration::days(30)).unix_timestamp()))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e))?;
        Ok(())
    }

    /// Gives a claimed notification back (its sending failed; the retry claims it again).
    pub async fn release_notification(&self, tenant: TenantId, key: &str) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::tenant_key(tenant, keys::notification_sk(key))))
            .update_expression("REMOVE claimedUntil")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e))?;
        Ok(())
    }

    /// Whether a notification was sent (`None`: there is no such notification).
    pub async fn notification_sent(&self, tenant: TenantId, key: &str) -> Result<Option<bool>, StoreError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Outbox {
            sent_at: Option<i64>,
        }
        let outbox: Option<Outbox> = self.get(keys::tenant_pk(tenant), keys::notification_sk(key)).await?;
        Ok(outbox.map(|o| o.sent_at.is_some()))
    }

    /// Adds a share to the contact's open batch (opening it if there is none).
    pub async fn add_to_share_batch(
        &self,
        tenant: TenantId,
        contact: ContactId,
        share: &BatchedShare,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let entry = super::value(share)?;
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::tenant_key(tenant, keys::share_batch_sk(contact))))
            .update_expression(
                "SET #items = list_append(if_not_exists(#items, :empty), :new), \
                 openedAt = if_not_exists(openedAt, :at), version = if_not_exists(version, :zero) + :one",
            )
            .expression_attribute_names("#items", "items")
            .expression_attribute_values(":empty", AttributeValue::L(Vec::new()))
            .expression_attribute_values(":new", AttributeValue::L(vec![entry]))
            .expression_attribute_values(":at", n(at.unix_timestamp()))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e))?;
        Ok(())
    }

    /// Claims the contact's batch if its window (`window_seconds` since it opened) has
    /// passed and no other delivery holds it.
    pub async fn claim_share_batch(
        &self,
        tenant: TenantId,
        contact: ContactId,
        now: OffsetDateTime,
        window_seconds: i64,
        lease_seconds: i64,
    ) -> Result<BatchClaim, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::tenant_key(tenant, keys::share_batch_sk(contact))))
            .update_expression("SET claimedUntil = :until")
            .condition_expression(
                "attribute_exists(#pk) AND openedAt <= :opened_before \
                 AND (attribute_not_exists(claimedUntil) OR claimedUntil < :now)",
            )
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":until", n(now.unix_timestamp() + lease_seconds))
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .expression_attribute_values(":opened_before", n(now.unix_timestamp() - window_seconds))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Err(err) if condition_failed(&err) => {
                #[derive(Deserialize)]
                #[serde(rename_all = "camelCase")]
                struct Open {
                    opened_at: i64,
                    claimed_until: Option<i64>,
                }
                let open: Option<Open> = self.get(keys::tenant_pk(tenant), keys::share_batch_sk(contact)).await?;
                Ok(match open {
                    Some(open)
                        if open.claimed_until.is_none() && open.opened_at > now.unix_timestamp() - window_seconds =>
                    {
                        BatchClaim::NotDue
                    }
                    _ => BatchClaim::Nothing,
                })
            }
            result => Ok(BatchClaim::Claimed(from_item(sent("UpdateItem", result)?.attributes.unwrap_or_default())?)),
        }
    }

    /// Closes a sent batch: deleted if nothing was added meanwhile; otherwise only the sent
    /// items are removed and the rest wait for their own delivery (the batch stays due).
    pub async fn finish_share_batch(
        &self,
        tenant: TenantId,
        contact: ContactId,
        batch: &ShareBatch,
    ) -> Result<(), StoreError> {
        let key = Self::tenant_key(tenant, keys::share_batch_sk(contact));
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key.clone()))
            .condition_expression("version = :version")
            .expression_attribute_values(":version", n(batch.version as i64))
            .send()
            .await;
        // A changed version: items were added meanwhile.
        if !took_effect("DeleteItem", result)? {
            let removed: Vec<String> = (0..batch.items.len()).map(|i| format!("#items[{i}]")).collect();
            let expression = if removed.is_empty() {
                "REMOVE claimedUntil".to_owned()
            } else {
                format!("REMOVE {}, claimedUntil", removed.join(", "))
            };
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key))
                .update_expression(expression)
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#items", "items")
                .send()
                .await;
            took_effect("UpdateItem", result)?;
        }
        Ok(())
    }

    /// Gives a claimed batch back after a failed send (never re-creating a deleted one).
    pub async fn release_share_batch(&self, tenant: TenantId, contact: ContactId) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::tenant_key(tenant, keys::share_batch_sk(contact))))
            .update_expression("REMOVE claimedUntil")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        took_effect("UpdateItem", result).map(|_| ())
    }
}
