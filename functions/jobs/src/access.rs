//! Organization access as a job: one page of members per chunk, each opened (pending and
//! invited, or active again for a registered customer) or closed (and signed out
//! everywhere, with the optional notice), as `portal-access` does for one contact. A
//! replay finds each member already changed: `access::apply` changes nothing, and an
//! invitation is sent only while the request's `sentAt` says it is owed.

use portal_shared::ApiError;
use portal_shared::access::Change;
use portal_shared::domain::{AccessStatus, OrganizationId, TenantId};
use portal_shared::identity::StaffMember;
use portal_shared::jobs::{ChunkOutcome, Job};
use portal_shared::model::Contact;

use crate::App;

impl App {
    pub(crate) async fn organization_access_chunk(
        &self,
        tenant: TenantId,
        job: &Job,
        organization: OrganizationId,
        open: bool,
        cursor: Option<&str>,
    ) -> Result<ChunkOutcome, ApiError> {
        let request = crate::organizations::page(self.chunk_size, cursor)?;
        let members = self.store.organization_members(tenant, organization, &request).await?;
        let mut outcome = ChunkOutcome { discovered: members.items.len() as u64, ..Default::default() };
        let change = if open { Change::Open } else { Change::Close };
        for member in members.items {
            let id = member.id;
            if change == Change::Close && member.access_status == AccessStatus::None {
                outcome.ok();
                continue;
            }
            match self.apply_access(tenant, &job.by, member, change).await {
                Ok(_) => outcome.ok(),
                // This member's own answer (deleted, or changed meanwhile): reported, the
                // job goes on. Anything else is retried with the chunk.
                Err(ApiError::NotFound(_)) => outcome.fail(Some(id), None, "no such contact"),
                Err(ApiError::Conflict(reason)) => outcome.fail(Some(id), None, reason),
                Err(err) => return Err(err),
            }
        }
        outcome.next = members.next_cursor;
        Ok(outcome)
    }

    /// The change and its effects outside the table: the invitation of an opened access
    /// (only while owed: a replay sends none), the global sign-out and the notice of a
    /// closed one.
    async fn apply_access(
        &self,
        tenant: TenantId,
        by: &StaffMember,
        contact: Contact,
        change: Change,
    ) -> Result<Contact, ApiError> {
        let applied = portal_shared::access::apply(&self.store, by, contact, change).await?;
        let contact = applied.contact;
        // Opened now, or pending already (a replay, a retry after the email failed): sent
        // only while owed, under a claim.
        if change == Change::Open && contact.access_status == AccessStatus::Pending {
            self.invite_if_owed(tenant, &contact).await?;
        }
        if change == Change::Close && contact.access_status == AccessStatus::Closed && contact.customer_sub.is_some() {
            portal_shared::accounts::sign_out_everywhere(self.cognito.get(), &self.customer_pool_id, &contact.email)
                .await?;
        }
        if applied.changed && contact.access_status == AccessStatus::Closed && contact.customer_sub.is_some() {
            let company = self.store.tenant(tenant).await?.ok_or(ApiError::NotFound("company"))?;
            if let Err(err) = self.notifier.access_closed(&company, &contact).await {
                tracing::warn!(contact = %contact.id, error = %portal_shared::telemetry::clip(&err.to_string()), "access-closed email not sent");
            }
        }
        Ok(contact)
    }
}
