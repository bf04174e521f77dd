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
    "dynamodb:BatchWriteItem",
    "dynamodb:UpdateItem",
    "cognito-idp:AdminUserGlobalSignOut",
    "sqs:SendMessage",
];

pub struct App {
    store: Store,
    cognito: aws::OnFirstUse<aws_sdk_cognitoidentityprovider::Client>,
    customer_pool_id: String,
    /// Joining or leaving an organization with shares starts a job.
    jobs: portal_shared::jobs::JobQueue,
}

impl HttpFunction for App {
    fn configure(sdk: &SdkConfig, env: &dyn config::Source) -> Result<Self, ConfigError> {
        Ok(Self::new(
            sdk,
            config::required(env, config::TABLE_NAME)?,
            config::required(env, config::CUSTOMER_USER_POOL_ID)?,
            config::required(env, config::JOBS_QUEUE_URL)?,
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
    pub fn new(
        sdk: &SdkConfig,
        table: impl Into<String>,
        customer_pool_id: impl Into<String>,
        jobs_queue_url: impl Into<String>,
    ) -> Self {
        Self {
            store: Store::new(aws::dynamodb_client(sdk), table),
            cognito: aws::OnFirstUse::new(sdk, aws::cognito_client),
            customer_pool_id: customer_pool_id.into(),
            jobs: portal_shared::jobs::JobQueue::new(aws::sqs_client(sdk), jobs_queue_url),
        }
    }

    /// A contact moved between organizations: the organization it left takes back the
    /// shares that came from it, and the one it joined gives it its shares, each by a job
    /// (only when that organization has shares: one bounded read).
    pub(crate) async fn membership_changed(
        &self,
        staff: &portal_shared::identity::StaffMember,
        contact: portal_shared::domain::ContactId,
        left: Option<portal_shared::domain::OrganizationId>,
        joined: Option<portal_shared::domain::OrganizationId>,
    ) -> Result<(), portal_shared::ApiError> {
        use portal_shared::jobs::{Job, JobSpec};
        if left == joined {
            return Ok(());
        }
        let one = portal_shared::pagination::PageRequest { limit: 1, cursor: None };
        for (organization, joined) in [(left, false), (joined, true)] {
            let Some(organization) = organization else { continue };
            if self.store.organization_shares(staff.tenant_id, organization, &one).await?.items.is_empty() {
                continue;
            }
            let spec = JobSpec::Membership { contact_id: contact, organization_id: organization, joined };
            let job = Job::new(spec, staff, 0, time::OffsetDateTime::now_utc());
            portal_shared::jobs::start(&self.store, &self.jobs, staff.tenant_id, job).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod properties;
