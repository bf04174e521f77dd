//! What customers and staff type to prove who they are: passed on to Cognito only, never
//! logged (their Debug output is redacted).

use std::fmt;

use serde::Deserialize;

/// A password as it arrives; Cognito's policy decides whether it is good enough.
#[derive(Deserialize)]
#[serde(try_from = "String")]
pub struct Password(String);

impl TryFrom<String> for Password {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        if value.is_empty() || value.chars().count() > 256 {
            Err("must be 1 to 256 characters".into())
        } else {
            Ok(Self(value))
        }
    }
}

impl Password {
    /// The password itself, for the Cognito call.
    pub fn expose(self) -> String {
        self.0
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A code Cognito emailed (sign-up confirmation, password reset): a few letters or digits.
/// A malformed one gets the same answer as a wrong one.
#[derive(Deserialize)]
#[serde(try_from = "String")]
pub struct ConfirmationCode(String);

impl TryFrom<String> for ConfirmationCode {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        let valid = !value.is_empty() && value.len() <= 16 && value.chars().all(|c| c.is_ascii_alphanumeric());
        if valid { Ok(Self(value)) } else { Err("the code is not valid or has expired".into()) }
    }
}

impl ConfirmationCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ConfirmationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConfirmationCode(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_bounded_and_never_printed() {
        let password: Password = serde_json::from_str(r#""s3cret-Passw0rd""#).unwrap();
        assert_eq!(format!("{password:?}"), "Password(***)");
        assert!(serde_json::from_str::<Password>(r#""""#).is_err());
        let code: ConfirmationCode = serde_json::from_str(r#""123456""#).unwrap();
        assert_eq!(code.as_str(), "123456");
        for bad in [r#""""#, r#""12 34""#, r#""moto-confirmation-code:1""#, r#""12345678901234567""#] {
            assert!(serde_json::from_str::<ConfirmationCode>(bad).is_err(), "{bad}");
        }
    }
}
