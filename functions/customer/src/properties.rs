//! Property tests of this function's parsers: the request bodies, and the personal space's
//! query string (search, filters, sort, page cursor). Arbitrary input either parses or is
//! a 4xx, never a panic or a 5xx; a parsed query stays within its bounds.

use portal_test_support as support;

use std::collections::BTreeMap;

use super::{PreferencesInput, Query, UploadRequest};
use portal_shared::domain::DocumentId;
use portal_shared::personal_space::SpaceCursor;
use proptest::prelude::*;

const FIELDS: &[&str] = &["fileName", "contentType", "size", "emailNotifications", "mutedCompanies", "language"];

const PARAMS: &[&str] = &["q", "company", "folder", "type", "from", "to", "sort", "order", "limit", "cursor"];

/// A cursor of the space's shape: a tagged key (valid or not) and no company done.
fn cursor_of(after: String) -> String {
    SpaceCursor { after, done: Default::default() }.encode()
}

fn query_value() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => support::any_text(),
        1 => prop::sample::select(vec!["name", "date", "size", "asc", "desc", "image", "application/pdf", "1", "100", "101"])
            .prop_map(str::to_owned),
        1 => (0..u64::MAX, prop::sample::select(vec!["d:", "n:", "s:", "w:", "x:"]))
            .prop_map(|(n, tag)| cursor_of(format!("{tag}{n:015}#{}", DocumentId::new()))),
        1 => support::any_text().prop_map(cursor_of),
    ]
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
    ) {
        let params: BTreeMap<String, String> = params;
        match Query::parse(|name| params.get(name).cloned()) {
            Err(err) => prop_assert!(err.status().is_client_error(), "{}", err),
            Ok(query) => {
                prop_assert!((1..=100).contains(&query.limit));
                prop_assert!(query.words.len() <= portal_shared::view::MAX_WORDS);
                let (range, filter) = query.plan();
                prop_assert_eq!(range.order, query.order());
                prop_assert!(filter.words.len() < portal_shared::view::MAX_WORDS);
                // A parsed cursor's key goes back out unchanged.
                if let Some(after) = &query.after {
                    let again = Query::parse(|name| match name {
                        "cursor" => Some(query.cursor(after.clone(), query.done.clone())),
                        other => params.get(other).cloned(),
                    });
                    let again = again.unwrap();
                    prop_assert_eq!(again.after.as_deref(), Some(after.as_str()));
                }
            }
        }
    }
}
