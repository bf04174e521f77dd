//! The `customer` function: a customer's personal space. Everything, and only what, is
//! currently shared with them by every company that gives them active access — single
//! documents and shared folders with their current contents — searchable, filterable,
//! sortable and paged; downloads of the originals; uploads back into their submissions
//! at a company (deletable until staff have seen them); and their email preferences.
//!
//! Access is resolved on every request (`Customer::resolve`), so a closed access or an
//! expired share makes items vanish, and their downloads refuse, at once.
//!
//! This file is the edge: each route parses its request (path, query, caller, body, in
//! that order, as the answers to a bad request have always been decided) and calls one
//! use case with typed inputs (`space`, `documents`, `preferences`); the rules themselves
//! are in `portal_shared::visibility` and `portal_shared::personal_space`.

use aws_config::SdkConfig;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal_shared::config::{self, ConfigError, TransferLimits};
use portal_shared::domain::{ContactId, ContentType, DocumentId, FileName, TenantId};
use portal_shared::function::HttpFunction;
use portal_shared::http::{json_body, no_content, path_param, query_param, respond, route_key, unknown_route};
use portal_shared::identity::Customer;
use portal_shared::model::{Document, Language, Preferences};
use portal_shared::pagination::Page;
use portal_shared::pagination::merge::MergeRequest;
use portal_shared::storage::Storage;
use portal_shared::store::Store;
use portal_shared::transfers::{DownloadTicket, UploadTicket};
use portal_shared::{ApiError, aws};
use serde::Deserialize;

mod documents;
mod preferences;
mod space;

pub use portal_shared::personal_space::{CompanyView, FolderRef, Incoming, IncomingPage, Query, SharedDocument, Sort};
pub use space::Me;

/// The IAM actions of the AWS calls this function makes (the SAM template grants exactly
/// these; a test compares). A download names the document's pinned version, which S3
/// authorizes as GetObjectVersion.
pub const IAM_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:DeleteItem",
    "s3:PutObject",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:ListBucketVersions",
    "s3:DeleteObjectVersion",
];

pub struct App {
    store: Store,
    storage: Storage,
    limits: TransferLimits,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UploadRequest {
    file_name: FileName,
    content_type: ContentType,
    size: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PreferencesInput {
    email_notifications: bool,
    #[serde(default)]
    muted_companies: Vec<TenantId>,
    #[serde(default)]
    language: Language,
}

impl HttpFunction for App {
    fn configure(sdk: &SdkConfig, env: &dyn config::Source) -> Result<Self, ConfigError> {
        Ok(Self::new(
            sdk,
            config::required(env, config::TABLE_NAME)?,
            config::required(env, config::DOCUMENTS_BUCKET)?,
            TransferLimits::read(env)?,
        ))
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        let req = &req;
        match route_key(req) {
            Some("GET /portal/me") => respond(StatusCode::OK, self.me_route(req).await),
            Some("GET /portal/shares") => respond(StatusCode::OK, self.space_route(req).await),
            Some("GET /portal/companies/{tenantId}/documents/{documentId}/download") => {
                respond(StatusCode::OK, self.download_route(req).await)
            }
            Some("POST /portal/companies/{tenantId}/uploads") => {
                respond(StatusCode::CREATED, self.upload_route(req).await)
            }
            Some("GET /portal/submissions") => respond(StatusCode::OK, self.submissions_route(req).await),
            Some("DELETE /portal/companies/{tenantId}/submissions/{documentId}") => {
                no_content(self.delete_submission_route(req).await)
            }
            Some("GET /portal/preferences") => respond(StatusCode::OK, self.preferences_route(req).await),
            Some("PUT /portal/preferences") => respond(StatusCode::OK, self.set_preferences_route(req).await),
            _ => unknown_route(req).into_response(),
        }
    }
}

/// Parsing each route's request into a use case's inputs.
impl App {
    pub fn new(sdk: &SdkConfig, table: impl Into<String>, bucket: impl Into<String>, limits: TransferLimits) -> Self {
        Self {
            store: Store::new(aws::dynamodb_client(sdk), table),
            storage: Storage::new(aws::s3_client(sdk), bucket),
            limits,
        }
    }

    async fn customer(&self, req: &Request) -> Result<Customer, ApiError> {
        Customer::resolve(&self.store, req).await
    }

    async fn me_route(&self, req: &Request) -> Result<Me, ApiError> {
        Ok(Me::of(self.customer(req).await?))
    }

    async fn space_route(&self, req: &Request) -> Result<IncomingPage, ApiError> {
        let query = Query::parse(|name| query_param(req, name))?;
        let customer = self.customer(req).await?;
        self.space(&customer, &query).await
    }

    async fn download_route(&self, req: &Request) -> Result<DownloadTicket, ApiError> {
        let tenant: TenantId = path_param(req, "tenantId")?;
        let id: DocumentId = path_param(req, "documentId")?;
        let customer = self.customer(req).await?;
        let company = customer.company(tenant)?;
        self.download(&customer, company, id).await
    }

    async fn upload_route(&self, req: &Request) -> Result<UploadTicket, ApiError> {
        let tenant: TenantId = path_param(req, "tenantId")?;
        let customer = self.customer(req).await?;
        let company = customer.company(tenant)?;
        let input: UploadRequest = json_body(req)?;
        self.upload(&customer, company, input).await
    }

    async fn submissions_route(&self, req: &Request) -> Result<Page<Document>, ApiError> {
        let wanted: Option<TenantId> = query_param(req, "company")
            .map(|v| v.parse().map_err(|_| ApiError::Invalid("company: not a valid id".into())))
            .transpose()?;
        let page: MergeRequest<ContactId, DocumentId> =
            MergeRequest::parse(query_param(req, "limit").as_deref(), query_param(req, "cursor").as_deref())?;
        let customer = self.customer(req).await?;
        self.submissions(&customer, wanted, &page).await
    }

    async fn delete_submission_route(&self, req: &Request) -> Result<(), ApiError> {
        let tenant: TenantId = path_param(req, "tenantId")?;
        let id: DocumentId = path_param(req, "documentId")?;
        let customer = self.customer(req).await?;
        let company = customer.company(tenant)?;
        self.delete_submission(&customer, company, id).await
    }

    async fn preferences_route(&self, req: &Request) -> Result<Preferences, ApiError> {
        let customer = self.customer(req).await?;
        self.preferences(&customer).await
    }

    async fn set_preferences_route(&self, req: &Request) -> Result<Preferences, ApiError> {
        let customer = self.customer(req).await?;
        let input: PreferencesInput = json_body(req)?;
        self.set_preferences(&customer, input.into_preferences()?).await
    }
}

#[cfg(test)]
mod properties;
