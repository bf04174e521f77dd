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

    /// Stores a new token's hash and emails the contact their registration link. Each call
    /// makes a new link; older unused links keep working until they expire.
    pub async fn invite(&self, tenant: &Tenant, contact: &Contact) -> Result<(), ApiError> {
        let token = tokens::new_token();
        let now = OffsetDateTime::now_utc();
        let record = InvitationToken {
            tenant_id: tenant.id,
            contact_id: contact.id,
            email: contact.email.clone(),
            valid_until: now + time::Duration::days(VALID_DAYS),
            used_at: None,
        };
        self.store.put_invitation_token(&tokens::hash(&token), &record).await?;
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
        self.mailer.send(&contact.email, tenant.name.as_str(), &message, None).await?;
        tracing::info!(tenant = %tenant.id, contact = %contact.id, "invitation emailed");
        Ok(())
    }
}
