//! The entities the API reads and writes, as they appear in responses and DynamoDB items.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::domain::{
    AccentColor, AccessStatus, ContactId, ContentType, DisplayName, DocumentId, DocumentStatus, Email, EventId,
    FileName, FolderId, ItemRef, LogoId, ObjectVersion, OrganizationId, Slug, TenantId, TenantStatus, UserSub,
};
use crate::object_key::ObjectKey;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub id: TenantId,
    pub name: DisplayName,
    pub slug: Slug,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accent_color: Option<AccentColor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<Logo>,
    /// Whether customers get an email when their access is closed (off by default).
    #[serde(default)]
    pub notify_access_closed: bool,
    #[serde(default)]
    pub status: TenantStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Tenant {
    /// Where the logo is served (API-relative; public): the version in the query makes
    /// caches fetch a new logo.
    pub fn logo_path(&self) -> Option<String> {
        self.logo.as_ref().map(|logo| format!("/branding/{}/logo?v={}", self.slug, logo.id))
    }
}

/// The tenant's current logo: an image in S3 under the tenant's prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Logo {
    pub id: LogoId,
    pub content_type: ContentType,
}

/// A logo upload handed out, waiting for its object (object-events makes it the logo).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingLogo {
    pub id: LogoId,
    pub tenant_id: TenantId,
    pub content_type: ContentType,
    pub size: u64,
    pub uploaded_by: UserSub,
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
    /// The language of the emails this contact gets.
    #[serde(default)]
    pub language: Language,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: UserSub,
}

/// A request to email a contact their invitation to the portal, written with the access
/// change that owes it. The email (with its single-use registration token, of which only
/// the hash is kept) is sent right after; `sent_at` records that it was, so that a retried
/// share still sends an invitation a failure left owed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationRequest {
    pub tenant_id: TenantId,
    pub contact_id: ContactId,
    pub email: Email,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    pub requested_by: UserSub,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<OffsetDateTime>,
}

impl InvitationRequest {
    /// Whether its email is still owed.
    pub fn is_owed(&self) -> bool {
        self.sent_at.is_none()
    }
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
    /// The drive folder holding a staff document (`None`: the drive's root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder_id: Option<FolderId>,
    /// The contact who submitted a customer upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<ContactId>,
    /// When staff first downloaded a customer submission (until then the customer may
    /// still delete it, and the dashboard shows it as new).
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub seen_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub available_at: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_reason: Option<String>,
    /// The S3 version of the object that object-events checked when the document became
    /// available: downloads serve exactly these bytes, and any later object put under the
    /// same key is removed, never served. Absent while pending, when rejected, and on
    /// documents settled before versions were pinned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<ObjectVersion>,
}

impl Document {
    /// A document whose upload is about to be presigned (at the drive's root, not a
    /// submission: set `folder_id` or `contact_id` as needed).
    pub fn pending(
        tenant_id: TenantId,
        name: FileName,
        content_type: ContentType,
        size: u64,
        uploaded_by: UserSub,
        uploader_kind: UploaderKind,
    ) -> Self {
        Self {
            id: DocumentId::new(),
            tenant_id,
            name,
            content_type,
            size,
            status: DocumentStatus::Pending,
            uploaded_by,
            uploader_kind,
            folder_id: None,
            contact_id: None,
            seen_at: None,
            created_at: OffsetDateTime::now_utc(),
            available_at: None,
            rejected_reason: None,
            version_id: None,
        }
    }

    pub fn object_key(&self) -> ObjectKey {
        ObjectKey::document(self.tenant_id, self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Folder {
    pub id: FolderId,
    pub name: FileName,
    /// `None`: the folder is at the drive's root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<FolderId>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: UserSub,
}

/// One entry of a drive folder's listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum DriveEntry {
    Folder(Folder),
    Document(Document),
}

/// An item shared with a contact. A shared folder shares whatever it holds at the time
/// of reading, so documents added later are shared too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Share {
    pub contact_id: ContactId,
    pub item: ItemRef,
    pub shared_by: UserSub,
    #[serde(with = "time::serde::rfc3339")]
    pub shared_at: OffsetDateTime,
    /// After this instant the share is gone (reads hide it at once; TTL deletes it later).
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub available_until: Option<OffsetDateTime>,
}

impl Share {
    pub fn is_current(&self, now: OffsetDateTime) -> bool {
        self.available_until.is_none_or(|until| until > now)
    }
}

/// Who did something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    pub kind: UploaderKind,
    pub sub: UserSub,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
}

/// What happened, in the activity trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    #[serde(rename = "document.uploaded")]
    DocumentUploaded,
    #[serde(rename = "document.downloaded")]
    DocumentDownloaded,
    #[serde(rename = "document.deleted")]
    DocumentDeleted,
    #[serde(rename = "share.created")]
    ShareCreated,
    #[serde(rename = "share.removed")]
    ShareRemoved,
    #[serde(rename = "access.opened")]
    AccessOpened,
    #[serde(rename = "access.activated")]
    AccessActivated,
    #[serde(rename = "access.closed")]
    AccessClosed,
    #[serde(rename = "contact.deleted")]
    ContactDeleted,
}

/// An entry of the append-only activity trail: who did what, when, to which contact and
/// document (or folder).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityEvent {
    pub id: EventId,
    pub action: Action,
    pub actor: Actor,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<ContactId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<ItemRef>,
    /// The item's name at the time (it may be renamed or deleted later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_name: Option<String>,
}

impl ActivityEvent {
    pub fn new(action: Action, actor: Actor, at: OffsetDateTime) -> Self {
        Self { id: EventId::new(), action, actor, at, contact_id: None, item: None, item_name: None }
    }

    pub fn contact(mut self, contact: ContactId) -> Self {
        self.contact_id = Some(contact);
        self
    }

    pub fn item(mut self, item: ItemRef, name: impl Into<String>) -> Self {
        self.item = Some(item);
        self.item_name = Some(name.into());
        self
    }

    /// The document it concerns, for the per-document trail.
    pub fn document_id(&self) -> Option<DocumentId> {
        match self.item {
            Some(ItemRef::Document(id)) => Some(id),
            _ => None,
        }
    }
}

/// An invitation to register, as stored: the token's hash, never the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationToken {
    pub tenant_id: TenantId,
    pub contact_id: ContactId,
    pub email: Email,
    #[serde(with = "time::serde::rfc3339")]
    pub valid_until: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub used_at: Option<OffsetDateTime>,
}

/// A contact a new account will activate once its email is confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingSignup {
    pub tenant_id: TenantId,
    pub contact_id: ContactId,
    pub sub: UserSub,
}

/// A customer account's link to a contact of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerLink {
    pub tenant_id: TenantId,
    pub contact_id: ContactId,
    #[serde(with = "time::serde::rfc3339")]
    pub linked_at: OffsetDateTime,
}

/// The recipient's language for emails and pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Fr,
}

/// A customer's email preferences: on or off globally, and off for chosen companies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Preferences {
    pub email_notifications: bool,
    #[serde(default)]
    pub muted_companies: Vec<TenantId>,
    #[serde(default)]
    pub language: Language,
}

impl Default for Preferences {
    fn default() -> Self {
        Self { email_notifications: true, muted_companies: Vec::new(), language: Language::En }
    }
}

impl Preferences {
    /// Whether a notification email from `tenant` may be sent.
    pub fn wants_email_from(&self, tenant: TenantId) -> bool {
        self.email_notifications && !self.muted_companies.contains(&tenant)
    }
}

/// A message of the notifications queue: "the contact's share batch may be due".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum NotificationMessage {
    #[serde(rename_all = "camelCase")]
    Shares { tenant_id: TenantId, contact_id: ContactId },
}
