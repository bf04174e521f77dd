//! Property tests of this function's parsers: the request bodies, and the personal space's
//! query string (search, filters, sort, page cursor). Arbitrary input either parses or is
//! a 4xx, never a panic or a 5xx; a parsed query stays within its bounds.

use portal_test_support as support;

use std::collections::BTreeMap;

use proptest::prelude::*;
use time::OffsetDateTime;

use super::{
    CompanyView, Incoming, PreferencesInput, Query, SharedDocument, UploadRequest, decode_offset, encode_offset,
};
use portal_shared::domain::{DocumentId, TenantId};

const FIELDS: &[&str] = &["fileName", "contentType", "size", "emailNotifications", "mutedCompanies", "language"];

const PARAMS: &[&str] = &["q", "company", "folder", "type", "from", "to", "sort", "order", "limit", "cursor"];

fn query_value() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => support::any_text(),
        1 => prop::sample::select(vec!["name", "date", "size", "asc", "desc", "image", "application/pdf", "1", "100", "101"])
            .prop_map(str::to_owned),
        1 => (0..2_000_000usize).prop_map(encode_offset),
    ]
}

fn items() -> impl Strategy<Value = Vec<Incoming>> {
    let item = (
        support::any_text(),
        prop::sample::select(vec!["application/pdf", "image/png", "text/plain"]),
        any::<u64>(),
        0..400i64,
    )
        .prop_filter_map("a file name", |(name, content_type, size, days_ago)| {
            Some(Incoming {
                document: SharedDocument {
                    id: DocumentId::new(),
                    name: name.parse().ok()?,
                    content_type: content_type.parse().unwrap(),
                    size,
                },
                company: CompanyView {
                    tenant_id: TenantId::new(),
                    name: "Acme".parse().unwrap(),
                    slug: "acme".parse().unwrap(),
                    accent_color: None,
                    logo_path: None,
                },
                folder: None,
                shared_by: "Acme".parse().unwrap(),
                shared_at: OffsetDateTime::now_utc() - time::Duration::days(days_ago),
                available_until: None,
                folder_ids: Vec::new(),
            })
        });
    prop::collection::vec(item, 0..8)
}

proptest! {
    #[test]
    fn request_bodies_parse_or_are_4xx(value in support::json_value(FIELDS), bytes in support::body_bytes(FIELDS)) {
        support::check_body::<UploadRequest>(&value, &bytes)?;
        support::check_body::<PreferencesInput>(&value, &bytes)?;
    }

    #[test]
    fn space_queries_parse_within_bounds_or_are_4xx(
        params in prop::collection::btree_map(
            prop_oneof![6 => prop::sample::select(PARAMS).prop_map(str::to_owned), 1 => support::hostile_string()],
            query_value(),
            0..6,
        ),
        items in items(),
    ) {
        let params: BTreeMap<String, String> = params;
        match Query::parse(|name| params.get(name).cloned()) {
            Err(err) => prop_assert!(err.status().is_client_error(), "{}", err),
            Ok(query) => {
                prop_assert!((1..=100).contains(&query.limit));
                prop_assert!(query.offset <= 1_000_000);
                if let Some(text) = &query.text {
                    prop_assert!(!text.is_empty() && text.chars().count() <= 200);
                }
                let count = items.len();
                let page = query.apply(items);
                prop_assert!(page.items.len() <= query.limit);
                prop_assert!(page.total <= count);
                if let Some(cursor) = &page.next_cursor {
                    let next = decode_offset(cursor).unwrap();
                    prop_assert!(next > query.offset && next < page.total);
                }
            }
        }
    }

    #[test]
    fn page_cursors_round_trip_or_are_400(offset in 0..=1_000_000usize, garbage in support::any_text()) {
        prop_assert_eq!(decode_offset(&encode_offset(offset)).ok(), Some(offset));
        match decode_offset(&garbage) {
            Ok(offset) => prop_assert!(offset <= 1_000_000),
            Err(err) => prop_assert_eq!(err.status().as_u16(), 400),
        }
    }
}
