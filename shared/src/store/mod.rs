//! The single-table store: every DynamoDB read and write of the API, with the keys of
//! `keys.rs`. Items are the `model` entities serialized by `serde_dynamo`, plus their keys.
//!
//! One module per concern: contacts, organizations and documents here; the drive's folders
//! in `drive`, shares in `sharing`, the activity trail in `activity`, tenant settings and
//! staff in `tenant`.

mod activity;
mod customers;
mod drive;
mod notifications;
mod projection;
mod rate_limits;
mod sharing;
mod signups;
mod tenant;

pub use drive::MAX_FOLDER_DEPTH;
pub use notifications::{BatchClaim, BatchedShare, ShareBatch};
pub use signups::{ALREADY_VERIFIED, CODE_REFUSED, EMAIL_SIGNED_UP, SLUG_TAKEN};
pub use tenant::TenantChanges;

use std::collections::{BTreeMap, HashMap};

use self::projection::ItemReader;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use crate::domain::{AccessStatus, ContactId, DocumentId, DocumentStatus, ObjectVersion, OrganizationId, TenantId};
use crate::error::ApiError;
use crate::keys::{self, GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK, PK, SK};
use crate::model::{ActivityEvent, Contact, Document, InvitationRequest, Organization, Tenant};
use crate::pagination::{Cursor, Key, Page, PageRequest};

type Item = HashMap<String, AttributeValue>;

/// The two overloaded global secondary indexes.
#[derive(Debug, Clone, Copy)]
enum Index {
    Gsi1,
    Gsi2,
}

impl Index {
    /// The index name and its partition and sort key attributes.
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Gsi1 => (keys::GSI1, GSI1_PK, GSI1_SK),
            Self::Gsi2 => (keys::GSI2, GSI2_PK, GSI2_SK),
        }
    }
}

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

/// Runs one page of a query: `limit`, and the cursor (if any) checked against `scope`
/// before it becomes the ExclusiveStartKey.
async fn query_page<T: DeserializeOwned>(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    page: &PageRequest,
    scope: &[(&str, Key<'_>)],
) -> Result<Page<T>, ApiError> {
    query_page_with(query, page, scope, ItemReader::of()).await
}

/// [`query_page`] with each item read by `reader` (for listings that mix item types).
async fn query_page_with<T>(
    mut query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    page: &PageRequest,
    scope: &[(&str, Key<'_>)],
    reader: ItemReader<T>,
) -> Result<Page<T>, ApiError> {
    query = query.limit(page.limit);
    if let Some(cursor) = &page.cursor {
        cursor.check(scope)?;
        for (name, value) in &cursor.0 {
            query = query.exclusive_start_key(name, s(value));
        }
    }
    if let Some(attributes) = &reader.attributes {
        query = projection::project(query, attributes);
    }
    let output = query.send().await.map_err(|e| ApiError::from_sdk("Query", e))?;
    let items = output.items.unwrap_or_default().into_iter().map(reader.read).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: cursor_of(output.last_evaluated_key.as_ref()) })
}

fn is_conditional_failure<E: aws_smithy_types::error::metadata::ProvideErrorMetadata>(err: &E) -> bool {
    err.code() == Some("ConditionalCheckFailedException")
}

/// The outcome of a conditional single-item write: a failed condition means `on_condition`.
fn conditional<T, E>(
    operation: &str,
    result: Result<
        T,
        aws_smithy_runtime_api::client::result::SdkError<E, aws_smithy_runtime_api::client::orchestrator::HttpResponse>,
    >,
    on_condition: ApiError,
) -> Result<T, ApiError>
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Err(err) if err.as_service_error().is_some_and(is_conditional_failure) => Err(on_condition),
        other => other.map_err(|err| ApiError::from_sdk(operation, err)),
    }
}

/// Whether a conditional single-item write took effect: a failed condition is `false`,
/// not an error (claims, leases, counters and clean-ups that someone else may have done).
fn took_effect<T, E>(
    operation: &str,
    result: Result<
        T,
        aws_smithy_runtime_api::client::result::SdkError<E, aws_smithy_runtime_api::client::orchestrator::HttpResponse>,
    >,
) -> Result<bool, ApiError>
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(err) if err.as_service_error().is_some_and(is_conditional_failure) => Ok(false),
        Err(err) => Err(ApiError::from_sdk(operation, err)),
    }
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

    /// The items that exist among `keys` (consistent reads, 100 keys per request, unprocessed
    /// keys retried).
    async fn batch_get(&self, keys: Vec<(String, String)>) -> Result<Vec<Item>, ApiError> {
        use aws_sdk_dynamodb::types::KeysAndAttributes;
        let mut unique = keys;
        unique.sort();
        unique.dedup();
        let mut found = Vec::new();
        for chunk in unique.chunks(100) {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.iter().map(|(pk, sk)| Self::key(pk.clone(), sk.clone())).collect()))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| ApiError::Internal(e.to_string()))?,
            );
            // Unprocessed keys (throttling) are asked again, a bounded number of times.
            for _ in 0..5 {
                let Some(request) = pending.take() else { break };
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(|e| ApiError::from_sdk("BatchGetItem", e))?;
                found.extend(output.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default());
                pending =
                    output.unprocessed_keys.and_then(|mut r| r.remove(&self.table)).filter(|k| !k.keys.is_empty());
            }
            if pending.is_some() {
                return Err(ApiError::Unavailable);
            }
        }
        Ok(found)
    }

    /// The contacts that exist among `ids`.
    pub async fn contacts(&self, tenant: TenantId, ids: &[ContactId]) -> Result<HashMap<ContactId, Contact>, ApiError> {
        let keys = ids.iter().map(|id| (keys::tenant_pk(tenant), keys::contact_sk(*id))).collect();
        self.batch_get(keys)
            .await?
            .into_iter()
            .map(|item| from_item::<Contact>(item).map(|contact| (contact.id, contact)))
            .collect()
    }

    /// One page of a tenant's items of one type (`sk_prefix`), newest first (ids are v7).
    async fn query_tenant<T: DeserializeOwned>(
        &self,
        tenant: TenantId,
        sk_prefix: &str,
        page: &PageRequest,
    ) -> Result<Page<T>, ApiError> {
        let partition = keys::tenant_pk(tenant);
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(&partition))
            .expression_attribute_values(":prefix", s(sk_prefix))
            .scan_index_forward(false);
        query_page(query, page, &[(PK, Key::Equals(&partition)), (SK, Key::StartsWith(sk_prefix))]).await
    }

    /// One page of an index partition (items whose index sort key starts with
    /// `sk_prefix`), newest first. The cursor must hold the index keys and the table keys,
    /// all inside the caller's tenant, the table sort key starting with `table_sk_prefix`.
    #[allow(clippy::too_many_arguments)]
    async fn query_index<T>(
        &self,
        index: Index,
        tenant: TenantId,
        partition: &str,
        sk_prefix: &str,
        table_sk_prefix: &str,
        page: &PageRequest,
        reader: ItemReader<T>,
    ) -> Result<Page<T>, ApiError> {
        let (name, pk, sk) = index.names();
        let tenant_partition = keys::tenant_pk(tenant);
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(name)
            .expression_attribute_names("#pk", pk)
            .expression_attribute_values(":pk", s(partition))
            .scan_index_forward(false);
        // A key condition cannot hold an empty string: no prefix means the whole partition.
        query = if sk_prefix.is_empty() {
            query.key_condition_expression("#pk = :pk")
        } else {
            query
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#sk", sk)
                .expression_attribute_values(":prefix", s(sk_prefix))
        };
        let scope = [
            (pk, Key::Equals(partition)),
            (sk, Key::StartsWith(sk_prefix)),
            (PK, Key::Equals(&tenant_partition)),
            (SK, Key::StartsWith(table_sk_prefix)),
        ];
        query_page_with(query, page, &scope, reader).await
    }

    /// Every item of a query (all pages), for the few places that need them all.
    async fn query_all<T, F, Fut>(&self, mut next: F) -> Result<Vec<T>, ApiError>
    where
        F: FnMut(PageRequest) -> Fut,
        Fut: Future<Output = Result<Page<T>, ApiError>>,
    {
        let mut all = Vec::new();
        let mut page = PageRequest { limit: crate::pagination::MAX_LIMIT, cursor: None };
        loop {
            let Page { items, next_cursor } = next(page.clone()).await?;
            all.extend(items);
            match next_cursor {
                Some(cursor) => page.cursor = Some(Cursor::decode(&cursor)?),
                None => return Ok(all),
            }
        }
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

    // --- contacts ----------------------------------------------------------------------

    /// Creates a contact; its email must be new in the tenant (contact + email guard in one
    /// transaction, so two concurrent creates cannot both succeed).
    pub async fn create_contact(&self, tenant: TenantId, contact: &Contact) -> Result<(), ApiError> {
        let exists = || ApiError::Conflict("a contact with this email already exists".into());
        let mut writes = vec![
            (self.put_new(Self::contact_item(tenant, contact)?)?, exists()),
            (self.put_new(Self::email_guard(tenant, contact)?)?, exists()),
        ];
        if let Some(organization) = contact.organization_id {
            writes.push((self.organization_exists(tenant, organization)?, Self::no_such_organization()));
        }
        self.transact("CreateContact", writes).await
    }

    fn contact_item(tenant: TenantId, contact: &Contact) -> Result<Item, ApiError> {
        let mut keys = vec![(PK, keys::tenant_pk(tenant)), (SK, keys::contact_sk(contact.id))];
        if let Some(organization) = contact.organization_id {
            keys.push((GSI1_PK, keys::organization_members_gsi1_pk(tenant, organization)));
            keys.push((GSI1_SK, keys::contact_sk(contact.id)));
        }
        to_item(contact, &keys)
    }

    fn email_guard(tenant: TenantId, contact: &Contact) -> Result<Item, ApiError> {
        to_item(
            &serde_json::json!({ "contactId": contact.id }),
            &[(PK, keys::tenant_pk(tenant)), (SK, keys::contact_email_sk(&contact.email))],
        )
    }

    /// The organization a contact is put in must exist (checked in the same transaction).
    fn organization_exists(
        &self,
        tenant: TenantId,
        organization: OrganizationId,
    ) -> Result<TransactWriteItem, ApiError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(tenant), keys::organization_sk(organization))))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    fn no_such_organization() -> ApiError {
        ApiError::Invalid("organizationId: no such organization".into())
    }

    /// Replaces a contact with its edited version, atomically with its email guard (moved
    /// when the email changes) and the check that its new organization exists. The write is
    /// conditional on the stored email being the one read, so a concurrent edit of the
    /// email cannot leave a stale guard.
    pub async fn update_contact(&self, tenant: TenantId, before: &Contact, after: &Contact) -> Result<(), ApiError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(Self::contact_item(tenant, after)?))
            .condition_expression("attribute_exists(#pk) AND email = :email")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":email", s(before.email.as_str()))
            .build()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let mut writes = vec![(
            TransactWriteItem::builder().put(put).build(),
            ApiError::Conflict("the contact was changed or deleted meanwhile; reload it".into()),
        )];
        if before.email != after.email {
            let old_guard = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(Self::key(keys::tenant_pk(tenant), keys::contact_email_sk(&before.email))))
                .build()
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            writes.push((
                TransactWriteItem::builder().delete(old_guard).build(),
                ApiError::Internal("unconditional".into()),
            ));
            writes.push((
                self.put_new(Self::email_guard(tenant, after)?)?,
                ApiError::Conflict("a contact with this email already exists".into()),
            ));
        }
        if let Some(organization) = after.organization_id {
            writes.push((self.organization_exists(tenant, organization)?, Self::no_such_organization()));
        }
        self.transact("UpdateContact", writes).await
    }

    /// Deletes a contact and its email guard together, with the activity entry. The
    /// condition on the access as read makes a concurrent access change a 409.
    pub async fn delete_contact(
        &self,
        tenant: TenantId,
        contact: &Contact,
        event: &ActivityEvent,
    ) -> Result<(), ApiError> {
        let status =
            serde_dynamo::to_attribute_value(contact.access_status).map_err(|e| ApiError::Internal(e.to_string()))?;
        let record = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(tenant), keys::contact_sk(contact.id))))
            .condition_expression("attribute_exists(#pk) AND accessStatus = :status")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":status", status)
            .build()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let guard = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(tenant), keys::contact_email_sk(&contact.email))))
            .build()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        self.transact(
            "DeleteContact",
            vec![
                (
                    TransactWriteItem::builder().delete(record).build(),
                    ApiError::Conflict("the contact was changed or deleted meanwhile; reload it".into()),
                ),
                (TransactWriteItem::builder().delete(guard).build(), ApiError::Internal("unconditional".into())),
                self.event_write(tenant, event)?,
            ],
        )
        .await
    }

    /// Moves a contact's portal access from `expected` (as read) to `next`, and queues the
    /// invitation with it when there is one, in one transaction. A concurrent change of the
    /// same contact makes the condition fail: 409, nothing written.
    #[allow(clippy::too_many_arguments)] // one transaction of these parts; each is needed
    pub async fn change_access(
        &self,
        tenant: TenantId,
        contact: ContactId,
        expected: AccessStatus,
        next: AccessStatus,
        at: OffsetDateTime,
        invitation: Option<&InvitationRequest>,
        event: &ActivityEvent,
    ) -> Result<Contact, ApiError> {
        let value = |status: AccessStatus| {
            serde_dynamo::to_attribute_value(status).map_err(|e| ApiError::Internal(e.to_string()))
        };
        let timestamp = at.format(&time::format_description::well_known::Rfc3339).expect("RFC 3339 formats");
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(tenant), keys::contact_sk(contact))))
            .update_expression("SET accessStatus = :next, accessChangedAt = :at")
            .condition_expression("attribute_exists(#pk) AND accessStatus = :expected")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":next", value(next)?)
            .expression_attribute_values(":expected", value(expected)?)
            .expression_attribute_values(":at", s(timestamp))
            .build()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let mut writes = vec![(
            TransactWriteItem::builder().update(update).build(),
            ApiError::Conflict("the contact's access was changed meanwhile; reload it".into()),
        )];
        if let Some(invitation) = invitation {
            let item =
                to_item(invitation, &[(PK, keys::tenant_pk(tenant)), (SK, keys::invitation_request_sk(contact))])?;
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .build()
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            writes.push((TransactWriteItem::builder().put(put).build(), ApiError::Internal("unconditional".into())));
        }
        writes.push(self.event_write(tenant, event)?);
        self.transact("ChangeAccess", writes).await?;
        self.contact(tenant, contact).await?.ok_or(ApiError::NotFound("contact"))
    }

    pub async fn invitation_request(
        &self,
        tenant: TenantId,
        contact: ContactId,
    ) -> Result<Option<InvitationRequest>, ApiError> {
        self.get(keys::tenant_pk(tenant), keys::invitation_request_sk(contact)).await
    }

    /// Records that the invitation a request owed was emailed.
    pub async fn mark_invitation_sent(
        &self,
        tenant: TenantId,
        contact: ContactId,
        at: OffsetDateTime,
    ) -> Result<(), ApiError> {
        let timestamp = at.format(&time::format_description::well_known::Rfc3339).expect("RFC 3339 formats");
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(tenant), keys::invitation_request_sk(contact))))
            .update_expression("SET sentAt = :at")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":at", s(timestamp))
            .send()
            .await;
        conditional("MarkInvitationSent", result, ApiError::NotFound("invitation request")).map(|_| ())
    }

    // --- organizations -----------------------------------------------------------------

    pub async fn create_organization(&self, tenant: TenantId, organization: &Organization) -> Result<(), ApiError> {
        let item =
            to_item(organization, &[(PK, keys::tenant_pk(tenant)), (SK, keys::organization_sk(organization.id))])?;
        self.put_all_new("CreateOrganization", [item], "this organization already exists").await
    }

    pub async fn organization(&self, tenant: TenantId, id: OrganizationId) -> Result<Option<Organization>, ApiError> {
        self.get(keys::tenant_pk(tenant), keys::organization_sk(id)).await
    }

    pub async fn list_organizations(
        &self,
        tenant: TenantId,
        page: &PageRequest,
    ) -> Result<Page<Organization>, ApiError> {
        self.query_tenant(tenant, keys::ORGANIZATION_PREFIX, page).await
    }

    /// Renames an organization that still exists.
    pub async fn rename_organization(&self, tenant: TenantId, organization: &Organization) -> Result<(), ApiError> {
        let item =
            to_item(organization, &[(PK, keys::tenant_pk(tenant)), (SK, keys::organization_sk(organization.id))])?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        conditional("PutItem", result, ApiError::NotFound("organization")).map(drop)
    }

    /// Deletes an organization with no contacts left in it.
    pub async fn delete_organization(&self, tenant: TenantId, id: OrganizationId) -> Result<(), ApiError> {
        let members = self.organization_members(tenant, id, &PageRequest { limit: 1, cursor: None }).await?;
        if !members.items.is_empty() {
            return Err(ApiError::Conflict("the organization still has contacts; move or delete them first".into()));
        }
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(tenant), keys::organization_sk(id))))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        conditional("DeleteItem", result, ApiError::NotFound("organization")).map(drop)
    }

    /// The contacts of an organization (GSI1), one page at a time.
    pub async fn organization_members(
        &self,
        tenant: TenantId,
        organization: OrganizationId,
        page: &PageRequest,
    ) -> Result<Page<Contact>, ApiError> {
        let partition = keys::organization_members_gsi1_pk(tenant, organization);
        let tenant_partition = keys::tenant_pk(tenant);
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(keys::GSI1)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", GSI1_PK)
            .expression_attribute_values(":pk", s(&partition));
        // An index cursor holds the index keys and the table keys, all in the caller's tenant.
        let scope = [
            (GSI1_PK, Key::Equals(&partition)),
            (GSI1_SK, Key::StartsWith(keys::CONTACT_PREFIX)),
            (PK, Key::Equals(&tenant_partition)),
            (SK, Key::StartsWith(keys::CONTACT_PREFIX)),
        ];
        query_page(query, page, &scope).await
    }

    /// Every contact of an organization (all pages).
    pub async fn all_organization_members(
        &self,
        tenant: TenantId,
        organization: OrganizationId,
    ) -> Result<Vec<Contact>, ApiError> {
        self.query_all(|page| async move { self.organization_members(tenant, organization, &page).await }).await
    }

    pub async fn contact(&self, tenant: TenantId, contact: ContactId) -> Result<Option<Contact>, ApiError> {
        self.get(keys::tenant_pk(tenant), keys::contact_sk(contact)).await
    }

    pub async fn list_contacts(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Contact>, ApiError> {
        self.query_tenant(tenant, keys::CONTACT_PREFIX, page).await
    }

    // --- documents ---------------------------------------------------------------------

    /// A document's item with its index keys: a staff document is listed in its drive
    /// folder (GSI1); a customer submission under its contact (GSI1) and tenant-wide (GSI2).
    fn document_item(document: &Document) -> Result<Item, ApiError> {
        let tenant = document.tenant_id;
        let mut keys = vec![(PK, keys::tenant_pk(tenant)), (SK, keys::document_sk(document.id))];
        match document.contact_id {
            Some(contact) => {
                keys.push((GSI1_PK, keys::contact_submissions_gsi1_pk(tenant, contact)));
                keys.push((GSI2_PK, keys::submissions_gsi2_pk(tenant)));
                keys.push((GSI2_SK, keys::document_sk(document.id)));
            }
            None => keys.push((GSI1_PK, keys::drive_children_gsi1_pk(tenant, document.folder_id))),
        }
        keys.push((GSI1_SK, keys::document_sk(document.id)));
        to_item(document, &keys)
    }

    /// Records a document whose upload URL is being handed out (`pending`), in its folder
    /// (which must exist: checked in the same transaction). If its upload never arrives,
    /// DynamoDB's TTL removes the record after `abandoned_after` (settling removes the
    /// TTL); a late object then finds no record and is deleted as an orphan.
    pub async fn create_document(&self, document: &Document, abandoned_after: OffsetDateTime) -> Result<(), ApiError> {
        let mut item = Self::document_item(document)?;
        item.insert(keys::TTL_ATTRIBUTE.to_owned(), AttributeValue::N(abandoned_after.unix_timestamp().to_string()));
        let mut writes = vec![(self.put_new(item)?, ApiError::Conflict("this document already exists".into()))];
        if let Some(folder) = document.folder_id {
            writes.push((self.folder_exists(document.tenant_id, folder)?, Self::no_such_folder()));
        }
        self.transact("CreateDocument", writes).await
    }

    pub async fn document(&self, tenant: TenantId, document: DocumentId) -> Result<Option<Document>, ApiError> {
        self.get(keys::tenant_pk(tenant), keys::document_sk(document)).await
    }

    /// Every document of the tenant (drive and submissions), newest first.
    pub async fn list_documents(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Document>, ApiError> {
        self.query_tenant(tenant, keys::DOCUMENT_PREFIX, page).await
    }

    /// The customer submissions of the tenant, newest first.
    pub async fn list_submissions(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Document>, ApiError> {
        let partition = keys::submissions_gsi2_pk(tenant);
        self.query_index(
            Index::Gsi2,
            tenant,
            &partition,
            keys::DOCUMENT_PREFIX,
            keys::DOCUMENT_PREFIX,
            page,
            ItemReader::of(),
        )
        .await
    }

    /// What one contact submitted, newest first.
    pub async fn contact_submissions(
        &self,
        tenant: TenantId,
        contact: ContactId,
        page: &PageRequest,
    ) -> Result<Page<Document>, ApiError> {
        let partition = keys::contact_submissions_gsi1_pk(tenant, contact);
        self.query_index(
            Index::Gsi1,
            tenant,
            &partition,
            keys::DOCUMENT_PREFIX,
            keys::DOCUMENT_PREFIX,
            page,
            ItemReader::of(),
        )
        .await
    }

    /// One page of what a contact submitted, newest first, continuing right after the
    /// document `after` in that order (any document id: it is a position in this contact's
    /// partition, built here from `tenant` and `contact`, not an item of it). For the
    /// customer's merged list (`pagination::merge`).
    pub async fn contact_submissions_after(
        &self,
        tenant: TenantId,
        contact: ContactId,
        after: Option<DocumentId>,
        limit: i32,
    ) -> Result<Page<Document>, ApiError> {
        // The start key an index query needs: the index keys and the table keys.
        let cursor = after.map(|document| {
            let sk = keys::document_sk(document);
            Cursor(BTreeMap::from([
                (GSI1_PK.to_owned(), keys::contact_submissions_gsi1_pk(tenant, contact)),
                (GSI1_SK.to_owned(), sk.clone()),
                (PK.to_owned(), keys::tenant_pk(tenant)),
                (SK.to_owned(), sk),
            ]))
        });
        self.contact_submissions(tenant, contact, &PageRequest { limit, cursor }).await
    }

    /// Moves a document out of `pending`, once: the condition makes repeated and concurrent
    /// deliveries of the same S3 event change nothing after the first. An available upload
    /// is pinned to the object `version` that was checked (`versionId`), and written to the
    /// activity trail in the same transaction (once, like the change).
    pub async fn settle_document(
        &self,
        document: &Document,
        outcome: Result<(), String>,
        version: Option<&ObjectVersion>,
        at: OffsetDateTime,
        uploaded: impl FnOnce(&Document) -> ActivityEvent,
    ) -> Result<Transition, ApiError> {
        let tenant = document.tenant_id;
        let mut settled = document.clone();
        let timestamp = at.format(&time::format_description::well_known::Rfc3339).expect("RFC 3339 formats");
        let pinned = outcome.is_ok().then_some(version).flatten();
        let (expression, detail) = match (&outcome, pinned) {
            (Ok(()), Some(_)) => {
                settled.status = DocumentStatus::Available;
                settled.available_at = Some(at);
                ("SET #status = :status, availableAt = :detail, versionId = :version REMOVE #ttl", timestamp)
            }
            // An unversioned bucket: nothing to pin (the deployed and local buckets are versioned).
            (Ok(()), None) => {
                settled.status = DocumentStatus::Available;
                settled.available_at = Some(at);
                ("SET #status = :status, availableAt = :detail REMOVE #ttl", timestamp)
            }
            (Err(reason), _) => {
                settled.status = DocumentStatus::Rejected;
                settled.rejected_reason = Some(reason.clone());
                ("SET #status = :status, rejectedReason = :detail REMOVE #ttl", reason.clone())
            }
        };
        settled.version_id = pinned.cloned();
        let status_value =
            serde_dynamo::to_attribute_value(settled.status).map_err(|e| ApiError::Internal(e.to_string()))?;
        let pending =
            serde_dynamo::to_attribute_value(DocumentStatus::Pending).map_err(|e| ApiError::Internal(e.to_string()))?;
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(tenant), keys::document_sk(document.id))))
            .update_expression(expression)
            .condition_expression("attribute_exists(#pk) AND #status = :pending")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#ttl", keys::TTL_ATTRIBUTE)
            .expression_attribute_values(":status", status_value)
            .expression_attribute_values(":pending", pending)
            .expression_attribute_values(":detail", s(detail));
        if let Some(version) = pinned {
            update = update.expression_attribute_values(":version", s(version.as_str()));
        }
        let update = update.build().map_err(|e| ApiError::Internal(e.to_string()))?;
        let mut writes = vec![(TransactWriteItem::builder().update(update).build(), ApiError::Conflict(String::new()))];
        if outcome.is_ok() {
            writes.push(self.event_write(tenant, &uploaded(&settled))?);
            // A customer's submission is emailed to staff: recorded with the change, once.
            if settled.contact_id.is_some() {
                writes.push(self.notification_write(
                    tenant,
                    &keys::submitted_notification(document.id),
                    "submitted",
                )?);
            }
        }
        match self.transact("SettleDocument", writes).await {
            Ok(()) => Ok(Transition::Applied(settled)),
            Err(ApiError::Conflict(_)) => Ok(match self.document(tenant, document.id).await? {
                Some(current) => Transition::AlreadySettled(current),
                None => Transition::Missing,
            }),
            Err(err) => Err(err),
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
            .map(|item| Ok((self.put_new(item)?, ApiError::Conflict(conflict.to_owned()))))
            .collect::<Result<Vec<_>, ApiError>>()?;
        self.transact(operation, writes).await
    }

    fn put_new(&self, item: Item) -> Result<TransactWriteItem, ApiError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn key(pk: String, sk: String) -> HashMap<String, AttributeValue> {
        HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
    }

    /// A transaction of writes, each with the error it means when its condition fails
    /// (DynamoDB reports the cancellation reasons in the order of the writes).
    async fn transact(&self, operation: &str, writes: Vec<(TransactWriteItem, ApiError)>) -> Result<(), ApiError> {
        let (items, errors): (Vec<_>, Vec<_>) = writes.into_iter().unzip();
        match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok(()),
            Err(err) => {
                use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
                let failed = match err.as_service_error() {
                    Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                        cancelled.cancellation_reasons().iter().position(|r| r.code() == Some("ConditionalCheckFailed"))
                    }
                    _ => None,
                };
                match failed {
                    Some(index) => Err(errors.into_iter().nth(index).expect("one error per write")),
                    None => Err(ApiError::from_sdk(operation, err)),
                }
            }
        }
    }
}
