//! The index's rules over the in-memory drive: an entry exists exactly for what the walk
//! shows, reads hide what changed since, and changes name the right work.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;

use time::{Duration, OffsetDateTime};

use super::*;
use crate::domain::DocumentStatus;
use crate::model::UploaderKind;
use crate::visibility::model::DriveModel;
use crate::visibility::visible_documents;

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
}

struct Drive {
    model: DriveModel,
    folders: HashMap<FolderId, Folder>,
    documents: HashMap<DocumentId, Document>,
    shares: HashMap<(ContactId, String), Share>,
    staff: UserSub,
    now: OffsetDateTime,
}

impl Drive {
    fn new() -> Self {
        Self {
            model: DriveModel::new(TenantId::new()),
            folders: HashMap::new(),
            documents: HashMap::new(),
            shares: HashMap::new(),
            staff: "staff-sub".parse().unwrap(),
            now: OffsetDateTime::now_utc(),
        }
    }

    fn tenant(&self) -> TenantId {
        self.model.tenant()
    }

    fn folder(&mut self, parent: Option<FolderId>, name: &str) -> FolderId {
        let folder = Folder {
            id: FolderId::new(),
            name: name.parse().unwrap(),
            parent_id: parent,
            created_at: self.now,
            created_by: self.staff.clone(),
        };
        let id = folder.id;
        self.folders.insert(id, folder.clone());
        self.model.put_folder(folder);
        id
    }

    fn move_folder(&mut self, id: FolderId, parent: Option<FolderId>) {
        let folder = self.folders.get_mut(&id).unwrap();
        folder.parent_id = parent;
        self.model.put_folder(folder.clone());
    }

    fn document(&mut self, folder: Option<FolderId>, name: &str) -> DocumentId {
        let mut document = Document::pending(
            self.tenant(),
            name.parse().unwrap(),
            "application/pdf".parse().unwrap(),
            10,
            self.staff.clone(),
            UploaderKind::Staff,
        );
        document.status = DocumentStatus::Available;
        document.folder_id = folder;
        let id = document.id;
        self.documents.insert(id, document.clone());
        self.model.put_document(document);
        id
    }

    fn move_document(&mut self, id: DocumentId, folder: Option<FolderId>) {
        let document = self.documents.get_mut(&id).unwrap();
        document.folder_id = folder;
        self.model.put_document(document.clone());
    }

    fn delete_document(&mut self, id: DocumentId) {
        self.documents.remove(&id);
        self.model.delete_item(ItemRef::Document(id));
    }

    fn share(&mut self, contact: ContactId, item: ItemRef, until: Option<OffsetDateTime>) {
        let share = Share {
            contact_id: contact,
            item,
            shared_by: self.staff.clone(),
            shared_at: self.now - Duration::hours(1),
            available_until: until,
        };
        self.shares.insert((contact, item.id()), share.clone());
        self.model.put_share(share);
    }

    fn unshare(&mut self, contact: ContactId, item: ItemRef) {
        self.shares.remove(&(contact, item.id()));
        self.model.delete_share(contact, item);
    }

    /// The index as the function would leave it: every pair recomputed from the truth.
    fn index(&self, contacts: &[ContactId]) -> BTreeSet<(ContactId, DocumentId)> {
        let mut index = BTreeSet::new();
        for contact in contacts {
            for id in self.documents.keys() {
                let truth = block_on(truth(&self.model, self.tenant(), *contact, *id)).unwrap();
                if entry_of(self.tenant(), *contact, &truth, self.now).is_some() {
                    index.insert((*contact, *id));
                }
            }
        }
        index
    }

    /// What the walk down shows (the source of truth the listing was served from).
    fn walked(&self, contacts: &[ContactId]) -> BTreeSet<(ContactId, DocumentId)> {
        let mut walked = BTreeSet::new();
        for contact in contacts {
            let visible = block_on(visible_documents(&self.model, self.tenant(), *contact, self.now)).unwrap();
            walked.extend(visible.document_ids().into_iter().map(|id| (*contact, id)));
        }
        walked
    }

    fn entry(&self, contact: ContactId, id: DocumentId) -> Option<ViewEntry> {
        let truth = block_on(truth(&self.model, self.tenant(), contact, id)).unwrap();
        entry_of(self.tenant(), contact, &truth, self.now)
    }

    /// What a read finds of the items an entry names, in the drive as it is now.
    fn found(&self) -> Found {
        Found {
            documents: self.documents.clone(),
            folders: self.folders.clone(),
            shares: self.shares.clone(),
            staff: HashMap::new(),
        }
    }
}

#[test]
fn names_fold_to_lower_case_ascii_words_and_keys() {
    assert_eq!(words("Élève Café-Crème_2026.PDF"), ["eleve", "cafe", "creme", "2026", "pdf"]);
    assert_eq!(words("Straße straße"), ["strasse"]);
    assert_eq!(name_key("Été 2026.pdf"), "ete$2026$pdf");
    assert!(name_key(&"a".repeat(500)).len() <= MAX_NAME_KEY_CHARS);
    assert!(words(&(0..50).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ")).len() <= MAX_WORDS);
    assert_eq!(spaced_words(&words("Invoice March")), " invoice march");
    // The keys' string order is the value order.
    assert!(size_key(9) < size_key(10) && time_key(OffsetDateTime::UNIX_EPOCH) < time_key(OffsetDateTime::now_utc()));
    // `#` follows the name key: a name sorts before its continuations.
    let (short, long) = (format!("{}#x", name_key("abc")), format!("{}#x", name_key("abc d")));
    assert!(short < long);
}

/// After every kind of change, recomputing each pair from the truth gives exactly what the
/// walk down shows, for every contact.
#[test]
fn the_index_holds_exactly_what_the_walk_shows_after_every_kind_of_change() {
    let mut d = Drive::new();
    let (chloe, omar) = (ContactId::new(), ContactId::new());
    let contacts = [chloe, omar];
    let root = d.folder(None, "Clients");
    let tax = d.folder(Some(root), "Tax");
    let deep = d.folder(Some(tax), "2026");
    let elsewhere = d.folder(None, "Elsewhere");
    let loose = d.document(None, "loose.pdf");
    let in_tax = d.document(Some(tax), "return.pdf");
    let in_deep = d.document(Some(deep), "deep.pdf");
    let outside = d.document(Some(elsewhere), "outside.pdf");
    let check = |d: &Drive, step: &str| assert_eq!(d.index(&contacts), d.walked(&contacts), "after {step}");

    check(&d, "nothing shared");
    d.share(chloe, ItemRef::Folder(tax), None);
    d.share(omar, ItemRef::Document(loose), None);
    check(&d, "shares");
    assert!(d.index(&contacts).contains(&(chloe, in_deep)));
    d.folder(Some(deep), "new sub");
    let added = d.document(Some(deep), "added later.pdf");
    check(&d, "a document added below a shared folder");
    assert!(d.index(&contacts).contains(&(chloe, added)));
    d.move_document(outside, Some(deep));
    check(&d, "a document moved into a shared folder");
    d.move_document(in_tax, Some(elsewhere));
    check(&d, "a document moved out of a shared folder");
    d.move_folder(deep, Some(elsewhere));
    check(&d, "a folder moved out of a shared folder");
    assert!(!d.index(&contacts).contains(&(chloe, in_deep)));
    d.move_folder(elsewhere, Some(root));
    d.share(chloe, ItemRef::Folder(root), Some(d.now + Duration::days(1)));
    check(&d, "a folder moved into a shared folder");
    d.share(omar, ItemRef::Folder(root), Some(d.now - Duration::seconds(1)));
    check(&d, "an expired share");
    d.unshare(chloe, ItemRef::Folder(tax));
    d.unshare(chloe, ItemRef::Folder(root));
    check(&d, "unshares");
    d.share(chloe, ItemRef::Folder(root), None);
    d.delete_document(added);
    check(&d, "a delete");
    assert_eq!(d.index(&[chloe]).len(), 3, "{:?}", d.index(&[chloe]));
}

#[test]
fn an_entry_names_every_current_via_its_chain_and_the_share_the_walk_shows() {
    let mut d = Drive::new();
    let contact = ContactId::new();
    let top = d.folder(None, "Top");
    let middle = d.folder(Some(top), "Middle");
    let bottom = d.folder(Some(middle), "Bottom");
    let id = d.document(Some(bottom), "Report Été.pdf");
    d.share(contact, ItemRef::Folder(middle), None);
    d.share(contact, ItemRef::Document(id), None);
    d.share(contact, ItemRef::Folder(top), Some(d.now - Duration::hours(2)));
    let entry = d.entry(contact, id).unwrap();
    let mut vias = entry.vias.clone();
    vias.sort();
    let mut expected = vec![middle.to_string(), id.to_string()];
    expected.sort();
    assert_eq!(vias, expected, "the expired share of Top is no via");
    assert_eq!(entry.chain, [bottom, middle], "up to the highest via");
    // The shown share is the lowest item id's, as the walk's first share.
    let shown = if middle.to_string() < id.to_string() { ItemRef::Folder(middle) } else { ItemRef::Document(id) };
    assert_eq!(entry.folder.is_some(), matches!(shown, ItemRef::Folder(_)));
    assert_eq!(entry.name_words, " report ete pdf");
    assert_eq!(entry.word_keys().len(), 3);
    let checked = check(&entry, &d.found(), d.now).unwrap();
    assert_eq!(checked.share.item, shown);
}

#[test]
fn a_read_drops_an_entry_once_its_document_folders_or_shares_changed() {
    let mut d = Drive::new();
    let contact = ContactId::new();
    let shared = d.folder(None, "Shared");
    let inner = d.folder(Some(shared), "Inner");
    let other = d.folder(None, "Other");
    let id = d.document(Some(inner), "a.pdf");
    d.share(contact, ItemRef::Folder(shared), Some(d.now + Duration::minutes(5)));
    let entry = d.entry(contact, id).unwrap();
    assert!(check(&entry, &d.found(), d.now).is_some());
    assert!(check(&entry, &d.found(), d.now + Duration::minutes(6)).is_none(), "expired");

    let mut moved = Drive { now: d.now, ..Drive::new() };
    moved.folders = d.folders.clone();
    moved.documents = d.documents.clone();
    moved.shares = d.shares.clone();
    moved.documents.get_mut(&id).unwrap().folder_id = Some(other);
    assert!(check(&entry, &moved.found(), d.now).is_none(), "the document moved out");
    moved.documents.get_mut(&id).unwrap().folder_id = Some(inner);
    moved.folders.get_mut(&inner).unwrap().parent_id = Some(other);
    assert!(check(&entry, &moved.found(), d.now).is_none(), "its folder moved out");
    moved.folders.get_mut(&inner).unwrap().parent_id = Some(shared);
    moved.shares.clear();
    assert!(check(&entry, &moved.found(), d.now).is_none(), "unshared");
    moved.shares = d.shares.clone();
    moved.documents.get_mut(&id).unwrap().status = DocumentStatus::Rejected;
    assert!(check(&entry, &moved.found(), d.now).is_none(), "not available");
    moved.documents.remove(&id);
    assert!(check(&entry, &moved.found(), d.now).is_none(), "deleted");
    // A rename of the folder shows at once (the read names the live folder).
    let mut renamed = d.found();
    renamed.folders.get_mut(&inner).unwrap().name = "Renamed".parse().unwrap();
    assert_eq!(check(&entry, &renamed, d.now).unwrap().folder.unwrap().name.as_str(), "Renamed");
}

#[test]
fn changes_name_the_work_they_need() {
    let mut d = Drive::new();
    let tenant = d.tenant();
    let contact = ContactId::new();
    let folder = d.folder(None, "F");
    let id = d.document(Some(folder), "a.pdf");
    let document = d.documents[&id].clone();
    let share = Share {
        contact_id: contact,
        item: ItemRef::Folder(folder),
        shared_by: d.staff.clone(),
        shared_at: d.now,
        available_until: None,
    };
    assert_eq!(Change::of_share(tenant, &share), Change::FolderShare { tenant, contact, folder });
    assert_eq!(Change::of_document(tenant, None, Some(&document)), Some(Change::Document { tenant, document: id }));
    assert_eq!(Change::of_document(tenant, Some(&document), Some(&document)), None, "nothing shown changed");
    let mut seen = document.clone();
    seen.seen_at = Some(d.now);
    assert_eq!(Change::of_document(tenant, Some(&document), Some(&seen)), None);
    let mut renamed = document.clone();
    renamed.name = "b.pdf".parse().unwrap();
    assert!(Change::of_document(tenant, Some(&document), Some(&renamed)).is_some());
    let mut pending = document.clone();
    pending.status = DocumentStatus::Pending;
    assert_eq!(Change::of_document(tenant, None, Some(&pending)), None, "an upload begun");
    assert!(Change::of_document(tenant, Some(&pending), Some(&document)).is_some(), "settled");
    let mut submission = document.clone();
    submission.contact_id = Some(contact);
    assert_eq!(Change::of_document(tenant, None, Some(&submission)), None);
    let before = d.folders[&folder].clone();
    let mut moved = before.clone();
    moved.parent_id = Some(FolderId::new());
    assert_eq!(Change::of_folder(tenant, Some(&before), Some(&moved)), Some(Change::Subtree { tenant, folder }));
    let mut renamed = before.clone();
    renamed.name = "G".parse().unwrap();
    assert_eq!(Change::of_folder(tenant, Some(&before), Some(&renamed)), None);
    assert_eq!(Change::of_folder(tenant, None, Some(&before)), None);
    assert_eq!(kind_of(&format!("TENANT#{tenant}"), "VIEW#x#y"), Some((tenant, Kind::Other)));
    assert_eq!(kind_of("USER#x", "STAFF"), None);
}

/// Streams queried like DynamoDB: `Limit` items evaluated from the position, a filter
/// applied after the limit (so a read can be short, or empty with more to read).
fn read_stream(
    stream: &[String],
    keep: impl Fn(&str) -> bool,
    after: Option<&str>,
    limit: usize,
    descending: bool,
) -> (Vec<(String, ())>, Option<String>) {
    let mut ordered: Vec<&String> = stream.iter().collect();
    ordered.sort();
    if descending {
        ordered.reverse();
    }
    let from: Vec<&String> = ordered
        .into_iter()
        .filter(|k| after.is_none_or(|a| if descending { k.as_str() < a } else { k.as_str() > a }))
        .collect();
    let evaluated: Vec<&String> = from.iter().take(limit).copied().collect();
    let stopped_at = (from.len() > limit).then(|| evaluated.last().unwrap().to_string());
    let items = evaluated.into_iter().filter(|k| keep(k)).map(|k| (k.clone(), ())).collect();
    (items, stopped_at)
}

#[test]
fn merged_pages_return_every_kept_item_once_in_order_even_when_filters_empty_a_read() {
    let streams: Vec<Vec<String>> =
        (0..3).map(|s| (0..40).map(|i| format!("{:03}#{s}", (i * 7 + s * 3) % 97)).collect()).collect();
    // A filter that empties whole reads of the first stream (only its last items pass).
    let keep = |k: &str| !k.ends_with("#0") || k.starts_with("09");
    for descending in [false, true] {
        for limit in [1, 2, 5, 50] {
            let mut expected: Vec<String> = streams.iter().flatten().filter(|k| keep(k)).cloned().collect();
            expected.sort();
            if descending {
                expected.reverse();
            }
            let (mut seen, mut after, mut done) = (Vec::new(), None::<String>, BTreeSet::new());
            for _ in 0..1000 {
                let reads = (0..3usize)
                    .filter(|s| !done.contains(s))
                    .map(|s| {
                        let (items, stopped_at) = read_stream(&streams[s], keep, after.as_deref(), limit, descending);
                        StreamRead { stream: s, items, stopped_at }
                    })
                    .collect();
                let page = merge_view(limit, descending, reads);
                assert!(page.items.len() <= limit);
                seen.extend(page.items.into_iter().map(|(k, ())| k));
                match page.next {
                    Some((next, finished)) => {
                        assert!(after.as_ref() != Some(&next), "no progress");
                        after = Some(next);
                        done = finished;
                    }
                    None => break,
                }
            }
            assert_eq!(seen, expected, "descending {descending}, limit {limit}");
        }
    }
}

#[test]
fn jobs_are_items_whose_changes_are_their_next_chunks() {
    let tenant = TenantId::new();
    let folder = FolderId::new();
    let contact = ContactId::new();
    let share = Change::FolderShare { tenant, contact, folder };
    let (_, job) = ViewJob::of(&share).unwrap();
    assert_eq!(job, ViewJob::Folder { folder, contact: Some(contact), cursor: None });
    assert_eq!(ViewJob::of(&Change::Pair { tenant, contact, document: DocumentId::new() }), None);
    let json = serde_json::to_value(&job).unwrap();
    assert_eq!(json["job"], "folder");
    assert_eq!(serde_json::from_value::<ViewJob>(json).unwrap(), job);
    let document = ViewJob::Document { document: DocumentId::new(), phase: 2, cursor: Some("c".into()) };
    assert_eq!(serde_json::from_value::<ViewJob>(serde_json::to_value(&document).unwrap()).unwrap(), document);
    assert_eq!(kind_of(&format!("TENANT#{tenant}"), "VIEW#JOB#0193"), Some((tenant, Kind::Job)));
    // A job's key is never a document's entry prefix.
    assert!(!crate::keys::view_job_sk("x").starts_with(&crate::keys::view_document_prefix(DocumentId::new())));
}
