//! The `portal-access` function: opening and closing a contact's access to the customer
//! portal, one contact at a time or for every contact of an organization.
//!
//! Opening makes the access `pending` and queues the invitation email (or `active` again at
//! once for a customer who already registered); registration turns `pending` into `active`.
//! Closing makes it `closed`, which the customer routes check on every request, and signs
//! the customer's account out of every device in Cognito.

use aws_config::SdkConfig;
use aws_sdk_cognitoidentityprovider::Client as Cognito;
use aws_sdk_cognitoidentityprovider::operation::admin_user_global_sign_out::AdminUserGlobalSignOutError;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal_shared::config::{self, ConfigError};
use portal_shared::domain::{AccessStatus, ContactId, OrganizationId};
use portal_shared::function::HttpFunction;
use portal_shared::http::{path_param, respond, route_key, unknown_route};
use portal_shared::identity::StaffMember;
use portal_shared::model::{Contact, InvitationRequest};
use portal_shared::pagination::{MAX_LIMIT, PageRequest};
use portal_shared::store::Store;
use portal_shared::{ApiError, aws};
use serde::Serialize;
use time::OffsetDateTime;

/// The IAM actions of the AWS calls this function makes (the SAM template grants exactly
/// these; a test compares). The transaction's Update and Put are UpdateItem and PutItem.
pub const IAM_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
    "dynamodb:PutItem",
    "cognito-idp:AdminUserGlobalSignOut",
];

pub struct App {
    store: Store,
    cognito: Cognito,
    customer_pool_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Open,
    Close,
}

/// What a change does to an access in a given state: the next state and whether an
/// invitation is queued, or `None` when there is nothing to do.
pub fn transition(
    current: AccessStatus,
    registered: bool,
    change: Change,
) -> Result<Option<(AccessStatus, bool)>, ApiError> {
    use AccessStatus::{Active, Closed, None as NoAccess, Pending};
    Ok(match (change, current) {
        // A customer who registered before gets their access back at once.
        (Change::Open, NoAccess | Closed) if registered => Some((Active, false)),
        (Change::Open, NoAccess | Closed) => Some((Pending, true)),
        // Opening a pending access again sends the invitation again.
        (Change::Open, Pending) => Some((Pending, true)),
        (Change::Open, Active) => None,
        (Change::Close, Pending | Active) => Some((Closed, false)),
        (Change::Close, Closed) => None,
        (Change::Close, NoAccess) => {
            return Err(ApiError::Conflict("the contact has no portal access to close".into()));
        }
    })
}

/// The contacts an organization-wide change touched.
#[derive(Debug, Serialize)]
pub struct Changed {
    pub contacts: Vec<Contact>,
}

impl HttpFunction for App {
    fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(sdk, config::required(config::TABLE_NAME)?, config::required(config::CUSTOMER_USER_POOL_ID)?))
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        match route_key(&req) {
            Some("POST /contacts/{contactId}/access") => {
                respond(StatusCode::OK, self.contact(&req, Change::Open).await)
            }
            Some("DELETE /contacts/{contactId}/access") => {
                respond(StatusCode::OK, self.contact(&req, Change::Close).await)
            }
            Some("POST /organizations/{organizationId}/access") => {
                respond(StatusCode::OK, self.organization(&req, Change::Open).await)
            }
            Some("DELETE /organizations/{organizationId}/access") => {
                respond(StatusCode::OK, self.organization(&req, Change::Close).await)
            }
            _ => unknown_route(&req).into_response(),
        }
    }
}

impl App {
    pub fn new(sdk: &SdkConfig, table: impl Into<String>, customer_pool_id: impl Into<String>) -> Self {
        Self {
            store: Store::new(aws::dynamodb_client(sdk), table),
            cognito: aws::cognito_client(sdk),
            customer_pool_id: customer_pool_id.into(),
        }
    }

    async fn contact(&self, req: &Request, change: Change) -> Result<Contact, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_write()?;
        let id: ContactId = path_param(req, "contactId")?;
        let contact = self.store.contact(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("contact"))?;
        self.apply(&staff, contact, change).await
    }

    /// Applies the change to every contact of the organization; contacts that never had
    /// access are left as they are when closing.
    async fn organization(&self, req: &Request, change: Change) -> Result<Changed, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_write()?;
        let id: OrganizationId = path_param(req, "organizationId")?;
        self.store.organization(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("organization"))?;
        let mut contacts = Vec::new();
        let mut page = PageRequest { limit: MAX_LIMIT, cursor: None };
        loop {
            let members = self.store.organization_members(staff.tenant_id, id, &page).await?;
            for contact in members.items {
                if change == Change::Close && contact.access_status == AccessStatus::None {
                    contacts.push(contact);
                    continue;
                }
                contacts.push(self.apply(&staff, contact, change).await?);
            }
            match members.next_cursor {
                Some(cursor) => page.cursor = Some(portal_shared::pagination::Cursor::decode(&cursor)?),
                None => break,
            }
        }
        Ok(Changed { contacts })
    }

    async fn apply(&self, staff: &StaffMember, contact: Contact, change: Change) -> Result<Contact, ApiError> {
        let Some((next, invite)) = transition(contact.access_status, contact.customer_sub.is_some(), change)? else {
            return Ok(contact);
        };
        let now = OffsetDateTime::now_utc();
        let invitation = invite.then(|| InvitationRequest {
            tenant_id: staff.tenant_id,
            contact_id: contact.id,
            email: contact.email.clone(),
            requested_at: now,
            requested_by: staff.sub.clone(),
        });
        let changed = self
            .store
            .change_access(staff.tenant_id, contact.id, contact.access_status, next, now, invitation.as_ref())
            .await?;
        if next == AccessStatus::Closed {
            self.sign_out(&changed).await?;
        }
        tracing::info!(tenant = %staff.tenant_id, contact = %contact.id, from = ?contact.access_status, to = ?next, "portal access changed");
        Ok(changed)
    }

    /// Signs the customer out everywhere (their refresh tokens stop working). Tokens already
    /// issued stay valid until they expire, which is why every customer request checks the
    /// access record as well. The account is named by its email (an alias Cognito accepts
    /// for the username; a registered contact's email cannot change, see contacts).
    async fn sign_out(&self, contact: &Contact) -> Result<(), ApiError> {
        if contact.customer_sub.is_none() {
            return Ok(());
        }
        match self
            .cognito
            .admin_user_global_sign_out()
            .user_pool_id(&self.customer_pool_id)
            .username(contact.email.as_str())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err)
                if matches!(err.as_service_error(), Some(AdminUserGlobalSignOutError::UserNotFoundException(_))) =>
            {
                Ok(())
            }
            Err(err) => Err(ApiError::from_sdk("AdminUserGlobalSignOut", err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccessStatus::{Active, Closed, None as NoAccess, Pending};

    #[test]
    fn opening_invites_unless_the_customer_already_registered() {
        assert_eq!(transition(NoAccess, false, Change::Open).unwrap(), Some((Pending, true)));
        assert_eq!(transition(Closed, false, Change::Open).unwrap(), Some((Pending, true)));
        assert_eq!(transition(Closed, true, Change::Open).unwrap(), Some((Active, false)));
        assert_eq!(transition(Pending, false, Change::Open).unwrap(), Some((Pending, true)));
        assert_eq!(transition(Active, true, Change::Open).unwrap(), None);
    }

    #[test]
    fn closing_closes_what_is_open_and_refuses_what_never_was() {
        assert_eq!(transition(Pending, false, Change::Close).unwrap(), Some((Closed, false)));
        assert_eq!(transition(Active, true, Change::Close).unwrap(), Some((Closed, false)));
        assert_eq!(transition(Closed, true, Change::Close).unwrap(), None);
        assert!(matches!(transition(NoAccess, false, Change::Close), Err(ApiError::Conflict(_))));
    }
}
