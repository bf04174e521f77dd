//! The customer's view index: what each contact can see at a company, kept as one entry per
//! (document, contact) visible, so that `GET /portal/shares` reads a page of it instead of
//! walking every shared folder (see `docs/architecture.md`, "The customer's view index").
//!
//! The rules here are pure:
//!
//! - [`entry_of`]: the entry a (contact, document) pair must have, from the truth (the
//!   document, its folder chain up to the root with the contact's share of each level): the
//!   walk-up rule of [`crate::visibility::shared_document`], keeping every current share on
//!   the chain (`vias`) rather than stopping at the first. Recomputing a pair from the truth
//!   is idempotent and order-insensitive, so replayed or reordered stream records converge.
//! - [`Change::of_record`]: which pairs a change of the table concerns.
//! - [`check`]: a read's verification of an entry against the items it names, so a page
//!   never shows what is no longer shared (an entry failing it is left out of the page).
//! - the names' normal form ([`fold`], [`name_key`], [`words`]) and the index sort keys.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::domain::{ContactId, ContentType, DocumentId, FileName, FolderId, ItemRef, TenantId, UserSub};
use crate::identity::StaffMember;
use crate::model::{Document, DriveEntry, Folder, Share};
use crate::visibility::{DocumentAccess, FolderRef, MAX_FOLDER_DEPTH, shareable};

/// The longest name key (GSI2's sort key before the document id): names longer than this
/// sort by their first characters only.
pub const MAX_NAME_KEY_CHARS: usize = 100;
/// At most this many distinct words of a name are searchable (the first ones).
pub const MAX_WORDS: usize = 12;
/// A word longer than this is indexed by its first characters (a prefix search still finds it).
pub const MAX_WORD_CHARS: usize = 40;

/// A name in its searchable form: transliterated to ASCII (`deunicode`: accents dropped,
/// `ß` → `ss`, other scripts romanised), lower-cased.
pub fn fold(text: &str) -> String {
    deunicode::deunicode(text).to_ascii_lowercase()
}

/// The words of a name: maximal runs of letters and digits of its folded form, in order.
fn runs(folded: &str) -> impl Iterator<Item = &str> {
    folded.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty())
}

/// The name's sort key (GSI2): its words joined by `$`, at most [`MAX_NAME_KEY_CHARS`]. Only
/// `[a-z0-9$]`, so `#` (which follows it in the key) sorts below any continuation.
pub fn name_key(name: &str) -> String {
    let folded = fold(name);
    let mut key: String = runs(&folded).collect::<Vec<_>>().join("$");
    key.truncate(MAX_NAME_KEY_CHARS);
    key
}

/// The distinct searchable words of a name (at most [`MAX_WORDS`], each at most
/// [`MAX_WORD_CHARS`]), in the order they first appear.
pub fn words(name: &str) -> Vec<String> {
    let folded = fold(name);
    let mut seen = BTreeSet::new();
    let mut words = Vec::new();
    for run in runs(&folded) {
        let word: String = run.chars().take(MAX_WORD_CHARS).collect();
        if seen.insert(word.clone()) {
            words.push(word);
            if words.len() == MAX_WORDS {
                break;
            }
        }
    }
    words
}

/// A search text's words, as a name's (at most [`MAX_WORDS`]): the first is matched on the
/// index's key, the others by a filter, each as a prefix of some word of the name.
pub fn query_words(text: &str) -> Vec<String> {
    words(text)
}

/// The name's words as one string, each preceded by a space (`" invoice march"`): a prefix
/// of a word is then `contains(nameWords, " inv")`.
pub fn spaced_words(words: &[String]) -> String {
    words.iter().map(|w| format!(" {w}")).collect()
}

/// Milliseconds since the epoch, zero-padded so the string order is the time order.
pub fn time_key(at: OffsetDateTime) -> String {
    let millis = (at.unix_timestamp_nanos() / 1_000_000).max(0);
    format!("{millis:015}")
}

/// A size zero-padded so the string order is the size order.
pub fn size_key(size: u64) -> String {
    format!("{size:020}")
}

/// One index entry: what a listing row needs, and what the read checks it against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewEntry {
    pub tenant_id: TenantId,
    pub contact_id: ContactId,
    pub document_id: DocumentId,
    pub name: FileName,
    pub content_type: ContentType,
    pub size: u64,
    /// The share it is shown with (the current one of the lowest item id, as the walk).
    #[serde(with = "time::serde::rfc3339")]
    pub shared_at: OffsetDateTime,
    /// `sharedAt` in epoch milliseconds (the date filter when sorted otherwise).
    pub shared_at_ms: i64,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub available_until: Option<OffsetDateTime>,
    pub shared_by: UserSub,
    /// The folder holding it, when it came with a shared folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<FolderRef>,
    /// The shared items it is visible through: the document and/or folders on its chain.
    pub vias: Vec<String>,
    /// Who shared each via (same order): the read names the sharer of the share it shows.
    pub via_sharers: Vec<UserSub>,
    /// The folders from the document's folder up to the highest folder via (empty when only
    /// the document itself is shared): the read checks each parent link still holds, and
    /// the folder filter looks here.
    pub chain: Vec<FolderId>,
    /// The name's sort key and words (see [`name_key`], [`spaced_words`]).
    pub name_key: String,
    pub name_words: String,
}

impl ViewEntry {
    /// The index sort keys (`{key}#{documentId}`) of the entry.
    pub fn date_key(&self) -> String {
        format!("{}#{}", time_key(self.shared_at), self.document_id)
    }

    pub fn name_sort_key(&self) -> String {
        format!("{}#{}", self.name_key, self.document_id)
    }

    pub fn size_sort_key(&self) -> String {
        format!("{}#{}", size_key(self.size), self.document_id)
    }

    /// The word items' sort keys (`{word}#{documentId}`).
    pub fn word_keys(&self) -> Vec<(String, String)> {
        self.name_words
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(|w| (w.to_owned(), format!("{w}#{}", self.document_id)))
            .collect()
    }
}

/// One folder above the document, and the contact's share of it (if any).
#[derive(Debug, Clone)]
pub struct Level {
    pub folder: Folder,
    pub share: Option<Share>,
}

/// The truth about one (contact, document) pair: the document and the contact's share of
/// it (each if it exists), and the folders above it from its own up (stopping at the root,
/// at a folder that is gone, or at [`MAX_FOLDER_DEPTH`]).
#[derive(Debug, Clone, Default)]
pub struct Truth {
    pub document: Option<Document>,
    pub share: Option<Share>,
    pub levels: Vec<Level>,
}

/// The truth of a pair read through the download's narrow read ([`DocumentAccess`]): the
/// document and its share, then each folder above it with its share (the model's and the
/// table's reads alike; the table's own is `Store::view_truth`, one BatchGetItem per level).
pub async fn truth<S: DocumentAccess>(
    source: &S,
    tenant: TenantId,
    contact: ContactId,
    document: DocumentId,
) -> Result<Truth, S::Error> {
    let (entry, share) = source.item_and_share(tenant, contact, ItemRef::Document(document)).await?;
    let Some(DriveEntry::Document(document)) = entry else { return Ok(Truth::default()) };
    let mut levels = Vec::new();
    let mut next = document.folder_id;
    while let Some(id) = next.filter(|_| levels.len() < MAX_FOLDER_DEPTH) {
        let (entry, share) = source.item_and_share(tenant, contact, ItemRef::Folder(id)).await?;
        let Some(DriveEntry::Folder(folder)) = entry else { break };
        next = folder.parent_id;
        levels.push(Level { folder, share });
    }
    Ok(Truth { document: Some(document), share, levels })
}

/// The entry the pair must have (`None`: not visible), by the visibility rule: an available
/// staff document, shared by itself or through a folder above it, with a current share.
pub fn entry_of(tenant: TenantId, contact: ContactId, truth: &Truth, now: OffsetDateTime) -> Option<ViewEntry> {
    let document = truth.document.as_ref().filter(|d| shareable(d))?;
    let mut vias: Vec<(String, &Share)> = Vec::new();
    if let Some(share) = truth.share.as_ref().filter(|s| s.is_current(now) && s.contact_id == contact) {
        vias.push((document.id.to_string(), share));
    }
    let mut highest = 0;
    let mut expected_parent = document.folder_id;
    for (depth, level) in truth.levels.iter().take(MAX_FOLDER_DEPTH).enumerate() {
        // The chain must be the document's own (the reader walked it; a gap ends it).
        if expected_parent != Some(level.folder.id) {
            break;
        }
        expected_parent = level.folder.parent_id;
        if let Some(share) = level.share.as_ref().filter(|s| s.is_current(now) && s.contact_id == contact) {
            vias.push((level.folder.id.to_string(), share));
            highest = depth + 1;
        }
    }
    let (_, shown) = vias.iter().min_by(|a, b| a.0.cmp(&b.0))?;
    let shown = (*shown).clone();
    let chain: Vec<FolderId> = truth.levels.iter().take(highest).map(|level| level.folder.id).collect();
    let folder = match shown.item {
        ItemRef::Document(_) => None,
        ItemRef::Folder(_) => truth.levels.first().map(|l| FolderRef { id: l.folder.id, name: l.folder.name.clone() }),
    };
    let words = words(document.name.as_str());
    Some(ViewEntry {
        tenant_id: tenant,
        contact_id: contact,
        document_id: document.id,
        name: document.name.clone(),
        content_type: document.content_type.clone(),
        size: document.size,
        shared_at: shown.shared_at,
        shared_at_ms: (shown.shared_at.unix_timestamp_nanos() / 1_000_000) as i64,
        available_until: shown.available_until,
        shared_by: shown.shared_by.clone(),
        folder,
        via_sharers: vias.iter().map(|(_, share)| share.shared_by.clone()).collect(),
        vias: vias.into_iter().map(|(id, _)| id).collect(),
        chain,
        name_key: name_key(document.name.as_str()),
        name_words: spaced_words(&words),
    })
}

/// What a read found of the items an entry names.
#[derive(Debug, Default)]
pub struct Found {
    pub documents: HashMap<DocumentId, Document>,
    pub folders: HashMap<FolderId, Folder>,
    /// The contact's shares, by item id.
    pub shares: HashMap<(ContactId, String), Share>,
    pub staff: HashMap<UserSub, StaffMember>,
}

/// An entry as the read confirmed it: the live document, the share it is shown with, the
/// folder (live name), and the sharer if still a member of the company.
#[derive(Debug, Clone)]
pub struct Checked {
    pub document: Document,
    pub share: Share,
    pub folder: Option<FolderRef>,
    pub sharer: Option<StaffMember>,
}

/// The read's check of one entry: the document still exists and is available; every parent
/// link of its chain still holds (a move out of a shared folder hides it at once); at least
/// one of its vias still has a current share. Otherwise `None`: the entry is left out.
pub fn check(entry: &ViewEntry, found: &Found, now: OffsetDateTime) -> Option<Checked> {
    let document = found.documents.get(&entry.document_id).filter(|d| shareable(d))?;
    if let Some(first) = entry.chain.first()
        && document.folder_id != Some(*first)
    {
        return None;
    }
    for pair in entry.chain.windows(2) {
        let folder = found.folders.get(&pair[0])?;
        if folder.parent_id != Some(pair[1]) {
            return None;
        }
    }
    if let Some(last) = entry.chain.last() {
        found.folders.get(last)?;
    }
    let mut current: Vec<&Share> = entry
        .vias
        .iter()
        .filter_map(|via| found.shares.get(&(entry.contact_id, via.clone())))
        .filter(|share| share.is_current(now))
        .filter(|share| match share.item {
            ItemRef::Document(id) => id == document.id,
            ItemRef::Folder(id) => entry.chain.contains(&id),
        })
        .collect();
    current.sort_by_key(|share| share.item.id());
    let share = (*current.first()?).clone();
    let folder = match share.item {
        ItemRef::Document(_) => None,
        ItemRef::Folder(_) => {
            let id = *entry.chain.first()?;
            found.folders.get(&id).map(|f| FolderRef { id, name: f.name.clone() })
        }
    };
    let sharer = found.staff.get(&share.shared_by).filter(|m| m.tenant_id == entry.tenant_id).cloned();
    Some(Checked { document: document.clone(), share, folder, sharer })
}

/// Which index a listing reads, and its key range: `lower` and `upper` inclusive, `after`
/// exclusive (the merged list's position).
#[derive(Debug, Clone)]
pub struct ViewRange {
    pub order: ViewOrder,
    pub lower: Option<String>,
    pub upper: Option<String>,
    pub descending: bool,
}

/// The index sort of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewOrder {
    Date,
    Name,
    Size,
    /// The word items (a search), by matched word.
    Word,
}

/// The filters a listing applies on the read items (not part of the key).
#[derive(Debug, Clone, Default)]
pub struct ViewFilter {
    /// A media type (`application/pdf`) or a family (`image`).
    pub kind: Option<String>,
    pub folder: Option<FolderId>,
    /// `sharedAt` bounds in epoch milliseconds (when not sorted by date).
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Further words of a search, each a prefix of some word of the name.
    pub words: Vec<String>,
}

/// One read of one contact's entries: the entries with their sort keys (after the filter),
/// and where the query stopped with more to read (`LastEvaluatedKey`'s sort key: with a
/// filter, possibly past every entry returned, or with none returned at all).
#[derive(Debug, Clone)]
pub struct ViewRead {
    pub entries: Vec<(String, ViewEntry)>,
    pub stopped_at: Option<String>,
}

/// One stream of a merged listing (a company): what it read, in list order, and where it
/// stopped with more (`None`: it was read to its end).
#[derive(Debug, Clone)]
pub struct StreamRead<S, T> {
    pub stream: S,
    pub items: Vec<(String, T)>,
    pub stopped_at: Option<String>,
}

/// A merged page: its items in list order, and where the next page starts (the position,
/// and the streams read to their end) when the list goes on.
#[derive(Debug, Clone)]
pub struct MergedView<S, T> {
    pub items: Vec<(String, T)>,
    pub next: Option<(String, BTreeSet<S>)>,
}

/// Merges one read of each stream into at most `limit` items in list order (`descending`
/// or not), as `pagination::merge` does for the submissions, with one more rule for reads
/// a filter shortened: a stream that stopped with more is known only up to where it stopped,
/// so nothing past the most conservative stop is returned yet; when nothing is returned at
/// all (everything read was filtered out), the list still moves to that stop. Every stream
/// continues right after the position; a stream read to its end whose items were all
/// returned is `done`.
pub fn merge_view<S: Ord, T>(limit: usize, descending: bool, reads: Vec<StreamRead<S, T>>) -> MergedView<S, T> {
    let first = |a: &String, b: &String| if descending { a > b } else { a < b };
    let mut floor: Option<String> = None;
    for stop in reads.iter().filter_map(|read| read.stopped_at.clone()) {
        floor = Some(match floor {
            Some(current) if first(&current, &stop) => stop,
            Some(current) => current,
            None => stop,
        });
    }
    let within = |key: &String| floor.as_ref().is_none_or(|floor| key == floor || first(key, floor));
    let mut streams = Vec::new();
    let mut candidates = Vec::new();
    for (index, read) in reads.into_iter().enumerate() {
        streams.push((read.stream, read.stopped_at.is_some(), read.items.len()));
        candidates.extend(read.items.into_iter().map(|(key, item)| (key, index, item)));
    }
    candidates.sort_by(|a, b| if descending { b.0.cmp(&a.0) } else { a.0.cmp(&b.0) }.then(a.1.cmp(&b.1)));
    let mut returned = vec![0; streams.len()];
    let mut items = Vec::new();
    for (key, index, item) in candidates {
        if items.len() == limit || !within(&key) {
            break;
        }
        returned[index] += 1;
        items.push((key, item));
    }
    let mut done = BTreeSet::new();
    let mut open = false;
    for ((stream, more, read), returned) in streams.into_iter().zip(returned) {
        if !more && returned == read {
            done.insert(stream);
        } else {
            open = true;
        }
    }
    while done.len() > crate::pagination::merge::MAX_DONE {
        done.pop_last();
    }
    let after = items.last().map(|(key, _)| key.clone()).or(floor);
    let next = match after {
        Some(after) if open => Some((after, done)),
        _ => None,
    };
    MergedView { items, next }
}

/// What a change of the table asks the index to recompute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// One (contact, document) pair (a share of a document).
    Pair { tenant: TenantId, contact: ContactId, document: DocumentId },
    /// Every document below a folder, for one contact (a share of a folder).
    FolderShare { tenant: TenantId, contact: ContactId, folder: FolderId },
    /// Every contact the document is, or may become, visible to (a document settled,
    /// renamed, moved, deleted).
    Document { tenant: TenantId, document: DocumentId },
    /// Every document below a folder, for every contact (a folder moved).
    Subtree { tenant: TenantId, folder: FolderId },
    /// The next chunk of a large fan-out ([`ViewJob`], an item of the table: its own stream
    /// record brings it here).
    Job { tenant: TenantId, id: String, job: ViewJob },
}

/// How many pairs one chunk of a fan-out recomputes at most (one page of a folder's
/// listing or of a document's contacts): the work one stream record asks for is bounded
/// whatever the size of what is shared.
pub const CHUNK: i32 = 25;

/// A fan-out in progress, kept as an item of the table (`VIEW#JOB#{id}`): each chunk is
/// processed when the item's change arrives on the stream, then the item moves on to the
/// next page (a MODIFY: the next chunk) or is deleted. The move is conditional on the item
/// still being at the chunk just processed, so a replayed record recomputes its chunk again
/// (idempotent) and moves nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum ViewJob {
    /// One page of a folder's listing at a time: its documents recomputed (for `contact`,
    /// or, without one, each document's contacts as a job of its own), each subfolder a job
    /// of its own.
    Folder {
        folder: FolderId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        contact: Option<ContactId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cursor: Option<String>,
    },
    /// One page of a document's contacts at a time: `phase` 0 the contacts it has entries
    /// for, 1 those its own shares name, 2 + i those sharing the i-th folder above it.
    Document {
        document: DocumentId,
        phase: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cursor: Option<String>,
    },
}

impl ViewJob {
    /// The job a change starts, if it is a fan-out (a pair is recomputed at once).
    pub fn of(change: &Change) -> Option<(TenantId, Self)> {
        match *change {
            Change::FolderShare { tenant, contact, folder } => {
                Some((tenant, Self::Folder { folder, contact: Some(contact), cursor: None }))
            }
            Change::Subtree { tenant, folder } => Some((tenant, Self::Folder { folder, contact: None, cursor: None })),
            Change::Document { tenant, document } => {
                Some((tenant, Self::Document { document, phase: 0, cursor: None }))
            }
            Change::Pair { .. } | Change::Job { .. } => None,
        }
    }
}

/// The parts of an item a change is read from (both images' type is the same entity).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Share,
    Document,
    Folder,
    /// A fan-out in progress ([`ViewJob`]).
    Job,
    /// Anything else (the index's own items included): no work.
    Other,
}

/// The kind of an item by its sort key, and its tenant by its partition key.
pub fn kind_of(pk: &str, sk: &str) -> Option<(TenantId, Kind)> {
    let tenant: TenantId = pk.strip_prefix("TENANT#")?.parse().ok()?;
    let kind = if sk.starts_with(crate::keys::VIEW_JOB_PREFIX) {
        Kind::Job
    } else if sk.starts_with(crate::keys::SHARE_PREFIX) {
        Kind::Share
    } else if sk.starts_with(crate::keys::DOCUMENT_PREFIX) {
        Kind::Document
    } else if sk.starts_with(crate::keys::FOLDER_PREFIX) {
        Kind::Folder
    } else {
        Kind::Other
    };
    Some((tenant, kind))
}

impl Change {
    /// The work a share's change asks for (its image before or after: the same pair).
    pub fn of_share(tenant: TenantId, share: &Share) -> Self {
        match share.item {
            ItemRef::Document(document) => Self::Pair { tenant, contact: share.contact_id, document },
            ItemRef::Folder(folder) => Self::FolderShare { tenant, contact: share.contact_id, folder },
        }
    }

    /// The work a document's change asks for: none for a customer submission, or when
    /// nothing a listing shows or the rule reads changed.
    pub fn of_document(tenant: TenantId, old: Option<&Document>, new: Option<&Document>) -> Option<Self> {
        let any = new.or(old)?;
        // A submission is never shown; a document available neither before nor after (a
        // pending upload, a rejected one) has no entries and gets none.
        let available = |d: Option<&Document>| d.is_some_and(|d| d.status == crate::domain::DocumentStatus::Available);
        if any.contact_id.is_some() || !(available(old) || available(new)) {
            return None;
        }
        let relevant = |d: &Document| (d.status, d.name.clone(), d.content_type.clone(), d.size, d.folder_id);
        if let (Some(old), Some(new)) = (old, new)
            && relevant(old) == relevant(new)
        {
            return None;
        }
        Some(Self::Document { tenant, document: any.id })
    }

    /// The work a folder's change asks for: a move (or a delete: a deleted folder is empty
    /// today, and a bulk delete's documents bring their own records). A new folder holds
    /// nothing yet; a rename needs nothing (the read shows the folder's live name).
    pub fn of_folder(tenant: TenantId, old: Option<&Folder>, new: Option<&Folder>) -> Option<Self> {
        match (old, new) {
            (Some(old), Some(new)) if old.parent_id == new.parent_id => None,
            (None, Some(_)) | (None, None) => None,
            (Some(folder), _) => Some(Self::Subtree { tenant, folder: folder.id }),
        }
    }
}

#[cfg(feature = "dynamodb")]
mod record {
    //! Stream records as the function gets them: keys and images in DynamoDB's JSON.

    use super::*;

    /// The work one stream record asks for (`None`: nothing; `Err`: an image that does not
    /// read as its entity, which the caller reports as a failed record).
    pub fn change_of_record(
        keys: &serde_dynamo::Item,
        old: &serde_dynamo::Item,
        new: &serde_dynamo::Item,
    ) -> Result<Option<Change>, String> {
        let key = |name: &str| match keys.get(name)? {
            serde_dynamo::AttributeValue::S(value) => Some(value.clone()),
            _ => None,
        };
        let (Some(pk), Some(sk)) = (key(crate::keys::PK), key(crate::keys::SK)) else { return Ok(None) };
        let Some((tenant, kind)) = kind_of(&pk, &sk) else { return Ok(None) };
        fn image<T: serde::de::DeserializeOwned>(item: &serde_dynamo::Item) -> Result<Option<T>, String> {
            if item.is_empty() {
                return Ok(None);
            }
            serde_dynamo::from_item(item.clone()).map(Some).map_err(|e| e.to_string())
        }
        Ok(match kind {
            Kind::Share => {
                let share: Option<Share> = image(new)?.or(image(old)?);
                share.map(|share| Change::of_share(tenant, &share))
            }
            Kind::Document => {
                Change::of_document(tenant, image::<Document>(old)?.as_ref(), image::<Document>(new)?.as_ref())
            }
            Kind::Folder => Change::of_folder(tenant, image::<Folder>(old)?.as_ref(), image::<Folder>(new)?.as_ref()),
            // A job's INSERT or MODIFY is its next chunk; its REMOVE (done) asks for nothing.
            Kind::Job => image::<ViewJob>(new)?.map(|job| Change::Job {
                tenant,
                id: sk.trim_start_matches(crate::keys::VIEW_JOB_PREFIX).to_owned(),
                job,
            }),
            Kind::Other => None,
        })
    }
}

#[cfg(feature = "dynamodb")]
pub use record::change_of_record;

#[cfg(feature = "dynamodb")]
mod maintain {
    //! Applying a change: a pair is recomputed at once; a fan-out becomes a job, processed
    //! a chunk at a time ([`ViewJob`]).

    use super::*;
    use crate::store::{Store, StoreError};

    /// At most this many chunks of a fan-out are done in the invocation that sees the change
    /// (small fan-outs finish there); the rest is a job.
    const INLINE_CHUNKS: usize = 4;

    /// Recomputes what `change` concerns: a pair at once; a fan-out's first chunks at once
    /// (up to [`CHUNK`] pairs), the rest as a job; a job's next chunk. Returns how many pairs
    /// were recomputed.
    pub async fn apply(store: &Store, change: &Change, now: OffsetDateTime) -> Result<usize, StoreError> {
        match change {
            Change::Pair { tenant, contact, document } => {
                crate::telemetry::record_tenant(*tenant);
                store.recompute_view(*tenant, *contact, *document, now).await?;
                Ok(1)
            }
            Change::Job { tenant, id, job } => {
                crate::telemetry::record_tenant(*tenant);
                let mut chain = None;
                let (pairs, next) = chunk(store, *tenant, job, &mut chain, now).await?;
                store.advance_view_job(*tenant, id, job, next.as_ref()).await?;
                Ok(pairs)
            }
            other => {
                let Some((tenant, mut job)) = ViewJob::of(other) else { return Ok(0) };
                crate::telemetry::record_tenant(tenant);
                let (mut pairs, mut chain) = (0, None);
                for _ in 0..INLINE_CHUNKS {
                    let (done, next) = chunk(store, tenant, &job, &mut chain, now).await?;
                    pairs += done;
                    match next {
                        None => return Ok(pairs),
                        Some(next) if pairs < CHUNK as usize => job = next,
                        Some(next) => {
                            job = next;
                            break;
                        }
                    }
                }
                store.start_view_jobs(tenant, &[job], now).await?;
                Ok(pairs)
            }
        }
    }

    /// One chunk of a job: the pairs it recomputed and where the job goes next (`None`:
    /// done). New jobs it finds (subfolders; a moved folder's documents) are started here.
    /// `chain` caches a document's folders above it across the chunks of one invocation.
    async fn chunk(
        store: &Store,
        tenant: TenantId,
        job: &ViewJob,
        chain: &mut Option<Vec<FolderId>>,
        now: OffsetDateTime,
    ) -> Result<(usize, Option<ViewJob>), StoreError> {
        match job {
            ViewJob::Folder { folder, contact, cursor } => {
                let (entries, more) = store.drive_children_chunk(tenant, *folder, cursor.as_deref(), CHUNK).await?;
                let mut jobs = Vec::new();
                let mut pairs = 0;
                for entry in entries {
                    match entry {
                        DriveEntry::Document(document) => match contact {
                            Some(contact) => {
                                store.recompute_view(tenant, *contact, document.id, now).await?;
                                pairs += 1;
                            }
                            None => jobs.push(ViewJob::Document { document: document.id, phase: 0, cursor: None }),
                        },
                        DriveEntry::Folder(child) => {
                            jobs.push(ViewJob::Folder { folder: child.id, contact: *contact, cursor: None })
                        }
                    }
                }
                store.start_view_jobs(tenant, &jobs, now).await?;
                let next =
                    more.map(|cursor| ViewJob::Folder { folder: *folder, contact: *contact, cursor: Some(cursor) });
                Ok((pairs, next))
            }
            ViewJob::Document { document, phase, cursor } => {
                // The folders above it now (a move's old chain is covered by phase 0).
                if chain.is_none() && *phase >= 1 {
                    *chain = Some(store.folder_chain(tenant, *document).await?);
                }
                let folders = chain.as_deref().unwrap_or_default();
                let item = |phase: u32| match phase {
                    0 => None,
                    1 => Some(ItemRef::Document(*document)),
                    level => folders.get((level - 2) as usize).map(|folder| ItemRef::Folder(*folder)),
                };
                let (contacts, more) = match (*phase, item(*phase)) {
                    (0, _) => store.view_contacts_chunk(tenant, *document, cursor.as_deref(), CHUNK).await?,
                    (_, Some(item)) => store.contacts_sharing_chunk(tenant, item, cursor.as_deref(), CHUNK).await?,
                    (_, None) => (Vec::new(), None),
                };
                for contact in &contacts {
                    store.recompute_view(tenant, *contact, *document, now).await?;
                }
                let next = match more {
                    Some(cursor) => {
                        Some(ViewJob::Document { document: *document, phase: *phase, cursor: Some(cursor) })
                    }
                    // Phase 1 always follows phase 0 (the chain is read then).
                    None if *phase == 0 || item(phase + 1).is_some() => {
                        Some(ViewJob::Document { document: *document, phase: phase + 1, cursor: None })
                    }
                    None => None,
                };
                Ok((contacts.len(), next))
            }
        }
    }
}

#[cfg(feature = "dynamodb")]
pub use maintain::apply;

#[cfg(test)]
mod tests;
