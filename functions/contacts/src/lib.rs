//! The `contacts` function: a tenant's contacts (the customers it shares with).

use aws_config::SdkConfig;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal_shared::config::{self, ConfigError};
use portal_shared::domain::{AccessStatus, ContactId, DisplayName, Email};
use portal_shared::function::HttpFunction;
use portal_shared::http::{json_body, path_param, query_param, respond, route_key, unknown_route};
use portal_shared::identity::StaffMember;
use portal_shared::model::{Contact, Tenant};
use portal_shared::pagination::{Page, PageRequest};
use portal_shared::store::Store;
use portal_shared::{ApiError, aws};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The IAM actions of the AWS calls this function makes (the SAM template grants exactly
/// these; a test compares). TransactWriteItems is authorized per item as PutItem.
pub const IAM_ACTIONS: &[&str] = &["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"];

pub struct App {
    store: Store,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewContact {
    email: Email,
    name: DisplayName,
}

#[derive(Debug, Serialize)]
pub struct Me {
    #[serde(flatten)]
    staff: StaffMember,
    tenant: Tenant,
}

impl HttpFunction for App {
    fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(sdk, config::required(config::TABLE_NAME)?))
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        match route_key(&req) {
            Some("GET /me") => respond(StatusCode::OK, self.me(&req).await),
            Some("POST /contacts") => respond(StatusCode::CREATED, self.create(&req).await),
            Some("GET /contacts") => respond(StatusCode::OK, self.list(&req).await),
            Some("GET /contacts/{contactId}") => respond(StatusCode::OK, self.get(&req).await),
            _ => unknown_route(&req).into_response(),
        }
    }
}

impl App {
    pub fn new(sdk: &SdkConfig, table: impl Into<String>) -> Self {
        Self { store: Store::new(aws::dynamodb_client(sdk), table) }
    }

    /// The signed-in staff member with their tenant (the dashboard shows or hides write
    /// controls by role; the API refuses them anyway).
    async fn me(&self, req: &Request) -> Result<Me, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        let tenant =
            self.store.tenant(staff.tenant_id).await?.ok_or_else(|| {
                ApiError::Internal(format!("tenant {} of a staff member is missing", staff.tenant_id))
            })?;
        Ok(Me { staff, tenant })
    }

    async fn create(&self, req: &Request) -> Result<Contact, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_write()?;
        let input: NewContact = json_body(req)?;
        let contact = Contact {
            id: ContactId::new(),
            email: input.email,
            name: input.name,
            access_status: AccessStatus::None,
            created_at: OffsetDateTime::now_utc(),
            created_by: staff.sub,
        };
        self.store.create_contact(staff.tenant_id, &contact).await?;
        tracing::info!(tenant = %staff.tenant_id, contact = %contact.id, "contact created");
        Ok(contact)
    }

    async fn list(&self, req: &Request) -> Result<Page<Contact>, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        let page = PageRequest::parse(query_param(req, "limit").as_deref(), query_param(req, "cursor").as_deref())?;
        self.store.list_contacts(staff.tenant_id, &page).await
    }

    async fn get(&self, req: &Request) -> Result<Contact, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        let id: ContactId = path_param(req, "contactId")?;
        self.store.contact(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("contact"))
    }
}
