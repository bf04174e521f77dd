//! The company's settings as admins change them: name, accent colour, the access-closed
//! notice, and the logo (a presigned upload that object-events applies).

use portal_shared::ApiError;
use portal_shared::domain::LogoId;
use portal_shared::identity::StaffMember;
use portal_shared::model::{PendingLogo, Tenant};
use portal_shared::object_key::ObjectKey;
use portal_shared::storage::PresignedRequest;
use portal_shared::store::TenantChanges;
use serde::Serialize;
use time::OffsetDateTime;

use crate::inputs::{LogoUpload, SettingsChanges};
use crate::{App, LOGO_CONTENT_TYPES, MAX_LOGO_BYTES};

/// The company as the dashboard shows it, with where its logo is served.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    #[serde(flatten)]
    tenant: Tenant,
    #[serde(skip_serializing_if = "Option::is_none")]
    logo_path: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogoTicket {
    logo: PendingLogo,
    upload: PresignedRequest,
}

impl App {
    async fn tenant(&self, staff: &StaffMember) -> Result<Tenant, ApiError> {
        self.store
            .tenant(staff.tenant_id)
            .await?
            .ok_or_else(|| ApiError::Internal(format!("tenant {} of a staff member is missing", staff.tenant_id)))
    }

    pub(crate) async fn settings(&self, staff: &StaffMember) -> Result<Settings, ApiError> {
        let tenant = self.tenant(staff).await?;
        Ok(Settings { logo_path: tenant.logo_path(), tenant })
    }

    pub(crate) async fn update_settings(
        &self,
        staff: &StaffMember,
        input: SettingsChanges,
    ) -> Result<Settings, ApiError> {
        staff.require_admin()?;
        if input.name.is_none() && input.accent_color.is_none() && input.notify_access_closed.is_none() {
            return Err(ApiError::Invalid("nothing to change: send name, accentColor or notifyAccessClosed".into()));
        }
        let changes = TenantChanges {
            name: input.name,
            accent_color: input.accent_color,
            notify_access_closed: input.notify_access_closed,
        };
        let tenant = self.store.update_tenant(staff.tenant_id, &changes).await?;
        tracing::info!(tenant = %staff.tenant_id, "settings updated");
        Ok(Settings { logo_path: tenant.logo_path(), tenant })
    }

    /// Hands out a presigned PUT for a new logo; object-events makes it the logo once the
    /// image has arrived and matches what was announced.
    pub(crate) async fn upload_logo(&self, staff: &StaffMember, input: LogoUpload) -> Result<LogoTicket, ApiError> {
        staff.require_admin()?;
        if !LOGO_CONTENT_TYPES.contains(&input.content_type.as_str()) {
            return Err(ApiError::Invalid(format!("contentType: must be one of {}", LOGO_CONTENT_TYPES.join(", "))));
        }
        if input.size == 0 || input.size > MAX_LOGO_BYTES {
            return Err(ApiError::Invalid(format!("size: must be 1 to {MAX_LOGO_BYTES} bytes")));
        }
        let logo = PendingLogo {
            id: LogoId::new(),
            tenant_id: staff.tenant_id,
            content_type: input.content_type,
            size: input.size,
            uploaded_by: staff.sub.clone(),
        };
        self.store.create_pending_logo(&logo, OffsetDateTime::now_utc() + time::Duration::days(1)).await?;
        let key = ObjectKey::logo(staff.tenant_id, logo.id);
        let upload =
            self.storage.presign_upload(key, &logo.content_type, logo.size, self.limits.upload_url_ttl_seconds).await?;
        tracing::info!(tenant = %staff.tenant_id, logo = %logo.id, "logo upload presigned");
        Ok(LogoTicket { logo, upload })
    }

    pub(crate) async fn remove_logo(&self, staff: &StaffMember) -> Result<(), ApiError> {
        staff.require_admin()?;
        let removed = self.store.remove_logo(staff.tenant_id).await?.ok_or(ApiError::NotFound("logo"))?;
        self.storage.delete_all_versions(ObjectKey::logo(staff.tenant_id, removed.id)).await?;
        tracing::info!(tenant = %staff.tenant_id, logo = %removed.id, "logo removed");
        Ok(())
    }
}
