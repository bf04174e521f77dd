//! The public branding of a portal link: what anyone may know about the company (name,
//! colour, logo), for the portal pages and emails.

use portal_shared::ApiError;
use portal_shared::domain::{AccentColor, DisplayName, Slug};
use portal_shared::model::Tenant;
use portal_shared::object_key::ObjectKey;
use serde::Serialize;

use crate::App;

/// What anyone may know about a portal link: the company's name, colour and logo.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Branding {
    name: DisplayName,
    slug: Slug,
    #[serde(skip_serializing_if = "Option::is_none")]
    accent_color: Option<AccentColor>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logo_path: Option<String>,
}

impl App {
    /// The company of a public portal link. One the operator stopped is not served as if
    /// active: its portal page shows why (403 `company-suspended`), and its logo is not served.
    async fn branded_tenant(&self, slug: &Slug) -> Result<Tenant, ApiError> {
        // A company signed up and not verified yet has no portal: its name and slug are
        // whatever its sign-up typed, and nobody answers for them until the email is verified.
        let tenant = self.store.tenant_by_slug(slug).await?;
        let tenant = tenant
            .filter(|t| t.status != portal_shared::domain::TenantStatus::Unverified)
            .ok_or(ApiError::NotFound("portal"))?;
        if tenant.status.is_stopped() {
            return Err(ApiError::CompanySuspended);
        }
        Ok(tenant)
    }

    pub(crate) async fn branding(&self, slug: &Slug) -> Result<Branding, ApiError> {
        let tenant = self.branded_tenant(slug).await?;
        Ok(Branding {
            logo_path: tenant.logo_path(),
            name: tenant.name,
            slug: tenant.slug,
            accent_color: tenant.accent_color,
        })
    }

    /// Where the logo can be fetched right now: a short-lived presigned GET.
    pub(crate) async fn logo_url(&self, slug: &Slug) -> Result<String, ApiError> {
        let tenant = self.branded_tenant(slug).await?;
        let logo = tenant.logo.ok_or(ApiError::NotFound("logo"))?;
        let view = self
            .storage
            .presign_view(ObjectKey::logo(tenant.id, logo.id), &logo.content_type, self.limits.download_url_ttl_seconds)
            .await?;
        Ok(view.url)
    }
}
