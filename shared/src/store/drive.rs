//! The drive: nested folders and the documents in them. A folder's contents are one GSI1
//! partition (`TENANT#{t}#IN#{folder}`, or `…#IN#ROOT`), holding its folders and documents.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{ConditionCheck, Delete, TransactWriteItem, Update};

use super::projection::{ItemReader, attributes_of};
use super::{Index, Item, Store, from_item, s, to_item};
use crate::domain::{DocumentId, FileName, FolderId, ItemRef, TenantId, UserSub};
use crate::error::ApiError;
use crate::identity::StaffMember;
use crate::keys::{self, GSI1_PK, GSI1_SK, PK, SK};
use crate::model::{ActivityEvent, Document, DriveEntry, Folder};
use crate::pagination::{Page, PageRequest};

/// How deep folders may nest (a bound for walking a folder's ancestors).
pub const MAX_FOLDER_DEPTH: usize = 20;

pub(super) fn read_entry(item: Item) -> Result<DriveEntry, ApiError> {
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
    fn folder_item(tenant: TenantId, folder: &Folder) -> Result<Item, ApiError> {
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

    /// A condition, in a transaction, that the folder exists.
    pub(super) fn folder_exists(&self, tenant: TenantId, folder: FolderId) -> Result<TransactWriteItem, ApiError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(tenant), keys::folder_sk(folder))))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    pub(super) fn no_such_folder() -> ApiError {
        ApiError::Invalid("folderId: no such folder".into())
    }

    /// Creates a folder in its parent (which must exist, checked in the same transaction).
    pub async fn create_folder(&self, tenant: TenantId, folder: &Folder) -> Result<(), ApiError> {
        let mut writes = vec![(
            self.put_new(Self::folder_item(tenant, folder)?)?,
            ApiError::Conflict("this folder already exists".into()),
        )];
        if let Some(parent) = folder.parent_id {
            writes.push((self.folder_exists(tenant, parent)?, ApiError::Invalid("parentId: no such folder".into())));
        }
        self.transact("CreateFolder", writes).await
    }

    pub async fn folder(&self, tenant: TenantId, folder: FolderId) -> Result<Option<Folder>, ApiError> {
        self.get(keys::tenant_pk(tenant), keys::folder_sk(folder)).await
    }

    /// The folder and its ancestors, from the drive's root down to it.
    pub async fn folder_path(&self, tenant: TenantId, folder: FolderId) -> Result<Vec<Folder>, ApiError> {
        let mut path = Vec::new();
        let mut next = Some(folder);
        while let Some(id) = next {
            if path.len() > MAX_FOLDER_DEPTH {
                return Err(ApiError::Internal(format!("folder {folder} is nested deeper than allowed")));
            }
            let current = self.folder(tenant, id).await?.ok_or(ApiError::NotFound("folder"))?;
            next = current.parent_id;
            path.push(current);
        }
        path.reverse();
        Ok(path)
    }

    /// One page of what a folder holds (`None`: the root): folders first, then documents,
    /// each newest first.
    pub async fn drive_children(
        &self,
        tenant: TenantId,
        parent: Option<FolderId>,
        page: &PageRequest,
    ) -> Result<Page<DriveEntry>, ApiError> {
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
    ) -> Result<HashMap<ItemRef, DriveEntry>, ApiError> {
        Ok(self.drive_entries_and_staff(tenant, items, &[]).await?.0)
    }

    /// `drive_entries`, and the staff members among `staff`, read together (a customer's
    /// list of what is shared names who shared each item).
    pub async fn drive_entries_and_staff(
        &self,
        tenant: TenantId,
        items: &[ItemRef],
        staff: &[UserSub],
    ) -> Result<(HashMap<ItemRef, DriveEntry>, HashMap<UserSub, StaffMember>), ApiError> {
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
    pub async fn all_drive_children(&self, tenant: TenantId, folder: FolderId) -> Result<Vec<DriveEntry>, ApiError> {
        self.query_all(|page| async move { self.drive_children(tenant, Some(folder), &page).await }).await
    }

    /// Renames and/or moves a folder (`parent` must exist; the caller has checked that it
    /// is not inside the folder itself).
    pub async fn update_folder(&self, tenant: TenantId, after: &Folder) -> Result<(), ApiError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(tenant), keys::folder_sk(after.id))))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#name", "name")
            .expression_attribute_names("#gsi", GSI1_PK)
            .expression_attribute_values(":name", s(after.name.as_str()))
            .expression_attribute_values(":gsi", s(keys::drive_children_gsi1_pk(tenant, after.parent_id)));
        update = match after.parent_id {
            Some(parent) => update
                .update_expression("SET #name = :name, #gsi = :gsi, parentId = :parent")
                .expression_attribute_values(":parent", s(parent.to_string())),
            None => update.update_expression("SET #name = :name, #gsi = :gsi REMOVE parentId"),
        };
        let update = update.build().map_err(|e| ApiError::Internal(e.to_string()))?;
        let mut writes = vec![(TransactWriteItem::builder().update(update).build(), ApiError::NotFound("folder"))];
        if let Some(parent) = after.parent_id {
            writes.push((self.folder_exists(tenant, parent)?, ApiError::Invalid("parentId: no such folder".into())));
        }
        self.transact("UpdateFolder", writes).await
    }

    /// Deletes an empty folder (409 while it holds anything).
    pub async fn delete_folder(&self, tenant: TenantId, folder: FolderId) -> Result<(), ApiError> {
        let children = self.drive_children(tenant, Some(folder), &PageRequest { limit: 1, cursor: None }).await?;
        if !children.items.is_empty() {
            return Err(ApiError::Conflict("the folder is not empty; move or delete what it holds first".into()));
        }
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(tenant), keys::folder_sk(folder))))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        self.transact(
            "DeleteFolder",
            vec![(TransactWriteItem::builder().delete(delete).build(), ApiError::NotFound("folder"))],
        )
        .await
    }

    /// Renames a document and/or moves a staff document to another folder (`None`: the
    /// root). Only these attributes change, so a concurrent settle is never undone.
    pub async fn update_document(
        &self,
        tenant: TenantId,
        document: DocumentId,
        name: &FileName,
        folder: Option<Option<FolderId>>,
    ) -> Result<(), ApiError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(tenant), keys::document_sk(document))))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#name", "name")
            .expression_attribute_values(":name", s(name.as_str()));
        update = match folder {
            None => update.update_expression("SET #name = :name"),
            Some(target) => {
                let update = update
                    .expression_attribute_names("#gsi", GSI1_PK)
                    .expression_attribute_values(":gsi", s(keys::drive_children_gsi1_pk(tenant, target)));
                match target {
                    Some(folder) => update
                        .update_expression("SET #name = :name, #gsi = :gsi, folderId = :folder")
                        .expression_attribute_values(":folder", s(folder.to_string())),
                    None => update.update_expression("SET #name = :name, #gsi = :gsi REMOVE folderId"),
                }
            }
        };
        let update = update.build().map_err(|e| ApiError::Internal(e.to_string()))?;
        let mut writes = vec![(TransactWriteItem::builder().update(update).build(), ApiError::NotFound("document"))];
        if let Some(Some(folder)) = folder {
            writes.push((self.folder_exists(tenant, folder)?, Self::no_such_folder()));
        }
        self.transact("UpdateDocument", writes).await
    }

    /// Deletes a document's record, with its entry in the activity trail.
    pub async fn delete_document(
        &self,
        tenant: TenantId,
        document: &Document,
        event: &ActivityEvent,
    ) -> Result<(), ApiError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(tenant), keys::document_sk(document.id))))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        self.transact(
            "DeleteDocument",
            vec![
                (TransactWriteItem::builder().delete(delete).build(), ApiError::NotFound("document")),
                self.event_write(tenant, event)?,
            ],
        )
        .await
    }
}
