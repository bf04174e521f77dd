//! Property tests of this function's request body parsers: arbitrary JSON values and
//! arbitrary bytes either parse or are a 4xx, never a panic or a 5xx.

use portal_test_support as support;

use proptest::prelude::*;

use super::{ContactChanges, MyChanges, NewContact, OrganizationInput};

const FIELDS: &[&str] = &["email", "name", "organizationId", "language", "notifySubmissions", "submissionsSeenAt"];

proptest! {
    #[test]
    fn request_bodies_parse_or_are_4xx(value in support::json_value(FIELDS), bytes in support::body_bytes(FIELDS)) {
        support::check_body::<NewContact>(&value, &bytes)?;
        support::check_body::<OrganizationInput>(&value, &bytes)?;
        support::check_body::<MyChanges>(&value, &bytes)?;
        if let (Some(changes), _) = support::check_body::<ContactChanges>(&value, &bytes)? {
            // Absent leaves the organization alone; `null` takes the contact out of it.
            match value.get("organizationId") {
                None => prop_assert!(changes.organization_id.is_none()),
                Some(serde_json::Value::Null) => prop_assert_eq!(changes.organization_id, Some(None)),
                Some(_) => prop_assert!(matches!(changes.organization_id, Some(Some(_)))),
            }
        }
    }
}
