//! Contacts: one item per contact in the tenant's partition (listed by `CONTACT#` prefix,
//! and per organization in GSI1), an email guard per contact (`EMAIL#…`, so an email is
//! used once per tenant), the contact's portal-access changes and the invitation request
//! an opened access records.

use std::collections::HashMap;

use time::OffsetDateTime;

use super::search::Rewrite;
use super::{Clash, Entity, Expr, Item, Store, StoreError, Transaction, conditional, from_item, rfc3339, s, to_item};
use crate::domain::{AccessStatus, ContactId, TenantId};
use crate::keys::{self, GSI1_PK, GSI1_SK, PK, SK};
use crate::model::{ActivityEvent, Contact, InvitationRequest, Organization};
use crate::pagination::{Page, PageRequest};

impl Store {
    pub(super) fn contact_key(tenant: TenantId, contact: ContactId) -> Item {
        Self::tenant_key(tenant, keys::contact_sk(contact))
    }

    pub(super) fn contact_item(tenant: TenantId, contact: &Contact) -> Result<Item, StoreError> {
        let mut keys = vec![(PK, keys::tenant_pk(tenant)), (SK, keys::contact_sk(contact.id))];
        if let Some(organization) = contact.organization_id {
            keys.push((GSI1_PK, keys::organization_members_gsi1_pk(tenant, organization)));
            keys.push((GSI1_SK, keys::contact_sk(contact.id)));
        }
        to_item(contact, &keys)
    }

    pub(super) fn email_guard(tenant: TenantId, contact: &Contact) -> Result<Item, StoreError> {
        to_item(
            &serde_json::json!({ "contactId": contact.id }),
            &[(PK, keys::tenant_pk(tenant)), (SK, keys::contact_email_sk(&contact.email))],
        )
    }

    /// The contact's organization, if any, must still be as read: it exists, with the name
    /// the contact's search words hold (`OrganizationChanged`).
    fn in_organization(
        transaction: Transaction,
        tenant: TenantId,
        contact: &Contact,
        organization: Option<&Organization>,
    ) -> Result<Transaction, StoreError> {
        match (contact.organization_id, organization) {
            (None, _) => Ok(transaction),
            (Some(id), Some(organization)) if organization.id == id => Ok(transaction.require(
                Self::organization_key(tenant, id),
                Expr::exists()
                    .name("#name", "name")
                    .value(":orgName", s(organization.name.as_str()))
                    .and("#name = :orgName"),
                Clash::OrganizationChanged,
            )),
            (Some(id), _) => {
                Err(StoreError::Internal(format!("contact {} joins organization {id} unread", contact.id)))
            }
        }
    }

    /// Creates a contact; its email must be new in the tenant (`ContactEmailTaken`;
    /// contact + email guard in one transaction, so two concurrent creates cannot both
    /// succeed), its organization (`organization`, as read) must be unchanged
    /// (`OrganizationChanged`). Its search entries are written with it.
    pub async fn create_contact(
        &self,
        tenant: TenantId,
        contact: &Contact,
        organization: Option<&Organization>,
    ) -> Result<(), StoreError> {
        let transaction = Transaction::new("CreateContact")
            .put_new(Self::contact_item(tenant, contact)?, Clash::ContactEmailTaken)
            .put_new(Self::email_guard(tenant, contact)?, Clash::ContactEmailTaken);
        let transaction = Self::in_organization(transaction, tenant, contact, organization)?;
        let name = organization.map(|organization| &organization.name);
        Self::contact_entries(transaction, tenant, contact, name, Rewrite::New)?.commit(self).await
    }

    /// Replaces a contact with its edited version, atomically with its email guard (moved
    /// when the email changes: `ContactEmailTaken`) and the check that its new
    /// organization (`organization`, as read) is unchanged (`OrganizationChanged`). The
    /// write is conditional on the stored email being the one read (`ContactChanged`), so a
    /// concurrent edit of the email cannot leave a stale guard. Its search entries are
    /// rewritten with it.
    pub async fn update_contact(
        &self,
        tenant: TenantId,
        before: &Contact,
        after: &Contact,
        organization: Option<&Organization>,
    ) -> Result<(), StoreError> {
        let mut transaction = Transaction::new("UpdateContact").put_if(
            Self::contact_item(tenant, after)?,
            Expr::new("attribute_exists(#pk) AND email = :email")
                .name("#pk", PK)
                .value(":email", s(before.email.as_str())),
            Clash::ContactChanged,
        );
        if before.email != after.email {
            transaction = transaction
                .delete(Self::tenant_key(tenant, keys::contact_email_sk(&before.email)))
                .put_new(Self::email_guard(tenant, after)?, Clash::ContactEmailTaken);
        }
        let transaction = Self::in_organization(transaction, tenant, after, organization)?;
        let name = organization.map(|organization| &organization.name);
        Self::contact_entries(transaction, tenant, after, name, Rewrite::Existing)?.commit(self).await
    }

    /// Deletes a contact, its email guard and its search entries together, with the
    /// activity entry. The
    /// condition on the access as read makes a concurrent access change `ContactChanged`.
    pub async fn delete_contact(
        &self,
        tenant: TenantId,
        contact: &Contact,
        event: &ActivityEvent,
    ) -> Result<(), StoreError> {
        let transaction = Transaction::new("DeleteContact")
            .delete_if(
                Self::contact_key(tenant, contact.id),
                Expr::exists().value(":status", super::value(contact.access_status)?).and("accessStatus = :status"),
                Clash::ContactChanged,
            )
            .delete(Self::tenant_key(tenant, keys::contact_email_sk(&contact.email)))
            .append(Self::event_item(tenant, event)?);
        // The customer account's link goes too: it counts towards the account's companies.
        let transaction = match &contact.customer_sub {
            Some(sub) => transaction.delete(Self::key(keys::user_pk(sub), keys::customer_link_sk(tenant, contact.id))),
            None => transaction,
        };
        Self::delete_contact_entries(transaction, tenant, contact.id).commit(self).await
    }

    /// Moves a contact's portal access from `expected` (as read) to `next`, and queues the
    /// invitation with it when there is one, in one transaction. A concurrent change of the
    /// same contact makes the condition fail: `AccessChanged`, nothing written. The
    /// contact as it is now (`None`: deleted right after).
    #[allow(clippy::too_many_arguments)] // one transaction of these parts; each is needed
    pub async fn change_access(
        &self,
        tenant: TenantId,
        contact: ContactId,
        expected: AccessStatus,
        next: AccessStatus,
        at: OffsetDateTime,
        invitation: Option<&InvitationRequest>,
        event: &ActivityEvent,
    ) -> Result<Option<Contact>, StoreError> {
        let mut transaction = Transaction::new("ChangeAccess").update(
            Self::contact_key(tenant, contact),
            Expr::new("SET accessStatus = :next, accessChangedAt = :at")
                .value(":next", super::value(next)?)
                .value(":at", s(rfc3339(at))),
            Expr::exists().value(":expected", super::value(expected)?).and("accessStatus = :expected"),
            Clash::AccessChanged,
        );
        if let Some(invitation) = invitation {
            transaction = transaction.put(to_item(
                invitation,
                &[(PK, keys::tenant_pk(tenant)), (SK, keys::invitation_request_sk(contact))],
            )?);
        }
        transaction.append(Self::event_item(tenant, event)?).commit(self).await?;
        self.contact(tenant, contact).await
    }

    pub async fn invitation_request(
        &self,
        tenant: TenantId,
        contact: ContactId,
    ) -> Result<Option<InvitationRequest>, StoreError> {
        self.get(keys::tenant_pk(tenant), keys::invitation_request_sk(contact)).await
    }

    /// Records that the invitation a request owed was emailed (`Missing(InvitationRequest)`
    /// when there is none).
    pub async fn mark_invitation_sent(
        &self,
        tenant: TenantId,
        contact: ContactId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::tenant_key(tenant, keys::invitation_request_sk(contact))))
            .update_expression("SET sentAt = :at")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":at", s(rfc3339(at)))
            .send()
            .await;
        conditional("MarkInvitationSent", result, Clash::Missing(Entity::InvitationRequest)).map(drop)
    }

    pub async fn contact(&self, tenant: TenantId, contact: ContactId) -> Result<Option<Contact>, StoreError> {
        self.get(keys::tenant_pk(tenant), keys::contact_sk(contact)).await
    }

    /// The contacts that exist among `ids`.
    pub async fn contacts(
        &self,
        tenant: TenantId,
        ids: &[ContactId],
    ) -> Result<HashMap<ContactId, Contact>, StoreError> {
        let keys = ids.iter().map(|id| (keys::tenant_pk(tenant), keys::contact_sk(*id))).collect();
        self.batch_get(keys)
            .await?
            .into_iter()
            .map(|item| from_item::<Contact>(item).map(|contact| (contact.id, contact)))
            .collect()
    }

    pub async fn list_contacts(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Contact>, StoreError> {
        self.query_tenant(tenant, keys::CONTACT_PREFIX, page).await
    }
}
