//! The drive: nested folders and the documents in them. A folder's contents are one GSI1
//! partition (`TENANT#{t}#IN#{folder}`, or `…#IN#ROOT`), holding its folders and documents.

use std::collections::HashMap;

use super::projection::{ItemReader, attributes_of};
use super::{Clash, Entity, Expr, Index, Item, Store, StoreError, Transaction, from_item, s, to_item};
use crate::domain::{FolderId, ItemRef, TenantId, UserSub};
use crate::identity::StaffMember;
use crate::keys::{self, GSI1_PK, GSI1_SK, PK, SK};
use crate::model::{Document, DriveEntry, Folder};
use crate::pagination::{Page, PageRequest};

/// How deep folders may nest (a bound for walking a folder's ancestors).
pub const MAX_FOLDER_DEPTH: usize = 20;

pub(super) fn read_entry(item: Item) -> Result<DriveEntry, StoreError> {
    let is_folder = item.get(SK).and_then(|sk| sk.as_s().ok()).is_some_and(|sk| sk.starts_with(keys::FOLDER_PREFIX));
    Ok(if is_folder { DriveEntry::Folder(from_item(item)?) } else { DriveEntry::Document(from_item(item)?) })
}

/// What a folder's listing reads of each item: a folder's and a document's attributes,
/// and `SK`, which tells them apart.
fn drive_entry_attributes() -> Option<Vec<&'static str>> {
    let mut attributes = vec![SK];
    for fields in [attributes_of::<Folder>()?, attributes_of::<Document>()?] {
        for field in fields {
            if !attributes.contains(field) {
                attributes.push(field);
            }
        }
    }
    Some(attributes)
}

impl Store {
    pub(super) fn folder_item(tenant: TenantId, folder: &Folder) -> Result<Item, StoreError> {
        to_item(
            folder,
            &[
                (PK, keys::tenant_pk(tenant)),
                (SK, keys::folder_sk(folder.id)),
                (GSI1_PK, keys::drive_children_gsi1_pk(tenant, folder.parent_id)),
                (GSI1_SK, keys::folder_sk(folder.id)),
            ],
        )
    }

    pub(super) fn folder_key(tenant: TenantId, folder: FolderId) -> Item {
        Self::tenant_key(tenant, keys::folder_sk(folder))
    }

    /// Creates a folder in its parent (which must exist, `Unknown(Folder)`, checked in the
    /// same transaction).
    pub async fn create_folder(&self, tenant: TenantId, folder: &Folder) -> Result<(), StoreError> {
        let mut transaction =
            Transaction::new("CreateFolder").put_new(Self::folder_item(tenant, folder)?, Clash::Exists(Entity::Folder));
        if let Some(parent) = folder.parent_id {
            transaction = transaction.require_exists(Self::folder_key(tenant, parent), Clash::Unknown(Entity::Folder));
        }
        transaction.commit(self).await
    }

    pub async fn folder(&self, tenant: TenantId, folder: FolderId) -> Result<Option<Folder>, StoreError> {
        self.get(keys::tenant_pk(tenant), keys::folder_sk(folder)).await
    }

    /// The folder and its ancestors, from the drive's root down to it (`None` when the
    /// folder, or one of its ancestors, is gone).
    pub async fn folder_path(&self, tenant: TenantId, folder: FolderId) -> Result<Option<Vec<Folder>>, StoreError> {
        let mut path = Vec::new();
        let mut next = Some(folder);
        while let Some(id) = next {
            if path.len() > MAX_FOLDER_DEPTH {
                return Err(StoreError::Internal(format!("folder {folder} is nested deeper than allowed")));
            }
            let Some(current) = self.folder(tenant, id).await? else { return Ok(None) };
            next = current.parent_id;
            path.push(current);
        }
        path.reverse();
        Ok(Some(path))
    }

    /// One page of what a folder holds (`None`: the root): folders first, then documents,
    /// each newest first.
    pub async fn drive_children(
        &self,
        tenant: TenantId,
        parent: Option<FolderId>,
        page: &PageRequest,
    ) -> Result<Page<DriveEntry>, StoreError> {
        let partition = keys::drive_children_gsi1_pk(tenant, parent);
        let reader = ItemReader { attributes: drive_entry_attributes(), read: read_entry };
        self.query_index(Index::Gsi1, tenant, &partition, "", "", page, reader).await
    }

    /// The drive entries (folders and documents) that still exist among `items`, in one
    /// BatchGetItem per 100.
    pub async fn drive_entries(
        &self,
        tenant: TenantId,
        items: &[ItemRef],
    ) -> Result<HashMap<ItemRef, DriveEntry>, StoreError> {
        Ok(self.drive_entries_and_staff(tenant, items, &[]).await?.0)
    }

    /// `drive_entries`, and the staff members among `staff`, read together (a customer's
    /// list of what is shared names who shared each item).
    pub async fn drive_entries_and_staff(
        &self,
        tenant: TenantId,
        items: &[ItemRef],
        staff: &[UserSub],
    ) -> Result<(HashMap<ItemRef, DriveEntry>, HashMap<UserSub, StaffMember>), StoreError> {
        let partition = keys::tenant_pk(tenant);
        let keys = items
            .iter()
            .map(|item| (partition.clone(), keys::item_sk(*item)))
            .chain(staff.iter().map(|sub| (keys::user_pk(sub), keys::STAFF_MEMBERSHIP_SK.to_owned())))
            .collect();
        let (mut entries, mut members) = (HashMap::new(), HashMap::new());
        for item in self.batch_get(keys).await? {
            if item.get(PK).and_then(|pk| pk.as_s().ok()) != Some(&partition) {
                let member: StaffMember = from_item(item)?;
                members.insert(member.sub.clone(), member);
                continue;
            }
            let entry = read_entry(item)?;
            let item = match &entry {
                DriveEntry::Folder(folder) => ItemRef::Folder(folder.id),
                DriveEntry::Document(document) => ItemRef::Document(document.id),
            };
            entries.insert(item, entry);
        }
        Ok((entries, members))
    }

    /// Everything a folder holds (all pages).
    pub async fn all_drive_children(&self, tenant: TenantId, folder: FolderId) -> Result<Vec<DriveEntry>, StoreError> {
        self.query_all(|page| async move { self.drive_children(tenant, Some(folder), &page).await }).await
    }

    /// Renames and/or moves a folder (`parent` must exist, `Unknown(Folder)`; the caller
    /// has checked that it is not inside the folder itself). The folder itself gone is
    /// `Missing(Folder)`.
    pub async fn update_folder(&self, tenant: TenantId, after: &Folder) -> Result<(), StoreError> {
        let text = match after.parent_id {
            Some(_) => "SET #name = :name, #gsi = :gsi, parentId = :parent",
            None => "SET #name = :name, #gsi = :gsi REMOVE parentId",
        };
        let mut update = Expr::new(text)
            .name("#name", "name")
            .name("#gsi", GSI1_PK)
            .value(":name", s(after.name.as_str()))
            .value(":gsi", s(keys::drive_children_gsi1_pk(tenant, after.parent_id)));
        if let Some(parent) = after.parent_id {
            update = update.value(":parent", s(parent.to_string()));
        }
        let mut transaction = Transaction::new("UpdateFolder").update(
            Self::folder_key(tenant, after.id),
            update,
            Expr::exists(),
            Clash::Missing(Entity::Folder),
        );
        if let Some(parent) = after.parent_id {
            transaction = transaction.require_exists(Self::folder_key(tenant, parent), Clash::Unknown(Entity::Folder));
        }
        transaction.commit(self).await
    }

    /// Deletes an empty folder (`FolderNotEmpty` while it holds anything;
    /// `Missing(Folder)` when it is gone).
    pub async fn delete_folder(&self, tenant: TenantId, folder: FolderId) -> Result<(), StoreError> {
        let children = self.drive_children(tenant, Some(folder), &PageRequest { limit: 1, cursor: None }).await?;
        if !children.items.is_empty() {
            return Err(Clash::FolderNotEmpty.into());
        }
        Transaction::new("DeleteFolder")
            .delete_if(Self::folder_key(tenant, folder), Expr::exists(), Clash::Missing(Entity::Folder))
            .commit(self)
            .await
    }
}
