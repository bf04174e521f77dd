//! Invitations to the portal: a single-use, expiring registration link emailed to a
//! contact when staff open their access (or share with them). Only the token's hash is
//! stored; the registration function checks it.

use time::OffsetDateTime;

use crate::error::ApiError;
use crate::mail::{Mailer, render};
use crate::model::{Contact, InvitationToken, Tenant};
use crate::store::Store;
use crate::tokens;

/// How long an invitation link works.
pub const VALID_DAYS: i64 = 7;

#[derive(Clone, Debug)]
pub struct Inviter {
    store: Store,
    mailer: Mailer,
    /// The site's base URL (pages at `/`, the API at `/api`).
    public_url: String,
}

impl Inviter {
    pub fn new(store: Store, mailer: Mailer, public_url: impl Into<String>) -> Self {
        Self { store, mailer, public_url: public_url.into().trim_end_matches('/').to_owned() }
    }

    /// Stores a new token's hash and emails the contact their registration link, then
    /// marks the contact's invitation request as sent. Each call makes a new link; older
    /// unused links keep working until they expire. A link whose email could not be sent
    /// is removed again: nobody could ever use it.
    pub async fn invite(&self, tenant: &Tenant, contact: &Contact) -> Result<(), ApiError> {
        let token = tokens::new_token();
        let hash = tokens::hash(&token);
        let now = OffsetDateTime::now_utc();
        let record = InvitationToken {
            tenant_id: tenant.id,
            contact_id: contact.id,
            email: contact.email.clone(),
            valid_until: now + time::Duration::days(VALID_DAYS),
            used_at: None,
        };
        let base = &self.public_url;
        let context = serde_json::json!({
            "company": tenant.name,
            "contactName": contact.name,
            "link": format!("{base}/p/{}/register?token={token}", tenant.slug),
            "logoUrl": tenant.logo_path().map(|path| format!("{base}/api{path}")),
            "accentColor": tenant.accent_color,
            "preferencesUrl": format!("{base}/p/{}#preferences", tenant.slug),
        });
        let message = render("invitation", contact.language, &context)?;
        self.store.put_invitation_token(&hash, &record).await?;
        if let Err(err) = self.mailer.send(&contact.email, tenant.name.as_str(), &message, None).await {
            if let Err(cleanup) = self.store.delete_invitation_token(&hash).await {
                tracing::warn!(tenant = %tenant.id, contact = %contact.id, error = %crate::telemetry::clip(&cleanup.to_string()), "unsent invitation token left to expire");
            }
            return Err(err);
        }
        // The email is out: the request succeeds even if the mark cannot be written (then a
        // later share to this pending contact sends the invitation once more).
        if let Err(err) = self.store.mark_invitation_sent(tenant.id, contact.id, now).await {
            tracing::warn!(tenant = %tenant.id, contact = %contact.id, error = %crate::telemetry::clip(&err.to_string()), "invitation sent but not marked");
        }
        tracing::info!(tenant = %tenant.id, contact = %contact.id, "invitation emailed");
        Ok(())
    }
}
