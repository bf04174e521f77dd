//! The routes: each resolves the caller, parses its request into typed values (a write
//! role is checked before the body is read), calls one use case and lets `lib.rs` render
//! the answer.

use lambda_http::Request;
use portal_shared::ApiError;
use portal_shared::domain::{ContactId, DocumentId, FolderId};
use portal_shared::http::{json_body, page_request, path_param, query_param};
use portal_shared::identity::StaffMember;
use portal_shared::model::{ActivityEvent, Document, DriveEntry, Folder};
use portal_shared::pagination::Page;

use crate::inputs::{DocumentChanges, FolderChanges, NewFolder, document_search};
use crate::{App, FolderView};

impl App {
    async fn caller(&self, req: &Request) -> Result<StaffMember, ApiError> {
        StaffMember::resolve(&self.store, req).await
    }

    /// A caller who may write (admin or member).
    async fn writer(&self, req: &Request) -> Result<StaffMember, ApiError> {
        let staff = self.caller(req).await?;
        staff.require_write()?;
        Ok(staff)
    }

    pub(crate) async fn list_documents(&self, req: &Request) -> Result<Page<Document>, ApiError> {
        let staff = self.caller(req).await?;
        let search = document_search(query_param(req, "q").as_deref(), query_param(req, "folderId").as_deref())?;
        self.documents(&staff, search, &page_request(req)?).await
    }

    pub(crate) async fn get_document(&self, req: &Request) -> Result<Document, ApiError> {
        let staff = self.caller(req).await?;
        let id: DocumentId = path_param(req, "documentId")?;
        self.document(&staff, id).await
    }

    pub(crate) async fn patch_document(&self, req: &Request) -> Result<Document, ApiError> {
        let staff = self.writer(req).await?;
        let id: DocumentId = path_param(req, "documentId")?;
        let changes: DocumentChanges = json_body(req)?;
        self.update_document(&staff, id, changes).await
    }

    pub(crate) async fn remove_document(&self, req: &Request) -> Result<(), ApiError> {
        let staff = self.writer(req).await?;
        let id: DocumentId = path_param(req, "documentId")?;
        self.delete_document(&staff, id).await
    }

    pub(crate) async fn get_document_activity(&self, req: &Request) -> Result<Page<ActivityEvent>, ApiError> {
        let staff = self.caller(req).await?;
        let id: DocumentId = path_param(req, "documentId")?;
        let page = page_request(req)?;
        self.document_activity(&staff, id, &page).await
    }

    pub(crate) async fn get_children(
        &self,
        req: &Request,
        folder: Option<FolderId>,
    ) -> Result<Page<DriveEntry>, ApiError> {
        let staff = self.caller(req).await?;
        let page = page_request(req)?;
        self.children(&staff, folder, &page).await
    }

    pub(crate) async fn post_folder(&self, req: &Request) -> Result<Folder, ApiError> {
        let staff = self.writer(req).await?;
        let input: NewFolder = json_body(req)?;
        self.create_folder(&staff, input).await
    }

    pub(crate) async fn get_folder(&self, req: &Request) -> Result<FolderView, ApiError> {
        let staff = self.caller(req).await?;
        let id: FolderId = path_param(req, "folderId")?;
        self.folder(&staff, id).await
    }

    pub(crate) async fn patch_folder(&self, req: &Request) -> Result<Folder, ApiError> {
        let staff = self.writer(req).await?;
        let id: FolderId = path_param(req, "folderId")?;
        let changes: FolderChanges = json_body(req)?;
        self.update_folder(&staff, id, changes).await
    }

    pub(crate) async fn remove_folder(&self, req: &Request) -> Result<portal_shared::jobs::Answer<()>, ApiError> {
        let staff = self.writer(req).await?;
        let id: FolderId = path_param(req, "folderId")?;
        self.delete_folder(&staff, id).await
    }

    pub(crate) async fn list_submissions(&self, req: &Request) -> Result<Page<Document>, ApiError> {
        let staff = self.caller(req).await?;
        Ok(self.store.list_submissions(staff.tenant_id, &page_request(req)?).await?)
    }

    pub(crate) async fn list_contact_submissions(&self, req: &Request) -> Result<Page<Document>, ApiError> {
        let staff = self.caller(req).await?;
        let id: ContactId = path_param(req, "contactId")?;
        let page = page_request(req)?;
        self.store.contact(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("contact"))?;
        Ok(self.store.contact_submissions(staff.tenant_id, id, &page).await?)
    }
}
