//! The `contacts` function: a tenant's contacts (the customers it shares with) and the
//! organizations that group them.

use aws_config::SdkConfig;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal_shared::aws;
use portal_shared::config::{self, ConfigError};
use portal_shared::function::HttpFunction;
use portal_shared::http::{no_content, respond, route_key, unknown_route};
use portal_shared::store::Store;

// One module per concern: the routes parse requests into typed inputs (`inputs`) and
// render answers; the use cases (`contacts`, `organizations`, `me`) take only typed values.
mod contacts;
mod inputs;
mod me;
mod organizations;
mod routes;

#[cfg(test)]
use inputs::{ContactChanges, MyChanges, NewContact, OrganizationInput};
pub use me::Me;

/// The IAM actions of the AWS calls this function makes (the SAM template grants exactly
/// these; a test compares). TransactWriteItems is authorized per item: PutItem, DeleteItem,
/// ConditionCheckItem. Deleting a registered contact signs the customer out.
pub const IAM_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:UpdateItem",
    "cognito-idp:AdminUserGlobalSignOut",
];

pub struct App {
    store: Store,
    cognito: aws::OnFirstUse<aws_sdk_cognitoidentityprovider::Client>,
    customer_pool_id: String,
}

impl HttpFunction for App {
    fn configure(sdk: &SdkConfig, env: &dyn config::Source) -> Result<Self, ConfigError> {
        Ok(Self::new(
            sdk,
            config::required(env, config::TABLE_NAME)?,
            config::required(env, config::CUSTOMER_USER_POOL_ID)?,
        ))
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        match route_key(&req) {
            Some("GET /me") => respond(StatusCode::OK, self.get_me(&req).await),
            Some("PATCH /me") => respond(StatusCode::OK, self.patch_me(&req).await),
            Some("POST /contacts") => respond(StatusCode::CREATED, self.post_contact(&req).await),
            Some("GET /contacts") => respond(StatusCode::OK, self.list_contacts(&req).await),
            Some("GET /contacts/{contactId}") => respond(StatusCode::OK, self.get_contact(&req).await),
            Some("PATCH /contacts/{contactId}") => respond(StatusCode::OK, self.patch_contact(&req).await),
            Some("DELETE /contacts/{contactId}") => no_content(self.remove_contact(&req).await),
            Some("GET /contacts/{contactId}/activity") => {
                respond(StatusCode::OK, self.get_contact_activity(&req).await)
            }
            Some("POST /organizations") => respond(StatusCode::CREATED, self.post_organization(&req).await),
            Some("GET /organizations") => respond(StatusCode::OK, self.list_organizations(&req).await),
            Some("GET /organizations/{organizationId}") => respond(StatusCode::OK, self.get_organization(&req).await),
            Some("PATCH /organizations/{organizationId}") => {
                respond(StatusCode::OK, self.patch_organization(&req).await)
            }
            Some("DELETE /organizations/{organizationId}") => no_content(self.remove_organization(&req).await),
            Some("GET /organizations/{organizationId}/contacts") => {
                respond(StatusCode::OK, self.get_members(&req).await)
            }
            _ => unknown_route(&req).into_response(),
        }
    }
}

impl App {
    pub fn new(sdk: &SdkConfig, table: impl Into<String>, customer_pool_id: impl Into<String>) -> Self {
        Self {
            store: Store::new(aws::dynamodb_client(sdk), table),
            cognito: aws::OnFirstUse::new(sdk, aws::cognito_client),
            customer_pool_id: customer_pool_id.into(),
        }
    }
}

#[cfg(test)]
mod properties;
