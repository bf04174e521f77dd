//! The `auth` function: sign-in over Cognito USER_PASSWORD_AUTH, the new-password step of
//! invited staff, token refresh, sign-out (revoking the refresh tokens) and the forgotten
//! password, for both pools alike.
//!
//! Every failure to sign in answers the same 401, whether or not the email exists.
//! Sign-in and the password reset are rate-limited (`portal_shared::rate_limit`: per source
//! address and email, per email, per source) before anything else is called.

use aws_config::SdkConfig;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::operation::initiate_auth::InitiateAuthError;
use aws_sdk_cognitoidentityprovider::operation::respond_to_auth_challenge::RespondToAuthChallengeError;
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, AuthenticationResultType, ChallengeNameType};
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal_shared::config::{self, ConfigError};
use portal_shared::domain::Email;
use portal_shared::error::EMAIL_REFUSED_BY_SIGN_IN;
use portal_shared::function::HttpFunction;
use portal_shared::http::{json_body, no_content, respond, route_key, source_address, unknown_route};
use portal_shared::rate_limit::{Purpose, RateLimiter};
use portal_shared::secrets::{ConfirmationCode, Password};
use portal_shared::store::Store;
use portal_shared::{ApiError, aws};
use serde::{Deserialize, Serialize};

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

/// Which user pool (app client) a sign-in is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pool {
    Staff,
    Customer,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    email: Email,
    password: Password,
}

/// The answer to the NEW_PASSWORD_REQUIRED challenge of a first sign-in.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewPassword {
    email: Email,
    session: Session,
    new_password: Password,
}

/// Cognito's opaque challenge session, passed back as it came.
#[derive(Deserialize)]
#[serde(try_from = "String")]
struct Session(String);

impl TryFrom<String> for Session {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        if value.is_empty() || value.len() > 4096 {
            Err("must be 1 to 4096 characters".into())
        } else {
            Ok(Self(value))
        }
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Session(***)")
    }
}

/// What a sign-in gives: tokens, or the step an invited account must take first.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum SignIn {
    Tokens(Tokens),
    Challenge(Challenge),
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Challenge {
    /// `NEW_PASSWORD_REQUIRED`: answer with `POST /auth/staff/new-password`.
    pub challenge: String,
    pub session: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Forgot {
    email: Email,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Reset {
    email: Email,
    code: ConfirmationCode,
    new_password: Password,
}

#[derive(Debug, Serialize)]
pub struct Accepted {
    pub status: &'static str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Refresh {
    refresh_token: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tokens {
    pub access_token: String,
    pub id_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub expires_in: i32,
    pub token_type: String,
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

    async fn login(&self, req: &Request, pool: Pool) -> Result<SignIn, ApiError> {
        let input: Login = json_body(req)?;
        let purpose = match pool {
            Pool::Staff => Purpose::StaffLogin,
            Pool::Customer => Purpose::CustomerLogin,
        };
        self.limiter.check(purpose, source_address(req), &input.email).await?;
        let parameters = [("USERNAME", input.email.to_string()), ("PASSWORD", input.password.expose())];
        let signed_in =
            self.initiate(pool, AuthFlowType::UserPasswordAuth, parameters, ApiError::InvalidCredentials).await?;
        if let (Pool::Staff, SignIn::Tokens(tokens)) = (pool, &signed_in) {
            self.refuse_stopped_company(tokens).await?;
        }
        Ok(signed_in)
    }

    /// A staff member of a company the operator suspended is told so at sign-in (403
    /// `company-suspended`, no tokens handed out), rather than by the dashboard's first
    /// request. One GetItem of the membership; an account without one signs in as before
    /// (every staff route refuses it).
    async fn refuse_stopped_company(&self, tokens: &Tokens) -> Result<(), ApiError> {
        let sub = portal_shared::identity::issued_token_sub(&tokens.access_token)
            .ok_or_else(|| ApiError::Internal("Cognito issued an access token without a sub".into()))?;
        match self.store.staff_member(&sub).await? {
            Some(member) => member.require_serving(),
            None => Ok(()),
        }
    }

    /// Signs the caller (staff or customer: the route's authorizer checked the token's pool)
    /// out of every device: their refresh tokens stop working.
    async fn logout(&self, req: &Request) -> Result<(), ApiError> {
        let token = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthenticated)?;
        match self.cognito.global_sign_out().access_token(token).send().await {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_authorized_exception()) => {
                Err(ApiError::Unauthenticated)
            }
            Err(err) => Err(ApiError::from_sdk("GlobalSignOut", err)),
        }
    }

    /// Emails a reset code; the answer is the same whether or not the account exists.
    async fn forgot(&self, req: &Request, pool: Pool) -> Result<Accepted, ApiError> {
        let input: Forgot = json_body(req)?;
        let purpose = match pool {
            Pool::Staff => Purpose::StaffForgotPassword,
            Pool::Customer => Purpose::ForgotPassword,
        };
        self.limiter.check(purpose, source_address(req), &input.email).await?;
        // Every refusal (no such account, an invited account that never signed in, an
        // address Cognito will not take) answers like a sent code; only an outage shows.
        if let Err(err) =
            self.cognito.forgot_password().client_id(self.client_id(pool)).username(input.email.as_str()).send().await
            && matches!(ApiError::from_sdk("ForgotPassword", err), ApiError::Unavailable)
        {
            return Err(ApiError::Unavailable);
        }
        Ok(Accepted { status: "a reset code is emailed if the account exists" })
    }

    /// Sets a new password with the emailed code; a wrong code, an unknown account and an
    /// expired code answer alike.
    /// (Also how a staff member completes a reset an admin sent: the code comes alike.)
    async fn reset(&self, req: &Request, pool: Pool) -> Result<(), ApiError> {
        let input: Reset = json_body(req)?;
        let purpose = match pool {
            Pool::Staff => Purpose::StaffResetPassword,
            Pool::Customer => Purpose::ResetPassword,
        };
        self.limiter.check(purpose, source_address(req), &input.email).await?;
        use aws_sdk_cognitoidentityprovider::operation::confirm_forgot_password::ConfirmForgotPasswordError as E;
        match self
            .cognito
            .confirm_forgot_password()
            .client_id(self.client_id(pool))
            .username(input.email.as_str())
            .confirmation_code(input.code.as_str())
            .password(input.new_password.expose())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) => Err(match err.as_service_error() {
                Some(E::InvalidPasswordException(e)) => ApiError::Invalid(format!(
                    "newPassword: {}",
                    e.message().unwrap_or("does not meet the password policy")
                )),
                Some(
                    E::CodeMismatchException(_)
                    | E::ExpiredCodeException(_)
                    | E::UserNotFoundException(_)
                    | E::NotAuthorizedException(_)
                    | E::TooManyFailedAttemptsException(_),
                ) => ApiError::Invalid("code: the code is not valid or has expired".into()),
                // An address Cognito will not take as a username (AWS: over 128 characters)
                // is refused for its form, whoever asks: it tells nothing about accounts.
                Some(E::InvalidParameterException(_)) => ApiError::Invalid(EMAIL_REFUSED_BY_SIGN_IN.into()),
                // moto answers an unknown user with ResourceNotFound (AWS: UserNotFound); it
                // must look like any other refused code. A wrong client id would break every
                // sign-in before it got here.
                Some(E::ResourceNotFoundException(_)) => {
                    ApiError::Invalid("code: the code is not valid or has expired".into())
                }
                _ => ApiError::from_sdk("ConfirmForgotPassword", err),
            }),
        }
    }

    /// Sets the password of an invited account on its first sign-in, and signs it in.
    async fn new_password(&self, req: &Request) -> Result<Tokens, ApiError> {
        let input: NewPassword = json_body(req)?;
        let output = self
            .cognito
            .respond_to_auth_challenge()
            .client_id(&self.staff_client_id)
            .challenge_name(ChallengeNameType::NewPasswordRequired)
            .session(input.session.0)
            .challenge_responses("USERNAME", input.email.as_str())
            .challenge_responses("NEW_PASSWORD", input.new_password.expose())
            .send()
            .await
            .map_err(|err| match err.as_service_error() {
                Some(RespondToAuthChallengeError::InvalidPasswordException(e)) => ApiError::Invalid(format!(
                    "newPassword: {}",
                    e.message().unwrap_or("does not meet the password policy")
                )),
                Some(
                    RespondToAuthChallengeError::NotAuthorizedException(_)
                    | RespondToAuthChallengeError::CodeMismatchException(_)
                    | RespondToAuthChallengeError::ExpiredCodeException(_)
                    | RespondToAuthChallengeError::UserNotFoundException(_),
                ) => ApiError::InvalidCredentials,
                // moto answers an unknown session with ResourceNotFound (AWS: NotAuthorized).
                // A wrong client id would break every sign-in before it got here.
                Some(RespondToAuthChallengeError::ResourceNotFoundException(_)) => ApiError::InvalidCredentials,
                _ => ApiError::from_sdk_refusing("RespondToAuthChallenge", err, EMAIL_REFUSED_BY_SIGN_IN),
            })?;
        if let Some(challenge) = output.challenge_name() {
            return Err(ApiError::Forbidden(format!("sign-in needs the {} step", challenge.as_str())));
        }
        let tokens = tokens(output.authentication_result)?;
        self.refuse_stopped_company(&tokens).await?;
        Ok(tokens)
    }

    async fn refresh(&self, req: &Request, pool: Pool) -> Result<Tokens, ApiError> {
        let input: Refresh = json_body(req)?;
        if input.refresh_token.is_empty() || input.refresh_token.len() > 8192 {
            return Err(ApiError::Invalid("refreshToken: must be 1 to 8192 characters".into()));
        }
        match self
            .initiate(
                pool,
                AuthFlowType::RefreshTokenAuth,
                [("REFRESH_TOKEN", input.refresh_token)],
                ApiError::InvalidRefreshToken,
            )
            .await?
        {
            SignIn::Tokens(tokens) => Ok(tokens),
            SignIn::Challenge(_) => Err(ApiError::InvalidRefreshToken),
        }
    }

    /// Runs one Cognito auth flow; every way of being refused answers `refused`, so the
    /// answer never tells which part was wrong or whether the account exists.
    async fn initiate<const N: usize>(
        &self,
        pool: Pool,
        flow: AuthFlowType,
        parameters: [(&str, String); N],
        refused: ApiError,
    ) -> Result<SignIn, ApiError> {
        let mut request = self.cognito.initiate_auth().client_id(self.client_id(pool)).auth_flow(flow.clone());
        for (name, value) in parameters {
            request = request.auth_parameters(name, value);
        }
        let output = match request.send().await {
            Ok(output) => output,
            Err(err) => {
                return Err(match err.as_service_error() {
                    Some(
                        InitiateAuthError::NotAuthorizedException(_)
                        | InitiateAuthError::UserNotFoundException(_)
                        | InitiateAuthError::UserNotConfirmedException(_)
                        | InitiateAuthError::PasswordResetRequiredException(_),
                    ) => refused,
                    // A sign-in name Cognito will not take (AWS: over 128 characters): its
                    // form is refused, which tells nothing about accounts.
                    _ if flow == AuthFlowType::UserPasswordAuth => {
                        ApiError::from_sdk_refusing("InitiateAuth", err, EMAIL_REFUSED_BY_SIGN_IN)
                    }
                    _ => ApiError::from_sdk("InitiateAuth", err),
                });
            }
        };
        if let Some(challenge) = output.challenge_name.clone() {
            // Invited staff set their own password first; other challenges are not offered.
            return match (&challenge, output.session) {
                // Customers choose their password at sign-up: they never get this step.
                (ChallengeNameType::NewPasswordRequired, Some(session)) if pool == Pool::Staff => {
                    Ok(SignIn::Challenge(Challenge { challenge: challenge.as_str().to_owned(), session }))
                }
                _ => Err(ApiError::Forbidden(format!("sign-in needs the {} step", challenge.as_str()))),
            };
        }
        tokens(output.authentication_result).map(SignIn::Tokens)
    }
}

fn tokens(result: Option<AuthenticationResultType>) -> Result<Tokens, ApiError> {
    let result = result.ok_or_else(|| ApiError::Internal("Cognito returned no tokens".into()))?;
    match (result.access_token, result.id_token) {
        (Some(access_token), Some(id_token)) => Ok(Tokens {
            access_token,
            id_token,
            refresh_token: result.refresh_token,
            expires_in: result.expires_in,
            token_type: result.token_type.unwrap_or_else(|| "Bearer".into()),
        }),
        _ => Err(ApiError::Internal("Cognito returned incomplete tokens".into())),
    }
}

#[cfg(test)]
mod properties;
