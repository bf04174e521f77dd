//! Property tests of this function's request body parsers: arbitrary JSON values and
//! arbitrary bytes either parse or are a 4xx, never a panic or a 5xx.

use portal_test_support as support;

use proptest::prelude::*;

use super::{Confirmation, Registration, Resend};

const FIELDS: &[&str] = &["token", "password", "email", "code", "companyName", "slug", "name", "inviteCode"];

proptest! {
    #[test]
    fn request_bodies_parse_or_are_4xx(value in support::json_value(FIELDS), bytes in support::body_bytes(FIELDS)) {
        support::check_body::<Registration>(&value, &bytes)?;
        support::check_body::<Confirmation>(&value, &bytes)?;
        support::check_body::<Resend>(&value, &bytes)?;
        support::check_body::<crate::company::SignUpRequest>(&value, &bytes)?;
        support::check_body::<crate::company::Verification>(&value, &bytes)?;
        support::check_body::<crate::company::Resend>(&value, &bytes)?;
    }
}
