//! Organization shares as jobs: an item unshared from an organization leaves its members
//! (only the shares marked with the organization: a direct share wins), and a contact
//! that joins an organization gets the organization's shares, or loses them when it
//! leaves. Each chunk reads one page (of members, or of the organization's shares).

use portal_shared::ApiError;
use portal_shared::domain::{ContactId, ItemRef, OrganizationId, TenantId};
use portal_shared::jobs::{ChunkOutcome, Job};
use portal_shared::model::{Action, ActivityEvent, Share};
use portal_shared::pagination::{Cursor, PageRequest};
use portal_shared::share_selection::entry_name;
use time::OffsetDateTime;

use crate::App;
use crate::share::Unit;

/// A page request of `limit` (at least 1) from a job's cursor.
pub(crate) fn page(limit: usize, cursor: Option<&str>) -> Result<PageRequest, ApiError> {
    Ok(PageRequest { limit: limit.clamp(1, 100) as i32, cursor: cursor.map(Cursor::decode).transpose()? })
}

impl App {
    /// One page of members, each losing the items' shares that came from the organization.
    pub(crate) async fn organization_unshare_chunk(
        &self,
        tenant: TenantId,
        job: &Job,
        organization: OrganizationId,
        items: &[ItemRef],
        cursor: Option<&str>,
    ) -> Result<ChunkOutcome, ApiError> {
        let request = page(self.chunk_size / items.len().max(1), cursor)?;
        let members = self.store.organization_members(tenant, organization, &request).await?;
        let names = self.store.drive_entries(tenant, items).await?;
        let mut outcome = ChunkOutcome { discovered: (members.items.len() * items.len()) as u64, ..Default::default() };
        for member in &members.items {
            for item in items {
                let name = names.get(item).map(entry_name).unwrap_or_default();
                let event = ActivityEvent::new(Action::ShareRemoved, job.by.actor(), OffsetDateTime::now_utc())
                    .contact(member.id)
                    .item(*item, name);
                // Not marked with the organization (direct, or never shared): left as it is.
                self.store.delete_organization_share_of(tenant, member.id, *item, organization, &event).await?;
                outcome.ok();
            }
        }
        outcome.next = members.next_cursor;
        Ok(outcome)
    }

    /// One page of the organization's shares, applied to (or removed from) a contact that
    /// joined (or left) it. A contact that moved again meanwhile ends the job: the later
    /// move has its own.
    pub(crate) async fn membership_chunk(
        &self,
        tenant: TenantId,
        job: &Job,
        contact: ContactId,
        organization: OrganizationId,
        joined: bool,
        cursor: Option<&str>,
    ) -> Result<ChunkOutcome, ApiError> {
        let mut outcome = ChunkOutcome::default();
        let Some(member) = self.store.contact(tenant, contact).await? else {
            outcome.fail(Some(contact), None, "no such contact");
            return Ok(outcome);
        };
        if (member.organization_id == Some(organization)) != joined {
            return Ok(outcome);
        }
        let shares = self.store.organization_shares(tenant, organization, &page(self.chunk_size, cursor)?).await?;
        outcome.discovered = shares.items.len() as u64;
        let items: Vec<ItemRef> = shares.items.iter().map(|share| share.item).collect();
        let names = self.store.drive_entries(tenant, &items).await?;
        let now = OffsetDateTime::now_utc();
        for shared in &shares.items {
            let name = names.get(&shared.item).map(entry_name);
            if !joined {
                let event = ActivityEvent::new(Action::ShareRemoved, job.by.actor(), now)
                    .contact(contact)
                    .item(shared.item, name.unwrap_or_default());
                self.store.delete_organization_share_of(tenant, contact, shared.item, organization, &event).await?;
                outcome.ok();
                continue;
            }
            let Some(name) = name else {
                outcome.fail(Some(contact), Some(shared.item), format!("no such {}", crate::share::kind(shared.item)));
                continue;
            };
            if shared.available_until.is_some_and(|until| until <= now) {
                outcome.ok();
                continue;
            }
            let share = Share {
                contact_id: contact,
                item: shared.item,
                shared_by: shared.shared_by.clone(),
                shared_at: shared.shared_at,
                available_until: shared.available_until,
            };
            match self.share_once(tenant, &job.by, &share, Some(organization), name).await? {
                Unit::Created | Unit::Existed => outcome.ok(),
                Unit::Refused(reason) => outcome.fail(Some(contact), Some(shared.item), reason),
            }
        }
        outcome.next = shares.next_cursor;
        if joined && outcome.next.is_none() && job.done + outcome.done > 0 {
            // Like any share, the organization's open the access of a contact who had none.
            if let Err(reason) = self.open_access_of(tenant, &job.by, contact).await? {
                outcome.fail(Some(contact), None, reason);
            }
        }
        Ok(outcome)
    }
}
