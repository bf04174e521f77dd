//! Property tests of this function's request body parsers: arbitrary JSON values and
//! arbitrary bytes either parse or are a 4xx, never a panic or a 5xx.

use portal_test_support as support;

use proptest::prelude::*;

use super::{Invitation, LogoUpload, RoleChange, SettingsChanges};

const FIELDS: &[&str] = &["name", "accentColor", "notifyAccessClosed", "contentType", "size", "email", "role"];

proptest! {
    #[test]
    fn request_bodies_parse_or_are_4xx(value in support::json_value(FIELDS), bytes in support::body_bytes(FIELDS)) {
        support::check_body::<SettingsChanges>(&value, &bytes)?;
        support::check_body::<LogoUpload>(&value, &bytes)?;
        support::check_body::<Invitation>(&value, &bytes)?;
        support::check_body::<RoleChange>(&value, &bytes)?;
    }
}
