//! Who an item is shared with.

use portal_shared::ApiError;
use portal_shared::domain::{ContactId, ItemRef};
use portal_shared::identity::StaffMember;
use portal_shared::model::Share;
use portal_shared::pagination::{Page, PageRequest};
use portal_shared::share_selection::kind;
use time::OffsetDateTime;

use crate::{App, Recipient};

impl App {
    /// Who an item is shared with (current shares), one page at a time; 404 when the item
    /// does not exist in the caller's company.
    pub(crate) async fn recipients(
        &self,
        staff: &StaffMember,
        item: ItemRef,
        page: &PageRequest,
    ) -> Result<Page<Recipient>, ApiError> {
        if self.store.drive_entries(staff.tenant_id, &[item]).await?.is_empty() {
            return Err(ApiError::NotFound(kind(item)));
        }
        let shares = self.store.item_shares(staff.tenant_id, item, page).await?;
        let now = OffsetDateTime::now_utc();
        let current: Vec<Share> = shares.items.into_iter().filter(|share| share.is_current(now)).collect();
        let ids: Vec<ContactId> = current.iter().map(|share| share.contact_id).collect();
        let mut contacts = self.store.contacts(staff.tenant_id, &ids).await?;
        let items = current
            .into_iter()
            .filter_map(|share| contacts.remove(&share.contact_id).map(|contact| Recipient { share, contact }))
            .collect();
        Ok(Page { items, next_cursor: shares.next_cursor })
    }
}
