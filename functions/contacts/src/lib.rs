//! The `contacts` function: a tenant's contacts (the customers it shares with) and the
//! organizations that group them.

use aws_config::SdkConfig;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal_shared::config::{self, ConfigError};
use portal_shared::domain::{AccessStatus, ContactId, DisplayName, Email, OrganizationId};
use portal_shared::function::HttpFunction;
use portal_shared::http::{
    json_body, no_content, page_request, path_param, present, respond, route_key, unknown_route,
};
use portal_shared::identity::{StaffChoices, StaffMember};
use portal_shared::model::{Action, ActivityEvent, Contact, Language, Organization, Tenant};
use portal_shared::pagination::Page;
use portal_shared::store::{Clash, Entity, Store, StoreError};
use portal_shared::{ApiError, aws};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewContact {
    email: Email,
    name: DisplayName,
    #[serde(default)]
    organization_id: Option<OrganizationId>,
    /// The language of the contact's emails (`en` when absent).
    #[serde(default)]
    language: Option<Language>,
}

/// A partial update: absent fields stay as they are; `organizationId: null` takes the
/// contact out of its organization.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ContactChanges {
    email: Option<Email>,
    name: Option<DisplayName>,
    #[serde(default, deserialize_with = "present")]
    organization_id: Option<Option<OrganizationId>>,
    language: Option<Language>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganizationInput {
    name: DisplayName,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MyChanges {
    /// How customers see the member (`sharedBy`).
    name: Option<DisplayName>,
    notify_submissions: Option<bool>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    submissions_seen_at: Option<OffsetDateTime>,
}

#[derive(Debug, Serialize)]
pub struct Me {
    #[serde(flatten)]
    staff: StaffMember,
    tenant: Tenant,
}

impl HttpFunction for App {
    fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(sdk, config::required(config::TABLE_NAME)?, config::required(config::CUSTOMER_USER_POOL_ID)?))
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        match route_key(&req) {
            Some("GET /me") => respond(StatusCode::OK, self.me(&req).await),
            Some("PATCH /me") => respond(StatusCode::OK, self.update_me(&req).await),
            Some("POST /contacts") => respond(StatusCode::CREATED, self.create(&req).await),
            Some("GET /contacts") => respond(StatusCode::OK, self.list(&req).await),
            Some("GET /contacts/{contactId}") => respond(StatusCode::OK, self.get(&req).await),
            Some("PATCH /contacts/{contactId}") => respond(StatusCode::OK, self.update(&req).await),
            Some("DELETE /contacts/{contactId}") => no_content(self.delete(&req).await),
            Some("GET /contacts/{contactId}/activity") => respond(StatusCode::OK, self.activity(&req).await),
            Some("POST /organizations") => respond(StatusCode::CREATED, self.create_organization(&req).await),
            Some("GET /organizations") => respond(StatusCode::OK, self.list_organizations(&req).await),
            Some("GET /organizations/{organizationId}") => respond(StatusCode::OK, self.get_organization(&req).await),
            Some("PATCH /organizations/{organizationId}") => {
                respond(StatusCode::OK, self.rename_organization(&req).await)
            }
            Some("DELETE /organizations/{organizationId}") => no_content(self.delete_organization(&req).await),
            Some("GET /organizations/{organizationId}/contacts") => respond(StatusCode::OK, self.members(&req).await),
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

    /// The caller's own choices (any role): whether they get submission emails, and up to
    /// when they have seen customer submissions.
    async fn update_me(&self, req: &Request) -> Result<Me, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        let input: MyChanges = json_body(req)?;
        let choices = StaffChoices {
            name: input.name,
            notify_submissions: input.notify_submissions,
            submissions_seen_at: input.submissions_seen_at,
        }
        .for_member(&staff, OffsetDateTime::now_utc())?;
        let staff = self.store.update_staff_choices(&staff.sub, &choices).await?;
        let tenant = self.store.tenant(staff.tenant_id).await?.ok_or(ApiError::NotFound("company"))?;
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
            organization_id: input.organization_id,
            access_changed_at: None,
            customer_sub: None,
            language: input.language.unwrap_or_default(),
            created_at: OffsetDateTime::now_utc(),
            created_by: staff.sub,
        };
        self.store.create_contact(staff.tenant_id, &contact).await.map_err(contact_problem)?;
        tracing::info!(tenant = %staff.tenant_id, contact = %contact.id, "contact created");
        Ok(contact)
    }

    async fn list(&self, req: &Request) -> Result<Page<Contact>, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        Ok(self.store.list_contacts(staff.tenant_id, &page_request(req)?).await?)
    }

    async fn get(&self, req: &Request) -> Result<Contact, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        let id: ContactId = path_param(req, "contactId")?;
        self.store.contact(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("contact"))
    }

    async fn update(&self, req: &Request) -> Result<Contact, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_write()?;
        let id: ContactId = path_param(req, "contactId")?;
        let changes: ContactChanges = json_body(req)?;
        if changes.email.is_none()
            && changes.name.is_none()
            && changes.organization_id.is_none()
            && changes.language.is_none()
        {
            return Err(ApiError::Invalid("nothing to change: send email, name, organizationId or language".into()));
        }
        let before = self.store.contact(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("contact"))?;
        // A registered customer signs in with this email: it is theirs to keep.
        if before.customer_sub.is_some() && changes.email.as_ref().is_some_and(|email| *email != before.email) {
            return Err(ApiError::Conflict("this contact has registered: their email is their account's".into()));
        }
        let after = Contact {
            email: changes.email.unwrap_or_else(|| before.email.clone()),
            name: changes.name.unwrap_or_else(|| before.name.clone()),
            organization_id: changes.organization_id.unwrap_or(before.organization_id),
            language: changes.language.unwrap_or(before.language),
            ..before.clone()
        };
        self.store.update_contact(staff.tenant_id, &before, &after).await.map_err(contact_problem)?;
        tracing::info!(tenant = %staff.tenant_id, contact = %id, "contact updated");
        Ok(after)
    }

    /// Deleting a contact is one of the ways to close their access: the record goes (so
    /// the customer's next request finds no access), the customer is signed out everywhere,
    /// and what was shared with them is tidied away.
    async fn delete(&self, req: &Request) -> Result<(), ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_write()?;
        let id: ContactId = path_param(req, "contactId")?;
        let Some(contact) = self.store.contact(staff.tenant_id, id).await? else {
            // The retry of a delete that failed after the contact went (a 503): remove its
            // share records now (reads never show them: the contact is gone).
            let leftovers = self.store.all_contact_shares(staff.tenant_id, id).await?;
            self.store.delete_shares(staff.tenant_id, &leftovers).await?;
            return Err(ApiError::NotFound("contact"));
        };
        let event = ActivityEvent::new(Action::ContactDeleted, staff.actor(), OffsetDateTime::now_utc()).contact(id);
        self.store.delete_contact(staff.tenant_id, &contact, &event).await?;
        if contact.customer_sub.is_some() {
            portal_shared::accounts::sign_out_everywhere(self.cognito.get(), &self.customer_pool_id, &contact.email)
                .await?;
        }
        let shares = self.store.all_contact_shares(staff.tenant_id, id).await?;
        self.store.delete_shares(staff.tenant_id, &shares).await?;
        tracing::info!(tenant = %staff.tenant_id, contact = %id, shares = shares.len(), "contact deleted");
        Ok(())
    }

    async fn activity(&self, req: &Request) -> Result<Page<ActivityEvent>, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        let id: ContactId = path_param(req, "contactId")?;
        let page = page_request(req)?;
        // The trail outlives a deleted contact; an id with neither is unknown.
        let trail = self.store.contact_activity(staff.tenant_id, id, &page).await?;
        if trail.items.is_empty() && page.cursor.is_none() && self.store.contact(staff.tenant_id, id).await?.is_none() {
            return Err(ApiError::NotFound("contact"));
        }
        Ok(trail)
    }

    async fn create_organization(&self, req: &Request) -> Result<Organization, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_write()?;
        let input: OrganizationInput = json_body(req)?;
        let organization = Organization {
            id: OrganizationId::new(),
            name: input.name,
            created_at: OffsetDateTime::now_utc(),
            created_by: staff.sub,
        };
        self.store.create_organization(staff.tenant_id, &organization).await?;
        Ok(organization)
    }

    async fn list_organizations(&self, req: &Request) -> Result<Page<Organization>, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        Ok(self.store.list_organizations(staff.tenant_id, &page_request(req)?).await?)
    }

    async fn get_organization(&self, req: &Request) -> Result<Organization, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        let id: OrganizationId = path_param(req, "organizationId")?;
        self.store.organization(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("organization"))
    }

    async fn rename_organization(&self, req: &Request) -> Result<Organization, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_write()?;
        let id: OrganizationId = path_param(req, "organizationId")?;
        let input: OrganizationInput = json_body(req)?;
        let before = self.store.organization(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("organization"))?;
        let after = Organization { name: input.name, ..before };
        self.store.rename_organization(staff.tenant_id, &after).await?;
        Ok(after)
    }

    async fn delete_organization(&self, req: &Request) -> Result<(), ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_write()?;
        let id: OrganizationId = path_param(req, "organizationId")?;
        Ok(self.store.delete_organization(staff.tenant_id, id).await?)
    }

    async fn members(&self, req: &Request) -> Result<Page<Contact>, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        let id: OrganizationId = path_param(req, "organizationId")?;
        // An unknown (or another tenant's) organization is a 404, not an empty list.
        self.store.organization(staff.tenant_id, id).await?.ok_or(ApiError::NotFound("organization"))?;
        Ok(self.store.organization_members(staff.tenant_id, id, &page_request(req)?).await?)
    }
}

/// A contact's organization that does not exist is a 422 naming `organizationId`.
fn contact_problem(err: StoreError) -> ApiError {
    match err {
        StoreError::Clash(Clash::Unknown(Entity::Organization)) => {
            ApiError::Invalid("organizationId: no such organization".into())
        }
        other => other.into(),
    }
}

#[cfg(test)]
mod properties;
