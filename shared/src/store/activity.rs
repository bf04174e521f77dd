//! The activity trail: append-only events (a new item each, never updated), listed per
//! contact (GSI1) and per document (GSI2), newest first.

use super::{Index, Item, Store, StoreError, Transaction, to_item};
use crate::domain::{ContactId, DocumentId, TenantId};
use crate::keys::{self, GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK, PK, SK};
use crate::model::ActivityEvent;
use crate::pagination::{Page, PageRequest};

impl Store {
    /// The item of `event`, appended in the transaction of the change it records (its id is
    /// new: [`Transaction::append`]).
    pub(super) fn event_item(tenant: TenantId, event: &ActivityEvent) -> Result<Item, StoreError> {
        let mut keys = vec![(PK, keys::tenant_pk(tenant)), (SK, keys::event_sk(event.id))];
        if let Some(contact) = event.contact_id {
            keys.push((GSI1_PK, keys::contact_activity_gsi1_pk(tenant, contact)));
            keys.push((GSI1_SK, keys::event_sk(event.id)));
        }
        if let Some(document) = event.document_id() {
            keys.push((GSI2_PK, keys::document_activity_gsi2_pk(tenant, document)));
            keys.push((GSI2_SK, keys::event_sk(event.id)));
        }
        to_item(event, &keys)
    }

    /// Appends one event on its own (when the change it records is not a DynamoDB write,
    /// e.g. a download URL handed out).
    pub async fn record_event(&self, tenant: TenantId, event: &ActivityEvent) -> Result<(), StoreError> {
        Transaction::new("RecordEvent").append(Self::event_item(tenant, event)?).commit(self).await
    }

    pub async fn contact_activity(
        &self,
        tenant: TenantId,
        contact: ContactId,
        page: &PageRequest,
    ) -> Result<Page<ActivityEvent>, StoreError> {
        let partition = keys::contact_activity_gsi1_pk(tenant, contact);
        self.query_index_of(Index::Gsi1, tenant, &partition, keys::EVENT_PREFIX, page).await
    }

    pub async fn document_activity(
        &self,
        tenant: TenantId,
        document: DocumentId,
        page: &PageRequest,
    ) -> Result<Page<ActivityEvent>, StoreError> {
        let partition = keys::document_activity_gsi2_pk(tenant, document);
        self.query_index_of(Index::Gsi2, tenant, &partition, keys::EVENT_PREFIX, page).await
    }
}
