//! The `auth` function: sign-in over Cognito USER_PASSWORD_AUTH, the new-password step of
//! invited staff, and token refresh.
//!
//! Every failure to sign in answers the same 401, whether or not the email exists.

use aws_config::SdkConfig;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::operation::initiate_auth::InitiateAuthError;
use aws_sdk_cognitoidentityprovider::operation::respond_to_auth_challenge::RespondToAuthChallengeError;
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, AuthenticationResultType, ChallengeNameType};
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal_shared::config::{self, ConfigError};
use portal_shared::domain::Email;
use portal_shared::function::HttpFunction;
use portal_shared::http::{json_body, respond, route_key, unknown_route};
use portal_shared::{ApiError, aws};
use serde::{Deserialize, Serialize};

/// The IAM actions of the AWS calls this function makes (the SAM template grants exactly
/// these; a test compares).
pub const IAM_ACTIONS: &[&str] = &["cognito-idp:InitiateAuth", "cognito-idp:RespondToAuthChallenge"];

pub struct App {
    cognito: Client,
    staff_client_id: String,
}

/// A password is only ever passed on to Cognito; its Debug output is redacted so it can
/// never reach a log line.
#[derive(Deserialize)]
#[serde(try_from = "String")]
struct Password(String);

impl TryFrom<String> for Password {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        if value.is_empty() || value.chars().count() > 256 {
            Err("must be 1 to 256 characters".into())
        } else {
            Ok(Self(value))
        }
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
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
        if value.is_empty() || value.len() > 4096 { Err("must be 1 to 4096 characters".into()) } else { Ok(Self(value)) }
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
    fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(sdk, config::required(config::STAFF_CLIENT_ID)?))
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        match route_key(&req) {
            Some("POST /auth/staff/login") => respond(StatusCode::OK, self.login(&req).await),
            Some("POST /auth/staff/refresh") => respond(StatusCode::OK, self.refresh(&req).await),
            Some("POST /auth/staff/new-password") => respond(StatusCode::OK, self.new_password(&req).await),
            _ => unknown_route(&req).into_response(),
        }
    }
}

impl App {
    pub fn new(sdk: &SdkConfig, staff_client_id: impl Into<String>) -> Self {
        Self { cognito: aws::cognito_client(sdk), staff_client_id: staff_client_id.into() }
    }

    async fn login(&self, req: &Request) -> Result<SignIn, ApiError> {
        let input: Login = json_body(req)?;
        let parameters = [("USERNAME", input.email.to_string()), ("PASSWORD", input.password.0)];
        self.initiate(AuthFlowType::UserPasswordAuth, parameters, ApiError::InvalidCredentials).await
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
            .challenge_responses("NEW_PASSWORD", input.new_password.0)
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
                _ => ApiError::from_sdk("RespondToAuthChallenge", err),
            })?;
        if let Some(challenge) = output.challenge_name() {
            return Err(ApiError::Forbidden(format!("sign-in needs the {} step", challenge.as_str())));
        }
        tokens(output.authentication_result)
    }

    async fn refresh(&self, req: &Request) -> Result<Tokens, ApiError> {
        let input: Refresh = json_body(req)?;
        if input.refresh_token.is_empty() || input.refresh_token.len() > 8192 {
            return Err(ApiError::Invalid("refreshToken: must be 1 to 8192 characters".into()));
        }
        match self
            .initiate(AuthFlowType::RefreshTokenAuth, [("REFRESH_TOKEN", input.refresh_token)], ApiError::InvalidRefreshToken)
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
        flow: AuthFlowType,
        parameters: [(&str, String); N],
        refused: ApiError,
    ) -> Result<SignIn, ApiError> {
        let mut request = self.cognito.initiate_auth().client_id(&self.staff_client_id).auth_flow(flow);
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
                    _ => ApiError::from_sdk("InitiateAuth", err),
                });
            }
        };
        if let Some(challenge) = output.challenge_name.clone() {
            // Invited staff set their own password first; other challenges are not offered.
            return match (&challenge, output.session) {
                (ChallengeNameType::NewPasswordRequired, Some(session)) => {
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
