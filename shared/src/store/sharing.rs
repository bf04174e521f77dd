//! Shares: one item per (contact, shared item) in the tenant's partition, listed per
//! contact (`begins_with(SK, 'SHARE#{contact}#')`) and per item (GSI1). An expiring share
//! carries the TTL attribute; reads hide it from the instant it expires.

use super::drive::read_entry;
use super::projection::ItemReader;
use super::{
    Clash, Entity, Expr, Index, Store, StoreError, Transaction, conditional, expire_at, from_item, n, s, to_item,
    took_effect,
};
use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};

use super::organizations::{OrganizationShare, organization_share_sk};
use crate::domain::{ContactId, ItemId, ItemRef, OrganizationId, TenantId};
use crate::jobs::SharesOf;
use crate::keys::{self, GSI1_PK, GSI1_SK, PK, SK};
use crate::model::{ActivityEvent, DriveEntry, Share};
use crate::pagination::{Key, Page, PageRequest};

impl Store {
    pub async fn share(&self, tenant: TenantId, contact: ContactId, item: ItemId) -> Result<Option<Share>, StoreError> {
        self.get(keys::tenant_pk(tenant), keys::share_sk_by_id(contact, item)).await
    }

    /// A drive item and the contact's share of it, each if it exists, in one BatchGetItem
    /// (whether one document is visible to a customer is answered walking up from it).
    pub async fn entry_and_share(
        &self,
        tenant: TenantId,
        contact: ContactId,
        item: ItemRef,
    ) -> Result<(Option<DriveEntry>, Option<Share>), StoreError> {
        let partition = keys::tenant_pk(tenant);
        let share_sk = keys::share_sk(contact, item);
        let (mut entry, mut share) = (None, None);
        for found in
            self.batch_get(vec![(partition.clone(), keys::item_sk(item)), (partition, share_sk.clone())]).await?
        {
            if found.get(SK).and_then(|sk| sk.as_s().ok()) == Some(&share_sk) {
                share = Some(from_item(found)?);
            } else {
                entry = Some(read_entry(found)?);
            }
        }
        Ok((entry, share))
    }

    /// Shares an item with a contact (or updates the share: who, when, until when), with
    /// its activity entry if any, in one transaction that also checks both still exist
    /// (`Unknown(Folder)` or `Unknown(Document)`, `Unknown(Contact)`).
    pub async fn put_share(
        &self,
        tenant: TenantId,
        share: &Share,
        event: Option<&ActivityEvent>,
    ) -> Result<(), StoreError> {
        let item = Self::share_item(tenant, share, None)?;
        let mut transaction = Transaction::new("PutShare")
            .put(item)
            .require_exists(
                Self::tenant_key(tenant, keys::item_sk(share.item)),
                Clash::Unknown(shared_entity(share.item)),
            )
            .require_exists(Self::contact_key(tenant, share.contact_id), Clash::Unknown(Entity::Contact));
        if let Some(event) = event {
            transaction = transaction.append(Self::event_item(tenant, event)?);
        }
        transaction.commit(self).await
    }

    /// Creates a share only if the contact has none of that item, with its
    /// `share.created` event, in one transaction that also checks the item and the contact
    /// still exist (`Unknown(Folder)` or `Unknown(Document)`, `Unknown(Contact)`).
    /// `Ok(false)`: the share existed, nothing was written. A job's unit of work: replayed,
    /// it creates nothing and records no second event. `organization`: the share came from
    /// that organization's share (`organizationId` on the item; a direct share has none).
    pub async fn create_share_once(
        &self,
        tenant: TenantId,
        share: &Share,
        organization: Option<OrganizationId>,
        event: &ActivityEvent,
    ) -> Result<bool, StoreError> {
        let item = Self::share_item(tenant, share, organization)?;
        let result = Transaction::new("CreateShare")
            .put_if(item, Expr::absent(), Clash::Exists(Entity::Share))
            .require_exists(
                Self::tenant_key(tenant, keys::item_sk(share.item)),
                Clash::Unknown(shared_entity(share.item)),
            )
            .require_exists(Self::contact_key(tenant, share.contact_id), Clash::Unknown(Entity::Contact))
            .append(Self::event_item(tenant, event)?)
            .commit(self)
            .await;
        match result {
            Ok(()) => Ok(true),
            Err(StoreError::Clash(Clash::Exists(Entity::Share))) => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// Writes a direct share over an existing one (its expiry, and a share that came from
    /// an organization becomes direct: a direct share wins), unless it is gone.
    pub async fn overwrite_share(&self, tenant: TenantId, share: &Share) -> Result<(), StoreError> {
        let item = Self::share_item(tenant, share, None)?;
        let result = Transaction::new("OverwriteShare")
            .put_if(item, Expr::exists(), Clash::Missing(Entity::Share))
            .require_exists(Self::contact_key(tenant, share.contact_id), Clash::Unknown(Entity::Contact))
            .commit(self)
            .await;
        match result {
            Ok(()) | Err(StoreError::Clash(Clash::Missing(Entity::Share))) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// Removes a share only if it came from `organization` (a direct share of the same
    /// item is left: it wins), with its `share.removed` event. `Ok(false)`: nothing removed.
    pub async fn delete_organization_share_of(
        &self,
        tenant: TenantId,
        contact: ContactId,
        item: ItemRef,
        organization: OrganizationId,
        event: &ActivityEvent,
    ) -> Result<bool, StoreError> {
        let result = Transaction::new("DeleteOrganizationShare")
            .delete_if(
                Self::tenant_key(tenant, keys::share_sk(contact, item)),
                Expr::new("organizationId = :organization").value(":organization", s(organization.to_string())),
                Clash::Missing(Entity::Share),
            )
            .append(Self::event_item(tenant, event)?)
            .commit(self)
            .await;
        match result {
            Ok(()) => Ok(true),
            Err(StoreError::Clash(Clash::Missing(Entity::Share))) => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// A share's item: the share, its keys, its TTL when it expires, and the organization
    /// it came from, if any.
    pub(super) fn share_item(
        tenant: TenantId,
        share: &Share,
        organization: Option<OrganizationId>,
    ) -> Result<super::Item, StoreError> {
        let mut item = to_item(
            share,
            &[
                (PK, keys::tenant_pk(tenant)),
                (SK, keys::share_sk(share.contact_id, share.item)),
                (GSI1_PK, keys::item_shares_gsi1_pk(tenant, share.item)),
                (GSI1_SK, keys::contact_sk(share.contact_id)),
            ],
        )?;
        if let Some(until) = share.available_until {
            expire_at(&mut item, until);
        }
        if let Some(organization) = organization {
            item.insert(ORGANIZATION_ATTRIBUTE.to_owned(), s(organization.to_string()));
        }
        Ok(item)
    }

    /// Takes the lease on a contact's selection for `seconds`, so that two saves of the same
    /// selection never interleave their writes (which could leave a mix of both). A lease
    /// held by another save that has not expired is `SelectionBusy`; an expired one (its holder
    /// died) is taken over. Returns the holder token that [`Store::release_selection`]
    /// needs.
    pub async fn lease_selection(
        &self,
        tenant: TenantId,
        contact: ContactId,
        now: time::OffsetDateTime,
        seconds: i64,
    ) -> Result<String, StoreError> {
        let holder = uuid::Uuid::new_v4().to_string();
        let until = n(now.unix_timestamp() + seconds);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::tenant_key(tenant, keys::selection_lease_sk(contact))))
            .update_expression("SET holder = :holder, leasedUntil = :until, #ttl = :until")
            .condition_expression("attribute_not_exists(#pk) OR leasedUntil < :now")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#ttl", keys::TTL_ATTRIBUTE)
            .expression_attribute_values(":holder", s(holder.clone()))
            .expression_attribute_values(":until", until)
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .send()
            .await;
        conditional("UpdateItem", result, Clash::SelectionBusy)?;
        Ok(holder)
    }

    /// Releases a selection lease, if `holder` still holds it (an expired lease another
    /// save took over is left to that save).
    pub async fn release_selection(
        &self,
        tenant: TenantId,
        contact: ContactId,
        holder: &str,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::tenant_key(tenant, keys::selection_lease_sk(contact))))
            .condition_expression("holder = :holder")
            .expression_attribute_values(":holder", s(holder))
            .send()
            .await;
        took_effect("DeleteItem", result).map(|_| ())
    }

    /// Removes a share, with its activity entry (`Missing(Share)` if it was not shared).
    pub async fn delete_share(
        &self,
        tenant: TenantId,
        contact: ContactId,
        item: ItemRef,
        event: &ActivityEvent,
    ) -> Result<(), StoreError> {
        Transaction::new("DeleteShare")
            .delete_if(
                Self::tenant_key(tenant, keys::share_sk(contact, item)),
                Expr::exists(),
                Clash::Missing(Entity::Share),
            )
            .append(Self::event_item(tenant, event)?)
            .commit(self)
            .await
    }

    /// One page of what is shared with a contact, expired shares included (the caller
    /// decides; see [`Share::is_current`]), read consistently.
    pub async fn contact_shares(
        &self,
        tenant: TenantId,
        contact: ContactId,
        page: &PageRequest,
    ) -> Result<Page<Share>, StoreError> {
        let partition = keys::tenant_pk(tenant);
        let prefix = keys::contact_shares_prefix(contact);
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(&partition))
            .expression_attribute_values(":prefix", s(&prefix))
            // Consistent: an unshare takes effect on the customer's next request, and a save
            // of the selection (under its lease) sees every write of the save before it.
            .consistent_read(true);
        super::query_page(query, page, &[(PK, Key::Equals(&partition)), (SK, Key::StartsWith(&prefix))]).await
    }

    /// Everything shared with a contact (all pages).
    pub async fn all_contact_shares(&self, tenant: TenantId, contact: ContactId) -> Result<Vec<Share>, StoreError> {
        self.query_all(|page| async move { self.contact_shares(tenant, contact, &page).await }).await
    }

    /// One page of the contacts an item is shared with.
    pub async fn item_shares(
        &self,
        tenant: TenantId,
        item: ItemRef,
        page: &PageRequest,
    ) -> Result<Page<Share>, StoreError> {
        let partition = keys::item_shares_gsi1_pk(tenant, item);
        self.query_index(
            Index::Gsi1,
            tenant,
            &partition,
            keys::CONTACT_PREFIX,
            keys::SHARE_PREFIX,
            page,
            ItemReader::of(),
        )
        .await
    }

    /// Removes up to `limit` (at most 25: one `BatchWriteItem`) of the share records of a
    /// deleted item, contact or organization, read from the start (those removed before are gone): one
    /// `Query` and one `BatchWriteItem`. They are already invisible (reads resolve shares
    /// against the live items and contacts); this only tidies up, a page at a time, so a
    /// document shared with thousands of contacts is tidied by a job
    /// (`jobs::tidy_shares`), never in one request.
    pub async fn tidy_shares(&self, tenant: TenantId, of: SharesOf, limit: usize) -> Result<Tidied, StoreError> {
        let page = PageRequest { limit: limit.clamp(1, 25) as i32, cursor: None };
        // Each page's sort keys, and whether more may follow.
        fn keys_of<T>(page: Page<T>, sk: impl Fn(&T) -> String) -> (Vec<String>, bool) {
            (page.items.iter().map(sk).collect(), page.next_cursor.is_some())
        }
        let share_sk = |s: &Share| keys::share_sk(s.contact_id, s.item);
        let (keys, more) = match of {
            SharesOf::Item { item } => keys_of(self.item_shares(tenant, item, &page).await?, share_sk),
            SharesOf::Contact { contact_id } => {
                keys_of(self.contact_shares(tenant, contact_id, &page).await?, share_sk)
            }
            SharesOf::Organization { organization_id } => {
                keys_of(self.organization_shares(tenant, organization_id, &page).await?, |s: &OrganizationShare| {
                    organization_share_sk(s.organization_id, s.item)
                })
            }
        };
        let deletes = keys
            .iter()
            .map(|sk| {
                DeleteRequest::builder()
                    .set_key(Some(Self::tenant_key(tenant, sk.clone())))
                    .build()
                    .map(|delete| WriteRequest::builder().delete_request(delete).build())
                    .map_err(|e| StoreError::internal("DeleteRequest", e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.write_chunk(deletes).await?;
        Ok(Tidied { removed: keys.len() as u64, more })
    }
}

/// What one page of [`Store::tidy_shares`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tidied {
    pub removed: u64,
    /// More share records may remain (the page was full).
    pub more: bool,
}

/// The attribute that marks a share as coming from an organization's share.
pub const ORGANIZATION_ATTRIBUTE: &str = "organizationId";

fn shared_entity(item: ItemRef) -> Entity {
    match item {
        ItemRef::Folder(_) => Entity::Folder,
        ItemRef::Document(_) => Entity::Document,
    }
}
