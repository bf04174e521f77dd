//! Which documents a customer sees at a company: every available staff document shared
//! with their contact directly, and every one in a shared folder or below it (what the
//! folder holds at the time of reading, so a document added later is shared too), while
//! the share is current. Two questions, one rule:
//!
//! - [`visible_documents`]: the whole visible set, walking down from each current share:
//!   the model the view index (`crate::view`, which serves the listing) is tested against,
//!   over [`model::DriveModel`] and over the table itself;
//! - [`shared_document`]: whether one document is visible, walking up from it (a
//!   download; the view index's recompute walks up the same way, keeping every current
//!   share), bounded by the folder depth rather than by what is shared.
//!
//! The reads are narrow traits ([`SharedDrive`], [`DocumentAccess`]) so the rule runs
//! against the table (`Store`) and against an in-memory drive alike.

use std::collections::{HashMap, HashSet};
use std::future::Future;

use serde::Serialize;
use time::OffsetDateTime;

use crate::domain::{
    ContactId, DisplayName, DocumentId, DocumentStatus, FileName, FolderId, ItemRef, TenantId, UserSub,
};
use crate::identity::StaffMember;
use crate::model::{Document, DriveEntry, Share};

pub mod model;

/// How far below a shared folder its documents are visible: the drive's nesting bound.
pub const MAX_FOLDER_DEPTH: usize = 20;

#[cfg(feature = "dynamodb")]
const _: () = assert!(MAX_FOLDER_DEPTH == crate::store::MAX_FOLDER_DEPTH);

/// The shared items that exist, and the staff members who shared them.
pub type EntriesAndSharers = (HashMap<ItemRef, DriveEntry>, HashMap<UserSub, StaffMember>);

/// The shares of one contact at one company.
pub trait ContactShares: Sync {
    type Error: Send;
    /// Every share of the contact, expired ones included (the rules decide), in the
    /// table's order (by item id).
    fn shares_of_contact(
        &self,
        tenant: TenantId,
        contact: ContactId,
    ) -> impl Future<Output = Result<Vec<Share>, Self::Error>> + Send;
}

/// What the visible set is computed from: a contact's shares, the shared items, who
/// shared them, and what folders hold.
pub trait SharedDrive: ContactShares {
    /// The drive entries that exist among `items`, and the staff members among `sharers`
    /// (read together: the listing names who shared each item).
    fn entries_and_sharers(
        &self,
        tenant: TenantId,
        items: &[ItemRef],
        sharers: &[UserSub],
    ) -> impl Future<Output = Result<EntriesAndSharers, Self::Error>> + Send;

    /// Everything a folder holds: its folders first, then its documents, each newest first.
    fn children_of(
        &self,
        tenant: TenantId,
        folder: FolderId,
    ) -> impl Future<Output = Result<Vec<DriveEntry>, Self::Error>> + Send;
}

/// What one document's visibility is answered from.
pub trait DocumentAccess: Sync {
    type Error: Send;
    /// An item (folder or document) and the contact's share of it, each if it exists.
    fn item_and_share(
        &self,
        tenant: TenantId,
        contact: ContactId,
        item: ItemRef,
    ) -> impl Future<Output = Result<(Option<DriveEntry>, Option<Share>), Self::Error>> + Send;
}

/// Customers see finished staff documents only: not pending or rejected uploads, and not
/// other customers' submissions.
pub fn shareable(document: &Document) -> bool {
    document.status == DocumentStatus::Available && document.contact_id.is_none()
}

/// The folder a visible document came with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct FolderRef {
    pub id: FolderId,
    pub name: FileName,
}

/// One visible document and the share that shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisibleDocument {
    pub document: Document,
    /// Its own share, or its folder's: the first current share (in the table's order)
    /// that reaches it.
    pub share: Share,
    /// The folder holding it, when it came with a shared folder.
    pub folder: Option<FolderRef>,
    /// Every folder from the shared one down to the one holding it (empty for a document
    /// shared by itself).
    pub folder_ids: Vec<FolderId>,
}

/// Everything visible to one contact at one company.
#[derive(Debug, Clone, Default)]
pub struct Visible {
    /// Each document once, in walk order (shares in the table's order; each folder's
    /// subtree depth first).
    pub documents: Vec<VisibleDocument>,
    /// The company's staff members who made the current shares (a member who has left,
    /// or belongs to another company, is not here).
    pub sharers: HashMap<UserSub, StaffMember>,
}

impl Visible {
    /// Who customers are told shared: the member's name; a member who has left, or has
    /// no name, shows as the company (`company`).
    pub fn shown_sharer(&self, sub: &UserSub, company: &DisplayName) -> DisplayName {
        self.sharers.get(sub).map_or_else(|| company.clone(), |member| member.shown_to_customers(company))
    }

    /// The ids of the visible documents (what an index of the visible set must hold).
    pub fn document_ids(&self) -> HashSet<DocumentId> {
        self.documents.iter().map(|visible| visible.document.id).collect()
    }
}

/// Everything currently shared with the contact at the company: shared documents that are
/// available, and every available document in a shared folder or up to
/// [`MAX_FOLDER_DEPTH`] levels below it. Reads: the contact's shares, one read of the
/// shared items and their sharers, then each folder's children once per shared folder.
pub async fn visible_documents<S: SharedDrive>(
    source: &S,
    tenant: TenantId,
    contact: ContactId,
    now: OffsetDateTime,
) -> Result<Visible, S::Error> {
    let shares: Vec<Share> =
        source.shares_of_contact(tenant, contact).await?.into_iter().filter(|share| share.is_current(now)).collect();
    let items: Vec<ItemRef> = shares.iter().map(|share| share.item).collect();
    let mut sharers: Vec<UserSub> = shares.iter().map(|share| share.shared_by.clone()).collect();
    sharers.sort();
    sharers.dedup();
    let (entries, staff) = source.entries_and_sharers(tenant, &items, &sharers).await?;
    // Only members of this company name a share.
    let sharers = staff.into_iter().filter(|(_, member)| member.tenant_id == tenant).collect();
    let mut seen: HashSet<DocumentId> = HashSet::new();
    let mut documents = Vec::new();
    for share in &shares {
        match entries.get(&share.item) {
            Some(DriveEntry::Document(document)) if shareable(document) && seen.insert(document.id) => {
                documents.push(VisibleDocument {
                    document: document.clone(),
                    share: share.clone(),
                    folder: None,
                    folder_ids: Vec::new(),
                });
            }
            Some(DriveEntry::Folder(root)) => {
                // Depth first through the shared folder's subtree, each folder once, at
                // most MAX_FOLDER_DEPTH levels (a cycle or a deep drive stays bounded).
                let mut stack = vec![(root.id, root.name.clone(), vec![root.id])];
                let mut walked = HashSet::new();
                while let Some((id, name, path)) = stack.pop() {
                    if !walked.insert(id) || path.len() > MAX_FOLDER_DEPTH {
                        continue;
                    }
                    for entry in source.children_of(tenant, id).await? {
                        match entry {
                            DriveEntry::Document(document) if shareable(&document) => {
                                if seen.insert(document.id) {
                                    documents.push(VisibleDocument {
                                        document,
                                        share: share.clone(),
                                        folder: Some(FolderRef { id, name: name.clone() }),
                                        folder_ids: path.clone(),
                                    });
                                }
                            }
                            DriveEntry::Folder(child) => {
                                let mut child_path = path.clone();
                                child_path.push(child.id);
                                stack.push((child.id, child.name, child_path));
                            }
                            DriveEntry::Document(_) => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(Visible { documents, sharers })
}

/// The document, if it is visible to the contact (as in [`visible_documents`]): shareable,
/// and shared by itself or through one of the [`MAX_FOLDER_DEPTH`] folders above it with a
/// current share. Reads one item and its share per level, walking up from the document.
pub async fn shared_document<S: DocumentAccess>(
    source: &S,
    tenant: TenantId,
    contact: ContactId,
    id: DocumentId,
    now: OffsetDateTime,
) -> Result<Option<Document>, S::Error> {
    let (entry, share) = source.item_and_share(tenant, contact, ItemRef::Document(id)).await?;
    let Some(DriveEntry::Document(document)) = entry else { return Ok(None) };
    if !shareable(&document) {
        return Ok(None);
    }
    let mut shared = share.is_some_and(|share| share.is_current(now));
    let mut folder = document.folder_id;
    let mut level = 0;
    while let Some(id) = folder.filter(|_| !shared && level < MAX_FOLDER_DEPTH) {
        let (entry, share) = source.item_and_share(tenant, contact, ItemRef::Folder(id)).await?;
        let Some(DriveEntry::Folder(current)) = entry else { break };
        shared = share.is_some_and(|share| share.is_current(now));
        folder = current.parent_id;
        level += 1;
    }
    Ok(shared.then_some(document))
}

#[cfg(feature = "dynamodb")]
mod store {
    //! The table answers the rule's reads with the store's queries, one for one; a
    //! storage outcome becomes the API's error here, as at every edge.

    use super::*;
    use crate::error::ApiError;
    use crate::store::Store;

    impl ContactShares for Store {
        type Error = ApiError;
        async fn shares_of_contact(&self, tenant: TenantId, contact: ContactId) -> Result<Vec<Share>, ApiError> {
            Ok(self.all_contact_shares(tenant, contact).await?)
        }
    }

    impl SharedDrive for Store {
        async fn entries_and_sharers(
            &self,
            tenant: TenantId,
            items: &[ItemRef],
            sharers: &[UserSub],
        ) -> Result<EntriesAndSharers, ApiError> {
            Ok(self.drive_entries_and_staff(tenant, items, sharers).await?)
        }

        async fn children_of(&self, tenant: TenantId, folder: FolderId) -> Result<Vec<DriveEntry>, ApiError> {
            Ok(self.all_drive_children(tenant, folder).await?)
        }
    }

    impl DocumentAccess for Store {
        type Error = ApiError;
        async fn item_and_share(
            &self,
            tenant: TenantId,
            contact: ContactId,
            item: ItemRef,
        ) -> Result<(Option<DriveEntry>, Option<Share>), ApiError> {
            Ok(self.entry_and_share(tenant, contact, item).await?)
        }
    }
}

#[cfg(test)]
mod tests;
