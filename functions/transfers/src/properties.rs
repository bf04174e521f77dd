//! Property tests of this function's request body parser: arbitrary JSON values and
//! arbitrary bytes either parse or are a 4xx, never a panic or a 5xx.

use portal_test_support as support;

use proptest::prelude::*;

use super::UploadRequest;

const FIELDS: &[&str] = &["fileName", "contentType", "size", "folderId"];

proptest! {
    #[test]
    fn request_bodies_parse_or_are_4xx(value in support::json_value(FIELDS), bytes in support::body_bytes(FIELDS)) {
        if let (Some(upload), _) = support::check_body::<UploadRequest>(&value, &bytes)? {
            prop_assert_eq!(Some(upload.size), value["size"].as_u64());
        }
    }
}
