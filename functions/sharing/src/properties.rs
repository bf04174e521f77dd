//! Property tests of this function's request body parsers: arbitrary JSON values and
//! arbitrary bytes either parse or are a 4xx, never a panic or a 5xx.

use portal_test_support as support;

use proptest::prelude::*;

use super::{Selection, ShareRequest};

const FIELDS: &[&str] = &["items", "kind", "id", "availableUntil", "contactIds", "organizationId"];

proptest! {
    #[test]
    fn request_bodies_parse_or_are_4xx(value in support::json_value(FIELDS), bytes in support::body_bytes(FIELDS)) {
        if let (Some(selection), _) = support::check_body::<Selection>(&value, &bytes)? {
            let sent = value["items"].as_array().map(Vec::len);
            prop_assert_eq!(Some(selection.items.len()), sent);
        }
        support::check_body::<ShareRequest>(&value, &bytes)?;
    }
}
