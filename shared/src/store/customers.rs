//! The customer side: invitation tokens (stored by hash), sign-ups waiting for their
//! email confirmation, the links of a customer account to the contacts it is, customer
//! preferences, and customer submissions.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use time::OffsetDateTime;

use super::{Item, Store, from_item, s, to_item, took_effect};
use crate::domain::{AccessStatus, ContactId, DocumentId, Email, TenantId, UserSub};
use crate::error::ApiError;
use crate::keys::{self, PK, SK};
use crate::model::{ActivityEvent, Contact, CustomerLink, InvitationToken, PendingSignup, Preferences, Tenant};

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).expect("RFC 3339 formats")
}

impl Store {
    /// Stores an invitation token's hash; TTL removes it some time after it expires.
    pub async fn put_invitation_token(&self, hash: &str, token: &InvitationToken) -> Result<(), ApiError> {
        let mut item =
            to_item(token, &[(PK, keys::invitation_token_pk(hash)), (SK, keys::INVITATION_TOKEN_SK.into())])?;
        let ttl = token.valid_until + time::Duration::days(7);
        item.insert(keys::TTL_ATTRIBUTE.to_owned(), AttributeValue::N(ttl.unix_timestamp().to_string()));
        self.put_all_new("PutInvitationToken", [item], "this invitation token exists already").await
    }

    /// Removes a token that was never emailed (its email could not be sent).
    pub async fn delete_invitation_token(&self, hash: &str) -> Result<(), ApiError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::invitation_token_pk(hash), keys::INVITATION_TOKEN_SK.into())))
            .send()
            .await
            .map_err(|e| ApiError::from_sdk("DeleteInvitationToken", e))?;
        Ok(())
    }

    pub async fn invitation_token(&self, hash: &str) -> Result<Option<InvitationToken>, ApiError> {
        self.get(keys::invitation_token_pk(hash), keys::INVITATION_TOKEN_SK.into()).await
    }

    /// The write that uses a token up: it must not have been used (409 otherwise).
    fn use_token(&self, hash: &str, at: OffsetDateTime) -> Result<(TransactWriteItem, ApiError), ApiError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::invitation_token_pk(hash), keys::INVITATION_TOKEN_SK.into())))
            .update_expression("SET usedAt = :at")
            .condition_expression("attribute_exists(#pk) AND attribute_not_exists(usedAt)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":at", s(rfc3339(at)))
            .build()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok((
            TransactWriteItem::builder().update(update).build(),
            ApiError::Conflict("this invitation has been used already".into()),
        ))
    }

    /// Uses the token up and records the sign-up waiting for its confirmation, together.
    pub async fn begin_signup(
        &self,
        hash: &str,
        email: &Email,
        signup: &PendingSignup,
        at: OffsetDateTime,
    ) -> Result<(), ApiError> {
        let item = to_item(
            signup,
            &[(PK, keys::signup_pk(email)), (SK, keys::signup_sk(signup.tenant_id, signup.contact_id))],
        )?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .build()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        self.transact(
            "BeginSignup",
            vec![
                self.use_token(hash, at)?,
                (TransactWriteItem::builder().put(put).build(), ApiError::Internal("unconditional".into())),
            ],
        )
        .await
    }

    pub async fn pending_signups(&self, email: &Email) -> Result<Vec<PendingSignup>, ApiError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", s(keys::signup_pk(email)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| ApiError::from_sdk("Query", e))?;
        output.items.unwrap_or_default().into_iter().map(from_item).collect()
    }

    /// The writes that make a contact's access active for the account `sub` and link the
    /// account to it. The access must still be pending (staff may have closed it meanwhile).
    fn activation_writes(
        &self,
        tenant: TenantId,
        contact: ContactId,
        sub: &UserSub,
        at: OffsetDateTime,
        event: &ActivityEvent,
    ) -> Result<Vec<(TransactWriteItem, ApiError)>, ApiError> {
        let status =
            |s: AccessStatus| serde_dynamo::to_attribute_value(s).map_err(|e| ApiError::Internal(e.to_string()));
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(tenant), keys::contact_sk(contact))))
            .update_expression("SET accessStatus = :active, accessChangedAt = :at, customerSub = :sub")
            .condition_expression("attribute_exists(#pk) AND accessStatus = :pending")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":active", status(AccessStatus::Active)?)
            .expression_attribute_values(":pending", status(AccessStatus::Pending)?)
            .expression_attribute_values(":at", s(rfc3339(at)))
            .expression_attribute_values(":sub", s(sub.as_str()))
            .build()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let link = CustomerLink { tenant_id: tenant, contact_id: contact, linked_at: at };
        let link_item: Item =
            to_item(&link, &[(PK, keys::user_pk(sub)), (SK, keys::customer_link_sk(tenant, contact))])?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(link_item))
            .build()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(vec![
            (
                TransactWriteItem::builder().update(update).build(),
                ApiError::Conflict("the company closed this access meanwhile".into()),
            ),
            (TransactWriteItem::builder().put(put).build(), ApiError::Internal("unconditional".into())),
            self.event_write(tenant, event)?,
        ])
    }

    /// Activates a confirmed sign-up's contact and removes the waiting sign-up.
    pub async fn complete_signup(
        &self,
        email: &Email,
        signup: &PendingSignup,
        at: OffsetDateTime,
        event: &ActivityEvent,
    ) -> Result<(), ApiError> {
        let mut writes = self.activation_writes(signup.tenant_id, signup.contact_id, &signup.sub, at, event)?;
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::signup_pk(email), keys::signup_sk(signup.tenant_id, signup.contact_id))))
            .build()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        writes.push((TransactWriteItem::builder().delete(delete).build(), ApiError::Internal("unconditional".into())));
        self.transact("CompleteSignup", writes).await
    }

    /// Drops a waiting sign-up that can no longer complete (its access was closed).
    pub async fn drop_signup(&self, email: &Email, signup: &PendingSignup) -> Result<(), ApiError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::signup_pk(email), keys::signup_sk(signup.tenant_id, signup.contact_id))))
            .send()
            .await
            .map_err(|e| ApiError::from_sdk("DeleteItem", e))?;
        Ok(())
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
    ) -> Result<(), ApiError> {
        let mut writes = vec![self.use_token(hash, at)?];
        writes.extend(self.activation_writes(token.tenant_id, token.contact_id, sub, at, event)?);
        self.transact("LinkAccount", writes).await
    }

    /// The contacts a customer account is linked to.
    pub async fn customer_links(&self, sub: &UserSub) -> Result<Vec<CustomerLink>, ApiError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(keys::user_pk(sub)))
            .expression_attribute_values(":prefix", s(keys::CUSTOMER_LINK_PREFIX))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| ApiError::from_sdk("Query", e))?;
        output.items.unwrap_or_default().into_iter().map(from_item).collect()
    }

    /// The tenant profiles that exist among `ids`.
    /// What a customer's links lead to, in one BatchGetItem: each linked company's profile
    /// and the linked contact, both in the company's partition. Missing ones are left out.
    /// A company's profile and one of its contacts, as they are now (one BatchGetItem):
    /// what an invitation names, read before registering.
    pub async fn tenant_and_contact(
        &self,
        tenant: TenantId,
        contact: ContactId,
    ) -> Result<(Option<Tenant>, Option<Contact>), ApiError> {
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

    pub async fn linked(&self, links: &[CustomerLink]) -> Result<Vec<(Tenant, Contact)>, ApiError> {
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

    pub async fn preferences(&self, sub: &UserSub) -> Result<Preferences, ApiError> {
        Ok(self.get(keys::user_pk(sub), keys::PREFERENCES_SK.into()).await?.unwrap_or_default())
    }

    pub async fn put_preferences(&self, sub: &UserSub, preferences: &Preferences) -> Result<(), ApiError> {
        let item = to_item(preferences, &[(PK, keys::user_pk(sub)), (SK, keys::PREFERENCES_SK.into())])?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| ApiError::from_sdk("PutItem", e))?;
        Ok(())
    }

    /// Marks a customer submission as seen by staff (the first time only).
    pub async fn mark_seen(&self, tenant: TenantId, document: DocumentId, at: OffsetDateTime) -> Result<(), ApiError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(tenant), keys::document_sk(document))))
            .update_expression("SET seenAt = :at")
            .condition_expression("attribute_exists(contactId) AND attribute_not_exists(seenAt)")
            .expression_attribute_values(":at", s(rfc3339(at)))
            .send()
            .await;
        took_effect("UpdateItem", result).map(|_| ())
    }

    /// Deletes a customer's own submission while staff have not seen it (409 once they
    /// have; 404 if it is not theirs).
    pub async fn delete_submission(
        &self,
        tenant: TenantId,
        document: DocumentId,
        contact: ContactId,
        event: &ActivityEvent,
    ) -> Result<(), ApiError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(tenant), keys::document_sk(document))))
            .condition_expression("contactId = :contact AND attribute_not_exists(seenAt)")
            .expression_attribute_values(":contact", s(contact.to_string()))
            .build()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        self.transact(
            "DeleteSubmission",
            vec![
                (
                    TransactWriteItem::builder().delete(delete).build(),
                    ApiError::Conflict("the company has already seen this document".into()),
                ),
                self.event_write(tenant, event)?,
            ],
        )
        .await
    }
}
