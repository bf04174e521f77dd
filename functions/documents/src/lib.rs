//! The `documents` function: the tenant's drive as staff see it.

use aws_config::SdkConfig;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal_shared::config::{self, ConfigError};
use portal_shared::domain::DocumentId;
use portal_shared::function::HttpFunction;
use portal_shared::http::{path_param, query_param, respond, route_key, unknown_route};
use portal_shared::identity::StaffMember;
use portal_shared::model::Document;
use portal_shared::pagination::{Page, PageRequest};
use portal_shared::store::Store;
use portal_shared::{ApiError, aws};

/// The IAM actions of the AWS calls this function makes (the SAM template grants exactly
/// these; a test compares).
pub const IAM_ACTIONS: &[&str] = &["dynamodb:GetItem", "dynamodb:Query"];

pub struct App {
    store: Store,
}

impl HttpFunction for App {
    fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(sdk, config::required(config::TABLE_NAME)?))
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        match route_key(&req) {
            Some("GET /documents") => respond(StatusCode::OK, self.list(&req).await),
            Some("GET /documents/{documentId}") => respond(StatusCode::OK, self.get(&req).await),
            _ => unknown_route(&req).into_response(),
        }
    }
}

impl App {
    pub fn new(sdk: &SdkConfig, table: impl Into<String>) -> Self {
        Self { store: Store::new(aws::dynamodb_client(sdk), table) }
    }

    async fn list(&self, req: &Request) -> Result<Page<Document>, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        let page = PageRequest::parse(query_param(req, "limit").as_deref(), query_param(req, "cursor").as_deref())?;
        self.store.list_documents(staff.tenant_id, &page).await
    }

    async fn get(&self, req: &Request) -> Result<Document, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        let id: DocumentId = path_param(req, "documentId")?;
        self.store.document(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("document"))
    }
}
