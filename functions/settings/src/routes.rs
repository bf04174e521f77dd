//! The routes: each resolves the caller, parses its request into typed values, calls one
//! use case and lets `lib.rs` render the answer.

use lambda_http::Request;
use portal_shared::ApiError;
use portal_shared::domain::{Slug, UserSub};
use portal_shared::http::{json_body, page_request, path_param};
use portal_shared::identity::StaffMember;
use portal_shared::pagination::Page;

use crate::inputs::{Invitation, LogoUpload, RoleChange, SettingsChanges};
use crate::{App, Branding, LogoTicket, Settings};

impl App {
    async fn caller(&self, req: &Request) -> Result<StaffMember, ApiError> {
        StaffMember::resolve(&self.store, req).await
    }

    pub(crate) async fn get_settings(&self, req: &Request) -> Result<Settings, ApiError> {
        self.settings(&self.caller(req).await?).await
    }

    pub(crate) async fn patch_settings(&self, req: &Request) -> Result<Settings, ApiError> {
        let staff = self.caller(req).await?;
        staff.require_admin()?;
        let input: SettingsChanges = json_body(req)?;
        self.update_settings(&staff, input).await
    }

    pub(crate) async fn post_logo(&self, req: &Request) -> Result<LogoTicket, ApiError> {
        let staff = self.caller(req).await?;
        staff.require_admin()?;
        let input: LogoUpload = json_body(req)?;
        self.upload_logo(&staff, input).await
    }

    pub(crate) async fn delete_logo(&self, req: &Request) -> Result<(), ApiError> {
        self.remove_logo(&self.caller(req).await?).await
    }

    pub(crate) async fn list_staff(&self, req: &Request) -> Result<Page<StaffMember>, ApiError> {
        let staff = self.caller(req).await?;
        Ok(self.store.list_staff(staff.tenant_id, &page_request(req)?).await?)
    }

    pub(crate) async fn post_staff(&self, req: &Request) -> Result<StaffMember, ApiError> {
        let staff = self.caller(req).await?;
        staff.require_admin()?;
        let input: Invitation = json_body(req)?;
        self.invite(&staff, input).await
    }

    pub(crate) async fn patch_staff(&self, req: &Request) -> Result<StaffMember, ApiError> {
        let staff = self.caller(req).await?;
        staff.require_admin()?;
        let id: UserSub = path_param(req, "staffId")?;
        let input: RoleChange = json_body(req)?;
        self.change_role(&staff, &id, input).await
    }

    pub(crate) async fn delete_staff(&self, req: &Request) -> Result<(), ApiError> {
        let staff = self.caller(req).await?;
        staff.require_admin()?;
        let id: UserSub = path_param(req, "staffId")?;
        self.remove(&staff, &id).await
    }

    pub(crate) async fn post_password_reset(&self, req: &Request) -> Result<(), ApiError> {
        let staff = self.caller(req).await?;
        staff.require_admin()?;
        let id: UserSub = path_param(req, "staffId")?;
        self.send_password_reset(&staff, &id).await
    }

    pub(crate) async fn get_branding(&self, req: &Request) -> Result<Branding, ApiError> {
        let slug: Slug = path_param(req, "slug")?;
        self.branding(&slug).await
    }

    pub(crate) async fn get_logo(&self, req: &Request) -> Result<String, ApiError> {
        let slug: Slug = path_param(req, "slug")?;
        self.logo_url(&slug).await
    }
}
