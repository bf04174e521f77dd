//! Staff accounts in the staff user pool: the invitation (a Cognito account that emails a
//! temporary password, and the membership in the company) and the account's removal. The
//! settings function's staff routes and the operator's `cargo xtask tenant create` (a new
//! company's first admin) both invite through here.

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::operation::admin_create_user::AdminCreateUserError;
use aws_sdk_cognitoidentityprovider::operation::admin_delete_user::AdminDeleteUserError;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, DeliveryMediumType};

use crate::domain::{DisplayName, Email, Role, TenantId, TenantStatus, UserSub};
use crate::error::{ApiError, EMAIL_REFUSED_BY_SIGN_IN};
use crate::identity::StaffMember;
use crate::store::Store;

/// Creates the account (Cognito emails the temporary password) and the membership in
/// `tenant`; if the membership cannot be written, the account is removed again.
pub async fn invite(
    cognito: &Client,
    store: &Store,
    pool_id: &str,
    tenant: TenantId,
    email: Email,
    role: Role,
    name: Option<DisplayName>,
) -> Result<StaffMember, ApiError> {
    let created = match cognito
        .admin_create_user()
        .user_pool_id(pool_id)
        .username(email.as_str())
        .user_attributes(attribute("email", email.as_str())?)
        .user_attributes(attribute("email_verified", "true")?)
        .desired_delivery_mediums(DeliveryMediumType::Email)
        .send()
        .await
    {
        Ok(created) => created,
        Err(err) if matches!(err.as_service_error(), Some(AdminCreateUserError::UsernameExistsException(_))) => {
            return Err(ApiError::Conflict("a staff account with this email exists already".into()));
        }
        // Cognito will not take the address as a username (AWS: more than 128
        // characters): a 422 naming the field, not a 500.
        Err(err) => return Err(ApiError::from_sdk_refusing("AdminCreateUser", err, EMAIL_REFUSED_BY_SIGN_IN)),
    };
    let sub: UserSub = created
        .user
        .and_then(|user| user.attributes)
        .unwrap_or_default()
        .into_iter()
        .find(|attribute| attribute.name == "sub")
        .and_then(|attribute| attribute.value)
        .ok_or_else(|| ApiError::Internal("AdminCreateUser returned no sub".into()))?
        .parse()
        .map_err(|e| ApiError::Internal(format!("AdminCreateUser returned a bad sub: {e}")))?;
    let member = StaffMember {
        sub,
        tenant_id: tenant,
        email,
        name,
        role,
        notify_submissions: None,
        submissions_seen_at: None,
        company_status: TenantStatus::Active,
    };
    if let Err(err) = store.create_staff_member(&member).await {
        delete(cognito, pool_id, &member.email).await?;
        return Err(err.into());
    }
    Ok(member)
}

/// Deletes the account of `email`; none is fine.
pub async fn delete(cognito: &Client, pool_id: &str, email: &Email) -> Result<(), ApiError> {
    match cognito.admin_delete_user().user_pool_id(pool_id).username(email.as_str()).send().await {
        Ok(_) => Ok(()),
        Err(err) if matches!(err.as_service_error(), Some(AdminDeleteUserError::UserNotFoundException(_))) => Ok(()),
        // A name Cognito will not take is no account of its.
        Err(err) if crate::error::refuses_a_value(&err) => Ok(()),
        Err(err) => Err(ApiError::from_sdk("AdminDeleteUser", err)),
    }
}

fn attribute(name: &str, value: &str) -> Result<AttributeType, ApiError> {
    AttributeType::builder().name(name).value(value).build().map_err(|e| ApiError::Internal(e.to_string()))
}
