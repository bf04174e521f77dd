//! The routes: each parses its request into typed values, calls one use case (customer
//! registration: `customers`; company sign-up: `company`) and lets `lib.rs` render the
//! answer.

use lambda_http::Request;
use portal_shared::ApiError;
use portal_shared::domain::Slug;
use portal_shared::http::{json_body, path_param, source_address};

use crate::company::{SignUpAccepted, SignUpRequest, SlugAvailability, Verification, Verified};
use crate::inputs::{Confirmation, Registration, Resend};
use crate::{Accepted, App, Registered};

impl App {
    pub(crate) async fn post_registration(&self, req: &Request) -> Result<Registered, ApiError> {
        let input: Registration = json_body(req)?;
        self.register(source_address(req), input).await
    }

    pub(crate) async fn post_confirmation(&self, req: &Request) -> Result<Registered, ApiError> {
        let input: Confirmation = json_body(req)?;
        self.confirm(source_address(req), input).await
    }

    pub(crate) async fn post_resend(&self, req: &Request) -> Result<Accepted, ApiError> {
        let input: Resend = json_body(req)?;
        self.resend_code(source_address(req), input).await
    }

    pub(crate) async fn get_slug(&self, req: &Request) -> Result<SlugAvailability, ApiError> {
        self.companies.refuse_when_closed()?;
        let slug: Slug = path_param(req, "slug")?;
        self.companies.slug_availability(slug).await
    }

    pub(crate) async fn post_signup(&self, req: &Request) -> Result<SignUpAccepted, ApiError> {
        self.companies.refuse_when_closed()?;
        let input: SignUpRequest = json_body(req)?;
        self.companies.sign_up(source_address(req), input).await
    }

    pub(crate) async fn post_signup_verify(&self, req: &Request) -> Result<Verified, ApiError> {
        let input: Verification = json_body(req)?;
        self.companies.verify(input).await
    }

    pub(crate) async fn post_signup_resend(&self, req: &Request) -> Result<SignUpAccepted, ApiError> {
        let input: crate::company::Resend = json_body(req)?;
        self.companies.resend(source_address(req), input).await
    }
}
