//! The request bodies of the settings routes, parsed once into typed values.

use portal_shared::domain::{AccentColor, ContentType, DisplayName, Email, Role};
use portal_shared::http::present;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct SettingsChanges {
    pub(crate) name: Option<DisplayName>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) accent_color: Option<Option<AccentColor>>,
    /// Whether customers are emailed when their access is closed.
    pub(crate) notify_access_closed: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct LogoUpload {
    pub(crate) content_type: ContentType,
    pub(crate) size: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Invitation {
    pub(crate) email: Email,
    pub(crate) role: Role,
    /// How customers will see the member (`sharedBy`); the member may set it later.
    #[serde(default)]
    pub(crate) name: Option<DisplayName>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleChange {
    pub(crate) role: Role,
}
