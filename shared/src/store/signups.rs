//! Company sign-ups: the claim of a sign-up (record, slug guard, unverified tenant, invite
//! code) in one transaction, its undoing, verification tokens, and the operator's invite
//! codes. See `crate::signup` for the protocol.

use time::OffsetDateTime;

use super::{
    Clash, Entity, Expr, Item, Store, StoreError, Transaction, expire_at, rfc3339, s, sent, to_item, took_effect,
};
use crate::domain::{Email, TenantStatus};
use crate::identity::StaffMember;
use crate::keys::{self, PK, SK};
use crate::model::Tenant;
use crate::signup::{CompanySignup, InviteCode, VerificationToken};

impl Store {
    pub async fn company_signup(&self, email: &Email) -> Result<Option<CompanySignup>, StoreError> {
        self.get(keys::company_signup_pk(email), keys::COMPANY_SIGNUP_SK.into()).await
    }

    /// The sign-up that claimed `slug`, if the slug's company came from one (operator-made
    /// and seeded companies have none).
    pub async fn slug_signup(&self, slug: &crate::domain::Slug) -> Result<Option<CompanySignup>, StoreError> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Guard {
            tenant_id: crate::domain::TenantId,
            signup_email: Option<Email>,
        }
        let Some(guard) = self.get::<Guard>(keys::slug_pk(slug), keys::SLUG_SK.into()).await? else {
            return Ok(None);
        };
        let Some(email) = guard.signup_email else { return Ok(None) };
        Ok(self.company_signup(&email).await?.filter(|s| s.tenant_id == guard.tenant_id))
    }

    /// Whether a portal slug is taken (by a company, active or not): its guard exists.
    pub async fn slug_taken(&self, slug: &crate::domain::Slug) -> Result<bool, StoreError> {
        Ok(self.get::<serde_json::Value>(keys::slug_pk(slug), keys::SLUG_SK.into()).await?.is_some())
    }

    fn signup_item(signup: &CompanySignup) -> Result<Item, StoreError> {
        to_item(signup, &[(PK, keys::company_signup_pk(&signup.email)), (SK, keys::COMPANY_SIGNUP_SK.into())])
    }

    /// Claims a sign-up, all or nothing: the slug's guard (`SlugTaken`, first, so the
    /// answer about a slug never depends on the email), the `unverified` tenant, the
    /// sign-up record (`SignupEmailTaken`) and, with a code, the code's use
    /// (`InviteCodeRefused`).
    pub async fn claim_company_signup(
        &self,
        signup: &CompanySignup,
        tenant: &Tenant,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut transaction = Transaction::new("ClaimCompanySignup")
            // The sign-up's email too: a later sign-up of the slug finds an abandoned claim by it.
            .put_new(Self::slug_guard(tenant, Some(&signup.email))?, Clash::SlugTaken)
            .put_new(Self::profile_item(tenant)?, Clash::SlugTaken)
            .put_new(Self::signup_item(signup)?, Clash::SignupEmailTaken);
        if let Some(hash) = &signup.code_hash {
            transaction = transaction.update(
                Self::key(keys::signup_code_pk(hash), keys::SIGNUP_CODE_SK.into()),
                Expr::new("SET usedAt = :at, usedBy = :email")
                    .value(":at", s(rfc3339(now)))
                    .value(":email", s(signup.email.as_str())),
                Expr::exists()
                    .and("attribute_not_exists(usedAt) AND (attribute_not_exists(validUntil) OR validUntil > :at)"),
                Clash::InviteCodeRefused,
            );
        }
        transaction.commit(self).await
    }

    /// Undoes a claim that cannot complete (the email belongs to an existing staff account,
    /// or Cognito refused the account): the record, the slug guard and the tenant go, and
    /// the code is given back. Each write is conditional on still being this sign-up's, so
    /// a later sign-up's items are never touched; a repeated undo changes nothing. `false`
    /// when the record was not this sign-up's any more (undone already, or verified).
    pub async fn undo_company_signup(&self, signup: &CompanySignup) -> Result<bool, StoreError> {
        let tenant = s(signup.tenant_id.to_string());
        let record = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::company_signup_pk(&signup.email), keys::COMPANY_SIGNUP_SK.into())))
            .condition_expression("tenantId = :tenant AND attribute_not_exists(verifiedAt)")
            .expression_attribute_values(":tenant", tenant.clone())
            .send()
            .await;
        if !took_effect("DeleteItem", record)? {
            // Not this sign-up's any more (undone already, or verified): nothing to undo.
            return Ok(false);
        }
        let guard = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::slug_pk(&signup.slug), keys::SLUG_SK.into())))
            .condition_expression("tenantId = :tenant")
            .expression_attribute_values(":tenant", tenant)
            .send()
            .await;
        took_effect("DeleteItem", guard)?;
        let profile = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(signup.tenant_id), keys::TENANT_PROFILE_SK.into())))
            .condition_expression("#status = :unverified")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":unverified", super::value(TenantStatus::Unverified)?)
            .send()
            .await;
        took_effect("DeleteItem", profile)?;
        if let Some(hash) = &signup.code_hash {
            let code = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(Self::key(keys::signup_code_pk(hash), keys::SIGNUP_CODE_SK.into())))
                .update_expression("REMOVE usedAt, usedBy")
                .condition_expression("usedBy = :email")
                .expression_attribute_values(":email", s(signup.email.as_str()))
                .send()
                .await;
            took_effect("UpdateItem", code)?;
        }
        Ok(true)
    }

    /// Notes the sign-up's staff account (created disabled in Cognito).
    pub async fn set_company_signup_account(&self, signup: &CompanySignup) -> Result<(), StoreError> {
        let sub = signup.sub.as_ref().ok_or_else(|| StoreError::Internal("sign-up without an account".into()))?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::company_signup_pk(&signup.email), keys::COMPANY_SIGNUP_SK.into())))
            .update_expression("SET #sub = :sub")
            .condition_expression("tenantId = :tenant")
            .expression_attribute_names("#sub", "sub")
            .expression_attribute_values(":sub", s(sub.as_str()))
            .expression_attribute_values(":tenant", s(signup.tenant_id.to_string()))
            .send()
            .await;
        super::conditional("UpdateItem", result, Clash::SignupChanged).map(drop)
    }

    /// Stores a verification token's hash; TTL removes it a week after it expires.
    pub async fn put_verification_token(&self, hash: &str, token: &VerificationToken) -> Result<(), StoreError> {
        let mut item =
            to_item(token, &[(PK, keys::verification_token_pk(hash)), (SK, keys::VERIFICATION_TOKEN_SK.into())])?;
        expire_at(&mut item, token.valid_until + time::Duration::days(7));
        Transaction::new("PutVerificationToken")
            .put_new(item, Clash::Exists(Entity::VerificationToken))
            .commit(self)
            .await
    }

    pub async fn verification_token(&self, hash: &str) -> Result<Option<VerificationToken>, StoreError> {
        self.get(keys::verification_token_pk(hash), keys::VERIFICATION_TOKEN_SK.into()).await
    }

    /// Removes a token whose email could not be sent.
    pub async fn delete_verification_token(&self, hash: &str) -> Result<(), StoreError> {
        let key = Self::key(keys::verification_token_pk(hash), keys::VERIFICATION_TOKEN_SK.into());
        sent("DeleteItem", self.client.delete_item().table_name(&self.table).set_key(Some(key)).send().await).map(drop)
    }

    /// Completes a verified sign-up in one transaction: the token is used
    /// (`VerificationUsed`), the record is marked verified (`AlreadyVerified`), the tenant
    /// becomes active and the admin's membership is written (`StaffMemberExists`).
    pub async fn verify_company_signup(
        &self,
        hash: &str,
        signup: &CompanySignup,
        admin: &StaffMember,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let at = s(rfc3339(now));
        Transaction::new("VerifyCompanySignup")
            .update(
                Self::key(keys::verification_token_pk(hash), keys::VERIFICATION_TOKEN_SK.into()),
                Expr::new("SET usedAt = :at").value(":at", at.clone()),
                Expr::exists().and("attribute_not_exists(usedAt)"),
                Clash::VerificationUsed,
            )
            .update(
                Self::key(keys::company_signup_pk(&signup.email), keys::COMPANY_SIGNUP_SK.into()),
                Expr::new("SET verifiedAt = :at").value(":at", at),
                Expr::new("tenantId = :tenant AND attribute_not_exists(verifiedAt)")
                    .value(":tenant", s(signup.tenant_id.to_string())),
                Clash::AlreadyVerified,
            )
            .update(
                Self::tenant_key(signup.tenant_id, keys::TENANT_PROFILE_SK.into()),
                Expr::new("SET #status = :active").value(":active", super::value(TenantStatus::Active)?),
                Expr::new("#status = :unverified")
                    .name("#status", "status")
                    .value(":unverified", super::value(TenantStatus::Unverified)?),
                Clash::AlreadyVerified,
            )
            .put_new(Self::staff_item(admin)?, Clash::StaffMemberExists)
            .commit(self)
            .await
    }

    /// Stores an invite code's hash (see `signup::issue_invite_code`).
    pub async fn put_invite_code(&self, hash: &str, code: &InviteCode) -> Result<(), StoreError> {
        let mut item = to_item(code, &[(PK, keys::signup_code_pk(hash)), (SK, keys::SIGNUP_CODE_SK.into())])?;
        if let Some(until) = code.valid_until {
            expire_at(&mut item, until + time::Duration::days(30));
        }
        Transaction::new("PutInviteCode").put_new(item, Clash::Exists(Entity::InviteCode)).commit(self).await
    }

    pub async fn invite_code(&self, hash: &str) -> Result<Option<InviteCode>, StoreError> {
        self.get(keys::signup_code_pk(hash), keys::SIGNUP_CODE_SK.into()).await
    }
}
