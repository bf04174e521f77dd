//! How saving a contact's selection (`PUT /contacts/{id}/shares`) changes what is shared
//! with them: the selection wanted ([`Wanted`], parsed: bounded, no item twice, expiries in
//! the future) against the contact's shares now gives a [`Plan`] — the shares to remove,
//! the shares to write (new ones, or kept ones with a new expiry) and the ones that stay as
//! they are. Only a new share is announced in the contact's share email (the batch); a
//! changed expiry is not news to the customer.
//!
//! The reads are narrow traits ([`SelectionSource`]), so the plan is tested against an
//! in-memory fake; the sharing function applies the plan in order.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;

use time::OffsetDateTime;

use crate::domain::{ContactId, ItemRef, TenantId, UserSub};
use crate::error::ApiError;
use crate::model::{DriveEntry, Share};
pub use crate::visibility::ContactShares;

/// At most this many items in one selection (or one share request).
pub const MAX_ITEMS: usize = 100;

/// What a selection is planned from: the contact's shares, and the selected items.
pub trait SelectionSource: ContactShares {
    /// The drive entries (folders and documents) that exist among `items`.
    fn drive_entries(
        &self,
        tenant: TenantId,
        items: &[ItemRef],
    ) -> impl Future<Output = Result<HashMap<ItemRef, DriveEntry>, Self::Error>> + Send;
}

/// An expiry must be in the future (a 422 naming `field` otherwise).
pub fn check_future(until: Option<OffsetDateTime>, field: &str, now: OffsetDateTime) -> Result<(), ApiError> {
    match until {
        Some(until) if until <= now => Err(ApiError::Invalid(format!("{field}: must be in the future"))),
        _ => Ok(()),
    }
}

/// A contact's selection as staff want it: each item once, with its expiry (`None`: none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wanted(BTreeMap<ItemRef, Option<OffsetDateTime>>);

impl Wanted {
    /// The selection sent, in its order: at most [`MAX_ITEMS`] items, none listed twice,
    /// every expiry in the future (a 422 naming the first offending entry).
    pub fn parse(items: &[(ItemRef, Option<OffsetDateTime>)], now: OffsetDateTime) -> Result<Self, ApiError> {
        if items.len() > MAX_ITEMS {
            return Err(ApiError::Invalid(format!("items: at most {MAX_ITEMS} items")));
        }
        let mut wanted = BTreeMap::new();
        for (index, (item, until)) in items.iter().enumerate() {
            check_future(*until, &format!("items[{index}].availableUntil"), now)?;
            if wanted.insert(*item, *until).is_some() {
                return Err(ApiError::Invalid(format!("items[{index}]: listed twice")));
            }
        }
        Ok(Self(wanted))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn items(&self) -> Vec<ItemRef> {
        self.0.keys().copied().collect()
    }
}

/// A share to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub share: Share,
    /// The item's name (for the trail and the email).
    pub name: String,
    /// A new share (recorded as `share.created` and announced in the contact's batch), or
    /// a kept one whose expiry changed (who shared it and when stay).
    pub new: bool,
}

/// A share to remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    pub item: ItemRef,
    /// The item's name for the trail. The plan reads only the wanted items, so a removed
    /// item's name is empty (as the save has always recorded it).
    pub name: String,
}

/// What saving a selection does, in order: every removal, then every write, each in item
/// order; `unchanged` are kept as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub removals: Vec<Removal>,
    pub writes: Vec<Write>,
    pub unchanged: Vec<ItemRef>,
    /// A non-empty selection opens the contact's portal access if they never had it.
    pub opens_access: bool,
}

impl Plan {
    /// The shares to announce in the contact's share email.
    pub fn announced(&self) -> impl Iterator<Item = &Write> {
        self.writes.iter().filter(|write| write.new)
    }
}

/// Why a selection cannot be planned.
#[derive(Debug)]
pub enum PlanError<E> {
    /// A selected item does not exist (the first, in item order).
    NoSuchItem(ItemRef),
    Store(E),
}

impl<E> From<PlanError<E>> for ApiError
where
    ApiError: From<E>,
{
    fn from(err: PlanError<E>) -> Self {
        match err {
            PlanError::NoSuchItem(item) => ApiError::Invalid(format!("items: no such {} {}", kind(item), item.id())),
            PlanError::Store(err) => err.into(),
        }
    }
}

/// `folder` or `document`, as the API names them.
pub fn kind(item: ItemRef) -> &'static str {
    match item {
        ItemRef::Folder(_) => "folder",
        ItemRef::Document(_) => "document",
    }
}

/// The name of a drive entry.
pub fn entry_name(entry: &DriveEntry) -> String {
    match entry {
        DriveEntry::Folder(folder) => folder.name.to_string(),
        DriveEntry::Document(document) => document.name.to_string(),
    }
}

/// Plans replacing the contact's selection with `wanted`, shared by `sharer` at `now`.
/// Reads: the wanted items (each must exist), then the contact's shares. A share not
/// wanted is removed (an expired one too: it is only tidied away); a wanted item without a
/// current share gets a new share (an expired one is shared anew); a current share whose
/// expiry differs is rewritten; the rest is unchanged.
pub async fn plan<S: SelectionSource>(
    source: &S,
    tenant: TenantId,
    contact: ContactId,
    sharer: &UserSub,
    wanted: &Wanted,
    now: OffsetDateTime,
) -> Result<Plan, PlanError<S::Error>> {
    let entries = source.drive_entries(tenant, &wanted.items()).await.map_err(PlanError::Store)?;
    if let Some(missing) = wanted.0.keys().find(|item| !entries.contains_key(item)) {
        return Err(PlanError::NoSuchItem(*missing));
    }
    let existing: BTreeMap<ItemRef, Share> = source
        .shares_of_contact(tenant, contact)
        .await
        .map_err(PlanError::Store)?
        .into_iter()
        .map(|share| (share.item, share))
        .collect();
    let name = |item: &ItemRef| entries.get(item).map(entry_name).unwrap_or_default();
    let removals = existing
        .keys()
        .filter(|item| !wanted.0.contains_key(item))
        .map(|item| Removal { item: *item, name: name(item) })
        .collect();
    let (mut writes, mut unchanged) = (Vec::new(), Vec::new());
    for (item, until) in &wanted.0 {
        let write = match existing.get(item).filter(|share| share.is_current(now)) {
            Some(share) if share.available_until == *until => {
                unchanged.push(*item);
                continue;
            }
            Some(share) => {
                Write { share: Share { available_until: *until, ..share.clone() }, name: name(item), new: false }
            }
            None => Write {
                share: Share {
                    contact_id: contact,
                    item: *item,
                    shared_by: sharer.clone(),
                    shared_at: now,
                    available_until: *until,
                },
                name: name(item),
                new: true,
            },
        };
        writes.push(write);
    }
    Ok(Plan { removals, writes, unchanged, opens_access: !wanted.is_empty() })
}

#[cfg(feature = "dynamodb")]
impl SelectionSource for crate::store::Store {
    async fn drive_entries(
        &self,
        tenant: TenantId,
        items: &[ItemRef],
    ) -> Result<HashMap<ItemRef, DriveEntry>, ApiError> {
        Ok(crate::store::Store::drive_entries(self, tenant, items).await?)
    }
}

/// The in-memory drive answers a plan's reads as the table does.
impl SelectionSource for crate::visibility::model::DriveModel {
    async fn drive_entries(
        &self,
        tenant: TenantId,
        items: &[ItemRef],
    ) -> Result<HashMap<ItemRef, DriveEntry>, std::convert::Infallible> {
        use crate::visibility::SharedDrive;
        Ok(self.entries_and_sharers(tenant, items, &[]).await?.0)
    }
}

#[cfg(test)]
mod tests;
