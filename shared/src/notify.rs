//! The notification emails after the invitation: a customer's submission (to staff), the
//! batched "shared with you" email, and the optional "access closed" notice. Each carries
//! the company's name and logo and a link to change preferences, in the recipient's
//! language, and honours their preferences. Sending goes through the outbox (see
//! `store::notifications`) so a repeated or concurrent delivery sends once.

use time::OffsetDateTime;

use crate::domain::{AccessStatus, ContactId, TenantId};
use crate::error::ApiError;
use crate::identity::StaffMember;
use crate::keys;
use crate::mail::{Mailer, render};
use crate::model::{Contact, Document, Language, Tenant};
use crate::store::{BatchClaim, Store};

/// How long one delivery may hold a notification before another may take it over.
const LEASE_SECONDS: i64 = 120;

/// The most shares one "shared with you" email names; the rest go in the next emails.
/// One page is one BatchWriteItem to close (25 deletes).
pub const SHARES_PER_EMAIL: usize = 25;

#[derive(Clone, Debug)]
pub struct Notifier {
    store: Store,
    mailer: Mailer,
    public_url: String,
    shares_per_email: usize,
}

/// What became of a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// Sent to these recipients.
    To(Vec<String>),
    /// Nothing to send: sent already, held by another delivery, or nobody wants it.
    Nothing,
}

/// Who gets the email about a customer's submission: staff who opted in; if nobody did,
/// the staff member who owns the contact; else every admin. Nobody who opted out.
pub fn submission_recipients(staff: &[StaffMember], contact: Option<&Contact>) -> Vec<StaffMember> {
    let opted_in: Vec<_> = staff.iter().filter(|m| m.notify_submissions == Some(true)).cloned().collect();
    if !opted_in.is_empty() {
        return opted_in;
    }
    let willing = |m: &&StaffMember| m.notify_submissions != Some(false);
    if let Some(owner) = contact.and_then(|c| staff.iter().filter(willing).find(|m| m.sub == c.created_by))
        && owner.role.can_write()
    {
        return vec![owner.clone()];
    }
    staff.iter().filter(willing).filter(|m| m.role.is_admin()).cloned().collect()
}

impl Notifier {
    pub fn new(store: Store, mailer: Mailer, public_url: impl Into<String>) -> Self {
        Self {
            store,
            mailer,
            public_url: public_url.into().trim_end_matches('/').to_owned(),
            shares_per_email: SHARES_PER_EMAIL,
        }
    }

    /// The same notifier naming at most `count` shares per email (tests page with a few).
    pub fn with_shares_per_email(mut self, count: usize) -> Self {
        self.shares_per_email = count.clamp(1, SHARES_PER_EMAIL);
        self
    }

    fn branding(&self, tenant: &Tenant) -> serde_json::Value {
        serde_json::json!({
            "company": tenant.name,
            "logoUrl": tenant.logo_path().map(|path| format!("{}/api{path}", self.public_url)),
            "accentColor": tenant.accent_color,
        })
    }

    fn context(&self, tenant: &Tenant, extra: serde_json::Value) -> serde_json::Value {
        let mut context = self.branding(tenant);
        if let (Some(map), serde_json::Value::Object(extra)) = (context.as_object_mut(), extra) {
            map.extend(extra);
        }
        context
    }

    fn portal_link(&self, tenant: &Tenant) -> String {
        format!("{}/p/{}", self.public_url, tenant.slug)
    }

    /// Emails staff about a customer's submission (once per document).
    pub async fn submitted(&self, document: &Document) -> Result<Sent, ApiError> {
        let tenant_id = document.tenant_id;
        let key = keys::submitted_notification(document.id);
        if !self.store.claim_notification(tenant_id, &key, OffsetDateTime::now_utc(), LEASE_SECONDS).await? {
            return Ok(Sent::Nothing);
        }
        match self.send_submitted(document).await {
            Ok(sent) => {
                self.store.finish_notification(tenant_id, &key, OffsetDateTime::now_utc()).await?;
                Ok(sent)
            }
            Err(err) => {
                self.store.release_notification(tenant_id, &key).await?;
                Err(err)
            }
        }
    }

    async fn send_submitted(&self, document: &Document) -> Result<Sent, ApiError> {
        let tenant = self.store.tenant(document.tenant_id).await?.ok_or(ApiError::NotFound("company"))?;
        let contact = match document.contact_id {
            Some(id) => self.store.contact(tenant.id, id).await?,
            None => None,
        };
        let staff = self.store.all_staff(tenant.id).await?;
        let recipients = submission_recipients(&staff, contact.as_ref());
        let context = self.context(
            &tenant,
            serde_json::json!({
                "contactName": contact.as_ref().map(|c| c.name.to_string()).unwrap_or_else(|| "A customer".into()),
                "contactEmail": contact.as_ref().map(|c| c.email.to_string()).unwrap_or_default(),
                "documentName": document.name,
                "link": format!("{}/#/submissions/{}", self.public_url, document.id),
                "preferencesUrl": format!("{}/#/profile", self.public_url),
            }),
        );
        let message = render("submitted", Language::En, &context)?;
        for recipient in &recipients {
            self.mailer.send(&recipient.email, tenant.name.as_str(), &message, None).await?;
        }
        tracing::info!(tenant = %tenant.id, document = %document.id, recipients = recipients.len(), "submission emailed");
        Ok(Sent::To(recipients.iter().map(|r| r.email.to_string()).collect()))
    }

    /// Emails a contact the oldest page of the shares batched for them, once the batch's
    /// window has passed (`NotDue`, and a lease held by another delivery, come back as 503
    /// so the queue delivers the message again later). One email per delivery, at most
    /// [`SHARES_PER_EMAIL`] items: when more are pending after it, the delivery is reported
    /// failed too, so the queue delivers it again for the next page (every share queued a
    /// message of its own, so the next page usually goes out with the next message).
    pub async fn shares_due(
        &self,
        tenant: TenantId,
        contact: ContactId,
        window_seconds: i64,
    ) -> Result<Sent, ApiError> {
        let batch = match self
            .store
            .claim_share_batch(
                tenant,
                contact,
                OffsetDateTime::now_utc(),
                window_seconds,
                LEASE_SECONDS,
                self.shares_per_email,
            )
            .await?
        {
            BatchClaim::Claimed(batch) => batch,
            BatchClaim::NotDue | BatchClaim::Busy => return Err(ApiError::Unavailable),
            BatchClaim::Nothing => return Ok(Sent::Nothing),
        };
        match self.send_shares(tenant, contact, &batch).await {
            Ok(sent) => {
                self.store.finish_share_batch(tenant, contact, &batch).await?;
                if batch.more {
                    tracing::info!(tenant = %tenant, contact = %contact, "more shares pending: the next page follows");
                    return Err(ApiError::Unavailable);
                }
                Ok(sent)
            }
            Err(err) => {
                self.store.release_share_batch(tenant, contact, &batch).await?;
                Err(err)
            }
        }
    }

    async fn send_shares(
        &self,
        tenant_id: TenantId,
        contact_id: ContactId,
        batch: &crate::store::ShareBatch,
    ) -> Result<Sent, ApiError> {
        let Some(tenant) = self.store.tenant(tenant_id).await? else { return Ok(Sent::Nothing) };
        let Some(contact) = self.store.contact(tenant_id, contact_id).await? else { return Ok(Sent::Nothing) };
        // Only a registered customer with active access is told (the invitation covers the
        // others), and only if their preferences allow emails from this company.
        let Some(sub) = contact.customer_sub.clone().filter(|_| contact.access_status == AccessStatus::Active) else {
            return Ok(Sent::Nothing);
        };
        let preferences = self.store.preferences(&sub).await?;
        if !preferences.wants_email_from(tenant_id) {
            tracing::info!(tenant = %tenant_id, contact = %contact_id, "share email skipped: the customer turned emails off");
            return Ok(Sent::Nothing);
        }
        let mut items = Vec::new();
        for share in &batch.items {
            if !items.iter().any(|i: &crate::store::BatchedShare| i.item == share.item) {
                items.push(share.clone());
            }
        }
        if items.is_empty() {
            return Ok(Sent::Nothing);
        }
        let preferences_url = format!("{}#preferences", self.portal_link(&tenant));
        let context = self.context(
            &tenant,
            serde_json::json!({
                "contactName": contact.name,
                "count": items.len(),
                "items": items.iter().map(|i| serde_json::json!({ "kind": i.item.kind(), "name": i.name })).collect::<Vec<_>>(),
                "link": self.portal_link(&tenant),
                "preferencesUrl": preferences_url,
            }),
        );
        let message = render("shares", preferences.language, &context)?;
        self.mailer.send(&contact.email, tenant.name.as_str(), &message, Some(&preferences_url)).await?;
        tracing::info!(tenant = %tenant_id, contact = %contact_id, items = items.len(), "shares emailed");
        Ok(Sent::To(vec![contact.email.to_string()]))
    }

    /// Tells a registered customer their access was closed, if the company turned this
    /// email on and the customer's preferences allow it.
    pub async fn access_closed(&self, tenant: &Tenant, contact: &Contact) -> Result<Sent, ApiError> {
        let Some(sub) = contact.customer_sub.as_ref().filter(|_| tenant.notify_access_closed) else {
            return Ok(Sent::Nothing);
        };
        let preferences = self.store.preferences(sub).await?;
        if !preferences.wants_email_from(tenant.id) {
            return Ok(Sent::Nothing);
        }
        let preferences_url = format!("{}#preferences", self.portal_link(tenant));
        let context =
            self.context(tenant, serde_json::json!({ "contactName": contact.name, "preferencesUrl": preferences_url }));
        let message = render("access_closed", preferences.language, &context)?;
        self.mailer.send(&contact.email, tenant.name.as_str(), &message, Some(&preferences_url)).await?;
        Ok(Sent::To(vec![contact.email.to_string()]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Role, UserSub};

    fn member(sub: &str, role: Role, notify: Option<bool>) -> StaffMember {
        StaffMember {
            sub: sub.parse().unwrap(),
            tenant_id: TenantId::new(),
            email: format!("{sub}@staff.example").parse().unwrap(),
            name: None,
            role,
            notify_submissions: notify,
            submissions_seen_at: None,
            company_status: crate::domain::TenantStatus::Active,
        }
    }

    fn contact(owner: &str) -> Contact {
        Contact {
            id: ContactId::new(),
            email: "c@client.example".parse().unwrap(),
            name: "C".parse().unwrap(),
            access_status: AccessStatus::Active,
            organization_id: None,
            access_changed_at: None,
            customer_sub: None,
            language: Language::En,
            created_at: OffsetDateTime::now_utc(),
            created_by: owner.parse::<UserSub>().unwrap(),
        }
    }

    fn subs(members: Vec<StaffMember>) -> Vec<String> {
        members.into_iter().map(|m| m.sub.to_string()).collect()
    }

    #[test]
    fn submissions_go_to_who_opted_in_else_the_owner_else_the_admins() {
        let staff = vec![
            member("admin1", Role::Admin, None),
            member("admin2", Role::Admin, Some(false)),
            member("owner", Role::Member, None),
            member("viewer", Role::Viewer, None),
        ];
        assert_eq!(subs(submission_recipients(&staff, Some(&contact("owner")))), ["owner"]);
        // An owner who left (or is a viewer, or opted out) falls back to the admins.
        assert_eq!(subs(submission_recipients(&staff, Some(&contact("gone")))), ["admin1"]);
        assert_eq!(subs(submission_recipients(&staff, Some(&contact("viewer")))), ["admin1"]);
        let mut opted = staff.clone();
        opted[3].notify_submissions = Some(true);
        assert_eq!(subs(submission_recipients(&opted, Some(&contact("owner")))), ["viewer"]);
    }
}
