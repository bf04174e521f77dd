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

mod check;
pub mod event;
mod logo;
pub mod notification;
mod settle;

use aws_config::SdkConfig;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use portal_shared::config::{self, ConfigError};
use portal_shared::mail::Mailer;
use portal_shared::notify::Notifier;
use portal_shared::object_key::ObjectKey;
use portal_shared::storage::Storage;
use portal_shared::store::Store;
use portal_shared::telemetry::{clip, record_tenant};
use portal_shared::{ApiError, aws};

pub use check::check;
pub use event::Event;
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

    pub fn configure(sdk: &SdkConfig, env: &dyn config::Source) -> Result<Self, ConfigError> {
        Ok(Self::new(
            sdk,
            config::required(env, config::TABLE_NAME)?,
            config::required(env, config::DOCUMENTS_BUCKET)?,
            config::required(env, config::SENDER_EMAIL)?,
            config::required(env, config::PUBLIC_URL)?,
        ))
    }

    /// [`configure`](Self::configure) from the process environment, as on Lambda.
    pub fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Self::configure(sdk, &config::ProcessEnv)
    }

    /// Entry point for either event shape: an SQS batch answers which records failed; a
    /// direct notification (no batch) answers `None`, or fails the whole invocation so it is
    /// retried.
    pub async fn handle(&self, event: Event) -> Result<Option<SqsBatchResponse>, ApiError> {
        match event {
            Event::Queue(batch) => Ok(Some(self.handle_sqs(batch).await)),
            Event::Direct(notification) => {
                for object in notification.created_objects() {
                    self.process(&object).await?;
                }
                Ok(None)
            }
        }
    }

    /// What the Lambda runtime does with a JSON payload: deserialized into [`Event`] (a
    /// payload that is neither shape fails the invocation), handled, the response
    /// serialized (`null` for a direct notification).
    pub async fn invoke(&self, payload: serde_json::Value) -> Result<serde_json::Value, lambda_runtime::Error> {
        let event: Event = serde_json::from_value(payload)?;
        Ok(serde_json::to_value(self.handle(event).await.map_err(|e| e.to_string())?)?)
    }

    /// Processes a batch; only the records that failed are reported back for retry.
    pub async fn handle_sqs(&self, event: SqsEvent) -> SqsBatchResponse {
        portal_shared::batch::process_json(event, "an S3 notification", |notification: Notification| async move {
            for object in notification.created_objects() {
                self.process(&object).await?;
            }
            Ok(())
        })
        .await
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
}

impl portal_shared::function::EventFunction for App {
    const NAME: &'static str = "object-events";
    type Event = Event;
    type Answer = Option<SqsBatchResponse>;

    fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Self::configure(sdk, &config::ProcessEnv)
    }

    async fn serve(&self, event: Event) -> Result<Option<SqsBatchResponse>, lambda_runtime::Error> {
        Ok(self.handle(event).await?)
    }
}

#[cfg(test)]
mod properties;
