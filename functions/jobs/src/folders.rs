//! Deleting a non-empty folder as a job, bottom-up: each chunk walks down from the folder
//! along its first subfolder (at most `MAX_FOLDER_DEPTH` listings) to a folder whose
//! first page holds no subfolder, then deletes up to `chunk_size` of its documents (every
//! S3 version, the record with its `document.deleted` event, its shares: a page, the rest
//! a `shares-tidy` job), or the folder itself once empty (and its shares, likewise). The
//! job ends when the folder it was asked to delete is gone. Replayed, a chunk finds what it
//! deleted gone and counts nothing twice (a document or folder counts only when its own
//! delete took effect).

use portal_shared::ApiError;
use portal_shared::domain::{FolderId, ItemRef, TenantId};
use portal_shared::jobs::{ChunkOutcome, Job, SharesOf};
use portal_shared::model::{Action, ActivityEvent, DriveEntry};
use portal_shared::pagination::PageRequest;
use portal_shared::store::{Clash, Entity, MAX_FOLDER_DEPTH, StoreError};
use time::OffsetDateTime;

use crate::App;

/// The cursor of a folder delete that goes on (each chunk starts from the top again).
const MORE: &str = "more";

impl App {
    pub(crate) async fn folder_delete_chunk(
        &self,
        tenant: TenantId,
        job: &Job,
        target: FolderId,
        _cursor: Option<&str>,
    ) -> Result<ChunkOutcome, ApiError> {
        let mut outcome = ChunkOutcome::default();
        let mut folder = target;
        let page = PageRequest { limit: self.chunk_size.clamp(1, 100) as i32, cursor: None };
        let mut children = self.store.drive_children(tenant, Some(folder), &page).await?;
        for _ in 0..MAX_FOLDER_DEPTH {
            // Folders list first (newest first, `FOLDER#` after `DOC#`): descend into one.
            let Some(DriveEntry::Folder(sub)) = children.items.first() else { break };
            folder = sub.id;
            children = self.store.drive_children(tenant, Some(folder), &page).await?;
        }
        if children.items.is_empty() {
            match self.store.delete_folder(tenant, folder).await {
                Ok(()) => outcome.ok(),
                // Gone already (a replay), or something was added meanwhile: the next chunk sees.
                Err(StoreError::Clash(Clash::Missing(Entity::Folder) | Clash::FolderNotEmpty)) => {}
                Err(err) => return Err(err.into()),
            }
            self.delete_item_shares(tenant, job, ItemRef::Folder(folder)).await?;
            outcome.discovered = outcome.done;
            if folder != target {
                outcome.next = Some(MORE.into());
            }
            return Ok(outcome);
        }
        for entry in &children.items {
            let DriveEntry::Document(listed) = entry else { continue };
            let Some(document) = self.store.document(tenant, listed.id).await? else { continue };
            self.storage.delete_all_versions(document.object_key()).await?;
            let item = ItemRef::Document(document.id);
            let event = ActivityEvent::new(Action::DocumentDeleted, job.by.actor(), OffsetDateTime::now_utc())
                .item(item, document.name.as_str());
            match self.store.delete_document(tenant, &document, &event).await {
                Ok(()) => outcome.ok(),
                Err(StoreError::Clash(Clash::Missing(Entity::Document))) => {}
                Err(err) => return Err(err.into()),
            }
            self.delete_item_shares(tenant, job, item).await?;
        }
        outcome.discovered = outcome.done;
        outcome.next = Some(MORE.into());
        Ok(outcome)
    }

    /// The share records of an item this job deleted: a page now, the rest by a job of
    /// their own, so a chunk stays bounded whoever the item was shared with.
    async fn delete_item_shares(&self, tenant: TenantId, job: &Job, item: ItemRef) -> Result<(), ApiError> {
        let of = SharesOf::Item { item };
        portal_shared::jobs::tidy_shares(&self.store, &self.jobs, tenant, &job.by, of).await?;
        Ok(())
    }
}
