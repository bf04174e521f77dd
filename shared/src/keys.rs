//! The single-table key design (see `docs/data-model.md`): one place that spells every
//! partition and sort key, so the store and the docs cannot disagree.

use crate::domain::{ContactId, DocumentId, Email, OrganizationId, Slug, TenantId, UserSub};

pub const PK: &str = "PK";
pub const SK: &str = "SK";
pub const GSI1: &str = "GSI1";
pub const GSI1_PK: &str = "GSI1PK";
pub const GSI1_SK: &str = "GSI1SK";
/// Epoch seconds after which DynamoDB's TTL deletes the item (expiring records).
pub const TTL_ATTRIBUTE: &str = "expiresAt";

pub const CONTACT_PREFIX: &str = "CONTACT#";
pub const DOCUMENT_PREFIX: &str = "DOC#";
pub const ORGANIZATION_PREFIX: &str = "ORG#";
pub const STAFF_PREFIX: &str = "STAFF#";

/// Every item of one tenant lives in its partition: isolation is a key prefix, not a filter.
pub fn tenant_pk(tenant: TenantId) -> String {
    format!("TENANT#{tenant}")
}

pub const TENANT_PROFILE_SK: &str = "PROFILE";

pub fn contact_sk(contact: ContactId) -> String {
    format!("{CONTACT_PREFIX}{contact}")
}

/// Guards the uniqueness of a contact's email within its tenant.
pub fn contact_email_sk(email: &Email) -> String {
    format!("CONTACT_EMAIL#{email}")
}

pub fn organization_sk(organization: OrganizationId) -> String {
    format!("{ORGANIZATION_PREFIX}{organization}")
}

/// GSI1 lists the contacts of an organization (contacts without one are not in the index).
pub fn organization_members_gsi1_pk(tenant: TenantId, organization: OrganizationId) -> String {
    format!("TENANT#{tenant}#ORG#{organization}")
}

/// The latest invitation request of a contact (a new request replaces it).
pub fn invitation_request_sk(contact: ContactId) -> String {
    format!("INVITATION#{contact}")
}

pub fn document_sk(document: DocumentId) -> String {
    format!("{DOCUMENT_PREFIX}{document}")
}

/// A staff account's membership, read by the Cognito `sub` alone: tenant and role in one
/// GetItem on every request.
pub fn user_pk(sub: &UserSub) -> String {
    format!("USER#{sub}")
}

pub const STAFF_MEMBERSHIP_SK: &str = "STAFF";

/// GSI1 lists a tenant's staff by email.
pub fn staff_gsi1_sk(email: &Email) -> String {
    format!("{STAFF_PREFIX}{email}")
}

/// Guards the uniqueness of a tenant's portal slug.
pub fn slug_pk(slug: &Slug) -> String {
    format!("SLUG#{slug}")
}

pub const SLUG_SK: &str = "SLUG";
