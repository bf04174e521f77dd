//! Share jobs: items shared with contacts, one unit per (contact, item). Each unit creates
//! the share only if it is absent (with its `share.created` event and its announcement in
//! the contact's share email); an existing share gets the job's expiry. After a contact's
//! last item its access is opened if it never had one, and an owed invitation is sent
//! (the invitation request's `sentAt` tells: a replay sends none).

use portal_shared::ApiError;
use portal_shared::access::Change;
use portal_shared::domain::{AccessStatus, ContactId, ItemRef, OrganizationId, TenantId};
use portal_shared::identity::StaffMember;
use portal_shared::jobs::{ChunkOutcome, Job, chunk_range, offset, share_unit};
use portal_shared::model::{Action, ActivityEvent, Contact, NotificationMessage, Share};
use portal_shared::share_selection::entry_name;
use portal_shared::store::{BatchedShare, Clash, Entity, StoreError};
use time::OffsetDateTime;

use crate::App;

/// How long a delivery holds the sending of an invitation (far longer than one send).
const INVITATION_CLAIM_SECONDS: i64 = 60;

/// What one share unit came to.
pub(crate) enum Unit {
    Created,
    Existed,
    /// The item or the contact is gone: the reason.
    Refused(&'static str),
}

impl App {
    /// A chunk of a share job: first the named contacts (cursor `d:{offset}`, contacts ×
    /// items), then with an organization one page of its members (cursor `o:` and the
    /// page's cursor), each member getting every item marked with the organization.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn share_chunk(
        &self,
        tenant: TenantId,
        job: &Job,
        items: &[ItemRef],
        contacts: &[ContactId],
        organization: Option<OrganizationId>,
        available_until: Option<OffsetDateTime>,
        cursor: Option<&str>,
    ) -> Result<ChunkOutcome, ApiError> {
        let mut names = self.store.drive_entries(tenant, items).await?;
        let mut outcome = ChunkOutcome::default();
        let members_from = match cursor.and_then(|c| c.strip_prefix("o:")) {
            Some(members) => members,
            None => {
                let total = (items.len() * contacts.len()) as u64;
                let start = offset(cursor.map(|c| c.strip_prefix("d:").unwrap_or(c)))?;
                let range = chunk_range(start, total, self.chunk_size);
                for index in range.clone() {
                    let Some((contact, item, last)) = share_unit(items, contacts, index) else { break };
                    self.share_unit(tenant, job, &mut names, contact, item, None, available_until, &mut outcome)
                        .await?;
                    if last {
                        if let Err(reason) = self.open_access_of(tenant, &job.by, contact).await? {
                            outcome.fail(Some(contact), None, reason);
                        }
                    }
                }
                if range.end < total {
                    outcome.next = Some(format!("d:{}", range.end));
                    return Ok(outcome);
                }
                if organization.is_none() {
                    return Ok(outcome);
                }
                // The members start in the next chunk, which reads their first page.
                outcome.next = Some("o:".into());
                return Ok(outcome);
            }
        };
        let Some(organization) = organization else { return Ok(outcome) };
        let request = crate::organizations::page(
            self.chunk_size / items.len().max(1),
            Some(members_from).filter(|c| !c.is_empty()),
        )?;
        let members = self.store.organization_members(tenant, organization, &request).await?;
        outcome.discovered = (members.items.len() * items.len()) as u64;
        for member in members.items {
            for item in items {
                self.share_unit(
                    tenant,
                    job,
                    &mut names,
                    member.id,
                    *item,
                    Some(organization),
                    available_until,
                    &mut outcome,
                )
                .await?;
            }
            let id = member.id;
            self.open_access(tenant, &job.by, member).await.map_err(|err| {
                tracing::warn!(contact = %id, "opening access failed");
                err
            })?;
        }
        outcome.next = members.next_cursor.map(|next| format!("o:{next}"));
        Ok(outcome)
    }

    /// One (contact, item) unit of a share job, counted in `outcome`.
    #[allow(clippy::too_many_arguments)]
    async fn share_unit(
        &self,
        tenant: TenantId,
        job: &Job,
        names: &mut std::collections::HashMap<ItemRef, portal_shared::model::DriveEntry>,
        contact: ContactId,
        item: ItemRef,
        organization: Option<OrganizationId>,
        available_until: Option<OffsetDateTime>,
        outcome: &mut ChunkOutcome,
    ) -> Result<(), ApiError> {
        let Some(entry) = names.get(&item) else {
            outcome.fail(Some(contact), Some(item), format!("no such {}", kind(item)));
            return Ok(());
        };
        let share = Share {
            contact_id: contact,
            item,
            shared_by: job.by.sub.clone(),
            shared_at: job.created_at,
            available_until,
        };
        match self.share_once(tenant, &job.by, &share, organization, entry_name(entry)).await? {
            Unit::Created | Unit::Existed => outcome.ok(),
            Unit::Refused(reason) => {
                if reason != "no such contact" {
                    names.remove(&item);
                }
                outcome.fail(Some(contact), Some(item), reason);
            }
        }
        Ok(())
    }

    /// One share, made once: created with its event and announced, or (existing) given
    /// this share's expiry; a share that came from an organization stays marked as such
    /// when `organization` is that organization, and becomes direct otherwise.
    pub(crate) async fn share_once(
        &self,
        tenant: TenantId,
        by: &StaffMember,
        share: &Share,
        organization: Option<OrganizationId>,
        name: String,
    ) -> Result<Unit, ApiError> {
        let event = ActivityEvent::new(Action::ShareCreated, by.actor(), OffsetDateTime::now_utc())
            .contact(share.contact_id)
            .item(share.item, name.clone());
        match self.store.create_share_once(tenant, share, organization, &event).await {
            Ok(true) => {
                self.announce(tenant, share.contact_id, share.item, name).await?;
                Ok(Unit::Created)
            }
            Ok(false) => {
                if organization.is_none() {
                    self.store.overwrite_share(tenant, share).await?;
                }
                Ok(Unit::Existed)
            }
            Err(StoreError::Clash(Clash::Unknown(Entity::Contact))) => Ok(Unit::Refused("no such contact")),
            Err(StoreError::Clash(Clash::Unknown(Entity::Folder))) => Ok(Unit::Refused("no such folder")),
            Err(StoreError::Clash(Clash::Unknown(Entity::Document))) => Ok(Unit::Refused("no such document")),
            Err(err) => Err(err.into()),
        }
    }

    /// Adds a new share to the contact's email batch and announces it on the
    /// notifications queue, delivered when the batch's window has passed.
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
        self.notifications.send(&message, self.share_email_window_seconds).await
    }

    /// Opens the access of a contact who never had one (the invitation is emailed); a
    /// `pending` access whose invitation is still owed gets it now; any other stays as it
    /// is. `Err(reason)`: the contact is gone.
    pub(crate) async fn open_access_of(
        &self,
        tenant: TenantId,
        by: &StaffMember,
        contact: ContactId,
    ) -> Result<Result<(), &'static str>, ApiError> {
        let Some(contact) = self.store.contact(tenant, contact).await? else { return Ok(Err("no such contact")) };
        self.open_access(tenant, by, contact).await.map(|_| Ok(()))
    }

    pub(crate) async fn open_access(
        &self,
        tenant: TenantId,
        by: &StaffMember,
        contact: Contact,
    ) -> Result<Contact, ApiError> {
        let contact = match contact.access_status {
            AccessStatus::None => portal_shared::access::apply(&self.store, by, contact, Change::Open).await?.contact,
            _ => contact,
        };
        if contact.access_status == AccessStatus::Pending {
            self.invite_if_owed(tenant, &contact).await?;
        }
        Ok(contact)
    }

    /// Sends a `pending` contact's invitation if it is still owed (no `sentAt`), under a
    /// claim, so that two deliveries of a chunk at once send it once.
    pub(crate) async fn invite_if_owed(&self, tenant: TenantId, contact: &Contact) -> Result<(), ApiError> {
        if self.store.claim_invitation(tenant, contact.id, OffsetDateTime::now_utc(), INVITATION_CLAIM_SECONDS).await? {
            let company = self.store.tenant(tenant).await?.ok_or(ApiError::NotFound("company"))?;
            self.inviter.invite(&company, contact).await?;
        }
        Ok(())
    }
}

pub(crate) fn kind(item: ItemRef) -> &'static str {
    portal_shared::share_selection::kind(item)
}
