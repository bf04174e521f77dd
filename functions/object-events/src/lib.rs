//! The `object-events` function: S3 ObjectCreated notifications, delivered through SQS
//! (or directly, for `sam local invoke` with the samples in `events/`).
//!
//! For each object it checks what arrived against the pending document (size and content
//! type as presigned) and settles the document `available`, or `rejected` with the object
//! deleted. Delivery is at least once: the settling write is conditional on `pending`, so a
//! repeated event changes nothing. A record that fails for a transient reason is reported
//! as a batch item failure, retried by SQS and, after the configured attempts, moved to the
//! dead-letter queue; nothing is dropped silently.

pub mod notification;

use aws_config::SdkConfig;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use portal_shared::config::{self, ConfigError};
use portal_shared::domain::DocumentStatus;
use portal_shared::object_key::ObjectKey;
use portal_shared::storage::Storage;
use portal_shared::store::{Store, Transition};
use portal_shared::{ApiError, aws};
use time::OffsetDateTime;

use notification::{Notification, ObjectCreated};

/// The IAM actions of the AWS calls this function makes (the SAM template grants exactly
/// these; a test compares). HeadObject is authorized as GetObject, and needs ListBucket to
/// see a 404 (not a 403) for an object deleted meanwhile; deleting a version (the bytes of a
/// rejected upload in the versioned bucket) is DeleteObjectVersion.
pub const IAM_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:UpdateItem",
    "s3:GetObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:ListBucket",
];

pub struct App {
    store: Store,
    storage: Storage,
}

/// What became of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Available,
    Rejected(String),
    /// Already settled by an earlier delivery of the same event.
    Duplicate,
    /// Not one of our document keys, or another bucket: left alone.
    Ignored,
    /// A document key with no document record (e.g. deleted meanwhile): object removed.
    Orphan,
}

impl App {
    pub fn new(sdk: &SdkConfig, table: impl Into<String>, bucket: impl Into<String>) -> Self {
        Self { store: Store::new(aws::dynamodb_client(sdk), table), storage: Storage::new(aws::s3_client(sdk), bucket) }
    }

    pub fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(sdk, config::required(config::TABLE_NAME)?, config::required(config::DOCUMENTS_BUCKET)?))
    }

    /// Entry point for either event shape.
    pub async fn handle(&self, event: serde_json::Value) -> Result<serde_json::Value, lambda_runtime::Error> {
        let from_sqs = event["Records"][0]["eventSource"] == "aws:sqs";
        if from_sqs {
            let event: SqsEvent = serde_json::from_value(event)?;
            Ok(serde_json::to_value(self.handle_sqs(event).await)?)
        } else {
            let notification: Notification = serde_json::from_value(event)?;
            for object in notification.created_objects() {
                // A direct invocation has no batch: fail the whole invoke so it is retried.
                self.process(&object).await.map_err(|e| lambda_runtime::Error::from(e.to_string()))?;
            }
            Ok(serde_json::Value::Null)
        }
    }

    /// Processes a batch; only the records that failed are reported back for retry.
    pub async fn handle_sqs(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut failures = Vec::new();
        for message in event.records {
            let id = message.message_id.clone().unwrap_or_default();
            if let Err(err) = self.process_message(message.body.as_deref().unwrap_or_default()).await {
                tracing::error!(message_id = %id, error = %err, "object event failed; it will be retried");
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                failures.push(failure);
            }
        }
        let mut response = SqsBatchResponse::default();
        response.batch_item_failures = failures;
        response
    }

    async fn process_message(&self, body: &str) -> Result<(), ApiError> {
        let notification: Notification =
            serde_json::from_str(body).map_err(|e| ApiError::Malformed(format!("not an S3 notification: {e}")))?;
        for object in notification.created_objects() {
            self.process(&object).await?;
        }
        Ok(())
    }

    pub async fn process(&self, object: &ObjectCreated) -> Result<Outcome, ApiError> {
        if object.bucket != self.storage.bucket() {
            tracing::warn!(bucket = %object.bucket, "event from an unexpected bucket ignored");
            return Ok(Outcome::Ignored);
        }
        let Ok(key) = ObjectKey::from_event_key(&object.encoded_key) else {
            tracing::warn!(key = %object.encoded_key, "object outside the document keys ignored");
            return Ok(Outcome::Ignored);
        };
        let Some(document) = self.store.document(key.tenant, key.document).await? else {
            tracing::warn!(%key, "object without a document record deleted");
            if let Some(stored) = self.storage.head(key).await? {
                self.storage.delete(key, stored.version_id.as_deref()).await?;
            }
            return Ok(Outcome::Orphan);
        };
        match document.status {
            DocumentStatus::Pending => {}
            DocumentStatus::Available => return Ok(Outcome::Duplicate),
            DocumentStatus::Rejected => {
                // A retry after the delete below failed: delete what is still there.
                if let Some(stored) = self.storage.head(key).await? {
                    self.storage.delete(key, stored.version_id.as_deref()).await?;
                }
                return Ok(Outcome::Duplicate);
            }
        }
        let Some(stored) = self.storage.head(key).await? else {
            // Gone before we looked (deleted meanwhile): nothing to settle.
            return Ok(Outcome::Ignored);
        };
        // Record the verdict first, then delete a rejected object: if the delete fails, the
        // retry finds the document rejected and deletes again (above).
        let outcome = match self
            .store
            .settle_document(key.tenant, key.document, check(&document, &stored), OffsetDateTime::now_utc())
            .await?
        {
            Transition::Applied(settled) => match settled.rejected_reason {
                Some(reason) => {
                    self.storage.delete(key, stored.version_id.as_deref()).await?;
                    Outcome::Rejected(reason)
                }
                None => Outcome::Available,
            },
            Transition::AlreadySettled(_) => Outcome::Duplicate,
            Transition::Missing => Outcome::Orphan,
        };
        tracing::info!(%key, ?outcome, "object settled");
        Ok(outcome)
    }
}

/// The object must be exactly what was presigned: same size, same content type.
pub fn check(
    document: &portal_shared::model::Document,
    stored: &portal_shared::storage::StoredObject,
) -> Result<(), String> {
    if stored.size != document.size {
        return Err(format!("the file has {} bytes, {} were announced", stored.size, document.size));
    }
    let stored_type =
        stored.content_type.as_deref().map(|t| t.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    if stored_type.as_deref() != Some(document.content_type.as_str()) {
        return Err(format!(
            "the file is of type {}, {} was announced",
            stored_type.as_deref().unwrap_or("unknown"),
            document.content_type
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use portal_shared::domain::{DocumentId, TenantId};
    use portal_shared::model::{Document, UploaderKind};
    use portal_shared::storage::StoredObject;

    fn document(size: u64, content_type: &str) -> Document {
        Document {
            id: DocumentId::new(),
            tenant_id: TenantId::new(),
            name: "a.pdf".parse().unwrap(),
            content_type: content_type.parse().unwrap(),
            size,
            status: DocumentStatus::Pending,
            uploaded_by: "sub".parse().unwrap(),
            uploader_kind: UploaderKind::Staff,
            created_at: OffsetDateTime::now_utc(),
            available_at: None,
            rejected_reason: None,
        }
    }

    #[test]
    fn objects_must_match_what_was_presigned() {
        let doc = document(5, "application/pdf");
        let stored =
            |size, ct: Option<&str>| StoredObject { size, content_type: ct.map(str::to_owned), version_id: None };
        assert_eq!(check(&doc, &stored(5, Some("application/pdf"))), Ok(()));
        assert_eq!(check(&doc, &stored(5, Some("Application/PDF; x=y"))), Ok(()));
        assert!(check(&doc, &stored(6, Some("application/pdf"))).unwrap_err().contains("6 bytes"));
        assert!(check(&doc, &stored(5, Some("text/html"))).unwrap_err().contains("text/html"));
        assert!(check(&doc, &stored(5, None)).is_err());
    }
}
