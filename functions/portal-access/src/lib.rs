//! The `portal-access` function: opening and closing a contact's access to the customer
//! portal, one contact at a time or for every contact of an organization.
//!
//! Opening makes the access `pending` and queues the invitation email (or `active` again at
//! once for a customer who already registered); registration turns `pending` into `active`.
//! Closing makes it `closed`, which the customer routes check on every request, and signs
//! the customer's account out of every device in Cognito.

use aws_config::SdkConfig;
use aws_sdk_cognitoidentityprovider::Client as Cognito;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal_shared::access::Change;
use portal_shared::config::{self, ConfigError};
use portal_shared::domain::{AccessStatus, ContactId, OrganizationId};
use portal_shared::function::HttpFunction;
use portal_shared::http::{path_param, respond, route_key, unknown_route};
use portal_shared::identity::StaffMember;
use portal_shared::invitations::Inviter;
use portal_shared::jobs::{Answer, Job, JobQueue, JobSpec};
use portal_shared::mail::Mailer;
use portal_shared::model::Contact;
use portal_shared::notify::Notifier;
use portal_shared::pagination::PageRequest;
use portal_shared::store::Store;
use portal_shared::{ApiError, aws};
use serde::Serialize;

/// The IAM actions of the AWS calls this function makes (the SAM template grants exactly
/// these; a test compares). The transaction's Update and Put are UpdateItem and PutItem.
pub const IAM_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
    "dynamodb:PutItem",
    "cognito-idp:AdminUserGlobalSignOut",
    "ses:SendEmail",
    "sqs:SendMessage",
];

pub struct App {
    store: Store,
    cognito: aws::OnFirstUse<Cognito>,
    customer_pool_id: String,
    inviter: Inviter,
    notifier: Notifier,
    jobs: JobQueue,
    /// Members above which an organization's access changes by a job.
    sync_limit: usize,
}

/// The contacts an organization-wide change touched.
#[derive(Debug, Serialize)]
pub struct Changed {
    pub contacts: Vec<Contact>,
}

impl HttpFunction for App {
    fn configure(sdk: &SdkConfig, env: &dyn config::Source) -> Result<Self, ConfigError> {
        let mut app = Self::new(
            sdk,
            config::required(env, config::TABLE_NAME)?,
            config::required(env, config::CUSTOMER_USER_POOL_ID)?,
            config::required(env, config::SENDER_EMAIL)?,
            config::required(env, config::PUBLIC_URL)?,
            config::required(env, config::JOBS_QUEUE_URL)?,
        );
        app.sync_limit = config::optional(env, config::JOBS_SYNC_LIMIT, portal_shared::jobs::DEFAULT_SYNC_LIMIT)?;
        Ok(app)
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
                portal_shared::jobs::respond(StatusCode::OK, self.organization(&req, Change::Open).await)
            }
            Some("DELETE /organizations/{organizationId}/access") => {
                portal_shared::jobs::respond(StatusCode::OK, self.organization(&req, Change::Close).await)
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
        sender: impl Into<String>,
        public_url: impl Into<String>,
        jobs_queue_url: impl Into<String>,
    ) -> Self {
        let store = Store::new(aws::dynamodb_client(sdk), table);
        let mailer = Mailer::new(sdk, sender);
        let public_url = public_url.into();
        Self {
            inviter: Inviter::new(store.clone(), mailer.clone(), public_url.clone()),
            notifier: Notifier::new(store.clone(), mailer, public_url),
            store,
            cognito: aws::OnFirstUse::new(sdk, aws::cognito_client),
            customer_pool_id: customer_pool_id.into(),
            jobs: JobQueue::new(aws::sqs_client(sdk), jobs_queue_url),
            sync_limit: portal_shared::jobs::DEFAULT_SYNC_LIMIT,
        }
    }

    /// The routes: the caller (a write role) and the contact or organization named by the
    /// path, then one use case.
    async fn contact(&self, req: &Request, change: Change) -> Result<Contact, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_write()?;
        let id: ContactId = path_param(req, "contactId")?;
        self.change_contact(&staff, id, change).await
    }

    async fn organization(&self, req: &Request, change: Change) -> Result<Answer<Changed>, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_write()?;
        let id: OrganizationId = path_param(req, "organizationId")?;
        self.change_organization(&staff, id, change).await
    }

    async fn change_contact(&self, staff: &StaffMember, id: ContactId, change: Change) -> Result<Contact, ApiError> {
        let contact = self.store.contact(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("contact"))?;
        self.apply(staff, contact, change).await
    }

    /// Applies the change to every contact of the organization; contacts that never had
    /// access are left as they are when closing. One page of members is read, bounded by
    /// the limit: when there are more, a job makes the change (`Answer::Started`).
    async fn change_organization(
        &self,
        staff: &StaffMember,
        id: OrganizationId,
        change: Change,
    ) -> Result<Answer<Changed>, ApiError> {
        self.store.organization(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("organization"))?;
        let page = PageRequest { limit: (self.sync_limit + 1).clamp(1, 100) as i32, cursor: None };
        let members = self.store.organization_members(staff.tenant_id, id, &page).await?;
        if members.next_cursor.is_some() || members.items.len() > self.sync_limit {
            let spec = JobSpec::OrganizationAccess { organization_id: id, open: change == Change::Open };
            let job = Job::new(spec, staff, 0, time::OffsetDateTime::now_utc());
            return Ok(Answer::Started(
                portal_shared::jobs::start(&self.store, &self.jobs, staff.tenant_id, job).await?,
            ));
        }
        let mut contacts = Vec::new();
        for contact in members.items {
            if change == Change::Close && contact.access_status == AccessStatus::None {
                contacts.push(contact);
                continue;
            }
            contacts.push(self.apply(staff, contact, change).await?);
        }
        Ok(Answer::Done(Changed { contacts }))
    }

    /// Applies the change, then its effects outside the table: the invitation email of an
    /// opened access, the global sign-out of a closed one.
    async fn apply(&self, staff: &StaffMember, contact: Contact, change: Change) -> Result<Contact, ApiError> {
        let applied = portal_shared::access::apply(&self.store, staff, contact, change).await?;
        let contact = applied.contact;
        if applied.invite {
            let tenant = self.store.tenant(staff.tenant_id).await?.ok_or(ApiError::NotFound("company"))?;
            self.inviter.invite(&tenant, &contact).await?;
        }
        if change == Change::Close && contact.access_status == AccessStatus::Closed && contact.customer_sub.is_some() {
            // Also when the access was closed already: this is then the retry of a closing
            // whose sign-out failed (signing out twice is harmless).
            portal_shared::accounts::sign_out_everywhere(self.cognito.get(), &self.customer_pool_id, &contact.email)
                .await?;
        }
        if applied.changed && contact.access_status == AccessStatus::Closed && contact.customer_sub.is_some() {
            // The closing stands even if the optional notice cannot be sent now.
            let tenant = self.store.tenant(staff.tenant_id).await?.ok_or(ApiError::NotFound("company"))?;
            if let Err(err) = self.notifier.access_closed(&tenant, &contact).await {
                tracing::warn!(contact = %contact.id, error = %portal_shared::telemetry::clip(&err.to_string()), "access-closed email not sent");
            }
        }
        Ok(contact)
    }
}
