//! Signing in (both pools), the new-password step of invited staff, refreshing tokens and
//! signing out everywhere. Every way of being refused answers alike, so an answer never
//! tells whether an account exists.

use aws_sdk_cognitoidentityprovider::operation::initiate_auth::InitiateAuthError;
use aws_sdk_cognitoidentityprovider::operation::respond_to_auth_challenge::RespondToAuthChallengeError;
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, AuthenticationResultType, ChallengeNameType};
use portal_shared::ApiError;
use portal_shared::error::EMAIL_REFUSED_BY_SIGN_IN;
use portal_shared::source::SourceAddress;
use serde::Serialize;

use crate::App;
use crate::inputs::{Login, NewPassword, Pool};

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

#[derive(Debug, Serialize)]
pub struct Accepted {
    pub status: &'static str,
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

impl App {
    /// Signs in with an email and password, after the rate limits of `source` and `email`.
    pub(crate) async fn sign_in(&self, pool: Pool, source: SourceAddress, input: Login) -> Result<SignIn, ApiError> {
        self.limiter.check(pool.login_purpose(), source, &input.email).await?;
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

    /// Signs the holder of `access_token` (staff or customer: the route's authorizer
    /// checked the token's pool) out of every device: their refresh tokens stop working.
    pub(crate) async fn sign_out(&self, access_token: &str) -> Result<(), ApiError> {
        match self.cognito.global_sign_out().access_token(access_token).send().await {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_authorized_exception()) => {
                Err(ApiError::Unauthenticated)
            }
            Err(err) => Err(ApiError::from_sdk("GlobalSignOut", err)),
        }
    }

    /// Sets the password of an invited account on its first sign-in, and signs it in.
    pub(crate) async fn set_first_password(&self, input: NewPassword) -> Result<Tokens, ApiError> {
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

    /// New tokens for a refresh token (1 to 8192 characters, checked by the route).
    pub(crate) async fn refresh_tokens(&self, pool: Pool, refresh_token: String) -> Result<Tokens, ApiError> {
        match self
            .initiate(
                pool,
                AuthFlowType::RefreshTokenAuth,
                [("REFRESH_TOKEN", refresh_token)],
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
