//! The request bodies of the auth routes, parsed once into typed values.

use portal_shared::domain::Email;
use portal_shared::rate_limit::Purpose;
use portal_shared::secrets::{ConfirmationCode, Password};
use serde::Deserialize;

/// Which user pool (app client) a sign-in is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pool {
    Staff,
    Customer,
}

impl Pool {
    /// The rate-limit counters of each kind of attempt are separate per pool.
    pub(crate) fn login_purpose(self) -> Purpose {
        match self {
            Self::Staff => Purpose::StaffLogin,
            Self::Customer => Purpose::CustomerLogin,
        }
    }

    pub(crate) fn forgot_purpose(self) -> Purpose {
        match self {
            Self::Staff => Purpose::StaffForgotPassword,
            Self::Customer => Purpose::ForgotPassword,
        }
    }

    pub(crate) fn reset_purpose(self) -> Purpose {
        match self {
            Self::Staff => Purpose::StaffResetPassword,
            Self::Customer => Purpose::ResetPassword,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Login {
    pub(crate) email: Email,
    pub(crate) password: Password,
}

/// The answer to the NEW_PASSWORD_REQUIRED challenge of a first sign-in.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct NewPassword {
    pub(crate) email: Email,
    pub(crate) session: Session,
    pub(crate) new_password: Password,
}

/// Cognito's opaque challenge session, passed back as it came.
#[derive(Deserialize)]
#[serde(try_from = "String")]
pub(crate) struct Session(pub(crate) String);

impl TryFrom<String> for Session {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        if value.is_empty() || value.len() > 4096 {
            Err("must be 1 to 4096 characters".into())
        } else {
            Ok(Self(value))
        }
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Session(***)")
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Forgot {
    pub(crate) email: Email,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Reset {
    pub(crate) email: Email,
    pub(crate) code: ConfirmationCode,
    pub(crate) new_password: Password,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Refresh {
    pub(crate) refresh_token: String,
}
