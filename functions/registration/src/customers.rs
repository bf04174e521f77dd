//! Customer registration from an invitation link: sign-up in the customer pool (or the
//! link of an existing account), the email confirmation that activates every contact
//! waiting for it, and resending the code.

use aws_sdk_cognitoidentityprovider::operation::confirm_sign_up::ConfirmSignUpError;
use aws_sdk_cognitoidentityprovider::operation::initiate_auth::InitiateAuthError;
use aws_sdk_cognitoidentityprovider::operation::sign_up::SignUpError;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType};
use portal_shared::domain::{AccessStatus, Email, UserSub};
use portal_shared::error::EMAIL_REFUSED_BY_SIGN_IN;
use portal_shared::model::{Action, ActivityEvent, Actor, InvitationToken, PendingSignup, UploaderKind};
use portal_shared::rate_limit::Purpose;
use portal_shared::secrets::Password;
use portal_shared::source::SourceAddress;
use portal_shared::store::{Clash, MAX_LINKED_COMPANIES, StoreError};
use portal_shared::{ApiError, tokens};
use serde::Serialize;
use time::OffsetDateTime;

use crate::App;
use crate::inputs::{Confirmation, Registration, Resend};

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

impl App {
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

    pub(crate) async fn register(&self, source: SourceAddress, input: Registration) -> Result<Registered, ApiError> {
        let (hash, invitation) = self.invitation(&input.token).await?;
        let email = invitation.email.clone();
        // By the invited email: an existing account's password is checked below.
        self.limiter.check(Purpose::Register, source, &email).await?;
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
                let waiting = self.store.pending_signups(email).await?.len();
                self.room_for_another_company(&sub, waiting).await?;
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
        self.room_for_another_company(&sub, 0).await?;
        let event = activated(&sub, invitation.contact_id, now);
        self.store.link_account(hash, invitation, &sub, now, &event).await?;
        tracing::info!(tenant = %invitation.tenant_id, contact = %invitation.contact_id, "existing customer linked");
        Ok(Registered { status: "active", email: email.clone() })
    }

    /// Refuses one more company for an account at its limit (409, the invitation left
    /// unused): its links, and `waiting` sign-ups that become links once confirmed, count.
    async fn room_for_another_company(&self, sub: &UserSub, waiting: usize) -> Result<(), ApiError> {
        let linked = self.store.customer_links(sub).await?.len();
        if linked + waiting >= MAX_LINKED_COMPANIES {
            return Err(ApiError::AccountCompanyLimit(MAX_LINKED_COMPANIES));
        }
        Ok(())
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
    pub(crate) async fn confirm(&self, source: SourceAddress, input: Confirmation) -> Result<Registered, ApiError> {
        self.limiter.check(Purpose::ConfirmSignup, source, &input.email).await?;
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
        // An account waiting for its confirmation has no links yet (a link needs a confirmed
        // account), and each sign-up was checked against the limit when made: this only
        // catches sign-ups made concurrently (the contact stays pending; the company can
        // invite again later).
        let mut linked = 0;
        for signup in self.store.pending_signups(&input.email).await? {
            if linked >= MAX_LINKED_COMPANIES {
                tracing::warn!(tenant = %signup.tenant_id, contact = %signup.contact_id, "account at its limit of companies");
                self.store.drop_signup(&input.email, &signup).await?;
                continue;
            }
            let event = activated(&signup.sub, signup.contact_id, now);
            match self.store.complete_signup(&input.email, &signup, now, &event).await {
                Ok(()) => {
                    linked += 1;
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
    pub(crate) async fn resend_code(&self, source: SourceAddress, input: Resend) -> Result<Accepted, ApiError> {
        self.limiter.check(Purpose::ResendCode, source, &input.email).await?;
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
