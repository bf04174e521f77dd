//! The single-table store: every DynamoDB read and write of the API, with the keys of
//! `keys.rs`. Items are the `model` entities serialized by `serde_dynamo`, plus their keys.
//!
//! This file is the core: the client and table, item conversion, reads, paging, and the
//! mapping of SDK failures (`error`). Multi-item writes go through the one transaction
//! builder (`transaction`). Each entity's keys, items and transactions are in its own
//! module: `tenant` (companies, slugs, settings, logos), `staff`, `contacts` (contacts,
//! access changes, invitation requests), `organizations`, `documents`, `drive` (folders),
//! `sharing`, `search` (staff search entries), `activity` (the trail), `customers` (invitation tokens, sign-ups, account
//! links, preferences, submissions), `signups` (company sign-ups), `notifications` (the
//! outbox and share batches), `rate_limits`.
//!
//! Store calls return [`StoreError`]: storage outcomes, never HTTP ones. A failed
//! condition is a named [`Clash`]; absence is an `Option`.

mod activity;
mod contacts;
mod customers;
mod documents;
mod drive;
mod error;
mod jobs;
mod notifications;
mod organizations;
mod projection;
mod rate_limits;
mod search;
mod seed;
mod sharing;
mod signups;
mod staff;
mod tenant;
mod transaction;
mod view;

pub use customers::MAX_LINKED_COMPANIES;
pub use documents::Transition;
pub use drive::MAX_FOLDER_DEPTH;
pub use error::{Clash, Entity, StoreError};
pub use jobs::{JOB_PREFIX, job_sk};
pub use notifications::{BatchClaim, BatchedShare, ShareBatch};
pub use organizations::{ORGANIZATION_SHARE_PREFIX, OrganizationShare};
pub use search::{DocumentScope, RENAME_REINDEX_MEMBERS, SEARCH_ROUNDS, contact_words, document_words};
pub use seed::{Seed, SeededKey};
pub use sharing::{ORGANIZATION_ATTRIBUTE, Tidied};
pub use tenant::TenantChanges;

use std::collections::{BTreeMap, HashMap};

use self::projection::ItemReader;
use self::transaction::{Expr, Transaction};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use crate::domain::TenantId;
use crate::keys::{self, GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK, GSI3_PK, GSI3_SK, PK, SK};
use crate::pagination::{Cursor, Key, Page, PageRequest};

type Item = HashMap<String, AttributeValue>;

/// The overloaded global secondary indexes (GSI3: the view index by size only).
#[derive(Debug, Clone, Copy)]
enum Index {
    Gsi1,
    Gsi2,
    Gsi3,
}

impl Index {
    /// The index name and its partition and sort key attributes.
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Gsi1 => (keys::GSI1, GSI1_PK, GSI1_SK),
            Self::Gsi2 => (keys::GSI2, GSI2_PK, GSI2_SK),
            Self::Gsi3 => (keys::GSI3, GSI3_PK, GSI3_SK),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: String,
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).expect("RFC 3339 formats")
}

/// A value (an enum such as a status) as DynamoDB stores it.
fn value<T: Serialize>(value: T) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(value).map_err(|e| StoreError::internal("serialize value", e))
}

fn to_item<T: Serialize>(value: &T, keys: &[(&str, String)]) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(value).map_err(|e| StoreError::internal("serialize item", e))?;
    for (name, value) in keys {
        item.insert((*name).to_owned(), s(value.clone()));
    }
    Ok(item)
}

fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::internal("deserialize item", e))
}

/// Marks an item for DynamoDB's TTL to remove after `at`.
fn expire_at(item: &mut Item, at: OffsetDateTime) {
    item.insert(keys::TTL_ATTRIBUTE.to_owned(), n(at.unix_timestamp()));
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
) -> Result<Page<T>, StoreError> {
    query_page_with(query, page, scope, ItemReader::of()).await
}

/// [`query_page`] with each item read by `reader` (for listings that mix item types).
async fn query_page_with<T>(
    mut query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    page: &PageRequest,
    scope: &[(&str, Key<'_>)],
    reader: ItemReader<T>,
) -> Result<Page<T>, StoreError> {
    query = query.limit(page.limit);
    if let Some(cursor) = &page.cursor {
        cursor.check(scope).map_err(|_| StoreError::ForeignCursor)?;
        for (name, value) in &cursor.0 {
            query = query.exclusive_start_key(name, s(value));
        }
    }
    if let Some(attributes) = &reader.attributes {
        query = projection::project(query, attributes);
    }
    let output = query.send().await.map_err(|e| StoreError::from_sdk("Query", e))?;
    let items = output.items.unwrap_or_default().into_iter().map(reader.read).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: cursor_of(output.last_evaluated_key.as_ref()) })
}

type SdkResult<T, E> = Result<T, SdkError<E, HttpResponse>>;

fn condition_failed<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    err.as_service_error().is_some_and(|e| e.code() == Some("ConditionalCheckFailedException"))
}

/// The outcome of a conditional single-item write: a failed condition is `clash`.
fn conditional<T, E>(operation: &str, result: SdkResult<T, E>, clash: Clash) -> Result<T, StoreError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Err(err) if condition_failed(&err) => Err(StoreError::Clash(clash)),
        other => sent(operation, other),
    }
}

/// Whether a conditional single-item write took effect: a failed condition is `false`,
/// not an error (claims, leases, counters and clean-ups that someone else may have done).
fn took_effect<T, E>(operation: &str, result: SdkResult<T, E>) -> Result<bool, StoreError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Err(err) if condition_failed(&err) => Ok(false),
        other => sent(operation, other).map(|_| true),
    }
}

/// An unconditional single-item call: any failure is the SDK's.
fn sent<T, E>(operation: &str, result: SdkResult<T, E>) -> Result<T, StoreError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    result.map_err(|err| StoreError::from_sdk(operation, err))
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    fn key(pk: String, sk: String) -> Item {
        HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
    }

    /// The key of an item in a tenant's partition.
    fn tenant_key(tenant: TenantId, sk: String) -> Item {
        Self::key(keys::tenant_pk(tenant), sk)
    }

    async fn get<T: DeserializeOwned>(&self, pk: String, sk: String) -> Result<Option<T>, StoreError> {
        let output = sent(
            "GetItem",
            self.client
                .get_item()
                .table_name(&self.table)
                .set_key(Some(Self::key(pk, sk)))
                .consistent_read(true)
                .send()
                .await,
        )?;
        output.item.map(from_item).transpose()
    }

    /// The items that exist among `keys` (consistent reads, 100 keys per request, unprocessed
    /// keys retried).
    async fn batch_get(&self, keys: Vec<(String, String)>) -> Result<Vec<Item>, StoreError> {
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
                    .map_err(|e| StoreError::internal("BatchGetItem keys", e))?,
            );
            // Unprocessed keys (throttling) are asked again, a bounded number of times.
            for _ in 0..5 {
                let Some(request) = pending.take() else { break };
                let output = sent(
                    "BatchGetItem",
                    self.client.batch_get_item().request_items(&self.table, request).send().await,
                )?;
                found.extend(output.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default());
                pending =
                    output.unprocessed_keys.and_then(|mut r| r.remove(&self.table)).filter(|k| !k.keys.is_empty());
            }
            if pending.is_some() {
                return Err(StoreError::Unavailable);
            }
        }
        Ok(found)
    }

    /// One page of a tenant's items of one type (`sk_prefix`), newest first (ids are v7).
    async fn query_tenant<T: DeserializeOwned>(
        &self,
        tenant: TenantId,
        sk_prefix: &str,
        page: &PageRequest,
    ) -> Result<Page<T>, StoreError> {
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

    /// Every item of one partition (`pk`) whose sort key starts with `sk_prefix` (empty:
    /// all), read consistently in one query (partitions known to stay small: an email's
    /// sign-ups, an account's links).
    async fn query_partition<T: DeserializeOwned>(&self, pk: String, sk_prefix: &str) -> Result<Vec<T>, StoreError> {
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", s(pk))
            .consistent_read(true);
        // A key condition cannot hold an empty string: no prefix means the whole partition.
        query = if sk_prefix.is_empty() {
            query.key_condition_expression("#pk = :pk")
        } else {
            query
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":prefix", s(sk_prefix))
        };
        let output = sent("Query", query.send().await)?;
        output.items.unwrap_or_default().into_iter().map(from_item).collect()
    }

    /// One page of an index partition's items of one type (`prefix`, the same on the index's
    /// sort key and the table's), newest first, read whole.
    async fn query_index_of<T: DeserializeOwned>(
        &self,
        index: Index,
        tenant: TenantId,
        partition: &str,
        prefix: &str,
        page: &PageRequest,
    ) -> Result<Page<T>, StoreError> {
        self.query_index(index, tenant, partition, prefix, prefix, page, ItemReader::of()).await
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
    ) -> Result<Page<T>, StoreError> {
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
    async fn query_all<T, F, Fut>(&self, mut next: F) -> Result<Vec<T>, StoreError>
    where
        F: FnMut(PageRequest) -> Fut,
        Fut: Future<Output = Result<Page<T>, StoreError>>,
    {
        let mut all = Vec::new();
        let mut page = PageRequest { limit: crate::pagination::MAX_LIMIT, cursor: None };
        loop {
            let Page { items, next_cursor } = next(page.clone()).await?;
            all.extend(items);
            match next_cursor {
                // Our own cursor, just made: failing to read it back is a bug.
                Some(cursor) => {
                    page.cursor = Some(Cursor::decode(&cursor).map_err(|e| StoreError::internal("own cursor", e))?)
                }
                None => return Ok(all),
            }
        }
    }
}
