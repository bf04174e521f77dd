//! Starting an upload, the same way for staff (into the drive) and customers (into their
//! submissions): the announced size within the limit, the pending record (removed by TTL
//! if the upload never comes), and a PUT presigned for exactly that size and type to a key
//! the server chose.

use serde::Serialize;

use crate::config::TransferLimits;
use crate::domain::DocumentId;
use crate::error::ApiError;
use crate::model::Document;
use crate::storage::{PresignedRequest, Storage};
use crate::store::{Clash, Entity, Store, StoreError};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadTicket {
    pub document: Document,
    pub upload: PresignedRequest,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DownloadTicket {
    pub document_id: DocumentId,
    pub download: PresignedRequest,
}

/// Records the pending `document` and presigns its upload.
pub async fn begin_upload(
    store: &Store,
    storage: &Storage,
    limits: &TransferLimits,
    document: Document,
) -> Result<UploadTicket, ApiError> {
    if document.size > limits.max_upload_bytes {
        return Err(ApiError::Invalid(format!("size: must be at most {} bytes", limits.max_upload_bytes)));
    }
    let abandoned_after = document.created_at + time::Duration::days(1);
    store.create_document(&document, abandoned_after).await.map_err(|err| match err {
        // The folder of a staff upload was deleted meanwhile: the request's `folderId`.
        StoreError::Clash(Clash::Unknown(Entity::Folder)) => ApiError::Invalid("folderId: no such folder".into()),
        other => other.into(),
    })?;
    let upload = storage
        .presign_upload(document.object_key(), &document.content_type, document.size, limits.upload_url_ttl_seconds)
        .await?;
    tracing::info!(tenant = %document.tenant_id, document = %document.id, size = document.size, kind = ?document.uploader_kind, "upload presigned");
    Ok(UploadTicket { document, upload })
}
