//! The forgotten password: a reset code emailed by Cognito, and the new password set with
//! it. Both answer alike whether or not the account exists.

use portal_shared::ApiError;
use portal_shared::error::EMAIL_REFUSED_BY_SIGN_IN;
use portal_shared::source::SourceAddress;

use crate::App;
use crate::inputs::{Forgot, Pool, Reset};
use crate::sign_in::Accepted;

impl App {
    /// Emails a reset code; the answer is the same whether or not the account exists.
    pub(crate) async fn send_reset_code(
        &self,
        pool: Pool,
        source: SourceAddress,
        input: Forgot,
    ) -> Result<Accepted, ApiError> {
        self.limiter.check(pool.forgot_purpose(), source, &input.email).await?;
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
    pub(crate) async fn reset_password(&self, pool: Pool, source: SourceAddress, input: Reset) -> Result<(), ApiError> {
        self.limiter.check(pool.reset_purpose(), source, &input.email).await?;
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
}
