//! The `sharing` function: what is shared with whom. Staff share folders and documents
//! with contacts (one by one, or every contact of an organization), edit a contact's
//! selection, and unshare; a share may expire. Sharing with a contact who has no portal
//! access yet opens it, which queues their invitation.
//!
//! This file is the edge: each route parses its request (caller, role, path, addressed
//! contact, body, in that order, as the answers to a bad request have always been decided)
//! and calls one use case with typed inputs (`share`, `selection`, `recipients`). How a
//! saved selection changes the shares is planned by `portal_shared::share_selection`.

use aws_config::SdkConfig;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal_shared::config::{self, ConfigError};
use portal_shared::domain::{ContactId, DocumentId, FolderId, ItemId, ItemRef, JobId, OrganizationId};
use portal_shared::function::HttpFunction;
use portal_shared::http::{json_body, no_content, page_request, path_param, respond, route_key, unknown_route};
use portal_shared::identity::StaffMember;
use portal_shared::invitations::Inviter;
use portal_shared::jobs::{Accepted, Answer, JobQueue, JobView};
use portal_shared::mail::Mailer;
use portal_shared::model::Contact;
use portal_shared::pagination::Page;
use portal_shared::queue::NotificationQueue;
use portal_shared::store::{Clash, Entity, Store, StoreError};
use portal_shared::{ApiError, aws};

mod input;
mod recipients;
mod selection;
mod share;
mod views;

use input::{Selection, ShareRequest};
pub use portal_shared::share_selection::MAX_ITEMS;
pub use views::{Recipient, Shared, SharedItem};

/// The IAM actions of the AWS calls this function makes (the SAM template grants exactly
/// these; a test compares). Transactions are authorized per item.
pub const IAM_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
    "ses:SendEmail",
    "sqs:SendMessage",
];

/// At most this many contacts in one share request (an organization counts its members).
pub const MAX_CONTACTS: usize = 100;
/// A contact whose shares are more than this cannot have its whole selection replaced
/// (`PUT /contacts/{contactId}/shares` answers 409): the save reads them all, and this
/// bounds that read (one consistent page of at most 101 items, docs/performance.md).
pub const MAX_SELECTION_SHARES: usize = MAX_ITEMS;
/// How long a save of a contact's selection holds its lease (far longer than a save of
/// `MAX_ITEMS` items takes; a save that dies keeps others out at most this long).
pub const SELECTION_LEASE_SECONDS: i64 = 60;

pub struct App {
    store: Store,
    inviter: Inviter,
    queue: NotificationQueue,
    jobs: JobQueue,
    /// Shares to one contact within this window go out as one email.
    share_email_window_seconds: i64,
    /// Writes above which a share request becomes a job.
    sync_limit: usize,
}

impl HttpFunction for App {
    fn configure(sdk: &SdkConfig, env: &dyn config::Source) -> Result<Self, ConfigError> {
        let mut app = Self::new(
            sdk,
            config::required(env, config::TABLE_NAME)?,
            config::required(env, config::SENDER_EMAIL)?,
            config::required(env, config::PUBLIC_URL)?,
            config::required(env, config::NOTIFICATIONS_QUEUE_URL)?,
            config::required(env, config::JOBS_QUEUE_URL)?,
        );
        app.sync_limit = config::optional(env, config::JOBS_SYNC_LIMIT, portal_shared::jobs::DEFAULT_SYNC_LIMIT)?;
        app.share_email_window_seconds =
            config::optional(env, config::SHARE_EMAIL_WINDOW_SECONDS, config::DEFAULT_SHARE_EMAIL_WINDOW_SECONDS)?;
        Ok(app)
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        let req = &req;
        match route_key(req) {
            Some("POST /shares") => portal_shared::jobs::respond(StatusCode::OK, self.share_route(req).await),
            Some("GET /jobs/{jobId}") => respond(StatusCode::OK, self.job_route(req).await),
            Some("DELETE /organizations/{organizationId}/shares/{itemId}") => {
                respond(StatusCode::ACCEPTED, self.unshare_from_organization_route(req).await)
            }
            Some("GET /contacts/{contactId}/shares") => respond(StatusCode::OK, self.contact_shares_route(req).await),
            Some("PUT /contacts/{contactId}/shares") => {
                respond(StatusCode::OK, self.replace_selection_route(req).await)
            }
            Some("DELETE /contacts/{contactId}/shares/{itemId}") => no_content(self.unshare_route(req).await),
            Some("GET /documents/{documentId}/shares") => match path_param::<DocumentId>(req, "documentId") {
                Ok(id) => respond(StatusCode::OK, self.recipients_route(req, ItemRef::Document(id)).await),
                Err(err) => err.into_response(),
            },
            Some("GET /folders/{folderId}/shares") => match path_param::<FolderId>(req, "folderId") {
                Ok(id) => respond(StatusCode::OK, self.recipients_route(req, ItemRef::Folder(id)).await),
                Err(err) => err.into_response(),
            },
            _ => unknown_route(req).into_response(),
        }
    }
}

impl App {
    pub fn new(
        sdk: &SdkConfig,
        table: impl Into<String>,
        sender: impl Into<String>,
        public_url: impl Into<String>,
        notifications_queue_url: impl Into<String>,
        jobs_queue_url: impl Into<String>,
    ) -> Self {
        let store = Store::new(aws::dynamodb_client(sdk), table);
        let mailer = Mailer::new(sdk, sender);
        Self {
            inviter: Inviter::new(store.clone(), mailer, public_url),
            store,
            queue: NotificationQueue::new(aws::sqs_client(sdk), notifications_queue_url),
            jobs: JobQueue::new(aws::sqs_client(sdk), jobs_queue_url),
            share_email_window_seconds: config::DEFAULT_SHARE_EMAIL_WINDOW_SECONDS,
            sync_limit: portal_shared::jobs::DEFAULT_SYNC_LIMIT,
        }
    }

    /// Sets the share email window (the local stack uses a short one).
    pub fn with_share_email_window(mut self, seconds: i64) -> Self {
        self.share_email_window_seconds = seconds;
        self
    }
}

/// Parsing each route's request into a use case's inputs.
impl App {
    /// The calling staff member, who must be allowed to write.
    async fn writer(&self, req: &Request) -> Result<StaffMember, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_write()?;
        Ok(staff)
    }

    /// The contact the path names, in the caller's company (404 otherwise).
    async fn contact(&self, staff: &StaffMember, req: &Request) -> Result<Contact, ApiError> {
        let id: ContactId = path_param(req, "contactId")?;
        self.store.contact(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("contact"))
    }

    async fn job_route(&self, req: &Request) -> Result<JobView, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        let id: JobId = path_param(req, "jobId")?;
        self.job(&staff, id).await
    }

    async fn unshare_from_organization_route(&self, req: &Request) -> Result<Accepted, ApiError> {
        let staff = self.writer(req).await?;
        let organization: OrganizationId = path_param(req, "organizationId")?;
        let item: ItemId = path_param(req, "itemId")?;
        self.unshare_from_organization(&staff, organization, item).await
    }

    async fn share_route(&self, req: &Request) -> Result<Answer<Shared>, ApiError> {
        let staff = self.writer(req).await?;
        let input: ShareRequest = json_body(req)?;
        self.share(&staff, input).await
    }

    async fn contact_shares_route(&self, req: &Request) -> Result<Page<SharedItem>, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        let page = page_request(req)?;
        let contact = self.contact(&staff, req).await?;
        self.contact_shares(&staff, &contact, &page).await
    }

    async fn replace_selection_route(&self, req: &Request) -> Result<Vec<SharedItem>, ApiError> {
        let staff = self.writer(req).await?;
        let contact = self.contact(&staff, req).await?;
        let selection: Selection = json_body(req)?;
        self.replace_selection(&staff, &contact, selection).await
    }

    async fn unshare_route(&self, req: &Request) -> Result<(), ApiError> {
        let staff = self.writer(req).await?;
        let contact = self.contact(&staff, req).await?;
        let item: ItemId = path_param(req, "itemId")?;
        self.unshare(&staff, &contact, item).await
    }

    async fn recipients_route(&self, req: &Request, item: ItemRef) -> Result<Page<Recipient>, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        let page = page_request(req)?;
        self.recipients(&staff, item, &page).await
    }
}

/// A share whose item was deleted meanwhile is a 422 naming the `items` field.
fn share_problem(share: &portal_shared::model::Share) -> impl FnOnce(StoreError) -> ApiError + use<> {
    let item = share.item;
    move |err| match err {
        StoreError::Clash(Clash::Unknown(Entity::Folder | Entity::Document)) => {
            ApiError::Invalid(format!("items: no such {} {}", portal_shared::share_selection::kind(item), item.id()))
        }
        other => other.into(),
    }
}

#[cfg(test)]
mod properties;
