//! The `auth` function: sign-in over Cognito USER_PASSWORD_AUTH and token refresh.
//!
//! Every failure to sign in answers the same 401, whether or not the email exists.

use aws_config::SdkConfig;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::operation::initiate_auth::InitiateAuthError;
use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
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
pub const IAM_ACTIONS: &[&str] = &["cognito-idp:InitiateAuth"];

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
            _ => unknown_route(&req).into_response(),
        }
    }
}

impl App {
    pub fn new(sdk: &SdkConfig, staff_client_id: impl Into<String>) -> Self {
        Self { cognito: aws::cognito_client(sdk), staff_client_id: staff_client_id.into() }
    }

    async fn login(&self, req: &Request) -> Result<Tokens, ApiError> {
        let input: Login = json_body(req)?;
        let parameters = [("USERNAME", input.email.to_string()), ("PASSWORD", input.password.0)];
        self.initiate(AuthFlowType::UserPasswordAuth, parameters, ApiError::InvalidCredentials).await
    }

    async fn refresh(&self, req: &Request) -> Result<Tokens, ApiError> {
        let input: Refresh = json_body(req)?;
        if input.refresh_token.is_empty() || input.refresh_token.len() > 8192 {
            return Err(ApiError::Invalid("refreshToken: must be 1 to 8192 characters".into()));
        }
        self.initiate(
            AuthFlowType::RefreshTokenAuth,
            [("REFRESH_TOKEN", input.refresh_token)],
            ApiError::InvalidRefreshToken,
        )
        .await
    }

    /// Runs one Cognito auth flow; every way of being refused answers `refused`, so the
    /// answer never tells which part was wrong or whether the account exists.
    async fn initiate<const N: usize>(
        &self,
        flow: AuthFlowType,
        parameters: [(&str, String); N],
        refused: ApiError,
    ) -> Result<Tokens, ApiError> {
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
        if let Some(challenge) = output.challenge_name() {
            // Invited staff must set their own password first (the dashboard's flow).
            return Err(ApiError::Forbidden(format!("sign-in needs the {} step", challenge.as_str())));
        }
        let result =
            output.authentication_result.ok_or_else(|| ApiError::Internal("InitiateAuth returned no tokens".into()))?;
        match (result.access_token, result.id_token) {
            (Some(access_token), Some(id_token)) => Ok(Tokens {
                access_token,
                id_token,
                refresh_token: result.refresh_token,
                expires_in: result.expires_in,
                token_type: result.token_type.unwrap_or_else(|| "Bearer".into()),
            }),
            _ => Err(ApiError::Internal("InitiateAuth returned incomplete tokens".into())),
        }
    }
}
