//! Customer accounts in the customer user pool, as the staff side touches them.

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::operation::admin_user_global_sign_out::AdminUserGlobalSignOutError;

use crate::domain::Email;
use crate::error::ApiError;

/// Signs a customer out everywhere (their refresh tokens stop working). Tokens already
/// issued stay valid until they expire, which is why every customer request checks the
/// access record as well. The account is named by its email (an alias Cognito accepts for
/// the username; a registered contact's email cannot change). No such account is fine.
pub async fn sign_out_everywhere(cognito: &Client, pool_id: &str, email: &Email) -> Result<(), ApiError> {
    match cognito.admin_user_global_sign_out().user_pool_id(pool_id).username(email.as_str()).send().await {
        Ok(_) => Ok(()),
        Err(err) if matches!(err.as_service_error(), Some(AdminUserGlobalSignOutError::UserNotFoundException(_))) => {
            Ok(())
        }
        // An address Cognito will not take as a username (AWS: over 128 characters) names no
        // account of its: nobody to sign out.
        Err(err) if crate::error::refuses_a_value(&err) => {
            tracing::warn!("AdminUserGlobalSignOut: the address is not a username Cognito takes");
            Ok(())
        }
        Err(err) => Err(ApiError::from_sdk("AdminUserGlobalSignOut", err)),
    }
}
