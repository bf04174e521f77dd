//! A document's object: checked against its pending record and settled `available` or
//! `rejected` (the object deleted), once, however often the event is delivered; a late
//! second object under a settled document's key is removed.

use portal_shared::ApiError;
use portal_shared::domain::{DocumentId, DocumentStatus, ItemRef, ObjectVersion, TenantId};
use portal_shared::metrics::{self, Metric};
use portal_shared::model::{Action, ActivityEvent, Actor, Document};
use portal_shared::object_key::ObjectKey;
use portal_shared::storage::StoredObject;
use portal_shared::store::Transition;
use portal_shared::telemetry::clip;
use time::OffsetDateTime;

use crate::check::check;
use crate::{App, Outcome};

impl App {
    /// `version`: the one the event names (S3 names it in a versioned bucket); without one,
    /// the key's current version is the one the event is about.
    pub(crate) async fn process_document(
        &self,
        key: ObjectKey,
        version: Option<&ObjectVersion>,
        tenant: TenantId,
        document: DocumentId,
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
        let uploaded = |settled: &Document| {
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
        document: &Document,
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
        document: &Document,
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
    async fn notify(&self, document: &Document) -> Result<(), ApiError> {
        if document.contact_id.is_some() {
            // Boxed: the email's future is deep, and inlining it into every settling path
            // makes the event handler's future too deep for the compiler's layout limit.
            Box::pin(self.notifier.submitted(document)).await?;
        }
        Ok(())
    }
}
