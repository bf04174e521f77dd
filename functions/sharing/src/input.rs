//! The request bodies of the sharing routes, parsed into domain types.

use portal_shared::domain::{ContactId, ItemKind, ItemRef, OrganizationId, ParseError};
use serde::Deserialize;
use time::OffsetDateTime;

/// One item of a contact's selection: `{"kind", "id", "availableUntil"?}`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "SelectedFields")]
pub(crate) struct Selected {
    item: ItemRef,
    available_until: Option<OffsetDateTime>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SelectedFields {
    kind: ItemKind,
    id: String,
    #[serde(default, with = "time::serde::rfc3339::option")]
    available_until: Option<OffsetDateTime>,
}

impl TryFrom<SelectedFields> for Selected {
    type Error = ParseError;
    fn try_from(fields: SelectedFields) -> Result<Self, ParseError> {
        Ok(Self { item: ItemRef::parse(fields.kind, &fields.id)?, available_until: fields.available_until })
    }
}

/// `PUT /contacts/{contactId}/shares`: the contact's whole selection.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Selection {
    pub(crate) items: Vec<Selected>,
}

impl Selection {
    /// The items as sent, in order, with their expiries.
    pub(crate) fn entries(&self) -> Vec<(ItemRef, Option<OffsetDateTime>)> {
        self.items.iter().map(|selected| (selected.item, selected.available_until)).collect()
    }
}

/// `POST /shares`: items to share with contacts and/or an organization's contacts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ShareRequest {
    pub(crate) items: Vec<ItemRef>,
    #[serde(default)]
    pub(crate) contact_ids: Vec<ContactId>,
    #[serde(default)]
    pub(crate) organization_id: Option<OrganizationId>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub(crate) available_until: Option<OffsetDateTime>,
}
