//! The `object-events` function: S3 ObjectCreated notifications, delivered through SQS
//! (or directly, for `sam local invoke` with the samples in `events/`).
//!
//! For each object it checks what arrived against the pending document (size and content
//! type as presigned) and settles the document `available`, or `rejected` with the object
//! deleted. Delivery is at least once: the settling write is conditional on `pending`, so a
//! repeated event changes nothing. A record that fails for a transient reason is reported
//! as a batch item failure, retried by SQS and, after the configured attempts, moved to the
//! dead-letter queue; nothing is dropped silently.
//!
//! A tenant's logo arrives the same way: a pending logo upload that matches becomes the
//! tenant's logo (and the previous logo's bytes are deleted).

pub mod notification;

use aws_config::SdkConfig;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use portal_shared::config::{self, ConfigError};
use portal_shared::domain::{DocumentStatus, ItemRef, LogoId, ObjectVersion, TenantId};
use portal_shared::mail::Mailer;
use portal_shared::metrics::{self, Metric};
use portal_shared::model::{Action, ActivityEvent, Actor, Logo};
use portal_shared::notify::Notifier;
use portal_shared::object_key::ObjectKey;
use portal_shared::storage::{Storage, StoredObject};
use portal_shared::store::{Store, Transition};
use portal_shared::telemetry::{clip, record_tenant};
use portal_shared::{ApiError, aws};
use time::OffsetDateTime;

use notification::{Notification, ObjectCreated};

/// The IAM actions of the AWS calls this function makes (the SAM template grants exactly
/// these; a test compares). HeadObject is authorized as GetObject (of the version an event
/// names: GetObjectVersion), and needs ListBucket to see a 404 (not a 403) for an object
/// deleted meanwhile; deleting a version (the bytes of a rejected upload, or of a late object
/// under a settled document's key, in the versioned bucket) is DeleteObjectVersion.
pub const IAM_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:UpdateItem",
    "dynamodb:PutItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "ses:SendEmail",
];

pub struct App {
    store: Store,
    storage: Storage,
    notifier: Notifier,
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
    /// A second object under the key of a document that is available already (its URL
    /// replayed where S3 did not refuse the write): that version removed, never served;
    /// the document keeps the version it was settled with.
    LateObject,
}

impl App {
    pub fn new(
        sdk: &SdkConfig,
        table: impl Into<String>,
        bucket: impl Into<String>,
        sender: impl Into<String>,
        public_url: impl Into<String>,
    ) -> Self {
        let store = Store::new(aws::dynamodb_client(sdk), table);
        let notifier = Notifier::new(store.clone(), Mailer::new(sdk, sender), public_url);
        Self { store, storage: Storage::new(aws::s3_client(sdk), bucket), notifier }
    }

    pub fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            sdk,
            config::required(config::TABLE_NAME)?,
            config::required(config::DOCUMENTS_BUCKET)?,
            config::required(config::SENDER_EMAIL)?,
            config::required(config::PUBLIC_URL)?,
        ))
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
        portal_shared::batch::process_records(event, |body| async move { self.process_message(&body).await }).await
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
            tracing::warn!(bucket = %clip(&object.bucket), "event from an unexpected bucket ignored");
            return Ok(Outcome::Ignored);
        }
        let Ok(key) = ObjectKey::from_event_key(&object.encoded_key) else {
            tracing::warn!(key = %clip(&object.encoded_key), "object outside our keys ignored");
            return Ok(Outcome::Ignored);
        };
        match key {
            ObjectKey::Document { tenant, document } => {
                record_tenant(tenant);
                self.process_document(key, object.version.as_ref(), tenant, document).await
            }
            ObjectKey::Logo { tenant, logo } => {
                record_tenant(tenant);
                self.process_logo(key, tenant, logo).await
            }
        }
    }

    /// `version`: the one the event names (S3 names it in a versioned bucket); without one,
    /// the key's current version is the one the event is about.
    async fn process_document(
        &self,
        key: ObjectKey,
        version: Option<&ObjectVersion>,
        tenant: TenantId,
        document: portal_shared::domain::DocumentId,
    ) -> Result<Outcome, ApiError> {
        let Some(document) = self.store.document(tenant, document).await? else {
            tracing::warn!(%key, "object without a document record deleted");
            self.remove(key, version).await?;
            return Ok(Outcome::Orphan);
        };
        match document.status {
            DocumentStatus::Pending => {}
            DocumentStatus::Available => return self.settled_already(key, version, &document).await,
            DocumentStatus::Rejected => {
                // A retry after the delete below failed: delete what is still there.
                self.remove(key, version).await?;
                return Ok(Outcome::Duplicate);
            }
        }
        let Some(stored) = self.storage.head(key, version).await? else {
            // Gone before we looked (deleted meanwhile): nothing to settle.
            return Ok(Outcome::Ignored);
        };
        // Record the verdict first, then delete a rejected object: if the delete fails, the
        // retry finds the document rejected and deletes again (above).
        let uploaded = |settled: &portal_shared::model::Document| {
            let actor = Actor { kind: settled.uploader_kind, sub: settled.uploaded_by.clone(), email: None };
            let event = ActivityEvent::new(Action::DocumentUploaded, actor, OffsetDateTime::now_utc())
                .item(ItemRef::Document(settled.id), settled.name.as_str());
            match settled.contact_id {
                Some(contact) => event.contact(contact),
                None => event,
            }
        };
        let verdict = check(&document, &stored);
        let outcome = match self
            .store
            .settle_document(&document, verdict, stored.version_id.as_ref(), OffsetDateTime::now_utc(), uploaded)
            .await?
        {
            // Counted where the verdict is written, once per upload: a retry after a later step
            // failed (the delete, the email) finds it settled and counts nothing.
            Transition::Applied(settled) => match settled.rejected_reason {
                Some(reason) => {
                    metrics::count(Metric::UploadsRejected, 1, Some(tenant));
                    self.storage.delete(key, stored.version_id.as_ref()).await?;
                    Outcome::Rejected(reason)
                }
                None => {
                    metrics::count(Metric::UploadsSettled, 1, Some(tenant));
                    self.notify(&settled).await?;
                    Outcome::Available
                }
            },
            // Settled meanwhile by another delivery: of this same version (a duplicate), or
            // of another object under the key, in which case this one is the late one.
            Transition::AlreadySettled(current) => match current.status {
                DocumentStatus::Available => {
                    self.late_or_duplicate(key, &current, stored.version_id.as_ref(), Some(&stored)).await?
                }
                DocumentStatus::Rejected => {
                    self.storage.delete(key, stored.version_id.as_ref()).await?;
                    Outcome::Duplicate
                }
                DocumentStatus::Pending => Outcome::Duplicate,
            },
            Transition::Missing => Outcome::Orphan,
        };
        tracing::info!(%key, ?outcome, "object settled");
        Ok(outcome)
    }

    /// An event for a document that is available already: a repeated delivery of the
    /// event that settled it (its pinned version), or a late second object under the key
    /// (a replayed or leaked upload URL where S3 did not refuse it), which is removed.
    async fn settled_already(
        &self,
        key: ObjectKey,
        version: Option<&ObjectVersion>,
        document: &portal_shared::model::Document,
    ) -> Result<Outcome, ApiError> {
        if version.is_some() && version == document.version_id.as_ref() {
            // The same event again: a retry after the staff email failed sends what is unsent.
            self.notify(document).await?;
            return Ok(Outcome::Duplicate);
        }
        let stored = self.storage.head(key, version).await?;
        let stored_version = stored.as_ref().and_then(|s| s.version_id.as_ref()).or(version);
        self.late_or_duplicate(key, document, stored_version, stored.as_ref()).await
    }

    /// `version` is the object version this event is about, `stored` what HeadObject found
    /// of it (`None`: gone already).
    async fn late_or_duplicate(
        &self,
        key: ObjectKey,
        document: &portal_shared::model::Document,
        version: Option<&ObjectVersion>,
        stored: Option<&StoredObject>,
    ) -> Result<Outcome, ApiError> {
        let (Some(pinned), Some(version)) = (document.version_id.as_ref(), version) else {
            // Nothing tells the checked bytes from others (a document settled before versions
            // were pinned, an unversioned bucket, or the current object gone): taken as a
            // repeated event, as before.
            self.notify(document).await?;
            return Ok(Outcome::Duplicate);
        };
        if version == pinned {
            self.notify(document).await?;
            return Ok(Outcome::Duplicate);
        }
        // Never served (downloads name the pinned version); removed so it is not kept either.
        tracing::warn!(%key, version = %clip(version.as_str()), pinned = %pinned, "late object under a settled document's key deleted");
        if stored.is_some() {
            self.storage.delete(key, Some(version)).await?;
        }
        Ok(Outcome::LateObject)
    }

    /// Deletes the event's version of an object (the current one when the event names
    /// none), bytes and all.
    async fn remove(&self, key: ObjectKey, version: Option<&ObjectVersion>) -> Result<(), ApiError> {
        if let Some(stored) = self.storage.head(key, version).await? {
            self.storage.delete(key, stored.version_id.as_ref().or(version)).await?;
        }
        Ok(())
    }

    /// Emails staff about an available customer submission, through the outbox written
    /// with the settling: sent once, however often the event comes.
    async fn notify(&self, document: &portal_shared::model::Document) -> Result<(), ApiError> {
        if document.contact_id.is_some() {
            // Boxed: the email's future is deep, and inlining it into every settling path
            // makes the event handler's future too deep for the compiler's layout limit.
            Box::pin(self.notifier.submitted(document)).await?;
        }
        Ok(())
    }

    /// A logo upload: if it matches its pending record, it becomes the tenant's logo and
    /// the previous logo's bytes go; otherwise the object is deleted.
    async fn process_logo(&self, key: ObjectKey, tenant: TenantId, logo: LogoId) -> Result<Outcome, ApiError> {
        let Some(pending) = self.store.pending_logo(tenant, logo).await? else {
            // Applied already (a repeated event), or never handed out / abandoned.
            let current = self.store.tenant(tenant).await?.and_then(|t| t.logo).map(|l| l.id);
            if current == Some(logo) {
                return Ok(Outcome::Duplicate);
            }
            tracing::warn!(%key, "logo object without a pending upload deleted");
            self.storage.delete_all_versions(key).await?;
            return Ok(Outcome::Orphan);
        };
        let Some(stored) = self.storage.head(key, None).await? else {
            return Ok(Outcome::Ignored);
        };
        let verdict = check_size_and_type(pending.size, pending.content_type.as_str(), &stored);
        if let Err(reason) = verdict {
            self.store.delete_pending_logo(tenant, logo).await?;
            metrics::count(Metric::UploadsRejected, 1, Some(tenant));
            self.storage.delete_all_versions(key).await?;
            tracing::info!(%key, %reason, "logo rejected");
            return Ok(Outcome::Rejected(reason));
        }
        let previous = self.store.tenant(tenant).await?.and_then(|t| t.logo);
        if !self.store.apply_logo(tenant, &Logo { id: logo, content_type: pending.content_type }).await? {
            return Ok(Outcome::Duplicate);
        }
        metrics::count(Metric::UploadsSettled, 1, Some(tenant));
        if let Some(previous) = previous.filter(|previous| previous.id != logo) {
            self.storage.delete_all_versions(ObjectKey::logo(tenant, previous.id)).await?;
        }
        tracing::info!(%key, "logo applied");
        Ok(Outcome::Available)
    }
}

/// The object must be exactly what was presigned: same size, same content type.
pub fn check(
    document: &portal_shared::model::Document,
    stored: &portal_shared::storage::StoredObject,
) -> Result<(), String> {
    check_size_and_type(document.size, document.content_type.as_str(), stored)
}

fn check_size_and_type(
    size: u64,
    content_type: &str,
    stored: &portal_shared::storage::StoredObject,
) -> Result<(), String> {
    if stored.size != size {
        return Err(format!("the file has {} bytes, {size} were announced", stored.size));
    }
    let stored_type =
        stored.content_type.as_deref().map(|t| t.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    if stored_type.as_deref() != Some(content_type) {
        // The stored type is whatever the PUT said: bounded, as it is logged and stored.
        return Err(format!(
            "the file is of type {}, {content_type} was announced",
            clip(stored_type.as_deref().unwrap_or("unknown")),
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
            folder_id: None,
            contact_id: None,
            seen_at: None,
            created_at: OffsetDateTime::now_utc(),
            available_at: None,
            rejected_reason: None,
            version_id: None,
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
        // A hostile content type is quoted bounded (the reason is logged and stored).
        let hostile = format!("x/{}", "y".repeat(100_000));
        let reason = check(&doc, &stored(5, Some(&hostile))).unwrap_err();
        assert!(reason.len() < 1200 && reason.contains("more bytes]"), "{} bytes", reason.len());
    }
}

#[cfg(test)]
mod properties;
