//! A company's staff accounts as admins manage them: invite (a Cognito account with an
//! emailed temporary password, bound to the company with its role), change a role, remove,
//! send a password reset. A company always keeps one admin.

use aws_sdk_cognitoidentityprovider::operation::admin_reset_user_password::AdminResetUserPasswordError;
use portal_shared::ApiError;
use portal_shared::domain::{DisplayName, Email, Role, TenantId, UserSub};
use portal_shared::error::EMAIL_REFUSED_BY_SIGN_IN;
use portal_shared::identity::StaffMember;
use portal_shared::staff_accounts;

use crate::App;
use crate::inputs::{Invitation, RoleChange};

impl App {
    /// Creates the account in the staff pool (Cognito emails a temporary password; the
    /// first sign-in asks for a new one) and binds it to the tenant with its role. If the
    /// binding fails, the account is deleted again so the invitation can be retried.
    pub(crate) async fn invite(&self, staff: &StaffMember, input: Invitation) -> Result<StaffMember, ApiError> {
        staff.require_admin()?;
        let member = self.invite_staff(staff.tenant_id, input.email, input.role, input.name).await?;
        tracing::info!(tenant = %staff.tenant_id, staff = %member.sub, role = ?member.role, "staff invited");
        Ok(member)
    }

    /// The staff invitation itself, for `tenant`: also how the operator's
    /// `cargo xtask tenant create` invites a new company's first admin.
    pub async fn invite_staff(
        &self,
        tenant: TenantId,
        email: Email,
        role: Role,
        name: Option<DisplayName>,
    ) -> Result<StaffMember, ApiError> {
        staff_accounts::invite(self.cognito.get(), &self.store, &self.staff_pool_id, tenant, email, role, name).await
    }

    pub(crate) async fn change_role(
        &self,
        staff: &StaffMember,
        id: &UserSub,
        input: RoleChange,
    ) -> Result<StaffMember, ApiError> {
        staff.require_admin()?;
        let target = self.colleague(staff, id).await?;
        if target.role.is_admin() && !input.role.is_admin() {
            self.keep_an_admin(staff).await?;
        }
        let member = self.store.set_staff_role(staff.tenant_id, id, input.role).await?;
        tracing::info!(tenant = %staff.tenant_id, staff = %id, role = ?input.role, "staff role changed");
        Ok(member)
    }

    /// Removes the membership first (their next request is refused), then the account.
    pub(crate) async fn remove(&self, staff: &StaffMember, id: &UserSub) -> Result<(), ApiError> {
        staff.require_admin()?;
        if *id == staff.sub {
            return Err(ApiError::Conflict("you cannot remove your own account; ask another admin".into()));
        }
        let target = self.colleague(staff, id).await?;
        if target.role.is_admin() {
            self.keep_an_admin(staff).await?;
        }
        self.store.delete_staff_member(staff.tenant_id, id).await?;
        self.delete_account(&target.email).await?;
        tracing::info!(tenant = %staff.tenant_id, staff = %id, "staff removed");
        Ok(())
    }

    /// Sends a colleague a password reset: Cognito deactivates their password and emails
    /// them a code, which they enter with `POST /auth/staff/reset-password`. Their sessions
    /// end too (their refresh tokens are revoked): a reset an admin sends is often because
    /// the account may be in someone else's hands. Sending it again sends a new code.
    pub(crate) async fn send_password_reset(&self, staff: &StaffMember, id: &UserSub) -> Result<(), ApiError> {
        staff.require_admin()?;
        if *id == staff.sub {
            return Err(ApiError::Conflict(
                "to change your own password, sign out and use \"Forgot password?\"".into(),
            ));
        }
        let target = self.colleague(staff, id).await?;
        let cognito = self.cognito.get();
        let reset = cognito
            .admin_reset_user_password()
            .user_pool_id(&self.staff_pool_id)
            .username(target.email.as_str())
            .send()
            .await;
        if let Err(err) = reset {
            use AdminResetUserPasswordError as E;
            return Err(match err.as_service_error() {
                // The membership outlived its account (a removal half done): no one to reset.
                Some(E::UserNotFoundException(_)) => ApiError::NotFound("staff member"),
                // An invited account that never signed in has no password of its own yet (its
                // emailed temporary one still works), or the account is disabled.
                Some(E::NotAuthorizedException(_)) => ApiError::Conflict(
                    "this member has not chosen a password yet: their invitation's temporary password still works"
                        .into(),
                ),
                _ => ApiError::from_sdk_refusing("AdminResetUserPassword", err, EMAIL_REFUSED_BY_SIGN_IN),
            });
        }
        match cognito
            .admin_user_global_sign_out()
            .user_pool_id(&self.staff_pool_id)
            .username(target.email.as_str())
            .send()
            .await
        {
            Ok(_) => {}
            // Removed in between: nothing left to sign out.
            Err(err) if err.as_service_error().is_some_and(|e| e.is_user_not_found_exception()) => {}
            // (A retry resets again, which sends a new code, and signs out.)
            Err(err) => return Err(ApiError::from_sdk("AdminUserGlobalSignOut", err)),
        }
        tracing::info!(tenant = %staff.tenant_id, staff = %id, "password reset sent");
        Ok(())
    }

    /// A staff member of the caller's tenant (anyone else's is a 404).
    async fn colleague(&self, staff: &StaffMember, id: &UserSub) -> Result<StaffMember, ApiError> {
        self.store
            .staff_member(id)
            .await?
            .filter(|member| member.tenant_id == staff.tenant_id)
            .ok_or(ApiError::NotFound("staff member"))
    }

    /// A tenant keeps at least one admin: demoting or removing the last one is refused.
    async fn keep_an_admin(&self, staff: &StaffMember) -> Result<(), ApiError> {
        let admins = self.store.all_staff(staff.tenant_id).await?.iter().filter(|m| m.role.is_admin()).count();
        if admins < 2 {
            return Err(ApiError::Conflict("the company must keep at least one admin".into()));
        }
        Ok(())
    }

    async fn delete_account(&self, email: &Email) -> Result<(), ApiError> {
        staff_accounts::delete(self.cognito.get(), &self.staff_pool_id, email).await
    }
}
