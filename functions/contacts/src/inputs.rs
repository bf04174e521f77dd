//! The request bodies of the contacts routes, parsed once into typed values.

use portal_shared::domain::{DisplayName, Email, OrganizationId};
use portal_shared::http::present;
use portal_shared::model::Language;
use serde::Deserialize;
use time::OffsetDateTime;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct NewContact {
    pub(crate) email: Email,
    pub(crate) name: DisplayName,
    #[serde(default)]
    pub(crate) organization_id: Option<OrganizationId>,
    /// The language of the contact's emails (`en` when absent).
    #[serde(default)]
    pub(crate) language: Option<Language>,
}

/// A partial update: absent fields stay as they are; `organizationId: null` takes the
/// contact out of its organization.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ContactChanges {
    pub(crate) email: Option<Email>,
    pub(crate) name: Option<DisplayName>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) organization_id: Option<Option<OrganizationId>>,
    pub(crate) language: Option<Language>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrganizationInput {
    pub(crate) name: DisplayName,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct MyChanges {
    /// How customers see the member (`sharedBy`).
    pub(crate) name: Option<DisplayName>,
    pub(crate) notify_submissions: Option<bool>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub(crate) submissions_seen_at: Option<OffsetDateTime>,
}
