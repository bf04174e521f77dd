//! Staff memberships: one item per staff account (`USER#{sub}`/`STAFF`), naming its
//! company and role; a company's staff are its GSI1 partition, by email.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use time::format_description::well_known::Rfc3339;

use super::{Clash, Entity, Expr, Item, Store, StoreError, Transaction, conditional, from_item, s, sent, to_item};
use crate::domain::{Role, TenantId, TenantStatus, UserSub};
use crate::identity::{StaffChoices, StaffMember};
use crate::keys::{self, GSI1_PK, GSI1_SK, PK, SK};
use crate::pagination::{Key, Page, PageRequest};

impl Store {
    fn staff_key(sub: &UserSub) -> Item {
        Self::key(keys::user_pk(sub), keys::STAFF_MEMBERSHIP_SK.into())
    }

    pub(super) fn staff_item(member: &StaffMember) -> Result<Item, StoreError> {
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
    pub async fn put_staff_member(&self, member: &StaffMember) -> Result<(), StoreError> {
        sent(
            "PutItem",
            self.client.put_item().table_name(&self.table).set_item(Some(Self::staff_item(member)?)).send().await,
        )
        .map(drop)
    }

    /// Writes a staff member's own choices (`PATCH /me`); absent fields stay as they are.
    pub async fn update_staff_choices(&self, sub: &UserSub, choices: &StaffChoices) -> Result<StaffMember, StoreError> {
        let mut set = Vec::new();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::staff_key(sub)))
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
            let seen = seen.format(&Rfc3339).map_err(|e| StoreError::internal("submissionsSeenAt", e))?;
            set.push("submissionsSeenAt = :seen");
            update = update.expression_attribute_values(":seen", s(&seen));
        }
        if set.is_empty() {
            return self.staff_member(sub).await?.ok_or(Clash::Missing(Entity::StaffMember).into());
        }
        let result = update.update_expression(format!("SET {}", set.join(", "))).send().await;
        let output = conditional("UpdateItem", result, Clash::Missing(Entity::StaffMember))?;
        from_item(output.attributes.unwrap_or_default())
    }

    /// Binds a new staff account to its tenant (`StaffMemberExists` if the account has a
    /// membership), in one transaction with a check that the company is not stopped
    /// (`CompanyStopped`):
    /// a member invited while the operator suspends the company is either refused here or
    /// written before the suspension, where the operator's walk of the staff finds it.
    pub async fn create_staff_member(&self, member: &StaffMember) -> Result<(), StoreError> {
        Transaction::new("CreateStaffMember")
            .put_new(Self::staff_item(member)?, Clash::StaffMemberExists)
            .require(
                Self::tenant_key(member.tenant_id, keys::TENANT_PROFILE_SK.into()),
                Expr::new("NOT (#status IN (:suspended, :deleting))")
                    .name("#status", "status")
                    .value(":suspended", super::value(TenantStatus::Suspended)?)
                    .value(":deleting", super::value(TenantStatus::Deleting)?),
                Clash::CompanyStopped,
            )
            .commit(self)
            .await
    }

    /// Copies the company's status onto one membership (the operator's suspend, resume and
    /// delete), if it is still a membership of that company: `false` when it is not.
    pub async fn set_membership_company_status(
        &self,
        tenant: TenantId,
        sub: &UserSub,
        status: TenantStatus,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::staff_key(sub)))
            .update_expression("SET companyStatus = :status")
            .condition_expression("tenantId = :tenant")
            .expression_attribute_values(":status", super::value(status)?)
            .expression_attribute_values(":tenant", s(tenant.to_string()))
            .send()
            .await;
        super::took_effect("UpdateItem", result)
    }

    pub async fn staff_member(&self, sub: &UserSub) -> Result<Option<StaffMember>, StoreError> {
        self.get(keys::user_pk(sub), keys::STAFF_MEMBERSHIP_SK.into()).await
    }

    /// One page of a tenant's staff (GSI1), by email.
    pub async fn list_staff(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<StaffMember>, StoreError> {
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

    pub async fn all_staff(&self, tenant: TenantId) -> Result<Vec<StaffMember>, StoreError> {
        self.query_all(|page| async move { self.list_staff(tenant, &page).await }).await
    }

    /// Changes the role of a staff member of `tenant` (`Missing(StaffMember)` for anyone
    /// else's).
    pub async fn set_staff_role(&self, tenant: TenantId, sub: &UserSub, role: Role) -> Result<StaffMember, StoreError> {
        let role = super::value(role)?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::staff_key(sub)))
            .update_expression("SET #role = :role")
            .condition_expression("tenantId = :tenant")
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":role", role)
            .expression_attribute_values(":tenant", s(tenant.to_string()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        let output = conditional("UpdateItem", result, Clash::Missing(Entity::StaffMember))?;
        from_item(output.attributes.unwrap_or_default())
    }

    /// Removes a staff member of `tenant` (`Missing(StaffMember)` for anyone else's): their next request is
    /// refused, whatever token they hold.
    pub async fn delete_staff_member(&self, tenant: TenantId, sub: &UserSub) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::staff_key(sub)))
            .condition_expression("tenantId = :tenant")
            .expression_attribute_values(":tenant", s(tenant.to_string()))
            .send()
            .await;
        conditional("DeleteItem", result, Clash::Missing(Entity::StaffMember)).map(drop)
    }
}
