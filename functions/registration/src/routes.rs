//! The customer registration routes: each parses its request into typed values, calls
//! one use case and lets `lib.rs` render the answer. (Company sign-up: `company`.)

use lambda_http::Request;
use portal_shared::ApiError;
use portal_shared::http::{json_body, source_address};

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
}
