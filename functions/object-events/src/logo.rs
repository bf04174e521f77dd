//! A tenant's logo object: it becomes the tenant's logo if it matches its pending upload
//! (and the previous logo's bytes go); otherwise it is deleted.

use portal_shared::ApiError;
use portal_shared::domain::{LogoId, TenantId};
use portal_shared::metrics::{self, Metric};
use portal_shared::model::Logo;
use portal_shared::object_key::ObjectKey;

use crate::check::check_size_and_type;
use crate::{App, Outcome};

impl App {
    /// A logo upload: if it matches its pending record, it becomes the tenant's logo and
    /// the previous logo's bytes go; otherwise the object is deleted.
    pub(crate) async fn process_logo(
        &self,
        key: ObjectKey,
        tenant: TenantId,
        logo: LogoId,
    ) -> Result<Outcome, ApiError> {
        let Some(pending) = self.store.pending_logo(tenant, logo).await? else {
            // Applied already (a repeated event), or never handed out / abandoned.
            let current = self.store.tenant(tenant).await?.and_then(|t| t.logo).map(|l| l.id);
            if current == Some(logo) {
                return Ok(Outcome::Duplicate);
            }
            tracing::warn!(%key, "logo object without a pending upload deleted");
            self.storage.delete_all_versions(key).await?;
            return Ok(Outcome::Orphan);
        };
        let Some(stored) = self.storage.head(key, None).await? else {
            return Ok(Outcome::Ignored);
        };
        let verdict = check_size_and_type(pending.size, pending.content_type.as_str(), &stored);
        if let Err(reason) = verdict {
            self.store.delete_pending_logo(tenant, logo).await?;
            metrics::count(Metric::UploadsRejected, 1, Some(tenant));
            self.storage.delete_all_versions(key).await?;
            tracing::info!(%key, %reason, "logo rejected");
            return Ok(Outcome::Rejected(reason));
        }
        let previous = self.store.tenant(tenant).await?.and_then(|t| t.logo);
        if !self.store.apply_logo(tenant, &Logo { id: logo, content_type: pending.content_type }).await? {
            return Ok(Outcome::Duplicate);
        }
        metrics::count(Metric::UploadsSettled, 1, Some(tenant));
        if let Some(previous) = previous.filter(|previous| previous.id != logo) {
            self.storage.delete_all_versions(ObjectKey::logo(tenant, previous.id)).await?;
        }
        tracing::info!(%key, "logo applied");
        Ok(Outcome::Available)
    }
}
