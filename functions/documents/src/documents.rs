//! Documents as staff see them: rename and move, delete (every version of the bytes, then
//! the record, then its shares), and each document's trail.

use portal_shared::ApiError;
use portal_shared::domain::{DocumentId, ItemRef, JobId};
use portal_shared::identity::StaffMember;
use portal_shared::jobs::SharesOf;
use portal_shared::model::{Action, ActivityEvent, Document};
use portal_shared::pagination::{Page, PageRequest};
use portal_shared::store::{Clash, DocumentScope, Entity, StoreError};
use portal_shared::words::Query;
use time::OffsetDateTime;

use crate::App;
use crate::inputs::DocumentChanges;

impl App {
    /// One page of every document (drive and submissions), newest first; or of those
    /// `query` finds in `scope` (a folder that is not the caller's is a 404).
    pub(crate) async fn documents(
        &self,
        staff: &StaffMember,
        search: Option<(Query, DocumentScope)>,
        page: &PageRequest,
    ) -> Result<Page<Document>, ApiError> {
        let Some((query, scope)) = search else {
            return Ok(self.store.list_documents(staff.tenant_id, page).await?);
        };
        if let DocumentScope::In(folder) = scope {
            self.store.folder(staff.tenant_id, folder).await?.ok_or(ApiError::NotFound("folder"))?;
        }
        Ok(self.store.search_documents(staff.tenant_id, &query, scope, page).await?)
    }

    pub(crate) async fn document(&self, staff: &StaffMember, id: DocumentId) -> Result<Document, ApiError> {
        self.store.document(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("document"))
    }

    pub(crate) async fn update_document(
        &self,
        staff: &StaffMember,
        id: DocumentId,
        changes: DocumentChanges,
    ) -> Result<Document, ApiError> {
        staff.require_write()?;
        if changes.name.is_none() && changes.folder_id.is_none() {
            return Err(ApiError::Invalid("nothing to change: send name or folderId".into()));
        }
        let before = self.document(staff, id).await?;
        // A submission stays with the contact who sent it; it is not filed in the drive.
        if before.contact_id.is_some() && changes.folder_id.is_some() {
            return Err(ApiError::Conflict("a customer submission stays in its contact's submissions".into()));
        }
        let name = changes.name.unwrap_or_else(|| before.name.clone());
        self.store.update_document(&before, &name, changes.folder_id).await.map_err(|err| match err {
            // The target folder was deleted meanwhile: the request's `folderId`.
            StoreError::Clash(Clash::Unknown(Entity::Folder)) => ApiError::Invalid("folderId: no such folder".into()),
            other => other.into(),
        })?;
        tracing::info!(tenant = %staff.tenant_id, document = %id, "document updated");
        Ok(Document { name, folder_id: changes.folder_id.unwrap_or(before.folder_id), ..before })
    }

    /// Deletes the document's bytes (every version), then its record (with the trail
    /// entry), then its shares (a page at once, the rest by a job). In that order a failure
    /// part-way is finished by retrying the same DELETE, and the document never outlives
    /// its bytes for long.
    pub(crate) async fn delete_document(&self, staff: &StaffMember, id: DocumentId) -> Result<(), ApiError> {
        staff.require_write()?;
        let Some(document) = self.store.document(staff.tenant_id, id).await? else {
            // The retry of a delete that failed after the document went: finish it.
            self.delete_leftover_shares(staff, ItemRef::Document(id)).await?;
            return Err(ApiError::NotFound("document"));
        };
        self.storage.delete_all_versions(document.object_key()).await?;
        let item = ItemRef::Document(id);
        let event = ActivityEvent::new(Action::DocumentDeleted, staff.actor(), OffsetDateTime::now_utc())
            .item(item, document.name.as_str());
        self.store.delete_document(staff.tenant_id, &document, &event).await?;
        let tidying = self.tidy_shares(staff, item).await?;
        tracing::info!(tenant = %staff.tenant_id, document = %id, tidying = ?tidying, "document deleted");
        Ok(())
    }

    pub(crate) async fn document_activity(
        &self,
        staff: &StaffMember,
        id: DocumentId,
        page: &PageRequest,
    ) -> Result<Page<ActivityEvent>, ApiError> {
        // The trail outlives a deleted document; an id with neither is unknown.
        let trail = self.store.document_activity(staff.tenant_id, id, page).await?;
        if trail.items.is_empty() && page.cursor.is_none() && self.store.document(staff.tenant_id, id).await?.is_none()
        {
            return Err(ApiError::NotFound("document"));
        }
        Ok(trail)
    }

    /// Share records of an item that is gone: a delete removes the item first, then its
    /// shares; when the second step failed (a 503), the retry finds the item gone and
    /// removes them here. Reads never show them meanwhile (they resolve shares against the
    /// live items).
    pub(crate) async fn delete_leftover_shares(&self, staff: &StaffMember, item: ItemRef) -> Result<(), ApiError> {
        let tidying = self.tidy_shares(staff, item).await?;
        tracing::info!(tenant = %staff.tenant_id, item = ?item, tidying = ?tidying, "leftover shares deleted");
        Ok(())
    }

    /// The share records of a deleted item: a page at once, the rest by a job (its id).
    pub(crate) async fn tidy_shares(&self, staff: &StaffMember, item: ItemRef) -> Result<Option<JobId>, ApiError> {
        let of = SharesOf::Item { item };
        portal_shared::jobs::tidy_shares(&self.store, &self.jobs, staff.tenant_id, staff, of).await
    }
}
