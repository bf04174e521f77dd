//! The customer's view index (`crate::view`): one entry per (document, contact) visible, at
//! `TENANT#{t}` / `VIEW#{documentId}#{contactId}`, listed per contact on GSI1 (date), GSI2
//! (name) and GSI3 (size) in the partition `TENANT#{t}#VIEW#{contactId}`; and one word item
//! per distinct word of the name (`…#WORD#{word}`), listed on GSI1 in
//! `TENANT#{t}#VIEWWORD#{contactId}` by `{word}#{documentId}` (the name search).
//!
//! Written only by the view-index function, from the truth ([`Store::recompute_view`]);
//! read by the customer's listing, which checks each entry against the items it names.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, WriteRequest};
use time::OffsetDateTime;

use super::drive::read_entry;
use super::projection::ItemReader;
use super::{Index, Item, Store, StoreError, from_item, s, sent, to_item};
use crate::domain::{ContactId, DocumentId, FolderId, ItemRef, TenantId, UserSub};
use crate::keys::{self, GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK, GSI3_PK, GSI3_SK, PK, SK};
use crate::model::{DriveEntry, Share};
use crate::pagination::{Key, PageRequest};
use crate::view::{self, Found, Level, Truth, ViewEntry, ViewFilter, ViewOrder, ViewRange, ViewRead};
use crate::visibility::MAX_FOLDER_DEPTH;

/// The word a word item was listed by (its `GSI1SK` is `{word}#{documentId}`).
fn sort_key_of(item: &Item, attribute: &str) -> Result<String, StoreError> {
    item.get(attribute)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .ok_or_else(|| StoreError::Internal(format!("view item without {attribute}")))
}

impl Store {
    /// The truth of one (contact, document) pair: the document and the contact's share of it,
    /// then each folder above it with the contact's share (one BatchGetItem per level, at
    /// most [`MAX_FOLDER_DEPTH`]), as the download's walk up reads them.
    pub async fn view_truth(
        &self,
        tenant: TenantId,
        contact: ContactId,
        document: DocumentId,
    ) -> Result<Truth, StoreError> {
        let (entry, share) = self.entry_and_share(tenant, contact, ItemRef::Document(document)).await?;
        let Some(DriveEntry::Document(document)) = entry else { return Ok(Truth::default()) };
        let mut levels = Vec::new();
        let mut next = document.folder_id;
        while let Some(id) = next.filter(|_| levels.len() < MAX_FOLDER_DEPTH) {
            let (entry, share) = self.entry_and_share(tenant, contact, ItemRef::Folder(id)).await?;
            let Some(DriveEntry::Folder(folder)) = entry else { break };
            next = folder.parent_id;
            levels.push(Level { folder, share });
        }
        Ok(Truth { document: Some(document), share, levels })
    }

    /// Recomputes one pair's entry and word items from the truth: puts what must be there,
    /// deletes what must not. Idempotent, so replays and reorders converge. Returns whether
    /// the pair is visible.
    pub async fn recompute_view(
        &self,
        tenant: TenantId,
        contact: ContactId,
        document: DocumentId,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let truth = self.view_truth(tenant, contact, document).await?;
        let entry = view::entry_of(tenant, contact, &truth, now);
        self.write_view(tenant, contact, document, entry.as_ref()).await?;
        Ok(entry.is_some())
    }

    /// The items of one pair's entry (`entry`, or none) replace what the index holds for it.
    pub async fn write_view(
        &self,
        tenant: TenantId,
        contact: ContactId,
        document: DocumentId,
        entry: Option<&ViewEntry>,
    ) -> Result<(), StoreError> {
        let partition = keys::tenant_pk(tenant);
        let existing = self.view_keys_of_pair(tenant, document, contact).await?;
        let mut desired: Vec<Item> = Vec::new();
        if let Some(entry) = entry {
            let view_pk = keys::view_gsi_pk(tenant, contact);
            desired.push(to_item(
                entry,
                &[
                    (PK, partition.clone()),
                    (SK, keys::view_entry_sk(document, contact)),
                    (GSI1_PK, view_pk.clone()),
                    (GSI1_SK, entry.date_key()),
                    (GSI2_PK, view_pk.clone()),
                    (GSI2_SK, entry.name_sort_key()),
                    (GSI3_PK, view_pk),
                    (GSI3_SK, entry.size_sort_key()),
                ],
            )?);
            let words_pk = keys::view_words_gsi1_pk(tenant, contact);
            for (word, key) in entry.word_keys() {
                desired.push(to_item(
                    entry,
                    &[
                        (PK, partition.clone()),
                        (SK, keys::view_word_sk(document, contact, &word)),
                        (GSI1_PK, words_pk.clone()),
                        (GSI1_SK, key),
                    ],
                )?);
            }
        }
        let desired_keys: Vec<String> =
            desired.iter().filter_map(|item| item.get(SK).and_then(|v| v.as_s().ok()).cloned()).collect();
        let mut writes: Vec<WriteRequest> = desired
            .into_iter()
            .map(|item| {
                PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map(|put| WriteRequest::builder().put_request(put).build())
                    .map_err(|e| StoreError::internal("PutRequest", e))
            })
            .collect::<Result<_, _>>()?;
        for sk in existing.into_iter().filter(|sk| !desired_keys.contains(sk)) {
            let delete = DeleteRequest::builder()
                .set_key(Some(Self::key(partition.clone(), sk)))
                .build()
                .map_err(|e| StoreError::internal("DeleteRequest", e))?;
            writes.push(WriteRequest::builder().delete_request(delete).build());
        }
        self.batch_write(writes).await
    }

    /// BatchWriteItem, 25 requests at a time, one after another.
    async fn batch_write(&self, writes: Vec<WriteRequest>) -> Result<(), StoreError> {
        for chunk in writes.chunks(25) {
            self.write_chunk(chunk.to_vec()).await?;
        }
        Ok(())
    }

    /// The sort keys of a pair's items (its entry and word items): one Query.
    async fn view_keys_of_pair(
        &self,
        tenant: TenantId,
        document: DocumentId,
        contact: ContactId,
    ) -> Result<Vec<String>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(keys::tenant_pk(tenant)))
            .expression_attribute_values(":prefix", s(keys::view_entry_sk(document, contact)))
            .projection_expression("#sk")
            .consistent_read(true);
        let output = sent("Query", query.send().await)?;
        output.items.unwrap_or_default().iter().map(|item| sort_key_of(item, SK)).collect()
    }

    /// One read of a contact's entries in `range` (`Limit = limit`), with `filter` applied.
    pub async fn view_read(
        &self,
        tenant: TenantId,
        contact: ContactId,
        range: &ViewRange,
        filter: &ViewFilter,
        after: Option<&str>,
        limit: i32,
    ) -> Result<ViewRead, StoreError> {
        let (index, partition) = match range.order {
            ViewOrder::Date => (Index::Gsi1, keys::view_gsi_pk(tenant, contact)),
            ViewOrder::Name => (Index::Gsi2, keys::view_gsi_pk(tenant, contact)),
            ViewOrder::Size => (Index::Gsi3, keys::view_gsi_pk(tenant, contact)),
            ViewOrder::Word => (Index::Gsi1, keys::view_words_gsi1_pk(tenant, contact)),
        };
        let (name, pk, sk) = index.names();
        // The position narrows the range: beyond `after` in the list's direction.
        let (mut lower, mut upper) = (range.lower.clone(), range.upper.clone());
        let mut strict = None;
        if let Some(after) = after {
            if range.descending {
                upper = Some(upper.map_or_else(|| after.to_owned(), |u| u.min(after.to_owned())));
            } else {
                lower = Some(lower.map_or_else(|| after.to_owned(), |l| l.max(after.to_owned())));
            }
            strict = Some(after.to_owned());
        }
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(name)
            .expression_attribute_names("#pk", pk)
            .expression_attribute_values(":pk", s(&partition))
            .scan_index_forward(!range.descending)
            .limit(limit);
        let condition = match (&lower, &upper) {
            (Some(l), Some(u)) => {
                query = query.expression_attribute_values(":lo", s(l)).expression_attribute_values(":hi", s(u));
                // Inclusive: an item at the position itself is dropped below.
                "#pk = :pk AND #sk BETWEEN :lo AND :hi"
            }
            (Some(l), None) => {
                query = query.expression_attribute_values(":lo", s(l));
                if strict.as_ref() == Some(l) { "#pk = :pk AND #sk > :lo" } else { "#pk = :pk AND #sk >= :lo" }
            }
            (None, Some(u)) => {
                query = query.expression_attribute_values(":hi", s(u));
                if strict.as_ref() == Some(u) { "#pk = :pk AND #sk < :hi" } else { "#pk = :pk AND #sk <= :hi" }
            }
            (None, None) => "#pk = :pk",
        };
        if lower.is_some() || upper.is_some() {
            query = query.expression_attribute_names("#sk", sk);
        }
        query = query.key_condition_expression(condition);
        let mut filters = Vec::new();
        if let Some(kind) = &filter.kind {
            query = query.expression_attribute_names("#ct", "contentType").expression_attribute_values(":ct", s(kind));
            if kind.contains('/') {
                filters.push("#ct = :ct".to_owned());
            } else {
                query = query.expression_attribute_values(":family", s(format!("{kind}/")));
                filters.push("(#ct = :ct OR begins_with(#ct, :family))".to_owned());
            }
        }
        if let Some(folder) = filter.folder {
            query = query
                .expression_attribute_names("#chain", "chain")
                .expression_attribute_values(":folder", s(folder.to_string()));
            filters.push("contains(#chain, :folder)".to_owned());
        }
        if filter.from_ms.is_some() || filter.to_ms.is_some() {
            query = query.expression_attribute_names("#at", "sharedAtMs");
            if let Some(from) = filter.from_ms {
                query = query.expression_attribute_values(":from", super::n(from));
                filters.push("#at >= :from".to_owned());
            }
            if let Some(to) = filter.to_ms {
                query = query.expression_attribute_values(":to", super::n(to));
                filters.push("#at <= :to".to_owned());
            }
        }
        if !filter.words.is_empty() {
            query = query.expression_attribute_names("#words", "nameWords");
            for (i, word) in filter.words.iter().enumerate() {
                query = query.expression_attribute_values(format!(":w{i}"), s(format!(" {word}")));
                filters.push(format!("contains(#words, :w{i})"));
            }
        }
        if !filters.is_empty() {
            query = query.filter_expression(filters.join(" AND "));
        }
        let output = sent("Query", query.send().await)?;
        let mut entries = Vec::new();
        for item in output.items.unwrap_or_default() {
            let key = sort_key_of(&item, sk)?;
            if strict.as_deref() == Some(key.as_str()) {
                continue;
            }
            entries.push((key, from_item::<ViewEntry>(item)?));
        }
        let stopped_at = output.last_evaluated_key.and_then(|key| key.get(sk).and_then(|v| v.as_s().ok()).cloned());
        Ok(ViewRead { entries, stopped_at })
    }

    /// What the read checks entries against (of any of the caller's companies), read together
    /// (one BatchGetItem per 100 keys):
    /// each entry's document, the folders of its chain, the contact's shares of its vias,
    /// and the staff members who shared them.
    pub async fn view_found(&self, entries: &[&ViewEntry]) -> Result<Found, StoreError> {
        let mut wanted = Vec::new();
        for entry in entries {
            let partition = keys::tenant_pk(entry.tenant_id);
            wanted.push((partition.clone(), keys::document_sk(entry.document_id)));
            wanted.extend(entry.chain.iter().map(|f| (partition.clone(), keys::folder_sk(*f))));
            for via in &entry.vias {
                wanted.push((partition.clone(), format!("{}{via}", keys::contact_shares_prefix(entry.contact_id))));
            }
            let sharers: Vec<&UserSub> = entry.via_sharers.iter().collect();
            wanted.extend(sharers.into_iter().map(|sub| (keys::user_pk(sub), keys::STAFF_MEMBERSHIP_SK.to_owned())));
        }
        let mut found = Found::default();
        for item in self.batch_get(wanted).await? {
            let pk = item.get(PK).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            let sk = item.get(SK).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            if !pk.starts_with("TENANT#") {
                let member: crate::identity::StaffMember = from_item(item)?;
                found.staff.insert(member.sub.clone(), member);
            } else if sk.starts_with(keys::SHARE_PREFIX) {
                let share: Share = from_item(item)?;
                found.shares.insert((share.contact_id, share.item.id()), share);
            } else {
                match read_entry(item)? {
                    DriveEntry::Document(document) => {
                        found.documents.insert(document.id, document);
                    }
                    DriveEntry::Folder(folder) => {
                        found.folders.insert(folder.id, folder);
                    }
                }
            }
        }
        Ok(found)
    }
}

impl Store {
    /// Every entry of a contact (all pages of the date index), unchecked: for the index's
    /// consistency tests.
    pub async fn view_entries_of_contact(
        &self,
        tenant: TenantId,
        contact: ContactId,
    ) -> Result<Vec<ViewEntry>, StoreError> {
        let range = ViewRange { order: ViewOrder::Date, lower: None, upper: None, descending: false };
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let read = self.view_read(tenant, contact, &range, &ViewFilter::default(), after.as_deref(), 100).await?;
            after = read.stopped_at.clone();
            all.extend(read.entries.into_iter().map(|(_, entry)| entry));
            if read.stopped_at.is_none() {
                return Ok(all);
            }
        }
    }
}

/// The fan-outs of the view index in progress (`view::ViewJob`).
impl Store {
    /// Starts jobs (each its own item: its INSERT on the stream is its first chunk), expiring
    /// after a day in case one is ever left behind.
    pub async fn start_view_jobs(
        &self,
        tenant: TenantId,
        jobs: &[view::ViewJob],
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut writes = Vec::new();
        for job in jobs {
            let id = uuid::Uuid::now_v7().to_string();
            let item = self.view_job_item(tenant, &id, job, now)?;
            let put = PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map_err(|e| StoreError::internal("PutRequest", e))?;
            writes.push(WriteRequest::builder().put_request(put).build());
        }
        self.batch_write(writes).await
    }

    fn view_job_item(
        &self,
        tenant: TenantId,
        id: &str,
        job: &view::ViewJob,
        now: OffsetDateTime,
    ) -> Result<Item, StoreError> {
        let mut item = to_item(job, &[(PK, keys::tenant_pk(tenant)), (SK, keys::view_job_sk(id))])?;
        item.insert("tenantId".to_owned(), s(tenant.to_string()));
        super::expire_at(&mut item, now + time::Duration::days(1));
        Ok(item)
    }

    /// Moves a job on to `next` (or deletes it when done), if it is still at `job` (a
    /// replayed record finds it moved on or gone, and changes nothing).
    pub async fn advance_view_job(
        &self,
        tenant: TenantId,
        id: &str,
        job: &view::ViewJob,
        next: Option<&view::ViewJob>,
    ) -> Result<(), StoreError> {
        let (cursor, phase) = match job {
            view::ViewJob::Folder { cursor, .. } => (cursor, None),
            view::ViewJob::Document { cursor, phase, .. } => (cursor, Some(*phase)),
        };
        let mut condition = vec!["attribute_exists(#pk)".to_owned()];
        let mut names = HashMap::from([("#pk".to_owned(), PK.to_owned())]);
        let mut values = HashMap::new();
        names.insert("#cursor".to_owned(), "cursor".to_owned());
        match cursor {
            Some(cursor) => {
                condition.push("#cursor = :cursor".to_owned());
                values.insert(":cursor".to_owned(), s(cursor));
            }
            None => condition.push("attribute_not_exists(#cursor)".to_owned()),
        }
        if let Some(phase) = phase {
            condition.push("#phase = :phase".to_owned());
            names.insert("#phase".to_owned(), "phase".to_owned());
            values.insert(":phase".to_owned(), super::n(i64::from(phase)));
        }
        let condition = condition.join(" AND ");
        let values = (!values.is_empty()).then_some(values);
        let key = Self::key(keys::tenant_pk(tenant), keys::view_job_sk(id));
        let result = match next {
            Some(next) => {
                let item = self.view_job_item(tenant, id, next, OffsetDateTime::now_utc())?;
                super::took_effect(
                    "PutItem",
                    self.client
                        .put_item()
                        .table_name(&self.table)
                        .set_item(Some(item))
                        .condition_expression(condition)
                        .set_expression_attribute_names(Some(names))
                        .set_expression_attribute_values(values)
                        .send()
                        .await,
                )
            }
            None => super::took_effect(
                "DeleteItem",
                self.client
                    .delete_item()
                    .table_name(&self.table)
                    .set_key(Some(key))
                    .condition_expression(condition)
                    .set_expression_attribute_names(Some(names))
                    .set_expression_attribute_values(values)
                    .send()
                    .await,
            ),
        };
        result.map(drop)
    }

    /// One page of what a folder holds (at most `limit`), and the cursor of the next.
    pub async fn drive_children_chunk(
        &self,
        tenant: TenantId,
        folder: FolderId,
        cursor: Option<&str>,
        limit: i32,
    ) -> Result<(Vec<DriveEntry>, Option<String>), StoreError> {
        let page = PageRequest { limit, cursor: own_cursor(cursor)? };
        let page = self.drive_children(tenant, Some(folder), &page).await?;
        Ok((page.items, page.next_cursor))
    }

    /// One page of the contacts an item is shared with (expired shares included:
    /// recomputing their pair removes what they no longer see).
    pub async fn contacts_sharing_chunk(
        &self,
        tenant: TenantId,
        item: ItemRef,
        cursor: Option<&str>,
        limit: i32,
    ) -> Result<(Vec<ContactId>, Option<String>), StoreError> {
        let page = PageRequest { limit, cursor: own_cursor(cursor)? };
        let page = self.item_shares(tenant, item, &page).await?;
        Ok((page.items.into_iter().map(|share: Share| share.contact_id).collect(), page.next_cursor))
    }

    /// One page of the contacts a document has entries for (its items under
    /// `VIEW#{documentId}#`, word items read and skipped), and the cursor of the next.
    pub async fn view_contacts_chunk(
        &self,
        tenant: TenantId,
        document: DocumentId,
        cursor: Option<&str>,
        limit: i32,
    ) -> Result<(Vec<ContactId>, Option<String>), StoreError> {
        let partition = keys::tenant_pk(tenant);
        let prefix = keys::view_document_prefix(document);
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(&partition))
            .expression_attribute_values(":prefix", s(&prefix))
            .consistent_read(true);
        let page = PageRequest { limit, cursor: own_cursor(cursor)? };
        let reader = ItemReader { attributes: Some(vec![SK]), read: |item: Item| sort_key_of(&item, SK) };
        let scope = [(PK, Key::Equals(&partition)), (SK, Key::StartsWith(&prefix))];
        let page = super::query_page_with(query, &page, &scope, reader).await?;
        let mut contacts: Vec<ContactId> = Vec::new();
        for sk in &page.items {
            let rest = &sk[prefix.len()..];
            if let Ok(contact) = rest.split('#').next().unwrap_or_default().parse::<ContactId>()
                && !contacts.contains(&contact)
            {
                contacts.push(contact);
            }
        }
        Ok((contacts, page.next_cursor))
    }

    /// The folders above a document, from its own up (at most [`MAX_FOLDER_DEPTH`]; empty
    /// when the document is gone).
    pub async fn folder_chain(&self, tenant: TenantId, document: DocumentId) -> Result<Vec<FolderId>, StoreError> {
        let mut chain = Vec::new();
        let mut next = self.document(tenant, document).await?.and_then(|d| d.folder_id);
        while let Some(id) = next.filter(|_| chain.len() < MAX_FOLDER_DEPTH) {
            chain.push(id);
            next = self.folder(tenant, id).await?.and_then(|folder| folder.parent_id);
        }
        Ok(chain)
    }
}

/// A job's cursor back (one this function made: failing to read it is a bug).
fn own_cursor(cursor: Option<&str>) -> Result<Option<crate::pagination::Cursor>, StoreError> {
    cursor
        .map(|c| crate::pagination::Cursor::decode(c).map_err(|e| StoreError::internal("a job's cursor", e)))
        .transpose()
}
