//! A tenant's contacts (the customers it shares with): create, edit, delete (which closes
//! their access), and their activity.

use portal_shared::ApiError;
use portal_shared::domain::{AccessStatus, ContactId, JobId, OrganizationId};
use portal_shared::identity::StaffMember;
use portal_shared::jobs::SharesOf;
use portal_shared::model::{Action, ActivityEvent, Contact, Organization};
use portal_shared::pagination::{Page, PageRequest};
use portal_shared::store::{Clash, Entity, StoreError};
use portal_shared::words::Query;
use time::OffsetDateTime;

use crate::App;
use crate::inputs::{ContactChanges, NewContact};

impl App {
    pub(crate) async fn create_contact(&self, staff: &StaffMember, input: NewContact) -> Result<Contact, ApiError> {
        staff.require_write()?;
        let contact = Contact {
            id: ContactId::new(),
            email: input.email,
            name: input.name,
            access_status: AccessStatus::None,
            organization_id: input.organization_id,
            access_changed_at: None,
            customer_sub: None,
            language: input.language.unwrap_or_default(),
            created_at: OffsetDateTime::now_utc(),
            created_by: staff.sub.clone(),
        };
        let organization = self.joined_organization(staff, contact.organization_id).await?;
        self.store.create_contact(staff.tenant_id, &contact, organization.as_ref()).await.map_err(contact_problem)?;
        self.membership_changed(staff, contact.id, None, contact.organization_id).await?;
        tracing::info!(tenant = %staff.tenant_id, contact = %contact.id, "contact created");
        Ok(contact)
    }

    /// The organization a contact is in: its name is among the contact's search words
    /// (422 naming `organizationId` when there is none).
    async fn joined_organization(
        &self,
        staff: &StaffMember,
        id: Option<OrganizationId>,
    ) -> Result<Option<Organization>, ApiError> {
        let Some(id) = id else { return Ok(None) };
        match self.store.organization(staff.tenant_id, id).await? {
            Some(organization) => Ok(Some(organization)),
            None => Err(ApiError::Invalid("organizationId: no such organization".into())),
        }
    }

    /// One page of contacts, newest first, or of those `query` finds.
    pub(crate) async fn contacts(
        &self,
        staff: &StaffMember,
        query: Option<&Query>,
        page: &PageRequest,
    ) -> Result<Page<Contact>, ApiError> {
        Ok(match query {
            None => self.store.list_contacts(staff.tenant_id, page).await?,
            Some(query) => self.store.search_contacts(staff.tenant_id, query, page).await?,
        })
    }

    pub(crate) async fn contact(&self, staff: &StaffMember, id: ContactId) -> Result<Contact, ApiError> {
        self.store.contact(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("contact"))
    }

    pub(crate) async fn update_contact(
        &self,
        staff: &StaffMember,
        id: ContactId,
        changes: ContactChanges,
    ) -> Result<Contact, ApiError> {
        staff.require_write()?;
        if changes.email.is_none()
            && changes.name.is_none()
            && changes.organization_id.is_none()
            && changes.language.is_none()
        {
            return Err(ApiError::Invalid("nothing to change: send email, name, organizationId or language".into()));
        }
        let before = self.contact(staff, id).await?;
        // A registered customer signs in with this email: it is theirs to keep.
        if before.customer_sub.is_some() && changes.email.as_ref().is_some_and(|email| *email != before.email) {
            return Err(ApiError::Conflict("this contact has registered: their email is their account's".into()));
        }
        let after = Contact {
            email: changes.email.unwrap_or_else(|| before.email.clone()),
            name: changes.name.unwrap_or_else(|| before.name.clone()),
            organization_id: changes.organization_id.unwrap_or(before.organization_id),
            language: changes.language.unwrap_or(before.language),
            ..before.clone()
        };
        let organization = self.joined_organization(staff, after.organization_id).await?;
        self.store
            .update_contact(staff.tenant_id, &before, &after, organization.as_ref())
            .await
            .map_err(contact_problem)?;
        self.membership_changed(staff, id, before.organization_id, after.organization_id).await?;
        tracing::info!(tenant = %staff.tenant_id, contact = %id, "contact updated");
        Ok(after)
    }

    /// Deleting a contact is one of the ways to close their access: the record goes (so
    /// the customer's next request finds no access), the customer is signed out everywhere,
    /// and what was shared with them is tidied away.
    pub(crate) async fn delete_contact(&self, staff: &StaffMember, id: ContactId) -> Result<(), ApiError> {
        staff.require_write()?;
        let Some(contact) = self.store.contact(staff.tenant_id, id).await? else {
            // The retry of a delete that failed after the contact went (a 503): remove its
            // share records now (reads never show them: the contact is gone).
            self.tidy_shares(staff, id).await?;
            return Err(ApiError::NotFound("contact"));
        };
        let event = ActivityEvent::new(Action::ContactDeleted, staff.actor(), OffsetDateTime::now_utc()).contact(id);
        self.store.delete_contact(staff.tenant_id, &contact, &event).await?;
        if contact.customer_sub.is_some() {
            portal_shared::accounts::sign_out_everywhere(self.cognito.get(), &self.customer_pool_id, &contact.email)
                .await?;
        }
        let tidying = self.tidy_shares(staff, id).await?;
        tracing::info!(tenant = %staff.tenant_id, contact = %id, tidying = ?tidying, "contact deleted");
        Ok(())
    }

    /// The share records of a deleted contact: a page at once, the rest by a job (its id).
    async fn tidy_shares(&self, staff: &StaffMember, id: ContactId) -> Result<Option<JobId>, ApiError> {
        let of = SharesOf::Contact { contact_id: id };
        portal_shared::jobs::tidy_shares(&self.store, &self.jobs, staff.tenant_id, staff, of).await
    }

    pub(crate) async fn contact_activity(
        &self,
        staff: &StaffMember,
        id: ContactId,
        page: &PageRequest,
    ) -> Result<Page<ActivityEvent>, ApiError> {
        // The trail outlives a deleted contact; an id with neither is unknown.
        let trail = self.store.contact_activity(staff.tenant_id, id, page).await?;
        if trail.items.is_empty() && page.cursor.is_none() && self.store.contact(staff.tenant_id, id).await?.is_none() {
            return Err(ApiError::NotFound("contact"));
        }
        Ok(trail)
    }
}

/// A contact's organization that does not exist is a 422 naming `organizationId`; the
/// other clashes (email taken, changed meanwhile) keep the store's words.
fn contact_problem(err: StoreError) -> ApiError {
    match err {
        StoreError::Clash(Clash::Unknown(Entity::Organization)) => {
            ApiError::Invalid("organizationId: no such organization".into())
        }
        other => other.into(),
    }
}
