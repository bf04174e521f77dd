//! The single-table key design (see `docs/data-model.md`): one place that spells every
//! partition and sort key, so the store and the docs cannot disagree.

use crate::domain::{
    ContactId, DocumentId, Email, EventId, FolderId, ItemId, ItemRef, LogoId, OrganizationId, Slug, TenantId, UserSub,
};

pub const PK: &str = "PK";
pub const SK: &str = "SK";
pub const GSI1: &str = "GSI1";
pub const GSI1_PK: &str = "GSI1PK";
pub const GSI1_SK: &str = "GSI1SK";
pub const GSI2: &str = "GSI2";
pub const GSI2_PK: &str = "GSI2PK";
pub const GSI2_SK: &str = "GSI2SK";
/// The third index: only the customer's view index uses it (its entries by size).
pub const GSI3: &str = "GSI3";
pub const GSI3_PK: &str = "GSI3PK";
pub const GSI3_SK: &str = "GSI3SK";
/// Epoch seconds after which DynamoDB's TTL deletes the item (expiring records).
pub const TTL_ATTRIBUTE: &str = "expiresAt";

pub const CONTACT_PREFIX: &str = "CONTACT#";
pub const DOCUMENT_PREFIX: &str = "DOC#";
pub const ORGANIZATION_PREFIX: &str = "ORG#";
pub const STAFF_PREFIX: &str = "STAFF#";
pub const FOLDER_PREFIX: &str = "FOLDER#";
pub const SHARE_PREFIX: &str = "SHARE#";
pub const EVENT_PREFIX: &str = "EVENT#";

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

pub fn folder_sk(folder: FolderId) -> String {
    format!("{FOLDER_PREFIX}{folder}")
}

/// GSI1 lists what a drive folder holds (`None` = the drive's root): its folders
/// (`FOLDER#…`) and documents (`DOC#…`).
pub fn drive_children_gsi1_pk(tenant: TenantId, parent: Option<FolderId>) -> String {
    match parent {
        Some(folder) => format!("TENANT#{tenant}#IN#{folder}"),
        None => format!("TENANT#{tenant}#IN#ROOT"),
    }
}

/// The sort key of a drive entry in its folder's GSI1 listing (and of a share's item).
pub fn item_sk(item: ItemRef) -> String {
    match item {
        ItemRef::Folder(folder) => folder_sk(folder),
        ItemRef::Document(document) => document_sk(document),
    }
}

/// GSI1 lists what one contact submitted (customer uploads), newest first.
pub fn contact_submissions_gsi1_pk(tenant: TenantId, contact: ContactId) -> String {
    format!("TENANT#{tenant}#SUBMITTED#{contact}")
}

/// GSI2 lists every customer submission of a tenant, newest first.
pub fn submissions_gsi2_pk(tenant: TenantId) -> String {
    format!("TENANT#{tenant}#SUBMISSIONS")
}

/// A share of one item with one contact. The key is the pair, so sharing twice is one
/// share, and a contact's shares are one `begins_with` query.
pub fn share_sk(contact: ContactId, item: ItemRef) -> String {
    format!("{}{}", contact_shares_prefix(contact), item.id())
}

/// The same key from the item's id alone (a share is found without knowing its kind).
pub fn share_sk_by_id(contact: ContactId, item: ItemId) -> String {
    format!("{}{item}", contact_shares_prefix(contact))
}

pub fn contact_shares_prefix(contact: ContactId) -> String {
    format!("{SHARE_PREFIX}{contact}#")
}

/// GSI1 lists the contacts an item is shared with.
pub fn item_shares_gsi1_pk(tenant: TenantId, item: ItemRef) -> String {
    format!("TENANT#{tenant}#SHARED#{}", item.id())
}

pub fn event_sk(event: EventId) -> String {
    format!("{EVENT_PREFIX}{event}")
}

/// GSI1 lists the activity about one contact, newest first.
pub fn contact_activity_gsi1_pk(tenant: TenantId, contact: ContactId) -> String {
    format!("TENANT#{tenant}#ACTIVITY#CONTACT#{contact}")
}

/// GSI2 lists the activity about one document, newest first.
pub fn document_activity_gsi2_pk(tenant: TenantId, document: DocumentId) -> String {
    format!("TENANT#{tenant}#ACTIVITY#DOC#{document}")
}

/// A logo upload handed out and not yet seen by object-events.
pub fn pending_logo_sk(logo: LogoId) -> String {
    format!("LOGO#{logo}")
}

/// A customer account's link to one contact of one tenant (written when the customer
/// registers or links a second company): every customer request reads these.
pub fn customer_link_sk(tenant: TenantId, contact: ContactId) -> String {
    format!("{CUSTOMER_LINK_PREFIX}{tenant}#{contact}")
}

pub const CUSTOMER_LINK_PREFIX: &str = "CUSTOMER#";

/// A customer's notification preferences.
pub const PREFERENCES_SK: &str = "PREFERENCES";

/// An invitation token, by the SHA-256 of the token (the token itself is only in the email).
pub fn invitation_token_pk(token_hash: &str) -> String {
    format!("INVITE#{token_hash}")
}

pub const INVITATION_TOKEN_SK: &str = "INVITE";

/// A sign-up waiting for its email confirmation, by email: the contacts it will activate.
pub fn signup_pk(email: &Email) -> String {
    format!("SIGNUP#{email}")
}

pub fn signup_sk(tenant: TenantId, contact: ContactId) -> String {
    format!("CONTACT#{tenant}#{contact}")
}

/// An email to send (the outbox), e.g. `SUBMITTED#{documentId}`.
pub fn notification_sk(key: &str) -> String {
    format!("NOTIFY#{key}")
}

/// The lease of a contact's batch of shares to email about (held by the delivery sending
/// it; the shares themselves are items of their own, [`pending_share_sk`]).
pub fn share_batch_sk(contact: ContactId) -> String {
    notification_sk(&format!("SHARES#{contact}"))
}

/// The prefix of a contact's pending shares (one item each). Not a prefix of the batch's
/// lease key, which has no trailing `#`.
pub fn pending_shares_prefix(contact: ContactId) -> String {
    format!("{}#", share_batch_sk(contact))
}

/// One pending share of a contact's batch; `entry` is a UUID v7, so the oldest sort first.
pub fn pending_share_sk(contact: ContactId, entry: &str) -> String {
    format!("{}{entry}", pending_shares_prefix(contact))
}

/// The outbox key of the email telling staff about a customer submission.
pub fn submitted_notification(document: DocumentId) -> String {
    format!("SUBMITTED#{document}")
}

/// The lease held while one staff member saves a contact's selection (see
/// `Store::lease_selection`).
pub fn selection_lease_sk(contact: ContactId) -> String {
    format!("SELECTION#{contact}")
}

/// The rate-limit counter of one purpose and one email (all sources' attempts, and each
/// source's own), by the email's hex SHA-256 (see `rate_limit`).
pub fn rate_limit_email_pk(purpose: &str, email_hash: &str) -> String {
    format!("RATE#{purpose}#EMAIL#{email_hash}")
}

/// The rate-limit counter of one purpose and one source across emails, by the hex SHA-256
/// of the source's canonical form (see `rate_limit`).
pub fn rate_limit_source_pk(purpose: &str, source_hash: &str) -> String {
    format!("RATE#{purpose}#SOURCE#{source_hash}")
}

/// One fixed window of a rate-limit counter, by its start (epoch seconds).
pub fn rate_limit_sk(window_start: i64) -> String {
    format!("WINDOW#{window_start}")
}

/// A company sign-up, by the first admin's email: the one record that makes double
/// sign-ups and retries end in one company (see `signup`).
pub fn company_signup_pk(email: &Email) -> String {
    format!("COMPANYSIGNUP#{email}")
}

pub const COMPANY_SIGNUP_SK: &str = "COMPANYSIGNUP";

/// A company sign-up's email verification token, by the SHA-256 of the token.
pub fn verification_token_pk(token_hash: &str) -> String {
    format!("VERIFY#{token_hash}")
}

pub const VERIFICATION_TOKEN_SK: &str = "VERIFY";

/// A one-time sign-up invite code issued by the operator, by the SHA-256 of the code.
pub fn signup_code_pk(code_hash: &str) -> String {
    format!("SIGNUPCODE#{code_hash}")
}

pub const SIGNUP_CODE_SK: &str = "SIGNUPCODE";

/// What a search finds: `CONTACT` or `DOC` (see `store/search.rs`).
pub const SEARCH_CONTACT: &str = "CONTACT";
pub const SEARCH_DOCUMENT: &str = "DOC";

/// The table sort keys of one item's search entries start with this.
pub fn search_entries_prefix(kind: &str) -> String {
    format!("FIND#{kind}#")
}

/// One search entry of an item (`slot`: 0 to `words::MAX_INDEXED_WORDS - 1`): the slot,
/// not the word, is in the key, so a rewrite puts the new words and deletes the slots past
/// them without knowing the old words.
pub fn search_entry_sk(kind: &str, id: &str, slot: usize) -> String {
    format!("FIND#{kind}#{id}#{slot:02}")
}

/// GSI2 lists a tenant's search entries of one kind by word: `{word}#{id}`.
pub fn search_gsi2_pk(tenant: TenantId, kind: &str) -> String {
    format!("TENANT#{tenant}#FIND#{kind}")
}

pub fn search_gsi2_sk(word: &str, id: &str) -> String {
    format!("{word}#{id}")
}

/// The customer's view index (`view.rs`): one entry per (document, contact) visible, in
/// the tenant's partition, so all entries of a document are one `begins_with` query.
pub const VIEW_PREFIX: &str = "VIEW#";

/// A fan-out of the view index in progress (`view::ViewJob`): `VIEW#JOB#` is never a
/// document's prefix (`VIEW#{documentId}#`).
pub const VIEW_JOB_PREFIX: &str = "VIEW#JOB#";

pub fn view_job_sk(id: &str) -> String {
    format!("{VIEW_JOB_PREFIX}{id}")
}

pub fn view_document_prefix(document: DocumentId) -> String {
    format!("{VIEW_PREFIX}{document}#")
}

/// The entry of one (document, contact) pair; its word items share this prefix.
pub fn view_entry_sk(document: DocumentId, contact: ContactId) -> String {
    format!("{VIEW_PREFIX}{document}#{contact}")
}

/// One word of a visible document's name, for the contact's name search.
pub fn view_word_sk(document: DocumentId, contact: ContactId, word: &str) -> String {
    format!("{VIEW_PREFIX}{document}#{contact}#WORD#{word}")
}

/// The index partition of one contact's view entries (GSI1 by date, GSI2 by name, GSI3 by size).
pub fn view_gsi_pk(tenant: TenantId, contact: ContactId) -> String {
    format!("TENANT#{tenant}#VIEW#{contact}")
}

/// The GSI1 partition of one contact's view word items (`{word}#{documentId}`).
pub fn view_words_gsi1_pk(tenant: TenantId, contact: ContactId) -> String {
    format!("TENANT#{tenant}#VIEWWORD#{contact}")
}
