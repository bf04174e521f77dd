//! What the sharing routes answer.

use portal_shared::model::{Contact, DriveEntry, Share};
use serde::Serialize;

/// A share with what it shares (as it is now).
#[derive(Debug, Serialize)]
pub struct SharedItem {
    #[serde(flatten)]
    pub(crate) share: Share,
    pub(crate) target: DriveEntry,
}

/// A share of one item, with the contact it is shared with.
#[derive(Debug, Serialize)]
pub struct Recipient {
    #[serde(flatten)]
    pub(crate) share: Share,
    pub(crate) contact: Contact,
}

#[derive(Debug, Serialize)]
pub struct Shared {
    /// The shares made (one per contact and item).
    pub(crate) shares: Vec<Share>,
    /// The contacts shared with, with their portal access after sharing.
    pub(crate) contacts: Vec<Contact>,
}
