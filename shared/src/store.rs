//! The single-table store: every DynamoDB read and write of the API, with the keys of
//! `keys.rs`. Items are the `model` entities serialized by `serde_dynamo`, plus their keys.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use crate::domain::{ContactId, DocumentId, DocumentStatus, TenantId, UserSub};
use crate::error::ApiError;
use crate::identity::StaffMember;
use crate::keys::{self, GSI1_PK, GSI1_SK, PK, SK};
use crate::model::{Contact, Document, Tenant};
use crate::pagination::{Cursor, Page, PageRequest};

type Item = HashMap<String, AttributeValue>;

#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: String,
}

/// What a conditional status change found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// This call made the change.
    Applied(Document),
    /// The document had already left `pending` (a repeated or late event): nothing changed.
    AlreadySettled(Document),
    /// There is no such document.
    Missing,
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn to_item<T: Serialize>(value: &T, keys: &[(&str, String)]) -> Result<Item, ApiError> {
    let mut item: Item =
        serde_dynamo::to_item(value).map_err(|e| ApiError::Internal(format!("serialize item: {e}")))?;
    for (name, value) in keys {
        item.insert((*name).to_owned(), s(value.clone()));
    }
    Ok(item)
}

fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, ApiError> {
    serde_dynamo::from_item(item).map_err(|e| ApiError::Internal(format!("deserialize item: {e}")))
}

fn cursor_of(last: Option<&Item>) -> Option<String> {
    let last = last?;
    let keys: BTreeMap<String, String> =
        last.iter().filter_map(|(name, value)| value.as_s().ok().map(|v| (name.clone(), v.clone()))).collect();
    Some(Cursor(keys).encode())
}

fn is_conditional_failure<E: aws_smithy_types::error::metadata::ProvideErrorMetadata>(err: &E) -> bool {
    err.code() == Some("ConditionalCheckFailedException")
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    async fn get<T: DeserializeOwned>(&self, pk: String, sk: String) -> Result<Option<T>, ApiError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| ApiError::from_sdk("GetItem", e))?;
        output.item.map(from_item).transpose()
    }

    /// One page of a tenant's items of one type (`sk_prefix`), newest first (ids are v7).
    async fn query_tenant<T: DeserializeOwned>(
        &self,
        tenant: TenantId,
        sk_prefix: &str,
        page: &PageRequest,
    ) -> Result<Page<T>, ApiError> {
        let partition = keys::tenant_pk(tenant);
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(&partition))
            .expression_attribute_values(":prefix", s(sk_prefix))
            .scan_index_forward(false)
            .limit(page.limit);
        if let Some(cursor) = &page.cursor {
            cursor.check_scope(PK, &partition, SK, sk_prefix)?;
            for (name, value) in &cursor.0 {
                query = query.exclusive_start_key(name, s(value));
            }
        }
        let output = query.send().await.map_err(|e| ApiError::from_sdk("Query", e))?;
        let items = output.items.unwrap_or_default().into_iter().map(from_item).collect::<Result<_, _>>()?;
        Ok(Page { items, next_cursor: cursor_of(output.last_evaluated_key.as_ref()) })
    }

    // --- tenants and staff -------------------------------------------------------------

    /// Creates a tenant; its slug must be free (one transaction: profile + slug guard).
    pub async fn create_tenant(&self, tenant: &Tenant) -> Result<(), ApiError> {
        let profile = to_item(tenant, &[(PK, keys::tenant_pk(tenant.id)), (SK, keys::TENANT_PROFILE_SK.into())])?;
        let guard = to_item(
            &serde_json::json!({ "tenantId": tenant.id }),
            &[(PK, keys::slug_pk(&tenant.slug)), (SK, keys::SLUG_SK.into())],
        )?;
        self.put_all_new("CreateTenant", [profile, guard], "this portal link is already taken").await
    }

    pub async fn tenant(&self, tenant: TenantId) -> Result<Option<Tenant>, ApiError> {
        self.get(keys::tenant_pk(tenant), keys::TENANT_PROFILE_SK.into()).await
    }

    pub async fn put_staff_member(&self, member: &StaffMember) -> Result<(), ApiError> {
        let item = to_item(
            member,
            &[
                (PK, keys::user_pk(&member.sub)),
                (SK, keys::STAFF_MEMBERSHIP_SK.into()),
                (GSI1_PK, keys::tenant_pk(member.tenant_id)),
                (GSI1_SK, keys::staff_gsi1_sk(&member.email)),
            ],
        )?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| ApiError::from_sdk("PutItem", e))?;
        Ok(())
    }

    pub async fn staff_member(&self, sub: &UserSub) -> Result<Option<StaffMember>, ApiError> {
        self.get(keys::user_pk(sub), keys::STAFF_MEMBERSHIP_SK.into()).await
    }

    // --- contacts ----------------------------------------------------------------------

    /// Creates a contact; its email must be new in the tenant (contact + email guard in one
    /// transaction, so two concurrent creates cannot both succeed).
    pub async fn create_contact(&self, tenant: TenantId, contact: &Contact) -> Result<(), ApiError> {
        let pk = keys::tenant_pk(tenant);
        let record = to_item(contact, &[(PK, pk.clone()), (SK, keys::contact_sk(contact.id))])?;
        let guard = to_item(
            &serde_json::json!({ "contactId": contact.id }),
            &[(PK, pk), (SK, keys::contact_email_sk(&contact.email))],
        )?;
        self.put_all_new("CreateContact", [record, guard], "a contact with this email already exists").await
    }

    pub async fn contact(&self, tenant: TenantId, contact: ContactId) -> Result<Option<Contact>, ApiError> {
        self.get(keys::tenant_pk(tenant), keys::contact_sk(contact)).await
    }

    pub async fn list_contacts(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Contact>, ApiError> {
        self.query_tenant(tenant, keys::CONTACT_PREFIX, page).await
    }

    // --- documents ---------------------------------------------------------------------

    /// Records a document whose upload URL is being handed out (`pending`). If its upload
    /// never arrives, DynamoDB's TTL removes the record after `abandoned_after` (settling
    /// removes the TTL); a late object then finds no record and is deleted as an orphan.
    pub async fn create_document(&self, document: &Document, abandoned_after: OffsetDateTime) -> Result<(), ApiError> {
        let mut item =
            to_item(document, &[(PK, keys::tenant_pk(document.tenant_id)), (SK, keys::document_sk(document.id))])?;
        item.insert(keys::TTL_ATTRIBUTE.to_owned(), AttributeValue::N(abandoned_after.unix_timestamp().to_string()));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await
            .map_err(|e| ApiError::from_sdk("PutItem", e))?;
        Ok(())
    }

    pub async fn document(&self, tenant: TenantId, document: DocumentId) -> Result<Option<Document>, ApiError> {
        self.get(keys::tenant_pk(tenant), keys::document_sk(document)).await
    }

    pub async fn list_documents(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Document>, ApiError> {
        self.query_tenant(tenant, keys::DOCUMENT_PREFIX, page).await
    }

    /// Moves a document out of `pending`, once: the condition makes repeated and concurrent
    /// deliveries of the same S3 event change nothing after the first.
    pub async fn settle_document(
        &self,
        tenant: TenantId,
        document: DocumentId,
        outcome: Result<(), String>,
        at: OffsetDateTime,
    ) -> Result<Transition, ApiError> {
        let timestamp = at.format(&time::format_description::well_known::Rfc3339).expect("RFC 3339 formats");
        let (status, expression, detail) = match outcome {
            Ok(()) => {
                (DocumentStatus::Available, "SET #status = :status, availableAt = :detail REMOVE #ttl", timestamp)
            }
            Err(reason) => {
                (DocumentStatus::Rejected, "SET #status = :status, rejectedReason = :detail REMOVE #ttl", reason)
            }
        };
        let status_value = serde_dynamo::to_attribute_value(status).map_err(|e| ApiError::Internal(e.to_string()))?;
        let pending =
            serde_dynamo::to_attribute_value(DocumentStatus::Pending).map_err(|e| ApiError::Internal(e.to_string()))?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(keys::tenant_pk(tenant)))
            .key(SK, s(keys::document_sk(document)))
            .update_expression(expression)
            .condition_expression("attribute_exists(#pk) AND #status = :pending")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#ttl", keys::TTL_ATTRIBUTE)
            .expression_attribute_values(":status", status_value)
            .expression_attribute_values(":pending", pending)
            .expression_attribute_values(":detail", s(detail))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => Ok(Transition::Applied(from_item(output.attributes.unwrap_or_default())?)),
            Err(err) if err.as_service_error().is_some_and(is_conditional_failure) => {
                Ok(match self.document(tenant, document).await? {
                    Some(current) => Transition::AlreadySettled(current),
                    None => Transition::Missing,
                })
            }
            Err(err) => Err(ApiError::from_sdk("UpdateItem", err)),
        }
    }

    /// Puts several new items atomically; any of them existing already is a conflict.
    async fn put_all_new<const N: usize>(
        &self,
        operation: &str,
        items: [Item; N],
        conflict: &str,
    ) -> Result<(), ApiError> {
        let writes = items
            .into_iter()
            .map(|item| {
                let put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(item))
                    .condition_expression("attribute_not_exists(#pk)")
                    .expression_attribute_names("#pk", PK)
                    .build()
                    .map_err(|e| ApiError::Internal(e.to_string()))?;
                Ok(TransactWriteItem::builder().put(put).build())
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        match self.client.transact_write_items().set_transact_items(Some(writes)).send().await {
            Ok(_) => Ok(()),
            Err(err) => {
                let cancelled_by_condition = err.as_service_error().is_some_and(|service| {
                    service.is_transaction_canceled_exception()
                        && match service {
                            aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(e) => {
                                e.cancellation_reasons().iter().any(|r| r.code() == Some("ConditionalCheckFailed"))
                            }
                            _ => false,
                        }
                });
                if cancelled_by_condition {
                    Err(ApiError::Conflict(conflict.to_owned()))
                } else {
                    Err(ApiError::from_sdk(operation, err))
                }
            }
        }
    }
}
