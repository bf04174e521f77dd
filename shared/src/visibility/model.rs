//! One company's drive and shares held in memory, answering the visibility rule's reads in
//! the table's orders. The unit tests' fake, and the model a consistency test computes the
//! expected visible set with (`visible_documents(&model, …)`) to compare against what the
//! portal serves.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{ContactShares, DocumentAccess, EntriesAndSharers, SharedDrive};
use crate::domain::{ContactId, DocumentId, FolderId, ItemRef, TenantId, UserSub};
use crate::identity::StaffMember;
use crate::model::{Document, DriveEntry, Folder, Share};

#[derive(Debug, Default)]
pub struct DriveModel {
    tenant: TenantId,
    folders: HashMap<FolderId, Folder>,
    documents: HashMap<DocumentId, Document>,
    shares: HashMap<(ContactId, ItemRef), Share>,
    staff: HashMap<UserSub, StaffMember>,
    children_reads: AtomicUsize,
}

impl DriveModel {
    /// An empty drive of `tenant` (reads for any other tenant find nothing).
    pub fn new(tenant: TenantId) -> Self {
        Self { tenant, ..Self::default() }
    }

    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    pub fn put_folder(&mut self, folder: Folder) {
        self.folders.insert(folder.id, folder);
    }

    pub fn put_document(&mut self, document: Document) {
        self.documents.insert(document.id, document);
    }

    pub fn delete_item(&mut self, item: ItemRef) {
        match item {
            ItemRef::Folder(id) => self.folders.remove(&id).map(|_| ()),
            ItemRef::Document(id) => self.documents.remove(&id).map(|_| ()),
        };
    }

    /// Shares an item (or replaces the contact's share of it), as `Store::put_share`.
    pub fn put_share(&mut self, share: Share) {
        self.shares.insert((share.contact_id, share.item), share);
    }

    pub fn delete_share(&mut self, contact: ContactId, item: ItemRef) {
        self.shares.remove(&(contact, item));
    }

    /// A staff member (of this company or another) who may have shared something.
    pub fn put_staff(&mut self, member: StaffMember) {
        self.staff.insert(member.sub.clone(), member);
    }

    /// How many folder listings were read (each costs one or more Queries on the table).
    pub fn children_reads(&self) -> usize {
        self.children_reads.load(Ordering::Relaxed)
    }

    fn entry(&self, tenant: TenantId, item: ItemRef) -> Option<DriveEntry> {
        if tenant != self.tenant {
            return None;
        }
        match item {
            ItemRef::Folder(id) => self.folders.get(&id).cloned().map(DriveEntry::Folder),
            ItemRef::Document(id) => self.documents.get(&id).cloned().map(DriveEntry::Document),
        }
    }
}

impl ContactShares for DriveModel {
    type Error = Infallible;

    async fn shares_of_contact(&self, tenant: TenantId, contact: ContactId) -> Result<Vec<Share>, Infallible> {
        if tenant != self.tenant {
            return Ok(Vec::new());
        }
        let mut shares: Vec<Share> =
            self.shares.values().filter(|share| share.contact_id == contact).cloned().collect();
        // The table's order: `SHARE#{contact}#{item id}`.
        shares.sort_by_key(|share| share.item.id());
        Ok(shares)
    }
}

impl SharedDrive for DriveModel {
    async fn entries_and_sharers(
        &self,
        tenant: TenantId,
        items: &[ItemRef],
        sharers: &[UserSub],
    ) -> Result<EntriesAndSharers, Infallible> {
        let entries = items.iter().filter_map(|item| Some((*item, self.entry(tenant, *item)?))).collect();
        let staff = sharers.iter().filter_map(|sub| Some((sub.clone(), self.staff.get(sub)?.clone()))).collect();
        Ok((entries, staff))
    }

    async fn children_of(&self, tenant: TenantId, folder: FolderId) -> Result<Vec<DriveEntry>, Infallible> {
        self.children_reads.fetch_add(1, Ordering::Relaxed);
        if tenant != self.tenant {
            return Ok(Vec::new());
        }
        // The table's order: GSI1 sort keys descending, `FOLDER#…` before `DOC#…`.
        let mut folders: Vec<&Folder> = self.folders.values().filter(|f| f.parent_id == Some(folder)).collect();
        folders.sort_by_key(|f| std::cmp::Reverse(f.id.to_string()));
        let mut documents: Vec<&Document> = self.documents.values().filter(|d| d.folder_id == Some(folder)).collect();
        documents.sort_by_key(|d| std::cmp::Reverse(d.id.to_string()));
        Ok(folders
            .into_iter()
            .cloned()
            .map(DriveEntry::Folder)
            .chain(documents.into_iter().cloned().map(DriveEntry::Document))
            .collect())
    }
}

impl DocumentAccess for DriveModel {
    type Error = Infallible;

    async fn item_and_share(
        &self,
        tenant: TenantId,
        contact: ContactId,
        item: ItemRef,
    ) -> Result<(Option<DriveEntry>, Option<Share>), Infallible> {
        let share = (tenant == self.tenant).then(|| self.shares.get(&(contact, item)).cloned()).flatten();
        Ok((self.entry(tenant, item), share))
    }
}
