//! The `documents` function: the tenant's drive as staff see it — folders (nested) and
//! documents, rename, move and delete, customer submissions, and each document's trail.

use aws_config::SdkConfig;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal_shared::config::{self, ConfigError};
use portal_shared::domain::{ContactId, DocumentId, FileName, FolderId, ItemRef};
use portal_shared::function::HttpFunction;
use portal_shared::http::{
    json_body, no_content, page_request, path_param, present, respond, route_key, unknown_route,
};
use portal_shared::identity::StaffMember;
use portal_shared::model::{Action, ActivityEvent, Document, DriveEntry, Folder};
use portal_shared::pagination::Page;
use portal_shared::storage::Storage;
use portal_shared::store::{Clash, Entity, MAX_FOLDER_DEPTH, Store, StoreError};
use portal_shared::{ApiError, aws};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The IAM actions of the AWS calls this function makes (the SAM template grants exactly
/// these; a test compares). Transactions are authorized per item; deleting a document's
/// bytes lists and deletes every version of its object.
pub const IAM_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
    "s3:ListBucketVersions",
    "s3:DeleteObjectVersion",
];

pub struct App {
    store: Store,
    storage: Storage,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewFolder {
    name: FileName,
    #[serde(default)]
    parent_id: Option<FolderId>,
}

/// A partial update; `parentId: null` / `folderId: null` moves to the drive's root.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FolderChanges {
    name: Option<FileName>,
    #[serde(default, deserialize_with = "present")]
    parent_id: Option<Option<FolderId>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DocumentChanges {
    name: Option<FileName>,
    #[serde(default, deserialize_with = "present")]
    folder_id: Option<Option<FolderId>>,
}

/// A folder with the folders above it, from the root down (for breadcrumbs).
#[derive(Debug, Serialize)]
pub struct FolderView {
    #[serde(flatten)]
    folder: Folder,
    path: Vec<Folder>,
}

impl HttpFunction for App {
    fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(sdk, config::required(config::TABLE_NAME)?, config::required(config::DOCUMENTS_BUCKET)?))
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        match route_key(&req) {
            Some("GET /documents") => respond(StatusCode::OK, self.list(&req).await),
            Some("GET /documents/{documentId}") => respond(StatusCode::OK, self.get(&req).await),
            Some("PATCH /documents/{documentId}") => respond(StatusCode::OK, self.update_document(&req).await),
            Some("DELETE /documents/{documentId}") => no_content(self.delete_document(&req).await),
            Some("GET /documents/{documentId}/activity") => respond(StatusCode::OK, self.activity(&req).await),
            Some("GET /drive") => respond(StatusCode::OK, self.children(&req, None).await),
            Some("POST /folders") => respond(StatusCode::CREATED, self.create_folder(&req).await),
            Some("GET /folders/{folderId}") => respond(StatusCode::OK, self.folder(&req).await),
            Some("PATCH /folders/{folderId}") => respond(StatusCode::OK, self.update_folder(&req).await),
            Some("DELETE /folders/{folderId}") => no_content(self.delete_folder(&req).await),
            Some("GET /folders/{folderId}/items") => match path_param::<FolderId>(&req, "folderId") {
                Ok(folder) => respond(StatusCode::OK, self.children(&req, Some(folder)).await),
                Err(err) => err.into_response(),
            },
            Some("GET /submissions") => respond(StatusCode::OK, self.submissions(&req).await),
            Some("GET /contacts/{contactId}/submissions") => {
                respond(StatusCode::OK, self.contact_submissions(&req).await)
            }
            _ => unknown_route(&req).into_response(),
        }
    }
}

impl App {
    pub fn new(sdk: &SdkConfig, table: impl Into<String>, bucket: impl Into<String>) -> Self {
        Self { store: Store::new(aws::dynamodb_client(sdk), table), storage: Storage::new(aws::s3_client(sdk), bucket) }
    }

    async fn list(&self, req: &Request) -> Result<Page<Document>, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        Ok(self.store.list_documents(staff.tenant_id, &page_request(req)?).await?)
    }

    async fn get(&self, req: &Request) -> Result<Document, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        let id: DocumentId = path_param(req, "documentId")?;
        self.store.document(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("document"))
    }

    async fn update_document(&self, req: &Request) -> Result<Document, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_write()?;
        let id: DocumentId = path_param(req, "documentId")?;
        let changes: DocumentChanges = json_body(req)?;
        if changes.name.is_none() && changes.folder_id.is_none() {
            return Err(ApiError::Invalid("nothing to change: send name or folderId".into()));
        }
        let before = self.store.document(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("document"))?;
        // A submission stays with the contact who sent it; it is not filed in the drive.
        if before.contact_id.is_some() && changes.folder_id.is_some() {
            return Err(ApiError::Conflict("a customer submission stays in its contact's submissions".into()));
        }
        let name = changes.name.unwrap_or_else(|| before.name.clone());
        self.store.update_document(staff.tenant_id, id, &name, changes.folder_id).await.map_err(|err| match err {
            StoreError::Clash(Clash::Unknown(Entity::Folder)) => ApiError::Invalid("folderId: no such folder".into()),
            other => other.into(),
        })?;
        tracing::info!(tenant = %staff.tenant_id, document = %id, "document updated");
        Ok(Document { name, folder_id: changes.folder_id.unwrap_or(before.folder_id), ..before })
    }

    /// Deletes the document's bytes (every version), then its record (with the trail
    /// entry), then its shares. In that order a failure part-way is finished by retrying
    /// the same DELETE, and the document never outlives its bytes for long.
    async fn delete_document(&self, req: &Request) -> Result<(), ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_write()?;
        let id: DocumentId = path_param(req, "documentId")?;
        let Some(document) = self.store.document(staff.tenant_id, id).await? else {
            // The retry of a delete that failed after the document went: finish it.
            self.delete_leftover_shares(&staff, ItemRef::Document(id)).await?;
            return Err(ApiError::NotFound("document"));
        };
        self.storage.delete_all_versions(document.object_key()).await?;
        let item = ItemRef::Document(id);
        let event = ActivityEvent::new(Action::DocumentDeleted, staff.actor(), OffsetDateTime::now_utc())
            .item(item, document.name.as_str());
        self.store.delete_document(staff.tenant_id, &document, &event).await?;
        let shares = self.store.all_item_shares(staff.tenant_id, item).await?;
        self.store.delete_shares(staff.tenant_id, &shares).await?;
        tracing::info!(tenant = %staff.tenant_id, document = %id, shares = shares.len(), "document deleted");
        Ok(())
    }

    async fn activity(&self, req: &Request) -> Result<Page<ActivityEvent>, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        let id: DocumentId = path_param(req, "documentId")?;
        let page = page_request(req)?;
        // The trail outlives a deleted document; an id with neither is unknown.
        let trail = self.store.document_activity(staff.tenant_id, id, &page).await?;
        if trail.items.is_empty() && page.cursor.is_none() && self.store.document(staff.tenant_id, id).await?.is_none()
        {
            return Err(ApiError::NotFound("document"));
        }
        Ok(trail)
    }

    async fn children(&self, req: &Request, folder: Option<FolderId>) -> Result<Page<DriveEntry>, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        let page = page_request(req)?;
        if let Some(folder) = folder {
            self.store.folder(staff.tenant_id, folder).await?.ok_or(ApiError::NotFound("folder"))?;
        }
        Ok(self.store.drive_children(staff.tenant_id, folder, &page).await?)
    }

    async fn create_folder(&self, req: &Request) -> Result<Folder, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_write()?;
        let input: NewFolder = json_body(req)?;
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
            created_by: staff.sub,
        };
        self.store.create_folder(staff.tenant_id, &folder).await.map_err(parent_problem)?;
        tracing::info!(tenant = %staff.tenant_id, folder = %folder.id, "folder created");
        Ok(folder)
    }

    async fn folder(&self, req: &Request) -> Result<FolderView, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        let id: FolderId = path_param(req, "folderId")?;
        let mut path = self.store.folder_path(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("folder"))?;
        let folder = path.pop().ok_or(ApiError::NotFound("folder"))?;
        Ok(FolderView { folder, path })
    }

    async fn update_folder(&self, req: &Request) -> Result<Folder, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_write()?;
        let id: FolderId = path_param(req, "folderId")?;
        let changes: FolderChanges = json_body(req)?;
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

    /// Share records of an item that is gone: a delete removes the item first, then its
    /// shares; when the second step failed (a 503), the retry finds the item gone and
    /// removes them here. Reads never show them meanwhile (they resolve shares against the
    /// live items).
    async fn delete_leftover_shares(&self, staff: &StaffMember, item: ItemRef) -> Result<(), ApiError> {
        let shares = self.store.all_item_shares(staff.tenant_id, item).await?;
        if !shares.is_empty() {
            self.store.delete_shares(staff.tenant_id, &shares).await?;
            tracing::info!(tenant = %staff.tenant_id, item = ?item, shares = shares.len(), "leftover shares deleted");
        }
        Ok(())
    }

    async fn delete_folder(&self, req: &Request) -> Result<(), ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_write()?;
        let id: FolderId = path_param(req, "folderId")?;
        if let Err(err) = self.store.delete_folder(staff.tenant_id, id).await {
            if err == StoreError::Clash(Clash::Missing(Entity::Folder)) {
                // The retry of a delete that failed after the folder went: finish it.
                self.delete_leftover_shares(&staff, ItemRef::Folder(id)).await?;
            }
            return Err(err.into());
        }
        let shares = self.store.all_item_shares(staff.tenant_id, ItemRef::Folder(id)).await?;
        self.store.delete_shares(staff.tenant_id, &shares).await?;
        tracing::info!(tenant = %staff.tenant_id, folder = %id, "folder deleted");
        Ok(())
    }

    async fn submissions(&self, req: &Request) -> Result<Page<Document>, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        Ok(self.store.list_submissions(staff.tenant_id, &page_request(req)?).await?)
    }

    async fn contact_submissions(&self, req: &Request) -> Result<Page<Document>, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        let id: ContactId = path_param(req, "contactId")?;
        let page = page_request(req)?;
        self.store.contact(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("contact"))?;
        Ok(self.store.contact_submissions(staff.tenant_id, id, &page).await?)
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

#[cfg(test)]
mod properties;
