//! A tenant's settings and branding, its staff memberships, and the public lookup of a
//! tenant by its portal slug.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::{
    Clash, Entity, Expr, Item, Store, StoreError, Transaction, conditional, expire_at, from_item, s, sent, to_item,
};
use crate::domain::{AccentColor, DisplayName, LogoId, Slug, TenantId, TenantStatus};
use crate::keys::{self, PK, SK};
use crate::model::{Logo, PendingLogo, Tenant};

/// A change of a tenant's settings: `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct TenantChanges {
    pub name: Option<DisplayName>,
    /// `Some(None)` removes the accent colour (the neutral default).
    pub accent_color: Option<Option<AccentColor>>,
    pub notify_access_closed: Option<bool>,
}

impl Store {
    fn profile_key(tenant: TenantId) -> Item {
        Self::tenant_key(tenant, keys::TENANT_PROFILE_SK.into())
    }

    pub(super) fn profile_item(tenant: &Tenant) -> Result<Item, StoreError> {
        to_item(tenant, &[(PK, keys::tenant_pk(tenant.id)), (SK, keys::TENANT_PROFILE_SK.into())])
    }

    /// The guard that makes a slug one company's: `signup_email` names the sign-up that
    /// claimed it, if one did.
    pub(super) fn slug_guard(tenant: &Tenant, signup_email: Option<&crate::domain::Email>) -> Result<Item, StoreError> {
        let keys = [(PK, keys::slug_pk(&tenant.slug)), (SK, keys::SLUG_SK.into())];
        match signup_email {
            Some(email) => to_item(&serde_json::json!({ "tenantId": tenant.id, "signupEmail": email }), &keys),
            None => to_item(&serde_json::json!({ "tenantId": tenant.id }), &keys),
        }
    }

    /// Creates a tenant; its slug must be free (`SlugTaken`; one transaction: profile +
    /// slug guard).
    pub async fn create_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        Transaction::new("CreateTenant")
            .put_new(Self::profile_item(tenant)?, Clash::SlugTaken)
            .put_new(Self::slug_guard(tenant, None)?, Clash::SlugTaken)
            .commit(self)
            .await
    }

    pub async fn tenant(&self, tenant: TenantId) -> Result<Option<Tenant>, StoreError> {
        self.get(keys::tenant_pk(tenant), keys::TENANT_PROFILE_SK.into()).await
    }

    /// Sets the company's own status (the operator's suspend, resume and delete);
    /// `Missing(Company)` when there is no such company. Returns the profile as it was before.
    pub async fn set_tenant_status(&self, tenant: TenantId, status: TenantStatus) -> Result<Tenant, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::profile_key(tenant)))
            .update_expression("SET #status = :status")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":status", super::value(status)?)
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        let output = conditional("UpdateItem", result, Clash::Missing(Entity::Company))?;
        from_item(output.attributes.unwrap_or_default())
    }

    /// Changes only the given settings, so a concurrent logo change is never undone.
    pub async fn update_tenant(&self, tenant: TenantId, changes: &TenantChanges) -> Result<Tenant, StoreError> {
        let mut set = Vec::new();
        let mut remove = Vec::new();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::profile_key(tenant)))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .return_values(ReturnValue::AllNew);
        if let Some(name) = &changes.name {
            set.push("#name = :name");
            update = update
                .expression_attribute_names("#name", "name")
                .expression_attribute_values(":name", s(name.as_str()));
        }
        if let Some(notify) = changes.notify_access_closed {
            set.push("notifyAccessClosed = :notify");
            update = update.expression_attribute_values(":notify", AttributeValue::Bool(notify));
        }
        match &changes.accent_color {
            Some(Some(color)) => {
                set.push("accentColor = :color");
                update = update.expression_attribute_values(":color", s(color.as_str()));
            }
            Some(None) => remove.push("accentColor"),
            None => {}
        }
        let mut expression = String::new();
        if !set.is_empty() {
            expression.push_str(&format!("SET {}", set.join(", ")));
        }
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let result = update.update_expression(expression.trim()).send().await;
        let output = conditional("UpdateItem", result, Clash::Missing(Entity::Company))?;
        from_item(output.attributes.unwrap_or_default())
    }

    /// The tenant whose portal link is `slug`.
    pub async fn tenant_by_slug(&self, slug: &Slug) -> Result<Option<Tenant>, StoreError> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct SlugGuard {
            tenant_id: TenantId,
        }
        let Some(guard) = self.get::<SlugGuard>(keys::slug_pk(slug), keys::SLUG_SK.into()).await? else {
            return Ok(None);
        };
        self.tenant(guard.tenant_id).await
    }

    /// Records a logo upload being handed out; TTL removes it if the upload never comes.
    pub async fn create_pending_logo(
        &self,
        logo: &PendingLogo,
        abandoned_after: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut item = to_item(logo, &[(PK, keys::tenant_pk(logo.tenant_id)), (SK, keys::pending_logo_sk(logo.id))])?;
        expire_at(&mut item, abandoned_after);
        Transaction::new("CreatePendingLogo").put_new(item, Clash::Exists(Entity::PendingLogo)).commit(self).await
    }

    pub async fn pending_logo(&self, tenant: TenantId, logo: LogoId) -> Result<Option<PendingLogo>, StoreError> {
        self.get(keys::tenant_pk(tenant), keys::pending_logo_sk(logo)).await
    }

    /// Makes a pending logo the tenant's logo, once: the pending record is deleted in the
    /// same transaction, so a repeated event finds nothing to apply (`false`).
    pub async fn apply_logo(&self, tenant: TenantId, logo: &Logo) -> Result<bool, StoreError> {
        let applied = Transaction::new("ApplyLogo")
            .update(
                Self::profile_key(tenant),
                Expr::new("SET logo = :logo").value(":logo", super::value(logo)?),
                Expr::exists(),
                Clash::Missing(Entity::Company),
            )
            .delete_if(
                Self::tenant_key(tenant, keys::pending_logo_sk(logo.id)),
                Expr::exists(),
                Clash::Missing(Entity::PendingLogo),
            )
            .commit(self)
            .await;
        match applied {
            Ok(()) => Ok(true),
            Err(StoreError::Clash(Clash::Missing(Entity::PendingLogo))) => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// Drops a pending logo whose upload was refused.
    pub async fn delete_pending_logo(&self, tenant: TenantId, logo: LogoId) -> Result<(), StoreError> {
        let key = Self::tenant_key(tenant, keys::pending_logo_sk(logo));
        sent("DeleteItem", self.client.delete_item().table_name(&self.table).set_key(Some(key)).send().await).map(drop)
    }

    /// Removes the tenant's logo; returns the one removed.
    pub async fn remove_logo(&self, tenant: TenantId) -> Result<Option<Logo>, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::profile_key(tenant)))
            .update_expression("REMOVE logo")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        let output = conditional("UpdateItem", result, Clash::Missing(Entity::Company))?;
        let before: Tenant = from_item(output.attributes.unwrap_or_default())?;
        Ok(before.logo)
    }
}
