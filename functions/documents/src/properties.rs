//! Property tests of this function's request body parsers: arbitrary JSON values and
//! arbitrary bytes either parse or are a 4xx, never a panic or a 5xx.

use portal_test_support as support;

use proptest::prelude::*;

use super::{DocumentChanges, FolderChanges, NewFolder};

const FIELDS: &[&str] = &["name", "parentId", "folderId"];

proptest! {
    #[test]
    fn request_bodies_parse_or_are_4xx(value in support::json_value(FIELDS), bytes in support::body_bytes(FIELDS)) {
        if let (Some(folder), _) = support::check_body::<NewFolder>(&value, &bytes)? {
            prop_assert!(!folder.name.as_str().contains('/'));
        }
        if let (Some(changes), _) = support::check_body::<FolderChanges>(&value, &bytes)? {
            // Absent keeps the folder where it is; `null` moves it to the root.
            match value.get("parentId") {
                None => prop_assert!(changes.parent_id.is_none()),
                Some(serde_json::Value::Null) => prop_assert_eq!(changes.parent_id, Some(None)),
                Some(_) => prop_assert!(matches!(changes.parent_id, Some(Some(_)))),
            }
        }
        support::check_body::<DocumentChanges>(&value, &bytes)?;
    }
}
