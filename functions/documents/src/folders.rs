//! The drive's folders: nested at most `MAX_FOLDER_DEPTH` deep, listed with what they
//! hold, renamed, moved (never into themselves) and deleted: at once when empty, by a job
//! (the `jobs` function, bottom-up in chunks) when not.

use portal_shared::ApiError;
use portal_shared::domain::{FolderId, ItemRef};
use portal_shared::identity::StaffMember;
use portal_shared::jobs::{Answer, Job, JobSpec};
use portal_shared::model::{DriveEntry, Folder};
use portal_shared::pagination::{Page, PageRequest};
use portal_shared::store::{Clash, Entity, MAX_FOLDER_DEPTH, StoreError};
use serde::Serialize;
use time::OffsetDateTime;

use crate::App;
use crate::inputs::{FolderChanges, NewFolder};

/// A folder with the folders above it, from the root down (for breadcrumbs).
#[derive(Debug, Serialize)]
pub struct FolderView {
    #[serde(flatten)]
    folder: Folder,
    path: Vec<Folder>,
}

impl App {
    /// One page of what a folder (`None`: the root) holds.
    pub(crate) async fn children(
        &self,
        staff: &StaffMember,
        folder: Option<FolderId>,
        page: &PageRequest,
    ) -> Result<Page<DriveEntry>, ApiError> {
        if let Some(folder) = folder {
            self.store.folder(staff.tenant_id, folder).await?.ok_or(ApiError::NotFound("folder"))?;
        }
        Ok(self.store.drive_children(staff.tenant_id, folder, page).await?)
    }

    pub(crate) async fn create_folder(&self, staff: &StaffMember, input: NewFolder) -> Result<Folder, ApiError> {
        staff.require_write()?;
        if let Some(parent) = input.parent_id {
            let depth = self.store.folder_path(staff.tenant_id, parent).await?.ok_or_else(no_such_parent)?;
            if depth.len() >= MAX_FOLDER_DEPTH {
                return Err(ApiError::Invalid(format!("parentId: folders nest at most {MAX_FOLDER_DEPTH} deep")));
            }
        }
        let folder = Folder {
            id: FolderId::new(),
            name: input.name,
            parent_id: input.parent_id,
            created_at: OffsetDateTime::now_utc(),
            created_by: staff.sub.clone(),
        };
        self.store.create_folder(staff.tenant_id, &folder).await.map_err(parent_problem)?;
        tracing::info!(tenant = %staff.tenant_id, folder = %folder.id, "folder created");
        Ok(folder)
    }

    pub(crate) async fn folder(&self, staff: &StaffMember, id: FolderId) -> Result<FolderView, ApiError> {
        let mut path = self.store.folder_path(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("folder"))?;
        let folder = path.pop().ok_or(ApiError::NotFound("folder"))?;
        Ok(FolderView { folder, path })
    }

    pub(crate) async fn update_folder(
        &self,
        staff: &StaffMember,
        id: FolderId,
        changes: FolderChanges,
    ) -> Result<Folder, ApiError> {
        staff.require_write()?;
        if changes.name.is_none() && changes.parent_id.is_none() {
            return Err(ApiError::Invalid("nothing to change: send name or parentId".into()));
        }
        let before = self.store.folder(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("folder"))?;
        if let Some(Some(parent)) = changes.parent_id {
            // A folder cannot move into itself or below itself.
            let path = self.store.folder_path(staff.tenant_id, parent).await?.ok_or_else(no_such_parent)?;
            if path.iter().any(|ancestor| ancestor.id == id) {
                return Err(ApiError::Invalid("parentId: a folder cannot move into itself".into()));
            }
            if path.len() >= MAX_FOLDER_DEPTH {
                return Err(ApiError::Invalid(format!("parentId: folders nest at most {MAX_FOLDER_DEPTH} deep")));
            }
        }
        let after = Folder {
            name: changes.name.unwrap_or_else(|| before.name.clone()),
            parent_id: changes.parent_id.unwrap_or(before.parent_id),
            ..before
        };
        self.store.update_folder(staff.tenant_id, &after).await.map_err(parent_problem)?;
        tracing::info!(tenant = %staff.tenant_id, folder = %id, "folder updated");
        Ok(after)
    }

    /// Deletes a folder: an empty one at once, a non-empty one (whatever it holds) by a
    /// job that deletes its contents bottom-up (`Answer::Started`).
    pub(crate) async fn delete_folder(&self, staff: &StaffMember, id: FolderId) -> Result<Answer<()>, ApiError> {
        staff.require_write()?;
        match self.store.delete_folder(staff.tenant_id, id).await {
            Ok(()) => {}
            Err(StoreError::Clash(Clash::FolderNotEmpty)) => {
                let job = Job::new(JobSpec::FolderDelete { folder_id: id }, staff, 0, OffsetDateTime::now_utc());
                return Ok(Answer::Started(
                    portal_shared::jobs::start(&self.store, &self.jobs, staff.tenant_id, job).await?,
                ));
            }
            Err(err) => {
                if err == StoreError::Clash(Clash::Missing(Entity::Folder)) {
                    // The retry of a delete that failed after the folder went: finish it.
                    self.delete_leftover_shares(staff, ItemRef::Folder(id)).await?;
                }
                return Err(err.into());
            }
        }
        let tidying = self.tidy_shares(staff, ItemRef::Folder(id)).await?;
        tracing::info!(tenant = %staff.tenant_id, folder = %id, tidying = ?tidying, "folder deleted");
        Ok(Answer::Done(()))
    }
}

fn no_such_parent() -> ApiError {
    ApiError::Invalid("parentId: no such folder".into())
}

/// A folder's parent deleted meanwhile is a 422 naming `parentId`.
fn parent_problem(err: StoreError) -> ApiError {
    match err {
        StoreError::Clash(Clash::Unknown(Entity::Folder)) => no_such_parent(),
        other => other.into(),
    }
}
