//! Company self-service sign-up: who may sign up (the operator's `CompanySignUp` choice),
//! the records of a sign-up, its email verification token and the operator's invite codes.
//!
//! A sign-up is keyed by the first admin's email (`COMPANYSIGNUP#{email}`). It is claimed
//! in one transaction with the portal slug's guard, the `unverified` tenant and, in
//! `invite-code` mode, the code; only then is the staff account created in Cognito
//! (disabled), and the record notes its `sub`. A retry by the same email finds the record
//! and completes what is missing; verification enables the account and, in one
//! transaction, uses the token, makes the tenant active, writes the admin's membership and
//! marks the record verified. See `docs/data-model.md` and `functions/registration`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::config::{self, ConfigError};
use crate::domain::{DisplayName, Email, Slug, TenantId, UserSub};

/// The template parameter `CompanySignUp`, given to the registration function as
/// `COMPANY_SIGNUP`.
pub const COMPANY_SIGNUP: &str = "COMPANY_SIGNUP";

/// Who may create a company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignUpMode {
    /// Anyone, from the dashboard's sign-up page.
    Open,
    /// Only with a one-time code the operator issued.
    InviteCode,
    /// Nobody through the API: the operator creates companies.
    Closed,
}

impl SignUpMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::InviteCode => "invite-code",
            Self::Closed => "closed",
        }
    }

    /// From `COMPANY_SIGNUP`: required, and one of the three values (else the cold start fails).
    pub fn read(env: &dyn config::Source) -> Result<Self, ConfigError> {
        let text = config::required(env, COMPANY_SIGNUP)?;
        text.parse().map_err(|_| ConfigError::Invalid(COMPANY_SIGNUP, text))
    }
}

impl FromStr for SignUpMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "open" => Ok(Self::Open),
            "invite-code" => Ok(Self::InviteCode),
            "closed" => Ok(Self::Closed),
            other => Err(format!("{other:?} is not open, invite-code or closed")),
        }
    }
}

impl fmt::Display for SignUpMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long a verification link works.
pub const VERIFICATION_VALID_HOURS: i64 = 48;

/// After how long an unverified sign-up is abandoned: a new sign-up of its slug undoes it
/// and takes the slug (a resent link is valid 48 hours, so this leaves days to verify).
pub const ABANDONED_AFTER_DAYS: i64 = 7;

impl CompanySignup {
    /// Whether this sign-up was never verified and is older than [`ABANDONED_AFTER_DAYS`].
    pub fn is_abandoned(&self, now: OffsetDateTime) -> bool {
        self.verified_at.is_none() && now - self.created_at > time::Duration::days(ABANDONED_AFTER_DAYS)
    }
}

/// A company sign-up: `COMPANYSIGNUP#{email}` / `COMPANYSIGNUP`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompanySignup {
    pub email: Email,
    pub tenant_id: TenantId,
    pub slug: Slug,
    pub company_name: DisplayName,
    pub admin_name: DisplayName,
    /// The staff account's `sub`, once Cognito has it (created disabled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<UserSub>,
    /// The invite code's hash this sign-up used (`invite-code` mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_hash: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<OffsetDateTime>,
}

/// An email verification token: `VERIFY#{sha256}` / `VERIFY`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationToken {
    pub email: Email,
    pub tenant_id: TenantId,
    #[serde(with = "time::serde::rfc3339")]
    pub valid_until: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub used_at: Option<OffsetDateTime>,
}

/// A one-time invite code: `SIGNUPCODE#{sha256}` / `SIGNUPCODE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteCode {
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// `None`: the code never expires (it still works once).
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub used_at: Option<OffsetDateTime>,
    /// The email of the sign-up that used it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_by: Option<Email>,
}

/// The staff pool's password policy (`resources::STAFF_POOL`: at least 12 characters with
/// upper and lower case, a digit and a symbol), checked before anything is claimed so that
/// a weak password never leaves a half-made sign-up. Cognito checks it again.
pub fn check_staff_password(password: &str) -> Result<(), String> {
    let min = crate::resources::STAFF_POOL.password_min_length as usize;
    let ok = password.chars().count() >= min
        && password.chars().any(|c| c.is_ascii_uppercase())
        && password.chars().any(|c| c.is_ascii_lowercase())
        && password.chars().any(|c| c.is_ascii_digit())
        && password.chars().any(|c| !c.is_alphanumeric() && !c.is_whitespace());
    if ok {
        Ok(())
    } else {
        Err(format!("must be at least {min} characters with upper and lower case letters, a digit and a symbol"))
    }
}

/// Issues a one-time sign-up invite code (for `CompanySignUp = invite-code`): stores only its
/// SHA-256 and returns the plain code, to be handed to the company by the operator.
/// `valid_for`: how long it works (`None`: until used). Called by the operator command.
#[cfg(feature = "dynamodb")]
pub async fn issue_invite_code(
    store: &crate::store::Store,
    valid_for: Option<time::Duration>,
) -> Result<String, crate::ApiError> {
    let code = crate::tokens::new_token();
    let now = OffsetDateTime::now_utc();
    let record = InviteCode { issued_at: now, valid_until: valid_for.map(|d| now + d), used_at: None, used_by: None };
    store.put_invite_code(&crate::tokens::hash(&code), &record).await?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_exactly_the_template_values() {
        for mode in [SignUpMode::Open, SignUpMode::InviteCode, SignUpMode::Closed] {
            assert_eq!(mode.as_str().parse::<SignUpMode>(), Ok(mode));
            assert_eq!(serde_json::to_value(mode).unwrap(), mode.as_str());
        }
        for bad in ["", "Open", "invite", "invite_code", "yes"] {
            assert!(bad.parse::<SignUpMode>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_old_unverified_sign_ups_are_abandoned() {
        let now = OffsetDateTime::now_utc();
        let signup = |age_days: i64, verified: bool| CompanySignup {
            email: "a@b.example".parse().unwrap(),
            tenant_id: TenantId::new(),
            slug: "acme".parse().unwrap(),
            company_name: "Acme".parse().unwrap(),
            admin_name: "Ada".parse().unwrap(),
            sub: None,
            code_hash: None,
            created_at: now - time::Duration::days(age_days),
            verified_at: verified.then_some(now),
        };
        assert!(signup(ABANDONED_AFTER_DAYS + 1, false).is_abandoned(now));
        assert!(!signup(ABANDONED_AFTER_DAYS - 1, false).is_abandoned(now));
        assert!(!signup(ABANDONED_AFTER_DAYS + 30, true).is_abandoned(now));
    }

    #[test]
    fn the_staff_password_policy_is_checked_before_anything_is_claimed() {
        assert!(check_staff_password("Test-Passw0rd!42").is_ok());
        for weak in ["Short-1!", "no-upper-case-1!", "NO-LOWER-CASE-1!", "No-Digits-Here!", "NoSymbols12345"] {
            assert!(check_staff_password(weak).is_err(), "{weak:?}");
        }
    }
}
