//! The `transfers` function: presigned uploads into and downloads out of the drive.
//! File bytes go between the browser and S3 directly; this function only signs.

use aws_config::SdkConfig;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal_shared::config::{self, ConfigError, TransferLimits};
use portal_shared::domain::{ContentType, DocumentId, DocumentStatus, FileName, FolderId, ItemRef};
use portal_shared::function::HttpFunction;
use portal_shared::http::{json_body, path_param, respond, route_key, unknown_route};
use portal_shared::identity::StaffMember;
use portal_shared::model::{Action, ActivityEvent, Document, UploaderKind};
use portal_shared::storage::Storage;
use portal_shared::store::Store;
use portal_shared::transfers::{DownloadTicket, UploadTicket, begin_upload};
use portal_shared::{ApiError, aws};
use serde::Deserialize;
use time::OffsetDateTime;

/// The IAM actions of the AWS calls this function makes (the SAM template grants exactly
/// these; a test compares). The S3 ones are what the presigned URLs are signed for: a
/// download names the document's pinned version, which S3 authorizes as GetObjectVersion.
/// The upload's record is written with a check that its folder exists (ConditionCheckItem).
pub const IAM_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:ConditionCheckItem",
    "s3:PutObject",
    "s3:GetObject",
    "s3:GetObjectVersion",
];

pub struct App {
    store: Store,
    storage: Storage,
    limits: TransferLimits,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UploadRequest {
    file_name: FileName,
    content_type: ContentType,
    size: u64,
    /// The drive folder to upload into (the root when absent).
    #[serde(default)]
    folder_id: Option<FolderId>,
}

impl HttpFunction for App {
    fn configure(sdk: &SdkConfig, env: &dyn config::Source) -> Result<Self, ConfigError> {
        Ok(Self::new(
            sdk,
            config::required(env, config::TABLE_NAME)?,
            config::required(env, config::DOCUMENTS_BUCKET)?,
            TransferLimits::read(env)?,
        ))
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        match route_key(&req) {
            Some("POST /uploads") => respond(StatusCode::CREATED, self.upload(&req).await),
            Some("GET /documents/{documentId}/download") => respond(StatusCode::OK, self.download(&req).await),
            _ => unknown_route(&req).into_response(),
        }
    }
}

impl App {
    pub fn new(sdk: &SdkConfig, table: impl Into<String>, bucket: impl Into<String>, limits: TransferLimits) -> Self {
        Self {
            store: Store::new(aws::dynamodb_client(sdk), table),
            storage: Storage::new(aws::s3_client(sdk), bucket),
            limits,
        }
    }

    /// `POST /uploads`: the caller (a write role, checked before the body is read) and the
    /// announced file.
    async fn upload(&self, req: &Request) -> Result<UploadTicket, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_write()?;
        let input: UploadRequest = json_body(req)?;
        self.begin_staff_upload(&staff, input).await
    }

    /// `GET /documents/{documentId}/download`.
    async fn download(&self, req: &Request) -> Result<DownloadTicket, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        let id: DocumentId = path_param(req, "documentId")?;
        self.download_ticket(&staff, id).await
    }

    /// Records a pending document and signs a PUT of exactly the announced size and type
    /// to a key the server chose.
    async fn begin_staff_upload(&self, staff: &StaffMember, input: UploadRequest) -> Result<UploadTicket, ApiError> {
        staff.require_write()?;
        let document = Document {
            folder_id: input.folder_id,
            ..Document::pending(
                staff.tenant_id,
                input.file_name,
                input.content_type,
                input.size,
                staff.sub.clone(),
                UploaderKind::Staff,
            )
        };
        begin_upload(&self.store, &self.storage, &self.limits, document).await
    }

    /// Presigns a GET of an available document's checked version, marks a submission seen
    /// and records the download in the trail.
    async fn download_ticket(&self, staff: &StaffMember, id: DocumentId) -> Result<DownloadTicket, ApiError> {
        let document = self.store.document(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("document"))?;
        match document.status {
            DocumentStatus::Available => {}
            DocumentStatus::Pending => {
                return Err(ApiError::Conflict("the document has not finished uploading".into()));
            }
            DocumentStatus::Rejected => {
                return Err(ApiError::Conflict("the document was rejected and has no content".into()));
            }
        }
        let download = self
            .storage
            .presign_download(
                document.object_key(),
                document.version_id.as_ref(),
                &document.name,
                &document.content_type,
                self.limits.download_url_ttl_seconds,
            )
            .await?;
        // A customer's submission is now seen: they can no longer delete it.
        if document.contact_id.is_some() && document.seen_at.is_none() {
            self.store.mark_seen(staff.tenant_id, document.id, OffsetDateTime::now_utc()).await?;
        }
        // The trail records the download link handed out (S3 serves the bytes directly).
        let event = ActivityEvent::new(Action::DocumentDownloaded, staff.actor(), OffsetDateTime::now_utc())
            .item(ItemRef::Document(document.id), document.name.as_str());
        self.store.record_event(staff.tenant_id, &event).await?;
        tracing::info!(tenant = %document.tenant_id, document = %document.id, "download presigned");
        Ok(DownloadTicket { document_id: document.id, download })
    }
}

#[cfg(test)]
mod properties;
