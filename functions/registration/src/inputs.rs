//! The request bodies of customer registration, parsed once into typed values.

use portal_shared::domain::Email;
use portal_shared::secrets::{ConfirmationCode, Password};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Registration {
    pub(crate) token: String,
    pub(crate) password: Password,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Confirmation {
    pub(crate) email: Email,
    pub(crate) code: ConfirmationCode,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Resend {
    pub(crate) email: Email,
}
