//! The `auth` function: sign-in over Cognito USER_PASSWORD_AUTH, the new-password step of
//! invited staff, token refresh, sign-out (revoking the refresh tokens) and the forgotten
//! password, for both pools alike.
//!
//! Every failure to sign in answers the same 401, whether or not the email exists.
//! Sign-in and the password reset are rate-limited (`portal_shared::rate_limit`: per source
//! address and email, per email, per source) before anything else is called.

use aws_config::SdkConfig;
use aws_sdk_cognitoidentityprovider::Client;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal_shared::aws;
use portal_shared::config::{self, ConfigError};
use portal_shared::function::HttpFunction;
use portal_shared::http::{no_content, respond, route_key, unknown_route};
use portal_shared::rate_limit::RateLimiter;
use portal_shared::store::Store;

// One module per concern: the routes parse requests into typed inputs (`inputs`) and
// render answers; the use cases (`sign_in`, `passwords`) take only typed values.
mod inputs;
mod passwords;
mod routes;
mod sign_in;

use inputs::Pool;
#[cfg(test)]
use inputs::{Forgot, Login, NewPassword, Refresh, Reset};
pub use sign_in::{Accepted, Challenge, SignIn, Tokens};

/// The IAM actions of the AWS calls this function makes (the SAM template grants exactly
/// these; a test compares).
/// (All public Cognito APIs, authorized by the app client and the user's own tokens; the
/// table only for the rate-limit counters.)
pub const IAM_ACTIONS: &[&str] = &[
    "cognito-idp:InitiateAuth",
    "cognito-idp:RespondToAuthChallenge",
    "cognito-idp:GlobalSignOut",
    "cognito-idp:ForgotPassword",
    "cognito-idp:ConfirmForgotPassword",
    "dynamodb:UpdateItem",
    // A staff sign-in reads the member's membership: a suspended company is refused here.
    "dynamodb:GetItem",
];

pub struct App {
    cognito: Client,
    limiter: RateLimiter,
    store: Store,
    staff_client_id: String,
    customer_client_id: String,
}

impl HttpFunction for App {
    fn configure(sdk: &SdkConfig, env: &dyn config::Source) -> Result<Self, ConfigError> {
        let store = Store::new(aws::dynamodb_client(sdk), config::required(env, config::TABLE_NAME)?);
        Ok(Self::with_limiter(
            sdk,
            RateLimiter::configured(store.clone(), env)?,
            store,
            config::required(env, config::STAFF_CLIENT_ID)?,
            config::required(env, config::CUSTOMER_CLIENT_ID)?,
        ))
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        match route_key(&req) {
            Some("POST /auth/staff/login") => respond(StatusCode::OK, self.login(&req, Pool::Staff).await),
            Some("POST /auth/staff/refresh") => respond(StatusCode::OK, self.refresh(&req, Pool::Staff).await),
            Some("POST /auth/staff/new-password") => respond(StatusCode::OK, self.new_password(&req).await),
            Some("POST /auth/staff/logout") => no_content(self.logout(&req).await),
            Some("POST /auth/staff/forgot-password") => {
                respond(StatusCode::ACCEPTED, self.forgot(&req, Pool::Staff).await)
            }
            Some("POST /auth/staff/reset-password") => no_content(self.reset(&req, Pool::Staff).await),
            Some("POST /auth/customer/login") => respond(StatusCode::OK, self.login(&req, Pool::Customer).await),
            Some("POST /auth/customer/refresh") => respond(StatusCode::OK, self.refresh(&req, Pool::Customer).await),
            Some("POST /auth/customer/logout") => no_content(self.logout(&req).await),
            Some("POST /auth/customer/forgot-password") => {
                respond(StatusCode::ACCEPTED, self.forgot(&req, Pool::Customer).await)
            }
            Some("POST /auth/customer/reset-password") => no_content(self.reset(&req, Pool::Customer).await),
            _ => unknown_route(&req).into_response(),
        }
    }
}

impl App {
    pub fn new(
        sdk: &SdkConfig,
        table: impl Into<String>,
        staff_client_id: impl Into<String>,
        customer_client_id: impl Into<String>,
    ) -> Self {
        let store = Store::new(aws::dynamodb_client(sdk), table);
        let limiter = RateLimiter::new(store.clone());
        Self::with_limiter(sdk, limiter, store, staff_client_id, customer_client_id)
    }

    fn with_limiter(
        sdk: &SdkConfig,
        limiter: RateLimiter,
        store: Store,
        staff_client_id: impl Into<String>,
        customer_client_id: impl Into<String>,
    ) -> Self {
        Self {
            cognito: aws::cognito_client(sdk),
            limiter,
            store,
            staff_client_id: staff_client_id.into(),
            customer_client_id: customer_client_id.into(),
        }
    }

    fn client_id(&self, pool: Pool) -> &str {
        match pool {
            Pool::Staff => &self.staff_client_id,
            Pool::Customer => &self.customer_client_id,
        }
    }
}

#[cfg(test)]
mod properties;
