//! A tenant's settings and branding, its staff memberships, and the public lookup of a
//! tenant by its portal slug.

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, ReturnValue, TransactWriteItem, Update};

use super::{Item, Store, conditional, from_item, s, to_item};
use crate::domain::{AccentColor, DisplayName, LogoId, Role, Slug, TenantId, TenantStatus, UserSub};
use crate::error::ApiError;
use crate::identity::{StaffChoices, StaffMember};
use crate::keys::{self, GSI1_PK, GSI1_SK, PK, SK};
use crate::model::{Logo, PendingLogo, Tenant};
use crate::pagination::{Key, Page, PageRequest};
use time::format_description::well_known::Rfc3339;

/// A change of a tenant's settings: `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct TenantChanges {
    pub name: Option<DisplayName>,
    /// `Some(None)` removes the accent colour (the neutral default).
    pub accent_color: Option<Option<AccentColor>>,
    pub notify_access_closed: Option<bool>,
}

fn status_value(status: TenantStatus) -> Result<AttributeValue, ApiError> {
    serde_dynamo::to_attribute_value(status).map_err(|e| ApiError::Internal(e.to_string()))
}

impl Store {
    pub(super) fn staff_item(member: &StaffMember) -> Result<Item, ApiError> {
        to_item(
            member,
            &[
                (PK, keys::user_pk(&member.sub)),
                (SK, keys::STAFF_MEMBERSHIP_SK.into()),
                (GSI1_PK, keys::tenant_pk(member.tenant_id)),
                (GSI1_SK, keys::staff_gsi1_sk(&member.email)),
            ],
        )
    }

    /// Adds or replaces a staff membership (seeding).
    pub async fn put_staff_member(&self, member: &StaffMember) -> Result<(), ApiError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::staff_item(member)?))
            .send()
            .await
            .map_err(|e| ApiError::from_sdk("PutItem", e))?;
        Ok(())
    }

    /// Writes a staff member's own choices (`PATCH /me`); absent fields stay as they are.
    pub async fn update_staff_choices(&self, sub: &UserSub, choices: &StaffChoices) -> Result<StaffMember, ApiError> {
        let mut set = Vec::new();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::user_pk(sub), keys::STAFF_MEMBERSHIP_SK.into())))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .return_values(ReturnValue::AllNew);
        if let Some(name) = &choices.name {
            // (`name` is a reserved word in expressions.)
            set.push("#name = :name");
            update = update
                .expression_attribute_names("#name", "name")
                .expression_attribute_values(":name", s(name.as_str()));
        }
        if let Some(notify) = choices.notify_submissions {
            set.push("notifySubmissions = :notify");
            update = update.expression_attribute_values(":notify", AttributeValue::Bool(notify));
        }
        if let Some(seen) = choices.submissions_seen_at {
            let seen = seen.format(&Rfc3339).map_err(|e| ApiError::Internal(format!("submissionsSeenAt: {e}")))?;
            set.push("submissionsSeenAt = :seen");
            update = update.expression_attribute_values(":seen", s(&seen));
        }
        if set.is_empty() {
            return self.staff_member(sub).await?.ok_or(ApiError::NotFound("staff member"));
        }
        let result = update.update_expression(format!("SET {}", set.join(", "))).send().await;
        let output = conditional("UpdateItem", result, ApiError::NotFound("staff member"))?;
        from_item(output.attributes.unwrap_or_default())
    }

    /// Binds a new staff account to its tenant (409 if the account has a membership), in one
    /// transaction with a check that the company is not stopped (403 `company-suspended`):
    /// a member invited while the operator suspends the company is either refused here or
    /// written before the suspension, where the operator's walk of the staff finds it.
    pub async fn create_staff_member(&self, member: &StaffMember) -> Result<(), ApiError> {
        let put = self.put_new(Self::staff_item(member)?)?;
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(member.tenant_id), keys::TENANT_PROFILE_SK.into())))
            .condition_expression("NOT (#status IN (:suspended, :deleting))")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":suspended", status_value(TenantStatus::Suspended)?)
            .expression_attribute_values(":deleting", status_value(TenantStatus::Deleting)?)
            .build()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        self.transact(
            "CreateStaffMember",
            vec![
                (put, ApiError::Conflict("this account is already a staff member".into())),
                (TransactWriteItem::builder().condition_check(check).build(), ApiError::CompanySuspended),
            ],
        )
        .await
    }

    /// Copies the company's status onto one membership (the operator's suspend, resume and
    /// delete), if it is still a membership of that company: `false` when it is not.
    pub async fn set_membership_company_status(
        &self,
        tenant: TenantId,
        sub: &UserSub,
        status: TenantStatus,
    ) -> Result<bool, ApiError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::user_pk(sub), keys::STAFF_MEMBERSHIP_SK.into())))
            .update_expression("SET companyStatus = :status")
            .condition_expression("tenantId = :tenant")
            .expression_attribute_values(":status", status_value(status)?)
            .expression_attribute_values(":tenant", s(tenant.to_string()))
            .send()
            .await;
        super::took_effect("UpdateItem", result)
    }

    /// Sets the company's own status (the operator's suspend, resume and delete); 404 when
    /// there is no such company. Returns the profile as it was before.
    pub async fn set_tenant_status(&self, tenant: TenantId, status: TenantStatus) -> Result<Tenant, ApiError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(tenant), keys::TENANT_PROFILE_SK.into())))
            .update_expression("SET #status = :status")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":status", status_value(status)?)
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        let output = conditional("UpdateItem", result, ApiError::NotFound("company"))?;
        from_item(output.attributes.unwrap_or_default())
    }

    pub async fn staff_member(&self, sub: &UserSub) -> Result<Option<StaffMember>, ApiError> {
        self.get(keys::user_pk(sub), keys::STAFF_MEMBERSHIP_SK.into()).await
    }

    /// One page of a tenant's staff (GSI1), by email.
    pub async fn list_staff(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<StaffMember>, ApiError> {
        let partition = keys::tenant_pk(tenant);
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(keys::GSI1)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", GSI1_PK)
            .expression_attribute_names("#sk", GSI1_SK)
            .expression_attribute_values(":pk", s(&partition))
            .expression_attribute_values(":prefix", s(keys::STAFF_PREFIX));
        let scope = [
            (GSI1_PK, Key::Equals(&partition)),
            (GSI1_SK, Key::StartsWith(keys::STAFF_PREFIX)),
            (PK, Key::StartsWith("USER#")),
            (SK, Key::Equals(keys::STAFF_MEMBERSHIP_SK)),
        ];
        super::query_page(query, page, &scope).await
    }

    pub async fn all_staff(&self, tenant: TenantId) -> Result<Vec<StaffMember>, ApiError> {
        self.query_all(|page| async move { self.list_staff(tenant, &page).await }).await
    }

    /// Changes the role of a staff member of `tenant` (404 for anyone else's).
    pub async fn set_staff_role(&self, tenant: TenantId, sub: &UserSub, role: Role) -> Result<StaffMember, ApiError> {
        let role = serde_dynamo::to_attribute_value(role).map_err(|e| ApiError::Internal(e.to_string()))?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::user_pk(sub), keys::STAFF_MEMBERSHIP_SK.into())))
            .update_expression("SET #role = :role")
            .condition_expression("tenantId = :tenant")
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":role", role)
            .expression_attribute_values(":tenant", s(tenant.to_string()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        let output = conditional("UpdateItem", result, ApiError::NotFound("staff member"))?;
        from_item(output.attributes.unwrap_or_default())
    }

    /// Removes a staff member of `tenant` (404 for anyone else's): their next request is
    /// refused, whatever token they hold.
    pub async fn delete_staff_member(&self, tenant: TenantId, sub: &UserSub) -> Result<(), ApiError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::user_pk(sub), keys::STAFF_MEMBERSHIP_SK.into())))
            .condition_expression("tenantId = :tenant")
            .expression_attribute_values(":tenant", s(tenant.to_string()))
            .send()
            .await;
        conditional("DeleteItem", result, ApiError::NotFound("staff member")).map(drop)
    }

    /// Changes only the given settings, so a concurrent logo change is never undone.
    pub async fn update_tenant(&self, tenant: TenantId, changes: &TenantChanges) -> Result<Tenant, ApiError> {
        let mut set = Vec::new();
        let mut remove = Vec::new();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(tenant), keys::TENANT_PROFILE_SK.into())))
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
        let output = conditional("UpdateItem", result, ApiError::NotFound("company"))?;
        from_item(output.attributes.unwrap_or_default())
    }

    /// The tenant whose portal link is `slug`.
    pub async fn tenant_by_slug(&self, slug: &Slug) -> Result<Option<Tenant>, ApiError> {
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
    ) -> Result<(), ApiError> {
        let mut item = to_item(logo, &[(PK, keys::tenant_pk(logo.tenant_id)), (SK, keys::pending_logo_sk(logo.id))])?;
        item.insert(keys::TTL_ATTRIBUTE.to_owned(), AttributeValue::N(abandoned_after.unix_timestamp().to_string()));
        self.put_all_new("CreatePendingLogo", [item], "this logo upload exists already").await
    }

    pub async fn pending_logo(&self, tenant: TenantId, logo: LogoId) -> Result<Option<PendingLogo>, ApiError> {
        self.get(keys::tenant_pk(tenant), keys::pending_logo_sk(logo)).await
    }

    /// Makes a pending logo the tenant's logo, once: the pending record is deleted in the
    /// same transaction, so a repeated event finds nothing to apply (`false`).
    pub async fn apply_logo(&self, tenant: TenantId, logo: &Logo) -> Result<bool, ApiError> {
        let value = serde_dynamo::to_attribute_value(logo).map_err(|e| ApiError::Internal(e.to_string()))?;
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(tenant), keys::TENANT_PROFILE_SK.into())))
            .update_expression("SET logo = :logo")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":logo", value)
            .build()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let pending = self.delete_pending_logo_write(tenant, logo.id)?;
        match self
            .transact(
                "ApplyLogo",
                vec![
                    (TransactWriteItem::builder().update(update).build(), ApiError::NotFound("company")),
                    (pending, ApiError::Conflict("already applied".into())),
                ],
            )
            .await
        {
            Ok(()) => Ok(true),
            Err(ApiError::Conflict(_)) => Ok(false),
            Err(err) => Err(err),
        }
    }

    fn delete_pending_logo_write(&self, tenant: TenantId, logo: LogoId) -> Result<TransactWriteItem, ApiError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(tenant), keys::pending_logo_sk(logo))))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Drops a pending logo whose upload was refused.
    pub async fn delete_pending_logo(&self, tenant: TenantId, logo: LogoId) -> Result<(), ApiError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(tenant), keys::pending_logo_sk(logo))))
            .send()
            .await
            .map_err(|e| ApiError::from_sdk("DeleteItem", e))?;
        Ok(())
    }

    /// Removes the tenant's logo; returns the one removed.
    pub async fn remove_logo(&self, tenant: TenantId) -> Result<Option<Logo>, ApiError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(tenant), keys::TENANT_PROFILE_SK.into())))
            .update_expression("REMOVE logo")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        let output = conditional("UpdateItem", result, ApiError::NotFound("company"))?;
        let before: Tenant = from_item(output.attributes.unwrap_or_default())?;
        Ok(before.logo)
    }
}
