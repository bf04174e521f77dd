//! Documents: one item per document in the tenant's partition (`DOC#{id}`). A staff
//! document is listed in its drive folder (GSI1 `…#IN#{folder}`); a customer submission
//! under its contact (GSI1) and tenant-wide (GSI2). Uploads are recorded `pending` and
//! settled once by object-events. Every write of a name or folder writes the document's
//! search entries with it (`search.rs`).

use std::collections::BTreeMap;

use time::OffsetDateTime;

use super::search::Rewrite;
use super::{
    Clash, Entity, Expr, Index, Item, Store, StoreError, Transaction, expire_at, rfc3339, s, to_item, took_effect,
};
use crate::domain::{ContactId, DocumentId, DocumentStatus, FileName, FolderId, ObjectVersion, TenantId};
use crate::keys::{self, GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK, PK, SK};
use crate::model::{ActivityEvent, Document};
use crate::pagination::{Cursor, Page, PageRequest};

/// What a conditional status change found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// This call made the change.
    Applied(Document),
    /// The document had already left `pending` (a repeated or late event): nothing changed.
    AlreadySettled(Document),
    /// There is no such document.
    Missing,
}

impl Store {
    fn document_key(tenant: TenantId, document: DocumentId) -> Item {
        Self::tenant_key(tenant, keys::document_sk(document))
    }

    /// A document's item with its index keys.
    pub(super) fn document_item(document: &Document) -> Result<Item, StoreError> {
        let tenant = document.tenant_id;
        let mut keys = vec![(PK, keys::tenant_pk(tenant)), (SK, keys::document_sk(document.id))];
        match document.contact_id {
            Some(contact) => {
                keys.push((GSI1_PK, keys::contact_submissions_gsi1_pk(tenant, contact)));
                keys.push((GSI2_PK, keys::submissions_gsi2_pk(tenant)));
                keys.push((GSI2_SK, keys::document_sk(document.id)));
            }
            None => keys.push((GSI1_PK, keys::drive_children_gsi1_pk(tenant, document.folder_id))),
        }
        keys.push((GSI1_SK, keys::document_sk(document.id)));
        to_item(document, &keys)
    }

    /// Records a document whose upload URL is being handed out (`pending`), in its folder
    /// (which must exist: `Unknown(Folder)`, checked in the same transaction). If its
    /// upload never arrives, DynamoDB's TTL removes the record after `abandoned_after`
    /// (settling removes the TTL); a late object then finds no record and is deleted as an
    /// orphan.
    pub async fn create_document(
        &self,
        document: &Document,
        abandoned_after: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut item = Self::document_item(document)?;
        expire_at(&mut item, abandoned_after);
        let mut transaction = Transaction::new("CreateDocument").put_new(item, Clash::Exists(Entity::Document));
        if let Some(folder) = document.folder_id {
            transaction = transaction
                .require_exists(Self::folder_key(document.tenant_id, folder), Clash::Unknown(Entity::Folder));
        }
        Self::document_entries(transaction, document, Rewrite::New)?.commit(self).await
    }

    pub async fn document(&self, tenant: TenantId, document: DocumentId) -> Result<Option<Document>, StoreError> {
        self.get(keys::tenant_pk(tenant), keys::document_sk(document)).await
    }

    /// Every document of the tenant (drive and submissions), newest first.
    pub async fn list_documents(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Document>, StoreError> {
        self.query_tenant(tenant, keys::DOCUMENT_PREFIX, page).await
    }

    /// The customer submissions of the tenant, newest first.
    pub async fn list_submissions(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Document>, StoreError> {
        let partition = keys::submissions_gsi2_pk(tenant);
        self.query_index_of(Index::Gsi2, tenant, &partition, keys::DOCUMENT_PREFIX, page).await
    }

    /// What one contact submitted, newest first.
    pub async fn contact_submissions(
        &self,
        tenant: TenantId,
        contact: ContactId,
        page: &PageRequest,
    ) -> Result<Page<Document>, StoreError> {
        let partition = keys::contact_submissions_gsi1_pk(tenant, contact);
        self.query_index_of(Index::Gsi1, tenant, &partition, keys::DOCUMENT_PREFIX, page).await
    }

    /// One page of what a contact submitted, newest first, continuing right after the
    /// document `after` in that order (any document id: it is a position in this contact's
    /// partition, built here from `tenant` and `contact`, not an item of it). For the
    /// customer's merged list (`pagination::merge`).
    pub async fn contact_submissions_after(
        &self,
        tenant: TenantId,
        contact: ContactId,
        after: Option<DocumentId>,
        limit: i32,
    ) -> Result<Page<Document>, StoreError> {
        // The start key an index query needs: the index keys and the table keys.
        let cursor = after.map(|document| {
            let sk = keys::document_sk(document);
            Cursor(BTreeMap::from([
                (GSI1_PK.to_owned(), keys::contact_submissions_gsi1_pk(tenant, contact)),
                (GSI1_SK.to_owned(), sk.clone()),
                (PK.to_owned(), keys::tenant_pk(tenant)),
                (SK.to_owned(), sk),
            ]))
        });
        self.contact_submissions(tenant, contact, &PageRequest { limit, cursor }).await
    }

    /// Moves a document out of `pending`, once: the condition makes repeated and concurrent
    /// deliveries of the same S3 event change nothing after the first. An available upload
    /// is pinned to the object `version` that was checked (`versionId`), and written to the
    /// activity trail in the same transaction (once, like the change).
    pub async fn settle_document(
        &self,
        document: &Document,
        outcome: Result<(), String>,
        version: Option<&ObjectVersion>,
        at: OffsetDateTime,
        uploaded: impl FnOnce(&Document) -> ActivityEvent,
    ) -> Result<Transition, StoreError> {
        let tenant = document.tenant_id;
        let mut settled = document.clone();
        let pinned = outcome.is_ok().then_some(version).flatten();
        let (expression, detail) = match (&outcome, pinned) {
            (Ok(()), Some(_)) => {
                settled.status = DocumentStatus::Available;
                settled.available_at = Some(at);
                ("SET #status = :status, availableAt = :detail, versionId = :version REMOVE #ttl", rfc3339(at))
            }
            // An unversioned bucket: nothing to pin (the deployed and local buckets are versioned).
            (Ok(()), None) => {
                settled.status = DocumentStatus::Available;
                settled.available_at = Some(at);
                ("SET #status = :status, availableAt = :detail REMOVE #ttl", rfc3339(at))
            }
            (Err(reason), _) => {
                settled.status = DocumentStatus::Rejected;
                settled.rejected_reason = Some(reason.clone());
                ("SET #status = :status, rejectedReason = :detail REMOVE #ttl", reason.clone())
            }
        };
        settled.version_id = pinned.cloned();
        let mut update = Expr::new(expression)
            .name("#ttl", keys::TTL_ATTRIBUTE)
            .value(":status", super::value(settled.status)?)
            .value(":detail", s(detail));
        if let Some(version) = pinned {
            update = update.value(":version", s(version.as_str()));
        }
        let mut transaction = Transaction::new("SettleDocument").update(
            Self::document_key(tenant, document.id),
            update,
            Expr::exists()
                .name("#status", "status")
                .value(":pending", super::value(DocumentStatus::Pending)?)
                .and("#status = :pending"),
            Clash::DocumentSettled,
        );
        if outcome.is_ok() {
            transaction = transaction.append(Self::event_item(tenant, &uploaded(&settled))?);
            // A customer's submission is emailed to staff: recorded with the change, once.
            if settled.contact_id.is_some() {
                transaction = transaction.put_new(
                    Self::notification_item(tenant, &keys::submitted_notification(document.id), "submitted"),
                    Clash::Exists(Entity::Notification),
                );
            }
        }
        match transaction.commit(self).await {
            Ok(()) => Ok(Transition::Applied(settled)),
            Err(StoreError::Clash(_)) => Ok(match self.document(tenant, document.id).await? {
                Some(current) => Transition::AlreadySettled(current),
                None => Transition::Missing,
            }),
            Err(err) => Err(err),
        }
    }

    /// Renames a document (`before`, as read) and/or moves a staff document to another
    /// folder (`None`: the root; it must exist: `Unknown(Folder)`). Only these attributes
    /// change, so a concurrent settle is never undone; its search entries are rewritten
    /// with them. `Missing(Document)` when it is gone.
    pub async fn update_document(
        &self,
        before: &Document,
        name: &FileName,
        folder: Option<Option<FolderId>>,
    ) -> Result<(), StoreError> {
        let (tenant, document) = (before.tenant_id, before.id);
        let text = match folder {
            None => "SET #name = :name",
            Some(Some(_)) => "SET #name = :name, #gsi = :gsi, folderId = :folder",
            Some(None) => "SET #name = :name, #gsi = :gsi REMOVE folderId",
        };
        let mut update = Expr::new(text).name("#name", "name").value(":name", s(name.as_str()));
        if let Some(target) = folder {
            update = update.name("#gsi", GSI1_PK).value(":gsi", s(keys::drive_children_gsi1_pk(tenant, target)));
        }
        if let Some(Some(target)) = folder {
            update = update.value(":folder", s(target.to_string()));
        }
        let mut transaction = Transaction::new("UpdateDocument").update(
            Self::document_key(tenant, document),
            update,
            Expr::exists(),
            Clash::Missing(Entity::Document),
        );
        if let Some(Some(folder)) = folder {
            transaction = transaction.require_exists(Self::folder_key(tenant, folder), Clash::Unknown(Entity::Folder));
        }
        let after = Document { name: name.clone(), folder_id: folder.unwrap_or(before.folder_id), ..before.clone() };
        Self::document_entries(transaction, &after, Rewrite::Existing)?.commit(self).await
    }

    /// Deletes a document's record, with its entry in the activity trail
    /// (`Missing(Document)` when it is gone).
    pub async fn delete_document(
        &self,
        tenant: TenantId,
        document: &Document,
        event: &ActivityEvent,
    ) -> Result<(), StoreError> {
        let transaction = Transaction::new("DeleteDocument")
            .delete_if(Self::document_key(tenant, document.id), Expr::exists(), Clash::Missing(Entity::Document))
            .append(Self::event_item(tenant, event)?);
        Self::delete_document_entries(transaction, tenant, document.id).commit(self).await
    }

    /// Marks a customer submission as seen by staff (the first time only).
    pub async fn mark_seen(
        &self,
        tenant: TenantId,
        document: DocumentId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::document_key(tenant, document)))
            .update_expression("SET seenAt = :at")
            .condition_expression("attribute_exists(contactId) AND attribute_not_exists(seenAt)")
            .expression_attribute_values(":at", s(rfc3339(at)))
            .send()
            .await;
        took_effect("UpdateItem", result).map(drop)
    }

    /// Deletes a customer's own submission while staff have not seen it (`SubmissionSeen`
    /// once they have, or when it is not theirs).
    pub async fn delete_submission(
        &self,
        tenant: TenantId,
        document: DocumentId,
        contact: ContactId,
        event: &ActivityEvent,
    ) -> Result<(), StoreError> {
        let transaction = Transaction::new("DeleteSubmission")
            .delete_if(
                Self::document_key(tenant, document),
                Expr::new("contactId = :contact AND attribute_not_exists(seenAt)")
                    .value(":contact", s(contact.to_string())),
                Clash::SubmissionSeen,
            )
            .append(Self::event_item(tenant, event)?);
        Self::delete_document_entries(transaction, tenant, document).commit(self).await
    }
}
