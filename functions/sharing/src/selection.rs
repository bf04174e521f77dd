//! A contact's selection as staff see it: what is shared with them (a page, or all of it
//! after a save), replacing it as a whole (planned by `share_selection`), and unsharing
//! one item.

use portal_shared::ApiError;
use portal_shared::domain::ItemId;
use portal_shared::identity::StaffMember;
use portal_shared::model::{Action, ActivityEvent, Contact, Share};
use portal_shared::pagination::{Page, PageRequest};
use portal_shared::share_selection::{self, Wanted, entry_name};
use portal_shared::store::{Clash, Entity, StoreError};
use time::OffsetDateTime;

use crate::input::Selection;
use crate::{App, MAX_SELECTION_SHARES, SELECTION_LEASE_SECONDS, SharedItem, share_problem};

impl App {
    /// What is currently shared with a contact, one page at a time (a page may hold fewer
    /// items than asked: expired shares and deleted items are left out).
    pub(crate) async fn contact_shares(
        &self,
        staff: &StaffMember,
        contact: &Contact,
        page: &PageRequest,
    ) -> Result<Page<SharedItem>, ApiError> {
        let shares = self.store.contact_shares(staff.tenant_id, contact.id, page).await?;
        Ok(Page { items: self.resolve(staff, shares.items).await?, next_cursor: shares.next_cursor })
    }

    /// The current shares among `shares`, with the items they share (one BatchGetItem);
    /// a share of a deleted item is left out.
    async fn resolve(&self, staff: &StaffMember, shares: Vec<Share>) -> Result<Vec<SharedItem>, ApiError> {
        let now = OffsetDateTime::now_utc();
        let current: Vec<Share> = shares.into_iter().filter(|share| share.is_current(now)).collect();
        let items: Vec<_> = current.iter().map(|share| share.item).collect();
        let mut entries = self.store.drive_entries(staff.tenant_id, &items).await?;
        Ok(current
            .into_iter()
            .filter_map(|share| entries.remove(&share.item).map(|target| SharedItem { share, target }))
            .collect())
    }

    /// Replaces a contact's selection: items not in it are unshared, new ones shared, and
    /// the expiry of kept ones updated. Each change is written with its trail entry. The
    /// writes are many, so a lease on the selection serializes saves of the same contact's
    /// selection: a second save while one is in progress is a 409, never a mix of both.
    pub(crate) async fn replace_selection(
        &self,
        staff: &StaffMember,
        contact: &Contact,
        selection: Selection,
    ) -> Result<Vec<SharedItem>, ApiError> {
        let now = OffsetDateTime::now_utc();
        let holder = self.store.lease_selection(staff.tenant_id, contact.id, now, SELECTION_LEASE_SECONDS).await?;
        let saved = self.save_selection(staff, contact, &selection, now).await;
        let released = self.store.release_selection(staff.tenant_id, contact.id, &holder).await;
        let saved = saved?;
        released?;
        Ok(saved)
    }

    /// Under the lease: plans the change, then writes it in the plan's order (removals,
    /// then writes, each new share announced), and opens access for a non-empty selection.
    async fn save_selection(
        &self,
        staff: &StaffMember,
        contact: &Contact,
        selection: &Selection,
        now: OffsetDateTime,
    ) -> Result<Vec<SharedItem>, ApiError> {
        let tenant = staff.tenant_id;
        let wanted = Wanted::parse(&selection.entries(), now)?;
        // Bounded: the plan reads all the contact's shares, so a contact with more than a
        // selection can hold is refused before anything is read or written in full.
        let bound = PageRequest { limit: (MAX_SELECTION_SHARES + 1) as i32, cursor: None };
        let first = self.store.contact_shares(tenant, contact.id, &bound).await?;
        if first.next_cursor.is_some() || first.items.len() > MAX_SELECTION_SHARES {
            return Err(ApiError::Conflict(format!(
                "this contact has more than {MAX_SELECTION_SHARES} shares: a selection cannot replace them all; \
                 share (POST /shares) and unshare items instead"
            )));
        }
        let plan = share_selection::plan(&self.store, tenant, contact.id, &staff.sub, &wanted, now).await?;
        for removal in &plan.removals {
            let event = ActivityEvent::new(Action::ShareRemoved, staff.actor(), now)
                .contact(contact.id)
                .item(removal.item, removal.name.clone());
            // Gone already (another tidy-up): nothing to remove.
            match self.store.delete_share(tenant, contact.id, removal.item, &event).await {
                Ok(()) | Err(StoreError::Clash(Clash::Missing(Entity::Share))) => {}
                Err(err) => return Err(err.into()),
            }
        }
        for write in &plan.writes {
            let event = write.new.then(|| {
                ActivityEvent::new(Action::ShareCreated, staff.actor(), now)
                    .contact(contact.id)
                    .item(write.share.item, write.name.clone())
            });
            self.store.put_share(tenant, &write.share, event.as_ref()).await.map_err(share_problem(&write.share))?;
            if write.new {
                self.announce(tenant, contact.id, write.share.item, write.name.clone()).await?;
            }
        }
        if plan.opens_access {
            self.open_access(staff, contact.clone()).await?;
        }
        tracing::info!(tenant = %tenant, contact = %contact.id, items = wanted.len(), "selection saved");
        let shares = self.store.all_contact_shares(tenant, contact.id).await?;
        self.resolve(staff, shares).await
    }

    /// Unshares one item with the contact (404 when it is not shared with them).
    pub(crate) async fn unshare(&self, staff: &StaffMember, contact: &Contact, item: ItemId) -> Result<(), ApiError> {
        let share = self.store.share(staff.tenant_id, contact.id, item).await?.ok_or(ApiError::NotFound("share"))?;
        let name = self.store.drive_entries(staff.tenant_id, &[share.item]).await?.get(&share.item).map(entry_name);
        let event = ActivityEvent::new(Action::ShareRemoved, staff.actor(), OffsetDateTime::now_utc())
            .contact(contact.id)
            .item(share.item, name.unwrap_or_default());
        self.store.delete_share(staff.tenant_id, contact.id, share.item, &event).await?;
        tracing::info!(tenant = %staff.tenant_id, contact = %contact.id, "unshared");
        Ok(())
    }
}
