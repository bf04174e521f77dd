//! The activity trail: append-only events (a new item each, never updated), listed per
//! contact (GSI1) and per document (GSI2), newest first.

use aws_sdk_dynamodb::types::TransactWriteItem;

use super::projection::ItemReader;
use super::{Index, Store, to_item};
use crate::domain::{ContactId, DocumentId, TenantId};
use crate::error::ApiError;
use crate::keys::{self, GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK, PK, SK};
use crate::model::ActivityEvent;
use crate::pagination::{Page, PageRequest};

impl Store {
    /// The write that appends `event`, for a transaction with the change it records.
    pub(super) fn event_write(
        &self,
        tenant: TenantId,
        event: &ActivityEvent,
    ) -> Result<(TransactWriteItem, ApiError), ApiError> {
        let mut keys = vec![(PK, keys::tenant_pk(tenant)), (SK, keys::event_sk(event.id))];
        if let Some(contact) = event.contact_id {
            keys.push((GSI1_PK, keys::contact_activity_gsi1_pk(tenant, contact)));
            keys.push((GSI1_SK, keys::event_sk(event.id)));
        }
        if let Some(document) = event.document_id() {
            keys.push((GSI2_PK, keys::document_activity_gsi2_pk(tenant, document)));
            keys.push((GSI2_SK, keys::event_sk(event.id)));
        }
        let put = self.put_new(to_item(event, &keys)?)?;
        Ok((put, ApiError::Internal(format!("activity event {} exists already", event.id))))
    }

    /// Appends one event on its own (when the change it records is not a DynamoDB write,
    /// e.g. a download URL handed out).
    pub async fn record_event(&self, tenant: TenantId, event: &ActivityEvent) -> Result<(), ApiError> {
        let write = self.event_write(tenant, event)?;
        self.transact("RecordEvent", vec![write]).await
    }

    pub async fn contact_activity(
        &self,
        tenant: TenantId,
        contact: ContactId,
        page: &PageRequest,
    ) -> Result<Page<ActivityEvent>, ApiError> {
        let partition = keys::contact_activity_gsi1_pk(tenant, contact);
        self.query_index(
            Index::Gsi1,
            tenant,
            &partition,
            keys::EVENT_PREFIX,
            keys::EVENT_PREFIX,
            page,
            ItemReader::of(),
        )
        .await
    }

    pub async fn document_activity(
        &self,
        tenant: TenantId,
        document: DocumentId,
        page: &PageRequest,
    ) -> Result<Page<ActivityEvent>, ApiError> {
        let partition = keys::document_activity_gsi2_pk(tenant, document);
        self.query_index(
            Index::Gsi2,
            tenant,
            &partition,
            keys::EVENT_PREFIX,
            keys::EVENT_PREFIX,
            page,
            ItemReader::of(),
        )
        .await
    }
}
