//! Keyset paging over several newest-first streams shown as one list: a customer's
//! submissions at every company, one GSI1 partition (`TENANT#{t}#SUBMITTED#{contactId}`)
//! per company. A page reads at most one page (`Limit = limit`) of each stream, from
//! where the list stands, merges them by key, newest first, and returns the first `limit`.
//!
//! Where each stream continues — right after the last item returned from it — is, for
//! every stream, right after the last item of the page: anything of any stream between the
//! two would be newer than the page's last item and so would have been returned before it
//! (the merge never returns an item below the last one read from a stream that has more,
//! see [`merge_page`]). So the cursor holds that one position (`after`) for all streams,
//! plus the streams known to be exhausted (`done`), which are not queried again. It holds
//! no partition: the caller applies the position inside its own streams only, so a crafted
//! cursor can move where the caller's own lists start and nothing else. A stream that is
//! new since the previous page (a company that gave access meanwhile) also starts there,
//! keeping the list newest first; one that is gone is simply not read.
//!
//! Keys must be unique across streams and follow each stream's order (document ids:
//! UUIDv7, the index's sort order).

use std::collections::BTreeSet;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{Page, PageRequest};
use crate::error::ApiError;

/// At most this many exhausted streams are recorded (more are simply read again: an
/// exhausted stream's query returns nothing), which bounds the cursor's size.
pub const MAX_DONE: usize = 50;
/// The longest cursor taken (50 UUIDs and one more fit with room to spare).
pub const MAX_CURSOR_CHARS: usize = 4096;

/// Where a merged list continues: in every stream right after `after`, except the
/// streams in `done`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    bound(serialize = "S: Serialize, K: Serialize", deserialize = "S: Ord + DeserializeOwned, K: DeserializeOwned")
)]
pub struct MergeCursor<S: Ord, K> {
    pub after: K,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub done: BTreeSet<S>,
}

impl<S: Ord + Serialize + DeserializeOwned, K: Serialize + DeserializeOwned> MergeCursor<S, K> {
    pub fn encode(&self) -> String {
        super::encode_json(self)
    }

    pub fn decode(text: &str) -> Result<Self, ApiError> {
        if text.len() > MAX_CURSOR_CHARS {
            return Err(super::not_valid());
        }
        let cursor: Self = super::decode_json(text)?;
        if cursor.done.len() > MAX_DONE {
            return Err(super::not_valid());
        }
        Ok(cursor)
    }
}

/// A page request of a merged list, parsed from `?limit=&cursor=` (the limit as for
/// every list: [`PageRequest::parse`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeRequest<S: Ord, K> {
    pub limit: i32,
    pub cursor: Option<MergeCursor<S, K>>,
}

impl<S: Ord + Serialize + DeserializeOwned, K: Serialize + DeserializeOwned> MergeRequest<S, K> {
    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> Result<Self, ApiError> {
        let limit = PageRequest::parse(limit, None)?.limit;
        let cursor = cursor.filter(|c| !c.is_empty()).map(MergeCursor::decode).transpose()?;
        Ok(Self { limit, cursor })
    }

    /// Where every stream continues (`None`: from its newest item).
    pub fn after(&self) -> Option<&K> {
        self.cursor.as_ref().map(|cursor| &cursor.after)
    }

    /// Whether `stream` was exhausted by an earlier page (it need not be read).
    pub fn is_done(&self, stream: &S) -> bool {
        self.cursor.as_ref().is_some_and(|cursor| cursor.done.contains(stream))
    }
}

/// What one query of one stream returned: its items, newest first, and whether it
/// stopped with more to read (`LastEvaluatedKey`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRead<S, T> {
    pub stream: S,
    pub items: Vec<T>,
    pub more: bool,
}

impl<S, T> StreamRead<S, T> {
    /// A stream an earlier page exhausted, not read again.
    pub fn done(stream: S) -> Self {
        Self { stream, items: Vec::new(), more: false }
    }
}

/// One page of a merged list and where the next one starts (`None`: this was the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged<S: Ord, T, K> {
    pub items: Vec<T>,
    pub next: Option<MergeCursor<S, K>>,
}

impl<S: Ord + Serialize + DeserializeOwned, T, K: Serialize + DeserializeOwned> Merged<S, T, K> {
    /// The page as every list answers it (`{items, nextCursor?}`).
    pub fn into_page(self) -> Page<T> {
        Page { items: self.items, next_cursor: self.next.map(|cursor| cursor.encode()) }
    }
}

/// Merges one read of each stream into a page of at most `limit` items, newest (largest
/// key) first.
///
/// Below the last item read from a stream that has more, that stream's next items are
/// unknown, so no item under the highest such point is returned yet (with `Limit = limit`
/// this never shortens a page: that stream alone has `limit` items at or above it; it
/// matters when DynamoDB stops early at 1 MB). Read items not returned are not lost: the
/// next page starts right after the last item returned, in every stream. A stream is
/// exhausted when its query had no more and all it read was returned.
pub fn merge_page<S, T, K>(limit: usize, reads: Vec<StreamRead<S, T>>, key: impl Fn(&T) -> K) -> Merged<S, T, K>
where
    S: Ord,
    K: Ord,
{
    let floor = reads.iter().filter(|read| read.more).filter_map(|read| read.items.last().map(&key)).max();
    let mut streams = Vec::with_capacity(reads.len());
    let mut candidates = Vec::new();
    for (index, read) in reads.into_iter().enumerate() {
        streams.push((read.stream, read.more, read.items.len()));
        candidates.extend(read.items.into_iter().map(|item| (key(&item), index, item)));
    }
    // Newest first; equal keys (not expected) in stream order, so the order is total.
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let eligible = candidates.iter().take_while(|(k, ..)| floor.as_ref().is_none_or(|floor| k >= floor)).count();
    let mut returned = vec![0; streams.len()];
    let mut after = None;
    let mut items = Vec::with_capacity(limit.min(eligible));
    for (k, index, item) in candidates.into_iter().take(limit.min(eligible)) {
        returned[index] += 1;
        after = Some(k);
        items.push(item);
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
    // Bounded: a stream left out is read again, and being exhausted returns nothing.
    while done.len() > MAX_DONE {
        done.pop_last();
    }
    // Nothing returned while a stream has more (only an empty read that says "more", which
    // DynamoDB does not give without a filter): no position to continue from, so the list ends.
    let next = match after {
        Some(after) if open => Some(MergeCursor { after, done }),
        _ => None,
    };
    Merged { items, next }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    type Stream = char;
    /// A document as the merge sees it: (id, when) — ids sort like the index (UUIDv7).
    type Doc = (u32, u32);

    /// The streams as they are stored, each newest first, queried like DynamoDB:
    /// `Limit`, a start position, and "more" when the limit stopped it.
    struct Store {
        streams: BTreeMap<Stream, Vec<Doc>>,
        queries: usize,
        /// DynamoDB's 1 MB stop, in items (`None`: never).
        stops_at: Option<usize>,
    }

    impl Store {
        fn new(streams: &[(Stream, &[u32])]) -> Self {
            let streams = streams
                .iter()
                .map(|(name, ids)| {
                    let mut docs: Vec<Doc> = ids.iter().map(|id| (*id, id / 10)).collect();
                    docs.sort_by(|a, b| b.cmp(a));
                    (*name, docs)
                })
                .collect();
            Self { streams, queries: 0, stops_at: None }
        }

        fn query(&mut self, stream: Stream, after: Option<u32>, limit: usize) -> StreamRead<Stream, Doc> {
            self.queries += 1;
            let rest: Vec<Doc> =
                self.streams[&stream].iter().copied().filter(|doc| after.is_none_or(|after| doc.0 < after)).collect();
            let take = limit.min(self.stops_at.unwrap_or(usize::MAX));
            // Stopped by `Limit`: "more" even when nothing is left; stopped by size: if anything is.
            let more = if take == limit { rest.len() >= limit } else { rest.len() > take };
            StreamRead { stream, items: rest.into_iter().take(take).collect(), more }
        }

        /// One page the way the handler makes it: done streams are not read.
        fn page(&mut self, streams: &[Stream], limit: i32, cursor: Option<&str>) -> Page<Doc> {
            let request = MergeRequest::<Stream, u32>::parse(Some(&limit.to_string()), cursor).unwrap();
            let reads = streams
                .iter()
                .map(|stream| {
                    if request.is_done(stream) {
                        StreamRead::done(*stream)
                    } else {
                        self.query(*stream, request.after().copied(), request.limit as usize)
                    }
                })
                .collect();
            merge_page(request.limit as usize, reads, |doc| doc.0).into_page()
        }

        /// Every page, in order (at most 1000 pages).
        fn all_pages(&mut self, streams: &[Stream], limit: i32) -> Vec<Vec<u32>> {
            let mut pages = Vec::new();
            let mut cursor = None;
            for _ in 0..1000 {
                let page = self.page(streams, limit, cursor.as_deref());
                pages.push(page.items.iter().map(|doc| doc.0).collect());
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => return pages,
                }
            }
            panic!("paging did not end");
        }
    }

    fn cursor(after: u32, done: &[Stream]) -> MergeCursor<Stream, u32> {
        MergeCursor { after, done: done.iter().copied().collect() }
    }

    #[test]
    fn a_page_interleaves_the_streams_newest_first() {
        let mut store = Store::new(&[('a', &[90, 70, 50, 30]), ('b', &[80, 60, 40])]);
        let page = store.page(&['a', 'b'], 3, None);
        assert_eq!(page.items.iter().map(|d| d.0).collect::<Vec<_>>(), [90, 80, 70]);
        let next = MergeCursor::<Stream, u32>::decode(page.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(next, cursor(70, &[]));
        assert_eq!(store.all_pages(&['a', 'b'], 3), [vec![90, 80, 70], vec![60, 50, 40], vec![30]]);
    }

    #[test]
    fn items_read_beyond_the_page_come_on_the_next_one() {
        // Both streams read 2; the page returns 90 and 80: a's 70 was read and not returned.
        let reads = vec![
            StreamRead { stream: 'a', items: vec![(90, 9), (70, 7)], more: true },
            StreamRead { stream: 'b', items: vec![(80, 8)], more: false },
        ];
        let merged = merge_page(2, reads, |doc: &Doc| doc.0);
        assert_eq!(merged.items, [(90, 9), (80, 8)]);
        // b is exhausted (everything it read was returned); a continues after 80, so 70 comes next.
        assert_eq!(merged.next, Some(cursor(80, &['b'])));
        let mut store = Store::new(&[('a', &[90, 70]), ('b', &[80])]);
        assert_eq!(store.all_pages(&['a', 'b'], 2), [vec![90, 80], vec![70]]);
    }

    #[test]
    fn the_same_instant_at_two_companies_is_ordered_by_id_and_split_without_loss() {
        // 41 and 42 were created in the same instant (4) at two companies; so were 31 and 32.
        let mut store = Store::new(&[('a', &[42, 31, 10]), ('b', &[41, 32, 11])]);
        let pages = store.all_pages(&['a', 'b'], 1);
        assert_eq!(pages.concat(), [42, 41, 32, 31, 11, 10]);
        assert!(pages.iter().all(|page| page.len() <= 1), "{pages:?}");
        assert_eq!(store.all_pages(&['a', 'b'], 3), [vec![42, 41, 32], vec![31, 11, 10]]);
    }

    #[test]
    fn exhausted_streams_are_recorded_and_not_read_again() {
        let mut store = Store::new(&[('a', &[90, 80, 70, 60, 50]), ('b', &[85]), ('c', &[])]);
        let first = store.page(&['a', 'b', 'c'], 2, None);
        assert_eq!(store.queries, 3);
        let next = MergeCursor::<Stream, u32>::decode(first.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(next, cursor(85, &['b', 'c']));
        let second = store.page(&['a', 'b', 'c'], 2, first.next_cursor.as_deref());
        assert_eq!(store.queries, 4, "only a is read again");
        assert_eq!(second.items.iter().map(|d| d.0).collect::<Vec<_>>(), [80, 70]);
        // The last page: a's query stops at the limit, so one more (empty) page ends the list.
        let mut store = Store::new(&[('a', &[90, 80]), ('b', &[])]);
        assert_eq!(store.all_pages(&['a', 'b'], 2), [vec![90, 80], vec![]]);
        let mut store = Store::new(&[('a', &[]), ('b', &[])]);
        assert_eq!(store.all_pages(&['a', 'b'], 2), [Vec::<u32>::new()]);
    }

    #[test]
    fn a_company_removed_between_pages_is_no_longer_read_or_shown() {
        let mut store = Store::new(&[('a', &[90, 70, 50]), ('b', &[80, 60, 40])]);
        let first = store.page(&['a', 'b'], 2, None);
        assert_eq!(first.items.iter().map(|d| d.0).collect::<Vec<_>>(), [90, 80]);
        let queries = store.queries;
        let second = store.page(&['a'], 2, first.next_cursor.as_deref());
        assert_eq!(store.queries, queries + 1);
        assert_eq!(second.items.iter().map(|d| d.0).collect::<Vec<_>>(), [70, 50]);
        // b is not recorded as exhausted: it is just not there any more.
        let next = MergeCursor::<Stream, u32>::decode(second.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(next, cursor(50, &[]));
        // A company added since starts where the list stands (nothing newer is slipped in).
        let mut store = Store::new(&[('a', &[90, 70, 50]), ('b', &[95, 60])]);
        let first = store.page(&['a'], 2, None);
        let second = store.page(&['a', 'b'], 2, first.next_cursor.as_deref());
        assert_eq!(second.items.iter().map(|d| d.0).collect::<Vec<_>>(), [60, 50]);
    }

    #[test]
    fn a_stream_that_stopped_early_holds_the_others_back() {
        // a stopped after one item (DynamoDB's 1 MB) with more to read: 85 may follow 90, so
        // b's 80 cannot be returned yet.
        let reads = vec![
            StreamRead { stream: 'a', items: vec![(90, 9)], more: true },
            StreamRead { stream: 'b', items: vec![(80, 8), (70, 7)], more: false },
        ];
        let merged = merge_page(5, reads, |doc: &Doc| doc.0);
        assert_eq!(merged.items, [(90, 9)]);
        assert_eq!(merged.next, Some(cursor(90, &[])));
        let mut store = Store::new(&[('a', &[90, 85, 75]), ('b', &[80, 70])]);
        store.stops_at = Some(1);
        assert_eq!(store.all_pages(&['a', 'b'], 5).concat(), [90, 85, 80, 75, 70]);
    }

    #[test]
    fn the_done_set_is_bounded() {
        // Sixty empty streams and one with more than a page.
        let mut reads: Vec<StreamRead<u32, u32>> = (0..(MAX_DONE as u32 + 10)).map(StreamRead::done).collect();
        reads.push(StreamRead { stream: 1000, items: vec![2, 1], more: true });
        let merged = merge_page(1, reads, |id: &u32| *id);
        assert_eq!(merged.items, [2]);
        let next = merged.next.unwrap();
        assert_eq!(next.done.len(), MAX_DONE);
        let text = next.encode();
        assert!(text.len() <= MAX_CURSOR_CHARS);
        assert_eq!(MergeCursor::<u32, u32>::decode(&text).unwrap(), next);
    }

    #[test]
    fn cursors_round_trip_and_anything_else_is_refused() {
        let cursor =
            MergeCursor { after: "0190a8c4-0000-7000-8000-000000000001".to_owned(), done: BTreeSet::from([7u8]) };
        assert_eq!(MergeCursor::decode(&cursor.encode()).unwrap(), cursor);
        let bad = |json: &str| MergeCursor::<u8, String>::decode(&URL_SAFE_NO_PAD.encode(json));
        assert!(bad(r#"{"after":"x"}"#).is_ok());
        for json in [
            "{}",
            r#"{"after":1}"#,
            r#"{"after":"x","done":"7"}"#,
            r#"{"after":"x","PK":"TENANT#other"}"#,
            r#"{"PK":"TENANT#a","SK":"DOC#b"}"#,
            "[]",
            "not json",
        ] {
            assert_eq!(bad(json), Err(ApiError::Malformed("cursor is not valid".into())), "{json}");
        }
        let many: Vec<u32> = (0..=MAX_DONE as u32).collect();
        let too_many = serde_json::json!({ "after": "x", "done": many }).to_string();
        assert!(MergeCursor::<u32, String>::decode(&URL_SAFE_NO_PAD.encode(too_many)).is_err());
        let long = serde_json::json!({ "after": "x".repeat(MAX_CURSOR_CHARS) }).to_string();
        assert!(MergeCursor::<u32, String>::decode(&URL_SAFE_NO_PAD.encode(long)).is_err());
        assert!(MergeCursor::<u32, String>::decode("%%%").is_err());
        assert!(MergeRequest::<u32, String>::parse(Some("0"), None).is_err());
        assert!(MergeRequest::<u32, String>::parse(Some("101"), None).is_err());
        let first = MergeRequest::<u32, String>::parse(None, Some("")).unwrap();
        assert_eq!((first.limit, first.after(), first.is_done(&1)), (super::super::DEFAULT_LIMIT, None, false));
    }

    proptest! {
        /// Paging through any streams with any page size returns every item exactly once,
        /// newest first, whatever DynamoDB's early stops.
        #[test]
        fn paging_returns_everything_once_newest_first(
            ids in prop::collection::btree_set(1u32..10_000, 0..80),
            split in prop::collection::vec(0usize..4, 80),
            limit in 1i32..12,
            stops_at in prop::option::of(1usize..5),
        ) {
            let names = ['a', 'b', 'c', 'd'];
            let mut by_stream: BTreeMap<Stream, Vec<u32>> = names.iter().map(|n| (*n, Vec::new())).collect();
            for (id, stream) in ids.iter().zip(&split) {
                by_stream.get_mut(&names[*stream]).unwrap().push(*id);
            }
            let streams: Vec<(Stream, &[u32])> = by_stream.iter().map(|(n, ids)| (*n, ids.as_slice())).collect();
            let mut store = Store::new(&streams);
            store.stops_at = stops_at;
            let pages = store.all_pages(&names, limit);
            let mut expected: Vec<u32> = ids.iter().copied().collect();
            expected.reverse();
            prop_assert_eq!(pages.concat(), expected);
            prop_assert!(pages.iter().all(|page| page.len() <= limit as usize));
            if stops_at.is_none() {
                // Full reads: every page but the last is full.
                let full = pages.len().saturating_sub(1);
                prop_assert!(pages[..full].iter().all(|page| page.len() == limit as usize), "{:?}", pages);
            }
            // At most one query per stream per page.
            prop_assert!(store.queries <= pages.len() * names.len());
        }
    }
}
