//! Seeding many items at once, for the growth benchmark and its test: each item built by
//! its entity's own constructor (the keys, index keys and attributes the app's writes
//! produce), written with `BatchWriteItem` (25 items a request, several requests in
//! flight) instead of one transaction each, so that 100,000 items take seconds to a
//! minute on the emulator. No condition and no activity entry: a seeded item stands for
//! what a company accumulated over time, not for one change. Never called by a function.

use super::{Item, Store, StoreError, sent, to_item};
use crate::domain::{TenantId, UserSub};
use crate::keys::{self, PK, SK};
use crate::model::{ActivityEvent, Contact, CustomerLink, Document, Folder, Organization, Share, Tenant};

/// One thing to seed, with the items the app keeps for it.
#[derive(Debug, Clone)]
pub enum Seed {
    /// The company's profile and its slug's guard.
    Tenant(Tenant),
    /// The contact and its email guard.
    Contact(TenantId, Contact),
    Organization(TenantId, Organization),
    Folder(TenantId, Folder),
    Document(Document),
    Share(TenantId, Share),
    Event(TenantId, ActivityEvent),
    /// A customer account's link to a company's contact (what registering writes).
    CustomerLink(UserSub, CustomerLink),
}

/// How many `BatchWriteItem` requests are in flight at once.
const IN_FLIGHT: usize = 8;

/// The keys of seeded items, to delete them afterwards.
pub type SeededKey = (String, String);

impl Seed {
    fn items(&self) -> Result<Vec<Item>, StoreError> {
        Ok(match self {
            Self::Tenant(tenant) => vec![Store::profile_item(tenant)?, Store::slug_guard(tenant, None)?],
            Self::Contact(tenant, contact) => {
                vec![Store::contact_item(*tenant, contact)?, Store::email_guard(*tenant, contact)?]
            }
            Self::Organization(tenant, organization) => vec![Store::organization_item(*tenant, organization)?],
            Self::Folder(tenant, folder) => vec![Store::folder_item(*tenant, folder)?],
            Self::Document(document) => vec![Store::document_item(document)?],
            Self::Share(tenant, share) => vec![Store::share_item(*tenant, share, None)?],
            Self::Event(tenant, event) => vec![Store::event_item(*tenant, event)?],
            // As `Store::activate` writes it.
            Self::CustomerLink(sub, link) => vec![to_item(
                link,
                &[(PK, keys::user_pk(sub)), (SK, keys::customer_link_sk(link.tenant_id, link.contact_id))],
            )?],
        })
    }
}

fn key_of(item: &Item) -> SeededKey {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
    (text(PK), text(SK))
}

impl Store {
    /// Writes every seed's items; returns their keys.
    pub async fn seed(&self, seeds: &[Seed]) -> Result<Vec<SeededKey>, StoreError> {
        use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
        let mut items = Vec::new();
        for seed in seeds {
            items.extend(seed.items()?);
        }
        let keys: Vec<SeededKey> = items.iter().map(key_of).collect();
        let requests = items.into_iter().map(|item| {
            PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map(|put| WriteRequest::builder().put_request(put).build())
                .map_err(|e| StoreError::internal("PutRequest", e))
        });
        self.seed_writes(requests.collect::<Result<_, _>>()?).await?;
        Ok(keys)
    }

    /// Deletes seeded items by their keys.
    pub async fn unseed(&self, keys: &[SeededKey]) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
        let mut unique = keys.to_vec();
        unique.sort();
        unique.dedup();
        let requests = unique.into_iter().map(|(pk, sk)| {
            DeleteRequest::builder()
                .set_key(Some(Self::key(pk, sk)))
                .build()
                .map(|delete| WriteRequest::builder().delete_request(delete).build())
                .map_err(|e| StoreError::internal("DeleteRequest", e))
        });
        self.seed_writes(requests.collect::<Result<_, _>>()?).await
    }

    /// `requests` in `BatchWriteItem`s of 25, a few in flight; unprocessed items (throttling)
    /// are sent again, a bounded number of times.
    async fn seed_writes(&self, requests: Vec<aws_sdk_dynamodb::types::WriteRequest>) -> Result<(), StoreError> {
        let mut running = tokio::task::JoinSet::new();
        for chunk in requests.chunks(25).map(<[_]>::to_vec) {
            if running.len() >= IN_FLIGHT
                && let Some(done) = running.join_next().await
            {
                done.map_err(|e| StoreError::internal("seeding task", e))??;
            }
            let store = self.clone();
            running.spawn(async move { store.write_chunk(chunk).await });
        }
        while let Some(done) = running.join_next().await {
            done.map_err(|e| StoreError::internal("seeding task", e))??;
        }
        Ok(())
    }

    /// One `BatchWriteItem` of at most 25 requests; unprocessed ones (throttling) are sent
    /// again, a bounded number of times.
    pub(super) async fn write_chunk(
        &self,
        mut pending: Vec<aws_sdk_dynamodb::types::WriteRequest>,
    ) -> Result<(), StoreError> {
        for _ in 0..8 {
            if pending.is_empty() {
                return Ok(());
            }
            let output = sent(
                "BatchWriteItem",
                self.client.batch_write_item().request_items(&self.table, pending).send().await,
            )?;
            pending = output.unprocessed_items.and_then(|mut u| u.remove(&self.table)).unwrap_or_default();
        }
        if pending.is_empty() { Ok(()) } else { Err(StoreError::Unavailable) }
    }
}
