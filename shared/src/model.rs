//! The entities the API reads and writes, as they appear in responses and DynamoDB items.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::domain::{
    AccessStatus, ContactId, ContentType, DisplayName, DocumentId, DocumentStatus, Email, FileName, OrganizationId,
    Slug, TenantId, UserSub,
};
use crate::object_key::ObjectKey;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub id: TenantId,
    pub name: DisplayName,
    pub slug: Slug,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub id: ContactId,
    pub email: Email,
    pub name: DisplayName,
    pub access_status: AccessStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<OrganizationId>,
    /// When the portal access last changed.
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub access_changed_at: Option<OffsetDateTime>,
    /// The customer account (customer pool `sub`) linked when the customer registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_sub: Option<UserSub>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: UserSub,
}

/// A request to email a contact their invitation to the portal, queued when staff open
/// access. The email (with its single-use registration token) is sent by the notifications
/// side, which keeps only the token's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationRequest {
    pub tenant_id: TenantId,
    pub contact_id: ContactId,
    pub email: Email,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    pub requested_by: UserSub,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: OrganizationId,
    pub name: DisplayName,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: UserSub,
}

/// Who put a document in the drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UploaderKind {
    Staff,
    Customer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    pub id: DocumentId,
    pub tenant_id: TenantId,
    /// The original file name, shown to users and used for downloads.
    pub name: FileName,
    pub content_type: ContentType,
    /// The size announced when the upload was presigned; the object must match it.
    pub size: u64,
    pub status: DocumentStatus,
    pub uploaded_by: UserSub,
    pub uploader_kind: UploaderKind,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub available_at: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_reason: Option<String>,
}

impl Document {
    pub fn object_key(&self) -> ObjectKey {
        ObjectKey::document(self.tenant_id, self.id)
    }
}
