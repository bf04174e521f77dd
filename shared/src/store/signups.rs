//! Company sign-ups: the claim of a sign-up (record, slug guard, unverified tenant, invite
//! code) in one transaction, its undoing, verification tokens, and the operator's invite
//! codes. See `crate::signup` for the protocol.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use time::OffsetDateTime;

use super::{Item, Store, s, to_item, took_effect};
use crate::domain::{Email, TenantStatus};
use crate::error::ApiError;
use crate::identity::StaffMember;
use crate::keys::{self, PK, SK};
use crate::model::Tenant;
use crate::signup::{CompanySignup, InviteCode, VerificationToken};

/// The conflicts of a claim, told apart by the handler (the first failed write decides).
pub const SLUG_TAKEN: &str = "this portal address is taken; choose another";
pub const EMAIL_SIGNED_UP: &str = "a sign-up with this email exists";
pub const CODE_REFUSED: &str = "inviteCode: this invite code is not valid, has expired or has been used";
pub const ALREADY_VERIFIED: &str = "this company's email is verified already; sign in";

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).expect("RFC 3339 formats")
}

fn status_value(status: TenantStatus) -> Result<AttributeValue, ApiError> {
    serde_dynamo::to_attribute_value(status).map_err(|e| ApiError::Internal(e.to_string()))
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(e.to_string())
}

impl Store {
    pub async fn company_signup(&self, email: &Email) -> Result<Option<CompanySignup>, ApiError> {
        self.get(keys::company_signup_pk(email), keys::COMPANY_SIGNUP_SK.into()).await
    }

    /// The sign-up that claimed `slug`, if the slug's company came from one (operator-made
    /// and seeded companies have none).
    pub async fn slug_signup(&self, slug: &crate::domain::Slug) -> Result<Option<CompanySignup>, ApiError> {
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
    pub async fn slug_taken(&self, slug: &crate::domain::Slug) -> Result<bool, ApiError> {
        Ok(self.get::<serde_json::Value>(keys::slug_pk(slug), keys::SLUG_SK.into()).await?.is_some())
    }

    fn signup_item(signup: &CompanySignup) -> Result<Item, ApiError> {
        to_item(signup, &[(PK, keys::company_signup_pk(&signup.email)), (SK, keys::COMPANY_SIGNUP_SK.into())])
    }

    /// Claims a sign-up, all or nothing: the slug's guard (409 `SLUG_TAKEN`, first, so the
    /// answer about a slug never depends on the email), the `unverified` tenant, the
    /// sign-up record (409 `EMAIL_SIGNED_UP`) and, with a code, the code's use (422).
    pub async fn claim_company_signup(
        &self,
        signup: &CompanySignup,
        tenant: &Tenant,
        now: OffsetDateTime,
    ) -> Result<(), ApiError> {
        let profile = to_item(tenant, &[(PK, keys::tenant_pk(tenant.id)), (SK, keys::TENANT_PROFILE_SK.into())])?;
        let guard = to_item(
            // The sign-up's email too: a later sign-up of the slug finds an abandoned claim by it.
            &serde_json::json!({ "tenantId": tenant.id, "signupEmail": signup.email }),
            &[(PK, keys::slug_pk(&tenant.slug)), (SK, keys::SLUG_SK.into())],
        )?;
        let mut writes = vec![
            (self.put_new(guard)?, ApiError::Conflict(SLUG_TAKEN.into())),
            (self.put_new(profile)?, ApiError::Conflict(SLUG_TAKEN.into())),
            (self.put_new(Self::signup_item(signup)?)?, ApiError::Conflict(EMAIL_SIGNED_UP.into())),
        ];
        if let Some(hash) = &signup.code_hash {
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(Self::key(keys::signup_code_pk(hash), keys::SIGNUP_CODE_SK.into())))
                .update_expression("SET usedAt = :at, usedBy = :email")
                .condition_expression(
                    "attribute_exists(#pk) AND attribute_not_exists(usedAt) \
                     AND (attribute_not_exists(validUntil) OR validUntil > :at)",
                )
                .expression_attribute_names("#pk", PK)
                .expression_attribute_values(":at", s(rfc3339(now)))
                .expression_attribute_values(":email", s(signup.email.as_str()))
                .build()
                .map_err(internal)?;
            writes.push((TransactWriteItem::builder().update(update).build(), ApiError::Invalid(CODE_REFUSED.into())));
        }
        self.transact("ClaimCompanySignup", writes).await
    }

    /// Undoes a claim that cannot complete (the email belongs to an existing staff account,
    /// or Cognito refused the account): the record, the slug guard and the tenant go, and
    /// the code is given back. Each write is conditional on still being this sign-up's, so
    /// a later sign-up's items are never touched; a repeated undo changes nothing. `false`
    /// when the record was not this sign-up's any more (undone already, or verified).
    pub async fn undo_company_signup(&self, signup: &CompanySignup) -> Result<bool, ApiError> {
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
            .expression_attribute_values(":unverified", status_value(TenantStatus::Unverified)?)
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
    pub async fn set_company_signup_account(&self, signup: &CompanySignup) -> Result<(), ApiError> {
        let sub = signup.sub.as_ref().ok_or_else(|| ApiError::Internal("sign-up without an account".into()))?;
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
        super::conditional("UpdateItem", result, ApiError::Conflict("the sign-up changed meanwhile; retry".into()))
            .map(drop)
    }

    /// Stores a verification token's hash; TTL removes it a week after it expires.
    pub async fn put_verification_token(&self, hash: &str, token: &VerificationToken) -> Result<(), ApiError> {
        let mut item =
            to_item(token, &[(PK, keys::verification_token_pk(hash)), (SK, keys::VERIFICATION_TOKEN_SK.into())])?;
        let ttl = token.valid_until + time::Duration::days(7);
        item.insert(keys::TTL_ATTRIBUTE.to_owned(), AttributeValue::N(ttl.unix_timestamp().to_string()));
        self.put_all_new("PutVerificationToken", [item], "this verification token exists already").await
    }

    pub async fn verification_token(&self, hash: &str) -> Result<Option<VerificationToken>, ApiError> {
        self.get(keys::verification_token_pk(hash), keys::VERIFICATION_TOKEN_SK.into()).await
    }

    /// Removes a token whose email could not be sent.
    pub async fn delete_verification_token(&self, hash: &str) -> Result<(), ApiError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::verification_token_pk(hash), keys::VERIFICATION_TOKEN_SK.into())))
            .send()
            .await
            .map_err(|e| ApiError::from_sdk("DeleteItem", e))?;
        Ok(())
    }

    /// Completes a verified sign-up in one transaction: the token is used (409 if used),
    /// the record is marked verified (409 `ALREADY_VERIFIED`), the tenant becomes active and
    /// the admin's membership is written.
    pub async fn verify_company_signup(
        &self,
        hash: &str,
        signup: &CompanySignup,
        admin: &StaffMember,
        now: OffsetDateTime,
    ) -> Result<(), ApiError> {
        let at = s(rfc3339(now));
        let token = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::verification_token_pk(hash), keys::VERIFICATION_TOKEN_SK.into())))
            .update_expression("SET usedAt = :at")
            .condition_expression("attribute_exists(#pk) AND attribute_not_exists(usedAt)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":at", at.clone())
            .build()
            .map_err(internal)?;
        let record = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::company_signup_pk(&signup.email), keys::COMPANY_SIGNUP_SK.into())))
            .update_expression("SET verifiedAt = :at")
            .condition_expression("tenantId = :tenant AND attribute_not_exists(verifiedAt)")
            .expression_attribute_values(":at", at)
            .expression_attribute_values(":tenant", s(signup.tenant_id.to_string()))
            .build()
            .map_err(internal)?;
        let tenant = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant_pk(signup.tenant_id), keys::TENANT_PROFILE_SK.into())))
            .update_expression("SET #status = :active")
            .condition_expression("#status = :unverified")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":active", status_value(TenantStatus::Active)?)
            .expression_attribute_values(":unverified", status_value(TenantStatus::Unverified)?)
            .build()
            .map_err(internal)?;
        let membership = Put::builder()
            .table_name(&self.table)
            .set_item(Some(Self::staff_item(admin)?))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .map_err(internal)?;
        self.transact(
            "VerifyCompanySignup",
            vec![
                (
                    TransactWriteItem::builder().update(token).build(),
                    ApiError::Conflict("this link has been used already; sign in".into()),
                ),
                (TransactWriteItem::builder().update(record).build(), ApiError::Conflict(ALREADY_VERIFIED.into())),
                (TransactWriteItem::builder().update(tenant).build(), ApiError::Conflict(ALREADY_VERIFIED.into())),
                (
                    TransactWriteItem::builder().put(membership).build(),
                    ApiError::Conflict("this account is a staff member already".into()),
                ),
            ],
        )
        .await
    }

    /// Stores an invite code's hash (see `signup::issue_invite_code`).
    pub async fn put_invite_code(&self, hash: &str, code: &InviteCode) -> Result<(), ApiError> {
        let mut item = to_item(code, &[(PK, keys::signup_code_pk(hash)), (SK, keys::SIGNUP_CODE_SK.into())])?;
        if let Some(until) = code.valid_until {
            let ttl = until + time::Duration::days(30);
            item.insert(keys::TTL_ATTRIBUTE.to_owned(), AttributeValue::N(ttl.unix_timestamp().to_string()));
        }
        self.put_all_new("PutInviteCode", [item], "this invite code exists already").await
    }

    pub async fn invite_code(&self, hash: &str) -> Result<Option<InviteCode>, ApiError> {
        self.get(keys::signup_code_pk(hash), keys::SIGNUP_CODE_SK.into()).await
    }
}
