//! `POST /shares`: items shared with contacts and every contact of an organization; and
//! what every new share brings along: its announcement in the contact's share email, and
//! the contact's portal access opened if they never had it.

use std::collections::{BTreeMap, BTreeSet};

use portal_shared::ApiError;
use portal_shared::access::Change;
use portal_shared::domain::{AccessStatus, ContactId, ItemId, ItemRef, JobId, OrganizationId, TenantId};
use portal_shared::identity::StaffMember;
use portal_shared::jobs::{Accepted, Answer, Job, JobSpec, JobView};
use portal_shared::model::{Action, ActivityEvent, Contact, NotificationMessage, Share};
use portal_shared::pagination::PageRequest;
use portal_shared::share_selection::{MAX_ITEMS, check_future, entry_name, kind};
use portal_shared::store::{BatchedShare, OrganizationShare};
use time::OffsetDateTime;

use crate::input::ShareRequest;
use crate::{App, MAX_CONTACTS, Shared, share_problem};

impl App {
    /// Shares items with contacts and/or an organization: each item with each contact
    /// (contacts in id order, items in item order), every new share announced. Sharing
    /// with an organization also records the organization's share itself, so that its
    /// later members get it; its members' shares are marked with it (a direct share of the
    /// same item wins). Over `sync_limit` writes (or more members than fit in it) the
    /// shares are made by a job: `Answer::Started`.
    pub(crate) async fn share(&self, staff: &StaffMember, input: ShareRequest) -> Result<Answer<Shared>, ApiError> {
        let now = OffsetDateTime::now_utc();
        check_future(input.available_until, "availableUntil", now)?;
        let items: BTreeSet<ItemRef> = input.items.iter().copied().collect();
        if items.is_empty() || items.len() > MAX_ITEMS {
            return Err(ApiError::Invalid(format!("items: share 1 to {MAX_ITEMS} different items")));
        }
        let contacts = self.named_contacts(staff, &input).await?;
        if let Some(organization) = input.organization_id {
            self.store
                .organization(staff.tenant_id, organization)
                .await?
                .ok_or_else(|| ApiError::Invalid("organizationId: no such organization".into()))?;
        } else if contacts.is_empty() {
            return Err(ApiError::Invalid("contactIds: name at least one contact, or an organization".into()));
        }
        // Every item must exist before anything is written (each write checks it again).
        let listed: Vec<ItemRef> = items.iter().copied().collect();
        let entries = self.store.drive_entries(staff.tenant_id, &listed).await?;
        if let Some(missing) = items.iter().find(|item| !entries.contains_key(item)) {
            return Err(ApiError::Invalid(format!("items: no such {} {}", kind(*missing), missing.id())));
        }
        let direct_writes = contacts.len() * items.len();
        let mut members = Vec::new();
        let mut too_many = direct_writes > self.sync_limit;
        if let Some(organization) = input.organization_id {
            for item in &items {
                let share = OrganizationShare {
                    organization_id: organization,
                    item: *item,
                    shared_by: staff.sub.clone(),
                    shared_at: now,
                    available_until: input.available_until,
                };
                self.store.put_organization_share(staff.tenant_id, &share).await?;
            }
            if !too_many {
                // One bounded page: the members that fit in what is left of the limit.
                let room = (self.sync_limit - direct_writes) / items.len();
                let page = PageRequest { limit: (room + 1).clamp(1, 100) as i32, cursor: None };
                let first = self.store.organization_members(staff.tenant_id, organization, &page).await?;
                too_many = first.next_cursor.is_some() || first.items.len() > room;
                members = first.items;
            }
        }
        if too_many {
            let spec = JobSpec::Share {
                items: listed,
                contacts: contacts.keys().copied().collect(),
                organization_id: input.organization_id,
                available_until: input.available_until,
            };
            let job = Job::new(spec, staff, direct_writes as u64, now);
            return Ok(Answer::Started(
                portal_shared::jobs::start(&self.store, &self.jobs, staff.tenant_id, job).await?,
            ));
        }
        let mut shares = Vec::new();
        let mut touched = Vec::new();
        for contact in contacts.values() {
            for item in &items {
                let share = Share {
                    contact_id: contact.id,
                    item: *item,
                    shared_by: staff.sub.clone(),
                    shared_at: now,
                    available_until: input.available_until,
                };
                let event = ActivityEvent::new(Action::ShareCreated, staff.actor(), now)
                    .contact(contact.id)
                    .item(*item, entry_name(&entries[item]));
                self.store.put_share(staff.tenant_id, &share, Some(&event)).await.map_err(share_problem(&share))?;
                self.announce(staff.tenant_id, contact.id, *item, entry_name(&entries[item])).await?;
                shares.push(share);
            }
            touched.push(self.open_access(staff, contact.clone()).await?);
        }
        for member in members.into_iter().filter(|member| !contacts.contains_key(&member.id)) {
            for item in &items {
                let share = Share {
                    contact_id: member.id,
                    item: *item,
                    shared_by: staff.sub.clone(),
                    shared_at: now,
                    available_until: input.available_until,
                };
                let event = ActivityEvent::new(Action::ShareCreated, staff.actor(), now)
                    .contact(member.id)
                    .item(*item, entry_name(&entries[item]));
                // Marked with the organization; a share the member has already (direct,
                // or from the organization) is left as it is.
                let created = self
                    .store
                    .create_share_once(staff.tenant_id, &share, input.organization_id, &event)
                    .await
                    .map_err(share_problem(&share))?;
                if created {
                    self.announce(staff.tenant_id, member.id, *item, entry_name(&entries[item])).await?;
                }
                shares.push(share);
            }
            touched.push(self.open_access(staff, member).await?);
        }
        tracing::info!(tenant = %staff.tenant_id, shares = shares.len(), "shared");
        Ok(Answer::Done(Shared { shares, contacts: touched }))
    }

    /// Unshares an item from an organization: its record goes at once (later members no
    /// longer get it), and a job removes the members' shares that came from it (a direct
    /// share of the same item stays). 404 when the item is not shared with it.
    pub(crate) async fn unshare_from_organization(
        &self,
        staff: &StaffMember,
        organization: OrganizationId,
        item: ItemId,
    ) -> Result<Accepted, ApiError> {
        self.store.organization(staff.tenant_id, organization).await?.ok_or(ApiError::NotFound("organization"))?;
        let removed = self
            .store
            .delete_organization_share(staff.tenant_id, organization, item)
            .await?
            .ok_or(ApiError::NotFound("share"))?;
        let spec = JobSpec::OrganizationUnshare { organization_id: organization, items: vec![removed.item] };
        let job = Job::new(spec, staff, 0, OffsetDateTime::now_utc());
        portal_shared::jobs::start(&self.store, &self.jobs, staff.tenant_id, job).await
    }

    /// A job of the caller's company (404 for any other: ids are never told apart).
    pub(crate) async fn job(&self, staff: &StaffMember, id: JobId) -> Result<JobView, ApiError> {
        Ok(self.store.job(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("job"))?.view())
    }

    /// The contacts a share request names directly: each must exist (422 naming it), at
    /// most `MAX_CONTACTS`.
    async fn named_contacts(
        &self,
        staff: &StaffMember,
        input: &ShareRequest,
    ) -> Result<BTreeMap<ContactId, Contact>, ApiError> {
        let mut contacts: BTreeMap<ContactId, Contact> = BTreeMap::new();
        if input.contact_ids.len() > MAX_CONTACTS {
            return Err(ApiError::Invalid(format!("contactIds: share with at most {MAX_CONTACTS} contacts at once")));
        }
        if !input.contact_ids.is_empty() {
            let found = self.store.contacts(staff.tenant_id, &input.contact_ids).await?;
            for (index, id) in input.contact_ids.iter().enumerate() {
                let contact =
                    found.get(id).ok_or_else(|| ApiError::Invalid(format!("contactIds[{index}]: no such contact")))?;
                contacts.insert(*id, contact.clone());
            }
        }
        Ok(contacts)
    }

    /// Adds a new share to the contact's email batch and announces it on the queue,
    /// delivered when the batch's window has passed.
    pub(crate) async fn announce(
        &self,
        tenant: TenantId,
        contact: ContactId,
        item: ItemRef,
        name: String,
    ) -> Result<(), ApiError> {
        let share = BatchedShare { item, name };
        self.store.add_to_share_batch(tenant, contact, &share, OffsetDateTime::now_utc()).await?;
        let message = NotificationMessage::Shares { tenant_id: tenant, contact_id: contact };
        self.queue.send(&message, self.share_email_window_seconds).await
    }

    /// Sharing with a contact who never had access opens it (the invitation is emailed);
    /// a pending access whose invitation is still owed (its email failed, and this is the
    /// retry) gets it now; a closed access stays closed until staff reopen it.
    pub(crate) async fn open_access(&self, staff: &StaffMember, contact: Contact) -> Result<Contact, ApiError> {
        let (contact, invite) = match contact.access_status {
            AccessStatus::None => {
                let applied = portal_shared::access::apply(&self.store, staff, contact, Change::Open).await?;
                (applied.contact, applied.invite)
            }
            AccessStatus::Pending => {
                let owed = self.store.invitation_request(staff.tenant_id, contact.id).await?;
                (contact, owed.is_some_and(|request| request.is_owed()))
            }
            _ => (contact, false),
        };
        if invite {
            let tenant = self.store.tenant(staff.tenant_id).await?.ok_or(ApiError::NotFound("company"))?;
            self.inviter.invite(&tenant, &contact).await?;
        }
        Ok(contact)
    }
}
