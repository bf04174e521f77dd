//! Property tests of this function's request body parsers: arbitrary JSON values and
//! arbitrary bytes either parse or are a 4xx, never a panic or a 5xx.

use portal_test_support as support;

use proptest::prelude::*;

use super::{Forgot, Login, NewPassword, Refresh, Reset};

const FIELDS: &[&str] = &["email", "password", "session", "newPassword", "code", "refreshToken"];

proptest! {
    #[test]
    fn request_bodies_parse_or_are_4xx(value in support::json_value(FIELDS), bytes in support::body_bytes(FIELDS)) {
        support::check_body::<Login>(&value, &bytes)?;
        support::check_body::<NewPassword>(&value, &bytes)?;
        support::check_body::<Forgot>(&value, &bytes)?;
        support::check_body::<Reset>(&value, &bytes)?;
        support::check_body::<Refresh>(&value, &bytes)?;
    }
}
