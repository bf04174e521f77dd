//! The notification outbox: what must be emailed, recorded in the same transaction as the
//! change it reports, then claimed by one sender at a time (a lease), sent, and marked
//! sent. A repeated or concurrent delivery finds it claimed or sent and sends nothing; a
//! sender that fails releases it for the retry. (A sender that dies after sending and
//! before marking leaves a lease that expires, so the retry may send once more:
//! at-least-once, with that narrow window.)
//!
//! Shares are batched per contact: each share is one small item under the contact
//! (`NOTIFY#SHARES#{contactId}#{entryId}`, time-ordered), and once the oldest is a window
//! old, a delivery takes the batch's lease (`NOTIFY#SHARES#{contactId}`, a fixed-size item),
//! reads the oldest page, emails it, and deletes exactly the items it sent. Nothing grows
//! in one item and no expression grows with the batch: a contact with thousands of pending
//! shares gets them page by page, one email each.

use serde::Deserialize;
use time::OffsetDateTime;

use super::{Item, Store, StoreError, from_item, n, s, took_effect};
use crate::domain::{ContactId, ItemRef, TenantId};
use crate::keys::{self, PK, SK};

/// One item of a share batch.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchedShare {
    pub item: ItemRef,
    pub name: String,
}

/// A pending share as stored: one small item per share, under the contact's batch.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PendingShare {
    #[serde(rename = "SK")]
    sk: String,
    item: ItemRef,
    name: String,
    added_at: i64,
}

/// One page of a contact's pending shares, claimed for sending: the oldest first, at most
/// the page size asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareBatch {
    /// The shares of this page, in the order they were added (an item may be there twice).
    pub items: Vec<BatchedShare>,
    /// More shares wait after this page (they go in the next email).
    pub more: bool,
    /// The sort keys of the page's items: exactly what closing the batch deletes.
    sort_keys: Vec<String>,
    /// The lease's token: only its holder releases it.
    holder: String,
}

/// Whether a batch could be claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchClaim {
    Claimed(ShareBatch),
    /// Its window has not passed yet: try again later.
    NotDue,
    /// Another delivery holds the batch's lease: try again later (it may send only one page).
    Busy,
    /// Nothing to send: no share is pending.
    Nothing,
}

/// How long a pending share is kept if no delivery ever sends it (a message lost for good):
/// long after every retry and the dead-letter queue's redrive window.
const PENDING_SHARE_DAYS: i64 = 30;

/// BatchWriteItem takes at most 25 requests.
const BATCH_WRITE_LIMIT: usize = 25;

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

    /// Adds a share to the contact's pending batch: one new small item (a time-ordered
    /// key), so an append is a constant-size write however many shares are pending.
    pub async fn add_to_share_batch(
        &self,
        tenant: TenantId,
        contact: ContactId,
        share: &BatchedShare,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        // UUID v7: the keys sort by the time they were added, so the oldest come first.
        let entry = uuid::Uuid::now_v7();
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::tenant_key(tenant, keys::pending_share_sk(contact, &entry.to_string()))))
            .update_expression("SET #item = :item, #name = :name, addedAt = :at, #ttl = :ttl")
            .expression_attribute_names("#item", "item")
            .expression_attribute_names("#name", "name")
            .expression_attribute_names("#ttl", keys::TTL_ATTRIBUTE)
            .expression_attribute_values(":item", super::value(&share.item)?)
            .expression_attribute_values(":name", s(share.name.clone()))
            .expression_attribute_values(":at", n(at.unix_timestamp()))
            .expression_attribute_values(":ttl", n((at + time::Duration::days(PENDING_SHARE_DAYS)).unix_timestamp()))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e))?;
        Ok(())
    }

    /// The oldest pending shares of a contact (consistent, ascending), at most `limit`, and
    /// whether more follow.
    async fn pending_shares(
        &self,
        tenant: TenantId,
        contact: ContactId,
        limit: usize,
    ) -> Result<(Vec<PendingShare>, bool), StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(keys::tenant_pk(tenant)))
            .expression_attribute_values(":prefix", s(keys::pending_shares_prefix(contact)))
            .consistent_read(true)
            .scan_index_forward(true)
            .limit(limit.clamp(1, 100) as i32)
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("Query", e))?;
        let more = output.last_evaluated_key.is_some_and(|key| !key.is_empty());
        let items = output.items.unwrap_or_default().into_iter().map(from_item).collect::<Result<Vec<_>, _>>()?;
        Ok((items, more))
    }

    /// Whether a contact has shares waiting for their email.
    pub async fn shares_pending(&self, tenant: TenantId, contact: ContactId) -> Result<bool, StoreError> {
        Ok(!self.pending_shares(tenant, contact, 1).await?.0.is_empty())
    }

    /// Claims the oldest page (at most `page` shares) of the contact's pending shares, if
    /// the oldest was added at least `window_seconds` ago (the batch's window) and no other
    /// delivery holds the batch's lease. Bounded whatever is pending: a query of one item,
    /// the lease, a query of one page.
    pub async fn claim_share_batch(
        &self,
        tenant: TenantId,
        contact: ContactId,
        now: OffsetDateTime,
        window_seconds: i64,
        lease_seconds: i64,
        page: usize,
    ) -> Result<BatchClaim, StoreError> {
        let due_before = now.unix_timestamp() - window_seconds;
        // A look first, so a repeated message (the common case: one per share) costs one read.
        match self.pending_shares(tenant, contact, 1).await?.0.first() {
            None => return Ok(BatchClaim::Nothing),
            Some(oldest) if oldest.added_at > due_before => return Ok(BatchClaim::NotDue),
            Some(_) => {}
        }
        let holder = uuid::Uuid::new_v4().to_string();
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::tenant_key(tenant, keys::share_batch_sk(contact))))
            .update_expression("SET claimedUntil = :until, holder = :holder, #ttl = :ttl")
            .condition_expression("attribute_not_exists(claimedUntil) OR claimedUntil < :now")
            .expression_attribute_names("#ttl", keys::TTL_ATTRIBUTE)
            .expression_attribute_values(":until", n(now.unix_timestamp() + lease_seconds))
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .expression_attribute_values(":holder", s(holder.clone()))
            // The lease item outlives a dead holder by a day at most.
            .expression_attribute_values(":ttl", n(now.unix_timestamp() + lease_seconds + 86_400))
            .send()
            .await;
        if !took_effect("UpdateItem", result)? {
            return Ok(BatchClaim::Busy);
        }
        // Read again under the lease: another delivery may have sent the first look's page.
        let (pending, more) = self.pending_shares(tenant, contact, page).await?;
        let claimed = ShareBatch {
            items: pending.iter().map(|p| BatchedShare { item: p.item, name: p.name.clone() }).collect(),
            more,
            sort_keys: pending.iter().map(|p| p.sk.clone()).collect(),
            holder,
        };
        let outcome = match pending.first() {
            None => BatchClaim::Nothing,
            Some(oldest) if oldest.added_at > due_before => BatchClaim::NotDue,
            Some(_) => return Ok(BatchClaim::Claimed(claimed)),
        };
        self.release_share_batch(tenant, contact, &claimed).await?;
        Ok(outcome)
    }

    /// Closes a sent page: deletes exactly the shares it held (BatchWriteItem, 25 a request,
    /// unprocessed ones asked again a bounded number of times), then gives the lease back.
    /// A share added meanwhile has its own key and stays pending for the next email.
    pub async fn finish_share_batch(
        &self,
        tenant: TenantId,
        contact: ContactId,
        batch: &ShareBatch,
    ) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
        for chunk in batch.sort_keys.chunks(BATCH_WRITE_LIMIT) {
            let mut requests = chunk
                .iter()
                .map(|sk| {
                    let delete = DeleteRequest::builder()
                        .set_key(Some(Self::tenant_key(tenant, sk.clone())))
                        .build()
                        .map_err(|e| StoreError::internal("BatchWriteItem delete", e))?;
                    Ok(WriteRequest::builder().delete_request(delete).build())
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            for _ in 0..5 {
                if requests.is_empty() {
                    break;
                }
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .map_err(|e| StoreError::from_sdk("BatchWriteItem", e))?;
                requests = output.unprocessed_items.and_then(|mut u| u.remove(&self.table)).unwrap_or_default();
            }
            if !requests.is_empty() {
                // The lease expires; the retry sends the unprocessed ones again (at least once).
                return Err(StoreError::Unavailable);
            }
        }
        self.release_share_batch(tenant, contact, batch).await
    }

    /// Gives the batch's lease back (after a send, or a failed one): deletes the lease item
    /// if this delivery still holds it (an expired lease taken over is the new holder's).
    pub async fn release_share_batch(
        &self,
        tenant: TenantId,
        contact: ContactId,
        batch: &ShareBatch,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::tenant_key(tenant, keys::share_batch_sk(contact))))
            .condition_expression("holder = :holder")
            .expression_attribute_values(":holder", s(batch.holder.clone()))
            .send()
            .await;
        took_effect("DeleteItem", result).map(|_| ())
    }
}
