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
