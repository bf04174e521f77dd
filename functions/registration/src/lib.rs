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
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal_shared::aws;
use portal_shared::config::{self, ConfigError};
use portal_shared::function::HttpFunction;
use portal_shared::http::{respond, route_key, unknown_route};
use portal_shared::mail::Mailer;
use portal_shared::rate_limit::RateLimiter;
use portal_shared::store::Store;

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
// Customer registration: the routes parse requests into typed inputs (`inputs`) and
// render answers; the use cases (`customers`) take only typed values.
mod customers;
mod inputs;
mod routes;

pub use customers::{Accepted, Registered};
#[cfg(test)]
use inputs::{Confirmation, Registration, Resend};

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

impl HttpFunction for App {
    fn configure(sdk: &SdkConfig, env: &dyn config::Source) -> Result<Self, ConfigError> {
        let companies = CompanySignupConfig {
            staff_pool_id: config::required(env, config::STAFF_USER_POOL_ID)?,
            sender: config::required(env, config::SENDER_EMAIL)?,
            public_url: config::required(env, config::PUBLIC_URL)?,
            mode: SignUpMode::read(env)?,
        };
        let mut app = Self::new(
            sdk,
            config::required(env, config::TABLE_NAME)?,
            config::required(env, config::CUSTOMER_USER_POOL_ID)?,
            config::required(env, config::CUSTOMER_CLIENT_ID)?,
            companies,
        );
        app.limiter = RateLimiter::configured(app.store.clone(), env)?;
        app.companies.limiter = app.limiter.clone();
        Ok(app)
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        match route_key(&req) {
            Some("POST /registration") => match self.post_registration(&req).await {
                Ok(registered) if registered.status == "active" => respond(StatusCode::OK, Ok(registered)),
                outcome => respond(StatusCode::ACCEPTED, outcome),
            },
            Some("POST /registration/confirm") => respond(StatusCode::OK, self.post_confirmation(&req).await),
            Some("POST /registration/resend") => respond(StatusCode::ACCEPTED, self.post_resend(&req).await),
            Some("GET /signup") => respond(StatusCode::OK, Ok(self.companies.info())),
            Some("GET /signup/slugs/{slug}") => respond(StatusCode::OK, self.get_slug(&req).await),
            Some("POST /signup") => respond(StatusCode::ACCEPTED, self.post_signup(&req).await),
            Some("POST /signup/verify") => respond(StatusCode::OK, self.post_signup_verify(&req).await),
            Some("POST /signup/resend") => respond(StatusCode::ACCEPTED, self.post_signup_resend(&req).await),
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
