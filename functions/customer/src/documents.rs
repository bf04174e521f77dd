//! The customer's documents at a company: downloads of what is shared with them, and
//! their own submissions (uploads back, the list across companies, deletes until seen).

use portal_shared::ApiError;
use portal_shared::domain::{ContactId, DocumentId, ItemRef, TenantId};
use portal_shared::identity::{Company, Customer};
use portal_shared::model::{Action, ActivityEvent, Actor, Document, UploaderKind};
use portal_shared::object_key::ObjectKey;
use portal_shared::pagination::Page;
use portal_shared::pagination::merge::{MergeRequest, StreamRead, merge_page};
use portal_shared::transfers::{DownloadTicket, UploadTicket, begin_upload};
use portal_shared::visibility;
use time::OffsetDateTime;

use crate::{App, UploadRequest};

fn actor(customer: &Customer, company: &Company) -> Actor {
    Actor { kind: UploaderKind::Customer, sub: customer.sub.clone(), email: Some(company.contact.email.clone()) }
}

impl App {
    /// A presigned download of a document visible to the customer at the company (403
    /// otherwise), recorded in the trail. Visibility is answered from the document up, one
    /// BatchGetItem (the item and the contact's share of it) per level, rather than by
    /// listing everything shared.
    pub(crate) async fn download(
        &self,
        customer: &Customer,
        company: &Company,
        id: DocumentId,
    ) -> Result<DownloadTicket, ApiError> {
        let tenant = company.tenant.id;
        let now = OffsetDateTime::now_utc();
        let document = visibility::shared_document(&self.store, tenant, company.contact.id, id, now)
            .await?
            .ok_or_else(|| ApiError::Forbidden("this document is not shared with you".into()))?;
        let download = self
            .storage
            .presign_download(
                ObjectKey::document(tenant, id),
                document.version_id.as_ref(),
                &document.name,
                &document.content_type,
                self.limits.download_url_ttl_seconds,
            )
            .await?;
        let event = ActivityEvent::new(Action::DocumentDownloaded, actor(customer, company), OffsetDateTime::now_utc())
            .contact(company.contact.id)
            .item(ItemRef::Document(id), document.name.as_str());
        self.store.record_event(tenant, &event).await?;
        tracing::info!(tenant = %tenant, document = %id, "customer download presigned");
        Ok(DownloadTicket { document_id: id, download })
    }

    /// A presigned upload into the customer's submissions at the company, with the same
    /// limits as staff uploads.
    pub(crate) async fn upload(
        &self,
        customer: &Customer,
        company: &Company,
        input: UploadRequest,
    ) -> Result<UploadTicket, ApiError> {
        let document = Document {
            contact_id: Some(company.contact.id),
            ..Document::pending(
                company.tenant.id,
                input.file_name,
                input.content_type,
                input.size,
                customer.sub.clone(),
                UploaderKind::Customer,
            )
        };
        begin_upload(&self.store, &self.storage, &self.limits, document).await
    }

    /// The customer's own submissions, at every company (or `wanted`), newest first, a page
    /// at a time: one Query per company not yet exhausted, merged (`pagination::merge`).
    /// The partitions come from the resolved companies only; the cursor only says where in
    /// them to start, and which of them (by contact) are done.
    pub(crate) async fn submissions(
        &self,
        customer: &Customer,
        wanted: Option<TenantId>,
        page: &MergeRequest<ContactId, DocumentId>,
    ) -> Result<Page<Document>, ApiError> {
        let mut reads = Vec::new();
        for company in customer.companies.iter().filter(|c| wanted.is_none_or(|t| t == c.tenant.id)) {
            let contact = company.contact.id;
            if page.is_done(&contact) {
                reads.push(StreamRead::done(contact));
                continue;
            }
            let read = self
                .store
                .contact_submissions_after(company.tenant.id, contact, page.after().copied(), page.limit)
                .await?;
            reads.push(StreamRead { stream: contact, more: read.next_cursor.is_some(), items: read.items });
        }
        Ok(merge_page(page.limit as usize, reads, |document| document.id).into_page())
    }

    /// Deletes one of the customer's own submissions while staff have not seen it.
    pub(crate) async fn delete_submission(
        &self,
        customer: &Customer,
        company: &Company,
        id: DocumentId,
    ) -> Result<(), ApiError> {
        let tenant = company.tenant.id;
        let document = self
            .store
            .document(tenant, id)
            .await?
            .filter(|document| document.contact_id == Some(company.contact.id))
            .ok_or(ApiError::NotFound("submission"))?;
        if document.seen_at.is_some() {
            return Err(ApiError::Conflict("the company has already seen this document".into()));
        }
        let event = ActivityEvent::new(Action::DocumentDeleted, actor(customer, company), OffsetDateTime::now_utc())
            .contact(company.contact.id)
            .item(ItemRef::Document(id), document.name.as_str());
        // The record first (its condition re-checks "not seen"), then the bytes.
        self.store.delete_submission(tenant, id, company.contact.id, &event).await?;
        self.storage.delete_all_versions(document.object_key()).await?;
        tracing::info!(tenant = %tenant, document = %id, "customer deleted a submission");
        Ok(())
    }
}
