//! The `registration` function: the only way to a customer account is an invitation.
//!
//! The emailed link carries a single-use, expiring token; its hash finds the invitation,
//! which fixes the email (the customer cannot choose another). A new customer is signed up
//! in the customer pool with their password and confirms their email with the code Cognito
//! sends; then the contact's access becomes `active`. A customer who already has an account
//! (invited by a second company) proves it with their password and is linked at once.
//! Confirming and resending answer the same whether or not the email has an account.
//! Each route is rate-limited (`portal_shared::rate_limit`: per source address and email,
//! per email, per source; registering, by the invited email) before any Cognito call.
//!
//! It also serves company self-service sign-up (`/signup…`, `company`): a new company and
//! its first admin, in the staff pool, verified by a link the portal emails.

use aws_config::SdkConfig;
use aws_sdk_cognitoidentityprovider::Client as Cognito;
use aws_sdk_cognitoidentityprovider::operation::confirm_sign_up::ConfirmSignUpError;
use aws_sdk_cognitoidentityprovider::operation::initiate_auth::InitiateAuthError;
use aws_sdk_cognitoidentityprovider::operation::sign_up::SignUpError;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType};
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal_shared::config::{self, ConfigError};
use portal_shared::domain::{AccessStatus, Email, UserSub};
use portal_shared::error::EMAIL_REFUSED_BY_SIGN_IN;
use portal_shared::function::HttpFunction;
use portal_shared::http::{json_body, respond, route_key, source_address, unknown_route};
use portal_shared::mail::Mailer;
use portal_shared::model::{Action, ActivityEvent, Actor, InvitationToken, PendingSignup, UploaderKind};
use portal_shared::rate_limit::{Purpose, RateLimiter};
use portal_shared::secrets::{ConfirmationCode, Password};
use portal_shared::store::{Clash, Store, StoreError};
use portal_shared::{ApiError, aws, tokens};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The IAM actions of the AWS calls this function makes (the SAM template grants exactly
/// these; a test compares). SignUp, ConfirmSignUp, ResendConfirmationCode and InitiateAuth
/// are public Cognito APIs (listed like auth lists its own, so the list is every call);
/// AdminGetUser reads the `sub` of an existing account.
pub const IAM_ACTIONS: &[&str] = &[
    "cognito-idp:SignUp",
    "cognito-idp:ConfirmSignUp",
    "cognito-idp:ResendConfirmationCode",
    "cognito-idp:InitiateAuth",
    "dynamodb:GetItem",
    // An invitation's contact and company, read together.
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "cognito-idp:AdminGetUser",
    // Company sign-up: the first admin's staff account, created disabled and enabled once
    // the email is verified (deleted again if the sign-up cannot complete).
    "cognito-idp:AdminCreateUser",
    "cognito-idp:AdminDisableUser",
    "cognito-idp:AdminEnableUser",
    "cognito-idp:AdminSetUserPassword",
    "cognito-idp:AdminDeleteUser",
    "ses:SendEmail",
];

pub mod company;

pub use portal_shared::signup::SignUpMode;

pub struct App {
    store: Store,
    limiter: RateLimiter,
    cognito: Cognito,
    pool_id: String,
    client_id: String,
    companies: company::CompanySignups,
}

/// Where company sign-up happens: the staff pool, the sender of the verification email,
/// the site's URL (its link), and who may sign up.
pub struct CompanySignupConfig {
    pub staff_pool_id: String,
    pub sender: String,
    pub public_url: String,
    pub mode: SignUpMode,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Registration {
    token: String,
    password: Password,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Confirmation {
    email: Email,
    code: ConfirmationCode,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Resend {
    email: Email,
}

/// Where a registration stands.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Registered {
    /// `confirmationRequired` (enter the emailed code), `active` (sign in).
    pub status: &'static str,
    pub email: Email,
}

#[derive(Debug, Serialize)]
pub struct Accepted {
    pub status: &'static str,
}

impl HttpFunction for App {
    fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let companies = CompanySignupConfig {
            staff_pool_id: config::required(config::STAFF_USER_POOL_ID)?,
            sender: config::required(config::SENDER_EMAIL)?,
            public_url: config::required(config::PUBLIC_URL)?,
            mode: SignUpMode::from_env()?,
        };
        let mut app = Self::new(
            sdk,
            config::required(config::TABLE_NAME)?,
            config::required(config::CUSTOMER_USER_POOL_ID)?,
            config::required(config::CUSTOMER_CLIENT_ID)?,
            companies,
        );
        app.limiter = RateLimiter::from_env(app.store.clone())?;
        app.companies.limiter = app.limiter.clone();
        Ok(app)
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        match route_key(&req) {
            Some("POST /registration") => match self.register(&req).await {
                Ok(registered) if registered.status == "active" => respond(StatusCode::OK, Ok(registered)),
                outcome => respond(StatusCode::ACCEPTED, outcome),
            },
            Some("POST /registration/confirm") => respond(StatusCode::OK, self.confirm(&req).await),
            Some("POST /registration/resend") => respond(StatusCode::ACCEPTED, self.resend(&req).await),
            Some("GET /signup") => respond(StatusCode::OK, Ok(self.companies.info())),
            Some("GET /signup/slugs/{slug}") => respond(StatusCode::OK, self.companies.slug_availability(&req).await),
            Some("POST /signup") => respond(StatusCode::ACCEPTED, self.companies.sign_up(&req).await),
            Some("POST /signup/verify") => respond(StatusCode::OK, self.companies.verify(&req).await),
            Some("POST /signup/resend") => respond(StatusCode::ACCEPTED, self.companies.resend(&req).await),
            _ => unknown_route(&req).into_response(),
        }
    }
}

impl App {
    pub fn new(
        sdk: &SdkConfig,
        table: impl Into<String>,
        pool_id: impl Into<String>,
        client_id: impl Into<String>,
        companies: CompanySignupConfig,
    ) -> Self {
        let store = Store::new(aws::dynamodb_client(sdk), table);
        let cognito = aws::cognito_client(sdk);
        let limiter = RateLimiter::new(store.clone());
        let companies = company::CompanySignups {
            store: store.clone(),
            limiter: limiter.clone(),
            cognito: cognito.clone(),
            staff_pool_id: companies.staff_pool_id,
            mailer: Mailer::new(sdk, companies.sender),
            public_url: companies.public_url.trim_end_matches('/').to_owned(),
            mode: companies.mode,
        };
        Self { limiter, store, cognito, pool_id: pool_id.into(), client_id: client_id.into(), companies }
    }

    /// The invitation a token names, if it can still be used.
    async fn invitation(&self, token: &str) -> Result<(String, InvitationToken), ApiError> {
        let invalid = || ApiError::Invalid("token: this invitation link is not valid".into());
        if !tokens::is_well_formed(token) {
            return Err(invalid());
        }
        let hash = tokens::hash(token);
        let invitation = self.store.invitation_token(&hash).await?.ok_or_else(invalid)?;
        if invitation.used_at.is_some() {
            return Err(ApiError::Conflict("this invitation link has been used already; sign in instead".into()));
        }
        if invitation.valid_until <= OffsetDateTime::now_utc() {
            return Err(ApiError::Gone("this invitation link has expired; ask the company for a new one".into()));
        }
        // The access must still be waiting for this registration, at a company the operator
        // has not stopped (a suspended one takes no new customers until it is resumed).
        let (tenant, contact) = self.store.tenant_and_contact(invitation.tenant_id, invitation.contact_id).await?;
        let waiting = contact.is_some_and(|c| c.access_status == AccessStatus::Pending && c.email == invitation.email);
        if !waiting || tenant.is_none() {
            return Err(ApiError::Gone("this invitation has been withdrawn".into()));
        }
        if tenant.is_some_and(|tenant| tenant.status.is_stopped()) {
            return Err(ApiError::CompanySuspended);
        }
        Ok((hash, invitation))
    }

    async fn register(&self, req: &Request) -> Result<Registered, ApiError> {
        let input: Registration = json_body(req)?;
        let (hash, invitation) = self.invitation(&input.token).await?;
        let email = invitation.email.clone();
        // By the invited email: an existing account's password is checked below.
        self.limiter.check(Purpose::Register, source_address(req), &email).await?;
        let now = OffsetDateTime::now_utc();
        let signed_up = self
            .cognito
            .sign_up()
            .client_id(&self.client_id)
            .username(email.as_str())
            .password(input.password.as_str())
            .user_attributes(attribute("email", email.as_str())?)
            .send()
            .await;
        match signed_up {
            Ok(output) => {
                let sub: UserSub =
                    output.user_sub.parse().map_err(|e| ApiError::Internal(format!("SignUp sub: {e}")))?;
                let signup = PendingSignup { tenant_id: invitation.tenant_id, contact_id: invitation.contact_id, sub };
                self.store.begin_signup(&hash, &email, &signup, now).await?;
                tracing::info!(tenant = %invitation.tenant_id, contact = %invitation.contact_id, "customer signed up");
                Ok(Registered { status: "confirmationRequired", email })
            }
            Err(err) => match err.as_service_error() {
                Some(SignUpError::UsernameExistsException(_)) => {
                    self.link_existing(&hash, &invitation, input.password, now).await
                }
                Some(SignUpError::InvalidPasswordException(e)) => Err(ApiError::Invalid(format!(
                    "password: {}",
                    e.message().unwrap_or("does not meet the password policy")
                ))),
                // Cognito will not take the invited address as a username (AWS: more than
                // 128 characters): the field in our words, never Cognito's message.
                _ => Err(ApiError::from_sdk_refusing("SignUp", err, EMAIL_REFUSED_BY_SIGN_IN)),
            },
        }
    }

    /// An account with this email exists (another company invited the customer first): the
    /// password proves it is theirs, then the contact is linked to it at once.
    async fn link_existing(
        &self,
        hash: &str,
        invitation: &InvitationToken,
        password: Password,
        now: OffsetDateTime,
    ) -> Result<Registered, ApiError> {
        let email = &invitation.email;
        let auth = self
            .cognito
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", email.as_str())
            .auth_parameters("PASSWORD", password.expose())
            .send()
            .await;
        let sub = self.account_sub(email).await?;
        match auth {
            Ok(_) => {}
            // Registered before but never confirmed: this contact waits for the same code.
            Err(err) if matches!(err.as_service_error(), Some(InitiateAuthError::UserNotConfirmedException(_))) => {
                let signup = PendingSignup { tenant_id: invitation.tenant_id, contact_id: invitation.contact_id, sub };
                self.store.begin_signup(hash, email, &signup, now).await?;
                let _ = self
                    .cognito
                    .resend_confirmation_code()
                    .client_id(&self.client_id)
                    .username(email.as_str())
                    .send()
                    .await;
                return Ok(Registered { status: "confirmationRequired", email: email.clone() });
            }
            Err(err) => {
                return Err(match err.as_service_error() {
                    Some(
                        InitiateAuthError::NotAuthorizedException(_) | InitiateAuthError::UserNotFoundException(_),
                    ) => ApiError::Invalid(
                        "password: you already have a portal account with this email; enter its password".into(),
                    ),
                    _ => ApiError::from_sdk("InitiateAuth", err),
                });
            }
        }
        let event = activated(&sub, invitation.contact_id, now);
        self.store.link_account(hash, invitation, &sub, now, &event).await?;
        tracing::info!(tenant = %invitation.tenant_id, contact = %invitation.contact_id, "existing customer linked");
        Ok(Registered { status: "active", email: email.clone() })
    }

    async fn account_sub(&self, email: &Email) -> Result<UserSub, ApiError> {
        let user = self
            .cognito
            .admin_get_user()
            .user_pool_id(&self.pool_id)
            .username(email.as_str())
            .send()
            .await
            .map_err(|e| ApiError::from_sdk("AdminGetUser", e))?;
        user.user_attributes()
            .iter()
            .find(|a| a.name == "sub")
            .and_then(|a| a.value.as_deref())
            .ok_or_else(|| ApiError::Internal("AdminGetUser returned no sub".into()))?
            .parse()
            .map_err(|e| ApiError::Internal(format!("AdminGetUser sub: {e}")))
    }

    /// Confirms the email with the emailed code; then every contact waiting for this
    /// account becomes active. Any refusal answers the same, account or not.
    async fn confirm(&self, req: &Request) -> Result<Registered, ApiError> {
        let input: Confirmation = json_body(req)?;
        self.limiter.check(Purpose::ConfirmSignup, source_address(req), &input.email).await?;
        match self
            .cognito
            .confirm_sign_up()
            .client_id(&self.client_id)
            .username(input.email.as_str())
            .confirmation_code(input.code.as_str())
            .send()
            .await
        {
            Ok(_) => {}
            Err(err) => {
                return Err(match err.as_service_error() {
                    Some(
                        ConfirmSignUpError::CodeMismatchException(_)
                        | ConfirmSignUpError::ExpiredCodeException(_)
                        | ConfirmSignUpError::UserNotFoundException(_)
                        | ConfirmSignUpError::NotAuthorizedException(_)
                        | ConfirmSignUpError::TooManyFailedAttemptsException(_),
                    ) => ApiError::Invalid("code: the code is not valid or has expired".into()),
                    _ => ApiError::from_sdk_refusing("ConfirmSignUp", err, EMAIL_REFUSED_BY_SIGN_IN),
                });
            }
        }
        let now = OffsetDateTime::now_utc();
        for signup in self.store.pending_signups(&input.email).await? {
            let event = activated(&signup.sub, signup.contact_id, now);
            match self.store.complete_signup(&input.email, &signup, now, &event).await {
                Ok(()) => {
                    tracing::info!(tenant = %signup.tenant_id, contact = %signup.contact_id, "customer access active")
                }
                // Staff closed the access meanwhile: nothing to activate.
                Err(StoreError::Clash(Clash::AccessNotPending)) => {
                    self.store.drop_signup(&input.email, &signup).await?
                }
                Err(err) => return Err(err.into()),
            }
        }
        Ok(Registered { status: "active", email: input.email })
    }

    /// Sends the confirmation code again; the answer never says whether the email exists.
    async fn resend(&self, req: &Request) -> Result<Accepted, ApiError> {
        let input: Resend = json_body(req)?;
        self.limiter.check(Purpose::ResendCode, source_address(req), &input.email).await?;
        if let Err(err) = self
            .cognito
            .resend_confirmation_code()
            .client_id(&self.client_id)
            .username(input.email.as_str())
            .send()
            .await
        {
            let transient = matches!(ApiError::from_sdk("ResendConfirmationCode", err), ApiError::Unavailable);
            if transient {
                return Err(ApiError::Unavailable);
            }
        }
        Ok(Accepted { status: "sent if the account is waiting for its confirmation" })
    }
}

fn activated(sub: &UserSub, contact: portal_shared::domain::ContactId, at: OffsetDateTime) -> ActivityEvent {
    let actor = Actor { kind: UploaderKind::Customer, sub: sub.clone(), email: None };
    ActivityEvent::new(Action::AccessActivated, actor, at).contact(contact)
}

fn attribute(name: &str, value: &str) -> Result<AttributeType, ApiError> {
    AttributeType::builder().name(name).value(value).build().map_err(|e| ApiError::Internal(e.to_string()))
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod cold_start {
    use super::*;

    /// The sign-up mode is configuration like the rest: missing or unknown fails the cold
    /// start instead of a request.
    #[test]
    fn the_company_sign_up_mode_is_required_and_parsed() {
        let sdk = SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .build();
        let set = |name: &str, value: &str| {
            // SAFETY: the only test of this crate that reads or writes the environment.
            unsafe { std::env::set_var(name, value) }
        };
        for (name, value) in [
            (config::TABLE_NAME, "portal-table"),
            (config::CUSTOMER_USER_POOL_ID, "us-east-1_customers"),
            (config::CUSTOMER_CLIENT_ID, "customers-web"),
            (config::STAFF_USER_POOL_ID, "us-east-1_staff"),
            (config::SENDER_EMAIL, "no-reply@portal.example.com"),
            (config::PUBLIC_URL, "https://portal.example.com/"),
        ] {
            set(name, value);
        }
        // SAFETY: as above.
        unsafe { std::env::remove_var(portal_shared::signup::COMPANY_SIGNUP) };
        assert!(matches!(App::from_env(&sdk), Err(ConfigError::Missing("COMPANY_SIGNUP"))));
        set(portal_shared::signup::COMPANY_SIGNUP, "sometimes");
        assert!(matches!(App::from_env(&sdk), Err(ConfigError::Invalid("COMPANY_SIGNUP", _))));
        for (text, mode) in
            [("open", SignUpMode::Open), ("invite-code", SignUpMode::InviteCode), ("closed", SignUpMode::Closed)]
        {
            set(portal_shared::signup::COMPANY_SIGNUP, text);
            let app = App::from_env(&sdk).expect("a valid configuration");
            assert_eq!(app.companies.mode, mode);
            assert_eq!(app.companies.public_url, "https://portal.example.com");
        }
    }
}
