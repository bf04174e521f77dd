//! Staff search: word-prefix search entries of contacts and documents, written in the same
//! transaction as the item they find, and read through GSI2 by word.
//!
//! An item has one entry per distinct word (at most `words::MAX_INDEXED_WORDS`), in the
//! tenant's partition at `FIND#{kind}#{id}#{slot}`, listed in the GSI2 partition
//! `TENANT#{t}#FIND#{kind}` by `{word}#{id}`. Each entry carries the item's id and all its
//! words (so a multi-word query and the "each item once" rule are checked on the entry),
//! and, for a document, its folder and contact (the folder filter). A search reads entries
//! whose word begins with the query's driving term, keeps the ones `Query::returns_at`
//! accepts, then reads the items themselves (one BatchGetItem): what is shown is always the
//! live item, and an entry left behind by a deleted item finds nothing.
//!
//! Bounded work per request: at most `SEARCH_ROUNDS` queries of at most `limit` entries,
//! then one BatchGetItem of at most `limit` keys, whatever the tenant's size.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::transaction::{Expr, Transaction};
use super::{Item, Store, StoreError, cursor_of, from_item, s, to_item};
use crate::domain::{ContactId, DisplayName, DocumentId, FolderId, TenantId};
use crate::keys::{self, GSI2, GSI2_PK, GSI2_SK, PK, SK};
use crate::model::{Contact, Document, Organization};
use crate::pagination::{Key, Page, PageRequest};
use crate::words::{self, MAX_INDEXED_WORDS, Query};

/// The most index queries one search request makes to fill its page (entries that do not
/// match the other terms or the folder are read and skipped).
pub const SEARCH_ROUNDS: usize = 3;

/// Renaming an organization rewrites its members' search entries in the same request up to
/// this many members; a larger organization's are rewritten by `cargo xtask tenant
/// reindex` (see `docs/operations.md`).
pub const RENAME_REINDEX_MEMBERS: usize = 20;

/// Where a document search looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentScope {
    /// Every document of the tenant: the drive's and customer submissions.
    Anywhere,
    /// The drive's root folder only (no submissions).
    Root,
    /// Directly in one folder (not its subfolders).
    In(FolderId),
}

impl DocumentScope {
    fn holds(self, folder: Option<FolderId>, submitted_by: Option<ContactId>) -> bool {
        match self {
            Self::Anywhere => true,
            Self::Root => folder.is_none() && submitted_by.is_none(),
            Self::In(id) => folder == Some(id),
        }
    }
}

/// One search entry as stored (besides its keys).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    /// The item's id.
    id: String,
    /// The word this entry lists the item under.
    word: String,
    /// All the item's words.
    words: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    folder_id: Option<FolderId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    contact_id: Option<ContactId>,
}

/// The words a contact is found by: its name's, its email's, its organization's.
pub fn contact_words(contact: &Contact, organization: Option<&DisplayName>) -> Vec<String> {
    let fields = [Some(contact.name.as_str()), Some(contact.email.as_str()), organization.map(DisplayName::as_str)];
    words::distinct_words(fields.into_iter().flatten(), MAX_INDEXED_WORDS)
}

/// The words a document is found by: its name's.
pub fn document_words(document: &Document) -> Vec<String> {
    words::distinct_words([document.name.as_str()], MAX_INDEXED_WORDS)
}

/// How an item's entries are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rewrite {
    /// A new item: no entries yet, only puts.
    New,
    /// An item that may have entries: puts, and deletes of the slots past its words.
    Existing,
}

struct Entries {
    tenant: TenantId,
    kind: &'static str,
    id: String,
    words: Vec<String>,
    folder_id: Option<FolderId>,
    contact_id: Option<ContactId>,
}

impl Entries {
    fn of_contact(tenant: TenantId, contact: &Contact, organization: Option<&DisplayName>) -> Self {
        Self {
            tenant,
            kind: keys::SEARCH_CONTACT,
            id: contact.id.to_string(),
            words: contact_words(contact, organization),
            folder_id: None,
            contact_id: None,
        }
    }

    fn of_document(document: &Document) -> Self {
        Self {
            tenant: document.tenant_id,
            kind: keys::SEARCH_DOCUMENT,
            id: document.id.to_string(),
            words: document_words(document),
            folder_id: document.folder_id,
            contact_id: document.contact_id,
        }
    }

    fn key(&self, slot: usize) -> Item {
        Store::tenant_key(self.tenant, keys::search_entry_sk(self.kind, &self.id, slot))
    }

    /// The entries' puts (and, for an existing item, the deletes of the slots past them)
    /// added to `transaction`: at most `MAX_INDEXED_WORDS` actions.
    fn write(&self, mut transaction: Transaction, rewrite: Rewrite) -> Result<Transaction, StoreError> {
        for (slot, word) in self.words.iter().enumerate() {
            let entry = Entry {
                id: self.id.clone(),
                word: word.clone(),
                words: self.words.clone(),
                folder_id: self.folder_id,
                contact_id: self.contact_id,
            };
            let item = to_item(
                &entry,
                &[
                    (PK, keys::tenant_pk(self.tenant)),
                    (SK, keys::search_entry_sk(self.kind, &self.id, slot)),
                    (GSI2_PK, keys::search_gsi2_pk(self.tenant, self.kind)),
                    (GSI2_SK, keys::search_gsi2_sk(word, &self.id)),
                ],
            )?;
            transaction = transaction.put(item);
        }
        if rewrite == Rewrite::Existing {
            for slot in self.words.len()..MAX_INDEXED_WORDS {
                transaction = transaction.delete(self.key(slot));
            }
        }
        Ok(transaction)
    }
}

/// Deletes every slot of an item's entries (`MAX_INDEXED_WORDS` actions).
fn delete_entries(mut transaction: Transaction, tenant: TenantId, kind: &str, id: &str) -> Transaction {
    for slot in 0..MAX_INDEXED_WORDS {
        transaction = transaction.delete(Store::tenant_key(tenant, keys::search_entry_sk(kind, id, slot)));
    }
    transaction
}

impl Store {
    /// A contact's entries, added to the transaction that writes the contact.
    pub(super) fn contact_entries(
        transaction: Transaction,
        tenant: TenantId,
        contact: &Contact,
        organization: Option<&DisplayName>,
        rewrite: Rewrite,
    ) -> Result<Transaction, StoreError> {
        Entries::of_contact(tenant, contact, organization).write(transaction, rewrite)
    }

    pub(super) fn delete_contact_entries(
        transaction: Transaction,
        tenant: TenantId,
        contact: ContactId,
    ) -> Transaction {
        delete_entries(transaction, tenant, keys::SEARCH_CONTACT, &contact.to_string())
    }

    /// A document's entries, added to the transaction that writes the document.
    pub(super) fn document_entries(
        transaction: Transaction,
        document: &Document,
        rewrite: Rewrite,
    ) -> Result<Transaction, StoreError> {
        Entries::of_document(document).write(transaction, rewrite)
    }

    pub(super) fn delete_document_entries(
        transaction: Transaction,
        tenant: TenantId,
        document: DocumentId,
    ) -> Transaction {
        delete_entries(transaction, tenant, keys::SEARCH_DOCUMENT, &document.to_string())
    }

    /// Rewrites a contact's entries as the contact is now (the backfill, and an
    /// organization's rename), if it is still as read: in that organization, with that name
    /// and email (`ContactChanged` otherwise: the change wrote its own entries).
    pub async fn reindex_contact(
        &self,
        tenant: TenantId,
        contact: &Contact,
        organization: Option<&Organization>,
    ) -> Result<(), StoreError> {
        let mut condition = Expr::exists()
            .name("#name", "name")
            .value(":name", s(contact.name.as_str()))
            .value(":email", s(contact.email.as_str()))
            .and("#name = :name AND email = :email");
        condition = match contact.organization_id {
            Some(id) => condition.value(":org", s(id.to_string())).and("organizationId = :org"),
            None => condition.and("attribute_not_exists(organizationId)"),
        };
        let transaction = Transaction::new("ReindexContact").require(
            Self::contact_key(tenant, contact.id),
            condition,
            super::Clash::ContactChanged,
        );
        let name = organization.map(|organization| &organization.name);
        Self::contact_entries(transaction, tenant, contact, name, Rewrite::Existing)?.commit(self).await
    }

    /// Rewrites a document's entries as the document is now (the backfill), if it still
    /// has that name (`Missing(Document)` otherwise).
    pub async fn reindex_document(&self, document: &Document) -> Result<(), StoreError> {
        let transaction = Transaction::new("ReindexDocument").require(
            Self::tenant_key(document.tenant_id, keys::document_sk(document.id)),
            Expr::exists().name("#name", "name").value(":name", s(document.name.as_str())).and("#name = :name"),
            super::Clash::Missing(super::Entity::Document),
        );
        Self::document_entries(transaction, document, Rewrite::Existing)?.commit(self).await
    }

    /// After an organization's rename: its members' entries with the new name, when it has
    /// at most [`RENAME_REINDEX_MEMBERS`] members (`false`: more, left to the backfill). A
    /// member changed meanwhile wrote its own entries, and is skipped.
    pub async fn reindex_organization_members(
        &self,
        tenant: TenantId,
        organization: &Organization,
    ) -> Result<bool, StoreError> {
        let first = PageRequest { limit: RENAME_REINDEX_MEMBERS as i32 + 1, cursor: None };
        let members = self.organization_members(tenant, organization.id, &first).await?;
        if members.items.len() > RENAME_REINDEX_MEMBERS || members.next_cursor.is_some() {
            return Ok(false);
        }
        for member in &members.items {
            match self.reindex_contact(tenant, member, Some(organization)).await {
                Ok(()) | Err(StoreError::Clash(_)) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(true)
    }

    /// One page of the contacts a query finds, in the order of their matching words.
    pub async fn search_contacts(
        &self,
        tenant: TenantId,
        query: &Query,
        page: &PageRequest,
    ) -> Result<Page<Contact>, StoreError> {
        let (ids, next_cursor) = self.search_entries(tenant, keys::SEARCH_CONTACT, query, page, |_| true).await?;
        let ids: Vec<ContactId> = ids.iter().filter_map(|id| id.parse().ok()).collect();
        let mut found = self.contacts(tenant, &ids).await?;
        Ok(Page { items: ids.iter().filter_map(|id| found.remove(id)).collect(), next_cursor })
    }

    /// One page of the documents a query finds in `scope`, in the order of their matching
    /// words. The scope is checked on the entries, then again on the documents as they are.
    pub async fn search_documents(
        &self,
        tenant: TenantId,
        query: &Query,
        scope: DocumentScope,
        page: &PageRequest,
    ) -> Result<Page<Document>, StoreError> {
        let (ids, next_cursor) = self
            .search_entries(tenant, keys::SEARCH_DOCUMENT, query, page, |entry| {
                scope.holds(entry.folder_id, entry.contact_id)
            })
            .await?;
        let partition = keys::tenant_pk(tenant);
        let keys = ids.iter().map(|id| (partition.clone(), format!("{}{id}", keys::DOCUMENT_PREFIX))).collect();
        let mut found: HashMap<String, Document> = HashMap::new();
        for item in self.batch_get(keys).await? {
            let document: Document = from_item(item)?;
            found.insert(document.id.to_string(), document);
        }
        let items = ids
            .iter()
            .filter_map(|id| found.remove(id))
            .filter(|document| scope.holds(document.folder_id, document.contact_id))
            .collect();
        Ok(Page { items, next_cursor })
    }

    /// The ids of one page of search entries: up to [`SEARCH_ROUNDS`] queries of the GSI2
    /// partition by the driving term, until `limit` ids are kept. The cursor is the last
    /// entry read, checked to stay in this tenant, this kind and this term.
    async fn search_entries(
        &self,
        tenant: TenantId,
        kind: &str,
        query: &Query,
        page: &PageRequest,
        keep: impl Fn(&Entry) -> bool,
    ) -> Result<(Vec<String>, Option<String>), StoreError> {
        let partition = keys::search_gsi2_pk(tenant, kind);
        let tenant_partition = keys::tenant_pk(tenant);
        let entries = keys::search_entries_prefix(kind);
        let driver = query.driver();
        if let Some(cursor) = &page.cursor {
            let scope = [
                (GSI2_PK, Key::Equals(&partition)),
                (GSI2_SK, Key::StartsWith(driver)),
                (PK, Key::Equals(&tenant_partition)),
                (SK, Key::StartsWith(&entries)),
            ];
            cursor.check(&scope).map_err(|_| StoreError::ForeignCursor)?;
        }
        let limit = usize::try_from(page.limit).unwrap_or(1).max(1);
        let mut start: Option<BTreeMap<String, String>> = page.cursor.as_ref().map(|cursor| cursor.0.clone());
        let mut ids: Vec<String> = Vec::new();
        let mut next = None;
        for _ in 0..SEARCH_ROUNDS {
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI2)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :term)")
                .expression_attribute_names("#pk", GSI2_PK)
                .expression_attribute_names("#sk", GSI2_SK)
                .expression_attribute_names("#id", "id")
                .expression_attribute_names("#word", "word")
                .expression_attribute_names("#words", "words")
                .expression_attribute_names("#folder", "folderId")
                .expression_attribute_names("#contact", "contactId")
                .projection_expression("#id, #word, #words, #folder, #contact")
                .expression_attribute_values(":pk", s(&partition))
                .expression_attribute_values(":term", s(driver))
                .limit(i32::try_from(limit - ids.len()).unwrap_or(1));
            for (name, value) in start.iter().flatten() {
                request = request.exclusive_start_key(name, s(value));
            }
            let output = request.send().await.map_err(|e| StoreError::from_sdk("Query", e))?;
            for item in output.items.unwrap_or_default() {
                let entry: Entry = from_item(item)?;
                if query.returns_at(&entry.word, &entry.words) && keep(&entry) && !ids.contains(&entry.id) {
                    ids.push(entry.id);
                }
            }
            next = output.last_evaluated_key;
            match &next {
                Some(last) if ids.len() < limit => {
                    start =
                        Some(last.iter().filter_map(|(k, v)| v.as_s().ok().map(|v| (k.clone(), v.clone()))).collect());
                }
                _ => break,
            }
        }
        Ok((ids, cursor_of(next.as_ref())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scope_of_a_document_search() {
        let folder = FolderId::new();
        let contact = ContactId::new();
        assert!(DocumentScope::Anywhere.holds(Some(folder), None));
        assert!(DocumentScope::Anywhere.holds(None, Some(contact)));
        assert!(DocumentScope::Root.holds(None, None));
        assert!(!DocumentScope::Root.holds(None, Some(contact)), "a submission is not in the drive's root");
        assert!(!DocumentScope::Root.holds(Some(folder), None));
        assert!(DocumentScope::In(folder).holds(Some(folder), None));
        assert!(!DocumentScope::In(folder).holds(Some(FolderId::new()), None));
        assert!(!DocumentScope::In(folder).holds(None, None));
    }

    fn named(name: &str) -> Document {
        Document::pending(
            TenantId::new(),
            name.parse().unwrap(),
            "application/pdf".parse().unwrap(),
            1,
            "sub".parse().unwrap(),
            crate::model::UploaderKind::Staff,
        )
    }

    #[test]
    fn an_item_has_a_bounded_number_of_entries() {
        let transaction = Transaction::new("Test");
        let document = named(&(0..50).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" "));
        let written = Store::document_entries(transaction, &document, Rewrite::Existing).unwrap();
        assert_eq!(written.len(), MAX_INDEXED_WORDS);
        let document = named("Invoice 2024 invoice.pdf");
        let written = Store::document_entries(Transaction::new("Test"), &document, Rewrite::Existing).unwrap();
        assert_eq!(written.len(), MAX_INDEXED_WORDS, "3 puts and the other slots' deletes");
        let written = Store::document_entries(Transaction::new("Test"), &document, Rewrite::New).unwrap();
        assert_eq!(written.len(), 3);
    }
}
