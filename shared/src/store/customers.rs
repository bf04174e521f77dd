//! The customer side: invitation tokens (stored by hash), sign-ups waiting for their
//! email confirmation, the links of a customer account to the contacts it is, and
//! customer preferences. (A customer's submissions are documents: `documents`.)

use std::collections::HashMap;

use time::OffsetDateTime;

use super::{
    Clash, Entity, Expr, Item, Store, StoreError, Transaction, expire_at, from_item, rfc3339, s, sent, to_item,
};
use crate::domain::{AccessStatus, ContactId, Email, TenantId, UserSub};
use crate::keys::{self, PK, SK};
use crate::model::{ActivityEvent, Contact, CustomerLink, InvitationToken, PendingSignup, Preferences, Tenant};

/// The most companies one customer account is linked to. Every customer request reads the
/// account's links (one `Query`) and what they lead to (one `BatchGetItem` of two keys per
/// company), and the personal space reads one view partition per company per page, so this
/// is what keeps a customer request's work bounded: an invitation past it is refused
/// (registration: 409) rather than making every later request of the account grow.
pub const MAX_LINKED_COMPANIES: usize = 50;

impl Store {
    /// Stores an invitation token's hash; TTL removes it some time after it expires.
    pub async fn put_invitation_token(&self, hash: &str, token: &InvitationToken) -> Result<(), StoreError> {
        let mut item =
            to_item(token, &[(PK, keys::invitation_token_pk(hash)), (SK, keys::INVITATION_TOKEN_SK.into())])?;
        expire_at(&mut item, token.valid_until + time::Duration::days(7));
        Transaction::new("PutInvitationToken").put_new(item, Clash::Exists(Entity::InvitationToken)).commit(self).await
    }

    /// Removes a token that was never emailed (its email could not be sent).
    pub async fn delete_invitation_token(&self, hash: &str) -> Result<(), StoreError> {
        let key = Self::token_key(hash);
        sent("DeleteInvitationToken", self.client.delete_item().table_name(&self.table).set_key(Some(key)).send().await)
            .map(drop)
    }

    pub async fn invitation_token(&self, hash: &str) -> Result<Option<InvitationToken>, StoreError> {
        self.get(keys::invitation_token_pk(hash), keys::INVITATION_TOKEN_SK.into()).await
    }

    fn token_key(hash: &str) -> Item {
        Self::key(keys::invitation_token_pk(hash), keys::INVITATION_TOKEN_SK.into())
    }

    fn signup_key(email: &Email, signup: &PendingSignup) -> Item {
        Self::key(keys::signup_pk(email), keys::signup_sk(signup.tenant_id, signup.contact_id))
    }

    /// Adds the write that uses a token up: it must not have been used (`InvitationUsed`).
    fn use_token(transaction: Transaction, hash: &str, at: OffsetDateTime) -> Transaction {
        transaction.update(
            Self::token_key(hash),
            Expr::new("SET usedAt = :at").value(":at", s(rfc3339(at))),
            Expr::exists().and("attribute_not_exists(usedAt)"),
            Clash::InvitationUsed,
        )
    }

    /// Uses the token up and records the sign-up waiting for its confirmation, together.
    pub async fn begin_signup(
        &self,
        hash: &str,
        email: &Email,
        signup: &PendingSignup,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let item = to_item(
            signup,
            &[(PK, keys::signup_pk(email)), (SK, keys::signup_sk(signup.tenant_id, signup.contact_id))],
        )?;
        Self::use_token(Transaction::new("BeginSignup"), hash, at).put(item).commit(self).await
    }

    pub async fn pending_signups(&self, email: &Email) -> Result<Vec<PendingSignup>, StoreError> {
        self.query_partition(keys::signup_pk(email), "").await
    }

    /// Adds the writes that make a contact's access active for the account `sub` and link
    /// the account to it. The access must still be pending (`AccessNotPending`: staff may
    /// have closed it meanwhile).
    fn activate(
        transaction: Transaction,
        (tenant, contact): (TenantId, ContactId),
        sub: &UserSub,
        at: OffsetDateTime,
        event: &ActivityEvent,
    ) -> Result<Transaction, StoreError> {
        let link = CustomerLink { tenant_id: tenant, contact_id: contact, linked_at: at };
        Ok(transaction
            .update(
                Self::contact_key(tenant, contact),
                Expr::new("SET accessStatus = :active, accessChangedAt = :at, customerSub = :sub")
                    .value(":active", super::value(AccessStatus::Active)?)
                    .value(":at", s(rfc3339(at)))
                    .value(":sub", s(sub.as_str())),
                Expr::exists().value(":pending", super::value(AccessStatus::Pending)?).and("accessStatus = :pending"),
                Clash::AccessNotPending,
            )
            .put(to_item(&link, &[(PK, keys::user_pk(sub)), (SK, keys::customer_link_sk(tenant, contact))])?)
            .append(Self::event_item(tenant, event)?))
    }

    /// Activates a confirmed sign-up's contact and removes the waiting sign-up.
    pub async fn complete_signup(
        &self,
        email: &Email,
        signup: &PendingSignup,
        at: OffsetDateTime,
        event: &ActivityEvent,
    ) -> Result<(), StoreError> {
        let contact = (signup.tenant_id, signup.contact_id);
        Self::activate(Transaction::new("CompleteSignup"), contact, &signup.sub, at, event)?
            .delete(Self::signup_key(email, signup))
            .commit(self)
            .await
    }

    /// Drops a waiting sign-up that can no longer complete (its access was closed).
    pub async fn drop_signup(&self, email: &Email, signup: &PendingSignup) -> Result<(), StoreError> {
        let key = Self::signup_key(email, signup);
        sent("DeleteItem", self.client.delete_item().table_name(&self.table).set_key(Some(key)).send().await).map(drop)
    }

    /// Links an existing customer account to the invited contact at once (a second
    /// company's invitation), using the token up in the same transaction.
    pub async fn link_account(
        &self,
        hash: &str,
        token: &InvitationToken,
        sub: &UserSub,
        at: OffsetDateTime,
        event: &ActivityEvent,
    ) -> Result<(), StoreError> {
        let transaction = Self::use_token(Transaction::new("LinkAccount"), hash, at);
        Self::activate(transaction, (token.tenant_id, token.contact_id), sub, at, event)?.commit(self).await
    }

    /// The contacts a customer account is linked to (one `Query`: at most
    /// [`MAX_LINKED_COMPANIES`] links, a few KB).
    pub async fn customer_links(&self, sub: &UserSub) -> Result<Vec<CustomerLink>, StoreError> {
        self.query_partition(keys::user_pk(sub), keys::CUSTOMER_LINK_PREFIX).await
    }

    /// A company's profile and one of its contacts, as they are now (one BatchGetItem):
    /// what an invitation names, read before registering.
    pub async fn tenant_and_contact(
        &self,
        tenant: TenantId,
        contact: ContactId,
    ) -> Result<(Option<Tenant>, Option<Contact>), StoreError> {
        let partition = keys::tenant_pk(tenant);
        let (mut profile, mut found) = (None, None);
        for item in self
            .batch_get(vec![
                (partition.clone(), keys::TENANT_PROFILE_SK.to_owned()),
                (partition, keys::contact_sk(contact)),
            ])
            .await?
        {
            if item.get(SK).and_then(|v| v.as_s().ok()).map(String::as_str) == Some(keys::TENANT_PROFILE_SK) {
                profile = Some(from_item::<Tenant>(item)?);
            } else {
                found = Some(from_item::<Contact>(item)?);
            }
        }
        Ok((profile, found))
    }

    /// What a customer's links lead to, in one BatchGetItem: each linked company's profile
    /// and the linked contact, both in the company's partition. Missing ones are left out.
    pub async fn linked(&self, links: &[CustomerLink]) -> Result<Vec<(Tenant, Contact)>, StoreError> {
        let keys = links
            .iter()
            .flat_map(|link| {
                let partition = keys::tenant_pk(link.tenant_id);
                [
                    (partition.clone(), keys::TENANT_PROFILE_SK.to_owned()),
                    (partition, keys::contact_sk(link.contact_id)),
                ]
            })
            .collect();
        let (mut tenants, mut contacts) = (HashMap::new(), Vec::new());
        for item in self.batch_get(keys).await? {
            let partition = item.get(PK).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            if item.get(SK).and_then(|v| v.as_s().ok()).map(String::as_str) == Some(keys::TENANT_PROFILE_SK) {
                tenants.insert(partition, from_item::<Tenant>(item)?);
            } else {
                contacts.push((partition, from_item::<Contact>(item)?));
            }
        }
        Ok(links
            .iter()
            .filter_map(|link| {
                let partition = keys::tenant_pk(link.tenant_id);
                let tenant = tenants.get(&partition)?;
                let (_, contact) = contacts.iter().find(|(p, c)| *p == partition && c.id == link.contact_id)?;
                Some((tenant.clone(), contact.clone()))
            })
            .collect())
    }

    pub async fn preferences(&self, sub: &UserSub) -> Result<Preferences, StoreError> {
        Ok(self.get(keys::user_pk(sub), keys::PREFERENCES_SK.into()).await?.unwrap_or_default())
    }

    pub async fn put_preferences(&self, sub: &UserSub, preferences: &Preferences) -> Result<(), StoreError> {
        let item = to_item(preferences, &[(PK, keys::user_pk(sub)), (SK, keys::PREFERENCES_SK.into())])?;
        sent("PutItem", self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await).map(drop)
    }
}
