//! Organizations: one item per organization in the tenant's partition; their contacts are
//! the GSI1 partition `TENANT#{t}#ORG#{o}` (written with each contact).

use super::{Clash, Entity, Item, Store, StoreError, Transaction, conditional, query_page, s, to_item};
use crate::domain::{OrganizationId, TenantId};
use crate::keys::{self, GSI1_PK, GSI1_SK, PK, SK};
use crate::model::{Contact, Organization};
use crate::pagination::{Key, Page, PageRequest};

impl Store {
    pub(super) fn organization_key(tenant: TenantId, organization: OrganizationId) -> Item {
        Self::tenant_key(tenant, keys::organization_sk(organization))
    }

    pub(super) fn organization_item(tenant: TenantId, organization: &Organization) -> Result<Item, StoreError> {
        to_item(organization, &[(PK, keys::tenant_pk(tenant)), (SK, keys::organization_sk(organization.id))])
    }

    pub async fn create_organization(&self, tenant: TenantId, organization: &Organization) -> Result<(), StoreError> {
        Transaction::new("CreateOrganization")
            .put_new(Self::organization_item(tenant, organization)?, Clash::Exists(Entity::Organization))
            .commit(self)
            .await
    }

    pub async fn organization(&self, tenant: TenantId, id: OrganizationId) -> Result<Option<Organization>, StoreError> {
        self.get(keys::tenant_pk(tenant), keys::organization_sk(id)).await
    }

    pub async fn list_organizations(
        &self,
        tenant: TenantId,
        page: &PageRequest,
    ) -> Result<Page<Organization>, StoreError> {
        self.query_tenant(tenant, keys::ORGANIZATION_PREFIX, page).await
    }

    /// Renames an organization that still exists (`Missing(Organization)`).
    pub async fn rename_organization(&self, tenant: TenantId, organization: &Organization) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::organization_item(tenant, organization)?))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        conditional("PutItem", result, Clash::Missing(Entity::Organization)).map(drop)
    }

    /// Deletes an organization with no contacts left in it (`OrganizationNotEmpty`;
    /// `Missing(Organization)` when there is none).
    pub async fn delete_organization(&self, tenant: TenantId, id: OrganizationId) -> Result<(), StoreError> {
        let members = self.organization_members(tenant, id, &PageRequest { limit: 1, cursor: None }).await?;
        if !members.items.is_empty() {
            return Err(Clash::OrganizationNotEmpty.into());
        }
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::organization_key(tenant, id)))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        conditional("DeleteItem", result, Clash::Missing(Entity::Organization)).map(drop)
    }

    /// The contacts of an organization (GSI1), one page at a time.
    pub async fn organization_members(
        &self,
        tenant: TenantId,
        organization: OrganizationId,
        page: &PageRequest,
    ) -> Result<Page<Contact>, StoreError> {
        let partition = keys::organization_members_gsi1_pk(tenant, organization);
        let tenant_partition = keys::tenant_pk(tenant);
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(keys::GSI1)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", GSI1_PK)
            .expression_attribute_values(":pk", s(&partition));
        // An index cursor holds the index keys and the table keys, all in the caller's tenant.
        let scope = [
            (GSI1_PK, Key::Equals(&partition)),
            (GSI1_SK, Key::StartsWith(keys::CONTACT_PREFIX)),
            (PK, Key::Equals(&tenant_partition)),
            (SK, Key::StartsWith(keys::CONTACT_PREFIX)),
        ];
        query_page(query, page, &scope).await
    }

    /// Every contact of an organization (all pages).
    pub async fn all_organization_members(
        &self,
        tenant: TenantId,
        organization: OrganizationId,
    ) -> Result<Vec<Contact>, StoreError> {
        self.query_all(|page| async move { self.organization_members(tenant, organization, &page).await }).await
    }
}

/// An item shared with an organization as such: its members now and later get it (as
/// shares marked with the organization). `TENANT#{t}` / `ORGSHARE#{organizationId}#{itemId}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationShare {
    pub organization_id: OrganizationId,
    pub item: crate::domain::ItemRef,
    pub shared_by: crate::domain::UserSub,
    #[serde(with = "time::serde::rfc3339")]
    pub shared_at: time::OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub available_until: Option<time::OffsetDateTime>,
}

pub const ORGANIZATION_SHARE_PREFIX: &str = "ORGSHARE#";

fn organization_shares_prefix(organization: OrganizationId) -> String {
    format!("{ORGANIZATION_SHARE_PREFIX}{organization}#")
}

pub(super) fn organization_share_sk(organization: OrganizationId, item: crate::domain::ItemRef) -> String {
    format!("{}{}", organization_shares_prefix(organization), item.id())
}

// `ORGSHARE#` does not begin with `ORG#`: an organization's listing never reads them.
const _: () = assert!(ORGANIZATION_SHARE_PREFIX.as_bytes()[3] != b'#');

impl Store {
    /// Shares an item with an organization as such (or updates its expiry); unconditional:
    /// sharing again replaces it. The members' own shares are written apart (a job).
    pub async fn put_organization_share(&self, tenant: TenantId, share: &OrganizationShare) -> Result<(), StoreError> {
        let mut item = to_item(
            share,
            &[(PK, keys::tenant_pk(tenant)), (SK, organization_share_sk(share.organization_id, share.item))],
        )?;
        if let Some(until) = share.available_until {
            super::expire_at(&mut item, until);
        }
        let result = self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await;
        super::sent("PutItem", result).map(drop)
    }

    /// Removes an item's share with an organization: the share removed, `None` when it
    /// was not shared with it.
    pub async fn delete_organization_share(
        &self,
        tenant: TenantId,
        organization: OrganizationId,
        item: crate::domain::ItemId,
    ) -> Result<Option<OrganizationShare>, StoreError> {
        let sk = format!("{}{item}", organization_shares_prefix(organization));
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::tenant_key(tenant, sk)))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await;
        super::sent("DeleteItem", result)?.attributes.map(super::from_item).transpose()
    }

    /// One page of what is shared with an organization as such, read consistently.
    pub async fn organization_shares(
        &self,
        tenant: TenantId,
        organization: OrganizationId,
        page: &PageRequest,
    ) -> Result<Page<OrganizationShare>, StoreError> {
        let partition = keys::tenant_pk(tenant);
        let prefix = organization_shares_prefix(organization);
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(&partition))
            .expression_attribute_values(":prefix", s(&prefix))
            .consistent_read(true);
        query_page(query, page, &[(PK, Key::Equals(&partition)), (SK, Key::StartsWith(&prefix))]).await
    }
}
