//! The `sharing` function: what is shared with whom. Staff share folders and documents
//! with contacts (one by one, or every contact of an organization), edit a contact's
//! selection, and unshare; a share may expire. Sharing with a contact who has no portal
//! access yet opens it, which queues their invitation.

use std::collections::{BTreeMap, BTreeSet};

use aws_config::SdkConfig;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal_shared::access::Change;
use portal_shared::config::{self, ConfigError};
use portal_shared::domain::{
    AccessStatus, ContactId, DocumentId, FolderId, ItemId, ItemKind, ItemRef, OrganizationId, ParseError, TenantId,
};
use portal_shared::function::HttpFunction;
use portal_shared::http::{json_body, no_content, page_request, path_param, respond, route_key, unknown_route};
use portal_shared::identity::StaffMember;
use portal_shared::invitations::Inviter;
use portal_shared::mail::Mailer;
use portal_shared::model::{Action, ActivityEvent, Contact, DriveEntry, NotificationMessage, Share};
use portal_shared::pagination::Page;
use portal_shared::queue::NotificationQueue;
use portal_shared::store::BatchedShare;
use portal_shared::store::{Clash, Entity, Store, StoreError};
use portal_shared::{ApiError, aws};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The IAM actions of the AWS calls this function makes (the SAM template grants exactly
/// these; a test compares). Transactions are authorized per item.
pub const IAM_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
    "ses:SendEmail",
    "sqs:SendMessage",
];

/// At most this many items in one selection or one share request.
pub const MAX_ITEMS: usize = 100;
/// At most this many contacts in one share request (an organization counts its members).
pub const MAX_CONTACTS: usize = 100;
/// How long a save of a contact's selection holds its lease (far longer than a save of
/// `MAX_ITEMS` items takes; a save that dies keeps others out at most this long).
pub const SELECTION_LEASE_SECONDS: i64 = 60;

pub struct App {
    store: Store,
    inviter: Inviter,
    queue: NotificationQueue,
    /// Shares to one contact within this window go out as one email.
    share_email_window_seconds: i64,
}

/// One item of a contact's selection: `{"kind", "id", "availableUntil"?}`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "SelectedFields")]
struct Selected {
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Selection {
    items: Vec<Selected>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ShareRequest {
    items: Vec<ItemRef>,
    #[serde(default)]
    contact_ids: Vec<ContactId>,
    #[serde(default)]
    organization_id: Option<OrganizationId>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    available_until: Option<OffsetDateTime>,
}

/// A share with what it shares (as it is now).
#[derive(Debug, Serialize)]
pub struct SharedItem {
    #[serde(flatten)]
    share: Share,
    target: DriveEntry,
}

/// A share of one item, with the contact it is shared with.
#[derive(Debug, Serialize)]
pub struct Recipient {
    #[serde(flatten)]
    share: Share,
    contact: Contact,
}

#[derive(Debug, Serialize)]
pub struct Shared {
    /// The shares made (one per contact and item).
    shares: Vec<Share>,
    /// The contacts shared with, with their portal access after sharing.
    contacts: Vec<Contact>,
}

impl HttpFunction for App {
    fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let mut app = Self::new(
            sdk,
            config::required(config::TABLE_NAME)?,
            config::required(config::SENDER_EMAIL)?,
            config::required(config::PUBLIC_URL)?,
            config::required(config::NOTIFICATIONS_QUEUE_URL)?,
        );
        app.share_email_window_seconds =
            config::optional(config::SHARE_EMAIL_WINDOW_SECONDS, config::DEFAULT_SHARE_EMAIL_WINDOW_SECONDS)?;
        Ok(app)
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        match route_key(&req) {
            Some("POST /shares") => respond(StatusCode::OK, self.share(&req).await),
            Some("GET /contacts/{contactId}/shares") => respond(StatusCode::OK, self.contact_shares(&req).await),
            Some("PUT /contacts/{contactId}/shares") => respond(StatusCode::OK, self.replace_selection(&req).await),
            Some("DELETE /contacts/{contactId}/shares/{itemId}") => no_content(self.unshare(&req).await),
            Some("GET /documents/{documentId}/shares") => match path_param::<DocumentId>(&req, "documentId") {
                Ok(id) => respond(StatusCode::OK, self.recipients(&req, ItemRef::Document(id)).await),
                Err(err) => err.into_response(),
            },
            Some("GET /folders/{folderId}/shares") => match path_param::<FolderId>(&req, "folderId") {
                Ok(id) => respond(StatusCode::OK, self.recipients(&req, ItemRef::Folder(id)).await),
                Err(err) => err.into_response(),
            },
            _ => unknown_route(&req).into_response(),
        }
    }
}

/// A future instant, or a 422 naming the field.
fn check_future(until: Option<OffsetDateTime>, field: &str, now: OffsetDateTime) -> Result<(), ApiError> {
    match until {
        Some(until) if until <= now => Err(ApiError::Invalid(format!("{field}: must be in the future"))),
        _ => Ok(()),
    }
}

impl App {
    pub fn new(
        sdk: &SdkConfig,
        table: impl Into<String>,
        sender: impl Into<String>,
        public_url: impl Into<String>,
        notifications_queue_url: impl Into<String>,
    ) -> Self {
        let store = Store::new(aws::dynamodb_client(sdk), table);
        let mailer = Mailer::new(sdk, sender);
        Self {
            inviter: Inviter::new(store.clone(), mailer, public_url),
            store,
            queue: NotificationQueue::new(aws::sqs_client(sdk), notifications_queue_url),
            share_email_window_seconds: config::DEFAULT_SHARE_EMAIL_WINDOW_SECONDS,
        }
    }

    /// Sets the share email window (the local stack uses a short one).
    pub fn with_share_email_window(mut self, seconds: i64) -> Self {
        self.share_email_window_seconds = seconds;
        self
    }

    /// Adds a new share to the contact's email batch and announces it on the queue,
    /// delivered when the batch's window has passed.
    async fn announce(
        &self,
        tenant: TenantId,
        contact: ContactId,
        item: ItemRef,
        name: String,
    ) -> Result<(), ApiError> {
        let share = BatchedShare { item, name };
        self.store.add_to_share_batch(tenant, contact, &share, OffsetDateTime::now_utc()).await?;
        let message = NotificationMessage::Shares { tenant_id: tenant, contact_id: contact };
        self.queue.send(&message, self.share_email_window_seconds).await
    }

    async fn contact(&self, staff: &StaffMember, req: &Request) -> Result<Contact, ApiError> {
        let id: ContactId = path_param(req, "contactId")?;
        self.store.contact(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("contact"))
    }

    /// Shares items with contacts and/or every contact of an organization.
    async fn share(&self, req: &Request) -> Result<Shared, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_write()?;
        let input: ShareRequest = json_body(req)?;
        let now = OffsetDateTime::now_utc();
        check_future(input.available_until, "availableUntil", now)?;
        let items: BTreeSet<ItemRef> = input.items.iter().copied().collect();
        if items.is_empty() || items.len() > MAX_ITEMS {
            return Err(ApiError::Invalid(format!("items: share 1 to {MAX_ITEMS} different items")));
        }
        let mut contacts: BTreeMap<ContactId, Contact> = BTreeMap::new();
        if !input.contact_ids.is_empty() {
            let found = self.store.contacts(staff.tenant_id, &input.contact_ids).await?;
            for (index, id) in input.contact_ids.iter().enumerate() {
                let contact =
                    found.get(id).ok_or_else(|| ApiError::Invalid(format!("contactIds[{index}]: no such contact")))?;
                contacts.insert(*id, contact.clone());
            }
        }
        if let Some(organization) = input.organization_id {
            self.store
                .organization(staff.tenant_id, organization)
                .await?
                .ok_or_else(|| ApiError::Invalid("organizationId: no such organization".into()))?;
            for contact in self.store.all_organization_members(staff.tenant_id, organization).await? {
                contacts.insert(contact.id, contact);
            }
        }
        if contacts.is_empty() {
            return Err(ApiError::Invalid(
                "contactIds: name at least one contact, or an organization with contacts".into(),
            ));
        }
        if contacts.len() > MAX_CONTACTS {
            return Err(ApiError::Invalid(format!("contactIds: share with at most {MAX_CONTACTS} contacts at once")));
        }
        // Every item must exist before anything is written (each write checks it again).
        let entries = self.store.drive_entries(staff.tenant_id, &items.iter().copied().collect::<Vec<_>>()).await?;
        if let Some(missing) = items.iter().find(|item| !entries.contains_key(item)) {
            return Err(ApiError::Invalid(format!("items: no such {} {}", kind(*missing), missing.id())));
        }
        let mut shares = Vec::new();
        let mut touched = Vec::new();
        for contact in contacts.into_values() {
            for item in &items {
                let share = Share {
                    contact_id: contact.id,
                    item: *item,
                    shared_by: staff.sub.clone(),
                    shared_at: now,
                    available_until: input.available_until,
                };
                let event = ActivityEvent::new(Action::ShareCreated, staff.actor(), now)
                    .contact(contact.id)
                    .item(*item, entry_name(&entries[item]));
                self.store.put_share(staff.tenant_id, &share, Some(&event)).await.map_err(share_problem(&share))?;
                self.announce(staff.tenant_id, contact.id, *item, entry_name(&entries[item])).await?;
                shares.push(share);
            }
            touched.push(self.open_access(&staff, contact).await?);
        }
        tracing::info!(tenant = %staff.tenant_id, shares = shares.len(), "shared");
        Ok(Shared { shares, contacts: touched })
    }

    /// Sharing with a contact who never had access opens it (the invitation is emailed);
    /// a pending access whose invitation is still owed (its email failed, and this is the
    /// retry) gets it now; a closed access stays closed until staff reopen it.
    async fn open_access(&self, staff: &StaffMember, contact: Contact) -> Result<Contact, ApiError> {
        let (contact, invite) = match contact.access_status {
            AccessStatus::None => {
                let applied = portal_shared::access::apply(&self.store, staff, contact, Change::Open).await?;
                (applied.contact, applied.invite)
            }
            AccessStatus::Pending => {
                let owed = self.store.invitation_request(staff.tenant_id, contact.id).await?;
                (contact, owed.is_some_and(|request| request.is_owed()))
            }
            _ => (contact, false),
        };
        if invite {
            let tenant = self.store.tenant(staff.tenant_id).await?.ok_or(ApiError::NotFound("company"))?;
            self.inviter.invite(&tenant, &contact).await?;
        }
        Ok(contact)
    }

    /// What is currently shared with a contact, one page at a time (a page may hold fewer
    /// items than asked: expired shares and deleted items are left out).
    async fn contact_shares(&self, req: &Request) -> Result<Page<SharedItem>, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        let page = page_request(req)?;
        let contact = self.contact(&staff, req).await?;
        let shares = self.store.contact_shares(staff.tenant_id, contact.id, &page).await?;
        Ok(Page { items: self.resolve(&staff, shares.items).await?, next_cursor: shares.next_cursor })
    }

    async fn resolve(&self, staff: &StaffMember, shares: Vec<Share>) -> Result<Vec<SharedItem>, ApiError> {
        let now = OffsetDateTime::now_utc();
        let current: Vec<Share> = shares.into_iter().filter(|share| share.is_current(now)).collect();
        let items: Vec<ItemRef> = current.iter().map(|share| share.item).collect();
        let mut entries = self.store.drive_entries(staff.tenant_id, &items).await?;
        Ok(current
            .into_iter()
            .filter_map(|share| entries.remove(&share.item).map(|target| SharedItem { share, target }))
            .collect())
    }

    /// Replaces a contact's selection: items not in it are unshared, new ones shared, and
    /// the expiry of kept ones updated. Each change is written with its trail entry. The
    /// writes are many, so a lease on the selection serializes saves of the same contact's
    /// selection: a second save while one is in progress is a 409, never a mix of both.
    async fn replace_selection(&self, req: &Request) -> Result<Vec<SharedItem>, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_write()?;
        let contact = self.contact(&staff, req).await?;
        let selection: Selection = json_body(req)?;
        let now = OffsetDateTime::now_utc();
        let holder = self.store.lease_selection(staff.tenant_id, contact.id, now, SELECTION_LEASE_SECONDS).await?;
        let saved = self.save_selection(&staff, &contact, selection, now).await;
        let released = self.store.release_selection(staff.tenant_id, contact.id, &holder).await;
        let saved = saved?;
        released?;
        Ok(saved)
    }

    async fn save_selection(
        &self,
        staff: &StaffMember,
        contact: &Contact,
        selection: Selection,
        now: OffsetDateTime,
    ) -> Result<Vec<SharedItem>, ApiError> {
        if selection.items.len() > MAX_ITEMS {
            return Err(ApiError::Invalid(format!("items: at most {MAX_ITEMS} items")));
        }
        let mut wanted: BTreeMap<ItemRef, Option<OffsetDateTime>> = BTreeMap::new();
        for (index, selected) in selection.items.iter().enumerate() {
            check_future(selected.available_until, &format!("items[{index}].availableUntil"), now)?;
            if wanted.insert(selected.item, selected.available_until).is_some() {
                return Err(ApiError::Invalid(format!("items[{index}]: listed twice")));
            }
        }
        let entries = self.store.drive_entries(staff.tenant_id, &wanted.keys().copied().collect::<Vec<_>>()).await?;
        if let Some(missing) = wanted.keys().find(|item| !entries.contains_key(item)) {
            return Err(ApiError::Invalid(format!("items: no such {} {}", kind(*missing), missing.id())));
        }
        let existing: BTreeMap<ItemRef, Share> = self
            .store
            .all_contact_shares(staff.tenant_id, contact.id)
            .await?
            .into_iter()
            .map(|share| (share.item, share))
            .collect();
        for (item, share) in &existing {
            if !wanted.contains_key(item) {
                let name = entries.get(item).map(entry_name).unwrap_or_default();
                let event =
                    ActivityEvent::new(Action::ShareRemoved, staff.actor(), now).contact(contact.id).item(*item, name);
                match self.store.delete_share(staff.tenant_id, contact.id, share.item, &event).await {
                    Ok(()) | Err(StoreError::Clash(Clash::Missing(Entity::Share))) => {}
                    Err(err) => return Err(err.into()),
                }
            }
        }
        for (item, until) in &wanted {
            let kept = existing.get(item).filter(|share| share.is_current(now));
            let share = match kept {
                Some(share) if share.available_until == *until => continue,
                // Same share, new expiry: who shared it and when stay.
                Some(share) => Share { available_until: *until, ..share.clone() },
                None => Share {
                    contact_id: contact.id,
                    item: *item,
                    shared_by: staff.sub.clone(),
                    shared_at: now,
                    available_until: *until,
                },
            };
            let event = kept.is_none().then(|| {
                ActivityEvent::new(Action::ShareCreated, staff.actor(), now)
                    .contact(contact.id)
                    .item(*item, entry_name(&entries[item]))
            });
            self.store.put_share(staff.tenant_id, &share, event.as_ref()).await.map_err(share_problem(&share))?;
            if kept.is_none() {
                self.announce(staff.tenant_id, contact.id, *item, entry_name(&entries[item])).await?;
            }
        }
        if !wanted.is_empty() {
            self.open_access(staff, contact.clone()).await?;
        }
        tracing::info!(tenant = %staff.tenant_id, contact = %contact.id, items = wanted.len(), "selection saved");
        let shares = self.store.all_contact_shares(staff.tenant_id, contact.id).await?;
        self.resolve(staff, shares).await
    }

    async fn unshare(&self, req: &Request) -> Result<(), ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_write()?;
        let contact = self.contact(&staff, req).await?;
        let item: ItemId = path_param(req, "itemId")?;
        let share = self.store.share(staff.tenant_id, contact.id, item).await?.ok_or(ApiError::NotFound("share"))?;
        let name = self.store.drive_entries(staff.tenant_id, &[share.item]).await?.get(&share.item).map(entry_name);
        let event = ActivityEvent::new(Action::ShareRemoved, staff.actor(), OffsetDateTime::now_utc())
            .contact(contact.id)
            .item(share.item, name.unwrap_or_default());
        self.store.delete_share(staff.tenant_id, contact.id, share.item, &event).await?;
        tracing::info!(tenant = %staff.tenant_id, contact = %contact.id, "unshared");
        Ok(())
    }

    /// Who an item is shared with (current shares), one page at a time.
    async fn recipients(&self, req: &Request, item: ItemRef) -> Result<Page<Recipient>, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        let page = page_request(req)?;
        if self.store.drive_entries(staff.tenant_id, &[item]).await?.is_empty() {
            return Err(ApiError::NotFound(match item {
                ItemRef::Folder(_) => "folder",
                ItemRef::Document(_) => "document",
            }));
        }
        let shares = self.store.item_shares(staff.tenant_id, item, &page).await?;
        let now = OffsetDateTime::now_utc();
        let current: Vec<Share> = shares.items.into_iter().filter(|share| share.is_current(now)).collect();
        let ids: Vec<ContactId> = current.iter().map(|share| share.contact_id).collect();
        let mut contacts = self.store.contacts(staff.tenant_id, &ids).await?;
        let items = current
            .into_iter()
            .filter_map(|share| contacts.remove(&share.contact_id).map(|contact| Recipient { share, contact }))
            .collect();
        Ok(Page { items, next_cursor: shares.next_cursor })
    }
}

/// A share's item deleted meanwhile is a 422 naming the `items` field.
fn share_problem(share: &Share) -> impl FnOnce(StoreError) -> ApiError + use<> {
    let item = share.item;
    move |err| match err {
        StoreError::Clash(Clash::Unknown(Entity::Folder | Entity::Document)) => {
            ApiError::Invalid(format!("items: no such {} {}", kind(item), item.id()))
        }
        other => other.into(),
    }
}

fn kind(item: ItemRef) -> &'static str {
    match item {
        ItemRef::Folder(_) => "folder",
        ItemRef::Document(_) => "document",
    }
}

fn entry_name(entry: &DriveEntry) -> String {
    match entry {
        DriveEntry::Folder(folder) => folder.name.to_string(),
        DriveEntry::Document(document) => document.name.to_string(),
    }
}

#[cfg(test)]
mod properties;
