//! Company self-service sign-up (`/signup…`): who may sign up (`SignUpMode`), the slug's
//! availability, the sign-up itself, its email verification and resending the link.
//!
//! Ordering (why a sign-up never ends half-made, see `portal_shared::signup`):
//! 1. the sign-up is claimed in one transaction (slug guard, `unverified` tenant, record by
//!    email, invite code): all or nothing, and a second sign-up of the slug or the email
//!    fails its condition;
//! 2. the staff account is created in Cognito disabled, its password set; a retry finds
//!    the record and does this again (each step is idempotent: an existing account without
//!    a membership is this sign-up's own);
//! 3. the record notes the account, and the verification link is emailed;
//! 4. verification enables the account, then one transaction uses the token, activates the
//!    tenant, writes the admin's membership and marks the record verified.
//!
//! A step that fails for good (Cognito refuses the address) undoes the claim; a transient
//! one leaves the record for the retry. The answer to a sign-up is the same whether or not
//! the email is known (202, "check your email").

use aws_sdk_cognitoidentityprovider::Client as Cognito;
use aws_sdk_cognitoidentityprovider::operation::admin_create_user::AdminCreateUserError;
use aws_sdk_cognitoidentityprovider::operation::admin_delete_user::AdminDeleteUserError;
use aws_sdk_cognitoidentityprovider::operation::admin_set_user_password::AdminSetUserPasswordError;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType};
use portal_shared::domain::{DisplayName, Email, Slug, TenantId, TenantStatus, UserSub};
use portal_shared::error::EMAIL_REFUSED_BY_SIGN_IN;
use portal_shared::identity::StaffMember;
use portal_shared::mail::{Mailer, render};
use portal_shared::model::{Language, Tenant};
use portal_shared::rate_limit::{Purpose, RateLimiter};
use portal_shared::secrets::Password;
use portal_shared::signup::{CompanySignup, SignUpMode, VERIFICATION_VALID_HOURS, VerificationToken};
use portal_shared::source::SourceAddress;
use portal_shared::store::{Clash, Store, StoreError};
use portal_shared::{ApiError, tokens};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The company sign-up side of the registration function.
pub struct CompanySignups {
    pub store: Store,
    pub limiter: RateLimiter,
    pub cognito: Cognito,
    pub staff_pool_id: String,
    pub mailer: Mailer,
    /// The site's base URL (the verification link opens its sign-up page).
    pub public_url: String,
    pub mode: SignUpMode,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct SignUpRequest {
    company_name: DisplayName,
    slug: Slug,
    name: DisplayName,
    email: Email,
    password: Password,
    #[serde(default)]
    invite_code: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Verification {
    token: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Resend {
    email: Email,
}

/// `GET /signup`: what the sign-up page should offer.
#[derive(Debug, Serialize)]
pub struct SignUpInfo {
    pub mode: SignUpMode,
}

#[derive(Debug, Serialize)]
pub struct SlugAvailability {
    pub slug: Slug,
    pub available: bool,
}

/// The one answer of a sign-up and a resend, whatever the email: byte for byte the same
/// for a new, a pending, a verified and another company's staff email.
#[derive(Debug, Serialize)]
pub struct SignUpAccepted {
    pub status: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verified {
    pub status: &'static str,
    pub email: Email,
    pub slug: Slug,
}

const CHECK_YOUR_EMAIL: &str = "verificationSent";

/// A claim's clashes in this route's words: the slug and the invite code are fields of
/// the request.
const SLUG_TAKEN: &str = "this portal address is taken; choose another";
const CODE_REFUSED: &str = "inviteCode: this invite code is not valid, has expired or has been used";

fn claim_problem(err: StoreError) -> ApiError {
    match err {
        StoreError::Clash(Clash::SlugTaken) => ApiError::Conflict(SLUG_TAKEN.into()),
        StoreError::Clash(Clash::InviteCodeRefused) => ApiError::Invalid(CODE_REFUSED.into()),
        other => other.into(),
    }
}

impl CompanySignups {
    pub fn info(&self) -> SignUpInfo {
        SignUpInfo { mode: self.mode }
    }

    /// A closed portal refuses every sign-up route before its request is read.
    pub(crate) fn refuse_when_closed(&self) -> Result<(), ApiError> {
        if self.mode == SignUpMode::Closed {
            return Err(ApiError::Forbidden(
                "company sign-up is closed on this portal; ask its operator to create your company".into(),
            ));
        }
        Ok(())
    }

    pub async fn slug_availability(&self, slug: Slug) -> Result<SlugAvailability, ApiError> {
        self.refuse_when_closed()?;
        let available = !self.store.slug_taken(&slug).await?;
        Ok(SlugAvailability { slug, available })
    }

    pub(crate) async fn sign_up(
        &self,
        source: SourceAddress,
        input: SignUpRequest,
    ) -> Result<SignUpAccepted, ApiError> {
        self.refuse_when_closed()?;
        portal_shared::signup::check_staff_password(input.password.as_str())
            .map_err(|reason| ApiError::Invalid(format!("password: {reason}")))?;
        let code_hash = match (self.mode, &input.invite_code) {
            (SignUpMode::InviteCode, None) => {
                return Err(ApiError::Invalid("inviteCode: an invite code is required to sign up".into()));
            }
            (SignUpMode::InviteCode, Some(code)) if !tokens::is_well_formed(code.trim()) => {
                return Err(ApiError::Invalid(CODE_REFUSED.into()));
            }
            (SignUpMode::InviteCode, Some(code)) => Some(tokens::hash(code.trim())),
            // Open sign-up takes no code (a stray one is ignored, not an error).
            _ => None,
        };
        self.limiter.check(Purpose::CompanySignup, source, &input.email).await?;
        let accepted = || SignUpAccepted { status: CHECK_YOUR_EMAIL };

        if let Some(existing) = self.store.company_signup(&input.email).await? {
            // A slug held by another company is a 409 whatever the email, as for a new one;
            // only a pending sign-up's own slug is a retry.
            let retry = existing.slug == input.slug && existing.verified_at.is_none();
            if !retry && self.slug_held(&input.slug).await? {
                return Err(ApiError::Conflict(SLUG_TAKEN.into()));
            }
            self.again(existing, &input.slug, input.password).await?;
            return Ok(accepted());
        }
        if let Some(hash) = &code_hash {
            // Read first for a clear answer; the claim's condition decides races.
            let now = OffsetDateTime::now_utc();
            let usable = self
                .store
                .invite_code(hash)
                .await?
                .is_some_and(|c| c.used_at.is_none() && c.valid_until.is_none_or(|until| until > now));
            if !usable {
                return Err(ApiError::Invalid(CODE_REFUSED.into()));
            }
        }
        let now = OffsetDateTime::now_utc();
        let signup = CompanySignup {
            email: input.email.clone(),
            tenant_id: TenantId::new(),
            slug: input.slug.clone(),
            company_name: input.company_name.clone(),
            admin_name: input.name.clone(),
            sub: None,
            code_hash,
            created_at: now,
            verified_at: None,
        };
        let tenant = Tenant {
            id: signup.tenant_id,
            name: signup.company_name.clone(),
            slug: signup.slug.clone(),
            accent_color: None,
            logo: None,
            notify_access_closed: false,
            status: TenantStatus::Unverified,
            created_at: now,
        };
        let mut claimed = self.store.claim_company_signup(&signup, &tenant, now).await;
        if matches!(&claimed, Err(StoreError::Clash(Clash::SlugTaken)))
            && self.take_over_abandoned(&signup.slug, now).await?
        {
            claimed = self.store.claim_company_signup(&signup, &tenant, now).await;
        }
        match claimed {
            Ok(()) => {
                portal_shared::telemetry::record_tenant(tenant.id);
                tracing::info!(tenant = %tenant.id, "company sign-up claimed");
                // Counted once, when the claim lands: a retry or a double submit finds it made.
                portal_shared::metrics::count(portal_shared::metrics::Metric::CompanySignUps, 1, Some(tenant.id));
                self.complete(signup, input.password).await?;
            }
            // The same email signed up meanwhile (a double submit): carry on with that one,
            // unless the slug went to another company.
            Err(StoreError::Clash(clash @ (Clash::SignupEmailTaken | Clash::SlugTaken))) => {
                match self.store.company_signup(&input.email).await? {
                    Some(existing) if clash == Clash::SignupEmailTaken || existing.slug == input.slug => {
                        self.again(existing, &input.slug, input.password).await?
                    }
                    _ => return Err(claim_problem(clash.into())),
                }
            }
            Err(err) => return Err(claim_problem(err)),
        }
        Ok(accepted())
    }

    /// Whether `slug` belongs to a company, counting an abandoned sign-up's as free (a new
    /// sign-up would take it over).
    async fn slug_held(&self, slug: &Slug) -> Result<bool, ApiError> {
        if !self.store.slug_taken(slug).await? {
            return Ok(false);
        }
        let now = OffsetDateTime::now_utc();
        Ok(!self.store.slug_signup(slug).await?.is_some_and(|s| s.is_abandoned(now)))
    }

    /// Undoes the sign-up holding `slug` if it was abandoned (never verified, older than
    /// `ABANDONED_AFTER_DAYS`), with its disabled account, so that the slug can be claimed
    /// again. `true` when something was undone. The undo is conditional on the sign-up
    /// still being unverified, so one that is verified meanwhile keeps its slug.
    async fn take_over_abandoned(&self, slug: &Slug, now: OffsetDateTime) -> Result<bool, ApiError> {
        let Some(abandoned) = self.store.slug_signup(slug).await?.filter(|s| s.is_abandoned(now)) else {
            return Ok(false);
        };
        // Undone first: a sign-up verified meanwhile keeps its slug and its account.
        if !self.store.undo_company_signup(&abandoned).await? {
            return Ok(false);
        }
        let member = match &abandoned.sub {
            Some(sub) => self.store.staff_member(sub).await?.is_some(),
            None => false,
        };
        if abandoned.sub.is_some() && !member {
            // Disabled and never verified, no membership: nobody ever signed in with it.
            let deleted = self
                .cognito
                .admin_delete_user()
                .user_pool_id(&self.staff_pool_id)
                .username(abandoned.email.as_str())
                .send()
                .await;
            if let Err(err) = deleted
                && !matches!(err.as_service_error(), Some(AdminDeleteUserError::UserNotFoundException(_)))
            {
                // The slug is free already; the account is left disabled (no membership).
                tracing::warn!(tenant = %abandoned.tenant_id, error = %ApiError::from_sdk("AdminDeleteUser", err), "abandoned sign-up's account not deleted");
            }
        }
        tracing::info!(tenant = %abandoned.tenant_id, "abandoned sign-up undone; its slug is claimed again");
        Ok(true)
    }

    /// A sign-up for an email that has one already: a pending one is completed (a retry
    /// after a fault) or, complete already, its link is sent again, whatever slug was asked
    /// this time (the pending sign-up keeps its own); a verified one gets nothing.
    /// The answer is the caller's 202 in every case, as for a new email.
    async fn again(&self, existing: CompanySignup, slug: &Slug, password: Password) -> Result<(), ApiError> {
        if existing.verified_at.is_some() {
            tracing::info!(tenant = %existing.tenant_id, "sign-up of a verified company's email; nothing sent");
            return Ok(());
        }
        if &existing.slug != slug {
            // The pending sign-up keeps its slug; its link goes out again (below).
            tracing::info!(tenant = %existing.tenant_id, "sign-up of a pending sign-up's email with another slug");
        }
        self.complete(existing, password).await
    }

    /// Steps 2 and 3: the disabled staff account, then the verification email.
    ///
    /// Once the record notes the account, its password is never set again: anyone may
    /// repeat a sign-up with the owner's email and slug, and must not choose the password
    /// of the account the owner's link will enable (the repeat only sends the owner a link).
    async fn complete(&self, mut signup: CompanySignup, password: Password) -> Result<(), ApiError> {
        if signup.sub.is_some() {
            return self.send_verification(&signup).await;
        }
        let sub = match self.account(&signup).await {
            Ok(Some(sub)) => sub,
            // The email is an existing staff member's (of another company): this sign-up
            // cannot be; the caller's answer stays the same.
            Ok(None) => {
                let _ = self.store.undo_company_signup(&signup).await?;
                tracing::info!(tenant = %signup.tenant_id, "sign-up of an existing staff account's email undone");
                return Ok(());
            }
            Err(err) => return Err(self.undo_unless_transient(&signup, err).await),
        };
        let email = signup.email.as_str();
        // Disabled before it has a password anyone knows: it cannot sign in until verified.
        self.cognito
            .admin_disable_user()
            .user_pool_id(&self.staff_pool_id)
            .username(email)
            .send()
            .await
            .map_err(|e| ApiError::from_sdk("AdminDisableUser", e))?;
        let set = self
            .cognito
            .admin_set_user_password()
            .user_pool_id(&self.staff_pool_id)
            .username(email)
            .password(password.expose())
            .permanent(true)
            .send()
            .await;
        if let Err(err) = set {
            let error = match err.as_service_error() {
                Some(AdminSetUserPasswordError::InvalidPasswordException(e)) => ApiError::Invalid(format!(
                    "password: {}",
                    e.message().unwrap_or("does not meet the password policy")
                )),
                _ => ApiError::from_sdk("AdminSetUserPassword", err),
            };
            return Err(self.undo_unless_transient(&signup, error).await);
        }
        signup.sub = Some(sub);
        self.store.set_company_signup_account(&signup).await?;
        self.send_verification(&signup).await
    }

    /// A failure for good undoes the claim (its account too, if this sign-up made it); a
    /// transient one leaves everything for the retry, which completes it.
    async fn undo_unless_transient(&self, signup: &CompanySignup, err: ApiError) -> ApiError {
        if matches!(err, ApiError::Unavailable) {
            return err;
        }
        if signup.sub.is_none() {
            let _ = self
                .cognito
                .admin_delete_user()
                .user_pool_id(&self.staff_pool_id)
                .username(signup.email.as_str())
                .send()
                .await;
        }
        if let Err(undo) = self.store.undo_company_signup(signup).await {
            tracing::error!(tenant = %signup.tenant_id, error = %undo, "a failed sign-up could not be undone; a retry completes or undoes it");
        }
        err
    }

    /// The sign-up's staff account: created (disabled later), or found when an earlier
    /// attempt created it. `None` when the email is another staff member's account.
    async fn account(&self, signup: &CompanySignup) -> Result<Option<UserSub>, ApiError> {
        let email = signup.email.as_str();
        let created = self
            .cognito
            .admin_create_user()
            .user_pool_id(&self.staff_pool_id)
            .username(email)
            .user_attributes(attribute("email", email)?)
            // The portal verifies the email itself (its own link) before enabling the account.
            .user_attributes(attribute("email_verified", "true")?)
            .message_action(MessageActionType::Suppress)
            .send()
            .await;
        match created {
            Ok(output) => {
                let attributes = output.user.and_then(|u| u.attributes).unwrap_or_default();
                sub_of(&attributes, "AdminCreateUser").map(Some)
            }
            Err(err) if matches!(err.as_service_error(), Some(AdminCreateUserError::UsernameExistsException(_))) => {
                let user = self
                    .cognito
                    .admin_get_user()
                    .user_pool_id(&self.staff_pool_id)
                    .username(email)
                    .send()
                    .await
                    .map_err(|e| ApiError::from_sdk("AdminGetUser", e))?;
                let sub = sub_of(user.user_attributes(), "AdminGetUser")?;
                // An account of this pool with a membership is a staff member's; one without
                // is what an earlier attempt of this sign-up left (nobody else can use it).
                match self.store.staff_member(&sub).await? {
                    Some(member) if member.tenant_id != signup.tenant_id => Ok(None),
                    _ => Ok(Some(sub)),
                }
            }
            Err(err) => Err(ApiError::from_sdk_refusing("AdminCreateUser", err, EMAIL_REFUSED_BY_SIGN_IN)),
        }
    }

    /// Emails a new single-use verification link (only its hash is stored).
    async fn send_verification(&self, signup: &CompanySignup) -> Result<(), ApiError> {
        let token = tokens::new_token();
        let hash = tokens::hash(&token);
        let now = OffsetDateTime::now_utc();
        let record = VerificationToken {
            email: signup.email.clone(),
            tenant_id: signup.tenant_id,
            valid_until: now + time::Duration::hours(VERIFICATION_VALID_HOURS),
            used_at: None,
        };
        let base = &self.public_url;
        let context = serde_json::json!({
            "company": signup.company_name,
            "adminName": signup.admin_name,
            // In the fragment: the token never reaches a server's access log.
            "link": format!("{base}/signup.html#verify={token}"),
            "portalUrl": format!("{base}/p/{}", signup.slug),
            "validHours": VERIFICATION_VALID_HOURS,
            "logoUrl": null,
            "accentColor": null,
        });
        let message = render("company_verification", Language::En, &context)?;
        self.store.put_verification_token(&hash, &record).await?;
        if let Err(err) = self.mailer.send(&signup.email, signup.company_name.as_str(), &message, None).await {
            if let Err(cleanup) = self.store.delete_verification_token(&hash).await {
                tracing::warn!(tenant = %signup.tenant_id, error = %cleanup, "unsent verification token left to expire");
            }
            return Err(err);
        }
        tracing::info!(tenant = %signup.tenant_id, "company verification emailed");
        Ok(())
    }

    pub(crate) async fn verify(&self, input: Verification) -> Result<Verified, ApiError> {
        let invalid = || ApiError::Invalid("token: this verification link is not valid".into());
        if !tokens::is_well_formed(&input.token) {
            return Err(invalid());
        }
        let hash = tokens::hash(&input.token);
        let token = self.store.verification_token(&hash).await?.ok_or_else(invalid)?;
        if token.used_at.is_some() {
            return Err(ApiError::Conflict("this link has been used already; sign in".into()));
        }
        if token.valid_until <= OffsetDateTime::now_utc() {
            return Err(ApiError::Gone("this verification link has expired; ask for a new one".into()));
        }
        let signup = self
            .store
            .company_signup(&token.email)
            .await?
            .filter(|s| s.tenant_id == token.tenant_id)
            .ok_or_else(|| ApiError::Gone("this sign-up no longer exists".into()))?;
        if signup.verified_at.is_some() {
            return Err(ApiError::Conflict("this company's email is verified already; sign in".into()));
        }
        let sub = signup.sub.clone().ok_or_else(|| ApiError::Gone("this sign-up no longer exists".into()))?;
        // Enabled first: if the transaction below fails, the account has no membership
        // yet (every staff request is refused) and the unused link completes it on retry.
        self.cognito
            .admin_enable_user()
            .user_pool_id(&self.staff_pool_id)
            .username(signup.email.as_str())
            .send()
            .await
            .map_err(|e| ApiError::from_sdk("AdminEnableUser", e))?;
        let admin = StaffMember {
            sub,
            tenant_id: signup.tenant_id,
            email: signup.email.clone(),
            name: Some(signup.admin_name.clone()),
            role: portal_shared::domain::Role::Admin,
            notify_submissions: None,
            submissions_seen_at: None,
            // The company becomes active in the same transaction (the operator's suspension
            // copies later changes onto every membership).
            company_status: TenantStatus::Active,
        };
        self.store.verify_company_signup(&hash, &signup, &admin, OffsetDateTime::now_utc()).await.map_err(|err| {
            match err {
                StoreError::Clash(Clash::StaffMemberExists) => {
                    ApiError::Conflict("this account is a staff member already".into())
                }
                other => other.into(),
            }
        })?;
        tracing::info!(tenant = %signup.tenant_id, "company verified and active");
        Ok(Verified { status: "active", email: signup.email, slug: signup.slug })
    }

    pub(crate) async fn resend(&self, source: SourceAddress, input: Resend) -> Result<SignUpAccepted, ApiError> {
        self.limiter.check(Purpose::CompanySignupResend, source, &input.email).await?;
        if let Some(signup) = self.store.company_signup(&input.email).await?
            && signup.verified_at.is_none()
            && signup.sub.is_some()
        {
            self.send_verification(&signup).await?;
        }
        Ok(SignUpAccepted { status: CHECK_YOUR_EMAIL })
    }
}

fn sub_of(attributes: &[AttributeType], operation: &str) -> Result<UserSub, ApiError> {
    attributes
        .iter()
        .find(|a| a.name == "sub")
        .and_then(|a| a.value.as_deref())
        .ok_or_else(|| ApiError::Internal(format!("{operation} returned no sub")))?
        .parse()
        .map_err(|e| ApiError::Internal(format!("{operation} sub: {e}")))
}

fn attribute(name: &str, value: &str) -> Result<AttributeType, ApiError> {
    AttributeType::builder().name(name).value(value).build().map_err(|e| ApiError::Internal(e.to_string()))
}
