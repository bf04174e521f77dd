//! Organizations: groups of contacts (create, rename, delete when empty, list members).

use portal_shared::ApiError;
use portal_shared::domain::OrganizationId;
use portal_shared::identity::StaffMember;
use portal_shared::model::{Contact, Organization};
use portal_shared::pagination::{Page, PageRequest};
use portal_shared::store::RENAME_REINDEX_MEMBERS;
use time::OffsetDateTime;

use crate::App;
use crate::inputs::OrganizationInput;

impl App {
    pub(crate) async fn create_organization(
        &self,
        staff: &StaffMember,
        input: OrganizationInput,
    ) -> Result<Organization, ApiError> {
        staff.require_write()?;
        let organization = Organization {
            id: OrganizationId::new(),
            name: input.name,
            created_at: OffsetDateTime::now_utc(),
            created_by: staff.sub.clone(),
        };
        self.store.create_organization(staff.tenant_id, &organization).await?;
        Ok(organization)
    }

    pub(crate) async fn organization(&self, staff: &StaffMember, id: OrganizationId) -> Result<Organization, ApiError> {
        self.store.organization(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("organization"))
    }

    pub(crate) async fn rename_organization(
        &self,
        staff: &StaffMember,
        id: OrganizationId,
        input: OrganizationInput,
    ) -> Result<Organization, ApiError> {
        staff.require_write()?;
        let before = self.organization(staff, id).await?;
        let after = Organization { name: input.name, ..before };
        self.store.rename_organization(staff.tenant_id, &after).await?;
        // The members are found by the organization's name: their search words follow it,
        // here for a small organization, by the backfill for a large one.
        if !self.store.reindex_organization_members(staff.tenant_id, &after).await? {
            tracing::warn!(
                tenant = %staff.tenant_id,
                organization = %id,
                "organization renamed with more than {RENAME_REINDEX_MEMBERS} members: their search words keep the old name until `cargo xtask tenant reindex`"
            );
        }
        Ok(after)
    }

    /// Deletes an organization without members, then what was shared with it as such (a
    /// page at once, the rest by a job): invisible already, since no one is in it.
    pub(crate) async fn delete_organization(&self, staff: &StaffMember, id: OrganizationId) -> Result<(), ApiError> {
        staff.require_write()?;
        self.store.delete_organization(staff.tenant_id, id).await?;
        let of = portal_shared::jobs::SharesOf::Organization { organization_id: id };
        portal_shared::jobs::tidy_shares(&self.store, &self.jobs, staff.tenant_id, staff, of).await?;
        Ok(())
    }

    pub(crate) async fn members(
        &self,
        staff: &StaffMember,
        id: OrganizationId,
        page: &PageRequest,
    ) -> Result<Page<Contact>, ApiError> {
        // An unknown (or another tenant's) organization is a 404, not an empty list.
        self.organization(staff, id).await?;
        Ok(self.store.organization_members(staff.tenant_id, id, page).await?)
    }
}
