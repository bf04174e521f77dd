//! `POST /shares`: items shared with contacts and every contact of an organization; and
//! what every new share brings along: its announcement in the contact's share email, and
//! the contact's portal access opened if they never had it.

use std::collections::{BTreeMap, BTreeSet};

use portal_shared::ApiError;
use portal_shared::access::Change;
use portal_shared::domain::{AccessStatus, ContactId, ItemRef, TenantId};
use portal_shared::identity::StaffMember;
use portal_shared::model::{Action, ActivityEvent, Contact, NotificationMessage, Share};
use portal_shared::share_selection::{MAX_ITEMS, check_future, entry_name, kind};
use portal_shared::store::BatchedShare;
use time::OffsetDateTime;

use crate::input::ShareRequest;
use crate::{App, MAX_CONTACTS, Shared, share_problem};

impl App {
    /// Shares items with contacts and/or every contact of an organization: each item with
    /// each contact (contacts in id order, items in item order), every share announced.
    pub(crate) async fn share(&self, staff: &StaffMember, input: ShareRequest) -> Result<Shared, ApiError> {
        let now = OffsetDateTime::now_utc();
        check_future(input.available_until, "availableUntil", now)?;
        let items: BTreeSet<ItemRef> = input.items.iter().copied().collect();
        if items.is_empty() || items.len() > MAX_ITEMS {
            return Err(ApiError::Invalid(format!("items: share 1 to {MAX_ITEMS} different items")));
        }
        let contacts = self.recipients_of(staff, &input).await?;
        // Every item must exist before anything is written (each write checks it again).
        let entries = self.store.drive_entries(staff.tenant_id, &items.iter().copied().collect::<Vec<_>>()).await?;
        if let Some(missing) = items.iter().find(|item| !entries.contains_key(item)) {
            return Err(ApiError::Invalid(format!("items: no such {} {}", kind(*missing), missing.id())));
        }
        let mut shares = Vec::new();
        let mut touched = Vec::new();
        for contact in contacts.into_values() {
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
            touched.push(self.open_access(staff, contact).await?);
        }
        tracing::info!(tenant = %staff.tenant_id, shares = shares.len(), "shared");
        Ok(Shared { shares, contacts: touched })
    }

    /// The contacts a share request names, directly and through its organization: each
    /// must exist (422 naming it), at least one and at most `MAX_CONTACTS`.
    async fn recipients_of(
        &self,
        staff: &StaffMember,
        input: &ShareRequest,
    ) -> Result<BTreeMap<ContactId, Contact>, ApiError> {
        let mut contacts: BTreeMap<ContactId, Contact> = BTreeMap::new();
        if !input.contact_ids.is_empty() {
            let found = self.store.contacts(staff.tenant_id, &input.contact_ids).await?;
            for (index, id) in input.contact_ids.iter().enumerate() {
                let contact =
                    found.get(id).ok_or_else(|| ApiError::Invalid(format!("contactIds[{index}]: no such contact")))?;
                contacts.insert(*id, contact.clone());
            }
        }
        if let Some(organization) = input.organization_id {
            self.store
                .organization(staff.tenant_id, organization)
                .await?
                .ok_or_else(|| ApiError::Invalid("organizationId: no such organization".into()))?;
            for contact in self.store.all_organization_members(staff.tenant_id, organization).await? {
                contacts.insert(contact.id, contact);
            }
        }
        if contacts.is_empty() {
            return Err(ApiError::Invalid(
                "contactIds: name at least one contact, or an organization with contacts".into(),
            ));
        }
        if contacts.len() > MAX_CONTACTS {
            return Err(ApiError::Invalid(format!("contactIds: share with at most {MAX_CONTACTS} contacts at once")));
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
