//! The routes: each resolves the caller, parses its request into typed values (a write
//! role is checked before the body is read), calls one use case and lets `lib.rs` render
//! the answer.

use lambda_http::Request;
use portal_shared::ApiError;
use portal_shared::domain::{ContactId, OrganizationId};
use portal_shared::http::{json_body, page_request, path_param, query_param};
use portal_shared::identity::StaffMember;
use portal_shared::model::{ActivityEvent, Contact, Organization};
use portal_shared::pagination::Page;
use portal_shared::words::Query;

use crate::inputs::{ContactChanges, MyChanges, NewContact, OrganizationInput};
use crate::{App, Me};

impl App {
    async fn caller(&self, req: &Request) -> Result<StaffMember, ApiError> {
        StaffMember::resolve(&self.store, req).await
    }

    /// A caller who may write (admin or member).
    async fn writer(&self, req: &Request) -> Result<StaffMember, ApiError> {
        let staff = self.caller(req).await?;
        staff.require_write()?;
        Ok(staff)
    }

    pub(crate) async fn get_me(&self, req: &Request) -> Result<Me, ApiError> {
        self.me(self.caller(req).await?).await
    }

    pub(crate) async fn patch_me(&self, req: &Request) -> Result<Me, ApiError> {
        let staff = self.caller(req).await?;
        let input: MyChanges = json_body(req)?;
        self.update_me(&staff, input).await
    }

    pub(crate) async fn post_contact(&self, req: &Request) -> Result<Contact, ApiError> {
        let staff = self.writer(req).await?;
        let input: NewContact = json_body(req)?;
        self.create_contact(&staff, input).await
    }

    pub(crate) async fn list_contacts(&self, req: &Request) -> Result<Page<Contact>, ApiError> {
        let staff = self.caller(req).await?;
        let query = Query::parse(query_param(req, "q").as_deref())?;
        self.contacts(&staff, query.as_ref(), &page_request(req)?).await
    }

    pub(crate) async fn get_contact(&self, req: &Request) -> Result<Contact, ApiError> {
        let staff = self.caller(req).await?;
        let id: ContactId = path_param(req, "contactId")?;
        self.contact(&staff, id).await
    }

    pub(crate) async fn patch_contact(&self, req: &Request) -> Result<Contact, ApiError> {
        let staff = self.writer(req).await?;
        let id: ContactId = path_param(req, "contactId")?;
        let changes: ContactChanges = json_body(req)?;
        self.update_contact(&staff, id, changes).await
    }

    pub(crate) async fn remove_contact(&self, req: &Request) -> Result<(), ApiError> {
        let staff = self.writer(req).await?;
        let id: ContactId = path_param(req, "contactId")?;
        self.delete_contact(&staff, id).await
    }

    pub(crate) async fn get_contact_activity(&self, req: &Request) -> Result<Page<ActivityEvent>, ApiError> {
        let staff = self.caller(req).await?;
        let id: ContactId = path_param(req, "contactId")?;
        let page = page_request(req)?;
        self.contact_activity(&staff, id, &page).await
    }

    pub(crate) async fn post_organization(&self, req: &Request) -> Result<Organization, ApiError> {
        let staff = self.writer(req).await?;
        let input: OrganizationInput = json_body(req)?;
        self.create_organization(&staff, input).await
    }

    pub(crate) async fn list_organizations(&self, req: &Request) -> Result<Page<Organization>, ApiError> {
        let staff = self.caller(req).await?;
        Ok(self.store.list_organizations(staff.tenant_id, &page_request(req)?).await?)
    }

    pub(crate) async fn get_organization(&self, req: &Request) -> Result<Organization, ApiError> {
        let staff = self.caller(req).await?;
        let id: OrganizationId = path_param(req, "organizationId")?;
        self.organization(&staff, id).await
    }

    pub(crate) async fn patch_organization(&self, req: &Request) -> Result<Organization, ApiError> {
        let staff = self.writer(req).await?;
        let id: OrganizationId = path_param(req, "organizationId")?;
        let input: OrganizationInput = json_body(req)?;
        self.rename_organization(&staff, id, input).await
    }

    pub(crate) async fn remove_organization(&self, req: &Request) -> Result<(), ApiError> {
        let staff = self.writer(req).await?;
        let id: OrganizationId = path_param(req, "organizationId")?;
        self.delete_organization(&staff, id).await
    }

    pub(crate) async fn get_members(&self, req: &Request) -> Result<Page<Contact>, ApiError> {
        let staff = self.caller(req).await?;
        let id: OrganizationId = path_param(req, "organizationId")?;
        let page = page_request(req)?;
        self.members(&staff, id, &page).await
    }
}
