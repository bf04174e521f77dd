//! The routes: each parses its request into typed values, calls one use case and lets
//! `lib.rs` render the answer.

use lambda_http::Request;
use portal_shared::ApiError;
use portal_shared::http::{json_body, source_address};

use crate::App;
use crate::inputs::{Forgot, Login, NewPassword, Pool, Refresh, Reset};
use crate::sign_in::{Accepted, SignIn, Tokens};

impl App {
    pub(crate) async fn login(&self, req: &Request, pool: Pool) -> Result<SignIn, ApiError> {
        let input: Login = json_body(req)?;
        self.sign_in(pool, source_address(req), input).await
    }

    pub(crate) async fn new_password(&self, req: &Request) -> Result<Tokens, ApiError> {
        let input: NewPassword = json_body(req)?;
        self.set_first_password(input).await
    }

    pub(crate) async fn refresh(&self, req: &Request, pool: Pool) -> Result<Tokens, ApiError> {
        let input: Refresh = json_body(req)?;
        if input.refresh_token.is_empty() || input.refresh_token.len() > 8192 {
            return Err(ApiError::Invalid("refreshToken: must be 1 to 8192 characters".into()));
        }
        self.refresh_tokens(pool, input.refresh_token).await
    }

    pub(crate) async fn logout(&self, req: &Request) -> Result<(), ApiError> {
        let token = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthenticated)?;
        self.sign_out(token).await
    }

    pub(crate) async fn forgot(&self, req: &Request, pool: Pool) -> Result<Accepted, ApiError> {
        let input: Forgot = json_body(req)?;
        self.send_reset_code(pool, source_address(req), input).await
    }

    pub(crate) async fn reset(&self, req: &Request, pool: Pool) -> Result<(), ApiError> {
        let input: Reset = json_body(req)?;
        self.reset_password(pool, source_address(req), input).await
    }
}
